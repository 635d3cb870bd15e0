import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, LockHeldError, acquireLock, readLock } from './lock.js';
import { main } from './main.js';
import { removeTempDirs, tempDir, testIo } from './testing/io.js';

afterEach(removeTempDirs);

/** A live node process that is not this one. */
function sleeper() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return child;
}

describe('data-dir lock', () => {
  it('writes the pid, refuses a second holder in this process, and removes the file on release', () => {
    const dir = tempDir();
    const lock = acquireLock(dir, 'test');
    const file = path.join(dir, LOCK_FILE);
    expect(readLock(file)).toMatchObject({ pid: process.pid, command: 'test' });
    expect(() => acquireLock(dir, 'again')).toThrow(/already open in this process/);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    lock.release(); // idempotent
    acquireLock(dir, 'third').release();
  });

  it('refuses while another live process holds the lock, naming it', async () => {
    const dir = tempDir();
    const child = sleeper();
    try {
      await new Promise((r) => child.once('spawn', r));
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, command: 'serve', started: '2024-01-01T00:00:00Z' }));
      let err: unknown;
      try {
        acquireLock(dir, 'import');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LockHeldError);
      expect((err as Error).message).toContain(`in use by process ${child.pid} (strata serve`);
      expect((err as Error).message).toContain('POST /write');
      // The CLI turns it into exit 1 with the message.
      fs.writeFileSync(path.join(dir, 'x.lp'), 'm v=1 1\n');
      const io = testIo();
      expect(await main(['import', path.join(dir, 'x.lp'), '--db', 'd', '--data-dir', dir], io)).toBe(1);
      expect(io.err.text).toContain(`in use by process ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over a stale lock left by a dead process (or a bare pid, or garbage)', async () => {
    const dir = tempDir();
    const child = sleeper();
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (const contents of [JSON.stringify({ pid, command: 'serve' }), `${pid}\n`, '', 'garbage']) {
      fs.writeFileSync(path.join(dir, LOCK_FILE), contents);
      const lock = acquireLock(dir, 'test');
      expect(lock.tookOver?.pid ?? 0).toBe(contents.includes(String(pid)) ? pid : 0);
      lock.release();
    }
  });
});
