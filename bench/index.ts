// Series index benchmark: a database of N devops-shaped series (`cpu` with the 10 tags of
// the TSBS devops workload, ../shared/peers/gen.mjs), closed, then reopened in a fresh
// process that times open + the first query, as the restart acceptance item asks.
//
//   npx tsx bench/index.ts [--series 1000000] [--dir DIR] [--keep]
//
// Prints: build time, file sizes, then for the reopen (with the snapshot, and without it,
// i.e. rebuilding the postings from the series file): open time, first select time, the
// lazy key-map build on the first lookup, RSS and heap + native memory per series.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSeriesKey } from '../src/ingest/seriesKey.js';
import { Postings } from '../src/index/postings.js';
import { SNAPSHOT_NAME } from '../src/index/seriesFile.js';
import { SERIES_FILE_NAME, SeriesIndex } from '../src/index/seriesIndex.js';
import { mulberry32 as rng } from '../src/testing/random.js';

const REGIONS: Record<string, string[]> = {
  'us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1e'],
  'us-west-1': ['us-west-1a', 'us-west-1b'],
  'us-west-2': ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  'eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  'eu-central-1': ['eu-central-1a', 'eu-central-1b'],
  'ap-southeast-1': ['ap-southeast-1a', 'ap-southeast-1b'],
  'ap-southeast-2': ['ap-southeast-2a', 'ap-southeast-2b'],
  'ap-northeast-1': ['ap-northeast-1a', 'ap-northeast-1c'],
  'sa-east-1': ['sa-east-1a', 'sa-east-1b', 'sa-east-1c'],
};
const REGION_NAMES = Object.keys(REGIONS);

function devopsKey(i: number, r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const region = pick(REGION_NAMES);
  return makeSeriesKey('cpu', [
    ['hostname', `host_${i}`],
    ['region', region],
    ['datacenter', pick(REGIONS[region])],
    ['rack', String(Math.floor(r() * 100))],
    ['os', pick(['Ubuntu16.10', 'Ubuntu16.04LTS', 'Ubuntu15.10'])],
    ['arch', pick(['x64', 'x86'])],
    ['team', pick(['SF', 'NYC', 'LON', 'CHI'])],
    ['service', String(Math.floor(r() * 20))],
    ['service_version', String(Math.floor(r() * 2))],
    ['service_environment', pick(['production', 'staging', 'test'])],
  ]);
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const ms = (n: number): string => `${n.toFixed(0)} ms`;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

interface ReopenResult {
  openMs: number;
  firstQueryMs: number;
  firstQueryIds: number[];
  keyMapMs: number;
  rssAfterOpen: number;
  memAfterOpen: number;
  rssAfterKeyMap: number;
  memAfterKeyMap: number;
  memBefore: number;
  replayed: number;
  series: number;
}

/** Heap + off-heap buffers + roaring's native allocations. */
function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers + Postings.nativeMemory();
}

async function reopenChild(dir: string): Promise<void> {
  global.gc?.();
  const memBefore = memory();
  const t0 = performance.now();
  const idx = await SeriesIndex.open(dir, { db: 'bench', maxSeries: 0, snapshotEvery: 0 });
  const t1 = performance.now();
  const hits = idx.select('cpu', [{ key: 'hostname', op: '=', value: 'host_5' }]);
  const t2 = performance.now();
  global.gc?.();
  const rssAfterOpen = process.memoryUsage().rss;
  const memAfterOpen = memory();
  const t3 = performance.now();
  const id = idx.get(idx.keyOf(hits.toArray()[0]));
  const keyMapMs = performance.now() - t3;
  if (id !== 5) throw new Error(`lookup returned ${id}`);
  global.gc?.();
  const res: ReopenResult = {
    openMs: t1 - t0,
    firstQueryMs: t2 - t1,
    firstQueryIds: hits.toArray(),
    keyMapMs,
    rssAfterOpen,
    memAfterOpen,
    rssAfterKeyMap: process.memoryUsage().rss,
    memAfterKeyMap: memory(),
    memBefore,
    replayed: idx.stats().replayed,
    series: idx.seriesCount,
  };
  await idx.close();
  process.stdout.write(JSON.stringify(res));
}

function runChild(dir: string): ReopenResult {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...process.execArgv, '--expose-gc', self, '--reopen', dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out) as ReopenResult;
}

function report(label: string, r: ReopenResult, n: number): void {
  console.log(`\n${label}`);
  console.log(`  open                 ${ms(r.openMs)}  (${r.replayed} series-file entries indexed)`);
  console.log(`  first select         ${ms(r.firstQueryMs)}  cpu{hostname="host_5"} -> ids ${JSON.stringify(r.firstQueryIds)}`);
  console.log(`  open + first query   ${ms(r.openMs + r.firstQueryMs)}`);
  console.log(`  first key lookup     ${ms(r.keyMapMs)}  (builds the key -> id map)`);
  console.log(`  RSS after open       ${mb(r.rssAfterOpen)}; after key map ${mb(r.rssAfterKeyMap)}`);
  const perOpen = (r.memAfterOpen - r.memBefore) / n;
  const perMap = (r.memAfterKeyMap - r.memBefore) / n;
  console.log(`  memory per series    ${perOpen.toFixed(0)} B after open, ${perMap.toFixed(0)} B with the key map (heap + buffers + roaring)`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--reopen')) return reopenChild(arg('--reopen', ''));
  const n = Number(arg('--series', '1000000'));
  const dir = arg('--dir', path.join(os.tmpdir(), `strata-index-bench-${process.pid}`));
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`series index benchmark: ${n} devops series (cpu, 10 tags) in ${dir}`);

  const r = rng(42);
  const keys: string[] = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = devopsKey(i, r);
  const t0 = performance.now();
  const idx = await SeriesIndex.open(dir, { db: 'bench', maxSeries: 0 });
  for (let i = 0; i < n; i++) idx.getOrCreate(keys[i]);
  await idx.sync();
  const t1 = performance.now();
  await idx.close();
  const t2 = performance.now();
  keys.length = 0;
  const seriesBytes = fs.statSync(path.join(dir, SERIES_FILE_NAME)).size;
  const snapBytes = fs.statSync(path.join(dir, SNAPSHOT_NAME)).size;
  console.log(`  create ${n} series    ${ms(t1 - t0)} (${((n / (t1 - t0)) * 1000).toFixed(0)} series/s, background snapshots included)`);
  console.log(`  close (snapshot)     ${ms(t2 - t1)}`);
  console.log(`  files                series ${mb(seriesBytes)} (${(seriesBytes / n).toFixed(1)} B/series), ${SNAPSHOT_NAME} ${mb(snapBytes)} (${(snapBytes / n).toFixed(1)} B/series)`);

  report('reopen (fresh process, snapshot + empty tail):', runChild(dir), n);

  const snap = path.join(dir, SNAPSHOT_NAME);
  fs.renameSync(snap, `${snap}.aside`);
  report('reopen without the snapshot (rebuild from the series file; once after a crash before any snapshot):', runChild(dir), n);
  fs.rmSync(snap, { force: true });
  fs.renameSync(`${snap}.aside`, snap);

  if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}

await main();
