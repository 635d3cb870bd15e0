import { describe, expect, it } from 'vitest';
import { PointBatch } from './batch.js';
import { parseLineProtocol, validUtf8 } from './lineprotocol.js';
import { compareUtf8, makeSeriesKey, measurementOf, parseSeriesKey } from './seriesKey.js';
import { appendLine, formatFloat, formatPoint, pointsToLineProtocol } from './serialize.js';
import { BadRequestError } from '../errors.js';
import { getInt64 } from '../int64.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { Point, Precision } from '../types.js';

type Val = number | bigint | boolean | string;
interface P {
  key: string;
  time: bigint;
  line: number;
  fields: Record<string, Val>;
  types: string;
}

const T: Record<number, string> = { [FLOAT]: 'f', [INTEGER]: 'i', [UNSIGNED]: 'u', [BOOLEAN]: 'b', [STRING]: 's' };

function points(r: PointBatch): P[] {
  const out: P[] = [];
  for (let i = 0; i < r.count; i++) {
    const fields: Record<string, Val> = {};
    let types = '';
    for (let j = r.fieldStart[i]; j < r.fieldStart[i + 1]; j++) {
      const t = r.fieldType[j];
      types += T[t];
      const k = r.fieldKey[j];
      if (t === FLOAT) fields[k] = r.fieldF64[j];
      else if (t === INTEGER) fields[k] = getInt64(r.fieldBits, j);
      else if (t === UNSIGNED) fields[k] = BigInt.asUintN(64, getInt64(r.fieldBits, j));
      else if (t === BOOLEAN) fields[k] = r.fieldF64[j] === 1;
      else fields[k] = r.fieldStr[j];
    }
    out.push({ key: r.seriesKey[i], time: r.timeOf(i), line: r.lineNo[i], fields, types });
  }
  return out;
}

function parse(text: string | Buffer, precision: Precision = 'ns', defaultTime = 42n) {
  const r = parseLineProtocol(typeof text === 'string' ? Buffer.from(text) : text, { precision, defaultTime });
  return { r, pts: points(r), errors: r.errors };
}

/** The single point of a one-line input (fails the test on errors). */
function one(text: string, precision: Precision = 'ns', defaultTime = 42n): P {
  const { pts, errors } = parse(text, precision, defaultTime);
  expect(errors).toEqual([]);
  expect(pts.length).toBe(1);
  return pts[0];
}

/** The reason of the single error of a one-line input. */
function reason(text: string | Buffer, precision: Precision = 'ns'): string {
  const { errors, r } = parse(text, precision);
  expect(r.count).toBe(0);
  expect(errors.length).toBe(1);
  return errors[0].message.replace(/^unable to parse '.*': /s, '');
}

function f(text: string): number {
  return one(`m v=${text}`).fields.v as number;
}

function bits(x: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b.toString('hex');
}

describe('parseLineProtocol: points', () => {
  it('parses every field type, the series key, time and byte offsets', () => {
    const text = 'cpu,host=a,region=eu f=1.5,i=-3i,u=7u,b=t,s="hi" 1700000000000000000\n';
    const { r, pts } = parse(text);
    expect(pts).toEqual([
      { key: 'cpu,host=a,region=eu', time: 1700000000000000000n, line: 1, fields: { f: 1.5, i: -3n, u: 7n, b: true, s: 'hi' }, types: 'fiubs' },
    ]);
    expect(r.lineStart[0]).toBe(0);
    expect(r.lineEnd[0]).toBe(text.length - 1);
    expect(r.lines).toBe(1);
    expect(r.fieldCount).toBe(5);
    expect(r.fieldStart[1]).toBe(5);
  });

  it('sorts tags into the canonical series key (byte order of the unescaped key)', () => {
    expect(one('m,z=1,a=2,m=3 v=1').key).toBe('m,a=2,m=3,z=1');
    expect(one('m,b=1,B=2,a=3 v=1').key).toBe('m,B=2,a=3,b=1');
    expect(one('m,ab=1,a=2 v=1').key).toBe('m,a=2,ab=1');
    // escaped characters sort by their unescaped value: ' ' (0x20) < ',' (0x2c) < '=' (0x3d) < 'a'
    expect(one('m,a\\==1,a\\,=2,a\\ =3,a=4 v=1').key).toBe('m,a=4,a\\ =3,a\\,=2,a\\==1');
    // non-ASCII keys sort by UTF-8 bytes, like makeSeriesKey
    const k = one('m,😀=1,ｚ=2,é=3 v=1').key;
    expect(k).toBe('m,é=3,ｚ=2,😀=1');
    expect(k).toBe(makeSeriesKey('m', { '😀': '1', 'ｚ': '2', 'é': '3' }));
  });

  it('gives the same key string for sorted and unsorted spellings, and reuses it', () => {
    const { pts } = parse('m,b=2,a=1 v=1\nm,a=1,b=2 v=2\nm,b=2,a=1 v=3\n');
    expect(new Set(pts.map((p) => p.key))).toEqual(new Set(['m,a=1,b=2']));
    const key = makeSeriesKey('m', [['b', '2'], ['a', '1']]);
    expect(pts[0].key).toBe(key);
  });

  it('handles escapes in measurement, tag keys, tag values and field keys', () => {
    const p = one('my\\ cpu\\,x,ta\\ g=v\\,a\\=l\\ ue,t\\=k=x f\\,k\\=e\\ y=1');
    expect(p.key).toBe('my\\ cpu\\,x,t\\=k=x,ta\\ g=v\\,a\\=l\\ ue');
    expect(parseSeriesKey(p.key)).toEqual({
      measurement: 'my cpu,x',
      tags: [['t=k', 'x'], ['ta g', 'v,a=l ue']],
    });
    expect(Object.keys(p.fields)).toEqual(['f,k=e y']);
  });

  it('keeps backslashes that escape nothing, and treats a run of backslashes as one escape', () => {
    expect(parseSeriesKey(one('m\\=x,k=a\\b v=1').key)).toEqual({ measurement: 'm\\=x', tags: [['k', 'a\\b']] });
    // `east\\ ` is the value `east\ ` (the run of backslashes escapes the space)
    expect(parseSeriesKey(one('cpu,regions=east\\\\  value=1.0').key).tags).toEqual([['regions', 'east\\ ']]);
    expect(parseSeriesKey(one('cpu,host=two\\\\\\ words value=42').key).tags).toEqual([['host', 'two\\\\ words']]);
    expect(Object.keys(one('u \\e\\\\\\ =4').fields)).toEqual(['\\e\\\\ ']);
    expect(parseSeriesKey(one('cpu,reg\\\\=ion=east value=1.0').key).tags).toEqual([['reg\\=ion', 'east']]);
  });

  it('allows = in a measurement, quotes in names, control characters in tag values', () => {
    expect(one('cpu=load,k=v v=1').key).toBe('cpu=load,k=v');
    expect(one('"cpu",\'k\'="v" v=1').key).toBe('"cpu",\'k\'="v"');
    expect(parseSeriesKey(one('m,k=x\u0001y\tz v=1').key).tags).toEqual([['k', 'x\u0001y\tz']]);
  });

  it('decodes UTF-8 everywhere', () => {
    const p = one('températüre,城市=東京 välue="ü 😀 \\"q\\"",😀=1i');
    expect(parseSeriesKey(p.key)).toEqual({ measurement: 'températüre', tags: [['城市', '東京']] });
    expect(p.fields).toEqual({ 'välue': 'ü 😀 "q"', '😀': 1n });
  });

  it('parses string fields: only \\" and \\\\ are escapes; newlines and commas are literal', () => {
    expect(one('m s="a\\"b\\\\c"').fields.s).toBe('a"b\\c');
    expect(one('m s="\\n\\t\\r"').fields.s).toBe('\\n\\t\\r');
    expect(one('m s="a,b c=d"').fields.s).toBe('a,b c=d');
    expect(one('m s=""').fields.s).toBe('');
    expect(one('m s="x\\\\"').fields.s).toBe('x\\');
    expect(one('m s="\\\\\\""').fields.s).toBe('\\"');
    expect(one('m s="line1\nline2\r\nline3"').fields.s).toBe('line1\nline2\r\nline3');
  });

  it('counts the lines of a multi-line string value', () => {
    const { pts, errors } = parse('m s="a\nb\nc" 1\nm v=1 2\nm v=x\n');
    expect(pts.map((p) => [p.line, p.time])).toEqual([[1, 1n], [4, 2n]]);
    expect(errors.map((e) => e.line)).toEqual([5]);
  });

  it('parses booleans in every spelling InfluxDB accepts', () => {
    const p = one('m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE');
    expect(p.fields).toEqual({ a: true, b: true, c: true, d: true, e: true, f: false, g: false, h: false, i: false, j: false });
    for (const bad of ['tRUE', 'truE', 'tru', 'truee', 'fals', 'FaLsE', 'yes', 'T1']) {
      expect(reason(`m v=${bad}`), bad).toMatch(/invalid (boolean|field format)/);
    }
  });

  it('keeps the last value of a repeated field key', () => {
    const p = one('m a=1,b=2,a=3,c="x",b="y"');
    expect(p.fields).toEqual({ a: 3, c: 'x', b: 'y' });
    expect(p.types).toBe('fss');
    // and the batch holds each key once
    const { r } = parse('m a=1,a=2,a=3');
    expect(r.fieldCount).toBe(1);
    expect(r.fieldF64[0]).toBe(3);
  });

  it('takes field keys from the previous line or the cache, whatever the order', () => {
    const { pts } = parse('m a=1,b=2\nm b=3,a=4\nm a=5\nm c=6,a=7,b=8\nm a=9,b=10\n');
    expect(pts.map((p) => p.fields)).toEqual([{ a: 1, b: 2 }, { b: 3, a: 4 }, { a: 5 }, { c: 6, a: 7, b: 8 }, { a: 9, b: 10 }]);
    // a prefix of the predicted key is another key
    expect(parse('m abc=1\nm ab=2\nm abcd=3\n').pts.map((p) => p.fields)).toEqual([{ abc: 1 }, { ab: 2 }, { abcd: 3 }]);
  });
});

describe('parseLineProtocol: numbers', () => {
  it('parses floats in every form of the grammar', () => {
    expect(f('1')).toBe(1);
    expect(f('-1')).toBe(-1);
    expect(f('1.')).toBe(1);
    expect(f('.5')).toBe(0.5);
    expect(f('-.5')).toBe(-0.5);
    expect(f('1.5e3')).toBe(1500);
    expect(f('1.5E+3')).toBe(1500);
    expect(f('15e-1')).toBe(1.5);
    expect(f('1.e2')).toBe(100);
    expect(f('.1e1')).toBe(1);
    expect(f('0005')).toBe(5);
    expect(f('0.0001')).toBe(0.0001);
    expect(f('6.632243e+06')).toBe(6632243);
    expect(bits(f('-0'))).toBe(bits(-0));
    expect(bits(f('-0.0e5'))).toBe(bits(-0));
    expect(bits(f('0e999999999999'))).toBe(bits(0));
  });

  it('parses extreme floats exactly', () => {
    expect(f('1.7976931348623157e308')).toBe(Number.MAX_VALUE);
    expect(f('-1.7976931348623157e+308')).toBe(-Number.MAX_VALUE);
    expect(f('5e-324')).toBe(5e-324);
    expect(f('2.2250738585072014e-308')).toBe(2.2250738585072014e-308);
    expect(f('2.225073858507201e-308')).toBe(2.225073858507201e-308); // subnormal
    expect(f('1e-400')).toBe(0); // underflow reads as 0, as in Go
    expect(f('9007199254740993')).toBe(9007199254740992); // ties to even, not the fast path
    expect(f('0.1')).toBe(0.1);
    expect(f('123456789012345678901234567890')).toBe(1.2345678901234568e29);
    expect(f('1' + '0'.repeat(308))).toBe(1e308);
    expect(f('0.' + '0'.repeat(320) + '1e320')).toBe(0.1);
  });

  it('matches Number() on many random doubles in shortest, fixed and exponent forms', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const lines: string[] = [];
    const want: number[] = [];
    const buf = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 3000; i++) {
      let x: number;
      if (i % 3 === 0) {
        buf.setUint32(0, (rnd() * 4294967296) >>> 0);
        buf.setUint32(4, (rnd() * 4294967296) >>> 0);
        x = buf.getFloat64(0);
        if (!Number.isFinite(x)) continue;
      } else x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      for (const s of [String(x), x.toExponential(), x.toPrecision(17), x.toFixed(Math.floor(rnd() * 20)), formatFloat(x)]) {
        lines.push(`m v=${s}`);
        want.push(Number(s));
      }
    }
    const { pts, errors } = parse(lines.join('\n'));
    expect(errors).toEqual([]);
    const got = pts.map((p) => p.fields.v as number);
    const bad = got.map((g, i) => (bits(g) === bits(want[i]) ? '' : `${lines[i]} -> ${g}, want ${want[i]}`)).filter((s) => s);
    expect(bad).toEqual([]);
  });

  it('rejects what Number() accepts but line protocol does not', () => {
    for (const bad of ['NaN', 'nan', 'Inf', 'inf', '+Inf', '-Infinity', 'Infinity', '0x10', '0b1', '1_000', '+1', '1e', '1e+', '.', '-', '-.', '.e1', '1..2', '1.2.3', '1ee2', '--1', '1-', ' 1']) {
      const { r, errors } = parse(`m v=${bad}`);
      expect(r.count, bad).toBe(0);
      expect(errors.length, bad).toBe(1);
    }
    expect(reason('m v=1e400')).toMatch(/invalid number.*out of range/);
    expect(reason('m v=-1e400')).toMatch(/out of range/);
  });

  it('parses int64 and uint64 extremes exactly and rejects overflow', () => {
    expect(one('m v=9223372036854775807i').fields.v).toBe(9223372036854775807n);
    expect(one('m v=-9223372036854775808i').fields.v).toBe(-9223372036854775808n);
    expect(one('m v=-0009223372036854775808i').fields.v).toBe(-9223372036854775808n);
    expect(one('m v=00000000000000000000000001i').fields.v).toBe(1n);
    expect(one('m v=-0i').fields.v).toBe(0n);
    expect(one('m v=9007199254740993i').fields.v).toBe(9007199254740993n);
    expect(one('m v=-9007199254740993i').fields.v).toBe(-9007199254740993n);
    expect(one('m v=123456789012345i').fields.v).toBe(123456789012345n);
    expect(one('m v=-4294967296i').fields.v).toBe(-4294967296n);
    expect(one('m v=18446744073709551615u').fields.v).toBe(18446744073709551615n);
    expect(one('m v=9223372036854775808u').fields.v).toBe(9223372036854775808n);
    expect(one('m v=0u').fields.v).toBe(0n);
    expect(one('m v=00018446744073709551615u').fields.v).toBe(18446744073709551615n);
    expect(reason('m v=9223372036854775808i')).toMatch(/out of range/);
    expect(reason('m v=-9223372036854775809i')).toMatch(/out of range/);
    expect(reason('m v=99999999999999999999i')).toMatch(/out of range/);
    expect(reason('m v=18446744073709551616u')).toMatch(/out of range/);
    expect(reason('m v=99999999999999999999u')).toMatch(/out of range/);
    expect(reason('m v=100000000000000000000u')).toMatch(/out of range/);
    expect(reason('m v=-1u')).toMatch(/invalid number/);
    expect(reason('m v=-0u')).toMatch(/invalid number/);
    for (const bad of ['1.0i', '1e3i', '-i', 'i', '1ii', '1iu', '1u2', '0x1i', '1 i']) {
      expect(parse(`m v=${bad}`).r.count, bad).toBe(0);
    }
  });

  it('parses every integer of a range like BigInt does', () => {
    const vals: bigint[] = [];
    for (let e = 0n; e < 64n; e++) for (const d of [-1n, 0n, 1n]) vals.push((1n << e) + d, -((1n << e) + d));
    for (let k = 0n; k <= 19n; k++) vals.push(10n ** k, 10n ** k - 1n, -(10n ** k), -(10n ** k - 1n));
    const ints = vals.filter((v) => v >= -(2n ** 63n) && v < 2n ** 63n);
    const uints = vals.filter((v) => v >= 0n && v < 2n ** 64n);
    const text = ints.map((v) => `m v=${v}i`).concat(uints.map((v) => `m v=${v}u`)).join('\n');
    const { pts, errors } = parse(text);
    expect(errors).toEqual([]);
    expect(pts.map((p) => p.fields.v)).toEqual([...ints, ...uints]);
  });
});

describe('parseLineProtocol: timestamps', () => {
  it('uses the default time, truncated to the precision, when a line has none', () => {
    expect(one('m v=1', 'ns', 1234567891234n).time).toBe(1234567891234n);
    expect(one('m v=1', 'us', 1234567891234n).time).toBe(1234567891000n);
    expect(one('m v=1', 'ms', 1234567891234n).time).toBe(1234567000000n);
    expect(one('m v=1', 's', 1234567891234n).time).toBe(1234000000000n);
    expect(one('m v=1', 'm', 1234567891234n).time).toBe(1200000000000n);
    expect(one('m v=1', 'h', 7300000000000n).time).toBe(7200000000000n);
    expect(one('m v=1', 's', -1n).time).toBe(-1000000000n);
    expect(one('m v=1   ', 'ns', 5n).time).toBe(5n);
  });

  it('scales timestamps exactly to ns, past 2^53', () => {
    expect(one('m v=1 1700000000123456789').time).toBe(1700000000123456789n);
    expect(one('m v=1 1700000000123456', 'us').time).toBe(1700000000123456000n);
    expect(one('m v=1 1700000000123', 'ms').time).toBe(1700000000123000000n);
    expect(one('m v=1 1700000000', 's').time).toBe(1700000000000000000n);
    expect(one('m v=1 28333333', 'm').time).toBe(28333333n * 60000000000n);
    expect(one('m v=1 472222', 'h').time).toBe(472222n * 3600000000000n);
    expect(one('m v=1 9007199254740993').time).toBe(9007199254740993n);
    expect(one('m v=1 9007199254740993', 'us').time).toBe(9007199254740993000n);
    expect(one('m v=1 -9007199254740993', 'us').time).toBe(-9007199254740993000n);
    expect(one('m v=1 -1700000000123', 'ms').time).toBe(-1700000000123000000n);
    expect(one('m v=1 0000000000000000000000000001').time).toBe(1n);
    expect(one('m v=1 -0').time).toBe(0n);
    expect(one('m v=1 -1').time).toBe(-1n);
  });

  it('accepts the InfluxDB range of times and rejects what does not fit int64 at the precision', () => {
    expect(one('m v=1 9223372036854775806').time).toBe(9223372036854775806n);
    expect(one('m v=1 -9223372036854775806').time).toBe(-9223372036854775806n);
    expect(one('m v=1 9223372036854775', 'us').time).toBe(9223372036854775000n);
    expect(one('m v=1 -9223372036854775', 'us').time).toBe(-9223372036854775000n);
    expect(one('m v=1 9223372036', 's').time).toBe(9223372036000000000n);
    expect(one('m v=1 153722867', 'm').time).toBe(153722867n * 60000000000n);
    expect(one('m v=1 2562047', 'h').time).toBe(2562047n * 3600000000000n);
    const tooBig: [string, Precision][] = [
      ['9223372036854775807', 'ns'], ['9223372036854775808', 'ns'], ['-9223372036854775807', 'ns'], ['-9223372036854775808', 'ns'],
      ['99999999999999999999', 'ns'], ['9223372036854776', 'us'], ['9223372036855', 'ms'], ['9223372037', 's'],
      ['153722868', 'm'], ['2562048', 'h'], ['10000000000', 's'], ['1000000000000000000000000', 'h'],
    ];
    for (const [t, p] of tooBig) expect(reason(`m v=1 ${t}`, p), `${t} ${p}`).toMatch(/bad timestamp/);
  });

  it('rejects malformed timestamps', () => {
    for (const bad of ['1.5', '1e9', '-', '--1', '1-', '0x10', 'abc', '12a', '1 2', '+1', '1,', '1\\']) {
      expect(reason(`m v=1 ${bad}`), bad).toMatch(/bad timestamp/);
    }
  });
});

describe('parseLineProtocol: lines, comments and errors', () => {
  it('skips blank lines, comments and whitespace; handles CRLF', () => {
    const text = '\n# comment\n   # indented comment\r\n  \r\n\r\nm v=1 1\r\n  m v=2 2  \r\nm v=3 3\r';
    const { r, pts, errors } = parse(text);
    expect(errors).toEqual([]);
    expect(pts.map((p) => [p.line, p.time])).toEqual([[6, 1n], [7, 2n], [8, 3n]]);
    expect(r.lines).toBe(3);
    for (let i = 0; i < 3; i++) {
      const line = text.slice(r.lineStart[i], r.lineEnd[i]);
      expect(line).not.toMatch(/[\r\n]/);
      expect(line.trim()).toBe(`m v=${i + 1} ${i + 1}`);
    }
  });

  it('reports each bad line with its number, in InfluxDB 1.x style, and keeps the good ones', () => {
    const text = ['m v=1 1', 'bad', '', '# c', 'm v=2 2', 'm,k= v=1', 'm v=3 3'].join('\n');
    const { r, pts, errors } = parse(text);
    expect(pts.map((p) => p.time)).toEqual([1n, 2n, 3n]);
    expect(pts.map((p) => p.line)).toEqual([1, 5, 7]);
    expect(errors).toEqual([
      { line: 2, kind: 'syntax', message: "unable to parse 'bad': missing fields" },
      { line: 6, kind: 'syntax', message: "unable to parse 'm,k= v=1': missing tag value" },
    ]);
    expect(r.lines).toBe(5);
    expect(r.count + errors.length).toBe(r.lines);
  });

  it('cuts long lines in error messages to 100 characters', () => {
    const line = 'm' + 'x'.repeat(300) + ' v=nope';
    const msg = parse(line).errors[0].message;
    expect(msg).toBe(`unable to parse '${line.slice(0, 100)}...': invalid field format`);
  });

  it('gives a clear reason for each kind of error', () => {
    const cases: [string, RegExp][] = [
      ['m', /missing fields/],
      ['m ', /missing fields/],
      ['m,k=v', /missing fields/],
      ['m,k=v ', /missing fields/],
      [',k=v v=1', /missing measurement/],
      [' ,k=v v=1', /missing measurement/],
      ['m,=v v=1', /missing tag key/],
      ['m,k v=1', /missing tag value/],
      ['m,k= v=1', /missing tag value/],
      ['m,k=v, v=1', /missing/],
      ['m,k=a=b v=1', /invalid tag format/],
      ['m,a=1,a=2 v=1', /duplicate tags/],
      ['m,b=1,a=1,b=2 v=1', /duplicate tags/],
      ['m,a\\ =1,a\\ =2 v=1', /duplicate tags/],
      ['m,time=1 v=1', /invalid tag key "time"/],
      ['m time=1', /invalid field name "time"/],
      ['m v=1,time=2i', /invalid field name "time"/],
      ['m v', /missing field value/],
      ['m v=', /missing field value/],
      ['m v=,w=1', /missing field value/],
      ['m =1', /missing field key/],
      ['m v=1,', /missing field key/],
      ['m v=1,,w=2', /missing field key/],
      ['m v=abc', /invalid field format/],
      ['m v=1x', /invalid number/],
      ['m v="abc', /unbalanced quotes/],
      ['m v="abc"x', /invalid field format/],
      ['m v=1 1 1', /bad timestamp/],
      ['\tm v=1', /invalid character/],
      ['m\u0001 v=1', /invalid character/],
      ['m,k\u0001=v v=1', /invalid character/],
      ['m k\u0001=1', /invalid character/],
      ['m v=1\rx', /invalid character/],
      ['m\\\u0001 v=1', /invalid escape/],
      ['m,k=a\\', /invalid escape|missing fields/],
      ['#\u0001 comment', /invalid character in comment/],
    ];
    for (const [text, re] of cases) expect(reason(text), JSON.stringify(text)).toMatch(re);
  });

  it('rejects invalid UTF-8 in every place, and accepts it nowhere else', () => {
    const bad = [
      Buffer.from('bad\xff v=1', 'latin1'),
      Buffer.from('m,bad\xff=foo v=1', 'latin1'),
      Buffer.from('m,foo=bad\xff v=1', 'latin1'),
      Buffer.from('m bad\xff=1', 'latin1'),
      Buffer.from('m f="bad\xff"', 'latin1'),
      Buffer.from('m f="\xc0\xaf"', 'latin1'), // overlong
      Buffer.from('m f="\xed\xa0\x80"', 'latin1'), // surrogate
      Buffer.from('m f="\xf4\x90\x80\x80"', 'latin1'), // > U+10FFFF
      Buffer.from('m f="\xe2\x82"', 'latin1'), // truncated
    ];
    for (const b of bad) expect(reason(b), b.toString('latin1')).toMatch(/UTF-8/);
    expect(validUtf8(Buffer.from('€𝄞é'), 0, 9)).toBe(true);
  });

  it('resumes after an unbalanced quote at the next line', () => {
    const { pts, errors } = parse('m v="abc\nm v=1 1\n');
    expect(errors.map((e) => e.line)).toEqual([1]);
    expect(pts.map((p) => p.line)).toEqual([2]);
  });

  it('appends to a batch it is given, growing it as needed', () => {
    const out = new PointBatch(2, 2);
    parseLineProtocol(Buffer.from('a v=1 1\nb v=2,w=3 2\n'), { precision: 'ns', defaultTime: 0n }, out);
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) lines.push(`c,k=${i % 7} ${Array.from({ length: 12 }, (_, j) => `f${j}=${i * j}i`).join(',')} ${i}`);
    lines.push('bad line');
    parseLineProtocol(Buffer.from(lines.join('\n')), { precision: 'ns', defaultTime: 0n }, out);
    expect(out.count).toBe(102);
    expect(out.fieldCount).toBe(3 + 1200);
    expect(out.errors.map((e) => e.line)).toEqual([101]);
    expect(out.lines).toBe(103);
    const pts = points(out);
    expect(pts[0]).toMatchObject({ key: 'a', time: 1n, fields: { v: 1 } });
    expect(pts[101]).toMatchObject({ key: 'c,k=1', time: 99n, line: 100 });
    expect(pts[101].fields.f11).toBe(99n * 11n);
    expect(out.fieldStart[102]).toBe(1203);
  });

  it('never throws and accounts for every line on random garbage', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = Buffer.from('m,= \\"\n\r\t#.-+eiu0123456789tTfFaxé\u0001');
    for (let k = 0; k < 2000; k++) {
      const len = rnd(40);
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = rnd(9) === 0 ? rnd(256) : alphabet[rnd(alphabet.length)];
      const r = parseLineProtocol(b, { precision: 'ns', defaultTime: 0n });
      expect(r.count + r.errors.length).toBe(r.lines);
      for (let i = 0; i < r.count; i++) {
        expect(r.lineEnd[i]).toBeGreaterThan(r.lineStart[i]);
        expect(() => parseSeriesKey(r.seriesKey[i])).not.toThrow();
      }
    }
  });
});

describe('serializer and series keys', () => {
  it('formats floats like the reference encoder (Go %g, shortest)', () => {
    const cases: [number, string][] = [
      [1, '1'], [-1.5, '-1.5'], [12.123, '12.123'], [100, '100'], [123456, '123456'], [6632243, '6.632243e+06'],
      [1e6, '1e+06'], [1e21, '1e+21'], [0.0001, '0.0001'], [0.00001, '1e-05'], [-0.64, '-0.64'], [0, '0'], [-0, '-0'],
      [5e-324, '5e-324'], [Number.MAX_VALUE, '1.7976931348623157e+308'], [0.1 + 0.2, '0.30000000000000004'], [1.5e300, '1.5e+300'],
    ];
    for (const [x, s] of cases) expect(formatFloat(x)).toBe(s);
    for (const x of [NaN, Infinity, -Infinity]) expect(() => formatFloat(x)).toThrow(BadRequestError);
  });

  it('writes points of every type, tags sorted, times from bigint or Date', () => {
    const body = pointsToLineProtocol(
      [
        { measurement: 'cpu load', tags: { z: 'a b', a: 'x,y=z' }, fields: { f: 1.5, i: 42n, b: true, s: 'say "hi" \\ ok' }, time: 1700000000000000001n },
        { measurement: 'm', fields: { u: { type: 'unsigned', value: 18446744073709551615n }, n: { type: 'integer', value: -7 }, g: { type: 'float', value: 3 } }, time: new Date(1700000000123) },
        { measurement: 'm', fields: { v: false } },
      ],
      undefined,
    ).toString();
    expect(body).toBe(
      'cpu\\ load,a=x\\,y\\=z,z=a\\ b f=1.5,i=42i,b=true,s="say \\"hi\\" \\\\ ok" 1700000000000000001\n' +
        'm u=18446744073709551615u,n=-7i,g=3 1700000000123000000\n' +
        'm v=false\n',
    );
    expect(formatPoint({ measurement: 'm', fields: { v: 1 } }, 5n)).toBe('m v=1 5');
    const r = parseLineProtocol(Buffer.from(body), { precision: 'ns', defaultTime: 9n });
    expect(r.errors).toEqual([]);
    expect(points(r).map((p) => p.time)).toEqual([1700000000000000001n, 1700000000123000000n, 9n]);
  });

  it('refuses what it cannot write, naming the point and the field', () => {
    const bad: [Point, RegExp][] = [
      [{ measurement: 'm', fields: { v: NaN } }, /field "v".*NaN/],
      [{ measurement: 'm', fields: { v: Infinity } }, /field "v"/],
      [{ measurement: 'm', fields: { v: { type: 'integer', value: 1.5 } } }, /field "v".*integer/],
      [{ measurement: 'm', fields: { v: { type: 'integer', value: 2n ** 63n } } }, /field "v".*int64/],
      [{ measurement: 'm', fields: { v: { type: 'unsigned', value: -1n } } }, /field "v".*uint64/],
      [{ measurement: 'm', fields: { v: { type: 'unsigned', value: 2n ** 64n } } }, /field "v".*uint64/],
      [{ measurement: 'm', fields: { v: '\ud800' } }, /field "v".*surrogate/],
      [{ measurement: 'm', fields: { v: { type: 'bogus', value: 1 } as never } }, /field "v"/],
      [{ measurement: 'm', fields: { v: null as never } }, /field "v"/],
      [{ measurement: 'm', fields: {} }, /at least one field/],
      [{ measurement: 'm', fields: { time: 1 } }, /field key "time"/],
      [{ measurement: 'm', tags: { time: 'x' }, fields: { v: 1 } }, /tag key "time"/],
      [{ measurement: 'm', tags: { k: '' }, fields: { v: 1 } }, /tag "k": value "" is empty/],
      [{ measurement: 'm', tags: { k: 'a\\' }, fields: { v: 1 } }, /ends with a backslash/],
      [{ measurement: 'm', tags: { k: 'a\nb' }, fields: { v: 1 } }, /control character/],
      [{ measurement: '', fields: { v: 1 } }, /measurement "" is empty/],
      [{ measurement: '#m', fields: { v: 1 } }, /comment/],
      [{ measurement: 'm\u0001', fields: { v: 1 } }, /control character/],
      [{ measurement: 'm', fields: { 'a\\': 1 } }, /field key "a\\\\" ends with a backslash/],
      [{ measurement: 'm', fields: { v: 1 }, time: 2n ** 63n }, /time/],
      [{ measurement: 'm', fields: { v: 1 }, time: new Date(NaN) }, /invalid Date/],
      [{ measurement: 'm', fields: { v: 1 }, time: 5 as never }, /time must be/],
    ];
    for (const [p, re] of bad) {
      let err: unknown;
      try {
        pointsToLineProtocol([{ measurement: 'ok', fields: { v: 1 } }, p]);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).code).toBe('STRATA_ERR_BAD_PARAMETER');
      expect((err as Error).message).toMatch(/^points\[1\]: /);
      expect((err as Error).message).toMatch(re);
    }
    // control characters are fine in tag values (but not CR/LF) and anywhere in strings
    expect(formatPoint({ measurement: 'm', tags: { k: 'a\tb\u0001' }, fields: { s: 'x\ny\u0000' } })).toBe('m,k=a\tb\u0001 s="x\ny\u0000"');
  });

  it('formats export lines from a series key and typed fields', () => {
    expect(appendLine('cpu,host=a', [['v', FLOAT, 1], ['n', INTEGER, -5n], ['u', UNSIGNED, 5], ['b', BOOLEAN, true], ['s', STRING, 'q"']], -1n)).toBe(
      'cpu,host=a v=1,n=-5i,u=5u,b=true,s="q\\"" -1\n',
    );
    expect(appendLine('m', [['a b', FLOAT, 0.5]])).toBe('m a\\ b=0.5\n');
    expect(() => appendLine('m', [])).toThrow(BadRequestError);
    expect(() => appendLine('m', [['v', FLOAT, NaN]])).toThrow(BadRequestError);
  });

  it('makes and splits canonical series keys', () => {
    expect(makeSeriesKey('cpu')).toBe('cpu');
    expect(makeSeriesKey('c pu,x=y', { 'k=1': 'v 1', a: 'b,c' })).toBe('c\\ pu\\,x=y,a=b\\,c,k\\=1=v\\ 1');
    expect(makeSeriesKey('m', [['b', '1'], ['a', '2']])).toBe('m,a=2,b=1');
    expect(() => makeSeriesKey('m', [['a', '1'], ['a', '2']])).toThrow(/appears twice/);
    expect(parseSeriesKey('c\\ pu\\,x=y,a=b\\,c,k\\=1=v\\ 1')).toEqual({ measurement: 'c pu,x=y', tags: [['a', 'b,c'], ['k=1', 'v 1']] });
    expect(parseSeriesKey('m\\\\\\ x,k=\\\\\\,')).toEqual({ measurement: 'm\\\\ x', tags: [['k', '\\\\,']] });
    expect(measurementOf('c\\ pu\\,x,a=b')).toBe('c pu,x');
    // UTF-8 byte order: U+FF5A (ｚ) before U+1F600 (😀), although UTF-16 code units order them the other way
    expect(compareUtf8('ｚ', '😀')).toBeLessThan(0);
    expect('ｚ' < '😀').toBe(false);
    expect(makeSeriesKey('m', { '😀': '1', 'ｚ': '2' })).toBe('m,ｚ=2,😀=1');
  });
});
