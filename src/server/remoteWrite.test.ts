// Prometheus remote write over real HTTP: requests encoded with protobufjs and snappy, sent
// with fetch to a listening server, read back through the engine's select() bit for bit.

import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../engine/database.js';
import { OverloadedError } from '../errors.js';
import { cleanup, exportText, listening, type setup, type Harness } from './testing/harness.js';

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message Label { string name = 1; string value = 2; }
message BitsSample { fixed64 value = 1; int64 timestamp = 2; }
message Histogram { uint64 count_int = 1; double sum = 3; int64 timestamp = 15; }
message TimeSeries { repeated Label labels = 1; repeated BitsSample samples = 2; repeated Histogram histograms = 4; }
`;
// Sample.value is `double` in Prometheus' schema; `fixed64` has the same wire format and
// carries the bits unaltered (a NaN payload in a JS number is not guaranteed to survive).
const WriteRequest = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('prometheus.WriteRequest');
const PROTO_V2 = `
syntax = "proto3";
package io.prometheus.write.v2;
message Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
message Sample { fixed64 value = 1; int64 timestamp = 2; }
message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; }
`;
const RequestV2 = protobuf.parse(PROTO_V2, { keepCase: true }).root.lookupType('io.prometheus.write.v2.Request');

function bodyV2(series: Series[]): Buffer {
  const symbols = [''];
  const sym = (x: string) => (symbols.includes(x) ? symbols.indexOf(x) : symbols.push(x) - 1);
  const timeseries = series.map((s) => ({
    labels_refs: Object.entries(s.labels).flatMap(([n, v]) => [sym(n), sym(v)]),
    samples: s.samples.map(([value, timestamp]) => ({ value, timestamp })),
  }));
  return compressSync(RequestV2.encode(RequestV2.fromObject({ symbols, timeseries })).finish());
}
const V2_HEADERS = { ...PROM_HEADERS_V1(), 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'x-prometheus-remote-write-version': '2.0.0' };

const STALE_NAN = 0x7ff0000000000002n;
const T0 = 1_700_000_000_000n; // ms

type Labels = Record<string, string>;
interface Series {
  labels: Labels;
  samples: [bits: bigint, ms: bigint][];
  histograms?: number;
}

function bitsOf(x: number): bigint {
  return new BigUint64Array(new Float64Array([x]).buffer)[0];
}

function body(series: Series[]): Buffer {
  const raw = WriteRequest.encode(
    WriteRequest.fromObject({
      timeseries: series.map((s) => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
        samples: s.samples.map(([value, timestamp]) => ({ value, timestamp })),
        histograms: Array.from({ length: s.histograms ?? 0 }, () => ({ count_int: 1, sum: 1, timestamp: T0 })),
      })),
    }),
  ).finish();
  return compressSync(raw);
}

function PROM_HEADERS_V1(): Record<string, string> {
  return {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': 'Prometheus/2.42.0',
  };
}
const PROM_HEADERS = PROM_HEADERS_V1();

let h: Harness;
let base: string;

async function start(opts: Parameters<typeof setup>[0] = {}): Promise<void> {
  ({ h, base } = await listening(opts));
}

async function post(data: Uint8Array, query = '', headers: Record<string, string> = PROM_HEADERS): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${base}/api/v1/write${query}`, { method: 'POST', body: data, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A measurement's float series as {key: [[ns, bits], ...]}, from the engine. */
function stored(db: string, measurement: string): Record<string, [bigint, bigint][]> {
  const out: Record<string, [bigint, bigint][]> = {};
  for (const col of h.db.select({ db, measurement })) {
    expect(col.field).toBe('value');
    expect(col.type).toBe('float');
    const v = col.values as Float64Array;
    const bits = new BigUint64Array(v.buffer, v.byteOffset, v.length);
    out[col.key] = Array.from(col.times, (t, i) => [t, bits[i]]);
  }
  return out;
}

afterEach(cleanup);

describe('POST /api/v1/write (Prometheus remote write 1.0)', () => {
  it('stores samples that read back bit for bit at once, stale markers included (read your writes)', async () => {
    await start();
    const res = await post(
      body([
        {
          labels: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' },
          samples: [
            [bitsOf(1), T0],
            [STALE_NAN, T0 + 1000n],
            [bitsOf(-0), T0 + 2000n],
            [bitsOf(Infinity), T0 + 3000n],
            [bitsOf(0.1), T0 + 4000n],
          ],
        },
        { labels: { __name__: 'http_requests_total', code: '200', empty: '' }, samples: [[bitsOf(12345), T0]] },
      ]),
    );
    expect(res.status, res.text).toBe(204);
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe('6');
    expect(res.headers.get('x-prometheus-remote-write-histograms-written')).toBe('0');
    // the 204 came after the write was applied: the data is there now
    expect(stored('prometheus', 'up')).toEqual({
      'up,instance=localhost:9090,job=prometheus': [
        [T0 * 1_000_000n, bitsOf(1)],
        [(T0 + 1000n) * 1_000_000n, STALE_NAN],
        [(T0 + 2000n) * 1_000_000n, 0x8000000000000000n],
        [(T0 + 3000n) * 1_000_000n, 0x7ff0000000000000n],
        [(T0 + 4000n) * 1_000_000n, bitsOf(0.1)],
      ],
    });
    expect(stored('prometheus', 'http_requests_total')).toEqual({ 'http_requests_total,code=200': [[T0 * 1_000_000n, bitsOf(12345)]] });

    // the same after a restart (WAL replay of the point-batch record) and after a flush (TSM)
    const want = stored('prometheus', 'up');
    await h.app.close();
    await h.db.close();
    h.db = await openDatabase({ dataDir: h.dir, fsync: 'off' });
    expect(stored('prometheus', 'up')).toEqual(want);
    await h.db.flush();
    expect(stored('prometheus', 'up')).toEqual(want);
  });

  it('writes the database named by ?db= (created on first write), and a resend overwrites', async () => {
    await start();
    const b = body([{ labels: { __name__: 'm', a: 'x' }, samples: [[bitsOf(2), T0]] }]);
    expect((await post(b, '?db=metrics')).status).toBe(204);
    expect((await post(b, '?db=metrics')).status).toBe(204);
    expect(h.db.hasDatabase('prometheus')).toBe(false);
    expect(stored('metrics', 'm')).toEqual({ 'm,a=x': [[T0 * 1_000_000n, bitsOf(2)]] });
  });

  it('stores the good series and answers 400 naming the first bad series', async () => {
    await start();
    const res = await post(
      body([
        { labels: { __name__: 'ok', job: 'a' }, samples: [[bitsOf(1), T0]] },
        { labels: { job: 'nameless' }, samples: [[bitsOf(1), T0], [bitsOf(2), T0 + 1n]] },
        { labels: { __name__: 'hist' }, samples: [], histograms: 1 },
        { labels: { __name__: 'ok2', time: 'reserved' }, samples: [[bitsOf(1), T0]] },
        { labels: { __name__: 'ok3' }, samples: [[bitsOf(3), T0]] },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-strata-error-code')).toBe('STRATA_ERR_PARTIAL_WRITE');
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe('2');
    const msg = (JSON.parse(res.text) as { error: string }).error;
    expect(msg).toMatch(/^partial write: sample 2: series \{job="nameless"\}: has no metric name \(no __name__ label\); sample 4: series hist\{\}: native histograms are not supported/);
    expect(msg).toMatch(/sample 5: series ok2\{time="reserved"\}: label name "time" is "time", which is reserved dropped=4$/);
    expect(Object.keys(stored('prometheus', 'ok'))).toEqual(['ok,job=a']);
    expect(Object.keys(stored('prometheus', 'ok3'))).toEqual(['ok3']);
  });

  it('answers 400 for a field type conflict with stored data', async () => {
    await start();
    await h.db.write('up,job=a value="text" 1', { db: 'prometheus' });
    const res = await post(body([{ labels: { __name__: 'up', job: 'b' }, samples: [[bitsOf(1), T0]] }]));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/field type conflict: input field \\"value\\" on measurement \\"up\\" is type float, already exists as type string/);
  });

  it('refuses malformed bodies as a whole and stores nothing', async () => {
    await start();
    expect((await post(body([{ labels: { __name__: 'keep' }, samples: [[bitsOf(1), T0]] }]))).status).toBe(204);
    const before = await exportText(h.app, 'prometheus');
    const good = body([{ labels: { __name__: 'bad' }, samples: [[bitsOf(1), T0]] }]);
    const raw = WriteRequest.encode(WriteRequest.fromObject({ timeseries: [{ labels: [{ name: '__name__', value: 'bad' }], samples: [{ value: 1n, timestamp: 1 }] }] })).finish();
    const cases: [Uint8Array, number, RegExp][] = [
      [Buffer.from('up value=1\n'), 400, /not snappy|not valid snappy/],
      [compressSync(raw.subarray(0, raw.length - 3)), 400, /truncated .* at byte/],
      [good.subarray(0, good.length - 2), 400, /not valid snappy/],
      [compressSync(Buffer.from([0xff, 0xff, 0xff])), 400, /not a valid remote-write 1\.0 request/],
    ];
    for (const [data, status, re] of cases) {
      const res = await post(data);
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get('x-strata-error-code')).toBe('STRATA_ERR_BAD_REMOTE_WRITE');
      expect(res.text).toMatch(re);
    }
    expect(await exportText(h.app, 'prometheus')).toBe(before);
  });

  it('receives remote write 2.0 (by Content-Type), with the written-counts headers it requires', async () => {
    await start();
    const res = await post(
      bodyV2([
        { labels: { __name__: 'up', job: 'a', instance: 'h:1' }, samples: [[STALE_NAN, T0], [bitsOf(1), T0 + 1n]] },
        { labels: { job: 'nameless' }, samples: [[bitsOf(1), T0]] },
      ]),
      '',
      V2_HEADERS,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe('2');
    expect(res.headers.get('x-prometheus-remote-write-histograms-written')).toBe('0');
    expect(res.headers.get('x-prometheus-remote-write-exemplars-written')).toBe('0');
    expect(res.text).toMatch(/sample 3: series \{job=\\"nameless\\"\}: has no metric name/);
    expect(stored('prometheus', 'up')).toEqual({ 'up,instance=h:1,job=a': [[T0 * 1_000_000n, STALE_NAN], [(T0 + 1n) * 1_000_000n, bitsOf(1)]] });
    const ok = await post(bodyV2([{ labels: { __name__: 'up', job: 'b' }, samples: [[bitsOf(2), T0]] }]), '', V2_HEADERS);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('x-prometheus-remote-write-samples-written')).toBe('1');
    // a 2.0 body sent as 1.0 is refused rather than read as an empty request, and the
    // other way round
    const asV1 = await post(bodyV2([{ labels: { __name__: 'x' }, samples: [[bitsOf(1), T0]] }]));
    expect(asV1.status).toBe(400);
    expect(asV1.text).toMatch(/looks like a remote-write 2\.0 request .* sent as 1\.0/);
    const asV2 = await post(body([{ labels: { __name__: 'x' }, samples: [[bitsOf(1), T0]] }]), '', V2_HEADERS);
    expect(asV2.status).toBe(400);
    expect(asV2.text).toMatch(/looks like a remote-write 1\.0 request .* sent as 2\.0/);
    expect(h.db.measurements('prometheus')).toEqual(['up']);
  });

  it('answers 415 to other protobuf messages and to encodings other than snappy', async () => {
    await start();
    const b = body([{ labels: { __name__: 'x' }, samples: [[bitsOf(1), T0]] }]);
    const v3 = await post(b, '', { ...PROM_HEADERS, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v3.Request' });
    expect(v3.status).toBe(415);
    expect(v3.headers.get('x-strata-error-code')).toBe('STRATA_ERR_UNSUPPORTED_REMOTE_WRITE');
    expect(v3.text).toMatch(/prometheus\.WriteRequest \(remote write 1\.0\) and io\.prometheus\.write\.v2\.Request \(2\.0\)/);
    const v1 = await post(b, '', { ...PROM_HEADERS, 'content-type': 'application/x-protobuf;proto=prometheus.WriteRequest' });
    expect(v1.status).toBe(204);
    const gz = await post(b, '', { ...PROM_HEADERS, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(415);
    expect(gz.headers.get('x-strata-error-code')).toBe('STRATA_ERR_UNSUPPORTED_ENCODING');
    expect(gz.text).toMatch(/Content-Encoding: snappy/);
    // no Content-Encoding: read as snappy, as Prometheus' own receiver does
    const none = await post(b, '', { 'content-type': 'application/x-protobuf' });
    expect(none.status).toBe(204);
  });

  it('refuses bodies over the limit, as sent (413) and uncompressed (413)', async () => {
    await start({ server: { bodyLimit: 4096 } });
    const series = Array.from({ length: 200 }, (_, i) => ({ labels: { __name__: 'm', i: String(i) }, samples: [[bitsOf(1), T0]] as [bigint, bigint][] }));
    const big = body(series);
    expect(big.length).toBeLessThan(4096); // compresses well; the uncompressed size is over
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/uncompressed body \(\d+ bytes\) is over the limit of 4096 bytes/);
    const huge = await post(Buffer.alloc(5000, 1));
    expect(huge.status).toBe(413);
    expect(h.db.hasDatabase('prometheus')).toBe(false);
  });

  it('answers 503 with Retry-After when the engine is overloaded (Prometheus retries)', async () => {
    await start();
    h.db.writeBatch = async () => {
      throw new OverloadedError('writes are arriving faster than they reach disk; retry after 1 s', 1);
    };
    const res = await post(body([{ labels: { __name__: 'x' }, samples: [[bitsOf(1), T0]] }]));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-strata-error-code')).toBe('STRATA_ERR_OVERLOADED');
  });

  it('answers 204 to an empty request', async () => {
    await start();
    expect((await post(Buffer.alloc(0))).status).toBe(204);
    expect((await post(compressSync(Buffer.alloc(0)))).status).toBe(204);
  });
});
