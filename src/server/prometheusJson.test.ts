// The byte writer of query answers (resultBody) against the string writer it replaces on
// the hot path (resultJson): byte-identical for any matrix or vector, values written by the
// float text kernel (src/wasm/dtoa.ts) in batches, series longer than one batch included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOAT_TEXT_CHUNK } from '../wasm/index.js';
import type { QueryOutput } from '../query/promql/types.js';
import { jsonString, resultBody, resultJson } from './prometheus.js';

type Result = QueryOutput['result'];

const expected = (r: Result, warnings: string[] = []): string =>
  `{"status":"success","data":${resultJson(r)}${warnings.length > 0 ? `,"warnings":[${warnings.map(jsonString).join(',')}]` : ''}}`;

const labels = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 8 }), { maxKeys: 4 });
// ms times as the engine makes them: whole ms, negative ones and ones beyond 2^53 included
const time = fc.oneof(fc.integer({ min: -1e12, max: 4e12 }), fc.constantFrom(0, 1767225600000, -1, 2 ** 53 + 2));
const value = fc.oneof(fc.double(), fc.integer().map((i) => i / 4), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7, 5e-324));

describe('resultBody', () => {
  it('writes a matrix exactly as resultJson does', () => {
    const series = fc.array(value, { maxLength: 40 }).chain((values) =>
      fc.record({ labels, times: fc.array(time, { minLength: values.length, maxLength: values.length }), values: fc.constant(values) }),
    );
    fc.assert(
      fc.property(fc.array(series, { maxLength: 4 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }), (s, warnings) => {
        const r: Result = { resultType: 'matrix', series: s };
        expect(resultBody(r, warnings).toString('utf8')).toBe(expected(r, warnings));
      }),
      { numRuns: 300 },
    );
  });

  it('writes frozen (stored series\') label sets from its cache byte for byte, and no others', () => {
    const sample = fc.record({ labels, t: time, v: value });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 20 }), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), (samples, frozen) => {
        // some label sets frozen, some of those twice in one answer
        const shared = samples.map((s, i) => (frozen[i] ? { ...s, labels: Object.freeze({ ...s.labels }) } : s));
        const withRepeats = [...shared, ...shared.filter((_, i) => frozen[i])];
        const r: Result = { resultType: 'vector', samples: withRepeats };
        const cache = new WeakMap<object, Uint8Array>();
        const first = resultBody(r, [], [], cache).toString('utf8');
        expect(first).toBe(expected(r));
        // the second answer writes the cached bytes
        expect(resultBody(r, [], [], cache).toString('utf8')).toBe(expected(r));
        const m: Result = { resultType: 'matrix', series: withRepeats.map((x) => ({ labels: x.labels, times: [x.t], values: [x.v] })) };
        expect(resultBody(m, [], [], cache).toString('utf8')).toBe(expected(m));
        for (let i = 0; i < shared.length; i++) expect(cache.has(shared[i].labels)).toBe(frozen[i]);
      }),
      { numRuns: 200 },
    );
  });

  it('writes a vector exactly as resultJson does', () => {
    const sample = fc.record({ labels, t: time, v: value });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 30 }), (samples) => {
        const r: Result = { resultType: 'vector', samples };
        expect(resultBody(r).toString('utf8')).toBe(expected(r));
      }),
      { numRuns: 300 },
    );
  });

  it('writes series longer than one batch of the float kernel', () => {
    const n = 2 * FLOAT_TEXT_CHUNK + 17;
    const times = Array.from({ length: n }, (_, i) => 1767225600000 + i * 10_000);
    const values = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? i : Math.sin(i) * 100));
    const r: Result = { resultType: 'matrix', series: [{ labels: { __name__: 'x' }, times, values }, { labels: { a: 'b' }, times: times.slice(0, 3), values: values.slice(0, 3) }] };
    expect(resultBody(r).toString('utf8')).toBe(expected(r));
  });
});
