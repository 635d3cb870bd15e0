// Line protocol writes: InfluxDB 1.x `POST /write` and 2.x `POST /api/v2/write`.
//
// The routes only translate: query parameters to WriteOptions, the raw body (body.ts) to
// `db.write`, and the result to a status. A write with bad lines is a partial write: the
// engine stores the good lines and returns the bad ones, and the response says which, in
// the shape each API's clients parse (they look for `dropped=(\d+)` at the end).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parsePrecision, type Database } from '../engine/database.js';
import { badRequest, StrataError } from '../errors.js';
import type { FsyncMode, LineError, Precision, WriteResult } from '../types.js';
import { bodyOf, useRawBodies } from './body.js';
import { bucketParam, param } from './params.js';

export interface WriteRoutesOptions {
  db: Database;
  /** Largest body accepted, after decompression, in bytes. */
  bodyLimit: number;
}

/** How many bad lines a partial-write message names before "(and N more)". */
const NAMED_LINES = 3;
/** Longest single line error quoted in a message (a bad line can be megabytes long). */
const MAX_LINE_MESSAGE = 256;

const FSYNC_MODES: readonly FsyncMode[] = ['always', 'interval', 'off'];



function fsyncParam(request: FastifyRequest): FsyncMode | undefined {
  const v = param(request, 'fsync');
  if (v === undefined || v === '') return undefined;
  if ((FSYNC_MODES as readonly string[]).includes(v)) return v as FsyncMode;
  throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid fsync parameter "${v}": use always, interval or off`);
}

/** Throws the engine's 400 `invalid precision "x": use ...` for a bad value. */
function precisionParam(request: FastifyRequest): Precision {
  return parsePrecision(param(request, 'precision'));
}

/**
 * `partial write: line 3: unable to parse ...; line 9: ... (and 12 more) dropped=N`.
 * `dropped=N` comes last because connectors parse it with `dropped=(\d+)`.
 */
export function partialWriteMessage(errors: readonly LineError[]): string {
  const named = errors.slice(0, NAMED_LINES).map((e) => `line ${e.line}: ${truncate(e.message)}`);
  const more = errors.length > NAMED_LINES ? ` (and ${errors.length - NAMED_LINES} more)` : '';
  return `partial write: ${named.join('; ')}${more} dropped=${errors.length}`;
}

function truncate(s: string): string {
  return s.length > MAX_LINE_MESSAGE ? `${s.slice(0, MAX_LINE_MESSAGE - 3)}...` : s;
}

/** 204 when every line was stored; otherwise the partial-write error (good lines are stored). */
function answer(reply: FastifyReply, result: WriteResult, api: 'v1' | 'v2'): FastifyReply {
  reply.header('X-Strata-Fsync', result.fsync);
  if (result.errors.length === 0) return reply.code(204).send();
  // v2 separates malformed input (400 invalid) from well-formed lines refused because a
  // field's type conflicts with what is stored (422 unprocessable entity); v1 has only 400.
  const onlyConflicts = result.errors.every((e) => e.kind !== 'syntax'); // type conflicts, series limit
  const status = api === 'v2' && onlyConflicts ? 422 : 400;
  throw new StrataError('STRATA_ERR_PARTIAL_WRITE', status, partialWriteMessage(result.errors));
}

export function writePlugin(opts: WriteRoutesOptions) {
  const { db } = opts;
  return async function writeRoutes(app: FastifyInstance): Promise<void> {
    useRawBodies(app, opts.bodyLimit);

    // v1: ?db=&rp=&precision=&u=&p=&consistency= (u, p and consistency are ignored).
    app.post('/write', { config: { errorStyle: 'v1' } }, async (request, reply) => {
      const name = param(request, 'db');
      if (!name) throw badRequest('STRATA_ERR_DATABASE_REQUIRED', 'database is required');
      const precision = precisionParam(request);
      const fsync = fsyncParam(request);
      const result = await db.write(bodyOf(request), { db: name, rp: param(request, 'rp') || undefined, precision, fsync });
      return answer(reply, result, 'v1');
    });

    // v2: ?org=&orgID=&bucket=&precision= (org, orgID and the token are ignored). As in
    // InfluxDB 1.8's 2.x compatibility API, bucket "db/rp" names a database and retention
    // policy, and a bucket without "/" is a database with its default retention policy.
    app.post('/api/v2/write', { config: { errorStyle: 'v2' } }, async (request, reply) => {
      const { bucket, name, rp } = bucketParam(request);
      const precision = precisionParam(request);
      const fsync = fsyncParam(request);
      let result: WriteResult;
      try {
        result = await db.write(bodyOf(request), { db: name, rp, precision, fsync });
      } catch (err) {
        if (err instanceof StrataError && err.code === 'STRATA_ERR_DATABASE_NOT_FOUND') {
          throw new StrataError(err.code, 404, `bucket "${bucket}" not found`);
        }
        throw err;
      }
      return answer(reply, result, 'v2');
    });
  };
}
