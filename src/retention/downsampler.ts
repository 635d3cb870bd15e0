// The downsampler: rolls every retention policy's points up into its downsampling tiers
// (docs/retention.md, "Tiers" and "Downsampler").
//
// Per tier a watermark: every window ending at or before it is rolled. A tick moves each
// tier's watermark up to the last complete window (tier 0 from the raw points, tier k
// from tier k-1 and never past tier k-1's watermark), a chunk at a time: read the chunk's
// source points with select(), fold them into windows (rollup.ts), write the rollup points
// with fsync, and only then advance the watermark and publish it in `rollups.json`. A crash
// anywhere in a chunk re-rolls the chunk, which writes the same points with the same
// values over themselves: rolling is idempotent, no point is counted twice.
//
// Chunks are bounded in windows and, adaptively, in source points, and the event loop is
// yielded to between chunks and between measurements: ingest keeps flowing while a long
// backlog is rolled.
//
// Late points: the engine reports every write's span and times (Database.observeWrites).
// A point below a tier-0 watermark (or inside the chunk being rolled) marks its window
// dirty if it arrived within the tier's grace after the window ended, else it is counted
// as dropped late (it stays in the raw data). Dirty windows are rolled again at the next
// tick, and the coarser tiers' windows holding them after them.

import fs from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database, WrittenPoints } from '../engine/database.js';
import { removeStaleTemp, writeFileAtomic, type TierInfo } from '../engine/meta.js';
import { wordsOf } from '../int64.js';
import { silentLogger, type Logger, type SeriesColumn } from '../types.js';
import { coarsen, windowStart } from './rollup.js';
import { rollupBatch, windowsOfRaw, windowsOfTier, type SeriesWindows } from './tierWrite.js';
import { WindowRanges } from './windowRanges.js';

export interface DownsamplerOptions {
  db: Database;
  /** Where `rollups.json` (the watermarks) lives: the database's data dir. */
  dataDir: string;
  logger?: Logger;
  /** Clock, ns since the epoch (tests pass a fake one). */
  now?: () => bigint;
  /** Most windows of a tier per chunk (default 60). */
  chunkWindows?: number;
  /** Source points a chunk aims to stay under (default 50,000): the chunk's span shrinks
   * or grows to match what the last one read. */
  chunkPoints?: number;
  /** Called after each chunk is durable (progress for tools and tests). */
  onChunk?: (p: ChunkProgress) => void;
}

export interface ChunkProgress {
  db: string;
  rp: string;
  tier: string;
  /** `roll`: the watermark moved; `reroll`: dirty windows below it were rolled again. */
  kind: 'roll' | 'reroll';
  start: bigint;
  end: bigint;
  watermark: bigint;
  pointsRead: number;
  pointsWritten: number;
}

export interface TierStats {
  db: string;
  /** The policy rolled up. */
  rp: string;
  /** The tier's own policy, `<rp>:<resolution>`. */
  tier: string;
  resolution: bigint;
  /** Every window ending at or before it is rolled (null: not started, no data yet). */
  watermark: bigint | null;
  /** now - watermark, ns (null when not started). */
  lag: bigint | null;
  /** Window slots rolled, including re-rolls. */
  windowsRolled: number;
  /** Window slots rolled again (late points, restarts). */
  rerolls: number;
  pointsRead: number;
  pointsWritten: number;
  /** Rollup points the engine refused (e.g. a field type clash); logged. */
  pointsRejected: number;
  /** Late points that arrived after their window's grace: in raw data, not in the tier. */
  droppedLate: number;
  /** Window slots waiting to be rolled again. */
  dirtyWindows: number;
  errors: number;
}

/** What one tick did, summed over every tier. */
export interface TickResult {
  ms: number;
  windowsRolled: number;
  rerolls: number;
  pointsRead: number;
  pointsWritten: number;
  /** Late points counted dropped since the last tick (they arrive between ticks). */
  droppedLate: number;
  errors: number;
}

export interface TierBytes {
  db: string;
  rp: string;
  /** "raw" or the tier's policy name. */
  tier: string;
  bytes: number;
}

export interface DownsamplerStats {
  ticks: number;
  /** Failed ticks and failed tiers within ticks. */
  errors: number;
  running: boolean;
  lastTickMs: number;
  tiers: TierStats[];
}

/** A tier as the downsampler tracks it. */
interface TierState {
  db: string;
  rp: string;
  info: TierInfo;
  /** The policy read: the parent for tier 0, the tier before for the others. */
  source: string;
  watermark: bigint | null;
  /** End of the chunk being rolled (tier 0): points below it are late for the observer. */
  rolling: bigint | null;
  dirty: WindowRanges;
  /** Chunk span in windows, adapted to the points the last chunk read. */
  span: number;
  stats: Omit<TierStats, 'db' | 'rp' | 'tier' | 'resolution' | 'watermark' | 'lag' | 'dirtyWindows'>;
}

interface PolicyTiers {
  db: string;
  rp: string;
  tiers: TierState[];
}

interface StateFile {
  version: 1;
  /** db → tier policy → its resolution and watermark (ns, decimal strings). */
  tiers: Record<string, Record<string, { resolution: string; watermark: string }>>;
}

const STATE_FILE = 'rollups.json';
/** Output points per writeBatch: bounds how long one write holds the event loop. */
const WRITE_POINTS = 2048;
const realNow = (): bigint => BigInt(Date.now()) * 1_000_000n;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Downsampler {
  private readonly db: Database;
  private readonly file: string;
  private readonly log: Logger;
  private readonly now: () => bigint;
  private readonly chunkWindows: number;
  private readonly chunkPoints: number;
  private readonly onChunk: ((p: ChunkProgress) => void) | undefined;
  /** Watermarks read from rollups.json not yet matched with a configured tier. */
  private saved: StateFile;
  private policies: PolicyTiers[] = [];
  /** `${db}\0${tier}` → state. */
  private readonly states = new Map<string, TierState>();
  /** db → parent rp → its tier 0 (what the write observer looks up). */
  private readonly firstTier = new Map<string, Map<string, TierState>>();
  private readonly unobserve: () => void;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly counters = { ticks: 0, errors: 0, lastTickMs: 0 };
  /** A watermark moved without being persisted (see rollTier), and when it last was. */
  private unsaved = false;
  private persistedAt = 0;

  constructor(opts: DownsamplerOptions) {
    this.db = opts.db;
    this.file = path.join(opts.dataDir, STATE_FILE);
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? realNow;
    this.chunkWindows = Math.max(1, Math.floor(opts.chunkWindows ?? 60));
    this.chunkPoints = Math.max(1, Math.floor(opts.chunkPoints ?? 20_000));
    this.onChunk = opts.onChunk;
    removeStaleTemp(this.file);
    this.saved = loadState(this.file);
    this.unobserve = this.db.observeWrites((db, rp, min, max, points) => this.observe(db, rp, min, max, points));
    // Late points are watched from now on, not from the first tick.
    this.sync();
  }

  // ---- public -------------------------------------------------------------------------

  /** Where tier `tier` (its policy name) of `db` is complete: every window ending at or
   * before it is rolled. null: not started. */
  watermark(db: string, tier: string): bigint | null {
    const s = this.states.get(`${db}\u0000${tier}`);
    if (s) return s.watermark;
    const saved = this.saved.tiers[db]?.[tier];
    return saved ? BigInt(saved.watermark) : null;
  }

  /** Rolls everything complete; a tick already running is waited for, then a new one runs.
   * Never throws: failures are logged and counted (TickResult.errors). */
  async tick(): Promise<TickResult> {
    while (this.running) await this.running.catch(() => {});
    const sum = () => {
      const a = { windowsRolled: 0, rerolls: 0, pointsRead: 0, pointsWritten: 0, droppedLate: 0 };
      for (const t of this.states.values()) for (const k of Object.keys(a) as (keyof typeof a)[]) a[k] += t.stats[k];
      return a;
    };
    const before = sum();
    const errors = this.counters.errors;
    const run = this.tickOnce();
    this.running = run;
    try {
      await run;
    } finally {
      if (this.running === run) this.running = null;
    }
    const after = sum();
    const out = { ms: this.counters.lastTickMs, errors: this.counters.errors - errors } as TickResult;
    for (const k of Object.keys(after) as (keyof typeof after)[]) out[k] = after[k] - before[k];
    if (out.windowsRolled > 0 || out.errors > 0 || out.droppedLate > 0) this.log.info({ ...out, ms: Math.round(out.ms) }, 'rollup tick');
    return out;
  }

  /** Ticks every `everyMs` (an unref'd timer; a tick still running is not doubled). */
  start(everyMs: number): void {
    if (this.timer) clearInterval(this.timer);
    this.stopping = false;
    this.timer = setInterval(() => {
      if (this.running || this.stopping) return;
      this.tick().catch(() => {});
    }, everyMs);
    this.timer.unref();
  }

  /** Stops the timer; a running tick ends after its current chunk and is waited for. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopping = true;
    while (this.running) await this.running.catch(() => {});
    this.stopping = false;
  }

  /** stop() and stop observing writes (before the database closes). */
  async close(): Promise<void> {
    await this.stop();
    this.unobserve();
  }

  stats(): DownsamplerStats {
    const now = this.now();
    const tiers: TierStats[] = [];
    for (const p of this.policies) {
      for (const t of p.tiers) {
        tiers.push({
          db: t.db,
          rp: t.rp,
          tier: t.info.name,
          resolution: t.info.resolution,
          watermark: t.watermark,
          lag: t.watermark === null ? null : now - t.watermark,
          dirtyWindows: Number(t.dirty.span() / t.info.resolution),
          ...t.stats,
        });
      }
    }
    return { ...this.counters, running: this.running !== null, tiers };
  }

  /** Bytes of TSM files per policy: tier "raw" for a policy's own points, the tier's
   * policy name for its rollups (strata_tier_bytes). */
  tierBytes(): TierBytes[] {
    const parentOf = new Map<string, string>();
    for (const db of this.db.databases()) {
      for (const rp of Object.keys(this.db.retentionPolicies(db))) {
        for (const t of this.db.tiersOf(db, rp)) parentOf.set(`${db}\u0000${t.name}`, rp);
      }
    }
    const sums = new Map<string, TierBytes>();
    for (const s of this.db.shardStats()) {
      const parent = parentOf.get(`${s.db}\u0000${s.rp}`);
      const e: TierBytes = parent === undefined ? { db: s.db, rp: s.rp, tier: 'raw', bytes: 0 } : { db: s.db, rp: parent, tier: s.rp, bytes: 0 };
      const id = `${e.db}\u0000${e.rp}\u0000${e.tier}`;
      const have = sums.get(id);
      if (have) have.bytes += s.bytes;
      else sums.set(id, { ...e, bytes: s.bytes });
    }
    return [...sums.values()];
  }

  // ---- the tick -----------------------------------------------------------------------

  private async tickOnce(): Promise<void> {
    const t0 = performance.now();
    try {
      this.sync();
      for (const p of this.policies) {
        for (let k = 0; k < p.tiers.length; k++) {
          if (this.stopping) return;
          const t = p.tiers[k];
          try {
            await this.rollTier(p, k);
          } catch (err) {
            t.stats.errors++;
            this.counters.errors++;
            this.log.error({ db: p.db, rp: p.rp, tier: t.info.name, err: (err as Error).message }, 'rollup failed; it is retried at the next tick');
          }
        }
      }
    } catch (err) {
      this.counters.errors++;
      this.log.error({ err: (err as Error).message }, 'rollup tick failed; the next tick goes on');
    } finally {
      this.counters.ticks++;
      this.counters.lastTickMs = performance.now() - t0;
    }
  }

  /** Re-rolls tier k's dirty windows, then moves its watermark to its last complete window. */
  private async rollTier(p: PolicyTiers, k: number): Promise<void> {
    const t = p.tiers[k];
    const res = t.info.resolution;
    const below = k > 0 ? p.tiers[k - 1].watermark : null;
    if (k > 0 && below === null) return;
    const target = windowStart(k === 0 ? this.now() : below!, res);
    if (t.watermark === null) {
      // Start at the window holding the source's oldest point (not at 1970), or, for a
      // coarser tier whose source is still empty, where the tier below starts. Not while
      // the source holds only future points (a device with a wrong clock): starting there
      // would make every point of the present late.
      const oldest = this.db.oldestTime(p.db, t.source) ?? below;
      if (oldest === null || windowStart(oldest, res) > target) return;
      t.watermark = windowStart(oldest, res);
      this.persist();
    }
    // Dirty windows at or above the watermark are rolled by moving it.
    t.dirty.remove(t.watermark, MAX_NS);
    while (!t.dirty.isEmpty && !this.stopping) {
      const [lo, hi] = t.dirty.first()!;
      const end = minBig(hi, lo + BigInt(t.span) * res);
      // Taken before reading: a late point that lands meanwhile marks it dirty again.
      t.dirty.remove(lo, end);
      let done: { read: number; written: number };
      try {
        done = await this.rollChunk(p, t, lo, end);
      } catch (err) {
        t.dirty.add(lo, end);
        throw err;
      }
      const windows = Number((end - lo) / res);
      t.stats.rerolls += windows;
      t.stats.windowsRolled += windows;
      this.adapt(t, done.read);
      // The coarser tiers' windows holding these were rolled from the old values.
      const next = p.tiers[k + 1];
      if (next?.watermark != null) {
        const r = next.info.resolution;
        next.dirty.add(windowStart(lo, r), minBig(next.watermark, -windowStart(-end, r)));
      }
      this.onChunk?.({ db: p.db, rp: p.rp, tier: t.info.name, kind: 'reroll', start: lo, end, watermark: t.watermark, pointsRead: done.read, pointsWritten: done.written });
      await yieldToLoop();
    }
    while (t.watermark < target && !this.stopping) {
      const start = t.watermark;
      const end = minBig(target, start + BigInt(t.span) * res);
      t.rolling = end;
      let done: { read: number; written: number };
      try {
        done = await this.rollChunk(p, t, start, end);
      } finally {
        t.rolling = null;
      }
      t.watermark = end;
      // A chunk that wrote nothing need not be remembered at once: after a crash it is
      // read again, as empty as it was (or with what arrived since, which is right). So a
      // sparse backlog does not cost an fsync per empty chunk.
      if (done.written > 0 || performance.now() - this.persistedAt > 1000) this.persist();
      else this.unsaved = true;
      t.stats.windowsRolled += Number((end - start) / res);
      this.adapt(t, done.read);
      this.onChunk?.({ db: p.db, rp: p.rp, tier: t.info.name, kind: 'roll', start, end, watermark: end, pointsRead: done.read, pointsWritten: done.written });
      await yieldToLoop();
    }
    if (this.unsaved) this.persist();
  }

  /** Rolls the windows of [start, end) of one tier, every measurement, and writes them durably. */
  private async rollChunk(p: PolicyTiers, t: TierState, start: bigint, end: bigint): Promise<{ read: number; written: number }> {
    let read = 0;
    let written = 0;
    const raw = t.source === p.rp;
    for (const m of this.db.measurements(p.db)) {
      let cols: SeriesColumn[];
      if (raw) {
        const types = this.db.fieldTypes(p.db, m);
        const fields = Object.keys(types).filter((f) => types[f] === 'float' || types[f] === 'integer' || types[f] === 'unsigned');
        if (fields.length === 0) continue;
        cols = this.db.select({ db: p.db, rp: t.source, measurement: m, field: fields, start, end });
      } else {
        cols = this.db.select({ db: p.db, rp: t.source, measurement: m, start, end });
      }
      if (cols.length === 0) continue;
      let items: SeriesWindows[];
      if (raw) {
        const r = windowsOfRaw(cols, t.info.resolution);
        items = r.items;
        read += r.read;
      } else {
        const r = windowsOfTier(cols);
        if (r.bad.length > 0) this.log.warn({ db: p.db, tier: t.source, measurement: m, series: r.bad.slice(0, 5), count: r.bad.length }, 'rollup points with missing fields were skipped');
        items = r.items.map((it) => ({ ...it, w: coarsen(it.w, t.info.resolution) }));
        read += r.read;
      }
      written += await this.writeItems(p, t, items);
      await yieldToLoop();
    }
    t.stats.pointsRead += read;
    t.stats.pointsWritten += written;
    return { read, written };
  }

  /** Writes the rollup points of `items` with fsync, in batches of about WRITE_POINTS. */
  private async writeItems(p: PolicyTiers, t: TierState, items: SeriesWindows[]): Promise<number> {
    let written = 0;
    for (let a = 0; a < items.length; ) {
      let n = 0;
      let b = a;
      while (b < items.length && (b === a || n + items[b].w.start.length <= WRITE_POINTS)) n += items[b++].w.start.length;
      const res = await this.db.writeBatch(rollupBatch(items.slice(a, b)), { db: p.db, rp: t.info.name, rollup: true, fsync: 'always' });
      written += res.points;
      // Windows older than the tier keeps are refused by the engine as any old point is:
      // expected while a backlog is rolled. Anything else is a real problem, but retrying
      // cannot fix it (e.g. a field type clash), so it is counted and logged, not retried.
      const other = res.errors.filter((e) => e.kind !== 'retention');
      if (other.length > 0) {
        t.stats.pointsRejected += other.length;
        this.log.error({ db: p.db, tier: t.info.name, rejected: other.length, first: other[0].message }, 'rollup points were refused');
      }
      a = b;
      if (a < items.length) await yieldToLoop();
    }
    return written;
  }

  /** The next chunk's span: as many windows as keep it near chunkPoints source points. */
  private adapt(t: TierState, read: number): void {
    const want = read === 0 ? t.span * 4 : Math.floor((t.span * this.chunkPoints) / read);
    t.span = Math.max(1, Math.min(this.chunkWindows, t.span * 4, want));
  }

  // ---- configuration and state --------------------------------------------------------

  /** Matches the tracked tiers with the catalogue: new tiers start, dropped ones go. */
  private sync(): void {
    const policies: PolicyTiers[] = [];
    const seen = new Set<string>();
    this.firstTier.clear();
    for (const db of this.db.databases()) {
      for (const rp of Object.keys(this.db.retentionPolicies(db))) {
        const infos = this.db.tiersOf(db, rp);
        if (infos.length === 0) continue;
        const tiers: TierState[] = [];
        infos.forEach((info, k) => {
          const id = `${db}\u0000${info.name}`;
          seen.add(id);
          let s = this.states.get(id);
          if (s && (s.info.resolution !== info.resolution || s.rp !== rp)) s = undefined;
          if (s) s.info = info;
          else {
            s = this.newState(db, rp, info, k === 0 ? rp : infos[k - 1].name);
            this.states.set(id, s);
          }
          tiers.push(s);
        });
        policies.push({ db, rp, tiers });
        let m = this.firstTier.get(db);
        if (!m) this.firstTier.set(db, (m = new Map()));
        m.set(rp, tiers[0]);
      }
    }
    for (const id of [...this.states.keys()]) if (!seen.has(id)) this.states.delete(id);
    this.policies = policies;
    // Watermarks of tiers no longer configured are forgotten, so a tier set again later
    // starts from its data instead of from an old watermark.
    let stale = false;
    for (const [db, tiers] of Object.entries(this.saved.tiers)) {
      for (const name of Object.keys(tiers)) if (!seen.has(`${db}\u0000${name}`)) stale = true;
    }
    if (stale) this.persist();
  }

  private newState(db: string, rp: string, info: TierInfo, source: string): TierState {
    const s: TierState = {
      db,
      rp,
      info,
      source,
      watermark: null,
      rolling: null,
      dirty: new WindowRanges(),
      span: 1,
      stats: { windowsRolled: 0, rerolls: 0, pointsRead: 0, pointsWritten: 0, pointsRejected: 0, droppedLate: 0, errors: 0 },
    };
    const saved = this.saved.tiers[db]?.[info.name];
    if (saved && BigInt(saved.resolution) === info.resolution) {
      s.watermark = BigInt(saved.watermark);
      // Dirty marks are not persisted: after a restart the windows within grace below the
      // watermark are rolled again once, so late points that arrived before it count.
      s.dirty.add(windowStart(s.watermark - info.grace, info.resolution), s.watermark);
    }
    return s;
  }

  /** Publishes every tier's watermark in rollups.json (atomic replace, fsynced). */
  private persist(): void {
    const out: StateFile = { version: 1, tiers: {} };
    for (const s of this.states.values()) {
      if (s.watermark === null) continue;
      (out.tiers[s.db] ??= {})[s.info.name] = { resolution: s.info.resolution.toString(), watermark: s.watermark.toString() };
    }
    writeFileAtomic(this.file, JSON.stringify(out, null, 1) + '\n');
    this.saved = out;
    this.unsaved = false;
    this.persistedAt = performance.now();
  }

  // ---- late points --------------------------------------------------------------------

  /** The write observer: marks the windows of late points dirty, or counts them dropped. */
  private observe(db: string, rp: string, min: bigint, _max: bigint, points: WrittenPoints): void {
    const t = this.firstTier.get(db)?.get(rp);
    if (!t || t.watermark === null) return;
    const rolled = t.watermark;
    const late = t.rolling ?? rolled;
    if (min >= late) return;
    const res = t.info.resolution;
    const now = this.now();
    const [lHi, lLo] = wordsOf(late);
    const { time, mask, count } = points;
    let runLo = 0n;
    let runHi = 0n;
    let run = false;
    let dropped = 0;
    for (let i = 0; i < count; i++) {
      if (mask !== null && mask[i] === 0) continue;
      const hi = time[2 * i + 1] | 0;
      const lo = time[2 * i];
      if (hi > lHi || (hi === lHi && lo >= lLo)) continue;
      const ts = (BigInt(hi) << 32n) | BigInt(lo);
      const s = windowStart(ts, res);
      // In a window already rolled: it still counts if it came within grace of the
      // window's end (decided on arrival, so a slow tick never drops it). In the chunk
      // being rolled, it may have been read or not: rolled again to be sure.
      if (ts < rolled && s + res + t.info.grace <= now) {
        dropped++;
        continue;
      }
      if (run && s >= runLo && s <= runHi) {
        if (s === runHi) runHi = s + res;
        continue;
      }
      if (run) t.dirty.add(runLo, runHi);
      run = true;
      runLo = s;
      runHi = s + res;
    }
    if (run) t.dirty.add(runLo, runHi);
    t.stats.droppedLate += dropped;
  }
}

const MAX_NS = 0x7fffffffffffffffn;

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function loadState(file: string): StateFile {
  if (!fs.existsSync(file)) return { version: 1, tiers: {} };
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
  if (j?.version !== 1 || typeof j.tiers !== 'object' || j.tiers === null) throw new Error(`${file}: not a rollup state file of version 1; move it away to roll the tiers again from their data`);
  return j;
}

// ---- metrics --------------------------------------------------------------------------

/** The downsampler's figures in a prom-client registry, read at each scrape. */
export function registerDownsamplerMetrics(registry: Registry, ds: Downsampler): void {
  const tiers = () => {
    try {
      return ds.stats().tiers;
    } catch {
      return [];
    }
  };
  const labelNames = ['db', 'rp', 'tier'] as const;
  const perTier = (name: string, help: string, pick: (t: TierStats) => number) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const t of tiers()) this.inc({ db: t.db, rp: t.rp, tier: t.tier }, pick(t));
      },
    });
  new Gauge({
    name: 'strata_rollup_watermark_seconds',
    help: 'Per downsampling tier, the time up to which its rollups are complete (every window ending at or before it is rolled), seconds since the epoch.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tiers()) if (t.watermark !== null) this.set({ db: t.db, rp: t.rp, tier: t.tier }, Number(t.watermark) / 1e9);
    },
  });
  new Gauge({
    name: 'strata_rollup_lag_seconds',
    help: 'Per downsampling tier, how far its watermark is behind now, seconds.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tiers()) if (t.lag !== null) this.set({ db: t.db, rp: t.rp, tier: t.tier }, Number(t.lag) / 1e9);
    },
  });
  perTier('strata_rollup_windows_total', 'Window slots rolled up per tier, re-rolls included.', (t) => t.windowsRolled);
  perTier('strata_rollup_rerolls_total', 'Window slots rolled again per tier (late points within grace, restarts).', (t) => t.rerolls);
  perTier('strata_rollup_points_dropped_late_total', 'Points written after their window\'s grace period ended: kept in raw data, not in the tier (labelled with the finest tier).', (t) => t.droppedLate);
  perTier('strata_rollup_points_written_total', 'Rollup points written per tier (one per series, field and window).', (t) => t.pointsWritten);
  new Counter({
    name: 'strata_rollup_errors_total',
    help: 'Failed rollups (a tier of a tick; retried at the next tick) and refused rollup points.',
    registers: [registry],
    collect() {
      this.reset();
      let n = ds.stats().errors;
      for (const t of tiers()) n += t.pointsRejected;
      this.inc(n);
    },
  });
  new Gauge({
    name: 'strata_tier_bytes',
    help: 'Bytes of TSM files per retention policy: tier="raw" for a policy\'s own points, tier=<rp>:<resolution> for its downsampling tiers.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      let sums: TierBytes[];
      try {
        sums = ds.tierBytes();
      } catch {
        return; // closed: report nothing rather than fail the scrape
      }
      for (const e of sums) this.set({ db: e.db, rp: e.rp, tier: e.tier }, e.bytes);
    },
  });
}

