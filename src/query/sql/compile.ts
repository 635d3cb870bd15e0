// Expressions to closures over rows. Column references are resolved to row positions and
// types are checked once, before any row is read.

import { parseTime } from '../../server/time.js';
import type { Expr } from './ast.js';
import { parseDuration } from './duration.js';
import { sqlError } from './errors.js';
import { compareValues, isNumeric, keyOf, typeOfLiteral, valuesEqual, type ExprType, type SqlValue } from './values.js';

/** One row of a source (or of a join): values in scope order, the time and series tags. */
export interface Row {
  v: SqlValue[];
  t: bigint;
  tags: Record<string, string>;
}

export interface ScopeColumn {
  /** The table alias qualifying the column. */
  qual: string;
  name: string;
  type: ExprType;
  /** tag, field or time (for push-down); `*` skips hidden columns. */
  kind: 'tag' | 'field' | 'time';
  hidden: boolean;
}

export interface CompileContext {
  src: string;
  params: readonly unknown[];
  now: bigint;
  scope: ScopeColumn[];
  /** Aggregates are allowed (select list, HAVING, ORDER BY of a grouped query). */
  allowAgg: boolean;
}

export type Fn = (row: Row, group: Row[] | null) => SqlValue;

export interface Compiled {
  type: ExprType;
  fn: Fn;
}

export const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'first', 'last']);

export function containsAggregate(e: Expr): boolean {
  switch (e.k) {
    case 'call':
      return AGGREGATES.has(e.name) || e.args.some(containsAggregate);
    case 'bin':
      return containsAggregate(e.l) || containsAggregate(e.r);
    case 'not':
    case 'neg':
    case 'isnull':
      return containsAggregate(e.e);
    case 'in':
      return containsAggregate(e.e) || e.list.some(containsAggregate);
    case 'like':
      return containsAggregate(e.e) || containsAggregate(e.pattern);
    default:
      return false;
  }
}

/** The scope position of a column reference, or an error naming it. */
export function resolveColumn(ctx: CompileContext, table: string | undefined, name: string, pos: number): number {
  const matches: number[] = [];
  ctx.scope.forEach((c, i) => {
    if (c.name === name && (table === undefined || c.qual === table)) matches.push(i);
  });
  if (matches.length === 1) return matches[0];
  const shown = table === undefined ? name : `${table}.${name}`;
  if (matches.length > 1) throw sqlError(`column reference "${shown}" is ambiguous: qualify it with a table name`, ctx.src, pos);
  if (table !== undefined && !ctx.scope.some((c) => c.qual === table)) throw sqlError(`unknown table "${table}" in column reference "${shown}"`, ctx.src, pos);
  const known = [...new Set(ctx.scope.filter((c) => !c.hidden || c.name === 'time').map((c) => c.name))].join(', ');
  throw sqlError(`unknown column "${shown}"${known ? ` (columns: ${known})` : ''}`, ctx.src, pos);
}

export function paramValue(ctx: CompileContext, index: number, pos: number): SqlValue {
  if (index >= ctx.params.length) throw sqlError(`parameter $${index + 1} is not given (${ctx.params.length} parameters were passed)`, ctx.src, pos);
  const p = ctx.params[index];
  if (p === null || p === undefined) return null;
  if (typeof p === 'bigint' || typeof p === 'boolean' || typeof p === 'string') return p;
  if (typeof p === 'number') return Number.isInteger(p) ? BigInt(p) : p;
  if (p instanceof Date) return BigInt(p.getTime()) * 1_000_000n;
  throw sqlError(`parameter $${index + 1} is not a number, string, boolean or null`, ctx.src, pos);
}

/** SQL LIKE (% any run, _ one character) as an anchored RegExp. */
export function likeRegex(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function toTime(v: SqlValue, ctx: CompileContext, pos: number): bigint | null {
  if (v === null) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') {
    const t = parseTime(v);
    if (t === null) throw sqlError(`invalid time '${v}': use RFC 3339 ('2024-01-01T00:00:00Z') or integer nanoseconds`, ctx.src, pos);
    return t;
  }
  throw sqlError(`cannot use ${String(v)} as a time`, ctx.src, pos);
}

const TYPE_NAMES: Record<ExprType, string> = {
  integer: 'integer', float: 'float', string: 'text', boolean: 'boolean', timestamp: 'timestamp', interval: 'interval', null: 'null',
};

function arithmeticType(op: string, l: ExprType, r: ExprType): ExprType | null {
  if (l === 'null') return r === 'null' ? 'null' : r;
  if (r === 'null') return l;
  if (op === '+' || op === '-') {
    if (l === 'timestamp' && (r === 'interval' || r === 'integer')) return 'timestamp';
    if (op === '+' && r === 'timestamp' && (l === 'interval' || l === 'integer')) return 'timestamp';
    if (op === '-' && l === 'timestamp' && r === 'timestamp') return 'interval';
    if (l === 'interval' && r === 'interval') return 'interval';
  }
  if ((op === '*' || op === '/') && l === 'interval' && r === 'integer') return 'interval';
  if (op === '*' && l === 'integer' && r === 'interval') return 'interval';
  if (l === 'integer' && r === 'integer') return 'integer';
  if (isNumeric(l) && isNumeric(r)) return 'float';
  return null;
}

function comparable(l: ExprType, r: ExprType): boolean {
  if (l === 'null' || r === 'null' || l === r) return true;
  if (isNumeric(l) && isNumeric(r)) return true;
  if (l === 'timestamp' && (r === 'string' || r === 'integer')) return true;
  if (r === 'timestamp' && (l === 'string' || l === 'integer')) return true;
  if ((l === 'interval' && r === 'integer') || (l === 'integer' && r === 'interval')) return true;
  return false;
}

export function compile(e: Expr, ctx: CompileContext, inAgg = false): Compiled {
  switch (e.k) {
    case 'lit': {
      const v = e.v;
      return { type: typeOfLiteral(v), fn: () => v };
    }
    case 'interval': {
      const ns = e.ns;
      return { type: 'interval', fn: () => ns };
    }
    case 'param': {
      const v = paramValue(ctx, e.index, e.pos);
      return { type: typeOfLiteral(v), fn: () => v };
    }
    case 'col': {
      const i = resolveColumn(ctx, e.table, e.name, e.pos);
      return { type: ctx.scope[i].type, fn: (row) => row.v[i] };
    }
    case 'not': {
      const a = compile(e.e, ctx, inAgg);
      return {
        type: 'boolean',
        fn: (row, g) => {
          const v = a.fn(row, g);
          return v === null ? null : !v;
        },
      };
    }
    case 'neg': {
      const a = compile(e.e, ctx, inAgg);
      if (!isNumeric(a.type) && a.type !== 'interval' && a.type !== 'null') throw sqlError(`cannot negate a ${TYPE_NAMES[a.type]}`, ctx.src, e.pos);
      return {
        type: a.type,
        fn: (row, g) => {
          const v = a.fn(row, g);
          return v === null ? null : typeof v === 'bigint' ? -v : -(v as number);
        },
      };
    }
    case 'isnull': {
      const a = compile(e.e, ctx, inAgg);
      const not = e.not;
      return { type: 'boolean', fn: (row, g) => (a.fn(row, g) === null) !== not };
    }
    case 'in': {
      const a = compile(e.e, ctx, inAgg);
      const list = e.list.map((x) => compile(x, ctx, inAgg));
      for (const [j, x] of list.entries()) {
        if (!comparable(a.type, x.type)) throw sqlError(`cannot compare ${TYPE_NAMES[a.type]} with ${TYPE_NAMES[x.type]} in IN`, ctx.src, e.list[j].pos);
      }
      const asTime = a.type === 'timestamp';
      const not = e.not;
      return {
        type: 'boolean',
        fn: (row, g) => {
          const v = a.fn(row, g);
          if (v === null) return null;
          let sawNull = false;
          for (const x of list) {
            let w = x.fn(row, g);
            if (asTime) w = toTime(w, ctx, e.pos);
            if (w === null) sawNull = true;
            else if (valuesEqual(v, w)) return !not;
          }
          return sawNull ? null : not;
        },
      };
    }
    case 'like': {
      const a = compile(e.e, ctx, inAgg);
      const p = compile(e.pattern, ctx, inAgg);
      if (a.type !== 'string' && a.type !== 'null') throw sqlError(`LIKE needs a text value, not ${TYPE_NAMES[a.type]}`, ctx.src, e.pos);
      const not = e.not;
      let cached: { p: string; re: RegExp } | undefined;
      return {
        type: 'boolean',
        fn: (row, g) => {
          const v = a.fn(row, g);
          const pv = p.fn(row, g);
          if (v === null || pv === null) return null;
          if (!cached || cached.p !== pv) cached = { p: String(pv), re: likeRegex(String(pv)) };
          return cached.re.test(String(v)) !== not;
        },
      };
    }
    case 'bin':
      return compileBinary(e, ctx, inAgg);
    case 'call':
      return compileCall(e, ctx, inAgg);
  }
}

function compileBinary(e: Extract<Expr, { k: 'bin' }>, ctx: CompileContext, inAgg: boolean): Compiled {
  const l = compile(e.l, ctx, inAgg);
  const r = compile(e.r, ctx, inAgg);
  const op = e.op;
  if (op === 'AND' || op === 'OR') {
    for (const [x, src] of [[l, e.l], [r, e.r]] as const) {
      if (x.type !== 'boolean' && x.type !== 'null') throw sqlError(`${op} needs boolean operands, not ${TYPE_NAMES[x.type]}`, ctx.src, src.pos);
    }
    const and = op === 'AND';
    return {
      type: 'boolean',
      fn: (row, g) => {
        const a = l.fn(row, g);
        if (a === !and) return !and; // false AND x, true OR x
        const b = r.fn(row, g);
        if (b === !and) return !and;
        if (a === null || b === null) return null;
        return and;
      },
    };
  }
  if (op === '=' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
    if (!comparable(l.type, r.type)) throw sqlError(`cannot compare ${TYPE_NAMES[l.type]} with ${TYPE_NAMES[r.type]}`, ctx.src, e.pos);
    const lt = l.type === 'timestamp' ? 1 : 0;
    const rt = r.type === 'timestamp' ? 1 : 0;
    const test: (c: number) => boolean =
      op === '=' ? (c) => c === 0 : op === '!=' ? (c) => c !== 0 : op === '<' ? (c) => c < 0 : op === '<=' ? (c) => c <= 0 : op === '>' ? (c) => c > 0 : (c) => c >= 0;
    return {
      type: 'boolean',
      fn: (row, g) => {
        let a = l.fn(row, g);
        let b = r.fn(row, g);
        if (a === null || b === null) return null;
        if (rt && !lt) a = toTime(a, ctx, e.pos);
        if (lt && !rt) b = toTime(b, ctx, e.pos);
        if ((typeof a === 'number' && Number.isNaN(a)) || (typeof b === 'number' && Number.isNaN(b))) return op === '!=';
        return test(compareValues(a, b));
      },
    };
  }
  const type = arithmeticType(op, l.type, r.type);
  if (type === null) throw sqlError(`cannot apply ${op} to ${TYPE_NAMES[l.type]} and ${TYPE_NAMES[r.type]}`, ctx.src, e.pos);
  const big = type === 'integer' || type === 'timestamp' || type === 'interval';
  return {
    type,
    fn: (row, g) => {
      const a = l.fn(row, g);
      const b = r.fn(row, g);
      if (a === null || b === null) return null;
      if (big && typeof a === 'bigint' && typeof b === 'bigint') {
        const x = a;
        const y = b;
        switch (op) {
          case '+':
            return x + y;
          case '-':
            return x - y;
          case '*':
            return x * y;
          case '/':
            return y === 0n ? null : x / y;
          default:
            return y === 0n ? null : x % y;
        }
      }
      const x = Number(a);
      const y = Number(b);
      switch (op) {
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          return y === 0 ? null : x / y;
        default:
          return y === 0 ? null : x % y;
      }
    },
  };
}

function arity(e: Extract<Expr, { k: 'call' }>, ctx: CompileContext, min: number, max = min): void {
  if (e.star || e.args.length < min || e.args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw sqlError(`${e.name}() takes ${want} argument${max === 1 ? '' : 's'}`, ctx.src, e.pos);
  }
}

function compileCall(e: Extract<Expr, { k: 'call' }>, ctx: CompileContext, inAgg: boolean): Compiled {
  const name = e.name;
  if (AGGREGATES.has(name)) {
    if (!ctx.allowAgg) throw sqlError(`aggregate ${name}() is not allowed here (only in the select list, HAVING and ORDER BY)`, ctx.src, e.pos);
    if (inAgg) throw sqlError(`aggregate ${name}() cannot be nested in another aggregate`, ctx.src, e.pos);
    if (name === 'count' && e.star) return { type: 'integer', fn: (_row, g) => BigInt(g ? g.length : 0) };
    arity(e, ctx, 1);
    const a = compile(e.args[0], ctx, true);
    return aggregate(name, a, ctx, e.pos);
  }
  switch (name) {
    case 'now': {
      arity(e, ctx, 0);
      const now = ctx.now;
      return { type: 'timestamp', fn: () => now };
    }
    case 'time_bucket':
    case 'date_bin': {
      arity(e, ctx, 2, 3);
      const w = compile(e.args[0], ctx, inAgg);
      const t = compile(e.args[1], ctx, inAgg);
      const o = e.args[2] ? compile(e.args[2], ctx, inAgg) : undefined;
      if (t.type !== 'timestamp' && t.type !== 'integer') throw sqlError(`${name}() needs a timestamp as its second argument`, ctx.src, e.args[1].pos);
      const widthOf = (v: SqlValue): bigint => {
        const ns = typeof v === 'bigint' ? v : typeof v === 'string' ? parseDuration(v) : null;
        if (ns === null || ns <= 0n) throw sqlError(`invalid bucket width ${typeof v === 'string' ? `'${v}'` : String(v)}: use a positive interval such as '5m' or INTERVAL '1 hour'`, ctx.src, e.args[0].pos);
        return ns;
      };
      return {
        type: 'timestamp',
        fn: (row, g) => {
          const tv = t.fn(row, g);
          if (tv === null) return null;
          const width = widthOf(w.fn(row, g));
          const origin = o ? (toTime(o.fn(row, g), ctx, e.pos) ?? 0n) : 0n;
          const d = (tv as bigint) - origin;
          let q = d / width;
          if (d % width !== 0n && d < 0n) q -= 1n;
          return origin + q * width;
        },
      };
    }
    case 'abs':
    case 'round':
    case 'floor':
    case 'ceil': {
      arity(e, ctx, 1);
      const a = compile(e.args[0], ctx, inAgg);
      if (!isNumeric(a.type) && a.type !== 'null') throw sqlError(`${name}() needs a number`, ctx.src, e.pos);
      const f = name === 'abs' ? Math.abs : name === 'round' ? Math.round : name === 'floor' ? Math.floor : Math.ceil;
      return {
        type: a.type,
        fn: (row, g) => {
          const v = a.fn(row, g);
          if (v === null) return null;
          if (typeof v === 'bigint') return name === 'abs' && v < 0n ? -v : v;
          return f(v as number);
        },
      };
    }
    case 'lower':
    case 'upper':
    case 'length': {
      arity(e, ctx, 1);
      const a = compile(e.args[0], ctx, inAgg);
      if (a.type !== 'string' && a.type !== 'null') throw sqlError(`${name}() needs a text value`, ctx.src, e.pos);
      return {
        type: name === 'length' ? 'integer' : 'string',
        fn: (row, g) => {
          const v = a.fn(row, g);
          if (v === null) return null;
          const s = String(v);
          return name === 'lower' ? s.toLowerCase() : name === 'upper' ? s.toUpperCase() : BigInt([...s].length);
        },
      };
    }
    case 'coalesce': {
      if (e.args.length === 0) throw sqlError('coalesce() needs arguments', ctx.src, e.pos);
      const args = e.args.map((x) => compile(x, ctx, inAgg));
      const typed = args.filter((a) => a.type !== 'null').map((a) => a.type);
      let type: ExprType = typed[0] ?? 'null';
      if (typed.length > 0 && typed.every(isNumeric) && typed.includes('float')) type = 'float';
      else if (typed.some((t) => t !== type)) throw sqlError(`coalesce() needs arguments of one type, not ${[...new Set(typed)].map((t) => TYPE_NAMES[t]).join(' and ')}`, ctx.src, e.pos);
      const toFloat = type === 'float';
      return {
        type,
        fn: (row, g) => {
          for (const a of args) {
            const v = a.fn(row, g);
            if (v !== null) return toFloat ? Number(v) : v;
          }
          return null;
        },
      };
    }
    default:
      throw sqlError(
        `unknown function ${name}(): the functions are count, sum, avg, min, max, first, last, time_bucket, now, abs, round, floor, ceil, lower, upper, length, coalesce`,
        ctx.src,
        e.pos,
      );
  }
}

function aggregate(name: string, a: Compiled, ctx: CompileContext, pos: number): Compiled {
  const arg = a.fn;
  switch (name) {
    case 'count':
      return {
        type: 'integer',
        fn: (_row, g) => {
          let n = 0;
          for (const r of g ?? []) if (arg(r, null) !== null) n++;
          return BigInt(n);
        },
      };
    case 'sum':
    case 'avg': {
      if (!isNumeric(a.type) && a.type !== 'null') throw sqlError(`${name}() needs numbers, not ${TYPE_NAMES[a.type]}`, ctx.src, pos);
      const avg = name === 'avg';
      return {
        type: avg ? 'float' : a.type === 'integer' ? 'integer' : 'float',
        fn: (_row, g) => {
          let n = 0;
          let big = 0n;
          let sum = 0;
          let anyFloat = false;
          for (const r of g ?? []) {
            const v = arg(r, null);
            if (v === null) continue;
            n++;
            if (typeof v === 'bigint' && !avg && a.type === 'integer') big += v;
            else {
              anyFloat = true;
              sum += Number(v);
            }
          }
          if (n === 0) return null;
          if (avg) return sum / n;
          return anyFloat ? sum : big;
        },
      };
    }
    case 'min':
    case 'max': {
      const sign = name === 'min' ? -1 : 1;
      return {
        type: a.type,
        fn: (_row, g) => {
          let best: SqlValue = null;
          for (const r of g ?? []) {
            const v = arg(r, null);
            if (v === null) continue;
            if (best === null || compareValues(v, best) * sign > 0) best = v;
          }
          return best;
        },
      };
    }
    default: {
      const first = name === 'first';
      return {
        type: a.type,
        fn: (_row, g) => {
          let best: SqlValue = null;
          let bestT: bigint | null = null;
          for (const r of g ?? []) {
            const v = arg(r, null);
            if (v === null) continue;
            if (bestT === null || (first ? r.t < bestT : r.t >= bestT)) {
              best = v;
              bestT = r.t;
            }
          }
          return best;
        },
      };
    }
  }
}

/** Evaluates an expression that names no column (a time bound, a LIMIT, an INSERT value). */
export function constant(e: Expr, ctx: Omit<CompileContext, 'scope' | 'allowAgg'>): { type: ExprType; value: SqlValue } {
  const c = compile(e, { ...ctx, scope: [], allowAgg: false });
  return { type: c.type, value: c.fn({ v: [], t: 0n, tags: {} }, null) };
}

export function groupKey(values: SqlValue[]): string {
  return values.map(keyOf).join('\u0000');
}

export { toTime, TYPE_NAMES };
