import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setInt64 } from '../int64.js';
import { FLOAT, INTEGER, STRING } from '../types.js';
import { Column, STRING_VALUE_BYTES } from './column.js';

/** Appends (time, value) pairs through the word-level API the memtable uses. */
function fill(col: Column, points: [bigint, bigint | string][]): void {
  const tw = new Uint32Array(2);
  const vw = new Uint32Array(2);
  for (const [t, v] of points) {
    setInt64(tw, 0, t);
    if (typeof v === 'string') col.append(tw, 0, vw, 0, v);
    else {
      setInt64(vw, 0, v);
      col.append(tw, 0, vw, 0, undefined);
    }
  }
}

/** The reference model: last write of each timestamp, ascending. */
function model(points: [bigint, bigint | string][]): [bigint, bigint | string][] {
  const m = new Map<bigint, bigint | string>();
  for (const [t, v] of points) m.set(t, v);
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);

describe('memtable column', () => {
  it('is sorted and unique after normalize, last write winning (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(int64, fc.bigInt(-5n, 5n)), int64), { maxLength: 200 }),
        (points) => {
          const col = new Column(INTEGER);
          fill(col, points);
          col.normalize();
          const { times, values } = col.slice(0, col.n);
          const want = model(points);
          expect([...times]).toEqual(want.map((p) => p[0]));
          expect([...(values as BigInt64Array)]).toEqual(want.map((p) => p[1]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('handles strings and keeps its byte count honest', () => {
    const col = new Column(STRING);
    fill(col, [[3n, 'c'], [1n, 'a'], [3n, 'C'], [2n, 'b']]);
    expect(col.sorted).toBe(false);
    const before = col.bytes;
    const freed = col.normalize();
    expect(freed).toBeGreaterThan(0);
    expect(col.bytes).toBe(before - freed);
    const { times, values } = col.slice(0, col.n);
    expect([...times]).toEqual([1n, 2n, 3n]);
    expect(values).toEqual(['a', 'b', 'C']);
  });

  it('counts its arrays at allocated capacity and each string with its V8 cost', () => {
    const col = new Column(FLOAT);
    expect(col.bytes).toBe(col.time.byteLength + col.bits.byteLength);
    let sum = col.bytes;
    const tw = new Uint32Array(2);
    const vw = new Uint32Array(2);
    for (let i = 0; i < 1000; i++) {
      setInt64(tw, 0, BigInt(i));
      sum += col.append(tw, 0, vw, 0, undefined);
      // Always the capacity, not the used length (doubling leaves up to half unused).
      expect(col.bytes).toBe(col.time.byteLength + col.bits.byteLength);
    }
    expect(sum).toBe(col.bytes);
    expect(col.bytes).toBe(1024 * 16);

    const str = new Column(STRING);
    fill(str, [[2n, 'hello'], [1n, 'hi'], [2n, 'bye']]);
    expect(str.bytes).toBe(str.time.byteLength + 3 * STRING_VALUE_BYTES + 5 + 2 + 3);
    expect(str.bytes - str.normalize()).toBe(str.time.byteLength + 2 * STRING_VALUE_BYTES + 2 + 3);
    expect(str.bytes).toBe(str.time.byteLength + 2 * STRING_VALUE_BYTES + 2 + 3);
    expect(str.bytes - str.removeRange(0, 1)).toBe(str.time.byteLength + STRING_VALUE_BYTES + 3);
    expect(str.bytes).toBe(str.time.byteLength + STRING_VALUE_BYTES + 3);
  });

  it('finds range bounds across the sign and 2^32 boundaries', () => {
    const col = new Column(FLOAT);
    const ts = [-(2n ** 40n), -1n, 0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 62n];
    fill(col, ts.map((t) => [t, 0n]));
    expect(col.sorted).toBe(true);
    const words = new Uint32Array(2);
    for (const [i, t] of ts.entries()) {
      setInt64(words, 0, t);
      expect(col.lowerBound(words[1] | 0, words[0])).toBe(i);
    }
  });
});
