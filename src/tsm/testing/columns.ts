// Test helpers for TSM files: generated files of many series and fields of every type, a
// brute-force range filter to compare reads with, and exact (bitwise) column equality.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { ColumnValues, FieldTypeCode } from '../../types.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../../types.js';
import type { TsmColumnInput } from '../writer.js';

export function tmpDir(prefix = 'strata-tsm-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;

/** n sorted unique int64 times: regular clocks, jitter, big gaps, the int64 extremes. */
export function timesArb(n: number): fc.Arbitrary<BigInt64Array> {
  if (n === 0) return fc.constant(new BigInt64Array(0));
  const step = fc.oneof(fc.constantFrom(1n, 1_000_000n, 10_000_000_000n), fc.bigInt({ min: 1n, max: 2n ** 40n }));
  const start = fc.oneof(fc.constant(1767225600000000000n), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), fc.constant(MIN_I64));
  return fc.oneof(
    fc.tuple(start, step).map(([s, d]) => regular(s, d, n)),
    fc.tuple(start, fc.array(fc.oneof(fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: 2n ** 50n })), { minLength: n, maxLength: n })).map(([s, ds]) => {
      const t = new BigInt64Array(n);
      let x = s;
      for (let i = 0; i < n; i++) {
        x = i === 0 ? x : x + ds[i];
        if (x > MAX_I64) return regular(s, 1n, n);
        t[i] = x;
      }
      return t;
    }),
    // ending at the largest time
    step.map((d) => regular(MAX_I64 - BigInt(n - 1) * (d > 1000n ? 1000n : d), d > 1000n ? 1000n : d, n)),
  );
}

function regular(s: bigint, d: bigint, n: number): BigInt64Array {
  const t = new BigInt64Array(n);
  if (s + BigInt(n - 1) * d > MAX_I64) s = MAX_I64 - BigInt(n - 1) * d;
  for (let i = 0; i < n; i++) t[i] = s + BigInt(i) * d;
  return t;
}

const bits = fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));

export function valuesArb(type: FieldTypeCode, n: number): fc.Arbitrary<ColumnValues> {
  switch (type) {
    case FLOAT:
      return fc.oneof(
        fc.array(bits, { minLength: n, maxLength: n }).map((ws) => {
          const w = new Uint32Array(2 * n);
          ws.forEach(([lo, hi], i) => ((w[2 * i] = lo), (w[2 * i + 1] = hi)));
          return new Float64Array(w.buffer);
        }),
        fc.array(fc.integer({ min: -100000, max: 100000 }), { minLength: n, maxLength: n }).map((a) => Float64Array.from(a, (x) => x / 100)),
        fc.array(fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE), { minLength: n, maxLength: n }).map((a) => Float64Array.from(a)),
      );
    case INTEGER:
      return fc.array(fc.oneof(fc.bigInt({ min: MIN_I64, max: MAX_I64 }), fc.bigInt({ min: -5n, max: 5n })), { minLength: n, maxLength: n }).map((a) => BigInt64Array.from(a));
    case UNSIGNED:
      return fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 2n ** 64n - 1n)), { minLength: n, maxLength: n }).map((a) => BigUint64Array.from(a));
    case BOOLEAN:
      return fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a));
    default:
      return fc.array(fc.oneof(fc.constantFrom('ok', 'warn', '', '😀', 'é'), fc.string({ maxLength: 10 })), { minLength: n, maxLength: n });
  }
}

export const fieldNames = ['value', 'usage_idle', 'temp', 'status', 'é', 'a', 'Z'];
const types: FieldTypeCode[] = [FLOAT, INTEGER, UNSIGNED, BOOLEAN, STRING];

/** One column of `n` points. */
export function columnArb(seriesId: number, field: string, type: FieldTypeCode, n: number): fc.Arbitrary<TsmColumnInput> {
  return fc.tuple(timesArb(n), valuesArb(type, n)).map(([times, values]) => ({ seriesId, field, type, times, values }));
}

/**
 * A file's worth of columns in (series, field) order with a block size: lengths cluster
 * around multiples of the block size (k·B - 1, k·B, k·B + 1) so block boundaries are hit.
 */
export const fileArb: fc.Arbitrary<{ maxPoints: number; cols: TsmColumnInput[] }> = fc
  .tuple(
    fc.integer({ min: 1, max: 40 }),
    fc.uniqueArray(fc.nat({ max: 5000 }), { minLength: 1, maxLength: 6 }).map((a) => a.sort((x, y) => x - y)),
    fc.oneof(fc.constant(0xffffffff), fc.constant(0)),
  )
  .chain(([maxPoints, ids, extra]) => {
    const series = [...new Set([...ids, extra])].sort((a, b) => a - b);
    const len = fc.oneof(
      fc.integer({ min: 0, max: 3 }).chain((k) => fc.constantFrom(Math.max(0, k * maxPoints - 1), k * maxPoints, k * maxPoints + 1)),
      fc.integer({ min: 1, max: 3 * maxPoints + 5 }),
    );
    const perSeries = series.map((sid) =>
      fc
        .uniqueArray(fc.constantFrom(...fieldNames), { minLength: 1, maxLength: 3 })
        .chain((names) => fc.tuple(...names.sort().map((name) => fc.tuple(fc.constantFrom(...types), len).chain(([type, n]) => columnArb(sid, name, type, n))))),
    );
    return fc.tuple(...perSeries).map((cols) => ({ maxPoints, cols: cols.flat() }));
  });

/** The points of `col` with start <= t < end, by brute force. */
export function filterRange(col: TsmColumnInput, start?: bigint, end?: bigint): { times: bigint[]; idx: number[] } {
  const times: bigint[] = [];
  const idx: number[] = [];
  col.times.forEach((t, i) => {
    if ((start === undefined || t >= start) && (end === undefined || t < end)) {
      times.push(t);
      idx.push(i);
    }
  });
  return { times, idx };
}

/** The value at i as something comparable with toEqual, floats by their bits. */
export function valueKey(values: ColumnValues, i: number): unknown {
  if (values instanceof Float64Array) {
    const w = new Uint32Array(values.buffer, values.byteOffset + 8 * i, 2);
    return `${w[0]}:${w[1]}`;
  }
  return values[i];
}

export function valueKeys(values: ColumnValues, idx?: number[]): unknown[] {
  const ix = idx ?? Array.from({ length: values.length }, (_, i) => i);
  return ix.map((i) => valueKey(values, i));
}
