// writeBatch: points that arrive parsed (remote write, JSON) go through the same checks and
// WAL as line protocol, and replay bit for bit, NaN payloads included.

import { describe, expect, it } from 'vitest';
import { PointBatch } from '../ingest/batch.js';
import { makeSeriesKey } from '../ingest/seriesKey.js';
import { exportLineProtocol } from './export.js';
import { engineFixture } from './testing/fixture.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-wb-');

const STALE_HI = 0x7ff00000;
const STALE_LO = 2;

function batchOf(rows: { m: string; tags: Record<string, string>; t: bigint; f: string; type: number; bits?: [number, number]; str?: string }[]): PointBatch {
  const b = new PointBatch(4, 4);
  for (const r of rows) {
    b.ensurePoint();
    const i = b.count;
    b.seriesKey[i] = makeSeriesKey(r.m, r.tags);
    b.time[2 * i] = Number(BigInt.asUintN(32, r.t));
    b.time[2 * i + 1] = Number(BigInt.asUintN(32, r.t >> 32n));
    b.lineNo[i] = i + 1;
    b.fieldStart[i] = b.fieldCount;
    b.ensureFields(1);
    const j = b.fieldCount++;
    b.fieldKey[j] = r.f;
    b.fieldType[j] = r.type;
    if (r.str !== undefined) b.fieldStr[j] = r.str;
    else [b.fieldBits[2 * j], b.fieldBits[2 * j + 1]] = r.bits!;
    b.count++;
    b.fieldStart[b.count] = b.fieldCount;
    b.lines++;
  }
  return b;
}

function bitsOf(x: number): [number, number] {
  const w = new Uint32Array(new Float64Array([x]).buffer);
  return [w[0], w[1]];
}

describe('writeBatch', () => {
  it('stores a stale-marker NaN and odd label text, and replays them exactly after a restart', async () => {
    let db = await openDb({ dataDir: tmpDir(), autoCreateDatabases: true });
    const tags = { job: 'a b,c=d"\\q', instance: 'x' };
    const res = await db.writeBatch(
      batchOf([
        { m: 'up', tags, t: 1000n, f: 'value', type: 1, bits: bitsOf(1) },
        { m: 'up', tags, t: 2000n, f: 'value', type: 1, bits: [STALE_LO, STALE_HI] },
        { m: 'up', tags, t: 3000n, f: 'value', type: 1, bits: bitsOf(-0) },
      ]),
      { db: 'prom' },
    );
    expect(res).toMatchObject({ points: 3, errors: [] });
    const check = () => {
      const [col] = db.select({ db: 'prom', measurement: 'up' });
      expect(col.tags).toEqual(tags);
      expect([...col.times]).toEqual([1000n, 2000n, 3000n]);
      const w = new Uint32Array((col.values as Float64Array).slice().buffer);
      expect([w[2], w[3]]).toEqual([STALE_LO, STALE_HI]);
      expect(Object.is((col.values as Float64Array)[2], -0)).toBe(true);
    };
    check();
    db = await reopen(db);
    check();
    await db.flush();
    db = await reopen(db);
    check();
    // Line protocol has no NaN: export names the value in a comment instead of failing.
    expect([...exportLineProtocol(db, { db: 'prom' })].join('')).toBe(
      'up,instance=x,job=a\\ b\\,c\\=d"\\q value=1 1000\n' +
        '# not exportable as line protocol: up,instance=x,job=a\\ b\\,c\\=d"\\q value=NaN 2000\n' +
        'up,instance=x,job=a\\ b\\,c\\=d"\\q value=-0 3000\n',
    );
  });

  it('rejects a type conflict by its number and keeps the rest, also after replay', async () => {
    let db = await openDb({ dataDir: tmpDir(), autoCreateDatabases: true });
    await db.write('m f=1 1', { db: 'x' });
    const res = await db.writeBatch(
      batchOf([
        { m: 'm', tags: {}, t: 2n, f: 'f', type: 5, str: 'text' },
        { m: 'm', tags: { a: '1' }, t: 3n, f: 's', type: 5, str: 'ok' },
      ]),
      { db: 'x' },
    );
    expect(res.points).toBe(1);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]).toMatchObject({ line: 1, kind: 'type_conflict' });
    db = await reopen(db);
    const cols = db.select({ db: 'x', measurement: 'm' });
    expect(cols.map((c) => [c.key, c.field, [...c.times]])).toEqual([
      ['m', 'f', [1n]],
      ['m,a=1', 's', [3n]],
    ]);
    expect(db.series('x', 'm', [{ key: 'a', op: '=', value: '1' }])).toEqual([{ key: 'm,a=1', tags: { a: '1' } }]);
    expect(db.tagKeys('x', 'm')).toEqual(['a']);
    expect(db.tagValues('x', 'm', 'a')).toEqual(['1']);
  });
});
