// MQTT ingest against a real broker (Debian's mosquitto): payloads published by a client land
// in the Database; bad payloads are skipped without stalling; PUBACK waits for the write.

import mqtt, { type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engineFixture } from '../engine/testing/fixture.js';
import type { Database } from '../engine/database.js';
import { OverloadedError, StrataError } from '../errors.js';
import type { PointBatch } from '../ingest/batch.js';
import type { Logger, WriteOptions, WriteResult } from '../types.js';
import { MqttIngest, registerMqttMetrics, type MqttIngestOptions, type MqttWriter } from './mqtt.js';
import { hasMosquitto, startBroker, type Broker } from './testing/broker.js';

const { tmpDir, openDb } = engineFixture('strata-mqtt-');

interface Logged {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function captureLogger(): Logger & { lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: Logged['level']) => (obj: object | string, msg?: string) => lines.push({ level, obj: typeof obj === 'string' ? { msg: obj } : (obj as Record<string, unknown>), msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function countPoints(db: Database, measurement: string, dbName = 'edge'): number {
  let n = 0;
  for (const c of db.select({ db: dbName, measurement })) n += c.times.length;
  return n;
}

const TITLE = hasMosquitto() ? 'MQTT ingest with mosquitto' : 'MQTT ingest with mosquitto: SKIPPED, /usr/sbin/mosquitto is not installed (apt-get install mosquitto)';

describe.skipIf(!hasMosquitto())(TITLE, () => {
  let broker: Broker;
  let pub: MqttClient;
  const ingests: MqttIngest[] = [];
  let ids = 0;

  beforeAll(async () => {
    broker = await startBroker();
    pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'test-publisher' });
  });

  afterAll(async () => {
    await pub?.endAsync();
    await broker?.stop();
  });

  // registered after engineFixture's hook, so it runs first: ingests close before their databases
  afterEach(async () => {
    for (const i of ingests.splice(0)) await i.close();
  });

  async function start(opts: Partial<MqttIngestOptions> & Pick<MqttIngestOptions, 'subscriptions' | 'writer'>): Promise<MqttIngest> {
    const ingest = new MqttIngest({ url: broker.url, clientId: `strata-test-${process.pid}-${++ids}`, reconnectMinMs: 50, retryMinMs: 20, ...opts });
    ingests.push(ingest);
    await ingest.ready();
    return ingest;
  }

  it('stores line protocol, JSON and plain values, read back with select', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const ingest = await start({
      writer: db,
      subscriptions: [
        { topic: 'lp/#', db: 'edge', mapping: { format: 'line', precision: 's' } },
        { topic: 'sensors/{site}/{device}/telemetry', db: 'edge', mapping: { format: 'json', measurement: 'env', time: '$.ts', precision: 's' } },
        { topic: 'meter/{id}/power', db: 'edge', mapping: { format: 'value', measurement: 'power', field: 'watts' } },
      ],
    });
    await pub.publishAsync('lp/a', 'cpu,host=a usage=1.5 1700000000\ncpu,host=b usage=2.5 1700000000', { qos: 1 });
    await pub.publishAsync('sensors/berlin/d7/telemetry', JSON.stringify({ temp: 21.5, ok: true, ts: 1700000001 }), { qos: 1 });
    await pub.publishAsync('meter/m1/power', '230.25', { qos: 1 });
    await waitFor(() => ingest.stats().messagesWritten === 3, 5000, '3 messages');

    const cpu = db.select({ db: 'edge', measurement: 'cpu', field: 'usage' });
    expect(cpu.map((c) => [c.key, [...c.times], [...(c.values as Float64Array)]])).toEqual([
      ['cpu,host=a', [1_700_000_000_000_000_000n], [1.5]],
      ['cpu,host=b', [1_700_000_000_000_000_000n], [2.5]],
    ]);
    const env = db.select({ db: 'edge', measurement: 'env' });
    expect(env.map((c) => [c.key, c.field, c.times[0], c.values[0]])).toEqual([
      ['env,device=d7,site=berlin', 'ok', 1_700_000_001_000_000_000n, 1],
      ['env,device=d7,site=berlin', 'temp', 1_700_000_001_000_000_000n, 21.5],
    ]);
    const power = db.select({ db: 'edge', measurement: 'power' });
    expect(power.map((c) => [c.key, c.field, c.values[0]])).toEqual([['power,id=m1', 'watts', 230.25]]);
    // receive time: within the last minute
    const age = BigInt(Date.now()) * 1_000_000n - power[0].times[0];
    expect(age >= 0n && age < 60_000_000_000n).toBe(true);
    expect(ingest.stats()).toMatchObject({ connected: true, messagesReceived: 3, pointsWritten: 4, badPayloads: 0, writeFailures: 0 });
  });

  it('counts and logs a malformed payload, acknowledges it, and keeps storing the good ones', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const logger = captureLogger();
    const ingest = await start({ writer: db, logger, subscriptions: [{ topic: 'dev/{device}', db: 'edge', mapping: { format: 'json', measurement: 'm', time: '$.t', precision: 'ms' } }] });
    await pub.publishAsync('dev/a', '{"v":1,"t":1700000000000}', { qos: 1 });
    await pub.publishAsync('dev/b', '{"v":2,"t":', { qos: 1 });
    await pub.publishAsync('dev/c', '{"v":3,"t":1700000000000}', { qos: 1 });
    await waitFor(() => ingest.stats().messagesReceived === 3 && ingest.stats().messagesWritten === 2, 5000, '3 messages');

    expect(db.select({ db: 'edge', measurement: 'm' }).map((c) => c.key)).toEqual(['m,device=a', 'm,device=c']);
    expect(ingest.stats()).toMatchObject({ badPayloads: 1, messagesWritten: 2, pointsWritten: 2 });
    const bad = logger.lines.filter((l) => l.msg === 'mqtt: bad payload skipped');
    expect(bad).toHaveLength(1);
    expect(bad[0].level).toBe('warn');
    expect(bad[0].obj).toMatchObject({ topic: 'dev/b', qos: 1, bytes: 11, offset: 11 });
    expect(String(bad[0].obj.err)).toMatch(/^bad MQTT payload on topic "dev\/b": at byte 11: not valid JSON/);

    const registry = new Registry();
    registerMqttMetrics(registry, ingest);
    const text = await registry.metrics();
    expect(text).toMatch(/^strata_mqtt_bad_payloads_total 1$/m);
    expect(text).toMatch(/^strata_mqtt_points_written_total 2$/m);
    expect(text).toMatch(/^strata_mqtt_connected 1$/m);
  });

  it.each([5, 4] as const)('MQTT %s: acknowledges only after the write; a message whose write had not returned is redelivered, and stored once', async (protocolVersion) => {
    const db = await openDb({ dataDir: tmpDir() });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    // The first write is held until the ingest has been closed, as if the process died while
    // the WAL append was still pending.
    const slow: MqttWriter = {
      async writeBatch(batch: PointBatch, opts: WriteOptions): Promise<WriteResult> {
        if (calls++ === 0) await gate;
        return db.writeBatch(batch, opts);
      },
    };
    const clientId = `strata-test-${process.pid}-redeliver-v${protocolVersion}`;
    const subscriptions = [{ topic: `slow${protocolVersion}/#`, db: 'edge', mapping: { format: 'line' as const } }];
    const first = await start({ writer: slow, clientId, subscriptions, protocolVersion });
    await pub.publishAsync(`slow${protocolVersion}/x`, 'slow,id=1 v=42 1700000000000000000', { qos: 1 });
    await waitFor(() => calls === 1, 5000, 'the held write');
    const closing = first.close();
    release();
    await closing;
    expect(first.stats()).toMatchObject({ messagesReceived: 1, messagesWritten: 1 });

    // Same client id, persistent session: the broker never got a PUBACK, so it sends the message again.
    const second = await start({ writer: slow, clientId, subscriptions, protocolVersion });
    await waitFor(() => second.stats().messagesWritten === 1, 5000, 'the redelivered message');
    expect(second.stats().messagesReceived).toBe(1);
    expect(calls).toBe(2);
    // written twice, stored once: same series and timestamp overwrite
    expect(countPoints(db, 'slow')).toBe(1);

    // and now it was acknowledged: a third session gets nothing
    await second.close();
    const third = await start({ writer: slow, clientId, subscriptions, protocolVersion });
    await new Promise((r) => setTimeout(r, 300));
    expect(third.stats().messagesReceived).toBe(0);
  });

  it('retries a failing or overloaded write without acknowledging, then stores the message once', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const logger = captureLogger();
    const failures = [new StrataError('STRATA_ERR_WAL', 500, 'write-ahead log append failed: disk full'), new OverloadedError('memtables full', 0.05)];
    let calls = 0;
    const flaky: MqttWriter = {
      writeBatch(batch, opts) {
        calls++;
        const f = failures.shift();
        return f ? Promise.reject(f) : db.writeBatch(batch, opts);
      },
    };
    const ingest = await start({ writer: flaky, logger, subscriptions: [{ topic: 'flaky', db: 'edge', mapping: { format: 'line' } }] });
    await pub.publishAsync('flaky', 'f v=1 1700000000000000000', { qos: 1 });
    await pub.publishAsync('flaky', 'f v=2 1700000000000000001', { qos: 1 });
    await waitFor(() => ingest.stats().messagesWritten === 2, 5000, 'both messages');
    expect(calls).toBe(4);
    expect(ingest.stats()).toMatchObject({ messagesReceived: 2, writeFailures: 2, pointsWritten: 2, messagesDropped: 0 });
    expect(countPoints(db, 'f')).toBe(2);
    expect(logger.lines.filter((l) => l.msg === 'mqtt: write failed; not acknowledged, retrying').map((l) => l.obj.code)).toEqual(['STRATA_ERR_WAL', 'STRATA_ERR_OVERLOADED']);
  });

  it('drops (and logs) a message the engine refuses for good, and reports refused points', async () => {
    const db = await openDb({ dataDir: tmpDir(), autoCreateDatabases: false });
    await db.createDatabase('edge');
    const logger = captureLogger();
    const ingest = await start({
      writer: db,
      logger,
      subscriptions: [
        { topic: 'nodb', db: 'missing', mapping: { format: 'line' } },
        { topic: 'typed', db: 'edge', mapping: { format: 'line' } },
      ],
    });
    await pub.publishAsync('nodb', 'a v=1', { qos: 1 });
    await pub.publishAsync('typed', 't v=1 1', { qos: 1 });
    await pub.publishAsync('typed', 't v="str" 2\nt v=3 3', { qos: 1 });
    await waitFor(() => ingest.stats().messagesReceived === 3 && ingest.stats().messagesWritten === 2, 5000, 'messages');
    expect(ingest.stats()).toMatchObject({ messagesDropped: 1, pointsRejected: 1, pointsWritten: 2 });
    expect(logger.lines.find((l) => l.msg === 'mqtt: engine refused the write; message dropped')?.obj).toMatchObject({ topic: 'nodb', code: 'STRATA_ERR_DATABASE_NOT_FOUND' });
    expect(logger.lines.find((l) => l.msg === 'mqtt: engine refused points of a message')?.obj).toMatchObject({ topic: 'typed', kind: 'type_conflict' });
  });

  it('reconnects with backoff after the broker restarts, and resubscribes', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const own = await startBroker();
    try {
      const ingest = await start({ url: own.url, writer: db, subscriptions: [{ topic: 'r/{n}', db: 'edge', mapping: { format: 'value', measurement: 'r' } }] });
      await own.stop();
      await waitFor(() => !ingest.stats().connected, 3000, 'disconnect');
      const again = await startBroker(own.port);
      try {
        // broker without persistence: the session is gone, so the ingest must subscribe again
        await waitFor(() => ingest.stats().reconnects === 1, 5000, 'reconnect');
        const p = await mqtt.connectAsync(again.url, { protocolVersion: 5 });
        await new Promise((r) => setTimeout(r, 100)); // the SUBACK of the resubscription
        await p.publishAsync('r/1', '7', { qos: 1 });
        await waitFor(() => ingest.stats().messagesWritten === 1, 5000, 'message after reconnect');
        await p.endAsync();
        expect(countPoints(db, 'r')).toBe(1);
      } finally {
        await ingest.close();
        await again.stop();
      }
    } finally {
      await own.stop();
    }
  });

  it('takes 1000 QoS 1 messages in a few seconds', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const ingest = await start({ writer: db, subscriptions: [{ topic: 'bulk/{device}', db: 'edge', mapping: { format: 'line' } }] });
    const t0 = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) sends.push(pub.publishAsync(`bulk/d${i % 10}`, `bulk v=${i} ${1_700_000_000_000_000_000n + BigInt(i)}`, { qos: 1 }));
    await Promise.all(sends);
    await waitFor(() => ingest.stats().messagesWritten === 1000, 10_000, '1000 messages');
    const seconds = (performance.now() - t0) / 1000;
    expect(countPoints(db, 'bulk')).toBe(1000);
    expect(seconds).toBeLessThan(5);
    console.log(`mqtt ingest: 1000 QoS 1 messages in ${seconds.toFixed(2)} s (${Math.round(1000 / seconds)} msg/s, fsync off)`);
  });

  it('spreads messages over several connections with a shared subscription, each stored once', async () => {
    const db = await openDb({ dataDir: tmpDir(), fsync: 'always' });
    let concurrent = 0;
    let most = 0;
    const counting: MqttWriter = {
      async writeBatch(batch, opts) {
        most = Math.max(most, ++concurrent);
        try {
          return await db.writeBatch(batch, opts);
        } finally {
          concurrent--;
        }
      },
    };
    const ingest = await start({ writer: counting, connections: 4, subscriptions: [{ topic: 'shared/{device}', db: 'edge', mapping: { format: 'line' } }] });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) sends.push(pub.publishAsync(`shared/d${i % 10}`, `shared v=${i} ${1_700_000_000_000_000_000n + BigInt(i)}`, { qos: 1 }));
    await Promise.all(sends);
    await waitFor(() => ingest.stats().messagesWritten === 1000, 10_000, '1000 messages');
    expect(countPoints(db, 'shared')).toBe(1000);
    expect(ingest.stats().messagesReceived).toBe(1000); // each message to one member of the group
    expect(most).toBeGreaterThan(1); // writes overlapped, so they could share fsyncs
  });
});
