// Bit-level writer and reader.
//
// Bit order is LSB-first: bit k of the stream is bit (k & 7) of byte (k >> 3), so a field of
// w bits written at stream position p holds its least significant bit at p. Streams end at
// a byte boundary; the padding bits must be zero (the reader checks, which catches many
// corruptions for free). A field is at most 32 bits per call (write/read); write64/read64
// split wider fields into low word first, then high word.

import { BlockDecodeError } from './errors.js';
import type { ByteWriter } from './bytes.js';

/** Bits needed for the unsigned 64-bit value (lo, hi): 0 for 0, 64 when the top bit is set. */
export function bitLen(lo: number, hi: number): number {
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(lo);
}

/** Accumulates bits in 32-bit words; flushTo() appends them as bytes to a ByteWriter.
 * Codecs keep one per module and reset() it, so encoding allocates nothing per value. */
export class BitWriter {
  private words = new Int32Array(256);
  private nw = 0;
  private acc = 0;
  private accBits = 0;

  reset(): void {
    this.nw = 0;
    this.acc = 0;
    this.accBits = 0;
  }

  get bitLength(): number {
    return this.nw * 32 + this.accBits;
  }

  /** Writes the low `w` bits of v (0 <= w <= 32). */
  write(v: number, w: number): void {
    if (w === 0) return;
    if (w < 32) v &= (1 << w) - 1;
    const a = this.accBits;
    this.acc |= v << a;
    const nb = a + w;
    if (nb >= 32) {
      if (this.nw === this.words.length) this.grow();
      this.words[this.nw++] = this.acc;
      this.accBits = nb - 32;
      this.acc = this.accBits === 0 ? 0 : v >>> (32 - a);
    } else {
      this.accBits = nb;
    }
  }

  /** Writes the low `w` bits (0 <= w <= 64) of the 64-bit value (lo, hi). */
  write64(lo: number, hi: number, w: number): void {
    if (w <= 32) {
      this.write(lo, w);
    } else {
      this.write(lo, 32);
      this.write(hi, w - 32);
    }
  }

  /** Appends the bits, padded with zeros to a whole byte, to `out`, and resets. */
  flushTo(out: ByteWriter): void {
    const nbytes = (this.bitLength + 7) >>> 3;
    out.reserve(nbytes);
    const b = out.buf;
    let p = out.pos;
    const words = this.words;
    for (let i = 0; i < this.nw; i++) {
      const x = words[i];
      b[p] = x;
      b[p + 1] = x >>> 8;
      b[p + 2] = x >>> 16;
      b[p + 3] = x >>> 24;
      p += 4;
    }
    let x = this.acc;
    for (let k = 0; k < this.accBits; k += 8) {
      b[p++] = x;
      x >>>= 8;
    }
    out.pos = p;
    this.reset();
  }

  private grow(): void {
    const w = new Int32Array(this.words.length * 2);
    w.set(this.words);
    this.words = w;
  }
}

/** Reads bits from buf[start, start + nbytes). Reading past the end throws
 * BlockDecodeError, so a decoder on a truncated stream stops instead of inventing bits. */
export class BitReader {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private nbits = 0;
  /** Bit position. */
  pos = 0;
  /** Result words of read64(). */
  lo = 0;
  hi = 0;

  reset(buf: Uint8Array, start: number, nbytes: number): this {
    if (start + nbytes > buf.length) throw new BlockDecodeError('bit stream runs past the end of the block', start);
    this.buf = buf;
    this.start = start;
    this.nbits = nbytes * 8;
    this.pos = 0;
    return this;
  }

  private eof(): never {
    throw new BlockDecodeError('truncated bit stream', this.start + (this.pos >>> 3));
  }

  /** Reads a field of w bits (0 <= w <= 32), unsigned. */
  read(w: number): number {
    const p = this.pos;
    if (p + w > this.nbits) this.eof();
    this.pos = p + w;
    if (w === 0) return 0;
    const b = this.buf;
    const i = this.start + (p >>> 3);
    const sh = p & 7;
    // Bytes past the stream's end may be read here (they belong to the next section or are
    // undefined past the array, which | and << turn into 0); the mask drops their bits.
    let x = (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> sh;
    if (sh + w > 32) x |= b[i + 4] << (32 - sh);
    return w === 32 ? x >>> 0 : x & ((1 << w) - 1);
  }

  /** Reads one bit. */
  bit(): number {
    const p = this.pos;
    if (p >= this.nbits) this.eof();
    this.pos = p + 1;
    return (this.buf[this.start + (p >>> 3)] >>> (p & 7)) & 1;
  }

  /** Reads a field of w bits (0 <= w <= 64) into lo, hi. */
  read64(w: number): void {
    if (w <= 32) {
      this.lo = this.read(w);
      this.hi = 0;
    } else {
      this.lo = this.read(32);
      this.hi = this.read(w - 32);
    }
  }

  /** Checks that the stream was read up to its last byte and the padding bits are zero. */
  finish(): void {
    const used = (this.pos + 7) & ~7;
    if (used !== this.nbits) throw new BlockDecodeError(`bit stream has ${(this.nbits - used) >>> 3} unexpected trailing bytes`, this.start);
    const pad = used - this.pos;
    if (pad > 0 && this.read(pad) !== 0) throw new BlockDecodeError('nonzero padding bits', this.start + (this.nbits >>> 3) - 1);
  }
}
