// Runs an InfluxQL query (the text of `/query`'s `q`) against the engine: parses it, then
// runs its statements in order, as InfluxDB 1.x's statement executor does.
//
// - A query that does not parse throws InfluxQLParseError (the HTTP layer answers 400
//   `{"error":"error parsing query: ..."}`); nothing runs.
// - Each statement gives one StatementResult with its `statement_id`. The first one that
//   fails gets its `error`, and then each later statement a `"not executed"` stamped with
//   the failing statement's id, as InfluxDB 1.6 sends them (see executeQuery).
// - SELECT goes to select.ts; everything else (SHOW, CREATE, DROP, DELETE, ...) is here,
//   with the result shapes and error texts of InfluxDB 1.6 (checked against a real one).
//
// Tag conditions of SHOW statements (WHERE host = 'a' OR region =~ /eu/) are evaluated
// against each series' tags from the index; comparisons on fields and on time match every
// series, as in InfluxDB's index. DELETE and DROP SERIES run through the engine's
// tombstones (a conjunction of tag equalities is one engine call; anything else is
// resolved to the exact series first).

import os from 'node:os';
import { validateTiers, type Database } from '../../engine/database.js';
import type { TierSpec } from '../../engine/meta.js';
import { StrataError } from '../../errors.js';
import { parseTime } from '../../server/time.js';
import type { TagMatcher } from '../../types.js';
import { compileRe2Unanchored } from '../re2.js';
import type {
  AlterRetentionPolicyStatement,
  DownsampleTier,
  BinaryOp,
  CreateDatabaseStatement,
  CreateRetentionPolicyStatement,
  DeleteSeriesStatement,
  DropSeriesStatement,
  Expr,
  ListLiteral,
  RegexLiteral,
  SelectStatement,
  Source,
  Statement,
  StringLiteral,
  TagKeyOp,
} from './ast.js';
import { parseQuery } from './parser.js';
import { formatStatement } from './print.js';
import type { Cell, QueryContext, ResultSeries, StatementResult } from './result.js';
import { executeSelect } from './select.js';

/**
 * How a result is cut into the chunks of a `chunked=true` response, as InfluxDB does:
 * `rows` splits each series into chunk_size rows (SELECT and the statements InfluxDB
 * rewrites into one), `series` sends one series per chunk (SHOW TAG KEYS / TAG VALUES),
 * `whole` sends the result in one chunk.
 */
export type ChunkMode = 'rows' | 'series' | 'whole';

/** A statement's result, with how to chunk it (not part of the JSON). */
export interface ExecutedResult extends StatementResult {
  chunking: ChunkMode;
  /** The statement's tz() zone (IANA name), when it has one: RFC3339 times of the result
   * are written with that zone's offset (not part of the JSON). */
  location?: string;
}

export interface ExecuteOptions {
  /** Reported by SHOW DIAGNOSTICS (the X-Influxdb-Version value). */
  version?: string;
  /** Reported by SHOW DIAGNOSTICS. */
  commit?: string;
  /** When the server started (Date.now() clock), for SHOW DIAGNOSTICS' uptime. */
  startedAt?: number;
  /** The request is a GET: writing statements run but get InfluxDB's deprecation warning. */
  readOnly?: boolean;
}

/** A statement that fails: its message becomes the result's `error`. */
class StatementError extends Error {}

const NOT_EXECUTED = 'not executed';
const HOUR = 3_600_000_000_000n;
const MIN_RP_DURATION = HOUR;
const DEFAULT_RP = 'autogen';

/**
 * Parses and runs `text`. Throws InfluxQLParseError when it does not parse (also for a
 * `$param` missing from ctx.params); statement failures are in the results.
 *
 * A failing statement stops the query as in InfluxDB 1.6: its result carries the error,
 * then comes one `"not executed"` result per later statement, all stamped with the
 * *failing* statement's id (1.6's ExecutionContext stamps every result with the statement
 * it is at, and it stays at the failed one). The HTTP layer sends them as they are when
 * chunked; otherwise it merges results of one statement_id, a later error replacing the
 * earlier, so the answer ends with `{"statement_id":i,"error":"not executed"}` (only a
 * failing last statement shows its own error) — see mergeResults().
 */
export async function executeQuery(ctx: QueryContext, text: string, opts: ExecuteOptions = {}): Promise<ExecutedResult[]> {
  const statements = parseQuery(text, { params: ctx.params ?? {} });
  const results: ExecutedResult[] = [];
  for (let i = 0; i < statements.length; i++) {
    const stmt = statements[i];
    const chunking = chunkModeOf(stmt);
    try {
      const out = await executeStatement(ctx, stmt, opts);
      const r: ExecutedResult = { statement_id: i, chunking };
      if (out.series.length > 0) r.series = out.series;
      const messages = [...(opts.readOnly && warnsReadOnly(stmt) ? [readOnlyWarning(stmt)] : []), ...(out.messages ?? [])];
      if (messages.length > 0) r.messages = messages;
      if (stmt.type === 'SelectStatement' && stmt.location) r.location = stmt.location;
      results.push(r);
    } catch (err) {
      results.push({ statement_id: i, error: errorText(err), chunking });
      for (let j = i + 1; j < statements.length; j++) results.push({ statement_id: i, error: NOT_EXECUTED, chunking: chunkModeOf(statements[j]) });
      break;
    }
  }
  return results;
}

/**
 * The results as InfluxDB 1.6's handler answers a request that is not chunked: results of
 * the same statement_id in a row are merged (series appended, continuing the last series
 * when it is the same one; messages appended), and an error replaces what came before it.
 */
export function mergeResults(results: ExecutedResult[]): ExecutedResult[] {
  const out: ExecutedResult[] = [];
  for (const r of results) {
    const last = out[out.length - 1];
    if (!last || last.statement_id !== r.statement_id) {
      out.push(r);
      continue;
    }
    if (r.error) {
      out[out.length - 1] = r;
      continue;
    }
    const merged: ExecutedResult = { ...last, series: [...(last.series ?? [])] };
    const series = r.series ?? [];
    let k = 0;
    const tail = merged.series![merged.series!.length - 1];
    if (tail) {
      let cont = { ...tail, values: [...tail.values] };
      for (; k < series.length && sameSeries(cont, series[k]); k++) cont = { ...cont, values: [...cont.values, ...series[k].values] };
      if (k > 0) merged.series![merged.series!.length - 1] = cont;
    }
    merged.series!.push(...series.slice(k));
    if (merged.series!.length === 0) delete merged.series;
    const messages = [...(last.messages ?? []), ...(r.messages ?? [])];
    if (messages.length > 0) merged.messages = messages;
    if (r.partial) merged.partial = true;
    else delete merged.partial;
    out[out.length - 1] = merged;
  }
  return out;
}

/** Go's models.Row.SameSeries: same name and tags. */
function sameSeries(a: ResultSeries, b: ResultSeries): boolean {
  if (a.name !== b.name) return false;
  const ka = Object.keys(a.tags ?? {});
  const kb = Object.keys(b.tags ?? {});
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b.tags ?? {}, k) && b.tags![k] === a.tags![k]);
}

/** Statements InfluxDB 1.6 runs from a GET but warns about (DELETE and SELECT ... INTO do
 * not warn). */
function warnsReadOnly(stmt: Statement): boolean {
  switch (stmt.type) {
    case 'AlterRetentionPolicyStatement':
    case 'CreateContinuousQueryStatement':
    case 'CreateDatabaseStatement':
    case 'CreateRetentionPolicyStatement':
    case 'CreateSubscriptionStatement':
    case 'CreateUserStatement':
    case 'DropContinuousQueryStatement':
    case 'DropDatabaseStatement':
    case 'DropMeasurementStatement':
    case 'DropSeriesStatement':
    case 'DropRetentionPolicyStatement':
    case 'DropShardStatement':
    case 'DropSubscriptionStatement':
    case 'DropUserStatement':
    case 'GrantStatement':
    case 'GrantAdminStatement':
    case 'RevokeStatement':
    case 'RevokeAdminStatement':
    case 'SetPasswordUserStatement':
    case 'KillQueryStatement':
      return true;
    default:
      return false;
  }
}

/** InfluxDB's query.ReadOnlyWarning. */
function readOnlyWarning(stmt: Statement): { level: string; text: string } {
  return { level: 'warning', text: `deprecated use of '${formatStatement(stmt)}' in a read only context, please use a POST request instead` };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function chunkModeOf(stmt: Statement): ChunkMode {
  switch (stmt.type) {
    case 'SelectStatement':
    case 'ShowSeriesStatement':
    case 'ShowFieldKeysStatement':
    case 'ShowSeriesCardinalityStatement':
    case 'ShowTagKeyCardinalityStatement':
    case 'ShowTagValuesCardinalityStatement':
    case 'ShowFieldKeyCardinalityStatement':
    case 'ShowMeasurementCardinalityStatement':
      return 'rows';
    case 'ShowTagKeysStatement':
    case 'ShowTagValuesStatement':
      return 'series';
    default:
      return 'whole';
  }
}

interface Output {
  series: ResultSeries[];
  messages?: { level: string; text: string }[];
}

const none = (): Output => ({ series: [] });

async function executeStatement(ctx: QueryContext, stmt: Statement, opts: ExecuteOptions): Promise<Output> {
  const engine = ctx.engine;
  switch (stmt.type) {
    case 'SelectStatement':
      return { series: await runSelect(ctx, stmt) };

    case 'ShowDatabasesStatement':
      return one({ name: 'databases', columns: ['name'], values: engine.databases().map((d) => [d]) });

    case 'ShowMeasurementsStatement': {
      const db = requireDb(stmt.database || ctx.database);
      if (!engine.hasDatabase(db)) return none();
      const scope = new Scope(engine, db);
      let names = engine.measurements(db);
      const src = stmt.source;
      if (src && src.type === 'Measurement') {
        names = src.regex ? names.filter((m) => scope.regex(src.regex!.val).test(m)) : names.filter((m) => m === src.name);
      }
      if (stmt.condition) names = names.filter((m) => scope.measurementMatches(m, stmt.condition!));
      names = page(names, stmt.limit, stmt.offset);
      return one({ name: 'measurements', columns: ['name'], values: names.map((m) => [m]) });
    }

    case 'ShowTagKeysStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      const series: ResultSeries[] = [];
      for (const m of scope.measurementsOf(stmt.sources)) {
        let keys = stmt.condition ? keysOfSeries(scope.matchingSeries(m, stmt.condition)) : engine.tagKeys(db, m);
        if (stmt.tagKeyOp && stmt.tagKeyExpr) keys = keys.filter(scope.keyFilter(stmt.tagKeyOp, stmt.tagKeyExpr));
        keys = page(keys, stmt.limit, stmt.offset);
        if (keys.length > 0) series.push({ name: m, columns: ['tagKey'], values: keys.map((k) => [k]) });
      }
      return { series };
    }

    case 'ShowTagValuesStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      const series: ResultSeries[] = [];
      for (const m of scope.measurementsOf(stmt.sources)) {
        const pairs = page(scope.tagValues(m, stmt.op, stmt.tagKeyExpr, stmt.condition), stmt.limit, stmt.offset);
        if (pairs.length > 0) series.push({ name: m, columns: ['key', 'value'], values: pairs });
      }
      return { series };
    }

    case 'ShowFieldKeysStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      const series: ResultSeries[] = [];
      for (const m of scope.measurementsOf(stmt.sources)) {
        const types = engine.fieldTypes(db, m);
        const rows = page(
          Object.keys(types)
            .sort()
            .map((f): Cell[] => [f, types[f]]),
          stmt.limit,
          stmt.offset,
        );
        if (rows.length > 0) series.push({ name: m, columns: ['fieldKey', 'fieldType'], values: rows });
      }
      return { series };
    }

    case 'ShowSeriesStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      let keys: string[] = [];
      for (const m of scope.measurementsOf(stmt.sources)) {
        keys.push(...scope.matchingSeries(m, stmt.condition).map((s) => s.key).sort(compareStrings));
      }
      keys = page(keys, stmt.limit, stmt.offset);
      return one({ columns: ['key'], values: keys.map((k) => [k]) });
    }

    case 'ShowMeasurementCardinalityStatement': {
      const db = requireDb(stmt.database || ctx.database);
      if (!stmt.exact) {
        const n = engine.hasDatabase(db) ? engine.measurements(db).length : 0;
        return one({ columns: ['cardinality estimation'], values: [[n]] });
      }
      existingDb(engine, db);
      const scope = new Scope(engine, db);
      let names = scope.measurementsOf(stmt.sources);
      if (stmt.condition) names = names.filter((m) => scope.matchingSeries(m, stmt.condition).length > 0);
      if (names.length === 0) return none();
      return one({ columns: ['count'], values: [[names.length]] });
    }

    case 'ShowSeriesCardinalityStatement': {
      const db = requireDb(stmt.database || ctx.database);
      if (!stmt.exact && !stmt.sources && !stmt.condition) {
        const n = engine.hasDatabase(db) ? (engine.seriesCounts()[db] ?? 0) : 0;
        return one({ columns: ['cardinality estimation'], values: [[n]] });
      }
      existingDb(engine, db);
      const scope = new Scope(engine, db);
      return counts(scope.measurementsOf(stmt.sources), (m) => scope.matchingSeries(m, stmt.condition).length);
    }

    case 'ShowTagKeyCardinalityStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      return counts(scope.measurementsOf(stmt.sources), (m) =>
        stmt.condition ? keysOfSeries(scope.matchingSeries(m, stmt.condition)).length : engine.tagKeys(db, m).length,
      );
    }

    case 'ShowTagValuesCardinalityStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      return counts(scope.measurementsOf(stmt.sources), (m) => scope.tagValues(m, stmt.op, stmt.tagKeyExpr, stmt.condition).length);
    }

    case 'ShowFieldKeyCardinalityStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const scope = new Scope(engine, db);
      return counts(scope.measurementsOf(stmt.sources), (m) => Object.keys(engine.fieldTypes(db, m)).length);
    }

    case 'ShowRetentionPoliciesStatement': {
      const db = existingDb(engine, stmt.database || ctx.database);
      const def = engine.defaultRetentionPolicy(db);
      const values: Cell[][] = Object.entries(engine.retentionPolicies(db)).map(([rp, d]) => [
        rp,
        goDuration(d),
        goDuration(engine.shardDurationOf(db, rp)),
        1,
        rp === def,
      ]);
      return { series: [{ name: '', columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values }] };
    }

    case 'ShowContinuousQueriesStatement': {
      // InfluxDB lists every database, with or without continuous queries.
      const cqs = ctx.continuousQueries;
      return {
        series: engine.databases().map((d) => ({
          name: d,
          columns: ['name', 'query'],
          values: cqs ? cqs.list(d).map((q): Cell[] => [q.name, q.query]) : [],
        })),
      };
    }

    case 'CreateContinuousQueryStatement':
      if (!ctx.continuousQueries) throw new StatementError(`${statementName(stmt)} is not supported by Strata`);
      ctx.continuousQueries.create(stmt, ctx.retentionPolicy);
      return none();

    case 'DropContinuousQueryStatement':
      if (!ctx.continuousQueries) throw new StatementError(`${statementName(stmt)} is not supported by Strata`);
      ctx.continuousQueries.drop(stmt.database, stmt.name);
      return none();

    case 'ShowUsersStatement':
      return { series: [{ name: '', columns: ['user', 'admin'], values: [] }] };

    case 'ShowGrantsForUserStatement':
      return { series: [{ name: '', columns: ['database', 'privilege'], values: [] }] };

    case 'ShowQueriesStatement':
      return { series: [{ name: '', columns: ['qid', 'query', 'database', 'duration', 'status'], values: [] }] };

    case 'ShowSubscriptionsStatement':
      return none();

    case 'ShowDiagnosticsStatement':
      return { series: filterModule(diagnostics(opts, ctx.now), stmt.module) };

    case 'ShowStatsStatement':
      return { series: filterModule(stats(engine), stmt.module) };

    case 'CreateDatabaseStatement':
      await createDatabase(engine, stmt);
      return none();

    case 'DropDatabaseStatement':
      await engine.dropDatabase(stmt.name);
      // A database's continuous queries go with it, as in InfluxDB's meta store.
      ctx.continuousQueries?.dropDatabase(stmt.name);
      return none();

    case 'CreateRetentionPolicyStatement':
      await createRetentionPolicy(engine, stmt);
      return none();

    case 'AlterRetentionPolicyStatement':
      await alterRetentionPolicy(engine, stmt);
      return none();

    case 'DropRetentionPolicyStatement':
      if (engine.hasDatabase(stmt.database)) await engine.dropRetentionPolicy(stmt.database, stmt.name);
      return none();

    case 'DeleteSeriesStatement':
      await deleteSeries(ctx, stmt);
      return none();

    case 'DropSeriesStatement':
      await dropSeries(ctx, stmt);
      return none();

    case 'DropMeasurementStatement': {
      const db = mutableDb(engine, ctx.database);
      if (engine.measurements(db).includes(stmt.name)) await engine.dropMeasurement(db, stmt.name);
      return none();
    }

    case 'CreateUserStatement':
    case 'DropUserStatement':
    case 'SetPasswordUserStatement':
    case 'GrantStatement':
    case 'GrantAdminStatement':
    case 'RevokeStatement':
    case 'RevokeAdminStatement':
      // Strata has no users: every request is allowed. Set-up scripts that create users
      // keep working; the message says what happened.
      return {
        series: [],
        messages: [{ level: 'warning', text: `authentication is not implemented: ${statementName(stmt)} was accepted and ignored` }],
      };

    case 'KillQueryStatement':
      throw new StatementError('KILL QUERY is not supported: Strata does not track running queries');

    case 'ShowShardsStatement':
    case 'ShowShardGroupsStatement':
    case 'DropShardStatement':
    case 'CreateSubscriptionStatement':
    case 'DropSubscriptionStatement':
    case 'ExplainStatement':
      throw new StatementError(`${statementName(stmt)} is not supported by Strata`);
  }
}

function statementName(stmt: Statement): string {
  const names: Partial<Record<Statement['type'], string>> = {
    CreateUserStatement: 'CREATE USER',
    DropUserStatement: 'DROP USER',
    SetPasswordUserStatement: 'SET PASSWORD',
    GrantStatement: 'GRANT',
    GrantAdminStatement: 'GRANT',
    RevokeStatement: 'REVOKE',
    RevokeAdminStatement: 'REVOKE',
    ShowShardsStatement: 'SHOW SHARDS',
    ShowShardGroupsStatement: 'SHOW SHARD GROUPS',
    DropShardStatement: 'DROP SHARD',
    CreateContinuousQueryStatement: 'CREATE CONTINUOUS QUERY',
    DropContinuousQueryStatement: 'DROP CONTINUOUS QUERY',
    CreateSubscriptionStatement: 'CREATE SUBSCRIPTION',
    DropSubscriptionStatement: 'DROP SUBSCRIPTION',
    ExplainStatement: 'EXPLAIN',
  };
  return names[stmt.type] ?? stmt.type;
}

// ---------------------------------------------------------------------------------------
// SELECT.

async function runSelect(ctx: QueryContext, stmt: SelectStatement): Promise<ResultSeries[]> {
  if (!ctx.database && needsDatabase(stmt)) throw new StatementError('database name required');
  return executeSelect(ctx, stmt);
}

/** True when some measurement of the statement (or of a subquery) names no database. */
function needsDatabase(stmt: SelectStatement): boolean {
  return stmt.sources.some((s) => (s.type === 'SubQuery' ? needsDatabase(s.statement) : s.database === ''));
}

// ---------------------------------------------------------------------------------------
// Helpers of the SHOW statements.

function one(s: Omit<ResultSeries, 'name'> & { name?: string }): Output {
  if (s.values.length === 0) return none();
  return { series: [{ name: s.name ?? '', ...s }] };
}

function counts(measurements: string[], count: (m: string) => number): Output {
  const series: ResultSeries[] = [];
  for (const m of measurements) {
    const n = count(m);
    if (n > 0) series.push({ name: m, columns: ['count'], values: [[n]] });
  }
  return { series };
}

function requireDb(db: string | undefined): string {
  if (!db) throw new StatementError('database name required');
  return db;
}

function existingDb(engine: Database, db: string | undefined): string {
  const name = requireDb(db);
  if (!engine.hasDatabase(name)) throw new StatementError(`database not found: ${name}`);
  return name;
}

/** DELETE, DROP SERIES and DROP MEASUREMENT name their database only through `db`. */
function mutableDb(engine: Database, db: string | undefined): string {
  if (!db || !engine.hasDatabase(db)) throw new StatementError(`database not found: ${db ?? ''}`);
  return db;
}

function page<T>(list: T[], limit: number, offset: number): T[] {
  const from = Math.min(offset > 0 ? offset : 0, list.length);
  return limit > 0 ? list.slice(from, from + limit) : list.slice(from);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keysOfSeries(series: { tags: Record<string, string> }[]): string[] {
  const keys = new Set<string>();
  for (const s of series) for (const k of Object.keys(s.tags)) keys.add(k);
  return [...keys].sort(compareStrings);
}

type SeriesInfo = { key: string; tags: Record<string, string> };

/** One statement's view of a database: measurement lists, series and compiled regexes. */
class Scope {
  private readonly regexes = new Map<string, RegExp>();
  private readonly fieldSets = new Map<string, Set<string>>();

  constructor(
    readonly engine: Database,
    readonly db: string,
  ) {}

  regex(pattern: string): RegExp {
    let re = this.regexes.get(pattern);
    if (!re) {
      try {
        re = compileRe2Unanchored(pattern);
      } catch (err) {
        throw new StatementError(errorText(err));
      }
      this.regexes.set(pattern, re);
    }
    return re;
  }

  fields(m: string): Set<string> {
    let f = this.fieldSets.get(m);
    if (!f) this.fieldSets.set(m, (f = new Set(Object.keys(this.engine.fieldTypes(this.db, m)))));
    return f;
  }

  /** The measurements a FROM clause names (all of them without one), sorted. */
  measurementsOf(sources: Source[] | null): string[] {
    const all = this.engine.measurements(this.db);
    if (!sources || sources.length === 0) return all;
    const out = new Set<string>();
    for (const s of sources) {
      if (s.type !== 'Measurement') throw new StatementError('subqueries are not allowed here');
      if (s.regex) {
        const re = this.regex(s.regex.val);
        for (const m of all) if (re.test(m)) out.add(m);
      } else if (all.includes(s.name)) {
        out.add(s.name);
      }
    }
    return [...out].sort(compareStrings);
  }

  matchingSeries(m: string, cond: Expr | null): SeriesInfo[] {
    const all = this.engine.series(this.db, m);
    if (!cond) return all;
    return all.filter((s) => this.test(cond, m, s.tags));
  }

  /** A tag condition on one series; comparisons on fields and time are true. */
  test(e: Expr, m: string, tags: Record<string, string>): boolean {
    switch (e.type) {
      case 'ParenExpr':
        return this.test(e.expr, m, tags);
      case 'BooleanLiteral':
        return e.val;
      case 'BinaryExpr': {
        if (e.op === 'AND') return this.test(e.lhs, m, tags) && this.test(e.rhs, m, tags);
        if (e.op === 'OR') return this.test(e.lhs, m, tags) || this.test(e.rhs, m, tags);
        let lhs = unparen(e.lhs);
        let rhs = unparen(e.rhs);
        let op: BinaryOp = e.op;
        if (lhs.type !== 'VarRef' && rhs.type === 'VarRef') {
          [lhs, rhs] = [rhs, lhs];
          op = MIRROR[op] ?? op;
        }
        if (lhs.type !== 'VarRef') return true;
        const key = lhs.val;
        if (key === 'time') return true;
        let value: string;
        if (key === '_name') value = m;
        else if (!Object.hasOwn(tags, key) && this.fields(m).has(key)) return true;
        else value = tags[key] ?? '';
        if (op === '=~' || op === '!~') {
          if (rhs.type !== 'RegexLiteral') return op === '!~';
          const hit = this.regex(rhs.val).test(value);
          return op === '=~' ? hit : !hit;
        }
        const other = literalText(rhs, tags, m);
        if (other === null) return true;
        switch (op) {
          case '=':
            return value === other;
          case '!=':
            return value !== other;
          case '<':
            return value < other;
          case '<=':
            return value <= other;
          case '>':
            return value > other;
          case '>=':
            return value >= other;
          default:
            return true;
        }
      }
      default:
        return true;
    }
  }

  /**
   * SHOW MEASUREMENTS' WHERE, evaluated per measurement as InfluxDB's index does: `k = v`
   * and `k =~ /re/` hold when some value of tag k matches, `k != v` and `k !~ /re/` when
   * none does, and a measurement without tag k never matches either; `_name` is the
   * measurement's name. Other comparisons (time, numbers) hold.
   */
  measurementMatches(m: string, e: Expr): boolean {
    switch (e.type) {
      case 'ParenExpr':
        return this.measurementMatches(m, e.expr);
      case 'BooleanLiteral':
        return e.val;
      case 'BinaryExpr': {
        if (e.op === 'AND') return this.measurementMatches(m, e.lhs) && this.measurementMatches(m, e.rhs);
        if (e.op === 'OR') return this.measurementMatches(m, e.lhs) || this.measurementMatches(m, e.rhs);
        if (e.op !== '=' && e.op !== '!=' && e.op !== '=~' && e.op !== '!~') return true;
        const lhs = unparen(e.lhs);
        const rhs = unparen(e.rhs);
        if (lhs.type !== 'VarRef' || (rhs.type !== 'StringLiteral' && rhs.type !== 'RegexLiteral')) return true;
        const positive = e.op === '=' || e.op === '=~';
        const test = rhs.type === 'RegexLiteral' ? ((re: RegExp) => (v: string) => re.test(v))(this.regex(rhs.val)) : (v: string) => v === rhs.val;
        if (lhs.val === '_name') return test(m) === positive;
        if (!this.engine.tagKeys(this.db, m).includes(lhs.val)) return false;
        return this.engine.tagValues(this.db, m, lhs.val).some(test) === positive;
      }
      default:
        return true;
    }
  }

  /** Predicate on tag keys of `WITH KEY op expr`. */
  keyFilter(op: TagKeyOp, expr: StringLiteral | ListLiteral | RegexLiteral): (k: string) => boolean {
    switch (op) {
      case '=':
        return (k) => expr.type === 'StringLiteral' && k === expr.val;
      case '!=':
        return (k) => expr.type !== 'StringLiteral' || k !== expr.val;
      case 'IN': {
        const set = new Set(expr.type === 'ListLiteral' ? expr.vals : []);
        return (k) => set.has(k);
      }
      case '=~': {
        if (expr.type !== 'RegexLiteral') return () => false;
        const re = this.regex(expr.val);
        return (k) => re.test(k);
      }
      case '!~': {
        if (expr.type !== 'RegexLiteral') return () => true;
        const re = this.regex(expr.val);
        return (k) => !re.test(k);
      }
    }
  }

  /** [key, value] rows of SHOW TAG VALUES for one measurement, sorted. */
  tagValues(m: string, op: TagKeyOp, expr: StringLiteral | ListLiteral | RegexLiteral, cond: Expr | null): Cell[][] {
    const keys = this.engine.tagKeys(this.db, m).filter(this.keyFilter(op, expr));
    if (keys.length === 0) return [];
    const rows: Cell[][] = [];
    if (!cond) {
      for (const k of keys) for (const v of this.engine.tagValues(this.db, m, k)) if (v !== '') rows.push([k, v]);
      return rows;
    }
    const byKey = new Map<string, Set<string>>(keys.map((k) => [k, new Set<string>()]));
    for (const s of this.matchingSeries(m, cond)) {
      for (const [k, set] of byKey) {
        const v = s.tags[k];
        if (v !== undefined && v !== '') set.add(v);
      }
    }
    for (const k of keys) for (const v of [...byKey.get(k)!].sort(compareStrings)) rows.push([k, v]);
    return rows;
  }
}

const MIRROR: Partial<Record<BinaryOp, BinaryOp>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function unparen(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

function literalText(e: Expr, tags: Record<string, string>, m: string): string | null {
  switch (e.type) {
    case 'StringLiteral':
      return e.val;
    case 'VarRef':
      return e.val === '_name' ? m : (tags[e.val] ?? '');
    default:
      // A number or boolean never equals a tag in InfluxDB's index: it matches every series.
      return null;
  }
}

// ---------------------------------------------------------------------------------------
// DELETE and DROP SERIES.

interface SplitCondition {
  start?: bigint;
  end?: bigint;
  /** The condition without its time bounds (null: none). */
  tags: Expr | null;
  hasTime: boolean;
}

function conjuncts(e: Expr | null, out: Expr[] = []): Expr[] {
  if (!e) return out;
  const u = unparen(e);
  if (u.type === 'BinaryExpr' && u.op === 'AND') {
    conjuncts(u.lhs, out);
    conjuncts(u.rhs, out);
  } else {
    out.push(u);
  }
  return out;
}

function mentions(e: Expr, name: string): boolean {
  switch (e.type) {
    case 'VarRef':
      return e.val === name;
    case 'BinaryExpr':
      return mentions(e.lhs, name) || mentions(e.rhs, name);
    case 'ParenExpr':
      return mentions(e.expr, name);
    case 'Call':
      return e.args.some((a) => mentions(a, name));
    default:
      return false;
  }
}

function splitTime(cond: Expr | null, now: bigint): SplitCondition {
  const out: SplitCondition = { tags: null, hasTime: false };
  const rest: Expr[] = [];
  for (const c of conjuncts(cond)) {
    if (!mentions(c, 'time')) {
      rest.push(c);
      continue;
    }
    out.hasTime = true;
    if (c.type !== 'BinaryExpr') throw new StatementError('invalid time condition');
    let lhs = unparen(c.lhs);
    let rhs = unparen(c.rhs);
    let op = c.op;
    if (!(lhs.type === 'VarRef' && lhs.val === 'time')) {
      [lhs, rhs] = [rhs, lhs];
      op = MIRROR[op] ?? op;
    }
    if (!(lhs.type === 'VarRef' && lhs.val === 'time') || mentions(rhs, 'time')) {
      throw new StatementError('invalid time condition: use time with =, <, <=, > or >= and combine with AND');
    }
    const t = timeValue(rhs, now);
    const lower = (v: bigint) => {
      if (out.start === undefined || v > out.start) out.start = v;
    };
    const upper = (v: bigint) => {
      if (out.end === undefined || v < out.end) out.end = v;
    };
    switch (op) {
      case '>':
        lower(t + 1n);
        break;
      case '>=':
        lower(t);
        break;
      case '<':
        upper(t);
        break;
      case '<=':
        upper(t + 1n);
        break;
      case '=':
        lower(t);
        upper(t + 1n);
        break;
      default:
        throw new StatementError(`invalid time comparison operator: ${op}`);
    }
  }
  out.tags = rest.reduce<Expr | null>((acc, e) => (acc ? { type: 'BinaryExpr', op: 'AND', lhs: acc, rhs: e } : e), null);
  return out;
}

/** A time in a condition: an RFC 3339 string, ns, a duration, now() and +/- of them. */
function timeValue(e: Expr, now: bigint): bigint {
  switch (e.type) {
    case 'ParenExpr':
      return timeValue(e.expr, now);
    case 'StringLiteral': {
      const t = parseTimeString(e.val);
      if (t === null) throw new StatementError(`invalid time: '${e.val}'`);
      return t;
    }
    case 'IntegerLiteral':
    case 'DurationLiteral':
    case 'TimeLiteral':
      return e.val;
    case 'NumberLiteral':
      return BigInt(Math.trunc(e.val));
    case 'Call':
      if (e.name === 'now' && e.args.length === 0) return now;
      break;
    case 'BinaryExpr':
      if (e.op === '+') return timeValue(e.lhs, now) + timeValue(e.rhs, now);
      if (e.op === '-') return timeValue(e.lhs, now) - timeValue(e.rhs, now);
      break;
  }
  throw new StatementError('invalid time expression in WHERE clause');
}

/** InfluxQL time strings: RFC 3339, or a date / date-time without a zone (UTC). */
function parseTimeString(s: string): bigint | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return parseTime(`${s}T00:00:00Z`);
  const t = parseTime(s);
  if (t !== null) return t;
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/.test(s)) return parseTime(`${s}Z`);
  return null;
}

/** The condition as engine matchers when it is a conjunction of tag (in)equalities. */
function asMatchers(cond: Expr | null, fields: Set<string>): TagMatcher[] | null {
  const out: TagMatcher[] = [];
  for (const c of conjuncts(cond)) {
    if (c.type !== 'BinaryExpr' || (c.op !== '=' && c.op !== '!=')) return null;
    const lhs = unparen(c.lhs);
    const rhs = unparen(c.rhs);
    if (lhs.type !== 'VarRef' || rhs.type !== 'StringLiteral') return null;
    if (lhs.val === '_name' || fields.has(lhs.val)) return null;
    out.push({ key: lhs.val, op: c.op, value: rhs.val });
  }
  return out;
}

function checkNoFields(scope: Scope, measurements: string[], cond: Expr | null): void {
  if (!cond) return;
  const refs: string[] = [];
  const walk = (e: Expr): void => {
    if (e.type === 'VarRef') refs.push(e.val);
    else if (e.type === 'BinaryExpr') {
      walk(e.lhs);
      walk(e.rhs);
    } else if (e.type === 'ParenExpr') walk(e.expr);
  };
  walk(cond);
  for (const m of measurements) {
    const tags = new Set(scope.engine.tagKeys(scope.db, m));
    const fields = scope.fields(m);
    if (refs.some((r) => r !== 'time' && !tags.has(r) && fields.has(r))) {
      throw new StatementError('fields not supported in WHERE clause during deletion');
    }
  }
}

/** The exact-match matchers of one series (every tag key of its measurement). */
function seriesMatchers(keys: string[], tags: Record<string, string>): TagMatcher[] {
  return keys.map((k) => ({ key: k, op: '=' as const, value: tags[k] ?? '' }));
}

async function deleteSeries(ctx: QueryContext, stmt: DeleteSeriesStatement): Promise<void> {
  const engine = ctx.engine;
  const db = mutableDb(engine, ctx.database);
  const scope = new Scope(engine, db);
  const measurements = scope.measurementsOf(stmt.sources);
  const split = splitTime(stmt.condition, ctx.now);
  checkNoFields(scope, measurements, split.tags);
  if (split.start !== undefined && split.end !== undefined && split.start >= split.end) return;
  for (const m of measurements) {
    const range = { start: split.start, end: split.end };
    const matchers = asMatchers(split.tags, scope.fields(m));
    if (matchers) {
      await engine.delete({ db, measurement: m, where: matchers, ...range });
      continue;
    }
    const keys = engine.tagKeys(db, m);
    for (const s of scope.matchingSeries(m, split.tags)) {
      await engine.delete({ db, measurement: m, where: seriesMatchers(keys, s.tags), ...range });
    }
  }
}

async function dropSeries(ctx: QueryContext, stmt: DropSeriesStatement): Promise<void> {
  const engine = ctx.engine;
  const db = mutableDb(engine, ctx.database);
  const scope = new Scope(engine, db);
  if (stmt.condition && mentions(stmt.condition, 'time')) throw new StatementError("DROP SERIES doesn't support time in WHERE clause");
  const measurements = scope.measurementsOf(stmt.sources);
  checkNoFields(scope, measurements, stmt.condition);
  for (const m of measurements) {
    const matchers = asMatchers(stmt.condition, scope.fields(m));
    if (matchers) {
      await engine.dropSeries({ db, measurement: m, where: matchers });
      continue;
    }
    const keys = engine.tagKeys(db, m);
    for (const s of scope.matchingSeries(m, stmt.condition)) {
      await engine.dropSeries({ db, measurement: m, where: seriesMatchers(keys, s.tags) });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Databases and retention policies.

/** InfluxDB's normalisedShardDuration: 0 follows the duration; under an hour is an hour. */
function normalisedShardDuration(sgd: bigint, d: bigint): bigint {
  if (sgd === 0n) return shardGroupDuration(d);
  if (sgd < MIN_RP_DURATION) return shardGroupDuration(MIN_RP_DURATION);
  return sgd;
}

/** InfluxDB's shardGroupDuration: the default shard span for a policy duration. */
function shardGroupDuration(d: bigint): bigint {
  if (d >= 180n * 24n * HOUR || d === 0n) return 7n * 24n * HOUR;
  if (d >= 2n * 24n * HOUR) return 24n * HOUR;
  return HOUR;
}

function checkPolicy(duration: bigint, shard: bigint): void {
  if (duration !== 0n && duration < MIN_RP_DURATION) {
    throw new StatementError(`retention policy duration must be at least ${goDuration(MIN_RP_DURATION)}`);
  }
  if (duration !== 0n && duration < shard) throw new StatementError('retention policy duration must be greater than the shard duration');
}

/** Runs an engine call, reporting a refused name as InfluxDB does ("invalid name"). */
async function wrapEngine<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StrataError && err.code === 'STRATA_ERR_INVALID_NAME') throw new StatementError('invalid name');
    throw err;
  }
}

async function createDatabase(engine: Database, stmt: CreateDatabaseStatement): Promise<void> {
  const rpName = stmt.retentionPolicyName || DEFAULT_RP;
  const duration = stmt.retentionPolicyDuration;
  const sgd = stmt.retentionPolicyShardGroupDuration;
  if (stmt.retentionPolicyCreate) {
    const d = duration ?? 0n;
    checkPolicy(d, normalisedShardDuration(sgd, d));
  }
  if (engine.hasDatabase(stmt.name)) {
    if (!stmt.retentionPolicyCreate) return;
    // As InfluxDB: fine when the named policy exists and matches what is given.
    const rps = engine.retentionPolicies(stmt.name);
    const existing = Object.hasOwn(rps, rpName) ? rps[rpName] : undefined;
    const conflicts =
      existing === undefined ||
      (duration !== null && duration !== existing) ||
      (sgd > 0n && normalisedShardDuration(sgd, duration ?? existing) !== engine.shardDurationOf(stmt.name, rpName));
    if (conflicts) throw new StatementError('retention policy conflicts with an existing policy');
    return;
  }
  await wrapEngine(() => engine.createDatabase(stmt.name));
  if (!stmt.retentionPolicyCreate) return;
  const d = duration ?? 0n;
  await wrapEngine(() => engine.setRetention(stmt.name, rpName, d, sgd > 0n ? { shardDuration: normalisedShardDuration(sgd, d) } : {}));
  if (rpName !== DEFAULT_RP) {
    engine.setDefaultRetentionPolicy(stmt.name, rpName);
    await engine.dropRetentionPolicy(stmt.name, DEFAULT_RP);
  }
}

async function createRetentionPolicy(engine: Database, stmt: CreateRetentionPolicyStatement): Promise<void> {
  if (!engine.hasDatabase(stmt.database)) throw new StatementError(`database not found: ${stmt.database}`);
  checkTiers(stmt.tiers);
  const shard = normalisedShardDuration(stmt.shardGroupDuration, stmt.duration);
  checkPolicy(stmt.duration, shard);
  const rps = engine.retentionPolicies(stmt.database);
  if (Object.hasOwn(rps, stmt.name)) {
    if (rps[stmt.name] !== stmt.duration || engine.shardDurationOf(stmt.database, stmt.name) !== shard) {
      throw new StatementError('retention policy already exists');
    }
  } else {
    await wrapEngine(() =>
      engine.setRetention(stmt.database, stmt.name, stmt.duration, stmt.shardGroupDuration > 0n ? { shardDuration: shard } : {}),
    );
  }
  await setTiers(engine, stmt.database, stmt.name, stmt.tiers);
  if (stmt.default) engine.setDefaultRetentionPolicy(stmt.database, stmt.name);
}

function tierSpecs(tiers: DownsampleTier[]): TierSpec[] {
  return tiers.map((t) => ({ resolution: t.resolution, duration: t.duration, ...(t.grace === null ? {} : { grace: t.grace }) }));
}

/** Checks a DOWNSAMPLE clause before the statement changes anything. */
function checkTiers(tiers: DownsampleTier[] | null): void {
  if (tiers === null) return;
  try {
    validateTiers(tierSpecs(tiers));
  } catch (err) {
    if (err instanceof StrataError) throw new StatementError(err.message);
    throw err;
  }
}

/** Strata's DOWNSAMPLE clause: replaces the policy's tiers (null: not given). */
async function setTiers(engine: Database, db: string, rp: string, tiers: DownsampleTier[] | null): Promise<void> {
  if (tiers === null) return;
  try {
    await engine.setTiers(db, rp, tierSpecs(tiers));
  } catch (err) {
    if (err instanceof StrataError && err.status === 400) throw new StatementError(err.message);
    throw err;
  }
}

async function alterRetentionPolicy(engine: Database, stmt: AlterRetentionPolicyStatement): Promise<void> {
  if (!engine.hasDatabase(stmt.database)) throw new StatementError(`database not found: ${stmt.database}`);
  const rps = engine.retentionPolicies(stmt.database);
  if (!Object.hasOwn(rps, stmt.name)) throw new StatementError(`retention policy not found: ${stmt.name}`);
  checkTiers(stmt.tiers);
  const duration = stmt.duration ?? rps[stmt.name];
  // The shard span changes only when asked (a new duration keeps the span in force).
  const shard =
    stmt.shardGroupDuration !== null ? normalisedShardDuration(stmt.shardGroupDuration, duration) : engine.shardDurationOf(stmt.database, stmt.name);
  checkPolicy(duration, shard);
  if (stmt.duration !== null || stmt.shardGroupDuration !== null) {
    engine.setRetention(stmt.database, stmt.name, duration, { shardDuration: shard });
  }
  await setTiers(engine, stmt.database, stmt.name, stmt.tiers);
  if (stmt.default) engine.setDefaultRetentionPolicy(stmt.database, stmt.name);
}

// ---------------------------------------------------------------------------------------
// SHOW DIAGNOSTICS and SHOW STATS.

function filterModule(series: ResultSeries[], module: string): ResultSeries[] {
  return module ? series.filter((s) => s.name === module) : series;
}

function diagnostics(opts: ExecuteOptions, now: bigint): ResultSeries[] {
  const nowMs = Number(now / 1_000_000n);
  const started = opts.startedAt ?? Date.now() - Math.round(process.uptime() * 1000);
  const uptimeNs = BigInt(Math.max(0, nowMs - started)) * 1_000_000n;
  const iso = (ms: number) => new Date(ms).toISOString();
  return [
    { name: 'build', columns: ['Branch', 'Build Time', 'Commit', 'Version'], values: [['', '', opts.commit ?? 'unknown', opts.version ?? '']] },
    { name: 'network', columns: ['hostname'], values: [[os.hostname()]] },
    { name: 'runtime', columns: ['GOARCH', 'GOMAXPROCS', 'GOOS', 'version'], values: [[process.arch, os.availableParallelism(), process.platform, process.version]] },
    { name: 'system', columns: ['PID', 'currentTime', 'started', 'uptime'], values: [[process.pid, iso(nowMs), iso(started), goDuration(uptimeNs)]] },
  ];
}

function stats(engine: Database): ResultSeries[] {
  const mem = process.memoryUsage();
  const out: ResultSeries[] = [
    {
      name: 'runtime',
      columns: ['Alloc', 'HeapAlloc', 'HeapSys', 'Sys', 'External'],
      values: [[mem.heapUsed, mem.heapUsed, mem.heapTotal, mem.rss, mem.external]],
    },
  ];
  const counts = engine.seriesCounts();
  for (const db of engine.databases()) {
    out.push({
      name: 'database',
      tags: { database: db },
      columns: ['numMeasurements', 'numSeries'],
      values: [[engine.measurements(db).length, counts[db] ?? 0]],
    });
  }
  const s = engine.stats();
  const keys = Object.keys(s).sort(compareStrings) as (keyof typeof s)[];
  out.push({ name: 'engine', columns: keys, values: [keys.map((k) => s[k])] });
  return out;
}

// ---------------------------------------------------------------------------------------
// Go's time.Duration.String().

/** `168h0m0s`, `1h30m0s`, `1.5s`, `250ms`, `0s`, as Go formats a time.Duration. */
export function goDuration(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${decimal(u, 1000n, 3)}µs`;
    else out = `${decimal(u, 1_000_000n, 6)}ms`;
  } else {
    const h = u / HOUR;
    u %= HOUR;
    const m = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    const s = `${decimal(u, 1_000_000_000n, 9)}s`;
    out = h > 0n ? `${h}h${m}m${s}` : m > 0n ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

function decimal(v: bigint, div: bigint, digits: number): string {
  const whole = v / div;
  const frac = v % div;
  if (frac === 0n) return whole.toString();
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
