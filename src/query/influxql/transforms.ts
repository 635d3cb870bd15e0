/**
 * InfluxQL transformation kernels (derivative, non_negative_derivative, difference,
 * non_negative_difference, moving_average, cumulative_sum, elapsed) and the math
 * functions, with the semantics of InfluxDB 1.x (`query/functions.go` reducers driven by
 * the stream iterators, `query/select.go` buildCallIterator, `query/math.go`, Go's `math`).
 * Expected values in transforms.test.ts were produced by a real InfluxDB 1.6.
 */

export interface TransformSeries {
  /** ns times, in iteration order (ascending unless args.ascending is false) */
  times: bigint[];
  values: (number | null)[];
}

export interface TransformArgs {
  /** derivative / non_negative_derivative / elapsed unit in ns; default: see applyTransform */
  unit?: bigint;
  /** moving_average window (InfluxDB rejects n < 2 at parse/compile time) */
  n?: number;
  /** the GROUP BY time interval when applied to buckets, 0n (or absent) for raw points */
  interval?: bigint;
  /** ORDER BY time ASC (true) or DESC (false) */
  ascending: boolean;
}

export type TransformName =
  | 'derivative'
  | 'non_negative_derivative'
  | 'difference'
  | 'non_negative_difference'
  | 'moving_average'
  | 'cumulative_sum'
  | 'elapsed';

const SECOND = 1_000_000_000n;

/**
 * Applies one InfluxQL transformation to one series, in the order given.
 *
 * Input: the series exactly as it is iterated (ASC or DESC); `null` values are skipped as
 * if absent (InfluxDB's stream iterators drop Nil points before the reducer, so
 * fill(null) and fill(none) give identical results — no null rows are ever emitted).
 * Filled values (fill(0), fill(previous), fill(linear), fill(x)) are real values and
 * must be passed in.
 *
 * Output: only the emitted points (values never null), in the same order.
 * - derivative(x[, unit]): for consecutive points (prev, curr):
 *   (curr - prev) / (elapsed / unit), elapsed = curr.t - prev.t, negated when DESC (so
 *   elapsed is positive in both orders); time = curr.t. non_negative_derivative drops the
 *   point when curr - prev < 0 (difference in iteration order). Default unit: args.unit,
 *   else the GROUP BY interval when args.interval > 0, else 1s. Float output.
 * - difference / non_negative_difference: curr - prev at curr.t (dropped if < 0). Keeps
 *   the input type (integers stay integers).
 *   derivative and difference skip a point whose time equals the previous kept point's
 *   time (a merged multi-series raw stream can hold equal times: only the first counts).
 * - moving_average(x, n): mean of the last n points, emitted once n points have been
 *   seen, at the latest point's time. Float output. Equal times are not skipped.
 * - cumulative_sum: running sum, one output per input point. Keeps the input type.
 * - elapsed(x[, unit]): (curr.t - prev.t) / unit with Go int64 division (truncates
 *   toward zero; negative in DESC order). Default unit 1ns (NOT the GROUP BY interval).
 *   Equal times are not skipped (they give 0). Integer output.
 * The first point never produces output (except cumulative_sum).
 *
 * What the SELECT executor must do around this for `f(agg(x)) ... GROUP BY time(i)`
 * (InfluxDB buildCallIterator), verified against InfluxDB 1.6:
 * - for derivative, non_negative_derivative, difference, non_negative_difference,
 *   moving_average and elapsed (NOT cumulative_sum), compute the inner aggregate over a
 *   time range extended by exactly ONE interval (also for moving_average with n > 2):
 *   ASC: [start - i, end), DESC: [start, end + i). The extra bucket is then a normal
 *   bucket: it is filled like the others (fill(0) makes a 0 there, which changes the first
 *   in-range output), and the first in-range bucket is no longer clipped by the WHERE start
 *   (ASC) / the last by the WHERE end (DESC): e.g. `time >= 5s ... GROUP BY time(10s)`
 *   ASC uses mean of [0s,10s) for bucket 0s as previous value of bucket 10s.
 * - pass the filled bucket series (times = bucket starts, nulls allowed) in output order
 *   with args.interval = i; drop emitted points whose time lies outside the query's
 *   [start, end) (the extra bucket is first in iteration order so it never emits anyway).
 * - per series (GROUP BY tags); fill(none) simply omits empty buckets.
 */
export function applyTransform(name: TransformName, s: TransformSeries, args: TransformArgs): TransformSeries {
  switch (name) {
    case 'derivative':
    case 'non_negative_derivative':
      return derivative(s, args, name === 'non_negative_derivative');
    case 'difference':
    case 'non_negative_difference':
      return difference(s, name === 'non_negative_difference');
    case 'moving_average':
      return movingAverage(s, args.n ?? 0);
    case 'cumulative_sum':
      return cumulativeSum(s);
    case 'elapsed':
      return elapsed(s, args.unit ?? 1n);
    default: {
      const never: never = name;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}

function derivative(s: TransformSeries, args: TransformArgs, nonNegative: boolean): TransformSeries {
  const unit = args.unit ?? (args.interval !== undefined && args.interval > 0n ? args.interval : SECOND);
  const unitF = Number(unit);
  const out: TransformSeries = { times: [], values: [] };
  let prevT = 0n;
  let prevV = 0;
  let have = false;
  for (let i = 0; i < s.times.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined) continue;
    const t = s.times[i]!;
    if (!have) {
      have = true;
      prevT = t;
      prevV = v;
      continue;
    }
    if (t === prevT) continue; // a point that does not advance the stream is discarded
    const diff = v - prevV;
    let el = t - prevT;
    if (!args.ascending) el = -el;
    const value = diff / (Number(el) / unitF);
    prevT = t;
    prevV = v;
    if (nonNegative && diff < 0) continue;
    out.times.push(t);
    out.values.push(value);
  }
  return out;
}

function difference(s: TransformSeries, nonNegative: boolean): TransformSeries {
  const out: TransformSeries = { times: [], values: [] };
  let prevT = 0n;
  let prevV = 0;
  let have = false;
  for (let i = 0; i < s.times.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined) continue;
    const t = s.times[i]!;
    if (!have) {
      have = true;
      prevT = t;
      prevV = v;
      continue;
    }
    if (t === prevT) continue;
    const value = v - prevV;
    prevT = t;
    prevV = v;
    if (nonNegative && value < 0) continue;
    out.times.push(t);
    out.values.push(value);
  }
  return out;
}

function movingAverage(s: TransformSeries, n: number): TransformSeries {
  const out: TransformSeries = { times: [], values: [] };
  if (!(n >= 1)) return out;
  const buf: number[] = [];
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < s.times.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined) continue;
    // Same operation order as Go's reducer so float rounding matches.
    if (buf.length !== n) {
      buf.push(v);
    } else {
      sum -= buf[pos]!;
      buf[pos] = v;
    }
    sum += v;
    pos++;
    if (pos >= n) pos = 0;
    if (buf.length === n) {
      out.times.push(s.times[i]!);
      out.values.push(sum / n);
    }
  }
  return out;
}

function cumulativeSum(s: TransformSeries): TransformSeries {
  const out: TransformSeries = { times: [], values: [] };
  let sum = 0;
  for (let i = 0; i < s.times.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined) continue;
    sum += v;
    out.times.push(s.times[i]!);
    out.values.push(sum);
  }
  return out;
}

function elapsed(s: TransformSeries, unit: bigint): TransformSeries {
  const out: TransformSeries = { times: [], values: [] };
  const u = unit === 0n ? 1n : unit;
  let prevT = 0n;
  let have = false;
  for (let i = 0; i < s.times.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined) continue;
    const t = s.times[i]!;
    if (have) {
      out.times.push(t);
      out.values.push(Number((t - prevT) / u)); // BigInt division truncates like Go's
    }
    have = true;
    prevT = t;
  }
  return out;
}

/**
 * Result type of a transformation or math function applied to an input of the given type
 * (InfluxDB FunctionTypeMapper / MathTypeMapper). Unknown names keep the input type.
 */
export function transformValueType(name: string, input: 'float' | 'integer'): 'float' | 'integer' {
  switch (name) {
    case 'derivative':
    case 'non_negative_derivative':
    case 'moving_average':
    case 'sin':
    case 'cos':
    case 'tan':
    case 'asin':
    case 'acos':
    case 'atan':
    case 'atan2':
    case 'exp':
    case 'log':
    case 'ln':
    case 'log2':
    case 'log10':
    case 'sqrt':
    case 'pow':
      return 'float';
    case 'elapsed':
      return 'integer';
    default:
      // difference, non_negative_difference, cumulative_sum, abs, floor, ceil, round
      return input;
  }
}

// ---------------------------------------------------------------------------------------
// Math functions with Go `math` semantics (InfluxDB 1.6 is a Go 1.19 amd64 binary: Exp and
// Log are the amd64 assembly versions — Exp uses the FMA path on FMA/AVX2 CPUs — Sqrt,
// Floor, Ceil are exact; Sin, Cos, Tan, Atan, Asin, Acos, Atan2, Pow, Log2, Log10 are the
// pure Go (Cephes / FreeBSD derived) algorithms, which differ from V8's in the last bit).
// ---------------------------------------------------------------------------------------

const PI = Math.PI;
const SQRT2 = Math.SQRT2;

function f64bits(x: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0);
}

function f64frombits(b: bigint): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt.asUintN(64, b));
  return dv.getFloat64(0);
}

/** Go math.Frexp: x = frac × 2^exp with |frac| in [0.5, 1). */
export function goFrexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let exp = 0;
  let f = x;
  if (Math.abs(f) < 2.2250738585072014e-308) {
    // normalize a subnormal
    f *= 4503599627370496; // 2^52
    exp = -52;
  }
  const b = f64bits(f);
  exp += Number((b >> 52n) & 0x7ffn) - 1022;
  const fb = (b & ~(0x7ffn << 52n)) | (1022n << 52n);
  return [f64frombits(fb), exp];
}

/** Go math.Ldexp: frac × 2^exp, rounding once (also into the subnormal range). */
export function goLdexp(frac: number, exp: number): number {
  if (frac === 0 || !Number.isFinite(frac)) return frac;
  let f = frac;
  let e = exp;
  if (Math.abs(f) < 2.2250738585072014e-308) {
    f *= 4503599627370496;
    e -= 52;
  }
  let b = f64bits(f);
  e += Number((b >> 52n) & 0x7ffn) - 1023;
  if (e < -1075) return f < 0 ? -0 : 0;
  if (e > 1023) return f < 0 ? -Infinity : Infinity;
  let m = 1;
  if (e < -1022) {
    e += 53;
    m = 1 / 9007199254740992; // 2^-53
  }
  b &= ~(0x7ffn << 52n);
  b |= BigInt(e + 1023) << 52n;
  return m * f64frombits(b);
}

/** Exact fused multiply-add a*b + c with a single rounding (x86 VFMADD semantics). */
function fma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || a === 0 || b === 0) return a * b + c;
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  let p = ma * mb;
  let ep = ea + eb;
  if (c !== 0) {
    const [mc, ec] = decompose(c);
    if (ec < ep) {
      p <<= BigInt(ep - ec);
      ep = ec;
      p += mc;
    } else {
      p += mc << BigInt(ec - ep);
    }
  }
  if (p === 0n) return 0;
  return bigTimesPow2(p, ep);
}

/** x = m × 2^e with m an integer (|m| < 2^53). */
function decompose(x: number): [bigint, number] {
  const b = f64bits(x);
  const neg = b >> 63n === 1n;
  const be = Number((b >> 52n) & 0x7ffn);
  let m = b & 0xfffffffffffffn;
  let e: number;
  if (be === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = be - 1075;
  }
  return [neg ? -m : m, e];
}

/** Correctly rounded (ties to even) value of m × 2^e. */
function bigTimesPow2(m: bigint, e: number): number {
  const neg = m < 0n;
  let a = neg ? -m : m;
  const len = a.toString(2).length;
  let shift = Math.max(len - 53, -1074 - e);
  if (shift > 0) {
    const sh = BigInt(shift);
    const q = a >> sh;
    const rem = a - (q << sh);
    const half = 1n << (sh - 1n);
    let r = q;
    if (rem > half || (rem === half && (q & 1n) === 1n)) r = q + 1n;
    a = r;
  } else {
    shift = 0;
  }
  const v = Number(a) * pow2(e + shift);
  return neg ? -v : v;
}

function pow2(n: number): number {
  if (n > 1023) return Math.pow(2, 1023) * Math.pow(2, n - 1023);
  if (n < -1022) return Math.pow(2, -1022) * Math.pow(2, n + 1022);
  return Math.pow(2, n);
}

const EXP_LOG2E = 1.442695040888963407359924681001892;
const EXP_LN2U = 0.69314718055966295651160180568695068359375;
const EXP_LN2L = 0.28235290563031577122588448175013436025525412068e-12;
const EXP_OVERFLOW = 7.09782712893384e2;
const EXP_T = [
  0.5, 1.0, 2.0, 1.6666666666666666667e-1, 4.1666666666666666667e-2, 8.3333333333333333333e-3,
  1.3888888888888888889e-3, 1.9841269841269841270e-4, 2.4801587301587301587e-5,
] as const;

/** Round half to even to an int32, as CVTSD2SL does in the default rounding mode. */
function cvtsd2sl(x: number): number {
  if (!(Math.abs(x) < 2147483648)) return -2147483648; // x86 "integer indefinite"
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Go 1.19 amd64 math.Exp (exp_amd64.s, the FMA path used on FMA+AVX2 CPUs). */
export function goExp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === -Infinity) return 0;
  if (x > EXP_OVERFLOW) return Infinity;
  let k = cvtsd2sl(EXP_LOG2E * x);
  const kf = k;
  let r = fma(-EXP_LN2U, kf, x);
  r = fma(-EXP_LN2L, kf, r);
  r *= 0.0625;
  let p: number = EXP_T[8];
  p = fma(p, r, EXP_T[7]);
  p = fma(p, r, EXP_T[6]);
  p = fma(p, r, EXP_T[5]);
  p = fma(p, r, EXP_T[4]);
  p = fma(p, r, EXP_T[3]);
  p = fma(p, r, EXP_T[0]);
  p = fma(p, r, EXP_T[1]);
  r = r * p;
  let q = r + 2.0;
  r = r * q;
  q = r + 2.0;
  r = r * q;
  q = r + 2.0;
  r = r * q;
  q = r + 2.0;
  r = fma(r, q, 1.0);
  // ldexp
  k += 0x3ff;
  if (k <= 0) {
    if (k < -52) return 0;
    r *= f64frombits(BigInt(k + 0x3fe) << 52n);
    k = 1;
  } else if (k >= 0x7ff) {
    return Infinity;
  }
  return r * f64frombits(BigInt(k) << 52n);
}

const LN2HI = 6.93147180369123816490e-1;
const LN2LO = 1.90821492927058770002e-10;
const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

/** Go math.Log (log.go; log_amd64.s computes the same sequence). */
export function goLog(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x < 0) return NaN;
  if (x === 0) return -Infinity;
  let [f1, ki] = goFrexp(x);
  if (f1 < SQRT2 / 2) {
    f1 *= 2;
    ki--;
  }
  const f = f1 - 1;
  const k = ki;
  const s = f / (2 + f);
  const s2 = s * s;
  const s4 = s2 * s2;
  const t1 = s2 * (LG1 + s4 * (LG3 + s4 * (LG5 + s4 * LG7)));
  const t2 = s4 * (LG2 + s4 * (LG4 + s4 * LG6));
  const R = t1 + t2;
  const hfsq = 0.5 * f * f;
  return k * LN2HI - (hfsq - (s * (hfsq + R) + k * LN2LO) - f);
}

/** Go math.Log10: log(x) * (1/Ln10). */
export function goLog10(x: number): number {
  return goLog(x) * Math.LOG10E;
}

/** Go math.Log2: exact for powers of two. */
export function goLog2(x: number): number {
  const [frac, exp] = goFrexp(x);
  if (frac === 0.5) return exp - 1;
  return goLog(frac) * Math.LOG2E + exp;
}

const ATAN_P0 = -8.750608600031904122785e-1;
const ATAN_P1 = -1.615753718733365076637e1;
const ATAN_P2 = -7.500855792314704667340e1;
const ATAN_P3 = -1.228866684490136173410e2;
const ATAN_P4 = -6.485021904942025371773e1;
const ATAN_Q0 = 2.485846490142306297962e1;
const ATAN_Q1 = 1.650270098316988542046e2;
const ATAN_Q2 = 4.328810604912902668951e2;
const ATAN_Q3 = 4.853903996359136964868e2;
const ATAN_Q4 = 1.945506571482613964425e2;
const MOREBITS = 6.123233995736765886130e-17;
const TAN3PIO8 = 2.41421356237309504880;

function xatan(x: number): number {
  let z = x * x;
  z = (z * ((((ATAN_P0 * z + ATAN_P1) * z + ATAN_P2) * z + ATAN_P3) * z + ATAN_P4)) /
    (((((z + ATAN_Q0) * z + ATAN_Q1) * z + ATAN_Q2) * z + ATAN_Q3) * z + ATAN_Q4);
  return x * z + x;
}

function satan(x: number): number {
  if (x <= 0.66) return xatan(x);
  if (x > TAN3PIO8) return PI / 2 - xatan(1 / x) + MOREBITS;
  return PI / 4 + xatan((x - 1) / (x + 1)) + 0.5 * MOREBITS;
}

export function goAtan(x: number): number {
  if (x === 0) return x;
  if (x > 0) return satan(x);
  return -satan(-x);
}

export function goAsin(x: number): number {
  if (x === 0) return x;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  if (x > 1) return NaN;
  let temp = Math.sqrt(1 - x * x);
  if (x > 0.7) temp = PI / 2 - satan(temp / x);
  else temp = satan(x / temp);
  return sign ? -temp : temp;
}

export function goAcos(x: number): number {
  return PI / 2 - goAsin(x);
}

function copysign(x: number, y: number): number {
  const neg = y < 0 || Object.is(y, -0);
  return neg ? -Math.abs(x) : Math.abs(x);
}

export function goAtan2(y: number, x: number): number {
  if (Number.isNaN(y) || Number.isNaN(x)) return NaN;
  if (y === 0) {
    if (x >= 0 && !Object.is(x, -0)) return copysign(0, y);
    return copysign(PI, y);
  }
  if (x === 0) return copysign(PI / 2, y);
  if (!Number.isFinite(x)) {
    if (x === Infinity) return Number.isFinite(y) ? copysign(0, y) : copysign(PI / 4, y);
    return Number.isFinite(y) ? copysign(PI, y) : copysign((3 * PI) / 4, y);
  }
  if (!Number.isFinite(y)) return copysign(PI / 2, y);
  const q = goAtan(y / x);
  if (x < 0) {
    if (q <= 0) return q + PI;
    return q - PI;
  }
  return q;
}

const PI4A = 7.85398125648498535156e-1;
const PI4B = 3.77489470793079817668e-8;
const PI4C = 2.69515142907905952645e-15;
const REDUCE_THRESHOLD = 1 << 29;
const SIN = [
  1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
  -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1,
] as const;
const COS = [
  -1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7,
  2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2,
] as const;

function sinPoly(z: number, zz: number): number {
  return z + z * zz * (((((SIN[0] * zz + SIN[1]) * zz + SIN[2]) * zz + SIN[3]) * zz + SIN[4]) * zz + SIN[5]);
}

function cosPoly(zz: number): number {
  return 1.0 - 0.5 * zz + zz * zz * (((((COS[0] * zz + COS[1]) * zz + COS[2]) * zz + COS[3]) * zz + COS[4]) * zz + COS[5]);
}

/** Octant j (with zeros mapped to the origin) and reduced argument z for 0 <= x < 2^29. */
function trigOctant(x: number): [number, number] {
  let j = Math.floor(x * (4 / PI));
  let y = j;
  if (j % 2 === 1) {
    j++;
    y++;
  }
  const z = x - y * PI4A - y * PI4B - y * PI4C;
  return [j, z];
}

export function goSin(x: number): number {
  if (x === 0 || Number.isNaN(x)) return x;
  if (!Number.isFinite(x)) return NaN;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  if (x >= REDUCE_THRESHOLD) return sign ? -Math.sin(x) : Math.sin(x); // Payne-Hanek in Go
  let [j, z] = trigOctant(x);
  j &= 7;
  if (j > 3) {
    sign = !sign;
    j -= 4;
  }
  const zz = z * z;
  const y = j === 1 || j === 2 ? cosPoly(zz) : sinPoly(z, zz);
  return sign ? -y : y;
}

export function goCos(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  x = Math.abs(x);
  if (x >= REDUCE_THRESHOLD) return Math.cos(x);
  let sign = false;
  let [j, z] = trigOctant(x);
  j &= 7;
  if (j > 3) {
    j -= 4;
    sign = !sign;
  }
  if (j > 1) sign = !sign;
  const zz = z * z;
  const y = j === 1 || j === 2 ? sinPoly(z, zz) : cosPoly(zz);
  return sign ? -y : y;
}

const TAN_P = [-1.30936939181383777646e4, 1.15351664838587416140e6, -1.79565251976484877988e7] as const;
const TAN_Q = [1.0, 1.36812963470692954678e4, -1.32089234440210967447e6, 2.50083801823357915839e7, -5.38695755929454629881e7] as const;

export function goTan(x: number): number {
  if (x === 0 || Number.isNaN(x)) return x;
  if (!Number.isFinite(x)) return NaN;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  if (x >= REDUCE_THRESHOLD) return sign ? -Math.tan(x) : Math.tan(x);
  const [j, z] = trigOctant(x);
  const zz = z * z;
  let y: number;
  if (zz > 1e-14) {
    y = z + z * ((zz * ((TAN_P[0] * zz + TAN_P[1]) * zz + TAN_P[2])) /
      ((((zz + TAN_Q[1]) * zz + TAN_Q[2]) * zz + TAN_Q[3]) * zz + TAN_Q[4]));
  } else {
    y = z;
  }
  if ((j & 2) === 2) y = -1 / y;
  return sign ? -y : y;
}

function isOddInt(x: number): boolean {
  if (!Number.isFinite(x) || Math.trunc(x) !== x) return false;
  if (Math.abs(x) >= 2 ** 63) return false; // int64(xi) conversion overflows: not odd in practice
  return BigInt(x) % 2n !== 0n;
}

/** Go 1.19 math.Pow. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0) {
    if (y < 0) return isOddInt(y) ? copysign(Infinity, x) : Infinity;
    if (y > 0) return isOddInt(y) ? x : 0;
  }
  if (!Number.isFinite(y)) {
    if (x === -1) return 1;
    if ((Math.abs(x) < 1) === (y === Infinity)) return 0;
    return Infinity;
  }
  if (!Number.isFinite(x)) {
    if (x === -Infinity) return goPow(1 / x, -y);
    if (y < 0) return 0;
    if (y > 0) return Infinity;
  }
  if (y === 0.5) return Math.sqrt(x);
  if (y === -0.5) return 1 / Math.sqrt(x);

  const ay = Math.abs(y);
  let yi = Math.trunc(ay);
  let yf = ay - yi;
  if (yf !== 0 && x < 0) return NaN;
  if (yi >= 2 ** 63) {
    if (x === -1) return 1;
    if ((Math.abs(x) < 1) === (y > 0)) return 0;
    return Infinity;
  }
  let a1 = 1.0;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = goExp(yf * goLog(x));
  }
  let [x1, xe] = goFrexp(x);
  for (let i = BigInt(yi); i !== 0n; i >>= 1n) {
    if (xe < -(1 << 12) || 1 << 12 < xe) {
      ae += xe;
      break;
    }
    if ((i & 1n) === 1n) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe *= 2;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return goLdexp(a1, ae);
}

/** InfluxDB's round (query/math.go), i.e. Go math.Round: half away from zero. */
export function goRound(x: number): number {
  const t = Math.trunc(x);
  if (Math.abs(x - t) >= 0.5) return t + copysign(1, x);
  return t;
}

/**
 * InfluxQL math functions on float arguments (integer arguments are converted to float
 * first, as InfluxDB does, except abs/floor/ceil/round: see applyMath).
 * log(x, base) = ln(x) / ln(base). NaN results (sqrt(-1), asin(2), ...) are emitted by
 * InfluxDB 1.6 as JSON null; ±Inf results make InfluxDB 1.6 fail the whole response with
 * "json: unsupported value: -Inf" (the executor decides how to render those).
 */
export const MATH: Record<string, (...args: number[]) => number> = {
  abs: (x: number) => Math.abs(x),
  ceil: (x: number) => Math.ceil(x),
  floor: (x: number) => Math.floor(x),
  round: (x: number) => goRound(x),
  sqrt: (x: number) => Math.sqrt(x),
  pow: (x: number, y: number) => goPow(x, y),
  exp: (x: number) => goExp(x),
  ln: (x: number) => goLog(x),
  log: (x: number, base: number) => goLog(x) / goLog(base),
  log2: (x: number) => goLog2(x),
  log10: (x: number) => goLog10(x),
  sin: (x: number) => goSin(x),
  cos: (x: number) => goCos(x),
  tan: (x: number) => goTan(x),
  asin: (x: number) => goAsin(x),
  acos: (x: number) => goAcos(x),
  atan: (x: number) => goAtan(x),
  atan2: (y: number, x: number) => goAtan2(y, x),
};

const MATH_ARITY: Record<string, number> = { pow: 2, log: 2, atan2: 2 };

/** Number of arguments an InfluxQL math function takes (1 or 2), undefined if not one. */
export function mathArity(name: string): number | undefined {
  if (!Object.prototype.hasOwnProperty.call(MATH, name)) return undefined;
  return MATH_ARITY[name] ?? 1;
}

/**
 * One InfluxQL math call as InfluxDB 1.6 evaluates it (query/math.go MathValuer):
 * a null argument gives null; abs, floor, ceil and round return an INTEGER first argument
 * unchanged (so abs(-5i) is -5 in InfluxDB 1.6 — verified); everything else converts to
 * float. The result type is transformValueType(name, type of the first argument).
 */
export function applyMath(name: string, args: (number | null)[], firstType: 'float' | 'integer'): number | null {
  const fn = MATH[name];
  if (fn === undefined) throw new Error(`unknown math function ${name}`);
  for (const a of args) if (a === null || a === undefined) return null;
  const nums = args as number[];
  if (firstType === 'integer' && (name === 'abs' || name === 'floor' || name === 'ceil' || name === 'round')) {
    return nums[0]!;
  }
  return fn(...nums);
}
