// Crash safety, end to end: a real `strata serve` child process, real HTTP clients, real
// signals. What is asserted holds for any kill moment:
//   - every point whose write was acknowledged (204) is there after a restart, with its value;
//   - nothing is there twice, and nothing is there that was never sent;
//   - a torn or corrupt WAL tail is truncated and logged (file and offset), and every
//     record before it survives;
//   - SIGTERM shuts down cleanly (exit 0) with everything readable after a restart.
// Randomness (seeded; STRATA_CRASH_SEED reproduces a run) only picks batch sizes and the
// kill moment.

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { testIo } from '../src/cli/testing/io.js';
import { spawnServer, type ChildServer } from './helpers/child.js';
import { mulberry32 } from '../src/testing/random.js';

const SEED = Number(process.env.STRATA_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

// ---- the server as a child process ----------------------------------------------------

type Server = ChildServer;

const children = new Set<ChildProcess>();
const dirs: string[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-crash-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function startServer(dataDir: string): Promise<Server> {
  return spawnServer(['src/cli/main.ts', 'serve', '--port', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, '--fsync', 'always'], {
    onSpawn: (c) => children.add(c),
  });
}

interface LogLine {
  level: string;
  msg: string;
  file?: string;
  offset?: number;
}

/** The server's JSON log lines (Strata's own; fastify's pino lines have numeric levels). */
function jsonLogs(s: Server): LogLine[] {
  const out: LogLine[] = [];
  for (const l of s.logs) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as LogLine);
    } catch {
      // a partial line
    }
  }
  return out;
}

async function stopServer(s: Server, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  s.child.kill(signal);
  return s.exit;
}

// ---- the points -----------------------------------------------------------------------

const BASE = 1_700_000_000_000_000_000n;
const CLIENTS = 8;
const HOSTS = 3;
const SEQ_PER_CLIENT = 1_000_000;

/** Point number `seq` of client `c`: its line, and what export must show for it. */
function pointOf(c: number, seq: number): { line: string; key: string; fields: string } {
  const ts = BASE + BigInt(c * SEQ_PER_CLIENT + seq) * 1000n;
  const series = `crash,client=c${c},host=h${seq % HOSTS}`;
  const fields = `f=${seq}.25,v=${c * SEQ_PER_CLIENT + seq}i`;
  return { line: `${series} ${fields} ${ts}`, key: `${series} ${ts}`, fields };
}

/** The exported lines of database `crash`, checked line by line; returns series+time → fields. */
async function exportedPoints(url: string): Promise<Map<string, string>> {
  const res = await fetch(`${url}/export?db=crash`);
  const text = await res.text();
  if (res.status === 404) return new Map();
  expect(res.status, text).toBe(200);
  const seen = new Map<string, string>();
  const dups: string[] = [];
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(crash,client=c(\d+),host=h(\d+)) (\S+) (\d+)$/.exec(line);
    if (!m) {
      bad.push(line);
      continue;
    }
    const key = `${m[1]} ${m[5]}`;
    if (seen.has(key)) dups.push(line);
    seen.set(key, m[4]);
    // Whatever is there must be exactly what was sent for that client and time.
    const n = Number((BigInt(m[5]) - BASE) / 1000n);
    const c = Math.floor(n / SEQ_PER_CLIENT);
    const want = pointOf(c, n - c * SEQ_PER_CLIENT);
    if (String(c) !== m[2] || want.key !== key || want.fields !== m[4]) bad.push(line);
  }
  expect(dups, `duplicated points (seed ${SEED})`).toEqual([]);
  expect(bad.slice(0, 5), `lines that were never sent (seed ${SEED})`).toEqual([]);
  return seen;
}

interface Load {
  acked: Set<string>;
  /** Next sequence number per client (carried across server lives). */
  next: number[];
}

/**
 * CLIENTS concurrent writers, each posting batches of 1-20 new points until `stop` is set
 * or the server goes away. A point counts as acknowledged only when its 204 has arrived.
 */
function runWriters(url: string, load: Load, rnd: () => number) {
  let stop = false;
  let inflight = 0;
  let ackedNow = 0;
  const other: string[] = [];
  const writers = Array.from({ length: CLIENTS }, async (_, c) => {
    while (!stop) {
      const n = 1 + Math.floor(rnd() * 20);
      const pts = Array.from({ length: n }, () => pointOf(c, load.next[c]++));
      inflight++;
      try {
        const res = await fetch(`${url}/write?db=crash`, { method: 'POST', body: pts.map((p) => p.line).join('\n') + '\n' });
        await res.arrayBuffer();
        if (res.status === 204) {
          for (const p of pts) load.acked.add(p.key);
          ackedNow += n;
        } else {
          other.push(`HTTP ${res.status}`);
        }
      } catch {
        return; // connection refused or reset: the server is gone
      } finally {
        inflight--;
      }
    }
  });
  return {
    get inflight() {
      return inflight;
    },
    get acked() {
      return ackedNow;
    },
    other,
    stop: async () => {
      stop = true;
      await Promise.all(writers);
    },
    done: Promise.all(writers),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assertAllAcked(load: Load, stored: Map<string, string>, what: string): void {
  const missing = [...load.acked].filter((k) => !stored.has(k));
  expect(missing.slice(0, 5), `${missing.length} acknowledged points missing ${what} (seed ${SEED})`).toEqual([]);
}

describe('crash safety (real child process)', () => {
  it('keeps every acknowledged write across repeated SIGKILLs under concurrent load', async () => {
    const rnd = mulberry32(SEED);
    const dir = tempDir();
    const load: Load = { acked: new Set(), next: new Array(CLIENTS).fill(0) };
    let server = await startServer(dir);
    for (let cycle = 0; cycle < 3; cycle++) {
      const w = runWriters(server.url, load, rnd);
      const delay = 300 + Math.floor(rnd() * 1200);
      await sleep(delay);
      // Kill while writes are in flight, and not before this life acknowledged some.
      for (let i = 0; i < 500 && (w.inflight === 0 || w.acked === 0); i++) await sleep(2);
      expect(w.acked, `no write acknowledged within ${delay} ms (seed ${SEED})`).toBeGreaterThan(0);
      const killed = await stopServer(server, 'SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
      await w.done;
      expect(w.other, `unexpected responses (seed ${SEED})`).toEqual([]);

      server = await startServer(dir);
      // The stale LOCK of the killed process was taken over.
      expect(server.logs.some((l) => l.includes('took over the lock'))).toBe(true);
      assertAllAcked(load, await exportedPoints(server.url), `after kill ${cycle + 1}`);
    }
    const final = await stopServer(server, 'SIGTERM');
    expect(final).toEqual({ code: 0, signal: null });
    expect(load.acked.size).toBeGreaterThan(0);
  }, 40_000);

  it('shuts down cleanly on SIGTERM during writes: exit 0, in-flight writes finished, all readable after restart', async () => {
    const rnd = mulberry32(SEED ^ 0x9e3779b9);
    const dir = tempDir();
    const load: Load = { acked: new Set(), next: new Array(CLIENTS).fill(0) };
    let server = await startServer(dir);

    // While the server runs, the CLI refuses to open its data dir.
    const io = testIo();
    expect(await main(['export', '--db', 'crash', '--data-dir', dir], io)).toBe(1);
    expect(io.err.text).toContain(`in use by process ${server.child.pid}`);

    const w = runWriters(server.url, load, rnd);
    await sleep(300 + Math.floor(rnd() * 500));
    for (let i = 0; i < 500 && (w.inflight === 0 || w.acked === 0); i++) await sleep(2);
    const exit = await stopServer(server, 'SIGTERM');
    await w.done;
    expect(exit, server.logs.join('\n')).toEqual({ code: 0, signal: null });
    const msgs = jsonLogs(server).map((l) => l.msg);
    expect(msgs).toContain('stopped cleanly');
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
    // Refused requests after the close began are fine; errors are not.
    expect(w.other.filter((s) => s !== 'HTTP 503')).toEqual([]);

    server = await startServer(dir);
    expect(server.logs.some((l) => l.includes('took over the lock'))).toBe(false);
    const stored = await exportedPoints(server.url);
    assertAllAcked(load, stored, 'after SIGTERM');
    expect((await stopServer(server, 'SIGTERM')).code).toBe(0);
  }, 30_000);

  it('truncates a torn or corrupt WAL tail at start-up, logs file and offset, keeps every record before it', async () => {
    const dir = tempDir();
    let server = await startServer(dir);
    const segDir = path.join(dir, 'wal');
    const lastSegment = (): string => {
      const names = fs.readdirSync(segDir).filter((n) => /^\d{16}\.wal$/.test(n)).sort();
      return path.join(segDir, names[names.length - 1]);
    };
    // Five acknowledged writes, one WAL record each; note where each record ends.
    const ends: number[] = [fs.statSync(lastSegment()).size];
    const writes = 5;
    for (let i = 0; i < writes; i++) {
      const body = Array.from({ length: 10 }, (_, j) => pointOf(i, j).line).join('\n');
      const res = await fetch(`${server.url}/write?db=crash`, { method: 'POST', body });
      expect(res.status).toBe(204);
      ends.push(fs.statSync(lastSegment()).size);
    }
    expect((await stopServer(server, 'SIGTERM')).code).toBe(0);
    const seg = lastSegment();
    expect(fs.statSync(seg).size).toBe(ends[writes]);
    const lastStart = ends[writes - 1];
    const lastLen = ends[writes] - lastStart;

    const damages: [string, (file: string) => void][] = [
      ['truncated mid-frame', (f) => fs.truncateSync(f, lastStart + Math.floor(lastLen / 2))],
      [
        'a flipped byte in the last record',
        (f) => {
          const fd = fs.openSync(f, 'r+');
          const b = Buffer.alloc(1);
          fs.readSync(fd, b, 0, 1, ends[writes] - 5);
          b[0] ^= 0x40;
          fs.writeSync(fd, b, 0, 1, ends[writes] - 5);
          fs.closeSync(fd);
        },
      ],
    ];
    for (const [what, damage] of damages) {
      const copy = tempDir();
      fs.cpSync(dir, copy, { recursive: true });
      const copySeg = path.join(copy, 'wal', path.basename(seg));
      damage(copySeg);

      server = await startServer(copy);
      // The damage is logged with the segment file and the offset of the bad frame.
      const report = jsonLogs(server).find((l) => l.level === 'warn' && l.file !== undefined);
      expect(report, `${what}: no warning naming the file:\n${server.logs.join('\n')}`).toBeDefined();
      expect(report!.file).toBe(copySeg);
      expect(report!.offset).toBe(lastStart);
      expect(report!.msg).toContain(`${copySeg} at offset ${lastStart}`);

      const stored = await exportedPoints(server.url);
      for (let i = 0; i < writes; i++) {
        for (let j = 0; j < 10; j++) {
          expect(stored.has(pointOf(i, j).key), `${what}: write ${i} point ${j}`).toBe(i < writes - 1);
        }
      }
      expect(stored.size).toBe((writes - 1) * 10);
      expect(fs.statSync(copySeg).size).toBe(lastStart);

      // The truncated log takes new writes, and they survive a restart.
      const res = await fetch(`${server.url}/write?db=crash`, { method: 'POST', body: pointOf(7, 0).line });
      expect(res.status).toBe(204);
      expect((await stopServer(server, 'SIGTERM')).code).toBe(0);
      server = await startServer(copy);
      const again = await exportedPoints(server.url);
      expect(again.size).toBe((writes - 1) * 10 + 1);
      expect(again.has(pointOf(7, 0).key)).toBe(true);
      expect(server.logs.some((l) => l.includes('"level":"warn"'))).toBe(false);
      expect((await stopServer(server, 'SIGTERM')).code).toBe(0);
    }
  }, 40_000);
});
