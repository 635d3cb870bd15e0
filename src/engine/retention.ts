// Retention: drops the shards of a retention policy that ended before now minus its
// duration (closing their files and deleting their directories), and the points of those
// shard spans still in memory. The engine runs it in its compaction queue (no flush or
// merge is writing into a shard while it goes); writes older than a policy keeps are
// refused at the door (Database.checkPoints).

import fs from 'node:fs';
import path from 'node:path';
import { fsyncDirSync } from '../fsutil.js';
import { wordsOf } from '../int64.js';
import type { Memtable } from '../memtable/memtable.js';
import type { Logger } from '../types.js';
import type { Meta } from './meta.js';
import type { DbStore } from './storage.js';
import type { TombstoneRegistry } from './tombstones.js';

export interface RetentionDeps {
  stores: Map<string, DbStore>;
  meta: Meta;
  /** Every memtable holding unflushed points (frozen and active). */
  memtables: Memtable[];
  tombstones: TombstoneRegistry;
  log: Logger;
  shardDurationOf(db: string, rp: string): bigint;
}

export function dropExpired(deps: RetentionDeps, now: bigint): { shards: number } {
  const { stores, meta: metaStore, memtables, tombstones, log } = deps;
  let shards = 0;
  for (const [name, store] of stores) {
    const meta = metaStore.get(name);
    if (!meta) continue;
    for (const [rp, policy] of Object.entries(meta.rps)) {
      const duration = BigInt(policy.duration);
      if (duration <= 0n) continue;
      const cutoff = now - duration;
      let dropped = 0;
      for (const shard of store.allShards()) {
        if (shard.rp !== rp || shard.end > cutoff) continue;
        const fileCount = shard.files.length;
        let bytes = 0;
        for (const f of shard.files) bytes += f.meta.size;
        store.dropShard(shard);
        tombstones.forget(shard);
        fs.rmSync(shard.dir, { recursive: true, force: true });
        dropped++;
        log.info({ db: name, rp, shard: shard.dir, start: String(shard.start), end: String(shard.end), files: fileCount, bytes }, 'retention: dropped an expired shard');
      }
      // Unflushed points of expired shard spans go too, as they would have with their shard.
      const sd = deps.shardDurationOf(name, rp);
      // (A kept shard made with an older, longer duration keeps its points.)
      let keepFrom = (cutoff / sd) * sd;
      if (keepFrom > cutoff) keepFrom -= sd;
      for (const shard of store.allShards()) if (shard.rp === rp && shard.start < keepFrom) keepFrom = shard.start;
      const [hi, lo] = wordsOf(keepFrom);
      for (const mem of memtables) mem.find(name, rp)?.removeBefore(hi, lo);
      const rpDir = path.join(store.dir, rp);
      if (dropped > 0 && fs.existsSync(rpDir)) fsyncDirSync(rpDir);
      shards += dropped;
    }
  }
  return { shards };
}
