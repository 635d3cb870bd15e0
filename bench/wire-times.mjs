#!/usr/bin/env node
// Server time and client time of HTTP requests, read off a loopback capture: for each
// keep-alive connection to PORT, the time from the packet that carries a request to the
// first packet of its answer (server time: the server's wake-up, its work and its write),
// and from that packet to the connection's next request (client time: the client reading,
// parsing and sending again). The first two requests of a connection (the warm-up runs of
// ../shared/peers/query.mjs) are left out. Request and answer each fit one packet here
// (270 and ~2,500 bytes on loopback, whose MTU is 64 KiB).
//
// Usage: node bench/wire-times.mjs CAPTURE.pcap NAME=PORT [NAME=PORT...]
// (query-pair.sh and strata-pair.sh run it with WIRE=1, capturing with tcpdump)
import { execFileSync } from 'node:child_process';

const [pcap, ...targets] = process.argv.slice(2);
if (!pcap || targets.length === 0) {
  console.error('usage: node bench/wire-times.mjs CAPTURE.pcap NAME=PORT [NAME=PORT...]');
  process.exit(2);
}
const names = new Map(targets.map((t) => { const [n, p] = t.split('='); return [Number(p), n]; }));
const text = execFileSync('tcpdump', ['-r', pcap, '-nn', '-tt'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
const LINE = /^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): .*length (\d+)/;
const conns = new Map(); // "clientPort:serverPort" -> { n, req, answered }
const server = new Map(); // port -> µs
const client = new Map();
const push = (m, k, v) => { if (!m.has(k)) m.set(k, []); m.get(k).push(v); };
for (const line of text.split('\n')) {
  const m = LINE.exec(line);
  if (m === null || Number(m[4]) === 0) continue;
  const t = Number(m[1]);
  const from = Number(m[2]);
  const to = Number(m[3]);
  if (names.has(to)) {
    const key = `${from}:${to}`;
    const c = conns.get(key) ?? { n: 0, req: 0, answered: 0 };
    conns.set(key, c);
    if (c.answered > 0 && c.n > 2) push(client, to, (t - c.answered) * 1e6);
    c.n++;
    c.req = t;
    c.answered = 0;
  } else if (names.has(from)) {
    const c = conns.get(`${to}:${from}`);
    if (c === undefined || c.req === 0 || c.answered > 0) continue;
    c.answered = t;
    if (c.n > 2) push(server, from, (t - c.req) * 1e6);
  }
}
const q = (a, p) => { const b = [...a].sort((x, y) => x - y); return b[Math.min(b.length - 1, Math.floor(p * b.length))]; };
console.log('| server | requests | server µs p25 | median | p75 | client µs median |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [port, name] of names) {
  const s = server.get(port) ?? [];
  const c = client.get(port) ?? [];
  if (s.length === 0) { console.log(`| ${name} | 0 | | | | |`); continue; }
  console.log(`| ${name} | ${s.length} | ${q(s, 0.25).toFixed(0)} | ${q(s, 0.5).toFixed(0)} | ${q(s, 0.75).toFixed(0)} | ${c.length ? q(c, 0.5).toFixed(0) : ''} |`);
}
