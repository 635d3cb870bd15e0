// Continuous queries, as in InfluxDB 1.x: `CREATE CONTINUOUS QUERY name ON db [RESAMPLE
// EVERY x FOR y] BEGIN SELECT ... INTO ... GROUP BY time(i[, offset]) ... END`.
//
// Schedule and window follow InfluxDB's services/continuous_querier/service.go:
//   - a CQ runs at every `k * every + offset`, where every = RESAMPLE EVERY or else the
//     GROUP BY interval, and offset is GROUP BY time()'s offset (aligned to the Unix epoch
//     as GROUP BY buckets are; Go truncates from year 1, the same for intervals dividing
//     a day);
//   - the run at t covers [start, end) with
//       for   = RESAMPLE FOR, else max(interval, every)
//       start = floor(t + interval - for - offset - 1ns, interval) + offset
//       end   = floor(t + interval - min(every, interval) - offset, interval) + offset
//     and runs the SELECT ... INTO with its time condition replaced by that range.
//   - Strata's extension RESAMPLE CRON '<expr>' [TZ '<zone>'] runs at the cron times instead,
//     over [the interval holding the previous cron time (or t - FOR), floor(t, interval)).
//
// Where Strata differs, on purpose: InfluxDB keeps the last run time in memory only, so a
// restart forgets missed intervals. Here each CQ's last completed run time is persisted in
// `<dataDir>/continuous_queries.json` (atomic replace), recorded only after the INTO write
// returned and the WAL was synced (whatever the fsync mode), and on start every missed run happens once, at its own
// time, in order (capped, see schedule.ts). A crash between the write and the record
// re-runs that one window, which writes the same points at the same times again: the
// result is as if it had run once.
//
// A run that fails is logged, counted, and recorded as done: the next run goes on, as in
// InfluxDB. Only a closed database stops a catch-up without recording it.

import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../engine/database.js';
import { removeStaleTemp, writeFileAtomic } from '../engine/meta.js';
import type { StrataError } from '../errors.js';
import type { CreateContinuousQueryStatement, Expr, Measurement, SelectStatement } from '../query/influxql/ast.js';
import { formatStatement, groupByInterval, parseStatement } from '../query/influxql/parser.js';
import type { ContinuousQueryRegistry, QueryContext } from '../query/influxql/result.js';
import { executeSelect } from '../query/influxql/select.js';
import type { Logger } from '../types.js';
import { cronSchedule, DEFAULT_MAX_CATCH_UP, dueRuns, intervalSchedule, type Schedule, type ScheduledJob } from './schedule.js';

export const CQ_FILE = 'continuous_queries.json';
const MS = 1_000_000n;

/** What continuous_queries.json holds. */
interface CqFile {
  version: 1;
  queries: { database: string; name: string; query: string; lastDone: number | null }[];
}

/** The run-time figures of one CQ (metrics, logs, tests). */
export interface RunStats {
  runs: number;
  failures: number;
  /** Scheduled time of the last run (ms), null before the first. */
  lastRun: number | null;
  lastDurationMs: number;
  lastPoints: number;
  lastError: string | null;
}

/** One run, as logged and reported to `onRun`. */
export interface CqRunEvent {
  database: string;
  name: string;
  /** The scheduled run time, ms. */
  at: number;
  /** The query's time range [start, end), ns. */
  start: bigint;
  end: bigint;
  points: number;
  durationMs: number;
  error?: string;
}

export interface ContinuousQueriesOptions {
  engine: Database;
  /** Where continuous_queries.json lives (default: the engine's data dir). */
  dataDir?: string;
  /** Wall clock, ms: when a new CQ is created (its first run is the latest boundary). */
  now: () => number;
  logger: Logger;
  /** Most missed runs done after downtime (default 1000, the latest kept). */
  maxCatchUp?: number;
  /** Called after every run (tests, the crash child's progress lines). */
  onRun?: (ev: CqRunEvent) => void;
  /** Called after a CQ was created or dropped: pass `() => runner.poke()` so the runner
   * re-plans its next wake-up. */
  onChange?: () => void;
  /** Called when a run starts (tests: the crash child aims its kills with it). */
  beforeRun?: (ev: { database: string; name: string; at: number }) => void;
  /** Called after a run's INTO write returned and before it is recorded as done. */
  afterWrite?: (ev: { database: string; name: string; at: number }) => void;
}

interface Cq {
  database: string;
  name: string;
  query: string;
  stmt: CreateContinuousQueryStatement;
  schedule: Schedule;
  /** GROUP BY interval and offset, ns. */
  interval: bigint;
  offset: bigint;
  lastDone: number;
  stats: RunStats;
}

/** The continuous queries of one engine: the InfluxQL registry and the scheduled job. */
export class ContinuousQueries implements ContinuousQueryRegistry, ScheduledJob {
  private readonly opts: ContinuousQueriesOptions;
  private readonly file: string;
  private cqs: Cq[] = [];

  private constructor(opts: ContinuousQueriesOptions) {
    this.opts = opts;
    this.file = path.join(opts.dataDir ?? opts.engine.dataDir, CQ_FILE);
  }

  /** Loads the definitions and last run times saved in the data dir. */
  static open(opts: ContinuousQueriesOptions): ContinuousQueries {
    const r = new ContinuousQueries(opts);
    removeStaleTemp(r.file);
    if (!fs.existsSync(r.file)) return r;
    let data: CqFile;
    try {
      data = JSON.parse(fs.readFileSync(r.file, 'utf8')) as CqFile;
    } catch (e) {
      throw new Error(`${r.file} is not valid JSON (${(e as Error).message}): restore it from a backup, or move it away to start without continuous queries`);
    }
    for (const q of data.queries ?? []) {
      const stmt = parseStatement(q.query);
      if (stmt.type !== 'CreateContinuousQueryStatement') throw new Error(`${r.file}: "${q.query}" is not a CREATE CONTINUOUS QUERY statement`);
      r.cqs.push(r.make(stmt, q.query, typeof q.lastDone === 'number' ? q.lastDone : null));
    }
    return r;
  }

  // -- the registry (InfluxQL statements) -------------------------------------------------

  create(stmt: CreateContinuousQueryStatement, defaultRp?: string): void {
    const engine = this.opts.engine;
    if (!engine.hasDatabase(stmt.database)) throw new Error(`database not found: ${stmt.database}`);
    const norm = structuredClone(stmt);
    // As InfluxDB's NormalizeStatement: every measurement names its database and retention
    // policy, so SHOW prints them and a later change of the default RP does not move it.
    forEachMeasurement(norm.source, (m) => {
      if (m.database === '') m.database = stmt.database;
      if (!engine.hasDatabase(m.database)) throw new Error(`database not found: ${m.database}`);
      if (m.retentionPolicy === '') m.retentionPolicy = defaultRp || engine.defaultRetentionPolicy(m.database);
      if (!Object.hasOwn(engine.retentionPolicies(m.database), m.retentionPolicy)) {
        throw new Error(`retention policy not found: ${m.database}.${m.retentionPolicy}`);
      }
    });
    const query = formatStatement(norm);
    const existing = this.find(stmt.database, stmt.name);
    if (existing) {
      // InfluxDB: the same text again is a no-op, another query under the name an error.
      if (existing.query.toLowerCase() === query.toLowerCase()) return;
      throw new Error('continuous query already exists');
    }
    const cq = this.make(norm, query, null);
    this.cqs.push(cq);
    this.save();
    this.opts.onChange?.();
    this.opts.logger.info({ db: cq.database, cq: cq.name, schedule: cq.schedule.description }, 'continuous query created');
  }

  drop(database: string, name: string): void {
    const before = this.cqs.length;
    this.cqs = this.cqs.filter((q) => !(q.database === database && q.name === name));
    if (this.cqs.length !== before) {
      this.save();
      this.opts.onChange?.();
    }
  }

  list(database: string): { name: string; query: string }[] {
    return this.cqs.filter((q) => q.database === database).map((q) => ({ name: q.name, query: q.query }));
  }

  dropDatabase(database: string): void {
    const before = this.cqs.length;
    this.cqs = this.cqs.filter((q) => q.database !== database);
    if (this.cqs.length !== before) this.save();
  }

  /** Run figures per CQ, for metrics. */
  stats(): { database: string; name: string; stats: RunStats }[] {
    return this.cqs.map((q) => ({ database: q.database, name: q.name, stats: { ...q.stats } }));
  }

  // -- the scheduled job ------------------------------------------------------------------

  /** The earliest next run (at or before now when one is due: a run was missed). */
  nextDue(_now: number): number {
    let next = Infinity;
    for (const q of this.cqs) next = Math.min(next, q.schedule.next(q.lastDone));
    return next;
  }

  /** Runs every due run of every CQ: each CQ's missed runs once each, oldest first. */
  async runDue(now: number): Promise<void> {
    for (const q of [...this.cqs]) {
      // A database dropped by some other path than DROP DATABASE takes its CQs too.
      if (!this.opts.engine.hasDatabase(q.database)) {
        this.dropDatabase(q.database);
        continue;
      }
      const { runs, skipped } = dueRuns(q.schedule, q.lastDone, now, this.opts.maxCatchUp ?? DEFAULT_MAX_CATCH_UP);
      if (skipped > 0) {
        this.opts.logger.warn(
          { db: q.database, cq: q.name, skipped, kept: runs.length },
          'continuous query missed more runs than the catch-up limit: only the latest are run',
        );
      }
      for (const t of runs) {
        if (!this.cqs.includes(q)) break; // dropped meanwhile
        if (!(await this.runOnce(q, t))) return;
      }
    }
  }

  /** One run; false when the engine is closed (the run is not recorded and catch-up stops). */
  private async runOnce(q: Cq, at: number): Promise<boolean> {
    const w = windowOf(q, at);
    this.opts.beforeRun?.({ database: q.database, name: q.name, at });
    const t0 = performance.now();
    let points = 0;
    let error: string | undefined;
    if (w) {
      try {
        points = await this.execute(q, w.start, w.end, at);
        // Under --fsync interval/off the INTO write may not be on disk yet: it must be
        // before the run is recorded as done, or a crash would leave a gap.
        await this.opts.engine.syncWal();
        this.opts.afterWrite?.({ database: q.database, name: q.name, at });
      } catch (err) {
        if ((err as StrataError).code === 'STRATA_ERR_CLOSED') return false;
        error = (err as Error).message;
      }
    }
    const durationMs = performance.now() - t0;
    q.stats.runs++;
    if (error !== undefined) {
      q.stats.failures++;
      q.stats.lastError = error;
    } else {
      q.stats.lastError = null;
    }
    q.stats.lastRun = at;
    q.stats.lastDurationMs = durationMs;
    q.stats.lastPoints = points;
    q.lastDone = at;
    if (this.cqs.includes(q)) this.save();
    const ev: CqRunEvent = { database: q.database, name: q.name, at, start: w?.start ?? 0n, end: w?.end ?? 0n, points, durationMs, ...(error !== undefined ? { error } : {}) };
    const fields = {
      db: q.database,
      cq: q.name,
      at: new Date(at).toISOString(),
      start: w ? isoNs(w.start) : null,
      end: w ? isoNs(w.end) : null,
      points,
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    if (error !== undefined) this.opts.logger.error({ ...fields, err: error }, 'continuous query failed');
    else this.opts.logger.info(fields, 'continuous query ran');
    this.opts.onRun?.(ev);
    return true;
  }

  /** Runs the SELECT ... INTO over [start, end); returns the points written. */
  private async execute(q: Cq, start: bigint, end: bigint, at: number): Promise<number> {
    // From the stored text each time, as InfluxDB does: the run never shares AST nodes.
    const stmt = parseStatement(q.query) as CreateContinuousQueryStatement;
    const select = stmt.source;
    select.condition = withTimeRange(select.condition, start, end);
    const ctx: QueryContext = { engine: this.opts.engine, database: q.database, now: BigInt(at) * MS };
    const out = await executeSelect(ctx, select);
    const written = out[0]?.values[0]?.[1];
    return typeof written === 'bigint' ? Number(written) : 0;
  }

  private find(database: string, name: string): Cq | undefined {
    return this.cqs.find((q) => q.database === database && q.name === name);
  }

  private make(stmt: CreateContinuousQueryStatement, query: string, lastDone: number | null): Cq {
    // InfluxDB accepts these and fails every run with this message; refusing them at
    // CREATE says so once, where the user sees it.
    if (stmt.source.isRawQuery) throw new Error('continuous queries must be aggregate queries');
    const interval = groupByInterval(stmt.source);
    if (interval <= 0n) throw new Error('continuous queries must have a GROUP BY time() interval');
    const offset = groupByOffset(stmt.source, interval);
    const every = stmt.resampleEvery !== 0n ? stmt.resampleEvery : interval;
    // The runner keeps ms; an interval under 1 ms runs every ms (InfluxDB checks every 1 s).
    const schedule = stmt.resampleCron
      ? cronSchedule(stmt.resampleCron.expr, stmt.resampleCron.tz ?? 'UTC')
      : intervalSchedule(Math.max(1, Number(every / MS)), Number(offset / MS));
    // A new CQ first runs at the first boundary at or after its creation: InfluxDB's first
    // check of a new CQ computes an empty window unless it falls on a boundary.
    const base = lastDone ?? this.opts.now() - 1;
    return {
      database: stmt.database,
      name: stmt.name,
      query,
      stmt,
      schedule,
      interval,
      offset,
      lastDone: base,
      stats: { runs: 0, failures: 0, lastRun: null, lastDurationMs: 0, lastPoints: 0, lastError: null },
    };
  }

  private save(): void {
    const data: CqFile = {
      version: 1,
      queries: this.cqs.map((q) => ({ database: q.database, name: q.name, query: q.query, lastDone: q.lastDone })),
    };
    writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n');
  }
}

/** InfluxDB's window of the run at `at` ms (see the file comment); null when empty. */
function windowOf(q: Cq, at: number): { start: bigint; end: bigint } | null {
  const t = BigInt(at) * MS;
  const { interval, offset } = q;
  if (q.stmt.resampleCron) {
    // Strata's RESAMPLE CRON: up to the last whole interval before the run, from the
    // interval holding the previous run (or RESAMPLE FOR back), so consecutive runs cover
    // time without gaps however irregular the cron times are.
    const end = floorTo(t - offset, interval) + offset;
    const start =
      q.stmt.resampleFor !== 0n
        ? floorTo(t + interval - q.stmt.resampleFor - offset - 1n, interval) + offset
        : floorTo(BigInt(q.schedule.prevAtOrBefore(at - 1)) * MS - offset, interval) + offset;
    return end > start ? { start, end } : null;
  }
  let every = q.stmt.resampleEvery !== 0n ? q.stmt.resampleEvery : interval;
  let resampleFor = interval;
  if (q.stmt.resampleFor !== 0n) resampleFor = q.stmt.resampleFor;
  else if (interval < every) resampleFor = every;
  if (interval < every) every = interval;
  const start = floorTo(t + interval - resampleFor - offset - 1n, interval) + offset;
  const end = floorTo(t + interval - every - offset, interval) + offset;
  return end > start ? { start, end } : null;
}

function floorTo(t: bigint, d: bigint): bigint {
  const r = t % d;
  return r < 0n ? t - r - d : t - r;
}

/** GROUP BY time(i, offset)'s offset in [0, i), ns. */
function groupByOffset(s: SelectStatement, interval: bigint): bigint {
  for (const d of s.dimensions) {
    const e = d.expr;
    if (e.type === 'Call' && e.name === 'time' && e.args.length === 2 && e.args[1].type === 'DurationLiteral') {
      const o = e.args[1].val % interval;
      return o < 0n ? o + interval : o;
    }
  }
  return 0n;
}

function forEachMeasurement(s: SelectStatement, fn: (m: Measurement) => void): void {
  if (s.target) fn(s.target.measurement);
  for (const src of s.sources) {
    if (src.type === 'SubQuery') forEachMeasurement(src.statement, fn);
    else fn(src);
  }
}

/** Go's SelectStatement.SetTimeRange: the condition without its time comparisons, AND
 * `time >= start AND time < end`. */
export function withTimeRange(cond: Expr | null, start: bigint, end: bigint): Expr {
  const time = (): Expr => ({ type: 'VarRef', val: 'time', dataType: 'unknown' });
  const range: Expr = {
    type: 'BinaryExpr',
    op: 'AND',
    lhs: { type: 'BinaryExpr', op: '>=', lhs: time(), rhs: { type: 'TimeLiteral', val: start } },
    rhs: { type: 'BinaryExpr', op: '<', lhs: time(), rhs: { type: 'TimeLiteral', val: end } },
  };
  const rest = cond ? withoutTime(cond) : null;
  return rest ? { type: 'BinaryExpr', op: 'AND', lhs: { type: 'ParenExpr', expr: rest }, rhs: range } : range;
}

function withoutTime(e: Expr): Expr | null {
  const isTime = (x: Expr) => x.type === 'VarRef' && x.val.toLowerCase() === 'time';
  switch (e.type) {
    case 'ParenExpr': {
      const inner = withoutTime(e.expr);
      return inner ? { type: 'ParenExpr', expr: inner } : null;
    }
    case 'BinaryExpr': {
      if (e.op === 'AND' || e.op === 'OR') {
        const l = withoutTime(e.lhs);
        const r = withoutTime(e.rhs);
        if (!l) return r;
        if (!r) return l;
        return { ...e, lhs: l, rhs: r };
      }
      return isTime(e.lhs) || isTime(e.rhs) ? null : e;
    }
    default:
      return e;
  }
}

function isoNs(ns: bigint): string {
  const ms = ns / MS;
  const rest = ns % MS;
  const iso = new Date(Number(ms)).toISOString();
  return rest === 0n ? iso : iso.replace('Z', '') + String(rest).padStart(6, '0') + 'Z';
}
