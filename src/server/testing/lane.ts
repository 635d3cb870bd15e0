// Shared by the query lane's tests (lane.test.ts, laneSocket.test.ts): their data and the
// form encoding of their parameters.

import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';

/** The data's first time, s. */
export const T0 = 1_700_000_000;

/** Parameters as a form (or query string). */
export const q = (params: Record<string, string | number>): string =>
  new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]))).toString();

/** Writes `up` (hosts a and b, 12 points each, 10 s apart from T0) to database d, then
 * listens on a loopback port, which it returns. */
export async function loadAndListen(app: FastifyInstance): Promise<number> {
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    const t = BigInt(T0 + i * 10) * 1_000_000_000n;
    lines.push(`up,host=a value=${(i % 5) + 0.25} ${t}`, `up,host=b value=${i * 1.5} ${t}`);
  }
  const res = await app.inject({ method: 'POST', url: '/write?db=d', payload: lines.join('\n') });
  expect(res.statusCode, res.body).toBe(204);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}
