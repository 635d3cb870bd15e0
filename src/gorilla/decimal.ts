// Decimal path for float columns whose values are short decimals (sensor readings such as
// 21.37 or 45.1, which is how most IoT data is written).
//
// Such a value is the double nearest to m / 10^e for a small integer m, but its binary
// mantissa is a long repeating fraction, so Gorilla XOR sees ~40 changing bits per value.
// Stored instead as the integers m, delta coded by the integer codec, it costs a few bits.
// This is the idea of ALP (Afroozeh, Kuffo & Boncz, "ALP: Adaptive Lossless floating-Point
// Compression", SIGMOD 2023) and of VictoriaMetrics lib/decimal, restricted to what is
// provably lossless: the block's exponent e is the smallest in 0..MAX_DECIMAL_EXP such that
// for every value v, m = round(v * 10^e) satisfies |m| <= 2^53 and m / 10^e === v. Both m and
// 10^e (e <= 22) are exact doubles and IEEE division is correctly rounded, so the decoder's
// m / 10^e reproduces v bit for bit. -0, NaN and ±Inf never pass (they go to XOR).
//
// Body (after the float tag 0x23): [u8 e][u8 integer tag][integer body (integers.ts)].

import type { ByteReader, ByteWriter } from './bytes.js';
import { TWO32 } from './bytes.js';
import { decodeInts, encodeInts } from './integers.js';

export const MAX_DECIMAL_EXP = 15;
const P10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const TWO53 = 9007199254740992;

let mw = new Uint32Array(2048); // the scaled integers, int64 words

/** True when m = round(v * 10^e) reproduces v exactly. */
function fits(v: number, p: number): boolean {
  const m = Math.round(v * p);
  return m / p === v && m <= TWO53 && m >= -TWO53 && (v !== 0 || 1 / v > 0);
}

/**
 * The smallest exponent that makes every f[from, to) an exact scaled integer, or -1.
 * On success the scaled integers are left in an internal buffer for encodeDecimal.
 */
export function decimalExponent(f: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (mw.length < 2 * n) mw = new Uint32Array(2 * n);
  // e only grows, so this is at most n + MAX_DECIMAL_EXP tests
  let e = 0;
  for (let i = from; i < to; i++) {
    const v = f[i];
    while (!fits(v, P10[e])) if (++e > MAX_DECIMAL_EXP) return -1;
  }
  // values checked at a smaller e are checked again at the final one (a value exact at e
  // is exact at e+1 too, but rounding of v * 10^e near 2^53 could still disagree)
  for (; e <= MAX_DECIMAL_EXP; e++) if (scale(f, from, to, P10[e])) return e;
  return -1;
}

function scale(f: Float64Array, from: number, to: number, p: number): boolean {
  const w = mw;
  for (let i = from, j = 0; i < to; i++, j++) {
    const v = f[i];
    if (!fits(v, p)) return false;
    const m = Math.round(v * p);
    const hi = Math.floor(m / TWO32);
    w[2 * j] = m - hi * TWO32;
    w[2 * j + 1] = hi;
  }
  return true;
}

/** Writes the body for the exponent returned by decimalExponent (same values). */
export function encodeDecimal(n: number, e: number, out: ByteWriter): void {
  out.u8(e);
  const at = out.pos;
  out.u8(0);
  const tag = encodeInts(mw, 0, n, out);
  out.buf[at] = tag; // after the call: the writer may have grown
}

/** Decodes n values into f[from, from + n); `w` is the same memory as Uint32Array. */
export function decodeDecimal(r: ByteReader, n: number, w: Uint32Array, f: Float64Array, from: number): void {
  const e = r.u8();
  if (e > MAX_DECIMAL_EXP) r.fail(`decimal exponent ${e} > ${MAX_DECIMAL_EXP}`);
  const tag = r.u8();
  decodeInts(tag, r, n, w, from);
  const p = P10[e];
  for (let i = from; i < from + n; i++) {
    const hi = w[2 * i + 1] | 0;
    if (hi < -0x200000 || hi > 0x200000) r.fail('decimal mantissa out of range');
    const m = hi * TWO32 + w[2 * i];
    f[i] = m / p;
  }
}
