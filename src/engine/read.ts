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
import { wordsOf } from '../int64.js';
import type { Memtable } from '../memtable/memtable.js';
import { fieldTypeName, type Logger, type SelectRequest, type SeriesColumn } from '../types.js';
import { cutRanges } from '../tsm/cut.js';
import type { TsmReader } from '../tsm/index.js';
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

export function selectColumns(src: ReadSources, req: SelectRequest): SeriesColumn[] {
  const { store, rp, memtables } = src;
  const ids = store.index.select(req.measurement, req.where ?? []);
  if (ids.isEmpty) return [];
  const wanted = req.field === undefined ? null : new Set(Array.isArray(req.field) ? req.field : [req.field]);
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
    const fields = new Set<string>();
    for (const { f } of files) for (const name of f.fieldsOf(id)) fields.add(name);
    const cuts = files.map(({ dels }) => (dels.length === 0 ? NONE : dels.filter((t) => t.ids.has(id))));
    const inMem = parts.map((p) => p.series.get(key));
    for (const s of inMem) if (s) for (const name of s.fields.keys()) fields.add(name);
    if (fields.size === 0) continue;
    const tags = Object.fromEntries(store.index.tagsOf(id));
    const cols: SeriesColumn[] = [];
    for (const field of [...fields].sort()) {
      if (wanted && !wanted.has(field)) continue;
      const type = fieldTypeName(types?.get(field) ?? 1);
      const base = { measurement: req.measurement, key, tags, field, type };
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
        cols.push({ ...base, times, values });
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        src.logger.error({ db: req.db, series: key, field, file: err.file, offset: err.offset }, err.message);
        cols.push({ ...base, times: new BigInt64Array(0), values: new Float64Array(0), error: err.message });
      }
    }
    if (cols.length > 0) rows.push({ key, cols });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return rows.flatMap((r) => r.cols);
}
