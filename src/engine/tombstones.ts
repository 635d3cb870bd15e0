// Tombstones: the deletes that still apply to a shard's TSM files (docs/format/tombstones.md).
//
// A delete removes points from the memtables at once, but TSM files are immutable, so for
// them it leaves a tombstone in the shard: the series ids, an inclusive time range and the
// file sequence number in force when it was made. A tombstone applies to the files whose
// last sequence is lower than its own (files flushed later hold only points written after
// the delete, which survive it). Reads filter those files' points through it; compaction
// drops the points for good, and once no file it applies to is left, the tombstone goes.
//
//   <shard>/tombstones   16-byte header, then CRC-framed entries, append-only; rewritten
//                        atomically (tmp + rename) when compaction prunes it, deleted when
//                        empty.

import fs from 'node:fs';
import path from 'node:path';
import { CorruptionError } from '../errors.js';
import { Postings } from '../index/postings.js';
import { parseTsmFileName } from '../tsm/compactPlan.js';
import type { CompactDelete, DeleteRange } from '../tsm/cut.js';
import type { TsmReader } from '../tsm/index.js';
import type { Logger } from '../types.js';
import { crc32c } from '../wal/crc32c.js';
import { writeFileAtomic } from './meta.js';
import type { Shard } from './storage.js';
import { fsyncDirSync } from '../fsutil.js';

export const TOMBSTONE_FILE = 'tombstones';
export const TOMBSTONE_MAGIC = Buffer.from('STRATATB', 'latin1');
export const TOMBSTONE_VERSION = 1;
export const TOMBSTONE_HEADER_SIZE = 16;
/** u32 length + u32 CRC in front of each entry. */
const FRAME_HEADER = 8;
/** seq, min, max. */
const FIXED = 24;
/** Largest entry accepted on reading (a damaged length fails fast). */
const MAX_ENTRY = 256 * 1024 * 1024;

export const MIN_TIME = -(2n ** 63n);
export const MAX_TIME = 2n ** 63n - 1n;

export interface Tombstone extends DeleteRange {
  /** The file sequence in force when the delete was made: applies to files with last < seq. */
  seq: number;
  ids: Postings;
  /** Appended to the tombstone file (false between the delete and its persist step). */
  persisted: boolean;
}

export function encodeHeader(): Buffer {
  const b = Buffer.alloc(TOMBSTONE_HEADER_SIZE);
  TOMBSTONE_MAGIC.copy(b, 0);
  b.writeUInt32LE(TOMBSTONE_VERSION, 8);
  b.writeUInt32LE(crc32c(b, 0, 12), 12);
  return b;
}

/** One framed entry: u32 payload length, u32 CRC-32C of length bytes + payload, payload. */
export function encodeEntry(t: Pick<Tombstone, 'seq' | 'min' | 'max' | 'ids'>): Buffer {
  const ids = t.ids.serialize();
  const n = FIXED + ids.length;
  const b = Buffer.allocUnsafe(FRAME_HEADER + n);
  b.writeUInt32LE(n, 0);
  b.writeBigUInt64LE(BigInt(t.seq), 8);
  b.writeBigInt64LE(t.min, 16);
  b.writeBigInt64LE(t.max, 24);
  ids.copy(b, 8 + FIXED);
  b.writeUInt32LE(frameCrc(b, n), 4);
  return b;
}

function frameCrc(b: Buffer, n: number): number {
  return crc32c(b, 8, 8 + n, crc32c(b, 0, 4));
}

export interface ScanResult {
  entries: Omit<Tombstone, 'persisted'>[];
  /** Offset just past the last good entry. */
  end: number;
  /** The first bad place, if any: `torn` when nothing but that frame follows. */
  bad?: { offset: number; detail: string; torn: boolean };
}

/** Reads and checks a tombstone file's bytes. */
export function scanTombstones(buf: Buffer): ScanResult {
  const entries: ScanResult['entries'] = [];
  if (buf.length < TOMBSTONE_HEADER_SIZE) {
    return { entries, end: 0, bad: { offset: 0, detail: `file is ${buf.length} bytes, shorter than its ${TOMBSTONE_HEADER_SIZE}-byte header`, torn: true } };
  }
  if (!buf.subarray(0, 8).equals(TOMBSTONE_MAGIC)) return { entries, end: 0, bad: { offset: 0, detail: 'bad magic (not a tombstone file)', torn: false } };
  if (buf.readUInt32LE(12) !== crc32c(buf, 0, 12)) return { entries, end: 0, bad: { offset: 0, detail: 'header CRC mismatch', torn: false } };
  const version = buf.readUInt32LE(8);
  if (version !== TOMBSTONE_VERSION) return { entries, end: 0, bad: { offset: 8, detail: `unsupported tombstone file version ${version} (this Strata reads ${TOMBSTONE_VERSION})`, torn: false } };
  let o = TOMBSTONE_HEADER_SIZE;
  while (o < buf.length) {
    const fail = (detail: string, end: number) => ({ entries, end: o, bad: { offset: o, detail, torn: end >= buf.length } });
    if (buf.length - o < FRAME_HEADER) return fail(`${buf.length - o} bytes left, shorter than an entry header`, buf.length);
    const n = buf.readUInt32LE(o);
    if (n < FIXED || n > MAX_ENTRY) return fail(`entry length ${n} is out of range`, buf.length);
    const end = o + FRAME_HEADER + n;
    if (end > buf.length) return fail(`entry of ${n} bytes runs past the end of the file`, end);
    const b = buf.subarray(o, end);
    if (b.readUInt32LE(4) !== frameCrc(b, n)) return fail('entry CRC mismatch', end);
    let ids: Postings;
    try {
      ids = Postings.deserialize(b.subarray(8 + FIXED));
    } catch (e) {
      return fail(`series id bitmap does not decode (${(e as Error).message})`, end);
    }
    const seq = b.readBigUInt64LE(8);
    const min = b.readBigInt64LE(16);
    const max = b.readBigInt64LE(24);
    if (seq > BigInt(Number.MAX_SAFE_INTEGER) || min > max) return fail(`entry has sequence ${seq} and range [${min}, ${max}]`, end);
    entries.push({ seq: Number(seq), min, max, ids });
    o = end;
  }
  return { entries, end: o };
}

/** The tombstones of one shard, in memory and in `<shard>/tombstones`. */
export class ShardTombstones {
  readonly file: string;
  list: Tombstone[] = [];
  /** Tombstones each open file has already had applied by the compaction that wrote it. */
  private readonly applied = new WeakMap<TsmReader, Set<Tombstone>>();

  constructor(dir: string) {
    this.file = path.join(dir, TOMBSTONE_FILE);
  }

  /** Loads the file: a torn last entry (an append a crash cut short, never acknowledged)
   * is cut off with a warning; damage before it is a CorruptionError. */
  static load(dir: string, logger: Logger): ShardTombstones {
    const ts = new ShardTombstones(dir);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(ts.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ts;
      throw e;
    }
    const r = scanTombstones(buf);
    if (r.bad) {
      if (!r.bad.torn) {
        throw new CorruptionError(ts.file, r.bad.offset, `${r.bad.detail}: deleted points would come back without it; restore it from a backup (or delete the file to accept that)`);
      }
      if (r.end < TOMBSTONE_HEADER_SIZE) {
        fs.rmSync(ts.file, { force: true });
      } else {
        fs.truncateSync(ts.file, r.end);
        const fd = fs.openSync(ts.file, 'r+');
        try {
          fs.fdatasyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      logger.warn({ file: ts.file, offset: r.bad.offset, bytes: buf.length - r.end }, `tombstone file torn tail (${r.bad.detail}): truncated; the delete it held was not acknowledged, or is replayed from the WAL`);
    }
    ts.list = r.entries.map((e) => ({ ...e, persisted: true }));
    return ts;
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  maxSeq(): number {
    let m = 0;
    for (const t of this.list) if (t.seq > m) m = t.seq;
    return m;
  }

  /** Adds a tombstone in memory (reads filter through it at once); false when an equal one
   * is already there (a delete replayed from the WAL after a crash). */
  add(t: Omit<Tombstone, 'persisted'>): boolean {
    for (const o of this.list) {
      if (o.seq === t.seq && o.min === t.min && o.max === t.max && o.ids.isEqual(t.ids)) return false;
    }
    this.list.push({ ...t, persisted: false });
    return true;
  }

  /** The tombstones that apply to `file` (its last sequence `last`), not yet applied to it. */
  applying(file: TsmReader, last: number): Tombstone[] {
    if (this.list.length === 0) return [];
    const done = this.applied.get(file);
    return this.list.filter((t) => t.seq > last && !done?.has(t));
  }

  /** For the compaction executor: the ranges of `ts` with their ids as sorted arrays. */
  static forWorker(ts: readonly Tombstone[]): CompactDelete[] {
    return ts.map((t) => ({ ids: t.ids.toUint32Array(), min: t.min, max: t.max }));
  }

  /** Appends every tombstone not yet in the file and fdatasyncs it (synchronous: rare and small). */
  persist(): void {
    const todo = this.list.filter((t) => !t.persisted);
    if (todo.length === 0) return;
    const dir = path.dirname(this.file);
    if (!fs.existsSync(dir)) return; // the shard was dropped meanwhile
    const fresh = !fs.existsSync(this.file);
    const parts = todo.map(encodeEntry);
    if (fresh) parts.unshift(encodeHeader());
    const fd = fs.openSync(this.file, 'a');
    try {
      const b = Buffer.concat(parts);
      let done = 0;
      while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (fresh) fsyncDirSync(dir);
    for (const t of todo) t.persisted = true;
  }

  /**
   * After a compaction wrote `output` (null when nothing was left) applying `snapshot`:
   * records that, then drops every tombstone that no longer applies to any file of the
   * shard, rewriting the file atomically (or deleting it when none is left).
   */
  afterCompaction(
    files: readonly TsmReader[],
    lastOf: (f: TsmReader) => number,
    output: TsmReader | null,
    snapshot: readonly Tombstone[],
    /** Last sequences of files not open (damaged) that tombstones must still cover. */
    pinned: readonly number[] = [],
  ): number {
    if (output && snapshot.length > 0) this.applied.set(output, new Set(snapshot));
    const keep = this.list.filter((t) => pinned.some((last) => last < t.seq) || files.some((f) => lastOf(f) < t.seq && !this.applied.get(f)?.has(t)));
    const dropped = this.list.length - keep.length;
    if (dropped === 0) return 0;
    this.list = keep;
    const stored = keep.filter((t) => t.persisted);
    if (stored.length === 0) {
      if (fs.existsSync(this.file)) {
        fs.rmSync(this.file, { force: true });
        fsyncDirSync(path.dirname(this.file));
      }
    } else {
      writeFileAtomic(this.file, Buffer.concat([encodeHeader(), ...stored.map(encodeEntry)]));
    }
    return dropped;
  }
}

/** The tombstones of every shard, loaded on first use. */
export class TombstoneRegistry {
  private readonly byShard = new WeakMap<Shard, ShardTombstones>();
  constructor(private readonly logger: Logger) {}

  of(shard: Shard): ShardTombstones {
    let ts = this.byShard.get(shard);
    if (!ts) {
      ts = ShardTombstones.load(shard.dir, this.logger);
      this.byShard.set(shard, ts);
    }
    return ts;
  }

  forget(shard: Shard): void {
    this.byShard.delete(shard);
  }
}


const lastSeq = new WeakMap<TsmReader, number>();

/** The last flush sequence a TSM file holds (from its name `<first>-<last>.tsm`). */
export function fileLast(f: TsmReader): number {
  let v = lastSeq.get(f);
  if (v === undefined) {
    v = parseTsmFileName(path.basename(f.path))?.last ?? 0;
    lastSeq.set(f, v);
  }
  return v;
}
