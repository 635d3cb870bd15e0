// Runs parsed SQL statements against the engine (docs/sql.md): tables of CREATE TABLE and
// measurements written by line protocol are both read with engine.select, one row per
// series and timestamp; tag predicates and time bounds of WHERE are pushed down.

import type { Database } from '../../engine/database.js';
import type { Point, SeriesColumn, TagMatcher } from '../../types.js';
import type { ColumnDef, Expr, FromItem, SelectStmt, SqlType, Statement, TableName } from './ast.js';
import {
  compile,
  constant,
  containsAggregate,
  groupKey,
  toTime,
  TYPE_NAMES,
  type CompileContext,
  type Compiled,
  type Row,
  type ScopeColumn,
} from './compile.js';
import { sqlError, tableNotFound } from './errors.js';
import { parseSql } from './parser.js';
import { deleteSchema, readSchema, ROW_TAG, SCHEMA_MEASUREMENT, writeSchema, type TableSchema } from './schema.js';
import { selectFromTier, type TierReads } from './tiers.js';
import { compareValues, formatTimeNs, keyOf, type ExprType, type SqlValue } from './values.js';

export type { SqlValue };

/** Database used when a request names none. */
export const DEFAULT_SQL_DATABASE = 'default';

export interface SqlColumn {
  name: string;
  type: SqlType;
}

/** A statement's result. Integers are bigints, floats numbers, timestamps bigint ns. */
export interface SqlResult {
  columns: SqlColumn[];
  rows: SqlValue[][];
}

export interface SqlOptions {
  /** Database of unqualified table names (default "default"). */
  db?: string;
  /** Values of `?` and `$N` parameters: numbers (integral → INT), bigints, strings, booleans, null. */
  params?: readonly unknown[];
  /** now() and the default time of INSERT, ns since the epoch (default: the clock). */
  now?: bigint;
  /** The downsampler's watermarks: aggregates over time buckets may read the tiers
   * (tiers.ts); the names of those that answered are added to `used`. */
  tiers?: TierReads;
}

interface Env {
  engine: Database;
  src: string;
  db: string;
  params: readonly unknown[];
  now: bigint;
  tiers?: TierReads;
}

/**
 * Runs one or more `;`-separated statements in order and returns the last one's result.
 * Throws StrataError: STRATA_ERR_SQL_SYNTAX (with line and column), STRATA_ERR_SQL,
 * STRATA_ERR_SQL_TABLE_NOT_FOUND, or the engine's errors.
 */
export async function executeSql(engine: Database, text: string, opts: SqlOptions = {}): Promise<SqlResult> {
  const results = await executeSqlAll(engine, text, opts);
  return results[results.length - 1];
}

/** executeSql, returning every statement's result. */
export async function executeSqlAll(engine: Database, text: string, opts: SqlOptions = {}): Promise<SqlResult[]> {
  const statements = parseSql(text);
  const env: Env = {
    engine,
    src: text,
    db: opts.db || DEFAULT_SQL_DATABASE,
    params: opts.params ?? [],
    now: opts.now ?? BigInt(Date.now()) * 1_000_000n,
    tiers: opts.tiers,
  };
  const out: SqlResult[] = [];
  for (const s of statements) out.push(await runStatement(env, s));
  return out;
}

function runStatement(env: Env, s: Statement): Promise<SqlResult> | SqlResult {
  switch (s.k) {
    case 'create':
      return createTable(env, s.table, s.columns, s.ifNotExists);
    case 'drop':
      return dropTable(env, s.table, s.ifExists);
    case 'insert':
      return insert(env, s);
    case 'delete':
      return deleteRows(env, s.table, s.where);
    case 'select':
      return select(env, s);
  }
}

const EMPTY: SqlResult = { columns: [], rows: [] };

function dbOf(env: Env, t: TableName): string {
  return t.db ?? env.db;
}

function checkTableName(env: Env, t: TableName): void {
  if (t.name === SCHEMA_MEASUREMENT) throw sqlError(`"${SCHEMA_MEASUREMENT}" holds the table schemas and is not a table`, env.src, t.pos);
}

// ---- CREATE / DROP ----------------------------------------------------------------------

async function createTable(env: Env, t: TableName, columns: ColumnDef[], ifNotExists: boolean): Promise<SqlResult> {
  checkTableName(env, t);
  const db = dbOf(env, t);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw sqlError(`column "${c.name}" is declared twice`, env.src, c.pos);
    seen.add(c.name);
    if (c.name === ROW_TAG) throw sqlError(`"${ROW_TAG}" is reserved (it keys the rows of tables without TAG columns)`, env.src, c.pos);
    if (c.name === 'time') {
      if (c.type !== 'timestamp' || c.tag) throw sqlError('the "time" column must be declared as "time TIMESTAMP" (not a TAG)', env.src, c.pos);
    } else if (c.type === 'timestamp') {
      throw sqlError(`only the "time" column can be TIMESTAMP: declare "${c.name}" as BIGINT (ns) or TEXT`, env.src, c.pos);
    }
  }
  if (!columns.some((c) => !c.tag && c.name !== 'time')) throw sqlError(`table "${t.name}" needs at least one column that is not a TAG or the time (a FIELD holds the values)`, env.src, t.pos);
  if (readSchema(env.engine, db, t.name)) {
    if (ifNotExists) return EMPTY;
    throw sqlError(`table "${t.name}" already exists in database "${db}"`, env.src, t.pos);
  }
  const schema: TableSchema = { version: 1, columns: columns.map((c) => ({ name: c.name, type: c.type, tag: c.tag })) };
  await writeSchema(env.engine, db, t.name, schema, env.now);
  return EMPTY;
}

async function dropTable(env: Env, t: TableName, ifExists: boolean): Promise<SqlResult> {
  checkTableName(env, t);
  const db = dbOf(env, t);
  const schema = readSchema(env.engine, db, t.name);
  const measurement = env.engine.hasDatabase(db) && env.engine.measurements(db).includes(t.name);
  if (!schema && !measurement) {
    if (ifExists) return EMPTY;
    throw tableNotFound(db, t.name);
  }
  if (measurement) await env.engine.dropMeasurement(db, t.name);
  if (schema) await deleteSchema(env.engine, db, t.name);
  return EMPTY;
}

// ---- sources ----------------------------------------------------------------------------

interface Source {
  db: string;
  measurement: string;
  alias: string;
  columns: ScopeColumn[];
  schema?: TableSchema;
}

function fieldType(t: string): SqlType {
  return t === 'float' ? 'float' : t === 'string' ? 'string' : t === 'boolean' ? 'boolean' : 'integer';
}

function describe(env: Env, from: FromItem): Source {
  checkTableName(env, from.table);
  const db = dbOf(env, from.table);
  const name = from.table.name;
  const alias = from.alias;
  const schema = readSchema(env.engine, db, name);
  if (schema) {
    const columns: ScopeColumn[] = schema.columns.map((c) => ({ qual: alias, name: c.name, type: c.type, kind: c.name === 'time' ? 'time' : c.tag ? 'tag' : 'field', hidden: false }));
    if (!columns.some((c) => c.name === 'time')) columns.push({ qual: alias, name: 'time', type: 'timestamp', kind: 'time', hidden: true });
    return { db, measurement: name, alias, columns, schema };
  }
  if (!env.engine.hasDatabase(db) || !env.engine.measurements(db).includes(name)) throw tableNotFound(db, name);
  const columns: ScopeColumn[] = [{ qual: alias, name: 'time', type: 'timestamp', kind: 'time', hidden: false }];
  for (const k of env.engine.tagKeys(db, name)) columns.push({ qual: alias, name: k, type: 'string', kind: 'tag', hidden: false });
  const fields = env.engine.fieldTypes(db, name);
  for (const f of Object.keys(fields).sort()) {
    if (columns.some((c) => c.name === f)) continue;
    columns.push({ qual: alias, name: f, type: fieldType(fields[f]), kind: 'field', hidden: false });
  }
  return { db, measurement: name, alias, columns };
}

function tagValue(s: string, type: ExprType): SqlValue {
  if (type === 'integer' && /^-?[0-9]+$/.test(s)) return BigInt(s);
  if (type === 'float' && s.trim() !== '' && !Number.isNaN(Number(s))) return Number(s);
  if (type === 'boolean' && (s === 'true' || s === 'false')) return s === 'true';
  return s;
}

function cellValue(col: SeriesColumn, j: number, type: ExprType): SqlValue {
  const v = col.values[j];
  let out: SqlValue = typeof v === 'number' && col.values instanceof Uint8Array ? v !== 0 : (v as SqlValue);
  // a field stored with another type than the table declares (written by line protocol)
  if (type === 'float' && typeof out === 'bigint') out = Number(out);
  else if (type === 'integer' && typeof out === 'number' && Number.isInteger(out)) out = BigInt(out);
  return out;
}

interface PushDown {
  where: TagMatcher[];
  start?: bigint;
  end?: bigint;
  /** Conjuncts that could not be pushed down. */
  rest: Expr[];
  /** A contradiction (empty time range): nothing matches. */
  none: boolean;
}

function conjuncts(e: Expr | undefined): Expr[] {
  if (!e) return [];
  if (e.k === 'bin' && e.op === 'AND') return [...conjuncts(e.l), ...conjuncts(e.r)];
  return [e];
}

function re2Escape(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

function likeToRe2(p: string): string {
  let re = '';
  for (const ch of p) re += ch === '%' ? '[\\s\\S]*' : ch === '_' ? '[\\s\\S]' : re2Escape(ch);
  return re;
}

/** Splits WHERE into tag matchers, a time range and the rest, for one source. */
function pushDown(env: Env, source: Source, where: Expr | undefined, others: Source[]): PushDown {
  const out: PushDown = { where: [], rest: [], none: false };
  const cctx = { src: env.src, params: env.params, now: env.now };
  const columnOf = (e: Expr): { name: string; kind: string } | null => {
    if (e.k !== 'col') return null;
    if (e.table !== undefined && e.table !== source.alias) return null;
    if (e.table === undefined && others.some((o) => o.columns.some((c) => c.name === e.name))) return null;
    const c = source.columns.find((x) => x.name === e.name);
    return c ? { name: c.name, kind: c.kind } : null;
  };
  const isConst = (e: Expr): boolean => {
    switch (e.k) {
      case 'lit':
      case 'interval':
      case 'param':
        return true;
      case 'bin':
        return isConst(e.l) && isConst(e.r);
      case 'neg':
        return isConst(e.e);
      case 'call':
        return !containsAggregate(e) && e.args.every(isConst);
      default:
        return false;
    }
  };
  const tagText = (v: SqlValue): string | null => (v === null ? null : typeof v === 'number' ? null : String(v));
  const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=', '!=': '!=' };
  for (const c of conjuncts(where)) {
    let pushed = false;
    if (c.k === 'bin' && FLIP[c.op]) {
      let col = columnOf(c.l);
      let other = c.r;
      let op = c.op;
      if (!col && columnOf(c.r)) {
        col = columnOf(c.r);
        other = c.l;
        op = FLIP[c.op] as typeof op;
      }
      if (col && isConst(other)) {
        const { value } = constant(other, cctx);
        if (col.kind === 'time' && value !== null && op !== '!=') {
          const t = toTime(value, { ...cctx, scope: [], allowAgg: false }, c.pos);
          if (t !== null) {
            const lo = op === '>' ? t + 1n : op === '>=' || op === '=' ? t : undefined;
            const hi = op === '<' ? t : op === '<=' || op === '=' ? t + 1n : undefined;
            if (lo !== undefined && (out.start === undefined || lo > out.start)) out.start = lo;
            if (hi !== undefined && (out.end === undefined || hi < out.end)) out.end = hi;
            pushed = true;
          }
        } else if (col.kind === 'tag' && (op === '=' || op === '!=')) {
          const s = tagText(value);
          if (s !== null) {
            out.where.push({ key: col.name, op, value: s });
            pushed = op === '=' && s !== '';
          }
        }
      }
    } else if (c.k === 'in') {
      const col = columnOf(c.e);
      if (col && col.kind === 'tag' && c.list.every(isConst)) {
        const vals = c.list.map((x) => tagText(constant(x, cctx).value));
        if (vals.every((v) => v !== null)) {
          out.where.push({ key: col.name, op: c.not ? '!~' : '=~', value: `(?:${(vals as string[]).map(re2Escape).join('|')})` });
          pushed = !c.not;
        }
      }
    } else if (c.k === 'like') {
      const col = columnOf(c.e);
      if (col && col.kind === 'tag' && isConst(c.pattern)) {
        const p = constant(c.pattern, cctx).value;
        if (typeof p === 'string') {
          out.where.push({ key: col.name, op: c.not ? '!~' : '=~', value: likeToRe2(p) });
          pushed = !c.not;
        }
      }
    }
    // != and NOT IN also match rows without the tag in the index, but SQL's NULL != 'x'
    // is not true: those stay in `rest` and are checked on the rows too.
    if (!pushed) out.rest.push(c);
  }
  if (out.start !== undefined && out.end !== undefined && out.start >= out.end) out.none = true;
  return out;
}

/** The rows of a source matching the pushed-down predicates, in time order. */
function readRows(env: Env, source: Source, pd: PushDown): Row[] {
  if (pd.none) return [];
  const cols = env.engine.select({ db: source.db, measurement: source.measurement, where: pd.where, start: pd.start, end: pd.end });
  const index = new Map<string, number>();
  source.columns.forEach((c, i) => index.set(c.name, i));
  const timeIdx = index.get('time')!;
  const bySeries = new Map<string, SeriesColumn[]>();
  for (const c of cols) {
    if (c.error) throw sqlError(`series ${c.key} could not be read: ${c.error}`);
    const list = bySeries.get(c.key);
    if (list) list.push(c);
    else bySeries.set(c.key, [c]);
  }
  const rows: Row[] = [];
  for (const [, list] of [...bySeries].sort((a, b) => compareSeries(a[0], a[1][0].tags, b[0], b[1][0].tags))) {
    const tags = list[0].tags;
    const base = baseRow(source, index, tags);
    const byTime = new Map<bigint, Row>();
    for (const c of list) {
      const fi = index.get(c.field);
      if (fi === undefined || source.columns[fi].kind !== 'field') continue;
      const type = source.columns[fi].type;
      for (let j = 0; j < c.times.length; j++) {
        const t = c.times[j];
        let row = byTime.get(t);
        if (!row) {
          row = { v: base.slice(), t, tags };
          row.v[timeIdx] = t;
          byTime.set(t, row);
        }
        row.v[fi] = cellValue(c, j, type);
      }
    }
    for (const r of byTime.values()) rows.push(r);
  }
  // by time, then by series (the sort is stable)
  rows.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return rows;
}

/** A source's columns for one series: its tags (typed as declared), the rest null. */
function baseRow(source: Source, index: Map<string, number>, tags: Record<string, string>): SqlValue[] {
  const base: SqlValue[] = source.columns.map(() => null);
  for (const [k, v] of Object.entries(tags)) {
    const i = index.get(k);
    if (i !== undefined && source.columns[i].kind === 'tag') base[i] = tagValue(v, source.columns[i].type);
  }
  return base;
}

/** Series order: by key, but the rows of a tag-less table by their number (2 before 10). */
function compareSeries(ka: string, ta: Record<string, string>, kb: string, tb: Record<string, string>): number {
  const ra = ta[ROW_TAG];
  const rb = tb[ROW_TAG];
  if (ra !== undefined && rb !== undefined && /^[0-9]+$/.test(ra) && /^[0-9]+$/.test(rb) && ra !== rb) {
    return ra.length !== rb.length ? ra.length - rb.length : ra < rb ? -1 : 1;
  }
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// ---- SELECT -----------------------------------------------------------------------------

function outputName(e: Expr): string {
  if (e.k === 'col') return e.name;
  if (e.k === 'call') return e.name;
  return '?column?';
}

function outType(t: ExprType): SqlType {
  return t === 'interval' ? 'integer' : t === 'null' ? 'string' : t;
}

/** GROUP BY / ORDER BY terms naming a select-list alias or position become that expression. */
function substitute(env: Env, e: Expr, items: { expr: Expr; alias?: string }[], scope: ScopeColumn[], preferAlias: boolean): Expr {
  if (e.k === 'lit' && typeof e.v === 'bigint') {
    const n = Number(e.v);
    if (n < 1 || n > items.length) throw sqlError(`position ${n} is not in the select list (1 to ${items.length})`, env.src, e.pos);
    return items[n - 1].expr;
  }
  if (e.k === 'col' && e.table === undefined) {
    const item = items.find((it) => it.alias === e.name);
    if (item && (preferAlias || !scope.some((c) => c.name === e.name))) return item.expr;
  }
  return e;
}

async function select(env: Env, s: SelectStmt): Promise<SqlResult> {
  const sources: Source[] = [];
  if (s.from) sources.push(describe(env, s.from));
  if (s.join) {
    sources.push(describe(env, s.join.right));
    if (sources[0].alias === sources[1].alias) throw sqlError(`both tables of the join are called "${sources[0].alias}": give one an alias`, env.src, s.join.right.table.pos);
  }
  // aggregates over time buckets may be answered from a downsampling tier (tiers.ts)
  if (env.tiers !== undefined && sources.length === 1) {
    const source = sources[0];
    const index = new Map(source.columns.map((c, i) => [c.name, i]));
    const deps = { engine: env.engine, reads: env.tiers, src: env.src, params: env.params, now: env.now, compareSeries, baseRow: (tags: Record<string, string>) => baseRow(source, index, tags) };
    const t = selectFromTier(deps, s, source, pushDown(env, source, s.where, []));
    if (t !== null) return finishSelect(env, t.stmt, sources, t.scope, t.rows, t.residual);
  }
  const scope: ScopeColumn[] = sources.flatMap((x) => x.columns);

  // rows
  let rows: Row[];
  let residual: Expr[];
  if (sources.length === 0) {
    rows = [{ v: [], t: 0n, tags: {} }];
    residual = conjuncts(s.where);
  } else if (sources.length === 1) {
    const pd = pushDown(env, sources[0], s.where, []);
    rows = readRows(env, sources[0], pd);
    residual = pd.rest;
  } else {
    const [a, b] = sources;
    const pa = pushDown(env, a, s.where, [b]);
    const pb = pushDown(env, b, s.where, [a]);
    rows = hashJoin(env, readRows(env, a, pa), readRows(env, b, pb), a, b, s.join!.on, scope);
    residual = conjuncts(s.where); // the pushed predicates are cheap to check again
  }
  return finishSelect(env, s, sources, scope, rows, residual);
}

/** The rest of a SELECT once its rows are read: WHERE leftovers, grouping, order, limit. */
function finishSelect(env: Env, s: SelectStmt, sources: Source[], scope: ScopeColumn[], rows: Row[], residual: Expr[]): SqlResult {
  const base = { src: env.src, params: env.params, now: env.now, scope };
  const rowCtx: CompileContext = { ...base, allowAgg: false };
  if (residual.length > 0) {
    const preds = residual.map((c) => {
      const p = compile(c, rowCtx);
      if (p.type !== 'boolean' && p.type !== 'null') throw sqlError(`WHERE needs a condition, not a ${TYPE_NAMES[p.type]} value`, env.src, c.pos);
      return p;
    });
    rows = rows.filter((r) => preds.every((p) => p.fn(r, null) === true));
  }

  // select list
  const items: { expr: Expr; alias?: string }[] = [];
  for (const it of s.items) {
    if (it.k === 'expr') {
      items.push({ expr: it.expr, alias: it.alias });
      continue;
    }
    if (sources.length === 0) throw sqlError('SELECT * needs a FROM clause', env.src, it.pos);
    if (it.table !== undefined && !sources.some((x) => x.alias === it.table)) throw sqlError(`unknown table "${it.table}" in ${it.table}.*`, env.src, it.pos);
    for (const c of scope) {
      if (c.hidden || (it.table !== undefined && c.qual !== it.table)) continue;
      items.push({ expr: { k: 'col', table: c.qual, name: c.name, pos: it.pos }, alias: c.name });
    }
  }
  const grouped = s.groupBy.length > 0 || items.some((i) => containsAggregate(i.expr)) || (s.having !== undefined && containsAggregate(s.having));
  const outCtx: CompileContext = { ...base, allowAgg: grouped };
  const compiled = items.map((i) => compile(i.expr, outCtx));
  const columns: SqlColumn[] = items.map((i, j) => ({ name: i.alias ?? outputName(i.expr), type: outType(compiled[j].type) }));
  const order = s.orderBy.map((o) => ({ c: compile(substitute(env, o.expr, items, scope, true), outCtx), desc: o.desc }));

  type Out = { values: SqlValue[]; keys: SqlValue[]; group: SqlValue[] };
  const out: Out[] = [];
  if (grouped) {
    const keys = s.groupBy.map((g) => compile(substitute(env, g, items, scope, false), rowCtx));
    const groups = new Map<string, { key: SqlValue[]; rows: Row[] }>();
    for (const r of rows) {
      const key = keys.map((k) => k.fn(r, null));
      const id = groupKey(key);
      const g = groups.get(id);
      if (g) g.rows.push(r);
      else groups.set(id, { key, rows: [r] });
    }
    if (groups.size === 0 && keys.length === 0) groups.set('', { key: [], rows: [] });
    const having = s.having ? compile(s.having, outCtx) : undefined;
    const nullRow: Row = { v: scope.map(() => null), t: 0n, tags: {} };
    for (const g of groups.values()) {
      const first = g.rows[0] ?? nullRow;
      if (having && having.fn(first, g.rows) !== true) continue;
      out.push({ values: compiled.map((c) => c.fn(first, g.rows)), keys: order.map((o) => o.c.fn(first, g.rows)), group: g.key });
    }
    if (order.length === 0) out.sort((x, y) => compareRows(x.group, y.group));
  } else {
    if (s.having) throw sqlError('HAVING needs GROUP BY or an aggregate', env.src, s.having.pos);
    for (const r of rows) out.push({ values: compiled.map((c) => c.fn(r, null)), keys: order.map((o) => o.c.fn(r, null)), group: [] });
  }
  if (order.length > 0) {
    out.sort((x, y) => {
      for (let i = 0; i < order.length; i++) {
        const a = x.keys[i];
        const b = y.keys[i];
        if (a === b) continue;
        // NULLs sort last ascending, first descending (PostgreSQL)
        const c = a === null ? 1 : b === null ? -1 : compareValues(a, b);
        if (c !== 0) return order[i].desc ? -c : c;
      }
      return 0;
    });
  }
  let result = out.map((o) => o.values);
  const offset = s.offset ? count(env, s.offset, 'OFFSET') : 0;
  const limit = s.limit ? count(env, s.limit, 'LIMIT') : undefined;
  result = result.slice(offset, limit === undefined ? undefined : offset + limit);
  return { columns, rows: result };
}

function compareRows(a: SqlValue[], b: SqlValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

function count(env: Env, e: Expr, what: string): number {
  const { value } = constant(e, { src: env.src, params: env.params, now: env.now });
  if (typeof value !== 'bigint' || value < 0n) throw sqlError(`${what} needs a non-negative integer`, env.src, e.pos);
  return Number(value);
}

/** Inner join: a hash table of the right rows on the ON clause's equalities, probed by the left rows. */
function hashJoin(env: Env, left: Row[], right: Row[], a: Source, b: Source, on: Expr, scope: ScopeColumn[]): Row[] {
  const ctx: CompileContext = { src: env.src, params: env.params, now: env.now, scope, allowAgg: false };
  const nA = a.columns.length;
  const leftKeys: Compiled[] = [];
  const rightKeys: Compiled[] = [];
  const rest: Compiled[] = [];
  const sideOf = (e: Expr): 'l' | 'r' | null => {
    const cols: number[] = [];
    const walk = (x: Expr): void => {
      if (x.k === 'col') {
        cols.push(compileIndex(ctx, x));
      } else if (x.k === 'bin') {
        walk(x.l);
        walk(x.r);
      } else if (x.k === 'neg' || x.k === 'not') walk(x.e);
      else if (x.k === 'call') x.args.forEach(walk);
    };
    walk(e);
    if (cols.length === 0) return null;
    if (cols.every((i) => i < nA)) return 'l';
    if (cols.every((i) => i >= nA)) return 'r';
    return null;
  };
  const shift = (c: Compiled): Compiled => ({ type: c.type, fn: (row, g) => c.fn({ v: new Array(nA).concat(row.v), t: row.t, tags: row.tags }, g) });
  for (const c of conjuncts(on)) {
    if (c.k === 'bin' && c.op === '=') {
      const sl = sideOf(c.l);
      const sr = sideOf(c.r);
      if (sl && sr && sl !== sr) {
        const [le, re] = sl === 'l' ? [c.l, c.r] : [c.r, c.l];
        leftKeys.push(compile(le, ctx));
        rightKeys.push(shift(compile(re, ctx)));
        continue;
      }
    }
    const p = compile(c, ctx);
    if (p.type !== 'boolean' && p.type !== 'null') throw sqlError('ON needs a condition', env.src, c.pos);
    rest.push(p);
  }
  if (leftKeys.length === 0) throw sqlError(`JOIN ... ON needs an equality between columns of the two tables, as in ${a.alias}.host = ${b.alias}.host`, env.src, on.pos);
  const table = new Map<string, Row[]>();
  for (const r of right) {
    const key = rightKeys.map((k) => k.fn(r, null));
    if (key.some((v) => v === null)) continue;
    const id = key.map(keyOf).join('\u0000');
    const list = table.get(id);
    if (list) list.push(r);
    else table.set(id, [r]);
  }
  const out: Row[] = [];
  for (const l of left) {
    const key = leftKeys.map((k) => k.fn(l, null));
    if (key.some((v) => v === null)) continue;
    const matches = table.get(key.map(keyOf).join('\u0000'));
    if (!matches) continue;
    for (const r of matches) {
      const row: Row = { v: l.v.concat(r.v), t: l.t, tags: l.tags };
      if (rest.every((p) => p.fn(row, null) === true)) out.push(row);
    }
  }
  return out;
}

function compileIndex(ctx: CompileContext, e: Extract<Expr, { k: 'col' }>): number {
  const matches = ctx.scope.map((c, i) => (c.name === e.name && (e.table === undefined || c.qual === e.table) ? i : -1)).filter((i) => i >= 0);
  if (matches.length !== 1) compile(e, ctx); // throws the unknown / ambiguous column error
  return matches[0];
}

// ---- INSERT -----------------------------------------------------------------------------

function convert(env: Env, v: SqlValue, type: SqlType, column: string, pos: number): SqlValue {
  if (v === null) return null;
  const bad = (): never => {
    const shown = typeof v === 'string' ? `'${v}'` : String(v);
    throw sqlError(`column "${column}" is ${TYPE_NAMES[type]}: cannot store ${shown} (${typeof v === 'bigint' ? 'integer' : typeof v === 'number' ? 'float' : typeof v === 'string' ? 'text' : 'boolean'})`, env.src, pos);
  };
  switch (type) {
    case 'integer':
      if (typeof v === 'bigint') {
        if (v < -(2n ** 63n) || v >= 2n ** 63n) bad();
        return v;
      }
      return bad();
    case 'float':
      return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : bad();
    case 'string':
      return typeof v === 'string' ? v : bad();
    case 'boolean':
      return typeof v === 'boolean' ? v : bad();
    case 'timestamp':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'string') return toTime(v, { src: env.src, params: env.params, now: env.now, scope: [], allowAgg: false }, pos);
      return bad();
  }
}

/**
 * INSERT into a measurement that has no CREATE TABLE schema (written by line protocol): the
 * named columns are its tags (text), its fields (their stored types), `time`, or new
 * fields typed by the first row's value.
 */
function measurementSchema(env: Env, db: string, s: Extract<Statement, { k: 'insert' }>): TableSchema {
  const name = s.table.name;
  if (!env.engine.hasDatabase(db) || !env.engine.measurements(db).includes(name)) throw tableNotFound(db, name);
  if (!s.columns) throw sqlError(`"${name}" is a measurement without CREATE TABLE: name the columns, as in INSERT INTO ${name} (host, value, time) VALUES (...)`, env.src, s.table.pos);
  const tags = new Set(env.engine.tagKeys(db, name));
  const fields = env.engine.fieldTypes(db, name);
  const cctx = { src: env.src, params: env.params, now: env.now };
  const schema: TableSchema = {
    version: 1,
    columns: s.columns.map((c, i) => {
      if (c.name === 'time') return { name: c.name, type: 'timestamp', tag: false };
      if (tags.has(c.name)) return { name: c.name, type: 'string', tag: true };
      if (fields[c.name]) return { name: c.name, type: fieldType(fields[c.name]), tag: false };
      const first = s.rows[0]?.[i];
      const v = first ? constant(first, cctx).value : null;
      const type: SqlType = typeof v === 'bigint' ? 'integer' : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : 'float';
      return { name: c.name, type, tag: false };
    }),
  };
  return schema;
}

const TIME_COLUMN: TableSchema['columns'][number] = { name: 'time', type: 'timestamp', tag: false };

async function insert(env: Env, s: Extract<Statement, { k: 'insert' }>): Promise<SqlResult> {
  checkTableName(env, s.table);
  const db = dbOf(env, s.table);
  const declared = readSchema(env.engine, db, s.table.name);
  const schema = declared ?? measurementSchema(env, db, s);
  const targets = s.columns
    ? s.columns.map((c) => {
        const col = schema.columns.find((x) => x.name === c.name);
        // every table has `time`, declared or not (docs/sql.md: it need not be declared)
        if (!col && c.name === 'time') return TIME_COLUMN;
        if (!col) throw sqlError(`table "${s.table.name}" has no column "${c.name}" (columns: ${schema.columns.map((x) => x.name).join(', ')})`, env.src, c.pos);
        return col;
      })
    : schema.columns;
  const dup = targets.find((c, i) => targets.indexOf(c) !== i);
  if (dup) throw sqlError(`column "${dup.name}" is named twice`, env.src, s.pos);
  // a measurement without a schema is keyed by its tags like any line-protocol write
  const keyed = schema.columns.some((c) => c.tag) || !declared;
  let nextRow = 0n;
  if (!keyed && env.engine.hasDatabase(db)) {
    for (const v of env.engine.tagValues(db, s.table.name, ROW_TAG)) {
      if (/^[0-9]+$/.test(v) && BigInt(v) >= nextRow) nextRow = BigInt(v) + 1n;
    }
  }
  const cctx = { src: env.src, params: env.params, now: env.now };
  // The types the engine already stores for the measurement's fields. A value of another
  // type would be refused by the engine for its row only, after the other rows were stored;
  // checking here first keeps the INSERT all-or-nothing.
  const stored = env.engine.fieldTypes(db, s.table.name);
  const points: Point[] = [];
  s.rows.forEach((row, n) => {
    if (row.length !== targets.length) {
      throw sqlError(`row ${n + 1} has ${row.length} value${row.length === 1 ? '' : 's'} for ${targets.length} column${targets.length === 1 ? '' : 's'} (${targets.map((c) => c.name).join(', ')})`, env.src, row[0]?.pos ?? s.pos);
    }
    const tags: Record<string, string> = {};
    const fields: Point['fields'] = {};
    let time = env.now;
    row.forEach((e, i) => {
      const col = targets[i];
      const v = convert(env, constant(e, cctx).value, col.type, col.name, e.pos);
      if (v === null) return;
      if (!col.tag && col.name !== 'time' && stored[col.name] !== undefined && stored[col.name] !== col.type) {
        throw sqlError(
          `row ${n + 1}: column "${col.name}" is ${col.type} but measurement "${s.table.name}" already stores field "${col.name}" as ${stored[col.name]}; no row was stored`,
          env.src,
          e.pos,
        );
      }
      if (col.name === 'time') time = v as bigint;
      else if (col.tag) tags[col.name] = String(v);
      else if (col.type === 'integer') fields[col.name] = { type: 'integer', value: v as bigint };
      else if (col.type === 'float') fields[col.name] = { type: 'float', value: v as number };
      else if (col.type === 'boolean') fields[col.name] = { type: 'boolean', value: v as boolean };
      else fields[col.name] = { type: 'string', value: v as string };
    });
    if (Object.keys(fields).length === 0) throw sqlError(`row ${n + 1} has no value for any field column: a row needs at least one non-NULL field`, env.src, row[0]?.pos ?? s.pos);
    if (!keyed) tags[ROW_TAG] = String(nextRow++);
    points.push({ measurement: s.table.name, tags, fields, time });
  });
  const res = await env.engine.write(points, { db });
  if (res.errors.length > 0) {
    const e = res.errors[0];
    throw sqlError(`row ${e.line} was not stored: ${e.message}${res.points > 0 ? ` (${res.points} other rows were stored)` : ''}`);
  }
  return { columns: [{ name: 'count', type: 'integer' }], rows: [[BigInt(points.length)]] };
}

// ---- DELETE -----------------------------------------------------------------------------

async function deleteRows(env: Env, t: TableName, where: Expr | undefined): Promise<SqlResult> {
  const source = describe(env, { table: t, alias: t.name });
  const pd = pushDown(env, source, where, []);
  if (pd.rest.length === 0) {
    if (pd.none) return { columns: [{ name: 'count', type: 'integer' }], rows: [[0n]] };
    const res = await env.engine.delete({ db: source.db, measurement: source.measurement, where: pd.where, start: pd.start, end: pd.end });
    return { columns: [{ name: 'series', type: 'integer' }], rows: [[BigInt(res.series)]] };
  }
  // A predicate on fields: find the matching rows and delete each at its series and time.
  const ctx: CompileContext = { src: env.src, params: env.params, now: env.now, scope: source.columns, allowAgg: false };
  const preds = pd.rest.map((c) => compile(c, ctx));
  const rows = readRows(env, source, pd).filter((r) => preds.every((p) => p.fn(r, null) === true));
  for (const r of rows) {
    const matchers: TagMatcher[] = Object.entries(r.tags).map(([key, value]) => ({ key, op: '=', value }));
    await env.engine.delete({ db: source.db, measurement: source.measurement, where: matchers, start: r.t, end: r.t + 1n });
  }
  return { columns: [{ name: 'count', type: 'integer' }], rows: [[BigInt(rows.length)]] };
}

// ---- JSON -------------------------------------------------------------------------------

/**
 * `{"columns":[{"name","type"}],"rows":[[...]]}`: timestamps as RFC 3339 strings with up
 * to 9 fractional digits, integers as exact JSON numbers (also beyond 2^53), non-finite
 * floats as null.
 */
export function sqlResultToJson(r: SqlResult): string {
  const rows = r.rows.map((row) => `[${row.map((v, i) => jsonValue(v, r.columns[i].type)).join(',')}]`);
  return `{"columns":${JSON.stringify(r.columns)},"rows":[${rows.join(',')}]}`;
}

function jsonValue(v: SqlValue, type: SqlType): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return type === 'timestamp' ? JSON.stringify(formatTimeNs(v)) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? (type === 'integer' && Number.isInteger(v) ? v.toFixed(0) : JSON.stringify(v)) : 'null';
  return JSON.stringify(v);
}
