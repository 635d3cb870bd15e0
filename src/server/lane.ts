// The query lane: the query endpoints (PromQL's /api/v1/query and /api/v1/query_range,
// InfluxQL's /query) answered straight from Node's request listener, ahead of fastify.
//
// Why: a dashboard panel's query is small, and on it fastify's per-request machinery
// (request and reply objects, routing, the body parser, hooks, reply serialisation) costs
// more than the query itself: ~0.1 ms of ~0.4 ms of server time for one series over one
// hour (bench/README.md, "The query lane (session 6)"). The lane does only what those
// requests need.
//
// What it is not: a second implementation of the routes. A route registers its answer
// function (a LaneRoute), the same one its fastify route calls, so parameters,
// answers and errors are one code path; the lane only reads the request and writes the
// answer. It takes a request only when that is all there is to it: GET without a body, or
// POST with a form body of a declared length within the limit, no Content-Encoding, while
// the server is not closing, and with request logging off. Any other request, and every
// other path, goes to fastify untouched. lane.test.ts sends the same requests both ways and
// compares status, headers and bodies.

import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** A route's answer: status, headers (lower-case names) and body. */
export interface LaneAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** What a lane route sees of a request. */
export interface LaneRequest {
  method: 'GET' | 'POST';
  /** The URL's query string, without the "?" ('' when none). */
  query: string;
  /** The form body ('' for a GET). */
  body: string;
  headers: IncomingHttpHeaders;
}

/** An answer function; errors are answers too (it does not throw). */
export type LaneRoute = (req: LaneRequest) => LaneAnswer | Promise<LaneAnswer>;

export interface QueryLaneOptions {
  /** Largest form body, bytes (larger ones go to fastify, which refuses them). */
  bodyLimit: number;
  /** Headers of every answer (the version headers every response carries). */
  headers: Record<string, string>;
  /** The request metrics: method, route, status, seconds. */
  observe: (method: string, route: string, status: number, seconds: number) => void;
  /** Off: every request goes to fastify (e.g. when requests are logged). */
  enabled: boolean;
  /** Told of a request that failed in the lane itself (logged by the server). */
  onError: (err: unknown, url: string) => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's query lane (buildServer). */
    queryLane: QueryLane;
  }
}

const FORM = 'application/x-www-form-urlencoded';

/** The form media type, alone or with a UTF-8 charset. */
function isForm(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const v = contentType.toLowerCase();
  if (v === FORM) return true;
  if (!v.startsWith(FORM)) return false;
  const rest = v.slice(FORM.length).replace(/\s+/g, '');
  return rest === ';charset=utf-8' || rest === ';charset="utf-8"';
}

export class QueryLane {
  private readonly routes = new Map<string, LaneRoute>();
  private closing = false;
  private count = 0;

  constructor(private readonly opts: QueryLaneOptions) {}

  /** Answers `path` (GET and POST) with `route`. */
  add(path: string, route: LaneRoute): void {
    this.routes.set(path, route);
  }

  /** Requests the lane has answered. */
  get answered(): number {
    return this.count;
  }

  /** From now on every request goes to fastify (which answers 503 while it closes). */
  close(): void {
    this.closing = true;
  }

  /** The server's request listener: lane requests answered here, all others by `fallback`. */
  listener(fallback: RequestListener): RequestListener {
    return (req, res) => {
      const route = this.take(req);
      if (route === null) {
        fallback(req, res);
        return;
      }
      const t0 = performance.now();
      this.count++;
      const url = req.url!;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? '' : url.slice(q + 1);
      const method = req.method as 'GET' | 'POST';
      const send = (a: LaneAnswer): void => {
        try {
          this.write(res, a, method, path, t0);
        } catch (err) {
          this.fail(res, err, url);
        }
      };
      const run = (body: string): void => {
        let answer: LaneAnswer | Promise<LaneAnswer>;
        try {
          answer = route({ method, query, body, headers: req.headers });
        } catch (err) {
          this.fail(res, err, url);
          return;
        }
        if (answer instanceof Promise) answer.then(send, (err: unknown) => this.fail(res, err, url));
        else send(answer);
      };
      if (method === 'GET') {
        req.resume(); // no body: let the request end
        run('');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => run(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => res.destroy());
    };
  }

  /** The route of a request the lane takes, or null for fastify. */
  private take(req: IncomingMessage): LaneRoute | null {
    if (!this.opts.enabled || this.closing) return null;
    const method = req.method;
    if (method !== 'GET' && method !== 'POST') return null;
    const url = req.url;
    if (url === undefined) return null;
    const q = url.indexOf('?');
    const route = this.routes.get(q < 0 ? url : url.slice(0, q));
    if (route === undefined) return null;
    const h = req.headers;
    if (h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return null;
    const length = h['content-length'];
    if (method === 'GET') return length === undefined || length === '0' ? route : null;
    if (length === undefined || !/^\d+$/.test(length) || Number(length) > this.opts.bodyLimit) return null;
    return isForm(h['content-type']) ? route : null;
  }

  /**
   * Answer functions turn errors into answers; this is for a bug (one that throws, an
   * answer that cannot be written): logged, a bare 500 when nothing was sent yet.
   */
  private fail(res: ServerResponse, err: unknown, url: string): void {
    this.opts.onError(err, url);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = Buffer.from('{"error":"internal error"}');
    res.writeHead(500, { ...this.opts.headers, 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  }

  private write(res: ServerResponse, a: LaneAnswer, method: string, path: string, t0: number): void {
    const body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
    res.writeHead(a.status, { ...this.opts.headers, ...a.headers, 'content-length': String(body.length) });
    res.end(body);
    this.opts.observe(method, path, a.status, (performance.now() - t0) / 1000);
  }
}
