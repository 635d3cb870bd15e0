import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptionError, StrataError } from '../errors.js';
import type { Logger } from '../types.js';
import { Postings } from './postings.js';
import { SERIES_HEADER_SIZE, SeriesFile, SNAPSHOT_NAME } from './seriesFile.js';
import { SERIES_FILE_NAME, SeriesIndex } from './seriesIndex.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-index-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(root, String(n++));

/** A copy of an index directory as a crash (SIGKILL) would leave it: every write made so
 * far is in the file (appends are write(2)s), nothing more. */
function crashImage(dir: string): string {
  const to = freshDir();
  fs.cpSync(dir, to, { recursive: true });
  return to;
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (_o: object | string, msg?: string): void => {
    lines.push(msg ?? String(_o));
  };
  return { lines, info: log, warn: log, error: log };
}

const key = (i: number): string => `cpu,dc=dc${i % 3},host=h${i},rack=r${i % 7}`;

/** Everything a query can see, to compare two indexes. */
function view(idx: SeriesIndex): unknown {
  const out: Record<string, unknown> = { count: idx.seriesCount };
  for (const m of idx.measurements()) {
    out[m] = {
      all: idx.select(m, []).toArray(),
      keys: Object.fromEntries(idx.tagKeys(m).map((k) => [k, Object.fromEntries(idx.tagValues(m, k).map((v) => [v, idx.select(m, [{ key: k, op: '=', value: v }]).toArray()]))])),
    };
  }
  return out;
}

describe('SeriesIndex persistence', () => {
  it('round-trips: same ids, same postings after close and reopen', async () => {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db' });
    const ids = Array.from({ length: 500 }, (_, i) => a.getOrCreate(key(i)));
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(a.getOrCreate(key(7))).toBe(7);
    a.getOrCreate('mem,host=h1');
    const before = view(a);
    await a.close();
    expect(fs.existsSync(path.join(dir, SNAPSHOT_NAME))).toBe(true);

    const b = await SeriesIndex.open(dir, { db: 'db' });
    expect(b.stats().replayed).toBe(0);
    expect(view(b)).toEqual(before);
    for (let i = 0; i < 500; i++) expect(b.get(key(i))).toBe(i);
    expect(b.keyOf(42)).toBe(key(42));
    expect(b.tagsOf(42)).toEqual([['dc', 'dc0'], ['host', 'h42'], ['rack', 'r0']]);
    expect(b.measurementOf(500)).toBe('mem');
    expect(b.measurements()).toEqual(['cpu', 'mem']);
    expect(b.tagKeys('cpu')).toEqual(['dc', 'host', 'rack']);
    expect(b.tagValues('cpu', 'dc')).toEqual(['dc0', 'dc1', 'dc2']);
    expect(b.getOrCreate('disk,host=h1')).toBe(501);
    await b.close();
  });

  it('replays only the series-file tail after the snapshot (crash image)', async () => {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db', snapshotEvery: 0 });
    for (let i = 0; i < 300; i++) a.getOrCreate(key(i));
    await a.snapshot();
    for (let i = 300; i < 350; i++) a.getOrCreate(key(i));
    a.deleteSeries(Postings.of([5, 310]));
    await a.sync();
    const img = crashImage(dir);
    const expected = view(a);

    const b = await SeriesIndex.open(img, { db: 'db' });
    expect(b.stats()).toMatchObject({ replayed: 51, snapshotProblem: '', series: 348 });
    expect(view(b)).toEqual(expected);
    expect(b.get(key(5))).toBeUndefined();
    expect(b.get(key(349))).toBe(349);
    await b.close();
    await a.close();
  });

  it('a background snapshot taken while series are added and deleted replays to the same state', async () => {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db', snapshotEvery: 60, snapshotStep: 3 });
    let next = 0;
    for (; next < 60; next++) a.getOrCreate(key(next));
    // the snapshot has started (queued); change the index between its steps
    for (let round = 0; round < 30; round++) {
      await new Promise<void>((r) => setImmediate(r));
      a.getOrCreate(key(next++));
      a.getOrCreate(`mem,host=h${round}`);
      if (round % 4 === 0) a.deleteSeries(Postings.of([round * 2, next - 1]));
    }
    await a.idle();
    await a.sync();
    const img = crashImage(dir);
    const expected = view(a);
    const b = await SeriesIndex.open(img, { db: 'db' });
    expect(b.stats().snapshotProblem).toBe('');
    expect(b.stats().replayed).toBeGreaterThan(0);
    expect(b.stats().replayed).toBeLessThan(a.stats().ids);
    expect(view(b)).toEqual(expected);
    // ids the replay met again (already in the snapshot) must not linger after a delete
    const late = Postings.range(60, a.stats().ids);
    a.deleteSeries(late);
    b.deleteSeries(late);
    expect(view(b)).toEqual(view(a));
    await b.close();
    await a.close();
  });

  it('rebuilds from the series file when there is no snapshot or it is damaged', async () => {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db' });
    for (let i = 0; i < 200; i++) a.getOrCreate(key(i));
    a.deleteSeries(Postings.of([3, 4]));
    await a.close();
    const first = (await reopen(dir)).idx;
    const expected = view(first);
    await first.close();

    fs.rmSync(path.join(dir, SNAPSHOT_NAME));
    const { idx: b } = await reopen(dir);
    expect(b.stats().replayed).toBe(201);
    expect(view(b)).toEqual(expected);
    await b.close();

    const snap = path.join(dir, SNAPSHOT_NAME);
    const bytes = fs.readFileSync(snap);
    bytes[bytes.length >> 1] ^= 0x40;
    fs.writeFileSync(snap, bytes);
    const { idx: c, log } = await reopen(dir);
    expect(c.stats().snapshotProblem).toMatch(/CRC mismatch/);
    expect(log.lines.join('\n')).toMatch(/snapshot .* is unusable .*rebuilding/);
    expect(view(c)).toEqual(expected);
    await c.close();
  });

  it('a deferred delete reaches the series file only at commitDeletes, and no snapshot carries it before', async () => {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db', snapshotEvery: 1 });
    for (let i = 0; i < 5; i++) a.getOrCreate(key(i));
    await a.idle();
    a.deleteSeries(Postings.of([1]), { defer: true });
    expect(a.get(key(1))).toBeUndefined(); // gone from reads at once
    await a.sync();
    await a.idle();
    const held = crashImage(dir); // a power cut now: the drop is not on disk
    a.commitDeletes();
    await a.sync();
    const committed = crashImage(dir);
    await a.close();
    const b = await SeriesIndex.open(held, { db: 'db' });
    expect(b.get(key(1))).toBe(1);
    await b.close();
    const c = await SeriesIndex.open(committed, { db: 'db' });
    expect(c.get(key(1))).toBeUndefined();
    expect(c.isDeleted(1)).toBe(true);
    await c.close();
  });

  it('deleteSeries persists: gone after reopen, ids never reused', async () => {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db' });
    for (let i = 0; i < 10; i++) a.getOrCreate(key(i));
    a.deleteSeries(Postings.of([2, 3, 99]));
    expect(a.seriesCount).toBe(8);
    expect(a.get(key(2))).toBeUndefined();
    expect(a.select('cpu', [{ key: 'host', op: '=~', value: 'h2|h3|h4' }]).toArray()).toEqual([4]);
    await a.sync();
    const img = crashImage(dir); // the tombstone is in the series file, not in a snapshot
    await a.close();

    for (const d of [dir, img]) {
      const b = await SeriesIndex.open(d, { db: 'db' });
      expect(b.seriesCount).toBe(8);
      expect(b.get(key(2))).toBeUndefined();
      expect(b.isDeleted(2)).toBe(true);
      expect(b.keyOf(2)).toBe(key(2));
      expect(b.select('cpu', []).toArray()).toEqual([0, 1, 4, 5, 6, 7, 8, 9]);
      expect(b.tagValues('cpu', 'host')).not.toContain('h2');
      expect(b.getOrCreate(key(2))).toBe(10); // a new id: 2 is never handed out again
      await b.close();
      const c = await SeriesIndex.open(d, { db: 'db' });
      expect(c.get(key(2))).toBe(10);
      expect(c.select('cpu', [{ key: 'host', op: '=', value: 'h2' }]).toArray()).toEqual([10]);
      await c.close();
    }
  });

  it('drops a measurement, tag key and value from the listings when its last series is deleted', async () => {
    const idx = await SeriesIndex.open(freshDir(), { db: 'db' });
    const m = idx.getOrCreate('mem,only=here');
    idx.getOrCreate('cpu,host=a');
    idx.deleteSeries(Postings.of([m]));
    expect(idx.measurements()).toEqual(['cpu']);
    expect(idx.tagKeys('mem')).toEqual([]);
    await idx.close();
  });
});

async function reopen(dir: string): Promise<{ idx: SeriesIndex; log: ReturnType<typeof recordingLogger> }> {
  const log = recordingLogger();
  return { idx: await SeriesIndex.open(dir, { db: 'db', logger: log }), log };
}

describe('SeriesIndex series file damage', () => {
  async function build(count: number, snapshotAt?: number): Promise<string> {
    const dir = freshDir();
    const a = await SeriesIndex.open(dir, { db: 'db', snapshotEvery: 0 });
    for (let i = 0; i < count; i++) {
      if (i === snapshotAt) await a.snapshot();
      a.getOrCreate(key(i));
    }
    await a.sync();
    const img = crashImage(dir);
    await a.close();
    return img;
  }

  it('truncates a torn tail (a frame cut short) and logs it', async () => {
    const dir = await build(20);
    const file = path.join(dir, SERIES_FILE_NAME);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 3);
    const { idx, log } = await reopen(dir);
    expect(idx.seriesCount).toBe(19);
    expect(log.lines.join('\n')).toMatch(/torn tail in .*series at offset \d+ .*runs past the end/);
    expect(fs.statSync(file).size).toBeLessThan(size - 3);
    expect(idx.getOrCreate(key(19))).toBe(19); // the lost series is simply created again
    await idx.close();
    const { idx: again, log: log2 } = await reopen(dir);
    expect(again.seriesCount).toBe(20);
    expect(log2.lines.join('\n')).not.toMatch(/torn/);
    await again.close();
  });

  it('truncates a zero-filled tail and a hole followed by later frames past the snapshot', async () => {
    const dir = await build(30, 10);
    const file = path.join(dir, SERIES_FILE_NAME);
    fs.appendFileSync(file, Buffer.alloc(4096));
    const { idx, log } = await reopen(dir);
    expect(idx.seriesCount).toBe(30);
    expect(log.lines.join('\n')).toMatch(/torn tail/);
    await idx.close();

    // A crash can write unsynced pages out of order: zero a frame in the middle of the
    // unsynced region; the frames after it are dropped too (they were never synced).
    const dir2 = await build(30, 10);
    const file2 = path.join(dir2, SERIES_FILE_NAME);
    const bytes = fs.readFileSync(file2);
    const at = frameOffset(bytes, 20);
    bytes.fill(0, at, at + 12);
    fs.writeFileSync(file2, bytes);
    const { idx: b, log: log2 } = await reopen(dir2);
    expect(b.seriesCount).toBe(20);
    expect(log2.lines.join('\n')).toMatch(/torn tail .* and 9 complete entries after it/);
    await b.close();
  });

  it('refuses to open when a frame the snapshot proves synced is damaged, naming file and offset', async () => {
    const dir = await build(30, 25);
    const file = path.join(dir, SERIES_FILE_NAME);
    const bytes = fs.readFileSync(file);
    const at = frameOffset(bytes, 12);
    bytes[at + 14] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const err = await SeriesIndex.open(dir, { db: 'db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(err).toMatchObject({ code: 'STRATA_ERR_CORRUPT', file, offset: at });
    expect((err as Error).message).toMatch(/CRC mismatch.*synced.*restore the index directory from a backup/);
  });

  it('refuses a series file shorter than the snapshot says was synced', async () => {
    const dir = await build(30, 25);
    const file = path.join(dir, SERIES_FILE_NAME);
    fs.truncateSync(file, frameOffset(fs.readFileSync(file), 20));
    await expect(SeriesIndex.open(dir, { db: 'db' })).rejects.toThrow(/ends at \d+ bytes, but the index snapshot shows .* delete postings.snap/);
  });

  it('names the file and offset of a malformed key under a valid CRC', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    const { file } = SeriesFile.open(path.join(dir, SERIES_FILE_NAME), recordingLogger(), { add() {}, delete() {} });
    file.appendSeries(0, 'cpu,host=a');
    file.appendSeries(1, 'cpu,host');
    await file.close();
    const err = await SeriesIndex.open(dir, { db: 'db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(err).toMatchObject({ offset: SERIES_HEADER_SIZE + 8 + 5 + 10 });
    expect((err as Error).message).toMatch(/series 1 has a malformed key/);
  });

  it('reinitialises a zero-filled header (a creation cut short) and rejects a damaged one', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, SERIES_FILE_NAME), Buffer.alloc(SERIES_HEADER_SIZE));
    const idx = await SeriesIndex.open(dir, { db: 'db' });
    expect(idx.getOrCreate('cpu')).toBe(0);
    await idx.close();

    const dir2 = await build(3);
    const f = path.join(dir2, SERIES_FILE_NAME);
    const b = fs.readFileSync(f);
    b[0] = 0x58;
    fs.writeFileSync(f, b);
    await expect(SeriesIndex.open(dir2, { db: 'db' })).rejects.toThrow(/corrupt data in .*series at offset 0: bad magic/);
  });
});

/** The offset of the frame of series `id` (ADD frames only in these files). */
function frameOffset(bytes: Buffer, id: number): number {
  let pos = SERIES_HEADER_SIZE;
  for (let i = 0; i < id; i++) pos += 8 + bytes.readUInt32LE(pos);
  return pos;
}

describe('SeriesIndex cardinality limit', () => {
  it('refuses a new series past maxSeries with a 422 naming the database and limit; existing series still work', async () => {
    const dir = freshDir();
    const idx = await SeriesIndex.open(dir, { db: 'telemetry', maxSeries: 3 });
    for (let i = 0; i < 3; i++) idx.getOrCreate(key(i));
    let err: unknown;
    try {
      idx.getOrCreate(key(3));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StrataError);
    expect(err).toMatchObject({ code: 'STRATA_ERR_CARDINALITY', status: 422 });
    expect((err as Error).message).toMatch(/database "telemetry" has reached its limit of 3 series/);
    expect((err as Error).message).toMatch(/raise the database's maxSeries limit/);
    expect(idx.getOrCreate(key(1))).toBe(1);
    expect(idx.seriesCount).toBe(3);
    expect(idx.get(key(3))).toBeUndefined();
    // a deleted series frees its place
    idx.deleteSeries(Postings.of([0]));
    expect(idx.getOrCreate(key(3))).toBe(3);
    await idx.close();
    // the limit is an option of the open index, not of the files
    const again = await SeriesIndex.open(dir, { db: 'telemetry', maxSeries: 0 });
    for (let i = 4; i < 10; i++) again.getOrCreate(key(i));
    expect(again.seriesCount).toBe(9);
    await again.close();
  });
});

describe('SeriesIndex durability', () => {
  it('shares fdatasyncs between concurrent sync() callers and closes cleanly', async () => {
    const idx = await SeriesIndex.open(freshDir(), { db: 'db' });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      idx.getOrCreate(key(i));
      waits.push(idx.sync());
    }
    await Promise.all(waits);
    await idx.close();
    expect(() => idx.getOrCreate('cpu,new=1')).toThrow(/closed/);
  });

  it('rejects a key that is not a canonical series key', async () => {
    const idx = await SeriesIndex.open(freshDir(), { db: 'db' });
    expect(() => idx.getOrCreate('cpu,host')).toThrow(/not a canonical series key/);
    expect(idx.seriesCount).toBe(0);
    await idx.close();
  });
});
