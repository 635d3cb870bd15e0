import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { cleanup, setup } from './testing/harness.js';

afterEach(cleanup);

/** The value of a sample line `name{labels} value` in a text exposition. */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const head = line.slice(0, sp);
    if (head === name || (labels && head.startsWith(`${name}{`) && labels.split(',').every((l) => head.includes(l)))) {
      return Number(line.slice(sp + 1));
    }
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('exposes engine figures read from db.stats() at scrape time', async () => {
    const { app, db } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'a,t=1 x=1,y=2i 1\na,t=2 x=3 2\nbad\n' });
    await app.inject({ method: 'POST', url: '/write?db=d&fsync=always', payload: 'b v=1 1\n' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    const s = db.stats();
    expect(sample(text, 'strata_points_written_total')).toBe(3);
    expect(sample(text, 'strata_values_written_total')).toBe(4);
    expect(sample(text, 'strata_bad_lines_total')).toBe(1);
    expect(sample(text, 'strata_wal_bytes')).toBe(s.walBytes);
    expect(s.walBytes).toBeGreaterThan(0);
    expect(sample(text, 'strata_memtable_bytes')).toBe(s.memtableBytes);
    expect(sample(text, 'strata_memtable_series')).toBe(3);
    expect(sample(text, 'strata_wal_fsync_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE strata_wal_fsync_seconds histogram');
    // default process metrics, on this registry
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');

    // Counting is the engine's: a second scrape does not double anything.
    const again = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(again, 'strata_points_written_total')).toBe(3);
  });

  it('exposes flushes, TSM files and bytes, block cache hits and misses, and series per database', async () => {
    const { app, db } = await setup();
    let text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(text, 'strata_flushes_total')).toBe(0);
    expect(sample(text, 'strata_tsm_files')).toBe(0);
    expect(sample(text, 'strata_tsm_bytes')).toBe(0);
    expect(sample(text, 'strata_block_cache_hits_total')).toBe(0);
    expect(sample(text, 'strata_block_cache_misses_total')).toBe(0);
    expect(text).toContain('# TYPE strata_series gauge');

    await app.inject({ method: 'POST', url: '/write?db=d', payload: 'a,t=1 x=1 1\na,t=2 x=3 2\nb,t=1 y=1i 3\n' });
    await app.inject({ method: 'POST', url: '/write?db=other', payload: 'c v=1 1\n' });
    expect((await app.inject({ method: 'POST', url: '/admin/flush' })).statusCode).toBe(200);
    // two reads of the same blocks: misses, then hits
    await app.inject({ method: 'GET', url: '/export?db=d' });
    await app.inject({ method: 'GET', url: '/export?db=d' });
    text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const s = db.stats();
    expect(sample(text, 'strata_flushes_total')).toBe(1);
    expect(s.tsmFiles).toBe(2); // one per database
    expect(sample(text, 'strata_tsm_files')).toBe(s.tsmFiles);
    expect(db.shardStats().length).toBe(2);
    for (const sh of db.shardStats()) {
      const labels = `db="${sh.db}",rp="${sh.rp}",shard="${sh.shard}"`;
      expect(sample(text, 'strata_shard_tsm_files', labels)).toBe(sh.files);
      expect(sample(text, 'strata_shard_tsm_bytes', labels)).toBe(sh.bytes);
    }
    expect(sample(text, 'strata_tsm_bytes')).toBe(s.tsmBytes);
    expect(s.tsmBytes).toBeGreaterThan(0);
    expect(sample(text, 'strata_block_cache_misses_total')).toBe(s.blockCacheMisses);
    expect(sample(text, 'strata_block_cache_hits_total')).toBe(s.blockCacheHits);
    expect(s.blockCacheMisses).toBeGreaterThan(0);
    expect(s.blockCacheHits).toBeGreaterThan(0);
    expect(sample(text, 'strata_series', 'db="d"')).toBe(3);
    expect(sample(text, 'strata_series', 'db="other"')).toBe(1);
    expect(db.seriesCounts()).toEqual({ d: 3, other: 1 });
    expect(text).toContain('# TYPE strata_flushes_total counter');
    expect(text).toContain('# TYPE strata_block_cache_hits_total counter');
    expect(text).toContain('# TYPE strata_tsm_bytes gauge');

    // A new series shows at the next scrape; counters are not doubled by scraping again.
    await app.inject({ method: 'POST', url: '/write?db=other', payload: 'c,k=2 v=1 1\n' });
    text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(text, 'strata_series', 'db="other"')).toBe(2);
    expect(sample(text, 'strata_flushes_total')).toBe(1);
  });

  it('times HTTP requests by method, route pattern and status', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: '/write?db=d&precision=s', payload: 'a x=1 1\n' });
    await app.inject({ method: 'POST', url: '/write?db=other', payload: 'a x=1 1\n' });
    await app.inject({ method: 'POST', url: '/write', payload: 'a x=1 1\n' });
    await app.inject({ method: 'GET', url: '/no/such/path/123' });
    await app.inject({ method: 'GET', url: '/api/v1/label/host/values' });
    await app.inject({ method: 'HEAD', url: '/ping' });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const count = (labels: string) => sample(text, 'strata_http_request_duration_seconds_count', labels);
    expect(count('method="POST",route="/write",status="204"')).toBe(2);
    expect(count('method="POST",route="/write",status="400"')).toBe(1);
    expect(count('method="GET",route="unmatched",status="404"')).toBe(1);
    expect(count('method="GET",route="/api/v1/label/:name/values",status="200"')).toBe(1);
    expect(count('method="HEAD",route="/ping",status="204"')).toBe(1);
    expect(text).not.toContain('/no/such/path');
    expect(text).not.toContain('db=other');
  });

  it('shows every observed request at a scrape, however many are kept back', async () => {
    const m = createMetrics();
    for (let i = 0; i < 600; i++) m.observeRequest('GET', '/q', 200, i % 3 === 0 ? 0.0004 : 0.002);
    m.observeRequest('POST', '/q', 400, 0.02);
    const text = await m.registry.metrics();
    expect(sample(text, 'strata_http_request_duration_seconds_count', 'method="GET",route="/q",status="200"')).toBe(600);
    expect(sample(text, 'strata_http_request_duration_seconds_bucket', 'le="0.0005",method="GET",route="/q",status="200"')).toBe(200);
    expect(sample(text, 'strata_http_request_duration_seconds_sum', 'method="GET",route="/q",status="200"')).toBeCloseTo(200 * 0.0004 + 400 * 0.002, 9);
    expect(sample(text, 'strata_http_request_duration_seconds_count', 'method="POST",route="/q",status="400"')).toBe(1);
    m.observeRequest('GET', '/q', 200, 0.002);
    expect(sample(await m.registry.metrics(), 'strata_http_request_duration_seconds_count', 'method="GET",route="/q",status="200"')).toBe(601);
  });

  it('keeps its own registry: nothing on the global one, and two instances do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.onFsync(0.001);
    expect(await a.registry.getSingleMetricAsString('strata_wal_fsync_seconds')).toContain('strata_wal_fsync_seconds_count 1');
    expect(await b.registry.getSingleMetricAsString('strata_wal_fsync_seconds')).toContain('strata_wal_fsync_seconds_count 0');
    expect(globalRegistry.getSingleMetric('strata_points_written_total')).toBeUndefined();
    // Not attached to a database: engine figures are reported as zero, the scrape works.
    expect(await a.registry.metrics()).toContain('strata_points_written_total 0');
  });
});
