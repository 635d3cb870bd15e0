// Prometheus remote write (receiving): `POST /api/v1/write`, what `remote_write.url` points at.
//
// Remote write 1.0: a snappy-compressed (block format) `prometheus.WriteRequest` protobuf;
// remote write 2.0 (`Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request`,
// labels as references into a symbol table) too. src/ingest/remoteWrite.ts decodes either
// into a PointBatch (sample `name{labels}` ->
// measurement `name`, field `value`, tags = the other labels) and `db.writeBatch` stores it
// with the same checks, WAL record and fsync as a line-protocol write.
//
// `?db=` names the database (default `prometheus`, created on first write like any
// database), `?rp=` the retention policy (default: the database's default).
//
// Answers, chosen for how Prometheus' queue manager reacts (it retries 5xx and 429, and
// drops a batch on any other 4xx):
//   204  every sample stored (X-Prometheus-Remote-Write-Samples-Written says how many);
//   400  some samples rejected (a series without __name__, a label we cannot store, a
//        native histogram, a type conflict, ...): the others are stored, the message names
//        the first bad series; retrying would not help, so 4xx is right;
//   400  the body is not snappy or not a WriteRequest (nothing stored);
//   413  the body, as sent or uncompressed, is over the body limit;
//   415  Content-Encoding other than snappy, or a protobuf message other than 1.0's or 2.0's;
//   503  + Retry-After when the engine is overloaded (Prometheus retries).

import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../engine/database.js';
import { badRequest, StrataError } from '../errors.js';
import { RemoteWriteDecoder } from '../ingest/remoteWrite.js';
import type { LineError } from '../types.js';
import { bodyOf, useRawBodies } from './body.js';
import { param } from './params.js';

export interface RemoteWriteRoutesOptions {
  db: Database;
  /** Largest body accepted, as sent and uncompressed, in bytes. */
  bodyLimit: number;
  /** Database written when the request has no `?db=` (default "prometheus"). */
  defaultDb?: string;
}

export const DEFAULT_REMOTE_WRITE_DB = 'prometheus';

/** How many distinct problems a 400 message names before "(and N more)". */
const NAMED = 3;
const MAX_PROBLEM = 400;

/** The Content-Type and Content-Encoding a request came with. */
interface SentHeaders {
  type: string;
  encoding: string;
}

function headerOf(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim();
}

/** `proto=` of a Content-Type, lower-cased ('' when absent). */
function protoOf(contentType: string): string {
  for (const part of contentType.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() === 'proto') return part.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return '';
}

/** The remote-write version of a request sent with headers `h` (by its Content-Type's
 * `proto=`; 1.0 when there is none, as the 1.0 spec says); refuses other messages and
 * encodings than snappy. */
function versionOf(h: SentHeaders): 1 | 2 {
  const proto = protoOf(h.type);
  let version: 1 | 2 = 1;
  if (proto === 'io.prometheus.write.v2.Request') version = 2;
  else if (proto !== '' && proto !== 'prometheus.WriteRequest') {
    throw badRequest(
      'STRATA_ERR_UNSUPPORTED_REMOTE_WRITE',
      `unsupported remote-write message "${proto}": Strata receives prometheus.WriteRequest (remote write 1.0) and io.prometheus.write.v2.Request (2.0)`,
      415,
    );
  }
  const enc = h.encoding.toLowerCase();
  // Prometheus always sends snappy; its own receiver does not look at the header either,
  // so a request without one is read as snappy too.
  if (enc !== '' && enc !== 'snappy') {
    throw badRequest(
      'STRATA_ERR_UNSUPPORTED_ENCODING',
      `unsupported Content-Encoding "${enc}" for remote write: the body must be snappy-compressed (block format) with Content-Encoding: snappy`,
      415,
    );
  }
  return version;
}

/**
 * `partial write: sample 7: series {job="x"}: has no metric name (no __name__ label);
 * ... (and N more) dropped=M`: distinct problems in request order (the samples of one bad
 * series share one), each with the number of its first sample.
 */
export function remoteWriteErrorMessage(errors: readonly LineError[]): string {
  const named: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (seen.has(e.message)) continue;
    seen.add(e.message);
    if (named.length < NAMED) {
      const m = e.message.length > MAX_PROBLEM ? `${e.message.slice(0, MAX_PROBLEM - 3)}...` : e.message;
      named.push(`sample ${e.line}: ${m}`);
    }
  }
  const more = seen.size > named.length ? ` (and ${seen.size - named.length} more)` : '';
  return `partial write: ${named.join('; ')}${more} dropped=${errors.length}`;
}

export function remoteWritePlugin(opts: RemoteWriteRoutesOptions) {
  const { db, bodyLimit } = opts;
  const defaultDb = opts.defaultDb ?? DEFAULT_REMOTE_WRITE_DB;
  return async function remoteWriteRoutes(app: FastifyInstance): Promise<void> {
    // The headers each request came with (the raw-body parser of this scope removes them
    // from the request before it reads the body), for as long as the request lives.
    const sent = new WeakMap<IncomingMessage, SentHeaders>();
    // Registered before useRawBodies' hook, which deletes Content-Type: keep both headers
    // aside, and take Content-Encoding away so the raw-body reader does not refuse snappy.
    app.addHook('onRequest', async (request) => {
      const headers = request.raw.headers;
      sent.set(request.raw, { type: headerOf(headers['content-type']), encoding: headerOf(headers['content-encoding']) });
      delete headers['content-encoding'];
    });
    useRawBodies(app, bodyLimit);
    // One decoder for the server's lifetime: its series-key cache is what makes decoding fast.
    const decoder = new RemoteWriteDecoder();

    app.post('/api/v1/write', { config: { errorStyle: 'v1' } }, async (request, reply) => {
      const version = versionOf(sent.get(request.raw) ?? { type: '', encoding: '' });
      const name = param(request, 'db') || defaultDb;
      const rp = param(request, 'rp') || undefined;
      const { batch } = decoder.decodeBody(bodyOf(request), bodyLimit, version);
      const result = await db.writeBatch(batch, { db: name, rp });
      reply.header('X-Strata-Fsync', result.fsync);
      // 2.0 requires these (a sender checks them against what it sent); harmless for 1.0
      reply.header('X-Prometheus-Remote-Write-Samples-Written', String(result.points));
      reply.header('X-Prometheus-Remote-Write-Histograms-Written', '0');
      reply.header('X-Prometheus-Remote-Write-Exemplars-Written', '0');
      if (result.errors.length === 0) return reply.code(204).send();
      throw new StrataError('STRATA_ERR_PARTIAL_WRITE', 400, remoteWriteErrorMessage(result.errors));
    });
  };
}
