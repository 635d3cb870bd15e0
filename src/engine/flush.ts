// Flush: a frozen memtable becomes TSM files, one per shard it touches.
//
// The caller (database.ts) swaps in an empty memtable and rolls the WAL first, so the
// frozen memtable holds exactly what the WAL segments before the roll hold. Here: make the
// series ids and field types those segments taught durable (index sync, fields.json), cut
// every column at shard boundaries, write each shard's file in the worker thread and open
// it. Only then may the caller drop the frozen memtable and delete those WAL segments; a
// crash anywhere before leaves the segments to replay, which is idempotent (same points,
// same timestamps: the newer copy wins and equals the older).

import fs from 'node:fs';
import path from 'node:path';
import { getInt64, wordsOf } from '../int64.js';
import type { Memtable } from '../memtable/memtable.js';
import { tsmFileName } from '../tsm/compactPlan.js';
import { TsmReader, type BlockCache, type ResidentSet } from '../tsm/index.js';
import type { Logger } from '../types.js';
import type { DbStore, Shard } from './storage.js';
import type { FileWorker } from './worker.js';
import { packColumnRefs, type ColumnRef } from './packColumns.js';

export interface FlushDeps {
  stores: Map<string, DbStore>;
  worker: FileWorker;
  cache: BlockCache;
  resident: ResidentSet;
  logger: Logger;
  shardDuration(db: string, rp: string): bigint;
  /** Next file sequence number (file names sort by age). */
  nextSeq(): number;
}

export interface FlushResult {
  files: number;
  points: number;
  bytes: number;
}

export async function flushMemtable(frozen: Memtable, deps: FlushDeps): Promise<FlushResult> {
  const result: FlushResult = { files: 0, points: 0, bytes: 0 };
  const dbs = new Set<string>();
  for (const key of frozen.partitions.keys()) dbs.add(key.slice(0, key.indexOf('\u0000')));
  for (const db of dbs) {
    const store = deps.stores.get(db);
    if (!store) throw new Error(`flush: database "${db}" is not open`);
    await store.index.sync();
    store.saveSchema();
  }
  for (const [pkey, part] of frozen.partitions) {
    const sep = pkey.indexOf('\u0000');
    const db = pkey.slice(0, sep);
    const rp = pkey.slice(sep + 1);
    const store = deps.stores.get(db)!;
    const d = deps.shardDuration(db, rp);
    // Runs of columns per shard, as references: each shard is packed (one copy) and
    // written in turn, so a flush holds one shard's copy at a time, not all of them.
    const byShard = new Map<Shard, ColumnRef[]>();
    const series = [...part.series.values()].sort((a, b) => a.id - b.id);
    for (const s of series) {
      const fields = [...s.fields.keys()].sort();
      for (const f of fields) {
        const col = s.fields.get(f)!;
        col.normalize();
        let from = 0;
        while (from < col.n) {
          const t0 = getInt64(col.time, from);
          const shard = store.shardFor(rp, t0, d);
          const [hi, lo] = wordsOf(shard.end);
          const to = Math.min(col.n, col.lowerBound(hi, lo));
          let list = byShard.get(shard);
          if (!list) byShard.set(shard, (list = []));
          list.push({ seriesId: s.id, field: f, col, from, to });
          from = to;
        }
      }
    }
    for (const [shard, refs] of byShard) {
      fs.mkdirSync(shard.dir, { recursive: true });
      const seq = deps.nextSeq();
      const file = path.join(shard.dir, tsmFileName(seq, seq));
      const { packed, transfer } = packColumnRefs(refs);
      const meta = await deps.worker.writePacked(file, packed, transfer);
      shard.files.push(TsmReader.open(file, { cache: deps.cache, resident: deps.resident, verified: true })); // read back by its writer
      result.files++;
      result.points += meta.pointCount;
      result.bytes += meta.size;
    }
  }
  return result;
}


