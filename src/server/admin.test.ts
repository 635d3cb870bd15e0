import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectJsonError, exportText, setup, sortedLines } from './testing/harness.js';

afterEach(cleanup);

function tsmFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tsm'));
}

function walBytes(dir: string): number {
  return fs.readdirSync(`${dir}/wal`).reduce((n, f) => n + fs.statSync(`${dir}/wal/${f}`).size, 0);
}

describe('POST /admin/flush', () => {
  it('writes the memtable to TSM files, answers when done, and the data reads back', async () => {
    const { app, db, dir } = await setup();
    const lines = ['cpu,host=a n=3i,usage=1.5 1700000000000000000', 'cpu,host=b n=4i,usage=2.5 1700000000000000001', 'mem,host=a free=10u,ok=true,s="x y" 1700000000000000002'];
    expect((await app.inject({ method: 'POST', url: '/write?db=d', payload: lines.join('\n') })).statusCode).toBe(204);
    const before = await exportText(app, 'd');
    expect(tsmFiles(dir)).toEqual([]);
    const walBefore = walBytes(dir);

    const res = await app.inject({ method: 'POST', url: '/admin/flush' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.body) as { flushed: boolean; ms: number; tsmFiles: number; tsmBytes: number };
    expect(body).toEqual({ flushed: true, ms: expect.any(Number), tsmFiles: 1, tsmBytes: expect.any(Number) });
    expect(body.ms).toBeGreaterThanOrEqual(0);
    // done when answered: the file is in place, the WAL that held the points is gone
    expect(tsmFiles(dir).length).toBe(1);
    expect(body.tsmBytes).toBe(fs.statSync(`${dir}/db/d/autogen/${tsmFiles(`${dir}/db/d/autogen`)[0]}`).size);
    expect(walBytes(dir)).toBeLessThan(walBefore);
    expect(db.stats()).toMatchObject({ flushes: 1, memtableSeries: 0, tsmFiles: 1 });
    expect(sortedLines(await exportText(app, 'd'))).toEqual(sortedLines(before));
    expect(sortedLines(before)).toEqual(sortedLines(lines.join('\n')));

    // Flushing with nothing new is fine; later writes are merged with the files on read.
    expect((await app.inject({ method: 'POST', url: '/admin/flush' })).statusCode).toBe(200);
    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'cpu,host=a usage=9 1700000000000000000\n' });
    const res2 = await app.inject({ method: 'POST', url: '/admin/flush' });
    expect(JSON.parse(res2.body)).toMatchObject({ flushed: true, tsmFiles: expect.any(Number) });
    const after = await exportText(app, 'd');
    expect(after).toContain('cpu,host=a n=3i,usage=9 1700000000000000000');
    expect(after).not.toContain('usage=1.5');
  });

  it('answers errors as JSON, and only to POST', async () => {
    const { app, db } = await setup();
    const get = await app.inject({ method: 'GET', url: '/admin/flush' });
    expectJsonError(get, 404, { error: 'not found: GET /admin/flush' });
    await db.close();
    const res = await app.inject({ method: 'POST', url: '/admin/flush' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['x-strata-error-code']).toBe('STRATA_ERR_CLOSED');
    expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/closed/) });
  });

  it('a failing flush is a 500 JSON error that says nothing is lost', async () => {
    const { app, db } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'cpu v=1 1\n' });
    const orig = db.flush.bind(db);
    db.flush = async () => {
      throw new Error('disk on fire');
    };
    const res = await app.inject({ method: 'POST', url: '/admin/flush' });
    db.flush = orig;
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/^flush failed: disk on fire; nothing is lost/) });
  });
});

describe('POST /admin/compact', () => {
  it('merges each shard into one file, answers when done, and the data reads back the same', async () => {
    const { app, db, dir } = await setup();
    for (let round = 0; round < 3; round++) {
      const body = [`cpu,host=a usage=${round} 1700000000000000000`, `cpu,host=b usage=${round}.5 ${1700000000000000001 + round}`].join('\n');
      expect((await app.inject({ method: 'POST', url: '/write?db=d', payload: body })).statusCode).toBe(204);
      expect((await app.inject({ method: 'POST', url: '/admin/flush' })).statusCode).toBe(200);
    }
    const before = await exportText(app, 'd');
    expect(tsmFiles(dir).length).toBe(3);
    const res = await app.inject({ method: 'POST', url: '/admin/compact' });
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ compacted: true, merged: 3, written: 1, tsmFiles: 1 });
    expect(tsmFiles(dir).length).toBe(1);
    expect(db.stats().compactions).toBe(1);
    expect(await exportText(app, 'd')).toBe(before);
    expect(before).toContain('cpu,host=a usage=2 1700000000000000000');
  });
});

describe('backpressure over HTTP', () => {
  it('answers 503 with Retry-After when memtables are at the memory budget', async () => {
    const { app } = await setup({ engine: { memtableBytes: 16 * 1024, blockCacheBytes: 0, memoryBudget: 64 * 1024 } });
    let body = '';
    for (let i = 0; i < 2000; i++) body += `m,k=${i % 20} v=${i} ${i}\n`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => app.inject({ method: 'POST', url: '/write?db=d', payload: body })));
    const refused = answers.filter((r) => r.statusCode === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].headers['retry-after']).toBe('1');
    expect(JSON.parse(refused[0].body).error).toContain('retry after 1 s');
    expect(answers.every((r) => r.statusCode === 204 || r.statusCode === 503)).toBe(true);
  });
});
