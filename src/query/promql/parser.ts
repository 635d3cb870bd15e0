// PromQL parser: a hand-written recursive-descent / precedence-climbing parser that
// produces the same trees and reports the same errors as Prometheus 3.x's yacc parser
// (promql/parser/generated_parser.y + parse.go), including the type checks of
// `checkAST`. Experimental syntax that Strata does not implement (duration arithmetic
// inside `[...]`/`offset`, `anchored`/`smoothed`, binary `fill()` modifiers and native
// histogram literals) is rejected with a PromQLParseError saying so.

import {
  PromQLParseError,
  type AggregateExpr,
  type AggregateOp,
  type AtModifier,
  type BinaryExpr,
  type BinaryOp,
  type Call,
  type Expr,
  type LabelMatcher,
  type MatchOp,
  type MatrixSelector,
  type PosRange,
  type SubqueryExpr,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { getFunction } from './functionSignatures.js';
import {
  Lexer,
  LexError,
  PosMapper,
  T,
  goQuote,
  isAggregator,
  makeError,
  tokenDesc,
  unquoteString,
  type Token,
} from './lexer.js';

// ---------------------------------------------------------------------------------
// Public API.

/** Parses and type-checks a PromQL expression. Throws PromQLParseError. */
export function parseExpr(query: string): Expr {
  const p = new Parser(query);
  try {
    return p.parse();
  } catch (e) {
    if (e instanceof PromQLParseError) throw e;
    if (e instanceof RangeError) {
      // Stack overflow on absurdly deep nesting.
      throw new PromQLParseError(`1:1: parse error: expression is nested too deeply`, { start: 0, end: 0 });
    }
    throw e;
  }
}

/** The value type of an expression, as Prometheus's Expr.Type(). */
export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'BinaryExpr': {
      // Scalar only if every operand is; walk the left spine iteratively.
      let cur: Expr = e;
      while (cur.type === 'BinaryExpr') {
        if (exprType(cur.rhs) !== 'scalar') return 'vector';
        cur = cur.lhs;
      }
      return exprType(cur) === 'scalar' ? 'scalar' : 'vector';
    }
    case 'Call':
      return getFunction(e.func)?.returnType ?? 'vector';
    case 'ParenExpr':
    case 'UnaryExpr':
      return exprType(e.expr);
  }
}

const MAX_DURATION_NS = 9223372036854775807n;

const UNIT_NS: Record<string, { ns: bigint; order: number }> = {
  y: { ns: 365n * 24n * 3600n * 1000000000n, order: 1 },
  w: { ns: 7n * 24n * 3600n * 1000000000n, order: 2 },
  d: { ns: 24n * 3600n * 1000000000n, order: 3 },
  h: { ns: 3600n * 1000000000n, order: 4 },
  m: { ns: 60n * 1000000000n, order: 5 },
  s: { ns: 1000000000n, order: 6 },
  ms: { ns: 1000000n, order: 7 },
};

/**
 * Prometheus's model.ParseDuration (`1h30m`, `5m`, `100ms`, `1y`, `0`), in ms.
 * Returns an error message instead of throwing.
 */
function parsePromDuration(s: string): number | string {
  if (s === '0') return 0;
  if (s === '') return 'empty duration string';
  const bad = `not a valid duration string: ${goQuote(s)}`;
  let total = 0n;
  let lastOrder = 0;
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    if (j === i) return bad;
    const v = BigInt(s.slice(i, j));
    let k = j;
    while (k < s.length && !(s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x39)) k++;
    if (k === j) return bad;
    const u = s.slice(j, k);
    const unit = UNIT_NS[u];
    if (unit === undefined) return `unknown unit ${goQuote(u)} in duration ${goQuote(s)}`;
    if (unit.order <= lastOrder) return bad;
    lastOrder = unit.order;
    if (v > MAX_DURATION_NS / unit.ns) return 'duration out of range';
    total += v * unit.ns;
    if (total > MAX_DURATION_NS) return 'duration out of range';
    i = k;
  }
  return Number(total / 1000000n);
}

/** Seconds (float) → integer ms, the way Prometheus turns them into a time.Duration and back. */
function secondsToMs(sec: number): number {
  const ms = sec * 1000;
  if (Number.isInteger(ms)) return ms === 0 ? 0 : ms;
  const r = Math.trunc(Math.round(sec * 1e9) / 1e6);
  return r === 0 ? 0 : r;
}

function isGoFloatSyntax(s: string): boolean {
  const l = s.toLowerCase().replace(/^[+-]/, '');
  if (l === 'inf' || l === 'infinity' || l === 'nan') return true;
  return /^(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:e[+-]?\d(?:_?\d)*)?$/.test(l);
}

/**
 * Parses a duration the way Prometheus's HTTP API and test scripts do: a float number
 * of seconds (`15`, `1.5`) or a Prometheus duration (`1h30m`, `5m`, `10s`, `100ms`,
 * `1d`, `1w`, `1y`). Returns milliseconds. Throws PromQLParseError.
 */
export function parseDuration(s: string): number {
  const pos = { start: 0, end: s.length };
  if (isGoFloatSyntax(s)) {
    const d = Number(s.replace(/_/g, '').replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
    if (Number.isNaN(d)) throw new PromQLParseError(`cannot parse ${goQuote(s)} to a valid duration`, pos);
    if (d * 1e9 > 9223372036854775807 || d * 1e9 < -9223372036854775808) {
      throw new PromQLParseError(`cannot parse ${goQuote(s)} to a valid duration. It overflows int64`, pos);
    }
    return secondsToMs(d);
  }
  const r = parsePromDuration(s);
  if (typeof r === 'number') return r;
  throw new PromQLParseError(`cannot parse ${goQuote(s)} to a valid duration`, pos);
}

// ---------------------------------------------------------------------------------
// Helpers.

const BINOPS = new Map<number, { op: BinaryOp; prec: number }>([
  [T.LOR, { op: 'or', prec: 1 }],
  [T.LAND, { op: 'and', prec: 2 }],
  [T.LUNLESS, { op: 'unless', prec: 2 }],
  [T.EQLC, { op: '==', prec: 3 }],
  [T.NEQ, { op: '!=', prec: 3 }],
  [T.LTE, { op: '<=', prec: 3 }],
  [T.LSS, { op: '<', prec: 3 }],
  [T.GTE, { op: '>=', prec: 3 }],
  [T.GTR, { op: '>', prec: 3 }],
  [T.ADD, { op: '+', prec: 4 }],
  [T.SUB, { op: '-', prec: 4 }],
  [T.MUL, { op: '*', prec: 5 }],
  [T.DIV, { op: '/', prec: 5 }],
  [T.MOD, { op: '%', prec: 5 }],
  [T.ATAN2, { op: 'atan2', prec: 5 }],
  [T.POW, { op: '^', prec: 6 }],
]);
const POW_PREC = 6;

const AGG_OPS = new Map<number, AggregateOp>([
  [T.SUM, 'sum'],
  [T.AVG, 'avg'],
  [T.MIN, 'min'],
  [T.MAX, 'max'],
  [T.COUNT, 'count'],
  [T.STDDEV, 'stddev'],
  [T.STDVAR, 'stdvar'],
  [T.TOPK, 'topk'],
  [T.BOTTOMK, 'bottomk'],
  [T.QUANTILE, 'quantile'],
  [T.COUNT_VALUES, 'count_values'],
  [T.GROUP, 'group'],
  [T.LIMITK, 'limitk'],
  [T.LIMIT_RATIO, 'limit_ratio'],
]);

/** Tokens that may serve as a metric name (the grammar's metric_identifier). */
const METRIC_IDENT = new Set<number>([
  T.AVG,
  T.BOTTOMK,
  T.BY,
  T.COUNT,
  T.COUNT_VALUES,
  T.GROUP,
  T.IDENTIFIER,
  T.LAND,
  T.LOR,
  T.LUNLESS,
  T.MAX,
  T.METRIC_IDENTIFIER,
  T.MIN,
  T.OFFSET,
  T.QUANTILE,
  T.STDDEV,
  T.STDVAR,
  T.SUM,
  T.TOPK,
  T.WITHOUT,
  T.START,
  T.END,
  T.LIMITK,
  T.LIMIT_RATIO,
  T.STEP,
  T.RANGE,
  T.ANCHORED,
  T.SMOOTHED,
]);

/** Tokens that may serve as a label name in grouping lists (the grammar's maybe_label). */
const MAYBE_LABEL = new Set<number>([
  ...METRIC_IDENT,
  T.BOOL,
  T.GROUP_LEFT,
  T.GROUP_RIGHT,
  T.IGNORING,
  T.ON,
  T.ATAN2,
]);

const MATCH_OPS = new Map<number, MatchOp>([
  [T.EQL, '='],
  [T.NEQ, '!='],
  [T.EQL_REGEX, '=~'],
  [T.NEQ_REGEX, '!~'],
]);

const DURATION_EXPR_START = new Set<number>([T.LEFT_PAREN, T.STEP, T.RANGE, T.MIN, T.MAX]);
const DURATION_ARITH = new Set<number>([T.ADD, T.SUB, T.MUL, T.DIV, T.MOD, T.POW]);

function documentedType(t: ValueType | 'none'): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=';
}
function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

function isSpaceCode(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Go's fmt %f. */
function formatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return x.toFixed(6);
}

/**
 * Whether a regex (RE2 syntax, fully anchored as Prometheus does) matches the empty
 * string. Translated to a JS RegExp on a best-effort basis; null when it cannot be
 * decided (then the matcher is treated as non-empty).
 */
function regexMatchesEmpty(re: string): boolean | null {
  // Prometheus anchors regexes as ^(?s:...)$, so `.` also matches newlines.
  let src = re.replace(/\(\?P</g, '(?<');
  let flags = 'us';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    if (m[1].includes('i')) flags += 'i';
    if (m[1].includes('m')) flags += 'm';
  }
  try {
    return new RegExp(`^(?:${src})$`, flags).test('');
  } catch {
    return null;
  }
}

function matcherMatchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return regexMatchesEmpty(m.value) === true;
    case '!~':
      return regexMatchesEmpty(m.value) === false;
  }
}

/** Non-empty and valid UTF-8 (no lone surrogates), as model.UTF8Validation. */
function isValidLabelName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c >= 0xe000) continue;
    if (c >= 0xdc00) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d < 0xe000)) return false;
    i++;
  }
  return true;
}

// ---------------------------------------------------------------------------------
// The parser.

class Parser {
  private readonly lx: Lexer;
  private readonly mapper: PosMapper;
  private tok: Token;
  private peeked: Token | null = null;
  /** Context for generic "unexpected ..." errors (the grammar's nearest error rule). */
  private errCtx = '';
  /** Vector selectors exempt from the empty-matcher check (second argument of info()). */
  private readonly bypassEmptyCheck = new Set<VectorSelector>();

  constructor(private readonly input: string) {
    this.lx = new Lexer(input);
    this.mapper = new PosMapper(input);
    this.tok = { t: T.EOF, pos: 0, end: 0, val: '' };
  }

  parse(): Expr {
    this.tok = this.lex();
    if (this.cur() === T.EOF) this.fail('no expression found in input', 0, 0);
    const e = this.parseBinary(0);
    if (this.cur() !== T.EOF) this.unexpected('', '');
    this.check(e);
    if (!this.mapper.identity) this.mapPositions(e);
    return e;
  }

  // --- tokens and errors ---------------------------------------------------------

  private lex(): Token {
    try {
      return this.lx.nextToken();
    } catch (e) {
      if (e instanceof LexError) throw makeError(this.mapper, e.message, e.pos, this.input.length);
      throw e;
    }
  }
  private advance(): Token {
    const t = this.tok;
    if (this.peeked !== null) {
      this.tok = this.peeked;
      this.peeked = null;
    } else {
      this.tok = this.lex();
    }
    return t;
  }
  /** The current token type (a call, so TypeScript does not narrow it across advance()). */
  private cur(): number {
    return this.tok.t;
  }
  private peek(): Token {
    if (this.peeked === null) this.peeked = this.lex();
    return this.peeked;
  }
  private fail(msg: string, start: number, end: number): never {
    throw makeError(this.mapper, msg, start, end);
  }
  private failAt(msg: string, r: PosRange): never {
    throw makeError(this.mapper, msg, r.start, r.end);
  }
  private unexpected(context: string, expected: string): never {
    let msg = `unexpected ${tokenDesc(this.tok)}`;
    if (context !== '') msg += ` in ${context}`;
    if (expected !== '') msg += `, expected ${expected}`;
    this.fail(msg, this.tok.pos, this.tok.end);
  }
  private unsupportedDurationExpr(context: string): never {
    this.fail(
      `duration expressions (arithmetic, parentheses, step(), range(), min()/max()) in ${context} are not supported`,
      this.tok.pos,
      this.tok.end,
    );
  }

  // --- expressions -----------------------------------------------------------------

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const info = BINOPS.get(this.cur());
      if (info === undefined || info.prec < minPrec) return lhs;
      this.advance();
      const { returnBool, matching } = this.parseBinModifiers();
      const rhs = this.parseBinary(info.prec === POW_PREC ? info.prec : info.prec + 1);
      const be: BinaryExpr = {
        type: 'BinaryExpr',
        op: info.op,
        lhs,
        rhs,
        matching,
        returnBool,
        pos: { start: lhs.pos.start, end: rhs.pos.end },
      };
      lhs = be;
    }
  }

  private checkFill(): void {
    const t = this.cur();
    if (t === T.FILL || t === T.FILL_LEFT || t === T.FILL_RIGHT) {
      this.fail(
        `binary operator fill modifiers (fill, fill_left, fill_right) are not supported`,
        this.tok.pos,
        this.tok.end,
      );
    }
  }

  private parseBinModifiers(): { returnBool: boolean; matching: VectorMatching } {
    let returnBool = false;
    const matching: VectorMatching = { card: 'one-to-one', labels: [], on: false, include: [] };
    this.checkFill();
    if (this.cur() === T.BOOL) {
      this.advance();
      returnBool = true;
      this.checkFill();
    }
    if (this.cur() === T.ON || this.cur() === T.IGNORING) {
      matching.on = this.advance().t === T.ON;
      matching.labels = this.parseGroupingLabels().labels;
      this.checkFill();
      if (this.cur() === T.GROUP_LEFT || this.cur() === T.GROUP_RIGHT) {
        matching.card = this.advance().t === T.GROUP_LEFT ? 'many-to-one' : 'one-to-many';
        if (this.cur() === T.LEFT_PAREN) matching.include = this.parseGroupingLabels().labels;
        this.checkFill();
      }
    }
    return { returnBool, matching };
  }

  /** `( label, ... )` of by/without/on/ignoring/group_x; returns the labels and the end of `)`. */
  private parseGroupingLabels(): { labels: string[]; end: number } {
    if (this.cur() !== T.LEFT_PAREN) this.unexpected('grouping opts', '"("');
    this.advance();
    const labels: string[] = [];
    if (this.cur() === T.RIGHT_PAREN) return { labels, end: this.advance().end };
    for (;;) {
      const tok = this.tok;
      if (MAYBE_LABEL.has(tok.t)) {
        if (!isValidLabelName(tok.val)) this.fail(`invalid label name for grouping: ${goQuote(tok.val)}`, tok.pos, tok.end);
        labels.push(tok.val);
      } else if (tok.t === T.STRING) {
        const name = unquoteString(tok.val);
        if (!isValidLabelName(name)) this.fail(`invalid label name for grouping: ${goQuote(name)}`, tok.pos, tok.end);
        labels.push(name);
      } else {
        this.unexpected('grouping opts', 'label');
      }
      this.advance();
      if (this.cur() === T.COMMA) {
        this.advance();
        if (this.cur() === T.RIGHT_PAREN) return { labels, end: this.advance().end };
        continue;
      }
      if (this.cur() === T.RIGHT_PAREN) return { labels, end: this.advance().end };
      this.unexpected('grouping opts', '"," or ")"');
    }
  }

  private parseUnary(): Expr {
    if (this.cur() === T.ADD || this.cur() === T.SUB) {
      const opTok = this.advance();
      // Unary operators bind like `*`: only `^` (and the postfix modifiers) bind tighter.
      const e = this.parseBinary(POW_PREC);
      if (e.type === 'NumberLiteral') {
        if (opTok.t === T.SUB) e.value = -e.value;
        e.pos.start = opTok.pos;
        return e;
      }
      return {
        type: 'UnaryExpr',
        op: opTok.t === T.SUB ? '-' : '+',
        expr: e,
        pos: { start: opTok.pos, end: e.pos.end },
      };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const tok = this.tok;
    switch (tok.t) {
      case T.NUMBER:
        this.advance();
        return { type: 'NumberLiteral', value: this.number(tok), pos: { start: tok.pos, end: tok.end } };
      case T.DURATION:
        this.advance();
        return {
          type: 'NumberLiteral',
          value: this.durationMs(tok) / 1000,
          pos: { start: tok.pos, end: tok.end },
        };
      case T.STRING:
        this.advance();
        return { type: 'StringLiteral', value: unquoteString(tok.val), pos: { start: tok.pos, end: tok.end } };
      case T.LEFT_PAREN: {
        this.advance();
        const e = this.parseBinary(0);
        if (this.cur() !== T.RIGHT_PAREN) this.unexpected(this.errCtx, '');
        const rp = this.advance();
        return { type: 'ParenExpr', expr: e, pos: { start: tok.pos, end: rp.end } };
      }
      case T.LEFT_BRACE:
        return this.parseVectorSelector(null);
      case T.IDENTIFIER:
        if (this.peek().t === T.LEFT_PAREN) return this.parseCall(tok.val);
        return this.parseVectorSelector(tok);
      case T.START:
      case T.END:
      case T.STEP:
      case T.RANGE:
        // Prometheus 3's experimental start(), end(), step() and range() functions.
        if (this.peek().t === T.LEFT_PAREN) return this.parseCall(tok.val.toLowerCase());
        return this.parseVectorSelector(tok);
    }
    if (isAggregator(tok.t)) {
      const n = this.peek().t;
      if (n === T.LEFT_PAREN || n === T.BY || n === T.WITHOUT) return this.parseAggregate();
      return this.parseVectorSelector(tok);
    }
    if (METRIC_IDENT.has(tok.t)) return this.parseVectorSelector(tok);
    this.unexpected(this.errCtx, '');
  }

  private parseVectorSelector(nameTok: Token | null): VectorSelector {
    let start: number;
    let end: number;
    let name = '';
    const matchers: LabelMatcher[] = [];
    if (nameTok !== null) {
      this.advance();
      name = nameTok.val;
      start = nameTok.pos;
      end = nameTok.end;
    } else {
      start = this.tok.pos;
      end = this.tok.end;
    }
    if (this.cur() === T.LEFT_BRACE) {
      end = this.parseMatchers(matchers);
    }
    if (name !== '') matchers.push({ name: '__name__', op: '=', value: name });
    return { type: 'VectorSelector', name, matchers, offset: 0, at: null, pos: { start, end } };
  }

  /** Parses `{...}` into `out`; returns the end of `}`. */
  private parseMatchers(out: LabelMatcher[]): number {
    this.advance(); // {
    if (this.cur() === T.RIGHT_BRACE) return this.advance().end;
    for (;;) {
      out.push(this.parseMatcher());
      if (this.cur() === T.COMMA) {
        this.advance();
        if (this.cur() === T.RIGHT_BRACE) return this.advance().end;
        continue;
      }
      if (this.cur() === T.RIGHT_BRACE) return this.advance().end;
      this.unexpected('label matching', '"," or "}"');
    }
  }

  private parseMatcher(): LabelMatcher {
    const tok = this.tok;
    if (tok.t === T.IDENTIFIER) {
      this.advance();
      const op = MATCH_OPS.get(this.cur());
      if (op === undefined) this.unexpected('label matching', 'label matching operator');
      this.advance();
      if (this.cur() !== T.STRING) this.unexpected('label matching', 'string');
      return { name: tok.val, op, value: unquoteString(this.advance().val) };
    }
    if (tok.t === T.STRING) {
      this.advance();
      const name = unquoteString(tok.val);
      const op = MATCH_OPS.get(this.cur());
      if (op === undefined) return { name: '__name__', op: '=', value: name };
      this.advance();
      if (this.cur() !== T.STRING) this.unexpected('label matching', 'string');
      return { name, op, value: unquoteString(this.advance().val) };
    }
    this.unexpected('label matching', 'identifier or "}"');
  }

  /** Parses `(arg, ...)`; returns the args and the closing paren token. */
  private parseCallBody(): { args: Expr[]; rp: Token } {
    this.advance(); // (
    const args: Expr[] = [];
    if (this.cur() === T.RIGHT_PAREN) return { args, rp: this.advance() };
    for (;;) {
      args.push(this.parseBinary(0));
      if (this.cur() === T.COMMA) {
        const comma = this.advance();
        if (this.cur() === T.RIGHT_PAREN) {
          this.fail('trailing commas not allowed in function call args', comma.pos, comma.end);
        }
        continue;
      }
      if (this.cur() === T.RIGHT_PAREN) return { args, rp: this.advance() };
      this.unexpected(this.errCtx, '');
    }
  }

  private parseCall(func: string): Call {
    const nameTok = this.advance();
    const { args, rp } = this.parseCallBody();
    if (getFunction(func) === undefined) {
      this.fail(`unknown function with name ${goQuote(nameTok.val)}`, nameTok.pos, nameTok.end);
    }
    return { type: 'Call', func, args, pos: { start: nameTok.pos, end: rp.end } };
  }

  private parseAggregate(): AggregateExpr {
    const opTok = this.advance();
    const op = AGG_OPS.get(opTok.t)!;
    let grouping: string[] = [];
    let without = false;
    let hadModifier = false;
    if (this.cur() === T.BY || this.cur() === T.WITHOUT) {
      without = this.advance().t === T.WITHOUT;
      grouping = this.parseGroupingLabels().labels;
      hadModifier = true;
    }
    if (this.cur() !== T.LEFT_PAREN) this.unexpected('aggregation', '');
    const saved = this.errCtx;
    this.errCtx = 'aggregation';
    const { args, rp } = this.parseCallBody();
    this.errCtx = saved;
    let end = rp.end;
    if (!hadModifier && (this.cur() === T.BY || this.cur() === T.WITHOUT)) {
      without = this.advance().t === T.WITHOUT;
      const g = this.parseGroupingLabels();
      grouping = g.labels;
      end = g.end;
    }
    const pos = { start: opTok.pos, end };
    if (args.length === 0) this.failAt('no arguments for aggregate expression provided', pos);
    const withParam =
      op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values' || op === 'limitk' || op === 'limit_ratio';
    const desired = withParam ? 2 : 1;
    if (args.length !== desired) {
      this.failAt(
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
        pos,
      );
    }
    return {
      type: 'AggregateExpr',
      op,
      expr: args[desired - 1],
      param: withParam ? args[0] : null,
      grouping,
      without,
      pos,
    };
  }

  // --- postfix modifiers: [range], [range:step], offset, @ --------------------------

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      switch (this.cur()) {
        case T.LEFT_BRACKET:
          e = this.parseRangeOrSubquery(e);
          break;
        case T.OFFSET:
          e = this.parseOffset(e);
          break;
        case T.AT:
          e = this.parseAt(e);
          break;
        case T.ANCHORED:
        case T.SMOOTHED:
          this.fail(
            `the ${goQuote(this.tok.val.toLowerCase())} range selector modifier is not supported`,
            this.tok.pos,
            this.tok.end,
          );
        default:
          return e;
      }
    }
  }

  /** A `[+-]* (number | duration)` inside brackets; returns ms. Checks positivity. */
  private parsePositiveDuration(context: string): number {
    const start = this.tok.pos;
    let sign = 1;
    while (this.cur() === T.ADD || this.cur() === T.SUB) {
      if (this.advance().t === T.SUB) sign = -sign;
    }
    if (DURATION_EXPR_START.has(this.cur())) this.unsupportedDurationExpr(context);
    if (this.cur() !== T.NUMBER && this.cur() !== T.DURATION) {
      this.unexpected(context, 'number, duration, step(), or range()');
    }
    const lit = this.advance();
    const ms = this.literalMs(lit, sign, start);
    if (DURATION_ARITH.has(this.cur())) this.unsupportedDurationExpr(context);
    if (!(ms > 0)) this.fail('duration must be greater than 0', start, lit.end);
    return ms;
  }

  /** The value of a NUMBER (seconds) or DURATION token as ms, with sign and range checks. */
  private literalMs(lit: Token, sign: number, start: number): number {
    if (lit.t === T.DURATION) return sign * this.durationMs(lit) || 0;
    const sec = sign * this.number(lit);
    if (!(sec <= 9223372036.854775807 && sec >= -9223372036.854775808)) {
      this.fail('duration out of range', start, lit.end);
    }
    return secondsToMs(sec);
  }

  private parseRangeOrSubquery(e: Expr): Expr {
    const lb = this.advance(); // [
    if (
      this.cur() !== T.ADD &&
      this.cur() !== T.SUB &&
      this.cur() !== T.NUMBER &&
      this.cur() !== T.DURATION &&
      !DURATION_EXPR_START.has(this.cur())
    ) {
      this.unexpected('subquery or range selector', 'number, duration, step(), or range()');
    }
    const range = this.parsePositiveDuration('subquery or range selector');
    if (this.cur() === T.RIGHT_BRACKET) {
      const rb = this.advance();
      let errMsg = '';
      if (e.type !== 'VectorSelector') errMsg = 'ranges only allowed for vector selectors';
      else if (e.offset !== 0) errMsg = 'no offset modifiers allowed before range';
      else if (e.at !== null) errMsg = 'no @ modifiers allowed before range';
      if (errMsg !== '') this.fail(errMsg, lb.pos, rb.end);
      const ms: MatrixSelector = {
        type: 'MatrixSelector',
        vector: e as VectorSelector,
        range,
        pos: { start: e.pos.start, end: rb.end },
      };
      return ms;
    }
    if (this.cur() !== T.COLON) this.unexpected('subquery or range', '":" or "]"');
    this.advance();
    let step = 0;
    if (this.cur() !== T.RIGHT_BRACKET) {
      if (
        this.cur() !== T.ADD &&
        this.cur() !== T.SUB &&
        this.cur() !== T.NUMBER &&
        this.cur() !== T.DURATION &&
        !DURATION_EXPR_START.has(this.cur())
      ) {
        this.unexpected('subquery selector', 'number, duration, step(), range(), or "]"');
      }
      step = this.parsePositiveDuration('subquery selector');
      if (this.cur() !== T.RIGHT_BRACKET) this.unexpected('subquery selector', '"]"');
    }
    const rb = this.advance();
    const sq: SubqueryExpr = {
      type: 'SubqueryExpr',
      expr: e,
      range,
      step,
      offset: 0,
      at: null,
      pos: { start: e.pos.start, end: rb.end },
    };
    return sq;
  }

  private parseOffset(e: Expr): Expr {
    this.advance(); // offset
    const start = this.tok.pos;
    let sign = 1;
    while (this.cur() === T.ADD || this.cur() === T.SUB) {
      if (this.advance().t === T.SUB) sign = -sign;
    }
    if (DURATION_EXPR_START.has(this.cur())) this.unsupportedDurationExpr('offset');
    if (this.cur() !== T.NUMBER && this.cur() !== T.DURATION) {
      this.unexpected('offset', 'number, duration, step(), or range()');
    }
    const lit = this.advance();
    const ms = this.literalMs(lit, sign, start);
    const end = lit.end;
    switch (e.type) {
      case 'VectorSelector':
        if (e.offset !== 0) this.failAt('offset may not be set multiple times', e.pos);
        e.offset = ms;
        e.pos.end = end;
        return e;
      case 'MatrixSelector':
        if (e.vector.offset !== 0) this.failAt('offset may not be set multiple times', e.pos);
        e.vector.offset = ms;
        e.pos.end = end;
        return e;
      case 'SubqueryExpr':
        if (e.offset !== 0) this.failAt('offset may not be set multiple times', e.pos);
        e.offset = ms;
        e.pos.end = end;
        return e;
    }
    this.failAt(
      'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      e.pos,
    );
  }

  private parseAt(e: Expr): Expr {
    this.advance(); // @
    let at: AtModifier;
    let end: number;
    if (this.cur() === T.START || this.cur() === T.END) {
      const kw = this.advance();
      if (this.cur() !== T.LEFT_PAREN) this.unexpected('@', 'timestamp');
      this.advance();
      if (this.cur() !== T.RIGHT_PAREN) this.unexpected('@', 'timestamp');
      end = this.advance().end;
      at = { kind: kw.t === T.START ? 'start' : 'end' };
    } else {
      let sign = 1;
      if (this.cur() === T.ADD || this.cur() === T.SUB) {
        if (this.advance().t === T.SUB) sign = -1;
      }
      if (this.cur() !== T.NUMBER && this.cur() !== T.DURATION) this.unexpected('@', 'timestamp');
      const lit = this.advance();
      end = lit.end;
      const ts = sign * (lit.t === T.DURATION ? this.durationMs(lit) / 1000 : this.number(lit));
      if (!Number.isFinite(ts) || ts >= 9223372036854775807 || ts <= -9223372036854775808) {
        this.failAt(`timestamp out of bounds for @ modifier: ${formatF(ts)}`, e.pos);
      }
      const ms = Math.round(ts * 1000);
      at = { kind: 'time', ms: ms === 0 ? 0 : ms };
    }
    let target: { at: AtModifier | null; pos: PosRange };
    switch (e.type) {
      case 'VectorSelector':
      case 'SubqueryExpr':
        target = e;
        break;
      case 'MatrixSelector':
        target = e.vector;
        break;
      default:
        this.failAt(
          '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
          e.pos,
        );
    }
    if (target.at !== null) this.failAt('@ <timestamp> may not be set multiple times', e.pos);
    target.at = at;
    e.pos.end = end;
    return e;
  }

  // --- literals ----------------------------------------------------------------------

  /** Prometheus's parser.number: strconv.ParseInt(val, 0, 64), else ParseFloat. */
  private number(tok: Token): number {
    const val = tok.val;
    const lower = val.toLowerCase();
    if (lower === 'inf') return Infinity;
    if (lower === 'nan') return NaN;
    const s = val.includes('_') ? val.replace(/_/g, '') : val;
    const c1 = s.charCodeAt(1);
    if (s.charCodeAt(0) === 0x30 && (c1 === 0x78 || c1 === 0x58)) {
      const digits = s.slice(2);
      let ok = digits.length > 0;
      for (let i = 0; ok && i < digits.length; i++) {
        const c = digits.charCodeAt(i) | 0x20;
        ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
      }
      const n = ok ? BigInt('0x' + digits) : -1n;
      if (n < 0n || n > 9223372036854775807n) {
        this.fail(`error parsing number: strconv.ParseFloat: parsing ${goQuote(val)}: invalid syntax`, tok.pos, tok.end);
      }
      return Number(n);
    }
    // A leading 0 means octal for ParseInt (falls back to a decimal float otherwise).
    if (s.length > 1 && s.charCodeAt(0) === 0x30) {
      let octal = true;
      for (let i = 1; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x30 || c > 0x37) {
          octal = false;
          break;
        }
      }
      if (octal) {
        const n = BigInt('0o' + s.slice(1));
        if (n <= 9223372036854775807n) return Number(n);
      }
    }
    const v = Number(s);
    if (Number.isNaN(v)) {
      this.fail(`error parsing number: strconv.ParseFloat: parsing ${goQuote(val)}: invalid syntax`, tok.pos, tok.end);
    }
    if (!Number.isFinite(v)) {
      this.fail(`error parsing number: strconv.ParseFloat: parsing ${goQuote(val)}: value out of range`, tok.pos, tok.end);
    }
    return v;
  }

  private durationMs(tok: Token): number {
    const r = parsePromDuration(tok.val);
    if (typeof r === 'string') this.fail(r, tok.pos, tok.end);
    return r;
  }

  // --- type checking (Prometheus's checkAST) ----------------------------------------

  private expectType(e: Expr, want: ValueType, context: string): void {
    const t = this.check(e);
    if (t !== want) this.failAt(`expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`, e.pos);
  }

  private opRange(n: BinaryExpr): PosRange {
    let start = n.lhs.pos.end;
    while (start < this.input.length && isSpaceCode(this.input.charCodeAt(start))) start++;
    let end = n.rhs.pos.start - 1;
    while (end > start && isSpaceCode(this.input.charCodeAt(end))) end--;
    // Prometheus's opRange ends at the operator's last character (not one past it).
    return { start, end };
  }

  /** Checks a left-leaning chain of binary expressions iteratively (long `a + b + c ...`). */
  private checkBinaryChain(top: BinaryExpr): ValueType {
    const spine: BinaryExpr[] = [];
    let cur: Expr = top;
    while (cur.type === 'BinaryExpr') {
      spine.push(cur);
      cur = cur.lhs;
    }
    let t = this.check(cur);
    for (let i = spine.length - 1; i >= 0; i--) {
      const n = spine[i];
      t = this.checkBinaryNode(n, t, this.check(n.rhs));
    }
    return t;
  }

  private checkBinaryNode(e: BinaryExpr, lt: ValueType, rt: ValueType): ValueType {
    const m = e.matching;
    if (e.returnBool && !isComparison(e.op)) {
      this.failAt('bool modifier can only be used on comparison operators', this.opRange(e));
    }
    if (isComparison(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      this.failAt('comparisons between scalars must use BOOL modifier', this.opRange(e));
    }
    if (m !== null) {
      if (isSetOp(e.op) && m.card === 'one-to-one') m.card = 'many-to-many';
      if (m.on) {
        for (const l1 of m.labels) {
          if (m.include.includes(l1)) {
            this.failAt(`label ${goQuote(l1)} must not occur in ON and GROUP clause at once`, this.opRange(e));
          }
        }
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') {
      this.failAt('binary expression must contain only scalar and instant vector types', e.lhs.pos);
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      this.failAt('binary expression must contain only scalar and instant vector types', e.rhs.pos);
    }
    if ((lt !== 'vector' || rt !== 'vector') && m !== null) {
      if (m.labels.length > 0) this.failAt('vector matching only allowed between instant vectors', e.pos);
      e.matching = null;
    } else if (isSetOp(e.op) && m !== null) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one') {
        this.failAt(`no grouping allowed for ${goQuote(e.op)} operation`, e.pos);
      }
      if (m.card !== 'many-to-many') this.failAt('set operations must always be many-to-many', e.pos);
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSetOp(e.op)) {
      this.failAt(`set operator ${goQuote(e.op)} not allowed in binary scalar expression`, e.pos);
    }
    return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
  }

  private check(e: Expr): ValueType {
    let type: ValueType | null = null;
    switch (e.type) {
      case 'AggregateExpr':
        this.expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param !== null) {
          this.expectType(e.param, e.op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
        }
        break;

      case 'BinaryExpr':
        type = this.checkBinaryChain(e);
        break;

      case 'Call': {
        const sig = getFunction(e.func);
        if (sig === undefined) this.failAt(`unknown function with name ${goQuote(e.func)}`, e.pos);
        const nargs = sig.argTypes.length;
        const name = goQuote(e.func);
        if (sig.variadic === 0) {
          if (nargs !== e.args.length) {
            this.failAt(`expected ${nargs} argument(s) in call to ${name}, got ${e.args.length}`, e.pos);
          }
        } else {
          const na = nargs - 1;
          if (na > e.args.length) {
            this.failAt(`expected at least ${na} argument(s) in call to ${name}, got ${e.args.length}`, e.pos);
          } else if (sig.variadic > 0 && na + sig.variadic < e.args.length) {
            this.failAt(
              `expected at most ${na + sig.variadic} argument(s) in call to ${name}, got ${e.args.length}`,
              e.pos,
            );
          }
        }
        if (e.func === 'info' && e.args.length > 1) {
          const a = e.args[1];
          const t = exprType(a);
          if (t !== 'vector') {
            this.failAt(`expected type instant vector in call to function ${name}, got ${documentedType(t)}`, e.pos);
          }
          if (a.type === 'VectorSelector' && a.name !== '') {
            this.failAt('expected label selectors only, got vector selector instead', a.pos);
          } else if (a.type === 'VectorSelector') {
            this.bypassEmptyCheck.add(a);
          } else {
            this.failAt('expected label selectors only', a.pos);
          }
        }
        for (let i = 0; i < e.args.length; i++) {
          let idx = i;
          if (i >= nargs) {
            if (sig.variadic === 0) break;
            idx = nargs - 1;
          }
          const arg = e.args[i];
          const t = this.check(arg);
          if (t !== sig.argTypes[idx]) {
            this.failAt(
              `expected type ${documentedType(sig.argTypes[idx])} in call to function ${name}, got ${documentedType(t)}`,
              arg.pos,
            );
          }
        }
        break;
      }

      case 'ParenExpr':
        type = this.check(e.expr);
        break;

      case 'UnaryExpr': {
        const t = this.check(e.expr);
        type = t;
        if (t !== 'scalar' && t !== 'vector') {
          this.failAt(
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`,
            e.pos,
          );
        }
        break;
      }

      case 'SubqueryExpr': {
        const t = this.check(e.expr);
        if (t !== 'vector') this.failAt(`subquery is only allowed on instant vector, got ${t} instead`, e.pos);
        break;
      }

      case 'MatrixSelector':
        this.check(e.vector);
        break;

      case 'VectorSelector':
        if (e.name !== '') {
          for (let i = 0; i < e.matchers.length - 1; i++) {
            const m = e.matchers[i];
            if (m.name === '__name__') {
              this.failAt(`metric name must not be set twice: ${goQuote(e.name)} or ${goQuote(m.value)}`, e.pos);
            }
          }
          break;
        }
        if (!this.bypassEmptyCheck.has(e) && e.matchers.every(matcherMatchesEmpty)) {
          this.failAt('vector selector must contain at least one non-empty matcher', e.pos);
        }
        break;

      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return type ?? exprType(e);
  }

  /** Converts all positions from UTF-16 offsets to UTF-8 byte offsets. */
  private mapPositions(root: Expr): void {
    const seen = new Set<PosRange>();
    const stack: Expr[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (!seen.has(n.pos)) {
        seen.add(n.pos);
        n.pos.start = this.mapper.toByte(n.pos.start);
        n.pos.end = this.mapper.toByte(n.pos.end);
      }
      switch (n.type) {
        case 'MatrixSelector':
          stack.push(n.vector);
          break;
        case 'SubqueryExpr':
        case 'ParenExpr':
        case 'UnaryExpr':
          stack.push(n.expr);
          break;
        case 'AggregateExpr':
          stack.push(n.expr);
          if (n.param !== null) stack.push(n.param);
          break;
        case 'BinaryExpr':
          stack.push(n.lhs, n.rhs);
          break;
        case 'Call':
          stack.push(...n.args);
          break;
        default:
          break;
      }
    }
  }
}

// For callers that want Prometheus's type names in their own messages.
export { documentedType };
