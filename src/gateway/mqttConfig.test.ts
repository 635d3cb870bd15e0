import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mqttOptionsFromConfig, parseMqttTopicFlag } from './mqttConfig.js';

describe('--mqtt-topic', () => {
  it('defaults to line protocol into the default database', () => {
    expect(parseMqttTopicFlag('telegraf/#', 'mqtt')).toEqual({ topic: 'telegraf/#', mapping: { format: 'line' }, db: 'mqtt' });
  });

  it('takes ;key=value options', () => {
    expect(parseMqttTopicFlag('sensors/{site}/{device}/telemetry;format=json;measurement=env;time=$.ts;precision=s;fields=$.temp,$.hum;tag.unit=$.u;db=edge;rp=raw;qos=0', 'mqtt')).toEqual({
      topic: 'sensors/{site}/{device}/telemetry',
      mapping: { format: 'json', measurement: 'env', time: '$.ts', precision: 's', fields: ['$.temp', '$.hum'], tags: { unit: '$.u' } },
      db: 'edge',
      rp: 'raw',
      qos: 0,
    });
  });

  it('explains what is wrong', () => {
    expect(() => parseMqttTopicFlag('a;colour=red', 'd')).toThrow(/unknown option "colour"/);
    expect(() => parseMqttTopicFlag('a;format=json', 'd')).toThrow(/needs a measurement/);
    expect(() => parseMqttTopicFlag('a/#/b', 'd')).toThrow(/"#" must be a whole level and the last one/);
    expect(() => parseMqttTopicFlag('a;qos=3', 'd')).toThrow(/qos must be 0, 1 or 2/);
  });
});

describe('mqtt config section', () => {
  it('reads the documented YAML shape', () => {
    const doc = parseYaml(`
mqtt:
  url: mqtt://broker.local:1883
  clientId: edge-1
  connections: 4
  fsync: always
  db: edge
  subscriptions:
    - topic: sensors/{site}/{device}/telemetry
      format: json
      measurement: env
      time: $.ts
      precision: ms
      tags: { unit: $.unit }
    - topic: telegraf/#
      db: metrics
`) as { mqtt: unknown };
    expect(mqttOptionsFromConfig(doc.mqtt, { clientId: 'strata-host', db: 'mqtt' })).toEqual({
      url: 'mqtt://broker.local:1883',
      clientId: 'edge-1',
      connections: 4,
      fsync: 'always',
      subscriptions: [
        { topic: 'sensors/{site}/{device}/telemetry', db: 'edge', mapping: { format: 'json', measurement: 'env', time: '$.ts', precision: 'ms', tags: { unit: '$.unit' } } },
        { topic: 'telegraf/#', db: 'metrics', mapping: { format: 'line' } },
      ],
    });
  });

  it('refuses unknown keys and bad values', () => {
    expect(() => mqttOptionsFromConfig({ url: 'mqtt://x', subscriptions: [{ topic: 'a', colour: 1 }] }, { clientId: 'c', db: 'd' })).toThrow(/subscriptions\[0\]\.colour is not a setting/);
    expect(() => mqttOptionsFromConfig({ url: 'http://x', subscriptions: [{ topic: 'a' }] }, { clientId: 'c', db: 'd' })).toThrow(/broker URL/);
    expect(() => mqttOptionsFromConfig({ url: 'mqtt://x', subscriptions: [] }, { clientId: 'c', db: 'd' })).toThrow(/at least one topic/);
  });
});
