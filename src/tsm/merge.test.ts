import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeChunks, type Chunk } from './merge.js';

const time = fc.oneof(fc.bigInt(-5n, 20n), fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n));

/** A sorted unique chunk from arbitrary (time, value) pairs. */
function chunkOf(pairs: [bigint, number][], kind: 'f' | 'i' | 'b' | 's'): Chunk {
  const m = new Map<bigint, number>();
  for (const [t, v] of pairs) m.set(t, v);
  const sorted = [...m.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const times = BigInt64Array.from(sorted.map((p) => p[0]));
  const vs = sorted.map((p) => p[1]);
  const values =
    kind === 'f' ? Float64Array.from(vs) : kind === 'i' ? BigInt64Array.from(vs.map(BigInt)) : kind === 'b' ? Uint8Array.from(vs.map((v) => v & 1)) : vs.map(String);
  return { times, values };
}

describe('mergeChunks', () => {
  it('equals a last-writer-wins model for every value kind (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(time, fc.integer({ min: 0, max: 1000 })), { maxLength: 30 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('f' as const, 'i' as const, 'b' as const, 's' as const),
        (sources, kind) => {
          const chunks = sources.map((s) => chunkOf(s, kind));
          const model = new Map<bigint, unknown>();
          for (const c of chunks) c.times.forEach((t, k) => model.set(t, (c.values as ArrayLike<unknown>)[k]));
          const want = [...model.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
          const got = mergeChunks(chunks);
          expect([...got.times]).toEqual(want.map((w) => w[0]));
          expect(Array.from(got.values as ArrayLike<unknown>)).toEqual(want.map((w) => w[1]));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
