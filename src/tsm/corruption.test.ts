// Damaged and torn files: every damage is found, named by file and offset, and a damaged
// block spoils only reads that need it.

import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.js';
import { FLOAT, STRING } from '../types.js';
import { BlockCache } from './cache.js';
import { FOOTER_SIZE, HEADER_SIZE } from './format.js';
import { TsmReader } from './reader.js';
import { tsmScratch } from './testing/files.js';
import { verifyTsmFile } from './verify.js';
import { TsmWriter, writeTsmFile } from './writer.js';
import type { TsmColumnInput, TsmFileMeta } from './writer.js';

const file = tsmScratch();

/** 20 series × 2 fields (float, string), 30 points each in blocks of 10. */
function columns(): TsmColumnInput[] {
  const cols: TsmColumnInput[] = [];
  for (let s = 0; s < 20; s++) {
    const times = BigInt64Array.from({ length: 30 }, (_, i) => 1_000_000n + BigInt(i) * 1000n);
    cols.push({ seriesId: s, field: 'temp', type: FLOAT, times, values: Float64Array.from({ length: 30 }, (_, i) => s + i * 0.25) });
    cols.push({ seriesId: s, field: 'text', type: STRING, times, values: Array.from({ length: 30 }, (_, i) => `s${s}-${i % 4}`) });
  }
  return cols;
}

function writeSample(): { path: string; meta: TsmFileMeta; bytes: Buffer } {
  const p = file();
  const meta = writeTsmFile(p, columns(), { maxPointsPerBlock: 10 });
  return { path: p, meta, bytes: fs.readFileSync(p) };
}

function corruptionOf(fn: () => unknown): CorruptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CorruptionError);
    return err as CorruptionError;
  }
  throw new Error('expected a CorruptionError');
}

describe('torn and partial files', () => {
  it('never opens the .tmp of an unfinished write', () => {
    const p = file();
    const w = new TsmWriter(p);
    w.add(columns()[0]);
    // (a crash here leaves only p.tmp)
    expect(() => TsmReader.open(p)).toThrow(/ENOENT/);
    expect(() => TsmReader.open(p + '.tmp')).toThrow(/temporary file/);
    expect(verifyTsmFile(p + '.tmp')).toMatchObject({ ok: false, problems: [{ file: p + '.tmp', offset: 0 }] });
    w.abort();
    // a complete file that was never renamed is refused as well
    const done = writeSample();
    fs.copyFileSync(done.path, done.path + '.tmp');
    expect(() => TsmReader.open(done.path + '.tmp')).toThrow(/temporary file/);
  });

  it('reports a truncated file at every length as corruption with an offset', () => {
    const { path: p, bytes } = writeSample();
    const cut = file();
    for (let len = 0; len < bytes.length; len += len < 200 ? 1 : 7) {
      fs.writeFileSync(cut, bytes.subarray(0, len));
      const err = corruptionOf(() => TsmReader.open(cut));
      expect(err.file).toBe(cut);
      expect(err.offset).toBe(len < HEADER_SIZE + FOOTER_SIZE ? len : len - FOOTER_SIZE);
      expect(err.message).toMatch(/truncated/);
      const v = verifyTsmFile(cut);
      expect(v.ok).toBe(false);
      expect(v.problems[0]).toMatchObject({ file: cut, offset: err.offset });
    }
    // extended by a byte
    fs.writeFileSync(cut, Buffer.concat([bytes, Buffer.from([0])]));
    expect(corruptionOf(() => TsmReader.open(cut)).offset).toBe(bytes.length + 1 - FOOTER_SIZE);
    expect(verifyTsmFile(p).ok).toBe(true);
  });
});

describe('damaged blocks', () => {
  it('a flipped bit in a block fails reads of that block only, naming its offset', () => {
    const { path: p, bytes } = writeSample();
    const r0 = TsmReader.open(p);
    const targets = [...r0.columns()].flatMap((c) => r0.blocks(c.seriesId, c.field).map((b) => ({ ...c, b })));
    r0.close();
    const bad = file();
    fc.assert(
      fc.property(fc.nat({ max: targets.length - 1 }), fc.nat(), fc.nat({ max: 7 }), (ti, pos, bit) => {
        const { seriesId, field, b } = targets[ti];
        const at = b.offset + (pos % (4 + b.size)); // the CRC or the block bytes
        const damaged = Buffer.from(bytes);
        damaged[at] ^= 1 << bit;
        fs.writeFileSync(bad, damaged);
        const cache = new BlockCache(1 << 20);
        const r = TsmReader.open(bad, { cache });
        try {
          for (let k = 0; k < 2; k++) {
            const err = corruptionOf(() => r.read(seriesId, field));
            expect(err.file).toBe(bad);
            expect(err.offset).toBe(b.offset);
            expect(err.code).toBe('STRATA_ERR_CORRUPT');
            expect(err.message).toContain(`${bad} at offset ${b.offset}`);
          }
          expect(() => r.rawBlock(b)).toThrow(CorruptionError);
          // the same column outside the damaged block, and every other column, still read
          expect(r.read(seriesId, field, b.maxTime + 1n)!.times.length).toBe(r.blocks(seriesId, field).filter((x) => x.minTime > b.maxTime).reduce((a, x) => a + x.count, 0));
          for (const c of r.columns()) {
            if (c.seriesId === seriesId && c.field === field) continue;
            expect(r.read(c.seriesId, c.field)!.times.length).toBe(30);
          }
        } finally {
          r.close();
        }
        const v = verifyTsmFile(bad);
        expect(v.ok).toBe(false);
        expect(v.problems).toEqual([{ file: bad, offset: b.offset, message: expect.any(String) }]);
        expect(v.blocks).toBe(targets.length);
      }),
      { numRuns: 150 },
    );
  });

  it('verify reports every damaged block and unknown series ids', () => {
    const { path: p, bytes, meta } = writeSample();
    const r = TsmReader.open(p);
    const b1 = r.blocks(3, 'temp')[1];
    const b2 = r.blocks(17, 'text')[0];
    r.close();
    const damaged = Buffer.from(bytes);
    damaged[b1.offset + 20] ^= 0xff;
    damaged[b2.offset + 4 + b2.size - 1] ^= 0x10;
    fs.writeFileSync(p, damaged);
    const v = verifyTsmFile(p, { seriesExists: (id) => id !== 5 });
    expect(v.ok).toBe(false);
    expect(v.blocks).toBe(meta.blockCount);
    expect(v.points).toBe(meta.pointCount);
    expect(v.problems.map((x) => x.offset)).toEqual([expect.any(Number), b1.offset, b2.offset]);
    expect(v.problems[0].message).toMatch(/series id 5 .*not in the series index/);
    expect(v.problems[0].offset).toBeGreaterThan(b2.offset);
    expect(v.problems[1].message).toMatch(/CRC mismatch/);
  });
});

describe('damaged header, index and footer', () => {
  it('a flipped bit anywhere outside the blocks fails open and verify, naming an offset', () => {
    const { path: p, bytes } = writeSample();
    const r = TsmReader.open(p);
    const last = [...r.columns()].at(-1)!;
    const lb = r.blocks(last.seriesId, last.field).at(-1)!;
    r.close();
    const indexAt = lb.offset + 4 + lb.size;
    const footerAt = bytes.length - FOOTER_SIZE;
    const bad = file();
    const positions = [...Array(HEADER_SIZE).keys(), ...Array.from({ length: bytes.length - indexAt }, (_, i) => indexAt + i)];
    for (const at of positions) {
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 1 << (at % 8);
      fs.writeFileSync(bad, damaged);
      const err = corruptionOf(() => TsmReader.open(bad));
      expect(err.file).toBe(bad);
      const want = at < HEADER_SIZE ? 0 : at < footerAt ? indexAt : footerAt;
      expect(err.offset).toBe(want);
      const v = verifyTsmFile(bad);
      expect(v.ok).toBe(false);
      expect(v.problems[0]).toMatchObject({ file: bad, offset: want });
    }
  });
});
