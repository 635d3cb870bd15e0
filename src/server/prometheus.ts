// The Prometheus HTTP API (/api/v1/...) over the PromQL engine, answering like Prometheus
// 2.x does, byte for byte where clients could tell: the envelopes
// `{"status":"success","data":...}` / `{"status":"error","errorType":...,"error":...}`,
// error messages and statuses, times as float seconds with millisecond fractions
// (`1700000300.500`), values as strings formatted like Go (`"1e-07"`, `"+Inf"`).
// src/server/testdata/prometheus-2.42.json holds a real Prometheus's answers;
// prometheus.test.ts checks Strata's against them.
//
// Every endpoint that Prometheus serves by GET and POST takes both; a POST body is
// `application/x-www-form-urlencoded`, and as in Go's Request.FormValue a body value
// comes before a query-string value of the same name.
//
// By default a query reads all databases as one namespace (storage.ts); `db=NAME` reads one.

import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../engine/database.js';
import type { Expr, LabelMatcher } from '../query/promql/ast.js';
import { PromQLParseError } from '../query/promql/ast.js';
import { instantQuery, rangeQuery } from '../query/promql/engine.js';
import { parseGoFloat } from '../query/promql/labels.js';
import { parseExpr } from '../query/promql/parser.js';
import { engineSource, matcherTest, SERIES_LABELS_ENTRIES, type EngineSeriesSource } from '../query/promql/storage.js';
import { SeriesLabelsCache } from '../query/promql/seriesLabels.js';
import type { TierWatermarks } from '../query/promql/tierSource.js';
import { PromQLError, type Labels, type QueryOutput } from '../query/promql/types.js';
import { sendAnswer } from './errors.js';
import { FloatTexts, JsonBytes } from './jsonBytes.js';
import type { LaneAnswer, QueryLane } from './lane.js';
import { parseRfc3339 } from './time.js';

/** The Prometheus release whose API (messages, shapes) Strata answers like. */
export const PROMETHEUS_COMPAT_VERSION = '2.42.0';

export const DEFAULT_LOOKBACK_MS = 5 * 60 * 1000;
export const DEFAULT_MAX_SAMPLES = 50_000_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 2 * 60 * 1000;
/** Prometheus's limit on the points of one series in a range query. */
const MAX_POINTS = 11_000;

export interface PrometheusQueryOptions {
  /** Instant-selector lookback, ms (default 5 minutes). */
  lookbackMs?: number;
  /** Most samples one query may hold (default 50,000,000). */
  maxSamples?: number;
  /** Most series one query's selectors may load (0: no limit). */
  maxSeries?: number;
  /** Longest a query may run, ms (default 2 minutes); a request's `timeout` can only lower it. */
  timeoutMs?: number;
  /** The downsampler's progress: given, range functions may read downsampling tiers and
   * answers say which in `X-Strata-Tier` (docs/retention.md, "Reads"). */
  tierWatermarks?: TierWatermarks;
}

export interface PrometheusRoutesOptions extends PrometheusQueryOptions {
  db: Database;
  /** Strata's version, reported in buildinfo's `revision`. */
  version: string;
  /** Largest form body, bytes. */
  bodyLimit?: number;
  /** Wall clock, ms (tests). */
  now?: () => number;
  /** The query lane: /api/v1/query and /api/v1/query_range are answered there too. */
  lane?: QueryLane;
}

type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'not_found';

/** An API error with Prometheus's errorType; sent as its error envelope. */
export class PrometheusApiError extends Error {
  readonly errorType: ErrorType;
  constructor(errorType: ErrorType, message: string) {
    super(message);
    this.name = 'PrometheusApiError';
    this.errorType = errorType;
  }
}

const STATUS: Record<ErrorType, number> = { bad_data: 400, execution: 422, canceled: 499, timeout: 503, internal: 500, not_found: 404 };

const badData = (message: string) => new PrometheusApiError('bad_data', message);
const invalidParam = (name: string, message: string) => badData(`invalid parameter ${goQuote(name)}: ${message}`);

// ---- JSON as Go's encoder writes it ----------------------------------------------------

const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029', '\b': '\\u0008', '\f': '\\u000c' };

/** A JSON string as Go's encoding/json writes it (HTML characters escaped). */
export function jsonString(s: string): string {
  const j = JSON.stringify(s);
  return /[<>&\u2028\u2029\b\f]/.test(j) ? j.replace(/[<>&\u2028\u2029\b\f]/g, (c) => JSON_ESCAPES[c]) : j;
}

/** A Go-quoted string (%q) for messages; JSON's quoting agrees for printable text. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * A sample value as Prometheus writes it: strconv.AppendFloat with 'f', or 'e' below 1e-6
 * and from 1e21 up, shortest digits. JavaScript switches to exponents at the same
 * magnitudes and picks the same shortest digits; Go writes at least two exponent digits.
 */
export function formatValue(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const digits = s.slice(e + 2);
  return digits.length >= 2 ? s : `${s.slice(0, e + 2)}0${digits}`;
}

/** A time in ms as Prometheus writes it: seconds, and a 3-digit fraction when not whole. */
export function formatTime(ms: number): string {
  let t = Math.round(ms);
  let sign = '';
  if (t < 0) {
    sign = '-';
    t = -t;
  }
  const frac = t % 1000;
  const secs = (t - frac) / 1000;
  if (frac === 0) return `${sign}${secs}`;
  return `${sign}${secs}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/** A label set as a JSON object, names sorted (Go's labels.Labels order). */
export function labelsJson(l: Labels): string {
  const names = Object.keys(l).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let s = '{';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ',';
    s += `${jsonString(names[i])}:${jsonString(l[names[i]])}`;
  }
  return s + '}';
}

function point(t: number, v: number): string {
  return `[${formatTime(t)},"${formatValue(v)}"]`;
}

/** The `data` of a query answer. */
export function resultJson(result: QueryOutput['result']): string {
  switch (result.resultType) {
    case 'scalar':
      return `{"resultType":"scalar","result":${point(result.t, result.v)}}`;
    case 'string':
      return `{"resultType":"string","result":[${formatTime(result.t)},${jsonString(result.v)}]}`;
    case 'vector': {
      const parts = result.samples.map((s) => `{"metric":${labelsJson(s.labels)},"value":${point(s.t, s.v)}}`);
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const parts = result.series.map((s) => {
        const pts = new Array<string>(s.times.length);
        for (let i = 0; i < s.times.length; i++) pts[i] = point(s.times[i], s.values[i]);
        return `{"metric":${labelsJson(s.labels)},"values":[${pts.join(',')}]}`;
      });
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

// ---- query answers written as bytes ------------------------------------------------------
//
// A range query can return hundreds of thousands of points: the answer is written straight
// into a byte buffer (times as digits, values as their shortest strings, label sets once per
// series) instead of a string per point joined into a rope and then encoded. The bytes are
// exactly those of successBody(resultJson(...)).

/** The answer's bytes: JsonBytes with Prometheus's times, points and label sets. */
class PromJsonBytes extends JsonBytes {
  /** formatTime(ms). */
  time(ms: number): void {
    let t = Math.round(ms);
    if (t < 0) {
      if (t < -9007199254740991) return this.ascii(formatTime(ms));
      this.need(1);
      this.buf[this.pos++] = 0x2d;
      t = -t;
    } else if (t > 9007199254740991 || t !== t) {
      return this.ascii(formatTime(ms));
    }
    const frac = t % 1000;
    this.uint((t - frac) / 1000);
    if (frac !== 0) {
      this.need(4);
      const b = this.buf;
      const p = this.pos;
      b[p] = 0x2e;
      b[p + 1] = 0x30 + Math.floor(frac / 100);
      b[p + 2] = 0x30 + (Math.floor(frac / 10) % 10);
      b[p + 3] = 0x30 + (frac % 10);
      this.pos = p + 4;
    }
  }

  /** point(t, v): `[time,"value"]`. */
  point(t: number, v: number): void {
    this.need(1);
    this.buf[this.pos++] = 0x5b;
    this.time(t);
    this.need(2);
    this.buf[this.pos++] = 0x2c;
    this.buf[this.pos++] = 0x22;
    if (Number.isInteger(v) && v >= 0 && v < 1e15 && !(v === 0 && 1 / v < 0)) this.uint(v);
    else this.ascii(formatValue(v));
    this.need(2);
    this.buf[this.pos++] = 0x22;
    this.buf[this.pos++] = 0x5d;
  }

  /**
   * The points of a series, comma-separated, each as point() writes it; the values' texts
   * come from the float text kernel (src/wasm/dtoa.ts) a batch at a time, 4-5x faster than
   * String(v) for full-precision values.
   */
  points(ts: ArrayLike<number>, vs: ArrayLike<number>): void {
    const texts = new FloatTexts(vs);
    for (let k = 0; k < ts.length; k++) {
      this.need(2);
      if (k > 0) this.buf[this.pos++] = 0x2c;
      this.buf[this.pos++] = 0x5b;
      this.time(ts[k]);
      this.need(2);
      this.buf[this.pos++] = 0x2c;
      this.buf[this.pos++] = 0x22;
      texts.next(this);
      this.need(2);
      this.buf[this.pos++] = 0x22;
      this.buf[this.pos++] = 0x5d;
    }
  }

  /**
   * labelsJson(l). A frozen label set is a stored series' own, shared by every query that
   * reads the series (src/query/promql/seriesLabels.ts): its bytes are made once and kept in
   * `cache` for as long as the set lives.
   */
  labels(l: Labels, cache?: WeakMap<Labels, Uint8Array>): void {
    if (cache === undefined || !Object.isFrozen(l)) return this.labelBytes(l);
    const hit = cache.get(l);
    if (hit !== undefined) {
      this.need(hit.length);
      this.buf.set(hit, this.pos);
      this.pos += hit.length;
      return;
    }
    const start = this.pos;
    this.labelBytes(l);
    cache.set(l, new Uint8Array(this.buf.subarray(start, this.pos))); // a copy: not a view of this answer
  }

  private labelBytes(l: Labels): void {
    const names = Object.keys(l);
    // label sets usually come with their names in order already
    for (let i = 1; i < names.length; i++) {
      if (names[i - 1] > names[i]) {
        names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        break;
      }
    }
    this.ascii('{');
    for (let i = 0; i < names.length; i++) {
      if (i > 0) this.ascii(',');
      this.str(names[i], jsonString);
      this.ascii(':');
      this.str(l[names[i]], jsonString);
    }
    this.ascii('}');
  }

}

/** successBody(resultJson(result), warnings, infos), as bytes. */
/** resultBody() with `labelJson` caching the bytes of frozen label sets (PromJsonBytes.labels). */
export function resultBody(
  result: QueryOutput['result'],
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
  labelJson?: WeakMap<Labels, Uint8Array>,
): Buffer {
  if (result.resultType !== 'vector' && result.resultType !== 'matrix') return Buffer.from(successBody(resultJson(result), warnings, infos));
  let points = 0;
  if (result.resultType === 'matrix') for (const s of result.series) points += s.times.length;
  else points = result.samples.length;
  const out = new PromJsonBytes(64 + 40 * points);
  if (result.resultType === 'vector') {
    out.ascii('{"status":"success","data":{"resultType":"vector","result":[');
    const samples = result.samples;
    for (let i = 0; i < samples.length; i++) {
      if (i > 0) out.ascii(',');
      out.ascii('{"metric":');
      out.labels(samples[i].labels, labelJson);
      out.ascii(',"value":');
      out.point(samples[i].t, samples[i].v);
      out.ascii('}');
    }
  } else {
    out.ascii('{"status":"success","data":{"resultType":"matrix","result":[');
    const series = result.series;
    for (let i = 0; i < series.length; i++) {
      const s = series[i];
      if (i > 0) out.ascii(',');
      out.ascii('{"metric":');
      out.labels(s.labels, labelJson);
      out.ascii(',"values":[');
      out.points(s.times, s.values);
      out.ascii(']}');
    }
  }
  out.ascii(']}');
  if (warnings.length > 0) out.text(`,"warnings":[${warnings.map(jsonString).join(',')}]`);
  if (infos.length > 0) out.text(`,"infos":[${infos.map(jsonString).join(',')}]`);
  out.ascii('}');
  return out.bytes();
}

/** The success envelope, `data` already JSON; warnings and infos only when there are some. */
function successBody(data: string, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  let s = `{"status":"success","data":${data}`;
  if (warnings.length > 0) s += `,"warnings":[${warnings.map(jsonString).join(',')}]`;
  if (infos.length > 0) s += `,"infos":[${infos.map(jsonString).join(',')}]`;
  return s + '}';
}

function errorBody(errorType: string, message: string): string {
  return `{"status":"error","errorType":${jsonString(errorType)},"error":${jsonString(message)}}`;
}

/** The headers of a JSON answer, as Prometheus sends them: plain application/json, no
 * charset. One frozen object, whose lines the lane checks once. */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** An answer as Prometheus sends it. */
function json(body: string | Buffer, status = 200): LaneAnswer {
  return { status, headers: JSON_HEADERS, body };
}

function send(reply: FastifyReply, body: string | Buffer, status = 200): FastifyReply {
  return sendAnswer(reply, json(body, status));
}

// ---- parameters, as Prometheus parses them -----------------------------------------------

type Form = Map<string, string[]>;

function addPairs(form: Form, text: string): void {
  const pairs = urlEncodedPairs(text);
  for (let i = 0; i < pairs.length; i += 2) {
    const list = form.get(pairs[i]);
    if (list) list.push(pairs[i + 1]);
    else form.set(pairs[i], [pairs[i + 1]]);
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;
const PLUS = /\+/g;

/**
 * The name-value pairs of an application/x-www-form-urlencoded text, flat (name, value,
 * ...), exactly as URLSearchParams parses them. Its parser is JavaScript and took ~5 µs of
 * a one-panel query's answer; a text whose escapes are all valid UTF-8 is split here and
 * decoded by decodeURIComponent (native), and any other (a stray `%`, an invalid byte
 * sequence, a lone surrogate) goes to URLSearchParams, which keeps what it cannot decode.
 */
export function urlEncodedPairs(init: string): string[] {
  const out: string[] = [];
  // URLSearchParams drops a leading `?` of its argument
  const text = init.charCodeAt(0) === 0x3f ? init.slice(1) : init;
  if (!SURROGATE.test(text)) {
    let ok = true;
    for (let at = 0; at <= text.length && ok; ) {
      let amp = text.indexOf('&', at);
      if (amp < 0) amp = text.length;
      if (amp > at) {
        const eq = text.indexOf('=', at);
        const split = eq >= 0 && eq < amp;
        const name = decoded(text, at, split ? eq : amp);
        const value = split ? decoded(text, eq + 1, amp) : '';
        if (name === null || value === null) ok = false;
        else out.push(name, value);
      }
      at = amp + 1;
    }
    if (ok) return out;
    out.length = 0;
  }
  for (const [k, v] of new URLSearchParams(text)) out.push(k, v);
  return out;
}

/** text[from, to) with `+` as a space and its escapes decoded; null when they are not valid UTF-8. */
function decoded(text: string, from: number, to: number): string | null {
  let s = text.slice(from, to);
  if (s.indexOf('+') >= 0) s = s.replace(PLUS, ' ');
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Body values first, then the query string's (Go's Request.ParseForm). */
function formOf(request: FastifyRequest): Form {
  const q = request.url.indexOf('?');
  return formFrom(typeof request.body === 'string' ? request.body : '', q >= 0 ? request.url.slice(q + 1) : '');
}

function formFrom(body: string, query: string): Form {
  const form: Form = new Map();
  if (body !== '') addPairs(form, body);
  if (query !== '') addPairs(form, query);
  return form;
}

/** FormValue: the first value, '' when absent. */
function value(form: Form, name: string): string {
  return form.get(name)?.[0] ?? '';
}

const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

/** Prometheus's parseTime: float unix seconds (rounded to ms) or RFC 3339; ms, ±Infinity for its min/max. */
export function parseTime(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined && Number.isFinite(f)) {
    // Go: s, ns := math.Modf(t); ns = math.Round(ns*1000) / 1000; time.Unix(int64(s), int64(ns*1e9)).
    const secs = Math.trunc(f);
    const r = (f - secs) * 1000;
    const frac = (r < 0 ? -Math.round(-r) : Math.round(r)) / 1000;
    const nanos = Math.trunc(frac * 1e9);
    return secs * 1000 + Math.floor(nanos / 1e6);
  }
  const ns = parseRfc3339(s);
  if (ns !== null) {
    const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
    return Number(ms);
  }
  if (s === MIN_TIME_FORMATTED) return -Infinity;
  if (s === MAX_TIME_FORMATTED) return Infinity;
  throw new Error(`cannot parse ${goQuote(s)} to a valid timestamp`);
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Prometheus's parseDuration: float seconds or a duration like `1m30s`; in ns (a float). */
export function parseDurationNs(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined) {
    const ns = f * 1e9;
    if (ns > 9.223372036854776e18 || ns < -9.223372036854776e18 || Number.isNaN(ns)) {
      throw new Error(`cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    }
    return Math.trunc(ns);
  }
  const m = s === '' || s === '0' ? null : DURATION_RE.exec(s);
  if (m) {
    let ms = 0;
    for (let i = 0; i < UNIT_MS.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[i];
    if (ms * 1e6 <= 9.223372036854776e18) return ms * 1e6;
  }
  throw new Error(`cannot parse ${goQuote(s)} to a valid duration`);
}

/** A time parameter with a default (Prometheus's parseTimeParam). */
function timeParam(form: Form, name: string, dflt: number): number {
  const v = value(form, name);
  if (v === '') return dflt;
  try {
    return parseTime(v);
  } catch (err) {
    throw invalidParam(name, `Invalid time value for '${name}': ${(err as Error).message}`);
  }
}

function limitParam(form: Form): number {
  const s = value(form, 'limit');
  if (s === '') return 0;
  if (!/^[+-]?\d+$/.test(s)) throw invalidParam('limit', `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (n < 0) throw invalidParam('limit', 'limit must be non-negative');
  return n;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Each match[] as a selector's matchers (Prometheus's parseMatchersParam). */
function matcherSets(values: readonly string[]): LabelMatcher[][] {
  const sets = values.map((s) => {
    let e: Expr;
    try {
      e = parseExpr(s);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // Prometheus's metric-selector parser leaves this check to the API (below).
      if (/at least one non-empty matcher/.test(msg)) return null;
      throw badData(msg);
    }
    if (e.type !== 'VectorSelector' || e.offset !== 0 || e.at !== null) {
      throw badData(`1:1: parse error: ${goQuote(s)} is not a series selector such as up{job="x"}`);
    }
    return e.matchers;
  });
  for (const set of sets) {
    if (set === null || !set.some((m) => !matcherTest(m)(''))) {
      throw badData('match[] must contain at least one non-empty matcher');
    }
  }
  return sets as LabelMatcher[][];
}

// ---- the routes ---------------------------------------------------------------------------

export function prometheusPlugin(opts: PrometheusRoutesOptions) {
  const { db } = opts;
  const now = opts.now ?? Date.now;
  const lookbackMs = opts.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const maxSamples = opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
  const maxSeries = opts.maxSeries ?? 0;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const startTime = new Date(now()).toISOString();

  // Series sources hold no per-query state, only their compiled regexes of metric names
  // and the label sets of the series read (one cache for all: a series' labels do not
  // depend on its database): one for all databases and one per database asked for
  // (existing ones only), kept.
  const labels = new SeriesLabelsCache(SERIES_LABELS_ENTRIES);
  // the JSON of those label sets, for as long as each set is in use
  const labelJson = new WeakMap<Labels, Uint8Array>();
  const everyDatabase = engineSource(db, { watermarks: opts.tierWatermarks, labels });
  const oneDatabase = new Map<string, EngineSeriesSource>();

  function source(form: Form): EngineSeriesSource {
    const name = value(form, 'db');
    if (name === '') return everyDatabase;
    if (!db.hasDatabase(name)) throw invalidParam('db', `database not found: ${goQuote(name)}`);
    let src = oneDatabase.get(name);
    if (src === undefined) {
      // (databases come and go: the oldest source makes room)
      if (oneDatabase.size >= 256) oneDatabase.delete(oneDatabase.keys().next().value!);
      oneDatabase.set(name, (src = engineSource(db, { database: name, watermarks: opts.tierWatermarks, labels })));
    }
    return src;
  }

  function engineOptions(form: Form) {
    let timeout = timeoutMs;
    const to = value(form, 'timeout');
    if (to !== '') {
      let ns: number;
      try {
        ns = parseDurationNs(to);
      } catch (err) {
        throw invalidParam('timeout', (err as Error).message);
      }
      timeout = Math.min(timeout, ns / 1e6);
    }
    return { lookbackMs, maxSamples, maxSeries, timeoutMs: timeout };
  }

  /** A query's output as the envelope; `limit` truncates vectors and matrices. */
  function queryAnswer(out: QueryOutput, limit: number): LaneAnswer {
    const warnings = [...out.warnings];
    let result = out.result;
    if (limit > 0) {
      if (result.resultType === 'vector' && result.samples.length > limit) {
        result = { resultType: 'vector', samples: result.samples.slice(0, limit) };
        warnings.push('results truncated due to limit');
      } else if (result.resultType === 'matrix' && result.series.length > limit) {
        result = { resultType: 'matrix', series: result.series.slice(0, limit) };
        warnings.push('results truncated due to limit');
      }
    }
    const a = json(resultBody(result, warnings, out.infos, labelJson));
    if (out.tiers !== undefined && out.tiers.length > 0) a.headers = { ...a.headers, 'x-strata-tier': out.tiers.join(', ') };
    return a;
  }

  /** Engine errors: bad_data is the query's fault (parse and type errors). */
  function queryError(err: unknown, instant: boolean): never {
    if (err instanceof PromQLError) {
      if (err.errorType === 'bad_data') throw instant ? invalidParam('query', err.message) : badData(err.message);
      throw new PrometheusApiError(err.errorType, err.message);
    }
    if (err instanceof PromQLParseError) throw instant ? invalidParam('query', err.message) : badData(err.message);
    throw err;
  }

  /** The answer to an error: the API's envelope, with Prometheus's status for its type. */
  function apiErrorAnswer(err: Error & { statusCode?: number }, log: FastifyBaseLogger, url: string): LaneAnswer {
    if (err instanceof PrometheusApiError) return json(errorBody(err.errorType, err.message), STATUS[err.errorType]);
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) log.error({ err, url }, 'Prometheus API request failed');
    const type: ErrorType = status >= 500 ? (status === 503 ? 'timeout' : 'internal') : 'bad_data';
    return json(errorBody(type, err.message), status);
  }

  /** GET/POST /api/v1/query. */
  function instant(form: Form): LaneAnswer {
    const time = timeParam(form, 'time', now());
    const eopts = engineOptions(form);
    const limit = limitParam(form);
    const src = source(form);
    let out: QueryOutput;
    try {
      out = instantQuery(src, value(form, 'query'), time, eopts);
    } catch (err) {
      queryError(err, true);
    }
    return queryAnswer(out, limit);
  }

  /** GET/POST /api/v1/query_range. */
  function range(form: Form): LaneAnswer {
    const parse = (name: string): number => {
      try {
        return parseTime(value(form, name));
      } catch (err) {
        throw invalidParam(name, (err as Error).message);
      }
    };
    const start = parse('start');
    const end = parse('end');
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    let stepNs: number;
    try {
      stepNs = parseDurationNs(value(form, 'step'));
    } catch (err) {
      throw invalidParam('step', (err as Error).message);
    }
    const stepMs = Math.trunc(stepNs / 1e6);
    if (stepNs <= 0 || stepMs <= 0) {
      throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    }
    if (Math.floor(((end - start) * 1e6) / stepNs) > MAX_POINTS) {
      throw badData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw invalidParam('start', 'the time range must be finite');
    const eopts = engineOptions(form);
    const limit = limitParam(form);
    const src = source(form);
    let out: QueryOutput;
    try {
      out = rangeQuery(src, value(form, 'query'), start, end, stepMs, eopts);
    } catch (err) {
      queryError(err, false);
    }
    return queryAnswer(out, limit);
  }

  return async function prometheusRoutes(app: FastifyInstance): Promise<void> {
    // Grafana and promtool POST forms; nothing else in this scope takes a body.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: opts.bodyLimit },
      (_request, body, done) => done(null, body),
    );

    app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => sendAnswer(reply, apiErrorAnswer(err, request.log, request.url)));

    const both = ['GET', 'POST'] as const;

    // The query endpoints, through fastify and through the query lane (lane.ts): one answer
    // function each.
    const queries: [string, (form: Form) => LaneAnswer][] = [
      ['/api/v1/query', instant],
      ['/api/v1/query_range', range],
    ];
    for (const [url, answer] of queries) {
      app.route({ method: [...both], url, handler: async (request, reply) => sendAnswer(reply, answer(formOf(request))) });
      opts.lane?.add(url, (req) => {
        try {
          return answer(formFrom(req.body, req.query));
        } catch (err) {
          return apiErrorAnswer(err as Error, app.log, `${url}${req.query === '' ? '' : '?'}${req.query}`);
        }
      });
    }

    app.route({
      method: [...both],
      url: '/api/v1/series',
      handler: async (request, reply) => {
        const form = formOf(request);
        const match = form.get('match[]') ?? [];
        if (match.length === 0) throw badData('no match[] parameter provided');
        const start = timeParam(form, 'start', -Infinity);
        const end = timeParam(form, 'end', Infinity);
        let sets: LabelMatcher[][];
        try {
          sets = matcherSets(match);
        } catch (err) {
          throw err instanceof PrometheusApiError ? invalidParam('match[]', err.message) : err;
        }
        const limit = limitParam(form);
        let series = source(form).series(sets, start, end);
        const warnings: string[] = [];
        if (limit > 0 && series.length > limit) {
          series = series.slice(0, limit);
          warnings.push('results truncated due to limit');
        }
        return send(reply, successBody(`[${series.map(labelsJson).join(',')}]`, warnings));
      },
    });

    app.route({
      method: [...both],
      url: '/api/v1/labels',
      handler: async (request, reply) => {
        const form = formOf(request);
        const start = timeParam(form, 'start', -Infinity);
        const end = timeParam(form, 'end', Infinity);
        const sets = matcherSets(form.get('match[]') ?? []);
        const limit = limitParam(form);
        return send(reply, listAnswer(source(form).labelNames(sets, start, end), limit));
      },
    });

    app.get<{ Params: { name: string } }>('/api/v1/label/:name/values', async (request, reply) => {
      const form = formOf(request);
      const name = request.params.name;
      if (!LABEL_NAME.test(name)) throw badData(`invalid label name: ${goQuote(name)}`);
      const start = timeParam(form, 'start', -Infinity);
      const end = timeParam(form, 'end', Infinity);
      const sets = matcherSets(form.get('match[]') ?? []);
      const limit = limitParam(form);
      return send(reply, listAnswer(source(form).labelValues(name, sets, start, end), limit));
    });

    app.get('/api/v1/metadata', async (request, reply) => {
      const form = formOf(request);
      let limit = -1;
      const s = value(form, 'limit');
      if (s !== '') {
        if (!/^[+-]?\d+$/.test(s)) throw badData('limit must be a number');
        limit = Number(s);
      }
      const metric = value(form, 'metric');
      const parts: string[] = [];
      for (const m of source(form).metrics()) {
        if (limit >= 0 && parts.length >= limit) break;
        if (metric !== '' && m.name !== metric) continue;
        // Strata keeps no metric types or help texts (remote write 1.0 sends none).
        parts.push(`${jsonString(m.name)}:[{"type":"unknown","help":"","unit":""}]`);
      }
      return send(reply, successBody(`{${parts.join(',')}}`));
    });

    app.route({
      method: [...both],
      url: '/api/v1/query_exemplars',
      handler: async (request, reply) => {
        const form = formOf(request);
        timeParam(form, 'start', -Infinity);
        timeParam(form, 'end', Infinity);
        return send(reply, successBody('[]'));
      },
    });

    app.get('/api/v1/status/buildinfo', async (_request, reply) => {
      // No `features` key: Grafana takes a buildinfo with one for Mimir or Cortex.
      const data = {
        version: PROMETHEUS_COMPAT_VERSION,
        revision: `strata-${opts.version}`,
        branch: 'strata',
        buildUser: 'strata',
        buildDate: 'unknown',
        goVersion: `node${process.versions.node}`,
      };
      return send(reply, successBody(JSON.stringify(data)));
    });

    app.get('/api/v1/status/runtimeinfo', async (_request, reply) => {
      const data = {
        startTime,
        CWD: process.cwd(),
        reloadConfigSuccess: true,
        lastConfigTime: startTime,
        corruptionCount: 0,
        goroutineCount: 0,
        GOMAXPROCS: 1,
        GOGC: '',
        GODEBUG: '',
        storageRetention: 'per database (see /query SHOW RETENTION POLICIES)',
      };
      return send(reply, successBody(JSON.stringify(data)));
    });

    app.get('/api/v1/status/flags', async (_request, reply) => {
      const data = {
        'query.lookback-delta': formatDuration(lookbackMs),
        'query.max-samples': String(maxSamples),
        'query.timeout': formatDuration(timeoutMs),
      };
      return send(reply, successBody(JSON.stringify(data)));
    });
  };
}

function listAnswer(list: string[], limit: number): string {
  if (limit > 0 && list.length > limit) return successBody(`[${list.slice(0, limit).map(jsonString).join(',')}]`, ['results truncated due to limit']);
  return successBody(`[${list.map(jsonString).join(',')}]`);
}

/** A duration in ms as Prometheus prints one (`5m`, `1h30m`, `1500ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let s = '';
  for (const [unit, size] of [
    ['y', 365 * 86_400_000],
    ['w', 7 * 86_400_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      s += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return s;
}
