// Round-trip helpers for the codec tests: encode a column range, decode it back from a
// reader bounded to exactly the bytes written, and require the reader to end there.

import { ByteReader, ByteWriter } from '../bytes.js';

export interface Encoded {
  tag: number;
  bytes: Uint8Array;
}

/** Encodes with `enc`, returning the tag and a copy of the body. */
export function encodeWith(enc: (out: ByteWriter) => number): Encoded {
  const out = new ByteWriter(16);
  const tag = enc(out);
  return { tag, bytes: out.bytes().slice() };
}

/** Decodes `e` with `dec` over a reader of exactly its bytes, checking all were consumed. */
export function decodeWith(e: Encoded, dec: (tag: number, r: ByteReader) => void): void {
  const r = new ByteReader(e.bytes, 0, e.bytes.length);
  dec(e.tag, r);
  r.expectEnd();
}

export function words(a: BigInt64Array | BigUint64Array | Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** True when both arrays hold the same 32-bit words (compares floats by their bits). */
export function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
