// Executes InfluxQL SELECT statements over the engine with InfluxDB 1.x's results: raw
// queries, aggregates and selectors, GROUP BY time with fill, transformations, subqueries
// and SELECT ... INTO.
//
// The plan (plan.ts) validates the statement as query/compile.go does; then for every
// source measurement the series are read once (engine.select), filtered by the WHERE
// condition (condition.ts), grouped by the GROUP BY tags, and each group becomes one
// result series: rows of a raw query are the union of the selected fields' timestamps per
// series, merged by time; an aggregate query reduces every call per time bucket
// (aggregates.ts), fills empty buckets, applies transformations (transforms.ts) and zips
// the fields by time as InfluxDB's iterators do.
//
// Where InfluxDB's answer depends on the order its iterators deliver points (rows of equal
// time from different series, float sums of mean()/sum()), that order is replayed
// (selectMerge.ts): its merge heaps, per-series partial aggregates and GOMAXPROCS-wide
// parallel merge groups.

import type { BinaryOp, Call, Expr, Field, Measurement, SelectStatement, SubQuery, VarRef } from './ast.js';
import { hasParams } from './ast.js';
import type { Cell, QueryContext, ResultSeries } from './result.js';
import type { ColumnValues, TagMatcher } from '../../types.js';
import { wordsOf } from '../../int64.js';
import { aggregate, AggregateError, aggregateType, SELECTORS, type OutPoint, type PointList } from './aggregates.js';
import {
  binaryOp,
  compileExpr,
  ConditionError,
  evalExpr,
  makeZone,
  mathResult,
  MAX_TIME,
  MIN_TIME,
  QueryRegexes,
  varRefs,
  type Getter,
  type Lookup,
  type ZoneFn,
} from './condition.js';
import { columnNames, compileSelect, expandFields, exprType, MATH_FUNCTIONS, PlanError, TRANSFORMS, type Plan } from './plan.js';
import { applyTransform, MATH, type TransformName } from './transforms.js';
import { parallelMergeOrder, sortedMergeOrder } from './selectMerge.js';
import { selectFromTiers } from './tierRewrite.js';

/** An InfluxQL execution error; its message is InfluxDB's. */
export class InfluxQLError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfluxQLError';
  }
}

/** Runs one SELECT; an empty result is []. Throws InfluxQLError with InfluxDB's message. */
export async function executeSelect(ctx: QueryContext, stmt: SelectStatement): Promise<ResultSeries[]> {
  try {
    const fromTier = stmt.target ? null : await selectFromTiers(ctx, stmt, (s) => runSelect(ctx, s, undefined));
    if (fromTier !== null) return fromTier;
    const out = await runSelect(ctx, stmt, undefined);
    if (stmt.target) return await writeInto(ctx, stmt, out);
    return out;
  } catch (e) {
    if (e instanceof PlanError || e instanceof ConditionError || e instanceof AggregateError) throw new InfluxQLError(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// Sources.

interface Col {
  type: string;
  times: BigInt64Array;
  values: ColumnValues;
}

interface SeriesRec {
  key: string;
  tags: Record<string, string>;
  cols: Map<string, Col>;
}

interface Unit {
  name: string;
  fieldTypes: Map<string, string>;
  tagKeys: string[];
  /** Tag keys `*` expands to (a subquery shows only its GROUP BY tags). */
  wildcardTags?: string[];
  /** Values of a tag key (measurements only: lets regex conditions use the index). */
  tagValues?: (key: string) => string[];
  /** Rows of equal time are merged as InfluxDB's storage merge heap orders them (false for
   * subqueries, whose series come in series order). */
  heapMerge: boolean;
  /** The series of the index matching the matchers, no data read (measurements only). */
  listSeries?: (matchers: TagMatcher[]) => { key: string; tags: Record<string, string> }[];
  load(fields: string[], matchers: TagMatcher[], tmin: bigint, tmax: bigint): SeriesRec[];
}

function cellAt(col: Col, i: number): Cell {
  switch (col.type) {
    case 'float':
      return (col.values as Float64Array)[i];
    case 'integer':
    case 'unsigned':
      return (col.values as BigInt64Array)[i];
    case 'boolean':
      return (col.values as Uint8Array)[i] === 1;
    default:
      return (col.values as string[])[i];
  }
}

interface Outer {
  tmin: bigint;
  tmax: bigint;
  interval: bigint;
  offset: bigint;
  ascending: boolean;
}

async function resolveUnits(ctx: QueryContext, stmt: SelectStatement, plan: Plan): Promise<Unit[]> {
  const units: Unit[] = [];
  const res = new QueryRegexes();
  for (const src of stmt.sources) {
    if (src.type === 'SubQuery') {
      units.push(...(await subqueryUnits(ctx, src, plan)));
      continue;
    }
    const m: Measurement = src;
    const db = m.database || ctx.database || '';
    if (db === '') throw new InfluxQLError('database name required');
    const rp = m.retentionPolicy || ctx.retentionPolicy || '';
    if (!ctx.engine.hasDatabase(db)) throw new InfluxQLError(`database not found: ${db}`);
    if (rp !== '' && !Object.hasOwn(ctx.engine.retentionPolicies(db), rp)) throw new InfluxQLError(`retention policy not found: ${rp}`);
    let names: string[];
    if (m.regex) {
      const re = res.get(m.regex.val);
      names = ctx.engine.measurements(db, rp).filter((n) => re.test(n));
    } else {
      names = ctx.engine.measurements(db, rp).includes(m.name) ? [m.name] : [];
    }
    const otherRp = rp !== '' && rp !== ctx.engine.defaultRetentionPolicy(db);
    for (const name of names) {
      let fieldTypes = new Map(Object.entries(ctx.engine.fieldTypes(db, name)));
      let tagKeys = ctx.engine.tagKeys(db, name);
      if (otherRp) {
        // The engine keeps one schema per measurement; a retention policy other than the
        // default shows only the fields and tags its own data has.
        const cols = ctx.engine.select({ db, rp, measurement: name, start: plan.tmin, end: plan.tmax + 1n });
        const ft = new Map<string, string>();
        const tk = new Set<string>();
        for (const c of cols) {
          if (c.times.length === 0) continue;
          if (!ft.has(c.field)) ft.set(c.field, c.type);
          for (const k of Object.keys(c.tags)) tk.add(k);
        }
        fieldTypes = ft;
        tagKeys = [...tk].sort();
        if (ft.size === 0) continue;
      }
      units.push({
        name,
        fieldTypes,
        tagKeys,
        heapMerge: true,
        tagValues: otherRp ? undefined : (key) => ctx.engine.tagValues(db, name, key),
        listSeries: otherRp ? undefined : (where) => ctx.engine.series(db, name, where),
        load(fields, matchers, tmin, tmax) {
          if (fields.length === 0) return [];
          const cols = ctx.engine.select({ db, rp, measurement: name, field: fields, where: matchers, start: tmin, end: tmax + 1n });
          const byKey = new Map<string, SeriesRec>();
          for (const c of cols) {
            if (c.error) throw new InfluxQLError(c.error);
            let s = byKey.get(c.key);
            if (!s) {
              s = { key: c.key, tags: c.tags, cols: new Map() };
              byKey.set(c.key, s);
            }
            s.cols.set(c.field, { type: c.type, times: c.times, values: c.values });
          }
          return [...byKey.values()];
        },
      });
    }
  }
  // Deduplicate by name (FROM cpu, cpu) keeping the first.
  const seen = new Set<string>();
  return units.filter((u) => (seen.has(u.name) ? false : (seen.add(u.name), true)));
}

async function subqueryUnits(ctx: QueryContext, src: SubQuery, plan: Plan): Promise<Unit[]> {
  const inner = src.statement;
  const sortAsc = inner.sortFields.length === 0 || inner.sortFields[0].ascending;
  if (inner.sortFields.length !== 0 && sortAsc !== plan.ascending) {
    throw new InfluxQLError('subqueries must be ordered in the same direction as the query itself');
  }
  const outer: Outer = { tmin: plan.tmin, tmax: plan.tmax, interval: plan.interval, offset: plan.offset, ascending: plan.ascending };
  // A raw inner query's points keep the tags of their series (as if grouped by every tag).
  const innerRaw = !inner.fields.some((f) => containsCall(f.expr));
  let innerStmt: SelectStatement = innerRaw
    ? {
        ...inner,
        dimensions: [...inner.dimensions.filter((d) => d.expr.type === 'Call'), { expr: { type: 'Wildcard', wildcardType: null } }],
        limit: 0,
        offset: 0,
      }
    : inner;
  // An inner GROUP BY time with fill(null) is run with fill(none), as InfluxDB does.
  if (!innerRaw && innerStmt.fill === 'null' && inner.dimensions.some((d) => d.expr.type === 'Call' && d.expr.name === 'time')) {
    innerStmt = { ...innerStmt, fill: 'none' };
  }
  let results = await runSelect(ctx, innerStmt, outer);
  if (innerRaw && (inner.limit > 0 || inner.offset > 0)) results = limitAcrossSeries(results, inner, sortAsc);
  const byName = new Map<string, ResultSeries[]>();
  for (const r of results) {
    let l = byName.get(r.name);
    if (!l) byName.set(r.name, (l = []));
    l.push(r);
  }
  const units: Unit[] = [];
  const regexes = new QueryRegexes();
  for (const [name, list] of byName) {
    const fieldTypes = new Map<string, string>();
    const tagKeys = new Set<string>();
    const series: SeriesRec[] = [];
    for (const r of list) {
      for (const k of Object.keys(r.tags ?? {})) tagKeys.add(k);
      const cols = new Map<string, Col>();
      for (let c = 1; c < r.columns.length; c++) {
        const ts: bigint[] = [];
        const vs: Cell[] = [];
        let type = '';
        for (const row of r.values) {
          const v = row[c];
          if (v === null) continue;
          ts.push(row[0] as bigint);
          vs.push(v);
          if (type === '') type = typeof v === 'number' ? 'float' : typeof v === 'bigint' ? 'integer' : typeof v === 'string' ? 'string' : 'boolean';
        }
        if (type === '') continue;
        if (!fieldTypes.has(r.columns[c])) fieldTypes.set(r.columns[c], type);
        // Sort by time (a DESC inner query).
        const order = ts.map((_, i) => i).sort((a, b) => (ts[a] < ts[b] ? -1 : ts[a] > ts[b] ? 1 : a - b));
        const times = BigInt64Array.from(order.map((i) => ts[i]));
        let values: ColumnValues;
        if (type === 'float') values = Float64Array.from(order.map((i) => (typeof vs[i] === 'bigint' ? Number(vs[i]) : (vs[i] as number))));
        else if (type === 'integer') values = BigInt64Array.from(order.map((i) => (typeof vs[i] === 'bigint' ? (vs[i] as bigint) : BigInt(Math.trunc(Number(vs[i]))))));
        else if (type === 'boolean') values = Uint8Array.from(order.map((i) => (vs[i] === true ? 1 : 0)));
        else values = order.map((i) => String(vs[i]));
        cols.set(r.columns[c], { type, times, values });
      }
      const tags = { ...(r.tags ?? {}) };
      for (const k of Object.keys(tags)) if (tags[k] === '') delete tags[k];
      series.push({ key: `${name},${Object.entries(tags).sort().map(([k, v]) => `${k}=${v}`).join(',')}`, tags, cols });
    }
    const allTags = [...tagKeys].sort();
    const explicit = inner.dimensions.some((d) => d.expr.type === 'Wildcard')
      ? allTags
      : allTags.filter((k) =>
          inner.dimensions.some((d) => (d.expr.type === 'VarRef' && d.expr.val === k) || (d.expr.type === 'RegexLiteral' && regexes.get(d.expr.val).test(k))),
        );
    units.push({
      name,
      fieldTypes,
      tagKeys: allTags,
      wildcardTags: explicit,
      heapMerge: false,
      load(fields, matchers, tmin, tmax) {
        const want = new Set(fields);
        const out: SeriesRec[] = [];
        for (const s of series) {
          if (!matchers.every((m) => (m.op === '=' ? (s.tags[m.key] ?? '') === m.value : (s.tags[m.key] ?? '') !== m.value))) continue;
          const cols = new Map<string, Col>();
          for (const [f, c] of s.cols) {
            if (!want.has(f)) continue;
            let lo = 0;
            while (lo < c.times.length && c.times[lo] < tmin) lo++;
            let hi = lo;
            while (hi < c.times.length && c.times[hi] <= tmax) hi++;
            cols.set(f, { type: c.type, times: c.times.subarray(lo, hi), values: sliceValues(c.values, lo, hi) });
          }
          if (cols.size) out.push({ key: s.key, tags: s.tags, cols });
        }
        return out;
      },
    });
  }
  return units;
}

/** LIMIT/OFFSET of a raw inner query run per series: applied over the rows of each of its
 * own groups (its explicit GROUP BY tags), merged by time. */
function limitAcrossSeries(results: ResultSeries[], inner: SelectStatement, ascending: boolean): ResultSeries[] {
  const dims = inner.dimensions.flatMap((d) => (d.expr.type === 'VarRef' ? [d.expr.val] : []));
  const groups = new Map<string, { s: number; r: number }[]>();
  results.forEach((rs, s) => {
    const key = `${rs.name}\u0000${dims.map((k) => rs.tags?.[k] ?? '').join('\u0000')}`;
    let l = groups.get(key);
    if (!l) groups.set(key, (l = []));
    rs.values.forEach((_, r) => l.push({ s, r }));
  });
  const keep = results.map(() => new Set<number>());
  for (const l of groups.values()) {
    l.sort((a, b) => {
      const ta = results[a.s].values[a.r][0] as bigint;
      const tb = results[b.s].values[b.r][0] as bigint;
      if (ta !== tb) return (ta < tb) === ascending ? -1 : 1;
      return ascending ? a.s - b.s : b.s - a.s;
    });
    for (const x of limitRows(l, inner.offset, inner.limit)) keep[x.s].add(x.r);
  }
  return results
    .map((rs, s) => ({ ...rs, values: rs.values.filter((_, r) => keep[s].has(r)) }))
    .filter((rs) => rs.values.length > 0);
}

function containsCall(e: Expr): boolean {
  switch (e.type) {
    case 'Call':
      return !MATH_FUNCTIONS.has(e.name) || e.args.some(containsCall);
    case 'Distinct':
      return true;
    case 'BinaryExpr':
      return containsCall(e.lhs) || containsCall(e.rhs);
    case 'ParenExpr':
      return containsCall(e.expr);
    default:
      return false;
  }
}

function sliceValues(v: ColumnValues, lo: number, hi: number): ColumnValues {
  return Array.isArray(v) ? v.slice(lo, hi) : (v.subarray(lo, hi) as ColumnValues);
}

// ---------------------------------------------------------------------------------------
// The statement.

interface Exec {
  ctx: QueryContext;
  stmt: SelectStatement;
  plan: Plan;
  zone: ZoneFn | null;
  res: QueryRegexes;
  points: number;
  /** Series read so far (max-select-series). */
  series: number;
  deadline: number;
}

/** Replaces `$name` parameters with the literals of ctx.params. */
function bindParams(e: Expr | null, params: Record<string, unknown> | undefined): Expr | null {
  if (e === null) return null;
  switch (e.type) {
    case 'BoundParameter': {
      if (!params || !Object.hasOwn(params, e.name)) throw new InfluxQLError(`missing parameter: ${e.name}`);
      const v = params[e.name];
      if (typeof v === 'string') return { type: 'StringLiteral', val: v };
      if (typeof v === 'boolean') return { type: 'BooleanLiteral', val: v };
      if (typeof v === 'bigint') return { type: 'IntegerLiteral', val: v };
      if (typeof v === 'number') return Number.isInteger(v) ? { type: 'IntegerLiteral', val: BigInt(v) } : { type: 'NumberLiteral', val: v };
      throw new InfluxQLError(`unable to bind parameter with type ${typeof v}`);
    }
    case 'BinaryExpr':
      return { ...e, lhs: bindParams(e.lhs, params) as Expr, rhs: bindParams(e.rhs, params) as Expr };
    case 'ParenExpr':
      return { ...e, expr: bindParams(e.expr, params) as Expr };
    case 'Call':
      return { ...e, args: e.args.map((a) => bindParams(a, params) as Expr) };
    default:
      return e;
  }
}

async function runSelect(ctx: QueryContext, stmt0: SelectStatement, outer: Outer | undefined): Promise<ResultSeries[]> {
  let stmt = stmt0;
  if (hasParams(stmt.condition) || stmt.fields.some((f) => hasParams(f.expr))) {
    stmt = {
      ...stmt,
      condition: bindParams(stmt.condition, ctx.params),
      fields: stmt.fields.map((f) => ({ ...f, expr: bindParams(f.expr, ctx.params) as Expr })),
    };
  }
  const zone = makeZone(stmt.location);
  const plan = compileSelect(stmt, { now: ctx.now, zone, outer });
  const ex: Exec = { ctx, stmt, plan, zone, res: new QueryRegexes(), points: 0, series: 0, deadline: ctx.deadline ?? 0 };
  checkBuckets(ex);
  const units = await resolveUnits(ctx, stmt, plan);
  if (units.length === 0) return [];
  // Union of fields and tags over all sources, for wildcards.
  const fieldTypes = new Map<string, string>();
  const tagSet = new Set<string>();
  for (const u of units) {
    for (const [f, t] of u.fieldTypes) if (!fieldTypes.has(f)) fieldTypes.set(f, t);
    for (const t of u.tagKeys) tagSet.add(t);
  }
  const wildcardTags = new Set<string>();
  for (const u of units) for (const t of u.wildcardTags ?? u.tagKeys) wildcardTags.add(t);
  const groupTags = new Set<string>(plan.dimWildcard ? [...tagSet] : [...plan.tagDims, ...[...tagSet].filter((t) => plan.dimRegexes.some((r) => r.test(t)))]);
  const fields = expandFields(plan.fields, fieldTypes, [...wildcardTags], groupTags, ex.res);
  if (fields.length === 0) return [];
  for (const f of fields) exprType(f.expr, fieldTypes);
  const columns = columnNames(fields, plan.timeAlias);

  const out: ResultSeries[] = [];
  for (const unit of units.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const groups = loadGroups(ex, unit, fields);
    for (const g of groups) {
      checkDeadline(ex);
      const rows = plan.aggregate ? aggregateRows(ex, unit, g, fields) : rawRows(ex, unit, g, fields);
      if (rows.length === 0) continue;
      const rs: ResultSeries =
        g.dimKeys.length > 0 ? { name: unit.name, tags: g.tags, columns: [...columns], values: rows } : { name: unit.name, columns: [...columns], values: rows };
      out.push(rs);
    }
  }
  // SLIMIT / SOFFSET over the result series; ORDER BY time DESC then reverses them.
  let result = out;
  if (stmt.sOffset > 0 || stmt.sLimit > 0) {
    const start = stmt.sOffset;
    result = stmt.sLimit > 0 ? out.slice(start, start + stmt.sLimit) : out.slice(start);
  }
  if (!plan.ascending) result.reverse();
  return result;
}

function checkDeadline(ex: Exec): void {
  if (ex.deadline && Date.now() > ex.deadline) throw new InfluxQLError('query-timeout limit exceeded');
}

function countPoints(ex: Exec, n: number): void {
  ex.points += n;
  const max = ex.ctx.maxPoints ?? 0;
  if (max && ex.points >= max) throw new InfluxQLError(`max-select-point limit exceeed: (${ex.points}/${max})`);
}

// ---------------------------------------------------------------------------------------
// Windows (Go's IteratorOptions.Window).

function window(plan: Plan, zone: ZoneFn | null, t0: bigint): { start: bigint; end: bigint } {
  const interval = plan.interval;
  if (interval === 0n) return { start: plan.tmin, end: plan.tmax + 1n };
  const t = t0 - plan.offset;
  const zoneOff = zone ? zone(t) : 0n;
  let dt = (t + zoneOff) % interval;
  if (dt < 0n) dt += interval;
  let start = MIN_TIME + dt >= t ? MIN_TIME : t - dt;
  if (zone) {
    const startOffset = zone(start);
    const o = zoneOff - startOffset;
    if (o !== 0n && (o < 0n ? -o : o) < interval) start += o;
  }
  start += plan.offset;
  let end: bigint;
  const d2 = interval - dt;
  end = MAX_TIME - d2 <= t ? MAX_TIME : t + d2;
  end += plan.offset;
  if (zone) {
    const endOffset = zone(end);
    if (zoneOff !== endOffset) {
      const off = zoneOff - endOffset;
      if ((off < 0n ? -off : off) < interval) end += off;
    }
  }
  return { start, end };
}

function checkBuckets(ex: Exec): void {
  const { plan, ctx } = ex;
  const max = ctx.maxBuckets ?? 0;
  if (!max || !plan.aggregate || plan.interval === 0n || plan.tmin === MIN_TIME) return;
  const first = window(plan, ex.zone, plan.tmin).start;
  const last = window(plan, ex.zone, plan.tmax).start;
  const buckets = (last - first + plan.interval) / plan.interval;
  if (buckets > BigInt(max)) throw new InfluxQLError(`max-select-buckets limit exceeded: (${buckets}/${max})`);
}

// ---------------------------------------------------------------------------------------
// Loading and grouping.

interface Group {
  key: string;
  tags: Record<string, string>;
  dimKeys: string[];
  series: SeriesRec[];
}

/** Whether a name is read as a field of this unit (with a cast the field's type allows). */
function isField(unit: Unit, name: string, dataType: string): boolean {
  if (dataType === 'tag') return false;
  const t = unit.fieldTypes.get(name);
  if (t === undefined) return false;
  switch (dataType) {
    case 'float':
    case 'integer':
    case 'unsigned':
      return t === 'float' || t === 'integer' || t === 'unsigned';
    case 'string':
    case 'boolean':
      return t === dataType;
    default:
      return true;
  }
}

function loadGroups(ex: Exec, unit: Unit, fields: Field[]): Group[] {
  const { plan } = ex;
  const needed = new Set<string>();
  for (const f of fields) for (const r of varRefs(f.expr)) if (isField(unit, r.name, r.dataType)) needed.add(r.name);
  const condFields = new Set<string>();
  for (const r of varRefs(plan.cond)) if (isField(unit, r.name, r.dataType)) condFields.add(r.name);
  if (needed.size === 0) return [];
  for (const f of condFields) needed.add(f);
  // Tag matchers the index can use: top-level ANDed `tag = 'v'` / `tag != 'v'`.
  const matchers: TagMatcher[] = [];
  const conj = (e: Expr | null): void => {
    if (!e) return;
    if (e.type === 'ParenExpr') return conj(e.expr);
    if (e.type !== 'BinaryExpr') return;
    if (e.op === 'AND') {
      conj(e.lhs);
      conj(e.rhs);
      return;
    }
    if (e.op === 'OR') {
      // An OR of `tag = 'v'` on one key: the series of those values, looked up one by one
      // (the condition is still applied to each series afterwards).
      const alt = orEqualities(unit, e);
      if (alt && (!regexAlt || alt.values.length < regexAlt.values.length)) regexAlt = alt;
      return;
    }
    if ((e.op === '=' || e.op === '!=') && e.lhs.type === 'VarRef' && e.rhs.type === 'StringLiteral' && !isField(unit, e.lhs.val, e.lhs.dataType)) {
      if (e.lhs.dataType !== 'unknown' && e.lhs.dataType !== 'tag') return;
      if (e.op === '=' && e.rhs.val === '') return;
      matchers.push({ key: e.lhs.val, op: e.op, value: e.rhs.val });
    }
    if ((e.op === '=~' || e.op === '!~') && e.lhs.type === 'VarRef' && e.rhs.type === 'RegexLiteral' && !isField(unit, e.lhs.val, e.lhs.dataType)) {
      if (e.lhs.dataType !== 'unknown' && e.lhs.dataType !== 'tag') return;
      if (!unit.tagValues) return;
      // The engine's regexes are not RE2: the values of the key that match (or not) are
      // found here and read one by one with `key = value`.
      const re = ex.res.get(e.rhs.val);
      const want = e.op === '=~';
      if (re.test('') === want) return; // would also select series without the tag
      const values = unit.tagValues(e.lhs.val).filter((v) => re.test(v) === want);
      if (!regexAlt || values.length < regexAlt.values.length) regexAlt = { key: e.lhs.val, values };
    }
  };
  let regexAlt: { key: string; values: string[] } | null = null;
  conj(plan.cond);
  let tmin = plan.tmin;
  let tmax = plan.tmax;
  const ext = extension(ex, plan);
  tmin = ext.tmin;
  tmax = ext.tmax;
  const alt = regexAlt as { key: string; values: string[] } | null;
  const matcherSets: TagMatcher[][] =
    alt && alt.values.length <= 256 ? alt.values.map((v) => [...matchers, { key: alt.key, op: '=', value: v }]) : [matchers];
  const loadRange = (lo: bigint, hi: bigint): SeriesRec[] => {
    const out: SeriesRec[] = [];
    for (const ms of matcherSets) out.push(...unit.load([...needed], ms, lo, hi));
    return out;
  };
  // Series-level condition (no field referenced).
  const cond = plan.cond;
  const seriesCond = cond && condFields.size === 0 ? cond : null;
  const keepSeries = (tags: Record<string, string>): boolean => !seriesCond || evalExpr(seriesCond, tagLookup(tags), ex.res, MATH) === true;
  const tagKeysSorted = unit.tagKeys;
  let dimKeys: string[];
  if (plan.dimWildcard) dimKeys = [...tagKeysSorted];
  else {
    const set = new Set(plan.tagDims);
    for (const t of tagKeysSorted) if (plan.dimRegexes.some((r) => r.test(t))) set.add(t);
    dimKeys = [...set].sort();
  }
  const groupKey = (tags: Record<string, string>): string => dimKeys.map((k) => `${k}\u0000${tags[k] ?? ''}`).join('\u0001');
  let series: SeriesRec[] | null = null;
  if (!plan.ascending && !plan.aggregate && ex.stmt.limit > 0 && condFields.size === 0 && !ex.ctx.maxSeries && !ex.ctx.maxPoints && unit.listSeries) {
    series = newestFirst(ex, unit, [...needed], matcherSets, keepSeries, groupKey, tmin, tmax, loadRange);
  }
  if (series === null && !plan.aggregate && condFields.size > 0 && unit.heapMerge && !ex.ctx.maxSeries && !ex.ctx.maxPoints) {
    series = conditionFirst(ex, unit, [...condFields], [...needed].filter((f) => !condFields.has(f)), matcherSets, tmin, tmax);
  }
  series ??= loadRange(tmin, tmax);
  const kept = seriesCond ? series.filter((s) => keepSeries(s.tags)) : series;
  // Series read: InfluxDB checks max-select-series when it creates the iterators, before
  // any point is read (so before max-select-point), counting every series of the sources
  // (SLIMIT does not lower it); the count it reports stops at limit + 1.
  ex.series += kept.length;
  const maxSeries = ex.ctx.maxSeries ?? 0;
  if (maxSeries && ex.series > maxSeries) throw new InfluxQLError(`max-select-series limit exceeded: (${maxSeries + 1}/${maxSeries})`);
  // Points read.
  let n = 0;
  for (const s of kept) for (const c of s.cols.values()) n += c.times.length;
  countPoints(ex, n);
  // Group.
  const groups = new Map<string, Group>();
  kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const s of kept) {
    const tags: Record<string, string> = {};
    for (const k of dimKeys) tags[k] = s.tags[k] ?? '';
    const key = dimKeys.map((k) => `${k}\u0000${tags[k]}`).join('\u0001');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, tags, dimKeys, series: [] }));
    g.series.push(s);
  }
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Rows closer than this (in points of the condition's columns) share one read of the
 * other fields: a read costs an index lookup, about as much as decoding a few hundred points. */
const CLUSTER_GAP = 512;
/** Above this many series, per-series reads of the other fields would cost more in index
 * lookups than they save: the other fields are then read in one pass as usual. */
const MAX_LATE_SERIES = 2000;

/**
 * Raw rows under a field condition (`WHERE usage_user > 90`), read condition first: the
 * condition's fields over the whole range, then the other fields only around the rows that
 * pass (late materialisation). On data where passing rows come in runs, as TSBS high-cpu's
 * random walks above 90 do, most blocks of the other fields are never decoded (there, two
 * thirds of them). Every column comes back cut to the same time ranges, so the rows are
 * those of a full read: a row outside the ranges fails the condition, judged on its
 * condition values or, having none, on none (when that passes, this does not apply).
 * Null when it does not apply; series without a passing row are left out (they give no rows).
 */
function conditionFirst(
  ex: Exec,
  unit: Unit,
  condFields: string[],
  otherFields: string[],
  matcherSets: TagMatcher[][],
  tmin: bigint,
  tmax: bigint,
): SeriesRec[] | null {
  // With one other field the second pass of reads costs about what it saves (measured).
  if (otherFields.length < 2 || ex.plan.cond === null) return null;
  const cond = ex.plan.cond;
  const first: SeriesRec[] = [];
  for (const ms of matcherSets) first.push(...unit.load(condFields, ms, tmin, tmax));
  // A series without tags could only be picked out by reading every series: with one (or
  // very many series) the other fields are read in one pass and joined by series key.
  if (first.length > MAX_LATE_SERIES || first.some((s) => Object.keys(s.tags).length === 0)) {
    const byKey = new Map(first.map((s) => [s.key, s]));
    for (const ms of matcherSets) {
      for (const x of unit.load(otherFields, ms, tmin, tmax)) {
        const s = byKey.get(x.key);
        if (s) for (const [f, c] of x.cols) s.cols.set(f, c);
        else byKey.set(x.key, x);
      }
    }
    return [...byKey.values()];
  }
  const out: SeriesRec[] = [];
  for (const s of first) {
    const row = new AlignedRow(s, condFields);
    const test = compileExpr(cond, rowRef(unit, row, s.tags, ''), ex.res, MATH);
    if (test() === true) return null; // no row has been read yet: all condition values are null
    const shared = sharedTimes(row.cols);
    const times = shared ?? unionTimes(row.cols);
    // Runs of passing rows as [first, last] index pairs into `times`.
    const runs: number[] = [];
    let open = -1;
    let last = -1;
    for (let i = 0; i < times.length; i++) {
      if (shared !== null) row.atIndex(i);
      else row.at(times[i]);
      if (test() !== true) continue;
      if (open >= 0 && i - last <= CLUSTER_GAP) {
        last = i;
        continue;
      }
      if (open >= 0) runs.push(open, last);
      open = last = i;
    }
    if (open < 0) continue;
    runs.push(open, last);
    checkDeadline(ex);
    // The other fields of exactly this series (equal tags may also match series with more tags).
    const exact: TagMatcher[] = Object.entries(s.tags).map(([key, value]) => ({ key, op: '=', value }));
    const pieces = new Map<string, Col[]>();
    for (let r = 0; r < runs.length; r += 2) {
      for (const x of unit.load(otherFields, exact, times[runs[r]], times[runs[r + 1]])) {
        if (x.key !== s.key) continue;
        for (const [f, c] of x.cols) {
          const l = pieces.get(f);
          if (l) l.push(c);
          else pieces.set(f, [c]);
        }
      }
    }
    const cols = new Map<string, Col>();
    for (const [f, c] of s.cols) {
      const parts: Col[] = [];
      for (let r = 0; r < runs.length; r += 2) {
        const from = lowerBound(c.times, times[runs[r]]);
        const to = upperBound(c.times, times[runs[r + 1]]);
        if (to > from) parts.push(sliceCol(c, from, to));
      }
      cols.set(f, parts.length > 0 ? concatCols(c.type, parts) : sliceCol(c, 0, 0));
    }
    for (const [f, parts] of pieces) cols.set(f, concatCols(parts[0].type, parts));
    out.push({ key: s.key, tags: s.tags, cols });
  }
  return out;
}

function sliceCol(c: Col, from: number, to: number): Col {
  return { type: c.type, times: c.times.subarray(from, to), values: c.values.slice(from, to) as ColumnValues };
}

/** The times of `cols` one after another, in a new array. */
function concatTimes(cols: Col[]): BigInt64Array {
  let n = 0;
  for (const c of cols) n += c.times.length;
  const out = new BigInt64Array(n);
  let at = 0;
  for (const c of cols) {
    out.set(c.times, at);
    at += c.times.length;
  }
  return out;
}

/** Columns of one field over disjoint ascending ranges, as one. */
function concatCols(type: string, parts: Col[]): Col {
  if (parts.length === 1) return parts[0];
  const times = concatTimes(parts);
  const n = times.length;
  let values: ColumnValues;
  if (Array.isArray(parts[0].values)) values = parts.flatMap((p) => p.values as string[]);
  else {
    const typed = parts.map((p) => p.values as Float64Array);
    const out = new (typed[0].constructor as Float64ArrayConstructor)(n);
    let at = 0;
    for (const v of typed) {
      out.set(v, at);
      at += v.length;
    }
    values = out;
  }
  return { type, times, values };
}

/** `k = 'a' OR k = 'b' ...` (any nesting of OR and parentheses, one tag key, no empty value): the key and its values. */
function orEqualities(unit: Unit, e: Expr): { key: string; values: string[] } | null {
  const values = new Set<string>();
  let key: string | null = null;
  const walk = (x: Expr): boolean => {
    if (x.type === 'ParenExpr') return walk(x.expr);
    if (x.type !== 'BinaryExpr') return false;
    if (x.op === 'OR') return walk(x.lhs) && walk(x.rhs);
    if (x.op !== '=' || x.lhs.type !== 'VarRef' || x.rhs.type !== 'StringLiteral') return false;
    if ((x.lhs.dataType !== 'unknown' && x.lhs.dataType !== 'tag') || isField(unit, x.lhs.val, x.lhs.dataType)) return false;
    if (x.rhs.val === '') return false;
    if (key !== null && key !== x.lhs.val) return false;
    key = x.lhs.val;
    values.add(x.rhs.val);
    return true;
  };
  if (!walk(e) || key === null) return null;
  return { key, values: [...values] };
}

/**
 * Raw rows newest first with a LIMIT: reads a window ending at the range's end, growing it
 * backwards until every group (of every series the index lists) has OFFSET + LIMIT rows in
 * it, or it covers the whole range. Rows older than the window cannot reach the answer then.
 * Returns null when no anchor time is found (the caller reads the whole range).
 */
function newestFirst(
  ex: Exec,
  unit: Unit,
  fields: string[],
  matcherSets: TagMatcher[][],
  keep: (tags: Record<string, string>) => boolean,
  groupKey: (tags: Record<string, string>) => string,
  tmin: bigint,
  tmax: bigint,
  loadRange: (lo: bigint, hi: bigint) => SeriesRec[],
): SeriesRec[] | null {
  if (fields.length === 0 || !unit.listSeries) return null;
  const listed: { key: string; tags: Record<string, string> }[] = [];
  for (const ms of matcherSets) for (const s of unit.listSeries(ms)) if (keep(s.tags)) listed.push(s);
  if (listed.length === 0) return null;
  const groupsWanted = new Set(listed.map((s) => groupKey(s.tags)));
  // Anchor: the newest time of one field of one series.
  const first = listed[0];
  const probe = unit.load([fields[0]], Object.entries(first.tags).map(([key, value]) => ({ key, op: '=' as const, value })), tmin, tmax);
  let anchor: bigint | null = null;
  for (const s of probe) for (const c of s.cols.values()) if (c.times.length > 0 && (anchor === null || c.times[c.times.length - 1] > anchor)) anchor = c.times[c.times.length - 1];
  if (anchor === null) return null;
  const need = ex.stmt.offset + ex.stmt.limit;
  const { plan } = ex;
  let width = 60_000_000_000n;
  for (let iter = 0; iter < 12; iter++) {
    const lo = anchor - width;
    if (lo <= tmin) break;
    const series = loadRange(lo, tmax);
    const counts = new Map<string, number>();
    for (const s of series) {
      if (!keep(s.tags)) continue;
      const times = unionTimes(fields.map((n) => s.cols.get(n)));
      const n = upperBound(times, plan.tmax) - lowerBound(times, plan.tmin);
      const k = groupKey(s.tags);
      counts.set(k, (counts.get(k) ?? 0) + n);
    }
    let ok = true;
    for (const k of groupsWanted) if ((counts.get(k) ?? 0) < need) { ok = false; break; }
    if (ok) return series;
    width *= 8n;
    checkDeadline(ex);
  }
  return null;
}

/** The time range data is read over: transformations of aggregates read one more interval. */
function extension(ex: Exec, plan: Plan): { tmin: bigint; tmax: bigint } {
  let tmin = plan.tmin;
  let tmax = plan.tmax;
  if (plan.aggregate && plan.interval !== 0n) {
    if (tmin === MIN_TIME && ex.ctx.maxBuckets) {
      const last = window(plan, ex.zone, tmax).start;
      const lo = last - plan.interval * BigInt(ex.ctx.maxBuckets - 1);
      if (lo > tmin) tmin = lo;
    }
    if (needsExtraInterval(plan.fields)) {
      if (plan.ascending && tmin !== MIN_TIME) tmin = window(plan, ex.zone, tmin).start - plan.interval;
      else if (!plan.ascending) tmax = window(plan, ex.zone, tmax).end - 1n + plan.interval;
    }
  }
  return { tmin, tmax };
}

function needsExtraInterval(fields: Field[]): boolean {
  let found = false;
  const visit = (e: Expr): void => {
    if (e.type === 'Call') {
      if (TRANSFORMS.has(e.name) && e.name !== 'cumulative_sum' && e.args[0]?.type === 'Call') found = true;
      e.args.forEach(visit);
    } else if (e.type === 'BinaryExpr') {
      visit(e.lhs);
      visit(e.rhs);
    } else if (e.type === 'ParenExpr') visit(e.expr);
  };
  for (const f of fields) visit(f.expr);
  return found;
}

function tagLookup(tags: Record<string, string>): Lookup {
  return (name) => tags[name] ?? '';
}

function castCell(v: Cell, dt: string): Cell {
  if (v === null) return null;
  switch (dt) {
    case 'float':
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'number' ? v : null;
    case 'integer':
    case 'unsigned':
      if (typeof v === 'number') return BigInt(Math.trunc(v));
      return typeof v === 'bigint' ? v : null;
    case 'string':
      return typeof v === 'string' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    default:
      return v;
  }
}

/**
 * Per-series cursor over a set of field columns, positioned at a time: `at(t)` moves each
 * column's index forward (times only increase) and records the value at exactly t.
 */
class AlignedRow {
  readonly names: string[];
  readonly cols: (Col | undefined)[];
  readonly idx: Int32Array;
  readonly cur: Cell[];
  private readonly pos = new Map<string, number>();
  constructor(s: SeriesRec, names: string[]) {
    this.names = names;
    this.cols = names.map((n) => s.cols.get(n));
    this.idx = new Int32Array(names.length);
    this.cur = new Array<Cell>(names.length).fill(null);
    names.forEach((n, i) => this.pos.set(n, i));
  }
  /** Each column's time at its index (read once: reading a BigInt64Array allocates). */
  private readonly headT: (bigint | null)[] = [];
  at(t: bigint): void {
    for (let i = 0; i < this.cols.length; i++) {
      const c = this.cols[i];
      if (!c) continue;
      let k = this.idx[i];
      const times = c.times;
      let h = this.headT[i] ?? (k < times.length ? times[k] : null);
      while (h !== null && h < t) {
        k++;
        h = k < times.length ? times[k] : null;
      }
      this.idx[i] = k;
      this.headT[i] = h;
      this.cur[i] = h === t ? cellAt(c, k) : null;
    }
  }
  /**
   * `at(times[k])` when every column is present and shares `times` (see sharedTimes): the
   * index is the row, so no time is compared or read. `which` limits it to those columns.
   */
  atIndex(k: number, which?: Int32Array): void {
    if (which === undefined) for (let i = 0; i < this.cols.length; i++) this.cur[i] = cellAt(this.cols[i] as Col, k);
    else for (let j = 0; j < which.length; j++) this.cur[which[j]] = cellAt(this.cols[which[j]] as Col, k);
  }
  get(name: string): Cell | undefined {
    const i = this.pos.get(name);
    return i === undefined ? undefined : this.cur[i];
  }
  indexOf(name: string): number | undefined {
    return this.pos.get(name);
  }
}

/** Getters of VarRefs over an aligned row: fields (cast as asked), else tags. */
function rowRef(unit: Unit, row: AlignedRow, tags: Record<string, string>, missingTag: Cell): (name: string, dt: string) => Getter {
  return (name, dt) => {
    if (dt !== 'tag' && unit.fieldTypes.has(name)) {
      const i = row.indexOf(name);
      if (i === undefined) return () => null;
      const cur = row.cur;
      if (dt === 'unknown' || dt === 'field') return () => cur[i];
      return () => castCell(cur[i], dt);
    }
    if (dt === 'field' || (dt !== 'tag' && dt !== 'unknown' && !(name in tags))) return () => null;
    const v = tags[name] ?? missingTag;
    return () => v;
  };
}

function fieldLookup(unit: Unit, row: AlignedRow, tags: Record<string, string>, missingTag: Cell): Lookup {
  return (name, dt) => {
    if (dt === 'tag') return tags[name] ?? missingTag;
    if (unit.fieldTypes.has(name)) {
      const v = row.get(name);
      return v === undefined ? null : castCell(v, dt);
    }
    if (dt === 'field' || (dt !== 'unknown' && dt !== 'tag' && !(name in tags))) return null;
    return tags[name] ?? missingTag;
  };
}

/** First index whose time is >= t. */
function lowerBound(times: BigInt64Array, t: bigint): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (times[m] < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** First index whose time is > t. */
function upperBound(times: BigInt64Array, t: bigint): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (times[m] <= t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Whether two time columns hold the same times, compared as 32-bit words (reading a
 * BigInt64Array allocates a BigInt per element; its byteOffset is a multiple of 8). */
function sameTimes(a: BigInt64Array, b: BigInt64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The times every column shares, or null when a column is missing or its times differ.
 * Fields written in one line share their times (the usual case: a TSBS cpu row, a
 * Telegraf metric), and then rows can be walked by index instead of merged by time.
 */
function sharedTimes(cols: (Col | undefined)[]): BigInt64Array | null {
  if (cols.length === 0 || cols[0] === undefined) return null;
  const t = cols[0].times;
  for (let i = 1; i < cols.length; i++) {
    const c = cols[i];
    if (c === undefined || !sameTimes(t, c.times)) return null;
  }
  return t;
}

function unionTimes(cols: (Col | undefined)[]): BigInt64Array {
  const present = cols.filter((c): c is Col => c !== undefined && c.times.length > 0);
  if (present.length === 0) return new BigInt64Array(0);
  if (present.length === 1) return present[0].times;
  // Equal columns (fields written together) need no sort: BigInt64Array.sort is slow.
  if (sharedTimes(present) !== null) return present[0].times;
  const all = concatTimes(present);
  all.sort();
  let w = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i];
  return all.subarray(0, w);
}

// ---------------------------------------------------------------------------------------
// Raw queries.

function rawRows(ex: Exec, unit: Unit, g: Group, fields: Field[]): Cell[][] {
  const { plan, stmt } = ex;
  const aux = new Set<string>();
  for (const f of fields) for (const r of varRefs(f.expr)) if (isField(unit, r.name, r.dataType)) aux.add(r.name);
  const condNames = new Set<string>();
  for (const r of varRefs(plan.cond)) if (isField(unit, r.name, r.dataType)) condNames.add(r.name);
  const names = [...new Set([...aux, ...condNames])];
  const auxNames = [...aux];
  // Rows as returned ([time, ...values]), with their time and series alongside.
  const rows: Cell[][] = [];
  const rowT: bigint[] = [];
  const bounds: number[] = [0];
  const cond = condNames.size > 0 ? plan.cond : null;
  // Rows past OFFSET + LIMIT of one series cannot reach the answer (ascending order).
  const perSeriesMax = plan.ascending && stmt.limit > 0 ? stmt.offset + stmt.limit : Infinity;
  const nf = fields.length;
  // Aligned rows (below) read the condition's columns first and the others only for rows
  // that pass: a selective WHERE then skips most of the cells.
  const condCols = Int32Array.from(names.flatMap((nm, i) => (condNames.has(nm) ? [i] : [])));
  const restCols = Int32Array.from(names.flatMap((nm, i) => (condNames.has(nm) ? [] : [i])));
  for (const s of g.series) {
    const row = new AlignedRow(s, names);
    // When every column read (selected and in the condition) has the same times, the
    // row at index i is index i of each column: no time merge per row.
    const shared = auxNames.length > 0 ? sharedTimes(row.cols) : null;
    const times = shared ?? unionTimes(auxNames.map((n) => s.cols.get(n)));
    const getters = fields.map((f) => compileExpr(f.expr, rowRef(unit, row, s.tags, null), ex.res, MATH));
    const test = cond ? compileExpr(cond, rowRef(unit, row, s.tags, ''), ex.res, MATH) : null;
    const end = upperBound(times, plan.tmax);
    let n = 0;
    for (let i = lowerBound(times, plan.tmin); i < end && n < perSeriesMax; i++) {
      if (shared === null) {
        row.at(times[i]);
        if (test && test() !== true) continue;
      } else if (test) {
        row.atIndex(i, condCols);
        if (test() !== true) continue;
        row.atIndex(i, restCols);
      } else row.atIndex(i);
      const t = times[i];
      const r = new Array<Cell>(nf + 1);
      r[0] = t;
      for (let f = 0; f < nf; f++) r[f + 1] = finite(getters[f]());
      rows.push(r);
      rowT.push(t);
      n++;
    }
    bounds.push(rows.length);
    checkDeadline(ex);
  }
  // Merge the series as InfluxDB's SortedMergeIterator does (its heap orders equal times);
  // when tags are selected, InfluxDB's rows of equal time come in series order.
  const S = g.series.length;
  const perSeries: number[][] = [];
  for (let si = 0; si < S; si++) {
    const l: number[] = [];
    for (let i = bounds[si]; i < bounds[si + 1]; i++) l.push(i);
    if (!plan.ascending) l.reverse();
    perSeries.push(l);
  }
  const selectsTags = !unit.heapMerge || fields.some((f) => varRefs(f.expr).some((r) => !isField(unit, r.name, r.dataType)));
  let order: number[];
  const nonEmpty = perSeries.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) order = nonEmpty[0] ?? [];
  else if (selectsTags) {
    const seriesOf = new Int32Array(rows.length);
    for (let si = 0; si < S; si++) seriesOf.fill(si, bounds[si], bounds[si + 1]);
    order = rows.map((_, i) => i);
    order.sort((x, y) => {
      const a = rowT[x];
      const b = rowT[y];
      if (a !== b) return (a < b) === plan.ascending ? -1 : 1;
      return plan.ascending ? seriesOf[x] - seriesOf[y] : seriesOf[y] - seriesOf[x];
    });
  } else order = sortedMergeOrder(plan.ascending ? perSeries : [...perSeries].reverse(), (id) => rowT[id], plan.ascending);
  return limitRows(order, stmt.offset, stmt.limit).map((id) => rows[id]);
}

function finite(v: Cell): Cell {
  return typeof v === 'number' && Number.isNaN(v) ? null : v;
}

function limitRows<T>(rows: T[], offset: number, limit: number): T[] {
  if (offset <= 0 && limit <= 0) return rows;
  const start = Math.max(0, offset);
  return limit > 0 ? rows.slice(start, start + limit) : rows.slice(start);
}

// ---------------------------------------------------------------------------------------
// Aggregate queries.

interface AggCtx {
  ex: Exec;
  unit: Unit;
  g: Group;
  plan: Plan;
  /** Point lists by field (+cast, +range) key. */
  lists: Map<string, PointList>;
  /** Whether selector points keep their own time. */
  keepTimes: boolean;
  bucketT: bigint;
  /** Set while evaluating the aggregate inside a transformation. */
  inTransform?: boolean;
  /** The group's first point time (fill start when the query has no lower bound). */
  groupFirst?: bigint;
  /** count() fills empty buckets with 0 under fill(null). */
  fillZero?: boolean;
  /** The query selects fields or tags besides its one selector. */
  hasAux: boolean;
}

function aggregateRows(ex: Exec, unit: Unit, g: Group, fields: Field[]): Cell[][] {
  const { plan, stmt } = ex;
  const actx: AggCtx = {
    ex,
    unit,
    g,
    plan,
    lists: new Map(),
    keepTimes: plan.interval === 0n && onlyOneSelector(fields),
    hasAux: fields.some((f) => !hasCall(f.expr)),
    bucketT: plan.tmin === MIN_TIME ? 0n : plan.tmin,
  };
  for (const s of g.series) {
    for (const c of s.cols.values()) {
      if (c.times.length > 0 && (actx.groupFirst === undefined || c.times[0] < actx.groupFirst)) actx.groupFirst = c.times[0];
    }
  }
  // Each non-aux field's points, ascending.
  const per: (OutPoint[] | null)[] = fields.map((f) => (hasCall(f.expr) ? evalAgg(actx, f.expr) : null));
  // Drop points outside the query range (extra intervals of transformations).
  const lo = plan.interval !== 0n && plan.tmin !== MIN_TIME ? window(plan, ex.zone, plan.tmin).start : MIN_TIME;
  const hi = plan.tmax;
  for (let i = 0; i < per.length; i++) {
    const p = per[i];
    if (p && plan.interval !== 0n) per[i] = p.filter((x) => x.t >= lo && x.t <= hi);
  }
  // Zip by time.
  const heads = per.map(() => 0);
  const rows: Cell[][] = [];
  const primary = per.findIndex((p) => p !== null);
  for (;;) {
    let t: bigint | null = null;
    for (let i = 0; i < per.length; i++) {
      const p = per[i];
      if (!p || heads[i] >= p.length) continue;
      if (t === null || p[heads[i]].t < t) t = p[heads[i]].t;
    }
    if (t === null) break;
    const row: Cell[] = new Array<Cell>(fields.length + 1);
    row[0] = t;
    let sel: OutPoint | null = null;
    for (let i = 0; i < per.length; i++) {
      const p = per[i];
      if (!p) continue;
      if (heads[i] < p.length && p[heads[i]].t === t) {
        const pt = p[heads[i]++];
        row[i + 1] = finite(pt.v);
        if (i === primary) sel = pt;
      } else row[i + 1] = null;
    }
    for (let i = 0; i < per.length; i++) {
      if (per[i]) continue;
      row[i + 1] = sel && sel.src !== undefined && sel.srcT !== undefined ? auxValue(actx, fields[i].expr, sel.src, sel.srcT) : null;
    }
    rows.push(row);
  }
  if (!plan.ascending) rows.reverse();
  return limitRows(rows, stmt.offset, stmt.limit);
}

/** After wildcard expansion: exactly one call, and a selector (it then reports its point's time). */
function onlyOneSelector(fields: Field[]): boolean {
  const calls: string[] = [];
  const visit = (e: Expr): void => {
    if (e.type === 'Call') {
      if (!MATH_FUNCTIONS.has(e.name)) calls.push(e.name);
      e.args.forEach(visit);
    } else if (e.type === 'BinaryExpr') {
      visit(e.lhs);
      visit(e.rhs);
    } else if (e.type === 'ParenExpr') visit(e.expr);
  };
  for (const f of fields) visit(f.expr);
  return calls.length === 1 && SELECTORS.has(calls[0]);
}

function hasCall(e: Expr): boolean {
  switch (e.type) {
    case 'Call':
      return !MATH_FUNCTIONS.has(e.name) || e.args.some(hasCall);
    case 'BinaryExpr':
      return hasCall(e.lhs) || hasCall(e.rhs);
    case 'ParenExpr':
      return hasCall(e.expr);
    default:
      return false;
  }
}

/** An auxiliary field's value at the selected point (series `src` of the group, time t). */
function auxValue(a: AggCtx, e: Expr, src: number, t: bigint): Cell {
  const s = a.g.series[src];
  if (!s) return null;
  const names = varRefs(e)
    .filter((r) => isField(a.unit, r.name, r.dataType))
    .map((r) => r.name);
  const row = new AlignedRow(s, names);
  row.at(t);
  return finite(evalExpr(e, fieldLookup(a.unit, row, s.tags, null), a.ex.res, MATH));
}

/** The condition-filtered points of one field over the group, merged by time. */
function pointList(a: AggCtx, ref: VarRef, tmin: bigint, tmax: bigint): PointList {
  const key = `${ref.val}\u0000${ref.dataType}\u0000${tmin}\u0000${tmax}`;
  const hit = a.lists.get(key);
  if (hit) return hit;
  const { unit, plan, ex } = a;
  const condNames: string[] = [];
  for (const r of varRefs(plan.cond)) if (isField(unit, r.name, r.dataType)) condNames.push(r.name);
  const cond = condNames.length > 0 ? plan.cond : null;
  const ts: bigint[] = [];
  const vs: Cell[] = [];
  const ss: number[] = [];
  let type = isField(unit, ref.val, ref.dataType) ? (unit.fieldTypes.get(ref.val) as string) : 'float';
  if (ref.dataType === 'float' || ref.dataType === 'integer') type = ref.dataType === 'integer' && type === 'unsigned' ? type : ref.dataType === 'float' && (type === 'integer' || type === 'float') ? 'float' : ref.dataType === 'integer' && (type === 'float' || type === 'integer') ? 'integer' : type;
  a.g.series.forEach((s, si) => {
    const col = isField(unit, ref.val, ref.dataType) ? s.cols.get(ref.val) : undefined;
    if (!col) return;
    const row = cond ? new AlignedRow(s, condNames) : null;
    const test = row && cond ? compileExpr(cond, rowRef(unit, row, s.tags, ''), ex.res, MATH) : null;
    const hi = upperBound(col.times, tmax);
    for (let i = lowerBound(col.times, tmin); i < hi; i++) {
      const t = col.times[i];
      if (row && test) {
        row.at(t);
        if (test() !== true) continue;
      }
      let v = cellAt(col, i);
      if (ref.dataType !== 'unknown' && ref.dataType !== 'tag' && ref.dataType !== 'field') v = castCell(v, ref.dataType);
      if (v === null) continue;
      ts.push(t);
      vs.push(v);
      ss.push(si);
    }
  });
  // Points come series after series; merge them in InfluxDB's order.
  const perSeries: number[][] = a.g.series.map(() => []);
  for (let i = 0; i < ts.length; i++) perSeries[ss[i]].push(i);
  let order: number[];
  if (unit.heapMerge) order = sortedMergeOrder(perSeries, (id) => ts[id], true);
  else {
    order = ts.map((_, i) => i);
    order.sort((x, y) => (ts[x] < ts[y] ? -1 : ts[x] > ts[y] ? 1 : x - y));
  }
  const pl: PointList = {
    times: new Array<bigint>(order.length),
    values: new Array<Cell>(order.length),
    src: new Int32Array(order.length),
    type,
  };
  for (let i = 0; i < order.length; i++) {
    pl.times[i] = ts[order[i]];
    pl.values[i] = vs[order[i]];
    pl.src[i] = ss[order[i]];
  }
  a.lists.set(key, pl);
  return pl;
}

/** Evaluates an aggregate field expression to its points (ascending). */
function evalAgg(a: AggCtx, e: Expr): OutPoint[] {
  switch (e.type) {
    case 'ParenExpr':
      return evalAgg(a, e.expr);
    case 'Call': {
      if (MATH_FUNCTIONS.has(e.name)) return evalMath(a, e);
      if (TRANSFORMS.has(e.name)) return evalTransform(a, e);
      return evalCall(a, e);
    }
    case 'BinaryExpr': {
      const lLit = !hasCall(e.lhs);
      const rLit = !hasCall(e.rhs);
      const noRefs: Lookup = () => null;
      if (lLit) {
        const l = evalExpr(e.lhs, noRefs, a.ex.res, MATH);
        return evalAgg(a, e.rhs).map((p) => ({ ...p, v: binop(e.op, l, p.v) }));
      }
      if (rLit) {
        const r = evalExpr(e.rhs, noRefs, a.ex.res, MATH);
        return evalAgg(a, e.lhs).map((p) => ({ ...p, v: binop(e.op, p.v, r) }));
      }
      return zip2(evalAgg(a, e.lhs), evalAgg(a, e.rhs), (l, r) => binop(e.op, l, r));
    }
    default:
      return [];
  }
}

function binop(op: BinaryOp, l: Cell, r: Cell): Cell {
  if (l === null || r === null) return null;
  return binaryOp(op, l, r);
}

function zip2(l: OutPoint[], r: OutPoint[], f: (a: Cell, b: Cell) => Cell): OutPoint[] {
  const out: OutPoint[] = [];
  let i = 0;
  let j = 0;
  while (i < l.length || j < r.length) {
    if (j >= r.length || (i < l.length && l[i].t < r[j].t)) {
      out.push({ t: l[i].t, v: null });
      i++;
    } else if (i >= l.length || r[j].t < l[i].t) {
      out.push({ t: r[j].t, v: null });
      j++;
    } else {
      out.push({ t: l[i].t, v: f(l[i].v, r[j].v), src: l[i].src, srcT: l[i].srcT });
      i++;
      j++;
    }
  }
  return out;
}

function evalMath(a: AggCtx, e: Call): OutPoint[] {
  const fn = MATH[e.name];
  const idx = e.args.findIndex((x) => hasCall(x));
  if (idx < 0 || !fn) return [];
  const noRefs: Lookup = () => null;
  const lits = e.args.map((x, i) => (i === idx ? null : evalExpr(x, noRefs, a.ex.res, MATH)));
  return evalAgg(a, e.args[idx]).map((p) => {
    const args = lits.map((v, i) => (i === idx ? p.v : v));
    if (args.some((v) => typeof v !== 'number' && typeof v !== 'bigint')) return { ...p, v: null };
    return { ...p, v: mathResult(e.name, fn(...args.map((v) => Number(v))), args) };
  });
}

function evalTransform(a: AggCtx, e: Call): OutPoint[] {
  const { plan } = a;
  const inner = e.args[0];
  let pts: OutPoint[];
  let type: string;
  if (inner.type === 'Call') {
    const was = a.inTransform;
    a.inTransform = e.name !== 'cumulative_sum';
    try {
      pts = evalAgg(a, inner);
    } finally {
      a.inTransform = was;
    }
    type = pts.some((p) => typeof p.v === 'bigint') ? 'integer' : 'float';
  } else if (inner.type === 'VarRef') {
    const pl = pointList(a, inner, plan.tmin, plan.tmax);
    if (pl.type !== 'float' && pl.type !== 'integer' && pl.type !== 'unsigned') {
      throw new AggregateError(`unsupported ${e.name} iterator type: *query.${pl.type}InterruptIterator`);
    }
    type = pl.type === 'float' ? 'float' : 'integer';
    pts = [];
    for (let i = 0; i < pl.times.length; i++) pts.push({ t: pl.times[i], v: pl.values[i] });
  } else return [];
  const seq = plan.ascending ? pts : [...pts].reverse();
  const args: { unit?: bigint; n?: number; interval?: bigint; ascending: boolean } = { ascending: plan.ascending, interval: plan.interval };
  if ((e.name === 'derivative' || e.name === 'non_negative_derivative' || e.name === 'elapsed') && e.args[1]?.type === 'DurationLiteral') {
    args.unit = e.args[1].val;
  }
  if (e.name === 'moving_average' && e.args[1]?.type === 'IntegerLiteral') args.n = Number(e.args[1].val);
  const res = applyTransform(e.name as TransformName, { times: seq.map((p) => p.t), values: seq.map((p) => (p.v === null ? null : Number(p.v))) }, args);
  const outType = e.name === 'elapsed' ? 'integer' : e.name === 'derivative' || e.name === 'non_negative_derivative' || e.name === 'moving_average' ? 'float' : type;
  const out: OutPoint[] = res.times.map((t, i) => {
    const v = res.values[i];
    return { t, v: v === null ? null : outType === 'integer' ? BigInt(Math.trunc(v)) : v };
  });
  if (!plan.ascending) out.reverse();
  return out;
}

/** One aggregate or selector call over the group's buckets, filled. */
function evalCall(a: AggCtx, e: Call): OutPoint[] {
  const { plan, ex } = a;
  const name = e.name;
  let argExpr = e.args[0];
  let distinctCount = false;
  if (name === 'count' && argExpr && (argExpr.type === 'Call' && argExpr.name === 'distinct')) {
    distinctCount = true;
    argExpr = argExpr.args[0];
  } else if (name === 'count' && argExpr?.type === 'Distinct') {
    distinctCount = true;
    argExpr = { type: 'VarRef', val: argExpr.val, dataType: 'unknown' };
  }
  if (!argExpr || argExpr.type !== 'VarRef') return [];
  // Data range: transformations of this call read one more interval (see extension()).
  const ext = extension(ex, plan);
  const isInner = a.inTransform === true;
  // Points are read over the data range; buckets are filled over the query's range (from
  // the first point when it has no lower bound).
  const dataMin = isInner ? ext.tmin : plan.tmin === MIN_TIME ? ext.tmin : plan.tmin;
  const tmax = isInner ? ext.tmax : plan.tmax;
  const tmin = plan.tmin === MIN_TIME ? MIN_TIME : dataMin;
  if ((name === 'max' || name === 'min') && plan.interval !== 0n && !a.keepTimes && !a.hasAux && !isInner) {
    const buckets = floatExtremes(a, name, argExpr, dataMin, tmax);
    if (buckets) {
      checkDeadline(ex);
      return fill(a, buckets, 'float', tmin, tmax);
    }
  }
  const pl = pointList(a, argExpr, dataMin, tmax);
  const args: Parameters<typeof aggregate>[5] = { distinctCount };
  if (name === 'percentile') {
    const p = e.args[1];
    args.p = p.type === 'IntegerLiteral' ? Number(p.val) : p.type === 'NumberLiteral' ? p.val : 0;
  }
  if (name === 'sample' || name === 'top' || name === 'bottom') {
    const n = e.args[e.args.length - 1];
    args.n = n.type === 'IntegerLiteral' ? Number(n.val) : 1;
  }
  if ((name === 'top' || name === 'bottom') && e.args.length > 2) {
    const tagRefs = e.args.slice(1, -1) as VarRef[];
    args.tagOf = (src) => {
      const s = a.g.series[src];
      return tagRefs.map((r) => s.tags[r.val] ?? '').join('\u0000');
    };
  }
  if (name === 'integral' && e.args[1]?.type === 'DurationLiteral') args.unit = e.args[1].val;
  const keepTimes = a.keepTimes || name === 'top' || name === 'bottom' || name === 'sample';
  const outType = aggregateType(name, pl.type);
  if ((name === 'mean' || name === 'sum') && pl.type !== 'float' && pl.type !== 'integer' && pl.type !== 'unsigned') {
    throw new AggregateError(`unsupported ${name} iterator type: *query.${pl.type}InterruptIterator`);
  }
  // Over a subquery the calls reduce the points as they come (no per-series partials).
  const pushdown = a.unit.heapMerge && (name === 'mean' || (name === 'sum' && pl.type === 'float'));
  if (name === 'integral' && plan.interval !== 0n) {
    if (pl.type !== 'float' && pl.type !== 'integer' && pl.type !== 'unsigned') {
      throw new AggregateError(`unsupported integral iterator type: *query.${pl.type}InterruptIterator`);
    }
    // InfluxDB emits integral() windows without filling the empty ones.
    return integralWindows(a, pl, args.unit ?? 1_000_000_000n).flatMap((b) => b.pts);
  }
  if (
    plan.interval === 0n &&
    (name === 'first' || name === 'last') &&
    a.hasAux &&
    a.unit.heapMerge &&
    pl.times.length > 0 &&
    (pl.type === 'float' || pl.type === 'integer' || pl.type === 'unsigned')
  ) {
    // With auxiliary fields InfluxDB 1.6 answers a numeric first()/last() with the first
    // row of the raw query in that direction: the merge order, not the larger value,
    // decides between points of equal time (strings and booleans keep the value rule).
    const k = name === 'first' ? 0 : lastInMergeOrder(pl, a.g.series.length);
    return [{ t: pl.times[k], v: pl.values[k], src: pl.src[k], srcT: pl.times[k] }];
  }
  if (plan.interval === 0n) {
    if (pl.times.length === 0) return [];
    const pts = pushdown ? pushdownReduce(name, pl, [{ start: a.bucketT, lo: 0, hi: pl.times.length }], a.g.series.length, plan.ascending) : aggregate(name, pl, 0, pl.times.length, a.bucketT, args);
    if (!keepTimes || !SELECTORS.has(name)) for (const p of pts) p.t = name === 'integral' && pl.type === 'float' ? 0n : a.bucketT;
    return pts;
  }
  // Buckets.
  const buckets: { start: bigint; pts: OutPoint[] }[] = [];
  const ranges: { start: bigint; lo: number; hi: number }[] = [];
  let i = 0;
  const n = pl.times.length;
  while (i < n) {
    const w = window(plan, ex.zone, pl.times[i]);
    let j = i;
    while (j < n && pl.times[j] < w.end) j++;
    ranges.push({ start: w.start, lo: i, hi: j });
    i = j;
  }
  const reduced = pushdown ? pushdownReduce(name, pl, ranges, a.g.series.length, plan.ascending) : null;
  ranges.forEach((r, k) => {
    const pts = reduced ? [reduced[k]] : aggregate(name, pl, r.lo, r.hi, r.start, args);
    if (!(keepTimes && SELECTORS.has(name))) for (const p of pts) p.t = r.start;
    buckets.push({ start: r.start, pts });
  });
  checkDeadline(ex);
  // These calls' iterators are not filled.
  if (name === 'top' || name === 'bottom' || name === 'sample' || name === 'distinct') return buckets.flatMap((b) => b.pts);
  a.fillZero = name === 'count';
  try {
    return fill(a, buckets, outType, tmin, tmax);
  } finally {
    a.fillZero = false;
  }
}

/**
 * max() / min() of a float field per GROUP BY time bucket, read per series without merging
 * the group's points (only the value is kept: no auxiliary fields, bucket-start times). The
 * larger (smaller) value wins, then the earlier time, as aggregate() decides. Null when the
 * shortcut does not apply (a WHERE on fields, another type, a NaN).
 */
function floatExtremes(a: AggCtx, name: string, ref: VarRef, tmin: bigint, tmax: bigint): { start: bigint; pts: OutPoint[] }[] | null {
  const { unit, plan, ex } = a;
  if (ref.dataType !== 'unknown' && ref.dataType !== 'field') return null;
  if (!isField(unit, ref.val, ref.dataType) || unit.fieldTypes.get(ref.val) !== 'float') return null;
  for (const r of varRefs(plan.cond)) if (isField(unit, r.name, r.dataType)) return null;
  const isMax = name === 'max';
  const series = a.g.series;
  // one series (a GROUP BY time of one host, the usual panel): its windows come in order,
  // one result each, so no map keyed by window start is needed
  const out: { start: bigint; pts: OutPoint[] }[] = [];
  const best = series.length > 1 ? new Map<bigint, { v: number; t: bigint; src: number }>() : null;
  for (let si = 0; si < series.length; si++) {
    const col = series[si].cols.get(ref.val);
    if (!col) continue;
    if (col.type !== 'float' || !(col.values instanceof Float64Array)) return null;
    const times = col.times;
    const values = col.values;
    // the int64 times as (low, signed high) 32-bit words, compared without a BigInt per point
    const words = new Int32Array(times.buffer, times.byteOffset, 2 * times.length);
    const hi = upperBound(times, tmax);
    let i = lowerBound(times, tmin);
    while (i < hi) {
      const w = window(plan, ex.zone, times[i]);
      const [endHi, endLo] = wordsOf(w.end);
      let k = i;
      let bv = values[i];
      if (Number.isNaN(bv)) return null;
      let j = i + 1;
      for (; j < hi; j++) {
        const th = words[2 * j + 1];
        if (th > endHi || (th === endHi && words[2 * j] >>> 0 >= endLo)) break;
        const v = values[j];
        if (Number.isNaN(v)) return null;
        if (isMax ? v > bv : v < bv) {
          bv = v;
          k = j;
        }
      }
      const t = times[k];
      if (best === null) out.push({ start: w.start, pts: [{ t: w.start, v: bv, src: si, srcT: t }] });
      else {
        const cur = best.get(w.start);
        if (!cur) best.set(w.start, { v: bv, t, src: si });
        else if ((isMax ? bv > cur.v : bv < cur.v) || (bv === cur.v && t < cur.t)) {
          cur.v = bv;
          cur.t = t;
          cur.src = si;
        }
      }
      i = j;
    }
  }
  if (best === null) return out;
  const starts = [...best.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return starts.map((start) => {
    const b = best.get(start) as { v: number; t: bigint; src: number };
    return { start, pts: [{ t: start, v: b.v, src: b.src, srcT: b.t }] };
  });
}

/**
 * mean() and float sum() as InfluxDB computes them: one partial aggregate per series and
 * window (the engine's per-series call iterators), combined in the order its parallel
 * merge delivers them, then passed through two more call iterators (shard and source
 * merges) that each turn a mean into sum/count and back.
 */
function pushdownReduce(
  name: string,
  pl: PointList,
  ranges: { start: bigint; lo: number; hi: number }[],
  seriesCount: number,
  ascending: boolean,
): OutPoint[] {
  const S = Math.max(1, seriesCount);
  const sums = new Float64Array(ranges.length * S);
  const counts = new Float64Array(ranges.length * S);
  ranges.forEach((r, k) => {
    for (let x = r.lo; x < r.hi; x++) {
      const i = ascending ? x : r.hi - 1 - (x - r.lo);
      const id = k * S + pl.src[i];
      const v = pl.values[i];
      sums[id] += typeof v === 'bigint' ? Number(v) : (v as number);
      counts[id]++;
    }
  });
  const perSeries: number[][] = [];
  for (let s = 0; s < S; s++) {
    const l: number[] = [];
    for (let k = 0; k < ranges.length; k++) if (counts[k * S + s] > 0) l.push(k * S + s);
    if (!ascending) l.reverse();
    perSeries.push(l);
  }
  // Under DESC the series are iterated in reverse order too.
  if (!ascending) perSeries.reverse();
  const order = parallelMergeOrder(perSeries, (id) => ranges[Math.trunc(id / S)].start, ascending, PARALLELISM);
  const total = new Float64Array(ranges.length);
  const n = new Float64Array(ranges.length);
  for (const id of order) {
    const k = Math.trunc(id / S);
    if (name === 'mean') {
      const m = sums[id] / counts[id];
      total[k] += counts[id] >= 2 ? m * counts[id] : m;
    } else total[k] += sums[id];
    n[k] += counts[id];
  }
  return ranges.map((r, k) => {
    if (name !== 'mean') return { t: r.start, v: total[k] };
    let v = total[k] / n[k];
    for (let layer = 0; layer < 2; layer++) v = n[k] >= 2 ? (v * n[k]) / n[k] : v;
    return { t: r.start, v };
  });
}

/** Go's FloatIntegralReducer over windows: each window's area is closed by interpolating
 * to the window's end, and the next window starts from that interpolated point. */
function integralWindows(a: AggCtx, pl: PointList, unitNs: bigint): { start: bigint; pts: OutPoint[] }[] {
  const { plan, ex } = a;
  const unit = Number(unitNs);
  const out: { start: bigint; pts: OutPoint[] }[] = [];
  let havePrev = false;
  let pt = 0n;
  let pv = 0;
  let win = { start: 0n, end: 0n };
  let sum = 0;
  for (let i = 0; i < pl.times.length; i++) {
    const t = pl.times[i];
    const v = Number(pl.values[i]);
    if (!havePrev) {
      havePrev = true;
      pt = t;
      pv = v;
      win = window(plan, ex.zone, t);
      continue;
    }
    if (pt === t) {
      pv = v;
      continue;
    }
    if (t >= win.end) {
      if (pt !== win.end) {
        const m = (v - pv) / Number(t - pt);
        const value = m * Number(win.end - pt) + pv;
        const elapsed = Number(win.end - pt) / unit;
        sum += 0.5 * (value + pv) * elapsed;
        pv = value;
        pt = win.end;
      }
      out.push({ start: win.start, pts: [{ t: win.start, v: sum }] });
      win = window(plan, ex.zone, t);
      sum = 0;
    }
    const elapsed = Number(t - pt) / unit;
    sum += 0.5 * (v + pv) * elapsed;
    pt = t;
    pv = v;
  }
  if (havePrev) out.push({ start: win.start, pts: [{ t: win.start, v: sum }] });
  return out;
}

/** The first point of the DESC merge of a point list (series reversed, as InfluxDB does). */
function lastInMergeOrder(pl: PointList, seriesCount: number): number {
  const perSeries: number[][] = [];
  for (let s = 0; s < seriesCount; s++) perSeries.push([]);
  for (let i = 0; i < pl.times.length; i++) perSeries[pl.src[i]].push(i);
  for (const l of perSeries) l.reverse();
  perSeries.reverse();
  return sortedMergeOrder(perSeries, (id) => pl.times[id], false)[0];
}

/** Most buckets one filled series may hold when ctx.maxBuckets sets no lower limit. */
const MAX_FILLED_BUCKETS = 10_000_000n;

/** GOMAXPROCS of the InfluxDB whose merge order is replayed (parallel merge groups). */
const PARALLELISM = 2;

function fill(a: AggCtx, buckets: { start: bigint; pts: OutPoint[] }[], outType: string, tmin: bigint, tmax: bigint): OutPoint[] {
  const { plan, ex } = a;
  const stmt = ex.stmt;
  const mode = stmt.fill;
  const out: OutPoint[] = [];
  // A call without any point in the group emits nothing, whatever the fill.
  if (mode === 'none' || buckets.length === 0) {
    for (const b of buckets) out.push(...b.pts);
    return out;
  }
  // Whole range of buckets.
  let first: bigint;
  if (tmin !== MIN_TIME) first = window(plan, ex.zone, tmin).start;
  else if (a.groupFirst !== undefined) first = window(plan, ex.zone, a.groupFirst).start;
  else if (buckets.length) first = buckets[0].start;
  else return out;
  if (buckets.length === 0 && a.groupFirst === undefined) return out;
  const lastStart = window(plan, ex.zone, tmax).start;
  // Without max-select-buckets InfluxDB streams any number of buckets; here they are held
  // in memory, so an absurd count is refused rather than exhausting the process.
  const count = (lastStart - first) / plan.interval + 1n;
  if (count > MAX_FILLED_BUCKETS) throw new InfluxQLError(`max-select-buckets limit exceeded: (${count}/${MAX_FILLED_BUCKETS})`);
  let bi = 0;
  const filled = new Set<number>();
  const fillValue = (): Cell => {
    const v = stmt.fillValue;
    if (v === null) return null;
    switch (outType) {
      case 'float':
        return Number(v);
      case 'integer':
      case 'unsigned':
        return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
      case 'string':
        return '';
      case 'boolean':
        return false;
      default:
        return Number(v);
    }
  };
  let guard = 0;
  for (let t = first; t <= lastStart; ) {
    while (bi < buckets.length && buckets[bi].start < t) bi++;
    if (bi < buckets.length && buckets[bi].start === t) {
      out.push(...buckets[bi].pts);
      bi++;
    } else {
      let v: Cell = null;
      if (mode === 'null' && a.fillZero) v = 0n;
      else if (mode === 'number') v = fillValue();
      else if (mode === 'previous') filled.add(out.length);
      else if (mode === 'linear') v = linear(buckets, bi, t, outType);
      out.push({ t, v });
    }
    const w = window(plan, ex.zone, t);
    if (w.end <= t) break;
    t = w.end;
    if (++guard % 4096 === 0) checkDeadline(ex);
  }
  if (filled.size > 0) {
    // fill(previous) carries the last value in iteration order (later buckets under DESC).
    let prev: Cell = null;
    for (let k = 0; k < out.length; k++) {
      const i = plan.ascending ? k : out.length - 1 - k;
      if (filled.has(i)) out[i].v = prev;
      else if (out[i].v !== null) prev = out[i].v;
    }
  }
  return out;
}

function linear(buckets: { start: bigint; pts: OutPoint[] }[], bi: number, t: bigint, outType: string): Cell {
  // Previous and next non-null bucket values.
  let p = bi - 1;
  while (p >= 0 && (buckets[p].pts.length === 0 || buckets[p].pts[buckets[p].pts.length - 1].v === null)) p--;
  let q = bi;
  while (q < buckets.length && (buckets[q].pts.length === 0 || buckets[q].pts[0].v === null)) q++;
  if (p < 0 || q >= buckets.length) return null;
  const x0 = buckets[p].start;
  const x1 = buckets[q].start;
  const y0 = Number(buckets[p].pts[buckets[p].pts.length - 1].v);
  const y1 = Number(buckets[q].pts[0].v);
  const v = y0 + ((y1 - y0) * Number(t - x0)) / Number(x1 - x0);
  if (outType === 'integer' || outType === 'unsigned') return BigInt(Math.trunc(v));
  return v;
}

// ---------------------------------------------------------------------------------------
// SELECT ... INTO.

async function writeInto(ctx: QueryContext, stmt: SelectStatement, series: ResultSeries[]): Promise<ResultSeries[]> {
  const target = stmt.target!.measurement;
  const db = target.database || ctx.database || '';
  if (db === '') throw new InfluxQLError('database name required');
  if (!ctx.engine.hasDatabase(db)) throw new InfluxQLError(`database not found: ${db}`);
  const lines: string[] = [];
  for (const s of series) {
    const name = target.name !== '' ? target.name : s.name;
    let tagPart = '';
    for (const k of Object.keys(s.tags ?? {}).sort()) {
      const v = s.tags![k];
      if (v === '') continue;
      tagPart += `,${escapeKey(k)}=${escapeKey(v)}`;
    }
    for (const row of s.values) {
      const parts: string[] = [];
      for (let c = 1; c < s.columns.length; c++) {
        const v = row[c];
        if (v === null || (typeof v === 'number' && !Number.isFinite(v))) continue;
        parts.push(`${escapeKey(s.columns[c])}=${formatFieldValue(v)}`);
      }
      if (parts.length === 0) continue;
      lines.push(`${escapeMeasurement(name)}${tagPart} ${parts.join(',')} ${row[0] as bigint}`);
    }
  }
  if (lines.length > 0) {
    await ctx.engine.write(lines.join('\n') + '\n', { db, rp: target.retentionPolicy || undefined });
  }
  return [{ name: 'result', columns: ['time', 'written'], values: [[0n, BigInt(lines.length)]] }];
}

function escapeMeasurement(s: string): string {
  return s.replace(/[ ,\\]/g, (c) => `\\${c}`);
}

function escapeKey(s: string): string {
  return s.replace(/[ ,=\\]/g, (c) => `\\${c}`);
}

function formatFieldValue(v: Cell): string {
  if (typeof v === 'bigint') return `${v}i`;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

