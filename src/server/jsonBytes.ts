// A growable byte buffer for JSON answers written straight into bytes (PromQL and InfluxQL
// query answers): a large answer as one string per value joined into a rope and then
// encoded costs several times as much. Callers write the structure themselves; this has
// the pieces they share.

import { floatText, type FloatTextBatch } from '../wasm/index.js';

/** A growable byte buffer for one answer. */
export class JsonBytes {
  buf: Buffer;
  pos = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(256, capacity));
  }

  /** Room for n more bytes. */
  need(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** An ASCII string (callers only pass ASCII). */
  ascii(s: string): void {
    const n = s.length;
    this.need(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any string, UTF-8. */
  text(s: string): void {
    this.need(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /**
   * A JSON string: plain printable ASCII other than `"` `\\` `<` `>` `&` is copied as it
   * is; a string with anything else is written as `escape(s)` (the caller's jsonString, Go's
   * escaping of its module).
   */
  str(s: string, escape: (s: string) => string): void {
    const n = s.length;
    this.need(n + 2);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // plain printable ASCII other than " \\ < > & needs no escaping; anything else is
      // written by jsonString over what was copied so far
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
        this.pos = start;
        this.text(escape(s));
        return;
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /** A non-negative integer below 2^53, as digits. */
  uint(v: number): void {
    this.need(16);
    const b = this.buf;
    if (v < 10) {
      b[this.pos++] = 0x30 + v;
      return;
    }
    let digits = 2;
    for (let pow = 100; pow <= v && digits < 16; pow *= 10) digits++;
    let p = this.pos + digits;
    this.pos = p;
    if (v < 0x80000000) {
      let x = v | 0;
      while (x > 0) {
        const q = (x / 10) | 0;
        b[--p] = 0x30 + (x - q * 10);
        x = q;
      }
    } else {
      let x = v;
      while (x > 0) {
        const q = Math.floor(x / 10);
        b[--p] = 0x30 + (x - q * 10);
        x = q;
      }
    }
  }

  /** The bytes [start, end) of `text`. */
  raw(text: Uint8Array, start: number, end: number): void {
    this.need(end - start);
    const b = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) b[p++] = text[i];
    this.pos = p;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * The shortest texts of a sequence of numbers (formatValue's, src/server/prometheus.ts),
 * consumed in order, from the float text kernel (src/wasm/dtoa.ts) a batch at a time. The
 * kernel's output is shared: use one FloatTexts at a time (finish one before formatting
 * with another).
 */
export class FloatTexts {
  private batch: FloatTextBatch | null = null;
  private i = 0;
  private start = 0;
  private from = 0;

  constructor(private readonly values: ArrayLike<number>) {}

  /** Passes over the next value (its caller writes something else for it). */
  skip(): void {
    this.start = this.advance().ends[this.i++];
  }

  /** Writes the next value's text into `out`. */
  next(out: JsonBytes): void {
    const batch = this.advance();
    const end = batch.ends[this.i++];
    out.raw(batch.bytes, this.start, end);
    this.start = end;
  }

  /** Writes the next value as JavaScript's String(v) (and Go's encoding/json) write it: a
   * one-digit negative exponent unpadded (1e-7, where formatValue has 1e-07). */
  nextJs(out: JsonBytes): void {
    const batch = this.advance();
    const end = batch.ends[this.i++];
    const b = batch.bytes;
    if (end - this.start >= 4 && b[end - 4] === 0x65 && b[end - 3] === 0x2d && b[end - 2] === 0x30) {
      out.raw(b, this.start, end - 2);
      out.raw(b, end - 1, end);
    } else out.raw(b, this.start, end);
    this.start = end;
  }

  /** The batch holding the next value (formatting the next batch when this one is used up). */
  private advance(): FloatTextBatch {
    let batch = this.batch;
    if (batch === null || this.i === batch.count) {
      batch = this.batch = floatText.format(this.values, this.from, this.values.length);
      this.from += batch.count;
      this.i = 0;
      this.start = 0;
    }
    return batch;
  }
}
