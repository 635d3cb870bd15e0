// Store-and-forward to real peers: a real InfluxDB 1.x (Debian's `influxdb`) over /write,
// and a real Prometheus (Debian's `prometheus`, --web.enable-remote-write-receiver) over
// remote write 1.0; each must return the forwarded points from its own query API. Each
// peer is started on free loopback ports with its data in a temporary directory and
// stopped by its PID; a test is skipped, saying why, when its binary is missing.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/engine/database.js';
import { Forwarder } from '../src/gateway/forward.js';
import { ROOT } from './helpers/child.js';

interface Influxd {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}
interface RecordModule {
  findInfluxd(): { bin: string; version: string } | null;
  freePort(): Promise<number>;
  startInfluxd(o: { bin: string; port: number; dir: string; rpcPort?: number }): Promise<Influxd>;
}
const rec = (await import(pathToFileURL(path.join(ROOT, 'test/fixtures/influxql/record.mjs')).href)) as RecordModule;
const INFLUXD = rec.findInfluxd();

function findPrometheus(): string | null {
  const env = process.env.PROMETHEUS_BIN;
  for (const p of env ? [env] : ['/usr/bin/prometheus', 'prometheus']) {
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && /prometheus, version \d/.test(`${r.stdout}${r.stderr}`)) return p;
  }
  return null;
}
const PROMETHEUS = findPrometheus();

const dirs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function poll<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function localWithForwarder(url: string): Promise<{ db: Database; fw: Forwarder }> {
  const dir = tmp('strata-fwd-local-');
  const db = await openDatabase({ dataDir: dir, fsync: 'off', walSegmentSize: 32 * 1024, retentionCheckMs: 0 });
  const fw = new Forwarder({ db, dataDir: dir, upstream: { name: 'peer', url }, backoffBaseMs: 50, backoffMaxMs: 500, pollMs: 100, batchPoints: 400 });
  fw.start();
  cleanups.push(async () => {
    await fw.stop();
    await db.close();
  });
  return { db, fw };
}

describe('forwarding to real peers', () => {
  it.skipIf(!INFLUXD)(`delivers to InfluxDB 1.x, which returns the points from /query${INFLUXD ? '' : ' (skipped: influxd is not installed; apt-get install influxdb)'}`, async () => {
    const port = await rec.freePort();
    const influx = await rec.startInfluxd({ bin: INFLUXD!.bin, port, dir: tmp('strata-fwd-influxd-'), rpcPort: await rec.freePort() });
    // stop() kills by the child's PID, which this test started
    cleanups.push(() => influx.stop());
    const q = async (query: string) => {
      const r = await fetch(`${influx.url}/query?db=edge&q=${encodeURIComponent(query)}`, { method: 'POST' });
      expect(r.status).toBe(200);
      return (await r.json()) as { results: { series?: { name: string; columns: string[]; values: unknown[][] }[]; error?: string }[] };
    };
    await q('CREATE DATABASE edge');

    const { db, fw } = await localWithForwarder(`${influx.url}/write?db=edge`);
    // Timestamps with a nanosecond part: they must arrive exactly.
    const base = 1_700_000_000_000_000_000n;
    const want: unknown[][] = [];
    for (let k = 0; k < 20; k++) {
      let body = '';
      for (let i = k * 100; i < k * 100 + 100; i++) {
        const t = base + BigInt(i) * 1_000_000_000n + 123n;
        body += `cpu,host=h${i % 5} usage=${i / 4},n=${i}i,ok=${i % 2 === 0},note="p ${i}" ${t}\n`;
        const iso = new Date(Number(t / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, '.' + (t % 1_000_000_000n).toString().padStart(9, '0') + 'Z');
        want.push([iso, `h${i % 5}`, i, i % 2 === 0, `p ${i}`, i / 4]);
      }
      await db.write(body, { db: 'edge' });
    }
    await fw.drained();
    expect(fw.stats().forwardedPoints).toBe(2000);
    const res = await q('SELECT host, n, ok, note, usage FROM cpu');
    const series = res.results[0].series![0];
    expect(series.columns).toEqual(['time', 'host', 'n', 'ok', 'note', 'usage']);
    expect(series.values).toHaveLength(2000);
    expect(series.values).toEqual(want);
  });

  it.skipIf(!PROMETHEUS)(`delivers to Prometheus over remote write, which returns the samples from /api/v1/query${PROMETHEUS ? '' : ' (skipped: prometheus is not installed; apt-get install prometheus)'}`, async () => {
    const dir = tmp('strata-fwd-prom-');
    const promPort = await rec.freePort();
    const promUrl = `http://127.0.0.1:${promPort}`;
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
    const log = fs.openSync(path.join(dir, 'prometheus.log'), 'w');
    const prom = spawn(
      PROMETHEUS!,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const exited = new Promise<void>((r) => prom.once('exit', () => r()));
    cleanups.push(async () => {
      if (prom.exitCode === null && prom.signalCode === null) {
        process.kill(prom.pid!, 'SIGTERM');
        const t = setTimeout(() => prom.exitCode === null && process.kill(prom.pid!, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    });
    await poll('Prometheus to be ready', 20_000, async () => {
      if (prom.exitCode !== null) throw new Error(`prometheus exited: ${fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8')}`);
      return (await fetch(`${promUrl}/-/ready`)).status === 200 ? true : undefined;
    });

    const { db, fw } = await localWithForwarder(`${promUrl}/api/v1/write`);
    // Recent samples, 1 s apart, in order (Prometheus refuses out-of-order ones).
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    const startMs = nowMs - 120_000;
    let body = '';
    for (let s = 0; s < 120; s++) {
      for (let h = 0; h < 3; h++) body += `cpu,host=h${h},dc=eu usage=${s + h / 10},n=${s}i,state="x" ${BigInt(startMs + s * 1000) * 1_000_000n}\n`;
    }
    await db.write(body, { db: 'edge' });
    await fw.drained();
    const s = fw.stats();
    expect(s.deadLetters.points).toBe(0);
    expect(s.unrepresentableValues).toBe(360); // the string field `state`
    const query = async (expr: string, at: number) => {
      const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}&time=${at / 1000}`);
      const j = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      expect(j.status).toBe('success');
      return j.data.result.sort((a, b) => (a.metric.host < b.metric.host ? -1 : 1));
    };
    const lastMs = startMs + 119_000;
    const usage = await query('cpu_usage', lastMs);
    expect(usage.map((r) => [r.metric, r.value[1]])).toEqual([0, 1, 2].map((h) => [{ __name__: 'cpu_usage', host: `h${h}`, dc: 'eu' }, String(119 + h / 10)]));
    const counts = await query('count_over_time(cpu_n[5m])', lastMs);
    expect(counts.map((r) => [r.metric.host, r.value[1]])).toEqual([['h0', '120'], ['h1', '120'], ['h2', '120']]);
    const sums = await query('sum_over_time(cpu_n[5m])', lastMs);
    expect(sums.map((r) => r.value[1])).toEqual(['7140', '7140', '7140']);
  });
});
