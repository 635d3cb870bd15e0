#!/usr/bin/env node
// Records Prometheus's answers to the requests Strata's Prometheus API must answer alike.
//
//   node src/server/testdata/record-prometheus.mjs [PORT]   (uses PORT and PORT+1)
//
// Starts the Debian Prometheus (../shared/peers/start-prometheus.sh, loopback only) on an
// empty data dir, loads prometheus-dataset.json through remote write (hand-encoded
// protobuf + literal-only snappy, no dependencies), sends every request below, writes
// prometheus-2.42.json (status, content type, raw body of each answer) and stops it.
// prometheus.test.ts sends the same requests to Strata holding the same data.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const peers = path.resolve(here, '../../../../shared/peers');
const port = Number(process.argv[2] ?? 19090);
const dataset = JSON.parse(fs.readFileSync(path.join(here, 'prometheus-dataset.json'), 'utf8'));

const S = dataset.startMs / 1000; // 1700000000
const E = S + 300;
const R = `start=${S - 600}&end=${E + 600}`;
const q = encodeURIComponent;

/** name, method, path (with query string), optional form body; `compare`: exact | shape. */
export const CASES = [
  // Grafana "Save & test", then the query editor's metadata calls.
  { name: 'query 1+1 GET', path: `/api/v1/query?query=${q('1+1')}&time=${E}` },
  { name: 'query 1+1 POST', method: 'POST', path: '/api/v1/query', form: `query=${q('1+1')}&time=${E}` },
  { name: 'buildinfo', path: '/api/v1/status/buildinfo', compare: 'shape' },
  { name: 'labels', path: `/api/v1/labels?${R}` },
  { name: 'labels POST', method: 'POST', path: '/api/v1/labels', form: R },
  { name: 'labels no range', path: '/api/v1/labels' },
  { name: 'labels match', path: `/api/v1/labels?match[]=up&${R}` },
  { name: 'labels match two', path: `/api/v1/labels?match[]=up&match[]=${q('{job="api"}')}&${R}` },
  { name: 'metric names', path: `/api/v1/label/__name__/values?${R}` },
  { name: 'metric names no range', path: '/api/v1/label/__name__/values' },
  { name: 'job values match up', path: `/api/v1/label/job/values?match[]=up&${R}` },
  { name: 'job values', path: '/api/v1/label/job/values' },
  { name: 'values of unknown label', path: '/api/v1/label/nope/values' },
  { name: 'metric names match', path: `/api/v1/label/__name__/values?match[]=${q('{job="node"}')}&${R}` },
  { name: 'series up', path: `/api/v1/series?match[]=up&${R}` },
  { name: 'series two', path: `/api/v1/series?match[]=http_requests_total&match[]=${q('{job="node"}')}&${R}` },
  { name: 'series POST regex', method: 'POST', path: '/api/v1/series', form: `match[]=${q('{__name__=~"http.*|node_load.*"}')}&${R}` },
  { name: 'series name regex', path: `/api/v1/series?match[]=${q('{__name__=~".+_total",code!="500"}')}&${R}` },
  { name: 'series none', path: `/api/v1/series?match[]=nope&${R}` },
  { name: 'series no match', path: '/api/v1/series' },
  { name: 'series bad match', path: `/api/v1/series?match[]=${q('up{')}` },
  { name: 'series empty matcher', path: `/api/v1/series?match[]=${q('{job=""}')}` },
  { name: 'series bad start', path: '/api/v1/series?match[]=up&start=x' },
  { name: 'label values bad name', path: '/api/v1/label/1bad/values' },
  { name: 'exemplars', path: `/api/v1/query_exemplars?query=up&${R}` },
  { name: 'metadata', path: '/api/v1/metadata', compare: 'shape' },
  // Query parameter errors.
  { name: 'query missing', path: '/api/v1/query' },
  { name: 'query bad time', path: '/api/v1/query?query=up&time=x' },
  { name: 'query parse error', path: `/api/v1/query?query=${q('sum(up')}&time=${E}` },
  { name: 'query bad timeout', path: `/api/v1/query?query=up&time=${E}&timeout=x` },
  { name: 'range end before start', path: `/api/v1/query_range?query=up&start=${E}&end=${S}&step=15` },
  { name: 'range zero step', path: `/api/v1/query_range?query=up&start=${S}&end=${E}&step=0` },
  { name: 'range negative step', path: `/api/v1/query_range?query=up&start=${S}&end=${E}&step=-1` },
  { name: 'range too many points', path: `/api/v1/query_range?query=up&start=0&end=${E}&step=1` },
  { name: 'range bad step', path: `/api/v1/query_range?query=up&start=${S}&end=${E}&step=x` },
  { name: 'range bad start', path: `/api/v1/query_range?query=up&start=x&end=${E}&step=15` },
  { name: 'range missing end', path: `/api/v1/query_range?query=up&start=${S}&step=15` },
  { name: 'range missing query', path: `/api/v1/query_range?start=${S}&end=${E}&step=15` },
  // Queries.
  { name: 'vector up', path: `/api/v1/query?query=up&time=${E}` },
  { name: 'vector rfc3339 time', path: `/api/v1/query?query=up&time=${q(new Date(E * 1000).toISOString())}` },
  { name: 'vector fractional time', path: `/api/v1/query?query=up&time=${E}.5` },
  { name: 'vector millisecond time', path: `/api/v1/query?query=up&time=${E - 1}.001` },
  { name: 'sum by job', path: `/api/v1/query?query=${q('sum by (job) (up)')}&time=${E}` },
  // Range windows are [t-r, t] in Prometheus 2.x and (t-r, t] from 3.0 on: these queries put
  // no sample on a window's left edge, so the answers are the same under both.
  { name: 'rate', path: `/api/v1/query?query=${q('rate(http_requests_total[1m])')}&time=${E - 1}` },
  { name: 'matrix selector', path: `/api/v1/query?query=${q('http_requests_total[1m]')}&time=${E - 1}` },
  { name: 'float formatting', path: `/api/v1/query?query=${q('node_temp_celsius[5m]')}&time=${E + 1}` },
  { name: 'string', path: `/api/v1/query?query=${q('"hello"')}&time=${E}` },
  { name: 'plus inf', path: `/api/v1/query?query=${q('1/0')}&time=${E}` },
  { name: 'minus inf', path: `/api/v1/query?query=${q('-1/0')}&time=${E}` },
  { name: 'nan', path: `/api/v1/query?query=${q('0/0')}&time=${E}` },
  { name: 'small and large scalars', path: `/api/v1/query?query=${q('vector(1e-7) or label_replace(vector(1e21), "a", "b", "", "") or label_replace(vector(-0.5), "a", "c", "", "")')}&time=${E}` },
  { name: 'empty vector', path: `/api/v1/query?query=nope&time=${E}` },
  { name: 'range up', path: `/api/v1/query_range?query=up&start=${S}&end=${E}&step=60` },
  { name: 'range rate duration step', path: `/api/v1/query_range?query=${q('sum by (code) (rate(http_requests_total[1m]))')}&start=${S + 1}&end=${E}&step=1m` },
  { name: 'range POST', method: 'POST', path: '/api/v1/query_range', form: `query=${q('node_load1 * 2')}&start=${S}&end=${E}&step=30` },
  { name: 'range fractional step', path: `/api/v1/query_range?query=${q('time()')}&start=${S}&end=${S + 2}&step=0.5` },
  { name: 'range empty', path: `/api/v1/query_range?query=nope&start=${S}&end=${E}&step=60` },
  { name: 'range scalar', path: `/api/v1/query_range?query=${q('scalar(up{job="prometheus"})')}&start=${S}&end=${S + 60}&step=30` },
  { name: 'execution error', path: `/api/v1/query?query=${q('up + on() up')}&time=${E}` },
];

// Against prometheus-dataset-rw.json, in a Prometheus of its own: special values and
// staleness, which only remote write can carry.
const R0 = dataset.startMs / 1000;
export const RW_CASES = [
  { name: 'rw special values in a range', path: `/api/v1/query?query=${q('special[2m]')}&time=${R0 + 100}` },
  { name: 'rw instant before the stale marker', path: `/api/v1/query?query=special&time=${R0 + 89}` },
  { name: 'rw instant at the stale marker', path: `/api/v1/query?query=special&time=${R0 + 90}` },
  { name: 'rw instant after the stale marker', path: `/api/v1/query?query=${q('{kind=~"a|b"}')}&time=${R0 + 120}` },
  { name: 'rw range across staleness', path: `/api/v1/query_range?query=${q('{__name__=~".+"}')}&start=${R0}&end=${R0 + 150}&step=15` },
  { name: 'rw count_over_time', path: `/api/v1/query?query=${q('count_over_time({__name__=~".+"}[5m])')}&time=${R0 + 100}` },
  { name: 'rw negative zero', path: `/api/v1/query?query=special&time=${R0 + 60}` },
  { name: 'rw series', path: `/api/v1/series?match[]=${q('{__name__=~".+"}')}&start=${R0}&end=${R0 + 600}` },
  { name: 'rw metric names', path: '/api/v1/label/__name__/values' },
];

// ---- remote write (prometheus.WriteRequest protobuf, literal-only snappy) ----
const varint = (n) => { const b = []; while (n >= 128) { b.push((n % 128) | 128); n = Math.floor(n / 128); } b.push(n); return Buffer.from(b); };
const field = (no, payload) => Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);
const label = (k, v) => field(1, Buffer.concat([field(1, Buffer.from(k)), field(2, Buffer.from(v))]));
function sample(value, ms) {
  const d = Buffer.alloc(9); d[0] = 0x09;
  if (value === 'stale') { d.writeUInt32LE(0x00000002, 1); d.writeUInt32LE(0x7ff00000, 5); } // value.StaleNaN
  else d.writeDoubleLE(typeof value === 'string' ? Number(value.replace('Inf', 'Infinity')) : value, 1);
  return field(2, Buffer.concat([d, Buffer.from([0x10]), varint(ms)]));
}
function snappy(raw) {
  const parts = [varint(raw.length)];
  for (let i = 0; i < raw.length; i += 65536) {
    const chunk = raw.subarray(i, i + 65536);
    const n = chunk.length - 1;
    parts.push(n < 60 ? Buffer.from([n << 2]) : Buffer.from([61 << 2, n & 255, n >> 8]), chunk);
  }
  return Buffer.concat(parts);
}
function writeRequest(data) {
  const ts = data.series.map((s) => {
    const labels = Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => label(k, v));
    const samples = s.values.map((v, i) => sample(v, data.startMs + i * data.stepMs));
    return field(1, Buffer.concat([...labels, ...samples]));
  });
  return snappy(Buffer.concat(ts));
}

/** Starts a Prometheus, loads `data`, records the answers to `cases` into `file`. */
async function record(data, cases, file, port) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-prom-ref-'));
  const pid = execFileSync(path.join(peers, 'start-prometheus.sh'), [String(port), dir], { encoding: 'utf8' }).trim();
  const base = `http://127.0.0.1:${port}`;
  try {
    const res = await fetch(`${base}/api/v1/write`, {
      method: 'POST',
      body: writeRequest(data),
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    });
    if (res.status !== 204) throw new Error(`remote write: HTTP ${res.status} ${await res.text()}`);
    const out = [];
    for (const c of cases) {
      const init = c.method === 'POST' ? { method: 'POST', body: c.form, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {};
      const r = await fetch(base + c.path, init);
      out.push({ ...c, method: c.method ?? 'GET', compare: c.compare ?? 'exact', status: r.status, contentType: r.headers.get('content-type'), body: await r.text() });
    }
    fs.writeFileSync(path.join(here, file), JSON.stringify({ prometheus: execFileSync('prometheus', ['--version'], { encoding: 'utf8' }).split('\n')[0], cases: out }, null, 1) + '\n');
    console.log(`wrote ${out.length} answers to ${file}`);
  } finally {
    execFileSync(path.join(peers, 'stop.sh'), [pid], { stdio: 'inherit' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  await record(dataset, CASES, 'prometheus-2.42.json', port);
  const rw = JSON.parse(fs.readFileSync(path.join(here, 'prometheus-dataset-rw.json'), 'utf8'));
  await record(rw, RW_CASES, 'prometheus-2.42-remote-write.json', port + 1); // a fresh port: no stale keep-alive
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
