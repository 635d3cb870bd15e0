// Compare-and-set over real HTTP: 20 concurrent clients increment one counter key, each
// with the optimistic loop a client would write (GET value + ETag, PUT value + 1 with
// If-Match: <ETag>, start over on 412). No increment may be lost: the final value is the
// number of increments, and the key's history holds every value 0..total exactly once, in
// order — so no two clients ever stored from the same version.

import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, setup } from './testing/harness.js';

afterEach(cleanup);

const CLIENTS = 20;
const PER_CLIENT = 3;

describe('/kv compare-and-set under concurrent HTTP clients', () => {
  it(`${CLIENTS} clients × ${PER_CLIENT} If-Match increments lose no update`, async () => {
    const { app } = await setup();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `${base}/kv/counters/hits`;

    // create-only: exactly one initial value
    const init = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '0' });
    expect(init.status).toBe(200);
    const again = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '0' });
    expect(again.status).toBe(412);
    await again.arrayBuffer();

    let conflicts = 0;
    const stored: number[] = [];

    async function client(): Promise<void> {
      for (let done = 0; done < PER_CLIENT; ) {
        const get = await fetch(url);
        expect(get.status).toBe(200);
        const etag = get.headers.get('etag');
        expect(etag).toMatch(/^"\d+"$/);
        const n = Number(await get.text());
        const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', 'if-match': etag! }, body: String(n + 1) });
        if (put.status === 412) {
          const err = (await put.json()) as { error: string };
          expect(err.error).toMatch(/^If-Match failed: key "hits" in namespace "counters" has version \d+, not \d+; read it again and retry$/);
          conflicts++;
          // a short random back-off, as a real client would, so the retries spread out
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          continue;
        }
        expect(put.status, await put.clone().text()).toBe(200);
        const e = (await put.json()) as { version: string };
        // the new ETag is the new version, later than the one we read
        expect(BigInt(e.version)).toBeGreaterThan(BigInt(etag!.slice(1, -1)));
        expect(put.headers.get('etag')).toBe(`"${e.version}"`);
        stored.push(n + 1);
        done++;
      }
    }

    await Promise.all(Array.from({ length: CLIENTS }, client));
    const total = CLIENTS * PER_CLIENT;

    const final = await fetch(url);
    expect(await final.text()).toBe(String(total));

    // each successful PUT stored a distinct value: no two clients wrote from the same read
    expect(stored.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // with 20 clients racing, some compare-and-sets must have lost and retried
    expect(conflicts).toBeGreaterThan(0);

    const res = await fetch(`${url}/history`);
    expect(res.status).toBe(200);
    const hist = (await res.json()) as { versions: { version: string; value: number; deleted: boolean }[] };
    // every intermediate value exactly once, in version order
    expect(hist.versions.map((v) => v.value)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    expect(hist.versions.every((v) => !v.deleted)).toBe(true);
    const versions = hist.versions.map((v) => BigInt(v.version));
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]);
  });
});
