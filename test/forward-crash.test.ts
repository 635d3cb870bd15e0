// Store-and-forward survives SIGKILL: a gateway child process (a Database with fsync
// `always` and a Forwarder) writes points and reports each acknowledged write; it is
// killed twice while the upstream (an in-process Strata) is down and a backlog is queued
// and once more while it catches up, restarted each time, and in the end the upstream
// holds exactly what the gateway holds: every acknowledged point, no gaps, no duplicates
// visible.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/engine/database.js';
import { exportLineProtocol } from '../src/engine/export.js';
import { cleanup, setup } from '../src/server/testing/harness.js';
import { ROOT } from './helpers/child.js';
import { freePort } from '../src/testing/net.js';

const CHILD = `
const { openDatabase } = await import(${JSON.stringify(path.join(ROOT, 'src/engine/database.ts'))});
const { Forwarder, persistedWalHold } = await import(${JSON.stringify(path.join(ROOT, 'src/gateway/forward.ts'))});
const env = process.env;
const dir = env.FWD_DIR;
const db = await openDatabase({ dataDir: dir, fsync: 'always', walSegmentSize: 8192, memtableBytes: 16 * 1024, retentionCheckMs: 0, walHold: persistedWalHold(dir, ['central']) });
const fw = new Forwarder({ db, dataDir: dir, upstream: { name: 'central', url: env.FWD_URL }, backoffBaseMs: 20, backoffMaxMs: 100, pollMs: 50, batchPoints: 300, batchBytes: 16384 });
fw.start();
const T0 = 1700000000000000000n;
let i = Number(env.FWD_FROM);
const end = i + Number(env.FWD_COUNT);
for (; i < end; i += 10) {
  let body = '';
  for (let k = i; k < i + 10; k++) body += 'cpu,host=h' + (k % 7) + ' v=' + k + 'i ' + (T0 + BigInt(k) * 1000000000n) + '\\n';
  await db.write(body, { db: 'edge' });
  process.stdout.write('ack ' + (i + 10) + '\\n');
}
if (env.FWD_DRAIN === '1') {
  await fw.drained(60000);
  await fw.stop();
  await db.close();
  process.stdout.write('drained\\n');
  process.exit(0);
}
process.stdout.write('idle\\n');
setInterval(() => {}, 1000);
`;

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanup();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs the gateway child; resolves with the last acknowledged index once `until` is seen
 * in its output (or it exits). */
function runChild(env: Record<string, string>, until: (line: string) => boolean): Promise<{ child: ChildProcess; acked: number; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let acked = 0;
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('ack ')) acked = Number(line.slice(4));
      if (until(line)) resolve({ child, acked, stderr: () => err });
    });
    child.once('exit', (code) => (code === 0 ? resolve({ child, acked, stderr: () => err }) : reject(new Error(`gateway child exited with ${code}: ${err}`))));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
}

describe('store-and-forward crash safety', () => {
  it('delivers every acknowledged point after SIGKILLs of the gateway, backlogged and catching up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-fwd-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/write?db=central`;
    const base = { FWD_DIR: dir, FWD_URL: url };

    // Upstream down: the first run queues 3000 points and is killed mid-write.
    const r1 = await runChild({ ...base, FWD_FROM: '0', FWD_COUNT: '100000' }, (l) => l === 'ack 3000');
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(path.join(dir, 'wal', 'checkpoint.json')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await kill(r1.child);
    // Flushes ran (16 KiB memtables) while the WAL was held for the upstream.
    expect(fs.existsSync(path.join(dir, 'wal', 'checkpoint.json'))).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'wal')).filter((f) => f.endsWith('.wal'))[0]).toBe('0000000000000001.wal');
    // Second run, still no upstream: 1500 more, killed again.
    const from2 = 3010; // whatever the first run wrote past its last ack is in the WAL, or not
    const r2 = await runChild({ ...base, FWD_FROM: String(from2), FWD_COUNT: '100000' }, (l) => l === 'ack 4510');
    await kill(r2.child);

    // The upstream comes up; a third run writes 500 more and drains.
    const c = await setup();
    await c.app.listen({ port, host: '127.0.0.1' });
    // A third kill while it catches up (batches in flight, cursor behind the upstream).
    const r3 = await runChild({ ...base, FWD_FROM: '4520', FWD_COUNT: '100000' }, (l) => l === 'ack 6020');
    await kill(r3.child);
    const r4 = await runChild({ ...base, FWD_FROM: '6030', FWD_COUNT: '500', FWD_DRAIN: '1' }, (l) => l === 'drained');
    expect(r4.acked).toBe(6530);
    await new Promise((r) => r4.child.once('exit', r));

    const local = await openDatabase({ dataDir: dir, fsync: 'off', retentionCheckMs: 0 });
    const want = [...exportLineProtocol(local, { db: 'edge' })].join('');
    await local.close();
    const got = [...exportLineProtocol(c.db, { db: 'central' })].join('');
    expect(got).toBe(want);
    // Every acknowledged point is there: 0..2999, 3010..4509, 4520..6019, 6030..6529.
    const values = new Set(got.split('\n').filter(Boolean).map((l) => Number(/ v=(\d+)i /.exec(l)![1])));
    for (const [a, b] of [[0, 3000], [3010, 4510], [4520, 6020], [6030, 6530]]) for (let k = a; k < b; k++) expect(values.has(k), `point ${k}`).toBe(true);
    const cursor = JSON.parse(fs.readFileSync(path.join(dir, 'forward', 'central.json'), 'utf8'));
    expect(cursor.segment).toBeGreaterThan(1);
  }, 90_000);
});
