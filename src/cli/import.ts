// `strata import FILE`: bulk-loads a line-protocol file straight into a data directory
// through the library API (no server, no HTTP). The file is read in chunks and cut into
// batches on newlines only, so a line is never split and every bad line is reported with
// its absolute line number in the file. Gzip input (by its magic bytes, so also on stdin)
// is decompressed on the fly.
//
// Files written by `influx_inspect export` / read by `influx -import` work as they are: the
// `# CONTEXT-DATABASE:` and `# CONTEXT-RETENTION-POLICY:` lines switch the target, and in a
// `# DDL` section `CREATE DATABASE name` statements create databases.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { openDatabase, parsePrecision, type Database } from '../engine/database.js';
import { OverloadedError, StrataError } from '../errors.js';
import type { FsyncMode, LineError, Precision } from '../types.js';
import {
  DATA_DIR_FLAG,
  UsageError,
  formatHelp,
  logLevelFlag,
  parseArgs,
  type CliIo,
  type CommandSpec,
} from './args.js';
import { acquireLock } from './lock.js';
import { JsonLogger, type LogLevel } from './log.js';
import { Progress, formatBytes, formatCount } from './progress.js';

export const IMPORT_SPEC: CommandSpec = {
  name: 'import',
  summary: 'Bulk-load a line-protocol file (or stdin, gzip or not) into a data directory',
  usage: 'import FILE [flags]',
  description:
    'Reads line protocol from FILE ("-" for stdin; gzip is detected and decompressed) and writes it\n' +
    'directly into the data directory, in batches cut on line boundaries. Bad lines are reported\n' +
    'with their line numbers and skipped; every good line is stored.\n\n' +
    'The server must not be running on the same data directory (a LOCK file enforces this): to\n' +
    'load into a running server, POST the file to /write instead.\n\n' +
    'The target database is --db, or the "# CONTEXT-DATABASE: NAME" lines of the file (the format\n' +
    'of influx_inspect export); one of the two is required. Writes are not fsynced one by one\n' +
    '(--fsync off); everything is flushed to disk once at the end, before the summary.\n\n' +
    'Exit status: 0 all lines stored, 1 some lines were bad (the good ones are stored) or the\n' +
    'import failed, 2 usage error.',
  positionals: [{ name: 'FILE', description: 'Line-protocol file, optionally gzipped; "-" reads stdin.', required: true }],
  flags: [
    DATA_DIR_FLAG,
    { name: 'db', type: 'string', placeholder: 'NAME', description: 'Database to write to (created if missing).' },
    { name: 'rp', type: 'string', placeholder: 'NAME', description: "Retention policy (default: the database's default)." },
    {
      name: 'precision',
      type: 'string',
      placeholder: 'P',
      default: 'ns',
      description: 'Timestamp precision of the file: ns, us, ms, s (also n, u, m, h).',
    },
    { name: 'batch-lines', type: 'number', placeholder: 'N', default: 10000, min: 1, description: 'Lines per write batch.' },
    {
      name: 'fsync',
      type: 'string',
      placeholder: 'MODE',
      default: 'off',
      choices: ['always', 'interval', 'off'],
      description: 'Durability of each batch; the data is flushed to disk at the end in every mode.',
    },
    { name: 'max-errors', type: 'number', placeholder: 'N', default: 10, min: 0, description: 'Bad lines listed in the summary.' },
    { name: 'json', type: 'boolean', description: 'Print the summary as one JSON object on stdout.' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'No progress bar and no summary (the exit status still tells).' },
    logLevelFlag('warn'),
  ],
  examples: [
    'strata import metrics.lp --db telegraf',
    'strata import export.lp.gz --precision s --data-dir /var/lib/strata',
    'zcat big.lp.gz | strata import - --db sensors --batch-lines 50000',
  ],
};

/** Bytes per batch at most (beyond the line that crosses it). */
const BATCH_BYTES = 4 * 1024 * 1024;

export interface ImportOptions {
  /** Target database; the file's `# CONTEXT-DATABASE:` lines may set or change it. */
  db?: string;
  rp?: string;
  precision?: Precision;
  fsync?: FsyncMode;
  batchLines?: number;
  batchBytes?: number;
  /** Bad lines kept in the summary (all are counted). */
  maxErrors?: number;
  /** Called after each batch with the lines read so far. */
  onBatch?: (lines: number) => void;
}

export interface ImportSummary {
  /** Physical lines read (blank lines and comments included). */
  lines: number;
  points: number;
  values: number;
  badLines: number;
  /** The first bad lines, with line numbers counted from 1 in the whole input. */
  errors: LineError[];
  /** Databases written to. */
  databases: string[];
  /** Uncompressed bytes processed. */
  bytes: number;
}

export interface LineBatch {
  buf: Buffer;
  /** Line number (1-based) of the batch's first line in the whole input. */
  firstLine: number;
  /** Lines in the batch (its last line may lack a newline only at the end of input). */
  lines: number;
}

/** Cuts a byte stream into batches of whole lines, counting lines as it goes. */
export class LineBatcher {
  private parts: Buffer[] = [];
  private partsLen = 0;
  private lines = 0;
  private nextLine = 1;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes = BATCH_BYTES,
  ) {}

  /** Feeds a chunk; yields every batch it completes. */
  *push(chunk: Buffer): Generator<LineBatch> {
    let start = 0;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) break;
      this.lines++;
      pos = nl + 1;
      if (this.lines >= this.maxLines || this.partsLen + (pos - start) >= this.maxBytes) {
        yield this.cut(chunk.subarray(start, pos));
        start = pos;
      }
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.partsLen += chunk.length - start;
    }
  }

  /** The rest of the input, at its end (null when nothing is left). */
  end(): LineBatch | null {
    if (this.partsLen === 0) return null;
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
    // Whatever follows the last newline is one more (unterminated) line.
    if (buf[buf.length - 1] !== 10) this.lines++;
    return this.cut(Buffer.alloc(0), buf);
  }

  private cut(tail: Buffer, whole?: Buffer): LineBatch {
    const buf = whole ?? (this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], this.partsLen + tail.length));
    const b: LineBatch = { buf, firstLine: this.nextLine, lines: this.lines };
    this.nextLine += this.lines;
    this.lines = 0;
    this.parts = [];
    this.partsLen = 0;
    return b;
  }
}

const NL_HASH = Buffer.from('\n#');
const CONTEXT_RE = /^#\s*CONTEXT-(DATABASE|RETENTION-POLICY)\s*:\s*(.*?)\s*$/i;
const SECTION_RE = /^#\s*(DDL|DML)\s*$/i;
const CREATE_DB_RE = /^CREATE\s+DATABASE\s+("(?:[^"\\]|\\.)+"|[^\s;]+)/i;

/** No database to write a data line to: a usage error (nothing of it was written). */
export class NoDatabaseError extends UsageError {
  constructor(line: number) {
    super(`line ${line} has data but no database is chosen: pass --db NAME (or start the file with "# CONTEXT-DATABASE: NAME")`, 'import');
  }
}

/**
 * Writes line protocol from `input` into `db`. Throws NoDatabaseError when data comes before
 * any database is named, and StrataError when a batch cannot be written at all.
 */
export async function importLineProtocol(
  db: Database,
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const precision = opts.precision ?? 'ns';
  const fsync = opts.fsync ?? 'off';
  const maxErrors = opts.maxErrors ?? 10;
  const sum: ImportSummary = { lines: 0, points: 0, values: 0, badLines: 0, errors: [], databases: [], bytes: 0 };
  const dbs = new Set<string>();
  let target = opts.db;
  let rp = opts.rp;
  let ddl = false;

  const writeSegment = async (buf: Buffer, firstLine: number): Promise<void> => {
    if (buf.length === 0) return;
    if (target === undefined) {
      const line = firstDataLine(buf);
      if (line === -1) return;
      throw new NoDatabaseError(firstLine + line);
    }
    const r = await writeWithBackpressure(db, buf, { db: target, rp, precision, fsync });
    dbs.add(target);
    sum.points += r.points;
    sum.values += r.values;
    sum.badLines += r.errors.length;
    for (const e of r.errors) {
      if (sum.errors.length >= maxErrors) break;
      sum.errors.push({ ...e, line: firstLine + e.line - 1 });
    }
  };

  const badLine = (line: number, message: string): void => {
    sum.badLines++;
    if (sum.errors.length < maxErrors) sum.errors.push({ line, kind: 'syntax', message });
  };

  const writeBatch = async (b: LineBatch): Promise<void> => {
    const buf = b.buf;
    sum.bytes += buf.length;
    sum.lines += b.lines;
    // Fast path: no line starts with '#' and no DDL section is open.
    if (!ddl && buf[0] !== 0x23 && buf.indexOf(NL_HASH) === -1) {
      await writeSegment(buf, b.firstLine);
      return;
    }
    let segStart = 0;
    let segLine = b.firstLine;
    let line = b.firstLine;
    for (let pos = 0; pos < buf.length; line++) {
      const nl = buf.indexOf(10, pos);
      const end = nl === -1 ? buf.length : nl + 1;
      if (ddl || buf[pos] === 0x23) {
        const text = buf.toString('utf8', pos, end).trim();
        const ctx = CONTEXT_RE.exec(text);
        const sec = ctx ? null : SECTION_RE.exec(text);
        if (ctx || sec || ddl) {
          await writeSegment(buf.subarray(segStart, pos), segLine);
          segStart = end;
          segLine = line + 1;
          if (ctx) {
            const name = ctx[2];
            if (ctx[1].toUpperCase() === 'DATABASE') target = name || opts.db;
            else rp = name || opts.rp;
          } else if (sec) {
            ddl = sec[1].toUpperCase() === 'DDL';
          } else if (text !== '' && !text.startsWith('#')) {
            const m = CREATE_DB_RE.exec(text);
            if (m) {
              const name = m[1].startsWith('"') ? m[1].slice(1, -1).replace(/\\(.)/g, '$1') : m[1];
              await db.createDatabase(name);
              dbs.add(name);
            } else {
              badLine(line, `unsupported statement in the DDL section (only CREATE DATABASE is applied): ${text.slice(0, 80)}`);
            }
          }
        }
      }
      pos = end;
    }
    await writeSegment(buf.subarray(segStart), segLine);
  };

  const batcher = new LineBatcher(opts.batchLines ?? 10000, opts.batchBytes ?? BATCH_BYTES);
  for await (const chunk of input) {
    const c = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const b of batcher.push(c)) {
      await writeBatch(b);
      opts.onBatch?.(sum.lines);
    }
  }
  const last = batcher.end();
  if (last) {
    await writeBatch(last);
    opts.onBatch?.(sum.lines);
  }
  sum.databases = [...dbs].sort();
  return sum;
}

/** Index (0-based) of the first line that is neither blank nor a comment, or -1. */
function firstDataLine(buf: Buffer): number {
  let line = 0;
  for (let pos = 0; pos < buf.length; line++) {
    const nl = buf.indexOf(10, pos);
    const end = nl === -1 ? buf.length : nl;
    const text = buf.toString('utf8', pos, end).trim();
    if (text !== '' && !text.startsWith('#')) return line;
    pos = end + 1;
  }
  return -1;
}

export interface InputSource {
  chunks: AsyncIterable<Buffer>;
  /** Size of the file in bytes (compressed size for gzip), when known. */
  total?: number;
  /** Bytes read from the file (or stdin) so far, before decompression. */
  bytesRead(): number;
  gzip: boolean;
  /** Stops reading and releases the file. */
  close(): void;
}

/** Opens FILE (or stdin for "-"), detecting gzip by its magic bytes. */
export async function openInput(file: string, io: Pick<CliIo, 'stdin' | 'cwd'>): Promise<InputSource> {
  let raw: AsyncIterable<Buffer | string>;
  let total: number | undefined;
  let close = (): void => {};
  if (file === '-') {
    raw = io.stdin as AsyncIterable<Buffer | string>;
  } else {
    const p = path.resolve(io.cwd, file);
    let st: fs.Stats;
    try {
      st = await fsp.stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `cannot read ${file}: no such file` : `cannot read ${file}: ${(err as Error).message}`);
    }
    if (st.isDirectory()) throw new Error(`cannot read ${file}: it is a directory`);
    if (st.isFile()) total = st.size;
    const rs = fs.createReadStream(p, { highWaterMark: 1024 * 1024 });
    raw = rs;
    close = () => rs.destroy();
  }
  let read = 0;
  const it = (async function* counted() {
    for await (const c of raw) {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      read += b.length;
      yield b;
    }
  })();
  // Peek at the first two bytes for the gzip magic.
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 2) {
    const n = await it.next();
    if (n.done) {
      done = true;
      break;
    }
    head.push(n.value);
    headLen += n.value.length;
  }
  const first = Buffer.concat(head, headLen);
  const all = (async function* rest() {
    if (first.length) yield first;
    if (done) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  })();
  const gzip = first[0] === 0x1f && first[1] === 0x8b;
  if (!gzip) return { chunks: all, total, bytesRead: () => read, gzip, close };
  const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
  // Errors (a corrupt gzip stream, a read error) reach the reader through `gunzip`.
  pipeline(Readable.from(all, { objectMode: false }), gunzip).catch(() => {});
  return {
    chunks: (async function* decompressed() {
      try {
        for await (const c of gunzip) yield c as Buffer;
      } catch (err) {
        throw new Error(`cannot decompress ${file === '-' ? 'stdin' : file}: ${(err as Error).message}`);
      }
    })(),
    total,
    bytesRead: () => read,
    gzip,
    close: () => {
      gunzip.destroy();
      close();
    },
  };
}

/** The `strata import` command. */
export async function runImport(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(IMPORT_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(IMPORT_SPEC));
    return 0;
  }
  const file = args.positionals[0];
  let precision: Precision;
  try {
    precision = parsePrecision(args.string('precision'));
  } catch (err) {
    throw new UsageError(`--precision: ${(err as Error).message}`, 'import');
  }
  const dbName = args.string('db');
  if (dbName === '') throw new UsageError('--db must not be empty', 'import');
  const dataDir = path.resolve(io.cwd, args.string('data-dir')!);
  const quiet = args.boolean('quiet');
  const json = args.boolean('json');
  const logger = new JsonLogger({ stream: io.stderr, level: args.string('log-level') as LogLevel });

  const input = await openInput(file, io);
  let lock;
  try {
    lock = acquireLock(dataDir, 'import');
  } catch (err) {
    input.close();
    throw err;
  }
  let db: Database | undefined;
  const progress = new Progress({ stream: io.stderr, total: input.total, enabled: !quiet && io.stderr.isTTY === true });
  const t0 = performance.now();
  let summary: ImportSummary | undefined;
  let failure: unknown;
  try {
    db = await openDatabase({ dataDir, fsync: 'off', logger, autoCreateDatabases: true });
    summary = await importLineProtocol(db, input.chunks, {
      db: dbName,
      rp: args.string('rp'),
      precision,
      fsync: args.string('fsync') as FsyncMode,
      batchLines: args.number('batch-lines'),
      maxErrors: args.number('max-errors'),
      onBatch: (lines) => progress.update(input.bytesRead(), lines),
    });
    await db.flush();
  } catch (err) {
    failure = err;
  } finally {
    progress.clear();
    input.close();
    try {
      await db?.close();
    } catch (err) {
      failure ??= err;
    }
    lock.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (failure) {
    if (failure instanceof UsageError) throw failure;
    const msg = failure instanceof StrataError ? `${failure.message} (${failure.code})` : (failure as Error).message;
    io.stderr.write(`strata import: ${msg}\n`);
    io.stderr.write('strata import: lines written before the failure are stored\n');
    return 1;
  }
  const s = summary!;
  if (json) {
    io.stdout.write(
      JSON.stringify({
        file,
        ...s,
        seconds: round(seconds, 3),
        linesPerSecond: Math.round(s.lines / Math.max(seconds, 1e-9)),
      }) + '\n',
    );
  } else if (!quiet) {
    io.stdout.write(formatSummary(file, s, seconds));
  }
  return s.badLines > 0 ? 1 : 0;
}

export function formatSummary(file: string, s: ImportSummary, seconds: number): string {
  const rate = s.lines / Math.max(seconds, 1e-9);
  const rows: [string, string][] = [
    ['lines', formatCount(s.lines)],
    ['points', formatCount(s.points)],
    ['values', formatCount(s.values)],
    ['bad lines', formatCount(s.badLines)],
  ];
  const w = Math.max(...rows.map((r) => r[1].length));
  const out: string[] = [`imported ${file === '-' ? 'stdin' : file} into ${s.databases.length ? s.databases.map((d) => `"${d}"`).join(', ') : '(nothing)'}`];
  for (const [k, v] of rows) out.push(`  ${k.padEnd(10)} ${v.padStart(w)}`);
  if (s.badLines > 0) {
    for (const e of s.errors) out.push(`    line ${e.line}: ${e.message}`);
    if (s.badLines > s.errors.length) out.push(`    ... and ${formatCount(s.badLines - s.errors.length)} more`);
  }
  out.push(
    `  ${'time'.padEnd(10)} ${seconds.toFixed(2)} s (${formatCount(Math.round(rate))} lines/s, ${formatBytes(Math.round(s.bytes / Math.max(seconds, 1e-9)))}/s)`,
  );
  return out.join('\n') + '\n';
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** An import reads faster than any flush: when the engine pushes back, let the flush finish and go on. */
export async function writeWithBackpressure(db: Database, buf: Buffer, opts: Parameters<Database['write']>[1]): ReturnType<Database['write']> {
  for (;;) {
    try {
      return await db.write(buf, opts);
    } catch (err) {
      if (!(err instanceof OverloadedError)) throw err;
      await db.flush();
    }
  }
}
