// Reads a TSM file (docs/format/tsm.md) with positional reads: open() reads the header,
// the footer and the index (checking magic, version and CRCs) and decodes the index into
// typed arrays (indexCodec.ts); read() then touches only the blocks whose time range
// overlaps the query's, each through the block cache. A damaged block throws a
// CorruptionError naming its offset and leaves the reader usable for every other block.

import fs from 'node:fs';
import { decodeBlock } from '../gorilla/index.js';
import type { ColumnValues, FieldTypeCode } from '../types.js';
import { BOOLEAN, FLOAT, INTEGER, UNSIGNED } from '../types.js';
import { crc32c } from '../wal/crc32c.js';
import { BlockCache, newFileId } from './cache.js';
import type { DecodedColumn } from './cache.js';
import { TsmCorruptionError } from './errors.js';
import { timeLowerBound as lowerBound } from './merge.js';
import { BLOCK_CRC_SIZE, checkHeader, decodeFooter, FOOTER_SIZE, HEADER_SIZE, TEMP_SUFFIX } from './format.js';
import { blockSize, decodeIndex, IndexFormatError, MIN_I64 } from './indexCodec.js';
import type { TsmIndex } from './indexCodec.js';
import type { BlockRef, TsmFileMeta } from './writer.js';

export interface TsmReaderOptions {
  cache?: BlockCache;
}

export interface TsmColumn {
  type: FieldTypeCode;
  times: BigInt64Array;
  values: ColumnValues;
}

export class TsmReader {
  readonly path: string;
  readonly meta: TsmFileMeta;
  /** Blocks read from disk and their bytes (CRC included): cache misses, raw reads. */
  blockReads = 0;
  bytesRead = 0;
  private fd: number;
  private readonly ix: TsmIndex;
  private readonly id = newFileId();
  private readonly cache: BlockCache | undefined;

  private constructor(path: string, fd: number, size: number, ix: TsmIndex, cache: BlockCache | undefined) {
    this.path = path;
    this.fd = fd;
    this.ix = ix;
    this.cache = cache;
    this.meta = {
      path,
      size,
      minTime: ix.fileMinTime,
      maxTime: ix.fileMaxTime,
      seriesCount: ix.series.length,
      blockCount: ix.count.length,
      pointCount: ix.pointCount,
      fields: ix.fields.map((f) => ({ ...f })),
    };
  }

  /** Opens a published file. Throws CorruptionError (file, offset) for a damaged header,
   * footer or index, and refuses the temporary file of an unfinished writer. */
  static open(path: string, opts: TsmReaderOptions = {}): TsmReader {
    if (path.endsWith(TEMP_SUFFIX)) throw new Error(`${path} is the temporary file of an unfinished TSM write, not a TSM file: delete it`);
    const fd = fs.openSync(path, 'r');
    try {
      const { size, ix } = openIndex(fd, path);
      return new TsmReader(path, fd, size, ix, opts.cache);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Distinct series ids, ascending (a copy). */
  seriesIds(): Uint32Array {
    return this.ix.series.slice();
  }

  hasSeries(seriesId: number): boolean {
    return this.seriesAt(seriesId) >= 0;
  }

  /** The fields of a series, in name order. */
  fieldsOf(seriesId: number): string[] {
    const s = this.seriesAt(seriesId);
    if (s < 0) return [];
    const out: string[] = [];
    for (let k = this.ix.seriesKeyStart[s]; k < this.ix.seriesKeyStart[s + 1]; k++) out.push(this.ix.fields[this.ix.keyField[k]].name);
    return out;
  }

  /** The type of a field in this file. If series of different measurements give one name
   * different types, this is the first in the dictionary; typeOfColumn() is exact. */
  typeOf(field: string): FieldTypeCode | undefined {
    return this.ix.fields.find((f) => f.name === field)?.type;
  }

  typeOfColumn(seriesId: number, field: string): FieldTypeCode | undefined {
    const k = this.keyOf(seriesId, field);
    return k < 0 ? undefined : this.ix.fields[this.ix.keyField[k]].type;
  }

  /** Every (series, field) of the file in index order. */
  *columns(): IterableIterator<{ seriesId: number; field: string; type: FieldTypeCode }> {
    const ix = this.ix;
    for (let s = 0; s < ix.series.length; s++) {
      for (let k = ix.seriesKeyStart[s]; k < ix.seriesKeyStart[s + 1]; k++) {
        const f = ix.fields[ix.keyField[k]];
        yield { seriesId: ix.series[s], field: f.name, type: f.type };
      }
    }
  }

  /** The blocks of one column, in time order. */
  blocks(seriesId: number, field: string): BlockRef[] {
    const k = this.keyOf(seriesId, field);
    if (k < 0) return [];
    const out: BlockRef[] = [];
    for (let b = this.ix.keyBlockStart[k]; b < this.ix.keyBlockStart[k + 1]; b++) out.push(this.ref(b));
    return out;
  }

  /**
   * The points of one column with start <= time < end (both optional), reading only the
   * blocks that overlap that range. Null when the file has no such column; empty arrays
   * when it has the column but no points in the range. The arrays are the caller's.
   */
  read(seriesId: number, field: string, start?: bigint, end?: bigint): TsmColumn | null {
    const k = this.keyOf(seriesId, field);
    if (k < 0) return null;
    const ix = this.ix;
    const type = ix.fields[ix.keyField[k]].type;
    const lo = start ?? MIN_I64;
    const parts: { block: DecodedColumn; from: number; to: number }[] = [];
    let total = 0;
    if (end === undefined || end > lo) {
      // blocks of a key are sorted and disjoint: binary search the first one ending >= lo
      let a = ix.keyBlockStart[k];
      let z = ix.keyBlockStart[k + 1];
      const last = z;
      while (a < z) {
        const m = (a + z) >>> 1;
        if (ix.maxTime[m] < lo) a = m + 1;
        else z = m;
      }
      for (let b = a; b < last && (end === undefined || ix.minTime[b] < end); b++) {
        const block = this.decoded(b, type);
        const from = lo <= ix.minTime[b] ? 0 : lowerBound(block.times, lo);
        const to = end === undefined || end > ix.maxTime[b] ? block.times.length : lowerBound(block.times, end);
        if (to > from) {
          parts.push({ block, from, to });
          total += to - from;
        }
      }
    }
    return concat(type, parts, total);
  }

  /** A block's bytes (without its CRC), CRC-checked: for copying blocks (compaction). */
  rawBlock(ref: BlockRef): Buffer {
    this.ensureOpen();
    const frame = Buffer.allocUnsafe(BLOCK_CRC_SIZE + ref.size);
    const n = readFully(this.fd, frame, ref.offset);
    this.blockReads++;
    this.bytesRead += n;
    if (n < frame.length) throw new TsmCorruptionError(this.path, ref.offset, `block of ${ref.size} bytes is cut short by the end of the file (${n - BLOCK_CRC_SIZE} bytes there)`);
    const want = frame.readUInt32LE(0);
    const got = crc32c(frame, BLOCK_CRC_SIZE, frame.length);
    if (want !== got) throw new TsmCorruptionError(this.path, ref.offset, `block CRC mismatch (stored ${hex(want)}, computed ${hex(got)})`);
    return frame.subarray(BLOCK_CRC_SIZE);
  }

  /** Reads and decodes one block, bypassing the cache (compaction reads each block once). */
  readBlock(ref: BlockRef, type: FieldTypeCode): DecodedColumn {
    const raw = this.rawBlock(ref);
    return this.decodeChecked(raw, ref, type);
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
    this.cache?.dropFile(this.id);
  }

  private ensureOpen(): void {
    if (this.fd < 0) throw new Error(`TSM reader for ${this.path} is closed`);
  }

  private decoded(b: number, type: FieldTypeCode): DecodedColumn {
    const offset = this.ix.offset[b];
    const hit = this.cache?.get(this.id, offset);
    if (hit !== undefined) return hit;
    const ref = this.ref(b);
    const block = this.decodeChecked(this.rawBlock(ref), ref, type);
    this.cache?.set(this.id, offset, block);
    return block;
  }

  private decodeChecked(raw: Uint8Array, ref: BlockRef, type: FieldTypeCode): DecodedColumn {
    let d: DecodedColumn;
    try {
      d = decodeBlock(raw) as DecodedColumn;
    } catch (err) {
      throw new TsmCorruptionError(this.path, ref.offset, `block does not decode: ${(err as Error).message}`, { cause: err });
    }
    const problem = blockMismatch(d, ref, type);
    if (problem !== null) throw new TsmCorruptionError(this.path, ref.offset, problem);
    return d;
  }

  private ref(b: number): BlockRef {
    const ix = this.ix;
    return { minTime: ix.minTime[b], maxTime: ix.maxTime[b], offset: ix.offset[b], size: blockSize(ix, b), count: ix.count[b] };
  }

  private seriesAt(seriesId: number): number {
    const s = this.ix.series;
    let a = 0;
    let z = s.length;
    while (a < z) {
      const m = (a + z) >>> 1;
      if (s[m] < seriesId) a = m + 1;
      else z = m;
    }
    return a < s.length && s[a] === seriesId ? a : -1;
  }

  private keyOf(seriesId: number, field: string): number {
    this.ensureOpen();
    const ix = this.ix;
    const s = this.seriesAt(seriesId);
    if (s < 0) return -1;
    const rank = ix.rankOf.get(field);
    if (rank === undefined) return -1;
    let a = ix.seriesKeyStart[s];
    let z = ix.seriesKeyStart[s + 1];
    while (a < z) {
      const m = (a + z) >>> 1;
      const r = ix.nameRank[ix.keyField[m]];
      if (r === rank) return m;
      if (r < rank) a = m + 1;
      else z = m;
    }
    return -1;
  }
}

/** Reads and checks header, footer and index of an open file. */
export function openIndex(fd: number, path: string, opts: { keyPositions?: boolean } = {}): { size: number; ix: TsmIndex } {
  const size = fs.fstatSync(fd).size;
  if (size < HEADER_SIZE + FOOTER_SIZE) {
    throw new TsmCorruptionError(path, size, `the file is ${size} bytes, shorter than a TSM header and footer (${HEADER_SIZE + FOOTER_SIZE}): truncated`);
  }
  const header = Buffer.alloc(HEADER_SIZE);
  readFully(fd, header, 0);
  const hp = checkHeader(header);
  if (hp !== null) throw new TsmCorruptionError(path, 0, hp);
  const footerAt = size - FOOTER_SIZE;
  const fb = Buffer.alloc(FOOTER_SIZE);
  readFully(fd, fb, footerAt);
  const footer = decodeFooter(fb, size);
  if (typeof footer === 'string') throw new TsmCorruptionError(path, footerAt, footer);
  const index = Buffer.allocUnsafe(footer.indexLength);
  if (readFully(fd, index, footer.indexOffset) < index.length) throw new TsmCorruptionError(path, footer.indexOffset, 'the index is cut short (the file shrank while being read)');
  const crc = crc32c(index);
  if (crc !== footer.indexCrc) throw new TsmCorruptionError(path, footer.indexOffset, `index CRC mismatch (footer says ${hex(footer.indexCrc)}, computed ${hex(crc)})`);
  try {
    return { size, ix: decodeIndex(index, footer.indexOffset, opts) };
  } catch (err) {
    if (err instanceof IndexFormatError) throw new TsmCorruptionError(path, footer.indexOffset + err.at, `bad index: ${err.message}`);
    throw err;
  }
}

/** What is wrong with a decoded block given its index entry, or null. */
export function blockMismatch(d: DecodedColumn, ref: BlockRef, type: FieldTypeCode): string | null {
  if (d.type !== type) return `block holds value type ${d.type}, the index says ${type}`;
  const n = d.times.length;
  if (n !== ref.count) return `block holds ${n} points, the index says ${ref.count}`;
  if (d.times[0] !== ref.minTime || d.times[n - 1] !== ref.maxTime) {
    return `block spans [${d.times[0]}, ${d.times[n - 1]}], the index says [${ref.minTime}, ${ref.maxTime}]`;
  }
  const w = new Uint32Array(d.times.buffer, d.times.byteOffset, 2 * n);
  for (let i = 1; i < n; i++) {
    const ph = w[2 * i - 1] | 0;
    const h = w[2 * i + 1] | 0;
    if (!(h > ph || (h === ph && w[2 * i] > w[2 * i - 2]))) return `block times are not ascending at point ${i}`;
  }
  return null;
}

/** Reads up to buf.length bytes at `pos`; returns how many (fewer only at end of file). */
export function readFully(fd: number, buf: Uint8Array, pos: number): number {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function hex(x: number): string {
  return `0x${x.toString(16).padStart(8, '0')}`;
}

function concat(type: FieldTypeCode, parts: { block: DecodedColumn; from: number; to: number }[], total: number): TsmColumn {
  const times = new BigInt64Array(total);
  let values: ColumnValues;
  switch (type) {
    case FLOAT:
      values = new Float64Array(total);
      break;
    case INTEGER:
      values = new BigInt64Array(total);
      break;
    case UNSIGNED:
      values = new BigUint64Array(total);
      break;
    case BOOLEAN:
      values = new Uint8Array(total);
      break;
    default:
      values = [];
  }
  let at = 0;
  for (const { block, from, to } of parts) {
    times.set(block.times.subarray(from, to), at);
    if (Array.isArray(values)) {
      const src = block.values as string[];
      for (let i = from; i < to; i++) values.push(src[i]);
    } else {
      (values as Float64Array).set((block.values as Float64Array).subarray(from, to), at);
    }
    at += to - from;
  }
  return { type, times, values };
}
