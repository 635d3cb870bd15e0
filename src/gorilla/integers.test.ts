import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInts, encodeInts, INT_CONST, INT_DELTA, INT_DOD, INT_RAW, INT_RLE, INT_STEP } from './integers.js';
import { PACK_FOR, PACK_ZR, PACK_ZZ } from './intpack.js';
import { int64Column, MAX_I64, MAX_U64, MIN_I64, RUNS, uint64Column } from './testing/arbitraries.js';
import { decodeWith, encodeWith, sameWords, words, type Encoded } from './testing/roundtrip.js';

function roundTrips(a: BigInt64Array | BigUint64Array): Encoded {
  const e = encodeWith((out) => encodeInts(words(a), 0, a.length, out));
  const back = a instanceof BigInt64Array ? new BigInt64Array(a.length) : new BigUint64Array(a.length);
  decodeWith(e, (tag, r) => decodeInts(tag, r, a.length, words(back), 0));
  expect(sameWords(words(back), words(a))).toBe(true);
  return e;
}

describe('integer codec', () => {
  it('round-trips 10,000 generated int64 columns exactly', () => {
    const tags = new Set<number>();
    const packings = new Set<string>();
    fc.assert(
      fc.property(int64Column, (v) => {
        const e = roundTrips(BigInt64Array.from(v));
        tags.add(e.tag);
        if (e.tag === INT_DELTA || e.tag === INT_DOD) {
          const kind = e.bytes[e.tag === INT_DELTA ? firstVarintEnd(e.bytes, 0) : firstVarintEnd(e.bytes, firstVarintEnd(e.bytes, 0))];
          packings.add(kind >= 1 && kind <= 64 ? 'ZF' : kind === PACK_FOR ? 'FOR' : kind === PACK_ZZ ? 'ZZ' : kind === PACK_ZR ? 'ZR' : `bad ${kind}`);
        }
      }),
      RUNS,
    );
    expect([...tags].sort()).toEqual([INT_RAW, INT_CONST, INT_STEP, INT_DELTA, INT_DOD, INT_RLE]);
    expect([...packings].sort()).toEqual(['FOR', 'ZF', 'ZR', 'ZZ']); // every packing was exercised
  });

  it('round-trips 10,000 generated uint64 columns exactly', () => {
    fc.assert(fc.property(uint64Column, (v) => void roundTrips(BigUint64Array.from(v))), RUNS);
  });

  it('is exact at the extremes, where deltas wrap', () => {
    roundTrips(BigInt64Array.of(MIN_I64, MAX_I64, MIN_I64, 0n, MAX_I64, -1n));
    roundTrips(BigUint64Array.of(0n, MAX_U64, 0n, MAX_U64 - 1n, 2n ** 63n, 2n ** 63n - 1n));
    roundTrips(BigInt64Array.from({ length: 300 }, (_, i) => (i % 2 ? MIN_I64 : MAX_I64)));
  });

  it('picks compact encodings for counters and gauges', () => {
    const counter = BigInt64Array.from({ length: 1000 }, (_, i) => 1_000_000_000_000n + BigInt(i * 100 + ((i * 7919) % 13)));
    const e1 = roundTrips(counter);
    expect([INT_DELTA, INT_DOD]).toContain(e1.tag);
    expect(e1.bytes.length).toBeLessThan(700); // ~5-bit deltas instead of 8 bytes
    const battery = BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(90 - Math.floor(i / 400)));
    const e2 = roundTrips(battery);
    expect([INT_RLE, INT_DELTA]).toContain(e2.tag); // runs, or sparse deltas in zero runs
    expect(e2.bytes.length).toBeLessThan(12);
    expect(roundTrips(BigInt64Array.from({ length: 10 }, (_, i) => BigInt(i) * 3n)).tag).toBe(INT_STEP);
    expect(roundTrips(BigInt64Array.of(5n)).tag).toBe(INT_CONST);
    expect(roundTrips(new BigInt64Array(0)).bytes.length).toBe(0);
  });
});

function firstVarintEnd(b: Uint8Array, p: number): number {
  while (b[p] & 128) p++;
  return p + 1;
}
