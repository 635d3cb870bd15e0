// `strata serve`: opens the data directory, replays the WAL, serves HTTP until SIGTERM or
// SIGINT, then shuts down cleanly: stop accepting, finish in-flight requests, close the
// database (which fsyncs the WAL), remove the LOCK file, exit 0.
//
// Logs are JSON lines on stderr. The line with "msg":"listening" carries the real port
// (also for --port 0), so scripts and tests can read it.
//
// Also `strata repair-wal`: the offline fix for a damaged WAL that start-up refuses.

import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database, type OpenOptions } from '../engine/database.js';
import { defaultResidentBytes } from '../tsm/resident.js';
import { CorruptionError } from '../errors.js';
import { buildServer, packageVersion } from '../server/app.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { ContinuousQueries } from '../retention/cq.js';
import { Downsampler, registerDownsamplerMetrics } from '../retention/downsampler.js';
import { registerScheduleMetrics } from '../retention/metrics.js';
import { loadRulesFile, RecordingRules, RulesFileError } from '../retention/rules.js';
import { ScheduleRunner } from '../retention/schedule.js';
import { parseDurationNs } from '../server/prometheus.js';
import { warmUp } from '../server/warmup.js';
import type { FsyncMode } from '../types.js';
import { repairWal } from '../wal/wal.js';
import { DATA_DIR_FLAG, formatHelp, logLevelFlag, parseArgs, UsageError, type CliIo, type CommandSpec, type ParsedArgs } from './args.js';
import { acquireLock, LockHeldError, type DataDirLock } from './lock.js';
import { JsonLogger, type LogLevel } from './log.js';

export const SERVE_SPEC: CommandSpec = {
  name: 'serve',
  summary: 'Run the HTTP server (InfluxDB /write, /export, /metrics, /health, ...)',
  usage: 'serve [flags]',
  description:
    'Opens the data directory (replaying the write-ahead log) and serves HTTP until SIGTERM or\n' +
    'SIGINT, then stops accepting connections, finishes in-flight requests, makes the WAL\n' +
    'durable and exits 0. A second signal exits at once (nothing acknowledged is lost: every\n' +
    'acknowledged write is already in the WAL).\n\n' +
    'Logs are JSON lines on stderr; the "listening" line carries the URL and the real port.\n' +
    'Flags win over environment variables, which win over the defaults.',
  flags: [
    DATA_DIR_FLAG,
    { name: 'port', short: 'p', type: 'number', placeholder: 'PORT', env: 'STRATA_PORT', default: 8086, min: 0, max: 65535, description: 'TCP port (0 picks a free one).' },
    {
      name: 'bind',
      type: 'string',
      placeholder: 'ADDR',
      env: 'STRATA_BIND',
      default: '0.0.0.0',
      description: 'Address to listen on (0.0.0.0: all interfaces, as InfluxDB; 127.0.0.1: this host only).',
    },
    {
      name: 'fsync',
      type: 'string',
      placeholder: 'MODE',
      env: 'STRATA_FSYNC',
      default: 'always',
      choices: ['always', 'interval', 'off'],
      description: 'When a write is acknowledged: after fsync (always), with an fsync every --fsync-interval ms, or when the OS has it (off).',
    },
    { name: 'fsync-interval', type: 'number', placeholder: 'MS', env: 'STRATA_FSYNC_INTERVAL', default: 1000, min: 1, description: 'fsync period for --fsync interval.' },
    {
      name: 'auto-create',
      type: 'boolean',
      negatable: true,
      env: 'STRATA_AUTO_CREATE',
      default: true,
      description: 'Refuse writes to databases that do not exist (by default a write creates its database, as InfluxDB 1.x).',
    },
    {
      name: 'warmup',
      type: 'boolean',
      negatable: true,
      env: 'STRATA_WARMUP',
      default: true,
      description:
        'Skip the start-up warm-up (by default --warmup-ms of typical queries on scratch databases in the temp directory before listening, so the first real queries are not 2-3x slower while V8 compiles the query code).',
    },
    {
      name: 'warmup-ms',
      type: 'number',
      placeholder: 'MS',
      env: 'STRATA_WARMUP_MS',
      default: 3000,
      min: 0,
      description: 'Time the start-up warm-up may take (each route runs at least once even past it).',
    },
    {
      name: 'repair-wal',
      type: 'boolean',
      description: 'Truncate a damaged WAL at the damage instead of refusing to start (the cut bytes are saved beside the segment).',
    },
    {
      name: 'max-body-size',
      type: 'number',
      placeholder: 'BYTES',
      env: 'STRATA_MAX_BODY_SIZE',
      default: 25 * 1024 * 1024,
      min: 1,
      description: 'Largest write body, after decompression.',
    },
    {
      name: 'memtable-size',
      type: 'number',
      placeholder: 'BYTES',
      env: 'STRATA_MEMTABLE_SIZE',
      default: 64 * 1024 * 1024,
      min: 1,
      description: 'Flush the in-memory table to TSM files when it holds more than this many bytes.',
    },
    {
      name: 'memory-budget',
      type: 'number',
      placeholder: 'BYTES',
      env: 'STRATA_MEMORY_BUDGET',
      default: 1024 * 1024 * 1024,
      min: 1,
      description: 'Memory for memtables and the block cache; past it writes get 503 with Retry-After until flushing catches up.',
    },
    {
      name: 'block-cache-size',
      type: 'number',
      placeholder: 'BYTES',
      env: 'STRATA_BLOCK_CACHE_SIZE',
      default: 64 * 1024 * 1024,
      min: 0,
      description: 'Byte budget of the cache of decoded TSM blocks (0: no cache).',
    },
    {
      name: 'tsm-resident-size',
      type: 'number',
      placeholder: 'BYTES',
      env: 'STRATA_TSM_RESIDENT_SIZE',
      default: defaultResidentBytes(),
      min: 0,
      description: 'Byte budget of the newest TSM files held in memory, read without disk reads (default: 256 MiB, or an eighth of the machine memory if less; 0: none).',
    },
    {
      name: 'max-series',
      type: 'number',
      placeholder: 'N',
      env: 'STRATA_MAX_SERIES',
      default: 1_000_000,
      min: 0,
      description: 'Most live series per database; writes that would create more are refused (0: no limit).',
    },
    {
      name: 'shutdown-timeout',
      type: 'number',
      placeholder: 'MS',
      env: 'STRATA_SHUTDOWN_TIMEOUT',
      default: 10000,
      min: 0,
      description: 'On SIGTERM/SIGINT, how long in-flight requests may take before their connections are cut.',
    },
    {
      name: 'query-lookback',
      type: 'string',
      placeholder: 'DURATION',
      env: 'STRATA_QUERY_LOOKBACK',
      default: '5m',
      description: 'PromQL lookback: how far back an instant selector looks for a sample (Prometheus --query.lookback-delta).',
    },
    {
      name: 'query-max-samples',
      type: 'number',
      placeholder: 'N',
      env: 'STRATA_QUERY_MAX_SAMPLES',
      default: 50_000_000,
      min: 1,
      description: 'Most samples one PromQL query may hold in memory (Prometheus --query.max-samples).',
    },
    {
      name: 'query-max-series',
      type: 'number',
      placeholder: 'N',
      env: 'STRATA_QUERY_MAX_SERIES',
      default: 0,
      min: 0,
      description: 'Most series the selectors of one PromQL query may load; 0: no limit.',
    },
    {
      name: 'query-timeout',
      type: 'string',
      placeholder: 'DURATION',
      env: 'STRATA_QUERY_TIMEOUT',
      default: '2m',
      description:
        'Longest a query may run: PromQL (Prometheus --query.timeout; a request\'s timeout parameter can only lower it) and InfluxQL /query (InfluxDB\'s query-timeout).',
    },
    {
      name: 'max-select-point',
      type: 'number',
      placeholder: 'N',
      env: 'STRATA_MAX_SELECT_POINT',
      default: 0,
      min: 0,
      description: 'Most points an InfluxQL SELECT may read (InfluxDB\'s max-select-point; 0: no limit).',
    },
    {
      name: 'max-select-series',
      type: 'number',
      placeholder: 'N',
      env: 'STRATA_MAX_SELECT_SERIES',
      default: 0,
      min: 0,
      description: 'Most series an InfluxQL SELECT may read (InfluxDB\'s max-select-series; 0: no limit).',
    },
    {
      name: 'max-select-buckets',
      type: 'number',
      placeholder: 'N',
      env: 'STRATA_MAX_SELECT_BUCKETS',
      default: 0,
      min: 0,
      description: 'Most GROUP BY time() buckets an InfluxQL SELECT may produce (InfluxDB\'s max-select-buckets; 0: no limit).',
    },
    {
      name: 'rollup-interval',
      type: 'string',
      placeholder: 'DURATION',
      env: 'STRATA_ROLLUP_INTERVAL',
      default: '10s',
      description: 'How often the downsampler rolls up complete windows into the retention policies\' tiers (docs/retention.md).',
    },
    {
      name: 'rules-file',
      type: 'string',
      placeholder: 'FILE',
      env: 'STRATA_RULES_FILE',
      description: 'Prometheus recording rules (YAML, as rule_files); a group may have schedule: "<cron>" instead of interval (docs/continuous-queries.md).',
    },
    {
      name: 'rules-db',
      type: 'string',
      placeholder: 'NAME',
      env: 'STRATA_RULES_DB',
      default: 'prometheus',
      description: 'Database the recording rules write their series into.',
    },
    logLevelFlag('info'),
  ],
  examples: [
    'strata serve',
    'strata serve --data-dir /var/lib/strata --bind 127.0.0.1 --port 8086',
    'STRATA_FSYNC=interval strata serve --fsync-interval 200',
  ],
};

export const REPAIR_WAL_SPEC: CommandSpec = {
  name: 'repair-wal',
  summary: 'Truncate a damaged write-ahead log so the server can start',
  usage: 'repair-wal [flags]',
  description:
    'Scans the WAL of a data directory and cuts every damaged segment at its first bad frame,\n' +
    'saving the cut bytes as <segment>.corrupt-<offset> beside it. Records before the damage are\n' +
    'kept; records after it in the same segment are lost (they are in the saved file). Run it\n' +
    'when `strata serve` refuses to start with a corruption error; the server must be stopped.',
  flags: [DATA_DIR_FLAG, logLevelFlag('warn')],
  examples: ['strata repair-wal --data-dir /var/lib/strata'],
};

/** fastify's own (pino) logger: request logs only at debug, warnings and 5xx errors otherwise. */
function fastifyLogger(level: LogLevel, io: CliIo): object | false {
  if (level === 'silent') return false;
  const pinoLevel = level === 'debug' || level === 'trace' ? 'debug' : level === 'info' ? 'warn' : level;
  return { level: pinoLevel, stream: io.stderr };
}

/**
 * Stops accepting connections and waits for in-flight requests. Node closes only the
 * connections idle at the moment of close(); one whose request was in flight stays open
 * (keep-alive) once answered, so idle connections are reaped until none is left. Requests
 * arriving meanwhile on open connections get 503 with `Connection: close` (fastify).
 * After `graceMs`, whatever is still open is cut.
 */
async function closeHttp(app: FastifyInstance, graceMs: number, log: JsonLogger): Promise<void> {
  const closed = app.close();
  const reaper = setInterval(() => app.server.closeIdleConnections(), 25);
  const force = setTimeout(() => {
    log.warn({ graceMs }, `requests still running after ${graceMs} ms: closing their connections`);
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearInterval(reaper);
    clearTimeout(force);
  }
}

/** A duration flag (`5m`, `90s`, `1h30m`, `500ms`, as Prometheus writes them) in ms. */
function durationFlag(name: string, v: string, command = 'serve'): number {
  let ns: number | null = null;
  try {
    ns = /^\d/.test(v) && !/^\d+(\.\d+)?$/.test(v) ? parseDurationNs(v) : null;
  } catch {
    ns = null;
  }
  if (ns === null || ns <= 0) throw new UsageError(`invalid --${name} "${v}": use a duration such as 30s, 5m or 1h30m`, command);
  return ns / 1e6;
}

function displayUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** What the database and server are, for ServerExtras.setup. */
export interface ServerContext {
  db: Database;
  dataDir: string;
  metrics: Metrics;
  log: JsonLogger;
}

/** Services a command adds to the server (`strata gateway`: MQTT ingest, forwarders). */
export interface ExtraServices {
  /** Fastify plugins registered after the built-in ones. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** Called once the server listens. */
  start?(): void | Promise<void>;
  /** Called first on shutdown (before the HTTP server closes), and on a failed start. */
  stop?(): Promise<void>;
}

/** Hooks of runServer for commands that are `serve` plus something. */
export interface ServerExtras {
  /** Added to the database's OpenOptions (e.g. walHold, admission). */
  openOptions?(dataDir: string): Partial<OpenOptions>;
  /** After the database opened and before the HTTP server is built. */
  setup?(ctx: ServerContext): Promise<ExtraServices>;
}

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(SERVE_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(SERVE_SPEC));
    return 0;
  }
  return runServer(SERVE_SPEC, args, io);
}

/**
 * The server of `strata serve` and of the commands built on it: `args` parsed against a
 * spec that has every SERVE_SPEC flag. The extras' services stop before the HTTP server
 * (so an MQTT ingest or a forwarder never outlives the database it writes or reads).
 */
export async function runServer(spec: CommandSpec, args: ParsedArgs, io: CliIo, extras: ServerExtras = {}): Promise<number> {
  const command = spec.name;
  const dataDir = path.resolve(io.cwd, args.string('data-dir')!);
  const port = args.number('port')!;
  const bind = args.string('bind')!;
  const fsync = args.string('fsync') as FsyncMode;
  const fsyncIntervalMs = args.number('fsync-interval')!;
  const level = args.string('log-level') as LogLevel;
  const query = {
    lookbackMs: durationFlag('query-lookback', args.string('query-lookback')!, command),
    maxSamples: args.number('query-max-samples')!,
    maxSeries: args.number('query-max-series')!,
    timeoutMs: durationFlag('query-timeout', args.string('query-timeout')!, command),
  };
  const influxql = {
    maxPoints: args.number('max-select-point')!,
    maxSeries: args.number('max-select-series')!,
    maxBuckets: args.number('max-select-buckets')!,
    timeoutMs: query.timeoutMs,
  };
  const rollupEveryMs = durationFlag('rollup-interval', args.string('rollup-interval')!, command);
  const log = new JsonLogger({ stream: io.stderr, level });
  const version = packageVersion();

  // Shutdown requests may arrive at any point from here on; they are honoured once the
  // server is up (or make start-up stop right after it).
  let requestStop: (why: string) => void = () => {};
  let stopReason: string | null = null;
  const stopped = new Promise<string>((resolve) => {
    requestStop = (why) => {
      if (stopReason !== null) return;
      stopReason = why;
      resolve(why);
    };
  });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal: sig }, 'second signal: exiting now without waiting for in-flight requests');
      process.exit(1);
    }
    requestStop(sig);
  };
  const onAbort = (): void => requestStop('abort');
  if (io.handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) requestStop('abort');

  let lock: DataDirLock | undefined;
  let db: Database | undefined;
  let app: FastifyInstance | undefined;
  let runner: ScheduleRunner | undefined;
  let downsampler: Downsampler | undefined;
  let services: ExtraServices | undefined;
  let code = 0;
  try {
    try {
      lock = acquireLock(dataDir, command);
    } catch (err) {
      if (err instanceof LockHeldError) {
        log.error({ dataDir, holder: err.holder.pid, lockFile: err.file }, err.message);
        return 1;
      }
      throw err;
    }
    if (lock.tookOver) {
      log.warn({ dataDir, stalePid: lock.tookOver.pid }, `took over the lock of process ${lock.tookOver.pid}, which is no longer running (it did not shut down cleanly)`);
    }
    log.info({ dataDir, fsync, version, pid: process.pid }, 'starting: replaying the write-ahead log');

    const metrics = createMetrics();
    try {
      db = await openDatabase({
        dataDir,
        fsync,
        fsyncIntervalMs,
        autoCreateDatabases: args.boolean('auto-create'),
        repairWal: args.boolean('repair-wal'),
        memtableBytes: args.number('memtable-size'),
        blockCacheBytes: args.number('block-cache-size'),
        residentBytes: args.number('tsm-resident-size'),
        memoryBudget: args.number('memory-budget'),
        maxSeries: args.number('max-series'),
        logger: log,
        onFsync: metrics.onFsync,
        ...extras.openOptions?.(dataDir),
      });
    } catch (err) {
      if (err instanceof CorruptionError) {
        log.error(
          { file: err.file, offset: err.offset, code: err.code },
          `${err.message}. To start anyway, keeping every record before the damage: strata ${command} --repair-wal (or strata repair-wal --data-dir ${dataDir})`,
        );
        return 1;
      }
      throw err;
    }

    // Continuous queries and recording rules: one runner wakes when the next is due; its
    // first pass runs whatever was missed while the server was down.
    const cqs = ContinuousQueries.open({ engine: db, now: Date.now, logger: log, onChange: () => runner?.poke() });
    let rules: RecordingRules | null = null;
    const rulesFile = args.string('rules-file');
    if (rulesFile !== undefined) {
      try {
        rules = new RecordingRules({ engine: db, groups: loadRulesFile(path.resolve(io.cwd, rulesFile)), database: args.string('rules-db')!, now: Date.now, logger: log });
      } catch (err) {
        if (!(err instanceof RulesFileError)) throw err;
        log.error({ file: rulesFile }, err.message);
        return 1;
      }
    }
    registerScheduleMetrics(metrics.registry, { continuousQueries: cqs, rules });
    downsampler = new Downsampler({ db, dataDir, logger: log });
    registerDownsamplerMetrics(metrics.registry, downsampler);
    runner = new ScheduleRunner({ now: Date.now, jobs: rules ? [cqs, rules] : [cqs], logger: log });
    if (extras.setup) services = await extras.setup({ db, dataDir, metrics, log });

    const queryOptions = {
      logger: fastifyLogger(level, io),
      bodyLimit: args.number('max-body-size'),
      query: { ...query, tierWatermarks: downsampler },
      influxql: { ...influxql, tierWatermarks: downsampler },
      sql: { tierWatermarks: downsampler },
    };
    app = await buildServer({
      db,
      metrics,
      version,
      ...queryOptions,
      continuousQueries: cqs,
      rules,
      downsampler,
      ...(services?.plugins ? { plugins: services.plugins } : {}),
    });
    if (args.boolean('warmup') && stopReason === null) {
      // Compile the query paths on a scratch database before the first real request (src/server/warmup.ts).
      const w = await warmUp({ logger: log, version, server: queryOptions, budgetMs: args.number('warmup-ms'), stop: () => stopReason !== null });
      log.info({ ms: Math.round(w.ms), requests: w.requests, failed: w.failed, rounds: w.rounds, repeats: w.repeats, transport: w.transport }, 'warm-up done');
    }
    try {
      await app.listen({ port, host: bind });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const hint = e.code === 'EADDRINUSE' ? `: port ${port} is in use (another server?); pick another with --port` : e.code === 'EADDRNOTAVAIL' ? `: ${bind} is not an address of this host` : '';
      log.error({ err: e, port, bind }, `cannot listen on ${bind}:${port}${hint}`);
      code = 1;
      return code;
    }
    const addr = app.server.address() as AddressInfo;
    const url = displayUrl(bind, addr.port);
    // nodeFlags: node was started with --no-memory-reducer or not (docs/cli.md, "Memory")
    log.info({ url, port: addr.port, bind, dataDir, fsync, version, pid: process.pid, nodeFlags: process.execArgv }, `listening on ${url}`);
    runner.start();
    downsampler.start(rollupEveryMs);
    await services?.start?.();

    const why = await stopped;
    log.info({ reason: why }, 'shutting down: finishing in-flight requests');
    const t0 = performance.now();
    const s = services;
    services = undefined;
    await s?.stop?.();
    await closeHttp(app, args.number('shutdown-timeout')!, log);
    app = undefined;
    await runner.stop();
    runner = undefined;
    await downsampler.close();
    downsampler = undefined;
    await db.close();
    db = undefined;
    log.info({ ms: Math.round(performance.now() - t0) }, 'stopped cleanly');
    return code;
  } catch (err) {
    log.error({ err }, `strata ${command} failed: ${(err as Error).message}`);
    code = 1;
    return code;
  } finally {
    if (services?.stop) await services.stop().catch((err: unknown) => log.error({ err }, `stopping the ${command} services failed: ${(err as Error).message}`));
    if (app) await app.close().catch(() => {});
    if (runner) await runner.stop().catch(() => {});
    if (downsampler) await downsampler.close().catch(() => {});
    if (db) {
      try {
        await db.close();
      } catch (err) {
        log.error({ err }, `closing the database failed: ${(err as Error).message}`);
      }
    }
    lock?.release();
    io.signal?.removeEventListener('abort', onAbort);
    if (io.handleSignals) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // Nothing should keep the process alive now; if something does (a stray timer in
      // a library), do not hang a service manager's stop.
      setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
    }
  }
}

export async function runRepairWal(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(REPAIR_WAL_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(REPAIR_WAL_SPEC));
    return 0;
  }
  const dataDir = path.resolve(io.cwd, args.string('data-dir')!);
  const log = new JsonLogger({ stream: io.stderr, level: args.string('log-level') as LogLevel });
  const lock = acquireLock(dataDir, 'repair-wal');
  try {
    const res = await repairWal(path.join(dataDir, 'wal'), log);
    if (res.problems.length === 0) {
      io.stdout.write(`WAL is intact: ${res.records} records in ${res.segments.length} segment(s); nothing to repair\n`);
      return 0;
    }
    io.stdout.write(`repaired ${res.problems.length} problem(s); ${res.records} valid records kept:\n`);
    for (const p of res.problems) {
      io.stdout.write(
        `  ${p.kind} in ${p.file} at offset ${p.offset}: ${p.detail}; ${p.action}, ${p.dropped} bytes dropped` +
          (p.savedTo ? ` (saved in ${p.savedTo})` : '') +
          '\n',
      );
    }
    return 0;
  } finally {
    lock.release();
  }
}
