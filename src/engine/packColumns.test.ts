import { describe, expect, it } from 'vitest';
import { setInt64 } from '../int64.js';
import { Column } from '../memtable/column.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import { packColumnRefs, unpackColumns } from './packColumns.js';

function column(type: 1 | 2 | 3 | 4 | 5, n: number): Column {
  const col = new Column(type);
  const tw = new Uint32Array(2);
  const vw = new Uint32Array(2);
  const vf = new Float64Array(vw.buffer);
  for (let i = 0; i < n; i++) {
    setInt64(tw, 0, BigInt(i * 7 - 100) * (i === n - 1 ? 2n ** 50n : 1n));
    if (type === FLOAT) vf[0] = i === 0 ? -0 : i === 1 ? NaN : i / 3;
    else if (type === BOOLEAN) vf[0] = i % 2;
    else setInt64(vw, 0, type === INTEGER ? -(2n ** 63n) + BigInt(i) : 2n ** 64n - 1n - BigInt(i));
    col.append(tw, 0, vw, 0, type === STRING ? (i % 3 ? `s${i}` : '') : undefined);
  }
  return col;
}

describe('packColumnRefs', () => {
  it('round-trips runs of memtable columns of every type through a structured clone', () => {
    const cols = ([FLOAT, INTEGER, UNSIGNED, BOOLEAN, STRING] as const).map((t) => column(t, 50));
    const refs = cols.map((col, k) => ({ seriesId: k * 1000, field: `f${k % 2}`, col, from: 5 + k, to: 50 - k }));
    const { packed, transfer } = packColumnRefs(refs);
    const back = unpackColumns(structuredClone(packed, { transfer }), (t) => (t === FLOAT ? 'f64' : t === INTEGER ? 'i64' : 'u64'));
    expect(back.length).toBe(refs.length);
    back.forEach((c, k) => {
      const r = refs[k];
      const want = r.col.slice(r.from, r.to);
      expect([c.seriesId, c.field, c.type]).toEqual([r.seriesId, r.field, r.col.type]);
      expect([...c.times]).toEqual([...want.times]);
      if (c.type === FLOAT) expect(new Uint32Array((c.values as Float64Array).slice().buffer)).toEqual(new Uint32Array((want.values as Float64Array).buffer));
      else expect(Array.from(c.values as ArrayLike<unknown>)).toEqual(Array.from(want.values as ArrayLike<unknown>));
    });
  });
});
