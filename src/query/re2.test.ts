import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RegexCache, compileRe2, compileRe2Info, compileRe2Unanchored, translateRe2 } from './re2.js';

const full = (p: string, s: string): boolean => compileRe2(p).test(s);

describe('compileRe2 on plain patterns', () => {
  it('agrees with a JS RegExp anchored as ^(?:p)$ with the s flag (property)', () => {
    const pattern = fc.letrec((tie) => ({
      atom: fc.oneof(
        { maxDepth: 2, withCrossShrink: true },
        fc.constantFrom('a', 'b', 'c', '.', '[ab]', '[^a]', '[a-c]', '\\.', '\\n', 'a\\.b'),
        tie('alt').map((p) => `(${p})`),
        tie('alt').map((p) => `(?:${p})`),
      ),
      item: fc
        .tuple(tie('atom'), fc.constantFrom('', '', '*', '+', '?', '{1,2}', '{2}', '{0,}', '*?', '+?', '??'))
        .map(([a, q]) => `${a}${q}`),
      concat: fc.array(tie('item'), { minLength: 1, maxLength: 3 }).map((xs) => (xs as string[]).join('')),
      alt: fc.array(tie('concat'), { minLength: 1, maxLength: 3 }).map((xs) => (xs as string[]).join('|')),
    })).alt.filter((p) => (p as string).length <= 40) as fc.Arbitrary<string>;
    const input = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', '.', '-'), maxLength: 6 });
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 8 }), (p, inputs) => {
        const ours = compileRe2(p);
        const js = new RegExp('^(?:' + p + ')$', 'su');
        for (const s of inputs) {
          expect(ours.test(s)).toBe(js.test(s));
          expect(ours.exec(s)?.slice(1)).toEqual(js.exec(s)?.slice(1));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('RE2-only syntax', () => {
  it('is fully anchored and dot matches newline', () => {
    expect(full('a.c', 'a\nc')).toBe(true);
    expect(full('abc', 'xabc')).toBe(false);
    expect(full('abc', 'abcx')).toBe(false);
    expect(full('a|b', 'ab')).toBe(false);
    expect(full('', '')).toBe(true);
    expect(full('foo|', '')).toBe(true);
  });

  it('(?i) at the start uses the i flag, elsewhere it expands letters', () => {
    expect(translateRe2('(?i)foo', true).flags).toBe('iu');
    expect(full('(?i)foo', 'FoO')).toBe(true);
    expect(full('(?i)foo|bar', 'BAR')).toBe(true);
    expect(full('a(?i)bc', 'aBC')).toBe(true);
    expect(full('a(?i)bc', 'ABC')).toBe(false);
    expect(full('a(?i:b)c', 'aBc')).toBe(true);
    expect(full('a(?i:b)c', 'aBC')).toBe(false);
    expect(full('(?i)a(?-i)b', 'Ab')).toBe(true);
    expect(full('(?i)a(?-i)b', 'AB')).toBe(false);
    expect(full('x(?i)[a-c]+', 'xAbC')).toBe(true);
    expect(full('x(?i)[^a]', 'xA')).toBe(false);
    expect(full('x(?i)k', 'x\u212A')).toBe(true); // Kelvin sign folds to k, as in Go
    expect(full('x(?i)\\x41', 'xa')).toBe(true);
    expect(full('x(?i)\\Qab\\E', 'xAB')).toBe(true);
  });

  it('(?s), (?m), (?U) flags', () => {
    expect(compileRe2Unanchored('a.b').test('a\nb')).toBe(false);
    expect(compileRe2Unanchored('(?s)a.b').test('a\nb')).toBe(true);
    expect(full('(?-s)a.b', 'a\nb')).toBe(false);
    expect(full('(?m)a$\\n^b', 'a\nb')).toBe(true);
    expect(full('a$\\n^b', 'a\nb')).toBe(false);
    expect(compileRe2Unanchored('(?m)^b$').test('a\nb\nc')).toBe(true);
    expect(compileRe2Unanchored('^b$').test('a\nb\nc')).toBe(false);
    expect(compileRe2Info('(?U)(a+)(a*)').regex.exec('aaa')?.slice(1)).toEqual(['a', 'aa']);
    expect(compileRe2Info('(?U)(a+?)(a*)').regex.exec('aaa')?.slice(1)).toEqual(['aaa', '']);
  });

  it('$ matches only at the very end (no newline before it)', () => {
    expect(compileRe2Unanchored('a$').test('a\n')).toBe(false);
    expect(compileRe2Unanchored('a\\z').test('a')).toBe(true);
    expect(compileRe2Unanchored('\\Aa').test('ba')).toBe(false);
  });

  it('named groups, \\Q..\\E, escapes', () => {
    const info = compileRe2Info('(?P<x>a)(b)(?<y>c)');
    expect(info.groupNames).toEqual(['', 'x', '', 'y']);
    expect(info.regex.exec('abc')?.groups).toEqual({ x: 'a', y: 'c' });
    expect(full('\\Q.*+\\E', '.*+')).toBe(true);
    // Without \E the literal runs to the end of the pattern, swallowing Prometheus's `)$`
    // wrapper just as Go does.
    expect(() => compileRe2('\\Q.*')).toThrow('missing closing )');
    expect(compileRe2Unanchored('\\Q.*').test('x.*')).toBe(true);
    expect(full('\\x{1F600}', '\u{1F600}')).toBe(true);
    expect(full('\\101\\0', 'A\0')).toBe(true);
    expect(full('\\a\\f\\t\\n\\r\\v', '\x07\f\t\n\r\v')).toBe(true);
    expect(full('\\!\\"\\#\\%\\&\\,\\-\\:\\;\\<\\=\\>\\@\\_\\`\\~', '!"#%&,-:;<=>@_`~')).toBe(true);
    expect(full('a{,2}', 'a{,2}')).toBe(true);
    expect(full('a{x}', 'a{x}')).toBe(true);
    expect(full('}]', '}]')).toBe(true);
    expect(full('[]a]+', ']a]')).toBe(true);
    expect(full('[^]a]', 'b')).toBe(true);
    expect(full('[a-]+', 'a-')).toBe(true);
    expect(full('^*a', 'a')).toBe(true);
  });

  it('ASCII-only \\d \\s \\w and POSIX / Unicode classes', () => {
    expect(full('\\d', '\u0660')).toBe(false);
    expect(full('\\s', '\u00a0')).toBe(false);
    expect(full('\\s+', ' \t\n\f\r')).toBe(true);
    expect(full('\\s', '\v')).toBe(false);
    expect(full('\\w+', 'aZ_9')).toBe(true);
    expect(full('\\w', 'é')).toBe(false);
    expect(full('[\\d\\s]+', '1 2')).toBe(true);
    expect(full('[^\\d]', '5')).toBe(false);
    expect(full('[\\D]', 'x')).toBe(true);
    expect(full('[[:alpha:]]+', 'abcXYZ')).toBe(true);
    expect(full('[[:alpha:]]', '1')).toBe(false);
    expect(full('[[:^digit:]]', '1')).toBe(false);
    expect(full('[[:xdigit:][:space:]]+', 'fF0 ')).toBe(true);
    expect(full('\\pL+', 'héλ')).toBe(true);
    expect(full('\\PL', 'a')).toBe(false);
    expect(full('\\p{Greek}+', 'λμ')).toBe(true);
    expect(full('\\p{^Greek}', 'λ')).toBe(false);
    expect(full('[\\p{Lu}\\d]+', 'A1')).toBe(true);
    expect(full('\\p{Any}', '\n')).toBe(true);
  });

  it('rejects what RE2 rejects, with Go messages', () => {
    const bad: Array<[string, string]> = [
      ['(a', 'missing closing )'],
      ['a)', 'unexpected )'],
      ['[a', 'missing closing ]'],
      ['\\1', 'invalid escape sequence: `\\1`'],
      ['\\C', 'invalid escape sequence'],
      ['\\Z', 'invalid escape sequence'],
      ['(?=a)', 'invalid or unsupported Perl syntax'],
      ['(?!a)', 'invalid or unsupported Perl syntax'],
      ['a**', 'invalid nested repetition operator: `**`'],
      ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
      ['*', 'missing argument to repetition operator'],
      ['a|*', 'missing argument to repetition operator'],
      ['x{1001}', 'invalid repeat count'],
      ['x{3,2}', 'invalid repeat count'],
      ['[z-a]', 'invalid character class range: `z-a`'],
      ['[[:foo:]]', 'invalid character class range'],
      ['\\p{Foo}', 'invalid character class range'],
      ['(?P<a>x)(?P<a>y)', 'duplicate capture group name'],
      ['(?P<a-b>x)', 'invalid named capture'],
      ['(?z)', 'invalid or unsupported Perl syntax'],
    ];
    for (const [p, msg] of bad) {
      expect(() => compileRe2(p), p).toThrow(msg);
      expect(() => compileRe2(p), p).toThrow(/^error parsing regexp: /);
    }
  });
});

describe('RegexCache', () => {
  it('caches and evicts the least recently used pattern', () => {
    const cache = new RegexCache(2);
    const a = cache.get('a+');
    expect(cache.get('a+')).toBe(a);
    cache.get('b+');
    cache.get('a+'); // a+ is now the most recent
    cache.get('c+'); // evicts b+
    expect(cache.get('a+')).toBe(a);
    expect(a.test('aaa')).toBe(true);
    expect(() => cache.get('(')).toThrow();
  });
});
