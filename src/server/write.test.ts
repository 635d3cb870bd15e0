import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectJsonError, exportText, setup, sortedLines } from './testing/harness.js';
import { partialWriteMessage } from './write.js';

afterEach(cleanup);

const GOOD = 'cpu,host=a usage=1.5,n=3i,u=7u,ok=true,s="x" 1700000000000000001\ncpu,host=b usage=2.5 1700000000000000002\n';

describe('POST /write (v1)', () => {
  it('stores the body and answers 204 with the fsync mode and version headers', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/write?db=mydb&u=user&p=pass', payload: GOOD });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['x-strata-fsync']).toBe('off');
    expect(res.headers['x-influxdb-version']).toBe('1.8.10+strata.0.1.0-test');
    expect(res.headers['x-influxdb-build']).toBe('OSS');
    expect(sortedLines(await exportText(app, 'mydb'))).toEqual([
      'cpu,host=a n=3i,ok=true,s="x",u=7u,usage=1.5 1700000000000000001',
      'cpu,host=b usage=2.5 1700000000000000002',
    ]);
  });

  it('passes ?fsync= to the engine and echoes the mode used; refuses an unknown mode', async () => {
    const { app, metrics } = await setup();
    const res = await app.inject({ method: 'POST', url: '/write?db=d&fsync=always', payload: GOOD });
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-strata-fsync']).toBe('always');
    expect(await metrics.registry.getSingleMetricAsString('strata_wal_fsync_seconds')).toMatch(/strata_wal_fsync_seconds_count [1-9]/);
    const before = await exportText(app, 'd');
    const bad = await app.inject({ method: 'POST', url: '/write?db=d&fsync=sometimes', payload: 'cpu v=9 1\n' });
    expectJsonError(bad, 400, { error: 'invalid fsync parameter "sometimes": use always, interval or off' });
    expect(await exportText(app, 'd')).toBe(before);
  });

  it('applies the precision and refuses a bad one by name', async () => {
    const { app } = await setup();
    expect((await app.inject({ method: 'POST', url: '/write?db=d&precision=s', payload: 'm v=1 1700000000\n' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'POST', url: '/write?db=d&precision=u', payload: 'm w=2 1700000000000001\n' })).statusCode).toBe(204);
    expect(await exportText(app, 'd')).toBe('m v=1 1700000000000000000\nm w=2 1700000000000001000\n');
    const res = await app.inject({ method: 'POST', url: '/write?db=d&precision=days', payload: 'm v=3 1\n' });
    expectJsonError(res, 400, { error: expect.stringMatching(/^invalid precision "days"/) });
    expect(await exportText(app, 'd')).toBe('m v=1 1700000000000000000\nm w=2 1700000000000001000\n');
  });

  it('requires a database, and an existing one when auto-create is off', async () => {
    const { app, db } = await setup({ engine: { autoCreateDatabases: false } });
    expectJsonError(await app.inject({ method: 'POST', url: '/write', payload: GOOD }), 400, { error: 'database is required' });
    expectJsonError(await app.inject({ method: 'POST', url: '/write?db=', payload: GOOD }), 400, { error: 'database is required' });
    const res = await app.inject({ method: 'POST', url: '/write?db=x', payload: GOOD });
    expectJsonError(res, 404, { error: 'database not found: "x"' });
    expect(res.headers['x-strata-error-code']).toBe('STRATA_ERR_DATABASE_NOT_FOUND');
    expect(db.hasDatabase('x')).toBe(false);
    await db.createDatabase('x');
    expect((await app.inject({ method: 'POST', url: '/write?db=x', payload: GOOD })).statusCode).toBe(204);
  });

  it('answers a partial write with 400, names the bad lines and stores the good ones', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'cpu v=1 1\n' });
    const body = 'cpu v=2 2\ncpu value=\ncpu v=3 3\ncpu v="str" 4\n';
    const res = await app.inject({ method: 'POST', url: '/write?db=d', payload: body });
    expectJsonError(res, 400, { error: expect.stringMatching(/^partial write: line 2: .+; line 4: field type conflict: .+ dropped=2$/) });
    expect(JSON.parse(res.body).error).toContain("'cpu value='");
    expect(res.headers['x-strata-fsync']).toBe('off');
    expect(res.headers['x-strata-error-code']).toBe('STRATA_ERR_PARTIAL_WRITE');
    expect(await exportText(app, 'd')).toBe('cpu v=1 1\ncpu v=2 2\ncpu v=3 3\n');
    // v1 has no 422: a write whose only fault is a type conflict is a 400 too.
    const conflict = await app.inject({ method: 'POST', url: '/write?db=d', payload: 'cpu v=true 9\n' });
    expectJsonError(conflict, 400, {
      error: 'partial write: line 1: field type conflict: input field "v" on measurement "cpu" is type boolean, already exists as type float dropped=1',
    });
    expect(await exportText(app, 'd')).toBe('cpu v=1 1\ncpu v=2 2\ncpu v=3 3\n');
  });

  it('answers a body with only bad lines the same way, with every line dropped and nothing stored', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'cpu v=1 1\n' });
    const before = await exportText(app, 'd');
    const bad = Array.from({ length: 15 }, (_, i) => `bad line ${i}`).join('\n');
    const res = await app.inject({ method: 'POST', url: '/write?db=d', payload: bad });
    expectJsonError(res, 400, { error: expect.stringMatching(/^partial write: line 1: .+; line 2: .+; line 3: .+ \(and 12 more\) dropped=15$/) });
    expect(await exportText(app, 'd')).toBe(before);
  });

  it('takes any Content-Type (even a malformed one) and no Content-Type as raw line protocol', async () => {
    const { app } = await setup();
    for (const [i, type] of ['application/json', 'application/x-www-form-urlencoded', 'not a type;;', undefined].entries()) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const res = await app.inject({ method: 'POST', url: '/write?db=d', headers, payload: `m v=${i} ${i + 1}\n` });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(204);
    }
    const json = await app.inject({ method: 'POST', url: '/write?db=d', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(json.statusCode).toBe(400); // parsed as line protocol, not as JSON
    expect(await exportText(app, 'd')).toBe('m v=0 1\nm v=1 2\nm v=2 3\nm v=3 4\n');
  });

  it('answers 204 to an empty body', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/write?db=d' });
    expect(res.statusCode).toBe(204);
  });
});

describe('POST /api/v2/write', () => {
  it('maps bucket "db/rp" and "db" to a database and retention policy; ignores org and token', async () => {
    const { app } = await setup();
    const headers = { authorization: 'Token secret' };
    let res = await app.inject({ method: 'POST', url: '/api/v2/write?org=o&bucket=mydb/autogen&precision=ns', headers, payload: GOOD });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.headers['x-strata-fsync']).toBe('off');
    res = await app.inject({ method: 'POST', url: '/api/v2/write?orgID=123&bucket=mydb&precision=ms', payload: 'm v=1 1700000000000\n' });
    expect(res.statusCode, res.body).toBe(204);
    expect(sortedLines(await exportText(app, 'mydb', '&rp=autogen'))).toEqual([
      'cpu,host=a n=3i,ok=true,s="x",u=7u,usage=1.5 1700000000000000001',
      'cpu,host=b usage=2.5 1700000000000000002',
      'm v=1 1700000000000000000',
    ]);
    res = await app.inject({ method: 'POST', url: '/api/v2/write?bucket=mydb/nope', payload: GOOD });
    expectJsonError(res, 404, { code: 'not found', message: 'retention policy not found: "nope" in database "mydb"' });
  });

  it('requires a bucket, an existing one when auto-create is off, and a valid precision', async () => {
    const { app } = await setup({ engine: { autoCreateDatabases: false } });
    expectJsonError(await app.inject({ method: 'POST', url: '/api/v2/write?org=o', payload: GOOD }), 400, {
      code: 'invalid',
      message: 'bucket is required',
    });
    expectJsonError(await app.inject({ method: 'POST', url: '/api/v2/write?bucket=x', payload: GOOD }), 404, {
      code: 'not found',
      message: 'bucket "x" not found',
    });
    expectJsonError(await app.inject({ method: 'POST', url: '/api/v2/write?bucket=x&precision=xs', payload: GOOD }), 400, {
      code: 'invalid',
      message: expect.stringMatching(/^invalid precision "xs"/),
    });
    expectJsonError(await app.inject({ method: 'POST', url: '/api/v2/write?bucket=x&fsync=1', payload: GOOD }), 400, {
      code: 'invalid',
      message: expect.stringContaining('fsync parameter'),
    });
  });

  it('answers 400 invalid when a line is malformed and 422 when only types conflict', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/api/v2/write?bucket=b', payload: 'cpu v=1 1\n' });
    let res = await app.inject({ method: 'POST', url: '/api/v2/write?bucket=b', payload: 'cpu v="s" 2\ncpu v=\ncpu v=3 3\n' });
    expectJsonError(res, 400, { code: 'invalid', message: expect.stringMatching(/^partial write: line 1: field type conflict: .+; line 2: .+ dropped=2$/) });
    res = await app.inject({ method: 'POST', url: '/api/v2/write?bucket=b', payload: 'cpu v=4 4\ncpu v=true 5\n' });
    expectJsonError(res, 422, {
      code: 'unprocessable entity',
      message: expect.stringMatching(/^partial write: line 2: field type conflict: .*"v".* dropped=1$/),
    });
    expect(res.headers['x-strata-fsync']).toBe('off');
    expect(await exportText(app, 'b')).toBe('cpu v=1 1\ncpu v=3 3\ncpu v=4 4\n');
  });
});

describe('request bodies', () => {
  const LIMIT = 1024;

  it('decompresses gzip, with the limit on the decompressed size', async () => {
    const { app } = await setup({ server: { bodyLimit: LIMIT } });
    const line = 'm v=1 1\n';
    const exact = line + '\n'.repeat(LIMIT - line.length);
    let res = await app.inject({ method: 'POST', url: '/write?db=d', headers: { 'content-encoding': 'gzip' }, payload: gzipSync(exact) });
    expect(res.statusCode, res.body).toBe(204);
    const before = await exportText(app, 'd');
    expect(before).toBe('m v=1 1\n');

    const bomb = gzipSync('m v=2 2\n' + '\n'.repeat(LIMIT));
    expect(bomb.length).toBeLessThan(LIMIT);
    res = await app.inject({ method: 'POST', url: '/write?db=d', headers: { 'content-encoding': 'gzip' }, payload: bomb });
    expectJsonError(res, 413, { error: expect.stringContaining('the decompressed body is over the limit of 1024 bytes') });
    res = await app.inject({ method: 'POST', url: '/api/v2/write?bucket=d', headers: { 'content-encoding': 'gzip' }, payload: bomb });
    expectJsonError(res, 413, { code: 'request too large', message: expect.stringContaining('decompressed') });
    expect(await exportText(app, 'd')).toBe(before);
  });

  it('refuses an over-limit raw body, invalid gzip and unknown encodings', async () => {
    const { app } = await setup({ server: { bodyLimit: LIMIT } });
    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'm v=1 1\n' });
    const before = await exportText(app, 'd');
    const big = 'm v=2 2\n' + '\n'.repeat(LIMIT);
    expectJsonError(await app.inject({ method: 'POST', url: '/write?db=d', payload: big }), 413, {
      error: expect.stringContaining('the body as sent is over the limit'),
    });
    expectJsonError(
      await app.inject({ method: 'POST', url: '/write?db=d', headers: { 'content-encoding': 'gzip' }, payload: 'm v=3 3\n' }),
      400,
      { error: expect.stringMatching(/^invalid gzip body: /) },
    );
    const truncated = gzipSync('m v=4 4\n').subarray(0, 12);
    expectJsonError(
      await app.inject({ method: 'POST', url: '/api/v2/write?bucket=d', headers: { 'content-encoding': 'gzip' }, payload: truncated }),
      400,
      { code: 'invalid', message: expect.stringMatching(/^invalid gzip body: /) },
    );
    expectJsonError(
      await app.inject({ method: 'POST', url: '/write?db=d', headers: { 'content-encoding': 'br' }, payload: 'm v=5 5\n' }),
      415,
      { error: 'unsupported Content-Encoding "br": send the body uncompressed or with Content-Encoding: gzip' },
    );
    expect(await exportText(app, 'd')).toBe(before);
  });
});

describe('partialWriteMessage', () => {
  it('names up to three lines and ends with dropped=N', () => {
    const e = (line: number) => ({ line, kind: 'syntax' as const, message: `bad ${line}` });
    expect(partialWriteMessage([e(3)])).toBe('partial write: line 3: bad 3 dropped=1');
    expect(partialWriteMessage([e(1), e(2), e(3), e(4)])).toBe('partial write: line 1: bad 1; line 2: bad 2; line 3: bad 3 (and 1 more) dropped=4');
    const long = partialWriteMessage([{ line: 1, kind: 'syntax', message: 'x'.repeat(10_000) }]);
    expect(long.length).toBeLessThan(400);
    expect(long).toMatch(/\.\.\. dropped=1$/);
  });
});
