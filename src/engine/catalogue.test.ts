import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../errors.js';
import { engineFixture } from './testing/fixture.js';

const { tmpDir, openDb, reopen, exportAll } = engineFixture('strata-catalogue-');

const HOUR = 3_600_000_000_000n;

describe('catalogue: databases and retention policies', () => {
  it('lists databases in creation order, numeric names included; a re-created one goes last; the order survives a restart', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    for (const name of ['zz', '2024', 'aa', '7']) await db.createDatabase(name);
    expect(db.databases()).toEqual(['zz', '2024', 'aa', '7']);
    await db.createDatabase('zz'); // exists: keeps its place
    expect(db.databases()).toEqual(['zz', '2024', 'aa', '7']);
    await db.dropDatabase('zz');
    await db.createDatabase('zz');
    expect(db.databases()).toEqual(['2024', 'aa', '7', 'zz']);
    db = await reopen(db);
    expect(db.databases()).toEqual(['2024', 'aa', '7', 'zz']);
    const meta = JSON.parse(fs.readFileSync(path.join(db.dataDir, 'meta.json'), 'utf8'));
    expect(meta.order).toEqual(['2024', 'aa', '7', 'zz']);
    expect(Object.keys(meta.databases).sort()).toEqual(['2024', '7', 'aa', 'zz']);
    await db.close();
  });

  it('reads a meta.json without an order (older versions): the keys\' order, then new databases last', async () => {
    const dir = tmpDir();
    let db = await openDb({ dataDir: dir });
    await db.createDatabase('b');
    await db.createDatabase('a');
    await db.close();
    const file = path.join(dir, 'meta.json');
    const meta = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete meta.order;
    fs.writeFileSync(file, JSON.stringify(meta));
    db = await openDb({ dataDir: dir });
    expect(db.databases()).toEqual(['b', 'a']);
    await db.createDatabase('c');
    expect(db.databases()).toEqual(['b', 'a', 'c']);
    await db.close();
  });

  it('drops a database with its files and unflushed points, for good (a restart does not replay it back)', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.write('cpu,host=a v=1 1\n', { db: 'gone' });
    await db.flush();
    await db.write('cpu,host=a v=2 2\n', { db: 'gone' }); // only in the WAL and memtable
    await db.write('cpu,host=a v=3 3\n', { db: 'kept' });
    expect(await db.dropDatabase('gone')).toBe(true);
    expect(await db.dropDatabase('gone')).toBe(false);
    expect(db.databases()).toEqual(['kept']);
    expect(fs.existsSync(path.join(db.dataDir, 'db', 'gone'))).toBe(false);
    db = await reopen(db);
    expect(db.databases()).toEqual(['kept']);
    expect(exportAll(db, 'kept')).toContain('cpu,host=a v=3 3');
    // A later write creates it again, empty of the old points.
    await db.write('cpu,host=b v=4 4\n', { db: 'gone' });
    expect(exportAll(db, 'gone')).not.toContain('host=a');
  });

  it('drops a retention policy with its shards and unflushed points; the default one leaves none', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    db.setRetention('d', 'other', 0n);
    await db.write('cpu,host=a v=1 1\n', { db: 'd', rp: 'other' });
    await db.flush();
    await db.write('cpu,host=a v=2 2\n', { db: 'd', rp: 'other' });
    await db.write('cpu,host=a v=3 3\n', { db: 'd' });
    expect(await db.dropRetentionPolicy('d', 'other')).toBe(true);
    expect(await db.dropRetentionPolicy('d', 'other')).toBe(false);
    expect(Object.keys(db.retentionPolicies('d'))).toEqual(['autogen']);
    db = await reopen(db);
    expect(Object.keys(db.retentionPolicies('d'))).toEqual(['autogen']);
    expect(db.select({ db: 'd', measurement: 'cpu' }).map((c) => c.times.length)).toEqual([1]);
    await expect(db.write('cpu v=1 5\n', { db: 'd', rp: 'other' })).rejects.toThrow(/retention policy not found/);

    expect(db.defaultRetentionPolicy('d')).toBe('autogen');
    await db.dropRetentionPolicy('d', 'autogen');
    expect(db.defaultRetentionPolicy('d')).toBe('');
    await expect(db.write('cpu v=1 5\n', { db: 'd' })).rejects.toThrow(/retention policy not found/);
  });

  it('sets the default retention policy, persisted in meta.json', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    db.setRetention('d', 'week', 168n * HOUR, { shardDuration: 24n * HOUR });
    db.setDefaultRetentionPolicy('d', 'week');
    await db.write('cpu v=1 1700000000000000000\n', { db: 'd' });
    db = await reopen(db);
    expect(db.defaultRetentionPolicy('d')).toBe('week');
    expect(db.shardDurationOf('d', 'week')).toBe(24n * HOUR);
    expect(db.select({ db: 'd', rp: 'week', measurement: 'cpu' })).toHaveLength(1);
    expect(() => db.setDefaultRetentionPolicy('d', 'nope')).toThrow(StrataError);
    expect(() => db.defaultRetentionPolicy('nodb')).toThrow(/database not found/);
  });
});
