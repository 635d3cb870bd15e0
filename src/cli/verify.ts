// `strata verify`: the offline check of a whole data directory. Takes the LOCK (so it never
// races a server), changes nothing, and walks every file the engine reads:
//
//   meta.json                      parses, and names every database directory
//   wal/*.wal                      every frame (src/wal verifyWal)
//   db/<db>/index/series           every entry, every key (src/index/verify.ts)
//   db/<db>/index/postings.snap    decodes, fits the series file, agrees with it
//   db/<db>/fields.json            parses
//   db/<db>/<rp>/<shard>/*.tsm     header, footer, index, every block (src/tsm verifyTsmFile),
//                                  and every series id is one the series file has
//   db/<db>/<rp>/<shard>/tombstones  header and every entry's CRC (docs/format/tombstones.md)
//   *.tmp anywhere                 leftovers of writes that did not finish
//
// A problem is damage (data lost or unreadable, or the server would refuse to start) or a
// warning (something the next start fixes by itself: a torn WAL tail, a stale index
// snapshot, a leftover temporary file). Exit status: 0 no damage, 1 damage (or the check
// could not run), 2 usage error.

import fs from 'node:fs';
import path from 'node:path';
import { scanTombstones, TOMBSTONE_FILE } from '../engine/tombstones.js';
import { verifyIndexDir, type IndexVerifyResult } from '../index/verify.js';
import { parseTsmFileName } from '../tsm/compactPlan.js';
import { verifyTsmFile } from '../tsm/verify.js';
import { verifyWal, type WalProblem } from '../wal/wal.js';
import { DATA_DIR_FLAG, UsageError, formatHelp, parseArgs, type CliIo, type CommandSpec } from './args.js';
import { writeOut } from './export.js';
import { acquireLock, LockHeldError } from './lock.js';
import { formatCount } from './progress.js';

export const VERIFY_SPEC: CommandSpec = {
  name: 'verify',
  summary: 'Check every file of a data directory for damage (offline)',
  usage: 'verify [DATA_DIR] [flags]',
  description:
    'Reads every file of a data directory and reports what is damaged, with the file, the byte\n' +
    'offset and what is wrong: meta.json, every WAL segment and frame, each database\'s series\n' +
    'file and postings snapshot, fields.json, and every TSM file (header, footer, index, the CRC\n' +
    'and contents of every block, and that every series id is in the series file). Changes\n' +
    'nothing. Takes the data directory\'s LOCK, so the server must be stopped.\n\n' +
    'Damage is what loses data or stops the server from starting; a warning is something the\n' +
    'next start deals with by itself (a torn WAL tail, a stale index snapshot, a leftover\n' +
    'temporary file). Exit status: 0 no damage (warnings allowed), 1 damage found or the check\n' +
    'could not run, 2 usage error.',
  positionals: [{ name: 'DATA_DIR', description: 'Data directory (instead of --data-dir).' }],
  flags: [DATA_DIR_FLAG, { name: 'json', type: 'boolean', description: 'Print the report as one JSON object on stdout.' }],
  examples: ['strata verify --data-dir /var/lib/strata', 'strata verify /var/lib/strata --json | jq .problems'],
};

export type Severity = 'damage' | 'warning';

export interface Problem {
  severity: Severity;
  /** Path relative to the data directory. */
  file: string;
  /** Absolute path. */
  path: string;
  offset: number;
  message: string;
}

export interface VerifyReport {
  dataDir: string;
  ok: boolean;
  files: {
    meta: number;
    walSegments: number;
    seriesFiles: number;
    snapshots: number;
    fieldFiles: number;
    tsm: number;
    total: number;
  };
  databases: number;
  walRecords: number;
  series: number;
  blocks: number;
  points: number;
  damage: number;
  warnings: number;
  problems: Problem[];
  ms: number;
}

const SHARD_RE = /^(-?\d+)_(-?\d+)$/;
/** Temporary files of atomic writes: `x.tmp` (TSM files, snapshots) and `x.tmp-PID` (meta.json, fields.json). */
const TMP_RE = /\.tmp(-\d+)?$/;

/** Checks a data directory; never throws for damage. */
export async function verifyDataDir(dataDir: string): Promise<VerifyReport> {
  const t0 = performance.now();
  const r: VerifyReport = {
    dataDir,
    ok: true,
    files: { meta: 0, walSegments: 0, seriesFiles: 0, snapshots: 0, fieldFiles: 0, tsm: 0, total: 0 },
    databases: 0,
    walRecords: 0,
    series: 0,
    blocks: 0,
    points: 0,
    damage: 0,
    warnings: 0,
    problems: [],
    ms: 0,
  };
  const add = (severity: Severity, file: string, offset: number, message: string): void => {
    r.problems.push({ severity, file: path.relative(dataDir, file) || '.', path: file, offset, message });
  };

  // ---- meta.json -------------------------------------------------------------------
  const metaFile = path.join(dataDir, 'meta.json');
  const dbRoot = path.join(dataDir, 'db');
  const dirs = listDirs(dbRoot);
  let metaDbs: Map<string, Set<string>> | null = null;
  if (fs.existsSync(metaFile)) {
    r.files.meta = 1;
    metaDbs = checkMeta(metaFile, (offset, message) => add('damage', metaFile, offset, message));
  } else if (dirs.length > 0) {
    add('damage', metaFile, 0, `meta.json is missing, but db/ holds ${dirs.length} database director${dirs.length === 1 ? 'y' : 'ies'} (${dirs.join(', ')}): the server will not see them; restore meta.json from a backup`);
  }
  if (metaDbs) {
    for (const d of dirs) {
      if (!metaDbs.has(d)) add('warning', path.join(dbRoot, d), 0, `database directory "${d}" is not in meta.json: the server ignores it (the leftovers of a dropped database, or a catalogue that lost it)`);
    }
  }

  // ---- WAL -------------------------------------------------------------------------
  const walDir = path.join(dataDir, 'wal');
  const wal = await verifyWal(walDir);
  r.files.walSegments = wal.segments.length;
  r.walRecords = wal.records;
  for (const p of wal.problems) add(isTorn(p) ? 'warning' : 'damage', p.file, p.offset, walMessage(p, wal.segments.length));
  for (const f of listFiles(walDir)) {
    if (/\.corrupt-\d+$/.test(f)) {
      add('warning', path.join(walDir, f), 0, 'bytes that `strata repair-wal` cut from a damaged segment, kept for inspection: the server never reads them; delete the file when no longer needed');
    }
  }

  // ---- databases -------------------------------------------------------------------
  const names = [...new Set([...(metaDbs?.keys() ?? []), ...dirs])].sort();
  for (const name of names) {
    const dir = path.join(dbRoot, name);
    if (!fs.existsSync(dir)) continue;
    r.databases++;
    const ix: IndexVerifyResult = verifyIndexDir(path.join(dir, 'index'));
    if (ix.exists) r.files.seriesFiles++;
    if (ix.snapshot !== 'none') r.files.snapshots++;
    r.series += ix.live;
    for (const p of ix.problems) add(p.severity, p.file, p.offset, p.message);
    const indexDamaged = ix.problems.some((p) => p.severity === 'damage' && p.file === ix.seriesFile);

    const fieldsFile = path.join(dir, 'fields.json');
    if (fs.existsSync(fieldsFile)) {
      r.files.fieldFiles++;
      checkJson(fieldsFile, (offset, message) => add('damage', fieldsFile, offset, `${message}: the server cannot open database "${name}"; restore the file from a backup (it maps each measurement's fields to their types)`));
    }

    const rps = metaDbs?.get(name);
    let tsmFiles = 0;
    let idsUnchecked = false;
    for (const rp of listDirs(dir)) {
      if (rp === 'index') continue;
      const rpDir = path.join(dir, rp);
      if (rps && !rps.has(rp)) add('warning', rpDir, 0, `retention policy "${rp}" of database "${name}" is not in meta.json`);
      for (const entry of fs.readdirSync(rpDir, { withFileTypes: true })) {
        const shardDir = path.join(rpDir, entry.name);
        if (!entry.isDirectory() || !SHARD_RE.test(entry.name)) {
          if (!TMP_RE.test(entry.name)) add('warning', shardDir, 0, 'not a shard directory (<start>_<end>): the server ignores it');
          continue;
        }
        const names = listFiles(shardDir).sort();
        const ranges = new Map<string, { first: number; last: number }>();
        for (const f of names) {
          const rg = parseTsmFileName(f);
          if (rg) ranges.set(f, rg);
        }
        for (const f of names) {
          const file = path.join(shardDir, f);
          if (TMP_RE.test(f)) continue; // reported by the sweep below
          const rg = ranges.get(f);
          if (f === TOMBSTONE_FILE) {
            const scan = scanTombstones(fs.readFileSync(file));
            if (scan.bad?.torn) add('warning', file, scan.bad.offset, `${scan.bad.detail}: a torn last entry (a delete a crash cut short, never acknowledged); the next start truncates it`);
            else if (scan.bad) add('damage', file, scan.bad.offset, `${scan.bad.detail}: points deleted before this entry would come back; restore the file from a backup`);
            continue;
          }
          if (!rg) {
            add('warning', file, 0, 'not a TSM file name (<first>-<last>.tsm): the server ignores it');
            continue;
          }
          const by = supersededBy(f, rg, ranges);
          if (by !== undefined) {
            add('warning', file, 0, `already merged into ${by} by a compaction that a crash interrupted before it removed its inputs: the server never reads it and the next start deletes it`);
            continue;
          }
          tsmFiles++;
          r.files.tsm++;
          // A series file with damage may have lost keys that TSM blocks still use; its own
          // problems say so, and listing every block of every file again would bury them.
          const seriesExists = indexDamaged ? undefined : (id: number) => id < ix.ids;
          if (indexDamaged) idsUnchecked = true;
          const v = verifyTsmFile(file, { seriesExists });
          r.blocks += v.blocks;
          r.points += v.points;
          for (const p of v.problems) add('damage', p.file, p.offset, p.message);
        }
      }
    }
    if (idsUnchecked) add('warning', ix.seriesFile, 0, `series ids in the ${tsmFiles} TSM file(s) of database "${name}" were not checked against the series file, which is damaged`);
    if (tsmFiles > 0 && !ix.exists) add('damage', ix.seriesFile, 0, `series file is missing, but database "${name}" has ${tsmFiles} TSM file(s) whose series it names: restore the index directory from a backup`);
  }

  // ---- leftovers of unfinished writes ----------------------------------------------
  for (const file of walk(dataDir)) {
    if (!TMP_RE.test(path.basename(file))) continue;
    add('warning', file, 0, 'temporary file of a write that did not finish (a crash during a flush, a snapshot or a catalogue update): it holds no published data; the server deletes it or writes over it, and it is safe to delete');
  }

  const f = r.files;
  f.total = f.meta + f.walSegments + f.seriesFiles + f.snapshots + f.fieldFiles + f.tsm;
  for (const p of r.problems) {
    if (p.severity === 'damage') r.damage++;
    else r.warnings++;
  }
  r.ok = r.damage === 0;
  r.problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'damage' ? -1 : 1));
  r.ms = Math.round(performance.now() - t0);
  return r;
}

/** The file of the same shard whose flush-sequence range strictly contains `f`'s, if any
 * (the rule DbStore.open uses to drop compaction inputs left behind). */
function supersededBy(f: string, r: { first: number; last: number }, all: Map<string, { first: number; last: number }>): string | undefined {
  for (const [g, o] of all) {
    if (g !== f && o.first <= r.first && r.last <= o.last && o.last - o.first > r.last - r.first) return g;
  }
  return undefined;
}

function isTorn(p: WalProblem): boolean {
  return p.kind === 'torn-tail' || p.kind === 'torn-header';
}

function walMessage(p: WalProblem, segments: number): string {
  switch (p.kind) {
    case 'torn-tail':
      return `torn tail (${p.detail}): the next start truncates this segment here, dropping ${p.dropped} bytes of a write a crash cut short (it was never acknowledged)`;
    case 'torn-header':
      return `torn segment header (${p.detail}): the next start reinitialises this segment (a creation a crash cut short; it holds no acknowledged write)`;
    case 'missing-segment':
      return `${p.detail}; the server refuses to start: \`strata repair-wal\` fills the gap with empty segments`;
    default:
      return `${p.detail}; ${p.dropped} bytes from here on${segments > 1 ? ' (and any later segments)' : ''} are unreadable and the server refuses to start: \`strata repair-wal\` cuts the segment here, keeping every record before it (the cut bytes are saved beside it)`;
  }
}

/** Parses meta.json; returns database → retention policies, or null when unusable. */
function checkMeta(file: string, damage: (offset: number, message: string) => void): Map<string, Set<string>> | null {
  const j = checkJson(file, (offset, message) => damage(offset, `${message}: the server cannot start; restore meta.json from a backup`));
  if (j === undefined) return null;
  const bad = (why: string): null => {
    damage(0, `${why}: the server cannot use this catalogue; restore meta.json from a backup`);
    return null;
  };
  if (typeof j !== 'object' || j === null) return bad('meta.json is not a JSON object');
  const o = j as { version?: unknown; databases?: unknown };
  if (o.version !== 1) return bad(`unsupported meta.json version ${JSON.stringify(o.version)} (this build reads version 1)`);
  if (typeof o.databases !== 'object' || o.databases === null) return bad('meta.json has no "databases" object');
  const out = new Map<string, Set<string>>();
  for (const [name, d] of Object.entries(o.databases as Record<string, unknown>)) {
    const db = d as { defaultRp?: unknown; rps?: unknown } | null;
    if (typeof db !== 'object' || db === null || typeof db.rps !== 'object' || db.rps === null || typeof db.defaultRp !== 'string') {
      damage(0, `database "${name}" in meta.json has no retention policies or default policy: restore meta.json from a backup`);
      continue;
    }
    const rps = new Set(Object.keys(db.rps));
    // "" is a database without a default policy (its default was dropped, as InfluxDB allows).
    if (db.defaultRp !== '' && !rps.has(db.defaultRp)) damage(0, `database "${name}" in meta.json names default retention policy "${db.defaultRp}", which it does not have`);
    out.set(name, rps);
  }
  return out;
}

/** The parsed JSON of a file, or undefined after reporting why it does not parse. */
function checkJson(file: string, damage: (offset: number, message: string) => void): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    damage(0, `cannot read: ${(e as Error).message}`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const offset = m ? Buffer.byteLength(text.slice(0, Number(m[1]))) : text.length === 0 ? 0 : Buffer.byteLength(text);
    damage(offset, `not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

function listDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function listFiles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

// ---- the command ---------------------------------------------------------------------

export function formatReport(r: VerifyReport): string {
  const out: string[] = [`verified ${r.dataDir}`];
  for (const p of r.problems) {
    out.push(`${p.severity === 'damage' ? 'DAMAGE ' : 'warning'}  ${p.file} at offset ${p.offset}: ${p.message}`);
  }
  const f = r.files;
  const parts = [
    `${f.meta} meta.json`,
    `${formatCount(f.walSegments)} WAL segment${f.walSegments === 1 ? '' : 's'} (${formatCount(r.walRecords)} record${r.walRecords === 1 ? '' : 's'})`,
    `${formatCount(f.seriesFiles)} series file${f.seriesFiles === 1 ? '' : 's'} (${formatCount(r.series)} series)`,
    `${formatCount(f.snapshots)} index snapshot${f.snapshots === 1 ? '' : 's'}`,
    `${formatCount(f.fieldFiles)} fields.json`,
    `${formatCount(f.tsm)} TSM file${f.tsm === 1 ? '' : 's'} (${formatCount(r.blocks)} blocks, ${formatCount(r.points)} points)`,
  ];
  out.push(`checked ${formatCount(f.total)} files in ${(r.ms / 1000).toFixed(2)} s: ${parts.join(', ')}`);
  const w = `${r.warnings} warning${r.warnings === 1 ? '' : 's'}`;
  out.push(r.ok ? `clean: no damage${r.warnings ? `, ${w}` : ''}` : `DAMAGED: ${r.damage} problem${r.damage === 1 ? '' : 's'}, ${w}`);
  return out.join('\n') + '\n';
}

export async function runVerify(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(VERIFY_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(VERIFY_SPEC));
    return 0;
  }
  const positional = args.positionals[0];
  if (positional !== undefined && args.source('data-dir') === 'flag') {
    throw new UsageError('give the data directory once: as DATA_DIR or with --data-dir, not both', 'verify');
  }
  const dataDir = path.resolve(io.cwd, positional ?? args.string('data-dir')!);
  const json = args.boolean('json');
  const fail = async (message: string): Promise<number> => {
    if (json) await writeOut(io.stdout, JSON.stringify({ dataDir, ok: false, error: message }) + '\n');
    io.stderr.write(`strata verify: ${message}\n`);
    return 1;
  };
  if (!fs.existsSync(dataDir) || !fs.statSync(dataDir).isDirectory()) return fail(`data directory ${dataDir} does not exist`);

  let lock;
  try {
    lock = acquireLock(dataDir, 'verify');
  } catch (err) {
    if (err instanceof LockHeldError) return fail(`${err.message} (verify reads files the server is changing, so it runs only while the server is stopped)`);
    throw err;
  }
  try {
    const report = await verifyDataDir(dataDir);
    await writeOut(io.stdout, json ? JSON.stringify(report) + '\n' : formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    lock.release();
  }
}
