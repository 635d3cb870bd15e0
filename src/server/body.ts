// Raw request bodies for the write endpoints: bytes in, never parsed by fastify.
//
// Line protocol arrives with whatever Content-Type the sender likes (Telegraf says
// text/plain, curl says application/x-www-form-urlencoded, some scripts say
// application/json), so the write plugin ignores Content-Type and takes the bytes as a
// Buffer. `Content-Encoding: gzip` is decompressed here. The size limit applies twice: to
// the bytes on the wire and to the decompressed body (zlib's `maxOutputLength` stops the
// inflater at the limit), so a small gzip bomb cannot allocate more than the limit.

import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';

/** Default limit: 25 MiB, InfluxDB's default `max-body-size`. */
export const DEFAULT_BODY_LIMIT = 25 * 1024 * 1024;

type Encoding = 'identity' | 'gzip';

function encodingOf(req: FastifyRequest): Encoding {
  const raw = req.headers['content-encoding'];
  const v = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  throw badRequest(
    'STRATA_ERR_UNSUPPORTED_ENCODING',
    `unsupported Content-Encoding "${v}": send the body uncompressed or with Content-Encoding: gzip`,
    415,
  );
}

function tooLarge(limit: number, what: string) {
  return badRequest(
    'STRATA_ERR_BODY_TOO_LARGE',
    `request body too large: ${what} is over the limit of ${limit} bytes; send smaller batches or raise the server's body limit`,
    413,
  );
}

/** Reads the raw bytes of a request, at most `limit` of them. */
function readRaw(payload: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop collecting but keep the stream flowing (data is discarded), as fastify does,
        // so the client can still read the 413 on a keep-alive connection.
        cleanup();
        payload.resume();
        reject(tooLarge(limit, 'the body as sent'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  });
}

function decompress(body: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return reject(tooLarge(limit, 'the decompressed body'));
      }
      reject(badRequest('STRATA_ERR_BAD_GZIP', `invalid gzip body: ${err.message}; check the Content-Encoding header`));
    });
  });
}

/** The body of a request, decompressed, never over `limit` bytes. */
export async function readBody(req: FastifyRequest, payload: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = encodingOf(req);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, 'the body as sent');
  const raw = await readRaw(payload, limit);
  if (encoding === 'identity') return raw;
  return decompress(raw, limit);
}

/**
 * Makes every request body in `app`'s scope a raw, decompressed Buffer (`request.body`),
 * whatever its Content-Type. Register inside an encapsulated plugin: the parsers of other
 * plugins are not affected.
 */
export function useRawBodies(app: FastifyInstance, limit: number): void {
  // Content-Type carries no information for line protocol, and fastify refuses a
  // malformed one (415) before any parser runs; dropping it makes "any Content-Type" true.
  app.addHook('onRequest', async (request) => {
    delete request.raw.headers['content-type'];
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) => readBody(request, payload, limit));
}

/** The body a write route received: empty when the request had none. */
export function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
