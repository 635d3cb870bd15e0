// Restart benchmark (storage issue): a database with N series and N x P points is written
// and flushed, then a fresh process opens it and answers a first query; prints the open
// time, the first-query time and their sum (goal: under 10 s for 1M series, 10M points).
//
//   npx tsx bench/restart.ts [--series 1000000] [--points 10] [--dir DIR] [--keep]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/index.js';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const series = Number(arg('series', '1000000'));
const points = Number(arg('points', '10'));
const dir = arg('dir', path.join(os.tmpdir(), `strata-restart-${process.pid}`))!;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01

if (process.argv.includes('--child')) {
  // The measured part: a fresh process opens the data dir and runs one tag query.
  const t0 = performance.now();
  const db = await openDatabase({ dataDir: dir, fsync: 'off' });
  const t1 = performance.now();
  const cols = db.select({ db: 'bench', measurement: 'cpu', where: [{ key: 'host', op: '=', value: `host_${Math.floor(series / 2)}` }] });
  const t2 = performance.now();
  const n = cols.reduce((s, c) => s + c.times.length, 0);
  console.log(JSON.stringify({ open_s: (t1 - t0) / 1000, first_query_s: (t2 - t1) / 1000, total_s: (t2 - t0) / 1000, points_returned: n, rss_mb: Math.round(process.memoryUsage().rss / 1048576) }));
  await db.close();
  process.exit(0);
}

fs.rmSync(dir, { recursive: true, force: true });
const t0 = performance.now();
const db = await openDatabase({ dataDir: dir, fsync: 'off', memoryBudget: 8 * 1024 ** 3 });
const BATCH = 10_000;
for (let p = 0; p < points; p++) {
  const t = T0 + BigInt(p) * 10_000_000_000n;
  for (let s = 0; s < series; s += BATCH) {
    let body = '';
    for (let i = s; i < Math.min(series, s + BATCH); i++) body += `cpu,host=host_${i},region=r${i % 16},rack=${i % 100} usage=${(i * 7 + p) % 100}.5 ${t}\n`;
    const r = await db.write(body, { db: 'bench' });
    if (r.errors.length) throw new Error(r.errors[0].message);
  }
}
await db.flush();
await db.compact();
const stats = db.stats();
await db.close();
console.log(`wrote ${series.toLocaleString('en-US')} series x ${points} points in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${stats.tsmFiles} TSM files, ${(stats.tsmBytes / 1e6).toFixed(1)} MB`);
const self = fileURLToPath(import.meta.url);
const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', '--dir', dir, '--series', String(series)], { encoding: 'utf8' });
const r = JSON.parse(out.trim().split('\n').pop()!);
console.log(`restart: open ${r.open_s.toFixed(2)} s + first query ${r.first_query_s.toFixed(3)} s = ${r.total_s.toFixed(2)} s (${r.points_returned} points returned, RSS ${r.rss_mb} MB)`);
if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
