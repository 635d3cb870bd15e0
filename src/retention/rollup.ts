// The arithmetic of downsampling: raw points of one series field → one aggregate per
// window [start, start + resolution), and aggregates → coarser aggregates or one value for
// a range of windows. Pure and columnar (typed arrays, no object per point); the
// downsampler, the tier reads and the tests share it. See docs/retention.md.

/** What a tier keeps per window, in field-name order: rollup field = `${field}_${agg}`. */
export const ROLLUP_AGGS = ['min', 'max', 'sum', 'count', 'first', 'last', 'tfirst', 'tlast', 'inc'] as const;
export type RollupAgg = (typeof ROLLUP_AGGS)[number];

/** The tier field holding aggregate `agg` of source field `field`. No suffix ends with
 * another one, so two source fields never map to the same rollup field. */
export function rollupField(field: string, agg: RollupAgg): string {
  return `${field}_${agg}`;
}

/** The windows of one series field that hold points, ascending by start. */
export interface Windows {
  /** Window start, ns. */
  start: BigInt64Array;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
  first: Float64Array;
  last: Float64Array;
  /** Time of the oldest and newest point, ns. */
  tfirst: BigInt64Array;
  tlast: BigInt64Array;
  /** Counter increase inside the window, a drop counted as a reset (PromQL's rule). */
  inc: Float64Array;
}

/** One aggregate over a run of points or windows. */
export interface Aggregate {
  min: number;
  max: number;
  sum: number;
  count: number;
  first: number;
  last: number;
  tfirst: bigint;
  tlast: bigint;
  inc: number;
}

export function allocWindows(n: number): Windows {
  return {
    start: new BigInt64Array(n),
    min: new Float64Array(n),
    max: new Float64Array(n),
    sum: new Float64Array(n),
    count: new Float64Array(n),
    first: new Float64Array(n),
    last: new Float64Array(n),
    tfirst: new BigInt64Array(n),
    tlast: new BigInt64Array(n),
    inc: new Float64Array(n),
  };
}

/** The first `n` windows of `w` (views, no copy). */
export function sliceWindows(w: Windows, n: number): Windows {
  return {
    start: w.start.subarray(0, n),
    min: w.min.subarray(0, n),
    max: w.max.subarray(0, n),
    sum: w.sum.subarray(0, n),
    count: w.count.subarray(0, n),
    first: w.first.subarray(0, n),
    last: w.last.subarray(0, n),
    tfirst: w.tfirst.subarray(0, n),
    tlast: w.tlast.subarray(0, n),
    inc: w.inc.subarray(0, n),
  };
}

/** The start of the window holding `t` (floor, also for times before 1970). */
export function windowStart(t: bigint, resolution: bigint): bigint {
  const r = t % resolution;
  return r < 0n ? t - r - resolution : t - r;
}


/**
 * The windows of `resolution` ns holding the points (times ascending, unique) of one
 * series field. Stale markers are skipped; other NaNs count as values, as in PromQL.
 */
export function windowsFromPoints(times: BigInt64Array, values: Float64Array, resolution: bigint): Windows {
  const n = times.length;
  let w = allocWindows(Math.min(n, 1024));
  // Prometheus's stale marker (a NaN with these words) is not a sample: rollups skip it.
  // Its bits are read from the array: a NaN copied through a JS value may lose them.
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let k = -1;
  let end = 0n;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v && words[2 * i] === 2 && words[2 * i + 1] === 0x7ff00000) continue;
    const t = times[i];
    if (k < 0 || t >= end) {
      k++;
      if (k === w.start.length) w = grow(w, Math.max(16, w.start.length * 2));
      const s = windowStart(t, resolution);
      end = s + resolution;
      w.start[k] = s;
      w.min[k] = v;
      w.max[k] = v;
      w.sum[k] = v;
      w.count[k] = 1;
      w.first[k] = v;
      w.last[k] = v;
      w.tfirst[k] = t;
      w.tlast[k] = t;
      w.inc[k] = 0;
    } else {
      if (v < w.min[k]) w.min[k] = v;
      if (v > w.max[k]) w.max[k] = v;
      w.sum[k] += v;
      w.count[k]++;
      w.last[k] = v;
      w.tlast[k] = t;
      w.inc[k] += v < prev ? v : v - prev;
    }
    prev = v;
  }
  return sliceWindows(w, k + 1);
}

function grow(w: Windows, n: number): Windows {
  const g = allocWindows(n);
  g.start.set(w.start);
  g.min.set(w.min);
  g.max.set(w.max);
  g.sum.set(w.sum);
  g.count.set(w.count);
  g.first.set(w.first);
  g.last.set(w.last);
  g.tfirst.set(w.tfirst);
  g.tlast.set(w.tlast);
  g.inc.set(w.inc);
  return g;
}

/**
 * Windows [lo, hi) of `w` as one aggregate (null when lo >= hi): what a query over their
 * span gets, exactly as from the points (min, max, count, first, last; sum up to float
 * rounding; inc adds the increase across each pair of neighbouring windows).
 */
export function reduceWindows(w: Windows, lo: number, hi: number): Aggregate | null {
  if (lo >= hi) return null;
  const a: Aggregate = {
    min: w.min[lo],
    max: w.max[lo],
    sum: w.sum[lo],
    count: w.count[lo],
    first: w.first[lo],
    last: w.last[lo],
    tfirst: w.tfirst[lo],
    tlast: w.tlast[lo],
    inc: w.inc[lo],
  };
  for (let i = lo + 1; i < hi; i++) {
    // Math.min/max would also do, but NaN must behave as a comparison does in the raw fold.
    if (w.min[i] < a.min) a.min = w.min[i];
    if (w.max[i] > a.max) a.max = w.max[i];
    a.sum += w.sum[i];
    a.count += w.count[i];
    const f = w.first[i];
    a.inc += (f < a.last ? f : f - a.last) + w.inc[i];
    a.last = w.last[i];
    a.tlast = w.tlast[i];
  }
  return a;
}

/** Windows of `w` regrouped into coarser windows of `resolution` (a multiple of theirs). */
export function coarsen(w: Windows, resolution: bigint): Windows {
  const n = w.start.length;
  const out = allocWindows(n);
  let k = 0;
  let lo = 0;
  while (lo < n) {
    const s = windowStart(w.start[lo], resolution);
    const end = s + resolution;
    let hi = lo + 1;
    while (hi < n && w.start[hi] < end) hi++;
    const a = reduceWindows(w, lo, hi)!;
    out.start[k] = s;
    setWindow(out, k, a);
    k++;
    lo = hi;
  }
  return sliceWindows(out, k);
}

export function setWindow(w: Windows, k: number, a: Aggregate): void {
  w.min[k] = a.min;
  w.max[k] = a.max;
  w.sum[k] = a.sum;
  w.count[k] = a.count;
  w.first[k] = a.first;
  w.last[k] = a.last;
  w.tfirst[k] = a.tfirst;
  w.tlast[k] = a.tlast;
  w.inc[k] = a.inc;
}

/** Windows read back from a tier's fields: `cols` maps each aggregate to its column
 * (float64 for values, int64 ns for tfirst/tlast, counts as numbers), all of one series
 * and aligned on `start`. */
export function windowsFromColumns(start: BigInt64Array, cols: Record<RollupAgg, Float64Array | BigInt64Array>): Windows {
  const f = (a: RollupAgg): Float64Array => {
    const c = cols[a];
    return c instanceof Float64Array ? c : Float64Array.from(c, Number);
  };
  const t = (a: RollupAgg): BigInt64Array => {
    const c = cols[a];
    return c instanceof BigInt64Array ? c : BigInt64Array.from(c, (x) => BigInt(Math.round(x)));
  };
  return {
    start,
    min: f('min'),
    max: f('max'),
    sum: f('sum'),
    count: f('count'),
    first: f('first'),
    last: f('last'),
    tfirst: t('tfirst'),
    tlast: t('tlast'),
    inc: f('inc'),
  };
}
