// Columns cross to the file worker packed into a few large buffers: structured-cloning
// and transferring one small typed array per column costs far more than the copy (a
// flush of 100k series spent 64% of its time in postMessage).

import type { TsmColumnInput } from '../tsm/index.js';
import { BOOLEAN, STRING, type ColumnValues, type FieldTypeCode } from '../types.js';

export interface PackedColumns {
  seriesId: Uint32Array;
  fieldIdx: Uint32Array;
  type: Uint8Array;
  /** Column c holds points start[c] .. start[c+1]-1 of the packed arrays. */
  start: Uint32Array;
  fields: string[];
  times: BigInt64Array;
  /** 8-byte values (float, integer, unsigned) at the column's point positions. */
  words: Float64Array;
  bools: Uint8Array;
  strings: string[];
}

export function packColumns(cols: readonly TsmColumnInput[]): { packed: PackedColumns; transfer: ArrayBuffer[] } {
  let n = 0;
  for (const c of cols) n += c.times.length;
  const fieldIds = new Map<string, number>();
  const p: PackedColumns = {
    seriesId: new Uint32Array(cols.length),
    fieldIdx: new Uint32Array(cols.length),
    type: new Uint8Array(cols.length),
    start: new Uint32Array(cols.length + 1),
    fields: [],
    times: new BigInt64Array(n),
    words: new Float64Array(n),
    bools: new Uint8Array(n),
    strings: new Array<string>(n),
  };
  const w32 = new Uint32Array(p.words.buffer);
  let at = 0;
  cols.forEach((c, k) => {
    let f = fieldIds.get(c.field);
    if (f === undefined) {
      fieldIds.set(c.field, (f = p.fields.length));
      p.fields.push(c.field);
    }
    p.seriesId[k] = c.seriesId;
    p.fieldIdx[k] = f;
    p.type[k] = c.type;
    p.start[k] = at;
    p.times.set(c.times, at);
    if (c.type === STRING) (c.values as string[]).forEach((s, i) => (p.strings[at + i] = s));
    else if (c.type === BOOLEAN) p.bools.set(c.values as Uint8Array, at);
    else {
      const v = c.values as Float64Array;
      w32.set(new Uint32Array(v.buffer, v.byteOffset, v.length * 2), 2 * at);
    }
    at += c.times.length;
  });
  p.start[cols.length] = at;
  const transfer = [p.seriesId, p.fieldIdx, p.type, p.start, p.times, p.words, p.bools].map((a) => a.buffer as ArrayBuffer);
  return { packed: p, transfer };
}

/** The columns again, as views into the packed buffers (no copy, strings aside). */
export function unpackColumns(p: PackedColumns, ctorOf: (type: FieldTypeCode) => 'f64' | 'i64' | 'u64'): TsmColumnInput[] {
  const out: TsmColumnInput[] = [];
  for (let k = 0; k < p.seriesId.length; k++) {
    const a = p.start[k];
    const b = p.start[k + 1];
    const type = p.type[k] as FieldTypeCode;
    let values: ColumnValues;
    if (type === STRING) values = p.strings.slice(a, b);
    else if (type === BOOLEAN) values = p.bools.subarray(a, b);
    else {
      const kind = ctorOf(type);
      const buf = p.words.buffer;
      values = kind === 'f64' ? new Float64Array(buf, 8 * a, b - a) : kind === 'i64' ? new BigInt64Array(buf, 8 * a, b - a) : new BigUint64Array(buf, 8 * a, b - a);
    }
    out.push({ seriesId: p.seriesId[k], field: p.fields[p.fieldIdx[k]], type, times: p.times.subarray(a, b), values });
  }
  return out;
}
