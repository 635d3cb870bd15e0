import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFloats, encodeFloats, FLT_CONST, FLT_DECIMAL, FLT_ORDERED, FLT_RAW, FLT_XOR } from './floats.js';
import { floatColumn, RUNS, toFloat64Array } from './testing/arbitraries.js';
import { decodeWith, encodeWith, sameWords, words, type Encoded } from './testing/roundtrip.js';

function roundTrips(f: Float64Array): Encoded {
  const e = encodeWith((out) => encodeFloats(words(f), f, 0, f.length, out));
  const back = new Float64Array(f.length);
  decodeWith(e, (tag, r) => decodeFloats(tag, r, f.length, words(back), back, 0));
  expect(sameWords(words(back), words(f))).toBe(true); // bit for bit: NaN payloads, -0
  return e;
}

describe('float codec', () => {
  it('round-trips 10,000 generated columns bit for bit', () => {
    const tags = new Set<number>();
    fc.assert(fc.property(floatColumn, (bits) => void tags.add(roundTrips(toFloat64Array(bits)).tag)), RUNS);
    expect([...tags].sort()).toEqual([FLT_RAW, FLT_CONST, FLT_XOR, FLT_DECIMAL, FLT_ORDERED]);
  });

  it('keeps NaN payloads, -0, infinities and subnormals', () => {
    const edge = [0, 0x80000000, 1, 0x7ff00000, 0xdeadbeef, 0xfff80001, 0, 0x7ff00000, 0, 0xfff00000, 1, 0, 0xffffffff, 0x000fffff, 0, 0];
    const w = Uint32Array.from({ length: 400 }, (_, i) => (i < 16 ? edge[i] : i & 1 ? 0x7ff80000 : i & 2)); // then NaNs with small payloads
    const f = new Float64Array(w.buffer);
    expect([FLT_XOR, FLT_ORDERED]).toContain(roundTrips(f).tag);
    expect([FLT_XOR, FLT_ORDERED, FLT_RAW]).toContain(roundTrips(f.subarray(0, 8)).tag);
  });

  it('stores a full-precision random walk in XOR or ordered deltas, whichever is smaller', () => {
    let x = 50;
    let seed = 11;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const f = Float64Array.from({ length: 1000 }, () => (x = Math.min(100, Math.max(0, x + (rnd() - 0.5) * 3))));
    const e = roundTrips(f);
    expect([FLT_XOR, FLT_ORDERED]).toContain(e.tag);
    expect(e.bytes.length / 1000).toBeLessThan(7);
    const neg = f.map((x) => -x); // the order map flips negative patterns; deltas stay small
    expect(roundTrips(neg).bytes.length).toBe(e.bytes.length);
    const mixed = f.map((x) => x - 50); // crossing zero (and -0 / +0) still round-trips
    roundTrips(mixed);
  });

  it('stores constant columns in 8 bytes', () => {
    expect(roundTrips(new Float64Array(100).fill(NaN)).bytes.length).toBe(8);
    expect(roundTrips(new Float64Array(100).fill(-0)).tag).toBe(FLT_CONST);
  });

  it('encodes empty and single-value columns', () => {
    expect(roundTrips(new Float64Array(0)).bytes.length).toBe(0);
    expect(roundTrips(Float64Array.of(-0)).bytes.length).toBe(8);
  });
});
