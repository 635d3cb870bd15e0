// MQTT ingest throughput: messages/s a Strata MQTT subscriber accepts (stored, then PUBACKed).
//
//   npx tsx bench/mqtt.ts [--messages 20000] [--fsync always,off] [--format line,json,value] [--connections 1,8] [--json FILE]
//
// Starts Debian's mosquitto (/usr/sbin/mosquitto) on a free loopback port, opens a Database
// in a temporary directory, subscribes with src/gateway/mqtt.ts (QoS 1), and publishes
// --messages QoS 1 messages from one mqtt.js client as fast as the broker takes them, to 100
// device topics. The clock runs from the first publish to the last PUBACK-able write, so the
// figure is end to end: publisher -> broker -> subscriber -> WAL (+fsync) -> memtable.
// One line-protocol message is one point with 2 fields; json carries the same as an object;
// value carries one number. --connections N > 1 subscribes with N clients to one MQTT 5 shared
// subscription, so N writes are in flight and share WAL fsyncs. Not run by `npm test`.
//
// Peers: none measured here (Telegraf's mqtt_consumer -> InfluxDB would be the comparison;
// see ../shared/peers/README.md for the HTTP ingest figures of InfluxDB and VictoriaMetrics).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { openDatabase } from '../src/engine/database.js';
import { MqttIngest } from '../src/gateway/mqtt.js';
import { hasMosquitto, startBroker } from '../src/gateway/testing/broker.js';
import type { MqttMapping } from '../src/ingest/mqttPayload.js';
import type { FsyncMode } from '../src/types.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const MESSAGES = Number(arg('messages', '20000'));
const FSYNCS = arg('fsync', 'always,off').split(',') as FsyncMode[];
const FORMATS = arg('format', 'line,json,value').split(',') as MqttMapping['format'][];
const CONNECTIONS = arg('connections', '1,8').split(',').map(Number);
const JSON_OUT = arg('json', '');

const MAPPINGS: Record<MqttMapping['format'], MqttMapping> = {
  line: { format: 'line' },
  json: { format: 'json', measurement: 'env', time: '$.ts', precision: 'ns' },
  value: { format: 'value', measurement: 'power' },
};

const T0 = 1_700_000_000_000_000_000n;

function payload(format: MqttMapping['format'], i: number): string {
  const t = T0 + BigInt(i) * 1_000_000n;
  switch (format) {
    case 'line':
      return `env,device=d${i % 100} temp=${20 + (i % 50) / 10},hum=${40 + (i % 30)} ${t}`;
    case 'json':
      return JSON.stringify({ temp: 20 + (i % 50) / 10, hum: 40 + (i % 30), ts: String(t) });
    case 'value':
      return String(230 + (i % 100) / 4);
  }
}

interface Result {
  format: string;
  fsync: FsyncMode;
  connections: number;
  messages: number;
  seconds: number;
  messages_per_s: number;
  points_per_s: number;
}

async function run(format: MqttMapping['format'], fsync: FsyncMode, connections: number, url: string, run: number): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-mqtt-'));
  const db = await openDatabase({ dataDir: dir, fsync });
  const ingest = new MqttIngest({
    url,
    clientId: `strata-bench-${process.pid}-${run}`,
    writer: db,
    connections,
    subscriptions: [{ topic: `bench${run}/{device}`, db: 'bench', mapping: MAPPINGS[format] }],
  });
  await ingest.ready();
  const pub = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `strata-bench-pub-${process.pid}-${run}` });
  const t0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    sends.push(pub.publishAsync(`bench${run}/d${i % 100}`, payload(format, i), { qos: 1 }));
    // let the socket drain now and then, so the publisher is not one huge write
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(sends);
  while (ingest.stats().messagesWritten + ingest.stats().badPayloads < MESSAGES) await new Promise((r) => setTimeout(r, 2));
  const seconds = (performance.now() - t0) / 1000;
  const s = ingest.stats();
  if (s.badPayloads > 0 || s.pointsWritten !== MESSAGES) throw new Error(`bench went wrong: ${JSON.stringify(s)}`);
  await pub.endAsync();
  await ingest.close();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { format, fsync, connections, messages: MESSAGES, seconds, messages_per_s: MESSAGES / seconds, points_per_s: s.pointsWritten / seconds };
}

async function main(): Promise<void> {
  if (!hasMosquitto()) {
    console.error('bench/mqtt.ts needs /usr/sbin/mosquitto (apt-get install mosquitto)');
    process.exit(2);
  }
  const broker = await startBroker();
  const results: Result[] = [];
  try {
    let n = 0;
    for (const fsync of FSYNCS) {
      for (const connections of CONNECTIONS) {
       for (const format of FORMATS) {
        const r = await run(format, fsync, connections, broker.url, n++);
        results.push(r);
        console.log(
          `mqtt ingest  format=${r.format.padEnd(5)} fsync=${r.fsync.padEnd(8)} connections=${String(r.connections).padEnd(2)} ${r.messages} msgs in ${r.seconds.toFixed(2)} s: ` +
            `${Math.round(r.messages_per_s).toLocaleString('en-US')} msg/s accepted (QoS 1, PUBACK after the write)`,
        );
       }
      }
    }
  } finally {
    await broker.stop();
  }
  console.log('peers: no MQTT peer figures in ../shared/peers (Telegraf mqtt_consumer is not part of the harness)');
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
}

await main();
