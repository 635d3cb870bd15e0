// Numeric kernels of PromQL's range-vector functions (`rate(x[5m])`, `*_over_time`, ...).
//
// Each kernel sees one series' samples inside one window and returns the output value, or
// undefined when the window produces no sample. They follow Prometheus 3.x's
// promql/functions.go exactly, float for float: Kahan (Neumaier) summation where Prometheus
// uses it, the same order of operations, the same NaN and ±Inf behaviour. Only float
// samples exist here (no native histograms), and the evaluator has already dropped stale
// markers and skipped empty windows (Prometheus never calls a function on an empty window;
// the kernels still return undefined for one).

import { PromQLError } from './types.js';
import { formatGoFloat, quantile } from './instantFunctions.js';

export interface RangeWindow {
  /** The series' sample times (ms), ascending; stale markers already removed by the evaluator. */
  times: Float64Array;
  values: Float64Array;
  /** The window is indices [lo, hi): samples with t in (rangeStart, rangeEnd]. */
  lo: number;
  hi: number;
  /** ms, exclusive (evaluation time - offset - range). */
  rangeStart: number;
  /** ms, inclusive (evaluation time - offset). */
  rangeEnd: number;
  /** __name__ of the series, for annotations. */
  metricName: string | undefined;
  /**
   * The evaluation time (ms) of the step, Prometheus's `enh.Ts`. Only predict_linear reads
   * it (its intercept is taken at the evaluation time, which differs from rangeEnd under
   * `offset` and `@`). Defaults to rangeEnd when absent.
   */
  evalTime?: number;
  /**
   * The selector's `anchored` / `smoothed` modifier (experimental extended range selectors;
   * only rate, increase, delta, resets and changes accept them). With either set, [lo, hi)
   * may also hold the last sample at or before rangeStart, and with `smoothed` the first
   * sample at or after rangeEnd; the kernels pick their boundary samples as Prometheus's
   * extendedRate / pickFirstSampleIndices do.
   */
  anchored?: boolean;
  smoothed?: boolean;
}

export interface Notes {
  warn(msg: string): void;
  info(msg: string): void;
}

/** Returns the output value, or undefined when this window produces no sample. */
export type RangeFunction = (w: RangeWindow, params: number[], notes: Notes) => number | undefined;

// ---------------------------------------------------------------------------------------
// Annotation texts (util/annotations), without the " (line:col)" position suffix that the
// API layer appends.

/** `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo"` */
export function possibleNonCounterInfo(metricName: string): string {
  return `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(metricName)}`;
}

/** `PromQL warning: quantile value should be between 0 and 1, got 1.5` */
export function invalidQuantileWarning(q: number): string {
  return `PromQL warning: quantile value should be between 0 and 1, got ${formatGoFloat(q)}`;
}

/** Go's %q for a string: double quotes, backslash escapes, non-printables as \x/\u escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) {
      out += '\\x' + cp.toString(16).padStart(2, '0');
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go would print the replacement escape.
      out += '\\ufffd';
    } else if (/\p{C}|\p{Z}/u.test(ch) && ch !== ' ') {
      out += cp > 0xffff ? '\\U' + cp.toString(16).padStart(8, '0') : '\\u' + cp.toString(16).padStart(4, '0');
    } else {
      out += ch;
    }
  }
  return out + '"';
}

// ---------------------------------------------------------------------------------------
// Kahan summation as Prometheus's util/kahansum.Inc (Neumaier's variant), in two halves so
// that nothing returns a pair: adding `inc` makes the sum `sum + inc`, and the compensation
// kahanComp(inc, sum, c). Kernels write `c = kahanComp(inc, sum, c); sum += inc;`.

/** The compensation after adding `inc` to `sum` (the sum before the addition). */
function kahanComp(inc: number, sum: number, c: number): number {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return 0;
  if (Math.abs(sum) >= Math.abs(inc)) return c + (sum - t + inc);
  return c + (inc - t + sum);
}

// ---------------------------------------------------------------------------------------
// rate, increase, delta: Prometheus's extrapolatedRate.

function extrapolatedRate(w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const { times, values, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const last = hi - 1;
  const firstT = times[lo];
  const lastT = times[last];
  const firstV = values[lo];
  let resultFloat = values[last] - firstV;
  if (isCounter) {
    let prev = firstV;
    for (let i = lo + 1; i < hi; i++) {
      const cur = values[i];
      if (cur < prev) resultFloat += prev;
      prev = cur;
    }
  }
  const numSamplesMinusOne = n - 1;
  let durationToStart = (firstT - w.rangeStart) / 1000;
  let durationToEnd = (w.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / numSamplesMinusOne;

  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) {
    durationToStart = averageDurationBetweenSamples / 2;
  }
  if (isCounter) {
    let durationToZero = durationToStart;
    if (resultFloat > 0 && firstV >= 0) {
      durationToZero = sampledInterval * (firstV / resultFloat);
    }
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) {
    durationToEnd = averageDurationBetweenSamples / 2;
  }
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= (w.rangeEnd - w.rangeStart) / 1000;
  return resultFloat * factor;
}

// ---------------------------------------------------------------------------------------
// rate, increase, delta with `anchored` / `smoothed`: Prometheus's extendedRate.

/** Go's sort.Search: the smallest i in [0, n) with pred(i) true, else n. */
function search(n: number, pred: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function interpolate(t1: number, y1: number, t2: number, y2: number, t: number, isCounter: boolean): number {
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
}

function extendedRate(w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const { times, values, lo, hi, rangeStart, rangeEnd } = w;
  const n = hi - lo;
  if (n < 1) return undefined;
  const smoothed = w.smoothed === true;
  const t = (i: number): number => times[lo + i];
  const v = (i: number): number => values[lo + i];
  let lastSampleIndex = n - 1;
  let firstSampleIndex = Math.max(0, search(lastSampleIndex, (i) => t(i) > rangeStart) - 1);
  if (smoothed) lastSampleIndex = search(lastSampleIndex, (i) => t(i) >= rangeEnd);
  if (t(lastSampleIndex) <= rangeStart) return undefined;
  if (smoothed && t(firstSampleIndex) > rangeEnd) return undefined;

  const f = firstSampleIndex;
  const left =
    smoothed && t(f) < rangeStart ? interpolate(t(f), v(f), t(f + 1), v(f + 1), rangeStart, isCounter) : v(f);
  const l = lastSampleIndex;
  const right =
    smoothed && l > 0 && t(l) > rangeEnd ? interpolate(t(l - 1), v(l - 1), t(l), v(l), rangeEnd, isCounter) : v(l);

  let resultFloat = right - left;
  if (isCounter) {
    // Only samples strictly inside the range need the reset correction; the boundary
    // picks already handle resets at the edges.
    if (t(firstSampleIndex) <= rangeStart) firstSampleIndex++;
    if (t(lastSampleIndex) >= rangeEnd) lastSampleIndex--;
    let correction = 0;
    let prev = left;
    for (let i = firstSampleIndex; i <= lastSampleIndex; i++) {
      const cur = v(i);
      if (cur < prev) correction += prev;
      prev = cur;
    }
    if (right < prev) correction += prev;
    resultFloat += correction;
  }
  if (isRate) resultFloat /= (rangeEnd - rangeStart) / 1000;
  return resultFloat;
}

function rateKernel(w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  return w.anchored || w.smoothed ? extendedRate(w, isCounter, isRate) : extrapolatedRate(w, isCounter, isRate);
}

/**
 * pickFirstSampleIndex for anchored resets/changes: the last sample at or before the range
 * start (or the first one); -1 when no sample lies after the range start.
 */
function firstIndexForCounting(w: RangeWindow): number {
  const { times, lo, hi } = w;
  if (!w.anchored) return lo;
  if (hi <= lo || times[hi - 1] <= w.rangeStart) return -1;
  return lo + Math.max(0, search(hi - lo - 1, (i) => times[lo + i] > w.rangeStart) - 1);
}

/** rate/increase also note (once per query, the Notes dedupe) a name without a counter suffix. */
function noteNonCounter(w: RangeWindow, notes: Notes): void {
  const name = w.metricName;
  if (
    name !== undefined &&
    name !== '' &&
    !name.endsWith('_total') &&
    !name.endsWith('_sum') &&
    !name.endsWith('_count') &&
    !name.endsWith('_bucket')
  ) {
    notes.info(possibleNonCounterInfo(name));
  }
}

const rate: RangeFunction = (w, _p, notes) => {
  const r = rateKernel(w, true, true);
  if (r !== undefined) noteNonCounter(w, notes);
  return r;
};

const increase: RangeFunction = (w, _p, notes) => {
  const r = rateKernel(w, true, false);
  if (r !== undefined) noteNonCounter(w, notes);
  return r;
};

const delta: RangeFunction = (w) => rateKernel(w, false, false);

// ---------------------------------------------------------------------------------------
// irate, idelta: Prometheus's instantValue over the last two samples.

function instantValue(w: RangeWindow, isRate: boolean): number | undefined {
  const { times, values, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const t0 = times[hi - 2];
  const t1 = times[hi - 1];
  const v0 = values[hi - 2];
  const v1 = values[hi - 1];
  const sampledInterval = t1 - t0;
  if (sampledInterval === 0) return undefined;
  let result = v1;
  // Gauge, or counter without reset, or counter with NaN value: take the difference. On
  // a counter reset the result stays the last value.
  if (!isRate || !(v1 < v0)) result = v1 - v0;
  if (isRate) result /= sampledInterval / 1000;
  return result;
}

const irate: RangeFunction = (w) => instantValue(w, true);
const idelta: RangeFunction = (w) => instantValue(w, false);

// ---------------------------------------------------------------------------------------
// deriv, predict_linear: least-squares regression with Kahan sums (linearRegression).

function linearRegression(w: RangeWindow, interceptTime: number): { slope: number; intercept: number } {
  const { times, values, lo, hi } = w;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = values[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = values[i];
    // Set constY to false if any new y values are encountered (NaN != NaN counts as new).
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (times[i] - interceptTime) / 1e3;
    cX = kahanComp(x, sumX, cX);
    sumX += x;
    cY = kahanComp(y, sumY, cY);
    sumY += y;
    const xy = x * y;
    cXY = kahanComp(xy, sumXY, cXY);
    sumXY += xy;
    const x2 = x * x;
    cX2 = kahanComp(x2, sumX2, cX2);
    sumX2 += x2;
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return { slope: NaN, intercept: NaN };
    return { slope: 0, intercept: initY };
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;

  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;

  const slope = covXY / varX;
  return { slope, intercept: sumY / n - (slope * sumX) / n };
}

const deriv: RangeFunction = (w) => {
  if (w.hi - w.lo < 2) return undefined;
  // An arbitrary timestamp near the values avoids float accuracy issues (prometheus#2674).
  return linearRegression(w, w.times[w.lo]).slope;
};

const predictLinear: RangeFunction = (w, params) => {
  if (w.hi - w.lo < 2 || params.length < 1) return undefined;
  const duration = params[0];
  const { slope, intercept } = linearRegression(w, w.evalTime ?? w.rangeEnd);
  return slope * duration + intercept;
};

// ---------------------------------------------------------------------------------------
// resets, changes.

const resets: RangeFunction = (w) => {
  const { values, hi } = w;
  const lo = firstIndexForCounting(w);
  if (lo < 0 || hi <= lo) return undefined;
  let count = 0;
  let prev = values[lo];
  for (let i = lo + 1; i < hi; i++) {
    const cur = values[i];
    if (cur < prev) count++;
    prev = cur;
  }
  return count;
};

const changes: RangeFunction = (w) => {
  const { values, hi } = w;
  const lo = firstIndexForCounting(w);
  if (lo < 0 || hi <= lo) return undefined;
  let count = 0;
  let prev = values[lo];
  for (let i = lo + 1; i < hi; i++) {
    const cur = values[i];
    if (cur !== prev && !(cur !== cur && prev !== prev)) count++;
    prev = cur;
  }
  return count;
};

// ---------------------------------------------------------------------------------------
// The *_over_time aggregations.

const avgOverTime: RangeFunction = (w) => {
  const { values, lo, hi } = w;
  if (hi <= lo) return undefined;
  // Direct mean with Kahan summation while the sum stays finite; on overflow, switch to
  // the incremental mean (also Kahan-compensated), exactly as Prometheus does.
  let sum = values[lo];
  let count = 1;
  let mean = 0;
  let kahanC = 0;
  let incrementalMean = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = values[i];
    count = i - lo + 1;
    if (!incrementalMean) {
      const t = sum + f;
      if (t !== Infinity && t !== -Infinity) {
        kahanC = kahanComp(f, sum, kahanC);
        sum = t;
        continue;
      }
      incrementalMean = true;
      mean = sum / (count - 1);
      kahanC /= count - 1;
    }
    const q = (count - 1) / count;
    const inc = f / count;
    const scaled = q * mean;
    kahanC = kahanComp(inc, scaled, q * kahanC);
    mean = scaled + inc;
  }
  if (incrementalMean) return mean + kahanC;
  return sum / count + kahanC / count;
};

const sumOverTime: RangeFunction = (w) => {
  const { values, lo, hi } = w;
  if (hi <= lo) return undefined;
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    const f = values[i];
    c = kahanComp(f, sum, c);
    sum += f;
  }
  if (sum === Infinity || sum === -Infinity) return sum;
  return sum + c;
};

const countOverTime: RangeFunction = (w) => (w.hi > w.lo ? w.hi - w.lo : undefined);

/** compareOverTime: the first sample starts; a NaN so far is always replaced. */
function compareOverTime(w: RangeWindow, kind: 'max' | 'min' | 'tsmax' | 'tsmin'): number | undefined {
  const { times, values, lo, hi } = w;
  if (hi <= lo) return undefined;
  let best = values[lo];
  let ts = times[lo];
  for (let i = lo; i < hi; i++) {
    const cur = values[i];
    let take: boolean;
    switch (kind) {
      case 'max':
        take = cur > best || best !== best;
        break;
      case 'min':
        take = cur < best || best !== best;
        break;
      case 'tsmax':
        take = cur >= best || best !== best;
        break;
      default:
        take = cur <= best || best !== best;
        break;
    }
    if (take) {
      best = cur;
      ts = times[i];
    }
  }
  return kind === 'max' || kind === 'min' ? best : ts / 1000;
}

const maxOverTime: RangeFunction = (w) => compareOverTime(w, 'max');
const minOverTime: RangeFunction = (w) => compareOverTime(w, 'min');
const tsOfMaxOverTime: RangeFunction = (w) => compareOverTime(w, 'tsmax');
const tsOfMinOverTime: RangeFunction = (w) => compareOverTime(w, 'tsmin');

function windowValues(w: RangeWindow): number[] {
  const out = new Array<number>(w.hi - w.lo);
  for (let i = w.lo; i < w.hi; i++) out[i - w.lo] = w.values[i];
  return out;
}

const quantileOverTime: RangeFunction = (w, params, notes) => {
  if (params.length < 1 || w.hi <= w.lo) return undefined;
  const q = params[0];
  if (q !== q || q < 0 || q > 1) notes.warn(invalidQuantileWarning(q));
  return quantile(q, windowValues(w));
};

const madOverTime: RangeFunction = (w) => {
  if (w.hi <= w.lo) return undefined;
  // A NaN sample makes the median, and therefore the deviation, undefined (Prometheus 3.14).
  for (let i = w.lo; i < w.hi; i++) if (w.values[i] !== w.values[i]) return NaN;
  const vals = windowValues(w);
  const median = quantile(0.5, vals);
  // quantile() sorted `vals`; the deviations do not depend on order.
  for (let i = 0; i < vals.length; i++) vals[i] = Math.abs(vals[i] - median);
  return quantile(0.5, vals);
};

function varianceOverTime(w: RangeWindow): number | undefined {
  const { values, lo, hi } = w;
  if (hi <= lo) return undefined;
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = lo; i < hi; i++) {
    const f = values[i];
    count++;
    const d = f - (mean + cMean);
    const inc = d / count;
    cMean = kahanComp(inc, mean, cMean);
    mean += inc;
    const incAux = d * (f - (mean + cMean));
    cAux = kahanComp(incAux, aux, cAux);
    aux += incAux;
  }
  return (aux + cAux) / count;
}

const stdvarOverTime: RangeFunction = (w) => varianceOverTime(w);
const stddevOverTime: RangeFunction = (w) => {
  const v = varianceOverTime(w);
  return v === undefined ? undefined : Math.sqrt(v);
};

const lastOverTime: RangeFunction = (w) => (w.hi > w.lo ? w.values[w.hi - 1] : undefined);
const firstOverTime: RangeFunction = (w) => (w.hi > w.lo ? w.values[w.lo] : undefined);
const tsOfLastOverTime: RangeFunction = (w) => (w.hi > w.lo ? w.times[w.hi - 1] / 1000 : undefined);
const tsOfFirstOverTime: RangeFunction = (w) => (w.hi > w.lo ? w.times[w.lo] / 1000 : undefined);
const presentOverTime: RangeFunction = (w) => (w.hi > w.lo ? 1 : undefined);

// ---------------------------------------------------------------------------------------
// double_exponential_smoothing (formerly holt_winters).

/** Go's %f: six decimals; infinities as +Inf/-Inf. */
function goFormatF(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  // toFixed switches to exponent notation at 1e21; Go never does for %f.
  if (Math.abs(v) >= 1e21) {
    const neg = v < 0;
    const big = BigInt(Math.abs(v)).toString();
    return (neg ? '-' : '') + big + '.000000';
  }
  return v.toFixed(6);
}

const doubleExponentialSmoothing: RangeFunction = (w, params) => {
  // Prometheus only validates the factors when it evaluates a non-empty window.
  if (params.length < 2 || w.hi <= w.lo) return undefined;
  const sf = params[0];
  const tf = params[1];
  if (sf <= 0 || sf >= 1) {
    throw new PromQLError('execution', `invalid smoothing factor. Expected: 0 < sf < 1, got: ${goFormatF(sf)}`);
  }
  if (tf <= 0 || tf >= 1) {
    throw new PromQLError('execution', `invalid trend factor. Expected: 0 < tf < 1, got: ${goFormatF(tf)}`);
  }
  const { values, lo, hi } = w;
  const l = hi - lo;
  if (l < 2) return undefined;

  let s0 = 0;
  let s1 = values[lo];
  let b = values[lo + 1] - values[lo];
  for (let i = 1; i < l; i++) {
    const x = sf * values[lo + i];
    // calcTrendValue(i-1, tf, s0, s1, b)
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
};

// ---------------------------------------------------------------------------------------

export const RANGE_FUNCTIONS: Record<string, RangeFunction> = {
  rate,
  increase,
  delta,
  irate,
  idelta,
  deriv,
  predict_linear: predictLinear,
  resets,
  changes,
  avg_over_time: avgOverTime,
  min_over_time: minOverTime,
  max_over_time: maxOverTime,
  sum_over_time: sumOverTime,
  count_over_time: countOverTime,
  quantile_over_time: quantileOverTime,
  stddev_over_time: stddevOverTime,
  stdvar_over_time: stdvarOverTime,
  last_over_time: lastOverTime,
  first_over_time: firstOverTime,
  present_over_time: presentOverTime,
  mad_over_time: madOverTime,
  double_exponential_smoothing: doubleExponentialSmoothing,
  ts_of_min_over_time: tsOfMinOverTime,
  ts_of_max_over_time: tsOfMaxOverTime,
  ts_of_first_over_time: tsOfFirstOverTime,
  ts_of_last_over_time: tsOfLastOverTime,
};
