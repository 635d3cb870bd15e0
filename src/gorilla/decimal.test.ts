import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalExponent, MAX_DECIMAL_EXP } from './decimal.js';
import { decodeFloats, encodeFloats, FLT_DECIMAL } from './floats.js';
import { RUNS } from './testing/arbitraries.js';
import { decodeWith, encodeWith, sameWords, words } from './testing/roundtrip.js';

function roundTrip(f: Float64Array): number {
  const e = encodeWith((out) => encodeFloats(words(f), f, 0, f.length, out));
  const back = new Float64Array(f.length);
  decodeWith(e, (tag, r) => decodeFloats(tag, r, f.length, words(back), back, 0));
  expect(sameWords(words(back), words(f))).toBe(true);
  return e.tag;
}

/** Short decimals as a parser makes them: the double nearest to m / 10^e. */
const decimals = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 40 }), fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })))
  .chain(([e, n, m0]) =>
    fc.array(fc.integer({ min: -500, max: 500 }), { minLength: n, maxLength: n }).map((ds) => {
      let m = m0;
      return { e, values: Float64Array.from(ds, (d) => Number(`${(m += d)}e-${e}`)) };
    }),
  );

describe('decimal path', () => {
  it('round-trips 10,000 generated short-decimal columns and finds an exponent no larger than theirs', () => {
    fc.assert(
      fc.property(decimals, ({ e, values }) => {
        const found = decimalExponent(values, 0, values.length);
        expect(found).toBeGreaterThanOrEqual(0);
        expect(found).toBeLessThanOrEqual(e);
        roundTrip(values);
      }),
      RUNS,
    );
  });

  it('is chosen for sensor readings and beats XOR by far', () => {
    let seed = 5;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let t = 21;
    const f = Float64Array.from({ length: 1000 }, () => Number((t += (rnd() - 0.5) * 0.2).toFixed(2)));
    const e = encodeWith((out) => encodeFloats(words(f), f, 0, f.length, out));
    expect(e.tag).toBe(FLT_DECIMAL);
    expect(e.bytes.length / 1000).toBeLessThan(1.2);
    expect(roundTrip(f)).toBe(FLT_DECIMAL);
  });

  it('refuses -0, NaN, infinities, full-precision and huge values', () => {
    for (const v of [-0, NaN, Infinity, -Infinity, 1 / 3, 0.1 + 0.2, 2 ** 60, 5e-324, 1e-16]) {
      expect(decimalExponent(Float64Array.of(1.5, v), 0, 2)).toBe(-1);
    }
    expect(decimalExponent(Float64Array.of(0, 1, -2), 0, 3)).toBe(0);
    expect(decimalExponent(Float64Array.of(0.001, 2 ** 40), 0, 2)).toBe(3);
    expect(decimalExponent(Float64Array.of(1e-15), 0, 1)).toBe(MAX_DECIMAL_EXP);
    expect(decimalExponent(Float64Array.of(Math.PI), 0, 1)).toBe(15); // 16 significant digits fit
    expect(decimalExponent(Float64Array.of(Math.PI * 1000), 0, 1)).toBe(12);
  });
});
