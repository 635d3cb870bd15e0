// GET /gateway/status: the state of every upstream as JSON (what `strata gateway status`
// prints): backlog (points, bytes, oldest age), last success, last error, rate, drops.

import type { FastifyInstance } from 'fastify';
import type { Forwarder } from './forward.js';

export interface GatewayStatusOptions {
  /** The forwarders, or a function returning them (they may change at run time). */
  forwarders: readonly Forwarder[] | (() => readonly Forwarder[]);
}

export function gatewayStatusPlugin(opts: GatewayStatusOptions) {
  const list = typeof opts.forwarders === 'function' ? opts.forwarders : () => opts.forwarders as readonly Forwarder[];
  return async function gatewayStatusRoutes(app: FastifyInstance): Promise<void> {
    app.get('/gateway/status', async (_request, reply) => {
      const upstreams = list().map((f) => f.stats());
      reply.header('cache-control', 'no-store');
      return { time: new Date().toISOString(), upstreams };
    });
  };
}
