import { describe, expect, it } from 'vitest';
import { engineFixture } from '../../engine/testing/fixture.js';
import type { LabelMatcher } from './ast.js';
import { engineSource, mergeRaw, metricName, nsRange, nsToMs, valuesToFloat } from './storage.js';
import type { RawSeries } from './types.js';

const fx = engineFixture('strata-promql-storage-');

const T0 = 1_700_000_000_000_000_000n; // ns
const MS0 = 1_700_000_000_000;

function m(name: string, op: LabelMatcher['op'], value: string): LabelMatcher {
  return { name, op, value };
}

function plain(series: RawSeries[]) {
  return series.map((s) => ({ labels: s.labels, times: [...s.times], values: [...s.values] }));
}

async function fixtureDb() {
  const db = await fx.openDb({ dataDir: fx.tmpDir() });
  await db.write(
    [
      `cpu,host=a value=1,usage=0.5,load=3i,up=true,note="x" ${T0}`,
      `cpu,host=b usage=0.25 ${T0}`,
      `cpu,host=a value=2,usage=0.75 ${T0 + 10_000_000_000n}`,
      `node_cpu,mode=idle seconds_total=100 ${T0}`,
      `node,x=y cpu_seconds_total=7u ${T0}`,
      `up,job=prometheus,instance=localhost:9090 value=1 ${T0}`,
    ].join('\n'),
    { db: 'telegraf' },
  );
  return db;
}

describe('metric names', () => {
  it('maps field value to the measurement and field f to m_f', () => {
    expect(metricName('up', 'value')).toBe('up');
    expect(metricName('cpu', 'usage')).toBe('cpu_usage');
  });

  it('resolves an equality name matcher to (measurement, field) pairs', async () => {
    const src = engineSource(await fixtureDb());
    const all = [-Infinity, Infinity] as const;
    expect(plain(src.select([m('__name__', '=', 'cpu')], ...all))).toEqual([
      { labels: { __name__: 'cpu', host: 'a' }, times: [MS0, MS0 + 10_000], values: [1, 2] },
    ]);
    expect(plain(src.select([m('__name__', '=', 'cpu_usage')], ...all))).toEqual([
      { labels: { __name__: 'cpu_usage', host: 'a' }, times: [MS0, MS0 + 10_000], values: [0.5, 0.75] },
      { labels: { __name__: 'cpu_usage', host: 'b' }, times: [MS0], values: [0.25] },
    ]);
    // Two measurements give the same name: node_cpu.seconds_total and node.cpu_seconds_total.
    expect(plain(src.select([m('__name__', '=', 'node_cpu_seconds_total')], ...all))).toEqual([
      { labels: { __name__: 'node_cpu_seconds_total', mode: 'idle' }, times: [MS0], values: [100] },
      { labels: { __name__: 'node_cpu_seconds_total', x: 'y' }, times: [MS0], values: [7] },
    ]);
    // `cpu_value` is not a name: field value of cpu is `cpu`.
    expect(src.select([m('__name__', '=', 'cpu_value')], ...all)).toEqual([]);
    expect(src.select([m('__name__', '=', 'nope')], ...all)).toEqual([]);
    // String fields have no PromQL view.
    expect(src.select([m('__name__', '=', 'cpu_note')], ...all)).toEqual([]);
  });

  it('enumerates measurements × numeric fields for regex, negative and absent name matchers', async () => {
    const src = engineSource(await fixtureDb());
    const names = (ms: LabelMatcher[]) => [...new Set(src.select(ms, -Infinity, Infinity).map((s) => s.labels.__name__))].sort();
    expect(names([m('__name__', '=~', 'cpu.*')])).toEqual(['cpu', 'cpu_load', 'cpu_up', 'cpu_usage']);
    expect(names([m('__name__', '=~', 'cpu')])).toEqual(['cpu']); // anchored
    expect(names([m('__name__', '!~', 'cpu.*'), m('__name__', '!=', 'up')])).toEqual(['node_cpu_seconds_total']);
    expect(names([m('host', '=', 'a')])).toEqual(['cpu', 'cpu_load', 'cpu_up', 'cpu_usage']);
    expect(names([m('host', '=', 'b'), m('__name__', '=~', '.+')])).toEqual(['cpu_usage']);
    expect(names([m('__name__', '=~', 'cpu_.*'), m('host', '!=', 'a')])).toEqual(['cpu_usage']);
  });

  it('passes tag matchers to the index (a missing tag is "")', async () => {
    const src = engineSource(await fixtureDb());
    const sel = (ms: LabelMatcher[]) => src.select(ms, -Infinity, Infinity).map((s) => s.labels);
    expect(sel([m('__name__', '=', 'up'), m('job', '=~', 'prom.*')])).toEqual([
      { __name__: 'up', instance: 'localhost:9090', job: 'prometheus' },
    ]);
    expect(sel([m('__name__', '=', 'up'), m('job', '!=', 'prometheus')])).toEqual([]);
    expect(sel([m('__name__', '=', 'cpu_usage'), m('zone', '=', '')]).length).toBe(2);
    expect(sel([m('__name__', '=', 'cpu_usage'), m('host', '=~', 'a|c')])).toEqual([{ __name__: 'cpu_usage', host: 'a' }]);
  });
});

describe('values and times', () => {
  it('converts integer, unsigned and boolean fields to float64', async () => {
    const src = engineSource(await fixtureDb());
    const v = (name: string) => src.select([m('__name__', '=', name)], -Infinity, Infinity).map((s) => [...s.values]);
    expect(v('cpu_load')).toEqual([[3]]);
    expect(v('cpu_up')).toEqual([[1]]);
    expect(v('node_cpu_seconds_total')).toEqual([[100], [7]]);
  });

  it('rounds int64 and uint64 extremes as Number() does', () => {
    const ints = BigInt64Array.from([0n, -1n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, -123456789012345n]);
    expect([...valuesToFloat('integer', ints)]).toEqual([...ints].map(Number));
    const uints = BigUint64Array.from([0n, 2n ** 64n - 1n, 2n ** 63n, 9007199254740993n]);
    expect([...valuesToFloat('unsigned', uints)]).toEqual([...uints].map(Number));
    expect([...valuesToFloat('boolean', Uint8Array.from([0, 1, 1]))]).toEqual([0, 1, 1]);
  });

  it('floors ns to ms exactly, without BigInt, over the whole int64 range', () => {
    const edge = [0n, 1n, -1n, 999_999n, 1_000_000n, -999_999n, -1_000_000n, -1_000_001n, 2n ** 63n - 1n, -(2n ** 63n), T0 + 123_456_789n, 2n ** 32n, -(2n ** 32n)];
    let x = 0x9e3779b97f4a7c15n;
    const rnd: bigint[] = [];
    for (let i = 0; i < 20_000; i++) {
      x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
      rnd.push(BigInt.asIntN(64, x));
      rnd.push(T0 + BigInt.asIntN(40, x)); // near realistic times
    }
    const all = BigInt64Array.from([...edge, ...rnd]);
    const got = nsToMs(all);
    for (let i = 0; i < all.length; i++) {
      const t = all[i];
      const q = t / 1_000_000n - (t % 1_000_000n < 0n ? 1n : 0n);
      if (got[i] !== Number(q)) throw new Error(`nsToMs(${t}) = ${got[i]}, want ${q}`);
    }
  });

  it('reads the closed interval [minMs, maxMs] of floored times', async () => {
    const db = await fx.openDb({ dataDir: fx.tmpDir() });
    await db.write(['s v=1 999999', 's v=2 1000000', 's v=3 1999999', 's v=4 2000000', 's v=5 -1'].join('\n'), { db: 'd' });
    const src = engineSource(db);
    const got = (lo: number, hi: number) => plain(src.select([m('__name__', '=', 's_v')], lo, hi))[0] ?? null;
    // -1 ns and 999999 ns floor to -1 ms and 0 ms; 1000000 and 1999999 to 1 ms (the later one kept).
    expect(got(-Infinity, Infinity)).toEqual({ labels: { __name__: 's_v' }, times: [-1, 0, 1, 2], values: [5, 1, 3, 4] });
    expect(got(1, 1)).toEqual({ labels: { __name__: 's_v' }, times: [1], values: [3] });
    expect(got(0, 1.5)).toEqual({ labels: { __name__: 's_v' }, times: [0, 1], values: [1, 3] });
    expect(got(0.5, 2)).toEqual({ labels: { __name__: 's_v' }, times: [1, 2], values: [3, 4] });
    expect(got(3, 10)).toBeNull();
    expect(got(2, 1)).toBeNull();
    expect(nsRange(-Infinity, Infinity)).toEqual({ start: undefined, end: undefined });
    expect(nsRange(5, 7)).toEqual({ start: 5_000_000n, end: 8_000_000n });
  });
});

describe('databases', () => {
  async function twoDbs() {
    const db = await fx.openDb({ dataDir: fx.tmpDir() });
    await db.write(`up,job=a value=1 ${T0}\nup,job=a value=2 ${T0 + 2_000_000_000n}\nonly_a value=1 ${T0}`, { db: 'a' });
    await db.write(`up,job=a value=20 ${T0 + 2_000_000_000n}\nup,job=a value=3 ${T0 + 3_000_000_000n}\nup,job=b value=9 ${T0}`, { db: 'b' });
    return db;
  }

  it('reads every database as one namespace: same labels merge, no label added', async () => {
    const src = engineSource(await twoDbs());
    expect(plain(src.select([m('__name__', '=', 'up')], -Infinity, Infinity))).toEqual([
      { labels: { __name__: 'up', job: 'a' }, times: [MS0, MS0 + 2000, MS0 + 3000], values: [1, 2, 3] },
      { labels: { __name__: 'up', job: 'b' }, times: [MS0], values: [9] },
    ]);
    expect(src.databases()).toEqual(['a', 'b']);
    expect(src.labelValues('__name__', [])).toEqual(['only_a', 'up']);
    expect(src.series([[m('__name__', '=', 'up')]])).toEqual([
      { __name__: 'up', job: 'a' },
      { __name__: 'up', job: 'b' },
    ]);
  });

  it('restricts to one database with `database`', async () => {
    const db = await twoDbs();
    const b = engineSource(db, { database: 'b' });
    expect(plain(b.select([m('__name__', '=', 'up'), m('job', '=', 'a')], -Infinity, Infinity))).toEqual([
      { labels: { __name__: 'up', job: 'a' }, times: [MS0 + 2000, MS0 + 3000], values: [20, 3] },
    ]);
    expect(b.labelValues('__name__', [])).toEqual(['up']);
    expect(b.select([m('__name__', '=', 'only_a')], -Infinity, Infinity)).toEqual([]);
    expect(engineSource(db, { database: 'missing' }).select([m('__name__', '=', 'up')], -Infinity, Infinity)).toEqual([]);
  });

  it('mergeRaw keeps the first series on equal times', () => {
    const a = { labels: {}, times: Float64Array.of(1, 3), values: Float64Array.of(10, 30) };
    const b = { labels: {}, times: Float64Array.of(2, 3, 4), values: Float64Array.of(20, 99, 40) };
    expect(plain([mergeRaw(a, b)])).toEqual([{ labels: {}, times: [1, 2, 3, 4], values: [10, 20, 30, 40] }]);
  });
});

describe('metadata', () => {
  it('lists label names, values, series and metrics', async () => {
    const src = engineSource(await fixtureDb());
    expect(src.labelNames([])).toEqual(['__name__', 'host', 'instance', 'job', 'mode', 'x']);
    expect(src.labelNames([[m('__name__', '=', 'up')]])).toEqual(['__name__', 'instance', 'job']);
    expect(src.labelValues('host', [])).toEqual(['a', 'b']);
    expect(src.labelValues('job', [[m('__name__', '=', 'up')]])).toEqual(['prometheus']);
    expect(src.labelValues('__name__', [[m('host', '=', 'b')]])).toEqual(['cpu_usage']);
    expect(src.labelValues('__name__', [])).toEqual(['cpu', 'cpu_load', 'cpu_up', 'cpu_usage', 'node_cpu_seconds_total', 'up']);
    expect(src.metrics().find((x) => x.name === 'node_cpu_seconds_total')).toEqual({ name: 'node_cpu_seconds_total', types: ['float', 'unsigned'] });
  });

  it('with a time range, lists only series with samples in it', async () => {
    const src = engineSource(await fixtureDb());
    // host=b has cpu_usage only; host=a has no cpu_load sample after MS0.
    expect(src.series([[m('__name__', '=~', 'cpu.*')]], MS0 + 1, MS0 + 20_000)).toEqual([
      { __name__: 'cpu', host: 'a' },
      { __name__: 'cpu_usage', host: 'a' },
    ]);
    expect(src.series([[m('__name__', '=~', 'cpu.*'), m('host', '=', 'b')]])).toEqual([{ __name__: 'cpu_usage', host: 'b' }]);
    expect(src.series([[m('__name__', '=~', 'cpu.*'), m('host', '=', 'a')]], MS0 + 1, Infinity).length).toBe(2);
    expect(src.series([[m('__name__', '=~', 'cpu.*'), m('host', '=', 'b')]], MS0 - 1000, MS0 + 1000)).toEqual([{ __name__: 'cpu_usage', host: 'b' }]);
    expect(src.labelValues('host', [[m('__name__', '=', 'cpu')]], MS0, MS0)).toEqual(['a']);
  });

  it('reads flushed data the same as the memtable', async () => {
    const db = await fixtureDb();
    const before = plain(engineSource(db).select([m('__name__', '=~', '.+')], -Infinity, Infinity));
    await db.flush();
    expect(plain(engineSource(db).select([m('__name__', '=~', '.+')], -Infinity, Infinity))).toEqual(before);
    expect(before.length).toBe(8);
  });
});

describe('regular expressions', () => {
  it('reads label and name regexes as RE2 (Prometheus), anchored', async () => {
    const src = engineSource(await fixtureDb());
    const sel = (ms: LabelMatcher[]) => src.select(ms, -Infinity, Infinity).map((s) => `${s.labels.__name__}/${s.labels.host ?? s.labels.job ?? ''}`);
    expect(sel([m('__name__', '=~', '(?i)UP')])).toEqual(['up/prometheus']);
    expect(sel([m('__name__', '=', 'up'), m('job', '=~', '(?i)PROM.*')])).toEqual(['up/prometheus']);
    expect(sel([m('__name__', '=', 'up'), m('instance', '=~', 'localhost:\\d{4}')])).toEqual(['up/prometheus']);
    expect(sel([m('__name__', '=', 'up'), m('instance', '=~', 'localhost:\\d')])).toEqual([]);
    expect(sel([m('__name__', '=', 'cpu_usage'), m('host', '=~', '[[:alpha:]]')])).toEqual(['cpu_usage/a', 'cpu_usage/b']);
    expect(sel([m('__name__', '=', 'cpu_usage'), m('host', '!~', '\\Qa\\E|c')])).toEqual(['cpu_usage/b']);
    expect(sel([m('__name__', '=~', 'cpu_(?P<f>usage|load)')])).toEqual(['cpu_load/a', 'cpu_usage/a', 'cpu_usage/b']);
  });
});
