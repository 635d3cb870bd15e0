// `strata gateway` end to end: MQTT messages/s accepted, and the catch-up rate after an
// outage of the upstream.
//
//   npx tsx bench/gateway.ts [--messages 40000] [--publishers 4] [--connections 1,8] [--backlog 500000] [--fsync always] [--json FILE]
//
// Starts Debian's mosquitto on a free loopback port, a central `strata serve` and a
// `strata gateway` (child processes from the sources, as in production but through tsx),
// the gateway subscribed (QoS 1) to the devices' topics and forwarding to central.
//
// 1. MQTT: --publishers mqtt.js clients publish --messages QoS 1 line-protocol messages
//    (one point each, own timestamps) as fast as the broker takes them. The clock runs from
//    the first publish until the gateway's strata_mqtt_messages_written_total counts them
//    all: each was written to the WAL (fsynced with --fsync always) before its PUBACK.
//    Repeated for each --connections value (the gateway's MQTT connections, a shared
//    subscription when more than one).
// 2. Catch-up: central is stopped (SIGTERM), --backlog points (lines of 2 fields) are
//    written to the gateway over HTTP (/write, batches of 5,000 lines), central is started again, and
//    /gateway/status is polled every 20 ms. The rate is the points forwarded from the first
//    forwarded batch until the backlog is empty, over that time; the wait before the first
//    batch (the forwarder's backoff, at most 30 s) is reported on its own.
// Not run by `npm test`.

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { hasMosquitto, startBroker } from '../src/gateway/testing/broker.js';
import { spawnServer, type ChildServer } from '../test/helpers/child.js';
import { freePort } from '../src/testing/net.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const MESSAGES = Number(arg('messages', '40000'));
const PUBLISHERS = Number(arg('publishers', '4'));
const CONNECTIONS = arg('connections', '1,8').split(',').map(Number);
const BACKLOG = Number(arg('backlog', '500000'));
const FSYNC = arg('fsync', 'always');
const JSON_OUT = arg('json', '');
const T0 = 1_700_000_000_000_000_000n;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const children: ChildProcess[] = [];
function spawn(args: string[]): Promise<ChildServer> {
  return spawnServer(['src/cli/main.ts', ...args], { maxLogs: 200, onSpawn: (c) => children.push(c) });
}

async function stop(s: ChildServer): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) process.kill(s.child.pid!, 'SIGTERM');
  await s.exit;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

interface UpstreamStatus {
  backlog: { bytes: number; points: number };
  forwardedPoints: number;
}

async function upstream(gw: ChildServer): Promise<UpstreamStatus> {
  return ((await (await fetch(`${gw.url}/gateway/status`)).json()) as { upstreams: UpstreamStatus[] }).upstreams[0];
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms: number, every = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

/** Publishes `count` messages from `publishers` clients; resolves when all are PUBACKed. */
async function publish(url: string, count: number, publishers: number, offset: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: publishers }, (_, p) => mqtt.connectAsync(url, { clientId: `bench-pub-${p}`, protocolVersion: 5 })));
  const per = Math.ceil(count / publishers);
  await Promise.all(
    clients.map(async (c, p) => {
      // A window of in-flight messages per publisher, as a device SDK with an outbox would.
      const window = 64;
      const inflight = new Set<Promise<unknown>>();
      for (let k = 0; k < per && p * per + k < count; k++) {
        const i = offset + p * per + k;
        const line = `env,device=d${i % 100} temp=${20 + (i % 50) / 10},seq=${i}i ${T0 + BigInt(i) * 1_000_000n}`;
        const pr = c.publishAsync(`bench/d${i % 100}/lp`, line, { qos: 1 });
        inflight.add(pr);
        void pr.finally(() => inflight.delete(pr));
        if (inflight.size >= window) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  await Promise.all(clients.map((c) => c.endAsync()));
}

async function main(): Promise<void> {
  if (!hasMosquitto()) {
    console.error('bench/gateway: /usr/sbin/mosquitto is not installed (apt-get install mosquitto)');
    process.exit(1);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-gw-'));
  const broker = await startBroker();
  const centralPort = await freePort();
  const centralArgs = ['serve', '--port', String(centralPort), '--bind', '127.0.0.1', '--data-dir', path.join(root, 'central')];
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, fsync: FSYNC, messages: MESSAGES, publishers: PUBLISHERS, backlog: BACKLOG, mqtt: [] as unknown[] };
  let central: ChildServer | undefined;
  let gw: ChildServer | undefined;
  try {
    central = await spawn(centralArgs);
    let offset = 0;
    for (const connections of CONNECTIONS) {
      const dir = path.join(root, `gateway-${connections}`);
      const config = path.join(root, `gateway-${connections}.yaml`);
      fs.writeFileSync(
        config,
        [
          `fsync: ${FSYNC}`,
          'upstreams:',
          `  - url: http://127.0.0.1:${centralPort}/write?db=central`,
          `    name: central`,
          'mqtt:',
          `  url: ${broker.url}`,
          `  clientId: bench-gw-${connections}`,
          `  connections: ${connections}`,
          '  db: edge',
          '  subscriptions:',
          '    - topic: bench/{device}/lp',
          '',
        ].join('\n'),
      );
      gw = await spawn(['gateway', '--config', config, '--port', '0', '--bind', '127.0.0.1', '--data-dir', dir]);
      const g = gw;
      await waitFor('the gateway to connect', async () => (await metric(g.url, 'strata_mqtt_connected')) === 1, 15_000);
      const t0 = performance.now();
      await publish(broker.url, MESSAGES, PUBLISHERS, offset);
      const tPub = performance.now();
      await waitFor('the gateway to write every message', async () => (await metric(g.url, 'strata_mqtt_messages_written_total')) >= MESSAGES, 120_000, 10);
      const s = (performance.now() - t0) / 1000;
      offset += MESSAGES;
      const r = { connections, seconds: +s.toFixed(2), messagesPerSecond: Math.round(MESSAGES / s), publishSeconds: +((tPub - t0) / 1000).toFixed(2) };
      (results.mqtt as unknown[]).push(r);
      console.log(`mqtt  connections=${connections}  ${MESSAGES} msgs in ${s.toFixed(2)} s  ->  ${r.messagesPerSecond.toLocaleString('en-US')} msg/s accepted (QoS 1, fsync ${FSYNC}, ${PUBLISHERS} publishers)`);
      await waitFor('forwarding of the MQTT points', async () => (await upstream(g)).backlog.bytes === 0, 120_000, 50);
      if (connections !== CONNECTIONS[CONNECTIONS.length - 1]) {
        await stop(gw);
        gw = undefined;
      }
    }

    // Catch-up after an outage.
    const g = gw!;
    await stop(central);
    central = undefined;
    const before = (await upstream(g)).forwardedPoints;
    const tW = performance.now();
    for (let i = 0; i < BACKLOG; i += 5000) {
      let body = '';
      for (let k = i; k < Math.min(BACKLOG, i + 5000); k++) body += `cpu,host=h${k % 100},dc=d${k % 5} usage=${(k % 1000) / 10},load=${k % 7}i ${T0 + BigInt(k) * 1_000_000_000n}\n`;
      const res = await fetch(`${g.url}/write?db=edge`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
    }
    const writeS = (performance.now() - tW) / 1000;
    const queued = await upstream(g);
    console.log(`outage: ${BACKLOG.toLocaleString('en-US')} points (${(BACKLOG * 2).toLocaleString('en-US')} field values) written to the gateway in ${writeS.toFixed(2)} s; backlog ${(queued.backlog.bytes / 1e6).toFixed(1)} MB`);
    central = await spawn(centralArgs);
    const tUp = performance.now();
    let tFirst = 0;
    let last = before;
    for (;;) {
      const u = await upstream(g);
      if (tFirst === 0 && u.forwardedPoints > before) {
        tFirst = performance.now();
        last = u.forwardedPoints;
      }
      if (u.backlog.bytes === 0 && u.forwardedPoints > before) {
        last = u.forwardedPoints;
        break;
      }
      if (performance.now() - tUp > 300_000) throw new Error('the backlog did not drain within 300 s');
      await sleep(20);
    }
    const tEnd = performance.now();
    // Points forwarded after the first batch landed, over the time since then (the first
    // batch's own points are counted: its send time is inside the window, give or take 20 ms).
    const drainS = (tEnd - tFirst) / 1000;
    const forwarded = last - before;
    const catchUp = { points: forwarded, backlogBytes: queued.backlog.bytes, waitBeforeFirstSeconds: +((tFirst - tUp) / 1000).toFixed(2), drainSeconds: +drainS.toFixed(2), pointsPerSecond: Math.round(forwarded / drainS) };
    results.catchUp = catchUp;
    console.log(
      `catch-up: ${forwarded.toLocaleString('en-US')} points forwarded in ${drainS.toFixed(2)} s  ->  ${catchUp.pointsPerSecond.toLocaleString('en-US')} points/s ` +
        `(first batch ${catchUp.waitBeforeFirstSeconds} s after central was up: the forwarder's backoff)`,
    );
    if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2) + '\n');
  } finally {
    if (gw) await stop(gw);
    if (central) await stop(central);
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    await broker.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
