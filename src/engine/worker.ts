// The engine's side of the file-writing worker thread (flushWorker.ts): one worker per
// open database for flushes and compactions, jobs queued and answered in order.

import { Worker } from 'node:worker_threads';
import type { CompactDelete } from '../tsm/cut.js';
import type { TsmFileMeta } from '../tsm/index.js';
import type { PackedColumns } from './packColumns.js';

export class FileWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: TsmFileMeta) => void; reject: (e: Error) => void }>();

  /** Writes a TSM file from columns already packed (packColumnRefs). */
  writePacked(path: string, packed: PackedColumns, transfer: ArrayBuffer[]): Promise<TsmFileMeta> {
    return this.run({ kind: 'write', path, packed }, transfer);
  }

  /** Merges TSM files (oldest first) into `path` in the worker, applying `deletes[i]`
   * (tombstones) to `inputs[i]`. */
  compact(inputs: string[], path: string, deletes?: CompactDelete[][]): Promise<TsmFileMeta> {
    return this.run({ kind: 'compact', inputs, path, deletes }, []);
  }

  private run(job: object, transfer: ArrayBuffer[]): Promise<TsmFileMeta> {
    const w = this.start();
    const id = this.nextId++;
    // Referenced only while a job is out, so an idle worker never keeps the process alive
    // but a pending flush does.
    if (this.pending.size === 0) w.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, ...job }, transfer);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // From sources (tests, tsx) the worker is a .ts file: register tsx's loader in the
    // worker before importing it (execArgv --import is not honoured by workers on Node 20).
    const fromSource = import.meta.url.endsWith('.ts');
    const w = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(new URL('./flushWorker.ts', import.meta.url).href)}); })`,
          { eval: true },
        )
      : new Worker(new URL('./flushWorker.js', import.meta.url));
    w.on('message', (msg: { id: number; meta?: TsmFileMeta; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) w.unref();
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.meta!);
    });
    w.on('error', (err) => this.failAll(err));
    w.on('exit', (code) => {
      this.worker = null;
      if (this.pending.size) this.failAll(new Error(`file worker exited with code ${code}`));
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
