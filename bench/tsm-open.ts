// Open time and memory of a large TSM file: S series × F fields (float, devops-like random
// walks), P points per column at 10 s intervals. Run:
//   node --expose-gc --import tsx bench/tsm-open.ts [series=100000] [fields=10] [points=10] [blocksPerColumn=1]
// Prints the write time, file and index size, open time (cold process cache of ours, warm
// OS page cache), the heap and array-buffer memory the open reader holds, and random reads.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FLOAT } from '../src/types.js';
import { BlockCache } from '../src/tsm/cache.js';
import { TsmReader } from '../src/tsm/reader.js';
import { verifyTsmFile } from '../src/tsm/verify.js';
import { TsmWriter } from '../src/tsm/writer.js';

const [S = 100_000, F = 10, P = 10, B = 1] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tsm-bench-'));
const file = path.join(dir, 'big.tsm');
const mem = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

try {
  const fields = Array.from({ length: F }, (_, i) => `field_${String(i).padStart(2, '0')}`);
  const times = BigInt64Array.from({ length: P }, (_, i) => 1767225600000000000n + BigInt(i) * 10_000_000_000n);
  const values = new Float64Array(P);
  let t = performance.now();
  const w = new TsmWriter(file, { maxPointsPerBlock: Math.ceil(P / B) });
  let x = 50;
  for (let s = 0; s < S; s++) {
    for (const field of fields) {
      for (let i = 0; i < P; i++) values[i] = x += Math.random() - 0.5;
      w.add({ seriesId: s, field, type: FLOAT, times, values });
    }
  }
  const meta = w.finish();
  const writeMs = performance.now() - t;
  const before = mem();
  t = performance.now();
  const r = TsmReader.open(file, { cache: new BlockCache(64 << 20) });
  const openMs = performance.now() - t;
  const held = mem() - before;
  const lastBlock = r.blocks(S - 1, fields[F - 1]).at(-1)!;
  const indexBytes = meta.size - (lastBlock.offset + 4 + lastBlock.size) - 36;
  t = performance.now();
  let got = 0;
  const N = 10_000;
  for (let k = 0; k < N; k++) got += r.read(Math.floor(Math.random() * S), fields[k % F])!.times.length;
  const readMs = performance.now() - t;
  r.close();
  t = performance.now();
  const v = verifyTsmFile(file);
  const verifyMs = performance.now() - t;
  const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  console.log(`${S} series × ${F} fields × ${P} points: ${S * F} columns, ${meta.blockCount} blocks, ${meta.pointCount} points`);
  console.log(`write ${(writeMs / 1000).toFixed(1)} s; file ${mb(meta.size)} (${(meta.size / meta.pointCount).toFixed(2)} B/point), index ${mb(indexBytes)} (${(indexBytes / meta.blockCount).toFixed(1)} B/block)`);
  console.log(`open ${openMs.toFixed(0)} ms; reader holds ${mb(held)} (${(held / meta.blockCount).toFixed(1)} B/block)`);
  console.log(`verify ${(verifyMs / 1000).toFixed(1)} s (${v.ok ? 'clean' : `${v.problems.length} problems`}, ${v.blocks} blocks)`);
  console.log(`${N} random column reads: ${((readMs * 1000) / N).toFixed(1)} µs each (${got} points)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
