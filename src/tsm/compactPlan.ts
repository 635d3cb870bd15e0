// The compaction planner: file metadata in, groups of files to merge out. Pure, so its rules
// are checked as property tests (compactPlan.test.ts); the executor is compact.ts.
//
// A shard's files are ordered by age (the sequence range in their names); on equal
// timestamps a newer file wins. Merging therefore only ever takes a contiguous run of that
// order: the output takes the run's place, older than every file after it and newer than
// every file before it, so no overwrite can change sides.
//
// Rules (InfluxDB tsm1's levels, simplified):
// - `full`: every shard with more than one file becomes one file (operators, benchmarks,
//   and cold shards).
// - otherwise: runs of at least `minRun` consecutive small files (under `smallBytes`) are
//   merged, at most `maxRun` files per group, so flushes do not pile up.

export interface PlanFile {
  /** First and last flush sequence number this file holds (equal for a flushed file). */
  first: number;
  last: number;
  size: number;
}

export interface PlanOptions {
  full?: boolean;
  /** Files smaller than this are merged in runs (default 64 MiB). */
  smallBytes?: number;
  /** Fewest small files worth a merge (default 4). */
  minRun?: number;
  /** Most files in one group (default 32). */
  maxRun?: number;
}

/** Groups of indexes into `files` (which must be ordered by age) to merge, each contiguous. */
export function planCompaction(files: readonly PlanFile[], opts: PlanOptions = {}): number[][] {
  const maxRun = Math.max(2, opts.maxRun ?? 32);
  if (files.length < 2) return [];
  if (opts.full) {
    // One file in the end; very long histories merge in several passes of maxRun files.
    const groups: number[][] = [];
    for (let i = 0; i < files.length; i += maxRun) {
      const g = range(i, Math.min(files.length, i + maxRun));
      if (g.length >= 2) groups.push(g);
    }
    return groups;
  }
  const smallBytes = opts.smallBytes ?? 64 * 1024 * 1024;
  const minRun = Math.max(2, opts.minRun ?? 4);
  const groups: number[][] = [];
  let run: number[] = [];
  const close = () => {
    for (let i = 0; i + minRun <= run.length; i += maxRun) groups.push(run.slice(i, Math.min(run.length, i + maxRun)));
    run = [];
  };
  files.forEach((f, i) => {
    if (f.size < smallBytes) run.push(i);
    else close();
  });
  close();
  return groups.filter((g) => g.length >= 2);
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

/** `<first>-<last>.tsm` (a flushed file has first = last); 12-digit zero padding sorts by age. */
export function tsmFileName(first: number, last: number): string {
  return `${String(first).padStart(12, '0')}-${String(last).padStart(12, '0')}.tsm`;
}

/** Parses a TSM file name; undefined for anything else (temporary files included). */
export function parseTsmFileName(name: string): { first: number; last: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?\.tsm$/.exec(name);
  if (!m) return undefined;
  const first = Number(m[1]);
  return { first, last: m[2] === undefined ? first : Number(m[2]) };
}
