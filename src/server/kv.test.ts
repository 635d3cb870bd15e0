// /kv over HTTP: the example as a user types it, ETags and compare-and-set, TTL,
// history, listing, the watch stream (a real socket), errors, and a server restart.

import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../engine/database.js';
import { buildServer } from './app.js';
import { cleanup, expectJsonError, setup } from './testing/harness.js';

afterEach(cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/kv', () => {
  it('PUT /kv/ui/theme "dark", GET it, and read an older value with ?at= (real HTTP)', async () => {
    const { app } = await setup();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const json = { 'content-type': 'application/json' };
    const first = await fetch(`${base}/kv/ui/theme`, { method: 'PUT', headers: json, body: '"light"' });
    expect(first.status).toBe(200);
    const v1 = (await first.json()) as { version: string; time: string; key: string };
    expect(v1.key).toBe('theme');
    expect(first.headers.get('etag')).toBe(`"${v1.version}"`);
    await sleep(5);

    const put = await fetch(`${base}/kv/ui/theme`, { method: 'PUT', headers: json, body: '"dark"' });
    expect(put.status).toBe(200);
    const v2 = (await put.json()) as { version: string };
    expect(BigInt(v2.version)).toBeGreaterThan(BigInt(v1.version));

    const get = await fetch(`${base}/kv/ui/theme`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('"dark"');
    expect(get.headers.get('content-type')).toMatch(/^application\/json/);
    expect(get.headers.get('etag')).toBe(`"${v2.version}"`);

    // as of the first version's time (RFC 3339, ns precision), and as integer ns
    const old = await fetch(`${base}/kv/ui/theme?at=${v1.time}`);
    expect(old.status).toBe(200);
    expect(await old.text()).toBe('"light"');
    expect(await (await fetch(`${base}/kv/ui/theme?at=${v1.version}`)).text()).toBe('"light"');
    const before = await app.inject({ method: 'GET', url: '/kv/ui/theme?at=2000-01-01T00:00:00Z' });
    expectJsonError(before, 404, { error: 'key "theme" not found in namespace "ui" at 2000-01-01T00:00:00Z (never written, deleted or expired)' });
  });

  it('exactly as typed: PUT /kv/ui/theme with "dark" and no Content-Type (or curl -d\'s) is JSON', async () => {
    const { app } = await setup();
    const put = await app.inject({ method: 'PUT', url: '/kv/ui/theme', payload: '"dark"' });
    expect(put.statusCode, put.body).toBe(200);
    const get = await app.inject({ method: 'GET', url: '/kv/ui/theme' });
    expect(get.body).toBe('"dark"');
    expect(get.headers['content-type']).toMatch(/^application\/json/);
    const curl = await app.inject({ method: 'PUT', url: '/kv/ui/font', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'mono' });
    expect(curl.statusCode).toBe(200);
    const font = await app.inject({ method: 'GET', url: '/kv/ui/font' });
    expect(font.body).toBe('mono');
    expect(font.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('keeps text bodies and their content type', async () => {
    const { app } = await setup();
    const put = await app.inject({ method: 'PUT', url: '/kv/cfg/motd', headers: { 'content-type': 'text/plain' }, payload: 'hello\nworld' });
    expect(put.statusCode).toBe(200);
    const get = await app.inject({ method: 'GET', url: '/kv/cfg/motd' });
    expect(get.body).toBe('hello\nworld');
    expect(get.headers['content-type']).toMatch(/^text\/plain/);
    // a key with a slash, percent-encoded
    const slash = await app.inject({ method: 'PUT', url: '/kv/cfg/a%2Fb', payload: 'x' });
    expect(slash.statusCode, slash.body).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/kv/cfg/a%2Fb' })).body).toBe('x');
  });

  it('deletes with a tombstone and keeps the history', async () => {
    const { app } = await setup();
    await app.inject({ method: 'PUT', url: '/kv/ui/theme', headers: { 'content-type': 'application/json' }, payload: '{"mode":"dark","n":12345678901234567890}' });
    const del = await app.inject({ method: 'DELETE', url: '/kv/ui/theme' });
    expect(del.statusCode, del.body).toBe(200);
    expect(JSON.parse(del.body)).toMatchObject({ key: 'theme', deleted: true });
    expectJsonError(await app.inject({ method: 'GET', url: '/kv/ui/theme' }), 404, {
      error: 'key "theme" not found in namespace "ui" (never written, deleted or expired)',
    });
    const h = await app.inject({ method: 'GET', url: '/kv/ui/theme/history' });
    expect(h.statusCode).toBe(200);
    // JSON values are spliced in as written: the big number keeps every digit
    expect(h.body).toContain('"value":{"mode":"dark","n":12345678901234567890}');
    const body = JSON.parse(h.body) as { versions: { deleted: boolean; value?: unknown; time: string }[] };
    expect(body.versions.map((v) => v.deleted)).toEqual([false, true]);
    expect(body.versions[0].time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await app.inject({ method: 'DELETE', url: '/kv/ui/theme' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/kv/ui/never/history' })).statusCode).toBe(404);
  });

  it('compare-and-set with If-Match and create-only with If-None-Match: *', async () => {
    const { app } = await setup();
    const create = await app.inject({ method: 'PUT', url: '/kv/locks/job', headers: { 'if-none-match': '*' }, payload: 'me' });
    expect(create.statusCode).toBe(200);
    const again = await app.inject({ method: 'PUT', url: '/kv/locks/job', headers: { 'if-none-match': '*' }, payload: 'you' });
    expect(again.statusCode).toBe(412);
    expect(again.headers['x-strata-error-code']).toBe('STRATA_ERR_PRECONDITION_FAILED');

    const etag = create.headers.etag as string;
    const stale = await app.inject({ method: 'PUT', url: '/kv/locks/job', headers: { 'if-match': '"1"' }, payload: 'x' });
    expect(stale.statusCode).toBe(412);
    expect(JSON.parse(stale.body).error).toMatch(/If-Match failed/);

    // concurrent requests with the same ETag: exactly one wins
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => app.inject({ method: 'PUT', url: '/kv/locks/job', headers: { 'if-match': etag }, payload: `w${i}` })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    const missing = await app.inject({ method: 'PUT', url: '/kv/locks/none', headers: { 'if-match': '*' }, payload: 'x' });
    expect(missing.statusCode).toBe(412);
    const delStale = await app.inject({ method: 'DELETE', url: '/kv/locks/job', headers: { 'if-match': etag } });
    expect(delStale.statusCode).toBe(412);
  });

  it('expires a key after its TTL (?ttl= or the X-Strata-TTL header)', async () => {
    const { app } = await setup();
    const put = await app.inject({ method: 'PUT', url: '/kv/sess/a?ttl=1h', payload: 'x' });
    expect(put.statusCode).toBe(200);
    expect(JSON.parse(put.body).expires).toMatch(/Z$/);
    expect((await app.inject({ method: 'GET', url: '/kv/sess/a' })).headers['x-strata-expires']).toBeDefined();
    const short = await app.inject({ method: 'PUT', url: '/kv/sess/b', headers: { 'x-strata-ttl': '1ms' }, payload: 'x' });
    expect(short.statusCode).toBe(200);
    await sleep(10);
    expect((await app.inject({ method: 'GET', url: '/kv/sess/b' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/kv/sess/a' })).statusCode).toBe(200);
    const list = JSON.parse((await app.inject({ method: 'GET', url: '/kv/sess' })).body) as { keys: { key: string }[] };
    expect(list.keys.map((k) => k.key)).toEqual(['a']);
    const bad = await app.inject({ method: 'PUT', url: '/kv/sess/c?ttl=soon', payload: 'x' });
    expectJsonError(bad, 400, { error: 'invalid ttl "soon": use a positive duration such as 30s, 5m, 1h30m or 2d' });
  });

  it('lists live keys under a prefix, sorted, with limit and paging', async () => {
    const { app } = await setup();
    for (const k of ['user.2', 'user.1', 'team.1', 'user.3']) await app.inject({ method: 'PUT', url: `/kv/app/${k}`, payload: k });
    await app.inject({ method: 'DELETE', url: '/kv/app/user.3' });
    const res = await app.inject({ method: 'GET', url: '/kv/app?prefix=user.&limit=1' });
    expect(res.statusCode).toBe(200);
    const page = JSON.parse(res.body) as { keys: { key: string; value: string }[]; next: string | null };
    expect(page.keys.map((k) => [k.key, k.value])).toEqual([['user.1', 'user.1']]);
    expect(page.next).toBe('user.1');
    const rest = JSON.parse((await app.inject({ method: 'GET', url: `/kv/app?prefix=user.&after=${page.next}` })).body) as typeof page;
    expect(rest.keys.map((k) => k.key)).toEqual(['user.2']);
    expect(rest.next).toBeNull();
    expectJsonError(await app.inject({ method: 'GET', url: '/kv/app?limit=0' }), 400, { error: 'invalid limit parameter "0": use an integer from 1 to 10000' });
  });

  it('streams changes under a prefix as server-sent events', async () => {
    const { app } = await setup();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    // node:http with its own connection (fetch's pool keeps spare sockets that delay close)
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${address}/kv/ui?watch=true&prefix=th`, { agent: false }, resolve).on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    res.setEncoding('utf8');
    let text = '';
    const waiters: (() => void)[] = [];
    res.on('data', (chunk: string) => {
      text += chunk;
      for (const w of waiters.splice(0)) w();
    });
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) await new Promise<void>((r) => waiters.push(r));
    };
    await readUntil(': watching');
    const send = (method: string, url: string, payload?: string) => app.inject({ method: method as 'PUT', url, payload });
    expect((await send('PUT', '/kv/ui/theme', '"dark"')).statusCode).toBe(200);
    await send('PUT', '/kv/ui/other', 'ignored');
    await send('DELETE', '/kv/ui/theme');
    await readUntil('event: delete');
    const events = text.split('\n\n').filter((b) => b.startsWith('event:'));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(/^event: put\nid: \d+\ndata: \{"key":"theme",.*"value":"dark"\}$/);
    expect(events[1]).toMatch(/^event: delete\nid: \d+\ndata: \{"key":"theme",.*"deleted":true\}$/);
    expect(text).not.toContain('ignored');
    // a stream still open when the server closes is ended, not waited for
    const ended = new Promise<void>((r) => res.on('close', () => r()));
    const t0 = Date.now();
    await app.close();
    await ended;
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('answers bad names, bad JSON and bad times with 400s naming the parameter', async () => {
    const { app } = await setup();
    expectJsonError(await app.inject({ method: 'PUT', url: '/kv/ui/theme', headers: { 'content-type': 'application/json' }, payload: '{dark' }), 400, {
      error: expect.stringMatching(/^body is not valid JSON: /),
    });
    const badNs = await app.inject({ method: 'PUT', url: '/kv/bad%20ns/k', payload: 'x' });
    expect(badNs.statusCode).toBe(400);
    expect(badNs.headers['x-strata-error-code']).toBe('STRATA_ERR_BAD_VIEW_NAME');
    expect(JSON.parse(badNs.body).error).toMatch(/^namespace "bad ns" is not allowed/);
    expectJsonError(await app.inject({ method: 'GET', url: '/kv/ui/theme?at=yesterday' }), 400, {
      error: 'invalid at parameter "yesterday": use an RFC 3339 time (2024-05-01T12:00:00Z) or integer ns since the epoch',
    });
    expect((await app.inject({ method: 'GET', url: '/kv/ui?watch=maybe' })).statusCode).toBe(400);
    const binary = await app.inject({ method: 'PUT', url: '/kv/ui/bin', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([0xff, 0xfe]) });
    expect(binary.statusCode).toBe(400);
  });

  it('keeps everything across a server and engine restart', async () => {
    const h = await setup();
    await h.app.inject({ method: 'PUT', url: '/kv/ui/theme', payload: 'light' });
    await sleep(2);
    await h.app.inject({ method: 'PUT', url: '/kv/ui/theme', payload: 'dark' });
    await h.app.close();
    await h.db.close();
    const db = await openDatabase({ dataDir: h.dir, fsync: 'off' });
    const app = await buildServer({ db, version: '0.1.0-test' });
    try {
      expect((await app.inject({ method: 'GET', url: '/kv/ui/theme' })).body).toBe('dark');
      const hist = JSON.parse((await app.inject({ method: 'GET', url: '/kv/ui/theme/history' })).body) as { versions: { value: string }[] };
      expect(hist.versions.map((v) => v.value)).toEqual(['light', 'dark']);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
