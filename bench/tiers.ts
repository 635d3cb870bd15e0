// Downsampling tiers benchmark (docs/retention.md): one series written every 10 s for a
// year (3.15M points) into a policy that keeps raw points and has 1-minute and 1-hour
// tiers, rolled up by the Downsampler as the (fake) clock passes; then, after a flush and
// a full compaction, the bytes on disk of each tier and the time of 1-year queries read
// from raw points and from the tiers (medians of --runs, after one warm-up), with a check
// that both give the same answer.
//
//   npx tsx bench/tiers.ts [--days 365] [--interval-s 10] [--runs 7] [--dir /tmp/strata-bench-tiers] [--json FILE]
//
// bench/storage.sh runs it after the peers' storage comparison.

import fs from 'node:fs';
import { openDatabase } from '../src/engine/database.js';
import { executeQuery } from '../src/query/influxql/execute.js';
import type { QueryContext } from '../src/query/influxql/result.js';
import { rangeQuery } from '../src/query/promql/engine.js';
import { engineSource } from '../src/query/promql/storage.js';
import { Downsampler } from '../src/retention/downsampler.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const DAYS = Number(arg('days', '365'));
const INTERVAL = BigInt(arg('interval-s', '10')) * 1_000_000_000n;
const RUNS = Number(arg('runs', '7'));
const DIR = arg('dir', '/tmp/strata-bench-tiers');
const JSON_OUT = arg('json', '');

const MIN = 60_000_000_000n;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;
const T0 = BigInt(Date.parse('2025-01-01T00:00:00Z')) * 1_000_000n;
const ms = (ns: bigint) => Number(ns / 1_000_000n);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timeIt<T>(fn: () => T | Promise<T>): Promise<{ ms: number[]; out: T }> {
  let out = await fn(); // warm-up (block cache, JIT)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    out = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: times, out };
}

function sameNumbers(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameNumbers(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    return JSON.stringify(ka) === JSON.stringify(Object.keys(b).sort()) && ka.every((k) => sameNumbers((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

async function main(): Promise<void> {
  fs.rmSync(DIR, { recursive: true, force: true });
  let clock = T0;
  const db = await openDatabase({ dataDir: DIR, fsync: 'off', now: () => clock, retentionCheckMs: 0 });
  await db.createDatabase('bench');
  await db.setTiers('bench', 'autogen', [
    { resolution: MIN, duration: 0n },
    { resolution: HOUR, duration: 0n },
  ]);
  const ds = new Downsampler({ db, dataDir: DIR, now: () => clock });

  // A gauge wandering between 0 and 100; 1.234 s past each 10 s step, off window boundaries.
  const tw = performance.now();
  let v = 50;
  let seed = 1;
  let points = 0;
  let rollMs = 0;
  for (let d = 0; d < DAYS; d++) {
    const lines: string[] = [];
    const start = T0 + BigInt(d) * DAY;
    for (let t = start; t < start + DAY; t += INTERVAL) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      v = Math.min(100, Math.max(0, v + ((seed / 0x7fffffff) - 0.5) * 4));
      lines.push(`cpu,host=h1 usage=${v.toFixed(2)} ${t + 1_234_000_000n}`);
    }
    points += lines.length;
    await db.write(lines.join('\n'), { db: 'bench' });
    clock = start + DAY + MIN;
    if (d % 30 === 29 || d === DAYS - 1) {
      const t0 = performance.now();
      await ds.tick();
      rollMs += performance.now() - t0;
    }
  }
  const writeMs = performance.now() - tw - rollMs;
  await db.flush();
  await db.compact({ full: true });
  const bytes: Record<string, number> = {};
  for (const s of db.shardStats()) bytes[s.rp] = (bytes[s.rp] ?? 0) + s.bytes;

  const from = T0;
  const to = T0 + BigInt(DAYS) * DAY;
  const now = () => ms(clock);
  const raw = engineSource(db, { database: 'bench' });
  const tiered = engineSource(db, { database: 'bench', watermarks: ds });
  const promql = async (q: string) => {
    const r = await timeIt(() => rangeQuery(raw, q, ms(from + DAY), ms(to), 86_400_000, { now }));
    const t = await timeIt(() => rangeQuery(tiered, q, ms(from + DAY), ms(to), 86_400_000, { now }));
    const same = r.out.result.resultType === 'matrix' && t.out.result.resultType === 'matrix' && sameNumbers(r.out.result.series, t.out.result.series);
    return { query: `${q} (1 year, step 1d)`, rawMs: median(r.ms), tierMs: median(t.ms), tier: (t.out.tiers ?? []).join(', '), same };
  };
  const influxql = async (q: string) => {
    const run = (tiers: boolean) => {
      const used = new Set<string>();
      const ctx: QueryContext = { engine: db, database: 'bench', now: clock, ...(tiers ? { tiers: { watermarks: ds, used } } : {}) };
      return { go: () => executeQuery(ctx, q), used };
    };
    const rr = run(false);
    const tt = run(true);
    const r = await timeIt(rr.go);
    const t = await timeIt(tt.go);
    return { query: q.replace(/ WHERE .*? GROUP/, ' WHERE <1 year> GROUP'), rawMs: median(r.ms), tierMs: median(t.ms), tier: [...tt.used].join(', '), same: sameNumbers(r.out[0].series, t.out[0].series) };
  };
  const queries = [
    await promql('avg_over_time(cpu_usage[1d])'),
    await promql('max_over_time(cpu_usage[1d])'),
    await influxql(`SELECT mean(usage), max(usage) FROM cpu WHERE time >= ${from} AND time < ${to} GROUP BY time(1d)`),
    await influxql(`SELECT mean(usage) FROM cpu WHERE time >= ${from} AND time < ${to} GROUP BY time(1h)`),
  ];
  await ds.close();
  await db.close();

  const rows = [
    `one series, a point every ${INTERVAL / 1_000_000_000n} s for ${DAYS} days: ${points.toLocaleString('en')} points; written in ${(writeMs / 1000).toFixed(1)} s, rolled up in ${(rollMs / 1000).toFixed(1)} s (${Math.round(points / (rollMs / 1000)).toLocaleString('en')} points/s)`,
    '',
    '| policy | points kept | bytes on disk | bytes/point of raw |',
    '|---|---:|---:|---:|',
    ...Object.entries(bytes).map(([rp, b]) => {
      const kept = rp === 'autogen' ? points : rp.endsWith(':1m') ? Math.round(points / 6) : Math.round(points / 360);
      return `| ${rp === 'autogen' ? 'raw (autogen)' : rp} | ${kept.toLocaleString('en')} | ${b.toLocaleString('en')} | ${(b / points).toFixed(3)} |`;
    }),
    '',
    `| query | raw ms (median of ${RUNS}) | with rollups ms | speed-up | tier read | same answer |`,
    '|---|---:|---:|---:|---|---|',
    ...queries.map((q) => `| \`${q.query}\` | ${q.rawMs.toFixed(1)} | ${q.tierMs.toFixed(1)} | ${(q.rawMs / q.tierMs).toFixed(1)}x | ${q.tier || '—'} | ${q.same ? 'yes' : 'NO'} |`),
  ];
  console.log(rows.join('\n'));
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ points, days: DAYS, bytes, writeMs, rollMs, queries }, null, 2));
  fs.rmSync(DIR, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
