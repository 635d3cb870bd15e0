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
//   and cold shards); a file that tombstones apply to is rewritten even when it is alone,
//   so one full compaction gives the space of deleted points back.
// - otherwise: runs of at least `minRun` consecutive small files (under `smallBytes`) are
//   merged, at most `maxRun` files per group, so flushes do not pile up.

export interface PlanFile {
  /** First and last flush sequence number this file holds (equal for a flushed file). */
  first: number;
  last: number;
  size: number;
  /** Tombstones (deletes) apply to this file: a full compaction rewrites it even alone. */
  tombstoned?: boolean;
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

/** Groups of indexes into `files` (which must be ordered by age) to merge, each contiguous
 * (a group of one only in a full plan, for a file that tombstones apply to). */
export function planCompaction(files: readonly PlanFile[], opts: PlanOptions = {}): number[][] {
  const maxRun = Math.max(2, opts.maxRun ?? 32);
  if (opts.full) {
    // One file in the end; very long histories merge in several passes of maxRun files.
    const groups: number[][] = [];
    for (let i = 0; i < files.length; i += maxRun) {
      const g = range(i, Math.min(files.length, i + maxRun));
      if (g.length >= 2 || files[i].tombstoned) groups.push(g);
    }
    return groups;
  }
  if (files.length < 2) return [];
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
