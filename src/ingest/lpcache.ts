// Interning caches of the line-protocol parser: raw bytes -> the string they stand for.
//
// Both are direct-mapped (one entry per slot, a new entry evicts the old) and keyed by the
// raw bytes as written, so a hit costs a hash and a byte compare and allocates nothing. The
// mapping is a pure function of the bytes: a stale entry can only miss, never mislead, and
// one parser may keep its caches across requests, whatever their options.

import type { Scratch } from './lpstate.js';
import { decodeKey } from './lptext.js';

/** Platform byte order, for DataView reads that match Int32Array views. (Defined here, not
 * imported: V8 folds a module's own constants into optimized code, not imported ones.) */
const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const SK_SIZE = 8192; // slots, a power of two
/** Longer series sections are not cached. */
const SK_MAXLEN = 1024;

/** Raw series section (measurement and tags as written) -> canonical series key. */
export class SeriesKeyCache {
  private readonly hash = new Int32Array(SK_SIZE);
  private readonly len = new Int32Array(SK_SIZE);
  private readonly raw: (Uint8Array | null)[] = new Array<Uint8Array | null>(SK_SIZE).fill(null);
  /** The raw bytes (of a slot's `len`; the arrays may be longer), and the same bytes as
   * platform-order 32-bit words, compared four at a time. */
  private readonly words: (Int32Array | null)[] = new Array<Int32Array | null>(SK_SIZE).fill(null);
  private readonly str: string[] = new Array<string>(SK_SIZE).fill('');

  /** The key cached for the `len` bytes at b[s] (`dv` views b), which hash to h; '' if none. */
  find(b: Buffer, dv: DataView, s: number, len: number, h: number): string {
    const slot = h & (SK_SIZE - 1);
    const words = this.words[slot];
    if (words === null || this.hash[slot] !== h || this.len[slot] !== len) return '';
    const nw = len >> 2;
    let i = 0;
    while (i < nw && dv.getInt32(s + 4 * i, LE) === words[i]) i++;
    if (i !== nw) return '';
    const raw = this.raw[slot] as Uint8Array;
    i <<= 2;
    while (i < len && raw[i] === b[s + i]) i++;
    return i === len ? this.str[slot] : '';
  }

  insert(b: Buffer, s: number, len: number, h: number, key: string): void {
    if (len > SK_MAXLEN) return;
    const slot = h & (SK_SIZE - 1);
    // the evicted entry's arrays are reused when they are large enough: with many series
    // nearly every line evicts one, and allocating per miss is what costs most then
    let raw = this.raw[slot];
    if (raw === null || raw.length < len) {
      raw = new Uint8Array((len + 31) & ~31);
      this.raw[slot] = raw;
      this.words[slot] = new Int32Array(raw.buffer);
    }
    raw.set(bytesAt(b, s, len));
    this.hash[slot] = h;
    this.len[slot] = len;
    this.str[slot] = key;
  }
}

const FK_SIZE = 2048; // slots, a power of two (the parser masks hashes with stamp.length - 1)
/** Longer field keys are not cached. */
const FK_MAXLEN = 256;
/** Field positions whose keys are predicted (the parser reads predRaw.length). */
const PRED = 64;

/**
 * Raw field key -> field key, plus two things the parser's field loop reads directly:
 * per slot, the serial of the last point that used it (`stamp`: finds a key repeated within a
 * line in O(1)), and per position in the line, the previous line's key there (`pred*`: lines
 * of one shape repeat their keys, and a byte compare against the prediction beats hashing).
 */
export class FieldKeyCache {
  private readonly hash = new Int32Array(FK_SIZE);
  private readonly raw: (Uint8Array | null)[] = new Array<Uint8Array | null>(FK_SIZE).fill(null);
  private readonly str: string[] = new Array<string>(FK_SIZE).fill('');
  readonly stamp = new Int32Array(FK_SIZE);
  /** Serial of the last point parsed (stamps compare against it). */
  serial = 0;
  readonly predRaw: (Uint8Array | null)[] = new Array<Uint8Array | null>(PRED).fill(null);
  readonly predStr: string[] = new Array<string>(PRED).fill('');
  readonly predSlot = new Int32Array(PRED);

  /**
   * The key b[s, e), hashed to h with flags fl by the caller's scan (see decodeKey), from the
   * cache or decoded and cached; '' when it is not valid UTF-8. Becomes the prediction for
   * field position fi.
   */
  intern(b: Buffer, s: number, e: number, h: number, fl: number, fi: number, scratch: Scratch): string {
    const slot = h & (FK_SIZE - 1);
    const len = e - s;
    const raw = this.raw[slot];
    let key = '';
    if (raw !== null && this.hash[slot] === h && raw.length === len) {
      let i = 0;
      while (i < len && raw[i] === b[s + i]) i++;
      if (i === len) key = this.str[slot];
    }
    if (key === '') {
      key = decodeKey(b, s, e, fl, scratch);
      if (key === '' || len > FK_MAXLEN) return key;
      this.hash[slot] = h;
      // a new array, never the evicted one refilled: a prediction may still hold that
      this.raw[slot] = copyOf(b, s, len);
      this.str[slot] = key;
    }
    if (fi < PRED) {
      this.predRaw[fi] = this.raw[slot];
      this.predStr[fi] = key;
      this.predSlot[fi] = slot;
    }
    return key;
  }
}

/** A view of the `len` bytes at b[s] as a plain Uint8Array: b.subarray() or slice() would go
 * through Buffer's species constructor, which costs more than the copy that follows. */
function bytesAt(b: Buffer, s: number, len: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + s, len);
}

/** A copy of the `len` bytes at b[s]. */
function copyOf(b: Buffer, s: number, len: number): Uint8Array {
  const c = new Uint8Array(len);
  c.set(bytesAt(b, s, len));
  return c;
}
