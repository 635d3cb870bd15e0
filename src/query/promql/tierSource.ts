// Reading the windows of a downsampling tier for the engine's SeriesSource (storage.ts):
// rolled-up windows from the tier's policy up to the downsampler's watermark, and the
// windows after it computed from raw points on the fly (docs/retention.md, "Reads").

import type { Database } from '../../engine/database.js';
import { ROLLUP_AGGS, rollupField, windowStart, windowsFromColumns, windowsFromPoints, type RollupAgg, type Windows } from '../../retention/rollup.js';
import type { SeriesColumn, TagMatcher } from '../../types.js';
import { valuesToFloat } from './storage.js';
import type { SourceTiers } from './types.js';

/**
 * How far the downsampler has rolled each tier (src/retention/downsampler.ts satisfies it):
 * every window of `tier` (a policy name such as `autogen:1m`) of database `db` ending at or
 * before the watermark (ns) is rolled up; null when nothing is.
 */
export interface TierWatermarks {
  watermark(db: string, tier: string): bigint | null;
}

/** One (measurement, fields) a metric-name matcher selected in one database. */
export interface TierTarget {
  measurement: string;
  fields: string[];
  /** Metric name by field. */
  names: string[];
}

const ROLLED = new Set(['float', 'integer', 'unsigned']);
const NS_PER_MS = 1_000_000n;

/**
 * The tier resolutions (whole ms) that every database holding a target has on its default
 * policy, coarsest first, and the shortest raw retention among them; null when there is no
 * target, some database has no such tier, or a target field is not rolled up (booleans).
 */
export function sourceTiers(db: Database, targets: { name: string; targets: TierTarget[] }[]): SourceTiers | null {
  let common: Set<number> | null = null;
  let rawRetentionMs = Infinity;
  for (const { name, targets: ts } of targets) {
    if (ts.length === 0) continue;
    for (const t of ts) {
      const types = db.fieldTypes(name, t.measurement);
      if (t.fields.some((f) => !ROLLED.has(types[f]))) return null;
    }
    const rp = db.defaultRetentionPolicy(name);
    if (rp === '') return null;
    const here = new Set<number>();
    for (const tier of db.tiersOf(name, rp)) {
      if (tier.resolution % NS_PER_MS === 0n) here.add(Number(tier.resolution / NS_PER_MS));
    }
    const prev: Set<number> | null = common;
    common = prev === null ? here : new Set([...prev].filter((r: number) => here.has(r)));
    const d = db.retentionPolicies(name)[rp] ?? 0n;
    if (d > 0n) rawRetentionMs = Math.min(rawRetentionMs, Number(d / NS_PER_MS));
  }
  if (common === null || common.size === 0) return null;
  return { resolutionsMs: [...common].sort((a, b) => b - a), rawRetentionMs };
}

/** The windows of one series field. */
export interface FieldWindows {
  key: string;
  tags: Record<string, string>;
  field: string;
  windows: Windows;
}

/**
 * The windows of `resolution` ns of a target's series that start in [startNs, endNs) (both
 * multiples of the resolution): from the tier up to the watermark, from raw points after.
 * Null when database `name` has no such tier.
 */
export function readTargetWindows(
  db: Database,
  watermarks: TierWatermarks,
  name: string,
  t: TierTarget,
  where: TagMatcher[],
  startNs: bigint,
  endNs: bigint,
  resolution: bigint,
): { tier: string; found: FieldWindows[] } | null {
  const rp = db.defaultRetentionPolicy(name);
  const tier = db.tiersOf(name, rp).find((x) => x.resolution === resolution);
  if (tier === undefined) return null;
  const w = watermarks.watermark(name, tier.name);
  // Windows starting before `split` end at or before the watermark: rolled up.
  const split = w === null ? startNs : clamp(windowStart(w, resolution), startNs, endNs);
  const byKey = new Map<string, FieldWindows[]>();
  const put = (fw: FieldWindows): void => {
    const k = `${fw.key}\x00${fw.field}`;
    const list = byKey.get(k);
    if (list) list.push(fw);
    else byKey.set(k, [fw]);
  };
  if (split > startNs) {
    const fields = t.fields.flatMap((f) => ROLLUP_AGGS.map((a) => rollupField(f, a)));
    const cols = db.select({ db: name, rp: tier.name, measurement: t.measurement, field: fields, where, start: startNs, end: split });
    for (const fw of tierWindows(cols, t.fields)) put(fw);
  }
  if (split < endNs) {
    const cols = db.select({ db: name, rp, measurement: t.measurement, field: t.fields, where, start: split, end: endNs });
    for (const c of cols) {
      if (c.error !== undefined || c.times.length === 0 || !ROLLED.has(c.type)) continue;
      const values = valuesToFloat(c.type, c.values);
      put({ key: c.key, tags: c.tags, field: c.field, windows: windowsFromPoints(c.times, values, resolution) });
    }
  }
  const found: FieldWindows[] = [];
  for (const list of byKey.values()) found.push(list.length === 1 ? list[0] : { ...list[0], windows: concatWindows(list.map((x) => x.windows)) });
  return { tier: tier.name, found };
}

function clamp(x: bigint, lo: bigint, hi: bigint): bigint {
  return x < lo ? lo : x > hi ? hi : x;
}

/** The tier's columns of each series (grouped by key) as windows of each source field. */
function tierWindows(cols: SeriesColumn[], fields: string[]): FieldWindows[] {
  const bySeries = new Map<string, { tags: Record<string, string>; cols: Map<string, SeriesColumn> }>();
  for (const c of cols) {
    if (c.error !== undefined) continue;
    let s = bySeries.get(c.key);
    if (!s) bySeries.set(c.key, (s = { tags: c.tags, cols: new Map() }));
    s.cols.set(c.field, c);
  }
  const out: FieldWindows[] = [];
  for (const [key, s] of bySeries) {
    for (const f of fields) {
      const count = s.cols.get(rollupField(f, 'count'));
      if (count === undefined || count.times.length === 0) continue;
      const start = count.times;
      const agg = {} as Record<RollupAgg, Float64Array | BigInt64Array>;
      let ok = true;
      for (const a of ROLLUP_AGGS) {
        const c = s.cols.get(rollupField(f, a));
        if (c === undefined || (c.type !== 'float' && c.type !== 'integer')) {
          ok = false;
          break;
        }
        agg[a] = aligned(c, start);
      }
      if (ok) out.push({ key, tags: s.tags, field: f, windows: windowsFromColumns(start, agg) });
    }
  }
  return out;
}

/** A column's values at the times `start` (the same times in practice: the downsampler
 * writes a window's fields in one point); NaN / 0 where it has none. */
function aligned(c: SeriesColumn, start: BigInt64Array): Float64Array | BigInt64Array {
  const v = c.values as Float64Array | BigInt64Array;
  if (c.times.length === start.length && c.times.every((t, i) => t === start[i])) return v;
  const out = v instanceof Float64Array ? new Float64Array(start.length).fill(NaN) : new BigInt64Array(start.length);
  let j = 0;
  for (let i = 0; i < start.length; i++) {
    while (j < c.times.length && c.times[j] < start[i]) j++;
    if (j < c.times.length && c.times[j] === start[i]) out[i] = v[j] as never;
  }
  return out;
}

/** Windows of consecutive, non-overlapping spans, in order, as one. */
function concatWindows(parts: Windows[]): Windows {
  if (parts.length === 1) return parts[0];
  const cat = <T extends Float64Array | BigInt64Array>(pick: (w: Windows) => T, make: (n: number) => T): T => {
    const n = parts.reduce((s, p) => s + pick(p).length, 0);
    const out = make(n);
    let o = 0;
    for (const p of parts) {
      out.set(pick(p) as never, o);
      o += pick(p).length;
    }
    return out;
  };
  const f = (pick: (w: Windows) => Float64Array) => cat(pick, (n) => new Float64Array(n));
  const b = (pick: (w: Windows) => BigInt64Array) => cat(pick, (n) => new BigInt64Array(n));
  return {
    start: b((w) => w.start),
    min: f((w) => w.min),
    max: f((w) => w.max),
    sum: f((w) => w.sum),
    count: f((w) => w.count),
    first: f((w) => w.first),
    last: f((w) => w.last),
    tfirst: b((w) => w.tfirst),
    tlast: b((w) => w.tlast),
    inc: f((w) => w.inc),
  };
}
