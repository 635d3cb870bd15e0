// Views benchmark (docs/views.md): /kv and /doc over real HTTP against a `strata serve` this
// script starts on 127.0.0.1 (bench/start-strata.sh) and stops by its PID at the end, also on
// error. Keep-alive connections, a fixed number of requests in flight.
//
//   node --import tsx bench/views.ts [--port 18200] [--dir /tmp/strata-views] [--conc 8]
//        [--kv-ops 20000] [--hot-ops 20000] [--fsync always,off]
//        [--docs 10000,100000] [--doc-fsync off] [--queries 5] [--only kv|doc]
// (--queries: unindexed filters; the indexed filter runs ten times as many)
//
// KV: PUT/GET of distinct keys (values of 100 bytes) and of one hot key, per fsync mode.
// Docs: N documents {"user":{"city":"c<i%1000>"},"status":"s<i%10>","n":i} POSTed, then
// GET /doc/:coll?where=user.city=c123&limit=100 without an index, PUT _indexes, the same
// filter with the index; both answers must hold the same documents.
// Needs a build (dist/): bench/views.sh builds first.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = Number(arg('port', '18200'));
const DIR = arg('dir', '/tmp/strata-views');
const CONC = Number(arg('conc', '8'));
const KV_OPS = Number(arg('kv-ops', '20000'));
const HOT_OPS = Number(arg('hot-ops', '20000'));
const FSYNCS = arg('fsync', 'always,off').split(',').filter(Boolean);
const DOCS = arg('docs', '10000,100000').split(',').filter(Boolean).map(Number);
const DOC_FSYNC = arg('doc-fsync', 'off');
const QUERIES = Number(arg('queries', '5'));
const ONLY = arg('only', '');

let agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
interface Res { status: number; headers: http.IncomingHttpHeaders; body: string }
function req(method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: PORT, method, path: p, agent, headers: body !== undefined ? { 'content-length': Buffer.byteLength(body), ...headers } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    if (body !== undefined) r.write(body);
    r.end();
  });
}
async function ok(method: string, p: string, body?: string, headers?: Record<string, string>): Promise<Res> {
  const r = await req(method, p, body, headers);
  if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

// ---- server lifecycle -----------------------------------------------------------------
let serverPid = 0;
function stopServer(): void {
  if (!serverPid) return;
  const pid = serverPid;
  serverPid = 0;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    try { process.kill(pid, 0); } catch { return; }
    execFileSync('sleep', ['0.1']);
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}
function startServer(name: string, fsync: string): void {
  const dir = path.join(DIR, name);
  fs.rmSync(dir, { recursive: true, force: true });
  const out = execFileSync('bash', [path.join(ROOT, 'bench/start-strata.sh'), String(PORT), dir, '--fsync', fsync], { encoding: 'utf8' });
  serverPid = Number(out.trim().split('\n').pop());
  if (!serverPid) throw new Error(`no PID from start-strata.sh: ${out}`);
  agent.destroy(); // no keep-alive socket of a previous server
  agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
}
process.on('exit', stopServer);
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => { stopServer(); process.exit(130); });

// ---- measurement ----------------------------------------------------------------------
interface Stats { n: number; secs: number; opsPerSec: number; p50: number; p95: number; lat: number[] }
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
/** Runs op(0..n-1) with CONC in flight; latencies in ms, in op order. */
async function run(n: number, op: (i: number) => Promise<unknown>, conc = CONC): Promise<Stats> {
  const lat = new Array<number>(n);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(conc, n) }, async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      await op(i);
      lat[i] = performance.now() - s;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const sorted = [...lat].sort((a, b) => a - b);
  return { n, secs, opsPerSec: n / secs, p50: pct(sorted, 50), p95: pct(sorted, 95), lat };
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ms = (x: number) => (x >= 100 ? fmt(x, 0) : x >= 10 ? fmt(x, 1) : fmt(x, 2));
const rows: string[][] = [];
function report(what: string, fsync: string, s: Stats, note = ''): void {
  console.log(`  ${what} (fsync ${fsync}): ${fmt(s.n)} ops in ${s.secs.toFixed(2)} s = ${fmt(s.opsPerSec)} ops/s, median ${ms(s.p50)} ms, p95 ${ms(s.p95)} ms${note ? ` (${note})` : ''}`);
  rows.push([what, fsync, fmt(s.n), fmt(s.opsPerSec), ms(s.p50), ms(s.p95), note]);
}

const value100 = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(80 - String(i).length) }); // 100 bytes with i < 1e6 digits varying
function rate(lat: number[], from: number, to: number): number {
  // ops/s of a slice, from the slice's mean latency and the concurrency.
  const sl = lat.slice(from, to);
  return CONC / (sl.reduce((a, b) => a + b, 0) / sl.length / 1000);
}

async function benchKv(fsync: string): Promise<void> {
  console.log(`\n## KV, --fsync ${fsync}, ${CONC} in flight`);
  startServer(`kv-${fsync}`, fsync);
  try {
    const key = (i: number) => `k${String(i).padStart(7, '0')}`;
    const h = { 'content-type': 'application/json' };
    const put = await run(KV_OPS, (i) => ok('PUT', `/kv/bench/${key(i)}`, value100(i), h));
    report('kv put, distinct keys', fsync, put);
    const get = await run(KV_OPS, async (i) => {
      const j = (i * 7919) % KV_OPS;
      const r = await ok('GET', `/kv/bench/${key(j)}`);
      if (r.body !== value100(j)) throw new Error(`GET ${key(j)}: wrong value ${r.body.slice(0, 80)}`);
    });
    report('kv get, distinct keys', fsync, get);
    const hot = await run(HOT_OPS, (i) => ok('PUT', '/kv/bench/hot', value100(i), h));
    const tenth = Math.max(1, Math.floor(HOT_OPS / 10));
    const first = rate(hot.lat, 0, tenth), last = rate(hot.lat, HOT_OPS - tenth, HOT_OPS);
    report('kv put, one hot key', fsync, hot, `first 10%: ${fmt(first)}/s, last 10%: ${fmt(last)}/s`);
    const hotGet = await run(Math.min(HOT_OPS, 2000), () => ok('GET', '/kv/bench/hot'));
    report('kv get, one hot key', fsync, hotGet, `history of ${fmt(HOT_OPS)} versions`);
  } finally {
    stopServer();
  }
}

const docRows: string[][] = [];
async function benchDocs(n: number): Promise<void> {
  console.log(`\n## Documents: ${fmt(n)}, --fsync ${DOC_FSYNC}, ${CONC} in flight`);
  startServer(`doc-${n}`, DOC_FSYNC);
  try {
    const coll = 'bench';
    const load = await run(n, (i) => ok('POST', `/doc/${coll}`, JSON.stringify({ user: { city: `c${i % 1000}` }, status: `s${i % 10}`, n: i }), { 'content-type': 'application/json' }));
    console.log(`  load: ${fmt(n)} POST /doc in ${load.secs.toFixed(1)} s = ${fmt(load.opsPerSec)} docs/s, median ${ms(load.p50)} ms, p95 ${ms(load.p95)} ms`);
    const tenth = Math.max(1, Math.floor(n / 10));
    console.log(`  load rate: first 10% ${fmt(rate(load.lat, 0, tenth))}/s, last 10% ${fmt(rate(load.lat, n - tenth, n))}/s`);
    const q = `/doc/${coll}?where=user.city=c123&limit=100`;
    const query = async (mode: string, count: number): Promise<{ s: Stats; ids: string[] }> => {
      let ids: string[] = [];
      const s = await run(count, async () => {
        const r = await ok('GET', q);
        if (r.headers['x-strata-index'] !== mode) throw new Error(`X-Strata-Index ${String(r.headers['x-strata-index'])}, expected ${mode}`);
        const docs = (JSON.parse(r.body) as { documents: { _id: string; user: { city: string } }[] }).documents;
        if (docs.some((d) => d.user.city !== 'c123')) throw new Error('a document does not match the filter');
        ids = docs.map((d) => d._id);
      }, 1);
      return { s, ids };
    };
    const scan = await query('scan', QUERIES);
    console.log(`  filter without index (scan): ${scan.ids.length} documents, median ${ms(scan.s.p50)} ms, p95 ${ms(scan.s.p95)} ms (${QUERIES} queries, one at a time)`);
    const t0 = performance.now();
    const ix = JSON.parse((await ok('PUT', `/doc/${coll}/_indexes`, JSON.stringify({ fields: ['user.city'] }), { 'content-type': 'application/json' })).body) as { reindexed: number };
    const reindexS = (performance.now() - t0) / 1000;
    console.log(`  PUT _indexes user.city: ${reindexS.toFixed(1)} s, ${fmt(ix.reindexed)} documents reindexed (${fmt(ix.reindexed / reindexS)}/s)`);
    const used = await query('used', QUERIES * 10); // cheap: ten times as many
    console.log(`  filter with index: ${used.ids.length} documents, median ${ms(used.s.p50)} ms, p95 ${ms(used.s.p95)} ms (${used.s.n} queries, one at a time; first 10: median ${ms(pct(used.s.lat.slice(0, 10).sort((a, b) => a - b), 50))} ms)`);
    const same = scan.ids.length === used.ids.length && scan.ids.every((id, i) => id === used.ids[i]);
    const expect = Math.min(100, Math.floor(n / 1000) + (n % 1000 > 123 ? 1 : 0));
    console.log(`  same documents: ${same ? 'yes' : 'NO'} (${scan.ids.length} vs ${used.ids.length}, expected ${expect}); ratio scan/index median ${fmt(scan.s.p50 / used.s.p50, 1)}x`);
    if (!same) process.exitCode = 1;
    docRows.push([fmt(n), `${load.secs.toFixed(1)} s (${fmt(load.opsPerSec)}/s)`, `${ms(scan.s.p50)} / ${ms(scan.s.p95)}`, `${reindexS.toFixed(1)} s`, `${ms(used.s.p50)} / ${ms(used.s.p95)}`, `${fmt(scan.s.p50 / used.s.p50, 0)}x`, same ? `yes (${used.ids.length})` : 'NO']);
  } finally {
    stopServer();
  }
}

if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('no dist/: run npm run build (bench/views.sh does)');
fs.mkdirSync(DIR, { recursive: true });
try {
  if (ONLY !== 'doc') for (const f of FSYNCS) await benchKv(f);
  if (ONLY !== 'kv') for (const n of DOCS) await benchDocs(n);
} finally {
  stopServer();
  agent.destroy();
}

console.log(`\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${CONC} requests in flight, keep-alive\n`);
if (rows.length) {
  console.log('| operation | fsync | ops | ops/s | median ms | p95 ms | note |\n|---|---|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log();
}
if (docRows.length) {
  console.log(`Documents (fsync ${DOC_FSYNC}), filter user.city=c123 limit=100, ${QUERIES} queries without the index, ${QUERIES * 10} with:\n`);
  console.log('| docs | load (POST /doc) | no index median / p95 ms | PUT _indexes | index median / p95 ms | ratio | same docs |\n|---:|---|---:|---:|---:|---:|---|');
  for (const r of docRows) console.log(`| ${r.join(' | ')} |`);
}
