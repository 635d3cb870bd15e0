// The InfluxQL scanner: a port of influxql's scanner.go and token.go.
//
// It keeps the Go structure on purpose (a rune reader with a three-slot unread buffer, a
// scanner, and a token buffer the parser can unscan into) because InfluxDB's error
// positions depend on it: e.g. an EOF reached through an identifier is reported one
// character past the end of the text, an EOF reached right after a `,` at the end. Positions
// are zero-based (line, char) in code points, with `\r\n` and `\r` read as `\n`. Everything
// works on code points; there is no regex per character.

// ---------------------------------------------------------------------------------------
// Tokens (same order and grouping as token.go).

let nextTok = 0;
const t = (): number => nextTok++;

export const ILLEGAL = t();
export const EOF = t();
export const WS = t();
export const COMMENT = t();

const literalBeg = t();
export const IDENT = t();
export const BOUNDPARAM = t();
export const NUMBER = t();
export const INTEGER = t();
export const DURATIONVAL = t();
export const STRING = t();
export const BADSTRING = t();
export const BADESCAPE = t();
export const TRUE = t();
export const FALSE = t();
export const REGEX = t();
export const BADREGEX = t();
const literalEnd = t();

const operatorBeg = t();
export const ADD = t();
export const SUB = t();
export const MUL = t();
export const DIV = t();
export const MOD = t();
export const BITWISE_AND = t();
export const BITWISE_OR = t();
export const BITWISE_XOR = t();
export const AND = t();
export const OR = t();
export const IN = t();
export const EQ = t();
export const NEQ = t();
export const EQREGEX = t();
export const NEQREGEX = t();
export const LT = t();
export const LTE = t();
export const GT = t();
export const GTE = t();
const operatorEnd = t();

export const LPAREN = t();
export const RPAREN = t();
export const COMMA = t();
export const COLON = t();
export const DOUBLECOLON = t();
export const SEMICOLON = t();
export const DOT = t();

const keywordBeg = t();
export const ALL = t();
export const ALTER = t();
export const ANALYZE = t();
export const ANY = t();
export const AS = t();
export const ASC = t();
export const BEGIN = t();
export const BY = t();
export const CARDINALITY = t();
export const CREATE = t();
export const CONTINUOUS = t();
export const DATABASE = t();
export const DATABASES = t();
export const DEFAULT = t();
export const DELETE = t();
export const DESC = t();
export const DESTINATIONS = t();
export const DIAGNOSTICS = t();
export const DISTINCT = t();
export const DROP = t();
export const DURATION = t();
export const END = t();
export const EVERY = t();
export const EXACT = t();
export const EXPLAIN = t();
export const FIELD = t();
export const FOR = t();
export const FROM = t();
export const FUTURE = t();
export const GRANT = t();
export const GRANTS = t();
export const GROUP = t();
export const GROUPS = t();
export const INF = t();
export const INSERT = t();
export const INTO = t();
export const KEY = t();
export const KEYS = t();
export const KILL = t();
export const LIMIT = t();
export const MEASUREMENT = t();
export const MEASUREMENTS = t();
export const NAME = t();
export const OFFSET = t();
export const ON = t();
export const ORDER = t();
export const PASSWORD = t();
export const PAST = t();
export const POLICY = t();
export const POLICIES = t();
export const PRIVILEGES = t();
export const QUERIES = t();
export const QUERY = t();
export const READ = t();
export const REPLICATION = t();
export const RESAMPLE = t();
export const RETENTION = t();
export const REVOKE = t();
export const SELECT = t();
export const SERIES = t();
export const SET = t();
export const SHOW = t();
export const SHARD = t();
export const SHARDS = t();
export const SLIMIT = t();
export const SOFFSET = t();
export const STATS = t();
export const SUBSCRIPTION = t();
export const SUBSCRIPTIONS = t();
export const TAG = t();
export const TO = t();
export const USER = t();
export const USERS = t();
export const VALUES = t();
export const VERBOSE = t();
export const WHERE = t();
export const WITH = t();
export const WRITE = t();
const keywordEnd = t();

export type Token = number;

const NAMES: string[] = new Array<string>(nextTok).fill('');
const setName = (tok: number, name: string): void => {
  NAMES[tok] = name;
};
setName(ILLEGAL, 'ILLEGAL');
setName(EOF, 'EOF');
setName(WS, 'WS');
setName(IDENT, 'IDENT');
setName(NUMBER, 'NUMBER');
setName(DURATIONVAL, 'DURATIONVAL');
setName(STRING, 'STRING');
setName(BADSTRING, 'BADSTRING');
setName(BADESCAPE, 'BADESCAPE');
setName(TRUE, 'TRUE');
setName(FALSE, 'FALSE');
setName(REGEX, 'REGEX');
const OPS: Array<[number, string]> = [
  [ADD, '+'],
  [SUB, '-'],
  [MUL, '*'],
  [DIV, '/'],
  [MOD, '%'],
  [BITWISE_AND, '&'],
  [BITWISE_OR, '|'],
  [BITWISE_XOR, '^'],
  [AND, 'AND'],
  [OR, 'OR'],
  [IN, 'IN'],
  [EQ, '='],
  [NEQ, '!='],
  [EQREGEX, '=~'],
  [NEQREGEX, '!~'],
  [LT, '<'],
  [LTE, '<='],
  [GT, '>'],
  [GTE, '>='],
  [LPAREN, '('],
  [RPAREN, ')'],
  [COMMA, ','],
  [COLON, ':'],
  [DOUBLECOLON, '::'],
  [SEMICOLON, ';'],
  [DOT, '.'],
];
for (const [tok, name] of OPS) setName(tok, name);

const KEYWORD_NAMES = [
  'ALL', 'ALTER', 'ANALYZE', 'ANY', 'AS', 'ASC', 'BEGIN', 'BY', 'CARDINALITY', 'CREATE',
  'CONTINUOUS', 'DATABASE', 'DATABASES', 'DEFAULT', 'DELETE', 'DESC', 'DESTINATIONS',
  'DIAGNOSTICS', 'DISTINCT', 'DROP', 'DURATION', 'END', 'EVERY', 'EXACT', 'EXPLAIN', 'FIELD',
  'FOR', 'FROM', 'FUTURE', 'GRANT', 'GRANTS', 'GROUP', 'GROUPS', 'INF', 'INSERT', 'INTO',
  'KEY', 'KEYS', 'KILL', 'LIMIT', 'MEASUREMENT', 'MEASUREMENTS', 'NAME', 'OFFSET', 'ON',
  'ORDER', 'PASSWORD', 'PAST', 'POLICY', 'POLICIES', 'PRIVILEGES', 'QUERIES', 'QUERY', 'READ',
  'REPLICATION', 'RESAMPLE', 'RETENTION', 'REVOKE', 'SELECT', 'SERIES', 'SET', 'SHOW', 'SHARD',
  'SHARDS', 'SLIMIT', 'SOFFSET', 'STATS', 'SUBSCRIPTION', 'SUBSCRIPTIONS', 'TAG', 'TO', 'USER',
  'USERS', 'VALUES', 'VERBOSE', 'WHERE', 'WITH', 'WRITE',
]; // prettier-ignore
if (KEYWORD_NAMES.length !== keywordEnd - keywordBeg - 1) throw new Error('influxql: keyword table out of sync');

const KEYWORDS = new Map<string, number>();
for (let i = 0; i < KEYWORD_NAMES.length; i++) {
  const tok = keywordBeg + 1 + i;
  setName(tok, KEYWORD_NAMES[i]);
  KEYWORDS.set(KEYWORD_NAMES[i].toLowerCase(), tok);
}
KEYWORDS.set('and', AND);
KEYWORDS.set('or', OR);
KEYWORDS.set('in', IN);
KEYWORDS.set('true', TRUE);
KEYWORDS.set('false', FALSE);

/** Go's Token.String(). */
export function tokenString(tok: Token): string {
  return NAMES[tok] ?? '';
}

/** Go's tokstr: the literal when there is one, else the token's name. */
export function tokstr(tok: Token, lit: string): string {
  return lit !== '' ? lit : tokenString(tok);
}

/** The keyword token for an identifier (case-insensitive), or IDENT. */
export function lookup(ident: string): Token {
  return KEYWORDS.get(ident.toLowerCase()) ?? IDENT;
}

export function isOperator(tok: Token): boolean {
  return tok > operatorBeg && tok < operatorEnd;
}

export function isLiteralToken(tok: Token): boolean {
  return tok > literalBeg && tok < literalEnd;
}

export function precedence(tok: Token): number {
  switch (tok) {
    case OR:
      return 1;
    case AND:
      return 2;
    case EQ:
    case NEQ:
    case EQREGEX:
    case NEQREGEX:
    case LT:
    case LTE:
    case GT:
    case GTE:
    case IN:
      return 3;
    case ADD:
    case SUB:
    case BITWISE_OR:
    case BITWISE_XOR:
      return 4;
    case MUL:
    case DIV:
    case MOD:
    case BITWISE_AND:
      return 5;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Character classes.

/** Go's eof marker is rune 0 (so a NUL in the text also reads as the end). */
export const EOF_CH = 0;
const CH_NL = 10;
const CH_MICRO = 0xb5; // µ

export function isWhitespace(ch: number): boolean {
  return ch === 32 || ch === 9 || ch === CH_NL;
}

export function isLetter(ch: number): boolean {
  return (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90);
}

export function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}

export function isIdentChar(ch: number): boolean {
  return isLetter(ch) || isDigit(ch) || ch === 95;
}

export function isIdentFirstChar(ch: number): boolean {
  return isLetter(ch) || ch === 95;
}

// ---------------------------------------------------------------------------------------
// The rune reader.

interface RuneSlot {
  ch: number;
  line: number;
  char: number;
}

/** Go's `reader`: reads code points with a three-slot unread buffer and positions. */
export class Reader {
  private readonly cps: number[];
  private idx = 0;
  private readonly buf: RuneSlot[] = [
    { ch: 0, line: 0, char: 0 },
    { ch: 0, line: 0, char: 0 },
    { ch: 0, line: 0, char: 0 },
  ];
  private i = 0;
  private n = 0;
  private line = 0;
  private char = 0;
  private sawEof = false;
  /** Position of the rune last returned by read()/curr(). */
  posLine = 0;
  posChar = 0;

  constructor(text: string) {
    const cps: number[] = [];
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c >= 0xd800 && c <= 0xdbff && k + 1 < text.length) {
        const d = text.charCodeAt(k + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cps.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
          k++;
          continue;
        }
      }
      cps.push(c);
    }
    this.cps = cps;
  }

  read(): number {
    if (this.n > 0) {
      this.n--;
      return this.curr();
    }
    let ch: number;
    if (this.idx >= this.cps.length) {
      ch = EOF_CH;
    } else {
      ch = this.cps[this.idx++];
      if (ch === 13) {
        if (this.idx < this.cps.length && this.cps[this.idx] === CH_NL) this.idx++;
        ch = CH_NL;
      }
    }
    this.i = (this.i + 1) % 3;
    const slot = this.buf[this.i];
    slot.ch = ch;
    slot.line = this.line;
    slot.char = this.char;
    if (ch === CH_NL) {
      this.line++;
      this.char = 0;
    } else if (!this.sawEof) {
      this.char++;
    }
    if (ch === EOF_CH) this.sawEof = true;
    return this.curr();
  }

  unread(): void {
    this.n++;
  }

  /** The last read rune (taking unreads into account), setting posLine/posChar. */
  curr(): number {
    const slot = this.buf[(((this.i - this.n) % 3) + 3) % 3];
    this.posLine = slot.line;
    this.posChar = slot.char;
    return slot.ch;
  }
}

// ---------------------------------------------------------------------------------------
// The scanner.

export interface TokenInfo {
  tok: Token;
  line: number;
  char: number;
  lit: string;
}

function fromCp(ch: number): string {
  return String.fromCodePoint(ch);
}

export class Scanner {
  readonly r: Reader;

  constructor(text: string) {
    this.r = new Reader(text);
  }

  scan(): TokenInfo {
    const r = this.r;
    const ch0 = r.read();
    const line = r.posLine;
    const char = r.posChar;

    if (isWhitespace(ch0)) return this.scanWhitespace();
    if (isLetter(ch0) || ch0 === 95) {
      r.unread();
      return this.scanIdent(true);
    }
    if (isDigit(ch0)) return this.scanNumber();

    switch (ch0) {
      case EOF_CH:
        return { tok: EOF, line, char, lit: '' };
      case 34: // "
        r.unread();
        return this.scanIdent(true);
      case 39: // '
        return this.scanString();
      case 46: {
        // .
        const ch1 = r.read();
        r.unread();
        if (isDigit(ch1)) return this.scanNumber();
        return { tok: DOT, line, char, lit: '' };
      }
      case 36: {
        // $
        const inner = this.scanIdent(false);
        if (inner.tok !== IDENT) return { tok: inner.tok, line, char, lit: '$' + inner.lit };
        return { tok: BOUNDPARAM, line, char, lit: '$' + inner.lit };
      }
      case 43:
        return { tok: ADD, line, char, lit: '' };
      case 45: {
        // -
        const ch1 = r.read();
        if (ch1 === 45) {
          this.skipUntilNewline();
          return { tok: COMMENT, line, char, lit: '' };
        }
        r.unread();
        return { tok: SUB, line, char, lit: '' };
      }
      case 42:
        return { tok: MUL, line, char, lit: '' };
      case 47: {
        // /
        const ch1 = r.read();
        if (ch1 === 42) {
          if (!this.skipUntilEndComment()) return { tok: ILLEGAL, line, char, lit: '' };
          return { tok: COMMENT, line, char, lit: '' };
        }
        r.unread();
        return { tok: DIV, line, char, lit: '' };
      }
      case 37:
        return { tok: MOD, line, char, lit: '' };
      case 38:
        return { tok: BITWISE_AND, line, char, lit: '' };
      case 124:
        return { tok: BITWISE_OR, line, char, lit: '' };
      case 94:
        return { tok: BITWISE_XOR, line, char, lit: '' };
      case 61: // =
        if (r.read() === 126) return { tok: EQREGEX, line, char, lit: '' };
        r.unread();
        return { tok: EQ, line, char, lit: '' };
      case 33: {
        // !
        const ch1 = r.read();
        if (ch1 === 61) return { tok: NEQ, line, char, lit: '' };
        if (ch1 === 126) return { tok: NEQREGEX, line, char, lit: '' };
        r.unread();
        break;
      }
      case 62: // >
        if (r.read() === 61) return { tok: GTE, line, char, lit: '' };
        r.unread();
        return { tok: GT, line, char, lit: '' };
      case 60: {
        // <
        const ch1 = r.read();
        if (ch1 === 61) return { tok: LTE, line, char, lit: '' };
        if (ch1 === 62) return { tok: NEQ, line, char, lit: '' };
        r.unread();
        return { tok: LT, line, char, lit: '' };
      }
      case 40:
        return { tok: LPAREN, line, char, lit: '' };
      case 41:
        return { tok: RPAREN, line, char, lit: '' };
      case 44:
        return { tok: COMMA, line, char, lit: '' };
      case 59:
        return { tok: SEMICOLON, line, char, lit: '' };
      case 58: // :
        if (r.read() === 58) return { tok: DOUBLECOLON, line, char, lit: '' };
        r.unread();
        return { tok: COLON, line, char, lit: '' };
    }
    return { tok: ILLEGAL, line, char, lit: fromCp(ch0) };
  }

  private scanWhitespace(): TokenInfo {
    const r = this.r;
    const first = r.curr();
    const line = r.posLine;
    const char = r.posChar;
    let lit = fromCp(first);
    for (;;) {
      const ch = r.read();
      if (ch === EOF_CH) break;
      if (!isWhitespace(ch)) {
        r.unread();
        break;
      }
      lit += fromCp(ch);
    }
    return { tok: WS, line, char, lit };
  }

  private skipUntilNewline(): void {
    for (;;) {
      const ch = this.r.read();
      if (ch === CH_NL || ch === EOF_CH) return;
    }
  }

  /** Skips to the closing `*\/`; false on EOF first. */
  private skipUntilEndComment(): boolean {
    for (;;) {
      const ch1 = this.r.read();
      if (ch1 === 42) {
        for (;;) {
          const ch2 = this.r.read();
          if (ch2 === 47) return true;
          if (ch2 === 42) continue;
          if (ch2 === EOF_CH) return false;
          break;
        }
      } else if (ch1 === EOF_CH) {
        return false;
      }
    }
  }

  scanIdent(lookupKeyword: boolean): TokenInfo {
    const r = this.r;
    r.read();
    const line = r.posLine;
    const char = r.posChar;
    r.unread();

    let lit = '';
    for (;;) {
      const ch = r.read();
      if (ch === EOF_CH) break;
      if (ch === 34) {
        const s = this.scanString();
        if (s.tok === BADSTRING || s.tok === BADESCAPE) return s;
        return { tok: IDENT, line, char, lit: s.lit };
      }
      if (isIdentChar(ch)) {
        r.unread();
        lit += this.scanBareIdent();
      } else {
        r.unread();
        break;
      }
    }
    if (lookupKeyword) {
      const kw = lookup(lit);
      if (kw !== IDENT) return { tok: kw, line, char, lit: '' };
    }
    return { tok: IDENT, line, char, lit };
  }

  private scanBareIdent(): string {
    const r = this.r;
    let s = '';
    for (;;) {
      const ch = r.read();
      if (ch === EOF_CH) break;
      if (!isIdentChar(ch)) {
        r.unread();
        break;
      }
      s += fromCp(ch);
    }
    return s;
  }

  /** Scans a quoted string or identifier; the opening quote has just been read. */
  scanString(): TokenInfo {
    const r = this.r;
    r.unread();
    r.curr();
    let line = r.posLine;
    let char = r.posChar;

    const ending = r.read();
    let lit = '';
    if (ending === EOF_CH) return { tok: BADSTRING, line, char, lit };
    for (;;) {
      const ch0 = r.read();
      if (ch0 === ending) return { tok: STRING, line, char, lit };
      if (ch0 === EOF_CH || ch0 === CH_NL) return { tok: BADSTRING, line, char, lit };
      if (ch0 === 92) {
        const ch1 = r.read();
        if (ch1 === 110) lit += '\n';
        else if (ch1 === 92) lit += '\\';
        else if (ch1 === 34) lit += '"';
        else if (ch1 === 39) lit += "'";
        else {
          r.curr();
          line = r.posLine;
          char = r.posChar;
          return { tok: BADESCAPE, line, char, lit: '\\' + fromCp(ch1) };
        }
      } else {
        lit += fromCp(ch0);
      }
    }
  }

  /** Go's ScanRegex: the reader is positioned on the opening `/`. */
  scanRegex(): TokenInfo {
    const r = this.r;
    r.curr();
    const line = r.posLine;
    const char = r.posChar;
    const bad: TokenInfo = { tok: BADREGEX, line, char, lit: '' };

    if (r.read() !== 47) return bad;
    let lit = '';
    for (;;) {
      const ch0 = r.read();
      if (ch0 === 47) return { tok: REGEX, line, char, lit };
      if (ch0 === EOF_CH) return bad;
      if (ch0 === CH_NL) return bad;
      if (ch0 === 92) {
        const ch1 = r.read();
        if (ch1 === EOF_CH) return bad;
        if (ch1 === 47) {
          lit += '/';
        } else {
          r.unread();
          lit += '\\';
        }
      } else {
        lit += fromCp(ch0);
      }
    }
  }

  private scanNumber(): TokenInfo {
    const r = this.r;
    const ch = r.curr();
    const line = r.posLine;
    const char = r.posChar;
    if (ch === 46) {
      const ch1 = r.read();
      r.unread();
      if (!isDigit(ch1)) return { tok: ILLEGAL, line, char, lit: '.' };
      r.unread();
    } else {
      r.unread();
    }

    let lit = this.scanDigits();
    let isDecimal = false;
    const ch0 = r.read();
    if (ch0 === 46) {
      isDecimal = true;
      const ch1 = r.read();
      if (isDigit(ch1)) {
        lit += '.' + fromCp(ch1) + this.scanDigits();
      } else {
        r.unread();
      }
    } else {
      r.unread();
    }

    if (!isDecimal) {
      const c = r.read();
      if (isLetter(c) || c === CH_MICRO) {
        lit += fromCp(c);
        for (;;) {
          const c1 = r.read();
          if (!isLetter(c1) && c1 !== CH_MICRO) {
            r.unread();
            break;
          }
          lit += fromCp(c1);
        }
        for (;;) {
          const c2 = r.read();
          if (isLetter(c2) || c2 === CH_MICRO || isDigit(c2)) {
            lit += fromCp(c2);
          } else {
            r.unread();
            break;
          }
        }
        return { tok: DURATIONVAL, line, char, lit };
      }
      r.unread();
      return { tok: INTEGER, line, char, lit };
    }
    return { tok: NUMBER, line, char, lit };
  }

  private scanDigits(): string {
    const r = this.r;
    let s = '';
    for (;;) {
      const ch = r.read();
      if (!isDigit(ch)) {
        r.unread();
        break;
      }
      s += fromCp(ch);
    }
    return s;
  }
}

/** Go's bufScanner: a scanner with a three-token unscan buffer. */
export class BufScanner {
  readonly s: Scanner;
  private i = 0;
  private n = 0;
  private readonly buf: TokenInfo[] = [
    { tok: ILLEGAL, line: 0, char: 0, lit: '' },
    { tok: ILLEGAL, line: 0, char: 0, lit: '' },
    { tok: ILLEGAL, line: 0, char: 0, lit: '' },
  ];

  constructor(text: string) {
    this.s = new Scanner(text);
  }

  scan(): TokenInfo {
    return this.scanWith(false);
  }

  scanRegex(): TokenInfo {
    return this.scanWith(true);
  }

  private scanWith(regex: boolean): TokenInfo {
    if (this.n > 0) {
      this.n--;
      return this.curr();
    }
    this.i = (this.i + 1) % 3;
    this.buf[this.i] = regex ? this.s.scanRegex() : this.s.scan();
    return this.curr();
  }

  unscan(): void {
    this.n++;
  }

  curr(): TokenInfo {
    return this.buf[(((this.i - this.n) % 3) + 3) % 3];
  }
}
