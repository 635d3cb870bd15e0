// The byte writer of plain /query answers (jsonResponseBytes) against the string writers it
// replaces on that path (jsonResponse over convertTimes): byte-identical for any results,
// with RFC3339 and epoch times, tz() zones, every cell type, messages, errors and partial
// flags, and more numbers than one batch of the float text kernel.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecutedResult } from '../query/influxql/execute.js';
import type { Cell, ResultSeries } from '../query/influxql/result.js';
import { FLOAT_TEXT_CHUNK } from '../wasm/index.js';
import { jsonResponseBytes, jsonResponseText } from './influxql.js';

const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('<b>&', 'é', '\u2028', 'a"b\\c', '\n', '\b\f', '\ud800'));
// ns times: around now, before 1970, sub-second, and outside years 0-9999
const ns = fc.oneof(
  fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_800_000_000_000_000_000n }),
  fc.bigInt({ min: -9_000_000_000_000_000_000n, max: 9_000_000_000_000_000_000n }),
  fc.constantFrom(0n, -1n, 1n, 1_767_225_600_000_000_000n, 1_767_225_600_123_456_789n, -62_167_219_200_000_000_001n),
);
const cell: fc.Arbitrary<Cell> = fc.oneof(
  fc.double(),
  fc.integer().map((i) => i / 8),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  text,
  fc.boolean(),
  fc.constant(null),
);

function seriesArb(): fc.Arbitrary<ResultSeries> {
  return fc.integer({ min: 0, max: 4 }).chain((width) =>
    fc.record(
      {
        name: fc.oneof(fc.constant(''), text),
        tags: fc.option(fc.dictionary(text, text, { maxKeys: 3 }), { nil: undefined }),
        columns: fc.constant(['time', ...Array.from({ length: width }, (_, i) => `c${i}`)]),
        values: fc.array(fc.tuple(ns, fc.array(cell, { minLength: width, maxLength: width })).map(([t, rest]) => [t, ...rest] as Cell[]), { maxLength: 12 }),
        partial: fc.option(fc.constant(true), { nil: undefined }),
      },
      { requiredKeys: ['name', 'columns', 'values'] },
    ),
  );
}

const resultArb: fc.Arbitrary<ExecutedResult> = fc.record(
  {
    statement_id: fc.integer({ min: 0, max: 3 }),
    series: fc.option(fc.array(seriesArb(), { maxLength: 3 }), { nil: undefined }),
    messages: fc.option(fc.array(fc.record({ level: fc.constantFrom('warning', 'info'), text }), { maxLength: 2 }), { nil: undefined }),
    partial: fc.option(fc.boolean(), { nil: undefined }),
    error: fc.option(text, { nil: undefined }),
    chunking: fc.constant('whole' as const),
    location: fc.option(fc.constantFrom('America/New_York', 'Asia/Kolkata', 'UTC'), { nil: undefined }),
  },
  { requiredKeys: ['statement_id', 'chunking'] },
);

const divisors = [null, 1n, 1000n, 1_000_000n, 1_000_000_000n, 60_000_000_000n, 3_600_000_000_000n];

describe('jsonResponseBytes', () => {
  it('writes exactly what the string writers write', () => {
    fc.assert(
      fc.property(fc.array(resultArb, { maxLength: 3 }), fc.constantFrom(...divisors), (results, divisor) => {
        expect(jsonResponseBytes(results, divisor).toString('utf8')).toBe(jsonResponseText(results, divisor));
      }),
      { numRuns: 400 },
    );
  });

  it('writes runs of times that share their day, cross midnight or go before 1970', () => {
    // the time writer keeps the last day's date: rows of a GROUP BY time() and raw rows
    fc.assert(
      fc.property(
        fc.oneof(ns, fc.bigInt({ min: -86_400_000_000_000n * 3n, max: 86_400_000_000_000n * 3n })),
        fc.constantFrom(1n, 999_999n, 1_000_000n, 1_000_000_000n, 10_000_000_000n, 3_600_000_000_000n, 7_200_000_000_001n),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (t0, step, n, down) => {
          const rows: Cell[][] = [];
          for (let i = 0; i < n; i++) rows.push([t0 + (down ? -1n : 1n) * BigInt(i) * step, i]);
          const results: ExecutedResult[] = [{ statement_id: 0, chunking: 'whole', series: [{ name: 'm', columns: ['time', 'v'], values: rows }] }];
          expect(jsonResponseBytes(results, null).toString('utf8')).toBe(jsonResponseText(results, null));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes answers with more numbers than one batch of the float kernel', () => {
    const rows: Cell[][] = [];
    for (let i = 0; i < FLOAT_TEXT_CHUNK + 100; i++) rows.push([1_767_225_600_000_000_000n + BigInt(i) * 10_000_000_000n, Math.sin(i) * 100, i % 5 === 0 ? NaN : i / 3, i % 7 === 0 ? -0 : 'x']);
    const results: ExecutedResult[] = [{ statement_id: 0, chunking: 'whole', series: [{ name: 'cpu', columns: ['time', 'a', 'b', 'c'], values: rows }] }];
    for (const divisor of [null, 1_000_000n]) expect(jsonResponseBytes(results, divisor).toString('utf8')).toBe(jsonResponseText(results, divisor));
  });
});
