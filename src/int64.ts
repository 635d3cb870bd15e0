// Exact 64-bit integers without BigInt on hot paths.
//
// A nanosecond timestamp (~1.7e18) does not fit a double's 53-bit mantissa, so the data
// path keeps int64 values as two 32-bit halves in a Uint32Array (little endian: low word at
// 2*i, high word at 2*i+1), which is also the memory layout of a BigInt64Array over the
// same buffer: the edges read them back as bigint with no conversion.

const TWO32 = 4294967296;

/**
 * Writes `sign * (hi * 1e9 + lo)` as an int64 into words[2*i], words[2*i+1].
 * Requires 0 <= hi < 2^34 and 0 <= lo < 1e9 (integers): any decimal of up to 19 digits
 * split as (leading digits, last 9 digits). Returns false when the magnitude overflows
 * int64 (or uint64 when `unsigned`).
 */
export function setDecimal(words: Uint32Array, i: number, hi: number, lo: number, negative: boolean, unsigned = false): boolean {
  // hi * 1e9 = (hiH * 65536 + hiL) * 1e9; every partial product below stays < 2^53.
  const hiH = Math.floor(hi / 65536);
  const hiL = hi - hiH * 65536;
  const m = hiH * 1e9; // < 2^48
  const mHigh = Math.floor(m / 65536); // m * 65536 = mHigh * 2^32 + (m mod 65536) * 65536
  const mLow = (m - mHigh * 65536) * 65536;
  const s = hiL * 1e9 + lo; // < 2^46
  const sHigh = Math.floor(s / TWO32);
  const sLow = s - sHigh * TWO32;
  let low = mLow + sLow;
  let high = mHigh + sHigh;
  if (low >= TWO32) {
    low -= TWO32;
    high += 1;
  }
  if (unsigned) {
    if (negative && (low !== 0 || high !== 0)) return false;
    if (high >= TWO32) return false;
    words[2 * i] = low;
    words[2 * i + 1] = high;
    return true;
  }
  // int64 range: magnitude <= 2^63 - 1, or 2^63 when negative.
  if (high > 0x7fffffff) {
    if (!(negative && high === 0x80000000 && low === 0)) return false;
  }
  if (negative) {
    // two's complement: ~x + 1
    low = (~low >>> 0) + 1;
    high = ~high >>> 0;
    if (low >= TWO32) {
      low -= TWO32;
      high = (high + 1) >>> 0;
    }
  }
  words[2 * i] = low >>> 0;
  words[2 * i + 1] = high >>> 0;
  return true;
}

/** Writes a safe integer (|v| < 2^53) as int64 bits. */
export function setSafeInt(words: Uint32Array, i: number, v: number): void {
  const neg = v < 0;
  const mag = neg ? -v : v;
  const hi = Math.floor(mag / 1e9);
  setDecimal(words, i, hi, mag - hi * 1e9, neg);
}

/** Compares the int64 values at a[i] and b[j] (two-word layout). */
export function compareInt64(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const ah = a[2 * i + 1] | 0;
  const bh = b[2 * j + 1] | 0;
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = a[2 * i];
  const bl = b[2 * j];
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** Reads the int64 at words[2*i] as a bigint (for the edges, not hot loops). */
export function getInt64(words: Uint32Array, i: number): bigint {
  return (BigInt(words[2 * i + 1] | 0) << 32n) | BigInt(words[2 * i]);
}

/** Writes a bigint as int64 bits (for the edges, not hot loops). */
export function setInt64(words: Uint32Array, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  words[2 * i] = Number(u & 0xffffffffn);
  words[2 * i + 1] = Number(u >> 32n);
}

/** The (signed high word, low word) of an int64, to compare with two-word columns. */
export function wordsOf(t: bigint): [hi: number, lo: number] {
  const u = BigInt.asUintN(64, t);
  return [Number(u >> 32n) | 0, Number(u & 0xffffffffn)];
}
