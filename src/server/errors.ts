// The one place where an error becomes an HTTP response.
//
// InfluxDB clients read two error shapes and nothing else: the 1.x API answers
// `{"error": "..."}`, the 2.x API `{"code": "...", "message": "..."}` where `code` is one of
// a fixed set of words chosen by status (influxdb/kit/platform/errors.go). Both are sent as
// `application/json; charset=utf-8`, because the official clients only parse a JSON body.
// A route picks its shape with `config: { errorStyle: 'v2' }`; without one, paths under
// /api/v2/ get the v2 shape and everything else the v1 shape.

import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LaneAnswer } from './lane.js';
import { OverloadedError, StrataError } from '../errors.js';

export type ErrorStyle = 'v1' | 'v2';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error body shape of the route: v1 `{"error"}` or v2 `{"code","message"}`. */
    errorStyle?: ErrorStyle;
  }
}

export const JSON_UTF8 = 'application/json; charset=utf-8';

/** InfluxDB 2.x error codes by HTTP status. */
const V2_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  409: 'conflict',
  413: 'request too large',
  415: 'unsupported media type',
  422: 'unprocessable entity',
  429: 'too many requests',
  501: 'not implemented',
  503: 'unavailable',
};

export function v2Code(status: number): string {
  return V2_CODES[status] ?? (status >= 500 ? 'internal error' : 'invalid');
}

export function errorStyleOf(request: FastifyRequest): ErrorStyle {
  const style = request.routeOptions?.config?.errorStyle;
  if (style) return style;
  return request.url.startsWith('/api/v2/') ? 'v2' : 'v1';
}

/** Sends an error in the request's API shape. `code` is Strata's stable error code, if any. */
export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, message: string, code?: string): FastifyReply {
  return sendAnswer(reply, apiError(errorStyleOf(request), status, message, code));
}

/** An error answer in an API's shape (v1 or v2), with the X-Influxdb-Error header. */
export function apiError(style: ErrorStyle, status: number, message: string, code?: string): LaneAnswer {
  const headers: Record<string, string> = { 'content-type': JSON_UTF8 };
  // InfluxDB 1.x also puts the message in X-Influxdb-Error (some tools log only headers);
  // header values must be latin-1 without control characters, so the message is reduced.
  headers['x-influxdb-error'] = headerSafe(message);
  if (code) headers['x-strata-error-code'] = code;
  const body = style === 'v2' ? { code: v2Code(status), message } : { error: message };
  return { status, headers, body: JSON.stringify(body) };
}

/** Sends an answer (a route's or an error's) through fastify. */
export function sendAnswer(reply: FastifyReply, a: LaneAnswer): FastifyReply {
  // a Buffer, so fastify adds no charset to a content type that has none
  return reply.code(a.status).headers(a.headers).send(typeof a.body === 'string' ? Buffer.from(a.body) : a.body);
}

function headerSafe(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 512 ? `${clean.slice(0, 509)}...` : clean;
}

/** Status of an error thrown by fastify itself (body too large, bad header, ...). */
function frameworkStatus(err: FastifyError): number {
  const s = err.statusCode;
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500;
}

/**
 * The answer to an error thrown while answering a request: StrataErrors with their status
 * and code, fastify's own 4xx as they are, anything else as a logged 500.
 */
export function errorAnswer(err: unknown, style: ErrorStyle, log: FastifyBaseLogger, url: string): LaneAnswer {
  let status: number;
  let code: string | undefined;
  let message: string;
  if (err instanceof StrataError) {
    status = err.status;
    code = err.code;
    message = err.message;
  } else {
    status = frameworkStatus(err as FastifyError);
    message = err instanceof Error ? err.message : String(err);
  }
  if (status >= 500) {
    log.error({ err, url }, 'request failed');
    if (!(err instanceof StrataError)) message = `internal error: ${message}`;
  } else if (!(err instanceof StrataError)) {
    // fastify's own 4xx (a malformed header and the like): its message is clear enough;
    // its FST_ERR_* code is not one of ours, so it is logged but not sent.
    log.info({ code: (err as FastifyError).code, message }, 'request refused');
  }
  const a = apiError(style, status, message, code);
  if (err instanceof OverloadedError) a.headers = { ...a.headers, 'retry-after': String(err.retryAfter) };
  return a;
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | StrataError | Error, request, reply) =>
    sendAnswer(reply, errorAnswer(err, errorStyleOf(request), request.log, request.url)),
  );

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return sendError(request, reply, 404, `not found: ${request.method} ${path}`);
  });
}
