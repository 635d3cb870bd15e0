// Full-scan read speed: opens a data directory (server stopped) and reads every series and
// field of every measurement through the library's select path (index, TSM blocks, decode,
// merge with what is still in the WAL/memtable). Prints points/s, median of --runs.
//
//   npx tsx bench/scan.ts --data-dir DIR [--db bench] [--runs 3] [--json FILE]
import fs from 'node:fs';
import { openDatabase } from '../src/index.js';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const dataDir = arg('data-dir');
if (!dataDir) {
  console.error('usage: npx tsx bench/scan.ts --data-dir DIR [--db bench] [--runs 3] [--json FILE]');
  process.exit(2);
}
const name = arg('db', 'bench')!;
const runs = Number(arg('runs', '3'));
const db = await openDatabase({ dataDir, fsync: 'off', blockCacheBytes: 0 });
const times: number[] = [];
let points = 0;
for (let r = 0; r < runs; r++) {
  points = 0;
  const t0 = process.hrtime.bigint();
  for (const m of db.measurements(name)) {
    for (const c of db.select({ db: name, measurement: m })) points += c.times.length;
  }
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
await db.close();
times.sort((a, b) => a - b);
const med = times[times.length >> 1];
const result = { db: name, points, median_s: med, points_per_s: Math.round(points / med) };
console.log(`full scan of ${name}: ${points.toLocaleString('en-US')} points, median ${med.toFixed(2)} s, ${result.points_per_s.toLocaleString('en-US')} points/s`);
const json = arg('json');
if (json) fs.writeFileSync(json, JSON.stringify(result) + '\n');
