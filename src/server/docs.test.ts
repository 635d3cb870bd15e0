// /doc over HTTP: the example as a user types it (over a real socket), CRUD with
// merge patch, history and ?at=, indexes, filters, paging, preconditions and errors.

import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectJsonError, setup } from './testing/harness.js';

afterEach(cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/doc', () => {
  it('POST /doc/posts {"title":"hello","tags":["rust","db"]}, GET it by id, filter by an indexed field (real HTTP)', async () => {
    const { app } = await setup();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });

    const idx = await fetch(`${base}/doc/posts/_indexes`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"fields":["title","tags"]}' });
    expect(idx.status).toBe(200);
    expect(await idx.json()).toEqual({ fields: ['tags', 'title'], reindexed: 0 });

    const post = await fetch(`${base}/doc/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"hello","tags":["rust","db"]}' });
    expect(post.status).toBe(201);
    const { id } = (await post.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(post.headers.get('location')).toBe(`/doc/posts/${id}`);

    const get = await fetch(`${base}${post.headers.get('location')}`);
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ _id: id, title: 'hello', tags: ['rust', 'db'] });
    expect(get.headers.get('etag')).toMatch(/^"\d+"$/);

    await fetch(`${base}/doc/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"other"}' });
    const found = await fetch(`${base}/doc/posts?where=title=hello`);
    expect(found.status).toBe(200);
    expect(found.headers.get('x-strata-index')).toBe('used');
    expect(await found.json()).toEqual({ documents: [{ _id: id, title: 'hello', tags: ['rust', 'db'] }], next: null });
    // an array field matches when one element equals the value
    const byTag = await fetch(`${base}/doc/posts?where=tags=rust`);
    expect(byTag.headers.get('x-strata-index')).toBe('used');
    expect(((await byTag.json()) as { documents: { _id: string }[] }).documents.map((d) => d._id)).toEqual([id]);
    const none = await fetch(`${base}/doc/posts?where=tags=rus`);
    expect(((await none.json()) as { documents: unknown[] }).documents).toEqual([]);
  });

  it('replaces, merge-patches and deletes; history and ?at= show every version', async () => {
    const { app } = await setup();
    const post = await app.inject({ method: 'POST', url: '/doc/users?id=ann', payload: { name: 'Ann', user: { address: { city: 'Oslo', zip: '0150' } } } });
    expect(post.statusCode, post.body).toBe(201);
    expect(JSON.parse(post.body).id).toBe('ann');
    await sleep(2);
    const patch = await app.inject({
      method: 'PATCH',
      url: '/doc/users/ann',
      headers: { 'content-type': 'application/merge-patch+json' },
      payload: '{"user":{"address":{"city":"Rome","zip":null}},"age":30}',
    });
    expect(patch.statusCode, patch.body).toBe(200);
    expect(JSON.parse(patch.body)).toEqual({ _id: 'ann', name: 'Ann', user: { address: { city: 'Rome' } }, age: 30 });
    await sleep(2);
    const put = await app.inject({ method: 'PUT', url: '/doc/users/ann', payload: { name: 'Ann B.' } });
    expect(put.statusCode).toBe(200);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/doc/users/ann' })).body)).toEqual({ _id: 'ann', name: 'Ann B.' });

    const hist = JSON.parse((await app.inject({ method: 'GET', url: '/doc/users/ann/history' })).body) as { versions: { version: string; time: string; deleted: boolean; doc: { name: string } }[] };
    expect(hist.versions.map((v) => v.doc.name)).toEqual(['Ann', 'Ann', 'Ann B.']);
    const atFirst = await app.inject({ method: 'GET', url: `/doc/users/ann?at=${hist.versions[0].time}` });
    expect(JSON.parse(atFirst.body).user.address.city).toBe('Oslo');

    const del = await app.inject({ method: 'DELETE', url: '/doc/users/ann' });
    expect(del.statusCode).toBe(200);
    expectJsonError(await app.inject({ method: 'GET', url: '/doc/users/ann' }), 404, {
      error: 'document "ann" not found in collection "users" (never written or deleted)',
    });
    const after = JSON.parse((await app.inject({ method: 'GET', url: '/doc/users/ann/history' })).body) as { versions: { deleted: boolean; doc: unknown }[] };
    expect(after.versions.map((v) => v.deleted)).toEqual([false, false, false, true]);
    expect(after.versions[3].doc).toBeNull();
    expect((await app.inject({ method: 'PATCH', url: '/doc/users/ann', payload: { a: 1 } })).statusCode).toBe(404);
  });

  it('filters on nested indexed fields and on non-indexed fields, with paging', async () => {
    const { app } = await setup();
    await app.inject({ method: 'PUT', url: '/doc/people/_indexes', payload: { fields: ['user.address.city'] } });
    const cities = ['Oslo', 'Rome', 'Oslo', 'Oslo', 'Rome'];
    for (let i = 0; i < cities.length; i++) {
      const r = await app.inject({ method: 'POST', url: '/doc/people', payload: { _id: `p${i}`, n: i, even: i % 2 === 0, user: { address: { city: cities[i] } } } });
      expect(r.statusCode, r.body).toBe(201);
    }
    type Page = { documents: { _id: string }[]; next: string | null };
    const p1 = await app.inject({ method: 'GET', url: '/doc/people?where=user.address.city=Oslo&limit=2' });
    expect(p1.headers['x-strata-index']).toBe('used');
    const page1 = JSON.parse(p1.body) as Page;
    expect(page1.documents.map((d) => d._id)).toEqual(['p0', 'p2']);
    expect(page1.next).toBe('p2');
    const page2 = JSON.parse((await app.inject({ method: 'GET', url: `/doc/people?where=user.address.city=Oslo&limit=2&after=${page1.next}` })).body) as Page;
    expect(page2.documents.map((d) => d._id)).toEqual(['p3']);
    expect(page2.next).toBeNull();

    const scan = await app.inject({ method: 'GET', url: '/doc/people?where=even=true&where=user.address.city=Rome' });
    const scanned = JSON.parse(scan.body) as Page;
    expect(scanned.documents.map((d) => d._id)).toEqual(['p4']);
    const numeric = await app.inject({ method: 'GET', url: '/doc/people?where=n=3' });
    expect(numeric.headers['x-strata-index']).toBe('scan');
    expect((JSON.parse(numeric.body) as Page).documents.map((d) => d._id)).toEqual(['p3']);
    const all = JSON.parse((await app.inject({ method: 'GET', url: '/doc/people' })).body) as Page;
    expect(all.documents).toHaveLength(5);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/doc/people/_indexes' })).body)).toEqual({ fields: ['user.address.city'] });
  });

  it('honours If-Match and If-None-Match', async () => {
    const { app } = await setup();
    const post = await app.inject({ method: 'POST', url: '/doc/c?id=x', payload: { n: 1 } });
    const etag = post.headers.etag as string;
    expect((await app.inject({ method: 'PUT', url: '/doc/c/x', headers: { 'if-match': '"1"' }, payload: { n: 2 } })).statusCode).toBe(412);
    expect((await app.inject({ method: 'PUT', url: '/doc/c/x', headers: { 'if-none-match': '*' }, payload: { n: 2 } })).statusCode).toBe(412);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => app.inject({ method: 'PATCH', url: '/doc/c/x', headers: { 'if-match': etag }, payload: { n: i } })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    expect((await app.inject({ method: 'PUT', url: '/doc/c/y', headers: { 'if-match': '*' }, payload: { n: 1 } })).statusCode).toBe(412);
    expect((await app.inject({ method: 'PUT', url: '/doc/c/y', headers: { 'if-none-match': '*' }, payload: { n: 1 } })).statusCode).toBe(200);
    const dup = await app.inject({ method: 'POST', url: '/doc/c', payload: { _id: 'x' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers['x-strata-error-code']).toBe('STRATA_ERR_DOC_EXISTS');
  });

  it('answers bad JSON, bad names and bad parameters with 400s naming them', async () => {
    const { app } = await setup();
    const badJson = await app.inject({ method: 'POST', url: '/doc/posts', headers: { 'content-type': 'application/json' }, payload: '{"title":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.headers['x-strata-error-code']).toBe('STRATA_ERR_BAD_JSON');
    expect(JSON.parse(badJson.body).error).toMatch(/^body is not valid JSON/);
    expectJsonError(await app.inject({ method: 'POST', url: '/doc/posts', payload: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, {
      error: 'body must be a JSON object ({...}), got an array',
    });
    expectJsonError(await app.inject({ method: 'POST', url: '/doc/posts', payload: '' }), 400, { error: 'body is empty: send a JSON object' });
    const badColl = await app.inject({ method: 'POST', url: '/doc/_secret', payload: { a: 1 } });
    expect(badColl.statusCode).toBe(400);
    expect(JSON.parse(badColl.body).error).toMatch(/^collection "_secret" is not allowed/);
    expectJsonError(await app.inject({ method: 'GET', url: '/doc/posts?where=title' }), 400, {
      error: 'invalid where parameter "title": use where=field=value (a dotted path such as user.address.city for nested fields)',
    });
    const badIdx = await app.inject({ method: 'PUT', url: '/doc/posts/_indexes', payload: { fields: 'title' } });
    expect(badIdx.statusCode).toBe(400);
    expect(JSON.parse(badIdx.body).error).toMatch(/fields must be an array of strings/);
    expect((await app.inject({ method: 'GET', url: '/doc/posts/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/doc/posts?id=_indexes', payload: { a: 1 } })).statusCode).toBe(400);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/doc/empty' })).body)).toEqual({ documents: [], next: null });
    expect((await app.inject({ method: 'GET', url: '/doc/posts?limit=abc' })).statusCode).toBe(400);
  });
});
