import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../gorilla/bytes.js';
import { PACK_ZZ, readPackSum, readPackSumJs } from '../gorilla/intpack.js';
import { crc32c, crc32cJs } from '../wal/crc32c.js';
import { Kernels } from './kernels.js';
import { kernels } from './index.js';

const RUNS = { numRuns: 300 };

/** readPackSumJs's answer for `stream` (n values after a given previous value), or its error. */
function reference(stream: Uint8Array, n: number, prev: [number, number], ordered: boolean): { out: Uint32Array; pos: number } | Error {
  const out = new Uint32Array(2 * (n + 1));
  out[0] = prev[0];
  out[1] = prev[1];
  const r = new ByteReader(stream, 0, stream.length);
  try {
    readPackSumJs(r, out, 1, n, ordered);
  } catch (err) {
    return err as Error;
  }
  return { out, pos: r.pos };
}

/** The kernel for the stream's kind byte: the position after the stream or -1, and the output. */
function viaKernel(k: Kernels, stream: Uint8Array, n: number, prev: [number, number], ordered: boolean): { out: Uint32Array; pos: number } {
  const out = new Uint32Array(2 * (n + 1));
  out[0] = prev[0];
  out[1] = prev[1];
  const kind = stream[0];
  const pos = kind === PACK_ZZ ? k.zzSum(stream, 1, stream.length, out, 1, n, ordered) : k.zfSum(stream, 1, stream.length, kind, out, 1, n, ordered);
  return { out, pos };
}

/**
 * The kernel agrees with the reader: where the reader throws it refuses (-1), and what it
 * accepts it decodes to the same values and end. (It may also refuse a stream the reader's
 * fast path accepts, nonzero padding bits in a miniblock away from the block's end: the
 * reader then decodes it, so the result is the reader's either way.)
 */
function check(want: { out: Uint32Array; pos: number } | Error, got: { out: Uint32Array; pos: number }): void {
  if (want instanceof Error) expect(got.pos).toBe(-1);
  else if (got.pos !== -1) {
    expect(got.pos).toBe(want.pos);
    expect(got.out).toEqual(want.out);
  }
}

const word = fc.integer({ min: 0, max: 0xffffffff });

/** A ZZ stream: miniblocks of 128 values, each a width byte and width * count bits of payload (random, so any values), sometimes cut short or with a bad width. */
const zzStream = fc
  .record({
    n: fc.integer({ min: 1, max: 400 }),
    widths: fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(0, 1, 32, 33, 63, 64)), { minLength: 4, maxLength: 4 }),
    seed: word,
    damage: fc.oneof(fc.constant('none'), fc.constant('none'), fc.constantFrom('cut', 'width', 'extra', 'padding')),
    cutAt: fc.nat(),
  })
  .map(({ n, widths, seed, damage, cutAt }) => {
    const bytes: number[] = [PACK_ZZ];
    let x = seed | 1;
    for (let s = 0, m = 0; s < n; s += 128, m++) {
      const w = damage === 'width' && m === 1 ? 65 + (seed % 100) : widths[m % widths.length];
      bytes.push(w);
      const nb = (Math.min(128, n - s) * Math.min(w, 64) + 7) >>> 3;
      for (let i = 0; i < nb; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        bytes.push(x & 0xff);
      }
      // the encoder pads with zero bits
      const used = (Math.min(128, n - s) * Math.min(w, 64)) & 7;
      if (used !== 0 && damage !== 'padding') bytes[bytes.length - 1] &= (1 << used) - 1;
    }
    if (damage === 'extra') bytes.push(1, 2, 3);
    const out = Uint8Array.from(bytes);
    return { n, stream: damage === 'cut' ? out.subarray(0, 1 + (cutAt % (out.length - 1))) : out };
  });

/** A ZF stream: a width byte (1..64) and random bits, which are mostly a valid stream of some values, or not. */
const zfStream = fc
  .record({
    n: fc.integer({ min: 1, max: 300 }),
    width: fc.integer({ min: 1, max: 64 }),
    // short bodies run out of bits (the reader throws); long ones hold all n values
    body: fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.uint8Array({ minLength: 2500, maxLength: 2600 })),
    zeros: fc.boolean(),
  })
  .map(({ n, width, body, zeros }) => {
    // mostly-zero bodies decode to long runs of `0` flags, as real sparse streams do
    const b = zeros ? body.map((v) => v & 0x11) : body;
    return { n, stream: Uint8Array.from([width, ...b]) };
  });

describe('WebAssembly kernels', () => {
  it('ZZ: the same values and end position as the JavaScript reader, and -1 where it throws', () => {
    const k = new Kernels();
    let decoded = 0;
    fc.assert(
      fc.property(zzStream, fc.tuple(word, word), fc.boolean(), ({ n, stream }, prev, ordered) => {
        const got = viaKernel(k, stream, n, prev, ordered);
        check(reference(stream, n, prev, ordered), got);
        if (got.pos >= 0) decoded++;
      }),
      { ...RUNS, seed: 20261122 },
    );
    expect(decoded).toBeGreaterThan(RUNS.numRuns / 4);
  });

  it('ZF: the same values and end position as the JavaScript reader, and -1 where it throws', () => {
    const k = new Kernels();
    let ok = 0;
    let failed = 0;
    fc.assert(
      fc.property(zfStream, fc.tuple(word, word), fc.boolean(), ({ n, stream }, prev, ordered) => {
        const want = reference(stream, n, prev, ordered);
        check(want, viaKernel(k, stream, n, prev, ordered));
        if (want instanceof Error) failed++;
        else ok++;
      }),
      { numRuns: 600, seed: 20261122 },
    );
    // both outcomes were exercised
    expect(ok).toBeGreaterThan(20);
    expect(failed).toBeGreaterThan(20);
  });

  it('readPackSum gives the JavaScript error for a stream the kernel refuses', () => {
    const stream = Uint8Array.from([PACK_ZZ, 10, 1, 2]); // 128 values of 10 bits need 160 bytes
    const out = new Uint32Array(2 * 129);
    expect(() => readPackSum(new ByteReader(stream, 0, stream.length), out, 1, 128, false)).toThrow(/truncated/);
    expect(() => readPackSumJs(new ByteReader(stream, 0, stream.length), out, 1, 128, false)).toThrow(/truncated/);
  });

  it('CRC-32C equals the JavaScript tables on any bytes, range and seed, across the chunk size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(), fc.nat(), word, (b, x, y, seed) => {
        const s = b.length === 0 ? 0 : x % b.length;
        const e = s + (b.length === 0 ? 0 : y % (b.length - s + 1));
        expect(kernels.crc32c(b, s, e, seed)).toBe(crc32cJs(b, s, e, seed));
        expect(crc32c(b, s, e, seed)).toBe(crc32cJs(b, s, e, seed));
      }),
      RUNS,
    );
    // the known check value of CRC-32C ("123456789" -> 0xE3069283), and a buffer larger
    // than one kernel call's chunk (1 MiB) and than the module's initial memory
    expect(kernels.crc32c(Buffer.from('123456789'), 0, 9, 0)).toBe(0xe3069283);
    const big = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    expect(kernels.crc32c(big, 5, big.length, 0)).toBe(crc32cJs(big, 5, big.length, 0));
  });

  it('grows its memory for a large block and keeps working after', () => {
    const k = new Kernels();
    const n = 200_000;
    const bytes = [PACK_ZZ];
    for (let s = 0; s < n; s += 128) {
      bytes.push(40);
      for (let i = 0; i < (Math.min(128, n - s) * 40) / 8; i++) bytes.push((s + i * 7) & 0xff);
    }
    const stream = Uint8Array.from(bytes);
    const want = reference(stream, n, [1, 2], true);
    if (want instanceof Error) throw want;
    const got = viaKernel(k, stream, n, [1, 2], true);
    expect(got.pos).toBe(want.pos);
    expect(got.out).toEqual(want.out);
    const small = viaKernel(k, stream.subarray(0, 1 + 1 + 640), 128, [0, 0], false);
    expect(small.pos).toBe(642);
  });
});
