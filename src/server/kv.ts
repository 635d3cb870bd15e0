// /kv: the key/value view over HTTP (src/views/kv.ts does the work; docs/views.md).
//
//   PUT    /kv/:namespace/:key            store a value (any text body; its Content-Type is kept)
//   GET    /kv/:namespace/:key[?at=]      the value now or as of a time; ETag = version
//   GET    /kv/:namespace/:key/history    every version, deletions included
//   DELETE /kv/:namespace/:key            a tombstone (history is kept)
//   GET    /kv/:namespace?prefix=&limit=&after=[&at=]   live keys, sorted
//   GET    /kv/:namespace?watch=true&prefix=            server-sent events of changes

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import { badRequest } from '../errors.js';
import { DEFAULT_LIST_LIMIT, checkCollectionName, entryJson, KvStore, MAX_LIST_LIMIT, notFound, parseDurationNs, parseEtags, TEXT_PLAIN, type KvChange } from '../views/kv.js';
import { readBody } from './body.js';
import { JSON_UTF8 } from './errors.js';
import { param } from './params.js';
import { parseTime } from './time.js';

export interface KvRoutesOptions {
  db: Database;
  /** The store to serve (default: one over `db`, database `_kv`, the system clock). */
  kv?: KvStore;
  /** Largest value in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Seconds between keep-alive comments on a watch stream (default 15). */
  heartbeatSeconds?: number;
}

export const KV_BODY_LIMIT = 1024 * 1024;
/** Unsent bytes a watch stream may hold before its client is disconnected. */
export const WATCH_BUFFER_LIMIT = 8 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The request body as text; a 400 when it is not UTF-8. */
export function textBody(request: FastifyRequest): string {
  const b = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  try {
    return utf8.decode(b);
  } catch {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', 'body is not valid UTF-8: values are text; base64-encode binary data');
  }
}

/** Registers a raw body parser for every content type in the plugin's scope (Content-Type kept). */
export function rawBodies(app: FastifyInstance, limit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) => readBody(request, payload, limit));
}

/** `?at=` as ns (RFC 3339 or integer ns), undefined when absent. */
export function atParam(request: FastifyRequest): bigint | undefined {
  const at = param(request, 'at');
  if (at === undefined || at === '') return undefined;
  const t = parseTime(at);
  if (t === null) throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid at parameter "${at}": use an RFC 3339 time (2024-05-01T12:00:00Z) or integer ns since the epoch`);
  return t;
}

export function limitParam(request: FastifyRequest, def = DEFAULT_LIST_LIMIT, max = MAX_LIST_LIMIT): number {
  const v = param(request, 'limit');
  if (v === undefined || v === '') return def;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1 || Number(v) > max) {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid limit parameter "${v}": use an integer from 1 to ${max}`);
  }
  return Number(v);
}

/**
 * The content type stored with a value. Without one, or with curl's default for `-d`
 * (application/x-www-form-urlencoded), a body that parses as JSON is JSON and anything
 * else is text, so `curl -X PUT -d '"dark"' .../kv/ui/theme` stores JSON.
 */
export function contentType(declared: string | undefined, body: string): string {
  const d = (declared ?? '').trim();
  if (d !== '' && !d.toLowerCase().startsWith('application/x-www-form-urlencoded')) return d;
  try {
    JSON.parse(body);
    return 'application/json';
  } catch {
    return TEXT_PLAIN;
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function kvPlugin(opts: KvRoutesOptions) {
  return async function kvRoutes(app: FastifyInstance): Promise<void> {
    const kv = opts.kv ?? new KvStore({ db: opts.db });
    const heartbeatMs = (opts.heartbeatSeconds ?? 15) * 1000;
    const streams = new Set<ServerResponse>();
    rawBodies(app, opts.bodyLimit ?? KV_BODY_LIMIT);
    // Before the server stops accepting: open streams would keep it waiting forever.
    app.addHook('preClose', async () => {
      // End each stream and close its connection (an ended keep-alive socket would still
      // hold the server until the client lets go of it).
      for (const s of streams) s.end(() => s.socket?.destroy());
    });

    type P = { namespace: string; key: string };

    app.put<{ Params: P }>('/kv/:namespace/:key', async (request, reply) => {
      const { namespace, key } = request.params;
      const body = textBody(request);
      const type = contentType(header(request, 'content-type'), body);
      const ttlText = param(request, 'ttl') ?? header(request, 'x-strata-ttl');
      const ttl = ttlText !== undefined && ttlText !== '' ? parseDurationNs(ttlText) : undefined;
      const ifMatch = header(request, 'if-match');
      const ifNoneMatch = header(request, 'if-none-match');
      const e = await kv.put(namespace, key, body, {
        type,
        ttl,
        ifMatch: ifMatch !== undefined ? parseEtags(ifMatch) : undefined,
        ifNoneMatch: ifNoneMatch !== undefined ? parseEtags(ifNoneMatch) : undefined,
      });
      reply.header('ETag', `"${e.version}"`);
      return reply.code(200).type(JSON_UTF8).send(entryJson(e, false));
    });

    app.get<{ Params: P }>('/kv/:namespace/:key', async (request, reply) => {
      const { namespace, key } = request.params;
      const at = atParam(request);
      const e = kv.get(namespace, key, at);
      if (!e) throw notFound(namespace, key, at);
      reply.header('ETag', `"${e.version}"`);
      reply.header('X-Strata-Version', String(e.version));
      if (e.expires !== null) reply.header('X-Strata-Expires', String(e.expires));
      return reply.code(200).type(e.type || TEXT_PLAIN).send(e.value);
    });

    app.get<{ Params: P }>('/kv/:namespace/:key/history', async (request, reply) => {
      const { namespace, key } = request.params;
      const versions = kv.history(namespace, key);
      if (versions.length === 0) throw notFound(namespace, key);
      const body = `{"namespace":${JSON.stringify(namespace)},"key":${JSON.stringify(key)},"versions":[${versions.map((e) => entryJson(e)).join(',')}]}`;
      return reply.code(200).type(JSON_UTF8).send(body);
    });

    app.delete<{ Params: P }>('/kv/:namespace/:key', async (request, reply) => {
      const { namespace, key } = request.params;
      const ifMatch = header(request, 'if-match');
      const e = await kv.delete(namespace, key, { ifMatch: ifMatch !== undefined ? parseEtags(ifMatch) : undefined });
      reply.header('ETag', `"${e.version}"`);
      return reply.code(200).type(JSON_UTF8).send(entryJson(e, false));
    });

    app.get<{ Params: { namespace: string } }>('/kv/:namespace', async (request, reply) => {
      const { namespace } = request.params;
      const prefix = param(request, 'prefix') ?? '';
      const watch = param(request, 'watch');
      if (watch === 'true' || watch === '1') {
        checkCollectionName('namespace', namespace); // a 400 before the stream starts
        reply.hijack();
        const raw = reply.raw;
        const unsubscribe = kv.watch(namespace, prefix, (c: KvChange) => {
          // A client that stops reading is dropped rather than buffered without bound.
          if (raw.writableLength > WATCH_BUFFER_LIMIT) return void raw.destroy();
          raw.write(`event: ${c.op}\nid: ${c.entry.version}\ndata: ${entryJson(c.entry)}\n\n`);
        });
        raw.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
          'X-Influxdb-Version': String(reply.getHeader('X-Influxdb-Version') ?? ''),
        });
        raw.write(': watching namespace ' + JSON.stringify(namespace) + ' prefix ' + JSON.stringify(prefix) + '\n\n');
        streams.add(raw);
        const timer = setInterval(() => raw.write(': ping\n\n'), heartbeatMs);
        timer.unref();
        const stop = () => {
          clearInterval(timer);
          unsubscribe();
          streams.delete(raw);
        };
        raw.on('close', stop);
        return reply;
      }
      if (watch !== undefined && watch !== '' && watch !== 'false' && watch !== '0') {
        throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid watch parameter "${watch}": use true or false`);
      }
      const limit = limitParam(request);
      const after = param(request, 'after') || undefined;
      const at = atParam(request);
      const { entries, next } = kv.list(namespace, { prefix, limit, after, at });
      const body = `{"namespace":${JSON.stringify(namespace)},"keys":[${entries.map((e) => entryJson(e)).join(',')}],"next":${next === null ? 'null' : JSON.stringify(next)}}`;
      return reply.code(200).type(JSON_UTF8).send(body);
    });
  };
}

