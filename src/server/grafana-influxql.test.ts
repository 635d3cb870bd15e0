// The calls Grafana's InfluxDB data source (InfluxQL mode) makes, by GET and by
// form-encoded POST, over real HTTP. Expected bodies: what InfluxDB 1.6.7 answered to the
// same requests over the same points (recorded 2026-11-22, epoch=ms as Grafana sends).

import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, setup } from './testing/harness.js';

const POINTS = `cpu,host=a,region=eu value=1,idle=90i 1700000000000000000
cpu,host=a,region=eu value=3,idle=80i 1700000030000000000
cpu,host=a,region=eu value=5,idle=70i 1700000090000000000
cpu,host=b,region=us value=2,idle=60i 1700000010000000000
cpu,host=b,region=us value=4 1700000200000000000
Xmem,host=a used=10 1700000000000000000
mem,host=a used=12 1700000060000000000`;

const CASES: [string, string][] = [
  // health check
  ['SHOW measurements', '{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["Xmem"],["cpu"],["mem"]]}]}]}'],
  // query editor
  [
    'SHOW RETENTION POLICIES on "gdb"',
    '{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true]]}]}]}',
  ],
  [
    'SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)M/ LIMIT 100',
    '{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["Xmem"],["mem"]]}]}]}',
  ],
  ['SHOW TAG KEYS FROM "cpu"', '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["tagKey"],"values":[["host"],["region"]]}]}]}'],
  [
    'SHOW TAG VALUES FROM "autogen"."cpu" WITH KEY = "host"',
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["key","value"],"values":[["host","a"],["host","b"]]}]}]}',
  ],
  [
    'SHOW FIELD KEYS',
    '{"results":[{"statement_id":0,"series":[{"name":"Xmem","columns":["fieldKey","fieldType"],"values":[["used","float"]]},{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["idle","integer"],["value","float"]]},{"name":"mem","columns":["fieldKey","fieldType"],"values":[["used","float"]]}]}]}',
  ],
  [
    'SHOW FIELD KEYS FROM "cpu"',
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["idle","integer"],["value","float"]]}]}]}',
  ],
  // generated panel queries
  [
    `SELECT mean("value") FROM "autogen"."cpu" WHERE ("host" = 'a') AND time >= 1700000000000ms and time <= 1700000180000ms GROUP BY time(1m), "host" fill(null)`,
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","mean"],"values":[[1699999980000,2],[1700000040000,5],[1700000100000,null],[1700000160000,null]]}]}]}',
  ],
  [
    `SELECT mean("value") FROM "autogen"."cpu" WHERE time >= 1700000000000ms and time <= 1700000240000ms GROUP BY time(1m), "host" fill(null)`,
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","mean"],"values":[[1699999980000,2],[1700000040000,5],[1700000100000,null],[1700000160000,null],[1700000220000,null]]},{"name":"cpu","tags":{"host":"b"},"columns":["time","mean"],"values":[[1699999980000,2],[1700000040000,null],[1700000100000,null],[1700000160000,4],[1700000220000,null]]}]}]}',
  ],
];

let app: FastifyInstance;
beforeEach(async () => {
  const h = await setup();
  app = h.app;
  await h.db.write(POINTS, { db: 'gdb' });
});
afterEach(cleanup);

describe("Grafana's InfluxDB data source (InfluxQL)", () => {
  it.each(CASES)('GET %s', async (q, expected) => {
    const res = await app.inject({ method: 'GET', url: `/query?${new URLSearchParams({ db: 'gdb', epoch: 'ms', q })}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body.trimEnd()).toBe(expected);
  });

  it.each(CASES)('form POST %s', async (q, expected) => {
    const res = await app.inject({
      method: 'POST',
      url: '/query',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ db: 'gdb', epoch: 'ms', q }).toString(),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body.trimEnd()).toBe(expected);
  });
});
