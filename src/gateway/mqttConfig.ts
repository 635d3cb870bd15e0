// MQTT ingest settings from the command line (`--mqtt-topic`, repeatable) and from the
// `mqtt:` section of a gateway config file, checked and turned into MqttIngestOptions fields.
//
// Flag syntax: the topic pattern, then `;key=value` options:
//   --mqtt-topic 'sensors/{site}/{device}/telemetry;format=json;measurement=env;time=$.ts'
//   --mqtt-topic 'meters/{id}/power;format=value;measurement=power;field=watts;db=energy'
//   --mqtt-topic 'telegraf/#'                      (line protocol into the default database)
// Keys: format (line|json|value, default line), db, rp, qos (0|1|2), measurement, field,
// time, precision, fields (`*` or a comma list of paths), tag.NAME (a tag's source),
// topicTags (true|false). A topic containing `;` must be given in the config file.

import { BadRequestError } from '../errors.js';
import { compileRule, type MqttMapping } from '../ingest/mqttPayload.js';
import type { FsyncMode, Precision } from '../types.js';
import type { MqttIngestOptions, MqttSubscription } from './mqtt.js';

function bad(message: string): BadRequestError {
  return new BadRequestError('STRATA_ERR_MQTT_CONFIG', message);
}

/** Parses one `--mqtt-topic` value; `defaultDb` is used when it names no `db`. */
export function parseMqttTopicFlag(flag: string, defaultDb: string): MqttSubscription {
  const [topic, ...opts] = flag.split(';');
  if (topic.trim() === '') throw bad(`--mqtt-topic ${JSON.stringify(flag)}: no topic before the options`);
  const mapping: MqttMapping = { format: 'line' };
  let db = defaultDb;
  let rp: string | undefined;
  let qos: 0 | 1 | 2 | undefined;
  for (const opt of opts) {
    if (opt === '') continue;
    const eq = opt.indexOf('=');
    if (eq <= 0) throw bad(`--mqtt-topic ${JSON.stringify(flag)}: option ${JSON.stringify(opt)} is not key=value`);
    const key = opt.slice(0, eq).trim();
    const value = opt.slice(eq + 1).trim();
    switch (key) {
      case 'format':
        mapping.format = value as MqttMapping['format'];
        break;
      case 'db':
        db = value;
        break;
      case 'rp':
        rp = value;
        break;
      case 'qos':
        if (value !== '0' && value !== '1' && value !== '2') throw bad(`--mqtt-topic ${JSON.stringify(flag)}: qos must be 0, 1 or 2`);
        qos = Number(value) as 0 | 1 | 2;
        break;
      case 'measurement':
      case 'field':
      case 'time':
        mapping[key] = value;
        break;
      case 'precision':
        mapping.precision = value as Precision;
        break;
      case 'fields':
        mapping.fields = value === '*' ? '*' : value.split(',').map((p) => p.trim());
        break;
      case 'topicTags':
        if (value !== 'true' && value !== 'false') throw bad(`--mqtt-topic ${JSON.stringify(flag)}: topicTags must be true or false`);
        mapping.topicTags = value === 'true';
        break;
      default:
        if (key.startsWith('tag.') && key.length > 4) {
          mapping.tags = { ...mapping.tags, [key.slice(4)]: value };
          break;
        }
        throw bad(`--mqtt-topic ${JSON.stringify(flag)}: unknown option ${JSON.stringify(key)} (use format, db, rp, qos, measurement, field, fields, time, precision, tag.NAME, topicTags)`);
    }
  }
  const sub: MqttSubscription = { topic, mapping, db, ...(rp ? { rp } : {}), ...(qos !== undefined ? { qos } : {}) };
  compileRule({ topic, mapping }); // throws now, at start-up, for a mapping that cannot work
  return sub;
}

/** The `mqtt:` section of a gateway config file (YAML or TOML, parsed by the caller). */
export interface MqttConfigSection {
  url: string;
  clientId?: string;
  username?: string;
  password?: string;
  protocolVersion?: 4 | 5;
  connections?: number;
  fsync?: FsyncMode;
  sessionExpirySeconds?: number;
  maxPayloadBytes?: number;
  /** Default database of subscriptions that name none. */
  db?: string;
  /** Mapping keys inline; `format` defaults to line. */
  subscriptions: (Partial<MqttMapping> & { topic: string; db?: string; rp?: string; qos?: 0 | 1 | 2 })[];
}

const SECTION_KEYS = new Set(['url', 'clientId', 'username', 'password', 'protocolVersion', 'connections', 'fsync', 'sessionExpirySeconds', 'maxPayloadBytes', 'db', 'subscriptions']);
const SUB_KEYS = new Set(['topic', 'db', 'rp', 'qos', 'format', 'measurement', 'tags', 'fields', 'field', 'time', 'precision', 'topicTags']);

/**
 * Checks a parsed `mqtt:` section and returns the MqttIngestOptions it describes (without
 * writer and logger). `defaults` fills what the section leaves out (e.g. the client id from
 * the host name, the database from `--mqtt-db`).
 */
export function mqttOptionsFromConfig(section: unknown, defaults: { clientId: string; db: string }): Omit<MqttIngestOptions, 'writer' | 'logger'> {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) throw bad('config: mqtt must be a table/mapping');
  const s = section as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!SECTION_KEYS.has(k)) throw bad(`config: mqtt.${k} is not a setting (known: ${[...SECTION_KEYS].join(', ')})`);
  if (typeof s.url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\//.test(s.url)) throw bad('config: mqtt.url must be a broker URL such as mqtt://127.0.0.1:1883');
  if (!Array.isArray(s.subscriptions) || s.subscriptions.length === 0) throw bad('config: mqtt.subscriptions must list at least one topic');
  const db = typeof s.db === 'string' ? s.db : defaults.db;
  const subscriptions: MqttSubscription[] = s.subscriptions.map((raw: unknown, i: number) => {
    if (raw === null || typeof raw !== 'object') throw bad(`config: mqtt.subscriptions[${i}] must be a table/mapping`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!SUB_KEYS.has(k)) throw bad(`config: mqtt.subscriptions[${i}].${k} is not a setting (known: ${[...SUB_KEYS].join(', ')})`);
    if (typeof r.topic !== 'string') throw bad(`config: mqtt.subscriptions[${i}].topic must be a string`);
    const { topic, db: subDb, rp, qos, ...mapping } = r as unknown as MqttConfigSection['subscriptions'][number];
    if (qos !== undefined && qos !== 0 && qos !== 1 && qos !== 2) throw bad(`config: mqtt.subscriptions[${i}].qos must be 0, 1 or 2`);
    const m = { ...mapping, format: mapping.format ?? 'line' } as MqttMapping;
    compileRule({ topic, mapping: m });
    return { topic, mapping: m, db: subDb ?? db, ...(rp ? { rp } : {}), ...(qos !== undefined ? { qos } : {}) };
  });
  const num = (k: string): number | undefined => {
    if (s[k] === undefined) return undefined;
    if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) throw bad(`config: mqtt.${k} must be a number`);
    return s[k] as number;
  };
  const str = (k: string): string | undefined => {
    if (s[k] === undefined) return undefined;
    if (typeof s[k] !== 'string') throw bad(`config: mqtt.${k} must be a string`);
    return s[k] as string;
  };
  const fsync = str('fsync');
  if (fsync !== undefined && !['always', 'interval', 'off'].includes(fsync)) throw bad('config: mqtt.fsync must be always, interval or off');
  const pv = num('protocolVersion');
  if (pv !== undefined && pv !== 4 && pv !== 5) throw bad('config: mqtt.protocolVersion must be 4 (MQTT 3.1.1) or 5');
  const out: Omit<MqttIngestOptions, 'writer' | 'logger'> = { url: s.url, clientId: str('clientId') ?? defaults.clientId, subscriptions };
  const username = str('username');
  const password = str('password');
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  if (pv !== undefined) out.protocolVersion = pv as 4 | 5;
  if (fsync !== undefined) out.fsync = fsync as FsyncMode;
  const connections = num('connections');
  if (connections !== undefined) out.connections = connections;
  const expiry = num('sessionExpirySeconds');
  if (expiry !== undefined) out.sessionExpirySeconds = expiry;
  const maxBytes = num('maxPayloadBytes');
  if (maxBytes !== undefined) out.maxPayloadBytes = maxBytes;
  return out;
}
