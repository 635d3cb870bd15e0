// Bounded memory, end to end: a real `strata serve` child (from sources, with tsx) with a
// small memory budget, several concurrent HTTP writers pushing line protocol faster than
// the server flushes it, and the child's RSS sampled from /proc every 100 ms. Asserted:
//   - the server pushes back: some writes get 503 with a Retry-After header (the writers
//     retry them, as Telegraf and the InfluxDB clients do);
//   - every acknowledged (204) point is there afterwards (read back with /export), and
//     nothing that was never acknowledged;
//   - the child's peak RSS stays under the budget plus MEMORY_OVERHEAD (docs/cli.md, Memory).
//
// MEMORY_OVERHEAD is what the process holds outside the budget: see test/helpers/memory.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MEMORY_OVERHEAD, idleBaseline, readRss, startServer, type ChildServer } from './helpers/memory.js';

const MiB = 1024 * 1024;
const BUDGET = Number(process.env.STRATA_MEMTEST_BUDGET ?? 96 * MiB);
const MEMTABLE = Number(process.env.STRATA_MEMTEST_MEMTABLE ?? 8 * MiB);
const CACHE = Number(process.env.STRATA_MEMTEST_CACHE ?? 8 * MiB);
const SECONDS = Number(process.env.STRATA_MEMTEST_SECONDS ?? 10);
const WRITERS = 4;
const LINES = 4000; // lines per request
const SERIES = 500;
const BASE = 1_700_000_000_000_000_000n;

const servers: ChildServer[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Request k's body: LINES points, each (series, time) unique; the time says which request. */
function body(k: number): string {
  const out: string[] = new Array(LINES);
  const t0 = BASE + BigInt(k) * BigInt(LINES) * 1000n;
  for (let i = 0; i < LINES; i++) {
    const dev = (k * 7 + i) % SERIES;
    const x = (k * 31 + i * 17) % 1000;
    out[i] =
      `sensor,device_id=dev_${dev},site=site_${dev % 17} temperature=${20 + x / 100},humidity=${x / 10},battery=${x % 100}i,` +
      `note="reading ${k}:${i} from a device that reports a longer status text"` +
      ` ${t0 + BigInt(i) * 1000n}`;
  }
  return out.join('\n');
}

function requestOf(line: string): number {
  const t = BigInt(line.slice(line.lastIndexOf(' ') + 1));
  return Number((t - BASE) / (BigInt(LINES) * 1000n));
}

describe('bounded memory', () => {
  it(
    'an ingest that outruns flushing gets 503 + Retry-After, loses no acknowledged point, and stays under budget + overhead',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-memory-'));
      dirs.push(dir);
      const server = await startServer(dir, [
        '--fsync', 'off',
        '--memory-budget', String(BUDGET),
        '--memtable-size', String(MEMTABLE),
        '--block-cache-size', String(CACHE),
      ]);
      servers.push(server);
      const pid = server.child.pid!;
      const idle = await idleBaseline(pid);

      let peak = 0;
      const trace = process.env.STRATA_MEMTEST_TRACE === '1';
      const t0 = Date.now();
      let ticks = 0;
      const sampler = setInterval(() => {
        const r = readRss(pid);
        if (r > peak) peak = r;
        if (trace && ticks++ % 5 === 0) {
          void fetch(`${server.url}/metrics`)
            .then((m) => m.text())
            .then((t) => {
              const mb = /^strata_memtable_bytes (\S+)/m.exec(t)?.[1];
              console.log(`t=${Date.now() - t0}ms rss=${(r / MiB).toFixed(0)}MiB memtable=${(Number(mb) / MiB).toFixed(1)}MiB`);
            });
        }
      }, 100);

      let next = 0;
      const acked = new Set<number>();
      let refused = 0;
      let retryAfter: string | null = null;
      let other = '';
      // Write for SECONDS, and on past it (up to three times as long) until the server has
      // pushed back at least once: on a machine busy with other work the writers can be
      // too slow to outrun the flush within the first SECONDS.
      const t1 = Date.now() + SECONDS * 1000;
      const hardStop = Date.now() + 3 * SECONDS * 1000;
      const writing = (): boolean => Date.now() < t1 || (refused === 0 && Date.now() < hardStop);
      const writer = async (): Promise<void> => {
        while (writing()) {
          const k = next++;
          const b = body(k);
          for (;;) {
            const res = await fetch(`${server.url}/write?db=mem`, { method: 'POST', body: b });
            const text = await res.text();
            if (res.status === 204) {
              acked.add(k);
              break;
            }
            if (res.status === 503) {
              refused++;
              retryAfter ??= res.headers.get('retry-after');
              if (!writing()) break; // never acknowledged: must not be there
              await new Promise((r) => setTimeout(r, 50)); // sooner than Retry-After: keep the pressure on
              continue;
            }
            other ||= `${res.status} ${text}`;
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
      clearInterval(sampler);
      const r = readRss(pid);
      if (r > peak) peak = r;

      // Read everything back, streaming (counts lines without holding the export).
      const res = await fetch(`${server.url}/export?db=mem`);
      expect(res.status).toBe(200);
      let lines = 0;
      let stray = 0;
      let rest = '';
      const dec = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const parts = (rest + dec.decode(chunk, { stream: true })).split('\n');
        rest = parts.pop()!;
        for (const l of parts) {
          if (!l) continue;
          lines++;
          if (!acked.has(requestOf(l))) stray++;
        }
      }
      if (rest) {
        lines++;
        if (!acked.has(requestOf(rest))) stray++;
      }

      const report = {
        budgetMiB: BUDGET / MiB,
        idleRssMiB: +(idle / MiB).toFixed(1),
        peakRssMiB: +(peak / MiB).toFixed(1),
        boundMiB: (BUDGET + MEMORY_OVERHEAD) / MiB,
        acknowledgedRequests: acked.size,
        refused,
        points: lines,
      };
      console.log(`memory test: ${JSON.stringify(report)}`);
      if (trace) for (const l of server.logs) if (/flushed|compacted|overload/.test(l)) console.log(l.slice(0, 300));
      expect(other).toBe('');
      expect(refused).toBeGreaterThan(0);
      expect(retryAfter).toMatch(/^\d+$/);
      expect(stray).toBe(0);
      expect(lines).toBe(acked.size * LINES);
      expect(peak).toBeLessThan(BUDGET + MEMORY_OVERHEAD);

      server.child.kill('SIGTERM');
      expect((await server.exit).code).toBe(0);
    },
    60_000,
  );
});
