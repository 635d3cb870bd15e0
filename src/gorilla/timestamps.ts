// Timestamp codec: int64 nanoseconds, any order, any values (sorting is not assumed).
//
// Delta-of-delta after Gorilla (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time
// Series Database", VLDB 2015, section 4.1.1), with the fast paths of VictoriaMetrics
// lib/encoding and InfluxDB tsm1's timestamp encoder (which divides by the largest common
// power of ten). The count is not stored here: the block header has it. Tag + body:
//
//   0x01 RAW   n x 8 bytes, little-endian words
//   0x02 STEP  u64 first, zigzag varint64 step: t[i] = first + i*step (regular series;
//              also n equal times, step 0)
//   0x03 DELTA u64 first, varint g, packed stream (intpack.ts) of D[i], i = 1..n-1
//   0x04 DOD   u64 first, varint g, zigzag varint64 D[1], packed D[i] - D[i-1], i = 2..n-1
//   0x05 GRID  u64 first, varint g, zigzag varint64 S, packed s[i], i = 0..n-1
//
// where d[i] = t[i] - t[i-1] (wrapping), g = gcd of all |d[i]| (1 unless every |d| < 2^52;
// millisecond data in nanoseconds gets g = 10^6) and D[i] = d[i] / g. GRID is for jittered
// clocks: a sensor reporting every S units whose samples are sometimes late. With
// r[i] = sum_{j<=i} (D[j] - S), every on-time sample has the same r; s[i] = r[i] - R where R
// is the most common r, so on-time samples are 0 and each late one is a single nonzero
// (delta-of-delta would give three nonzeros per late sample). Decoding only needs
// D[i] = S + s[i] - s[i-1]. All arithmetic wraps modulo 2^64 on uint32 words, so deltas that
// overflow int64 round-trip; with g > 1 the encoder has checked |D * g| < 2^52 and the
// decoder multiplies in doubles, exactly.

import type { ByteReader, ByteWriter } from './bytes.js';
import { uvarintLen, zigzag64Len, TWO32 } from './bytes.js';
import { PackPlan, planPack, readPack, writePack } from './intpack.js';

export const TS_RAW = 0x01;
export const TS_STEP = 0x02;
export const TS_DELTA = 0x03;
export const TS_DOD = 0x04;
export const TS_GRID = 0x05;

const TWO52 = 4503599627370496;
let dw = new Uint32Array(2048); // D[i] at index i
let ddw = new Uint32Array(2048); // D[i] - D[i-1]
let sw = new Uint32Array(2048); // grid residuals
const planD = new PackPlan();
const planDD = new PackPlan();
const planS = new PackPlan();

function scratch(n: number): void {
  if (dw.length < 2 * n) {
    dw = new Uint32Array(2 * n);
    ddw = new Uint32Array(2 * n);
    sw = new Uint32Array(2 * n);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Boyer-Moore majority vote over w[from, to): the most common value if one holds a
 * majority, else some value (fine: it only has to be good, not optimal). Into mLo/mHi. */
let mLo = 0;
let mHi = 0;
function majority(w: Uint32Array, from: number, to: number): void {
  let lo = 0;
  let hi = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const a = w[2 * i];
    const b = w[2 * i + 1];
    if (count === 0) {
      lo = a;
      hi = b;
      count = 1;
    } else if (a === lo && b === hi) count++;
    else count--;
  }
  mLo = lo;
  mHi = hi;
}

/** Encodes t[from, to) (value indices into int64 words) into `out`; returns the tag. */
export function encodeTimestamps(t: Uint32Array, from: number, to: number, out: ByteWriter): number {
  const n = to - from;
  if (n <= 1) {
    if (n === 1) out.u64(t[2 * from], t[2 * from + 1]);
    return TS_RAW;
  }
  scratch(n);
  const d = dw;
  const t0lo = t[2 * from];
  const t0hi = t[2 * from + 1];
  let plo = t0lo;
  let phi = t0hi;
  let same = true;
  let safe = true;
  const d1lo = (t[2 * from + 2] - t0lo) >>> 0;
  const d1hi = (t[2 * from + 3] - t0hi - (t[2 * from + 2] < t0lo ? 1 : 0)) >>> 0;
  for (let i = 1; i < n; i++) {
    const lo = t[2 * (from + i)];
    const hi = t[2 * (from + i) + 1];
    const dlo = (lo - plo) >>> 0;
    const dhi = (hi - phi - (lo < plo ? 1 : 0)) | 0;
    d[2 * i] = dlo;
    d[2 * i + 1] = dhi;
    if (dlo !== d1lo || dhi >>> 0 !== d1hi) same = false;
    if (dhi <= -0x100000 || dhi >= 0x100000) safe = false; // |d| may reach 2^52
    plo = lo;
    phi = hi;
  }
  if (same) {
    out.u64(t0lo, t0hi);
    out.zigzag64(d1lo, d1hi);
    return TS_STEP;
  }
  // common divisor of the deltas, in exact double arithmetic (|d| < 2^52)
  let g = 1;
  if (safe) {
    g = 0;
    for (let i = 1; i < n && g !== 1; i++) {
      const v = (d[2 * i + 1] | 0) * TWO32 + d[2 * i];
      g = gcd(v < 0 ? -v : v, g);
    }
    if (g > 1) {
      for (let i = 1; i < n; i++) {
        const q = ((d[2 * i + 1] | 0) * TWO32 + d[2 * i]) / g;
        const qhi = Math.floor(q / TWO32);
        d[2 * i] = q - qhi * TWO32;
        d[2 * i + 1] = qhi;
      }
    } else g = 1;
  }
  const head = 8 + uvarintLen(g);

  // DELTA
  const deltaBytes = head + planPack(d, 1, n, planD).bytes;

  // DOD
  const dd = ddw;
  for (let i = 2; i < n; i++) {
    const alo = d[2 * i];
    const blo = d[2 * i - 2];
    dd[2 * i] = alo - blo;
    dd[2 * i + 1] = d[2 * i + 1] - d[2 * i - 1] - (alo < blo ? 1 : 0);
  }
  const Dlo = d[2];
  const Dhi = d[3];
  const dodBytes = n > 2 ? head + zigzag64Len(Dlo, Dhi) + planPack(dd, 2, n, planDD).bytes : Infinity;

  // GRID: S = the most common D; r[i] = r[i-1] + D[i] - S; s = r - (the most common r)
  majority(d, 1, n);
  const Slo = mLo;
  const Shi = mHi;
  const s = sw;
  let rlo = 0;
  let rhi = 0;
  s[0] = 0;
  s[1] = 0;
  for (let i = 1; i < n; i++) {
    const xlo = (d[2 * i] - Slo) >>> 0; // D[i] - S
    const xhi = d[2 * i + 1] - Shi - (d[2 * i] < Slo ? 1 : 0);
    const lo = rlo + xlo;
    rhi = (rhi + xhi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    rlo = lo >>> 0;
    s[2 * i] = rlo;
    s[2 * i + 1] = rhi;
  }
  majority(s, 0, n);
  const Rlo = mLo;
  const Rhi = mHi;
  for (let i = 0; i < n; i++) {
    const lo = s[2 * i];
    s[2 * i] = lo - Rlo;
    s[2 * i + 1] = s[2 * i + 1] - Rhi - (lo < Rlo ? 1 : 0);
  }
  const gridBytes = head + zigzag64Len(Slo, Shi) + planPack(s, 0, n, planS).bytes;

  const rawBytes = 8 * n;
  const best = Math.min(rawBytes, deltaBytes, dodBytes, gridBytes);
  if (best === rawBytes) {
    out.reserve(rawBytes);
    for (let i = from; i < to; i++) out.u64(t[2 * i], t[2 * i + 1]);
    return TS_RAW;
  }
  out.u64(t0lo, t0hi);
  out.uvarint(g);
  if (best === gridBytes) {
    out.zigzag64(Slo, Shi);
    writePack(s, 0, n, planS, out);
    return TS_GRID;
  }
  if (best === deltaBytes) {
    writePack(d, 1, n, planD, out);
    return TS_DELTA;
  }
  out.zigzag64(Dlo, Dhi);
  writePack(dd, 2, n, planDD, out);
  return TS_DOD;
}

/** Decodes n timestamps of a section with `tag` into out[from, from + n) (words). */
export function decodeTimestamps(tag: number, r: ByteReader, n: number, out: Uint32Array, from: number): void {
  const to = from + n;
  if (tag === TS_RAW) {
    r.need(8 * n);
    for (let i = from; i < to; i++) {
      out[2 * i] = r.u32();
      out[2 * i + 1] = r.u32();
    }
    return;
  }
  if (tag < TS_STEP || tag > TS_GRID) r.fail(`unknown timestamp encoding 0x${tag.toString(16)}`);
  if (n < 2) r.fail(`timestamp encoding 0x${tag.toString(16)} needs at least 2 values, the block has ${n}`);
  r.u64();
  const t0lo = r.lo;
  const t0hi = r.hi;
  if (tag === TS_STEP) {
    r.zigzag64();
    const slo = r.lo;
    const shi = r.hi;
    let plo = t0lo;
    let phi = t0hi;
    out[2 * from] = plo;
    out[2 * from + 1] = phi;
    for (let i = from + 1; i < to; i++) {
      const lo = plo + slo;
      phi = (phi + shi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
      plo = lo >>> 0;
      out[2 * i] = plo;
      out[2 * i + 1] = phi;
    }
    return;
  }
  const g = r.uvarint(TWO52);
  if (g === 0) r.fail('timestamp divisor is 0');
  if (tag === TS_DELTA) {
    readPack(r, out, from + 1, n - 1);
  } else if (tag === TS_DOD) {
    r.zigzag64();
    out[2 * from + 2] = r.lo;
    out[2 * from + 3] = r.hi;
    if (n > 2) readPack(r, out, from + 2, n - 2);
    // D[1] is in slot from+1, the delta-of-deltas from slot from+2 on
    let plo = out[2 * from + 2];
    let phi = out[2 * from + 3];
    for (let i = from + 2; i < to; i++) {
      const lo = plo + out[2 * i];
      phi = (phi + out[2 * i + 1] + (lo > 0xffffffff ? 1 : 0)) >>> 0;
      plo = lo >>> 0;
      out[2 * i] = plo;
      out[2 * i + 1] = phi;
    }
  } else {
    r.zigzag64();
    const Slo = r.lo;
    const Shi = r.hi;
    readPack(r, out, from, n);
    // D[i] = S + s[i] - s[i-1], back to front so s[i-1] is still there
    for (let i = to - 1; i > from; i--) {
      const alo = out[2 * i];
      const blo = out[2 * i - 2];
      const xlo = (alo - blo) >>> 0;
      const xhi = out[2 * i + 1] - out[2 * i - 1] - (alo < blo ? 1 : 0);
      const lo = xlo + Slo;
      out[2 * i] = lo;
      out[2 * i + 1] = xhi + Shi + (lo > 0xffffffff ? 1 : 0);
    }
  }
  // t[i] = t[i-1] + D[i] * g
  out[2 * from] = t0lo;
  out[2 * from + 1] = t0hi;
  let plo = t0lo;
  let phi = t0hi;
  if (g === 1) {
    for (let i = from + 1; i < to; i++) {
      const lo = plo + out[2 * i];
      phi = (phi + out[2 * i + 1] + (lo > 0xffffffff ? 1 : 0)) >>> 0;
      plo = lo >>> 0;
      out[2 * i] = plo;
      out[2 * i + 1] = phi;
    }
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const q = ((out[2 * i + 1] | 0) * TWO32 + out[2 * i]) * g;
    if (q >= TWO52 || q <= -TWO52) r.fail('timestamp delta out of range for its divisor');
    const qhi = Math.floor(q / TWO32);
    const lo = plo + (q - qhi * TWO32);
    phi = (phi + qhi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    plo = lo >>> 0;
    out[2 * i] = plo;
    out[2 * i + 1] = phi;
  }
}
