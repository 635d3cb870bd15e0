// Runtime values of SQL expressions and their comparison. Integers and timestamps (ns)
// are bigints, floats numbers; the static type (compile.ts) tells a timestamp from an integer.

import { formatTimeNs } from '../influxql/print.js';
import type { SqlType } from './ast.js';

export type SqlValue = null | boolean | number | bigint | string;

/** Types during compilation: an INTERVAL is ns (a bigint); `null` is the NULL literal's. */
export type ExprType = SqlType | 'interval' | 'null';

export function typeOfLiteral(v: SqlValue): ExprType {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

export function isNumeric(t: ExprType): boolean {
  return t === 'integer' || t === 'float';
}

/** Total order of two non-null values of comparable types (numbers and bigints mix). */
export function compareValues(a: SqlValue, b: SqlValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && Number.isNaN(a)) return typeof b === 'number' && Number.isNaN(b) ? 0 : 1;
  if (typeof b === 'number' && Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function valuesEqual(a: SqlValue, b: SqlValue): boolean {
  if (typeof a === typeof b) return a === b;
  // bigint and number: loose equality compares the mathematical values
  // eslint-disable-next-line eqeqeq
  return (typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number') && a == b;
}

/** A hashable key of a value (for GROUP BY and the hash join): type-tagged text. */
export function keyOf(v: SqlValue): string {
  if (v === null) return 'n';
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? `i${v}` : `f${v}`;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `s${v}`;
}

export { formatTimeNs };
