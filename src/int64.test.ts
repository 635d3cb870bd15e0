import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareInt64, getInt64, setDecimal, setInt64, setSafeInt } from './int64.js';

describe('int64 words', () => {
  it('setDecimal equals BigInt arithmetic for every 19-digit split, signed and unsigned (property)', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, 10n ** 19n - 1n), fc.boolean(), (mag, neg) => {
        const hi = Number(mag / 1_000_000_000n);
        const lo = Number(mag % 1_000_000_000n);
        const w = new Uint32Array(2);
        const v = neg ? -mag : mag;
        const fitsSigned = v >= -(2n ** 63n) && v < 2n ** 63n;
        expect(setDecimal(w, 0, hi, lo, neg)).toBe(fitsSigned);
        if (fitsSigned) expect(getInt64(w, 0)).toBe(v);
        const fitsUnsigned = v >= 0n && v < 2n ** 64n;
        const u = new Uint32Array(2);
        expect(setDecimal(u, 0, hi, lo, neg, true)).toBe(fitsUnsigned || (neg && mag === 0n));
        if (fitsUnsigned) expect(BigInt.asUintN(64, getInt64(u, 0))).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the extremes exactly', () => {
    const w = new Uint32Array(2);
    const max = 2n ** 63n - 1n;
    expect(setDecimal(w, 0, Number(max / 10n ** 9n), Number(max % 10n ** 9n), false)).toBe(true);
    expect(getInt64(w, 0)).toBe(max);
    expect(setDecimal(w, 0, Number(2n ** 63n / 10n ** 9n), Number(2n ** 63n % 10n ** 9n), true)).toBe(true);
    expect(getInt64(w, 0)).toBe(-(2n ** 63n));
    expect(setDecimal(w, 0, Number(2n ** 63n / 10n ** 9n), Number(2n ** 63n % 10n ** 9n), false)).toBe(false);
    setSafeInt(w, 0, -Number.MAX_SAFE_INTEGER);
    expect(getInt64(w, 0)).toBe(-BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('compares like bigint (property)', () => {
    const i64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    fc.assert(
      fc.property(i64, i64, (a, b) => {
        const wa = new Uint32Array(2);
        const wb = new Uint32Array(2);
        setInt64(wa, 0, a);
        setInt64(wb, 0, b);
        expect(compareInt64(wa, 0, wb, 0)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
      { numRuns: 1000 },
    );
  });
});
