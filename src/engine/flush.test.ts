import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineFixture } from './testing/fixture.js';

const { open, tmpDir, openDb, reopen, exportAll } = engineFixture('strata-flush-');

function tsmFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tsm'));
}

const DAY = 86_400_000_000_000n;

describe('flush to TSM files', () => {
  it('moves the memtable into files, drops the WAL, and reads back the same', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('cpu,host=a v=1,s="x" 10\ncpu,host=b v=2i 20\nmem,host=a b=true 30\n', { db: 'd' }).catch(() => {});
    await db.write('cpu,host=a v=1.5,s="x" 10\ncpu,host=b v=2.5 20\nmem,host=a b=true,u=7u 30\n', { db: 'd' });
    const before = exportAll(db, 'd');
    await db.flush();
    expect(db.stats()).toMatchObject({ memtableSeries: 0, flushes: 1 });
    expect(tsmFiles(db.dataDir).length).toBe(1);
    expect(exportAll(db, 'd')).toBe(before);
    const again = await reopen(db);
    expect(again.stats().replayedRecords).toBe(0);
    expect(exportAll(again, 'd')).toBe(before);
    expect(again.fieldTypes('d', 'cpu')).toEqual({ s: 'string', v: 'float' });
    // types survive the flush: a conflicting write is still refused
    const res = await again.write('cpu,host=c v=1i 40\n', { db: 'd' });
    expect(res.errors[0]?.kind).toBe('type_conflict');
  });

  it('lets newer writes win over flushed ones and merges out-of-order data across files', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 10\nm v=2 20\nm v=3 30\n', { db: 'd' });
    await db.flush();
    await db.write('m v=20 20\nm v=5 5\n', { db: 'd' });
    expect(exportAll(db, 'd')).toBe('m v=5 5\nm v=1 10\nm v=20 20\nm v=3 30\n');
    await db.flush();
    await db.write('m v=30 30\n', { db: 'd' });
    const want = 'm v=5 5\nm v=1 10\nm v=20 20\nm v=30 30\n';
    expect(exportAll(db, 'd')).toBe(want);
    expect(exportAll(await reopen(db), 'd')).toBe(want);
  });

  it('cuts columns at shard boundaries and reads ranges across shards', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const lines = [-DAY, 0n, 6n * DAY, 7n * DAY, 15n * DAY].map((t, i) => `m,k=a v=${i} ${t}`).join('\n');
    await db.write(lines, { db: 'd' });
    await db.flush();
    const shardDirs = fs.readdirSync(path.join(db.dataDir, 'db', 'd', 'autogen')).sort();
    expect(shardDirs.length).toBe(4); // weeks [-7d,0) [0,7d) [7d,14d) [14d,21d)
    const [c] = db.select({ db: 'd', measurement: 'm', start: 0n, end: 7n * DAY + 1n });
    expect([...c.times]).toEqual([0n, 6n * DAY, 7n * DAY]);
    expect([...(c.values as Float64Array)]).toEqual([1, 2, 3]);
  });

  it('flushes by itself when the memtable passes its size limit', async () => {
    const db = await openDb({ dataDir: tmpDir(), memtableBytes: 64 * 1024 });
    let body = '';
    for (let i = 0; i < 5000; i++) body += `m,k=${i % 50} v=${i} ${i}\n`;
    await db.write(body, { db: 'd' });
    await db.write('m,k=0 v=-1 999999\n', { db: 'd' });
    await db.flush();
    expect(db.stats().flushes).toBeGreaterThanOrEqual(1);
    const cols = db.select({ db: 'd', measurement: 'm' });
    expect(cols.reduce((n, c) => n + c.times.length, 0)).toBe(5001);
  });

  it('compacts a shard into one file, dropping overwritten points, and keeps every answer', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    for (let round = 0; round < 5; round++) {
      let body = '';
      for (let i = 0; i < 200; i++) body += `m,k=${i % 7} v=${round * 1000 + i},s="r${round}" ${i % 150}\n`;
      await db.write(body, { db: 'd' });
      await db.flush();
    }
    const before = exportAll(db, 'd');
    const bytesBefore = db.stats().tsmBytes;
    expect(db.stats().tsmFiles).toBeGreaterThan(1);
    const r = await db.compact();
    expect(r.files).toBe(1);
    expect(db.stats().tsmFiles).toBe(1);
    expect(db.stats().tsmBytes).toBeLessThan(bytesBefore);
    expect(exportAll(db, 'd')).toBe(before);
    expect(exportAll(await reopen(db), 'd')).toBe(before);
  });

  it('removes compaction inputs left behind by a crash, and the output wins', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 1\nm v=2 2\n', { db: 'd' });
    await db.flush();
    await db.write('m v=3 2\n', { db: 'd' });
    await db.flush();
    const shard = path.join(db.dataDir, 'db', 'd', 'autogen', '0_604800000000000');
    const inputs = fs.readdirSync(shard).sort();
    const saved = inputs.map((f) => [f, fs.readFileSync(path.join(shard, f))] as const);
    await db.compact();
    await db.close();
    open.splice(open.indexOf(db), 1);
    for (const [f, b] of saved) fs.writeFileSync(path.join(shard, f), b); // as if deleting them had not happened
    const again = await openDb({ dataDir: db.dataDir });
    expect(fs.readdirSync(shard).filter((f) => f.endsWith('.tsm')).length).toBe(1);
    expect(exportAll(again, 'd')).toBe('m v=1 1\nm v=3 2\n');
  });

  it('reads back exactly what a simple model holds, through writes, deletes, flushes, compactions and reopens (property)', async () => {
    type Op =
      | { kind: 'write'; m: number; series: number; t: number; v: number }
      | { kind: 'delete'; m: number | null; series: number | null; t0: number; t1: number }
      | { kind: 'dropSeries'; m: number | null; series: number }
      | { kind: 'dropMeasurement'; m: number }
      | { kind: 'flush' }
      | { kind: 'reopen' }
      | { kind: 'compact'; full: boolean };
    const m = fc.integer({ min: 0, max: 1 });
    // Few series and days, so that deletes, rewrites and flushes meet often.
    const series = fc.integer({ min: 0, max: 2 });
    const t = fc.integer({ min: -3, max: 16 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 10, arbitrary: fc.record({ kind: fc.constant('write' as const), m, series, t, v: fc.integer({ min: 0, max: 99 }) }) },
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), m: fc.option(m), series: fc.option(series), t0: t, t1: t }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropSeries' as const), m: fc.option(m), series }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropMeasurement' as const), m }) },
      { weight: 5, arbitrary: fc.constant({ kind: 'flush' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), full: fc.boolean() }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30, size: 'medium' }), async (ops: Op[]) => {
        let db = await openDb({ dataDir: tmpDir() });
        await db.createDatabase('d');
        // "m s t" → value, and the series the index should list ("m s")
        const model = new Map<string, number>();
        const live = new Set<string>();
        const matches = (key: string, mm: number | null, s: number | null) => {
          const [km, ks] = key.split(' ');
          return (mm === null || km === String(mm)) && (s === null || ks === String(s));
        };
        const read = () => {
          const got = new Map<string, number>();
          for (const mm of [0, 1]) {
            for (const c of db.select({ db: 'd', measurement: `m${mm}` })) c.times.forEach((ts, i) => got.set(`${mm} ${c.tags.s} ${ts}`, (c.values as Float64Array)[i]));
          }
          return got;
        };
        for (const o of ops) {
          if (o.kind === 'write') {
            const ts = BigInt(o.t) * DAY; // spreads points over several shards
            await db.write(`m${o.m},s=${o.series} v=${o.v} ${ts}\n`, { db: 'd' });
            model.set(`${o.m} ${o.series} ${ts}`, o.v);
            live.add(`${o.m} ${o.series}`);
          } else if (o.kind === 'delete') {
            const lo = BigInt(Math.min(o.t0, o.t1)) * DAY;
            const hi = BigInt(Math.max(o.t0, o.t1)) * DAY + 1n; // exclusive: the later day's point goes too
            await db.delete({
              db: 'd',
              measurement: o.m === null ? undefined : `m${o.m}`,
              where: o.series === null ? [] : [{ key: 's', op: '=', value: String(o.series) }],
              start: lo,
              end: hi,
            });
            for (const k of [...model.keys()]) {
              const ts = BigInt(k.split(' ')[2]);
              if (matches(k, o.m, o.series) && ts >= lo && ts < hi) model.delete(k);
            }
          } else if (o.kind === 'dropSeries') {
            await db.dropSeries({ db: 'd', measurement: o.m === null ? undefined : `m${o.m}`, where: [{ key: 's', op: '=', value: String(o.series) }] });
            for (const k of [...model.keys()]) if (matches(k, o.m, o.series)) model.delete(k);
            for (const k of [...live]) if (matches(k, o.m, o.series)) live.delete(k);
          } else if (o.kind === 'dropMeasurement') {
            await db.dropMeasurement('d', `m${o.m}`);
            for (const k of [...model.keys()]) if (matches(k, o.m, null)) model.delete(k);
            for (const k of [...live]) if (matches(k, o.m, null)) live.delete(k);
          } else if (o.kind === 'flush') await db.flush();
          else if (o.kind === 'compact') await db.compact({ full: o.full });
          else db = await reopen(db);
          // Every step reads back the model: deleted points vanish at once, later ones stay.
          expect(read()).toEqual(model);
        }
        expect(db.measurements('d')).toEqual([...new Set([...live].map((k) => `m${k.split(' ')[0]}`))].sort());
        // A full compaction leaves no tombstone behind and changes no answer.
        await db.compact();
        expect(fs.readdirSync(db.dataDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('tombstones'))).toEqual([]);
        expect(read()).toEqual(model);
        await db.close();
        open.splice(open.indexOf(db), 1);
      }),
      { numRuns: 40 },
    );
  });
});

describe('start-up clean-up', () => {
  it('removes temporary files of catalogue writes a crash interrupted', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m v=1 1\n', { db: 'd' });
    await db.flush();
    await db.close();
    open.splice(open.indexOf(db), 1);
    const leftovers = ['meta.json.tmp', 'meta.json.tmp-4242', 'db/d/fields.json.tmp', 'db/d/index/postings.snap.tmp'];
    for (const f of leftovers) fs.writeFileSync(path.join(db.dataDir, f), 'partial');
    const again = await openDb({ dataDir: db.dataDir });
    for (const f of leftovers) expect(fs.existsSync(path.join(db.dataDir, f)), f).toBe(false);
    expect(exportAll(again, 'd')).toBe('m v=1 1\n');
  });
});

describe('backpressure', () => {
  it('refuses writes with OverloadedError while memtables are at the budget, and takes them again once flushed', async () => {
    const db = await openDb({ dataDir: tmpDir(), memtableBytes: 32 * 1024, blockCacheBytes: 0, memoryBudget: 256 * 1024 });
    const batch = (k: number) => {
      let body = '';
      for (let i = 0; i < 500; i++) body += `m,k=${i % 20} v=${i} ${k * 1000 + i}\n`;
      return body;
    };
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, k) => db.write(batch(k), { db: 'd' })));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'STRATA_ERR_OVERLOADED', status: 503, retryAfter: 1 });
    expect(db.stats().overloaded).toBe(refused.length);
    await db.flush();
    await expect(db.write(batch(99), { db: 'd' })).resolves.toMatchObject({ points: 500 });
    // what was acknowledged is all there
    const acked = results.filter((r) => r.status === 'fulfilled').length + 1;
    const n = db.select({ db: 'd', measurement: 'm' }).reduce((s, c) => s + c.times.length, 0);
    expect(n).toBe(acked * 500);
  });
});

describe('shard duration per retention policy', () => {
  const HOUR = 3_600_000_000_000n;
  it('follows InfluxDB defaults for the retention duration, or an explicit one, without moving old shards', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    expect(db.shardDurationOf('d', 'autogen')).toBe(7n * 24n * HOUR);
    db.setRetention('d', 'short', 24n * HOUR);
    expect(db.shardDurationOf('d', 'short')).toBe(HOUR);
    db.setRetention('d', 'month', 30n * 24n * HOUR);
    expect(db.shardDurationOf('d', 'month')).toBe(24n * HOUR);
    db.setRetention('d', 'custom', 0n, { shardDuration: 2n * HOUR });
    expect(db.shardDurationOf('d', 'custom')).toBe(2n * HOUR);
    expect(() => db.setRetention('d', 'bad', 0n, { shardDuration: 5n })).toThrow(/at least one second/);

    const lines = [0n, HOUR, 2n * HOUR, 5n * HOUR].map((t, i) => `m v=${i} ${t}`).join('\n');
    await db.write(lines, { db: 'd', rp: 'custom' });
    await db.flush();
    const shards = () =>
      fs
        .readdirSync(path.join(db.dataDir, 'db', 'd', 'custom'))
        .filter((f) => /_/.test(f))
        .sort((a, b) => Number(BigInt(a.split('_')[0]) - BigInt(b.split('_')[0])));
    expect(shards()).toEqual([`0_${2n * HOUR}`, `${2n * HOUR}_${4n * HOUR}`, `${4n * HOUR}_${6n * HOUR}`]);
    // a new shard duration applies to new shards only; points of existing shards stay put
    db.setRetention('d', 'custom', 0n, { shardDuration: 24n * HOUR });
    await db.write(`m v=9 ${HOUR + 1n}\nm v=10 ${30n * HOUR}\n`, { db: 'd', rp: 'custom' });
    await db.flush();
    expect(shards()).toEqual([`0_${2n * HOUR}`, `${2n * HOUR}_${4n * HOUR}`, `${4n * HOUR}_${6n * HOUR}`, `${24n * HOUR}_${48n * HOUR}`]);
    const [c] = db.select({ db: 'd', rp: 'custom', measurement: 'm' });
    expect([...(c.values as Float64Array)]).toEqual([0, 1, 9, 2, 3, 10]);
  });
});

describe('one memory budget', () => {
  it('counts the series index against the budget, and says so', async () => {
    const db = await openDb({ dataDir: tmpDir(), memtableBytes: 1 << 30, blockCacheBytes: 0, memoryBudget: 2 * 1024 * 1024 });
    let body = '';
    for (let i = 0; i < 8000; i++) body += `m,host=h${i} v=1 1\n`; // ~2.3 MiB of index alone
    await db.write(body, { db: 'd' });
    await expect(db.write('m,host=h0 v=2 2\n', { db: 'd' })).rejects.toThrow(/MiB of series index.*raise --memory-budget/);
  });
});

describe('resident TSM data (--tsm-resident-size)', () => {
  it('holds flushed, compacted and reopened files in memory and reads the same from them', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('m,k=a v=1 10\nm,k=b v=2 20\n', { db: 'd' });
    await db.flush();
    await db.write('m,k=a v=3 30\nm,k=b v=4i 40\n', { db: 'd' }).catch(() => {});
    await db.write('m,k=a v=5 50\n', { db: 'd' });
    await db.flush();
    const want = 'm,k=a v=1 10\nm,k=b v=2 20\nm,k=a v=3 30\nm,k=a v=5 50\n';
    await db.residentLoaded();
    const s = db.stats();
    expect(s.tsmFiles).toBe(2);
    expect(s.tsmResidentFiles).toBe(2);
    expect(s.tsmResidentBytes).toBeGreaterThan(0);
    expect(s.tsmResidentBytes).toBeLessThan(s.tsmBytes);
    expect(sortLines(exportAll(db, 'd'))).toBe(sortLines(want));
    await db.compact({ full: true });
    await db.residentLoaded();
    expect(db.stats()).toMatchObject({ tsmFiles: 1, tsmResidentFiles: 1 });
    expect(sortLines(exportAll(db, 'd'))).toBe(sortLines(want));
    const again = await reopen(db);
    await again.residentLoaded();
    expect(again.stats()).toMatchObject({ tsmFiles: 1, tsmResidentFiles: 1 });
    expect(sortLines(exportAll(again, 'd'))).toBe(sortLines(want));
    const none = await reopen(again, { residentBytes: 0 });
    await none.residentLoaded();
    expect(none.stats()).toMatchObject({ tsmFiles: 1, tsmResidentFiles: 0, tsmResidentBytes: 0, tsmResidentBudget: 0 });
    expect(sortLines(exportAll(none, 'd'))).toBe(sortLines(want));
  });
});

function sortLines(s: string): string {
  return s.split('\n').filter((l) => l !== '').sort().join('\n');
}
