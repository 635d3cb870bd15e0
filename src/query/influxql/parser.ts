// The InfluxQL parser: a port of influxql's parser.go and parse_tree.go (InfluxDB 1.x).
//
// It follows the Go code step by step, including its token look-ahead and unscans, so the
// accepted language and the error messages (with their line and char) are InfluxDB's:
//
//   error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 8
//
// Errors Go raises without a position (e.g. `fill must be a function call`) carry none in
// the message either. The parser does not rewrite anything: `now()` stays a Call, time
// strings stay StringLiterals, bound parameters stay BoundParameter nodes unless values are
// passed in `options.params` (then they are substituted at the token level, as Go does).

import {
  type BinaryOp,
  type BoundParameter,
  type Call,
  type CreateContinuousQueryStatement,
  type DataType,
  type DownsampleTier,
  type Dimension,
  type Expr,
  type Field,
  type FillOption,
  type ListLiteral,
  type Measurement,
  type Privilege,
  type RegexLiteral,
  type SelectStatement,
  type SortField,
  type Source,
  type Statement,
  type StringLiteral,
  type TagKeyOp,
  type Target,
  measurement as newMeasurement,
  selectStatement as newSelect,
} from './ast.js';
import * as lexer from './lexer.js';
import { BufScanner, type Token, type TokenInfo, tokenString, tokstr } from './lexer.js';
import { compileRe2Unanchored } from '../re2.js';
import { formatDuration, formatExpr, plainDecimal, quoteIdent } from './print.js';

/** The token constants as a plain object (cheap property reads whatever the module loader). */
const L = { ...lexer };

// ---------------------------------------------------------------------------------------
// Errors.

const PREFIX = 'error parsing query: ';

/**
 * A query that does not parse. `message` is what InfluxDB returns in its JSON `error`
 * (`error parsing query: ...`); `detail` is the message without that prefix. `line` and
 * `char` are 1-based (0 when Go reports the error without a position).
 */
export class InfluxQLParseError extends Error {
  readonly line: number;
  readonly char: number;
  readonly detail: string;
  readonly found: string | null;
  readonly expected: string[] | null;

  constructor(detail: string, line: number, char: number, found: string | null = null, expected: string[] | null = null) {
    super(PREFIX + detail);
    this.name = 'InfluxQLParseError';
    this.detail = detail;
    this.line = line;
    this.char = char;
    this.found = found;
    this.expected = expected;
  }
}

interface Pos {
  line: number;
  char: number;
}

/** Go's newParseError: `found X, expected A, B at line L, char C`. */
function parseError(found: string, expected: string[], pos: Pos): InfluxQLParseError {
  const line = pos.line + 1;
  const char = pos.char + 1;
  return new InfluxQLParseError(
    `found ${found}, expected ${expected.join(', ')} at line ${line}, char ${char}`,
    line,
    char,
    found,
    expected,
  );
}

/** Go's &ParseError{Message, Pos}: `<message> at line L, char C`. */
function messageError(message: string, pos: Pos = { line: 0, char: 0 }): InfluxQLParseError {
  const line = pos.line + 1;
  const char = pos.char + 1;
  return new InfluxQLParseError(`${message} at line ${line}, char ${char}`, line, char);
}

/** A plain Go error (errors.New / fmt.Errorf): no position in the text. */
function plainError(message: string): InfluxQLParseError {
  return new InfluxQLParseError(message, 0, 0);
}

// ---------------------------------------------------------------------------------------
// Durations.

const MAX_INT64 = (1n << 63n) - 1n;
const NS: Record<string, bigint> = {
  u: 1000n,
  µ: 1000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/**
 * Go's influxql.ParseDuration: `1h30m`, `10ms`, `5u`/`5µ`, `3ns`, `2w`, `-5s`. Arithmetic
 * wraps like Go's int64 and an overflow is reported as Go does. Throws a plain Error.
 */
export function parseDuration(s: string): bigint {
  const invalid = (): Error => new Error('invalid duration');
  if (s.length < 2) throw invalid();
  const a = Array.from(s);
  let i = 0;
  let neg = false;
  if (a[0] === '-') {
    neg = true;
    i++;
  }
  let d = 0n;
  let measure = 0n;
  let unit = '';
  while (i < a.length) {
    const start = i;
    while (i < a.length && a[i] >= '0' && a[i] <= '9') i++;
    if (i >= a.length || i === start) throw invalid();
    const n = BigInt(a.slice(start, i).join(''));
    if (n > MAX_INT64) throw invalid();
    measure = n;
    unit = a[i];
    if (a[i] === 'n') {
      if (i + 1 < a.length && a[i + 1] === 's') {
        unit = 'ns';
        d = BigInt.asIntN(64, d + n);
        i += 2;
        continue;
      }
      throw invalid();
    }
    if (a[i] === 'm' && i + 1 < a.length && a[i + 1] === 's') {
      unit = 'ms';
      d = BigInt.asIntN(64, d + BigInt.asIntN(64, n * 1_000_000n));
      i += 2;
      continue;
    }
    const mul = NS[a[i]];
    if (mul === undefined) throw invalid();
    d = BigInt.asIntN(64, d + BigInt.asIntN(64, n * mul));
    i++;
  }
  if (d < 0n && !neg) throw new Error(`overflowed duration ${measure}${unit}: choose a smaller duration or INF`);
  return neg ? BigInt.asIntN(64, -d) : d;
}

// ---------------------------------------------------------------------------------------
// Bound parameters (Go's params.go), for options.params.

type Bound = { tok: Token; lit: string } | { error: string };

function bindValue(v: unknown): Bound {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) return { error: `unable to bind parameter with value ${v}` };
      return Number.isInteger(v) ? { tok: L.INTEGER, lit: plainDecimal(v) } : { tok: L.NUMBER, lit: plainDecimal(v) };
    case 'bigint':
      return { tok: L.INTEGER, lit: v.toString() };
    case 'string':
      return { tok: L.STRING, lit: v };
    case 'boolean':
      return { tok: v ? L.TRUE : L.FALSE, lit: v ? 'true' : 'false' };
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length !== 1) return { error: 'bound object parameter value must have exactly one entry' };
    const [kind, val] = entries[0];
    switch (kind) {
      case 'float':
        if (typeof val === 'number' || typeof val === 'string') {
          const f = Number(val);
          if (Number.isFinite(f)) return { tok: L.NUMBER, lit: plainDecimal(f) };
        }
        return { error: `float bound parameter "${String(val)}" is not a number` };
      case 'integer':
        if ((typeof val === 'number' && Number.isInteger(val)) || typeof val === 'bigint') {
          return { tok: L.INTEGER, lit: typeof val === 'number' ? plainDecimal(val) : val.toString() };
        }
        if (typeof val === 'string' && /^-?\d+$/.test(val)) return { tok: L.INTEGER, lit: val };
        return { error: `integer bound parameter "${String(val)}" is not an integer` };
      case 'string':
        return typeof val === 'string' ? { tok: L.STRING, lit: val } : { error: 'string bound parameter must be a string' };
      case 'boolean':
        return typeof val === 'boolean'
          ? { tok: val ? L.TRUE : L.FALSE, lit: val ? 'true' : 'false' }
          : { error: 'boolean bound parameter must be a boolean' };
      case 'duration':
        if (typeof val === 'string') {
          try {
            return { tok: L.DURATIONVAL, lit: formatDuration(parseDuration(val)) };
          } catch (e) {
            return { error: (e as Error).message };
          }
        }
        if (typeof val === 'number' && Number.isInteger(val)) {
          return { tok: L.DURATIONVAL, lit: formatDuration(BigInt(val)) };
        }
        return { error: 'duration bound parameter must be a duration string or integer nanoseconds' };
      case 'identifier':
        return typeof val === 'string'
          ? { tok: L.IDENT, lit: val }
          : { error: 'identifier bound parameter must be a string' };
      case 'regex':
        return typeof val === 'string' ? { tok: L.REGEX, lit: val } : { error: 'regex bound parameter must be a string' };
    }
    return { error: `unknown bind object type: ${kind}` };
  }
  return { error: `unable to bind parameter with type ${v === null ? 'nil' : Array.isArray(v) ? 'array' : typeof v}` };
}

// ---------------------------------------------------------------------------------------
// The statement dispatch tree (parse_tree.go).

type Handler = (p: Parser) => Statement;

interface ParseTree {
  handlers: Map<Token, Handler>;
  tokens: Map<Token, ParseTree>;
  keys: string[];
}

function tree(): ParseTree {
  return { handlers: new Map(), tokens: new Map(), keys: [] };
}

function group(t: ParseTree, ...toks: Token[]): ParseTree {
  let cur = t;
  for (const tok of toks) {
    let sub = cur.tokens.get(tok);
    if (sub === undefined) {
      sub = tree();
      cur.tokens.set(tok, sub);
      cur.keys.push(tokenString(tok));
    }
    cur = sub;
  }
  return cur;
}

function handle(t: ParseTree, tok: Token, fn: Handler): void {
  t.handlers.set(tok, fn);
  t.keys.push(tokenString(tok));
}

const LANGUAGE: ParseTree = (() => {
  const lang = tree();
  handle(lang, L.SELECT, (p) => p.parseSelectStatement('notRequired'));
  handle(lang, L.DELETE, (p) => p.parseDeleteStatement());
  const show = group(lang, L.SHOW);
  handle(group(show, L.CONTINUOUS), L.QUERIES, () => ({ type: 'ShowContinuousQueriesStatement' }));
  handle(show, L.DATABASES, () => ({ type: 'ShowDatabasesStatement' }));
  handle(show, L.DIAGNOSTICS, (p) => ({ type: 'ShowDiagnosticsStatement', module: p.parseOptionalForModule() }));
  const field = group(show, L.FIELD);
  handle(field, L.KEY, (p) => p.parseShowFieldKeyCardinalityStatement());
  handle(field, L.KEYS, (p) => p.parseShowFieldKeysStatement());
  handle(group(show, L.GRANTS), L.FOR, (p) => ({ type: 'ShowGrantsForUserStatement', name: p.parseIdent() }));
  handle(group(show, L.MEASUREMENT), L.EXACT, (p) => p.parseShowMeasurementCardinalityStatement(true));
  handle(group(show, L.MEASUREMENT), L.CARDINALITY, (p) => p.parseShowMeasurementCardinalityStatement(false));
  handle(show, L.MEASUREMENTS, (p) => p.parseShowMeasurementsStatement());
  handle(show, L.QUERIES, () => ({ type: 'ShowQueriesStatement' }));
  handle(group(show, L.RETENTION), L.POLICIES, (p) => p.parseShowRetentionPoliciesStatement());
  handle(show, L.SERIES, (p) => p.parseShowSeriesStatement());
  handle(group(show, L.SHARD), L.GROUPS, () => ({ type: 'ShowShardGroupsStatement' }));
  handle(show, L.SHARDS, () => ({ type: 'ShowShardsStatement' }));
  handle(show, L.STATS, (p) => ({ type: 'ShowStatsStatement', module: p.parseOptionalForModule() }));
  handle(show, L.SUBSCRIPTIONS, () => ({ type: 'ShowSubscriptionsStatement' }));
  const tag = group(show, L.TAG);
  handle(tag, L.KEY, (p) => p.parseShowTagKeyCardinalityStatement());
  handle(tag, L.KEYS, (p) => p.parseShowTagKeysStatement());
  handle(tag, L.VALUES, (p) => p.parseShowTagValuesStatement());
  handle(show, L.USERS, () => ({ type: 'ShowUsersStatement' }));

  const create = group(lang, L.CREATE);
  handle(group(create, L.CONTINUOUS), L.QUERY, (p) => p.parseCreateContinuousQueryStatement());
  handle(create, L.DATABASE, (p) => p.parseCreateDatabaseStatement());
  handle(create, L.USER, (p) => p.parseCreateUserStatement());
  handle(group(create, L.RETENTION), L.POLICY, (p) => p.parseCreateRetentionPolicyStatement());
  handle(create, L.SUBSCRIPTION, (p) => p.parseCreateSubscriptionStatement());

  const drop = group(lang, L.DROP);
  handle(group(drop, L.CONTINUOUS), L.QUERY, (p) => {
    const [name, database] = p.parseNameOnDatabase();
    return { type: 'DropContinuousQueryStatement', name, database };
  });
  handle(drop, L.DATABASE, (p) => ({ type: 'DropDatabaseStatement', name: p.parseIdent() }));
  handle(drop, L.MEASUREMENT, (p) => ({ type: 'DropMeasurementStatement', name: p.parseIdent() }));
  handle(group(drop, L.RETENTION), L.POLICY, (p) => {
    const [name, database] = p.parseNameOnDatabase();
    return { type: 'DropRetentionPolicyStatement', name, database };
  });
  handle(drop, L.SERIES, (p) => p.parseDropSeriesStatement());
  handle(drop, L.SHARD, (p) => ({ type: 'DropShardStatement', id: p.parseUInt64() }));
  handle(drop, L.SUBSCRIPTION, (p) => p.parseDropSubscriptionStatement());
  handle(drop, L.USER, (p) => ({ type: 'DropUserStatement', name: p.parseIdent() }));

  handle(lang, L.EXPLAIN, (p) => p.parseExplainStatement());
  handle(lang, L.GRANT, (p) => p.parseGrantStatement());
  handle(lang, L.REVOKE, (p) => p.parseRevokeStatement());
  handle(group(lang, L.ALTER, L.RETENTION), L.POLICY, (p) => p.parseAlterRetentionPolicyStatement());
  handle(group(lang, L.SET, L.PASSWORD), L.FOR, (p) => p.parseSetPasswordUserStatement());
  handle(group(lang, L.KILL), L.QUERY, (p) => p.parseKillQueryStatement());
  return lang;
})();

// ---------------------------------------------------------------------------------------
// The parser.

type TargetRequirement = 'required' | 'notRequired' | 'subquery';

const BINARY_OPS = new Map<Token, BinaryOp>([
  [L.ADD, '+'],
  [L.SUB, '-'],
  [L.MUL, '*'],
  [L.DIV, '/'],
  [L.MOD, '%'],
  [L.BITWISE_AND, '&'],
  [L.BITWISE_OR, '|'],
  [L.BITWISE_XOR, '^'],
  [L.AND, 'AND'],
  [L.OR, 'OR'],
  [L.IN, 'IN'],
  [L.EQ, '='],
  [L.NEQ, '!='],
  [L.EQREGEX, '=~'],
  [L.NEQREGEX, '!~'],
  [L.LT, '<'],
  [L.LTE, '<='],
  [L.GT, '>'],
  [L.GTE, '>='],
]);

const OP_TOKENS = new Map<BinaryOp, Token>([...BINARY_OPS].map(([tok, op]) => [op, tok]));

const MIN_INT64 = -(1n << 63n);
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_INT32 = 2147483647;

const SELECT_INVALID_OPS = new Set<BinaryOp>(['=', '!=', '=~', '!~', '<', '<=', '>', '>=', 'AND', 'OR']);

export interface ParseOptions {
  /**
   * Values for `$name` bound parameters (the `params` JSON object of /query). When given,
   * parameters are substituted while scanning, as InfluxDB does, so they may stand for
   * identifiers, numbers, durations or regexes anywhere; a missing one is an error. Without
   * it, `$name` in an expression parses as a BoundParameter node.
   */
  params?: Record<string, unknown>;
}

function posOf(t: TokenInfo): Pos {
  return { line: t.line, char: t.char };
}

export class Parser {
  private readonly s: BufScanner;
  private readonly params: Map<string, Bound> | null;

  constructor(text: string, options: ParseOptions = {}) {
    this.s = new BufScanner(text);
    if (options.params !== undefined) {
      this.params = new Map();
      for (const [k, v] of Object.entries(options.params)) this.params.set(k, bindValue(v));
    } else {
      this.params = null;
    }
  }

  // -- Scanning ---------------------------------------------------------------------------

  private subst(t: TokenInfo): TokenInfo {
    if (t.tok === L.BOUNDPARAM && this.params !== null) {
      const k = t.lit.slice(1);
      if (k.length !== 0) {
        const v = this.params.get(k);
        if (v !== undefined && !('error' in v)) return { tok: v.tok, line: t.line, char: t.char, lit: v.lit };
      }
    }
    return t;
  }

  scan(): TokenInfo {
    return this.subst(this.s.scan());
  }

  private scanRegex(): TokenInfo {
    return this.subst(this.s.scanRegex());
  }

  scanIgnoreWhitespace(): TokenInfo {
    for (;;) {
      const t = this.scan();
      if (t.tok !== L.WS && t.tok !== L.COMMENT) return t;
    }
  }

  unscan(): void {
    this.s.unscan();
  }

  private consumeWhitespace(): void {
    if (this.scan().tok !== L.WS) this.unscan();
  }

  private peekRune(): number {
    const r = this.s.s.r;
    const ch = r.read();
    if (ch !== L.EOF_CH) r.unread();
    return ch;
  }

  /** Consumes the next token if it is `tok`. */
  private accept(tok: Token): boolean {
    if (this.scanIgnoreWhitespace().tok === tok) return true;
    this.unscan();
    return false;
  }

  /** Go's parseTokens: the exact token sequence, or an error. */
  private parseTokens(toks: Token[]): void {
    for (const expected of toks) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== expected) throw parseError(tokstr(t.tok, t.lit), [tokenString(expected)], posOf(t));
    }
  }

  // -- Entry points -----------------------------------------------------------------------

  parseQuery(): Statement[] {
    const statements: Statement[] = [];
    let semi = true;
    for (;;) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok === L.EOF) return statements;
      if (t.tok === L.SEMICOLON) {
        semi = true;
        continue;
      }
      if (!semi) throw parseError(tokstr(t.tok, t.lit), [';'], posOf(t));
      this.unscan();
      statements.push(this.parseStatement());
      semi = false;
    }
  }

  parseStatement(): Statement {
    let t: ParseTree = LANGUAGE;
    for (;;) {
      const tk = this.scanIgnoreWhitespace();
      const sub = t.tokens.get(tk.tok);
      if (sub !== undefined) {
        t = sub;
        continue;
      }
      const h = t.handlers.get(tk.tok);
      if (h !== undefined) return h(this);
      throw parseError(tokstr(tk.tok, tk.lit), t.keys, posOf(tk));
    }
  }

  // -- Small pieces -----------------------------------------------------------------------

  parseIdent(): string {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.IDENT) throw parseError(tokstr(t.tok, t.lit), ['identifier'], posOf(t));
    return t.lit;
  }

  private parseIdentList(): string[] {
    return this.parseCommaList(() => this.parseIdent());
  }

  private parseString(): string {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.STRING) throw parseError(tokstr(t.tok, t.lit), ['string'], posOf(t));
    return t.lit;
  }

  private parseStringList(): string[] {
    return this.parseCommaList(() => this.parseString());
  }

  /** One or more items separated by commas. */
  private parseCommaList<T>(item: () => T): T[] {
    const items = [item()];
    while (this.scanIgnoreWhitespace().tok === L.COMMA) items.push(item());
    this.unscan();
    return items;
  }

  /** Go's ParseInt(min, max) (strconv.Atoi plus a range check). */
  private parseInt(min: number, max: number): number {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.INTEGER) throw parseError(tokstr(t.tok, t.lit), ['integer'], posOf(t));
    let n: bigint;
    try {
      n = BigInt(t.lit);
    } catch {
      throw messageError(`strconv.Atoi: parsing ${JSON.stringify(t.lit)}: invalid syntax`, posOf(t));
    }
    if (n > MAX_INT64 || n < MIN_INT64) {
      throw messageError(`strconv.Atoi: parsing ${JSON.stringify(t.lit)}: value out of range`, posOf(t));
    }
    if (BigInt(min) > n || n > BigInt(max)) {
      throw messageError(`invalid value ${n}: must be ${min} <= n <= ${max}`, posOf(t));
    }
    return Number(n);
  }

  parseUInt64(): bigint {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.INTEGER) throw parseError(tokstr(t.tok, t.lit), ['integer'], posOf(t));
    let n: bigint;
    try {
      n = BigInt(t.lit);
    } catch {
      throw messageError(`strconv.ParseUint: parsing ${JSON.stringify(t.lit)}: invalid syntax`, posOf(t));
    }
    if (n < 0n || n > MAX_UINT64) {
      const why = t.lit.startsWith('-') ? 'invalid syntax' : 'value out of range';
      throw messageError(`strconv.ParseUint: parsing ${JSON.stringify(t.lit)}: ${why}`, posOf(t));
    }
    return n;
  }

  /** Go's Parser.ParseDuration: a duration token or INF (0). */
  private parseDurationToken(): bigint {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.DURATIONVAL && t.tok !== L.INF) throw parseError(tokstr(t.tok, t.lit), ['duration'], posOf(t));
    if (t.tok === L.INF) return 0n;
    try {
      return parseDuration(t.lit);
    } catch (e) {
      throw messageError((e as Error).message, posOf(t));
    }
  }

  /** A shard duration: like parseDurationToken but INF is refused. */
  private parseShardDuration(): bigint {
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.INF) throw messageError('invalid duration INF for shard duration', posOf(t));
    this.unscan();
    return this.parseDurationToken();
  }

  /** `LIMIT <duration>` after FUTURE or PAST. */
  private parseWriteLimit(): bigint {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.LIMIT) throw parseError(tokstr(t.tok, t.lit), ['LIMIT'], posOf(t));
    return this.parseDurationToken();
  }

  /** Go's ParseOptionalTokenAndInt: `<tok> <n>` if present, else 0. */
  private parseOptionalTokenAndInt(tok: Token): number {
    if (this.scanIgnoreWhitespace().tok !== tok) {
      this.unscan();
      return 0;
    }
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.INTEGER) throw parseError(tokstr(t.tok, t.lit), ['integer'], posOf(t));
    // strconv.ParseInt with its error ignored: out of range saturates.
    let n: bigint;
    try {
      n = BigInt(t.lit);
    } catch {
      n = 0n;
    }
    if (n > MAX_INT64) n = MAX_INT64;
    if (n < MIN_INT64) n = MIN_INT64;
    if (n < 0n) throw messageError(`${tokenString(tok)} must be >= 0`, posOf(t));
    return Number(n);
  }

  /** `name ON db` for DROP CONTINUOUS QUERY / DROP RETENTION POLICY. */
  parseNameOnDatabase(): [string, string] {
    const name = this.parseIdent();
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.ON) throw parseError(tokstr(t.tok, t.lit), ['ON'], posOf(t));
    return [name, this.parseIdent()];
  }

  /** The optional `FOR 'module'` of SHOW STATS / SHOW DIAGNOSTICS. */
  parseOptionalForModule(): string {
    if (this.scanIgnoreWhitespace().tok === L.FOR) return this.parseString();
    this.unscan();
    return '';
  }

  private parseOptionalOn(): string {
    if (this.scanIgnoreWhitespace().tok === L.ON) return this.parseIdent();
    this.unscan();
    return '';
  }

  private parseOptionalFrom(): Source[] | null {
    if (this.scanIgnoreWhitespace().tok === L.FROM) return this.parseSources(false);
    this.unscan();
    return null;
  }

  /** Go's parseSegmentedIdents: `a`, `a.b`, `a.b.c`, `a..c`. */
  private parseSegmentedIdents(): string[] {
    const idents = [this.parseIdent()];
    for (;;) {
      if (this.scan().tok !== L.DOT) {
        this.unscan();
        break;
      }
      const ch = this.peekRune();
      if (ch === 47 /* / */ || ch === 58 /* : */) break;
      if (ch === 46 /* . */) {
        idents.push('');
        continue;
      }
      idents.push(this.parseIdent());
    }
    if (idents.length > 3) throw messageError(`too many segments in ${quoteIdent(...idents)}`);
    return idents;
  }

  // -- Regexes ----------------------------------------------------------------------------

  /** Go's parseRegex: a `/regex/` if one comes next, else null (nothing consumed). */
  private parseRegex(): RegexLiteral | null {
    if (L.isWhitespace(this.peekRune())) this.consumeWhitespace();
    const next = this.peekRune();
    if (next === 36 /* $ */) {
      const t = this.scan();
      this.unscan();
      if (t.tok !== L.REGEX) return null;
    } else if (next !== 47 /* / */) {
      return null;
    }
    const t = this.scanRegex();
    if (t.tok === L.BADESCAPE) throw messageError(`bad escape: ${t.lit}`, posOf(t));
    if (t.tok === L.BADREGEX) throw messageError(`bad regex: ${t.lit}`, posOf(t));
    if (t.tok !== L.REGEX) throw parseError(tokstr(t.tok, t.lit), ['regex'], posOf(t));
    return this.regexLiteral(t);
  }

  private regexLiteral(t: TokenInfo): RegexLiteral {
    try {
      compileRe2Unanchored(t.lit);
    } catch (e) {
      throw messageError((e as Error).message, posOf(t));
    }
    return { type: 'RegexLiteral', val: t.lit };
  }

  // -- Expressions ------------------------------------------------------------------------

  /** Go's ParseExpr: precedence climbing over a dummy root's right-hand side. */
  parseExpr(): Expr {
    const root: { rhs: Expr } = { rhs: this.parseUnaryExpr() };
    for (;;) {
      const opTok = this.scanIgnoreWhitespace();
      const op = BINARY_OPS.get(opTok.tok);
      if (op === undefined) {
        this.unscan();
        return root.rhs;
      }
      let rhs: Expr;
      if (op === '=~' || op === '!~') {
        const re = this.parseRegex();
        if (re !== null) {
          rhs = re;
        } else {
          const t = this.scanIgnoreWhitespace();
          const bp = this.unresolvedParam(t);
          if (bp === null) throw parseError(tokstr(t.tok, t.lit), ['regex'], posOf(t));
          rhs = bp;
        }
      } else {
        rhs = this.parseUnaryExpr();
      }
      const prec = L.precedence(opTok.tok);
      let node: { rhs: Expr } = root;
      for (;;) {
        const r = node.rhs;
        if (r.type !== 'BinaryExpr' || L.precedence(OP_TOKENS.get(r.op) as Token) >= prec) {
          node.rhs = { type: 'BinaryExpr', op, lhs: node.rhs, rhs };
          break;
        }
        node = r;
      }
    }
  }

  /** A `$name` left unresolved (no options.params) as a BoundParameter node. */
  private unresolvedParam(t: TokenInfo): BoundParameter | null {
    if (t.tok !== L.BOUNDPARAM || this.params !== null) return null;
    const name = t.lit.slice(1);
    if (name.length === 0) return null;
    return { type: 'BoundParameter', name };
  }

  private parseUnaryExpr(): Expr {
    if (this.scanIgnoreWhitespace().tok === L.LPAREN) {
      const expr = this.parseExpr();
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== L.RPAREN) throw parseError(tokstr(t.tok, t.lit), [')'], posOf(t));
      return { type: 'ParenExpr', expr };
    }
    this.unscan();

    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case L.IDENT: {
        if (this.scan().tok === L.LPAREN) return this.parseCall(t.lit);
        this.unscan();
        this.unscan();
        return this.parseVarRef();
      }
      case L.DISTINCT: {
        const t0 = this.scan();
        if (t0.tok === L.LPAREN) return this.parseCall('distinct');
        if (t0.tok === L.WS) {
          const t1 = this.scanIgnoreWhitespace();
          if (t1.tok !== L.IDENT) throw parseError(tokstr(t1.tok, t1.lit), ['identifier'], posOf(t1));
          return { type: 'Distinct', val: t1.lit };
        }
        throw parseError(tokstr(t0.tok, t0.lit), ['(', 'identifier'], posOf(t0));
      }
      case L.STRING:
        return { type: 'StringLiteral', val: t.lit };
      case L.NUMBER: {
        const v = Number(t.lit);
        if (!Number.isFinite(v)) throw messageError('unable to parse number', posOf(t));
        return { type: 'NumberLiteral', val: v };
      }
      case L.INTEGER: {
        let v: bigint;
        try {
          v = BigInt(t.lit);
        } catch {
          throw messageError('unable to parse integer', posOf(t));
        }
        if (v >= MIN_INT64 && v <= MAX_INT64) return { type: 'IntegerLiteral', val: v };
        if (v >= 0n && v <= MAX_UINT64) return { type: 'UnsignedLiteral', val: v };
        throw messageError('unable to parse integer', posOf(t));
      }
      case L.TRUE:
      case L.FALSE:
        return { type: 'BooleanLiteral', val: t.tok === L.TRUE };
      case L.DURATIONVAL: {
        try {
          return { type: 'DurationLiteral', val: parseDuration(t.lit) };
        } catch (e) {
          throw plainError((e as Error).message);
        }
      }
      case L.MUL: {
        let wildcardType: 'field' | 'tag' | null = null;
        if (this.scan().tok === L.DOUBLECOLON) {
          const t1 = this.scan();
          if (t1.tok === L.FIELD) wildcardType = 'field';
          else if (t1.tok === L.TAG) wildcardType = 'tag';
          else throw parseError(tokstr(t1.tok, t1.lit), ['field', 'tag'], posOf(t1));
        } else {
          this.unscan();
        }
        return { type: 'Wildcard', wildcardType };
      }
      case L.REGEX:
        return this.regexLiteral(t);
      case L.BOUNDPARAM: {
        const k = t.lit.slice(1);
        if (k.length === 0) throw plainError('empty bound parameter');
        if (this.params === null) return { type: 'BoundParameter', name: k };
        const v = this.params.get(k);
        if (v === undefined) throw plainError(`missing parameter: ${k}`);
        throw plainError('error' in v ? v.error : `unable to bind parameter ${k}`);
      }
      case L.ADD:
      case L.SUB: {
        const neg = t.tok === L.SUB;
        const t0 = this.scanIgnoreWhitespace();
        switch (t0.tok) {
          case L.NUMBER:
          case L.INTEGER:
          case L.DURATIONVAL:
          case L.LPAREN:
          case L.IDENT: {
            this.unscan();
            const lit = this.parseUnaryExpr();
            switch (lit.type) {
              case 'NumberLiteral':
                return neg ? { type: 'NumberLiteral', val: -lit.val } : lit;
              case 'IntegerLiteral':
                return neg ? { type: 'IntegerLiteral', val: BigInt.asIntN(64, -lit.val) } : lit;
              case 'UnsignedLiteral':
                if (neg) {
                  if (lit.val === 1n << 63n) return { type: 'IntegerLiteral', val: MIN_INT64 };
                  throw plainError(`constant -${lit.val} underflows int64`);
                }
                return lit;
              case 'DurationLiteral':
                return neg ? { type: 'DurationLiteral', val: BigInt.asIntN(64, -lit.val) } : lit;
              case 'VarRef':
              case 'Call':
              case 'ParenExpr':
                return {
                  type: 'BinaryExpr',
                  op: '*',
                  lhs: { type: 'IntegerLiteral', val: neg ? -1n : 1n },
                  rhs: lit,
                };
              default:
                throw plainError(`unexpected literal: ${lit.type}`);
            }
          }
          default:
            throw parseError(tokstr(t0.tok, t0.lit), ['identifier', 'number', 'duration', '('], posOf(t0));
        }
      }
      default:
        throw parseError(tokstr(t.tok, t.lit), ['identifier', 'string', 'number', 'bool'], posOf(t));
    }
  }

  /** Go's parseCall: the name and `(` have been consumed. */
  private parseCall(rawName: string): Call {
    const name = rawName.toLowerCase();
    const args: Expr[] = [];
    const re = this.parseRegex();
    if (re !== null) {
      args.push(re);
    } else {
      if (this.scan().tok === L.RPAREN) return { type: 'Call', name, args: [] };
      this.unscan();
      args.push(this.parseExpr());
    }
    for (;;) {
      if (this.scanIgnoreWhitespace().tok !== L.COMMA) {
        this.unscan();
        break;
      }
      const re2 = this.parseRegex();
      if (re2 !== null) {
        args.push(re2);
        continue;
      }
      args.push(this.parseExpr());
    }
    const t = this.scan();
    if (t.tok !== L.RPAREN) throw parseError(tokstr(t.tok, t.lit), [')'], posOf(t));
    return { type: 'Call', name, args };
  }

  /** Go's ParseVarRef: segmented identifiers with an optional `::type` cast. */
  private parseVarRef(): Expr {
    const segments = this.parseSegmentedIdents();
    let dataType: DataType = 'unknown';
    if (this.scan().tok === L.DOUBLECOLON) {
      const t = this.scan();
      if (t.tok === L.IDENT) {
        switch (t.lit.toLowerCase()) {
          case 'float':
            dataType = 'float';
            break;
          case 'integer':
            dataType = 'integer';
            break;
          case 'unsigned':
            dataType = 'unsigned';
            break;
          case 'string':
            dataType = 'string';
            break;
          case 'boolean':
            dataType = 'boolean';
            break;
          default:
            throw parseError(
              tokstr(t.tok, t.lit),
              ['float', 'integer', 'unsigned', 'string', 'boolean', 'field', 'tag'],
              posOf(t),
            );
        }
      } else if (t.tok === L.FIELD) {
        dataType = 'field';
      } else if (t.tok === L.TAG) {
        dataType = 'tag';
      } else {
        throw parseError(tokstr(t.tok, t.lit), ['float', 'integer', 'string', 'boolean', 'field', 'tag'], posOf(t));
      }
    } else {
      this.unscan();
    }
    return { type: 'VarRef', val: segments.join('.'), dataType };
  }

  // -- SELECT -----------------------------------------------------------------------------

  parseSelectStatement(tr: TargetRequirement): SelectStatement {
    const stmt = newSelect();
    stmt.fields = this.parseFields();
    stmt.target = this.parseTarget(tr);
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.FROM) throw parseError(tokstr(t.tok, t.lit), ['FROM'], posOf(t));
    stmt.sources = this.parseSources(true);
    stmt.condition = this.parseCondition();
    stmt.dimensions = this.parseDimensions();
    const [fill, fillValue] = this.parseFill();
    stmt.fill = fill;
    stmt.fillValue = fillValue;
    stmt.sortFields = this.parseOrderBy();
    stmt.limit = this.parseOptionalTokenAndInt(L.LIMIT);
    stmt.offset = this.parseOptionalTokenAndInt(L.OFFSET);
    stmt.sLimit = this.parseOptionalTokenAndInt(L.SLIMIT);
    stmt.sOffset = this.parseOptionalTokenAndInt(L.SOFFSET);
    stmt.location = this.parseLocation();
    stmt.isRawQuery = !stmt.fields.some((f) => containsCall(f.expr));
    return stmt;
  }

  private parseFields(): Field[] {
    const fields: Field[] = [];
    for (;;) {
      fields.push(this.parseField());
      if (this.scan().tok !== L.COMMA) {
        this.unscan();
        break;
      }
    }
    return fields;
  }

  private parseField(): Field {
    let expr: Expr;
    const re = this.parseRegex();
    if (re !== null) {
      expr = re;
    } else {
      const first = this.scanIgnoreWhitespace();
      this.unscan();
      expr = this.parseExpr();
      const bad = findInvalidSelectOp(expr);
      if (bad !== null) {
        throw plainError(
          `invalid operator ${bad} in SELECT clause at line ${first.line + 1}, char ${first.char + 1}; operator is intended for WHERE clause`,
        );
      }
    }
    const alias = this.parseAlias();
    this.consumeWhitespace();
    return { expr, alias };
  }

  private parseAlias(): string {
    if (this.scanIgnoreWhitespace().tok !== L.AS) {
      this.unscan();
      return '';
    }
    return this.parseIdent();
  }

  private parseTarget(tr: TargetRequirement): Target | null {
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.INTO) {
      if (tr === 'required') throw parseError(tokstr(t.tok, t.lit), ['INTO'], posOf(t));
      this.unscan();
      return null;
    }
    const idents = this.parseSegmentedIdents();
    if (idents.length < 3 && this.peekRune() === 58 /* : */) {
      this.parseTokens([L.COLON, L.MEASUREMENT]);
      idents.push('');
    }
    const m = newMeasurement({ isTarget: true });
    if (idents.length === 1) {
      m.name = idents[0];
    } else if (idents.length === 2) {
      m.retentionPolicy = idents[0];
      m.name = idents[1];
    } else {
      m.database = idents[0];
      m.retentionPolicy = idents[1];
      m.name = idents[2];
    }
    return { measurement: m };
  }

  parseSources(subqueries: boolean): Source[] {
    const sources: Source[] = [];
    for (;;) {
      sources.push(this.parseSource(subqueries));
      if (this.scanIgnoreWhitespace().tok !== L.COMMA) {
        this.unscan();
        break;
      }
    }
    return sources;
  }

  private parseSource(subqueries: boolean): Source {
    const m = newMeasurement();
    const re = this.parseRegex();
    if (re !== null) {
      m.regex = re;
      return m;
    }
    if (subqueries) {
      if (this.scanIgnoreWhitespace().tok === L.LPAREN) {
        this.parseTokens([L.SELECT]);
        const statement = this.parseSelectStatement('subquery');
        this.parseTokens([L.RPAREN]);
        return { type: 'SubQuery', statement };
      }
      this.unscan();
    }
    const idents = this.parseSegmentedIdents();
    if (idents.length === 3) {
      m.database = idents[0];
      m.retentionPolicy = idents[1];
      m.name = idents[2];
      return m;
    }
    const re2 = this.parseRegex();
    if (re2 !== null) m.regex = re2;
    if (idents.length === 1) {
      if (re2 !== null) m.retentionPolicy = idents[0];
      else m.name = idents[0];
    } else if (idents.length === 2) {
      if (re2 !== null) {
        m.database = idents[0];
        m.retentionPolicy = idents[1];
      } else {
        m.retentionPolicy = idents[0];
        m.name = idents[1];
      }
    }
    return m;
  }

  private parseCondition(): Expr | null {
    if (this.scanIgnoreWhitespace().tok !== L.WHERE) {
      this.unscan();
      return null;
    }
    return this.parseExpr();
  }

  private parseDimensions(): Dimension[] {
    if (this.scanIgnoreWhitespace().tok !== L.GROUP) {
      this.unscan();
      return [];
    }
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.BY) throw parseError(tokstr(t.tok, t.lit), ['BY'], posOf(t));
    const dims: Dimension[] = [];
    for (;;) {
      const re = this.parseRegex();
      if (re !== null) {
        dims.push({ expr: re });
      } else {
        dims.push({ expr: this.parseExpr() });
        this.consumeWhitespace();
      }
      if (this.scan().tok !== L.COMMA) {
        this.unscan();
        break;
      }
    }
    return dims;
  }

  private parseFill(): [FillOption, bigint | number | null] {
    const t = this.scanIgnoreWhitespace();
    this.unscan();
    if (t.tok !== L.IDENT || t.lit.toLowerCase() !== 'fill') return ['null', null];
    const expr = this.parseExpr();
    if (expr.type !== 'Call') throw plainError('fill must be a function call');
    if (expr.args.length !== 1) throw plainError('fill requires an argument, e.g.: 0, null, none, previous, linear');
    const arg = expr.args[0];
    switch (formatExpr(arg)) {
      case 'null':
        return ['null', null];
      case 'none':
        return ['none', null];
      case 'previous':
        return ['previous', null];
      case 'linear':
        return ['linear', null];
    }
    if (arg.type === 'IntegerLiteral') return ['number', arg.val];
    if (arg.type === 'NumberLiteral') return ['number', arg.val];
    throw plainError('expected number argument in fill()');
  }

  private parseLocation(): string | null {
    const t = this.scanIgnoreWhitespace();
    this.unscan();
    if (t.tok !== L.IDENT || t.lit.toLowerCase() !== 'tz') return null;
    const expr = this.parseExpr();
    if (expr.type !== 'Call') throw plainError('tz must be a function call');
    if (expr.args.length !== 1) throw plainError('tz requires exactly one argument');
    const arg = expr.args[0];
    if (arg.type !== 'StringLiteral') throw plainError('expected string argument in tz()');
    if (!isKnownTimeZone(arg.val)) throw plainError(`unable to find time zone ${arg.val}`);
    return arg.val;
  }

  private parseOrderBy(): SortField[] {
    if (this.scanIgnoreWhitespace().tok !== L.ORDER) {
      this.unscan();
      return [];
    }
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.BY) throw parseError(tokstr(t.tok, t.lit), ['BY'], posOf(t));

    const fields: SortField[] = [];
    const first = this.scanIgnoreWhitespace();
    if (first.tok === L.ASC || first.tok === L.DESC) {
      fields.push({ name: '', ascending: first.tok === L.ASC });
    } else if (first.tok === L.IDENT) {
      this.unscan();
      const f = this.parseSortField();
      if (first.lit !== 'time') throw plainError('only ORDER BY time supported at this time');
      fields.push(f);
    } else {
      throw parseError(tokstr(first.tok, first.lit), ['identifier', 'ASC', 'DESC'], posOf(first));
    }
    for (;;) {
      if (this.scanIgnoreWhitespace().tok !== L.COMMA) {
        this.unscan();
        break;
      }
      fields.push(this.parseSortField());
    }
    if (fields.length > 1) throw plainError('only ORDER BY time supported at this time');
    return fields;
  }

  private parseSortField(): SortField {
    const name = this.parseIdent();
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.ASC && t.tok !== L.DESC) {
      this.unscan();
      return { name, ascending: true };
    }
    return { name, ascending: t.tok === L.ASC };
  }

  // -- DELETE / DROP SERIES ---------------------------------------------------------------

  parseDeleteStatement(): Statement {
    let sources: Source[] | null = null;
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.FROM) {
      sources = this.parseSources(false);
      if (sources.some((s) => s.type === 'Measurement' && s.database !== '')) {
        throw messageError('database not supported');
      }
    } else {
      this.unscan();
    }
    const condition = this.parseCondition();
    if (condition === null && sources === null) throw parseError(tokstr(t.tok, t.lit), ['FROM', 'WHERE'], posOf(t));
    return { type: 'DeleteSeriesStatement', sources, condition };
  }

  parseDropSeriesStatement(): Statement {
    let sources: Source[] | null = null;
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.FROM) {
      sources = this.parseSources(false);
      let err: string | null = null;
      for (const s of sources) {
        if (s.type !== 'Measurement') continue;
        if (s.database !== '') err = 'database not supported';
        if (s.retentionPolicy !== '') err = 'retention policy not supported';
      }
      if (err !== null) throw messageError(err);
    } else {
      this.unscan();
    }
    const condition = this.parseCondition();
    if (condition === null && sources === null) throw parseError(tokstr(t.tok, t.lit), ['FROM', 'WHERE'], posOf(t));
    return { type: 'DropSeriesStatement', sources, condition };
  }

  // -- SHOW -------------------------------------------------------------------------------

  parseShowSeriesStatement(): Statement {
    let exact = false;
    if (this.scanIgnoreWhitespace().tok === L.EXACT) exact = true;
    else this.unscan();
    if (this.scanIgnoreWhitespace().tok === L.CARDINALITY) {
      return { type: 'ShowSeriesCardinalityStatement', exact, ...this.parseCardinalityTail() };
    }
    this.unscan();
    const database = this.parseOptionalOn();
    const sources = this.parseOptionalFrom();
    const condition = this.parseCondition();
    const sortFields = this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    return { type: 'ShowSeriesStatement', database, sources, condition, sortFields, limit, offset };
  }

  /** `[ON db] [FROM ...] [WHERE ...] [GROUP BY ...] [LIMIT n] [OFFSET n]` of the *CARDINALITY statements. */
  private parseCardinalityTail(): {
    database: string;
    sources: Source[] | null;
    condition: Expr | null;
    dimensions: Dimension[];
    limit: number;
    offset: number;
  } {
    const database = this.parseOptionalOn();
    const sources = this.parseOptionalFrom();
    const condition = this.parseCondition();
    const dimensions = this.parseDimensions();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    return { database, sources, condition, dimensions, limit, offset };
  }

  parseShowMeasurementCardinalityStatement(exact: boolean): Statement {
    if (exact) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== L.CARDINALITY) throw parseError(tokstr(t.tok, t.lit), ['CARDINALITY'], posOf(t));
    }
    return { type: 'ShowMeasurementCardinalityStatement', exact, ...this.parseCardinalityTail() };
  }

  parseShowMeasurementsStatement(): Statement {
    let database = '';
    let retentionPolicy = '';
    let wildcardDatabase = false;
    let wildcardRetentionPolicy = false;
    if (this.scanIgnoreWhitespace().tok === L.ON) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok === L.IDENT) database = t.lit;
      else if (t.tok === L.MUL) wildcardDatabase = true;
      else throw parseError(tokstr(t.tok, t.lit), ['identifier or *'], posOf(t));
      if (this.scanIgnoreWhitespace().tok === L.DOT) {
        const t1 = this.scanIgnoreWhitespace();
        if (t1.tok === L.IDENT) retentionPolicy = t1.lit;
        else if (t1.tok === L.MUL) wildcardRetentionPolicy = true;
        else throw parseError(tokstr(t1.tok, t1.lit), ['identifier or *'], posOf(t1));
      } else {
        this.unscan();
      }
    } else {
      this.unscan();
    }

    let source: Source | null = null;
    if (this.scanIgnoreWhitespace().tok === L.WITH) {
      this.parseTokens([L.MEASUREMENT]);
      const t = this.scanIgnoreWhitespace();
      if (t.tok === L.EQ || t.tok === L.EQREGEX) source = this.parseSource(false);
      else throw parseError(tokstr(t.tok, t.lit), ['=', '=~'], posOf(t));
    } else {
      this.unscan();
    }
    const condition = this.parseCondition();
    const sortFields = this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    return {
      type: 'ShowMeasurementsStatement',
      database,
      retentionPolicy,
      wildcardDatabase,
      wildcardRetentionPolicy,
      source,
      condition,
      sortFields,
      limit,
      offset,
    };
  }

  parseShowRetentionPoliciesStatement(): Statement {
    return { type: 'ShowRetentionPoliciesStatement', database: this.parseOptionalOn() };
  }

  /** `EXACT CARDINALITY` / `CARDINALITY` after SHOW TAG KEY / SHOW FIELD KEY. */
  private parseExactCardinality(): boolean {
    let exact = false;
    let required = ['EXACT', 'CARDINALITY'];
    if (this.scanIgnoreWhitespace().tok === L.EXACT) {
      exact = true;
      required = ['CARDINALITY'];
    } else {
      this.unscan();
    }
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.CARDINALITY) throw parseError(tokstr(t.tok, t.lit), required, posOf(t));
    return exact;
  }

  parseShowTagKeyCardinalityStatement(): Statement {
    const exact = this.parseExactCardinality();
    return { type: 'ShowTagKeyCardinalityStatement', exact, ...this.parseCardinalityTail() };
  }

  parseShowFieldKeyCardinalityStatement(): Statement {
    const exact = this.parseExactCardinality();
    return { type: 'ShowFieldKeyCardinalityStatement', exact, ...this.parseCardinalityTail() };
  }

  parseShowTagKeysStatement(): Statement {
    const database = this.parseOptionalOn();
    const sources = this.parseOptionalFrom();
    let tagKeyOp: TagKeyOp | null = null;
    let tagKeyExpr: StringLiteral | ListLiteral | RegexLiteral | null = null;
    if (this.scanIgnoreWhitespace().tok === L.WITH) {
      this.unscan();
      [tagKeyOp, tagKeyExpr] = this.parseTagKeyExpr();
    } else {
      this.unscan();
    }
    const condition = this.parseCondition();
    const sortFields = this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    const sLimit = this.parseOptionalTokenAndInt(L.SLIMIT);
    const sOffset = this.parseOptionalTokenAndInt(L.SOFFSET);
    return {
      type: 'ShowTagKeysStatement',
      database,
      sources,
      tagKeyOp,
      tagKeyExpr,
      condition,
      sortFields,
      limit,
      offset,
      sLimit,
      sOffset,
    };
  }

  parseShowTagValuesStatement(): Statement {
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.EXACT) return this.parseShowTagValuesCardinalityStatement(true);
    if (t.tok === L.CARDINALITY) return this.parseShowTagValuesCardinalityStatement(false);
    this.unscan();
    const database = this.parseOptionalOn();
    const sources = this.parseOptionalFrom();
    const [op, tagKeyExpr] = this.parseTagKeyExpr();
    const condition = this.parseCondition();
    const sortFields = this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    return { type: 'ShowTagValuesStatement', database, sources, op, tagKeyExpr, condition, sortFields, limit, offset };
  }

  private parseShowTagValuesCardinalityStatement(exact: boolean): Statement {
    if (exact) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== L.CARDINALITY) throw parseError(tokstr(t.tok, t.lit), ['CARDINALITY'], posOf(t));
    }
    const database = this.parseOptionalOn();
    const sources = this.parseOptionalFrom();
    const [op, tagKeyExpr] = this.parseTagKeyExpr();
    const condition = this.parseCondition();
    const dimensions = this.parseDimensions();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    return {
      type: 'ShowTagValuesCardinalityStatement',
      exact,
      database,
      sources,
      op,
      tagKeyExpr,
      condition,
      dimensions,
      limit,
      offset,
    };
  }

  /** `WITH KEY = k | != k | =~ /re/ | !~ /re/ | IN (a, b)`. */
  private parseTagKeyExpr(): [TagKeyOp, StringLiteral | ListLiteral | RegexLiteral] {
    this.parseTokens([L.WITH, L.KEY]);
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.IN) {
      const lp = this.scanIgnoreWhitespace();
      if (lp.tok !== L.LPAREN) throw parseError(tokstr(lp.tok, lp.lit), ['('], posOf(lp));
      const vals = this.parseIdentList();
      const rp = this.scanIgnoreWhitespace();
      if (rp.tok !== L.RPAREN) throw parseError(tokstr(rp.tok, rp.lit), [')'], posOf(rp));
      return ['IN', { type: 'ListLiteral', vals }];
    }
    if (t.tok === L.EQ || t.tok === L.NEQ) {
      return [t.tok === L.EQ ? '=' : '!=', { type: 'StringLiteral', val: this.parseIdent() }];
    }
    if (t.tok === L.EQREGEX || t.tok === L.NEQREGEX) {
      const re = this.parseRegex();
      if (re === null) {
        const t1 = this.scanIgnoreWhitespace();
        throw parseError(tokstr(t1.tok, t1.lit), ['regex'], posOf(t1));
      }
      return [t.tok === L.EQREGEX ? '=~' : '!~', re];
    }
    throw parseError(tokstr(t.tok, t.lit), ['IN', '=', '=~'], posOf(t));
  }

  parseShowFieldKeysStatement(): Statement {
    // Go drops the error of `ON <ident>` here (the bad token is consumed, the database
    // left empty); kept for fidelity.
    let database = '';
    if (this.scanIgnoreWhitespace().tok === L.ON) {
      try {
        database = this.parseIdent();
      } catch (e) {
        if (!(e instanceof InfluxQLParseError)) throw e;
      }
    } else {
      this.unscan();
    }
    const sources = this.parseOptionalFrom();
    const sortFields = this.parseOrderBy();
    const limit = this.parseOptionalTokenAndInt(L.LIMIT);
    const offset = this.parseOptionalTokenAndInt(L.OFFSET);
    return { type: 'ShowFieldKeysStatement', database, sources, sortFields, limit, offset };
  }

  // -- CREATE / DROP / ALTER --------------------------------------------------------------

  parseCreateContinuousQueryStatement(): Statement {
    const name = this.parseIdent();
    const on = this.scanIgnoreWhitespace();
    if (on.tok !== L.ON) throw parseError(tokstr(on.tok, on.lit), ['ON'], posOf(on));
    const database = this.parseIdent();

    let resampleEvery = 0n;
    let resampleFor = 0n;
    let resampleCron: { expr: string; tz: string | null } | null = null;
    if (this.scanIgnoreWhitespace().tok === L.RESAMPLE) {
      [resampleEvery, resampleFor, resampleCron] = this.parseResample();
    } else {
      this.unscan();
    }
    this.parseTokens([L.BEGIN, L.SELECT]);
    const source = this.parseSelectStatement('required');

    if (!source.isRawQuery) {
      let interval = 0n;
      let err: string | null = null;
      try {
        interval = groupByInterval(source);
      } catch (e) {
        err = (e as Error).message;
      }
      if (interval === 0n || err !== null) {
        this.unscan();
        this.unscan();
        const t = this.scanIgnoreWhitespace();
        const expected = ['GROUP BY time(...)'];
        if (err !== null) expected.push(err);
        throw parseError(tokstr(t.tok, t.lit), expected, posOf(t));
      }
    }

    const end = this.scanIgnoreWhitespace();
    if (end.tok !== L.END) throw parseError(tokstr(end.tok, end.lit), ['END'], posOf(end));

    const stmt: CreateContinuousQueryStatement = {
      type: 'CreateContinuousQueryStatement',
      name,
      database,
      source,
      resampleEvery,
      resampleFor,
      ...(resampleCron ? { resampleCron } : {}),
    };
    validateContinuousQuery(stmt);
    return stmt;
  }

  private parseResample(): [bigint, bigint, { expr: string; tz: string | null } | null] {
    const dur = (): bigint => {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== L.DURATIONVAL) throw parseError(tokstr(t.tok, t.lit), ['duration'], posOf(t));
      try {
        return parseDuration(t.lit);
      } catch (e) {
        throw messageError((e as Error).message, posOf(t));
      }
    };
    let every = 0n;
    if (this.scanIgnoreWhitespace().tok === L.EVERY) every = dur();
    else this.unscan();
    let forDur = 0n;
    if (this.scanIgnoreWhitespace().tok === L.FOR) forDur = dur();
    else this.unscan();
    // Strata's extension, a plain word so nothing becomes reserved: CRON '<expr>' [TZ '<zone>'].
    let cron: { expr: string; tz: string | null } | null = null;
    const c = this.scanIgnoreWhitespace();
    if (c.tok === L.IDENT && c.lit.toUpperCase() === 'CRON') {
      if (every !== 0n) throw messageError('RESAMPLE CRON and RESAMPLE EVERY cannot be combined: CRON says when the query runs', posOf(c));
      const expr = this.parseString();
      const z = this.scanIgnoreWhitespace();
      let tz: string | null = null;
      if (z.tok === L.IDENT && z.lit.toUpperCase() === 'TZ') tz = this.parseString();
      else this.unscan();
      cron = { expr, tz };
    } else {
      this.unscan();
    }
    if (every === 0n && forDur === 0n && cron === null) {
      const t = this.scanIgnoreWhitespace();
      throw parseError(tokstr(t.tok, t.lit), ['EVERY', 'FOR'], posOf(t));
    }
    return [every, forDur, cron];
  }

  parseCreateDatabaseStatement(): Statement {
    const stmt = {
      type: 'CreateDatabaseStatement' as const,
      name: this.parseIdent(),
      retentionPolicyCreate: false,
      retentionPolicyDuration: null as bigint | null,
      retentionPolicyReplication: null as number | null,
      retentionPolicyName: '',
      retentionPolicyShardGroupDuration: 0n,
      futureWriteLimit: null as bigint | null,
      pastWriteLimit: null as bigint | null,
    };
    if (this.scanIgnoreWhitespace().tok !== L.WITH) {
      this.unscan();
      return stmt;
    }
    const t = this.scanIgnoreWhitespace();
    if (
      t.tok !== L.DURATION &&
      t.tok !== L.NAME &&
      t.tok !== L.REPLICATION &&
      t.tok !== L.SHARD &&
      t.tok !== L.FUTURE &&
      t.tok !== L.PAST
    ) {
      throw parseError(tokstr(t.tok, t.lit), ['DURATION', 'NAME', 'REPLICATION', 'SHARD', 'FUTURE', 'PAST'], posOf(t));
    }
    this.unscan();
    stmt.retentionPolicyCreate = true;
    if (this.accept(L.DURATION)) stmt.retentionPolicyDuration = this.parseDurationToken();
    if (this.accept(L.REPLICATION)) stmt.retentionPolicyReplication = this.parseInt(1, MAX_INT32);
    if (this.accept(L.SHARD)) {
      const d = this.scanIgnoreWhitespace();
      if (d.tok !== L.DURATION) throw parseError(tokstr(d.tok, d.lit), ['DURATION'], posOf(d));
      stmt.retentionPolicyShardGroupDuration = this.parseDurationToken();
    }
    if (this.accept(L.FUTURE)) stmt.futureWriteLimit = this.parseWriteLimit();
    if (this.accept(L.PAST)) stmt.pastWriteLimit = this.parseWriteLimit();
    if (this.accept(L.NAME)) stmt.retentionPolicyName = this.parseIdent();
    return stmt;
  }

  parseCreateRetentionPolicyStatement(): Statement {
    const name = this.parseIdent();
    const on = this.scanIgnoreWhitespace();
    if (on.tok !== L.ON) throw parseError(tokstr(on.tok, on.lit), ['ON'], posOf(on));
    const database = this.parseIdent();
    const dur = this.scanIgnoreWhitespace();
    if (dur.tok !== L.DURATION) throw parseError(tokstr(dur.tok, dur.lit), ['DURATION'], posOf(dur));
    const duration = this.parseDurationToken();
    const rep = this.scanIgnoreWhitespace();
    if (rep.tok !== L.REPLICATION) throw parseError(tokstr(rep.tok, rep.lit), ['REPLICATION'], posOf(rep));
    const replication = this.parseInt(1, MAX_INT32);

    let shardGroupDuration = 0n;
    if (this.accept(L.SHARD)) {
      const d = this.scanIgnoreWhitespace();
      if (d.tok !== L.DURATION) throw parseError(tokstr(d.tok, d.lit), ['DURATION'], posOf(d));
      shardGroupDuration = this.parseShardDuration();
    }
    const isDefault = this.accept(L.DEFAULT);
    const futureWriteLimit = this.accept(L.FUTURE) ? this.parseWriteLimit() : 0n;
    const pastWriteLimit = this.accept(L.PAST) ? this.parseWriteLimit() : 0n;
    const tiers = this.acceptWord('DOWNSAMPLE') ? this.parseDownsample() : null;
    return {
      type: 'CreateRetentionPolicyStatement',
      name,
      database,
      duration,
      replication,
      default: isDefault,
      shardGroupDuration,
      futureWriteLimit,
      pastWriteLimit,
      tiers,
    };
  }

  /** Whether the next token is the (non-keyword) word `w`, any case; consumed if so.
   * Strata's extensions use plain words, so no identifier becomes a reserved word. */
  private acceptWord(w: string): boolean {
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.IDENT && t.lit.toUpperCase() === w) return true;
    this.unscan();
    return false;
  }

  /** Strata's DOWNSAMPLE clause after its keyword: `NONE`, or tiers
   * `<resolution> FOR <duration|INF> [GRACE <duration>]` separated by commas. */
  private parseDownsample(): DownsampleTier[] {
    if (this.acceptWord('NONE')) return [];
    const tiers: DownsampleTier[] = [];
    do {
      const resolution = this.parseShardDuration();
      const f = this.scanIgnoreWhitespace();
      if (f.tok !== L.FOR) throw parseError(tokstr(f.tok, f.lit), ['FOR'], posOf(f));
      const duration = this.parseDurationToken();
      const grace = this.acceptWord('GRACE') ? this.parseShardDuration() : null;
      tiers.push({ resolution, duration, grace });
    } while (this.accept(L.COMMA));
    return tiers;
  }

  parseAlterRetentionPolicyStatement(): Statement {
    const nt = this.scanIgnoreWhitespace();
    let name: string;
    if (nt.tok === L.DEFAULT) name = 'default';
    else if (nt.tok === L.IDENT) name = nt.lit;
    else throw parseError(tokstr(nt.tok, nt.lit), ['identifier'], posOf(nt));
    const on = this.scanIgnoreWhitespace();
    if (on.tok !== L.ON) throw parseError(tokstr(on.tok, on.lit), ['ON'], posOf(on));
    const database = this.parseIdent();

    const stmt = {
      type: 'AlterRetentionPolicyStatement' as const,
      name,
      database,
      duration: null as bigint | null,
      replication: null as number | null,
      default: false,
      shardGroupDuration: null as bigint | null,
      futureWriteLimit: null as bigint | null,
      pastWriteLimit: null as bigint | null,
      tiers: null as DownsampleTier[] | null,
    };
    const found = new Set<Token>();
    for (;;) {
      const t = this.scanIgnoreWhitespace();
      if (found.has(t.tok)) throw messageError(`found duplicate ${tokenString(t.tok)} option`, posOf(t));
      switch (t.tok) {
        case L.DURATION:
          stmt.duration = this.parseDurationToken();
          break;
        case L.REPLICATION:
          stmt.replication = this.parseInt(1, MAX_INT32);
          break;
        case L.SHARD: {
          const d = this.scanIgnoreWhitespace();
          if (d.tok !== L.DURATION) throw parseError(tokstr(d.tok, d.lit), ['DURATION'], posOf(d));
          stmt.shardGroupDuration = this.parseShardDuration();
          break;
        }
        case L.DEFAULT:
          stmt.default = true;
          break;
        case L.FUTURE:
          stmt.futureWriteLimit = this.parseWriteLimit();
          break;
        case L.PAST:
          stmt.pastWriteLimit = this.parseWriteLimit();
          break;
        default:
          if (t.tok === L.IDENT && t.lit.toUpperCase() === 'DOWNSAMPLE' && stmt.tiers === null) {
            stmt.tiers = this.parseDownsample();
            found.add(L.ILLEGAL);
            continue;
          }
          if (found.size === 0) {
            throw parseError(
              tokstr(t.tok, t.lit),
              ['DURATION', 'REPLICATION', 'SHARD', 'DEFAULT', 'FUTURE', 'PAST'],
              posOf(t),
            );
          }
          this.unscan();
          return stmt;
      }
      found.add(t.tok);
    }
  }

  parseCreateUserStatement(): Statement {
    const name = this.parseIdent();
    this.parseTokens([L.WITH, L.PASSWORD]);
    const password = this.parseString();
    if (this.scanIgnoreWhitespace().tok !== L.WITH) {
      this.unscan();
      return { type: 'CreateUserStatement', name, password, admin: false };
    }
    this.parseTokens([L.ALL, L.PRIVILEGES]);
    return { type: 'CreateUserStatement', name, password, admin: true };
  }

  parseSetPasswordUserStatement(): Statement {
    const name = this.parseIdent();
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.EQ) throw parseError(tokstr(t.tok, t.lit), ['='], posOf(t));
    return { type: 'SetPasswordUserStatement', name, password: this.parseString() };
  }

  parseCreateSubscriptionStatement(): Statement {
    const name = this.parseIdent();
    const on = this.scanIgnoreWhitespace();
    if (on.tok !== L.ON) throw parseError(tokstr(on.tok, on.lit), ['ON'], posOf(on));
    const database = this.parseIdent();
    const dot = this.scan();
    if (dot.tok !== L.DOT) throw parseError(tokstr(dot.tok, dot.lit), ['.'], posOf(dot));
    const retentionPolicy = this.parseIdent();
    const d = this.scanIgnoreWhitespace();
    if (d.tok !== L.DESTINATIONS) throw parseError(tokstr(d.tok, d.lit), ['DESTINATIONS'], posOf(d));
    const m = this.scanIgnoreWhitespace();
    if (m.tok !== L.ALL && m.tok !== L.ANY) throw parseError(tokstr(m.tok, m.lit), ['ALL', 'ANY'], posOf(m));
    const destinations = this.parseStringList();
    return {
      type: 'CreateSubscriptionStatement',
      name,
      database,
      retentionPolicy,
      destinations,
      mode: m.tok === L.ALL ? 'ALL' : 'ANY',
    };
  }

  parseDropSubscriptionStatement(): Statement {
    const name = this.parseIdent();
    const on = this.scanIgnoreWhitespace();
    if (on.tok !== L.ON) throw parseError(tokstr(on.tok, on.lit), ['ON'], posOf(on));
    const database = this.parseIdent();
    const dot = this.scan();
    if (dot.tok !== L.DOT) throw parseError(tokstr(dot.tok, dot.lit), ['.'], posOf(dot));
    return { type: 'DropSubscriptionStatement', name, database, retentionPolicy: this.parseIdent() };
  }

  // -- Users, privileges, misc ------------------------------------------------------------

  private parsePrivilege(): Privilege {
    const t = this.scanIgnoreWhitespace();
    switch (t.tok) {
      case L.READ:
        return 'read';
      case L.WRITE:
        return 'write';
      case L.ALL:
        if (this.scanIgnoreWhitespace().tok !== L.PRIVILEGES) this.unscan();
        return 'all';
    }
    throw parseError(tokstr(t.tok, t.lit), ['READ', 'WRITE', 'ALL [PRIVILEGES]'], posOf(t));
  }

  parseGrantStatement(): Statement {
    return this.parseGrantOrRevoke(L.TO, 'TO', 'GrantStatement', 'GrantAdminStatement');
  }

  parseRevokeStatement(): Statement {
    return this.parseGrantOrRevoke(L.FROM, 'FROM', 'RevokeStatement', 'RevokeAdminStatement');
  }

  /** GRANT privilege ON db TO user | GRANT ALL TO user, and REVOKE ... FROM alike. */
  private parseGrantOrRevoke(
    toTok: number,
    toWord: string,
    onType: 'GrantStatement' | 'RevokeStatement',
    adminType: 'GrantAdminStatement' | 'RevokeAdminStatement',
  ): Statement {
    const privilege = this.parsePrivilege();
    const t = this.scanIgnoreWhitespace();
    if (t.tok === L.ON) {
      const on = this.parseIdent();
      const to = this.scanIgnoreWhitespace();
      if (to.tok !== toTok) throw parseError(tokstr(to.tok, to.lit), [toWord], posOf(to));
      return { type: onType, privilege, on, user: this.parseIdent() } as Statement;
    }
    if (t.tok === toTok) {
      if (privilege !== 'all') throw parseError(tokstr(t.tok, t.lit), ['ON'], posOf(t));
      return { type: adminType, user: this.parseIdent() } as Statement;
    }
    throw parseError(tokstr(t.tok, t.lit), privilege === 'all' ? ['ON', toWord] : ['ON'], posOf(t));
  }

  parseKillQueryStatement(): Statement {
    const queryId = this.parseUInt64();
    let host = '';
    if (this.scanIgnoreWhitespace().tok === L.ON) host = this.parseIdent();
    else this.unscan();
    return { type: 'KillQueryStatement', queryId, host };
  }

  parseExplainStatement(): Statement {
    const analyze = this.accept(L.ANALYZE);
    const verbose = this.accept(L.VERBOSE);
    const t = this.scanIgnoreWhitespace();
    if (t.tok !== L.SELECT) throw parseError(tokstr(t.tok, t.lit), ['SELECT'], posOf(t));
    return { type: 'ExplainStatement', statement: this.parseSelectStatement('notRequired'), analyze, verbose };
  }

  /** After a statement or expression: nothing but `;`, comments and whitespace may follow. */
  expectEnd(): void {
    let t = this.scanIgnoreWhitespace();
    while (t.tok === L.SEMICOLON) t = this.scanIgnoreWhitespace();
    if (t.tok !== L.EOF) throw parseError(tokstr(t.tok, t.lit), ['EOF'], posOf(t));
  }
}

// ---------------------------------------------------------------------------------------
// Helpers shared with the planner.

function containsCall(e: Expr): boolean {
  switch (e.type) {
    case 'Call':
      return true;
    case 'BinaryExpr':
      return containsCall(e.lhs) || containsCall(e.rhs);
    case 'ParenExpr':
      return containsCall(e.expr);
    default:
      return false;
  }
}

/** Go's validateField walk: the last boolean operator found outside a nested one, if any. */
function findInvalidSelectOp(e: Expr): BinaryOp | null {
  let bad: BinaryOp | null = null;
  const visit = (n: Expr): void => {
    switch (n.type) {
      case 'BinaryExpr':
        if (SELECT_INVALID_OPS.has(n.op)) {
          bad = n.op;
          return;
        }
        visit(n.lhs);
        visit(n.rhs);
        return;
      case 'Call':
        for (const a of n.args) visit(a);
        return;
      case 'ParenExpr':
        visit(n.expr);
        return;
      default:
        return;
    }
  };
  visit(e);
  return bad;
}

/**
 * Go's SelectStatement.GroupByInterval: the `GROUP BY time(<interval>)` interval in ns, 0n
 * when there is none. Throws a plain Error for a malformed time() dimension.
 */
export function groupByInterval(s: SelectStatement): bigint {
  for (const d of s.dimensions) {
    const e = d.expr;
    if (e.type === 'Call' && e.name === 'time') {
      if (e.args.length < 1 || e.args.length > 2) throw new Error('time dimension expected 1 or 2 arguments');
      const lit = e.args[0];
      if (lit.type !== 'DurationLiteral') throw new Error('time dimension must have duration argument');
      return lit.val;
    }
  }
  return 0n;
}

function validateContinuousQuery(s: CreateContinuousQueryStatement): void {
  let interval = groupByInterval(s.source);
  if (s.resampleFor !== 0n) {
    if (s.resampleEvery !== 0n && s.resampleEvery > interval) interval = s.resampleEvery;
    if (interval > s.resampleFor) {
      throw plainError(
        `FOR duration must be >= GROUP BY time duration: must be a minimum of ${formatDuration(interval)}, got ${formatDuration(s.resampleFor)}`,
      );
    }
  }
}

/** Whether Go's time.LoadLocation would find the zone ("" and "UTC" always exist). */
function isKnownTimeZone(name: string): boolean {
  if (name === '' || name === 'UTC' || name === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Turns a stack overflow on absurdly nested input into a parse error. */
function run<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw plainError('query too complex: nesting too deep');
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// Public API.

/** All statements of a query (`;`-separated; empty text gives []). */
export function parseQuery(text: string, options: ParseOptions = {}): Statement[] {
  return run(() => new Parser(text, options).parseQuery());
}

/** Exactly one statement (an optional trailing `;` is allowed). */
export function parseStatement(text: string, options: ParseOptions = {}): Statement {
  return run(() => {
    const p = new Parser(text, options);
    const stmt = p.parseStatement();
    p.expectEnd();
    return stmt;
  });
}

/** One expression, e.g. a WHERE condition; the whole text must be consumed. */
export function parseExpr(text: string, options: ParseOptions = {}): Expr {
  return run(() => {
    const p = new Parser(text, options);
    const expr = p.parseExpr();
    const t = p.scanIgnoreWhitespace();
    if (t.tok !== L.EOF) throw parseError(tokstr(t.tok, t.lit), ['EOF'], posOf(t));
    return expr;
  });
}

export { formatStatement, formatExpr, formatQuery } from './print.js';
