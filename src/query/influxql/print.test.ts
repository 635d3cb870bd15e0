import { describe, expect, it } from 'vitest';
import { formatTimeNs } from './print.js';

/** The straightforward RFC3339Nano: BigInt seconds, Date for the calendar. */
function reference(ns: bigint): string {
  const S = 1_000_000_000n;
  const sec = ns >= 0n ? ns / S : -((-ns + S - 1n) / S);
  const frac = ns - sec * S;
  let out = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  if (frac !== 0n) out += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return out + 'Z';
}

describe('formatTimeNs', () => {
  it('writes Go RFC3339Nano: trailing zeros of the fraction trimmed, UTC', () => {
    expect(formatTimeNs(0n)).toBe('1970-01-01T00:00:00Z');
    expect(formatTimeNs(1n)).toBe('1970-01-01T00:00:00.000000001Z');
    expect(formatTimeNs(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatTimeNs(1_600_000_010_500_000_000n)).toBe('2020-09-13T12:26:50.5Z');
    expect(formatTimeNs(951_782_400_000_000_000n)).toBe('2000-02-29T00:00:00Z');
    expect(formatTimeNs(-9_223_372_036_854_775_808n)).toBe('1677-09-21T00:12:43.145224192Z');
    expect(formatTimeNs(9_223_372_036_854_775_807n)).toBe('2262-04-11T23:47:16.854775807Z');
  });

  it('agrees with the BigInt and Date version over the whole int64 range', () => {
    let x = 12345n;
    const mask = (1n << 64n) - 1n;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & mask;
      const v = BigInt.asIntN(64, x);
      for (const t of [v, v / 1000n, (v / 1_000_000_000n) * 1_000_000_000n, v % (1n << 40n)]) expect(formatTimeNs(t)).toBe(reference(t));
    }
  });
});
