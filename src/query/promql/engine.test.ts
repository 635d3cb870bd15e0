import { describe, expect, it } from 'vitest';
import { instantQuery, rangeQuery } from './engine.js';
import { MemorySource } from './memorySource.js';
import { PromQLError, STALE_NAN, STALE_NAN_HI, STALE_NAN_LO, type QueryOutput } from './types.js';
import { formatFloatF, labelsHash, xxhash64 } from './labels.js';

const M = 60_000;

function source(): MemorySource {
  const src = new MemorySource();
  // http_requests_total{job="api", instance="a|b"}: 0, 10, 20, ... every minute for 1h.
  for (const inst of ['a', 'b']) {
    const times: number[] = [];
    const values: number[] = [];
    for (let i = 0; i <= 60; i++) {
      times.push(i * M);
      values.push(i * (inst === 'a' ? 10 : 20));
    }
    src.add({ __name__: 'http_requests_total', job: 'api', instance: inst }, times, values);
  }
  return src;
}

function vector(out: QueryOutput): Record<string, number> {
  if (out.result.resultType !== 'vector') throw new Error(`not a vector: ${out.result.resultType}`);
  const r: Record<string, number> = {};
  for (const s of out.result.samples) {
    const k = Object.entries(s.labels)
      .sort()
      .map(([n, v]) => `${n}=${v}`)
      .join(',');
    r[k] = s.v;
  }
  return r;
}

function errorOf(f: () => unknown): PromQLError {
  try {
    f();
  } catch (err) {
    if (err instanceof PromQLError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('instantQuery', () => {
  it('selects the newest sample in the left-open lookback window', () => {
    const src = new MemorySource();
    src.add({ __name__: 'x' }, [0, 5 * M], [1, 2]);
    expect(vector(instantQuery(src, 'x', 5 * M))).toEqual({ '__name__=x': 2 });
    // At 10m the sample at 5m is exactly on the left edge: excluded.
    const out = instantQuery(src, 'x', 10 * M);
    expect(out.result).toEqual({ resultType: 'vector', samples: [] });
    expect(vector(instantQuery(src, 'x', 10 * M - 1))['__name__=x']).toBe(2);
  });

  it('ends a series at a stale marker', () => {
    const src = new MemorySource();
    const v = new Float64Array([1, 0]);
    const w = new Uint32Array(v.buffer);
    w[2] = STALE_NAN_LO;
    w[3] = STALE_NAN_HI;
    src.add({ __name__: 'x' }, [0, M], v);
    expect(vector(instantQuery(src, 'x', 30_000))).toEqual({ '__name__=x': 1 });
    expect(vector(instantQuery(src, 'x', 2 * M))).toEqual({});
    expect(Number.isNaN(STALE_NAN)).toBe(true);
  });

  it('computes rate and drops the metric name', () => {
    const out = instantQuery(source(), 'rate(http_requests_total[5m])', 30 * M);
    expect(vector(out)).toEqual({ 'instance=a,job=api': 10 / 60, 'instance=b,job=api': 20 / 60 });
  });

  it('aggregates and matches vectors', () => {
    const src = source();
    expect(vector(instantQuery(src, 'sum by (job) (http_requests_total)', 10 * M))).toEqual({ 'job=api': 300 });
    expect(
      vector(instantQuery(src, 'http_requests_total / on(job) group_left sum by (job) (http_requests_total)', 10 * M)),
    ).toEqual({ 'instance=a,job=api': 1 / 3, 'instance=b,job=api': 2 / 3 });
    expect(vector(instantQuery(src, 'http_requests_total > bool 150', 10 * M))).toEqual({
      'instance=a,job=api': 0,
      'instance=b,job=api': 1,
    });
  });

  it('returns scalars, strings and range vectors', () => {
    const src = source();
    expect(instantQuery(src, '1 + 2 * 3', 0).result).toEqual({ resultType: 'scalar', t: 0, v: 7 });
    expect(instantQuery(src, 'time()', 90_000).result).toEqual({ resultType: 'scalar', t: 90_000, v: 90 });
    expect(instantQuery(src, '"hi"', 5).result).toEqual({ resultType: 'string', t: 5, v: 'hi' });
    const r = instantQuery(src, 'http_requests_total{instance="a"}[2m]', 10 * M).result;
    expect(r.resultType).toBe('matrix');
    if (r.resultType === 'matrix') {
      expect(r.series).toHaveLength(1);
      expect(r.series[0].times).toEqual([9 * M, 10 * M]);
      expect(r.series[0].values).toEqual([90, 100]);
    }
  });

  it('follows Go semantics for % and ^', () => {
    const src = new MemorySource();
    expect(instantQuery(src, '-7 % 3', 0).result).toMatchObject({ v: -1 });
    expect(instantQuery(src, '1 ^ NaN', 0).result).toMatchObject({ v: 1 });
    expect(Number.isNaN((instantQuery(src, '5 % 0', 0).result as { v: number }).v)).toBe(true);
    expect(instantQuery(src, '1 / 0', 0).result).toMatchObject({ v: Infinity });
  });
});

describe('rangeQuery', () => {
  it('aligns steps to start + k*step and sorts series by labels', () => {
    const out = rangeQuery(source(), 'http_requests_total', 0, 4 * M, 2 * M);
    expect(out.result.resultType).toBe('matrix');
    if (out.result.resultType !== 'matrix') return;
    expect(out.result.series.map((s) => s.labels.instance)).toEqual(['a', 'b']);
    expect(out.result.series[0].times).toEqual([0, 2 * M, 4 * M]);
    expect(out.result.series[0].values).toEqual([0, 20, 40]);
  });

  it('returns scalars as a label-less series', () => {
    const out = rangeQuery(source(), 'time()', 0, 2 * M, M);
    expect(out.result).toEqual({
      resultType: 'matrix',
      series: [{ labels: {}, times: [0, M, 2 * M], values: [0, 60, 120] }],
    });
  });

  it('aligns subquery steps to absolute multiples of the step', () => {
    const src = new MemorySource();
    const times: number[] = [];
    const values: number[] = [];
    for (let i = 0; i <= 100; i++) {
      times.push(i * 10_000);
      values.push(i);
    }
    src.add({ __name__: 'c' }, times, values);
    // At 95s, [30s:20s] covers (65s, 95s]: the only multiple of 20s in it is 80s.
    expect(vector(instantQuery(src, 'count_over_time(c[30s:20s])', 95_000))).toEqual({ '': 1 });
    // At 100s, (70s, 100s] holds 80s and 100s.
    expect(vector(instantQuery(src, 'sum_over_time(c[30s:20s])', 100_000))).toEqual({ '': 8 + 10 });
  });

  it('rejects range vectors and bad steps', () => {
    expect(errorOf(() => rangeQuery(source(), 'x[5m]', 0, M, M)).errorType).toBe('bad_data');
    expect(errorOf(() => rangeQuery(source(), 'x', 0, M, 0)).errorType).toBe('bad_data');
  });
});

describe('errors', () => {
  it('reports parse errors as bad_data', () => {
    const e = errorOf(() => instantQuery(source(), 'sum(', 0));
    expect(e.errorType).toBe('bad_data');
  });

  it('detects duplicate label sets after name removal', () => {
    const src = new MemorySource();
    src.add({ __name__: 'a', job: 'x' }, [0], [1]);
    src.add({ __name__: 'b', job: 'x' }, [0], [2]);
    const e = errorOf(() => instantQuery(src, '{job="x"} * 2', 0));
    expect(e.errorType).toBe('execution');
    expect(e.message).toBe('vector cannot contain metrics with the same labelset');
  });

  it('rejects many-to-many matching', () => {
    const src = new MemorySource();
    src.add({ __name__: 'a', job: 'x', i: '1' }, [0], [1]);
    src.add({ __name__: 'b', job: 'x', i: '1' }, [0], [1]);
    src.add({ __name__: 'b', job: 'x', i: '2' }, [0], [2]);
    const e = errorOf(() => instantQuery(src, 'a + on(job) b', 0));
    expect(e.errorType).toBe('execution');
    expect(e.message).toMatch(/^found duplicate series for the match group \{job="x"\} on the right hand-side/);
    expect(e.message).toMatch(/many-to-many matching not allowed: matching labels must be unique on one side$/);
  });

  it('enforces the sample limit', () => {
    const e = errorOf(() => rangeQuery(source(), 'http_requests_total', 0, 60 * M, M, { maxSamples: 50 }));
    expect(e.errorType).toBe('execution');
    expect(e.message).toBe('query processing would load too many samples into memory in query execution');
    // The same query fits with a higher limit.
    expect(() => rangeQuery(source(), 'http_requests_total', 0, 60 * M, M, { maxSamples: 200 })).not.toThrow();
  });

  it('enforces the series limit over all selectors of a query', () => {
    const n = (rangeQuery(source(), 'http_requests_total', 0, 60 * M, M).result as { series: unknown[] }).series.length;
    expect(n).toBeGreaterThan(1);
    // Two selectors of n series each: fits 2n, not 2n - 1.
    const q = 'http_requests_total + on() group_left() vector(0) or http_requests_total';
    expect(() => rangeQuery(source(), q, 0, 60 * M, M, { maxSeries: 2 * n })).not.toThrow();
    const e = errorOf(() => rangeQuery(source(), q, 0, 60 * M, M, { maxSeries: 2 * n - 1 }));
    expect(e.errorType).toBe('execution');
    expect(e.message).toBe(
      `query processing would load too many series into memory in query execution: ${2 * n} series, the limit is ${2 * n - 1} (--query-max-series); narrow the selectors`,
    );
  });

  it('times out', () => {
    let t = 0;
    const now = (): number => (t += 1000);
    const e = errorOf(() =>
      rangeQuery(source(), 'sum(rate(http_requests_total[5m]))', 0, 60 * M, 1000, { timeoutMs: 10_000, now }),
    );
    expect(e.errorType).toBe('timeout');
    expect(e.message).toBe('query timed out in expression evaluation');
  });
});

describe('details shared with Prometheus', () => {
  it('hashes like xxhash64 (limit_ratio picks the series Prometheus picks)', () => {
    const e = new TextEncoder();
    expect(xxhash64(e.encode('')).toString(16)).toBe('ef46db3751d8e999');
    expect(xxhash64(e.encode('abc')).toString(16)).toBe('44bc2cf5ad770999');
    expect(xxhash64(e.encode('Nobody inspects the spammish repetition')).toString(16)).toBe('fbcea83c8a378bf1');
    // labels.Hash() hashes name 0xff value 0xff ... in name order.
    const bytes = Uint8Array.from([...e.encode('a'), 0xff, ...e.encode('1'), 0xff, ...e.encode('b'), 0xff, ...e.encode('2'), 0xff]);
    expect(labelsHash({ b: '2', a: '1' })).toBe(xxhash64(bytes));
  });

  it('formats count_values values like strconv.FormatFloat(f, \'f\', -1, 64)', () => {
    expect(formatFloatF(1e21)).toBe('1000000000000000000000');
    expect(formatFloatF(1.5e-7)).toBe('0.00000015');
    expect(formatFloatF(-0.25)).toBe('-0.25');
    expect(formatFloatF(Infinity)).toBe('+Inf');
    expect(formatFloatF(NaN)).toBe('NaN');
  });

  it('orders topk/bottomk results in instant queries', () => {
    const src = new MemorySource();
    for (const [i, v] of [3, 1, 4, 1, 5, 9, 2, 6].entries()) src.add({ __name__: 'm', i: String(i) }, [0], [v]);
    const top = instantQuery(src, 'topk(3, m)', 0).result;
    const bottom = instantQuery(src, 'bottomk(2, m)', 0).result;
    if (top.resultType !== 'vector' || bottom.resultType !== 'vector') throw new Error('not vectors');
    expect(top.samples.map((s) => s.v)).toEqual([9, 6, 5]);
    expect(bottom.samples.map((s) => s.v)).toEqual([1, 1]);
  });

  it('keeps timestamp() at the @ time, ignoring offset like Prometheus', () => {
    const src = new MemorySource();
    src.add({ __name__: 'm' }, [0, 10_000, 20_000], [1, 2, 3]);
    expect(vector(instantQuery(src, 'timestamp(m @ 10)', 600_000))).toEqual({ '': 10 });
    expect(vector(instantQuery(src, 'timestamp(m offset 10s)', 20_000))).toEqual({ '': 10 });
  });

  it('evaluates @ start() and @ end() against the query range', () => {
    const src = new MemorySource();
    src.add({ __name__: 'm' }, [0, M, 2 * M, 3 * M], [0, 1, 2, 3]);
    const out = rangeQuery(src, 'm @ start() + m @ end()', M, 3 * M, M).result;
    expect(out).toEqual({
      resultType: 'matrix',
      series: [{ labels: {}, times: [M, 2 * M, 3 * M], values: [4, 4, 4] }],
    });
  });
});

describe('MemorySource', () => {
  it('keeps stale markers bit-exact and lets later writes win', () => {
    const src = new MemorySource();
    const v = new Float64Array([1, 0, 3]);
    const w = new Uint32Array(v.buffer);
    w[2] = STALE_NAN_LO;
    w[3] = STALE_NAN_HI;
    src.add({ __name__: 'x' }, [0, 1000, 2000], v);
    src.add({ __name__: 'x' }, [2000], [4]);
    const [s] = src.select([{ name: '__name__', op: '=', value: 'x' }], 0, 5000);
    expect(Array.from(s.times)).toEqual([0, 1000, 2000]);
    const words = new Uint32Array(s.values.buffer, s.values.byteOffset, s.values.length * 2);
    expect([words[2], words[3]]).toEqual([STALE_NAN_LO, STALE_NAN_HI]);
    expect(s.values[2]).toBe(4);
    expect(src.select([{ name: 'job', op: '=~', value: 'a|' }], 0, 5000)).toHaveLength(1);
    expect(src.select([{ name: '__name__', op: '!~', value: 'x' }], 0, 5000)).toHaveLength(0);
  });
});
