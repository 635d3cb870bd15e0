// Prometheus remote write 1.0 (`prometheus.WriteRequest`, snappy block format) -> PointBatch,
// and remote write 2.0 (`io.prometheus.write.v2.Request`, see decodeV2) the same way.
//
// A sample `name{labels}` becomes measurement `name`, field `value` (float64) and tags = the
// other labels (docs/DESIGN: it reads back unchanged through the PromQL view). The schema is
// tiny, so the protobuf is read by hand, straight from the bytes:
//
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
//
// - Values: the 8 little-endian bytes of the double are copied into the batch's 64-bit words
//   as they are, never through a JS number, so NaN payloads (Prometheus' stale marker is
//   0x7ff0000000000002), -0 and ±Inf are kept bit for bit.
// - Timestamps: int64 ms -> int64 ns (ms * 1e6) as two 32-bit words with exact number math
//   (every partial product stays below 2^53); a sample whose time does not fit int64 ns
//   (before 1677-09-21 or after 2262-04-11) is rejected.
// - Labels: empty values are dropped (Prometheus semantics: an empty label is no label). A
//   series without `__name__`, with a repeated label name, with text that is not UTF-8 or a
//   name our series keys cannot carry (seriesKey.ts nameProblem), or with native histograms,
//   is rejected: each of its samples becomes one error naming the series and the reason, and
//   the other series of the request are stored.
// - Metadata and exemplars are skipped.
// - `lineNo` (what errors call "line") is the 1-based index of the sample in the request,
//   counting float samples and native-histogram samples in the order they appear.
//
// Hot path: Prometheus sends the same series in every request, so the canonical series key
// is cached by the raw bytes of the series' labels (LabelSetCache, two-way set associative,
// 64 Ki entries): a hit costs a hash and a byte compare, and allocates nothing. Measured
// (Node 20, one core) on requests of 2,000 node-exporter-like series with one sample each,
// Prometheus' usual shape: 3.1 M samples/s decoded with the cache warm (0.64 ms a request;
// 2.5 M/s with snappy), against 0.2-0.4 M/s for protobufjs decoding plus makeSeriesKey;
// with 10 samples per series 10 M samples/s. 2.0 requests: 1.5 M and 7.7 M samples/s.
// Snappy output is copied into the JS heap (copyOutputData): napi's external buffers cost
// 5-10x more than the copy (GC bookkeeping per request).

import { uncompressSync } from 'snappy';
import { BadRequestError } from '../errors.js';
import { FLOAT } from '../types.js';
import { PointBatch } from './batch.js';
import { sliceString } from './lptables.js';
import { validUtf8 } from './lptext.js';
import { compareUtf8, escapeMeasurement, escapeTag, nameProblem } from './seriesKey.js';

const TWO32 = 4294967296;
/** Longest label set (in bytes) whose series key is cached. */
const CACHE_MAXLEN = 2048;
/** Sets of the series-key cache (two entries each), a power of two. */
const CACHE_SETS = 1 << 15;
/** Most bytes of raw label sets the cache holds (beyond that, new entries are not cached
 * unless they fit the arrays of the entries they evict). */
const CACHE_BYTES = 16 * 1024 * 1024;

/** What a request held besides the points of the batch. */
export interface RemoteWriteStats {
  /** Time series messages in the request. */
  series: number;
  /** Float samples in the request (stored or rejected). */
  samples: number;
  /** Native-histogram samples in the request (all rejected). */
  histograms: number;
  /** Exemplars in the request (ignored). */
  exemplars: number;
}

export interface RemoteWriteResult {
  batch: PointBatch;
  stats: RemoteWriteStats;
}

function badBody(message: string): BadRequestError {
  return new BadRequestError('STRATA_ERR_BAD_REMOTE_WRITE', message);
}

/** Uncompressed length declared by a snappy block (its leading varint), or -1 if malformed. */
export function snappyLength(b: Uint8Array): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < b.length; i++) {
    const c = b[i];
    v += (c & 0x7f) * mul;
    if (c < 0x80) return v;
    mul *= 128;
  }
  return -1;
}

/** How a snappy body's problems are reported: the error for a malformed body, and what a
 * 413 tells the sender to do. Remote write's by default; remote read has its own. */
export interface SnappyErrors {
  bad: (message: string) => Error;
  tooLargeHint: string;
}

const WRITE_ERRORS: SnappyErrors = {
  bad: badBody,
  tooLargeHint: "lower queue_config.max_samples_per_send or raise the server's body limit",
};

/**
 * Uncompresses a snappy block-format body, refusing (413) one that declares more than
 * `limit` bytes before anything is allocated.
 */
export function uncompressSnappy(body: Uint8Array, limit: number, errors: SnappyErrors = WRITE_ERRORS): Buffer {
  if (body.length === 0) return Buffer.alloc(0);
  const n = snappyLength(body);
  if (n < 0) throw errors.bad('the body is not snappy-compressed (block format): Prometheus sends Content-Encoding: snappy');
  if (n > limit) {
    throw new BadRequestError(
      'STRATA_ERR_BODY_TOO_LARGE',
      `request body too large: the uncompressed body (${n} bytes) is over the limit of ${limit} bytes; ${errors.tooLargeHint}`,
      413,
    );
  }
  try {
    return uncompressSync(body, { asBuffer: true, copyOutputData: true }) as Buffer;
  } catch (err) {
    throw errors.bad(`the body is not valid snappy (block format): ${(err as Error).message}`);
  }
}

const NATIVE_HISTOGRAMS =
  'native histograms are not supported; send classic histograms (Prometheus: remote_write.send_native_histograms: false, or scrape without native histograms)';

/** Labels of one series as decoded on a cache miss. */
interface Label {
  name: string;
  value: string;
}

/**
 * Decodes remote-write requests. Holds the series-key cache, so whoever decodes a stream of
 * requests (the HTTP route) keeps one decoder for its lifetime.
 */
export class RemoteWriteDecoder {
  private readonly cache = new LabelSetCache();
  /** Sample positions of the current series: [start, end) pairs of Sample messages. */
  private spans = new Int32Array(256);
  /** Label references of the current 2.0 series. */
  private refs = new Uint32Array(64);
  /** Symbol table of the current 2.0 request: [start, end) byte ranges. */
  private syms = new Int32Array(512);
  /** A 2.0 series' labels re-encoded as 1.0 Label messages (see seriesV2). */
  private scratch = Buffer.alloc(1024);
  private scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
  /** Why keyOf() rejected the series ('' when it did not). */
  private problem = '';
  /** Shape of recent requests, to size the next batch. */
  private bytesPerSample = 64;
  /** The position after the varint that varint() read last (a field: no object per read). */
  private pos = 0;

  /** Snappy body -> batch (see uncompressSnappy for `limit`); `version` 2 reads an
   * `io.prometheus.write.v2.Request` (decodeV2). */
  decodeBody(body: Uint8Array, limit: number, version: 1 | 2 = 1): RemoteWriteResult {
    const raw = uncompressSnappy(body, limit);
    return version === 2 ? this.decodeV2(raw) : this.decode(raw);
  }

  /** Uncompressed `prometheus.WriteRequest` bytes -> batch. Throws BadRequestError
   * (STRATA_ERR_BAD_REMOTE_WRITE) when the bytes are not a well-formed WriteRequest. */
  decode(input: Uint8Array): RemoteWriteResult {
    const b = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    const cap = Math.max(16, Math.ceil(b.length / this.bytesPerSample) + 1);
    const batch = new PointBatch(cap, cap);
    const stats: RemoteWriteStats = { series: 0, samples: 0, histograms: 0, exemplars: 0 };
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const end = b.length;
    let p = 0;
    let index = 0; // samples (float and histogram) seen so far
    let foreign = false; // 2.0's symbols or timeseries fields
    while (p < end) {
      // tag
      const tag = this.varint(b, p, end);
      p = this.pos;
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1 && wt === 2) {
        const len = this.varint(b, p, end);
        p = this.pos;
        if (len > end - p) throw truncated('time series', p);
        stats.series++;
        index = this.series(b, dv, p, p + len, batch, stats, index);
        p += len;
      } else {
        if (field === 0) throw malformed(`field number 0 at byte ${p}`);
        if ((field === 4 || field === 5) && wt === 2) foreign = true;
        p = skipField(b, p, end, wt);
      }
    }
    if (foreign && stats.series === 0) {
      throw badBody('the body looks like a remote-write 2.0 request (symbols and time series in fields 4 and 5), sent as 1.0: send it with Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request');
    }
    batch.lines = index;
    if (stats.samples > 0) this.bytesPerSample = Math.max(12, Math.min(4096, Math.round(b.length / stats.samples)));
    return { batch, stats };
  }

  /**
   * Uncompressed remote write 2.0 (`io.prometheus.write.v2.Request`) bytes -> batch:
   *
   *   Request    { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
   *   TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2;
   *                repeated Histogram histograms = 3; repeated Exemplar exemplars = 4;
   *                Metadata metadata = 5; int64 created_timestamp = 6; }
   *
   * Labels are pairs of indexes into the request's symbol table (symbols[0] is ""). The
   * same rules as 1.0 apply to labels, samples and histograms; metadata, exemplars and
   * created timestamps are ignored.
   */
  decodeV2(input: Uint8Array): RemoteWriteResult {
    try {
      return this.decodeV2Bytes(input);
    } catch (err) {
      // the shared readers name 1.0's message; say which one this was
      if (err instanceof BadRequestError && err.message.startsWith(MALFORMED_V1)) {
        throw badBody(MALFORMED_V2 + err.message.slice(MALFORMED_V1.length));
      }
      throw err;
    }
  }

  private decodeV2Bytes(input: Uint8Array): RemoteWriteResult {
    const b = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    const end = b.length;
    // Pass 1: the symbol table (it may come anywhere in the request), as byte ranges.
    let syms = this.syms;
    let nSym = 0;
    let foreign = false; // 1.0's timeseries field
    let series = 0;
    let p = 0;
    while (p < end) {
      const t = readVarint32(b, p, end);
      p = t.next;
      const field = t.value >>> 3;
      const wt = t.value & 7;
      if (field === 0) throw malformed(`field number 0 at byte ${p}`);
      if (field === 4 && wt === 2) {
        const l = readVarint32(b, p, end);
        p = l.next;
        if (l.value > end - p) throw truncated('symbol', p);
        if (2 * nSym + 2 > syms.length) {
          const grown = new Int32Array(syms.length * 2);
          grown.set(syms);
          this.syms = syms = grown;
        }
        syms[2 * nSym] = p;
        syms[2 * nSym + 1] = p + l.value;
        nSym++;
        p += l.value;
      } else {
        if (field === 1 && wt === 2) foreign = true;
        else if (field === 5 && wt === 2) series++;
        p = skipField(b, p, end, wt);
      }
    }
    if (foreign && series === 0 && nSym === 0) {
      throw badBody('the body looks like a remote-write 1.0 request (time series in field 1), sent as 2.0: send it with Content-Type: application/x-protobuf (or proto=prometheus.WriteRequest)');
    }
    if (nSym > 0 && syms[1] !== syms[0]) throw badBody('invalid remote-write 2.0 request: the first symbol must be the empty string');
    // Pass 2: the series.
    const cap = Math.max(16, Math.ceil(b.length / this.bytesPerSample) + 1);
    const batch = new PointBatch(cap, cap);
    const stats: RemoteWriteStats = { series: 0, samples: 0, histograms: 0, exemplars: 0 };
    let index = 0;
    p = 0;
    while (p < end) {
      const t = readVarint32(b, p, end);
      p = t.next;
      const wt = t.value & 7;
      if (t.value >>> 3 === 5 && wt === 2) {
        const l = readVarint32(b, p, end);
        p = l.next;
        if (l.value > end - p) throw truncated('time series', p);
        stats.series++;
        index = this.seriesV2(b, p, p + l.value, nSym, batch, stats, index);
        p += l.value;
      } else p = skipField(b, p, end, wt);
    }
    batch.lines = index;
    if (stats.samples > 0) this.bytesPerSample = Math.max(12, Math.min(4096, Math.round(b.length / stats.samples)));
    return { batch, stats };
  }

  /** Records the `n`th Sample message of the current series, at [s, e), in this.spans. */
  private addSpan(n: number, s: number, e: number): void {
    let spans = this.spans;
    if (2 * n + 2 > spans.length) {
      const grown = new Int32Array(spans.length * 2);
      grown.set(spans);
      this.spans = spans = grown;
    }
    spans[2 * n] = s;
    spans[2 * n + 1] = e;
  }

  /** The 32-bit varint at b[p] (its low 32 bits), p < end; sets this.pos to the position after it. */
  private varint(b: Uint8Array, p: number, end: number): number {
    if (p < end) {
      const c = b[p];
      if (c < 0x80) {
        this.pos = p + 1;
        return c;
      }
    }
    const r = readVarint32(b, p, end);
    this.pos = r.next;
    return r.value;
  }

  /** One 2.0 TimeSeries message at b[s, e); returns the updated sample index. */
  private seriesV2(b: Buffer, s: number, e: number, nSym: number, batch: PointBatch, stats: RemoteWriteStats, index: number): number {
    let refs = this.refs;
    let nRefs = 0;
    let nSamples = 0;
    let nHist = 0;
    let p = s;
    while (p < e) {
      const t = this.varint(b, p, e);
      p = this.pos;
      const field = t >>> 3;
      const wt = t & 7;
      if (field === 0) throw malformed(`field number 0 at byte ${p}`);
      if (field === 1 && (wt === 0 || wt === 2)) {
        // labels_refs: packed (what proto3 encoders write) or one varint per field
        let pe = e;
        if (wt === 2) {
          const l = this.varint(b, p, e);
          p = this.pos;
          if (l > e - p) throw truncated('label references', p);
          pe = p + l;
        }
        while (p < pe) {
          const r = this.varint(b, p, pe);
          p = this.pos;
          if (nRefs === refs.length) {
            const grown = new Uint32Array(refs.length * 2);
            grown.set(refs);
            this.refs = refs = grown;
          }
          refs[nRefs++] = r;
          if (wt === 0) break;
        }
      } else if (wt === 2 && field >= 2 && field <= 4) {
        const l = this.varint(b, p, e);
        p = this.pos;
        if (l > e - p) throw truncated(field === 2 ? 'sample' : field === 3 ? 'histogram' : 'exemplar', p);
        if (field === 2) this.addSpan(nSamples++, p, p + l);
        else if (field === 3) nHist++;
        else stats.exemplars++;
        p += l;
      } else p = skipField(b, p, e, wt);
    }
    stats.samples += nSamples;
    stats.histograms += nHist;

    // The labels as 1.0 Label messages in a scratch buffer: the key cache and the checks
    // of 1.0 then apply unchanged (and a series keeps its cache entry across requests,
    // whatever its symbol numbers).
    const syms = this.syms;
    let problem = '';
    let size = 0;
    for (let k = 0; k + 1 < nRefs; k += 2) {
      const n = refs[k];
      const v = refs[k + 1];
      if (n >= nSym || v >= nSym) {
        problem = `label reference ${n >= nSym ? n : v} is outside the request's ${nSym} symbols`;
        break;
      }
      const nl = syms[2 * n + 1] - syms[2 * n];
      const vl = syms[2 * v + 1] - syms[2 * v];
      const inner = 2 + varintSize(nl) + nl + varintSize(vl) + vl;
      size += 1 + varintSize(inner) + inner;
    }
    if (problem === '' && nRefs % 2 !== 0) problem = `has an odd number (${nRefs}) of label references: they come in name, value pairs`;
    if (problem !== '') {
      const labels: Label[] = [];
      for (let k = 0; k + 1 < nRefs; k += 2) {
        const n = refs[k];
        const v = refs[k + 1];
        if (n >= nSym || v >= nSym) break;
        labels.push({ name: textAt(b, syms[2 * n], syms[2 * n + 1]) ?? '\ufffd', value: textAt(b, syms[2 * v], syms[2 * v + 1]) ?? '\ufffd' });
      }
      problem = `series ${formatLabels(labels)}: ${problem}`;
      const total = nSamples + nHist;
      for (let k = 0; k < total; k++) batch.errors.push({ line: index + k + 1, kind: 'syntax', message: problem });
      return index + total;
    }
    if (this.scratch.length < size) {
      this.scratch = Buffer.alloc(Math.max(size, 2 * this.scratch.length));
      this.scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
    }
    const w = this.scratch;
    let o = 0;
    for (let k = 0; k < nRefs; k += 2) {
      const ns = syms[2 * refs[k]];
      const nl = syms[2 * refs[k] + 1] - ns;
      const vs = syms[2 * refs[k + 1]];
      const vl = syms[2 * refs[k + 1] + 1] - vs;
      w[o++] = 0x0a;
      o = putVarint(w, o, 2 + varintSize(nl) + nl + varintSize(vl) + vl);
      w[o++] = 0x0a;
      o = putVarint(w, o, nl);
      for (let i = 0; i < nl; i++) w[o + i] = b[ns + i]; // Buffer.copy costs more for short runs
      o += nl;
      w[o++] = 0x12;
      o = putVarint(w, o, vl);
      for (let i = 0; i < vl; i++) w[o + i] = b[vs + i];
      o += vl;
    }
    const key = this.keyOf(w, this.scratchView, 0, o, true, 0, o, nHist);
    if (this.problem !== '') {
      const total = nSamples + nHist;
      for (let k = 0; k < total; k++) batch.errors.push({ line: index + k + 1, kind: 'syntax', message: this.problem });
      return index + total;
    }
    return this.emit(b, nSamples, key, batch, index);
  }

  /** One TimeSeries message at b[s, e); returns the updated sample index. */
  private series(b: Buffer, dv: DataView, s: number, e: number, batch: PointBatch, stats: RemoteWriteStats, index: number): number {
    // Pass 1: where the labels are (one contiguous run in practice, which is the cache key),
    // where the samples are, and whether there are native histograms.
    let labelsStart = -1;
    let labelsEnd = -1;
    let contiguous = true;
    let nSamples = 0;
    let nHist = 0;
    let p = s;
    while (p < e) {
      const fieldStart = p;
      const tag = this.varint(b, p, e);
      p = this.pos;
      const field = tag >>> 3;
      const wt = tag & 7;
      if (wt === 2 && field >= 1 && field <= 4) {
        const len = this.varint(b, p, e);
        p = this.pos;
        if (len > e - p) throw truncated(field === 1 ? 'label' : field === 2 ? 'sample' : field === 3 ? 'exemplar' : 'histogram', p);
        if (field === 1) {
          if (labelsStart < 0) labelsStart = fieldStart;
          else if (labelsEnd !== fieldStart) contiguous = false;
          labelsEnd = p + len;
        } else if (field === 2) {
          this.addSpan(nSamples++, p, p + len);
        } else if (field === 3) {
          stats.exemplars++;
        } else {
          nHist++;
        }
        p += len;
      } else {
        if (field === 0) throw malformed(`field number 0 at byte ${p}`);
        p = skipField(b, p, e, wt);
      }
    }
    stats.samples += nSamples;
    stats.histograms += nHist;

    const key = this.keyOf(b, dv, labelsStart, labelsEnd, contiguous, s, e, nHist);
    const problem = this.problem;
    if (problem !== '') {
      // every sample of the series is an error, in request order (histograms and float
      // samples interleave on the wire only by field order: floats are numbered first)
      const n = nSamples + nHist;
      for (let k = 0; k < n; k++) batch.errors.push({ line: index + k + 1, kind: 'syntax', message: problem });
      return index + n;
    }

    return this.emit(b, nSamples, key, batch, index);
  }

  /**
   * The series key of the labels (1.0 Label messages) at lb[ls, le), from the cache or
   * decoded and checked; '' with the reason in `this.problem` when the series is rejected.
   * On a cache miss the labels are decoded from the Label fields of lb[hs, he) (the run is
   * not `contiguous` when other fields come between them, and is then not cached).
   */
  private keyOf(lb: Buffer, ldv: DataView, ls: number, le: number, contiguous: boolean, hs: number, he: number, nHist: number): string {
    let key = '';
    let problem = '';
    let hash = 0;
    const len = le - ls;
    const cacheable = contiguous && ls >= 0 && len <= CACHE_MAXLEN;
    if (cacheable) {
      hash = hashBytes(lb, ldv, ls, len);
      key = this.cache.find(lb, ldv, ls, len, hash);
    }
    if (key === '') {
      const labels = decodeLabels(lb, hs, he);
      if (typeof labels === 'string') problem = `series with labels at byte ${hs}: ${labels}`;
      else {
        const r = seriesKeyOf(labels);
        if (r.problem !== '') problem = `series ${formatLabels(labels)}: ${r.problem}`;
        else {
          key = r.key;
          if (cacheable) this.cache.insert(lb, ls, len, hash, key);
        }
      }
    }
    if (problem === '' && nHist > 0) {
      const labels = decodeLabels(lb, hs, he);
      problem = `series ${typeof labels === 'string' ? '' : formatLabels(labels)}: ${NATIVE_HISTOGRAMS}`;
      key = '';
    }
    this.problem = problem;
    return key;
  }

  /** Pass 2: the `n` Sample messages at this.spans of series `key` into the batch. */
  private emit(b: Buffer, n: number, key: string, batch: PointBatch, index: number): number {
    const spans = this.spans;
    for (let k = 0; k < n; k++) {
      index++;
      let q = spans[2 * k];
      const qe = spans[2 * k + 1];
      let lo = 0; // value bits (default 0.0)
      let hi = 0;
      let tLo = 0; // timestamp ms as int64 words (default 0)
      let tHi = 0;
      while (q < qe) {
        const tag = b[q++];
        if (tag === 0x09) {
          if (q + 8 > qe) throw truncated('sample value', q);
          lo = (b[q] | (b[q + 1] << 8) | (b[q + 2] << 16) | (b[q + 3] << 24)) >>> 0;
          hi = (b[q + 4] | (b[q + 5] << 8) | (b[q + 6] << 16) | (b[q + 7] << 24)) >>> 0;
          q += 8;
        } else if (tag === 0x10) {
          // int64 varint: up to 7 bytes (< 2^49) as one exact number, longer ones by words
          const q0 = q;
          let v = 0;
          let mul = 1;
          let c = 0x80;
          while (q - q0 < 7 && q < qe) {
            c = b[q++];
            v += (c & 0x7f) * mul;
            mul *= 128;
            if (c < 0x80) break;
          }
          if (c < 0x80) {
            tHi = Math.floor(v / TWO32);
            tLo = v - tHi * TWO32;
          } else {
            const r = readVarint64(b, q0, qe);
            tLo = r.lo;
            tHi = r.hi;
            q = r.next;
          }
        } else {
          if (tag >= 0x80 || tag >>> 3 === 0) {
            const r = readVarint32(b, q - 1, qe);
            if (r.value >>> 3 === 0) throw malformed(`field number 0 at byte ${q - 1}`);
            q = skipField(b, r.next, qe, r.value & 7);
          } else q = skipField(b, q, qe, tag & 7);
        }
      }
      // ns = ms * 1e6 with ms = tHi (signed) * 2^32 + tLo: every product below is < 2^53.
      const sHi = tHi | 0;
      const m = tLo * 1e6;
      const carry = Math.floor(m / TWO32);
      const nsHi = sHi * 1e6 + carry;
      if (nsHi > 0x7fffffff || nsHi < -0x80000000) {
        batch.errors.push({ line: index, kind: 'syntax', message: `series ${key}: sample timestamp ${msString(tLo, tHi)} ms is outside the time range Strata stores (int64 nanoseconds: 1677-09-21 to 2262-04-11)` });
        continue;
      }
      batch.ensurePoint();
      const i = batch.count;
      batch.seriesKey[i] = key;
      batch.time[2 * i] = m - carry * TWO32;
      batch.time[2 * i + 1] = nsHi >>> 0;
      batch.lineNo[i] = index;
      batch.ensureFields(1);
      const j = batch.fieldCount++;
      batch.fieldStart[i] = j;
      batch.fieldKey[j] = 'value';
      batch.fieldType[j] = FLOAT;
      batch.fieldBits[2 * j] = lo;
      batch.fieldBits[2 * j + 1] = hi;
      batch.count = i + 1;
      batch.fieldStart[i + 1] = j + 1;
    }
    return index;
  }
}

/** The labels of the TimeSeries at b[s, e), or why they cannot be read. */
function decodeLabels(b: Buffer, s: number, e: number): Label[] | string {
  const labels: Label[] = [];
  let p = s;
  while (p < e) {
    const r = readVarint32(b, p, e);
    p = r.next;
    const field = r.value >>> 3;
    const wt = r.value & 7;
    if (field !== 1 || wt !== 2) {
      p = skipField(b, p, e, wt);
      continue;
    }
    const l = readVarint32(b, p, e);
    p = l.next;
    const le = p + l.value;
    let name = '';
    let value = '';
    while (p < le) {
      const t = readVarint32(b, p, le);
      p = t.next;
      const f = t.value >>> 3;
      const w = t.value & 7;
      if ((f === 1 || f === 2) && w === 2) {
        const n = readVarint32(b, p, le);
        p = n.next;
        const se = p + n.value;
        if (se > le) throw truncated('label', p);
        const str = textAt(b, p, se);
        if (str === null) return `a label ${f === 1 ? 'name' : 'value'} is not valid UTF-8`;
        if (f === 1) name = str;
        else value = str;
        p = se;
      } else p = skipField(b, p, le, w);
    }
    labels.push({ name, value });
  }
  return labels;
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function putVarint(b: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[o++] = n;
  return o;
}

/** b[s, e) as a string, or null when it is not valid UTF-8. */
function textAt(b: Uint8Array, s: number, e: number): string | null {
  for (let i = s; i < e; i++) {
    if (b[i] >= 0x80) return validUtf8(b, s, e) ? sliceString(b, s, e, true) : null;
  }
  return sliceString(b, s, e, false);
}

/**
 * The canonical series key of a label set (what makeSeriesKey builds: the tests check
 * that), or why it has none. Every name is checked here, so the key is assembled directly.
 */
function seriesKeyOf(labels: Label[]): { key: string; problem: string } {
  // sorted by name (Prometheus sends them sorted; sort otherwise) to find repeated names
  let sorted = labels;
  for (let i = 1; i < labels.length; i++) {
    if (cmp(labels[i - 1].name, labels[i].name) > 0) {
      sorted = labels.slice().sort((a, b) => cmp(a.name, b.name));
      break;
    }
  }
  let name: string | undefined;
  let tags = '';
  for (let i = 0; i < sorted.length; i++) {
    const l = sorted[i];
    if (i > 0 && sorted[i - 1].name === l.name) return { key: '', problem: `label name ${JSON.stringify(l.name)} appears more than once` };
    if (l.value === '') continue; // an empty label is no label
    if (l.name === '__name__') {
      name = l.value;
      continue;
    }
    const np = nameProblem('tag key', l.name);
    if (np !== '') return { key: '', problem: `label name ${JSON.stringify(l.name)} ${np}` };
    const vp = nameProblem('tag value', l.value);
    if (vp !== '') return { key: '', problem: `the value of label ${JSON.stringify(l.name)} ${vp}` };
    tags += ',' + escapeTag(l.name) + '=' + escapeTag(l.value);
  }
  if (name === undefined) return { key: '', problem: 'has no metric name (no __name__ label)' };
  const mp = nameProblem('measurement', name);
  if (mp !== '') return { key: '', problem: `metric name ${JSON.stringify(name)} ${mp}` };
  return { key: escapeMeasurement(name) + tags, problem: '' };
}

/** UTF-8 byte order (Go's string order, which Prometheus sorts labels by). */
const cmp = compareUtf8;

/**
 * Raw label bytes of a series -> its canonical series key. Two-way set associative (a new
 * entry evicts the less recently used of its set), keyed by the bytes as sent, so a stale
 * entry can only miss, never mislead. Slots keep their byte arrays for reuse on eviction.
 */
class LabelSetCache {
  private readonly hash = new Int32Array(2 * CACHE_SETS);
  private readonly len = new Int32Array(2 * CACHE_SETS);
  /** Way of each set used last (0 or 1). */
  private readonly recent = new Uint8Array(CACHE_SETS);
  private readonly raw: (Uint8Array | null)[] = new Array<Uint8Array | null>(2 * CACHE_SETS).fill(null);
  private readonly words: (Int32Array | null)[] = new Array<Int32Array | null>(2 * CACHE_SETS).fill(null);
  private readonly key: string[] = new Array<string>(2 * CACHE_SETS).fill('');
  /** Bytes of the raw arrays allocated so far (at most CACHE_BYTES). */
  private bytes = 0;

  /** The key cached for the `len` bytes at b[s] (`dv` views b), which hash to h; '' if none. */
  find(b: Uint8Array, dv: DataView, s: number, len: number, h: number): string {
    const set = h & (CACHE_SETS - 1);
    for (let way = 0; way < 2; way++) {
      const slot = 2 * set + way;
      if (this.hash[slot] !== h || this.len[slot] !== len) continue;
      const words = this.words[slot];
      if (words === null) continue;
      const nw = len >> 2;
      let i = 0;
      while (i < nw && dv.getInt32(s + 4 * i, true) === words[i]) i++;
      if (i !== nw) continue;
      const raw = this.raw[slot] as Uint8Array;
      i <<= 2;
      while (i < len && raw[i] === b[s + i]) i++;
      if (i !== len) continue;
      this.recent[set] = way;
      return this.key[slot];
    }
    return '';
  }

  insert(b: Uint8Array, s: number, len: number, h: number, key: string): void {
    const set = h & (CACHE_SETS - 1);
    const way = this.words[2 * set] === null ? 0 : this.words[2 * set + 1] === null ? 1 : 1 - this.recent[set];
    const slot = 2 * set + way;
    let raw = this.raw[slot];
    if (raw === null || raw.length < len) {
      const size = (len + 31) & ~31;
      const grow = size - (raw === null ? 0 : raw.length);
      if (this.bytes + grow > CACHE_BYTES) return;
      this.bytes += grow;
      raw = new Uint8Array(size);
      this.raw[slot] = raw;
      // little-endian words, compared with DataView.getInt32(.., true)
      this.words[slot] = LITTLE_ENDIAN ? new Int32Array(raw.buffer) : null;
    }
    raw.set(new Uint8Array(b.buffer, b.byteOffset + s, len));
    this.hash[slot] = h;
    this.len[slot] = len;
    this.key[slot] = key;
    this.recent[set] = way;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A label set as Prometheus prints one: `name{a="x", b="y"}`, shortened when long. */
export function formatLabels(labels: readonly Label[]): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === '__name__' && name === '') name = l.value;
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  const s = `${name}{${parts.join(', ')}}`;
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}

/** A 32-bit varint at b[p]: its value (the low 32 bits) and the position after it. */
function readVarint32(b: Uint8Array, p: number, end: number): { value: number; next: number } {
  let v = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw truncated('varint', p);
    const c = b[p++];
    if (shift < 32) v |= (c & 0x7f) << shift;
    shift += 7;
    if (c < 0x80) return { value: v >>> 0, next: p };
  }
  throw malformed(`varint longer than 10 bytes before byte ${p}`);
}

/** A 64-bit varint at b[p] as two's complement words. */
function readVarint64(b: Uint8Array, p: number, end: number): { lo: number; hi: number; next: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw truncated('varint', p);
    const c = b[p++];
    const bits = c & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (c < 0x80) return { lo: lo >>> 0, hi: hi >>> 0, next: p };
  }
  throw malformed(`varint longer than 10 bytes before byte ${p}`);
}

/** Skips a field's value of wire type `wt` at b[p]. */
function skipField(b: Uint8Array, p: number, end: number, wt: number): number {
  switch (wt) {
    case 0:
      return readVarint32(b, p, end).next;
    case 1:
      if (p + 8 > end) throw truncated('fixed64 field', p);
      return p + 8;
    case 2: {
      const r = readVarint32(b, p, end);
      if (r.value > end - r.next) throw truncated('length-delimited field', r.next);
      return r.next + r.value;
    }
    case 5:
      if (p + 4 > end) throw truncated('fixed32 field', p);
      return p + 4;
    default:
      throw malformed(`unsupported wire type ${wt} before byte ${p}`);
  }
}

/** MurmurHash3 (x86, 32-bit) of b[s, s + len): every byte reaches every bit of the hash,
 * which the cache's set index (the low bits) needs: label sets differ in a few bytes. */
function hashBytes(b: Uint8Array, dv: DataView, s: number, len: number): number {
  let h = len | 0;
  const nw = len >> 2;
  for (let i = 0; i < nw; i++) {
    let k = Math.imul(dv.getInt32(s + 4 * i, true), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = len - 1; i >= nw << 2; i--) k = (k << 8) | b[s + i];
  if ((len & 3) !== 0) {
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The signed decimal of int64 words (error messages only). */
function msString(lo: number, hi: number): string {
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString();
}

function truncated(what: string, p: number): BadRequestError {
  return malformed(`truncated ${what} at byte ${p}`);
}

const MALFORMED_V1 = 'the body is not a valid remote-write 1.0 request (prometheus.WriteRequest protobuf): ';
const MALFORMED_V2 = 'the body is not a valid remote-write 2.0 request (io.prometheus.write.v2.Request protobuf): ';

function malformed(detail: string): BadRequestError {
  return badBody(MALFORMED_V1 + detail);
}
