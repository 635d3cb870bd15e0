// Tables of a bench/query.sh run, one set per query language: median and p95 latency per
// query and system with Strata's ratio to each peer, and the result sizes (series, points)
// that show all answered alike.
// Usage: node bench/query-report.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const runs = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('-query.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
const order = ['strata', 'victoria-nocache', 'victoria', 'prometheus', 'strata-influxql', 'influxdb'];
runs.sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label));
const cell = (r, name, k) => r.queries.find((q) => q.name === name)?.[k];
const fmt = (x) => (x === undefined || x === null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const out = [];
for (const target of ['promql', 'influxql']) {
  const group = runs.filter((r) => r.target === target);
  if (group.length === 0) continue;
  const names = [...new Set(group.flatMap((r) => r.queries.map((q) => q.name)))];
  const strata = group.find((r) => r.label.startsWith('strata'));
  const peers = group.filter((r) => r !== strata);
  out.push(`## ${target === 'promql' ? 'PromQL' : 'InfluxQL'}`, '');
  for (const [k, title] of [['median_ms', 'median latency, ms'], ['p95_ms', 'p95 latency, ms']]) {
    const ratioHead = strata ? peers.map((p) => ` Strata / ${p.label} |`).join('') : '';
    out.push(`### ${title}`, '', `| query | ${group.map((r) => r.label).join(' | ')} |${ratioHead}`);
    out.push(`|---|${group.map(() => '---:|').join('')}${strata ? peers.map(() => '---:|').join('') : ''}`);
    for (const n of names) {
      const ratios = strata ? peers.map((p) => (cell(strata, n, k) / cell(p, n, k)).toFixed(2) + '×') : [];
      out.push(`| ${n} | ${group.map((r) => fmt(cell(r, n, k))).join(' | ')} |${ratios.map((x) => ` ${x} |`).join('')}`);
    }
    out.push('');
  }
  out.push('### result sizes: series, points of the first run; points over all runs; errors', '');
  out.push(`| query | ${group.map((r) => r.label).join(' | ')} |`, `|---|${group.map(() => '---|').join('')}`);
  for (const n of names) {
    const c = (r) => `${fmt(cell(r, n, 'series'))}, ${fmt(cell(r, n, 'points'))}, ${fmt(cell(r, n, 'points_total'))}`;
    const e = (r) => (cell(r, n, 'errors') ? `, ${cell(r, n, 'errors')} errors: ${cell(r, n, 'firstError')}` : '');
    out.push(`| ${n} | ${group.map((r) => c(r) + e(r)).join(' | ')} |`);
  }
  out.push('');
}
out.push(`RSS after queries, MB: ${runs.map((r) => `${r.label} ${fmt(r.rss_after_mb)}`).join(', ')}`);
console.log(out.join('\n'));
