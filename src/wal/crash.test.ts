import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTmpDirs, replay, tmpDir } from './testing/helpers.js';

afterEach(removeTmpDirs);

const child = fileURLToPath(new URL('./testing/crash-child.ts', import.meta.url));

/** Runs the child until it has acknowledged `acks` records, then SIGKILLs it. */
function runAndKill(dir: string, acks: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<number>();
    let buf = '';
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) acked.add(Number(l));
      if (acked.size >= acks) p.kill('SIGKILL');
    });
    p.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('WAL crash safety', () => {
  it('every record acknowledged before a SIGKILL is replayed, intact and in order', async () => {
    const dir = tmpDir();
    let acked = new Set<number>();
    for (let round = 0; round < 3; round++) {
      acked = new Set([...acked, ...(await runAndKill(dir, 2000))]);
      const recs = await replay({ dir });
      // Records are numbered in append order, so the log must hold exactly 0..k-1.
      recs.forEach((r, i) => {
        expect(r.payload.readUInt32LE(0)).toBe(i);
        expect(r.payload.readUInt32LE(4)).toBe((i ^ 0xa5a5a5a5) >>> 0);
        expect(r.payload.length).toBe(8 + (i % 300));
      });
      expect(recs.length).toBeGreaterThan(Math.max(...acked));
    }
  }, 60_000);
});
