// Test harness for the server tests: a fresh data directory, database and server per test,
// all closed and removed by `cleanup()` (call it in afterEach).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { openDatabase, type Database, type OpenOptions } from '../../engine/database.js';
import { buildServer, type ServerOptions } from '../app.js';
import { createMetrics, type Metrics } from '../metrics.js';

export interface Harness {
  dir: string;
  db: Database;
  app: FastifyInstance;
  metrics: Metrics;
}

const open: Harness[] = [];

export async function setup(
  opts: { engine?: Partial<OpenOptions>; server?: Partial<Omit<ServerOptions, 'db' | 'metrics'>> } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-server-'));
  const metrics = createMetrics();
  const db = await openDatabase({
    dataDir: dir,
    fsync: 'off',
    now: () => 1_700_000_000_000_000_000n,
    onFsync: metrics.onFsync,
    ...opts.engine,
  });
  const app = await buildServer({ db, metrics, version: '0.1.0-test', ...opts.server });
  const h = { dir, db, app, metrics };
  open.push(h);
  return h;
}

/** setup(), then the app listening on 127.0.0.1 (an ephemeral port); its base URL. */
export async function listening(opts: Parameters<typeof setup>[0] = {}): Promise<{ h: Harness; base: string }> {
  const h = await setup(opts);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = h.app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { h, base: `http://127.0.0.1:${addr.port}` };
}

export async function cleanup(): Promise<void> {
  for (const h of open.splice(0)) {
    await h.app.close();
    await h.db.close();
    fs.rmSync(h.dir, { recursive: true, force: true });
  }
}

/** Everything stored in a database, as the export endpoint returns it. */
export async function exportText(app: FastifyInstance, db: string, query = ''): Promise<string> {
  const res = await app.inject({ method: 'GET', url: `/export?db=${encodeURIComponent(db)}${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
}

export function sortedLines(text: string): string[] {
  return text.split('\n').filter(Boolean).sort();
}

/** Checks an error response: status, JSON body, content type and the version headers. */
export function expectJsonError(res: LightMyRequestResponse, status: number, body: unknown): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['x-influxdb-version']).toMatch(/^1\.8\.10\+strata\./);
  expect(res.headers['x-influxdb-build']).toBe('OSS');
  expect(JSON.parse(res.body)).toEqual(body);
}
