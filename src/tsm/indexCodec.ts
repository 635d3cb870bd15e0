// The index section of a TSM file: a summary, the field dictionary and one entry per key
// (series id, field), sorted by series id and then field name. Layout (docs/format/tsm.md):
//
//   uvarint keys, uvarint blocks, uvarint series, uvarint points
//   u64 min time, u64 max time                      (of the whole file)
//   uvarint fields, per field: u8 type, uvarint byte length, UTF-8 name
//   per key:
//     uvarint  series id - previous key's series id        (first key: - 0)
//     uvarint  field index (into the dictionary)
//     uvarint  block count (>= 1)
//     zigzag varint64  first block's min time - previous key's first min time (first: - 0)
//     per block:
//       uvarint64 min time - previous block's max time - 1  (not for the first block)
//       uvarint64 max time - min time
//       uvarint  point count (>= 1)
//       uvarint  size of the block bytes (the CRC in front not counted)
//
// Block offsets are not stored: blocks tile the file from the header to the index, in
// index order, so a block starts where the one before it ends (a CRC, then `size` bytes).
// Sortedness is built into the encoding (unsigned deltas) where it can be; what remains
// (field names increase within a series) is checked on open.
//
// The writer encodes entries as keys arrive (they arrive sorted), so it holds a few bytes
// per block, not an object; the reader decodes the whole index into typed arrays, a few
// dozen bytes per block and no object per block (TsmIndex below).

import { BlockDecodeError, ByteReader, ByteWriter, MAX_BLOCK_POINTS } from '../gorilla/index.js';
import type { FieldTypeCode } from '../types.js';
import { BLOCK_CRC_SIZE, HEADER_SIZE } from './format.js';

export const MIN_I64 = -(2n ** 63n);
export const MAX_I64 = 2n ** 63n - 1n;
const TWO32 = 4294967296;
const MAX_U32 = 0xffffffff;

export interface FieldInfo {
  name: string;
  type: FieldTypeCode;
}

/** The decoded index: per series, per key (series, field) and per block, in typed arrays. */
export interface TsmIndex {
  fields: FieldInfo[];
  /** Per dictionary entry, the rank of its name among the distinct names (sorted). */
  nameRank: Uint32Array;
  /** Name → rank. */
  rankOf: Map<string, number>;
  /** Distinct series ids, ascending, and where each one's keys start (length + 1). */
  series: Uint32Array;
  seriesKeyStart: Uint32Array;
  /** Per key: dictionary index, first block (length + 1), and (when asked for) the byte
   * position of its entry in the index. */
  keyField: Uint16Array | Uint32Array;
  keyBlockStart: Uint32Array;
  keyPos: Uint32Array | null;
  /** Per block. `offset` has one more entry, the index offset: blocks tile the file, so
   * block b's size is offset[b + 1] - offset[b] - 4 (blockSize()). */
  minTime: BigInt64Array;
  maxTime: BigInt64Array;
  offset: Float64Array;
  count: Uint32Array;
  pointCount: number;
  /** Where the index starts in the file. */
  indexOffset: number;
  fileMinTime: bigint;
  fileMaxTime: bigint;
}

/** An index that does not decode or breaks a rule. `at` is the byte position in the index. */
export class IndexFormatError extends Error {
  readonly at: number;
  constructor(at: number, detail: string) {
    super(detail);
    this.name = 'IndexFormatError';
    this.at = at;
  }
}

function u64words(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

/** UTF-8 cannot carry lone surrogates; a field name must round-trip exactly. */
function utf8Exact(name: string, bytes: Uint8Array): boolean {
  return Buffer.from(bytes).toString('utf8') === name;
}

/**
 * Builds the index while a writer appends blocks. Keys must come sorted by (series id,
 * field name); a key may continue over several calls as long as its times keep rising.
 */
export class IndexBuilder {
  private readonly chunks: Uint8Array[] = [];
  private out = new ByteWriter(1 << 16);
  private readonly keyOut = new ByteWriter(256);
  private readonly fields: FieldInfo[] = [];
  private readonly fieldIds = new Map<string, number>();
  private keyCount = 0;
  blockCount = 0;
  pointCount = 0;
  seriesCount = 0;
  minTime = MAX_I64;
  maxTime = MIN_I64;
  /** Offset of the next block: blocks tile the file from the header on. */
  nextOffset = HEADER_SIZE;

  private prevSeries = 0;
  private prevFirstMin = 0n;
  // the open key (its entry is written when the next key starts, or at finish)
  private curSeries = -1;
  private curName = '';
  private curType: FieldTypeCode = 1;
  private curField = 0;
  private curBlocks = 0;
  private curFirstMin = 0n;
  private curLastMax = 0n;

  /**
   * Checks that a block of (seriesId, name, type) starting at `firstTime` may come next;
   * throws a RangeError/TypeError naming the rule otherwise. Changes nothing.
   */
  check(seriesId: number, name: string, type: FieldTypeCode, firstTime: bigint): void {
    if (!Number.isInteger(seriesId) || seriesId < 0 || seriesId > MAX_U32) throw new RangeError(`TSM writer: series id ${seriesId} is not a uint32`);
    if (typeof name !== 'string') throw new TypeError('TSM writer: field name must be a string');
    if (!(type >= 1 && type <= 5 && Number.isInteger(type))) throw new RangeError(`TSM writer: unknown field type ${type}`);
    if (!this.fieldIds.has(`${type}:${name}`) && !utf8Exact(name, Buffer.from(name, 'utf8'))) {
      throw new TypeError(`TSM writer: field name ${JSON.stringify(name)} is not valid Unicode (lone surrogate)`);
    }
    if (this.curSeries < 0) return;
    if (seriesId < this.curSeries || (seriesId === this.curSeries && name < this.curName)) {
      throw new RangeError(`TSM writer: columns must come in (series id, field) order: (${seriesId}, ${JSON.stringify(name)}) after (${this.curSeries}, ${JSON.stringify(this.curName)})`);
    }
    if (seriesId === this.curSeries && name === this.curName) {
      if (type !== this.curType) throw new TypeError(`TSM writer: series ${seriesId} field ${JSON.stringify(name)} has type ${this.curType}, not ${type}, in this file`);
      if (firstTime <= this.curLastMax) {
        throw new RangeError(`TSM writer: series ${seriesId} field ${JSON.stringify(name)}: time ${firstTime} does not come after the previous block's last time ${this.curLastMax}`);
      }
    }
  }

  /** Records a block (after check()); returns its offset in the file. */
  addBlock(seriesId: number, name: string, type: FieldTypeCode, minTime: bigint, maxTime: bigint, count: number, size: number): number {
    if (seriesId !== this.curSeries || name !== this.curName) {
      const field = this.fieldId(name, type);
      this.closeKey();
      if (seriesId !== this.curSeries) this.seriesCount++;
      this.curSeries = seriesId;
      this.curName = name;
      this.curType = type;
      this.curField = field;
      this.curBlocks = 0;
      this.curFirstMin = minTime;
      this.keyOut.reset();
    } else {
      this.keyOut.uvarint64(...u64words(minTime - this.curLastMax - 1n));
    }
    const k = this.keyOut;
    k.uvarint64(...u64words(maxTime - minTime));
    k.uvarint(count);
    k.uvarint(size);
    this.curBlocks++;
    this.curLastMax = maxTime;
    this.blockCount++;
    this.pointCount += count;
    if (minTime < this.minTime) this.minTime = minTime;
    if (maxTime > this.maxTime) this.maxTime = maxTime;
    const at = this.nextOffset;
    this.nextOffset += BLOCK_CRC_SIZE + size;
    return at;
  }

  private fieldId(name: string, type: FieldTypeCode): number {
    const key = `${type}:${name}`;
    let id = this.fieldIds.get(key);
    if (id === undefined) {
      id = this.fields.length;
      this.fields.push({ name, type });
      this.fieldIds.set(key, id);
    }
    return id;
  }

  private closeKey(): void {
    if (this.curSeries < 0 || this.curBlocks === 0) return;
    const o = this.out;
    o.uvarint(this.curSeries - this.prevSeries);
    o.uvarint(this.curField);
    o.uvarint(this.curBlocks);
    o.zigzag64(...u64words(this.curFirstMin - this.prevFirstMin));
    o.append(this.keyOut.bytes());
    this.keyCount++;
    this.prevSeries = this.curSeries;
    this.prevFirstMin = this.curFirstMin;
    this.curBlocks = 0;
    if (o.pos >= 1 << 20) {
      this.chunks.push(o.bytes().slice());
      o.reset();
    }
  }

  /** The last key's series id and field, or null before the first block. */
  get lastKey(): { seriesId: number; field: string } | null {
    return this.curSeries < 0 ? null : { seriesId: this.curSeries, field: this.curName };
  }

  dictionary(): FieldInfo[] {
    return this.fields.map((f) => ({ ...f }));
  }

  /** The index bytes, as chunks to write in order. Call once, after the last block. */
  finish(): Uint8Array[] {
    this.closeKey();
    const head = new ByteWriter(256);
    head.uvarint(this.keyCount);
    head.uvarint(this.blockCount);
    head.uvarint(this.seriesCount);
    head.uvarint(this.pointCount);
    head.u64(...u64words(this.minTime));
    head.u64(...u64words(this.maxTime));
    head.uvarint(this.fields.length);
    for (const f of this.fields) {
      const b = Buffer.from(f.name, 'utf8');
      head.u8(f.type);
      head.uvarint(b.length);
      head.append(b);
    }
    return [head.bytes(), ...this.chunks, this.out.bytes()];
  }
}

/**
 * Decodes an index section (`buf`, found at `indexOffset` in the file) into typed arrays,
 * checking every rule of the format. Throws IndexFormatError at the first problem.
 */
export function decodeIndex(buf: Uint8Array, indexOffset: number, opts: { keyPositions?: boolean } = {}): TsmIndex {
  const r = new ByteReader(buf, 0, buf.length);
  try {
    return decode(r, buf, indexOffset, opts.keyPositions === true);
  } catch (err) {
    if (err instanceof BlockDecodeError) {
      // ByteReader speaks of blocks; this is the index
      throw new IndexFormatError(err.at >= 0 ? err.at : r.pos, err.message.replace(/ \(at byte \d+ of the block\)$/, ''));
    }
    throw err;
  }
}

function decode(r: ByteReader, buf: Uint8Array, indexOffset: number, keyPositions: boolean): TsmIndex {
  const len = buf.length;
  const fail = (detail: string, at = r.pos): never => {
    throw new IndexFormatError(at, detail);
  };
  const keyCount = r.uvarint(len);
  const blockCount = r.uvarint(len);
  const seriesCount = r.uvarint(len);
  const pointCount = r.uvarint();
  // bounds before allocating: a key takes at least 4 bytes and a block at least 3
  if (keyCount > blockCount || seriesCount > keyCount || (blockCount > 0 && seriesCount === 0) || 4 * keyCount + 3 * blockCount > len) {
    fail(`index counts (${keyCount} keys, ${blockCount} blocks, ${seriesCount} series) do not fit its ${len} bytes`, 0);
  }
  r.u64();
  const minLo = r.lo;
  const minHi = r.hi;
  r.u64();
  const maxLo = r.lo;
  const maxHi = r.hi;
  const fileMinTime = BigInt.asIntN(64, (BigInt(minHi) << 32n) | BigInt(minLo));
  const fileMaxTime = BigInt.asIntN(64, (BigInt(maxHi) << 32n) | BigInt(maxLo));
  if (blockCount > 0 && fileMinTime > fileMaxTime) fail(`file min time ${fileMinTime} is after its max time ${fileMaxTime}`);

  const fieldCount = r.uvarint(len);
  const fields: FieldInfo[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < fieldCount; i++) {
    const at = r.pos;
    const type = r.u8();
    if (type < 1 || type > 5) fail(`field ${i} has unknown type ${type}`, at);
    const n = r.uvarint(len);
    r.need(n);
    const bytes = buf.subarray(r.pos, r.pos + n);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(bytes)) fail(`field ${i}'s name is not valid UTF-8`, at);
    r.pos += n;
    const key = `${type}:${name}`;
    if (seen.has(key)) fail(`field ${JSON.stringify(name)} of type ${type} is in the dictionary twice`, at);
    seen.add(key);
    fields.push({ name, type: type as FieldTypeCode });
  }
  const names = [...new Set(fields.map((f) => f.name))].sort();
  const rankOf = new Map(names.map((n, i) => [n, i]));
  const nameRank = Uint32Array.from(fields, (f) => rankOf.get(f.name)!);

  const series = new Uint32Array(seriesCount);
  const seriesKeyStart = new Uint32Array(seriesCount + 1);
  const keyField = fieldCount <= 0x10000 ? new Uint16Array(keyCount) : new Uint32Array(keyCount);
  const keyBlockStart = new Uint32Array(keyCount + 1);
  const keyPos = keyPositions ? new Uint32Array(keyCount) : null;
  const minTime = new BigInt64Array(blockCount);
  const maxTime = new BigInt64Array(blockCount);
  const minW = new Uint32Array(minTime.buffer);
  const maxW = new Uint32Array(maxTime.buffer);
  const offset = new Float64Array(blockCount + 1);
  const count = new Uint32Array(blockCount);

  let sid = 0;
  let s = -1;
  let b = 0;
  let points = 0;
  let next = HEADER_SIZE;
  let firstLo = 0;
  let firstHi = 0;
  const fileMinHi = minHi | 0;
  const fileMaxHi = maxHi | 0;
  for (let k = 0; k < keyCount; k++) {
    const at = r.pos;
    if (keyPos !== null) keyPos[k] = at;
    const delta = r.uvarint(MAX_U32);
    sid += delta;
    if (sid > MAX_U32) fail(`series id ${sid} is over 2^32 - 1`, at);
    const f = r.uvarint(fieldCount === 0 ? 0 : fieldCount - 1);
    if (fieldCount === 0) fail('a key but no fields in the dictionary', at);
    if (k === 0 || delta > 0) {
      s++;
      if (s >= seriesCount) fail(`more series than the ${seriesCount} the index declares`, at);
      series[s] = sid;
      seriesKeyStart[s] = k;
    } else if (nameRank[f] <= nameRank[keyField[k - 1]]) {
      fail(`keys out of order: series ${sid} field ${JSON.stringify(fields[f].name)} after ${JSON.stringify(fields[keyField[k - 1]].name)}`, at);
    }
    keyField[k] = f;
    const nb = r.uvarint(len);
    if (nb < 1 || b + nb > blockCount) fail(`key of series ${sid} claims ${nb} blocks (${blockCount - b} left)`, at);
    keyBlockStart[k] = b;
    r.zigzag64();
    let lo = firstLo + r.lo;
    let hi = (firstHi + r.hi + (lo >= TWO32 ? 1 : 0)) >>> 0;
    lo >>>= 0;
    firstLo = lo;
    firstHi = hi;
    let prevLo = 0;
    let prevHi = 0;
    for (let j = 0; j < nb; j++, b++) {
      if (j > 0) {
        // min = previous max + gap + 1; must not pass int64 max
        r.uvarint64();
        let l = prevLo + r.lo + 1;
        let h = prevHi + r.hi;
        if (l >= TWO32) {
          l -= TWO32;
          h++;
          if (l >= TWO32) {
            l -= TWO32;
            h++;
          }
        }
        h >>>= 0;
        if (cmp64(h, l, prevHi, prevLo) <= 0) fail(`series ${sid} field ${JSON.stringify(fields[f].name)}: block ${j} starts past the largest time`);
        lo = l;
        hi = h;
      }
      minW[2 * b] = lo;
      minW[2 * b + 1] = hi;
      r.uvarint64();
      let ml = lo + r.lo;
      let mh = hi + r.hi + (ml >= TWO32 ? 1 : 0);
      ml >>>= 0;
      mh >>>= 0;
      if (cmp64(mh, ml, hi, lo) < 0) fail(`series ${sid} field ${JSON.stringify(fields[f].name)}: block ${j} ends past the largest time`);
      maxW[2 * b] = ml;
      maxW[2 * b + 1] = mh;
      if (cmp64(hi, lo, fileMinHi, minLo) < 0 || cmp64(mh, ml, fileMaxHi, maxLo) > 0) {
        fail(`series ${sid} field ${JSON.stringify(fields[f].name)}: block ${j} [${minTime[b]}, ${maxTime[b]}] lies outside the file's time range [${fileMinTime}, ${fileMaxTime}]`);
      }
      prevLo = ml;
      prevHi = mh;
      const c = r.uvarint(MAX_BLOCK_POINTS);
      if (c < 1) fail(`series ${sid} field ${JSON.stringify(fields[f].name)}: block ${j} has no points`);
      count[b] = c;
      points += c;
      const sz = r.uvarint(MAX_U32);
      offset[b] = next;
      next += BLOCK_CRC_SIZE + sz;
      if (next > indexOffset) fail(`blocks run past the start of the index (${indexOffset})`);
    }
  }
  keyBlockStart[keyCount] = b;
  offset[b] = next;
  seriesKeyStart[seriesCount] = keyCount;
  if (r.pos !== len) fail(`${len - r.pos} bytes left over after the last key`);
  if (s + 1 !== seriesCount) fail(`the index declares ${seriesCount} series and holds ${s + 1}`);
  if (b !== blockCount) fail(`the index declares ${blockCount} blocks and holds ${b}`);
  if (points !== pointCount) fail(`the index declares ${pointCount} points and its blocks hold ${points}`);
  if (next !== indexOffset) fail(`blocks end at ${next} but the index starts at ${indexOffset}: bytes between them belong to no block`);
  return {
    fields, nameRank, rankOf, series, seriesKeyStart, keyField, keyBlockStart, keyPos,
    minTime, maxTime, offset, count, pointCount, indexOffset, fileMinTime, fileMaxTime,
  };
}

/** Bytes of block b, its CRC not counted. */
export function blockSize(ix: TsmIndex, b: number): number {
  return ix.offset[b + 1] - ix.offset[b] - BLOCK_CRC_SIZE;
}

/** Compares two int64s given as (high word, low word); the high words' sign bit counts. */
function cmp64(ah: number, al: number, bh: number, bl: number): number {
  const x = ah | 0;
  const y = bh | 0;
  if (x !== y) return x < y ? -1 : 1;
  return al === bl ? 0 : al >>> 0 < bl >>> 0 ? -1 : 1;
}
