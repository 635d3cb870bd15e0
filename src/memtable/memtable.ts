// The memtable: every point not yet in a TSM file, per database + retention policy, per
// series, per field, as typed columns (see column.ts). Size-accounted so the flush (the
// storage issue) can freeze it when it passes its limit.
//
// It knows nothing of the WAL: the engine (src/engine/database.ts) validates a batch,
// appends it to the WAL, then applies it here.

import { badRequest } from '../errors.js';
import type { PointBatch } from '../ingest/batch.js';
import { parseSeriesKey } from '../ingest/seriesKey.js';
import type { FieldTypeCode, TagMatcher } from '../types.js';
import { Column, COLUMN_BYTES } from './column.js';

/**
 * Fixed cost of a series in the memtable, beyond two bytes per char of its key (the key
 * string, and the measurement and tag strings parsed from it): the Series object, its tags
 * object, its empty field Map, layout arrays, and its entries in `series` and
 * `byMeasurement`. Measured with heap deltas over 50,000 series: ~530 bytes.
 */
export const SERIES_BYTES = 600;

/** Accounted bytes of a series' fixed part (its columns are counted separately). */
function seriesBytes(key: string): number {
  return SERIES_BYTES + 2 * key.length;
}

/** Accounted bytes of a column's fixed part (its data is in `col.bytes`). */
function columnBytes(fieldKey: string): number {
  return COLUMN_BYTES + 2 * fieldKey.length;
}

export class Series {
  readonly key: string;
  /** The series id in the database's index (src/index). */
  readonly id: number;
  readonly measurement: string;
  readonly tags: Record<string, string>;
  readonly fields = new Map<string, Column>();
  /**
   * The field keys (interned by the parser, so compared by identity) and columns of the
   * last line applied: devices send the same fields in the same order line after line, so
   * the next line usually maps onto these columns with no map lookups.
   */
  layoutKeys: string[] = [];
  layoutCols: Column[] = [];
  constructor(key: string, id: number, measurement: string, tags: Record<string, string>) {
    this.key = key;
    this.id = id;
    this.measurement = measurement;
    this.tags = tags;
  }
}

/** One database + retention policy. */
export class Partition {
  readonly series = new Map<string, Series>();
  readonly byMeasurement = new Map<string, Series[]>();
  bytes = 0;
  values = 0;

  /** Removes every point older than the int64 time (hi, lo); returns the points removed. */
  removeBefore(hi: number, lo: number): number {
    let removed = 0;
    for (const s of this.series.values()) {
      for (const col of s.fields.values()) {
        this.bytes -= col.normalize();
        const to = col.lowerBound(hi, lo);
        if (to === 0) continue;
        removed += to;
        this.bytes -= col.removeRange(0, to);
      }
    }
    return removed;
  }

  getOrCreateSeries(key: string, id: number): Series {
    let s = this.series.get(key);
    if (s) return s;
    const parsed = parseSeriesKey(key);
    const tags: Record<string, string> = {};
    for (const [k, v] of parsed.tags) tags[k] = v;
    s = new Series(key, id, parsed.measurement, tags);
    this.series.set(key, s);
    let list = this.byMeasurement.get(parsed.measurement);
    if (!list) this.byMeasurement.set(parsed.measurement, (list = []));
    list.push(s);
    this.bytes += seriesBytes(key);
    return s;
  }

  /**
   * Applies the points of `batch` whose `accept` flag is set. Field types were checked by
   * the caller; columns are created with the type of their first value. `ids` gives the
   * index id of each series that is new to this memtable.
   */
  apply(batch: PointBatch, accept: Uint8Array | null, ids: ReadonlyMap<string, number>): number {
    let added = 0;
    let values = 0;
    const { fieldStart, fieldKey, fieldBits, fieldStr, time } = batch;
    let lastKey = '';
    let s: Series | undefined;
    for (let i = 0; i < batch.count; i++) {
      if (accept && !accept[i]) continue;
      const key = batch.seriesKey[i];
      if (key !== lastKey || !s) {
        s = this.series.get(key) ?? this.getOrCreateSeries(key, ids.get(key)!);
        lastKey = key;
      }
      const j0 = fieldStart[i];
      const n = fieldStart[i + 1] - j0;
      const keys = s.layoutKeys;
      let same = keys.length === n;
      for (let k = 0; same && k < n; k++) same = keys[k] === fieldKey[j0 + k];
      if (!same) added += this.relayout(s, batch, j0, n);
      const cols = s.layoutCols;
      for (let k = 0; k < n; k++) added += cols[k].append(time, i, fieldBits, j0 + k, fieldStr[j0 + k]);
      values += n;
    }
    this.bytes += added;
    this.values += values;
    return values;
  }

  /** Points the series' layout at the columns of this line's fields, creating new ones. */
  private relayout(s: Series, batch: PointBatch, j0: number, n: number): number {
    let added = 0;
    const keys: string[] = new Array(n);
    const cols: Column[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const fk = batch.fieldKey[j0 + k];
      let col = s.fields.get(fk);
      if (!col) {
        col = new Column(batch.fieldType[j0 + k] as FieldTypeCode);
        s.fields.set(fk, col);
        added += columnBytes(fk) + col.bytes;
      }
      keys[k] = fk;
      cols[k] = col;
    }
    s.layoutKeys = keys;
    s.layoutCols = cols;
    return added;
  }

  /** Takes a series out whole (a dropped series); its id is never written again. */
  removeSeries(s: Series): void {
    if (this.series.get(s.key) !== s) return;
    this.series.delete(s.key);
    const list = this.byMeasurement.get(s.measurement);
    if (list) {
      const rest = list.filter((x) => x !== s);
      if (rest.length > 0) this.byMeasurement.set(s.measurement, rest);
      else this.byMeasurement.delete(s.measurement);
    }
    let bytes = seriesBytes(s.key);
    for (const [fk, col] of s.fields) bytes += columnBytes(fk) + col.bytes;
    this.bytes = Math.max(0, this.bytes - bytes);
  }

  /** Series of a measurement that satisfy every matcher. */
  select(measurement: string, where: TagMatcher[] | undefined): Series[] {
    const list = this.byMeasurement.get(measurement);
    if (!list) return [];
    if (!where || where.length === 0) return list.slice();
    const tests = where.map(compileMatcher);
    return list.filter((s) => tests.every((t) => t(s.tags)));
  }

  measurements(): string[] {
    return [...this.byMeasurement.keys()].sort();
  }
}

/** A matcher as a predicate on a tag set. A missing tag matches as the empty string (PromQL and InfluxQL agree). */
export function compileMatcher(m: TagMatcher): (tags: Record<string, string>) => boolean {
  const key = m.key;
  switch (m.op) {
    case '=':
      return (t) => (t[key] ?? '') === m.value;
    case '!=':
      return (t) => (t[key] ?? '') !== m.value;
    case '=~': {
      const re = anchored(m.value);
      return (t) => re.test(t[key] ?? '');
    }
    case '!~': {
      const re = anchored(m.value);
      return (t) => !re.test(t[key] ?? '');
    }
  }
}

function anchored(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, 'su');
  } catch (err) {
    throw badRequest('STRATA_ERR_BAD_PARAMETER', `invalid regular expression /${source}/: ${(err as Error).message}`);
  }
}

export class Memtable {
  readonly partitions = new Map<string, Partition>();

  partition(db: string, rp: string): Partition {
    const k = `${db}\u0000${rp}`;
    let p = this.partitions.get(k);
    if (!p) this.partitions.set(k, (p = new Partition()));
    return p;
  }

  find(db: string, rp: string): Partition | undefined {
    return this.partitions.get(`${db}\u0000${rp}`);
  }

  drop(db: string): void {
    for (const k of [...this.partitions.keys()]) if (k.startsWith(`${db}\u0000`)) this.partitions.delete(k);
  }

  get isEmpty(): boolean {
    for (const p of this.partitions.values()) if (p.series.size > 0) return false;
    return true;
  }

  get bytes(): number {
    let b = 0;
    for (const p of this.partitions.values()) b += p.bytes;
    return b;
  }

  get seriesCount(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.series.size;
    return n;
  }
}
