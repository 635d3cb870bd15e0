// Prometheus remote read (serving): `POST /api/v1/read`, what `remote_read.url` points at,
// so a Prometheus can query what Strata stores as if it were its own (long-term storage).
//
// Request: a snappy-compressed (block format) `prometheus.ReadRequest`:
//   ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
//   Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
//                  repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
//   LabelMatcher { Type type = 1 (EQ 0, NEQ 1, RE 2, NRE 3); string name = 2; string value = 3; }
// Answer: the SAMPLES response type, a snappy-compressed `prometheus.ReadResponse`
//   ReadResponse { repeated QueryResult results = 1; }   // one per query, in order
//   QueryResult  { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
// with Content-Type application/x-protobuf and Content-Encoding snappy. Prometheus offers
// STREAMED_XOR_CHUNKS and SAMPLES and takes either; a request that does not accept SAMPLES
// gets 400. Hints are ignored (they are optional: the answer is the raw samples).
//
// Each query reads what a PromQL selector with the same matchers reads (the engine's PromQL
// view: metric `measurement_field`, labels = tags; anchored RE2 regexes): every database as
// one namespace, or `?db=` alone; samples with start <= time <= end (ms), values bit for bit
// (a stale marker stays one). Series are sorted by labels, labels by name, as Prometheus
// sorts them. More samples than the PromQL sample limit (`--query-max-samples`) in one
// request is a 400 naming the limit, as Prometheus's own read limit is; reading stops once
// past it.
//
// The protobuf is read and written by hand, as remote write's is (src/ingest/remoteWrite.ts).

import { compressSync } from 'snappy';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../engine/database.js';
import { PointLimitError } from '../engine/read.js';
import { badRequest, databaseNotFound } from '../errors.js';
import { uncompressSnappy, type SnappyErrors } from '../ingest/remoteWrite.js';
import type { LabelMatcher, MatchOp } from '../query/promql/ast.js';
import { engineSource, type EngineSeriesSource } from '../query/promql/storage.js';
import type { RawSeries } from '../query/promql/types.js';
import { bodyOf, useRawBodies } from './body.js';
import { param } from './params.js';

export interface RemoteReadOptions {
  db: Database;
  /** Largest body accepted, as sent and uncompressed, in bytes. */
  bodyLimit: number;
  /** Most samples one request may return. */
  maxSamples: number;
}

/** One query of a ReadRequest. */
export interface ReadQuery {
  startMs: number;
  endMs: number;
  matchers: LabelMatcher[];
}

export interface ReadRequest {
  queries: ReadQuery[];
  /** accepted_response_types (SAMPLES 0, STREAMED_XOR_CHUNKS 1); empty means SAMPLES. */
  accepted: number[];
}

const SAMPLES = 0;
const OPS: MatchOp[] = ['=', '!=', '=~', '!~'];
const TWO32 = 4294967296;

function bad(message: string): Error {
  return badRequest('STRATA_ERR_BAD_REMOTE_READ', `bad remote-read request: ${message}`, 400);
}

const READ_ERRORS: SnappyErrors = { bad, tooLargeHint: 'send fewer queries in one request or raise the server\'s body limit' };

/** A protobuf reader over one message's bytes. */
class Reader {
  pos: number;
  /** The wire type of the key field() read last. */
  wire = 0;
  constructor(
    readonly buf: Uint8Array,
    from: number,
    readonly end: number,
  ) {
    this.pos = from;
  }
  /** A field's key: returns its number, keeps its wire type in `wire`. */
  field(): number {
    const key = this.varint();
    this.wire = key & 7;
    return Math.floor(key / 8);
  }
  /** A varint as a number: exact for the int64 values that fit 2^53 (ms times do). */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw bad('a varint runs past the end of its message');
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if ((b & 0x80) === 0) return (hi | 0) * TWO32 + (lo >>> 0);
    }
    throw bad('a varint is longer than 10 bytes');
  }
  /** The [from, to) of a length-delimited field. */
  bytes(): [number, number] {
    const n = this.varint();
    if (n < 0 || this.pos + n > this.end) throw bad('a length-delimited field runs past the end of its message');
    const from = this.pos;
    this.pos += n;
    return [from, this.pos];
  }
  string(): string {
    const [from, to] = this.bytes();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + from, to - from).toString('utf8');
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw bad(`unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw bad('a field runs past the end of its message');
  }
}

function readMatcher(r: Reader): LabelMatcher {
  let type = 0;
  let name = '';
  let value = '';
  while (r.pos < r.end) {
    const field = r.field();
    const wire = r.wire;
    if (field === 1 && wire === 0) type = r.varint();
    else if (field === 2 && wire === 2) name = r.string();
    else if (field === 3 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  const op = OPS[type];
  if (op === undefined) throw bad(`matcher on "${name}" has unknown type ${type} (EQ 0, NEQ 1, RE 2, NRE 3)`);
  return { name, op, value };
}

function readQuery(r: Reader, n: number): ReadQuery {
  let startMs = 0;
  let endMs = 0;
  const matchers: LabelMatcher[] = [];
  while (r.pos < r.end) {
    const field = r.field();
    const wire = r.wire;
    if (field === 1 && wire === 0) startMs = r.varint();
    else if (field === 2 && wire === 0) endMs = r.varint();
    else if (field === 3 && wire === 2) {
      const [from, to] = r.bytes();
      matchers.push(readMatcher(new Reader(r.buf, from, to)));
    } else r.skip(wire);
  }
  if (matchers.length === 0) throw bad(`query ${n} has no matchers`);
  return { startMs, endMs, matchers };
}

/** Decodes an uncompressed `prometheus.ReadRequest`. */
export function decodeReadRequest(buf: Uint8Array): ReadRequest {
  const r = new Reader(buf, 0, buf.length);
  const queries: ReadQuery[] = [];
  const accepted: number[] = [];
  while (r.pos < r.end) {
    const field = r.field();
    const wire = r.wire;
    if (field === 1 && wire === 2) {
      const [from, to] = r.bytes();
      queries.push(readQuery(new Reader(buf, from, to), queries.length + 1));
    } else if (field === 2 && wire === 0) accepted.push(r.varint());
    else if (field === 2 && wire === 2) {
      // packed
      const [from, to] = r.bytes();
      const p = new Reader(buf, from, to);
      while (p.pos < p.end) accepted.push(p.varint());
    } else r.skip(wire);
  }
  return { queries, accepted };
}

/** A protobuf writer that grows as needed. */
class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  /** An integer as a varint (a negative one as int64 does: ten bytes, two's complement). */
  varint(v: number): void {
    this.ensure(10);
    if (v >= 0) {
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.pos++] = v;
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  /** A length-delimited field whose body `body` writes; the length is patched in after. */
  message(field: number, body: () => void): void {
    this.varint(field * 8 + 2);
    // reserve 5 bytes for the length (messages stay under 2^35 bytes), then move the body
    // down to the length's real size
    this.ensure(5);
    const at = this.pos;
    this.pos += 5;
    body();
    const len = this.pos - at - 5;
    const lenBytes = varintSize(len);
    if (lenBytes < 5) this.buf.copy(this.buf, at + lenBytes, at + 5, this.pos);
    this.pos -= 5 - lenBytes;
    const save = this.pos;
    this.pos = at;
    this.varint(len);
    this.pos = save;
  }
  string(field: number, s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(field * 8 + 2);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Encodes a `prometheus.ReadResponse` (uncompressed): one result per query, in order. */
export function encodeReadResponse(results: RawSeries[][]): Buffer {
  const w = new Writer();
  for (const series of results) {
    w.message(1, () => {
      for (const s of series) {
        w.message(1, () => {
          for (const name of Object.keys(s.labels).sort()) {
            w.message(1, () => {
              w.string(1, name);
              w.string(2, s.labels[name]);
            });
          }
          const bytes = new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength);
          for (let i = 0; i < s.times.length; i++) {
            // Sample { double value = 1; int64 timestamp = 2; }: tag, 8 bytes, tag, varint
            const t = s.times[i];
            w.varint(0x12);
            w.varint(10 + (t < 0 ? 10 : varintSize(t)));
            w.ensure(9);
            w.buf[w.pos++] = 0x09;
            // the value's 8 bytes as stored: a NaN's payload (a stale marker) survives
            for (let k = 0; k < 8; k++) w.buf[w.pos++] = bytes[8 * i + k];
            w.varint(0x10);
            w.varint(t);
          }
        });
      }
    });
  }
  return w.buf.subarray(0, w.pos);
}

/** Runs the queries of a request; throws 400 past `maxSamples` samples. */
export function runReadRequest(src: EngineSeriesSource, req: ReadRequest, maxSamples: number): RawSeries[][] {
  if (req.accepted.length > 0 && !req.accepted.includes(SAMPLES)) {
    throw bad(`none of the accepted response types (${req.accepted.join(', ')}) is served: Strata answers SAMPLES (0)`);
  }
  const tooMany = () => badRequest('STRATA_ERR_REMOTE_READ_LIMIT', `exceeded sample limit (${maxSamples}): narrow the time range or the matchers`, 400);
  let total = 0;
  return req.queries.map((q) => {
    // the source stops reading once past what is left of the limit: a request for far too
    // much is refused having read little more than the limit, not all of it
    let series: RawSeries[];
    try {
      series = src.select(q.matchers, q.startMs, q.endMs, maxSamples - total);
    } catch (err) {
      if (err instanceof PointLimitError) throw tooMany();
      throw err;
    }
    for (const s of series) total += s.times.length;
    if (total > maxSamples) throw tooMany();
    return series;
  });
}

export function remoteReadPlugin(opts: RemoteReadOptions) {
  const { db, bodyLimit, maxSamples } = opts;
  return async function remoteReadRoutes(app: FastifyInstance): Promise<void> {
    const everyDatabase = engineSource(db);
    const oneDatabase = new Map<string, EngineSeriesSource>();
    // Content-Encoding is snappy, which the raw-body reader would refuse: checked and taken
    // away here. A body without one is read as snappy too, as Prometheus's own server does.
    app.addHook('onRequest', async (request) => {
      const enc = request.raw.headers['content-encoding'];
      if (enc !== undefined && String(enc).trim().toLowerCase() !== 'snappy') {
        throw badRequest('STRATA_ERR_UNSUPPORTED_ENCODING', `unsupported Content-Encoding "${String(enc)}" for remote read: the body must be snappy-compressed (block format)`, 415);
      }
      delete request.raw.headers['content-encoding'];
    });
    useRawBodies(app, bodyLimit);
    app.post('/api/v1/read', { config: { errorStyle: 'v1' } }, async (request, reply) => {
      const name = param(request, 'db') || '';
      let src = everyDatabase;
      if (name !== '') {
        if (!db.hasDatabase(name)) throw databaseNotFound(name);
        src = oneDatabase.get(name) ?? engineSource(db, { database: name });
        if (oneDatabase.size < 256) oneDatabase.set(name, src);
      }
      const body = bodyOf(request);
      if (body.length === 0) throw bad('the body is empty: Prometheus sends a snappy-compressed ReadRequest');
      const raw = uncompressSnappy(body, bodyLimit, READ_ERRORS);
      const results = runReadRequest(src, decodeReadRequest(raw), maxSamples);
      reply.header('content-type', 'application/x-protobuf');
      reply.header('content-encoding', 'snappy');
      return reply.code(200).send(compressSync(encodeReadResponse(results)));
    });
  };
}
