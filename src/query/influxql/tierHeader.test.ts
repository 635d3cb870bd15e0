// Over HTTP: answers read from a downsampling tier say which in `X-Strata-Tier`, for the
// Prometheus API (/api/v1/query, /api/v1/query_range) and InfluxQL (/query).

import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, setup } from '../../server/testing/harness.js';
import { FakeWatermarks, writeTiered, type RawSeriesData } from '../promql/testing/tierData.js';

const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const T0 = 1_699_920_000_000_000_000n; // a day boundary

afterEach(cleanup);

async function server() {
  const marks = new FakeWatermarks();
  const h = await setup({ server: { query: { tierWatermarks: marks }, influxql: { tierWatermarks: marks } } });
  await h.db.createDatabase('d');
  const tiers = await h.db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 0n }]);
  const times: bigint[] = [];
  const values: number[] = [];
  for (let i = 0; i < 240; i++) {
    times.push(T0 + BigInt(i) * MIN + 17_000_000_000n);
    values.push(i * 2);
  }
  const series: RawSeriesData[] = [{ tags: { host: 'a' }, times, values }];
  await writeTiered(h.db, 'd', 'http', 'requests_total', series, tiers, T0 + 3n * HOUR, marks);
  return h.app;
}

describe('X-Strata-Tier', () => {
  it('is sent by /api/v1/query and /api/v1/query_range when a tier answered', async () => {
    const app = await server();
    const t = Number((T0 + 2n * HOUR) / 1_000_000_000n);
    const q = (query: string, extra = '') => app.inject({ method: 'GET', url: `/api/v1/query?${new URLSearchParams({ query, time: String(t), db: 'd' })}${extra}` });
    let res = await q('rate(http_requests_total[1h])');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-strata-tier']).toBe('autogen:1m');
    const v = JSON.parse(res.body).data.result[0].value[1];
    expect(Number(v)).toBeCloseTo(2 / 60, 12);
    res = await q('rate(http_requests_total[5m])'); // 5 windows: raw is cheaper
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-strata-tier']).toBeUndefined();

    const range = await app.inject({
      method: 'POST',
      url: '/api/v1/query_range',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ query: 'max_over_time(http_requests_total[30m])', start: String(t), end: String(t + 3600), step: '600' }).toString(),
    });
    expect(range.statusCode, range.body).toBe(200);
    expect(range.headers['x-strata-tier']).toBe('autogen:1m');
    expect(JSON.parse(range.body).data.result[0].values.length).toBe(7);
  });

  it('is sent by /query when a tier answered', async () => {
    const app = await server();
    const get = (q: string) => app.inject({ method: 'GET', url: `/query?${new URLSearchParams({ db: 'd', q, epoch: 's' })}` });
    const range = `time >= ${T0} AND time < ${T0 + 4n * HOUR}`;
    let res = await get(`SELECT mean(requests_total), count(requests_total) FROM http WHERE ${range} GROUP BY time(1h)`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-strata-tier']).toBe('autogen:1m');
    expect(JSON.parse(res.body).results[0].series[0].values).toEqual([
      [Number(T0 / 1_000_000_000n), 59, 60],
      [Number(T0 / 1_000_000_000n) + 3600, 179, 60],
      [Number(T0 / 1_000_000_000n) + 7200, 299, 60],
      [Number(T0 / 1_000_000_000n) + 10800, 419, 60], // after the watermark: from raw points
    ]);
    res = await get(`SELECT mean(requests_total) FROM http WHERE ${range} GROUP BY time(5m)`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-strata-tier']).toBeUndefined();
  });
});
