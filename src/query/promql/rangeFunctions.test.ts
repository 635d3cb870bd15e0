// The range-function kernels against results transcribed from Prometheus's conformance
// scripts (/work/shared/conformance/promql/functions.test): each case loads the same
// series, cuts the same left-open window (t-range, t] and compares the kernel's output.

import { describe, expect, it } from 'vitest';
import { RANGE_FUNCTIONS, type RangeWindow } from './rangeFunctions.js';
import { CollectNotes } from './testing/notes.js';
import { PromQLError } from './types.js';

const S = 1000;
const M = 60 * S;

/** Expands the test-script value notation (`0+10x10`, `1 2 _ 4`, `NaN`, `Inf`). */
function expand(spec: string): Array<number | null> {
  const out: Array<number | null> = [];
  const num = (s: string): number =>
    s === 'NaN' ? NaN : s === 'Inf' || s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
  for (const tok of spec.trim().split(/\s+/)) {
    if (tok === '_') {
      out.push(null);
      continue;
    }
    let m = /^_x(\d+)$/.exec(tok);
    if (m) {
      for (let i = 0; i < Number(m[1]); i++) out.push(null);
      continue;
    }
    m = /^([+-]?(?:[0-9.]+(?:e[+-]?\d+)?|Inf)|NaN)(?:([+-])([0-9.]+(?:e[+-]?\d+)?))?x(\d+)$/.exec(tok);
    if (m) {
      const a = num(m[1]);
      const b = m[2] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * Number(m[3]);
      for (let i = 0; i <= Number(m[4]); i++) out.push(a + b * i);
      continue;
    }
    out.push(num(tok));
  }
  return out;
}

interface Series {
  times: Float64Array;
  values: Float64Array;
  name: string | undefined;
}

function load(intervalMs: number, spec: string, name?: string): Series {
  const vals = expand(spec);
  const t: number[] = [];
  const v: number[] = [];
  vals.forEach((x, i) => {
    if (x !== null) {
      t.push(i * intervalMs);
      v.push(x);
    }
  });
  return { times: Float64Array.from(t), values: Float64Array.from(v), name };
}

function window(s: Series, evalMs: number, rangeMs: number, offsetMs = 0): RangeWindow {
  const rangeEnd = evalMs - offsetMs;
  const rangeStart = rangeEnd - rangeMs;
  let lo = 0;
  while (lo < s.times.length && s.times[lo] <= rangeStart) lo++;
  let hi = lo;
  while (hi < s.times.length && s.times[hi] <= rangeEnd) hi++;
  return { times: s.times, values: s.values, lo, hi, rangeStart, rangeEnd, metricName: s.name, evalTime: evalMs };
}

function call(
  fn: string,
  s: Series,
  evalMs: number,
  rangeMs: number,
  params: number[] = [],
  offsetMs = 0,
): { v: number | undefined; notes: CollectNotes } {
  const notes = new CollectNotes();
  const v = RANGE_FUNCTIONS[fn](window(s, evalMs, rangeMs, offsetMs), params, notes);
  return { v, notes };
}

function v(fn: string, s: Series, evalMs: number, rangeMs: number, params: number[] = [], offsetMs = 0) {
  return call(fn, s, evalMs, rangeMs, params, offsetMs).v;
}

/** The conformance runner's comparison: both NaN, or relative difference below 1e-6. */
function expectClose(actual: number | undefined, expected: number): void {
  expect(actual).not.toBeUndefined();
  const a = actual as number;
  if (Number.isNaN(expected)) {
    expect(a).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(a).toBe(expected);
    return;
  }
  if (expected === 0) {
    expect(a === 0).toBe(true);
    return;
  }
  expect(Math.abs((a - expected) / expected)).toBeLessThan(1e-6);
}

describe('resets and changes', () => {
  const foo = load(5 * M, '1 2 3 0 1 0 0 1 2 0');
  const bar = load(5 * M, '1 2 3 4 5 1 2 3 4 5');
  const biz = load(5 * M, '0 0 0 0 0 1 1 1 1 1');
  const at = 50 * M;
  /** `fn` at 50m over each row's [series, range in minutes], expecting the row's value. */
  const expectAt50m = (fn: string, rows: Array<[Series, number, number | undefined]>): void => {
    for (const [s, minutes, want] of rows) expect(v(fn, s, at, minutes * M), `${fn} over ${minutes}m`).toBe(want);
  };

  it('resets', () => {
    expectAt50m('resets', [
      [foo, 5, undefined],
      [foo, 10, 0],
      [foo, 20, 1],
      [foo, 32, 2],
      [bar, 32, 1],
      [foo, 50, 3],
      [bar, 50, 1],
      [biz, 50, 0],
    ]);
  });

  it('changes', () => {
    expectAt50m('changes', [
      [foo, 6, 0],
      [foo, 20, 2],
      [bar, 20, 2],
      [foo, 30, 3],
      [bar, 30, 4],
      [foo, 50, 7],
      [bar, 50, 8],
      [biz, 50, 1],
    ]);
  });

  it('changes treats NaN to NaN as no change', () => {
    expect(v('changes', load(5 * M, 'NaN NaN NaN'), 15 * M, 20 * M)).toBe(0);
    expect(v('changes', load(5 * M, '0 NaN 0'), 15 * M, 20 * M)).toBe(2);
  });

  it('an empty window gives no sample', () => {
    expect(v('resets', foo, 50 * M + 1, 1)).toBeUndefined();
    expect(v('changes', foo, 50 * M + 1, 1)).toBeUndefined();
  });
});

describe('increase, rate, delta (extrapolatedRate)', () => {
  const name = 'http_requests_total';
  const foo = load(5 * M, '0+10x10', name);
  const bar = load(5 * M, '0+18x5 0+18x5', name);
  const dings = load(5 * M, '10+10x10', name);
  const bumms = load(5 * M, '1+10x10', name);

  it('increase over 50m and 100m, with zero-point cutoff', () => {
    expectClose(v('increase', foo, 50 * M, 50 * M), 100);
    expectClose(v('increase', bar, 50 * M, 50 * M), 160);
    expectClose(v('increase', dings, 50 * M, 50 * M), 100);
    expectClose(v('increase', bumms, 50 * M, 50 * M), 100);
    expectClose(v('increase', foo, 50 * M, 100 * M), 100);
    expectClose(v('increase', bar, 50 * M, 100 * M), 162);
    expectClose(v('increase', dings, 50 * M, 100 * M), 105);
    expectClose(v('increase', bumms, 50 * M, 100 * M), 101);
  });

  it('increase with a counter reset', () => {
    expectClose(v('increase', load(5 * M, '0 1 2 3 2 3 4', name), 30 * M, 30 * M), 7);
  });

  it('rate with resets in the middle and at the end', () => {
    const middle = load(5 * M, '0+27x4 0+27x5', 'testcounter_reset_middle_total');
    const end = load(5 * M, '0+10x9 0 10', 'testcounter_reset_end_total');
    expectClose(v('rate', middle, 50 * M, 50 * M), 0.08);
    expect(v('rate', end, 50 * M, 5 * M)).toBeUndefined();
    expectClose(v('rate', end, 50 * M, 6 * M), 0);
  });

  it('rate per second, with offset', () => {
    expectClose(v('rate', load(5 * M, '0+80x10', 'w_total'), 50 * M, 50 * M), 0.26666666666666666);
    expectClose(v('rate', load(5 * M, '0+10x10', 'o_total'), 50 * M, 10 * M, [], 5 * M), 0.03333333333333333);
    expectClose(v('rate', load(5 * M, '0+20x10', 'o_total'), 50 * M, 10 * M, [], 5 * M), 0.06666666666666667);
  });

  it('zero cutoff for left-side extrapolation', () => {
    const starts = ['0+240x10', '60+240x10', '120+240x10', '180+240x10', '240+240x10', '300+240x10'];
    const at10 = [0.5, 0.55, 0.6, 0.6, 0.6, 0.6];
    starts.forEach((spec, i) => {
      const s = load(4 * M, spec, 'testcounter_zero_cutoff_total');
      expectClose(v('rate', s, 10 * M, 20 * M), at10[i]);
      expectClose(v('rate', s, 50 * M, 20 * M), 0.6);
    });
  });

  it('delta does not treat decreases as resets', () => {
    expectClose(v('delta', load(5 * M, '0 50 100 150 200'), 20 * M, 20 * M), 200);
    expectClose(v('delta', load(5 * M, '200 150 100 50 0'), 20 * M, 20 * M), -200);
  });

  it('needs two samples', () => {
    expect(v('rate', foo, 50 * M, 1 * M)).toBeUndefined();
    expect(v('increase', foo, 50 * M, 1 * M)).toBeUndefined();
    expect(v('delta', foo, 50 * M, 1 * M)).toBeUndefined();
  });

  it('notes a metric name without a counter suffix, only when producing a value', () => {
    const gauge = load(5 * M, '0+10x10', 'foo');
    const r = call('rate', gauge, 50 * M, 50 * M);
    expect(r.notes.infos).toEqual([
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo"',
    ]);
    expect(call('increase', gauge, 50 * M, 50 * M).notes.infos).toHaveLength(1);
    expect(call('rate', gauge, 50 * M, 1 * M).notes.infos).toHaveLength(0);
    expect(call('delta', gauge, 50 * M, 50 * M).notes.infos).toHaveLength(0);
    for (const n of ['a_total', 'a_sum', 'a_count', 'a_bucket']) {
      expect(call('rate', load(5 * M, '0+10x10', n), 50 * M, 50 * M).notes.infos).toHaveLength(0);
    }
    expect(call('rate', load(5 * M, '0+10x10'), 50 * M, 50 * M).notes.infos).toHaveLength(0);
  });
});

describe('irate and idelta', () => {
  it('irate', () => {
    const foo = load(5 * M, '0+10x10', 'http_requests_total');
    const bar = load(5 * M, '0+10x5 0+10x5', 'http_requests_total');
    expectClose(v('irate', foo, 50 * M, 50 * M), 0.03333333333333333);
    expectClose(v('irate', bar, 50 * M, 50 * M), 0.03333333333333333);
    expectClose(v('irate', foo, 30 * M, 50 * M), 0.03333333333333333);
    expect(v('irate', bar, 30 * M, 50 * M)).toBe(0);
  });

  it('irate with NaN (range query 0..20m step 5m over [15m1s])', () => {
    const s = load(5 * M, '1 NaN NaN 5 11');
    const rng = 15 * M + S;
    expect(v('irate', s, 0, rng)).toBeUndefined();
    expect(v('irate', s, 5 * M, rng)).toBeNaN();
    expect(v('irate', s, 10 * M, rng)).toBeNaN();
    expect(v('irate', s, 15 * M, rng)).toBeNaN();
    expectClose(v('irate', s, 20 * M, rng), 0.02);
  });

  it('idelta', () => {
    expect(v('idelta', load(5 * M, '0 50 100 150'), 20 * M, 20 * M)).toBe(50);
    expect(v('idelta', load(5 * M, '0 50 100 50'), 20 * M, 20 * M)).toBe(-50);
    const s = load(5 * M, '1 NaN NaN 5 11');
    const rng = 15 * M + S;
    expect(v('idelta', s, 0, rng)).toBeUndefined();
    expect(v('idelta', s, 5 * M, rng)).toBeNaN();
    expect(v('idelta', s, 15 * M, rng)).toBeNaN();
    expect(v('idelta', s, 20 * M, rng)).toBe(6);
  });
});

describe('deriv and predict_linear', () => {
  const resetMiddle = load(5 * M, '0+10x4 0+10x5', 'testcounter_reset_middle_total');
  const canary = load(5 * M, '0+80x10', 'http_requests_total');
  const inf = load(5 * M, '-Inf 0+80x10 Inf');

  it('deriv', () => {
    expectClose(v('deriv', canary, 50 * M, 50 * M), 0.26666666666666666);
    expectClose(v('deriv', resetMiddle, 50 * M, 100 * M), 0.010606060606060607);
    expect(v('deriv', inf, 100 * M, 100 * M)).toBeNaN();
    expect(v('deriv', canary, 50 * M, 1 * M)).toBeUndefined();
  });

  it('deriv of a constant series is 0, of a constant infinite series NaN', () => {
    expect(v('deriv', load(5 * M, '3x5'), 20 * M, 30 * M)).toBe(0);
    expect(v('deriv', load(5 * M, 'Infx5'), 20 * M, 30 * M)).toBeNaN();
  });

  it('predict_linear intercepts at the evaluation time', () => {
    expectClose(v('predict_linear', resetMiddle, 50 * M, 50 * M, [3600]), 70);
    expect(v('predict_linear', inf, 100 * M, 100 * M, [6000])).toBeNaN();
    // predict_linear(x[55m] @ 3000, 3600) evaluated at 50m, 10m, 70m.
    const at = (evalMs: number): number | undefined => {
      const w = window(resetMiddle, 3000 * S, 55 * M);
      return RANGE_FUNCTIONS.predict_linear({ ...w, evalTime: evalMs }, [3600], new CollectNotes());
    };
    expectClose(at(50 * M), 76.81818181818181);
    expectClose(at(10 * M), 51.36363636363637);
    expectClose(at(70 * M), 89.54545454545455);
  });

  it('predict_linear equals value + deriv*duration at an exact sample', () => {
    const p = v('predict_linear', canary, 50 * M, 50 * M, [3600])!;
    const d = v('deriv', canary, 50 * M, 50 * M)!;
    expectClose(p - (800 + d * 3600) + 1, 1);
  });
});

describe('double_exponential_smoothing', () => {
  it('positive trends', () => {
    const specs = ['0+10x1000 100+30x1000', '0+20x1000 200+30x1000', '0+30x1000 300+80x1000', '0+40x2000'];
    const want = [8000, 16000, 24000, 32000];
    specs.forEach((spec, i) => {
      expectClose(v('double_exponential_smoothing', load(10 * S, spec), 8000 * S, M, [0.01, 0.1]), want[i]);
    });
  });

  it('negative trends', () => {
    const specs = ['8000-10x1000', '0-20x1000', '0+30x1000 300-80x1000', '0-40x1000 0+40x1000'];
    const want = [0, -16000, 24000, -32000];
    specs.forEach((spec, i) => {
      expectClose(v('double_exponential_smoothing', load(10 * S, spec), 8000 * S, M, [0.01, 0.1]), want[i]);
    });
  });

  it('rejects out-of-range factors with Prometheus messages', () => {
    const s = load(10 * S, '0+10x10');
    const run = (sf: number, tf: number) => () => v('double_exponential_smoothing', s, 60 * S, M, [sf, tf]);
    expect(run(1, 0.5)).toThrow(PromQLError);
    expect(run(1, 0.5)).toThrow('invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000');
    expect(run(0.5, 0)).toThrow('invalid trend factor. Expected: 0 < tf < 1, got: 0.000000');
    try {
      run(0, 0.5)();
    } catch (e) {
      expect((e as PromQLError).errorType).toBe('execution');
    }
    // NaN passes Prometheus's checks and propagates.
    expect(run(NaN, 0.5)()).toBeNaN();
  });

  it('needs two samples', () => {
    expect(v('double_exponential_smoothing', load(10 * S, '1 2'), 10 * S, 5 * S, [0.5, 0.5])).toBeUndefined();
  });
});

describe('avg_over_time and sum_over_time', () => {
  const at = 55 * S;
  const cases: Array<[string, number]> = [
    ['1 2 3 4 5', 3],
    ['1 2 3 4 Inf', Infinity],
    ['1 2 3 4 -Inf', -Infinity],
    ['1 2 3 Inf -Inf', NaN],
    ['Inf 0 Inf', Infinity],
    ['Inf Inf Inf -Inf', NaN],
    ['1 2 3 -Inf -Inf', -Infinity],
    ['-Inf 0 -Inf', -Infinity],
    ['-Inf -Inf -Inf Inf', NaN],
    ['1 2 -Inf -Inf Inf', NaN],
    ['9.988465674311579e+307 9.988465674311579e+307', 9.988465674311579e307],
    ['-9.988465674311579e+307 -9.988465674311579e+307 -9.988465674311579e+307', -9.988465674311579e307],
    ['-9.988465674311579e+307 9.988465674311579e+307', 0],
    ['1 2 3 NaN NaN', NaN],
  ];

  it('avg_over_time', () => {
    for (const [spec, want] of cases) expectClose(v('avg_over_time', load(10 * S, spec), at, M), want);
  });

  it('no sample / one sample / NaN arrival', () => {
    const m = load(10 * S, '1 2 3 4 5');
    expect(v('avg_over_time', m, at, 10 * S)).toBeUndefined();
    expect(v('avg_over_time', m, at, 20 * S)).toBe(5);
    const m11 = load(10 * S, '1 2 3 NaN NaN');
    expect(v('avg_over_time', m11, 20 * S, M)).toBe(2);
    expect(v('avg_over_time', m11, 30 * S, M)).toBeNaN();
  });

  it('sum/count overflows where avg does not', () => {
    const m8 = load(10 * S, '9.988465674311579e+307 9.988465674311579e+307');
    expect(v('sum_over_time', m8, at, M)! / v('count_over_time', m8, at, M)!).toBe(Infinity);
  });

  it('Kahan summation keeps small terms next to huge ones', () => {
    const m = load(10 * S, '1 1e100 1 -1e100');
    expect(v('sum_over_time', m, M, 2 * M)).toBe(2);
    expect(v('avg_over_time', m, M, 2 * M)).toBe(0.5);
  });

  it('extreme magnitudes', () => {
    const l = (spec: string) => load(5 * S, spec);
    expectClose(v('avg_over_time', l('1e10 1e-6 1e-6 1e-6 1e-6 1e-6'), at, M), 1.6666666666666675e9);
    expectClose(
      v('avg_over_time', l('5.30921651659898 0.961118537914768 1.62091361305318 0.865089463758091 0.323055185914577 0.951811357687154'), at, M),
      1.67186744582113,
    );
    expectClose(v('avg_over_time', l('1.78264e50 0.76342771 1.9592258 7.69805412 458.90154'), at, M), 3.56528e49);
    expectClose(v('avg_over_time', l('0.76342771 1.9592258 7.69805412 1.78264e50 458.90154'), at, M), 3.56528e49);
    expectClose(v('avg_over_time', l('1.78264E+50 0.76342771 1.9592258 2.258E+220 7.69805412 458.90154'), at, M), 3.76333333333333e219);
    expectClose(v('avg_over_time', l('-1.78264E+50 0.76342771 1.9592258 2.258E+220 7.69805412 -458.90154'), at, M), 3.76333333333333e219);
    expectClose(v('avg_over_time', l('-1.78264E+50 0.76342771 1.9592258 -2.258E+220 7.69805412 -458.90154'), at, M), -3.76333333333333e219);
    expectClose(v('avg_over_time', l('-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 -458.90154'), at, M), 3.76330362266667e219);
    expectClose(
      v('avg_over_time', l('-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 1.78264E+215 -458.90154'), at, M),
      3.225714285714286e219,
    );
    expectClose(
      v('avg_over_time', l('-1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 7.69805412 1.78264E+219 -458.90154'), at, M),
      2.5088888888888888e219,
    );
    expect(
      v('avg_over_time', l('-2.258E+220 -1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 7.69805412 1.78264E+219 -458.90154'), at, M),
    ).toBe(0);
  });

  it('is exact for constant series (direct mean)', () => {
    const foo = load(10 * S, '52+0x100');
    for (const r of [100, 110, 120, 130]) expect(v('avg_over_time', foo, 10 * M, r * S)).toBe(52);
  });

  it('sum_over_time on dense samples', () => {
    const m = load(1, '1+0x4000');
    for (const r of [1000, 1001, 1002, 1003, 2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003]) {
      expect(v('sum_over_time', m, 4 * S, r)).toBe(r);
    }
  });
});

describe('stddev, stdvar, mad, quantile over time', () => {
  it('stdvar_over_time / stddev_over_time', () => {
    const m = load(10 * S, '0 8 8 2 3');
    expectClose(v('stdvar_over_time', m, M, 2 * M), 10.56);
    expectClose(v('stddev_over_time', m, M, 2 * M), 3.249615);
    const c = load(10 * S, '1.5990505637277868 1.5990505637277868 1.5990505637277868');
    expect(v('stdvar_over_time', c, 55 * S, M)).toBe(0);
    expect(v('stddev_over_time', c, 55 * S, M)).toBe(0);
  });

  it('mad_over_time', () => {
    expect(v('mad_over_time', load(10 * S, '4 6 2 1 999 1 2'), 70 * S, 70 * S)).toBe(1);
    expect(v('mad_over_time', load(10 * S, '1 2 3 4 5'), 40 * S, 50 * S)).toBe(1);
    expect(v('mad_over_time', load(10 * S, '7 7 7 7 7'), 40 * S, 50 * S)).toBe(0);
    expect(v('mad_over_time', load(10 * S, '5'), 0, 10 * S)).toBe(0);
    expect(v('mad_over_time', load(10 * S, '1 2 NaN 4'), 30 * S, 40 * S)).toBeNaN();
  });

  it('quantile_over_time', () => {
    const two = load(10 * S, '0 1');
    const three = load(10 * S, '0 1 2');
    const uneven = load(10 * S, '0 1 4');
    const table: Array<[number, number, number, number]> = [
      [0, 0, 0, 0],
      [0.5, 0.5, 1, 1],
      [0.75, 0.75, 1.5, 2.5],
      [0.8, 0.8, 1.6, 2.8],
      [1, 1, 2, 4],
      [-1, -Infinity, -Infinity, -Infinity],
      [2, Infinity, Infinity, Infinity],
    ];
    for (const [q, a, b, c] of table) {
      expectClose(v('quantile_over_time', two, M, 2 * M, [q]), a);
      expectClose(v('quantile_over_time', three, M, 2 * M, [q]), b);
      expectClose(v('quantile_over_time', uneven, M, 2 * M, [q]), c);
    }
  });

  it('quantile_over_time warns on q outside [0, 1]', () => {
    const s = load(10 * S, '0 1');
    expect(call('quantile_over_time', s, M, 2 * M, [0.5]).notes.warnings).toEqual([]);
    expect(call('quantile_over_time', s, M, 2 * M, [2]).notes.warnings).toEqual([
      'PromQL warning: quantile value should be between 0 and 1, got 2',
    ]);
    expect(call('quantile_over_time', s, M, 2 * M, [-0.5]).notes.warnings).toEqual([
      'PromQL warning: quantile value should be between 0 and 1, got -0.5',
    ]);
    const nan = call('quantile_over_time', s, M, 2 * M, [NaN]);
    expect(nan.v).toBeNaN();
    expect(nan.notes.warnings).toEqual(['PromQL warning: quantile value should be between 0 and 1, got NaN']);
  });
});

describe('min, max, first, last, count, present, ts_of_*', () => {
  const data: Array<[string, number, number, number, number]> = [
    // spec, min, max, first, last
    ['2 0 3', 0, 3, 2, 3],
    ['2 0 NaN', 0, 2, 2, NaN],
    ['2 NaN 1', 1, 2, 2, 1],
    ['NaN 0 1', 0, 1, NaN, 1],
    ['NaN NaN NaN', NaN, NaN, NaN, NaN],
    ['_ 5 2 _ 4 _', 2, 5, 5, 4],
  ];

  it('min/max/first/last/count_over_time', () => {
    for (const [spec, mn, mx, first, last] of data) {
      const s = load(10 * S, spec);
      expectClose(v('min_over_time', s, M, 2 * M), mn);
      expectClose(v('max_over_time', s, M, 2 * M), mx);
      expectClose(v('first_over_time', s, M, 2 * M), first);
      expectClose(v('last_over_time', s, M, 2 * M), last);
      expect(v('count_over_time', s, M, 2 * M)).toBe(3);
      expect(v('present_over_time', s, M, 2 * M)).toBe(1);
    }
    const empty = load(10 * S, '_ _ _');
    for (const fn of ['min_over_time', 'count_over_time', 'present_over_time', 'last_over_time']) {
      expect(v(fn, empty, M, 2 * M)).toBeUndefined();
    }
  });

  it('ts_of_min/max_over_time (ties take the latest)', () => {
    const s = load(10 * S + 53, '1 2 3 0 5 6 2 1 4');
    expectClose(v('ts_of_min_over_time', s, 90 * S, 90 * S), 30.159);
    expectClose(v('ts_of_max_over_time', s, 90 * S, 90 * S), 50.265);
    const ties = load(10 * S, '1 3 1 3');
    expect(v('ts_of_min_over_time', ties, 30 * S, M)).toBe(20);
    expect(v('ts_of_max_over_time', ties, 30 * S, M)).toBe(30);
  });

  it('ts_of_first/last_over_time', () => {
    const last = load(10 * S + 53, '1 2 3 _ _');
    expectClose(v('ts_of_last_over_time', last, 90 * S, 90 * S), 20.106);
    expectClose(v('ts_of_last_over_time', last, 95 * S, 90 * S), 20.106);
    const first = load(10 * S + 53, '_ _ 1 2 3 _ _');
    expectClose(v('ts_of_first_over_time', first, 90 * S, 90 * S), 20.106);
    expectClose(v('ts_of_first_over_time', first, 95 * S, 90 * S), 20.106);
    expect(v('ts_of_first_over_time', first, 15 * S, 90 * S)).toBeUndefined();
  });
});

it('covers every function the evaluator dispatches', () => {
  expect(Object.keys(RANGE_FUNCTIONS).sort()).toEqual(
    [
      'rate', 'increase', 'delta', 'irate', 'idelta', 'deriv', 'predict_linear', 'resets', 'changes',
      'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time',
      'quantile_over_time', 'stddev_over_time', 'stdvar_over_time', 'last_over_time', 'first_over_time',
      'present_over_time', 'mad_over_time', 'double_exponential_smoothing', 'ts_of_min_over_time',
      'ts_of_max_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time',
    ].sort(),
  );
});

describe('anchored and smoothed range selectors (extended_vectors.test)', () => {
  /**
   * The window the evaluator builds for an extended selector: the samples in range, plus
   * the last one at or before rangeStart (within the 5m lookback) and, when smoothed, the
   * first one after rangeEnd (within the lookback).
   */
  function ext(s: Series, evalMs: number, rangeMs: number, mode: 'anchored' | 'smoothed'): RangeWindow {
    const w = window(s, evalMs, rangeMs);
    const lookback = 5 * M;
    let { lo, hi } = w;
    if (lo > 0 && s.times[lo - 1] > w.rangeStart - lookback) lo--;
    if (mode === 'smoothed' && hi < s.times.length && s.times[hi] <= w.rangeEnd + lookback) hi++;
    return { ...w, lo, hi, anchored: mode === 'anchored', smoothed: mode === 'smoothed' };
  }
  const run = (fn: string, w: RangeWindow): number | undefined => RANGE_FUNCTIONS[fn](w, [], new CollectNotes());

  it('increase over a complete dataset', () => {
    const s = load(15 * S, '1+1x4 9+1x4', 'metric');
    const times = [5, 20, 35, 50, 65, 80, 95, 110, 125];
    const plain = [undefined, 1.833333333, 2.833333333, 4, 4, 8, 8, 8, 4];
    const anchored = [0, 1, 2, 3, 4, 7, 7, 7, 7];
    const smoothed = [0.333333333, 1.333333333, 2.333333333, 3.333333333, 5, 7, 7, 7, 6];
    times.forEach((t, i) => {
      const p = v('increase', s, t * S, M);
      if (plain[i] === undefined) expect(p).toBeUndefined();
      else expectClose(p, plain[i]!);
      expectClose(run('increase', ext(s, t * S, M, 'anchored')), anchored[i]);
      expectClose(run('increase', ext(s, t * S, M, 'smoothed')), smoothed[i]);
    });
  });

  it('gaps, counter resets, delta', () => {
    const gap = load(M, '1 2 _ 4 5');
    expectClose(run('increase', ext(gap, 2 * M, M, 'smoothed')), 1);
    expect(run('increase', ext(gap, 2 * M, M, 'anchored'))).toBeUndefined();

    const ids = [load(M, '1+1x4 1+1x4'), load(M, '3 2+2x9'), load(M, '5+3x2 3+3x6')];
    const at = (ms: number, fn: string, mode: 'anchored' | 'smoothed', range = M) =>
      ids.map((s) => run(fn, ext(s, ms, range, mode)));
    expect(at(90 * S, 'increase', 'smoothed').map((x) => Math.round(x! * 1e9) / 1e9)).toEqual([1, 2, 3]);
    expect(at(90 * S, 'increase', 'anchored')).toEqual([1, 2, 3]);
    expect(at(90 * S, 'delta', 'anchored')).toEqual([1, -1, 3]);
    expect(at(3 * M, 'delta', 'anchored')).toEqual([1, 2, -8]);
    expect(at(210 * S, 'delta', 'anchored')).toEqual([1, 2, -8]);
    expect(at(375 * S, 'increase', 'smoothed', 5 * M).map((x) => Math.round(x! * 1e9) / 1e9)).toEqual([5, 10, 15]);
    expect(at(6 * M, 'increase', 'smoothed', 5 * M)).toEqual([5, 10, 15]);
    expect(at(5 * M, 'increase', 'anchored', 5 * M)).toEqual([5, 10, 15]);
    expect(at(15 * M, 'increase', 'anchored', 5 * M)).toEqual([undefined, undefined, undefined]);

    const d1 = load(M, '11 -1 100 0');
    const d2 = load(M, '0 0 100 0 0 11 -1');
    expectClose(run('delta', ext(d1, 330 * S, 5 * M, 'smoothed')), -5);
    expectClose(run('delta', ext(d2, 330 * S, 5 * M, 'smoothed')), 5);
    expectClose(run('delta', ext(d1, 345 * S, 5 * M, 'smoothed')), -2);
    expectClose(run('delta', ext(d2, 345 * S, 5 * M, 'smoothed')), 2);

    expectClose(run('increase', ext(load(M, '9 8 5 4'), 135 * S, 2 * M, 'smoothed')), 12);
  });

  it('changes and resets', () => {
    const ids = [load(M, '1+1x10'), load(M, '1 1+1x10'), load(M, '99-1x10'), load(M, '99 99-1x10')];
    const at = (fn: string, ms: number, anchored: boolean) =>
      ids.map((s) => (anchored ? run(fn, ext(s, ms, 5 * M, 'anchored')) : v(fn, s, ms, 5 * M)));
    expect(at('changes', 5 * M, false)).toEqual([4, 4, 4, 4]);
    expect(at('changes', 330 * S, false)).toEqual([4, 4, 4, 4]);
    expect(at('changes', 5 * M, true)).toEqual([5, 4, 5, 4]);
    expect(at('changes', 6 * M, true)).toEqual([5, 5, 5, 5]);
    expect(at('changes', 330 * S, true)).toEqual([5, 4, 5, 4]);
    expect(at('resets', 330 * S, false)).toEqual([0, 0, 4, 4]);
    expect(at('resets', 330 * S, true)).toEqual([0, 0, 5, 4]);

    const a = load(M, '2 _ 1 _ _ _ _ _ 0');
    const b = load(M, '99-1x10');
    const both = (fn: string, ms: number, range: number) => [a, b].map((s) => run(fn, ext(s, ms, range, 'anchored')));
    expect(both('changes', 2 * M, M)).toEqual([1, 1]);
    expect(both('changes', 3 * M, M)).toEqual([undefined, 1]);
    expect(both('changes', 8 * M, M)).toEqual([0, 1]);
    expect(both('changes', 8 * M, M + 1)).toEqual([1, 2]);
    expect(both('resets', 2 * M, M)).toEqual([1, 1]);
    expect(both('resets', 3 * M, M)).toEqual([undefined, 1]);
    expect(both('resets', 8 * M, M)).toEqual([0, 1]);
    expect(both('resets', 8 * M, M + 1)).toEqual([1, 2]);
  });
});
