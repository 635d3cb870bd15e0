// Deletes: InfluxDB 2.x `POST /api/v2/delete?org=&bucket=` (also served by InfluxDB 1.8's
// 2.x compatibility API), so `influx delete` and the client libraries' DeleteAPI work.
//
//   {"start": "2024-01-01T00:00:00Z", "stop": "2024-01-02T00:00:00Z",
//    "predicate": "_measurement=\"cpu\" AND host=\"a\""}
//
// start and stop are RFC 3339 times, both inclusive (InfluxDB's rule); the predicate is
// InfluxDB's delete predicate syntax: `key="value"` or `key!="value"` terms joined by AND,
// `_measurement` naming the measurement. Answers 204 once the delete is as durable as a
// write to the database.

import type { FastifyInstance } from 'fastify';
import type { Database } from '../engine/database.js';
import { badRequest, StrataError } from '../errors.js';
import type { TagMatcher } from '../types.js';
import { bodyOf, useRawBodies } from './body.js';
import { parseTime } from './time.js';
import { bucketParam, param } from './params.js';

export interface DeleteRoutesOptions {
  db: Database;
  /** Largest body accepted, in bytes. */
  bodyLimit: number;
}

export interface DeletePredicate {
  measurement?: string;
  where: TagMatcher[];
  /** True when two `_measurement` terms disagree: nothing can match. */
  none: boolean;
}

function predicateError(source: string, at: number, problem: string): StrataError {
  return badRequest(
    'STRATA_ERR_BAD_PREDICATE',
    `invalid delete predicate at character ${at + 1}: ${problem} (in ${JSON.stringify(source.length > 200 ? source.slice(0, 200) + '…' : source)}); write terms like key="value" or key!="value" joined by AND, e.g. _measurement="cpu" AND host="a"`,
  );
}

/**
 * Parses an InfluxDB delete predicate. Keys are identifiers or double-quoted; values are
 * double- or single-quoted strings (backslash escapes the quote and itself), or bare
 * words. Parentheses may group terms; OR, regular expressions, `_field` and `_value` are
 * refused as InfluxDB refuses them. An empty predicate matches every series.
 */
export function parseDeletePredicate(src: string): DeletePredicate {
  const out: DeletePredicate = { where: [], none: false };
  let i = 0;
  let depth = 0;
  const n = src.length;
  const space = () => {
    while (i < n && /\s/.test(src[i])) i++;
  };
  const word = (): string | null => {
    const m = /^[^\s"'=!()<>~]+/.exec(src.slice(i));
    if (!m) return null;
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    const q = src[i];
    const start = i;
    i++;
    let s = '';
    while (i < n && src[i] !== q) {
      if (src[i] === '\\' && i + 1 < n) i++;
      s += src[i++];
    }
    if (i >= n) throw predicateError(src, start, `unterminated ${q === '"' ? 'double' : 'single'}-quoted string`);
    i++;
    return s;
  };
  space();
  if (i >= n) return out;
  for (;;) {
    space();
    while (src[i] === '(') {
      depth++;
      i++;
      space();
    }
    const keyAt = i;
    let key: string | null;
    if (src[i] === '"') key = quoted();
    else key = word();
    if (key === null || key === '') throw predicateError(src, keyAt, i >= n ? 'a tag key is missing at the end' : `expected a tag key, found ${JSON.stringify(src[i])}`);
    if (/^(and|or)$/i.test(key)) throw predicateError(src, keyAt, `expected a tag key, found the keyword ${key.toUpperCase()}`);
    space();
    const opAt = i;
    let op: '=' | '!=';
    if (src.startsWith('!=', i)) {
      op = '!=';
      i += 2;
    } else if (src[i] === '=' && src[i + 1] !== '~') {
      op = '=';
      i += 1;
    } else if (src.startsWith('=~', i) || src.startsWith('!~', i)) {
      throw predicateError(src, opAt, 'regular expressions are not supported in delete predicates');
    } else {
      throw predicateError(src, opAt, i >= n ? `the term on "${key}" has no operator` : `expected = or != after "${key}", found ${JSON.stringify(src.slice(i, i + 2))}`);
    }
    space();
    const valueAt = i;
    let value: string | null;
    if (src[i] === '"' || src[i] === "'") value = quoted();
    else value = word();
    if (value === null) throw predicateError(src, valueAt, i >= n ? `the term on "${key}" has no value` : `expected a quoted value after "${key}${op}", found ${JSON.stringify(src[i])}`);
    if (key === '_field' || key === '_value' || key === '_time') {
      throw predicateError(src, keyAt, `deleting by ${key} is not supported (as in InfluxDB): delete by measurement, tags and time range`);
    }
    if (key === '_measurement') {
      if (op !== '=') throw predicateError(src, opAt, '_measurement supports only =');
      if (out.measurement !== undefined && out.measurement !== value) out.none = true;
      out.measurement = value;
    } else {
      out.where.push({ key, op, value });
    }
    space();
    while (src[i] === ')') {
      if (depth === 0) throw predicateError(src, i, 'unbalanced )');
      depth--;
      i++;
      space();
    }
    if (i >= n) break;
    const connAt = i;
    const conn = word();
    if (conn !== null && /^or$/i.test(conn)) throw predicateError(src, connAt, 'OR is not supported in delete predicates: send one delete per alternative');
    if (conn === null || !/^and$/i.test(conn)) throw predicateError(src, connAt, `expected AND between terms, found ${JSON.stringify(conn ?? src[i])}`);
  }
  if (depth !== 0) throw predicateError(src, n - 1, 'unbalanced (');
  return out;
}



function timeField(body: Record<string, unknown>, name: 'start' | 'stop'): bigint {
  const v = body[name];
  if (v === undefined || v === null || v === '') throw badRequest('STRATA_ERR_BAD_PARAMETER', `"${name}" is required: an RFC 3339 time such as "2024-01-01T00:00:00Z"`);
  const t = typeof v === 'string' ? parseTime(v) : null;
  if (t === null) throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid "${name}" ${JSON.stringify(v)}: use an RFC 3339 time such as "2024-01-01T00:00:00.5Z"`);
  return t;
}

export function deletePlugin(opts: DeleteRoutesOptions) {
  const { db } = opts;
  return async function deleteRoutes(app: FastifyInstance): Promise<void> {
    // The JSON is parsed here, whatever the Content-Type (curl sends form-urlencoded).
    useRawBodies(app, opts.bodyLimit);

    app.post('/api/v2/delete', { config: { errorStyle: 'v2' } }, async (request, reply) => {
      const { bucket, name, rp } = bucketParam(request);
      let body: unknown;
      try {
        body = JSON.parse(bodyOf(request).toString('utf8'));
      } catch (err) {
        throw badRequest('STRATA_ERR_BAD_PARAMETER', `the body is not JSON (${(err as Error).message}): send {"start": "...", "stop": "...", "predicate": "..."}`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw badRequest('STRATA_ERR_BAD_PARAMETER', 'the body must be a JSON object: {"start": "...", "stop": "...", "predicate": "..."}');
      }
      const b = body as Record<string, unknown>;
      const start = timeField(b, 'start');
      const stop = timeField(b, 'stop');
      if (start > stop) throw badRequest('STRATA_ERR_BAD_PARAMETER', `"start" (${b.start}) is after "stop" (${b.stop})`);
      if (b.predicate !== undefined && b.predicate !== null && typeof b.predicate !== 'string') {
        throw badRequest('STRATA_ERR_BAD_PREDICATE', '"predicate" must be a string such as "_measurement=\\"cpu\\" AND host=\\"a\\""');
      }
      const pred = parseDeletePredicate((b.predicate as string | undefined) ?? '');
      if (!db.hasDatabase(name)) throw new StrataError('STRATA_ERR_DATABASE_NOT_FOUND', 404, `bucket "${bucket}" not found`);
      // Both bounds inclusive, as in InfluxDB; the engine's end is exclusive.
      if (!pred.none) {
        try {
          await db.delete({ db: name, rp, measurement: pred.measurement, where: pred.where, start, end: stop + 1n });
        } catch (err) {
          if (err instanceof StrataError && err.code === 'STRATA_ERR_DATABASE_NOT_FOUND') throw new StrataError(err.code, 404, `bucket "${bucket}" not found`);
          throw err;
        }
      }
      return reply.code(204).send();
    });
  };
}
