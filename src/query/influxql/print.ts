// InfluxQL text from the syntax tree: the Go String() forms of ast.go.
//
// The output re-parses to the same tree (the parser tests check parse(format(parse(q))))
// and is what InfluxDB prints, e.g. for SHOW CONTINUOUS QUERIES. Known, deliberate
// differences from Go, all so that the text parses back to the same tree:
// - floats print with three decimals as Go's FormatFloat(f, 'f', 3) only when that is exact,
//   otherwise with all the digits needed (Go would round);
// - fill(<float>) prints like a float literal (Go's %v turns 2.0 into `2`);
// - SHOW TAG KEYS prints its WITH KEY clause, SHOW MEASUREMENTS quotes its ON database,
//   DISTINCT quotes its identifier when needed, and the FUTURE/PAST LIMIT options print.
// Passwords print as [REDACTED], as in Go.

import type {
  Dimension,
  DownsampleTier,
  Expr,
  Field,
  Measurement,
  Privilege,
  SelectStatement,
  SortField,
  Source,
  Statement,
  Target,
} from './ast.js';
import { IDENT, isIdentChar, isIdentFirstChar, lookup } from './lexer.js';

// ---------------------------------------------------------------------------------------
// Quoting and literals.

/** Go's QuoteString: single quotes, escaping `\n`, `\` and `'`. */
export function quoteString(s: string): string {
  let out = "'";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\n') out += '\\n';
    else if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else out += c;
  }
  return out + "'";
}

function escapeIdent(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\n') out += '\\n';
    else if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else out += c;
  }
  return out;
}

/** Go's IdentNeedsQuotes: keywords and anything not `[A-Za-z_][A-Za-z0-9_]*`. */
export function identNeedsQuotes(ident: string): boolean {
  if (lookup(ident) !== IDENT) return true;
  for (let i = 0; i < ident.length; i++) {
    const c = ident.charCodeAt(i);
    if (i === 0 ? !isIdentFirstChar(c) : !isIdentChar(c)) return true;
  }
  return false;
}

/** Go's QuoteIdent: dotted segments, quoted where needed. */
export function quoteIdent(...segments: string[]): string {
  let out = '';
  const last = segments.length - 1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const needQuote =
      identNeedsQuotes(seg) || (i < last && seg !== '') || ((i === 0 || i === last) && seg === '');
    out += needQuote ? '"' + escapeIdent(seg) + '"' : escapeIdent(seg);
    if (i < last) out += '.';
  }
  return out;
}

const NS_US = 1000n;
const NS_MS = 1_000_000n;
const NS_S = 1_000_000_000n;
const NS_M = 60n * NS_S;
const NS_H = 60n * NS_M;
const NS_D = 24n * NS_H;
const NS_W = 7n * NS_D;

/** Go's influxql.FormatDuration. */
/** Strata's DOWNSAMPLE clause, with its leading space ('' when not given). */
function formatDownsample(tiers: DownsampleTier[] | null): string {
  if (tiers === null) return '';
  if (tiers.length === 0) return ' DOWNSAMPLE NONE';
  const one = (t: DownsampleTier) =>
    `${formatDuration(t.resolution)} FOR ${t.duration === 0n ? 'INF' : formatDuration(t.duration)}${t.grace === null ? '' : ` GRACE ${formatDuration(t.grace)}`}`;
  return ' DOWNSAMPLE ' + tiers.map(one).join(', ');
}

export function formatDuration(d: bigint): string {
  if (d === 0n) return '0s';
  if (d % NS_W === 0n) return `${d / NS_W}w`;
  if (d % NS_D === 0n) return `${d / NS_D}d`;
  if (d % NS_H === 0n) return `${d / NS_H}h`;
  if (d % NS_M === 0n) return `${d / NS_M}m`;
  if (d % NS_S === 0n) return `${d / NS_S}s`;
  if (d % NS_MS === 0n) return `${d / NS_MS}ms`;
  if (d % NS_US === 0n) return `${d / NS_US}u`;
  return `${d}ns`;
}

/** A finite number in plain decimal notation (no exponent), with its shortest digits. */
export function plainDecimal(v: number): string {
  const neg = v < 0 || Object.is(v, -0);
  const s = String(Math.abs(v));
  const e = s.indexOf('e');
  let body: string;
  if (e < 0) {
    body = s;
  } else {
    const mant = s.slice(0, e);
    const exp = Number(s.slice(e + 1));
    const dot = mant.indexOf('.');
    const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
    const intLen = (dot < 0 ? mant.length : dot) + exp;
    if (intLen <= 0) body = '0.' + '0'.repeat(-intLen) + digits;
    else if (intLen >= digits.length) body = digits + '0'.repeat(intLen - digits.length);
    else body = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  }
  return (neg ? '-' : '') + body;
}

/**
 * A float literal: Go's FormatFloat(v, 'f', 3) ("2.000") when that is exact, else all the
 * digits that round-trip. Always has a '.', so it re-parses as a NumberLiteral.
 */
export function formatFloat(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const plain = plainDecimal(v);
  const dot = plain.indexOf('.');
  if (dot < 0) return plain + '.000';
  const frac = plain.length - dot - 1;
  return frac < 3 ? plain + '0'.repeat(3 - frac) : plain;
}

/** A regex literal: `/pattern/` with `/` escaped. */
export function formatRegex(pattern: string): string {
  let out = '/';
  for (let i = 0; i < pattern.length; i++) {
    out += pattern[i] === '/' ? '\\/' : pattern[i];
  }
  return out + '/';
}

/** Years 0000-9999 in ms since the epoch: the range where toISOString writes four digits. */
const MIN_FAST_MS = -62_167_219_200_000;
const MAX_FAST_MS = 253_402_300_800_000;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * The UTC civil time of `ms` (floored to the second) for years 0-9999, packed into one
 * number so nothing is allocated: (year * 10000 + month * 100 + day) * 1e6 + hours * 10000
 * + minutes * 100 + seconds; -1 outside those years. Number arithmetic only (Hinnant's
 * days_from_civil inverse, http://howardhinnant.github.io/date_algorithms.html#civil_from_days).
 */
function civilOfMs(ms: number): number {
  if (ms < MIN_FAST_MS || ms >= MAX_FAST_MS) return -1;
  const days = Math.floor(ms / 86_400_000);
  const msOfDay = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  // one addition whatever the month (a branch with arithmetic of its own would leave code
  // compiled in one season without type feedback for the other)
  const month = mp + (mp < 10 ? 3 : -9);
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const secOfDay = Math.floor(msOfDay / 1000);
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay - hh * 3600) / 60);
  const ss = secOfDay - hh * 3600 - mm * 60;
  return (year * 10000 + month * 100 + day) * 1e6 + hh * 10000 + mm * 100 + ss;
}

/** The nanoseconds within its second of a time whose floor(ns / 1e6) is `ms` and whose
 * ns % 1e6 (truncated, as BigInt's %) is `rem`. */
function fracOf(ms: number, rem: number): number {
  return (ms - Math.floor(ms / 1000) * 1000) * 1_000_000 + (rem < 0 ? rem + 1_000_000 : rem);
}

/**
 * RFC3339 with nanoseconds and no trailing zeros (Go's time.RFC3339Nano), UTC. Raw
 * queries write one per row (a 50,000-row answer spends ~30 ms in the BigInt and Date
 * version below), so years 0-9999 go by civilOfMs's number arithmetic.
 */
export function formatTimeNs(ns: bigint): string {
  const rem = Number(ns % NS_MS);
  const ms = Number(ns / NS_MS) - (rem < 0 ? 1 : 0);
  const c = civilOfMs(ms);
  if (c < 0) return formatTimeNsSlow(ns);
  const date = Math.floor(c / 1e6);
  const clock = c - date * 1e6;
  const year = Math.floor(date / 10000);
  const y = year < 1000 ? String(year).padStart(4, '0') : String(year);
  const out = `${y}-${pad2(Math.floor(date / 100) % 100)}-${pad2(date % 100)}T${pad2(Math.floor(clock / 10000))}:${pad2(Math.floor(clock / 100) % 100)}:${pad2(clock % 100)}`;
  const frac = fracOf(ms, rem);
  if (frac === 0) return out + 'Z';
  const digits = String(frac).padStart(9, '0');
  let e = 9;
  while (digits.charCodeAt(e - 1) === 0x30) e--;
  return `${out}.${digits.slice(0, e)}Z`;
}

/** Most bytes TimeNsWriter.write writes: `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"` with its quotes. */
export const TIME_NS_MAX_BYTES = 32;

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * formatTimeNs(ns) in double quotes, as ASCII bytes, for JSON writers. An answer's times
 * mostly share their day, so the day's date digits are kept and a time of the same day
 * costs only its clock digits; and the time is read as its two 32-bit words, without
 * BigInt arithmetic. One writer per answer.
 */
export class TimeNsWriter {
  private readonly t = new BigInt64Array(1);
  private readonly w = new Uint32Array(this.t.buffer);
  /** The day (since the epoch) whose date `date` holds; NaN: none yet. */
  private day = NaN;
  /** `"YYYY-MM-DD` of `day`. */
  private readonly date = new Uint8Array(11);

  /**
   * Writes the time at `pos` of `buf` (which has room for TIME_NS_MAX_BYTES); returns the
   * end position, or -1 for a year outside 0-9999 (the caller writes formatTimeNs's text).
   */
  write(buf: Uint8Array, pos: number, ns: bigint): number {
    if (ns < MIN_INT64 || ns > MAX_INT64) return -1;
    this.t[0] = ns;
    const lo = this.w[0];
    const shi = this.w[1] | 0;
    // ns = shi * 4294 * 1e6 + x, and x stays far below 2^53 (floorMsOfWords)
    const x = shi * 967296 + lo;
    let q = Math.floor(x * 1e-6);
    let rem = x - q * 1e6;
    if (rem < 0) {
      q -= 1;
      rem += 1e6;
    } else if (rem >= 1e6) {
      q += 1;
      rem -= 1e6;
    }
    const ms = shi * 4294 + q;
    if (ms < MIN_FAST_MS || ms >= MAX_FAST_MS) return -1;
    const day = Math.floor(ms / 86_400_000);
    const d = this.date;
    if (day !== this.day) {
      const date = Math.floor(civilOfMs(day * 86_400_000) / 1e6);
      const year = Math.floor(date / 10000);
      d[0] = 0x22;
      d[1] = 0x30 + Math.floor(year / 1000);
      d[2] = 0x30 + (Math.floor(year / 100) % 10);
      d[3] = 0x30 + (Math.floor(year / 10) % 10);
      d[4] = 0x30 + (year % 10);
      two(d, 5, 0x2d, Math.floor(date / 100) % 100);
      two(d, 8, 0x2d, date % 100);
      this.day = day;
    }
    let p = pos;
    for (let i = 0; i < 11; i++) buf[p++] = d[i];
    const msOfDay = ms - day * 86_400_000;
    const secOfDay = Math.floor(msOfDay / 1000);
    const hh = Math.floor(secOfDay / 3600);
    const mm = Math.floor((secOfDay - hh * 3600) / 60);
    p = two(buf, p, 0x54, hh);
    p = two(buf, p, 0x3a, mm);
    p = two(buf, p, 0x3a, secOfDay - hh * 3600 - mm * 60);
    let frac = (msOfDay - secOfDay * 1000) * 1_000_000 + rem;
    if (frac !== 0) {
      buf[p++] = 0x2e;
      let n = 9;
      while (frac % 10 === 0) {
        frac /= 10;
        n--;
      }
      for (let i = n - 1; i >= 0; i--) {
        buf[p + i] = 0x30 + (frac % 10);
        frac = Math.floor(frac / 10);
      }
      p += n;
    }
    buf[p++] = 0x5a;
    buf[p++] = 0x22;
    return p;
  }
}

/** A separator byte then a two-digit number. */
function two(buf: Uint8Array, p: number, sep: number, n: number): number {
  buf[p] = sep;
  buf[p + 1] = 0x30 + Math.floor(n / 10);
  buf[p + 2] = 0x30 + (n % 10);
  return p + 3;
}

function formatTimeNsSlow(ns: bigint): string {
  const sec = ns >= 0n ? ns / NS_S : -((-ns + NS_S - 1n) / NS_S);
  const frac = ns - sec * NS_S;
  const iso = new Date(Number(sec) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  let out = iso.slice(0, 19);
  if (frac !== 0n) out += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return out + 'Z';
}

// ---------------------------------------------------------------------------------------
// Expressions.

export function formatExpr(e: Expr): string {
  switch (e.type) {
    case 'BinaryExpr':
      return `${formatExpr(e.lhs)} ${e.op} ${formatRhs(e.op, e.rhs)}`;
    case 'Call':
      return `${formatCallName(e.name)}(${e.args.map(formatExpr).join(', ')})`;
    case 'VarRef':
      return e.dataType === 'unknown' ? quoteIdent(e.val) : `${quoteIdent(e.val)}::${e.dataType}`;
    case 'NumberLiteral':
      return formatFloat(e.val);
    case 'IntegerLiteral':
    case 'UnsignedLiteral':
      return e.val.toString();
    case 'StringLiteral':
      return quoteString(e.val);
    case 'BooleanLiteral':
      return e.val ? 'true' : 'false';
    case 'DurationLiteral':
      return formatDuration(e.val);
    case 'TimeLiteral':
      return `'${formatTimeNs(e.val)}'`;
    case 'RegexLiteral':
      return formatRegex(e.val);
    case 'ListLiteral':
      return `(${e.vals.map((v) => quoteIdent(v)).join(', ')})`;
    case 'Wildcard':
      return e.wildcardType === null ? '*' : `*::${e.wildcardType}`;
    case 'Distinct':
      return `DISTINCT ${quoteIdent(e.val)}`;
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'BoundParameter':
      return `$${quoteIdent(e.name)}`;
    case 'NilLiteral':
      return 'nil';
  }
}

const MULTIPLICATIVE = new Set<string>(['*', '/', '%', '&']);

/**
 * The right operand of a binary operator. A unary minus (`-x`, parsed as `-1 * x`) on the
 * right of `*`, `/`, `%` or `&` prints as `-x`: Go's `a / -1 * x` would read back as
 * `(a / -1) * x`.
 */
function formatRhs(op: string, rhs: Expr): string {
  if (
    MULTIPLICATIVE.has(op) &&
    rhs.type === 'BinaryExpr' &&
    rhs.op === '*' &&
    rhs.lhs.type === 'IntegerLiteral' &&
    (rhs.lhs.val === -1n || rhs.lhs.val === 1n) &&
    (rhs.rhs.type === 'VarRef' || rhs.rhs.type === 'Call' || rhs.rhs.type === 'ParenExpr')
  ) {
    return (rhs.lhs.val === -1n ? '-' : '+') + formatExpr(rhs.rhs);
  }
  return formatExpr(rhs);
}

/** A call name as Go prints it, quoted only when it could not be read back as one. */
function formatCallName(name: string): string {
  if (name === 'distinct' || !identNeedsQuotes(name)) return name;
  return quoteIdent(name);
}

export function formatMeasurement(m: Measurement): string {
  let out = '';
  if (m.database !== '') out += quoteIdent(m.database) + '.';
  if (m.retentionPolicy !== '') out += quoteIdent(m.retentionPolicy);
  if (m.database !== '' || m.retentionPolicy !== '') out += '.';
  if (m.name !== '') out += quoteIdent(m.name);
  else if (m.regex !== null) out += formatRegex(m.regex.val);
  return out;
}

export function formatSource(s: Source): string {
  return s.type === 'SubQuery' ? `(${formatSelect(s.statement)})` : formatMeasurement(s);
}

function formatSources(sources: Source[]): string {
  return sources.map(formatSource).join(', ');
}

function formatField(f: Field): string {
  const s = formatExpr(f.expr);
  return f.alias === '' ? s : `${s} AS ${quoteIdent(f.alias)}`;
}

function formatDimensions(dims: Dimension[]): string {
  return dims.map((d) => formatExpr(d.expr)).join(', ');
}

function formatSortFields(fields: SortField[]): string {
  return fields.map((f) => (f.name !== '' ? f.name + ' ' : '') + (f.ascending ? 'ASC' : 'DESC')).join(', ');
}

function formatTarget(t: Target): string {
  return 'INTO ' + formatMeasurement(t.measurement) + (t.measurement.name === '' ? ':MEASUREMENT' : '');
}

function formatPrivilege(p: Privilege): string {
  switch (p) {
    case 'none':
      return 'NO PRIVILEGES';
    case 'read':
      return 'READ';
    case 'write':
      return 'WRITE';
    case 'all':
      return 'ALL PRIVILEGES';
  }
}

export function formatSelect(s: SelectStatement): string {
  let out = 'SELECT ' + s.fields.map(formatField).join(', ');
  if (s.target !== null) out += ' ' + formatTarget(s.target);
  if (s.sources.length > 0) out += ' FROM ' + formatSources(s.sources);
  if (s.condition !== null) out += ' WHERE ' + formatExpr(s.condition);
  if (s.dimensions.length > 0) out += ' GROUP BY ' + formatDimensions(s.dimensions);
  switch (s.fill) {
    case 'none':
      out += ' fill(none)';
      break;
    case 'number':
      out +=
        typeof s.fillValue === 'number' ? ` fill(${formatFloat(s.fillValue)})` : ` fill(${String(s.fillValue)})`;
      break;
    case 'linear':
      out += ' fill(linear)';
      break;
    case 'previous':
      out += ' fill(previous)';
      break;
  }
  if (s.sortFields.length > 0) out += ' ORDER BY ' + formatSortFields(s.sortFields);
  if (s.limit > 0) out += ` LIMIT ${s.limit}`;
  if (s.offset > 0) out += ` OFFSET ${s.offset}`;
  if (s.sLimit > 0) out += ` SLIMIT ${s.sLimit}`;
  if (s.sOffset > 0) out += ` SOFFSET ${s.sOffset}`;
  if (s.location !== null) out += ` TZ(${quoteString(s.location)})`;
  return out;
}

/** ` ON db`, ` FROM ...`, ` WHERE ...`, ` GROUP BY ...`, ` LIMIT n`, ` OFFSET n` as present. */
function clauses(p: {
  database?: string;
  sources?: Source[] | null;
  condition?: Expr | null;
  dimensions?: Dimension[];
  sortFields?: SortField[];
  limit?: number;
  offset?: number;
  sLimit?: number;
  sOffset?: number;
}): string {
  let out = '';
  if (p.database !== undefined && p.database !== '') out += ' ON ' + quoteIdent(p.database);
  if (p.sources !== undefined && p.sources !== null) out += ' FROM ' + formatSources(p.sources);
  if (p.condition !== undefined && p.condition !== null) out += ' WHERE ' + formatExpr(p.condition);
  if (p.dimensions !== undefined && p.dimensions.length > 0) out += ' GROUP BY ' + formatDimensions(p.dimensions);
  if (p.sortFields !== undefined && p.sortFields.length > 0) out += ' ORDER BY ' + formatSortFields(p.sortFields);
  if (p.limit !== undefined && p.limit > 0) out += ` LIMIT ${p.limit}`;
  if (p.offset !== undefined && p.offset > 0) out += ` OFFSET ${p.offset}`;
  if (p.sLimit !== undefined && p.sLimit > 0) out += ` SLIMIT ${p.sLimit}`;
  if (p.sOffset !== undefined && p.sOffset > 0) out += ` SOFFSET ${p.sOffset}`;
  return out;
}

function formatTagKeyExpr(e: Expr): string {
  return e.type === 'StringLiteral' ? quoteIdent(e.val) : formatExpr(e);
}

/** The statement as InfluxQL text (Go's Statement.String()). */
export function formatStatement(s: Statement): string {
  switch (s.type) {
    case 'SelectStatement':
      return formatSelect(s);
    case 'DeleteSeriesStatement':
      return 'DELETE' + clauses({ sources: s.sources, condition: s.condition });
    case 'DropSeriesStatement':
      return 'DROP SERIES' + clauses({ sources: s.sources, condition: s.condition });
    case 'DropShardStatement':
      return `DROP SHARD ${s.id}`;
    case 'DropMeasurementStatement':
      return 'DROP MEASUREMENT ' + quoteIdent(s.name);
    case 'ShowDatabasesStatement':
      return 'SHOW DATABASES';
    case 'ShowMeasurementsStatement': {
      let out = 'SHOW MEASUREMENTS';
      if (s.database !== '' || s.wildcardDatabase) {
        out += ' ON ' + (s.wildcardDatabase ? '*' : quoteIdent(s.database));
        if (s.wildcardRetentionPolicy) out += '.*';
        else if (s.retentionPolicy !== '') out += '.' + quoteIdent(s.retentionPolicy);
      }
      if (s.source !== null) {
        const re = s.source.type === 'Measurement' && s.source.regex !== null;
        out += ' WITH MEASUREMENT ' + (re ? '=~ ' : '= ') + formatSource(s.source);
      }
      return (
        out +
        clauses({ condition: s.condition, sortFields: s.sortFields, limit: s.limit, offset: s.offset })
      );
    }
    case 'ShowMeasurementCardinalityStatement':
    case 'ShowSeriesCardinalityStatement': {
      const what = s.type === 'ShowSeriesCardinalityStatement' ? 'SERIES' : 'MEASUREMENT';
      return (
        `SHOW ${what}${s.exact ? ' EXACT' : ''} CARDINALITY` +
        clauses({
          database: s.database,
          sources: s.sources,
          condition: s.condition,
          dimensions: s.dimensions,
          limit: s.limit,
          offset: s.offset,
        })
      );
    }
    case 'ShowSeriesStatement':
      return (
        'SHOW SERIES' +
        clauses({
          database: s.database,
          sources: s.sources,
          condition: s.condition,
          sortFields: s.sortFields,
          limit: s.limit,
          offset: s.offset,
        })
      );
    case 'ShowTagKeysStatement': {
      let out = 'SHOW TAG KEYS' + clauses({ database: s.database, sources: s.sources });
      if (s.tagKeyOp !== null && s.tagKeyExpr !== null) {
        out += ` WITH KEY ${s.tagKeyOp} ${formatTagKeyExpr(s.tagKeyExpr)}`;
      }
      return (
        out +
        clauses({
          condition: s.condition,
          sortFields: s.sortFields,
          limit: s.limit,
          offset: s.offset,
          sLimit: s.sLimit,
          sOffset: s.sOffset,
        })
      );
    }
    case 'ShowTagKeyCardinalityStatement':
    case 'ShowFieldKeyCardinalityStatement': {
      const what = s.type === 'ShowTagKeyCardinalityStatement' ? 'TAG' : 'FIELD';
      return (
        `SHOW ${what} KEY ${s.exact ? 'EXACT ' : ''}CARDINALITY` +
        clauses({
          database: s.database,
          sources: s.sources,
          condition: s.condition,
          dimensions: s.dimensions,
          limit: s.limit,
          offset: s.offset,
        })
      );
    }
    case 'ShowTagValuesStatement':
      return (
        'SHOW TAG VALUES' +
        clauses({ database: s.database, sources: s.sources }) +
        ` WITH KEY ${s.op} ${formatTagKeyExpr(s.tagKeyExpr)}` +
        clauses({ condition: s.condition, sortFields: s.sortFields, limit: s.limit, offset: s.offset })
      );
    case 'ShowTagValuesCardinalityStatement':
      return (
        `SHOW TAG VALUES ${s.exact ? 'EXACT ' : ''}CARDINALITY` +
        clauses({ database: s.database, sources: s.sources }) +
        ` WITH KEY ${s.op} ${formatTagKeyExpr(s.tagKeyExpr)}` +
        clauses({ condition: s.condition, dimensions: s.dimensions, limit: s.limit, offset: s.offset })
      );
    case 'ShowFieldKeysStatement':
      return (
        'SHOW FIELD KEYS' +
        clauses({
          database: s.database,
          sources: s.sources,
          sortFields: s.sortFields,
          limit: s.limit,
          offset: s.offset,
        })
      );
    case 'ShowRetentionPoliciesStatement':
      return 'SHOW RETENTION POLICIES' + clauses({ database: s.database });
    case 'ShowContinuousQueriesStatement':
      return 'SHOW CONTINUOUS QUERIES';
    case 'ShowUsersStatement':
      return 'SHOW USERS';
    case 'ShowGrantsForUserStatement':
      return 'SHOW GRANTS FOR ' + quoteIdent(s.name);
    case 'ShowStatsStatement':
      return 'SHOW STATS' + (s.module !== '' ? ' FOR ' + quoteString(s.module) : '');
    case 'ShowDiagnosticsStatement':
      return 'SHOW DIAGNOSTICS' + (s.module !== '' ? ' FOR ' + quoteString(s.module) : '');
    case 'ShowShardsStatement':
      return 'SHOW SHARDS';
    case 'ShowShardGroupsStatement':
      return 'SHOW SHARD GROUPS';
    case 'ShowQueriesStatement':
      return 'SHOW QUERIES';
    case 'ShowSubscriptionsStatement':
      return 'SHOW SUBSCRIPTIONS';
    case 'CreateDatabaseStatement': {
      let out = 'CREATE DATABASE ' + quoteIdent(s.name);
      if (s.retentionPolicyCreate) {
        out += ' WITH';
        if (s.retentionPolicyDuration !== null) out += ' DURATION ' + formatDuration(s.retentionPolicyDuration);
        if (s.retentionPolicyReplication !== null) out += ` REPLICATION ${s.retentionPolicyReplication}`;
        if (s.retentionPolicyShardGroupDuration > 0n) {
          out += ' SHARD DURATION ' + formatDuration(s.retentionPolicyShardGroupDuration);
        }
        if (s.futureWriteLimit !== null) out += ' FUTURE LIMIT ' + formatDuration(s.futureWriteLimit);
        if (s.pastWriteLimit !== null) out += ' PAST LIMIT ' + formatDuration(s.pastWriteLimit);
        if (s.retentionPolicyName !== '') out += ' NAME ' + quoteIdent(s.retentionPolicyName);
        // Go prints a bare WITH for `WITH SHARD DURATION 0s`, which does not parse back.
        if (out.endsWith(' WITH')) out += ' SHARD DURATION 0s';
      }
      return out;
    }
    case 'DropDatabaseStatement':
      return 'DROP DATABASE ' + quoteIdent(s.name);
    case 'CreateRetentionPolicyStatement': {
      let out =
        `CREATE RETENTION POLICY ${quoteIdent(s.name)} ON ${quoteIdent(s.database)}` +
        ` DURATION ${formatDuration(s.duration)} REPLICATION ${s.replication}`;
      if (s.shardGroupDuration > 0n) out += ' SHARD DURATION ' + formatDuration(s.shardGroupDuration);
      if (s.default) out += ' DEFAULT';
      if (s.futureWriteLimit > 0n) out += ' FUTURE LIMIT ' + formatDuration(s.futureWriteLimit);
      if (s.pastWriteLimit > 0n) out += ' PAST LIMIT ' + formatDuration(s.pastWriteLimit);
      return out + formatDownsample(s.tiers);
    }
    case 'AlterRetentionPolicyStatement': {
      let out = `ALTER RETENTION POLICY ${quoteIdent(s.name)} ON ${quoteIdent(s.database)}`;
      if (s.duration !== null) out += ' DURATION ' + formatDuration(s.duration);
      if (s.replication !== null) out += ` REPLICATION ${s.replication}`;
      if (s.shardGroupDuration !== null) out += ' SHARD DURATION ' + formatDuration(s.shardGroupDuration);
      if (s.default) out += ' DEFAULT';
      if (s.futureWriteLimit !== null) out += ' FUTURE LIMIT ' + formatDuration(s.futureWriteLimit);
      if (s.pastWriteLimit !== null) out += ' PAST LIMIT ' + formatDuration(s.pastWriteLimit);
      return out + formatDownsample(s.tiers);
    }
    case 'DropRetentionPolicyStatement':
      return `DROP RETENTION POLICY ${quoteIdent(s.name)} ON ${quoteIdent(s.database)}`;
    case 'CreateContinuousQueryStatement': {
      let out = `CREATE CONTINUOUS QUERY ${quoteIdent(s.name)} ON ${quoteIdent(s.database)} `;
      if (s.resampleEvery > 0n || s.resampleFor > 0n || s.resampleCron) {
        out += 'RESAMPLE ';
        if (s.resampleEvery > 0n) out += `EVERY ${formatDuration(s.resampleEvery)} `;
        if (s.resampleFor > 0n) out += `FOR ${formatDuration(s.resampleFor)} `;
        if (s.resampleCron) out += `CRON ${quoteString(s.resampleCron.expr)} ` + (s.resampleCron.tz !== null ? `TZ ${quoteString(s.resampleCron.tz)} ` : '');
      }
      return out + `BEGIN ${formatSelect(s.source)} END`;
    }
    case 'DropContinuousQueryStatement':
      return `DROP CONTINUOUS QUERY ${quoteIdent(s.name)} ON ${quoteIdent(s.database)}`;
    case 'CreateUserStatement':
      return `CREATE USER ${quoteIdent(s.name)} WITH PASSWORD [REDACTED]${s.admin ? ' WITH ALL PRIVILEGES' : ''}`;
    case 'DropUserStatement':
      return 'DROP USER ' + quoteIdent(s.name);
    case 'SetPasswordUserStatement':
      return `SET PASSWORD FOR ${quoteIdent(s.name)} = [REDACTED]`;
    case 'GrantStatement':
      return `GRANT ${formatPrivilege(s.privilege)} ON ${quoteIdent(s.on)} TO ${quoteIdent(s.user)}`;
    case 'GrantAdminStatement':
      return 'GRANT ALL PRIVILEGES TO ' + quoteIdent(s.user);
    case 'RevokeStatement':
      return `REVOKE ${formatPrivilege(s.privilege)} ON ${quoteIdent(s.on)} FROM ${quoteIdent(s.user)}`;
    case 'RevokeAdminStatement':
      return 'REVOKE ALL PRIVILEGES FROM ' + quoteIdent(s.user);
    case 'KillQueryStatement':
      return `KILL QUERY ${s.queryId}` + (s.host !== '' ? ' ON ' + quoteIdent(s.host) : '');
    case 'ExplainStatement':
      return 'EXPLAIN ' + (s.analyze ? 'ANALYZE ' : '') + (s.verbose ? 'VERBOSE ' : '') + formatSelect(s.statement);
    case 'CreateSubscriptionStatement':
      return (
        `CREATE SUBSCRIPTION ${quoteIdent(s.name)} ON ${quoteIdent(s.database)}.${quoteIdent(s.retentionPolicy)}` +
        ` DESTINATIONS ${s.mode} ${s.destinations.map(quoteString).join(', ')}`
      );
    case 'DropSubscriptionStatement':
      return `DROP SUBSCRIPTION ${quoteIdent(s.name)} ON ${quoteIdent(s.database)}.${quoteIdent(s.retentionPolicy)}`;
  }
}

/** Several statements joined as Go's Statements.String() does. */
export function formatQuery(statements: Statement[]): string {
  return statements.map(formatStatement).join(';\n');
}
