// Shortest round-trip text of doubles, as a WebAssembly kernel: the text of
// src/server/prometheus.ts formatValue() (NaN, +Inf, -Inf, 0, -0, otherwise JavaScript's
// String(v) with a one-digit exponent padded to two), byte for byte, for every double.
//
// Algorithm: Ryu (Ulf Adams, "Ryu: fast float-to-string conversion", PLDI 2018), d2s with
// the full tables of 128-bit powers of five, as its reference C code for compilers without
// 128-bit integers: the 64x128-bit products are done from 32-bit halves (umul128), once
// per value for the three ends (mulShiftAll64), keeping bits j-64.. (j - 64 is in [54, 61]
// for every double). Integers in [1, 2^53) take Ryu's small-integer shortcut. Two changes
// of Ryu's digit removal loop, which give the same digits: the number of digits removed is
// found greedily in steps of several digits (the loop's condition holds for r digits at
// once exactly when it holds for r single steps), and in the common case the first 0 to 3
// digits are chosen with selects instead of branches. The shortest digits are then laid out
// as ECMAScript Number::toString does (fixed notation for 1e-7 <= |v| < 1e21, else
// d.ddde+NN), all in the kernel.
//
// The tables (DOUBLE_POW5_INV_SPLIT, 342 entries, and DOUBLE_POW5_SPLIT, 326 entries, both
// with 125-bit precision, defined as Ryu's table generator defines them) are computed
// exactly with BigInt when a FloatText is built and written into the module's memory once;
// the module itself is assembled from the stack code below (asm.ts) at the same time.
//
// Memory (3 pages): [0, 200) the digit pairs "00".."99"; [256, 320) scratch for one value's
// digits; [320, 480) the powers of ten 10^0..10^19; [512, 11200) the two tables; then one
// call's input values (IN), the end offsets (ENDS) and the text (OUT, at most MAX_TEXT bytes
// a value, plus slack for the 8-byte stores past a value's end). Everything from IN on is
// scratch of one call.

import { assemble, block, br, brIf, call, get, I32, I64, i32, i64, if_, load, loop, Op, set, store, tee } from './asm.js';
import type { Code, FuncDef, ValType } from './asm.js';

const { i32: A, i64: L } = Op;

/** The most values one format() call writes. */
export const FLOAT_TEXT_CHUNK = 4096;
/** The longest text of one value: `-0.00000` and 17 digits. */
const MAX_TEXT = 25;

const DIGITS = 0;
const SCRATCH = 256;
/** 10^0..10^19 as i64s. */
const POW10 = 320;
const INV = 512;
const INV_SIZE = 342;
const POW5 = INV + INV_SIZE * 16;
const POW5_SIZE = 326;
const IN = 12288;
const ENDS = IN + FLOAT_TEXT_CHUNK * 8;
const OUT = ENDS + FLOAT_TEXT_CHUNK * 4;
const PAGES = 3;
if (POW5 + POW5_SIZE * 16 > IN || OUT + FLOAT_TEXT_CHUNK * MAX_TEXT + 64 > PAGES * 65536) throw new Error('dtoa: memory layout');

const F_POW5FACTOR = 0;
const F_D2S = 1;

/** Local indexes after `params`, handed out in order. */
function frame(params: ValType[]): { locals: ValType[]; i32: () => number; i64: () => number } {
  const locals: ValType[] = [];
  let next = params.length;
  return {
    locals,
    i32: () => (locals.push(I32), next++),
    i64: () => (locals.push(I64), next++),
  };
}

const LOW32 = i64(0xffffffff);

// ---- pow5Factor(v) -> how many times 5 divides v (v > 0) ---------------------------------
const pow5FactorFn: FuncDef = (() => {
  const [v, count] = [0, 1];
  return {
    name: 'pow5Factor',
    params: [I64],
    results: [I32],
    locals: [I32],
    body: [
      block(loop(
        get(v), i64(5), L.rem_u, L.eqz, A.eqz, brIf(1),
        get(v), i64(5), L.div_u, set(v),
        get(count), i32(1), A.add, set(count),
        br(0),
      )),
      get(count),
    ],
  };
})();

// ---- d2s(bits, p) -> p after the text -----------------------------------------------------
// Writes the text of the double with bit pattern `bits` at p (and may write up to 24 junk
// bytes after its end).
const ZEROS = i64(0x3030303030303030n);
/** Byte strings as little-endian i32s. */
const NAN = 0x4e614e; // "NaN"
const PINF = 0x666e492b; // "+Inf"
const MINF = 0x666e492d; // "-Inf"
const ZERO_DOT = 0x2e30; // "0."
const ch = (c: string): number => c.charCodeAt(0);

const d2sFn: FuncDef = (() => {
  const params: ValType[] = [I64, I32];
  const [bits, p] = [0, 1];
  const f = frame(params);
  const [mant, m2, mv, vr, vp, vm, output, vpD, vmD, vrD, t64, rem] = Array.from({ length: 12 }, () => f.i64());
  const [ieeeExp, e2, q, ii, e10, j, tab, even, mmShift, vmTZ, vrTZ, removed, last, k, n, src, o, c, d, e, c1, c2, c3] = Array.from({ length: 23 }, () => f.i32());

  /** Two digits (0 <= value < 100) from the pair table to address `at`. */
  const pair = (at: Code, value: Code): Code => [at, value, i32(1), A.shl, load.u16(DIGITS), store.i16()];
  /** The 8 digits (with leading zeros) of an i32 local x < 10^8 at address `addr`. */
  const eight = (addr: number, x: number): Code => [
    get(x), i32(10000), A.div_u, set(e),
    get(x), get(e), i32(10000), A.mul, A.sub, set(x),
    pair(i32(addr), [get(e), i32(100), A.div_u]),
    pair(i32(addr + 2), [get(e), i32(100), A.rem_u]),
    pair(i32(addr + 4), [get(x), i32(100), A.div_u]),
    pair(i32(addr + 6), [get(x), i32(100), A.rem_u]),
  ];
  /** 24 bytes from src to dst (addresses). */
  const copy24 = (dst: Code, src: Code): Code => [0, 8, 16].map((off) => [dst, src, load.i64(off), store.i64(off)]);
  /**
   * If vp / 10^s > vm / 10^s: removes the last s digits of vr, vp and vm, `last` the most
   * significant digit removed from vr, as s of Ryu's one-digit steps would (with `general`,
   * also vmIsTrailingZeros: all removed digits of vm zero, and vrIsTrailingZeros: all digits
   * removed from vr before `last` zero), then runs `then`; else runs `otherwise`.
   */
  const tryDrop = (s: number, general: boolean, then: Code[] = [], otherwise?: Code[]): Code => {
    const pow = 10n ** BigInt(s);
    const below = 10n ** BigInt(s - 1);
    return [
      get(vp), i64(pow), L.div_u, tee(vpD), get(vm), i64(pow), L.div_u, tee(vmD), L.gt_u,
      if_(
        [
          get(vr), i64(pow), L.div_u, set(vrD),
          get(vr), get(vrD), i64(pow), L.mul, L.sub, set(rem),
          general
            ? [
                get(vmTZ), get(vm), get(vmD), i64(pow), L.mul, L.eq, A.and, set(vmTZ),
                get(vrTZ), get(last), A.eqz, A.and, s > 1 ? [get(rem), i64(below), L.rem_u, L.eqz, A.and] : [], set(vrTZ),
              ]
            : [],
          get(rem), s > 1 ? [i64(below), L.div_u] : [], A.wrap_i64, set(last),
          get(vrD), set(vr), get(vpD), set(vp), get(vmD), set(vm),
          get(removed), i32(s), A.add, set(removed),
          ...then,
        ],
        otherwise,
      ),
    ];
  };
  /** All the digits Ryu's loop `while (vp / 10 > vm / 10)` removes: 0 or 1 when 2 cannot go, else 2, and 1 more, and up to 31 more after that (16, 8, 4, 2, 1). */
  const dropDigits = (general: boolean): Code =>
    tryDrop(2, general, [tryDrop(1, general, [16, 8, 4, 2, 1].map((s) => tryDrop(s, general)))], [tryDrop(1, general)]);
  // vr, vp, vm = (mv, mv + 2, mv - 1 - mmShift) * table[tab] >> j, as Ryu's mulShiftAll64
  // without 128-bit integers: one 192-bit product (lo, mid, hi) of m = 2 * m2 and the table
  // entry (mul0, mul1) from 32-bit halves, then the three values from it by adding or
  // subtracting the entry. Every carry and borrow is exact: mul1 <= 2^61 and hi < 2^52.
  const [aLo, aHi, bLo, bHi, b00, b01, b10, b11, mid1, mid2, mul0, mul1, lo, mid, hi, x, lo3, mid3, hi3, sh] = Array.from({ length: 20 }, () => f.i64());
  /** The 128-bit product of (aHi:aLo) and b: high half to `hiOut`, low half to `loOut` (Ryu's umul128). */
  const umul = (b: Code, hiOut: number, loOut: number): Code => [
    b, tee(bLo), i64(32), L.shr_u, set(bHi),
    get(bLo), LOW32, L.and, set(bLo),
    get(aLo), get(bLo), L.mul, set(b00),
    get(aLo), get(bHi), L.mul, set(b01),
    get(aHi), get(bLo), L.mul, set(b10),
    get(aHi), get(bHi), L.mul, set(b11),
    get(b10), get(b00), i64(32), L.shr_u, L.add, set(mid1),
    get(b01), get(mid1), LOW32, L.and, L.add, set(mid2),
    get(b11), get(mid1), i64(32), L.shr_u, L.add, get(mid2), i64(32), L.shr_u, L.add, set(hiOut),
    get(mid2), i64(32), L.shl, get(b00), LOW32, L.and, L.or, set(loOut),
  ];
  /** (h:m) >> dist for an i64 dist in (0, 64) (Ryu's shiftright128). */
  const shr128 = (m: number, h: number, dist: Code): Code => [get(h), i64(64), dist, L.sub, L.shl, get(m), dist, L.shr_u, L.or];
  const mulShiftAll: Code = [
    get(tab), load.i64(0), set(mul0),
    get(tab), load.i64(8), set(mul1),
    get(m2), i64(1), L.shl, tee(x), LOW32, L.and, set(aLo),
    get(x), i64(32), L.shr_u, set(aHi),
    umul(get(mul0), x, lo),
    umul(get(mul1), hi, mid),
    get(x), get(mid), L.add, set(mid),
    get(hi), get(mid), get(x), L.lt_u, L.extend_i32_u, L.add, set(hi),
    get(j), i32(65), A.sub, L.extend_i32_u, set(sh),
    // vr = (m * mul) >> (j - 1)
    shr128(mid, hi, get(sh)), set(vr),
    // vp = ((m + 1) * mul) >> (j - 1)
    get(lo), get(mul0), L.add, get(lo), L.lt_u, L.extend_i32_u, get(mul1), L.add, get(mid), L.add, set(mid3),
    get(hi), get(mid3), get(mid), L.lt_u, L.extend_i32_u, L.add, set(hi3),
    shr128(mid3, hi3, get(sh)), set(vp),
    get(mmShift),
    if_(
      [
        // vm = ((m - 1) * mul) >> (j - 1)
        get(mid), get(lo), get(mul0), L.sub, get(lo), L.gt_u, L.extend_i32_u, get(mul1), L.add, L.sub, set(mid3),
        get(hi), get(mid3), get(mid), L.gt_u, L.extend_i32_u, L.sub, set(hi3),
        shr128(mid3, hi3, get(sh)), set(vm),
      ],
      [
        // vm = ((2m - 1) * mul) >> j: the product doubled by shifts, then mul subtracted
        get(lo), i64(1), L.shl, set(lo3),
        get(mid), i64(1), L.shl, get(lo), i64(63), L.shr_u, L.or, set(x),
        get(hi), i64(1), L.shl, get(mid), i64(63), L.shr_u, L.or, set(hi3),
        get(x), get(lo3), get(mul0), L.sub, get(lo3), L.gt_u, L.extend_i32_u, get(mul1), L.add, L.sub, set(mid3),
        get(hi3), get(mid3), get(x), L.gt_u, L.extend_i32_u, L.sub, set(hi3),
        shr128(mid3, hi3, [get(sh), i64(1), L.add]), set(vm),
      ],
    ),
  ];
  const [vp1, vm1, vr1, vp2, vm2, vr2, vp3, vm3, vr3] = Array.from({ length: 9 }, () => f.i64());
  const sel = (a3: Code, a2: Code, a1: Code, a0: Code): Code => [a3, a2, a1, a0, get(c1), Op.select, get(c2), Op.select, get(c3), Op.select];
  const commonDrop: Code = [
    [[vp1, vm1, vr1, 10], [vp2, vm2, vr2, 100], [vp3, vm3, vr3, 1000]].map(([dp, dm, dr, pow]) => [
      get(vp), i64(pow), L.div_u, set(dp), get(vm), i64(pow), L.div_u, set(dm), get(vr), i64(pow), L.div_u, set(dr),
    ]),
    get(vp1), get(vm1), L.gt_u, set(c1),
    get(vp2), get(vm2), L.gt_u, set(c2),
    get(vp3), get(vm3), L.gt_u, set(c3),
    // (c3 implies c2 implies c1)
    sel(
      [get(vr2), get(vr3), i64(10), L.mul, L.sub, A.wrap_i64],
      [get(vr1), get(vr2), i64(10), L.mul, L.sub, A.wrap_i64],
      [get(vr), get(vr1), i64(10), L.mul, L.sub, A.wrap_i64],
      i32(0),
    ), set(last),
    sel(get(vr3), get(vr2), get(vr1), get(vr)), set(vr),
    sel(get(vp3), get(vp2), get(vp1), get(vp)), set(vp),
    sel(get(vm3), get(vm2), get(vm1), get(vm)), set(vm),
    get(c1), get(c2), A.add, get(c3), A.add, set(removed),
    get(c3), if_([16, 8, 4, 2, 1].map((s) => tryDrop(s, false))),
  ];

  return {
    name: 'd2s',
    params,
    results: [I32],
    locals: f.locals,
    body: [
      get(bits), i64((1n << 52n) - 1n), L.and, set(mant),
      get(bits), i64(52), L.shr_u, A.wrap_i64, i32(0x7ff), A.and, set(ieeeExp),
      // NaN, +Inf, -Inf
      get(ieeeExp), i32(0x7ff), A.eq,
      if_([
        get(mant), L.eqz,
        if_([get(p), i32(MINF), i32(PINF), get(bits), i64(0), L.lt_s, Op.select, store.i32(), get(p), i32(4), A.add, Op.return]),
        get(p), i32(NAN), store.i32(), get(p), i32(3), A.add, Op.return,
      ]),
      get(bits), i64(0), L.lt_s, if_([get(p), i32(ch('-')), store.i8(), get(p), i32(1), A.add, set(p)]),
      // 0, -0
      get(bits), i64(1), L.shl, L.eqz, if_([get(p), i32(ch('0')), store.i8(), get(p), i32(1), A.add, Op.return]),

      // ---- the shortest decimal: output * 10^e10
      block(
        // integers in [1, 2^53): the integer itself (trailing zeros kept; the layout is the same)
        get(ieeeExp), i32(1075), A.sub, set(e2),
        get(ieeeExp), i32(0), A.ne, get(e2), i32(0), A.le_s, A.and, get(e2), i32(-52), A.ge_s, A.and,
        if_([
          get(mant), i64(1n << 52n), L.or, set(m2),
          get(m2), i32(0), get(e2), A.sub, L.extend_i32_u, tee(t64), L.shr_u, tee(output), get(t64), L.shl, get(m2), L.eq,
          if_([i32(0), set(e10), br(2)]),
        ]),

        // Ryu d2d. Step 1: m2 * 2^e2, with two more bits for the bounds.
        get(ieeeExp),
        if_(
          [get(ieeeExp), i32(1077), A.sub, set(e2), get(mant), i64(1n << 52n), L.or, set(m2)],
          [i32(-1076), set(e2), get(mant), set(m2)],
        ),
        get(m2), i64(1), L.and, L.eqz, set(even),
        // Step 2: the interval of representations, [mv - 1 - mmShift, mv + 2] (4 * ulp units).
        get(m2), i64(2), L.shl, set(mv),
        get(mant), i64(0), L.ne, get(ieeeExp), i32(1), A.le_u, A.or, set(mmShift),
        i32(0), set(vmTZ),
        i32(0), set(vrTZ),
        // Step 3: to a decimal power base.
        get(e2), i32(0), A.ge_s,
        if_(
          [
            // q = log10Pow2(e2) - (e2 > 3); j = -e2 + q + 125 + pow5bits(q) - 1
            get(e2), i32(78913), A.mul, i32(18), A.shr_u, get(e2), i32(3), A.gt_s, A.sub, set(q),
            get(q), set(e10),
            get(q), get(e2), A.sub, i32(125), A.add, get(q), i32(1217359), A.mul, i32(19), A.shr_u, A.add, set(j),
            i32(INV), get(q), i32(4), A.shl, A.add, set(tab),
          ],
          [
            // q = log10Pow5(-e2) - (-e2 > 1); i = -e2 - q; j = q - (pow5bits(i) - 125)
            i32(0), get(e2), A.sub, i32(732923), A.mul, i32(20), A.shr_u, i32(0), get(e2), A.sub, i32(1), A.gt_s, A.sub, set(q),
            get(q), get(e2), A.add, set(e10),
            i32(0), get(e2), A.sub, get(q), A.sub, set(ii),
            get(q), get(ii), i32(1217359), A.mul, i32(19), A.shr_u, i32(124), A.sub, A.sub, set(j),
            i32(POW5), get(ii), i32(4), A.shl, A.add, set(tab),
          ],
        ),
        mulShiftAll,
        get(e2), i32(0), A.ge_s,
        if_(
          [
            get(q), i32(21), A.le_u,
            if_([
              get(mv), i64(5), L.rem_u, L.eqz,
              if_(
                [get(mv), call(F_POW5FACTOR), get(q), A.ge_u, set(vrTZ)],
                [
                  get(even),
                  if_(
                    [get(mv), i64(1), L.sub, get(mmShift), L.extend_i32_u, L.sub, call(F_POW5FACTOR), get(q), A.ge_u, set(vmTZ)],
                    [get(vp), get(mv), i64(2), L.add, call(F_POW5FACTOR), get(q), A.ge_u, L.extend_i32_u, L.sub, set(vp)],
                  ),
                ],
              ),
            ]),
          ],
          [
            get(q), i32(1), A.le_u,
            if_(
              [i32(1), set(vrTZ), get(even), if_([get(mmShift), set(vmTZ)], [get(vp), i64(1), L.sub, set(vp)])],
              [get(q), i32(63), A.lt_u, if_([get(mv), L.ctz, get(q), L.extend_i32_u, L.ge_u, set(vrTZ)])],
            ),
          ],
        ),
        // Step 4: the shortest representation in the interval. Ryu removes one digit at a
        // time while vp / 10 > vm / 10; vp / 10^r > vm / 10^r holds exactly when r single
        // steps would all be taken, and for r + 1 only if for r, so the number of digits to
        // remove is found in larger steps (dropDigits, commonDrop).
        i32(0), set(removed),
        i32(0), set(last),
        get(vmTZ), get(vrTZ), A.or,
        if_(
          [
            // general case (an end of the interval or the value itself is a short decimal)
            dropDigits(true),
            get(vmTZ),
            if_([
              block(loop(
                get(vm), i64(10), L.div_u, tee(vmD), i64(10), L.mul, get(vm), L.ne, brIf(1),
                get(vp), i64(10), L.div_u, set(vpD),
                get(vr), i64(10), L.div_u, set(vrD),
                get(vrTZ), get(last), A.eqz, A.and, set(vrTZ),
                get(vr), get(vrD), i64(10), L.mul, L.sub, A.wrap_i64, set(last),
                get(vrD), set(vr), get(vpD), set(vp), get(vmD), set(vm),
                get(removed), i32(1), A.add, set(removed),
                br(0),
              )),
            ]),
            // round half to even when the value is exactly ...50..0
            get(vrTZ), get(last), i32(5), A.eq, A.and, get(vr), i64(1), L.and, L.eqz, A.and, if_([i32(4), set(last)]),
            get(vr),
            get(vr), get(vm), L.eq, get(even), A.eqz, get(vmTZ), A.eqz, A.or, A.and, get(last), i32(5), A.ge_u, A.or,
            L.extend_i32_u, L.add, set(output),
          ],
          [
            // common case (~99% of full-precision values): most remove one or two digits,
            // unpredictably, so 0 to 3 are chosen without branches; more only if 3 could go
            commonDrop,
            get(vr), get(vr), get(vm), L.eq, get(last), i32(5), A.ge_u, A.or, L.extend_i32_u, L.add, set(output),
          ],
        ),
        get(e10), get(removed), A.add, set(e10),
      ),

      // ---- the digits of output (< 10^17) as 17 digits with leading zeros at SCRATCH; its
      // k digits start at src = SCRATCH + 17 - k. (No branches: a value's digit count is
      // not predictable.)
      // k = the digit count: t = bitLength * 1233 >> 12 is it or one less
      i32(64), get(output), L.clz, A.wrap_i64, A.sub, i32(1233), A.mul, i32(12), A.shr_u, tee(k),
      get(output), get(k), i32(3), A.shl, load.i64(POW10), L.ge_u, A.add, set(k),
      get(output), i64(100000000), L.div_u, set(t64),
      get(output), get(t64), i64(100000000), L.mul, L.sub, A.wrap_i64, set(o),
      get(t64), A.wrap_i64, tee(c), i32(100000000), A.div_u, set(d),
      get(c), get(d), i32(100000000), A.mul, A.sub, set(c),
      i32(SCRATCH), get(d), i32(ch('0')), A.add, store.i8(),
      eight(SCRATCH + 1, c),
      eight(SCRATCH + 9, o),
      i32(SCRATCH + 17), get(k), A.sub, set(src),

      // ---- layout (ECMAScript Number::toString): the value is 0.d1..dk * 10^n
      get(e10), get(k), A.add, set(n),
      // k <= n <= 21: the digits and n - k zeros
      get(e10), i32(0), A.ge_s, get(n), i32(21), A.le_s, A.and,
      if_([
        copy24(get(p), get(src)),
        [0, 8, 16].map((off) => [get(p), get(k), A.add, ZEROS, store.i64(off)]),
        get(p), get(n), A.add, Op.return,
      ]),
      // 0 < n < k: n digits, '.', the rest
      get(n), i32(0), A.gt_s, get(n), i32(21), A.le_s, A.and,
      if_([
        copy24(get(p), get(src)),
        get(p), get(n), A.add, i32(ch('.')), store.i8(),
        copy24([get(p), get(n), A.add, i32(1), A.add], [get(n), get(src), A.add]),
        get(p), get(k), A.add, i32(1), A.add, Op.return,
      ]),
      // -6 < n <= 0: "0.", -n zeros, the digits
      get(n), i32(-6), A.gt_s, get(n), i32(0), A.le_s, A.and,
      if_([
        get(p), i32(ZERO_DOT), store.i16(),
        get(p), ZEROS, store.i64(2),
        copy24([get(p), i32(2), A.add, get(n), A.sub], get(src)),
        get(p), i32(2), A.add, get(n), A.sub, get(k), A.add, Op.return,
      ]),
      // otherwise d[.ddd]e(+|-)NN
      get(p), get(src), load.u8(), store.i8(),
      get(k), i32(1), A.gt_u,
      if_(
        [get(p), i32(ch('.')), store.i8(1), copy24([get(p), i32(2), A.add], [get(src), i32(1), A.add]), get(p), get(k), A.add, i32(1), A.add, set(p)],
        [get(p), i32(1), A.add, set(p)],
      ),
      get(n), i32(1), A.sub, set(e),
      get(p), i32(ch('e')), store.i8(),
      get(p), i32(ch('+')), i32(ch('-')), get(e), i32(0), A.ge_s, Op.select, store.i8(1),
      get(e), i32(0), A.lt_s, if_([i32(0), get(e), A.sub, set(e)]),
      get(p), i32(2), A.add, set(p),
      get(e), i32(100), A.ge_u,
      if_([
        get(p), get(e), i32(100), A.div_u, i32(ch('0')), A.add, store.i8(),
        get(e), i32(100), A.rem_u, set(e),
        get(p), i32(1), A.add, set(p),
      ]),
      pair(get(p), get(e)),
      get(p), i32(2), A.add,
    ],
  };
})();

// ---- format(src, n, dst, ends) -> bytes written -------------------------------------------
// The n doubles at src, their texts one after another from dst, the end of each (relative to
// dst) as an i32 at ends.
const formatFn: FuncDef = (() => {
  const [src, n, dst, ends, i, p] = [0, 1, 2, 3, 4, 5];
  return {
    name: 'format',
    params: [I32, I32, I32, I32],
    results: [I32],
    locals: [I32, I32],
    body: [
      get(dst), set(p),
      i32(0), set(i),
      block(loop(
        get(i), get(n), A.ge_u, brIf(1),
        get(src), get(i), i32(3), A.shl, A.add, load.i64(), get(p), call(F_D2S), set(p),
        get(ends), get(i), i32(2), A.shl, A.add, get(p), get(dst), A.sub, store.i32(),
        get(i), i32(1), A.add, set(i),
        br(0),
      )),
      get(p), get(dst), A.sub,
    ],
  };
})();

// The parts of the WebAssembly JS API used here (the project's lib settings do not declare it).
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { readonly buffer: ArrayBuffer };
  format(src: number, n: number, dst: number, ends: number): number;
}

/** Ryu's DOUBLE_POW5_INV_SPLIT and DOUBLE_POW5_SPLIT (125-bit precision) into memory at INV and POW5. */
function writeTables(mem: ArrayBuffer): void {
  const dv = new DataView(mem);
  const put = (at: number, v: bigint): void => {
    dv.setBigUint64(at, BigInt.asUintN(64, v), true);
    dv.setBigUint64(at + 8, v >> 64n, true);
  };
  let pow = 1n;
  for (let i = 0; i < Math.max(INV_SIZE, POW5_SIZE); i++, pow *= 5n) {
    const bits = pow.toString(2).length;
    if (i < INV_SIZE) put(INV + 16 * i, (1n << BigInt(bits - 1 + 125)) / pow + 1n);
    if (i < POW5_SIZE) put(POW5 + 16 * i, bits >= 125 ? pow >> BigInt(bits - 125) : pow << BigInt(125 - bits));
  }
  for (let i = 0; i < 20; i++) dv.setBigUint64(POW10 + 8 * i, 10n ** BigInt(i), true);
  const u8 = new Uint8Array(mem);
  for (let i = 0; i < 100; i++) {
    u8[DIGITS + 2 * i] = 48 + Math.floor(i / 10);
    u8[DIGITS + 2 * i + 1] = 48 + (i % 10);
  }
}

/** One batch of texts: value i's text is bytes[ends[i - 1] (0 for i = 0), ends[i]). */
export interface FloatTextBatch {
  /** The texts, one after another (ASCII). */
  bytes: Uint8Array;
  /** The end offset in `bytes` of each value's text. */
  ends: Int32Array;
  /** How many values were formatted: min(to - from, FLOAT_TEXT_CHUNK). */
  count: number;
}

/**
 * Doubles to their shortest round-trip text, formatValue()'s (src/server/prometheus.ts)
 * exactly. Each instance has its own WebAssembly instance; its memory is scratch for the
 * results of the last call.
 */
export class FloatText {
  private readonly x: Exports;
  private readonly f64: Float64Array;
  private readonly buf: ArrayBuffer;

  constructor() {
    const mod = new wasm.Module(assemble([pow5FactorFn, d2sFn, formatFn], PAGES));
    this.x = new wasm.Instance(mod, {}).exports as Exports;
    // the memory never grows, so its buffer and views stay valid
    this.buf = this.x.memory.buffer;
    this.f64 = new Float64Array(this.buf);
    writeTables(this.buf);
  }

  /**
   * Formats values[from, from + count) with count = min(to - from, FLOAT_TEXT_CHUNK) (`to`
   * at most values.length); the caller continues from `from + count` when that is less than
   * `to`. Value i's text is bytes[i === 0 ? 0 : ends[i - 1], ends[i]). The views point into
   * the module's memory and are valid until the next call on this instance.
   */
  format(values: ArrayLike<number>, from: number, to: number): FloatTextBatch {
    const count = Math.max(0, Math.min(Math.min(to, values.length) - from, FLOAT_TEXT_CHUNK));
    const f64 = this.f64;
    if (values instanceof Float64Array) f64.set(values.subarray(from, from + count), IN / 8);
    else for (let i = 0, o = IN / 8; i < count; i++, o++) f64[o] = values[from + i];
    const len = this.x.format(IN, count, OUT, ENDS);
    return { bytes: new Uint8Array(this.buf, OUT, len), ends: new Int32Array(this.buf, ENDS, count), count };
  }
}
