// Worker thread that encodes and writes TSM files, so flushes (and, later, compactions)
// keep off the event loop that serves ingest and queries. Jobs arrive one at a time.

import { parentPort } from 'node:worker_threads';
import { initCodecs } from '../gorilla/index.js';
import { compactFiles } from '../tsm/compact.js';
import { writeTsmFile, type TsmColumnInput } from '../tsm/index.js';

export type WorkerJob =
  | { id: number; kind: 'write'; path: string; columns: TsmColumnInput[] }
  | { id: number; kind: 'compact'; inputs: string[]; path: string };

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    initCodecs()
      .then(() => {
        const meta = job.kind === 'write' ? writeTsmFile(job.path, job.columns) : compactFiles(job.inputs, job.path);
        port.postMessage({ id: job.id, meta });
      })
      .catch((err: Error) => port.postMessage({ id: job.id, error: err.message }));
  });
}
