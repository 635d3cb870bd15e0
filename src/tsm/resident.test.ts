// Resident TSM data (resident.ts): a resident reader gives the points a reader on pread
// gives, reads its blocks from memory (shown by damaging the file on disk after the load),
// the newest files take the budget, and a file cut or replaced before its load stays on
// pread and reports its damage as before.

import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.js';
import { FLOAT, STRING } from '../types.js';
import { TsmReader } from './reader.js';
import { defaultResidentBytes, ResidentSet, type ResidentFile } from './resident.js';
import { fileArb } from './testing/columns.js';
import { tsmScratch } from './testing/files.js';
import { writeTsmFile, type TsmColumnInput } from './writer.js';

const file = tsmScratch();

/** One float column of `n` points every 10 s from `t0` (ns), values that do not compress. */
function floats(seriesId: number, t0: bigint, n: number): TsmColumnInput {
  const times = new BigInt64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = t0 + BigInt(i) * 10_000_000_000n;
    values[i] = Math.sin(i * 0.37 + seriesId) * 1e6 + i / 7;
  }
  return { seriesId, field: 'v', type: FLOAT, times, values };
}

/** Everything a reader gives: every column by read() and readFloat(), whole and in parts. */
function everything(r: TsmReader, cols: readonly TsmColumnInput[]): unknown[] {
  const out: unknown[] = [];
  for (const c of cols) {
    const n = c.times.length;
    const cuts = n === 0 ? [undefined] : [undefined, c.times[0], c.times[Math.floor(n / 2)], c.times[n - 1] + 1n];
    for (const a of cuts) {
      for (const b of cuts) {
        const col = r.read(c.seriesId, c.field, a, b);
        out.push(col === null ? null : [col.type, Array.from(col.times, String), Array.from(col.values as ArrayLike<unknown>, String)]);
        if (c.type !== STRING) {
          const ms = (t: bigint | undefined): number | undefined => (t === undefined ? undefined : Number(t / 1_000_000n));
          const f = r.readFloat(c.seriesId, c.field, ms(a), ms(b));
          out.push(f === null ? null : [Array.from(f.times), Array.from(f.values, (v) => Object.is(v, -0) ? '-0' : String(v))]);
        }
      }
    }
  }
  return out;
}

describe('resident TSM data', () => {
  it('gives the points pread gives, every block read from memory', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, async ({ maxPoints, cols }) => {
        const p = file();
        writeTsmFile(p, cols, { maxPointsPerBlock: maxPoints });
        const set = new ResidentSet(1 << 30);
        const plain = TsmReader.open(p);
        const res = TsmReader.open(p, { resident: set });
        try {
          await set.idle();
          expect(res.isResident).toBe(true);
          expect(set.files).toBe(1);
          expect(set.bytes).toBe(res.residentSize);
          expect(everything(res, cols)).toEqual(everything(plain, cols));
          expect(res.residentBlockReads).toBe(res.blockReads);
          expect(res.bytesRead).toBe(plain.bytesRead);
        } finally {
          plain.close();
          res.close();
        }
        expect(set.bytes).toBe(0);
        expect(set.admittedBytes).toBe(0);
      }),
      { numRuns: 60, seed: 20261122 },
    );
  });

  it('reads from memory: blocks zeroed on disk after the load still read, a reader on pread refuses them', async () => {
    const p = file();
    const cols = [floats(1, 0n, 3000), floats(2, 0n, 3000)];
    writeTsmFile(p, cols);
    const set = new ResidentSet(1 << 30);
    const res = TsmReader.open(p, { resident: set });
    await set.idle();
    const want = everything(res, cols);
    // zero every block's bytes (the header and the index stay)
    const first = res.blocks(1, 'v')[0].offset;
    const fd = fs.openSync(p, 'r+');
    fs.writeSync(fd, Buffer.alloc(res.residentSize - first), 0, res.residentSize - first, first);
    fs.closeSync(fd);
    const fresh = TsmReader.open(p, { resident: new ResidentSet(1 << 30) }); // its load is not awaited: pread
    try {
      expect(() => fresh.readFloat(1, 'v')).toThrow(/block CRC mismatch/);
      expect(everything(res, cols)).toEqual(want);
      expect(res.residentBlockReads).toBe(res.blockReads);
    } finally {
      res.close();
      fresh.close();
    }
  });

  it('gives the budget to the newest files, and to the next when one closes', async () => {
    const HOUR = 3_600_000_000_000n;
    const paths = [0n, 10n, 20n].map((h) => {
      const p = file();
      writeTsmFile(p, [floats(1, h * HOUR, 2000)]);
      return p;
    });
    const size = TsmReader.open(paths[0]);
    const one = size.residentSize;
    size.close();
    const set = new ResidentSet(2 * one + 100);
    // opened oldest last: ranking is by the newest point, not by opening order
    const [newest, middle, oldest] = [paths[2], paths[1], paths[0]].map((p) => TsmReader.open(p, { resident: set }));
    await set.idle();
    expect([newest.isResident, middle.isResident, oldest.isResident]).toEqual([true, true, false]);
    expect(set.files).toBe(2);
    expect(set.bytes).toBe(2 * one);
    newest.close();
    await set.idle();
    expect([middle.isResident, oldest.isResident]).toEqual([true, true]);
    // a newer file takes the place of the oldest
    const p = file();
    writeTsmFile(p, [floats(1, 30n * HOUR, 2000)]);
    const newer = TsmReader.open(p, { resident: set });
    await set.idle();
    expect([newer.isResident, middle.isResident, oldest.isResident]).toEqual([true, true, false]);
    expect(set.loads).toBe(4);
    for (const r of [newer, middle, oldest]) r.close();
    expect(set.bytes).toBe(0);
  });

  it('keeps nothing with a budget of 0, or of a file that does not fit', async () => {
    const p = file();
    writeTsmFile(p, [floats(1, 0n, 2000)]);
    for (const budget of [0, 1000]) {
      const set = new ResidentSet(budget);
      const r = TsmReader.open(p, { resident: set });
      await set.idle();
      expect(r.isResident).toBe(false);
      expect(r.readFloat(1, 'v')?.values.length).toBe(2000);
      expect(r.residentBlockReads).toBe(0);
      r.close();
    }
    expect(() => new ResidentSet(-1)).toThrow(RangeError);
  });

  it('leaves a file cut short before its load on pread, which names the cut block', async () => {
    const p = file();
    writeTsmFile(p, [floats(1, 0n, 3000)], { maxPointsPerBlock: 1000 });
    const set = new ResidentSet(1 << 30);
    const r = TsmReader.open(p, { resident: set });
    const blocks = r.blocks(1, 'v');
    fs.truncateSync(p, blocks[2].offset + 10); // before the loader's first read (it opens the file on a later turn)
    await set.idle();
    expect(r.isResident).toBe(false);
    expect(set.admittedBytes).toBe(0);
    expect(r.readFloat(1, 'v', 0, 1000 * 10_000)?.values.length).toBe(1000); // the first block is whole
    let err: unknown;
    try {
      r.readFloat(1, 'v');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).message).toContain(String(blocks[2].offset));
    r.close();
  });

  it('does not load a file replaced under the reader before its load', async () => {
    const p = file();
    const q = file();
    writeTsmFile(p, [floats(1, 0n, 2000)]);
    writeTsmFile(q, [floats(1, 0n, 2000)]);
    const set = new ResidentSet(1 << 30);
    const r = TsmReader.open(p, { resident: set });
    fs.renameSync(q, p);
    await set.idle();
    expect(r.isResident).toBe(false);
    expect(r.readFloat(1, 'v')?.values.length).toBe(2000); // its own open file, by pread
    r.close();
  });

  it('lets go of a file closed while it loads', async () => {
    const p = file();
    writeTsmFile(p, [floats(1, 0n, 20_000)]);
    const set = new ResidentSet(1 << 30, { chunkBytes: 4096 });
    const r = TsmReader.open(p, { resident: set });
    r.close();
    await set.idle();
    expect([set.bytes, set.files, set.admittedBytes, set.loads]).toEqual([0, 0, 0, 0]);
  });

  it('loads a file added just as the loader finishes the last one', async () => {
    const set = new ResidentSet(1 << 30);
    const fileOf = (newest: bigint): ResidentFile & { bytes: Buffer | null } => {
      const p = file();
      writeTsmFile(p, [floats(1, newest, 100)]);
      const st = fs.statSync(p);
      return { path: p, residentSize: st.size - 100, newest, dev: st.dev, ino: st.ino, bytes: null, setResident(b) { this.bytes = b; } };
    };
    const second = fileOf(1n);
    const first = fileOf(2n);
    const setFirst = first.setResident.bind(first);
    // the second file arrives from inside the first's hand-over: the loader's queue is
    // empty by the time the re-rank queues it
    first.setResident = (b) => {
      setFirst(b);
      if (b !== null) set.add(second);
    };
    set.add(first);
    await set.idle();
    expect(first.bytes?.length).toBe(first.residentSize);
    expect(second.bytes?.length).toBe(second.residentSize);
    expect(set.files).toBe(2);
  });

  it('defaults to 256 MiB, or an eighth of the memory if less', () => {
    const MIB = 1024 * 1024;
    expect(defaultResidentBytes(24 * 1024 * MIB)).toBe(256 * MIB);
    expect(defaultResidentBytes(1024 * MIB)).toBe(128 * MIB);
    expect(defaultResidentBytes(1000 * MIB)).toBe(125 * MIB);
  });
});
