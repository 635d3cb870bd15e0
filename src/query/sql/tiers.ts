// SQL aggregates over time buckets answered from downsampling tiers (docs/retention.md,
// "Reads"; docs/sql.md, "Downsampling tiers").
//
//   SELECT time_bucket('1h', time) AS t, host, avg(f), min(f), max(f), sum(f), count(f)
//   FROM m WHERE time >= a AND time < b [AND tag predicates] GROUP BY t, host [HAVING ...]
//   [ORDER BY ...] [LIMIT ...]
//
// is answered from the coarsest tier of resolution R that divides the bucket width, the
// bucket origin and both bounds, when the raw data no longer covers `a` or a bucket spans
// at least 10 windows (InfluxQL's rules, src/query/influxql/tierRewrite.ts). Instead of
// one row per point, the executor gets one synthetic row per series and bucket, built by
// folding the tier's windows (up to the downsampler's watermark) and windows computed from
// raw points after it; hidden columns carry each field's min, max, sum and count there,
// and the aggregates are rewritten onto them:
//
//   avg(f) → sum(f.sumf) / sum(f.count)     sum(f) → sum(f.sum)     min(f) → min(f.min)
//   count(f) → coalesce(sum(f.count), 0)    max(f) → max(f.max)
//
// The rest of the statement (GROUP BY, HAVING, ORDER BY, LIMIT) runs unchanged on those
// rows, so the answer is the raw one: the same groups, the same types (an integer field's
// min, max and sum stay integers), the same values up to float rounding of sums. A row's
// time is its series' oldest point in the bucket (the window's `tfirst`), so groups appear
// in the order raw rows would create them and ties of ORDER BY come out the same.

import type { Database } from '../../engine/database.js';
import { rollupField, windowsFromPoints, windowStart, type RollupAgg } from '../../retention/rollup.js';
import type { SeriesColumn, TagMatcher } from '../../types.js';
import type { TierReads } from '../influxql/tierRewrite.js';
import { valuesToFloat } from '../promql/storage.js';
import type { Expr, SelectStmt } from './ast.js';
import { AGGREGATES, constant, toTime, type Row, type ScopeColumn } from './compile.js';
import { parseDuration } from './duration.js';
import type { SqlValue } from './values.js';

export type { TierReads };

/** Reads 10× fewer points: the "coarse enough" rule of docs/retention.md. */
const MIN_RATIO = 10n;

const NUMERIC = new Set(['float', 'integer', 'unsigned']);

/** What the executor knows about the table (execute.ts's Source and PushDown). */
export interface TierTable {
  db: string;
  measurement: string;
  alias: string;
  columns: ScopeColumn[];
}

export interface TierPushDown {
  where: TagMatcher[];
  start?: bigint;
  end?: bigint;
  rest: Expr[];
  none: boolean;
}

/** The executor's pieces the tier path reuses, so both build rows the same way. */
export interface TierDeps {
  engine: Database;
  reads: TierReads;
  src: string;
  params: readonly unknown[];
  now: bigint;
  /** The table's columns for one series: tags filled in (typed as declared), the rest null. */
  baseRow(tags: Record<string, string>): SqlValue[];
  /** The executor's series order (readRows), which breaks ties between rows of one time. */
  compareSeries(ka: string, ta: Record<string, string>, kb: string, tb: Record<string, string>): number;
}

/** A statement rewritten onto synthetic rows, for the executor's grouping stage. */
export interface TierSelect {
  stmt: SelectStmt;
  scope: ScopeColumn[];
  rows: Row[];
  /** WHERE conjuncts still to check on the rows (tag predicates only). */
  residual: Expr[];
  tier: string;
}

/** Not answerable from a tier: thrown inside the rewrite, caught at its top. */
class Ineligible extends Error {}

function no(): never {
  throw new Ineligible();
}

type Agg = 'min' | 'max' | 'sum' | 'sumf' | 'count';

interface FieldPlan {
  name: string;
  /** The SQL type of the column: integer fields keep integer min, max and sum. */
  integer: boolean;
  /** Aggregates the statement reads; empty: the field only makes rows exist. */
  aggs: Set<Agg>;
}

interface Bucketing {
  width: bigint;
  origin: bigint;
}

/** The hidden column of a field's aggregate (a NUL cannot appear in a SQL identifier). */
function hiddenName(field: string, agg: Agg): string {
  return `${field}\u0000${agg}`;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Structural equality of expressions, ignoring positions and table qualifiers (one table). */
function sameExpr(a: Expr, b: Expr): boolean {
  return JSON.stringify(a, strip) === JSON.stringify(b, strip);
}

function strip(key: string, v: unknown): unknown {
  if (key === 'pos' || key === 'table') return undefined;
  return typeof v === 'bigint' ? `${v}n` : v;
}

function colRefs(e: Expr, out: Extract<Expr, { k: 'col' }>[] = []): Extract<Expr, { k: 'col' }>[] {
  switch (e.k) {
    case 'col':
      out.push(e);
      break;
    case 'bin':
      colRefs(e.l, out);
      colRefs(e.r, out);
      break;
    case 'not':
    case 'neg':
    case 'isnull':
      colRefs(e.e, out);
      break;
    case 'in':
      colRefs(e.e, out);
      e.list.forEach((x) => colRefs(x, out));
      break;
    case 'like':
      colRefs(e.e, out);
      colRefs(e.pattern, out);
      break;
    case 'call':
      e.args.forEach((x) => colRefs(x, out));
      break;
    default:
  }
  return out;
}

/**
 * The statement answered from a tier, or null when no tier may answer it (the caller reads
 * raw rows). Records the tier in `deps.reads.used`.
 */
export function selectFromTier(deps: TierDeps, s: SelectStmt, table: TierTable, pd: TierPushDown): TierSelect | null {
  try {
    return plan(deps, s, table, pd);
  } catch (e) {
    if (e instanceof Ineligible) return null;
    throw e;
  }
}

function plan(deps: TierDeps, s: SelectStmt, table: TierTable, pd: TierPushDown): TierSelect | null {
  const { engine } = deps;
  if (s.join !== undefined || pd.none || pd.start === undefined || pd.end === undefined) return null;
  const start = pd.start;
  const end = pd.end;
  const db = table.db;
  if (!engine.hasDatabase(db)) return null;
  const rp = engine.defaultRetentionPolicy(db);
  if (rp === '') return null;
  const tiers = engine.tiersOf(db, rp);
  if (tiers.length === 0) return null;

  const cols = table.columns;
  const column = (name: string): ScopeColumn | undefined => cols.find((c) => c.name === name);
  const cctx = { src: deps.src, params: deps.params, now: deps.now };

  // Residual WHERE terms: only tag predicates, which hold alike for every row of a series.
  for (const c of pd.rest) {
    for (const r of colRefs(c)) if (column(r.name)?.kind !== 'tag') return null;
  }

  // Select items, no `*` (it lists raw columns).
  const items: { expr: Expr; alias?: string }[] = [];
  for (const it of s.items) {
    if (it.k !== 'expr') return null;
    items.push({ expr: it.expr, alias: it.alias });
  }
  const aliases = new Set(items.flatMap((i) => (i.alias === undefined ? [] : [i.alias])));
  // execute.ts's substitute(): positions and select-list aliases in GROUP BY / ORDER BY.
  const substitute = (e: Expr, preferAlias: boolean): Expr => {
    if (e.k === 'lit' && typeof e.v === 'bigint') {
      const n = Number(e.v);
      return n >= 1 && n <= items.length ? items[n - 1].expr : no();
    }
    if (e.k === 'col' && e.table === undefined) {
      const item = items.find((it) => it.alias === e.name);
      if (item && (preferAlias || column(e.name) === undefined)) return item.expr;
    }
    return e;
  };
  // A name neither a column nor an alias is the raw path's error to report.
  const known = (e: Expr): void => {
    for (const r of colRefs(e)) if (column(r.name) === undefined && !(r.table === undefined && aliases.has(r.name))) no();
  };
  s.groupBy.forEach(known);
  s.orderBy.forEach((o) => known(o.expr));
  if (s.having) known(s.having);

  // GROUP BY: at most one time bucket, and tag columns.
  const keys = s.groupBy.map((g) => substitute(g, false));
  let bucket: Bucketing | null = null;
  for (const k of keys) {
    if (k.k === 'col' && column(k.name)?.kind === 'tag') continue;
    if (k.k === 'call' && (k.name === 'time_bucket' || k.name === 'date_bin') && bucket === null) {
      bucket = bucketing(k, cctx, column);
      continue;
    }
    return null;
  }

  // Rewrite every expression onto the hidden columns; fields are read only inside
  // avg/min/max/sum/count, other columns only as GROUP BY keys (never "the first row's").
  const fields = new Map<string, FieldPlan>();
  const storedTypes = engine.fieldTypes(db, table.measurement);
  const rw = (e: Expr): Expr => {
    if (keys.some((k) => sameExpr(k, e))) return e;
    switch (e.k) {
      case 'lit':
      case 'interval':
      case 'param':
        return e;
      case 'col':
        return no();
      case 'bin':
        return { ...e, l: rw(e.l), r: rw(e.r) };
      case 'not':
      case 'neg':
      case 'isnull':
        return { ...e, e: rw(e.e) };
      case 'in':
        return { ...e, e: rw(e.e), list: e.list.map(rw) };
      case 'like':
        return { ...e, e: rw(e.e), pattern: rw(e.pattern) };
      case 'call':
        if (!AGGREGATES.has(e.name)) return { ...e, args: e.args.map(rw) };
        return rewriteAggregate(e, (name) => fieldPlan(name, column, storedTypes, fields));
    }
  };
  const outName = (e: Expr): string => (e.k === 'col' || e.k === 'call' ? e.name : '?column?');
  const newItems = items.map((i) => {
    const expr = rw(i.expr);
    // keep the column name the raw query gives (avg(f) is now a division)
    const alias = i.alias ?? (outName(expr) === outName(i.expr) ? undefined : outName(i.expr));
    return { k: 'expr' as const, expr, alias };
  });
  const orderBy = s.orderBy.map((o) => {
    const e = o.expr;
    // positions and aliases are left for the executor, which maps them to the new items
    if ((e.k === 'lit' && typeof e.v === 'bigint') || (e.k === 'col' && e.table === undefined && aliases.has(e.name))) {
      rw(substitute(e, true));
      return o;
    }
    return { ...o, expr: rw(e) };
  });
  const having = s.having === undefined ? undefined : rw(s.having);
  if (fields.size === 0) return null;

  // Rows exist where any field has a point: every field of the table decides which groups
  // exist, so all must be rolled up (a boolean or string field would make rows alone).
  for (const c of cols) {
    if (c.kind !== 'field' || fields.has(c.name)) continue;
    const stored = storedTypes[c.name];
    if (stored === undefined) continue; // never written: makes no rows
    if (!NUMERIC.has(stored)) return null;
    fields.set(c.name, { name: c.name, integer: false, aggs: new Set() });
  }

  // The tier: the coarsest whose resolution divides the buckets and the bounds, once one of
  // them is coarse enough (or raw data has expired): it reads the fewest windows.
  const span = bucket?.width ?? end - start;
  const rawDuration = engine.retentionPolicies(db)[rp] ?? 0n;
  const expired = rawDuration > 0n && deps.now - rawDuration > start;
  const aligned = tiers
    .filter((t) => {
      const R = t.resolution;
      if (mod(start, R) !== 0n || mod(end, R) !== 0n) return false;
      return bucket === null || (bucket.width % R === 0n && mod(bucket.origin, R) === 0n);
    })
    .sort((a, b) => (a.resolution > b.resolution ? -1 : a.resolution < b.resolution ? 1 : 0));
  const candidates = expired || aligned.some((t) => span / t.resolution >= MIN_RATIO) ? aligned : [];
  for (const t of candidates) {
    const w = deps.reads.watermarks.watermark(db, t.name);
    if (w === null) continue;
    // Windows starting before `split` end at or before the watermark: rolled up.
    let split = windowStart(w, t.resolution);
    if (split > end) split = end;
    if (split <= start) continue;
    const scope = [...cols, ...hiddenColumns(table.alias, fields)];
    const rows = windowRows(deps, table, pd.where, fields, { tier: t.name, rp, resolution: t.resolution, start, split, end }, bucket, scope.length);
    deps.reads.used.add(t.name);
    return { stmt: { ...s, items: newItems, orderBy, having, where: undefined }, scope, rows, residual: pd.rest, tier: t.name };
  }
  return null;
}

/** `time_bucket(width, time [, origin])` with constant width and origin. */
function bucketing(k: Extract<Expr, { k: 'call' }>, cctx: { src: string; params: readonly unknown[]; now: bigint }, column: (n: string) => ScopeColumn | undefined): Bucketing {
  if (k.star || k.args.length < 2 || k.args.length > 3) no();
  const t = k.args[1];
  if (t.k !== 'col' || column(t.name)?.kind !== 'time') no();
  if (colRefs(k.args[0]).length > 0 || (k.args[2] !== undefined && colRefs(k.args[2]).length > 0)) no();
  const wv = constant(k.args[0], cctx).value;
  const width = typeof wv === 'bigint' ? wv : typeof wv === 'string' ? parseDuration(wv) : null;
  if (width === null || width <= 0n) no();
  let origin = 0n;
  if (k.args[2] !== undefined) {
    const o = toTime(constant(k.args[2], cctx).value, { ...cctx, scope: [], allowAgg: false }, k.args[2].pos);
    if (o === null) no();
    origin = o;
  }
  return { width, origin };
}

/** The plan of a field an aggregate reads; null when it is not a numeric field column. */
function fieldPlan(name: string, column: (n: string) => ScopeColumn | undefined, stored: Record<string, string>, fields: Map<string, FieldPlan>): FieldPlan {
  const c = column(name);
  if (c === undefined || c.kind !== 'field') no();
  const st = stored[name];
  // The raw rows carry the declared type: only where it is the stored one (no conversion).
  const ok = (c.type === 'float' && st === 'float') || (c.type === 'integer' && (st === 'integer' || st === 'unsigned'));
  if (!ok) no();
  let p = fields.get(name);
  if (p === undefined) fields.set(name, (p = { name, integer: c.type === 'integer', aggs: new Set() }));
  return p;
}

function rewriteAggregate(e: Extract<Expr, { k: 'call' }>, plan: (field: string) => FieldPlan): Expr {
  if (e.star || e.args.length !== 1) no();
  const a = e.args[0];
  if (a.k !== 'col') no();
  const p = plan(a.name);
  const pos = e.pos;
  const ref = (agg: Agg): Expr => {
    p.aggs.add(agg);
    return { k: 'col', name: hiddenName(p.name, agg), pos };
  };
  const call = (name: string, ...args: Expr[]): Expr => ({ k: 'call', name, args, star: false, pos });
  switch (e.name) {
    case 'avg':
      return { k: 'bin', op: '/', l: call('sum', ref('sumf')), r: call('sum', ref('count')), pos };
    case 'sum':
      return call('sum', ref('sum'));
    case 'min':
      return call('min', ref('min'));
    case 'max':
      return call('max', ref('max'));
    case 'count':
      // a group whose rows all lack the field: raw count is 0, sum of no counts NULL
      return call('coalesce', call('sum', ref('count')), { k: 'lit', v: 0n, pos });
    default:
      // first/last pick by point time across series, which a window does not keep
      return no();
  }
}

const AGG_ORDER: Agg[] = ['min', 'max', 'sum', 'sumf', 'count'];

function hiddenColumns(qual: string, fields: Map<string, FieldPlan>): ScopeColumn[] {
  const out: ScopeColumn[] = [];
  for (const p of fields.values()) {
    for (const a of AGG_ORDER) {
      const type = a === 'count' ? 'integer' : a === 'sumf' ? 'float' : p.integer ? 'integer' : 'float';
      out.push({ qual, name: hiddenName(p.name, a), type, kind: 'field', hidden: true });
    }
  }
  return out;
}

// ---- reading and folding windows ------------------------------------------------------

/** Windows of one series field, ascending by start; only the arrays a plan needs. */
interface WindowList {
  start: BigInt64Array;
  tfirst: BigInt64Array;
  min?: Float64Array;
  max?: Float64Array;
  sum?: Float64Array;
  count?: Float64Array;
}

/** One series field's fold over one bucket. */
interface Acc {
  bucket: bigint;
  tfirst: bigint;
  min: number;
  max: number;
  sum: number;
  count: number;
}

interface Span {
  tier: string;
  rp: string;
  resolution: bigint;
  start: bigint;
  split: bigint;
  end: bigint;
}

/** What each rollup aggregate of a plan needs read from the tier. */
function tierAggs(p: FieldPlan): RollupAgg[] {
  const out: RollupAgg[] = ['tfirst'];
  if (p.aggs.has('min')) out.push('min');
  if (p.aggs.has('max')) out.push('max');
  if (p.aggs.has('sum') || p.aggs.has('sumf')) out.push('sum');
  if (p.aggs.has('count')) out.push('count');
  return out;
}

/**
 * One row per series and bucket: tier windows in [start, split), windows of raw points in
 * [split, end), folded per bucket; sorted as execute.ts's readRows sorts raw rows (time,
 * then series).
 */
function windowRows(deps: TierDeps, table: TierTable, where: TagMatcher[], fields: Map<string, FieldPlan>, span: Span, bucket: Bucketing | null, width: number): Row[] {
  const { engine } = deps;
  const series = new Map<string, { tags: Record<string, string>; lists: Map<string, WindowList[]> }>();
  const put = (c: SeriesColumn, field: string, w: WindowList): void => {
    let s = series.get(c.key);
    if (!s) series.set(c.key, (s = { tags: c.tags, lists: new Map() }));
    const l = s.lists.get(field);
    if (l) l.push(w);
    else s.lists.set(field, [w]);
  };

  const plans = [...fields.values()];
  const tierFields = plans.flatMap((p) => tierAggs(p).map((a) => rollupField(p.name, a)));
  const tierCols = engine.select({ db: table.db, rp: span.tier, measurement: table.measurement, field: tierFields, where, start: span.start, end: span.split });
  const byKey = new Map<string, Map<string, SeriesColumn>>();
  for (const c of tierCols) {
    if (c.error !== undefined) throw new Error(`series ${c.key} of tier ${span.tier} could not be read: ${c.error}`);
    let m = byKey.get(c.key);
    if (!m) byKey.set(c.key, (m = new Map()));
    m.set(c.field, c);
  }
  for (const m of byKey.values()) {
    for (const p of plans) {
      const tf = m.get(rollupField(p.name, 'tfirst'));
      if (tf === undefined || tf.times.length === 0) continue;
      const w: WindowList = { start: tf.times, tfirst: toBigInts(tf.values) };
      for (const a of tierAggs(p)) {
        if (a === 'tfirst') continue;
        const c = m.get(rollupField(p.name, a));
        if (c === undefined) throw new Error(`tier ${span.tier} has no field ${rollupField(p.name, a)} beside ${tf.field} for series ${tf.key}`);
        w[a as 'min' | 'max' | 'sum' | 'count'] = aligned(c, tf.times);
      }
      put(tf, p.name, w);
    }
  }

  if (span.split < span.end) {
    const rawCols = engine.select({ db: table.db, rp: span.rp, measurement: table.measurement, field: plans.map((p) => p.name), where, start: span.split, end: span.end });
    for (const c of rawCols) {
      if (c.error !== undefined) throw new Error(`series ${c.key} could not be read: ${c.error}`);
      if (c.times.length === 0 || !NUMERIC.has(c.type)) continue;
      const w = windowsFromPoints(c.times, valuesToFloat(c.type, c.values), span.resolution);
      put(c, c.field, w);
    }
  }

  const bucketOf = bucket === null ? () => 0n : (t: bigint) => t - mod(t - bucket.origin, bucket.width);
  const timeIdx = table.columns.findIndex((c) => c.kind === 'time');
  const hiddenBase = table.columns.length;
  const rows: Row[] = [];
  const ordered = [...series].sort((a, b) => deps.compareSeries(a[0], a[1].tags, b[0], b[1].tags));
  for (const [, s] of ordered) {
    const base = deps.baseRow(s.tags);
    while (base.length < width) base.push(null);
    const byBucket = new Map<bigint, Row>();
    let fi = 0;
    for (const p of plans) {
      const at = hiddenBase + fi * AGG_ORDER.length;
      fi++;
      const lists = s.lists.get(p.name);
      if (lists === undefined) continue;
      for (const acc of fold(lists, bucketOf)) {
        let row = byBucket.get(acc.bucket);
        if (!row) {
          row = { v: base.slice(), t: acc.tfirst, tags: s.tags };
          byBucket.set(acc.bucket, row);
        } else if (acc.tfirst < row.t) row.t = acc.tfirst;
        if (p.aggs.size === 0) continue;
        // only the aggregates read (the others were not): integer fields' as integers
        const int = (x: number): SqlValue => (p.integer ? BigInt(Math.round(x)) : x);
        if (p.aggs.has('min')) row.v[at] = int(acc.min);
        if (p.aggs.has('max')) row.v[at + 1] = int(acc.max);
        if (p.aggs.has('sum')) row.v[at + 2] = int(acc.sum);
        if (p.aggs.has('sumf')) row.v[at + 3] = acc.sum;
        if (p.aggs.has('count')) row.v[at + 4] = BigInt(acc.count);
      }
    }
    for (const r of byBucket.values()) {
      // the series' oldest point in the bucket: in the same bucket as the window start
      r.v[timeIdx] = r.t;
      rows.push(r);
    }
  }
  rows.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return rows;
}

/** Consecutive windows (tier part, then raw part) folded per bucket. */
function fold(lists: WindowList[], bucketOf: (t: bigint) => bigint): Acc[] {
  const out: Acc[] = [];
  let acc: Acc | null = null;
  for (const w of lists) {
    for (let i = 0; i < w.start.length; i++) {
      const b = bucketOf(w.start[i]);
      const min = w.min?.[i] ?? NaN;
      const max = w.max?.[i] ?? NaN;
      const sum = w.sum?.[i] ?? 0;
      const count = w.count?.[i] ?? 0;
      if (acc === null || acc.bucket !== b) {
        acc = { bucket: b, tfirst: w.tfirst[i], min, max, sum, count };
        out.push(acc);
      } else {
        if (min < acc.min) acc.min = min;
        if (max > acc.max) acc.max = max;
        acc.sum += sum;
        acc.count += count;
      }
    }
  }
  return out;
}

function toBigInts(v: SeriesColumn['values']): BigInt64Array {
  if (v instanceof BigInt64Array) return v;
  if (v instanceof Float64Array) return BigInt64Array.from(v, (x) => BigInt(Math.round(x)));
  return BigInt64Array.from(v as ArrayLike<bigint>, (x) => BigInt(x));
}

/** A column's values at the times `start` as floats (the downsampler writes a window's
 * fields in one point, so the times are the same in practice); NaN where it has none. */
function aligned(c: SeriesColumn, start: BigInt64Array): Float64Array {
  const v = valuesToFloat(c.type, c.values);
  if (c.times.length === start.length && c.times.every((t, i) => t === start[i])) return v;
  const out = new Float64Array(start.length).fill(NaN);
  let j = 0;
  for (let i = 0; i < start.length; i++) {
    while (j < c.times.length && c.times[j] < start[i]) j++;
    if (j < c.times.length && c.times[j] === start[i]) out[i] = v[j];
  }
  return out;
}
