// Float codec: float64 columns, exact for every bit pattern (NaN payloads, -0, ±Inf,
// subnormals): values are handled as their two 32-bit words (a Float64Array viewed as
// Uint32Array, low word first), never as JS numbers, except by the decimal path, which
// only accepts values it has proven to reproduce. Tag + body:
//
//   0x20 RAW      n x 8 bytes, little-endian words
//   0x21 CONST    the 8 bytes of the one value (all n bit patterns equal)
//   0x22 XOR      Gorilla XOR bit stream (below)
//   0x23 DECIMAL  scaled integers (decimal.ts)
//   0x24 ORDERED  the bit patterns as int64 in IEEE total order (negative values with all
//                 bits but the sign flipped), then the integer codec: [u8 integer tag][body]
//
// XOR follows Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database"
// (VLDB 2015), section 4.1.2, on the 64-bit pattern split into two uint32 halves. Bits are
// LSB-first (bits.ts). The first value is 64 bits (low word, high word). Then per value, with
// x = value XOR previous value:
//   x == 0                                  `0`
//   x fits the previous window              `10`, then the window's bits of x (the encoder
//                                           opens a new window instead when that is smaller)
//   otherwise                               `11`, 5 bits leading zeros (capped at 31),
//                                           6 bits (meaningful length - 1), the bits
// where a window is (leading, trailing) zero counts and the meaningful bits are
// x >> trailing, (64 - leading - trailing) of them. Padded to a byte.
//
// ORDERED is for full-precision random walks (CPU percentages, TSBS-style data): within a
// binade, the difference of two bit patterns is the difference of the values in units in the
// last place, so delta + frame-of-reference packing stores ~log2(step / ulp) bits per value,
// where XOR pays for every bit below the highest changed one plus Gorilla's window headers
// (about 6% smaller on the devops workload). The mapping is a bijection on bit patterns, so
// NaN payloads and -0 survive.
//
// The encoder writes XOR, tries DECIMAL when the block is made of short decimals, then
// ORDERED unless DECIMAL won (bit patterns of short decimals are noise), and keeps the
// smallest, or RAW when all are larger (CONST when it applies).

import { BitReader, BitWriter } from './bits.js';
import { ByteWriter, type ByteReader } from './bytes.js';
import { decimalExponent, decodeDecimal, encodeDecimal } from './decimal.js';
import { decodeInts, encodeInts, INT_DELTA } from './integers.js';
import { readPackSum } from './intpack.js';

export const FLT_RAW = 0x20;
export const FLT_CONST = 0x21;
export const FLT_XOR = 0x22;
export const FLT_DECIMAL = 0x23;
export const FLT_ORDERED = 0x24;

const bits = new BitWriter();
const reader = new BitReader();
const alt = new ByteWriter(8192);
let ow = new Uint32Array(2048);

/** The IEEE total-order map on bit patterns, as signed int64 words; its own inverse. */
function order(src: Uint32Array, from: number, to: number, dst: Uint32Array, at: number): void {
  for (let i = from, j = at; i < to; i++, j++) {
    const hi = src[2 * i + 1];
    const m = (hi | 0) >> 31; // all ones for negative values
    dst[2 * j] = src[2 * i] ^ m;
    dst[2 * j + 1] = hi ^ (m & 0x7fffffff);
  }
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Encodes f[from, to) (w: the same memory as Uint32Array) into `out`; returns the tag. */
export function encodeFloats(w: Uint32Array, f: Float64Array, from: number, to: number, out: ByteWriter): number {
  const n = to - from;
  if (n === 0) return FLT_RAW;
  const lo0 = w[2 * from];
  const hi0 = w[2 * from + 1];
  let constant = true;
  for (let i = from + 1; i < to; i++) {
    if (w[2 * i] !== lo0 || w[2 * i + 1] !== hi0) {
      constant = false;
      break;
    }
  }
  if (constant) {
    out.u64(lo0, hi0);
    return FLT_CONST;
  }
  const start = out.pos;
  writeXor(w, from, to, out);
  let size = out.pos - start;
  let tag = FLT_XOR;
  const e = decimalExponent(f, from, to);
  if (e >= 0) {
    alt.reset();
    encodeDecimal(n, e, alt);
    if (alt.pos < size) {
      out.pos = start;
      out.append(alt.bytes());
      size = alt.pos;
      tag = FLT_DECIMAL;
    }
  }
  if (tag === FLT_XOR) {
    if (ow.length < 2 * n) ow = new Uint32Array(2 * n);
    order(w, from, to, ow, 0);
    alt.reset();
    alt.u8(0);
    const itag = encodeInts(ow, 0, n, alt);
    alt.buf[0] = itag;
    if (alt.pos < size) {
      out.pos = start;
      out.append(alt.bytes());
      size = alt.pos;
      tag = FLT_ORDERED;
    }
  }
  if (size > 8 * n) {
    out.pos = start;
    out.reserve(8 * n);
    for (let i = from; i < to; i++) out.u64(w[2 * i], w[2 * i + 1]);
    tag = FLT_RAW;
  }
  return tag;
}

function writeXor(w: Uint32Array, from: number, to: number, out: ByteWriter): void {
  const b = bits;
  b.reset();
  let pl = w[2 * from];
  let ph = w[2 * from + 1];
  b.write(pl, 32);
  b.write(ph, 32);
  let lead = -1; // no window yet
  let trail = 0;
  for (let i = from + 1; i < to; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    const xl = lo ^ pl;
    const xh = hi ^ ph;
    pl = lo;
    ph = hi;
    if ((xl | xh) === 0) {
      b.write(0, 1);
      continue;
    }
    let l = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    if (l > 31) l = 31;
    const t = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    let sh: number;
    let len: number;
    // Reuse the previous window when x fits it, unless a new, narrower window is cheaper
    // even with its 11 header bits (Gorilla always reuses, so one wide window can stick).
    if (lead >= 0 && l >= lead && t >= trail && l + t - lead - trail <= 11) {
      b.write(1, 2); // `1`, `0`
      sh = trail;
      len = 64 - lead - trail;
    } else {
      lead = l;
      trail = t;
      sh = t;
      len = 64 - l - t;
      b.write(3, 2);
      b.write(l, 5);
      b.write(len - 1, 6);
    }
    // x >> sh, len bits
    if (sh === 0) b.write64(xl, xh, len);
    else if (sh < 32) b.write64((xl >>> sh) | (xh << (32 - sh)), xh >>> sh, len);
    else b.write(xh >>> (sh - 32), len);
  }
  b.flushTo(out);
}

/** Decodes n values of a section with `tag` into f[from, from + n); `w` is the same memory. */
export function decodeFloats(tag: number, r: ByteReader, n: number, w: Uint32Array, f: Float64Array, from: number): void {
  const to = from + n;
  switch (tag) {
    case FLT_RAW:
      r.need(8 * n);
      for (let i = from; i < to; i++) {
        w[2 * i] = r.u32();
        w[2 * i + 1] = r.u32();
      }
      return;
    case FLT_CONST: {
      r.u64();
      for (let i = from; i < to; i++) {
        w[2 * i] = r.lo;
        w[2 * i + 1] = r.hi;
      }
      return;
    }
    case FLT_XOR:
      if (n === 0) r.fail('XOR section for an empty block');
      readXor(r, n, w, from);
      return;
    case FLT_DECIMAL:
      decodeDecimal(r, n, w, f, from);
      return;
    case FLT_ORDERED: {
      const itag = r.u8();
      if (itag === INT_DELTA && n >= 2) {
        // decodeInts' DELTA with the prefix sum and the order map in the unpacking pass
        r.zigzag64();
        w[2 * from] = r.lo;
        w[2 * from + 1] = r.hi;
        order(w, from, from + 1, w, from);
        readPackSum(r, w, from + 1, n - 1, true);
        return;
      }
      decodeInts(itag, r, n, w, from);
      order(w, from, from + n, w, from);
      return;
    }
    default:
      r.fail(`unknown float encoding 0x${tag.toString(16)}`);
  }
}

function readXor(r: ByteReader, n: number, w: Uint32Array, from: number): void {
  const b = reader.reset(r.buf, r.pos, r.end - r.pos);
  let pl = b.read(32);
  let ph = b.read(32);
  w[2 * from] = pl;
  w[2 * from + 1] = ph;
  let lead = -1;
  let trail = 0;
  for (let i = from + 1; i < from + n; i++) {
    if (b.bit() !== 0) {
      let len: number;
      if (b.bit() === 0) {
        if (lead < 0) r.fail('XOR stream reuses a window before defining one');
        len = 64 - lead - trail;
      } else {
        lead = b.read(5);
        len = b.read(6) + 1;
        trail = 64 - lead - len;
        if (trail < 0) r.fail('XOR window wider than 64 bits');
      }
      b.read64(len);
      const sh = trail;
      let xl: number;
      let xh: number;
      if (sh === 0) {
        xl = b.lo;
        xh = b.hi;
      } else if (sh < 32) {
        xl = b.lo << sh;
        xh = (b.hi << sh) | (b.lo >>> (32 - sh));
      } else {
        xl = 0;
        xh = b.lo << (sh - 32);
      }
      pl = (pl ^ xl) >>> 0;
      ph = (ph ^ xh) >>> 0;
    }
    w[2 * i] = pl;
    w[2 * i + 1] = ph;
  }
  const used = (b.pos + 7) >>> 3;
  const pad = used * 8 - b.pos;
  if (pad > 0 && b.read(pad) !== 0) r.fail('nonzero padding bits');
  r.pos += used;
}
