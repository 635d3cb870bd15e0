// Range functions answered from downsampling tiers (docs/retention.md, "Reads").
//
// `f(sel[r])` for f in TIER_FUNCTIONS reads, instead of the raw samples in (t - r, t], the
// tier windows that start in [t - r, t) and folds them with reduceWindows: the same points
// unless a sample lies exactly on a window boundary. A tier of resolution R is eligible when
// r and every range end (t - offset) are multiples of R, and either the raw data no longer
// covers the earliest range start or an aligned tier reads at least 10× fewer points (r / R
// >= 10 and the step is at least R); then the coarsest aligned tier answers.
//
// rate() and increase() follow Prometheus's extrapolatedRate (rangeFunctions.ts) on the
// aggregate: the sampled interval is tlast - tfirst, the counter increase is `inc` (resets
// counted as PromQL does), and the zero-point check reads `first`.

import type { Call, MatrixSelector } from './ast.js';
import type { EvalContext, Evaluator, Matrix } from './evaluator.js';
import { possibleNonCounterInfo } from './rangeFunctions.js';
import { reduceWindows, type Aggregate, type Windows } from '../../retention/rollup.js';

/** The range functions a tier answers exactly (up to float rounding of sums). */
export const TIER_FUNCTIONS = new Set([
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'first_over_time',
  'last_over_time',
  'rate',
  'increase',
]);

/** Reads 10× fewer points: the "coarse enough" rule of docs/retention.md. */
export const TIER_MIN_RATIO = 10;

/** What decides whether a tier may answer (all ms). */
export interface TierEligibility {
  rangeMs: number;
  /** The first evaluation's range end (t - offset). */
  firstRefMs: number;
  /** Step between range ends; 0 when there is a single one (instant query, `@`). */
  stepMs: number;
  /** The raw data's retention cut (now - duration); -Infinity when raw is kept forever. */
  rawFloorMs: number;
}

/**
 * The coarsest of `resolutionsMs` (any order) that may answer, or null. Pure: the rules of
 * docs/retention.md, tested by themselves.
 */
export function chooseResolution(resolutionsMs: readonly number[], q: TierEligibility): number | null {
  // Once some aligned tier is coarse enough (or raw has expired), the coarsest aligned tier
  // answers: it reads the fewest windows and gives the same answer.
  let coarse = q.rawFloorMs > q.firstRefMs - q.rangeMs;
  let best: number | null = null;
  for (const R of resolutionsMs) {
    if (!(R > 0) || !Number.isInteger(R)) continue;
    if (q.rangeMs % R !== 0 || q.firstRefMs % R !== 0 || q.stepMs % R !== 0) continue;
    if (q.rangeMs / R >= TIER_MIN_RATIO && (q.stepMs === 0 || q.stepMs >= R)) coarse = true;
    if (best === null || R > best) best = R;
  }
  return coarse ? best : null;
}

/** floor(ns / 1e6) as a number. */
function msOf(ns: bigint): number {
  const q = ns / 1_000_000n;
  return Number(ns < 0n && q * 1_000_000n !== ns ? q - 1n : q);
}

/** Prometheus's extrapolatedRate for a counter, on the aggregate of (rangeStart, rangeEnd]. */
export function aggregateRate(a: Aggregate, rangeStart: number, rangeEnd: number, isRate: boolean): number | undefined {
  const n = a.count;
  if (n < 2) return undefined;
  const firstT = msOf(a.tfirst);
  const lastT = msOf(a.tlast);
  const firstV = a.first;
  const resultFloat = a.inc;
  const numSamplesMinusOne = n - 1;
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / numSamplesMinusOne;
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  let durationToZero = durationToStart;
  if (resultFloat > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / resultFloat);
  if (durationToZero < durationToStart) durationToStart = durationToZero;
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= (rangeEnd - rangeStart) / 1000;
  return resultFloat * factor;
}

/** The value of range function `name` over an aggregate (undefined: no output sample). */
function valueOf(name: string, a: Aggregate, rangeStart: number, rangeEnd: number): number | undefined {
  switch (name) {
    case 'avg_over_time':
      return a.sum / a.count;
    case 'min_over_time':
      return a.min;
    case 'max_over_time':
      return a.max;
    case 'sum_over_time':
      return a.sum;
    case 'count_over_time':
      return a.count;
    case 'first_over_time':
      return a.first;
    case 'last_over_time':
      return a.last;
    case 'rate':
      return aggregateRate(a, rangeStart, rangeEnd, true);
    case 'increase':
      return aggregateRate(a, rangeStart, rangeEnd, false);
    default:
      return undefined;
  }
}

/** The rate/increase note for a metric name without a counter suffix (as rangeFunctions.ts). */
function isCounterName(name: string | undefined): boolean {
  return name === undefined || name === '' || name.endsWith('_total') || name.endsWith('_sum') || name.endsWith('_count') || name.endsWith('_bucket');
}

function atMs(ctx: EvalContext, ms: MatrixSelector): number | null {
  const at = ms.vector.at;
  if (!at) return null;
  if (at.kind === 'start') return ctx.queryStart;
  if (at.kind === 'end') return ctx.queryEnd;
  return at.ms;
}

/**
 * `e` (a TIER_FUNCTIONS call on matrix selector `ms`) evaluated from a tier, or null when
 * no tier may answer it (the caller then reads raw samples).
 */
export function evalFromTier(ev: Evaluator, e: Call, ms: MatrixSelector): Matrix | null {
  const ctx = ev.ctx;
  const src = ctx.src;
  if (!TIER_FUNCTIONS.has(e.func) || e.args.length !== 1 || !src.tiers || !src.selectWindows) return null;
  const vs = ms.vector;
  const at = atMs(ctx, ms);
  const r = ms.range;
  const firstRef = (at ?? ev.start) - vs.offset;
  const lastRef = (at ?? ev.end) - vs.offset;
  const stepMs = at !== null || ev.n <= 1 ? 0 : ev.interval;
  const avail = src.tiers(vs.matchers);
  if (avail === null || avail.resolutionsMs.length === 0) return null;
  const rawFloorMs = avail.rawRetentionMs === Infinity ? -Infinity : ctx.now() - avail.rawRetentionMs;
  const R = chooseResolution(avail.resolutionsMs, { rangeMs: r, firstRefMs: firstRef, stepMs, rawFloorMs });
  if (R === null) return null;
  const read = src.selectWindows(vs.matchers, firstRef - r, lastRef, R);
  if (read === null) return null;
  // Over the series limit: the raw path reads the same series and reports it.
  if (ctx.maxSeries > 0 && ctx.seriesLoaded + read.series.length > ctx.maxSeries) return null;
  ctx.seriesLoaded += read.series.length;
  for (const t of read.tiers) (ctx.tiers ??= new Set()).add(t);

  const name = e.func;
  const keepName = name === 'last_over_time' || name === 'first_over_time';
  const counter = name === 'rate' || name === 'increase';
  const out: Matrix = [];
  const before = ctx.cur;
  let total = 0;
  for (const s of read.series) {
    ev.checkDeadline();
    const w: Windows = s.windows;
    const starts = startsMs(w.start);
    const len = starts.length;
    ctx.loaded += len;
    const ts: number[] = [];
    const vals: number[] = [];
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < ev.n; i++) {
      const t = ev.start + i * ev.interval;
      const ref = (at ?? t) - vs.offset;
      const rs = ref - r;
      // windows starting in [rs, ref)
      while (hi < len && starts[hi] < ref) hi++;
      while (lo < len && starts[lo] < rs) lo++;
      if (lo >= hi) continue;
      ev.addSamples(hi - lo);
      const a = reduceWindows(w, lo, hi)!;
      const v = valueOf(name, a, rs, ref);
      ctx.cur -= hi - lo;
      if (v !== undefined) {
        ts.push(t);
        vals.push(v);
      }
    }
    if (ts.length > 0) {
      if (counter && !isCounterName(s.labels.__name__)) ctx.infos.add(possibleNonCounterInfo(s.labels.__name__));
      ev.addSamples(ts.length);
      total += ts.length;
      out.push({ labels: s.labels, dropName: !keepName, ts, vs: vals });
    }
  }
  ctx.cur = before + total;
  return out;
}

/** Window starts (ns, multiples of a whole-ms resolution) as ms. */
function startsMs(start: BigInt64Array): Float64Array {
  const out = new Float64Array(start.length);
  for (let i = 0; i < start.length; i++) out[i] = msOf(start[i]);
  return out;
}
