// Reads a TSM file (docs/format/tsm.md) with positional reads: open() reads the header,
// the footer and the index (checking magic, version and CRCs) and decodes the index into
// typed arrays (indexCodec.ts); read() then touches only the blocks whose time range
// overlaps the query's, each through the block cache, and from memory instead of the file
// once the resident set (resident.ts) has loaded the file's blocks. A damaged block throws a
// CorruptionError naming its offset and leaves the reader usable for every other block.

import fs from 'node:fs';
import { decodeBlock, decodeBlockFloat } from '../gorilla/index.js';
import { floorMsOfWords } from '../gorilla/block.js';
import type { DecodedFloatBlock } from '../gorilla/index.js';
import type { ColumnValues, FieldTypeCode } from '../types.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import { getInt64 } from '../int64.js';
import { crc32c } from '../wal/crc32c.js';
import { BlockCache, newFileId } from './cache.js';
import type { DecodedColumn } from './cache.js';
import type { ResidentFile, ResidentSet } from './resident.js';
import { TsmCorruptionError } from './errors.js';
import { timeLowerBound as lowerBound } from './merge.js';
import { BLOCK_CRC_SIZE, checkHeader, decodeFooter, FOOTER_SIZE, HEADER_SIZE, TEMP_SUFFIX } from './format.js';
import { blockSize, decodeIndex, IndexFormatError, MIN_I64 } from './indexCodec.js';
import type { TsmIndex } from './indexCodec.js';
import type { BlockRef, TsmFileMeta } from './writer.js';

export interface TsmReaderOptions {
  cache?: BlockCache;
  /** The file was written by this process, whose TsmWriter read every block back and
   * checked its CRC before publishing it: the first read of a block need not check it. */
  verified?: boolean;
  /** Resident TSM data (resident.ts): the reader offers its file on open, leaves on close. */
  resident?: ResidentSet;
}

export interface TsmColumn {
  type: FieldTypeCode;
  times: BigInt64Array;
  values: ColumnValues;
}

/** Most blocks readFloat reads with one read. */
const MAX_RUN_BLOCKS = 64;
/** Largest read buffer a reader keeps between reads (scratchOf()). */
const SCRATCH_MAX = 1 << 20;

/** A numeric column as PromQL reads it (TsmReader.readFloat). */
export interface TsmFloatColumn {
  type: FieldTypeCode;
  /** floor(time / 1e6): float ms, ascending (equal when two points share a millisecond). */
  times: Float64Array;
  /** float64 values: integers rounded to nearest (as Number()), booleans 0 and 1. */
  values: Float64Array;
}

export class TsmReader implements ResidentFile {
  readonly path: string;
  readonly meta: TsmFileMeta;
  /** Blocks read and their bytes (CRC included): cache misses, raw reads. */
  blockReads = 0;
  bytesRead = 0;
  /** Of those, read from the resident bytes (no pread). */
  residentBlockReads = 0;
  readonly residentSize: number;
  readonly newest: bigint;
  readonly dev: number;
  readonly ino: number;
  private fd: number;
  /** The file's bytes up to its index, once the resident set has loaded them. */
  private resident: Buffer | null = null;
  private readonly residentSet: ResidentSet | undefined;
  private readonly ix: TsmIndex;
  private readonly id = newFileId();
  private readonly cache: BlockCache | undefined;
  private msIndex: { minMs: Float64Array; maxMs: Float64Array } | null = null;
  /** The index's block times as int64 words (timeWordsOf()). */
  private timeWords: { min: Uint32Array; max: Uint32Array } | null = null;
  private floatKeys: (string | undefined)[] | null = null;
  /** The read buffer of rawBlocks() (scratchOf()). */
  private scratch: Buffer | null = null;
  /**
   * 1 for each block whose CRC a read has checked. The file is immutable, so a block read
   * again (the decoded-block cache having dropped it) is not checked again, as a cache hit
   * is not: its CRC is checked the first time this reader reads it, or, for a file this
   * process wrote, was checked when the writer read it back (all 1 from the start).
   * `strata verify` checks every block every time.
   */
  private readonly verified: Uint8Array;

  private constructor(path: string, fd: number, st: fs.Stats, ix: TsmIndex, opts: TsmReaderOptions) {
    const size = st.size;
    this.path = path;
    this.fd = fd;
    this.ix = ix;
    this.cache = opts.cache;
    this.residentSize = ix.indexOffset;
    this.newest = ix.fileMaxTime;
    this.dev = st.dev;
    this.ino = st.ino;
    const verified = opts.verified === true;
    this.verified = new Uint8Array(ix.count.length);
    if (verified) this.verified.fill(1);
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
    this.residentSet = opts.resident;
  }

  /** Opens a published file. Throws CorruptionError (file, offset) for a damaged header,
   * footer or index, and refuses the temporary file of an unfinished writer. */
  static open(path: string, opts: TsmReaderOptions = {}): TsmReader {
    if (path.endsWith(TEMP_SUFFIX)) throw new Error(`${path} is the temporary file of an unfinished TSM write, not a TSM file: delete it`);
    const fd = fs.openSync(path, 'r');
    try {
      const { stat, ix } = openIndex(fd, path);
      const r = new TsmReader(path, fd, stat, ix, opts);
      opts.resident?.add(r);
      return r;
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

  /**
   * read() for PromQL: the points with startMs <= floor(time / 1e6) < endMs (whole ms, both
   * optional), that is startMs * 1e6 <= time < endMs * 1e6, with times as float ms and
   * values as float64. Blocks are decoded straight to that form (and cached in it, apart
   * from read()'s). Null when the file has no such column; a string column throws TypeError.
   */
  readFloat(seriesId: number, field: string, startMs?: number, endMs?: number): TsmFloatColumn | null {
    const k = this.keyOf(seriesId, field);
    if (k < 0) return null;
    const ix = this.ix;
    const type = ix.fields[ix.keyField[k]].type;
    if (type === STRING) throw new TypeError(`readFloat: ${field} is a string column`);
    // Block bounds as floor(ns / 1e6): a time t is in [startMs * 1e6, endMs * 1e6) exactly
    // when floor(t / 1e6) is in [startMs, endMs), so no BigInt is needed.
    const { minMs, maxMs } = this.msBounds();
    const lo = startMs ?? -Infinity;
    const end = endMs ?? Infinity;
    const blocks: DecodedFloatBlock[] = [];
    const froms: number[] = [];
    const tos: number[] = [];
    let total = 0;
    if (end > lo) {
      let a = ix.keyBlockStart[k];
      let z = ix.keyBlockStart[k + 1];
      const last = z;
      while (a < z) {
        const m = (a + z) >>> 1;
        if (maxMs[m] < lo) a = m + 1;
        else z = m;
      }
      let z2 = a;
      while (z2 < last && minMs[z2] < end) z2++;
      // the blocks not in the cache, read with one read per run of adjacent blocks (the
      // blocks of a column lie one after another in the file)
      const cached: (DecodedFloatBlock | undefined)[] = [];
      for (let b = a; b < z2; b++) cached.push(this.cache?.getFloat(this.floatKey(b)));
      for (let b = a; b < z2; b++) {
        if (cached[b - a] !== undefined) continue;
        let e = b + 1;
        while (e < z2 && cached[e - a] === undefined && e - b < MAX_RUN_BLOCKS) e++;
        const raws = this.rawBlocks(b, e);
        for (let c = b; c < e; c++) cached[c - a] = this.decodeFloat(c, type, raws[c - b]);
        b = e - 1;
      }
      for (let b = a; b < z2; b++) {
        const block = cached[b - a]!;
        const n = block.values.length;
        const from = lo <= minMs[b] ? 0 : msLowerBound(block, lo);
        const to = end > maxMs[b] ? n : msLowerBound(block, end);
        if (to > from) {
          blocks.push(block);
          froms.push(from);
          tos.push(to);
          total += to - from;
        }
      }
    }
    const out = floats(2 * total);
    const times = out.subarray(0, total);
    const values = out.subarray(total, 2 * total);
    let at = 0;
    for (let j = 0; j < blocks.length; j++) {
      const bl = blocks[j];
      const from = froms[j];
      const to = tos[j];
      // values by copying bytes (a NaN's payload, a stale marker, must survive)
      values.set(bl.values.subarray(from, to), at);
      if (bl.times !== null) {
        const bt = bl.times;
        for (let i = from, o = at; i < to; i++, o++) times[o] = bt[i];
      } else {
        const t0 = bl.t0;
        const step = bl.step;
        for (let i = from, o = at; i < to; i++, o++) times[o] = t0 + i * step;
      }
      at += to - from;
    }
    return { type, times, values };
  }

  /** A block's bytes (without its CRC), CRC-checked: for copying blocks (compaction). */
  rawBlock(ref: BlockRef): Buffer {
    this.ensureOpen();
    const frame = this.bytesAt(ref.offset, ref.offset + BLOCK_CRC_SIZE + ref.size, 1, false);
    const n = frame.length;
    this.blockReads++;
    this.bytesRead += n;
    if (n < BLOCK_CRC_SIZE + ref.size) throw new TsmCorruptionError(this.path, ref.offset, `block of ${ref.size} bytes is cut short by the end of the file (${n - BLOCK_CRC_SIZE} bytes there)`);
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
    this.residentSet?.remove(this);
    this.resident = null;
  }

  /** The resident set gives (or takes back) the file's bytes up to its index. */
  setResident(bytes: Buffer | null): void {
    if (bytes !== null && (this.fd < 0 || bytes.length !== this.residentSize)) return;
    this.resident = bytes;
  }

  /** Whether block reads come from resident bytes (resident.ts). */
  get isResident(): boolean {
    return this.resident !== null;
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

  /** floor(ns / 1e6) of every block's first and last time (computed once). */
  private msBounds(): { minMs: Float64Array; maxMs: Float64Array } {
    if (this.msIndex === null) {
      const ix = this.ix;
      const n = ix.minTime.length;
      const minMs = new Float64Array(n);
      const maxMs = new Float64Array(n);
      // from the int64 words: BigInt division took ~15 ms for 9,000 blocks before V8 had
      // compiled this loop, all of it in the first query after a start
      const { min: minW, max: maxW } = this.timeWordsOf();
      for (let b = 0; b < n; b++) {
        minMs[b] = floorMsOfWords(minW[2 * b], minW[2 * b + 1] | 0);
        maxMs[b] = floorMsOfWords(maxW[2 * b], maxW[2 * b + 1] | 0);
      }
      this.msIndex = { minMs, maxMs };
    }
    return this.msIndex;
  }

  /** The index's block times as int64 words (low, high): views, made once. */
  private timeWordsOf(): { min: Uint32Array; max: Uint32Array } {
    return (this.timeWords ??= { min: words64(this.ix.minTime), max: words64(this.ix.maxTime) });
  }

  /** The block cache's key of block b's float view (made once per block: equal keys are one
   * string, so the cache's map hashes it once). */
  private floatKey(b: number): string {
    const keys = (this.floatKeys ??= new Array<string | undefined>(this.ix.count.length));
    return (keys[b] ??= `${this.id}:${this.ix.offset[b]}:f`);
  }

  /**
   * The bytes of blocks [b, e) (each without its CRC), CRC-checked), adjacent in the file:
   * slices of the resident bytes, or read with one read into the reader's read buffer
   * (scratchOf()), valid only until the next call. A run cut short by the end of the file
   * is read block by block, so the error names the block that is cut.
   */
  private rawBlocks(b: number, e: number): Buffer[] {
    this.ensureOpen();
    const ix = this.ix;
    const start = ix.offset[b];
    const frame = this.bytesAt(start, ix.offset[e], e - b, true);
    const n = frame.length;
    if (n < ix.offset[e] - start) {
      const out: Buffer[] = [];
      for (let c = b; c < e; c++) out.push(this.rawBlock(this.ref(c)));
      return out;
    }
    this.blockReads += e - b;
    this.bytesRead += n;
    const out: Buffer[] = [];
    for (let c = b; c < e; c++) {
      const at = ix.offset[c] - start;
      const to = ix.offset[c + 1] - start;
      if (this.verified[c] === 0) {
        const want = frame.readUInt32LE(at);
        const got = crc32c(frame, at + BLOCK_CRC_SIZE, to);
        if (want !== got) throw new TsmCorruptionError(this.path, ix.offset[c], `block CRC mismatch (stored ${hex(want)}, computed ${hex(got)})`);
        this.verified[c] = 1;
      }
      out.push(frame.subarray(at + BLOCK_CRC_SIZE, to));
    }
    return out;
  }

  /**
   * The file's bytes [start, end), which hold `blocks` blocks: a slice of the resident
   * bytes (no read, no copy), else read into a buffer of their own or, with `scratch`, into
   * the reader's read buffer (valid until the next read). Shorter only at the end of the file.
   */
  private bytesAt(start: number, end: number, blocks: number, scratch: boolean): Buffer {
    const res = this.resident;
    if (res !== null && end <= res.length) {
      this.residentBlockReads += blocks;
      return res.subarray(start, end);
    }
    const buf = scratch ? this.scratchOf(end - start) : Buffer.allocUnsafe(end - start);
    const n = readFully(this.fd, buf, start);
    return n < buf.length ? buf.subarray(0, n) : buf;
  }

  /**
   * `n` bytes of this reader's read buffer, for rawBlocks(): readFloat decodes each run's
   * blocks into memory of their own before it reads the next run, so one buffer serves all
   * reads. A fresh buffer per run is off-heap memory that V8 counts towards starting a full
   * GC (~2 MB per cpu-max-all-8 query, a third of what the query allocates off-heap), and
   * is allocated, freed and faulted in anew each time. Runs above SCRATCH_MAX bytes get a
   * buffer of their own, so a reader keeps at most that much.
   */
  private scratchOf(n: number): Buffer {
    if (n > SCRATCH_MAX) return Buffer.allocUnsafeSlow(n);
    if (this.scratch === null || this.scratch.length < n) this.scratch = Buffer.allocUnsafeSlow(Math.max(n, 64 * 1024));
    return this.scratch.subarray(0, n);
  }

  /** Decodes and checks block b from its bytes, and caches it. */
  private decodeFloat(b: number, type: FieldTypeCode, raw: Buffer): DecodedFloatBlock {
    const ix = this.ix;
    let d: DecodedFloatBlock;
    try {
      d = decodeBlockFloat(raw);
    } catch (err) {
      throw new TsmCorruptionError(this.path, ix.offset[b], `block does not decode: ${(err as Error).message}`, { cause: err });
    }
    const w = this.timeWordsOf();
    const problem = floatBlockMismatch(d, ix, b, w.min, w.max, type);
    if (problem !== null) throw new TsmCorruptionError(this.path, ix.offset[b], problem);
    this.cache?.setFloat(this.floatKey(b), this.id, d);
    return d;
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
export function openIndex(fd: number, path: string, opts: { keyPositions?: boolean } = {}): { stat: fs.Stats; ix: TsmIndex } {
  const stat = fs.fstatSync(fd);
  const size = stat.size;
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
    return { stat, ix: decodeIndex(index, footer.indexOffset, opts) };
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
  const w = words64(d.times);
  for (let i = 1; i < n; i++) {
    const ph = w[2 * i - 1] | 0;
    const h = w[2 * i + 1] | 0;
    if (!(h > ph || (h === ph && w[2 * i] > w[2 * i - 2]))) return `block times are not ascending at point ${i}`;
  }
  return null;
}

/** blockMismatch() for block b decoded by decodeBlockFloat: the index's times compared as
 * int64 words (minW, maxW: views of its minTime and maxTime), with no BigInt. */
function floatBlockMismatch(d: DecodedFloatBlock, ix: TsmIndex, b: number, minW: Uint32Array, maxW: Uint32Array, type: FieldTypeCode): string | null {
  if (d.type !== type) return `block holds value type ${d.type}, the index says ${type}`;
  const n = d.values.length;
  if (n !== ix.count[b]) return `block holds ${n} points, the index says ${ix.count[b]}`;
  if (d.firstLo !== minW[2 * b] || d.firstHi !== minW[2 * b + 1] || d.lastLo !== maxW[2 * b] || d.lastHi !== maxW[2 * b + 1]) {
    const span = Uint32Array.of(d.firstLo, d.firstHi, d.lastLo, d.lastHi);
    return `block spans [${getInt64(span, 0)}, ${getInt64(span, 1)}], the index says [${ix.minTime[b]}, ${ix.maxTime[b]}]`;
  }
  if (!d.ascending) return 'block times are not ascending';
  return null;
}

/** The int64 words (low, high) of a BigInt64Array's elements, in the same memory. */
function words64(a: BigInt64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);
}

/** n float64s, not zeroed (every one is written before it is read). Buffer's allocator
 * hands out 8-byte aligned memory without clearing it. */
function floats(n: number): Float64Array {
  if (n === 0) return new Float64Array(0);
  const b = Buffer.allocUnsafe(8 * n);
  return new Float64Array(b.buffer, b.byteOffset, n);
}

/** First index i with time i >= t (whole ms) in a float block. */
function msLowerBound(block: DecodedFloatBlock, t: number): number {
  const n = block.values.length;
  const times = block.times;
  if (times === null) {
    // t0 + i * step >= t; the quotient of two integers below 2^53 rounds to no other integer
    const i = Math.ceil((t - block.t0) / block.step);
    return i <= 0 ? 0 : i >= n ? n : i;
  }
  let a = 0;
  let z = n;
  while (a < z) {
    const m = (a + z) >>> 1;
    if (times[m] < t) a = m + 1;
    else z = m;
  }
  return a;
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
