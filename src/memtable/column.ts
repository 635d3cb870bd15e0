// One field of one series in memory: an append-only column of (int64 time, 64-bit value)
// in typed arrays, in arrival order.
//
// Writes only append (no search, no shifting), so ingest costs two word copies per value.
// Out-of-order or repeated timestamps clear `sorted`; the first read after that sorts the
// column once, keeps the last write of each timestamp (InfluxDB semantics: a point with
// the same series, field and time replaces the old one) and compacts it in place, so
// later reads and the flush see a sorted, unique column.

import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED, type ColumnValues, type FieldTypeCode } from '../types.js';

// Memory accounting. `bytes` is meant to be what the column really holds, so the memory
// budget means something (measured with `bench/memory.ts` and heap deltas, Node 20):
//   - the typed arrays count at their allocated capacity (they double when full, so up to
//     half of it is slack), not at their used length;
//   - each string value costs its V8 string (16-byte header, rounded, plus one byte per
//     char for the one-byte strings line protocol gives for ASCII) and its slot in the
//     `str` array (8 bytes, grown by half when full): STRING_VALUE_BYTES + length;
//   - the Column object, its two typed-array and ArrayBuffer objects, the `str` array and
//     its entry in the series' field Map: COLUMN_BYTES (+ two bytes per char of the key).
/** Fixed cost of a column beyond its arrays' capacity (measured: ~570 bytes). */
export const COLUMN_BYTES = 600;
/** Cost of one string value beyond its chars (measured: ~29 bytes for a 2-char value). */
export const STRING_VALUE_BYTES = 32;
/** Cost of a string value (one-byte chars assumed; two-byte strings are undercounted by their length). */
export function stringValueBytes(s: string): number {
  return STRING_VALUE_BYTES + s.length;
}

export class Column {
  readonly type: FieldTypeCode;
  n = 0;
  /** int64 ns timestamps, two words each (low, high). */
  time: Uint32Array;
  /** 64-bit values, two words each; unused for strings. */
  bits: Uint32Array;
  str: string[];
  /** Timestamps strictly increasing in arrival order (so already sorted and unique). */
  sorted = true;
  /**
   * Bytes of this column's arrays at their allocated capacity plus its string values (for
   * the memtable size limit and the memory budget; the fixed COLUMN_BYTES is counted by the
   * owner, which also knows the field key).
   */
  bytes = 0;

  constructor(type: FieldTypeCode, capacity = 16) {
    this.type = type;
    this.time = new Uint32Array(capacity * 2);
    this.bits = type === STRING ? new Uint32Array(0) : new Uint32Array(capacity * 2);
    this.str = [];
    this.bytes = this.time.byteLength + this.bits.byteLength;
  }

  /** Appends time (from tw at 2*ti) and value (from vw at 2*vj, or s for strings). Returns bytes added. */
  append(tw: Uint32Array, ti: number, vw: Uint32Array, vj: number, s: string | undefined): number {
    const n = this.n;
    let added = 0;
    if (2 * n === this.time.length) added = this.grow();
    const t = this.time;
    const lo = tw[2 * ti];
    const hi = tw[2 * ti + 1];
    if (this.sorted && n > 0) {
      const ph = t[2 * n - 1] | 0;
      const h = hi | 0;
      if (h < ph || (h === ph && lo <= t[2 * n - 2])) this.sorted = false;
    }
    t[2 * n] = lo;
    t[2 * n + 1] = hi;
    if (this.type === STRING) {
      const v = s ?? '';
      this.str[n] = v;
      added += STRING_VALUE_BYTES + v.length;
    } else {
      this.bits[2 * n] = vw[2 * vj];
      this.bits[2 * n + 1] = vw[2 * vj + 1];
    }
    this.n = n + 1;
    this.bytes += added;
    return added;
  }

  /** Doubles the capacity. Returns the bytes added (new capacity minus old). */
  private grow(): number {
    const before = this.time.byteLength + this.bits.byteLength;
    const cap = Math.max(16, this.n * 2);
    const t = new Uint32Array(cap * 2);
    t.set(this.time);
    this.time = t;
    if (this.type !== STRING) {
      const b = new Uint32Array(cap * 2);
      b.set(this.bits);
      this.bits = b;
    }
    return this.time.byteLength + this.bits.byteLength - before;
  }

  /**
   * Sorts by time and keeps the last written value of each timestamp. Returns bytes freed
   * (dropped values, and the capacity given back: the new arrays fit the values left).
   */
  normalize(): number {
    if (this.sorted) return 0;
    const n = this.n;
    const t = this.time;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    // Sort by (time, arrival): the last of each run of equal times is the newest write.
    const hiOf = (i: number) => t[2 * i + 1] | 0;
    idx.sort((a, b) => {
      const ha = hiOf(a);
      const hb = hiOf(b);
      if (ha !== hb) return ha - hb;
      const la = t[2 * a];
      const lb = t[2 * b];
      if (la !== lb) return la < lb ? -1 : 1;
      return a - b;
    });
    const nt = new Uint32Array(Math.max(16, n) * 2);
    const nb = this.type === STRING ? this.bits : new Uint32Array(Math.max(16, n) * 2);
    const ns: string[] = [];
    let m = 0;
    let freed = this.time.byteLength + this.bits.byteLength - nt.byteLength - nb.byteLength;
    for (let k = 0; k < n; k++) {
      const i = idx[k];
      if (k + 1 < n) {
        const j = idx[k + 1];
        if (t[2 * i] === t[2 * j] && t[2 * i + 1] === t[2 * j + 1]) {
          if (this.type === STRING) freed += STRING_VALUE_BYTES + this.str[i].length;
          continue; // a newer write of the same timestamp follows
        }
      }
      nt[2 * m] = t[2 * i];
      nt[2 * m + 1] = t[2 * i + 1];
      if (this.type === STRING) ns[m] = this.str[i];
      else {
        nb[2 * m] = this.bits[2 * i];
        nb[2 * m + 1] = this.bits[2 * i + 1];
      }
      m++;
    }
    this.time = nt;
    this.bits = nb;
    if (this.type === STRING) this.str = ns;
    this.n = m;
    this.sorted = true;
    this.bytes -= freed;
    return freed;
  }

  /** Removes entries [from, to) of a normalized column (a delete). Returns bytes freed. */
  removeRange(from: number, to: number): number {
    from = Math.max(0, from);
    to = Math.min(this.n, to);
    if (to <= from) return 0;
    const k = to - from;
    // The arrays keep their capacity: only string values are given back.
    let freed = 0;
    this.time.copyWithin(2 * from, 2 * to, 2 * this.n);
    if (this.type === STRING) {
      for (let i = from; i < to; i++) freed += STRING_VALUE_BYTES + this.str[i].length;
      this.str.splice(from, k);
    } else {
      this.bits.copyWithin(2 * from, 2 * to, 2 * this.n);
    }
    this.n -= k;
    this.bytes -= freed;
    return freed;
  }

  /** Index of the first entry with time >= (hi, lo), on a normalized column. */
  lowerBound(hi: number, lo: number): number {
    let a = 0;
    let b = this.n;
    const t = this.time;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const h = t[2 * mid + 1] | 0;
      if (h < hi || (h === hi && t[2 * mid] < lo)) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** Copies entries [from, to) of a normalized column out as public column arrays. */
  slice(from: number, to: number): { times: BigInt64Array; values: ColumnValues } {
    const len = Math.max(0, to - from);
    const times = new BigInt64Array(len);
    new Uint32Array(times.buffer).set(this.time.subarray(2 * from, 2 * to));
    let values: ColumnValues;
    switch (this.type) {
      case FLOAT: {
        const v = new Float64Array(len);
        new Uint32Array(v.buffer).set(this.bits.subarray(2 * from, 2 * to));
        values = v;
        break;
      }
      case INTEGER: {
        const v = new BigInt64Array(len);
        new Uint32Array(v.buffer).set(this.bits.subarray(2 * from, 2 * to));
        values = v;
        break;
      }
      case UNSIGNED: {
        const v = new BigUint64Array(len);
        new Uint32Array(v.buffer).set(this.bits.subarray(2 * from, 2 * to));
        values = v;
        break;
      }
      case BOOLEAN: {
        const f = new Float64Array(this.bits.buffer, 0, this.n);
        const v = new Uint8Array(len);
        for (let i = 0; i < len; i++) v[i] = f[from + i] !== 0 ? 1 : 0;
        values = v;
        break;
      }
      default:
        values = this.str.slice(from, to);
    }
    return { times, values };
  }
}
