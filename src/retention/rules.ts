// Prometheus recording rules, evaluated by Strata's PromQL engine and written back as
// points.
//
// The rules file is Prometheus's format (docs: configuration/recording_rules):
//
//   groups:
//     - name: cpu
//       interval: 1m            # Prometheus duration; default 1m (evaluation_interval)
//       rules:
//         - record: job:cpu_usage:avg
//           expr: avg by (job) (cpu_usage)
//           labels: { tier: rollup }
//
// plus a Strata extension: `schedule: "<cron expression>"` (and optionally `timezone`,
// an IANA name, default UTC) on a group instead of `interval`. Alerting rules (`alert:`)
// are refused with a message saying so; unknown fields are refused as Prometheus does.
//
// An evaluation at t runs each rule of the group in order at t (instantQuery; later rules
// see what earlier ones wrote, as in Prometheus) and writes every sample as a point:
// measurement = the record name, field `value` (float), tags = the sample's labels
// without __name__ plus the rule's labels, time = t. Reading `record` back through PromQL
// gives the series Prometheus would have recorded.
//
// Differences from Prometheus, on purpose: groups are aligned to the epoch (Prometheus
// offsets each group by a hash of its name), and missed evaluations are caught up after
// downtime, once each at its own time, oldest first (Prometheus skips them). The last
// completed evaluation of each group is persisted in `<dataDir>/rules_state.json` only
// after all its writes returned, so an evaluation cut short by a crash is redone and
// overwrites the same points. Stale markers are not written, nor NaN or infinite samples
// (the engine stores no such floats).

import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Database } from '../engine/database.js';
import { removeStaleTemp, writeFileAtomic } from '../engine/meta.js';
import type { StrataError } from '../errors.js';
import type { Expr } from '../query/promql/ast.js';
import { instantQueryExpr, type PromQLEngineOptions } from '../query/promql/engine.js';
import { exprType, parseDuration, parseExpr } from '../query/promql/parser.js';
import { engineSource } from '../query/promql/storage.js';
import type { Logger, Point } from '../types.js';
import { cronSchedule, DEFAULT_MAX_CATCH_UP, dueRuns, intervalSchedule, type Schedule, type ScheduledJob } from './schedule.js';

export const RULES_STATE_FILE = 'rules_state.json';
/** Prometheus's default evaluation_interval. */
const DEFAULT_INTERVAL_MS = 60_000;
const MS = 1_000_000n;

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
  parsed: Expr;
}

export interface RuleGroup {
  name: string;
  /** The file it came from (reported by /api/v1/rules). */
  file: string;
  /** `interval` in ms, when the group has one. */
  intervalMs?: number;
  /** `schedule` (cron) and `timezone`, when the group has one. */
  cron?: { expr: string; tz: string };
  schedule: Schedule;
  rules: RecordingRule[];
}

/** Thrown for a rules file that cannot be used; the message names the group, rule and field. */
export class RulesFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesFileError';
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const GROUP_KEYS = new Set(['name', 'interval', 'rules', 'schedule', 'timezone']);
const RULE_KEYS = new Set(['record', 'expr', 'labels']);

/** Reads and checks a rules file. */
export function loadRulesFile(file: string): RuleGroup[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new RulesFileError(`cannot read rules file ${file}: ${(e as Error).message}`);
  }
  return parseRules(text, file);
}

/** Parses and checks the YAML text of a rules file (`file` names it in messages). */
export function parseRules(text: string, file = 'rules'): RuleGroup[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new RulesFileError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!isObject(doc)) throw new RulesFileError(`${file}: the top level must be a mapping with a "groups" list`);
  for (const k of Object.keys(doc)) if (k !== 'groups') throw new RulesFileError(`${file}: unknown field "${k}" at the top level (only "groups")`);
  const groups = doc.groups ?? [];
  if (!Array.isArray(groups)) throw new RulesFileError(`${file}: "groups" must be a list`);
  const seen = new Set<string>();
  return groups.map((g, gi) => {
    const where = `${file}: group ${gi + 1}`;
    if (!isObject(g)) throw new RulesFileError(`${where}: must be a mapping with "name" and "rules"`);
    if (typeof g.name !== 'string' || g.name === '') throw new RulesFileError(`${where}: "name" must be a non-empty string`);
    const gw = `${file}: group "${g.name}"`;
    for (const k of Object.keys(g)) {
      if (!GROUP_KEYS.has(k)) throw new RulesFileError(`${gw}: unknown field "${k}" (Strata supports name, interval, schedule, timezone, rules)`);
    }
    if (seen.has(g.name)) throw new RulesFileError(`${gw}: repeated group name`);
    seen.add(g.name);
    if (g.interval !== undefined && g.schedule !== undefined) throw new RulesFileError(`${gw}: give either "interval" or "schedule", not both`);
    let schedule: Schedule;
    let intervalMs: number | undefined;
    let cron: RuleGroup['cron'];
    if (g.schedule !== undefined) {
      if (typeof g.schedule !== 'string') throw new RulesFileError(`${gw}: "schedule" must be a cron expression in a string`);
      if (g.timezone !== undefined && typeof g.timezone !== 'string') throw new RulesFileError(`${gw}: "timezone" must be a string such as "Europe/Berlin"`);
      const tz = (g.timezone as string | undefined) ?? 'UTC';
      try {
        schedule = cronSchedule(g.schedule, tz);
      } catch (e) {
        throw new RulesFileError(`${gw}: "schedule": ${(e as Error).message}`);
      }
      cron = { expr: g.schedule, tz };
    } else {
      if (g.timezone !== undefined) throw new RulesFileError(`${gw}: "timezone" goes with "schedule" only`);
      intervalMs = DEFAULT_INTERVAL_MS;
      if (g.interval !== undefined) {
        try {
          if (typeof g.interval !== 'string') throw new Error('must be a duration string such as "30s" or "1m"');
          intervalMs = parseDuration(g.interval);
        } catch (e) {
          throw new RulesFileError(`${gw}: "interval": ${(e as Error).message}`);
        }
        if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new RulesFileError(`${gw}: "interval" must be positive, got "${g.interval}"`);
      }
      schedule = intervalSchedule(intervalMs);
    }
    if (g.rules !== undefined && !Array.isArray(g.rules)) throw new RulesFileError(`${gw}: "rules" must be a list`);
    const rules = ((g.rules as unknown[] | undefined) ?? []).map((r, ri) => parseRule(r, `${gw}, rule ${ri + 1}`));
    return { name: g.name, file, intervalMs, cron, schedule, rules };
  });
}

function parseRule(r: unknown, where: string): RecordingRule {
  if (!isObject(r)) throw new RulesFileError(`${where}: must be a mapping with "record" and "expr"`);
  if (r.alert !== undefined) throw new RulesFileError(`${where}: alerting rules are not supported (only recording rules: "record" and "expr")`);
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new RulesFileError(`${where}: unknown field "${k}" (a recording rule has record, expr, labels)`);
  if (typeof r.record !== 'string' || r.record === '') throw new RulesFileError(`${where}: "record" must be a non-empty string`);
  const rw = `${where} ("${r.record}")`;
  if (!METRIC_NAME.test(r.record)) throw new RulesFileError(`${rw}: "record" is not a valid metric name`);
  if (typeof r.expr !== 'string' && typeof r.expr !== 'number') throw new RulesFileError(`${rw}: "expr" must be a PromQL expression`);
  const expr = String(r.expr).trim();
  if (expr === '') throw new RulesFileError(`${rw}: "expr" is empty`);
  let parsed: Expr;
  try {
    parsed = parseExpr(expr);
  } catch (e) {
    throw new RulesFileError(`${rw}: "expr": ${(e as Error).message}`);
  }
  const type = exprType(parsed);
  if (type !== 'vector' && type !== 'scalar') throw new RulesFileError(`${rw}: "expr" must give an instant vector or a scalar, not a ${type}`);
  const labels: Record<string, string> = {};
  if (r.labels !== undefined && r.labels !== null) {
    if (!isObject(r.labels)) throw new RulesFileError(`${rw}: "labels" must be a mapping of label names to values`);
    for (const [k, v] of Object.entries(r.labels)) {
      if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new RulesFileError(`${rw}: "labels": "${k}" is not a valid label name`);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new RulesFileError(`${rw}: "labels": the value of "${k}" must be a string`);
      labels[k] = String(v);
    }
  }
  return { record: r.record, expr, labels, parsed };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------
// Evaluation.

export interface RuleStatus {
  health: 'ok' | 'err' | 'unknown';
  lastError: string | null;
  /** ms; null before the first evaluation. */
  lastEvaluation: number | null;
  evaluationMs: number;
  samples: number;
}

export interface GroupStatus {
  evaluations: number;
  /** Rule evaluations, and those that failed (Prometheus counts per rule). */
  ruleEvaluations: number;
  ruleFailures: number;
  lastEvaluation: number | null;
  lastDurationMs: number;
  lastPoints: number;
  lastError: string | null;
}

export interface RuleEvalEvent {
  group: string;
  at: number;
  points: number;
  durationMs: number;
  error?: string;
}

export interface RecordingRulesOptions {
  engine: Database;
  groups: RuleGroup[];
  /** Where evaluations write (created if missing). Default "prometheus". */
  database?: string;
  /** Where rules_state.json lives (default: the engine's data dir). */
  dataDir?: string;
  now: () => number;
  logger: Logger;
  maxCatchUp?: number;
  /** PromQL limits (lookback, samples, timeout). */
  query?: PromQLEngineOptions;
  onEvaluation?: (ev: RuleEvalEvent) => void;
}

interface GroupState {
  group: RuleGroup;
  lastDone: number;
  status: GroupStatus;
  rules: RuleStatus[];
}

/** The recording rule groups of one engine: a scheduled job. */
export class RecordingRules implements ScheduledJob {
  private readonly opts: RecordingRulesOptions;
  private readonly file: string;
  private groups: GroupState[] = [];
  readonly database: string;

  constructor(opts: RecordingRulesOptions) {
    this.opts = opts;
    this.database = opts.database ?? 'prometheus';
    this.file = path.join(opts.dataDir ?? opts.engine.dataDir, RULES_STATE_FILE);
    removeStaleTemp(this.file);
    this.setGroups(opts.groups);
  }

  /** Replaces the groups (a reloaded rules file); groups keep their state by name. */
  setGroups(groups: RuleGroup[]): void {
    const saved = this.readState();
    const now = this.opts.now();
    const old = new Map(this.groups.map((g) => [g.group.name, g]));
    this.groups = groups.map((group) => {
      const prev = old.get(group.name);
      return {
        group,
        // A new group first evaluates at the first boundary at or after now.
        lastDone: prev?.lastDone ?? saved[group.name] ?? now - 1,
        status: prev?.status ?? { evaluations: 0, ruleEvaluations: 0, ruleFailures: 0, lastEvaluation: null, lastDurationMs: 0, lastPoints: 0, lastError: null },
        rules: group.rules.map(() => ({ health: 'unknown', lastError: null, lastEvaluation: null, evaluationMs: 0, samples: 0 })),
      };
    });
  }

  /** The groups with their state, for /api/v1/rules and metrics. */
  status(): { group: RuleGroup; status: GroupStatus; rules: RuleStatus[] }[] {
    return this.groups.map((g) => ({ group: g.group, status: { ...g.status }, rules: g.rules.map((r) => ({ ...r })) }));
  }

  /** The earliest next run (at or before now when one is due: a run was missed). */
  nextDue(_now: number): number {
    let next = Infinity;
    for (const g of this.groups) next = Math.min(next, g.group.schedule.next(g.lastDone));
    return next;
  }

  async runDue(now: number): Promise<void> {
    for (const g of [...this.groups]) {
      const { runs, skipped } = dueRuns(g.group.schedule, g.lastDone, now, this.opts.maxCatchUp ?? DEFAULT_MAX_CATCH_UP);
      if (skipped > 0) {
        this.opts.logger.warn({ group: g.group.name, skipped, kept: runs.length }, 'rule group missed more evaluations than the catch-up limit: only the latest are run');
      }
      for (const t of runs) {
        if (!this.groups.includes(g)) break;
        if (!(await this.evaluate(g, t))) return;
      }
    }
  }

  /** One evaluation of a group at `at` ms; false when the engine is closed. */
  private async evaluate(g: GroupState, at: number): Promise<boolean> {
    const engine = this.opts.engine;
    const t0 = performance.now();
    let points = 0;
    let failed = 0;
    let firstError: string | null = null;
    for (let i = 0; i < g.group.rules.length; i++) {
      const rule = g.group.rules[i];
      const r0 = performance.now();
      const st = g.rules[i];
      try {
        const batch = this.samplesOf(rule, at);
        if (batch.length > 0) {
          if (!engine.hasDatabase(this.database)) await engine.createDatabase(this.database);
          const res = await engine.write(batch, { db: this.database });
          if (res.errors.length > 0) throw new Error(`writing ${rule.record}: ${res.errors[0].message}`);
        }
        points += batch.length;
        st.health = 'ok';
        st.lastError = null;
        st.samples = batch.length;
      } catch (err) {
        if ((err as StrataError).code === 'STRATA_ERR_CLOSED') return false;
        failed++;
        st.health = 'err';
        st.lastError = (err as Error).message;
        firstError ??= `${rule.record}: ${st.lastError}`;
      }
      st.lastEvaluation = at;
      st.evaluationMs = performance.now() - r0;
    }
    const durationMs = performance.now() - t0;
    const s = g.status;
    s.evaluations++;
    s.ruleEvaluations += g.group.rules.length;
    s.ruleFailures += failed;
    s.lastEvaluation = at;
    s.lastDurationMs = durationMs;
    s.lastPoints = points;
    s.lastError = firstError;
    // The samples must be on disk (also under --fsync interval/off) before the evaluation
    // is recorded as done, or a crash would leave a gap the catch-up does not refill.
    if (points > 0) {
      try {
        await engine.syncWal();
      } catch (err) {
        if ((err as StrataError).code === 'STRATA_ERR_CLOSED') return false;
        throw err;
      }
    }
    g.lastDone = at;
    this.saveState();
    const fields = { group: g.group.name, db: this.database, at: new Date(at).toISOString(), rules: g.group.rules.length, points, durationMs: Math.round(durationMs * 1000) / 1000 };
    if (firstError !== null) this.opts.logger.error({ ...fields, failed, err: firstError }, 'rule group evaluation failed');
    else this.opts.logger.info(fields, 'rule group evaluated');
    this.opts.onEvaluation?.({ group: g.group.name, at, points, durationMs, ...(firstError !== null ? { error: firstError } : {}) });
    return true;
  }

  /** The points one rule records at `at`. Throws for a query error or clashing series. */
  private samplesOf(rule: RecordingRule, at: number): Point[] {
    const out = instantQueryExpr(engineSource(this.opts.engine), rule.parsed, at, { now: () => at, ...this.opts.query });
    const r = out.result;
    const samples = r.resultType === 'vector' ? r.samples : r.resultType === 'scalar' ? [{ labels: {}, v: r.v }] : [];
    const time = BigInt(at) * MS;
    const seen = new Set<string>();
    const points: Point[] = [];
    for (const s of samples) {
      // The engine stores no NaN or infinities (as InfluxDB): such samples are left out.
      if (!Number.isFinite(s.v)) continue;
      const tags: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels)) if (k !== '__name__' && v !== '') tags[k] = v;
      for (const [k, v] of Object.entries(rule.labels)) {
        if (v === '') delete tags[k];
        else tags[k] = v;
      }
      const key = JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      // Prometheus's own check: two samples may not become one series.
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      points.push({ measurement: rule.record, tags, fields: { value: { type: 'float', value: s.v } }, time });
    }
    return points;
  }

  private readState(): Record<string, number> {
    if (!fs.existsSync(this.file)) return {};
    const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { groups?: Record<string, { lastDone?: number }> };
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(data.groups ?? {})) if (typeof v.lastDone === 'number') out[k] = v.lastDone;
    return out;
  }

  private saveState(): void {
    const groups: Record<string, { lastDone: number }> = {};
    for (const g of this.groups) groups[g.group.name] = { lastDone: g.lastDone };
    writeFileAtomic(this.file, JSON.stringify({ version: 1, groups }, null, 2) + '\n');
  }
}
