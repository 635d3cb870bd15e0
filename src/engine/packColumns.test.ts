import { describe, expect, it } from 'vitest';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import { packColumns, unpackColumns } from './packColumns.js';

describe('packColumns', () => {
  it('round-trips columns of every type through a structured clone', () => {
    const cols = [
      { seriesId: 1, field: 'a', type: FLOAT as 1, times: BigInt64Array.of(1n, 2n), values: Float64Array.of(-0, NaN) },
      { seriesId: 1, field: 'b', type: BOOLEAN as 4, times: BigInt64Array.of(3n), values: Uint8Array.of(1) },
      { seriesId: 2, field: 'a', type: INTEGER as 2, times: BigInt64Array.of(-(2n ** 63n)), values: BigInt64Array.of(-(2n ** 63n)) },
      { seriesId: 3, field: 'u', type: UNSIGNED as 3, times: BigInt64Array.of(2n ** 62n), values: BigUint64Array.of(2n ** 64n - 1n) },
      { seriesId: 4, field: 's', type: STRING as 5, times: BigInt64Array.of(5n, 6n), values: ['x', ''] },
    ];
    const { packed, transfer } = packColumns(cols);
    const cloned = structuredClone(packed, { transfer });
    const back = unpackColumns(cloned, (t) => (t === FLOAT ? 'f64' : t === INTEGER ? 'i64' : 'u64'));
    expect(back.map((c) => [c.seriesId, c.field, c.type, [...c.times], Array.from(c.values as ArrayLike<unknown>)])).toEqual(
      cols.map((c) => [c.seriesId, c.field, c.type, [...c.times], Array.from(c.values as ArrayLike<unknown>)]),
    );
    expect(Object.is((back[0].values as Float64Array)[0], -0)).toBe(true);
  });
});
