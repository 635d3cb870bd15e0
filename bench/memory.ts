// Where the memory goes: ingests line protocol into an in-process Database with no flushes
// (a memtable limit larger than the data) and prints, every N lines, the memtable's
// accounted bytes beside process.memoryUsage() (after a GC, so garbage is not counted).
//
//   node --expose-gc --import tsx bench/memory.ts [FILE] [LINES] [EVERY] [MEMTABLE BUDGET CACHE]
// defaults: /tmp/peers-data/iot-d1000-6h.lp, 2,000,000 lines, every 400,000 lines, and no
// flushes. With MEMTABLE/BUDGET/CACHE (bytes) it flushes and pushes back like a server
// (refused writes are retried after 50 ms), and also prints a line every 250 ms without a
// GC (what the process really holds, garbage included).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { openDatabase } from '../src/engine/database.js';

const file = process.argv[2] ?? '/tmp/peers-data/iot-d1000-6h.lp';
const maxLines = Number(process.argv[3] ?? 2_000_000);
const every = Number(process.argv[4] ?? 400_000);
const gc = (globalThis as { gc?: () => void }).gc;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-mem-'));
const limits = process.argv[5]
  ? { memtableBytes: Number(process.argv[5]), memoryBudget: Number(process.argv[6]), blockCacheBytes: Number(process.argv[7] ?? 8 * 2 ** 20) }
  : { memtableBytes: 2 ** 50, memoryBudget: 2 ** 50 };
const db = await openDatabase({ dataDir: dir, fsync: 'off', ...limits });
const mib = (n: number) => (n / 2 ** 20).toFixed(1).padStart(7);

function report(lines: number, collect = true): void {
  if (collect) gc?.();
  const m = process.memoryUsage();
  const acc = db.stats().memtableBytes;
  console.log(
    `${String(lines).padStart(9)} lines  accounted ${mib(acc)}  heapUsed ${mib(m.heapUsed)}  heapTotal ${mib(m.heapTotal)}  external ${mib(m.external)}  arrayBuffers ${mib(m.arrayBuffers)}  rss ${mib(m.rss)}  (heapUsed+external)/accounted ${((m.heapUsed + m.external) / Math.max(1, acc)).toFixed(2)}`,
  );
}

report(0);
let lines = 0;
let refused = 0;
const timer = process.argv[5] ? setInterval(() => report(lines, false), 250) : undefined;
async function write(body: string): Promise<void> {
  for (;;) {
    try {
      await db.write(body, { db: 'bench' });
      return;
    } catch (err) {
      if ((err as { status?: number }).status !== 503) throw err;
      refused++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
let batch: string[] = [];
for await (const line of rl) {
  batch.push(line);
  lines++;
  if (batch.length === 5000) {
    await write(batch.join('\n'));
    batch = [];
  }
  if (lines % every === 0) report(lines);
  if (lines >= maxLines) break;
}
if (batch.length) await write(batch.join('\n'));
clearInterval(timer);
report(lines);
console.log(`refused ${refused} writes`);
await db.close();
fs.rmSync(dir, { recursive: true, force: true });
