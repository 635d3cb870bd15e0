// The sparse packings of intpack.ts (see the table there): ZF, zero-flag coding, and ZR,
// zero runs. Both are single LSB-first bit streams that run to the end of their section;
// the reader gives back the bytes after the last value's byte, and the caller checks that
// the section was consumed exactly.
//
// ZF(w) is Gorilla's variable-length delta-of-delta code (Pelkonen et al., VLDB 2015,
// section 4.1.1) with the middle bucket's width w fitted to the block: `0` for zero, `10` +
// w bits of the zigzag, `11` + 6 bits (length - 1) + length bits.
//
// ZR(k, w) codes the gaps between nonzero values with Exp-Golomb codes of order k (Teuhola
// 1978; the ue(v) codes of H.264 are order 0), then each value as `0` + w bits or `1` + 6
// bits (length - 1) + length bits, and stops when the stream's n values are out.

import { BitReader, BitWriter, bitLen } from './bits.js';
import type { ByteReader, ByteWriter } from './bytes.js';

const bits = new BitWriter();
const reader = new BitReader();
const zfCounts = new Float64Array(65);

// ---- ZF --------------------------------------------------------------------------------

const zf = { bytes: 0, width: 1 };

/** Best ZF width for w[from, to) and the size of the bit stream in bytes (without the kind byte). */
export function zfPlan(w: Uint32Array, from: number, to: number): { bytes: number; width: number } {
  const c = zfCounts;
  c.fill(0);
  let maxLen = 0;
  for (let i = from; i < to; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    const s = hi >> 31;
    const zlo = ((lo << 1) ^ s) >>> 0;
    const zhi = (((hi << 1) | (lo >>> 31)) ^ s) >>> 0;
    const b = bitLen(zlo, zhi);
    c[b]++;
    if (b > maxLen) maxLen = b;
  }
  // cost(width) = zeros + sum_{1<=b<=width} c[b] * (2 + width) + sum_{b>width} c[b] * (8 + b)
  let esc = 0;
  for (let b = 1; b <= maxLen; b++) esc += c[b] * (8 + b);
  let fit = 0;
  let best = Infinity;
  let bestW = 1;
  for (let width = 1; width <= Math.max(1, maxLen); width++) {
    fit += c[width];
    esc -= c[width] * (8 + width);
    const cost = fit * (2 + width) + esc;
    if (cost < best) {
      best = cost;
      bestW = width;
    }
  }
  zf.bytes = (c[0] + best + 7) >>> 3;
  zf.width = bestW;
  return zf;
}

export function writeZf(w: Uint32Array, from: number, to: number, width: number, out: ByteWriter): void {
  bits.reset();
  for (let i = from; i < to; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    const s = hi >> 31;
    const zlo = ((lo << 1) ^ s) >>> 0;
    const zhi = (((hi << 1) | (lo >>> 31)) ^ s) >>> 0;
    if ((zlo | zhi) === 0) {
      bits.write(0, 1);
      continue;
    }
    const b = bitLen(zlo, zhi);
    if (b <= width) {
      bits.write(1, 2); // `1` then `0`
      bits.write64(zlo, zhi, width);
    } else {
      bits.write(3, 2);
      bits.write(b - 1, 6);
      bits.write64(zlo, zhi, b);
    }
  }
  bits.flushTo(out);
}

export function readZf(r: ByteReader, out: Uint32Array, from: number, n: number, width: number): void {
  // The stream's length is not stored: read up to the section's end, then give back the
  // bytes after the last value's byte (the caller checks the section is consumed exactly).
  const b = r.buf;
  const start = r.pos;
  const nbits = (r.end - start) * 8;
  const to = from + n;
  // Fast loop: a value takes at most 2 + 6 + 64 bits, and each 32-bit peek reads 5 bytes,
  // so 14 bytes from a value's first byte must be inside the buffer (bits read past the
  // section's end are garbage, and caught by the length check after the loop).
  const limit = b.length - 14;
  let p = 0;
  let i = from;
  for (; i < to; i++) {
    let q = start + (p >>> 3);
    if (q > limit) break;
    let sh = p & 7;
    const x = ((b[q] | (b[q + 1] << 8) | (b[q + 2] << 16)) >>> sh);
    if ((x & 1) === 0) {
      out[2 * i] = 0;
      out[2 * i + 1] = 0;
      p += 1;
      continue;
    }
    let len: number;
    if ((x & 2) === 0) {
      len = width;
      p += 2;
    } else {
      len = ((x >>> 2) & 63) + 1;
      p += 8;
    }
    q = start + (p >>> 3);
    sh = p & 7;
    const b4 = b[q + 4];
    let lo = ((b[q] | (b[q + 1] << 8) | (b[q + 2] << 16) | (b[q + 3] << 24)) >>> sh) | ((b4 << 1) << (31 - sh));
    let hi = 0;
    if (len <= 32) lo &= -1 >>> (32 - len);
    else hi = (((b4 | (b[q + 5] << 8) | (b[q + 6] << 16) | (b[q + 7] << 24)) >>> sh) | ((b[q + 8] << 1) << (31 - sh))) & (-1 >>> (64 - len));
    p += len;
    const m = -(lo & 1);
    out[2 * i] = ((lo >>> 1) | (hi << 31)) ^ m;
    out[2 * i + 1] = (hi >>> 1) ^ m;
  }
  if (p > nbits) r.fail('truncated bit stream');
  const br = reader.reset(b, start, r.end - start);
  br.pos = p;
  for (; i < to; i++) {
    if (br.bit() === 0) {
      out[2 * i] = 0;
      out[2 * i + 1] = 0;
      continue;
    }
    let len = width;
    if (br.bit() === 1) len = br.read(6) + 1;
    br.read64(len);
    const m = -(br.lo & 1);
    out[2 * i] = ((br.lo >>> 1) | (br.hi << 31)) ^ m;
    out[2 * i + 1] = (br.hi >>> 1) ^ m;
  }
  const used = (br.pos + 7) >>> 3;
  const pad = used * 8 - br.pos;
  if (pad > 0 && br.read(pad) !== 0) r.fail('nonzero padding bits');
  r.pos += used;
}

/**
 * readZf() of a delta stream with the prefix sum folded in (intpack.ts readPackSum): the
 * running value starts from out[from - 1] (with `ordered`, stored in IEEE total order
 * mapped form, and each value written so).
 */
export function readZfSum(r: ByteReader, out: Uint32Array, from: number, n: number, width: number, ordered: boolean): void {
  const b = r.buf;
  const start = r.pos;
  const nbits = (r.end - start) * 8;
  const to = from + n;
  const limit = b.length - 14;
  // unaligned little-endian 32-bit loads in place of four byte loads (intpack.ts readPackSum)
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let plo = out[2 * from - 2];
  let phi = out[2 * from - 1];
  if (ordered) {
    const om = (phi | 0) >> 31;
    plo = (plo ^ om) >>> 0;
    phi = (phi ^ (om & 0x7fffffff)) >>> 0;
  }
  let p = 0;
  let i = from;
  for (; i < to; i++) {
    let q = start + (p >>> 3);
    if (q > limit) break;
    let sh = p & 7;
    const x = dv.getUint32(q, true) >>> sh;
    if ((x & 1) !== 0) {
      let len: number;
      if ((x & 2) === 0) {
        len = width;
        p += 2;
      } else {
        len = ((x >>> 2) & 63) + 1;
        p += 8;
      }
      q = start + (p >>> 3);
      sh = p & 7;
      // bytes q..q+3 and q+4..q+7; (w1 << 1) << (31 - sh) keeps w1's low sh bits (of byte q+4)
      const w1 = dv.getUint32(q + 4, true);
      let zlo = (dv.getUint32(q, true) >>> sh) | ((w1 << 1) << (31 - sh));
      let zhi = 0;
      if (len <= 32) zlo &= -1 >>> (32 - len);
      else zhi = ((w1 >>> sh) | ((b[q + 8] << 1) << (31 - sh))) & (-1 >>> (64 - len));
      p += len;
      const m = -(zlo & 1);
      const dlo = (((zlo >>> 1) | (zhi << 31)) ^ m) >>> 0;
      const dhi = ((zhi >>> 1) ^ m) >>> 0;
      const lo = (plo + dlo) >>> 0;
      phi = (phi + dhi + (lo < plo ? 1 : 0)) >>> 0;
      plo = lo;
    } else {
      p += 1;
    }
    if (ordered) {
      const om = (phi | 0) >> 31;
      out[2 * i] = plo ^ om;
      out[2 * i + 1] = phi ^ (om & 0x7fffffff);
    } else {
      out[2 * i] = plo;
      out[2 * i + 1] = phi;
    }
  }
  if (p > nbits) r.fail('truncated bit stream');
  const br = reader.reset(b, start, r.end - start);
  br.pos = p;
  for (; i < to; i++) {
    if (br.bit() !== 0) {
      let len = width;
      if (br.bit() === 1) len = br.read(6) + 1;
      br.read64(len);
      const m = -(br.lo & 1);
      const dlo = (((br.lo >>> 1) | (br.hi << 31)) ^ m) >>> 0;
      const dhi = ((br.hi >>> 1) ^ m) >>> 0;
      const lo = (plo + dlo) >>> 0;
      phi = (phi + dhi + (lo < plo ? 1 : 0)) >>> 0;
      plo = lo;
    }
    if (ordered) {
      const om = (phi | 0) >> 31;
      out[2 * i] = plo ^ om;
      out[2 * i + 1] = phi ^ (om & 0x7fffffff);
    } else {
      out[2 * i] = plo;
      out[2 * i + 1] = phi;
    }
  }
  const used = (br.pos + 7) >>> 3;
  const pad = used * 8 - br.pos;
  if (pad > 0 && br.read(pad) !== 0) r.fail('nonzero padding bits');
  r.pos += used;
}

// ---- ZR --------------------------------------------------------------------------------

let gaps = new Int32Array(1024);
const zrCounts = new Float64Array(65);
const zr = { bytes: 0, k: 0, width: 1 };

/** Best ZR parameters for w[from, to) and the size in bytes (without the kind byte). */
export function zrPlan(w: Uint32Array, from: number, to: number): { bytes: number; k: number; width: number } {
  const c = zrCounts;
  c.fill(0);
  if (gaps.length < to - from + 1) gaps = new Int32Array(to - from + 1);
  let ng = 0;
  let gap = 0;
  let maxLen = 0;
  let maxGap = 0;
  for (let i = from; i < to; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    if ((lo | hi) === 0) {
      gap++;
      continue;
    }
    const m = hi >> 31;
    const b = bitLen((((lo << 1) ^ m) >>> 0), ((((hi << 1) | (lo >>> 31)) ^ m) >>> 0));
    c[b]++;
    if (b > maxLen) maxLen = b;
    if (gap > maxGap) maxGap = gap;
    gaps[ng++] = gap;
    gap = 0;
  }
  if (gap > 0) {
    if (gap > maxGap) maxGap = gap;
    gaps[ng++] = gap;
  }
  // values: sum_{b<=w} c[b] * (1 + w) + sum_{b>w} c[b] * (7 + b)
  let esc = 0;
  for (let b = 1; b <= maxLen; b++) esc += c[b] * (7 + b);
  let fit = 0;
  let bestV = esc;
  let bestW = 1;
  for (let width = 1; width <= maxLen; width++) {
    fit += c[width];
    esc -= c[width] * (7 + width);
    const cost = fit * (1 + width) + esc;
    if (cost < bestV) {
      bestV = cost;
      bestW = width;
    }
  }
  // gaps: Exp-Golomb of order k costs 2 * floor(log2((g >> k) + 1)) + 1 + k bits
  let bestG = Infinity;
  let bestK = 0;
  const maxK = 32 - Math.clz32(maxGap);
  for (let k = 0; k <= maxK; k++) {
    let cost = 0;
    for (let j = 0; j < ng; j++) cost += 2 * (31 - Math.clz32((gaps[j] >>> k) + 1)) + 1 + k;
    if (cost < bestG) {
      bestG = cost;
      bestK = k;
    }
  }
  zr.bytes = 2 + ((bestV + bestG + 7) >>> 3);
  zr.k = bestK;
  zr.width = bestW;
  return zr;
}

function writeGap(g: number, k: number): void {
  const q = (g >>> k) + 1;
  const z = 31 - Math.clz32(q);
  bits.write(0, z);
  bits.write(1, 1);
  bits.write(q, z); // the bits below q's leading one
  bits.write(g, k);
}

export function writeZr(w: Uint32Array, from: number, to: number, k: number, width: number, out: ByteWriter): void {
  out.u8(k);
  out.u8(width);
  bits.reset();
  let gap = 0;
  for (let i = from; i < to; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    if ((lo | hi) === 0) {
      gap++;
      continue;
    }
    writeGap(gap, k);
    gap = 0;
    const m = hi >> 31;
    const zlo = ((lo << 1) ^ m) >>> 0;
    const zhi = (((hi << 1) | (lo >>> 31)) ^ m) >>> 0;
    const b = bitLen(zlo, zhi);
    if (b <= width) {
      bits.write(0, 1);
      bits.write64(zlo, zhi, width);
    } else {
      bits.write(1, 1);
      bits.write(b - 1, 6);
      bits.write64(zlo, zhi, b);
    }
  }
  if (gap > 0) writeGap(gap, k);
  bits.flushTo(out);
}

export function readZr(r: ByteReader, out: Uint32Array, from: number, n: number): void {
  const k = r.u8();
  const width = r.u8();
  if (k > 31 || width < 1 || width > 64) r.fail(`bad zero-run parameters k=${k} w=${width}`);
  const br = reader.reset(r.buf, r.pos, r.end - r.pos);
  const to = from + n;
  let i = from;
  while (i < to) {
    let z = 0;
    while (br.bit() === 0) if (++z > 31) r.fail('zero-run gap too long');
    const q = z === 31 ? 0x80000000 + br.read(z) : (1 << z) | br.read(z);
    const gap = (q - 1) * 2 ** k + br.read(k);
    if (gap > to - i) r.fail(`zero run of ${gap} past the end of the block`);
    out.fill(0, 2 * i, 2 * (i + gap));
    i += gap;
    if (i === to) break;
    const len = br.bit() === 0 ? width : br.read(6) + 1;
    br.read64(len);
    if ((br.lo | br.hi) === 0) r.fail('zero value coded in a zero run stream');
    const m = -(br.lo & 1);
    out[2 * i] = ((br.lo >>> 1) | (br.hi << 31)) ^ m;
    out[2 * i + 1] = (br.hi >>> 1) ^ m;
    i++;
  }
  const used = (br.pos + 7) >>> 3;
  const pad = used * 8 - br.pos;
  if (pad > 0 && br.read(pad) !== 0) r.fail('nonzero padding bits');
  r.pos += used;
}
