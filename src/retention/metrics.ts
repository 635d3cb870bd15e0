// Prometheus metrics of continuous queries and recording-rule groups, read from their own
// run figures when Prometheus scrapes (collect callbacks), as src/server/metrics.ts reads
// the engine's: the jobs stay the only place that counts.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContinuousQueries } from './cq.js';
import type { RecordingRules } from './rules.js';

export interface ScheduleMetricsSources {
  continuousQueries?: ContinuousQueries | null;
  rules?: RecordingRules | null;
}

/** Registers the CQ and rule-group metrics on `registry`; call once per registry. */
export function registerScheduleMetrics(registry: Registry, sources: ScheduleMetricsSources): void {
  const cqs = () => sources.continuousQueries?.stats() ?? [];
  const groups = () => sources.rules?.status() ?? [];

  new Gauge({
    name: 'strata_cq_last_run_timestamp_seconds',
    help: 'Scheduled time of the last run of each continuous query (a catch-up run has its own time).',
    labelNames: ['db', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of cqs()) if (q.stats.lastRun !== null) this.set({ db: q.database, name: q.name }, q.stats.lastRun / 1000);
    },
  });
  new Gauge({
    name: 'strata_cq_last_duration_seconds',
    help: 'How long the last run of each continuous query took.',
    labelNames: ['db', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of cqs()) if (q.stats.lastRun !== null) this.set({ db: q.database, name: q.name }, q.stats.lastDurationMs / 1000);
    },
  });
  // prom-client counters have no set(): reset and add the running total at each scrape.
  new Counter({
    name: 'strata_cq_runs_total',
    help: 'Runs of each continuous query since the process started, failed ones included.',
    labelNames: ['db', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of cqs()) this.inc({ db: q.database, name: q.name }, q.stats.runs);
    },
  });
  new Counter({
    name: 'strata_cq_failures_total',
    help: 'Runs of each continuous query that failed since the process started (the error is logged).',
    labelNames: ['db', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of cqs()) this.inc({ db: q.database, name: q.name }, q.stats.failures);
    },
  });

  new Gauge({
    name: 'strata_rule_group_last_evaluation_timestamp_seconds',
    help: 'Scheduled time of the last evaluation of each recording rule group.',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups()) if (g.status.lastEvaluation !== null) this.set({ group: g.group.name }, g.status.lastEvaluation / 1000);
    },
  });
  new Gauge({
    name: 'strata_rule_group_last_duration_seconds',
    help: 'How long the last evaluation of each recording rule group took.',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups()) if (g.status.lastEvaluation !== null) this.set({ group: g.group.name }, g.status.lastDurationMs / 1000);
    },
  });
  new Counter({
    name: 'strata_rule_evaluations_total',
    help: 'Rule evaluations per group since the process started (one per rule per group evaluation).',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups()) this.inc({ group: g.group.name }, g.status.ruleEvaluations);
    },
  });
  new Counter({
    name: 'strata_rule_evaluation_failures_total',
    help: 'Rule evaluations that failed per group since the process started (the error is logged and in /api/v1/rules).',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups()) this.inc({ group: g.group.name }, g.status.ruleFailures);
    },
  });
}
