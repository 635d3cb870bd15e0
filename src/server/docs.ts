// /doc: the document view over HTTP (src/views/docs.ts does the work; docs/views.md).
//
//   POST   /doc/:collection                    create (id: ?id=, the body's _id, or generated) → 201 {"id"}
//   GET    /doc/:collection/:id[?at=]          the document now or as of a time; ETag = version
//   PUT    /doc/:collection/:id                replace (or create)
//   PATCH  /doc/:collection/:id                JSON merge patch (RFC 7386)
//   DELETE /doc/:collection/:id                a tombstone (history is kept)
//   GET    /doc/:collection/:id/history        every version, deletions included
//   PUT    /doc/:collection/_indexes           {"fields": ["author", "user.address.city"]}
//   GET    /doc/:collection/_indexes           the declared indexed fields
//   GET    /doc/:collection?where=f=v&limit=&after=[&at=]   live documents, by id

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import { badRequest } from '../errors.js';
import { asObject, DEFAULT_FIND_LIMIT, docJson, docNotFound, DocStore, MAX_FIND_LIMIT, versionJson, type DocFilter, type DocWriteOptions } from '../views/docs.js';
import { parseEtags, parseJson } from '../views/kv.js';
import { JSON_UTF8 } from './errors.js';
import { atParam, limitParam, rawBodies, textBody } from './kv.js';
import { param } from './params.js';

export interface DocRoutesOptions {
  db: Database;
  /** The store to serve (default: one over `db`, database `_doc`, the system clock). */
  docs?: DocStore;
  /** Largest document body in bytes (default 1 MiB). */
  bodyLimit?: number;
}

export const DOC_BODY_LIMIT = 1024 * 1024;

function jsonBody(request: FastifyRequest): unknown {
  const text = textBody(request);
  if (text.trim() === '') throw badRequest('STRATA_ERR_BAD_JSON', 'body is empty: send a JSON object');
  return parseJson(text, 'body');
}

function preconditions(request: FastifyRequest): DocWriteOptions {
  const m = request.headers['if-match'];
  const n = request.headers['if-none-match'];
  return {
    ifMatch: typeof m === 'string' ? parseEtags(m) : undefined,
    ifNoneMatch: typeof n === 'string' ? parseEtags(n) : undefined,
  };
}

/** `?where=field=value`, repeatable (all must hold). */
function whereParams(request: FastifyRequest): DocFilter[] {
  const raw = (request.query as Record<string, string | string[] | undefined>).where;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid where parameter "${w}": use where=field=value (a dotted path such as user.address.city for nested fields)`);
    return { path: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

export function docsPlugin(opts: DocRoutesOptions) {
  return async function docRoutes(app: FastifyInstance): Promise<void> {
    const docs = opts.docs ?? new DocStore({ db: opts.db });
    rawBodies(app, opts.bodyLimit ?? DOC_BODY_LIMIT);

    type C = { collection: string };
    type P = { collection: string; id: string };

    app.post<{ Params: C }>('/doc/:collection', async (request, reply) => {
      const { collection } = request.params;
      const body = asObject(jsonBody(request));
      const id = param(request, 'id') || undefined;
      const v = await docs.create(collection, body, id);
      reply.header('Location', `/doc/${encodeURIComponent(collection)}/${encodeURIComponent(v.id)}`);
      reply.header('ETag', `"${v.version}"`);
      return reply.code(201).type(JSON_UTF8).send(JSON.stringify({ id: v.id, version: String(v.version) }));
    });

    app.put<{ Params: C }>('/doc/:collection/_indexes', async (request, reply) => {
      const body = asObject(jsonBody(request));
      const res = await docs.setIndexes(request.params.collection, body.fields as string[]);
      return reply.code(200).type(JSON_UTF8).send(JSON.stringify(res));
    });

    app.get<{ Params: C }>('/doc/:collection/_indexes', async (request, reply) => {
      return reply.code(200).type(JSON_UTF8).send(JSON.stringify({ fields: docs.indexes(request.params.collection) }));
    });

    app.get<{ Params: C }>('/doc/:collection', async (request, reply) => {
      const where = whereParams(request);
      const limit = limitParam(request, DEFAULT_FIND_LIMIT, MAX_FIND_LIMIT);
      const after = param(request, 'after') || undefined;
      const at = atParam(request);
      const res = docs.find(request.params.collection, { where, limit, after, at });
      reply.header('X-Strata-Index', res.indexed ? 'used' : 'scan');
      const body = `{"documents":[${res.documents.map(docJson).join(',')}],"next":${res.next === null ? 'null' : JSON.stringify(res.next)}}`;
      return reply.code(200).type(JSON_UTF8).send(body);
    });

    app.get<{ Params: P }>('/doc/:collection/:id', async (request, reply) => {
      const { collection, id } = request.params;
      const at = atParam(request);
      const v = docs.get(collection, id, at);
      if (!v) throw docNotFound(collection, id, at);
      reply.header('ETag', `"${v.version}"`);
      reply.header('X-Strata-Version', String(v.version));
      return reply.code(200).type(JSON_UTF8).send(docJson(v));
    });

    app.get<{ Params: P }>('/doc/:collection/:id/history', async (request, reply) => {
      const { collection, id } = request.params;
      const versions = docs.history(collection, id);
      if (versions.length === 0) throw docNotFound(collection, id);
      const body = `{"collection":${JSON.stringify(collection)},"id":${JSON.stringify(id)},"versions":[${versions.map(versionJson).join(',')}]}`;
      return reply.code(200).type(JSON_UTF8).send(body);
    });

    app.put<{ Params: P }>('/doc/:collection/:id', async (request, reply) => {
      const { collection, id } = request.params;
      const v = await docs.put(collection, id, asObject(jsonBody(request)), preconditions(request));
      reply.header('ETag', `"${v.version}"`);
      return reply.code(200).type(JSON_UTF8).send(docJson(v));
    });

    app.patch<{ Params: P }>('/doc/:collection/:id', async (request, reply) => {
      const { collection, id } = request.params;
      const v = await docs.patch(collection, id, jsonBody(request), preconditions(request));
      reply.header('ETag', `"${v.version}"`);
      return reply.code(200).type(JSON_UTF8).send(docJson(v));
    });

    app.delete<{ Params: P }>('/doc/:collection/:id', async (request, reply) => {
      const { collection, id } = request.params;
      const v = await docs.delete(collection, id, preconditions(request));
      reply.header('ETag', `"${v.version}"`);
      return reply.code(200).type(JSON_UTF8).send(JSON.stringify({ id: v.id, version: String(v.version), deleted: true }));
    });
  };
}
