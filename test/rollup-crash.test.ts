// Crash safety of the downsampler, end to end: a real child process
// (test/fixtures/rollup-child.ts) rolls a day of raw points into 1m and 1h tiers in small
// durable chunks; it is SIGKILLed twice in the middle, at seeded random moments after its
// progress shows, and restarted until it completes. Every rollup point must then equal
// the one a run that was never killed wrote: no window missing, none counted twice (a
// re-rolled chunk overwrites its points with the same values).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/engine/database.js';
import { ROOT } from './helpers/child.js';

// As in the child (not imported: it runs its command line when loaded).
const BASE = 1_699_920_000_000_000_000n;
const DAY = 86_400_000_000_000n;
const SERIES = 20;

const SEED = Number(process.env.STRATA_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-rollup-crash-'));
  dirs.push(d);
  return d;
}

interface Run {
  /** Progress lines seen before the exit or the kill. */
  chunks: number;
  done: boolean;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

/** Runs the child; with `killAfter`, SIGKILLs it `delayMs` after that many chunks were reported. */
function runChild(mode: 'prepare' | 'roll', dir: string, killAfter?: number, delayMs = 0): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/rollup-child.ts', mode, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const run = { chunks: 0, done: false, stderr: '' };
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const j = JSON.parse(line) as { done?: boolean };
    if (j.done) run.done = true;
    else run.chunks++;
    if (killAfter !== undefined && run.chunks === killAfter) setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), delayMs);
  });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ ...run, exit: { code, signal } })));
}

/** Every point of the tiers as `tier series field=value time`, in order. */
async function tierPoints(dir: string): Promise<Record<string, string[]>> {
  const db = await openDatabase({ dataDir: dir, fsync: 'off', retentionCheckMs: 0 });
  try {
    const out: Record<string, string[]> = {};
    for (const tier of ['autogen:1m', 'autogen:1h']) {
      const lines: string[] = (out[tier] = []);
      for (const c of db.select({ db: 'd', rp: tier, measurement: 'm' })) {
        for (let i = 0; i < c.times.length; i++) lines.push(`${c.key} ${c.field}=${String(c.values[i])} ${c.times[i]}`);
      }
    }
    return out;
  } finally {
    await db.close();
  }
}

describe('downsampler crash safety', () => {
  it(`SIGKILLed mid-rollup and restarted, it writes exactly the rollups of a run never killed (seed ${SEED})`, async () => {
    const clean = tempDir();
    expect((await runChild('prepare', clean)).exit.code).toBe(0);
    const killed = tempDir();
    fs.cpSync(clean, killed, { recursive: true });

    // The clean run, beside the killed ones (two cores).
    const refRun = runChild('roll', clean);

    // Two kills at seeded moments: 0-19 ms after a chunk early or late in the first run,
    // and early in the second.
    let a = (SEED >>> 0) % 1000;
    const next = () => (a = (a * 1103515245 + 12345) % 2147483648);
    const first = 3 + (next() % 30);
    const k1 = await runChild('roll', killed, first, next() % 20);
    expect(k1.exit.signal, `kill 1 after ${first} chunks: ${k1.stderr}`).toBe('SIGKILL');
    expect(k1.done).toBe(false);
    // It was killed mid-rollup: some chunks durable, the day not done.
    const state = JSON.parse(fs.readFileSync(path.join(killed, 'rollups.json'), 'utf8')) as { tiers: { d: Record<string, { watermark: string }> } };
    const wm = BigInt(state.tiers.d['autogen:1m'].watermark);
    expect(wm > BASE && wm < BASE + DAY, `watermark ${wm}`).toBe(true);
    const second = 3 + (next() % 10);
    const k2 = await runChild('roll', killed, second, next() % 20);
    expect(k2.exit.signal, `kill 2 after ${second} chunks: ${k2.stderr}`).toBe('SIGKILL');
    expect(k2.done).toBe(false);
    const last = await runChild('roll', killed);
    expect(last.exit.code, last.stderr).toBe(0);
    expect(last.done).toBe(true);
    const ref = await refRun;
    expect(ref.exit.code, ref.stderr).toBe(0);
    expect(ref.done).toBe(true);
    expect(ref.chunks).toBeGreaterThan(40);

    const want = await tierPoints(clean);
    const got = await tierPoints(killed);
    for (const tier of ['autogen:1m', 'autogen:1h']) {
      expect(want[tier].length, tier).toBe(tier === 'autogen:1m' ? SERIES * 2 * 9 * 1440 : SERIES * 2 * 9 * 24);
      expect(got[tier].length, tier).toBe(want[tier].length);
      expect(got[tier], `${tier} (seed ${SEED})`).toEqual(want[tier]);
    }
    // No double count: the counts of each series' day add up to its raw points.
    let total = 0;
    for (const l of got['autogen:1h']) {
      const m = / f_count=(\d+) (\d+)$/.exec(l);
      if (!m) continue;
      total += Number(m[1]);
      expect(BigInt(m[2]) >= BASE && BigInt(m[2]) < BASE + DAY).toBe(true);
    }
    expect(total).toBe(SERIES * Number(DAY / 10_000_000_000n));
  }, 60_000);
});
