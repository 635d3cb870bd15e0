import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStrings, encodeStrings, STR_DICT, STR_RAW, STR_WTF8, STR_ZSTD } from './strings.js';
import { RUNS, stringColumn } from './testing/arbitraries.js';
import { decodeWith, encodeWith, type Encoded } from './testing/roundtrip.js';
import { initCodecs } from './zstd.js';

function roundTrips(v: string[]): Encoded {
  const e = encodeWith((out) => encodeStrings(v, 0, v.length, out));
  const back = new Array<string>(v.length);
  decodeWith(e, (tag, r) => decodeStrings(tag, r, v.length, back, 0));
  expect(back).toEqual(v);
  return e;
}

describe('string codec', () => {
  beforeAll(() => initCodecs());

  it('round-trips 10,000 generated columns, lone surrogates included', () => {
    const tags = new Set<number>();
    fc.assert(fc.property(stringColumn, (v) => void tags.add(roundTrips(v).tag)), RUNS);
    for (const t of [STR_RAW, STR_ZSTD, STR_DICT, STR_RAW | STR_WTF8, STR_DICT | STR_WTF8]) expect(tags).toContain(t);
  });

  it('keeps a leading byte order mark and surrogates paired across values', () => {
    roundTrips(['\uFEFFa', '\uFEFF']);
    const split = roundTrips(['a\uD83D', '\uDE00b', '\uD83D']); // a pair only when concatenated
    expect(split.tag & STR_WTF8).toBe(STR_WTF8);
    expect(roundTrips(['a\uD83D', '\uDE00b']).tag & STR_WTF8).toBe(0);
  });

  it('stores a status column as a dictionary with runs, a few bytes per block', () => {
    const v = Array.from({ length: 1000 }, (_, i) => (i < 300 ? 'ok' : i < 310 ? 'warn' : 'ok'));
    const e = roundTrips(v);
    expect(e.tag).toBe(STR_DICT);
    expect(e.bytes.length).toBeLessThanOrEqual(20);
  });

  it('compresses repetitive text with zstd', () => {
    const v = Array.from({ length: 500 }, (_, i) => `GET /api/v1/items/${i % 37} 200 ${(i * 7) % 1000}ms`);
    const e = roundTrips(v);
    expect(e.tag).toBe(STR_ZSTD);
    expect(e.bytes.length).toBeLessThan(v.join('').length / 4);
  });

  it('encodes empty and single-value columns', () => {
    expect(roundTrips([]).bytes.length).toBe(1); // varint byte length 0
    roundTrips(['']);
    roundTrips(['only']);
  });
});
