// The write-ahead log: append CRC-framed records to numbered segment files, make them
// durable with group commit, replay them on start. It moves opaque bytes with a record
// type number (1..255); what a record means is the engine's business. Format and
// rationale: docs/format/wal.md.

import * as fs from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CorruptionError, StrataError, closedError } from '../errors.js';
import { silentLogger, type FsyncMode, type Logger } from '../types.js';
import { DEFAULT_SEGMENT_SIZE, FRAME_HEADER_SIZE, MAX_RECORD_SIZE, SEGMENT_HEADER_SIZE, fillFrameHeader, frameCrc, hex, segmentName } from './format.js';
import { GroupCommit } from './group-commit.js';
import { createSegmentSync, fsyncDir, fsyncDirSync, nodeIo, walError, writeFully, type WalIo } from './io.js';
import { recoverDir, type RecoverResult } from './recover.js';

export interface WalOptions {
  /** Directory of the segment files; created if missing. */
  dir: string;
  /** Roll to a new segment once the current one would pass this many bytes (default 64 MiB). */
  segmentSize?: number;
  /** How long after a `sync('interval')` the data is fsynced (default 1000 ms). */
  fsyncIntervalMs?: number;
  logger?: Logger;
  /** Called with the duration of every data fsync, in seconds (for a latency histogram). */
  onFsync?: (seconds: number) => void;
  /** Truncate corruption in earlier segments (saving the cut bytes) instead of throwing. */
  repair?: boolean;
  /** File-system calls, replaceable to inject faults in tests. */
  io?: Partial<WalIo>;
}

export interface WalRecord {
  type: number;
  /** The record's bytes. It may share memory with neighbouring records of the same read. */
  payload: Buffer;
  /** Id of the segment holding the record. */
  segment: number;
  /** Byte offset of the record's frame in that segment. */
  offset: number;
}

export class Wal {
  private closing = false;
  private closed: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Descriptors of rolled segments, closed once no fsync uses them. */
  private retired: number[] = [];
  /** A segment was created since the directory was last fsynced. */
  private dirDirty = false;
  private rollSyncs = 0;
  private written = 0;
  private readonly hdr = Buffer.alloc(FRAME_HEADER_SIZE);
  private readonly gc: GroupCommit;
  /** End of what a completed fsync covers (see `durableEnd`). */
  private durable: WalPosition;

  private constructor(
    readonly dir: string,
    private readonly io: WalIo,
    private readonly segmentSize: number,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly onFsync: ((seconds: number) => void) | undefined,
    private ids: number[],
    private fd: number,
    /** Bytes in the current segment, header included: where the next frame goes. */
    private pos: number,
    /** What recovery found and did. */
    readonly recovery: RecoverResult,
  ) {
    this.gc = new GroupCommit(
      () => this.fsyncCurrent(),
      (e) => {
        const err = walError('fsync', this.file(this.currentSegment), e, true);
        this.logger.error({ err, dir: this.dir }, err.message);
        return err;
      },
      () => this.closeRetired(),
    );
    // What recovery found on disk; open() fdatasyncs the reopened last segment first.
    this.durable = { segment: ids[ids.length - 1], offset: pos };
  }

  /** Replays every valid record in order through `onRecord`, then is ready to append. */
  static async open(opts: WalOptions, onRecord: (rec: WalRecord) => void): Promise<Wal> {
    const dir = resolve(opts.dir);
    const logger = opts.logger ?? silentLogger;
    const io: WalIo = { ...nodeIo, ...opts.io };
    const segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    const intervalMs = opts.fsyncIntervalMs ?? 1000;
    if (!(segmentSize > SEGMENT_HEADER_SIZE)) throw new RangeError(`WAL segmentSize must be more than ${SEGMENT_HEADER_SIZE} bytes, got ${segmentSize}`);
    if (!(intervalMs > 0)) throw new RangeError(`WAL fsyncIntervalMs must be positive, got ${intervalMs}`);

    const made = await mkdir(dir, { recursive: true });
    if (made) for (let d = dir; d !== dirname(made); d = dirname(d)) await fsyncDir(dirname(d));

    const rec = await recoverDir(dir, opts.repair ? 'repair' : 'open', logger, (type, payload, segment, offset) =>
      onRecord({ type, payload, segment, offset }),
    );
    let ids = rec.segments.map((s) => s.id);
    let fd: number;
    let pos: number;
    if (ids.length === 0) {
      ids = [1];
      fd = createSegmentSync(io, dir, 1);
      try {
        await io.fdatasync(fd);
        await fsyncDir(dir);
      } catch (e) {
        fs.closeSync(fd);
        throw walError('creating the first segment', join(dir, segmentName(1)), e, false);
      }
      pos = SEGMENT_HEADER_SIZE;
    } else {
      const last = rec.segments[rec.segments.length - 1];
      fd = fs.openSync(join(dir, segmentName(last.id)), 'r+');
      pos = last.end;
      // What was replayed counts as durable (durableEnd): after a process crash it may
      // still be only in the page cache, so make it so before anyone relies on it.
      try {
        await io.fdatasync(fd);
      } catch (e) {
        fs.closeSync(fd);
        throw walError('fsync of the replayed last segment', join(dir, segmentName(last.id)), e, false);
      }
    }
    logger.info({ dir, segments: ids.length, records: rec.records, problems: rec.problems.length }, `WAL opened: replayed ${rec.records} records from ${ids.length} segment(s)`);
    return new Wal(dir, io, segmentSize, intervalMs, logger, opts.onFsync, ids, fd, pos, rec);
  }

  /** Frame bytes appended by this instance (headers included). */
  get bytesWritten(): number {
    return this.written;
  }
  /** Ids of the segment files on disk, ascending; the last is the current one. */
  get segmentIds(): number[] {
    return this.ids.slice();
  }
  get currentSegment(): number {
    return this.ids[this.ids.length - 1];
  }
  /** Data fsyncs completed: group commits plus the one made at each segment roll. */
  get fsyncCount(): number {
    return this.gc.count + this.rollSyncs;
  }
  /**
   * The position just past the last record a completed fsync covers: the end of the
   * last group commit (an fsync of the current segment captures the write position when
   * it starts), or the end of a segment sealed by a roll, or what open() recovered.
   * Everything before it survives a power cut; with fsync mode `always` it is exactly
   * what has been acknowledged (a write is acknowledged when such an fsync completes).
   */
  get durableEnd(): WalPosition {
    return { ...this.durable };
  }
  /** The position where the next append goes (appended, not necessarily durable). */
  get appendedEnd(): WalPosition {
    return { segment: this.currentSegment, offset: this.pos };
  }

  /**
   * Reads the records from `from` onward, up to `durableEnd` and about `maxBytes` of
   * frames (at least one record when one is there), crossing segment boundaries. Appends
   * go on meanwhile: the reader uses its own file descriptors and never reads past the
   * durable end. A segment deleted under the cursor is skipped and counted in `skipped`.
   */
  read(from: WalPosition, maxBytes: number): Promise<WalRead> {
    if (this.closing) return Promise.reject(closedError());
    return readDurable(this.dir, this.ids.slice(), this.durableEnd, from, maxBytes);
  }

  /** Each segment's id, size in bytes and last-modified time (ms), ascending by id. */
  segmentStats(): { id: number; bytes: number; mtimeMs: number }[] {
    const out: { id: number; bytes: number; mtimeMs: number }[] = [];
    for (const id of this.ids) {
      try {
        const st = fs.statSync(this.file(id));
        out.push({ id, bytes: id === this.currentSegment ? this.pos : st.size, mtimeMs: st.mtimeMs });
      } catch {
        // deleted by a concurrent checkpoint
      }
    }
    return out;
  }

  /** The error that stopped the log, if one did. */
  get failure(): Error | null {
    return this.gc.failure;
  }

  /**
   * Appends one record as one frame with one write(2). It is in the OS page cache when
   * this returns; `sync()` makes it durable. Rolls to a new segment first if it would not fit.
   */
  append(type: number, payload: Buffer | Buffer[]): void {
    if (this.closing) throw closedError();
    if (this.gc.failure) throw this.gc.failure;
    if (!Number.isInteger(type) || type < 1 || type > 255) throw new RangeError(`WAL record type must be an integer in 1..255, got ${type}`);
    const parts = Array.isArray(payload) ? payload : [payload];
    let len = 0;
    for (const p of parts) len += p.length;
    if (len > MAX_RECORD_SIZE) {
      throw new StrataError('STRATA_ERR_WAL', 413, `a WAL record of ${len} bytes is over the ${MAX_RECORD_SIZE}-byte limit: write smaller batches`);
    }
    const size = FRAME_HEADER_SIZE + len;
    if (this.pos > SEGMENT_HEADER_SIZE && this.pos + size > this.segmentSize) this.rollSegment();
    fillFrameHeader(this.hdr, type, parts, len);
    try {
      writeFully(this.io, this.fd, [this.hdr, ...parts], size, this.pos);
    } catch (e) {
      throw this.undoWrite(e);
    }
    this.pos += size;
    this.written += size;
    this.gc.wrote();
  }

  /**
   * `always`: resolves once an fsync that began after every earlier append has completed
   * (shared with concurrent callers). `interval`: resolves at once; an fsync follows within
   * `fsyncIntervalMs`. `off`: resolves at once. Rejects once the log has failed.
   */
  sync(mode: FsyncMode): Promise<void> {
    if (this.gc.failure) return Promise.reject(this.gc.failure);
    if (mode === 'off') return Promise.resolve();
    if (mode === 'interval') {
      if (!this.timer && !this.closing && this.gc.pending) {
        this.timer = setTimeout(() => {
          this.timer = null;
          // A failure is sticky, logged, and thrown to the next append or sync.
          this.gc.wait().catch(() => {});
        }, this.intervalMs);
        this.timer.unref();
      }
      return Promise.resolve();
    }
    return this.gc.wait();
  }

  /** fsyncs now if anything appended is not yet durable. */
  flush(): Promise<void> {
    return this.gc.wait();
  }

  /**
   * Starts a new segment and returns its id. The old one is fdatasynced first (one
   * blocking call per segment), so every segment but the last is complete on disk and
   * damage there can only be corruption, never a torn write.
   */
  rollSegment(): number {
    if (this.closing) throw closedError();
    if (this.gc.failure) throw this.gc.failure;
    const old = this.currentSegment;
    try {
      const t0 = process.hrtime.bigint();
      this.io.fdatasyncSync(this.fd);
      this.rollSyncs++;
      this.advanceDurable({ segment: old, offset: this.pos });
      this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
      if (this.dirDirty) fsyncDirSync(this.dir);
      this.dirDirty = false;
    } catch (e) {
      const err = walError('fsync before a segment roll', this.file(old), e, true);
      this.logger.error({ err, dir: this.dir }, err.message);
      throw this.gc.fail(err);
    }
    const id = old + 1;
    let fd: number;
    try {
      fd = createSegmentSync(this.io, this.dir, id);
    } catch (e) {
      // The current segment is intact and synced: later appends retry the roll.
      throw walError('creating a segment', this.file(id), e, false);
    }
    this.retire(this.fd);
    this.fd = fd;
    this.pos = SEGMENT_HEADER_SIZE;
    this.ids.push(id);
    this.dirDirty = true;
    this.gc.wrote();
    return id;
  }

  /** Checkpoint: deletes the segments with an id below `id`, never the current one. */
  async removeSegmentsBefore(id: number): Promise<void> {
    if (this.closing) throw closedError();
    const victims = this.ids.filter((s) => s < id && s !== this.currentSegment);
    if (victims.length === 0) return;
    // Oldest first, so an interrupted checkpoint leaves consecutive ids behind.
    for (const v of victims) {
      try {
        await unlink(this.file(v));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw walError('deleting a checkpointed segment', this.file(v), e, false);
      }
      this.ids = this.ids.filter((s) => s !== v);
    }
    try {
      await fsyncDir(this.dir);
    } catch (e) {
      throw walError('fsync of the directory after a checkpoint', this.dir, e, false);
    }
  }

  /** fsyncs and closes. Later appends throw STRATA_ERR_CLOSED; rejects if the log has failed. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closed = (async () => {
      let err: unknown = null;
      try {
        await this.gc.wait();
      } catch (e) {
        err = e;
      }
      await this.gc.idle();
      this.retire(this.fd);
      this.closeRetired();
      if (err) throw err;
    })();
    return this.closed;
  }

  private file(id: number): string {
    return join(this.dir, segmentName(id));
  }

  private async fsyncCurrent(): Promise<void> {
    const syncDir = this.dirDirty;
    this.dirDirty = false;
    // Everything appended so far is in this segment's page cache or in sealed segments.
    const covers: WalPosition = { segment: this.currentSegment, offset: this.pos };
    const t0 = process.hrtime.bigint();
    await this.io.fdatasync(this.fd);
    this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
    if (syncDir) await fsyncDir(this.dir);
    this.advanceDurable(covers);
  }

  private advanceDurable(p: WalPosition): void {
    if (comparePositions(p, this.durable) > 0) this.durable = p;
  }

  private retire(fd: number): void {
    this.retired.push(fd);
    if (!this.gc.busy) this.closeRetired();
  }

  private closeRetired(): void {
    for (const fd of this.retired.splice(0)) {
      try {
        fs.closeSync(fd);
      } catch (e) {
        this.logger.warn({ err: e, dir: this.dir }, 'WAL: closing a segment file failed');
      }
    }
  }

  /** After a failed write, cuts whatever part of the frame reached the file, so later
   * frames are not hidden behind a bad one. A full disk is retryable; anything else, or
   * a failed cut, stops the log. */
  private undoWrite(e: unknown): Error {
    const file = this.file(this.currentSegment);
    try {
      fs.ftruncateSync(this.fd, this.pos);
    } catch {
      const err = walError('write', file, e, true);
      this.logger.error({ err, dir: this.dir }, err.message);
      return this.gc.fail(err);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') return walError('write', file, e, false);
    const err = walError('write', file, e, true);
    this.logger.error({ err, dir: this.dir }, err.message);
    return this.gc.fail(err);
  }
}

export { repairWal, verifyWal, type RecoverResult, type WalProblem } from './recover.js';
export { MAX_RECORD_SIZE, DEFAULT_SEGMENT_SIZE } from './format.js';
export type { WalIo } from './io.js';

// ---- reading from a cursor (store-and-forward) ------------------------------------------

/** A place in the log: a segment id and a byte offset in it (a frame's start, or the end). */
export interface WalPosition {
  segment: number;
  offset: number;
}

export interface WalRead {
  records: WalRecord[];
  /** Where the next read starts: just past the last record returned (or `from`, moved
   * over segment boundaries and missing segments). */
  next: WalPosition;
  /** Frame bytes returned (headers included). */
  bytes: number;
  /** Segments between `from` and `next` that no longer exist (deleted: their records are gone). */
  skipped: number;
}

/** Orders positions: negative when a is before b. */
export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

/**
 * Reads frames from `from` up to `end` (a durable position), about `maxBytes` of them and
 * at least one when there is one. `ids` are the segments that exist, ascending; a segment
 * deleted after the list was taken reads as missing. Sealed segments (before end.segment)
 * are read to their last frame. A frame that fails its CRC below the durable end is
 * corruption (the bytes were fsynced whole), not a torn tail.
 */
async function readDurable(dir: string, ids: number[], end: WalPosition, from: WalPosition, maxBytes: number): Promise<WalRead> {
  const records: WalRecord[] = [];
  let pos: WalPosition = { segment: from.segment, offset: Math.max(from.offset, SEGMENT_HEADER_SIZE) };
  let bytes = 0;
  let skipped = 0;
  while (bytes < maxBytes && comparePositions(pos, end) < 0) {
    if (!ids.includes(pos.segment)) {
      const nextId = ids.find((id) => id > pos.segment);
      if (nextId === undefined || nextId > end.segment) break;
      skipped += nextId - pos.segment;
      pos = { segment: nextId, offset: SEGMENT_HEADER_SIZE };
      continue;
    }
    const file = join(dir, segmentName(pos.segment));
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw walError('opening a segment to read', file, e, false);
      ids = ids.filter((id) => id !== pos.segment);
      continue;
    }
    let limit: number;
    try {
      limit = pos.segment === end.segment ? end.offset : fs.fstatSync(fd).size;
      const got = readFrames(fd, file, pos, limit, maxBytes - bytes, records);
      bytes += got.bytes;
      pos = { segment: pos.segment, offset: got.offset };
      if (got.offset < limit) break; // the byte budget is spent
    } finally {
      fs.closeSync(fd);
    }
    if (pos.segment === end.segment) break;
    const nextId = ids.find((id) => id > pos.segment);
    if (nextId === undefined) break;
    skipped += nextId - pos.segment - 1;
    pos = { segment: nextId, offset: SEGMENT_HEADER_SIZE };
  }
  return { records, next: pos, bytes, skipped };
}

/** Reads the frames of one segment in [at.offset, limit), stopping after `budget` bytes
 * (but taking at least one frame), into `out`. Returns the offset reached. */
function readFrames(fd: number, file: string, at: WalPosition, limit: number, budget: number, out: WalRecord[]): { offset: number; bytes: number } {
  let off = at.offset;
  const want = Math.min(limit - off, Math.max(budget, FRAME_HEADER_SIZE));
  let buf = Buffer.allocUnsafe(want);
  let base = off;
  let have = fs.readSync(fd, buf, 0, want, off);
  let bytes = 0;
  while (off < limit) {
    if (off + FRAME_HEADER_SIZE > base + have) {
      if (bytes > 0) break;
      throw new CorruptionError(file, off, 'a frame header is cut off before the durable end of the log');
    }
    const p = off - base;
    const len = buf.readUInt32LE(p);
    const type = buf[p + 8];
    if (len === 0 && type === 0) break; // zero-filled space after the last frame of a sealed segment
    const size = FRAME_HEADER_SIZE + len;
    if (len > MAX_RECORD_SIZE || off + size > limit) throw new CorruptionError(file, off, `a frame of ${len} bytes runs past the durable end at ${limit}`);
    if (off + size > base + have) {
      if (bytes > 0) break; // the next read starts here
      // One frame larger than the budget: read it whole.
      buf = Buffer.allocUnsafe(size);
      base = off;
      have = fs.readSync(fd, buf, 0, size, off);
      if (have < size) throw new CorruptionError(file, off, 'the segment is shorter than its durable end');
      continue;
    }
    const q = off - base;
    const crc = buf.readUInt32LE(q + 4);
    const want2 = frameCrc(buf, q, buf, q + FRAME_HEADER_SIZE, q + size);
    if (crc !== want2) throw new CorruptionError(file, off, `frame CRC mismatch (stored ${hex(crc)}, computed ${hex(want2)})`);
    out.push({ type, payload: buf.subarray(q + FRAME_HEADER_SIZE, q + size), segment: at.segment, offset: off });
    off += size;
    bytes += size;
    if (bytes >= budget) break;
  }
  return { offset: off, bytes };
}
