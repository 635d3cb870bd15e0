// The raw read path: series chosen by the index, each field's points gathered from the TSM
// files of the shards that overlap the range (oldest file first), then the frozen
// memtables and the active one, merged with newer sources winning on equal timestamps.
//
// Deleted points still in files are cut out through the shard's tombstones (each file
// only by the tombstones made after it was written); the memtables lost them at once.
//
// A damaged block fails only its series: the column comes back with `error` set and the
// damage is logged with file and offset; every other series is answered.

import { CorruptionError } from '../errors.js';
import { seriesKeyTags } from '../ingest/seriesKey.js';
import { wordsOf } from '../int64.js';
import type { Memtable, Series as MemSeries } from '../memtable/memtable.js';
import { fieldTypeName, type ColumnValues, type FieldTypeName, type Logger, type SelectRequest, type SeriesColumn } from '../types.js';
import { cutRanges } from '../tsm/cut.js';
import type { TsmFloatColumn, TsmReader } from '../tsm/index.js';
import { mergeChunks, type Chunk } from '../tsm/merge.js';
import type { DbStore, Shard } from './storage.js';
import { fileLast, type ShardTombstones, type Tombstone } from './tombstones.js';

export interface ReadSources {
  store: DbStore;
  rp: string;
  /** Oldest first: frozen memtables, then the active one. */
  memtables: Memtable[];
  logger: Logger;
  /** The tombstones of a shard (deletes its files still hold points of). */
  tombstones?: (shard: Shard) => ShardTombstones;
}

const NONE: Tombstone[] = [];

/** The requested fields in name order, deduplicated; null when all are requested. A field a
 * series lacks reads as no points, so the requested ones are read directly instead of
 * listing the series' fields first. */
function wantedFields(field: string | string[] | undefined): string[] | null {
  if (field === undefined) return null;
  if (!Array.isArray(field)) return [field];
  return [...new Set(field)].sort();
}

/** Every field of series `id` in the files and memtables, in name order. */
function fieldsOfSeries(files: readonly { f: TsmReader }[], inMem: readonly (MemSeries | undefined)[], id: number): string[] {
  const fields = new Set<string>();
  for (const { f } of files) for (const name of f.fieldsOf(id)) fields.add(name);
  for (const s of inMem) if (s) for (const name of s.fields.keys()) fields.add(name);
  return [...fields].sort();
}

export function selectColumns(src: ReadSources, req: SelectRequest): SeriesColumn[] {
  const { store, rp, memtables } = src;
  const ids = store.index.select(req.measurement, req.where ?? []);
  if (ids.isEmpty) return [];
  const wantedSorted = wantedFields(req.field);
  const shards = store.shardsOverlapping(rp, req.start, req.end);
  const files: { f: TsmReader; dels: Tombstone[] }[] = [];
  for (const s of shards) {
    const ts = src.tombstones?.(s);
    for (const f of s.files) files.push({ f, dels: ts && !ts.isEmpty ? ts.applying(f, fileLast(f)) : NONE });
  }
  const parts = memtables.map((m) => m.find(req.db, rp)).filter((p) => p !== undefined);
  const [sHi, sLo] = req.start === undefined ? [-0x80000000, 0] : wordsOf(req.start);
  const end = req.end === undefined ? undefined : wordsOf(req.end);
  const types = store.schema.get(req.measurement);

  const rows: { key: string; cols: SeriesColumn[] }[] = [];
  for (const id of ids.iterate()) {
    const key = store.index.keyOf(id);
    const cuts = files.map(({ dels }) => (dels.length === 0 ? NONE : dels.filter((t) => t.ids.has(id))));
    const inMem = parts.map((p) => p.series.get(key));
    let tags: Record<string, string> | undefined;
    const cols: SeriesColumn[] = [];
    for (const field of wantedSorted ?? fieldsOfSeries(files, inMem, id)) {
      tags ??= seriesKeyTags(key);
      const type = fieldTypeName(types?.get(field) ?? 1);
      try {
        const chunks: Chunk[] = [];
        for (let k = 0; k < files.length; k++) {
          let r = files[k].f.read(id, field, req.start, req.end);
          if (r && r.times.length > 0 && cuts[k].length > 0) r = cutRanges(r, cuts[k]);
          if (r && r.times.length > 0) chunks.push(r);
        }
        for (let k = 0; k < inMem.length; k++) {
          const col = inMem[k]?.fields.get(field);
          if (!col) continue;
          parts[k]!.bytes -= col.normalize();
          const from = col.lowerBound(sHi, sLo);
          const to = end ? col.lowerBound(end[0], end[1]) : col.n;
          if (to > from) chunks.push(col.slice(from, to));
        }
        if (chunks.length === 0) continue;
        const { times, values } = mergeChunks(chunks);
        cols.push({ measurement: req.measurement, key, tags, field, type, times, values });
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        src.logger.error({ db: req.db, series: key, field, file: err.file, offset: err.offset }, err.message);
        cols.push({ measurement: req.measurement, key, tags, field, type, times: new BigInt64Array(0), values: new Float64Array(0), error: err.message });
      }
    }
    if (cols.length > 0) rows.push({ key, cols });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return rows.flatMap((r) => r.cols);
}

// ---- the float read path (PromQL) ----------------------------------------------------------

/** select() with the time range in whole ms: points with startMs <= floor(t / 1e6) < endMs. */
export interface FloatSelectRequest extends Omit<SelectRequest, 'start' | 'end'> {
  startMs?: number;
  endMs?: number;
  /** Stop reading, with a PointLimitError, once the columns read hold more points than this. */
  maxPoints?: number;
}

/** selectFloat read more points than its `maxPoints`: it stopped there, and read no more. */
export class PointLimitError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} points`);
    this.name = 'PointLimitError';
  }
}

/** A numeric series column as PromQL reads it: ms times and float64 values. */
export interface FloatSeriesColumn {
  measurement: string;
  /** The series key, tags included (seriesKeyTags reads them: the PromQL adapter keeps the
   * label sets it makes of keys, so they are not parsed anew for every query). */
  key: string;
  field: string;
  type: FieldTypeName;
  /** floor(t / 1e6) of the ns times: ascending, equal where points share a millisecond. */
  times: Float64Array;
  /** float64 values (integers rounded to nearest as Number(), booleans 0/1). */
  values: Float64Array;
  /** Set when this series could not be read (a damaged block); times and values are empty. */
  error?: string;
}

/**
 * selectColumns() for the numeric fields, with times as float ms and values as float64
 * (string fields are left out). A column that lives in one TSM file and nowhere else (no
 * memtable points, no deletes pending against it), the usual case for data that is not
 * fresh, is decoded straight to that form; any other is read by selectColumns' path and
 * converted.
 */
export function selectFloatColumns(src: ReadSources, req: FloatSelectRequest): FloatSeriesColumn[] {
  const { store, rp, memtables } = src;
  const ids = store.index.select(req.measurement, req.where ?? []);
  if (ids.isEmpty) return [];
  const wantedSorted = wantedFields(req.field);
  const start = req.startMs === undefined ? undefined : BigInt(req.startMs) * 1_000_000n;
  const endNs = req.endMs === undefined ? undefined : BigInt(req.endMs) * 1_000_000n;
  const shards = store.shardsOverlapping(rp, start, endNs);
  const files: { f: TsmReader; dels: Tombstone[] }[] = [];
  for (const s of shards) {
    const ts = src.tombstones?.(s);
    for (const f of s.files) files.push({ f, dels: ts && !ts.isEmpty ? ts.applying(f, fileLast(f)) : NONE });
  }
  const parts = memtables.map((m) => m.find(req.db, rp)).filter((p) => p !== undefined);
  const [sHi, sLo] = start === undefined ? [-0x80000000, 0] : wordsOf(start);
  const end = endNs === undefined ? undefined : wordsOf(endNs);
  const types = store.schema.get(req.measurement);

  const rows: { key: string; cols: FloatSeriesColumn[] }[] = [];
  const maxPoints = req.maxPoints ?? Infinity;
  let points = 0;
  for (const id of ids.iterate()) {
    const key = store.index.keyOf(id);
    const inMem = parts.map((p) => p.series.get(key));
    let cuts: Tombstone[][] | null = null;
    const cols: FloatSeriesColumn[] = [];
    for (const field of wantedSorted ?? fieldsOfSeries(files, inMem, id)) {
      const type = fieldTypeName(types?.get(field) ?? 1);
      if (type === 'string') continue;
      try {
        // memtable points in the range, or deletes pending against this series: the general path
        let general = false;
        for (let k = 0; k < inMem.length && !general; k++) {
          const col = inMem[k]?.fields.get(field);
          if (!col) continue;
          parts[k]!.bytes -= col.normalize();
          const from = col.lowerBound(sHi, sLo);
          const to = end ? col.lowerBound(end[0], end[1]) : col.n;
          if (to > from) general = true;
        }
        if (!general) {
          for (const { dels } of files) {
            if (dels.length === 0) continue;
            cuts ??= files.map(({ dels: d }) => (d.length === 0 ? NONE : d.filter((t) => t.ids.has(id))));
            break;
          }
          if (cuts) for (const c of cuts) if (c.length > 0) general = true;
        }
        let found: TsmFloatColumn | null = null;
        if (!general) {
          for (const { f } of files) {
            const r = f.readFloat(id, field, req.startMs, req.endMs);
            if (r === null || r.times.length === 0) continue;
            if (found !== null) {
              general = true; // in several files: merged by time in ns
              break;
            }
            found = r;
          }
        }
        if (general) {
          const col = generalColumn(files, inMem, parts, id, field, start, endNs, sHi, sLo, end);
          if (col !== null) cols.push({ measurement: req.measurement, key, field, type, times: col.times, values: col.values, error: undefined });
        } else if (found !== null) {
          cols.push({ measurement: req.measurement, key, field, type, times: found.times, values: found.values, error: undefined });
        }
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        src.logger.error({ db: req.db, series: key, field, file: err.file, offset: err.offset }, err.message);
        cols.push({ measurement: req.measurement, key, field, type, times: new Float64Array(0), values: new Float64Array(0), error: err.message });
      }
    }
    if (cols.length > 0) rows.push({ key, cols });
    for (const c of cols) points += c.times.length;
    if (points > maxPoints) throw new PointLimitError(maxPoints);
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: FloatSeriesColumn[] = [];
  for (const r of rows) for (const c of r.cols) out.push(c);
  return out;
}

/** One column by selectColumns' path (files with deletes cut out, memtables, merged), as floats. */
function generalColumn(
  files: { f: TsmReader; dels: Tombstone[] }[],
  inMem: (MemSeries | undefined)[],
  parts: { bytes: number }[],
  id: number,
  field: string,
  start: bigint | undefined,
  endNs: bigint | undefined,
  sHi: number,
  sLo: number,
  end: [number, number] | undefined,
): { times: Float64Array; values: Float64Array } | null {
  const chunks: Chunk[] = [];
  for (const { f, dels } of files) {
    let r = f.read(id, field, start, endNs);
    if (r && r.times.length > 0 && dels.length > 0) {
      const mine = dels.filter((t) => t.ids.has(id));
      if (mine.length > 0) r = cutRanges(r, mine);
    }
    if (r && r.times.length > 0) chunks.push(r);
  }
  for (let k = 0; k < inMem.length; k++) {
    const col = inMem[k]?.fields.get(field);
    if (!col) continue;
    parts[k].bytes -= col.normalize();
    const from = col.lowerBound(sHi, sLo);
    const to = end ? col.lowerBound(end[0], end[1]) : col.n;
    if (to > from) chunks.push(col.slice(from, to));
  }
  if (chunks.length === 0) return null;
  const { times, values } = mergeChunks(chunks);
  return { times: nsToMsTimes(times), values: floatValues(values) };
}

/** floor(t / 1e6) of int64 ns times, as float ms, on the two 32-bit halves (no BigInt). */
export function nsToMsTimes(times: BigInt64Array): Float64Array {
  const n = times.length;
  const w = new Uint32Array(times.buffer, times.byteOffset, n * 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1] | 0;
    const x = hi * 967296 + w[2 * i];
    let q = Math.floor(x * 1e-6);
    const r = x - q * 1e6;
    if (r < 0) q -= 1;
    else if (r >= 1e6) q += 1;
    out[i] = hi * 4294 + q;
  }
  return out;
}

const TWO32 = 4294967296;

/** Numeric values as float64 (int64 and uint64 rounded to nearest, as Number()). */
function floatValues(values: ColumnValues): Float64Array {
  if (values instanceof Float64Array) return values;
  const n = values.length;
  const out = new Float64Array(n);
  if (values instanceof Uint8Array) {
    for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
  } else if (values instanceof BigInt64Array) {
    const w = new Int32Array(values.buffer, values.byteOffset, n * 2);
    for (let i = 0; i < n; i++) out[i] = w[2 * i + 1] * TWO32 + (w[2 * i] >>> 0);
  } else if (values instanceof BigUint64Array) {
    const w = new Uint32Array(values.buffer, values.byteOffset, n * 2);
    for (let i = 0; i < n; i++) out[i] = w[2 * i + 1] * TWO32 + w[2 * i];
  } else {
    throw new TypeError('a string column has no float view');
  }
  return out;
}
