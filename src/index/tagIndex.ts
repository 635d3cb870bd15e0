// The postings of one measurement: every series of it, and per tag key the series that
// have the key and the dictionary of its values, each value with the series that carry
// it. Keeping postings per measurement means a matcher never looks at another
// measurement's series.
//
// Most values of a high-cardinality tag (a hostname, a device id) belong to one series or
// a few. A roaring bitmap costs about 400 bytes and a microsecond to create however small
// it is, so a value's ids are a plain number (one series), a short array (up to SMALL), and
// only beyond that a Postings. New ids are larger than every id before them, so adding
// one appends.

import { Postings } from './postings.js';

/** The series of one tag value: one id, a short ascending array, or a Postings. */
export type Ids = number | number[] | Postings;

export const SMALL = 16;

export function idsSize(x: Ids): number {
  return typeof x === 'number' ? 1 : Array.isArray(x) ? x.length : x.size;
}

/** `x` with `id` added; may return a new value. Idempotent: replaying the series-file
 * tail over a snapshot that already holds some of its ids adds nothing twice. */
export function idsAdd(x: Ids | undefined, id: number): Ids {
  if (x === undefined) return id;
  if (typeof x === 'number') return x === id ? x : x < id ? [x, id] : [id, x];
  if (Array.isArray(x)) {
    if (x[x.length - 1] < id) {
      if (x.length < SMALL) {
        x.push(id);
        return x;
      }
    } else if (x.includes(id)) {
      return x;
    } else if (x.length < SMALL) {
      x.splice(x.findIndex((v) => v > id), 0, id);
      return x;
    }
    const p = Postings.of(x);
    p.add(id);
    return p;
  }
  x.add(id);
  return x;
}

/** `x` without `id`, or undefined when nothing is left. */
export function idsRemove(x: Ids, id: number): Ids | undefined {
  if (typeof x === 'number') return x === id ? undefined : x;
  if (Array.isArray(x)) {
    const i = x.indexOf(id);
    if (i >= 0) x.splice(i, 1);
    return x.length === 0 ? undefined : x.length === 1 ? x[0] : x;
  }
  x.remove(id);
  return x.isEmpty ? undefined : x;
}

/** The union of many as one new Postings. */
export function unionIds(list: Iterable<Ids>): Postings {
  const loose: number[] = [];
  const bitmaps: Postings[] = [];
  for (const x of list) {
    if (typeof x === 'number') loose.push(x);
    else if (Array.isArray(x)) for (let i = 0; i < x.length; i++) loose.push(x[i]);
    else bitmaps.push(x);
  }
  if (loose.length > 0) bitmaps.push(Postings.of(loose));
  return Postings.unionAll(bitmaps);
}

export function toPostings(x: Ids): Postings {
  if (typeof x === 'number') return Postings.of([x]);
  if (Array.isArray(x)) return Postings.of(x);
  return x.clone();
}

/** The index of one tag key within one measurement. */
export class TagValues {
  /** Series that have this key (any value). */
  readonly has: Postings;
  readonly values: Map<string, Ids>;

  constructor(has = Postings.empty(), values = new Map<string, Ids>()) {
    this.has = has;
    this.values = values;
  }
}

export class MeasurementPostings {
  readonly all: Postings;
  readonly tags: Map<string, TagValues>;

  constructor(all = Postings.empty(), tags = new Map<string, TagValues>()) {
    this.all = all;
    this.tags = tags;
  }

  add(id: number, tags: readonly (readonly [string, string])[]): void {
    this.all.add(id);
    for (let i = 0; i < tags.length; i++) {
      const [k, v] = tags[i];
      let tv = this.tags.get(k);
      if (!tv) this.tags.set(k, (tv = new TagValues()));
      tv.has.add(id);
      const before = tv.values.get(v);
      const after = idsAdd(before, id);
      if (after !== before) tv.values.set(v, after);
    }
  }

  remove(id: number, tags: readonly (readonly [string, string])[]): void {
    this.all.remove(id);
    for (let i = 0; i < tags.length; i++) {
      const [k, v] = tags[i];
      const tv = this.tags.get(k);
      if (!tv) continue;
      tv.has.remove(id);
      const before = tv.values.get(v);
      if (before === undefined) continue;
      const after = idsRemove(before, id);
      if (after === undefined) tv.values.delete(v);
      else if (after !== before) tv.values.set(v, after);
      if (tv.values.size === 0) this.tags.delete(k);
    }
  }

  /** Turns runs of ids into run containers; after bulk loads. */
  optimize(): void {
    this.all.optimize();
    for (const tv of this.tags.values()) {
      tv.has.optimize();
      for (const x of tv.values.values()) if (x instanceof Postings) x.optimize();
    }
  }
}
