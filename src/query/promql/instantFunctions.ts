// Kernels of PromQL's instant-vector functions: math, rounding, clamping, dates, label
// manipulation and the quantile helpers (classic-bucket histogram_quantile /
// histogram_fraction and the `quantile` aggregation). Semantics follow Prometheus 3.x's
// promql/functions.go and promql/quantile.go.

import { PromQLError, type Labels } from './types.js';
import type { Notes } from './rangeFunctions.js';
import { compileRe2Info, type RegexCache } from '../re2.js';

// ---------------------------------------------------------------------------------------
// Math.
//
// Go's math functions and V8's agree on all special cases (NaN, ±0, ±Inf, domain errors
// give NaN) and on the value up to the last ulp for finite arguments.

function sgn(v: number): number {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v; // ±0 and NaN pass through
}

export const MATH_FUNCTIONS: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
};

/**
 * round(v, to_nearest): `math.Floor(v*inv+0.5)/inv` with `inv = 1/toNearest`, so ties go
 * up (-2.5 → -2) and to_nearest=0 gives ±Inf/NaN as in Prometheus.
 */
export function roundTo(v: number, toNearest: number): number {
  const inv = 1.0 / toNearest;
  return Math.floor(v * inv + 0.5) / inv;
}

/**
 * clamp(v, min, max) = max(min, min(max, v)) with Go's NaN-propagating math.Max/Min.
 * Returns undefined when max < min (Prometheus returns no samples then). clamp_min is
 * clamp(v, min, +Inf), clamp_max is clamp(v, -Inf, max).
 */
export function clamp(v: number, min: number, max: number): number | undefined {
  if (max < min) return undefined;
  return goMax(min, goMin(max, v));
}

/** Go's math.Max (NaN wins over everything but +Inf; max(-0, 0) is 0). */
export function goMax(x: number, y: number): number {
  if (x === Infinity || y === Infinity) return Infinity;
  if (x !== x || y !== y) return NaN;
  if (x === 0 && x === y) return Object.is(x, -0) ? y : x;
  return x > y ? x : y;
}

/** Go's math.Min (NaN wins over everything but -Inf; min(-0, 0) is -0). */
export function goMin(x: number, y: number): number {
  if (x === -Infinity || y === -Infinity) return -Infinity;
  if (x !== x || y !== y) return NaN;
  if (x === 0 && x === y) return Object.is(x, -0) ? x : y;
  return x < y ? x : y;
}

// ---------------------------------------------------------------------------------------
// Dates: time.Unix(int64(v), 0).UTC() — the float is truncated toward zero to whole seconds.

const DAY = 86400;

/** Days since 1970-01-01 → [year, month 1-12, day 1-31] (proleptic Gregorian). */
function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? y + 1 : y, m, d];
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const CUM_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whole seconds as Go's int64(v) conversion gives them; NaN for values beyond ±2^53. */
function unixSeconds(t: number): number {
  if (!(Math.abs(t) <= 9007199254740991)) return NaN;
  return Math.trunc(t);
}

function dateFn(f: (days: number, secOfDay: number) => number): (tSeconds: number) => number {
  return (tSeconds) => {
    const s = unixSeconds(tSeconds);
    if (s !== s) return NaN;
    const days = Math.floor(s / DAY);
    return f(days, s - days * DAY);
  };
}

export const DATE_FUNCTIONS: Record<string, (tSeconds: number) => number> = {
  year: dateFn((d) => civilFromDays(d)[0]),
  month: dateFn((d) => civilFromDays(d)[1]),
  day_of_month: dateFn((d) => civilFromDays(d)[2]),
  day_of_week: dateFn((d) => (((d + 4) % 7) + 7) % 7),
  day_of_year: dateFn((d) => {
    const [y, m, day] = civilFromDays(d);
    return CUM_DAYS[m - 1] + day + (m > 2 && isLeap(y) ? 1 : 0);
  }),
  days_in_month: dateFn((d) => {
    const [y, m] = civilFromDays(d);
    return m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1];
  }),
  hour: dateFn((_d, sod) => Math.floor(sod / 3600)),
  minute: dateFn((_d, sod) => Math.floor((sod % 3600) / 60)),
};

// ---------------------------------------------------------------------------------------
// label_replace, label_join.

/**
 * model.UTF8Validation.IsValidLabelName: any non-empty valid UTF-8 string. JS strings cannot
 * hold invalid UTF-8, so lone surrogates and U+FFFD (what a decoder makes of a bad byte
 * such as "\xff") count as invalid.
 */
function isValidLabelName(name: string): boolean {
  if (name.length === 0) return false;
  return !/[\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name);
}

/**
 * Checks label_replace's arguments as Prometheus does before evaluating the vector (so an
 * invalid regex fails even when there are no series). Returns the compiled regex.
 */
export function checkLabelReplaceArgs(
  dst: string,
  regex: string,
  cache?: RegexCache,
): { regex: RegExp; groupNames: string[] } {
  let compiled: { regex: RegExp; groupNames: string[] };
  try {
    compiled = cache ? cache.getInfo(regex) : compileRe2Info(regex, true);
  } catch {
    throw new PromQLError('execution', `invalid regular expression in label_replace(): ${regex}`);
  }
  if (!isValidLabelName(dst)) {
    throw new PromQLError('execution', `invalid destination label name in label_replace(): ${dst}`);
  }
  return compiled;
}

/** Checks label_join's label names (sources first, then the destination, as Prometheus). */
export function checkLabelJoinArgs(dst: string, srcs: string[]): void {
  for (const src of srcs) {
    if (!isValidLabelName(src)) {
      throw new PromQLError('execution', `invalid source label name in label_join(): ${src}`);
    }
  }
  if (!isValidLabelName(dst)) {
    throw new PromQLError('execution', `invalid destination label name in label_join(): ${dst}`);
  }
}

/** Go's Regexp.Expand name extraction: returns [name, num, restIndex] or undefined. */
function extractTemplateName(t: string, i: number): [string, number, number] | undefined {
  let brace = false;
  if (t[i] === '{') {
    brace = true;
    i++;
  }
  let j = i;
  while (j < t.length) {
    const cp = t.codePointAt(j)!;
    const ch = String.fromCodePoint(cp);
    if (!/[\p{L}\p{Nd}_]/u.test(ch)) break;
    j += ch.length;
  }
  if (j === i) return undefined; // empty name is not okay
  const name = t.slice(i, j);
  if (brace) {
    if (j >= t.length || t[j] !== '}') return undefined; // missing closing brace
    j++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 48 || c > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 48);
  }
  // Disallow leading zeros.
  if (name[0] === '0' && name.length > 1) num = -1;
  return [name, num, j];
}

/** Go's Regexp.ExpandString: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
export function expandTemplate(template: string, match: RegExpExecArray, groupNames: string[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    out += template.slice(i, d);
    i = d + 1;
    if (i < template.length && template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const ext = i < template.length ? extractTemplateName(template, i) : undefined;
    if (ext === undefined) {
      // Malformed; treat $ as raw text.
      out += '$';
      continue;
    }
    const [name, num, rest] = ext;
    i = rest;
    if (num >= 0) {
      if (num < match.length && match[num] !== undefined) out += match[num];
    } else {
      for (let g = 0; g < groupNames.length; g++) {
        if (groupNames[g] === name && g < match.length && match[g] !== undefined) {
          out += match[g];
          break;
        }
      }
    }
  }
  return out + template.slice(i);
}

/**
 * label_replace for one series: if `regex` (anchored, `^(?s:regex)$`) matches the value of
 * `src`, sets `dst` to the expanded replacement (removing it when empty). Returns the
 * input object unchanged when there is no match. Throws PromQLError('execution', ...) with
 * Prometheus's messages for an invalid regex or destination label name.
 */
export function labelReplace(
  labels: Labels,
  dst: string,
  replacement: string,
  src: string,
  regex: string,
  cache?: RegexCache,
): Labels {
  const { regex: re, groupNames } = checkLabelReplaceArgs(dst, regex, cache);
  const srcVal = labels[src] ?? '';
  re.lastIndex = 0;
  const m = re.exec(srcVal);
  if (m === null) return labels;
  const res = expandTemplate(replacement, m, groupNames);
  const out: Labels = { ...labels };
  if (res === '') delete out[dst];
  else out[dst] = res;
  return out;
}

/** label_join for one series: `dst` = values of `srcs` joined by `sep` (removed when empty). */
export function labelJoin(labels: Labels, dst: string, sep: string, srcs: string[]): Labels {
  checkLabelJoinArgs(dst, srcs);
  let joined = '';
  for (let i = 0; i < srcs.length; i++) {
    if (i > 0) joined += sep;
    joined += labels[srcs[i]] ?? '';
  }
  const out: Labels = { ...labels };
  if (joined === '') delete out[dst];
  else out[dst] = joined;
  return out;
}

// ---------------------------------------------------------------------------------------
// Go float formatting for annotation texts.

/**
 * Go's `%g` (precision undefined: shortest representation) or `%.<prec>g`: exponent form
 * `1e+06` when the decimal exponent is < -4 or >= the precision (6 for shortest), `+Inf`,
 * `-Inf`, `NaN`.
 */
export function formatGoFloat(v: number, prec?: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const shortest = prec === undefined;
  const p = shortest ? -1 : Math.max(1, prec);
  const expStr = shortest ? a.toExponential() : a.toExponential(p - 1);
  const [mant, e] = expStr.split('e');
  let digits = mant.replace('.', '');
  digits = digits.replace(/0+$/, '');
  if (digits === '') digits = '0';
  const exp = a === 0 ? 0 : Number(e);
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = shortest ? 6 : p;
  if (!shortest && eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const ae = Math.abs(exp);
    out = m + 'e' + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' + ae : String(ae));
  } else if (dp <= 0) {
    out = '0.' + '0'.repeat(-dp) + digits;
  } else if (dp >= nd) {
    out = digits + '0'.repeat(dp - nd);
  } else {
    out = digits.slice(0, dp) + '.' + digits.slice(dp);
  }
  return (neg ? '-' : '') + out;
}

// ---------------------------------------------------------------------------------------
// Quantiles.

export interface Bucket {
  upper: number;
  count: number;
}

/** The base text of Prometheus's HistogramQuantileForcedMonotonicityInfo. */
export const FORCED_MONOTONICITY_INFO =
  'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)';

export interface BucketQuantileResult {
  value: number;
  /** A decrease between buckets had to be removed. */
  forcedMonotonic: boolean;
  /** Numerically insignificant differences (relative < 1e-12) were ignored. */
  fixedPrecision: boolean;
  /** Lowest / highest upper bound where monotonicity was forced, largest decrease removed. */
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308; // math.Float64frombits(0x0010000000000000)
const MAX_FLOAT64 = 1.7976931348623157e308;

/** Prometheus's util/almost.Equal. */
function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a !== a && b !== b) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, MAX_FLOAT64) < epsilon;
}

/** Sorted copy with equal upper bounds merged (coalesceBuckets). */
function sortedCoalesced(buckets: Bucket[]): Bucket[] {
  const sorted = buckets.map((b) => ({ upper: b.upper, count: b.count }));
  sorted.sort((a, b) => (a.upper < b.upper ? -1 : a.upper > b.upper ? 1 : 0));
  const out: Bucket[] = [];
  let last = sorted[0];
  for (let i = 1; i < sorted.length; i++) {
    const b = sorted[i];
    if (b.upper === last.upper) {
      last.count += b.count;
    } else {
      out.push(last);
      last = b;
    }
  }
  out.push(last);
  return out;
}

/**
 * BucketQuantile with all its outputs (Prometheus 3.x): sorts and coalesces the buckets
 * (the input array is not modified), ignores relative deltas below 1e-12 in either
 * direction, forces monotonicity, then interpolates linearly inside the bucket holding the
 * rank. NaN q → NaN, q<0 → -Inf, q>1 → +Inf, highest bucket not +Inf → NaN, fewer than two
 * buckets → NaN, zero observations → NaN; rank in the +Inf bucket → the second highest
 * bound; rank in a first bucket with upper ≤ 0 → that bound.
 */
export function bucketQuantileDetailed(q: number, buckets: Bucket[]): BucketQuantileResult {
  const r: BucketQuantileResult = {
    value: NaN,
    forcedMonotonic: false,
    fixedPrecision: false,
    minBucket: 0,
    maxBucket: 0,
    maxDiff: 0,
  };
  if (q !== q) return r;
  if (q < 0) {
    r.value = -Infinity;
    return r;
  }
  if (q > 1) {
    r.value = Infinity;
    return r;
  }
  if (buckets.length === 0) return r;
  let maxUpper = -Infinity;
  for (const b of buckets) if (b.upper > maxUpper) maxUpper = b.upper;
  if (maxUpper !== Infinity) return r;

  const bs = sortedCoalesced(buckets);

  // ensureMonotonicAndIgnoreSmallDeltas.
  r.minBucket = Infinity;
  r.maxBucket = -Infinity;
  let prev = bs[0].count;
  for (let i = 1; i < bs.length; i++) {
    const curr = bs[i].count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      bs[i].count = prev;
      r.fixedPrecision = true;
      continue;
    }
    if (curr < prev) {
      bs[i].count = prev;
      r.forcedMonotonic = true;
      if (bs[i].upper < r.minBucket) r.minBucket = bs[i].upper;
      if (bs[i].upper > r.maxBucket) r.maxBucket = bs[i].upper;
      const diff = prev - curr;
      if (diff > r.maxDiff) r.maxDiff = diff;
      continue;
    }
    prev = curr;
  }

  if (bs.length < 2) return r;
  const observations = bs[bs.length - 1].count;
  if (observations === 0) return r;
  let rank = q * observations;
  // sort.Search over all but the +Inf bucket.
  let lo = 0;
  let hi = bs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bs[mid].count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === bs.length - 1) {
    r.value = bs[bs.length - 2].upper;
    return r;
  }
  if (b === 0 && bs[0].upper <= 0) {
    r.value = bs[0].upper;
    return r;
  }
  let bucketStart = 0;
  const bucketEnd = bs[b].upper;
  let count = bs[b].count;
  if (b > 0) {
    bucketStart = bs[b - 1].upper;
    count -= bs[b - 1].count;
    rank -= bs[b - 1].count;
  }
  r.value = bucketStart + (bucketEnd - bucketStart) * (rank / count);
  return r;
}

/**
 * histogram_quantile over one classic histogram. Emits FORCED_MONOTONICITY_INFO through
 * `notes.info` when monotonicity had to be forced. (The invalid-quantile warning belongs to
 * the call, not to each histogram: the evaluator emits it, see invalidQuantileWarning in
 * rangeFunctions.ts.)
 */
export function bucketQuantile(q: number, buckets: Bucket[], notes: Notes): number {
  const r = bucketQuantileDetailed(q, buckets);
  if (r.forcedMonotonic) notes.info(FORCED_MONOTONICITY_INFO);
  return r.value;
}

/**
 * The full text Prometheus 3.13+ renders for merged forced-monotonicity infos (without the
 * trailing " (line:col)"): `<base>[ for metric name "x"], from buckets 5 to 50, with a max
 * diff of 5.5, over 3 samples from 2024-12-25T00:00:00Z to ...`. `count` is the number of
 * histogram_quantile evaluations that needed the fix; times are ms.
 */
export function formatForcedMonotonicityInfo(
  metricName: string,
  minTs: number,
  maxTs: number,
  minBucket: number,
  maxBucket: number,
  maxDiff: number,
  count: number,
): string {
  const rfc = (ms: number): string => {
    const s = Math.trunc(ms / 1000);
    return new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };
  let out = FORCED_MONOTONICITY_INFO;
  if (metricName !== '') out += ` for metric name ${JSON.stringify(metricName)}`;
  out += `, from buckets ${formatGoFloat(minBucket)} to ${formatGoFloat(maxBucket)}`;
  out += `, with a max diff of ${formatGoFloat(maxDiff, 2)}`;
  out += `, over ${count} samples from ${rfc(minTs)} to ${rfc(maxTs)}`;
  return out;
}

/**
 * histogram_fraction(lower, upper) over one classic histogram (Prometheus's BucketFraction):
 * linear interpolation inside buckets, the first bucket's lower bound is 0 when its upper
 * bound is positive (else -Inf, and no interpolation there). NaN when the highest bucket is
 * not +Inf, there are no observations or a bound is NaN; 0 when lower >= upper.
 */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  if (buckets.length === 0) return NaN;
  let maxUpper = -Infinity;
  for (const b of buckets) if (b.upper > maxUpper) maxUpper = b.upper;
  if (maxUpper !== Infinity) return NaN;
  const bs = sortedCoalesced(buckets);

  const count = bs[bs.length - 1].count;
  if (count === 0 || lower !== lower || upper !== upper) return NaN;
  if (lower >= upper) return 0;

  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = bs[0].upper <= 0 ? -Infinity : 0;

  for (let i = 0; i < bs.length; i++) {
    const b = bs[i];
    if (i > 0) lowerBound = bs[i - 1].upper;
    const upperBound = b.upper;
    const interpolateLinearly = (v: number): number => {
      if (lowerBound === -Infinity) return b.count;
      return rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    };
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolateLinearly(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolateLinearly(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/**
 * Prometheus's quantile(): the φ-quantile of the values with linear interpolation between
 * the two closest ranks (rank = q·(n-1)). Empty or NaN q → NaN, q<0 → -Inf, q>1 → +Inf.
 * NaN values sort first. Sorts `values` in place (as Prometheus does).
 */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort(nanFirstAscending);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex] * (1 - weight) + values[upperIndex] * weight;
}

function nanFirstAscending(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : -1;
  if (b !== b) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
