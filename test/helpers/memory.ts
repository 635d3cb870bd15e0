// Helpers for the bounded-memory test (test/memory.test.ts): a `strata serve` child from
// sources (tsx) on a free port, and its RSS read from /proc.

import fs from 'node:fs';
import { spawnServer, type ChildServer } from './child.js';

const MiB = 1024 * 1024;

/**
 * What a server holds beyond --memory-budget under an ingest that outruns flushing,
 * measured on Node 20, 2 cores (test/memory.test.ts: 96 MiB budget, 8 MiB memtable,
 * 4 writers; six runs peaked at 546-609 MiB RSS, i.e. 450-513 MiB over the budget):
 *   - the idle process: ~102 MiB from sources with tsx (this test; less from dist);
 *   - the file worker thread (its own V8 isolate): ~32 MiB once started, from sources;
 *   - flush copies: a flush copies the frozen memtable out of its columns, packs the copy
 *     into transfer buffers, and the worker clones its strings and encodes, so up to two
 *     or three times the frozen memtable is briefly held twice;
 *   - garbage and heap headroom: V8 lets both heaps grow well past their live data under
 *     allocation pressure (request bodies, parse batches, column growth copies), and freed
 *     typed-array memory is not all given back to the OS at once.
 * Chosen from those measurements with margin (~25% over the worst run).
 */
export const MEMORY_OVERHEAD = Number(process.env.STRATA_MEMTEST_OVERHEAD ?? 640 * MiB);

export type { ChildServer };

/** Starts `strata serve` from sources on 127.0.0.1, port 0, with extra flags. */
export function startServer(dataDir: string, flags: string[]): Promise<ChildServer> {
  return spawnServer(['src/cli/main.ts', 'serve', '--port', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, ...flags], { maxLogs: 10_000 });
}

/** Resident set size of a process in bytes (VmRSS of /proc/PID/status); 0 once it is gone. */
export function readRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of an idle server: the largest of a few samples over half a second. */
export async function idleBaseline(pid: number): Promise<number> {
  let max = 0;
  for (let i = 0; i < 5; i++) {
    max = Math.max(max, readRss(pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  return max;
}
