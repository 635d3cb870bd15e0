// TsmReader.readFloat: the same points as read(), times as floor(ns / 1e6) and values as
// float64, from the cache or not; a damaged block fails only the reads that need it.

import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.js';
import type { ColumnValues } from '../types.js';
import { FLOAT, STRING } from '../types.js';
import { BlockCache } from './cache.js';
import { TsmReader } from './reader.js';
import { fileArb } from './testing/columns.js';
import { tsmScratch } from './testing/files.js';
import { writeTsmFile, type TsmColumnInput } from './writer.js';

const file = tsmScratch();

const floorDiv = (t: bigint): number => Number(t >= 0n || t % 1_000_000n === 0n ? t / 1_000_000n : t / 1_000_000n - 1n);

function asFloats(v: ColumnValues): ArrayLike<number> {
  if (v instanceof Float64Array) return v;
  if (v instanceof Uint8Array) return Array.from(v, (x) => (x ? 1 : 0));
  return Array.from(v as BigInt64Array, (x) => Number(x));
}

/** Bit patterns, so NaN payloads (stale markers) and -0 count. */
function bitsOf(a: ArrayLike<number>): string[] {
  const f = a instanceof Float64Array ? a : Float64Array.from(a);
  const w = new Uint32Array(f.buffer, f.byteOffset, 2 * f.length);
  return Array.from(f, (_, i) => `${w[2 * i]}:${w[2 * i + 1]}`);
}

describe('readFloat', () => {
  it('gives read()\'s points as ms times and float64 values, for any range, cached or not', () => {
    fc.assert(
      fc.property(fileArb, fc.array(fc.tuple(fc.option(fc.integer({ min: -3, max: 4 })), fc.option(fc.integer({ min: -3, max: 4 }))), { minLength: 1, maxLength: 4 }), ({ maxPoints, cols }, picks) => {
        const p = file();
        writeTsmFile(p, cols, { maxPointsPerBlock: maxPoints });
        for (const cache of [undefined, new BlockCache(1 << 20)]) {
          const r = TsmReader.open(p, { cache });
          try {
            for (let pass = 0; pass < 2; pass++) {
              for (const c of cols) {
                if (c.type === STRING) {
                  if (c.times.length > 0) expect(() => r.readFloat(c.seriesId, c.field)).toThrow(TypeError);
                  continue;
                }
                // ranges around the column's own times (in ms), and open ones
                const n = c.times.length;
                const ms = (k: number): number | undefined => (n === 0 ? 0 : floorDiv(c.times[Math.min(n - 1, Math.max(0, Math.floor(((k + 3) * (n - 1)) / 7)))]) + (k % 2));
                for (const [a, b] of picks) {
                  const startMs = a === null ? undefined : ms(a);
                  const endMs = b === null ? undefined : ms(b);
                  const want = r.read(c.seriesId, c.field, startMs === undefined ? undefined : BigInt(startMs) * 1_000_000n, endMs === undefined ? undefined : BigInt(endMs) * 1_000_000n);
                  const got = r.readFloat(c.seriesId, c.field, startMs, endMs)!;
                  if (want === null) {
                    expect(got).toBeNull(); // a column without points is not in the file
                    continue;
                  }
                  expect(got.type).toBe(c.type);
                  expect(Array.from(got.times)).toEqual(Array.from(want.times, floorDiv));
                  expect(bitsOf(got.values)).toEqual(bitsOf(asFloats(want.values)));
                }
              }
            }
            expect(r.readFloat(123456, 'nope')).toBeNull();
          } finally {
            r.close();
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a damaged block fails readFloat of that block only, naming its offset', () => {
    const p = file();
    const cols: TsmColumnInput[] = Array.from({ length: 4 }, (_, s) => ({
      seriesId: s,
      field: 'v',
      type: FLOAT,
      times: BigInt64Array.from({ length: 30 }, (_, i) => 1_000_000_000n + BigInt(i) * 10_000_000n),
      values: Float64Array.from({ length: 30 }, (_, i) => s + i / 3),
    }));
    writeTsmFile(p, cols, { maxPointsPerBlock: 10 });
    const bytes = fs.readFileSync(p);
    const r0 = TsmReader.open(p);
    const targets = [...r0.columns()].flatMap((c) => r0.blocks(c.seriesId, c.field).map((b) => ({ ...c, b })));
    r0.close();
    const bad = file();
    fc.assert(
      fc.property(fc.nat({ max: targets.length - 1 }), fc.nat(), fc.nat({ max: 7 }), (ti, pos, bit) => {
        const { seriesId, field, b } = targets[ti];
        const damaged = Buffer.from(bytes);
        damaged[b.offset + (pos % (4 + b.size))] ^= 1 << bit;
        fs.writeFileSync(bad, damaged);
        const r = TsmReader.open(bad, { cache: new BlockCache(1 << 20) });
        try {
          for (let k = 0; k < 2; k++) {
            let err: unknown = null;
            try {
              r.readFloat(seriesId, field);
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(CorruptionError);
            expect((err as CorruptionError).offset).toBe(b.offset);
          }
          for (const c of r.columns()) if (c.seriesId !== seriesId) expect(r.readFloat(c.seriesId, c.field)!.times.length).toBe(30);
        } finally {
          r.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
