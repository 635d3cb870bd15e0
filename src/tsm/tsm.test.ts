import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { FieldTypeCode } from '../types.js';
import { BlockCache } from './cache.js';
import { TsmReader } from './reader.js';
import { fileArb, filterRange, valueKeys } from './testing/columns.js';
import { tsmScratch } from './testing/files.js';
import { verifyTsmFile } from './verify.js';
import { TsmWriter, writeTsmFile } from './writer.js';
import type { TsmColumnInput } from './writer.js';

const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;

const file = tsmScratch();

function expectColumn(r: TsmReader, col: TsmColumnInput, start?: bigint, end?: bigint): void {
  const got = r.read(col.seriesId, col.field, start, end);
  expect(got).not.toBeNull();
  const want = filterRange(col, start, end);
  expect(got!.type).toBe(col.type);
  expect(Array.from(got!.times)).toEqual(want.times);
  expect(valueKeys(got!.values)).toEqual(valueKeys(col.values, want.idx));
}

function floatCol(seriesId: number, field: string, t0: bigint, n: number, step = 10n): TsmColumnInput {
  const times = new BigInt64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = t0 + BigInt(i) * step;
    values[i] = seriesId + i / 10;
  }
  return { seriesId, field, type: FLOAT, times, values };
}

describe('TSM round trip', () => {
  it('reads back generated files of every type exactly, whole and by range', () => {
    fc.assert(
      fc.property(fileArb, fc.array(fc.tuple(fc.bigInt({ min: MIN_I64, max: MAX_I64 }), fc.bigInt({ min: MIN_I64, max: MAX_I64 })), { maxLength: 3 }), ({ maxPoints, cols }, ranges) => {
        const p = file();
        const meta = writeTsmFile(p, cols, { maxPointsPerBlock: maxPoints });
        const nonEmpty = cols.filter((c) => c.times.length > 0);
        const points = nonEmpty.reduce((a, c) => a + c.times.length, 0);
        expect(meta.pointCount).toBe(points);
        expect(meta.blockCount).toBe(nonEmpty.reduce((a, c) => a + Math.ceil(c.times.length / maxPoints), 0));
        expect(meta.size).toBe(fs.statSync(p).size);
        const r = TsmReader.open(p, { cache: new BlockCache(1 << 20) });
        try {
          expect(r.meta).toEqual(meta);
          expect(Array.from(r.seriesIds())).toEqual([...new Set(nonEmpty.map((c) => c.seriesId))]);
          if (points > 0) {
            expect(meta.minTime).toBe(nonEmpty.map((c) => c.times[0]).reduce((a, b) => (a < b ? a : b)));
            expect(meta.maxTime).toBe(nonEmpty.map((c) => c.times[c.times.length - 1]).reduce((a, b) => (a > b ? a : b)));
          }
          for (const c of cols) {
            if (c.times.length === 0) {
              expect(r.read(c.seriesId, c.field)).toBeNull();
              continue;
            }
            expect(r.fieldsOf(c.seriesId)).toContain(c.field);
            expect(r.typeOfColumn(c.seriesId, c.field)).toBe(c.type);
            const blocks = r.blocks(c.seriesId, c.field);
            expect(blocks.length).toBe(Math.ceil(c.times.length / maxPoints));
            expect(blocks.reduce((a, b) => a + b.count, 0)).toBe(c.times.length);
            expectColumn(r, c);
            // block boundaries, one off either side, before and after everything, empty ranges
            const edges = [MIN_I64, MAX_I64, c.times[0], c.times[c.times.length - 1]];
            for (const b of blocks) edges.push(b.minTime, b.maxTime, b.minTime - 1n, b.maxTime + 1n);
            const pick = edges.filter((t) => t >= MIN_I64 && t <= MAX_I64);
            for (let i = 0; i < pick.length; i++) {
              expectColumn(r, c, pick[i], pick[(i + 3) % pick.length]);
              expectColumn(r, c, pick[i]);
              expectColumn(r, c, undefined, pick[i]);
            }
            for (const [a, b] of ranges) expectColumn(r, c, a, b);
          }
          expect(r.read(0xfffffffe, 'value')).toBeNull();
          expect(r.read(cols[0].seriesId, 'no such field')).toBeNull();
        } finally {
          r.close();
        }
        expect(verifyTsmFile(p)).toMatchObject({ ok: true, problems: [] });
        fs.rmSync(p);
      }),
      { numRuns: 250 },
    );
  });

  it('reads only the blocks that overlap the range', () => {
    const p = file();
    const c = floatCol(7, 'value', 1000n, 100); // times 1000, 1010, ..., 1990
    writeTsmFile(p, [c], { maxPointsPerBlock: 10 }); // blocks [1000,1090], [1100,1190], ...
    const r = TsmReader.open(p);
    const reads = (start?: bigint, end?: bigint): number => {
      const before = r.blockReads;
      r.read(7, 'value', start, end);
      return r.blockReads - before;
    };
    expect(reads(1095n, 1100n)).toBe(0); // between two blocks
    expect(reads(0n, 1000n)).toBe(0); // before all data
    expect(reads(1991n)).toBe(0); // after all data
    expect(reads(1500n, 1500n)).toBe(0); // empty
    expect(reads(1500n, 1400n)).toBe(0); // inverted
    expect(reads(1100n, 1200n)).toBe(1);
    expect(reads(1190n, 1201n)).toBe(2);
    expect(reads()).toBe(10);
    expect(r.read(7, 'value', 1095n, 1100n)!.times.length).toBe(0);
    r.close();
  });

  it('holds many series and fields, with one field name of different types in different series', () => {
    const p = file();
    const cols: TsmColumnInput[] = [];
    for (let s = 0; s < 300; s++) {
      for (const f of ['a', 'b', 'c']) cols.push(floatCol(s * 3, f, BigInt(s) * 1_000_000n, 5 + (s % 7)));
      const n = 3;
      const times = BigInt64Array.from([1n, 2n, 3n]);
      if (s % 2 === 0) cols.push({ seriesId: s * 3, field: 'd', type: INTEGER, times, values: BigInt64Array.from([1n, -2n, 3n]) });
      else cols.push({ seriesId: s * 3, field: 'd', type: STRING, times, values: ['x', 'y', 'z'].slice(0, n) });
    }
    const meta = writeTsmFile(p, cols);
    expect(meta.seriesCount).toBe(300);
    expect(meta.fields.map((f) => `${f.name}:${f.type}`).sort()).toEqual(['a:1', 'b:1', 'c:1', 'd:2', 'd:5']);
    const r = TsmReader.open(p);
    for (const c of cols) expectColumn(r, c);
    expect(r.fieldsOf(3)).toEqual(['a', 'b', 'c', 'd']);
    expect(r.typeOfColumn(0, 'd')).toBe(INTEGER);
    expect(r.typeOfColumn(3, 'd')).toBe(STRING);
    expect(r.typeOf('a')).toBe(FLOAT);
    expect(r.typeOf('zz')).toBeUndefined();
    expect([...r.columns()].length).toBe(1200);
    r.close();
  });

  it('copies raw blocks into an equivalent file (compaction)', () => {
    const src = file();
    const cols: TsmColumnInput[] = [
      floatCol(1, 'v', 0n, 35),
      { seriesId: 2, field: 'n', type: UNSIGNED, times: BigInt64Array.from([5n, 6n]), values: BigUint64Array.from([2n ** 64n - 1n, 0n]) },
      { seriesId: 2, field: 's', type: STRING, times: BigInt64Array.from([5n, 9n, 10n]), values: ['a', '', '😀'] },
      { seriesId: 3, field: 'b', type: BOOLEAN, times: BigInt64Array.from([1n, 2n]), values: Uint8Array.from([1, 0]) },
    ];
    writeTsmFile(src, cols, { maxPointsPerBlock: 10 });
    const r = TsmReader.open(src);
    const dst = file();
    const w = new TsmWriter(dst);
    for (const { seriesId, field, type } of r.columns()) {
      for (const ref of r.blocks(seriesId, field)) w.addRawBlock(seriesId, field, type, ref, r.rawBlock(ref));
    }
    // a column continued by a merged run after copied blocks
    w.add(floatCol(3, 'b2', 0n, 4));
    w.add(floatCol(3, 'b2', 100n, 3));
    const meta = w.finish();
    const r2 = TsmReader.open(dst);
    expect(meta.blockCount).toBe(r.meta.blockCount + 2);
    for (const c of cols) {
      expectColumn(r2, c);
      expect(r2.blocks(c.seriesId, c.field).map((b) => [b.minTime, b.maxTime, b.count, b.size])).toEqual(r.blocks(c.seriesId, c.field).map((b) => [b.minTime, b.maxTime, b.count, b.size]));
      for (const b of r2.blocks(c.seriesId, c.field)) expect(r2.rawBlock(b).equals(r.rawBlock(r.blocks(c.seriesId, c.field).find((x) => x.minTime === b.minTime)!))).toBe(true);
    }
    expect(Array.from(r2.read(3, 'b2')!.times)).toEqual([0n, 10n, 20n, 30n, 100n, 110n, 120n]);
    r.close();
    r2.close();
  });

  it('refuses columns out of order, unsorted times and mismatched types', () => {
    const w = new TsmWriter(file());
    w.add(floatCol(5, 'b', 0n, 3));
    expect(() => w.add(floatCol(4, 'z', 0n, 3))).toThrow(/order/);
    expect(() => w.add(floatCol(5, 'a', 0n, 3))).toThrow(/order/);
    expect(() => w.add(floatCol(5, 'b', 20n, 3))).toThrow(/does not come after/);
    expect(() => w.add({ ...floatCol(5, 'b', 100n, 3), type: INTEGER as FieldTypeCode })).toThrow(/type/);
    expect(() => w.add({ ...floatCol(6, 'b', 0n, 3), times: BigInt64Array.from([1n, 1n, 2n]) })).toThrow(/ascending and unique/);
    expect(() => w.add({ ...floatCol(6, 'b', 0n, 3), values: new Float64Array(2) })).toThrow(/values/);
    expect(() => w.add({ ...floatCol(6, 'b', 0n, 3), type: INTEGER })).toThrow();
    expect(() => w.add(floatCol(-1, 'b', 0n, 3))).toThrow(/uint32/);
    expect(() => w.add(floatCol(6, 'x\uD800', 0n, 3))).toThrow(/surrogate/);
    w.add(floatCol(5, 'b', 30n, 3)); // still usable after refusals
    const meta = w.finish();
    expect(meta.pointCount).toBe(6);
    const r = TsmReader.open(meta.path);
    expect(Array.from(r.read(5, 'b')!.times)).toEqual([0n, 10n, 20n, 30n, 40n, 50n]);
    r.close();
  });

  it('writes and reads an empty file', () => {
    const meta = writeTsmFile(file(), []);
    expect(meta).toMatchObject({ seriesCount: 0, blockCount: 0, pointCount: 0, minTime: MAX_I64, maxTime: MIN_I64 });
    const r = TsmReader.open(meta.path);
    expect(r.seriesIds().length).toBe(0);
    expect(r.read(0, 'value')).toBeNull();
    r.close();
    expect(verifyTsmFile(meta.path).ok).toBe(true);
  });

  it('publishes atomically: nothing under the name until finish, no temp file after abort', () => {
    const p = file();
    const w = new TsmWriter(p);
    w.add(floatCol(1, 'v', 0n, 10));
    expect(fs.existsSync(p)).toBe(false);
    expect(fs.existsSync(p + '.tmp')).toBe(true);
    w.abort();
    expect(fs.existsSync(p + '.tmp')).toBe(false);
    expect(() => w.add(floatCol(2, 'v', 0n, 1))).toThrow(/finished or aborted/);
    const w2 = new TsmWriter(p);
    w2.add(floatCol(1, 'v', 0n, 10));
    w2.finish();
    expect(fs.existsSync(p)).toBe(true);
    expect(fs.existsSync(p + '.tmp')).toBe(false);
  });
});
