// The two edges of the downsampler's data path, apart from its scheduling:
//   - read: the columns select() gives for one measurement → windows per series field
//     (raw numeric columns through windowsFromPoints; a finer tier's rollup fields,
//     regrouped by source field, through windowsFromColumns);
//   - write: windows → a PointBatch of rollup points (one point per series, source field
//     and window, at the window start, with the nine `${f}_${agg}` fields typed as in
//     docs/retention.md), built straight into the batch's typed arrays.

import { PointBatch } from '../ingest/batch.js';
import { FLOAT, INTEGER, type SeriesColumn } from '../types.js';
import { ROLLUP_AGGS, rollupField, windowsFromColumns, windowsFromPoints, type RollupAgg, type Windows } from './rollup.js';

/** The windows of one source field of one series. */
export interface SeriesWindows {
  /** Canonical series key (measurement and tags), as select() gives it. */
  key: string;
  field: string;
  w: Windows;
}

/** Field type of each aggregate, in ROLLUP_AGGS order: counts and times are integers. */
const AGG_TYPES: readonly number[] = ROLLUP_AGGS.map((a) => (a === 'count' || a === 'tfirst' || a === 'tlast' ? INTEGER : FLOAT));
const AGGS = ROLLUP_AGGS.length;

/** Is this column a numeric field the tiers roll up (float, integer, unsigned)? */
export function isNumeric(c: SeriesColumn): boolean {
  return c.error === undefined && (c.type === 'float' || c.type === 'integer' || c.type === 'unsigned');
}

/** Raw values as float64 (integers rounded to nearest, as every query of them does). */
export function floatValues(c: SeriesColumn): Float64Array {
  const v = c.values;
  if (v instanceof Float64Array) return v;
  const out = new Float64Array(v.length);
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return out;
}

/** Windows of the raw numeric columns of one measurement (others are skipped). */
export function windowsOfRaw(cols: readonly SeriesColumn[], resolution: bigint): { items: SeriesWindows[]; read: number } {
  const items: SeriesWindows[] = [];
  let read = 0;
  for (const c of cols) {
    if (!isNumeric(c) || c.times.length === 0) continue;
    read += c.times.length;
    const w = windowsFromPoints(c.times, floatValues(c), resolution);
    if (w.start.length > 0) items.push({ key: c.key, field: c.field, w });
  }
  return { items, read };
}

/** The aggregate a rollup field name ends with, and its source field (null: not a rollup field). */
export function parseRollupField(name: string): { field: string; agg: RollupAgg } | null {
  // No `_agg` suffix ends with another one (docs/retention.md), so at most one matches.
  for (const agg of ROLLUP_AGGS) {
    const s = `_${agg}`;
    if (name.length > s.length && name.endsWith(s)) return { field: name.slice(0, -s.length), agg };
  }
  return null;
}

/**
 * Windows of a tier's rollup columns of one measurement, grouped back by series and
 * source field. A group missing an aggregate or with columns of different lengths (which
 * the downsampler never writes: the nine fields of a window are one point) is reported in
 * `bad` and left out rather than guessed at.
 */
export function windowsOfTier(cols: readonly SeriesColumn[]): { items: SeriesWindows[]; read: number; bad: string[] } {
  const groups = new Map<string, { key: string; field: string; cols: Partial<Record<RollupAgg, SeriesColumn>> }>();
  for (const c of cols) {
    if (c.error !== undefined || c.times.length === 0) continue;
    const p = parseRollupField(c.field);
    if (!p) continue;
    const id = `${c.key}\u0000${p.field}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: c.key, field: p.field, cols: {} }));
    g.cols[p.agg] = c;
  }
  const items: SeriesWindows[] = [];
  const bad: string[] = [];
  let read = 0;
  for (const g of groups.values()) {
    const start = g.cols.min?.times;
    const arrays = {} as Record<RollupAgg, Float64Array | BigInt64Array>;
    let ok = start !== undefined;
    for (const agg of ROLLUP_AGGS) {
      const c = g.cols[agg];
      if (!ok || !c || c.times.length !== start!.length || c.times[0] !== start![0] || c.times[c.times.length - 1] !== start![start!.length - 1]) {
        ok = false;
        break;
      }
      const v = c.values;
      if (v instanceof Float64Array || v instanceof BigInt64Array) arrays[agg] = v;
      else if (v instanceof BigUint64Array) arrays[agg] = new BigInt64Array(v.buffer, v.byteOffset, v.length);
      else ok = false;
    }
    if (!ok) {
      bad.push(`${g.key} ${g.field}`);
      continue;
    }
    read += start!.length;
    items.push({ key: g.key, field: g.field, w: windowsFromColumns(start!, arrays) });
  }
  return { items, read, bad };
}

/** Rollup points of `items` as one batch (fields in ROLLUP_AGGS order). */
export function rollupBatch(items: readonly SeriesWindows[]): PointBatch {
  let n = 0;
  for (const it of items) n += it.w.start.length;
  const batch = new PointBatch(n + 1, Math.max(1, n * AGGS));
  // 64-bit views over the batch's word arrays (little endian, as the words are laid out):
  // times and integer fields are written as bigint with no word splitting.
  const time64 = new BigInt64Array(batch.time.buffer, batch.time.byteOffset, n);
  const bits64 = new BigInt64Array(batch.fieldBits.buffer, batch.fieldBits.byteOffset, n * AGGS);
  const f64 = batch.fieldF64;
  const { fieldStart, fieldKey, fieldType, lineNo, seriesKey } = batch;
  let i = 0;
  let j = 0;
  for (const { key, field, w } of items) {
    // One string per rollup field, shared by every point of the item.
    const names = ROLLUP_AGGS.map((a) => rollupField(field, a));
    const m = w.start.length;
    for (let k = 0; k < m; k++) {
      seriesKey[i] = key;
      time64[i] = w.start[k];
      lineNo[i] = i + 1;
      fieldStart[i] = j;
      for (let a = 0; a < AGGS; a++) {
        fieldKey[j + a] = names[a];
        fieldType[j + a] = AGG_TYPES[a];
      }
      // ROLLUP_AGGS order: min max sum count first last tfirst tlast inc.
      f64[j] = w.min[k];
      f64[j + 1] = w.max[k];
      f64[j + 2] = w.sum[k];
      bits64[j + 3] = BigInt(w.count[k]);
      f64[j + 4] = w.first[k];
      f64[j + 5] = w.last[k];
      bits64[j + 6] = w.tfirst[k];
      bits64[j + 7] = w.tlast[k];
      f64[j + 8] = w.inc[k];
      j += AGGS;
      i++;
    }
  }
  fieldStart[i] = j;
  batch.count = i;
  batch.fieldCount = j;
  batch.lines = i;
  return batch;
}
