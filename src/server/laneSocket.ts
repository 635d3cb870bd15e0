// The query lane's own HTTP/1.1, for the connections it can serve whole.
//
// Why: on a dashboard panel's query (one series, one hour) Node's HTTP server costs about
// a third of the server's work: its parser's JavaScript side, IncomingMessage and
// ServerResponse, and the writable-stream machinery came to 97 of 312 µs of CPU per request
// in a profile, 38 of 228 µs without them (bench/README.md, "The lane's own HTTP (session
// 7)"). For the plainest of requests none
// of it is needed: a request line, a few headers, perhaps a form body of a declared length,
// and one answer of a known length written in one go.
//
// How: the lane takes over the server's 'connection' event (QueryLane.attach). A
// connection starts here. Each complete request in its bytes that the lane would take
// anyway (QueryLane.routeFor), and that is plain HTTP/1.1 by the rules below, is answered
// here. At the first request that is anything else, the connection and every byte not
// yet used go to Node's HTTP server for good, as if it had been Node's from the start
// (and Node's request listener still has the lane in front of fastify). So the lane
// never has to answer a malformed request, a strange one, or an error of HTTP itself:
// Node does, with its own parser, limits and messages.
//
// Plain HTTP/1.1 here means: `GET` or `POST`, an origin-form target of visible ASCII,
// `HTTP/1.1`; header lines of token names and printable ASCII values, none repeated, a
// Host; no Transfer-Encoding, Content-Encoding, Expect or Upgrade; Connection absent or
// keep-alive; a whole head within Node's header size limit. The answer is written as
// Node writes it (lane.test.ts compares the bytes): status line, the answer's headers,
// Content-Length, Date, then Connection: keep-alive and Keep-Alive: timeout=N.
//
// Timeouts as Node's: a connection idle for the server's keepAliveTimeout is closed; a
// request that is not complete within its headersTimeout goes to Node (which then applies
// its own). While the server closes, idle connections are closed, and busy ones after
// their answer (with Connection: close: requests sent behind it are not answered, as after
// any Connection: close); a connection holding only an incomplete request goes to Node
// (fastify answers 503).

import { STATUS_CODES, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastSlices } from '../ingest/lptables.js';
import type { LaneAnswer, LaneRequest, LaneRoute } from './lane.js';

/** What a lane connection needs of the lane. */
export interface LaneHost {
  /** The route of a request the lane takes (null: Node's). */
  routeFor(method: string, url: string, headers: IncomingHttpHeaders): LaneRoute | null;
  /** Runs a route: its answer, or a 500 answer when it fails (logged). */
  call(route: LaneRoute, req: LaneRequest, url: string): LaneAnswer | Promise<LaneAnswer>;
  /** The answer's head (status line and headers, up to the blank line), or an Error for
   * an answer Node would refuse to write (a bad header). */
  head(a: LaneAnswer, bodyLength: number, keepAlive: boolean, keepAliveSeconds: number): string | Error;
  /** The bare 500 answer of a request that failed in the lane (logged first). */
  failed(err: unknown, url: string): LaneAnswer;
  /** Counts an answered request (the lane's count and the request metrics). */
  done(method: string, path: string, status: number, t0: number): void;
  readonly closing: boolean;
  /** The largest form body the lane takes. */
  readonly bodyLimit: number;
  forget(conn: LaneConnection): void;
}

/** A request the lane may answer, as read from the connection's bytes. */
export interface WireRequest {
  method: 'GET' | 'POST';
  /** The request target as sent (path and query string). */
  url: string;
  /** Names in lower case, values trimmed, as Node's IncomingMessage.headers. */
  headers: IncomingHttpHeaders;
  /** Offset of the body (just past the head's blank line). */
  bodyStart: number;
  /** The declared body length (0 when none). */
  bodyLength: number;
}

/** readRequest's answers other than a request. */
export const PARTIAL = 0; // the head is not complete yet
export const NODE = 1; // not plain HTTP/1.1 by the lane's rules: Node's

const CRLF2 = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^(GET|POST) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e]*?)[ \t]*$/;

/**
 * Reads the request that starts at `from` in `buf`: PARTIAL when its head is not all
 * there (and still within `maxHeaderSize`), NODE when it is not plain HTTP/1.1 by the
 * lane's rules (or its head is too large), else the request. The body may not be all
 * there yet: the caller compares bodyStart + bodyLength with what it has.
 */
export function readRequest(buf: Buffer, from: number, maxHeaderSize: number): WireRequest | typeof PARTIAL | typeof NODE {
  const end = buf.indexOf(CRLF2, from);
  if (end < 0) return buf.length - from > maxHeaderSize ? NODE : PARTIAL;
  if (end - from > maxHeaderSize) return NODE;
  const lines = (buf as unknown as FastSlices).latin1Slice(from, end).split('\r\n');
  const m = REQUEST_LINE.exec(lines[0]);
  if (m === null) return NODE;
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const h = HEADER_LINE.exec(lines[i]);
    if (h === null) return NODE;
    const name = h[1].toLowerCase();
    if (headers[name] !== undefined) return NODE;
    headers[name] = h[2];
  }
  if (headers.host === undefined || headers.expect !== undefined || headers.upgrade !== undefined) return NODE;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return NODE;
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return NODE;
  const length = headers['content-length'];
  let bodyLength = 0;
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) return NODE;
    bodyLength = Number(length);
  }
  return { method: m[1] as 'GET' | 'POST', url: m[2], headers, bodyStart: end + 4, bodyLength };
}

/** Bodies up to this size are copied behind the head and written in one buffer. */
const ONE_WRITE = 64 * 1024;

/** One connection the lane serves, until it goes to Node or closes. */
export class LaneConnection {
  /** Bytes received and not used yet. */
  private buf: Buffer | null = null;
  /** An answer is under way (its request's bytes are used). */
  private busy = false;
  /** The socket wants a 'drain' before the next answer. */
  private draining = false;
  /** The peer has ended its side. */
  private ended = false;
  /** A request's head or body is incomplete: when it started waiting. */
  private partialTimer: NodeJS.Timeout | null = null;
  private gone = false;

  private readonly onData = (chunk: Buffer): void => {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.busy || this.draining) {
      // a client that sends and does not read: stop reading until the answers are out
      if (this.buf.length > this.maxHeaderSize + this.host.bodyLimit) this.socket.pause();
      return;
    }
    this.next();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    if (!this.busy && !this.draining) this.next();
  };
  private readonly onDrain = (): void => {
    if (!this.draining) return;
    this.draining = false;
    this.next();
  };
  private readonly onTimeout = (): void => {
    // keepAliveTimeout is for a connection with nothing under way, as in Node: an answer
    // that takes longer (an InfluxQL query may run for minutes), or one the peer is slow
    // to read, keeps its connection
    if (this.busy || this.draining) this.socket.setTimeout(this.server.keepAliveTimeout);
    else this.socket.destroy();
  };
  private readonly onError = (): void => {
    this.socket.destroy();
  };
  private readonly onClose = (): void => {
    this.leave();
  };

  constructor(
    private readonly host: LaneHost,
    private readonly server: Server,
    readonly socket: Socket,
    private readonly toNode: (socket: Socket) => void,
    private readonly maxHeaderSize: number,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('drain', this.onDrain);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    if (server.keepAliveTimeout > 0) socket.setTimeout(server.keepAliveTimeout);
  }

  /** The server is closing: close when idle, else after the answer under way. */
  close(): void {
    if (this.busy || this.draining) return; // next() sees `closing` when the answer is out
    this.next();
  }

  /** Answers the complete requests buffered, one at a time, in order. */
  private next(): void {
    while (!this.busy && !this.draining && !this.gone) {
      const buf = this.buf;
      if (buf === null) {
        this.clearPartial();
        if (this.ended || this.host.closing) this.end();
        else if (this.socket.isPaused()) this.socket.resume();
        return;
      }
      if (this.host.closing) return this.handOff();
      const r = readRequest(buf, 0, this.maxHeaderSize);
      if (r === NODE) return this.handOff();
      if (r === PARTIAL) return this.waitForMore();
      const route = this.host.routeFor(r.method, r.url, r.headers);
      if (route === null) return this.handOff();
      const bodyEnd = r.bodyStart + r.bodyLength;
      if (buf.length < bodyEnd) return this.waitForMore();
      this.clearPartial();
      this.buf = buf.length === bodyEnd ? null : buf.subarray(bodyEnd);
      const t0 = performance.now();
      const q = r.url.indexOf('?');
      const path = q < 0 ? r.url : r.url.slice(0, q);
      const body = r.bodyLength === 0 ? '' : (buf as unknown as FastSlices).utf8Slice(r.bodyStart, bodyEnd);
      const answer = this.host.call(route, { method: r.method, query: q < 0 ? '' : r.url.slice(q + 1), body, headers: r.headers }, r.url);
      if (answer instanceof Promise) {
        this.busy = true;
        answer.then((a) => {
          this.busy = false;
          this.write(a, r.method, path, r.url, t0);
          this.next();
        }, (err: unknown) => {
          // call() turns failures into answers; this is a bug in the lane itself
          this.busy = false;
          this.write(this.host.failed(err, r.url), r.method, path, r.url, t0);
          this.next();
        });
        return;
      }
      this.write(answer, r.method, path, r.url, t0);
    }
  }

  private write(a: LaneAnswer, method: string, path: string, url: string, t0: number): void {
    if (this.gone || this.socket.destroyed) return;
    // the last answer: the server closes, or the peer has ended and sent nothing more
    const keepAlive = !this.host.closing && !(this.ended && this.buf === null);
    const seconds = Math.floor(this.server.keepAliveTimeout / 1000);
    const body = a.body;
    let bodyLength = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    let head = this.host.head(a, bodyLength, keepAlive, seconds);
    if (head instanceof Error) {
      a = this.host.failed(head, url);
      bodyLength = Buffer.byteLength(a.body);
      head = this.host.head(a, bodyLength, keepAlive, seconds) as string;
    }
    let ok: boolean;
    if (bodyLength <= ONE_WRITE) {
      const out = Buffer.allocUnsafe(head.length + bodyLength);
      out.write(head, 0, 'latin1');
      if (typeof a.body === 'string') out.write(a.body, head.length, 'utf8');
      else a.body.copy(out, head.length);
      ok = this.socket.write(out);
    } else {
      this.socket.cork();
      this.socket.write(head, 'latin1');
      ok = this.socket.write(a.body);
      this.socket.uncork();
    }
    this.host.done(method, path, a.status, t0);
    if (!keepAlive) this.end();
    else if (!ok) this.draining = true;
  }

  private waitForMore(): void {
    if (this.ended) return this.end(); // a request cut short: Node would refuse it too
    this.partialTimer ??= setTimeout(() => {
      this.partialTimer = null;
      this.handOff();
    }, this.server.headersTimeout > 0 ? this.server.headersTimeout : 60_000);
  }

  private clearPartial(): void {
    if (this.partialTimer !== null) {
      clearTimeout(this.partialTimer);
      this.partialTimer = null;
    }
  }

  /** Node's HTTP server takes the connection, with the bytes not used yet. */
  private handOff(): void {
    if (this.gone) return;
    const rest = this.buf;
    this.buf = null;
    if (this.ended) {
      // the peer's end was read here: Node would never see it, so it cannot take over
      this.end();
      return;
    }
    this.leave();
    this.socket.setTimeout(0);
    this.toNode(this.socket);
    if (rest !== null) this.socket.unshift(rest);
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** Ends the connection once what was written is out (as Node's destroySoon): a peer
   * that keeps its side open must not keep the socket, or a closing server, waiting. */
  private end(): void {
    this.leave();
    const s = this.socket;
    // errors of a socket nobody listens to any more must not crash the process
    s.on('error', () => s.destroy());
    s.end(() => s.destroy());
  }

  /** Lets go of the socket: listeners, timers and the lane's list. */
  private leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.clearPartial();
    const s = this.socket;
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('drain', this.onDrain);
    s.removeListener('timeout', this.onTimeout);
    s.removeListener('error', this.onError);
    s.removeListener('close', this.onClose);
    this.host.forget(this);
  }
}

/** The status line's reason phrase, as Node writes it. */
export function reason(status: number): string {
  return STATUS_CODES[status] ?? 'unknown';
}
