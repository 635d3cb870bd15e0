#!/usr/bin/env node
// What the first read of a series and of a block costs a dashboard query: phases of 22
// single-groupby-1-1-1 PromQL queries (one host, one hour, max_over_time per minute) against
// a server loaded as bench/query.sh loads it (devops dataset, flushed and compacted), on
// one keep-alive connection, median of each phase after its first two queries:
//   A  hosts not queried before, an hour not read before     (new series, new blocks)
//   B  the same hosts, another hour                         (series read, new blocks)
//   C  the same hosts, A's hour again                       (series and blocks read)
// then D, E, F the same with other hosts. A - B is what the first read of a series adds,
// B - C what the first read of its blocks adds. Run it against a fresh server.
//
// Usage: node bench/first-read.mjs --url http://127.0.0.1:PORT [--start 2026-01-01T00:00:00Z]
import http from 'node:http';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const url = new URL(arg('url', 'http://127.0.0.1:18100'));
const START = Date.parse(arg('start', '2026-01-01T00:00:00Z')) / 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function query(host, hour) {
  const t0 = START + hour * 3600;
  const body = new URLSearchParams({ query: `max_over_time(cpu_usage_user{hostname="host_${host}"}[1m])`, start: String(t0 + 60), end: String(t0 + 3600), step: '60' }).toString();
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const req = http.request(
      { host: url.hostname, port: url.port, path: '/api/v1/query_range', method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const j = JSON.parse(Buffer.concat(chunks).toString());
          if (j.status !== 'success' || j.data.result.length !== 1) reject(new Error(`host_${host} hour ${hour}: ${JSON.stringify(j).slice(0, 200)}`));
          else resolve(Number(process.hrtime.bigint() - t) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
async function phase(name, hosts, hour) {
  const ms = [];
  for (const h of hosts) ms.push(await query(h, hour));
  const m = median(ms.slice(2));
  console.log(`${name.padEnd(52)} median ${m.toFixed(3)} ms`);
  return m;
}
const hosts = (from) => Array.from({ length: 22 }, (_, i) => from + i);
await phase('warm-up: hosts 78-99, hour 23', hosts(78), 23);
const a = await phase('A: hosts 0-21, hour 2 (new series, new blocks)', hosts(0), 2);
const b = await phase('B: hosts 0-21, hour 14 (series read, new blocks)', hosts(0), 14);
const c = await phase('C: hosts 0-21, hour 2 (series and blocks read)', hosts(0), 2);
const d = await phase('D: hosts 30-51, hour 2 (new series, new blocks)', hosts(30), 2);
const e = await phase('E: hosts 30-51, hour 8 (series read, new blocks)', hosts(30), 8);
const f = await phase('F: hosts 30-51, hour 8 (series and blocks read)', hosts(30), 8);
console.log(`first read of a series: +${((a - b) * 1000).toFixed(0)} / +${((d - e) * 1000).toFixed(0)} µs; of its blocks: +${((b - c) * 1000).toFixed(0)} / +${((e - f) * 1000).toFixed(0)} µs`);
agent.destroy();
