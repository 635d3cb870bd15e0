// The engine: the one module that knows both the WAL and the memtable.
//
// A write is parsed (src/ingest), its field types are checked against what is stored and
// its new series get ids in the database's index, the accepted lines are appended to the
// WAL as one record, applied to the memtable, and acknowledged once the WAL is as durable
// as the write's fsync mode asks. Start-up replays the WAL through the same path, so what
// was acknowledged before a crash is there after it.
//
// When the memtable passes its size limit it is frozen (reads still see it), an empty one
// takes the writes, and flush.ts turns the frozen one into TSM files in a worker thread;
// then the WAL segments it covered are deleted (the InfluxDB tsm1 cache snapshot).

import fs from 'node:fs';
import path from 'node:path';
import { PointBatch } from '../ingest/batch.js';
import { LineProtocolParser } from '../ingest/lineprotocol.js';
import { measurementOf, seriesKeyTags } from '../ingest/seriesKey.js';
import { pointsToLineProtocol } from '../ingest/serialize.js';
import { Memtable, type Partition } from '../memtable/memtable.js';
import { BlockCache, defaultResidentBytes, ResidentSet } from '../tsm/index.js';
import { Wal, type WalPosition, type WalRead, type WalRecord } from '../wal/wal.js';
import { badRequest, closedError, databaseNotFound, OverloadedError, StrataError } from '../errors.js';
import {
  FSYNC_STRENGTH,
  fieldTypeName,
  silentLogger,
  type FieldTypeCode,
  type FsyncMode,
  type LineError,
  type Logger,
  type Point,
  type Precision,
  type SelectRequest,
  type SeriesColumn,
  type WriteOptions,
  type WriteResult,
} from '../types.js';
import { compactShard, type CompactDeps } from './compaction.js';
import { flushMemtable, type FlushResult } from './flush.js';
import { Meta, validateName, writeFileAtomic, type TierInfo, type TierSpec } from './meta.js';
import { selectColumns, selectFloatColumns, type FloatSelectRequest, type FloatSeriesColumn } from './read.js';
import {
  decodeLineProtocolRecord,
  decodePointBatchRecord,
  encodeLineProtocolHeader,
  encodePointBatchRecord,
  RECORD_LINE_PROTOCOL,
  RECORD_POINT_BATCH,
} from './records.js';
import { DbStore, shardDurationFor } from './storage.js';
import { FileWorker } from './worker.js';
import type { TagMatcher } from '../types.js';
import type { Shard } from './storage.js';
import { applyDelete, checkMatchers, type DeleteRequest, type DeleteResult, type DeleteTarget, type DropSeriesRequest } from './deletes.js';
import { decodeDeleteRecord, encodeDeleteRecord, RECORD_DELETE, type DeleteSpec } from './records.js';
import { MAX_TIME, MIN_TIME, ShardTombstones, TombstoneRegistry } from './tombstones.js';
import { wordsOf } from '../int64.js';
import { dropExpired } from './retention.js';
import { ROLLUP_AGGS } from '../retention/rollup.js';

export type { DeleteRequest, DeleteResult, DropSeriesRequest };

export interface OpenOptions {
  dataDir: string;
  /** Default durability of writes (default `always`: a 2xx means on disk). */
  fsync?: FsyncMode;
  /** fsync period for `interval` mode, ms (default 1000). */
  fsyncIntervalMs?: number;
  /** Create a database on its first write (default true, as InfluxDB 1.x clients expect). */
  autoCreateDatabases?: boolean;
  walSegmentSize?: number;
  /** Truncate a damaged WAL segment at the damage instead of refusing to open. */
  repairWal?: boolean;
  /** The memtable is flushed to TSM files when it holds more than this (default 64 MiB). */
  memtableBytes?: number;
  /** Byte budget of the decoded-block cache (default 64 MiB). */
  blockCacheBytes?: number;
  /**
   * Byte budget of resident TSM data (src/tsm/resident.ts): the blocks of the newest TSM
   * files held in memory, read without a pread (default defaultResidentBytes(): 256 MiB,
   * or an eighth of the machine's memory if less; 0: none).
   */
  residentBytes?: number;
  /**
   * Memory budget of memtables + block cache (default 1 GiB). When the memtables (active
   * and being flushed) reach what the budget leaves them, writes are refused with
   * OverloadedError (HTTP 503 + Retry-After) until flushing catches up.
   */
  memoryBudget?: number;
  /** Most live series per database (default 1,000,000; 0: no limit). */
  maxSeries?: number;
  logger?: Logger;
  /** Clock for lines without a timestamp, ns since epoch. */
  now?: () => bigint;
  /** Observer of each WAL fsync's duration (metrics). */
  onFsync?: (seconds: number) => void;
  /** How often expired shards are dropped, ms (default 60 s; 0: never by itself, only
   * through enforceRetention()). */
  retentionCheckMs?: number;
  /** Store-and-forward (src/gateway/forward.ts): the oldest WAL segment id still needed
   * by a reader, or null; a checkpoint keeps it and later segments (see holdWal). */
  walHold?: () => number | null;
  /** Called before each write is taken; throws (e.g. OverloadedError) to refuse it (see
   * addAdmissionCheck). */
  admission?: () => void;
}

/** See Database.observeWrites. */
export type WriteObserver = (db: string, rp: string, minNs: bigint, maxNs: bigint, points: WrittenPoints) => void;

/** The times of the points a write stored, valid only during the observer's call (the
 * batch's own arrays, no copy): point i has words time[2i] (low), time[2i+1] (high) and
 * was stored when mask is null or mask[i] is 1. */
export interface WrittenPoints {
  count: number;
  time: Uint32Array;
  mask: Uint8Array | null;
}

export interface EngineStats {
  pointsWritten: number;
  valuesWritten: number;
  badLines: number;
  walBytes: number;
  memtableBytes: number;
  memtableSeries: number;
  replayedRecords: number;
  flushes: number;
  compactions: number;
  /** Writes refused by backpressure. */
  overloaded: number;
  tsmFiles: number;
  tsmBytes: number;
  /** TSM files left out because they failed to open (see the log). */
  damagedFiles: number;
  blockCacheHits: number;
  blockCacheMisses: number;
  /** Resident TSM data: bytes and files loaded, and the budget. */
  tsmResidentBytes: number;
  tsmResidentFiles: number;
  tsmResidentBudget: number;
}

const PRECISIONS = new Set<Precision>(['ns', 'us', 'ms', 's', 'm', 'h']);
const PRECISION_ALIASES: Record<string, Precision> = { n: 'ns', u: 'us', µ: 'us', ms: 'ms', s: 's', m: 'm', h: 'h' };

/** Normalises a precision parameter: v2 `ns us ms s`, v1 also `n u ms s m h`. */
export function parsePrecision(p: string | undefined): Precision {
  if (p === undefined || p === '') return 'ns';
  if (PRECISIONS.has(p as Precision)) return p as Precision;
  const a = PRECISION_ALIASES[p];
  if (a) return a;
  throw badRequest('STRATA_ERR_BAD_PRECISION', `invalid precision "${p}": use ns, us, ms or s (v1 also n, u, m, h)`);
}

const realNow = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** Memory of one series in its index: key string, postings and maps (bench/index.ts
 * measured 267-297 bytes per series at 1M devops series). */
const INDEX_BYTES_PER_SERIES = 300;

export class Database {
  readonly dataDir: string;
  private readonly opts: Required<Pick<OpenOptions, 'fsync' | 'autoCreateDatabases' | 'memtableBytes'>> & OpenOptions;
  private readonly log: Logger;
  private readonly meta: Meta;
  private readonly parser = new LineProtocolParser();
  private readonly stores = new Map<string, DbStore>();
  private readonly opening = new Map<string, Promise<DbStore>>();
  private readonly cache: BlockCache;
  private readonly resident: ResidentSet;
  private readonly worker = new FileWorker();
  private active = new Memtable();
  /** Memtables being flushed, oldest first, each with the first WAL segment it does not
   * cover: reads still see them, and a failed flush leaves them here to be retried. */
  private readonly frozen: { mem: Memtable; next: number }[] = [];
  private flushing: Promise<void> | null = null;
  private compacting: Promise<unknown> | null = null;
  private fileSeq = 1;
  private wal!: Wal;
  private closed = false;
  private readonly counters = { pointsWritten: 0, valuesWritten: 0, badLines: 0, replayedRecords: 0, flushes: 0, compactions: 0, overloaded: 0 };
  /** Per-shard tombstones of deletes (tombstones.ts). */
  private readonly tombstones: TombstoneRegistry;
  /** Deletes whose tombstones and index entries are being made durable; a flush waits
   * for them before it drops the WAL segments that hold their records. */
  private readonly pendingDeletes = new Set<Promise<void>>();
  private readonly unpersisted = new Set<ShardTombstones>();
  private readonly unsyncedIndexes = new Set<DbStore>();
  /** Delete records appended to the WAL so far (persistDeletes syncs the WAL past them). */
  private deletesLogged = 0;
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly writeObservers = new Set<WriteObserver>();
  /** WAL readers' holds and write admission checks (store-and-forward). */
  private readonly walHolds = new Set<() => number | null>();
  private readonly admissions = new Set<() => void>();
  /** Segments below this id are all in TSM files (kept only while a hold needs them). */
  private checkpointed = 0;

  private constructor(opts: OpenOptions) {
    this.dataDir = opts.dataDir;
    this.opts = { fsync: 'always', autoCreateDatabases: true, memtableBytes: 64 * 1024 * 1024, ...opts };
    this.log = opts.logger ?? silentLogger;
    this.tombstones = new TombstoneRegistry(this.log);
    this.cache = new BlockCache(opts.blockCacheBytes ?? 64 * 1024 * 1024);
    this.resident = new ResidentSet(opts.residentBytes ?? defaultResidentBytes(), {
      onError: (file, err) => this.log.warn({ file, err }, 'could not load a TSM file into memory; its blocks are read from disk'),
    });
    fs.mkdirSync(this.dataDir, { recursive: true });
    this.meta = Meta.load(this.dataDir);
    if (opts.walHold) this.walHolds.add(opts.walHold);
    if (opts.admission) this.admissions.add(opts.admission);
  }

  static async open(opts: OpenOptions): Promise<Database> {
    const db = new Database(opts);
    const t0 = Date.now();
    for (const name of db.meta.names()) await db.store(name);
    for (const s of db.stores.values()) db.fileSeq = Math.max(db.fileSeq, s.maxSeq + 1);
    db.loadTombstones();
    // Records of a database missing from meta.json (deleted by hand) wait until its store is open.
    const orphans: WalRecord[] = [];
    // Segments kept past their checkpoint by a hold are in TSM files already: not replayed.
    db.checkpointed = readCheckpoint(path.join(db.dataDir, 'wal', CHECKPOINT_FILE));
    db.wal = await Wal.open(
      {
        dir: path.join(db.dataDir, 'wal'),
        segmentSize: opts.walSegmentSize,
        fsyncIntervalMs: opts.fsyncIntervalMs,
        logger: db.log,
        onFsync: opts.onFsync,
        repair: opts.repairWal,
      },
      (rec) => {
        if (rec.segment < db.checkpointed) return;
        if (!db.replay(rec)) orphans.push({ ...rec, payload: Buffer.from(rec.payload) });
      },
    );
    for (const rec of orphans) {
      if (rec.type === RECORD_DELETE) {
        const d = decodeDeleteRecord(rec.payload);
        if (db.meta.has(d.db)) {
          await db.store(d.db);
          db.replay(rec);
        }
        continue;
      }
      const r = decodeLineProtocolRecord(rec.payload);
      db.meta.create(r.db);
      await db.store(r.db);
      db.replay(rec);
    }
    db.log.info(
      { records: db.counters.replayedRecords, points: db.counters.pointsWritten, ms: Date.now() - t0 },
      'WAL replayed',
    );
    await db.persistDeletes();
    db.startRetentionTimer(opts.retentionCheckMs ?? 60_000);
    return db;
  }

  /** The open store of a database in meta (opened on first use). */
  private store(name: string): Promise<DbStore> {
    const s = this.stores.get(name);
    if (s) return Promise.resolve(s);
    let p = this.opening.get(name);
    if (!p) {
      p = DbStore.open(this.dataDir, name, { maxSeries: this.opts.maxSeries, logger: this.log, cache: this.cache, resident: this.resident }).then((store) => {
        this.stores.set(name, store);
        this.opening.delete(name);
        return store;
      });
      this.opening.set(name, p);
    }
    return p;
  }

  // ---- writes -------------------------------------------------------------------------

  /**
   * Writes line protocol (text or bytes) or points. Bad lines do not fail the write: the
   * good ones are stored and the bad ones are returned in `errors` (a partial write).
   * Throws StrataError for a write that cannot be taken at all (unknown database, bad
   * precision, closed, WAL failure).
   */
  async write(input: Buffer | string | Point[], opts: WriteOptions): Promise<WriteResult> {
    if (this.closed) throw closedError();
    const precision = parsePrecision(opts.precision);
    const { db, rp, mode } = this.target(opts);
    const store = this.stores.get(db) ?? (await this.store(db));
    if (this.closed) throw closedError();
    this.checkMemory();
    if (opts.rollup !== true) for (const admit of this.admissions) admit();
    const defaultTime = (this.opts.now ?? realNow)();
    const body = Array.isArray(input)
      ? pointsToLineProtocol(input, defaultTime)
      : typeof input === 'string'
        ? Buffer.from(input, 'utf8')
        : input;

    const batch = this.parser.parse(body, { precision, defaultTime });
    return this.commit(store, db, rp, mode, batch, (mask) => {
      const header = encodeLineProtocolHeader(db, rp, precision, defaultTime);
      return { type: RECORD_LINE_PROTOCOL, parts: mask === null ? [header, body] : [header, ...goodLines(body, batch, mask)] };
    });
  }

  /**
   * Writes points that arrive already parsed (Prometheus remote write, JSON): the same
   * type checks, series limit, partial-write answer, WAL and fsync as `write()`. The batch's
   * `lineNo` numbers what the errors name (e.g. the sample's position in the request).
   */
  async writeBatch(batch: PointBatch, opts: WriteOptions): Promise<WriteResult> {
    if (this.closed) throw closedError();
    const { db, rp, mode } = this.target(opts);
    const store = this.stores.get(db) ?? (await this.store(db));
    if (this.closed) throw closedError();
    this.checkMemory();
    if (opts.rollup !== true) for (const admit of this.admissions) admit();
    return this.commit(store, db, rp, mode, batch, (mask) => ({ type: RECORD_POINT_BATCH, parts: [encodePointBatchRecord(db, rp, batch, mask)] }));
  }

  /** Checks a parsed batch, logs the accepted part, applies it and waits for its fsync. */
  private async commit(
    store: DbStore,
    db: string,
    rp: string,
    mode: FsyncMode,
    batch: PointBatch,
    record: (mask: Uint8Array | null) => { type: number; parts: Buffer[] },
  ): Promise<WriteResult> {
    const part = this.active.partition(db, rp);
    const accept = this.checkPoints(store, part, batch, this.retentionFloor(db, rp));
    const errors = batch.errors;
    if (accept.rejected) errors.sort((a, b) => a.line - b.line);
    const accepted = batch.count - accept.rejected;
    let values = 0;
    if (accepted > 0) {
      const { type, parts } = record(errors.length === 0 ? null : accept.mask);
      try {
        this.wal.append(type, parts);
      } catch (err) {
        if (err instanceof StrataError) throw err;
        throw new StrataError('STRATA_ERR_WAL', 500, `write-ahead log append failed: ${(err as Error).message}`);
      }
      values = part.apply(batch, accept.rejected ? accept.mask : null, accept.ids);
      if (this.writeObservers.size > 0) this.notifyWrite(db, rp, batch, accept.rejected ? accept.mask : null);
    }
    this.counters.pointsWritten += accepted;
    this.counters.valuesWritten += values;
    this.counters.badLines += errors.length;
    if (this.active.bytes > this.opts.memtableBytes && !this.flushing) this.startFlush();
    if (accepted > 0) await this.wal.sync(mode);
    return { points: accepted, values, errors, fsync: mode };
  }

  /** Tells the write observers the time span of the points of `batch` that were stored. */
  private notifyWrite(db: string, rp: string, batch: PointBatch, mask: Uint8Array | null): void {
    const time = batch.time;
    let minHi = 0x7fffffff, minLo = 0xffffffff, maxHi = -0x80000000, maxLo = 0;
    for (let i = 0; i < batch.count; i++) {
      if (mask !== null && mask[i] === 0) continue;
      const hi = time[2 * i + 1] | 0;
      const lo = time[2 * i];
      if (hi < minHi || (hi === minHi && lo < minLo)) [minHi, minLo] = [hi, lo];
      if (hi > maxHi || (hi === maxHi && lo > maxLo)) [maxHi, maxLo] = [hi, lo];
    }
    const min = (BigInt(minHi) << 32n) | BigInt(minLo);
    const max = (BigInt(maxHi) << 32n) | BigInt(maxLo);
    const points: WrittenPoints = { count: batch.count, time, mask };
    for (const fn of this.writeObservers) {
      try {
        fn(db, rp, min, max, points);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'write observer failed');
      }
    }
  }

  /**
   * Calls `fn(db, rp, minNs, maxNs, points)` after every write that stored points (not
   * for WAL replay), with the time span of those points and their times; the downsampler
   * uses it to find (and count) late points. Returns the function that stops it.
   */
  observeWrites(fn: WriteObserver): () => void {
    this.writeObservers.add(fn);
    return () => this.writeObservers.delete(fn);
  }

  /** Backpressure: refuses a write while the memtables are at their share of the budget. */
  private checkMemory(): void {
    // One budget: the block cache's byte budget and the series indexes' estimated memory
    // come off the top; the memtables get the rest.
    let index = 0;
    for (const s of this.stores.values()) index += s.index.stats().ids * INDEX_BYTES_PER_SERIES;
    const cap = (this.opts.memoryBudget ?? 1024 * 1024 * 1024) - this.cache.budgetBytes - index;
    let held = this.active.bytes;
    for (const f of this.frozen) held += f.mem.bytes;
    if (held < cap) return;
    if (!this.flushing) this.startFlush();
    this.counters.overloaded++;
    const mib = (n: number) => (n / 1048576).toFixed(0);
    throw new OverloadedError(
      `writes are arriving faster than they reach disk: memtables hold ${mib(held)} MiB of the ${mib(Math.max(0, cap))} MiB the memory budget leaves them ` +
        `(after ${mib(this.cache.budgetBytes)} MiB of block cache and ~${mib(index)} MiB of series index); retry after 1 s, or raise --memory-budget`,
      1,
    );
  }

  /** Resolves database, retention policy and the fsync mode of a write. */
  private target(opts: WriteOptions): { db: string; rp: string; mode: FsyncMode } {
    const db = opts.db;
    if (db === undefined || db === '') throw badRequest('STRATA_ERR_DATABASE_REQUIRED', 'database is required');
    let meta = this.meta.get(db);
    if (!meta) {
      if (!this.opts.autoCreateDatabases) throw databaseNotFound(db);
      validateName('database', db);
      meta = this.meta.create(db);
      this.log.info({ db }, 'database created on first write');
    }
    const rp = opts.rp || meta.defaultRp;
    if (!Object.hasOwn(meta.rps, rp)) {
      throw new StrataError('STRATA_ERR_RP_NOT_FOUND', 404, `retention policy not found: "${rp}" in database "${db}"`);
    }
    if (meta.rps[rp].rollupOf !== undefined && opts.rollup !== true) {
      throw badRequest('STRATA_ERR_TIER_READ_ONLY', `retention policy "${rp}" is a downsampling tier of "${meta.rps[rp].rollupOf}": only the downsampler writes into it; write to "${meta.rps[rp].rollupOf}" instead`);
    }
    // A write may ask for a different durability than the database default; the mode
    // used is always reported back (the server echoes it in X-Strata-Fsync).
    const mode = opts.fsync ?? meta.fsync ?? this.opts.fsync;
    if (!(mode in FSYNC_STRENGTH)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid fsync mode "${mode}": use always, interval or off`);
    return { db, rp, mode };
  }

  /**
   * Checks every field value against the type stored for its measurement and field,
   * registering the types of new fields, and gives series new to the memtable their index
   * id (creating the series when it is new to the database, within its series limit). A
   * line with a conflicting field, or over the limit, is rejected whole (as InfluxDB does)
   * and registers nothing.
   */
  private checkPoints(
    store: DbStore,
    part: Partition,
    batch: PointBatch,
    oldest: bigint | null,
  ): { mask: Uint8Array; rejected: number; ids: Map<string, number> } {
    const schema = store.schema;
    const [oHi, oLo] = oldest === null ? [-0x80000000, 0] : wordsOf(oldest);
    const time = batch.time;
    const mask = new Uint8Array(batch.count);
    const ids = new Map<string, number>();
    let rejected = 0;
    let lastKey = '';
    let fields: Map<string, FieldTypeCode> | undefined;
    let measurement = '';
    const { fieldStart, fieldKey, fieldType } = batch;
    for (let i = 0; i < batch.count; i++) {
      const key = batch.seriesKey[i];
      const j0 = fieldStart[i];
      const j1 = fieldStart[i + 1];
      const tHi = time[2 * i + 1] | 0;
      if (tHi < oHi || (tHi === oHi && time[2 * i] < oLo)) {
        // InfluxDB's rule: a point older than its retention policy keeps is dropped.
        rejected++;
        batch.errors.push({ line: batch.lineNo[i], kind: 'retention', message: `point is older than its retention policy keeps (${oldest} ns is the oldest time it keeps): beyond retention policy` });
        continue;
      }
      const series = part.series.get(key);
      if (series && series.layoutKeys.length === j1 - j0) {
        // Fast path: the same fields as this series' last line, with the same types.
        const keys = series.layoutKeys;
        const cols = series.layoutCols;
        let same = true;
        for (let j = j0; same && j < j1; j++) same = keys[j - j0] === fieldKey[j] && cols[j - j0].type === fieldType[j];
        if (same) {
          mask[i] = 1;
          continue;
        }
      }
      if (key !== lastKey || !fields) {
        measurement = series?.measurement ?? measurementOf(key);
        fields = schema.get(measurement);
        if (!fields) schema.set(measurement, (fields = new Map()));
        lastKey = key;
      }
      let bad: string | null = null;
      let fresh = false;
      for (let j = j0; j < j1; j++) {
        const t = fields.get(fieldKey[j]);
        if (t === undefined) fresh = true;
        else if (t !== fieldType[j]) {
          bad = `field type conflict: input field "${fieldKey[j]}" on measurement "${measurement}" is type ${fieldTypeName(fieldType[j])}, already exists as type ${fieldTypeName(t)}`;
          break;
        }
      }
      if (bad !== null) {
        rejected++;
        batch.errors.push({ line: batch.lineNo[i], kind: 'type_conflict', message: bad });
        continue;
      }
      if (!series && !ids.has(key)) {
        try {
          ids.set(key, store.index.getOrCreate(key));
        } catch (err) {
          if (!(err instanceof StrataError) || err.code !== 'STRATA_ERR_CARDINALITY') throw err;
          rejected++;
          batch.errors.push({ line: batch.lineNo[i], kind: 'limit', message: err.message });
          continue;
        }
      }
      if (fresh) {
        for (let j = j0; j < j1; j++) {
          if (!fields.has(fieldKey[j])) fields.set(fieldKey[j], fieldType[j] as FieldTypeCode);
        }
      }
      mask[i] = 1;
    }
    return { mask, rejected, ids };
  }

  /** Applies one WAL record at start-up; false when its database's store is not open yet. */
  private replay(rec: WalRecord): boolean {
    if (rec.type === RECORD_DELETE) return this.replayDelete(rec);
    let db: string, rp: string, batch: PointBatch;
    if (rec.type === RECORD_LINE_PROTOCOL) {
      const r = decodeLineProtocolRecord(rec.payload);
      if (!this.stores.has(r.db)) return false;
      ({ db, rp } = r);
      batch = this.parser.parse(r.body, { precision: r.precision, defaultTime: r.defaultTime });
    } else if (rec.type === RECORD_POINT_BATCH) {
      ({ db, rp, batch } = decodePointBatchRecord(rec.payload));
      if (!this.stores.has(db)) return false;
    } else {
      this.log.warn({ segment: rec.segment, offset: rec.offset, type: rec.type }, 'skipping WAL record of unknown type');
      return true;
    }
    const store = this.stores.get(db)!;
    const meta = this.meta.get(db)!;
    if (!Object.hasOwn(meta.rps, rp)) meta.rps[rp] = { duration: '0' };
    const part = this.active.partition(db, rp);
    const accept = this.checkPoints(store, part, batch, this.retentionFloor(db, rp));
    if (batch.errors.length > 0) {
      this.log.warn(
        { segment: rec.segment, offset: rec.offset, dropped: batch.errors.length, first: batch.errors[0].message },
        'WAL record had lines that no longer apply',
      );
    }
    this.counters.valuesWritten += part.apply(batch, accept.rejected ? accept.mask : null, accept.ids);
    this.counters.pointsWritten += batch.count - accept.rejected;
    this.counters.replayedRecords++;
    return true;
  }

  // ---- reads --------------------------------------------------------------------------

  /** Series × field columns of one measurement matching the tag matchers, in [start, end). */
  select(req: SelectRequest): SeriesColumn[] {
    if (this.closed) throw closedError();
    const meta = this.meta.get(req.db);
    if (!meta) throw databaseNotFound(req.db);
    const store = this.stores.get(req.db);
    if (!store) return [];
    return selectColumns(
      { store, rp: req.rp || meta.defaultRp, memtables: [...this.frozen.map((f) => f.mem), this.active], logger: this.log, tombstones: (s) => this.tombstones.of(s) },
      req,
    );
  }

  /**
   * select() for PromQL: the numeric columns only, times as float ms (floor of ns / 1e6)
   * within [startMs, endMs), values as float64 (read.ts selectFloatColumns).
   */
  selectFloat(req: FloatSelectRequest): FloatSeriesColumn[] {
    if (this.closed) throw closedError();
    const meta = this.meta.get(req.db);
    if (!meta) throw databaseNotFound(req.db);
    const store = this.stores.get(req.db);
    if (!store) return [];
    return selectFloatColumns(
      { store, rp: req.rp || meta.defaultRp, memtables: [...this.frozen.map((f) => f.mem), this.active], logger: this.log, tombstones: (s) => this.tombstones.of(s) },
      req,
    );
  }

  // ---- catalogue ----------------------------------------------------------------------

  databases(): string[] {
    return this.meta.names();
  }

  hasDatabase(db: string): boolean {
    return this.meta.has(db);
  }

  async createDatabase(name: string, opts: { fsync?: FsyncMode } = {}): Promise<void> {
    if (this.closed) throw closedError();
    this.meta.create(name, opts);
    await this.store(name);
  }

  measurements(db: string, _rp?: string): string[] {
    if (!this.meta.get(db)) throw databaseNotFound(db);
    return this.stores.get(db)?.index.measurements() ?? [];
  }

  /** The series of a measurement whose tags match every matcher (from the index, no data read). */
  series(db: string, measurement: string, where: TagMatcher[] = []): { key: string; tags: Record<string, string> }[] {
    if (this.closed) throw closedError();
    if (!this.meta.get(db)) throw databaseNotFound(db);
    const index = this.stores.get(db)?.index;
    if (!index) return [];
    checkMatchers(where);
    const out: { key: string; tags: Record<string, string> }[] = [];
    for (const id of index.select(measurement, where).iterate()) {
      const key = index.keyOf(id);
      out.push({ key, tags: seriesKeyTags(key) });
    }
    return out;
  }

  /** Tag keys of a measurement, sorted. */
  tagKeys(db: string, measurement: string): string[] {
    if (!this.meta.get(db)) throw databaseNotFound(db);
    return this.stores.get(db)?.index.tagKeys(measurement) ?? [];
  }

  /** Values of one tag key of a measurement, sorted. */
  tagValues(db: string, measurement: string, key: string): string[] {
    if (!this.meta.get(db)) throw databaseNotFound(db);
    return this.stores.get(db)?.index.tagValues(measurement, key) ?? [];
  }

  /** Field name → type of a measurement. */
  fieldTypes(db: string, measurement: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [f, t] of this.stores.get(db)?.schema.get(measurement) ?? []) out[f] = fieldTypeName(t);
    return out;
  }

  /**
   * fieldTypes() without the fields the downsampler writes into tiers (`<f>_min`, ...,
   * src/retention/rollup.ts) when the database has tiers: field types are per measurement
   * across policies, and a query language that lists metrics (PromQL's metadata) should
   * not offer names that exist only in rollups. A raw field named like a rollup field of
   * another raw field is hidden too when the database has tiers (it clashes with the
   * rollups anyway; see docs/retention.md).
   */
  rawFieldTypes(db: string, measurement: string): Record<string, string> {
    const types = this.fieldTypes(db, measurement);
    const meta = this.meta.get(db);
    if (!meta || !Object.values(meta.rps).some((p) => p.rollupOf !== undefined)) return types;
    for (const f of Object.keys(types)) {
      const i = f.lastIndexOf('_');
      if (i <= 0) continue;
      const source = types[f.slice(0, i)];
      if ((ROLLUP_AGGS as readonly string[]).includes(f.slice(i + 1)) && (source === 'float' || source === 'integer' || source === 'unsigned')) delete types[f];
    }
    return types;
  }

  /**
   * rawFieldTypes(db, measurement)[field], without building the record: the type name of
   * one field, undefined when it does not exist or is a rollup field rawFieldTypes hides.
   */
  rawFieldType(db: string, measurement: string, field: string): string | undefined {
    const fields = this.stores.get(db)?.schema.get(measurement);
    const t = fields?.get(field);
    if (t === undefined) return undefined;
    const i = field.lastIndexOf('_');
    if (i > 0 && (ROLLUP_AGGS as readonly string[]).includes(field.slice(i + 1))) {
      const source = fields!.get(field.slice(0, i));
      const name = source === undefined ? undefined : fieldTypeName(source);
      const meta = this.meta.get(db);
      if ((name === 'float' || name === 'integer' || name === 'unsigned') && meta && Object.values(meta.rps).some((p) => p.rollupOf !== undefined)) return undefined;
    }
    return fieldTypeName(t);
  }

  /** Resolves when the resident set has loaded (or refused) every file it admitted: the
   * newest files' blocks are then read from memory (src/tsm/resident.ts). */
  residentLoaded(): Promise<void> {
    return this.resident.idle();
  }

  stats(): EngineStats {
    let tsmFiles = 0;
    let tsmBytes = 0;
    let damagedFiles = 0;
    let memtableBytes = this.active.bytes;
    let memtableSeries = this.active.seriesCount;
    for (const { mem } of this.frozen) {
      memtableBytes += mem.bytes;
      memtableSeries += mem.seriesCount;
    }
    for (const s of this.stores.values()) {
      damagedFiles += s.damaged.length;
      for (const shard of s.allShards()) {
        tsmFiles += shard.files.length;
        for (const f of shard.files) tsmBytes += f.meta.size;
      }
    }
    return {
      ...this.counters,
      walBytes: this.wal.bytesWritten,
      memtableBytes,
      memtableSeries,
      tsmFiles,
      tsmBytes,
      damagedFiles,
      blockCacheHits: this.cache.hits,
      blockCacheMisses: this.cache.misses,
      tsmResidentBytes: this.resident.bytes,
      tsmResidentFiles: this.resident.files,
      tsmResidentBudget: this.resident.budgetBytes,
    };
  }

  /**
   * The oldest point time a retention policy may hold (null: none): the smallest file min
   * time of its shards and point time in the memtables. Deleted points still in files may
   * make it older than the oldest readable point, never younger. The downsampler starts a
   * new tier's rollups here instead of at 1970.
   */
  oldestTime(db: string, rp: string): bigint | null {
    if (this.closed) throw closedError();
    let min: bigint | null = null;
    for (const shard of this.stores.get(db)?.allShards() ?? []) {
      if (shard.rp !== rp) continue;
      for (const f of shard.files) if (f.meta.blockCount > 0 && (min === null || f.meta.minTime < min)) min = f.meta.minTime;
    }
    for (const mem of [...this.frozen.map((f) => f.mem), this.active]) {
      const part = mem.find(db, rp);
      if (!part) continue;
      // Columns are appended in arrival order (not sorted): a scan of their time words.
      let hi = 0x7fffffff, lo = 0xffffffff, any = false;
      for (const s of part.series.values()) {
        for (const col of s.fields.values()) {
          const t = col.time;
          for (let i = 0; i < col.n; i++) {
            const h = t[2 * i + 1] | 0;
            if (h < hi || (h === hi && t[2 * i] < lo)) [hi, lo, any] = [h, t[2 * i], true];
          }
        }
      }
      const m = (BigInt(hi) << 32n) | BigInt(lo);
      if (any && (min === null || m < min)) min = m;
    }
    return min;
  }

  /** Live series per database (the series index of each open database). */
  /** TSM files and bytes of every shard that has files (metrics). */
  shardStats(): { db: string; rp: string; shard: string; files: number; bytes: number }[] {
    const out: { db: string; rp: string; shard: string; files: number; bytes: number }[] = [];
    for (const [name, s] of this.stores) {
      for (const shard of s.allShards()) {
        if (shard.files.length === 0) continue;
        let bytes = 0;
        for (const f of shard.files) bytes += f.meta.size;
        out.push({ db: name, rp: shard.rp, shard: `${shard.start}_${shard.end}`, files: shard.files.length, bytes });
      }
    }
    return out;
  }

  seriesCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, store] of this.stores) out[name] = store.index.seriesCount;
    return out;
  }

  // ---- flush --------------------------------------------------------------------------

  /**
   * Writes everything acknowledged so far into TSM files and drops the WAL segments that
   * held it. Resolves when done (waits for a flush already running, then flushes again).
   */
  async flush(): Promise<void> {
    if (this.closed) throw closedError();
    while (this.flushing) await this.flushing.catch(() => {});
    this.startFlush();
    await this.flushing;
  }

  private startFlush(): void {
    this.flushing = this.flushOnce()
      .catch((err: Error) => {
        this.log.error({ err: err.message }, 'flush failed: the data stays in memory and in the WAL; it will be retried');
        throw err;
      })
      .finally(() => {
        this.flushing = null;
      });
    this.flushing.catch(() => {});
  }

  private async flushOnce(): Promise<void> {
    if (!this.active.isEmpty) {
      // Segments before `next` hold only what the frozen memtable holds (and older data).
      const mem = this.active;
      this.active = new Memtable();
      this.frozen.push({ mem, next: this.wal.rollSegment() });
    }
    if (this.frozen.length === 0) {
      await this.wal.flush();
      return;
    }
    // Oldest first: a segment may be deleted only when every memtable before it is in files.
    while (this.frozen.length > 0) {
      const { mem, next } = this.frozen[0];
      const t0 = Date.now();
      const result: FlushResult = await flushMemtable(mem, {
        stores: this.stores,
        worker: this.worker,
        cache: this.cache,
        resident: this.resident,
        logger: this.log,
        shardDuration: (db, rp) => this.shardDurationOf(db, rp),
        nextSeq: () => this.fileSeq++,
      });
      this.frozen.shift();
      await this.settleDeletes();
      await this.checkpoint(next);
      this.counters.flushes++;
      this.log.info({ ...result, ms: Date.now() - t0 }, 'memtable flushed');
    }
    // Keep flushed files from piling up: merge runs of small ones in the background.
    if (!this.compacting && !this.closed) {
      this.compact({ full: false }).catch((err: Error) => this.log.error({ err: err.message }, 'background compaction failed; files stay as they are'));
    }
  }

  /**
   * Segments before `next` are in TSM files: deletes them, except those at or after the
   * oldest segment a WAL hold needs. Kept segments are named in `wal/checkpoint.json` so a
   * restart does not replay them into the memtable again.
   */
  private async checkpoint(next: number): Promise<void> {
    this.checkpointed = Math.max(this.checkpointed, next);
    let floor = this.checkpointed;
    for (const hold of this.walHolds) {
      const h = hold();
      if (h !== null && h < floor) floor = h;
    }
    if (floor < this.checkpointed && this.wal.segmentIds[0] < this.checkpointed) {
      writeFileAtomic(path.join(this.dataDir, 'wal', CHECKPOINT_FILE), JSON.stringify({ segment: this.checkpointed }) + '\n');
    }
    await this.wal.removeSegmentsBefore(floor);
  }

  // ---- WAL readers (store-and-forward) ------------------------------------------------

  /** Keeps WAL segments at or after `fn()` (an id; null: none needed) from checkpoints.
   * Returns the function that releases the hold. */
  holdWal(fn: () => number | null): () => void {
    this.walHolds.add(fn);
    return () => this.walHolds.delete(fn);
  }

  /** Adds a check run before each write; it throws to refuse the write. Returns its remover. */
  addAdmissionCheck(fn: () => void): () => void {
    this.admissions.add(fn);
    return () => this.admissions.delete(fn);
  }

  /** Raw WAL records from `from` up to the durable end (Wal.read): record types in records.ts. */
  readWal(from: WalPosition, maxBytes: number): Promise<WalRead> {
    if (this.closed) return Promise.reject(closedError());
    return this.wal.read(from, maxBytes);
  }

  /** The durable and appended ends of the WAL (cheap: no system call). */
  walState(): { durable: WalPosition; appended: WalPosition } {
    return { durable: this.wal.durableEnd, appended: this.wal.appendedEnd };
  }

  /** The WAL's segments: id, bytes and last-modified time (ms), ascending. */
  walSegments(): { id: number; bytes: number; mtimeMs: number }[] {
    return this.wal.segmentStats();
  }

  /** fsyncs the WAL if something appended is not durable yet (shared with group commit). */
  syncWal(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.wal.flush();
  }

  /** Deletes checkpointed segments no hold needs any more (a reader moved on). */
  async releaseWal(): Promise<void> {
    if (this.closed || this.checkpointed === 0) return;
    while (this.flushing) await this.flushing.catch(() => {});
    if (this.closed) return;
    await this.checkpoint(this.checkpointed);
  }

  // ---- compaction ---------------------------------------------------------------------

  /**
   * Merges the files of each shard: with `full` (the default, what `/admin/compact` and
   * operators ask for) every shard ends with one file; otherwise only runs of small files
   * are merged (what runs after each flush). Resolves when done.
   */
  async compact(opts: { full?: boolean } = {}): Promise<{ merged: number; files: number }> {
    if (this.closed) throw closedError();
    const prev = this.compacting;
    const run = (async () => {
      await prev?.catch(() => {});
      return this.compactOnce(opts.full ?? true);
    })();
    this.compacting = run;
    try {
      return await run;
    } finally {
      if (this.compacting === run) this.compacting = null;
    }
  }

  private async compactOnce(full: boolean): Promise<{ merged: number; files: number }> {
    const total = { merged: 0, files: 0 };
    const deps: CompactDeps = {
      worker: this.worker,
      cache: this.cache,
      resident: this.resident,
      tombstones: this.tombstones,
      logger: this.log,
      closed: () => this.closed,
      compacted: () => this.counters.compactions++,
    };
    for (const store of this.stores.values()) {
      for (const shard of store.allShards()) {
        const r = await compactShard(store, shard, full, deps);
        total.merged += r.merged;
        total.files += r.files;
        if (this.closed) return total;
      }
    }
    return total;
  }

  // ---- deletes and retention ----------------------------------------------------------

  /**
   * Deletes the points in [start, end) of the series matching `measurement` (every
   * measurement when absent) and `where`, in one retention policy or, without `rp`, all of
   * them. The points vanish from reads at once and their disk space comes back with the
   * next compaction of their shards; the series stay in the index (see dropSeries).
   * Durable like a write: logged to the WAL first, acknowledged per the fsync mode.
   */
  async delete(req: DeleteRequest): Promise<DeleteResult> {
    if (this.closed) throw closedError();
    const where = req.where ?? [];
    if (req.measurement === undefined && where.length === 0 && req.start === undefined && req.end === undefined) {
      throw badRequest('STRATA_ERR_BAD_PARAMETER', 'a delete needs a measurement, a tag predicate or a time range (to remove everything, drop the database)');
    }
    const min = req.start ?? MIN_TIME;
    const max = req.end === undefined ? MAX_TIME : req.end - 1n;
    if (min > max) throw badRequest('STRATA_ERR_BAD_PARAMETER', `the delete's time range is empty: start ${req.start} is not before end ${req.end}`);
    return this.runDelete({ kind: 'points', db: req.db, rp: req.rp ?? '', measurement: req.measurement, where, min, max }, req.fsync);
  }

  /** Deletes whole series (InfluxQL DROP SERIES): their points in every retention policy,
   * and the series themselves from the index, so they leave every listing. */
  async dropSeries(req: DropSeriesRequest): Promise<DeleteResult> {
    if (this.closed) throw closedError();
    const where = req.where ?? [];
    if (req.measurement === undefined && where.length === 0) {
      throw badRequest('STRATA_ERR_BAD_PARAMETER', 'dropping series needs a measurement or a tag predicate (to remove everything, drop the database)');
    }
    return this.runDelete({ kind: 'series', db: req.db, rp: '', measurement: req.measurement, where, min: MIN_TIME, max: MAX_TIME }, req.fsync);
  }

  /** Deletes a measurement (InfluxQL DROP MEASUREMENT): every series and point of it, and
   * its field types (it may come back with others). */
  async dropMeasurement(db: string, measurement: string, opts: { fsync?: FsyncMode } = {}): Promise<DeleteResult> {
    if (this.closed) throw closedError();
    return this.runDelete({ kind: 'measurement', db, rp: '', measurement, where: [], min: MIN_TIME, max: MAX_TIME }, opts.fsync);
  }

  private async runDelete(spec: DeleteSpec, fsync: FsyncMode | undefined): Promise<DeleteResult> {
    const meta = this.meta.get(spec.db);
    if (!meta) throw databaseNotFound(spec.db);
    if (spec.rp !== '' && !Object.hasOwn(meta.rps, spec.rp)) {
      throw new StrataError('STRATA_ERR_RP_NOT_FOUND', 404, `retention policy not found: "${spec.rp}" in database "${spec.db}"`);
    }
    if (spec.measurement === '') throw badRequest('STRATA_ERR_BAD_PARAMETER', 'the measurement name is empty');
    checkDeleteMatchers(spec.where);
    const mode = fsync ?? meta.fsync ?? this.opts.fsync;
    if (!(mode in FSYNC_STRENGTH)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid fsync mode "${mode}": use always, interval or off`);
    let record: Buffer;
    try {
      record = encodeDeleteRecord(spec);
    } catch (err) {
      throw badRequest('STRATA_ERR_BAD_PARAMETER', `delete predicate too large: ${(err as Error).message}`);
    }
    const store = this.stores.get(spec.db) ?? (await this.store(spec.db));
    // A running flush may have copied points out of its memtable already: let it finish,
    // so its files get sequence numbers below this delete's and its tombstones reach them.
    while (this.flushing) await this.flushing.catch(() => {});
    if (this.closed) throw closedError();
    // From here to the end of applyDelete is one tick: logged, then applied, in the same
    // order relative to the writes around it as replay will apply it.
    try {
      this.wal.append(RECORD_DELETE, [record]);
      this.deletesLogged++;
    } catch (err) {
      if (err instanceof StrataError) throw err;
      throw new StrataError('STRATA_ERR_WAL', 500, `write-ahead log append failed: ${(err as Error).message}`);
    }
    const applied = applyDelete(spec, this.deleteTarget(spec, store));
    for (const ts of applied.shards) this.unpersisted.add(ts);
    if (spec.kind !== 'points') this.unsyncedIndexes.add(store);
    const durable = (async () => {
      await this.wal.sync(mode);
      await this.persistDeletes();
    })();
    this.pendingDeletes.add(durable);
    try {
      await durable;
    } finally {
      this.pendingDeletes.delete(durable);
    }
    this.log.info(
      { db: spec.db, rp: spec.rp || '*', kind: spec.kind, measurement: spec.measurement ?? '*', where: spec.where.length, series: applied.series, shards: applied.shards.length },
      spec.kind === 'points' ? 'points deleted' : spec.kind === 'series' ? 'series dropped' : 'measurement dropped',
    );
    return { series: applied.series, fsync: mode };
  }

  private deleteTarget(spec: DeleteSpec, store: DbStore): DeleteTarget {
    const meta = this.meta.get(spec.db)!;
    return {
      store,
      rps: spec.rp === '' ? Object.keys(meta.rps) : [spec.rp],
      memtables: [...this.frozen.map((f) => f.mem), this.active],
      seq: this.fileSeq,
      tombstones: this.tombstones,
    };
  }

  /** Applies a delete record at start-up, in its place among the writes. */
  private replayDelete(rec: WalRecord): boolean {
    const spec = decodeDeleteRecord(rec.payload);
    const store = this.stores.get(spec.db);
    if (!store) return false;
    const meta = this.meta.get(spec.db)!;
    if (spec.rp !== '' && !Object.hasOwn(meta.rps, spec.rp)) meta.rps[spec.rp] = { duration: '0' };
    const applied = applyDelete(spec, this.deleteTarget(spec, store));
    for (const ts of applied.shards) this.unpersisted.add(ts);
    if (spec.kind !== 'points') this.unsyncedIndexes.add(store);
    this.counters.replayedRecords++;
    return true;
  }

  /** Makes the tombstones, index deletes and field-type drops made so far durable. */
  private async persistDeletes(): Promise<void> {
    if (this.unpersisted.size === 0 && this.unsyncedIndexes.size === 0) return;
    // What a delete leaves on disk outside the WAL (file tombstones, series-file drops,
    // field types) follows its WAL record to disk, never leads it: one forced WAL fsync
    // covers the records appended before it began; it repeats while deletes were logged
    // during it, and what follows runs in the same tick as the last check.
    let seen: number;
    do {
      seen = this.deletesLogged;
      await this.wal.sync('always');
    } while (seen !== this.deletesLogged);
    for (const ts of [...this.unpersisted]) {
      ts.persist();
      this.unpersisted.delete(ts);
    }
    const stores = [...this.unsyncedIndexes];
    this.unsyncedIndexes.clear();
    for (const store of stores) {
      store.index.commitDeletes();
      store.saveSchema();
    }
    for (const store of stores) await store.index.sync();
  }

  /** Before a flush drops WAL segments, every delete they hold must be durable elsewhere. */
  private async settleDeletes(): Promise<void> {
    await Promise.allSettled([...this.pendingDeletes]);
    await this.persistDeletes();
  }

  /** Loads every shard's tombstones at open (damage shows now, not at a query); file
   * sequences continue above every tombstone's, so no new file falls under an old one. */
  private loadTombstones(): void {
    for (const s of this.stores.values()) {
      for (const shard of s.allShards()) this.fileSeq = Math.max(this.fileSeq, this.tombstones.of(shard).maxSeq());
    }
  }

  /** Sets how long a retention policy keeps data, in ns (0n: forever), creating the policy
   * if needed, and optionally the span of its shards (default: InfluxDB's rule for the
   * duration). Shards entirely older than now - duration are dropped at the next check;
   * a new shard duration applies to shards created from then on. */
  setRetention(db: string, rp: string, durationNs: bigint, opts: { shardDuration?: bigint } = {}): void {
    if (this.closed) throw closedError();
    if (!this.meta.get(db)) throw databaseNotFound(db);
    if (typeof durationNs !== 'bigint' || durationNs < 0n) {
      throw badRequest('STRATA_ERR_BAD_PARAMETER', `a retention duration is a number of nanoseconds, 0 or more (0 keeps data forever), not ${String(durationNs)}`);
    }
    const sd = opts.shardDuration;
    if (sd !== undefined && (typeof sd !== 'bigint' || sd < 1_000_000_000n)) {
      throw badRequest('STRATA_ERR_BAD_PARAMETER', `a shard duration is a number of nanoseconds of at least one second, not ${String(sd)}`);
    }
    this.meta.setRetention(db, rp, durationNs.toString(), sd?.toString());
    this.log.info({ db, rp, durationNs: durationNs.toString(), shardDurationNs: this.shardDurationOf(db, rp).toString() }, 'retention policy set');
  }

  /**
   * Sets the downsampling tiers of a retention policy (replacing any it had; [] removes
   * them all): finest first, each resolution a whole multiple of the one before, each
   * duration 0 (forever) or at least its resolution. Tiers no longer listed are dropped
   * with their rollups. The tiers' rollups are written by the downsampler
   * (src/retention/downsampler.ts).
   */
  async setTiers(db: string, rp: string, tiers: TierSpec[]): Promise<TierInfo[]> {
    if (this.closed) throw closedError();
    const meta = this.meta.get(db);
    if (!meta) throw databaseNotFound(db);
    if (!Object.hasOwn(meta.rps, rp)) throw new StrataError('STRATA_ERR_RP_NOT_FOUND', 404, `retention policy not found: "${rp}" in database "${db}"`);
    if (meta.rps[rp].rollupOf !== undefined) throw badRequest('STRATA_ERR_BAD_PARAMETER', `retention policy "${rp}" is itself a downsampling tier; set tiers on "${meta.rps[rp].rollupOf}"`);
    validateTiers(tiers);
    const removed = this.meta.setTiers(db, rp, tiers);
    for (const name of removed) await this.purge(db, name, { keepMeta: true });
    const out = this.meta.tiersOf(db, rp);
    this.log.info({ db, rp, tiers: out.map((t) => ({ name: t.name, durationNs: t.duration.toString(), graceNs: t.grace.toString() })), removed }, 'downsampling tiers set');
    return out;
  }

  /** The downsampling tiers of a retention policy (default: the database's default), finest first. */
  tiersOf(db: string, rp?: string): TierInfo[] {
    const meta = this.meta.get(db);
    if (!meta) throw databaseNotFound(db);
    return this.meta.tiersOf(db, rp || meta.defaultRp);
  }

  /** The oldest time a retention policy keeps now (null: it keeps everything). */
  private retentionFloor(db: string, rp: string): bigint | null {
    const d = BigInt(this.meta.get(db)?.rps[rp]?.duration ?? '0');
    return d > 0n ? (this.opts.now ?? realNow)() - d : null;
  }

  /** The span of new shards of a retention policy. */
  shardDurationOf(db: string, rp: string): bigint {
    const p = this.meta.get(db)?.rps[rp];
    return shardDurationFor(BigInt(p?.duration ?? '0'), p?.shardDuration !== undefined ? BigInt(p.shardDuration) : undefined);
  }

  /** Retention policy → duration in ns (0n: forever). */
  retentionPolicies(db: string): Record<string, bigint> {
    const meta = this.meta.get(db);
    if (!meta) throw databaseNotFound(db);
    return Object.fromEntries(Object.entries(meta.rps).map(([rp, p]) => [rp, BigInt(p.duration)]));
  }

  /** The default retention policy of a database ("" when its default was dropped). */
  defaultRetentionPolicy(db: string): string {
    const meta = this.meta.get(db);
    if (!meta) throw databaseNotFound(db);
    return meta.defaultRp;
  }

  /** Makes an existing retention policy the default of its database. */
  setDefaultRetentionPolicy(db: string, rp: string): void {
    if (this.closed) throw closedError();
    const meta = this.meta.get(db);
    if (!meta) throw databaseNotFound(db);
    if (!Object.hasOwn(meta.rps, rp)) throw new StrataError('STRATA_ERR_RP_NOT_FOUND', 404, `retention policy not found: "${rp}" in database "${db}"`);
    this.meta.setDefaultRp(db, rp);
  }

  /** Drops a retention policy (InfluxQL DROP RETENTION POLICY) with all its shards and
   * unflushed points; false when there was none. */
  async dropRetentionPolicy(db: string, rp: string): Promise<boolean> {
    if (this.closed) throw closedError();
    const meta = this.meta.get(db);
    if (!meta || !Object.hasOwn(meta.rps, rp)) return false;
    await this.purge(db, rp);
    return true;
  }

  /** Drops a database (InfluxQL DROP DATABASE): its catalogue entry, files and unflushed
   * points; false when there was none. A later write may create it again, empty. */
  async dropDatabase(db: string): Promise<boolean> {
    if (this.closed) throw closedError();
    if (!this.meta.has(db)) return false;
    await this.purge(db, null);
    return true;
  }

  /**
   * Removes a database (rp null) or one of its retention policies: from the catalogue,
   * the memtables and disk. Runs in the compaction queue, between flushes; then the WAL is
   * rolled and flushed, so no segment still holds its records and a restart cannot replay
   * them back to life.
   */
  private async purge(db: string, rp: string | null, opts: { keepMeta?: boolean } = {}): Promise<void> {
    const prev = this.compacting;
    const run = (async () => {
      await prev?.catch(() => {});
      await Promise.allSettled([...this.pendingDeletes]);
      while (this.flushing) await this.flushing.catch(() => {});
      // A policy goes with its downsampling tiers.
      const rps = rp === null ? [] : [rp, ...(this.meta.get(db)?.rps[rp]?.tiers ?? [])];
      // From here to stores.delete is one tick: no flush starts while what it would
      // write leaves the memtables, the shards and the catalogue.
      if (rp === null) this.meta.drop(db);
      else if (!opts.keepMeta) this.meta.dropRp(db, rp);
      for (const mem of [...this.frozen.map((f) => f.mem), this.active]) {
        if (rp === null) mem.drop(db);
        else for (const r of rps) mem.partitions.delete(`${db}\u0000${r}`);
      }
      const store = this.stores.get(db);
      if (store) {
        for (const shard of store.allShards()) {
          if (rp !== null && !rps.includes(shard.rp)) continue;
          store.dropShard(shard);
          this.tombstones.forget(shard);
          if (rp !== null) fs.rmSync(shard.dir, { recursive: true, force: true });
        }
        if (rp === null) {
          this.stores.delete(db);
          this.unsyncedIndexes.delete(store);
        }
      }
      // Everything left in memory goes to files and the WAL starts a new segment: the old
      // segments, which may hold records of what was dropped, are deleted by the flush.
      const mem = this.active;
      this.active = new Memtable();
      this.frozen.push({ mem, next: this.wal.rollSegment() });
      if (store && rp === null) {
        await store.close();
        fs.rmSync(store.dir, { recursive: true, force: true });
      } else if (store && rp !== null) {
        for (const r of rps) fs.rmSync(path.join(store.dir, r), { recursive: true, force: true });
      }
    })();
    this.compacting = run;
    try {
      await run;
    } finally {
      if (this.compacting === run) this.compacting = null;
    }
    await this.flush();
    this.log.info({ db, rp: rp ?? '*' }, rp === null ? 'database dropped' : 'retention policy dropped');
  }

  /**
   * Drops every shard whose end is at or before `now` - its policy's duration: closes its
   * files and deletes its directory. Runs by itself every `retentionCheckMs`; `now`
   * defaults to the clock (the `now` option, else the system clock).
   */
  async enforceRetention(now?: bigint): Promise<{ shards: number }> {
    if (this.closed) throw closedError();
    const t = now ?? (this.opts.now ?? realNow)();
    // In the compaction queue, and between flushes: no merge or flush is writing into a
    // shard while it goes.
    const prev = this.compacting;
    const run = (async () => {
      await prev?.catch(() => {});
      while (this.flushing) await this.flushing.catch(() => {});
      return this.dropExpiredShards(t);
    })();
    this.compacting = run;
    try {
      return await run;
    } finally {
      if (this.compacting === run) this.compacting = null;
    }
  }

  private dropExpiredShards(now: bigint): { shards: number } {
    if (this.closed) return { shards: 0 };
    return dropExpired(
      { stores: this.stores, meta: this.meta, memtables: [...this.frozen.map((f) => f.mem), this.active], tombstones: this.tombstones, log: this.log, shardDurationOf: (db, rp) => this.shardDurationOf(db, rp) },
      now,
    );
  }

  private startRetentionTimer(everyMs: number): void {
    if (!(everyMs > 0)) return;
    let running = false;
    this.retentionTimer = setInterval(() => {
      if (running || this.closed) return;
      running = true;
      this.enforceRetention()
        .catch((err: Error) => this.log.error({ err: err.message }, 'retention check failed; it runs again at the next interval'))
        .finally(() => {
          running = false;
        });
    }, everyMs);
    this.retentionTimer.unref();
  }

  // ---- lifecycle ----------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    while (this.flushing) await this.flushing.catch(() => {});
    while (this.compacting) await this.compacting.catch(() => {});
    await Promise.allSettled([...this.pendingDeletes]);
    for (const p of this.opening.values()) await p.catch(() => {});
    await this.worker.close();
    await this.wal.close();
    for (const s of this.stores.values()) await s.close();
    await this.resident.idle(); // a load under way stops at its next read: its files are closed
  }
}

/** Checks delete matchers before anything is logged: known operators, a tag key, and
 * regular expressions that compile (a 400 otherwise). */
function checkDeleteMatchers(where: readonly TagMatcher[]): void {
  if (where.length > 0xffff) throw badRequest('STRATA_ERR_BAD_PARAMETER', `a delete takes at most 65535 tag matchers, not ${where.length}`);
  for (const m of where) {
    if (!['=', '!=', '=~', '!~'].includes(m.op)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `unknown tag matcher operator "${m.op}": use =, !=, =~ or !~`);
    if (typeof m.key !== 'string' || m.key === '') throw badRequest('STRATA_ERR_BAD_PARAMETER', 'a tag matcher has an empty tag key');
    if (typeof m.value !== 'string') throw badRequest('STRATA_ERR_BAD_PARAMETER', `the tag matcher on "${m.key}" has no string value`);
  }
  checkMatchers(where);
}


/** Opens (creating if needed) a Strata database directory. */
/** Checks a list of downsampling tiers (Database.setTiers). */
export function validateTiers(tiers: TierSpec[]): void {
  const bad = (msg: string) => badRequest('STRATA_ERR_BAD_PARAMETER', msg);
  if (!Array.isArray(tiers)) throw bad('tiers must be a list');
  let prev: bigint | null = null;
  tiers.forEach((t, i) => {
    const what = `tier ${i + 1}`;
    if (typeof t?.resolution !== 'bigint' || t.resolution < 1_000_000_000n) throw bad(`${what}: resolution must be at least 1s`);
    if (typeof t.duration !== 'bigint' || t.duration < 0n) throw bad(`${what}: duration must be 0 (forever) or more`);
    if (t.duration !== 0n && t.duration < t.resolution) throw bad(`${what}: duration must be 0 (forever) or at least its resolution`);
    if (t.grace !== undefined && (typeof t.grace !== 'bigint' || t.grace < 0n)) throw bad(`${what}: grace must be 0 or more`);
    if (prev !== null && (t.resolution <= prev || t.resolution % prev !== 0n)) {
      throw bad(`${what}: resolution must be a whole multiple of the previous tier's, and larger`);
    }
    prev = t.resolution;
  });
}

const CHECKPOINT_FILE = 'checkpoint.json';

/** The first WAL segment not yet in TSM files, per `wal/checkpoint.json` (0: none written). */
function readCheckpoint(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const seg = (JSON.parse(text) as { segment?: unknown }).segment;
  return typeof seg === 'number' && Number.isSafeInteger(seg) && seg > 0 ? seg : 0;
}

export function openDatabase(opts: OpenOptions): Promise<Database> {
  return Database.open(opts);
}

/** The accepted lines of a partly bad body, newline-terminated, as slices (no copy of the lines). */
function goodLines(body: Buffer, batch: PointBatch, mask: Uint8Array): Buffer[] {
  const parts: Buffer[] = [];
  const nl = Buffer.from('\n');
  for (let i = 0; i < batch.count; i++) {
    if (!mask[i]) continue;
    parts.push(body.subarray(batch.lineStart[i], batch.lineEnd[i]), nl);
  }
  return parts;
}

export type { LineError };
