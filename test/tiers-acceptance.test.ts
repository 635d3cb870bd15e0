// Issue 7's acceptance scenario, end to end through the library: 30 days of devops-shaped
// data written day by day under a fake clock into a policy that keeps raw points for 7
// days, 1-minute rollups for 90 days and 1-hour rollups forever; the downsampler ticks
// as the days pass and retention runs. Answers for an old range are recorded from raw
// points while they exist; at day 30 raw points are gone and the same queries, answered
// from the rollups, give the same values.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/engine/database.js';
import { executeQuery } from '../src/query/influxql/execute.js';
import type { QueryContext, ResultSeries } from '../src/query/influxql/result.js';
import { instantQuery, rangeQuery } from '../src/query/promql/engine.js';
import { engineSource } from '../src/query/promql/storage.js';
import type { QueryOutput } from '../src/query/promql/types.js';
import { Downsampler } from '../src/retention/downsampler.js';
import { mulberry32 as rng } from '../src/testing/random.js';

const S = 1_000_000_000n;
const MIN = 60n * S;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;
const T0 = BigInt(Date.parse('2024-03-01T00:00:00Z')) * 1_000_000n;
const HOSTS = ['web-1', 'web-2', 'db-1'];
const STEP = 20n * S;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface HostState {
  usage: number;
  bytes: bigint;
}

/**
 * One day of devops-shaped points: per host a cpu gauge (usage_user, usage_system) and a
 * net counter (bytes_recv, an integer that resets now and then, as after a reboot),
 * every 20 s with a jitter of up to ±2 s in ms, so no point lies on a minute boundary.
 */
function dayLines(day: number, state: Map<string, HostState>, rand: () => number): string {
  const lines: string[] = [];
  const start = T0 + BigInt(day) * DAY;
  for (let t = start; t < start + DAY; t += STEP) {
    for (const host of HOSTS) {
      const s = state.get(host)!;
      s.usage = Math.min(100, Math.max(0, s.usage + (rand() - 0.5) * 8));
      s.bytes = rand() < 0.0005 ? BigInt(Math.floor(rand() * 1000)) : s.bytes + BigInt(Math.floor(rand() * 50_000));
      let jitterMs = BigInt(Math.floor(rand() * 3999) - 1999);
      if (jitterMs === 0n) jitterMs = 1n;
      const ts = t + jitterMs * 1_000_000n;
      lines.push(`cpu,host=${host} usage_user=${s.usage.toFixed(3)},usage_system=${(s.usage / 3).toFixed(3)} ${ts}`);
      lines.push(`net,host=${host} bytes_recv=${s.bytes}i ${ts}`);
    }
  }
  return lines.join('\n');
}

const PROMQL_INSTANT = ['avg_over_time(cpu_usage_user[30m])', 'max_over_time(cpu_usage_user[10m])', 'rate(net_bytes_recv[15m])', 'increase(net_bytes_recv[1h])'];
const PROMQL_RANGE = ['avg_over_time(cpu_usage_user[10m])', 'max_over_time(cpu_usage_system[30m])', 'rate(net_bytes_recv[10m])'];
const INFLUXQL = 'SELECT mean(usage_user), max(usage_user) FROM cpu WHERE time >= $a AND time < $b GROUP BY time(10m), host';

/** Values equal to 1e-9 relative (tier sums are added in another order than raw ones). */
function expectClose(got: unknown, want: unknown, what: string): void {
  if (typeof got === 'number' && typeof want === 'number') {
    if (got === want) return;
    expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(got), Math.abs(want)));
    return;
  }
  if (Array.isArray(got) && Array.isArray(want)) {
    expect(got.length, what).toBe(want.length);
    got.forEach((g, i) => expectClose(g, want[i], `${what}[${i}]`));
    return;
  }
  if (got !== null && want !== null && typeof got === 'object' && typeof want === 'object') {
    expect(Object.keys(got).sort(), what).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expectClose((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${what}.${k}`);
    return;
  }
  expect(got, what).toEqual(want);
}

function promValues(o: QueryOutput): unknown {
  const r = o.result;
  if (r.resultType === 'vector') return r.samples.map((s) => ({ labels: s.labels, t: s.t, v: s.v }));
  if (r.resultType === 'matrix') return r.series;
  throw new Error(`unexpected ${r.resultType}`);
}

describe('retention tiers over 30 simulated days', () => {
  it('drops raw points after 7 days while 1-minute rollups answer PromQL and InfluxQL as raw data did', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tiers-30d-'));
    dirs.push(dataDir);
    let clock = T0;
    const db: Database = await openDatabase({ dataDir, fsync: 'off', now: () => clock, retentionCheckMs: 0 });
    await db.createDatabase('telegraf');
    db.setRetention('telegraf', 'autogen', 7n * DAY, { shardDuration: DAY });
    await db.setTiers('telegraf', 'autogen', [
      { resolution: MIN, duration: 90n * DAY },
      { resolution: HOUR, duration: 0n },
    ]);
    const ds = new Downsampler({ db, dataDir, now: () => clock });
    const rand = rng(7);
    const state = new Map(HOSTS.map((h) => [h, { usage: 50, bytes: 1_000_000n }]));

    // The old range the queries look at: day 1, 06:00 to 18:00.
    const from = T0 + DAY + 6n * HOUR;
    const to = T0 + DAY + 18n * HOUR;
    const ms = (ns: bigint) => Number(ns / 1_000_000n);
    const influx = (now: bigint, tiers: boolean) => {
      const used = new Set<string>();
      const ctx: QueryContext = { engine: db, database: 'telegraf', now, params: { a: ms(from) * 1e6, b: ms(to) * 1e6 }, ...(tiers ? { tiers: { watermarks: ds, used } } : {}) };
      return { run: () => executeQuery(ctx, INFLUXQL), used };
    };
    const raw: { instant: QueryOutput[]; range: QueryOutput[]; influxql: ResultSeries[] | undefined } = { instant: [], range: [], influxql: undefined };

    for (let day = 0; day < 30; day++) {
      await db.write(dayLines(day, state, rand), { db: 'telegraf' });
      clock = T0 + BigInt(day + 1) * DAY + 5n * MIN;
      await ds.tick();
      await db.enforceRetention(clock);
      if (day === 2) {
        // Raw points of day 1 still exist: the answers the rollups must give later.
        const src = engineSource(db, { database: 'telegraf' });
        raw.instant = PROMQL_INSTANT.map((q) => instantQuery(src, q, ms(from + 3n * HOUR), { now: () => ms(clock) }));
        raw.range = PROMQL_RANGE.map((q) => rangeQuery(src, q, ms(from), ms(to), 30 * 60_000, { now: () => ms(clock) }));
        raw.influxql = (await influx(clock, false).run())[0].series;
        for (const o of [...raw.instant, ...raw.range]) expect((promValues(o) as unknown[]).length).toBeGreaterThan(0);
        expect(raw.influxql?.length).toBe(HOSTS.length);
      }
    }

    // Day 30: raw data of day 1 is gone, from files and from memory.
    expect(db.select({ db: 'telegraf', measurement: 'cpu', start: from, end: to })).toEqual([]);
    expect(db.select({ db: 'telegraf', measurement: 'cpu', start: T0, end: T0 + 22n * DAY })).toEqual([]);
    expect(db.select({ db: 'telegraf', measurement: 'cpu', start: T0 + 23n * DAY }).length).toBe(HOSTS.length * 2);
    const rawNow = engineSource(db, { database: 'telegraf' });
    expect(promValues(instantQuery(rawNow, PROMQL_INSTANT[0], ms(from + 3n * HOUR), { now: () => ms(clock) }))).toEqual([]);

    // The same queries now read the tiers and give the same values.
    const src = engineSource(db, { database: 'telegraf', watermarks: ds });
    PROMQL_INSTANT.forEach((q, i) => {
      const out = instantQuery(src, q, ms(from + 3n * HOUR), { now: () => ms(clock) });
      expect(out.tiers, q).toEqual([q.startsWith('increase') ? 'autogen:1h' : 'autogen:1m']);
      expectClose(promValues(out), promValues(raw.instant[i]), q);
    });
    PROMQL_RANGE.forEach((q, i) => {
      const out = rangeQuery(src, q, ms(from), ms(to), 30 * 60_000, { now: () => ms(clock) });
      expect(out.tiers, q).toEqual(['autogen:1m']);
      expectClose(promValues(out), promValues(raw.range[i]), q);
    });
    const tiered = influx(clock, true);
    const res = await tiered.run();
    expect([...tiered.used]).toEqual(['autogen:1m']);
    expectClose(res[0].series, raw.influxql, 'InfluxQL mean/max');

    // Rollups of the 1-minute tier are still all there for day 1: 3 hosts x 12 h x 60 windows.
    const rolled = db.select({ db: 'telegraf', rp: 'autogen:1m', measurement: 'cpu', field: 'usage_user_count', start: from, end: to });
    expect(rolled.map((c) => c.times.length)).toEqual(HOSTS.map(() => 12 * 60));
    await ds.close();
    await db.close();
  }, 120_000);
});
