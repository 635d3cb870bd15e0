// Remote write 1.0 decoding: requests encoded by an independent encoder (protobufjs, and
// snappy's compressor) decode to exactly the samples they hold: series keys, int64 ms
// timestamps as ns, and the 64 bits of every value (NaN payloads such as the stale marker,
// -0, ±Inf), with bad series rejected one error per sample and the rest kept.
//
// Values are encoded through a schema that declares Sample.value as `fixed64` instead of
// `double`: the wire format is the same (wire type 1, 8 little-endian bytes), and a bigint
// of bits cannot be altered on its way to the encoder, as a NaN held in a JS number could.

import fc from 'fast-check';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { FLOAT } from '../types.js';
import type { PointBatch } from './batch.js';
import { RemoteWriteDecoder, uncompressSnappy } from './remoteWrite.js';
import { makeSeriesKey } from './seriesKey.js';

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message BitsSample { fixed64 value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message Histogram { uint64 count_int = 1; double sum = 3; sint32 schema = 4; double zero_threshold = 5; int64 timestamp = 15; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message BitsTimeSeries { repeated Label labels = 1; repeated BitsSample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message BitsWriteRequest { repeated BitsTimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
`;
// Remote write 2.0 (io.prometheus.write.v2), with the same fixed64 stand-in for Sample.value.
const PROTO_V2 = `
syntax = "proto3";
package io.prometheus.write.v2;
message Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
message Sample { fixed64 value = 1; int64 timestamp = 2; }
message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message Histogram { uint64 count_int = 1; double sum = 3; sint32 schema = 4; int64 timestamp = 15; }
message Metadata { int32 type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3; repeated Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
`;
const RequestV2 = protobuf.parse(PROTO_V2, { keepCase: true }).root.lookupType('io.prometheus.write.v2.Request');
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');
const BitsWriteRequest = root.lookupType('prometheus.BitsWriteRequest');
const BitsTimeSeries = root.lookupType('prometheus.BitsTimeSeries');

const STALE_NAN = 0x7ff0000000000002n;
const MAX_MS = 9223372036854n; // floor((2^63 - 1) / 1e6): the last ms whose ns fit int64
const MIN_MS = -9223372036854n;

interface TSample {
  bits: bigint;
  ms: bigint;
}
interface TSeries {
  labels: [string, string][];
  samples: TSample[];
  exemplars: number;
  histograms: number;
}

function encode(series: TSeries[], metadata = false): Uint8Array {
  const obj = {
    timeseries: series.map((s) => ({
      labels: s.labels.map(([name, value]) => ({ name, value })),
      samples: s.samples.map((x) => ({ value: x.bits, timestamp: x.ms })),
      exemplars: Array.from({ length: s.exemplars }, (_, i) => ({ labels: [{ name: 'trace_id', value: `t${i}` }], value: i, timestamp: 1n })),
      histograms: Array.from({ length: s.histograms }, (_, i) => ({ count_int: 3, sum: 1.5, schema: 0, zero_threshold: 1e-128, timestamp: BigInt(i) })),
    })),
    metadata: metadata ? [{ type: 1, metric_family_name: 'up', help: 'is it up', unit: '' }] : [],
  };
  return BitsWriteRequest.encode(BitsWriteRequest.fromObject(obj)).finish();
}

/** The same series as a 2.0 request: a symbol table ("" first) and references into it. */
function encodeV2(series: TSeries[]): Uint8Array {
  const symbols = [''];
  const ref = new Map<string, number>([['', 0]]);
  const sym = (s: string) => {
    let r = ref.get(s);
    if (r === undefined) {
      r = symbols.length;
      symbols.push(s);
      ref.set(s, r);
    }
    return r;
  };
  const timeseries = series.map((s) => ({
    labels_refs: s.labels.flatMap(([n, v]) => [sym(n), sym(v)]),
    samples: s.samples.map((x) => ({ value: x.bits, timestamp: x.ms })),
    exemplars: Array.from({ length: s.exemplars }, (_, i) => ({ labels_refs: [sym('trace_id'), sym(`t${i}`)], value: i, timestamp: 1n })),
    histograms: Array.from({ length: s.histograms }, (_, i) => ({ count_int: 3, sum: 1.5, schema: 0, timestamp: BigInt(i) })),
    metadata: { type: 1, help_ref: sym('help text'), unit_ref: 0 },
    created_timestamp: 5n,
  }));
  return RequestV2.encode(RequestV2.fromObject({ symbols, timeseries })).finish();
}

function bitsOf(x: number): bigint {
  const f = new Float64Array([x]);
  return new BigUint64Array(f.buffer)[0];
}

interface Decoded {
  points: { key: string; ns: bigint; bits: bigint; line: number }[];
  errors: { line: number; kind: string; message: string }[];
  lines: number;
}

function points(batch: PointBatch): Decoded {
  const out: Decoded['points'] = [];
  const words = new BigUint64Array(batch.fieldBits.buffer, 0, batch.fieldCount);
  for (let i = 0; i < batch.count; i++) {
    const j = batch.fieldStart[i];
    expect(batch.fieldStart[i + 1]).toBe(j + 1);
    expect(batch.fieldKey[j]).toBe('value');
    expect(batch.fieldType[j]).toBe(FLOAT);
    out.push({ key: batch.seriesKey[i], ns: batch.timeOf(i), bits: words[j], line: batch.lineNo[i] });
  }
  return { points: out, errors: batch.errors, lines: batch.lines };
}

/** What the decoder should produce, from the rules stated in remoteWrite.ts. */
function model(series: TSeries[]): { points: Decoded['points']; errorLines: number[]; lines: number } {
  const pts: Decoded['points'] = [];
  const errorLines: number[] = [];
  let line = 0;
  for (const s of series) {
    let key: string | null = null;
    const names = s.labels.map(([n]) => n);
    const kept = s.labels.filter(([, v]) => v !== '');
    const name = kept.find(([n]) => n === '__name__');
    if (new Set(names).size === names.length && name && s.histograms === 0) {
      try {
        key = makeSeriesKey(name[1], kept.filter(([n]) => n !== '__name__'));
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
      }
    }
    for (const x of s.samples) {
      line++;
      if (key === null || x.ms > MAX_MS || x.ms < MIN_MS) errorLines.push(line);
      else pts.push({ key, ns: x.ms * 1_000_000n, bits: x.bits, line });
    }
    for (let h = 0; h < s.histograms; h++) errorLines.push(++line);
  }
  return { points: pts, errorLines, lines: line };
}

// ---- generators -------------------------------------------------------------------------

const ODD = [',', ' ', '=', '\\', '\\\\', '"', '#', '\t', 'é', '東京', '😀', '\u00a0', '\u2028', '\u0001', '\n', '{', '}', 'time', '__name__', 'a', 'b', 'Z', '_', '0', ':', '.'];
const text = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...ODD), { maxLength: 4 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constant('') },
);
const labelName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('job', 'instance', 'le', 'quantile', 'a', 'B', '_x', 'zz', '__meta') },
  { weight: 2, arbitrary: text },
);
const msTime = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 1_600_000_000_000n, max: 1_900_000_000_000n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: MIN_MS, max: MAX_MS }) },
  { weight: 2, arbitrary: fc.constantFrom(0n, -1n, 1n, MAX_MS, MIN_MS, MAX_MS + 1n, MIN_MS - 1n, 2n ** 49n, 2n ** 49n - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 4294967296n, 4294967295n) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
);
const valueBits = fc.oneof(
  { weight: 3, arbitrary: fc.double().map(bitsOf) },
  { weight: 2, arbitrary: fc.constantFrom(STALE_NAN, bitsOf(-0), bitsOf(0), bitsOf(Infinity), bitsOf(-Infinity), 0x7ff8000000000000n, 0xfff8000000000001n, 0x7ff0000000000001n, 1n, 0xffffffffffffffffn) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
);
const metricName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('up', 'http_requests_total', 'node_cpu_seconds_total', 'x:y:rate5m') },
  { weight: 2, arbitrary: text },
);
const series: fc.Arbitrary<TSeries> = fc.record({
  name: fc.option(metricName, { freq: 8, nil: undefined }),
  labels: fc.array(fc.tuple(labelName, text), { maxLength: 5 }),
  sorted: fc.boolean(),
  samples: fc.array(fc.record({ bits: valueBits, ms: msTime }), { maxLength: 5 }),
  exemplars: fc.nat({ max: 1 }),
  histograms: fc.constantFrom(0, 0, 0, 0, 1, 2),
}).map(({ name, labels, sorted, samples, exemplars, histograms }) => {
  const all: [string, string][] = name === undefined ? labels : [['__name__', name], ...labels];
  if (sorted) all.sort((a, b) => (Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))));
  return { labels: all, samples, exemplars, histograms };
});

// ---- tests ------------------------------------------------------------------------------

describe('remote write decoding', () => {
  it('decodes random requests exactly (property, one decoder across requests)', () => {
    const decoder = new RemoteWriteDecoder();
    fc.assert(
      fc.property(fc.array(series, { maxLength: 8 }), fc.boolean(), (req, metadata) => {
        const body = compressSync(encode(req, metadata));
        const { batch, stats } = decoder.decodeBody(body, 1 << 20);
        const got = points(batch);
        const want = model(req);
        expect(got.points).toEqual(want.points);
        expect(got.errors.map((e) => e.line)).toEqual(want.errorLines);
        for (const e of got.errors) expect(e.kind).toBe('syntax');
        expect(got.lines).toBe(want.lines);
        expect(stats.series).toBe(req.length);
        expect(stats.samples).toBe(req.reduce((n, s) => n + s.samples.length, 0));
        expect(stats.histograms).toBe(req.reduce((n, s) => n + s.histograms, 0));
        // the same request again (series keys now from the cache) decodes the same
        expect(points(decoder.decodeBody(body, 1 << 20).batch)).toEqual(got);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes random remote write 2.0 requests exactly (property)', () => {
    const decoder = new RemoteWriteDecoder();
    fc.assert(
      fc.property(fc.array(series, { maxLength: 8 }), (req) => {
        const { batch, stats } = decoder.decodeBody(compressSync(encodeV2(req)), 1 << 20, 2);
        const got = points(batch);
        const want = model(req);
        expect(got.points).toEqual(want.points);
        expect(got.errors.map((e) => e.line)).toEqual(want.errorLines);
        expect(got.lines).toBe(want.lines);
        expect(stats.series).toBe(req.length);
        expect(stats.samples).toBe(req.reduce((n, s) => n + s.samples.length, 0));
        expect(stats.histograms).toBe(req.reduce((n, s) => n + s.histograms, 0));
        expect(stats.exemplars).toBe(req.reduce((n, s) => n + s.exemplars, 0));
        // the same series through 1.0 decode to the same batch
        expect(points(decoder.decode(encode(req)).batch)).toEqual(got);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects bad 2.0 label references per series and a bad symbol table per request', () => {
    const d = new RemoteWriteDecoder();
    const sample = { value: bitsOf(1), timestamp: 1 };
    const req = (symbols: string[], refs: number[][]) =>
      RequestV2.encode(RequestV2.fromObject({ symbols, timeseries: refs.map((r) => ({ labels_refs: r, samples: [sample] })) })).finish();
    const got = points(d.decodeV2(req(['', '__name__', 'up', 'job'], [[1, 2, 3], [1, 2, 3, 9], [1, 2, 3, 2]])).batch);
    expect(got.points.map((p) => [p.key, p.line])).toEqual([['up,job=up', 3]]);
    expect(got.errors.map((e) => e.message)).toEqual([
      'series up{}: has an odd number (3) of label references: they come in name, value pairs',
      'series up{}: label reference 9 is outside the request\'s 4 symbols',
    ]);
    expect(() => d.decodeV2(req(['x', '__name__', 'up'], [[1, 2]]))).toThrow(/first symbol must be the empty string/);
    // unpacked references (one varint per field) read the same as packed ones
    const unpacked = Buffer.concat([
      Buffer.from([0x22, 0x00, 0x22, 0x08]), Buffer.from('__name__'), Buffer.from([0x22, 0x02]), Buffer.from('up'),
      Buffer.from([0x2a, 0x0f, 0x08, 0x01, 0x08, 0x02, 0x12, 0x09, 0x09]), Buffer.from(new Float64Array([2.5]).buffer),
    ]);
    expect(points(d.decodeV2(unpacked).batch).points).toEqual([{ key: 'up', ns: 0n, bits: bitsOf(2.5), line: 1 }]);
  });

  it('keeps the stale marker, -0, infinities and int64 ms extremes bit for bit', () => {
    const req: TSeries[] = [
      {
        labels: [['__name__', 'up'], ['job', 'prometheus']],
        samples: [
          { bits: STALE_NAN, ms: 1_700_000_000_123n },
          { bits: bitsOf(-0), ms: MAX_MS },
          { bits: bitsOf(Infinity), ms: MIN_MS },
          { bits: bitsOf(-Infinity), ms: -1n },
          { bits: 0n, ms: 0n },
          { bits: bitsOf(0.1), ms: 2n ** 42n },
        ],
        exemplars: 0,
        histograms: 0,
      },
    ];
    const got = points(new RemoteWriteDecoder().decode(encode(req)).batch);
    expect(got.errors).toEqual([]);
    expect(got.points).toEqual([
      { key: 'up,job=prometheus', ns: 1_700_000_000_123_000_000n, bits: STALE_NAN, line: 1 },
      { key: 'up,job=prometheus', ns: 9_223_372_036_854_000_000n, bits: 0x8000000000000000n, line: 2 },
      { key: 'up,job=prometheus', ns: -9_223_372_036_854_000_000n, bits: 0x7ff0000000000000n, line: 3 },
      { key: 'up,job=prometheus', ns: -1_000_000n, bits: 0xfff0000000000000n, line: 4 },
      { key: 'up,job=prometheus', ns: 0n, bits: 0n, line: 5 },
      { key: 'up,job=prometheus', ns: 2n ** 42n * 1_000_000n, bits: bitsOf(0.1), line: 6 },
    ]);
  });

  it('reads ordinary doubles as encoded by the real schema', () => {
    const values = [0.1, -2.5, 1e308, 5e-324, 42, 1 / 3];
    const raw = WriteRequest.encode(
      WriteRequest.fromObject({
        timeseries: [{ labels: [{ name: '__name__', value: 'm' }], samples: values.map((value, i) => ({ value, timestamp: 1000 + i })) }],
      }),
    ).finish();
    const { batch } = new RemoteWriteDecoder().decode(raw);
    expect(Array.from(batch.fieldF64.subarray(0, batch.fieldCount))).toEqual(values);
    expect(Array.from({ length: batch.count }, (_, i) => batch.timeOf(i))).toEqual(values.map((_, i) => BigInt(1000 + i) * 1_000_000n));
  });

  it('drops empty label values, sorts labels, and names the series and reason of rejected ones', () => {
    const req: TSeries[] = [
      { labels: [['job', 'a'], ['__name__', 'up'], ['empty', ''], ['Instance', 'x:9090']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 },
      { labels: [['job', 'a']], samples: [{ bits: bitsOf(1), ms: 1n }, { bits: bitsOf(2), ms: 2n }], exemplars: 0, histograms: 0 },
      { labels: [['__name__', 'up'], ['job', 'a'], ['job', 'b']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 },
      { labels: [['__name__', 'up'], ['time', 'x']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 },
      { labels: [['__name__', '#up']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 },
      { labels: [['__name__', 'up'], ['a', 'line\nbreak']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 },
      { labels: [['__name__', 'hist']], samples: [], exemplars: 0, histograms: 2 },
      { labels: [['__name__', 'late']], samples: [{ bits: bitsOf(1), ms: MAX_MS + 1n }], exemplars: 1, histograms: 0 },
      { labels: [['__name__', 'ok'], ['a,b c=d', 'x y,z=w\\a']], samples: [{ bits: bitsOf(3), ms: 3n }], exemplars: 0, histograms: 0 },
    ];
    const { batch, stats } = new RemoteWriteDecoder().decode(encode(req, true));
    const got = points(batch);
    expect(got.points.map((p) => [p.key, p.line])).toEqual([
      ['up,Instance=x:9090,job=a', 1],
      ['ok,a\\,b\\ c\\=d=x\\ y\\,z\\=w\\a', 11],
    ]);
    expect(got.errors).toEqual([
      { line: 2, kind: 'syntax', message: 'series {job="a"}: has no metric name (no __name__ label)' },
      { line: 3, kind: 'syntax', message: 'series {job="a"}: has no metric name (no __name__ label)' },
      { line: 4, kind: 'syntax', message: 'series up{job="a", job="b"}: label name "job" appears more than once' },
      { line: 5, kind: 'syntax', message: 'series up{time="x"}: label name "time" is "time", which is reserved' },
      { line: 6, kind: 'syntax', message: 'series #up{}: metric name "#up" starts with "#" (the line would be a comment)' },
      { line: 7, kind: 'syntax', message: 'series up{a="line\\nbreak"}: the value of label "a" contains the control character \\x0a' },
      { line: 8, kind: 'syntax', message: expect.stringContaining('series hist{}: native histograms are not supported') },
      { line: 9, kind: 'syntax', message: expect.stringContaining('series hist{}: native histograms are not supported') },
      { line: 10, kind: 'syntax', message: 'series late: sample timestamp 9223372036855 ms is outside the time range Strata stores (int64 nanoseconds: 1677-09-21 to 2262-04-11)' },
    ]);
    expect(got.lines).toBe(11);
    expect(stats).toEqual({ series: 9, samples: 9, histograms: 2, exemplars: 1 });
  });

  it('reads labels that come after the samples, and split label runs', () => {
    // Concatenated messages merge (repeated fields append): samples first, then labels.
    const part1 = BitsTimeSeries.encode(BitsTimeSeries.fromObject({ samples: [{ value: bitsOf(7), timestamp: 5 }] })).finish();
    const part2 = BitsTimeSeries.encode(BitsTimeSeries.fromObject({ labels: [{ name: '__name__', value: 'm' }] })).finish();
    const part3 = BitsTimeSeries.encode(BitsTimeSeries.fromObject({ samples: [{ value: bitsOf(8), timestamp: 6 }], labels: [{ name: 'z', value: '1' }] })).finish();
    const ts = Buffer.concat([part1, part2, part3]);
    const req = Buffer.concat([Buffer.from([0x0a, ts.length]), ts]);
    const decoder = new RemoteWriteDecoder();
    for (let k = 0; k < 2; k++) {
      const got = points(decoder.decode(req).batch);
      expect(got.errors).toEqual([]);
      expect(got.points).toEqual([
        { key: 'm,z=1', ns: 5_000_000n, bits: bitsOf(7), line: 1 },
        { key: 'm,z=1', ns: 6_000_000n, bits: bitsOf(8), line: 2 },
      ]);
    }
  });

  it('rejects label text that is not UTF-8, keeping the other series', () => {
    const good = encode([{ labels: [['__name__', 'a']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 }]);
    const bad = Buffer.from(encode([{ labels: [['__name__', 'b'], ['x', 'ÿ']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 }]));
    const at = bad.indexOf(Buffer.from('ÿ'));
    bad[at] = 0xff; // 0xc3 0xbf -> 0xff 0xbf
    const got = points(new RemoteWriteDecoder().decode(Buffer.concat([bad, good])).batch);
    expect(got.points.map((p) => p.key)).toEqual(['a']);
    expect(got.errors).toEqual([{ line: 1, kind: 'syntax', message: expect.stringMatching(/a label value is not valid UTF-8/) }]);
  });

  it('refuses malformed protobuf and snappy as a whole (400) and oversized bodies (413)', () => {
    const d = new RemoteWriteDecoder();
    const good = encode([{ labels: [['__name__', 'a']], samples: [{ bits: bitsOf(1), ms: 1n }], exemplars: 0, histograms: 0 }]);
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(BadRequestError);
        return [(err as BadRequestError).code, (err as BadRequestError).status, (err as Error).message];
      }
      return null;
    };
    // every proper prefix but the empty one is truncated
    for (let n = 1; n < good.length; n++) {
      const r = codeOf(() => d.decode(good.subarray(0, n)));
      expect(r?.[0]).toBe('STRATA_ERR_BAD_REMOTE_WRITE');
      expect(r?.[2]).toMatch(/not a valid remote-write 1\.0 request/);
    }
    expect(codeOf(() => d.decode(Buffer.from([0x0f])))?.[2]).toMatch(/wire type 7/);
    expect(codeOf(() => d.decodeBody(Buffer.from('cpu value=1\n'), 1000))?.[0]).toBe('STRATA_ERR_BAD_REMOTE_WRITE');
    expect(codeOf(() => d.decodeBody(compressSync(Buffer.alloc(2000)), 1000))?.slice(0, 2)).toEqual(['STRATA_ERR_BODY_TOO_LARGE', 413]);
    expect(uncompressSnappy(Buffer.alloc(0), 10).length).toBe(0);
    const empty = d.decodeBody(Buffer.alloc(0), 10);
    expect(empty.batch.count).toBe(0);
    expect(empty.batch.errors).toEqual([]);
  });

  it('keeps series keys right through cache evictions and its byte budget', () => {
    // 75,000 label sets of ~430 bytes: more than the cache's 64 Ki entries, and the ~45,000
    // slots they fill need more than its 16 MiB
    const pad = 'x'.repeat(400);
    const req = (from: number, n: number): TSeries[] =>
      Array.from({ length: n }, (_, k) => ({
        labels: [['__name__', `m${(from + k) % 7}`], ['id', String(from + k)], ['pad', pad]] as [string, string][],
        samples: [{ bits: bitsOf(from + k), ms: 1000n }],
        exemplars: 0,
        histograms: 0,
      }));
    const bodies = [0, 25_000, 50_000].map((from) => ({ from, raw: encode(req(from, 25_000)) }));
    const decoder = new RemoteWriteDecoder();
    for (const round of [0, 1]) {
      for (const { from, raw } of round === 0 ? bodies : [...bodies].reverse()) {
        const { batch } = decoder.decode(raw);
        expect(batch.count).toBe(25_000);
        for (let i = 0; i < batch.count; i++) {
          if (batch.seriesKey[i] !== `m${(from + i) % 7},id=${from + i},pad=${pad}`) expect(batch.seriesKey[i]).toBe(`m${(from + i) % 7},id=${from + i},pad=${pad}`);
          if (batch.fieldF64[i] !== from + i) expect(batch.fieldF64[i]).toBe(from + i);
        }
      }
    }
  });

  it('agrees with protobufjs decoding on a large realistic request', () => {
    const req: TSeries[] = [];
    for (let s = 0; s < 2000; s++) {
      req.push({
        labels: [['__name__', `metric_${s % 50}`], ['instance', `host-${s % 40}:9100`], ['job', 'node'], ['mode', `m${s}`]],
        samples: [{ bits: bitsOf(s * 1.5), ms: 1_700_000_000_000n + BigInt(s) }],
        exemplars: 0,
        histograms: 0,
      });
    }
    const raw = encode(req);
    const { batch } = new RemoteWriteDecoder().decode(raw);
    const viaLib = WriteRequest.toObject(WriteRequest.decode(raw), { longs: BigInt }) as {
      timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: bigint }[] }[];
    };
    expect(batch.count).toBe(2000);
    viaLib.timeseries.forEach((ts, i) => {
      const name = ts.labels.find((l) => l.name === '__name__')!.value;
      expect(batch.seriesKey[i]).toBe(makeSeriesKey(name, ts.labels.filter((l) => l.name !== '__name__').map((l) => [l.name, l.value])));
      expect(batch.timeOf(i)).toBe(ts.samples[0].timestamp * 1_000_000n);
      expect(batch.fieldF64[i]).toBe(ts.samples[0].value ?? 0);
    });
  });
});
