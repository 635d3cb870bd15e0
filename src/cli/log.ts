// A tiny structured logger: one JSON object per line on stderr, e.g.
//   {"time":"2024-05-01T12:00:00.000Z","level":"info","msg":"listening","port":8086}
// It implements the engine's Logger interface and enough of pino's shape (trace..fatal,
// child, level) to be handed to fastify as its logger instance.

import type { Logger } from '../types.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export interface LogSink {
  write(s: string): unknown;
}

export interface JsonLoggerOptions {
  /** Where lines go (default process.stderr). */
  stream?: LogSink;
  /** Least severe level written (default info). */
  level?: LogLevel;
  /** Fields added to every line. */
  bindings?: Record<string, unknown>;
  /** Clock, for tests. */
  now?: () => Date;
}

type LogFn = (obj: unknown, msg?: string, ...rest: unknown[]) => void;

export class JsonLogger implements Logger {
  private readonly stream: LogSink;
  private readonly rank: number;
  private readonly bindings: Record<string, unknown>;
  private readonly now: () => Date;
  readonly level: LogLevel;

  constructor(opts: JsonLoggerOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.level = opts.level ?? 'info';
    this.rank = RANK[this.level];
    this.bindings = opts.bindings ?? {};
    this.now = opts.now ?? (() => new Date());
  }

  trace: LogFn = (obj, msg, ...rest) => this.write('trace', obj, msg, rest);
  debug: LogFn = (obj, msg, ...rest) => this.write('debug', obj, msg, rest);
  info: LogFn = (obj, msg, ...rest) => this.write('info', obj, msg, rest);
  warn: LogFn = (obj, msg, ...rest) => this.write('warn', obj, msg, rest);
  error: LogFn = (obj, msg, ...rest) => this.write('error', obj, msg, rest);
  fatal: LogFn = (obj, msg, ...rest) => this.write('fatal', obj, msg, rest);

  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>, opts?: { level?: LogLevel }): JsonLogger {
    return new JsonLogger({
      stream: this.stream,
      level: opts?.level ?? this.level,
      bindings: { ...this.bindings, ...bindings },
      now: this.now,
    });
  }

  isLevelEnabled(level: LogLevel): boolean {
    return RANK[level] >= this.rank;
  }

  private write(level: LogLevel, obj: unknown, msg: string | undefined, rest: unknown[]): void {
    if (RANK[level] < this.rank) return;
    const line: Record<string, unknown> = { time: this.now().toISOString(), level, msg: '' };
    Object.assign(line, this.bindings);
    if (typeof obj === 'string') {
      line.msg = format(obj, msg === undefined ? rest : [msg, ...rest]);
    } else {
      if (obj instanceof Error) line.err = serializeError(obj);
      else if (obj && typeof obj === 'object') {
        for (const [k, v] of Object.entries(obj)) line[k] = v instanceof Error ? serializeError(v) : v;
      }
      line.msg = msg === undefined ? (obj instanceof Error ? obj.message : '') : format(msg, rest);
    }
    let text: string;
    try {
      text = JSON.stringify(line, replacer);
    } catch {
      text = JSON.stringify({ time: line.time, level, msg: String(line.msg), note: 'log fields were not serializable' });
    }
    this.stream.write(text + '\n');
  }
}

/** pino-style `%s %d %j %o` interpolation, then any left-over arguments appended. */
function format(msg: string, args: unknown[]): string {
  if (args.length === 0) return msg;
  let i = 0;
  const out = msg.replace(/%[sdjo%]/g, (m) => {
    if (m === '%%') return '%';
    if (i >= args.length) return m;
    const a = args[i++];
    return m === '%j' || m === '%o' ? safeJson(a) : String(a);
  });
  const left = args.slice(i).map((a) => (typeof a === 'string' ? a : safeJson(a)));
  return left.length ? `${out} ${left.join(' ')}` : out;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, replacer) ?? String(v);
  } catch {
    return String(v);
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}

export function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  const e = err as Error & { code?: unknown; file?: unknown; offset?: unknown; status?: unknown };
  if (e.code !== undefined) out.code = e.code;
  if (e.file !== undefined) out.file = e.file;
  if (e.offset !== undefined) out.offset = e.offset;
  if (err.stack) out.stack = err.stack;
  return out;
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}
