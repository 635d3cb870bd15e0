// urlEncodedPairs (prometheus.ts): the pairs URLSearchParams gives for any text, by its own
// split and decodeURIComponent where the escapes are valid UTF-8 and by URLSearchParams
// otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { urlEncodedPairs } from './prometheus.js';

const reference = (text: string): string[] => [...new URLSearchParams(text)].flat();

// pieces that matter to the parser: separators, pluses, escapes valid and not (stray %,
// bad hex, invalid UTF-8, an encoded surrogate, overlong forms), non-ASCII and lone surrogates
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 4 }) },
  fc.constantFrom('&', '=', '+', '%', '?', '%2', '%zz', '%41', '%2B', '%26', '%3D', '%25', '%C3%A9', '%E2%82%AC', '%F0%9F%98%80', '%FF', '%C3', '%E2%82', '%ED%A0%80', '%C0%AF', 'é', '😀', '\uD800', '\uDC00', ' '),
);

describe('urlEncodedPairs', () => {
  it('gives URLSearchParams\'s pairs for any text', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(urlEncodedPairs(text)).toEqual(reference(text));
      }),
      { numRuns: 5000, seed: 20261122 },
    );
  });

  it('reads a Grafana range query form', () => {
    const body = new URLSearchParams({ query: 'max_over_time(cpu_usage_user{hostname="host_1"}[1m]) + 1', start: '1767225660', end: '1767229200', step: '60' }).toString();
    expect(urlEncodedPairs(body)).toEqual(['query', 'max_over_time(cpu_usage_user{hostname="host_1"}[1m]) + 1', 'start', '1767225660', 'end', '1767229200', 'step', '60']);
    expect(urlEncodedPairs('a=%zz&b=1&&c')).toEqual(['a', '%zz', 'b', '1', 'c', '']);
  });
});
