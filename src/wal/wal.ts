// The write-ahead log: append CRC-framed records to numbered segment files, make them
// durable with group commit, replay them on start. It moves opaque bytes with a record
// type number (1..255); what a record means is the engine's business. Format and
// rationale: docs/format/wal.md.

import * as fs from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { StrataError, closedError } from '../errors.js';
import { silentLogger, type FsyncMode, type Logger } from '../types.js';
import { DEFAULT_SEGMENT_SIZE, FRAME_HEADER_SIZE, MAX_RECORD_SIZE, SEGMENT_HEADER_SIZE, fillFrameHeader, segmentName } from './format.js';
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
    const t0 = process.hrtime.bigint();
    await this.io.fdatasync(this.fd);
    this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
    if (syncDir) await fsyncDir(this.dir);
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
