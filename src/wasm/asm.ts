// A small WebAssembly assembler: enough of the binary format (WebAssembly Core
// Specification 1.0, chapter 5) to build one module of integer kernels at start-up, with
// no toolchain and no generated file in the repository. Function bodies are written as
// stack code with the helpers below (one helper per instruction, structured control flow
// as nested arrays), so a kernel reads like its WAT text:
//
//   [get(x), get(y), I32.add, set(z)]           (local.set $z (i32.add (local.get $x) ...))
//
// Only what the kernels use is here: i32/i64 integer instructions, loads and stores,
// block/loop/if, br/br_if/return, call, one exported memory. Validation is WebAssembly's own:
// new WebAssembly.Module() rejects a malformed body with the offset of the bad byte.

export type Code = number | Code[];

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer (a bigint for values outside the safe range). */
export function sleb(v: number | bigint): number[] {
  let n = BigInt(v);
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function flat(code: Code, out: number[] = []): number[] {
  if (typeof code === 'number') out.push(code);
  else for (const c of code) flat(c, out);
  return out;
}

// ---- instructions ---------------------------------------------------------------------

export const get = (i: number): Code => [0x20, ...uleb(i)];
export const set = (i: number): Code => [0x21, ...uleb(i)];
export const tee = (i: number): Code => [0x22, ...uleb(i)];
export const i32 = (v: number): Code => [0x41, ...sleb(v)];
export const i64 = (v: number | bigint): Code => [0x42, ...sleb(v)];

/** Loads and stores: `offset` is added to the address operand (no alignment promise). */
export const load = {
  i32: (offset = 0): Code => [0x28, 0, ...uleb(offset)],
  i64: (offset = 0): Code => [0x29, 0, ...uleb(offset)],
  u8: (offset = 0): Code => [0x2d, 0, ...uleb(offset)],
  i64u8: (offset = 0): Code => [0x31, 0, ...uleb(offset)],
  u16: (offset = 0): Code => [0x2f, 0, ...uleb(offset)],
  i64u32: (offset = 0): Code => [0x35, 0, ...uleb(offset)],
  f64: (offset = 0): Code => [0x2b, 0, ...uleb(offset)],
};
export const store = {
  i32: (offset = 0): Code => [0x36, 0, ...uleb(offset)],
  i64: (offset = 0): Code => [0x37, 0, ...uleb(offset)],
  /** i32.store8: the low byte of an i32. */
  i8: (offset = 0): Code => [0x3a, 0, ...uleb(offset)],
  /** i32.store16: the low two bytes of an i32. */
  i16: (offset = 0): Code => [0x3b, 0, ...uleb(offset)],
  /** i64.store8: the low byte of an i64. */
  i64_8: (offset = 0): Code => [0x3c, 0, ...uleb(offset)],
  f64: (offset = 0): Code => [0x39, 0, ...uleb(offset)],
};

export const Op = {
  drop: 0x1a,
  select: 0x1b,
  return: 0x0f,
  i32: {
    eqz: 0x45, eq: 0x46, ne: 0x47, lt_s: 0x48, lt_u: 0x49, gt_s: 0x4a, gt_u: 0x4b, le_s: 0x4c, le_u: 0x4d, ge_s: 0x4e, ge_u: 0x4f,
    add: 0x6a, sub: 0x6b, mul: 0x6c, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shr_s: 0x75, shr_u: 0x76,
    wrap_i64: 0xa7,
    clz: 0x67, ctz: 0x68, popcnt: 0x69, div_s: 0x6d, div_u: 0x6e, rem_s: 0x6f, rem_u: 0x70, rotl: 0x77, rotr: 0x78,
  },
  i64: {
    eqz: 0x50, eq: 0x51, ne: 0x52, lt_u: 0x54, gt_u: 0x56,
    add: 0x7c, sub: 0x7d, and: 0x83, or: 0x84, xor: 0x85, shl: 0x86, shr_s: 0x87, shr_u: 0x88,
    extend_i32_u: 0xad,
    lt_s: 0x53, gt_s: 0x55, le_s: 0x57, le_u: 0x58, ge_s: 0x59, ge_u: 0x5a,
    clz: 0x79, ctz: 0x7a, popcnt: 0x7b, mul: 0x7e, div_s: 0x7f, div_u: 0x80, rem_s: 0x81, rem_u: 0x82, rotl: 0x89, rotr: 0x8a,
    extend_i32_s: 0xac, reinterpret_f64: 0xbd,
  },
} as const;

/** `block` with no result; `br(0)` inside jumps past its end. */
export const block = (...body: Code[]): Code => [0x02, 0x40, body, 0x0b];
/** `loop` with no result; `br(0)` inside jumps back to its start. */
export const loop = (...body: Code[]): Code => [0x03, 0x40, body, 0x0b];
/** `if` (consumes an i32) with no result, and an optional else branch. */
export const if_ = (then: Code[], otherwise?: Code[]): Code => (otherwise ? [0x04, 0x40, then, 0x05, otherwise, 0x0b] : [0x04, 0x40, then, 0x0b]);
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): Code => [0x0d, ...uleb(depth)];
/** `call` of the function at `index` in the list given to assemble(). */
export const call = (index: number): Code => [0x10, ...uleb(index)];

// ---- module ---------------------------------------------------------------------------

export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Locals after the parameters (their indexes continue the parameters'). */
  locals: ValType[];
  body: Code;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

/** The bytes of a module with `funcs` (all exported by name) and one exported memory `memory` of `pages` 64 KiB pages. */
export function assemble(funcs: FuncDef[], pages: number): Uint8Array {
  const types = vec(funcs.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]));
  const fnIdx = vec(funcs.map((_, i) => uleb(i)));
  const memory = vec([[0x00, ...uleb(pages)]]);
  const exports = vec([...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]), [...name('memory'), 0x02, 0]]);
  const bodies = vec(
    funcs.map((f) => {
      // locals as runs of one type
      const runs: number[][] = [];
      for (const t of f.locals) {
        const last = runs.at(-1);
        if (last !== undefined && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      const body = [...vec(runs.map(([n, t]) => [...uleb(n), t])), ...flat(f.body), 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, fnIdx),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}
