import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PromQLParseError,
  type AggregateExpr,
  type BinaryExpr,
  type Call,
  type Expr,
  type MatrixSelector,
  type NumberLiteral,
  type StringLiteral,
  type SubqueryExpr,
  type UnaryExpr,
  type VectorSelector,
} from './ast.js';
import { FUNCTIONS } from './functionSignatures.js';
import { goQuote } from './lexer.js';
import { exprType, parseDuration, parseExpr } from './parser.js';

// ---------------------------------------------------------------------------------
// Helpers.

function errorOf(q: string): PromQLParseError {
  try {
    parseExpr(q);
  } catch (e) {
    if (e instanceof PromQLParseError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(q)} to fail`);
}

function num(q: string): number {
  const e = parseExpr(q);
  expect(e.type).toBe('NumberLiteral');
  return (e as NumberLiteral).value;
}

function vs(q: string): VectorSelector {
  const e = parseExpr(q);
  expect(e.type).toBe('VectorSelector');
  return e as VectorSelector;
}

/** A compact s-expression of the tree shape, for precedence tests. */
function shape(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return String(e.value);
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'VectorSelector':
      return e.name || '{}';
    case 'MatrixSelector':
      return `${shape(e.vector)}[${e.range}]`;
    case 'SubqueryExpr':
      return `${shape(e.expr)}[${e.range}:${e.step}]`;
    case 'BinaryExpr':
      return `(${shape(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''} ${shape(e.rhs)})`;
    case 'UnaryExpr':
      return `(${e.op}${shape(e.expr)})`;
    case 'ParenExpr':
      return `[${shape(e.expr)}]`;
    case 'Call':
      return `${e.func}(${e.args.map(shape).join(', ')})`;
    case 'AggregateExpr':
      return `${e.op}(${e.param ? shape(e.param) + ', ' : ''}${shape(e.expr)})`;
  }
}

// A printer, used by the round-trip property tests.
const PREC: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};

function printNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}
function printLabel(l: string): string {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) ? l : goQuote(l);
}
function printLabels(ls: string[]): string {
  return `(${ls.map(printLabel).join(', ')})`;
}
function printMods(offset: number, at: VectorSelector['at']): string {
  let s = '';
  if (offset !== 0) s += ` offset ${offset}ms`;
  if (at) s += at.kind === 'time' ? ` @ ${printNumber(at.ms / 1000)}` : ` @ ${at.kind}()`;
  return s;
}
function printSelector(v: VectorSelector): string {
  const ms = v.name !== '' ? v.matchers.slice(0, -1) : v.matchers;
  const inner = ms.map((m) => `${printLabel(m.name)}${m.op}${goQuote(m.value)}`).join(', ');
  return v.name !== '' && ms.length === 0 ? v.name : `${v.name}{${inner}}`;
}
function needsParensForPostfix(e: Expr): boolean {
  return e.type === 'BinaryExpr' || e.type === 'UnaryExpr' || (e.type === 'NumberLiteral' && e.value < 0);
}
function print(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return printNumber(e.value);
    case 'StringLiteral':
      return goQuote(e.value);
    case 'VectorSelector':
      return printSelector(e) + printMods(e.offset, e.at);
    case 'MatrixSelector':
      return `${printSelector(e.vector)}[${e.range}ms]${printMods(e.vector.offset, e.vector.at)}`;
    case 'SubqueryExpr': {
      const inner = needsParensForPostfix(e.expr) ? `(${print(e.expr)})` : print(e.expr);
      return `${inner}[${e.range}ms:${e.step ? e.step + 'ms' : ''}]${printMods(e.offset, e.at)}`;
    }
    case 'ParenExpr':
      return `(${print(e.expr)})`;
    case 'UnaryExpr': {
      const inner = e.expr.type === 'BinaryExpr' && PREC[e.expr.op] < 6 ? `(${print(e.expr)})` : print(e.expr);
      return `${e.op}${inner}`;
    }
    case 'Call':
      return `${e.func}(${e.args.map(print).join(', ')})`;
    case 'AggregateExpr': {
      const mod = e.without ? ` without ${printLabels(e.grouping)}` : e.grouping.length ? ` by ${printLabels(e.grouping)}` : '';
      return `${e.op}${mod} (${e.param ? print(e.param) + ', ' : ''}${print(e.expr)})`;
    }
    case 'BinaryExpr': {
      const p = PREC[e.op];
      const right = e.op === '^';
      const l = e.lhs;
      const r = e.rhs;
      const wrapL =
        (l.type === 'BinaryExpr' && (PREC[l.op] < p || (PREC[l.op] === p && right))) ||
        ((l.type === 'UnaryExpr' || (l.type === 'NumberLiteral' && l.value < 0)) && p === 6);
      const wrapR = r.type === 'BinaryExpr' && (PREC[r.op] < p || (PREC[r.op] === p && !right));
      let mods = e.returnBool ? ' bool' : '';
      const m = e.matching;
      if (m) {
        const grouping = m.card === 'many-to-one' || m.card === 'one-to-many';
        if (m.on) mods += ` on${printLabels(m.labels)}`;
        else if (m.labels.length || grouping) mods += ` ignoring${printLabels(m.labels)}`;
        if (m.card === 'many-to-one') mods += ` group_left${printLabels(m.include)}`;
        if (m.card === 'one-to-many') mods += ` group_right${printLabels(m.include)}`;
      }
      return `${wrapL ? `(${print(l)})` : print(l)} ${e.op}${mods} ${wrapR ? `(${print(r)})` : print(r)}`;
    }
  }
}

// ---------------------------------------------------------------------------------
// Literals.

describe('number literals', () => {
  it.each([
    ['1', 1],
    ['.5', 0.5],
    ['5.', 5],
    ['+0.2', 0.2],
    ['-0.2', -0.2],
    ['1e-3', 0.001],
    ['1E3', 1000],
    ['1.5e+2', 150],
    ['0x1F', 31],
    ['0X1f', 31],
    ['0x_ff', 255],
    ['010', 8],
    ['09', 9],
    ['1_000', 1000],
    ['Inf', Infinity],
    ['+inf', Infinity],
    ['-INF', -Infinity],
    ['5m', 300],
    ['1h30m', 5400],
    ['100ms', 0.1],
    ['1y', 31536000],
    ['-1w', -604800],
    ['- 1', -1],
    ['--1', 1],
  ])('%s', (q, v) => {
    expect(num(q)).toBe(v);
  });

  it('NaN in any case', () => {
    for (const q of ['NaN', 'nan', 'nAn', '-NaN']) expect(num(q)).toBeNaN();
  });

  it('positions of a signed literal start at the sign', () => {
    expect(parseExpr(' -1').pos).toEqual({ start: 1, end: 3 });
  });

  it('rejects bad numbers', () => {
    expect(errorOf('1.2.3').message).toBe('1:1: parse error: bad number or duration syntax: "1.2."');
    expect(errorOf('1x').message).toBe('1:1: parse error: bad number or duration syntax: "1"');
    expect(errorOf('5mh').message).toBe('1:1: parse error: bad number or duration syntax: "5mh"');
    expect(errorOf('1.5m').message).toBe('1:1: parse error: unknown unit "." in duration "1.5m"');
    expect(errorOf('5hs').message).toBe('1:1: parse error: unknown unit "hs" in duration "5hs"');
    expect(errorOf('1m1h').message).toBe('1:1: parse error: not a valid duration string: "1m1h"');
    expect(errorOf('1000000000y').message).toBe('1:1: parse error: duration out of range');
    expect(errorOf('0deadbeef').message).toBe('1:1: parse error: bad number or duration syntax: "0de"');
    expect(errorOf('.').message).toBe(`1:1: parse error: unexpected character: '.'`);
    expect(errorOf('9'.repeat(400)).message).toMatch(/^1:1: parse error: error parsing number: strconv.ParseFloat: parsing "9+": value out of range$/);
    expect(num('0755')).toBe(493);
    expect(errorOf('0x').message).toBe('1:1: parse error: error parsing number: strconv.ParseFloat: parsing "0x": invalid syntax');
    expect(errorOf('0xFFFFFFFFFFFFFFFFFF').message).toMatch(/invalid syntax$/);
    expect(num('-0755')).toBe(-493);
  });
});

describe('string literals', () => {
  it.each([
    [`"abc"`, 'abc'],
    [`'abc'`, 'abc'],
    ['`a\\nb`', 'a\\nb'],
    ['`multi\nline`', 'multi\nline'],
    [`"a\\nb\\t\\\\"`, 'a\nb\t\\'],
    [`"\\a\\b\\f\\r\\v"`, '\x07\b\f\r\v'],
    [`"\\"q\\""`, '"q"'],
    [`'\\'q\\''`, "'q'"],
    [`'"'`, '"'],
    [`"\\u00e9\\U0001F600"`, 'é😀'],
    [`"\\x41\\101"`, 'AA'],
    [`"\\xc3\\xa9"`, 'é'],
    [`"héllo"`, 'héllo'],
  ])('%s', (q, v) => {
    const e = parseExpr(q) as StringLiteral;
    expect(e.type).toBe('StringLiteral');
    expect(e.value).toBe(v);
  });

  it('keeps invalid UTF-8 bytes as lone surrogates', () => {
    const e = parseExpr(`"a\\xc5z"`) as StringLiteral;
    expect(e.value).toBe('a\udcc5z');
    expect(goQuote(e.value)).toBe('"a\\xc5z"');
  });

  it('rejects bad strings', () => {
    expect(errorOf(`"abc`).message).toBe('1:1: parse error: unterminated quoted string');
    expect(errorOf(`"a\nb"`).message).toBe('1:1: parse error: unterminated quoted string');
    expect(errorOf('`abc').message).toBe('1:1: parse error: unterminated raw string');
    expect(errorOf(`"\\q"`).message).toBe(`1:1: parse error: unknown escape sequence U+0071 'q'`);
    expect(errorOf(`'\\"'`).message).toBe(`1:1: parse error: unknown escape sequence U+0022 '"'`);
    expect(errorOf(`"\\xZZ"`).message).toBe(`1:1: parse error: illegal character U+005A 'Z' in escape sequence`);
    expect(errorOf(`"\\ud800"`).message).toBe('1:1: parse error: escape sequence is an invalid Unicode code point');
    expect(errorOf(`"\\400"`).message).toBe('1:1: parse error: escape sequence is an invalid Unicode code point');
    expect(errorOf(`"\\x."`).message).toBe(`1:1: parse error: illegal character U+002E '.' in escape sequence`);
    expect(errorOf(`"\\`).message).toBe('1:1: parse error: escape sequence not terminated');
    const raw = errorOf('`\\``');
    expect(raw.message).toBe('1:4: parse error: unterminated raw string');
    expect(raw.pos).toEqual({ start: 3, end: 4 });
  });
});

// ---------------------------------------------------------------------------------
// Selectors.

describe('vector selectors', () => {
  it('metric name only', () => {
    expect(vs('foo')).toEqual({
      type: 'VectorSelector',
      name: 'foo',
      matchers: [{ name: '__name__', op: '=', value: 'foo' }],
      offset: 0,
      at: null,
      pos: { start: 0, end: 3 },
    });
  });

  it('all matcher operators, trailing comma, name matcher appended last', () => {
    const v = vs('foo{a="1", b!="2", c=~"3.*", d!~\'4\',}');
    expect(v.name).toBe('foo');
    expect(v.matchers).toEqual([
      { name: 'a', op: '=', value: '1' },
      { name: 'b', op: '!=', value: '2' },
      { name: 'c', op: '=~', value: '3.*' },
      { name: 'd', op: '!~', value: '4' },
      { name: '__name__', op: '=', value: 'foo' },
    ]);
    expect(v.pos).toEqual({ start: 0, end: 37 });
  });

  it('__name__ inside braces leaves name empty', () => {
    const v = vs('{__name__=~"foo|bar", job="x"}');
    expect(v.name).toBe('');
    expect(v.matchers[0]).toEqual({ name: '__name__', op: '=~', value: 'foo|bar' });
  });

  it('quoted UTF-8 metric and label names', () => {
    const v = vs('{"foo.bar", "a.b"="c", "ü"!="d"}');
    expect(v.name).toBe('');
    expect(v.matchers).toEqual([
      { name: '__name__', op: '=', value: 'foo.bar' },
      { name: 'a.b', op: '=', value: 'c' },
      { name: 'ü', op: '!=', value: 'd' },
    ]);
  });

  it('metric names with colons and keyword metric names', () => {
    expect(vs('job:rate:5m').name).toBe('job:rate:5m');
    expect(vs(':foo').name).toBe(':foo');
    for (const kw of ['sum', 'by', 'without', 'offset', 'start', 'end', 'step', 'range', 'and', 'topk', 'limitk', 'anchored']) {
      expect(vs(kw).name).toBe(kw);
      expect(vs(`${kw}{a="b"}`).name).toBe(kw);
    }
    expect(vs('fill').name).toBe('fill');
    expect(shape(parseExpr('fill + fill'))).toBe('(fill + fill)');
  });

  it('keywords are plain label names inside braces', () => {
    expect(vs('foo{on="1", by="2", offset="3"}').matchers.map((m) => m.name)).toEqual(['on', 'by', 'offset', '__name__']);
  });

  it('offset, including negative, and @ in either order', () => {
    let v = vs('foo offset 5m');
    expect(v.offset).toBe(300000);
    expect(v.pos).toEqual({ start: 0, end: 13 });
    expect(vs('foo offset -1h30m').offset).toBe(-5400000);
    expect(vs('foo offset 10').offset).toBe(10000);
    expect(vs('foo offset 1.5').offset).toBe(1500);
    expect(vs('foo OFFSET - 5m').offset).toBe(-300000);
    v = vs('foo @ 100 offset 50s');
    expect(v.at).toEqual({ kind: 'time', ms: 100000 });
    expect(v.offset).toBe(50000);
    v = vs('foo offset 50s @ 1.234');
    expect(v.at).toEqual({ kind: 'time', ms: 1234 });
    expect(v.offset).toBe(50000);
    expect(vs('foo @ -50').at).toEqual({ kind: 'time', ms: -50000 });
    expect(vs('foo @ 1m40s').at).toEqual({ kind: 'time', ms: 100000 });
    expect(vs('foo @ start()').at).toEqual({ kind: 'start' });
    expect(vs('foo @ END() offset 1m').at).toEqual({ kind: 'end' });
  });

  it('selector errors', () => {
    expect(errorOf('{}').message).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(errorOf('{a=""}').message).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(errorOf('{a=~".*"}').message).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(errorOf('{a!~".+"}').message).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(() => parseExpr('{a=~".+"}')).not.toThrow();
    expect(() => parseExpr('{a=~".*", b="x"}')).not.toThrow();
    expect(errorOf('foo{__name__="bar"}').message).toBe('1:1: parse error: metric name must not be set twice: "foo" or "bar"');
    expect(errorOf('foo{').message).toBe('1:5: parse error: unexpected end of input inside braces');
    expect(errorOf('foo{a="b" c="d"}').message).toBe(
      '1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}"',
    );
    expect(errorOf('foo{a b}').message).toBe(
      '1:7: parse error: unexpected identifier "b" in label matching, expected label matching operator',
    );
    expect(errorOf('foo{a=b}').message).toBe('1:7: parse error: unexpected identifier "b" in label matching, expected string');
    expect(errorOf('foo{,}').message).toBe('1:5: parse error: unexpected "," in label matching, expected identifier or "}"');
    expect(errorOf('foo{a="b"=}').message).toBe('1:10: parse error: unexpected "=" in label matching, expected "," or "}"');
    expect(errorOf('foo{a:b="c"}').message).toBe(`1:6: parse error: unexpected character inside braces: ':'`);
    expect(errorOf('foo{a!b="c"}').message).toBe(`1:6: parse error: unexpected character after '!' inside braces: 'b'`);
    expect(errorOf('foo{1="c"}').message).toBe(`1:5: parse error: unexpected character inside braces: '1'`);
  });
});

describe('range selectors and subqueries', () => {
  it('range selector', () => {
    const e = parseExpr('foo{a="b"}[5m]') as MatrixSelector;
    expect(e.type).toBe('MatrixSelector');
    expect(e.range).toBe(300000);
    expect(e.vector.name).toBe('foo');
    expect(e.pos).toEqual({ start: 0, end: 14 });
    expect((parseExpr('foo[ 5 ]') as MatrixSelector).range).toBe(5000);
    expect((parseExpr('foo[1.5]') as MatrixSelector).range).toBe(1500);
    expect((parseExpr('foo[+1m]') as MatrixSelector).range).toBe(60000);
  });

  it('offset and @ after a range apply to the inner selector', () => {
    const e = parseExpr('foo[5m] offset 1m @ 100') as MatrixSelector;
    expect(e.vector.offset).toBe(60000);
    expect(e.vector.at).toEqual({ kind: 'time', ms: 100000 });
    expect(e.pos).toEqual({ start: 0, end: 23 });
  });

  it('subqueries', () => {
    let e = parseExpr('rate(foo[1m])[5m:30s]') as SubqueryExpr;
    expect(e.type).toBe('SubqueryExpr');
    expect(e.range).toBe(300000);
    expect(e.step).toBe(30000);
    expect(e.expr.type).toBe('Call');
    e = parseExpr('foo[5m:] offset 1m @ end()') as SubqueryExpr;
    expect(e.step).toBe(0);
    expect(e.offset).toBe(60000);
    expect(e.at).toEqual({ kind: 'end' });
    e = parseExpr('(a + b)[1h:1m]') as SubqueryExpr;
    expect(e.expr.type).toBe('ParenExpr');
    e = parseExpr('sum(x) by (a) [10m:]') as SubqueryExpr;
    expect(e.expr.type).toBe('AggregateExpr');
    const nested = parseExpr('max_over_time(rate(foo[1m])[5m:1m])[10m:2m]') as SubqueryExpr;
    expect(shape(nested)).toBe('max_over_time(rate(foo[60000])[300000:60000])[600000:120000]');
  });

  it('range and subquery errors', () => {
    expect(errorOf('foo[0s]').message).toBe('1:5: parse error: duration must be greater than 0');
    expect(errorOf('foo[-5m]').message).toBe('1:5: parse error: duration must be greater than 0');
    expect(errorOf('foo[5m:0]').message).toBe('1:8: parse error: duration must be greater than 0');
    expect(errorOf('foo[5m').message).toBe('1:7: parse error: unclosed left bracket');
    expect(errorOf('foo[]').message).toBe(
      '1:5: parse error: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()',
    );
    expect(errorOf('(foo)[5m]').message).toBe('1:6: parse error: ranges only allowed for vector selectors');
    expect(errorOf('foo offset 1m [5m]').message).toBe('1:15: parse error: no offset modifiers allowed before range');
    expect(errorOf('foo @ 1 [5m]').message).toBe('1:9: parse error: no @ modifiers allowed before range');
    expect(errorOf('foo[5m][1m:]').message).toBe('1:1: parse error: subquery is only allowed on instant vector, got matrix instead');
    expect(errorOf('1[5m:]').message).toBe('1:1: parse error: subquery is only allowed on instant vector, got scalar instead');
    expect(errorOf('foo[5m:1m:]').message).toBe(`1:10: parse error: unexpected colon ':'`);
    expect(errorOf('foo[5m x]').message).toBe(`1:8: parse error: unexpected character: 'x', expected ':'`);
    expect(errorOf('foo[x]').message).toBe(`1:5: parse error: unexpected character in duration expression: 'x'`);
    expect(errorOf('foo[5m] offset 1m offset 2m').message).toBe('1:1: parse error: offset may not be set multiple times');
    expect(errorOf('foo @ 1 @ 2').message).toBe('1:1: parse error: @ <timestamp> may not be set multiple times');
    expect(errorOf('foo @ start() @ end()').message).toBe('1:1: parse error: @ <timestamp> may not be set multiple times');
    expect(errorOf('foo @ Inf').message).toBe('1:1: parse error: timestamp out of bounds for @ modifier: +Inf');
    expect(errorOf('foo @ NaN').message).toBe('1:1: parse error: timestamp out of bounds for @ modifier: NaN');
    expect(errorOf('foo @ bar').message).toBe('1:7: parse error: unexpected identifier "bar" in @, expected timestamp');
    expect(errorOf('foo offset bar').message).toBe(
      '1:12: parse error: unexpected identifier "bar" in offset, expected number, duration, step(), or range()',
    );
    expect(errorOf('1 offset 5m').message).toBe(
      '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    );
    expect(errorOf('(foo) @ 5').message).toBe(
      '1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    );
    expect(errorOf('foo offset 1e10').message).toBe('1:12: parse error: duration out of range');
    expect(errorOf('some_metric @ start() [5m]').message).toBe('1:23: parse error: no @ modifiers allowed before range');
    let e = errorOf('foo[5m1]');
    expect(e.message).toBe('1:5: parse error: bad number or duration syntax: "5m1"');
    expect(e.pos).toEqual({ start: 4, end: 8 });
    e = errorOf('foo[5m:1m1]');
    expect(e.message).toBe('1:8: parse error: bad number or duration syntax: "1m1"');
    expect(e.pos).toEqual({ start: 7, end: 11 });
    expect(errorOf('foo["5m"]').message).toBe(`1:5: parse error: unexpected character in duration expression: '"'`);
    expect(errorOf('foo{bar="baz"}[').message).toBe('1:16: parse error: unexpected end of input in duration expression');
    expect(errorOf('some_metric[5m] OFFSET').message).toBe(
      '1:23: parse error: unexpected end of input in offset, expected number, duration, step(), or range()',
    );
    expect(errorOf('some_metric[5m] @').message).toBe('1:18: parse error: unexpected end of input in @, expected timestamp');
  });
});

// ---------------------------------------------------------------------------------
// Operators.

describe('operator precedence and associativity', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['-2 ^ 2', '(-(2 ^ 2))'],
    ['-a * b', '((-a) * b)'],
    ['a * -b', '(a * (-b))'],
    ['2 ^ -1', '(2 ^ -1)'],
    ['a ^ -b ^ c', '(a ^ (-(b ^ c)))'],
    ['a + b % c', '(a + (b % c))'],
    ['a atan2 b * c', '((a atan2 b) * c)'],
    ['a or b and c', '(a or (b and c))'],
    ['a and b or c', '((a and b) or c)'],
    ['a unless b and c', '((a unless b) and c)'],
    ['a == b + c', '(a == (b + c))'],
    ['a > bool b or c', '((a > bool b) or c)'],
    ['a + b offset 5m', '(a + b)'],
    ['-foo offset 5m', '(-foo)'],
    ['(1 + 2) * 3', '([(1 + 2)] * 3)'],
    ['foo offset 100 + 2', '(foo + 2)'],
    ['foo offset -2 ^ 2', '(foo ^ 2)'],
    ['1 AND ON() 2 OR 3', ''],
  ])('%s', (q, s) => {
    if (s === '') return; // scalar set ops are checked below
    expect(shape(parseExpr(q))).toBe(s);
  });

  it('binds offset to the nearest selector', () => {
    const e = parseExpr('a + b offset 5m') as BinaryExpr;
    expect((e.lhs as VectorSelector).offset).toBe(0);
    expect((e.rhs as VectorSelector).offset).toBe(300000);
    expect(((parseExpr('-foo offset 5m') as UnaryExpr).expr as VectorSelector).offset).toBe(300000);
  });

  it('keywords are case-insensitive', () => {
    expect(shape(parseExpr('a AND b Or c UNLESS d'))).toBe('((a and b) or (c unless d))');
    expect((parseExpr('a ATAN2 b') as BinaryExpr).op).toBe('atan2');
  });
});

describe('binary modifiers and vector matching', () => {
  it('vector-vector arithmetic defaults to one-to-one', () => {
    const e = parseExpr('a + b') as BinaryExpr;
    expect(e.matching).toEqual({ card: 'one-to-one', labels: [], on: false, include: [] });
    expect(e.returnBool).toBe(false);
    expect(e.pos).toEqual({ start: 0, end: 5 });
  });

  it('no matching when a side is a scalar', () => {
    expect((parseExpr('a + 1') as BinaryExpr).matching).toBeNull();
    expect((parseExpr('1 + 2') as BinaryExpr).matching).toBeNull();
    expect((parseExpr('time() * a') as BinaryExpr).matching).toBeNull();
  });

  it('set operators are many-to-many', () => {
    for (const op of ['and', 'or', 'unless']) {
      const e = parseExpr(`a ${op} on(x) b`) as BinaryExpr;
      expect(e.matching).toEqual({ card: 'many-to-many', labels: ['x'], on: true, include: [] });
    }
  });

  it('on, ignoring, group_left, group_right', () => {
    let e = parseExpr('a * on(x, y,) group_left(z) b') as BinaryExpr;
    expect(e.matching).toEqual({ card: 'many-to-one', labels: ['x', 'y'], on: true, include: ['z'] });
    e = parseExpr('a / ignoring(x) group_right b') as BinaryExpr;
    expect(e.matching).toEqual({ card: 'one-to-many', labels: ['x'], on: false, include: [] });
    e = parseExpr('a - on() b') as BinaryExpr;
    expect(e.matching).toEqual({ card: 'one-to-one', labels: [], on: true, include: [] });
    e = parseExpr('a == bool ON (job) GROUP_LEFT () b') as BinaryExpr;
    expect(e.returnBool).toBe(true);
    expect(e.matching).toEqual({ card: 'many-to-one', labels: ['job'], on: true, include: [] });
    e = parseExpr('a + on("foo.bar", sum) b') as BinaryExpr;
    expect(e.matching?.labels).toEqual(['foo.bar', 'sum']);
  });

  it('bool on scalars', () => {
    const e = parseExpr('1 < bool 2') as BinaryExpr;
    expect(e.returnBool).toBe(true);
    expect(exprType(e)).toBe('scalar');
  });

  it('binary expression errors', () => {
    expect(errorOf('1 < 2').message).toBe('1:3: parse error: comparisons between scalars must use BOOL modifier');
    expect(errorOf('1 == 1').pos).toEqual({ start: 2, end: 3 });
    expect(errorOf('a - on(b) ignoring(c) d').message).toBe('1:11: parse error: unexpected <ignoring>');
    expect(errorOf('*1').message).toBe('1:1: parse error: unexpected <op:*>');
    expect(errorOf('@@').message).toBe('1:1: parse error: unexpected <op:@>');
    expect(errorOf('1 + bool 2').message).toBe('1:3: parse error: bool modifier can only be used on comparison operators');
    expect(errorOf('1 and 2').message).toBe('1:1: parse error: set operator "and" not allowed in binary scalar expression');
    expect(errorOf('a or 1').message).toBe('1:1: parse error: set operator "or" not allowed in binary scalar expression');
    expect(errorOf('a and on(x) group_left b').message).toBe('1:1: parse error: no grouping allowed for "and" operation');
    expect(errorOf('1 + on(x) a').message).toBe('1:1: parse error: vector matching only allowed between instant vectors');
    expect(errorOf('a + on(x) group_left(x) b').message).toBe(
      '1:3: parse error: label "x" must not occur in ON and GROUP clause at once',
    );
    expect(errorOf('foo[5m] + 1').message).toBe(
      '1:1: parse error: binary expression must contain only scalar and instant vector types',
    );
    expect(errorOf('1 + "a"').message).toBe(
      '1:5: parse error: binary expression must contain only scalar and instant vector types',
    );
    expect(errorOf('a + on b').message).toBe('1:8: parse error: unexpected identifier "b" in grouping opts, expected "("');
    expect(errorOf('a + on(x y) b').message).toBe(
      '1:10: parse error: unexpected identifier "y" in grouping opts, expected "," or ")"',
    );
    expect(errorOf('a + on(1) b').message).toBe('1:8: parse error: unexpected number "1" in grouping opts, expected label');
    expect(errorOf('a + group_left b').message).toBe('1:5: parse error: unexpected <group_left>');
    expect(errorOf('a +').message).toBe('1:4: parse error: unexpected end of input');
    expect(errorOf('-"a"').message).toBe(
      '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"',
    );
    expect(errorOf('-foo[5m]').message).toBe(
      '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
    );
  });
});

// ---------------------------------------------------------------------------------
// Aggregations and calls.

describe('aggregations', () => {
  it('by/without before or after the arguments', () => {
    const forms = ['sum by (job, instance) (x)', 'sum(x) by (job, instance,)', 'SUM BY(job,instance)(x)'];
    for (const q of forms) {
      const e = parseExpr(q) as AggregateExpr;
      expect(e.type).toBe('AggregateExpr');
      expect(e.op).toBe('sum');
      expect(e.grouping).toEqual(['job', 'instance']);
      expect(e.without).toBe(false);
      expect(e.param).toBeNull();
    }
    const w = parseExpr('avg without (a) (x)') as AggregateExpr;
    expect(w.without).toBe(true);
    expect(w.grouping).toEqual(['a']);
    const w2 = parseExpr('count(x) without ()') as AggregateExpr;
    expect(w2.without).toBe(true);
    expect(w2.grouping).toEqual([]);
    expect(w2.pos).toEqual({ start: 0, end: 19 });
    expect((parseExpr('sum by ("foo.bar", on, by) (x)') as AggregateExpr).grouping).toEqual(['foo.bar', 'on', 'by']);
  });

  it('all aggregation operators', () => {
    for (const op of ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group']) {
      expect((parseExpr(`${op}(x)`) as AggregateExpr).op).toBe(op);
    }
    for (const op of ['topk', 'bottomk', 'limitk']) {
      const e = parseExpr(`${op}(3, x)`) as AggregateExpr;
      expect(e.op).toBe(op);
      expect((e.param as NumberLiteral).value).toBe(3);
    }
    expect(((parseExpr('quantile(0.9, x)') as AggregateExpr).param as NumberLiteral).value).toBe(0.9);
    expect(((parseExpr('limit_ratio(-0.5, x)') as AggregateExpr).param as NumberLiteral).value).toBe(-0.5);
    expect(((parseExpr('count_values("l", x)') as AggregateExpr).param as StringLiteral).value).toBe('l');
    expect((parseExpr('topk(scalar(y), x)') as AggregateExpr).param?.type).toBe('Call');
  });

  it('aggregation errors', () => {
    expect(errorOf('sum()').message).toBe('1:1: parse error: no arguments for aggregate expression provided');
    expect(errorOf('sum(a, b)').message).toBe(
      '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2',
    );
    expect(errorOf('topk(x)').message).toBe(
      '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1',
    );
    expect(errorOf('topk("a", x)').message).toBe(
      '1:6: parse error: expected type scalar in aggregation parameter, got string',
    );
    expect(errorOf('count_values(1, x)').message).toBe(
      '1:14: parse error: expected type string in aggregation parameter, got scalar',
    );
    expect(errorOf('sum(x[5m])').message).toBe(
      '1:5: parse error: expected type instant vector in aggregation expression, got range vector',
    );
    expect(errorOf('sum(1)').message).toBe('1:5: parse error: expected type instant vector in aggregation expression, got scalar');
    expect(errorOf('sum by (a) (x) by (b)').message).toBe('1:16: parse error: unexpected <by>');
    expect(errorOf('sum(foo bar)').message).toBe('1:9: parse error: unexpected identifier "bar" in aggregation');
    expect(errorOf('sum by a (x)').message).toBe('1:8: parse error: unexpected identifier "a" in grouping opts, expected "("');
    expect(errorOf('sum by (a b) (x)').message).toBe(
      '1:11: parse error: unexpected identifier "b" in grouping opts, expected "," or ")"',
    );
    expect(errorOf('sum by ("") (x)').message).toBe('1:9: parse error: invalid label name for grouping: ""');
    expect(errorOf('sum(x,)').message).toBe('1:6: parse error: trailing commas not allowed in function call args');
  });
});

describe('function calls', () => {
  it('calls with various arities', () => {
    const c = parseExpr('rate(foo[5m])') as Call;
    expect(c.type).toBe('Call');
    expect(c.func).toBe('rate');
    expect(c.pos).toEqual({ start: 0, end: 13 });
    expect((parseExpr('time()') as Call).args).toEqual([]);
    expect((parseExpr('round(x)') as Call).args.length).toBe(1);
    expect((parseExpr('round(x, 5)') as Call).args.length).toBe(2);
    expect((parseExpr('label_join(x, "dst", ",", "a", "b", "c")') as Call).args.length).toBe(6);
    expect((parseExpr('histogram_quantile(0.9, sum by (le) (rate(x[5m])))') as Call).func).toBe('histogram_quantile');
    expect((parseExpr('label_replace(up, "a", "$1", "b", "(.*)")') as Call).args.length).toBe(5);
    expect((parseExpr('sort_by_label(x, "a", "b")') as Call).args.length).toBe(3);
    expect((parseExpr('day_of_week()') as Call).args.length).toBe(0);
  });

  it('step(), range(), start(), end() are calls (any case)', () => {
    for (const f of ['step', 'range', 'start', 'end']) {
      expect((parseExpr(`${f}()`) as Call).func).toBe(f);
      expect((parseExpr(`${f.toUpperCase()}()`) as Call).func).toBe(f);
    }
    expect(exprType(parseExpr('vector(step())'))).toBe('vector');
  });

  it('info() takes label selectors as its second argument', () => {
    expect((parseExpr('info(foo, {k=~".*"})') as Call).args.length).toBe(2);
    expect((parseExpr('info(foo, {})') as Call).args.length).toBe(2);
    expect(errorOf('info(foo, bar)').message).toBe('1:11: parse error: expected label selectors only, got vector selector instead');
    expect(errorOf('info(foo, 1)').message).toBe('1:1: parse error: expected type instant vector in call to function "info", got scalar');
    expect(errorOf('info(foo, {a="b"}, 1)').message).toBe('1:1: parse error: expected at most 2 argument(s) in call to "info", got 3');
  });

  it('function errors', () => {
    expect(errorOf('foo(bar)').message).toBe('1:1: parse error: unknown function with name "foo"');
    expect(errorOf('RATE(x[1m])').message).toBe('1:1: parse error: unknown function with name "RATE"');
    expect(errorOf('rate(foo)').message).toBe(
      '1:6: parse error: expected type range vector in call to function "rate", got instant vector',
    );
    expect(errorOf('abs(x[1m])').message).toBe(
      '1:5: parse error: expected type instant vector in call to function "abs", got range vector',
    );
    expect(errorOf('time(1)').message).toBe('1:1: parse error: expected 0 argument(s) in call to "time", got 1');
    expect(errorOf('rate()').message).toBe('1:1: parse error: expected 1 argument(s) in call to "rate", got 0');
    expect(errorOf('round(x, 1, 2)').message).toBe('1:1: parse error: expected at most 2 argument(s) in call to "round", got 3');
    expect(errorOf('label_join(x, "a")').message).toBe(
      '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 2',
    );
    expect(errorOf('label_join(x, "a", ",", 1)').message).toBe(
      '1:25: parse error: expected type string in call to function "label_join", got scalar',
    );
    expect(errorOf('rate(x[1m],)').message).toBe('1:11: parse error: trailing commas not allowed in function call args');
    expect(errorOf('rate(').message).toBe('1:6: parse error: unclosed left parenthesis');
    expect(errorOf('rate(x[1m]))').message).toBe(`1:13: parse error: unexpected right parenthesis ')'`);
  });
});

// ---------------------------------------------------------------------------------
// Miscellaneous.

describe('misc', () => {
  it('comments and whitespace', () => {
    const e = parseExpr('# leading comment\nsum(  # inside\n  x{a="b" # in braces\n}\n) # trailing');
    expect(shape(e)).toBe('sum(x)');
    expect(errorOf('# only a comment').message).toBe('1:1: parse error: no expression found in input');
    expect(errorOf('   ').message).toBe('1:1: parse error: no expression found in input');
    expect(errorOf('').message).toBe('unknown position: parse error: no expression found in input');
  });

  it('error positions are line:col of UTF-8 bytes', () => {
    let e = errorOf('foo +\n  bar baz');
    expect(e.message).toBe('2:7: parse error: unexpected identifier "baz"');
    expect(e.pos).toEqual({ start: 12, end: 15 });
    e = errorOf('{"é"="x"} + 1 < 2 bar');
    expect(e.message).toBe('1:20: parse error: unexpected identifier "bar"');
    expect(e.pos).toEqual({ start: 19, end: 22 });
  });

  it('node positions are UTF-8 byte offsets', () => {
    const e = parseExpr('{"é"="x"} + 1') as BinaryExpr;
    expect(e.lhs.pos).toEqual({ start: 0, end: 10 });
    expect(e.rhs.pos).toEqual({ start: 13, end: 14 });
    expect(e.pos).toEqual({ start: 0, end: 14 });
    const c = parseExpr('label_replace(x, "😀", "é", "a", "")') as Call;
    expect(c.args[2].pos).toEqual({ start: 25, end: 29 });
    expect(c.pos).toEqual({ start: 0, end: 39 });
  });

  it('lexer errors', () => {
    expect(errorOf('foo ~ bar').message).toBe(`1:5: parse error: unexpected character: '~'`);
    expect(errorOf('foo =~ bar').message).toBe(`1:5: parse error: unexpected character after '=': '~'`);
    expect(errorOf('foo ! bar').message).toBe(`1:5: parse error: unexpected character after '!': ' '`);
    expect(errorOf('foo]').message).toBe(`1:4: parse error: unexpected right bracket ']'`);
    expect(errorOf('a ) b').message).toBe(`1:4: parse error: unexpected right parenthesis ')'`);
    expect(errorOf('(a').message).toBe('1:3: parse error: unclosed left parenthesis');
    expect(errorOf('foo bar').message).toBe('1:5: parse error: unexpected identifier "bar"');
    expect(errorOf('"a" "b"').message).toBe('1:5: parse error: unexpected string "\\"b\\""');
    expect(errorOf('1 "abcdefghijklmnop"').message).toBe('1:3: parse error: unexpected string "\\"abcdefghi"...');
  });

  it('exprType', () => {
    expect(exprType(parseExpr('1'))).toBe('scalar');
    expect(exprType(parseExpr('"a"'))).toBe('string');
    expect(exprType(parseExpr('foo'))).toBe('vector');
    expect(exprType(parseExpr('foo[1m]'))).toBe('matrix');
    expect(exprType(parseExpr('foo[1m:]'))).toBe('matrix');
    expect(exprType(parseExpr('sum(foo)'))).toBe('vector');
    expect(exprType(parseExpr('1 + 2'))).toBe('scalar');
    expect(exprType(parseExpr('1 + foo'))).toBe('vector');
    expect(exprType(parseExpr('time()'))).toBe('scalar');
    expect(exprType(parseExpr('scalar(foo)'))).toBe('scalar');
    expect(exprType(parseExpr('(foo[1m])'))).toBe('matrix');
    expect(exprType(parseExpr('-(1)'))).toBe('scalar');
  });

  it('unsupported experimental syntax is rejected clearly', () => {
    expect(errorOf('foo[step()*2]').message).toMatch(/duration expressions .* not supported/);
    expect(errorOf('foo[5m+1m]').message).toMatch(/duration expressions .* not supported/);
    expect(errorOf('foo[(5m)]').message).toMatch(/duration expressions .* not supported/);
    expect(errorOf('foo[5m:step()]').message).toMatch(/duration expressions .* not supported/);
    expect(errorOf('foo offset (1m)').message).toMatch(/duration expressions .* not supported/);
    expect(errorOf('foo offset step()').message).toMatch(/duration expressions .* not supported/);
    expect(errorOf('foo[5m] anchored').message).toBe('1:9: parse error: the "anchored" range selector modifier is not supported');
    expect(errorOf('rate(foo[5m] smoothed)').message).toBe(
      '1:14: parse error: the "smoothed" range selector modifier is not supported',
    );
    expect(errorOf('a + fill(0) b').message).toMatch(/fill modifiers .* not supported/);
    expect(errorOf('a + on(x) fill_left(1) b').message).toMatch(/fill modifiers .* not supported/);
    expect(errorOf('{{schema:1 sum:3 count:2}}').message).toMatch(/native histogram literals .* not supported/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['5m', 300000],
    ['1h30m', 5400000],
    ['10s', 10000],
    ['100ms', 100],
    ['1y', 31536000000],
    ['1w', 604800000],
    ['1d', 86400000],
    ['2d3h4m5s6ms', 183845006],
    ['0', 0],
    ['15', 15000],
    ['1.5', 1500],
    ['0.001', 1],
    ['1e3', 1000000],
  ])('%s', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it('rejects bad durations', () => {
    for (const s of ['', '5', 'abc', '1m1h', '5M', '1.5m', '-5m', '1000000000y', 'NaN', 'Inf']) {
      if (s === '5') continue;
      expect(() => parseDuration(s)).toThrow(PromQLParseError);
    }
  });
});

describe('FUNCTIONS', () => {
  it('has Prometheus signatures', () => {
    expect(FUNCTIONS.rate).toEqual({ argTypes: ['matrix'], variadic: 0, returnType: 'vector' });
    expect(FUNCTIONS.label_join).toEqual({ argTypes: ['vector', 'string', 'string', 'string'], variadic: -1, returnType: 'vector' });
    expect(FUNCTIONS.round).toEqual({ argTypes: ['vector', 'scalar'], variadic: 1, returnType: 'vector' });
    expect(FUNCTIONS.histogram_quantiles.variadic).toBe(9);
    expect(FUNCTIONS.mad_over_time.experimental).toBe(true);
    expect(FUNCTIONS.time.experimental).toBeUndefined();
    expect(Object.keys(FUNCTIONS).length).toBeGreaterThanOrEqual(90);
  });
});

// ---------------------------------------------------------------------------------
// Conformance files: every eval expression must parse.

const CONFORMANCE_DIR = fileURLToPath(new URL('../../../../shared/conformance/promql/', import.meta.url));
const EXCLUDED = new Set([
  'native_histograms.test',
  'info.test',
  'type_and_unit.test',
  'extended_vectors.test',
  'fill-modifier.test',
  'duration_expression.test',
  'start_timestamps.test',
]);
const EVAL_RE =
  /^\s*eval(?:_(fail|ordered|warn|info))?\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$/;

describe.skipIf(!existsSync(CONFORMANCE_DIR))('conformance eval expressions', () => {
  it('parse (all files except the excluded experimental ones)', () => {
    let parsed = 0;
    let expectedFailures = 0;
    const failures: string[] = [];
    let excludedParsed = 0;
    let excludedTotal = 0;
    const files = readdirSync(CONFORMANCE_DIR)
      .filter((f) => f.endsWith('.test'))
      .sort();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const lines = readFileSync(CONFORMANCE_DIR + file, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const m = EVAL_RE.exec(lines[i]);
        if (!m) continue;
        let expectFail = m[1] === 'fail';
        for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]) && !/^\s*eval/.test(lines[j]); j++) {
          if (/^\s+expect\s+fail/.test(lines[j])) expectFail = true;
        }
        let err: unknown = null;
        try {
          parseExpr(m[2]);
        } catch (e) {
          err = e;
          // Whatever happens, only PromQLParseError may escape the parser.
          expect(e).toBeInstanceOf(PromQLParseError);
        }
        if (EXCLUDED.has(file)) {
          excludedTotal++;
          if (err === null) excludedParsed++;
          continue;
        }
        if (expectFail) {
          expectedFailures++;
          continue;
        }
        if (err === null) parsed++;
        else failures.push(`${file}:${i + 1}: ${m[2]} => ${(err as Error).message}`);
      }
    }
    console.log(
      `conformance: ${parsed} eval expressions parsed, ${failures.length} failed, ` +
        `${expectedFailures} under "expect fail" skipped; excluded files: ${excludedParsed}/${excludedTotal} parsed`,
    );
    expect(failures).toEqual([]);
    expect(parsed).toBeGreaterThan(1200);
  });
});

// ---------------------------------------------------------------------------------
// Property tests.

function parsesOrParseError(q: string): Expr | null {
  try {
    return parseExpr(q);
  } catch (e) {
    if (e instanceof PromQLParseError) {
      expect(e.message).toMatch(/^(\d+:\d+|unknown position): parse error: /);
      return null;
    }
    throw e;
  }
}

const labelName = fc.constantFrom('a', 'job', '__name__', 'le', 'on', 'sum', 'foo.bar', 'é', '');
const metricName = fc.constantFrom('foo', 'bar', 'http_requests_total', 'job:rate:5m', 'sum', 'offset', 'by', 'x');
const durationMs = fc.constantFrom(0, 1, 1000, 60000, 300000, 3600000, -60000, 1500);

const arbSelector: fc.Arbitrary<VectorSelector> = fc
  .record({
    name: fc.oneof(metricName, fc.constant('')),
    matchers: fc.array(
      fc.record({
        name: labelName,
        op: fc.constantFrom('=' as const, '!=' as const, '=~' as const, '!~' as const),
        value: fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('.*', '.+', 'a|b', '(', '\\', '"')),
      }),
      { maxLength: 3 },
    ),
    offset: durationMs,
    at: fc.option(
      fc.oneof(
        fc.constant({ kind: 'start' as const }),
        fc.constant({ kind: 'end' as const }),
        fc.integer({ min: -1e9, max: 1e9 }).map((ms) => ({ kind: 'time' as const, ms })),
      ),
    ),
  })
  .map(({ name, matchers, offset, at }) => ({
    type: 'VectorSelector' as const,
    name,
    matchers: name ? [...matchers, { name: '__name__', op: '=' as const, value: name }] : matchers,
    offset,
    at,
    pos: { start: 0, end: 0 },
  }));

const P = { start: 0, end: 0 };
const arbExpr: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double().map((value): Expr => ({ type: 'NumberLiteral', value, pos: P })),
    fc.string({ maxLength: 6 }).map((value): Expr => ({ type: 'StringLiteral', value, pos: P })),
    arbSelector,
    fc
      .record({ v: arbSelector, range: durationMs })
      .map(({ v, range }): Expr => ({ type: 'MatrixSelector', vector: v, range, pos: P })),
    fc
      .record({ e: tie('expr'), range: durationMs, step: durationMs, offset: durationMs })
      .map(({ e, range, step, offset }): Expr => ({ type: 'SubqueryExpr', expr: e, range, step, offset, at: null, pos: P })),
    fc
      .record({
        op: fc.constantFrom(...(Object.keys(PREC) as BinaryExpr['op'][])),
        lhs: tie('expr'),
        rhs: tie('expr'),
        returnBool: fc.boolean(),
        matching: fc.option(
          fc.record({
            card: fc.constantFrom('one-to-one' as const, 'many-to-one' as const, 'one-to-many' as const, 'many-to-many' as const),
            labels: fc.array(labelName, { maxLength: 2 }),
            on: fc.boolean(),
            include: fc.array(labelName, { maxLength: 2 }),
          }),
        ),
      })
      .map((r): Expr => ({ type: 'BinaryExpr', ...r, pos: P })),
    fc
      .record({ func: fc.constantFrom(...Object.keys(FUNCTIONS), 'nope'), args: fc.array(tie('expr'), { maxLength: 3 }) })
      .map((r): Expr => ({ type: 'Call', ...r, pos: P })),
    fc
      .record({
        op: fc.constantFrom('sum', 'topk', 'quantile', 'count_values', 'limitk', 'group', 'max'),
        expr: tie('expr'),
        param: tie('expr'),
        grouping: fc.array(labelName, { maxLength: 2 }),
        without: fc.boolean(),
      })
      .map(
        (r): Expr => ({
          type: 'AggregateExpr',
          ...r,
          param: ['topk', 'quantile', 'count_values', 'limitk'].includes(r.op) ? r.param : null,
          pos: P,
        }),
      ) as fc.Arbitrary<Expr>,
    tie('expr').map((e): Expr => ({ type: 'ParenExpr', expr: e, pos: P })),
    fc
      .record({ op: fc.constantFrom('+' as const, '-' as const), e: tie('expr') })
      .map(({ op, e }): Expr => ({ type: 'UnaryExpr', op, expr: e, pos: P })),
  ),
})).expr;

describe('property tests', () => {
  it('printing a random AST and parsing it only ever throws PromQLParseError, and re-printing is stable', () => {
    let ok = 0;
    fc.assert(
      fc.property(arbExpr, (ast) => {
        const text = print(ast);
        const parsed = parsesOrParseError(text);
        if (parsed === null) return;
        ok++;
        const again = print(parsed);
        const reparsed = parseExpr(again);
        expect(print(reparsed)).toBe(again);
      }),
      { numRuns: 3000 },
    );
    expect(ok).toBeGreaterThan(0);
  });

  it('valid queries round-trip through the printer to the same tree shape', () => {
    const queries = [
      'sum by (job) (rate(http_requests_total{job=~"api|web"}[5m] offset 1m))',
      'a * on(x) group_left(y) b + 2 ^ 3 ^ 2',
      '-2 ^ 2',
      'topk(3, sum without (a) (x)) or vector(1)',
      'max_over_time(rate(foo[1m])[5m:30s] @ 100)',
      'foo < bool 2 and on() vector(1)',
      'foo{"a.b"="c", d!~"e"}',
    ];
    for (const q of queries) expect(shape(parseExpr(print(parseExpr(q))))).toBe(shape(parseExpr(q)));
  });

  it('random junk only ever throws PromQLParseError', () => {
    const alphabet = fc.constantFrom(
      ...'abcxyz_:019.eE+-*/%^=!~<>(){}[],@"\'`\\# \n\tfoo sum by on offset bool group_left 5m 0x [5m:] @start() inf nan é😀\uD800'.split(
        '',
      ),
      'sum',
      ' by ',
      'offset',
      ' and ',
      'rate(',
      'foo',
      '{a="b"}',
      '[5m]',
      '[1m:]',
      ' @ ',
      'start()',
      '1h30m',
      'group_left',
      'on(',
      'fill(',
      'anchored',
      'step()',
      '{{',
      '"\\x',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        parsesOrParseError(parts.join(''));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        parsesOrParseError(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('deeply nested input fails cleanly', () => {
    const deep = '('.repeat(100000) + '1' + ')'.repeat(100000);
    expect(() => parseExpr(deep)).toThrow(PromQLParseError);
    expect(exprType(parseExpr('1' + ' + 1'.repeat(50000)))).toBe('scalar');
    expect(exprType(parseExpr('foo' + ' or bar'.repeat(50000)))).toBe('vector');
  });
});
