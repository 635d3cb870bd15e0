// RE2 (Go regexp) patterns as JS RegExps.
//
// PromQL regexes (`=~`, `!~`, label_replace) are Go RE2 patterns, fully anchored as
// `^(?s:pattern)$`. This module parses the RE2 syntax and re-emits an equivalent JS pattern
// for the `u` flag, so Go semantics hold where the two dialects differ:
//
// - inline flags `(?i)`, `(?m)`, `(?s)`, `(?U)`, `(?flags:...)`, `(?-flags)`: `s` turns `.`
//   into `[^]`, `m` rewrites `^`/`$` as line assertions, `U` swaps greediness and `i` either
//   becomes the JS `i` flag (when it covers the whole pattern) or expands letters in its scope
//   into case classes (`[kK\u212A]`);
// - `\A`, `\z`, `\Q...\E`, octal and `\x{...}` escapes, escaped punctuation, `(?P<name>...)`,
//   POSIX classes `[[:alpha:]]`, `\pL` / `\p{Greek}` unicode classes;
// - ASCII-only `\d \s \w` (JS's `\s` is Unicode), `$` only at the very end of the text;
// - literal `{`, `}` and `]` where RE2 reads them literally (the `u` flag rejects them).
//
// Syntax RE2 rejects (backreferences, lookarounds, `a**`, repeat counts over 1000, ...) throws
// an Error with Go's message, e.g. "error parsing regexp: missing closing ): `(a`".

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const MAX_REPEAT = 1000;
const MAX_CP = 0x10ffff;

class Re2SyntaxError extends Error {
  constructor(code: string, expr: string) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'Re2SyntaxError';
  }
}

/** Code point ranges, inclusive. */
type Ranges = Array<[number, number]>;

const DIGIT: Ranges = [[0x30, 0x39]];
const SPACE: Ranges = [
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
];
const WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];

const POSIX: Record<string, Ranges> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

function negateRanges(r: Ranges): Ranges {
  const sorted = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    if (hi + 1 > next) next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

const GENERAL_CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk',
  'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

/** Extra members of simple case-fold orbits that toLowerCase/toUpperCase do not reach. */
const FOLD_EXTRA: Array<number[]> = [
  [0x4b, 0x6b, 0x212a], // K k KELVIN SIGN
  [0x53, 0x73, 0x17f], // S s LONG S
  [0xc5, 0xe5, 0x212b], // Å å ANGSTROM SIGN
  [0x3a9, 0x3c9, 0x2126], // Ω ω OHM SIGN
  [0xdf, 0x1e9e], // ß ẞ
  [0xb5, 0x39c, 0x3bc], // µ Μ μ
  [0x398, 0x3b8, 0x3d1, 0x3f4], // Θ θ ϑ ϴ
  [0x392, 0x3b2, 0x3d0], // Β β ϐ
  [0x395, 0x3b5, 0x3f5], // Ε ε ϵ
  [0x399, 0x3b9, 0x345, 0x1fbe], // Ι ι ͅ ι
  [0x39a, 0x3ba, 0x3f0], // Κ κ ϰ
  [0x3a0, 0x3c0, 0x3d6], // Π π ϖ
  [0x3a1, 0x3c1, 0x3f1], // Ρ ρ ϱ
  [0x3a3, 0x3c2, 0x3c3], // Σ ς σ
  [0x3a6, 0x3c6, 0x3d5], // Φ φ ϕ
];
const FOLD_EXTRA_MAP = new Map<number, number[]>();
for (const orbit of FOLD_EXTRA) for (const cp of orbit) FOLD_EXTRA_MAP.set(cp, orbit);

/** The case-fold orbit of a code point (itself included), ascending. */
function foldOrbit(cp: number): number[] {
  const set = new Set<number>([cp]);
  const addStr = (s: string): void => {
    const cps = Array.from(s);
    if (cps.length === 1) set.add(cps[0].codePointAt(0)!);
  };
  for (let round = 0; round < 2; round++) {
    for (const c of [...set]) {
      const ch = String.fromCodePoint(c);
      addStr(ch.toLowerCase());
      addStr(ch.toUpperCase());
      const extra = FOLD_EXTRA_MAP.get(c);
      if (extra) for (const e of extra) set.add(e);
    }
  }
  return [...set].sort((a, b) => a - b);
}

/** Adds the fold closure of ranges (iterating code points; huge ranges are left as they are). */
function foldRanges(r: Ranges): Ranges {
  const out: Ranges = [...r];
  for (const [lo, hi] of r) {
    if (hi - lo > 0x4000) continue;
    for (let c = lo; c <= hi; c++) {
      for (const f of foldOrbit(c)) if (f < lo || f > hi) out.push([f, f]);
    }
  }
  return out;
}

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/');
const CLASS_SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/-');

function escapeCp(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp);
  if ((inClass ? CLASS_SYNTAX_CHARS : SYNTAX_CHARS).has(ch)) return '\\' + ch;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0x2028 || cp === 0x2029) {
    return '\\u{' + cp.toString(16) + '}';
  }
  return ch;
}

function rangesToClassBody(r: Ranges): string {
  let out = '';
  for (const [lo, hi] of r) {
    out += lo === hi ? escapeCp(lo, true) : escapeCp(lo, true) + '-' + escapeCp(hi, true);
  }
  return out;
}

interface Item {
  /** JS source of the item. */
  src: string;
  /** An assertion (zero-width): needs a group before it can be repeated in JS. */
  assertion: boolean;
  /** Already carries a repetition operator. */
  repeated: boolean;
  /** Where the repetition operator started in the pattern (for error messages). */
  opStart?: number;
}

export interface Re2Translation {
  /** JS pattern source (for the `u` flag, plus `i` when `flags` says so). */
  source: string;
  flags: string;
  /** groupNames[i] is the name of capture group i ('' when unnamed; [0] is the whole match). */
  groupNames: string[];
}

class Translator {
  private pos = 0;
  readonly groupNames: string[] = [''];
  private readonly names = new Set<string>();

  constructor(
    private readonly re: string,
    private readonly globalI: boolean,
  ) {}

  translate(flags: Flags): string {
    const out = this.parseAlternation(flags, 0);
    if (this.pos < this.re.length) {
      // Only an unmatched ')' stops the top level.
      throw new Re2SyntaxError('unexpected )', this.re);
    }
    return out;
  }

  private cpAt(i: number): number {
    return this.re.codePointAt(i)!;
  }

  private cpLen(cp: number): number {
    return cp > 0xffff ? 2 : 1;
  }

  /** Parses alternatives until ')' or the end; flags set by `(?i)` last until then. */
  private parseAlternation(outer: Flags, depth: number): string {
    if (depth > 1000) throw new Re2SyntaxError('expression nests too deeply', this.re);
    const flags: Flags = { ...outer };
    const alts: string[] = [];
    let items: Item[] = [];
    const re = this.re;
    while (this.pos < re.length) {
      const start = this.pos;
      const c = re[this.pos];
      if (c === ')') break;
      if (c === '|') {
        this.pos++;
        alts.push(items.map((it) => it.src).join(''));
        items = [];
        continue;
      }
      if (c === '*' || c === '+' || c === '?' || (c === '{' && this.peekRepeat() !== undefined)) {
        this.applyRepeat(items, flags, start);
        continue;
      }
      if (c === '(') {
        if (re.startsWith('(?', this.pos) && !re.startsWith('(?P<', this.pos) && !re.startsWith('(?<', this.pos)) {
          // Flags: (?flags) or (?flags:re).
          const fl = this.parseFlags(flags);
          if (fl.scoped) {
            const inner = this.parseAlternation(fl.flags, depth + 1);
            this.expectClose(start);
            items.push({ src: '(?:' + inner + ')', assertion: false, repeated: false });
          } else {
            Object.assign(flags, fl.flags);
          }
          continue;
        }
        let name = '';
        if (re.startsWith('(?P<', this.pos) || re.startsWith('(?<', this.pos)) {
          const nameStart = this.pos + (re[this.pos + 2] === 'P' ? 4 : 3);
          const end = re.indexOf('>', nameStart);
          if (end < 0) throw new Re2SyntaxError('invalid named capture', re.slice(start));
          name = re.slice(nameStart, end);
          if (!/^[A-Za-z0-9_]+$/.test(name)) {
            throw new Re2SyntaxError('invalid named capture', re.slice(start, end + 1));
          }
          if (this.names.has(name)) {
            throw new Re2SyntaxError('duplicate capture group name', re.slice(start, end + 1));
          }
          this.names.add(name);
          this.pos = end + 1;
        } else {
          this.pos++;
        }
        this.groupNames.push(name);
        const inner = this.parseAlternation(flags, depth + 1);
        this.expectClose(start);
        const open = name !== '' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `(?<${name}>` : '(';
        items.push({ src: open + inner + ')', assertion: false, repeated: false });
        continue;
      }
      if (c === '[') {
        items.push({ src: this.parseClass(flags), assertion: false, repeated: false });
        continue;
      }
      if (c === '.') {
        this.pos++;
        items.push({ src: flags.s ? '[^]' : '[^\\n]', assertion: false, repeated: false });
        continue;
      }
      if (c === '^') {
        this.pos++;
        items.push({ src: flags.m ? '(?<![^\\n])' : '^', assertion: true, repeated: false });
        continue;
      }
      if (c === '$') {
        this.pos++;
        items.push({ src: flags.m ? '(?![^\\n])' : '$', assertion: true, repeated: false });
        continue;
      }
      if (c === '\\') {
        this.parseEscapeItem(items, flags);
        continue;
      }
      const cp = this.cpAt(this.pos);
      this.pos += this.cpLen(cp);
      items.push({ src: this.literal(cp, flags), assertion: false, repeated: false });
    }
    alts.push(items.map((it) => it.src).join(''));
    return alts.join('|');
  }

  private expectClose(start: number): void {
    if (this.re[this.pos] !== ')') throw new Re2SyntaxError('missing closing )', this.re.slice(start));
    this.pos++;
  }

  /** `{n}`, `{n,}`, `{n,m}` at pos: [min, max (-1 = unbounded), length] or undefined. */
  private peekRepeat(): [number, number, number] | undefined {
    const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.re.slice(this.pos, this.pos + 32));
    if (m === null) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    return [min, max, m[0].length];
  }

  private applyRepeat(items: Item[], flags: Flags, start: number): void {
    const re = this.re;
    let op: string;
    if (re[this.pos] === '{') {
      const [min, max, len] = this.peekRepeat()!;
      this.pos += len;
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) {
        throw new Re2SyntaxError('invalid repeat count', re.slice(start, this.pos));
      }
      op = max === min ? `{${min}}` : max < 0 ? `{${min},}` : `{${min},${max}}`;
    } else {
      op = re[this.pos];
      this.pos++;
    }
    let lazy = false;
    if (re[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    const last = items[items.length - 1];
    if (last === undefined) {
      throw new Re2SyntaxError('missing argument to repetition operator', re.slice(start, this.pos));
    }
    if (last.repeated) {
      throw new Re2SyntaxError('invalid nested repetition operator', re.slice(last.opStart ?? start, this.pos));
    }
    if (flags.U) lazy = !lazy;
    const base = last.assertion ? '(?:' + last.src + ')' : last.src;
    items[items.length - 1] = {
      src: base + op + (lazy ? '?' : ''),
      assertion: false,
      repeated: true,
      opStart: start,
    };
  }

  private parseFlags(current: Flags): { flags: Flags; scoped: boolean } {
    const re = this.re;
    const start = this.pos;
    this.pos += 2; // "(?"
    const flags: Flags = { ...current };
    let negated = false;
    let sawFlag = false;
    while (this.pos < re.length) {
      const c = re[this.pos++];
      switch (c) {
        case 'i':
        case 'm':
        case 's':
        case 'U':
          flags[c] = !negated;
          sawFlag = true;
          continue;
        case '-':
          if (negated) break;
          negated = true;
          sawFlag = false;
          continue;
        case ':':
        case ')':
          if (negated && !sawFlag) break;
          return { flags, scoped: c === ':' };
      }
      break;
    }
    throw new Re2SyntaxError('invalid or unsupported Perl syntax', re.slice(start, this.pos));
  }

  private literal(cp: number, flags: Flags): string {
    if (flags.i && !this.globalI) {
      const orbit = foldOrbit(cp);
      if (orbit.length > 1) return '[' + orbit.map((c) => escapeCp(c, true)).join('') + ']';
    }
    return escapeCp(cp, false);
  }

  /** An escape outside a class. */
  private parseEscapeItem(items: Item[], flags: Flags): void {
    const re = this.re;
    const start = this.pos;
    const c = re[this.pos + 1];
    switch (c) {
      case 'A':
        this.pos += 2;
        items.push({ src: '^', assertion: true, repeated: false });
        return;
      case 'z':
        this.pos += 2;
        items.push({ src: '$', assertion: true, repeated: false });
        return;
      case 'b':
        this.pos += 2;
        items.push({ src: '\\b', assertion: true, repeated: false });
        return;
      case 'B':
        this.pos += 2;
        items.push({ src: '\\B', assertion: true, repeated: false });
        return;
      case 'Q': {
        const end = re.indexOf('\\E', this.pos + 2);
        const lit = end < 0 ? re.slice(this.pos + 2) : re.slice(this.pos + 2, end);
        this.pos = end < 0 ? re.length : end + 2;
        for (const ch of lit) {
          items.push({ src: this.literal(ch.codePointAt(0)!, flags), assertion: false, repeated: false });
        }
        return;
      }
    }
    const cls = this.parseClassEscape(flags);
    if (cls !== undefined) {
      items.push({ src: cls, assertion: false, repeated: false });
      return;
    }
    this.pos = start;
    const cp = this.parseLiteralEscape();
    items.push({ src: this.literal(cp, flags), assertion: false, repeated: false });
  }

  /**
   * `\d \D \s \S \w \W \pX \p{..} \PX \P{..}` at pos: returns a JS class item (or undefined,
   * leaving pos alone, when the escape is not a class).
   */
  private parseClassEscape(flags: Flags): string | undefined {
    const r = this.parseClassEscapeRanges();
    if (r === undefined) return undefined;
    if (typeof r === 'string') return '[' + r + ']';
    const ranges = flags.i && !this.globalI ? foldRanges(r.ranges) : r.ranges;
    return '[' + rangesToClassBody(ranges) + ']';
  }

  /** Ranges for a perl/unicode class escape, or a JS class-body string for \p classes. */
  private parseClassEscapeRanges(): { ranges: Ranges } | string | undefined {
    const re = this.re;
    const start = this.pos;
    const c = re[this.pos + 1];
    switch (c) {
      case 'd':
        this.pos += 2;
        return { ranges: DIGIT };
      case 'D':
        this.pos += 2;
        return { ranges: negateRanges(DIGIT) };
      case 's':
        this.pos += 2;
        return { ranges: SPACE };
      case 'S':
        this.pos += 2;
        return { ranges: negateRanges(SPACE) };
      case 'w':
        this.pos += 2;
        return { ranges: WORD };
      case 'W':
        this.pos += 2;
        return { ranges: negateRanges(WORD) };
      case 'p':
      case 'P': {
        let neg = c === 'P';
        let name: string;
        if (re[this.pos + 2] === '{') {
          const end = re.indexOf('}', this.pos + 3);
          if (end < 0) throw new Re2SyntaxError('invalid character class range', re.slice(start));
          name = re.slice(this.pos + 3, end);
          this.pos = end + 1;
        } else {
          const cp = re.codePointAt(this.pos + 2);
          if (cp === undefined) throw new Re2SyntaxError('invalid character class range', re.slice(start));
          name = String.fromCodePoint(cp);
          this.pos += 2 + name.length;
        }
        if (name.startsWith('^')) {
          neg = !neg;
          name = name.slice(1);
        }
        const expr = re.slice(start, this.pos);
        if (name === 'Any') return neg ? '' : '\\u{0}-\\u{10ffff}';
        let prop: string;
        if (GENERAL_CATEGORIES.has(name)) prop = name;
        else if (/^[A-Z][A-Za-z_]*$/.test(name)) prop = 'Script=' + name;
        else throw new Re2SyntaxError('invalid character class range', expr);
        const js = (neg ? '\\P{' : '\\p{') + prop + '}';
        try {
          new RegExp(js, 'u');
        } catch {
          throw new Re2SyntaxError('invalid character class range', expr);
        }
        return js;
      }
    }
    return undefined;
  }

  /** A single-character escape at pos (which is at the backslash); returns the code point. */
  private parseLiteralEscape(): number {
    const re = this.re;
    const start = this.pos;
    this.pos++;
    if (this.pos >= re.length) throw new Re2SyntaxError('trailing backslash at end of expression', '');
    const cp = this.cpAt(this.pos);
    this.pos += this.cpLen(cp);
    const c = String.fromCodePoint(cp);
    switch (c) {
      case 'a':
        return 0x07;
      case 'f':
        return 0x0c;
      case 't':
        return 0x09;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 'v':
        return 0x0b;
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '0': {
        // A single non-zero digit is a backreference (unsupported); \0 and 2-3 digit octals.
        const isOct = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '7';
        if (c !== '0' && !isOct(re[this.pos])) break;
        let v = cp - 0x30;
        for (let i = 1; i < 3 && isOct(re[this.pos]); i++) {
          v = v * 8 + (re.charCodeAt(this.pos) - 0x30);
          this.pos++;
        }
        return v;
      }
      case 'x': {
        if (re[this.pos] === '{') {
          const end = re.indexOf('}', this.pos + 1);
          const hex = end < 0 ? '' : re.slice(this.pos + 1, end);
          if (end < 0 || !/^[0-9A-Fa-f]+$/.test(hex) || parseInt(hex, 16) > MAX_CP) break;
          this.pos = end + 1;
          return parseInt(hex, 16);
        }
        const hex = re.slice(this.pos, this.pos + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) break;
        this.pos += 2;
        return parseInt(hex, 16);
      }
      default:
        // Escaped punctuation is literal.
        if (cp < 0x80 && !/[A-Za-z0-9]/.test(c)) return cp;
    }
    throw new Re2SyntaxError('invalid escape sequence', re.slice(start, this.pos));
  }

  /** A bracket class at pos. */
  private parseClass(flags: Flags): string {
    const re = this.re;
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (re[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Ranges = [];
    const props: string[] = [];
    let first = true;
    while (true) {
      if (this.pos >= re.length) throw new Re2SyntaxError('missing closing ]', re.slice(start));
      const c = re[this.pos];
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      // POSIX class.
      if (c === '[' && re[this.pos + 1] === ':') {
        const end = re.indexOf(':]', this.pos + 2);
        if (end >= 0) {
          let name = re.slice(this.pos + 2, end);
          const expr = re.slice(this.pos, end + 2);
          let neg = false;
          if (name.startsWith('^')) {
            neg = true;
            name = name.slice(1);
          }
          const r = POSIX[name];
          if (r === undefined) throw new Re2SyntaxError('invalid character class range', expr);
          ranges.push(...(neg ? negateRanges(r) : r));
          this.pos = end + 2;
          continue;
        }
      }
      const itemStart = this.pos;
      if (c === '\\') {
        const cls = this.parseClassEscapeRanges();
        if (cls !== undefined) {
          if (typeof cls === 'string') props.push(cls);
          else ranges.push(...cls.ranges);
          continue;
        }
      }
      const lo = this.classChar();
      let hi = lo;
      if (re[this.pos] === '-' && this.pos + 1 < re.length && re[this.pos + 1] !== ']') {
        this.pos++;
        if (re[this.pos] === '\\') {
          const save = this.pos;
          if (this.parseClassEscapeRanges() !== undefined) {
            throw new Re2SyntaxError('invalid character class range', re.slice(itemStart, this.pos));
          }
          this.pos = save;
        }
        hi = this.classChar();
        if (hi < lo) throw new Re2SyntaxError('invalid character class range', re.slice(itemStart, this.pos));
      }
      ranges.push([lo, hi]);
    }
    const all = flags.i && !this.globalI ? foldRanges(ranges) : ranges;
    const body = rangesToClassBody(all) + props.join('');
    if (body === '') return negated ? '[^]' : '[]';
    return '[' + (negated ? '^' : '') + body + ']';
  }

  private classChar(): number {
    const re = this.re;
    if (re[this.pos] === '\\') return this.parseLiteralEscape();
    const cp = this.cpAt(this.pos);
    this.pos += this.cpLen(cp);
    return cp;
  }
}

/** Whether a leading `(?i...)` flag group covers the whole pattern (no `-i` anywhere). */
function leadingCaseInsensitive(source: string): boolean {
  const m = /^\(\?([imsU]*)\)/.exec(source);
  if (m === null || !m[1].includes('i')) return false;
  return !/\(\?[imsU]*-[imsU]*i/.test(source);
}

/**
 * Translates an RE2 pattern. `anchored` gives Prometheus's `^(?s:source)$`; otherwise the
 * pattern keeps Go's defaults (unanchored, `.` excludes `\n`).
 */
export function translateRe2(source: string, anchored: boolean): Re2Translation {
  const globalI = leadingCaseInsensitive(source);
  const full = anchored ? '^(?s:' + source + ')$' : source;
  const t = new Translator(full, globalI);
  const js = t.translate({ i: false, m: false, s: false, U: false });
  return { source: js, flags: globalI ? 'iu' : 'u', groupNames: t.groupNames };
}

function build(tr: Re2Translation, original: string): RegExp {
  try {
    return new RegExp(tr.source, tr.flags);
  } catch (e) {
    throw new Error(`error parsing regexp: ${(e as Error).message}: \`${original}\``);
  }
}

/** Compiles with Prometheus's anchoring `^(?s:source)$` and returns the capture group names. */
export function compileRe2Info(source: string, anchored = true): { regex: RegExp; groupNames: string[] } {
  const tr = translateRe2(source, anchored);
  return { regex: build(tr, source), groupNames: tr.groupNames };
}

/** An RE2 pattern as a JS RegExp anchored like Prometheus's matchers: `^(?s:source)$`. */
export function compileRe2(source: string): RegExp {
  return build(translateRe2(source, true), source);
}

/** An RE2 pattern with Go's plain semantics: unanchored, `.` not matching `\n` unless `(?s)`. */
export function compileRe2Unanchored(source: string): RegExp {
  return build(translateRe2(source, false), source);
}

/** A bounded cache of anchored compiled patterns (least recently used evicted). */
export class RegexCache {
  private readonly map = new Map<string, { regex: RegExp; groupNames: string[] }>();
  constructor(private readonly max = 1000) {}

  /** The anchored RegExp for `source`; throws as compileRe2 on an invalid pattern. */
  get(source: string): RegExp {
    return this.getInfo(source).regex;
  }

  /** As get(), with the capture group names (for label_replace's `$name`). */
  getInfo(source: string): { regex: RegExp; groupNames: string[] } {
    let hit = this.map.get(source);
    if (hit !== undefined) {
      this.map.delete(source);
      this.map.set(source, hit);
      return hit;
    }
    hit = compileRe2Info(source, true);
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(source, hit);
    return hit;
  }
}
