// The file-system calls the WAL makes, behind a small interface so tests can inject
// faults (a failing fsync, a full disk) without patching `node:fs`.

import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { StrataError } from '../errors.js';
export { fsyncDir, fsyncDirSync } from '../fsutil.js';
import { encodeSegmentHeader, segmentName } from './format.js';

export interface WalIo {
  /** Writes `bufs` at `position`, returns the bytes written (may be fewer than asked). */
  writev(fd: number, bufs: Uint8Array[], position: number): number;
  /** Flushes a file's data (and the metadata needed to read it back) to stable storage. */
  fdatasync(fd: number): Promise<void>;
  fdatasyncSync(fd: number): void;
}

// fdatasync, not fsync: a WAL needs its bytes and the file size durable, not mtime.
// libuv runs it on the threadpool, so the event loop keeps serving writers meanwhile.
export const nodeIo: WalIo = {
  writev: (fd, bufs, position) => fs.writevSync(fd, bufs, position),
  fdatasync: promisify(fs.fdatasync),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
};

/** Writes all of `bufs` (`total` bytes) at `position`, continuing after short writes. */
export function writeFully(io: WalIo, fd: number, bufs: Uint8Array[], total: number, position: number): void {
  let done = io.writev(fd, bufs, position);
  while (done < total) {
    if (done <= 0) throw Object.assign(new Error('write(2) wrote no bytes'), { code: 'EIO' });
    const rest: Uint8Array[] = [];
    let skip = done;
    for (const b of bufs) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    const n = io.writev(fd, rest, position + done);
    if (n <= 0) throw Object.assign(new Error('write(2) wrote no bytes'), { code: 'EIO' });
    done += n;
  }
}

/** Creates segment `id` holding only its header; the caller makes it durable. */
export function createSegmentSync(io: WalIo, dir: string, id: number): number {
  const path = join(dir, segmentName(id));
  const fd = fs.openSync(path, 'wx');
  try {
    const h = encodeSegmentHeader(id);
    writeFully(io, fd, [h], h.length, 0);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    try {
      fs.unlinkSync(path);
    } catch {
      // The write error is the one to report; a leftover empty file is a torn creation
      // that recovery reinitialises.
    }
    throw e;
  }
}

const RECOVERABLE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** A WAL I/O failure as a StrataError, with the OS error as `cause`. */
export function walError(op: string, file: string, cause: unknown, sticky: boolean): StrataError {
  const c = cause as NodeJS.ErrnoException;
  const code = c?.code ?? 'EIO';
  const full = RECOVERABLE.has(code);
  const hint = sticky
    ? 'the WAL refuses further writes until Strata restarts and replays it (after a failed fsync the OS may have dropped unsynced data, so a retry could lose it silently)'
    : full
      ? 'free disk space and retry'
      : 'retry, and check the disk if it keeps happening';
  const err = new StrataError(
    'STRATA_ERR_WAL',
    full ? 507 : 500,
    `write-ahead log ${op} failed on ${file}: ${c?.message ?? String(cause)}; the write was not acknowledged: ${hint}`,
  );
  err.cause = cause;
  return err;
}
