// SQL aggregates over time buckets read from downsampling tiers give the raw answers.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../engine/database.js';
import { Downsampler } from '../../retention/downsampler.js';
import { FakeWatermarks, offBoundarySeriesArb, scratchDb, tieredScratchDb, writeTiered, type RawSeriesData, type ScratchDb, closeEnough, DAY, HOUR, MIN, T0, TIERS } from '../promql/testing/tierData.js';
import { executeSql, type SqlResult } from './index.js';
import type { TierReads } from './tiers.js';


/** Same columns and rows; floats to 1e-9 relative, everything else (counts, integers, times) exactly. */
function expectSame(got: SqlResult, want: SqlResult, what: string): void {
  expect(got.columns, what).toEqual(want.columns);
  expect(got.rows.length, `${what}: rows`).toBe(want.rows.length);
  got.rows.forEach((row, j) =>
    row.forEach((cell, k) => {
      const other = want.rows[j][k];
      if (typeof cell === 'number' && typeof other === 'number' && closeEnough(cell, other)) return;
      expect(cell, `${what}: row ${j} column ${got.columns[k].name}`).toStrictEqual(other);
    }),
  );
}

const seriesArb = (spanMs: number, integer: boolean, hosts: string[]) => offBoundarySeriesArb(T0, spanMs, integer, hosts);

function iso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

describe('SQL tier reads', () => {
  let scratch: ScratchDb;
  let db: Database;
  let run = 0;
  const now = T0 + 2n * DAY;

  beforeAll(async () => {
    scratch = await tieredScratchDb('strata-sql-tiers-', () => now);
    db = scratch.db;
  });
  afterAll(() => scratch.close());

  const sql = async (q: string, marks?: FakeWatermarks): Promise<{ r: SqlResult; used: string[] }> => {
    const tiers: TierReads | undefined = marks ? { watermarks: marks, used: new Set() } : undefined;
    const r = await executeSql(db, q, { db: 'd', now, tiers });
    return { r, used: [...(tiers?.used ?? [])] };
  };
  /** The result, or the error's message (a statement the raw path refuses is refused alike). */
  const attempt = async (q: string, marks?: FakeWatermarks): Promise<{ r: SqlResult; used: string[] } | string> => {
    try {
      return await sql(q, marks);
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('gives the raw answers for random data, buckets, bounds, groupings and watermarks (property)', async () => {
    const spanMs = 6 * 3_600_000;
    let used = 0;
    let runs = 0;
    let nonTrivial = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean().chain((integer) => fc.tuple(fc.constant(integer), seriesArb(spanMs, integer, ['a', 'b', 'c']), seriesArb(spanMs, false, ['a', 'b']))),
        fc.integer({ min: -10, max: 120 }), // watermark, % of the range after its start
        fc.constantFrom(10, 20, 30, 60, 100, 120), // bucket width, minutes
        fc.integer({ min: 0, max: 9 }), // origin, minutes
        fc.constantFrom('time_bucket', 'date_bin', 'origin', 'none'),
        fc.integer({ min: 0, max: 180 }), // start, minutes
        fc.integer({ min: 1, max: 300 }), // length, minutes
        fc.subarray(['avg(v)', 'min(v)', 'max(v)', 'sum(v)', 'count(v) AS n', 'avg(w)', 'count(w)', 'max(v) - min(v) AS spread'], { minLength: 1 }),
        fc.constantFrom('', 'host'),
        fc.constantFrom('', ` AND host = 'a'`, ` AND host IN ('a', 'c')`, ` AND host != 'b'`),
        fc.constantFrom('', ' ORDER BY t', ' ORDER BY t DESC', ' ORDER BY 2 DESC', ' ORDER BY t LIMIT 3 OFFSET 1'),
        fc.boolean(), // HAVING count(v) > 2
        async ([integer, vSeries, wSeries], wmPct, iMin, oMin, form, startMin, lenMin, aggs, tags, tagCond, order, having) => {
          const m = `q${run++}`;
          const wmAt = startMin + Math.round((wmPct * lenMin) / 100);
          const marks = new FakeWatermarks();
          const wm = T0 + BigInt(wmAt) * MIN;
          await writeTiered(db, 'd', m, 'v', vSeries, TIERS, wm, marks, integer);
          await writeTiered(db, 'd', m, 'w', wSeries, TIERS, wm, marks);
          const a = T0 + BigInt(startMin) * MIN;
          const b = a + BigInt(lenMin) * MIN;
          const bucket =
            form === 'time_bucket'
              ? `time_bucket('${iMin}m', time)`
              : form === 'date_bin'
                ? `date_bin(INTERVAL '${iMin} minutes', time)`
                : `time_bucket('${iMin}m', time, '${iso(T0 + BigInt(oMin) * MIN)}')`;
          const keys = form === 'none' ? (tags ? ['host'] : []) : ['t', ...(tags ? ['host'] : [])];
          const select = [...(form === 'none' ? [] : [`${bucket} AS t`]), ...(tags ? ['host'] : []), ...aggs];
          const orderBy = form === 'none' ? (order === ' ORDER BY 2 DESC' ? order : '') : order;
          const q =
            `SELECT ${select.join(', ')} FROM ${m} WHERE time >= ${a} AND time < ${b}${tagCond}` +
            (keys.length > 0 ? ` GROUP BY ${keys.join(', ')}` : '') +
            (having ? ' HAVING count(v) > 2' : '') +
            orderBy;
          const got = await attempt(q, marks);
          const want = await attempt(q);
          if (typeof got === 'string' || typeof want === 'string') {
            expect(got, q).toEqual(want);
            return;
          }
          expectSame(got.r, want.r, q);
          runs++;
          if (got.used.length > 0) used++;
          if (got.used.length > 0 && got.r.rows.length > 0 && wmPct < 100) nonTrivial++;
        },
      ),
      // No shrinking: each run writes a new measurement, and the thousands of shrink steps
      // fill the memtables until writes are refused, hiding the first failure.
      { numRuns: 150, seed: 7, endOnFailure: true },
    );
    expect(used).toBeGreaterThan(runs / 4); // many runs read a tier
    expect(nonTrivial).toBeGreaterThan(runs / 10); // and raw points after the watermark too
  });

  it('uses the coarsest eligible tier and only when it may', async () => {
    const marks = new FakeWatermarks();
    const series: RawSeriesData[] = [{ tags: { host: 'a' }, times: [T0 + 1_000_000n, T0 + 61_000_000_000n, T0 + 7_000_000_000_000n], values: [1, 2, 3] }];
    await writeTiered(db, 'd', 'pick', 'v', series, TIERS, T0 + 3n * HOUR, marks);
    await db.write(`flags,host=a ok=true ${T0 + 1_000_000n}\nflags,host=a v=1 ${T0 + 2_000_000n}`, { db: 'd' });
    const used = async (q: string): Promise<string[]> => (await sql(q, marks)).used;
    const range = `time >= ${T0} AND time < ${T0 + 3n * HOUR}`;
    const by = (width: string, rest = '') => `SELECT time_bucket('${width}', time) AS t, max(v) FROM pick WHERE ${range}${rest} GROUP BY t`;
    expect(await used(by('100m'))).toEqual(['autogen:10m']);
    // 30 windows of 1m are coarse enough, so the coarsest aligned tier answers: 3 of 10m.
    expect(await used(by('30m'))).toEqual(['autogen:10m']);
    expect(await used(by('12m'))).toEqual(['autogen:1m']); // 10m does not divide 12m
    expect(await used(`SELECT date_bin(INTERVAL '1 hour', time) AS t, host, avg(v) FROM pick WHERE ${range} GROUP BY 1, 2`)).toEqual(['autogen:10m']);
    expect(await used(`SELECT host, count(v) FROM pick WHERE ${range} GROUP BY host`)).toEqual(['autogen:10m']); // the whole range is one bucket
    expect(await used(by('5m'))).toEqual([]); // 5 windows a bucket: raw is cheaper
    expect(await used(`SELECT time_bucket('30m', time) AS t, max(v) FROM pick WHERE time >= ${T0 + 1n} AND time < ${T0 + 3n * HOUR} GROUP BY t`)).toEqual([]); // unaligned bound
    expect(await used(`SELECT time_bucket('30m', time, '${iso(T0 + 30_000_000_000n)}') AS t, max(v) FROM pick WHERE ${range} GROUP BY t`)).toEqual([]); // unaligned origin
    expect(await used(`SELECT time_bucket('30m', time) AS t, max(v) FROM pick WHERE time >= ${T0} GROUP BY t`)).toEqual([]); // no end
    expect(await used(by('30m', ' AND v > 1'))).toEqual([]); // field condition
    expect(await used(by('30m', ` AND (host = 'a' OR v > 1)`))).toEqual([]);
    expect(await used(`SELECT time_bucket('30m', time) AS t, first(v) FROM pick WHERE ${range} GROUP BY t`)).toEqual([]);
    expect(await used(`SELECT time_bucket('30m', time) AS t, count(*) FROM pick WHERE ${range} GROUP BY t`)).toEqual([]);
    expect(await used(`SELECT time_bucket('30m', time) AS t, host, max(v) FROM pick WHERE ${range} GROUP BY t`)).toEqual([]); // host of the first row
    expect(await used(`SELECT time_bucket('30m', time) AS t, avg(v + 1) FROM pick WHERE ${range} GROUP BY t`)).toEqual([]);
    expect(await used(`SELECT * FROM pick WHERE ${range}`)).toEqual([]);
    expect(await used(`SELECT time_bucket('30m', time) AS t, max(v) FROM pick WHERE ${range} GROUP BY t HAVING min(v) > 0`)).toEqual(['autogen:10m']);
    expect(await used(`SELECT time_bucket('30m', time) AS t, max(ok) FROM flags WHERE ${range} GROUP BY t`)).toEqual([]); // boolean field
    expect(await used(`SELECT time_bucket('30m', time) AS t, max(v) FROM flags WHERE ${range} GROUP BY t`)).toEqual([]); // rows of the boolean field too
    expect(await used(`SELECT time_bucket('30m', time) AS t, max(v) FROM pick WHERE time >= ${T0 + 4n * HOUR} AND time < ${T0 + 5n * HOUR} GROUP BY t`)).toEqual([]); // nothing rolled yet
    // an aggregate named like a column the raw query does not have stays the raw query's error
    await expect(sql(`SELECT time_bucket('30m', time) AS t, avg(v) FROM pick WHERE ${range} GROUP BY t ORDER BY avg`, marks)).rejects.toThrow(/unknown column "avg"/);
  });

  it('answers with parameters and a CREATE TABLE schema', async () => {
    const marks = new FakeWatermarks();
    await executeSql(db, 'CREATE TABLE meters (site TEXT TAG, kwh DOUBLE)', { db: 'd', now });
    const series: RawSeriesData[] = ['x', 'y'].map((site, h) => ({
      tags: { site },
      times: Array.from({ length: 600 }, (_, i) => T0 + BigInt(i) * 30_000_000_000n + BigInt(1_000 + h) * 1_000_000n),
      values: Array.from({ length: 600 }, (_, i) => ((i * 7 + h) % 40) / 8),
    }));
    await writeTiered(db, 'd', 'meters', 'kwh', series, TIERS, T0 + 4n * HOUR, marks);
    const q = `SELECT date_bin($1, time) AS t, site, sum(kwh) AS total, count(kwh) FROM meters WHERE time >= $2 AND time < $3 AND site LIKE '%' GROUP BY t, site ORDER BY total DESC, t`;
    const params = ['1h', iso(T0), iso(T0 + 5n * HOUR)];
    const tiers: TierReads = { watermarks: marks, used: new Set() };
    const got = await executeSql(db, q, { db: 'd', now, params, tiers });
    const want = await executeSql(db, q, { db: 'd', now, params });
    expectSame(got, want, q);
    expect([...tiers.used]).toEqual(['autogen:10m']);
    expect(want.rows.length).toBe(10);
  });
});

describe('SQL tier reads after the raw data expired', () => {
  it('answers from the tier the Downsampler rolled, as raw data did before', async () => {
    let clock = T0;
    const scratch = await scratchDb('strata-sql-expired-', () => clock);
    const e = scratch.db;
    const ds = new Downsampler({ db: e, dataDir: scratch.dir, now: () => clock });
    try {
      await e.createDatabase('d');
      e.setRetention('d', 'autogen', 0n, { shardDuration: DAY }); // daily shards, so days expire
      await e.setTiers('d', 'autogen', [{ resolution: MIN, duration: 90n * DAY }, { resolution: HOUR, duration: 0n }]);
      // 10 days of a gauge (float) and a counter (integer) per host, every 5 min, off the minute
      for (let day = 0; day < 10; day++) {
        const lines: string[] = [];
        for (let i = 0; i < 288; i++) {
          for (const [h, host] of ['a', 'b'].entries()) {
            const t = T0 + BigInt(day) * DAY + BigInt(i) * 5n * MIN + BigInt(1_234 + h * 7_000) * 1_000_000n;
            const k = day * 288 + i;
            lines.push(`cpu,host=${host} usage=${((k * 37 + h * 11) % 101) / 4},reqs=${(k * 13 + h) % 997}i ${t}`);
          }
        }
        clock = T0 + BigInt(day + 1) * DAY;
        await e.write(lines.join('\n'), { db: 'd' });
        await ds.tick();
      }
      clock = T0 + 10n * DAY + 5n * MIN; // a few minutes into day 10: the last windows are rolled
      await ds.tick();
      await e.flush();
      const range = `time >= '${iso(T0 + 2n * DAY)}' AND time < '${iso(T0 + 3n * DAY)}'`;
      const queries = [
        `SELECT time_bucket('1h', time) AS t, host, avg(usage), max(usage), min(reqs), sum(reqs) FROM cpu WHERE ${range} GROUP BY t, host ORDER BY t, host`,
        `SELECT time_bucket('30m', time) AS t, count(usage), avg(reqs) FROM cpu WHERE ${range} AND host = 'b' GROUP BY t`,
      ];
      const run = async (q: string, tiered: boolean) => {
        const tiers: TierReads | undefined = tiered ? { watermarks: ds, used: new Set() } : undefined;
        return { r: await executeSql(e, q, { db: 'd', now: clock, tiers }), used: [...(tiers?.used ?? [])] };
      };
      const before = await Promise.all(queries.map(async (q) => (await run(q, false)).r));
      expect(before[0].rows.length).toBe(48);
      expect(before[0].columns.map((c) => c.type)).toEqual(['timestamp', 'string', 'float', 'float', 'integer', 'integer']);

      e.setRetention('d', 'autogen', 7n * DAY, { shardDuration: DAY });
      expect((await e.enforceRetention()).shards).toBeGreaterThan(0);
      expect((await run(queries[0], false)).r.rows).toEqual([]); // raw points are gone
      for (let i = 0; i < queries.length; i++) {
        const after = await run(queries[i], true);
        expectSame(after.r, before[i], queries[i]);
        expect(after.used).toEqual([i === 0 ? 'autogen:1h' : 'autogen:1m']);
      }
      // a recent range: raw points still there, 1-minute windows, the last hour from raw points
      const recent = `SELECT time_bucket('10m', time) AS t, host, avg(usage), count(reqs) FROM cpu WHERE time >= '${iso(T0 + 9n * DAY)}' AND time < '${iso(T0 + 10n * DAY + HOUR)}' GROUP BY t, host`;
      const tiered = await run(recent, true);
      expect(tiered.used).toEqual(['autogen:1m']);
      expectSame(tiered.r, (await run(recent, false)).r, recent);
    } finally {
      await ds.close();
      await scratch.close();
    }
  });
});
