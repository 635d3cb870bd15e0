#!/usr/bin/env node
// Markdown table of one bench/ingest.sh run: points/s per system and workload, with the
// ratio to InfluxDB and VictoriaMetrics measured in the same run, plus parse-only figures.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: node bench/report.mjs OUT_DIR'); process.exit(2); }
const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const files = fs.readdirSync(dir);
const ingest = {};
for (const f of files.filter((f) => f.endsWith('-ingest.json'))) {
  const [sys, wl] = f.replace('-ingest.json', '').split('-');
  (ingest[wl] ??= {})[sys] = read(f);
}
const fmt = (n) => (n == null ? '–' : Math.round(n).toLocaleString('en-US'));
const out = ['| workload | system | points/s | lines/s | server CPU s | RSS max MB | vs InfluxDB | vs VictoriaMetrics | errors |', '|---|---|---:|---:|---:|---:|---:|---:|---:|'];
for (const [wl, bySys] of Object.entries(ingest)) {
  for (const [sys, r] of Object.entries(bySys)) {
    const ratio = (peer) => (bySys[peer] && sys !== peer ? (r.points_per_s / bySys[peer].points_per_s).toFixed(2) + '×' : '');
    out.push(`| ${wl} | ${sys} | ${fmt(r.points_per_s)} | ${fmt(r.lines_per_s)} | ${r.server_cpu_s ?? '–'} | ${r.rss_max_during_mb ?? '–'} | ${ratio('influxdb')} | ${ratio('victoria')} | ${r.errors} |`);
  }
}
const parse = files.filter((f) => f.endsWith('-parse.json')).map(read);
if (parse.length) {
  out.push('', '| workload | parse-only lines/s | parse-only points/s |', '|---|---:|---:|');
  for (const p of parse) out.push(`| ${p.workload ?? p.file} | ${fmt(p.lines_per_s)} | ${fmt(p.points_per_s)} |`);
}
console.log(out.join('\n'));
