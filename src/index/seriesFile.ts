// The series file: the one durable record of which series a database has and their ids.
// docs/format/index.md is the specification; this file is its code.
//
//   header (16 bytes): magic "STRATASF" | u32 LE version = 1 | u32 LE CRC-32C of bytes 0..12
//   frames:            u32 LE n | u32 LE CRC-32C over (bytes 0..4, payload) | payload (n bytes)
//   payload:           u8 type | body
//     type 1 ADD:      u32 LE id | series key, UTF-8        (ids are dense: 0, 1, 2, ...)
//     type 2 DELETE:   portable roaring bitmap of the ids tombstoned
//
// Append-only; a frame is written with one pwrite, at the end, by the only process that
// has the data directory open (the LOCK file). Ids are the order of ADD frames, so an id
// is never reused: a deleted series that is written again gets a new id.
//
// Open reads every frame. A bad frame past the last point known synced is a torn tail: a
// crash cut short writes that were never synced, perhaps out of order (a hole, then later
// pages). It is truncated and logged, as the WAL's last segment is. A bad frame before
// that point (the index snapshot records one, see snapshot.ts) is corruption: open fails
// with the file and offset, since truncating there would lose series that have data.

import fs from 'node:fs';
import { promisify } from 'node:util';
import { CorruptionError, StrataError } from '../errors.js';
import { GroupCommit } from '../wal/group-commit.js';
import { crc32c } from '../wal/crc32c.js';
import type { Logger } from '../types.js';
import { Postings } from './postings.js';

/** The snapshot file beside the series file (see snapshot.ts); named here for messages. */
export const SNAPSHOT_NAME = 'postings.snap';

export const SERIES_MAGIC = Buffer.from('STRATASF', 'latin1');
export const SERIES_VERSION = 1;
export const SERIES_HEADER_SIZE = 16;
export const FRAME_HEADER_SIZE = 8;
export const TYPE_ADD = 1;
export const TYPE_DELETE = 2;
/** Guards against absurd lengths from a damaged header (a delete of every uint32 id is 512 MiB). */
export const MAX_FRAME_SIZE = 1024 * 1024 * 1024;
/** Frames of more than this many bytes are read on their own instead of through the window. */
const CHUNK = 8 * 1024 * 1024;

export interface SeriesFileVisitor {
  /** An ADD frame at `offset`: series `id` (= the number of ADD frames before it) has key `key`. */
  add(id: number, key: string, offset: number): void;
  /** A DELETE frame at `offset`. */
  delete(ids: Postings, offset: number): void;
}

export interface SeriesFileOpenResult {
  file: SeriesFile;
  /** ADD frames read (= the next id). */
  count: number;
  /** Bytes cut from a torn tail (0 when the file ended cleanly). */
  truncated: number;
}

const fdatasync = promisify(fs.fdatasync);

export function encodeSeriesHeader(): Buffer {
  const b = Buffer.alloc(SERIES_HEADER_SIZE);
  SERIES_MAGIC.copy(b, 0);
  b.writeUInt32LE(SERIES_VERSION, 8);
  b.writeUInt32LE(crc32c(b, 0, 12), 12);
  return b;
}

/** The CRC of a frame whose first 4 bytes (the length) are at `buf[at]` and payload follows the 8-byte header. */
function frameCrc(buf: Uint8Array, at: number, n: number): number {
  return crc32c(buf, at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + n, crc32c(buf, at, at + 4));
}

export class SeriesFile {
  readonly path: string;
  private fd: number;
  /** Bytes of valid frames (the offset of the next frame). */
  private pos: number;
  private readonly gc: GroupCommit;
  private scratch = Buffer.allocUnsafe(4096);
  private closed = false;

  private constructor(path: string, fd: number, pos: number) {
    this.path = path;
    this.fd = fd;
    this.pos = pos;
    this.gc = new GroupCommit(
      () => fdatasync(this.fd),
      (e) => indexIoError('fdatasync', path, e, true),
    );
  }

  /**
   * Opens (creating when missing) and reads the series file, handing every frame to `visit`
   * in order. `durable`: an offset known to have been synced (an index snapshot covers it);
   * damage before it is corruption, not a torn tail.
   */
  static open(path: string, logger: Logger, visit: SeriesFileVisitor, durable = 0): SeriesFileOpenResult {
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    } catch (e) {
      throw indexIoError('open', path, e, false);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < SERIES_HEADER_SIZE || isZero(readAt(fd, 0, SERIES_HEADER_SIZE))) {
        // New, or a creation a crash cut short before the header reached the disk.
        if (size > 0 && !isZero(readAt(fd, 0, size))) {
          throw new CorruptionError(path, 0, `series file is ${size} bytes, shorter than its ${SERIES_HEADER_SIZE}-byte header`);
        }
        if (size > 0) logger.warn({ file: path, size }, `series file ${path} had a zero-filled header (a creation cut short); reinitialised`);
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, encodeSeriesHeader(), 0, SERIES_HEADER_SIZE, 0);
        fs.fdatasyncSync(fd);
        return { file: new SeriesFile(path, fd, SERIES_HEADER_SIZE), count: 0, truncated: 0 };
      }
      const why = checkHeader(readAt(fd, 0, SERIES_HEADER_SIZE));
      if (why) throw new CorruptionError(path, 0, why);
      const scan = scanFrames(fd, path, size, SERIES_HEADER_SIZE, visit);
      let truncated = 0;
      if (scan.bad && scan.bad.offset < durable) {
        throw new CorruptionError(
          path,
          scan.bad.offset,
          `${scan.bad.detail}; the index snapshot shows the first ${durable} bytes were synced, so this is damage, not a torn write: restore the index directory from a backup`,
        );
      }
      if (scan.end < durable) {
        throw new CorruptionError(
          path,
          scan.end,
          `series file ends at ${scan.end} bytes, but the index snapshot shows its first ${durable} bytes were synced: restore the index directory from a backup (or, to accept the loss, delete ${SNAPSHOT_NAME} beside it)`,
        );
      }
      if (scan.bad) {
        const { offset, detail } = scan.bad;
        const after = framesAfter(fd, size, offset, scan.count);
        truncated = size - offset;
        fs.ftruncateSync(fd, offset);
        fs.fdatasyncSync(fd);
        const lost = after > 0 ? `, and ${after} complete entr${after === 1 ? 'y' : 'ies'} after it (written after the last sync, with the gap a crash left)` : '';
        logger.warn(
          { file: path, offset, dropped: truncated, detail, entriesAfter: after },
          `series file torn tail in ${path} at offset ${offset} (${detail}): truncated, dropped ${truncated} bytes of unsynced entries a crash cut short${lost}`,
        );
      }
      return { file: new SeriesFile(path, fd, scan.end), count: scan.count, truncated };
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** The offset just past the last frame: a snapshot records it as the point it covers. */
  get size(): number {
    return this.pos;
  }

  /** Appends an ADD frame (to the OS: durable once `sync()` resolves). */
  appendSeries(id: number, key: string): void {
    const kb = Buffer.byteLength(key, 'utf8');
    const n = 5 + kb;
    const total = FRAME_HEADER_SIZE + n;
    if (this.scratch.length < total) this.scratch = Buffer.allocUnsafe(Math.max(total, this.scratch.length * 2));
    const b = this.scratch;
    b.writeUInt32LE(n, 0);
    b[8] = TYPE_ADD;
    b.writeUInt32LE(id, 9);
    b.write(key, 13, kb, 'utf8');
    b.writeUInt32LE(frameCrc(b, 0, n), 4);
    this.write(b, total);
  }

  /** Appends a DELETE frame for `ids`. */
  appendDelete(ids: Postings): void {
    const body = ids.serialize();
    const n = 1 + body.length;
    const b = Buffer.allocUnsafe(FRAME_HEADER_SIZE + n);
    b.writeUInt32LE(n, 0);
    b[8] = TYPE_DELETE;
    body.copy(b, 9);
    b.writeUInt32LE(frameCrc(b, 0, n), 4);
    this.write(b, b.length);
  }

  /** Resolves once everything appended so far is on stable storage. Concurrent callers
   * share fdatasyncs (group commit, src/wal/group-commit.ts); a failure is sticky. */
  sync(): Promise<void> {
    return this.gc.wait();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.gc.idle();
    try {
      if (this.gc.pending && !this.gc.failure) await fdatasync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }

  private write(b: Buffer, total: number): void {
    if (this.gc.failure) throw this.gc.failure;
    if (this.closed) throw new StrataError('STRATA_ERR_CLOSED', 503, 'the series index is closed');
    let done = 0;
    try {
      while (done < total) {
        const w = fs.writeSync(this.fd, b, done, total - done, this.pos + done);
        if (w <= 0) throw Object.assign(new Error('write(2) wrote no bytes'), { code: 'EIO' });
        done += w;
      }
    } catch (e) {
      // Cut the partial frame off so the file stays a sequence of whole frames; when even
      // that fails, refuse further appends (the next open truncates it as a torn tail).
      try {
        if (done > 0) fs.ftruncateSync(this.fd, this.pos);
      } catch {
        throw this.gc.fail(indexIoError('write', this.path, e, true));
      }
      throw indexIoError('write', this.path, e, false);
    }
    this.pos += total;
    this.gc.wrote();
  }
}

/** Why a series file header is not valid, or null when it is. */
export function checkHeader(b: Buffer): string | null {
  if (!b.subarray(0, 8).equals(SERIES_MAGIC)) return `bad magic ${JSON.stringify(b.subarray(0, 8).toString('latin1'))}, expected "STRATASF"`;
  const stored = b.readUInt32LE(12);
  const computed = crc32c(b, 0, 12);
  if (stored !== computed) return `series file header CRC mismatch (stored ${hex(stored)}, computed ${hex(computed)})`;
  const v = b.readUInt32LE(8);
  if (v !== SERIES_VERSION) return `unsupported series file version ${v} (this build reads version ${SERIES_VERSION})`;
  return null;
}

interface Scan {
  end: number;
  count: number;
  bad: { offset: number; detail: string } | null;
}

/** Reads frames from `start` through a window of fresh 8 MiB buffers. */
function scanFrames(fd: number, path: string, size: number, start: number, visit: SeriesFileVisitor): Scan {
  let count = 0;
  let buf: Buffer = Buffer.alloc(0);
  let bufAt = start; // file offset of buf[0]
  let pos = start;
  const bad = (detail: string): Scan => ({ end: pos, count, bad: { offset: pos, detail } });
  while (pos < size) {
    let off = pos - bufAt;
    if (off + FRAME_HEADER_SIZE > buf.length) {
      buf = refill(fd, buf, off, pos, size, FRAME_HEADER_SIZE);
      bufAt = pos;
      off = 0;
      if (buf.length < FRAME_HEADER_SIZE) return bad(`entry header cut short: ${size - pos} bytes left`);
    }
    const n = buf.readUInt32LE(off);
    if (n < 1 || n > MAX_FRAME_SIZE) return bad(`impossible entry length ${n}`);
    if (pos + FRAME_HEADER_SIZE + n > size) return bad(`entry of ${n} bytes runs past the end of the file (${size} bytes)`);
    if (off + FRAME_HEADER_SIZE + n > buf.length) {
      buf = refill(fd, buf, off, pos, size, FRAME_HEADER_SIZE + n);
      bufAt = pos;
      off = 0;
    }
    const stored = buf.readUInt32LE(off + 4);
    const computed = frameCrc(buf, off, n);
    if (stored !== computed) return bad(`entry CRC mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
    const type = buf[off + 8];
    const p = off + 9;
    if (type === TYPE_ADD) {
      if (n < 5) return bad(`ADD entry of ${n} bytes is too short`);
      const id = buf.readUInt32LE(p);
      if (id !== count) return bad(`ADD entry has id ${id}, expected ${count} (ids are dense)`);
      visit.add(id, buf.toString('utf8', p + 4, off + FRAME_HEADER_SIZE + n), pos);
      count++;
    } else if (type === TYPE_DELETE) {
      let ids: Postings;
      try {
        ids = Postings.deserialize(buf.subarray(p, off + FRAME_HEADER_SIZE + n));
      } catch (e) {
        throw new CorruptionError(path, pos, `DELETE entry does not hold a roaring bitmap: ${(e as Error).message}`);
      }
      const max = ids.max();
      if (max !== undefined && max >= count) throw new CorruptionError(path, pos, `DELETE entry names id ${max}, which does not exist yet (${count} series)`);
      visit.delete(ids, pos);
    } else {
      return bad(`unknown entry type ${type}`);
    }
    pos += FRAME_HEADER_SIZE + n;
  }
  return { end: pos, count, bad: null };
}

/** A fresh buffer holding the file from `pos` (keeping `buf[off..]`), at least `need` bytes when the file has them. */
function refill(fd: number, buf: Buffer, off: number, pos: number, size: number, need: number): Buffer {
  const cap = Math.min(size - pos, Math.max(need, CHUNK));
  const next = Buffer.allocUnsafe(cap);
  let have = off < buf.length ? buf.copy(next, 0, off) : 0;
  while (have < cap) {
    const r = fs.readSync(fd, next, have, cap - have, pos + have);
    if (r === 0) throw new Error(`series file shrank while being read (at offset ${pos + have})`);
    have += r;
  }
  return next;
}

/**
 * How many valid frames start after the bad one at `bad` (for the log: a crash can leave
 * unsynced pages written out of order, a hole before later frames). Candidates are
 * filtered by length, type and (for ADD) a plausible id before any CRC is computed.
 */
function framesAfter(fd: number, size: number, bad: number, nextId: number): number {
  const rest = size - bad;
  if (rest <= FRAME_HEADER_SIZE + 1 || rest > 64 * 1024 * 1024) return 0;
  const buf = readAt(fd, bad, rest);
  const maxId = nextId + Math.ceil(rest / (FRAME_HEADER_SIZE + 5));
  let found = 0;
  for (let i = 1; i + FRAME_HEADER_SIZE + 1 <= buf.length; i++) {
    const n = buf.readUInt32LE(i);
    if (n < 1 || i + FRAME_HEADER_SIZE + n > buf.length) continue;
    const type = buf[i + 8];
    if (type === TYPE_ADD) {
      if (n < 5) continue;
      const id = buf.readUInt32LE(i + 9);
      if (id < nextId || id > maxId) continue;
    } else if (type !== TYPE_DELETE) continue;
    if (buf.readUInt32LE(i + 4) === frameCrc(buf, i, n)) {
      found++;
      i += FRAME_HEADER_SIZE + n - 1;
    }
  }
  return found;
}

/** The offset of the ADD entry of series `id` (for messages about it), or -1. Walks the
 * entry headers one read each: only for the rare error path. */
export function locateSeries(path: string, id: number): number {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    for (let pos = SERIES_HEADER_SIZE; pos + 13 <= size; ) {
      const h = readAt(fd, pos, 13);
      if (h[8] === TYPE_ADD && h.readUInt32LE(9) === id) return pos;
      pos += FRAME_HEADER_SIZE + h.readUInt32LE(0);
    }
    return -1;
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(fd: number, pos: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let have = 0;
  while (have < n) {
    const r = fs.readSync(fd, b, have, n - have, pos + have);
    if (r === 0) return b.subarray(0, have);
    have += r;
  }
  return b;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

const RECOVERABLE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** An I/O failure of an index file. `sticky`: the index refuses further changes until a restart. */
export function indexIoError(op: string, file: string, cause: unknown, sticky: boolean): StrataError {
  const c = cause as NodeJS.ErrnoException;
  const full = RECOVERABLE.has(c?.code ?? '');
  const hint = sticky
    ? 'the index refuses new series until Strata restarts (after a failed fsync the OS may have dropped unsynced data)'
    : full
      ? 'free disk space and retry'
      : 'retry, and check the disk if it keeps happening';
  const err = new StrataError('STRATA_ERR_INDEX', full ? 507 : 500, `series index ${op} failed on ${file}: ${c?.message ?? String(cause)}; ${hint}`);
  err.cause = cause;
  return err;
}
