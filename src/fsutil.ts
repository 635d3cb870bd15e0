// Small file-system helpers shared by every module that publishes files atomically.

import * as fs from 'node:fs';
import { open } from 'node:fs/promises';

// A directory is fsynced so that a file's creation, rename or deletion survives a crash
// (POSIX leaves directory entries in the page cache until then). Windows cannot open a
// directory for fsync and journals its metadata anyway, so the call is skipped there.
function skipDirSync(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return process.platform === 'win32' && (code === 'EPERM' || code === 'EISDIR' || code === 'EACCES');
}

/** fsyncs a directory, so a file created, renamed or deleted in it is durable. */
export function fsyncDirSync(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (skipDirSync(e)) return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!skipDirSync(e)) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** fsyncDirSync off the event loop. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch (e) {
    if (skipDirSync(e)) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!skipDirSync(e)) throw e;
  } finally {
    await fh.close();
  }
}
