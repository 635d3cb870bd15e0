// Worker thread that encodes and writes TSM files, so flushes and compactions
// keep off the event loop that serves ingest and queries. Jobs arrive one at a time.

import { parentPort } from 'node:worker_threads';
import { initCodecs } from '../gorilla/index.js';
import { compactFiles } from '../tsm/compact.js';
import type { CompactDelete } from '../tsm/cut.js';
import { writeTsmFile } from '../tsm/index.js';
import { FLOAT, INTEGER } from '../types.js';
import { unpackColumns, type PackedColumns } from './packColumns.js';

export type WorkerJob =
  | { id: number; kind: 'write'; path: string; packed: PackedColumns }
  | { id: number; kind: 'compact'; inputs: string[]; path: string; deletes?: CompactDelete[][] };

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    initCodecs()
      .then(() => {
        const meta = job.kind === 'write' ? writeTsmFile(job.path, unpackColumns(job.packed, (t) => (t === FLOAT ? 'f64' : t === INTEGER ? 'i64' : 'u64'))) : compactFiles(job.inputs, job.path, job.deletes);
        port.postMessage({ id: job.id, meta });
      })
      .catch((err: Error) => port.postMessage({ id: job.id, error: err.message }));
  });
}
