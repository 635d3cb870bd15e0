// Query-string parameters shared by the write and delete routes.

import type { FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';

type Query = Record<string, string | string[] | undefined>;

/** The first value of a query parameter (Go's `url.Values.Get`), or undefined. */
export function param(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Query)[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The v2 `bucket` parameter as database and retention policy: as in InfluxDB 1.8's 2.x
 * compatibility API, "db/rp" names both and "db" the database (rp undefined).
 */
export function bucketParam(request: FastifyRequest): { bucket: string; name: string; rp: string | undefined } {
  const bucket = param(request, 'bucket');
  if (!bucket) throw badRequest('STRATA_ERR_DATABASE_REQUIRED', 'bucket is required');
  const slash = bucket.indexOf('/');
  const name = slash < 0 ? bucket : bucket.slice(0, slash);
  const rp = slash < 0 ? undefined : bucket.slice(slash + 1) || undefined;
  if (!name) throw badRequest('STRATA_ERR_DATABASE_REQUIRED', `bucket "${bucket}" names no database: use "db" or "db/rp"`);
  return { bucket, name, rp };
}
