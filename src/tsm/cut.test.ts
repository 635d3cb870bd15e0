import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutRanges } from './cut.js';

describe('cutting deleted ranges out of a column', () => {
  it('keeps exactly the points outside every range, for every value type (property)', () => {
    const column = fc.uniqueArray(fc.bigInt({ min: -50n, max: 50n }), { maxLength: 40 }).map((ts) => ts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const range = fc.tuple(fc.bigInt({ min: -60n, max: 60n }), fc.bigInt({ min: -60n, max: 60n })).map(([a, b]) => (a <= b ? { min: a, max: b } : { min: b, max: a }));
    fc.assert(
      fc.property(column, fc.array(range, { maxLength: 4 }), (ts, ranges) => {
        const times = BigInt64Array.from(ts);
        const keep = ts.filter((t) => !ranges.some((r) => r.min <= t && t <= r.max));
        const floats = cutRanges({ times, values: Float64Array.from(ts, Number) }, ranges);
        expect([...floats.times]).toEqual(keep);
        expect([...(floats.values as Float64Array)]).toEqual(keep.map(Number));
        const strings = cutRanges({ times, values: ts.map(String) }, ranges);
        expect(strings.values).toEqual(keep.map(String));
        const bools = cutRanges({ times, values: Uint8Array.from(ts, (t) => Number(t & 1n)) }, ranges);
        expect([...(bools.values as Uint8Array)]).toEqual(keep.map((t) => Number(t & 1n)));
        expect([...times]).toEqual(ts); // the input is left alone
      }),
      { numRuns: 2000 },
    );
  });
});
