// The query lane answers exactly as fastify does: the same requests, over real sockets, to
// a server with the lane and to one without, give the same status, headers and bytes; and
// the lane takes only the requests it should.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryLane } from './lane.js';
import { cleanup, setup, type Harness } from './testing/harness.js';
import { loadAndListen, q, T0 } from './testing/lane.js';

interface Req {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Sent without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, r: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined && !r.chunked) headers['content-length'] = Buffer.byteLength(r.body);
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const { date: _date, ...rest } = res.headers;
        resolve({ status: res.statusCode!, headers: rest, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Requests the lane takes. */
const TAKEN: Req[] = [
  // PromQL, both endpoints, GET and POST, answers and errors
  { method: 'GET', path: `/api/v1/query?${q({ query: 'up', time: T0 + 60 })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'sum by (host) (up)', time: T0 + 60, limit: 1 })}` },
  { method: 'POST', path: '/api/v1/query', body: q({ query: '1+1', time: T0 }), headers: FORM },
  { method: 'POST', path: '/api/v1/query', body: q({ query: '"text"', time: T0 }), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' } },
  { method: 'GET', path: `/api/v1/query_range?${q({ query: 'up * 2', start: T0, end: T0 + 120, step: 15 })}` },
  { method: 'POST', path: '/api/v1/query_range', body: q({ query: 'max_over_time(up[1m])', start: T0 + 60, end: T0 + 180, step: '30s' }), headers: FORM },
  // a body value wins over the query string's
  { method: 'POST', path: `/api/v1/query_range?${q({ query: 'nope(', step: 60 })}`, body: q({ query: 'up', start: T0, end: T0 + 60, step: 30 }), headers: FORM },
  { method: 'GET', path: `/api/v1/query_range?${q({ query: 'up', start: T0, end: T0 + 60, step: 15, db: 'd' })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'sum(', time: T0 })}` },
  { method: 'GET', path: `/api/v1/query_range?${q({ query: 'up', start: T0, end: T0 + 60 })}` },
  { method: 'GET', path: `/api/v1/query_range?${q({ query: 'up', start: T0 + 60, end: T0, step: 15 })}` },
  { method: 'GET', path: `/api/v1/query_range?${q({ query: 'up', start: T0, end: T0 + 100_000, step: 1 })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'up', time: 'yesterday' })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'up', time: T0, limit: -1 })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'up', time: T0, db: 'nosuchdb' })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'up', time: T0, timeout: 'soon' })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'up[1m]', time: T0 + 60 })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'rate(up)', time: T0 + 60 })}` },
  { method: 'GET', path: `/api/v1/query?${q({ query: 'label_replace(up, "host", "x", "", "")', time: T0 + 60 })}` },
  // InfluxQL: JSON, epochs, pretty, chunked, CSV, errors, several statements, writes
  { method: 'GET', path: `/query?${q({ db: 'd', q: `SELECT * FROM up WHERE time >= ${T0}s AND time < ${T0 + 120}s` })}` },
  { method: 'GET', path: `/query?${q({ db: 'd', epoch: 'ms', q: `SELECT mean(value) FROM up WHERE time >= ${T0}s AND time < ${T0 + 120}s GROUP BY time(1m), host fill(null)` })}` },
  { method: 'POST', path: '/query', body: q({ db: 'd', q: `SELECT max(value) FROM up WHERE host = 'a' AND time >= ${T0}s AND time < ${T0 + 120}s GROUP BY time(30s)` }), headers: FORM },
  { method: 'POST', path: '/query?db=d', body: q({ q: 'SHOW MEASUREMENTS; SHOW TAG KEYS FROM up', pretty: 'true' }), headers: FORM },
  { method: 'GET', path: `/query?${q({ db: 'd', chunked: 'true', chunk_size: 2, q: `SELECT value FROM up WHERE time >= ${T0}s AND time < ${T0 + 120}s` })}` },
  { method: 'GET', path: `/query?${q({ db: 'd', q: 'SELECT value FROM up LIMIT 3' })}`, headers: { accept: 'application/csv' } },
  { method: 'GET', path: `/query?${q({ db: 'd', q: 'SELECT FROM' })}` },
  { method: 'GET', path: `/query?${q({ db: 'd', q: 'SELECT FROM' })}`, headers: { accept: 'application/csv' } },
  { method: 'GET', path: '/query?db=d' },
  { method: 'GET', path: `/query?${q({ db: 'd', q: 'SELECT value FROM up WHERE host = $h LIMIT 1', params: '{"h":' })}` },
  { method: 'GET', path: `/query?${q({ db: 'd', q: 'SELECT value FROM up WHERE host = $h LIMIT 1', params: '{"h":"b"}' })}` },
  { method: 'GET', path: `/query?${q({ db: 'nosuchdb', q: 'SELECT * FROM up' })}` },
  { method: 'GET', path: `/query?${q({ q: 'CREATE DATABASE made_by_get' })}` },
  { method: 'POST', path: '/query', body: q({ q: 'CREATE DATABASE made_by_post; SHOW DATABASES' }), headers: FORM },
];

/** Requests the lane leaves to fastify. */
const DECLINED: Req[] = [
  { method: 'GET', path: '/api/v1/labels' },
  { method: 'GET', path: '/ping' },
  // not a form body: InfluxDB ignores it, Prometheus refuses it
  { method: 'POST', path: `/query?${q({ db: 'd', q: 'SHOW MEASUREMENTS' })}`, body: 'x', headers: { 'content-type': 'text/plain' } },
  { method: 'POST', path: `/api/v1/query?${q({ query: 'up', time: T0 })}`, body: '{}', headers: { 'content-type': 'application/json' } },
  { method: 'POST', path: '/api/v1/query', body: q({ query: 'up', time: T0 }), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=latin1' } },
  // a body without a length, a compressed one, one over the limit
  { method: 'POST', path: '/query', body: q({ db: 'd', q: 'SHOW MEASUREMENTS' }), headers: FORM, chunked: true },
  { method: 'POST', path: '/query', body: q({ db: 'd', q: 'SHOW MEASUREMENTS' }), headers: { ...FORM, 'content-encoding': 'gzip' } },
  { method: 'POST', path: '/api/v1/query', body: q({ query: 'up', time: T0, pad: 'x'.repeat(5000) }), headers: FORM },
  // a GET with a body, other methods, other paths
  { method: 'GET', path: `/query?${q({ db: 'd', q: 'SHOW MEASUREMENTS' })}`, body: 'q=SHOW+DATABASES', headers: FORM },
  { method: 'GET', path: `/query/?${q({ db: 'd', q: 'SHOW MEASUREMENTS' })}` },
  { method: 'GET', path: '/api/v1/query_range/x' },
];

describe('query lane', () => {
  let lane: Harness;
  let plain: Harness;
  let lanePort: number;
  let plainPort: number;

  beforeAll(async () => {
    const server = { bodyLimit: 4096 };
    lane = await setup({ server });
    plain = await setup({ server: { ...server, queryLane: false } });
    lanePort = await loadAndListen(lane.app);
    plainPort = await loadAndListen(plain.app);
  });
  afterAll(cleanup);

  it('answers its requests as fastify does, byte for byte', async () => {
    const before = lane.app.queryLane.answered;
    for (const r of TAKEN) {
      const viaLane = await send(lanePort, r);
      const viaFastify = await send(plainPort, r);
      expect(viaLane, `${r.method} ${r.path}`).toEqual(viaFastify);
      expect(viaLane.headers['x-influxdb-version'], r.path).toMatch(/^1\.8\.10\+strata\./);
    }
    expect(lane.app.queryLane.answered - before).toBe(TAKEN.length);
    expect(plain.app.queryLane.answered).toBe(0);
    // the cases answer what they are meant to: answers, Prometheus errors, InfluxDB errors
    const statuses = await Promise.all(TAKEN.map(async (r) => (await send(lanePort, r)).status));
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(15);
    expect(new Set(statuses)).toEqual(new Set([200, 400, 422]));
  });

  it('leaves every other request to fastify', async () => {
    const before = lane.app.queryLane.answered;
    for (const r of DECLINED) {
      const viaLane = await send(lanePort, r);
      const viaFastify = await send(plainPort, r);
      expect(viaLane, `${r.method} ${r.path}`).toEqual(viaFastify);
    }
    expect(lane.app.queryLane.answered).toBe(before);
  });

  it('counts its requests in the request metrics under the route', async () => {
    await send(lanePort, TAKEN[0]);
    await send(lanePort, TAKEN[8]);
    const text = (await lane.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/strata_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/query",status="200"\} [1-9]/);
    expect(text).toMatch(/strata_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/query",status="400"\} [1-9]/);
  });

  it('answers a failing answer function with a logged 500, and lives on', async () => {
    const errors: string[] = [];
    const lane = new QueryLane({ bodyLimit: 1024, headers: { 'x-v': '1' }, observe: () => {}, enabled: true, onError: (_err, url) => errors.push(url) });
    lane.add('/throws', () => {
      throw new Error('bug');
    });
    lane.add('/rejects', () => Promise.reject(new Error('bug')));
    lane.add('/bad-header', () => ({ status: 200, headers: { 'x-bad': 'a\nb' }, body: '{}' }));
    lane.add('/ok', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
    const server = http.createServer(lane.listener((_req, res) => res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const path of ['/throws', '/rejects?x=1', '/bad-header']) {
        const r = await send(port, { method: 'GET', path });
        expect([r.status, r.body, r.headers['x-v']], path).toEqual([500, '{"error":"internal error"}', '1']);
      }
      expect(errors).toEqual(['/throws', '/rejects?x=1', '/bad-header']);
      expect(await send(port, { method: 'GET', path: '/ok' })).toMatchObject({ status: 200, body: '{"ok":true}' });
      expect(lane.answered).toBe(4);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('hands requests to fastify once the server is closing', async () => {
    // the lane of a closed server, in front of a stand-in for fastify
    const h = await setup();
    const fallback = (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(503, { 'x-by': 'fallback' }).end();
    const probe = async (): Promise<Res> => {
      const server = http.createServer(h.app.queryLane.listener(fallback));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        return await send((server.address() as AddressInfo).port, TAKEN[2]);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    };
    expect((await probe()).status).toBe(200);
    await h.app.close();
    const after = await probe();
    expect([after.status, after.headers['x-by']]).toEqual([503, 'fallback']);
  });

  it('writes the head of a shared frozen headers object as it writes a fresh one, every time', () => {
    const l = new QueryLane({ bodyLimit: 1024, headers: { 'x-influxdb-version': 'v' }, observe: () => {}, enabled: true, onError: () => {} });
    const date = /Date: [^\r]*\r\n/;
    const head = (headers: Record<string, string>): string | Error => {
      const h = l.head({ status: 200, headers, body: '' }, 5, true, 5);
      return h instanceof Error ? h : h.replace(date, '');
    };
    const cases: Record<string, string>[] = [{ 'content-type': 'application/json' }, { 'x-influxdb-version': 'mine', a: 'b' }, { 'content-length': '5', z: 'y' }, { a: 'b', c: 'd' }];
    for (const fresh of cases) {
      const shared = Object.freeze({ ...fresh });
      const want = head({ ...fresh });
      for (let k = 0; k < 3; k++) expect(head(shared)).toBe(want);
    }
    // the lane's own header in the answer: Node's order (mergedHead), from the cache too
    expect(head(Object.freeze({ 'x-influxdb-version': 'mine' }))).toBe('HTTP/1.1 200 OK\r\nx-influxdb-version: mine\r\ncontent-length: 5\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n');
    // a header Node refuses is refused every time
    const bad = Object.freeze({ 'bad name': 'x' });
    for (let k = 0; k < 2; k++) expect(head(bad)).toBeInstanceOf(TypeError);
  });
});
