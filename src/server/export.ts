// `GET /export?db=&rp=&measurement=&start=&end=`: stored data as line protocol, streamed.
//
// start (inclusive) and end (exclusive) are ns since the epoch or RFC 3339 times, parsed
// exactly (time.ts). The first chunk is produced before the response starts, so an error
// the engine raises up front still becomes a JSON error; an error later in the stream can
// only cut the response short (it is logged, and the client sees a truncated body).

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { badRequest, databaseNotFound } from '../errors.js';
import { parseTime } from './time.js';
import { param as queryParam } from './params.js';

export interface ExportRoutesOptions {
  db: Database;
}

/** A query parameter, an empty value counting as absent. */
function param(request: FastifyRequest, name: string): string | undefined {
  return queryParam(request, name) || undefined;
}

function timeParam(request: FastifyRequest, name: 'start' | 'end'): bigint | undefined {
  const v = param(request, name);
  if (v === undefined) return undefined;
  const t = parseTime(v);
  if (t === null) {
    throw badRequest(
      'STRATA_ERR_BAD_PARAMETER',
      `invalid ${name} parameter "${v}": use nanoseconds since the epoch or an RFC 3339 time such as 2024-01-02T03:04:05.123456789Z`,
    );
  }
  return t;
}

/** The chunks again, the first one already taken. */
function* resume(first: string, rest: Generator<string>): Generator<string> {
  try {
    yield first;
    yield* rest;
  } finally {
    rest.return(undefined); // the client went away: let the engine release what it holds
  }
}

export function exportPlugin(opts: ExportRoutesOptions) {
  const { db } = opts;
  return async function exportRoutes(app: FastifyInstance): Promise<void> {
    app.get('/export', { config: { errorStyle: 'v1' } }, async (request, reply) => {
      const name = param(request, 'db');
      if (!name) throw badRequest('STRATA_ERR_DATABASE_REQUIRED', 'database is required');
      const start = timeParam(request, 'start');
      const end = timeParam(request, 'end');
      if (!db.hasDatabase(name)) throw databaseNotFound(name);
      const chunks = exportLineProtocol(db, {
        db: name,
        rp: param(request, 'rp'),
        measurement: param(request, 'measurement'),
        start,
        end,
      });
      const first = chunks.next();
      reply.code(200).type('text/plain; charset=utf-8');
      if (first.done) return reply.send('');
      // Readable.from pulls the generator as the socket drains (backpressure), and
      // returns it (running its finally blocks) when the client goes away.
      return reply.send(Readable.from(resume(first.value, chunks), { objectMode: false }));
    });
  };
}
