// WebAssembly kernels for the read path's hottest loops: CRC-32C of blocks and WAL records,
// and the unpacking of delta streams (intpack.ts ZZ and sparse.ts ZF) with the prefix sum
// and the float order map folded in, which is most of decoding a TSM block.
//
// Why WebAssembly: the JavaScript versions work on 64-bit values as two 32-bit halves with
// carries, and V8 runs them interpreted until a function has run often enough to be
// optimised, ~100-190 ns per value for the first blocks after a start and ~6-17 ns once
// optimised. The same loops here use i64 arithmetic and unaligned 64-bit loads, and
// WebAssembly code is compiled before its first call. Results are bit-for-bit those of the
// JavaScript versions (src/wasm/kernels.test.ts checks that on random streams); the
// kernels only report failure (-1) and the callers then run the JavaScript version, which
// throws the precise error, so a damaged block reads as before.
//
// The module is assembled from the stack code below (asm.ts) when this file is loaded. Its
// memory is scratch: [0, 8 KiB) the eight CRC tables, then the input bytes of one call and
// its output; nothing survives a call.

import { assemble, block, br, brIf, get, I32, I64, i32, i64, if_, load, loop, Op, set, store, tee } from './asm.js';
import type { Code, FuncDef } from './asm.js';

const { i32: A, i64: L } = Op;
const POLY = 0x82f63b78;
/** Where a call's input bytes start (after the CRC tables). */
const IN = 8192;
/** Bytes after the input that the kernels may read (unaligned 64-bit loads past the end). */
const SLACK = 32;
/** Inputs longer than this are checksummed in pieces. */
const CRC_CHUNK = 1 << 20;

// ---- crc32c(ptr, len, seed) -> crc ------------------------------------------------------
// Slice-by-8 as src/wal/crc32c.ts; table k at k * 1024.
const tab = (k: number, index: Code): Code => [index, i32(2), A.shl, load.i32(k * 1024)];
const crcFn: FuncDef = (() => {
  const [ptr, len, seed, c, end8, end, lo, hi] = [0, 1, 2, 3, 4, 5, 6, 7];
  const byte = (x: number, shift: number): Code => (shift === 24 ? [get(x), i32(24), A.shr_u] : [get(x), i32(shift), A.shr_u, i32(0xff), A.and]);
  return {
    name: 'crc32c',
    params: [I32, I32, I32],
    results: [I32],
    locals: [I32, I32, I32, I32, I32],
    body: [
      get(seed), i32(-1), A.xor, set(c),
      get(ptr), get(len), A.add, set(end),
      get(ptr), get(len), i32(~7), A.and, A.add, set(end8),
      block(loop(
        get(ptr), get(end8), A.ge_u, brIf(1),
        get(ptr), load.i32(), get(c), A.xor, set(lo),
        get(ptr), load.i32(4), set(hi),
        tab(7, byte(lo, 0)), tab(6, byte(lo, 8)), A.xor, tab(5, byte(lo, 16)), A.xor, tab(4, byte(lo, 24)), A.xor,
        tab(3, byte(hi, 0)), A.xor, tab(2, byte(hi, 8)), A.xor, tab(1, byte(hi, 16)), A.xor, tab(0, byte(hi, 24)), A.xor,
        set(c),
        get(ptr), i32(8), A.add, set(ptr),
        br(0),
      )),
      block(loop(
        get(ptr), get(end), A.ge_u, brIf(1),
        tab(0, [get(c), get(ptr), load.u8(), A.xor, i32(0xff), A.and]), get(c), i32(8), A.shr_u, A.xor, set(c),
        get(ptr), i32(1), A.add, set(ptr),
        br(0),
      )),
      get(c), i32(-1), A.xor,
    ],
  };
})();

// Shared pieces of the unpacking kernels. `acc` is the running value (before the order map),
// `om` 0x7fff...ffff for ordered streams (floats.ts: negative patterns have all bits but the
// sign flipped) and 0 otherwise.
/** acc = (hi << 32) | lo of two i32 locals. */
const join = (lo: number, hi: number, acc: number): Code => [get(lo), L.extend_i32_u, get(hi), L.extend_i32_u, i64(32), L.shl, L.or, set(acc)];
/** The `bits` (an i32 local, 1..64; 0 gives mask 0 via `maskOf`) low bits at bit position p (i32 local) from byte `base` (i32 local): (load64(q) >> sh | byte(q + 8) << (64 - sh)) & mask. */
const bitsAt = (base: number, p: number, mask: Code): Code => [
  // q = base + (p >> 3): left on the stack twice via a scratch-free recomputation
  get(base), get(p), i32(3), A.shr_u, A.add, load.i64(),
  get(p), i32(7), A.and, L.extend_i32_u, L.shr_u,
  get(base), get(p), i32(3), A.shr_u, A.add, load.i64u8(8), i64(1), L.shl,
  i64(63), get(p), i32(7), A.and, L.extend_i32_u, L.sub, L.shl,
  L.or,
  mask, L.and,
];
/** -1 >>> (64 - bits) for an i32 local `bits` in 1..64. */
const maskOf = (bits: number): Code => [i64(-1), i64(64), get(bits), L.extend_i32_u, L.sub, L.shr_u];
/** acc += unzigzag(v) */
const addZigzag = (acc: number, v: number): Code => [get(acc), get(v), i64(1), L.shr_u, i64(0), get(v), i64(1), L.and, L.sub, L.xor, L.add, set(acc)];
/** store acc (order-mapped by om) at dst; dst += 8 */
const emit = (acc: number, om: number, dst: number): Code => [
  get(dst), get(acc), get(acc), i64(63), L.shr_s, get(om), L.and, L.xor, store.i64(),
  get(dst), i32(8), A.add, set(dst),
];
const omOf = (ordered: number, om: number): Code => [i64(0x7fffffffffffffffn), i64(0), get(ordered), Op.select, set(om)];
/** om, then acc = the previous value (i32 locals lo, hi) with the order map undone (the map is its own inverse). */
const start = (lo: number, hi: number, ordered: number, acc: number, om: number): Code => [
  omOf(ordered, om),
  join(lo, hi, acc),
  get(acc), get(acc), i64(63), L.shr_s, get(om), L.and, L.xor, set(acc),
];

// ---- zzsum(src, end, n, dst, plo, phi, ordered) -> new src | -1 --------------------------
// intpack.ts readPackSum's ZZ: miniblocks of 128 values, each [u8 width][width-bit zigzags].
const zzFn: FuncDef = (() => {
  const [src, end, n, dst, plo, phi, ordered] = [0, 1, 2, 3, 4, 5, 6];
  const [acc, om, mask, v] = [7, 8, 9, 10];
  const [i, cnt, width, nbytes, p, j] = [11, 12, 13, 14, 15, 16];
  return {
    name: 'zzsum',
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [I32],
    locals: [I64, I64, I64, I64, I32, I32, I32, I32, I32, I32],
    body: [
      start(plo, phi, ordered, acc, om),
      i32(0), set(i),
      block(loop(
        get(i), get(n), A.ge_u, brIf(1),
        // cnt = min(n - i, 128)
        i32(128), get(n), get(i), A.sub, tee(cnt), get(cnt), i32(128), A.gt_u, Op.select, set(cnt),
        get(src), get(end), A.ge_u, if_([i32(-1), Op.return]),
        get(src), load.u8(), set(width),
        get(src), i32(1), A.add, set(src),
        get(width), i32(64), A.gt_u, if_([i32(-1), Op.return]),
        get(width), get(cnt), A.mul, i32(7), A.add, i32(3), A.shr_u, set(nbytes),
        get(nbytes), get(end), get(src), A.sub, A.gt_u, if_([i32(-1), Op.return]),
        // mask: 0 for width 0 (the deltas are zero), else the low `width` bits
        maskOf(width), i64(0), get(width), Op.select, set(mask),
        i32(0), set(p),
        i32(0), set(j),
        block(loop(
          get(j), get(cnt), A.ge_u, brIf(1),
          bitsAt(src, p, get(mask)), set(v),
          addZigzag(acc, v),
          emit(acc, om, dst),
          get(p), get(width), A.add, set(p),
          get(j), i32(1), A.add, set(j),
          br(0),
        )),
        // the padding bits of the miniblock's last byte must be zero (as BitReader.finish())
        get(p), i32(7), A.and,
        if_([
          get(src), get(nbytes), A.add, i32(1), A.sub, load.u8(), get(p), i32(7), A.and, A.shr_u,
          if_([i32(-1), Op.return]),
        ]),
        get(src), get(nbytes), A.add, set(src),
        get(i), get(cnt), A.add, set(i),
        br(0),
      )),
      get(src),
    ],
  };
})();

// ---- zfsum(src, end, n, width, dst, plo, phi, ordered) -> bytes used | -1 ---------------
// sparse.ts readZfSum: `0` a zero delta, `10` + width bits, `11` + 6 bits (length - 1) +
// length bits; one bit stream padded with zero bits to a byte.
const zfFn: FuncDef = (() => {
  const [src, end, n, width, dst, plo, phi, ordered] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [acc, om, x, v] = [8, 9, 10, 11];
  const [i, p, len, used] = [12, 13, 14, 15];
  return {
    name: 'zfsum',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    results: [I32],
    locals: [I64, I64, I64, I64, I32, I32, I32, I32],
    body: [
      start(plo, phi, ordered, acc, om),
      i32(0), set(p),
      i32(0), set(i),
      block(loop(
        get(i), get(n), A.ge_u, brIf(1),
        // a stream running past its section is damaged (the slack covers this value's reads)
        get(src), get(p), i32(3), A.shr_u, A.add, get(end), A.gt_u, if_([i32(-1), Op.return]),
        get(src), get(p), i32(3), A.shr_u, A.add, load.i64(), get(p), i32(7), A.and, L.extend_i32_u, L.shr_u, set(x),
        get(x), A.wrap_i64, i32(1), A.and,
        if_(
          [
            get(x), A.wrap_i64, i32(2), A.and,
            if_(
              [get(x), i64(2), L.shr_u, A.wrap_i64, i32(63), A.and, i32(1), A.add, set(len), get(p), i32(8), A.add, set(p)],
              [get(width), set(len), get(p), i32(2), A.add, set(p)],
            ),
            bitsAt(src, p, maskOf(len)), set(v),
            get(p), get(len), A.add, set(p),
            addZigzag(acc, v),
          ],
          [get(p), i32(1), A.add, set(p)],
        ),
        emit(acc, om, dst),
        get(i), i32(1), A.add, set(i),
        br(0),
      )),
      get(p), i32(7), A.add, i32(3), A.shr_u, set(used),
      get(used), get(end), get(src), A.sub, A.gt_u, if_([i32(-1), Op.return]),
      // padding bits of the last byte must be zero
      get(p), i32(7), A.and,
      if_([
        get(src), get(used), A.add, i32(1), A.sub, load.u8(), get(p), i32(7), A.and, A.shr_u,
        if_([i32(-1), Op.return]),
      ]),
      get(used),
    ],
  };
})();

// The parts of the WebAssembly JS API used here (the project's lib settings, ES2022 without
// DOM, do not declare the WebAssembly namespace).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  crc32c(ptr: number, len: number, seed: number): number;
  zzsum(src: number, end: number, n: number, dst: number, plo: number, phi: number, ordered: number): number;
  zfsum(src: number, end: number, n: number, width: number, dst: number, plo: number, phi: number, ordered: number): number;
}

/** The kernels with JavaScript-facing signatures: each copies its input into the module's memory and its output back. */
export class Kernels {
  private readonly x: Exports;
  private buf: ArrayBuffer;
  private u8: Uint8Array;
  private u32: Uint32Array;

  constructor() {
    const mod = new wasm.Module(assemble([crcFn, zzFn, zfFn], 4));
    this.x = new wasm.Instance(mod, {}).exports as Exports;
    this.buf = this.x.memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.u32 = new Uint32Array(this.buf);
    const t = new Int32Array(this.buf, 0, 2048);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
      t[i] = c;
    }
    for (let k = 1; k < 8; k++) for (let i = 0; i < 256; i++) t[k * 256 + i] = (t[(k - 1) * 256 + i] >>> 8) ^ t[t[(k - 1) * 256 + i] & 0xff];
  }

  /** Makes the memory hold `bytes` bytes from 0 and refreshes the views. */
  private room(bytes: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (bytes > have) this.x.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.x.memory.buffer !== this.buf) {
      this.buf = this.x.memory.buffer;
      this.u8 = new Uint8Array(this.buf);
      this.u32 = new Uint32Array(this.buf);
    }
  }

  /** Copies buf[start, end) to IN, with SLACK zero bytes after. */
  private input(buf: Uint8Array, start: number, end: number, extra: number): void {
    this.room(IN + (end - start) + SLACK + extra);
    this.u8.set(buf.subarray(start, end), IN);
    this.u8.fill(0, IN + (end - start), IN + (end - start) + SLACK);
  }

  /** CRC-32C of buf[start, end) continuing `seed` (as src/wal/crc32c.ts). */
  crc32c(buf: Uint8Array, start: number, end: number, seed: number): number {
    let c = seed;
    for (let at = start; at < end; at += CRC_CHUNK) {
      const to = Math.min(end, at + CRC_CHUNK);
      this.input(buf, at, to, 0);
      c = this.x.crc32c(IN, to - at, c) >>> 0;
    }
    return c;
  }

  /**
   * The ZZ stream at buf[pos, end): n values into out[2 * from, 2 * (from + n)) as running
   * sums from out[2 * from - 2..] (see intpack.ts readPackSum). Returns the position after
   * the stream, or -1 when it is malformed (nothing is written then).
   */
  zzSum(buf: Uint8Array, pos: number, end: number, out: Uint32Array, from: number, n: number, ordered: boolean): number {
    const len = end - pos;
    const dst = (IN + len + SLACK + 7) & ~7;
    this.input(buf, pos, end, dst - IN - len - SLACK + 8 * n);
    const r = this.x.zzsum(IN, IN + len, n, dst, out[2 * from - 2], out[2 * from - 1], ordered ? 1 : 0);
    if (r < 0) return -1;
    out.set(this.u32.subarray(dst >>> 2, (dst >>> 2) + 2 * n), 2 * from);
    return pos + (r - IN);
  }

  /** The ZF stream (width `width`) at buf[pos, end), as zzSum(); returns the position after it or -1. */
  zfSum(buf: Uint8Array, pos: number, end: number, width: number, out: Uint32Array, from: number, n: number, ordered: boolean): number {
    const len = end - pos;
    const dst = (IN + len + SLACK + 7) & ~7;
    this.input(buf, pos, end, dst - IN - len - SLACK + 8 * n);
    const used = this.x.zfsum(IN, IN + len, n, width, dst, out[2 * from - 2], out[2 * from - 1], ordered ? 1 : 0);
    if (used < 0) return -1;
    out.set(this.u32.subarray(dst >>> 2, (dst >>> 2) + 2 * n), 2 * from);
    return pos + used;
  }
}
