// History of the views survives the engine's life cycle: 25 updates of a key (and of a
// document) are listed in order by `history`, and a read as of each version's time answers
// that version — from the memtable, after a restart (WAL replay), and after flush() +
// compact({ full: true }) and another restart (TSM files only).

import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../engine/database.js';
import { engineFixture } from '../engine/testing/fixture.js';
import { buildServer } from '../server/app.js';
import { cleanup, setup } from '../server/testing/harness.js';
import { DocStore } from './docs.js';
import { KvStore } from './kv.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-history-');
afterEach(cleanup);

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const N = 25;

function fakeClock(start = T0) {
  let t = start;
  return { now: () => t, advance: (d: bigint) => (t += d) };
}

/** Advances the clock between updates: mostly whole seconds, sometimes not at all (the
 * version is then last + 1 ns), sometimes a fraction of a millisecond. */
function step(i: number): bigint {
  return i % 5 === 3 ? 0n : i % 7 === 2 ? 12_345n : S;
}

/** Runs `check` on a fresh store over the database as it is now, after a restart, and after
 * a full compaction and another restart. */
async function lifeCycle(db: Database, check: (db: Database, phase: string) => void): Promise<void> {
  check(db, 'memtable');
  db = await reopen(db);
  check(db, 'after restart (WAL replay)');
  await db.flush();
  await db.compact({ full: true });
  check(db, 'after flush + full compaction');
  db = await reopen(db);
  check(db, 'after flush + full compaction + restart');
}

describe('view history across restarts and compaction', () => {
  it(`KV: ${N} updates of a key are ${N} versions, each readable with at=`, async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const clock = fakeClock();
    const kv = new KvStore({ db, now: clock.now });
    const written: { version: bigint; value: string }[] = [];
    for (let i = 0; i < N; i++) {
      const value = JSON.stringify({ n: i, label: `v${i}` });
      const e = await kv.put('cfg', 'feature-flags', value, { type: 'application/json' });
      written.push({ version: e.version, value });
      // a neighbour key in the same namespace, updated in between
      if (i % 4 === 0) await kv.put('cfg', 'other', `o${i}`);
      clock.advance(step(i));
    }
    // strictly increasing versions, even where the clock stood still
    for (let i = 1; i < N; i++) expect(written[i].version).toBeGreaterThan(written[i - 1].version);
    expect(written.filter((w, i) => i > 0 && w.version === written[i - 1].version + 1n).length).toBeGreaterThan(0);

    await lifeCycle(db, (db, phase) => {
      const store = new KvStore({ db, now: clock.now });
      const h = store.history('cfg', 'feature-flags');
      expect(h.map((e) => [e.version, e.value, e.deleted]), phase).toEqual(written.map((w) => [w.version, w.value, false]));
      expect(h.every((e) => e.type === 'application/json'), phase).toBe(true);
      for (let i = 0; i < N; i++) {
        const at = store.get('cfg', 'feature-flags', written[i].version);
        expect(at?.version, `${phase}: at version ${i}`).toBe(written[i].version);
        expect(at?.value, `${phase}: at version ${i}`).toBe(written[i].value);
        // just before a version, the previous one
        const before = store.get('cfg', 'feature-flags', written[i].version - 1n);
        expect(before?.value ?? null, `${phase}: before version ${i}`).toBe(i === 0 ? null : written[i - 1].value);
      }
      expect(store.get('cfg', 'feature-flags')?.value, phase).toBe(written[N - 1].value);
      expect(store.history('cfg', 'other').map((e) => e.value), phase).toEqual(['o0', 'o4', 'o8', 'o12', 'o16', 'o20', 'o24']);
      // listing as of a version's time sees that version
      const listed = store.list('cfg', { at: written[10].version }).entries.find((e) => e.key === 'feature-flags');
      expect(listed?.value, phase).toBe(written[10].value);
    });
  });

  it(`documents: ${N} updates (replace, patch, indexed value changes) are ${N} versions, each readable with at=`, async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const clock = fakeClock();
    const docs = new DocStore({ db, now: clock.now });
    // `status` is indexed: when it changes the document continues in another series, so
    // history and as-of reads must merge the series of the id by time.
    await docs.setIndexes('orders', ['status']);
    clock.advance(S);
    const statuses = ['new', 'paid', 'shipped'];
    const written: { version: bigint; doc: Record<string, unknown> }[] = [];
    let doc: Record<string, unknown> = {};
    for (let i = 0; i < N; i++) {
      const status = statuses[Math.floor(i / 3) % 3];
      let v;
      if (i % 2 === 0) {
        doc = { status, items: i, note: `rev ${i}`, nested: { a: i, b: [i, i + 1] } };
        v = await docs.put('orders', 'o-1', { _id: 'o-1', ...doc });
      } else {
        doc = { ...doc, status, items: i, note: `rev ${i}` };
        v = await docs.patch('orders', 'o-1', { status, items: i, note: `rev ${i}` });
      }
      expect(v.doc).toEqual(doc);
      written.push({ version: v.version, doc });
      if (i % 6 === 0) await docs.put('orders', `o-${i + 100}`, { status: 'new', items: 0 });
      clock.advance(step(i));
    }
    for (let i = 1; i < N; i++) expect(written[i].version).toBeGreaterThan(written[i - 1].version);
    expect(db.series('_doc', 'orders', [{ key: '_id', op: '=', value: 'o-1' }]).length).toBeGreaterThan(1);

    await lifeCycle(db, (db, phase) => {
      const store = new DocStore({ db, now: clock.now });
      expect(store.indexes('orders'), phase).toEqual(['status']);
      const h = store.history('orders', 'o-1');
      expect(h.map((v) => [v.version, v.doc, v.deleted]), phase).toEqual(written.map((w) => [w.version, w.doc, false]));
      for (let i = 0; i < N; i++) {
        const at = store.get('orders', 'o-1', written[i].version);
        expect(at?.version, `${phase}: at version ${i}`).toBe(written[i].version);
        expect(at?.doc, `${phase}: at version ${i}`).toEqual(written[i].doc);
        const before = store.get('orders', 'o-1', written[i].version - 1n);
        expect(before?.doc ?? null, `${phase}: before version ${i}`).toEqual(i === 0 ? null : written[i - 1].doc);
      }
      expect(store.get('orders', 'o-1')?.doc, phase).toEqual(written[N - 1].doc);
      // the index finds the document by its latest status only (old series carry old values)
      const last = written[N - 1].doc.status as string;
      for (const s of statuses) {
        const found = store.find('orders', { where: [{ path: 'status', value: s }] }).documents.map((d) => d.id);
        expect(found.includes('o-1'), `${phase}: status ${s}`).toBe(s === last);
      }
      // as of version 4 (status "paid"), a find with that time sees the old status
      const then = store.find('orders', { where: [{ path: 'status', value: 'paid' }], at: written[4].version });
      expect(then.documents.map((d) => d.id), phase).toContain('o-1');
    });
  });

  it(`over HTTP: GET .../history and ?at=<version time> for a key and a document, across restarts and compaction`, async () => {
    const h = await setup();
    const written: { version: string; time: string; value: string }[] = [];
    const docVersions: { version: string; doc: Record<string, unknown> }[] = [];
    for (let i = 0; i < N; i++) {
      const value = `{"n":${i}}`;
      const r = await h.app.inject({ method: 'PUT', url: '/kv/app/counter', headers: { 'content-type': 'application/json' }, payload: value });
      expect(r.statusCode, r.body).toBe(200);
      const e = JSON.parse(r.body) as { version: string; time: string };
      written.push({ version: e.version, time: e.time, value });
      const doc = { n: i, tag: i % 2 === 0 ? 'even' : 'odd' };
      const d = await h.app.inject({ method: 'PUT', url: '/doc/things/t1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(doc) });
      expect(d.statusCode, d.body).toBe(200);
      docVersions.push({ version: String(d.headers.etag).replace(/"/g, ''), doc: { _id: 't1', ...doc } });
    }

    async function check(app: FastifyInstance, phase: string): Promise<void> {
      const hist = JSON.parse((await app.inject({ method: 'GET', url: '/kv/app/counter/history' })).body) as { versions: { version: string; value: unknown }[] };
      expect(hist.versions.map((v) => [v.version, JSON.stringify(v.value)]), phase).toEqual(written.map((w) => [w.version, w.value]));
      const dh = JSON.parse((await app.inject({ method: 'GET', url: '/doc/things/t1/history' })).body) as { versions: { version: string; doc: unknown }[] };
      expect(dh.versions.map((v) => [v.version, v.doc]), phase).toEqual(docVersions.map((w) => [w.version, w.doc]));
      for (let i = 0; i < N; i++) {
        // the RFC 3339 time (ns precision) of the version, and the version as integer ns
        const byTime = await app.inject({ method: 'GET', url: `/kv/app/counter?at=${encodeURIComponent(written[i].time)}` });
        expect([byTime.statusCode, byTime.body, byTime.headers.etag], `${phase}: kv at ${i}`).toEqual([200, written[i].value, `"${written[i].version}"`]);
        const d = await app.inject({ method: 'GET', url: `/doc/things/t1?at=${docVersions[i].version}` });
        expect([d.statusCode, JSON.parse(d.body)], `${phase}: doc at ${i}`).toEqual([200, docVersions[i].doc]);
      }
    }

    await check(h.app, 'running');
    await h.app.close();
    await h.db.close();
    let db = await openDatabase({ dataDir: h.dir, fsync: 'off' });
    let app = await buildServer({ db, version: '0.1.0-test' });
    try {
      await check(app, 'after restart');
      await db.flush();
      await db.compact({ full: true });
      await check(app, 'after flush + full compaction');
      await app.close();
      await db.close();
      db = await openDatabase({ dataDir: h.dir, fsync: 'off' });
      app = await buildServer({ db, version: '0.1.0-test' });
      await check(app, 'after flush + full compaction + restart');
    } finally {
      await app.close();
      await db.close();
    }
  });
});
