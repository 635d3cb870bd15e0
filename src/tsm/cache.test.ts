import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOAT } from '../types.js';
import { BlockCache, decodedBytes } from './cache.js';
import { TsmReader } from './reader.js';
import { tmpDir } from './testing/columns.js';
import { writeTsmFile } from './writer.js';
import type { TsmColumnInput } from './writer.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cols(series: number, points: number, scale = 1): TsmColumnInput[] {
  return Array.from({ length: series }, (_, s) => ({
    seriesId: s,
    field: 'v',
    type: FLOAT,
    times: BigInt64Array.from({ length: points }, (_, i) => BigInt(i) * 10n),
    values: Float64Array.from({ length: points }, (_, i) => (s * 1000 + i) * scale),
  }));
}

describe('block cache', () => {
  it('keeps within its byte budget, evicting the least recently used blocks', () => {
    const p = path.join(dir, 'a.tsm');
    writeTsmFile(p, cols(20, 500), { maxPointsPerBlock: 100 }); // 100 blocks of 100 points
    const blockBytes = 200 + 100 * 16;
    const cache = new BlockCache(5 * blockBytes);
    const r = TsmReader.open(p, { cache });
    for (let s = 0; s < 20; s++) {
      r.read(s, 'v');
      expect(cache.bytes).toBeLessThanOrEqual(cache.budgetBytes);
    }
    expect(cache.entries).toBe(5);
    expect(cache.misses).toBe(100);
    expect(cache.hits).toBe(0);
    expect(cache.evictions).toBe(95);
    // the last five blocks read are the ones kept
    const reads = r.blockReads;
    r.read(19, 'v');
    expect(cache.hits).toBe(5);
    expect(r.blockReads).toBe(reads);
    r.read(0, 'v', 0n, 100n);
    expect(r.blockReads).toBe(reads + 1);
    r.close();
    expect(cache.entries).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('counts hits, serves equal data from the cache, and never mixes up files at one path', () => {
    const p = path.join(dir, 'b.tsm');
    writeTsmFile(p, cols(3, 50), { maxPointsPerBlock: 10 });
    const cache = new BlockCache(1 << 20);
    const r = TsmReader.open(p, { cache });
    const first = r.read(1, 'v', 100n, 300n)!;
    expect(cache.misses).toBe(2); // blocks [100, 190] and [200, 290]
    const again = r.read(1, 'v', 100n, 300n)!;
    expect(cache.hits).toBe(2);
    expect(again).toEqual(first);
    // the caller owns what read() returns: changing it does not change the cache
    (again.values as Float64Array).fill(-1);
    expect(r.read(1, 'v', 100n, 300n)).toEqual(first);
    // a new file under the same name, opened while the old reader is still open
    writeTsmFile(p, cols(3, 50, 2), { maxPointsPerBlock: 10 });
    const r2 = TsmReader.open(p, { cache });
    expect(Array.from(r2.read(1, 'v', 100n, 110n)!.values as Float64Array)).toEqual([2020]);
    r.close();
    r2.close();
  });

  it('does not keep a block larger than the budget', () => {
    const p = path.join(dir, 'c.tsm');
    writeTsmFile(p, cols(1, 1000));
    const cache = new BlockCache(1000);
    const r = TsmReader.open(p, { cache });
    r.read(0, 'v');
    r.read(0, 'v');
    expect(cache.entries).toBe(0);
    expect(cache.bytes).toBe(0);
    expect(cache.misses).toBe(2);
    r.close();
  });

  it('estimates string blocks by their payload', () => {
    const small = decodedBytes({ type: 5, times: new BigInt64Array(2), values: ['a', 'b'] });
    const big = decodedBytes({ type: 5, times: new BigInt64Array(2), values: ['a'.repeat(1000), 'b'] });
    expect(big - small).toBe(2 * 999);
  });
});
