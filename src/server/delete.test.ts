import { afterEach, describe, expect, it } from 'vitest';
import { parseDeletePredicate } from './delete.js';
import { cleanup, expectJsonError, exportText, setup } from './testing/harness.js';

afterEach(cleanup);

const DATA = [
  'cpu,host=a v=1 1700000000000000000',
  'cpu,host=a v=2 1700000060000000000',
  'cpu,host=b v=3 1700000000000000000',
  'mem,host=a v=4 1700000000000000000',
].join('\n');

describe('POST /api/v2/delete', () => {
  it('deletes the points of the predicate in [start, stop] and answers 204', async () => {
    const { app, db } = await setup();
    expect((await app.inject({ method: 'POST', url: '/write?db=d', payload: DATA })).statusCode).toBe(204);
    await db.flush();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v2/delete?org=any&bucket=d',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ start: '2023-11-14T22:13:20Z', stop: '2023-11-14T22:13:20Z', predicate: '_measurement="cpu" AND host="a"' }),
    });
    expect(res.statusCode, res.body).toBe(204);
    expect(await exportText(app, 'd')).toBe('cpu,host=a v=2 1700000060000000000\ncpu,host=b v=3 1700000000000000000\nmem,host=a v=4 1700000000000000000\n');
    // no predicate: everything in the range, whatever the Content-Type says
    const all = await app.inject({
      method: 'POST',
      url: '/api/v2/delete?bucket=d/autogen',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: JSON.stringify({ start: '1970-01-01T00:00:00Z', stop: '2030-01-01T00:00:00Z' }),
    });
    expect(all.statusCode, all.body).toBe(204);
    expect(await exportText(app, 'd')).toBe('');
  });

  it('answers 400 naming the problem of a bad predicate, body or bucket, and 404 for an unknown bucket', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: DATA });
    const before = await exportText(app, 'd');
    const range = { start: '2000-01-01T00:00:00Z', stop: '2030-01-01T00:00:00Z' };
    const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body) });

    const bad = await post('/api/v2/delete?bucket=d', { ...range, predicate: 'host="a" OR host="b"' });
    expectJsonError(bad, 400, { code: 'invalid', message: expect.stringMatching(/^invalid delete predicate at character 10: OR is not supported/) });
    expect(bad.headers['x-strata-error-code']).toBe('STRATA_ERR_BAD_PREDICATE');
    expectJsonError(await post('/api/v2/delete?bucket=d', { ...range, predicate: 'host="a' }), 400, {
      code: 'invalid',
      message: expect.stringMatching(/at character 6: unterminated double-quoted string/),
    });
    expectJsonError(await post('/api/v2/delete?bucket=d', { ...range, predicate: '_field="v"' }), 400, {
      code: 'invalid',
      message: expect.stringMatching(/deleting by _field is not supported/),
    });
    expectJsonError(await post('/api/v2/delete', { ...range, predicate: '' }), 400, { code: 'invalid', message: 'bucket is required' });
    expectJsonError(await post('/api/v2/delete?bucket=d', { stop: range.stop }), 400, { code: 'invalid', message: expect.stringMatching(/^"start" is required/) });
    expectJsonError(await post('/api/v2/delete?bucket=d', { start: 'yesterday', stop: range.stop }), 400, { code: 'invalid', message: expect.stringMatching(/^invalid "start" "yesterday"/) });
    expectJsonError(await post('/api/v2/delete?bucket=d', { start: range.stop, stop: range.start }), 400, { code: 'invalid', message: expect.stringMatching(/is after "stop"/) });
    expectJsonError(await post('/api/v2/delete?bucket=d', 'not json'), 400, { code: 'invalid', message: expect.stringMatching(/^the body is not JSON/) });
    expectJsonError(await post('/api/v2/delete?bucket=nope', range), 404, { code: 'not found', message: 'bucket "nope" not found' });
    expectJsonError(await post('/api/v2/delete?bucket=d/nope', range), 404, { code: 'not found', message: expect.stringMatching(/retention policy not found: "nope"/) });
    expect(await exportText(app, 'd')).toBe(before);
  });
});

describe('delete predicates', () => {
  it('parses terms joined by AND, quoted keys and values, and grouping', () => {
    expect(parseDeletePredicate('')).toEqual({ where: [], none: false });
    expect(parseDeletePredicate('_measurement="cpu" and host != "a b" AND "my key"=\'x\\\'y\' AND (region=eu)')).toEqual({
      measurement: 'cpu',
      where: [
        { key: 'host', op: '!=', value: 'a b' },
        { key: 'my key', op: '=', value: "x'y" },
        { key: 'region', op: '=', value: 'eu' },
      ],
      none: false,
    });
    expect(parseDeletePredicate('_measurement="a" AND _measurement="b"').none).toBe(true);
  });

  it('refuses what InfluxDB refuses, naming the place', () => {
    for (const [p, msg] of [
      ['host=~/a/', /character 5: regular expressions are not supported/],
      ['host="a" host="b"', /character 10: expected AND between terms/],
      ['host', /has no operator/],
      ['host=', /has no value/],
      ['(host="a"', /unbalanced \(/],
      ['host="a")', /unbalanced \)/],
      ['_measurement!="cpu"', /_measurement supports only =/],
      ['_value="1"', /deleting by _value is not supported/],
      ['AND host="a"', /found the keyword AND/],
    ] as const) {
      expect(() => parseDeletePredicate(p), p).toThrow(msg);
    }
  });
});
