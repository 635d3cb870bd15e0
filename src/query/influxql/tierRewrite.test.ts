// InfluxQL GROUP BY time() aggregates read from downsampling tiers give the raw answers.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../engine/database.js';
import { executeQuery, type ExecutedResult } from './execute.js';
import type { QueryContext } from './result.js';
import { FakeWatermarks, offBoundarySeriesArb, scratchDb, tieredScratchDb, writeTiered, type RawSeriesData, type ScratchDb, closeEnough, DAY, HOUR, MIN, T0, TIERS } from '../promql/testing/tierData.js';


function expectSame(a: ExecutedResult[], b: ExecutedResult[], what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let r = 0; r < a.length; r++) {
    expect(a[r].error, what).toEqual(b[r].error);
    const sa = a[r].series ?? [];
    const sb = b[r].series ?? [];
    expect(sa.map((s) => [s.name, s.tags, s.columns]), what).toEqual(sb.map((s) => [s.name, s.tags, s.columns]));
    for (let i = 0; i < sa.length; i++) {
      expect(sa[i].values.length, `${what}: rows of ${JSON.stringify(sa[i].tags)}`).toBe(sb[i].values.length);
      sa[i].values.forEach((row, j) => {
        row.forEach((cell, k) => {
          const other = sb[i].values[j][k];
          if (typeof cell === 'number' && typeof other === 'number' && closeEnough(cell, other)) return;
          expect(cell, `${what}: row ${j} column ${sa[i].columns[k]}`).toStrictEqual(other);
        });
      });
    }
  }
}

const seriesArb = (spanMs: number, integer: boolean) => offBoundarySeriesArb(T0, spanMs, integer);

describe('InfluxQL tier reads', () => {
  let scratch: ScratchDb;
  let db: Database;
  let run = 0;
  const now = T0 + 2n * DAY;

  beforeAll(async () => {
    scratch = await tieredScratchDb('strata-influxql-tiers-', () => now);
    db = scratch.db;
  });
  afterAll(() => scratch.close());

  const ctxOf = (marks?: FakeWatermarks): QueryContext => ({ engine: db, database: 'd', now, ...(marks ? { tiers: { watermarks: marks, used: new Set<string>() } } : {}) });

  it('gives the raw answers for random data, intervals, bounds, fills and watermarks (property)', async () => {
    const spanMs = 6 * 3_600_000;
    let used = 0;
    let runs = 0;
    let nonTrivial = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean().chain((integer) => fc.tuple(fc.constant(integer), seriesArb(spanMs, integer))),
        fc.integer({ min: -10, max: 120 }), // watermark, % of the range after its start
        fc.constantFrom(10, 20, 30, 60, 100, 120), // interval, minutes
        fc.integer({ min: 0, max: 9 }), // offset, minutes (mod the interval)
        fc.integer({ min: 0, max: 180 }), // start, minutes
        fc.integer({ min: 1, max: 300 }), // length, minutes
        fc.subarray(['mean', 'min', 'max', 'sum', 'count', 'first', 'last'], { minLength: 1 }),
        fc.constantFrom('null', 'none', 'previous', '0', 'linear', '-1.5'),
        fc.constantFrom('', ', host', ', *'),
        fc.constantFrom('', ` AND host = 'a'`, ` AND host =~ /a|c/`),
        async ([integer, series], wmMin, iMin, offMin, startMin, lenMin, fns, fill, groupTags, tagCond) => {
          const m = `q${run++}`;
          const wmAt = startMin + Math.round((wmMin * lenMin) / 100);
          const marks = new FakeWatermarks();
          await writeTiered(db, 'd', m, 'v', series, TIERS, T0 + BigInt(wmAt) * MIN, marks, integer);
          const a = T0 + BigInt(startMin) * MIN;
          const b = a + BigInt(lenMin) * MIN;
          const q = `SELECT ${fns.map((f) => `${f}(v)`).join(', ')} FROM ${m} WHERE time >= ${a} AND time < ${b}${tagCond} GROUP BY time(${iMin}m, ${offMin % iMin}m)${groupTags} fill(${fill})`;
          const ctx = ctxOf(marks);
          const got = await executeQuery(ctx, q);
          const want = await executeQuery(ctxOf(), q);
          expectSame(got, want, q);
          runs++;
          if (ctx.tiers!.used.size > 0) used++;
          if (ctx.tiers!.used.size > 0 && (got[0].series?.length ?? 0) > 0 && wmMin < 100) nonTrivial++;
        },
      ),
      { numRuns: 200, seed: 99 },
    );
    expect(used).toBeGreaterThan(runs / 5); // many runs read a tier
    expect(nonTrivial).toBeGreaterThan(0); // and some of them raw data after the watermark too
  });

  it('uses the coarsest eligible tier and only when it may', async () => {
    const marks = new FakeWatermarks();
    const series: RawSeriesData[] = [{ tags: { host: 'a' }, times: [T0 + 1_000_000n, T0 + 61_000_000_000n, T0 + 7_000_000_000_000n], values: [1, 2, 3] }];
    await writeTiered(db, 'd', 'pick', 'v', series, TIERS, T0 + 3n * HOUR, marks);
    const used = async (q: string): Promise<string[]> => {
      const ctx = ctxOf(marks);
      const r = await executeQuery(ctx, q);
      expect(r[0].error, q).toBeUndefined();
      return [...ctx.tiers!.used];
    };
    const range = `time >= ${T0} AND time < ${T0 + 3n * HOUR}`;
    expect(await used(`SELECT max(v) FROM pick WHERE ${range} GROUP BY time(100m)`)).toEqual(['autogen:10m']);
    // 30 windows of 1m are coarse enough, so the coarsest aligned tier answers: 3 of 10m.
    expect(await used(`SELECT max(v) FROM pick WHERE ${range} GROUP BY time(30m)`)).toEqual(['autogen:10m']);
    expect(await used(`SELECT max(v) FROM pick WHERE ${range} GROUP BY time(12m)`)).toEqual(['autogen:1m']); // 10m does not divide 12m
    expect(await used(`SELECT max(v) FROM pick WHERE ${range} GROUP BY time(5m)`)).toEqual([]); // 5 windows a bucket
    expect(await used(`SELECT max(v) FROM pick WHERE time >= ${T0 + 1n} AND time < ${T0 + 3n * HOUR} GROUP BY time(30m)`)).toEqual([]); // unaligned
    expect(await used(`SELECT max(v) FROM pick WHERE ${range} AND v > 1 GROUP BY time(30m)`)).toEqual([]); // field condition
    expect(await used(`SELECT max(v) FROM pick WHERE ${range} GROUP BY time(30m) LIMIT 2`)).toEqual([]);
    expect(await used(`SELECT spread(v) FROM pick WHERE ${range} GROUP BY time(30m)`)).toEqual([]);
    expect(await used(`SELECT max(v) FROM pick WHERE time >= ${T0 + 4n * HOUR} AND time < ${T0 + 5n * HOUR} GROUP BY time(30m)`)).toEqual([]); // nothing rolled yet
  });

  it('answers from the tier after the raw data expired, as raw data did before', async () => {
    let clock = T0 + 30n * DAY;
    const scratch = await scratchDb('strata-influxql-expired-', () => clock);
    const e = scratch.db;
    try {
      await e.createDatabase('d');
      const tiers = await e.setTiers('d', 'autogen', [{ resolution: MIN, duration: 90n * DAY }, { resolution: HOUR, duration: 0n }]);
      const series: RawSeriesData[] = ['a', 'b'].map((host, h) => {
        const times: bigint[] = [];
        const values: number[] = [];
        for (let i = 0; i < 30 * 288; i++) {
          times.push(T0 + BigInt(i) * 5n * MIN + BigInt(1_234 + h * 7_000) * 1_000_000n);
          values.push(((i * 37 + h * 11) % 101) / 4);
        }
        return { tags: { host }, times, values };
      });
      const marks = new FakeWatermarks();
      await writeTiered(e, 'd', 'cpu', 'usage', series, tiers, T0 + 30n * DAY, marks);
      await e.flush();
      const ctx = (tiered: boolean): QueryContext => ({ engine: e, database: 'd', now: clock, ...(tiered ? { tiers: { watermarks: marks, used: new Set<string>() } } : {}) });
      const range = `time >= ${T0 + 2n * DAY} AND time < ${T0 + 3n * DAY}`;
      const queries = [
        `SELECT mean(usage), max(usage) FROM cpu WHERE ${range} GROUP BY time(1h), host`,
        `SELECT mean(usage), count(usage) FROM cpu WHERE ${range} GROUP BY time(30m) fill(none)`,
      ];
      const before = await Promise.all(queries.map((q) => executeQuery(ctx(false), q)));
      e.setRetention('d', 'autogen', 7n * DAY, { shardDuration: DAY });
      expect((await e.enforceRetention()).shards).toBeGreaterThan(0);
      expect((await executeQuery(ctx(false), queries[0]))[0].series).toBeUndefined();
      for (let i = 0; i < queries.length; i++) {
        const c = ctx(true);
        const after = await executeQuery(c, queries[i]);
        expectSame(after, before[i], queries[i]);
        expect([...c.tiers!.used]).toEqual([i === 0 ? 'autogen:1h' : 'autogen:1m']);
      }
      clock = T0 + 30n * DAY;
    } finally {
      await scratch.close();
    }
  });
});
