// Boolean codec: a Uint8Array of 0/1 (any nonzero byte is stored as true and decodes as 1).
// Tag + body:
//
//   0x30 CONST  u8 the value                                  (all n equal)
//   0x31 BITS   ceil(n / 8) bytes, value i at bit (i & 7) of byte (i >> 3), zero padding
//   0x32 RLE    u8 first value, then varint (length - 1) per run; runs alternate between
//               false and true and their lengths add up to n   (door/alarm states)
//
// The smallest applicable encoding is kept (InfluxDB tsm1 bit-packs only; runs win by two
// orders of magnitude on state flags that change a few times a day).

import type { ByteReader, ByteWriter } from './bytes.js';
import { uvarintLen } from './bytes.js';

export const BOOL_CONST = 0x30;
export const BOOL_BITS = 0x31;
export const BOOL_RLE = 0x32;

export function encodeBooleans(v: Uint8Array, from: number, to: number, out: ByteWriter): number {
  const n = to - from;
  if (n === 0) return BOOL_BITS;
  let rle = 1;
  let runStart = from;
  let prev = v[from] !== 0;
  for (let i = from + 1; i < to; i++) {
    const b = v[i] !== 0;
    if (b !== prev) {
      rle += uvarintLen(i - runStart - 1);
      runStart = i;
      prev = b;
    }
  }
  if (runStart === from) {
    out.u8(prev ? 1 : 0);
    return BOOL_CONST;
  }
  rle += uvarintLen(to - runStart - 1);
  const bitsLen = (n + 7) >>> 3;
  if (rle < bitsLen) {
    out.u8(v[from] !== 0 ? 1 : 0);
    let s = from;
    let cur = v[from] !== 0;
    for (let i = from + 1; i <= to; i++) {
      if (i === to || v[i] !== 0 !== cur) {
        out.uvarint(i - s - 1);
        s = i;
        cur = !cur;
      }
    }
    return BOOL_RLE;
  }
  out.reserve(bitsLen);
  const b = out.buf;
  let p = out.pos;
  for (let i = from; i < to; i += 8) {
    let x = 0;
    const e = Math.min(to, i + 8);
    for (let j = i; j < e; j++) if (v[j] !== 0) x |= 1 << (j - i);
    b[p++] = x;
  }
  out.pos = p;
  return BOOL_BITS;
}

export function decodeBooleans(tag: number, r: ByteReader, n: number, out: Uint8Array, from: number): void {
  const to = from + n;
  switch (tag) {
    case BOOL_CONST: {
      const x = r.u8();
      if (x > 1) r.fail(`boolean value ${x}`);
      out.fill(x, from, to);
      return;
    }
    case BOOL_BITS: {
      const nb = (n + 7) >>> 3;
      r.need(nb);
      const b = r.buf;
      const p = r.pos;
      for (let i = 0; i < n; i++) out[from + i] = (b[p + (i >>> 3)] >>> (i & 7)) & 1;
      if (n & 7 && b[p + nb - 1] >>> (n & 7) !== 0) r.fail('nonzero padding bits');
      r.pos = p + nb;
      return;
    }
    case BOOL_RLE: {
      let x = r.u8();
      if (x > 1) r.fail(`boolean value ${x}`);
      let i = from;
      while (i < to) {
        const len = r.uvarint(to - i - 1) + 1;
        out.fill(x, i, i + len);
        i += len;
        x ^= 1;
      }
      return;
    }
    default:
      r.fail(`unknown boolean encoding 0x${tag.toString(16)}`);
  }
}
