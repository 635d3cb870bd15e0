// Worker thread that encodes and writes TSM files, so flushes (and, later, compactions)
// keep off the event loop that serves ingest and queries. Jobs arrive one at a time.

import { parentPort } from 'node:worker_threads';
import { initCodecs } from '../gorilla/index.js';
import { writeTsmFile, type TsmColumnInput } from '../tsm/index.js';

export interface WriteJob {
  id: number;
  path: string;
  columns: TsmColumnInput[];
}

const port = parentPort;
if (port) {
  port.on('message', (job: WriteJob) => {
    initCodecs()
      .then(() => {
        const meta = writeTsmFile(job.path, job.columns);
        port.postMessage({ id: job.id, meta });
      })
      .catch((err: Error) => port.postMessage({ id: job.id, error: err.message }));
  });
}
