// Over HTTP: POST /sql answers read from a downsampling tier say which in `X-Strata-Tier`.
// The plugin is registered on its own (buildServer passes it the watermarks once
// src/server/app.ts forwards its `sql` options).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../engine/database.js';
import { sqlPlugin } from '../../server/sql.js';
import { FakeWatermarks, writeTiered, type RawSeriesData } from '../promql/testing/tierData.js';

const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const T0 = 1_699_920_000_000_000_000n; // a day boundary

const open: { app: FastifyInstance; db: Database; dir: string }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app.close();
    await o.db.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
});

async function server(withTiers: boolean): Promise<FastifyInstance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sql-header-'));
  const db = await openDatabase({ dataDir: dir, fsync: 'off', now: () => T0 + 5n * HOUR });
  const marks = new FakeWatermarks();
  const app = Fastify();
  await app.register(sqlPlugin({ db, bodyLimit: 1 << 20, ...(withTiers ? { tierWatermarks: marks } : {}) }));
  open.push({ app, db, dir });
  await db.createDatabase('d');
  const tiers = await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 0n }]);
  const times: bigint[] = [];
  const values: number[] = [];
  for (let i = 0; i < 240; i++) {
    times.push(T0 + BigInt(i) * MIN + 17_000_000_000n);
    values.push(i * 2);
  }
  const series: RawSeriesData[] = [{ tags: { host: 'a' }, times, values }];
  await writeTiered(db, 'd', 'http', 'requests', series, tiers, T0 + 3n * HOUR, marks);
  return app;
}

const post = (app: FastifyInstance, query: string) => app.inject({ method: 'POST', url: '/sql?db=d', headers: { 'content-type': 'text/plain' }, payload: query });

describe('X-Strata-Tier on POST /sql', () => {
  const range = `time >= ${T0} AND time < ${T0 + 4n * HOUR}`;
  const hourly = `SELECT time_bucket('1h', time) AS t, avg(requests) AS mean, count(requests) AS n FROM http WHERE ${range} GROUP BY t`;
  const rows = [
    ['2023-11-14T00:00:00Z', 59, 60],
    ['2023-11-14T01:00:00Z', 179, 60],
    ['2023-11-14T02:00:00Z', 299, 60],
    ['2023-11-14T03:00:00Z', 419, 60], // after the watermark: from raw points
  ];

  it('is sent when a tier answered, with the raw answer', async () => {
    const app = await server(true);
    const res = await post(app, hourly);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-strata-tier']).toBe('autogen:1m');
    expect(JSON.parse(res.body)).toEqual({
      columns: [
        { name: 't', type: 'timestamp' },
        { name: 'mean', type: 'float' },
        { name: 'n', type: 'integer' },
      ],
      rows,
    });
    const fine = await post(app, hourly.replace("'1h'", "'5m'")); // 5 windows a bucket: raw
    expect(fine.statusCode, fine.body).toBe(200);
    expect(fine.headers['x-strata-tier']).toBeUndefined();
    expect(JSON.parse(fine.body).rows.length).toBe(48);
  });

  it('is not sent without the watermarks, and the answer is the same', async () => {
    const app = await server(false);
    const res = await post(app, hourly);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-strata-tier']).toBeUndefined();
    expect(JSON.parse(res.body).rows).toEqual(rows);
  });
});
