import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, setup } from '../server/testing/harness.js';
import { main } from './main.js';
import { parseTiers } from './retention.js';
import { testIo } from './testing/io.js';

afterEach(cleanup);

async function server() {
  const h = await setup();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...h, url: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}` };
}

describe('strata retention', () => {
  it('sets a policy with tiers on a running server and shows it', async () => {
    const { db, url } = await server();
    await db.createDatabase('telegraf');
    const io = testIo();
    const code = await main(['retention', '--url', url, '--db', 'telegraf', '--duration', '7d', '--tiers', '1m:90d,1h:INF:2h'], io);
    expect(code, io.err.text).toBe(0);
    expect(db.retentionPolicies('telegraf').autogen).toBe(7n * 86_400_000_000_000n);
    expect(db.tiersOf('telegraf').map((t) => [t.name, t.duration, t.grace])).toEqual([
      ['autogen:1m', 90n * 86_400_000_000_000n, 3_600_000_000_000n],
      ['autogen:1h', 0n, 7_200_000_000_000n],
    ]);
    const show = testIo();
    expect(await main(['retention', '--url', url, '--db', 'telegraf'], show)).toBe(0);
    expect(JSON.parse(show.out.text)).toMatchObject({ defaultPolicy: 'autogen', policies: [{ name: 'autogen', duration: '1w', tiers: [{ name: 'autogen:1m' }, { name: 'autogen:1h' }] }] });
  });

  it("prints the server's error and fails, without changing anything", async () => {
    const { db, url } = await server();
    await db.createDatabase('d');
    const io = testIo();
    expect(await main(['retention', '--url', url, '--db', 'd', '--tiers', '1m,90s'], io)).toBe(1);
    expect(io.err.text).toMatch(/^strata retention: 400: tier 2: resolution must be a whole multiple/);
    expect(db.tiersOf('d')).toEqual([]);
  });

  it('says when the server cannot be reached, and checks its own arguments', async () => {
    const io = testIo();
    expect(await main(['retention', '--url', 'http://127.0.0.1:9', '--db', 'd'], io)).toBe(1);
    expect(io.err.text).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9: .*is the server running/);
    const usage = testIo();
    expect(await main(['retention', '--db', 'd', '--tiers', '1m::2h'], usage)).toBe(2);
    expect(usage.err.text).toMatch(/--tiers: item 1 "1m::2h" is not RESOLUTION\[:DURATION\[:GRACE\]\]/);
    expect(parseTiers('none')).toEqual([]);
    expect(parseTiers(' 1m , 1h:5y ')).toEqual([{ resolution: '1m' }, { resolution: '1h', duration: '5y' }]);
  });
});
