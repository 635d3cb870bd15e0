// A TSM file is read back before it is published: a file whose bytes on disk do not match
// their CRCs (here damaged between the writer's fsync and its read-back, as a faulty disk
// or a writer bug would leave it) is never renamed into place, so a compaction whose output
// is bad fails with its inputs untouched. Readers of files this process wrote start
// `verified` and skip the CRC of their first read of each block (the read-back did it).

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CorruptionError } from '../errors.js';
import { initCodecs } from '../gorilla/index.js';
import { FLOAT } from '../types.js';
import { compactFiles } from './compact.js';
import { FOOTER_SIZE, HEADER_SIZE, TEMP_SUFFIX } from './format.js';
import { TsmReader } from './reader.js';
import { tmpDir } from './testing/columns.js';
import { readBackProblem, verifyTsmFile } from './verify.js';
import { writeTsmFile, type TsmColumnInput } from './writer.js';

let dir: string;
beforeAll(async () => {
  await initCodecs();
  dir = tmpDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function columns(from: number): TsmColumnInput[] {
  return Array.from({ length: 5 }, (_, s) => {
    const times = BigInt64Array.from({ length: 40 }, (_, i) => BigInt(from + i) * 1000n);
    return { seriesId: s, field: 'v', type: FLOAT, times, values: Float64Array.from({ length: 40 }, (_, i) => s * 100 + from + i) };
  });
}

/** Flips the byte at `pos(size)` of whatever file is fsynced, right after the fsync. */
function damageAtFsync(pos: (size: number) => number): void {
  const fsync = fs.fsyncSync;
  vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
    fsync(fd);
    const size = fs.fstatSync(fd).size;
    const b = Buffer.alloc(1);
    const p = fs.openSync(`/proc/self/fd/${fd}`, 'r+');
    try {
      fs.readSync(p, b, 0, 1, pos(size));
      b[0] ^= 0xff;
      fs.writeSync(p, b, 0, 1, pos(size));
    } finally {
      fs.closeSync(p);
    }
  });
}

describe.runIf(process.platform === 'linux')('TSM read-back before publishing', () => {
  it('a file whose block does not match its CRC is not published', () => {
    const out = path.join(dir, 'bad-block.tsm');
    damageAtFsync(() => HEADER_SIZE + 12); // in the first block
    expect(() => writeTsmFile(out, columns(0), { maxPointsPerBlock: 10 })).toThrow(/does not read back: block CRC mismatch/);
    vi.restoreAllMocks();
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(out + TEMP_SUFFIX)).toBe(false);
  });

  it('nor one whose index does not match its CRC', () => {
    const out = path.join(dir, 'bad-index.tsm');
    damageAtFsync((size) => size - FOOTER_SIZE - 3); // in the index, just before the footer
    let err: unknown;
    try {
      writeTsmFile(out, columns(0), { maxPointsPerBlock: 10 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err)).toMatch(/does not read back: .*index/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a compaction whose output does not read back fails, its inputs untouched', () => {
    const a = path.join(dir, 'in-a.tsm');
    const b = path.join(dir, 'in-b.tsm');
    writeTsmFile(a, columns(0), { maxPointsPerBlock: 10 });
    writeTsmFile(b, columns(40), { maxPointsPerBlock: 10 });
    const before = [fs.readFileSync(a), fs.readFileSync(b)];
    const out = path.join(dir, 'merged.tsm');
    damageAtFsync(() => HEADER_SIZE + 12);
    expect(() => compactFiles([a, b], out)).toThrow(/does not read back/);
    vi.restoreAllMocks();
    expect(fs.existsSync(out)).toBe(false);
    expect([fs.readFileSync(a), fs.readFileSync(b)]).toEqual(before);
    expect(verifyTsmFile(a).ok && verifyTsmFile(b).ok).toBe(true);
    // without the damage the same compaction publishes a file that reads back clean
    const meta = compactFiles([a, b], out);
    expect(meta.pointCount).toBe(400);
    expect(readBackProblem(out)).toBeNull();
  });

  it('a verified reader skips the first read\'s CRC check; a fresh open makes it', () => {
    const f = path.join(dir, 'verified.tsm');
    writeTsmFile(f, columns(0), { maxPointsPerBlock: 40 });
    const trusted = TsmReader.open(f, { verified: true });
    const checking = TsmReader.open(f);
    try {
      const want = checking.readFloat(2, 'v')!;
      expect(Array.from(trusted.readFloat(2, 'v')!.values)).toEqual(Array.from(want.values));
      // damage a stored CRC (the block's bytes stay as they were): only the reader that
      // has not read block 3 yet and was not opened verified notices
      const [ref] = trusted.blocks(3, 'v');
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, Buffer.from([0, 0, 0, 0]), 0, 4, ref.offset);
      fs.closeSync(fd);
      expect(Array.from(trusted.readFloat(3, 'v')!.values)).toEqual(Array.from({ length: 40 }, (_, i) => 300 + i));
      expect(() => checking.readFloat(3, 'v')).toThrow(/block CRC mismatch/);
      expect(readBackProblem(f)?.message).toMatch(/block CRC mismatch/);
    } finally {
      trusted.close();
      checking.close();
    }
  });
});
