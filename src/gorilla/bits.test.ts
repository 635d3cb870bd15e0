import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from './bits.js';
import { ByteReader, ByteWriter, zigzag64Len } from './bytes.js';
import { BlockDecodeError } from './errors.js';
import { anyInt64 } from './testing/arbitraries.js';

const field = fc.tuple(fc.integer({ min: 0, max: 64 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));

describe('bit and byte streams', () => {
  it('read back every field written, at every alignment', () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 60 }), (fields) => {
        const bw = new BitWriter();
        for (const [w, lo, hi] of fields) bw.write64(lo, hi, w);
        const out = new ByteWriter(1);
        out.u8(0xaa); // misalign the stream inside the buffer
        const bitsLen = bw.bitLength;
        bw.flushTo(out);
        expect(out.pos).toBe(1 + Math.ceil(bitsLen / 8));
        const br = new BitReader().reset(out.buf, 1, out.pos - 1);
        for (const [w, lo, hi] of fields) {
          br.read64(w);
          const mlo = w >= 32 ? lo : w === 0 ? 0 : lo & ((2 ** w - 1) >>> 0);
          const mhi = w <= 32 ? 0 : w === 64 ? hi : hi & ((2 ** (w - 32) - 1) >>> 0);
          expect([br.lo >>> 0, br.hi >>> 0]).toEqual([mlo >>> 0, mhi >>> 0]);
        }
        br.finish();
      }),
      { numRuns: 2000 },
    );
  });

  it('throw BlockDecodeError past the end instead of inventing bits', () => {
    const br = new BitReader().reset(Uint8Array.of(0xff), 0, 1);
    expect(br.read(8)).toBe(255);
    expect(() => br.read(1)).toThrow(BlockDecodeError);
  });

  it('round-trip zigzag varint64 and know its length', () => {
    fc.assert(
      fc.property(anyInt64, (v) => {
        const u = BigInt.asUintN(64, v);
        const lo = Number(u & 0xffffffffn);
        const hi = Number(u >> 32n);
        const w = new ByteWriter(1);
        w.zigzag64(lo, hi);
        w.uvarint64(lo, hi);
        expect(zigzag64Len(lo, hi)).toBe(w.pos - (w.pos - zigzagEnd(w.buf)));
        const r = new ByteReader(w.buf, 0, w.pos);
        r.zigzag64();
        expect([r.lo, r.hi]).toEqual([lo, hi]);
        r.uvarint64();
        expect([r.lo, r.hi]).toEqual([lo, hi]);
        r.expectEnd();
      }),
      { numRuns: 2000 },
    );
  });

  it('refuse truncated and overlong varints', () => {
    expect(() => new ByteReader(Uint8Array.of(0x80), 0, 1).uvarint()).toThrow(BlockDecodeError);
    expect(() => new ByteReader(new Uint8Array(11).fill(0xff), 0, 11).uvarint64()).toThrow(BlockDecodeError);
    expect(() => new ByteReader(Uint8Array.of(...new Array(9).fill(0xff), 0x02), 0, 10).uvarint64()).toThrow(/overflows/);
  });
});

function zigzagEnd(b: Uint8Array): number {
  let p = 0;
  while (b[p] & 128) p++;
  return p + 1;
}
