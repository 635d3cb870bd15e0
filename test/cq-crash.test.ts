// Crash safety of continuous queries, with real child processes and SIGKILL
// (test/fixtures/cq-child.ts): a CQ catching up 48 hours of 10-minute runs is killed
//   1. inside a run's INTO write (its WAL record fsynced, the run not recorded),
//   2. after a run's INTO write returned but before the run was recorded,
//   3. at an arbitrary moment, by the test, after seeing progress,
// and restarted each time; the last start runs to completion. Its CQ output must equal
// that of a run that was never killed: every window, every host, the same values, once.
// After each kill the restarted process must start exactly at the run after the last one
// recorded in continuous_queries.json: the interrupted run is redone once, none skipped.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/engine/database.js';
import { exportLineProtocol } from '../src/engine/export.js';
import { ROOT } from './helpers/child.js';

const T0 = Date.parse('2024-05-01T00:00:00Z');
const RUNS = 48 * 6 + 1; // T0 .. T0 + 48 h, every 10 minutes
const HOSTS = 5;
const STEP = 600_000;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cq-crash-'));
  dirs.push(d);
  return d;
}

interface ChildResult {
  runs: number[];
  done: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the child; `killAfter` SIGKILLs it from here after that many progress lines. */
function runChild(dataDir: string, env: Record<string, string> = {}, killAfter?: number): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cq-child.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CQ_DATA_DIR: dataDir, ...env },
  });
  const out: ChildResult = { runs: [], done: false, signal: null, code: null, stderr: '' };
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const j = JSON.parse(line) as { run?: number; done?: boolean; error?: string };
    if (j.error) out.stderr += `run error: ${j.error}\n`;
    if (j.run !== undefined) out.runs.push(j.run);
    if (j.done) out.done = true;
    if (killAfter !== undefined && out.runs.length === killAfter) child.kill('SIGKILL');
  });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      out.code = code;
      out.signal = signal;
      resolve(out);
    }),
  );
}

function lastDone(dataDir: string): number {
  const f = JSON.parse(fs.readFileSync(path.join(dataDir, 'continuous_queries.json'), 'utf8')) as { queries: { lastDone: number }[] };
  return f.queries[0].lastDone;
}

async function cqOutput(dataDir: string): Promise<string[]> {
  const db = await openDatabase({ dataDir, fsync: 'off' });
  try {
    const lines: string[] = [];
    for (const chunk of exportLineProtocol(db, { db: 'crashdb', measurement: 'cpu_10m' })) for (const l of chunk.split('\n')) if (l) lines.push(l);
    return lines;
  } finally {
    await db.close();
  }
}

describe('continuous query crash safety', () => {
  it('SIGKILL inside the INTO write, after it, and at a random moment: the output equals an uninterrupted run', async () => {
    const refDir = tempDir();
    const crashDir = tempDir();
    const [ref, first] = await Promise.all([
      runChild(refDir),
      // The first start of the crash run dies inside the 40th run's INTO write.
      runChild(crashDir, { CQ_CRASH_AT: 'in-write:40' }),
    ]);
    expect(ref.stderr).toBe('');
    expect(ref.done).toBe(true);
    expect(ref.runs).toEqual(Array.from({ length: RUNS }, (_, i) => T0 + i * STEP));

    expect(first.signal, first.stderr).toBe('SIGKILL');
    expect(first.runs.length).toBe(39);
    let recorded = lastDone(crashDir);
    expect(recorded).toBe(first.runs[38]);
    // The kill came after the 40th run's points were durable: they are there, unrecorded.
    const windowOf40 = BigInt(recorded) * 1_000_000n; // run 40 covers [run 39's time, run 40's)
    expect((await cqOutput(crashDir)).filter((l) => l.endsWith(` ${windowOf40}`)).length).toBe(HOSTS);
    const all = [...first.runs];

    // Killed after the 25th run's write returned, before it was recorded.
    const second = await runChild(crashDir, { CQ_CRASH_AT: 'after-write:25' });
    expect(second.signal, second.stderr).toBe('SIGKILL');
    expect(second.runs[0]).toBe(recorded + STEP); // the interrupted run, redone once
    expect(second.runs.length).toBe(24);
    recorded = lastDone(crashDir);
    expect(recorded).toBe(second.runs[23]);
    all.push(...second.runs);

    // Killed by the test wherever the child is after 30 more runs.
    const third = await runChild(crashDir, {}, 30);
    expect(third.signal, third.stderr).toBe('SIGKILL');
    expect(third.runs[0]).toBe(recorded + STEP);
    expect(third.done).toBe(false);
    recorded = lastDone(crashDir);
    // The run recorded last was printed (or the kill fell between recording and printing).
    expect([third.runs[third.runs.length - 1], third.runs[third.runs.length - 1] + STEP]).toContain(recorded);
    all.push(...third.runs);
    if (recorded !== third.runs[third.runs.length - 1]) all.push(recorded);

    const last = await runChild(crashDir);
    expect(last.stderr).toBe('');
    expect(last.done).toBe(true);
    expect(last.runs[0]).toBe(recorded + STEP);
    all.push(...last.runs);
    // Across the four processes every run was completed once, in order, none skipped.
    expect(all).toEqual(ref.runs);

    const want = await cqOutput(refDir);
    const got = await cqOutput(crashDir);
    // 48 hours of 10-minute windows per host (the run at T0 covered the empty hour before).
    expect(want.length).toBe(48 * 6 * HOSTS);
    expect(new Set(want.map((l) => l.replace(/ \S+ /, ' '))).size).toBe(want.length);
    expect(got).toEqual(want);
  });
});
