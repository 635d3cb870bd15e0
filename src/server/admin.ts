// Operator endpoints that force the engine's background work, for operators and
// benchmarks (measuring bytes per point on disk needs the data in TSM files first).
//
//   POST /admin/flush   writes everything acknowledged so far into TSM files and drops
//                       the WAL segments that held it; answers when that is done
//   POST /admin/compact merges each shard's files into one (dropping overwritten points);
//                       answers when that is done

import type { FastifyInstance } from 'fastify';
import type { Database } from '../engine/database.js';
import { StrataError } from '../errors.js';
import { JSON_UTF8, sendError } from './errors.js';

export interface AdminOptions {
  db: Database;
}

export function adminPlugin(opts: AdminOptions) {
  return async function adminRoutes(app: FastifyInstance): Promise<void> {
    app.post('/admin/flush', async (request, reply) => {
      const t0 = performance.now();
      try {
        await opts.db.flush();
      } catch (err) {
        if (err instanceof StrataError) throw err;
        request.log.error({ err }, 'flush failed');
        return sendError(
          request,
          reply,
          500,
          `flush failed: ${(err as Error).message}; nothing is lost (the data stays in memory and in the WAL) and the next flush retries it`,
        );
      }
      const ms = Math.round((performance.now() - t0) * 1000) / 1000;
      const s = opts.db.stats();
      const body = { flushed: true, ms, tsmFiles: s.tsmFiles, tsmBytes: s.tsmBytes };
      return reply.code(200).type(JSON_UTF8).send(JSON.stringify(body));
    });

    app.post('/admin/compact', async (request, reply) => {
      const t0 = performance.now();
      let r: { merged: number; files: number };
      try {
        r = await opts.db.compact({ full: true });
      } catch (err) {
        if (err instanceof StrataError) throw err;
        request.log.error({ err }, 'compaction failed');
        return sendError(request, reply, 500, `compaction failed: ${(err as Error).message}; the files are unchanged and still serve reads`);
      }
      const ms = Math.round((performance.now() - t0) * 1000) / 1000;
      const s = opts.db.stats();
      const body = { compacted: true, ms, merged: r.merged, written: r.files, tsmFiles: s.tsmFiles, tsmBytes: s.tsmBytes };
      return reply.code(200).type(JSON_UTF8).send(JSON.stringify(body));
    });
  };
}
