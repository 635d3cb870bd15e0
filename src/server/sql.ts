// POST /sql: SQL over series (docs/sql.md). The body is JSON
// `{"query": "...", "params": [...], "db": "..."}` or the statement itself as text
// (any other Content-Type); `?db=` names the database too (the body's `db` wins; default
// "default"). Several `;`-separated statements run in order, not atomically (a failing one
// stops the request; the ones before it stay stored); the answer is the last one's result:
// `{"columns":[{"name","type"}],"rows":[[...]]}`. Errors are `{"error": "..."}`.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import { badRequest } from '../errors.js';
import type { TierWatermarks } from '../query/promql/tierSource.js';
import { executeSql, sqlResultToJson } from '../query/sql/index.js';
import type { TierReads } from '../query/sql/tiers.js';
import { JSON_UTF8 } from './errors.js';
import { param } from './params.js';

export interface SqlRoutesOptions {
  db: Database;
  /** Largest body accepted, in bytes. */
  bodyLimit: number;
  /** Clock of now() and of INSERT's default time, ns (default: the engine's wall clock). */
  now?: () => bigint;
  /** The downsampler's watermarks: aggregates over time buckets then read downsampling
   * tiers and answers say which in `X-Strata-Tier` (docs/sql.md, "Downsampling tiers"). */
  tierWatermarks?: TierWatermarks;
}

interface SqlRequest {
  query: string;
  params: unknown[];
  db: string | undefined;
}

function requestOf(request: FastifyRequest): SqlRequest {
  const body = request.body;
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    const b = body as Record<string, unknown>;
    if (typeof b.query !== 'string') throw badRequest('STRATA_ERR_BAD_PARAMETER', 'the JSON body needs a "query" string, as in {"query": "SELECT * FROM cpu", "params": []}');
    if (b.params !== undefined && !Array.isArray(b.params)) throw badRequest('STRATA_ERR_BAD_PARAMETER', '"params" must be an array of the values of ? or $1, $2, ...');
    if (b.db !== undefined && typeof b.db !== 'string') throw badRequest('STRATA_ERR_BAD_PARAMETER', '"db" must be a string');
    return { query: b.query, params: (b.params as unknown[] | undefined) ?? [], db: (b.db as string | undefined) || param(request, 'db') };
  }
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
  const q = text.trim() === '' ? param(request, 'q') : text;
  if (!q || q.trim() === '') throw badRequest('STRATA_ERR_BAD_PARAMETER', 'no SQL statement: send it as the body (text/plain) or as {"query": "..."} (application/json)');
  return { query: q, params: [], db: param(request, 'db') };
}

export function sqlPlugin(opts: SqlRoutesOptions) {
  return async function sqlRoutes(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (_request, body, done) => {
      try {
        const parsed: unknown = JSON.parse(body as string);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          done(badRequest('STRATA_ERR_BAD_PARAMETER', 'the JSON body must be an object: {"query": "...", "params": [...]}'), undefined);
          return;
        }
        done(null, parsed);
      } catch (e) {
        done(badRequest('STRATA_ERR_BAD_PARAMETER', `the body is not JSON: ${(e as Error).message}`), undefined);
      }
    });
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (_request, body, done) => done(null, body));

    app.post('/sql', { config: { errorStyle: 'v1' } }, async (request, reply) => {
      const req = requestOf(request);
      const tiers: TierReads | undefined = opts.tierWatermarks === undefined ? undefined : { watermarks: opts.tierWatermarks, used: new Set() };
      const result = await executeSql(opts.db, req.query, { db: req.db, params: req.params, now: opts.now?.(), tiers });
      if (tiers !== undefined && tiers.used.size > 0) reply.header('X-Strata-Tier', [...tiers.used].sort().join(', '));
      return reply.code(200).type(JSON_UTF8).send(sqlResultToJson(result));
    });
  };
}
