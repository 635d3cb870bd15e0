// Parse-only benchmark of the line-protocol parser (src/ingest/lineprotocol.ts).
//
//   npx tsx bench/parse.ts [--lines N] [--batch 5000] [--runs 7] [--file body.lp] [--precision ns]
//
// Without --file it generates, in process, the two bodies of ../shared/peers/gen.mjs
// (same PRNG, entities and value shapes): devops (TSBS cpu-only: 10 tags, 10 float fields)
// and iot (4 tags; 2 floats, an integer, a boolean, a string). The body is cut into
// requests of --batch lines, as the ingest harness posts them, and each request is parsed
// into a fresh PointBatch. Prints lines/s and points/s (field values/s), median of --runs.
import { readFileSync } from 'node:fs';
import { parseLineProtocol } from '../src/ingest/lineprotocol.js';
import type { Precision } from '../src/types.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// ---- the generator of ../shared/peers/gen.mjs and lib.mjs (seed 42, start 2026-01-01) ----

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)];
const int = (r: () => number, n: number) => Math.floor(r() * n);
const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
const SEED = 42;
const START = Date.parse('2026-01-01T00:00:00Z');

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
const CPU_FIELDS = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait', 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'];

interface Entity {
  tags: [string, string][];
  next(k: number): { ms: number; values: (number | string | boolean)[] };
}

function devopsHost(i: number): Entity {
  const r = rng(mixSeed(SEED, 1, i));
  const region = pick(r, Object.keys(REGIONS));
  const tags: [string, string][] = [
    ['hostname', `host_${i}`], ['region', region], ['datacenter', pick(r, REGIONS[region])],
    ['rack', String(int(r, 100))], ['os', pick(r, ['Ubuntu16.10', 'Ubuntu16.04LTS', 'Ubuntu15.10'])],
    ['arch', pick(r, ['x64', 'x86'])], ['team', pick(r, ['SF', 'NYC', 'LON', 'CHI'])],
    ['service', String(int(r, 20))], ['service_version', String(int(r, 2))],
    ['service_environment', pick(r, ['production', 'staging', 'test'])],
  ];
  const v = CPU_FIELDS.map(() => r() * 100);
  return {
    tags,
    next(k) {
      for (let f = 0; f < v.length; f++) v[f] = clamp(v[f] + gauss(r), 0, 100);
      return { ms: START + k * 10000, values: v };
    },
  };
}

const MODELS = ['TH-100', 'TH-200', 'DS-10', 'MX-5'];
const FWS = ['1.0.3', '1.1.0', '1.2.1', '2.0.0'];
const STATUSES = ['ok', 'ok', 'ok', 'ok', 'warn', 'error', 'maintenance'];

function iotDevice(i: number, nDevices: number): Entity {
  const r = rng(mixSeed(SEED, 2, i));
  const nSites = Math.max(1, Math.ceil(nDevices / 20));
  const tags: [string, string][] = [
    ['device_id', `dev_${String(i).padStart(5, '0')}`], ['site', `site_${String(int(r, nSites)).padStart(3, '0')}`],
    ['model', pick(r, MODELS)], ['fw', pick(r, FWS)],
  ];
  const base = 18 + r() * 8;
  const phase = int(r, 5000);
  let drift = 0;
  let hum = 35 + r() * 30;
  let battery = 60 + int(r, 41);
  let door = false;
  let status = 'ok';
  return {
    tags,
    next(k) {
      const jitter = r() < 0.1 ? Math.round((r() * 2 - 1) * 400) : 0;
      const ms = Math.max(START, START + k * 5000 + phase + jitter);
      drift = clamp(drift + gauss(r) * 0.05, -3, 3);
      const daily = 2 * Math.sin((2 * Math.PI * (ms % 86400000)) / 86400000);
      const temperature = (base + daily + drift + gauss(r) * 0.05).toFixed(2);
      hum = clamp(hum + gauss(r) * 0.2, 5, 95);
      if (r() < 1 / 720 && battery > 0) battery--;
      if (r() < 0.01) door = !door;
      if (r() < 0.002) status = pick(r, STATUSES);
      return { ms, values: [temperature, hum.toFixed(1), battery, door, status] };
    },
  };
}

function generate(workload: 'devops' | 'iot', lines: number): Buffer {
  const devops = workload === 'devops';
  const n = devops ? 100 : 1000;
  const measurement = devops ? 'cpu' : 'sensor';
  const fields = devops ? CPU_FIELDS : ['temperature', 'humidity', 'battery', 'door_open', 'status'];
  const kinds = devops ? CPU_FIELDS.map(() => 'f') : ['f', 'f', 'i', 'b', 's'];
  const ents = Array.from({ length: n }, (_, i) => (devops ? devopsHost(i) : iotDevice(i, n)));
  const keys = ents.map((e) => `${measurement},${e.tags.map(([k, v]) => `${k}=${v}`).join(',')} `);
  const lp = (kind: string, v: number | string | boolean) => (kind === 'i' ? `${v}i` : kind === 's' ? `"${v}"` : kind === 'b' ? (v ? 'true' : 'false') : String(v));
  const out: string[] = [];
  let count = 0;
  for (let k = 0; count < lines; k++) {
    for (let i = 0; i < ents.length && count < lines; i++, count++) {
      const { ms, values } = ents[i].next(k);
      let s = keys[i];
      for (let f = 0; f < fields.length; f++) s += `${f ? ',' : ''}${fields[f]}=${lp(kinds[f], values[f])}`;
      out.push(`${s} ${ms}000000\n`);
    }
  }
  return Buffer.from(out.join(''));
}

// ---- the benchmark -------------------------------------------------------------------------

/** Cuts a body into requests of `batch` lines. */
function split(body: Buffer, batch: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    let end = start;
    for (let i = 0; i < batch && end < body.length; i++) {
      const nl = body.indexOf(10, end);
      end = nl < 0 ? body.length : nl + 1;
    }
    parts.push(body.subarray(start, end));
    start = end;
  }
  return parts;
}

function run(name: string, body: Buffer, batch: number, runs: number, precision: Precision): void {
  const parts = split(body, batch);
  const opts = { precision, defaultTime: 1767225600000000000n };
  let lines = 0;
  let points = 0;
  let errors = 0;
  for (const p of parts) {
    const r = parseLineProtocol(p, opts);
    lines += r.count;
    points += r.fieldCount;
    errors += r.errors.length;
  }
  const times: number[] = [];
  for (let k = 0; k < runs + 1; k++) {
    const t0 = process.hrtime.bigint();
    for (const p of parts) parseLineProtocol(p, opts);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (k > 0) times.push(dt); // the first run warms up
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  const mb = body.length / 1e6;
  console.log(
    `${name.padEnd(8)} ${lines.toLocaleString('en-US').padStart(9)} lines ${points.toLocaleString('en-US').padStart(10)} points ${mb.toFixed(1).padStart(6)} MB` +
      `  median ${(med * 1000).toFixed(0).padStart(5)} ms  ${Math.round(lines / med).toLocaleString('en-US').padStart(10)} lines/s` +
      `  ${Math.round(points / med).toLocaleString('en-US').padStart(11)} points/s  ${(mb / med).toFixed(0).padStart(4)} MB/s` +
      (errors ? `  (${errors} bad lines)` : ''),
  );
}

const batch = Number(arg('batch') ?? 5000);
const runs = Number(arg('runs') ?? 7);
const precision = (arg('precision') ?? 'ns') as Precision;
const file = arg('file');
console.log(`line-protocol parse, single thread, Node ${process.version}, requests of ${batch} lines, median of ${runs} runs`);
if (file !== undefined) {
  run(file.split('/').pop() ?? file, readFileSync(file), batch, runs, precision);
} else {
  const n = arg('lines');
  run('devops', generate('devops', Number(n ?? 200000)), batch, runs, precision);
  run('iot', generate('iot', Number(n ?? 500000)), batch, runs, precision);
}
