// Prometheus metrics of the forwarders, read from their stats when scraped (collect
// callbacks), one series per upstream.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Forwarder, ForwarderStats } from './forward.js';

/** Registers the strata_forward_* metrics; `forwarders` may be a list or a function of one. */
export function registerForwardMetrics(registry: Registry, forwarders: readonly Forwarder[] | (() => readonly Forwarder[])): void {
  const list = typeof forwarders === 'function' ? forwarders : () => forwarders;
  const each = (f: (s: ForwarderStats) => void) => {
    for (const fw of list()) f(fw.stats());
  };
  const gauge = (name: string, help: string, pick: (s: ForwarderStats) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset();
        each((s) => {
          const v = pick(s);
          if (v !== null) this.set({ upstream: s.upstream }, v);
        });
      },
    });
  const counter = (name: string, help: string, labelNames: string[], pick: (s: ForwarderStats) => number, extra: Record<string, string> = {}) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        each((s) => this.inc({ upstream: s.upstream, ...extra }, pick(s)));
      },
    });

  gauge('strata_forward_backlog_bytes', 'WAL bytes accepted locally and not yet forwarded to the upstream.', (s) => s.backlog.bytes);
  gauge('strata_forward_backlog_points', 'Points not yet forwarded (estimate: backlog bytes times the points per WAL byte read so far).', (s) => s.backlog.points);
  gauge('strata_forward_backlog_oldest_seconds', 'Age of the oldest point not yet forwarded (a lower bound, within about a second).', (s) => s.backlog.oldestSeconds);
  gauge('strata_forward_last_success_timestamp_seconds', 'When the upstream last accepted a batch (Unix seconds).', (s) => (s.lastSuccess === null ? null : Date.parse(s.lastSuccess) / 1000));
  gauge('strata_forward_refusing_writes', '1 while the backlog is over its cap and the policy is refuse (writes answer 503).', (s) => (s.refusing ? 1 : 0));
  counter('strata_forward_points_total', 'Points the upstream accepted (or that were dead-lettered).', ['upstream'], (s) => s.forwardedPoints);
  counter('strata_forward_requests_total', 'Requests the upstream accepted.', ['upstream'], (s) => s.forwardedRequests);
  counter('strata_forward_retries_total', 'Requests retried after a 429, 5xx or network error.', ['upstream'], (s) => s.retries);
  counter('strata_forward_dropped_points_total', 'Points never forwarded: dropped by the backlog cap (policy drop-oldest).', ['upstream', 'reason'], (s) => s.dropped.points, { reason: 'cap' });
  counter('strata_forward_dropped_bytes_total', 'WAL bytes dropped by the backlog cap (policy drop-oldest).', ['upstream', 'reason'], (s) => s.dropped.bytes, { reason: 'cap' });
  counter('strata_forward_dead_letters_total', 'Batches the upstream refused with a 4xx, written to the dead-letter file.', ['upstream'], (s) => s.deadLetters.batches);
  counter('strata_forward_dead_letter_points_total', 'Points in dead-lettered batches.', ['upstream'], (s) => s.deadLetters.points);
}
