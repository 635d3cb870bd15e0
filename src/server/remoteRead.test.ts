// Prometheus remote read over real HTTP: requests encoded with protobufjs and snappy, sent
// with fetch to a listening server; answers decoded the same way and checked against what
// was written (bit for bit: stale markers) and against the PromQL API's own selection.

import protobuf from 'protobufjs';
import { compressSync, uncompressSync } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, listening, type setup, type Harness } from './testing/harness.js';

// Sample.value is `double` in Prometheus' schema; `fixed64` has the same wire format and
// carries the bits unaltered (a NaN payload in a JS number is not guaranteed to survive).
const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message Label { string name = 1; string value = 2; }
message BitsSample { fixed64 value = 1; int64 timestamp = 2; }
message TimeSeries { repeated Label labels = 1; repeated BitsSample samples = 2; }
message LabelMatcher { enum Type { EQ = 0; NEQ = 1; RE = 2; NRE = 3; } Type type = 1; string name = 2; string value = 3; }
message ReadHints { int64 step_ms = 1; string func = 2; int64 start_ms = 3; int64 end_ms = 4; }
message Query { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2; repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
message ReadRequest { repeated Query queries = 1; repeated int32 accepted_response_types = 2; }
message QueryResult { repeated TimeSeries timeseries = 1; }
message ReadResponse { repeated QueryResult results = 1; }
`;
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');
const ReadRequest = root.lookupType('prometheus.ReadRequest');
const ReadResponse = root.lookupType('prometheus.ReadResponse');

const STALE_NAN = 0x7ff0000000000002n;
const T0 = 1_700_000_000_000; // ms
const TYPES = { '=': 0, '!=': 1, '=~': 2, '!~': 3 } as const;

type Matcher = [name: string, op: keyof typeof TYPES, value: string];
interface Query {
  start: number;
  end: number;
  matchers: Matcher[];
}
interface Series {
  labels: Record<string, string>;
  samples: [ms: number, bits: bigint][];
}

function bitsOf(x: number): bigint {
  return new BigUint64Array(new Float64Array([x]).buffer)[0];
}

let h: Harness;
let base: string;

async function start(opts: Parameters<typeof setup>[0] = {}): Promise<void> {
  ({ h, base } = await listening(opts));
}

async function write(series: Series[], db = 'prometheus'): Promise<void> {
  const raw = WriteRequest.encode(
    WriteRequest.fromObject({
      timeseries: series.map((s) => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
        samples: s.samples.map(([timestamp, value]) => ({ value: value.toString(), timestamp })),
      })),
    }),
  ).finish();
  const res = await fetch(`${base}/api/v1/write?db=${db}`, { method: 'POST', body: compressSync(raw), headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' } });
  expect(res.status, await res.text()).toBe(204);
}

function readBody(queries: Query[], accepted: number[] = [1, 0]): Buffer {
  const msg = ReadRequest.fromObject({
    queries: queries.map((q) => ({
      start_timestamp_ms: q.start,
      end_timestamp_ms: q.end,
      matchers: q.matchers.map(([name, op, value]) => ({ type: TYPES[op], name, value })),
      hints: { step_ms: 0, func: 'series', start_ms: q.start, end_ms: q.end },
    })),
    accepted_response_types: accepted,
  });
  return compressSync(ReadRequest.encode(msg).finish());
}

async function post(body: Uint8Array, query = '', headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${base}/api/v1/read${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0', ...headers },
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Each query's series as {labels, samples as [ms, bits]}, in the answer's order. */
function decode(bytes: Buffer): Series[][] {
  const msg = ReadResponse.decode(uncompressSync(bytes, { asBuffer: true }) as Buffer);
  const obj = ReadResponse.toObject(msg, { longs: String, defaults: true }) as {
    results: { timeseries: { labels: { name: string; value: string }[]; samples: { value: string; timestamp: string }[] }[] }[];
  };
  return obj.results.map((r) =>
    r.timeseries.map((ts) => ({
      labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
      samples: ts.samples.map((s) => [Number(s.timestamp), BigInt.asUintN(64, BigInt(s.value))] as [number, bigint]),
    })),
  );
}

async function read(queries: Query[], query = ''): Promise<Series[][]> {
  const res = await post(readBody(queries), query);
  expect(res.status, res.bytes.toString()).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-protobuf');
  expect(res.headers.get('content-encoding')).toBe('snappy');
  return decode(res.bytes);
}

afterEach(cleanup);

describe('POST /api/v1/read (Prometheus remote read)', () => {
  it('answers each query with the raw samples of the matching series, bit for bit, series and labels sorted', async () => {
    await start();
    await write([
      {
        labels: { __name__: 'up', job: 'node', instance: 'b:9100' },
        samples: [
          [T0, bitsOf(1)],
          [T0 + 15_000, STALE_NAN],
          [T0 + 30_000, bitsOf(-0)],
          [T0 + 45_000, bitsOf(Infinity)],
        ],
      },
      { labels: { __name__: 'up', job: 'node', instance: 'a:9100' }, samples: [[T0, bitsOf(0.1)], [T0 + 15_000, bitsOf(0.2)]] },
      { labels: { __name__: 'up', job: 'prom', instance: 'c:9090' }, samples: [[T0, bitsOf(1)]] },
      { labels: { __name__: 'other', job: 'node' }, samples: [[T0, bitsOf(5)]] },
    ]);
    const [all, node, re, window] = await read([
      { start: T0 - 1000, end: T0 + 60_000, matchers: [['__name__', '=', 'up']] },
      { start: T0 - 1000, end: T0 + 60_000, matchers: [['__name__', '=', 'up'], ['job', '=', 'node'], ['instance', '!=', 'a:9100']] },
      { start: T0 - 1000, end: T0 + 60_000, matchers: [['__name__', '=~', 'up|oth.*'], ['job', '!~', 'prom']] },
      // both ends included, as Prometheus reads them
      { start: T0 + 15_000, end: T0 + 30_000, matchers: [['__name__', '=', 'up'], ['instance', '=', 'b:9100']] },
    ]);
    expect(all.map((s) => s.labels)).toEqual([
      { __name__: 'up', instance: 'a:9100', job: 'node' },
      { __name__: 'up', instance: 'b:9100', job: 'node' },
      { __name__: 'up', instance: 'c:9090', job: 'prom' },
    ]);
    expect(all[1].samples).toEqual([
      [T0, bitsOf(1)],
      [T0 + 15_000, STALE_NAN],
      [T0 + 30_000, bitsOf(-0)],
      [T0 + 45_000, bitsOf(Infinity)],
    ]);
    expect(node).toEqual([all[1]]);
    expect(re.map((s) => s.labels.__name__ + s.labels.instance)).toEqual(['otherundefined', 'upa:9100', 'upb:9100']);
    expect(window[0].samples).toEqual([
      [T0 + 15_000, STALE_NAN],
      [T0 + 30_000, bitsOf(-0)],
    ]);
  });

  it('reads every database as one namespace, or the one ?db= names; same series as the PromQL API', async () => {
    await start();
    await write([{ labels: { __name__: 'm', k: 'x' }, samples: [[T0, bitsOf(1)]] }], 'one');
    await write([{ labels: { __name__: 'm', k: 'y' }, samples: [[T0, bitsOf(2)]] }], 'two');
    const q: Query = { start: T0 - 1000, end: T0 + 1000, matchers: [['__name__', '=', 'm']] };
    const [both] = await read([q]);
    expect(both.map((s) => s.labels.k)).toEqual(['x', 'y']);
    const [two] = await read([q], '?db=two');
    expect(two.map((s) => s.labels.k)).toEqual(['y']);
    const api = (await (await fetch(`${base}/api/v1/series?match[]=m&start=${(T0 - 1000) / 1000}&end=${(T0 + 1000) / 1000}`)).json()) as { data: Record<string, string>[] };
    expect(both.map((s) => s.labels)).toEqual(api.data);
    const missing = await post(readBody([q]), '?db=nope');
    expect(missing.status).toBe(404);
    expect(missing.bytes.toString()).toContain('database not found: \\"nope\\"');
  });

  it('refuses bad requests with a 4xx that says why, and applies the sample limit', async () => {
    await start({ server: { query: { maxSamples: 3 } } });
    await write([{ labels: { __name__: 'm' }, samples: [[T0, bitsOf(1)], [T0 + 1000, bitsOf(2)]] }]);
    const q: Query = { start: T0 - 1000, end: T0 + 5000, matchers: [['__name__', '=', 'm']] };
    expect((await read([q]))[0][0].samples.length).toBe(2);
    const over = await post(readBody([q, q]));
    expect(over.status).toBe(400);
    expect(over.bytes.toString()).toContain('exceeded sample limit (3)');
    const cases: [Uint8Array, Record<string, string>, number, string][] = [
      [Buffer.from('not snappy at all'), {}, 400, 'not valid snappy'],
      [compressSync(Buffer.from([0x0a, 0x05, 0x08])), {}, 400, 'runs past the end'],
      [readBody([{ start: T0, end: T0, matchers: [] }]), {}, 400, 'query 1 has no matchers'],
      [readBody([q], [1]), {}, 400, 'Strata answers SAMPLES'],
      [readBody([q]), { 'content-encoding': 'gzip' }, 415, 'unsupported Content-Encoding \\"gzip\\"'],
    ];
    for (const [body, headers, status, text] of cases) {
      const res = await post(body, '', headers);
      expect(res.status, text).toBe(status);
      expect(res.bytes.toString()).toContain(text);
    }
  });

  it('stops reading once past the sample limit', async () => {
    await start({ server: { query: { maxSamples: 25 } } });
    // 200 series of 10 samples, flushed: each series is one block in a TSM file
    await write(Array.from({ length: 200 }, (_, i) => ({ labels: { __name__: 'many', i: String(i).padStart(3, '0') }, samples: Array.from({ length: 10 }, (_, k): [number, bigint] => [T0 + k * 1000, bitsOf(i + k)]) })));
    await h.db.flush();
    const misses = () => h.db.stats().blockCacheMisses;
    const q: Query = { start: T0 - 1000, end: T0 + 20_000, matchers: [['__name__', '=', 'many']] };
    const before = misses();
    const over = await post(readBody([q]));
    expect(over.status).toBe(400);
    expect(over.bytes.toString()).toContain('exceeded sample limit (25)');
    // three series pass 25 samples: a few blocks read, not 200
    expect(misses() - before).toBeLessThanOrEqual(5);
    // within the limit, the same data reads in full
    const one: Query = { ...q, matchers: [['__name__', '=', 'many'], ['i', '=~', '00[12]']] };
    expect((await read([one]))[0].map((s) => s.samples.length)).toEqual([10, 10]);
  });
});
