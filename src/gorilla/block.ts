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

import { ByteReader, ByteWriter } from './bytes.js';
import { decodeBooleans, encodeBooleans } from './booleans.js';
import { BlockDecodeError } from './errors.js';
import { decodeFloats, encodeFloats } from './floats.js';
import { decodeInts, encodeInts } from './integers.js';
import { decodeStrings, encodeStrings } from './strings.js';
import { decodeTimestamps, encodeTimestamps } from './timestamps.js';
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
