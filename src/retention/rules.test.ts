import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Database } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { engineFixture } from '../engine/testing/fixture.js';
import { silentLogger, type Logger } from '../types.js';
import { ContinuousQueries } from './cq.js';
import { registerScheduleMetrics } from './metrics.js';
import { ScheduleRunner } from './schedule.js';
import { executeQuery } from '../query/influxql/execute.js';
import { parseRules, RecordingRules, RulesFileError, type RuleEvalEvent } from './rules.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-rules-');

const M = 60_000;
const H = 60 * M;
const MS = 1_000_000n;
const D = Date.parse('2024-05-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

describe('rules files', () => {
  it('reads Prometheus groups, with interval or the cron extension', () => {
    const groups = parseRules(
      `
groups:
  - name: fast
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          tier: "1"
      - record: one
        expr: 1
  - name: nightly
    schedule: "0 2 * * *"
    timezone: Europe/Berlin
    rules: []
  - name: default
    rules:
      - { record: x, expr: up }
`,
      'r.yml',
    );
    expect(groups.map((g) => [g.name, g.intervalMs, g.cron, g.rules.map((r) => r.record)])).toEqual([
      ['fast', 30_000, undefined, ['job:up:sum', 'one']],
      ['nightly', undefined, { expr: '0 2 * * *', tz: 'Europe/Berlin' }, []],
      ['default', 60_000, undefined, ['x']],
    ]);
    expect(groups[0].rules[0].labels).toEqual({ tier: '1' });
    expect(parseRules('')).toEqual([]);
  });

  it('refuses what it cannot use, naming the group, rule and field', () => {
    const bad: [string, RegExp][] = [
      ['groups: 3', /"groups" must be a list/],
      ['foo: []', /unknown field "foo" at the top level/],
      ['groups: [{ rules: [] }]', /group 1: "name" must be a non-empty string/],
      ['groups: [{ name: a }, { name: a }]', /group "a": repeated group name/],
      ['groups: [{ name: a, interval: 1m, schedule: "* * * * *" }]', /group "a": give either "interval" or "schedule"/],
      ['groups: [{ name: a, interval: soon }]', /group "a": "interval": cannot parse "soon"/],
      ['groups: [{ name: a, schedule: "61 * * * *" }]', /group "a": "schedule": invalid cron expression "61 \* \* \* \*"/],
      ['groups: [{ name: a, schedule: "0 * * * *", timezone: Mars/Base }]', /group "a": "schedule": unknown time zone "Mars\/Base"/],
      ['groups: [{ name: a, evaluation_delay: 1m }]', /group "a": unknown field "evaluation_delay"/],
      ['groups: [{ name: a, rules: [{ alert: High, expr: up > 1 }] }]', /group "a", rule 1: alerting rules are not supported/],
      ['groups: [{ name: a, rules: [{ expr: up }] }]', /group "a", rule 1: "record" must be a non-empty string/],
      ['groups: [{ name: a, rules: [{ record: "a-b", expr: up }] }]', /rule 1 \("a-b"\): "record" is not a valid metric name/],
      ['groups: [{ name: a, rules: [{ record: r, expr: "sum(" }] }]', /group "a", rule 1 \("r"\): "expr": /],
      ['groups: [{ name: a, rules: [{ record: r, expr: "up[5m]" }] }]', /"expr" must give an instant vector or a scalar, not a matrix/],
      ['groups: [{ name: a, rules: [{ record: r, expr: up, labels: { "__x": y } }] }]', /"labels": "__x" is not a valid label name/],
      ['groups: [{ name: a, rules: [{ record: r, expr: up, for: 5m }] }]', /rule 1: unknown field "for"/],
      ['groups: [{ name: a', /not valid YAML/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseRules(text, 'r.yml'), text).toThrow(RulesFileError);
      expect(() => parseRules(text, 'r.yml'), text).toThrow(re);
    }
  });
});

/** Rooms a and b of site x: `temp` = minutes since D (+10 for room b), one sample a minute. */
async function tempDb(dataDir: string): Promise<Database> {
  const db = await openDb({ dataDir });
  const lines: string[] = [];
  for (let t = D - H; t <= D + 26 * H; t += M) {
    const min = (t - D) / M;
    lines.push(`temp,room=a,site=x value=${min} ${BigInt(t) * MS}`, `temp,room=b,site=x value=${min + 10} ${BigInt(t) * MS}`);
  }
  await db.write(lines.join('\n'), { db: 'metrics' });
  return db;
}

const RULES = `
groups:
  - name: every3h
    schedule: "15 */3 * * *"
    rules:
      - record: site:temp:avg
        expr: avg by (site) (temp)
        labels: { source: rule }
  - name: morning
    schedule: "0 9 * * *"
    timezone: America/New_York
    rules:
      - record: room:temp:max
        expr: max by (room) (temp)
`;

function rulesOf(db: Database, now: () => number, events: RuleEvalEvent[], logger: Logger = silentLogger): RecordingRules {
  return new RecordingRules({ engine: db, groups: parseRules(RULES, 'rules.yml'), now, logger, onEvaluation: (e) => events.push(e) });
}

function points(db: Database, measurement: string): string[] {
  const out: string[] = [];
  for (const chunk of exportLineProtocol(db, { db: 'prometheus', measurement })) for (const l of chunk.split('\n')) if (l) out.push(l);
  return out.sort();
}

describe('recording rules on a cron schedule', () => {
  it('evaluate on time over a day, then after downtime each missed evaluation once, at its own time', async () => {
    const dir = tmpDir();
    let db = await tempDb(dir);
    const clock = { now: D };
    let events: RuleEvalEvent[] = [];
    let rules = rulesOf(db, () => clock.now, events);
    const ranAt: [string, number, number][] = [];
    const tick = async (t: number) => {
      const n = events.length;
      clock.now = t;
      await rules.runDue(t);
      for (const e of events.slice(n)) ranAt.push([e.group, e.at, t]);
    };
    for (let t = D; t <= D + 12 * H; t += M) await tick(t);
    expect(ranAt.map(([g, a]) => `${g} ${iso(a)}`)).toEqual([
      `every3h 2024-05-01T00:15:00.000Z`,
      `every3h 2024-05-01T03:15:00.000Z`,
      `every3h 2024-05-01T06:15:00.000Z`,
      `every3h 2024-05-01T09:15:00.000Z`,
    ]);
    for (const [, a, t] of ranAt) expect(t).toBe(a);

    // Down from 12:00 to 22:00; 09:00 in New York (EDT) is 13:00 UTC.
    db = await reopen(db);
    events = [];
    clock.now = D + 22 * H;
    rules = rulesOf(db, () => clock.now, events);
    await rules.runDue(clock.now);
    expect(events.map((e) => `${e.group} ${iso(e.at)} ${e.points}`)).toEqual([
      'every3h 2024-05-01T12:15:00.000Z 1',
      'every3h 2024-05-01T15:15:00.000Z 1',
      'every3h 2024-05-01T18:15:00.000Z 1',
      'every3h 2024-05-01T21:15:00.000Z 1',
      'morning 2024-05-01T13:00:00.000Z 2',
    ]);
    await rules.runDue(clock.now);
    expect(events.length).toBe(5);

    // avg of rooms a and b at t: minutes(t) + 5; max by room: each room's value.
    expect(points(db, 'site:temp:avg')).toEqual(
      Array.from({ length: 8 }, (_, k) => {
        const t = D + k * 3 * H + 15 * M;
        return `site:temp:avg,site=x,source=rule value=${(t - D) / M + 5} ${BigInt(t) * MS}`;
      }).sort(),
    );
    const nine = D + 13 * H;
    expect(points(db, 'room:temp:max')).toEqual([`room:temp:max,room=a value=${(nine - D) / M} ${BigInt(nine) * MS}`, `room:temp:max,room=b value=${(nine - D) / M + 10} ${BigInt(nine) * MS}`]);
    const st = rules.status();
    expect(st.map((g) => [g.group.name, g.status.evaluations, g.rules[0].health, g.status.lastEvaluation])).toEqual([
      ['every3h', 4, 'ok', D + 21 * H + 15 * M],
      ['morning', 1, 'ok', D + 13 * H],
    ]);

    // The rest of the day and into the next: on time again, each run once.
    const after: [string, number, number][] = [];
    for (let t = D + 22 * H + M; t <= D + 24 * H + 30 * M; t += M) {
      const n = events.length;
      clock.now = t;
      await rules.runDue(t);
      for (const e of events.slice(n)) after.push([e.group, e.at, t]);
    }
    expect(after.map(([g, a, t]) => `${g} ${iso(a)} ${t === a}`)).toEqual(['every3h 2024-05-02T00:15:00.000Z true']);
  });

  it('leaves out NaN and infinite samples, which the engine cannot store', async () => {
    const db = await tempDb(tmpDir());
    const groups = parseRules('groups: [{ name: g, rules: [{ record: n, expr: "vector(0/0) or label_replace(vector(1), \\"k\\", \\"v\\", \\"\\", \\"\\")" }] }]');
    const events: RuleEvalEvent[] = [];
    const rules = new RecordingRules({ engine: db, groups, now: () => D, logger: silentLogger, onEvaluation: (e) => events.push(e) });
    await rules.runDue(D);
    expect(events.map((e) => [e.points, e.error])).toEqual([[1, undefined]]);
    expect(points(db, 'n')).toEqual([`n,k=v value=1 ${BigInt(D) * MS}`]);
  });

  it('a failing rule is logged, counted and reported; the group and the next evaluations go on', async () => {
    const db = await tempDb(tmpDir());
    const logs: unknown[][] = [];
    const logger: Logger = { info: () => {}, warn: () => {}, error: (o, m) => logs.push([o, m]) };
    const groups = parseRules(
      `
groups:
  - name: g
    interval: 1h
    rules:
      - record: clash
        expr: temp
        labels: { room: same }
      - record: ok
        expr: count(temp)
`,
    );
    const events: RuleEvalEvent[] = [];
    const rules = new RecordingRules({ engine: db, groups, now: () => D, logger, onEvaluation: (e) => events.push(e) });
    await rules.runDue(D + 2 * H);
    expect(events.map((e) => [iso(e.at), e.points, e.error])).toEqual([
      [iso(D), 1, 'clash: vector contains metrics with the same labelset after applying rule labels'],
      [iso(D + H), 1, 'clash: vector contains metrics with the same labelset after applying rule labels'],
      [iso(D + 2 * H), 1, 'clash: vector contains metrics with the same labelset after applying rule labels'],
    ]);
    expect(points(db, 'ok').length).toBe(3);
    const [g] = rules.status();
    expect(g.status).toMatchObject({ evaluations: 3, ruleEvaluations: 6, ruleFailures: 3 });
    expect(g.rules.map((r) => r.health)).toEqual(['err', 'ok']);
    expect(logs[0]).toEqual([expect.objectContaining({ group: 'g', failed: 1, points: 1 }), 'rule group evaluation failed']);

    // The metrics of both kinds of jobs.
    const registry = new Registry();
    const cqs = ContinuousQueries.open({ engine: db, now: () => D, logger: silentLogger });
    registerScheduleMetrics(registry, { continuousQueries: cqs, rules });
    const text = await registry.metrics();
    expect(text).toContain('strata_rule_evaluations_total{group="g"} 6');
    expect(text).toContain('strata_rule_evaluation_failures_total{group="g"} 3');
    expect(text).toContain(`strata_rule_group_last_evaluation_timestamp_seconds{group="g"} ${(D + 2 * H) / 1000}`);
    expect(text).toContain('strata_rule_group_last_duration_seconds{group="g"}');
    expect(text).toContain('# TYPE strata_cq_runs_total counter');
  });
});

describe('the runner with both kinds of jobs', () => {
  it('wakes exactly at each run time of a CQ and a cron rule group over a day (timer simulated from nextDue)', async () => {
    const db = await tempDb(tmpDir());
    const clock = { now: D };
    const log: string[] = [];
    const cqs = ContinuousQueries.open({ engine: db, now: () => clock.now, logger: silentLogger, onRun: (e) => log.push(`cq ${iso(e.at)} ${e.points}`) });
    await executeQuery(
      { engine: db, now: BigInt(D) * MS, continuousQueries: cqs },
      'CREATE CONTINUOUS QUERY c6h ON metrics BEGIN SELECT max(value) INTO temp_6h FROM temp GROUP BY time(6h), room END',
    );
    const rules = rulesOf(db, () => clock.now, []);
    const runner = new ScheduleRunner({ now: () => clock.now, jobs: [cqs, rules], logger: silentLogger });
    const groupsBefore = () => rules.status().map((g) => g.status.evaluations);
    const wakes: string[] = [];
    for (;;) {
      // What the production timer does: sleep until the earliest nextDue, then a pass.
      const next = Math.min(cqs.nextDue(clock.now), rules.nextDue(clock.now));
      if (next > D + 24 * H) break;
      clock.now = next;
      const before = groupsBefore();
      const n = log.length;
      await runner.runDue(next);
      const evals = groupsBefore().reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0);
      wakes.push(`${iso(next)} cq:${log.length - n} rules:${evals}`);
    }
    expect(wakes).toEqual([
      '2024-05-01T00:00:00.000Z cq:1 rules:0',
      '2024-05-01T00:15:00.000Z cq:0 rules:1',
      '2024-05-01T03:15:00.000Z cq:0 rules:1',
      '2024-05-01T06:00:00.000Z cq:1 rules:0',
      '2024-05-01T06:15:00.000Z cq:0 rules:1',
      '2024-05-01T09:15:00.000Z cq:0 rules:1',
      '2024-05-01T12:00:00.000Z cq:1 rules:0',
      '2024-05-01T12:15:00.000Z cq:0 rules:1',
      '2024-05-01T13:00:00.000Z cq:0 rules:1',
      '2024-05-01T15:15:00.000Z cq:0 rules:1',
      '2024-05-01T18:00:00.000Z cq:1 rules:0',
      '2024-05-01T18:15:00.000Z cq:0 rules:1',
      '2024-05-01T21:15:00.000Z cq:0 rules:1',
      '2024-05-02T00:00:00.000Z cq:1 rules:0',
    ]);
    // The 6-hour max per room: the last sample of each window (minutes since D, +10 for b).
    expect(log).toEqual(['cq 2024-05-01T00:00:00.000Z 2', 'cq 2024-05-01T06:00:00.000Z 2', 'cq 2024-05-01T12:00:00.000Z 2', 'cq 2024-05-01T18:00:00.000Z 2', 'cq 2024-05-02T00:00:00.000Z 2']);
  });
});
