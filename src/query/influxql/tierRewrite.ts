// InfluxQL aggregates answered from downsampling tiers (docs/retention.md, "Reads").
//
// `SELECT mean|min|max|sum|count|first|last(f) ... FROM m WHERE time >= a AND time < b
// [AND tag conditions] GROUP BY time(i[, offset])[, tags] [fill(...)]` is rewritten to read
// the tier policy, whose windows hold each field's min, max, sum, count, first and last:
//
//   mean(f) → sum(f_sum) / sum(f_count)    min(f) → min(f_min)     max(f) → max(f_max)
//   sum(f)  → sum(f_sum)                    count(f) → sum(f_count)
//   first(f) → first(f_first)               last(f) → last(f_last)
//
// keeping the column names, and run through the executor. A tier of resolution R answers
// when R divides i, the offset and both time bounds, nothing else limits or orders the
// rows, and either the raw data for `a` has expired or i / R >= 10. Buckets the downsampler
// has not rolled yet (after its watermark) come from the original statement over raw data
// for [split, b), split a bucket boundary, concatenated per series. Counts come back as
// integers and an integer field's min, max, sum, first and last are cast back to integers
// (the tier keeps them as floats), so the result is what the raw query returns.

import type { BinaryExpr, Call, Expr, Measurement, SelectStatement } from './ast.js';
import { hasParams } from './ast.js';
import { conditionExpr, varRefs } from './condition.js';
import { columnNames, mod } from './plan.js';
import type { Cell, QueryContext, ResultSeries } from './result.js';
import { rollupField, type RollupAgg } from '../../retention/rollup.js';
import type { TierWatermarks } from '../promql/tierSource.js';

/** What a query needs to read tiers; the handler reads `used` afterwards. */
export interface TierReads {
  watermarks: TierWatermarks;
  /** Names of the tier policies that answered (e.g. `autogen:1m`). */
  used: Set<string>;
}

/** The aggregates a tier answers, with the rollup field(s) each reads. */
const REWRITES: Record<string, { call: string; agg: RollupAgg }> = {
  min: { call: 'min', agg: 'min' },
  max: { call: 'max', agg: 'max' },
  sum: { call: 'sum', agg: 'sum' },
  count: { call: 'sum', agg: 'count' },
  first: { call: 'first', agg: 'first' },
  last: { call: 'last', agg: 'last' },
};

/** Reads 10× fewer points: the "coarse enough" rule of docs/retention.md. */
const MIN_RATIO = 10n;

interface Plan {
  db: string;
  measurement: Measurement;
  tier: string;
  resolution: bigint;
  interval: bigint;
  offset: bigint;
  /** Inclusive time bounds. */
  tmin: bigint;
  tmax: bigint;
  split: bigint;
  tagCond: Expr | null;
  /** Per field: the aggregate and whether its source field is an integer. */
  calls: { name: string; integer: boolean }[];
}

/**
 * The statement answered from a tier, or null when no tier may answer it (the caller runs
 * it on raw data). `run` executes a statement on the executor without this rewrite.
 */
export async function selectFromTiers(ctx: QueryContext, stmt: SelectStatement, run: (s: SelectStatement) => Promise<ResultSeries[]>): Promise<ResultSeries[] | null> {
  const reads = ctx.tiers;
  if (reads === undefined) return null;
  const p = planTierRead(ctx, stmt, reads.watermarks);
  if (p === null) return null;
  const names = columnNames(stmt.fields, 'time').slice(1);
  const time = (op: BinaryExpr['op'], v: bigint): Expr => ({ type: 'BinaryExpr', op, lhs: { type: 'VarRef', val: 'time', dataType: 'unknown' }, rhs: { type: 'TimeLiteral', val: v } });
  const and = (...xs: (Expr | null)[]): Expr => xs.filter((x): x is Expr => x !== null).reduce((a, b) => ({ type: 'BinaryExpr', op: 'AND', lhs: a, rhs: b }));
  const tagCond = p.tagCond === null ? null : ({ type: 'ParenExpr', expr: p.tagCond } as Expr);
  const tierStmt: SelectStatement = {
    ...stmt,
    sources: [{ ...p.measurement, database: p.db, retentionPolicy: p.tier }],
    condition: and(tagCond, time('>=', p.tmin), time('<', p.split)),
    fields: stmt.fields.map((f, i) => ({ expr: rewriteCall(f.expr as Call), alias: names[i] })),
  };
  const tierPart = fixTypes(await run(tierStmt), p, stmt);
  reads.used.add(p.tier);
  if (p.split > p.tmax) return tierPart;
  const rawStmt: SelectStatement = { ...stmt, condition: and(tagCond, time('>=', p.split), time('<=', p.tmax)) };
  const rawPart = await run(rawStmt);
  return concatParts(tierPart, rawPart, p, stmt);
}

/** `agg(f)` as the expression over the tier's fields. */
function rewriteCall(c: Call): Expr {
  const f = (c.args[0] as { val: string }).val;
  const ref = (agg: RollupAgg): Expr => ({ type: 'VarRef', val: rollupField(f, agg), dataType: 'unknown' });
  if (c.name === 'mean') {
    return { type: 'BinaryExpr', op: '/', lhs: { type: 'Call', name: 'sum', args: [ref('sum')] }, rhs: { type: 'Call', name: 'sum', args: [ref('count')] } };
  }
  const r = REWRITES[c.name];
  return { type: 'Call', name: r.call, args: [ref(r.agg)] };
}

function planTierRead(ctx: QueryContext, stmt: SelectStatement, watermarks: TierWatermarks): Plan | null {
  if (stmt.target !== null || stmt.sources.length !== 1 || stmt.isRawQuery) return null;
  if (stmt.limit !== 0 || stmt.offset !== 0 || stmt.sLimit !== 0 || stmt.sOffset !== 0 || stmt.location !== null) return null;
  if (stmt.sortFields.some((s) => !s.ascending)) return null;
  const src = stmt.sources[0];
  if (src.type !== 'Measurement' || src.regex !== null || src.name === '') return null;
  const db = src.database || ctx.database || '';
  if (db === '' || !ctx.engine.hasDatabase(db)) return null;
  const rps = ctx.engine.retentionPolicies(db);
  const rp = src.retentionPolicy || ctx.retentionPolicy || ctx.engine.defaultRetentionPolicy(db);
  if (rp === '' || !Object.hasOwn(rps, rp)) return null;
  const tiers = ctx.engine.tiersOf(db, rp);
  if (tiers.length === 0) return null;

  // GROUP BY time(i[, offset]) and tags only.
  let interval = 0n;
  let offset = 0n;
  for (const d of stmt.dimensions) {
    const e = d.expr;
    if (e.type === 'Call' && e.name === 'time') {
      if (interval !== 0n || e.args.length < 1 || e.args[0].type !== 'DurationLiteral') return null;
      interval = e.args[0].val;
      if (e.args.length === 2) {
        const o = e.args[1];
        if (o.type !== 'DurationLiteral') return null;
        offset = o.val;
      }
    } else if (e.type !== 'VarRef' && e.type !== 'Wildcard' && e.type !== 'RegexLiteral') return null;
  }
  if (interval <= 0n) return null;
  offset = mod(offset, interval);

  // Fields: agg(f) of numeric fields.
  const types = ctx.engine.fieldTypes(db, src.name);
  const calls: Plan['calls'] = [];
  for (const f of stmt.fields) {
    const c = f.expr;
    if (c.type !== 'Call' || (c.name !== 'mean' && !(c.name in REWRITES)) || c.args.length !== 1) return null;
    const arg = c.args[0];
    if (arg.type !== 'VarRef' || (arg.dataType !== 'unknown' && arg.dataType !== 'field' && arg.dataType !== types[arg.val])) return null;
    const type = types[arg.val];
    if (type !== 'float' && type !== 'integer') return null;
    calls.push({ name: c.name, integer: type === 'integer' });
  }
  if (calls.length === 0) return null;
  // first()/last() of a group of several series pick by point time, which a window (at its
  // start) does not keep: only when each group is one series (grouped by every tag).
  if (calls.some((c) => c.name === 'first' || c.name === 'last')) {
    const dims = new Set(stmt.dimensions.flatMap((d) => (d.expr.type === 'VarRef' ? [d.expr.val] : d.expr.type === 'Wildcard' ? ['*'] : [])));
    if (!dims.has('*') && !ctx.engine.tagKeys(db, src.name).every((k) => dims.has(k))) return null;
  }
  // Fills whose rewrite would differ: mean as sum/sum with fill(number) or fill(linear),
  // linear interpolation of integers.
  if (stmt.fill === 'number' && calls.some((c) => c.name === 'mean')) return null;
  if (stmt.fill === 'linear' && calls.some((c) => c.name === 'mean' || c.integer)) return null;

  // WHERE time >= a AND time < b [AND tag conditions].
  let cond: { expr: Expr | null; range: { min: bigint | null; max: bigint | null } };
  try {
    if (hasParams(stmt.condition)) return null;
    cond = conditionExpr(stmt.condition, ctx.now, null);
  } catch {
    return null;
  }
  const { min: tmin, max: tmax } = cond.range;
  if (tmin === null || tmax === null || tmax < tmin) return null;
  for (const r of varRefs(cond.expr)) if (Object.hasOwn(types, r.name) || r.dataType === 'field') return null;

  const rawDuration = rps[rp];
  const expired = rawDuration > 0n && ctx.now - rawDuration > tmin;
  // Once some aligned tier is coarse enough (or raw has expired), the coarsest aligned tier
  // answers: it reads the fewest windows and gives the same answer.
  let chosen: (typeof tiers)[number] | null = null;
  let coarse = expired;
  for (const t of tiers) {
    const R = t.resolution;
    if (interval % R !== 0n || offset % R !== 0n || mod(tmin, R) !== 0n || mod(tmax + 1n, R) !== 0n) continue;
    if (interval / R >= MIN_RATIO) coarse = true;
    if (chosen === null || R > chosen.resolution) chosen = t;
  }
  if (!coarse) chosen = null;
  if (chosen === null) return null;

  // Buckets [s, s + i) with s + i <= watermark are rolled: split at the bucket holding it.
  const w = watermarks.watermark(db, chosen.name);
  if (w === null) return null;
  let split = w - mod(w - offset, interval);
  if (split > tmax + 1n) split = tmax + 1n;
  if (split <= tmin) return null;
  // fill(linear) interpolates across the split: only when the tier answers everything.
  if (stmt.fill === 'linear' && split <= tmax) return null;
  return { db, measurement: src, tier: chosen.name, resolution: chosen.resolution, interval, offset, tmin, tmax, split, tagCond: cond.expr, calls };
}

/** The tier's cells as the raw query types them: counts 0 under fill(null), integer fields' values integers. */
function fixTypes(series: ResultSeries[], p: Plan, stmt: SelectStatement): ResultSeries[] {
  for (const s of series) {
    for (const row of s.values) {
      for (let i = 0; i < p.calls.length; i++) {
        const c = p.calls[i];
        const v = row[i + 1];
        if (c.name === 'count') {
          if (v === null && stmt.fill === 'null') row[i + 1] = 0n;
        } else if (c.integer && c.name !== 'mean' && typeof v === 'number') {
          row[i + 1] = BigInt(Math.trunc(v));
        }
      }
    }
  }
  return series;
}

function seriesKey(s: ResultSeries): string {
  const tags = s.tags ?? {};
  return s.name + '\x00' + Object.keys(tags).sort().map((k) => `${k}\x01${tags[k]}`).join('\x02');
}

/** The start of every bucket of [from, to] (inclusive bounds), ascending. */
function bucketStarts(p: Plan, from: bigint, to: bigint): bigint[] {
  const out: bigint[] = [];
  for (let t = from - mod(from - p.offset, p.interval); t <= to; t += p.interval) out.push(t);
  return out;
}

/**
 * Tier rows for [tmin, split) then raw rows for [split, tmax], per series, as one run over
 * [tmin, tmax] gives them: a series missing from one part gets that part's filled rows,
 * and fill(previous) carries the tier's last values into the raw part.
 */
function concatParts(tier: ResultSeries[], raw: ResultSeries[], p: Plan, stmt: SelectStatement): ResultSeries[] {
  const rawByKey = new Map(raw.map((s) => [seriesKey(s), s]));
  const tierByKey = new Map(tier.map((s) => [seriesKey(s), s]));
  const filledRows = (times: bigint[], prev: Cell[] | null): Cell[][] =>
    times.map((t) => [
      t,
      ...p.calls.map((c, i): Cell => {
        switch (stmt.fill) {
          case 'null':
            return c.name === 'count' ? 0n : null;
          case 'number': {
            const v = stmt.fillValue;
            if (v === null) return null;
            if (c.name === 'count' || c.integer) return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
            return Number(v);
          }
          case 'previous':
            return prev === null ? null : prev[i];
          default:
            return null;
        }
      }),
    ]);
  const lastValues = (rows: Cell[][]): Cell[] => {
    const out: Cell[] = p.calls.map(() => null);
    for (const r of rows) for (let i = 0; i < p.calls.length; i++) if (r[i + 1] !== null) out[i] = r[i + 1];
    return out;
  };
  const out: ResultSeries[] = [];
  const keys = mergeOrder(tier.map(seriesKey), raw.map(seriesKey));
  for (const k of keys) {
    const a = tierByKey.get(k);
    const b = rawByKey.get(k);
    const base = (a ?? b)!;
    let head: Cell[][];
    let tail: Cell[][];
    if (stmt.fill === 'none') {
      head = a?.values ?? [];
      tail = b?.values ?? [];
    } else {
      head = a?.values ?? filledRows(bucketStarts(p, p.tmin, p.split - 1n), null);
      const prev = stmt.fill === 'previous' ? lastValues(head) : null;
      if (b === undefined) tail = filledRows(bucketStarts(p, p.split, p.tmax), prev);
      else {
        tail = b.values;
        if (prev !== null) {
          // leading nulls of the raw part: no previous value there, the tier's last one here
          for (let i = 0; i < p.calls.length; i++) {
            for (const r of tail) {
              if (r[i + 1] !== null) break;
              r[i + 1] = prev[i];
            }
          }
        }
      }
    }
    out.push({ ...base, columns: b?.columns ?? base.columns, values: [...head, ...tail] });
  }
  return out;
}

/** The union of two key lists, each in the executor's series order, in that order. */
function mergeOrder(a: string[], b: string[]): string[] {
  const inA = new Set(a);
  const out: string[] = [];
  let j = 0;
  for (const k of a) {
    // keys only in b that sort before k come first
    while (j < b.length && !inA.has(b[j]) && b[j] < k) out.push(b[j++]);
    while (j < b.length && inA.has(b[j])) j++;
    out.push(k);
  }
  for (; j < b.length; j++) if (!inA.has(b[j])) out.push(b[j]);
  return out;
}
