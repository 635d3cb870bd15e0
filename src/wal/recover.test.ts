import { appendFileSync, cpSync, existsSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.js';
import { SEGMENT_HEADER_SIZE, segmentName } from './format.js';
import { captureLogger, openCollect, payload, removeTmpDirs, replay, tmpDir, type Rec } from './testing/helpers.js';
import { Wal, repairWal, verifyWal } from './wal.js';

afterEach(removeTmpDirs);

/** A closed WAL of `n` records over several 1 KiB segments; returns what it holds. */
async function fixture(n = 40, size = (i: number) => 30 + ((i * 53) % 120)): Promise<{ dir: string; recs: Rec[] }> {
  const dir = tmpDir();
  const { wal } = await openCollect({ dir, segmentSize: 1024 });
  for (let i = 0; i < n; i++) wal.append(1 + (i % 3), payload(i, size(i)));
  await wal.close();
  return { dir, recs: await replay({ dir }) };
}

const seg = (dir: string, id: number) => join(dir, segmentName(id));
const frameEnd = (r: Rec) => r.offset + 9 + r.payload.length;
const keys = (rs: Rec[]) => rs.map((r) => `${r.segment}:${r.offset}`);

function flip(file: string, offset: number): void {
  const b = readFileSync(file);
  b[offset] ^= 0x01;
  writeFileSync(file, b);
}

function copyOf(dir: string): string {
  const d = tmpDir();
  cpSync(dir, d, { recursive: true });
  return d;
}

async function corruptionOf(p: Promise<unknown>): Promise<CorruptionError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(CorruptionError);
  return e as CorruptionError;
}

describe('WAL recovery: torn tail of the last segment', () => {
  it('a cut at every byte of the last frame keeps all earlier records, truncates and warns', async () => {
    const { dir, recs } = await fixture();
    const last = recs.at(-1)!;
    const file = segmentName(last.segment);
    const sizes = new Set<number>();
    for (let cut = last.offset; cut < frameEnd(last); cut++) {
      const d = copyOf(dir);
      truncateSync(seg(d, last.segment), cut);
      const log = captureLogger();
      const got = await replay({ dir: d, logger: log });
      expect(keys(got)).toEqual(keys(recs.slice(0, -1)));
      expect(statSync(seg(d, last.segment)).size).toBe(last.offset);
      const warns = log.at('warn');
      if (cut === last.offset) {
        expect(warns).toEqual([]); // a clean end between frames is no tear
        continue;
      }
      expect(warns).toHaveLength(1);
      expect(warns[0].obj).toMatchObject({ file: seg(d, last.segment), offset: last.offset, dropped: cut - last.offset });
      expect(warns[0].msg).toContain(`${file} at offset ${last.offset}`);
      sizes.add(cut);
      // A second open finds nothing to fix.
      const again = captureLogger();
      expect(await replay({ dir: d, logger: again })).toHaveLength(recs.length - 1);
      expect(again.at('warn')).toEqual([]);
    }
    expect(sizes.size).toBe(frameEnd(last) - last.offset - 1);
  });

  it('a flipped bit anywhere in the last frame (length, CRC, type, payload) is a torn tail', async () => {
    const { dir, recs } = await fixture();
    const last = recs.at(-1)!;
    for (let at = last.offset; at < frameEnd(last); at++) {
      const d = copyOf(dir);
      flip(seg(d, last.segment), at);
      const log = captureLogger();
      const got = await replay({ dir: d, logger: log });
      expect(keys(got)).toEqual(keys(recs.slice(0, -1)));
      expect(statSync(seg(d, last.segment)).size).toBe(last.offset);
      expect(log.at('warn')[0].obj).toMatchObject({ offset: last.offset, kind: 'torn-tail' });
    }
  });

  it('zero-filled space after the last frame is dropped and appends continue there', async () => {
    const { dir, recs } = await fixture();
    const last = recs.at(-1)!;
    appendFileSync(seg(dir, last.segment), Buffer.alloc(4096));
    const log = captureLogger();
    const { wal, recs: got } = await openCollect({ dir, logger: log, segmentSize: 1024 });
    expect(got).toHaveLength(recs.length);
    expect(log.at('warn')[0].obj.detail).toMatch(/zero-filled/);
    wal.append(1, Buffer.from('next'));
    await wal.close();
    const all = await replay({ dir });
    expect(all.at(-1)).toMatchObject({ offset: frameEnd(last), payload: Buffer.from('next') });
  });

  it('a last segment cut inside its header (a creation cut short) is reinitialised', async () => {
    const { dir, recs } = await fixture();
    const lastId = recs.at(-1)!.segment;
    for (const cut of [0, 7, SEGMENT_HEADER_SIZE - 1]) {
      const d = copyOf(dir);
      truncateSync(seg(d, lastId), cut);
      const log = captureLogger();
      const { wal, recs: got } = await openCollect({ dir: d, logger: log });
      expect(keys(got)).toEqual(keys(recs.filter((r) => r.segment < lastId)));
      expect(log.at('warn')[0].obj).toMatchObject({ kind: 'torn-header', offset: 0 });
      expect(wal.currentSegment).toBe(lastId);
      wal.append(1, Buffer.from('x'));
      await wal.close();
      expect((await replay({ dir: d })).at(-1)).toMatchObject({ segment: lastId, offset: SEGMENT_HEADER_SIZE });
    }
  });
});

describe('WAL recovery: corruption before the tail', () => {
  it('a bad frame in an earlier segment throws CorruptionError naming file and offset, changing nothing', async () => {
    const { dir, recs } = await fixture();
    const victim = recs.filter((r) => r.segment === 1)[2];
    const file = seg(dir, 1);
    flip(file, victim.offset + 9 + 3);
    const size = statSync(file).size;
    const e = await corruptionOf(Wal.open({ dir }, () => {}));
    expect(e.code).toBe('STRATA_ERR_CORRUPT');
    expect(e.file).toBe(file);
    expect(e.offset).toBe(victim.offset);
    expect(e.message).toContain(`${file} at offset ${victim.offset}`);
    expect(e.message).toMatch(/CRC mismatch/);
    expect(statSync(file).size).toBe(size);
    expect((await verifyWal(dir)).problems).toMatchObject([{ kind: 'bad-frame', file, offset: victim.offset, action: 'none' }]);
    expect(statSync(file).size).toBe(size);
  });

  it('repair: true truncates that segment, saves the cut bytes and keeps the later segments', async () => {
    const { dir, recs } = await fixture();
    const victim = recs.filter((r) => r.segment === 1)[2];
    const file = seg(dir, 1);
    const original = readFileSync(file);
    flip(file, victim.offset + 9 + 3);
    const log = captureLogger();
    const { wal, recs: got } = await openCollect({ dir, repair: true, logger: log, segmentSize: 1024 });
    const want = recs.filter((r) => r.segment > 1 || r.offset < victim.offset);
    expect(keys(got)).toEqual(keys(want));
    expect(got.map((r) => r.payload)).toEqual(want.map((r) => r.payload));
    expect(statSync(file).size).toBe(victim.offset);
    const saved = `${file}.corrupt-${victim.offset}`;
    expect(readFileSync(saved).length).toBe(original.length - victim.offset);
    expect(log.at('error')[0].obj).toMatchObject({ file, offset: victim.offset, kind: 'bad-frame', savedTo: saved });
    wal.append(1, Buffer.from('after repair'));
    await wal.close();
    // Clean from now on, without repair.
    const again = captureLogger();
    expect(await replay({ dir, logger: again })).toHaveLength(want.length + 1);
    expect(again.at('warn').length + again.at('error').length).toBe(0);
  });

  it('repairWal fixes a directory offline and reports what it did', async () => {
    const { dir, recs } = await fixture();
    const victim = recs.filter((r) => r.segment === 2)[0];
    truncateSync(seg(dir, 2), victim.offset + 5); // a torn frame in a middle segment
    const res = await repairWal(dir, captureLogger());
    expect(res.problems).toMatchObject([{ kind: 'bad-frame', file: seg(dir, 2), offset: victim.offset, dropped: 5, action: 'truncated' }]);
    expect(res.records).toBe(recs.filter((r) => r.segment !== 2).length);
    expect((await verifyWal(dir)).problems).toEqual([]);
    expect((await repairWal(join(dir, 'absent'))).segments).toEqual([]);
  });

  it('a damaged segment header is corruption, in any segment; repair reinitialises it', async () => {
    const { dir, recs } = await fixture();
    const lastId = recs.at(-1)!.segment;
    for (const id of [1, lastId]) {
      const d = copyOf(dir);
      flip(seg(d, id), 2);
      const e = await corruptionOf(Wal.open({ dir: d }, () => {}));
      expect(e).toMatchObject({ file: seg(d, id), offset: 0 });
      expect(e.message).toMatch(/bad magic/);
      const got = await replay({ dir: d, repair: true, logger: captureLogger() });
      expect(keys(got)).toEqual(keys(recs.filter((r) => r.segment !== id)));
      expect(existsSync(`${seg(d, id)}.corrupt-0`)).toBe(true);
    }
    const d = copyOf(dir);
    truncateSync(seg(d, 1), 10); // a short header that is not the last segment's
    expect((await corruptionOf(Wal.open({ dir: d }, () => {}))).file).toBe(seg(d, 1));
  });

  it('a missing segment is corruption; repair fills the gap with an empty segment', async () => {
    const { dir, recs } = await fixture();
    unlinkSync(seg(dir, 2));
    const e = await corruptionOf(Wal.open({ dir }, () => {}));
    expect(e.file).toBe(seg(dir, 2));
    expect(e.message).toMatch(/missing/);
    const got = await replay({ dir, repair: true, logger: captureLogger() });
    expect(keys(got)).toEqual(keys(recs.filter((r) => r.segment !== 2)));
    expect(statSync(seg(dir, 2)).size).toBe(SEGMENT_HEADER_SIZE);
    expect((await verifyWal(dir)).problems).toEqual([]);
  });

  it('ignores files that are not segments', async () => {
    const { dir, recs } = await fixture();
    writeFileSync(join(dir, 'README'), 'x');
    writeFileSync(join(dir, '12.wal'), 'x');
    expect(await replay({ dir })).toHaveLength(recs.length);
  });
});
