// Cutting deleted time ranges out of a column (tombstones, docs/format/tombstones.md):
// the read path filters the points a file still holds but a delete removed, and the
// compaction executor drops them for good. Pure and synchronous, so the file worker runs
// it too.

import type { ColumnValues } from '../types.js';
import { timeLowerBound as lowerBound, type Chunk } from './merge.js';

/** A deleted time range, both ends inclusive (so the whole int64 range can be named). */
export interface DeleteRange {
  min: bigint;
  max: bigint;
}

/** A tombstone as the compaction executor gets it: the series ids (ascending) and the range. */
export interface CompactDelete extends DeleteRange {
  ids: Uint32Array;
}

/** True when the ascending `ids` hold `id` (binary search). */
export function hasId(ids: Uint32Array, id: number): boolean {
  let a = 0;
  let z = ids.length;
  while (a < z) {
    const m = (a + z) >>> 1;
    if (ids[m] < id) a = m + 1;
    else z = m;
  }
  return a < ids.length && ids[a] === id;
}

/** The ranges among `dels` that name series `id`. */
export function rangesFor(dels: readonly CompactDelete[] | undefined, id: number): DeleteRange[] {
  if (!dels || dels.length === 0) return [];
  const out: DeleteRange[] = [];
  for (const d of dels) if (hasId(d.ids, id)) out.push(d);
  return out;
}

/** True when some range overlaps [min, max]. */
export function overlapsAny(ranges: readonly DeleteRange[], min: bigint, max: bigint): boolean {
  for (const r of ranges) if (r.min <= max && min <= r.max) return true;
  return false;
}

/** True when one range covers all of [min, max]. */
export function coveredBy(ranges: readonly DeleteRange[], min: bigint, max: bigint): boolean {
  for (const r of ranges) if (r.min <= min && max <= r.max) return true;
  return false;
}

/**
 * The points of a sorted column outside every range: `chunk` itself when none falls in
 * one, else new arrays (the input is left alone).
 */
export function cutRanges<C extends Chunk>(chunk: C, ranges: readonly DeleteRange[]): C {
  const times = chunk.times;
  const n = times.length;
  if (n === 0 || ranges.length === 0) return chunk;
  // Index intervals [a, b) to drop, one per range, then merged.
  const cuts: [number, number][] = [];
  for (const r of ranges) {
    if (r.max < times[0] || r.min > times[n - 1]) continue;
    const a = lowerBound(times, r.min);
    const b = r.max >= times[n - 1] ? n : lowerBound(times, r.max + 1n);
    if (b > a) cuts.push([a, b]);
  }
  if (cuts.length === 0) return chunk;
  cuts.sort((x, y) => x[0] - y[0]);
  const keep: [number, number][] = [];
  let at = 0;
  for (const [a, b] of cuts) {
    if (a > at) keep.push([at, a]);
    if (b > at) at = b;
  }
  if (at < n) keep.push([at, n]);
  let total = 0;
  for (const [a, b] of keep) total += b - a;
  const outT = new BigInt64Array(total);
  let values: ColumnValues;
  if (Array.isArray(chunk.values)) {
    const src = chunk.values as string[];
    const out: string[] = [];
    for (const [a, b] of keep) for (let i = a; i < b; i++) out.push(src[i]);
    values = out;
  } else {
    const src = chunk.values as Float64Array;
    const out = new (src.constructor as { new (n: number): Float64Array })(total);
    let o = 0;
    for (const [a, b] of keep) {
      out.set(src.subarray(a, b), o);
      o += b - a;
    }
    values = out as unknown as ColumnValues;
  }
  let o = 0;
  for (const [a, b] of keep) {
    outT.set(times.subarray(a, b), o);
    o += b - a;
  }
  return { ...chunk, times: outT, values };
}
