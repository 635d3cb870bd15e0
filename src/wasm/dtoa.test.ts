import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatValue } from '../server/prometheus.js';
import { assemble, call, get, I32, I64, i32, i64, load, Op, store } from './asm.js';
import type { Code, FuncDef } from './asm.js';
import { FLOAT_TEXT_CHUNK, FloatText } from './dtoa.js';
import { floatText } from './index.js';

/** The texts of all `values`, a batch (FLOAT_TEXT_CHUNK values) at a time. */
function formatAll(ft: FloatText, values: ArrayLike<number>): string[] {
  const out: string[] = [];
  const dec = new TextDecoder('latin1');
  for (let from = 0; from < values.length; ) {
    const { bytes, ends, count } = ft.format(values, from, values.length);
    for (let i = 0, start = 0; i < count; start = ends[i], i++) out.push(dec.decode(bytes.subarray(start, ends[i])));
    from += count;
  }
  return out;
}

function formatOne(ft: FloatText, v: number): string {
  return formatAll(ft, [v])[0]!;
}

const ft = new FloatText();

const view = new DataView(new ArrayBuffer(8));
/** The double with bit pattern `bits`. */
function fromBits(bits: bigint): number {
  view.setBigUint64(0, BigInt.asUintN(64, bits));
  return view.getFloat64(0);
}
function toBits(v: number): bigint {
  view.setFloat64(0, v);
  return view.getBigUint64(0);
}
/** The double `d` bit patterns after v (before it for negative d); past the ends of the finite doubles these are ±Inf and NaN patterns, still compared. */
function step(v: number, d: number): number {
  return fromBits(toBits(v) + BigInt(d));
}
/** v and its neighbours up to `r` patterns away on either side (and the negations of all). */
function around(v: number, r = 2): number[] {
  const out: number[] = [];
  for (let d = -r; d <= r; d++) {
    const w = step(v, d);
    out.push(w, -w);
  }
  return out;
}

/** The values whose kernel text differs from formatValue's, as [value, bits, got, want] (empty when all agree). */
function mismatches(values: ArrayLike<number>): [number, string, string, string][] {
  const texts = formatAll(ft, Float64Array.from(values));
  const bad: [number, string, string, string][] = [];
  for (let i = 0; i < values.length && bad.length < 10; i++) {
    const want = formatValue(values[i]);
    if (texts[i] !== want) bad.push([values[i], toBits(values[i]).toString(16), texts[i], want]);
  }
  return bad;
}

/** A small deterministic generator (xorshift64*) for bulk random bit patterns. */
function* randomBits(seed: bigint, n: number): Generator<bigint> {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x >> 12n;
    x ^= BigInt.asUintN(64, x << 25n);
    x ^= x >> 27n;
    yield BigInt.asUintN(64, x * 0x2545f4914f6cdd1dn);
  }
}

describe('asm.ts instructions added for the kernel', () => {
  it('compute as their JavaScript equivalents', () => {
    const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
    const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
    const bool = (c: boolean): bigint => (c ? 1n : 0n);
    const rot = (v: bigint, r: bigint): bigint => (u64(v) << (r & 63n)) | (u64(v) >> ((64n - (r & 63n)) & 63n));
    const binary: [string, number, (v: bigint, w: bigint) => bigint][] = [
      ['mul', Op.i64.mul, (v, w) => v * w],
      ['div_u', Op.i64.div_u, (v, w) => u64(v) / u64(w)],
      ['rem_u', Op.i64.rem_u, (v, w) => u64(v) % u64(w)],
      ['div_s', Op.i64.div_s, (v, w) => s64(v) / s64(w)],
      ['rem_s', Op.i64.rem_s, (v, w) => s64(v) % s64(w)],
      ['rotl', Op.i64.rotl, (v, w) => rot(v, w)],
      ['rotr', Op.i64.rotr, (v, w) => rot(v, 64n - (w & 63n))],
    ];
    const compare: [string, number, (v: bigint, w: bigint) => bigint][] = [
      ['lt_s', Op.i64.lt_s, (v, w) => bool(s64(v) < s64(w))],
      ['gt_s', Op.i64.gt_s, (v, w) => bool(s64(v) > s64(w))],
      ['le_s', Op.i64.le_s, (v, w) => bool(s64(v) <= s64(w))],
      ['ge_s', Op.i64.ge_s, (v, w) => bool(s64(v) >= s64(w))],
      ['le_u', Op.i64.le_u, (v, w) => bool(u64(v) <= u64(w))],
      ['ge_u', Op.i64.ge_u, (v, w) => bool(u64(v) >= u64(w))],
    ];
    const binary2 = (v: string): string => u64(BigInt(v)).toString(2).padStart(64, '0');
    const unary: [string, number, (v: bigint) => bigint][] = [
      ['clz', Op.i64.clz, (v) => BigInt(binary2(String(v)).indexOf('1') < 0 ? 64 : binary2(String(v)).indexOf('1'))],
      ['ctz', Op.i64.ctz, (v) => BigInt(binary2(String(v)).lastIndexOf('1') < 0 ? 64 : 63 - binary2(String(v)).lastIndexOf('1'))],
      ['popcnt', Op.i64.popcnt, (v) => BigInt(binary2(String(v)).replace(/0/g, '').length)],
    ];
    const funcs: FuncDef[] = [
      ...binary.map(([name, op]): FuncDef => ({ name, params: [I64, I64], results: [I64], locals: [], body: [get(0), get(1), op] })),
      ...compare.map(([name, op]): FuncDef => ({ name, params: [I64, I64], results: [I64], locals: [], body: [get(0), get(1), op, Op.i64.extend_i32_u] })),
      ...unary.map(([name, op]): FuncDef => ({ name, params: [I64], results: [I64], locals: [], body: [get(0), op] })),
      { name: 'i32ops', params: [I32, I32], results: [I64], locals: [], body: i32Ops() },
      { name: 'extend_s', params: [I32], results: [I64], locals: [], body: [get(0), Op.i64.extend_i32_s] },
      {
        // the loads and stores, f64 reinterpretation and call (function 0 is mul)
        name: 'memory_ops',
        params: [I64],
        results: [I64],
        locals: [],
        body: [
          i32(0), get(0), store.i64(),
          i32(8), i32(0), load.u16(), store.i16(), // bytes 8, 9 = bytes 0, 1
          i32(10), i32(0), load.u8(3), store.i8(), // byte 10 = byte 3
          i32(11), get(0), store.i64_8(), // byte 11 = byte 0
          i32(16), i32(0), load.f64(), store.f64(), // bytes 16..23 = bytes 0..7
          i32(16), load.f64(), Op.i64.reinterpret_f64, i32(8), load.i64u32(), call(0),
        ],
      },
    ];
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;
    const x = new wasm.Instance(new wasm.Module(assemble(funcs, 1)), {}).exports as Record<string, (...args: (bigint | number)[]) => bigint>;
    const min = 0x8000000000000000n;
    const M64 = (1n << 64n) - 1n;
    const pairs: [bigint, bigint][] = [];
    for (const v of [0n, 1n, 3n, 10n, min - 1n, min, M64, 0x123456789abcdef0n, 12345678901234567n]) {
      for (const w of [1n, 3n, 10n, 63n, 64n, 1000000007n, M64, min]) if (!(v === min && w === M64)) pairs.push([v, w]);
    }
    for (const [name, , f] of [...binary, ...compare]) {
      for (const [v, w] of pairs) expect([name, v, w, u64(x[name](s64(v), s64(w)))]).toEqual([name, v, w, u64(f(v, w))]);
    }
    for (const [name, , f] of unary) for (const [v] of pairs) expect([name, v, u64(x[name](s64(v)))]).toEqual([name, v, u64(f(v))]);
    expect(x.extend_s(-5)).toBe(-5n);
    for (const [a, c] of [[12345, 7], [-12345, 7], [-0x80000000, 3], [1, 31], [0xfff000, -2], [0, 5], [-1, 33]]) {
      const r = (c & 31);
      const ops = [
        Math.clz32(a), a === 0 ? 32 : 31 - Math.clz32(a & -a), popcount32(a),
        Math.trunc(a / c), Math.floor((a >>> 0) / (c >>> 0)), a % c, (a >>> 0) % (c >>> 0),
        (a << r) | (a >>> ((32 - r) & 31)), (a >>> r) | (a << ((32 - r) & 31)),
      ];
      expect(u64(x.i32ops(a, c))).toBe(ops.reduce((acc, v) => u64(acc * 1000003n + BigInt(v >>> 0)), 0n));
    }
    expect(u64(x.memory_ops(0x0807060504030201n))).toBe(u64(0x0807060504030201n * 0x01040201n));
  });
});

function popcount32(a: number): number {
  let n = 0;
  for (let v = a >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
}

/** i32 clz, ctz, popcnt of local 0 and div_s, div_u, rem_s, rem_u, rotl, rotr of locals 0 and 1, folded into an i64: acc * 1000003 + op (unsigned). */
function i32Ops(): Code {
  const A = Op.i32;
  const ops: Code[] = [
    [get(0), A.clz], [get(0), A.ctz], [get(0), A.popcnt],
    [get(0), get(1), A.div_s], [get(0), get(1), A.div_u], [get(0), get(1), A.rem_s], [get(0), get(1), A.rem_u],
    [get(0), get(1), A.rotl], [get(0), get(1), A.rotr],
  ];
  return [i64(0), ops.map((op) => [i64(1000003), Op.i64.mul, op, Op.i64.extend_i32_u, Op.i64.add])];
}

describe('FloatText', () => {
  it('writes the special values as formatValue', () => {
    expect([NaN, Infinity, -Infinity, 0, -0].map((v) => formatOne(ft, v))).toEqual(['NaN', '+Inf', '-Inf', '0', '-0']);
    // NaN patterns with the sign bit and payloads are all NaN
    const nans = [0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff0000000000001n, 0xffffffffffffffffn].map(fromBits);
    expect(nans.map((v) => formatOne(ft, v))).toEqual(['NaN', 'NaN', 'NaN', 'NaN']);
    expect(formatOne(ft, 1e-7)).toBe('1e-07');
    expect(formatOne(ft, 1e21)).toBe('1e+21');
    expect(formatOne(ft, 5e-324)).toBe('5e-324');
    expect(formatOne(ft, -1.7976931348623157e308)).toBe('-1.7976931348623157e+308');
    expect(formatOne(ft, 123456.789)).toBe('123456.789');
    expect(formatOne(ft, 0.000001)).toBe('0.000001');
    // the longest texts (25 and 24 bytes)
    expect(formatOne(ft, -1.2345678901234567e-6)).toBe('-0.0000012345678901234567');
    expect(formatOne(ft, -1.2345678901234567e-100)).toBe('-1.2345678901234567e-100');
  });

  it('agrees with formatValue on the extremes and the subnormal/normal boundary', () => {
    const values = [
      Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
      fromBits(0x000fffffffffffffn), fromBits(0x0010000000000000n), fromBits(0x0010000000000001n), fromBits(0x7fefffffffffffffn),
      0.1, 0.2, 0.3, 1 / 3, 2 / 3, Math.PI, Math.E, 5e-324, 1e-323, 2.5e-323, 4.35, 0.1 + 0.2, 9007199254740993, 123e-20,
    ].flatMap((v) => around(v, 3));
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees with formatValue on every power of ten 1e-330..1e310 and its neighbours', () => {
    const values: number[] = [];
    for (let e = -330; e <= 310; e++) {
      const v = Number(`1e${e}`);
      if (v === 0 || v === Infinity) continue;
      values.push(...around(v, 2));
      for (const m of [2, 5, 9, 25, 99, 125, 3333]) values.push(Number(`${m}e${e}`), -Number(`${m}e${e}`));
    }
    expect(values.length).toBeGreaterThan(6000);
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees with formatValue on every power of two 2^-1074..2^1023 and its neighbours', () => {
    const values: number[] = [];
    for (let e = -1074; e <= 1023; e++) {
      const v = 2 ** e;
      values.push(...around(v, 1), 3 * v, -3 * v);
    }
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees with formatValue at the fixed/exponent boundaries 1e-7, 1e-6 and 1e21', () => {
    const values = [1e-7, 1e-6, 1e21, 1e20, 9.999999999999999e-8, 999999999999999900000, 1.5e-7, 1.2345e21, 123456789012345680000].flatMap((v) => around(v, 8));
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees with formatValue on integers: small, around 2^53 and 2^63, 1e15..1e22', () => {
    const values: number[] = [];
    for (let i = -1000; i <= 1000; i++) values.push(i);
    for (const base of [2 ** 53, 2 ** 63, 2 ** 64, 2 ** 31, 2 ** 32, 2 ** 52]) values.push(...around(base, 20));
    for (let e = 15; e <= 22; e++) {
      const p = 10 ** e;
      for (const m of [1, 2, 3, 7, 9.5, 9.99]) values.push(...around(p * m, 5));
    }
    expect(mismatches(values)).toEqual([]);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: 0, max: 1e6 })), { maxLength: 500, size: 'max' }), (xs) => {
        expect(mismatches(xs)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('agrees with formatValue on short decimals', () => {
    const values: number[] = [];
    for (let i = 0; i < 20000; i++) values.push(i / 4, i / 10, i / 100, i / 1000, (i * 7) / 1e7, i * 1e-9);
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees with formatValue on fast-check doubles (all doubles, NaN, ±Inf, ±0, subnormals)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 1000, size: 'max' }), (xs) => {
        expect(mismatches(xs)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('agrees with formatValue on random 64-bit patterns', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 1000, size: 'max' }), (xs) => {
        expect(mismatches(xs.map(fromBits))).toEqual([]);
      }),
      { numRuns: 50 },
    );
    // and a bulk of 200k more, deterministic
    const bulk: number[] = [];
    for (const b of randomBits(0x9e3779b97f4a7c15n, 200000)) bulk.push(fromBits(b));
    expect(mismatches(bulk)).toEqual([]);
  });

  it('agrees with formatValue where the value or an end of its interval is a short decimal', () => {
    // random mantissas with their low bits cleared, magnitudes 2^-70..2^80: many are exact
    // decimals (Ryu's trailing-zero cases, ties rounded to even, the lower bound kept)
    const values: number[] = [];
    let i = 0;
    for (const b of randomBits(99n, 100000)) {
      const exp = BigInt(1023 - 70 + (i++ % 150));
      const zeros = b % 53n;
      const mant = ((b >> 11n) & ((1n << 52n) - 1n)) >> zeros << zeros;
      values.push(fromBits(((b >> 63n) << 63n) | (exp << 52n) | mant));
    }
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees with formatValue on full-precision values in [0, 100)', () => {
    const values: number[] = [];
    for (const b of randomBits(12345n, 100000)) values.push(Number(b >> 11n) / 2 ** 53 * 100);
    expect(mismatches(values)).toEqual([]);
  });

  it('formats batches: count capped at FLOAT_TEXT_CHUNK, ends delimit each text, ranges of any length', () => {
    const dec = new TextDecoder();
    const values = new Float64Array(2 * FLOAT_TEXT_CHUNK + 17);
    let k = 0;
    for (const b of randomBits(7n, values.length)) {
      const kind = k % 4;
      values[k++] = kind === 0 ? fromBits(b) : kind === 1 ? Number(b % 1000n) : kind === 2 ? Number(b % 100000n) / 8 : -Number(b >> 11n) / 2 ** 40;
    }
    const want = Array.from(values, formatValue);
    // the whole array, FLOAT_TEXT_CHUNK at a time
    const got: string[] = [];
    for (let from = 0; from < values.length; ) {
      const { bytes, ends, count } = ft.format(values, from, values.length);
      expect(count).toBe(Math.min(FLOAT_TEXT_CHUNK, values.length - from));
      expect(ends.length).toBe(count);
      expect(ends[count - 1]).toBe(bytes.length);
      for (let i = 0; i < count; i++) got.push(dec.decode(bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i])));
      from += count;
    }
    expect(got).toEqual(want);
    expect(formatAll(ft, values)).toEqual(want);
    // ranges of mixed lengths from mixed offsets
    for (const [from, to] of [[0, 0], [5, 5], [3, 4], [100, 137], [0, FLOAT_TEXT_CHUNK], [1, FLOAT_TEXT_CHUNK + 1], [values.length - 3, values.length]]) {
      const { bytes, ends, count } = ft.format(values, from, to);
      expect(count).toBe(to - from);
      expect(bytes.length).toBe(count === 0 ? 0 : ends[count - 1]);
      const texts = Array.from(ends, (end, i) => dec.decode(bytes.subarray(i === 0 ? 0 : ends[i - 1], end)));
      expect(texts).toEqual(want.slice(from, to));
    }
    expect(ft.format(values, 10, 5).count).toBe(0);
    expect(ft.format(values, values.length - 2, values.length + 10).count).toBe(2);
    // a full chunk of the longest text
    const longest = new Float64Array(FLOAT_TEXT_CHUNK).fill(-1.2345678901234567e-6);
    const { bytes, ends, count } = ft.format(longest, 0, longest.length);
    expect(count).toBe(FLOAT_TEXT_CHUNK);
    expect(bytes.length).toBe(25 * FLOAT_TEXT_CHUNK);
    expect(ends[count - 1]).toBe(bytes.length);
    expect(dec.decode(bytes.subarray(bytes.length - 25))).toBe('-0.0000012345678901234567');
    expect(formatAll(ft, new Float64Array(0))).toEqual([]);
  });

  it('has one shared instance, and formats plain arrays as Float64Arrays', () => {
    expect(floatText).toBeInstanceOf(FloatText);
    expect(formatOne(floatText, -2.5e-9)).toBe('-2.5e-09');
    const values = [1.5, -0, NaN, 1e21, 0.1 + 0.2];
    expect(formatAll(floatText, values)).toEqual(formatAll(floatText, Float64Array.from(values)));
    expect(formatAll(floatText, values)).toEqual(values.map(formatValue));
  });
});

// A benchmark, skipped unless DTOA_BENCH=1 (`DTOA_BENCH=1 npx vitest run src/wasm/dtoa.test.ts`):
// ns per value of formatValue (to a string, and its characters copied into a byte buffer)
// and of FloatText.format (into the module's memory, and then copied out), over 100k values,
// the median of 7 runs after 3 warm-up runs of each.
describe.skipIf(!process.env.DTOA_BENCH)('FloatText benchmark', () => {
  it('measures ns per value', () => {
    const n = 100000;
    const full = Float64Array.from({ length: n }, () => Math.random() * 100);
    const short = Float64Array.from({ length: n }, (_, i) => {
      const r = Math.floor(Math.random() * 100000);
      return i % 3 === 0 ? r : i % 3 === 1 ? r / 4 : r / 10;
    });
    const out = Buffer.allocUnsafe(n * 32);
    let sink = 0;
    const runs: Record<string, (a: Float64Array) => void> = {
      formatValue: (a) => {
        for (let i = 0; i < a.length; i++) sink += formatValue(a[i]).length;
      },
      'formatValue+copy': (a) => {
        let p = 0;
        for (let i = 0; i < a.length; i++) {
          const s = formatValue(a[i]);
          for (let j = 0; j < s.length; j++) out[p++] = s.charCodeAt(j);
        }
        sink += p;
      },
      kernel: (a) => {
        for (let from = 0; from < a.length; ) {
          const r = ft.format(a, from, a.length);
          sink += r.bytes.length;
          from += r.count;
        }
      },
      'kernel+copy': (a) => {
        let p = 0;
        for (let from = 0; from < a.length; ) {
          const r = ft.format(a, from, a.length);
          out.set(r.bytes, p);
          p += r.bytes.length;
          from += r.count;
        }
        sink += p;
      },
    };
    for (const [name, a] of [['full precision [0,100)', full], ['integers and short decimals', short]] as const) {
      for (let w = 0; w < 3; w++) for (const run of Object.values(runs)) run(a);
      const line: string[] = [];
      for (const [label, run] of Object.entries(runs)) {
        const ts: number[] = [];
        for (let r = 0; r < 7; r++) {
          const t0 = process.hrtime.bigint();
          run(a);
          ts.push(Number(process.hrtime.bigint() - t0) / a.length);
        }
        ts.sort((x, y) => x - y);
        line.push(`${label} ${ts[3].toFixed(1)}`);
      }
      console.log(`${name}: ns/value ${line.join(', ')}`);
    }
    expect(sink).toBeGreaterThan(0);
  });
});
