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
import { Column } from './column.js';

export class Series {
  readonly key: string;
  readonly measurement: string;
  readonly tags: Record<string, string>;
  readonly fields = new Map<string, Column>();
  constructor(key: string, measurement: string, tags: Record<string, string>) {
    this.key = key;
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

  getOrCreateSeries(key: string): Series {
    let s = this.series.get(key);
    if (s) return s;
    const parsed = parseSeriesKey(key);
    const tags: Record<string, string> = {};
    for (const [k, v] of parsed.tags) tags[k] = v;
    s = new Series(key, parsed.measurement, tags);
    this.series.set(key, s);
    let list = this.byMeasurement.get(parsed.measurement);
    if (!list) this.byMeasurement.set(parsed.measurement, (list = []));
    list.push(s);
    this.bytes += 200 + 2 * key.length;
    return s;
  }

  /**
   * Applies the points of `batch` whose `accept` flag is set. Field types were checked by
   * the caller; columns are created with the type of their first value.
   */
  apply(batch: PointBatch, accept: Uint8Array | null): number {
    let added = 0;
    let values = 0;
    const { fieldStart, fieldKey, fieldType, fieldBits, fieldStr, time } = batch;
    let lastKey = '';
    let s: Series | undefined;
    for (let i = 0; i < batch.count; i++) {
      if (accept && !accept[i]) continue;
      const key = batch.seriesKey[i];
      if (key !== lastKey || !s) {
        s = this.getOrCreateSeries(key);
        lastKey = key;
      }
      for (let j = fieldStart[i]; j < fieldStart[i + 1]; j++) {
        const fk = fieldKey[j];
        let col = s.fields.get(fk);
        if (!col) {
          col = new Column(fieldType[j] as FieldTypeCode);
          s.fields.set(fk, col);
          added += 100 + 2 * fk.length;
        }
        added += col.append(time, i, fieldBits, j, fieldStr[j]);
        values++;
      }
    }
    this.bytes += added;
    this.values += values;
    return values;
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
