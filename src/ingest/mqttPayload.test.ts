import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOOLEAN, FLOAT, STRING } from '../types.js';
import type { PointBatch } from './batch.js';
import {
  bindTopic,
  compileTopicPattern,
  matchTopic,
  MqttPayloadDecoder,
  MqttPayloadError,
  parseJsonPath,
  parseRfc3339,
  topicFilterProblem,
  type MqttMapping,
} from './mqttPayload.js';

const NOW = 1_700_000_000_123_456_789n;

/** The points of a batch as plain objects, for readable expectations. */
function points(b: PointBatch) {
  const out = [];
  for (let i = 0; i < b.count; i++) {
    const fields: Record<string, unknown> = {};
    for (let j = b.fieldStart[i]; j < b.fieldStart[i + 1]; j++) {
      const t = b.fieldType[j];
      fields[b.fieldKey[j]] = t === STRING ? b.fieldStr[j] : t === BOOLEAN ? b.fieldF64[j] === 1 : t === FLOAT ? b.fieldF64[j] : `type${t}`;
    }
    out.push({ key: b.seriesKey[i], time: b.timeOf(i), fields });
  }
  return out;
}

function decoder(topic: string, mapping: MqttMapping) {
  return new MqttPayloadDecoder([{ topic, mapping }]);
}

function decode(topic: string, mapping: MqttMapping, msgTopic: string, payload: string | Buffer) {
  return points(decoder(topic, mapping).decode(msgTopic, typeof payload === 'string' ? Buffer.from(payload) : payload, NOW).batch);
}

function errorOf(f: () => unknown): MqttPayloadError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(MqttPayloadError);
    return err as MqttPayloadError;
  }
  throw new Error('expected an MqttPayloadError');
}

describe('topic filters', () => {
  it('matches as MQTT 4.7 says', () => {
    expect(matchTopic('a/+/c', 'a/b/c')).toBe(true);
    expect(matchTopic('a/+/c', 'a/b/d')).toBe(false);
    expect(matchTopic('a/#', 'a')).toBe(true);
    expect(matchTopic('a/#', 'a/b/c')).toBe(true);
    expect(matchTopic('#', 'x/y')).toBe(true);
    expect(matchTopic('+', '')).toBe(true);
    expect(matchTopic('+/+', '/finance')).toBe(true);
    expect(matchTopic('/+', '/finance')).toBe(true);
    expect(matchTopic('+', '/finance')).toBe(false);
    expect(matchTopic('#', '$SYS/broker')).toBe(false);
    expect(matchTopic('+/broker', '$SYS/broker')).toBe(false);
    expect(matchTopic('$SYS/#', '$SYS/broker')).toBe(true);
  });

  it('rejects invalid filters and patterns', () => {
    expect(topicFilterProblem('a/#/b')).toMatch(/last/);
    expect(topicFilterProblem('a/b#')).toMatch(/whole level/);
    expect(topicFilterProblem('a+/b')).toMatch(/whole level/);
    expect(topicFilterProblem('')).toMatch(/empty/);
    expect(() => compileTopicPattern('s/{a}/{a}')).toThrow(/twice/);
    expect(() => compileTopicPattern('s/x{a}')).toThrow(/exactly \{name\}/);
  });

  it('binds {name} levels', () => {
    const p = compileTopicPattern('sensors/{site}/{device}/telemetry');
    expect(p.filter).toBe('sensors/+/+/telemetry');
    expect(bindTopic(p, 'sensors/berlin/d7/telemetry')).toEqual({ site: 'berlin', device: 'd7' });
    expect(bindTopic(p, 'sensors/berlin/d7/status')).toBeNull();
  });

  // Topic levels: any text without the separators and wildcards (a broker never sends those).
  const level = fc.string({ maxLength: 6 }).filter((s) => !/[/+#\u0000]/.test(s) && !s.startsWith('$'));
  // a topic name has at least one character (MQTT 4.7.3)
  const topicLevels = fc.array(level, { minLength: 1, maxLength: 6 }).filter((l) => l.join('/') !== '');

  it('property: a filter made from a topic by wildcarding levels matches it', () => {
    fc.assert(
      fc.property(topicLevels, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.nat(7), (levels, plus, cut) => {
        const f = levels.map((l, i) => (plus[i] ? '+' : l));
        const filter = cut < f.length ? [...f.slice(0, cut), '#'].join('/') : f.join('/');
        expect(topicFilterProblem(filter)).toBe('');
        expect(matchTopic(filter, levels.join('/'))).toBe(true);
      }),
    );
  });

  it('property: changing a literal level, or the number of levels, breaks the match', () => {
    fc.assert(
      fc.property(topicLevels, fc.nat(5), level, (levels, at, other) => {
        const i = at % levels.length;
        fc.pre(other !== levels[i]);
        const topic = levels.join('/');
        const changed = levels.slice();
        changed[i] = other;
        expect(matchTopic(changed.join('/'), topic)).toBe(false);
        expect(matchTopic([...levels, '+'].join('/'), topic)).toBe(false);
        if (levels.length > 1) expect(matchTopic(levels.slice(0, -1).join('/'), topic)).toBe(false);
      }),
    );
  });

  it('property: a pattern with {names} binds back the levels it was made from', () => {
    fc.assert(
      fc.property(topicLevels, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (levels, named) => {
        const pattern = levels.map((l, i) => (named[i] ? `{n${i}}` : l)).join('/');
        fc.pre(!/[{}]/.test(levels.join('')));
        const p = compileTopicPattern(pattern);
        const want: Record<string, string> = {};
        levels.forEach((l, i) => {
          if (named[i]) want[`n${i}`] = l;
        });
        expect(bindTopic(p, levels.join('/'))).toEqual(want);
      }),
    );
  });
});

describe('format line', () => {
  it('reuses the line-protocol parser, several lines, with topic levels as tags', () => {
    const got = decode('plant/{site}/lp', { format: 'line', precision: 's' }, 'plant/hh/lp', 'cpu,host=a usage=1.5 1700000000\ncpu,host=b,site=own usage=2\n');
    expect(got).toEqual([
      { key: 'cpu,host=a,site=hh', time: 1_700_000_000_000_000_000n, fields: { usage: 1.5 } },
      { key: 'cpu,host=b,site=own', time: 1_700_000_000_000_000_000n, fields: { usage: 2 } }, // default time truncated to s
    ]);
  });

  it('a bad line rejects the whole message, naming topic and line', () => {
    const e = errorOf(() => decode('lp/#', { format: 'line' }, 'lp/x', 'cpu v=1\ncpu v=\ncpu v=3'));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^bad MQTT payload on topic "lp\/x": line 2: unable to parse 'cpu v='/);
    expect(errorOf(() => decode('lp', { format: 'line' }, 'lp', '\n# only a comment\n')).message).toMatch(/no line protocol lines/);
  });
});

describe('format json', () => {
  const mapping: MqttMapping = { format: 'json', measurement: 'env', fields: '*', time: '$.ts', precision: 'ms' };

  it('maps topic levels to tags and every top-level scalar to a field', () => {
    const got = decode('sensors/{site}/{device}/telemetry', mapping, 'sensors/berlin/d7/telemetry', '{"temp":21.5,"ok":true,"state":"run","ts":1700000000123,"nested":{"x":1},"n":null}');
    expect(got).toEqual([{ key: 'env,device=d7,site=berlin', time: 1_700_000_000_123_000_000n, fields: { temp: 21.5, ok: true, state: 'run' } }]);
  });

  it('takes measurement from a level, tags and fields from paths, arrays of objects, RFC 3339', () => {
    const m: MqttMapping = {
      format: 'json',
      measurement: '{kind}_raw',
      tags: { unit: '$.meta.unit', line: 'L1' },
      fields: { t: '$.values[0]', h: '$["rel hum"]' },
      time: '$.at',
    };
    const got = decode('plant/{kind}/{device}', m, 'plant/climate/d1', '[{"values":[20,1],"rel hum":40,"meta":{"unit":"C"},"at":"2024-05-01T12:00:00.123456789+02:00"},{"values":[21],"at":"2024-05-01T10:00:01Z"}]');
    expect(got).toEqual([
      { key: 'climate_raw,device=d1,line=L1,unit=C', time: parseRfc3339('2024-05-01T10:00:00.123456789Z'), fields: { t: 20, h: 40 } },
      { key: 'climate_raw,device=d1,line=L1', time: parseRfc3339('2024-05-01T10:00:01Z'), fields: { t: 21 } },
    ]);
    expect(parseRfc3339('2024-05-01T10:00:00.123456789Z')).toBe(1_714_557_600_123_456_789n);
  });

  it('uses the receive time by default; fractional seconds keep their digits', () => {
    expect(decode('t', { format: 'json', measurement: 'm' }, 't', '{"v":1}')[0].time).toBe(NOW);
    expect(decode('t', { format: 'json', measurement: 'm', time: '$.t', precision: 's' }, 't', '{"v":1,"t":1700000000.25}')[0].time).toBe(1_700_000_000_250_000_000n);
    expect(decode('t', { format: 'json', measurement: 'm', time: '$.t', precision: 'ns' }, 't', '{"v":1,"t":"1700000000123456789"}')[0].time).toBe(1_700_000_000_123_456_789n);
  });

  it('explains bad payloads with the topic and the place', () => {
    const d = decoder('s/{dev}', mapping);
    const err = (p: string) => errorOf(() => d.decode('s/x', Buffer.from(p), NOW));
    const e = err('{"temp": 1,, }');
    expect(e.offset).toBe(11);
    expect(e.message).toMatch(/^bad MQTT payload on topic "s\/x": at byte 11: not valid JSON/);
    expect(err('[{"temp":1,"ts":1},{"temp":{"a":1},"ts":2}]').message).toMatch(/element 2: no number, boolean or string members/);
    expect(err('{"temp":1}').message).toMatch(/time \(\$\.ts\) is missing/);
    expect(err('{"temp":1,"ts":"yesterday"}').message).toMatch(/neither a number of ms nor an RFC 3339/);
    expect(err('42').message).toMatch(/expected a JSON object, got a number/);
    expect(err('[]').message).toMatch(/empty JSON array/);
    expect(err('{"time":1,"ts":1}').message).toMatch(/"time" cannot be a field/);
    expect(errorOf(() => d.decode('s/x', Buffer.from([0x7b, 0xff, 0x7d]), NOW)).message).toMatch(/at byte 1: the payload is not valid UTF-8/);
    expect(errorOf(() => d.decode('other', Buffer.from('{}'), NOW)).message).toMatch(/matches no subscription/);
  });

  it('refuses bad mappings when compiled', () => {
    expect(() => decoder('a', { format: 'json' })).toThrow(/needs a measurement/);
    expect(() => decoder('a', { format: 'json', measurement: '{x}' })).toThrow(/not a level of the topic pattern/);
    expect(() => decoder('a', { format: 'json', measurement: 'm', fields: { f: 'temp' } })).toThrow(/must start with "\$"/);
    expect(() => decoder('a', { format: 'value', measurement: '$.m' })).toThrow(/need format json/);
    expect(() => decoder('a', { format: 'line', tags: { a: 'b' } })).toThrow(/format line takes its tags/);
    expect(() => decoder('a', { format: 'csv' as 'line' })).toThrow(/not line, json or value/);
    expect(parseJsonPath('$.a[2]["b.c"]')).toEqual(['a', 2, 'b.c']);
  });

  // JSON members the `*` mapping stores: names that can be field keys, scalar values.
  const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'time' && k !== '__proto__' && !/[\u0000-\u001f\u007f\\\ud800-\udfff]/.test(k));
  const scalar = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string({ maxLength: 10 }));

  it('property: every scalar member round-trips through `*` as a field, exactly', () => {
    const d = decoder('p/{dev}', { format: 'json', measurement: 'm' });
    fc.assert(
      fc.property(fc.dictionary(key, scalar, { minKeys: 1, maxKeys: 8 }), fc.string({ minLength: 1, maxLength: 5 }).filter((s) => !/[/+#\u0000{}\\\n\r]/.test(s)), (obj, dev) => {
        const got = points(d.decode(`p/${dev}`, Buffer.from(JSON.stringify(obj)), NOW).batch);
        expect(got).toHaveLength(1);
        // JSON has no -0: it prints as 0
        expect(got[0].fields).toEqual(JSON.parse(JSON.stringify(obj)));
        expect(got[0].time).toBe(NOW);
      }),
    );
  });

  it('property: any bytes, any JSON: points or MqttPayloadError, nothing else', () => {
    const d = new MqttPayloadDecoder([
      { topic: 'j/{a}', mapping: { format: 'json', measurement: '$.m', tags: { t: '$.t' }, fields: { v: '$.v', w: '$.x[1]' }, time: '$.ts', precision: 'us' } },
      { topic: 's/#', mapping: { format: 'json', measurement: 'm' } },
      { topic: 'l', mapping: { format: 'line' } },
      { topic: 'v/{dev}', mapping: { format: 'value', measurement: '{dev}' } },
    ]);
    const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null');
    const shaped = fc.record({ m: fc.oneof(fc.string(), fc.jsonValue()), t: fc.jsonValue(), v: fc.jsonValue(), x: fc.jsonValue(), ts: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.jsonValue()) }, { requiredKeys: [] }).map((o) => JSON.stringify(o));
    const payload = fc.oneof(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), json.map((s) => Buffer.from(s)), shaped.map((s) => Buffer.from(s)), fc.string().map((s) => Buffer.from(s)));
    const topic = fc.constantFrom('j/x', 'j/', 's/a/b', 'l', 'v/d1', 'v/', 'v/a,b', 'nope');
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        try {
          const r = d.decode(t, p, NOW);
          expect(r.batch.count).toBeGreaterThan(0);
          expect(r.batch.errors).toEqual([]);
        } catch (err) {
          if (!(err instanceof MqttPayloadError)) throw err;
          expect(err.message).toContain(JSON.stringify(t));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('format value', () => {
  const m: MqttMapping = { format: 'value', measurement: 'power', field: 'watts' };

  it('stores a number or boolean with the receive time', () => {
    expect(decode('meter/{id}', m, 'meter/m1', ' 230.5\n')).toEqual([{ key: 'power,id=m1', time: NOW, fields: { watts: 230.5 } }]);
    expect(decode('meter/{id}', m, 'meter/m1', 'true')[0].fields).toEqual({ watts: true });
    expect(decode('meter/{id}', m, 'meter/m1', '-1e3')[0].fields).toEqual({ watts: -1000 });
  });

  it('rejects anything else', () => {
    expect(errorOf(() => decode('meter/{id}', m, 'meter/m1', 'on')).message).toMatch(/"on" is not a number, true or false/);
    expect(errorOf(() => decode('meter/{id}', m, 'meter/m1', '1e999')).message).toMatch(/out of the float64 range/);
    expect(errorOf(() => decode('meter/{id}', m, 'meter/m1', '')).message).toMatch(/"" is not a number/);
  });

  it('property: any finite double printed by JavaScript reads back bit for bit', () => {
    const d = decoder('v', m);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const got = d.decode('v', Buffer.from(Object.is(x, -0) ? '-0' : String(x)), NOW).batch;
        expect(Object.is(got.fieldF64[0], x)).toBe(true);
      }),
    );
  });
});
