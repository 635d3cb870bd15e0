// Numbers and timestamps of line protocol, straight from the bytes into a batch's columns.
//
// Floats take Clinger's fast path (W. D. Clinger, "How to Read Floating Point Numbers
// Accurately", PLDI 1990): a mantissa below 2^53 scaled by 10^k with |k| <= 22 is one exact
// IEEE operation, so correctly rounded. Other floats go through Number() once the syntax is
// checked here. Integers, unsigned integers and timestamps are assembled exactly as two
// 32-bit words (src/int64.ts), never via BigInt.

import { setDecimal } from '../int64.js';
import type { LineState } from './lpstate.js';
import type { FastSlices } from './lptables.js';
import { FLOAT, INTEGER, UNSIGNED } from '../types.js';

const P10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

/**
 * Parses a float (`1`, `-1.5e3`, `.5`, `1.`), integer (`1i`) or unsigned (`1u`) at p into
 * field j: its type into types[j], its value into bits/f64. Returns the offset after the
 * value, or -1 (error in st).
 */
export function parseNumber(b: Buffer, p: number, n: number, types: Uint8Array, bits: Uint32Array, f64: Float64Array, j: number, st: LineState): number {
  const neg = b[p] === 45;
  const ds = neg ? p + 1 : p; // digits start
  let q = ds;
  while (q < n && b[q] === 48) q++;
  const sd = q; // significant digits start
  let w = 0;
  while (q < n) {
    const d = b[q] - 48;
    if (d < 0 || d > 9) break;
    w = w * 10 + d;
    q++;
  }
  const de = q;
  let c = q < n ? b[q] : 0;
  if (c === 105 || c === 117) {
    // integer or unsigned
    if (de === ds) return st.fail(p, 'invalid number');
    const unsigned = c === 117;
    if (unsigned && neg) return st.fail(p, 'invalid number: unsigned value is negative');
    const nd = de - sd;
    if (nd <= 15) {
      if (neg) w = -w;
      bits[2 * j] = w >>> 0;
      bits[2 * j + 1] = Math.floor(w / TWO32) >>> 0;
    } else {
      let hi = 0;
      let lo = 0;
      if (nd <= 20) {
        for (let i = sd; i < de - 9; i++) hi = hi * 10 + (b[i] - 48);
        for (let i = de - 9; i < de; i++) lo = lo * 10 + (b[i] - 48);
      }
      if (nd > 20 || (!unsigned && nd > 19) || !setDecimal(bits, j, hi, lo, neg, unsigned)) {
        return st.fail(p, unsigned ? 'invalid number: unsigned value out of range' : 'invalid number: integer value out of range');
      }
    }
    types[j] = unsigned ? UNSIGNED : INTEGER;
    return q + 1;
  }
  // float: [-] ( digits [ "." [digits] [exp] ] | digits exp | "." digits [exp] )
  let frac = 0;
  if (c === 46) {
    q++;
    const fs = q;
    while (q < n) {
      const d = b[q] - 48;
      if (d < 0 || d > 9) break;
      w = w * 10 + d;
      q++;
    }
    frac = q - fs;
    if (frac === 0 && de === ds) return st.fail(p, 'invalid number');
    c = q < n ? b[q] : 0;
  } else if (de === ds) return st.fail(p, 'invalid number');
  let e10 = -frac;
  if (c === 101 || c === 69) {
    q++;
    let eneg = false;
    c = q < n ? b[q] : 0;
    if (c === 43) q++;
    else if (c === 45) {
      eneg = true;
      q++;
    }
    const es = q;
    let ev = 0;
    while (q < n) {
      const d = b[q] - 48;
      if (d < 0 || d > 9) break;
      if (ev < 1e8) ev = ev * 10 + d;
      q++;
    }
    if (q === es) return st.fail(p, 'invalid number');
    e10 += eneg ? -ev : ev;
  }
  let v: number;
  if (w < TWO53 && e10 >= -22 && e10 <= 22) {
    const p10 = P10;
    v = e10 < 0 ? w / p10[-e10] : w * p10[e10];
    if (neg) v = -v;
  } else if (w === 0) {
    v = neg ? -0 : 0;
  } else {
    v = Number((b as unknown as FastSlices).latin1Slice(p, q));
    if (v === Infinity || v === -Infinity) return st.fail(p, 'invalid number: value out of range');
    if (v !== v) return st.fail(p, 'invalid number');
  }
  f64[j] = v;
  types[j] = FLOAT;
  return q;
}

/**
 * Parses `[-]digits` at p in the unit `prec` (PREC_CODE), scales it to ns exactly and writes
 * point i's time words. Returns the offset after the digits, or -1 (error in st).
 */
export function parseTime(b: Buffer, p: number, n: number, times: Uint32Array, i: number, prec: number, st: LineState): number {
  const neg = b[p] === 45;
  const ds = neg ? p + 1 : p; // digits start
  let q = ds;
  while (q < n && b[q] === 48) q++;
  const sd = q; // significant digits start
  while (q < n && b[q] >= 48 && b[q] <= 57) q++;
  const de = q;
  if (de === ds) return st.fail(p, 'bad timestamp');
  const c = q < n ? b[q] : 10;
  if (c !== 32 && c !== 10 && c !== 13) return st.fail(p, 'bad timestamp');
  const nd = de - sd;
  if (nd > 19) return st.fail(p, 'bad timestamp: time outside range');
  // the value as (hi9, lo9) = (leading digits, last 9 digits)
  let hi9 = 0;
  let lo9 = 0;
  const split = nd > 9 ? de - 9 : sd;
  for (let k = sd; k < split; k++) hi9 = hi9 * 10 + (b[k] - 48);
  for (let k = split; k < de; k++) lo9 = lo9 * 10 + (b[k] - 48);
  // scaled to ns = hi * 1e9 + lo
  let hi: number;
  let lo: number;
  switch (prec) {
    case 0:
      hi = hi9;
      lo = lo9;
      break;
    case 1: // us
      hi = hi9 * 1e3 + Math.floor(lo9 / 1e6);
      lo = (lo9 % 1e6) * 1e3;
      break;
    case 2: // ms
      hi = hi9 * 1e6 + Math.floor(lo9 / 1e3);
      lo = (lo9 % 1e3) * 1e6;
      break;
    case 3: // s
      hi = hi9 * 1e9 + lo9;
      lo = 0;
      break;
    case 4: // m
      hi = hi9 > 0 ? Infinity : lo9 * 60;
      lo = 0;
      break;
    default: // h
      hi = hi9 > 0 ? Infinity : lo9 * 3600;
      lo = 0;
      break;
  }
  if (hi > 1e10 || !setDecimal(times, i, hi, lo, neg)) return st.fail(p, 'bad timestamp: time outside range');
  const th = times[2 * i + 1];
  const tl = times[2 * i];
  // MaxInt64 and MinInt64, MinInt64+1 are reserved (InfluxDB's MaxNanoTime / MinNanoTime)
  if ((th === 0x7fffffff && tl === 0xffffffff) || (th === 0x80000000 && tl <= 1)) {
    return st.fail(p, 'bad timestamp: time outside range');
  }
  return q;
}
