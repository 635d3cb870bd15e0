// The retention admin API: a database's policies with their downsampling tiers, read and
// set as JSON (InfluxQL's CREATE/ALTER RETENTION POLICY and the library's setRetention /
// setTiers do the same). Durations are InfluxQL-style strings ("7d", "1h30m", "0" or
// "INF" for forever) in requests and in answers.
//
//   GET /admin/retention?db=D            the policies of D
//   PUT /admin/retention/:db/:rp         creates or changes one policy (body below)
//   GET /admin/rollups                   the downsampler's progress per tier
//   POST /admin/rollups/tick             rolls up what is complete now, answers when done
//
// PUT body: { "duration": "7d", "shardDuration": "1d", "default": true,
//             "tiers": [ { "resolution": "1m", "duration": "90d", "grace": "1h" }, ... ] }
// Every member is optional; "tiers" replaces the whole list ([] removes them).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validateTiers, type Database } from '../engine/database.js';
import { shortDuration, type TierSpec } from '../engine/meta.js';
import { badRequest, databaseNotFound } from '../errors.js';
import type { Downsampler } from '../retention/downsampler.js';
import { parseDurationNs } from '../views/kv.js';
import { JSON_UTF8 } from './errors.js';

export interface RetentionApiOptions {
  db: Database;
  /** The downsampler (serve.ts); absent: /admin/rollups answers 404. */
  downsampler?: Downsampler;
}

/** JSON with bigints as decimal strings (ns times and durations). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

interface TierBody {
  resolution?: unknown;
  duration?: unknown;
  grace?: unknown;
}

/** A duration member of the body: "0"/"INF" (forever) when `forever` is allowed. */
function duration(v: unknown, what: string, forever: boolean): bigint {
  if (typeof v !== 'string') throw badRequest('STRATA_ERR_BAD_PARAMETER', `${what} must be a duration string such as "7d" or "1h30m"${forever ? ' ("0" or "INF": forever)' : ''}`);
  if (forever && (v === '0' || v.toUpperCase() === 'INF')) return 0n;
  if (!forever && v === '0') return 0n;
  return parseDurationNs(v, what);
}

function show(ns: bigint): string {
  return ns === 0n ? '0' : shortDuration(ns);
}

/** The policy `rp` is a tier of, or null. */
function tierParent(db: Database, name: string, rp: string): string | null {
  for (const parent of Object.keys(db.retentionPolicies(name))) {
    if (db.tiersOf(name, parent).some((t) => t.name === rp)) return parent;
  }
  return null;
}

/** The policies of one database, tiers nested under the policy they roll up. */
export function describeRetention(db: Database, name: string): object {
  const rps = db.retentionPolicies(name);
  const def = db.defaultRetentionPolicy(name);
  const tierNames = new Set<string>();
  for (const rp of Object.keys(rps)) for (const t of db.tiersOf(name, rp)) tierNames.add(t.name);
  const policies = Object.keys(rps)
    .filter((rp) => !tierNames.has(rp))
    .map((rp) => ({
      name: rp,
      duration: show(rps[rp]),
      shardDuration: show(db.shardDurationOf(name, rp)),
      default: rp === def,
      tiers: db.tiersOf(name, rp).map((t) => ({ name: t.name, resolution: show(t.resolution), duration: show(t.duration), grace: show(t.grace) })),
    }));
  return { database: name, defaultPolicy: def, policies };
}

export function retentionPlugin(opts: RetentionApiOptions) {
  const { db } = opts;
  return async function retentionRoutes(app: FastifyInstance): Promise<void> {
    const send = (reply: FastifyReply, name: string) => reply.code(200).type(JSON_UTF8).send(JSON.stringify(describeRetention(db, name)));

    const ds = opts.downsampler;
    if (ds) {
      app.get('/admin/rollups', async (_request, reply) => reply.code(200).type(JSON_UTF8).send(toJson(ds.stats())));
      app.post('/admin/rollups/tick', async (_request, reply) => reply.code(200).type(JSON_UTF8).send(toJson(await ds.tick())));
    }

    app.get('/admin/retention', async (request: FastifyRequest<{ Querystring: { db?: string } }>, reply) => {
      const name = request.query.db;
      if (name === undefined || name === '') throw badRequest('STRATA_ERR_DATABASE_REQUIRED', 'database is required: pass ?db=');
      if (!db.hasDatabase(name)) throw databaseNotFound(name);
      return send(reply, name);
    });

    app.put('/admin/retention/:db/:rp', async (request: FastifyRequest<{ Params: { db: string; rp: string } }>, reply) => {
      const { db: name, rp } = request.params;
      const body = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw badRequest('STRATA_ERR_BAD_PARAMETER', 'the body must be a JSON object such as {"duration":"7d","tiers":[{"resolution":"1m","duration":"90d"}]}');
      }
      const b = body as Record<string, unknown>;
      for (const k of Object.keys(b)) {
        if (!['duration', 'shardDuration', 'default', 'tiers'].includes(k)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `unknown member "${k}": use duration, shardDuration, default or tiers`);
      }
      if (!db.hasDatabase(name)) throw databaseNotFound(name);
      // Everything is checked before anything changes.
      const exists = Object.hasOwn(db.retentionPolicies(name), rp);
      const dur = b.duration === undefined ? undefined : duration(b.duration, 'duration', true);
      const shard = b.shardDuration === undefined ? undefined : duration(b.shardDuration, 'shardDuration', false);
      if (b.default !== undefined && typeof b.default !== 'boolean') throw badRequest('STRATA_ERR_BAD_PARAMETER', 'default must be true or false');
      let tiers: TierSpec[] | undefined;
      if (b.tiers !== undefined) {
        if (!Array.isArray(b.tiers)) throw badRequest('STRATA_ERR_BAD_PARAMETER', 'tiers must be a list such as [{"resolution":"1m","duration":"90d"}]');
        tiers = (b.tiers as TierBody[]).map((t, i) => {
          if (typeof t !== 'object' || t === null) throw badRequest('STRATA_ERR_BAD_PARAMETER', `tiers[${i}] must be an object with resolution and duration`);
          return {
            resolution: duration(t.resolution, `tiers[${i}].resolution`, false),
            duration: t.duration === undefined ? 0n : duration(t.duration, `tiers[${i}].duration`, true),
            ...(t.grace === undefined ? {} : { grace: duration(t.grace, `tiers[${i}].grace`, false) }),
          };
        });
      }
      if (!exists && dur === undefined) throw badRequest('STRATA_ERR_BAD_PARAMETER', `retention policy "${rp}" does not exist: give its duration to create it`);
      if (tiers !== undefined) validateTiers(tiers);
      const parent = tierParent(db, name, rp);
      if (parent !== null) {
        throw badRequest('STRATA_ERR_BAD_PARAMETER', `retention policy "${rp}" is a downsampling tier of "${parent}": change it through the tiers of "${parent}"`);
      }
      if (dur !== undefined || shard !== undefined) {
        db.setRetention(name, rp, dur ?? db.retentionPolicies(name)[rp], shard === undefined ? {} : { shardDuration: shard });
      }
      if (tiers !== undefined) await db.setTiers(name, rp, tiers);
      if (b.default === true) db.setDefaultRetentionPolicy(name, rp);
      return send(reply, name);
    });
  };
}
