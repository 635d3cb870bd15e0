// Edge rollups (docs/forwarding.md, "Edge rollups"): for chosen measurements the upstream
// gets the rollup points the local Downsampler writes into one tier, never the raw points.
//
// The tier's points are already in the WAL (the downsampler writes through the normal
// write path), so forwarding them needs no second queue: a tier point of a chosen
// measurement, read from the WAL, is turned into a point of the same series and time (the
// window start) whose fields are the requested aggregates `<f>_<agg>`, and it goes upstream
// in the tier's parent policy. A window rolled again (late points, a restart) is written
// to the WAL again and so forwarded again: same series and time, it overwrites upstream.

import { badRequest } from '../errors.js';
import { PointBatch } from '../ingest/batch.js';
import { escapeMeasurement } from '../ingest/seriesKey.js';
import { parseRollupField } from '../retention/tierWrite.js';
import { FLOAT, INTEGER, UNSIGNED } from '../types.js';

export type RollupAggregate = 'min' | 'max' | 'mean' | 'last' | 'first' | 'sum' | 'count';

export const ROLLUP_AGGREGATES: readonly RollupAggregate[] = ['min', 'max', 'mean', 'last', 'first', 'sum', 'count'];

export interface ForwardRollup {
  /** Measurements whose raw points stay local; only their rollups go upstream. */
  measurements: string[];
  /** The downsampling tier the rollups are read from, `<rp>:<res>` (e.g. `autogen:1m`). */
  tier: string;
  /** Fields sent per source field `f`: `<f>_<agg>` (`mean` = sum/count; `count` integer). */
  aggregates: RollupAggregate[];
}

/** A checked ForwardRollup, ready for the per-record work. */
export interface RollupPlan {
  measurements: ReadonlySet<string>;
  /** The measurements as they start a canonical series key (escaped). */
  keyPrefixes: readonly string[];
  tier: string;
  /** The policy the tier rolls up: where its points go upstream (`{rp}` in the URL). */
  parentRp: string;
  aggregates: readonly RollupAggregate[];
}

/** Checks a rollup option; throws a 400-style error naming what is wrong. */
export function compileRollup(cfg: ForwardRollup): RollupPlan {
  const where = 'forward rollup';
  if (!Array.isArray(cfg.measurements) || cfg.measurements.length === 0 || cfg.measurements.some((m) => typeof m !== 'string' || m === '')) {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `${where}: measurements must be a non-empty list of measurement names`);
  }
  const tier = cfg.tier ?? '';
  const colon = typeof tier === 'string' ? tier.lastIndexOf(':') : -1;
  if (colon <= 0 || colon === tier.length - 1) {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `${where}: tier ${JSON.stringify(cfg.tier)} is not a tier's policy name: give <rp>:<resolution>, e.g. autogen:1m`);
  }
  if (!Array.isArray(cfg.aggregates) || cfg.aggregates.length === 0) {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `${where}: aggregates must name at least one of ${ROLLUP_AGGREGATES.join(', ')}`);
  }
  const aggregates: RollupAggregate[] = [];
  for (const a of cfg.aggregates) {
    if (!ROLLUP_AGGREGATES.includes(a)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `${where}: aggregate ${JSON.stringify(a)}: use ${ROLLUP_AGGREGATES.join(', ')}`);
    if (!aggregates.includes(a)) aggregates.push(a);
  }
  const measurements = new Set(cfg.measurements);
  return { measurements, keyPrefixes: [...measurements].map(escapeMeasurement), tier, parentRp: tier.slice(0, colon), aggregates };
}

/** Whether canonical series key `key` is of one of the plan's measurements: its escaped
 * measurement followed by the end or the first tag (no unescaping per point). */
export function isRollupSeries(plan: RollupPlan, key: string): boolean {
  for (const p of plan.keyPrefixes) if (key.startsWith(p) && (key.length === p.length || key.charCodeAt(p.length) === 44)) return true;
  return false;
}

/** The points of `batch` not of the plan's measurements (the raw points that are
 * forwarded): the batch itself when none is withheld, null when all are. */
export function withoutRollupMeasurements(plan: RollupPlan, batch: PointBatch): { batch: PointBatch | null; withheld: number } {
  let keep: number[] | null = null;
  for (let i = 0; i < batch.count; i++) {
    if (isRollupSeries(plan, batch.seriesKey[i])) {
      if (keep === null) {
        keep = [];
        for (let k = 0; k < i; k++) keep.push(k);
      }
    } else if (keep !== null) keep.push(i);
  }
  if (keep === null) return { batch, withheld: 0 };
  const withheld = batch.count - keep.length;
  if (keep.length === 0) return { batch: null, withheld };
  const out = new PointBatch(keep.length + 1, 16);
  for (const i of keep) {
    out.ensurePoint();
    const n = out.count;
    out.seriesKey[n] = batch.seriesKey[i];
    out.time[2 * n] = batch.time[2 * i];
    out.time[2 * n + 1] = batch.time[2 * i + 1];
    out.lineNo[n] = batch.lineNo[i];
    out.fieldStart[n] = out.fieldCount;
    const from = batch.fieldStart[i];
    const to = batch.fieldStart[i + 1];
    out.ensureFields(to - from);
    for (let j = from; j < to; j++) {
      const o = out.fieldCount++;
      out.fieldKey[o] = batch.fieldKey[j];
      out.fieldType[o] = batch.fieldType[j];
      out.fieldBits[2 * o] = batch.fieldBits[2 * j];
      out.fieldBits[2 * o + 1] = batch.fieldBits[2 * j + 1];
      if (batch.fieldStr[j] !== undefined) out.fieldStr[o] = batch.fieldStr[j];
    }
    out.count++;
  }
  out.fieldStart[out.count] = out.fieldCount;
  out.lines = out.count;
  return { batch: out, withheld };
}

type Kept = 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';
const KEPT: ReadonlySet<string> = new Set<Kept>(['min', 'max', 'sum', 'count', 'first', 'last']);

/** The tier aggregates one source field of one tier point holds. */
interface Parts {
  field: string;
  v: Partial<Record<Kept, number>>;
}

/**
 * The points to forward for a batch of the plan's tier: its points of the plan's
 * measurements (others are dropped: their raw points were forwarded), each with the
 * requested aggregates of every source field it holds, floats except `count` (an
 * integer). An aggregate whose tier fields are missing is left out (the downsampler
 * always writes all of them), and `mean` of a window with count 0 too.
 */
export function rollupPoints(plan: RollupPlan, batch: PointBatch): PointBatch {
  const out = new PointBatch(16, 64);
  const aggs = plan.aggregates;
  for (let i = 0; i < batch.count; i++) {
    const key = batch.seriesKey[i];
    if (!isRollupSeries(plan, key)) continue;
    // The downsampler writes one point per source field and window, so this is one
    // entry; a list keeps the order of the fields if a point holds several.
    const parts: Parts[] = [];
    for (let j = batch.fieldStart[i]; j < batch.fieldStart[i + 1]; j++) {
      const p = parseRollupField(batch.fieldKey[j]);
      if (p === null || !KEPT.has(p.agg)) continue;
      const v = numberOf(batch, j);
      if (v === null) continue;
      let e = parts.find((x) => x.field === p.field);
      if (!e) parts.push((e = { field: p.field, v: {} }));
      e.v[p.agg as Kept] = v;
    }
    if (parts.length === 0) continue;
    out.ensurePoint();
    out.ensureFields(parts.length * aggs.length);
    const start = out.fieldCount;
    for (const { field, v } of parts) {
      for (const a of aggs) {
        let x: number | undefined;
        if (a === 'mean') x = v.sum !== undefined && v.count !== undefined && v.count > 0 ? v.sum / v.count : undefined;
        else x = v[a];
        if (x === undefined) continue;
        const o = out.fieldCount++;
        out.fieldKey[o] = `${field}_${a}`;
        if (a === 'count') {
          out.fieldType[o] = INTEGER;
          setInt(out, o, x);
        } else {
          out.fieldType[o] = FLOAT;
          out.fieldF64[o] = x;
        }
      }
    }
    if (out.fieldCount === start) continue;
    const n = out.count++;
    out.seriesKey[n] = key;
    out.time[2 * n] = batch.time[2 * i];
    out.time[2 * n + 1] = batch.time[2 * i + 1];
    out.lineNo[n] = n + 1;
    out.fieldStart[n] = start;
  }
  out.fieldStart[out.count] = out.fieldCount;
  out.lines = out.count;
  return out;
}

const TWO32 = 4294967296;

/** A numeric field value as a number (null: not numeric). */
function numberOf(b: PointBatch, j: number): number | null {
  switch (b.fieldType[j]) {
    case FLOAT:
      return b.fieldF64[j];
    case INTEGER:
      return (b.fieldBits[2 * j + 1] | 0) * TWO32 + (b.fieldBits[2 * j] >>> 0);
    case UNSIGNED:
      return (b.fieldBits[2 * j + 1] >>> 0) * TWO32 + (b.fieldBits[2 * j] >>> 0);
    default:
      return null;
  }
}

/** Writes a non-negative integer (a count, far below 2^53) as int64 words. */
function setInt(b: PointBatch, o: number, v: number): void {
  b.fieldBits[2 * o] = v % TWO32 >>> 0;
  b.fieldBits[2 * o + 1] = Math.floor(v / TWO32) >>> 0;
}
