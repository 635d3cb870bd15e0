import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TsmReader } from '../tsm/index.js';
import { openDatabase, type Database } from './database.js';
import { exportLineProtocol } from './export.js';

const dirs: string[] = [];
const open: Database[] = [];

afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Two flushed files. Resident data off unless `residentBytes` is given: the tests damage
 * a file under an open database and read it back through pread. */
async function fixture(residentBytes = 0): Promise<{ db: Database; files: string[] }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-corrupt-'));
  dirs.push(dataDir);
  const db = await openDatabase({ dataDir, fsync: 'off', residentBytes });
  open.push(db);
  await db.write('cpu,host=a v=1 1\ncpu,host=a v=2 2\ncpu,host=b v=3 1\n', { db: 'd' });
  await db.flush();
  await db.write('cpu,host=c v=4 1\n', { db: 'd' });
  await db.flush();
  const shard = path.join(dataDir, 'db', 'd', 'autogen', '0_604800000000000');
  const files = fs.readdirSync(shard).filter((f) => f.endsWith('.tsm')).sort().map((f) => path.join(shard, f));
  return { db, files };
}

function flip(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, offset);
  b[0] ^= 0x5a;
  fs.writeSync(fd, b, 0, 1, offset);
  fs.closeSync(fd);
}

const hosts = (db: Database) =>
  db.select({ db: 'd', measurement: 'cpu' }).map((c) => [c.tags.host, c.error ? 'error' : [...(c.values as Float64Array)]]);

describe('damaged TSM files', () => {
  it('fails only the series whose block is damaged, naming file and offset', async () => {
    const { db, files } = await fixture();
    const r = TsmReader.open(files[0]);
    const [ref] = r.blocks(0, 'v'); // series host=a got id 0
    r.close();
    flip(files[0], ref.offset + 8);
    const cols = db.select({ db: 'd', measurement: 'cpu' });
    expect(hosts(db)).toEqual([['a', 'error'], ['b', [3]], ['c', [4]]]);
    expect(cols[0].error).toContain(files[0]);
    expect(cols[0].error).toContain(`offset ${ref.offset}`);
    // export goes on with the other series and names the damaged one in a comment line
    const text = [...exportLineProtocol(db, { db: 'd' })].join('');
    expect(text).toMatch(/^# error: series cpu,host=a field v: .*offset \d+/m);
    expect(text).toContain('cpu,host=b v=3 1\n');
    expect(text).toContain('cpu,host=c v=4 1\n');
  });

  it('reads a resident file from memory, and finds damage done on disk at the next open', async () => {
    const { db, files } = await fixture(1 << 20);
    await db.residentLoaded();
    expect(db.stats().tsmResidentFiles).toBe(2);
    const r = TsmReader.open(files[0]);
    const [ref] = r.blocks(0, 'v');
    r.close();
    flip(files[0], ref.offset + 8);
    // the bytes in memory are the ones the flush wrote and read back
    expect(hosts(db)).toEqual([['a', [1, 2]], ['b', [3]], ['c', [4]]]);
    await db.close();
    open.pop();
    // reopened, the file is loaded again from disk and each block's CRC checked at its first read
    const again = await openDatabase({ dataDir: db.dataDir, fsync: 'off', residentBytes: 1 << 20 });
    open.push(again);
    await again.residentLoaded();
    expect(again.stats().tsmResidentFiles).toBe(2);
    const cols = again.select({ db: 'd', measurement: 'cpu' });
    expect(hosts(again)).toEqual([['a', 'error'], ['b', [3]], ['c', [4]]]);
    expect(cols[0].error).toContain(`offset ${ref.offset}`);
  });

  it('opens with a file whose index is damaged left out, and serves the rest', async () => {
    const { db, files } = await fixture();
    await db.close();
    open.pop();
    flip(files[0], fs.statSync(files[0]).size - 40); // in the index, just before the footer
    const again = await openDatabase({ dataDir: db.dataDir, fsync: 'off' });
    open.push(again);
    expect(again.stats().damagedFiles).toBe(1);
    expect(hosts(again)).toEqual([['c', [4]]]);
    // new flushes never reuse the damaged file's name
    await again.write('cpu,host=d v=5 1\n', { db: 'd' });
    await again.flush();
    expect(fs.existsSync(files[0])).toBe(true);
    expect(hosts(again)).toEqual([['c', [4]], ['d', [5]]]);
  });
});
