import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../engine/database.js';
import { Postings } from '../index/postings.js';
import { SeriesIndex } from '../index/seriesIndex.js';
import { decodeSnapshot, encodeSnapshot } from '../index/snapshot.js';
import { verifyIndexDir } from '../index/verify.js';
import { FOOTER_SIZE } from '../tsm/format.js';
import { TsmReader } from '../tsm/reader.js';
import { writeTsmFile } from '../tsm/writer.js';
import { FLOAT } from '../types.js';
import { acquireLock } from './lock.js';
import { main } from './main.js';
import { removeTempDirs, tempDir, testIo } from './testing/io.js';
import type { VerifyReport } from './verify.js';

afterEach(removeTempDirs);

const DAY = 86_400_000_000_000n;
const T0 = 1_700_000_000_000_000_000n;

/** A data directory written through the library: two databases, several shards, every
 * field type, flushed to TSM files, plus writes after the flush that stay in the WAL. */
async function dataDir(opts: { walSegmentSize?: number; unflushedWrites?: number } = {}): Promise<string> {
  const dir = tempDir('strata-verify-');
  const db = await openDatabase({ dataDir: dir, fsync: 'off', walSegmentSize: opts.walSegmentSize });
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = T0 + BigInt(i) * (DAY / 100n);
    lines.push(`cpu,host=h${i % 10},region=eu usage=${(i % 97) / 4},procs=${i}i,up=${i % 3 === 0},msg="m${i % 5}" ${t}`);
  }
  await db.write(lines.join('\n'), { db: 'telegraf' });
  await db.write('sensor,dev=a temp=21.5,n=3u 1700000000000000000\nsensor,dev=b temp=19.25 1700000000000000001\n', { db: 'iot' });
  await db.flush();
  for (let i = 0; i < (opts.unflushedWrites ?? 3); i++) {
    await db.write(`cpu,host=late v=${i} ${T0 + BigInt(i)}\n`, { db: 'telegraf' });
  }
  await db.close();
  return dir;
}

async function verify(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = testIo();
  const code = await main(['verify', ...argv], io);
  return { code, out: io.out.text, err: io.err.text };
}

async function verifyJson(dir: string): Promise<{ code: number; report: VerifyReport }> {
  const { code, out } = await verify('--data-dir', dir, '--json');
  return { code, report: JSON.parse(out) as VerifyReport };
}

function tsmFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.tsm'))
    .sort()
    .map((f) => path.join(dir, f));
}

function flip(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b[0] ^= 0x5a;
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** Offsets of the entries of a series file. */
function seriesEntries(file: string): number[] {
  const b = fs.readFileSync(file);
  const out: number[] = [];
  for (let pos = 16; pos < b.length; pos += 8 + b.readUInt32LE(pos)) out.push(pos);
  return out;
}

describe('strata verify', () => {
  it('passes a clean data directory written and flushed through the library (exit 0)', async () => {
    const dir = await dataDir();
    const { code, out, err } = await verify('--data-dir', dir);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^verified /);
    expect(out).toMatch(/\nclean: no damage\n$/);
    expect(out).not.toMatch(/DAMAGE|warning/);

    const { code: c2, report } = await verifyJson(dir);
    expect(c2).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.databases).toBe(2);
    expect(report.files.meta).toBe(1);
    expect(report.files.seriesFiles).toBe(2);
    expect(report.files.snapshots).toBe(2);
    expect(report.files.tsm).toBe(tsmFiles(dir).length);
    expect(report.files.tsm).toBeGreaterThan(2); // 30 days of cpu: several weekly shards
    expect(report.files.walSegments).toBeGreaterThanOrEqual(1);
    expect(report.walRecords).toBe(3);
    expect(report.series).toBe(13); // 10 cpu hosts + 2 sensors + the late one
    // 3000 cpu lines × 4 fields + 2 sensor lines (3 values)
    expect(report.points).toBe(3000 * 4 + 3);
    expect(report.blocks).toBeGreaterThan(0);

    // The positional form is the same; the LOCK is released afterwards.
    expect((await verify(dir)).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });

  it('names the file and the block offset of a flipped byte in a TSM block (exit 1)', async () => {
    const dir = await dataDir();
    const file = tsmFiles(dir)[1];
    const r = TsmReader.open(file);
    const col = [...r.columns()][2];
    const block = r.blocks(col.seriesId, col.field)[0];
    r.close();
    flip(file, block.offset + 4 + Math.floor(block.size / 2));

    const { code, out } = await verify('--data-dir', dir);
    expect(code).toBe(1);
    const rel = path.relative(dir, file);
    expect(out).toContain(`DAMAGE   ${rel} at offset ${block.offset}: block CRC mismatch (series ${col.seriesId} field ${JSON.stringify(col.field)})`);
    expect(out).toMatch(/\nDAMAGED: 1 problem, 0 warnings\n$/);

    const { report } = await verifyJson(dir);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { severity: 'damage', file: rel, path: file, offset: block.offset, message: expect.stringMatching(/^block CRC mismatch/) },
    ]);
  });

  it('names a flipped byte in the TSM index and in the footer', async () => {
    const dir = await dataDir();
    const [a, b] = tsmFiles(dir);
    const bytes = fs.readFileSync(a);
    const footerAt = bytes.length - FOOTER_SIZE;
    const indexOffset = bytes.readUInt32LE(footerAt);
    flip(a, indexOffset + 5);
    flip(b, fs.statSync(b).size - FOOTER_SIZE + 2);

    const { code, out } = await verify('--data-dir', dir);
    expect(code).toBe(1);
    expect(out).toContain(`DAMAGE   ${path.relative(dir, a)} at offset ${indexOffset}: index CRC mismatch`);
    expect(out).toContain(`DAMAGE   ${path.relative(dir, b)} at offset ${fs.statSync(b).size - FOOTER_SIZE}: footer CRC mismatch`);
  });

  it('names damage in a series file, and TSM series ids the series file does not have', async () => {
    const dir = await dataDir();
    const series = path.join(dir, 'db', 'telegraf', 'index', 'series');
    const entries = seriesEntries(series);
    flip(series, entries[3] + 12);
    let res = await verify('--data-dir', dir);
    expect(res.code).toBe(1);
    expect(res.out).toContain(`DAMAGE   db/telegraf/index/series at offset ${entries[3]}: entry CRC mismatch`);
    expect(res.out).toMatch(/so this is damage, not a torn write/);
    // the TSM files' ids are not checked against a damaged series file (that would list every block)
    expect(res.out).toMatch(/warning  db\/telegraf\/index\/series at offset 0: series ids in the \d+ TSM file\(s\) of database "telegraf" were not checked/);
    flip(series, entries[3] + 12);
    expect((await verify('--data-dir', dir)).code).toBe(0);

    // A TSM file naming a series id that was never handed out.
    const shard = path.dirname(tsmFiles(dir).find((f) => f.includes(`${path.sep}iot${path.sep}`))!);
    const stray = path.join(shard, '000999.tsm');
    writeTsmFile(stray, [{ seriesId: 77, field: 'temp', type: FLOAT, times: BigInt64Array.of(T0), values: Float64Array.of(1) }]);
    res = await verify('--data-dir', dir);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(new RegExp(`DAMAGE   ${path.relative(dir, stray)} at offset \\d+: series id 77 \\(index entry at this offset\\) is not in the series index`));
  });

  it('a torn series-file tail, a stale or damaged snapshot and leftover .tmp files are warnings', async () => {
    const dir = await dataDir();
    const index = path.join(dir, 'db', 'iot', 'index');
    // Bytes after the last entry the snapshot covers: a crash cut an unsynced entry short.
    const size = fs.statSync(path.join(index, 'series')).size;
    fs.appendFileSync(path.join(index, 'series'), Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    fs.writeFileSync(path.join(index, 'postings.snap.tmp'), 'half');
    const snap = path.join(dir, 'db', 'telegraf', 'index', 'postings.snap');
    flip(snap, 40);
    const shardDir = path.dirname(tsmFiles(dir)[0]);
    fs.writeFileSync(path.join(shardDir, '000042.tsm.tmp'), 'partial');
    fs.writeFileSync(path.join(dir, 'meta.json.tmp-1234'), '{');
    // A compaction whose output was published but whose input was not yet removed.
    const input = tsmFiles(dir)[0];
    const output = path.join(path.dirname(input), '000000000000-000000000099.tsm');
    fs.copyFileSync(input, output);

    const { code, report } = await verifyJson(dir);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.damage).toBe(0);
    const byFile = Object.fromEntries(report.problems.map((p) => [p.file, p]));
    expect(byFile['db/iot/index/series']).toMatchObject({ severity: 'warning', offset: size, message: expect.stringMatching(/^torn tail .*the next open truncates/) });
    expect(byFile['db/telegraf/index/postings.snap']).toMatchObject({ severity: 'warning', offset: 0, message: expect.stringMatching(/unusable \(CRC mismatch.*rebuilds the postings/) });
    for (const f of ['db/iot/index/postings.snap.tmp', path.relative(dir, path.join(shardDir, '000042.tsm.tmp')), 'meta.json.tmp-1234']) {
      expect(byFile[f], f).toMatchObject({ severity: 'warning', message: expect.stringMatching(/^temporary file of a write that did not finish/) });
    }
    expect(byFile[path.relative(dir, input)]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/^already merged into 000000000000-000000000099\.tsm .*the next start deletes it/) });
    expect(byFile[path.relative(dir, output)]).toBeUndefined();
    expect(report.warnings).toBe(6);
    // nothing was repaired or removed
    expect(fs.statSync(path.join(index, 'series')).size).toBe(size + 7);
    expect(fs.existsSync(path.join(index, 'postings.snap.tmp'))).toBe(true);
  });

  it('names a postings snapshot whose CRC is fine but whose postings disagree with the series file', async () => {
    const dir = await dataDir();
    const file = path.join(dir, 'db', 'telegraf', 'index', 'postings.snap');
    const snap = decodeSnapshot(fs.readFileSync(file));
    const cpu = snap.measurements.get('cpu')!;
    cpu.all.remove(3);
    fs.writeFileSync(file, encodeSnapshot(snap));
    const { code, out } = await verify('--data-dir', dir);
    expect(code).toBe(1);
    expect(out).toContain('DAMAGE   db/telegraf/index/postings.snap at offset 0: postings snapshot disagrees with the series file (measurement "cpu": 10 series in the snapshot, 11 in the series file)');
    expect(out).toMatch(/delete postings\.snap \(the next open rebuilds it from the series file\)/);

    // One that covers a different number of series than the series file has there: stale, rebuilt at open.
    fs.writeFileSync(file, encodeSnapshot({ ...snap, count: snap.count - 1 }));
    const res = await verify('--data-dir', dir);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/warning  db\/telegraf\/index\/postings\.snap at offset 0: postings snapshot does not fit the series file/);
  });

  it('reports a truncated WAL tail as the torn tail the next start truncates; damage before it is an error', async () => {
    const dir = await dataDir({ walSegmentSize: 200, unflushedWrites: 6 });
    const wal = path.join(dir, 'wal');
    const segs = fs.readdirSync(wal).filter((f) => f.endsWith('.wal')).sort();
    expect(segs.length).toBeGreaterThan(2);
    const last = path.join(wal, segs[segs.length - 1]);
    const size = fs.statSync(last).size;
    fs.truncateSync(last, size - 3);
    let res = await verify('--data-dir', dir);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(new RegExp(`warning  wal/${segs[segs.length - 1]} at offset \\d+: torn tail \\(.*\\): the next start truncates this segment here, dropping \\d+ bytes of a write a crash cut short \\(it was never acknowledged\\)`));
    expect(res.out).toMatch(/\nclean: no damage, 1 warning\n$/);
    expect(fs.statSync(last).size).toBe(size - 3); // verify changes nothing

    // The same damage in an earlier segment loses acknowledged writes.
    const first = path.join(wal, segs[0]);
    flip(first, fs.statSync(first).size - 2);
    res = await verify('--data-dir', dir);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(new RegExp(`DAMAGE   wal/${segs[0]} at offset \\d+: CRC mismatch .*strata repair-wal\` cuts the segment here`));
  });

  it('names a damaged meta.json and fields.json', async () => {
    const dir = await dataDir();
    fs.writeFileSync(path.join(dir, 'db', 'iot', 'fields.json'), '{"sensor":{"temp":1,');
    const meta = fs.readFileSync(path.join(dir, 'meta.json'), 'utf8');
    fs.writeFileSync(path.join(dir, 'meta.json'), meta.replace('"version": 1', '"version": 7'));
    const { code, out } = await verify('--data-dir', dir);
    expect(code).toBe(1);
    expect(out).toContain('DAMAGE   meta.json at offset 0: unsupported meta.json version 7');
    expect(out).toMatch(/DAMAGE   db\/iot\/fields\.json at offset \d+: not valid JSON .*the server cannot open database "iot"/);
  });

  it('refuses while another process has the data directory open', async () => {
    const dir = await dataDir();
    const lock = acquireLock(dir, 'serve');
    try {
      const { code, out, err } = await verify('--data-dir', dir, '--json');
      expect(code).toBe(1);
      expect(err).toMatch(/^strata verify: data directory .* is already open in this process/);
      expect(JSON.parse(out)).toMatchObject({ ok: false, error: expect.stringMatching(/already open/) });
    } finally {
      lock.release();
    }
  });

  it('usage errors exit 2; a missing data directory exits 1', async () => {
    const dir = await dataDir();
    let res = await verify(dir, '--data-dir', dir);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/give the data directory once/);
    res = await verify('--data-dir', dir, '--jsn');
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/unknown flag --jsn .*did you mean --json/);
    res = await verify(dir, 'extra');
    expect(res.code).toBe(2);
    res = await verify(path.join(dir, 'nope'));
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/does not exist/);
    expect(fs.existsSync(path.join(dir, 'nope'))).toBe(false);
  });
});

describe('verifyIndexDir (read-only index check)', () => {
  const key = (i: number): string => `cpu,dc=dc${i % 3},host=h${i},rack=r${i % 7}`;

  it('finds nothing wrong with what SeriesIndex writes: snapshots taken mid-stream, tombstones before and after them', async () => {
    const dir = path.join(tempDir('strata-verify-ix-'), 'index');
    const a = await SeriesIndex.open(dir, { db: 'd', snapshotEvery: 0, snapshotStep: 7 });
    for (let i = 0; i < 300; i++) a.getOrCreate(key(i));
    a.deleteSeries(Postings.of([3, 4, 250]));
    await a.snapshot();
    for (let i = 300; i < 400; i++) a.getOrCreate(key(i));
    a.deleteSeries(Postings.of([5, 350, 399]));
    a.getOrCreate('mem,host=x');
    await a.sync();
    // A crash image: the snapshot covers part of the file, the tail is replayed at open.
    const img = path.join(tempDir('strata-verify-ix-'), 'index');
    fs.cpSync(dir, img, { recursive: true });
    let r = verifyIndexDir(img);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ exists: true, ids: 401, live: 395, snapshot: 'ok' });
    const before = fs.readFileSync(path.join(img, 'series'));
    // after a clean close (a snapshot of everything)
    await a.close();
    r = verifyIndexDir(dir);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ids: 401, live: 395, snapshot: 'ok' });
    // nothing was changed
    expect(fs.readFileSync(path.join(img, 'series'))).toEqual(before);
    // what open says agrees
    const b = await SeriesIndex.open(img, { db: 'd' });
    expect(b.seriesCount).toBe(395);
    await b.close();
  });

  /** fs.cpSync of a directory a background snapshot may be writing: a `.tmp` file listed
   * and then renamed away before it is copied fails the copy with ENOENT; copy again. */
  function copyWhileWritten(from: string, to: string): void {
    for (let attempt = 1; ; attempt++) {
      try {
        fs.rmSync(to, { recursive: true, force: true });
        fs.cpSync(from, to, { recursive: true });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 50) throw err;
      }
    }
  }

  it('finds nothing wrong while background snapshots race new series and tombstones', async () => {
    const dir = path.join(tempDir('strata-verify-ix-'), 'index');
    const a = await SeriesIndex.open(dir, { db: 'd', snapshotEvery: 40, snapshotStep: 3 });
    for (let i = 0; i < 600; i++) {
      a.getOrCreate(key(i));
      if (i % 97 === 50) a.deleteSeries(Postings.of([i - 10, i - 20]));
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
      if (i % 150 === 149) {
        await a.sync();
        const img = path.join(tempDir('strata-verify-ix-'), 'index');
        copyWhileWritten(dir, img);
        const r = verifyIndexDir(img);
        expect(r.problems, `after ${i + 1} series`).toEqual([]);
        const b = await SeriesIndex.open(img, { db: 'd' });
        expect(b.seriesCount).toBe(r.live);
        await b.close();
      }
    }
    await a.close();
    expect(verifyIndexDir(dir).problems).toEqual([]);
  });

  it('agrees with SeriesIndex.open about an empty or missing directory', () => {
    const dir = path.join(tempDir('strata-verify-ix-'), 'index');
    expect(verifyIndexDir(dir)).toMatchObject({ exists: false, ids: 0, snapshot: 'none', problems: [] });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'series'), Buffer.alloc(16));
    expect(verifyIndexDir(dir).problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/zero-filled header/) })]);
    fs.writeFileSync(path.join(dir, 'series'), 'STRATASF');
    expect(verifyIndexDir(dir).problems).toEqual([expect.objectContaining({ severity: 'damage', offset: 0, message: expect.stringMatching(/shorter than its 16-byte header/) })]);
  });
});
