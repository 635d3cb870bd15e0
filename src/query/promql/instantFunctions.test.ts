// Instant-function kernels against results transcribed from Prometheus's conformance
// scripts (functions.test, trig_functions.test, histograms.test classic-bucket parts,
// aggregators.test quantile).

import { describe, expect, it } from 'vitest';
import {
  DATE_FUNCTIONS,
  FORCED_MONOTONICITY_INFO,
  MATH_FUNCTIONS,
  bucketFraction,
  bucketQuantile,
  bucketQuantileDetailed,
  clamp,
  formatForcedMonotonicityInfo,
  formatGoFloat,
  labelJoin,
  labelReplace,
  quantile,
  roundTo,
  type Bucket,
} from './instantFunctions.js';
import { CollectNotes } from './testing/notes.js';
import { PromQLError } from './types.js';
import { RegexCache } from '../re2.js';

function close(actual: number, expected: number): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
  } else if (!Number.isFinite(expected) || expected === 0) {
    expect(actual === expected).toBe(true);
  } else {
    expect(Math.abs((actual - expected) / expected)).toBeLessThan(1e-6);
  }
}

describe('MATH_FUNCTIONS', () => {
  const data = [2.5, 2, -2.5, -2, 0, -0, Infinity, -Infinity, NaN];

  it('abs, ceil, floor as functions.test', () => {
    expect(data.map(MATH_FUNCTIONS.abs)).toEqual([2.5, 2, 2.5, 2, 0, 0, Infinity, Infinity, NaN]);
    expect(data.map(MATH_FUNCTIONS.ceil)).toEqual([3, 2, -2, -2, 0, -0, Infinity, -Infinity, NaN]);
    expect(data.map(MATH_FUNCTIONS.floor)).toEqual([2, 2, -3, -2, 0, -0, Infinity, -Infinity, NaN]);
  });

  it('sgn keeps ±0 and NaN', () => {
    expect([-3, 4, 0, -0, NaN, -Infinity].map(MATH_FUNCTIONS.sgn)).toEqual([-1, 1, 0, -0, NaN, -1]);
  });

  it('exp, ln, sqrt, log2, log10', () => {
    expect(MATH_FUNCTIONS.ln(-1)).toBeNaN();
    expect(MATH_FUNCTIONS.ln(0)).toBe(-Infinity);
    expect(MATH_FUNCTIONS.sqrt(-1)).toBeNaN();
    close(MATH_FUNCTIONS.exp(1), Math.E);
    expect(MATH_FUNCTIONS.log2(8)).toBe(3);
    expect(MATH_FUNCTIONS.log10(1000)).toBe(3);
  });

  it('trigonometry as trig_functions.test', () => {
    const t: Array<[string, number, number]> = [
      ['sin', 10, -0.5440211108893699],
      ['sin', 20, 0.9129452507276277],
      ['cos', 10, -0.8390715290764524],
      ['cos', 20, 0.40808206181339196],
      ['tan', 10, 0.6483608274590867],
      ['tan', 20, 2.2371609442247427],
      ['asin', 10 - 10.1, -0.10016742116155944],
      ['asin', 20 - 10.1, NaN],
      ['acos', 10 - 10.1, 1.670963747956456],
      ['acos', 20 - 10.1, NaN],
      ['atan', 10, 1.4711276743037345],
      ['atan', 20, 1.5208379310729538],
      ['sinh', 10, 11013.232920103324],
      ['sinh', 20, 2.4258259770489514e8],
      ['cosh', 10, 11013.232920103324],
      ['cosh', 20, 2.4258259770489514e8],
      ['tanh', 10, 0.9999999958776927],
      ['tanh', 20, 1],
      ['asinh', 10, 2.99822295029797],
      ['asinh', 20, 3.6895038689889055],
      ['acosh', 10, 2.993222846126381],
      ['acosh', 20, 3.6882538673612966],
      ['atanh', 10 - 10.1, -0.10033534773107522],
      ['atanh', 20 - 10.1, NaN],
      ['rad', 10, 0.17453292519943295],
      ['rad', 20, 0.3490658503988659],
      ['rad', -10, -0.17453292519943295],
      ['rad', 0, 0],
      ['deg', 10, 572.9577951308232],
      ['deg', 20, 1145.9155902616465],
      ['deg', -10, -572.9577951308232],
    ];
    for (const [fn, x, want] of t) close(MATH_FUNCTIONS[fn](x), want);
    for (const fn of Object.keys(MATH_FUNCTIONS)) expect(MATH_FUNCTIONS[fn](NaN)).toBeNaN();
  });
});

describe('roundTo and clamp', () => {
  it('round(data) rounds ties up', () => {
    const data = [2.5, 2, -2.5, -2, 0, -0, Infinity, -Infinity, NaN];
    const got = data.map((v) => roundTo(v, 1));
    expect(got.slice(0, 4)).toEqual([3, 2, -2, -2]);
    expect(got[4] === 0 && got[5] === 0).toBe(true);
    expect(got.slice(6)).toEqual([Infinity, -Infinity, NaN]);
  });

  it('round with to_nearest', () => {
    close(roundTo(5.6789, 0.01), 5.68);
    expect(roundTo(12, 5)).toBe(10);
    expect(roundTo(12.5, 5)).toBe(15);
    expect(roundTo(-12.5, 5)).toBe(-10);
    expect(roundTo(1, 0)).toBeNaN(); // inv = +Inf → Inf/Inf
  });

  it('clamp as functions.test', () => {
    const vals = [-50, 0, 100];
    expect(vals.map((v) => clamp(v, -Infinity, 75))).toEqual([-50, 0, 75]);
    expect(vals.map((v) => clamp(v, -25, Infinity))).toEqual([-25, 0, 100]);
    expect(vals.map((v) => clamp(v, -25, 75))).toEqual([-25, 0, 75]);
    expect(vals.map((v) => clamp(clamp(v, -20, Infinity)!, -Infinity, 70))).toEqual([-20, 0, 70]);
    // NaN bounds give NaN; min > max gives no sample.
    expect(vals.map((v) => clamp(v, 0, NaN))).toEqual([NaN, NaN, NaN]);
    expect(vals.map((v) => clamp(v, NaN, 0))).toEqual([NaN, NaN, NaN]);
    expect(vals.map((v) => clamp(v, 5, -5))).toEqual([undefined, undefined, undefined]);
    expect(clamp(NaN, 0, 1)).toBeNaN();
  });
});

describe('DATE_FUNCTIONS', () => {
  const d = DATE_FUNCTIONS;
  it('at the epoch', () => {
    expect(d.year(0)).toBe(1970);
    expect(d.month(0)).toBe(1);
    expect(d.day_of_month(0)).toBe(1);
    expect(d.day_of_year(0)).toBe(1);
    expect(d.day_of_week(0)).toBe(4);
    expect(d.hour(0)).toBe(0);
    expect(d.minute(0)).toBe(0);
  });

  it('2006-01-02T22:04:05Z', () => {
    const t = 1136239445;
    expect(d.year(t)).toBe(2006);
    expect(d.month(t)).toBe(1);
    expect(d.day_of_month(t)).toBe(2);
    expect(d.day_of_year(t)).toBe(2);
    expect(d.day_of_week(t)).toBe(1);
    expect(d.hour(t)).toBe(22);
    expect(d.minute(t)).toBe(4);
  });

  it('year, leap-year and month boundaries', () => {
    expect(d.year(1230767999)).toBe(2008);
    expect(d.year(1230768000)).toBe(2009);
    close(d.month(1456790399) + d.day_of_month(1456790399) / 100, 2.29);
    close(d.month(1456790400) + d.day_of_month(1456790400) / 100, 3.01);
    expect(d.day_of_year(1483191420)).toBe(366);
    expect(d.day_of_year(1672493820)).toBe(365);
    expect(d.days_in_month(1454284800)).toBe(29);
    expect(d.days_in_month(1485907200)).toBe(28);
  });

  it('agrees with Date for random times, truncating fractions toward zero', () => {
    for (let i = 0; i < 2000; i++) {
      const t = Math.round((Math.random() * 2 - 1) * 8e10) + (Math.random() < 0.5 ? 0.75 : 0);
      const dt = new Date(Math.trunc(t) * 1000);
      expect(d.year(t)).toBe(dt.getUTCFullYear());
      expect(d.month(t)).toBe(dt.getUTCMonth() + 1);
      expect(d.day_of_month(t)).toBe(dt.getUTCDate());
      expect(d.day_of_week(t)).toBe(dt.getUTCDay());
      expect(d.hour(t)).toBe(dt.getUTCHours());
      expect(d.minute(t)).toBe(dt.getUTCMinutes());
      // Date.UTC maps years 0-99 to 1900-1999, so build dates with setUTCFullYear.
      const utc = (y: number, mo: number, day: number): Date => {
        const x = new Date(0);
        x.setUTCFullYear(y, mo, day);
        return x;
      };
      const startOfYear = utc(dt.getUTCFullYear(), 0, 1).getTime();
      const startOfDay = utc(dt.getUTCFullYear(), dt.getUTCMonth(), dt.getUTCDate()).getTime();
      expect(d.day_of_year(t)).toBe((startOfDay - startOfYear) / 86400000 + 1);
      expect(d.days_in_month(t)).toBe(utc(dt.getUTCFullYear(), dt.getUTCMonth() + 1, 0).getUTCDate());
    }
    expect(d.hour(-0.5)).toBe(0); // int64(-0.5) == 0
    expect(d.year(NaN)).toBeNaN();
  });
});

describe('labelReplace and labelJoin', () => {
  const m = { __name__: 'testmetric', src: 'source-value-10', dst: 'original-destination-value' };

  it('cases of functions.test', () => {
    expect(labelReplace(m, 'dst', 'destination-value-$1', 'src', 'source-value-(.*)')).toEqual({
      ...m,
      dst: 'destination-value-10',
    });
    // Anchored: "value-(.*)" does not match "source-value-10".
    expect(labelReplace(m, 'dst', 'destination-value-$1', 'src', 'value-(.*)')).toBe(m);
    expect(labelReplace(m, 'dst', '$1-value-$2', 'src', '(.*)-value-(.*)')).toEqual({ ...m, dst: 'source-value-10' });
    // A missing source label matches as the empty string.
    expect(labelReplace(m, 'dst', 'value-$1', 'nonexistent-src', 'source-value-(.*)')).toBe(m);
    expect(labelReplace(m, 'dst', 'value-$1', 'nonexistent-src', '(.*)')).toEqual({ ...m, dst: 'value-' });
    expect(labelReplace(m, 'dst', 'value-$1', 'src', 'non-matching-regex')).toBe(m);
    // Replacing with '' removes the label.
    expect(labelReplace(m, 'dst', '', 'dst', '.*')).toEqual({ __name__: 'testmetric', src: 'source-value-10' });
  });

  it('errors as Prometheus', () => {
    const err = (f: () => unknown): PromQLError => {
      try {
        f();
      } catch (e) {
        return e as PromQLError;
      }
      throw new Error('no error');
    };
    const e1 = err(() => labelReplace(m, 'dst', 'value-$1', 'src', '(.*'));
    expect(e1).toBeInstanceOf(PromQLError);
    expect(e1.errorType).toBe('execution');
    expect(e1.message).toBe('invalid regular expression in label_replace(): (.*');
    expect(err(() => labelReplace(m, '\uFFFD', '', 'src', '(.*)')).message).toBe(
      'invalid destination label name in label_replace(): \uFFFD',
    );
    expect(err(() => labelReplace(m, '', '', '', '')).message).toBe('invalid destination label name in label_replace(): ');
    expect(err(() => labelJoin(m, 'dst', ',', ['ok', ''])).message).toBe('invalid source label name in label_join(): ');
    expect(err(() => labelJoin(m, '', ',', ['src'])).message).toBe('invalid destination label name in label_join(): ');
  });

  it('Go template expansion', () => {
    const l = { a: 'foo-bar' };
    const r = (tpl: string, re = '(?P<first>\\w+)-(\\w+)'): string | undefined =>
      labelReplace(l, 'x', tpl, 'a', re).x;
    expect(r('$1')).toBe('foo');
    expect(r('${2}x')).toBe('barx');
    expect(r('$2x')).toBeUndefined(); // "$2x" names group "2x", which does not exist
    expect(r('$first/$2')).toBe('foo/bar');
    expect(r('${first}_')).toBe('foo_');
    expect(r('$$1')).toBe('$1');
    expect(r('$')).toBe('$');
    expect(r('a$-b')).toBe('a$-b');
    expect(r('${1')).toBe('${1');
    expect(r('$9')).toBeUndefined();
    expect(r('$01')).toBeUndefined();
    expect(r('$0')).toBe('foo-bar');
    expect(labelReplace({ a: 'x' }, 'y', '[$1]', 'a', 'x|(y)').y).toBe('[]');
  });

  it('uses RE2 syntax and anchoring, with an optional cache', () => {
    const cache = new RegexCache(2);
    expect(labelReplace({ a: 'AbC' }, 'b', '$1', 'a', '(?i)(abc)', cache).b).toBe('AbC');
    expect(labelReplace({ a: 'line1\nline2' }, 'b', '$1', 'a', 'line1.(.*)', cache).b).toBe('line2');
    expect(labelReplace({ a: 'a.b' }, 'b', 'ok', 'a', '\\Qa.b\\E', cache).b).toBe('ok');
    expect(labelReplace({ a: 'a_b' }, 'b', 'ok', 'a', '\\Qa.b\\E', cache).b).toBeUndefined();
  });

  it('labelJoin', () => {
    const t = { src: 'a', src1: 'b', src2: 'c', dst: 'original-destination-value' };
    expect(labelJoin(t, 'dst', '-', ['src', 'src1', 'src2']).dst).toBe('a-b-c');
    expect(labelJoin(t, 'dst', '-', ['src', 'src3', 'src1']).dst).toBe('a--b');
    expect(labelJoin(t, 'dst', '', ['emptysrc', 'emptysrc1', 'emptysrc2'])).not.toHaveProperty('dst');
    expect(labelJoin(t, 'dst', ', ', [])).not.toHaveProperty('dst');
    expect(labelJoin({ label: 'x' }, 'idx', ',', ['label', 'label']).idx).toBe('x,x');
  });
});

describe('quantile (aggregation helper)', () => {
  it('as aggregators.test', () => {
    expect(quantile(0.8, [0, 1])).toBeCloseTo(0.8, 12);
    expect(quantile(0.8, [0, 1, 2])).toBeCloseTo(1.6, 12);
    expect(quantile(0.8, [0, 1, 4])).toBeCloseTo(2.8, 12);
    // NaN sorts first: [NaN, 0, 1].
    expect(quantile(0.8, [0, 1, NaN])).toBeCloseTo(0.6, 12);
    expect(quantile(0.2, [0, 1, NaN])).toBeNaN();
    expect(quantile(0.2, [0, 1])).toBeCloseTo(0.2, 12);
    expect(quantile(0.2, [0, 1, 2])).toBeCloseTo(0.4, 12);
    expect(quantile(NaN, [0, 1])).toBeNaN();
    expect(quantile(-1, [0, 1])).toBe(-Infinity);
    expect(quantile(2, [0, 1])).toBe(Infinity);
    expect(quantile(0.5, [])).toBeNaN();
  });
});

/** The buckets of a loaded `_bucket` series set at 50m (10 steps of `0+NxM`). */
function at50(spec: Array<[number, number]>): Bucket[] {
  return spec.map(([upper, perStep]) => ({ upper, count: perStep * 10 }));
}

describe('bucketQuantile', () => {
  const positive = at50([
    [0.1, 5],
    [0.2, 7],
    [1, 11],
    [Infinity, 12],
  ]);
  const negative = at50([
    [-0.2, 1],
    [-0.1, 2],
    [0.3, 2],
    [Infinity, 3],
  ]);
  const h3pos = at50([
    [0, 0],
    [0.1, 5],
    [0.2, 7],
    [1, 11],
    [Infinity, 11],
  ]);
  const h3neg = at50([
    [-0.25, 0],
    [-0.2, 1],
    [-0.1, 2],
    [0.3, 2],
    [Infinity, 2],
  ]);
  const q = (x: number, b: Bucket[]): number => bucketQuantile(x, b, new CollectNotes());

  it('testhistogram3', () => {
    const want: Array<[number, number, number]> = [
      [0, 0, -0.25],
      [0.25, 0.055, -0.225],
      [0.5, 0.125, -0.2],
      [0.75, 0.45, -0.15],
      [1, 1, -0.1],
    ];
    for (const [x, p, n] of want) {
      close(q(x, h3pos), p);
      close(q(x, h3neg), n);
    }
  });

  it('testhistogram', () => {
    const want: Array<[number, number, number]> = [
      [0, 0, -0.2],
      [1, 1, 0.3],
      [0.2, 0.048, -0.2],
      [0.5, 0.15, -0.15],
      [0.8, 0.72, 0.3],
      [-0.1, -Infinity, -Infinity],
      [1.01, Infinity, Infinity],
      [NaN, NaN, NaN],
    ];
    for (const [x, p, n] of want) {
      close(q(x, positive), p);
      close(q(x, negative), n);
    }
  });

  it('testhistogram2 (a rate of it is the same shape)', () => {
    const h2 = at50([
      [0, 0],
      [2, 1],
      [4, 2],
      [6, 3],
      [Infinity, 3],
    ]);
    close(q(1 / 6, h2), 1);
    close(q(0.5, h2), 3);
    close(q(5 / 6, h2), 5);
  });

  it('request_duration_seconds aggregated by le', () => {
    // sum(rate(...[10m])) by (le): per-second rates of (1+2+3+4, 3+5+4+7, 4+6+6+9)/300.
    const sum = [
      { upper: 0.1, count: 10 / 300 },
      { upper: 0.2, count: 19 / 300 },
      { upper: Infinity, count: 25 / 300 },
    ];
    close(q(0.3, sum), 0.075);
    close(q(0.5, sum), 0.1277777777777778);
    const job1 = [
      { upper: 0.1, count: 3 },
      { upper: 0.2, count: 8 },
      { upper: Infinity, count: 10 },
    ];
    close(q(0.3, job1), 0.1);
    close(q(0.5, job1), 0.14);
    const job2ins2 = [
      { upper: 0.1, count: 4 },
      { upper: 0.2, count: 7 },
      { upper: Infinity, count: 9 },
    ];
    close(q(0.3, job2ins2), 0.0675);
    close(q(0.5, job2ins2), 0.11666666666666667);
  });

  it('forces monotonicity with an info', () => {
    const nonmono = at50([
      [0.1, 2],
      [1, 1],
      [10, 5],
      [100, 4],
      [1000, 9],
      [Infinity, 8],
    ]);
    for (const [x, want] of [
      [0.01, 0.0045],
      [0.5, 8.5],
      [0.99, 979.75],
    ]) {
      const notes = new CollectNotes();
      close(bucketQuantile(x, nonmono, notes), want);
      expect(notes.infos).toEqual([FORCED_MONOTONICITY_INFO]);
    }
    const r = bucketQuantileDetailed(0.5, nonmono);
    expect(r).toMatchObject({ forcedMonotonic: true, minBucket: 1, maxBucket: Infinity, maxDiff: 10 });
    // The input is not modified.
    expect(nonmono[1].count).toBe(10);
    const notes = new CollectNotes();
    bucketQuantile(0.5, positive, notes);
    expect(notes.infos).toEqual([]);
  });

  it('merges equal upper bounds (mixed le spellings), needs +Inf, NaN for no observations', () => {
    const mixed = [
      { upper: 0.1, count: 1 / 60 },
      { upper: 0.2, count: 1 / 60 },
      { upper: 0.2, count: 1 / 60 },
      { upper: 0.2, count: 1 / 60 },
      { upper: Infinity, count: 4 / 60 },
    ];
    close(q(0.5, mixed), 0.15);
    close(q(0.75, mixed), 0.2);
    close(q(1, mixed), 0.2);
    expect(q(0.5, [{ upper: Infinity, count: 0 }, { upper: Infinity, count: 0 }])).toBeNaN();
    expect(q(0.2, [{ upper: 0.1, count: 0 }, { upper: 0.2, count: 0 }, { upper: Infinity, count: 0 }])).toBeNaN();
    expect(q(0.5, [{ upper: 1, count: 1 }, { upper: 2, count: 2 }])).toBeNaN();
    expect(q(0.5, [{ upper: Infinity, count: 5 }])).toBeNaN();
    expect(q(0.5, [])).toBeNaN();
    // Unsorted input is fine.
    close(q(0.25, [...h3pos].reverse()), 0.055);
  });

  it('ignores relative deltas below 1e-12 without an info', () => {
    const b = [
      { upper: 1, count: 1e13 },
      { upper: 2, count: 1e13 - 1 },
      { upper: Infinity, count: 2e13 },
    ];
    const notes = new CollectNotes();
    const r = bucketQuantileDetailed(0.5, b);
    expect(r.fixedPrecision).toBe(true);
    expect(r.forcedMonotonic).toBe(false);
    bucketQuantile(0.5, b, notes);
    expect(notes.infos).toEqual([]);
  });

  it('formats the merged forced-monotonicity info as Prometheus 3.13+', () => {
    expect(formatForcedMonotonicityInfo('', 3000000, 3000000, 1, Infinity, 10, 1)).toBe(
      FORCED_MONOTONICITY_INFO + ', from buckets 1 to +Inf, with a max diff of 10, over 1 samples from 1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z',
    );
    expect(formatForcedMonotonicityInfo('x', 0, 60000, 2.5, 75, 7.5, 3)).toContain(' for metric name "x", from buckets 2.5 to 75');
  });
});

describe('bucketFraction', () => {
  const h = (spec: Array<[number, number]>): Bucket[] => spec.map(([upper, count]) => ({ upper, count }));
  const pos = h([
    [1, 1],
    [2, 3],
    [3, 6],
    [Infinity, 100],
  ]);
  const neg = h([
    [-3, 10],
    [-2, 12],
    [-1, 15],
    [Infinity, 100],
  ]);

  it('cases of histograms.test', () => {
    const h2 = h([
      [0, 0],
      [2, 10],
      [4, 20],
      [6, 30],
      [Infinity, 30],
    ]);
    close(bucketFraction(0, 4, h2), 0.6666666666666666);
    close(bucketFraction(0, 6, h2), 1);
    close(bucketFraction(0, 3.5, h2), 0.5833333333333334);
    const h3pos = h([
      [0, 0],
      [0.1, 50],
      [0.2, 70],
      [1, 110],
      [Infinity, 110],
    ]);
    const h3neg = h([
      [-0.25, 0],
      [-0.2, 10],
      [-0.1, 20],
      [0.3, 20],
      [Infinity, 20],
    ]);
    close(bucketFraction(0, 0.2, h3pos), 0.6363636363636364);
    close(bucketFraction(0, 0.2, h3neg), 0);
    close(bucketFraction(0, 1.5, pos), 0.02);
    close(bucketFraction(-4, -2, neg), 0.02);
    close(bucketFraction(-Infinity, -1.5, neg), 0.135);
    close(bucketFraction(-Infinity, Infinity, pos), 1);
    close(bucketFraction(-Infinity, Infinity, neg), 1);
    close(bucketFraction(4, 5, pos), 0);
    close(bucketFraction(0, 1, neg), 0);
    close(bucketFraction(2, 5, pos), 0.03);
    close(bucketFraction(400, Infinity, pos), 0.94);
    close(bucketFraction(2, 2, pos), 0);
    close(bucketFraction(3, 2, pos), 0);
    close(bucketFraction(0, 1, h([[Infinity, 100]])), 0);
    expect(bucketFraction(0, 5, h([[1, 0], [2, 0], [3, 0], [Infinity, 0]]))).toBeNaN();
    close(bucketFraction(2, 3.5, pos), 0.03);
    close(bucketFraction(0.5, 2, pos), 0.025);
    close(bucketFraction(1, 3, pos), 0.05);
    close(bucketFraction(0.1, 0.75, h([[0.5, 2.5], [1, 7.5], [Infinity, 100]])), 0.045);
    close(bucketFraction(-1, 1, h([[-2, 5], [-1, 10], [0, 15], [1, 20], [Infinity, 100]])), 0.1);
    expect(bucketFraction(NaN, 1, h([[1, 1], [Infinity, 100]]))).toBeNaN();
    expect(bucketFraction(0, NaN, h([[1, 1], [Infinity, 100]]))).toBeNaN();
    close(bucketFraction(-10, -5, h([[1, 1], [2, 3], [Infinity, 10]])), 0);
    close(bucketFraction(5, 10, h([[1, 1], [2, 3], [Infinity, 10]])), 0);
    expect(bucketFraction(0, 1, h([[1, 1], [2, 3]]))).toBeNaN();
    expect(bucketFraction(0, 1, [])).toBeNaN();
  });
});

describe('formatGoFloat', () => {
  it('matches Go %g', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [1, '1'],
      [-0.5, '-0.5'],
      [2, '2'],
      [1.5, '1.5'],
      [100000, '100000'],
      [123456, '123456'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1e21, '1e+21'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [NaN, 'NaN'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [0.1, '0.1'],
      [1.01, '1.01'],
    ];
    for (const [v, s] of cases) expect(formatGoFloat(v)).toBe(s);
  });

  it('matches Go %.2g', () => {
    const cases: Array<[number, string]> = [
      [5.5, '5.5'],
      [10, '10'],
      [7.5, '7.5'],
      [100, '1e+02'],
      [0.123, '0.12'],
      [2, '2'],
      [0.00001234, '1.2e-05'],
    ];
    for (const [v, s] of cases) expect(formatGoFloat(v, 2)).toBe(s);
  });
});
