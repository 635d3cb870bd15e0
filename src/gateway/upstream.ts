// Upstreams of store-and-forward: what a URL means (its kind), how a batch of points is
// encoded for it, and how an answer is classified (sent, retry later, dead letter).
//
//   influx-v1     POST <base>/write?db=D[&rp=R]        line protocol, ns, gzip (also Strata)
//   influx-v2     POST <base>/api/v2/write?bucket=B&org=O  the same + Authorization: Token
//   remote-write  POST <base>/api/v1/write (or any URL with remote_write / receive)
//                 Prometheus remote write 1.0: prometheus.WriteRequest, snappy block format
//
// A URL may hold `{db}` and `{rp}`, replaced by each point's local database and retention
// policy (one upstream database per local one); otherwise every forwarded point goes to the
// database the URL names. Line protocol carries the original nanosecond timestamps (the
// default precision of both write APIs). Remote write carries numeric fields only, as
// metric `metricName(measurement, field)` with the tags as labels and ms timestamps.

import { compressSync } from 'snappy';
import { badRequest } from '../errors.js';
import type { PointBatch } from '../ingest/batch.js';
import { escapeStringValue, escapeTag, parseSeriesKey } from '../ingest/seriesKey.js';
import { formatFloat } from '../ingest/serialize.js';
import { metricName } from '../query/promql/storage.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';

export type UpstreamKind = 'influx-v1' | 'influx-v2' | 'remote-write';

export interface UpstreamConfig {
  /** Names the cursor and dead-letter files: letters, digits, `._-`. */
  name: string;
  url: string;
  /** Inferred from the URL when absent (see inferKind). */
  kind?: UpstreamKind;
  /** influx-v2: `Authorization: Token …`; influx-v1: the same header (InfluxDB 1.8 accepts
   * `Token user:password`); remote-write: `Authorization: Bearer …`. */
  token?: string;
  /** Local databases to forward (default: all). */
  databases?: string[];
}

/** The kind of an upstream from its URL; throws a 400-style error when it is none. */
export function inferKind(url: string): UpstreamKind {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream URL ${JSON.stringify(url)} does not parse: give e.g. http://central:8086/write?db=edge`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream URL ${url}: only http and https are supported`);
  const p = u.pathname.replace(/\/+$/, '');
  if (p.endsWith('/api/v2/write')) {
    if (!u.searchParams.get('bucket')) throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream URL ${url}: /api/v2/write needs ?bucket= (and ?org= for InfluxDB 2)`);
    return 'influx-v2';
  }
  if (p.endsWith('/write') && !p.endsWith('/api/v1/write')) {
    if (!u.searchParams.get('db')) throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream URL ${url}: /write needs ?db=`);
    return 'influx-v1';
  }
  if (p.endsWith('/api/v1/write') || /remote_write|receive/.test(p)) return 'remote-write';
  throw badRequest(
    'STRATA_ERR_BAD_PARAMETER',
    `upstream URL ${url} is neither an InfluxDB write URL (/write?db=, /api/v2/write?bucket=) nor a remote-write URL (/api/v1/write, …remote_write…, …receive…)`,
  );
}

/** Checks an upstream's name and URL; its kind (given, or inferred from the URL). */
export function checkUpstream(cfg: UpstreamConfig): UpstreamKind {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(cfg.name ?? '') || cfg.name.startsWith('.')) {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream name ${JSON.stringify(cfg.name)}: use 1-100 letters, digits, '.', '_' or '-' (not starting with '.')`);
  }
  if (cfg.kind === undefined) return inferKind(cfg.url);
  // An explicit kind wins over the URL's shape (a proxy path, say); the URL must still parse.
  if (!KINDS.includes(cfg.kind)) throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream kind ${JSON.stringify(cfg.kind)}: use ${KINDS.join(', ')}`);
  try {
    new URL(cfg.url);
  } catch {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `upstream URL ${JSON.stringify(cfg.url)} does not parse`);
  }
  return cfg.kind;
}

const KINDS: UpstreamKind[] = ['influx-v1', 'influx-v2', 'remote-write'];

/** The URL of the points of one local database and retention policy. */
export function targetUrl(url: string, db: string, rp: string): string {
  if (!url.includes('{')) return url;
  return url.replaceAll('{db}', encodeURIComponent(db)).replaceAll('{rp}', encodeURIComponent(rp));
}

// ---- line protocol ------------------------------------------------------------------------

/** Appends the points of `batch` (those with mask[i] set, or all) as lines with ns
 * timestamps to `out`. Floats that line protocol cannot spell (NaN, ±Inf: only remote
 * write stores them) are left out and counted in the result. */
export function batchToLines(batch: PointBatch, out: string[]): { lines: number; unrepresentable: number } {
  let lines = 0;
  let unrepresentable = 0;
  const { fieldStart, fieldKey, fieldType, fieldBits, fieldF64, fieldStr, time } = batch;
  for (let i = 0; i < batch.count; i++) {
    let s = batch.seriesKey[i] + ' ';
    let n = 0;
    for (let j = fieldStart[i]; j < fieldStart[i + 1]; j++) {
      const v = fieldText(fieldType[j], fieldBits, fieldF64, fieldStr, j);
      if (v === null) {
        unrepresentable++;
        continue;
      }
      if (n++ > 0) s += ',';
      s += escapeTag(fieldKey[j]) + '=' + v;
    }
    if (n === 0) continue;
    s += ' ' + wordsToDecimal(time[2 * i], time[2 * i + 1]);
    out.push(s);
    lines++;
  }
  return { lines, unrepresentable };
}

function fieldText(type: number, bits: Uint32Array, f64: Float64Array, str: string[], j: number): string | null {
  switch (type) {
    case FLOAT: {
      const x = f64[j];
      return Number.isFinite(x) ? formatFloat(x) : null;
    }
    case INTEGER:
      return wordsToDecimal(bits[2 * j], bits[2 * j + 1]) + 'i';
    case UNSIGNED:
      return uwordsToDecimal(bits[2 * j], bits[2 * j + 1]) + 'u';
    case BOOLEAN:
      return bits[2 * j] !== 0 || bits[2 * j + 1] !== 0 ? 'true' : 'false';
    case STRING:
      return '"' + escapeStringValue(str[j] ?? '') + '"';
    default:
      return null;
  }
}

const TWO32 = 4294967296;

/** Signed int64 (two's complement words) in decimal, without BigInt when it fits 2^53. */
export function wordsToDecimal(lo: number, hi: number): string {
  const h = hi | 0;
  if (h >= -0x200000 && h < 0x200000) return String(h * TWO32 + (lo >>> 0));
  return ((BigInt(h) << 32n) | BigInt(lo >>> 0)).toString();
}

function uwordsToDecimal(lo: number, hi: number): string {
  const h = hi >>> 0;
  if (h < 0x200000) return String(h * TWO32 + (lo >>> 0));
  return ((BigInt(h) << 32n) | BigInt(lo >>> 0)).toString();
}

// ---- remote write -------------------------------------------------------------------------

/** Samples of a remote-write batch: series (label sets, sorted) and samples in WAL order. */
export interface Samples {
  series: [string, string][][];
  /** Per sample: index into `series`, ms timestamp, value. */
  ref: number[];
  ms: number[];
  value: number[];
  /** Encoded labels per series (filled by encodeWriteRequest). */
  labelBytes?: (Buffer | undefined)[];
}

export function newSamples(): Samples {
  return { series: [], ref: [], ms: [], value: [] };
}

const NAME_BAD = /[^a-zA-Z0-9_:]/g;
const LABEL_BAD = /[^a-zA-Z0-9_]/g;

/** A Prometheus metric or label name from an arbitrary one: invalid characters become `_`,
 * and a leading digit gets a `_` in front. */
function promName(s: string, re: RegExp): string {
  let out = s.replace(re, '_');
  if (out === '' || (out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57)) out = '_' + out;
  return out;
}

/**
 * Appends the numeric field values of `batch` (float, integer, unsigned, boolean as 0/1;
 * strings are skipped and counted) as samples. `index` maps series key → field → a
 * series of `out` (kept by the caller for the batch).
 */
export function batchToSamples(batch: PointBatch, out: Samples, index: Map<string, Map<string, number>>): { samples: number; skipped: number } {
  let samples = 0;
  let skipped = 0;
  const { fieldStart, fieldKey, fieldType, fieldBits, fieldF64, time } = batch;
  for (let i = 0; i < batch.count; i++) {
    const key = batch.seriesKey[i];
    const ms = nsWordsToMs(time[2 * i], time[2 * i + 1]);
    let fields = index.get(key);
    if (fields === undefined) index.set(key, (fields = new Map()));
    for (let j = fieldStart[i]; j < fieldStart[i + 1]; j++) {
      const t = fieldType[j];
      let v: number;
      if (t === FLOAT) v = fieldF64[j];
      else if (t === INTEGER) v = (fieldBits[2 * j + 1] | 0) * TWO32 + (fieldBits[2 * j] >>> 0);
      else if (t === UNSIGNED) v = (fieldBits[2 * j + 1] >>> 0) * TWO32 + (fieldBits[2 * j] >>> 0);
      else if (t === BOOLEAN) v = fieldBits[2 * j] !== 0 || fieldBits[2 * j + 1] !== 0 ? 1 : 0;
      else {
        skipped++;
        continue;
      }
      let ref = fields.get(fieldKey[j]);
      if (ref === undefined) {
        const { measurement, tags } = parseSeriesKey(key);
        const labels: [string, string][] = [['__name__', promName(metricName(measurement, fieldKey[j]), NAME_BAD)]];
        for (const [k, val] of tags) if (k !== '__name__') labels.push([promName(k, LABEL_BAD), val]);
        labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        ref = out.series.length;
        out.series.push(labels);
        fields.set(fieldKey[j], ref);
      }
      out.ref.push(ref);
      out.ms.push(ms);
      out.value.push(v);
      samples++;
    }
  }
  return { samples, skipped };
}

/** floor(ns / 1e6) of int64 words, exact without BigInt: ns = hi * 2^32 + lo
 * = hi * 4294 * 1e6 + (hi * 967296 + lo), and the second term stays below 2^53. */
export function nsWordsToMs(lo: number, hi: number): number {
  const h = hi | 0;
  const b = h * 967296 + (lo >>> 0);
  let q = Math.floor(b / 1e6);
  const r = b - q * 1e6;
  if (r < 0) q--;
  else if (r >= 1e6) q++;
  return h * 4294 + q;
}

/** Samples [from, to) as a snappy-compressed prometheus.WriteRequest. One buffer, sized
 * first: each series' labels are encoded once per batch (cached in `s.labelBytes`). */
export function encodeWriteRequest(s: Samples, from = 0, to = s.ref.length): Buffer {
  // Group samples by series, keeping each series' samples in WAL order.
  const bySeries = new Map<number, number[]>();
  for (let k = from; k < to; k++) {
    const r = s.ref[k];
    let list = bySeries.get(r);
    if (!list) bySeries.set(r, (list = []));
    list.push(k);
  }
  const labels = (s.labelBytes ??= []);
  let total = 0;
  const tsSize: number[] = [];
  for (const [r, list] of bySeries) {
    let lb = labels[r];
    if (lb === undefined) labels[r] = lb = encodeLabels(s.series[r]);
    let n = lb.length;
    for (const k of list) {
      const smp = 9 + 1 + varintSize(s.ms[k]);
      n += 1 + varintSize(smp) + smp;
    }
    tsSize.push(n);
    total += 1 + varintSize(n) + n;
  }
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  let i = 0;
  for (const [r, list] of bySeries) {
    out[o++] = 0x0a; // field 1 (timeseries), length-delimited
    o = putVarint(out, o, tsSize[i++]);
    o += labels[r]!.copy(out, o);
    for (const k of list) {
      const ms = s.ms[k];
      out[o++] = 0x12; // field 2 (samples), length-delimited
      o = putVarint(out, o, 9 + 1 + varintSize(ms));
      out[o++] = 0x09; // field 1 (value), fixed64
      out.writeDoubleLE(s.value[k], o);
      o += 8;
      out[o++] = 0x10; // field 2 (timestamp), varint
      o = putVarint(out, o, ms);
    }
  }
  return compressSync(out) as Buffer;
}

/** The labels of a TimeSeries (repeated field 1) as bytes. */
function encodeLabels(labels: readonly [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of labels) {
    const nb = Buffer.from(name, 'utf8');
    const vb = Buffer.from(value, 'utf8');
    const size = 1 + varintSize(nb.length) + nb.length + 1 + varintSize(vb.length) + vb.length;
    const b = Buffer.allocUnsafe(1 + varintSize(size) + size);
    let o = 0;
    b[o++] = 0x0a;
    o = putVarint(b, o, size);
    b[o++] = 0x0a;
    o = putVarint(b, o, nb.length);
    o += nb.copy(b, o);
    b[o++] = 0x12;
    o = putVarint(b, o, vb.length);
    vb.copy(b, o);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** Bytes of a varint of an integer (negative: two's complement int64, ten bytes). */
function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(b: Buffer, o: number, v: number): number {
  if (v < 0) {
    let x = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 9; i++) {
      b[o++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    b[o++] = Number(x);
    return o;
  }
  while (v >= 128) {
    b[o++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  b[o++] = v;
  return o;
}

// ---- answers --------------------------------------------------------------------------------

export type Verdict = 'sent' | 'retry' | 'dead-letter';

/** 2xx: sent. 408, 425, 429, 5xx and anything not 4xx: retry. Other 4xx: dead letter. */
export function classify(status: number): Verdict {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 408 || status === 425 || status === 429) return 'retry';
  if (status >= 400 && status < 500) return 'dead-letter';
  return 'retry';
}

/** Retry-After in ms (delay-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(v: string | null, nowMs: number): number | null {
  if (v === null) return null;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const d = Date.parse(t);
  if (Number.isNaN(d)) return null;
  return Math.max(0, d - nowMs);
}

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter", 2015): uniform in [0, min(max, base * 2^attempt)). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}
