// The acceptance test of issue 8: a real mosquitto and two real Strata processes on
// loopback, a `strata gateway` and a central `strata serve`. Devices publish numbered
// messages (each with its own timestamp) over MQTT QoS 1 the whole time. Central is
// stopped (SIGTERM) for a while; the gateway, backlogged, is SIGKILLed twice and restarted;
// central comes back. Once the gateway reports no backlog, central holds exactly what the
// gateway holds: every message the publisher got a PUBACK for, no gaps, no duplicates.
//
// The broker keeps the gateway's persistent session (fixed client id, clean: false), so
// messages published while the gateway is dead, or received but not yet acknowledged by it,
// are delivered when it comes back.

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { hasMosquitto, startBroker, type Broker } from '../src/gateway/testing/broker.js';
import { spawnServer, type ChildServer } from './helpers/child.js';
import { freePort } from '../src/testing/net.js';

const T0 = 1_700_000_000_000; // ms: message i has time T0 + i
const DEVICES = 5;

const started: ChildProcess[] = [];
const dirs: string[] = [];
let broker: Broker | undefined;
afterAll(async () => {
  // Only what this test started, by pid, whatever happened.
  for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  await broker?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

function spawn(args: string[]): Promise<ChildServer> {
  return spawnServer(['src/cli/main.ts', ...args], { maxLogs: 2000, onSpawn: (c) => started.push(c) });
}

async function signal(s: ChildServer, sig: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(s.child.pid!, sig);
  return s.exit;
}

interface Status {
  upstreams: { backlog: { bytes: number; points: number }; forwardedPoints: number }[];
}

async function status(gw: ChildServer): Promise<Status> {
  return (await (await fetch(`${gw.url}/gateway/status`)).json()) as Status;
}

async function exportLines(server: ChildServer, db: string): Promise<string[]> {
  const res = await fetch(`${server.url}/export?db=${db}`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`export ${db}: ${res.status} ${await res.text()}`);
  return (await res.text()).split('\n').filter(Boolean).sort();
}

/** Message numbers in exported lines (field n), and how often each occurs. */
function numbers(lines: string[]): Map<number, number> {
  const seen = new Map<number, number>();
  for (const l of lines) {
    const n = Number(/ n=(\d+)/.exec(l)?.[1]);
    seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  return seen;
}

describe.skipIf(!hasMosquitto())('strata gateway end to end (mosquitto, gateway and central processes)', () => {
  it('central ends with exactly the acknowledged points after an outage and two gateway SIGKILLs', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-gw-e2e-'));
    dirs.push(root);
    broker = await startBroker();
    const centralPort = await freePort();
    const centralArgs = ['serve', '--port', String(centralPort), '--bind', '127.0.0.1', '--data-dir', path.join(root, 'central')];
    const gatewayArgs = [
      'gateway',
      '--port', '0',
      '--bind', '127.0.0.1',
      '--data-dir', path.join(root, 'gateway'),
      // small memtables: flushes run while the WAL is held for the upstream
      '--memtable-size', '65536',
      '--upstream', `http://127.0.0.1:${centralPort}/write?db=central`,
      '--mqtt-url', broker.url,
      '--mqtt-client-id', 'gw-e2e',
      '--mqtt-topic', 'devices/{device}/telemetry;format=json;measurement=telemetry;time=$.ts;precision=ms',
      '--mqtt-db', 'edge',
    ];
    let [central, gw] = await Promise.all([spawn(centralArgs), spawn(gatewayArgs)]);
    await waitFor('the gateway to subscribe', async () => (gw.logs.some((l) => l.includes('"msg":"mqtt: subscribed"')) ? true : undefined), 10_000);

    // Devices: numbered messages, QoS 1, up to 8 in flight; `acked` holds each number the
    // broker answered with a PUBACK.
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'devices-e2e', protocolVersion: 5 });
    const acked = new Set<number>();
    let next = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const batch: Promise<void>[] = [];
        for (let k = 0; k < 8; k++) {
          const i = next++;
          const payload = JSON.stringify({ n: i, ts: T0 + i });
          batch.push(pub.publishAsync(`devices/d${i % DEVICES}/telemetry`, payload, { qos: 1 }).then(() => void acked.add(i)));
        }
        await Promise.all(batch);
        await sleep(10); // a few hundred messages/s
      }
    })();

    try {
      // Flowing: points reach central.
      await waitFor('points at central', async () => ((await exportLines(central, 'central')).length > 200 ? true : undefined), 10_000);

      // Uplink cut: central stopped cleanly; the gateway queues a backlog.
      expect((await signal(central, 'SIGTERM')).code).toBe(0);
      await waitFor('a backlog', async () => ((await status(gw)).upstreams[0].backlog.bytes > 20_000 ? true : undefined), 10_000);

      // Two SIGKILLs of the backlogged gateway, each restarted; messages keep coming.
      for (let kill = 0; kill < 2; kill++) {
        await sleep(700);
        expect((await signal(gw, 'SIGKILL')).signal).toBe('SIGKILL');
        await sleep(500);
        gw = await spawn(gatewayArgs);
        await waitFor('the restarted gateway to subscribe', async () => (gw.logs.some((l) => l.includes('"msg":"mqtt: subscribed"')) ? true : undefined), 10_000);
        const st = await status(gw);
        expect(st.upstreams[0].backlog.bytes).toBeGreaterThan(0);
      }
      await sleep(1000);

      // Uplink back.
      central = await spawn(centralArgs);
      await sleep(1000);
      publishing = false;
      await publisher;
      const total = next;
      expect(acked.size).toBe(total);
      expect(total).toBeGreaterThan(1000); // hundreds of messages per second for several seconds

      // The gateway has every acknowledged message, then central has everything the gateway has.
      await waitFor(
        'the gateway to hold every published message',
        async () => ((await exportLines(gw, 'edge')).length === total ? true : undefined),
        15_000,
      );
      await waitFor(
        'the backlog to drain',
        async () => ((await status(gw)).upstreams[0].backlog.bytes === 0 ? true : undefined),
        20_000,
      );
      const local = await exportLines(gw, 'edge');
      const upstream = await exportLines(central, 'central');
      expect(upstream.length).toBe(local.length);
      expect(upstream).toEqual(local);
      const seen = numbers(upstream);
      for (let i = 0; i < total; i++) expect(seen.get(i), `message ${i}`).toBe(1);
      expect(seen.size).toBe(total);
      // The gateway and central processes stop cleanly.
      expect((await signal(gw, 'SIGTERM')).code).toBe(0);
      expect((await signal(central, 'SIGTERM')).code).toBe(0);
    } finally {
      publishing = false;
      await publisher.catch(() => {});
      await pub.endAsync().catch(() => {});
    }
  }, 60_000);
});
