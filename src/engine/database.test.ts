import { describe, expect, it } from 'vitest';
import type { Database } from './database.js';
import { StrataError } from '../errors.js';
import { engineFixture } from './testing/fixture.js';

const { open, tmpDir, openDb, exportAll } = engineFixture('strata-engine-');

describe('engine write and select', () => {
  it('stores every field type and reads it back as typed columns', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const res = await db.write(
      'm,host=a f=1.5,i=-9223372036854775808i,u=18446744073709551615u,b=true,s="x \\"y\\"" 1700000000000000001\n',
      { db: 'd' },
    );
    expect(res).toMatchObject({ points: 1, values: 5, errors: [], fsync: 'off' });
    const cols = db.select({ db: 'd', measurement: 'm' });
    expect(cols.map((c) => [c.field, c.type])).toEqual([
      ['b', 'boolean'],
      ['f', 'float'],
      ['i', 'integer'],
      ['s', 'string'],
      ['u', 'unsigned'],
    ]);
    const byField = Object.fromEntries(cols.map((c) => [c.field, c]));
    expect([...byField.f.times]).toEqual([1700000000000000001n]);
    expect(byField.f.values[0]).toBe(1.5);
    expect(byField.i.values[0]).toBe(-9223372036854775808n);
    expect(byField.u.values[0]).toBe(18446744073709551615n);
    expect(byField.b.values[0]).toBe(1);
    expect(byField.s.values[0]).toBe('x "y"');
    expect(byField.f.tags).toEqual({ host: 'a' });
  });

  it('keeps the last write of a timestamp and sorts out-of-order points', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=3 30\nm v=1 10\nm v=2 20\nm v=9 10\n', { db: 'd' });
    await db.write('m v=7 20\n', { db: 'd' });
    const [c] = db.select({ db: 'd', measurement: 'm' });
    expect([...c.times]).toEqual([10n, 20n, 30n]);
    expect([...(c.values as Float64Array)]).toEqual([9, 7, 3]);
  });

  it('selects by tag matchers and a half-open time range', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('cpu,host=a,dc=x v=1 1\ncpu,host=b,dc=x v=2 2\ncpu,host=c v=3 3\ncpu,host=a,dc=x v=4 4\n', { db: 'd' });
    const keys = (where: Parameters<Database['select']>[0]['where']) =>
      db.select({ db: 'd', measurement: 'cpu', where }).map((c) => c.tags.host);
    expect(keys([{ key: 'host', op: '=', value: 'a' }])).toEqual(['a']);
    expect(keys([{ key: 'host', op: '!=', value: 'a' }])).toEqual(['b', 'c']);
    expect(keys([{ key: 'host', op: '=~', value: 'a|b' }])).toEqual(['a', 'b']);
    expect(keys([{ key: 'dc', op: '!~', value: 'x' }])).toEqual(['c']);
    expect(keys([{ key: 'dc', op: '=', value: '' }])).toEqual(['c']);
    const [a] = db.select({ db: 'd', measurement: 'cpu', where: [{ key: 'host', op: '=', value: 'a' }], start: 2n, end: 5n });
    expect([...a.times]).toEqual([4n]);
  });

  it('rejects a field whose type conflicts, naming it, and keeps the other lines', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 1\n', { db: 'd' });
    const res = await db.write('m v=2 2\nm v=3i 3\nm w="s" 4\nm v=true,w=1 5\n', { db: 'd' });
    expect(res.points).toBe(2);
    expect(res.errors.map((e) => [e.line, e.kind])).toEqual([
      [2, 'type_conflict'],
      [4, 'type_conflict'],
    ]);
    expect(res.errors[0].message).toContain('input field "v" on measurement "m" is type integer, already exists as type float');
    // line 4 is rejected whole: its w=1 (float) must not have been registered either
    expect(db.fieldTypes('d', 'm')).toEqual({ v: 'float', w: 'string' });
    expect(exportAll(db, 'd')).toBe('m v=1 1\nm v=2 2\nm w="s" 4\n');
  });

  it('maps repeated field layouts onto the right columns and still checks their types', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m a=1,b=2 1\nm a=3,b=4 2\nm b=5,a=6 3\nm a=7 4\nm a=8,b=9,c="x" 5\n', { db: 'd' });
    const res = await db.write('m a=1i,b=2 6\nm a=1,b=2 7\nm a=1,b=true 8\n', { db: 'd' });
    expect(res.errors.map((e) => e.line)).toEqual([1, 3]);
    expect(exportAll(db, 'd')).toBe(
      'm a=1,b=2 1\nm a=3,b=4 2\nm a=6,b=5 3\nm a=7 4\nm a=8,b=9,c="x" 5\nm a=1,b=2 7\n',
    );
  });

  it('reports malformed lines with line numbers and stores the good ones', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const res = await db.write('m v=1 1\n\n# c\nm v= 2\nm v=3 3\nbad\n', { db: 'd' });
    expect(res.points).toBe(2);
    expect(res.errors.map((e) => e.line)).toEqual([4, 6]);
    expect(exportAll(db, 'd')).toBe('m v=1 1\nm v=3 3\n');
  });

  it('scales timestamps by precision and uses the clock when a line has none', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 1700000000\n', { db: 'd', precision: 's' });
    await db.write('m v=2\n', { db: 'd' });
    const [c] = db.select({ db: 'd', measurement: 'm' });
    expect([...c.times]).toEqual([1_700_000_000_000_000_000n]);
    expect(c.values[0]).toBe(2);
    await expect(db.write('m v=1 1', { db: 'd', precision: 'x' as never })).rejects.toThrow(/invalid precision "x"/);
  });

  it('writes Point objects through the same path', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write(
      [{ measurement: 'm', tags: { 'a b': 'c,d' }, fields: { f: 1, i: 2n, s: 'x', b: false, u: { type: 'unsigned', value: 3n } }, time: 5n }],
      { db: 'd' },
    );
    expect(exportAll(db, 'd')).toBe('m,a\\ b=c\\,d b=false,f=1,i=2i,s="x",u=3u 5\n');
  });

  it('refuses unknown databases when auto-create is off', async () => {
    const db = await openDb({ dataDir: tmpDir(), autoCreateDatabases: false });
    await expect(db.write('m v=1', { db: 'nope' })).rejects.toMatchObject({ code: 'STRATA_ERR_DATABASE_NOT_FOUND', status: 404 });
    await db.createDatabase('yes');
    await expect(db.write('m v=1', { db: 'yes' })).resolves.toMatchObject({ points: 1 });
    await expect(db.write('m v=1', { db: '' })).rejects.toBeInstanceOf(StrataError);
    await expect(db.write('m v=1', { db: 'd', rp: 'nope' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('engine durability', () => {
  it('replays the WAL on open: same points, same types, same databases', async () => {
    const dir = tmpDir();
    const db = await openDb({ dataDir: dir, fsync: 'always' });
    await db.write('m,t=1 v=1 1\nm,t=1 v=2 1\nm,t=2 s="a" 2\n', { db: 'd1' });
    await db.write('n x=5i\n', { db: 'd2' });
    await db.write('n x=1.5\n', { db: 'd2' }); // type conflict: not stored, not replayed
    const before = exportAll(db, 'd1') + exportAll(db, 'd2');
    await db.close();
    open.pop();
    const again = await openDb({ dataDir: dir });
    expect(again.databases()).toEqual(['d1', 'd2']);
    expect(exportAll(again, 'd1') + exportAll(again, 'd2')).toBe(before);
    expect(before).toBe('m,t=1 v=2 1\nm,t=2 s="a" 2\nn x=5i 1700000000000000000\n');
    expect(again.fieldTypes('d2', 'n')).toEqual({ x: 'integer' });
    expect(again.stats().replayedRecords).toBe(2); // the all-rejected write made no record
  });
});
