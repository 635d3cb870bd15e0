// Tables of a bench/query.sh run: median and p95 latency per query and system, Strata's
// ratio to each peer, and the result sizes (series, points) that show all answered alike.
// Usage: node bench/query-report.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const runs = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('-query.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
const order = ['strata', 'victoria-nocache', 'victoria', 'prometheus'];
runs.sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label));
const names = [...new Set(runs.flatMap((r) => r.queries.map((q) => q.name)))];
const cell = (r, name, k) => r.queries.find((q) => q.name === name)?.[k];
const fmt = (x) => (x === undefined || x === null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const strata = runs.find((r) => r.label === 'strata');
const peers = runs.filter((r) => r !== strata);
const out = [];
for (const [k, title] of [['median_ms', 'median latency, ms'], ['p95_ms', 'p95 latency, ms']]) {
  out.push(`### ${title}`, '', `| query | ${runs.map((r) => r.label).join(' | ')} |${strata ? peers.map((p) => ` strata / ${p.label} |`).join('') : ''}`);
  out.push(`|---|${runs.map(() => '---:|').join('')}${strata ? peers.map(() => '---:|').join('') : ''}`);
  for (const n of names) {
    const ratios = strata ? peers.map((p) => (cell(strata, n, k) / cell(p, n, k)).toFixed(2) + '×') : [];
    out.push(`| ${n} | ${runs.map((r) => fmt(cell(r, n, k))).join(' | ')} |${ratios.map((x) => ` ${x} |`).join('')}`);
  }
  out.push('');
}
out.push('### result sizes: series, points of the first run; points over all runs; errors', '');
out.push(`| query | ${runs.map((r) => r.label).join(' | ')} |`, `|---|${runs.map(() => '---|').join('')}`);
for (const n of names) {
  out.push(`| ${n} | ${runs.map((r) => `${fmt(cell(r, n, 'series'))}, ${fmt(cell(r, n, 'points'))}, ${fmt(cell(r, n, 'points_total'))}${cell(r, n, 'errors') ? `, ${cell(r, n, 'errors')} errors: ${cell(r, n, 'firstError')}` : ''}`).join(' | ')} |`);
}
out.push('', `RSS after queries, MB: ${runs.map((r) => `${r.label} ${fmt(r.rss_after_mb)}`).join(', ')}`);
console.log(out.join('\n'));
