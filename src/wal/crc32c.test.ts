import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

/** Bit-at-a-time CRC-32C straight from the definition, as the reference. */
function reference(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value and RFC 3720 (iSCSI) B.4 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    const iscsiRead = Buffer.from(
      '01c00000' + '00000000'.repeat(3) + '14000000' + '00000400' + '00000014' + '00000018' + '28000000' + '00000000' + '02000000' + '00000000',
      'hex',
    );
    expect(crc32c(iscsiRead)).toBe(0xd9963a56);
  });

  it('equals the bitwise reference on any bytes and range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (buf, a, b) => {
        const s = buf.length ? a % (buf.length + 1) : 0;
        const e = s + (buf.length - s ? b % (buf.length - s + 1) : 0);
        expect(crc32c(buf, s, e)).toBe(reference(buf.subarray(s, e)));
      }),
      { numRuns: 2000 },
    );
  });

  it('chains through the seed: crc(a+b) = crc(b, seed = crc(a))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const ab = Buffer.concat([a, b]);
        expect(crc32c(b, 0, b.length, crc32c(a))).toBe(crc32c(ab));
        expect(crc32c(ab, a.length, ab.length, crc32c(ab, 0, a.length))).toBe(crc32c(ab));
      }),
    );
  });

  it('refuses a range outside the buffer', () => {
    expect(() => crc32c(Buffer.alloc(4), 0, 5)).toThrow(RangeError);
    expect(() => crc32c(Buffer.alloc(4), 3, 2)).toThrow(RangeError);
  });
});
