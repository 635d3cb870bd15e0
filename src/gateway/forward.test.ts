// Store-and-forward against in-process upstreams: another Strata (harness servers
// listening on loopback) and small fake fastify upstreams that misbehave on purpose.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { buildServer } from '../server/app.js';
import { cleanup, setup, type Harness } from '../server/testing/harness.js';
import { cursorFile, deadLetterFile, Forwarder, readCursor, type ForwarderOptions } from './forward.js';
import { registerForwardMetrics } from './forwardMetrics.js';
import { gatewayStatusPlugin } from './status.js';
import { freePort } from '../testing/net.js';

const T0 = 1_700_000_000_000_000_000n;
const dirs: string[] = [];
const stoppers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const s of stoppers.splice(0).reverse()) await s().catch(() => {});
  await cleanup();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-forward-'));
  dirs.push(d);
  return d;
}

/** Lines `from` .. `to`-1: 10 series, a float and an integer field, 1 s apart per point. */
function lines(from: number, to: number, extra = ''): string {
  let s = '';
  for (let i = from; i < to; i++) s += `cpu,host=h${i % 10}${extra} usage=${(i * 0.37).toFixed(2)},n=${i}i ${T0 + BigInt(i) * 1_000_000_000n}\n`;
  return s;
}

async function openLocal(dir: string, opts: { segment?: number } = {}): Promise<Database> {
  const db = await openDatabase({ dataDir: dir, fsync: 'off', walSegmentSize: opts.segment ?? 16 * 1024, now: () => T0, retentionCheckMs: 0 });
  stoppers.push(() => db.close());
  return db;
}

function exported(db: Database, name: string): string {
  return [...exportLineProtocol(db, { db: name })].join('');
}

async function listen(app: FastifyInstance, port = 0): Promise<number> {
  await app.listen({ port, host: '127.0.0.1' });
  return (app.server.address() as net.AddressInfo).port;
}

/** A central Strata listening on loopback. */
async function central(port = 0): Promise<{ h: Harness; port: number }> {
  const h = await setup();
  return { h, port: await listen(h.app, port) };
}

function forwarder(db: Database, dataDir: string, url: string, more: Partial<ForwarderOptions> = {}): Forwarder {
  const fw = new Forwarder({ db, dataDir, upstream: { name: 'central', url }, backoffBaseMs: 20, backoffMaxMs: 200, pollMs: 100, batchPoints: 700, batchBytes: 64 * 1024, ...more });
  fw.start();
  stoppers.push(() => fw.stop());
  return fw;
}

async function until(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fake upstream: decodes gzip line protocol; `answer` decides the status per request. */
async function fakeUpstream(answer: (body: string, n: number) => { status: number; headers?: Record<string, string>; body?: string }) {
  const app = Fastify();
  const received: string[] = [];
  const times: number[] = [];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/write', async (req, reply) => {
    const raw = req.body as Buffer;
    const text = (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8');
    times.push(Date.now());
    const a = answer(text, times.length);
    if (a.status >= 200 && a.status < 300) received.push(...text.split('\n').filter(Boolean));
    reply.code(a.status);
    for (const [k, v] of Object.entries(a.headers ?? {})) reply.header(k, v);
    return a.body ?? '';
  });
  const port = await listen(app);
  stoppers.push(() => app.close());
  return { app, port, received, times };
}

describe('Forwarder', () => {
  it('forwards every point written locally to another Strata, across WAL segments and flushes', async () => {
    const dir = tmpDir();
    const db = await openLocal(dir);
    const c = await central();
    const fw = forwarder(db, dir, `http://127.0.0.1:${c.port}/write?db=central`, { upstream: { name: 'central', url: `http://127.0.0.1:${c.port}/write?db=central`, databases: ['edge'] } });
    for (let k = 0; k < 30; k++) {
      await db.write(lines(k * 100, k * 100 + 100), { db: 'edge' });
      if (k === 15) await db.flush();
    }
    await db.write('other,host=x v=1 1\n', { db: 'elsewhere' });
    await fw.drained();
    expect(db.walSegments().length).toBeGreaterThan(1);
    expect(exported(c.h.db, 'central')).toBe(exported(db, 'edge'));
    expect(exported(db, 'edge').split('\n').filter(Boolean)).toHaveLength(3000);
    expect(c.h.db.measurements('central')).toEqual(['cpu']);
    const s = fw.stats();
    expect(s.forwardedPoints).toBe(3000);
    expect(s.backlog.bytes).toBe(0);
    expect(s.lastSuccess).not.toBeNull();
    // Once forwarded and flushed, the held segments go.
    await db.flush();
    await db.releaseWal();
    expect(db.walSegments().length).toBeLessThanOrEqual(2);
  });

  it('keeps the backlog through an outage and a restart of the gateway, then delivers all of it once', async () => {
    const dir = tmpDir();
    let db = await openLocal(dir);
    const c = await central();
    const url = `http://127.0.0.1:${c.port}/write?db=central`;
    let fw = forwarder(db, dir, url);
    await db.write(lines(0, 500), { db: 'edge' });
    await fw.drained();

    // Uplink down: writes go on, a flush checkpoints the memtable but keeps the segments.
    await c.h.app.close();
    for (let k = 0; k < 20; k++) await db.write(lines(500 + k * 100, 600 + k * 100), { db: 'edge' });
    await db.flush();
    await until('a failed attempt', () => fw.stats().retries > 0);
    const backlog = fw.stats().backlog;
    expect(backlog.bytes).toBeGreaterThan(50_000);
    expect(backlog.points).toBeGreaterThan(1000);
    expect(fw.stats().lastError?.message).toMatch(/request failed|ECONNREFUSED/);

    // The gateway restarts mid-backlog: the cursor is where the upstream confirmed.
    await fw.stop();
    const saved = readCursor(dir, 'central');
    expect(saved).toEqual(fw.stats().cursor);
    await db.close();
    db = await openLocal(dir);
    // Checkpointed segments held for the upstream are not replayed into the memtable.
    expect(db.stats().replayedRecords).toBe(0);
    expect(db.stats().memtableBytes).toBe(0);
    fw = forwarder(db, dir, url);
    expect(fw.stats().cursor).toEqual(saved);
    await db.write(lines(2500, 3000), { db: 'edge' });

    // Central comes back on the same port.
    const app2 = await buildServer({ db: c.h.db, version: '0.1.0-test' });
    stoppers.push(() => app2.close());
    await listen(app2, c.port);
    await fw.drained();
    const want = exported(db, 'edge');
    expect(want.split('\n').filter(Boolean)).toHaveLength(3000);
    expect(exported(c.h.db, 'central')).toBe(want);
    expect(fw.stats().lostSegments).toBe(0);
  });

  it('writes a batch the upstream refuses with a 400 to the dead-letter file and goes on', async () => {
    const dir = tmpDir();
    const db = await openLocal(dir);
    const up = await fakeUpstream((body) => (body.includes('marker') ? { status: 400, body: '{"error":"unable to parse: marker"}' } : { status: 204 }));
    const fw = forwarder(db, dir, `http://127.0.0.1:${up.port}/write?db=x`);
    await db.write(lines(0, 100), { db: 'edge' });
    await db.write(lines(100, 150) + `cpu,host=marker usage=1 ${T0}\n` + lines(150, 200), { db: 'edge' });
    await db.write(lines(200, 300), { db: 'edge' });
    await fw.drained();
    // The halves the upstream takes arrive; the refused line is isolated.
    expect(new Set(up.received).size).toBe(300);
    const dead = fs.readFileSync(deadLetterFile(dir, 'central'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ upstream: 'central', status: 400, points: 1, reason: '{"error":"unable to parse: marker"}', lines: `cpu,host=marker usage=1 ${T0}\n` });
    expect(Date.parse(dead[0].time as string)).toBeGreaterThan(0);
    const s = fw.stats();
    expect(s.deadLetters).toEqual({ batches: 1, points: 1 });
    expect(s.lastError?.message).toMatch(/HTTP 400/);
  });

  it('honours Retry-After on a 429', async () => {
    const dir = tmpDir();
    const db = await openLocal(dir);
    const up = await fakeUpstream((_b, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : n === 2 ? { status: 503 } : { status: 204 }));
    const fw = forwarder(db, dir, `http://127.0.0.1:${up.port}/write?db=x`, { random: () => 0.5 });
    await db.write(lines(0, 10), { db: 'edge' });
    await fw.drained();
    expect(up.times).toHaveLength(3);
    // 429 + Retry-After: 1 → one second; 503 → backoff with jitter, at most 20 ms.
    expect(up.times[1] - up.times[0]).toBeGreaterThanOrEqual(950);
    expect(up.times[2] - up.times[1]).toBeLessThan(500);
    expect(up.received).toHaveLength(10);
    expect(fw.stats().retries).toBe(2);
  });

  it('drops the oldest data over a small cap and shows it in stats and /metrics', async () => {
    const dir = tmpDir();
    const db = await openLocal(dir, { segment: 8 * 1024 });
    const port = await freePort(); // nothing listens there yet
    const fw = forwarder(db, dir, `http://127.0.0.1:${port}/write?db=central`, { cap: { maxBytes: 20_000, policy: 'drop-oldest' } });
    for (let k = 0; k < 40; k++) await db.write(lines(k * 25, k * 25 + 25), { db: 'edge' });
    await until('drops', () => fw.stats().dropped.points > 0);
    await until('backlog within the cap', () => fw.stats().backlog.bytes <= 20_000);
    const registry = new Registry();
    registerForwardMetrics(registry, [fw]);
    const text = await registry.metrics();
    const dropped = fw.stats().dropped.points;
    expect(text).toContain(`strata_forward_dropped_points_total{upstream="central",reason="cap"} ${dropped}`);
    expect(text).toMatch(/strata_forward_backlog_bytes\{upstream="central"\} \d+/);
    expect(text).toMatch(/strata_forward_backlog_oldest_seconds\{upstream="central"\} [\d.]+/);

    // The upstream appears: the newest points arrive, and every point is either there or counted.
    const c = await central(port);
    await fw.drained();
    const s = fw.stats();
    expect(s.forwardedPoints + s.dropped.points).toBe(1000);
    const got = exported(c.h.db, 'central').split('\n').filter(Boolean);
    expect(got).toHaveLength(s.forwardedPoints);
    expect(got.some((l) => l.endsWith(` ${T0 + 999n * 1_000_000_000n}`))).toBe(true);
    const status = Fastify();
    await status.register(gatewayStatusPlugin({ forwarders: [fw] }));
    const res = await status.inject({ method: 'GET', url: '/gateway/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json().upstreams[0]).toMatchObject({ upstream: 'central', kind: 'influx-v1', dropped: { points: dropped } });
    await status.close();
  });

  it('drops what is older than an age cap, by the time it was written', async () => {
    const dir = tmpDir();
    const db = await openLocal(dir);
    const port = await freePort();
    let now = 1_000_000;
    const fw = forwarder(db, dir, `http://127.0.0.1:${port}/write?db=central`, { now: () => now, cap: { maxAgeMs: 5000, policy: 'drop-oldest' } });
    await db.write(lines(0, 100), { db: 'edge' });
    now += 3000;
    await db.write(lines(100, 150), { db: 'edge' });
    now += 7000;
    await db.write(lines(150, 200), { db: 'edge' });
    expect(fw.stats().backlog.oldestSeconds).toBe(10);
    // At +10 s the first two writes are over 5 s old; the last one is not.
    await until('drops', () => fw.stats().dropped.points === 150);
    expect(fw.stats().backlog.oldestSeconds).toBe(0);
    const c = await central(port);
    await fw.drained();
    expect(exported(c.h.db, 'central').split('\n').filter(Boolean)).toHaveLength(50);
    expect(fw.stats().dropped.points).toBe(150);
  });

  it('forwards numeric fields over remote write to another Strata', async () => {
    const dir = tmpDir();
    const db = await openLocal(dir);
    const c = await central();
    const fw = forwarder(db, dir, `http://127.0.0.1:${c.port}/api/v1/write`);
    await db.write(lines(0, 300), { db: 'edge' });
    await db.write(`cpu,host=h1 label="text only" ${T0}\n`, { db: 'edge' });
    await fw.drained();
    expect(fw.kind).toBe('remote-write');
    expect(c.h.db.measurements('prometheus').sort()).toEqual(['cpu_n', 'cpu_usage']);
    const usage = exported(c.h.db, 'prometheus').split('\n').filter((l) => l.startsWith('cpu_usage,host=h3 '));
    expect(usage).toHaveLength(30);
    expect(usage[0]).toBe(`cpu_usage,host=h3 value=1.11 ${T0 + 3_000_000_000n}`);
    expect(fw.stats().unrepresentableValues).toBe(1);
  });

  it('refuses writes with 503 over the cap with policy refuse, until the backlog drains', async () => {
    // Wired as `strata gateway` does: the status route as a server plugin, the metrics in the server's registry.
    const fws: Forwarder[] = [];
    const h = await setup({ engine: { walSegmentSize: 16 * 1024 }, server: { plugins: [gatewayStatusPlugin({ forwarders: () => fws })] } });
    const port = await freePort();
    const fw = forwarder(h.db, h.dir, `http://127.0.0.1:${port}/write?db=central`, { cap: { maxBytes: 10_000, policy: 'refuse' } });
    fws.push(fw);
    registerForwardMetrics(h.metrics.registry, fws);
    let refused: { statusCode: number; headers: Record<string, unknown>; body: string } | null = null;
    let accepted = 0;
    for (let k = 0; k < 100 && !refused; k++) {
      const res = await h.app.inject({ method: 'POST', url: '/write?db=edge', payload: lines(k * 20, k * 20 + 20) });
      if (res.statusCode === 204) accepted += 20;
      else refused = res;
    }
    expect(refused?.statusCode).toBe(503);
    expect(refused?.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused!.body).error).toMatch(/^upstream "central" is behind: \d+ bytes of unforwarded data/);
    expect(fw.stats().refusing).toBe(true);
    expect(accepted).toBeGreaterThan(0);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('strata_forward_refusing_writes{upstream="central"} 1');
    const status = (await h.app.inject({ method: 'GET', url: '/gateway/status' })).json();
    expect(status.upstreams[0]).toMatchObject({ upstream: 'central', refusing: true, cap: { maxBytes: 10_000, policy: 'refuse' } });
    expect(status.upstreams[0].backlog.bytes).toBeGreaterThan(10_000);

    const c = await central(port);
    await fw.drained();
    await until('writes taken again', async () => (await h.app.inject({ method: 'POST', url: '/write?db=edge', payload: lines(5000, 5001) })).statusCode === 204);
    await fw.drained();
    expect(exported(c.h.db, 'central')).toBe(exported(h.db, 'edge'));
    expect(fs.existsSync(cursorFile(h.dir, 'central'))).toBe(true);
  });
});
