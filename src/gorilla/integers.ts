// Integer codec: int64 and uint64 columns (and any stream of 64-bit words: the decimal
// float path and string dictionary indices reuse it).
//
// Values are two's complement words (low at 2*i, high at 2*i+1: a BigInt64Array or
// BigUint64Array viewed as Uint32Array). Deltas wrap modulo 2^64, so int64 and uint64 share
// one codec and round-trip exactly at their extremes (MAX - MIN wraps and unwraps). The
// section is a tag byte (written by the caller) and a body:
//
//   0x10 RAW    n x 8 bytes, little-endian words
//   0x11 CONST  zigzag varint64 value                    (all n values equal)
//   0x12 STEP   zigzag varint64 first, zigzag varint64 step (an arithmetic sequence)
//   0x13 DELTA  zigzag varint64 first, packed stream of the n-1 deltas (intpack.ts)
//   0x14 DOD    zigzag varint64 first, zigzag varint64 first delta, packed stream of the
//               n-2 delta-of-deltas (counters whose rate drifts slowly)
//   0x15 RLE    varint runs, then per run: zigzag varint64 (value - previous run's value,
//               starting from 0), varint (length - 1)   (gauges that rarely change)
//
// The encoder computes the exact size of every candidate and keeps the smallest, the
// VictoriaMetrics lib/encoding approach (marshalInt64s picks const, delta const, delta,
// delta2): simple beats smart, and the tag says which was taken.

import type { ByteReader, ByteWriter } from './bytes.js';
import { uvarintLen, zigzag64Len } from './bytes.js';
import { PackPlan, planPack, readPack, readPackSum, writePack } from './intpack.js';

export const INT_RAW = 0x10;
export const INT_CONST = 0x11;
export const INT_STEP = 0x12;
export const INT_DELTA = 0x13;
export const INT_DOD = 0x14;
export const INT_RLE = 0x15;

let dw = new Uint32Array(2048); // deltas, at the index of the later value
let ddw = new Uint32Array(2048); // delta-of-deltas
const planD = new PackPlan();
const planDD = new PackPlan();

function scratch(n: number): void {
  if (dw.length < 2 * n) {
    dw = new Uint32Array(2 * n);
    ddw = new Uint32Array(2 * n);
  }
}

/** Encodes w[from, to) (value indices) into `out` and returns the tag byte (the caller writes it). */
export function encodeInts(w: Uint32Array, from: number, to: number, out: ByteWriter): number {
  const n = to - from;
  if (n === 0) return INT_RAW;
  const lo0 = w[2 * from];
  const hi0 = w[2 * from + 1];
  if (n === 1) {
    out.zigzag64(lo0, hi0);
    return INT_CONST;
  }
  scratch(n);
  const d = dw;
  // deltas d[i] = v[i] - v[i-1], i = 1..n-1, and the number of runs of equal values
  let same = true;
  let allSame = true;
  let runs = 1;
  let rleBytes = 0;
  let runStart = 0;
  let runLo = lo0;
  let runHi = hi0;
  let prevRunLo = 0;
  let prevRunHi = 0;
  let plo = lo0;
  let phi = hi0;
  const d1lo = (w[2 * from + 2] - lo0) >>> 0;
  const d1hi = (w[2 * from + 3] - hi0 - (w[2 * from + 2] < lo0 ? 1 : 0)) >>> 0;
  for (let i = 1; i < n; i++) {
    const lo = w[2 * (from + i)];
    const hi = w[2 * (from + i) + 1];
    const dlo = (lo - plo) >>> 0;
    const dhi = (hi - phi - (lo < plo ? 1 : 0)) >>> 0;
    d[2 * i] = dlo;
    d[2 * i + 1] = dhi;
    if (dlo !== d1lo || dhi !== d1hi) same = false;
    if ((dlo | dhi) !== 0) {
      allSame = false;
      // close the run [runStart, i)
      rleBytes += runCost(runLo, runHi, prevRunLo, prevRunHi, i - runStart);
      prevRunLo = runLo;
      prevRunHi = runHi;
      runLo = lo;
      runHi = hi;
      runStart = i;
      runs++;
    }
    plo = lo;
    phi = hi;
  }
  if (allSame) {
    out.zigzag64(lo0, hi0);
    return INT_CONST;
  }
  if (same) {
    out.zigzag64(lo0, hi0);
    out.zigzag64(d1lo, d1hi);
    return INT_STEP;
  }
  rleBytes += runCost(runLo, runHi, prevRunLo, prevRunHi, n - runStart) + uvarintLen(runs);

  const first = zigzag64Len(lo0, hi0);
  const deltaBytes = first + planPack(d, 1, n, planD).bytes;
  let dodBytes = Infinity;
  if (n > 2) {
    const dd = ddw;
    for (let i = 2; i < n; i++) {
      const alo = d[2 * i];
      const blo = d[2 * i - 2];
      dd[2 * i] = alo - blo;
      dd[2 * i + 1] = d[2 * i + 1] - d[2 * i - 1] - (alo < blo ? 1 : 0);
    }
    dodBytes = first + zigzag64Len(d1lo, d1hi) + planPack(dd, 2, n, planDD).bytes;
  }
  const rawBytes = 8 * n;
  const best = Math.min(rawBytes, deltaBytes, dodBytes, rleBytes);
  if (best === deltaBytes) {
    out.zigzag64(lo0, hi0);
    writePack(d, 1, n, planD, out);
    return INT_DELTA;
  }
  if (best === dodBytes) {
    out.zigzag64(lo0, hi0);
    out.zigzag64(d1lo, d1hi);
    writePack(ddw, 2, n, planDD, out);
    return INT_DOD;
  }
  if (best === rleBytes) {
    writeRle(w, from, to, runs, out);
    return INT_RLE;
  }
  out.reserve(rawBytes);
  for (let i = from; i < to; i++) out.u64(w[2 * i], w[2 * i + 1]);
  return INT_RAW;
}

function runCost(lo: number, hi: number, plo: number, phi: number, len: number): number {
  const dlo = (lo - plo) >>> 0;
  const dhi = (hi - phi - (lo < plo ? 1 : 0)) >>> 0;
  return zigzag64Len(dlo, dhi) + uvarintLen(len - 1);
}

function writeRle(w: Uint32Array, from: number, to: number, runs: number, out: ByteWriter): void {
  out.uvarint(runs);
  let plo = 0;
  let phi = 0;
  let i = from;
  while (i < to) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    let j = i + 1;
    while (j < to && w[2 * j] === lo && w[2 * j + 1] === hi) j++;
    out.zigzag64(lo - plo, hi - phi - (lo < plo ? 1 : 0));
    out.uvarint(j - i - 1);
    plo = lo;
    phi = hi;
    i = j;
  }
}

/** Decodes n values of a section with `tag` into out[from, from + n) (words). */
export function decodeInts(tag: number, r: ByteReader, n: number, out: Uint32Array, from: number): void {
  const to = from + n;
  switch (tag) {
    case INT_RAW: {
      r.need(8 * n);
      for (let i = from; i < to; i++) {
        out[2 * i] = r.u32();
        out[2 * i + 1] = r.u32();
      }
      return;
    }
    case INT_CONST: {
      r.zigzag64();
      const lo = r.lo;
      const hi = r.hi;
      for (let i = from; i < to; i++) {
        out[2 * i] = lo;
        out[2 * i + 1] = hi;
      }
      return;
    }
    case INT_STEP: {
      r.zigzag64();
      const lo0 = r.lo;
      const hi0 = r.hi;
      r.zigzag64();
      if (n > 0) {
        out[2 * from] = lo0;
        out[2 * from + 1] = hi0;
      }
      prefixSum(out, from + 1, to, r.lo, r.hi, true);
      return;
    }
    case INT_DELTA: {
      r.zigzag64();
      if (n === 0) return;
      out[2 * from] = r.lo;
      out[2 * from + 1] = r.hi;
      if (n > 1) readPackSum(r, out, from + 1, n - 1, false);
      return;
    }
    case INT_DOD: {
      r.zigzag64();
      const lo0 = r.lo;
      const hi0 = r.hi;
      r.zigzag64();
      if (n === 0) return;
      out[2 * from] = lo0;
      out[2 * from + 1] = hi0;
      if (n === 1) return;
      out[2 * from + 2] = r.lo;
      out[2 * from + 3] = r.hi;
      if (n > 2) readPack(r, out, from + 2, n - 2);
      prefixSum(out, from + 2, to, 0, 0, false); // delta-of-deltas -> deltas
      prefixSum(out, from + 1, to, 0, 0, false); // deltas -> values
      return;
    }
    case INT_RLE: {
      const runs = r.uvarint(Math.max(n, 1));
      let plo = 0;
      let phi = 0;
      let i = from;
      for (let k = 0; k < runs; k++) {
        r.zigzag64();
        const lo = (plo + r.lo) >>> 0;
        const hi = (phi + r.hi + (plo + r.lo > 0xffffffff ? 1 : 0)) >>> 0;
        const len = r.uvarint(to - i - 1) + 1;
        for (let j = i; j < i + len; j++) {
          out[2 * j] = lo;
          out[2 * j + 1] = hi;
        }
        i += len;
        plo = lo;
        phi = hi;
      }
      if (i !== to) r.fail(`run lengths add up to ${i - from}, the block has ${n} values`);
      return;
    }
    default:
      r.fail(`unknown integer encoding 0x${tag.toString(16)}`);
  }
}

/** out[i] += out[i-1] for i in [s, e) (wrapping); with `step`, out[i] = out[i-1] + (slo, shi). */
function prefixSum(out: Uint32Array, s: number, e: number, slo: number, shi: number, step: boolean): void {
  if (s >= e || s < 1) return;
  let plo = out[2 * s - 2];
  let phi = out[2 * s - 1] | 0;
  if (step) {
    for (let i = s; i < e; i++) {
      const lo = (plo + slo) >>> 0;
      phi = (phi + shi + (lo < plo ? 1 : 0)) | 0;
      plo = lo;
      out[2 * i] = lo;
      out[2 * i + 1] = phi;
    }
    return;
  }
  for (let i = s; i < e; i++) {
    const lo = (plo + out[2 * i]) >>> 0;
    phi = (phi + out[2 * i + 1] + (lo < plo ? 1 : 0)) | 0;
    plo = lo;
    out[2 * i] = lo;
    out[2 * i + 1] = phi;
  }
}
