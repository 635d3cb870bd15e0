// InfluxQL aggregate and selector functions over one bucket of points, as InfluxDB 1.x's
// reducers (query/call_iterator.go, query/functions.go) compute them: integer sums stay
// int64 (wrapping), means are float, selectors keep the selected point's time, and ties
// are broken the way Go's reducers break them.

import type { Cell } from './result.js';

/** The points of one field of one group, sorted by time (ties in series order). */
export interface PointList {
  /** A plain array: reading a BigInt64Array allocates a BigInt per access. */
  times: bigint[];
  values: Cell[];
  /** Index of the series (within the group) each point comes from. */
  src: Int32Array;
  /** The field type: float, integer, unsigned, string, boolean. */
  type: string;
}

/** One output point of a call: time, value and the point it was selected from (selectors). */
export interface OutPoint {
  t: bigint;
  v: Cell;
  /** For selectors: the selected point's series and time, for auxiliary fields. */
  src?: number;
  srcT?: bigint;
}

export class AggregateError extends Error {}

export const SELECTORS = new Set(['first', 'last', 'max', 'min', 'percentile', 'sample', 'top', 'bottom']);

function iteratorTypeName(type: string): string {
  switch (type) {
    case 'string':
      return '*query.stringInterruptIterator';
    case 'boolean':
      return '*query.booleanInterruptIterator';
    case 'integer':
      return '*query.integerInterruptIterator';
    case 'unsigned':
      return '*query.unsignedInterruptIterator';
    default:
      return '*query.floatInterruptIterator';
  }
}

function unsupported(name: string, type: string): never {
  throw new AggregateError(`unsupported ${name} iterator type: ${iteratorTypeName(type)}`);
}

/** Value comparison for same-typed cells: -1, 0, 1. */
export function cmpCell(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return 0;
}

function num(v: Cell): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

const isNumericType = (t: string): boolean => t === 'float' || t === 'integer' || t === 'unsigned';

/** The arguments a call needs beyond its field. */
export interface CallArgs {
  /** percentile's N. */
  p?: number;
  /** sample/top/bottom N. */
  n?: number;
  /** integral unit (ns). */
  unit?: bigint;
  /** top/bottom tag keys: value of each point's tag key. */
  tagOf?: (src: number) => string;
  /** count(distinct(x)). */
  distinctCount?: boolean;
  /** Random source for sample(). */
  random?: () => number;
}

/**
 * Applies aggregate `name` to points [lo, hi) of `pl`. `bucketT` is the time reported by
 * non-selectors. Returns no point for an empty range except count (0 is not reported
 * either: InfluxDB emits nothing for an empty bucket, the fill decides).
 */
export function aggregate(name: string, pl: PointList, lo: number, hi: number, bucketT: bigint, args: CallArgs): OutPoint[] {
  if (hi <= lo) return [];
  const { times, values, src, type } = pl;
  switch (name) {
    case 'count': {
      if (args.distinctCount) {
        const seen = new Set<unknown>();
        for (let i = lo; i < hi; i++) seen.add(values[i]);
        return [{ t: bucketT, v: BigInt(seen.size) }];
      }
      return [{ t: bucketT, v: BigInt(hi - lo) }];
    }
    case 'sum': {
      if (!isNumericType(type)) unsupported('sum', type);
      if (type === 'float') {
        let s = 0;
        for (let i = lo; i < hi; i++) s += values[i] as number;
        return [{ t: bucketT, v: s }];
      }
      let s = 0n;
      for (let i = lo; i < hi; i++) s += values[i] as bigint;
      return [{ t: bucketT, v: type === 'unsigned' ? BigInt.asUintN(64, s) : BigInt.asIntN(64, s) }];
    }
    case 'mean': {
      if (!isNumericType(type)) unsupported('mean', type);
      let s = 0;
      for (let i = lo; i < hi; i++) s += num(values[i]);
      return [{ t: bucketT, v: s / (hi - lo) }];
    }
    case 'median': {
      if (!isNumericType(type)) unsupported('median', type);
      const a: number[] = [];
      for (let i = lo; i < hi; i++) a.push(num(values[i]));
      a.sort((x, y) => x - y);
      const n = a.length;
      if (n % 2 === 0) {
        const lo2 = a[n / 2 - 1];
        const hi2 = a[n / 2];
        return [{ t: bucketT, v: lo2 + (hi2 - lo2) / 2 }];
      }
      return [{ t: bucketT, v: a[(n - 1) / 2] }];
    }
    case 'mode': {
      // Go's *ModeReduceSlice: points sorted by value (insertion sort, stable, for the
      // small windows it is exact on), the longest run wins; of equally long runs the one
      // whose first point is earlier than the current winner's last point.
      const idx: number[] = [];
      for (let i = lo; i < hi; i++) idx.push(i);
      idx.sort((x, y) => cmpCell(values[x], values[y]));
      let mostFreq = 0;
      let currFreq = 0;
      let currMode = values[idx[0]];
      let mostMode = currMode;
      let mostTime = times[idx[0]];
      let currTime = mostTime;
      for (const k of idx) {
        const v = values[k];
        if (cmpCell(v, currMode) !== 0) {
          currFreq = 1;
          currMode = v;
          currTime = times[k];
          continue;
        }
        currFreq++;
        if (mostFreq > currFreq || (mostFreq === currFreq && currTime > mostTime)) continue;
        mostFreq = currFreq;
        mostMode = v;
        mostTime = times[k];
      }
      return [{ t: bucketT, v: mostMode }];
    }
    case 'spread': {
      if (!isNumericType(type)) unsupported('spread', type);
      let mn = values[lo];
      let mx = values[lo];
      for (let i = lo + 1; i < hi; i++) {
        if (cmpCell(values[i], mn) < 0) mn = values[i];
        if (cmpCell(values[i], mx) > 0) mx = values[i];
      }
      const v = typeof mx === 'bigint' ? BigInt.asIntN(64, mx - (mn as bigint)) : (mx as number) - (mn as number);
      return [{ t: bucketT, v }];
    }
    case 'stddev': {
      if (!isNumericType(type)) unsupported('stddev', type);
      const n = hi - lo;
      if (n < 2) return [{ t: bucketT, v: null }];
      // Go's FloatStddevReduceSlice: a running mean, then the squares.
      let mean = 0;
      let count = 0;
      for (let i = lo; i < hi; i++) {
        count++;
        mean += (num(values[i]) - mean) / count;
      }
      let ss = 0;
      for (let i = lo; i < hi; i++) {
        const d = num(values[i]) - mean;
        ss += Math.pow(d, 2);
      }
      return [{ t: bucketT, v: Math.sqrt(ss / (count - 1)) }];
    }
    case 'integral': {
      if (!isNumericType(type)) unsupported('integral', type);
      const unit = Number(args.unit ?? 1_000_000_000n);
      let sum = 0;
      let pt = times[lo];
      let pv = num(values[lo]);
      for (let i = lo + 1; i < hi; i++) {
        const t = times[i];
        const v = num(values[i]);
        if (t !== pt) sum += 0.5 * (v + pv) * (Number(t - pt) / unit);
        pt = t;
        pv = v;
      }
      return [{ t: bucketT, v: sum }];
    }
    case 'first':
    case 'last': {
      let k = lo;
      for (let i = lo + 1; i < hi; i++) {
        const better =
          name === 'first'
            ? times[i] < times[k] || (times[i] === times[k] && cmpCell(values[i], values[k]) > 0)
            : times[i] > times[k] || (times[i] === times[k] && cmpCell(values[i], values[k]) > 0);
        if (better) k = i;
      }
      return [{ t: times[k], v: values[k], src: src[k], srcT: times[k] }];
    }
    case 'max':
    case 'min': {
      if (type === 'string') unsupported(name, type);
      let k = lo;
      for (let i = lo + 1; i < hi; i++) {
        const c = cmpCell(values[i], values[k]);
        const better = (name === 'max' ? c > 0 : c < 0) || (c === 0 && times[i] < times[k]);
        if (better) k = i;
      }
      return [{ t: times[k], v: values[k], src: src[k], srcT: times[k] }];
    }
    case 'percentile': {
      if (!isNumericType(type)) unsupported('percentile', type);
      const idx: number[] = [];
      for (let i = lo; i < hi; i++) idx.push(i);
      idx.sort((a, b) => cmpCell(values[a], values[b]) || (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : 0));
      const i = Math.floor((idx.length * (args.p ?? 0)) / 100 + 0.5) - 1;
      if (i < 0 || i >= idx.length) return [{ t: bucketT, v: null }];
      const k = idx[i];
      return [{ t: times[k], v: values[k], src: src[k], srcT: times[k] }];
    }
    case 'distinct': {
      const seen = new Map<unknown, number>();
      for (let i = lo; i < hi; i++) if (!seen.has(values[i])) seen.set(values[i], i);
      const ks = [...seen.values()];
      ks.sort((a, b) => (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : cmpCell(values[a], values[b])));
      return ks.map((k) => ({ t: bucketT, v: values[k] }));
    }
    case 'sample': {
      const n = args.n ?? 1;
      const idx: number[] = [];
      const rnd = args.random ?? Math.random;
      for (let i = lo; i < hi; i++) {
        const seen = i - lo;
        if (idx.length < n) idx.push(i);
        else {
          const j = Math.floor(rnd() * (seen + 1));
          if (j < n) idx[j] = i;
        }
      }
      idx.sort((a, b) => a - b);
      return idx.map((k) => ({ t: times[k], v: values[k], src: src[k], srcT: times[k] }));
    }
    case 'top':
    case 'bottom': {
      if (!isNumericType(type)) unsupported(name, type);
      const n = args.n ?? 1;
      const sign = name === 'top' ? -1 : 1;
      const order = (a: number, b: number): number =>
        sign * cmpCell(values[a], values[b]) || (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : 0);
      let cand: number[] = [];
      if (args.tagOf) {
        const best = new Map<string, number>();
        for (let i = lo; i < hi; i++) {
          const tag = args.tagOf(src[i]);
          const cur = best.get(tag);
          if (cur === undefined || order(i, cur) < 0) best.set(tag, i);
        }
        cand = [...best.values()];
      } else {
        for (let i = lo; i < hi; i++) cand.push(i);
      }
      cand.sort(order);
      const pick = cand.slice(0, n);
      pick.sort((a, b) => (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : order(a, b)));
      return pick.map((k) => ({ t: times[k], v: values[k], src: src[k], srcT: times[k] }));
    }
    default:
      throw new AggregateError(`undefined function ${name}()`);
  }
}

/** Output type of an aggregate over a field type (for fill values and casts). */
export function aggregateType(name: string, fieldType: string): string {
  switch (name) {
    case 'count':
      return 'integer';
    case 'mean':
    case 'median':
    case 'stddev':
    case 'integral':
      return 'float';
    default:
      return fieldType;
  }
}
