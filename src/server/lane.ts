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
//
// In front of that, the lane reads plain HTTP/1.1 connections itself, so that Node's HTTP
// server is not in those requests' way either (laneSocket.ts): `attach` puts it in front of
// the server's connections, and a connection goes to Node at its first request the lane
// does not answer itself.

import { maxHeaderSize as defaultMaxHeaderSize, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LaneConnection, reason, type LaneHost } from './laneSocket.js';

/** A route's answer: status, headers (lower-case names) and body. */
export interface LaneAnswer {
  status: number;
  /** Frozen when shared by many answers (the lane then checks its lines once: head()). */
  headers: Readonly<Record<string, string>>;
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
/** The characters of an HTTP token (a header name), as Node's validateHeaderName takes them. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_CHARS[c.charCodeAt(0)] = 1;

/** `name: value` and CRLF, or the Error Node throws for such a header (validateHeaderName,
 * checkInvalidHeaderChar: a value is tabs and bytes 0x20-0x7e and 0x80-0xff). */
function headerLine(name: string, value: string): string | Error {
  if (name.length === 0) return new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] === 0) return new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f || c > 0xff) return new TypeError(`Invalid character in header content ["${name}"]`);
  }
  return `${name}: ${value}\r\n`;
}

/** The end of a head: Connection (and Keep-Alive), as Node writes them, and the blank line. */
function connection(keepAlive: boolean, keepAliveSeconds: number): string {
  if (!keepAlive) return 'Connection: close\r\n\r\n';
  return keepAliveSeconds > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSeconds}\r\n\r\n` : 'Connection: keep-alive\r\n\r\n';
}

/** The form media type, alone or with a UTF-8 charset. */
function isForm(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const v = contentType.toLowerCase();
  if (v === FORM) return true;
  if (!v.startsWith(FORM)) return false;
  const rest = v.slice(FORM.length).replace(/\s+/g, '');
  return rest === ';charset=utf-8' || rest === ';charset="utf-8"';
}

export class QueryLane implements LaneHost {
  private readonly routes = new Map<string, LaneRoute>();
  private isClosing = false;
  private count = 0;
  /** The connections the lane serves itself (laneSocket.ts). */
  private readonly connections = new Set<LaneConnection>();
  /** The Date header's value and the second it is of. */
  private date = '';
  private dateSecond = -1;
  /** Per status: the status line and the lane's own header lines (head()). */
  private readonly heads = new Map<number, string>();
  /** Per frozen headers object of answers: its checked header lines, or null when it sets
   * one of the lane's own headers or a length (head()). */
  private readonly ownLines = new WeakMap<Readonly<Record<string, string>>, string | null>();

  constructor(private readonly opts: QueryLaneOptions) {}

  /** The server is closing (requests go to fastify, which answers 503). */
  get closing(): boolean {
    return this.isClosing;
  }

  get bodyLimit(): number {
    return this.opts.bodyLimit;
  }

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
    this.isClosing = true;
    for (const c of [...this.connections]) c.close();
  }

  /**
   * Puts the lane in front of `server`'s connections: a connection starts in the lane's
   * own HTTP/1.1 (laneSocket.ts) and goes to Node's HTTP server (`server`'s own
   * 'connection' listeners) at its first request the lane does not answer. Nothing changes
   * when the lane is off, or when the server limits requests per socket.
   */
  attach(server: Server): void {
    if (!this.opts.enabled || (server.maxRequestsPerSocket ?? 0) > 0) return;
    const node = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    const toNode = (socket: Socket): void => {
      for (const l of node) l.call(server, socket);
    };
    server.on('connection', (socket: Socket) => {
      if (this.isClosing) toNode(socket);
      else this.connections.add(new LaneConnection(this, server, socket, toNode, (server as { maxHeaderSize?: number }).maxHeaderSize ?? defaultMaxHeaderSize));
    });
  }

  /** @internal (LaneHost) a connection the lane no longer serves. */
  forget(conn: LaneConnection): void {
    this.connections.delete(conn);
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
        const answer = this.call(route, { method, query, body, headers: req.headers }, url);
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
    const { method, url } = req;
    return method === undefined || url === undefined ? null : this.routeFor(method, url, req.headers);
  }

  /** @internal (LaneHost) the route of a request the lane takes, or null for fastify. */
  routeFor(method: string, url: string, h: IncomingHttpHeaders): LaneRoute | null {
    if (!this.opts.enabled || this.isClosing) return null;
    if (method !== 'GET' && method !== 'POST') return null;
    const q = url.indexOf('?');
    const route = this.routes.get(q < 0 ? url : url.slice(0, q));
    if (route === undefined) return null;
    if (h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return null;
    const length = h['content-length'];
    if (method === 'GET') return length === undefined || length === '0' ? route : null;
    if (length === undefined || !/^\d+$/.test(length) || Number(length) > this.opts.bodyLimit) return null;
    return isForm(h['content-type']) ? route : null;
  }

  /** @internal (LaneHost) runs a route; a route that fails gets a logged bare 500. */
  call(route: LaneRoute, req: LaneRequest, url: string): LaneAnswer | Promise<LaneAnswer> {
    let answer: LaneAnswer | Promise<LaneAnswer>;
    try {
      answer = route(req);
    } catch (err) {
      return this.failed(err, url);
    }
    return answer instanceof Promise ? answer.catch((err: unknown) => this.failed(err, url)) : answer;
  }

  /** @internal (LaneHost) logs a request that failed in the lane; its bare 500 answer. */
  failed(err: unknown, url: string): LaneAnswer {
    this.opts.onError(err, url);
    return { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal error"}' };
  }

  /** @internal (LaneHost) counts an answered request. */
  done(method: string, path: string, status: number, t0: number): void {
    this.count++;
    this.opts.observe(method, path, status, (performance.now() - t0) / 1000);
  }

  /**
   * @internal (LaneHost) the head of an answer as Node's ServerResponse writes it for
   * `writeHead(status, headers)` and `end(body)`; an Error (as Node would throw) for a
   * header name or value Node refuses.
   */
  head(a: LaneAnswer, bodyLength: number, keepAlive: boolean, keepAliveSeconds: number): string | Error {
    // the status line and the lane's own headers, made once per status
    let h = this.heads.get(a.status);
    if (h === undefined) {
      h = `HTTP/1.1 ${a.status} ${reason(a.status)}\r\n`;
      for (const name of Object.keys(this.opts.headers)) {
        const line = headerLine(name, this.opts.headers[name]);
        if (line instanceof Error) return line;
        h += line;
      }
      this.heads.set(a.status, h);
    }
    const own = a.headers;
    // a frozen headers object (the JSON answers' one) is checked once, not per answer
    const frozen = Object.isFrozen(own);
    let lines = frozen ? this.ownLines.get(own) : undefined;
    if (lines === undefined) {
      const made = this.ownHeaderLines(own);
      if (made instanceof Error) return made;
      lines = made;
      if (frozen) this.ownLines.set(own, lines);
    }
    if (lines === null) return this.mergedHead(a, bodyLength, keepAlive, keepAliveSeconds);
    return `${h}${lines}content-length: ${bodyLength}\r\nDate: ${this.utcDate()}\r\n${connection(keepAlive, keepAliveSeconds)}`;
  }

  /** An answer's own header lines; null when one is the lane's own or a length (Node's order
   * then puts it elsewhere: mergedHead()). */
  private ownHeaderLines(own: Readonly<Record<string, string>>): string | null | Error {
    let lines = '';
    for (const name of Object.keys(own)) {
      // a header of the lane's own, or a length: where Node would write it
      if (name === 'content-length' || Object.hasOwn(this.opts.headers, name)) return null;
      const line = headerLine(name, own[name]);
      if (line instanceof Error) return line;
      lines += line;
    }
    return lines;
  }

  /** head() for an answer that sets one of the lane's own headers: Node's order, in full. */
  private mergedHead(a: LaneAnswer, bodyLength: number, keepAlive: boolean, keepAliveSeconds: number): string | Error {
    let h = `HTTP/1.1 ${a.status} ${reason(a.status)}\r\n`;
    const headers: Record<string, string> = { ...this.opts.headers, ...a.headers, 'content-length': String(bodyLength) };
    for (const name of Object.keys(headers)) {
      const line = headerLine(name, headers[name]);
      if (line instanceof Error) return line;
      h += line;
    }
    return `${h}Date: ${this.utcDate()}\r\n${connection(keepAlive, keepAliveSeconds)}`;
  }

  /** The Date header's value, made once a second. */
  private utcDate(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.date = new Date(now).toUTCString();
    }
    return this.date;
  }

  /**
   * Answer functions turn errors into answers; this is for a bug (one that throws, an
   * answer that cannot be written): logged, a bare 500 when nothing was sent yet.
   */
  private fail(res: ServerResponse, err: unknown, url: string): void {
    const a = this.failed(err, url);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = Buffer.from(a.body);
    // the reason phrase too: a writeHead that threw (a bad header) has set its own
    res.writeHead(a.status, reason(a.status), { ...this.opts.headers, ...a.headers, 'content-length': String(body.length) });
    res.end(body);
  }

  private write(res: ServerResponse, a: LaneAnswer, method: string, path: string, t0: number): void {
    const body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
    res.writeHead(a.status, { ...this.opts.headers, ...a.headers, 'content-length': String(body.length) });
    res.end(body);
    this.opts.observe(method, path, a.status, (performance.now() - t0) / 1000);
  }
}
