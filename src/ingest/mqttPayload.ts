// MQTT message (topic + payload bytes) -> PointBatch, by a mapping configured per subscription.
//
// Pure and synchronous: no I/O, the receive time is passed in. Three payload formats:
// - `line`: InfluxDB line protocol, one or more lines, parsed by the engine's own
//   LineProtocolParser (one parser per decoder, so its interning caches stay warm);
// - `json`: an object, or an array of objects, mapped to measurement, tags, fields and time
//   by topic levels (`sensors/{site}/{device}/telemetry`) and JSON paths (`$.temp`);
// - `value`: a bare number or true/false; measurement and field come from the mapping.
//
// A message is all or nothing: a payload with any bad part throws MqttPayloadError (naming the
// topic and the line, element or byte) and yields no points, because a message is the unit
// the broker redelivers and the gateway acknowledges; half-storing one would make "this
// message was skipped" untrue in the log.
//
// Topic filters follow MQTT 3.1.1 / 5.0 section 4.7: `/` separates levels, `+` matches one
// level, `#` (last level only) matches the parent and any number of levels below it, and
// wildcards at the first level do not match topics starting with `$` (4.7.2). A pattern level
// `{name}` is a `+` that also binds the level's text to `name`.

import { BadRequestError } from '../errors.js';
import { BOOLEAN, FLOAT, STRING } from '../types.js';
import type { Precision } from '../types.js';
import { PointBatch } from './batch.js';
import { LineProtocolParser } from './lineprotocol.js';
import { PRECISION_NS } from './lptables.js';
import { MAX_TIME, MIN_TIME } from './serialize.js';
import { makeSeriesKey, nameProblem, parseSeriesKey } from './seriesKey.js';

// ---- errors -------------------------------------------------------------------------------

/** A payload that cannot be turned into points. Carries what a log line needs to act on it. */
export class MqttPayloadError extends BadRequestError {
  readonly topic: string;
  /** 1-based line (format line) or array element (format json), when known. */
  readonly line: number | undefined;
  /** Byte offset in the payload, when known. */
  readonly offset: number | undefined;
  constructor(topic: string, detail: string, where: { line?: number; offset?: number } = {}) {
    const at = where.line !== undefined ? `line ${where.line}: ` : where.offset !== undefined ? `at byte ${where.offset}: ` : '';
    super('STRATA_ERR_BAD_MQTT_PAYLOAD', `bad MQTT payload on topic ${JSON.stringify(topic)}: ${at}${detail}`);
    this.name = 'MqttPayloadError';
    this.topic = topic;
    this.line = where.line;
    this.offset = where.offset;
  }
}

/** A subscription or mapping that cannot work (found when the gateway starts). */
export function mappingError(topic: string, detail: string): BadRequestError {
  return new BadRequestError('STRATA_ERR_MQTT_CONFIG', `MQTT subscription ${JSON.stringify(topic)}: ${detail}`);
}

// ---- topics -------------------------------------------------------------------------------

/** Why `filter` is not a valid MQTT topic filter, or '' when it is. */
export function topicFilterProblem(filter: string): string {
  if (filter.length === 0) return 'is empty';
  if (filter.includes('\u0000')) return 'contains a NUL character';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '"#" must be a whole level and the last one';
    if (l.includes('+') && l !== '+') return '"+" must be a whole level';
  }
  return '';
}

/**
 * Whether the topic name matches the filter (MQTT 4.7). Both are assumed valid: the filter
 * by topicFilterProblem, the topic by coming from a broker (no wildcards).
 */
export function matchTopic(filter: string, topic: string): boolean {
  return matchLevels(filter.split('/'), topic.split('/'));
}

function matchLevels(filter: readonly string[], topic: readonly string[]): boolean {
  // 4.7.2: wildcards at the first level do not match $SYS/... and other $-topics
  if (topic.length > 0 && topic[0].charCodeAt(0) === 36 && (filter[0] === '+' || filter[0] === '#')) return false;
  const n = filter.length;
  for (let i = 0; i < n; i++) {
    const f = filter[i];
    if (f === '#') return true; // also matches the parent level: `a/#` matches `a`
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return n === topic.length;
}

/** A subscription topic: an MQTT filter whose `{name}` levels bind tags. */
export interface TopicPattern {
  /** The pattern as written. */
  readonly pattern: string;
  /** What to subscribe to: the pattern with `{name}` levels as `+`. */
  readonly filter: string;
  readonly levels: readonly string[];
  /** Bound names and the level index of each. */
  readonly names: readonly string[];
  readonly nameLevel: readonly number[];
}

const NAME_LEVEL = /^\{([^{}/+#]+)\}$/;

export function compileTopicPattern(pattern: string): TopicPattern {
  const raw = pattern.split('/');
  const names: string[] = [];
  const nameLevel: number[] = [];
  const levels = raw.map((l, i) => {
    const m = NAME_LEVEL.exec(l);
    if (!m) return l;
    if (names.includes(m[1])) throw mappingError(pattern, `the level name {${m[1]}} appears twice`);
    names.push(m[1]);
    nameLevel.push(i);
    return '+';
  });
  const filter = levels.join('/');
  const p = topicFilterProblem(filter);
  if (p !== '') throw mappingError(pattern, `is not a valid topic filter: ${p}`);
  if (/[{}]/.test(filter)) throw mappingError(pattern, 'a level with "{" or "}" must be exactly {name}');
  return { pattern, filter, levels, names, nameLevel };
}

/** The bound levels of `topic` (name -> text), or null when it does not match. */
export function bindTopic(p: TopicPattern, topic: string): Record<string, string> | null {
  const levels = topic.split('/');
  if (!matchLevels(p.levels, levels)) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.names.length; i++) out[p.names[i]] = levels[p.nameLevel[i]];
  return out;
}

// ---- mapping ------------------------------------------------------------------------------

export type PayloadFormat = 'line' | 'json' | 'value';

/**
 * How one subscription's messages become points. Value sources (measurement, tag values):
 * a JSON path (`$.a.b`, `$.a[0]`, `$["odd key"]`; format json only), a template with
 * `{level}` names from the topic pattern (`{device}_raw`), or a literal.
 */
export interface MqttMapping {
  format: PayloadFormat;
  /** json/value: the measurement (required). */
  measurement?: string;
  /** json/value: tag -> value source. Added to the tags bound by the topic pattern, and
   * replaces one of the same name. */
  tags?: Record<string, string>;
  /** json: `*` (default): every top-level number, boolean or string member not used as a tag
   * or time; a list of paths (field named by the path's last key); or field -> path. */
  fields?: '*' | readonly string[] | Record<string, string>;
  /** value: the field name (default `value`). */
  field?: string;
  /** json: path of the timestamp; absent: the receive time. Numbers and digit strings are in
   * `precision`; other strings are RFC 3339 (`2024-05-01T12:00:00.123456789Z`). */
  time?: string;
  /** line: unit of the timestamps; json: unit of numeric times. Default: ns for line, ms for json. */
  precision?: Precision;
  /** Whether the topic's `{name}` levels become tags (default true; for line protocol
   * they are added to each line that lacks that tag). */
  topicTags?: boolean;
}

export interface MqttRule {
  /** Topic pattern: an MQTT filter, where `{name}` is a `+` level bound to `name`. */
  topic: string;
  mapping: MqttMapping;
}

type PathSeg = string | number;
type Source =
  | { kind: 'literal'; text: string }
  | { kind: 'template'; parts: readonly (string | number)[] } // number: index into TopicPattern.names
  | { kind: 'path'; text: string; path: readonly PathSeg[] };

interface CompiledRule {
  readonly topic: TopicPattern;
  readonly format: PayloadFormat;
  readonly measurement: Source | null;
  /** Tag keys and sources, topic tags first (unless replaced), then mapped ones. */
  readonly tagKeys: readonly string[];
  readonly tagSources: readonly Source[];
  /** json: null for `*`. */
  readonly fieldKeys: readonly string[] | null;
  readonly fieldPaths: readonly (readonly PathSeg[])[];
  readonly fieldTexts: readonly string[];
  /** Top-level members `*` leaves out (used as tags or time). */
  readonly starSkip: ReadonlySet<string>;
  readonly field: string;
  readonly time: { text: string; path: readonly PathSeg[] } | null;
  readonly precision: Precision;
  /** line: topic-bound tags to add. */
  readonly lineTags: boolean;
}

/** Parses `$.a.b[0]["c d"]` into its segments, or returns why it cannot. */
export function parseJsonPath(text: string): PathSeg[] | string {
  if (text === '$') return [];
  if (!text.startsWith('$')) return 'must start with "$"';
  const out: PathSeg[] = [];
  let i = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '.') {
      let j = i + 1;
      while (j < n && text[j] !== '.' && text[j] !== '[') j++;
      if (j === i + 1) return `empty key at character ${i + 1}`;
      out.push(text.slice(i + 1, j));
      i = j;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return `unclosed "[" at character ${i}`;
      const inner = text.slice(i + 1, close);
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner) || /^'[^']*'$/.test(inner)) {
        out.push(inner[0] === '"' ? (JSON.parse(inner) as string) : inner.slice(1, -1));
      } else return `"[${inner}]" is neither an index nor a quoted key`;
      i = close + 1;
    } else return `unexpected ${JSON.stringify(c)} at character ${i}`;
  }
  return out;
}

function compileSource(rule: string, topic: TopicPattern, text: string, what: string, allowPath: boolean): Source {
  if (text.startsWith('$')) {
    if (!allowPath) throw mappingError(rule, `${what} ${JSON.stringify(text)}: JSON paths need format json`);
    const path = parseJsonPath(text);
    if (typeof path === 'string') throw mappingError(rule, `${what} ${JSON.stringify(text)} is not a JSON path: ${path}`);
    return { kind: 'path', text, path };
  }
  if (!text.includes('{')) return { kind: 'literal', text };
  const parts: (string | number)[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const k = topic.names.indexOf(m[1]);
    if (k < 0) throw mappingError(rule, `${what} ${JSON.stringify(text)} names {${m[1]}}, which is not a level of the topic pattern`);
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(k);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { kind: 'template', parts };
}

const PRECISIONS: readonly Precision[] = ['ns', 'us', 'ms', 's', 'm', 'h'];

/** Checks and prepares one subscription's mapping. Throws BadRequestError naming the topic. */
export function compileRule(rule: MqttRule): CompiledRule {
  const name = rule.topic;
  const topic = compileTopicPattern(rule.topic);
  const m = rule.mapping;
  if (m === null || typeof m !== 'object') throw mappingError(name, 'has no mapping');
  if (m.format !== 'line' && m.format !== 'json' && m.format !== 'value') {
    throw mappingError(name, `format ${JSON.stringify(m.format)} is not line, json or value`);
  }
  if (m.precision !== undefined && !PRECISIONS.includes(m.precision)) {
    throw mappingError(name, `precision ${JSON.stringify(m.precision)} is not one of ${PRECISIONS.join(', ')}`);
  }
  const json = m.format === 'json';
  const topicTags = m.topicTags !== false;
  let measurement: Source | null = null;
  if (m.format !== 'line') {
    if (typeof m.measurement !== 'string' || m.measurement === '') throw mappingError(name, `format ${m.format} needs a measurement`);
    measurement = compileSource(name, topic, m.measurement, 'measurement', json);
  }
  // Levels the measurement is made of are not also tags: `{kind}` as the measurement and as
  // a tag would say the same thing twice in every series key.
  const inMeasurement = new Set(measurement?.kind === 'template' ? measurement.parts.filter((p): p is number => typeof p === 'number') : []);
  if (m.format === 'line' && m.tags !== undefined) throw mappingError(name, 'format line takes its tags from the lines (and topic levels), not from "tags"');
  const mapped = m.tags ?? {};
  const tagKeys: string[] = [];
  const tagSources: Source[] = [];
  if (topicTags) {
    topic.names.forEach((n, k) => {
      if (inMeasurement.has(k) || Object.hasOwn(mapped, n)) return;
      tagKeys.push(n);
      tagSources.push({ kind: 'template', parts: [k] });
    });
  }
  const starSkip = new Set<string>();
  for (const [k, v] of Object.entries(mapped)) {
    const p = nameProblem('tag key', k);
    if (p !== '') throw mappingError(name, `tag key ${JSON.stringify(k)} ${p}`);
    if (typeof v !== 'string') throw mappingError(name, `tag ${JSON.stringify(k)} must be a string (a JSON path, template or literal)`);
    const s = compileSource(name, topic, v, `tag ${JSON.stringify(k)}`, json);
    if (s.kind === 'path' && s.path.length === 1 && typeof s.path[0] === 'string') starSkip.add(s.path[0]);
    tagKeys.push(k);
    tagSources.push(s);
  }

  let time: CompiledRule['time'] = null;
  if (m.time !== undefined) {
    if (!json) throw mappingError(name, `"time" needs format json (format ${m.format} ${m.format === 'line' ? 'carries its own timestamps' : 'uses the receive time'})`);
    const path = parseJsonPath(m.time);
    if (typeof path === 'string') throw mappingError(name, `time ${JSON.stringify(m.time)} is not a JSON path: ${path}`);
    if (path.length === 1 && typeof path[0] === 'string') starSkip.add(path[0]);
    time = { text: m.time, path };
  }

  let fieldKeys: string[] | null = null;
  const fieldPaths: PathSeg[][] = [];
  const fieldTexts: string[] = [];
  if (json && m.fields !== undefined && m.fields !== '*') {
    const entries: [string, string][] = Array.isArray(m.fields)
      ? (m.fields as readonly string[]).map((p) => {
          const path = parseJsonPath(p);
          const last = typeof path === 'string' ? undefined : path[path.length - 1];
          if (typeof last !== 'string') throw mappingError(name, `field path ${JSON.stringify(p)} does not end in a key to name the field by: use { name: path }`);
          return [last, p];
        })
      : Object.entries(m.fields as Record<string, string>);
    if (entries.length === 0) throw mappingError(name, 'fields is empty');
    fieldKeys = [];
    for (const [k, text] of entries) {
      const p = nameProblem('field key', k);
      if (p !== '') throw mappingError(name, `field key ${JSON.stringify(k)} ${p}`);
      const path = typeof text === 'string' ? parseJsonPath(text) : 'is not a string';
      if (typeof path === 'string') throw mappingError(name, `field ${JSON.stringify(k)}: ${JSON.stringify(text)} is not a JSON path: ${path}`);
      fieldKeys.push(k);
      fieldPaths.push(path);
      fieldTexts.push(text);
    }
  } else if (!json && m.fields !== undefined) {
    throw mappingError(name, `"fields" needs format json (format value names its field with "field")`);
  }
  const field = m.field ?? 'value';
  if (m.format === 'value') {
    const p = nameProblem('field key', field);
    if (p !== '') throw mappingError(name, `field ${JSON.stringify(field)} ${p}`);
  }
  const precision = m.precision ?? (json ? 'ms' : 'ns');
  return { topic, format: m.format, measurement, tagKeys, tagSources, fieldKeys, fieldPaths, fieldTexts, starSkip, field, time, precision, lineTags: topicTags && topic.names.length > 0 };
}

// ---- decoding -----------------------------------------------------------------------------

export interface Decoded {
  /** Index of the rule (subscription) the topic matched. */
  rule: number;
  batch: PointBatch;
}

/**
 * Decodes messages for a fixed list of rules. Holds a line-protocol parser (its caches) and
 * a UTF-8 decoder, so keep one per subscriber. Not reentrant across awaits: decode() runs to
 * completion.
 */
export class MqttPayloadDecoder {
  private readonly rules: CompiledRule[];
  private readonly lp = new LineProtocolParser();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private readonly maxBytes: number;

  /** Throws BadRequestError when a rule is invalid. `maxPayloadBytes` defaults to 1 MiB. */
  constructor(rules: readonly MqttRule[], opts: { maxPayloadBytes?: number } = {}) {
    this.rules = rules.map(compileRule);
    this.maxBytes = opts.maxPayloadBytes ?? 1 << 20;
  }

  /** The topic filter of each rule, to subscribe to. */
  filters(): string[] {
    return this.rules.map((r) => r.topic.filter);
  }

  /**
   * Points of one message; `receivedNs` is the time of points without their own. Throws
   * MqttPayloadError (and only that) when the message cannot be decoded whole.
   */
  decode(topic: string, payload: Buffer, receivedNs: bigint): Decoded {
    const levels = topic.split('/');
    let k = 0;
    while (k < this.rules.length && !matchLevels(this.rules[k].topic.levels, levels)) k++;
    if (k === this.rules.length) throw new MqttPayloadError(topic, 'the topic matches no subscription pattern');
    const rule = this.rules[k];
    if (payload.length > this.maxBytes) throw new MqttPayloadError(topic, `payload of ${payload.length} bytes is over the ${this.maxBytes}-byte limit`);
    const bound = rule.topic.nameLevel.map((l) => levels[l]);
    let batch: PointBatch;
    switch (rule.format) {
      case 'line':
        batch = this.decodeLine(rule, topic, bound, payload, receivedNs);
        break;
      case 'json':
        batch = this.decodeJson(rule, topic, bound, payload, receivedNs);
        break;
      case 'value':
        batch = this.decodeValue(rule, topic, bound, payload, receivedNs);
        break;
    }
    return { rule: k, batch };
  }

  private decodeLine(rule: CompiledRule, topic: string, bound: readonly string[], payload: Buffer, now: bigint): PointBatch {
    const batch = this.lp.parse(payload, { precision: rule.precision, defaultTime: now });
    if (batch.errors.length > 0) {
      const e = batch.errors[0];
      const more = batch.errors.length > 1 ? ` (and ${batch.errors.length - 1} more bad lines)` : '';
      throw new MqttPayloadError(topic, e.message + more, { line: e.line });
    }
    if (batch.count === 0) throw new MqttPayloadError(topic, 'no line protocol lines (the payload is empty, blank or only comments)');
    if (rule.lineTags) addTopicTags(rule, topic, bound, batch);
    return batch;
  }

  private decodeValue(rule: CompiledRule, topic: string, bound: readonly string[], payload: Buffer, now: bigint): PointBatch {
    const text = this.text(topic, payload).trim();
    let type: number;
    let v: number;
    if (text === 'true' || text === 'false') {
      type = BOOLEAN;
      v = text === 'true' ? 1 : 0;
    } else if (NUMBER.test(text)) {
      type = FLOAT;
      v = Number(text);
      if (!Number.isFinite(v)) throw new MqttPayloadError(topic, `${quote(text)} is out of the float64 range`);
    } else {
      throw new MqttPayloadError(topic, `${quote(text)} is not a number, true or false (format value)`);
    }
    const batch = new PointBatch(1, 1);
    const key = this.seriesKey(rule, topic, bound, null, 1);
    const j = beginPoint(batch, key, now, 1, 1);
    batch.fieldKey[j] = rule.field;
    batch.fieldType[j] = type;
    batch.fieldF64[j] = v;
    endPoint(batch);
    return batch;
  }

  private decodeJson(rule: CompiledRule, topic: string, bound: readonly string[], payload: Buffer, now: bigint): PointBatch {
    const text = this.text(topic, payload);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const pos = /position (\d+)/.exec(msg);
      // V8 names a character position, or says the input ended: report bytes either way
      const offset = pos ? Buffer.byteLength(text.slice(0, Number(pos[1]))) : /end of JSON input/.test(msg) ? payload.length : undefined;
      throw new MqttPayloadError(topic, `not valid JSON (${msg})`, { offset });
    }
    const items = Array.isArray(doc) ? doc : [doc];
    if (items.length === 0) throw new MqttPayloadError(topic, 'an empty JSON array has no points');
    const batch = new PointBatch(items.length, items.length * 4);
    for (let e = 0; e < items.length; e++) {
      const obj = items[e];
      // element numbers only when the payload is an array, so a single object's errors read plainly
      const line = Array.isArray(doc) ? e + 1 : undefined;
      const fail = (detail: string): never => {
        throw new MqttPayloadError(topic, line === undefined ? detail : `element ${line}: ${detail}`);
      };
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(`expected a JSON object, got ${jsonType(obj)}`);
      const key = this.seriesKey(rule, topic, bound, obj as object, e + 1);
      const t = rule.time === null ? now : jsonTime(getPath(obj, rule.time.path), rule.time.text, rule.precision, fail);
      beginPoint(batch, key, t, e + 1, 0);
      let added = 0;
      const add = (k: string, v: unknown, path: string): void => {
        if (v === undefined || v === null) return;
        batch.ensureFields(1);
        const j = batch.fieldCount;
        if (typeof v === 'number') {
          batch.fieldType[j] = FLOAT;
          batch.fieldF64[j] = v;
        } else if (typeof v === 'boolean') {
          batch.fieldType[j] = BOOLEAN;
          batch.fieldF64[j] = v ? 1 : 0;
        } else if (typeof v === 'string') {
          batch.fieldType[j] = STRING;
          batch.fieldStr[j] = v;
        } else {
          fail(`field ${JSON.stringify(k)} (${path}) is ${jsonType(v)}; fields take numbers, booleans or strings`);
        }
        batch.fieldKey[j] = k;
        batch.fieldCount = j + 1;
        added++;
      };
      if (rule.fieldKeys === null) {
        for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
          if (rule.starSkip.has(k) || v === null || typeof v === 'object') continue;
          const p = nameProblem('field key', k);
          if (p !== '') fail(`member ${JSON.stringify(k)} cannot be a field: its name ${p} (map it with "fields", or as the time)`);
          add(k, v, `$.${k}`);
        }
      } else {
        for (let f = 0; f < rule.fieldKeys.length; f++) add(rule.fieldKeys[f], getPath(obj, rule.fieldPaths[f]), rule.fieldTexts[f]);
      }
      if (added === 0) fail(rule.fieldKeys === null ? 'no number, boolean or string members to store as fields' : `none of the field paths (${rule.fieldTexts.join(', ')}) is present`);
      endPoint(batch);
    }
    return batch;
  }

  private text(topic: string, payload: Buffer): string {
    try {
      return this.utf8.decode(payload);
    } catch {
      throw new MqttPayloadError(topic, 'the payload is not valid UTF-8', { offset: firstBadUtf8(payload) });
    }
  }

  /** Series key from measurement and tag sources; `obj` is null for format value. */
  private seriesKey(rule: CompiledRule, topic: string, bound: readonly string[], obj: object | null, element: number): string {
    const where = obj !== null && element > 0 ? `element ${element}: ` : '';
    const meas = resolve(rule.measurement!, bound, obj);
    if (meas === undefined || meas === null || meas === '') {
      throw new MqttPayloadError(topic, `${where}the measurement (${sourceText(rule.measurement!)}) is missing or empty`);
    }
    if (typeof meas === 'object') throw new MqttPayloadError(topic, `${where}the measurement (${sourceText(rule.measurement!)}) is ${jsonType(meas)}, not a name`);
    const tags: [string, string][] = [];
    for (let i = 0; i < rule.tagKeys.length; i++) {
      const v = resolve(rule.tagSources[i], bound, obj);
      // An absent or empty tag is left out, as line protocol cannot carry an empty tag value.
      if (v === undefined || v === null || v === '') continue;
      if (typeof v === 'object') throw new MqttPayloadError(topic, `${where}tag ${JSON.stringify(rule.tagKeys[i])} (${sourceText(rule.tagSources[i])}) is ${jsonType(v)}, not a value`);
      tags.push([rule.tagKeys[i], String(v)]);
    }
    try {
      return makeSeriesKey(String(meas), tags);
    } catch (err) {
      throw new MqttPayloadError(topic, `${where}${(err as Error).message}`);
    }
  }
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 61)}...` : s);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function sourceText(s: Source): string {
  return s.kind === 'path' ? s.text : s.kind === 'literal' ? JSON.stringify(s.text) : 'a topic template';
}

function resolve(s: Source, bound: readonly string[], obj: object | null): unknown {
  switch (s.kind) {
    case 'literal':
      return s.text;
    case 'template': {
      let out = '';
      for (const p of s.parts) out += typeof p === 'number' ? bound[p] : p;
      return out;
    }
    case 'path':
      return obj === null ? undefined : getPath(obj, s.path);
  }
}

function getPath(obj: unknown, path: readonly PathSeg[]): unknown {
  let v = obj;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[seg];
    } else {
      if (Array.isArray(v) || !Object.hasOwn(v, seg)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    }
  }
  return v;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds of an RFC 3339 timestamp (exact to the ns), or undefined when it is not one. */
export function parseRfc3339(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, se === 60 ? 59 : se); // a leap second reads as :59
  if (!Number.isFinite(ms) || new Date(ms).getUTCDate() !== d) return undefined; // 2023-02-30
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  if (m[9] !== undefined) {
    const off = (Number(m[10]) * 60 + Number(m[11])) * 60;
    if (Number(m[10]) > 23 || Number(m[11]) > 59) return undefined;
    ns -= BigInt(m[9] === '-' ? -off : off) * 1_000_000_000n;
  }
  return ns;
}

function jsonTime(v: unknown, path: string, precision: Precision, fail: (d: string) => never): bigint {
  const unit = PRECISION_NS[precision];
  let t: bigint;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(`time (${path}) ${v} is not a finite number`);
    // Whole units exactly, the fraction rounded to the ns: 1714567890.123456 s keeps its µs.
    const whole = Math.floor(v);
    if (!Number.isSafeInteger(whole)) fail(`time (${path}) ${v} is too large to be exact as a JSON number: send it as a string of digits`);
    t = BigInt(whole) * unit + BigInt(Math.round((v - whole) * Number(unit)));
  } else if (typeof v === 'string') {
    if (/^-?\d{1,20}$/.test(v)) t = BigInt(v) * unit;
    else {
      const r = parseRfc3339(v);
      if (r === undefined) fail(`time (${path}) ${quote(v)} is neither a number of ${precision} nor an RFC 3339 timestamp`);
      t = r!;
    }
  } else {
    fail(v === undefined ? `time (${path}) is missing` : `time (${path}) is ${jsonType(v)}, not a number or RFC 3339 string`);
  }
  if (t! < MIN_TIME || t! > MAX_TIME) fail(`time (${path}) is outside the range Strata stores (1677-09-21 to 2262-04-11)`);
  return t!;
}

/** Starts point `batch.count` and returns the index of its first field. */
function beginPoint(batch: PointBatch, key: string, t: bigint, lineNo: number, fields: number): number {
  batch.ensurePoint();
  const i = batch.count;
  const u = BigInt.asUintN(64, t);
  batch.seriesKey[i] = key;
  batch.time[2 * i] = Number(u & 0xffffffffn);
  batch.time[2 * i + 1] = Number(u >> 32n);
  batch.lineNo[i] = lineNo;
  batch.fieldStart[i] = batch.fieldCount;
  if (fields > 0) {
    batch.ensureFields(fields);
    batch.fieldCount += fields;
  }
  return batch.fieldStart[i];
}

function endPoint(batch: PointBatch): void {
  batch.count++;
  batch.fieldStart[batch.count] = batch.fieldCount;
  batch.lines++;
}

/** Adds the topic-bound tags to each line-protocol point that does not carry that tag. */
function addTopicTags(rule: CompiledRule, topic: string, bound: readonly string[], batch: PointBatch): void {
  // Most payloads repeat a few series keys: rebuild each distinct one once.
  const done = new Map<string, string>();
  for (let i = 0; i < batch.count; i++) {
    const raw = batch.seriesKey[i];
    let key = done.get(raw);
    if (key === undefined) {
      const { measurement, tags } = parseSeriesKey(raw);
      for (let t = 0; t < rule.tagKeys.length; t++) {
        const k = rule.tagKeys[t];
        const v = resolve(rule.tagSources[t], bound, null) as string;
        if (v !== '' && !tags.some((x) => x[0] === k)) tags.push([k, v]);
      }
      try {
        key = makeSeriesKey(measurement, tags);
      } catch (err) {
        throw new MqttPayloadError(topic, `topic level as a tag: ${(err as Error).message}`, { line: batch.lineNo[i] });
      }
      done.set(raw, key);
    }
    batch.seriesKey[i] = key;
  }
}

/** Byte offset of the first byte that breaks UTF-8 (for the error message). */
function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    // overlong 3/4-byte forms, surrogates and > U+10FFFF
    if (n === 3 && ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] >= 0xa0))) return i;
    if (n === 4 && ((c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] >= 0x90))) return i;
    i += n;
  }
  return i;
}
