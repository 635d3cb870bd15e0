import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTimestamps, encodeTimestamps, TS_DELTA, TS_DOD, TS_GRID, TS_RAW, TS_STEP } from './timestamps.js';
import { MAX_I64, MIN_I64, RUNS, timeColumn } from './testing/arbitraries.js';
import { decodeWith, encodeWith, sameWords, words, type Encoded } from './testing/roundtrip.js';

function encode(t: BigInt64Array, from = 0, to = t.length): Encoded {
  return encodeWith((out) => encodeTimestamps(words(t), from, to, out));
}

function roundTrips(t: BigInt64Array, from = 0, to = t.length): Encoded {
  const e = encode(t, from, to);
  const back = new BigInt64Array(t.length);
  decodeWith(e, (tag, r) => decodeTimestamps(tag, r, to - from, words(back), from));
  expect(sameWords(words(back.subarray(from, to)), words(t.subarray(from, to)))).toBe(true);
  return e;
}

const T0 = 1767225600000000000n; // 2026-01-01, past 2^53

describe('timestamp codec', () => {
  it('round-trips 10,000 generated columns exactly', () => {
    const tags = new Set<number>();
    fc.assert(fc.property(timeColumn, (ts) => void tags.add(roundTrips(BigInt64Array.from(ts)).tag)), RUNS);
    expect([...tags].sort()).toEqual([TS_RAW, TS_STEP, TS_DELTA, TS_DOD, TS_GRID]);
  });

  it('round-trips a sub-range at an offset', () => {
    fc.assert(
      fc.property(timeColumn, fc.nat(), fc.nat(), (ts, a, b) => {
        const t = BigInt64Array.from(ts);
        const from = t.length ? a % (t.length + 1) : 0;
        const to = from + (t.length - from ? b % (t.length - from + 1) : 0);
        roundTrips(t, from, to);
      }),
      { numRuns: 1000 },
    );
  });

  it('stores a regular series as first + step', () => {
    const t = BigInt64Array.from({ length: 1000 }, (_, i) => T0 + BigInt(i) * 10_000_000_000n);
    const e = roundTrips(t);
    expect(e.tag).toBe(TS_STEP);
    expect(e.bytes.length).toBeLessThanOrEqual(14);
  });

  it('stores a jittered clock as grid residuals, about 2 bits per point', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const t = BigInt64Array.from({ length: 1000 }, (_, i) => T0 + BigInt(i) * 5_000_000_000n + (rnd() < 0.1 ? BigInt(Math.round((rnd() * 2 - 1) * 400)) * 1_000_000n : 0n));
    const e = roundTrips(t);
    expect(e.tag).toBe(TS_GRID);
    expect(e.bytes.length).toBeLessThan(320);
  });

  it('uses delta-of-delta for a drifting clock and delta for irregular events', () => {
    const drift = BigInt64Array.from({ length: 500 }, (_, i) => T0 + BigInt(i) * 1_000_000_000n + BigInt(i * i) * 1000n);
    expect(roundTrips(drift).tag).toBe(TS_DOD);
    let seed = 3;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let x = T0;
    const events = BigInt64Array.from({ length: 500 }, () => (x += BigInt(Math.floor(rnd() * 1e6)) * 1000n));
    expect(roundTrips(events).tag).toBe(TS_DELTA);
  });

  it('handles deltas that overflow int64, negative and extreme times', () => {
    for (const ts of [
      [MIN_I64, MAX_I64, MIN_I64, MAX_I64],
      [MAX_I64, MIN_I64],
      [-5n, -4n, -3n, -1n],
      [MIN_I64, MIN_I64 + 1n, MIN_I64 + 3n],
      [MAX_I64, MAX_I64, MAX_I64],
      [0n, 2n ** 52n, 2n ** 53n, 2n ** 53n + 1n],
      [T0, T0 - 1n, T0 + 7n, T0, T0], // unsorted and duplicate
    ]) {
      roundTrips(BigInt64Array.from(ts));
    }
  });

  it('encodes empty and single-value columns', () => {
    expect(roundTrips(new BigInt64Array(0)).bytes.length).toBe(0);
    const one = roundTrips(BigInt64Array.of(T0));
    expect(one.tag).toBe(TS_RAW);
    expect(one.bytes.length).toBe(8);
  });
});
