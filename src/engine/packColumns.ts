// Columns cross to the file worker packed into a few large buffers: structured-cloning
// and transferring one small typed array per column costs far more than the copy (a
// flush of 100k series spent 64% of its time in postMessage).

import type { Column } from '../memtable/column.js';
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

/** A run [from, to) of a memtable column, to be packed without an intermediate copy. */
export interface ColumnRef {
  seriesId: number;
  field: string;
  col: Column;
  from: number;
  to: number;
}

/** Packs runs of memtable columns (normalized) straight into the buffers: one copy. */
export function packColumnRefs(refs: readonly ColumnRef[]): { packed: PackedColumns; transfer: ArrayBuffer[] } {
  let n = 0;
  for (const r of refs) n += r.to - r.from;
  const fieldIds = new Map<string, number>();
  const p: PackedColumns = {
    seriesId: new Uint32Array(refs.length),
    fieldIdx: new Uint32Array(refs.length),
    type: new Uint8Array(refs.length),
    start: new Uint32Array(refs.length + 1),
    fields: [],
    times: new BigInt64Array(n),
    words: new Float64Array(n),
    bools: new Uint8Array(n),
    strings: new Array<string>(n),
  };
  const t32 = new Uint32Array(p.times.buffer);
  const w32 = new Uint32Array(p.words.buffer);
  let at = 0;
  refs.forEach((r, k) => {
    const { col, from, to } = r;
    let f = fieldIds.get(r.field);
    if (f === undefined) {
      fieldIds.set(r.field, (f = p.fields.length));
      p.fields.push(r.field);
    }
    p.seriesId[k] = r.seriesId;
    p.fieldIdx[k] = f;
    p.type[k] = col.type;
    p.start[k] = at;
    t32.set(col.time.subarray(2 * from, 2 * to), 2 * at);
    if (col.type === STRING) for (let i = from; i < to; i++) p.strings[at + i - from] = col.str[i];
    else if (col.type === BOOLEAN) {
      const v = new Float64Array(col.bits.buffer, 0, to);
      for (let i = from; i < to; i++) p.bools[at + i - from] = v[i] !== 0 ? 1 : 0;
    } else w32.set(col.bits.subarray(2 * from, 2 * to), 2 * at);
    at += to - from;
  });
  p.start[refs.length] = at;
  const transfer = [p.seriesId, p.fieldIdx, p.type, p.start, p.times, p.words, p.bools].map((a) => a.buffer as ArrayBuffer);
  return { packed: p, transfer };
}
