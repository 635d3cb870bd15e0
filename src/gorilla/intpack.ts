// Packing of a stream of int64 values (deltas, delta-of-deltas, grid residuals) that the
// integer and timestamp codecs produce. Four packings; the encoder computes the exact size
// of each, keeps the smallest and names it by the stream's first byte (FOR and ZZ here, the
// sparse ZR and ZF in sparse.ts):
//
//   0       FOR: frame-of-reference bit-packing in miniblocks of 128 values, each
//           [zigzag varint64 min][u8 width 0..64][width bits per (value - min), LSB-first,
//           padded to a byte]. Per-miniblock min and width (the Parquet DELTA_BINARY_PACKED
//           miniblock idea; FOR after Goldstein, Ramakrishnan & Shaft, ICDE 1998) keep one
//           outlier from widening the whole block, and a run of equal values costs 2 bytes.
//   65      ZZ: zigzag bit-packing in miniblocks of 128 values, each [u8 width 0..64][width
//           bits per zigzag(value), LSB-first, padded to a byte]. No min per miniblock: for
//           deltas centred on zero (random walks) zigzag is as narrow as value - min, and
//           the 8-byte min of a wide miniblock would cost half a bit per value.
//   66      ZR(k, w): zero runs, for sparse streams: [u8 k][u8 w], then one bit stream of
//           (gap, value) pairs: gap = the number of zeros before the next nonzero value, as
//           an Exp-Golomb code of order k (z zeros, a one, z bits: q = 2^z + bits; gap =
//           (q - 1) * 2^k + k more bits); value = `0` + w bits of its zigzag, or `1` + 6 bits
//           (length - 1) + length bits. Stops as soon as n values are out (a final gap gives
//           the trailing zeros). On a clock jittered 1 sample in 10 this is ~1.6 bits per
//           sample where ZF needs ~2.2.
//   1..64   ZF(w): zero-flag coding, one bit stream: a zero is `0`; a value whose zigzag
//           fits in w bits is `10` + w bits; any other is `11` + 6 bits (length-1) + length
//           bits of its zigzag. This is Gorilla's variable-length delta-of-delta code
//           (Pelkonen et al., VLDB 2015, section 4.1.1) with the bucket width fitted to the
//           block: it wins on mostly-zero streams (jittered timestamps, rarely changing
//           counters), where FOR would pay the outliers' width on every value.
//
// Why not simple8b (Anh & Moffat 2010, used by InfluxDB): its 60-bit payload per word fits
// widths 1..60 only in fixed splits (a 6-bit delta costs 6.4 bits, 7 bits cost 8), runs of
// zeros cost a word per 240, and it cannot hold 64-bit deltas; these four were smaller on
// every stream we measured and are exact for any 64-bit value.
//
// Values are two's complement words (low at 2*i, high at 2*i+1), all arithmetic wraps
// modulo 2^64, so every int64/uint64 stream round-trips exactly; no BigInt, no doubles.

import { BitReader, BitWriter, bitLen } from './bits.js';
import { zigzag64Len, type ByteReader, type ByteWriter } from './bytes.js';
import { readZf, readZfSum, readZr, writeZf, writeZr, zfPlan, zrPlan } from './sparse.js';
import { kernels } from '../wasm/index.js';

export const MINIBLOCK = 128;
/** Packing kind bytes; 1..64 are ZF widths. */
export const PACK_FOR = 0;
export const PACK_ZZ = 65;
export const PACK_ZR = 66;

const bits = new BitWriter();
const reader = new BitReader();


/** The cheaper packing of a stream: its size in bytes and its kind byte. */
export class PackPlan {
  bytes = 0;
  kind = 0;
  /** Parameters of ZR. */
  k = 0;
  w = 0;
}

/** Plans the packing of w[from, to): sets plan.bytes (incl. the kind byte) and plan.kind. */
export function planPack(w: Uint32Array, from: number, to: number, plan: PackPlan): PackPlan {
  const f = forBytes(w, from, to);
  const zz = zzBytes(w, from, to);
  const z = zfPlan(w, from, to);
  const zr = zrPlan(w, from, to);
  plan.k = zr.k;
  plan.w = zr.width;
  if (zr.bytes < z.bytes && zr.bytes < f && zr.bytes < zz) {
    plan.bytes = 1 + zr.bytes;
    plan.kind = PACK_ZR;
  } else if (z.bytes < f && z.bytes < zz) {
    plan.bytes = 1 + z.bytes;
    plan.kind = z.width;
  } else if (zz < f) {
    plan.bytes = 1 + zz;
    plan.kind = PACK_ZZ;
  } else {
    plan.bytes = 1 + f;
    plan.kind = PACK_FOR;
  }
  return plan;
}

/** Writes w[from, to) as planned by planPack. */
export function writePack(w: Uint32Array, from: number, to: number, plan: PackPlan, out: ByteWriter): void {
  const kind = plan.kind;
  out.u8(kind);
  if (kind === PACK_FOR) writeFor(w, from, to, out);
  else if (kind === PACK_ZR) writeZr(w, from, to, plan.k, plan.w, out);
  else if (kind === PACK_ZZ) writeZz(w, from, to, out);
  else writeZf(w, from, to, kind, out);
}

/** Reads n packed values into out[from, from + n) (words). */
export function readPack(r: ByteReader, out: Uint32Array, from: number, n: number): void {
  const kind = r.u8();
  if (kind === PACK_FOR) readFor(r, out, from, n);
  else if (kind === PACK_ZZ) readZz(r, out, from, n);
  else if (kind === PACK_ZR) readZr(r, out, from, n);
  else if (kind <= 64) readZf(r, out, from, n, kind);
  else r.fail(`unknown packing ${kind}`);
}

// ---- FOR -------------------------------------------------------------------------------

let mbMinLo = 0;
let mbMinHi = 0;
let mbWidth = 0;

/** Min (signed) and width of (max - min) of the miniblock w[s, e): into mbMinLo/Hi, mbWidth. */
function scanMiniblock(w: Uint32Array, s: number, e: number): void {
  let minLo = w[2 * s];
  let minHi = w[2 * s + 1] | 0;
  let maxLo = minLo;
  let maxHi = minHi;
  for (let i = s + 1; i < e; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1] | 0;
    if (hi < minHi || (hi === minHi && lo < minLo)) {
      minLo = lo;
      minHi = hi;
    }
    if (hi > maxHi || (hi === maxHi && lo > maxLo)) {
      maxLo = lo;
      maxHi = hi;
    }
  }
  const rlo = (maxLo - minLo) >>> 0;
  const rhi = (maxHi - minHi - (maxLo < minLo ? 1 : 0)) >>> 0;
  mbMinLo = minLo;
  mbMinHi = minHi >>> 0;
  mbWidth = bitLen(rlo, rhi);
}

function forBytes(w: Uint32Array, from: number, to: number): number {
  let bytes = 0;
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    scanMiniblock(w, s, e);
    bytes += zigzag64Len(mbMinLo, mbMinHi) + 1 + ((mbWidth * (e - s) + 7) >>> 3);
  }
  return bytes;
}

function writeFor(w: Uint32Array, from: number, to: number, out: ByteWriter): void {
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    scanMiniblock(w, s, e);
    const minLo = mbMinLo;
    const minHi = mbMinHi;
    const width = mbWidth;
    out.zigzag64(minLo, minHi);
    out.u8(width);
    if (width === 0) continue;
    bits.reset();
    if (width <= 32) {
      for (let i = s; i < e; i++) bits.write(w[2 * i] - minLo, width);
    } else {
      for (let i = s; i < e; i++) {
        const lo = w[2 * i];
        bits.write64(lo - minLo, w[2 * i + 1] - minHi - (lo < minLo ? 1 : 0), width);
      }
    }
    bits.flushTo(out);
  }
}

function readFor(r: ByteReader, out: Uint32Array, from: number, n: number): void {
  const to = from + n;
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    r.zigzag64();
    const minLo = r.lo;
    const minHi = r.hi;
    const width = r.u8();
    if (width > 64) r.fail(`bit width ${width} > 64`);
    if (width === 0) {
      for (let i = s; i < e; i++) {
        out[2 * i] = minLo;
        out[2 * i + 1] = minHi;
      }
      continue;
    }
    const nbytes = (width * (e - s) + 7) >>> 3;
    r.need(nbytes);
    const br = reader.reset(r.buf, r.pos, nbytes);
    if (width <= 32) {
      for (let i = s; i < e; i++) {
        const lo = br.read(width) + minLo;
        out[2 * i] = lo;
        out[2 * i + 1] = minHi + (lo > 0xffffffff ? 1 : 0);
      }
    } else {
      for (let i = s; i < e; i++) {
        br.read64(width);
        const lo = br.lo + minLo;
        out[2 * i] = lo;
        out[2 * i + 1] = br.hi + minHi + (lo > 0xffffffff ? 1 : 0);
      }
    }
    br.finish();
    r.pos += nbytes;
  }
}

// ---- ZZ --------------------------------------------------------------------------------

/** Bits of the widest zigzag value in w[s, e). */
function zzWidth(w: Uint32Array, s: number, e: number): number {
  let orLo = 0;
  let orHi = 0;
  for (let i = s; i < e; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    const m = hi >> 31;
    orLo |= (lo << 1) ^ m;
    orHi |= ((hi << 1) | (lo >>> 31)) ^ m;
  }
  return bitLen(orLo >>> 0, orHi >>> 0);
}

function zzBytes(w: Uint32Array, from: number, to: number): number {
  let bytes = 0;
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    bytes += 1 + ((zzWidth(w, s, e) * (e - s) + 7) >>> 3);
  }
  return bytes;
}

function writeZz(w: Uint32Array, from: number, to: number, out: ByteWriter): void {
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    const width = zzWidth(w, s, e);
    out.u8(width);
    if (width === 0) continue;
    bits.reset();
    for (let i = s; i < e; i++) {
      const lo = w[2 * i];
      const hi = w[2 * i + 1];
      const m = hi >> 31;
      bits.write64((lo << 1) ^ m, ((hi << 1) | (lo >>> 31)) ^ m, width);
    }
    bits.flushTo(out);
  }
}

function readZz(r: ByteReader, out: Uint32Array, from: number, n: number): void {
  const to = from + n;
  const b = r.buf;
  // The fast loops read up to 9 bytes from a value's first byte (bits past the miniblock
  // are masked off); values closer than that to the end of the buffer take the BitReader.
  const limit = b.length - 9;
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    const width = r.u8();
    if (width > 64) r.fail(`bit width ${width} > 64`);
    if (width === 0) {
      out.fill(0, 2 * s, 2 * e);
      continue;
    }
    const nbytes = (width * (e - s) + 7) >>> 3;
    r.need(nbytes);
    const base = r.pos;
    let p = 0; // bit position in the miniblock
    let i = s;
    if (width <= 32) {
      const mask = width === 32 ? -1 : (1 << width) - 1;
      for (; i < e; i++) {
        const q = base + (p >>> 3);
        if (q > limit) break;
        const sh = p & 7;
        const x = (((b[q] | (b[q + 1] << 8) | (b[q + 2] << 16) | (b[q + 3] << 24)) >>> sh) | ((b[q + 4] << 1) << (31 - sh))) & mask;
        const m = -(x & 1);
        out[2 * i] = (x >>> 1) ^ m;
        out[2 * i + 1] = m;
        p += width;
      }
    } else {
      const hmask = width === 64 ? -1 : (1 << (width - 32)) - 1;
      for (; i < e; i++) {
        const q = base + (p >>> 3);
        if (q > limit) break;
        const sh = p & 7;
        const b4 = b[q + 4];
        const lo = ((b[q] | (b[q + 1] << 8) | (b[q + 2] << 16) | (b[q + 3] << 24)) >>> sh) | ((b4 << 1) << (31 - sh));
        const hi = (((b4 | (b[q + 5] << 8) | (b[q + 6] << 16) | (b[q + 7] << 24)) >>> sh) | ((b[q + 8] << 1) << (31 - sh))) & hmask;
        const m = -(lo & 1);
        out[2 * i] = ((lo >>> 1) | (hi << 31)) ^ m;
        out[2 * i + 1] = (hi >>> 1) ^ m;
        p += width;
      }
    }
    const br = reader.reset(b, base, nbytes);
    br.pos = p;
    for (; i < e; i++) {
      br.read64(width);
      const m = -(br.lo & 1);
      out[2 * i] = ((br.lo >>> 1) | (br.hi << 31)) ^ m;
      out[2 * i + 1] = (br.hi >>> 1) ^ m;
    }
    br.finish();
    r.pos += nbytes;
  }
}

/**
 * readPack() of a delta stream with the prefix sum folded in: n deltas into
 * out[from, from + n) as running values from out[from - 1] (already there), and with
 * `ordered` each value mapped back from the IEEE total order (floats.ts) as it is written.
 * Exactly readPack() + the integer codec's prefix sum (+ the order map), one pass for ZZ
 * streams; other packings take those steps one after another.
 */
export function readPackSum(r: ByteReader, out: Uint32Array, from: number, n: number, ordered: boolean): void {
  const kind = r.pos < r.end ? r.buf[r.pos] : -1;
  // the WebAssembly kernels for ZZ and ZF; a stream they refuse is read below, which throws
  // the precise error
  if (kind === PACK_ZZ || (kind >= 1 && kind <= 64)) {
    const at =
      kind === PACK_ZZ
        ? kernels.zzSum(r.buf, r.pos + 1, r.end, out, from, n, ordered)
        : kernels.zfSum(r.buf, r.pos + 1, r.end, kind, out, from, n, ordered);
    if (at >= 0) {
      r.pos = at;
      return;
    }
  }
  readPackSumJs(r, out, from, n, ordered);
}

/** readPackSum() in JavaScript only (the reference the kernels are tested against). */
export function readPackSumJs(r: ByteReader, out: Uint32Array, from: number, n: number, ordered: boolean): void {
  const kind = r.pos < r.end ? r.buf[r.pos] : -1;
  if (kind >= 1 && kind <= 64) {
    r.pos++;
    readZfSum(r, out, from, n, kind, ordered);
    return;
  }
  if (kind !== PACK_ZZ) {
    readPack(r, out, from, n);
    sumOrder(out, from, from + n, ordered);
    return;
  }
  r.pos++;
  const to = from + n;
  const b = r.buf;
  const limit = b.length - 9;
  // Unaligned little-endian 32-bit loads: one DataView load (which V8's optimizing compiler
  // inlines) in place of four byte loads, shifts and ors; the hot loops below are bound by
  // those loads (the devops floats take 40-50 bits per value).
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  // the running value, before the order map
  let plo = out[2 * from - 2];
  let phi = out[2 * from - 1];
  if (ordered) {
    const m = (phi | 0) >> 31;
    plo = (plo ^ m) >>> 0;
    phi = (phi ^ (m & 0x7fffffff)) >>> 0;
  }
  for (let s = from; s < to; s += MINIBLOCK) {
    const e = Math.min(to, s + MINIBLOCK);
    const width = r.u8();
    if (width > 64) r.fail(`bit width ${width} > 64`);
    let i = s;
    let p = 0;
    const base = r.pos;
    const nbytes = (width * (e - s) + 7) >>> 3;
    r.need(nbytes);
    if (width === 0) {
      // zero deltas: the value repeats
    } else if (width <= 32) {
      const mask = width === 32 ? -1 : (1 << width) - 1;
      for (; i < e; i++) {
        const q = base + (p >>> 3);
        if (q > limit) break;
        const sh = p & 7;
        const x = ((dv.getUint32(q, true) >>> sh) | ((b[q + 4] << 1) << (31 - sh))) & mask;
        const m = -(x & 1);
        const dlo = ((x >>> 1) ^ m) >>> 0;
        const lo = (plo + dlo) >>> 0;
        phi = (phi + m + (lo < plo ? 1 : 0)) >>> 0;
        plo = lo;
        if (ordered) {
          const om = (phi | 0) >> 31;
          out[2 * i] = plo ^ om;
          out[2 * i + 1] = phi ^ (om & 0x7fffffff);
        } else {
          out[2 * i] = plo;
          out[2 * i + 1] = phi;
        }
        p += width;
      }
    } else {
      const hmask = width === 64 ? -1 : (1 << (width - 32)) - 1;
      for (; i < e; i++) {
        const q = base + (p >>> 3);
        if (q > limit) break;
        const sh = p & 7;
        // bytes q..q+3 and q+4..q+7; (w1 << 1) << (31 - sh) keeps w1's low sh bits (of byte q+4)
        const w1 = dv.getUint32(q + 4, true);
        const zlo = (dv.getUint32(q, true) >>> sh) | ((w1 << 1) << (31 - sh));
        const zhi = ((w1 >>> sh) | ((b[q + 8] << 1) << (31 - sh))) & hmask;
        const m = -(zlo & 1);
        const dlo = (((zlo >>> 1) | (zhi << 31)) ^ m) >>> 0;
        const dhi = ((zhi >>> 1) ^ m) >>> 0;
        const lo = (plo + dlo) >>> 0;
        phi = (phi + dhi + (lo < plo ? 1 : 0)) >>> 0;
        plo = lo;
        if (ordered) {
          const om = (phi | 0) >> 31;
          out[2 * i] = plo ^ om;
          out[2 * i + 1] = phi ^ (om & 0x7fffffff);
        } else {
          out[2 * i] = plo;
          out[2 * i + 1] = phi;
        }
        p += width;
      }
    }
    if (width === 0 || i < e) {
      const br = reader.reset(b, base, nbytes);
      br.pos = p;
      for (; i < e; i++) {
        let dlo = 0;
        let dhi = 0;
        if (width > 0) {
          br.read64(width);
          const m = -(br.lo & 1);
          dlo = (((br.lo >>> 1) | (br.hi << 31)) ^ m) >>> 0;
          dhi = ((br.hi >>> 1) ^ m) >>> 0;
        }
        const lo = (plo + dlo) >>> 0;
        phi = (phi + dhi + (lo < plo ? 1 : 0)) >>> 0;
        plo = lo;
        if (ordered) {
          const om = (phi | 0) >> 31;
          out[2 * i] = plo ^ om;
          out[2 * i + 1] = phi ^ (om & 0x7fffffff);
        } else {
          out[2 * i] = plo;
          out[2 * i + 1] = phi;
        }
      }
      br.finish();
    } else {
      const br = reader.reset(b, base, nbytes);
      br.pos = p;
      br.finish();
    }
    r.pos += nbytes;
  }
}

/** out[i] += out[i-1] for i in [s, e) (wrapping), then with `ordered` the order map on [s, e). */
function sumOrder(out: Uint32Array, s: number, e: number, ordered: boolean): void {
  let plo = out[2 * s - 2];
  let phi = out[2 * s - 1];
  if (ordered) {
    const m = (phi | 0) >> 31;
    plo = (plo ^ m) >>> 0;
    phi = (phi ^ (m & 0x7fffffff)) >>> 0;
  }
  for (let i = s; i < e; i++) {
    const lo = (plo + out[2 * i]) >>> 0;
    phi = (phi + out[2 * i + 1] + (lo < plo ? 1 : 0)) >>> 0;
    plo = lo;
    if (ordered) {
      const om = (phi | 0) >> 31;
      out[2 * i] = plo ^ om;
      out[2 * i + 1] = phi ^ (om & 0x7fffffff);
    } else {
      out[2 * i] = plo;
      out[2 * i + 1] = phi;
    }
  }
}
