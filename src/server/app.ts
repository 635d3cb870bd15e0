// The HTTP server: a fastify instance with one plugin per API surface. Routes only
// translate HTTP to engine calls; errors become responses in one place (errors.ts).
//
// buildServer does not call `ready()`, so a caller (the CLI, a test, an embedding program)
// can register more plugins, which then share the error handler, the version headers and
// the request metrics set up here.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import { adminPlugin } from './admin.js';
import { retentionPlugin } from './retention.js';
import { rulesPlugin } from './rules.js';
import type { ContinuousQueryRegistry } from '../query/influxql/result.js';
import type { RecordingRules } from '../retention/rules.js';
import type { Downsampler } from '../retention/downsampler.js';
import type { TierWatermarks } from '../query/promql/tierSource.js';
import { DEFAULT_BODY_LIMIT } from './body.js';
import { deletePlugin } from './delete.js';
import { docsPlugin } from './docs.js';
import { registerErrorHandlers } from './errors.js';
import { exportPlugin } from './export.js';
import { healthPlugin } from './health.js';
import { influxqlPlugin, type InfluxQLLimits } from './influxql.js';
import { kvPlugin } from './kv.js';
import { QueryLane } from './lane.js';
import { createMetrics, metricsPlugin, type Metrics } from './metrics.js';
import { DEFAULT_MAX_SAMPLES, prometheusPlugin, type PrometheusQueryOptions } from './prometheus.js';
import { remoteReadPlugin } from './remoteRead.js';
import { remoteWritePlugin } from './remoteWrite.js';
import { sqlPlugin } from './sql.js';
import { writePlugin } from './write.js';

export interface ServerOptions {
  db: Database;
  /** Metrics registry; pass the one whose `onFsync` was given to openDatabase so WAL
   * fsync durations are observed. Created here when absent (without fsync durations). */
  metrics?: Metrics;
  /** Largest write body in bytes, after decompression (default 25 MiB, InfluxDB's
   * `max-body-size`); also the limit on the compressed bytes. */
  bodyLimit?: number;
  /** fastify logger option: false (default), true, or pino options. */
  logger?: boolean | object;
  /** Strata's version (default: package.json's). */
  version?: string;
  /** Commit reported by /health (default: $STRATA_COMMIT or "unknown"). */
  commit?: string;
  /** PromQL limits of the Prometheus API: lookback, max samples, timeout. */
  query?: PrometheusQueryOptions;
  /** InfluxQL limits of /query: max-select-point/series/buckets, timeout, chunk size. */
  influxql?: InfluxQLLimits;
  /** SQL on /sql: the downsampler's watermarks let time-bucket aggregates read tiers. */
  sql?: { tierWatermarks?: TierWatermarks };
  /** The continuous queries InfluxQL's CREATE/SHOW/DROP CONTINUOUS QUERY manage
   * (src/retention/cq.ts); absent: CREATE answers "not supported". */
  continuousQueries?: ContinuousQueryRegistry;
  /** Recording rules served by GET /api/v1/rules (null or absent: none configured). */
  rules?: RecordingRules | null;
  /** The downsampler: GET /admin/rollups shows it, POST /admin/rollups/tick runs it. */
  downsampler?: Downsampler;
  /** The query lane (lane.ts; default on): false sends every request through fastify. */
  queryLane?: boolean;
  /** More routes, registered last (e.g. the gateway's status page). */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

/**
 * InfluxDB compatibility version: clients and tools read X-Influxdb-Version (the influx
 * shell prints it, some libraries split it on "." and check the major version). The 1.8.10
 * core keeps them on their 1.8 code paths; Strata's version rides in semver build metadata
 * ("+..."), which semver comparisons ignore.
 */
export const INFLUX_COMPAT_VERSION = '1.8.10';

export function influxVersion(version: string): string {
  return `${INFLUX_COMPAT_VERSION}+strata.${version.replace(/[^0-9A-Za-z.-]/g, '-')}`;
}

let cachedVersion: string | undefined;

/** The `version` of the nearest enclosing package.json named "strata" (src/ and dist/ alike). */
export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'strata' && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // no package.json here: look one level up
    }
    dir = path.dirname(dir);
  }
  return (cachedVersion = '0.0.0');
}

/** Whether fastify logs every request with this logger option (at info level or below). */
function logsRequests(logger: boolean | object): boolean {
  if (logger === false) return false;
  if (logger === true) return true;
  const level = (logger as { level?: string }).level ?? 'info';
  return level === 'info' || level === 'debug' || level === 'trace';
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const version = opts.version ?? packageVersion();
  const compat = influxVersion(version);
  const commit = opts.commit ?? process.env.STRATA_COMMIT ?? 'unknown';
  const metrics = opts.metrics ?? createMetrics();
  metrics.attach(opts.db);

  // The query endpoints' lane (lane.ts) sits in front of fastify in the request listener.
  // The server is made here as fastify makes its own (lib/server.js), with its timeouts.
  const lane = new QueryLane({
    bodyLimit,
    headers: { 'x-influxdb-version': compat, 'x-influxdb-build': 'OSS' },
    observe: metrics.observeRequest,
    enabled: opts.queryLane !== false && !logsRequests(opts.logger ?? false),
    onError: (err, url) => app.log.error({ err, url }, 'query lane: request failed'),
  });
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit,
    serverFactory: (handler, options) => {
      // fastify passes its options with its defaults filled in
      const o = options as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number };
      const server = http.createServer(lane.listener(handler));
      server.keepAliveTimeout = o.keepAliveTimeout;
      server.requestTimeout = o.requestTimeout;
      server.setTimeout(o.connectionTimeout);
      if (o.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = o.maxRequestsPerSocket;
      lane.attach(server);
      return server;
    },
  });
  app.decorate('queryLane', lane);
  // closing: fastify answers what still arrives (503, Connection: close)
  app.addHook('preClose', (done) => {
    lane.close();
    done();
  });
  registerErrorHandlers(app);

  // Every response, errors and 404s included, names the version (InfluxDB does the same;
  // the influx shell and Grafana read it from /ping).
  // (callback hooks: an async hook costs every request a promise and a microtask turn)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('X-Influxdb-Version', compat);
    reply.header('X-Influxdb-Build', 'OSS');
    done();
  });
  // Request metrics by route pattern: each route gets its own onResponse hook with its
  // pattern (request.routeOptions builds an object of a dozen properties at every access);
  // requests no route matched are counted here as "unmatched".
  app.addHook('onRoute', (route) => {
    const url = route.url;
    const observe = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      metrics.observeRequest(request.method, url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    const own = route.onResponse;
    route.onResponse = own === undefined ? [observe] : [...(Array.isArray(own) ? own : [own]), observe];
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) metrics.observeRequest(request.method, 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  await app.register(healthPlugin({ influxVersion: compat, commit }));
  await app.register(metricsPlugin(metrics));
  await app.register(writePlugin({ db: opts.db, bodyLimit }));
  await app.register(remoteWritePlugin({ db: opts.db, bodyLimit }));
  await app.register(remoteReadPlugin({ db: opts.db, bodyLimit, maxSamples: opts.query?.maxSamples ?? DEFAULT_MAX_SAMPLES }));
  await app.register(deletePlugin({ db: opts.db, bodyLimit }));
  await app.register(exportPlugin({ db: opts.db }));
  await app.register(adminPlugin({ db: opts.db }));
  await app.register(retentionPlugin({ db: opts.db, downsampler: opts.downsampler }));
  await app.register(prometheusPlugin({ db: opts.db, version, bodyLimit, ...opts.query, lane }));
  await app.register(influxqlPlugin({ db: opts.db, bodyLimit, version: compat, commit, ...opts.influxql, continuousQueries: opts.continuousQueries, lane }));
  await app.register(rulesPlugin({ rules: opts.rules ?? null }));
  await app.register(kvPlugin({ db: opts.db }));
  await app.register(docsPlugin({ db: opts.db }));
  await app.register(sqlPlugin({ db: opts.db, bodyLimit, ...opts.sql }));
  for (const plugin of opts.plugins ?? []) await app.register(plugin);
  return app;
}
