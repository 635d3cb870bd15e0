// Compaction of one shard: the planner (src/tsm/compactPlan.ts) picks contiguous runs of
// its files, the file worker merges each run (src/tsm/compact.ts) dropping overwritten and
// tombstoned points, and the output takes the run's place. Called by database.ts.

import fs from 'node:fs';
import path from 'node:path';
import { fsyncDirSync } from '../fsutil.js';
import { parseTsmFileName, planCompaction, tsmFileName } from '../tsm/compactPlan.js';
import { TsmReader, type BlockCache, type ResidentSet } from '../tsm/index.js';
import type { Logger } from '../types.js';
import type { DbStore, Shard } from './storage.js';
import { fileLast, ShardTombstones, type Tombstone, type TombstoneRegistry } from './tombstones.js';
import type { FileWorker } from './worker.js';

export interface CompactDeps {
  worker: FileWorker;
  cache: BlockCache;
  resident: ResidentSet;
  tombstones: TombstoneRegistry;
  logger: Logger;
  /** True once the database is closing: stop between merges. */
  closed(): boolean;
  /** Counts one merge (metrics). */
  compacted(): void;
}

/** Merges what the planner picks in one shard (`full`: everything into one file). */
export async function compactShard(store: DbStore, shard: Shard, full: boolean, deps: CompactDeps): Promise<{ merged: number; files: number }> {
  let merged = 0;
  let files = 0;
  const ts = deps.tombstones.of(shard);
  const plan = planCompaction(
    shard.files.map((f) => ({ ...parseTsmFileName(path.basename(f.path))!, size: f.meta.size, tombstoned: ts.applying(f, fileLast(f)).length > 0 })),
    { full },
  );
  // Readers, not indexes: each merge changes the positions of the files after it.
  for (const inputs of plan.map((group) => group.map((i) => shard.files[i]))) {
    if (deps.closed()) return { merged, files };
    const first = parseTsmFileName(path.basename(inputs[0].path))!.first;
    const last = parseTsmFileName(path.basename(inputs[inputs.length - 1].path))!.last;
    const out = path.join(shard.dir, tsmFileName(first, last));
    const t0 = Date.now();
    // Tombstones made after an input was written drop its points from the output.
    const applied = new Set<Tombstone>();
    const deletes = inputs.map((f) => {
      const list = ts.applying(f, fileLast(f));
      for (const t of list) applied.add(t);
      return ShardTombstones.forWorker(list);
    });
    const meta = await deps.worker.compact(inputs.map((f) => f.path), out, applied.size > 0 ? deletes : undefined);
    // The output takes the run's place; the inputs go (a crash before they are deleted
    // leaves them covered by the output's range, and the next open removes them). A
    // lone input (rewritten to drop deleted points) is replaced in place by the rename.
    const output = meta.pointCount > 0 ? TsmReader.open(out, { cache: deps.cache, resident: deps.resident, verified: true }) : null; // read back by its writer
    const at = shard.files.indexOf(inputs[0]);
    shard.files.splice(at, inputs.length, ...(output ? [output] : []));
    for (const f of inputs) {
      f.close();
      if (f.path !== out) fs.rmSync(f.path, { force: true });
    }
    if (!output) fs.rmSync(out, { force: true }); // every point was deleted
    fsyncDirSync(shard.dir);
    const pruned = ts.afterCompaction(shard.files, fileLast, output, [...applied], damagedLasts(store, shard));
    merged += inputs.length;
    files++;
    deps.compacted();
    deps.logger.info(
      { shard: shard.dir, inputs: inputs.length, bytes: meta.size, points: meta.pointCount, tombstones: applied.size, tombstonesDropped: pruned, ms: Date.now() - t0 },
      'compacted',
    );
  }
  return { merged, files };
}

/** Last sequences of the damaged (left out) files of a shard: tombstones that apply to
 * them stay, in case the files are restored. */
function damagedLasts(store: DbStore, shard: Shard): number[] {
  return store.damaged.filter((d) => path.dirname(d.file) === shard.dir).map((d) => parseTsmFileName(path.basename(d.file))?.last ?? 0);
}

