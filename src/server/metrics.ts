// Prometheus metrics of one Strata process, on a Registry of its own (never prom-client's
// global one, so two servers in one process, or an embedding program, do not collide).
//
// Engine figures are read from `db.stats()` when Prometheus scrapes (collect callbacks),
// so the engine stays the only thing that counts them. Two things are observed as they
// happen: WAL fsync durations (`onFsync`, handed to openDatabase) and HTTP request
// durations (a hook in app.ts).

import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database, EngineStats } from '../engine/database.js';

export interface Metrics {
  readonly registry: Registry;
  /** Observer of a WAL fsync's duration in seconds: pass as `openDatabase({ onFsync })`. */
  readonly onFsync: (seconds: number) => void;
  /** Records one HTTP request (route is the route pattern, not the URL). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Reads engine figures from this database at scrape time (the server calls this). */
  attach(db: Database): void;
}

/**
 * How often the event-loop delay histogram (nodejs_eventloop_lag_*) samples, ms. prom-client's
 * default, 10 ms, is a timer that wakes an idle server 100 times a second: ~0.6% of a core
 * doing nothing, on an edge gateway's battery (bench/idle.sh). Every 100 ms still catches
 * most stalls long enough to matter to a query.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(): Metrics {
  const registry = new Registry();
  let db: Database | null = null;

  const stats = (): EngineStats | null => {
    try {
      return db ? db.stats() : null;
    } catch {
      return null; // closed or not yet open: report nothing rather than fail the scrape
    }
  };

  // A counter read from the engine: prom-client counters have no `set`, so a collect
  // callback resets and re-adds the engine's running total.
  const engineCounter = (name: string, help: string, pick: (s: EngineStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const s = stats();
        this.reset();
        if (s) this.inc(pick(s));
      },
    });
  const engineGauge = (name: string, help: string, pick: (s: EngineStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const s = stats();
        if (s) this.set(pick(s));
      },
    });

  engineCounter('strata_points_written_total', 'Points (lines) stored, including those replayed from the WAL at start-up.', (s) => s.pointsWritten);
  engineCounter('strata_values_written_total', 'Field values stored, including those replayed from the WAL at start-up.', (s) => s.valuesWritten);
  engineCounter('strata_bad_lines_total', 'Lines rejected by writes (syntax errors and field type conflicts).', (s) => s.badLines);
  // A running total (no _total suffix: the name is the one dashboards were given).
  engineCounter('strata_wal_bytes', 'Bytes appended to the write-ahead log by this process, frame headers included.', (s) => s.walBytes);
  engineGauge('strata_memtable_bytes', 'Estimated bytes held by the in-memory table.', (s) => s.memtableBytes);
  engineGauge('strata_memtable_series', 'Series held by the in-memory table.', (s) => s.memtableSeries);
  engineCounter('strata_flushes_total', 'Memtable flushes to TSM files completed by this process.', (s) => s.flushes);
  engineCounter('strata_compactions_total', 'Compactions (groups of TSM files merged into one) completed by this process.', (s) => s.compactions);
  engineGauge('strata_tsm_files', 'TSM files open, over every database and shard.', (s) => s.tsmFiles);
  engineGauge('strata_tsm_bytes', 'Bytes of the TSM files open, over every database and shard.', (s) => s.tsmBytes);
  engineCounter('strata_block_cache_hits_total', 'Block reads served by the decoded-block cache.', (s) => s.blockCacheHits);
  engineCounter('strata_block_cache_misses_total', 'Block reads that had to read and decode the block from its TSM file.', (s) => s.blockCacheMisses);
  engineGauge('strata_tsm_resident_bytes', 'Bytes of TSM files held in memory (--tsm-resident-size), whose blocks are read without a disk read.', (s) => s.tsmResidentBytes);
  engineGauge('strata_tsm_resident_files', 'TSM files held in memory (--tsm-resident-size).', (s) => s.tsmResidentFiles);
  new Gauge({
    name: 'strata_series',
    help: 'Live series per database (its series index).',
    labelNames: ['db'] as const,
    registers: [registry],
    collect() {
      // Reset first, so a database that is gone does not linger with its last value.
      this.reset();
      let counts: Record<string, number>;
      try {
        counts = db ? db.seriesCounts() : {};
      } catch {
        return;
      }
      for (const [name, n] of Object.entries(counts)) this.set({ db: name }, n);
    },
  });

  // Per shard: labels db, rp and shard (its bounds in ns, as in its directory name).
  const shardGauge = (name: string, help: string, pick: (x: { files: number; bytes: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['db', 'rp', 'shard'] as const,
      registers: [registry],
      collect() {
        this.reset();
        let shards: ReturnType<Database['shardStats']>;
        try {
          shards = db ? db.shardStats() : [];
        } catch {
          return;
        }
        for (const x of shards) this.set({ db: x.db, rp: x.rp, shard: x.shard }, pick(x));
      },
    });
  shardGauge('strata_shard_tsm_files', 'TSM files of one shard.', (x) => x.files);
  shardGauge('strata_shard_tsm_bytes', 'Bytes of the TSM files of one shard.', (x) => x.bytes);

  const fsync = new Histogram({
    name: 'strata_wal_fsync_seconds',
    help: 'Duration of WAL fsync calls (one call may make many concurrent writes durable).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

  return {
    registry,
    onFsync: (seconds) => fsync.observe(seconds),
    observeRequest: httpRequests(registry),
    attach(d) {
      db = d;
    },
  };
}

/** `GET /metrics`: the text exposition format of the registry. */
export function metricsPlugin(metrics: Metrics) {
  return async function metricsRoutes(app: FastifyInstance): Promise<void> {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  };
}

/**
 * The per-request latency histogram (`strata_http_request_duration_seconds`) in `registry`, and its observer (Metrics.observeRequest).
 *
 * prom-client's observe() checks and hashes the label set on every call, ~10 us of a
 * small query's answer in a profile. Observations are kept per (method, status, route)
 * in a small buffer instead and handed to prom-client a buffer at a time: when a
 * buffer fills, and at every scrape (collect), so a scrape shows every request.
 */
export function httpRequests(registry: Registry): Metrics['observeRequest'] {
  const pending = new Map<string, Pending>();
  const flush = (p: Pending): void => {
    for (let i = 0; i < p.n; i++) p.child.observe(p.values[i]);
    p.n = 0;
  };
  const http = new Histogram({
    name: 'strata_http_request_duration_seconds',
    help: 'Duration of HTTP requests, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
    collect() {
      for (const p of pending.values()) flush(p);
    },
  });
  return (method, route, status, seconds) => {
    const key = `${method} ${status} ${route}`;
    let p = pending.get(key);
    if (p === undefined) {
      p = { child: http.labels({ method, route, status: String(status) }), values: new Float64Array(PENDING_OBSERVATIONS), n: 0 };
      pending.set(key, p);
    }
    p.values[p.n++] = seconds;
    if (p.n === PENDING_OBSERVATIONS) flush(p);
  };
}

/** Request durations kept per label set before they go to prom-client. */
const PENDING_OBSERVATIONS = 256;

/** One label set's child histogram and the durations not yet given to it. */
interface Pending {
  child: { observe(seconds: number): void };
  values: Float64Array;
  n: number;
}
