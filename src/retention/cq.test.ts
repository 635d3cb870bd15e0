// Continuous queries over a real engine with a fake clock: the statements through the
// InfluxQL executor, the schedule and windows of InfluxDB's documented examples, a
// simulated day, a simulated downtime, failures.

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Database } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { engineFixture } from '../engine/testing/fixture.js';
import { executeQuery } from '../query/influxql/execute.js';
import type { QueryContext } from '../query/influxql/result.js';
import { silentLogger, type Logger } from '../types.js';
import { ContinuousQueries, type CqRunEvent } from './cq.js';
import { registerScheduleMetrics } from './metrics.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-cq-');

const M = 60_000;
const H = 60 * M;
const MS = 1_000_000n;
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const at = (s: string) => Date.parse(s);

interface Harness {
  db: Database;
  cqs: ContinuousQueries;
  clock: { now: number };
  runs: CqRunEvent[];
  logs: { level: string; obj: unknown; msg?: string }[];
  q(text: string, ctx?: Partial<QueryContext>): Promise<unknown[]>;
}

function harness(db: Database, now: number, opts: { maxCatchUp?: number } = {}): Harness {
  const clock = { now };
  const runs: CqRunEvent[] = [];
  const logs: Harness['logs'] = [];
  const logger: Logger = {
    info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
  };
  const cqs = ContinuousQueries.open({ engine: db, now: () => clock.now, logger, onRun: (e) => runs.push(e), ...opts });
  return {
    db,
    cqs,
    clock,
    runs,
    logs,
    async q(text, ctx = {}) {
      const res = await executeQuery({ engine: db, now: BigInt(clock.now) * MS, continuousQueries: cqs, ...ctx }, text);
      return res.map(({ chunking: _c, ...r }) => r);
    },
  };
}

/** The points of one measurement as `series field=value time` lines, sorted. */
function points(db: Database, dbName: string, measurement: string): string[] {
  const out: string[] = [];
  for (const chunk of exportLineProtocol(db, { db: dbName, measurement })) for (const l of chunk.split('\n')) if (l) out.push(l);
  return out.sort();
}

/** Line protocol time of an ISO string. */
const ns = (s: string) => BigInt(at(s)) * MS;

// InfluxDB 1.8's documentation example data (query_language/continuous_queries).
const BUS = [
  ['2016-08-28T07:00:00Z', 5, 9],
  ['2016-08-28T07:15:00Z', 8, 9],
  ['2016-08-28T07:30:00Z', 8, 9],
  ['2016-08-28T07:45:00Z', 7, 9],
  ['2016-08-28T08:00:00Z', 8, 9],
  ['2016-08-28T08:15:00Z', 15, 7],
  ['2016-08-28T08:30:00Z', 15, 7],
  ['2016-08-28T08:45:00Z', 17, 7],
  ['2016-08-28T09:00:00Z', 20, 7],
] as const;

/** The example data, or the part of it up to `until` (ISO, inclusive). */
async function busDb(until = '9999'): Promise<Database> {
  const db = await openDb({ dataDir: tmpDir() });
  await db.createDatabase('transportation');
  await writeBus(db, '0', until);
  return db;
}

async function writeBus(db: Database, after: string, until: string): Promise<void> {
  const rows = BUS.filter(([t]) => t > after && t <= until);
  await db.write(rows.map(([t, p, c]) => `bus_data passengers=${p},complaints=${c} ${ns(t)}`).join('\n'), { db: 'transportation' });
}

/** Runs the CQ at each of `times` (ISO) and returns the windows each run covered. */
async function runAt(h: Harness, times: string[]): Promise<string[]> {
  const from = h.runs.length;
  for (const t of times) {
    h.clock.now = at(t);
    await h.cqs.runDue(at(t));
  }
  return h.runs.slice(from).map((r) => `${iso(r.at)} [${iso(Number(r.start / MS))}, ${iso(Number(r.end / MS))}) ${r.points}`);
}

/** The `average_passengers` points of (hh:mm on 2016-08-28, mean) pairs, as points() lists them. */
function averages(rows: [string, string][]): string[] {
  return rows.map(([t, v]) => `average_passengers mean=${v} ${ns(`2016-08-28T${t}:00Z`)}`).sort();
}

describe('CREATE / SHOW / DROP CONTINUOUS QUERY', () => {
  it('stores the normalized query, lists it per database as InfluxDB does, and drops it', async () => {
    const db = await busDb();
    await db.createDatabase('other');
    const h = harness(db, at('2016-08-28T06:59:00Z'));
    const create = 'CREATE CONTINUOUS QUERY cq_basic ON transportation BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(1h) END';
    expect(await h.q(create)).toEqual([{ statement_id: 0 }]);
    const show = await h.q('SHOW CONTINUOUS QUERIES');
    expect(show).toEqual([
      {
        statement_id: 0,
        series: [
          {
            name: 'transportation',
            columns: ['name', 'query'],
            values: [
              [
                'cq_basic',
                'CREATE CONTINUOUS QUERY cq_basic ON transportation BEGIN SELECT mean(passengers) INTO transportation.autogen.average_passengers FROM transportation.autogen.bus_data GROUP BY time(1h) END',
              ],
            ],
          },
          { name: 'other', columns: ['name', 'query'], values: [] },
        ],
      },
    ]);
    // The same query again is fine (also in other letter case); another one is not.
    expect(await h.q(create.replace('mean', 'MEAN'))).toEqual([{ statement_id: 0 }]);
    expect(await h.q(create.replace('mean', 'max'))).toEqual([{ statement_id: 0, error: 'continuous query already exists' }]);
    expect(await h.q(create.replace('ON transportation', 'ON nodb'))).toEqual([{ statement_id: 0, error: 'database not found: nodb' }]);
    expect(await h.q(create.replace('FROM bus_data', 'FROM nope.autogen.bus_data'))).toEqual([{ statement_id: 0, error: 'database not found: nope' }]);
    expect(await h.q(create.replace('cq_basic', 'cq2').replace('FROM bus_data', 'FROM transportation.rp9.bus_data'))).toEqual([
      { statement_id: 0, error: 'retention policy not found: transportation.rp9' },
    ]);
    // A raw query parses (as in InfluxDB) but could never run.
    expect(await h.q('CREATE CONTINUOUS QUERY x ON transportation BEGIN SELECT passengers INTO y FROM bus_data END')).toEqual([
      { statement_id: 0, error: 'continuous queries must be aggregate queries' },
    ]);
    expect(h.cqs.list('transportation').map((q) => q.name)).toEqual(['cq_basic']);

    // Persisted: a new registry over the same data dir lists it.
    const again = ContinuousQueries.open({ engine: db, now: () => h.clock.now, logger: silentLogger });
    expect(again.list('transportation').map((q) => q.name)).toEqual(['cq_basic']);

    // DROP of one that does not exist is no error (InfluxDB 1.8).
    expect(await h.q('DROP CONTINUOUS QUERY nope ON transportation')).toEqual([{ statement_id: 0 }]);
    expect(await h.q('DROP CONTINUOUS QUERY cq_basic ON transportation')).toEqual([{ statement_id: 0 }]);
    expect((await h.q('SHOW CONTINUOUS QUERIES'))[0]).toMatchObject({ series: [{ name: 'transportation', values: [] }, { name: 'other', values: [] }] });
    expect(ContinuousQueries.open({ engine: db, now: () => 0, logger: silentLogger }).list('transportation')).toEqual([]);
  });

  it('without a registry in the context keeps answering "not supported"', async () => {
    const db = await busDb();
    const res = await executeQuery(
      { engine: db, now: 0n },
      'CREATE CONTINUOUS QUERY c ON transportation BEGIN SELECT mean(passengers) INTO x FROM bus_data GROUP BY time(1h) END',
    );
    expect(res[0].error).toBe('CREATE CONTINUOUS QUERY is not supported by Strata');
    const show = await executeQuery({ engine: db, now: 0n }, 'SHOW CONTINUOUS QUERIES');
    expect(show[0].series).toEqual([{ name: 'transportation', columns: ['name', 'query'], values: [] }]);
  });

  it('DROP DATABASE drops its continuous queries, and so does a database dropped elsewhere', async () => {
    const db = await busDb();
    await db.createDatabase('other');
    const h = harness(db, at('2016-08-28T06:59:00Z'));
    await h.q('CREATE CONTINUOUS QUERY a ON transportation BEGIN SELECT mean(passengers) INTO x FROM bus_data GROUP BY time(1h) END');
    await h.q('CREATE CONTINUOUS QUERY b ON other BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1h) END');
    await h.q('DROP DATABASE transportation');
    expect(h.cqs.list('transportation')).toEqual([]);
    await db.dropDatabase('other');
    await h.cqs.runDue(at('2016-08-28T09:00:00Z'));
    expect(h.cqs.list('other')).toEqual([]);
    await db.createDatabase('other');
    expect(h.cqs.list('other')).toEqual([]);
  });
});

describe('schedule and windows: InfluxDB 1.8 documentation examples', () => {
  it('basic: runs at each GROUP BY boundary over the interval before it', async () => {
    const h = harness(await busDb(), at('2016-08-28T07:00:00Z') - 1);
    await h.q('CREATE CONTINUOUS QUERY cq_basic ON transportation BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(1h) END');
    expect(await runAt(h, ['2016-08-28T07:30:00Z', '2016-08-28T08:00:00Z', '2016-08-28T09:00:00Z', '2016-08-28T09:30:00Z'])).toEqual([
      '2016-08-28T07:00:00Z [2016-08-28T06:00:00Z, 2016-08-28T07:00:00Z) 0',
      '2016-08-28T08:00:00Z [2016-08-28T07:00:00Z, 2016-08-28T08:00:00Z) 1',
      '2016-08-28T09:00:00Z [2016-08-28T08:00:00Z, 2016-08-28T09:00:00Z) 1',
    ]);
    expect(points(h.db, 'transportation', 'average_passengers')).toEqual(
      [`average_passengers mean=7 ${ns('2016-08-28T07:00:00Z')}`, `average_passengers mean=13.75 ${ns('2016-08-28T08:00:00Z')}`].sort(),
    );
  });

  it('GROUP BY time(1h, 15m): runs at 15 past, over the hour before', async () => {
    const h = harness(await busDb(), at('2016-08-28T07:15:00Z'));
    await h.q('CREATE CONTINUOUS QUERY cq_basic_offset ON transportation BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(1h,15m) END');
    h.runs.length = 0;
    await h.cqs.runDue(at('2016-08-28T07:15:00Z'));
    h.runs.length = 0;
    expect(await runAt(h, ['2016-08-28T08:15:00Z', '2016-08-28T09:15:00Z'])).toEqual([
      '2016-08-28T08:15:00Z [2016-08-28T07:15:00Z, 2016-08-28T08:15:00Z) 1',
      '2016-08-28T09:15:00Z [2016-08-28T08:15:00Z, 2016-08-28T09:15:00Z) 1',
    ]);
    // The run at creation (07:15) wrote 06:15; then 07:15 and 08:15 as in the docs.
    expect(points(h.db, 'transportation', 'average_passengers')).toEqual(
      [
        `average_passengers mean=5 ${ns('2016-08-28T06:15:00Z')}`,
        `average_passengers mean=7.75 ${ns('2016-08-28T07:15:00Z')}`,
        `average_passengers mean=16.75 ${ns('2016-08-28T08:15:00Z')}`,
      ].sort(),
    );
  });

  it('RESAMPLE EVERY 30m with GROUP BY time(1h): every 30 minutes, the current hour is re-computed', async () => {
    // Points arrive in real time: at 08:30 the last one is 08:30's.
    const h = harness(await busDb('2016-08-28T08:30:00Z'), at('2016-08-28T08:00:00Z') - 1);
    await h.q('CREATE CONTINUOUS QUERY cq_advanced_every ON transportation RESAMPLE EVERY 30m BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(1h) END');
    h.runs.length = 0;
    expect(await runAt(h, ['2016-08-28T08:00:00Z', '2016-08-28T08:30:00Z'])).toEqual([
      '2016-08-28T08:00:00Z [2016-08-28T07:00:00Z, 2016-08-28T08:00:00Z) 1',
      '2016-08-28T08:30:00Z [2016-08-28T08:00:00Z, 2016-08-28T09:00:00Z) 1',
    ]);
    // Mid-hour the 08:00 bucket holds 08:00-08:30 only: (8 + 15 + 15) / 3.
    expect(points(h.db, 'transportation', 'average_passengers')).toContain(`average_passengers mean=12.666666666666666 ${ns('2016-08-28T08:00:00Z')}`);
    await writeBus(h.db, '2016-08-28T08:30:00Z', '9999');
    expect(await runAt(h, ['2016-08-28T09:00:00Z'])).toEqual(['2016-08-28T09:00:00Z [2016-08-28T08:00:00Z, 2016-08-28T09:00:00Z) 1']);
    expect(points(h.db, 'transportation', 'average_passengers')).toEqual([
      `average_passengers mean=13.75 ${ns('2016-08-28T08:00:00Z')}`,
      `average_passengers mean=7 ${ns('2016-08-28T07:00:00Z')}`,
    ]);
  });

  it('RESAMPLE FOR 1h with GROUP BY time(30m): every 30 minutes over the last hour', async () => {
    const h = harness(await busDb(), at('2016-08-28T08:00:00Z') - 1);
    await h.q('CREATE CONTINUOUS QUERY cq_advanced_for ON transportation RESAMPLE FOR 1h BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(30m) END');
    h.runs.length = 0;
    expect(await runAt(h, ['2016-08-28T08:00:00Z', '2016-08-28T08:30:00Z', '2016-08-28T09:00:00Z'])).toEqual([
      '2016-08-28T08:00:00Z [2016-08-28T07:00:00Z, 2016-08-28T08:00:00Z) 2',
      '2016-08-28T08:30:00Z [2016-08-28T07:30:00Z, 2016-08-28T08:30:00Z) 2',
      '2016-08-28T09:00:00Z [2016-08-28T08:00:00Z, 2016-08-28T09:00:00Z) 2',
    ]);
    expect(points(h.db, 'transportation', 'average_passengers')).toEqual(averages([['07:00', '6.5'], ['07:30', '7.5'], ['08:00', '11.5'], ['08:30', '16']]));
  });

  it('RESAMPLE EVERY 1h FOR 90m with GROUP BY time(30m): hourly over the last 90 minutes', async () => {
    const h = harness(await busDb(), at('2016-08-28T08:00:00Z') - 1);
    await h.q('CREATE CONTINUOUS QUERY cq_advanced_every_for ON transportation RESAMPLE EVERY 1h FOR 90m BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(30m) END');
    h.runs.length = 0;
    expect(await runAt(h, ['2016-08-28T08:00:00Z', '2016-08-28T08:30:00Z', '2016-08-28T09:00:00Z'])).toEqual([
      '2016-08-28T08:00:00Z [2016-08-28T06:30:00Z, 2016-08-28T08:00:00Z) 2',
      '2016-08-28T09:00:00Z [2016-08-28T07:30:00Z, 2016-08-28T09:00:00Z) 3',
    ]);
    expect(points(h.db, 'transportation', 'average_passengers')).toEqual(averages([['07:00', '6.5'], ['07:30', '7.5'], ['08:00', '11.5'], ['08:30', '16']]));
  });

  it('RESAMPLE FOR 2h with fill(1000): empty buckets of a window with data are filled', async () => {
    const h = harness(await busDb(), at('2016-08-28T07:00:00Z') - 1);
    await h.q('CREATE CONTINUOUS QUERY cq_advanced_for_fill ON transportation RESAMPLE FOR 2h BEGIN SELECT mean(passengers) INTO average_passengers FROM bus_data GROUP BY time(1h) fill(1000) END');
    h.runs.length = 0;
    expect(await runAt(h, ['2016-08-28T07:00:00Z', '2016-08-28T08:00:00Z', '2016-08-28T09:00:00Z'])).toEqual([
      '2016-08-28T07:00:00Z [2016-08-28T05:00:00Z, 2016-08-28T07:00:00Z) 0',
      '2016-08-28T08:00:00Z [2016-08-28T06:00:00Z, 2016-08-28T08:00:00Z) 2',
      '2016-08-28T09:00:00Z [2016-08-28T07:00:00Z, 2016-08-28T09:00:00Z) 2',
    ]);
    expect(points(h.db, 'transportation', 'average_passengers')).toEqual(averages([['06:00', '1000'], ['07:00', '7'], ['08:00', '13.75']]));
  });

  it('a WHERE time condition of the query is replaced by the window; tag conditions stay', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write(`m,host=a v=1 ${ns('2024-01-01T00:10:00Z')}\nm,host=b v=5 ${ns('2024-01-01T00:20:00Z')}`, { db: 'd' });
    const h = harness(db, at('2024-01-01T01:00:00Z') - 1);
    await h.q("CREATE CONTINUOUS QUERY c ON d BEGIN SELECT sum(v) INTO s FROM m WHERE host = 'a' AND time > '2030-01-01T00:00:00Z' GROUP BY time(1h), host END");
    await h.cqs.runDue(at('2024-01-01T01:00:00Z'));
    expect(points(db, 'd', 's')).toEqual([`s,host=a sum=1 ${ns('2024-01-01T00:00:00Z')}`]);
  });
});

/** Source data for the simulated days: 3 hosts, a point every 10 minutes, value = minute index. */
async function dayDb(dataDir: string, from: number, hours: number): Promise<Database> {
  const db = await openDb({ dataDir });
  const lines: string[] = [];
  for (let t = from; t < from + hours * H; t += 10 * M) {
    for (const host of ['a', 'b', 'c']) lines.push(`cpu,host=${host} usage=${(t - from) / M + host.charCodeAt(0)} ${BigInt(t) * MS}`);
  }
  await db.write(lines.join('\n'), { db: 'telegraf' });
  return db;
}

/** What the hourly mean CQ must have written for the hour starting at `h0`. */
function expectedHour(from: number, h0: number): string[] {
  return ['a', 'b', 'c'].map((host) => {
    let sum = 0;
    for (let k = 0; k < 6; k++) sum += (h0 + k * 10 * M - from) / M + host.charCodeAt(0);
    return `cpu_1h,host=${host} mean=${sum / 6} ${BigInt(h0) * MS}`;
  });
}

describe('a simulated day and a downtime', () => {
  it('runs an hourly CQ on time for a day, then after 6 hours down runs each missed hour once, in order', async () => {
    const D = at('2024-05-01T00:00:00Z');
    const dir = tmpDir();
    let db = await dayDb(dir, D - H, 26);
    let h = harness(db, D - 1);
    await h.q('CREATE CONTINUOUS QUERY cq_1h ON telegraf BEGIN SELECT mean(usage) INTO cpu_1h FROM cpu GROUP BY time(1h), * END');
    // A tick every minute of the day; each run must happen in the tick at its time.
    const ranAt: [number, number][] = [];
    for (let t = D; t <= D + 12 * H; t += M) {
      const before = h.runs.length;
      h.clock.now = t;
      await h.cqs.runDue(t);
      for (const r of h.runs.slice(before)) ranAt.push([r.at, t]);
    }
    expect(ranAt.map(([a]) => iso(a))).toEqual(Array.from({ length: 13 }, (_, i) => iso(D + i * H)));
    for (const [a, t] of ranAt) expect(t).toBe(a);
    expect(h.runs.every((r) => r.points === 3 && r.error === undefined)).toBe(true);

    // Down from 12:00:30 to 18:30: the runs at 13:00 ... 18:00 were missed.
    db = await reopen(db);
    h = harness(db, D + 18 * H + 30 * M);
    await h.cqs.runDue(h.clock.now);
    expect(h.runs.map((r) => iso(r.at))).toEqual(Array.from({ length: 6 }, (_, i) => iso(D + (13 + i) * H)));
    await h.cqs.runDue(h.clock.now);
    expect(h.runs.length).toBe(6);
    // Then on time again.
    for (let t = D + 18 * H + 31 * M; t <= D + 24 * H; t += M) await h.cqs.runDue(t);
    expect(h.runs.map((r) => iso(r.at)).slice(6)).toEqual(Array.from({ length: 6 }, (_, i) => iso(D + (19 + i) * H)));

    // Every hour of the day exactly once with the right means: 00:00 is the hour before D.
    const want: string[] = [];
    for (let k = -1; k < 24; k++) want.push(...expectedHour(D - H, D + k * H));
    expect(points(db, 'telegraf', 'cpu_1h')).toEqual(want.sort());
  });

  it("RESAMPLE CRON: runs at the cron times (09:30 and 17:30 New York time) for a day, covering the hours between runs, and catches up once after downtime", async () => {
    const D = at('2024-05-01T00:00:00Z');
    const dir = tmpDir();
    let db = await dayDb(dir, D - H, 72);
    let h = harness(db, D);
    await h.q(`CREATE CONTINUOUS QUERY cq_cron ON telegraf RESAMPLE CRON '30 9,17 * * *' TZ 'America/New_York' BEGIN SELECT mean(usage) INTO cpu_1h FROM cpu GROUP BY time(1h), * END`);
    const shown = (await h.q('SHOW CONTINUOUS QUERIES')) as { series: { values: string[][] }[] }[];
    expect(shown[0].series[0].values[0][1]).toContain(`RESAMPLE CRON '30 9,17 * * *' TZ 'America/New_York' BEGIN`);
    const ranAt: [number, number][] = [];
    for (let t = D; t <= D + 24 * H; t += M) {
      const before = h.runs.length;
      h.clock.now = t;
      await h.cqs.runDue(t);
      for (const r of h.runs.slice(before)) ranAt.push([r.at, t]);
    }
    // New York is UTC-4 in May: 09:30 and 17:30 there are 13:30 and 21:30 UTC.
    expect(ranAt.map(([a]) => iso(a))).toEqual(['2024-05-01T13:30:00Z', '2024-05-01T21:30:00Z']);
    for (const [a, t] of ranAt) expect(t).toBe(a);
    // The first run covers from the hour of the previous cron time (21:30 the day before).
    const windows = () => h.runs.map((r) => `[${iso(Number(r.start / MS))}, ${iso(Number(r.end / MS))})`);
    expect(windows()).toEqual(['[2024-04-30T21:00:00Z, 2024-05-01T13:00:00Z)', '[2024-05-01T13:00:00Z, 2024-05-01T21:00:00Z)']);

    // Down from 2024-05-02 00:00 to 2024-05-03 12:00: the runs at 13:30 and 21:30 on the 2nd
    // were missed; each runs once, in order, then nothing more is due.
    db = await reopen(db);
    h = harness(db, D + 60 * H);
    await h.cqs.runDue(h.clock.now);
    await h.cqs.runDue(h.clock.now);
    expect(h.runs.map((r) => iso(r.at))).toEqual(['2024-05-02T13:30:00Z', '2024-05-02T21:30:00Z']);
    expect(windows()).toEqual(['[2024-05-01T21:00:00Z, 2024-05-02T13:00:00Z)', '[2024-05-02T13:00:00Z, 2024-05-02T21:00:00Z)']);
    // Every hour with data (from 2024-04-30 23:00) to 2024-05-02 21:00 exactly once.
    const want: string[] = [];
    for (let k = -1; k < 45; k++) want.push(...expectedHour(D - H, D + k * H));
    expect(points(db, 'telegraf', 'cpu_1h')).toEqual(want.sort());
  });

  it('RESAMPLE CRON refuses EVERY beside it and a bad expression, at CREATE', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('telegraf');
    const h = harness(db, at('2024-05-01T00:00:00Z'));
    await expect(h.q(`CREATE CONTINUOUS QUERY c ON telegraf RESAMPLE EVERY 1h CRON '0 * * * *' BEGIN SELECT mean(v) INTO x FROM cpu GROUP BY time(1h) END`)).rejects.toThrow(
      /RESAMPLE CRON and RESAMPLE EVERY cannot be combined/,
    );
    const bad = await h.q(`CREATE CONTINUOUS QUERY c ON telegraf RESAMPLE CRON 'every hour' BEGIN SELECT mean(v) INTO x FROM cpu GROUP BY time(1h) END`);
    expect(JSON.stringify(bad)).toMatch(/invalid cron expression \\"every hour\\"/);
    const tz = await h.q(`CREATE CONTINUOUS QUERY c ON telegraf RESAMPLE CRON '0 * * * *' TZ 'Mars/Olympus' BEGIN SELECT mean(v) INTO x FROM cpu GROUP BY time(1h) END`);
    expect(JSON.stringify(tz)).toMatch(/unknown time zone \\"Mars\/Olympus\\"/);
    expect(h.cqs.list('telegraf')).toEqual([]);
  });

  it('caps the catch-up, logging a warning', async () => {
    const D = at('2024-05-01T00:00:00Z');
    const db = await dayDb(tmpDir(), D, 1);
    const h = harness(db, D, { maxCatchUp: 3 });
    await h.q('CREATE CONTINUOUS QUERY c ON telegraf BEGIN SELECT count(usage) INTO n FROM cpu GROUP BY time(1m) END');
    await h.cqs.runDue(D + 10 * M);
    expect(h.runs.map((r) => iso(r.at))).toEqual([iso(D + 8 * M), iso(D + 9 * M), iso(D + 10 * M)]);
    expect(h.logs.find((l) => l.level === 'warn')).toMatchObject({ obj: { cq: 'c', skipped: 8, kept: 3 } });
  });

  it('logs and counts a failing run, and the next runs go on', async () => {
    const D = at('2024-05-01T00:00:00Z');
    const db = await dayDb(tmpDir(), D - H, 4);
    await db.createDatabase('target');
    const h = harness(db, D - 1);
    await h.q('CREATE CONTINUOUS QUERY c ON telegraf BEGIN SELECT max(usage) INTO target.autogen.m FROM cpu GROUP BY time(1h) END');
    await h.cqs.runDue(D);
    await db.dropDatabase('target');
    await h.cqs.runDue(D + H);
    await db.createDatabase('target');
    await h.cqs.runDue(D + 2 * H);
    expect(h.runs.map((r) => [iso(r.at), r.points, r.error ?? null])).toEqual([
      [iso(D), 1, null],
      [iso(D + H), 0, 'database not found: target'],
      [iso(D + 2 * H), 1, null],
    ]);
    const s = h.cqs.stats()[0].stats;
    expect(s).toMatchObject({ runs: 3, failures: 1, lastRun: D + 2 * H, lastError: null, lastPoints: 1 });
    const err = h.logs.find((l) => l.level === 'error');
    expect(err).toMatchObject({ msg: 'continuous query failed', obj: { db: 'telegraf', cq: 'c', err: 'database not found: target', points: 0 } });
    expect(h.logs.filter((l) => l.msg === 'continuous query ran').length).toBe(2);

    const registry = new Registry();
    registerScheduleMetrics(registry, { continuousQueries: h.cqs });
    const text = await registry.metrics();
    expect(text).toContain('strata_cq_runs_total{db="telegraf",name="c"} 3');
    expect(text).toContain('strata_cq_failures_total{db="telegraf",name="c"} 1');
    expect(text).toContain(`strata_cq_last_run_timestamp_seconds{db="telegraf",name="c"} ${(D + 2 * H) / 1000}`);
    expect(text).toMatch(/strata_cq_last_duration_seconds\{db="telegraf",name="c"\} \d/);
  });
});
