// The start-up warm-up (warmup.ts): every request it sends succeeds, its scratch directory
// is always removed, the real database is never touched, failures never throw, and
// `strata serve` runs it by default (logging "warm-up done") but not with --no-warmup.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../engine/database.js';
import { removeTempDirs, tempDir, testIo } from '../cli/testing/io.js';
import { main } from '../cli/main.js';
import { logLines, startServer, waitFor } from '../cli/testing/server.js';
import { warmUp } from './warmup.js';

afterEach(removeTempDirs);

interface Logged {
  level: string;
  obj: object | string;
  msg?: string;
}

function memoryLogger(): { logger: { info: (o: object | string, m?: string) => void; warn: (o: object | string, m?: string) => void; error: (o: object | string, m?: string) => void }; lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Every file under `dir` with its size and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('warmUp', () => {
  it('runs every route family without a failure and removes its scratch directory', async () => {
    const parent = tempDir();
    const { logger, lines } = memoryLogger();
    const r = await warmUp({ logger, tmpDir: parent, budgetMs: 300 });
    expect(r.error).toBeUndefined();
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.rounds).toBeGreaterThanOrEqual(1);
    expect(r.requests).toBeGreaterThan(30);
    expect(r.ms).toBeGreaterThan(0);
    expect(r.transport).toBe('socket');
    expect(path.dirname(r.dir)).toBe(parent);
    expect(path.basename(r.dir)).toMatch(/^strata-warmup-/);
    expect(r.removed).toBe(true);
    expect(fs.existsSync(r.dir)).toBe(false);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('uses the OS temp directory by default and leaves nothing there', async () => {
    const { logger } = memoryLogger();
    const r = await warmUp({ logger, budgetMs: 1 });
    expect(r.failed).toBe(0);
    expect(r.error).toBeUndefined();
    expect(r.rounds).toBeGreaterThanOrEqual(1); // minRounds: every route ran once even past the budget
    expect(path.dirname(r.dir)).toBe(os.tmpdir());
    expect(fs.existsSync(r.dir)).toBe(false);
  });

  it('repeats the common dashboard requests after the rounds, over a socket or with inject()', async () => {
    for (const inject of [false, true]) {
      const { logger, lines } = memoryLogger();
      const r = await warmUp({ logger, tmpDir: tempDir(), budgetMs: 1, maxRounds: 1, minRepeats: 20, inject });
      expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
      expect(r).toMatchObject({ failed: 0, rounds: 1, transport: inject ? 'inject' : 'socket', removed: true });
      expect(r.repeats).toBeGreaterThanOrEqual(20);
      expect(r.error).toBeUndefined();
    }
  });

  it('does not touch a database open in the same process', async () => {
    const dataDir = tempDir();
    const db = await openDatabase({ dataDir, fsync: 'always', retentionCheckMs: 0 });
    try {
      await db.write('cpu,hostname=host_1 usage_user=12.5 1700000000000000000\n', { db: 'real' });
      await db.flush();
      await db.write('cpu,hostname=host_1 usage_user=13.5 1700000010000000000\n', { db: 'real' });
      const before = snapshot(dataDir);
      const dbsBefore = db.databases();
      const { logger } = memoryLogger();
      const r = await warmUp({ logger, tmpDir: tempDir(), budgetMs: 100 });
      expect(r.failed).toBe(0);
      expect(db.databases()).toEqual(dbsBefore);
      expect(db.hasDatabase('warmup')).toBe(false);
      expect(snapshot(dataDir)).toEqual(before);
      expect(db.stats().pointsWritten).toBe(2);
    } finally {
      await db.close();
    }
  });

  it('stops when asked, and never throws: a failure is returned and logged at warn', async () => {
    const { logger } = memoryLogger();
    const stopped = await warmUp({ logger, tmpDir: tempDir(), stop: () => true });
    expect(stopped.rounds).toBe(0);
    expect(stopped.error).toBeUndefined();
    expect(fs.existsSync(stopped.dir)).toBe(false);

    const bad = memoryLogger();
    const missing = path.join(tempDir(), 'no', 'such', 'dir');
    const r = await warmUp({ logger: bad.logger, tmpDir: missing });
    expect(r.error).toBeInstanceOf(Error);
    expect(r.requests).toBe(0);
    expect(bad.lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^warm-up failed \(the server starts anyway\): /) })]);
  });
});

describe('strata serve warm-up', () => {
  it('runs by default before listening and logs "warm-up done"; --no-warmup skips it', async () => {
    // main directly: startServer passes --no-warmup
    const ac = new AbortController();
    const io = testIo({ signal: ac.signal });
    const exit = main(['serve', '--port', '0', '--bind', '127.0.0.1', '--data-dir', tempDir()], io);
    const listening = await waitFor('the listening line', () => logLines(io).find((l) => String(l.msg).startsWith('listening')));
    const s = { io, url: `http://127.0.0.1:${listening.port as number}`, stop: () => (ac.abort(), exit) };
    try {
      const lines = logLines(s.io);
      const done = lines.findIndex((l) => l.msg === 'warm-up done');
      expect(done).toBeGreaterThanOrEqual(0);
      expect(lines[done]).toMatchObject({ level: 'info', failed: 0 });
      expect(lines[done]!.requests as number).toBeGreaterThan(30);
      expect(lines[done]!.ms as number).toBeGreaterThan(0);
      expect(lines.findIndex((l) => String(l.msg).startsWith('listening'))).toBeGreaterThan(done);
      expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      // the real database never saw the scratch data
      const res = await fetch(`${s.url}/query?q=SHOW+DATABASES`);
      expect(JSON.stringify(await res.json())).not.toContain('warmup');
    } finally {
      expect(await s.stop()).toBe(0);
    }

    const off = await startServer('serve', ['--data-dir', tempDir()]);
    try {
      expect(logLines(off.io).some((l) => l.msg === 'warm-up done')).toBe(false);
    } finally {
      expect(await off.stop()).toBe(0);
    }
  });
});
