// Points -> line protocol: the library API's write(points), and a line formatter for the
// export path. Output follows the reference encoder (influxdata/line-protocol v2) byte for
// byte: tags sorted, floats in Go's shortest %g form (`1`, `12.123`, `6.632243e+06`),
// `42i`, `42u`, `true`/`false`, strings with `\"` and `\\` escaped, raw newlines kept.

import { BadRequestError } from '../errors.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { FieldTypeCode, Point } from '../types.js';
import { escapeStringValue, escapeTag, makeSeriesKey, nameProblem } from './seriesKey.js';

export const MIN_INT64 = -(2n ** 63n);
export const MAX_INT64 = 2n ** 63n - 1n;
export const MAX_UINT64 = 2n ** 64n - 1n;
/** The timestamp range the parser accepts (InfluxDB's MinNanoTime..MaxNanoTime). */
export const MIN_TIME = MIN_INT64 + 2n;
export const MAX_TIME = MAX_INT64 - 1n;

/** One field for formatLine: key, type code (src/types.ts) and value. */
export type FieldEntry = readonly [key: string, type: FieldTypeCode, value: number | bigint | boolean | string];

function bad(message: string): BadRequestError {
  return new BadRequestError('STRATA_ERR_BAD_PARAMETER', message);
}

/**
 * Shortest text that reads back as exactly `x`, in Go's %g style as InfluxDB writes it:
 * plain digits for decimal exponents -4..5, else `d.ddde±XX`. -0 is "-0".
 * Throws BadRequestError for NaN and ±Infinity (line protocol has no spelling for them).
 */
export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) throw bad(`float value ${x} cannot be written in line protocol`);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const s = x.toExponential(); // shortest round-trip digits: "-6.632243e+6"
  const e = s.indexOf('e');
  const neg = s.charCodeAt(0) === 45;
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const digits = mant.length > 1 ? mant[0] + mant.slice(2) : mant;
  let out: string;
  if (exp < -4 || exp >= 6) {
    const ae = exp < 0 ? -exp : exp;
    out = mant + (exp < 0 ? 'e-' : 'e+') + (ae < 10 ? '0' + ae : String(ae));
  } else if (exp < 0) {
    out = '0.' + '0'.repeat(-exp - 1) + digits;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  }
  return neg ? '-' + out : out;
}

/** Formats one value by type code; throws BadRequestError (naming `what`) when it does not fit. */
export function formatValue(type: number, value: unknown, what = 'value'): string {
  switch (type) {
    case FLOAT:
      if (typeof value !== 'number') throw bad(`${what}: float value must be a number, got ${typeof value}`);
      if (!Number.isFinite(value)) throw bad(`${what}: float value ${value} cannot be stored (NaN and infinities are not allowed)`);
      return formatFloat(value);
    case INTEGER:
      if (typeof value === 'bigint') {
        if (value < MIN_INT64 || value > MAX_INT64) throw bad(`${what}: integer value ${value} is out of the int64 range`);
        return value + 'i';
      }
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) throw bad(`${what}: integer value ${value} is not a safe integer (pass a bigint)`);
        return (value === 0 ? '0' : String(value)) + 'i';
      }
      throw bad(`${what}: integer value must be a bigint or an integer number, got ${typeof value}`);
    case UNSIGNED:
      if (typeof value === 'bigint') {
        if (value < 0n || value > MAX_UINT64) throw bad(`${what}: unsigned value ${value} is out of the uint64 range`);
        return value + 'u';
      }
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value) || value < 0) throw bad(`${what}: unsigned value ${value} is not a non-negative safe integer (pass a bigint)`);
        return (value === 0 ? '0' : String(value)) + 'u';
      }
      throw bad(`${what}: unsigned value must be a bigint or an integer number, got ${typeof value}`);
    case BOOLEAN:
      if (typeof value !== 'boolean') throw bad(`${what}: boolean value must be a boolean, got ${typeof value}`);
      return value ? 'true' : 'false';
    case STRING: {
      if (typeof value !== 'string') throw bad(`${what}: string value must be a string, got ${typeof value}`);
      if (!isWellFormed(value)) throw bad(`${what}: string value contains a lone UTF-16 surrogate`);
      return '"' + escapeStringValue(value) + '"';
    }
    default:
      throw bad(`${what}: unknown field type ${String(type)}`);
  }
}

function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed is in Node 20 but not in the ES2022 lib typings
  const f = (s as unknown as { isWellFormed?: () => boolean }).isWellFormed;
  if (f !== undefined) return f.call(s);
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/**
 * One line (no newline) from a canonical series key (see seriesKey.ts), fields and an
 * optional time in ns. For the export path: the series key is trusted, field keys and
 * values are checked.
 */
export function formatLine(seriesKey: string, fields: readonly FieldEntry[], time?: bigint): string {
  if (fields.length === 0) throw bad(`series ${seriesKey}: a line needs at least one field`);
  let s = seriesKey + ' ';
  for (let i = 0; i < fields.length; i++) {
    const [k, t, v] = fields[i];
    const p = nameProblem('field key', k);
    if (p !== '') throw bad(`field key ${JSON.stringify(k)} ${p}`);
    if (i > 0) s += ',';
    s += escapeTag(k) + '=' + formatValue(t, v, `field ${JSON.stringify(k)}`);
  }
  if (time !== undefined) {
    if (typeof time !== 'bigint' || time < MIN_TIME || time > MAX_TIME) throw bad(`time ${String(time)} is outside the range of int64 nanoseconds`);
    s += ' ' + time;
  }
  return s;
}

/** formatLine plus the newline: ready to append to a body. */
export function appendLine(seriesKey: string, fields: readonly FieldEntry[], time?: bigint): string {
  return formatLine(seriesKey, fields, time) + '\n';
}

const TYPE_CODES: Record<string, FieldTypeCode> = { float: FLOAT, integer: INTEGER, unsigned: UNSIGNED, boolean: BOOLEAN, string: STRING };

/** The ns time of a point: bigint ns, or a Date (ms); `defaultTime` when absent. */
export function pointTime(t: Point['time'], defaultTime?: bigint): bigint | undefined {
  if (t === undefined || t === null) return defaultTime;
  if (typeof t === 'bigint') return t;
  if (t instanceof Date) {
    const ms = t.getTime();
    if (!Number.isFinite(ms)) throw bad('time is an invalid Date');
    return BigInt(ms) * 1000000n;
  }
  throw bad(`time must be a bigint (ns since the epoch) or a Date, got ${typeof t}`);
}

/** One point as a line (no newline). Throws BadRequestError naming what is wrong. */
export function formatPoint(point: Point, defaultTime?: bigint): string {
  if (point === null || typeof point !== 'object') throw bad('a point must be an object');
  const key = makeSeriesKey(point.measurement, point.tags ?? {});
  const fields = point.fields;
  if (fields === null || typeof fields !== 'object') throw bad(`measurement ${JSON.stringify(point.measurement)}: fields must be an object`);
  const list: FieldEntry[] = [];
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    const what = `field ${JSON.stringify(k)}`;
    switch (typeof v) {
      case 'number':
        list.push([k, FLOAT, v]);
        break;
      case 'bigint':
        list.push([k, INTEGER, v]);
        break;
      case 'boolean':
        list.push([k, BOOLEAN, v]);
        break;
      case 'string':
        list.push([k, STRING, v]);
        break;
      default: {
        const t = v !== null && typeof v === 'object' ? TYPE_CODES[(v as { type: string }).type] : undefined;
        if (t === undefined) throw bad(`${what}: value must be a number, bigint, boolean, string or {type, value}`);
        list.push([k, t, (v as { value: number | bigint | boolean | string }).value]);
      }
    }
  }
  if (list.length === 0) throw bad(`measurement ${JSON.stringify(point.measurement)}: a point needs at least one field`);
  return formatLine(key, list, pointTime(point.time, defaultTime));
}

/**
 * Points as a line-protocol body (one line each, newline-terminated). Points without a
 * time get `defaultTime` when given (else none: the parser's default applies).
 * Throws BadRequestError('STRATA_ERR_BAD_PARAMETER') naming the point and the bad field.
 */
export function pointsToLineProtocol(points: readonly Point[], defaultTime?: bigint): Buffer {
  let body = '';
  for (let i = 0; i < points.length; i++) {
    try {
      body += formatPoint(points[i], defaultTime) + '\n';
    } catch (e) {
      if (e instanceof BadRequestError) throw new BadRequestError(e.code, `points[${i}]: ${e.message}`, e.status);
      throw e;
    }
  }
  return Buffer.from(body, 'utf8');
}
