// A small command-line flag parser (no dependency): `--flag value`, `--flag=value`,
// booleans (`--flag`, `--no-flag`, `--flag=false`), repeatable flags, one-letter aliases,
// `--` to end the flags, and environment variables as a fallback for a flag (a flag given
// on the command line always wins over the environment, which wins over the default).
//
// Each command declares its flags as a CommandSpec; the same spec renders its help text,
// so the help can never disagree with what the parser accepts.

export type FlagType = 'string' | 'number' | 'boolean';
export type FlagValue = string | number | boolean | string[] | number[];

export interface FlagSpec {
  /** Long name without the leading `--`. */
  name: string;
  /** One-letter alias without the `-`. */
  short?: string;
  type: FlagType;
  /** The flag may be given more than once; its value is an array. */
  repeatable?: boolean;
  /** Environment variable read when the flag is not on the command line. */
  env?: string;
  default?: string | number | boolean;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Bounds of a number flag (numbers are integers). */
  min?: number;
  max?: number;
  /** Name of the value in the help text, e.g. DIR. */
  placeholder?: string;
  /** A boolean that is on by default and turned off with `--no-NAME`: help shows `--no-NAME`. */
  negatable?: boolean;
  description: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
}

export interface CommandSpec {
  /** Name as typed, e.g. `import`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line after `strata `, e.g. `import FILE [flags]`. */
  usage: string;
  /** Paragraphs shown under the usage line. */
  description?: string;
  positionals?: PositionalSpec[];
  flags: FlagSpec[];
  examples?: string[];
}

/** A mistake in how the command was called: printed with a pointer to the help, exit code 2. */
export class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export type FlagSource = 'flag' | 'env' | 'default';

export class ParsedArgs {
  constructor(
    readonly command: string,
    readonly values: Map<string, FlagValue>,
    readonly sources: Map<string, FlagSource>,
    readonly positionals: string[],
    readonly help: boolean,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Where a flag's value came from (undefined when it has none). */
  source(name: string): FlagSource | undefined {
    return this.sources.get(name);
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
    return String(v);
  }

  number(name: string): number | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v.length ? Number(v[v.length - 1]) : undefined;
    return Number(v);
  }

  boolean(name: string): boolean {
    return this.values.get(name) === true;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    if (v === undefined) return [];
    return Array.isArray(v) ? v.map(String) : [String(v)];
  }
}

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'boolean', description: 'Show this help and exit.' };

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * Parses `argv` (the words after the command name) against `spec`. `env` supplies the
 * fallbacks of flags that declare one. Throws UsageError naming the offending flag.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[], env: Record<string, string | undefined> = {}): ParsedArgs {
  const flags = [...spec.flags, HELP_FLAG];
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const values = new Map<string, FlagValue>();
  const sources = new Map<string, FlagSource>();
  const positionals: string[] = [];
  const cmd = spec.name;

  const set = (f: FlagSpec, raw: string | boolean, from: string): void => {
    const v = typeof raw === 'boolean' ? raw : convert(f, raw, from, cmd);
    if (f.repeatable) {
      const prev = sources.get(f.name) === 'flag' ? (values.get(f.name) as (string | number)[]) : [];
      values.set(f.name, [...prev, v] as FlagValue);
    } else {
      values.set(f.name, v);
    }
    sources.set(f.name, 'flag');
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq === -1 ? undefined : arg.slice(eq + 1);
      let f = byName.get(name);
      if (!f && name.startsWith('no-')) {
        const neg = byName.get(name.slice(3));
        if (neg && neg.type === 'boolean') {
          if (inline !== undefined) throw new UsageError(`flag --${name} takes no value`, cmd);
          set(neg, false, `--${name}`);
          continue;
        }
      }
      if (!f) throw new UsageError(unknownFlagMessage(`--${name}`, flags, cmd), cmd);
      if (f.type === 'boolean') {
        if (inline === undefined) set(f, true, `--${name}`);
        else set(f, parseBool(inline, `--${name}`, cmd), `--${name}`);
        continue;
      }
      if (inline !== undefined) {
        set(f, inline, `--${name}`);
        continue;
      }
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`flag --${name} needs a value${f.placeholder ? ` (${f.placeholder})` : ''}`, cmd);
      }
      set(f, next, `--${name}`);
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      // -x, -x value, -x=value
      const eq = arg.indexOf('=');
      const letter = eq === -1 ? arg.slice(1) : arg.slice(1, eq);
      const f = byShort.get(letter);
      if (!f) throw new UsageError(unknownFlagMessage(arg.slice(0, eq === -1 ? undefined : eq), flags, cmd), cmd);
      if (f.type === 'boolean') {
        set(f, eq === -1 ? true : parseBool(arg.slice(eq + 1), `-${letter}`, cmd), `-${letter}`);
        continue;
      }
      if (eq !== -1) {
        set(f, arg.slice(eq + 1), `-${letter}`);
        continue;
      }
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag -${letter} needs a value`, cmd);
      set(f, next, `-${letter}`);
      i++;
      continue;
    }
    positionals.push(arg);
  }

  const help = values.get('help') === true;
  values.delete('help');
  sources.delete('help');

  for (const f of spec.flags) {
    if (values.has(f.name)) continue;
    const e = f.env ? env[f.env] : undefined;
    if (e !== undefined && e !== '') {
      const v = f.type === 'boolean' ? parseBool(e, f.env!, cmd) : convert(f, e, f.env!, cmd);
      values.set(f.name, f.repeatable && f.type !== 'boolean' ? ([v] as FlagValue) : v);
      sources.set(f.name, 'env');
    } else if (f.default !== undefined) {
      values.set(f.name, f.default);
      sources.set(f.name, 'default');
    }
  }

  if (!help) {
    const specs = spec.positionals ?? [];
    const required = specs.filter((p) => p.required).length;
    if (positionals.length < required) {
      throw new UsageError(`missing ${specs[positionals.length].name}`, cmd);
    }
    if (positionals.length > specs.length) {
      const extra = positionals[specs.length];
      throw new UsageError(`unexpected argument "${extra}"`, cmd);
    }
  }
  return new ParsedArgs(cmd, values, sources, positionals, help);
}

function convert(f: FlagSpec, raw: string, from: string, cmd: string): string | number {
  if (f.type === 'number') {
    if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`${from} must be a whole number, got "${raw}"`, cmd);
    const n = Number(raw.trim());
    if (!Number.isSafeInteger(n)) throw new UsageError(`${from} is out of range: ${raw}`, cmd);
    if (f.min !== undefined && n < f.min) throw new UsageError(`${from} must be at least ${f.min}, got ${n}`, cmd);
    if (f.max !== undefined && n > f.max) throw new UsageError(`${from} must be at most ${f.max}, got ${n}`, cmd);
    return n;
  }
  if (f.choices && !f.choices.includes(raw)) {
    throw new UsageError(`${from} must be one of ${f.choices.join(', ')}; got "${raw}"`, cmd);
  }
  return raw;
}

function parseBool(raw: string, from: string, cmd: string): boolean {
  const w = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(w)) return true;
  if (FALSE_WORDS.has(w)) return false;
  throw new UsageError(`${from} must be true or false, got "${raw}"`, cmd);
}

function unknownFlagMessage(given: string, flags: FlagSpec[], cmd: string): string {
  const names = flags.flatMap((f) => [`--${f.name}`, ...(f.type === 'boolean' && f.negatable ? [`--no-${f.name}`] : [])]);
  const close = names
    .map((n) => ({ n, d: editDistance(given, n) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(given.length / 4)))
    .sort((a, b) => a.d - b.d)[0];
  return `unknown flag ${given} for "strata ${cmd}"${close ? ` (did you mean ${close.n}?)` : ''}`;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The help text of a command, generated from its spec. */
export function formatHelp(spec: CommandSpec): string {
  const out: string[] = [];
  out.push(`Usage: strata ${spec.usage}`, '');
  out.push(spec.description ?? spec.summary, '');
  if (spec.positionals?.length) {
    out.push('Arguments:');
    const w = Math.max(...spec.positionals.map((p) => p.name.length));
    for (const p of spec.positionals) out.push(`  ${p.name.padEnd(w)}  ${p.description}`);
    out.push('');
  }
  const flags = [...spec.flags, HELP_FLAG];
  const labels = flags.map(flagLabel);
  const w = Math.min(Math.max(...labels.map((l) => l.length)), 34);
  out.push('Flags:');
  flags.forEach((f, i) => {
    const notes: string[] = [];
    if (f.choices) notes.push(`one of: ${f.choices.join(', ')}`);
    if (f.default !== undefined && !(f.type === 'boolean' && f.default === false) && !f.negatable) notes.push(`default: ${f.default}`);
    if (f.env) notes.push(`env: ${f.env}`);
    if (f.repeatable) notes.push('repeatable');
    const text = f.description + (notes.length ? ` [${notes.join('; ')}]` : '');
    const label = labels[i];
    if (label.length > w) out.push(`  ${label}`, `  ${''.padEnd(w)}  ${text}`);
    else out.push(`  ${label.padEnd(w)}  ${text}`);
  });
  if (spec.examples?.length) {
    out.push('', 'Examples:');
    for (const e of spec.examples) out.push(`  ${e}`);
  }
  return out.join('\n') + '\n';
}

function flagLabel(f: FlagSpec): string {
  const long = f.type === 'boolean' && f.negatable ? `--no-${f.name}` : `--${f.name}`;
  const value = f.type === 'boolean' ? '' : ` ${f.placeholder ?? (f.type === 'number' ? 'N' : 'VALUE')}`;
  return (f.short ? `-${f.short}, ` : '    ') + long + value;
}

/** The process around a command: its streams, environment and working directory. Tests
 * pass their own; `main()` defaults to the real process. */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborting it asks a long-running command (serve) to shut down, as SIGTERM does. */
  signal?: AbortSignal;
  /** Whether `serve` installs SIGTERM/SIGINT handlers (true for the real process). */
  handleSignals?: boolean;
}

export interface OutStream {
  write(chunk: string | Uint8Array, cb?: (err?: Error | null) => void): boolean;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function defaultIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    handleSignals: true,
  };
}

// ---- flags shared by several commands --------------------------------------------------

export const DATA_DIR_FLAG: FlagSpec = {
  name: 'data-dir',
  type: 'string',
  placeholder: 'DIR',
  env: 'STRATA_DATA_DIR',
  default: './data',
  description: 'Data directory.',
};

export function logLevelFlag(def: string): FlagSpec {
  return {
    name: 'log-level',
    type: 'string',
    placeholder: 'LEVEL',
    env: 'STRATA_LOG_LEVEL',
    default: def,
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
    description: 'Least severe log level written to stderr (JSON lines).',
  };
}
