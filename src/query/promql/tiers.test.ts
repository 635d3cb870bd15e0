// PromQL range functions read from downsampling tiers give what raw samples give.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../engine/database.js';
import { instantQuery, rangeQuery } from './engine.js';
import { engineSource } from './storage.js';
import { chooseResolution } from './tiers.js';
import { FakeWatermarks, scratchDb, tieredScratchDb, writeTiered, type RawSeriesData, type ScratchDb, closeEnough, DAY, HOUR, MIN, T0, TIERS } from './testing/tierData.js';
import type { QueryOutput } from './types.js';

const FUNCS = ['avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'rate', 'increase', 'last_over_time', 'first_over_time'];

function expectSame(tier: QueryOutput, raw: QueryOutput, what: string): void {
  const norm = (o: QueryOutput) => {
    const r = o.result;
    if (r.resultType === 'vector') return r.samples.map((s) => ({ labels: s.labels, times: [s.t], values: [s.v] }));
    if (r.resultType === 'matrix') return r.series;
    throw new Error(`unexpected ${r.resultType}`);
  };
  const a = norm(tier);
  const b = norm(raw);
  expect(a.map((s) => s.labels), what).toEqual(b.map((s) => s.labels));
  for (let i = 0; i < a.length; i++) {
    expect(a[i].times, what).toEqual(b[i].times);
    for (let j = 0; j < a[i].values.length; j++) {
      if (!closeEnough(a[i].values[j], b[i].values[j])) expect(a[i].values[j], `${what} at ${a[i].times[j]}`).toBe(b[i].values[j]);
    }
  }
  expect(tier.infos).toEqual(raw.infos);
  expect(tier.warnings).toEqual(raw.warnings);
}

/** Series with points at whole ms that never fall on a minute boundary; counters with resets. */
function seriesArb(spanMs: number): fc.Arbitrary<RawSeriesData[]> {
  const one = (host: string) =>
    fc
      .record({
        gaps: fc.array(fc.integer({ min: 1_000, max: 200_000 }), { minLength: 0, maxLength: 120 }),
        // multiples of 1/8 and 1/10: sums are exact or close, as for real counters
        incs: fc.array(fc.oneof(fc.integer({ min: 0, max: 400 }).map((x) => x / 8), fc.integer({ min: 0, max: 400 }).map((x) => x / 10), fc.constant(-1)), { minLength: 120, maxLength: 120 }),
        start: fc.integer({ min: 1, max: 59_999 }),
      })
      .map(({ gaps, incs, start }): RawSeriesData => {
        const times: bigint[] = [];
        const values: number[] = [];
        let t = start;
        let v = 10;
        for (let i = 0; i < gaps.length && t < spanMs; i++) {
          if (t % 60_000 !== 0) {
            times.push(T0 + BigInt(t) * 1_000_000n);
            v = incs[i] < 0 ? incs[(i + 1) % incs.length] : v + incs[i]; // -1: a counter reset
            values.push(v);
          }
          t += gaps[i];
        }
        return { tags: { host }, times, values };
      });
  return fc.tuple(one('a'), one('b')).map((x) => x.filter((s) => s.times.length > 0));
}

describe('PromQL tier reads', () => {
  let scratch: ScratchDb;
  let db: Database;
  let run = 0;
  const now = T0 + 2n * DAY;

  beforeAll(async () => {
    scratch = await tieredScratchDb('strata-promql-tiers-', () => now);
    db = scratch.db;
  });
  afterAll(() => scratch.close());

  it('chooses the coarsest aligned tier that is coarse enough or needed', () => {
    const R1 = 60_000;
    const R10 = 600_000;
    const base = { firstRefMs: 36_000_000, stepMs: 0, rawFloorMs: -Infinity };
    // 60 windows of 1m are coarse enough, so the coarsest aligned tier answers: 6 of 10m.
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 3_600_000 })).toBe(R10);
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 660_000 })).toBe(R1); // 11 windows of 1m; 10m not aligned
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 6_000_000 })).toBe(R10);
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 540_000 })).toBe(null); // 9 windows
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 540_000, rawFloorMs: 36_000_000 })).toBe(R1); // raw expired
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 3_600_000, firstRefMs: 36_030_000 })).toBe(null); // not aligned
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 3_600_000, stepMs: 30_000 })).toBe(null); // step < R
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 6_000_000, stepMs: 60_000 })).toBe(R1); // step not a multiple of 10m
    expect(chooseResolution([R10, R1], { ...base, rangeMs: 6_000_000, stepMs: 600_000 })).toBe(R10);
  });

  it('gives the raw answers for random data, ranges, steps and watermarks (property)', async () => {
    const spanMs = 3 * 3_600_000;
    await fc.assert(
      fc.asyncProperty(
        seriesArb(spanMs),
        fc.integer({ min: 0, max: 180 }), // watermark, minutes after T0
        fc.integer({ min: 10, max: 200 }), // range, minutes
        fc.integer({ min: 1, max: 20 }), // step, minutes
        fc.integer({ min: 0, max: 120 }), // start, minutes after T0
        fc.integer({ min: 0, max: 6 }), // steps
        fc.constantFrom(...FUNCS),
        fc.boolean(), // offset 5m
        async (series, wmMin, rangeMin, stepMin, startMin, steps, fn, useOffset) => {
          const m = `p${run++}`;
          const marks = new FakeWatermarks();
          await writeTiered(db, 'd', m, 'v', series, TIERS, T0 + BigInt(wmMin) * MIN, marks);
          const raw = engineSource(db, { database: 'd' });
          const tiered = engineSource(db, { database: 'd', watermarks: marks });
          const q = `${fn}(${m}_v[${rangeMin}m]${useOffset ? ' offset 5m' : ''})`;
          const startMs = Number(T0 / 1_000_000n) + (startMin + (useOffset ? 5 : 0)) * 60_000;
          const opts = { now: () => Number(now / 1_000_000n) };
          const a = rangeQuery(tiered, q, startMs, startMs + steps * stepMin * 60_000, stepMin * 60_000, opts);
          const b = rangeQuery(raw, q, startMs, startMs + steps * stepMin * 60_000, stepMin * 60_000, opts);
          expectSame(a, b, q);
          const ten = rangeMin % 10 === 0 && rangeMin >= 100 && startMin % 10 === 0;
          expect(a.tiers, q).toEqual([ten && (steps === 0 || stepMin % 10 === 0) ? 'autogen:10m' : 'autogen:1m']);
          const ai = instantQuery(tiered, q, startMs, opts);
          expectSame(ai, instantQuery(raw, q, startMs, opts), `${q} @ ${startMs}`);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('reads raw samples when no tier is eligible', async () => {
    const marks = new FakeWatermarks();
    const series: RawSeriesData[] = [{ tags: { host: 'a' }, times: [T0 + 1_000_000n, T0 + 61_000_000_000n], values: [1, 2] }];
    await writeTiered(db, 'd', 'noelig', 'v', series, TIERS, T0 + HOUR, marks);
    const src = engineSource(db, { database: 'd', watermarks: marks });
    const t = Number(T0 / 1_000_000n) + 3_600_000;
    expect(instantQuery(src, 'max_over_time(noelig_v[5m])', t).tiers).toBeUndefined(); // 5 windows
    expect(instantQuery(src, 'max_over_time(noelig_v[1h])', t + 30_000).tiers).toBeUndefined(); // not aligned
    expect(instantQuery(src, 'max_over_time(noelig_v[1h])', t).tiers).toEqual(['autogen:10m']); // the coarsest aligned
    expect(instantQuery(src, 'max_over_time(noelig_v[11m])', t).tiers).toEqual(['autogen:1m']); // 10m not aligned
    expect(instantQuery(src, 'max_over_time(noelig_v[1h:1m])', t).tiers).toBeUndefined(); // a subquery
    expect(instantQuery(engineSource(db, { database: 'd' }), 'max_over_time(noelig_v[1h])', t).tiers).toBeUndefined(); // no watermarks: raw
  });
});

describe('PromQL tier reads after raw data expired', () => {
  it('answers old ranges from the tiers with the values raw data gave', async () => {
    let now = T0 + 30n * DAY;
    const scratch = await scratchDb('strata-promql-expired-', () => now);
    const db = scratch.db;
    try {
      await db.createDatabase('d');
      const tiers = await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 90n * DAY }, { resolution: HOUR, duration: 0n }]);
      expect(tiers.map((t) => t.name)).toEqual(['autogen:1m', 'autogen:1h']);
      // 30 days, a point every ~5 minutes, a counter and a gauge per host
      const series: RawSeriesData[] = ['a', 'b'].map((host, h) => {
        const times: bigint[] = [];
        const values: number[] = [];
        let v = 0;
        for (let i = 0; i < 30 * 288; i++) {
          times.push(T0 + BigInt(i) * 5n * MIN + BigInt(1_234 + h * 7_000 + (i % 13) * 1_000) * 1_000_000n);
          v = i % 2000 === 1999 ? 3 : v + ((i * 7 + h) % 11);
          values.push(v);
        }
        return { tags: { host }, times, values };
      });
      const marks = new FakeWatermarks();
      await writeTiered(db, 'd', 'http', 'requests_total', series, tiers, T0 + 30n * DAY, marks);
      await db.flush();
      const src = engineSource(db, { database: 'd', watermarks: marks });
      const raw = engineSource(db, { database: 'd' });
      const opts = { now: () => Number(now / 1_000_000n) };
      const t = Number((T0 + 3n * DAY + 7n * HOUR) / 1_000_000n);
      const queries = ['avg_over_time(http_requests_total[1h])', 'max_over_time(http_requests_total[30m])', 'rate(http_requests_total[1h])', 'increase(http_requests_total[2h])'];
      const before = queries.map((q) => rangeQuery(raw, q, t, t + 6 * 3_600_000, 3_600_000, opts));

      db.setRetention('d', 'autogen', 7n * DAY, { shardDuration: DAY });
      expect((await db.enforceRetention()).shards).toBeGreaterThan(0);
      expect(rangeQuery(raw, queries[0], t, t + 6 * 3_600_000, 3_600_000, opts).result).toEqual({ resultType: 'matrix', series: [] });
      now = T0 + 30n * DAY;
      for (let i = 0; i < queries.length; i++) {
        const after = rangeQuery(src, queries[i], t, t + 6 * 3_600_000, 3_600_000, opts);
        expectSame(after, before[i], queries[i]);
        // raw expired: the coarsest aligned tier answers, even when it reads few windows
        expect(after.tiers).toEqual([queries[i].includes('[30m]') ? 'autogen:1m' : 'autogen:1h']);
      }
    } finally {
      await scratch.close();
    }
  });
});
