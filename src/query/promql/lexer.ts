// PromQL lexer, modelled on Prometheus's promql/parser/lex.go (Prometheus 3.x).
//
// It scans the query string with charCode comparisons (no regular expressions) and
// hands out one token at a time. Positions are UTF-16 code-unit offsets into the JS
// string; the parser maps them to UTF-8 byte offsets (what Prometheus reports) at the
// end, see `PosMapper`.

import { PromQLParseError, type PosRange } from './ast.js';

/** Token kinds. Plain numbers (no enum) so they work across files with any transpiler. */
export const T = {
  EOF: 0,
  IDENTIFIER: 1,
  METRIC_IDENTIFIER: 2,
  NUMBER: 3,
  DURATION: 4,
  STRING: 5,
  LEFT_PAREN: 6,
  RIGHT_PAREN: 7,
  LEFT_BRACE: 8,
  RIGHT_BRACE: 9,
  LEFT_BRACKET: 10,
  RIGHT_BRACKET: 11,
  COMMA: 12,
  EQL: 13,
  COLON: 14,
  DOUBLE_COLON: 15,

  // Operators (operatorsStart < t < operatorsEnd).
  OPERATORS_START: 20,
  ADD: 21,
  DIV: 22,
  EQLC: 23,
  EQL_REGEX: 24,
  GTE: 25,
  GTR: 26,
  LAND: 27,
  LOR: 28,
  LSS: 29,
  LTE: 30,
  LUNLESS: 31,
  MOD: 32,
  MUL: 33,
  NEQ: 34,
  NEQ_REGEX: 35,
  POW: 36,
  SUB: 37,
  AT: 38,
  ATAN2: 39,
  OPERATORS_END: 40,

  // Aggregators.
  AGGREGATORS_START: 50,
  AVG: 51,
  BOTTOMK: 52,
  COUNT: 53,
  COUNT_VALUES: 54,
  GROUP: 55,
  MAX: 56,
  MIN: 57,
  QUANTILE: 58,
  STDDEV: 59,
  STDVAR: 60,
  SUM: 61,
  TOPK: 62,
  LIMITK: 63,
  LIMIT_RATIO: 64,
  AGGREGATORS_END: 65,

  // Keywords.
  KEYWORDS_START: 70,
  BOOL: 71,
  BY: 72,
  GROUP_LEFT: 73,
  GROUP_RIGHT: 74,
  IGNORING: 75,
  OFFSET: 76,
  SMOOTHED: 77,
  ANCHORED: 78,
  ON: 79,
  WITHOUT: 80,
  FILL: 81,
  FILL_LEFT: 82,
  FILL_RIGHT: 83,
  KEYWORDS_END: 84,

  // Preprocessors.
  START: 90,
  END: 91,
  STEP: 92,
  RANGE: 93,
} as const;

export type TokenType = (typeof T)[keyof typeof T];

export interface Token {
  t: number;
  /** UTF-16 offset of the first character. */
  pos: number;
  /** UTF-16 offset just past the token. */
  end: number;
  /** The raw source text of the token. */
  val: string;
}

/** Keywords (lower-case) → token type; `inf`/`nan` are numbers. */
const KEY: Record<string, number> = {
  and: T.LAND,
  or: T.LOR,
  unless: T.LUNLESS,
  atan2: T.ATAN2,
  sum: T.SUM,
  avg: T.AVG,
  count: T.COUNT,
  min: T.MIN,
  max: T.MAX,
  group: T.GROUP,
  stddev: T.STDDEV,
  stdvar: T.STDVAR,
  topk: T.TOPK,
  bottomk: T.BOTTOMK,
  count_values: T.COUNT_VALUES,
  quantile: T.QUANTILE,
  limitk: T.LIMITK,
  limit_ratio: T.LIMIT_RATIO,
  offset: T.OFFSET,
  smoothed: T.SMOOTHED,
  anchored: T.ANCHORED,
  by: T.BY,
  without: T.WITHOUT,
  on: T.ON,
  ignoring: T.IGNORING,
  group_left: T.GROUP_LEFT,
  group_right: T.GROUP_RIGHT,
  fill: T.FILL,
  fill_left: T.FILL_LEFT,
  fill_right: T.FILL_RIGHT,
  bool: T.BOOL,
  start: T.START,
  end: T.END,
  step: T.STEP,
  range: T.RANGE,
  inf: T.NUMBER,
  nan: T.NUMBER,
};

/** Default spellings of token types, as Prometheus's ItemTypeStr. */
const TYPE_STR = new Map<number, string>([
  [T.LEFT_PAREN, '('],
  [T.RIGHT_PAREN, ')'],
  [T.LEFT_BRACE, '{'],
  [T.RIGHT_BRACE, '}'],
  [T.LEFT_BRACKET, '['],
  [T.RIGHT_BRACKET, ']'],
  [T.COMMA, ','],
  [T.EQL, '='],
  [T.COLON, ':'],
  [T.DOUBLE_COLON, '::'],
  [T.SUB, '-'],
  [T.ADD, '+'],
  [T.MUL, '*'],
  [T.MOD, '%'],
  [T.DIV, '/'],
  [T.EQLC, '=='],
  [T.NEQ, '!='],
  [T.LTE, '<='],
  [T.LSS, '<'],
  [T.GTE, '>='],
  [T.GTR, '>'],
  [T.EQL_REGEX, '=~'],
  [T.NEQ_REGEX, '!~'],
  [T.POW, '^'],
  [T.AT, '@'],
]);
for (const [k, v] of Object.entries(KEY)) if (v !== T.NUMBER) TYPE_STR.set(v, k);

export function isOperator(t: number): boolean {
  return t > T.OPERATORS_START && t < T.OPERATORS_END;
}
export function isAggregator(t: number): boolean {
  return t > T.AGGREGATORS_START && t < T.AGGREGATORS_END;
}
export function isKeyword(t: number): boolean {
  return t > T.KEYWORDS_START && t < T.KEYWORDS_END;
}
/** The lower-case spelling of a keyword/operator token type. */
export function typeString(t: number): string {
  return TYPE_STR.get(t) ?? `<Item ${t}>`;
}

/** Describes a token like Prometheus's Item.desc(), for "unexpected ..." messages. */
export function tokenDesc(tok: Token): string {
  if (TYPE_STR.has(tok.t)) return tokenString(tok);
  switch (tok.t) {
    case T.EOF:
      return 'end of input';
    case T.IDENTIFIER:
      return `identifier ${tokenString(tok)}`;
    case T.METRIC_IDENTIFIER:
      return `metric identifier ${tokenString(tok)}`;
    case T.STRING:
      return `string ${tokenString(tok)}`;
    case T.NUMBER:
      return `number ${tokenString(tok)}`;
    case T.DURATION:
      return `duration ${tokenString(tok)}`;
  }
  return tokenString(tok);
}

function tokenString(tok: Token): string {
  if (tok.t === T.EOF) return 'EOF';
  if (tok.t === T.IDENTIFIER || tok.t === T.METRIC_IDENTIFIER) return goQuote(tok.val);
  if (isKeyword(tok.t)) return `<${tok.val}>`;
  if (isOperator(tok.t)) return `<op:${tok.val}>`;
  if (isAggregator(tok.t)) return `<aggr:${tok.val}>`;
  const cps = Array.from(tok.val);
  if (cps.length > 10) return `${goQuote(cps.slice(0, 10).join(''))}...`;
  return goQuote(tok.val);
}

// ---------------------------------------------------------------------------------
// Go-style quoting helpers (fmt's %q, %#U), used to mirror Prometheus's messages.

function isPrint(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad || cp === 0x2028 || cp === 0x2029 || cp === 0xfffe || cp === 0xffff) return false;
  if (cp >= 0xd800 && cp < 0xe000) return false;
  if (cp >= 0xe000 && cp < 0xf900) return false; // private use
  if (cp > 0x10ffff) return false;
  return true;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function escapeCodePoint(cp: number, quote: number): string {
  if (cp === quote || cp === 0x5c) return '\\' + String.fromCharCode(cp);
  if (isPrint(cp)) return String.fromCodePoint(cp);
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  // Surrogate-escaped raw bytes (see decodeBytes) print as \xNN like Go's invalid bytes.
  if (cp >= 0xdc80 && cp <= 0xdcff) return '\\x' + hex(cp - 0xdc00, 2);
  if (cp >= 0xd800 && cp < 0xe000) return '\\ufffd';
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** Go's strconv.Quote / fmt %q for strings. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      out += s[i];
      continue;
    }
    let cp = c;
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        i++;
      }
    }
    out += escapeCodePoint(cp, 0x22);
  }
  return out + '"';
}

/** Go's fmt %q for a rune (-1 = EOF prints as the replacement character). */
export function goQuoteRune(cp: number): string {
  if (cp < 0) cp = 0xfffd;
  return "'" + escapeCodePoint(cp, 0x27) + "'";
}

/** Go's fmt %#U. */
function goRuneU(cp: number): string {
  if (cp < 0) cp = 0xfffd;
  const u = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  return isPrint(cp) ? `${u} '${String.fromCodePoint(cp)}'` : u;
}

// ---------------------------------------------------------------------------------
// Position mapping (UTF-16 offsets → UTF-8 byte offsets) and error construction.

export class PosMapper {
  private readonly prefix: Uint32Array | null;
  constructor(readonly input: string) {
    let ascii = true;
    for (let i = 0; i < input.length; i++) {
      if (input.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.prefix = null;
      return;
    }
    const p = new Uint32Array(input.length + 1);
    let b = 0;
    for (let i = 0; i < input.length; i++) {
      p[i] = b;
      const c = input.charCodeAt(i);
      if (c < 0x80) b += 1;
      else if (c < 0x800) b += 2;
      else if (c >= 0xd800 && c < 0xdc00 && i + 1 < input.length) {
        const d = input.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          // A surrogate pair is 4 bytes; the low half's offset is inside the char.
          b += 4;
          i++;
          p[i] = b;
          continue;
        }
        b += 3;
      } else b += 3;
    }
    p[input.length] = b;
    this.prefix = p;
  }
  get identity(): boolean {
    return this.prefix === null;
  }
  toByte(i: number): number {
    if (this.prefix === null) return i;
    if (i <= 0) return 0;
    if (i >= this.prefix.length) return this.prefix[this.prefix.length - 1];
    return this.prefix[i];
  }
  range(r: PosRange): PosRange {
    return { start: this.toByte(r.start), end: this.toByte(r.end) };
  }
  /** `line:col` of a UTF-16 offset, as Prometheus's PositionRange.StartPosInput. */
  lineCol(i: number): string {
    if (this.input === '') return 'unknown position';
    if (i < 0 || i > this.input.length) return 'invalid position';
    let line = 1;
    let lastBreak = -1;
    for (let k = 0; k < i; k++) {
      if (this.input.charCodeAt(k) === 10) {
        line++;
        lastBreak = k;
      }
    }
    const col = this.toByte(i) - (lastBreak < 0 ? -1 : this.toByte(lastBreak));
    return `${line}:${col}`;
  }
}

/** Builds a PromQLParseError formatted like Prometheus: `1:5: parse error: <msg>`. */
export function makeError(mapper: PosMapper, msg: string, start: number, end: number): PromQLParseError {
  return new PromQLParseError(`${mapper.lineCol(start)}: parse error: ${msg}`, mapper.range({ start, end }));
}

// ---------------------------------------------------------------------------------
// Character classes.

const EOF_CH = -1;
const RUNE_ERROR = 0xfffd;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isAlpha(c: number): boolean {
  return c === 0x5f || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}
function isAlphaNumeric(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
function digitVal(c: number): number {
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return 16;
}

const ST_STATEMENTS = 0;
const ST_BRACES = 1;
const ST_DURATION = 2;

/** Thrown by the lexer; the parser turns it into a PromQLParseError. */
export class LexError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export class Lexer {
  private pos = 0;
  private start = 0;
  private width = 0;
  private state = ST_STATEMENTS;
  private parenDepth = 0;
  private braceOpen = false;
  private bracketOpen = false;
  private gotColon = false;
  private gotDuration = false;
  private stringOpen = 0;
  private done = false;

  constructor(readonly input: string) {}

  private next(): number {
    const s = this.input;
    if (this.pos >= s.length) {
      this.width = 0;
      return EOF_CH;
    }
    const c = s.charCodeAt(this.pos);
    if (c < 0xd800 || c >= 0xe000) {
      this.width = 1;
      this.pos++;
      return c;
    }
    if (c < 0xdc00 && this.pos + 1 < s.length) {
      const d = s.charCodeAt(this.pos + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        this.width = 2;
        this.pos += 2;
        return (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
      }
    }
    // A lone surrogate: not valid UTF-8.
    this.width = 1;
    this.pos++;
    return RUNE_ERROR;
  }
  private peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }
  private backup(): void {
    this.pos -= this.width;
    this.width = 0;
  }
  private emit(t: number): Token {
    const tok = { t, pos: this.start, end: this.pos, val: this.input.slice(this.start, this.pos) };
    this.start = this.pos;
    return tok;
  }
  private fail(msg: string): never {
    this.done = true;
    throw new LexError(msg, this.start);
  }
  private skipSpaces(): void {
    while (isSpace(this.peek())) this.next();
    this.start = this.pos;
  }
  private acceptDigitRun(): void {
    while (isDigit(this.peek())) this.next();
  }

  /** Returns the next token, skipping comments and white space. */
  nextToken(): Token {
    if (this.done) {
      this.start = this.pos;
      return this.emit(T.EOF);
    }
    for (;;) {
      let tok: Token | null;
      switch (this.state) {
        case ST_BRACES:
          tok = this.lexInsideBraces();
          break;
        case ST_DURATION:
          tok = this.lexDurationExpr();
          break;
        default:
          tok = this.lexStatements();
      }
      if (tok !== null) {
        if (tok.t === T.EOF) this.done = true;
        return tok;
      }
    }
  }

  private lexLineComment(): void {
    this.pos++;
    for (;;) {
      const c = this.next();
      if (c === EOF_CH) break;
      if (c === 0x0a || c === 0x0d) {
        this.backup();
        break;
      }
    }
    this.start = this.pos;
  }

  private lexStatements(): Token | null {
    if (this.braceOpen) {
      this.state = ST_BRACES;
      return null;
    }
    if (this.input.charCodeAt(this.pos) === 0x23 /* # */) {
      this.lexLineComment();
      return null;
    }
    const r = this.next();
    switch (r) {
      case EOF_CH:
        if (this.parenDepth !== 0) this.fail('unclosed left parenthesis');
        if (this.bracketOpen) this.fail('unclosed left bracket');
        return this.emit(T.EOF);
      case 0x2c /* , */:
        return this.emit(T.COMMA);
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        this.skipSpaces();
        return null;
      case 0x2a /* * */:
        return this.emit(T.MUL);
      case 0x2f /* / */:
        return this.emit(T.DIV);
      case 0x25 /* % */:
        return this.emit(T.MOD);
      case 0x2b /* + */:
        return this.emit(T.ADD);
      case 0x2d /* - */:
        return this.emit(T.SUB);
      case 0x5e /* ^ */:
        return this.emit(T.POW);
      case 0x3d /* = */: {
        const t = this.peek();
        if (t === 0x3d) {
          this.next();
          return this.emit(T.EQLC);
        }
        if (t === 0x7e) this.fail(`unexpected character after '=': ${goQuoteRune(t)}`);
        return this.emit(T.EQL);
      }
      case 0x21 /* ! */: {
        const t = this.next();
        if (t !== 0x3d) this.fail(`unexpected character after '!': ${goQuoteRune(t)}`);
        return this.emit(T.NEQ);
      }
      case 0x3c /* < */:
        if (this.peek() === 0x3d) {
          this.next();
          return this.emit(T.LTE);
        }
        return this.emit(T.LSS);
      case 0x3e /* > */:
        if (this.peek() === 0x3d) {
          this.next();
          return this.emit(T.GTE);
        }
        return this.emit(T.GTR);
      case 0x22 /* " */:
      case 0x27 /* ' */:
        this.stringOpen = r;
        return this.lexString();
      case 0x60 /* ` */:
        this.stringOpen = r;
        return this.lexRawString();
      case 0x28 /* ( */:
        this.parenDepth++;
        return this.emit(T.LEFT_PAREN);
      case 0x29 /* ) */: {
        const tok = this.emit(T.RIGHT_PAREN);
        this.parenDepth--;
        if (this.parenDepth < 0) this.fail(`unexpected right parenthesis ${goQuoteRune(r)}`);
        return tok;
      }
      case 0x7b /* { */:
        this.braceOpen = true;
        this.state = ST_BRACES;
        return this.emit(T.LEFT_BRACE);
      case 0x5b /* [ */: {
        if (this.bracketOpen) this.fail(`unexpected left bracket ${goQuoteRune(r)}`);
        this.gotColon = false;
        this.gotDuration = false;
        const tok = this.emit(T.LEFT_BRACKET);
        this.skipSpaces();
        this.bracketOpen = true;
        this.state = ST_DURATION;
        return tok;
      }
      case 0x5d /* ] */:
        if (!this.bracketOpen) this.fail(`unexpected right bracket ${goQuoteRune(r)}`);
        this.bracketOpen = false;
        return this.emit(T.RIGHT_BRACKET);
      case 0x40 /* @ */:
        return this.emit(T.AT);
    }
    if (isDigit(r) || (r === 0x2e && isDigit(this.peek()))) {
      this.backup();
      return this.lexNumberOrDuration();
    }
    if (isAlpha(r) || r === 0x3a /* : */) {
      if (!this.bracketOpen) {
        this.backup();
        return this.lexKeywordOrIdentifier();
      }
      if (r === 0x3a) {
        if (this.gotColon) this.fail(`unexpected colon ${goQuoteRune(r)}`);
        this.gotColon = true;
        if (this.peek() === 0x3a) {
          this.next();
          return this.emit(T.DOUBLE_COLON);
        }
        return this.emit(T.COLON);
      }
      if (r === 0x73 || r === 0x53 || r === 0x6d || r === 0x4d) {
        const kw = this.scanDurationKeyword();
        if (kw !== null) return kw;
      }
      this.fail(`unexpected character: ${goQuoteRune(r)}, expected ${goQuoteRune(0x3a)}`);
    }
    this.fail(`unexpected character: ${goQuoteRune(r)}`);
  }

  private lexInsideBraces(): Token | null {
    if (this.input.charCodeAt(this.pos) === 0x23 /* # */) {
      this.lexLineComment();
      return null;
    }
    const r = this.next();
    switch (r) {
      case EOF_CH:
        this.fail('unexpected end of input inside braces');
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        this.skipSpaces();
        return null;
      case 0x2c:
        return this.emit(T.COMMA);
      case 0x22:
      case 0x27:
        this.stringOpen = r;
        return this.lexString();
      case 0x60:
        this.stringOpen = r;
        return this.lexRawString();
      case 0x3d /* = */:
        if (this.next() === 0x7e) return this.emit(T.EQL_REGEX);
        this.backup();
        return this.emit(T.EQL);
      case 0x21 /* ! */: {
        const nr = this.next();
        if (nr === 0x7e) return this.emit(T.NEQ_REGEX);
        if (nr === 0x3d) return this.emit(T.NEQ);
        this.fail(`unexpected character after '!' inside braces: ${goQuoteRune(nr)}`);
      }
      case 0x7b /* { */:
        if (this.start > 0 && this.input.charCodeAt(this.start - 1) === 0x7b) {
          this.start--;
          this.fail('native histogram literals ({{...}}) are not supported');
        }
        this.fail(`unexpected left brace ${goQuoteRune(r)}`);
      case 0x7d /* } */:
        this.braceOpen = false;
        this.state = ST_STATEMENTS;
        return this.emit(T.RIGHT_BRACE);
    }
    if (isAlpha(r)) {
      while (isAlphaNumeric(this.peek())) this.next();
      return this.emit(T.IDENTIFIER);
    }
    this.fail(`unexpected character inside braces: ${goQuoteRune(r)}`);
  }

  private lexDurationExpr(): Token | null {
    const r = this.next();
    switch (r) {
      case EOF_CH:
        this.fail('unexpected end of input in duration expression');
      case 0x5d /* ] */:
        this.bracketOpen = false;
        this.gotColon = false;
        this.state = ST_STATEMENTS;
        return this.emit(T.RIGHT_BRACKET);
      case 0x3a /* : */: {
        const tok = this.emit(T.COLON);
        if (!this.gotDuration) {
          this.start = tok.pos;
          this.fail('unexpected colon before duration in duration expression');
        }
        if (this.gotColon) {
          this.start = tok.pos;
          this.fail('unexpected repeated colon in duration expression');
        }
        this.gotColon = true;
        return tok;
      }
      case 0x28:
        this.parenDepth++;
        return this.emit(T.LEFT_PAREN);
      case 0x29: {
        const tok = this.emit(T.RIGHT_PAREN);
        this.parenDepth--;
        if (this.parenDepth < 0) this.fail(`unexpected right parenthesis ${goQuoteRune(r)}`);
        return tok;
      }
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        this.skipSpaces();
        return null;
      case 0x2b:
        return this.emit(T.ADD);
      case 0x2d:
        return this.emit(T.SUB);
      case 0x2a:
        return this.emit(T.MUL);
      case 0x2f:
        return this.emit(T.DIV);
      case 0x25:
        return this.emit(T.MOD);
      case 0x5e:
        return this.emit(T.POW);
      case 0x2c:
        return this.emit(T.COMMA);
      case 0x73:
      case 0x53:
      case 0x6d:
      case 0x4d:
      case 0x72:
      case 0x52: {
        const kw = this.scanDurationKeyword();
        if (kw !== null) return kw;
        this.fail(`unexpected character in duration expression: ${goQuoteRune(r)}`);
      }
    }
    if (isDigit(r) || (r === 0x2e && isDigit(this.peek()))) {
      this.backup();
      this.gotDuration = true;
      this.state = ST_STATEMENTS;
      return this.lexNumberOrDuration();
    }
    this.fail(`unexpected character in duration expression: ${goQuoteRune(r)}`);
  }

  private scanDurationKeyword(): Token | null {
    while (isAlpha(this.peek())) this.next();
    const word = this.input.slice(this.start, this.pos).toLowerCase();
    switch (word) {
      case 'step':
        return this.emit(T.STEP);
      case 'range':
        return this.emit(T.RANGE);
      case 'min':
        return this.emit(T.MIN);
      case 'max':
        return this.emit(T.MAX);
    }
    return null;
  }

  private lexEscape(): void {
    let ch = this.next();
    let n: number;
    let base: number;
    let max: number;
    switch (ch) {
      case 0x61:
      case 0x62:
      case 0x66:
      case 0x6e:
      case 0x72:
      case 0x74:
      case 0x76:
      case 0x5c:
        return;
      case 0x30:
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35:
      case 0x36:
      case 0x37:
        n = 3;
        base = 8;
        max = 255;
        break;
      case 0x78 /* x */:
        ch = this.next();
        n = 2;
        base = 16;
        max = 255;
        break;
      case 0x75 /* u */:
        ch = this.next();
        n = 4;
        base = 16;
        max = 0x10ffff;
        break;
      case 0x55 /* U */:
        ch = this.next();
        n = 8;
        base = 16;
        max = 0x10ffff;
        break;
      case EOF_CH:
        this.fail('escape sequence not terminated');
      default:
        if (ch === this.stringOpen) return;
        this.fail(`unknown escape sequence ${goRuneU(ch)}`);
    }
    let x = 0;
    while (n > 0) {
      const d = digitVal(ch);
      if (d >= base) {
        if (ch === EOF_CH) this.fail('escape sequence not terminated');
        this.fail(`illegal character ${goRuneU(ch)} in escape sequence`);
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = this.next();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) this.fail('escape sequence is an invalid Unicode code point');
  }

  private lexString(): Token {
    for (;;) {
      const c = this.next();
      if (c === 0x5c) {
        this.lexEscape();
        continue;
      }
      if (c === RUNE_ERROR) this.fail('invalid UTF-8 rune');
      if (c === EOF_CH || c === 0x0a) this.fail('unterminated quoted string');
      if (c === this.stringOpen) break;
    }
    return this.emit(T.STRING);
  }

  private lexRawString(): Token {
    for (;;) {
      const c = this.next();
      if (c === RUNE_ERROR) this.fail('invalid UTF-8 rune');
      if (c === EOF_CH) this.fail('unterminated raw string');
      if (c === this.stringOpen) break;
    }
    return this.emit(T.STRING);
  }

  private lexNumberOrDuration(): Token {
    if (this.scanNumber()) return this.emit(T.NUMBER);
    if (this.acceptRemainingDuration()) {
      this.backup();
      return this.emit(T.DURATION);
    }
    this.fail(`bad number or duration syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
  }

  private acceptUnit(withY: boolean): boolean {
    const c = this.peek();
    if (c === 0x73 || c === 0x6d || c === 0x68 || c === 0x64 || c === 0x77 || (withY && c === 0x79)) {
      this.next();
      return true;
    }
    return false;
  }

  private acceptRemainingDuration(): boolean {
    if (!this.acceptUnit(true)) return false;
    if (this.peek() === 0x73) this.next(); // ms
    while (isDigit(this.peek())) {
      this.acceptDigitRun();
      if (!this.acceptUnit(false)) return false;
      if (this.peek() === 0x73) this.next();
    }
    return !isAlphaNumeric(this.next());
  }

  /** Scans a number as lex.go's scanNumber; validity of the value is checked by the parser. */
  private scanNumber(): boolean {
    const initial = this.pos;
    let hexMode = false;
    if (this.peek() === 0x30) {
      this.next();
      const c = this.peek();
      if (c === 0x78 || c === 0x58) {
        this.next();
        if (this.peek() === 0x5f) this.next();
        hexMode = true;
      }
    }
    const isDig = hexMode ? isHexDigit : isDigit;
    if (this.peek() === 0x2e) this.next();
    if (isDig(this.peek())) this.next();
    let dot = false;
    let exp = false;
    for (;;) {
      const c = this.peek();
      const isDotC = c === 0x2e;
      const isExpC = c === 0x65 || c === 0x45;
      const isUnd = c === 0x5f;
      if (!(isDig(c) || isDotC || isExpC || isUnd)) break;
      if (isDotC && dot) {
        this.next();
        return false;
      }
      if (isExpC && exp) {
        this.next();
        return false;
      }
      if (isDotC) {
        this.next();
        dot = true;
        const n = this.peek();
        if (n === 0x5f || n === 0x2e) {
          this.next();
          return false;
        }
        if (hexMode) return false;
        continue;
      }
      if (isExpC) {
        this.next();
        exp = true;
        const s = this.peek();
        if (s === 0x2b || s === 0x2d) this.next();
        const n = this.peek();
        if (n === 0x2e || n === 0x5f || n === 0x65 || n === 0x45) {
          this.next();
          return false;
        }
        if (n === EOF_CH) return false;
        continue;
      }
      if (isUnd) {
        this.next();
        const n = this.peek();
        if (n === 0x2e || n === 0x5f || n === 0x65 || n === 0x45) {
          this.next();
          return false;
        }
        if (n === EOF_CH) return false;
        continue;
      }
      while (isDig(this.peek())) this.next();
    }
    if (this.pos === initial) return false;
    return !isAlphaNumeric(this.peek());
  }

  private lexKeywordOrIdentifier(): Token {
    for (;;) {
      const c = this.peek();
      if (isAlphaNumeric(c) || c === 0x3a) this.next();
      else break;
    }
    const word = this.input.slice(this.start, this.pos);
    const kw = KEY[word.toLowerCase()];
    if (kw !== undefined) {
      if ((kw === T.FILL || kw === T.FILL_LEFT || kw === T.FILL_RIGHT) && !this.followedByLeftParen()) {
        return this.emit(T.IDENTIFIER);
      }
      return this.emit(kw);
    }
    return this.emit(word.includes(':') ? T.METRIC_IDENTIFIER : T.IDENTIFIER);
  }

  private followedByLeftParen(): boolean {
    const s = this.input;
    for (let i = this.pos; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (!isSpace(c)) return c === 0x28;
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------
// Literal decoding.

/**
 * Decodes bytes as UTF-8; bytes that are not valid UTF-8 become lone surrogates
 * U+DC80..U+DCFF ("surrogate escape"), so the string stays not well-formed and
 * callers can still detect and print the invalid bytes (`isWellFormed()` is false).
 */
export function decodeBytes(bytes: number[]): string {
  let out = '';
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
      min = 0x10000;
    }
    let ok = need > 0 && i + need < n;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const c = bytes[i + k];
        if (c === undefined || (c & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (c & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))) ok = false;
    if (!ok) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/**
 * Unquotes a string token (as Prometheus's strutil.Unquote). The lexer has already
 * validated the escapes. `\x` and octal escapes produce raw bytes.
 */
export function unquoteString(raw: string): string {
  const quote = raw.charCodeAt(0);
  const body = raw.slice(1, raw.length - 1);
  if (quote === 0x60 || body.indexOf('\\') < 0) return body;
  let out = '';
  let bytes: number[] | null = null;
  const flushBytes = (): void => {
    if (bytes !== null) {
      out += decodeBytes(bytes);
      bytes = null;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c !== 0x5c) {
      flushBytes();
      out += body[i];
      continue;
    }
    const e = body.charCodeAt(++i);
    switch (e) {
      case 0x61:
        flushBytes();
        out += '\x07';
        break;
      case 0x62:
        flushBytes();
        out += '\b';
        break;
      case 0x66:
        flushBytes();
        out += '\f';
        break;
      case 0x6e:
        flushBytes();
        out += '\n';
        break;
      case 0x72:
        flushBytes();
        out += '\r';
        break;
      case 0x74:
        flushBytes();
        out += '\t';
        break;
      case 0x76:
        flushBytes();
        out += '\v';
        break;
      case 0x78 /* x */: {
        const v = parseInt(body.slice(i + 1, i + 3), 16);
        i += 2;
        (bytes ??= []).push(v);
        break;
      }
      case 0x75 /* u */:
      case 0x55 /* U */: {
        const len = e === 0x75 ? 4 : 8;
        const v = parseInt(body.slice(i + 1, i + 1 + len), 16);
        i += len;
        flushBytes();
        out += String.fromCodePoint(v);
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) {
          const v = parseInt(body.slice(i, i + 3), 8);
          i += 2;
          (bytes ??= []).push(v);
          break;
        }
        // \\, \' or \"
        flushBytes();
        out += body[i];
    }
  }
  flushBytes();
  return out;
}
