// `strata serve` runs continuous queries and recording rules: created over /query or
// loaded from --rules-file, run by the server's scheduler, visible in /api/v1/rules and
// /metrics.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { removeTempDirs, tempDir, testIo } from './testing/io.js';
import { logLines, startServer, waitFor } from './testing/server.js';

afterEach(removeTempDirs);

const serve = (argv: string[], env: Record<string, string> = {}) => startServer('serve', argv, env);

async function query(url: string, q: string, db = 'd'): Promise<unknown> {
  const res = await fetch(`${url}/query?db=${db}&q=${encodeURIComponent(q)}`, { method: 'POST' });
  return res.json();
}

describe('strata serve schedules', () => {
  it('runs a recording rule from --rules-file every second and serves it in /api/v1/rules and /metrics', async () => {
    const dir = tempDir();
    const rules = path.join(dir, 'rules.yml');
    fs.writeFileSync(rules, 'groups:\n  - name: fast\n    interval: 1s\n    rules:\n      - record: job:up:sum\n        expr: sum(up)\n        labels: { team: infra }\n');
    const s = await serve(['--data-dir', path.join(dir, 'data'), '--rules-file', rules, '--fsync', 'off']);
    try {
      const now = BigInt(Date.now()) * 1_000_000n;
      expect((await fetch(`${s.url}/write?db=prometheus`, { method: 'POST', body: `up,job=a value=1 ${now}\nup,job=b value=1 ${now}\n` })).status).toBe(204);
      const rows = await waitFor('a recorded sample', async () => {
        const r = (await query(s.url, 'SELECT value, team FROM "job:up:sum"', 'prometheus')) as { results: { series?: { values: unknown[][] }[] }[] };
        const values = r.results[0].series?.[0].values;
        return values?.some((v) => v[1] === 2) ? values : undefined;
      });
      expect(rows.find((v) => v[1] === 2)?.[2]).toBe('infra');
      const api = (await (await fetch(`${s.url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string }[] }[] } };
      expect(api.data.groups).toMatchObject([{ name: 'fast', rules: [{ name: 'job:up:sum', health: 'ok' }] }]);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/^strata_rule_evaluations_total\{group="fast"\} [1-9]/m);
      expect(metrics).toMatch(/^strata_rule_group_last_evaluation_timestamp_seconds\{group="fast"\} \d/m);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('rolls up the tiers set over /admin/retention, and PromQL reads them, saying so in X-Strata-Tier', async () => {
    const dir = tempDir();
    const s = await serve(['--data-dir', path.join(dir, 'data'), '--fsync', 'off', '--rollup-interval', '1h']);
    try {
      const put = await fetch(`${s.url}/admin/retention/d/autogen`, { method: 'PUT', body: JSON.stringify({ tiers: [{ resolution: '1m', duration: '30d' }] }), headers: { 'content-type': 'application/json' } });
      expect(put.status).toBe(404); // the database must exist first
      await query(s.url, 'CREATE DATABASE d');
      expect((await fetch(`${s.url}/admin/retention/d/autogen`, { method: 'PUT', body: JSON.stringify({ tiers: [{ resolution: '1m', duration: '30d' }] }), headers: { 'content-type': 'application/json' } })).status).toBe(200);
      // Two hours of points every 10 s, an hour ago, never on a minute boundary.
      const MIN = 60_000;
      const t0 = Math.floor(Date.now() / MIN) * MIN - 3 * 60 * MIN;
      const lines: string[] = [];
      for (let t = t0; t < t0 + 120 * MIN; t += 10_000) lines.push(`m value=${(t / 1000) % 97} ${BigInt(t + 1234) * 1_000_000n}`);
      expect((await fetch(`${s.url}/write?db=d`, { method: 'POST', body: lines.join('\n') })).status).toBe(204);
      const tick = (await (await fetch(`${s.url}/admin/rollups/tick`, { method: 'POST' })).json()) as { windowsRolled: number };
      expect(tick.windowsRolled).toBeGreaterThanOrEqual(120);
      const stats = (await (await fetch(`${s.url}/admin/rollups`)).json()) as { tiers: { tier: string; watermark: string }[] };
      expect(stats.tiers).toMatchObject([{ tier: 'autogen:1m' }]);
      expect(BigInt(stats.tiers[0].watermark)).toBeGreaterThanOrEqual(BigInt(t0 + 120 * MIN) * 1_000_000n);
      // The rollup fields (value_min, ...) are not offered as metrics of their own.
      const names = (await (await fetch(`${s.url}/api/v1/label/__name__/values`)).json()) as { data: string[] };
      expect(names.data).toEqual(['m']);
      const at = (t0 + 60 * MIN) / 1000;
      const ask = (q: string) => fetch(`${s.url}/api/v1/query?query=${encodeURIComponent(q)}&time=${at}`);
      const tiered = await ask('avg_over_time(m[10m])');
      expect(tiered.headers.get('x-strata-tier')).toBe('autogen:1m');
      const raw = await ask('avg_over_time(m[10m] offset 1ms)');
      expect(raw.headers.get('x-strata-tier')).toBeNull();
      const value = async (r: Response) => Number(((await r.json()) as { data: { result: { value: [number, string] }[] } }).data.result[0].value[1]);
      expect(await value(tiered)).toBeCloseTo(await value(raw), 9);
      const sqlRes = await fetch(`${s.url}/sql?db=d`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `SELECT time_bucket('10m', time) AS t, avg(value) FROM m WHERE time >= ${BigInt(t0) * 1_000_000n} AND time < ${BigInt(t0 + 60 * MIN) * 1_000_000n} GROUP BY t`,
      });
      expect(sqlRes.status).toBe(200);
      expect(sqlRes.headers.get('x-strata-tier')).toBe('autogen:1m');
      expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/^strata_rollup_windows_total\{[^}]*tier="autogen:1m"[^}]*\} [1-9]/m);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('keeps continuous queries created over /query across a restart, and refuses a bad rules file', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    let s = await serve(['--data-dir', data]);
    await query(s.url, 'CREATE DATABASE d');
    const created = (await query(s.url, 'CREATE CONTINUOUS QUERY cq ON d BEGIN SELECT mean(v) INTO m_1h FROM m GROUP BY time(1h) END')) as { results: object[] };
    expect(created.results).toEqual([{ statement_id: 0 }]);
    expect(await s.stop()).toBe(0);
    s = await serve(['--data-dir', data]);
    try {
      const shown = (await query(s.url, 'SHOW CONTINUOUS QUERIES')) as { results: { series: { name: string; values: string[][] }[] }[] };
      expect(shown.results[0].series).toEqual([
        { name: 'd', columns: ['name', 'query'], values: [['cq', 'CREATE CONTINUOUS QUERY cq ON d BEGIN SELECT mean(v) INTO d.autogen.m_1h FROM d.autogen.m GROUP BY time(1h) END']] },
      ]);
      expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/^strata_cq_runs_total\{db="d",name="cq"\} 0/m);
    } finally {
      expect(await s.stop()).toBe(0);
    }
    const bad = path.join(dir, 'bad.yml');
    fs.writeFileSync(bad, 'groups:\n  - name: g\n    rules:\n      - record: x\n');
    const io = testIo();
    expect(await main(['serve', '--port', '0', '--bind', '127.0.0.1', '--data-dir', data, '--rules-file', bad], io)).toBe(1);
    const err = logLines(io).find((l) => l.level === 'error');
    expect(err?.msg).toMatch(/bad\.yml: group "g", rule 1 \("x"\): "expr" must be a PromQL expression/);
  });
});
