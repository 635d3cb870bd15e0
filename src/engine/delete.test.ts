import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyDataDir } from '../cli/verify.js';
import { CorruptionError, StrataError } from '../errors.js';
import { Postings } from '../index/postings.js';
import { exportLineProtocol } from './export.js';
import { encodeEntry, encodeHeader, scanTombstones, TOMBSTONE_FILE } from './tombstones.js';
import { engineFixture } from './testing/fixture.js';

const { open, tmpDir, openDb, reopen, exportAll } = engineFixture('strata-delete-');

const DAY = 86_400_000_000_000n;

function findFiles(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.join(dir, f));
}

function tsmBytes(dir: string): number {
  return findFiles(dir, '.tsm').reduce((n, f) => n + fs.statSync(f).size, 0);
}

async function rejects(p: Promise<unknown>, status: number, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StrataError);
  expect((err as StrataError).status).toBe(status);
  expect((err as StrataError).message).toMatch(pattern);
}

describe('delete', () => {
  it('removes points by measurement, tag and time range from memtables and files at once, and for good', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.write('cpu,host=a v=1 1\ncpu,host=a v=2 2\ncpu,host=b v=3 2\nmem,host=a v=4 2\n', { db: 'd' });
    await db.flush();
    await db.write('cpu,host=a v=5 3\ncpu,host=a v=6 6\n', { db: 'd' });
    const r = await db.delete({ db: 'd', measurement: 'cpu', where: [{ key: 'host', op: '=', value: 'a' }], start: 2n, end: 6n });
    expect(r.series).toBe(1);
    const want = 'cpu,host=a v=1 1\ncpu,host=a v=6 6\ncpu,host=b v=3 2\nmem,host=a v=4 2\n';
    expect(exportAll(db)).toBe(want);
    expect(findFiles(db.dataDir, TOMBSTONE_FILE).length).toBe(1);
    db = await reopen(db);
    expect(exportAll(db)).toBe(want);
    await db.flush();
    expect(exportAll(db)).toBe(want);
    db = await reopen(db);
    expect(exportAll(db)).toBe(want);
    await db.compact();
    expect(findFiles(db.dataDir, TOMBSTONE_FILE)).toEqual([]);
    expect(exportAll(db)).toBe(want);
    expect(exportAll(await reopen(db))).toBe(want);
  });

  it('keeps what is written after a delete and drops what was written before it, across flushes and reopens', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 10\nm v=1 20\n', { db: 'd' });
    await db.flush(); // v=1 is in a file now
    await db.write('m v=2 30\n', { db: 'd' }); // and v=2 in the memtable
    await db.delete({ db: 'd', measurement: 'm', start: 0n, end: 100n });
    await db.write('m v=3 10\n', { db: 'd' }); // same time as a deleted point, written later
    const want = 'm v=3 10\n';
    expect(exportAll(db)).toBe(want);
    db = await reopen(db); // replays write, delete, write in order
    expect(exportAll(db)).toBe(want);
    await db.flush(); // the WAL with the delete goes; the tombstone file holds it
    await db.write('m v=4 20\n', { db: 'd' });
    await db.flush();
    db = await reopen(db);
    expect(db.stats().replayedRecords).toBe(0);
    expect(exportAll(db)).toBe('m v=3 10\nm v=4 20\n');
    await db.compact();
    expect(exportAll(await reopen(db))).toBe('m v=3 10\nm v=4 20\n');
  });

  it('deletes from every measurement when none is named, and from one retention policy when one is', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    db.setRetention('d', 'other', 0n); // a second policy, keeping data forever
    await db.write('cpu,host=a v=1 1\nmem,host=a v=2 1\nmem,host=b v=3 1\n', { db: 'd' });
    await db.write('cpu,host=a v=9 1\n', { db: 'd', rp: 'other' });
    await db.flush();
    await db.delete({ db: 'd', rp: 'autogen', where: [{ key: 'host', op: '=', value: 'a' }] });
    expect(exportAll(db)).toBe('mem,host=b v=3 1\n');
    expect([...exportLineProtocol(db, { db: 'd', rp: 'other' })].join('')).toBe('cpu,host=a v=9 1\n');
    // without rp: every policy
    await db.delete({ db: 'd', where: [{ key: 'host', op: '=~', value: 'a|b' }], start: 0n, end: 2n });
    expect(exportAll(db)).toBe('');
    expect([...exportLineProtocol(db, { db: 'd', rp: 'other' })].join('')).toBe('');
    // series stay known after a delete of points (DROP SERIES removes them)
    expect(db.measurements('d')).toEqual(['cpu', 'mem']);
  });

  it('refuses a delete that names nothing, an empty range, a bad regex, an unknown database or policy', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 1\n', { db: 'd' });
    await rejects(db.delete({ db: 'd' }), 400, /needs a measurement, a tag predicate or a time range/);
    await rejects(db.delete({ db: 'd', start: 5n, end: 5n }), 400, /time range is empty/);
    await rejects(db.delete({ db: 'd', where: [{ key: 'k', op: '=~', value: '(' }] }), 400, /invalid regular expression/);
    await rejects(db.delete({ db: 'x', measurement: 'm' }), 404, /database not found: "x"/);
    await rejects(db.delete({ db: 'd', rp: 'nope', measurement: 'm' }), 404, /retention policy not found: "nope"/);
    await rejects(db.dropSeries({ db: 'd' }), 400, /needs a measurement or a tag predicate/);
    expect(exportAll(db)).toBe('m v=1 1\n');
  });

  it('drops a torn tombstone tail at open, and refuses damage before it by file and offset', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m,k=a v=1 1\nm,k=b v=2 2\n', { db: 'd' });
    await db.flush();
    await db.delete({ db: 'd', where: [{ key: 'k', op: '=', value: 'a' }] });
    await db.delete({ db: 'd', where: [{ key: 'k', op: '=', value: 'b' }] });
    await db.write('n v=1 1\n', { db: 'd' });
    await db.flush(); // drops the WAL segments with the deletes: only the tombstones hold them
    await db.close();
    open.splice(open.indexOf(db), 1);
    const [file] = findFiles(db.dataDir, TOMBSTONE_FILE);
    const good = fs.readFileSync(file);
    const clean = await verifyDataDir(db.dataDir);
    expect(clean.problems).toEqual([]);
    const scan = scanTombstones(good);
    expect(scan.entries.length).toBe(2);
    expect(scan.bad).toBeUndefined();
    // a torn last entry: cut off, the first delete still holds
    fs.writeFileSync(file, good.subarray(0, good.length - 3));
    const torn = await verifyDataDir(db.dataDir);
    expect(torn.problems.map((p) => [p.severity, p.path])).toEqual([['warning', file]]);
    let again = await openDb({ dataDir: db.dataDir });
    expect(exportAll(again)).toBe('m,k=b v=2 2\nn v=1 1\n');
    await again.close();
    open.splice(open.indexOf(again), 1);
    // damage in the first of two entries: refused
    const damaged = Buffer.from(good);
    damaged[16 + 20] ^= 0xff;
    fs.writeFileSync(file, damaged);
    const report = await verifyDataDir(db.dataDir);
    expect(report.problems.map((p) => [p.severity, p.path, p.offset])).toEqual([['damage', file, 16]]);
    const err = await openDb({ dataDir: db.dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).file).toBe(file);
    expect((err as CorruptionError).offset).toBe(16);
    fs.writeFileSync(file, good);
    again = await openDb({ dataDir: db.dataDir });
    expect(exportAll(again)).toBe('n v=1 1\n');
  });

  it('keeps a tombstone made while a compaction runs: it applies to that compaction\'s output', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m,k=a v=1 1\nm,k=b v=2 1\n', { db: 'd' });
    await db.flush();
    await db.write('m,k=a v=3 2\n', { db: 'd' });
    await db.flush();
    const compaction = db.compact();
    await new Promise((r) => setImmediate(r)); // the merge is under way in the worker
    await db.delete({ db: 'd', where: [{ key: 'k', op: '=', value: 'a' }] });
    await compaction;
    expect(db.stats().tsmFiles).toBe(1);
    expect(exportAll(db)).toBe('m,k=b v=2 1\n');
    expect(findFiles(db.dataDir, TOMBSTONE_FILE).length).toBe(1);
    await db.compact();
    expect(findFiles(db.dataDir, TOMBSTONE_FILE)).toEqual([]);
    expect(exportAll(await reopen(db))).toBe('m,k=b v=2 1\n');
  });

  it('encodes tombstones that read back exactly', () => {
    const entries = [
      { seq: 1, min: -(2n ** 63n), max: 2n ** 63n - 1n, ids: Postings.of([0, 5, 70000]) },
      { seq: 2 ** 40, min: -5n, max: 1_700_000_000_000_000_123n, ids: Postings.range(10, 2000) },
    ];
    const scan = scanTombstones(Buffer.concat([encodeHeader(), ...entries.map(encodeEntry)]));
    expect(scan.bad).toBeUndefined();
    expect(scan.entries.map((e) => ({ ...e, ids: e.ids.toArray() }))).toEqual(entries.map((e) => ({ ...e, ids: e.ids.toArray() })));
  });
});

describe('drop series and measurements', () => {
  it('drops series from reads and the index; the same key written again is a new series', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.write('cpu,host=a v=1 1\ncpu,host=b v=2 1\nmem,host=a v=3 1\n', { db: 'd' });
    await db.flush();
    await db.write('cpu,host=a v=4 2\n', { db: 'd' });
    const r = await db.dropSeries({ db: 'd', measurement: 'cpu', where: [{ key: 'host', op: '=', value: 'a' }] });
    expect(r.series).toBe(1);
    expect(exportAll(db)).toBe('cpu,host=b v=2 1\nmem,host=a v=3 1\n');
    expect(db.seriesCounts().d).toBe(2);
    await db.write('cpu,host=a v=5 3\n', { db: 'd' });
    const want = 'cpu,host=a v=5 3\ncpu,host=b v=2 1\nmem,host=a v=3 1\n';
    expect(exportAll(db)).toBe(want);
    db = await reopen(db);
    expect(exportAll(db)).toBe(want);
    await db.flush();
    await db.compact();
    db = await reopen(db);
    expect(exportAll(db)).toBe(want);
    // a predicate alone drops across measurements; a measurement left without series goes
    await db.dropSeries({ db: 'd', where: [{ key: 'host', op: '=', value: 'a' }] });
    expect(db.measurements('d')).toEqual(['cpu']);
    expect(exportAll(await reopen(db))).toBe('cpu,host=b v=2 1\n');
  });

  it('drops a measurement with its field types, and one compaction gives back its share of the disk', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    // Two measurements of the same shape and size: 20 series × 500 points each.
    for (const m of ['cpu', 'mem']) {
      let body = '';
      for (let s = 0; s < 20; s++) {
        let x = s * 7919;
        for (let i = 0; i < 500; i++) {
          x = (x * 1103515245 + 12345) % 2147483648;
          body += `${m},host=h${s} v=${x / 1000} ${i * 10_000_000_000}\n`;
        }
      }
      await db.write(body, { db: 'd' });
    }
    await db.flush();
    await db.compact();
    const before = tsmBytes(db.dataDir);
    expect(db.stats().tsmBytes).toBe(before);
    await db.dropMeasurement('d', 'mem');
    expect(db.measurements('d')).toEqual(['cpu']);
    expect(db.fieldTypes('d', 'mem')).toEqual({});
    expect(db.select({ db: 'd', measurement: 'mem' })).toEqual([]);
    await db.compact();
    const after = tsmBytes(db.dataDir);
    expect(after / before).toBeGreaterThan(0.35);
    expect(after / before).toBeLessThan(0.65);
    expect(findFiles(db.dataDir, TOMBSTONE_FILE)).toEqual([]);
    expect(db.select({ db: 'd', measurement: 'cpu' }).reduce((n, c) => n + c.times.length, 0)).toBe(10_000);
    // The measurement may come back, even with another type.
    await db.write('mem,host=h0 v="text" 1\n', { db: 'd' });
    db = await reopen(db);
    expect(db.fieldTypes('d', 'mem')).toEqual({ v: 'string' });
    expect(db.select({ db: 'd', measurement: 'mem' }).map((c) => [...c.times])).toEqual([[1n]]);
  });
});

describe('retention', () => {
  it('drops whole shards older than now minus the duration, on demand', async () => {
    let db = await openDb({ dataDir: tmpDir(), retentionCheckMs: 0 });
    let body = '';
    for (let day = 0n; day < 30n; day++) body += `m v=${day} ${day * DAY}\n`;
    await db.write(body, { db: 'd' });
    await db.flush();
    const rpDir = path.join(db.dataDir, 'db', 'd', 'autogen');
    expect(fs.readdirSync(rpDir).length).toBe(5); // weeks 0..4
    expect((await db.enforceRetention(31n * DAY)).shards).toBe(0); // forever by default
    db.setRetention('d', 'autogen', 14n * DAY);
    expect(db.retentionPolicies('d')).toEqual({ autogen: 14n * DAY });
    // now - 14d = day 17: the weeks ending at days 7 and 14 are wholly older; [14, 21) is not
    expect((await db.enforceRetention(31n * DAY)).shards).toBe(2);
    expect(fs.readdirSync(rpDir).sort()).toEqual([`${14n * DAY}_${21n * DAY}`, `${21n * DAY}_${28n * DAY}`, `${28n * DAY}_${35n * DAY}`]);
    const [c] = db.select({ db: 'd', measurement: 'm' });
    expect(c.times[0]).toBe(14n * DAY);
    expect(c.times.length).toBe(16);
    db = await reopen(db, { retentionCheckMs: 0 });
    expect(db.retentionPolicies('d')).toEqual({ autogen: 14n * DAY });
    expect(db.select({ db: 'd', measurement: 'm' })[0].times.length).toBe(16);
    await rejects(Promise.resolve().then(() => db.setRetention('d', 'autogen', -1n)), 400, /non-negative|0 or more/);
  });

  it('drops unflushed points of expired shard spans, and refuses points older than the policy keeps', async () => {
    let now = 30n * DAY;
    let db = await openDb({ dataDir: tmpDir(), retentionCheckMs: 0, now: () => now });
    await db.write(`m v=1 ${DAY}\nm v=2 ${15n * DAY}\nm v=3 ${20n * DAY}\n`, { db: 'd' }); // in memory only
    db.setRetention('d', 'autogen', 14n * DAY, { shardDuration: 7n * DAY });
    // now - 14d = day 16, in the week [14, 21): day 1 goes, day 15 stays until its week expires
    await db.enforceRetention();
    expect([...db.select({ db: 'd', measurement: 'm' })[0].times]).toEqual([15n * DAY, 20n * DAY]);
    now = 36n * DAY; // day 22: the week [14, 21) has expired, with day 15 and day 20
    await db.enforceRetention();
    expect(db.select({ db: 'd', measurement: 'm' })).toEqual([]);
    const res = await db.write(`m v=4 ${21n * DAY}\nm v=5 ${30n * DAY}\n`, { db: 'd' });
    expect(res.points).toBe(1);
    expect(res.errors).toEqual([{ line: 1, kind: 'retention', message: expect.stringMatching(/beyond retention policy/) }]);
    now = 60n * DAY; // replay refuses what has expired since
    db = await reopen(db, { retentionCheckMs: 0, now: () => now });
    expect(db.select({ db: 'd', measurement: 'm' })).toEqual([]);
  });

  it('checks by itself on a timer', async () => {
    const dir = tmpDir();
    let db = await openDb({ dataDir: dir, retentionCheckMs: 0 });
    await db.write(`m v=1 ${DAY}\nm v=2 ${20n * DAY}\n`, { db: 'd' });
    await db.flush();
    db.setRetention('d', 'autogen', 7n * DAY);
    db = await reopen(db, { retentionCheckMs: 10, now: () => 22n * DAY });
    for (let i = 0; i < 100 && db.select({ db: 'd', measurement: 'm' })[0].times.length > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect([...db.select({ db: 'd', measurement: 'm' })[0].times]).toEqual([20n * DAY]);
  });
});
