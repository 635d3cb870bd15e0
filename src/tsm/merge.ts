// Merging the columns one series+field has in several places (TSM files of a shard, frozen
// memtables, the active memtable) into one sorted, unique column. Sources are given oldest
// first; on equal timestamps the newer source wins (InfluxDB semantics: a point with the
// same series, field and time replaces the old one).
//
// Times are compared on their two 32-bit words (no BigInt per point); numeric values are
// copied as 8-byte words, whatever their type.

import type { ColumnValues } from '../types.js';

export interface Chunk {
  times: BigInt64Array;
  values: ColumnValues;
}

/** Merges chunks (each sorted and unique, oldest first) into one; newer wins on ties. */
export function mergeChunks(chunks: Chunk[]): Chunk {
  const live = chunks.filter((c) => c.times.length > 0);
  if (live.length === 0) return chunks[0] ?? { times: new BigInt64Array(0), values: new Float64Array(0) };
  let acc = live[0];
  for (let i = 1; i < live.length; i++) acc = mergeTwo(acc, live[i]);
  return acc;
}

/** Merges `newer` into `older`; both sorted and unique. */
export function mergeTwo(older: Chunk, newer: Chunk): Chunk {
  const a = new Uint32Array(older.times.buffer, older.times.byteOffset, older.times.length * 2);
  const b = new Uint32Array(newer.times.buffer, newer.times.byteOffset, newer.times.length * 2);
  const na = older.times.length;
  const nb = newer.times.length;
  // Fast paths: disjoint ranges concatenate.
  if (na === 0) return newer;
  if (nb === 0) return older;
  if (less(a, na - 1, b, 0)) return concat(older, newer);
  if (less(b, nb - 1, a, 0)) return concat(newer, older);

  const outT = new Uint32Array((na + nb) * 2);
  const strings = Array.isArray(older.values);
  const bytes = older.values instanceof Uint8Array;
  const outS: string[] = [];
  const outB = bytes ? new Uint8Array(na + nb) : null;
  const outW = !strings && !bytes ? new Uint32Array((na + nb) * 2) : null;
  const wa = outW ? words(older.values) : null;
  const wb = outW ? words(newer.values) : null;
  let i = 0;
  let j = 0;
  let n = 0;
  const take = (fromNewer: boolean, k: number) => {
    const t = fromNewer ? b : a;
    outT[2 * n] = t[2 * k];
    outT[2 * n + 1] = t[2 * k + 1];
    if (outW) {
      const w = fromNewer ? wb! : wa!;
      outW[2 * n] = w[2 * k];
      outW[2 * n + 1] = w[2 * k + 1];
    } else if (outB) outB[n] = ((fromNewer ? newer.values : older.values) as Uint8Array)[k];
    else outS[n] = ((fromNewer ? newer.values : older.values) as string[])[k];
    n++;
  };
  while (i < na && j < nb) {
    if (less(a, i, b, j)) take(false, i++);
    else if (less(b, j, a, i)) take(true, j++);
    else {
      take(true, j++);
      i++;
    }
  }
  while (i < na) take(false, i++);
  while (j < nb) take(true, j++);
  const times = new BigInt64Array(outT.buffer, 0, n);
  let values: ColumnValues;
  if (outW) values = new (older.values.constructor as Float64ArrayConstructor)(outW.buffer, 0, n) as ColumnValues;
  else if (outB) values = outB.subarray(0, n);
  else values = outS;
  return { times, values };
}

function less(x: Uint32Array, i: number, y: Uint32Array, j: number): boolean {
  const hx = x[2 * i + 1] | 0;
  const hy = y[2 * j + 1] | 0;
  return hx < hy || (hx === hy && x[2 * i] < y[2 * j]);
}

function words(v: ColumnValues): Uint32Array {
  const t = v as Float64Array;
  return new Uint32Array(t.buffer, t.byteOffset, t.length * 2);
}

function concat(first: Chunk, second: Chunk): Chunk {
  const n = first.times.length + second.times.length;
  const times = new BigInt64Array(n);
  times.set(first.times);
  times.set(second.times, first.times.length);
  let values: ColumnValues;
  if (Array.isArray(first.values)) values = (first.values as string[]).concat(second.values as string[]);
  else {
    const Ctor = first.values.constructor as { new (n: number): Float64Array };
    const v = new Ctor(n);
    v.set(first.values as Float64Array);
    v.set(second.values as Float64Array, first.values.length);
    values = v as unknown as ColumnValues;
  }
  return { times, values };
}

/** First index i with times[i] >= t, in a sorted column. */
export function timeLowerBound(times: BigInt64Array, t: bigint): number {
  let a = 0;
  let z = times.length;
  while (a < z) {
    const m = (a + z) >>> 1;
    if (times[m] < t) a = m + 1;
    else z = m;
  }
  return a;
}
