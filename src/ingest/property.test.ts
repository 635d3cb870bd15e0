// Property tests: points -> line protocol -> points is the identity (floats by bits), the
// parser reads every spelling the grammar allows, and serialize(parse(text)) is a fixpoint.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { getInt64 } from '../int64.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { FieldTypeCode, Point, Precision, TypedFieldValue } from '../types.js';
import type { PointBatch } from './batch.js';
import { parseLineProtocol } from './lineprotocol.js';
import { compareUtf8, escapeMeasurement, escapeTag, escapeStringValue, makeSeriesKey, nameProblem, parseSeriesKey, seriesKeyTags } from './seriesKey.js';
import { formatFloat, formatLine, MAX_TIME, MIN_TIME, pointsToLineProtocol } from './serialize.js';
import type { FieldEntry } from './serialize.js';

const RUNS = 1000;

// ---- generators -------------------------------------------------------------------------

/** Pieces that stress escaping and decoding. */
const NASTY = [',', ' ', '=', '\\', '\\\\', '"', '\\"', "'", '#', '\t', 'é', 'ß', '東京', '😀', '\u00a0', '\u2028', '\ufeff', '\u0001', '\\ ', '\\,', '\\=', 'time', 'a', 'b', 'Z', '0', '_', '-', '.', '\n', '\r\n'];

const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }) },
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
);
/** Any name, representable or not. */
const anyName = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
/** Names line protocol can carry as this kind of name. */
const nameOf = (kind: 'measurement' | 'tag key' | 'tag value' | 'field key') => anyName.filter((s) => nameProblem(kind, s) === '');

const int64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 32n, -(2n ** 32n)),
);
const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n));
const float = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1, 1e21, 1e-7, 123456.7, 9007199254740993),
);
const strValue = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.array(fc.constantFrom(...NASTY), { maxLength: 6 }).map((a) => a.join('')));

type FieldValue = Point['fields'][string];
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  float,
  int64,
  fc.boolean(),
  strValue,
  uint64.map((value): TypedFieldValue => ({ type: 'unsigned', value })),
  float.map((value): TypedFieldValue => ({ type: 'float', value })),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map((value): TypedFieldValue => ({ type: 'integer', value })),
);

const time = fc.oneof(
  fc.bigInt({ min: MIN_TIME, max: MAX_TIME }),
  fc.constantFrom(MIN_TIME, MAX_TIME, 0n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 1700000000123456789n),
  // Dates within the int64 ns range (about 1677-09-21 .. 2262-04-11)
  fc.date({ noInvalidDate: true, min: new Date(-9223372036854), max: new Date(9223372036854) }),
);

function pointArb(name: (kind: 'measurement' | 'tag key' | 'tag value' | 'field key') => fc.Arbitrary<string>): fc.Arbitrary<Point> {
  return fc.record(
    {
      measurement: name('measurement'),
      tags: fc.uniqueArray(fc.tuple(name('tag key'), name('tag value')), { maxLength: 4, selector: (t) => t[0] }).map((e) => Object.fromEntries(e)),
      fields: fc.uniqueArray(fc.tuple(name('field key'), fieldValue), { minLength: 1, maxLength: 5, selector: (t) => t[0] }).map((e) => Object.fromEntries(e)),
      time,
    },
    { requiredKeys: ['measurement', 'fields'] },
  );
}

// ---- helpers -----------------------------------------------------------------------------

const T_NAME: Record<number, string> = { [FLOAT]: 'float', [INTEGER]: 'integer', [UNSIGNED]: 'unsigned', [BOOLEAN]: 'boolean', [STRING]: 'string' };

function f64bits(x: number): string {
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, x, true);
  return d.getBigUint64(0, true).toString(16);
}

/** A point as comparable data (floats as bits, tags sorted). */
function expected(p: Point, defaultTime: bigint) {
  const tags = Object.entries(p.tags ?? {}).sort((a, b) => compareUtf8(a[0], b[0]));
  const fields = Object.entries(p.fields).map(([k, v]) => {
    let t: string;
    let x: unknown = v;
    if (typeof v === 'object' && v !== null) {
      t = v.type;
      x = v.value;
    } else t = typeof v === 'number' ? 'float' : typeof v === 'bigint' ? 'integer' : typeof v;
    if (t === 'float') return [k, t, f64bits(x as number)];
    if (t === 'integer' || t === 'unsigned') return [k, t, BigInt(x as number | bigint).toString()];
    return [k, t, String(x)];
  });
  const tm = p.time === undefined ? defaultTime : p.time instanceof Date ? BigInt(p.time.getTime()) * 1000000n : p.time;
  return { measurement: p.measurement, tags, fields, time: tm.toString() };
}

function actual(r: PointBatch) {
  const out = [];
  for (let i = 0; i < r.count; i++) {
    const { measurement, tags } = parseSeriesKey(r.seriesKey[i]);
    const fields = [];
    for (let j = r.fieldStart[i]; j < r.fieldStart[i + 1]; j++) {
      const t = r.fieldType[j];
      const name = T_NAME[t];
      let v: string;
      if (t === FLOAT) v = f64bits(r.fieldF64[j]);
      else if (t === INTEGER) v = getInt64(r.fieldBits, j).toString();
      else if (t === UNSIGNED) v = BigInt.asUintN(64, getInt64(r.fieldBits, j)).toString();
      else if (t === BOOLEAN) v = String(r.fieldF64[j] === 1);
      else v = r.fieldStr[j];
      fields.push([r.fieldKey[j], name, v]);
    }
    out.push({ measurement, tags, fields, time: r.timeOf(i).toString() });
  }
  return out;
}

/** Re-serializes a parsed batch with the export path's formatter. */
function reserialize(r: PointBatch): string {
  let s = '';
  for (let i = 0; i < r.count; i++) {
    const fields: FieldEntry[] = [];
    for (let j = r.fieldStart[i]; j < r.fieldStart[i + 1]; j++) {
      const t = r.fieldType[j] as FieldTypeCode;
      let v: number | bigint | boolean | string;
      if (t === FLOAT) v = r.fieldF64[j];
      else if (t === INTEGER) v = getInt64(r.fieldBits, j);
      else if (t === UNSIGNED) v = BigInt.asUintN(64, getInt64(r.fieldBits, j));
      else if (t === BOOLEAN) v = r.fieldF64[j] === 1;
      else v = r.fieldStr[j];
      fields.push([r.fieldKey[j], t, v]);
    }
    s += formatLine(r.seriesKey[i], fields, r.timeOf(i)) + '\n';
  }
  return s;
}

const parse = (text: string | Buffer, defaultTime = 123n, precision: Precision = 'ns') =>
  parseLineProtocol(typeof text === 'string' ? Buffer.from(text) : text, { precision, defaultTime });

// ---- properties ----------------------------------------------------------------------------

describe('line protocol properties', () => {
  it('parse(serialize(points)) gives back the points; serialize(parse(text)) gives back the text', () => {
    fc.assert(
      fc.property(fc.array(pointArb(nameOf), { minLength: 1, maxLength: 8 }), (points) => {
        const text = pointsToLineProtocol(points);
        const r = parse(text, 123n);
        expect(r.errors).toEqual([]);
        expect(actual(r)).toEqual(points.map((p) => expected(p, 123n)));
        for (let i = 0; i < points.length; i++) {
          expect(r.seriesKey[i]).toBe(makeSeriesKey(points[i].measurement, points[i].tags ?? {}));
        }
        // with every time explicit, the export formatter writes exactly the same text
        const full = pointsToLineProtocol(points, 123n);
        const back = reserialize(parse(full));
        expect(back).toBe(full.toString('utf8'));
      }),
      { numRuns: RUNS },
    );
  });

  it('reads every spelling the grammar allows for the same points, and re-serializes them canonically', () => {
    // one point written with shuffled tags, alternative number spellings, extra spaces,
    // CRLF or LF, comments and blank lines around it
    const spelled = fc
      .record({
        point: pointArb(nameOf),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      })
      .map(({ point, seed }) => {
        let s = seed;
        const rnd = (n: number) => {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          return (s >>> 8) % n;
        };
        const tags = Object.entries(point.tags ?? {});
        for (let i = tags.length - 1; i > 0; i--) {
          const j = rnd(i + 1);
          [tags[i], tags[j]] = [tags[j], tags[i]];
        }
        const sp = () => ' '.repeat(1 + rnd(3));
        let line = ' '.repeat(rnd(2)) + escapeMeasurement(point.measurement);
        for (const [k, v] of tags) line += `,${escapeTag(k)}=${escapeTag(v)}`;
        line += sp();
        line += Object.entries(point.fields)
          .map(([k, v]) => `${escapeTag(k)}=${spell(v, rnd)}`)
          .join(',');
        if (point.time !== undefined) {
          const t = point.time instanceof Date ? BigInt(point.time.getTime()) * 1000000n : point.time;
          line += sp() + (t < 0n ? '-' : '') + '0'.repeat(rnd(3)) + (t < 0n ? -t : t).toString();
        }
        line += ' '.repeat(rnd(3));
        const nl = rnd(2) ? '\r\n' : '\n';
        const before = ['', `# comment ${rnd(9)}${nl}`, nl, `   ${nl}`][rnd(4)];
        return { point, text: before + line + nl + ['', '#', '  # x'][rnd(3)] };
      });
    fc.assert(
      fc.property(fc.array(spelled, { minLength: 1, maxLength: 6 }), (items) => {
        const text = items.map((x) => x.text).join('\n');
        const r = parse(text, 77n);
        expect(r.errors).toEqual([]);
        expect(actual(r)).toEqual(items.map((x) => expected(x.point, 77n)));
        const canon = reserialize(r);
        const r2 = parse(canon);
        expect(actual(r2)).toEqual(actual(r));
        expect(reserialize(r2)).toBe(canon);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses points it cannot write, naming the problem, and writes all others', () => {
    fc.assert(
      fc.property(pointArb(() => anyName), (p) => {
        const problems = [nameProblem('measurement', p.measurement)];
        for (const [k, v] of Object.entries(p.tags ?? {})) problems.push(nameProblem('tag key', k), nameProblem('tag value', v));
        for (const k of Object.keys(p.fields)) problems.push(nameProblem('field key', k));
        const bad = problems.some((x) => x !== '');
        let err: unknown;
        let text: Buffer | undefined;
        try {
          text = pointsToLineProtocol([p]);
        } catch (e) {
          err = e;
        }
        if (bad) {
          expect(err).toBeInstanceOf(BadRequestError);
          expect((err as BadRequestError).code).toBe('STRATA_ERR_BAD_PARAMETER');
          expect((err as Error).message).toMatch(/^points\[0\]: /);
        } else {
          expect(err).toBeUndefined();
          const r = parse(text as Buffer);
          expect(r.errors).toEqual([]);
          expect(actual(r)).toEqual([expected(p, 123n)]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('seriesKeyTags reads a series key as parseSeriesKey does, escapes or not', () => {
    const plain = fc.stringMatching(/^[a-z0-9_.:-]{1,8}$/);
    const name = (kind: 'measurement' | 'tag key' | 'tag value') => fc.oneof(plain, nameOf(kind));
    fc.assert(
      fc.property(name('measurement'), fc.uniqueArray(fc.tuple(name('tag key'), name('tag value')), { selector: (t) => t[0], maxLength: 6 }), (m, tags) => {
        const key = makeSeriesKey(m, tags);
        expect(seriesKeyTags(key)).toEqual(Object.fromEntries(parseSeriesKey(key).tags));
      }),
      { numRuns: RUNS },
    );
    expect(seriesKeyTags('cpu')).toEqual({});
    expect(seriesKeyTags('cpu,host=a,region=eu')).toEqual({ host: 'a', region: 'eu' });
    expect(seriesKeyTags('a=b,k=v')).toEqual({ k: 'v' });
    expect(() => seriesKeyTags('cpu,host')).toThrow(/malformed series key/);
  });

  it('formatFloat is the shortest text that reads back as the same bits', () => {
    fc.assert(
      fc.property(float, (x) => {
        const s = formatFloat(x);
        expect(f64bits(Number(s))).toBe(f64bits(x));
        const r = parse(`m v=${s}`);
        expect(r.errors).toEqual([]);
        expect(f64bits(r.fieldF64[0])).toBe(f64bits(x));
        // the digits are JavaScript's shortest round-trip digits (Go's %g -1 picks the same)
        const sig = (t: string) => t.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
        expect(sig(s)).toBe(sig(x.toExponential()));
      }),
      { numRuns: 5000 },
    );
  });
});

/** A field value in one of the spellings line protocol allows. */
function spell(v: FieldValue, rnd: (n: number) => number): string {
  if (typeof v === 'object' && v !== null) {
    if (v.type === 'float') return spellFloat(v.value, rnd);
    if (v.type === 'unsigned') return '0'.repeat(rnd(3)) + BigInt(v.value).toString() + 'u';
    if (v.type === 'integer') return spellInt(BigInt(v.value), rnd);
    return spell(v.value, rnd);
  }
  if (typeof v === 'number') return spellFloat(v, rnd);
  if (typeof v === 'bigint') return spellInt(v, rnd);
  if (typeof v === 'boolean') return v ? ['t', 'T', 'true', 'True', 'TRUE'][rnd(5)] : ['f', 'F', 'false', 'False', 'FALSE'][rnd(5)];
  return '"' + escapeStringValue(v) + '"';
}

function spellInt(v: bigint, rnd: (n: number) => number): string {
  const neg = v < 0n;
  return (neg ? '-' : '') + '0'.repeat(rnd(3)) + (neg ? -v : v).toString() + 'i';
}

function spellFloat(x: number, rnd: (n: number) => number): string {
  const forms = [formatFloat(x), String(x), x.toExponential(), x.toExponential().toUpperCase(), x.toPrecision(17)];
  if (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e21) forms.push(x.toFixed(20).replace(/0+$/, ''));
  let s = forms[rnd(forms.length)];
  if (Object.is(x, -0)) s = ['-0', '-0.', '-.0', '-0e0', '-0.0E-5'][rnd(5)];
  return s;
}
