// The WAL as a queue (Wal.read, durableEnd) and the engine's hold on it (Database.holdWal,
// wal/checkpoint.json), as store-and-forward uses them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../engine/database.js';
import { CorruptionError } from '../errors.js';
import { Wal, comparePositions, type WalPosition, type WalRecord } from '../wal/wal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-walread-'));
  dirs.push(d);
  return d;
}

async function readAll(wal: Wal, from: WalPosition, maxBytes: number): Promise<{ records: WalRecord[]; next: WalPosition; skipped: number }> {
  const records: WalRecord[] = [];
  let pos = from;
  let skipped = 0;
  for (;;) {
    const r = await wal.read(pos, maxBytes);
    skipped += r.skipped;
    records.push(...r.records.map((x) => ({ ...x, payload: Buffer.from(x.payload) })));
    if (r.records.length === 0 && comparePositions(r.next, pos) === 0) return { records, next: pos, skipped };
    pos = r.next;
  }
}

describe('Wal.read', () => {
  it('reads every durable record in order across segments, in pieces of any size', async () => {
    const dir = tmpDir();
    const wal = await Wal.open({ dir, segmentSize: 1024 }, () => {});
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const p = `record ${i} ${'x'.repeat(i % 50)}`;
      sent.push(p);
      wal.append(1 + (i % 3), Buffer.from(p));
    }
    await wal.sync('always');
    expect(wal.segmentIds.length).toBeGreaterThan(5);
    for (const max of [1, 100, 4096, 1 << 20]) {
      const { records, next } = await readAll(wal, { segment: 1, offset: 0 }, max);
      expect(records.map((r) => r.payload.toString())).toEqual(sent);
      expect(records.map((r) => r.type)).toEqual(sent.map((_, i) => 1 + (i % 3)));
      expect(next).toEqual(wal.durableEnd);
    }
    // From the middle: a record's position is where reading starts again.
    const all = (await readAll(wal, { segment: 1, offset: 0 }, 1 << 20)).records;
    const from = all[137];
    const rest = (await readAll(wal, { segment: from.segment, offset: from.offset }, 333)).records;
    expect(rest.map((r) => r.payload.toString())).toEqual(sent.slice(137));
    await wal.close();
  });

  it('stops at the durable end: an append is readable once an fsync covers it', async () => {
    const dir = tmpDir();
    const wal = await Wal.open({ dir }, () => {});
    wal.append(1, Buffer.from('a'));
    await wal.sync('always');
    wal.append(1, Buffer.from('b'));
    await wal.sync('off');
    expect(comparePositions(wal.appendedEnd, wal.durableEnd)).toBeGreaterThan(0);
    const r1 = await wal.read({ segment: 1, offset: 0 }, 1 << 20);
    expect(r1.records.map((r) => r.payload.toString())).toEqual(['a']);
    await wal.flush();
    expect(wal.durableEnd).toEqual(wal.appendedEnd);
    const r2 = await wal.read(r1.next, 1 << 20);
    expect(r2.records.map((r) => r.payload.toString())).toEqual(['b']);
    await wal.close();
    // After a restart, what was recovered is durable.
    const again = await Wal.open({ dir }, () => {});
    expect(again.durableEnd).toEqual(again.appendedEnd);
    expect((await again.read({ segment: 1, offset: 0 }, 1 << 20)).records).toHaveLength(2);
    await again.close();
  });

  it('skips and counts segments deleted under the cursor, and names a damaged frame', async () => {
    const dir = tmpDir();
    const wal = await Wal.open({ dir, segmentSize: 256 }, () => {});
    for (let i = 0; i < 40; i++) wal.append(1, Buffer.alloc(60, i));
    await wal.sync('always');
    await wal.removeSegmentsBefore(4);
    const r = await readAll(wal, { segment: 1, offset: 0 }, 1 << 20);
    expect(r.skipped).toBe(3);
    expect(r.records[0].segment).toBe(4);
    // Flip a payload byte of a durable frame: corruption, not a torn tail.
    const file = path.join(dir, '0000000000000005.wal');
    const b = fs.readFileSync(file);
    b[24 + 9 + 3] ^= 0xff;
    fs.writeFileSync(file, b);
    await expect(wal.read({ segment: 5, offset: 0 }, 1 << 20)).rejects.toBeInstanceOf(CorruptionError);
    await wal.close();
  });
});

describe('Database WAL hold', () => {
  it('keeps held segments through flushes without replaying them at the next open, and lets them go once released', async () => {
    const dir = tmpDir();
    let hold: number | null = 1;
    const db = await openDatabase({ dataDir: dir, fsync: 'off', walSegmentSize: 4096, retentionCheckMs: 0 });
    const release = db.holdWal(() => hold);
    for (let i = 0; i < 200; i++) await db.write(`m,k=${i % 7} v=${i} ${i}\n`, { db: 'a' });
    await db.flush();
    const held = db.walSegments().map((s) => s.id);
    expect(held[0]).toBe(1);
    expect(held.length).toBeGreaterThan(3);
    const checkpoint = JSON.parse(fs.readFileSync(path.join(dir, 'wal', 'checkpoint.json'), 'utf8')) as { segment: number };
    expect(checkpoint.segment).toBe(held[held.length - 1]);
    await db.write('m,k=late v=1 1000\n', { db: 'a' });
    await db.close();

    const db2 = await openDatabase({ dataDir: dir, fsync: 'off', walSegmentSize: 4096, retentionCheckMs: 0, walHold: () => hold });
    // Only the record after the checkpoint is replayed; the rest is read from TSM files.
    expect(db2.stats().replayedRecords).toBe(1);
    expect(db2.select({ db: 'a', measurement: 'm' }).reduce((n, c) => n + c.times.length, 0)).toBe(201);
    expect(db2.walSegments()[0].id).toBe(1);
    hold = null;
    release();
    await db2.releaseWal();
    expect(db2.walSegments()[0].id).toBe(checkpoint.segment);
    await db2.close();
  });
});
