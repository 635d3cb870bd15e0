import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectJsonError, setup } from './testing/harness.js';
import { daysFromCivil, parseRfc3339, parseTime } from './time.js';

afterEach(cleanup);

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

describe('parseTime', () => {
  it('parses RFC 3339 exactly to the nanosecond, to the ends of int64', () => {
    expect(parseRfc3339('1970-01-01T00:00:00Z')).toBe(0n);
    expect(parseRfc3339('2023-11-14T22:13:20.000000001Z')).toBe(1_700_000_000_000_000_001n);
    expect(parseRfc3339('2023-11-14T22:13:20.5Z')).toBe(1_700_000_000_500_000_000n);
    expect(parseRfc3339('2023-11-14t22:13:20.123456789z')).toBe(1_700_000_000_123_456_789n);
    expect(parseRfc3339('2023-11-14 22:13:20Z')).toBe(1_700_000_000_000_000_000n);
    expect(parseRfc3339('2023-11-15T00:13:20.25+02:00')).toBe(1_700_000_000_250_000_000n);
    expect(parseRfc3339('2023-11-14T17:43:20-04:30')).toBe(1_700_000_000_000_000_000n);
    expect(parseRfc3339('1969-12-31T23:59:59.999999999Z')).toBe(-1n);
    expect(parseRfc3339('2262-04-11T23:47:16.854775807Z')).toBe(MAX);
    expect(parseRfc3339('1677-09-21T00:12:43.145224192Z')).toBe(MIN);
    expect(parseRfc3339('2000-02-29T00:00:00Z')).toBe(951_782_400_000_000_000n);
  });

  it('refuses what is not an RFC 3339 time in int64 range', () => {
    for (const s of [
      '2262-04-11T23:47:16.854775808Z',
      '1677-09-21T00:12:43.145224191Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2023-04-31T00:00:00Z',
      '2023-13-01T00:00:00Z',
      '2023-00-01T00:00:00Z',
      '2023-01-01T24:00:00Z',
      '2023-01-01T00:60:00Z',
      '2023-01-01T00:00:60Z',
      '2023-01-01T00:00:00.1234567891Z',
      '2023-01-01T00:00:00.Z',
      '2023-01-01T00:00:00',
      '2023-01-01T00:00:00+0100',
      '2023-01-01T00:00:00+24:00',
      '2023-1-01T00:00:00Z',
      '2023-01-01',
      'yesterday',
      '',
    ]) {
      expect(parseTime(s), s).toBeNull();
    }
  });

  it('parses integers as ns, to the ends of int64 and no further', () => {
    expect(parseTime('1700000000000000001')).toBe(1_700_000_000_000_000_001n);
    expect(parseTime('-5')).toBe(-5n);
    expect(parseTime(String(MAX))).toBe(MAX);
    expect(parseTime(String(MIN))).toBe(MIN);
    expect(parseTime(String(MAX + 1n))).toBeNull();
    expect(parseTime('1.5')).toBeNull();
  });

  it('agrees with Date for every millisecond time, with any fraction digits appended', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999_999 }),
        (d, extra) => {
          const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
          const ms = BigInt(d.getTime());
          const ns = ms * 1_000_000n + BigInt(extra);
          const withNs = `${iso.slice(0, -1)}${String(extra).padStart(6, '0')}Z`;
          const inRange = ns >= MIN && ns <= MAX;
          expect(parseRfc3339(withNs)).toBe(inRange ? ns : null);
          const msNs = ms * 1_000_000n;
          expect(parseRfc3339(iso)).toBe(msNs >= MIN && msNs <= MAX ? msNs : null);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('counts days like Date.UTC', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), (y, m, d) => {
        const date = new Date(0);
        date.setUTCFullYear(y, m - 1, d);
        expect(daysFromCivil(y, m, d) * 86_400_000).toBe(date.getTime());
      }),
    );
  });
});

describe('GET /export', () => {
  const BODY = [
    'cpu,host=a v=1.5 1000000000000000000',
    'cpu,host=a v=2.5 1700000000000000000',
    'cpu,host=b v=3.5 1700000000000000001',
    'mem,host=a free=10i 1700000000000000002',
  ].join('\n');

  it('streams line protocol, filtered by measurement and [start, end) in ns or RFC 3339', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: BODY });
    const get = (q: string) => app.inject({ method: 'GET', url: `/export?db=d${q}` });
    let res = await get('');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe(`${BODY}\n`);
    expect((await get('&measurement=mem')).body).toBe('mem,host=a free=10i 1700000000000000002\n');
    expect((await get('&rp=autogen&start=1700000000000000000&end=1700000000000000002')).body).toBe(
      'cpu,host=a v=2.5 1700000000000000000\ncpu,host=b v=3.5 1700000000000000001\n',
    );
    res = await get(`&start=${encodeURIComponent('2023-11-14T22:13:20.000000001Z')}&end=${encodeURIComponent('2023-11-15T00:13:20.000000002+02:00')}`);
    expect(res.body).toBe('cpu,host=b v=3.5 1700000000000000001\n');
    res = await get('&measurement=nothing');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('refuses a missing or unknown database and bad times, by name', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: BODY });
    expectJsonError(await app.inject({ method: 'GET', url: '/export' }), 400, { error: 'database is required' });
    expectJsonError(await app.inject({ method: 'GET', url: '/export?db=x' }), 404, { error: 'database not found: "x"' });
    expectJsonError(await app.inject({ method: 'GET', url: '/export?db=d&start=yesterday' }), 400, {
      error: expect.stringMatching(/^invalid start parameter "yesterday": use nanoseconds since the epoch or an RFC 3339 time/),
    });
    expectJsonError(await app.inject({ method: 'GET', url: '/export?db=d&end=2023-02-29T00:00:00Z' }), 400, {
      error: expect.stringMatching(/^invalid end parameter/),
    });
  });

  it('streams a large export completely', async () => {
    const { app } = await setup();
    const lines = Array.from({ length: 20_000 }, (_, i) => `big,host=h${i % 7} v=${i}i ${1_700_000_000_000_000_000n + BigInt(i)}`);
    const res = await app.inject({ method: 'POST', url: '/write?db=d', payload: lines.join('\n') });
    expect(res.statusCode).toBe(204);
    const out = await app.inject({ method: 'GET', url: '/export?db=d' });
    expect(out.body.length).toBeGreaterThan(64 * 1024 * 2);
    expect(out.body.split('\n').filter(Boolean).sort()).toEqual(lines.slice().sort());
  });
});
