import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { engineFixture } from '../engine/testing/fixture.js';
import { parseRules, RecordingRules } from '../retention/rules.js';
import { silentLogger } from '../types.js';
import { rulesPlugin } from './rules.js';

const { tmpDir, openDb } = engineFixture('strata-rules-api-');
const D = Date.parse('2024-05-01T00:00:00Z');

describe('GET /api/v1/rules', () => {
  it("answers in Prometheus's shape: groups, rules, health, last evaluation and error", async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write(`up,job=a value=1 ${BigInt(D) * 1_000_000n}`, { db: 'm' });
    const groups = parseRules(
      `
groups:
  - name: g1
    interval: 5m
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: { tier: a }
      - record: broken
        expr: up
        labels: { job: same }
      - record: never
        expr: vector(1)
  - name: nightly
    schedule: "0 2 * * *"
    rules:
      - record: n
        expr: vector(2)
`,
      '/etc/strata/rules.yml',
    );
    await db.write(`up,job=b value=1 ${BigInt(D) * 1_000_000n}`, { db: 'm' });
    const rules = new RecordingRules({ engine: db, groups, now: () => D, logger: silentLogger });
    await rules.runDue(D);
    const app = Fastify();
    await app.register(rulesPlugin({ rules, now: () => D }));
    const res = await app.inject({ method: 'GET', url: '/api/v1/rules' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(body.status).toBe('success');
    const [g1, nightly] = body.data.groups;
    expect(g1).toMatchObject({ name: 'g1', file: '/etc/strata/rules.yml', interval: 300, limit: 0, lastEvaluation: '2024-05-01T00:00:00Z' });
    expect(typeof g1.evaluationTime).toBe('number');
    expect(g1.rules.map((r: Record<string, unknown>) => ({ ...r, evaluationTime: typeof r.evaluationTime }))).toEqual([
      {
        name: 'job:up:sum',
        query: 'sum by (job) (up)',
        labels: { tier: 'a' },
        health: 'ok',
        evaluationTime: 'number',
        lastEvaluation: '2024-05-01T00:00:00Z',
        type: 'recording',
      },
      {
        name: 'broken',
        query: 'up',
        labels: { job: 'same' },
        health: 'err',
        lastError: 'vector contains metrics with the same labelset after applying rule labels',
        evaluationTime: 'number',
        lastEvaluation: '2024-05-01T00:00:00Z',
        type: 'recording',
      },
      { name: 'never', query: 'vector(1)', health: 'ok', evaluationTime: 'number', lastEvaluation: '2024-05-01T00:00:00Z', type: 'recording' },
    ]);
    // Not evaluated yet: Go's zero time and health "unknown"; a cron group's interval is
    // the time between its next runs.
    expect(nightly).toMatchObject({ name: 'nightly', interval: 86400, schedule: '0 2 * * *', timezone: 'UTC', lastEvaluation: '0001-01-01T00:00:00Z' });
    expect(nightly.rules[0]).toMatchObject({ name: 'n', health: 'unknown', lastEvaluation: '0001-01-01T00:00:00Z' });

    // Filters.
    const names = async (url: string) => (await app.inject({ method: 'GET', url })).json().data.groups.map((g: { name: string; rules: { name: string }[] }) => `${g.name}:${g.rules.map((r) => r.name).join(',')}`);
    expect(await names('/api/v1/rules?type=alert')).toEqual([]);
    expect(await names('/api/v1/rules?type=record')).toEqual(['g1:job:up:sum,broken,never', 'nightly:n']);
    expect(await names('/api/v1/rules?rule_group[]=nightly')).toEqual(['nightly:n']);
    expect(await names('/api/v1/rules?rule_name[]=never&rule_name[]=n')).toEqual(['g1:never', 'nightly:n']);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/rules?type=x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ status: 'error', errorType: 'bad_data', error: "invalid query parameter type='x'" });
    await app.close();
  });

  it('lists no groups when no rules file is configured', async () => {
    const app = Fastify();
    await app.register(rulesPlugin({ rules: null }));
    const res = await app.inject({ method: 'GET', url: '/api/v1/rules' });
    expect(res.json()).toEqual({ status: 'success', data: { groups: [] } });
    await app.close();
  });
});
