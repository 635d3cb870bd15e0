// `strata serve` storage flags: --memtable-size, --block-cache-size and --max-series reach
// the engine (observed through HTTP), and a data directory a server wrote verifies clean.

import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { removeTempDirs, tempDir, testIo } from './testing/io.js';
import { startServer, waitFor } from './testing/server.js';

afterEach(removeTempDirs);

const serve = (argv: string[], env: Record<string, string> = {}) => startServer('serve', argv, env);

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

describe('strata serve storage flags', () => {
  it('lists them in the help with their variables', async () => {
    const io = testIo();
    expect(await main(['serve', '--help'], io)).toBe(0);
    expect(io.out.text).toMatch(/--memtable-size BYTES .*\[default: 67108864; env: STRATA_MEMTABLE_SIZE\]/);
    expect(io.out.text).toMatch(/--block-cache-size BYTES .*\[default: 67108864; env: STRATA_BLOCK_CACHE_SIZE\]/);
    expect(io.out.text).toMatch(/--max-series N .*\[default: 1000000; env: STRATA_MAX_SERIES\]/);
    const bad = testIo();
    expect(await main(['serve', '--memtable-size', '64MiB'], bad)).toBe(2);
    expect(bad.err.text).toMatch(/--memtable-size must be a whole number/);
  });

  it('--memtable-size flushes past the limit, --block-cache-size 0 never hits, STRATA_MAX_SERIES limits series', async () => {
    const dir = tempDir();
    const s = await serve(['--data-dir', dir, '--memtable-size', '2000', '--block-cache-size', '0'], { STRATA_MAX_SERIES: '20' });
    try {
      const lines = Array.from({ length: 200 }, (_, i) => `m,k=${i % 10} v=${i} ${1_700_000_000_000_000_000 + i * 1000}`).join('\n');
      expect((await fetch(`${s.url}/write?db=d`, { method: 'POST', body: lines })).status).toBe(204);
      // the write passed the 2000-byte memtable: a flush runs without being asked
      await waitFor('an automatic flush', async () => ((await metric(s.url, 'strata_flushes_total')) >= 1 ? true : undefined));
      expect(await metric(s.url, 'strata_tsm_files')).toBeGreaterThanOrEqual(1);

      const exp1 = await (await fetch(`${s.url}/export?db=d`)).text();
      const exp2 = await (await fetch(`${s.url}/export?db=d`)).text();
      expect(exp2).toBe(exp1);
      expect(exp1.split('\n').filter(Boolean).length).toBe(200);
      expect(await metric(s.url, 'strata_block_cache_misses_total')).toBeGreaterThan(0);
      expect(await metric(s.url, 'strata_block_cache_hits_total')).toBe(0);

      // 10 series exist; 11 more would pass the limit of 20
      const more = Array.from({ length: 11 }, (_, i) => `n,k=${i} v=1 1`).join('\n');
      const res = await fetch(`${s.url}/write?db=d`, { method: 'POST', body: more });
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/series limit|20/);
    } finally {
      expect(await s.stop()).toBe(0);
    }

    // What the server wrote and flushed verifies clean.
    const io = testIo();
    expect(await main(['verify', '--data-dir', dir], io)).toBe(0);
    expect(io.out.text).toMatch(/clean: no damage/);
  });

  it('--max-select-series, STRATA_MAX_SELECT_BUCKETS and --max-select-point limit InfluxQL SELECTs', async () => {
    const io = testIo();
    expect(await main(['serve', '--help'], io)).toBe(0);
    expect(io.out.text).toMatch(/--max-select-point N .*\[default: 0; env: STRATA_MAX_SELECT_POINT\]/);
    expect(io.out.text).toMatch(/--max-select-series N .*\[default: 0; env: STRATA_MAX_SELECT_SERIES\]/);
    expect(io.out.text).toMatch(/--max-select-buckets N .*\[default: 0; env: STRATA_MAX_SELECT_BUCKETS\]/);
    const s = await serve(['--data-dir', tempDir(), '--max-select-series', '2', '--max-select-point', '4'], { STRATA_MAX_SELECT_BUCKETS: '10' });
    try {
      const lines = Array.from({ length: 6 }, (_, i) => `m,k=${i % 3} v=${i} ${1_700_000_000_000_000_000 + i * 1_000_000_000}`).join('\n');
      expect((await fetch(`${s.url}/write?db=d`, { method: 'POST', body: lines })).status).toBe(204);
      const q = async (query: string) => (await fetch(`${s.url}/query?db=d&q=${encodeURIComponent(query)}`)).text();
      expect(await q('SELECT count(v) FROM m GROUP BY k')).toBe('{"results":[{"statement_id":0,"error":"max-select-series limit exceeded: (3/2)"}]}\n');
      expect(await q("SELECT count(v) FROM m WHERE time >= '2023-11-14T22:13:20Z' AND time < '2023-11-14T22:13:40Z' GROUP BY time(1s)")).toBe(
        '{"results":[{"statement_id":0,"error":"max-select-buckets limit exceeded: (20/10)"}]}\n',
      );
      expect(await q("SELECT v FROM m WHERE k = '0'")).toMatch(/"values":\[\[.*\],\[.*\]\]/);
      expect(await q("SELECT v FROM m WHERE k = '0' OR k = '1'")).toBe('{"results":[{"statement_id":0,"error":"max-select-point limit exceeed: (4/4)"}]}\n');
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
