import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { influxVersion, packageVersion } from './app.js';
import { cleanup, expectJsonError, setup } from './testing/harness.js';

afterEach(cleanup);

describe('/ping and /health', () => {
  it('answers GET and HEAD /ping with 204 and the version headers, ?verbose=true with JSON', async () => {
    const { app } = await setup();
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await app.inject({ method, url: '/ping' });
      expect(res.statusCode).toBe(204);
      expect(res.headers['x-influxdb-version']).toBe('1.8.10+strata.0.1.0-test');
      expect(res.headers['x-influxdb-build']).toBe('OSS');
    }
    const res = await app.inject({ method: 'GET', url: '/ping?verbose=true' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ version: '1.8.10+strata.0.1.0-test' });
  });

  it('answers /health in InfluxDB 2.x shape', async () => {
    const { app } = await setup({ server: { commit: 'abc123' } });
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({
      name: 'strata',
      message: 'ready for queries and writes',
      status: 'pass',
      checks: [],
      version: '1.8.10+strata.0.1.0-test',
      commit: 'abc123',
    });
  });

  it('reports the package version by default', () => {
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(influxVersion('1.2.3-rc.1')).toBe('1.8.10+strata.1.2.3-rc.1');
  });
});

describe('errors', () => {
  it('answers unknown routes with 404 JSON in the shape of the API the path belongs to', async () => {
    const { app } = await setup();
    expectJsonError(await app.inject({ method: 'GET', url: '/nope?x=1' }), 404, { error: 'not found: GET /nope' });
    expectJsonError(await app.inject({ method: 'DELETE', url: '/write' }), 404, { error: 'not found: DELETE /write' });
    expectJsonError(await app.inject({ method: 'POST', url: '/api/v2/nope' }), 404, { code: 'not found', message: 'not found: POST /api/v2/nope' });
  });

  it('answers an unexpected error with 500 JSON and logs it', async () => {
    const logs: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const { app } = await setup({ server: { logger: { level: 'error', stream } } });
    app.get('/boom', async () => {
      throw new Error('kaboom');
    });
    app.get('/api/v2/boom', async () => {
      throw new TypeError('v2 kaboom');
    });
    expectJsonError(await app.inject({ method: 'GET', url: '/boom' }), 500, { error: 'internal error: kaboom' });
    expectJsonError(await app.inject({ method: 'GET', url: '/api/v2/boom' }), 500, { code: 'internal error', message: 'internal error: v2 kaboom' });
    expect(logs.join('')).toMatch(/kaboom/);
    expect(logs.map((l) => JSON.parse(l).msg)).toContain('request failed');
  });

  it('answers a write to a closed database with 503', async () => {
    const { app, db } = await setup();
    await db.close();
    expectJsonError(await app.inject({ method: 'POST', url: '/write?db=d', payload: 'm v=1 1\n' }), 503, { error: 'database is closed' });
    expectJsonError(await app.inject({ method: 'POST', url: '/api/v2/write?bucket=d', payload: 'm v=1 1\n' }), 503, {
      code: 'unavailable',
      message: 'database is closed',
    });
  });
});
