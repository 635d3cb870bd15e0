import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coarsen, reduceWindows, windowsFromPoints, windowStart, type Aggregate, type Windows } from './rollup.js';


/** The aggregate of raw points, folded one by one: what every rollup must equal. */
function fold(times: bigint[], values: number[]): Aggregate | null {
  let a: Aggregate | null = null;
  for (let i = 0; i < times.length; i++) {
    const v = values[i];
    if (!a) {
      a = { min: v, max: v, sum: v, count: 1, first: v, last: v, tfirst: times[i], tlast: times[i], inc: 0 };
      continue;
    }
    a.min = Math.min(a.min, v);
    a.max = Math.max(a.max, v);
    a.sum += v;
    a.count++;
    a.inc += v < a.last ? v : v - a.last;
    a.last = v;
    a.tlast = times[i];
  }
  return a;
}

function windowAt(w: Windows, k: number): Aggregate {
  return { min: w.min[k], max: w.max[k], sum: w.sum[k], count: w.count[k], first: w.first[k], last: w.last[k], tfirst: w.tfirst[k], tlast: w.tlast[k], inc: w.inc[k] };
}

// Integer-valued floats keep sums exact, so equality can be exact.
const series = fc
  .uniqueArray(fc.bigInt({ min: -5_000_000_000_000n, max: 5_000_000_000_000n }), { minLength: 0, maxLength: 300 })
  .chain((ts) => {
    const times = [...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return fc.tuple(fc.constant(times), fc.array(fc.integer({ min: -1000, max: 100000 }), { minLength: times.length, maxLength: times.length }));
  });
const resolutions = fc.constantFrom(1_000_000_000n, 10_000_000_000n, 60_000_000_000n, 3_600_000_000_000n);

describe('rollup arithmetic', () => {
  it('windowStart floors, also before 1970', () => {
    expect(windowStart(125n, 60n)).toBe(120n);
    expect(windowStart(120n, 60n)).toBe(120n);
    expect(windowStart(-1n, 60n)).toBe(-60n);
    expect(windowStart(-60n, 60n)).toBe(-60n);
  });

  it('each window equals the fold of the raw points inside it', () => {
    fc.assert(
      fc.property(series, resolutions, ([times, values], res) => {
        const w = windowsFromPoints(BigInt64Array.from(times), Float64Array.from(values), res);
        let i = 0;
        for (let k = 0; k < w.start.length; k++) {
          const s = w.start[k];
          const inside: number[] = [];
          while (i < times.length && times[i] < s + res) {
            expect(times[i] >= s).toBe(true);
            inside.push(i++);
          }
          expect(windowAt(w, k)).toEqual(fold(inside.map((j) => times[j]), inside.map((j) => values[j])));
        }
        expect(i).toBe(times.length);
      }),
    );
  });

  it('reducing any run of windows equals folding its points, increase across resets included', () => {
    fc.assert(
      fc.property(series, resolutions, fc.nat(), fc.nat(), ([times, values], res, x, y) => {
        const w = windowsFromPoints(BigInt64Array.from(times), Float64Array.from(values), res);
        const n = w.start.length;
        const lo = n === 0 ? 0 : x % n;
        const hi = n === 0 ? 0 : lo + (y % (n - lo + 1));
        const from = lo < n ? w.start[lo] : 0n;
        const to = hi < n ? w.start[hi] : 1n << 62n;
        const idx = times.map((t, j) => [t, j] as const).filter(([t]) => t >= from && t < to && lo < hi).map(([, j]) => j);
        expect(reduceWindows(w, lo, hi)).toEqual(fold(idx.map((j) => times[j]), idx.map((j) => values[j])));
      }),
    );
  });

  it('coarsening fine windows equals rolling the raw points at the coarse resolution', () => {
    fc.assert(
      fc.property(series, fc.constantFrom(1_000_000_000n, 10_000_000_000n), fc.constantFrom(6n, 60n), ([times, values], res, mult) => {
        const t = BigInt64Array.from(times);
        const v = Float64Array.from(values);
        expect(coarsen(windowsFromPoints(t, v, res), res * mult)).toEqual(windowsFromPoints(t, v, res * mult));
      }),
    );
  });

  it('skips Prometheus stale markers but keeps other NaNs', () => {
    const values = new Float64Array(3);
    const words = new Uint32Array(values.buffer);
    values[0] = 5;
    words[2] = 2; // the stale marker's bits, written as words so no NaN copy can change them
    words[3] = 0x7ff00000;
    values[2] = 7;
    const w = windowsFromPoints(BigInt64Array.from([1n, 2n, 3n]), values, 10n);
    expect(w.count[0]).toBe(2);
    expect(w.sum[0]).toBe(12);
    const n = windowsFromPoints(BigInt64Array.from([1n, 2n]), Float64Array.from([5, NaN]), 10n);
    expect(n.count[0]).toBe(2);
    expect(n.sum[0]).toBeNaN();
  });
});
