import { describe, expect, it } from 'vitest';
import { LineProtocolParser } from '../ingest/lineprotocol.js';
import { RemoteWriteDecoder } from '../ingest/remoteWrite.js';
import { backoffMs, batchToLines, checkUpstream, batchToSamples, classify, encodeWriteRequest, inferKind, newSamples, parseRetryAfter, targetUrl, wordsToDecimal } from './upstream.js';

const parse = (text: string) => new LineProtocolParser().parse(Buffer.from(text), { precision: 'ns', defaultTime: 0n });

describe('upstream kinds', () => {
  it('infers the kind from the URL', () => {
    expect(inferKind('http://central:8086/write?db=edge')).toBe('influx-v1');
    expect(inferKind('https://central/strata/write?db=edge&rp=raw')).toBe('influx-v1');
    expect(inferKind('http://influx2:8086/api/v2/write?bucket=edge&org=acme')).toBe('influx-v2');
    expect(inferKind('http://prom:9090/api/v1/write')).toBe('remote-write');
    expect(inferKind('http://mimir/api/v1/push/remote_write')).toBe('remote-write');
    expect(inferKind('http://thanos:19291/api/v1/receive')).toBe('remote-write');
    expect(() => inferKind('http://central:8086/write')).toThrow(/needs \?db=/);
    expect(() => inferKind('http://central:8086/api/v2/write?org=a')).toThrow(/needs \?bucket=/);
    expect(() => inferKind('ftp://x/write?db=a')).toThrow(/http and https/);
    expect(() => inferKind('http://x/query')).toThrow(/neither/);
  });

  it('checks names, and takes an explicit kind over the URL shape', () => {
    expect(checkUpstream({ name: 'central-1', url: 'http://c/write?db=a' })).toBe('influx-v1');
    expect(checkUpstream({ name: 'p', url: 'http://proxy/ingest', kind: 'remote-write' })).toBe('remote-write');
    expect(() => checkUpstream({ name: 'p', url: 'http://proxy/ingest' })).toThrow(/neither/);
    expect(() => checkUpstream({ name: '../x', url: 'http://c/write?db=a' })).toThrow(/upstream name/);
    expect(() => checkUpstream({ name: 'x', url: 'http://c/write?db=a', kind: 'kafka' as never })).toThrow(/upstream kind/);
  });

  it('puts the local database and policy into {db} and {rp}', () => {
    expect(targetUrl('http://c/write?db={db}&rp={rp}', 'site 1', 'autogen')).toBe('http://c/write?db=site%201&rp=autogen');
    expect(targetUrl('http://c/write?db=edge', 'x', 'y')).toBe('http://c/write?db=edge');
  });
});

describe('line protocol out', () => {
  it('writes every field type with the exact nanosecond time', () => {
    const b = parse('m,t=a\\ b f=1.5,i=-9223372036854775808i,u=18446744073709551615u,b=true,s="x \\"q\\"" -1\nm f=2 1700000000123456789\n');
    const out: string[] = [];
    expect(batchToLines(b, out)).toEqual({ lines: 2, unrepresentable: 0 });
    expect(out).toEqual(['m,t=a\\ b f=1.5,i=-9223372036854775808i,u=18446744073709551615u,b=true,s="x \\"q\\"" -1', 'm f=2 1700000000123456789']);
  });

  it('formats int64 words exactly', () => {
    expect(wordsToDecimal(0xffffffff, 0xffffffff)).toBe('-1');
    expect(wordsToDecimal(0, 0x80000000)).toBe('-9223372036854775808');
    expect(wordsToDecimal(0xffffffff, 0x7fffffff)).toBe('9223372036854775807');
    expect(wordsToDecimal(5, 0)).toBe('5');
  });
});

describe('remote write out', () => {
  it('round-trips through the remote-write decoder: numeric fields as metric_field, tags as labels, ms times', () => {
    const b = parse('cpu,host=a,Zone=eu usage=1.25,n=7i,ok=true,s="skip" 1700000000123456789\ncpu,host=a,Zone=eu usage=2 1700000001000000000\nup,host=b value=1 -1500000\n');
    const s = newSamples();
    expect(batchToSamples(b, s, new Map())).toEqual({ samples: 5, skipped: 1 });
    const body = encodeWriteRequest(s);
    const { batch } = new RemoteWriteDecoder().decodeBody(body, 1 << 20);
    const got: string[] = [];
    for (let i = 0; i < batch.count; i++) got.push(`${batch.seriesKey[i]} ${batch.fieldF64[batch.fieldStart[i]]} ${batch.timeOf(i)}`);
    expect(got.sort()).toEqual(
      [
        'cpu_usage,Zone=eu,host=a 1.25 1700000000123000000',
        'cpu_usage,Zone=eu,host=a 2 1700000001000000000',
        'cpu_n,Zone=eu,host=a 7 1700000000123000000',
        'cpu_ok,Zone=eu,host=a 1 1700000000123000000',
        'up,host=b 1 -2000000',
      ].sort(),
    );
    // a slice of the samples encodes only those
    const part = new RemoteWriteDecoder().decodeBody(encodeWriteRequest(s, 1, 3), 1 << 20).batch;
    expect(part.count).toBe(2);
  });
});

describe('answers and backoff', () => {
  it('classifies statuses', () => {
    expect([200, 204, 400, 401, 404, 408, 413, 429, 500, 503, 302].map(classify)).toEqual(['sent', 'sent', 'dead-letter', 'dead-letter', 'dead-letter', 'retry', 'dead-letter', 'retry', 'retry', 'retry', 'retry']);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('backs off exponentially with full jitter, bounded', () => {
    expect(backoffMs(0, 100, 30_000, () => 0.999)).toBe(99);
    expect(backoffMs(3, 100, 30_000, () => 0.5)).toBe(400);
    expect(backoffMs(20, 100, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffMs(1000, 100, 30_000, () => 0)).toBe(0);
  });
});

describe('nsWordsToMs', () => {
  it('floors int64 ns to ms exactly, like BigInt division', async () => {
    const { nsWordsToMs } = await import('./upstream.js');
    const cases = [0n, 1n, -1n, 999_999n, 1_000_000n, -1_000_000n, -1_000_001n, 1_700_000_000_123_456_789n, 2n ** 63n - 1n, -(2n ** 63n), 4_294_967_296n * 999_999n + 5n];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      cases.push(BigInt.asIntN(64, x));
    }
    for (const ns of cases) {
      const u = BigInt.asUintN(64, ns);
      let want = ns / 1_000_000n;
      if (ns < 0n && want * 1_000_000n !== ns) want -= 1n;
      expect(nsWordsToMs(Number(u & 0xffffffffn), Number(u >> 32n)), String(ns)).toBe(Number(want));
    }
  });
});
