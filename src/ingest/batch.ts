// PointBatch: what the ingest parsers produce and the memtable consumes.
//
// Columnar, so a batch of N lines costs a handful of typed arrays rather than N objects:
// per point a series key string, an int64 timestamp (two 32-bit words), the line's number
// and byte range in the input; per field value a key string, a type code and 64 bits
// (a float64, or int64/uint64 two's complement words, or 0/1 for booleans); string
// values live in `fieldStr` at the field's index.

import type { LineError } from '../types.js';

export class PointBatch {
  /** Points (well-formed lines) in the batch. */
  count = 0;
  /** Canonical series key per point (see seriesKey.ts). */
  seriesKey: string[] = [];
  /** int64 ns timestamp per point: words 2*i (low) and 2*i+1 (high). */
  time: Uint32Array;
  /** Fields of point i are fieldStart[i] .. fieldStart[i+1]-1. */
  fieldStart: Uint32Array;
  /** 1-based line number of point i in the input. */
  lineNo: Uint32Array;
  /** Byte range [lineStart, lineEnd) of point i's line in the input (no newline). */
  lineStart: Uint32Array;
  lineEnd: Uint32Array;

  /** Field values in the batch. */
  fieldCount = 0;
  fieldKey: string[] = [];
  fieldType: Uint8Array;
  /** 64 bits per field value: words 2*j (low) and 2*j+1 (high). */
  fieldBits: Uint32Array;
  /** The same bytes as fieldBits, as float64 (float and boolean values). */
  fieldF64: Float64Array;
  /** String values by field index (holes elsewhere). */
  fieldStr: string[] = [];

  /** Rejected lines, in line order. */
  errors: LineError[] = [];
  /** Lines seen that were neither blank nor comments (good + bad). */
  lines = 0;

  constructor(pointCapacity = 1024, fieldCapacity = 4096) {
    this.time = new Uint32Array(pointCapacity * 2);
    this.fieldStart = new Uint32Array(pointCapacity + 1);
    this.lineNo = new Uint32Array(pointCapacity);
    this.lineStart = new Uint32Array(pointCapacity);
    this.lineEnd = new Uint32Array(pointCapacity);
    this.fieldType = new Uint8Array(fieldCapacity);
    this.fieldBits = new Uint32Array(fieldCapacity * 2);
    this.fieldF64 = new Float64Array(this.fieldBits.buffer);
  }

  /** Makes room for one more point; call before writing point index `count`. */
  ensurePoint(): void {
    if (this.count + 1 < this.lineNo.length) return;
    const cap = this.lineNo.length * 2;
    this.time = grow32(this.time, cap * 2);
    this.fieldStart = grow32(this.fieldStart, cap + 1);
    this.lineNo = grow32(this.lineNo, cap);
    this.lineStart = grow32(this.lineStart, cap);
    this.lineEnd = grow32(this.lineEnd, cap);
  }

  /** Makes room for `n` more field values. */
  ensureFields(n: number): void {
    if (this.fieldCount + n <= this.fieldType.length) return;
    let cap = this.fieldType.length * 2;
    while (cap < this.fieldCount + n) cap *= 2;
    const t = new Uint8Array(cap);
    t.set(this.fieldType);
    this.fieldType = t;
    this.fieldBits = grow32(this.fieldBits, cap * 2);
    this.fieldF64 = new Float64Array(this.fieldBits.buffer);
  }

  /** Time of point i as bigint (for edges and tests). */
  timeOf(i: number): bigint {
    return (BigInt(this.time[2 * i + 1] | 0) << 32n) | BigInt(this.time[2 * i]);
  }
}

function grow32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}
