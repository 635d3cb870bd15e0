// Applying a delete (records.ts DeleteSpec) to a database's data, in memory. The engine
// (database.ts) logs the spec to the WAL first and calls this in the same tick, so the
// delete takes its place among the writes exactly as replay will see it:
//
// - memtables: the matching points (or whole series) are taken out of the columns;
// - TSM files: a tombstone per shard that holds matching data (tombstones.ts), read
//   through at once and made durable by `persist()` before the WAL record may go;
// - the series index: dropped series are tombstoned there (gone from listings; writing
//   the same key later makes a new series).
//
// The predicate is resolved against the index and the memtables as they are when it
// runs, so on replay it also matches series created after the original delete; their
// later points are replayed after it and come back, as they should.

import { compileMatcher, type Memtable } from '../memtable/memtable.js';
import { Postings } from '../index/postings.js';
import { wordsOf } from '../int64.js';
import type { TsmReader } from '../tsm/index.js';
import type { FsyncMode, TagMatcher } from '../types.js';
import type { DeleteSpec } from './records.js';
import type { DbStore } from './storage.js';
import { MAX_TIME, type ShardTombstones, type TombstoneRegistry } from './tombstones.js';

/** `Database.delete`: points in [start, end) of the matching series. */
export interface DeleteRequest {
  db: string;
  /** One retention policy; without it, every retention policy of the database (as
   * InfluxQL's DELETE, which ignores policies). */
  rp?: string;
  /** One measurement; without it, every measurement (InfluxDB 2.x deletes). */
  measurement?: string;
  /** Tag matchers, all of which a series must satisfy. */
  where?: TagMatcher[];
  /** Inclusive lower bound, ns since the epoch (default: the beginning of time). */
  start?: bigint;
  /** Exclusive upper bound, ns since the epoch (default: the end of time). */
  end?: bigint;
  /** Durability before the call resolves (default: the database's, as for writes). */
  fsync?: FsyncMode;
}

/** `Database.dropSeries`: the matching series, whole, in every retention policy. */
export interface DropSeriesRequest {
  db: string;
  measurement?: string;
  where?: TagMatcher[];
  fsync?: FsyncMode;
}

export interface DeleteResult {
  /** Series the predicate matched in the index (with or without points in the range). */
  series: number;
  fsync: FsyncMode;
}

export interface DeleteTarget {
  store: DbStore;
  /** The retention policies the delete covers. */
  rps: string[];
  /** Every memtable holding unflushed points (frozen and active). */
  memtables: Memtable[];
  /** The file sequence in force: the tombstones apply to files with a lower last sequence. */
  seq: number;
  tombstones: TombstoneRegistry;
}

export interface AppliedDelete {
  /** Series the predicate matched in the index. */
  series: number;
  /** Shards that got a tombstone (to persist). */
  shards: ShardTombstones[];
}

/** Throws a 400 for a matcher that cannot run (a bad regular expression). */
export function checkMatchers(where: readonly TagMatcher[]): void {
  for (const m of where) compileMatcher(m);
}

export function applyDelete(spec: DeleteSpec, t: DeleteTarget): AppliedDelete {
  const { store } = t;
  const index = store.index;
  const measurements = spec.measurement !== undefined ? [spec.measurement] : index.measurements();
  const ids = Postings.unionAll(measurements.map((m) => index.select(m, spec.where)));
  const whole = spec.kind !== 'points';

  // Memtables: cut the range out of each matching column, or drop the series.
  const [loHi, loLo] = wordsOf(spec.min);
  const upper = spec.max === MAX_TIME ? null : wordsOf(spec.max + 1n);
  for (const mem of t.memtables) {
    for (const rp of t.rps) {
      const part = mem.find(spec.db, rp);
      if (!part) continue;
      const ms = spec.measurement !== undefined ? [spec.measurement] : part.measurements();
      for (const m of ms) {
        for (const s of part.select(m, spec.where)) {
          if (whole) {
            part.removeSeries(s);
            continue;
          }
          for (const col of s.fields.values()) {
            part.bytes -= col.normalize();
            const from = col.lowerBound(loHi, loLo);
            const to = upper ? col.lowerBound(upper[0], upper[1]) : col.n;
            part.bytes -= col.removeRange(from, to);
          }
        }
      }
    }
  }

  // Files: a tombstone in each shard whose files may hold matching points.
  const shards: ShardTombstones[] = [];
  if (!ids.isEmpty) {
    for (const rp of t.rps) {
      for (const shard of store.shardsOverlapping(rp, spec.min, spec.max === MAX_TIME ? undefined : spec.max + 1n)) {
        const min = spec.min > shard.start ? spec.min : shard.start;
        const max = spec.max < shard.end - 1n ? spec.max : shard.end - 1n;
        const files = shard.files.filter((f) => f.meta.minTime <= max && min <= f.meta.maxTime);
        const here = narrow(ids, files);
        if (here.isEmpty) continue;
        const ts = t.tombstones.of(shard);
        if (ts.add({ seq: t.seq, min, max, ids: here })) shards.push(ts);
      }
    }
  }

  // Index: dropped series vanish from listings and selection.
  if (whole && !ids.isEmpty) index.deleteSeries(ids, { defer: true }); // committed after the WAL record is durable
  if (spec.kind === 'measurement' && spec.measurement !== undefined) store.schema.delete(spec.measurement);
  return { series: ids.size, shards };
}

/** The ids some file holds (when that is cheap to find out; otherwise all of them). */
function narrow(ids: Postings, files: TsmReader[]): Postings {
  if (files.length === 0) return Postings.empty();
  if (ids.size * files.length > 200_000) return ids;
  const out: number[] = [];
  for (const id of ids.iterate()) if (files.some((f) => f.hasSeries(id))) out.push(id);
  return Postings.of(out);
}
