// Byte-level writer and reader shared by every codec.
//
// All multi-byte integers are little-endian. Varints are unsigned LEB128 (7 bits per byte,
// low group first, high bit = more follows), as in Protocol Buffers; signed values are
// zigzag-mapped first ((x << 1) ^ (x >> 63)) so small magnitudes of either sign stay short.
// 64-bit values travel as two uint32 words (low, high), never as BigInt (src/int64.ts).

import { BlockDecodeError } from './errors.js';

const TWO32 = 4294967296;

/** A growable output buffer owned by the caller; codecs append to it. Reuse one writer
 * (reset()) across blocks so steady-state encoding allocates nothing. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  reset(): void {
    this.pos = 0;
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view: copy it before the writer is reused). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  /** Overwrites a u32 written earlier (section lengths are patched in after the body). */
  setU32(at: number, v: number): void {
    const b = this.buf;
    b[at] = v;
    b[at + 1] = v >>> 8;
    b[at + 2] = v >>> 16;
    b[at + 3] = v >>> 24;
  }

  /** A 64-bit value as two little-endian words. */
  u64(lo: number, hi: number): void {
    this.u32(lo);
    this.u32(hi);
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvarint(v: number): void {
    this.reserve(8);
    const b = this.buf;
    let p = this.pos;
    while (v >= 128) {
      b[p++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Unsigned LEB128 of the 64-bit value (lo, hi). */
  uvarint64(lo: number, hi: number): void {
    this.reserve(10);
    const b = this.buf;
    let p = this.pos;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo >= 128) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** Zigzag + LEB128 of the signed 64-bit value (lo, hi). */
  zigzag64(lo: number, hi: number): void {
    const s = hi >> 31;
    this.uvarint64((lo << 1) ^ s, ((hi << 1) | (lo >>> 31)) ^ s);
  }

  append(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
}

/** Byte length of uvarint(v) for a non-negative safe integer. */
export function uvarintLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Byte length of zigzag64(lo, hi). */
export function zigzag64Len(lo: number, hi: number): number {
  const s = hi >> 31;
  const zlo = ((lo << 1) ^ s) >>> 0;
  const zhi = (((hi << 1) | (lo >>> 31)) ^ s) >>> 0;
  const bits = zhi !== 0 ? 64 - Math.clz32(zhi) : 32 - Math.clz32(zlo);
  return bits === 0 ? 1 : Math.ceil(bits / 7);
}

/** Reads one section of a block: [pos, end) of buf. Every read checks the end, so a
 * truncated or inconsistent section throws BlockDecodeError instead of reading garbage. */
export class ByteReader {
  /** Result words of u64(), uvarint64() and zigzag64(). */
  lo = 0;
  hi = 0;

  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    public end: number,
  ) {
    if (end > buf.length || pos > end) throw new BlockDecodeError('section runs past the end of the block', pos);
  }

  fail(detail: string): never {
    throw new BlockDecodeError(detail, this.pos);
  }

  need(n: number): void {
    if (n > this.end - this.pos) this.fail(`truncated: ${n} bytes needed, ${this.end - this.pos} left`);
  }

  /** Throws unless the section was consumed exactly. */
  expectEnd(): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} unexpected bytes at the end of a section`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('truncated: 1 byte needed, 0 left');
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Reads two words into lo, hi. */
  u64(): void {
    this.lo = this.u32();
    this.hi = this.u32();
  }

  /** Unsigned LEB128 that must be at most `max` (a safe integer). */
  uvarint(max = Number.MAX_SAFE_INTEGER): number {
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const c = b[this.pos++];
      v += (c & 127) * mul;
      if (c < 128) {
        if (v > max) this.fail(`value ${v} out of range (max ${max})`);
        return v;
      }
      mul *= 128;
    }
    return this.fail('varint too long');
  }

  /** Unsigned LEB128 of up to 64 bits into lo, hi. */
  uvarint64(): void {
    const b = this.buf;
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const c = b[this.pos++];
      const g = c & 127;
      const s = 7 * k;
      if (s < 32) {
        lo |= g << s;
        if (s > 25) hi |= g >>> (32 - s);
      } else {
        hi |= g << (s - 32);
      }
      if (c < 128) {
        if (k === 9 && g > 1) this.fail('varint overflows 64 bits');
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint too long');
  }

  /** Zigzag LEB128 into lo, hi (two's complement words). */
  zigzag64(): void {
    this.uvarint64();
    const m = -(this.lo & 1);
    this.lo = (((this.lo >>> 1) | (this.hi << 31)) ^ m) >>> 0;
    this.hi = ((this.hi >>> 1) ^ m) >>> 0;
  }
}

export { TWO32 };
