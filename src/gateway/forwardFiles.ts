// The files of store-and-forward under `<dataDir>/forward/`: the cursor of each upstream
// (`<name>.json`, replaced atomically) and its dead letters (`<name>.deadletter.jsonl`,
// appended and fsynced), and the WAL hold made from persisted cursors.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../engine/meta.js';
import type { WalPosition } from '../wal/wal.js';

/** The cursor file of an upstream. */
export function cursorFile(dataDir: string, name: string): string {
  return path.join(dataDir, 'forward', `${name}.json`);
}

export function deadLetterFile(dataDir: string, name: string): string {
  return path.join(dataDir, 'forward', `${name}.deadletter.jsonl`);
}

export function readCursor(dataDir: string, name: string): WalPosition | null {
  let text: string;
  try {
    text = fs.readFileSync(cursorFile(dataDir, name), 'utf8');
  } catch {
    return null;
  }
  const c = JSON.parse(text) as { segment?: unknown; offset?: unknown };
  if (!Number.isSafeInteger(c.segment) || !Number.isSafeInteger(c.offset)) return null;
  return { segment: c.segment as number, offset: c.offset as number };
}

/**
 * A WAL hold for OpenOptions.walHold made from the persisted cursors of `names`, so a
 * flush between opening the database and starting the forwarders deletes nothing they
 * need. (Each Forwarder also holds the WAL itself while it runs.)
 */
export function persistedWalHold(dataDir: string, names: readonly string[]): () => number | null {
  const min = names.map((n) => readCursor(dataDir, n)?.segment ?? 0).reduce((a, b) => Math.min(a, b), Infinity);
  return () => (min === Infinity ? null : min);
}

/** Replaces the cursor file of an upstream (temporary file, fsync, rename, fsync dir). */
export function writeCursor(dataDir: string, name: string, cursor: WalPosition, url: string): void {
  writeFileAtomic(cursorFile(dataDir, name), JSON.stringify({ segment: cursor.segment, offset: cursor.offset, url: redact(url) }) + '\n');
}

/** Appends one dead letter (a JSON object) as a line, and fsyncs it. */
export function appendDeadLetter(dataDir: string, name: string, entry: Record<string, unknown>): string {
  const file = deadLetterFile(dataDir, name);
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, JSON.stringify(entry) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/** A URL without credentials in it (for logs, stats and files). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of ['token', 'p', 'password']) if (u.searchParams.has(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url;
  }
}
