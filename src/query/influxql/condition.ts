// WHERE clauses of InfluxQL SELECTs: the time range split off the condition (Go's
// influxql.ConditionExpr), time literals, and the valuer that evaluates what remains per
// series or per point with InfluxDB 1.x's typing rules (a comparison between mismatched
// types is false, integer arithmetic stays integer, division is float, x/0 is 0).

import type { BinaryExpr, Expr } from './ast.js';
import type { Cell } from './result.js';
import { compileRe2Unanchored } from '../re2.js';

/** influxql.MinTime / MaxTime (models.MinNanoTime / MaxNanoTime). */
export const MIN_TIME = -9223372036854775806n;
export const MAX_TIME = 9223372036854775806n;

export class ConditionError extends Error {}

/** Time range bounds, both inclusive; null when not bounded. */
export interface TimeRange {
  min: bigint | null;
  max: bigint | null;
}

function intersect(a: TimeRange, b: TimeRange): TimeRange {
  let min = a.min;
  if (b.min !== null && (min === null || b.min > min)) min = b.min;
  let max = a.max;
  if (b.max !== null && (max === null || b.max < max)) max = b.max;
  return { min, max };
}

const DATE_TIME_RE = /\d{4}-\d{2}-\d{2}(T|\s+)\d{2}:\d{2}:\d{2}/;
const DATE_RE = /\d{4}-\d{2}-\d{2}/;

/** Whether Go's StringLiteral.IsTimeLiteral() holds. */
export function isTimeString(s: string): boolean {
  return DATE_TIME_RE.test(s) || DATE_RE.test(s);
}

/** Offset of a time zone from UTC at a UTC instant, in ns. */
export type ZoneFn = (tNs: bigint) => bigint;

/** A zone function for an IANA name (null for UTC/none). */
export function makeZone(location: string | null): ZoneFn | null {
  if (location === null || location === '' || location === 'UTC') return null;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: location,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return (tNs: bigint): bigint => {
    let ms = Number(tNs / 1_000_000n);
    if (tNs < 0n && tNs % 1_000_000n !== 0n) ms -= 1;
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 0n;
    const secMs = Math.floor(ms / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(secMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return BigInt(local - secMs) * 1_000_000n;
  };
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:(?:T|\s+)(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:\d{2})?$/;

/** Parses an InfluxQL time string (RFC3339, `2006-01-02 15:04:05.999`, `2006-01-02`). */
export function parseTimeString(s: string, zone: ZoneFn | null): bigint {
  const m = TIME_RE.exec(s.trim());
  if (!m) throw new ConditionError('invalid timestamp string');
  const [, y, mo, d, h = '0', mi = '0', se = '0', frac = '', z] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const back = new Date(ms);
  if (
    Number.isNaN(ms) ||
    back.getUTCMonth() !== Number(mo) - 1 ||
    back.getUTCDate() !== Number(d) ||
    back.getUTCHours() !== Number(h) ||
    back.getUTCMinutes() !== Number(mi) ||
    back.getUTCSeconds() !== Number(se)
  ) {
    throw new ConditionError('invalid timestamp string');
  }
  let ns = BigInt(ms) * 1_000_000n + BigInt((frac + '000000000').slice(0, 9));
  if (z !== undefined && z !== 'Z') {
    const sign = z[0] === '-' ? -1n : 1n;
    const off = (BigInt(Number(z.slice(1, 3))) * 3600n + BigInt(Number(z.slice(4, 6))) * 60n) * 1_000_000_000n;
    ns -= sign * off;
  } else if (z === undefined && zone) {
    ns -= zone(ns - zone(ns));
  }
  return ns;
}

function goTypeName(e: Expr): string {
  switch (e.type) {
    case 'StringLiteral':
      return '*influxql.StringLiteral';
    case 'BooleanLiteral':
      return '*influxql.BooleanLiteral';
    case 'VarRef':
      return '*influxql.VarRef';
    case 'RegexLiteral':
      return '*influxql.RegexLiteral';
    case 'Call':
      return '*influxql.Call';
    case 'BinaryExpr':
      return '*influxql.BinaryExpr';
    case 'ParenExpr':
      return '*influxql.ParenExpr';
    default:
      return `*influxql.${e.type}`;
  }
}

/**
 * Reduces a time-valued expression to ns: time strings, integers (ns), floats, durations,
 * now() and +/- between them. Returns null when it is not such an expression.
 */
export function evalTimeValue(e: Expr, now: bigint, zone: ZoneFn | null): { kind: 'time' | 'duration' | 'number'; v: bigint } | null {
  switch (e.type) {
    case 'ParenExpr':
      return evalTimeValue(e.expr, now, zone);
    case 'StringLiteral':
      if (!isTimeString(e.val)) return null;
      return { kind: 'time', v: parseTimeString(e.val, zone) };
    case 'IntegerLiteral':
      return { kind: 'number', v: e.val };
    case 'NumberLiteral':
      return { kind: 'number', v: BigInt(Math.trunc(e.val)) };
    case 'DurationLiteral':
      return { kind: 'duration', v: e.val };
    case 'TimeLiteral':
      return { kind: 'time', v: e.val };
    case 'Call':
      if (e.name === 'now' && e.args.length === 0) return { kind: 'time', v: now };
      return null;
    case 'BinaryExpr': {
      if (e.op !== '+' && e.op !== '-') return null;
      const l = evalTimeValue(e.lhs, now, zone);
      const r = evalTimeValue(e.rhs, now, zone);
      if (!l || !r) return null;
      const v = e.op === '+' ? l.v + r.v : l.v - r.v;
      const kind = l.kind === 'time' || r.kind === 'time' ? 'time' : l.kind === 'duration' || r.kind === 'duration' ? 'duration' : 'number';
      return { kind, v };
    }
    default:
      return null;
  }
}

function isTimeRef(e: Expr): boolean {
  return e.type === 'VarRef' && e.val.toLowerCase() === 'time';
}

function timeRangeOf(op: string, rhs: Expr, now: bigint, zone: ZoneFn | null): TimeRange {
  if (rhs.type === 'StringLiteral' && !isTimeString(rhs.val)) {
    throw new ConditionError(`invalid operation: time and *influxql.StringLiteral are not compatible`);
  }
  const tv = evalTimeValue(rhs, now, zone);
  if (!tv) throw new ConditionError(`invalid operation: time and ${goTypeName(rhs)} are not compatible`);
  const value = tv.v;
  if (value > MAX_TIME) throw new ConditionError(`time ${value} overflows time literal`);
  if (value < MIN_TIME + 1n) throw new ConditionError(`time ${value} underflows time literal`);
  switch (op) {
    case '>':
      return { min: value + 1n, max: null };
    case '>=':
      return { min: value, max: null };
    case '<':
      return { min: null, max: value - 1n };
    case '<=':
      return { min: null, max: value };
    case '=':
      return { min: value, max: value };
    default:
      throw new ConditionError(`invalid time comparison operator: ${op}`);
  }
}

const SWAP: Record<string, string> = { '>': '<', '<': '>', '>=': '<=', '<=': '>=' };

/** Go's influxql.ConditionExpr: the condition without its time parts, and the time range. */
export function conditionExpr(cond: Expr | null, now: bigint, zone: ZoneFn | null): { expr: Expr | null; range: TimeRange } {
  if (cond === null) return { expr: null, range: { min: null, max: null } };
  switch (cond.type) {
    case 'BinaryExpr': {
      if (cond.op === 'AND' || cond.op === 'OR') {
        const l = conditionExpr(cond.lhs, now, zone);
        const r = conditionExpr(cond.rhs, now, zone);
        const range = intersect(l.range, r.range);
        if (r.expr === null) return { expr: l.expr, range };
        if (l.expr === null) return { expr: r.expr, range };
        return { expr: { type: 'BinaryExpr', op: cond.op, lhs: l.expr, rhs: r.expr }, range };
      }
      if (isTimeRef(cond.lhs)) return { expr: null, range: timeRangeOf(cond.op, cond.rhs, now, zone) };
      if (isTimeRef(cond.rhs)) return { expr: null, range: timeRangeOf(SWAP[cond.op] ?? cond.op, cond.lhs, now, zone) };
      return { expr: cond, range: { min: null, max: null } };
    }
    case 'ParenExpr': {
      const r = conditionExpr(cond.expr, now, zone);
      if (r.expr === null) return r;
      return { expr: { type: 'ParenExpr', expr: r.expr }, range: r.range };
    }
    case 'BooleanLiteral':
      return { expr: cond, range: { min: null, max: null } };
    default:
      throw new ConditionError(`invalid condition expression: ${describe(cond)}`);
  }
}

function describe(e: Expr): string {
  if (e.type === 'VarRef') return e.val;
  return e.type;
}

// ---------------------------------------------------------------------------------------
// Evaluation.

/** Looks up a VarRef's value for the current row/series. */
export type Lookup = (name: string, dataType: string) => Cell | undefined;

/** Regex cache for one query (unanchored Go semantics). */
export class QueryRegexes {
  private readonly map = new Map<string, RegExp>();
  get(src: string): RegExp {
    let r = this.map.get(src);
    if (!r) {
      r = compileRe2Unanchored(src);
      this.map.set(src, r);
    }
    return r;
  }
}

/** InfluxQL binary operator over two cells (Go's ValuerEval.evalBinaryExpr). */
export function binaryOp(op: BinaryExpr['op'], l: Cell, r: Cell): Cell {
  if (typeof l === 'number') {
    if (typeof r === 'bigint') return floatOp(op, l, Number(r));
    if (typeof r === 'number') return floatOp(op, l, r);
    return null;
  }
  if (typeof l === 'bigint') {
    if (typeof r === 'number') return floatOp(op, Number(l), r);
    if (typeof r === 'bigint') return intOp(op, l, r);
    return null;
  }
  if (typeof l === 'boolean') {
    if (typeof r !== 'boolean') {
      if (op === 'AND' || op === 'OR') return false;
      return null;
    }
    switch (op) {
      case 'AND':
        return l && r;
      case 'OR':
        return l || r;
      case '=':
        return l === r;
      case '!=':
        return l !== r;
      case '&':
        return l && r;
      case '|':
        return l || r;
      case '^':
        return l !== r;
      default:
        return null;
    }
  }
  if (typeof l === 'string') {
    if (typeof r !== 'string') return null;
    return op === '+' ? l + r : compare(op, l, r);
  }
  return null;
}

/** A comparison operator on two values of one type; null for any other operator. */
function compare<T extends number | bigint | string>(op: string, l: T, r: T): boolean | null {
  switch (op) {
    case '=':
      return l === r;
    case '!=':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    default:
      return null;
  }
}

function floatOp(op: string, l: number, r: number): Cell {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return r === 0 ? 0 : l / r;
    case '%':
      return r === 0 ? 0 : l % r;
    default:
      return compare(op, l, r);
  }
}

function intOp(op: string, l: bigint, r: bigint): Cell {
  switch (op) {
    case '+':
      return BigInt.asIntN(64, l + r);
    case '-':
      return BigInt.asIntN(64, l - r);
    case '*':
      return BigInt.asIntN(64, l * r);
    case '/':
      return r === 0n ? 0 : Number(l) / Number(r);
    case '%':
      return r === 0n ? 0n : l % r;
    case '&':
      return l & r;
    case '|':
      return l | r;
    case '^':
      return l ^ r;
    default:
      return compare(op, l, r);
  }
}

/** Math functions over cells; `math` comes from transforms.ts. */
export type MathTable = Record<string, (...args: number[]) => number>;

/** Evaluates an expression with VarRefs resolved by `lookup` (no aggregates). */
export function evalExpr(e: Expr, lookup: Lookup, res: QueryRegexes, math: MathTable): Cell {
  switch (e.type) {
    case 'VarRef': {
      const v = lookup(e.val, e.dataType);
      return v === undefined ? null : v;
    }
    case 'ParenExpr':
      return evalExpr(e.expr, lookup, res, math);
    case 'NumberLiteral':
      return e.val;
    case 'IntegerLiteral':
      return e.val;
    case 'UnsignedLiteral':
      return e.val;
    case 'StringLiteral':
      return e.val;
    case 'BooleanLiteral':
      return e.val;
    case 'DurationLiteral':
      return e.val;
    case 'TimeLiteral':
      return e.val;
    case 'BinaryExpr': {
      if (e.op === '=~' || e.op === '!~') {
        const l = evalExpr(e.lhs, lookup, res, math);
        if (e.rhs.type !== 'RegexLiteral' || typeof l !== 'string') return null;
        const m = res.get(e.rhs.val).test(l);
        return e.op === '=~' ? m : !m;
      }
      if (e.op === 'AND' || e.op === 'OR') {
        const l = evalExpr(e.lhs, lookup, res, math);
        const r = evalExpr(e.rhs, lookup, res, math);
        const lb = l === true;
        const rb = r === true;
        return e.op === 'AND' ? lb && rb : lb || rb;
      }
      const l = evalExpr(e.lhs, lookup, res, math);
      const r = evalExpr(e.rhs, lookup, res, math);
      return binaryOp(e.op, l, r);
    }
    case 'Call': {
      const fn = math[e.name];
      if (!fn) return null;
      const args: number[] = [];
      for (const a of e.args) {
        const v = evalExpr(a, lookup, res, math);
        if (typeof v === 'number') args.push(v);
        else if (typeof v === 'bigint') args.push(Number(v));
        else return null;
      }
      return mathResult(e.name, fn(...args), e.args.map((a) => evalExpr(a, lookup, res, math)));
    }
    default:
      return null;
  }
}

/** abs/ceil/floor/round keep integers integer, as InfluxDB does. */
export function mathResult(name: string, v: number, args: Cell[]): Cell {
  if ((name === 'abs' || name === 'ceil' || name === 'floor' || name === 'round') && typeof args[0] === 'bigint') {
    return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null;
  }
  if (Number.isNaN(v)) return null;
  return v;
}

/** Field, tag and other names referenced in an expression. */
export function varRefs(e: Expr | null, out: { name: string; dataType: string }[] = []): { name: string; dataType: string }[] {
  if (!e) return out;
  switch (e.type) {
    case 'VarRef':
      out.push({ name: e.val, dataType: e.dataType });
      break;
    case 'BinaryExpr':
      varRefs(e.lhs, out);
      varRefs(e.rhs, out);
      break;
    case 'ParenExpr':
      varRefs(e.expr, out);
      break;
    case 'Call':
      for (const a of e.args) varRefs(a, out);
      break;
    default:
      break;
  }
  return out;
}

/** A compiled expression: reads the current row through the getters it was built with. */
export type Getter = () => Cell;

/**
 * Compiles an expression once (per series) into a closure, so rows are evaluated without
 * walking the tree or looking names up: `ref` resolves each VarRef to a getter.
 */
export function compileExpr(e: Expr, ref: (name: string, dataType: string) => Getter, res: QueryRegexes, math: MathTable): Getter {
  switch (e.type) {
    case 'VarRef':
      return ref(e.val, e.dataType);
    case 'ParenExpr':
      return compileExpr(e.expr, ref, res, math);
    case 'NumberLiteral':
    case 'IntegerLiteral':
    case 'UnsignedLiteral':
    case 'StringLiteral':
    case 'BooleanLiteral':
    case 'DurationLiteral':
    case 'TimeLiteral': {
      const v = e.val;
      return () => v;
    }
    case 'BinaryExpr': {
      const op = e.op;
      if (op === '=~' || op === '!~') {
        const l = compileExpr(e.lhs, ref, res, math);
        if (e.rhs.type !== 'RegexLiteral') return () => null;
        const re = res.get(e.rhs.val);
        const want = op === '=~';
        return () => {
          const v = l();
          return typeof v === 'string' ? re.test(v) === want : null;
        };
      }
      const l = compileExpr(e.lhs, ref, res, math);
      const r = compileExpr(e.rhs, ref, res, math);
      if (op === 'AND') return () => l() === true && r() === true;
      if (op === 'OR') return () => l() === true || r() === true;
      return () => binaryOp(op, l(), r());
    }
    case 'Call': {
      const fn = math[e.name];
      if (!fn) return () => null;
      const args = e.args.map((a) => compileExpr(a, ref, res, math));
      const name = e.name;
      return () => {
        const vals = args.map((g) => g());
        const nums: number[] = [];
        for (const v of vals) {
          if (typeof v === 'number') nums.push(v);
          else if (typeof v === 'bigint') nums.push(Number(v));
          else return null;
        }
        return mathResult(name, fn(...nums), vals);
      };
    }
    default:
      return () => null;
  }
}
