// The engine: the one module that knows both the WAL and the memtable.
//
// A write is parsed (src/ingest), its field types are checked against what is stored,
// the accepted lines are appended to the WAL as one record, applied to the memtable, and
// acknowledged once the WAL is as durable as the write's fsync mode asks. Start-up replays
// the WAL through the same path, so what was acknowledged before a crash is there after it.

import fs from 'node:fs';
import path from 'node:path';
import { PointBatch } from '../ingest/batch.js';
import { LineProtocolParser } from '../ingest/lineprotocol.js';
import { measurementOf } from '../ingest/seriesKey.js';
import { pointsToLineProtocol } from '../ingest/serialize.js';
import { Memtable, type Partition } from '../memtable/memtable.js';
import { Wal, type WalRecord } from '../wal/wal.js';
import { badRequest, closedError, databaseNotFound, StrataError } from '../errors.js';
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
import { Meta, validateName } from './meta.js';
import { decodeLineProtocolRecord, encodeLineProtocolHeader, RECORD_LINE_PROTOCOL } from './records.js';

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
  logger?: Logger;
  /** Clock for lines without a timestamp, ns since epoch. */
  now?: () => bigint;
  /** Observer of each WAL fsync's duration (metrics). */
  onFsync?: (seconds: number) => void;
}

export interface EngineStats {
  pointsWritten: number;
  valuesWritten: number;
  badLines: number;
  walBytes: number;
  memtableBytes: number;
  memtableSeries: number;
  replayedRecords: number;
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

export class Database {
  readonly dataDir: string;
  private readonly opts: Required<Pick<OpenOptions, 'fsync' | 'autoCreateDatabases'>> & OpenOptions;
  private readonly log: Logger;
  private readonly meta: Meta;
  private readonly memtable = new Memtable();
  /** Owned, not shared: its caches make parsing the next write of the same series cheap. */
  private readonly parser = new LineProtocolParser();
  /** Field types per database: measurement → field → type. */
  private readonly schemas = new Map<string, Map<string, Map<string, FieldTypeCode>>>();
  private wal!: Wal;
  private closed = false;
  private readonly counters = { pointsWritten: 0, valuesWritten: 0, badLines: 0, replayedRecords: 0 };

  private constructor(opts: OpenOptions) {
    this.dataDir = opts.dataDir;
    this.opts = { fsync: 'always', autoCreateDatabases: true, ...opts };
    this.log = opts.logger ?? silentLogger;
    fs.mkdirSync(this.dataDir, { recursive: true });
    this.meta = Meta.load(this.dataDir);
  }

  static async open(opts: OpenOptions): Promise<Database> {
    const db = new Database(opts);
    const t0 = Date.now();
    db.wal = await Wal.open(
      {
        dir: path.join(db.dataDir, 'wal'),
        segmentSize: opts.walSegmentSize,
        fsyncIntervalMs: opts.fsyncIntervalMs,
        logger: db.log,
        onFsync: opts.onFsync,
        repair: opts.repairWal,
      },
      (rec) => db.replay(rec),
    );
    db.log.info(
      { records: db.counters.replayedRecords, points: db.counters.pointsWritten, ms: Date.now() - t0 },
      'WAL replayed',
    );
    return db;
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
    const defaultTime = (this.opts.now ?? realNow)();
    const body = Array.isArray(input)
      ? pointsToLineProtocol(input, defaultTime)
      : typeof input === 'string'
        ? Buffer.from(input, 'utf8')
        : input;

    const batch = this.parser.parse(body, { precision, defaultTime });
    const part = this.memtable.partition(db, rp);
    const accept = this.checkTypes(db, part, batch);
    const errors = batch.errors;
    if (accept.conflicts) errors.sort((a, b) => a.line - b.line);
    const accepted = batch.count - accept.conflicts;
    let values = 0;
    if (accepted > 0) {
      const header = encodeLineProtocolHeader(db, rp, precision, defaultTime);
      const parts = errors.length === 0 ? [header, body] : [header, ...goodLines(body, batch, accept.mask)];
      try {
        this.wal.append(RECORD_LINE_PROTOCOL, parts);
      } catch (err) {
        if (err instanceof StrataError) throw err;
        throw new StrataError('STRATA_ERR_WAL', 500, `write-ahead log append failed: ${(err as Error).message}`);
      }
      values = part.apply(batch, accept.conflicts ? accept.mask : null);
    }
    this.counters.pointsWritten += accepted;
    this.counters.valuesWritten += values;
    this.counters.badLines += errors.length;
    if (accepted > 0) await this.wal.sync(mode);
    return { points: accepted, values, errors, fsync: mode };
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
    // A write may ask for a different durability than the database default; the mode
    // used is always reported back (the server echoes it in X-Strata-Fsync).
    const mode = opts.fsync ?? meta.fsync ?? this.opts.fsync;
    if (!(mode in FSYNC_STRENGTH)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid fsync mode "${mode}": use always, interval or off`);
    return { db, rp, mode };
  }

  /**
   * Checks every field value against the type stored for its measurement and field,
   * registering the types of new fields. A line with a conflicting field is rejected
   * whole (as InfluxDB does) and registers nothing.
   */
  private checkTypes(db: string, part: Partition, batch: PointBatch): { mask: Uint8Array; conflicts: number } {
    let schema = this.schemas.get(db);
    if (!schema) this.schemas.set(db, (schema = new Map()));
    const mask = new Uint8Array(batch.count);
    let conflicts = 0;
    let lastKey = '';
    let fields: Map<string, FieldTypeCode> | undefined;
    let measurement = '';
    const { fieldStart, fieldKey, fieldType } = batch;
    for (let i = 0; i < batch.count; i++) {
      const key = batch.seriesKey[i];
      const j0 = fieldStart[i];
      const j1 = fieldStart[i + 1];
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
        conflicts++;
        batch.errors.push({ line: batch.lineNo[i], kind: 'type_conflict', message: bad });
        continue;
      }
      if (fresh) {
        for (let j = j0; j < j1; j++) {
          if (!fields.has(fieldKey[j])) fields.set(fieldKey[j], fieldType[j] as FieldTypeCode);
        }
      }
      mask[i] = 1;
    }
    return { mask, conflicts };
  }

  private replay(rec: WalRecord): void {
    if (rec.type !== RECORD_LINE_PROTOCOL) {
      this.log.warn({ segment: rec.segment, offset: rec.offset, type: rec.type }, 'skipping WAL record of unknown type');
      return;
    }
    const r = decodeLineProtocolRecord(rec.payload);
    if (!this.meta.has(r.db)) this.meta.create(r.db);
    const meta = this.meta.get(r.db)!;
    if (!Object.hasOwn(meta.rps, r.rp)) meta.rps[r.rp] = { duration: '0' };
    const batch = this.parser.parse(r.body, { precision: r.precision, defaultTime: r.defaultTime });
    const part = this.memtable.partition(r.db, r.rp);
    const accept = this.checkTypes(r.db, part, batch);
    if (batch.errors.length > 0) {
      this.log.warn(
        { segment: rec.segment, offset: rec.offset, dropped: batch.errors.length, first: batch.errors[0].message },
        'WAL record had lines that no longer apply',
      );
    }
    this.counters.valuesWritten += part.apply(batch, accept.conflicts ? accept.mask : null);
    this.counters.pointsWritten += batch.count - accept.conflicts;
    this.counters.replayedRecords++;
  }

  // ---- reads --------------------------------------------------------------------------

  /** Series × field columns of one measurement matching the tag matchers, in [start, end). */
  select(req: SelectRequest): SeriesColumn[] {
    if (this.closed) throw closedError();
    const meta = this.meta.get(req.db);
    if (!meta) throw databaseNotFound(req.db);
    const part = this.memtable.find(req.db, req.rp || meta.defaultRp);
    if (!part) return [];
    const wanted = req.field === undefined ? null : new Set(Array.isArray(req.field) ? req.field : [req.field]);
    const [sHi, sLo] = req.start === undefined ? [-0x80000000, 0] : split(req.start);
    const endBound = req.end;
    const out: SeriesColumn[] = [];
    const series = part.select(req.measurement, req.where).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const s of series) {
      const names = [...s.fields.keys()].sort();
      for (const f of names) {
        if (wanted && !wanted.has(f)) continue;
        const col = s.fields.get(f)!;
        const freed = col.normalize();
        part.bytes -= freed;
        const from = col.lowerBound(sHi, sLo);
        let to = col.n;
        if (endBound !== undefined) {
          const [eHi, eLo] = split(endBound);
          to = col.lowerBound(eHi, eLo);
        }
        if (to <= from) continue;
        const { times, values } = col.slice(from, to);
        out.push({ measurement: s.measurement, key: s.key, tags: s.tags, field: f, type: fieldTypeName(col.type), times, values });
      }
    }
    return out;
  }

  // ---- catalogue ----------------------------------------------------------------------

  databases(): string[] {
    return this.meta.names();
  }

  hasDatabase(db: string): boolean {
    return this.meta.has(db);
  }

  createDatabase(name: string, opts: { fsync?: FsyncMode } = {}): void {
    if (this.closed) throw closedError();
    this.meta.create(name, opts);
  }

  measurements(db: string, rp?: string): string[] {
    const meta = this.meta.get(db);
    if (!meta) throw databaseNotFound(db);
    return this.memtable.find(db, rp || meta.defaultRp)?.measurements() ?? [];
  }

  /** Field name → type of a measurement. */
  fieldTypes(db: string, measurement: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [f, t] of this.schemas.get(db)?.get(measurement) ?? []) out[f] = fieldTypeName(t);
    return out;
  }

  stats(): EngineStats {
    return {
      ...this.counters,
      walBytes: this.wal.bytesWritten,
      memtableBytes: this.memtable.bytes,
      memtableSeries: this.memtable.seriesCount,
    };
  }

  // ---- lifecycle ----------------------------------------------------------------------

  /** Makes every acknowledged write durable (with TSM files: also flushes the memtable). */
  async flush(): Promise<void> {
    if (this.closed) throw closedError();
    await this.wal.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.wal.close();
  }
}

/** Opens (creating if needed) a Strata database directory. */
export function openDatabase(opts: OpenOptions): Promise<Database> {
  return Database.open(opts);
}

function split(t: bigint): [number, number] {
  const u = BigInt.asUintN(64, t);
  return [Number(u >> 32n) | 0, Number(u & 0xffffffffn)];
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
