// MQTT ingest: subscribe to topics on a broker and write what arrives into the engine.
//
// Acknowledgement is the point of this file. A QoS 1 PUBACK (QoS 2 PUBCOMP) is sent only
// after the engine's write has returned, i.e. after the WAL has the points (and, with fsync
// `always`, after they are on disk). The hook is mqtt.js's `handleMessage(packet, callback)`:
// the client calls it for every incoming PUBLISH, one at a time, and sends the PUBACK only
// when `callback` is called (mqtt.js handlers/publish.js). We use it rather than
// `customHandleAcks` because it sits at the same point in the flow, works for MQTT 3.1.1 as
// well as 5.0, and is the documented override for backpressure ("one at a time ... always
// call callback"). The session is persistent (clean: false, a fixed client id, a session
// expiry for MQTT 5), so a message whose PUBACK was never sent (crash, restart, lost link) is
// redelivered by the broker; a redelivered point with the same series and timestamp
// overwrites the first copy, so replays are harmless when payloads carry their own time.
//
// What happens to a message:
// - decodes (src/ingest/mqttPayload.ts) -> writeBatch -> PUBACK;
// - bad payload -> counted, logged with its topic, PUBACK (skipped: redelivery cannot fix it);
// - engine refuses some points for good (type conflict, series limit, retention) -> the rest
//   is stored, the refusals are counted and logged, PUBACK;
// - engine overloaded (OverloadedError, HTTP 503) or failing (WAL error) -> no PUBACK; the
//   write is retried after Retry-After or an exponential backoff. Because mqtt.js hands us
//   one message at a time, this holds the subscription: that is the backpressure, and the
//   broker keeps the rest queued in the session;
// - engine refuses the whole write for a reason that waiting does not fix (4xx: unknown
//   database with auto-create off, bad name) -> counted as dropped, logged, PUBACK.
//
// Throughput: one message at a time per connection means one write (one fsync with fsync
// `always`) per message. `connections: N` opens N clients that join one MQTT 5 shared
// subscription, so N writes are in flight and the WAL's group commit shares their fsyncs.
//
// Reconnects: mqtt.js's own reconnect timer has a fixed period, so it is off
// (reconnectPeriod 0) and this file reconnects with exponential backoff and jitter.

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Counter, Gauge, type Registry } from 'prom-client';
import { OverloadedError, StrataError } from '../errors.js';
import type { PointBatch } from '../ingest/batch.js';
import { MqttPayloadDecoder, MqttPayloadError, type MqttMapping } from '../ingest/mqttPayload.js';
import { silentLogger } from '../types.js';
import type { FsyncMode, Logger, WriteOptions, WriteResult } from '../types.js';

/** What the ingest writes through: the engine's Database, or a wrapper of it. */
export interface MqttWriter {
  writeBatch(batch: PointBatch, opts: WriteOptions): Promise<WriteResult>;
}

export interface MqttSubscription {
  /** MQTT topic filter; `{name}` levels match like `+` and bind tag `name` (mqttPayload.ts). */
  topic: string;
  mapping: MqttMapping;
  /** Database and retention policy the points go to. */
  db: string;
  rp?: string;
  /** Subscription QoS (default 1: acknowledged after the write). */
  qos?: 0 | 1 | 2;
}

export interface MqttIngestOptions {
  /** Broker URL: mqtt://host:1883, mqtts://, ws://. */
  url: string;
  /** Fixed client id: the broker keeps the session (and unacknowledged messages) under it. */
  clientId: string;
  subscriptions: readonly MqttSubscription[];
  writer: MqttWriter;
  logger?: Logger;
  username?: string;
  password?: string;
  /** MQTT protocol version (default 5). */
  protocolVersion?: 4 | 5;
  /** MQTT 5: how long the broker keeps the session while we are away (default 7 days). */
  sessionExpirySeconds?: number;
  /** Durability of each write, so of each PUBACK (default: the engine's). */
  fsync?: FsyncMode;
  /** Reconnect backoff, ms (defaults 500 and 30000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Backoff of a failing write, ms (defaults 100 and 30000). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Broker connections (default 1). More than one subscribes each to an MQTT 5 shared
   * subscription (`$share/<clientId>/<filter>`, client ids `<clientId>-<k>`), so that many
   * writes are in flight at once and share WAL fsyncs; order between messages is then not
   * kept. */
  connections?: number;
  /** Largest payload decoded (default 1 MiB); larger ones are bad payloads. */
  maxPayloadBytes?: number;
  /** Receive time in ns since the epoch (default: wall clock at ns resolution). */
  now?: () => bigint;
  /** Source of jitter in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface MqttStats {
  connected: boolean;
  /** PUBLISH packets handed to us (redeliveries included). */
  messagesReceived: number;
  /** Messages stored (PUBACK sent after the write). */
  messagesWritten: number;
  pointsWritten: number;
  /** Messages whose payload could not be decoded (acknowledged and skipped). */
  badPayloads: number;
  /** Points of decoded messages that the engine refused (type conflict, series limit, retention). */
  pointsRejected: number;
  /** Failed write attempts (each retry counts). */
  writeFailures: number;
  /** Messages acknowledged without being stored because the engine refused the write for good. */
  messagesDropped: number;
  /** Connections made after the first. */
  reconnects: number;
}

/** The counts of an ingest that has seen nothing: all zero. */
export function zeroMqttCounts(): Omit<MqttStats, 'connected'> {
  return { messagesReceived: 0, messagesWritten: 0, pointsWritten: 0, badPayloads: 0, pointsRejected: 0, writeFailures: 0, messagesDropped: 0, reconnects: 0 };
}

const SESSION_EXPIRY_S = 7 * 24 * 3600;

export class MqttIngest {
  private readonly opts: MqttIngestOptions;
  private readonly log: Logger;
  private readonly decoder: MqttPayloadDecoder;
  private readonly links: Link[];
  private readonly now: () => bigint;
  private readonly random: () => number;
  private readonly n = zeroMqttCounts();
  private closing = false;
  /** Wakes retry sleeps early (closing, link lost). */
  private readonly sleepers = new Set<() => void>();
  private readonly readyPromise: Promise<void>;

  /** Connects and subscribes in the background; see ready(). Throws on a bad mapping. */
  constructor(opts: MqttIngestOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.random = opts.random ?? Math.random;
    if (opts.subscriptions.length === 0) throw new StrataError('STRATA_ERR_MQTT_CONFIG', 400, 'MQTT ingest needs at least one subscription (--mqtt-topic)');
    const connections = opts.connections ?? 1;
    if (!Number.isInteger(connections) || connections < 1 || connections > 64) {
      throw new StrataError('STRATA_ERR_MQTT_CONFIG', 400, `MQTT connections must be an integer from 1 to 64, not ${connections}`);
    }
    this.decoder = new MqttPayloadDecoder(
      opts.subscriptions.map((s) => ({ topic: s.topic, mapping: s.mapping })),
      { maxPayloadBytes: opts.maxPayloadBytes },
    );
    if (opts.now) this.now = opts.now;
    else {
      // Date.now() has ms resolution: two value messages of one series within a millisecond
      // would get one timestamp and the second would overwrite the first. The monotonic
      // clock gives ns steps, anchored to the wall clock once.
      const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
      this.now = () => base + process.hrtime.bigint();
    }
    // One connection: the filters as configured. Several: each joins one MQTT 5 shared
    // subscription ($share/<group>/<filter>), the broker spreads messages over them, and up
    // to `connections` writes are in flight at once, sharing WAL fsyncs (group commit).
    const group = opts.clientId.replace(/[^A-Za-z0-9_-]/g, '_');
    const filters = this.decoder.filters().map((f) => (connections === 1 ? f : `$share/${group}/${f}`));
    this.links = [];
    for (let k = 0; k < connections; k++) {
      this.links.push(new Link(this, connections === 1 ? opts.clientId : `${opts.clientId}-${k}`, filters));
    }
    this.readyPromise = Promise.all(this.links.map((l) => l.ready)).then(() => undefined);
    for (const l of this.links) l.client.connect();
  }

  /** Resolves once every connection has had its subscriptions acknowledged once. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  stats(): MqttStats {
    return { connected: this.links.every((l) => l.client.connected), ...this.n };
  }

  /**
   * Disconnects without acknowledging anything not yet written (the broker redelivers it on
   * the next start), and waits for the writes in progress, so the database can close next.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.links.map((l) => l.close()));
  }

  // ---- for Link ---------------------------------------------------------------------------

  /** @internal */
  get isClosing(): boolean {
    return this.closing;
  }

  /** @internal */
  get options(): MqttIngestOptions {
    return this.opts;
  }

  /** @internal */
  get logger(): Logger {
    return this.log;
  }

  /** @internal */
  counted(): Omit<MqttStats, 'connected'> {
    return this.n;
  }

  /** @internal */
  jitter(): number {
    return this.random();
  }

  /** @internal */
  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Stores one message; true when it may be acknowledged. @internal */
  async process(topic: string, payload: Buffer, qos: number, stillOurs: () => boolean): Promise<boolean> {
    this.n.messagesReceived++;
    const received = this.now();
    let first = true;
    let lastCode = '';
    for (let attempt = 0; ; attempt++) {
      if (this.closing || !stillOurs()) return false;
      // Decoded afresh for each attempt, with the first receive time: a failed write may
      // have left its marks on the batch (engine errors appended).
      let rule: number;
      let batch: PointBatch;
      try {
        ({ rule, batch } = this.decoder.decode(topic, payload, received));
      } catch (err) {
        if (!(err instanceof MqttPayloadError)) throw err;
        this.n.badPayloads++;
        this.log.warn({ topic, qos, bytes: payload.length, line: err.line, offset: err.offset, err: err.message }, 'mqtt: bad payload skipped');
        return true;
      }
      const sub = this.opts.subscriptions[rule];
      try {
        const r = await this.opts.writer.writeBatch(batch, { db: sub.db, rp: sub.rp, fsync: this.opts.fsync });
        this.n.pointsWritten += r.points;
        this.n.messagesWritten++;
        if (r.errors.length > 0) {
          this.n.pointsRejected += r.errors.length;
          const e = r.errors[0];
          this.log.warn({ topic, db: sub.db, rejected: r.errors.length, stored: r.points, kind: e.kind, err: `line ${e.line}: ${e.message}` }, 'mqtt: engine refused points of a message');
        }
        if (!first) this.log.info({ topic, attempts: attempt + 1 }, 'mqtt: write succeeded after retries');
        return true;
      } catch (err) {
        this.n.writeFailures++;
        first = false;
        const se = err instanceof StrataError ? err : null;
        if (se?.code === 'STRATA_ERR_CLOSED') return false; // shutting down: leave it to redelivery
        if (se && !(se instanceof OverloadedError) && se.status < 500) {
          this.n.messagesDropped++;
          this.log.error({ topic, db: sub.db, code: se.code, err: se.message }, 'mqtt: engine refused the write; message dropped');
          return true;
        }
        const delay =
          err instanceof OverloadedError
            ? Math.max(err.retryAfter * 1000, this.opts.retryMinMs ?? 100)
            : backoff(attempt, this.opts.retryMinMs ?? 100, this.opts.retryMaxMs ?? 30_000, this.random);
        // a line when the failure changes and then every 10th attempt, so a long outage does not flood the log
        const code = se?.code ?? (err as Error).name;
        if (code !== lastCode || attempt % 10 === 0) {
          lastCode = code;
          this.log.warn({ topic, db: sub.db, code: se?.code, err: (err as Error).message, attempt: attempt + 1, retryInMs: delay }, 'mqtt: write failed; not acknowledged, retrying');
        }
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

/** One broker connection (one client id, one persistent session). */
class Link {
  readonly client: MqttClient;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private connects = 0;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Counts connection losses. A message belongs to the connection it came on: once that is
   * gone the broker redelivers it on the next one, so its old handling stops and sends no
   * PUBACK (it would name a packet id of the old link). */
  private generation = 0;
  /** Messages being handled (mqtt.js gives us one at a time), for close() to wait on. */
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly owner: MqttIngest,
    private readonly clientId: string,
    private readonly filters: readonly string[],
  ) {
    const opts = owner.options;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    const version = opts.protocolVersion ?? 5;
    const clientOpts: IClientOptions = {
      clientId,
      clean: false,
      protocolVersion: version,
      reconnectPeriod: 0, // reconnects are ours (onClose), with backoff
      resubscribe: false, // we subscribe on every connect ourselves (onConnect)
      connectTimeout: 10_000,
      username: opts.username,
      password: opts.password,
      manualConnect: true,
    };
    // MQTT 5: without a session expiry the broker ends the session when the link drops,
    // and with it the unacknowledged messages.
    if (version === 5) clientOpts.properties = { sessionExpiryInterval: opts.sessionExpirySeconds ?? SESSION_EXPIRY_S };
    this.client = mqtt.connect(opts.url, clientOpts);
    this.client.handleMessage = (packet, callback) => this.onMessage(packet.topic, packet.payload as Buffer, packet.qos, callback);
    this.client.on('connect', (connack) => this.onConnect(connack.sessionPresent));
    this.client.on('close', () => this.onClose());
    this.client.on('error', (err) => owner.logger.warn({ err: err.message, url: opts.url, clientId }, 'mqtt: client error'));
  }

  async close(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    // force: drop the socket now, send no PUBACK for what is in flight
    await this.client.endAsync(true);
    await this.inflight;
  }

  private onConnect(sessionPresent: boolean): void {
    const opts = this.owner.options;
    if (this.connects++ > 0) this.owner.counted().reconnects++;
    this.reconnectAttempt = 0;
    this.owner.logger.info({ url: opts.url, clientId: this.clientId, sessionPresent }, 'mqtt: connected');
    const subs: Record<string, { qos: 0 | 1 | 2; rh?: number }> = {};
    opts.subscriptions.forEach((s, i) => {
      // rh 1 (MQTT 5): retained messages only for a new subscription, not again on every
      // reconnect, where they would be stored again at a new receive time
      subs[this.filters[i]] = { qos: s.qos ?? 1, ...(opts.protocolVersion === 4 ? {} : { rh: 1 }) };
    });
    this.client.subscribe(subs, (err, granted) => {
      if (err) {
        this.owner.logger.error({ clientId: this.clientId, err: err.message }, 'mqtt: subscribe failed');
        return;
      }
      for (const g of granted ?? []) {
        if ((g.qos & 0x80) !== 0) this.owner.logger.error({ topic: g.topic, reasonCode: g.qos }, 'mqtt: the broker refused a subscription');
      }
      this.owner.logger.info({ clientId: this.clientId, topics: Object.keys(subs) }, 'mqtt: subscribed');
      this.resolveReady();
    });
  }

  private onClose(): void {
    this.generation++;
    this.owner.wakeAll();
    if (this.owner.isClosing || this.reconnectTimer) return;
    const opts = this.owner.options;
    const delay = backoff(this.reconnectAttempt++, opts.reconnectMinMs ?? 500, opts.reconnectMaxMs ?? 30_000, () => this.owner.jitter());
    this.owner.logger.warn({ url: opts.url, clientId: this.clientId, retryInMs: delay, attempt: this.reconnectAttempt }, 'mqtt: disconnected; reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.owner.isClosing) this.client.reconnect();
    }, delay);
  }

  /** mqtt.js calls this once per PUBLISH and sends the PUBACK when `done` is called. */
  private onMessage(topic: string, payload: Buffer, qos: number, done: (err?: Error) => void): void {
    const gen = this.generation;
    const ours = () => gen === this.generation;
    const p = this.owner.process(topic, payload, qos, ours).then(
      (ack) => {
        // closing or link lost: no PUBACK; the broker redelivers
        if (ack && !this.owner.isClosing && ours()) done();
      },
      (err: unknown) => {
        this.owner.logger.error({ topic, err: (err as Error).message }, 'mqtt: message handling failed');
        if (!this.owner.isClosing && ours()) done(err as Error);
      },
    );
    this.inflight = p;
  }
}

/** Starts an ingest; see MqttIngest. */
export function startMqttIngest(opts: MqttIngestOptions): MqttIngest {
  return new MqttIngest(opts);
}

/** Exponential backoff with full jitter in its upper half: [d/2, d), d = min * 2^attempt <= max. */
export function backoff(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const d = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + (d / 2) * random());
}

/**
 * Registers the ingest's counters on a prom-client registry; they are read from
 * `source.stats()` at scrape time, so the ingest stays the only thing that counts.
 */
export function registerMqttMetrics(registry: Registry, source: { stats(): MqttStats }): void {
  const counter = (name: string, help: string, pick: (s: MqttStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(pick(source.stats()));
      },
    });
  counter('strata_mqtt_messages_received_total', 'MQTT PUBLISH messages received, redeliveries included.', (s) => s.messagesReceived);
  counter('strata_mqtt_messages_written_total', 'MQTT messages stored and acknowledged.', (s) => s.messagesWritten);
  counter('strata_mqtt_points_written_total', 'Points stored from MQTT messages.', (s) => s.pointsWritten);
  counter('strata_mqtt_bad_payloads_total', 'MQTT messages skipped because their payload could not be decoded (see the log for topic and reason).', (s) => s.badPayloads);
  counter('strata_mqtt_points_rejected_total', 'Points of MQTT messages the engine refused (field type conflict, series limit, retention).', (s) => s.pointsRejected);
  counter('strata_mqtt_write_failures_total', 'Failed engine writes of MQTT messages, each retry counted (overload, WAL errors).', (s) => s.writeFailures);
  counter('strata_mqtt_messages_dropped_total', 'MQTT messages acknowledged without being stored because the engine refused the write for good.', (s) => s.messagesDropped);
  counter('strata_mqtt_reconnects_total', 'Connections to the MQTT broker after the first.', (s) => s.reconnects);
  new Gauge({
    name: 'strata_mqtt_connected',
    help: '1 while connected to the MQTT broker.',
    registers: [registry],
    collect() {
      this.set(source.stats().connected ? 1 : 0);
    },
  });
}
