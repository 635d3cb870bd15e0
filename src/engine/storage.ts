// The on-disk state of one database: its series index, its field types, and per retention
// policy the time shards with their TSM files.
//
//   <dataDir>/db/<db>/index/            series file + postings snapshot (src/index)
//   <dataDir>/db/<db>/fields.json       measurement → field → type, as of the last flush
//   <dataDir>/db/<db>/<rp>/<start>_<end>/<seq>.tsm   shard [start, end) in ns, files by age
//
// A shard's bounds are in its directory name, so changing a policy's shard duration never
// moves existing data. Files are immutable and published atomically by the TSM writer.

import fs from 'node:fs';
import path from 'node:path';
import { CorruptionError } from '../errors.js';
import { SeriesIndex } from '../index/seriesIndex.js';
import { parseTsmFileName } from '../tsm/compactPlan.js';
import { BlockCache, TsmReader, type ResidentSet } from '../tsm/index.js';
import type { FieldTypeCode, Logger } from '../types.js';
import { removeStaleTemp, writeFileAtomic } from './meta.js';

/** InfluxDB's default shard group duration for policies that keep data forever. */
export const DEFAULT_SHARD_DURATION = 7n * 24n * 3600n * 1_000_000_000n;

const HOUR = 3600n * 1_000_000_000n;

/** InfluxDB 1.x's default shard duration for a retention duration (0 = forever): under
 * 2 days 1 h, under 6 months 1 day, else 7 days; an explicit one wins. */
export function shardDurationFor(duration: bigint, explicit?: bigint): bigint {
  if (explicit !== undefined && explicit > 0n) return explicit;
  if (duration <= 0n) return DEFAULT_SHARD_DURATION;
  if (duration < 48n * HOUR) return HOUR;
  if (duration < 180n * 24n * HOUR) return 24n * HOUR;
  return DEFAULT_SHARD_DURATION;
}

export interface Shard {
  rp: string;
  start: bigint;
  end: bigint;
  dir: string;
  /** Oldest first: on equal timestamps a later file wins. */
  files: TsmReader[];
}

export type Schema = Map<string, Map<string, FieldTypeCode>>;

export class DbStore {
  readonly name: string;
  readonly dir: string;
  readonly index: SeriesIndex;
  readonly schema: Schema;
  private readonly shards = new Map<string, Shard>();
  private schemaSaved = '';
  /** Highest file sequence number on disk (damaged files included, so no name is reused). */
  maxSeq = 0;
  /** TSM files that failed to open (damaged): left alone, reported, not read. */
  readonly damaged: { file: string; offset: number; message: string }[] = [];

  private constructor(name: string, dir: string, index: SeriesIndex, schema: Schema) {
    this.name = name;
    this.dir = dir;
    this.index = index;
    this.schema = schema;
  }

  static async open(dataDir: string, name: string, opts: { maxSeries?: number; logger: Logger; cache: BlockCache; resident: ResidentSet }): Promise<DbStore> {
    const dir = path.join(dataDir, 'db', name);
    fs.mkdirSync(dir, { recursive: true });
    const index = await SeriesIndex.open(path.join(dir, 'index'), { db: name, maxSeries: opts.maxSeries, logger: opts.logger });
    const schema: Schema = new Map();
    const fieldsFile = path.join(dir, 'fields.json');
    removeStaleTemp(fieldsFile);
    if (fs.existsSync(fieldsFile)) {
      const raw = JSON.parse(fs.readFileSync(fieldsFile, 'utf8')) as Record<string, Record<string, number>>;
      for (const [m, fields] of Object.entries(raw)) schema.set(m, new Map(Object.entries(fields) as [string, FieldTypeCode][]));
    }
    const store = new DbStore(name, dir, index, schema);
    store.schemaSaved = store.schemaJson();
    for (const rp of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!rp.isDirectory() || rp.name === 'index') continue;
      for (const sd of fs.readdirSync(path.join(dir, rp.name), { withFileTypes: true })) {
        const m = /^(-?\d+)_(-?\d+)$/.exec(sd.name);
        if (!sd.isDirectory() || !m) continue;
        const shard = store.shardAt(rp.name, BigInt(m[1]), BigInt(m[2]));
        for (const f of liveFiles(shard.dir, opts.logger)) {
          store.maxSeq = Math.max(store.maxSeq, parseTsmFileName(f)!.last);
          const file = path.join(shard.dir, f);
          try {
            shard.files.push(TsmReader.open(file, { cache: opts.cache, resident: opts.resident }));
          } catch (err) {
            if (!(err instanceof CorruptionError)) throw err;
            // Serve everything else; this file's points are unavailable until it is restored.
            store.damaged.push({ file, offset: err.offset, message: err.message });
            opts.logger.error({ file, offset: err.offset }, `${err.message}: the file is left out of reads and compactions until it is restored from a backup`);
          }
        }
        // Temporary files of a flush or compaction that did not finish.
        for (const f of fs.readdirSync(shard.dir)) if (f.endsWith('.tmp')) fs.rmSync(path.join(shard.dir, f), { force: true });
      }
    }
    return store;
  }

  /** The shard of `rp` that holds time t, for a policy with shard duration d (created on demand). */
  shardFor(rp: string, t: bigint, d: bigint): Shard {
    let start = (t / d) * d;
    if (start > t) start -= d; // floor for negative times
    for (const s of this.shards.values()) if (s.rp === rp && s.start <= t && t < s.end) return s;
    return this.shardAt(rp, start, start + d);
  }

  private shardAt(rp: string, start: bigint, end: bigint): Shard {
    const k = `${rp}\u0000${start}`;
    let s = this.shards.get(k);
    if (!s) {
      s = { rp, start, end, dir: path.join(this.dir, rp, `${start}_${end}`), files: [] };
      this.shards.set(k, s);
    }
    return s;
  }

  /** Shards of `rp` overlapping [start, end), by start time. */
  shardsOverlapping(rp: string, start?: bigint, end?: bigint): Shard[] {
    const out: Shard[] = [];
    for (const s of this.shards.values()) {
      if (s.rp !== rp || s.files.length === 0) continue;
      if (end !== undefined && s.start >= end) continue;
      if (start !== undefined && s.end <= start) continue;
      out.push(s);
    }
    return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  allShards(): Shard[] {
    return [...this.shards.values()];
  }

  /** Forgets a shard (retention): closes its files; the caller deletes its directory. */
  dropShard(shard: Shard): void {
    const k = `${shard.rp}\u0000${shard.start}`;
    if (this.shards.get(k) === shard) this.shards.delete(k);
    for (const f of shard.files) f.close();
    shard.files.length = 0;
    for (let i = this.damaged.length - 1; i >= 0; i--) if (path.dirname(this.damaged[i].file) === shard.dir) this.damaged.splice(i, 1);
  }

  /** Persists the field types if they changed (before the WAL that taught them is dropped). */
  saveSchema(): void {
    const json = this.schemaJson();
    if (json === this.schemaSaved) return;
    writeFileAtomic(path.join(this.dir, 'fields.json'), json);
    this.schemaSaved = json;
  }

  private schemaJson(): string {
    const o: Record<string, Record<string, number>> = {};
    for (const [m, fields] of [...this.schema].sort((a, b) => (a[0] < b[0] ? -1 : 1))) o[m] = Object.fromEntries(fields);
    return JSON.stringify(o);
  }

  async close(): Promise<void> {
    for (const s of this.shards.values()) for (const f of s.files) f.close();
    await this.index.close();
  }
}

/**
 * The TSM files of a shard directory, oldest first. A file whose sequence range lies inside
 * another's is the input of a compaction whose output was published but whose inputs were
 * not yet deleted (a crash in between): it is deleted now.
 */
function liveFiles(dir: string, logger: Logger): string[] {
  const files = fs
    .readdirSync(dir)
    .map((name) => ({ name, r: parseTsmFileName(name) }))
    .filter((f): f is { name: string; r: { first: number; last: number } } => f.r !== undefined);
  const live = files.filter((a) => {
    const covered = files.some((b) => b !== a && b.r.first <= a.r.first && a.r.last <= b.r.last && b.r.last - b.r.first > a.r.last - a.r.first);
    if (covered) {
      logger.warn({ file: path.join(dir, a.name) }, 'removing a TSM file already merged into a compacted file');
      fs.rmSync(path.join(dir, a.name), { force: true });
    }
    return !covered;
  });
  return live.sort((a, b) => a.r.last - b.r.last || a.r.first - b.r.first).map((f) => f.name);
}
