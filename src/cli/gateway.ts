// `strata gateway`: `strata serve` plus the edge features of issue 8 (docs/gateway.md):
// MQTT ingest, store-and-forward to upstreams, local retention, GET /gateway/status.
// Configured by flags and a YAML file (`--config`): a flag (or its environment variable)
// wins over the file, the file over the defaults.
//
// Also `strata gateway status`: prints a running gateway's /gateway/status as a table.
//
// The server itself is serve's runServer: the same flags, start-up and shutdown. The
// gateway's services stop first on shutdown (MQTT ingest, so nothing more is written;
// then the forwarders, which persist their cursors), then the server as serve does.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { Database } from '../engine/database.js';
import { DEFAULT_RP, tierName, type TierSpec } from '../engine/meta.js';
import { validateTiers } from '../engine/database.js';
import { StrataError } from '../errors.js';
import { Forwarder, persistedWalHold, type ForwardCap, type ForwardRollup, type RollupAggregate } from '../gateway/forward.js';
import { registerForwardMetrics } from '../gateway/forwardMetrics.js';
import { MqttIngest, registerMqttMetrics, zeroMqttCounts, type MqttIngestOptions, type MqttStats } from '../gateway/mqtt.js';
import { mqttOptionsFromConfig, parseMqttTopicFlag } from '../gateway/mqttConfig.js';
import { gatewayStatusPlugin } from '../gateway/status.js';
import { checkUpstream, type UpstreamConfig } from '../gateway/upstream.js';
import { parseDurationNs } from '../views/kv.js';
import { formatHelp, parseArgs, ParsedArgs, UsageError, type CliIo, type CommandSpec, type FlagSpec, type FlagValue } from './args.js';
import type { JsonLogger } from './log.js';
import { runServer, SERVE_SPEC, type ExtraServices, type ServerContext } from './serve.js';
import { formatBytes, formatCount, formatDuration } from './progress.js';

const GATEWAY_FLAGS: FlagSpec[] = [
  { name: 'config', type: 'string', placeholder: 'FILE', env: 'STRATA_GATEWAY_CONFIG', description: 'YAML config file; its keys mirror the flags (docs/gateway.md). Flags win over it.' },
  {
    name: 'upstream',
    type: 'string',
    repeatable: true,
    placeholder: 'URL',
    description: 'Forward every accepted point to this write URL: .../write?db=NAME, .../api/v2/write?bucket=NAME, or a remote_write URL.',
  },
  { name: 'upstream-token', type: 'string', placeholder: 'TOKEN', env: 'STRATA_UPSTREAM_TOKEN', description: 'Token sent to the upstreams (Authorization: Token ... / Bearer ...).' },
  { name: 'forward-max-bytes', type: 'number', placeholder: 'BYTES', min: 0, description: 'Cap on the backlog of each upstream, in WAL bytes (0: none).' },
  { name: 'forward-max-age', type: 'string', placeholder: 'DURATION', description: 'Cap on the age of the oldest unforwarded data, e.g. 7d (0: none).' },
  {
    name: 'forward-policy',
    type: 'string',
    placeholder: 'POLICY',
    choices: ['drop-oldest', 'refuse'],
    description: 'Over the cap: stop forwarding the oldest data (drop-oldest, default) or refuse writes with 503 until the upstream catches up.',
  },
  {
    name: 'forward-rollup',
    type: 'string',
    placeholder: 'SPEC',
    description: 'Forward only rollups of these measurements: MEASUREMENT[,MEASUREMENT...]=RESOLUTION[:agg,agg...], e.g. cpu,mem=1m:min,max,mean,last.',
  },
  { name: 'mqtt-url', type: 'string', placeholder: 'URL', env: 'STRATA_MQTT_URL', description: 'MQTT broker to subscribe to, e.g. mqtt://127.0.0.1:1883.' },
  {
    name: 'mqtt-topic',
    type: 'string',
    repeatable: true,
    placeholder: 'PATTERN',
    description: "Topic pattern and ;key=value mapping options, e.g. 'sensors/{site}/{device};format=json;measurement=env'.",
  },
  { name: 'mqtt-db', type: 'string', placeholder: 'NAME', description: 'Database of MQTT subscriptions that name none [default: mqtt].' },
  { name: 'mqtt-client-id', type: 'string', placeholder: 'ID', description: 'Fixed MQTT client id; the broker keeps the session under it [default: strata-<hostname>].' },
  { name: 'retention', type: 'string', placeholder: 'DURATION', description: "Raw retention of the default policy of the gateway's databases, e.g. 30d (INF: forever)." },
];

export const GATEWAY_SPEC: CommandSpec = {
  name: 'gateway',
  summary: 'Run the edge gateway: the server plus MQTT ingest and store-and-forward',
  usage: 'gateway [flags]  |  gateway status [--url URL] [--json]',
  description:
    '`strata serve` (same flags, start-up and shutdown) plus MQTT ingest, store-and-forward of\n' +
    'every accepted point to one or more upstreams, local retention and GET /gateway/status.\n' +
    'On SIGTERM it stops the MQTT ingest, then the forwarders, then shuts down as serve does.\n\n' +
    'Precedence: a flag (or its environment variable) wins over --config, which wins over the\n' +
    "defaults. `strata gateway status` prints a running gateway's upstreams (docs/gateway.md).",
  flags: [...SERVE_SPEC.flags, ...GATEWAY_FLAGS],
  examples: [
    'strata gateway --config /etc/strata/gateway.yaml',
    "strata gateway --upstream 'http://central:8086/write?db=edge' --mqtt-url mqtt://127.0.0.1:1883 --mqtt-topic 'sensors/#' --retention 30d",
    'strata gateway status --url http://127.0.0.1:8086',
  ],
};

/** Everything the gateway adds to serve, resolved from flags and the config file. */
export interface GatewaySettings {
  /** The serve flags, config values filled in where no flag or variable was given. */
  args: ParsedArgs;
  upstreams: UpstreamConfig[];
  cap: ForwardCap | undefined;
  rollup: (ForwardRollup & { resolution: bigint }) | undefined;
  mqtt: Omit<MqttIngestOptions, 'writer' | 'logger'> | undefined;
  retention: { durationNs?: bigint; tiers?: TierSpec[] };
}

const TOP_KEYS = ['upstreams', 'mqtt', 'forward', 'retention'];
const UPSTREAM_KEYS = ['url', 'token', 'name', 'databases'];
const FORWARD_KEYS = ['maxBytes', 'maxAge', 'policy', 'rollup'];
const ROLLUP_KEYS = ['measurements', 'resolution', 'aggregates'];
const RETENTION_KEYS = ['duration', 'tiers'];
const AGGREGATES: readonly RollupAggregate[] = ['min', 'max', 'mean', 'last', 'first', 'sum', 'count'];
/** Flags that make no sense in a file: one-off actions, or the file itself. */
const FLAG_ONLY = new Set(['config', 'repair-wal']);

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Config keys that stand for serve flags (`dataDir`, `port`, `logLevel`, ...) → the flag. */
function serveKeys(): Map<string, FlagSpec> {
  return new Map(SERVE_SPEC.flags.filter((f) => !FLAG_ONLY.has(f.name)).map((f) => [camel(f.name), f]));
}

function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads and parses a config file; every key is checked later by resolveGatewaySettings. */
export function loadGatewayConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--config ${file}: ${(err as Error).message}`, 'gateway');
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${file}: not valid YAML: ${(err as Error).message}`, 'gateway');
  }
  if (doc === null || doc === undefined) return {};
  if (!isTable(doc)) throw new UsageError(`--config ${file}: the file must be a mapping of settings (key: value)`, 'gateway');
  return doc;
}

/** A duration string (30s, 7d, 1h30m); `forever` also allows 0 and INF (0n). */
function durationNs(v: unknown, what: string, forever: boolean): bigint {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string') throw new UsageError(`${what} must be a duration such as 30s, 7d or 1h30m`, 'gateway');
  if (forever && (s === '0' || s.toUpperCase() === 'INF')) return 0n;
  try {
    return parseDurationNs(s, what);
  } catch (err) {
    throw new UsageError((err as Error).message, 'gateway');
  }
}

/** `1m:90d,1h:INF` or [{resolution, duration, grace}] → tier specs. */
function parseTierList(v: unknown, what: string): TierSpec[] {
  const items: unknown[] =
    typeof v === 'string'
      ? v.trim() === 'none'
        ? []
        : v.split(',').map((item) => {
            const [resolution, duration, grace, extra] = item.trim().split(':');
            if (extra !== undefined || !resolution) throw new UsageError(`${what}: "${item}" is not RESOLUTION[:DURATION[:GRACE]], e.g. 1m:90d`, 'gateway');
            return { resolution, duration, grace };
          })
      : Array.isArray(v)
        ? v
        : (() => {
            throw new UsageError(`${what} must be a list such as "1m:90d,1h:INF"`, 'gateway');
          })();
  const tiers = items.map((raw, i) => {
    if (!isTable(raw)) throw new UsageError(`${what}[${i}] must be a mapping with resolution and duration`, 'gateway');
    for (const k of Object.keys(raw)) if (!['resolution', 'duration', 'grace'].includes(k)) throw new UsageError(`${what}[${i}].${k} is not a setting (known: resolution, duration, grace)`, 'gateway');
    return {
      resolution: durationNs(raw.resolution, `${what}[${i}].resolution`, false),
      duration: raw.duration === undefined ? 0n : durationNs(raw.duration, `${what}[${i}].duration`, true),
      ...(raw.grace === undefined ? {} : { grace: durationNs(raw.grace, `${what}[${i}].grace`, false) }),
    };
  });
  try {
    validateTiers(tiers);
  } catch (err) {
    throw new UsageError(`${what}: ${(err as Error).message}`, 'gateway');
  }
  return tiers;
}

/** `cpu,mem=1m:min,max,mean,last` → the Forwarder's rollup option (tier of the default policy). */
export function parseRollupFlag(s: string): ForwardRollup & { resolution: bigint } {
  const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(s.trim());
  if (!m) throw new UsageError(`--forward-rollup "${s}": use MEASUREMENT[,MEASUREMENT...]=RESOLUTION[:agg,agg...], e.g. cpu,mem=1m:min,max,mean,last`, 'gateway');
  return rollupFrom(
    m[1].split(',').map((x) => x.trim()),
    m[2].trim(),
    m[3] === undefined ? undefined : m[3].split(',').map((x) => x.trim()),
    `--forward-rollup "${s}"`,
  );
}

function rollupFrom(measurements: unknown, resolution: unknown, aggregates: unknown, what: string): ForwardRollup & { resolution: bigint } {
  if (!Array.isArray(measurements) || measurements.length === 0 || measurements.some((x) => typeof x !== 'string' || x === '')) {
    throw new UsageError(`${what}: measurements must be a non-empty list of names`, 'gateway');
  }
  const res = durationNs(resolution, `${what}: resolution`, false);
  if (res < 1_000_000_000n) throw new UsageError(`${what}: the resolution must be at least 1s`, 'gateway');
  const aggs = aggregates === undefined ? (['min', 'max', 'mean', 'last'] as RollupAggregate[]) : aggregates;
  if (!Array.isArray(aggs) || aggs.length === 0 || aggs.some((a) => !AGGREGATES.includes(a as RollupAggregate))) {
    throw new UsageError(`${what}: aggregates must be some of ${AGGREGATES.join(', ')}`, 'gateway');
  }
  return { measurements: measurements as string[], tier: tierName(DEFAULT_RP, res), aggregates: aggs as RollupAggregate[], resolution: res };
}

/** A stable upstream name from its URL (names the cursor file): host and port. */
function upstreamName(url: string, taken: Set<string>): string {
  let base = 'upstream';
  try {
    const u = new URL(url);
    base = `${u.hostname}_${u.port || (u.protocol === 'https:' ? '443' : '80')}`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  } catch {
    // checkUpstream reports the bad URL
  }
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
  taken.add(name);
  return name;
}

function checkedUpstream(u: UpstreamConfig, what: string): UpstreamConfig {
  try {
    checkUpstream(u);
  } catch (err) {
    throw new UsageError(`${what}: ${(err as Error).message}`, 'gateway');
  }
  return u;
}

/**
 * Merges flags, environment and the config file into the gateway's settings; throws
 * UsageError naming the flag or config key at fault. `configDir` resolves relative paths
 * of the file (dataDir, rulesFile).
 */
export function resolveGatewaySettings(args: ParsedArgs, config: Record<string, unknown>, opts: { configFile?: string; hostname?: string } = {}): GatewaySettings {
  const where = opts.configFile ? `config ${opts.configFile}` : 'config';
  const configDir = opts.configFile ? path.dirname(path.resolve(opts.configFile)) : undefined;
  const fromFlag = (name: string): boolean => {
    const s = args.source(name);
    return s === 'flag' || s === 'env';
  };

  // Serve flags: a file value stands in for a default, checked as the flag would be.
  const keys = serveKeys();
  const values = new Map<string, FlagValue>(args.values);
  const sources = new Map(args.sources);
  for (const [key, v] of Object.entries(config)) {
    if (TOP_KEYS.includes(key)) continue;
    const flag = keys.get(key);
    if (!flag) {
      throw new UsageError(`${where}: unknown key "${key}" (known: ${[...TOP_KEYS, ...keys.keys()].join(', ')})`, 'gateway');
    }
    if (fromFlag(flag.name)) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new UsageError(`${where}: ${key} must be a ${flag.type}`, 'gateway');
    if (flag.type !== 'string' && typeof v !== flag.type) throw new UsageError(`${where}: ${key} must be a ${flag.type}, not ${JSON.stringify(v)}`, 'gateway');
    let raw = String(v);
    if ((flag.name === 'data-dir' || flag.name === 'rules-file') && configDir) raw = path.resolve(configDir, raw);
    let one: ParsedArgs;
    try {
      one = parseArgs({ ...SERVE_SPEC, flags: [flag] }, [`--${flag.name}=${raw}`]);
    } catch (err) {
      throw new UsageError(`${where}: ${key}: ${(err as Error).message.replace(`--${flag.name}`, key)}`, 'gateway');
    }
    values.set(flag.name, one.values.get(flag.name)!);
    sources.set(flag.name, 'flag');
  }
  const merged = new ParsedArgs(args.command, values, sources, args.positionals, args.help);

  // Upstreams: --upstream replaces the file's list.
  const token = args.string('upstream-token');
  const taken = new Set<string>();
  let upstreams: UpstreamConfig[];
  if (args.list('upstream').length > 0) {
    upstreams = args.list('upstream').map((url) => checkedUpstream({ name: upstreamName(url, taken), url, ...(token ? { token } : {}) }, `--upstream ${url}`));
  } else if (config.upstreams !== undefined) {
    if (!Array.isArray(config.upstreams)) throw new UsageError(`${where}: upstreams must be a list of {url, token, name, databases}`, 'gateway');
    const named = new Set(config.upstreams.map((u: unknown) => (isTable(u) && typeof u.name === 'string' ? u.name : '')).filter(Boolean));
    for (const n of named) taken.add(n);
    upstreams = config.upstreams.map((raw: unknown, i: number) => {
      const at = `${where}: upstreams[${i}]`;
      if (!isTable(raw)) throw new UsageError(`${at} must be a mapping with url`, 'gateway');
      for (const k of Object.keys(raw)) if (!UPSTREAM_KEYS.includes(k)) throw new UsageError(`${at}: unknown key "${k}" (known: ${UPSTREAM_KEYS.join(', ')})`, 'gateway');
      if (typeof raw.url !== 'string') throw new UsageError(`${at}.url must be a write URL`, 'gateway');
      if (raw.token !== undefined && typeof raw.token !== 'string') throw new UsageError(`${at}.token must be a string`, 'gateway');
      if (raw.name !== undefined && typeof raw.name !== 'string') throw new UsageError(`${at}.name must be a string`, 'gateway');
      if (raw.databases !== undefined && (!Array.isArray(raw.databases) || raw.databases.some((d) => typeof d !== 'string'))) {
        throw new UsageError(`${at}.databases must be a list of database names`, 'gateway');
      }
      const tok = token ?? (raw.token as string | undefined);
      const u: UpstreamConfig = {
        name: (raw.name as string | undefined) ?? upstreamName(raw.url, taken),
        url: raw.url,
        ...(tok ? { token: tok } : {}),
        ...(raw.databases ? { databases: raw.databases as string[] } : {}),
      };
      return checkedUpstream(u, `${at} (${raw.url})`);
    });
  } else upstreams = [];
  const names = upstreams.map((u) => u.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`${where}: two upstreams are named "${dup}"; names must differ (they name the cursor files)`, 'gateway');

  // Forwarding cap and rollups.
  const fwd = config.forward ?? {};
  if (!isTable(fwd)) throw new UsageError(`${where}: forward must be a mapping of ${FORWARD_KEYS.join(', ')}`, 'gateway');
  for (const k of Object.keys(fwd)) if (!FORWARD_KEYS.includes(k)) throw new UsageError(`${where}: unknown key "forward.${k}" (known: ${FORWARD_KEYS.join(', ')})`, 'gateway');
  let maxBytes: number | undefined = args.number('forward-max-bytes');
  if (maxBytes === undefined && fwd.maxBytes !== undefined) {
    if (typeof fwd.maxBytes !== 'number' || !Number.isSafeInteger(fwd.maxBytes) || fwd.maxBytes < 0) throw new UsageError(`${where}: forward.maxBytes must be a whole number of bytes`, 'gateway');
    maxBytes = fwd.maxBytes;
  }
  const ageRaw = args.string('forward-max-age') ?? fwd.maxAge;
  const maxAgeMs = ageRaw === undefined ? undefined : Number(durationNs(ageRaw, args.has('forward-max-age') ? '--forward-max-age' : `${where}: forward.maxAge`, true) / 1_000_000n);
  const policy = args.string('forward-policy') ?? fwd.policy ?? 'drop-oldest';
  if (policy !== 'drop-oldest' && policy !== 'refuse') throw new UsageError(`${where}: forward.policy must be drop-oldest or refuse`, 'gateway');
  const cap: ForwardCap | undefined = (maxBytes ?? 0) > 0 || (maxAgeMs ?? 0) > 0 ? { ...(maxBytes ? { maxBytes } : {}), ...(maxAgeMs ? { maxAgeMs } : {}), policy } : undefined;
  let rollup: GatewaySettings['rollup'];
  const rollupFlag = args.string('forward-rollup');
  if (rollupFlag !== undefined) rollup = parseRollupFlag(rollupFlag);
  else if (fwd.rollup !== undefined) {
    if (!isTable(fwd.rollup)) throw new UsageError(`${where}: forward.rollup must be a mapping of ${ROLLUP_KEYS.join(', ')}`, 'gateway');
    for (const k of Object.keys(fwd.rollup)) if (!ROLLUP_KEYS.includes(k)) throw new UsageError(`${where}: unknown key "forward.rollup.${k}" (known: ${ROLLUP_KEYS.join(', ')})`, 'gateway');
    rollup = rollupFrom(fwd.rollup.measurements, fwd.rollup.resolution, fwd.rollup.aggregates, `${where}: forward.rollup`);
  }

  // MQTT: the file's section, with flags over its url, client id, database and topics.
  let mqtt: GatewaySettings['mqtt'];
  const section = config.mqtt;
  if (section !== undefined && !isTable(section)) throw new UsageError(`${where}: mqtt must be a mapping (url, subscriptions, ...)`, 'gateway');
  const url = args.string('mqtt-url') ?? (section?.url as string | undefined);
  const topics = args.list('mqtt-topic');
  if (url !== undefined || topics.length > 0 || section !== undefined) {
    if (url === undefined) throw new UsageError('--mqtt-topic needs a broker: --mqtt-url mqtt://HOST:1883', 'gateway');
    const db = args.string('mqtt-db') ?? (typeof section?.db === 'string' ? section.db : 'mqtt');
    const clientId = args.string('mqtt-client-id') ?? (typeof section?.clientId === 'string' ? section.clientId : `strata-${opts.hostname ?? os.hostname()}`.replace(/[^A-Za-z0-9_-]/g, '_'));
    try {
      if (topics.length === 0 && section?.subscriptions === undefined) throw new StrataError('STRATA_ERR_MQTT_CONFIG', 400, 'no topics: give --mqtt-topic PATTERN (repeatable) or mqtt.subscriptions in the config file');
      // --mqtt-topic replaces the file's subscriptions; the rest of the section (username,
      // connections, ...) still applies, so it is checked with a stand-in subscription.
      const base = { ...section, url, clientId, db, subscriptions: topics.length > 0 ? [{ topic: '#' }] : section?.subscriptions };
      mqtt = mqttOptionsFromConfig(base, { clientId, db });
      if (topics.length > 0) mqtt.subscriptions = topics.map((t) => parseMqttTopicFlag(t, db));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const msg = (err as Error).message.replace(/^config: /, `${where}: `);
      throw new UsageError(msg, 'gateway');
    }
  }

  // Local retention of the gateway's databases.
  const ret = config.retention ?? {};
  if (!isTable(ret)) throw new UsageError(`${where}: retention must be a mapping of ${RETENTION_KEYS.join(', ')}`, 'gateway');
  for (const k of Object.keys(ret)) if (!RETENTION_KEYS.includes(k)) throw new UsageError(`${where}: unknown key "retention.${k}" (known: ${RETENTION_KEYS.join(', ')})`, 'gateway');
  const retention: GatewaySettings['retention'] = {};
  const dur = args.string('retention') ?? ret.duration;
  if (dur !== undefined) retention.durationNs = durationNs(dur, args.has('retention') ? '--retention' : `${where}: retention.duration`, true);
  if (ret.tiers !== undefined) retention.tiers = parseTierList(ret.tiers, `${where}: retention.tiers`);

  return { args: merged, upstreams, cap, rollup, mqtt, retention };
}

/**
 * Applies the gateway's local retention (and the tier edge rollups read from) to the
 * default policy of each database: those existing at start, the MQTT targets, and each
 * one created later, the first time a write reaches it.
 */
export class LocalPolicies {
  private readonly done = new Set<string>();
  private pending: Promise<void> = Promise.resolve();
  private unobserve: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly log: JsonLogger,
    private readonly spec: { durationNs?: bigint; tiers?: TierSpec[]; ensureTier?: bigint },
  ) {}

  get active(): boolean {
    return this.spec.durationNs !== undefined || this.spec.tiers !== undefined || this.spec.ensureTier !== undefined;
  }

  async start(databases: string[]): Promise<void> {
    if (!this.active) return;
    for (const name of databases) await this.apply(name);
    // A write observer runs inside the write: the change is queued, not made there.
    this.unobserve = this.db.observeWrites((name) => {
      if (this.done.has(name)) return;
      this.done.add(name);
      this.pending = this.pending.then(() => this.apply(name, true));
    });
  }

  async stop(): Promise<void> {
    this.unobserve?.();
    this.unobserve = null;
    await this.pending;
  }

  private async apply(name: string, again = false): Promise<void> {
    if (this.done.has(name) && !again) return;
    this.done.add(name);
    try {
      const rp = this.db.defaultRetentionPolicy(name);
      if (rp === '') return;
      const d = this.spec.durationNs;
      if (d !== undefined && this.db.retentionPolicies(name)[rp] !== d) this.db.setRetention(name, rp, d);
      const current = this.db.tiersOf(name, rp).map((t) => ({ resolution: t.resolution, duration: t.duration, grace: t.grace }));
      let want: TierSpec[] = this.spec.tiers ?? current;
      const r = this.spec.ensureTier;
      if (r !== undefined && !want.some((t) => t.resolution === r)) want = [...want, { resolution: r, duration: 0n }].sort((a, b) => (a.resolution < b.resolution ? -1 : 1));
      const same = want.length === current.length && want.every((t, i) => t.resolution === current[i].resolution && t.duration === current[i].duration && (t.grace === undefined || t.grace === current[i].grace));
      if (!same) await this.db.setTiers(name, rp, want);
    } catch (err) {
      this.log.error({ err, db: name }, `gateway: cannot set the local retention of database ${name}: ${(err as Error).message}`);
    }
  }
}

const NO_MQTT: Readonly<MqttStats> = Object.freeze({ connected: false, ...zeroMqttCounts() });

/** The gateway's services inside runServer: set up after the database opens. */
function gatewayServices(settings: GatewaySettings, ctx: ServerContext): ExtraServices {
  const { db, dataDir, metrics, log } = ctx;
  const forwarders = settings.upstreams.map(
    (upstream) => new Forwarder({ db, dataDir, upstream, logger: log, ...(settings.cap ? { cap: settings.cap } : {}), ...(settings.rollup ? { rollup: rollupOption(settings.rollup) } : {}) }),
  );
  registerForwardMetrics(metrics.registry, forwarders);
  let ingest: MqttIngest | null = null;
  if (settings.mqtt) registerMqttMetrics(metrics.registry, { stats: () => ingest?.stats() ?? NO_MQTT });
  const policies = new LocalPolicies(db, log, { ...settings.retention, ...(settings.rollup ? { ensureTier: settings.rollup.resolution } : {}) });
  return {
    plugins: [gatewayStatusPlugin({ forwarders })],
    async start() {
      const targets = new Set(db.databases());
      for (const s of settings.mqtt?.subscriptions ?? []) {
        if (!targets.has(s.db)) {
          // The subscriptions name their databases: create them now, so their retention is
          // set before the first message and writes do not depend on --auto-create.
          await db.createDatabase(s.db);
          targets.add(s.db);
        }
      }
      await policies.start([...targets]);
      for (const f of forwarders) f.start();
      if (settings.mqtt) {
        ingest = new MqttIngest({ ...settings.mqtt, writer: db, logger: log });
        log.info({ url: settings.mqtt.url, clientId: settings.mqtt.clientId, topics: settings.mqtt.subscriptions.map((s) => s.topic) }, 'mqtt: subscribing');
        void ingest.ready().then(
          () => log.info({ url: settings.mqtt!.url }, 'mqtt: subscribed'),
          () => {},
        );
      }
    },
    async stop() {
      // First no more writes from MQTT (unacknowledged messages stay with the broker), then
      // the forwarders persist their cursors; the server and the database close after.
      if (ingest) await ingest.close();
      await Promise.all(forwarders.map((f) => f.stop()));
      await policies.stop();
      log.info({ upstreams: forwarders.length, mqtt: ingest !== null }, 'gateway: ingest and forwarding stopped');
    },
  };
}

function rollupOption(r: ForwardRollup & { resolution: bigint }): ForwardRollup {
  return { measurements: r.measurements, tier: r.tier, aggregates: r.aggregates };
}

export async function runGateway(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'status') return runGatewayStatus(argv.slice(1), io);
  const args = parseArgs(GATEWAY_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(GATEWAY_SPEC));
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}" (the only subcommand is status)`, 'gateway');
  const configFile = args.string('config') === undefined ? undefined : path.resolve(io.cwd, args.string('config')!);
  const config = configFile ? loadGatewayConfig(configFile) : {};
  const settings = resolveGatewaySettings(args, config, { configFile });
  const names = settings.upstreams.map((u) => u.name);
  return runServer(GATEWAY_SPEC, settings.args, io, {
    // From opening the database until the forwarders start, their persisted cursors hold
    // the WAL, so a flush at open cannot delete segments not yet forwarded.
    openOptions: (dataDir) => (names.length > 0 ? { walHold: persistedWalHold(dataDir, names) } : {}),
    setup: async (ctx) => gatewayServices(settings, ctx),
  });
}

// ---- strata gateway status ----------------------------------------------------------------

export const GATEWAY_STATUS_SPEC: CommandSpec = {
  name: 'gateway status',
  summary: "Show a running gateway's upstreams: backlog, last success, last error, rate",
  usage: 'gateway status [--url URL] [--json]',
  description: 'Fetches GET /gateway/status from a running `strata gateway` and prints one row per\nupstream (and its last error), or the JSON as the server sent it.',
  flags: [
    { name: 'url', type: 'string', placeholder: 'URL', default: 'http://127.0.0.1:8086', env: 'STRATA_URL', description: 'The gateway.' },
    { name: 'json', type: 'boolean', description: 'Print the JSON instead of the table.' },
  ],
  examples: ['strata gateway status', 'strata gateway status --url http://edge-1:8086 --json'],
};

interface UpstreamStatus {
  upstream: string;
  url: string;
  kind: string;
  state: string;
  backlog: { bytes: number; points: number; oldestSeconds: number };
  lastSuccess: string | null;
  lastError: { time: string; message: string } | null;
  pointsPerSecond: number;
  forwardedPoints: number;
  dropped?: { points: number };
  deadLetters?: { points: number };
  refusing?: boolean;
  rollup?: { measurements: string[]; tier: string; rawKeptLocal: number; rollupPoints: number } | null;
}

/** "12s ago" from an ISO time, relative to `now` (ms). */
function ago(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${formatDuration(Math.max(0, (now - t) / 1000))} ago` : iso;
}

/** The status as a table, one row per upstream, then each upstream's last error. */
export function formatGatewayStatus(status: { time: string; upstreams: UpstreamStatus[] }): string {
  const now = Date.parse(status.time) || Date.now();
  if (status.upstreams.length === 0) return 'no upstreams configured (--upstream URL or upstreams: in the config file)\n';
  const head = ['UPSTREAM', 'KIND', 'STATE', 'BACKLOG POINTS', 'BACKLOG BYTES', 'OLDEST', 'LAST SUCCESS', 'RATE', 'FORWARDED', 'DROPPED', 'DEAD'];
  const rows = status.upstreams.map((u) => [
    u.upstream,
    u.kind,
    u.state + (u.refusing ? ' (refusing writes)' : ''),
    formatCount(u.backlog.points),
    formatBytes(u.backlog.bytes),
    u.backlog.bytes === 0 ? '-' : formatDuration(u.backlog.oldestSeconds),
    ago(u.lastSuccess, now),
    `${formatCount(u.pointsPerSecond)} pts/s`,
    formatCount(u.forwardedPoints),
    formatCount(u.dropped?.points ?? 0),
    formatCount(u.deadLetters?.points ?? 0),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  for (const u of status.upstreams) {
    out.push(`${u.upstream}: ${u.url}`);
    if (u.rollup) {
      out.push(`  rollups: ${u.rollup.measurements.join(', ')} from tier ${u.rollup.tier}: ${formatCount(u.rollup.rollupPoints)} rollup points sent, ${formatCount(u.rollup.rawKeptLocal)} raw points kept local`);
    }
    out.push(u.lastError ? `  last error ${ago(u.lastError.time, now)} (${u.lastError.time}): ${u.lastError.message}` : '  last error: none');
  }
  return out.join('\n') + '\n';
}

export async function runGatewayStatus(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(GATEWAY_STATUS_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(GATEWAY_STATUS_SPEC));
    return 0;
  }
  const base = args.string('url')!.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/gateway/status`);
  } catch (err) {
    io.stderr.write(`strata gateway status: cannot reach ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}; is the gateway running? (--url)\n`);
    return 1;
  }
  const text = await res.text();
  if (res.status === 404) {
    io.stderr.write(`strata gateway status: ${base} has no /gateway/status: is it a \`strata gateway\` (not \`strata serve\`)?\n`);
    return 1;
  }
  if (!res.ok) {
    io.stderr.write(`strata gateway status: ${res.status}: ${text}\n`);
    return 1;
  }
  if (args.boolean('json')) {
    io.stdout.write(JSON.stringify(JSON.parse(text), null, 2) + '\n');
    return 0;
  }
  io.stdout.write(formatGatewayStatus(JSON.parse(text) as { time: string; upstreams: UpstreamStatus[] }));
  return 0;
}
