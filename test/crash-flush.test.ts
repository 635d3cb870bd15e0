// Crash safety of flushes, end to end: a real server child process with a tiny memtable
// (so the memtable is frozen and written to TSM files in the worker thread all the time)
// and `fsync: always`, concurrent HTTP writers, and SIGKILL at seeded random moments, many
// of them in the middle of a flush. What is asserted holds for any kill moment:
//   - every acknowledged (204) point is there after the restart, exactly once, with the
//     value of its last acknowledged write, or the value of a write that was in flight at
//     the kill (its outcome is unknown); nothing is there that was never sent;
//   - what a restart recovered stays: from then on it counts as acknowledged;
//   - killed (offline): every published .tsm file verifies clean, the WAL has no damage
//     except a torn tail of its last segment, `strata verify` finds no damage;
//   - restarted: no `.tmp` file anywhere, no compaction input left beside its output,
//     every .tsm and the WAL verify clean;
//   - a final SIGTERM exits 0 and leaves a data directory that verifies clean.
//
// Two servers take turns on the same data directory: `strata serve --memtable-size` (when
// the CLI has the flag) for the kills at a random time or just after a flush it logged,
// and test/helpers/flush-server.ts, the same engine and HTTP server, which logs each step
// of a flush and of the compaction after it ("msg":"hook") and can SIGKILL itself at the
// n-th occurrence of a step. So some kills land at exact points (a TSM file published but
// the WAL not yet trimmed, between the files of one flush, a compaction's output published
// but its inputs not yet deleted, ...) and others at random times or a random few ms after
// a step seen in the log (e.g. while a worker writes a .tmp). After each kill `strata
// verify` (when the CLI has it) checks the directory offline, as do the library's verifiers.
//
// STRATA_CRASH_SEED reproduces the kill plan of a run (the interleaving of the writers
// depends on timing, as it does in production).

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { testIo } from '../src/cli/testing/io.js';
import { SeriesIndex } from '../src/index/seriesIndex.js';
import { TEMP_SUFFIX, verifyTsmFile } from '../src/tsm/index.js';
import { verifyWal } from '../src/wal/wal.js';
import { spawnServer } from './helpers/child.js';
import { mulberry32 } from '../src/testing/random.js';

const SEED = Number(process.env.STRATA_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MEMTABLE_BYTES = 64 * 1024;
const WEEK = 7n * 24n * 3600n * 1_000_000_000n;
const BASE = 1_700_000_000_000_000_000n;
const SHARDS = 4;
const HOSTS = 3;
const CLIENTS = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the server as a child process ----------------------------------------------------

interface HookLine {
  msg: string;
  step?: string;
  n?: number;
  file?: string;
}

interface Server {
  child: ChildProcess;
  url: string;
  logs: string[];
  hooks: HookLine[];
  /** Called with every JSON log line (after it is recorded). */
  onLine: ((l: HookLine) => void) | null;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

function tempDir(prefix = 'strata-crash-flush-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Does `strata serve` have --memtable-size (it is being added)? */
async function serveHasMemtableSize(): Promise<boolean> {
  const io = testIo();
  return (await main(['serve', '--help'], io)) === 0 && io.out.text.includes('--memtable-size');
}

/**
 * Starts `strata serve` (real) or the hooked helper, which SIGKILLs itself at `crashAt`
 * ("step:n"). Both: fsync always, the tiny memtable, port 0, JSON logs on stderr.
 */
async function startServer(dataDir: string, opts: { real?: boolean; crashAt?: string } = {}): Promise<Server> {
  const env: Record<string, string> = {};
  let args: string[];
  if (opts.real) {
    args = ['src/cli/main.ts', 'serve', '--port', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, '--fsync', 'always', '--memtable-size', String(MEMTABLE_BYTES)];
  } else {
    args = ['test/helpers/flush-server.ts'];
    env.FLUSH_SERVER_DATA_DIR = dataDir;
    env.FLUSH_SERVER_MEMTABLE_BYTES = String(MEMTABLE_BYTES);
    if (opts.crashAt) env.FLUSH_SERVER_CRASH_AT = opts.crashAt;
  }
  const hooks: HookLine[] = [];
  let server: Server | undefined;
  const c = await spawnServer(args, {
    env,
    onSpawn: (child) => children.add(child),
    onLine: (line) => {
      const j = line as unknown as HookLine;
      if (j.msg === 'hook') hooks.push(j);
      server?.onLine?.(j);
    },
  });
  server = { child: c.child, url: c.url, logs: c.logs, hooks, onLine: null, exit: c.exit };
  return server;
}

function logTail(s: Server, n = 30): string {
  return s.logs.slice(-n).join('\n');
}

// ---- the points and what must be there --------------------------------------------------

/** Point number p of client c: its series+time key and its line with value v. */
function pointOf(c: number, p: number, v: number): { key: string; line: string } {
  const ts = BASE + BigInt(p % SHARDS) * WEEK + BigInt(p) * 1000n;
  const series = `cf,client=c${c},host=h${p % HOSTS}`;
  return { key: `${series} ${ts}`, line: `${series} v=${v}i ${ts}` };
}

interface Model {
  /** series+time → the value it must have (last acknowledged, or recovered by a restart). */
  known: Map<string, number>;
  /** series+time → values of writes in flight at a kill: the outcome of each is unknown. */
  maybe: Map<string, Set<number>>;
  /** Points numbered so far per client (an overwrite picks one of them). */
  issued: number[];
  nextValue: number;
}

function addMaybe(m: Model, key: string, v: number): void {
  let s = m.maybe.get(key);
  if (!s) m.maybe.set(key, (s = new Set()));
  s.add(v);
}

/**
 * CLIENTS concurrent writers, each posting batches of 5-35 lines, about a fifth of them
 * overwrites of an earlier point of the same client with a new value. Each client owns its
 * series and waits for each answer, so per point the writes are ordered. A write counts as
 * acknowledged only when its 204 has arrived; a write cut off by the kill is "maybe". The
 * writers run until the server is gone.
 */
function runWriters(url: string, model: Model, seed: number) {
  let acked = 0;
  const other: string[] = [];
  const writers = Array.from({ length: CLIENTS }, async (_, c) => {
    const rnd = mulberry32(seed + c * 7919);
    for (;;) {
      const n = 5 + Math.floor(rnd() * 31);
      const used = new Set<number>();
      const pts: { key: string; line: string; v: number }[] = [];
      for (let i = 0; i < n; i++) {
        const p = model.issued[c] > 0 && rnd() < 0.2 ? Math.floor(rnd() * model.issued[c]) : model.issued[c]++;
        if (used.has(p)) continue;
        used.add(p);
        const v = model.nextValue++;
        pts.push({ ...pointOf(c, p, v), v });
      }
      let status: number;
      try {
        const res = await fetch(`${url}/write?db=crash`, { method: 'POST', body: pts.map((p) => p.line).join('\n') + '\n' });
        const text = await res.text();
        status = res.status;
        if (status !== 204) other.push(`HTTP ${status}: ${text.slice(0, 200)}`);
      } catch {
        // Connection refused or reset: the server is gone, and this write may or may not
        // have reached the WAL.
        for (const p of pts) addMaybe(model, p.key, p.v);
        return;
      }
      if (status === 204) {
        for (const p of pts) model.known.set(p.key, p.v);
        acked += pts.length;
      } else {
        for (const p of pts) addMaybe(model, p.key, p.v);
      }
    }
  });
  return {
    get acked() {
      return acked;
    },
    other,
    done: Promise.all(writers),
  };
}

/**
 * Exports everything and checks it against the model: no duplicates, nothing unknown,
 * every known point with its value (or an in-flight one). Then what was recovered becomes
 * what must be there from now on. Returns the number of points.
 */
async function checkExport(url: string, model: Model, what: string): Promise<number> {
  const res = await fetch(`${url}/export?db=crash`);
  const text = await res.text();
  const seen = new Map<string, number>();
  if (res.status !== 404) {
    expect(res.status, text.slice(0, 500)).toBe(200);
    const dups: string[] = [];
    const bad: string[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const m = /^(cf,client=c\d+,host=h\d+) v=(\d+)i (\d+)$/.exec(line);
      if (!m) {
        bad.push(`unparsable: ${line}`);
        continue;
      }
      const key = `${m[1]} ${m[3]}`;
      const v = Number(m[2]);
      if (seen.has(key)) dups.push(line);
      seen.set(key, v);
      const want = model.known.get(key);
      if (want === v || model.maybe.get(key)?.has(v)) continue;
      bad.push(
        want === undefined && !model.maybe.has(key)
          ? `never written: ${line}`
          : `wrong value: ${line} (want ${want ?? 'absent'}${model.maybe.has(key) ? ` or one of ${[...model.maybe.get(key)!].join(',')}` : ''})`,
      );
    }
    expect(dups.slice(0, 5), `${dups.length} duplicated points ${what} (seed ${SEED})`).toEqual([]);
    expect(bad.slice(0, 5), `${bad.length} points that should not be there ${what} (seed ${SEED})`).toEqual([]);
  }
  const missing = [...model.known.keys()].filter((k) => !seen.has(k));
  expect(missing.slice(0, 5), `${missing.length} acknowledged points missing ${what} (seed ${SEED})`).toEqual([]);
  model.known = seen;
  model.maybe.clear();
  return seen.size;
}

// ---- offline checks of the files ----------------------------------------------------------

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

interface FileReport {
  tsm: number;
  /** Temporary files of TSM writes (`<seq>.tsm.tmp`). */
  tsmTmp: string[];
  /** Any other temporary file (atomic writes of meta.json, fields.json, index snapshots). */
  otherTmp: string[];
  /** Every problem verify found, as text. */
  tsmProblems: string[];
  /** .tsm files whose sequence range lies inside another's of the same shard: the inputs of
   * a compaction whose output was published (only a kill may leave them; a start removes them). */
  covered: string[];
  walProblems: { kind: string; file: string; offset: number; detail: string }[];
  walSegments: number[];
}

/**
 * Checks a data directory with the library's verifiers (what `strata verify` runs): every
 * .tsm file (CRCs, index, blocks, series ids known to the series index), and the WAL.
 * The series index is opened on a copy, so the directory is not touched.
 */
async function verifyDir(dataDir: string): Promise<FileReport> {
  const files = walk(dataDir);
  const rep: FileReport = { tsm: 0, tsmTmp: [], otherTmp: [], tsmProblems: [], covered: [], walProblems: [], walSegments: [] };
  let exists: ((id: number) => boolean) | undefined;
  let index: SeriesIndex | undefined;
  const indexDir = path.join(dataDir, 'db', 'crash', 'index');
  if (fs.existsSync(indexDir)) {
    const copy = tempDir('strata-crash-flush-index-');
    fs.cpSync(indexDir, copy, { recursive: true });
    index = await SeriesIndex.open(copy, { db: 'crash', snapshotEvery: 0 });
    const ids = index.stats().ids;
    exists = (id) => id < ids && !index!.isDeleted(id);
  }
  try {
    for (const f of files) {
      if (f.endsWith('.tsm')) {
        rep.tsm++;
        const r = verifyTsmFile(f, { seriesExists: exists });
        for (const p of r.problems) rep.tsmProblems.push(`${p.file} at ${p.offset}: ${p.message}`);
      } else if (f.endsWith(`.tsm${TEMP_SUFFIX}`)) rep.tsmTmp.push(f);
      else if (/\.tmp/.test(path.basename(f))) rep.otherTmp.push(f);
    }
  } finally {
    await index?.close();
  }
  const ranges = files
    .map((f) => ({ f, m: /^(\d+)(?:-(\d+))?\.tsm$/.exec(path.basename(f)) }))
    .filter((x) => x.m !== null)
    .map(({ f, m }) => ({ f, dir: path.dirname(f), first: Number(m![1]), last: Number(m![2] ?? m![1]) }));
  for (const a of ranges) {
    const by = ranges.find((b) => b !== a && b.dir === a.dir && b.first <= a.first && a.last <= b.last);
    if (by) rep.covered.push(`${a.f} (inside ${path.basename(by.f)})`);
  }
  const wal = await verifyWal(path.join(dataDir, 'wal'));
  rep.walProblems = wal.problems.map((p) => ({ kind: p.kind, file: p.file, offset: p.offset, detail: p.detail }));
  rep.walSegments = wal.segments.map((s) => s.id);
  return rep;
}

interface CliReport {
  ok: boolean;
  damage: number;
  warnings: number;
  problems: { severity: string; file: string; offset: number; message: string }[];
}

/** `strata verify DIR --json` (offline: it takes the LOCK), or null when the CLI lacks it. */
async function strataVerify(dataDir: string): Promise<{ code: number; report: CliReport; text: string } | null> {
  if ((await main(['verify', '--help'], testIo())) !== 0) return null;
  const io = testIo();
  const code = await main(['verify', dataDir, '--json'], io);
  const text = `${io.out.text}${io.err.text}`;
  let report: CliReport;
  try {
    report = JSON.parse(io.out.text) as CliReport;
  } catch {
    throw new Error(`strata verify --json printed no JSON (exit ${code}):\n${text}`);
  }
  return { code, report, text };
}

/** After a SIGKILL: published files are whole; the WAL has at most a torn tail. (Temporary
 * files may be left; the restart must remove them: expectClean.) */
function expectCleanAfterKill(rep: FileReport, what: string): void {
  expect(rep.tsmProblems, `TSM files damaged ${what} (seed ${SEED})`).toEqual([]);
  const last = rep.walSegments[rep.walSegments.length - 1];
  const bad = rep.walProblems.filter((p) => !((p.kind === 'torn-tail' || p.kind === 'torn-header') && p.file.endsWith(`${String(last).padStart(16, '0')}.wal`)));
  expect(bad, `WAL damage other than a torn tail of the last segment ${what} (seed ${SEED})`).toEqual([]);
}

/** After a restart (or a clean stop): nothing to complain about at all. */
function expectClean(rep: FileReport, what: string): void {
  expect(rep.tsmProblems, `TSM files damaged ${what} (seed ${SEED})`).toEqual([]);
  expect([...rep.tsmTmp, ...rep.otherTmp], `temporary files left ${what} (seed ${SEED})`).toEqual([]);
  expect(rep.covered, `compaction inputs left beside their output ${what} (seed ${SEED})`).toEqual([]);
  expect(rep.walProblems, `WAL problems ${what} (seed ${SEED})`).toEqual([]);
}

// ---- the kill plan ----------------------------------------------------------------------

type Plan =
  | { kind: 'timed'; ms: number }
  | { kind: 'after-log'; msg: string; n: number; ms: number }
  | { kind: 'after-step'; step: string; n: number; ms: number }
  | { kind: 'self'; step: string; n: number };

function describePlan(p: Plan): string {
  if (p.kind === 'timed') return `kill at ${p.ms} ms`;
  if (p.kind === 'after-log') return `kill ${p.ms} ms after "${p.msg}"#${p.n}`;
  if (p.kind === 'after-step') return `kill ${p.ms} ms after ${p.step}#${p.n}`;
  return `self-kill at ${p.step}#${p.n}`;
}

/** Twelve lives: three kills at a random time or after a flush the log reports (by
 * `strata serve` when it can take the memtable size), three a few ms after a step seen in
 * the log, six at exact steps (the child kills itself), in a seeded order. */
function makePlans(rnd: () => number): Plan[] {
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  const plans: Plan[] = [
    { kind: 'timed', ms: int(300, 1200) },
    { kind: 'timed', ms: int(300, 1200) },
    // While the compaction that follows a flush runs, or the next flush.
    { kind: 'after-log', msg: 'memtable flushed', n: int(1, 4), ms: int(0, 5) },
    // Mostly while the worker writes <seq>.tsm.tmp (after the first file: the worker is warm).
    { kind: 'after-step', step: 'tsm-write-start', n: int(2, 8), ms: int(0, 3) },
    { kind: 'after-step', step: 'wal-remove-start', n: int(1, 2), ms: int(0, 2) },
    // Mostly while a compaction output is written.
    { kind: 'after-step', step: 'compact-start', n: int(1, 4), ms: int(0, 3) },
    // The memtable frozen and the WAL rolled, no file written yet.
    { kind: 'self', step: 'wal-rolled', n: int(1, 3) },
    // Some of a flush's files published, not all (n-th file of the life, 4-5 per flush).
    { kind: 'self', step: 'tsm-written', n: int(1, 7) },
    { kind: 'self', step: 'tsm-written', n: int(2, 9) },
    // Every file published, the WAL not yet trimmed: the restart replays what files hold.
    { kind: 'self', step: 'wal-remove-start', n: int(1, 3) },
    // The WAL trimmed, the flush not yet reported done.
    { kind: 'self', step: 'wal-removed', n: int(1, 2) },
    // A compaction's output published, its inputs not yet deleted: the restart must drop them.
    { kind: 'self', step: 'compact-written', n: int(1, 4) },
  ];
  for (let i = plans.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [plans[i], plans[j]] = [plans[j], plans[i]];
  }
  return plans;
}

// ---- the test -------------------------------------------------------------------------------

describe('crash safety of flushes (real child process)', () => {
  it('keeps every acknowledged point exactly once, with its last value, across SIGKILLs during flushes and compactions', async () => {
    const t0 = Date.now();
    const rnd = mulberry32(SEED);
    const plans = makePlans(rnd);
    const realServe = await serveHasMemtableSize();
    const dir = tempDir();
    const model: Model = { known: new Map(), maybe: new Map(), issued: new Array(CLIENTS).fill(0), nextValue: 0 };
    const summary: string[] = [];
    let busy = 0;
    let tmpSeen = 0;
    let acked = 0;
    let cliRuns = 0;

    for (let life = 0; life < plans.length; life++) {
      const plan = plans[life];
      const real = realServe && (plan.kind === 'timed' || plan.kind === 'after-log');
      const what = `in life ${life + 1} (${real ? 'strata serve' : 'helper'}, ${describePlan(plan)})`;
      const server = await startServer(dir, { real, crashAt: plan.kind === 'self' ? `${plan.step}:${plan.n}` : undefined });

      // Restarted: what was acknowledged is there, and the restart left nothing behind
      // (the server is idle until the writers start, so its files hold still).
      const points = await checkExport(server.url, model, `after restart, ${what}`);
      expectClean(await verifyDir(dir), `after restart, ${what}`);

      const w = runWriters(server.url, model, (SEED ^ Math.imul(life + 1, 0x9e3779b9)) >>> 0);
      let seen = 0;
      const trigger = new Promise<void>((resolve) => {
        if (plan.kind !== 'after-step' && plan.kind !== 'after-log') return;
        server.onLine = (l) => {
          const hit = plan.kind === 'after-step' ? l.msg === 'hook' && l.step === plan.step && l.n === plan.n : l.msg === plan.msg && ++seen === plan.n;
          if (!hit) return;
          server.onLine = null;
          if (plan.ms === 0) server.child.kill('SIGKILL');
          else setTimeout(() => server.child.kill('SIGKILL'), plan.ms);
          resolve();
        };
      });
      if (plan.kind === 'timed') {
        await sleep(plan.ms);
        server.child.kill('SIGKILL');
      } else {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)));
        const r = await Promise.race([plan.kind === 'self' ? server.exit : trigger.then(() => server.exit), timeout]);
        clearTimeout(timer);
        expect(r, `${describePlan(plan)} did not happen within 10 s (seed ${SEED}):\n${logTail(server)}`).not.toBe('timeout');
      }
      const exit = await server.exit;
      expect(exit.signal, `${what}: the server ended otherwise (seed ${SEED}):\n${logTail(server)}`).toBe('SIGKILL');
      await w.done;
      expect(w.other, `unexpected answers ${what} (seed ${SEED})`).toEqual([]);
      expect(server.logs.filter((l) => l.includes('"level":"error"')), `errors logged ${what}`).toEqual([]);
      // (A life may end before its first 204: a WAL replayed at start-up can fill the
      // memtable, so the first write already starts a flush, and a self-kill can hit it.)
      acked += w.acked;

      // Killed: check the files as they are, before a restart repairs anything.
      const rep = await verifyDir(dir);
      expectCleanAfterKill(rep, `after the kill ${what}`);
      const cli = await strataVerify(dir);
      if (cli) {
        cliRuns++;
        expect(cli.code, `strata verify after the kill ${what} (seed ${SEED}):\n${cli.text}`).toBe(0);
        expect(cli.report.damage, cli.text).toBe(0);
      }
      const count = (step: string) => server.hooks.filter((h) => h.step === step).length;
      const logged = (msg: string) => server.logs.filter((l) => l.includes(`"msg":"${msg}"`)).length;
      const flushes = `${logged('memtable flushed')}/${real ? '?' : count('flush-start')}`;
      const compactions = `${logged('compacted')}/${real ? '?' : count('compact-start')}`;
      if (!real && (count('flush-start') > logged('memtable flushed') || count('compact-start') > logged('compacted'))) busy++;
      tmpSeen += rep.tsmTmp.length;
      summary.push(
        `${real ? 'serve ' : 'helper'} ${describePlan(plan)}: ${points} points at start, ${w.acked} acked, flushes ${flushes}, ` +
          `compactions ${compactions}; left ${rep.tsm} tsm, ${rep.tsmTmp.length} tmp, ${rep.walSegments.length} wal segment(s)` +
          (rep.walProblems.length ? `, ${rep.walProblems.map((p) => p.kind).join(',')}` : '') +
          (cli?.report.warnings ? `; verify: ${cli.report.warnings} warning(s)` : ''),
      );
    }

    // A last restart checks the last kill; then a clean stop leaves a clean directory.
    const server = await startServer(dir, { real: realServe });
    const points = await checkExport(server.url, model, 'after the last restart');
    expectClean(await verifyDir(dir), 'after the last restart');
    server.child.kill('SIGTERM');
    expect(await server.exit, logTail(server)).toEqual({ code: 0, signal: null });
    expectClean(await verifyDir(dir), 'after SIGTERM');
    const cli = await strataVerify(dir);
    if (cli) {
      expect(cli.code, cli.text).toBe(0);
      expect(cli.report.problems, cli.text).toEqual([]);
    }

    // The self-kills always land inside a flush or a compaction; most of the others too.
    expect(busy, summary.join('\n')).toBeGreaterThanOrEqual(6);
    expect(acked).toBeGreaterThan(1000);
    expect(points).toBeGreaterThan(0);
    console.log(
      `crash-flush seed ${SEED}: ${plans.length} kills (${busy} inside a flush or compaction, ${tmpSeen} TSM .tmp left), ` +
        `${acked} points acknowledged, ${points} at the end, strata serve ${realServe ? 'used' : 'lacks --memtable-size'}, ` +
        `strata verify ${cli ? `run ${cliRuns + 1} times` : 'not available'}, ${Date.now() - t0} ms\n  ${summary.join('\n  ')}`,
    );
  }, 90_000);
});
