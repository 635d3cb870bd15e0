// A Strata server for the flush crash test (test/crash-flush.test.ts), run as a child
// process: `node --import tsx test/helpers/flush-server.ts`. It is `strata serve` reduced
// to what the test needs, plus two things serve has no flag for:
//
//   - a tiny memtable limit (env FLUSH_SERVER_MEMTABLE_BYTES), so flushes run all the time;
//   - hooks that log each step of a flush as a JSON line ("msg":"hook") on stderr, so the
//     test can time a kill, and that SIGKILL the process itself at the n-th occurrence of
//     one step (env FLUSH_SERVER_CRASH_AT=step:n) when the test asks for an exact point.
//
// Steps, in flush order: flush-start (before the memtable is frozen), wal-rolled (frozen,
// WAL rolled), tsm-write-start (a worker writes <seq>.tsm.tmp), tsm-written (renamed to
// <seq>.tsm and its directory fsynced), wal-remove-start (before the covered segments are
// deleted), wal-removed (after); then the background compaction that follows a flush:
// compact-start (a worker merges a run of a shard's files into <first>-<last>.tsm.tmp),
// compact-written (the output published, its inputs not yet deleted). The hooks wrap
// prototype methods at run time; the engine's code is unchanged.
//
// Env: FLUSH_SERVER_DATA_DIR (required), FLUSH_SERVER_MEMTABLE_BYTES (default 65536).
// Logs the "listening" line with the port like `strata serve` (port 0: a free one);
// SIGTERM closes the server and the database and exits 0.

import type { AddressInfo } from 'node:net';
import { acquireLock } from '../../src/cli/lock.js';
import { JsonLogger } from '../../src/cli/log.js';
import { Database, openDatabase } from '../../src/engine/database.js';
import { FileWorker } from '../../src/engine/worker.js';
import { buildServer } from '../../src/server/app.js';
import { Wal } from '../../src/wal/wal.js';

const dataDir = process.env.FLUSH_SERVER_DATA_DIR;
if (!dataDir) throw new Error('FLUSH_SERVER_DATA_DIR is required');
const memtableBytes = Number(process.env.FLUSH_SERVER_MEMTABLE_BYTES ?? 65536);
const log = new JsonLogger({ stream: process.stderr, level: 'info' });

const crashAt = /^([a-z-]+):(\d+)$/.exec(process.env.FLUSH_SERVER_CRASH_AT ?? '');
const counts = new Map<string, number>();

/** Logs a flush step, and dies by SIGKILL at the step the test asked for. */
function step(name: string, fields: Record<string, unknown> = {}): void {
  const n = (counts.get(name) ?? 0) + 1;
  counts.set(name, n);
  const die = crashAt !== null && crashAt[1] === name && Number(crashAt[2]) === n;
  log.info({ step: name, n, ...fields, ...(die ? { dying: true } : {}) }, 'hook');
  if (die) process.kill(process.pid, 'SIGKILL');
}

type AsyncMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;
type SyncMethod = (this: unknown, ...args: unknown[]) => unknown;

const dbProto = Database.prototype as unknown as { flushOnce: AsyncMethod };
const flushOnce = dbProto.flushOnce;
dbProto.flushOnce = function (this: unknown) {
  step('flush-start');
  return flushOnce.call(this);
};

const walProto = Wal.prototype as unknown as { rollSegment: SyncMethod; removeSegmentsBefore: AsyncMethod };
const rollSegment = walProto.rollSegment;
walProto.rollSegment = function (this: unknown, ...args: unknown[]) {
  const id = rollSegment.apply(this, args);
  step('wal-rolled', { segment: id });
  return id;
};
const removeSegmentsBefore = walProto.removeSegmentsBefore;
walProto.removeSegmentsBefore = async function (this: unknown, ...args: unknown[]) {
  step('wal-remove-start', { before: args[0] });
  await removeSegmentsBefore.apply(this, args);
  step('wal-removed', { before: args[0] });
};

const workerProto = FileWorker.prototype as unknown as { writePacked: AsyncMethod; compact?: AsyncMethod };
const write = workerProto.writePacked;
workerProto.writePacked = async function (this: unknown, ...args: unknown[]) {
  step('tsm-write-start', { file: args[0] });
  const meta = await write.apply(this, args);
  step('tsm-written', { file: args[0] });
  return meta;
};
const compact = workerProto.compact;
if (compact) {
  workerProto.compact = async function (this: unknown, ...args: unknown[]) {
    step('compact-start', { file: args[1], inputs: (args[0] as string[]).length });
    const meta = await compact.apply(this, args);
    step('compact-written', { file: args[1] });
    return meta;
  };
}

const lock = acquireLock(dataDir, 'serve');
if (lock.tookOver) log.warn({ stalePid: lock.tookOver.pid }, `took over the lock of process ${lock.tookOver.pid}`);
const db = await openDatabase({ dataDir, fsync: 'always', memtableBytes, logger: log });
const app = await buildServer({ db });
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as AddressInfo).port;
log.info({ port, pid: process.pid, memtableBytes }, 'listening');

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await db.close();
    lock.release();
    log.info({}, 'stopped cleanly');
    process.exit(0);
  })();
});
