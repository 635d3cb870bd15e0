// fast-check arbitraries for the codec property tests: columns shaped like real data
// (regular clocks, jitter, counters, gauges, short decimals, status strings) mixed with
// the edge values every codec must keep exactly.

import fc from 'fast-check';

export const MIN_I64 = -(2n ** 63n);
export const MAX_I64 = 2n ** 63n - 1n;
export const MAX_U64 = 2n ** 64n - 1n;
const wrap = (x: bigint): bigint => BigInt.asIntN(64, x);

/** Lengths: mostly short (fast runs), sometimes past a 128-value miniblock. */
export const length = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 300 }) });

export const edgeInt64 = fc.constantFrom(
  MIN_I64, MIN_I64 + 1n, MAX_I64, MAX_I64 - 1n, 0n, 1n, -1n,
  2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 52n, -(2n ** 52n), 2n ** 32n, 2n ** 32n - 1n, -(2n ** 31n),
);

export const anyInt64 = fc.oneof(fc.bigInt({ min: MIN_I64, max: MAX_I64 }), edgeInt64, fc.bigInt({ min: -1000n, max: 1000n }));

/** int64 columns of many shapes (all arithmetic wraps, as the codecs' must). */
export const int64Column: fc.Arbitrary<bigint[]> = length.chain((n) =>
  fc.oneof(
    fc.array(anyInt64, { minLength: n, maxLength: n }),
    anyInt64.map((v) => Array.from({ length: n }, () => v)),
    fc.tuple(anyInt64, anyInt64).map(([a, s]) => Array.from({ length: n }, (_, i) => wrap(a + BigInt(i) * s))),
    fc.tuple(anyInt64, fc.array(fc.bigInt({ min: -70n, max: 70n }), { minLength: n, maxLength: n })).map(([a, ds]) => {
      let x = a;
      return ds.map((d) => (x = wrap(x + d)));
    }),
    fc.tuple(anyInt64, fc.array(fc.oneof({ weight: 20, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: anyInt64 }), { minLength: n, maxLength: n })).map(([a, ds]) => {
      let x = a;
      return ds.map((d) => (x = wrap(x + d)));
    }),
    fc.array(fc.constantFrom(MIN_I64, MAX_I64, 7n), { minLength: n, maxLength: n }),
  ),
);

export const uint64Column: fc.Arbitrary<bigint[]> = int64Column.map((a) => a.map((x) => BigInt.asUintN(64, x)));

/** Nanosecond timestamps: regular clocks (with jitter, gaps, drift) around 2026 and at
 * the int64 extremes, negative times, random, unsorted and duplicate times. */
export const timeColumn: fc.Arbitrary<bigint[]> = length.chain((n) => {
  const base = fc.oneof(fc.constant(1767225600000000000n), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), edgeInt64);
  const step = fc.oneof(fc.constantFrom(1n, 1000000n, 1000000000n, 10000000000n, 5000000000n), fc.bigInt({ min: 1n, max: 2n ** 40n }), edgeInt64);
  const jitter = fc.array(fc.oneof({ weight: 9, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigInt({ min: -400n, max: 400n }) }), { minLength: n, maxLength: n });
  return fc.oneof(
    fc.tuple(base, step).map(([b, s]) => Array.from({ length: n }, (_, i) => wrap(b + BigInt(i) * s))),
    fc.tuple(base, step, jitter, fc.constantFrom(1n, 1000000n)).map(([b, s, j, unit]) => j.map((x, i) => wrap(b + BigInt(i) * s + x * unit))),
    fc.tuple(base, fc.array(fc.bigInt({ min: 0n, max: 2n ** 20n }), { minLength: n, maxLength: n })).map(([b, ds]) => {
      let t = b;
      return ds.map((d) => (t = wrap(t + d * 1000n)));
    }),
    fc.array(fc.oneof(fc.bigInt({ min: MIN_I64, max: MAX_I64 }), edgeInt64), { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(1767225600000000000n, 1767225600000000001n, -5n, MIN_I64, MAX_I64), { minLength: n, maxLength: n }),
  );
});

/** A double from any 64-bit pattern, as [low word, high word]. */
const anyBits = fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));
const edgeBits = fc.oneof(
  fc.constantFrom<[number, number]>(
    [0, 0x80000000], // -0
    [0, 0], // +0
    [0, 0x7ff00000], // +Inf
    [0, 0xfff00000], // -Inf
    [0, 0x7ff80000], // canonical NaN
    [1, 0x7ff00000], // signalling NaN with payload 1
    [0xffffffff, 0xffffffff], // negative NaN, all payload bits set
    [1, 0], // smallest subnormal
    [0xffffffff, 0x000fffff], // largest subnormal
    [0xffffffff, 0x7fefffff], // MAX_VALUE
  ),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0x7ffff })).map(([lo, p]): [number, number] => [lo, 0x7ff00000 | (p + 1)]), // NaN payloads
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xfffff })).map(([lo, hi]): [number, number] => [lo, hi]), // subnormals
);
const f64 = new Float64Array(1);
const f64w = new Uint32Array(f64.buffer);
function fromDouble(x: number): [number, number] {
  f64[0] = x;
  return [f64w[0], f64w[1]];
}
const decimal = fc.tuple(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 6 })).map(([m, e]) => fromDouble(m / 10 ** e));

/** Float columns as bit patterns [lo, hi] per value. */
export const floatColumn: fc.Arbitrary<[number, number][]> = length.chain((n) =>
  fc.oneof(
    fc.array(fc.oneof(anyBits, edgeBits, fc.double().map(fromDouble)), { minLength: n, maxLength: n }),
    fc.oneof(anyBits, edgeBits).map((b) => Array.from({ length: n }, () => b)),
    // short decimals (the decimal path), random walks of them, and with an edge value mixed in
    fc.array(decimal, { minLength: n, maxLength: n }),
    fc.tuple(fc.integer({ min: -100000, max: 100000 }), fc.integer({ min: 0, max: 4 }), fc.array(fc.integer({ min: -30, max: 30 }), { minLength: n, maxLength: n })).map(([m0, e, ds]) => {
      let m = m0;
      return ds.map((d) => fromDouble((m += d) / 10 ** e));
    }),
    fc.tuple(fc.array(decimal, { minLength: n, maxLength: n }), edgeBits, fc.nat()).map(([a, b, k]) => {
      if (a.length > 0) a[k % a.length] = b;
      return a;
    }),
    // a random walk of full-precision doubles (like the devops workload)
    fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n })).map(([x0, ds]) => {
      let x = x0;
      return ds.map((d) => fromDouble((x += d)));
    }),
  ),
);

export function toFloat64Array(bits: [number, number][]): Float64Array {
  const w = new Uint32Array(bits.length * 2);
  bits.forEach(([lo, hi], i) => {
    w[2 * i] = lo;
    w[2 * i + 1] = hi;
  });
  return new Float64Array(w.buffer);
}

export const boolColumn: fc.Arbitrary<number[]> = length.chain((n) =>
  fc.oneof(
    fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
    fc.constantFrom(0, 1).map((b) => Array.from({ length: n }, () => b)),
    fc.array(fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }), { minLength: n, maxLength: n }).map((flips) => {
      let b = 0;
      return flips.map((f) => (b ^= f));
    }),
  ),
);

const statuses = ['ok', 'warn', 'error', 'maintenance', '', '\uFEFFbom', 'é', '😀'];
export const stringColumn: fc.Arbitrary<string[]> = length.chain((n) =>
  fc.oneof(
    fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: n, maxLength: n }),
    fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(...statuses), { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom('\uD800', '\uDC00', 'a\uD83D', '\uDE00b', 'x'), { minLength: n, maxLength: n }),
    fc.tuple(fc.array(fc.constantFrom(...statuses), { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: n, maxLength: n })).map(([dict, ks]) => {
      let i = 0;
      return ks.map((k) => (k % 50 === 0 ? dict[(i = (i + 1) % dict.length)] : dict[i]));
    }),
    fc.array(fc.string({ unit: 'grapheme-ascii', minLength: 20, maxLength: 60 }), { minLength: n, maxLength: n }),
  ),
);

/** fast-check settings of the acceptance criteria: 10,000 generated arrays per codec. */
export const RUNS = { numRuns: 10_000 };
