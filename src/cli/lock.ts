// The data-dir lock: one process at a time opens a data directory (the server, an import,
// an export). The lock is a file `LOCK` in the data dir holding the owner's pid; it is
// created atomically (O_CREAT|O_EXCL) and removed on exit. A lock left behind by a process
// that died (kill -9, power loss) is stale: its pid is no longer a running process, and the
// next opener takes it over, so a crash never needs manual clean-up.
//
// Limits: this is an advisory lock between Strata processes. Liveness is judged by pid, so
// after a reboot a recycled pid could make a stale lock look held; on Linux the owner's
// command line is checked too (it must be a node/strata process), which rules that out in
// practice. The message names the LOCK file, so an operator can always delete it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StrataError } from '../errors.js';

export const LOCK_FILE = 'LOCK';

export interface LockInfo {
  pid: number;
  command?: string;
  host?: string;
  started?: string;
}

/** Another live process has the data directory open. A CLI-level error (exit code 1). */
export class LockHeldError extends StrataError {
  readonly holder: LockInfo;
  readonly file: string;
  constructor(file: string, holder: LockInfo, self: boolean) {
    super(
      'STRATA_ERR_LOCKED',
      409,
      self
        ? `data directory ${path.dirname(file)} is already open in this process`
        : `data directory ${path.dirname(file)} is in use by process ${holder.pid}` +
            (holder.command ? ` (strata ${holder.command}, started ${holder.started ?? '?'})` : '') +
            `: stop that process first (a running server takes writes over HTTP instead: ` +
            `POST /write, GET /export). If no such process exists, delete ${file}.`,
    );
    this.name = 'LockHeldError';
    this.holder = holder;
    this.file = file;
  }
}

export interface DataDirLock {
  readonly file: string;
  /** True when a stale lock of a dead process was taken over. */
  readonly tookOver: LockInfo | null;
  release(): void;
}

/** Lock files held by this process (absolute paths). */
const held = new Set<string>();

/**
 * Takes the lock of `dataDir` (creating the directory), or throws LockHeldError when a live
 * process holds it. `command` is recorded in the file for the message other processes see.
 */
export function acquireLock(dataDir: string, command: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, LOCK_FILE);
  if (held.has(file)) throw new LockHeldError(file, { pid: process.pid, command }, true);
  const info: LockInfo = { pid: process.pid, command, host: os.hostname(), started: new Date().toISOString() };
  const contents = JSON.stringify(info) + '\n';
  let tookOver: LockInfo | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeSync(fd, contents);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    const holder = readLock(file);
    if (holder && isLive(holder)) throw new LockHeldError(file, holder, false);
    // Stale (or unreadable: a crash between create and write). Take it over.
    tookOver = holder ?? { pid: 0 };
    try {
      fs.unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  held.add(file);
  const onExit = (): void => removeIfOurs(file);
  process.on('exit', onExit);
  let released = false;
  return {
    file,
    tookOver,
    release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      held.delete(file);
      removeIfOurs(file);
    },
  };
}

/** The lock's contents, or null when absent or unreadable. */
export function readLock(file: string): LockInfo | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const j = JSON.parse(text) as LockInfo;
    if (Number.isSafeInteger(j.pid) && j.pid > 0) return j;
  } catch {
    // A bare pid (or a half-written file).
  }
  const m = /^\s*(\d+)/.exec(text);
  return m ? { pid: Number(m[1]) } : null;
}

/** Whether the lock's owner is a running process other than this one. */
export function isLive(info: LockInfo): boolean {
  // Our own pid in a lock we do not hold: a previous life of this pid (a container
  // restarted with the same pid 1, say). Not live.
  if (info.pid === process.pid) return false;
  if (info.host && info.host !== os.hostname()) return true; // a shared file system: cannot tell, assume held
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform === 'linux') {
    try {
      const cmdline = fs.readFileSync(`/proc/${info.pid}/cmdline`, 'utf8');
      if (cmdline && !/node|strata|tsx|bun|deno/i.test(cmdline)) return false;
    } catch {
      // No /proc access: trust the signal check.
    }
  }
  return true;
}

function removeIfOurs(file: string): void {
  try {
    if (readLock(file)?.pid === process.pid) fs.unlinkSync(file);
  } catch {
    // Already gone.
  }
}
