// `strata export`: a database's points as line protocol (nanosecond timestamps), to stdout
// or a file, read straight from a data directory. `strata import` reads the output back.

import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { openDatabase, type Database } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { StrataError } from '../errors.js';
import {
  DATA_DIR_FLAG,
  UsageError,
  formatHelp,
  logLevelFlag,
  parseArgs,
  type CliIo,
  type CommandSpec,
  type OutStream,
} from './args.js';
import { acquireLock } from './lock.js';
import { JsonLogger, type LogLevel } from './log.js';
import { formatCount } from './progress.js';

export const EXPORT_SPEC: CommandSpec = {
  name: 'export',
  summary: 'Write a database (or part of it) out as line protocol',
  usage: 'export --db NAME [flags]',
  description:
    'Writes the points of a database as line protocol with nanosecond timestamps, series in key\n' +
    'order and times ascending, to stdout or --out FILE. Reads the data directory directly, so\n' +
    'the server must not be running on it (a LOCK file enforces this); from a running server use\n' +
    'GET /export?db=NAME instead. The output loads back with `strata import FILE --db NAME`.\n\n' +
    'Times for --start and --end: nanoseconds since the epoch, or RFC 3339\n' +
    '(2024-05-01T12:00:00Z, 2024-05-01T12:00:00.123456789+02:00, 2024-05-01 = midnight UTC).',
  flags: [
    DATA_DIR_FLAG,
    { name: 'db', type: 'string', placeholder: 'NAME', description: 'Database to export (required).' },
    { name: 'rp', type: 'string', placeholder: 'NAME', description: "Retention policy (default: the database's default)." },
    { name: 'measurement', type: 'string', placeholder: 'NAME', repeatable: true, description: 'Only this measurement.' },
    { name: 'start', type: 'string', placeholder: 'TIME', description: 'Only points at or after TIME.' },
    { name: 'end', type: 'string', placeholder: 'TIME', description: 'Only points before TIME.' },
    { name: 'out', short: 'o', type: 'string', placeholder: 'FILE', default: '-', description: 'Output file; "-" is stdout.' },
    logLevelFlag('warn'),
  ],
  examples: [
    'strata export --db telegraf > telegraf.lp',
    'strata export --db sensors --measurement temp --start 2024-05-01T00:00:00Z --out temp.lp',
  ],
};

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses a time argument: integer nanoseconds since the epoch, or RFC 3339 (UTC when no zone). */
export function parseTimeArg(s: string, flag: string): bigint {
  const t = s.trim();
  if (/^-?\d+$/.test(t)) return BigInt(t);
  const m = RFC3339_RE.exec(t);
  if (!m) throw new UsageError(`${flag}: "${s}" is not a time: use nanoseconds since the epoch or RFC 3339 (2024-05-01T12:00:00Z)`);
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const check = new Date(ms);
  if (
    Number.isNaN(ms) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 59
  ) {
    throw new UsageError(`${flag}: "${s}" is not a valid date and time`);
  }
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? '0'));
  }
  const nanos = frac ? BigInt(frac.padEnd(9, '0')) : 0n;
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + nanos;
}

/** Writes `text` to `out`, waiting for 'drain' when its buffer is full. */
export async function writeOut(out: OutStream, text: string): Promise<void> {
  if (!out.write(text) && out.once) {
    await once(out as unknown as NodeJS.EventEmitter, 'drain');
  }
}

export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(EXPORT_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(EXPORT_SPEC));
    return 0;
  }
  const dbName = args.string('db');
  if (!dbName) throw new UsageError('--db NAME is required', 'export');
  const start = args.has('start') ? parseTimeArg(args.string('start')!, '--start') : undefined;
  const end = args.has('end') ? parseTimeArg(args.string('end')!, '--end') : undefined;
  if (start !== undefined && end !== undefined && end <= start) throw new UsageError('--end must be after --start', 'export');
  const measurements = args.list('measurement');
  const outArg = args.string('out')!;
  const dataDir = path.resolve(io.cwd, args.string('data-dir')!);
  if (!fs.existsSync(dataDir)) {
    io.stderr.write(`strata export: data directory ${dataDir} does not exist\n`);
    return 1;
  }
  const logger = new JsonLogger({ stream: io.stderr, level: args.string('log-level') as LogLevel });

  const lock = acquireLock(dataDir, 'export');
  let db: Database | undefined;
  let out: OutStream = io.stdout;
  let file: fs.WriteStream | undefined;
  let lines = 0;
  let broken = false;
  const t0 = performance.now();
  try {
    db = await openDatabase({ dataDir, fsync: 'off', logger, autoCreateDatabases: false });
    if (!db.hasDatabase(dbName)) {
      io.stderr.write(`strata export: database not found: "${dbName}" (databases: ${db.databases().join(', ') || 'none'})\n`);
      return 1;
    }
    if (outArg !== '-') {
      file = fs.createWriteStream(path.resolve(io.cwd, outArg));
      await once(file, 'open');
      out = file;
    } else if (typeof (io.stdout as { on?: unknown }).on === 'function') {
      // `strata export | head`: a closed pipe ends the export quietly.
      (io.stdout as unknown as NodeJS.EventEmitter).on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') broken = true;
      });
    }
    const targets = measurements.length ? measurements : [undefined];
    for (const measurement of targets) {
      for (const chunk of exportLineProtocol(db, { db: dbName, rp: args.string('rp'), measurement, start, end })) {
        if (broken) break;
        lines += countLines(chunk);
        await writeOut(out, chunk);
      }
    }
    if (file) {
      file.end();
      await once(file, 'finish');
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    if (err instanceof UsageError) throw err;
    const msg = err instanceof StrataError ? `${err.message} (${err.code})` : (err as Error).message;
    io.stderr.write(`strata export: ${msg}\n`);
    return 1;
  } finally {
    file?.destroy();
    await db?.close();
    lock.release();
  }
  if (file) {
    const s = (performance.now() - t0) / 1000;
    io.stderr.write(`exported ${formatCount(lines)} lines of "${dbName}" to ${outArg} in ${s.toFixed(2)} s\n`);
  }
  return 0;
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
