// The PromQL evaluator: walks the AST over all steps of a query at once, after Prometheus's
// promql/engine.go (rangeEval / rangeEvalAgg / matrix functions), with "delayed name
// removal" enabled: functions and operators mark a series to lose `__name__` and the mark
// is applied at the end of the query.
//
// Every instant-vector value is a Matrix whose points sit exactly on the evaluator's step
// times (start + k*interval). Scalars are a Matrix with one label-less series holding a
// point at every step. Range vectors (matrix selectors, subqueries) are only materialised
// as function arguments (windows over typed arrays) or as the top-level result of an
// instant query.

import type {
  AggregateExpr,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  LabelMatcher,
  MatrixSelector,
  SubqueryExpr,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { PromQLError, STALE_NAN_HI, STALE_NAN_LO, type Labels, type RawSeries, type SeriesSource } from './types.js';
import { exprType } from './parser.js';
import type { RegexCache } from '../re2.js';
import { evalFromTier } from './tiers.js';
import { RANGE_FUNCTIONS, invalidQuantileWarning, type Notes, type RangeWindow } from './rangeFunctions.js';
import {
  DATE_FUNCTIONS,
  MATH_FUNCTIONS,
  bucketFraction,
  bucketQuantile,
  checkLabelJoinArgs,
  checkLabelReplaceArgs,
  clamp,
  goMax,
  goMin,
  labelJoin,
  labelReplace,
  quantile,
  roundTo,
  type Bucket,
} from './instantFunctions.js';
import {
  compareLabels,
  formatFloatF,
  formatLabels,
  keyForLabels,
  keyWithoutLabels,
  labelsHash,
  labelsKey,
  parseGoFloat,
  type LabelsKeyCache,
} from './labels.js';

export interface Series {
  labels: Labels;
  /** Drop `__name__` at the end of the query (delayed name removal). */
  dropName: boolean;
  ts: number[];
  vs: number[];
}
export type Matrix = Series[];

interface VSample {
  labels: Labels;
  v: number;
  dropName: boolean;
  sig?: string;
}

/** State shared by an evaluator and the evaluators of its subqueries. */
export interface EvalContext {
  src: SeriesSource;
  lookback: number;
  maxSamples: number;
  /** Most series the query's selectors may load in all (0: no limit). */
  maxSeries: number;
  /** Series loaded by the query's selectors so far. */
  seriesLoaded: number;
  deadline: number;
  now: () => number;
  /** The query's start and end, for `@ start()` / `@ end()`. */
  queryStart: number;
  queryEnd: number;
  /** The query's step (0 for an instant query), for step(). */
  queryStep: number;
  /** Step of subqueries written without one (`x[5m:]`). */
  defaultStep: number;
  warnings: Set<string>;
  infos: Set<string>;
  /** Samples currently held in memory (Prometheus's currentSamples). */
  cur: number;
  peak: number;
  /** Samples read from the source. */
  loaded: number;
  /** Count of deadline checks, to read the clock only every so often. */
  tick: number;
  /** The query's caches: regexes of label matchers, sampling offsets and keys of label sets. */
  regexes: RegexCache;
  sampleOffsets: WeakMap<Labels, number>;
  labelKeys: LabelsKeyCache;
  /** Downsampling tiers that answered range functions (tiers.ts); absent until one does. */
  tiers?: Set<string>;
}

/** Largest (signature × step) bitmap of the series-by-series set operators (bytes). */
const SET_OP_BITMAP_MAX = 1 << 24;

const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';
const tooManySeries = (n: number, max: number): string =>
  `query processing would load too many series into memory in query execution: ${n} series, the limit is ${max} (--query-max-series); narrow the selectors`;
const TIMEOUT = 'query timed out in expression evaluation';

function execErr(msg: string): PromQLError {
  return new PromQLError('execution', msg);
}


// Module-local copies: imported bindings are getters once transpiled, slow in hot loops.
const SLO = STALE_NAN_LO;
const SHI = STALE_NAN_HI;

function isStale(words: Uint32Array, i: number): boolean {
  return words[2 * i] === SLO && words[2 * i + 1] === SHI;
}

/**
 * The first index j >= i with times[j] > x (times ascending), or len: what
 * `while (i < len && times[i] <= x) i++` gives, by galloping then bisecting (Bentley & Yao,
 * "An almost optimal algorithm for unbounded searching", 1976). A step that moves a window
 * over a few samples costs a few comparisons, one over thousands (an hourly step over 10 s
 * samples) ~2 log2 of them instead of one per sample.
 */
function firstAfter(times: Float64Array, i: number, len: number, x: number): number {
  if (i >= len || !(times[i] <= x)) return i;
  // invariant: times[a] <= x; b === len or times[b] > x once the gallop stops
  let a = i;
  let gap = 1;
  let b = i + 1;
  while (b < len && times[b] <= x) {
    a = b;
    gap *= 2;
    b = a + gap;
  }
  if (b > len) b = len;
  while (b - a > 1) {
    const m = (a + b) >>> 1;
    if (times[m] <= x) a = m;
    else b = m;
  }
  return b;
}

function wordsOf(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

function stringArg(e: Expr): string {
  const u = unwrapParens(e);
  if (u.type !== 'StringLiteral') throw new PromQLError('bad_data', 'expected string literal argument');
  return u.value;
}

function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Go's math.Mod. */
function goMod(x: number, y: number): number {
  if (y === 0 || x === Infinity || x === -Infinity || x !== x || y !== y) return NaN;
  return x % y;
}

/** Go's math.Pow (JS differs for 1**±Inf and (-1)**±Inf). */
function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if ((y === Infinity || y === -Infinity) && x === -1) return 1;
  return Math.pow(x, y);
}

const COMPARISON: Record<string, true> = { '==': true, '!=': true, '>': true, '<': true, '>=': true, '<=': true };

function isComparison(op: BinaryOp): boolean {
  return COMPARISON[op] === true;
}

function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '^' || op === '%' || op === 'atan2';
}

/** An arithmetic operator (those of changesMetricSchema) on two floats. */
function arithBinop(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '^':
      return goPow(l, r);
    case '%':
      return goMod(l, r);
    case 'atan2':
      return Math.atan2(l, r);
  }
  throw new PromQLError('bad_data', `operator "${op}" not allowed for operations between vectors`);
}

/** A comparison operator (those of isComparison) on two floats: whether it holds. */
function compareBinop(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
  }
  throw new PromQLError('bad_data', `operator "${op}" not allowed for operations between vectors`);
}

function scalarBinop(op: BinaryOp, l: number, r: number): number {
  if (isComparison(op)) return compareBinop(op, l, r) ? 1 : 0;
  if (changesMetricSchema(op)) return arithBinop(op, l, r);
  throw new PromQLError('bad_data', `operator "${op}" not allowed for scalar operations`);
}

// ---------------------------------------------------------------------------------------
// Go container/heap and insertion sort, so topk/bottomk/limitk order ties like Prometheus.

type Less<T> = (a: T, b: T) => boolean;

function heapUp<T>(h: T[], j: number, less: Less<T>): void {
  for (;;) {
    const i = ((j - 1) / 2) | 0;
    if (i === j || !less(h[j], h[i])) break;
    const t = h[i];
    h[i] = h[j];
    h[j] = t;
    j = i;
  }
}

function heapDown<T>(h: T[], i0: number, n: number, less: Less<T>): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2], h[j1])) j = j2;
    if (!less(h[j], h[i])) break;
    const t = h[i];
    h[i] = h[j];
    h[j] = t;
    i = j;
  }
  return i > i0;
}

function heapPush<T>(h: T[], x: T, less: Less<T>): void {
  h.push(x);
  heapUp(h, h.length - 1, less);
}

function heapFix<T>(h: T[], i: number, less: Less<T>): void {
  if (!heapDown(h, i, h.length, less)) heapUp(h, i, less);
}

function insertionSort<T>(a: T[], less: Less<T>): void {
  for (let i = 1; i < a.length; i++) {
    for (let j = i; j > 0 && less(a[j], a[j - 1]); j--) {
      const t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
  }
}

const byValueLess: Less<VSample> = (a, b) => (a.v !== a.v ? true : a.v < b.v);
const byReverseValueLess: Less<VSample> = (a, b) => (a.v !== a.v ? true : a.v > b.v);

/** facette/natsort Compare(a, b) (a < b in natural order), quirks included. */
function natLess(a: string, b: string): boolean {
  const chunk = (s: string): string[] => s.match(/(\d+|\D+)/g) ?? [];
  const atoi = (s: string): number | null => (/^\d+$/.test(s) && s.length < 19 ? Number(s) : null);
  const ca = chunk(a);
  const cb = chunk(b);
  for (let i = 0; i < ca.length; i++) {
    if (i >= cb.length) return false;
    const ai = atoi(ca[i]);
    const bi = atoi(cb[i]);
    if (ai !== null && bi !== null) {
      if (ai === bi) {
        if (i === ca.length - 1) return true;
        if (i === cb.length - 1) return false;
        continue;
      }
      return ai < bi;
    }
    if (ca[i] === cb[i]) {
      if (i === ca.length - 1) return true;
      if (i === cb.length - 1) return false;
      continue;
    }
    return ca[i] < cb[i];
  }
  return false;
}

/** Prometheus's HashRatioSampler offset: labels.Hash() / MaxUint64, in [0, 1]. */
function sampleOffset(l: Labels, cache: WeakMap<Labels, number>): number {
  let o = cache.get(l);
  if (o === undefined) {
    o = Number(labelsHash(l)) / 18446744073709551615;
    cache.set(l, o);
  }
  return o;
}

function addRatioSample(r: number, l: Labels, cache: WeakMap<Labels, number>): boolean {
  const off = sampleOffset(l, cache);
  return (r >= 0 && off < r) || (r < 0 && off >= 1 + r);
}

/** Labels of absent()/absent_over_time() from the equality matchers of a selector. */
function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  let lm: LabelMatcher[];
  if (e.type === 'VectorSelector') lm = e.matchers;
  else if (e.type === 'MatrixSelector') lm = e.vector.matchers;
  else return {};
  const out: Labels = {};
  const has = new Set<string>();
  for (const m of lm) {
    if (m.name === '__name__') continue;
    if (m.op === '=' && !has.has(m.name)) {
      if (m.value === '') delete out[m.name];
      else out[m.name] = m.value;
      has.add(m.name);
    } else {
      delete out[m.name];
    }
  }
  return out;
}

/** Merges series with equal label sets whose points do not overlap (else an error). */
/** labelsKey(l), without sorting names that are in order already (the usual case). */
function orderedLabelsKey(l: Labels): string {
  const names = Object.keys(l);
  for (let i = 1; i < names.length; i++) if (names[i - 1] > names[i]) return labelsKey(l);
  let s = '';
  for (const n of names) s += n + '\xff' + l[n] + '\xfe';
  return s;
}

/** A 32-bit FNV-1a hash of a label set (names in order): equal sets hash equal. */
function labelsHash32(l: Labels): number {
  const names = Object.keys(l);
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1] > names[i]) {
      names.sort();
      break;
    }
  }
  let h = 0x811c9dc5;
  for (const n of names) {
    for (let i = 0; i < n.length; i++) h = Math.imul(h ^ n.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
    const v = l[n];
    for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xfffe, 0x01000193);
  }
  return h;
}

export function mergeSameLabelset(mat: Matrix): Matrix {
  if (mat.length <= 1) return mat;
  // Usually no two label sets are equal: hashes tell that cheaply, keys only on a collision.
  const seen = new Set<number>();
  let collision = false;
  for (let i = 0; i < mat.length && !collision; i++) {
    const h = labelsHash32(mat[i].labels);
    if (seen.has(h)) collision = true;
    else seen.add(h);
  }
  if (!collision) return mat;
  const byKey = new Map<string, number[]>();
  let dup = false;
  for (let i = 0; i < mat.length; i++) {
    const k = orderedLabelsKey(mat[i].labels);
    const a = byKey.get(k);
    if (a) {
      a.push(i);
      dup = true;
    } else byKey.set(k, [i]);
  }
  if (!dup) return mat;
  const out: Matrix = [];
  for (const idx of byKey.values()) {
    if (idx.length === 1) {
      out.push(mat[idx[0]]);
      continue;
    }
    const pts: [number, number][] = [];
    for (const i of idx) for (let j = 0; j < mat[i].ts.length; j++) pts.push([mat[i].ts[j], mat[i].vs[j]]);
    pts.sort((a, b) => a[0] - b[0]);
    for (let j = 1; j < pts.length; j++) {
      if (pts[j][0] === pts[j - 1][0]) throw execErr('vector cannot contain metrics with the same labelset');
    }
    const base = mat[idx[0]];
    out.push({ labels: base.labels, dropName: base.dropName, ts: pts.map((p) => p[0]), vs: pts.map((p) => p[1]) });
  }
  return out;
}

interface RangeData {
  labels: Labels;
  /** A subquery's series already marked to lose its name. */
  dropName?: boolean;
  times: Float64Array;
  values: Float64Array;
}

interface RangeArg {
  series: RangeData[];
  range: number;
  offset: number;
  at: number | null;
}

export class Evaluator {
  readonly n: number;

  constructor(
    readonly ctx: EvalContext,
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {
    this.n = end < start ? 0 : Math.floor((end - start) / interval) + 1;
  }

  // -------------------------------------------------------------------------------------
  // Bookkeeping.

  checkDeadline(): void {
    const c = this.ctx;
    if ((++c.tick & 15) !== 0) return;
    if (c.now() > c.deadline) throw new PromQLError('timeout', TIMEOUT);
  }

  addSamples(k: number): void {
    const c = this.ctx;
    c.cur += k;
    if (c.cur > c.peak) c.peak = c.cur;
    if (c.cur > c.maxSamples) throw execErr(TOO_MANY_SAMPLES);
  }

  private notes(): Notes {
    const c = this.ctx;
    return { warn: (m) => c.warnings.add(m), info: (m) => c.infos.add(m) };
  }

  private atMs(at: AtModifier | null): number | null {
    if (!at) return null;
    if (at.kind === 'start') return this.ctx.queryStart;
    if (at.kind === 'end') return this.ctx.queryEnd;
    return at.ms;
  }

  private stepTimes(): number[] {
    const t = new Array<number>(this.n);
    for (let i = 0; i < this.n; i++) t[i] = this.start + i * this.interval;
    return t;
  }

  private constSeries(f: (ts: number) => number, labels: Labels = {}): Series {
    const ts = this.stepTimes();
    const vs = ts.map(f);
    this.addSamples(ts.length);
    return { labels, dropName: false, ts, vs };
  }

  /** Per-step values of a scalar-typed expression. */
  private scalarValues(e: Expr): number[] {
    const m = this.eval(e);
    const out = new Array<number>(this.n).fill(NaN);
    if (m.length > 0) {
      const s = m[0];
      for (let j = 0; j < s.ts.length; j++) out[Math.round((s.ts[j] - this.start) / this.interval)] = s.vs[j];
    }
    return out;
  }

  // -------------------------------------------------------------------------------------
  // The walk.

  eval(e: Expr): Matrix {
    this.checkDeadline();
    if (this.n === 0) return [];
    switch (e.type) {
      case 'NumberLiteral': {
        const v = e.value;
        return [this.constSeries(() => v)];
      }
      case 'StringLiteral':
        throw new PromQLError('bad_data', 'unexpected string literal');
      case 'ParenExpr':
        return this.eval(e.expr);
      case 'UnaryExpr': {
        const m = this.eval(e.expr);
        if (e.op === '-') {
          for (const s of m) {
            s.dropName = true;
            for (let j = 0; j < s.vs.length; j++) s.vs[j] = -s.vs[j];
          }
        }
        return m;
      }
      case 'VectorSelector':
        return this.evalVectorSelector(e, false);
      case 'MatrixSelector':
        return this.evalMatrixSelector(e);
      case 'SubqueryExpr':
        return this.evalSubquery(e);
      case 'AggregateExpr':
        return this.evalAggregate(e);
      case 'BinaryExpr':
        return this.evalBinary(e);
      case 'Call':
        return this.evalCall(e);
    }
  }

  // -------------------------------------------------------------------------------------
  // Selectors.

  /** Reads the raw series of a selector, counting them against the query's series limit. */
  private loadSeries(matchers: LabelMatcher[], minMs: number, maxMs: number): RawSeries[] {
    const raw = this.ctx.src.select(matchers, minMs, maxMs);
    const c = this.ctx;
    c.seriesLoaded += raw.length;
    if (c.maxSeries > 0 && c.seriesLoaded > c.maxSeries) throw execErr(tooManySeries(c.seriesLoaded, c.maxSeries));
    return raw;
  }

  evalVectorSelector(vs: VectorSelector, timestamps: boolean): Matrix {
    const at = this.atMs(vs.at);
    // timestamp(x @ t) reads the sample at t itself (Prometheus rewrites the offset).
    const off = timestamps && at !== null ? 0 : vs.offset;
    const lb = this.ctx.lookback;
    const minRef = (at ?? this.start) - off;
    const maxRef = (at ?? this.end) - off;
    const raw = this.loadSeries(vs.matchers, minRef - lb, maxRef);
    const out: Matrix = [];
    const steps = this.stepTimes();
    const pick = new Int32Array(this.n);
    for (const r of raw) {
      this.checkDeadline();
      const times = r.times;
      const values = r.values;
      const words = wordsOf(values);
      const len = times.length;
      this.ctx.loaded += len;
      let ts: number[] = [];
      let vsOut: number[] = [];
      if (at !== null) {
        const ref = at - off;
        let j = 0;
        while (j < len && times[j] <= ref) j++;
        const k = j - 1;
        if (k >= 0 && times[k] > ref - lb && !isStale(words, k)) {
          const v = timestamps ? times[k] / 1000 : values[k];
          for (let i = 0; i < this.n; i++) {
            ts.push(steps[i]);
            vsOut.push(v);
          }
        }
      } else {
        // the sample of each step first, then arrays of the exact length (no growing)
        let j = 0;
        let cnt = 0;
        for (let i = 0; i < this.n; i++) {
          const ref = steps[i] - off;
          while (j < len && times[j] <= ref) j++;
          const k = j - 1;
          if (k >= 0 && times[k] > ref - lb && !isStale(words, k)) {
            pick[i] = k;
            cnt++;
          } else pick[i] = -1;
        }
        if (cnt === this.n) {
          // a sample at every step: the series shares the step times (never written to)
          ts = steps;
          vsOut = new Array<number>(cnt);
          for (let i = 0; i < cnt; i++) {
            const k = pick[i];
            vsOut[i] = timestamps ? times[k] / 1000 : values[k];
          }
        } else if (cnt > 0) {
          ts = new Array<number>(cnt);
          vsOut = new Array<number>(cnt);
          for (let i = 0, o = 0; o < cnt; i++) {
            const k = pick[i];
            if (k < 0) continue;
            ts[o] = steps[i];
            vsOut[o] = timestamps ? times[k] / 1000 : values[k];
            o++;
          }
        }
      }
      if (ts.length > 0) {
        this.addSamples(ts.length);
        out.push({ labels: r.labels, dropName: timestamps, ts, vs: vsOut });
      }
    }
    return out;
  }

  /** A bare range selector: only as the top-level result of an instant query. */
  private evalMatrixSelector(ms: MatrixSelector): Matrix {
    if (this.n !== 1) throw new PromQLError('bad_data', 'cannot do range evaluation of matrix selector');
    const arg = this.rangeArg(ms);
    const ref = (arg.at ?? this.start) - arg.offset;
    const out: Matrix = [];
    for (const s of arg.series) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < s.times.length; i++) {
        if (s.times[i] > ref - arg.range && s.times[i] <= ref) {
          ts.push(s.times[i]);
          vs.push(s.values[i]);
        }
      }
      if (ts.length > 0) {
        this.addSamples(ts.length);
        out.push({ labels: s.labels, dropName: false, ts, vs });
      }
    }
    return out;
  }

  private subqueryEvaluator(sq: SubqueryExpr): Evaluator {
    const at = this.atMs(sq.at);
    const step = sq.step > 0 ? sq.step : this.ctx.defaultStep;
    const endRef = (at ?? this.end) - sq.offset;
    const startRef = (at ?? this.start) - sq.offset - sq.range;
    let s = step * Math.trunc(startRef / step);
    if (s <= startRef) s += step;
    return new Evaluator(this.ctx, s, endRef, step);
  }

  private evalSubquery(sq: SubqueryExpr): Matrix {
    return this.subqueryEvaluator(sq).eval(sq.expr);
  }

  /** The samples a range function reads, once for all steps. */
  private rangeArg(e: MatrixSelector | SubqueryExpr): RangeArg {
    if (e.type === 'MatrixSelector') {
      const vs = e.vector;
      const at = this.atMs(vs.at);
      const minRef = (at ?? this.start) - vs.offset;
      const maxRef = (at ?? this.end) - vs.offset;
      const raw = this.loadSeries(vs.matchers, minRef - e.range, maxRef);
      const series: RangeData[] = [];
      for (const r of raw) {
        this.checkDeadline();
        const words = wordsOf(r.values);
        const len = r.times.length;
        this.ctx.loaded += len;
        let stale = 0;
        for (let i = 0; i < len; i++) if (isStale(words, i)) stale++;
        if (stale === 0) {
          series.push({ labels: r.labels, times: r.times, values: r.values });
        } else {
          const times = new Float64Array(len - stale);
          const values = new Float64Array(len - stale);
          let k = 0;
          for (let i = 0; i < len; i++) {
            if (isStale(words, i)) continue;
            times[k] = r.times[i];
            values[k] = r.values[i];
            k++;
          }
          series.push({ labels: r.labels, times, values });
        }
      }
      return { series, range: e.range, offset: vs.offset, at };
    }
    const mat = this.evalSubquery(e);
    return {
      series: mat.map((s) => ({
        labels: s.labels,
        dropName: s.dropName,
        times: Float64Array.from(s.ts),
        values: Float64Array.from(s.vs),
      })),
      range: e.range,
      offset: e.offset,
      at: this.atMs(e.at),
    };
  }

  // -------------------------------------------------------------------------------------
  // Step-wise evaluation (Prometheus's rangeEval).

  /**
   * Evaluates `fn` at every step on the samples of `inputs` at that step and assembles the
   * output series. `sigs[k]`, when given, is the join signature of each series of input k.
   */
  private rangeEval(
    inputs: Matrix[],
    fn: (vecs: VSample[][], ts: number, step: number) => VSample[],
    sigs?: (string[] | undefined)[],
  ): Matrix {
    const cursors = inputs.map((m) => new Int32Array(m.length));
    const out = new Map<string, Series>();
    const before = this.ctx.cur;
    let produced = 0;
    for (let i = 0; i < this.n; i++) {
      this.checkDeadline();
      const ts = this.start + i * this.interval;
      const vecs: VSample[][] = [];
      for (let k = 0; k < inputs.length; k++) {
        const m = inputs[k];
        const cur = cursors[k];
        const sg = sigs?.[k];
        const vec: VSample[] = [];
        for (let si = 0; si < m.length; si++) {
          const s = m[si];
          const c = cur[si];
          if (c < s.ts.length && s.ts[c] === ts) {
            const smp: VSample = { labels: s.labels, v: s.vs[c], dropName: s.dropName };
            if (sg) smp.sig = sg[si];
            vec.push(smp);
            cur[si] = c + 1;
          }
        }
        vecs.push(vec);
      }
      const res = fn(vecs, ts, i);
      for (const smp of res) {
        const key = this.ctx.labelKeys.get(smp.labels);
        let s = out.get(key);
        if (!s) {
          s = { labels: smp.labels, dropName: smp.dropName, ts: [], vs: [] };
          out.set(key, s);
        } else if (s.ts.length > 0 && s.ts[s.ts.length - 1] === ts) {
          throw execErr('vector cannot contain metrics with the same labelset');
        }
        s.ts.push(ts);
        s.vs.push(smp.v);
      }
      produced += res.length;
      this.addSamples(res.length);
    }
    this.ctx.cur = before + produced;
    return [...out.values()];
  }

  // -------------------------------------------------------------------------------------
  // Aggregations.

  private evalAggregate(e: AggregateExpr): Matrix {
    const grouping = [...e.grouping].sort();
    if (e.op === 'count_values') return this.evalCountValues(e, grouping);

    let params: number[] | null = null;
    if (e.param) params = this.scalarValues(e.param);
    const before = this.ctx.cur;
    const input = this.eval(e.expr);

    // Group mapping.
    const excluded = new Set<string>([...grouping, '__name__']);
    const groupIdx = new Int32Array(input.length);
    const groupKeys = new Map<string, number>();
    const groupLabels: Labels[] = [];
    const isK = e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk' || e.op === 'limit_ratio';
    for (let si = 0; si < input.length; si++) {
      const l = input[si].labels;
      const key = e.without ? keyWithoutLabels(l, excluded) : grouping.length === 0 ? '' : keyForLabels(l, grouping);
      let gi = groupKeys.get(key);
      if (gi === undefined) {
        gi = groupLabels.length;
        groupKeys.set(key, gi);
        let gl: Labels;
        if (e.without) {
          gl = {};
          for (const k in l) if (!excluded.has(k)) gl[k] = l[k];
        } else {
          gl = {};
          for (const k of grouping) if (l[k] !== undefined && l[k] !== '') gl[k] = l[k];
        }
        groupLabels.push(gl);
      }
      groupIdx[si] = gi;
    }
    const nGroups = groupLabels.length;

    if (isK) return this.evalAggregateK(e, params!, input, groupIdx, nGroups, before);

    if (e.op === 'quantile' && params) {
      let warnedNaN = false;
      for (const q of params) {
        if (q !== q) {
          if (!warnedNaN) this.ctx.warnings.add(invalidQuantileWarning(NaN));
          warnedNaN = true;
        } else if (q < 0 || q > 1) this.ctx.warnings.add(invalidQuantileWarning(q));
      }
    }

    const results: Series[] = groupLabels.map((l) => ({ labels: l, dropName: false, ts: [], vs: [] }));
    const seen = new Uint8Array(nGroups);
    const val = new Float64Array(nGroups);
    const mean = new Float64Array(nGroups);
    const kc = new Float64Array(nGroups);
    const cnt = new Float64Array(nGroups);
    const incr = new Uint8Array(nGroups);
    const dn = new Uint8Array(nGroups);
    const heaps: number[][] = [];
    const cursors = new Int32Array(input.length);
    const op = e.op;
    for (let i = 0; i < this.n; i++) {
      this.checkDeadline();
      const ts = this.start + i * this.interval;
      seen.fill(0);
      for (let si = 0; si < input.length; si++) {
        const s = input[si];
        const c = cursors[si];
        if (!(c < s.ts.length && s.ts[c] === ts)) continue;
        cursors[si] = c + 1;
        const f = s.vs[c];
        const g = groupIdx[si];
        if (!seen[g]) {
          seen[g] = 1;
          val[g] = f;
          mean[g] = f;
          kc[g] = 0;
          cnt[g] = 1;
          incr[g] = 0;
          dn[g] = s.dropName ? 1 : 0;
          switch (op) {
            case 'stddev':
            case 'stdvar':
              val[g] = f !== f || f === Infinity || f === -Infinity ? NaN : 0;
              break;
            case 'quantile':
              heaps[g] = [f];
              break;
            case 'group':
              val[g] = 1;
              break;
          }
          continue;
        }
        if (s.dropName) dn[g] = 1;
        switch (op) {
          case 'sum': {
            const [a, b] = kahanSumInc(f, val[g], kc[g]);
            val[g] = a;
            kc[g] = b;
            break;
          }
          case 'avg': {
            cnt[g]++;
            if (!incr[g]) {
              const [nv, nc] = kahanSumInc(f, val[g], kc[g]);
              if (nv !== Infinity && nv !== -Infinity) {
                val[g] = nv;
                kc[g] = nc;
                break;
              }
              incr[g] = 1;
              mean[g] = val[g] / (cnt[g] - 1);
              kc[g] /= cnt[g] - 1;
            }
            const q = (cnt[g] - 1) / cnt[g];
            const [m2, c2] = kahanSumInc(f / cnt[g], q * mean[g], q * kc[g]);
            mean[g] = m2;
            kc[g] = c2;
            break;
          }
          case 'group':
            break;
          case 'max':
            if (val[g] < f || val[g] !== val[g]) val[g] = f;
            break;
          case 'min':
            if (val[g] > f || val[g] !== val[g]) val[g] = f;
            break;
          case 'count':
            cnt[g]++;
            break;
          case 'stddev':
          case 'stdvar': {
            cnt[g]++;
            const delta = f - mean[g];
            mean[g] += delta / cnt[g];
            val[g] += delta * (f - mean[g]);
            break;
          }
          case 'quantile':
            heaps[g].push(f);
            break;
        }
      }
      let produced = 0;
      for (let g = 0; g < nGroups; g++) {
        if (!seen[g]) continue;
        let v = val[g];
        switch (op) {
          case 'avg':
            v = incr[g] ? mean[g] + kc[g] : val[g] / cnt[g] + kc[g] / cnt[g];
            break;
          case 'count':
            v = cnt[g];
            break;
          case 'stdvar':
            v = val[g] / cnt[g];
            break;
          case 'stddev':
            v = Math.sqrt(val[g] / cnt[g]);
            break;
          case 'quantile':
            v = quantile(params![i], heaps[g]);
            break;
          case 'sum':
            v = val[g] + kc[g];
            break;
        }
        const r = results[g];
        r.ts.push(ts);
        r.vs.push(v);
        if (dn[g]) r.dropName = true;
        produced++;
      }
      this.addSamples(produced);
    }
    const out = results.filter((r) => r.ts.length > 0);
    let total = 0;
    for (const r of out) total += r.ts.length;
    this.ctx.cur = before + total;
    return out;
  }

  private evalAggregateK(
    e: AggregateExpr,
    params: number[],
    input: Matrix,
    groupIdx: Int32Array,
    nGroups: number,
    before: number,
  ): Matrix {
    const op = e.op;
    let pmax = -Infinity;
    let pmin = Infinity;
    let hasNaN = false;
    for (const p of params) {
      if (p !== p) hasNaN = true;
      else {
        if (p > pmax) pmax = p;
        if (p < pmin) pmin = p;
      }
    }
    if (hasNaN && pmax === -Infinity) {
      pmax = NaN;
      pmin = NaN;
    }
    if (op === 'limit_ratio') {
      if (pmax === 0 && pmin === 0 && !hasNaN) return [];
      if (hasNaN) throw execErr('Ratio value is NaN');
      if (pmax > 1) this.ctx.warnings.add(`PromQL warning: ratio value should be between -1 and 1, got ${pmax}, capping to 1`);
      if (pmin < -1) this.ctx.warnings.add(`PromQL warning: ratio value should be between -1 and 1, got ${pmin}, capping to -1`);
    } else {
      if (!(pmax >= 1) && !hasNaN) return [];
      if (pmax < 1) return [];
      if (hasNaN) throw execErr('Parameter value is NaN');
      if (pmin <= -9223372036854775808) throw execErr(`Scalar value ${pmin} underflows int64`);
      if (pmax >= 9223372036854775807) throw execErr(`Scalar value ${pmax} overflows int64`);
    }
    const cursors = new Int32Array(input.length);
    const out = new Map<string, Series>();
    const instantOrder: Series[] = [];
    const instant = this.n === 1;
    for (let i = 0; i < this.n; i++) {
      this.checkDeadline();
      const ts = this.start + i * this.interval;
      const fParam = params[i];
      const heaps: (VSample[] | undefined)[] = new Array(nGroups);
      let stop = false;
      for (let si = 0; si < input.length; si++) {
        const s = input[si];
        const c = cursors[si];
        if (!(c < s.ts.length && s.ts[c] === ts)) continue;
        cursors[si] = c + 1;
        if (stop) continue;
        const smp: VSample = { labels: s.labels, v: s.vs[c], dropName: s.dropName };
        let k = 0;
        let r = 0;
        if (op === 'limit_ratio') {
          if (fParam === 0) {
            stop = true;
            continue;
          }
          r = fParam < -1 ? -1 : fParam > 1 ? 1 : fParam;
        } else {
          k = Math.min(Math.trunc(fParam), input.length);
          if (k < 1) {
            stop = true;
            continue;
          }
        }
        const g = groupIdx[si];
        let h = heaps[g];
        if (!h) {
          h = [];
          heaps[g] = h;
          if (op === 'limit_ratio') {
            if (addRatioSample(r, smp.labels, this.ctx.sampleOffsets)) heapPush(h, smp, byValueLess);
          } else if (op === 'bottomk') heapPush(h, smp, byReverseValueLess);
          else heapPush(h, smp, byValueLess);
          continue;
        }
        switch (op) {
          case 'topk':
            if (h.length < k) heapPush(h, smp, byValueLess);
            else if (h[0].v < smp.v || (h[0].v !== h[0].v && smp.v === smp.v)) {
              h[0] = smp;
              if (k > 1) heapFix(h, 0, byValueLess);
            }
            break;
          case 'bottomk':
            if (h.length < k) heapPush(h, smp, byReverseValueLess);
            else if (h[0].v > smp.v || (h[0].v !== h[0].v && smp.v === smp.v)) {
              h[0] = smp;
              if (k > 1) heapFix(h, 0, byReverseValueLess);
            }
            break;
          case 'limitk':
            if (h.length < k) heapPush(h, smp, byValueLess);
            break;
          case 'limit_ratio':
            if (addRatioSample(r, smp.labels, this.ctx.sampleOffsets)) heapPush(h, smp, byValueLess);
            break;
        }
      }
      if (stop) continue;
      let produced = 0;
      for (let g = 0; g < nGroups; g++) {
        const h = heaps[g];
        if (!h) continue;
        if (op === 'topk' && h.length > 1) insertionSort(h, (a, b) => byValueLess(b, a));
        if (op === 'bottomk' && h.length > 1) insertionSort(h, (a, b) => byReverseValueLess(b, a));
        for (const smp of h) {
          produced++;
          if (instant) {
            instantOrder.push({ labels: smp.labels, dropName: smp.dropName, ts: [ts], vs: [smp.v] });
            continue;
          }
          const key = this.ctx.labelKeys.get(smp.labels);
          let s = out.get(key);
          if (!s) {
            s = { labels: smp.labels, dropName: smp.dropName, ts: [], vs: [] };
            out.set(key, s);
          }
          s.ts.push(ts);
          s.vs.push(smp.v);
        }
      }
      this.addSamples(produced);
    }
    const res = instant ? instantOrder : [...out.values()];
    let total = 0;
    for (const r of res) total += r.ts.length;
    this.ctx.cur = before + total;
    return res;
  }

  private evalCountValues(e: AggregateExpr, grouping: string[]): Matrix {
    const valueLabel = stringArg(e.param!);
    if (valueLabel === '' || !isValidUtf8Name(valueLabel)) throw execErr(`invalid label name "${valueLabel}"`);
    const g = e.without ? grouping : [...grouping, valueLabel].sort();
    const excluded = new Set<string>([...g, '__name__']);
    const input = this.eval(e.expr);
    return this.rangeEval([input], (vecs) => {
      const groups = new Map<string, { labels: Labels; count: number }>();
      for (const s of vecs[0]) {
        const l: Labels = { ...s.labels, [valueLabel]: formatFloatF(s.v) };
        const key = e.without ? keyWithoutLabels(l, excluded) : keyForLabels(l, g);
        const gr = groups.get(key);
        if (gr) {
          gr.count++;
          continue;
        }
        let gl: Labels = {};
        if (e.without) {
          for (const k in l) if (!excluded.has(k)) gl[k] = l[k];
        } else if (g.length > 0) {
          for (const k of g) if (l[k] !== undefined && l[k] !== '') gl[k] = l[k];
        } else gl = {};
        groups.set(key, { labels: gl, count: 1 });
      }
      return [...groups.values()].map((x) => ({ labels: x.labels, v: x.count, dropName: false }));
    });
  }

  // -------------------------------------------------------------------------------------
  // Binary operators.

  private evalBinary(e: BinaryExpr): Matrix {
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const op = e.op;
    if (lt === 'scalar' && rt === 'scalar') {
      const l = this.scalarValues(e.lhs);
      const r = this.scalarValues(e.rhs);
      const steps = this.stepTimes();
      this.addSamples(steps.length);
      return [{ labels: {}, dropName: false, ts: steps, vs: steps.map((_, i) => scalarBinop(op, l[i], r[i])) }];
    }
    if (lt === 'vector' && rt === 'vector') return this.evalVectorBinary(e);
    // vector-scalar
    const swap = lt === 'scalar';
    const vecExpr = swap ? e.rhs : e.lhs;
    const scalExpr = swap ? e.lhs : e.rhs;
    let scal: number[];
    let vec: Matrix;
    if (swap) {
      scal = this.scalarValues(scalExpr);
      vec = this.eval(vecExpr);
    } else {
      vec = this.eval(vecExpr);
      scal = this.scalarValues(scalExpr);
    }
    const cmp = isComparison(op);
    const schema = changesMetricSchema(op);
    const out: Matrix = [];
    for (const s of vec) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let j = 0; j < s.ts.length; j++) {
        const step = Math.round((s.ts[j] - this.start) / this.interval);
        const sv = scal[step];
        const lf = swap ? sv : s.vs[j];
        const rf = swap ? s.vs[j] : sv;
        // A comparison filters (keeping the vector side's value); arithmetic always keeps.
        let keep = true;
        let v: number;
        if (cmp) {
          keep = compareBinop(op, lf, rf);
          v = swap ? rf : lf;
        } else v = arithBinop(op, lf, rf);
        if (e.returnBool) {
          v = keep ? 1 : 0;
          keep = true;
        }
        if (keep) {
          ts.push(s.ts[j]);
          vs.push(v);
        }
      }
      if (ts.length > 0) out.push({ labels: s.labels, dropName: s.dropName || schema || e.returnBool, ts, vs });
    }
    return out;
  }

  /**
   * `and`, `or` and `unless` series by series: the other side's samples are marked in a
   * (signature × step) bitmap, then each series' samples are kept or dropped by one lookup.
   * The result (series, samples, their order) is that of the step-by-step join below.
   */
  private setOpBySeries(op: BinaryOp, lhs: Matrix, rhs: Matrix, lOrd: Int32Array, rOrd: Int32Array, nSig: number): Matrix {
    const n = this.n;
    const start = this.start;
    const interval = this.interval;
    // Step i of each sample, walking a series as the step-by-step join does: a sample that is
    // not on a later step than the one before stops the series there.
    const stepsOf = (s: Series): Int32Array => {
      const ts = s.ts;
      const out = new Int32Array(ts.length);
      let prev = -1;
      let k = 0;
      for (; k < ts.length; k++) {
        const t = ts[k];
        const i = Math.round((t - start) / interval);
        if (!(i > prev && i < n && start + i * interval === t)) break;
        out[k] = i;
        prev = i;
      }
      return k === ts.length ? out : out.subarray(0, k);
    };
    const other = op === 'or' ? lhs : rhs;
    const otherOrd = op === 'or' ? lOrd : rOrd;
    const marked = new Uint8Array(nSig * n);
    const otherSteps: Int32Array[] = [];
    for (let x = 0; x < other.length; x++) {
      this.checkDeadline();
      const steps = stepsOf(other[x]);
      otherSteps.push(steps);
      const base = otherOrd[x] * n;
      for (let k = 0; k < steps.length; k++) marked[base + steps[k]] = 1;
    }
    // kept samples of one series; `keepMarked`: keep where marked (and), else where not
    const out: { s: Series; first: number; side: number; x: number }[] = [];
    let produced = 0;
    const filter = (src: Series, steps: Int32Array, base: number, keepMarked: boolean, side: number, x: number): void => {
      const ts: number[] = [];
      const vs: number[] = [];
      let first = -1;
      for (let k = 0; k < steps.length; k++) {
        const i = steps[k];
        if ((marked[base + i] === 1) !== keepMarked) continue;
        if (first < 0) first = i;
        ts.push(src.ts[k]);
        vs.push(src.vs[k]);
      }
      if (first < 0) return;
      produced += ts.length;
      out.push({ s: { labels: src.labels, dropName: src.dropName, ts, vs }, first, side, x });
    };
    if (op === 'or') {
      for (let x = 0; x < lhs.length; x++) {
        const s = lhs[x];
        const steps = otherSteps[x];
        if (steps.length === 0) continue;
        const ts = steps.length === s.ts.length ? s.ts.slice() : s.ts.slice(0, steps.length);
        const vs = steps.length === s.vs.length ? s.vs.slice() : s.vs.slice(0, steps.length);
        produced += ts.length;
        out.push({ s: { labels: s.labels, dropName: s.dropName, ts, vs }, first: steps[0], side: 0, x });
      }
      for (let x = 0; x < rhs.length; x++) {
        this.checkDeadline();
        filter(rhs[x], stepsOf(rhs[x]), rOrd[x] * n, false, 1, x);
      }
    } else {
      const keepMarked = op === 'and';
      for (let x = 0; x < lhs.length; x++) {
        this.checkDeadline();
        filter(lhs[x], stepsOf(lhs[x]), lOrd[x] * n, keepMarked, 0, x);
      }
    }
    // the step-by-step join creates series in order of their first sample's step, the left
    // side's before the right's, each side by index
    out.sort((a, b) => a.first - b.first || a.side - b.side || a.x - b.x);
    const before = this.ctx.cur;
    this.addSamples(produced);
    this.ctx.cur = before + produced;
    return mergeSameLabelset(out.map((o) => o.s));
  }

  private evalVectorBinary(e: BinaryExpr): Matrix {
    const op = e.op;
    const setOp = op === 'and' || op === 'or' || op === 'unless';
    const matching: VectorMatching = e.matching ?? {
      card: setOp ? 'many-to-many' : 'one-to-one',
      labels: [],
      on: false,
      include: [],
    };
    const lhs = this.eval(e.lhs);
    const rhs = this.eval(e.rhs);
    const names = [...matching.labels].sort();
    const excl = new Set<string>([...matching.labels, '__name__']);
    const sigOf = (l: Labels): string => (matching.on ? keyForLabels(l, names) : keyWithoutLabels(l, excl));
    const lsigs = lhs.map((s) => sigOf(s.labels));
    const rsigs = rhs.map((s) => sigOf(s.labels));

    // Join signatures as ordinals, computed once per series.
    const sigOrd = new Map<string, number>();
    const ord = (sig: string): number => {
      let o = sigOrd.get(sig);
      if (o === undefined) {
        o = sigOrd.size;
        sigOrd.set(sig, o);
      }
      return o;
    };
    const lOrd = Int32Array.from(lsigs.map(ord));
    const rOrd = Int32Array.from(rsigs.map(ord));
    const nSig = sigOrd.size;

    // Output series in order of creation, keyed by a number unique to their origin.
    const outSeries: Series[] = [];
    const outIdx = new Map<number, Series>();
    let produced = 0;
    const emit = (key: number, labels: Labels, dropName: boolean, ts: number, v: number): void => {
      let s = outIdx.get(key);
      if (!s) {
        s = { labels, dropName, ts: [], vs: [] };
        outIdx.set(key, s);
        outSeries.push(s);
      }
      s.ts.push(ts);
      s.vs.push(v);
      produced++;
    };
    const before = this.ctx.cur;
    const finish = (): Matrix => {
      this.addSamples(produced);
      this.ctx.cur = before + produced;
      return mergeSameLabelset(outSeries);
    };

    // Present samples of one side at one step.
    const present = (m: Matrix, cur: Int32Array, ts: number, idx: number[], val: number[]): void => {
      idx.length = 0;
      val.length = 0;
      for (let k = 0; k < m.length; k++) {
        const s = m[k];
        const c = cur[k];
        if (c < s.ts.length && s.ts[c] === ts) {
          idx.push(k);
          val.push(s.vs[c]);
          cur[k] = c + 1;
        }
      }
    };
    const lc = new Int32Array(lhs.length);
    const rc = new Int32Array(rhs.length);
    const li: number[] = [];
    const lv: number[] = [];
    const ri: number[] = [];
    const rv: number[] = [];
    const stamp = new Int32Array(nSig).fill(-1);
    const nL = lhs.length;

    if (setOp && nSig * this.n <= SET_OP_BITMAP_MAX) return this.setOpBySeries(op, lhs, rhs, lOrd, rOrd, nSig);
    if (setOp) {
      for (let i = 0; i < this.n; i++) {
        this.checkDeadline();
        const ts = this.start + i * this.interval;
        present(lhs, lc, ts, li, lv);
        present(rhs, rc, ts, ri, rv);
        if (op === 'or') {
          for (let k = 0; k < li.length; k++) {
            const x = li[k];
            stamp[lOrd[x]] = i;
            emit(x, lhs[x].labels, lhs[x].dropName, ts, lv[k]);
          }
          for (let k = 0; k < ri.length; k++) {
            const x = ri[k];
            if (stamp[rOrd[x]] !== i) emit(nL + x, rhs[x].labels, rhs[x].dropName, ts, rv[k]);
          }
          continue;
        }
        if (op === 'and' && ri.length === 0) continue;
        for (let k = 0; k < ri.length; k++) stamp[rOrd[ri[k]]] = i;
        for (let k = 0; k < li.length; k++) {
          const x = li[k];
          const hit = stamp[lOrd[x]] === i;
          if (hit === (op === 'and')) emit(x, lhs[x].labels, lhs[x].dropName, ts, lv[k]);
        }
      }
      return finish();
    }

    const schema = changesMetricSchema(op);
    const resultMetric = (l: Labels, r: Labels): Labels => {
      let out: Labels = { ...l };
      if (schema) {
        delete out.__name__;
        delete out.__type__;
        delete out.__unit__;
      }
      if (matching.card === 'one-to-one') {
        if (matching.on) {
          const keep: Labels = {};
          for (const n of matching.labels) if (out[n] !== undefined) keep[n] = out[n];
          out = keep;
        } else {
          for (const n of matching.labels) delete out[n];
        }
      }
      for (const ln of matching.include) {
        const v = r[ln];
        if (v !== undefined && v !== '') out[ln] = v;
        else delete out[ln];
      }
      return out;
    };
    // The "many" side A and the "one" side B (swapped for group_right).
    const swap = matching.card === 'one-to-many';
    const A = swap ? rhs : lhs;
    const B = swap ? lhs : rhs;
    const aOrd = swap ? rOrd : lOrd;
    const bOrd = swap ? lOrd : rOrd;
    const nB = B.length;
    const slotIdx = new Int32Array(nSig);
    const slotVal = new Float64Array(nSig);
    const matchedStamp = new Int32Array(nSig).fill(-1);
    const pairLabels = new Map<number, Labels>();
    const oneToOne = matching.card === 'one-to-one';
    const cmp = isComparison(op);
    for (let i = 0; i < this.n; i++) {
      this.checkDeadline();
      const ts = this.start + i * this.interval;
      present(lhs, lc, ts, li, lv);
      present(rhs, rc, ts, ri, rv);
      if (li.length === 0 || ri.length === 0) continue;
      const ai = swap ? ri : li;
      const av = swap ? rv : lv;
      const bi = swap ? li : ri;
      const bv = swap ? lv : rv;
      for (let k = 0; k < bi.length; k++) {
        const o = bOrd[bi[k]];
        if (stamp[o] === i) {
          const rs = B[bi[k]].labels;
          const d = B[slotIdx[o]].labels;
          throw execErr(
            `found duplicate series for the match group ${formatLabels(matchLabels(rs, matching))} on the ${swap ? 'left' : 'right'} hand-side of the operation: [${formatLabels(rs)}, ${formatLabels(d)}];many-to-many matching not allowed: matching labels must be unique on one side`,
          );
        }
        stamp[o] = i;
        slotIdx[o] = bi[k];
        slotVal[o] = bv[k];
      }
      const inserted = oneToOne ? null : new Map<number, Set<string>>();
      for (let k = 0; k < ai.length; k++) {
        const a = ai[k];
        const o = aOrd[a];
        if (stamp[o] !== i) continue;
        const b = slotIdx[o];
        const fl = swap ? slotVal[o] : av[k];
        const fr = swap ? av[k] : slotVal[o];
        const keep = !cmp || compareBinop(op, fl, fr);
        const val = e.returnBool ? (keep ? 1 : 0) : cmp ? fl : arithBinop(op, fl, fr);
        const pk = a * nB + b;
        let metric = pairLabels.get(pk);
        if (!metric) {
          metric = resultMetric(A[a].labels, B[b].labels);
          pairLabels.set(pk, metric);
        }
        if (inserted === null) {
          if (matchedStamp[o] === i) {
            throw execErr('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
          }
          matchedStamp[o] = i;
        } else {
          const ins = this.ctx.labelKeys.get(metric);
          let set = inserted.get(o);
          if (!set) {
            set = new Set();
            inserted.set(o, set);
          } else if (set.has(ins)) {
            throw execErr('multiple matches for labels: grouping labels must ensure unique matches');
          }
          set.add(ins);
        }
        if (!keep && !e.returnBool) continue;
        emit(pk, metric, e.returnBool, ts, val);
      }
    }
    return finish();
  }

  // -------------------------------------------------------------------------------------
  // Function calls.

  private evalCall(e: Call): Matrix {
    const name = e.func;
    const args = e.args;

    // Functions over a range vector.
    const rangeIdx = args.findIndex((a) => {
      const u = unwrapParens(a);
      return u.type === 'MatrixSelector' || u.type === 'SubqueryExpr';
    });
    if (rangeIdx >= 0 && (RANGE_FUNCTIONS[name] || name === 'absent_over_time')) {
      return this.evalRangeFunction(e, rangeIdx);
    }

    const math = MATH_FUNCTIONS[name];
    if (math) return this.mapValues(this.eval(args[0]), math);

    const date = DATE_FUNCTIONS[name];
    if (date) {
      if (args.length === 0) return [this.constSeries((ts) => date(Math.trunc(ts / 1000)))];
      return this.mapValues(this.eval(args[0]), (v) => date(v));
    }

    switch (name) {
      case 'time':
        return [this.constSeries((ts) => ts / 1000)];
      case 'pi':
        return [this.constSeries(() => Math.PI)];
      case 'step': {
        const v = this.ctx.queryStep / 1000;
        return [this.constSeries(() => v)];
      }
      case 'range': {
        const v = (this.ctx.queryEnd - this.ctx.queryStart) / 1000;
        return [this.constSeries(() => v)];
      }
      case 'start': {
        const v = this.ctx.queryStart / 1000;
        return [this.constSeries(() => v)];
      }
      case 'end': {
        const v = this.ctx.queryEnd / 1000;
        return [this.constSeries(() => v)];
      }
      case 'min_of':
      case 'max_of': {
        const a = this.scalarValues(args[0]);
        const b = this.scalarValues(args[1]);
        const f = name === 'min_of' ? goMin : goMax;
        return [this.constSeries((ts) => {
          const i = Math.round((ts - this.start) / this.interval);
          return f(a[i], b[i]);
        })];
      }
      case 'histogram_count':
      case 'histogram_sum':
      case 'histogram_avg':
      case 'histogram_stddev':
      case 'histogram_stdvar':
        // These read native histograms only; float samples give no output.
        this.eval(args[0]);
        return [];
      case 'vector': {
        const vals = this.scalarValues(args[0]);
        return [this.constSeries((ts) => vals[Math.round((ts - this.start) / this.interval)])];
      }
      case 'scalar': {
        const m = this.eval(args[0]);
        return [
          {
            labels: {},
            dropName: false,
            ...this.collectScalar(m),
          },
        ];
      }
      case 'timestamp': {
        const a = unwrapParens(args[0]);
        if (a.type === 'VectorSelector') return this.evalVectorSelector(a, true);
        const m = this.eval(a);
        for (const s of m) {
          s.dropName = true;
          for (let j = 0; j < s.ts.length; j++) s.vs[j] = s.ts[j] / 1000;
        }
        return m;
      }
      case 'round': {
        const to = args.length > 1 ? this.scalarValues(args[1]) : null;
        return this.mapValuesStep(this.eval(args[0]), (v, step) => roundTo(v, to ? to[step] : 1));
      }
      case 'clamp': {
        const m = this.eval(args[0]);
        const lo = this.scalarValues(args[1]);
        const hi = this.scalarValues(args[2]);
        return this.mapValuesStep(m, (v, step) => clamp(v, lo[step], hi[step]));
      }
      case 'clamp_min': {
        const m = this.eval(args[0]);
        const lo = this.scalarValues(args[1]);
        return this.mapValuesStep(m, (v, step) => clamp(v, lo[step], Infinity));
      }
      case 'clamp_max': {
        const m = this.eval(args[0]);
        const hi = this.scalarValues(args[1]);
        return this.mapValuesStep(m, (v, step) => clamp(v, -Infinity, hi[step]));
      }
      case 'absent': {
        const m = this.eval(args[0]);
        const labels = absentLabels(args[0]);
        const has = new Uint8Array(this.n);
        for (const s of m) for (const t of s.ts) has[Math.round((t - this.start) / this.interval)] = 1;
        const ts: number[] = [];
        const vs: number[] = [];
        for (let i = 0; i < this.n; i++) {
          if (!has[i]) {
            ts.push(this.start + i * this.interval);
            vs.push(1);
          }
        }
        return ts.length > 0 ? [{ labels, dropName: false, ts, vs }] : [];
      }
      case 'sort':
      case 'sort_desc':
      case 'sort_by_label':
      case 'sort_by_label_desc': {
        const m = this.eval(args[0]);
        if (this.n !== 1) {
          // Inside a subquery the order does not matter; a range query's result is sorted by labels.
          if (this.ctx.queryStep > 0) {
            this.ctx.warnings.add(
              'PromQL warning: sort is ineffective for range queries since results are always ordered by labels',
            );
          }
          return m;
        }
        if (name === 'sort') insertionSort(m, (a, b) => byReverseValueLessS(b, a));
        else if (name === 'sort_desc') insertionSort(m, (a, b) => byValueLessS(b, a));
        else {
          const lbls = args.slice(1).map(stringArg);
          const desc = name === 'sort_by_label_desc';
          const cmp = (a: Series, b: Series): number => {
            for (const l of lbls) {
              const v1 = a.labels[l] ?? '';
              const v2 = b.labels[l] ?? '';
              if (v1 === v2) continue;
              const r = natLess(v1, v2) ? -1 : 1;
              return desc ? -r : r;
            }
            const r = compareLabels(a.labels, b.labels);
            return desc ? -r : r;
          };
          m.sort(cmp);
        }
        return m;
      }
      case 'label_replace': {
        const dst = stringArg(args[1]);
        const repl = stringArg(args[2]);
        const src = stringArg(args[3]);
        const re = stringArg(args[4]);
        checkLabelReplaceArgs(dst, re);
        const m = this.eval(args[0]);
        for (const s of m) {
          const nl = labelReplace(s.labels, dst, repl, src, re);
          if (nl !== s.labels) {
            s.labels = nl;
            if (dst === '__name__') s.dropName = false;
          }
        }
        return mergeSameLabelset(m);
      }
      case 'label_join': {
        const dst = stringArg(args[1]);
        const sep = stringArg(args[2]);
        const srcs = args.slice(3).map(stringArg);
        checkLabelJoinArgs(dst, srcs);
        const m = this.eval(args[0]);
        for (const s of m) {
          s.labels = labelJoin(s.labels, dst, sep, srcs);
          if (dst === '__name__') s.dropName = false;
        }
        return mergeSameLabelset(m);
      }
      case 'histogram_quantile':
        return this.evalHistogramQuantile(e);
      case 'histogram_fraction':
        return this.evalHistogramFraction(e);
      case 'histogram_quantiles':
        return this.evalHistogramQuantiles(e);
      case 'info':
        return this.evalInfo(e);
    }
    if (RANGE_FUNCTIONS[name] || name === 'absent_over_time') {
      throw new PromQLError('bad_data', `expected type range vector in call to function "${name}"`);
    }
    throw new PromQLError('bad_data', `function "${name}" is not supported`);
  }

  private collectScalar(m: Matrix): { ts: number[]; vs: number[] } {
    const count = new Int32Array(this.n);
    const val = new Float64Array(this.n);
    for (const s of m) {
      for (let j = 0; j < s.ts.length; j++) {
        const i = Math.round((s.ts[j] - this.start) / this.interval);
        count[i]++;
        val[i] = s.vs[j];
      }
    }
    const ts = this.stepTimes();
    const vs = ts.map((_, i) => (count[i] === 1 ? val[i] : NaN));
    return { ts, vs };
  }

  private mapValues(m: Matrix, f: (v: number) => number): Matrix {
    for (const s of m) {
      s.dropName = true;
      for (let j = 0; j < s.vs.length; j++) s.vs[j] = f(s.vs[j]);
    }
    return m;
  }

  private mapValuesStep(m: Matrix, f: (v: number, step: number) => number | undefined): Matrix {
    const out: Matrix = [];
    for (const s of m) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let j = 0; j < s.ts.length; j++) {
        const step = Math.round((s.ts[j] - this.start) / this.interval);
        const v = f(s.vs[j], step);
        if (v !== undefined) {
          ts.push(s.ts[j]);
          vs.push(v);
        }
      }
      if (ts.length > 0) out.push({ labels: s.labels, dropName: true, ts, vs });
    }
    return out;
  }

  private evalRangeFunction(e: Call, rangeIdx: number): Matrix {
    const name = e.func;
    const params: number[][] = [];
    for (let i = 0; i < e.args.length; i++) {
      if (i !== rangeIdx) params.push(this.scalarValues(e.args[i]));
    }
    const argExpr = unwrapParens(e.args[rangeIdx]) as MatrixSelector | SubqueryExpr;
    if (argExpr.type === 'MatrixSelector' && this.ctx.src.selectWindows) {
      const fromTier = evalFromTier(this, e, argExpr);
      if (fromTier !== null) return fromTier;
    }
    const before = this.ctx.cur;
    const arg = this.rangeArg(argExpr);
    const fn = RANGE_FUNCTIONS[name];
    const notes = this.notes();
    const keepName = name === 'last_over_time' || name === 'first_over_time';
    const out: Matrix = [];
    const present = name === 'absent_over_time' ? new Uint8Array(this.n) : null;
    const p = new Array<number>(params.length);
    let total = 0;
    for (const s of arg.series) {
      this.checkDeadline();
      const times = s.times;
      const len = times.length;
      const w: RangeWindow = {
        times,
        values: s.values,
        lo: 0,
        hi: 0,
        rangeStart: 0,
        rangeEnd: 0,
        metricName: s.labels.__name__,
        evalTime: 0,
      };
      let lo = 0;
      let hi = 0;
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < this.n; i++) {
        const t = this.start + i * this.interval;
        const ref = (arg.at ?? t) - arg.offset;
        const rs = ref - arg.range;
        hi = firstAfter(times, hi, len, ref);
        lo = firstAfter(times, lo, len, rs);
        if (lo >= hi) continue;
        if (present) {
          present[i] = 1;
          continue;
        }
        w.lo = lo;
        w.hi = hi;
        w.rangeStart = rs;
        w.rangeEnd = ref;
        w.evalTime = t;
        for (let k = 0; k < params.length; k++) p[k] = params[k][i];
        this.addSamples(hi - lo);
        const v = fn(w, p, notes);
        this.ctx.cur -= hi - lo;
        if (v !== undefined) {
          ts.push(t);
          vs.push(v);
        }
      }
      if (ts.length > 0) {
        this.addSamples(ts.length);
        total += ts.length;
        out.push({ labels: s.labels, dropName: !keepName || s.dropName === true, ts, vs });
      }
    }
    this.ctx.cur = before + total;
    if (present) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < this.n; i++) {
        if (!present[i]) {
          ts.push(this.start + i * this.interval);
          vs.push(1);
        }
      }
      const labels = argExpr.type === 'MatrixSelector' ? absentLabels(argExpr) : {};
      return ts.length > 0 ? [{ labels, dropName: true, ts, vs }] : [];
    }
    return out;
  }

  private evalHistogramQuantile(e: Call): Matrix {
    const qs = this.scalarValues(e.args[0]);
    const warned = new Set<string>();
    for (const q of qs) {
      if (q !== q || q < 0 || q > 1) {
        const m = invalidQuantileWarning(q);
        if (!warned.has(m)) this.ctx.warnings.add(m);
        warned.add(m);
      }
    }
    const vec = this.eval(e.args[1]);
    const notes = this.notes();
    return this.rangeEval([vec], (v, _ts, step) => {
      const groups = this.bucketGroups(v[0]);
      const out: VSample[] = [];
      for (const g of groups.values()) {
        if (g.buckets.length === 0) continue;
        out.push({ labels: g.labels, v: bucketQuantile(qs[step], g.buckets, notes), dropName: true });
      }
      return out;
    });
  }

  // -------------------------------------------------------------------------------------
  // info() (experimental), after Prometheus's promql/info.go.

  private matcherMatches(m: LabelMatcher, v: string): boolean {
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return this.ctx.regexes.get(m.value).test(v);
      case '!~':
        return !this.ctx.regexes.get(m.value).test(v);
    }
  }

  /**
   * The time at which info() reads info series for evaluation time ts: that of the first
   * vector selector of the argument, through the @ and offset of the subqueries around it.
   */
  private infoRefTime(arg: Expr): (ts: number) => number {
    const path: { at: number | null; offset: number }[] = [];
    const find = (e: Expr): boolean => {
      switch (e.type) {
        case 'VectorSelector':
          path.push({ at: this.atMs(e.at), offset: e.offset });
          return true;
        case 'MatrixSelector':
          return find(e.vector);
        case 'SubqueryExpr':
          path.push({ at: this.atMs(e.at), offset: e.offset });
          if (find(e.expr)) return true;
          path.pop();
          return false;
        case 'ParenExpr':
        case 'UnaryExpr':
          return find(e.expr);
        case 'AggregateExpr':
          return find(e.expr) || (e.param !== null && find(e.param));
        case 'BinaryExpr':
          return find(e.lhs) || find(e.rhs);
        case 'Call':
          return e.args.some(find);
        default:
          return false;
      }
    };
    find(arg);
    return (ts) => {
      let t = ts;
      for (const p of path) {
        if (p.at !== null) t = p.at;
        t -= p.offset;
      }
      return t;
    };
  }

  private evalInfo(e: Call): Matrix {
    const mat = this.eval(e.args[0]);
    const dataMatchers = new Map<string, LabelMatcher[]>();
    let infoNameMatchers: LabelMatcher[] = [];
    if (e.args.length > 1) {
      const sel = unwrapParens(e.args[1]);
      if (sel.type !== 'VectorSelector') throw new PromQLError('bad_data', 'info(): expected a label selector');
      for (const m of sel.matchers) {
        const a = dataMatchers.get(m.name) ?? [];
        a.push(m);
        dataMatchers.set(m.name, a);
        if (m.name === '__name__') infoNameMatchers.push(m);
      }
    } else {
      infoNameMatchers = [{ name: '__name__', op: '=', value: 'target_info' }];
    }
    // Info series themselves are not enriched: those whose name the (positive) name matchers select.
    const positive = infoNameMatchers.some((m) => m.op === '=' || m.op === '=~');
    const ignored = new Set<Series>();
    for (const s of mat) {
      const name = s.labels.__name__ ?? '';
      if (positive && infoNameMatchers.every((m) => this.matcherMatches(m, name))) ignored.add(s);
    }
    const ID = ['instance', 'job'];
    const idValues = new Map<string, Set<string>>();
    for (const s of mat) {
      if (ignored.has(s)) continue;
      for (const l of ID) {
        const v = s.labels[l];
        if (v === undefined || v === '') continue;
        let set = idValues.get(l);
        if (!set) idValues.set(l, (set = new Set()));
        set.add(v);
      }
    }
    const infoMatchers: LabelMatcher[] = [];
    let hasName = false;
    for (const ms of dataMatchers.values()) {
      for (const m of ms) {
        if (m.name === '__name__') hasName = true;
        infoMatchers.push(m);
      }
    }
    dataMatchers.delete('__name__');
    const refOf = this.infoRefTime(e.args[0]);

    // The info series, evaluated like a vector selector at refOf(ts); values are sample times.
    const infoMat: Matrix = [];
    if (idValues.size > 0) {
      for (const [name, vals] of idValues) {
        const re = [...vals].map((v) => v.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');
        infoMatchers.push({ name, op: '=~', value: re });
      }
      if (!hasName) infoMatchers.unshift({ name: '__name__', op: '=', value: 'target_info' });
      // Only negated name matchers: they pick among the info metrics (`*_info`), not all metrics.
      else if (!positive) infoMatchers.unshift({ name: '__name__', op: '=~', value: '.+_info' });
      const lb = this.ctx.lookback;
      const refs = this.stepTimes().map(refOf);
      let minRef = Infinity;
      let maxRef = -Infinity;
      for (const r of refs) {
        if (r < minRef) minRef = r;
        if (r > maxRef) maxRef = r;
      }
      for (const r of this.loadSeries(infoMatchers, minRef - lb, maxRef)) {
        const words = wordsOf(r.values);
        const ts: number[] = [];
        const vs: number[] = [];
        for (let i = 0; i < this.n; i++) {
          const ref = refs[i];
          // Newest sample in (ref - lookback, ref]; refs need not be monotonic, so search.
          let a = 0;
          let b = r.times.length;
          while (a < b) {
            const mid = (a + b) >> 1;
            if (r.times[mid] <= ref) a = mid + 1;
            else b = mid;
          }
          const k = a - 1;
          if (k >= 0 && r.times[k] > ref - lb && !isStale(words, k)) {
            ts.push(this.start + i * this.interval);
            vs.push(r.times[k]);
          }
        }
        if (ts.length > 0) {
          this.addSamples(ts.length);
          infoMat.push({ labels: r.labels, dropName: false, ts, vs });
        }
      }
    }

    const sigOf = (name: string, l: Labels): string => {
      let sig = name + '\xfe';
      for (const id of ID) if (l[id] !== undefined && l[id] !== '') sig += id + '\xff' + l[id] + '\xfe';
      return sig;
    };
    const infoNames = [...new Set(infoMat.map((s) => s.labels.__name__ ?? ''))];
    const infoSigs = infoMat.map((s) => sigOf(s.labels.__name__ ?? '', s.labels));
    const baseSigs = mat.map((s) => infoNames.map((n) => sigOf(n, s.labels)));
    const allMatchEmpty = [...dataMatchers.values()].every((ms) => ms.every((m) => this.matcherMatches(m, '')));
    const sigIdx = new Map<Labels, number>();
    mat.forEach((s, i) => sigIdx.set(s.labels, i));
    const infoIdx = new Map<Labels, number>();
    infoMat.forEach((s, i) => infoIdx.set(s.labels, i));

    return this.rangeEval([mat, infoMat], (v) => {
      const [base, info] = v;
      if (base.length === 0) return [];
      const right = new Map<string, VSample>();
      for (const smp of info) {
        const sig = infoSigs[infoIdx.get(smp.labels)!];
        const ex = right.get(sig);
        if (!ex || ex.v < smp.v) right.set(sig, smp);
        else if (ex.v === smp.v) {
          throw execErr(
            `found duplicate series for info metric: existing ${formatLabels(ex.labels)} @ ${ex.v}, new ${formatLabels(smp.labels)} @ ${smp.v}`,
          );
        }
      }
      const out: VSample[] = [];
      for (const bs of base) {
        const si = sigIdx.get(bs.labels)!;
        if (ignored.has(mat[si])) {
          out.push({ labels: bs.labels, v: bs.v, dropName: bs.dropName });
          continue;
        }
        const add: Labels = {};
        let seen = 0;
        for (let n = 0; n < infoNames.length; n++) {
          const is = right.get(baseSigs[si][n]);
          if (!is) continue;
          for (const name of Object.keys(is.labels).sort()) {
            if (name === '__name__') continue;
            if (dataMatchers.size > 0 && !dataMatchers.has(name)) continue;
            const val = is.labels[name];
            if (add[name] !== undefined && add[name] !== val) throw execErr(`conflicting label: ${name}`);
            if (bs.labels[name] !== undefined) continue;
            add[name] = val;
          }
          seen++;
        }
        if (seen === 0 && !allMatchEmpty) continue;
        out.push({ labels: { ...bs.labels, ...add }, v: bs.v, dropName: bs.dropName });
      }
      return out;
    });
  }

  private evalHistogramQuantiles(e: Call): Matrix {
    const vec = this.eval(e.args[0]);
    const label = stringArg(e.args[1]);
    const qs = e.args.slice(2).map((a) => this.scalarValues(a));
    for (const q of qs) {
      for (const v of q) if (v !== v || v < 0 || v > 1) this.ctx.warnings.add(invalidQuantileWarning(v));
    }
    const notes = this.notes();
    return this.rangeEval([vec], (v, _ts, step) => {
      const groups = this.bucketGroups(v[0]);
      const out: VSample[] = [];
      for (const q of qs) {
        const qv = q[step];
        const qStr = formatOpenMetricsFloat(qv);
        for (const g of groups.values()) {
          if (g.buckets.length === 0) continue;
          const l: Labels = { ...g.labels, [label]: qStr };
          out.push({ labels: l, v: bucketQuantile(qv, g.buckets, notes), dropName: true });
        }
      }
      return out;
    });
  }

  private evalHistogramFraction(e: Call): Matrix {
    const lower = this.scalarValues(e.args[0]);
    const upper = this.scalarValues(e.args[1]);
    const vec = this.eval(e.args[2]);
    return this.rangeEval([vec], (v, _ts, step) => {
      const groups = this.bucketGroups(v[0]);
      const out: VSample[] = [];
      for (const g of groups.values()) {
        if (g.buckets.length === 0) continue;
        out.push({ labels: g.labels, v: bucketFraction(lower[step], upper[step], g.buckets), dropName: true });
      }
      return out;
    });
  }

  private bucketGroups(vec: VSample[]): Map<string, { labels: Labels; buckets: Bucket[] }> {
    const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
    const excl = new Set(['le']);
    for (const s of vec) {
      const le = s.labels.le ?? '';
      const upper = parseGoFloat(le);
      if (upper === undefined) {
        const name = s.labels.__name__;
        this.ctx.warnings.add(
          `PromQL warning: bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)} for metric name ${JSON.stringify(name ?? '')}`,
        );
        continue;
      }
      const key = keyWithoutLabels(s.labels, excl);
      let g = groups.get(key);
      if (!g) {
        const l: Labels = { ...s.labels };
        delete l.le;
        g = { labels: l, buckets: [] };
        groups.set(key, g);
      }
      g.buckets.push({ upper, count: s.v });
    }
    return groups;
  }
}

/** labels.FormatOpenMetricsFloat. */
function formatOpenMetricsFloat(f: number): string {
  if (f === 1) return '1.0';
  if (f === 0) return '0.0';
  if (f === -1) return '-1.0';
  if (f !== f) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  let s = String(f);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) s = `${m[1]}e${m[2]}${m[3].padStart(2, '0')}`;
  if (!/[e.]/.test(s)) s += '.0';
  return s;
}

function byValueLessS(a: Series, b: Series): boolean {
  const va = a.vs[0];
  return va !== va ? true : va < b.vs[0];
}
function byReverseValueLessS(a: Series, b: Series): boolean {
  const va = a.vs[0];
  return va !== va ? true : va > b.vs[0];
}


function matchLabels(l: Labels, m: VectorMatching): Labels {
  const out: Labels = {};
  if (m.on) {
    for (const n of m.labels) if (l[n] !== undefined) out[n] = l[n];
  } else {
    const ex = new Set([...m.labels, '__name__']);
    for (const k in l) if (!ex.has(k)) out[k] = l[k];
  }
  return out;
}

function isValidUtf8Name(s: string): boolean {
  // Every non-empty, well-formed string is a valid label name in Prometheus 3.
  return s.length > 0 && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

