import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOOL_BITS, BOOL_CONST, BOOL_RLE, decodeBooleans, encodeBooleans } from './booleans.js';
import { boolColumn, RUNS } from './testing/arbitraries.js';
import { decodeWith, encodeWith, type Encoded } from './testing/roundtrip.js';

function roundTrips(v: Uint8Array): Encoded {
  const e = encodeWith((out) => encodeBooleans(v, 0, v.length, out));
  const back = new Uint8Array(v.length);
  decodeWith(e, (tag, r) => decodeBooleans(tag, r, v.length, back, 0));
  expect(back).toEqual(v.map((x) => (x ? 1 : 0)));
  return e;
}

describe('boolean codec', () => {
  it('round-trips 10,000 generated columns', () => {
    const tags = new Set<number>();
    fc.assert(fc.property(boolColumn, (v) => void tags.add(roundTrips(Uint8Array.from(v)).tag)), RUNS);
    expect([...tags].sort()).toEqual([BOOL_CONST, BOOL_BITS, BOOL_RLE]);
  });

  it('stores a rarely flipping state in a few bytes and random bits in n/8', () => {
    const door = Uint8Array.from({ length: 1000 }, (_, i) => (Math.floor(i / 97) % 2));
    const e = roundTrips(door);
    expect(e.tag).toBe(BOOL_RLE);
    expect(e.bytes.length).toBeLessThan(15);
    const random = Uint8Array.from({ length: 1000 }, (_, i) => ((i * 2654435761) >>> 13) & 1);
    expect(roundTrips(random).bytes.length).toBe(125);
  });

  it('stores any nonzero byte as true', () => {
    const e = encodeWith((out) => encodeBooleans(Uint8Array.of(0, 7, 255, 0), 0, 4, out));
    const back = new Uint8Array(4);
    decodeWith(e, (tag, r) => decodeBooleans(tag, r, 4, back, 0));
    expect([...back]).toEqual([0, 1, 1, 0]);
  });

  it('encodes empty and single-value columns', () => {
    expect(roundTrips(new Uint8Array(0)).bytes.length).toBe(0);
    expect(roundTrips(Uint8Array.of(1)).tag).toBe(BOOL_CONST);
  });
});
