// Edge rollups: a gateway with a 1-minute tier and a real Downsampler forwards `cpu` only
// as its rollups and `mem` raw, to an in-process central Strata (line protocol and remote
// write); and the conversion of tier points, unit by unit.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { LineProtocolParser } from '../ingest/lineprotocol.js';
import { RemoteWriteDecoder } from '../ingest/remoteWrite.js';
import { Downsampler } from '../retention/downsampler.js';
import { windowsFromPoints, windowStart } from '../retention/rollup.js';
import { rollupBatch } from '../retention/tierWrite.js';
import { cleanup, setup, type Harness } from '../server/testing/harness.js';
import { Forwarder, type ForwarderOptions } from './forward.js';
import { compileRollup, rollupPoints, withoutRollupMeasurements, type ForwardRollup } from './forwardRollup.js';
import { batchToLines, batchToSamples, encodeWriteRequest, newSamples } from './upstream.js';

const SEC = 1_000_000_000n;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;
/** An hour boundary, so minutes are aligned. */
const BASE = windowStart(1_700_000_000_000_000_000n, HOUR);
const ROLLUP: ForwardRollup = { measurements: ['cpu'], tier: 'autogen:1m', aggregates: ['min', 'max', 'mean', 'last'] };

const dirs: string[] = [];
const stoppers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const s of stoppers.splice(0).reverse()) await s().catch(() => {});
  await cleanup();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function fakeClock(start: bigint) {
  let t = start;
  return { now: () => t, set: (v: bigint) => void (t = v) };
}

async function central(): Promise<{ h: Harness; port: number }> {
  const h = await setup();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return { h, port: (h.app.server.address() as net.AddressInfo).port };
}

/** A gateway: database `edge` with a 1-minute tier on autogen, a Downsampler and a Forwarder, one clock. */
async function gateway(url: string, more: Partial<ForwarderOptions> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-forward-rollup-'));
  dirs.push(dir);
  const clock = fakeClock(BASE);
  const db = await openDatabase({ dataDir: dir, fsync: 'off', now: clock.now, retentionCheckMs: 0 });
  stoppers.push(() => db.close());
  await db.createDatabase('edge');
  await db.setTiers('edge', 'autogen', [{ resolution: MIN, duration: 0n }]);
  const ds = new Downsampler({ db, dataDir: dir, now: clock.now });
  stoppers.push(() => ds.close());
  const fw = new Forwarder({ db, dataDir: dir, upstream: { name: 'central', url }, pollMs: 50, backoffBaseMs: 20, backoffMaxMs: 200, rollup: ROLLUP, ...more });
  fw.start();
  stoppers.push(() => fw.stop());
  return { db, ds, fw, clock };
}

interface Raw {
  host: string;
  t: bigint;
  v: number;
}

/** cpu for two hosts every 10 s over [BASE, BASE + 3 min) (quarters: sums are exact); mem every 30 s. */
function workload(): { cpu: Raw[]; text: string; memLines: string[] } {
  const cpu: Raw[] = [];
  const memLines: string[] = [];
  const lines: string[] = [];
  for (let s = 0n; s < 180n; s += 10n) {
    for (const host of ['h0', 'h1']) {
      const v = Number((s * 7n + (host === 'h1' ? 3n : 0n)) % 41n) / 4;
      cpu.push({ host, t: BASE + s * SEC, v });
      lines.push(`cpu,host=${host} usage=${v} ${BASE + s * SEC}`);
    }
    if (s % 30n === 0n) {
      const l = `mem,host=h0 free=${1000n + s}i ${BASE + s * SEC}`;
      memLines.push(l);
      lines.push(l);
    }
  }
  return { cpu, text: lines.join('\n') + '\n', memLines };
}

/** What central should hold for cpu: per host and minute, from the raw points. */
function expectedRollups(cpu: readonly Raw[]): Record<string, Record<string, number>> {
  const out: Record<string, { min: number; max: number; sum: number; n: number; last: number; tlast: bigint }> = {};
  for (const p of cpu) {
    const k = `${p.host} ${windowStart(p.t, MIN)}`;
    const a = out[k];
    if (!a) out[k] = { min: p.v, max: p.v, sum: p.v, n: 1, last: p.v, tlast: p.t };
    else {
      a.min = Math.min(a.min, p.v);
      a.max = Math.max(a.max, p.v);
      a.sum += p.v;
      a.n++;
      if (p.t > a.tlast) {
        a.last = p.v;
        a.tlast = p.t;
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, a]) => [k, { usage_min: a.min, usage_max: a.max, usage_mean: a.sum / a.n, usage_last: a.last }]));
}

/** Central's cpu points, as `host time` → fields (parsed from its export). */
function centralCpu(db: Database, name: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const line of [...exportLineProtocol(db, { db: name })].join('').split('\n')) {
    if (!line.startsWith('cpu,')) continue;
    const [series, fields, time] = line.split(' ');
    const host = series.split('host=')[1];
    const rec: Record<string, number> = {};
    for (const f of fields.split(',')) {
      const [k, v] = f.split('=');
      rec[k] = Number(v.replace(/i$/, ''));
    }
    out[`${host} ${time}`] = rec;
  }
  return out;
}

describe('edge rollups', () => {
  it('forwards cpu only as 1-minute min/max/mean/last rollups and mem raw; a late point re-rolls and replaces the window upstream', async () => {
    const c = await central();
    const { db, ds, fw, clock } = await gateway(`http://127.0.0.1:${c.port}/write?db=central`);
    const w = workload();
    await db.write(w.text, { db: 'edge' });
    clock.set(BASE + 3n * MIN + SEC);
    const r = await ds.tick();
    expect(r.errors).toBe(0);
    // 3 windows of cpu (2 hosts) and of mem: mem's rollups are not forwarded (mem goes raw).
    expect(r.pointsWritten).toBe(9);
    await fw.drained();

    expect(c.h.db.measurements('central').sort()).toEqual(['cpu', 'mem']);
    const got = centralCpu(c.h.db, 'central');
    expect(got).toEqual(expectedRollups(w.cpu));
    expect(Object.keys(got)).toHaveLength(6);
    for (const k of Object.keys(got)) expect(BigInt(k.split(' ')[1]) % MIN).toBe(0n);
    const mem = [...exportLineProtocol(c.h.db, { db: 'central' })].join('').split('\n').filter((l) => l.startsWith('mem'));
    expect(mem.sort()).toEqual([...w.memLines].sort());
    // Raw cpu stays local, whole.
    expect(db.select({ db: 'edge', measurement: 'cpu' }).reduce((n, col) => n + col.times.length, 0)).toBe(w.cpu.length);
    expect(fw.stats().rollup).toEqual({ measurements: ['cpu'], tier: 'autogen:1m', rawKeptLocal: w.cpu.length, rollupPoints: 6 });

    // A late point (within the tier's 1 h grace) in minute 1 of h0: the window is rolled
    // again, forwarded again, and its new values overwrite the old ones upstream.
    clock.set(BASE + 4n * MIN);
    const late: Raw = { host: 'h0', t: BASE + MIN + 5n * SEC, v: 99.5 };
    await db.write(`cpu,host=h0 usage=${late.v} ${late.t}\n`, { db: 'edge' });
    const r2 = await ds.tick();
    expect(r2.rerolls).toBeGreaterThan(0);
    await fw.drained();
    const after = centralCpu(c.h.db, 'central');
    const want = expectedRollups([...w.cpu, late]);
    expect(after).toEqual(want);
    expect(after[`h0 ${BASE + MIN}`].usage_max).toBe(99.5);
    expect(after[`h0 ${BASE + MIN}`]).not.toEqual(got[`h0 ${BASE + MIN}`]);
    expect(after[`h1 ${BASE + MIN}`]).toEqual(got[`h1 ${BASE + MIN}`]);
    expect(fw.stats().rollup?.rawKeptLocal).toBe(w.cpu.length + 1);
  });

  it('forwards rollups over remote write as <measurement>_<field>_<agg> metrics', async () => {
    const c = await central();
    const { db, ds, fw, clock } = await gateway(`http://127.0.0.1:${c.port}/api/v1/write`);
    const w = workload();
    await db.write(w.text, { db: 'edge' });
    clock.set(BASE + 3n * MIN);
    await ds.tick();
    await fw.drained();
    expect(c.h.db.measurements('prometheus').sort()).toEqual(['cpu_usage_last', 'cpu_usage_max', 'cpu_usage_mean', 'cpu_usage_min', 'mem_free']);
    const want = expectedRollups(w.cpu);
    const text = [...exportLineProtocol(c.h.db, { db: 'prometheus' })].join('');
    const means = text.split('\n').filter((l) => l.startsWith('cpu_usage_mean,host=h1 '));
    expect(means).toHaveLength(3);
    for (const l of means) {
      const [, f, t] = l.split(' ');
      expect(Number(f.split('=')[1])).toBe(want[`h1 ${t}`].usage_mean);
    }
  });
});

describe('edge rollups without the tier', () => {
  it('keeps the raw points local, forwards the rest, and warns once', async () => {
    const c = await central();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-forward-rollup-'));
    dirs.push(dir);
    const db = await openDatabase({ dataDir: dir, fsync: 'off', now: () => BASE, retentionCheckMs: 0 });
    stoppers.push(() => db.close());
    const warnings: string[] = [];
    const logger = { info: () => {}, error: () => {}, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? '') };
    const fw = new Forwarder({ db, dataDir: dir, upstream: { name: 'central', url: `http://127.0.0.1:${c.port}/write?db=central` }, pollMs: 50, rollup: ROLLUP, logger });
    fw.start();
    stoppers.push(() => fw.stop());
    const w = workload();
    await db.write(w.text, { db: 'edge' });
    await db.write(w.text, { db: 'edge' });
    await fw.drained();
    expect(c.h.db.measurements('central')).toEqual(['mem']);
    expect(warnings.filter((m) => m.includes('no such downsampling tier'))).toHaveLength(1);
    expect(fw.stats().rollup).toMatchObject({ rawKeptLocal: 2 * w.cpu.length, rollupPoints: 0 });
  });
});

describe('rollup points', () => {
  const SERIES = (m: string) => `${m},host=a`;

  /** A tier batch, as the downsampler writes it, for `usage` of cpu and mem and `temp\,x` of cpu. */
  function tierBatch() {
    const times = BigInt64Array.from([BASE + SEC, BASE + 20n * SEC, BASE + 50n * SEC, BASE + 61n * SEC]);
    const values = Float64Array.from([4, 1, 2.5, 8]);
    const w = windowsFromPoints(times, values, MIN);
    return rollupBatch([
      { key: SERIES('cpu'), field: 'usage', w },
      { key: SERIES('mem'), field: 'usage', w },
      { key: 'cpu2,host=a', field: 'usage', w },
    ]);
  }

  it('turns tier points into the requested aggregates, floats and an integer count', () => {
    const plan = compileRollup({ measurements: ['cpu'], tier: 'autogen:1m', aggregates: ['min', 'max', 'mean', 'last', 'first', 'sum', 'count', 'min'] });
    expect(plan.parentRp).toBe('autogen');
    const out: string[] = [];
    batchToLines(rollupPoints(plan, tierBatch()), out);
    expect(out).toEqual([
      `cpu,host=a usage_min=1,usage_max=4,usage_mean=2.5,usage_last=2.5,usage_first=4,usage_sum=7.5,usage_count=3i ${BASE}`,
      `cpu,host=a usage_min=8,usage_max=8,usage_mean=8,usage_last=8,usage_first=8,usage_sum=8,usage_count=1i ${BASE + MIN}`,
    ]);
  });

  it('encodes rollups for remote write as <measurement>_<field>_<agg>, ms at the window start', () => {
    const plan = compileRollup(ROLLUP);
    const s = newSamples();
    expect(batchToSamples(rollupPoints(plan, tierBatch()), s, new Map())).toEqual({ samples: 8, skipped: 0 });
    const { batch } = new RemoteWriteDecoder().decodeBody(encodeWriteRequest(s), 1 << 20);
    const got: string[] = [];
    for (let i = 0; i < batch.count; i++) got.push(`${batch.seriesKey[i]} ${batch.fieldF64[batch.fieldStart[i]]} ${batch.timeOf(i)}`);
    expect(got.sort()).toEqual(
      [
        `cpu_usage_min,host=a 1 ${BASE}`,
        `cpu_usage_max,host=a 4 ${BASE}`,
        `cpu_usage_mean,host=a 2.5 ${BASE}`,
        `cpu_usage_last,host=a 2.5 ${BASE}`,
        `cpu_usage_min,host=a 8 ${BASE + MIN}`,
        `cpu_usage_max,host=a 8 ${BASE + MIN}`,
        `cpu_usage_mean,host=a 8 ${BASE + MIN}`,
        `cpu_usage_last,host=a 8 ${BASE + MIN}`,
      ].sort(),
    );
  });

  it('withholds the raw points of exactly the rollup measurements (escaped names, prefixes)', () => {
    const plan = compileRollup({ measurements: ['cpu', 'a,b c'], tier: 'autogen:1m', aggregates: ['last'] });
    const parse = (t: string) => new LineProtocolParser().parse(Buffer.from(t), { precision: 'ns', defaultTime: 0n });
    const b = parse('cpu,host=a v=1 1\ncpu2 v=2 2\ncpu v=3,s="x" 3\na\\,b\\ c,t=1 v=4 4\nmem v=5i 5\n');
    const r = withoutRollupMeasurements(plan, b);
    expect(r.withheld).toBe(3);
    const out: string[] = [];
    batchToLines(r.batch!, out);
    expect(out).toEqual(['cpu2 v=2 2', 'mem v=5i 5']);
    const none = parse('mem v=1 1\n');
    expect(withoutRollupMeasurements(plan, none)).toEqual({ batch: none, withheld: 0 });
    expect(withoutRollupMeasurements(plan, parse('cpu v=1 1\n'))).toEqual({ batch: null, withheld: 1 });
  });

  it('checks the option', () => {
    expect(() => compileRollup({ measurements: [], tier: 'autogen:1m', aggregates: ['min'] })).toThrow(/measurements/);
    expect(() => compileRollup({ measurements: ['cpu'], tier: 'autogen', aggregates: ['min'] })).toThrow(/<rp>:<resolution>/);
    expect(() => compileRollup({ measurements: ['cpu'], tier: 'autogen:1m', aggregates: [] })).toThrow(/aggregates/);
    expect(() => compileRollup({ measurements: ['cpu'], tier: 'autogen:1m', aggregates: ['p99' as never] })).toThrow(/aggregate "p99"/);
    expect(() => new Forwarder({ db: {} as Database, dataDir: '/nonexistent', upstream: { name: 'c', url: 'http://c/write?db=x' }, rollup: { measurements: ['cpu'], tier: 'x', aggregates: ['min'] } })).toThrow(
      /tier "x"/,
    );
  });
});
