// The v2 write API driven over a real socket by the official InfluxDB JavaScript client.

import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { HttpError, InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, setup, sortedLines } from './testing/harness.js';

afterEach(cleanup);

// The client logs failed writes to the console; the test checks the errors instead.
let restore: ReturnType<typeof setLogger>;
beforeAll(() => {
  restore = setLogger({ error() {}, warn() {} });
});
afterAll(() => {
  setLogger(restore);
});

async function listen(server: { bodyLimit?: number } = {}) {
  const h = await setup({ server });
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...h, url: address };
}

function writeApi(url: string, bucket = 'bucket'): WriteApi {
  return new InfluxDB({ url, token: 'x' }).getWriteApi('org', bucket, 'ns', {
    batchSize: 10_000,
    flushInterval: 0,
    maxRetries: 0,
  });
}

async function exportOverHttp(url: string, db: string): Promise<string> {
  const res = await fetch(`${url}/export?db=${db}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  return res.text();
}

describe('InfluxDB client → /api/v2/write → /export', () => {
  it('round-trips every field type, escaped names and nanosecond times past 2^53 exactly', async () => {
    const { url } = await listen();
    const api = writeApi(url);
    const expected: string[] = [];

    api.writePoint(
      new Point('weird meas,x')
        .tag('tag key', 'v a,l=ue')
        .tag('a=b', 'c\\d ☃')
        .floatField('f', -0.25)
        .floatField('fi eld,=x', 0.1 + 0.2)
        .intField('i', 42)
        .uintField('u', '18446744073709551615')
        .booleanField('b', true)
        .stringField('s', 'quote " backslash \\ tab\t unicode ☃ 日本 🦀 \\"')
        .timestamp('9223372036854775806'), // the largest time InfluxDB accepts
    );
    expected.push(
      'weird\\ meas\\,x,a\\=b=c\\d\\ ☃,tag\\ key=v\\ a\\,l\\=ue ' +
        'b=true,f=-0.25,fi\\ eld\\,\\=x=0.30000000000000004,i=42i,' +
        's="quote \\" backslash \\\\ tab\t unicode ☃ 日本 🦀 \\\\\\"",u=18446744073709551615u 9223372036854775806',
    );
    // The client's intField goes through a double: int64 extremes go as raw lines.
    api.writeRecord('ints,k=v max=9223372036854775807i,min=-9223372036854775808i,z=0u -1');
    expected.push('ints,k=v max=9223372036854775807i,min=-9223372036854775808i,z=0u -1');
    api.writeRecord('ints,k=v max=1i 9007199254740993');
    expected.push('ints,k=v max=1i 9007199254740993');
    api.writeRecord('ints,k=v min=2i -9223372036854775806');
    expected.push('ints,k=v min=2i -9223372036854775806');

    // Enough points that the client gzips the body (its threshold is 1000 bytes).
    for (let i = 0; i < 300; i++) {
      const t = 1_700_000_000_000_000_000n + BigInt(i) * 1000n + 7n;
      api.writePoint(
        new Point('bulk')
          .tag('host', `h${i % 5}`)
          .floatField('value', i + 0.5)
          .intField('count', i)
          .booleanField('even', i % 2 === 0)
          .timestamp(String(t)),
      );
      expected.push(`bulk,host=h${i % 5} count=${i}i,even=${i % 2 === 0},value=${i + 0.5} ${t}`);
    }
    await api.close();

    expect(sortedLines(await exportOverHttp(url, 'bucket'))).toEqual(expected.slice().sort());
  });

  it('reports the server message of a 400 and a 422, and keeps the good lines only', async () => {
    const { url } = await listen();
    const api = writeApi(url);
    api.writeRecord('cpu,host=a v=1 1');
    await api.flush();
    const before = await exportOverHttp(url, 'bucket');

    api.writeRecords(['cpu,host=a v=2 2', 'cpu value=', 'cpu,host=a v=3 3']);
    const err400 = await api.flush().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err400).toBeInstanceOf(HttpError);
    expect((err400 as HttpError).statusCode).toBe(400);
    expect((err400 as HttpError).code).toBe('invalid');
    expect((err400 as HttpError).message).toMatch(/^partial write: line 2: .*'cpu value='.* dropped=1$/);

    api.writeRecords(['cpu,host=a v=4 4', 'cpu,host=a v="text" 5']);
    const err422 = await api.flush().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err422).toBeInstanceOf(HttpError);
    expect((err422 as HttpError).statusCode).toBe(422);
    expect((err422 as HttpError).code).toBe('unprocessable entity');
    expect((err422 as HttpError).message).toMatch(/^partial write: line 2: field type conflict: .* dropped=1$/);
    await api.close().catch(() => {});

    expect(await exportOverHttp(url, 'bucket')).toBe(`${before}cpu,host=a v=2 2\ncpu,host=a v=3 3\ncpu,host=a v=4 4\n`);
  });

  it('answers /ping with the version headers over a real socket', async () => {
    const { url } = await listen();
    const res = await fetch(`${url}/ping`);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-influxdb-version')).toMatch(/^1\.8\.10\+strata\./);
    expect(res.headers.get('x-influxdb-build')).toBe('OSS');
  });

  it('refuses over-limit bodies sent chunked (no Content-Length) with a readable 413', async () => {
    const { url } = await listen({ bodyLimit: 1024 });
    const big = Buffer.from('m v=1 1\n'.repeat(8 * 1024)); // 64 KiB
    let res = await postChunked(`${url}/write?db=d`, big, {});
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body).error).toContain('the body as sent is over the limit of 1024 bytes');
    res = await postChunked(`${url}/api/v2/write?bucket=d`, gzipSync(big), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ code: 'request too large', message: expect.stringContaining('the decompressed body') });
    res = await postChunked(`${url}/write?db=d`, Buffer.from('m v=1 1\n'), {});
    expect(res.status).toBe(204);
    expect(await exportOverHttp(url, 'd')).toBe('m v=1 1\n');
  });
});

/** POSTs a body in 512-byte chunks (Transfer-Encoding: chunked) and reads the response. */
function postChunked(url: string, body: Buffer, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 512) req.write(body.subarray(i, i + 512));
    req.end();
  });
}
