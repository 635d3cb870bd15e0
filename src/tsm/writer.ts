// Writes one TSM file (format.ts, indexCodec.ts; docs/format/tsm.md), synchronously: the
// engine runs it in a worker thread. Blocks go to `<path>.tmp` through a 1 MiB buffer as
// they are encoded, so memory holds one buffer and the index being built (a few bytes per
// block), never the file. finish() appends the index and footer, fsyncs the file, reads it
// back (index and block CRCs: a file that does not read back is never published), renames
// it to `path` and fsyncs the directory: a crash leaves either no file or the whole file
// under `path` (and maybe a `.tmp`, which readers refuse and the engine deletes at start).

import fs from 'node:fs';
import nodePath from 'node:path';
import { ByteWriter, encodeBlock } from '../gorilla/index.js';
import type { ColumnValues, FieldTypeCode } from '../types.js';
import { crc32c } from '../wal/crc32c.js';
import { BLOCK_CRC_SIZE, encodeFooter, encodeHeader, FOOTER_SIZE, TEMP_SUFFIX } from './format.js';
import { IndexBuilder } from './indexCodec.js';
import { fsyncDirSync } from '../fsutil.js';
import { TsmCorruptionError } from './errors.js';
import { readBackProblem } from './verify.js';

export interface TsmColumnInput {
  seriesId: number;
  field: string;
  type: FieldTypeCode;
  /** Sorted ascending, unique. */
  times: BigInt64Array;
  values: ColumnValues;
}

export interface BlockRef {
  minTime: bigint;
  maxTime: bigint;
  /** File offset of the block's frame (its CRC; the block bytes follow). */
  offset: number;
  /** Bytes of the block, not counting the 4-byte CRC in front. */
  size: number;
  count: number;
}

export interface TsmFileMeta {
  path: string;
  size: number;
  /** For a file with no points: minTime = 2^63 - 1 and maxTime = -2^63 (the empty range). */
  minTime: bigint;
  maxTime: bigint;
  seriesCount: number;
  blockCount: number;
  pointCount: number;
  /** The field dictionary: one entry per (name, type) in the file. */
  fields: { name: string; type: FieldTypeCode }[];
}

export interface TsmWriterOptions {
  /** Points per block (default 1000). */
  maxPointsPerBlock?: number;
}

export const DEFAULT_POINTS_PER_BLOCK = 1000;
const FLUSH_AT = 1 << 20;

export class TsmWriter {
  readonly path: string;
  readonly tmpPath: string;
  private readonly maxPoints: number;
  private fd: number;
  private readonly out = new ByteWriter(FLUSH_AT + (1 << 16));
  private readonly index = new IndexBuilder();
  /** Bytes already handed to the file. */
  private written = 0;
  private state: 'open' | 'failed' | 'done' = 'open';

  constructor(path: string, opts: TsmWriterOptions = {}) {
    const max = opts.maxPointsPerBlock ?? DEFAULT_POINTS_PER_BLOCK;
    if (!Number.isInteger(max) || max < 1 || max > 1 << 20) throw new RangeError(`maxPointsPerBlock must be an integer in 1..2^20, not ${max}`);
    this.maxPoints = max;
    this.path = path;
    this.tmpPath = path + TEMP_SUFFIX;
    this.fd = fs.openSync(this.tmpPath, 'w');
    this.out.append(encodeHeader());
  }

  /** Splits a column into blocks and writes them. Throws (changing nothing) on bad input. */
  add(col: TsmColumnInput): void {
    this.ensureOpen();
    const { seriesId, field, type, times, values } = col;
    const n = times.length;
    if (!(times instanceof BigInt64Array)) throw new TypeError('TSM writer: times must be a BigInt64Array');
    if (values.length !== n) throw new RangeError(`TSM writer: series ${seriesId} field ${JSON.stringify(field)} has ${n} times and ${values.length} values`);
    if (n === 0) return; // no key for an empty column
    checkSorted(times, seriesId, field);
    this.index.check(seriesId, field, type, times[0]);
    for (let from = 0; from < n; from += this.maxPoints) {
      const to = Math.min(n, from + this.maxPoints);
      this.writeBlock(seriesId, field, type, times[from], times[to - 1], to - from, (o) => encodeBlock(type, times, values, from, to, o));
    }
  }

  /**
   * Copies a block of another TSM file unchanged (compaction): `raw` is its block bytes as
   * TsmReader.rawBlock returns them, `ref` its index entry there. The CRC is recomputed.
   */
  addRawBlock(seriesId: number, field: string, type: FieldTypeCode, ref: BlockRef, raw: Uint8Array): void {
    this.ensureOpen();
    if (raw.length !== ref.size) throw new RangeError(`TSM writer: raw block is ${raw.length} bytes, its ref says ${ref.size}`);
    if (!(ref.count >= 1) || ref.minTime > ref.maxTime) throw new RangeError(`TSM writer: raw block ref has ${ref.count} points over [${ref.minTime}, ${ref.maxTime}]`);
    if (raw.length < 2 || raw[1] !== type) throw new TypeError(`TSM writer: raw block holds value type ${raw[1]}, not ${type}`);
    this.index.check(seriesId, field, type, ref.minTime);
    this.writeBlock(seriesId, field, type, ref.minTime, ref.maxTime, ref.count, (o) => o.append(raw));
  }

  private writeBlock(seriesId: number, field: string, type: FieldTypeCode, minTime: bigint, maxTime: bigint, count: number, fill: (o: ByteWriter) => void): void {
    const o = this.out;
    const at = o.pos;
    o.u32(0);
    try {
      fill(o);
    } catch (err) {
      o.pos = at;
      throw err;
    }
    const size = o.pos - at - BLOCK_CRC_SIZE;
    o.setU32(at, crc32c(o.buf, at + BLOCK_CRC_SIZE, o.pos));
    const offset = this.index.addBlock(seriesId, field, type, minTime, maxTime, count, size);
    if (offset !== this.written + at) {
      this.state = 'failed';
      throw new Error(`TSM writer: internal error, block at ${this.written + at} but the index expects ${offset}`);
    }
    if (o.pos >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    const o = this.out;
    try {
      writeAll(this.fd, o.buf, o.pos);
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
    this.written += o.pos;
    o.reset();
  }

  private ensureOpen(): void {
    if (this.state === 'done') throw new Error(`TSM writer for ${this.path} is finished or aborted`);
    if (this.state === 'failed') throw new Error(`TSM writer for ${this.path} failed earlier: abort() it`);
  }

  /** Writes the index and footer, fsyncs and publishes the file under its name. */
  finish(): TsmFileMeta {
    this.ensureOpen();
    try {
      this.flush();
      const indexOffset = this.written;
      let crc = 0;
      let indexLength = 0;
      for (const chunk of this.index.finish()) {
        crc = crc32c(chunk, 0, chunk.length, crc);
        indexLength += chunk.length;
        writeAll(this.fd, chunk, chunk.length);
      }
      const footer = encodeFooter({ indexOffset, indexLength, indexCrc: crc });
      writeAll(this.fd, footer, FOOTER_SIZE);
      const size = indexOffset + indexLength + FOOTER_SIZE;
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      // Read back before the file is published (and a compaction deletes its inputs): a
      // file whose bytes do not match their CRCs is never published. Readers of this file
      // in this process then skip the CRC check of their first read of each block
      // (TsmReaderOptions.verified).
      const problem = readBackProblem(this.tmpPath);
      if (problem !== null) throw new TsmCorruptionError(this.tmpPath, problem.offset, `the file written does not read back: ${problem.message}`);
      fs.renameSync(this.tmpPath, this.path);
      fsyncDirSync(nodePath.dirname(this.path));
      this.state = 'done';
      const ix = this.index;
      return {
        path: this.path,
        size,
        minTime: ix.minTime,
        maxTime: ix.maxTime,
        seriesCount: ix.seriesCount,
        blockCount: ix.blockCount,
        pointCount: ix.pointCount,
        fields: ix.dictionary(),
      };
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Drops the temporary file. Safe to call more than once, and after a failure. */
  abort(): void {
    if (this.state === 'done' && this.fd < 0) return;
    this.state = 'done';
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    fs.rmSync(this.tmpPath, { force: true });
  }
}

/** Writes a whole file from columns given in (series id, field) order. */
export function writeTsmFile(path: string, cols: Iterable<TsmColumnInput>, opts?: TsmWriterOptions): TsmFileMeta {
  const w = new TsmWriter(path, opts);
  try {
    for (const c of cols) w.add(c);
  } catch (err) {
    w.abort();
    throw err;
  }
  return w.finish();
}

function writeAll(fd: number, buf: Uint8Array, len: number): void {
  let done = 0;
  while (done < len) done += fs.writeSync(fd, buf, done, len - done);
}


/** Times must rise strictly; compared as (signed high word, low word), no BigInt per point. */
function checkSorted(times: BigInt64Array, seriesId: number, field: string): void {
  const w = new Uint32Array(times.buffer, times.byteOffset, times.length * 2);
  for (let i = 1; i < times.length; i++) {
    const ph = w[2 * i - 1] | 0;
    const h = w[2 * i + 1] | 0;
    if (h > ph || (h === ph && w[2 * i] > w[2 * i - 2])) continue;
    throw new RangeError(`TSM writer: series ${seriesId} field ${JSON.stringify(field)}: times are not ascending and unique at index ${i} (${times[i - 1]}, ${times[i]})`);
  }
}
