#!/usr/bin/env node
// Closed-loop load of single-groupby-1-1-1 PromQL queries (max_over_time of one host's
// cpu_usage_user over a random hour of the devops dataset, 1-minute steps): C clients on
// keep-alive connections, each sending its next query when its answer is in, for S
// seconds. Prints queries/s. Run it against a server loaded as bench/query.sh loads it.
//
//   node bench/query-load.mjs --url http://127.0.0.1:8086 [--conc 4] [--seconds 5]
//        [--hosts 100] [--start 2026-01-01T00:00:00Z] [--hours 24]
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' }, conc: { type: 'string', default: '4' }, seconds: { type: 'string', default: '5' },
    hosts: { type: 'string', default: '100' }, start: { type: 'string', default: '2026-01-01T00:00:00Z' }, hours: { type: 'string', default: '24' },
  },
});
if (!a.url) {
  console.error('usage: node bench/query-load.mjs --url http://127.0.0.1:PORT [--conc 4] [--seconds 5]');
  process.exit(2);
}
const url = new URL('/api/v1/query_range', a.url);
const conc = Number(a.conc), hosts = Number(a.hosts), hours = Number(a.hours), start = Date.parse(a.start);
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
let seed = 7;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
};

function query() {
  const t0 = start + rnd(hours) * 3600e3;
  const body = new URLSearchParams({
    query: `max_over_time(cpu_usage_user{hostname="host_${rnd(hosts)}"}[1m])`,
    start: String((t0 + 60e3) / 1e3), end: String((t0 + 3600e3) / 1e3), step: '60',
  }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let n = 0, stop = false;
setTimeout(() => (stop = true), Number(a.seconds) * 1000);
const t = Date.now();
await Promise.all(Array.from({ length: conc }, async () => {
  while (!stop) {
    await query();
    n++;
  }
}));
console.log(`${(n / ((Date.now() - t) / 1000)).toFixed(0)} queries/s (${conc} clients)`);
agent.destroy();
