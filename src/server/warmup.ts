// Start-up warm-up: before `strata serve` listens, run a burst of typical requests against
// a throw-away database so V8 has compiled (and tiered up) the query code before the first
// real request arrives.
//
// Without it the first few dozen queries after a start run 2-3x slower than steady state:
// the line-protocol parser, the PromQL and InfluxQL parsers and evaluators, the TSM and
// memtable read paths, the JSON encoders and the fastify handlers are compiled lazily on
// their first call, run interpreted or baseline-compiled with empty inline caches, and
// reach the optimizing compiler only after many calls. Go servers (Prometheus, InfluxDB)
// have no such penalty.
//
// The warm-up never touches the real database: it opens a second Database in a scratch
// directory under the OS temp dir, writes synthetic host metrics through the real HTTP
// write path (a second fastify app built by buildServer), flushes part of it to TSM files,
// then runs PromQL, InfluxQL, SQL, metadata and write requests with varying hosts and time
// windows (varied data gives V8 realistic type feedback): a few rounds of the whole mix,
// then the requests a dashboard repeats most (one series' range query, one host's
// GROUP BY time) until the time budget is spent. Code that runs once per request reaches
// V8's optimizing compiler only after hundreds to thousands of calls, so the repetitions
// matter more than the breadth.
//
// Requests go over a loopback socket to the scratch app (listening on 127.0.0.1, an
// ephemeral port, for the length of the warm-up), so Node's HTTP server (parser, request
// and response objects, socket writes) is compiled along with fastify's real request path;
// `app.inject()` fakes those objects and leaves them cold (the first InfluxQL queries after
// a start ran ~20% faster with the socket). If listening fails, it falls back to inject().
// The scratch directory is always removed. Nothing here can stop the server: errors are
// returned and logged.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Registry } from 'prom-client';
import { openDatabase, type Database } from '../engine/database.js';
import { mulberry32 } from '../random.js';
import type { Logger } from '../types.js';
import type { TierWatermarks } from '../query/promql/tierSource.js';
import { buildServer, type ServerOptions } from './app.js';
import { httpRequests, type Metrics } from './metrics.js';

export interface WarmUpOptions {
  logger: Logger;
  /** Wall-clock budget of the whole warm-up, ms (default 3000): requests run until it is
   * spent (at least minRounds, and until the scratch flush is done). */
  budgetMs?: number;
  /** Most rounds of the whole request set (default 3); the rest of the budget goes to the
   * repeated requests. */
  maxRounds?: number;
  /** Fewest rounds, even past the budget (default 1: every route runs at least once). */
  minRounds?: number;
  /** Fewest repeated requests after the rounds, even past the budget (default 0). */
  minRepeats?: number;
  /** Send requests with app.inject() instead of over a loopback socket (default false). */
  inject?: boolean;
  /**
   * The real server's query options (buildServer's `query`, `influxql`, `sql`, `bodyLimit`),
   * given to the scratch app too, so that the objects its routes build from them have the
   * shapes the real routes' objects will have: V8 compiles code for the object shapes
   * ("maps") it has seen, and a different shape at the first real request throws that code
   * away ("wrong map" deoptimizations, measured on every InfluxQL function of the first
   * real query when the scratch app had no downsampler and no continuous queries). Their
   * `tierWatermarks` are replaced by one that reports no tiers: the scratch app never
   * holds the real downsampler. Its fastify `logger` options are used too, writing to a
   * stream that discards everything, so the per-request logger code is the same as well.
   */
  server?: Pick<ServerOptions, 'query' | 'influxql' | 'sql' | 'bodyLimit' | 'logger'>;
  /** Parent of the scratch directory (default os.tmpdir()). */
  tmpDir?: string;
  /** Seed of the synthetic data and request parameters (default 1). */
  seed?: number;
  /** The server version the scratch app reports (default: package.json's). */
  version?: string;
  /** Polled between requests: true cuts the warm-up short (e.g. a shutdown was requested). */
  stop?: () => boolean;
}

export interface WarmUpResult {
  /** Wall time of the whole warm-up, ms (set-up, requests, clean-up). */
  ms: number;
  /** Of which opening the scratch database and writing its data, ms. */
  setupMs: number;
  /** Requests issued (writes included). */
  requests: number;
  /** Requests that did not answer 2xx (a broken route: each is logged at warn). */
  failed: number;
  /** Rounds of the whole request set completed. */
  rounds: number;
  /** Repeated requests sent after the rounds (counted in `requests` too). */
  repeats: number;
  /** How requests were sent: over a loopback socket, or with app.inject(). */
  transport: 'socket' | 'inject';
  /** The scratch data directory (already removed). */
  dir: string;
  /** Whether the scratch directory is gone (false only if removing it failed). */
  removed: boolean;
  /** The error that cut the warm-up short, if any. */
  error?: Error;
}

const DB = 'warmup';
const HOSTS = 8;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const STEP = 10_000;
/** The data spans SPAN_MS before the current hour: the older part goes to TSM files, the
 * last TAIL_MS stays in the memtable (queries read both). */
const SPAN_MS = HOUR;
const TAIL_MS = 20 * MINUTE;
/** Gauges of the `system` measurement (metric names `system_<field>`). */
const GAUGES = ['load1', 'load5', 'cpu_user_pct', 'cpu_system_pct', 'mem_used_pct', 'disk_used_pct', 'temp_c', 'humidity_pct'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
/**
 * More gauge families, each with its own tag set and in a database of its own: code that
 * handles label sets, tag sets and database names specializes on the ones it has seen, and
 * a real series' labels, tags or database (none of which the warm-up can know) would
 * throw away code compiled for one scratch shape ("wrong map", "wrong name"
 * deoptimizations at the first real query); several shapes leave it general.
 */
const FAMILIES: readonly { db: string; measurement: string; tags: (h: number) => string; fields: readonly string[]; stepMs: number }[] = [
  { db: DB, measurement: 'system', tags: (h) => systemTags(h), fields: GAUGES, stepMs: STEP },
  { db: 'warmup_disk', measurement: 'disk', tags: (h) => `device=sd${'ab'[h % 2]},fstype=ext4,host=node-${h},path=/data${h % 2}`, fields: ['used_pct', 'io_util_pct'], stepMs: STEP },
  // every second: a series spans several TSM blocks, so reads cross block boundaries and
  // read runs of blocks, as reads of real data do
  { db: 'warmup_net', measurement: 'net', tags: (h) => `host=node-${h},interface=eth${h % 2}`, fields: ['rx_mbps', 'tx_mbps'], stepMs: 1000 },
  { db: 'warmup_net', measurement: 'app', tags: (h) => `env=prod,host=node-${h},service=api,team=core,version=v${h % 3},zone=${REGIONS[h % REGIONS.length]}a`, fields: ['latency_ms', 'heap_pct'], stepMs: STEP },
];
/** The scratch databases (DB first). */
const DBS = [...new Set(FAMILIES.map((f) => f.db))];

function systemTags(h: number): string {
  return `host=node-${h},region=${REGIONS[h % REGIONS.length]},env=${h % 2 === 0 ? 'prod' : 'staging'}`;
}

/** Failing requests logged individually; the rest are only counted. */
const MAX_FAILURE_LOGS = 5;

/**
 * The synthetic data, what a host agent (Telegraf, node_exporter) sends: per host, gauges
 * every 10 s as full-precision random walks, and integer request counters every 30 s.
 */
class Synth {
  private readonly gauges: number[][];
  private readonly others: number[][][];
  private readonly requests: number[];
  private readonly errors: number[];
  constructor(private readonly rnd: () => number) {
    this.gauges = Array.from({ length: HOSTS }, () => GAUGES.map(() => rnd() * 100));
    this.others = FAMILIES.map((f) => Array.from({ length: HOSTS }, () => f.fields.map(() => rnd() * 100)));
    this.requests = Array.from({ length: HOSTS }, () => Math.floor(rnd() * 1e6));
    this.errors = Array.from({ length: HOSTS }, () => Math.floor(rnd() * 1e3));
  }

  /** Line protocol of database `db` for all hosts and times [fromMs, toMs) (ns timestamps;
   * counters every 30 s). */
  lines(db: string, fromMs: number, toMs: number): string {
    const out: string[] = [];
    for (let k = 1; k < FAMILIES.length; k++) {
      const f = FAMILIES[k]!;
      if (f.db !== db) continue;
      for (let t = Math.ceil(fromMs / f.stepMs) * f.stepMs; t < toMs; t += f.stepMs) {
        for (let h = 0; h < HOSTS; h++) {
          const v = this.walk(this.others[k]![h]!);
          out.push(`${f.measurement},${f.tags(h)} ${f.fields.map((name, i) => `${name}=${v[i]}`).join(',')} ${t}000000`);
        }
      }
    }
    for (let t = fromMs; t < toMs && db === DB; t += STEP) {
      const ns = `${t}000000`;
      for (let h = 0; h < HOSTS; h++) {
        const v = this.walk(this.gauges[h]!);
        const tags = systemTags(h);
        out.push(`system,${tags} ${GAUGES.map((f, i) => `${f}=${v[i]}`).join(',')} ${ns}`);
        if (t % 30_000 !== 0) continue;
        this.requests[h]! += Math.floor(this.rnd() * 5000);
        this.errors[h]! += Math.floor(this.rnd() * 10);
        out.push(`http,${tags},handler=/api requests=${this.requests[h]}i,errors=${this.errors[h]}i ${ns}`);
      }
    }
    return out.join('\n') + '\n';
  }

  /** One step of the random walks in `v` (values in [0, 100]). */
  private walk(v: number[]): number[] {
    for (let i = 0; i < v.length; i++) v[i] = Math.min(100, Math.max(0, v[i]! + (this.rnd() - 0.5) * 4));
    return v;
  }
}

/**
 * The scratch server's metrics: the per-request histogram as createMetrics has it (so its
 * code is warmed too), without the default process metrics, which would install a GC
 * observer and an event-loop monitor for the life of the process, and without keeping a
 * reference to the scratch database.
 */
function scratchMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    onFsync: () => {},
    observeRequest: httpRequests(registry),
    attach() {},
  };
}

type Req = InjectOptions & { url: string };

/** The scratch app's tier watermarks: none, for any database. */
const NO_TIERS: TierWatermarks = { watermark: () => null };

/** Fastify logger options as `logger`, writing nowhere. */
function mutedLogger(logger: boolean | object | undefined): boolean | object {
  if (logger === undefined || logger === false) return false;
  return { ...(logger === true ? {} : logger), stream: { write: () => {} } };
}

/** `o` with its tierWatermarks (if any) replaced by NO_TIERS, keys in the same order. */
function withoutTiers<T extends { tierWatermarks?: TierWatermarks }>(o: T | undefined): T | undefined {
  return o !== undefined && o.tierWatermarks !== undefined ? { ...o, tierWatermarks: NO_TIERS } : o;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function qs(params: Record<string, string | string[]>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) u.append(k, one);
  return u.toString();
}

/** The same parameters as a GET query string or a POSTed form (as Grafana and promtool send). */
function getOrPost(pathname: string, params: Record<string, string | string[]>, post: boolean): Req {
  return post ? { method: 'POST', url: pathname, headers: FORM, payload: qs(params) } : { method: 'GET', url: `${pathname}?${qs(params)}` };
}

/**
 * One round of requests; `k` varies hosts, windows, encodings and parameter shapes. The
 * mix is what Grafana dashboards and scripts send: range and instant PromQL with
 * selectors, `*_over_time`, `rate`, aggregations, comparisons, binary operators and label
 * functions, the metadata calls of query editors, InfluxQL as Grafana's InfluxDB editor
 * writes it, SHOW statements, and SQL.
 */
function roundRequests(k: number, rnd: () => number, start: number, end: number): Req[] {
  const host = (): string => `node-${Math.floor(rnd() * HOSTS)}`;
  const hosts = (n: number): string[] => {
    const s = new Set<string>();
    while (s.size < n) s.add(host());
    return [...s];
  };
  // a window of `minutes`, aligned to 10 minutes, inside [start, end]
  const window = (minutes: number): { t0: number; t1: number } => {
    const len = Math.min(minutes * MINUTE, end - start);
    const t0 = start + Math.floor(rnd() * (Math.floor((end - start - len) / (10 * MINUTE)) + 1)) * 10 * MINUTE;
    return { t0, t1: t0 + len };
  };
  const gauge = (): string => GAUGES[Math.floor(rnd() * GAUGES.length)]!;
  const post = k % 2 === 1;
  const sec = (ms: number): string => String(ms / 1000);
  const rfc = (ms: number): string => new Date(ms).toISOString();
  // Prometheus clients send float seconds (Grafana) or RFC 3339 (promtool, scripts)
  const ptime = (ms: number): string => (k % 3 === 2 ? rfc(ms) : sec(ms));
  const reqs: Req[] = [];

  // PromQL ranges
  const prom = (query: string, t0: number, t1: number, stepMs: number): Req =>
    getOrPost('/api/v1/query_range', { query, start: ptime(t0), end: ptime(t1), step: k % 4 === 3 ? `${stepMs / 1000}s` : String(stepMs / 1000) }, post);
  {
    const h = host();
    const hs = hosts(2 + (k % 3));
    const re = `host=~"${hs.join('|')}"`;
    const w = window(60);
    const g = gauge();
    reqs.push(prom(`system_${g}{host="${h}"}`, w.t0, w.t1, 30_000));
    reqs.push(prom(`avg_over_time(system_${g}{${re}}[5m])`, w.t0 + 5 * MINUTE, w.t1, MINUTE));
    reqs.push(prom(`max by (host) (max_over_time(system_temp_c{region="${REGIONS[k % REGIONS.length]}"}[10m]))`, w.t0 + 10 * MINUTE, w.t1, 5 * MINUTE));
    const w2 = window(120);
    reqs.push(prom(`min_over_time(system_mem_used_pct{host="${h}"}[1m]) or max_over_time(system_disk_used_pct{host="${h}"}[1m])`, w2.t0 + MINUTE, w2.t1, MINUTE));
    reqs.push(prom('avg by (region) (avg_over_time(system_load1[1h]))', w2.t0 + HOUR, w2.t1, HOUR));
    reqs.push(prom(`label_replace(system_load5{${re}}, "node", "$1", "host", "node-(.*)")`, w2.t0, w2.t1, 2 * MINUTE));
    const w3 = window(20);
    reqs.push(prom(`system_cpu_user_pct > ${k % 2 === 0 ? 80 : 50}`, w3.t0, w3.t1 - STEP, STEP));
    reqs.push(prom('{__name__=~"system_cpu_.*"} and on (host) (system_load1 > 50)', w3.t0, w3.t1 - STEP, STEP));
    const w4 = window(60);
    reqs.push(prom(`rate(http_requests{host="${host()}"}[5m])`, w4.t0, w4.t1, MINUTE));
    reqs.push(prom('sum by (region) (rate(http_requests[5m]))', w4.t0, w4.t1, MINUTE));
    reqs.push(prom('sum(rate(http_errors[5m])) / sum(rate(http_requests[5m]))', w4.t0, w4.t1, MINUTE));
    reqs.push(prom(`quantile(0.9, system_cpu_system_pct) - avg(system_cpu_system_pct)`, w4.t0, w4.t1, 2 * MINUTE));
  }
  // PromQL instants
  reqs.push(getOrPost('/api/v1/query', { query: `{__name__=~"system_.*", host="${host()}"}`, time: ptime(end) }, post));
  reqs.push(getOrPost('/api/v1/query', { query: 'sum by (host) (increase(http_requests[10m]))', time: ptime(end - Math.floor(rnd() * HOUR)) }, !post));
  reqs.push(getOrPost('/api/v1/query', { query: 'topk(3, avg_over_time(system_mem_used_pct[15m]))', time: ptime(end) }, post));
  reqs.push(getOrPost('/api/v1/query', { query: '1+1', time: ptime(end) }, post));
  // metadata (query editors)
  if (k % 2 === 0) {
    reqs.push(getOrPost('/api/v1/series', { 'match[]': [`system_load1{host="${host()}"}`, 'http_requests'], start: ptime(start), end: ptime(end) }, post));
    reqs.push(getOrPost('/api/v1/labels', { start: ptime(start), end: ptime(end) }, post));
    reqs.push({ method: 'GET', url: `/api/v1/label/${k % 4 === 0 ? '__name__' : 'host'}/values` });
  }

  // InfluxQL, as Grafana's InfluxDB editor writes it
  const iq = (q: string): Req => getOrPost('/query', { db: DB, q, ...(k % 2 === 0 ? { epoch: 'ms' } : {}) }, post);
  const between = (t0: number, t1: number): string => (k % 3 === 1 ? `time >= ${t0}ms and time <= ${t1}ms` : `time >= '${rfc(t0)}' AND time < '${rfc(t1)}'`);
  {
    const w = window(60);
    const g = gauge();
    reqs.push(iq(`SELECT mean("${g}") FROM "system" WHERE ("host" = '${host()}') AND ${between(w.t0, w.t1)} GROUP BY time(1m) fill(null)`));
    reqs.push(iq(`SELECT max("temp_c"), min("temp_c") FROM "system" WHERE ${between(w.t0, w.t1)} GROUP BY time(5m), "host" fill(none)`));
    const w2 = window(120);
    const hs = hosts(1 + (k % 3));
    reqs.push(iq(`SELECT mean("load1"), max("load5") FROM "system" WHERE (${hs.map((h) => `"host" = '${h}'`).join(' OR ')}) AND ${between(w2.t0, w2.t1)} GROUP BY time(10m)`));
    reqs.push(iq(`SELECT last("mem_used_pct") FROM "system" WHERE ${between(w2.t0, w2.t1)} GROUP BY "host"`));
    const w3 = window(20);
    reqs.push(iq(`SELECT "cpu_user_pct", "cpu_system_pct" FROM "system" WHERE "cpu_user_pct" > ${k % 2 === 0 ? '80.0' : '50'} AND ${between(w3.t0, w3.t1)}`));
    reqs.push(iq(`SELECT * FROM "system" WHERE "env" = 'prod' AND ${between(w3.t0, w3.t1)} LIMIT 50`));
    reqs.push(iq('SELECT * FROM "system" GROUP BY "host" ORDER BY time DESC LIMIT 1'));
    // No InfluxQL SELECT over the integer counters: integer aggregates make the InfluxQL
    // reducers polymorphic, which measurably slows float aggregates afterwards in
    // deployments that never read an integer field (those that do pay it with their first
    // such query anyway).
  }
  if (k % 2 === 1) {
    reqs.push(iq('SHOW MEASUREMENTS'));
    reqs.push(iq('SHOW TAG VALUES FROM "system" WITH KEY = "host"'));
    reqs.push(iq(k % 4 === 1 ? 'SHOW FIELD KEYS FROM "system"' : 'SHOW TAG KEYS FROM "http"'));
    reqs.push(iq('SHOW RETENTION POLICIES ON "warmup"'));
  }

  // SQL
  {
    const w = window(120);
    const query =
      k % 2 === 0
        ? `SELECT time_bucket('10m', time) AS t, host, avg(load1), max(temp_c) FROM system WHERE time >= '${rfc(w.t0)}' AND time < '${rfc(w.t1)}' GROUP BY t, host ORDER BY t`
        : `SELECT time, host, mem_used_pct FROM system WHERE host = '${host()}' AND time >= '${rfc(w.t0)}' AND time < '${rfc(w.t0 + 600_000)}' ORDER BY time DESC LIMIT 20`;
    reqs.push({ method: 'POST', url: `/sql?db=${DB}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query }) });
  }
  return reqs;
}

/**
 * The requests a dashboard repeats most, `i` varying the host, series, window, function and
 * encoding: a range query of one series (raw and through a `*_over_time`) and an InfluxQL
 * aggregate of one host's field by GROUP BY time, as Grafana panels per host send them.
 */
function repeatRequests(i: number, rnd: () => number, start: number, end: number): Req[] {
  const host = `node-${Math.floor(rnd() * HOSTS)}`;
  const fam = FAMILIES[i % FAMILIES.length]!;
  const g = fam.fields[Math.floor(rnd() * fam.fields.length)]!;
  const m = fam.measurement;
  const span = (2 + (i % 3)) * 10 * MINUTE;
  const t0 = start + Math.floor(rnd() * ((end - start - span) / (10 * MINUTE) + 1)) * 10 * MINUTE;
  const t1 = t0 + span;
  const post = i % 2 === 1;
  const fn = ['max', 'avg', 'min'][i % 3]!;
  const agg = ['mean', 'max', 'min'][(i >> 1) % 3]!;
  const query = i % 8 === 7 ? `${m}_${g}{host="${host}"}` : `${fn}_over_time(${m}_${g}{host="${host}"}[1m])`;
  return [
    getOrPost('/api/v1/query_range', { query, start: String((t0 + MINUTE) / 1000), end: String(t1 / 1000), step: i % 8 === 7 ? '30' : '60' }, post),
    // identifiers quoted as Grafana's editor writes them, or bare as people and scripts do
    getOrPost(
      '/query',
      {
        db: fam.db,
        q:
          (i >> 2) % 2 === 0
            ? `SELECT ${agg}("${g}") FROM "${m}" WHERE ("host" = '${host}') AND time >= '${new Date(t0).toISOString()}' AND time < '${new Date(t1).toISOString()}' GROUP BY time(1m)`
            : `SELECT ${agg}(${g}) FROM ${m} WHERE (host = '${host}') AND time >= '${new Date(t0).toISOString()}' AND time < '${new Date(t1).toISOString()}' GROUP BY time(1m)`,
      },
      post,
    ),
  ];
}

interface Answer {
  statusCode: number;
  body: string;
}

/** One request to the scratch app over a keep-alive loopback connection. */
function overSocket(agent: http.Agent, port: number, req: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = typeof req.payload === 'string' ? Buffer.from(req.payload) : undefined;
    const headers: Record<string, string | number> = { ...(req.headers as Record<string, string> | undefined) };
    if (payload) headers['content-length'] = payload.length;
    const r = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(payload);
  });
}

/**
 * Warms the request paths up on a scratch database (see the top of this file). Resolves
 * once the scratch directory is removed; never rejects (a failure is in `error`).
 */
export async function warmUp(opts: WarmUpOptions): Promise<WarmUpResult> {
  const t0 = performance.now();
  const budgetMs = opts.budgetMs ?? 3000;
  const maxRounds = opts.maxRounds ?? 3;
  const minRounds = opts.minRounds ?? 1;
  const minRepeats = opts.minRepeats ?? 0;
  const log = opts.logger;
  const rnd = mulberry32(opts.seed ?? 1);
  let dir = '';
  let db: Database | undefined;
  let app: FastifyInstance | undefined;
  let agent: http.Agent | undefined;
  let port = 0;
  let flushing: Promise<unknown> | undefined;
  let requests = 0;
  let failed = 0;
  let rounds = 0;
  let repeats = 0;
  let setupMs = 0;
  let removed = true;
  let error: Error | undefined;
  const onFail = (req: Req, status: number, body: string): void => {
    failed++;
    if (failed <= MAX_FAILURE_LOGS) {
      log.warn({ method: req.method, url: req.url.slice(0, 300), status, body: body.slice(0, 300) }, `warm-up request answered ${status}: the route is broken?`);
    }
  };
  const send = async (req: Req): Promise<void> => {
    requests++;
    const res: Answer = port > 0 ? await overSocket(agent!, port, req) : await app!.inject(req);
    if (res.statusCode < 200 || res.statusCode >= 300) onFail(req, res.statusCode, res.body);
  };
  try {
    dir = fs.mkdtempSync(path.join(opts.tmpDir ?? os.tmpdir(), 'strata-warmup-'));
    db = await openDatabase({
      dataDir: dir,
      fsync: 'off',
      memtableBytes: 64 * 1024 * 1024,
      blockCacheBytes: 8 * 1024 * 1024,
      residentBytes: 16 * 1024 * 1024, // the flushed files' reads take the resident path, as a server's newest files do
      memoryBudget: 256 * 1024 * 1024,
      retentionCheckMs: 0,
    });
    const like = opts.server;
    app = await buildServer({
      ...(like ? { bodyLimit: like.bodyLimit, query: withoutTiers(like.query), influxql: withoutTiers(like.influxql), sql: withoutTiers(like.sql) } : {}),
      db,
      metrics: scratchMetrics(),
      logger: mutedLogger(like?.logger),
      ...(opts.version ? { version: opts.version } : {}),
    });
    await app.ready();
    if (opts.inject !== true) {
      try {
        await app.listen({ host: '127.0.0.1', port: 0 });
        port = (app.server.address() as AddressInfo).port;
        agent = new http.Agent({ keepAlive: true, maxSockets: 2 }); // two: the flush runs beside the writes
      } catch (err) {
        log.warn({ err }, `warm-up: cannot listen on a loopback port, using inject(): ${(err as Error).message}`);
      }
    }

    // Data: SPAN_MS ending at the current hour, in batches as clients send them. The flush
    // runs in the database's file worker while the tail is written and the first rounds
    // run on the memtables; later rounds read the TSM files.
    const synth = new Synth(rnd);
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const start = end - SPAN_MS;
    const writeDb = (db: string, from: number, to: number): Req => ({
      method: 'POST',
      url: `/write?db=${db}`,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      payload: synth.lines(db, from, to),
    });
    const write = (from: number, to: number): Req => writeDb(DB, from, to);
    const writeAll = async (from: number, to: number): Promise<void> => {
      for (const db of DBS) await send(writeDb(db, from, to));
    };
    const batch = 10 * MINUTE; // 60 rows of gauges per host per request
    const flushAt = end - TAIL_MS;
    for (let t = start; t < flushAt; t += batch) await writeAll(t, Math.min(t + batch, flushAt));
    let flushed = false;
    let flushError: unknown;
    flushing = send({ method: 'POST', url: '/admin/flush' })
      .catch((err: unknown) => void (flushError = err))
      .finally(() => (flushed = true));
    for (let t = flushAt; t < end; t += batch) await writeAll(t, Math.min(t + batch, end));
    setupMs = performance.now() - t0;

    // Rounds of the whole mix (at least minRounds, at most maxRounds, within the budget),
    // then the repeated requests until the budget is spent and the flush is done (so the
    // TSM read path ran); a small write now and then keeps the memtable moving.
    const stop = opts.stop ?? (() => false);
    let next = end;
    const writeMore = async (): Promise<void> => {
      await send(write(next, next + 3 * STEP));
      next += 3 * STEP;
    };
    const inBudget = (): boolean => {
      const ms = performance.now() - t0;
      return ms < budgetMs || (!flushed && ms < 4 * budgetMs);
    };
    const moreRounds = (): boolean => !stop() && rounds < maxRounds && (rounds < minRounds || inBudget());
    while (moreRounds()) {
      for (const req of roundRequests(rounds, rnd, start, end)) {
        if (!moreRounds()) break;
        await send(req);
      }
      await writeMore();
      rounds++;
    }
    while (rounds >= minRounds && !stop() && (repeats < minRepeats || inBudget())) {
      for (const req of repeatRequests(repeats, rnd, start, end)) await send(req);
      if (++repeats % 16 === 0) await writeMore();
    }
    await flushing;
    if (flushError !== undefined) throw flushError;
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
    log.warn({ err: error, dir }, `warm-up failed (the server starts anyway): ${error.message}`);
  } finally {
    await flushing; // never rejects
    agent?.destroy();
    if (app) await app.close().catch((err: unknown) => log.warn({ err }, `warm-up: closing the scratch server failed: ${(err as Error).message}`));
    if (db) await db.close().catch((err: unknown) => log.warn({ err }, `warm-up: closing the scratch database failed: ${(err as Error).message}`));
    if (dir) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        removed = false;
        log.warn({ err, dir }, `warm-up: removing the scratch directory ${dir} failed: ${(err as Error).message}`);
      }
    }
  }
  return { ms: performance.now() - t0, setupMs, requests, failed, rounds, repeats, transport: port > 0 ? 'socket' : 'inject', dir, removed, ...(error ? { error } : {}) };
}
