// Matchers to bitmap algebra, within one measurement.
//
// A missing tag matches as the empty string (PromQL and InfluxQL agree), so each matcher
// becomes either "the series in S" or "the series not in S", with S built from the
// measurement's postings:
//
//   k="v"   in  P(k=v)              k=""   not in  has(k)
//   k!="v"  not in  P(k=v)          k!=""  in  has(k)
//   k=~re   re matches "":  not in  ∪ P(k=v) for v not matching;   else in  ∪ P(k=v) for v matching
//   k!~re   re matches "":  in  ∪ P(k=v) for v not matching;       else not in  ∪ P(k=v) for v matching
//
// The result is the smallest "in" set (or the measurement's series when there is none)
// AND the other "in" sets, AND NOT each "not in" set. Regexes are anchored at both ends
// and compiled exactly as the memtable compiles them (compileMatcher), and run over the
// dictionary of a key's values, not over series (the Prometheus TSDB approach). Two
// common shapes skip the scan: an alternation of literals (`a|b|c`, what Grafana's
// multi-value variables send) looks each value up, and `.*` / `.+` need no values at all.

import { compileMatcher } from '../memtable/memtable.js';
import type { TagMatcher } from '../types.js';
import { Postings } from './postings.js';
import { MeasurementPostings, TagValues, unionIds, type Ids } from './tagIndex.js';

interface Term {
  in: boolean;
  ids: Postings;
}

export function selectSeries(m: MeasurementPostings, matchers: readonly TagMatcher[]): Postings {
  const ins: Postings[] = [];
  const outs: Postings[] = [];
  for (const matcher of matchers) {
    const t = term(m.tags.get(matcher.key), matcher);
    if (t === null) continue;
    if (t.in) {
      if (t.ids.isEmpty) return Postings.empty();
      ins.push(t.ids);
    } else if (!t.ids.isEmpty) outs.push(t.ids);
  }
  let acc = ins.length > 0 ? Postings.intersectAll(ins) : m.all.clone();
  for (const o of outs) {
    if (acc.isEmpty) break;
    acc = acc.without(o);
  }
  return acc;
}

/** The term of one matcher, or null when it selects every series of the measurement. */
function term(tv: TagValues | undefined, m: TagMatcher): Term | null {
  const has = tv?.has ?? Postings.empty();
  switch (m.op) {
    case '=':
      return m.value === '' ? { in: false, ids: has } : { in: true, ids: lookup(tv, m.value) };
    case '!=':
      return m.value === '' ? { in: true, ids: has } : { in: false, ids: lookup(tv, m.value) };
    case '=~':
    case '!~': {
      const r = evalRegex(tv, m.value);
      if (m.op === '=~') return r.matchesEmpty ? termOut(r.nonMatching()) : { in: true, ids: r.matching() };
      return r.matchesEmpty ? { in: true, ids: r.nonMatching() } : termOut(r.matching());
    }
  }
}

function termOut(ids: Postings): Term | null {
  return ids.isEmpty ? null : { in: false, ids };
}

function lookup(tv: TagValues | undefined, value: string): Postings {
  const x = tv?.values.get(value);
  return x === undefined ? Postings.empty() : unionIds([x]);
}

interface RegexResult {
  matchesEmpty: boolean;
  /** Series whose value matches. */
  matching(): Postings;
  /** Series that have the key with a value that does not match. */
  nonMatching(): Postings;
}

function evalRegex(tv: TagValues | undefined, source: string): RegexResult {
  const has = tv?.has ?? Postings.empty();
  const values = tv?.values ?? new Map<string, Ids>();
  if (source === '.*' || source === '.+') {
    compileMatcher({ key: 'v', op: '=~', value: source }); // same validation as the memtable
    return { matchesEmpty: source === '.*', matching: () => has.clone(), nonMatching: () => Postings.empty() };
  }
  const lits = literalAlternation(source);
  if (lits !== null) {
    const hits: Ids[] = [];
    for (const l of new Set(lits)) {
      const x = values.get(l);
      if (x !== undefined) hits.push(x);
    }
    const matching = (): Postings => unionIds(hits);
    return { matchesEmpty: lits.includes(''), matching, nonMatching: () => has.without(matching()) };
  }
  const test = compileMatcher({ key: 'v', op: '=~', value: source });
  const probe = { v: '' };
  const matchesEmpty = test(probe);
  const scan = (want: boolean): Postings => {
    const hits: Ids[] = [];
    for (const [v, x] of values) {
      probe.v = v;
      if (test(probe) === want) hits.push(x);
    }
    return unionIds(hits);
  };
  return { matchesEmpty, matching: () => scan(true), nonMatching: () => scan(false) };
}

// Characters with a meaning in a regular expression (u flag): they end the literal fast path.
const SPECIAL = new Set('^$\\.*+?()[]{}|'.split(''));
// What may follow a backslash and still be a literal in u-mode: the syntax characters and `/`.
const ESCAPABLE = new Set('^$\\.*+?()[]{}|/'.split(''));

/**
 * The literals of a regex that is only an alternation of literals, optionally in one
 * group: `a|b`, `(a|b)`, `(?:a|b\.c)`. Null for anything else. Every string it accepts is a
 * valid regex matching exactly these strings (whole-string, as the matcher is anchored).
 */
export function literalAlternation(source: string): string[] | null {
  let s = source;
  if (s.startsWith('(?:') && s.endsWith(')')) s = s.slice(3, -1);
  else if (s.startsWith('(') && s.endsWith(')') && !s.startsWith('(?')) s = s.slice(1, -1);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const d = s[i + 1];
      if (d === undefined || !ESCAPABLE.has(d)) return null;
      cur += d;
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (SPECIAL.has(c)) {
      return null;
    } else {
      const code = c.charCodeAt(0);
      // Lone surrogates make the u-flag regex invalid; leave those to RegExp to reject.
      if (code >= 0xd800 && code <= 0xdfff) return null;
      cur += c;
    }
  }
  out.push(cur);
  return out;
}
