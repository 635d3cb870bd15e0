// InfluxDB 1.x's query endpoint: `GET /query` and `POST /query`, in the shapes Grafana's
// InfluxDB data source (InfluxQL mode), the `influx` shell and the client libraries parse.
//
// Parameters come from the query string and, for POST, a form-encoded body (the body wins,
// as Go's FormValue): q, db, rp, epoch, pretty, chunked, chunk_size, params; u and p are
// ignored (Strata has no authentication). The answer is InfluxDB 1.6's byte for byte where
// it matters: key order, omitted empty members, RFC3339Nano times with trailing zeros
// trimmed or integer epochs, `partial` flags of chunked answers, one JSON document per line
// when chunked, and InfluxDB's CSV with `Accept: application/csv`.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import { makeZone, type ZoneFn } from '../query/influxql/condition.js';
import { executeQuery, mergeResults, type ChunkMode, type ExecutedResult } from '../query/influxql/execute.js';
import { InfluxQLParseError } from '../query/influxql/parser.js';
import { formatTimeNs, plainDecimal, TIME_NS_MAX_BYTES, TimeNsWriter } from '../query/influxql/print.js';
import type { Cell, ContinuousQueryRegistry, QueryContext, ResultSeries } from '../query/influxql/result.js';
import type { TierWatermarks } from '../query/promql/tierSource.js';
import { errorAnswer, JSON_UTF8, sendAnswer } from './errors.js';
import { FloatTexts, JsonBytes } from './jsonBytes.js';
import type { LaneAnswer, QueryLane } from './lane.js';

export interface InfluxQLRoutesOptions extends InfluxQLLimits {
  db: Database;
  /** Largest form body, bytes. */
  bodyLimit: number;
  /** Reported by SHOW DIAGNOSTICS (the X-Influxdb-Version value). */
  version?: string;
  commit?: string;
  /** Clock of now(), ns (default: the system clock). */
  now?: () => bigint;
  /** Where CREATE / DROP / SHOW CONTINUOUS QUERIES go; absent: CREATE answers "not supported". */
  continuousQueries?: ContinuousQueryRegistry;
  /** The query lane: /query is answered there too. */
  lane?: QueryLane;
}

/** The server's InfluxQL settings (ServerOptions.influxql). */
export interface InfluxQLLimits {
  /** Rows per chunk when `chunked=true` comes without a usable chunk_size (InfluxDB: 10000). */
  defaultChunkSize?: number;
  /** InfluxDB's max-select-point, max-select-series, max-select-buckets (0: none). */
  maxPoints?: number;
  maxSeries?: number;
  maxBuckets?: number;
  /** Longest a query may run, ms (0: no limit). */
  timeoutMs?: number;
  /** The downsampler's progress: given, GROUP BY time() aggregates may read downsampling
   * tiers and answers say which in `X-Strata-Tier` (docs/retention.md, "Reads"). */
  tierWatermarks?: TierWatermarks;
}

const DEFAULT_CHUNK_SIZE = 10000;

type Form = Map<string, string[]>;

function addPairs(form: Form, text: string): void {
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      continue; // Go's ParseQuery drops what it cannot decode
    }
    const list = form.get(key);
    if (list) list.push(value);
    else form.set(key, [value]);
  }
}

/** Go's r.FormValue: a form body's values before the query string's. */
function formOf(request: FastifyRequest): Form {
  const q = request.url.indexOf('?');
  return formFrom(typeof request.body === 'string' ? request.body : '', q >= 0 ? request.url.slice(q + 1) : '');
}

/** Body values first, then the query string's (Go's FormValue). */
function formFrom(body: string, query: string): Form {
  const form: Form = new Map();
  if (body !== '') addPairs(form, body);
  if (query !== '') addPairs(form, query);
  return form;
}

function value(form: Form, name: string): string {
  return form.get(name)?.[0] ?? '';
}

/** ns per unit of the `epoch` parameter; any other non-empty value means ns, as InfluxDB. */
function epochDivisor(epoch: string): bigint {
  switch (epoch) {
    case 'u':
    case 'µ':
      return 1000n;
    case 'ms':
      return 1_000_000n;
    case 's':
      return 1_000_000_000n;
    case 'm':
      return 60_000_000_000n;
    case 'h':
      return 3_600_000_000_000n;
    default:
      return 1n;
  }
}

// ---------------------------------------------------------------------------------------
// JSON, as Go's encoding/json writes InfluxDB's response structs.

const GO_ESCAPED_ALL = /[<>&\u2028\u2029]/g;

/** Go escapes <, > and & (and U+2028/9) in strings; JSON.stringify does not. Applied to
 * JSON text: those characters can only stand inside its strings. Five indexOf scans are
 * about five times faster than one regex test over a large answer (15 MB: 1.3 against 6.4 ms). */
function goEscape(json: string): string {
  const any =
    json.indexOf('<') >= 0 || json.indexOf('>') >= 0 || json.indexOf('&') >= 0 || json.indexOf('\u2028') >= 0 || json.indexOf('\u2029') >= 0;
  return any ? json.replace(GO_ESCAPED_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

function jsonString(s: string): string {
  return goEscape(JSON.stringify(s));
}

/**
 * One row of values. JSON.stringify writes numbers as Go does (shortest repr; NaN and ±Inf,
 * which Go cannot write, become null as in jsonCell), strings, booleans and null, in one
 * native call instead of one call per cell; it cannot write BigInts (integer fields, epoch
 * times), so rows holding one go cell by cell.
 */
function jsonRow(row: OutCell[]): string {
  for (let i = 0; i < row.length; i++) if (typeof row[i] === 'bigint') return `[${row.map(jsonCell).join(',')}]`;
  return goEscape(JSON.stringify(row));
}

type OutCell = Cell;

function jsonCell(v: OutCell): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      // Go writes the shortest repr with the same exponent thresholds as JS; it cannot
      // write NaN or ±Inf at all (the response fails), so they become null here.
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return jsonString(v);
  }
}

/** All rows: one JSON.stringify call for the lot when no cell is a BigInt (one native call
 * writes a large result about a third faster than one per row), else row by row. */
function jsonValues(values: OutCell[][]): string {
  for (const row of values) for (let i = 0; i < row.length; i++) if (typeof row[i] === 'bigint') return `[${values.map(jsonRow).join(',')}]`;
  return goEscape(JSON.stringify(values));
}

function jsonSeries(s: ResultSeries): string {
  const parts: string[] = [];
  if (s.name) parts.push(`"name":${jsonString(s.name)}`);
  const tagKeys = s.tags ? Object.keys(s.tags).sort() : [];
  if (tagKeys.length > 0) parts.push(`"tags":{${tagKeys.map((k) => `${jsonString(k)}:${jsonString(s.tags![k])}`).join(',')}}`);
  if (s.columns.length > 0) parts.push(`"columns":[${s.columns.map(jsonString).join(',')}]`);
  if (s.values.length > 0) parts.push(`"values":${jsonValues(s.values)}`);
  if (s.partial) parts.push('"partial":true');
  return `{${parts.join(',')}}`;
}

interface OutResult {
  statement_id: number;
  series?: ResultSeries[];
  messages?: { level: string; text: string }[];
  partial?: boolean;
  error?: string;
}

function jsonResult(r: OutResult): string {
  const parts = [`"statement_id":${r.statement_id}`];
  if (r.series && r.series.length > 0) parts.push(`"series":[${r.series.map(jsonSeries).join(',')}]`);
  if (r.messages && r.messages.length > 0) {
    parts.push(`"messages":[${r.messages.map((m) => `{"level":${jsonString(m.level)},"text":${jsonString(m.text)}}`).join(',')}]`);
  }
  if (r.partial) parts.push('"partial":true');
  if (r.error) parts.push(`"error":${jsonString(r.error)}`);
  return `{${parts.join(',')}}`;
}

function jsonResponse(results: OutResult[]): string {
  return results.length === 0 ? '{}' : `{"results":[${results.map(jsonResult).join(',')}]}`;
}

/** Go's json.MarshalIndent(v, "", "    ") of compact JSON text. */
export function indentJson(text: string): string {
  let out = '';
  let depth = 0;
  const nl = () => '\n' + '    '.repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      if (text[i + 1] === close) {
        out += c + close;
        i++;
      } else {
        depth++;
        out += c + nl();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += nl() + c;
    } else if (c === ',') {
      out += ',' + nl();
    } else if (c === ':') {
      out += ': ';
    } else {
      out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Times and chunks.

/**
 * RFC3339Nano as Go writes a time in a tz() zone: local time, trailing zeros of the fraction
 * trimmed, and the zone's offset as ±hh:mm (`Z` when it is 0; seconds of an offset, as
 * in old local mean times, are dropped as Go does).
 */
function formatZonedTimeNs(ns: bigint, zone: ZoneFn): string {
  const off = zone(ns);
  const local = formatTimeNs(ns + off).slice(0, -1);
  const offMin = off / 60_000_000_000n;
  if (offMin === 0n) return local + 'Z';
  const abs = offMin < 0n ? -offMin : offMin;
  const hh = (abs / 60n).toString().padStart(2, '0');
  const mm = (abs % 60n).toString().padStart(2, '0');
  return `${local}${offMin < 0n ? '-' : '+'}${hh}:${mm}`;
}

/** The series with its `time` cells as RFC3339Nano strings (in `zone` when given), or
 * integers of the epoch unit. */
function withTimes(s: ResultSeries, divisor: bigint | null, zone: ZoneFn | null): ResultSeries {
  const t = s.columns.indexOf('time');
  if (t < 0) return s;
  const values = s.values.map((row) => {
    const v = row[t];
    if (typeof v !== 'bigint') return row;
    const copy = row.slice();
    copy[t] = divisor !== null ? v / divisor : zone ? formatZonedTimeNs(v, zone) : formatTimeNs(v);
    return copy;
  });
  return { ...s, values };
}

function convertTimes(results: ExecutedResult[], divisor: bigint | null): ExecutedResult[] {
  return results.map((r) => {
    if (!r.series) return r;
    const zone = divisor === null && r.location ? makeZone(r.location) : null;
    return { ...r, series: r.series.map((s) => withTimes(s, divisor, zone)) };
  });
}

/** The result as the chunks InfluxDB streams for it. */
function chunksOf(r: ExecutedResult, size: number): OutResult[] {
  const base = (): OutResult => {
    const o: OutResult = { statement_id: r.statement_id };
    if (r.messages) o.messages = r.messages;
    if (r.partial) o.partial = true;
    if (r.error) o.error = r.error;
    return o;
  };
  const series = r.series ?? [];
  const mode: ChunkMode = r.chunking;
  if (series.length === 0 || mode === 'whole') return [{ ...base(), series }];
  if (mode === 'series') return series.map((s) => ({ ...base(), series: [s] }));
  const out: OutResult[] = [];
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    const lastSeries = i === series.length - 1;
    const n = Math.max(1, Math.ceil(s.values.length / size));
    for (let j = 0; j < n; j++) {
      const lastChunk = j === n - 1;
      const piece: ResultSeries = { ...s, values: s.values.slice(j * size, (j + 1) * size) };
      if (!lastChunk) piece.partial = true;
      else delete piece.partial;
      const o = { ...base(), series: [piece] };
      if (!(lastSeries && lastChunk)) o.partial = true;
      out.push(o);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The plain answer (not chunked, not pretty) written as bytes: what jsonResponse() writes
// for convertTimes()' results, byte for byte, without a string per cell (times are written
// as digits from their ns, numbers by the float text kernel). Raw queries answer one row per
// point, so this is most of their CPU outside the read.

function writeSeries(out: JsonBytes, s: ResultSeries, divisor: bigint | null, zone: ZoneFn | null): void {
  out.ascii('{');
  let first = true;
  const member = (name: string): void => {
    out.ascii(first ? `"${name}":` : `,"${name}":`);
    first = false;
  };
  if (s.name) {
    member('name');
    out.str(s.name, jsonString);
  }
  const tagKeys = s.tags ? Object.keys(s.tags).sort() : [];
  if (tagKeys.length > 0) {
    member('tags');
    out.ascii('{');
    for (let i = 0; i < tagKeys.length; i++) {
      if (i > 0) out.ascii(',');
      out.str(tagKeys[i], jsonString);
      out.ascii(':');
      out.str(s.tags![tagKeys[i]], jsonString);
    }
    out.ascii('}');
  }
  if (s.columns.length > 0) {
    member('columns');
    out.ascii('[');
    for (let i = 0; i < s.columns.length; i++) {
      if (i > 0) out.ascii(',');
      out.str(s.columns[i], jsonString);
    }
    out.ascii(']');
  }
  if (s.values.length > 0) {
    member('values');
    writeRows(out, s.values, s.columns.indexOf('time'), divisor, zone);
  }
  if (s.partial) {
    member('partial');
    out.ascii('true');
  }
  out.ascii('}');
}

function writeRows(out: JsonBytes, rows: Cell[][], timeCol: number, divisor: bigint | null, zone: ZoneFn | null): void {
  let count = 0;
  for (const row of rows) for (let j = 0; j < row.length; j++) if (typeof row[j] === 'number') count++;
  const nums = new Float64Array(count);
  count = 0;
  for (const row of rows) for (let j = 0; j < row.length; j++) if (typeof row[j] === 'number') nums[count++] = row[j] as number;
  const texts = new FloatTexts(nums);
  const times = new TimeNsWriter();
  out.ascii('[');
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    out.ascii(r > 0 ? ',[' : '[');
    for (let j = 0; j < row.length; j++) {
      if (j > 0) out.ascii(',');
      const v = row[j];
      if (typeof v === 'number') {
        // JSON.stringify's numbers: Go cannot write NaN or ±Inf (null here), and -0 is 0
        if (!Number.isFinite(v) || v === 0) {
          out.ascii(v === 0 ? '0' : 'null');
          texts.skip();
        } else texts.nextJs(out);
      } else if (typeof v === 'bigint') {
        if (j !== timeCol) out.ascii(v.toString());
        else if (divisor !== null) out.ascii((v / divisor).toString());
        else if (zone !== null) out.str(formatZonedTimeNs(v, zone), jsonString);
        else {
          out.need(TIME_NS_MAX_BYTES);
          const end = times.write(out.buf, out.pos, v);
          if (end >= 0) out.pos = end;
          else out.str(formatTimeNs(v), jsonString);
        }
      } else if (typeof v === 'string') out.str(v, jsonString);
      else if (typeof v === 'boolean') out.ascii(v ? 'true' : 'false');
      else out.ascii('null');
    }
    out.ascii(']');
  }
  out.ascii(']');
}

/** The plain answer as the string writers give it (tests compare it with jsonResponseBytes). */
export function jsonResponseText(results: ExecutedResult[], divisor: bigint | null): string {
  return jsonResponse(convertTimes(results, divisor)) + '\n';
}

/** jsonResponseText(results, divisor), as bytes. */
export function jsonResponseBytes(results: ExecutedResult[], divisor: bigint | null): Buffer {
  if (results.length === 0) return Buffer.from('{}\n');
  let cells = 0;
  for (const r of results) for (const s of r.series ?? []) cells += s.values.length * s.columns.length;
  const out = new JsonBytes(256 + 24 * cells);
  out.ascii('{"results":[');
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (i > 0) out.ascii(',');
    out.ascii(`{"statement_id":${r.statement_id}`);
    if (r.series && r.series.length > 0) {
      const zone = divisor === null && r.location ? makeZone(r.location) : null;
      out.ascii(',"series":[');
      for (let k = 0; k < r.series.length; k++) {
        if (k > 0) out.ascii(',');
        writeSeries(out, r.series[k], divisor, zone);
      }
      out.ascii(']');
    }
    if (r.messages && r.messages.length > 0) {
      out.ascii(',"messages":[');
      r.messages.forEach((m, k) => {
        out.ascii(k > 0 ? ',{"level":' : '{"level":');
        out.str(m.level, jsonString);
        out.ascii(',"text":');
        out.str(m.text, jsonString);
        out.ascii('}');
      });
      out.ascii(']');
    }
    if (r.partial) out.ascii(',"partial":true');
    if (r.error) {
      out.ascii(',"error":');
      out.str(r.error, jsonString);
    }
    out.ascii('}');
  }
  out.ascii(']}\n');
  return out.bytes();
}

// ---------------------------------------------------------------------------------------
// CSV, as InfluxDB's csvFormatter writes it.

function csvField(s: string): string {
  if (s === '') return s;
  if (s === '\\.' || /[",\r\n]/.test(s) || /^\s/u.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

function csvCell(v: OutCell): string {
  if (v === null) return '';
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
      return plainDecimal(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v;
  }
}

function escapeTag(s: string): string {
  return s.replace(/[,= ]/g, (c) => `\\${c}`);
}

function csvResponse(results: ExecutedResult[]): string {
  const lines: string[] = [];
  let statement = -1;
  let columns: string[] | null = null;
  for (const r of results) {
    const series = r.series ?? [];
    if (r.statement_id !== statement) {
      if (series.length === 0) continue;
      statement = r.statement_id;
      if (columns !== null) lines.push('');
      columns = null;
    }
    for (const s of series) {
      if (columns === null || columns.length !== s.columns.length || columns.some((c, i) => c !== s.columns[i])) {
        columns = s.columns;
        lines.push(['name', 'tags', ...s.columns].map(csvField).join(','));
      }
      const tags = s.tags
        ? Object.keys(s.tags)
            .sort()
            .map((k) => `${escapeTag(k)}=${escapeTag(s.tags![k])}`)
            .join(',')
        : '';
      for (const row of s.values) lines.push([s.name, tags, ...row.map(csvCell)].map(csvField).join(','));
    }
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

function wantsCsv(accept: string | string[] | undefined): boolean {
  const first = (Array.isArray(accept) ? accept[0] : (accept ?? '')).split(',')[0].split(';')[0].trim().toLowerCase();
  return first === 'application/csv' || first === 'text/csv';
}

// ---------------------------------------------------------------------------------------
// Routes.

export function influxqlPlugin(opts: InfluxQLRoutesOptions) {
  const startedAt = Date.now();
  const clock = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);

  /** A 400 as InfluxDB writes it: `{"error":"..."}` and a newline (or CSV), X-Influxdb-Error. */
  function fail(csv: boolean, message: string): LaneAnswer {
    const header = message.replace(/[^\x20-\x7e]/g, '?');
    const headers = { 'content-type': csv ? 'text/csv' : JSON_UTF8, 'x-influxdb-error': header.length > 512 ? `${header.slice(0, 509)}...` : header };
    return { status: 400, headers, body: csv ? `error\n${csvField(message)}\n` : `{"error":${jsonString(message)}}\n` };
  }

  function ok(type: string, body: string | Buffer, tiers: string | null): LaneAnswer {
    const headers: Record<string, string> = { 'content-type': type };
    if (tiers !== null) headers['x-strata-tier'] = tiers;
    return { status: 200, headers, body };
  }

  /** GET/POST /query: a request's parameters (`form`) to its answer. */
  async function answer(method: string, form: Form, accept: string | string[] | undefined): Promise<LaneAnswer> {
    const csv = wantsCsv(accept);
    const q = value(form, 'q');
    if (q.trim() === '') return fail(csv, 'missing required parameter "q"');

    let params: Record<string, unknown> | undefined;
    const rawParams = value(form, 'params');
    if (rawParams !== '') {
      try {
        const parsed: unknown = JSON.parse(rawParams);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('params must be a JSON object');
        params = parsed as Record<string, unknown>;
      } catch (err) {
        return fail(csv, `error parsing query parameters: ${(err as Error).message}`);
      }
    }

    const db = value(form, 'db');
    const rp = value(form, 'rp');
    const ctx: QueryContext = {
      engine: opts.db,
      database: db || undefined,
      retentionPolicy: rp || undefined,
      params,
      now: clock(),
      maxPoints: opts.maxPoints ?? 0,
      maxSeries: opts.maxSeries ?? 0,
      maxBuckets: opts.maxBuckets ?? 0,
      deadline: opts.timeoutMs ? Date.now() + opts.timeoutMs : 0,
      // present (if undefined) whatever the options: one object shape for V8, so code
      // compiled during the start-up warm-up (src/server/warmup.ts) fits real requests
      continuousQueries: opts.continuousQueries,
      tiers: opts.tierWatermarks === undefined ? undefined : { watermarks: opts.tierWatermarks, used: new Set() },
    };

    let results: ExecutedResult[];
    try {
      // A GET runs writing statements too, with InfluxDB's deprecation warning.
      results = await executeQuery(ctx, q, { version: opts.version, commit: opts.commit, startedAt, readOnly: method === 'GET' });
    } catch (err) {
      if (err instanceof InfluxQLParseError) return fail(csv, err.message);
      throw err;
    }

    const tiers = ctx.tiers !== undefined && ctx.tiers.used.size > 0 ? [...ctx.tiers.used].sort().join(', ') : null;
    const epoch = value(form, 'epoch').trim();
    const chunked = value(form, 'chunked') === 'true';
    // Not chunked, InfluxDB merges the results of one statement_id (a later error replacing
    // the earlier): after a failing statement only its last "not executed" is left.
    if (!chunked) results = mergeResults(results);
    if (csv) {
      // CSV times are integers: ns, or the epoch unit when one is asked for.
      const out = convertTimes(results, epochDivisor(epoch));
      return ok('text/csv', csvResponse(out), tiers);
    }
    const divisor = epoch === '' ? null : epochDivisor(epoch);
    const pretty = value(form, 'pretty') === 'true';
    if (!chunked && !pretty) return ok(JSON_UTF8, jsonResponseBytes(results, divisor), tiers);
    const out = convertTimes(results, divisor);
    const encode = (rs: OutResult[]) => {
      const text = jsonResponse(rs);
      return (pretty ? indentJson(text) : text) + '\n';
    };
    let body: string;
    if (chunked) {
      const n = Number.parseInt(value(form, 'chunk_size'), 10);
      const size = Number.isFinite(n) && n > 0 ? n : (opts.defaultChunkSize ?? DEFAULT_CHUNK_SIZE);
      body = out.flatMap((r) => chunksOf(r, size).map((c) => encode([c]))).join('');
    } else {
      body = encode(out);
    }
    return ok(JSON_UTF8, body, tiers);
  }

  return async function influxqlRoutes(app: FastifyInstance): Promise<void> {
    // A form body carries the parameters; any other body is ignored (as InfluxDB does).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_request, _body, done) => done(null, undefined));

    app.route({
      method: ['GET', 'POST'],
      url: '/query',
      config: { errorStyle: 'v1' },
      handler: async (request, reply) => sendAnswer(reply, await answer(request.method, formOf(request), request.headers.accept)),
    });
    // the same answers through the query lane (lane.ts)
    opts.lane?.add('/query', (req) =>
      answer(req.method, formFrom(req.body, req.query), req.headers.accept).catch((err: unknown) =>
        errorAnswer(err, 'v1', app.log, `/query${req.query === '' ? '' : '?'}${req.query}`),
      ),
    );
  };
}
