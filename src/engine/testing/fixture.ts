// Shared set-up of the engine tests: temporary data dirs and databases that are closed and
// removed after each test (it registers the afterEach hook itself).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openDatabase, type Database, type OpenOptions } from '../database.js';
import { exportLineProtocol } from '../export.js';

export function engineFixture(prefix: string) {
  const dirs: string[] = [];
  const open: Database[] = [];

  function tmpDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  }

  /** Opens with fsync off and a fixed clock, unless `opts` says otherwise. */
  async function openDb(opts: Partial<OpenOptions> & { dataDir: string }): Promise<Database> {
    const db = await openDatabase({ fsync: 'off', now: () => 1_700_000_000_000_000_000n, ...opts });
    open.push(db);
    return db;
  }

  async function reopen(db: Database, opts: Partial<OpenOptions> = {}): Promise<Database> {
    await db.close();
    open.splice(open.indexOf(db), 1);
    return openDb({ dataDir: db.dataDir, ...opts });
  }

  function exportAll(db: Database, name = 'd'): string {
    return [...exportLineProtocol(db, { db: name })].join('');
  }

  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  return { dirs, open, tmpDir, openDb, reopen, exportAll };
}
