// Cross-check of the three query languages over one line-protocol measurement: SQL's
// `GROUP BY host, time_bucket('5m', time)`, InfluxQL's `GROUP BY time(5m), host` and
// PromQL's `<agg>_over_time(cpu_usage[5m])` must give the same count, sum, mean, min, max,
// first and last per host per 5-minute bucket.
//
// Window alignment: SQL and InfluxQL buckets are [start, start + 5m), aligned to the epoch.
// PromQL's range `[5m]` evaluated at instant t covers (t - 5m, t]. Evaluating at
// t = bucket end - 1 ms gives (start - 1 ms, end - 1 ms], which holds exactly the points of
// [start, end) because every sample time is a whole number of seconds (points every 10 s
// from the bucket start, so one sits on each bucket start and none on end - 1 ms).

import { describe, expect, it } from 'vitest';
import type { Database } from '../engine/database.js';
import { engineFixture } from '../engine/testing/fixture.js';
import { executeQuery } from './influxql/execute.js';
import { instantQuery } from './promql/engine.js';
import { engineSource } from './promql/storage.js';
import { executeSql } from './sql/index.js';

const { tmpDir, openDb } = engineFixture('strata-crosscheck-');

const DB = 'devops';
const S = 1_000_000_000n;
const BUCKET = 300n * S;
/** 2023-11-14T22:15:00Z: a multiple of 5 minutes, in ns. */
const T0 = 1_700_000_100n * S;
const BUCKETS = 4;
const HOSTS = ['web-1', 'web-2', 'db-1'];

/** A deterministic devops-like dataset: 10 s samples, a gap, an idle host, irregular values. */
function dataset(): { lines: string[]; points: number } {
  const lines: string[] = [];
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let h = 0; h < HOSTS.length; h++) {
    for (let i = 0; i < (BUCKETS * 300) / 10; i++) {
      // db-1 misses a minute and a half of samples in bucket 1 and is silent in bucket 3
      if (HOSTS[h] === 'db-1' && ((i >= 33 && i < 42) || i >= 90)) continue;
      // web-2 reports only every 30 s in bucket 2
      if (HOSTS[h] === 'web-2' && i >= 60 && i < 90 && i % 3 !== 0) continue;
      const usage = Math.round((20 + 60 * rnd() + 10 * h) * 1000) / 1000;
      const t = T0 + BigInt(i) * 10n * S;
      lines.push(`cpu,host=${HOSTS[h]},region=eu usage=${usage},idle=${Math.round((100 - usage) * 1000) / 1000} ${t}`);
    }
  }
  return { lines, points: lines.length };
}

async function load(): Promise<Database> {
  const db = await openDb({ dataDir: tmpDir() });
  await db.createDatabase(DB);
  const { lines, points } = dataset();
  const res = await db.write(lines.join('\n'), { db: DB });
  expect(res.errors).toEqual([]);
  expect(res.points).toBe(points);
  return db;
}

type Agg = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'first' | 'last';
const AGGS: Agg[] = ['count', 'sum', 'mean', 'min', 'max', 'first', 'last'];
const SQL_FN: Record<Agg, string> = { count: 'count', sum: 'sum', mean: 'avg', min: 'min', max: 'max', first: 'first', last: 'last' };
const PROM_FN: Record<Agg, string> = {
  count: 'count_over_time',
  sum: 'sum_over_time',
  mean: 'avg_over_time',
  min: 'min_over_time',
  max: 'max_over_time',
  first: 'first_over_time',
  last: 'last_over_time',
};

/** host → bucket start (ns, as text) → value. */
type Table = Map<string, Map<string, number>>;

function put(t: Table, host: string, bucket: bigint, v: number): void {
  let m = t.get(host);
  if (!m) t.set(host, (m = new Map()));
  expect(m.has(String(bucket)), `${host} ${bucket} twice`).toBe(false);
  m.set(String(bucket), v);
}

async function bySql(db: Database, agg: Agg): Promise<Table> {
  const r = await executeSql(
    db,
    `SELECT host, time_bucket('5m', time) AS t, ${SQL_FN[agg]}(usage) AS v FROM cpu WHERE time >= ${T0} AND time < ${T0 + BigInt(BUCKETS) * BUCKET} GROUP BY host, t`,
    { db: DB, now: T0 + 3600n * S },
  );
  expect(r.columns.map((c) => c.name)).toEqual(['host', 't', 'v']);
  const out: Table = new Map();
  for (const [host, t, v] of r.rows) put(out, host as string, t as bigint, Number(v));
  return out;
}

async function byInfluxQL(db: Database, agg: Agg): Promise<Table> {
  const q = `SELECT ${agg}(usage) FROM cpu WHERE time >= ${T0} AND time < ${T0 + BigInt(BUCKETS) * BUCKET} GROUP BY time(5m), host fill(none)`;
  const [res] = await executeQuery({ engine: db, database: DB, now: T0 + 3600n * S }, q);
  expect(res.error, q).toBeUndefined();
  const out: Table = new Map();
  for (const s of res.series ?? []) {
    expect(s.columns).toEqual(['time', agg]);
    for (const [time, v] of s.values) {
      // the row's time is the bucket start; rounding down keeps the key right either way
      const ns = typeof time === 'string' ? BigInt(Date.parse(time)) * 1_000_000n : BigInt(time as number);
      put(out, s.tags!.host, ns - (ns % BUCKET), Number(v)); // count is an integer (bigint)
    }
  }
  return out;
}

function byPromQL(db: Database, agg: Agg): Table {
  const src = engineSource(db, { database: DB });
  const out: Table = new Map();
  for (let b = 0; b < BUCKETS; b++) {
    const start = T0 + BigInt(b) * BUCKET;
    const evalMs = Number((start + BUCKET) / 1_000_000n) - 1; // bucket end - 1 ms
    const r = instantQuery(src, `${PROM_FN[agg]}(cpu_usage[5m])`, evalMs, { now: () => evalMs });
    expect(r.result.resultType).toBe('vector');
    if (r.result.resultType !== 'vector') continue;
    for (const s of r.result.samples) {
      expect(s.labels.region).toBe('eu');
      put(out, s.labels.host, start, s.v);
    }
  }
  return out;
}

/** Expected values computed from the dataset itself, independent of the three engines. */
function reference(agg: Agg): Table {
  const out: Table = new Map();
  const groups = new Map<string, { host: string; bucket: bigint; vs: number[] }>();
  for (const line of dataset().lines) {
    const m = /^cpu,host=([^,]+),region=eu usage=([^,]+),idle=\S+ (\d+)$/.exec(line)!;
    const t = BigInt(m[3]);
    const bucket = t - (t % BUCKET);
    const k = `${m[1]} ${bucket}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { host: m[1], bucket, vs: [] }));
    g.vs.push(Number(m[2]));
  }
  for (const g of groups.values()) {
    const sum = g.vs.reduce((a, b) => a + b, 0);
    const v = { count: g.vs.length, sum, mean: sum / g.vs.length, min: Math.min(...g.vs), max: Math.max(...g.vs), first: g.vs[0], last: g.vs[g.vs.length - 1] }[agg];
    put(out, g.host, g.bucket, v);
  }
  return out;
}

function expectSame(a: Table, b: Table, what: string): void {
  expect([...a.keys()].sort(), what).toEqual([...b.keys()].sort());
  for (const [host, m] of a) {
    const n = b.get(host)!;
    expect([...m.keys()].sort(), `${what} ${host}`).toEqual([...n.keys()].sort());
    for (const [bucket, v] of m) {
      // sums of the same floats in another order may differ in the last bits
      expect(n.get(bucket)!, `${what} ${host} ${bucket}`).toBeCloseTo(v, 9);
    }
  }
}

describe('SQL, InfluxQL and PromQL agree on a line-protocol measurement', () => {
  it('count, sum, mean, min, max, first and last per host per 5-minute bucket', async () => {
    const db = await load();
    const ref = { count: reference('count') };
    // the dataset has its gaps: db-1 has no bucket 3, web-2 bucket 2 holds 10 samples
    expect([...ref.count.get('db-1')!.keys()]).toHaveLength(3);
    expect(ref.count.get('web-2')!.get(String(T0 + 2n * BUCKET))).toBe(10);
    expect(ref.count.get('db-1')!.get(String(T0 + BUCKET))).toBe(21);
    expect(ref.count.get('web-1')!.get(String(T0))).toBe(30);

    for (const agg of AGGS) {
      const want = reference(agg);
      const sql = await bySql(db, agg);
      const influx = await byInfluxQL(db, agg);
      const prom = byPromQL(db, agg);
      expectSame(want, sql, `SQL ${agg}`);
      expectSame(want, influx, `InfluxQL ${agg}`);
      expectSame(want, prom, `PromQL ${agg}`);
      // and pairwise, so a failure names the language that differs
      expectSame(sql, influx, `SQL vs InfluxQL ${agg}`);
      expectSame(sql, prom, `SQL vs PromQL ${agg}`);
    }

    // The alignment matters: at the bucket end itself PromQL's window (start, end] drops the
    // sample on the start and takes the next bucket's first one.
    const src = engineSource(db, { database: DB });
    const atEnd = Number((T0 + BUCKET) / 1_000_000n);
    const r = instantQuery(src, 'count_over_time(cpu_usage{host="web-1"}[5m])', atEnd, { now: () => atEnd });
    expect(r.result.resultType === 'vector' && r.result.samples.map((s) => s.v)).toEqual([30]);
    const first = instantQuery(src, 'first_over_time(cpu_usage{host="web-1"}[5m])', atEnd, { now: () => atEnd });
    expect(first.result.resultType === 'vector' && first.result.samples[0].v).not.toBe(reference('first').get('web-1')!.get(String(T0)));
  });

  it('still agrees after the data is flushed to TSM files and compacted', async () => {
    const db = await load();
    await db.flush();
    await db.compact({ full: true });
    for (const agg of ['count', 'mean', 'max', 'last'] as Agg[]) {
      const want = reference(agg);
      expectSame(want, await bySql(db, agg), `SQL ${agg}`);
      expectSame(want, await byInfluxQL(db, agg), `InfluxQL ${agg}`);
      expectSame(want, byPromQL(db, agg), `PromQL ${agg}`);
    }
  });
});
