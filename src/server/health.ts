// Liveness endpoints in the shapes InfluxDB clients probe: `/ping` (1.x: 204 with version
// headers, or `{"version"}` with ?verbose=true) and `/health` (2.x's health check object,
// which the v2 clients and Telegraf's influxdb_v2 output read).

import type { FastifyInstance } from 'fastify';
import { JSON_UTF8 } from './errors.js';

export interface HealthOptions {
  /** The version reported to InfluxDB clients, as in X-Influxdb-Version (it embeds
   * Strata's own version: see app.ts). */
  influxVersion: string;
  /** The commit Strata was built from, or "unknown". */
  commit: string;
}

export function healthPlugin(opts: HealthOptions) {
  return async function healthRoutes(app: FastifyInstance): Promise<void> {
    // The version headers are set on every response by app.ts.
    app.route({
      method: ['GET', 'HEAD'],
      url: '/ping',
      handler: async (request, reply) => {
        const verbose = (request.query as Record<string, unknown>).verbose;
        if (request.method === 'GET' && (verbose === 'true' || verbose === '1')) {
          return reply.code(200).type(JSON_UTF8).send(JSON.stringify({ version: opts.influxVersion }));
        }
        return reply.code(204).send();
      },
      exposeHeadRoute: false,
    });

    app.get('/health', async (_request, reply) => {
      const body = {
        name: 'strata',
        message: 'ready for queries and writes',
        status: 'pass',
        checks: [],
        version: opts.influxVersion,
        commit: opts.commit,
      };
      return reply.code(200).type(JSON_UTF8).send(JSON.stringify(body));
    });
  };
}
