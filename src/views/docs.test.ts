// The document view over the engine: create/replace/patch/delete with history, as-of
// reads, indexed and scanned filters (nested paths), paging, CAS races and a reopen.

import { describe, expect, it } from 'vitest';
import type { StrataError } from '../errors.js';
import { engineFixture } from '../engine/testing/fixture.js';
import { DocStore, mergePatch } from './docs.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-doc-');

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;

async function setup() {
  const db = await openDb({ dataDir: tmpDir() });
  let t = T0;
  const clock = { now: () => t, advance: (d: bigint) => (t += d) };
  const docs = new DocStore({ db, now: clock.now });
  return { db, clock, docs };
}

describe('DocStore', () => {
  it('creates, reads, replaces, patches and deletes with full history', async () => {
    const { docs, clock } = await setup();
    const created = await docs.create('posts', { title: 'hello', tags: ['rust', 'db'] });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    expect(docs.get('posts', created.id)?.doc).toEqual({ title: 'hello', tags: ['rust', 'db'] });

    clock.advance(S);
    await docs.put('posts', created.id, { title: 'hello again', tags: ['rust'] });
    clock.advance(S);
    await docs.patch('posts', created.id, { tags: null, draft: true });
    expect(docs.get('posts', created.id)?.doc).toEqual({ title: 'hello again', draft: true });
    expect(docs.get('posts', created.id, T0)?.doc).toEqual({ title: 'hello', tags: ['rust', 'db'] });
    expect(docs.get('posts', created.id, T0 + S)?.doc).toEqual({ title: 'hello again', tags: ['rust'] });

    clock.advance(S);
    await docs.delete('posts', created.id);
    expect(docs.get('posts', created.id)).toBeNull();
    const h = docs.history('posts', created.id);
    expect(h.map((v) => [v.version, v.deleted])).toEqual([
      [T0, false],
      [T0 + S, false],
      [T0 + 2n * S, false],
      [T0 + 3n * S, true],
    ]);
    await expect(docs.delete('posts', created.id)).rejects.toMatchObject({ code: 'STRATA_ERR_DOC_NOT_FOUND', status: 404 });
    await expect(docs.patch('posts', 'nope', { a: 1 })).rejects.toMatchObject({ code: 'STRATA_ERR_DOC_NOT_FOUND' });
  });

  it('takes the id from the argument or _id, refuses a live duplicate, generates sortable ids', async () => {
    const { docs } = await setup();
    expect((await docs.create('c', { a: 1 }, 'given')).id).toBe('given');
    expect((await docs.create('c', { _id: 'fromBody', a: 2 })).id).toBe('fromBody');
    expect(docs.get('c', 'fromBody')?.doc).toEqual({ a: 2 });
    await expect(docs.create('c', { a: 3 }, 'given')).rejects.toMatchObject({ code: 'STRATA_ERR_DOC_EXISTS', status: 409 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(docs.newId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
    await expect(docs.put('c', 'given', { _id: 'other' })).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME' });
  });

  it('filters by indexed fields (postings) and by other fields (scan), nested paths too', async () => {
    const { docs, db } = await setup();
    await docs.setIndexes('users', ['author', 'user.address.city']);
    await docs.create('users', { author: 'ann', user: { address: { city: 'Oslo' } }, age: 30 }, 'u1');
    await docs.create('users', { author: 'bob', user: { address: { city: 'Rome' } }, age: 40 }, 'u2');
    await docs.create('users', { author: 'ann', user: { address: { city: 'Rome' } }, age: 40 }, 'u3');

    const byAuthor = docs.find('users', { where: [{ path: 'author', value: 'ann' }] });
    expect(byAuthor.indexed).toBe(true);
    expect(byAuthor.documents.map((d) => d.id)).toEqual(['u1', 'u3']);
    expect(docs.find('users', { where: [{ path: 'user.address.city', value: 'Rome' }] }).documents.map((d) => d.id)).toEqual(['u2', 'u3']);
    const byAge = docs.find('users', { where: [{ path: 'age', value: '40' }] });
    expect(byAge.indexed).toBe(false);
    expect(byAge.documents.map((d) => d.id)).toEqual(['u2', 'u3']);
    expect(docs.find('users', { where: [{ path: 'author', value: 'ann' }, { path: 'age', value: '40' }] }).documents.map((d) => d.id)).toEqual(['u3']);
    // indexed values are tags of the series
    expect(db.series('_doc', 'users', [{ key: 'author', op: '=', value: 'bob' }]).map((s) => s.tags._id)).toEqual(['u2']);

    // a changed indexed value: the old series still says "ann", the latest version decides
    await docs.patch('users', 'u1', { author: 'carl' });
    expect(docs.find('users', { where: [{ path: 'author', value: 'ann' }] }).documents.map((d) => d.id)).toEqual(['u3']);
    expect(docs.find('users', { where: [{ path: 'author', value: 'carl' }] }).documents.map((d) => d.id)).toEqual(['u1']);
    expect(docs.history('users', 'u1')).toHaveLength(2);
    // deleted documents are not found
    await docs.delete('users', 'u3');
    expect(docs.find('users', { where: [{ path: 'age', value: '40' }] }).documents.map((d) => d.id)).toEqual(['u2']);
  });

  it('matches array fields by element, through the index and by scan alike', async () => {
    const { docs } = await setup();
    await docs.setIndexes('posts', ['tags']);
    await docs.create('posts', { tags: ['rust', 'db'], cats: ['a.b', 'c'] }, 'p1');
    await docs.create('posts', { tags: ['go'], cats: ['ab'] }, 'p2');
    await docs.create('posts', { tags: 'rust' }, 'p3');
    const idx = docs.find('posts', { where: [{ path: 'tags', value: 'rust' }] });
    expect(idx.indexed).toBe(true);
    expect(idx.documents.map((d) => d.id)).toEqual(['p1', 'p3']);
    expect(docs.find('posts', { where: [{ path: 'tags', value: 'db' }] }).documents.map((d) => d.id)).toEqual(['p1']);
    expect(docs.find('posts', { where: [{ path: 'tags', value: 'r' }] }).documents).toEqual([]);
    const scan = docs.find('posts', { where: [{ path: 'cats', value: 'a.b' }] });
    expect(scan.indexed).toBe(false);
    expect(scan.documents.map((d) => d.id)).toEqual(['p1']);
  });

  it('reindexes documents written before the declaration', async () => {
    const { docs } = await setup();
    await docs.create('p', { author: 'ann' }, 'a');
    await docs.create('p', { author: 'bob' }, 'b');
    const res = await docs.setIndexes('p', ['author']);
    expect(res).toEqual({ fields: ['author'], reindexed: 2 });
    const found = docs.find('p', { where: [{ path: 'author', value: 'bob' }] });
    expect(found.indexed).toBe(true);
    expect(found.documents.map((d) => d.doc)).toEqual([{ author: 'bob' }]);
    expect(docs.indexes('p')).toEqual(['author']);
    expect((await docs.setIndexes('p', ['author'])).reindexed).toBe(0);
  });

  it('pages by id with limit and after', async () => {
    const { docs } = await setup();
    for (const id of ['d', 'a', 'c', 'b', 'e']) await docs.create('c', { n: id }, id);
    const p1 = docs.find('c', { limit: 2 });
    expect(p1.documents.map((d) => d.id)).toEqual(['a', 'b']);
    expect(p1.next).toBe('b');
    const p2 = docs.find('c', { limit: 2, after: p1.next! });
    expect(p2.documents.map((d) => d.id)).toEqual(['c', 'd']);
    const p3 = docs.find('c', { limit: 2, after: p2.next! });
    expect(p3.documents.map((d) => d.id)).toEqual(['e']);
    expect(p3.next).toBeNull();
  });

  it('lets one of concurrent If-Match writers win', async () => {
    const { docs } = await setup();
    const v = await docs.create('c', { n: 0 }, 'x');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => docs.patch('c', 'x', { n: i + 1 }, { ifMatch: [String(v.version)] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as StrataError).status).toBe(412);
    expect(docs.history('c', 'x')).toHaveLength(2);
  });

  it('implements JSON merge patch (RFC 7386 examples)', () => {
    expect(mergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(mergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(mergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(mergePatch({ a: 'b', b: 'c' }, { a: null })).toEqual({ b: 'c' });
    expect(mergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' });
    expect(mergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(mergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(mergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(mergePatch([1, 2], { a: 'b', c: null })).toEqual({ a: 'b' });
    expect(mergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
    const polluted = mergePatch({}, JSON.parse('{"__proto__": {"x": 1}}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(polluted)).toBe(Object.prototype);
  });

  it('keeps documents, history and index declarations across a restart', async () => {
    const { db, clock, docs } = await setup();
    await docs.setIndexes('posts', ['author']);
    await docs.create('posts', { title: 'one', author: 'ann' }, 'p1');
    clock.advance(S);
    await docs.put('posts', 'p1', { title: 'two', author: 'ann' });
    const db2 = await reopen(db);
    const again = new DocStore({ db: db2, now: clock.now });
    expect(again.indexes('posts')).toEqual(['author']);
    expect(again.get('posts', 'p1')?.doc).toEqual({ title: 'two', author: 'ann' });
    expect(again.get('posts', 'p1', T0)?.doc).toEqual({ title: 'one', author: 'ann' });
    expect(again.find('posts', { where: [{ path: 'author', value: 'ann' }] }).documents.map((d) => d.id)).toEqual(['p1']);
    await db2.flush();
    const db3 = await reopen(db2);
    const third = new DocStore({ db: db3, now: clock.now });
    expect(third.history('posts', 'p1').map((v) => v.doc?.title)).toEqual(['one', 'two']);
  });

  it('rejects bad names and bodies with clear errors', async () => {
    const { docs } = await setup();
    await expect(docs.create('_x', { a: 1 })).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME', message: expect.stringContaining('collection') });
    await expect(docs.setIndexes('c', ['bad path!'])).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME', message: expect.stringContaining('indexed field') });
    await expect(docs.setIndexes('c', ['_id'])).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_VIEW_NAME' });
    await expect(docs.patch('c', 'x', [1])).rejects.toMatchObject({ code: 'STRATA_ERR_DOC_NOT_FOUND' });
    expect(() => docs.find('c', { where: [{ path: '', value: 'x' }] })).toThrow(/where field/);
  });

  it('follows a document across series from the cached version on', async () => {
    const { db, docs, clock } = await setup();
    await docs.setIndexes('users', ['city']);
    clock.advance(S);
    await docs.put('users', 'u1', { city: 'Oslo', n: 1 });
    clock.advance(S);
    await docs.put('users', 'u1', { city: 'Rome', n: 2 });
    expect(docs.get('users', 'u1')?.doc).toEqual({ city: 'Rome', n: 2 });
    clock.advance(S);
    await docs.patch('users', 'u1', { city: 'Oslo' });
    expect(docs.get('users', 'u1')?.doc).toEqual({ city: 'Oslo', n: 2 });
    expect(docs.find('users', { where: [{ path: 'city', value: 'Rome' }] }).documents).toEqual([]);
    expect(docs.find('users', { where: [{ path: 'city', value: 'Oslo' }] }).documents.map((d) => d.doc)).toEqual([{ city: 'Oslo', n: 2 }]);
    expect(docs.get('users', 'u1', T0 + 2n * S)?.doc).toEqual({ city: 'Rome', n: 2 });
    // The newest version removed by another path: the previous one (another series) answers.
    await db.delete({ db: '_doc', measurement: 'users', start: T0 + 3n * S });
    expect(docs.get('users', 'u1')?.doc).toEqual({ city: 'Rome', n: 2 });
    clock.advance(S);
    const v = await docs.patch('users', 'u1', { n: 3 }, { ifMatch: [String(T0 + 2n * S)] });
    expect(v.doc).toEqual({ city: 'Rome', n: 3 });
    expect(docs.history('users', 'u1').map((h) => h.doc?.n)).toEqual([1, 2, 3]);
  });
});
