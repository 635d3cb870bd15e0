// The compile step of an InfluxQL SELECT (Go's query/compile.go): field validation with
// InfluxDB's error texts, dimensions, the time range, and wildcard expansion and column
// naming (influxql's RewriteFields / ColumnNames).

import type { Call, Expr, Field, SelectStatement, VarRef } from './ast.js';
import { conditionExpr, MAX_TIME, MIN_TIME, QueryRegexes, type ZoneFn } from './condition.js';
import { formatExpr } from './print.js';

export class PlanError extends Error {}

export const MATH_FUNCTIONS = new Set([
  'abs', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'exp', 'log', 'ln', 'log2', 'log10', 'sqrt', 'pow', 'floor', 'ceil', 'round',
]);

export const TRANSFORMS = new Set([
  'derivative', 'non_negative_derivative', 'difference', 'non_negative_difference', 'moving_average', 'cumulative_sum', 'elapsed',
]);

export interface Plan {
  fields: Field[];
  timeAlias: string;
  interval: bigint;
  offset: bigint;
  tagDims: string[];
  dimWildcard: boolean;
  dimRegexes: RegExp[];
  cond: Expr | null;
  /** Inclusive bounds as resolved (MIN_TIME / MAX_TIME when open; now when GROUP BY time). */
  tmin: bigint;
  tmax: bigint;
  aggregate: boolean;
  ascending: boolean;
  /** Number of non-math calls (Go's FunctionCalls). */
  callCount: number;
  onlySelectors: boolean;
  topBottom: string;
  hasAux: boolean;
}

interface CompileState {
  calls: number;
  onlySelectors: boolean;
  hasDistinct: boolean;
  topBottom: string;
  hasAux: boolean;
  interval: bigint;
  inheritedInterval: boolean;
  limit: number;
  hasTarget: boolean;
  extraFields: Field[];
}

const isLiteral = (e: Expr): boolean =>
  e.type === 'NumberLiteral' ||
  e.type === 'IntegerLiteral' ||
  e.type === 'UnsignedLiteral' ||
  e.type === 'StringLiteral' ||
  e.type === 'BooleanLiteral' ||
  e.type === 'DurationLiteral' ||
  e.type === 'TimeLiteral' ||
  e.type === 'RegexLiteral' ||
  e.type === 'NilLiteral' ||
  e.type === 'ListLiteral' ||
  e.type === 'BoundParameter';

function goType(e: Expr): string {
  return `*influxql.${e.type}`;
}

class FieldCompiler {
  allowWildcard = true;
  constructor(private readonly g: CompileState) {}

  compile(e: Expr): void {
    const g = this.g;
    switch (e.type) {
      case 'VarRef':
        g.hasAux = true;
        return;
      case 'Wildcard':
        g.hasAux = true;
        if (!this.allowWildcard) throw new PlanError('unable to use wildcard in a binary expression');
        return;
      case 'RegexLiteral':
        if (!this.allowWildcard) throw new PlanError('unable to use regex in a binary expression');
        g.hasAux = true;
        return;
      case 'Distinct':
        g.calls++;
        this.distinct([{ type: 'VarRef', val: e.val, dataType: 'unknown' }], false);
        return;
      case 'Call':
        if (MATH_FUNCTIONS.has(e.name)) return this.math(e);
        g.calls++;
        return this.call(e);
      case 'BinaryExpr': {
        this.allowWildcard = false;
        const l = isLiteral(e.lhs);
        const r = isLiteral(e.rhs);
        if (l && r) throw new PlanError('cannot perform a binary expression on two literals');
        if (l) return this.compile(e.rhs);
        if (r) return this.compile(e.lhs);
        this.compile(e.lhs);
        this.compile(e.rhs);
        return;
      }
      case 'ParenExpr':
        return this.compile(e.expr);
      default:
        throw new PlanError('field must contain at least one variable');
    }
  }

  private math(e: Call): void {
    const n = e.name === 'atan2' || e.name === 'pow' || e.name === 'log' ? 2 : 1;
    if (e.args.length !== n) throw new PlanError(`invalid number of arguments for ${e.name}, expected ${n}, got ${e.args.length}`);
    for (const a of e.args) if (!isLiteral(a)) this.compile(a);
  }

  private symbol(name: string, arg: Expr): void {
    switch (arg.type) {
      case 'VarRef':
        return;
      case 'Wildcard':
        if (!this.allowWildcard) throw new PlanError(`unsupported expression with wildcard: ${name}()`);
        this.g.onlySelectors = false;
        return;
      case 'RegexLiteral':
        if (!this.allowWildcard) throw new PlanError(`unsupported expression with regex field: ${name}()`);
        this.g.onlySelectors = false;
        return;
      default:
        throw new PlanError(`expected field argument in ${name}()`);
    }
  }

  private nested(e: Expr): void {
    if (e.type === 'Call' && e.name === 'distinct') return this.distinct(e.args, true);
    if (e.type === 'Distinct') return this.distinct([{ type: 'VarRef', val: e.val, dataType: 'unknown' }], true);
    this.compile(e);
  }

  private distinct(args: Expr[], nested: boolean): void {
    if (args.length === 0) throw new PlanError('distinct function requires at least one argument');
    if (args.length !== 1) throw new PlanError('distinct function can only have one argument');
    if (args[0].type !== 'VarRef') throw new PlanError('expected field argument in distinct()');
    if (!nested) this.g.hasDistinct = true;
    this.g.onlySelectors = false;
  }

  private call(e: Call): void {
    const g = this.g;
    const args = e.args;
    switch (e.name) {
      case 'percentile':
        if (args.length !== 2) throw new PlanError(`invalid number of arguments for percentile, expected 2, got ${args.length}`);
        if (args[1].type !== 'IntegerLiteral' && args[1].type !== 'NumberLiteral') throw new PlanError('expected float argument in percentile()');
        return this.symbol('percentile', args[0]);
      case 'sample':
        if (args.length !== 2) throw new PlanError(`invalid number of arguments for sample, expected 2, got ${args.length}`);
        if (args[1].type !== 'IntegerLiteral') throw new PlanError('expected integer argument in sample()');
        if (args[1].val <= 0n) throw new PlanError(`sample window must be greater than 1, got ${args[1].val}`);
        return this.symbol('sample', args[0]);
      case 'distinct':
        return this.distinct(args, false);
      case 'top':
      case 'bottom':
        return this.topBottom(e);
      case 'derivative':
      case 'non_negative_derivative':
      case 'elapsed': {
        const name = e.name;
        if (args.length < 1 || args.length > 2) {
          throw new PlanError(`invalid number of arguments for ${name}, expected at least 1 but no more than 2, got ${args.length}`);
        }
        if (args.length === 2) {
          const a1 = args[1];
          if (a1.type !== 'DurationLiteral') throw new PlanError(`second argument to ${name} must be a duration, got ${goType(a1)}`);
          if (a1.val <= 0n) throw new PlanError(`duration argument must be positive, got ${formatExpr(a1)}`);
        }
        g.onlySelectors = false;
        return this.transformArg(name, args[0]);
      }
      case 'difference':
      case 'non_negative_difference':
      case 'cumulative_sum':
        if (args.length !== 1) throw new PlanError(`invalid number of arguments for ${e.name}, expected 1, got ${args.length}`);
        g.onlySelectors = false;
        return this.transformArg(e.name, args[0]);
      case 'moving_average': {
        if (args.length !== 2) throw new PlanError(`invalid number of arguments for moving_average, expected 2, got ${args.length}`);
        const a1 = args[1];
        if (a1.type !== 'IntegerLiteral') throw new PlanError(`second argument for moving_average must be an integer, got ${goType(a1)}`);
        if (a1.val <= 1n) throw new PlanError(`moving_average window must be greater than 1, got ${a1.val}`);
        g.onlySelectors = false;
        return this.transformArg('moving_average', args[0]);
      }
      case 'integral':
        if (args.length < 1 || args.length > 2) {
          throw new PlanError(`invalid number of arguments for integral, expected at least 1 but no more than 2, got ${args.length}`);
        }
        if (args.length === 2) {
          const a1 = args[1];
          if (a1.type !== 'DurationLiteral') throw new PlanError('second argument must be a duration');
          if (a1.val <= 0n) throw new PlanError(`duration argument must be positive, got ${formatExpr(a1)}`);
        }
        g.onlySelectors = false;
        return this.symbol('integral', args[0]);
      case 'max':
      case 'min':
      case 'first':
      case 'last':
      case 'count':
      case 'sum':
      case 'mean':
      case 'median':
      case 'mode':
      case 'stddev':
      case 'spread': {
        if (!['max', 'min', 'first', 'last'].includes(e.name)) g.onlySelectors = false;
        if (args.length !== 1) throw new PlanError(`invalid number of arguments for ${e.name}, expected 1, got ${args.length}`);
        if (e.name === 'count') {
          const a0 = args[0];
          if (a0.type === 'Call' && a0.name === 'distinct') return this.distinct(a0.args, true);
          if (a0.type === 'Distinct') return this.distinct([{ type: 'VarRef', val: a0.val, dataType: 'unknown' }], true);
        }
        return this.symbol(e.name, args[0]);
      }
      default:
        throw new PlanError(`undefined function ${e.name}()`);
    }
  }

  private transformArg(name: string, a0: Expr): void {
    const g = this.g;
    if (a0.type === 'Call') {
      if (g.interval === 0n) throw new PlanError(`${name} aggregate requires a GROUP BY interval`);
      return this.nested(a0);
    }
    if (g.interval !== 0n && !g.inheritedInterval) throw new PlanError(`aggregate function required inside the call to ${name}`);
    return this.symbol(name, a0);
  }

  private topBottom(e: Call): void {
    const g = this.g;
    if (g.topBottom !== '') throw new PlanError(`selector function ${g.topBottom}() cannot be combined with other functions`);
    if (e.args.length < 2) throw new PlanError(`invalid number of arguments for ${e.name}, expected at least 2, got ${e.args.length}`);
    const last = e.args[e.args.length - 1];
    if (last.type !== 'IntegerLiteral') throw new PlanError(`expected integer as last argument in ${e.name}(), found ${formatExpr(last)}`);
    if (last.val <= 0n) throw new PlanError(`limit (${last.val}) in ${e.name} function must be at least 1`);
    if (g.limit > 0 && Number(last.val) > g.limit) {
      throw new PlanError(`limit (${last.val}) in ${e.name} function can not be larger than the LIMIT (${g.limit}) in the select statement`);
    }
    if (e.args[0].type !== 'VarRef') throw new PlanError(`expected first argument to be a field in ${e.name}(), found ${formatExpr(e.args[0])}`);
    for (const v of e.args.slice(1, -1)) {
      if (v.type !== 'VarRef') throw new PlanError(`only fields or tags are allowed in ${e.name}(), found ${formatExpr(v)}`);
      if (!g.hasTarget) {
        g.extraFields.push({ expr: v, alias: '' });
        g.hasAux = true;
      }
    }
    g.topBottom = e.name;
  }
}

export interface PlanOptions {
  now: bigint;
  zone: ZoneFn | null;
  /** Time range inherited from an outer query (subqueries). */
  outer?: { tmin: bigint; tmax: bigint; interval: bigint; offset: bigint; ascending: boolean };
}

/** Compiles and validates a SELECT. Throws PlanError with InfluxDB's message. */
export function compileSelect(stmt: SelectStatement, opts: PlanOptions): Plan {
  const ascending = stmt.sortFields.length === 0 || stmt.sortFields[0].ascending;
  // Condition and time range.
  const { expr: cond, range } = conditionExpr(stmt.condition, opts.now, opts.zone);
  validateCondition(cond);
  // Dimensions.
  let interval = 0n;
  let offset = 0n;
  const tagDims: string[] = [];
  let dimWildcard = false;
  const dimRegexes: RegExp[] = [];
  const res = new QueryRegexes();
  for (const d of stmt.dimensions) {
    const e = d.expr;
    switch (e.type) {
      case 'VarRef':
        if (e.val.toLowerCase() === 'time') throw new PlanError('time() is a function and expects at least one argument');
        tagDims.push(e.val);
        break;
      case 'Call': {
        if (e.name !== 'time') throw new PlanError('only time() calls allowed in dimensions');
        if (e.args.length < 1 || e.args.length > 2) throw new PlanError('time dimension expected 1 or 2 arguments');
        const lit = e.args[0];
        if (lit.type !== 'DurationLiteral') throw new PlanError('time dimension must have duration argument');
        if (interval !== 0n) throw new PlanError('multiple time dimensions not allowed');
        interval = lit.val;
        if (e.args.length === 2) {
          const o = e.args[1];
          if (o.type === 'DurationLiteral') offset = o.val % interval;
          else if (o.type === 'Call' && o.name === 'now') {
            if (o.args.length !== 0) throw new PlanError('time dimension offset now() function requires no arguments');
            offset = mod(opts.now, interval);
          } else if (o.type === 'Call') throw new PlanError('time dimension offset function must be now()');
          else throw new PlanError('time dimension offset must be duration or now()');
        }
        break;
      }
      case 'Wildcard':
        dimWildcard = true;
        break;
      case 'RegexLiteral':
        dimRegexes.push(res.get(e.val));
        break;
      default:
        throw new PlanError('only time and tag dimensions allowed');
    }
  }
  let inheritedInterval = false;
  let tminRaw = range.min;
  let tmaxRaw = range.max;
  if (opts.outer) {
    if (interval === 0n && opts.outer.interval !== 0n) {
      interval = opts.outer.interval;
      offset = opts.outer.offset;
      inheritedInterval = true;
    }
    if (opts.outer.tmin !== MIN_TIME && (tminRaw === null || opts.outer.tmin > tminRaw)) tminRaw = opts.outer.tmin;
    if (opts.outer.tmax !== MAX_TIME && (tmaxRaw === null || opts.outer.tmax < tmaxRaw)) tmaxRaw = opts.outer.tmax;
  }
  const tmin = tminRaw ?? MIN_TIME;
  const tmax = tmaxRaw ?? (interval !== 0n ? opts.now : MAX_TIME);

  // Fields.
  const g: CompileState = {
    calls: 0,
    onlySelectors: true,
    hasDistinct: false,
    topBottom: '',
    hasAux: false,
    interval,
    inheritedInterval,
    limit: stmt.limit,
    hasTarget: stmt.target !== null,
    extraFields: [],
  };
  let timeAlias = 'time';
  const fields: Field[] = [];
  for (const f of stmt.fields) {
    if (f.expr.type === 'VarRef' && f.expr.val === 'time') {
      if (f.alias !== '') timeAlias = f.alias;
      continue;
    }
    if (isConstant(f.expr)) throw new PlanError('field must contain at least one variable');
    const field: Field = { expr: f.expr.type === 'Distinct' ? { type: 'Call', name: 'distinct', args: [{ type: 'VarRef', val: f.expr.val, dataType: 'unknown' }] } : f.expr, alias: f.alias };
    fields.push(field);
    new FieldCompiler(g).compile(f.expr);
    if (g.extraFields.length) fields.push(...g.extraFields.splice(0));
  }
  if (fields.length === 0) throw new PlanError('at least 1 non-time field must be queried');
  if (g.calls > 1 && g.topBottom !== '') throw new PlanError(`selector function ${g.topBottom}() cannot be combined with other functions`);
  if (g.calls === 0) {
    if (stmt.fill === 'none') throw new PlanError('fill(none) must be used with a function');
    if (stmt.fill === 'linear') throw new PlanError('fill(linear) must be used with a function');
    if (interval !== 0n && !inheritedInterval) throw new PlanError('GROUP BY requires at least one aggregate function');
  }
  if (g.hasDistinct && (g.calls !== 1 || g.hasAux)) {
    throw new PlanError('aggregate function distinct() cannot be combined with other functions or fields');
  }
  if (g.hasAux && g.calls > 0) {
    if (!g.onlySelectors) throw new PlanError('mixing aggregate and non-aggregate queries is not supported');
    if (g.calls > 1) throw new PlanError('mixing multiple selector functions with tags or fields is not supported');
  }
  return {
    fields,
    timeAlias,
    interval,
    offset,
    tagDims,
    dimWildcard,
    dimRegexes,
    cond,
    tmin,
    tmax,
    aggregate: g.calls > 0,
    ascending,
    callCount: g.calls,
    onlySelectors: g.onlySelectors,
    topBottom: g.topBottom,
    hasAux: g.hasAux,
  };
}

/** An expression Go's Reduce folds into a literal (no field, tag, call or wildcard). */
function isConstant(e: Expr): boolean {
  switch (e.type) {
    case 'BinaryExpr':
      return isConstant(e.lhs) && isConstant(e.rhs);
    case 'ParenExpr':
      return isConstant(e.expr);
    case 'NumberLiteral':
    case 'IntegerLiteral':
    case 'UnsignedLiteral':
    case 'DurationLiteral':
      return true;
    default:
      return false;
  }
}

export function mod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r < 0n ? r + b : r;
}

function validateCondition(e: Expr | null): void {
  if (!e) return;
  switch (e.type) {
    case 'BinaryExpr':
      validateCondition(e.lhs);
      validateCondition(e.rhs);
      return;
    case 'ParenExpr':
      validateCondition(e.expr);
      return;
    case 'Call': {
      if (!MATH_FUNCTIONS.has(e.name)) throw new PlanError(`invalid function call in condition: ${formatExpr(e)}`);
      const n = e.name === 'atan2' || e.name === 'pow' ? 2 : 1;
      if (e.args.length !== n) throw new PlanError(`invalid number of arguments for ${e.name}, expected ${n}, got ${e.args.length}`);
      for (const a of e.args) validateCondition(a);
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------
// Wildcards and column names.

const ALL_TYPES = new Set(['float', 'integer', 'unsigned', 'string', 'boolean']);
const NUMERIC = new Set(['float', 'integer', 'unsigned']);
const MINMAX = new Set(['float', 'integer', 'unsigned', 'boolean']);

function supportedTypes(name: string): Set<string> {
  switch (name) {
    case 'count':
    case 'first':
    case 'last':
    case 'distinct':
    case 'elapsed':
    case 'mode':
    case 'sample':
      return ALL_TYPES;
    case 'min':
    case 'max':
      return MINMAX;
    default:
      return NUMERIC;
  }
}

/** The innermost call whose first argument is a wildcard or regex, with that argument. */
function wildcardCall(e: Expr): { inner: Call; arg: Expr } | null {
  if (e.type !== 'Call' || e.args.length === 0) return null;
  const a0 = e.args[0];
  if (a0.type === 'Wildcard' || a0.type === 'RegexLiteral') return { inner: e, arg: a0 };
  if (a0.type === 'Call') return wildcardCall(a0);
  return null;
}

function replaceArg(e: Expr, ref: VarRef): Expr {
  if (e.type !== 'Call') return e;
  const a0 = e.args[0];
  if (a0.type === 'Wildcard' || a0.type === 'RegexLiteral') return { ...e, args: [ref, ...e.args.slice(1)] };
  return { ...e, args: [replaceArg(a0, ref), ...e.args.slice(1)] };
}

/** Expands `*`, `/re/`, `mean(*)` against the union of the sources' fields and tags. */
export function expandFields(
  fields: Field[],
  fieldTypes: Map<string, string>,
  tagKeys: string[],
  groupTags: Set<string>,
  res: QueryRegexes,
): Field[] {
  const fieldNames = [...fieldTypes.keys()].sort();
  const tags = tagKeys.filter((t) => !groupTags.has(t)).sort();
  const out: Field[] = [];
  for (const f of fields) {
    const e = f.expr;
    if (e.type === 'Wildcard') {
      const refs: VarRef[] = [];
      if (e.wildcardType !== 'tag') for (const n of fieldNames) refs.push({ type: 'VarRef', val: n, dataType: fieldTypes.get(n) as VarRef['dataType'] });
      if (e.wildcardType !== 'field') for (const n of tags) refs.push({ type: 'VarRef', val: n, dataType: 'tag' });
      refs.sort((a, b) => (a.val < b.val ? -1 : a.val > b.val ? 1 : 0));
      for (const r of refs) out.push({ expr: r, alias: '' });
      continue;
    }
    if (e.type === 'RegexLiteral') {
      const re = res.get(e.val);
      const refs: VarRef[] = [];
      for (const n of fieldNames) if (re.test(n)) refs.push({ type: 'VarRef', val: n, dataType: fieldTypes.get(n) as VarRef['dataType'] });
      for (const n of tags) if (re.test(n)) refs.push({ type: 'VarRef', val: n, dataType: 'tag' });
      refs.sort((a, b) => (a.val < b.val ? -1 : a.val > b.val ? 1 : 0));
      for (const r of refs) out.push({ expr: r, alias: '' });
      continue;
    }
    const wc = wildcardCall(e);
    if (wc) {
      const outerName = (e as Call).name;
      const types = supportedTypes(wc.inner.name);
      const re = wc.arg.type === 'RegexLiteral' ? res.get(wc.arg.val) : null;
      for (const n of fieldNames) {
        const t = fieldTypes.get(n) as string;
        if (!types.has(t)) continue;
        if (re && !re.test(n)) continue;
        const ref: VarRef = { type: 'VarRef', val: n, dataType: t as VarRef['dataType'] };
        out.push({ expr: replaceArg(e, ref), alias: `${f.alias !== '' ? f.alias : outerName}_${n}` });
      }
      continue;
    }
    out.push(f);
  }
  return out;
}

/** Go's Field.Name(). */
export function fieldName(f: Field): string {
  if (f.alias !== '') return f.alias;
  return exprName(f.expr);
}

function exprName(e: Expr): string {
  switch (e.type) {
    case 'Call':
      return e.name;
    case 'BinaryExpr': {
      const names: string[] = [];
      const visit = (x: Expr): void => {
        if (x.type === 'VarRef') names.push(x.val);
        else if (x.type === 'Call') names.push(x.name);
        else if (x.type === 'BinaryExpr') {
          visit(x.lhs);
          visit(x.rhs);
        } else if (x.type === 'ParenExpr') visit(x.expr);
      };
      visit(e);
      return names.join('_');
    }
    case 'ParenExpr':
      return exprName(e.expr);
    case 'VarRef':
      return e.val;
    default:
      return '';
  }
}

/** Go's SelectStatement.ColumnNames() (top/bottom tag columns are already fields here). */
export function columnNames(fields: Field[], timeAlias: string): string[] {
  const out: string[] = new Array(fields.length + 1).fill('');
  out[0] = timeAlias;
  const names = new Map<string, number>();
  fields.forEach((f, i) => {
    if (f.alias !== '') {
      out[i + 1] = f.alias;
      names.set(f.alias, 1);
    }
  });
  fields.forEach((f, i) => {
    if (out[i + 1] !== '') return;
    let name = fieldName(f);
    let count = names.get(name);
    if (count !== undefined) {
      for (;;) {
        const resolved = `${name}_${count}`;
        if (!names.has(resolved)) {
          names.set(name, count + 1);
          name = resolved;
          break;
        }
        count++;
      }
    }
    names.set(name, (names.get(name) ?? 0) + 1);
    out[i + 1] = name;
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Types (Go's validateTypes / TypeValuerEval).

const NUMERIC_KINDS = new Set(['float', 'integer', 'unsigned']);

/** The data type of an expression, 'unknown' when it cannot be told; throws PlanError on a
 * binary expression between incompatible types, with InfluxDB's message. */
export function exprType(e: Expr, fieldTypes: Map<string, string>): string {
  switch (e.type) {
    case 'VarRef':
      if (e.dataType !== 'unknown' && e.dataType !== 'field') return e.dataType === 'tag' ? 'tag' : e.dataType;
      return fieldTypes.get(e.val) ?? 'unknown';
    case 'NumberLiteral':
      return 'float';
    case 'IntegerLiteral':
      return 'integer';
    case 'UnsignedLiteral':
      return 'unsigned';
    case 'StringLiteral':
      return 'string';
    case 'BooleanLiteral':
      return 'boolean';
    case 'ParenExpr':
      return exprType(e.expr, fieldTypes);
    case 'Call': {
      const argTypes = e.args.map((a) => exprType(a, fieldTypes));
      const t0 = argTypes[0] ?? 'unknown';
      switch (e.name) {
        case 'count':
        case 'elapsed':
          return 'integer';
        case 'mean':
        case 'median':
        case 'stddev':
        case 'integral':
        case 'derivative':
        case 'non_negative_derivative':
        case 'moving_average':
          return 'float';
        case 'abs':
        case 'floor':
        case 'ceil':
        case 'round':
          return t0;
        default:
          if (MATH_FUNCTIONS.has(e.name)) return 'float';
          return t0;
      }
    }
    case 'BinaryExpr': {
      const lhs = exprType(e.lhs, fieldTypes);
      const rhs = exprType(e.rhs, fieldTypes);
      const arith = ['+', '-', '*', '/', '%', '&', '|', '^'].includes(e.op);
      if (!arith) return 'boolean';
      if (lhs === 'unknown' || lhs === 'tag') return rhs;
      if (rhs === 'unknown' || rhs === 'tag') return lhs;
      const ln = NUMERIC_KINDS.has(lhs);
      const rn = NUMERIC_KINDS.has(rhs);
      const bitwise = e.op === '&' || e.op === '|' || e.op === '^';
      if (bitwise) {
        if ((lhs === 'integer' || lhs === 'unsigned') && (rhs === 'integer' || rhs === 'unsigned')) return lhs;
        if (lhs === 'boolean' && rhs === 'boolean') return 'boolean';
      } else if (ln && rn) return lhs === 'float' || rhs === 'float' ? 'float' : lhs;
      throw new PlanError(`type error: ${formatExpr(typed(e, fieldTypes))}: incompatible types: ${lhs} and ${rhs}`);
    }
    default:
      return 'unknown';
  }
}

function typed(e: Expr, fieldTypes: Map<string, string>): Expr {
  switch (e.type) {
    case 'VarRef': {
      if (e.dataType !== 'unknown') return e;
      const t = fieldTypes.get(e.val);
      return t ? { ...e, dataType: t as VarRef['dataType'] } : e;
    }
    case 'BinaryExpr':
      return { ...e, lhs: typed(e.lhs, fieldTypes), rhs: typed(e.rhs, fieldTypes) };
    case 'ParenExpr':
      return { ...e, expr: typed(e.expr, fieldTypes) };
    case 'Call':
      return { ...e, args: e.args.map((a) => typed(a, fieldTypes)) };
    default:
      return e;
  }
}
