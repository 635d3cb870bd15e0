// Runs Prometheus's PromQL test scripts (../shared/conformance/promql/*.test) against our
// engine. See /work/shared/conformance/promql/README.md for the format. Evals listed in
// conformance-skips.txt (`<file>:<line>  <reason>`, or `<file>  <reason>` for a whole file)
// are run but may fail; every other eval must pass.
//
// Like Prometheus's runner, an instant eval that returns a vector or scalar is also run as
// a range query over [t-1m, t+1m] and, with `@ t` on every selector, at other eval times;
// both must give the same result. Annotations are checked for presence (`expect warn`,
// `expect no_info`, ...), not text, except for queries that read native-histogram data
// (which we load float samples only of). PROMQL_CHECK_ANNOTATIONS=0 turns that off,
// PROMQL_CONFORMANCE_VERBOSE=1 prints every failing eval.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { instantQuery, instantQueryExpr, rangeQuery } from './engine.js';
import { parseExpr } from './parser.js';
import type { Expr, LabelMatcher } from './ast.js';
import { MemorySource } from './memorySource.js';
import {
  STALE_NAN,
  STALE_NAN_HI,
  STALE_NAN_LO,
  type Labels,
  type QueryOutput,
  type RawSeries,
  type SeriesSource,
} from './types.js';
import { labelsKey } from './labels.js';

const DIR = fileURLToPath(new URL('../../../../shared/conformance/promql/', import.meta.url));
const SKIPS = fileURLToPath(new URL('./conformance-skips.txt', import.meta.url));

const OPTS = { lookbackMs: 300_000, maxSamples: 10_000, timeoutMs: 100_000 };

// ---------------------------------------------------------------------------------------
// Script parsing.

function parseDurationMs(s: string): number {
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const units: Record<string, number> = {
    y: 365 * 86_400_000,
    w: 7 * 86_400_000,
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
  };
  const re = /(\d+)(ms|y|w|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== s.length || consumed === 0) throw new Error(`bad duration ${s}`);
  return total;
}

/** A parsed `name{labels}` prefix and the rest of the line. */
function parseSeriesDesc(line: string): { labels: Labels; rest: string } {
  let i = 0;
  const labels: Labels = {};
  const ws = (): void => {
    while (i < line.length && /\s/.test(line[i])) i++;
  };
  const ident = (): string => {
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:.]*/.exec(line.slice(i));
    if (!m) throw new Error(`expected identifier at ${i} in ${line}`);
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    const q = line[i];
    if (q === '`') {
      const end = line.indexOf('`', i + 1);
      const s = line.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    let out = '';
    i++;
    while (i < line.length && line[i] !== q) {
      if (line[i] === '\\') {
        const c = line[i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
        if (map[c] !== undefined) {
          out += map[c];
          i += 2;
        } else if (c === 'x') {
          out += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else if (c === 'u') {
          out += String.fromCodePoint(parseInt(line.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (c === 'U') {
          out += String.fromCodePoint(parseInt(line.slice(i + 2, i + 10), 16));
          i += 10;
        } else {
          out += c;
          i += 2;
        }
      } else out += line[i++];
    }
    i++;
    return out;
  };
  ws();
  if (line[i] !== '{') labels.__name__ = ident();
  ws();
  if (line[i] === '{' && line[i + 1] !== '{') {
    i++;
    ws();
    while (line[i] !== '}') {
      let name: string;
      if (line[i] === '"' || line[i] === "'" || line[i] === '`') name = quoted();
      else name = ident();
      ws();
      if (line[i] === ',' || line[i] === '}') {
        labels.__name__ = name;
      } else {
        if (line[i] !== '=') throw new Error(`expected = in ${line}`);
        i++;
        ws();
        labels[name] = quoted();
      }
      ws();
      if (line[i] === ',') i++;
      ws();
    }
    i++;
  }
  for (const k of Object.keys(labels)) if (labels[k] === '') delete labels[k];
  return { labels, rest: line.slice(i).trim() };
}

const NUM = '(?:[+-]?(?:Inf|inf|NaN|nan|\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?))';
const RE_PLAIN = new RegExp(`^${NUM}$`);
const RE_REPEAT = new RegExp(`^(${NUM})x(\\d+)$`);
const RE_SEQ = new RegExp(`^(${NUM})([+-])(${NUM.replace('[+-]?', '')})x(\\d+)$`);

function num(s: string): number {
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  return Number(s);
}

type Val = number | 'stale' | 'hist' | null;

class Unsupported extends Error {}

/** Expands value notation into one entry per step (null: no sample). */
function expandValues(tokens: string[], loadMode = false): Val[] {
  const out: Val[] = [];
  for (const t of tokens) {
    if (t.startsWith('{{')) {
      if (!loadMode) throw new Unsupported('native histogram');
      // A native histogram sample (or sequence): loaded as no sample.
      const rep = /\}\}x(\d+)$/.exec(t);
      const n = rep ? Number(rep[1]) + 1 : 1;
      for (let k = 0; k < n; k++) out.push('hist');
      continue;
    }
    if (t === '_') {
      out.push(null);
      continue;
    }
    if (t === 'stale') {
      out.push('stale');
      continue;
    }
    let m = /^_x(\d+)$/.exec(t);
    if (m) {
      for (let k = 0; k < Number(m[1]); k++) out.push(null);
      continue;
    }
    m = /^stalex(\d+)$/.exec(t);
    if (m) {
      for (let k = 0; k <= Number(m[1]); k++) out.push('stale');
      continue;
    }
    if (RE_PLAIN.test(t)) {
      out.push(num(t));
      continue;
    }
    m = RE_SEQ.exec(t);
    if (m) {
      const a = num(m[1]);
      const b = num(m[3]) * (m[2] === '-' ? -1 : 1);
      for (let k = 0; k <= Number(m[4]); k++) out.push(a + k * b);
      continue;
    }
    m = RE_REPEAT.exec(t);
    if (m) {
      for (let k = 0; k <= Number(m[2]); k++) out.push(num(m[1]));
      continue;
    }
    throw new Error(`bad value token ${t}`);
  }
  return out;
}

function tokens(s: string): string[] {
  // Split on whitespace, keeping {{...}} groups (which contain spaces) together.
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let j = i;
    let depth = 0;
    while (j < s.length && (depth > 0 || !/\s/.test(s[j]))) {
      if (s.startsWith('{{', j)) {
        depth++;
        j += 2;
      } else if (depth > 0 && s.startsWith('}}', j)) {
        depth--;
        j += 2;
      } else j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

interface EvalCmd {
  line: number;
  text: string;
  kind: 'instant' | 'range';
  expr: string;
  at: number;
  start: number;
  end: number;
  step: number;
  fail: boolean;
  ordered: boolean;
  expectString: string | null;
  rangeVector: { from: number; to: number; step: number } | null;
  /** `expect warn|info|no_warn|no_info` lines (only presence is checked, not the text). */
  annotations: { kind: string; msg: string | null }[];
  body: string[];
}

const CHECK_ANNOTATIONS = process.env.PROMQL_CHECK_ANNOTATIONS !== '0';

/**
 * The scripts' data as we load it: float samples only. `natives` remembers the series that
 * also had native-histogram samples and the custom-bucket histograms load_with_nhcb derives,
 * so that a query reading them can be told apart: its annotations (about histograms we
 * did not load) are not checked.
 */
class ScriptSource implements SeriesSource {
  readonly floats = new MemorySource();
  readonly natives = new MemorySource();
  touched = false;

  select(matchers: LabelMatcher[], minMs: number, maxMs: number): RawSeries[] {
    if (!this.touched && this.natives.select(matchers, -Infinity, Infinity).length > 0) this.touched = true;
    return this.floats.select(matchers, minMs, maxMs);
  }

  clear(): void {
    this.floats.clear();
    this.natives.clear();
  }
}

// ---------------------------------------------------------------------------------------
// Result checking.

function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < 1e-6 * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

function fmtLabels(l: Labels): string {
  return JSON.stringify(Object.fromEntries(Object.entries(l).sort()));
}

function checkInstant(cmd: EvalCmd, out: QueryOutput): string | null {
  const r = out.result;
  if (cmd.expectString !== null) {
    if (r.resultType !== 'string') return `expected string, got ${r.resultType}`;
    return r.v === cmd.expectString ? null : `expected string ${JSON.stringify(cmd.expectString)}, got ${JSON.stringify(r.v)}`;
  }
  if (cmd.rangeVector) {
    if (r.resultType !== 'matrix') return `expected range vector, got ${r.resultType}`;
    return checkMatrix(cmd.body, r.series, cmd.rangeVector.from, cmd.rangeVector.step);
  }
  // A scalar expectation is a bare number.
  if (cmd.body.length === 1 && /^\S+$/.test(cmd.body[0]) && !cmd.body[0].includes('{') && RE_PLAIN.test(cmd.body[0])) {
    if (r.resultType !== 'scalar') return `expected scalar, got ${r.resultType}`;
    const want = num(cmd.body[0]);
    return almostEqual(want, r.v) ? null : `expected scalar ${want}, got ${r.v}`;
  }
  if (r.resultType !== 'vector') return `expected vector, got ${r.resultType}`;
  const want: { labels: Labels; v: number }[] = [];
  for (const line of cmd.body) {
    const { labels, rest } = parseSeriesDesc(line);
    const vals = expandValues(tokens(rest));
    if (vals.length !== 1 || typeof vals[0] !== 'number') throw new Error(`bad expected sample ${line}`);
    want.push({ labels, v: vals[0] });
  }
  if (want.length !== r.samples.length) {
    return `expected ${want.length} samples, got ${r.samples.length}: ${r.samples.map((s) => fmtLabels(s.labels) + ' ' + s.v).join('; ')}`;
  }
  if (cmd.ordered) {
    for (let i = 0; i < want.length; i++) {
      const g = r.samples[i];
      if (labelsKey(g.labels) !== labelsKey(want[i].labels) || !almostEqual(want[i].v, g.v)) {
        return `at position ${i}: expected ${fmtLabels(want[i].labels)} ${want[i].v}, got ${fmtLabels(g.labels)} ${g.v}`;
      }
    }
    return null;
  }
  const byKey = new Map(want.map((w) => [labelsKey(w.labels), w]));
  for (const g of r.samples) {
    const w = byKey.get(labelsKey(g.labels));
    if (!w) return `unexpected sample ${fmtLabels(g.labels)} ${g.v}`;
    if (!almostEqual(w.v, g.v)) return `for ${fmtLabels(g.labels)} expected ${w.v}, got ${g.v}`;
    byKey.delete(labelsKey(g.labels));
  }
  return null;
}

function checkMatrix(
  body: string[],
  series: { labels: Labels; times: number[]; values: number[] }[],
  start: number,
  step: number,
): string | null {
  const want = new Map<string, { labels: Labels; times: number[]; values: number[] }>();
  for (const line of body) {
    const { labels, rest } = parseSeriesDesc(line);
    const vals = expandValues(tokens(rest));
    const times: number[] = [];
    const values: number[] = [];
    vals.forEach((v, i) => {
      if (v === null) return;
      times.push(start + i * step);
      values.push(v === 'stale' || v === 'hist' ? NaN : v);
    });
    want.set(labelsKey(labels), { labels, times, values });
  }
  if (want.size !== series.length) {
    return `expected ${want.size} series, got ${series.length}: ${series.map((s) => fmtLabels(s.labels)).join('; ')}`;
  }
  for (const s of series) {
    const w = want.get(labelsKey(s.labels));
    if (!w) return `unexpected series ${fmtLabels(s.labels)} ${s.values.join(' ')}`;
    const pts = (t: number[], v: number[]): string => t.map((x, i) => `${v[i]}@${x / 1000}`).join(' ');
    if (w.times.length !== s.times.length) {
      return `for ${fmtLabels(s.labels)} expected [${pts(w.times, w.values)}], got [${pts(s.times, s.values)}]`;
    }
    for (let i = 0; i < w.times.length; i++) {
      if (w.times[i] !== s.times[i] || !almostEqual(w.values[i], s.values[i])) {
        return `for ${fmtLabels(s.labels)} expected [${pts(w.times, w.values)}], got [${pts(s.times, s.values)}]`;
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Running a file.

interface FileResult {
  /** Lines of the evals whose query read native-histogram data. */
  native: Set<number>;
  passed: number;
  failed: { line: number; text: string; why: string }[];
  skippedLoads: number;
}

function runScript(file: string, text: string): FileResult {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const src = new ScriptSource();
  const res: FileResult = { native: new Set(), passed: 0, failed: [], skippedLoads: 0 };
  let i = 0;
  const body = (): string[] => {
    const b: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== '') b.push(lines[++i]);
    return b;
  };
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const lineNo = i + 1;
    let m: RegExpExecArray | null;
    if ((m = /^load(_with_nhcb)?\s+(\S+)$/.exec(line))) {
      const interval = parseDurationMs(m[2]);
      const nhcb = m[1] !== undefined;
      for (const def of body()) {
        const { labels, rest } = parseSeriesDesc(def);
        let vals = expandValues(tokens(rest), true);
        if (vals.includes('hist')) {
          res.skippedLoads++;
          vals = vals.map((v) => (v === 'hist' ? null : v));
          src.natives.add(labels, [0], [0]);
        }
        const name = labels.__name__ ?? '';
        if (nhcb && name.endsWith('_bucket') && labels.le !== undefined) {
          const derived: Labels = { ...labels, __name__: name.slice(0, -'_bucket'.length) };
          delete derived.le;
          src.natives.add(derived, [0], [0]);
        }
        const times: number[] = [];
        const values: number[] = [];
        vals.forEach((v, k) => {
          if (v === null || v === 'hist') return;
          times.push(k * interval);
          values.push(v === 'stale' ? STALE_NAN : v);
        });
        const fv = new Float64Array(values);
        const words = new Uint32Array(fv.buffer);
        vals
          .filter((v) => v !== null && v !== 'hist')
          .forEach((v, k) => {
            if (v === 'stale') {
              words[2 * k] = STALE_NAN_LO;
              words[2 * k + 1] = STALE_NAN_HI;
            }
          });
        src.floats.add(labels, times, fv);
      }
      continue;
    }
    if (line === 'clear') {
      src.clear();
      continue;
    }
    m = /^eval(?:_(fail|ordered|warn|info))?\s+(instant|range)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${lineNo}: unknown command ${line}`);
    const cmd: EvalCmd = {
      line: lineNo,
      text: line,
      kind: m[2] as 'instant' | 'range',
      expr: '',
      at: 0,
      start: 0,
      end: 0,
      step: 0,
      fail: m[1] === 'fail',
      ordered: m[1] === 'ordered',
      expectString: null,
      rangeVector: null,
      annotations: [],
      body: [],
    };
    if (m[1] === 'warn' || m[1] === 'info') cmd.annotations.push({ kind: m[1], msg: null });
    if (cmd.kind === 'instant') {
      const mm = /^(?:at\s+)?(\S+)\s+(.+)$/.exec(m[3]);
      if (!mm) throw new Error(`${file}:${lineNo}: bad eval`);
      cmd.at = parseDurationMs(mm[1]);
      cmd.expr = mm[2];
    } else {
      const mm = /^from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/.exec(m[3]);
      if (!mm) throw new Error(`${file}:${lineNo}: bad eval range`);
      cmd.start = parseDurationMs(mm[1]);
      cmd.end = parseDurationMs(mm[2]);
      cmd.step = parseDurationMs(mm[3]);
      cmd.expr = mm[4];
    }
    for (const b of body()) {
      let e: RegExpExecArray | null;
      if (/^expect\s+fail\b/.test(b) || /^expected_fail_(message|regexp)\b/.test(b)) cmd.fail = true;
      else if (/^expect\s+ordered\b/.test(b)) cmd.ordered = true;
      else if ((e = /^expect\s+(warn|info|no_warn|no_info)\b(?:\s+(?:msg|regex):\s*(.*))?$/.exec(b))) {
        cmd.annotations.push({ kind: e[1], msg: e[2] ?? null });
      } else if ((e = /^expect\s+string\s+(.*)$/.exec(b))) {
        const q = e[1].trim();
        cmd.expectString = q.startsWith('`') ? q.slice(1, -1) : (JSON.parse(q) as string);
      } else if ((e = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(b))) {
        cmd.rangeVector = { from: parseDurationMs(e[1]), to: parseDurationMs(e[2]), step: parseDurationMs(e[3]) };
      } else if (/^expect\b/.test(b)) {
        throw new Error(`${file}:${b}: unknown expect line`);
      } else cmd.body.push(b);
    }
    const why = runEval(cmd, src);
    if (src.touched) res.native.add(lineNo);
    if (why === null) res.passed++;
    else res.failed.push({ line: lineNo, text: line, why: src.touched ? `${why} [reads native-histogram data]` : why });
  }
  return res;
}

/**
 * Like Prometheus's test runner: an instant query returning a vector or scalar must give
 * the same value at t when run as a range query over [t-1m, t+1m] with a 1m step.
 */
function checkRangeMode(cmd: EvalCmd, src: SeriesSource, instant: QueryOutput): string | null {
  const r = instant.result;
  if (r.resultType !== 'vector' && r.resultType !== 'scalar') return null;
  if (cmd.ordered) return null;
  // step(), range(), start() and end() depend on the query's range by definition.
  if (/\b(step|range|start|end)\(\s*\)/.test(cmd.expr)) return null;
  let out: QueryOutput;
  try {
    out = rangeQuery(src, cmd.expr, cmd.at - 60_000, cmd.at + 60_000, 60_000, OPTS);
  } catch (err) {
    return `range mode: error: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (out.result.resultType !== 'matrix') return `range mode: expected matrix, got ${out.result.resultType}`;
  const got = new Map<string, number>();
  for (const s of out.result.series) {
    const i = s.times.indexOf(cmd.at);
    if (i >= 0) got.set(labelsKey(s.labels), s.values[i]);
  }
  if (r.resultType === 'scalar') {
    const v = got.get(labelsKey({}));
    return v !== undefined && almostEqual(v, r.v) ? null : `range mode: expected scalar ${r.v}, got ${v}`;
  }
  if (got.size !== r.samples.length) return `range mode: expected ${r.samples.length} samples at t, got ${got.size}`;
  for (const smp of r.samples) {
    const v = got.get(labelsKey(smp.labels));
    if (v === undefined || !almostEqual(v, smp.v)) {
      return `range mode: for ${fmtLabels(smp.labels)} expected ${smp.v}, got ${v}`;
    }
  }
  return null;
}

const AT_UNSAFE = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
]);

/**
 * Like Prometheus's test runner: with `@ <eval time>` on every selector and subquery (not
 * inside one that has `@` already), the query must give the expected result at other
 * evaluation times too. Skipped for functions that read the evaluation time.
 */
function checkAtModifier(cmd: EvalCmd, src: SeriesSource): string | null {
  const expr = parseExpr(cmd.expr);
  let unsafe = false;
  const walk = (e: Expr, underAt: boolean): void => {
    switch (e.type) {
      case 'VectorSelector':
        if (!underAt && e.at === null) e.at = { kind: 'time', ms: cmd.at };
        return;
      case 'MatrixSelector':
        walk(e.vector, underAt);
        return;
      case 'SubqueryExpr':
        if (!underAt && e.at === null) e.at = { kind: 'time', ms: cmd.at };
        walk(e.expr, true);
        return;
      case 'AggregateExpr':
        walk(e.expr, underAt);
        if (e.param) walk(e.param, underAt);
        return;
      case 'BinaryExpr':
        walk(e.lhs, underAt);
        walk(e.rhs, underAt);
        return;
      case 'Call':
        if (AT_UNSAFE.has(e.func) || /^(step|range|start|end)$/.test(e.func)) unsafe = true;
        for (const a of e.args) walk(a, underAt);
        return;
      case 'ParenExpr':
      case 'UnaryExpr':
        walk(e.expr, underAt);
        return;
      default:
        return;
    }
  };
  walk(expr, false);
  if (unsafe) return null;
  const ts = cmd.at;
  const times = ts === 0 ? [-1000, 0, 1000] : [-10 * ts, 0, Math.trunc(ts / 5), ts, 10 * ts];
  for (const t of times) {
    let out: QueryOutput;
    try {
      out = instantQueryExpr(src, expr, t, OPTS);
    } catch (err) {
      return `@ mode at ${t / 1000}s: error: ${err instanceof Error ? err.message : String(err)}`;
    }
    const why = checkInstant(cmd, out);
    if (why !== null) return `@ mode at ${t / 1000}s: ${why}`;
  }
  return null;
}

function runEval(cmd: EvalCmd, src: ScriptSource): string | null {
  let out: QueryOutput;
  src.touched = false;
  try {
    out =
      cmd.kind === 'instant'
        ? instantQuery(src, cmd.expr, cmd.at, OPTS)
        : rangeQuery(src, cmd.expr, cmd.start, cmd.end, cmd.step, OPTS);
  } catch (err) {
    if (cmd.fail) return null;
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (cmd.fail) return 'expected an error, got a result';
  if (CHECK_ANNOTATIONS && !src.touched) {
    for (const a of cmd.annotations) {
      const list = a.kind.endsWith('warn') ? out.warnings : out.infos;
      if (a.kind.startsWith('no_') && list.length > 0) return `expected no ${a.kind.slice(3)}, got ${list.join(' | ')}`;
      if (!a.kind.startsWith('no_') && list.length === 0) return `expected ${a.kind} ${a.msg ?? ''}`;
    }
  }
  try {
    if (cmd.kind === 'instant') {
      const why = checkInstant(cmd, out);
      if (why !== null) return why;
      return checkRangeMode(cmd, src, out) ?? checkAtModifier(cmd, src);
    }
    const r = out.result;
    if (r.resultType !== 'matrix') return `expected matrix, got ${r.resultType}`;
    return checkMatrix(cmd.body, r.series, cmd.start, cmd.step);
  } catch (err) {
    if (err instanceof Unsupported) return 'expected result uses native histograms';
    throw err;
  }
}

// ---------------------------------------------------------------------------------------

function loadSkips(): { files: Map<string, string>; evals: Map<string, string> } {
  const files = new Map<string, string>();
  const evals = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(SKIPS, 'utf8');
  } catch {
    return { files, evals };
  }
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const m = /^(\S+?)(?::(\d+))?(?:\s+(.*))?$/.exec(l);
    if (!m) continue;
    if (m[2]) evals.set(`${m[1]}:${m[2]}`, m[3] ?? '');
    else files.set(m[1], m[3] ?? '');
  }
  return { files, evals };
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.test'))
  .sort();
const skips = loadSkips();

describe('PromQL conformance', () => {
  for (const file of files) {
    const skipFile = skips.files.get(file);
    test.skipIf(skipFile !== undefined)(file, () => {
      const res = runScript(file, readFileSync(DIR + file, 'utf8'));
      const unexpected = res.failed.filter((f) => !skips.evals.has(`${file}:${f.line}`));
      const skipped = res.failed.length - unexpected.length;
      const fixed = [...skips.evals.keys()].filter(
        (k) => k.startsWith(file + ':') && !res.failed.some((f) => `${file}:${f.line}` === k),
      );
      const lines = [
        `${file}: ${res.passed} passed, ${res.failed.length} failed (${skipped} of them in the skip list)` +
          (res.skippedLoads ? `, ${res.skippedLoads} load lines with native-histogram samples (only their float samples loaded)` : ''),
      ];
      for (const f of res.failed) lines.push(`  ${file}:${f.line}  ${f.text}\n      ${f.why}`);
      if (fixed.length > 0) lines.push(`  listed in the skip list but passing: ${fixed.join(', ')}`);
      // Keep the list honest: an eval skipped for native histograms must read such data.
      const wrongReason = [...skips.evals]
        .filter(([k, why]) => k.startsWith(file + ':') && /native histogram/i.test(why))
        .filter(([k]) => !res.native.has(Number(k.slice(file.length + 1))))
        .map(([k]) => k);
      if (process.env.PROMQL_CONFORMANCE_VERBOSE || unexpected.length > 0) console.log(lines.join('\n'));
      else console.log(lines[0]);
      expect(unexpected.map((f) => `${file}:${f.line}  ${f.text}  -- ${f.why}`)).toEqual([]);
      expect(wrongReason, 'skipped for native histograms but reads none').toEqual([]);
    });
  }
});
