// Test helpers for the WAL: temporary directories, a logger that records, and a reader
// that replays a directory into memory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../types.js';
import { Wal, type WalOptions, type WalRecord } from '../wal.js';

const dirs: string[] = [];

export function tmpDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-wal-'));
  dirs.push(d);
  return d;
}

export function removeTmpDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export function captureLogger(): Logger & { lines: LogLine[]; at(level: LogLine['level']): LogLine[] } {
  const lines: LogLine[] = [];
  const log = (level: LogLine['level']) => (obj: object | string, msg?: string) => {
    lines.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  };
  return { lines, info: log('info'), warn: log('warn'), error: log('error'), at: (l) => lines.filter((x) => x.level === l) };
}

/** A deterministic payload: record `i` of `size` bytes. */
export function payload(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (i * 2654435761) >>> 0;
  for (let k = 0; k < size; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[k] = x >>> 24;
  }
  return b;
}

export type Rec = Omit<WalRecord, 'payload'> & { payload: Buffer };

/** Opens the WAL in `opts.dir`, collecting copies of the replayed records. */
export async function openCollect(opts: WalOptions): Promise<{ wal: Wal; recs: Rec[] }> {
  const recs: Rec[] = [];
  const wal = await Wal.open(opts, (r) => recs.push({ ...r, payload: Buffer.from(r.payload) }));
  return { wal, recs };
}

/** Replays `dir` and closes the WAL again. */
export async function replay(opts: WalOptions): Promise<Rec[]> {
  const { wal, recs } = await openCollect(opts);
  await wal.close();
  return recs;
}
