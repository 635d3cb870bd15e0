// GET /api/v1/rules as Prometheus 2.x answers it (web/api/v1: RuleDiscovery), over
// Strata's recording rules (src/retention/rules.ts). Grafana's rule views and promtool-like
// scripts read it. Strata has no alerting rules, so `type=alert` gives groups without
// rules (left out, as Prometheus leaves out groups a filter emptied).
//
// Shape: {"status":"success","data":{"groups":[{name, file, rules: [{name, query, labels?,
// health, lastError?, evaluationTime, lastEvaluation, type: "recording"}], interval,
// limit, evaluationTime, lastEvaluation}]}}; times are RFC 3339, durations float seconds,
// a rule never evaluated has Go's zero time and health "unknown". A group on a cron
// schedule (a Strata extension) has `interval` = the seconds between its next two runs,
// and its expression and time zone under `schedule` / `timezone`.

import type { FastifyInstance } from 'fastify';
import type { RecordingRules } from '../retention/rules.js';

export interface RulesRoutesOptions {
  /** null when no rules file is configured: the answer lists no groups. */
  rules: RecordingRules | null;
  /** Wall clock, ms (the interval of cron groups is measured from now). */
  now?: () => number;
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** A time as Go's encoding/json writes a time.Time (RFC 3339, fraction without trailing
 * zeros), Go's zero time for null. */
function goTime(ms: number | null): string {
  if (ms === null) return GO_ZERO_TIME;
  return new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z');
}

export function rulesPlugin(opts: RulesRoutesOptions) {
  const now = opts.now ?? Date.now;
  return async function rulesRoutes(app: FastifyInstance): Promise<void> {
    app.get('/api/v1/rules', async (request, reply) => {
      const q = request.query as Record<string, string | string[] | undefined>;
      const list = (k: string) => {
        const v = q[k] ?? q[`${k}[]`];
        return v === undefined ? [] : Array.isArray(v) ? v : [v];
      };
      const type = typeof q.type === 'string' ? q.type.toLowerCase() : '';
      if (type !== '' && type !== 'alert' && type !== 'record') {
        return reply
          .code(400)
          .header('content-type', 'application/json')
          .send(Buffer.from(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `invalid query parameter type='${q.type}'` })));
      }
      const names = new Set(list('rule_name'));
      const groupNames = new Set(list('rule_group'));
      const files = new Set(list('file'));
      const filtered = names.size + groupNames.size + files.size > 0 || type === 'alert';
      const t = now();
      const groups = [];
      for (const { group, status, rules } of opts.rules?.status() ?? []) {
        if (groupNames.size > 0 && !groupNames.has(group.name)) continue;
        if (files.size > 0 && !files.has(group.file)) continue;
        const outRules = [];
        if (type !== 'alert') {
          for (let i = 0; i < group.rules.length; i++) {
            const r = group.rules[i];
            if (names.size > 0 && !names.has(r.record)) continue;
            const st = rules[i];
            outRules.push({
              name: r.record,
              query: r.expr,
              ...(Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}),
              health: st.health,
              ...(st.lastError !== null ? { lastError: st.lastError } : {}),
              evaluationTime: st.evaluationMs / 1000,
              lastEvaluation: goTime(st.lastEvaluation),
              type: 'recording',
            });
          }
        }
        if (filtered && outRules.length === 0) continue;
        const next = group.schedule.next(t);
        groups.push({
          name: group.name,
          file: group.file,
          rules: outRules,
          interval: (group.intervalMs ?? group.schedule.next(next) - next) / 1000,
          ...(group.cron ? { schedule: group.cron.expr, timezone: group.cron.tz } : {}),
          limit: 0,
          evaluationTime: status.lastDurationMs / 1000,
          lastEvaluation: goTime(status.lastEvaluation),
        });
      }
      return reply
        .code(200)
        .header('content-type', 'application/json')
        .send(Buffer.from(JSON.stringify({ status: 'success', data: { groups } })));
    });
  };
}
