// An idle server sleeps: nothing in it wakes the process every few milliseconds. prom-client's
// event-loop delay histogram, at its default 10 ms resolution, woke it 100 times a second
// (~0.4% of a core with no request at all, on an edge gateway's battery); Strata samples
// every EVENT_LOOP_SAMPLE_MS instead. Counted at the real boundary: a `strata serve` child
// process, its main thread's voluntary context switches (each sleep in epoll_wait that a
// timer ends is one) from /proc, over two idle seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_LOOP_SAMPLE_MS } from '../server/metrics.js';
import { removeTempDirs, tempDir } from './testing/io.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

afterEach(removeTempDirs);

function switches(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]);
}

describe.runIf(process.platform === 'linux')('an idle server', () => {
  let child: ChildProcess | null = null;
  afterEach(() => child?.kill('SIGKILL'));

  it('wakes up about 1000 / EVENT_LOOP_SAMPLE_MS times a second, not 100', async () => {
    expect(EVENT_LOOP_SAMPLE_MS).toBeGreaterThanOrEqual(100);
    const dir = tempDir();
    const p = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--bind', '127.0.0.1', '--no-warmup', '--data-dir', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = p;
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      p.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /"listening on (http:\/\/[^"]+)"/.exec(err);
        if (m) resolve(m[1]);
      });
      p.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    // one request and its metrics scrape, then quiet
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const before = switches(p.pid!);
    await new Promise((r) => setTimeout(r, 2000));
    const perSecond = (switches(p.pid!) - before) / 2;
    // 10 a second from the histogram, a few from anything else; the 10 ms default gave ~100
    expect(perSecond).toBeLessThan(40);
  }, 30_000);
});
