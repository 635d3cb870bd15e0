// The lane's own HTTP/1.1 (laneSocket.ts), over raw sockets: what it answers is byte for
// byte what Node writes for the same answer (a server where Node's HTTP server reads every
// request and the lane answers from its request listener), it hands a connection to Node
// with every byte not used at the first request it does not answer, and it keeps Node's
// timeouts and closing behaviour.

import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryLane } from './lane.js';
import { NODE, PARTIAL, readRequest } from './laneSocket.js';
import { cleanup, setup, type Harness } from './testing/harness.js';
import { loadAndListen, q, T0 } from './testing/lane.js';


/** A raw request: request line, headers (Host added unless given), body with its length. */
function raw(line: string, headers: string[] = [], body?: string): string {
  const h = headers.some((x) => /^host:/i.test(x)) ? headers : ['Host: 127.0.0.1', ...headers];
  const withLength = body === undefined ? h : [...h, `Content-Length: ${Buffer.byteLength(body)}`];
  return `${line}\r\n${withLength.map((x) => `${x}\r\n`).join('')}\r\n${body ?? ''}`;
}
const FORM = 'Content-Type: application/x-www-form-urlencoded';

/** Splits responses off `buf`: heads (Date masked) and bodies; `rest` is an incomplete tail. */
function split(buf: Buffer): { responses: string[]; rest: number } {
  const responses: string[] = [];
  let at = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = buf.toString('latin1', at, end);
    let bodyEnd: number;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      let p = end + 4;
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le < 0) return { responses, rest: at };
        const size = parseInt(buf.toString('latin1', p, le), 16);
        p = le + 2 + size + 2;
        if (p > buf.length) return { responses, rest: at };
        if (size === 0) break;
      }
      bodyEnd = p;
    } else bodyEnd = end + 4 + (length === null || /^HTTP\/1\.1 (1\d\d|204|304)/.test(head) ? 0 : Number(length[1]));
    if (bodyEnd > buf.length) break;
    responses.push(head.replace(/\r\nDate: [^\r]*/, '\r\nDate: -') + buf.toString('utf8', end, bodyEnd));
    at = bodyEnd;
  }
  return { responses, rest: at };
}

/**
 * Sends `parts` on one connection (`gapMs` apart), then reads until `n` responses are in
 * or the server closes; `end` half-closes after the last part.
 */
function exchange(port: number, parts: string[], n: number, opts: { gapMs?: number; end?: boolean } = {}): Promise<{ responses: string[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ responses: split(buf).responses, closed });
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (split(buf).responses.length >= n) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (let i = 0; i < parts.length; i++) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        socket.write(parts[i]);
      }
      if (opts.end) socket.end();
    });
  });
}

/** Lane requests: both APIs, GET and POST, answers and errors. */
const LANE = [
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 + 60 })} HTTP/1.1`),
  raw('POST /api/v1/query_range HTTP/1.1', [FORM], q({ query: 'max_over_time(up[1m])', start: T0 + 60, end: T0 + 180, step: '30s' })),
  raw(`GET /api/v1/query?${q({ query: 'sum(', time: T0 })} HTTP/1.1`, ['Accept: */*', 'User-Agent: test']),
  raw(`GET /query?${q({ db: 'd', epoch: 'ms', q: `SELECT mean(value) FROM up WHERE time >= ${T0}s AND time < ${T0 + 120}s GROUP BY time(1m), host fill(null)` })} HTTP/1.1`),
  raw(`GET /query?${q({ db: 'd', q: 'SELECT value FROM up LIMIT 3' })} HTTP/1.1`, ['accept:   application/csv  ', 'Connection: Keep-Alive']),
  raw('POST /query HTTP/1.1', ['content-type: application/x-www-form-urlencoded; charset=UTF-8'], q({ db: 'd', q: 'SELECT FROM' })),
];

/** Requests the lane's own HTTP leaves to Node (each on a connection of its own). */
const TO_NODE = [
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.0`),
  `GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1\r\n\r\n`, // no Host
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`, ['Accept: a', 'accept: b']),
  raw('POST /api/v1/query HTTP/1.1', [FORM, 'Expect: 100-continue'], q({ query: 'up', time: T0 })),
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`, ['Connection: close']),
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`, ['X-Folded: a', ' b']),
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`, ['X-Name: caf\xe9']),
  raw(`GET /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`, ['Content-Length: 1x']),
  raw(`get /api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`),
  raw(`GET http://127.0.0.1/api/v1/query?${q({ query: 'up', time: T0 })} HTTP/1.1`),
  raw('GET /ping HTTP/1.1'),
  raw('POST /query HTTP/1.1', ['Content-Type: text/plain'], 'x'),
  'GET /api/v1/query HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
];

describe("the query lane's own HTTP", () => {
  let h: Harness;
  let port: number;
  /** Node's HTTP server, the lane answering from its request listener. */
  let viaNode: http.Server;
  let nodePort: number;
  /** Requests that Node's HTTP server read on the lane's server. */
  let nodeRequests = 0;

  beforeAll(async () => {
    h = await setup({ server: { bodyLimit: 4096 } });
    port = await loadAndListen(h.app);
    h.app.server.on('request', () => nodeRequests++);
    viaNode = http.createServer(h.app.queryLane.listener(h.app.routing));
    viaNode.keepAliveTimeout = h.app.server.keepAliveTimeout;
    // fastify's answer to requests Node's parser refuses
    for (const l of h.app.server.listeners('clientError')) viaNode.on('clientError', l as (err: Error, socket: net.Socket) => void);
    await new Promise<void>((resolve) => viaNode.listen(0, '127.0.0.1', resolve));
    nodePort = (viaNode.address() as AddressInfo).port;
  });
  afterAll(async () => {
    viaNode.closeAllConnections();
    await new Promise((resolve) => viaNode.close(resolve));
    await cleanup();
  });

  it('answers plain requests itself, with the bytes Node writes', async () => {
    const before = { node: nodeRequests, lane: h.app.queryLane.answered };
    for (const r of LANE) {
      const own = await exchange(port, [r], 1);
      const node = await exchange(nodePort, [r], 1);
      expect(own.responses, r).toEqual(node.responses);
      expect(own.responses[0]).toMatch(/^HTTP\/1\.1 (200 OK|400 Bad Request)\r\n/);
    }
    // all of them on one connection, sent at once
    const own = await exchange(port, [LANE.join('')], LANE.length);
    const node = await exchange(nodePort, [LANE.join('')], LANE.length);
    expect(own.responses).toEqual(node.responses);
    expect(own.closed).toBe(false);
    expect(nodeRequests).toBe(before.node);
    expect(h.app.queryLane.answered - before.lane).toBe(4 * LANE.length);
  });

  it('answers 300 requests sent at once in order', async () => {
    const reqs = Array.from({ length: 300 }, (_, i) => raw(`GET /api/v1/query?${q({ query: 'time()', time: T0 + i })} HTTP/1.1`));
    const { responses } = await exchange(port, [reqs.join('')], reqs.length);
    expect(responses.map((r) => /"result":\[(\d+),"(\d+)"\]/.exec(r)?.slice(1))).toEqual(reqs.map((_, i) => [String(T0 + i), String(T0 + i)]));
  });

  it('waits for a request that arrives in pieces', async () => {
    const before = nodeRequests;
    const r = LANE[1];
    const cut = r.indexOf('\r\n') + 5;
    const own = await exchange(port, [r.slice(0, cut), r.slice(cut, -10), r.slice(-10)], 1, { gapMs: 20 });
    expect(own.responses).toEqual((await exchange(nodePort, [r], 1)).responses);
    expect(nodeRequests).toBe(before);
  });

  it('leaves each request that is not plain HTTP/1.1 to Node', async () => {
    for (const r of TO_NODE) {
      const before = nodeRequests;
      const own = await exchange(port, [r], 1);
      const node = await exchange(nodePort, [r], 1);
      expect(own, JSON.stringify(r)).toEqual(node);
      expect(own.responses.length, JSON.stringify(r)).toBeGreaterThanOrEqual(1);
      // Node read it (or its parser refused it: a 400 before any request event)
      if (!/^HTTP\/1\.1 400 Bad Request\r\n/.test(own.responses[0])) expect(nodeRequests, JSON.stringify(r)).toBe(before + 1);
    }
  });

  it("hands a connection to Node at its first request that is not the lane's, with every byte after it", async () => {
    const before = nodeRequests;
    const reqs = [LANE[0], raw('GET /ping HTTP/1.1'), LANE[1], LANE[3], raw('GET /api/v1/labels HTTP/1.1')];
    // at once, and one by one
    const own = await exchange(port, [reqs.join('')], reqs.length);
    expect(own.responses).toEqual((await exchange(nodePort, [reqs.join('')], reqs.length)).responses);
    expect(await exchange(port, reqs, reqs.length, { gapMs: 10 })).toEqual(own);
    expect(nodeRequests - before).toBe(2 * (reqs.length - 1));
  });

  it('answers what a half-closed connection sent, then closes it', async () => {
    const own = await exchange(port, [LANE[0] + LANE[3]], 3, { end: true });
    expect(own.closed).toBe(true);
    expect(own.responses).toEqual((await exchange(nodePort, [LANE[0] + LANE[3]], 2)).responses);
  });
});

/** A lane alone in front of a stand-in for fastify (503 from "fallback"). */
async function laneServer(opts: { keepAliveTimeout?: number; headersTimeout?: number } = {}) {
  const errors: string[] = [];
  const lane = new QueryLane({ bodyLimit: 1024, headers: { 'x-v': '1' }, observe: () => {}, enabled: true, onError: (_err, url) => errors.push(url) });
  let release: () => void = () => {};
  lane.add('/ok', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
  lane.add('/slow', () => new Promise((resolve) => (release = () => resolve({ status: 200, headers: {}, body: 'slow' }))));
  lane.add('/throws', () => {
    throw new Error('bug');
  });
  lane.add('/rejects', () => Promise.reject(new Error('bug')));
  lane.add('/bad-header', () => ({ status: 200, headers: { 'x-bad': 'a\nb' }, body: '{}' }));
  lane.add('/bad-name', () => ({ status: 200, headers: { 'x bad': 'a' }, body: '{}' }));
  lane.add('/latin1', () => ({ status: 201, headers: { 'x-l': 'caf\xe9\tau lait' }, body: 'é' }));
  lane.add('/own-header', () => ({ status: 404, headers: { 'content-type': 'text/plain', 'x-v': '2' }, body: 'none' }));
  const server = http.createServer((_req, res) => res.writeHead(503, { 'x-by': 'fallback' }).end());
  server.keepAliveTimeout = opts.keepAliveTimeout ?? 5000;
  if (opts.headersTimeout !== undefined) server.headersTimeout = opts.headersTimeout;
  lane.attach(server);
  let fallbacks = 0;
  server.on('request', () => fallbacks++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    lane,
    server,
    errors,
    port: (server.address() as AddressInfo).port,
    release: () => release(),
    fallbacks: () => fallbacks,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("the query lane's own HTTP: failures, timeouts, closing", () => {
  it('answers a failing answer function with a logged 500 and keeps the connection', async () => {
    const s = await laneServer();
    try {
      const paths = ['/throws', '/rejects?x=1', '/bad-header', '/ok'];
      const { responses, closed } = await exchange(s.port, paths.map((p) => raw(`GET ${p} HTTP/1.1`)), 4);
      expect(closed).toBe(false);
      for (const r of responses.slice(0, 3)) expect(r).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\nx-v: 1\r\ncontent-type: application\/json\r\ncontent-length: 26\r\n.*\r\n\r\n\{"error":"internal error"\}$/s);
      expect(responses[3]).toMatch(/\{"ok":true\}$/);
      expect(s.errors).toEqual(['/throws', '/rejects?x=1', '/bad-header']);
      expect(s.lane.answered).toBe(4);
      expect(s.fallbacks()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it("writes an answer's headers as Node does, or refuses them as Node does", async () => {
    const s = await laneServer();
    const viaNode = http.createServer(s.lane.listener((_req, res) => res.writeHead(503).end()));
    viaNode.keepAliveTimeout = s.server.keepAliveTimeout;
    await new Promise<void>((resolve) => viaNode.listen(0, '127.0.0.1', resolve));
    try {
      const reqs = ['/latin1', '/own-header', '/bad-name', '/bad-header', '/ok'].map((p) => raw(`GET ${p} HTTP/1.1`));
      const own = await exchange(s.port, [reqs.join('')], reqs.length);
      expect(own).toEqual(await exchange((viaNode.address() as AddressInfo).port, [reqs.join('')], reqs.length));
      expect(own.responses.map((r) => r.slice(0, 12))).toEqual(['HTTP/1.1 201', 'HTTP/1.1 404', 'HTTP/1.1 500', 'HTTP/1.1 500', 'HTTP/1.1 200']);
      expect(s.fallbacks()).toBe(0);
    } finally {
      viaNode.closeAllConnections();
      await new Promise((resolve) => viaNode.close(resolve));
      await s.close();
    }
  });

  it('closes a connection idle for keepAliveTimeout', async () => {
    const s = await laneServer({ keepAliveTimeout: 150 });
    try {
      const t = Date.now();
      const socket = net.connect(s.port, '127.0.0.1');
      socket.write(raw('GET /ok HTTP/1.1'));
      socket.resume();
      await new Promise((resolve) => socket.on('close', resolve));
      expect(Date.now() - t).toBeGreaterThanOrEqual(100);
      expect(Date.now() - t).toBeLessThan(3000);
    } finally {
      await s.close();
    }
  });

  it('keeps a connection whose answer takes longer than keepAliveTimeout', async () => {
    const s = await laneServer({ keepAliveTimeout: 100 });
    try {
      setTimeout(() => s.release(), 350);
      const { responses, closed } = await exchange(s.port, [raw('GET /slow HTTP/1.1')], 1);
      expect([responses, closed]).toEqual([[expect.stringMatching(/\r\n\r\nslow$/)], false]);
    } finally {
      await s.close();
    }
  });

  it('gives Node a request that is not complete within headersTimeout', async () => {
    const s = await laneServer({ headersTimeout: 100 });
    try {
      const r = raw('GET /ok HTTP/1.1');
      const { responses } = await exchange(s.port, [r.slice(0, 10), r.slice(10)], 1, { gapMs: 300 });
      // Node's request listener in this server is the stand-in for fastify
      expect(responses[0]).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\nx-by: fallback\r\n/);
      expect([s.fallbacks(), s.lane.answered]).toEqual([1, 0]);
    } finally {
      await s.close();
    }
  });

  it('closes a connection whose peer keeps its side open, so that the server can close', async () => {
    const s = await laneServer();
    const socket = net.connect({ port: s.port, host: '127.0.0.1', allowHalfOpen: true });
    try {
      await new Promise((resolve) => {
        socket.once('data', resolve);
        socket.write(raw('GET /ok HTTP/1.1'));
      });
      socket.resume();
      s.lane.close();
      await new Promise((resolve) => s.server.close(resolve)); // waits for every connection
    } finally {
      socket.destroy();
    }
  });

  it('when the server closes: idle connections end, a busy one answers first with Connection: close, new ones go to Node', async () => {
    const s = await laneServer();
    try {
      const idle = net.connect(s.port, '127.0.0.1');
      const idleClosed = new Promise((resolve) => idle.on('close', resolve));
      await new Promise((resolve) => {
        idle.once('data', resolve);
        idle.write(raw('GET /ok HTTP/1.1'));
      });
      const busy = exchange(s.port, [raw('GET /slow HTTP/1.1') + raw('GET /ok HTTP/1.1')], 2);
      await new Promise((r) => setTimeout(r, 50));
      s.lane.close();
      await idleClosed;
      s.release();
      const answered = await busy;
      expect(answered.closed).toBe(true);
      expect(answered.responses).toEqual([expect.stringMatching(/^HTTP\/1\.1 200 OK\r\nx-v: 1\r\ncontent-length: 4\r\nDate: -\r\nConnection: close\r\n\r\nslow$/)]);
      const after = await exchange(s.port, [raw('GET /ok HTTP/1.1')], 1);
      expect(after.responses[0]).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\nx-by: fallback\r\n/);
      expect(s.fallbacks()).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('readRequest', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('reads a plain request: method, target, headers as Node gives them, where the body is', () => {
    const r = b(raw('POST /query?db=x HTTP/1.1', ['Content-Type: a/b', 'X-Pad:  v  w\t'], 'q=1'));
    expect(readRequest(r, 0, 16384)).toEqual({
      method: 'POST',
      url: '/query?db=x',
      headers: { host: '127.0.0.1', 'content-type': 'a/b', 'x-pad': 'v  w', 'content-length': '3' },
      bodyStart: r.length - 3,
      bodyLength: 3,
    });
  });
  it('waits for the end of the head, up to the header size limit', () => {
    const r = raw('GET /x HTTP/1.1', ['A: b']);
    for (let i = 0; i < r.length - 1; i++) expect(readRequest(b(r.slice(0, i)), 0, 16384)).toBe(PARTIAL);
    expect(readRequest(b(`GET /x HTTP/1.1\r\nA: ${'b'.repeat(100)}`), 0, 64)).toBe(NODE);
    expect(readRequest(b(raw('GET /x HTTP/1.1', [`A: ${'b'.repeat(100)}`])), 0, 64)).toBe(NODE);
  });
  it('reads from an offset', () => {
    const r = raw('GET /a HTTP/1.1') + raw('GET /b HTTP/1.1');
    expect(readRequest(b(r), r.length / 2, 16384)).toMatchObject({ url: '/b', bodyStart: r.length });
  });
  it('leaves everything else to Node', () => {
    for (const r of TO_NODE.slice(0, 10)) expect(readRequest(b(r), 0, 16384), JSON.stringify(r)).toBe(NODE);
    for (const r of ['PUT /x HTTP/1.1', 'GET  /x HTTP/1.1', 'GET /x HTTP/2', 'GET /x\x7f HTTP/1.1', 'GET * HTTP/1.1']) expect(readRequest(b(raw(r)), 0, 16384), r).toBe(NODE);
    for (const h of ['Transfer-Encoding: chunked', 'Upgrade: h2c', 'Content-Length: -1', 'Content-Length: 1e3', 'A\t: b', ': b', 'A: b\x00', 'A: \x01']) expect(readRequest(b(raw('GET /x HTTP/1.1', [h])), 0, 16384), h).toBe(NODE);
  });
});
