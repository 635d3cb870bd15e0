import { describe, expect, it } from 'vitest';
import type { SeriesColumn } from '../types.js';
import type { Database } from './database.js';
import { seriesKeyTags } from '../ingest/seriesKey.js';
import { nsToMsTimes, PointLimitError, type FloatSeriesColumn } from './read.js';
import { engineFixture } from './testing/fixture.js';

const { tmpDir, openDb } = engineFixture('strata-selectfloat-');

const TWO32 = 4294967296;

/** What selectFloat must give: select()'s numeric columns, converted. */
function expected(cols: SeriesColumn[]): object[] {
  return cols
    .filter((c) => c.type !== 'string')
    .map((c) => {
      const v = c.values;
      let values: number[];
      if (v instanceof Float64Array) values = Array.from(v);
      else if (v instanceof Uint8Array) values = Array.from(v, (x) => (x ? 1 : 0));
      else if (v instanceof BigInt64Array) {
        const w = new Int32Array(v.buffer, v.byteOffset, 2 * v.length);
        values = Array.from({ length: v.length }, (_, i) => w[2 * i + 1] * TWO32 + (w[2 * i] >>> 0));
      } else {
        const w = new Uint32Array((v as BigUint64Array).buffer, (v as BigUint64Array).byteOffset, 2 * v.length);
        values = Array.from({ length: v.length }, (_, i) => w[2 * i + 1] * TWO32 + w[2 * i]);
      }
      return { key: c.key, field: c.field, type: c.type, tags: c.tags, times: Array.from(nsToMsTimes(c.times)), values };
    });
}

function got(cols: FloatSeriesColumn[]): object[] {
  return cols.map((c) => ({ key: c.key, field: c.field, type: c.type, tags: seriesKeyTags(c.key), times: Array.from(c.times), values: Array.from(c.values) }));
}

async function check(db: Database, ranges: [number | undefined, number | undefined][]): Promise<void> {
  for (const [a, b] of ranges) {
    for (const field of [undefined, 'f', ['i', 'u', 'b']]) {
      for (const where of [[], [{ key: 'host', op: '=' as const, value: 'a' }], [{ key: 'host', op: '=~' as const, value: 'c|d' }]]) {
        const old = db.select({ db: 'd', measurement: 'm', field, where, start: a === undefined ? undefined : BigInt(a) * 1_000_000n, end: b === undefined ? undefined : BigInt(b) * 1_000_000n });
        const now = db.selectFloat({ db: 'd', measurement: 'm', field, where, startMs: a, endMs: b });
        expect(got(now)).toEqual(expected(old));
      }
    }
  }
}

describe('selectFloat', () => {
  it('stops with PointLimitError once past maxPoints, and reads everything at the limit', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const lines = Array.from({ length: 40 }, (_, i) => `m,host=h${i % 4} f=${i},g=${-i} ${i}`);
    await db.write(lines.join('\n') + '\n', { db: 'd' });
    for (const flushed of [false, true]) {
      if (flushed) await db.flush();
      // 4 series x 2 fields x 10 points
      expect(db.selectFloat({ db: 'd', measurement: 'm', maxPoints: 80 }).reduce((n, c) => n + c.times.length, 0)).toBe(80);
      expect(() => db.selectFloat({ db: 'd', measurement: 'm', maxPoints: 79 })).toThrow(PointLimitError);
      expect(() => db.selectFloat({ db: 'd', measurement: 'm', maxPoints: 0 })).toThrow(/more than 0 points/);
    }
  });

  it('gives select()\'s numeric columns as ms times and float64 values, from files, memtables and across deletes', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const lines: string[] = [];
    // regular 10 s points, irregular ns times (two in one ms), negative times, every numeric type and a string
    for (let i = 0; i < 3000; i++) {
      const t = BigInt(i) * 10_000_000_000n + (i % 7 === 0 ? 123_456n : 0n);
      lines.push(`m,host=${i % 2 ? 'a' : 'b'} f=${i * 0.5 - 7},i=${i - 1500}i,u=${i * 3}u,b=${i % 3 === 0},s="x${i}" ${t}`);
    }
    // regular series (a constant step: whole ms, and not)
    for (let i = 0; i < 2500; i++) lines.push(`m,host=c f=${i},i=${i}i ${BigInt(i) * 10_000_000_000n}\nm,host=d f=${i} ${BigInt(i) * 1_500_000n - 3_000_000_000n}`);
    lines.push('m,host=a f=1.5 -1500000');
    lines.push('m,host=a f=2.5 -1000000');
    lines.push('m,host=a f=3.5 1000001');
    lines.push('m,host=a f=4.5 1000002');
    lines.push(`m,host=a i=${2 ** 60}i,u=18446744073709551615u 5`);
    await db.write(lines.join('\n') + '\n', { db: 'd' });
    const ranges: [number | undefined, number | undefined][] = [
      [undefined, undefined],
      [0, 1],
      [-2, 2],
      [1, 2],
      [10_000, 12_000_000],
      [5_000_000, 5_000_001],
      [7_777_777, undefined],
      [undefined, 20_000_000],
      [29_990_000, 30_000_000],
    ];
    await check(db, ranges); // memtable only
    await db.flush();
    await check(db, ranges); // one file
    await db.write('m,host=a f=99 20000000000\nm,host=a f=98 20000000001\nm,host=b f=97 25000000000000\n', { db: 'd' });
    await check(db, ranges); // file + memtable
    await db.flush();
    await check(db, ranges); // two files
    await db.delete({ db: 'd', measurement: 'm', where: [{ key: 'host', op: '=', value: 'a' }], start: 100_000_000_000n, end: 200_000_000_000n });
    await check(db, ranges); // deletes pending against a file
    await db.compact();
    await check(db, ranges);
    await db.close();
  });
});
