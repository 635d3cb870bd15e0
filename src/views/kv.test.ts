// The key/value view over the engine: versions, history, as-of reads, TTL with a fake
// clock, compare-and-set under concurrent promises, listing, watching, and a reopen.

import { describe, expect, it } from 'vitest';
import { StrataError } from '../errors.js';
import { engineFixture } from '../engine/testing/fixture.js';
import { KvStore, LatestVersions, nextVersion, parseDurationNs, parseEtags, type KvChange } from './kv.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-kv-');

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;

function fakeClock(start = T0) {
  let t = start;
  return { now: () => t, set: (v: bigint) => (t = v), advance: (d: bigint) => (t += d) };
}

async function setup() {
  const db = await openDb({ dataDir: tmpDir() });
  const clock = fakeClock();
  const kv = new KvStore({ db, now: clock.now });
  return { db, clock, kv };
}

async function rejects(p: Promise<unknown>, code: string, status: number): Promise<StrataError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StrataError);
  expect((err as StrataError).code).toBe(code);
  expect((err as StrataError).status).toBe(status);
  return err as StrataError;
}

describe('KvStore', () => {
  it('stores versions with history and reads a key as of any time', async () => {
    const { kv, clock } = await setup();
    const v1 = await kv.put('ui', 'theme', '"light"', { type: 'application/json' });
    expect(v1.version).toBe(T0);
    clock.advance(10n * S);
    const v2 = await kv.put('ui', 'theme', '"dark"', { type: 'application/json' });
    expect(v2.version).toBe(T0 + 10n * S);

    expect(kv.get('ui', 'theme')?.value).toBe('"dark"');
    expect(kv.get('ui', 'theme', T0 + 5n * S)?.value).toBe('"light"');
    expect(kv.get('ui', 'theme', T0)?.value).toBe('"light"');
    expect(kv.get('ui', 'theme', T0 - 1n)).toBeNull();

    clock.advance(S);
    await kv.delete('ui', 'theme');
    expect(kv.get('ui', 'theme')).toBeNull();
    expect(kv.get('ui', 'theme', T0 + 10n * S)?.value).toBe('"dark"');
    const h = kv.history('ui', 'theme');
    expect(h.map((e) => [e.version, e.deleted, e.value])).toEqual([
      [T0, false, '"light"'],
      [T0 + 10n * S, false, '"dark"'],
      [T0 + 11n * S, true, ''],
    ]);
    await rejects(kv.delete('ui', 'theme'), 'STRATA_ERR_KEY_NOT_FOUND', 404);
  });

  it('makes versions strictly increasing when the clock does not advance', async () => {
    const { kv } = await setup();
    const vs = [];
    for (let i = 0; i < 5; i++) vs.push((await kv.put('ns', 'k', String(i))).version);
    expect(vs).toEqual([T0, T0 + 1n, T0 + 2n, T0 + 3n, T0 + 4n]);
    expect(kv.history('ns', 'k').map((e) => e.value)).toEqual(['0', '1', '2', '3', '4']);
    expect(nextVersion(5n, 9n)).toBe(10n);
    expect(nextVersion(20n, 9n)).toBe(20n);
  });

  it('expires keys after their TTL (fake clock)', async () => {
    const { kv, clock } = await setup();
    const e = await kv.put('sess', 'abc', 'token', { ttl: parseDurationNs('60s') });
    expect(e.expires).toBe(T0 + 60n * S);
    clock.advance(59n * S);
    expect(kv.get('sess', 'abc')?.value).toBe('token');
    expect(kv.list('sess').entries.map((x) => x.key)).toEqual(['abc']);
    clock.advance(S);
    expect(kv.get('sess', 'abc')).toBeNull();
    expect(kv.list('sess').entries).toEqual([]);
    // as of a time before expiry it is still there
    expect(kv.get('sess', 'abc', T0 + 30n * S)?.value).toBe('token');
    // an expired key can be created again with If-None-Match: *
    const again = await kv.put('sess', 'abc', 'new', { ifNoneMatch: '*' });
    expect(again.expires).toBeNull();
    expect(kv.get('sess', 'abc')?.value).toBe('new');
  });

  it('compare-and-set: exactly one of concurrent writers with the same If-Match wins', async () => {
    const { kv } = await setup();
    const base = await kv.put('c', 'counter', '0');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => kv.put('c', 'counter', String(i + 1), { ifMatch: [String(base.version)] })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(19);
    for (const f of failed) expect((f.reason as StrataError).status).toBe(412);
    expect(kv.history('c', 'counter')).toHaveLength(2);
  });

  it('compare-and-set loops make a lossless counter under concurrency', async () => {
    const { kv } = await setup();
    await kv.put('c', 'n', '0');
    const incr = async () => {
      for (;;) {
        const cur = kv.get('c', 'n')!;
        try {
          await kv.put('c', 'n', String(Number(cur.value) + 1), { ifMatch: [String(cur.version)] });
          return;
        } catch (e) {
          if ((e as StrataError).status !== 412) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: 15 }, incr));
    expect(kv.get('c', 'n')?.value).toBe('15');
  });

  it('create-only with If-None-Match: * lets one of concurrent creators win', async () => {
    const { kv } = await setup();
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => kv.put('locks', 'job', `owner-${i}`, { ifNoneMatch: '*' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await rejects(kv.put('locks', 'job', 'x', { ifNoneMatch: '*' }), 'STRATA_ERR_PRECONDITION_FAILED', 412);
    await rejects(kv.put('locks', 'nope', 'x', { ifMatch: ['123'] }), 'STRATA_ERR_PRECONDITION_FAILED', 412);
  });

  it('lists live keys sorted, by prefix, with limit and cursor', async () => {
    const { kv } = await setup();
    for (const k of ['b/2', 'a/1', 'b/1', 'c', 'b/3', 'b.x']) await kv.put('ns', k, k);
    await kv.delete('ns', 'b/2');
    expect(kv.list('ns').entries.map((e) => e.key)).toEqual(['a/1', 'b.x', 'b/1', 'b/3', 'c']);
    expect(kv.list('ns', { prefix: 'b/' }).entries.map((e) => e.key)).toEqual(['b/1', 'b/3']);
    const page1 = kv.list('ns', { limit: 2 });
    expect(page1.entries.map((e) => e.key)).toEqual(['a/1', 'b.x']);
    expect(page1.next).toBe('b.x');
    const page2 = kv.list('ns', { limit: 3, after: page1.next! });
    expect(page2.entries.map((e) => e.key)).toEqual(['b/1', 'b/3', 'c']);
    expect(page2.next).toBeNull();
    expect(kv.list('empty').entries).toEqual([]);
  });

  it('notifies watchers of changes under a prefix', async () => {
    const { kv } = await setup();
    const seen: KvChange[] = [];
    const stop = kv.watch('ui', 'th', (c) => seen.push(c));
    await kv.put('ui', 'theme', 'dark');
    await kv.put('ui', 'other', 'x');
    await kv.put('other', 'theme', 'x');
    await kv.delete('ui', 'theme');
    stop();
    await kv.put('ui', 'theme', 'late');
    expect(seen.map((c) => [c.op, c.entry.key, c.entry.value])).toEqual([
      ['put', 'theme', 'dark'],
      ['delete', 'theme', ''],
    ]);
  });

  it('rejects bad names and bad JSON with clear errors', async () => {
    const { kv } = await setup();
    await expect(kv.put('bad ns', 'k', 'v')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME', message: expect.stringContaining('namespace') });
    await expect(kv.put('ns', '', 'v')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME', message: expect.stringContaining('key is empty') });
    await expect(kv.put('ns', 'a\nb', 'v')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME' });
    await expect(kv.put('ns', 'k', '{nope', { type: 'application/json' })).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_JSON' });
    expect(() => parseDurationNs('soon')).toThrow(/invalid ttl "soon"/);
    expect(parseDurationNs('1h30m')).toBe(5400n * S);
    expect(parseEtags('W/"1", "2"')).toEqual(['1', '2']);
  });

  it('keeps values, history and versions across a restart', async () => {
    const { db, clock } = await setup();
    let kv = new KvStore({ db, now: clock.now });
    await kv.put('ui', 'theme', '"light"', { type: 'application/json' });
    await kv.put('ui', 'theme', '"dark"', { type: 'application/json' });
    await kv.put('ui', 'gone', 'x');
    await kv.delete('ui', 'gone');
    const db2 = await reopen(db);
    kv = new KvStore({ db: db2, now: clock.now });
    expect(kv.get('ui', 'theme')).toMatchObject({ value: '"dark"', type: 'application/json', version: T0 + 1n });
    expect(kv.history('ui', 'theme').map((e) => e.value)).toEqual(['"light"', '"dark"']);
    expect(kv.get('ui', 'gone')).toBeNull();
    expect(kv.history('ui', 'gone').map((e) => e.deleted)).toEqual([false, true]);
    // the clock is still at T0: the next version continues after the stored one
    expect((await kv.put('ui', 'theme', '"blue"', { type: 'application/json' })).version).toBe(T0 + 2n);
    // and after a flush to TSM files too
    await db2.flush();
    const db3 = await reopen(db2);
    kv = new KvStore({ db: db3, now: clock.now });
    expect(kv.get('ui', 'theme')?.value).toBe('"blue"');
    expect(kv.history('ui', 'theme')).toHaveLength(3);
  });

  it('uses a configurable database', async () => {
    const { db, clock } = await setup();
    const kv = new KvStore({ db, database: 'state', now: clock.now });
    await kv.put('ns', 'k', 'v');
    expect(db.hasDatabase('state')).toBe(true);
    expect(db.series('state', 'ns').map((s) => s.tags)).toEqual([{ key: 'k' }]);
  });

  it('reads the latest version from the cached one on, and falls back when it is gone', async () => {
    const { db, kv, clock } = await setup();
    await kv.put('ns', 'k', 'a');
    clock.advance(S);
    await kv.put('ns', 'k', 'b');
    clock.advance(S);
    await kv.put('ns', 'k', 'c');
    expect(kv.get('ns', 'k')?.value).toBe('c');
    // The cached version (T0 + 2s) is deleted by another path: the full read answers.
    await db.delete({ db: '_kv', measurement: 'ns', start: T0 + 2n * S, end: T0 + 3n * S });
    expect(kv.get('ns', 'k')?.value).toBe('b');
    expect(kv.get('ns', 'k', T0 + 5n * S)?.value).toBe('b');
    clock.advance(S);
    const d = await kv.put('ns', 'k', 'd', { ifMatch: [String(T0 + S)] });
    expect(d.version).toBe(T0 + 3n * S);
    // A newer version written around the store is still seen.
    await db.write([{ measurement: 'ns', tags: { key: 'k' }, fields: { value: { type: 'string', value: 'e' }, type: { type: 'string', value: 'text/plain' }, deleted: { type: 'boolean', value: false }, expires: { type: 'integer', value: 0n } }, time: T0 + 9n * S }], { db: '_kv' });
    expect(kv.get('ns', 'k')?.version).toBe(T0 + 9n * S);
    expect(kv.get('ns', 'k', T0 + 3n * S)?.value).toBe('d');
    expect(kv.get('ns', 'k', T0 + 2n * S)?.value).toBe('b');
    // Every version gone: absent, and a new write starts again.
    await db.delete({ db: '_kv', measurement: 'ns' });
    expect(kv.get('ns', 'k')).toBeNull();
    expect((await kv.put('ns', 'k', 'f')).version).toBe(T0 + 3n * S);
    expect(kv.history('ns', 'k').map((e) => e.value)).toEqual(['f']);
  });

  it('answers the same with the cache disabled or evicting', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const clock = fakeClock();
    const stores = [new KvStore({ db, now: clock.now, latestCacheSize: 0 }), new KvStore({ db, now: clock.now, latestCacheSize: 2 })];
    for (let i = 0; i < 6; i++) {
      clock.advance(S);
      await stores[i % 2].put('ns', `k${i % 3}`, String(i));
    }
    for (const kv of stores) {
      expect([0, 1, 2].map((i) => kv.get('ns', `k${i}`)?.value)).toEqual(['3', '4', '5']);
      expect(kv.get('ns', 'k0', T0 + 2n * S)?.value).toBe('0');
    }
    const lru = new LatestVersions(2);
    lru.set('a', 1n);
    lru.set('b', 2n);
    expect(lru.get('a')).toBe(1n);
    lru.set('c', 3n);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.size]).toEqual([1n, undefined, 3n, 2]);
  });
});
