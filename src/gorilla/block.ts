// A block: the points of one series+field, up to ~1000 of them, as the TSM files store it.
// Layout (all integers little-endian; docs/format/block.md is the full specification):
//
//   u8  block version (1)
//   u8  value type (src/types.ts: FLOAT=1 INTEGER=2 UNSIGNED=3 BOOLEAN=4 STRING=5)
//   u32 count n
//   u8  timestamp encoding tag, u32 byte length L, L bytes      (timestamps.ts)
//   u8  value encoding tag, value bytes up to the end of the block
//       (floats.ts, integers.ts, booleans.ts, strings.ts by value type)
//
// Each section picks its cheapest encoding and names it in its tag byte (VictoriaMetrics
// lib/encoding; STYLE.md points 3-5). The timestamp section has a length so readers can
// prune by time (decodeBlockTimes) and skip the values. No CRC here: the file layer adds
// one per block. Blocks do not require sorted or unique timestamps (the codecs are exact for
// any order); the TSM writer gives sorted unique times and takes min/max as first/last.

import { ByteReader, ByteWriter, TWO32 } from './bytes.js';
import { decodeBooleans, encodeBooleans } from './booleans.js';
import { BlockDecodeError } from './errors.js';
import { decodeFloats, encodeFloats } from './floats.js';
import { decodeInts, encodeInts } from './integers.js';
import { decodeStrings, encodeStrings } from './strings.js';
import { decodeTimestamps, encodeTimestamps, TS_STEP } from './timestamps.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { ColumnValues } from '../types.js';

export const BLOCK_VERSION = 1;
/** Header bytes before the timestamp section's tag. */
export const BLOCK_HEADER = 6;
/** Upper bound on points per block: decoders refuse larger counts, so a damaged count cannot
 * make them allocate gigabytes. The TSM writer uses ~1000. */
export const MAX_BLOCK_POINTS = 1 << 20;

export interface DecodedBlock {
  type: number;
  times: BigInt64Array;
  values: ColumnValues;
}

/** A numeric block as PromQL reads it (decodeBlockFloat). */
export interface DecodedFloatBlock {
  type: number;
  /**
   * floor(time / 1e6): float milliseconds; null when they are regular, time i being
   * `t0 + i * step` (a constant step of whole ms, as a steady scrape gives).
   */
  times: Float64Array | null;
  t0: number;
  step: number;
  /** The values as float64: integers rounded to nearest (as Number()), booleans 0 and 1. */
  values: Float64Array;
  /** The first and last times, ns, as int64 words (low, high; unsigned), and whether the
   * times strictly ascend: for checks against the TSM index, with no BigInt. */
  firstLo: number;
  firstHi: number;
  lastLo: number;
  lastHi: number;
  ascending: boolean;
}

export interface DecodedTimes {
  type: number;
  count: number;
  times: BigInt64Array;
}

function words(a: BigInt64Array | BigUint64Array | Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/**
 * Appends one block of points [from, to) to `out`. `values` must match `type`: FLOAT
 * Float64Array, INTEGER BigInt64Array, UNSIGNED BigUint64Array, BOOLEAN Uint8Array (0/1),
 * STRING string[] (needs `await initCodecs()` first).
 */
export function encodeBlock(type: number, times: BigInt64Array, values: ColumnValues, from: number, to: number, out: ByteWriter): void {
  const n = to - from;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && n >= 0 && to <= times.length && to <= values.length)) {
    throw new RangeError(`encodeBlock: range [${from}, ${to}) is outside the ${times.length} times / ${values.length} values`);
  }
  if (n > MAX_BLOCK_POINTS) throw new RangeError(`encodeBlock: ${n} points, at most ${MAX_BLOCK_POINTS} per block`);
  checkValues(type, values);
  const start = out.pos;
  out.reserve(BLOCK_HEADER + 5);
  out.u8(BLOCK_VERSION);
  out.u8(type);
  out.u32(n);
  const tsAt = out.pos;
  out.u8(0);
  out.u32(0);
  // (the tag is computed first: the writer may grow, so out.buf is read only afterwards)
  const tsTag = encodeTimestamps(words(times), from, to, out);
  out.buf[tsAt] = tsTag;
  out.setU32(tsAt + 1, out.pos - tsAt - 5);
  const vAt = out.pos;
  out.u8(0);
  let tag: number;
  try {
    switch (type) {
      case FLOAT: {
        const f = values as Float64Array;
        tag = encodeFloats(words(f), f, from, to, out);
        break;
      }
      case INTEGER:
      case UNSIGNED:
        tag = encodeInts(words(values as BigInt64Array), from, to, out);
        break;
      case BOOLEAN:
        tag = encodeBooleans(values as Uint8Array, from, to, out);
        break;
      default:
        tag = encodeStrings(values as string[], from, to, out);
    }
  } catch (err) {
    out.pos = start; // leave the writer as it was
    throw err;
  }
  out.buf[vAt] = tag;
}

function checkValues(type: number, v: ColumnValues): void {
  const ok =
    type === FLOAT ? v instanceof Float64Array :
    type === INTEGER ? v instanceof BigInt64Array :
    type === UNSIGNED ? v instanceof BigUint64Array :
    type === BOOLEAN ? v instanceof Uint8Array :
    type === STRING ? Array.isArray(v) : false;
  if (!ok) throw new TypeError(`encodeBlock: value type ${type} does not match a ${v.constructor.name}`);
}

/** Reads the header and decodes the timestamps; leaves `r` at the value section's tag. */
function readTimes(buf: Uint8Array, r: ByteReader): DecodedTimes {
  const version = r.u8();
  if (version !== BLOCK_VERSION) r.fail(`unsupported block version ${version}`);
  const type = r.u8();
  if (type < FLOAT || type > STRING) r.fail(`unknown value type ${type}`);
  const count = r.u32();
  if (count > MAX_BLOCK_POINTS) r.fail(`block claims ${count} points (max ${MAX_BLOCK_POINTS})`);
  const tag = r.u8();
  const len = r.u32();
  r.need(len);
  const times = new BigInt64Array(count);
  const tr = new ByteReader(buf, r.pos, r.pos + len);
  decodeTimestamps(tag, tr, count, words(times), 0);
  tr.expectEnd();
  r.pos += len;
  return { type, count, times };
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BlockDecodeError) throw err;
    // a check this layer missed: still a decode failure of this block, never a crash
    throw new BlockDecodeError(`malformed block: ${(err as Error)?.message ?? String(err)}`, -1, { cause: err });
  }
}

/** Decodes a whole block. Throws BlockDecodeError if it is malformed in any way. */
export function decodeBlock(buf: Uint8Array): DecodedBlock {
  return guard(() => {
    const r = new ByteReader(buf, 0, buf.length);
    const { type, count, times } = readTimes(buf, r);
    const tag = r.u8();
    let values: ColumnValues;
    switch (type) {
      case FLOAT: {
        const f = new Float64Array(count);
        decodeFloats(tag, r, count, words(f), f, 0);
        values = f;
        break;
      }
      case INTEGER: {
        const v = new BigInt64Array(count);
        decodeInts(tag, r, count, words(v), 0);
        values = v;
        break;
      }
      case UNSIGNED: {
        const v = new BigUint64Array(count);
        decodeInts(tag, r, count, words(v), 0);
        values = v;
        break;
      }
      case BOOLEAN: {
        const v = new Uint8Array(count);
        decodeBooleans(tag, r, count, v, 0);
        values = v;
        break;
      }
      default: {
        const v = new Array<string>(count);
        decodeStrings(tag, r, count, v, 0);
        values = v;
      }
    }
    r.expectEnd();
    return { type, times, values };
  });
}

/** Decodes only the header and the timestamps (for pruning by time). */
export function decodeBlockTimes(buf: Uint8Array): DecodedTimes {
  return guard(() => readTimes(buf, new ByteReader(buf, 0, buf.length)));
}

/** Sizes of a block's parts, for statistics and benchmarks (no decoding). */
export function blockLayout(buf: Uint8Array): { type: number; count: number; timesBytes: number; valuesBytes: number; timesTag: number; valuesTag: number } {
  return guard(() => {
    const r = new ByteReader(buf, 0, buf.length);
    r.u8();
    const type = r.u8();
    const count = r.u32();
    const timesTag = r.u8();
    const len = r.u32();
    r.need(len);
    r.pos += len;
    const valuesTag = r.u8();
    return { type, count, timesBytes: 5 + len, valuesBytes: buf.length - r.pos + 1, timesTag, valuesTag };
  });
}

const MAX_I64 = (1n << 63n) - 1n;
const NS_PER_MS = 1_000_000n;
/** floor(MAX_I64 / 1e6): a time whose ms are below it is below MAX_I64. */
const MAX_MS = 9_223_372_036_854;

function int64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/** n float64s, not zeroed (the decoder writes every one), in memory of their own: decoded
 * blocks live in the block cache, and a slice of Buffer's shared pool would keep the whole
 * pool alive behind the cache's accounting. */
function floats(n: number): Float64Array {
  if (n === 0) return new Float64Array(0);
  const b = Buffer.allocUnsafeSlow(8 * n);
  return new Float64Array(b.buffer, b.byteOffset, n);
}

/**
 * Decodes a numeric block for PromQL: times straight to float milliseconds (floor of ns /
 * 1e6, as the PromQL adapter's nsToMs) and values to float64, with no int64 arrays in
 * between. Times with a constant step of whole ms (a steady scrape) are not materialised:
 * `times` is null and time i is t0 + i * step. Throws BlockDecodeError if the block is
 * malformed, and for a string block (it has no float view).
 */
export function decodeBlockFloat(buf: Uint8Array): DecodedFloatBlock {
  return guard(() => floatBlock(buf));
}

/**
 * floor(t / 1e6) of an int64 ns time t given as its low word (unsigned) and high word
 * (signed), exactly and without BigInt: t = shi * 4294 * 1e6 + (shi * 967296 + lo), and the
 * second term stays far below 2^53.
 */
export function floorMsOfWords(lo: number, shi: number): number {
  const x = shi * 967296 + lo;
  let q = Math.floor(x * 1e-6);
  const rem = x - q * 1e6;
  if (rem < 0) q -= 1;
  else if (rem >= 1e6) q += 1;
  return shi * 4294 + q;
}

function floatBlock(buf: Uint8Array): DecodedFloatBlock {
  const r = new ByteReader(buf, 0, buf.length);
  const version = r.u8();
  if (version !== BLOCK_VERSION) r.fail(`unsupported block version ${version}`);
  const type = r.u8();
  if (type < FLOAT || type > STRING) r.fail(`unknown value type ${type}`);
  if (type === STRING) r.fail('a string block has no float view');
  const count = r.u32();
  if (count > MAX_BLOCK_POINTS) r.fail(`block claims ${count} points (max ${MAX_BLOCK_POINTS})`);
  const tag = r.u8();
  const len = r.u32();
  r.need(len);
  let times: Float64Array | null = null;
  let t0ms = 0;
  let stepMs = 0;
  let firstLo = 0;
  let firstHi = 0;
  let lastLo = 0;
  let lastHi = 0;
  let ascending = true;
  let regular = false;
  if (tag === TS_STEP && count >= 2) {
    const pr = new ByteReader(buf, r.pos, r.pos + len);
    pr.u64();
    const t0lo = pr.lo;
    const t0hi = pr.hi;
    pr.zigzag64();
    // In numbers when the step is positive, below 2^53 and whole ms, and the span is below
    // 2^53 too (any steady clock): BigInt operations cost a request microseconds when cold.
    const stepNs = pr.hi * TWO32 + pr.lo;
    const span = (count - 1) * stepNs;
    if (pr.hi < 0x200000 && stepNs > 0 && stepNs % 1e6 === 0 && span <= Number.MAX_SAFE_INTEGER) {
      const t0m = floorMsOfWords(t0lo, t0hi | 0);
      // tn = t0 + span, a whole number of ms later: floor(tn / 1e6) = t0m + span / 1e6, and
      // below MAX_MS it is <= MAX_I64
      if (t0m + span / 1e6 < MAX_MS) {
        pr.expectEnd();
        const slo = span % TWO32;
        const lo = t0lo + slo;
        t0ms = t0m;
        stepMs = stepNs / 1e6;
        firstLo = t0lo;
        firstHi = t0hi;
        lastLo = lo >>> 0;
        lastHi = (t0hi + (span - slo) / TWO32 + (lo >= TWO32 ? 1 : 0)) >>> 0;
        regular = true;
      }
    }
    if (!regular) {
      // the rest, exactly, in BigInt (steps of 2^53 ns and more, the last ms before MAX_I64)
      const t0 = int64(t0lo, t0hi);
      const step = int64(pr.lo, pr.hi);
      const tn = t0 + BigInt(count - 1) * step;
      if (step > 0n && tn <= MAX_I64 && step % NS_PER_MS === 0n) {
        pr.expectEnd();
        const q = t0 / NS_PER_MS;
        t0ms = Number(t0 < 0n && q * NS_PER_MS !== t0 ? q - 1n : q);
        stepMs = Number(step / NS_PER_MS);
        firstLo = t0lo;
        firstHi = t0hi;
        lastLo = Number(BigInt.asUintN(32, tn));
        lastHi = Number(BigInt.asUintN(32, tn >> 32n));
        regular = true;
      }
    }
  }
  if (!regular) {
    // int64 words into the output's own memory, then converted in place
    times = floats(count);
    const w = words(times);
    const tr = new ByteReader(buf, r.pos, r.pos + len);
    decodeTimestamps(tag, tr, count, w, 0);
    tr.expectEnd();
    if (count > 0) {
      firstLo = w[0];
      firstHi = w[1];
      lastLo = w[2 * count - 2];
      lastHi = w[2 * count - 1];
    }
    let plo = 0;
    let phi = 0;
    for (let i = 0; i < count; i++) {
      const lo = w[2 * i];
      const shi = w[2 * i + 1] | 0;
      if (i > 0 && !(shi > phi || (shi === phi && lo > plo))) ascending = false;
      plo = lo;
      phi = shi;
      times[i] = floorMsOfWords(lo, shi);
    }
  }
  r.pos += len;
  const vtag = r.u8();
  const values = floats(count);
  switch (type) {
    case FLOAT:
      decodeFloats(vtag, r, count, words(values), values, 0);
      break;
    case INTEGER:
    case UNSIGNED: {
      const w = words(values);
      decodeInts(vtag, r, count, w, 0);
      if (type === INTEGER) for (let i = 0; i < count; i++) values[i] = (w[2 * i + 1] | 0) * TWO32 + w[2 * i];
      else for (let i = 0; i < count; i++) values[i] = w[2 * i + 1] * TWO32 + w[2 * i];
      break;
    }
    default: {
      const v = new Uint8Array(count);
      decodeBooleans(vtag, r, count, v, 0);
      for (let i = 0; i < count; i++) values[i] = v[i] ? 1 : 0;
    }
  }
  r.expectEnd();
  return { type, times, t0: t0ms, step: stepMs, values, firstLo, firstHi, lastLo, lastHi, ascending };
}
