// `strata gateway`: flags and config file (precedence, unknown keys, bad upstream URLs),
// and a gateway run in-process that forwards to an in-process central server, with
// `strata gateway status` printing its upstream; with mosquitto, MQTT messages too.

import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { exportLineProtocol } from '../engine/export.js';
import { hasMosquitto, startBroker, type Broker } from '../gateway/testing/broker.js';
import { cleanup, setup } from '../server/testing/harness.js';
import { parseArgs, UsageError } from './args.js';
import { formatGatewayStatus, GATEWAY_SPEC, loadGatewayConfig, parseRollupFlag, resolveGatewaySettings } from './gateway.js';
import { main } from './main.js';
import { removeTempDirs, tempDir, testIo } from './testing/io.js';
import { logLines, startServer, waitFor } from './testing/server.js';

const brokers: Broker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.stop();
  await cleanup();
  removeTempDirs();
});

function settings(argv: string[], yaml?: string, env: Record<string, string> = {}) {
  const args = parseArgs(GATEWAY_SPEC, argv, env);
  if (yaml === undefined) return resolveGatewaySettings(args, {}, { hostname: 'box' });
  const file = path.join(tempDir(), 'gateway.yaml');
  fs.writeFileSync(file, yaml);
  return resolveGatewaySettings(args, loadGatewayConfig(file), { configFile: file, hostname: 'box' });
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

const CONFIG = `
port: 9999
bind: 127.0.0.1
fsync: interval
autoCreate: false
dataDir: data
upstreams:
  - url: http://central:8086/write?db=edge
    token: secret
  - url: http://backup:8086/api/v2/write?bucket=edge&org=acme
    name: backup
    databases: [plant]
forward: { maxBytes: 1000000, maxAge: 7d, policy: refuse }
mqtt:
  url: mqtt://127.0.0.1:1883
  username: strata
  connections: 2
  db: sensors
  subscriptions:
    - topic: sensors/{site}/{device}
      format: json
      measurement: env
retention: { duration: 30d, tiers: "1m:90d,1h:INF" }
`;

describe('strata gateway settings', () => {
  it('is a command with help that lists the serve and gateway flags', async () => {
    const io = testIo();
    expect(await main(['help', 'gateway'], io)).toBe(0);
    expect(io.out.text).toMatch(/Usage: strata gateway \[flags\]  \|  gateway status/);
    for (const f of ['--data-dir', '--fsync', '--config FILE', '--upstream URL', '--upstream-token', '--forward-max-bytes', '--forward-max-age', '--forward-policy', '--forward-rollup', '--mqtt-url', '--mqtt-topic', '--mqtt-db', '--mqtt-client-id', '--retention']) {
      expect(io.out.text).toContain(f);
    }
    const st = testIo();
    expect(await main(['gateway', 'status', '--help'], st)).toBe(0);
    expect(st.out.text).toMatch(/--url URL .*default: http:\/\/127\.0\.0\.1:8086/);
    const bad = testIo();
    expect(await main(['gateway', '--upstream', 'nope'], bad)).toBe(2);
    expect(bad.err.text).toMatch(/^strata gateway: --upstream nope: /);
  });

  it('reads the config file: serve keys, upstreams, cap, MQTT, retention', () => {
    const s = settings([], CONFIG);
    expect(s.args.number('port')).toBe(9999);
    expect(s.args.string('bind')).toBe('127.0.0.1');
    expect(s.args.string('fsync')).toBe('interval');
    expect(s.args.boolean('auto-create')).toBe(false);
    // relative paths in the file are relative to the file
    expect(path.isAbsolute(s.args.string('data-dir')!)).toBe(true);
    expect(s.args.number('memtable-size')).toBe(64 * 1024 * 1024); // default kept
    expect(s.upstreams).toEqual([
      { name: 'central_8086', url: 'http://central:8086/write?db=edge', token: 'secret' },
      { name: 'backup', url: 'http://backup:8086/api/v2/write?bucket=edge&org=acme', databases: ['plant'] },
    ]);
    expect(s.cap).toEqual({ maxBytes: 1_000_000, maxAgeMs: 7 * 86_400_000, policy: 'refuse' });
    expect(s.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', username: 'strata', connections: 2, clientId: 'strata-box' });
    expect(s.mqtt!.subscriptions).toHaveLength(1);
    expect(s.mqtt!.subscriptions[0]).toMatchObject({ topic: 'sensors/{site}/{device}', db: 'sensors', mapping: { format: 'json', measurement: 'env' } });
    expect(s.retention.durationNs).toBe(30n * 86_400_000_000_000n);
    expect(s.retention.tiers).toEqual([
      { resolution: 60_000_000_000n, duration: 90n * 86_400_000_000_000n },
      { resolution: 3_600_000_000_000n, duration: 0n },
    ]);
  });

  it('flags and environment variables win over the file, the file over the defaults', () => {
    const s = settings(
      [
        '--port', '7000',
        '--upstream', 'http://c1:8086/write?db=a',
        '--upstream', 'http://c1:8086/write?db=b',
        '--upstream-token', 'tok',
        '--forward-max-bytes', '5000',
        '--forward-policy', 'drop-oldest',
        '--mqtt-topic', 'meters/{id};format=value;measurement=power',
        '--mqtt-db', 'energy',
        '--mqtt-client-id', 'edge-7',
        '--retention', '2d',
      ],
      CONFIG,
      { STRATA_FSYNC: 'off' },
    );
    expect(s.args.number('port')).toBe(7000);
    expect(s.args.string('fsync')).toBe('off'); // env over file
    expect(s.args.string('bind')).toBe('127.0.0.1'); // file over default
    // --upstream replaces the file's list; names stay distinct and stable
    expect(s.upstreams).toEqual([
      { name: 'c1_8086', url: 'http://c1:8086/write?db=a', token: 'tok' },
      { name: 'c1_8086-2', url: 'http://c1:8086/write?db=b', token: 'tok' },
    ]);
    expect(s.cap).toEqual({ maxBytes: 5000, maxAgeMs: 7 * 86_400_000, policy: 'drop-oldest' });
    // --mqtt-topic replaces the subscriptions; the rest of the section still applies
    expect(s.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', clientId: 'edge-7', username: 'strata', connections: 2 });
    expect(s.mqtt!.subscriptions).toEqual([expect.objectContaining({ topic: 'meters/{id}', db: 'energy', mapping: expect.objectContaining({ format: 'value', measurement: 'power' }) })]);
    expect(s.retention.durationNs).toBe(2n * 86_400_000_000_000n);
  });

  it('defaults: no upstreams, no cap, no MQTT, no retention change', () => {
    const s = settings([]);
    expect(s.upstreams).toEqual([]);
    expect(s.cap).toBeUndefined();
    expect(s.mqtt).toBeUndefined();
    expect(s.retention).toEqual({});
    expect(s.args.number('port')).toBe(8086);
    const m = settings(['--mqtt-url', 'mqtt://h:1883', '--mqtt-topic', 'a/#']);
    expect(m.mqtt).toMatchObject({ url: 'mqtt://h:1883', clientId: 'strata-box', subscriptions: [expect.objectContaining({ topic: 'a/#', db: 'mqtt' })] });
  });

  it('refuses unknown keys, naming them', () => {
    expect(usageError(() => settings([], 'prot: 1\n'))).toMatch(/unknown key "prot"/);
    expect(usageError(() => settings([], 'forward: { maxbytes: 1 }\n'))).toMatch(/unknown key "forward.maxbytes"/);
    expect(usageError(() => settings([], 'upstreams: [{ url: "http://c:8086/write?db=a", tokn: x }]\n'))).toMatch(/upstreams\[0\]: unknown key "tokn"/);
    expect(usageError(() => settings([], 'retention: { days: 3 }\n'))).toMatch(/unknown key "retention.days"/);
    expect(usageError(() => settings([], 'mqtt: { url: "mqtt://h:1", subscriptions: [{ topic: a, fromat: json }] }\n'))).toMatch(/mqtt.subscriptions\[0\].fromat is not a setting/);
    expect(usageError(() => settings([], 'port: eighty\n'))).toMatch(/port must be a number/);
    expect(usageError(() => settings([], 'fsync: sometimes\n'))).toMatch(/fsync.*must be one of always, interval, off/);
    expect(usageError(() => settings([], '- a\n- b\n'))).toMatch(/must be a mapping/);
  });

  it('refuses a bad upstream URL, naming it', () => {
    expect(usageError(() => settings(['--upstream', 'central:8086/write']))).toMatch(/--upstream central:8086\/write: .*does not parse|only http/);
    expect(usageError(() => settings(['--upstream', 'http://central:8086/query?db=x']))).toMatch(/--upstream http:\/\/central:8086\/query\?db=x:/);
    expect(usageError(() => settings([], 'upstreams: [{ url: "not a url" }]\n'))).toMatch(/upstreams\[0\] \(not a url\):/);
    expect(usageError(() => settings([], 'upstreams: [{ url: "http://a/write?db=x", name: x }, { url: "http://b/write?db=x", name: x }]\n'))).toMatch(/two upstreams are named "x"/);
  });

  it('checks durations, policies, MQTT and rollups', () => {
    expect(usageError(() => settings(['--retention', 'soon']))).toMatch(/--retention/);
    expect(usageError(() => settings(['--forward-max-age', '-1']))).toMatch(/--forward-max-age/);
    expect(usageError(() => settings(['--forward-policy', 'panic']))).toMatch(/--forward-policy must be one of drop-oldest, refuse/);
    expect(usageError(() => settings([], 'forward: { policy: panic }\n'))).toMatch(/forward.policy must be drop-oldest or refuse/);
    expect(usageError(() => settings(['--mqtt-topic', 'a/#']))).toMatch(/--mqtt-url/);
    expect(usageError(() => settings(['--mqtt-url', 'mqtt://h:1']))).toMatch(/no topics/);
    expect(usageError(() => settings(['--mqtt-url', 'mqtt://h:1', '--mqtt-topic', 'a;format=json;time=$$$']))).toMatch(/mqtt|time|path/i);
    expect(usageError(() => settings([], 'retention: { tiers: "1m,90s" }\n'))).toMatch(/retention.tiers/);
    expect(parseRollupFlag('cpu,mem=1m:min,max,mean,last')).toEqual({ measurements: ['cpu', 'mem'], tier: 'autogen:1m', aggregates: ['min', 'max', 'mean', 'last'], resolution: 60_000_000_000n });
    expect(parseRollupFlag('cpu=5m').aggregates).toEqual(['min', 'max', 'mean', 'last']);
    expect(usageError(() => parseRollupFlag('cpu'))).toMatch(/MEASUREMENT/);
    expect(usageError(() => parseRollupFlag('cpu=1m:median'))).toMatch(/aggregates/);
    expect(usageError(() => parseRollupFlag('cpu=500ms'))).toMatch(/at least 1s/);
    expect(settings([], 'forward: { rollup: { measurements: [cpu], resolution: 1m, aggregates: [max] } }\n').rollup).toMatchObject({ tier: 'autogen:1m', aggregates: ['max'] });
  });
});

const gateway = (argv: string[]) => startServer('gateway', argv, {}, 15_000);

interface StatusJson {
  upstreams: { upstream: string; backlog: { bytes: number }; forwardedPoints: number; lastSuccess: string | null }[];
}

describe('strata gateway (in-process)', () => {
  it('forwards to its upstream, serves /gateway/status and /metrics, and `gateway status` prints them', async () => {
    const central = await setup();
    await central.app.listen({ port: 0, host: '127.0.0.1' });
    const centralUrl = `http://127.0.0.1:${(central.app.server.address() as { port: number }).port}`;
    const dir = tempDir();
    const g = await gateway(['--data-dir', dir, '--upstream', `${centralUrl}/write?db=central`, '--retention', '30d']);
    let stopped = false;
    try {
      const lines = Array.from({ length: 50 }, (_, i) => `cpu,host=h${i % 5} v=${i} ${1_700_000_000_000_000_000 + i * 1_000_000_000}`).join('\n');
      expect((await fetch(`${g.url}/write?db=edge`, { method: 'POST', body: lines })).status).toBe(204);
      const st = await waitFor('the backlog to drain', async () => {
        const s = (await (await fetch(`${g.url}/gateway/status`)).json()) as StatusJson;
        return s.upstreams[0].backlog.bytes === 0 && s.upstreams[0].forwardedPoints >= 50 ? s : undefined;
      });
      expect(st.upstreams[0].upstream).toBe('127.0.0.1_' + centralUrl.split(':')[2]);
      expect([...exportLineProtocol(central.db, { db: 'central' })].join('').split('\n').filter(Boolean)).toHaveLength(50);
      // --retention applies to a database created after start, on its first write
      await waitFor('the retention of edge', async () => ((await (await fetch(`${g.url}/admin/retention?db=edge`)).text()).includes('"duration":"30d"') ? true : undefined));

      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      expect(metrics).toMatch(/^strata_forward_backlog_bytes\{upstream="127\.0\.0\.1_\d+"\} 0$/m);
      expect(metrics).toMatch(/^strata_forward_points_total\{upstream="127\.0\.0\.1_\d+"\} 50$/m);
      expect(metrics).toMatch(/^strata_points_written_total \d+/m); // serve's own metrics too

      const table = testIo();
      expect(await main(['gateway', 'status', '--url', g.url], table)).toBe(0);
      const out = table.out.text.split('\n');
      expect(out[0]).toMatch(/^UPSTREAM\s+KIND\s+STATE\s+BACKLOG POINTS\s+BACKLOG BYTES\s+OLDEST\s+LAST SUCCESS\s+RATE/);
      expect(out[1]).toMatch(/^127\.0\.0\.1_\d+\s+influx-v1\s+idle\s+0\s+0 B\s+-\s+\d+s ago\s+\d+ pts\/s\s+50\s+0\s+0$/);
      expect(table.out.text).toMatch(/last error: none/);
      const json = testIo();
      expect(await main(['gateway', 'status', '--url', g.url, '--json'], json)).toBe(0);
      expect((JSON.parse(json.out.text) as StatusJson).upstreams[0].forwardedPoints).toBe(50);

      expect(await g.stop()).toBe(0);
      stopped = true;
      const msgs = logLines(g.io).map((l) => l.msg);
      // shutdown order: the gateway's services, then the server as serve does
      expect(msgs.indexOf('gateway: ingest and forwarding stopped')).toBeGreaterThan(msgs.indexOf('shutting down: finishing in-flight requests'));
      expect(msgs.indexOf('stopped cleanly')).toBeGreaterThan(msgs.indexOf('gateway: ingest and forwarding stopped'));
      expect(fs.existsSync(path.join(dir, 'forward'))).toBe(true);

      const gone = testIo();
      expect(await main(['gateway', 'status', '--url', g.url], gone)).toBe(1);
      expect(gone.err.text).toMatch(/cannot reach .*is the gateway running/);
    } finally {
      if (!stopped) await g.stop();
    }
  }, 30_000);

  it('--forward-rollup adds the tier and forwards those measurements only as rollups', async () => {
    const central = await setup();
    await central.app.listen({ port: 0, host: '127.0.0.1' });
    const centralUrl = `http://127.0.0.1:${(central.app.server.address() as { port: number }).port}`;
    const g = await gateway(['--data-dir', tempDir(), '--upstream', `${centralUrl}/write?db=central`, '--forward-rollup', 'cpu=1s:max,count', '--rollup-interval', '1s']);
    try {
      const now = BigInt(Date.now()) * 1_000_000n;
      const t = (k: number) => now - 20_000_000_000n + BigInt(k) * 1_000_000_000n;
      const lines = Array.from({ length: 10 }, (_, k) => `cpu,host=a v=${k} ${t(k)}\nmem,host=a v=${k} ${t(k)}`).join('\n');
      expect((await fetch(`${g.url}/write?db=edge`, { method: 'POST', body: lines })).status).toBe(204);
      const upstream = () => (central.db.databases().includes('central') ? [...exportLineProtocol(central.db, { db: 'central' })].join('').split('\n').filter(Boolean) : []);
      const got = await waitFor('cpu rollups and raw mem upstream', () => {
        const l = upstream();
        return l.filter((x) => x.startsWith('cpu,')).length === 10 && l.filter((x) => x.startsWith('mem,')).length === 10 ? l : undefined;
      });
      const cpu = got.filter((x) => x.startsWith('cpu,'));
      // one window per second: max and count of one point, at the window start; no raw v
      expect(cpu.every((x) => /^cpu,host=a v_count=1i,v_max=\d+ \d+$/.test(x) || /^cpu,host=a v_max=\d+,v_count=1i \d+$/.test(x))).toBe(true);
      expect(got.filter((x) => x.startsWith('mem,')).every((x) => /^mem,host=a v=\d+ \d+$/.test(x))).toBe(true);
      const retention = await (await fetch(`${g.url}/admin/retention?db=edge`)).text();
      expect(retention).toContain('"autogen:1s"');
      const st = (await (await fetch(`${g.url}/gateway/status`)).json()) as { upstreams: { rollup: { tier: string; rawKeptLocal: number } }[] };
      expect(st.upstreams[0].rollup).toMatchObject({ tier: 'autogen:1s', rawKeptLocal: 10 });
      const table = testIo();
      expect(await main(['gateway', 'status', '--url', g.url], table)).toBe(0);
      expect(table.out.text).toMatch(/^  rollups: cpu from tier autogen:1s: \d+ rollup points sent, 10 raw points kept local$/m);
    } finally {
      expect(await g.stop()).toBe(0);
    }
  }, 30_000);

  it('`gateway status` says when the server is not a gateway, and formats errors and backlogs', async () => {
    const plain = await setup();
    await plain.app.listen({ port: 0, host: '127.0.0.1' });
    const io = testIo();
    expect(await main(['gateway', 'status', '--url', `http://127.0.0.1:${(plain.app.server.address() as { port: number }).port}`], io)).toBe(1);
    expect(io.err.text).toMatch(/no \/gateway\/status/);
    const text = formatGatewayStatus({
      time: '2026-01-01T00:01:00.000Z',
      upstreams: [
        {
          upstream: 'central',
          url: 'http://central:8086/write?db=edge',
          kind: 'influx-v1',
          state: 'backoff',
          backlog: { bytes: 18_233_344, points: 182_000, oldestSeconds: 3605 },
          lastSuccess: '2026-01-01T00:00:00.000Z',
          lastError: { time: '2026-01-01T00:00:58.000Z', message: 'request failed: fetch failed (ECONNREFUSED)' },
          pointsPerSecond: 0,
          forwardedPoints: 912_345,
          refusing: true,
        },
      ],
    });
    expect(text).toMatch(/^central\s+influx-v1\s+backoff \(refusing writes\)\s+182,000\s+18\.2 MB\s+1h00m\s+1m00s ago\s+0 pts\/s\s+912,345/m);
    expect(text).toMatch(/last error 2s ago \(2026-01-01T00:00:58.000Z\): request failed: fetch failed \(ECONNREFUSED\)/);
    expect(formatGatewayStatus({ time: '2026-01-01T00:00:00Z', upstreams: [] })).toMatch(/no upstreams configured/);
  });

  it.skipIf(!hasMosquitto())('ingests MQTT messages and forwards them, with MQTT metrics', async () => {
    const broker = await startBroker();
    brokers.push(broker);
    const central = await setup();
    await central.app.listen({ port: 0, host: '127.0.0.1' });
    const centralUrl = `http://127.0.0.1:${(central.app.server.address() as { port: number }).port}`;
    const g = await gateway([
      '--data-dir', tempDir(),
      '--upstream', `${centralUrl}/write?db=central`,
      '--mqtt-url', broker.url,
      '--mqtt-client-id', 'gw-test',
      '--mqtt-topic', 'dev/{device};format=json;measurement=env;time=$.ts;precision=ms',
      '--mqtt-db', 'edge',
    ]);
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'pub-test' });
    try {
      await waitFor('the subscription', () => (logLines(g.io).some((l) => l.msg === 'mqtt: subscribed') ? true : undefined));
      for (let i = 0; i < 20; i++) await pub.publishAsync(`dev/d${i % 2}`, JSON.stringify({ t: i, ts: 1_700_000_000_000 + i }), { qos: 1 });
      await pub.publishAsync('dev/d0', '{bad', { qos: 1 });
      await waitFor('20 points upstream', () => (central.db.databases().includes('central') && [...exportLineProtocol(central.db, { db: 'central' })].join('').split('\n').filter(Boolean).length === 20 ? true : undefined));
      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      expect(metrics).toMatch(/^strata_mqtt_messages_written_total 20$/m);
      expect(metrics).toMatch(/^strata_mqtt_bad_payloads_total 1$/m);
      expect(metrics).toMatch(/^strata_mqtt_connected 1$/m);
    } finally {
      await pub.endAsync();
      expect(await g.stop()).toBe(0);
    }
  }, 30_000);
});
