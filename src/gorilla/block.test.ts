import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockLayout, decodeBlock, decodeBlockFloat, decodeBlockTimes, encodeBlock, floorMsOfWords, MAX_BLOCK_POINTS } from './block.js';
import { ByteWriter } from './bytes.js';
import { BlockDecodeError } from './errors.js';
import { boolColumn, floatColumn, int64Column, stringColumn, timeColumn, toFloat64Array, uint64Column } from './testing/arbitraries.js';
import { sameWords, words } from './testing/roundtrip.js';
import { initCodecs } from './zstd.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { ColumnValues } from '../types.js';

interface Column {
  type: number;
  times: BigInt64Array;
  values: ColumnValues;
}

/** A block's worth of points of any type: times and values of the same length. */
const column: fc.Arbitrary<Column> = fc
  .oneof(
    floatColumn.map((v) => ({ type: FLOAT, values: toFloat64Array(v) as ColumnValues })),
    int64Column.map((v) => ({ type: INTEGER, values: BigInt64Array.from(v) as ColumnValues })),
    uint64Column.map((v) => ({ type: UNSIGNED, values: BigUint64Array.from(v) as ColumnValues })),
    boolColumn.map((v) => ({ type: BOOLEAN, values: Uint8Array.from(v) as ColumnValues })),
    stringColumn.map((v) => ({ type: STRING, values: v as ColumnValues })),
  )
  .chain(({ type, values }) =>
    timeColumn.map((ts) => {
      const times = new BigInt64Array(values.length);
      for (let i = 0; i < times.length; i++) times[i] = ts.length ? ts[i % ts.length] + BigInt(i) : BigInt(i);
      return { type, times: BigInt64Array.from(times, (t) => BigInt.asIntN(64, t)), values };
    }),
  );

function sameValues(type: number, a: ColumnValues, b: ColumnValues): boolean {
  if (type === STRING) return JSON.stringify(a) === JSON.stringify(b);
  if (type === BOOLEAN) return a.length === b.length && (a as Uint8Array).every((x, i) => x === (b as Uint8Array)[i]);
  return sameWords(words(a as Float64Array), words(b as Float64Array));
}

function encode(c: Column, from = 0, to = c.times.length): Uint8Array {
  const out = new ByteWriter(64);
  encodeBlock(c.type, c.times, c.values, from, to, out);
  return out.bytes().slice();
}

describe('block', () => {
  beforeAll(() => initCodecs());

  it('round-trips 10,000 generated blocks of every type', () => {
    fc.assert(
      fc.property(column, (c) => {
        const b = encode(c);
        const d = decodeBlock(b);
        expect(d.type).toBe(c.type);
        expect(sameWords(words(d.times), words(c.times))).toBe(true);
        expect(sameValues(c.type, d.values, c.values)).toBe(true);
        const t = decodeBlockTimes(b);
        expect(t.count).toBe(c.times.length);
        expect(sameWords(words(t.times), words(c.times))).toBe(true);
        const layout = blockLayout(b);
        expect(6 + layout.timesBytes + layout.valuesBytes).toBe(b.length);
      }),
      { numRuns: 10_000 },
    );
  });

  it('decodeBlockFloat gives decodeBlock\'s float values from a block at any byte offset', () => {
    // The TSM reader decodes blocks in place in its read buffer, at any alignment; the
    // integer unpackers read it with unaligned 32-bit loads (intpack.ts, sparse.ts).
    fc.assert(
      fc.property(floatColumn, fc.integer({ min: 0, max: 7 }), (v, k) => {
        const values = toFloat64Array(v);
        const times = BigInt64Array.from(values, (_, i) => BigInt(i) * 10_000_000_000n);
        const b = encode({ type: FLOAT, times, values });
        const host = new Uint8Array(k + b.length + 16).fill(0xa5);
        host.set(b, k);
        const d = decodeBlockFloat(host.subarray(k, k + b.length));
        expect(sameWords(words(d.values), words(decodeBlock(b).values as Float64Array))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodeBlockFloat gives the first and last times as int64 words, regular or not', () => {
    // ascending unique times, as the TSM writer gives
    const numeric = column.filter((c) => c.type !== STRING && c.times.length > 0).map((c) => {
      const times = BigInt64Array.from(new Set(c.times)).sort();
      return { ...c, times, values: c.values.slice(0, times.length) as ColumnValues };
    });
    const wordsOf = (t: bigint): number[] => [Number(BigInt.asUintN(32, t)), Number(BigInt.asUintN(32, t >> 32n))];
    fc.assert(
      fc.property(numeric, (c) => {
        const d = decodeBlockFloat(encode(c));
        const n = c.times.length;
        expect(d.values.length).toBe(n);
        expect([d.firstLo, d.firstHi, d.lastLo, d.lastHi]).toEqual([...wordsOf(c.times[0]), ...wordsOf(c.times[n - 1])]);
        expect(d.ascending).toBe(true);
      }),
      { numRuns: 5000, seed: 20261122 },
    );
  });

  it('regular times at the int64 edges and with huge steps: the same times and words as the general path', () => {
    const MAX = 2n ** 63n - 1n;
    const cases: [bigint, bigint, number][] = [
      [1767225600000000000n, 10_000_000_000n, 1000],
      [-5_000_000_123n, 1_000_000n, 300],
      [MAX - 999n * 1_000_000n - 775_807n, 1_000_000n, 1000], // tn = floor(MAX / 1e6) * 1e6: last ms, in range
      [MAX - 999n * 1_000_000n, 1_000_000n, 1000], // tn = MAX exactly
      [-(2n ** 63n), 18_014_398_509_000_000n, 3], // a step past 2^54 ns
      [0n, 10_000_000_000_000n, 2000], // a span past 2^53 ns
      [123_456_789n, 7_000_000n, 2],
    ];
    for (const [t0, step, n] of cases) {
      const times = BigInt64Array.from({ length: n }, (_, i) => t0 + BigInt(i) * step);
      const values = Float64Array.from({ length: n }, (_, i) => i / 4);
      const b = encode({ type: FLOAT, times, values });
      expect(blockLayout(b).timesTag).toBe(2); // TS_STEP
      const d = decodeBlockFloat(b);
      expect(d.times).toBeNull();
      const ms = (t: bigint): number => Number(t >= 0n || t % 1_000_000n === 0n ? t / 1_000_000n : t / 1_000_000n - 1n);
      for (const i of [0, 1, n - 1]) expect(d.t0 + i * d.step).toBe(ms(times[i]));
      const w = (t: bigint): number[] => [Number(BigInt.asUintN(32, t)), Number(BigInt.asUintN(32, t >> 32n))];
      expect([d.firstLo, d.firstHi, d.lastLo, d.lastHi]).toEqual([...w(times[0]), ...w(times[n - 1])]);
    }
  });

  it('encodes a sub-range and appends to what the writer holds', () => {
    const c: Column = { type: FLOAT, times: BigInt64Array.of(1n, 2n, 3n, 4n), values: Float64Array.of(1.5, NaN, -0, 4) };
    const out = new ByteWriter(4);
    out.u8(99);
    encodeBlock(c.type, c.times, c.values, 1, 3, out);
    const d = decodeBlock(out.bytes().subarray(1));
    expect([...d.times]).toEqual([2n, 3n]);
    expect(Object.is((d.values as Float64Array)[1], -0)).toBe(true);
    expect(out.buf[0]).toBe(99);
  });

  it('encodes empty and single-point blocks', () => {
    for (const c of [
      { type: FLOAT, times: new BigInt64Array(0), values: new Float64Array(0) },
      { type: STRING, times: new BigInt64Array(0), values: [] },
      { type: INTEGER, times: BigInt64Array.of(-(2n ** 63n)), values: BigInt64Array.of(2n ** 63n - 1n) },
      { type: UNSIGNED, times: BigInt64Array.of(2n ** 62n), values: BigUint64Array.of(2n ** 64n - 1n) },
      { type: BOOLEAN, times: BigInt64Array.of(0n), values: Uint8Array.of(1) },
      { type: STRING, times: BigInt64Array.of(0n), values: [''] },
    ] as Column[]) {
      const d = decodeBlock(encode(c));
      expect(d.times).toEqual(c.times);
      expect(sameValues(c.type, d.values, c.values)).toBe(true);
    }
  });

  it('rejects mismatched value types and bad ranges', () => {
    const out = new ByteWriter();
    expect(() => encodeBlock(FLOAT, BigInt64Array.of(1n), BigInt64Array.of(1n), 0, 1, out)).toThrow(TypeError);
    expect(() => encodeBlock(INTEGER, BigInt64Array.of(1n), BigInt64Array.of(1n), 0, 2, out)).toThrow(RangeError);
    expect(out.pos).toBe(0);
  });

  describe('corruption', () => {
    const blocks = column.filter((c) => c.times.length > 0).map((c) => encode(c));

    it('throws BlockDecodeError on every truncation', () => {
      fc.assert(
        fc.property(blocks, fc.nat(), (b, k) => {
          const cut = b.subarray(0, k % b.length);
          expect(() => decodeBlock(cut)).toThrow(BlockDecodeError);
        }),
        { numRuns: 3000 },
      );
    });

    it('throws BlockDecodeError on trailing garbage', () => {
      fc.assert(
        fc.property(blocks, fc.integer({ min: 1, max: 255 }), (b, x) => {
          const longer = new Uint8Array(b.length + 1);
          longer.set(b);
          longer[b.length] = x;
          expect(() => decodeBlock(longer)).toThrow(BlockDecodeError);
        }),
        { numRuns: 3000 },
      );
    });

    it('never hangs or throws anything but BlockDecodeError on flipped bits', () => {
      let detected = 0;
      let runs = 0;
      fc.assert(
        fc.property(blocks, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (b, flips) => {
          const bad = b.slice();
          for (const f of flips) bad[(f >>> 3) % bad.length] ^= 1 << (f & 7);
          runs++;
          try {
            const d = decodeBlock(bad);
            // undetected here (a value bit changed): the file layer's CRC catches it
            expect(d.times.length).toBeLessThanOrEqual(MAX_BLOCK_POINTS);
          } catch (err) {
            expect(err).toBeInstanceOf(BlockDecodeError);
            detected++;
          }
        }),
        { numRuns: 3000, seed: 20261122 },
      );
      expect(detected / runs).toBeGreaterThan(0.2);
    });

    it('refuses unknown versions, types and tags, and huge counts', () => {
      const b = encode({ type: FLOAT, times: BigInt64Array.of(1n, 2n), values: Float64Array.of(1, 2) });
      const patch = (at: number, v: number): Uint8Array => {
        const x = b.slice();
        x[at] = v;
        return x;
      };
      expect(() => decodeBlock(patch(0, 2))).toThrow(/version/);
      expect(() => decodeBlock(patch(1, 9))).toThrow(/value type/);
      expect(() => decodeBlock(patch(5, 0x10))).toThrow(/points/);
      expect(() => decodeBlock(patch(6, 0x7f))).toThrow(/timestamp encoding/);
      expect(() => decodeBlock(new Uint8Array(0))).toThrow(BlockDecodeError);
    });
  });
});

describe('floorMsOfWords', () => {
  it('is floor(t / 1e6) for every int64, as BigInt division gives it', () => {
    const floorDiv = (t: bigint): number => {
      const q = t / 1_000_000n;
      return Number(t < 0n && q * 1_000_000n !== t ? q - 1n : q);
    };
    const near = fc.tuple(fc.bigInt({ min: -(2n ** 63n) / 1_000_000n, max: (2n ** 63n - 1n) / 1_000_000n }), fc.integer({ min: -2, max: 2 }));
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), near.map(([k, d]) => k * 1_000_000n + BigInt(d))), (t) => {
        t = BigInt.asIntN(64, t);
        const w = new Uint32Array(new BigInt64Array([t]).buffer);
        expect(floorMsOfWords(w[0], w[1] | 0)).toBe(floorDiv(t));
      }),
      { numRuns: 2000 },
    );
  });
});
