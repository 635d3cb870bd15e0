import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, setup } from './testing/harness.js';

afterEach(cleanup);

describe('retention admin API', () => {
  it('creates a policy with tiers, lists it, changes it and makes it the default', async () => {
    const { app, db } = await setup();
    await db.createDatabase('d');
    const put = await app.inject({
      method: 'PUT',
      url: '/admin/retention/d/week',
      payload: { duration: '7d', shardDuration: '1d', tiers: [{ resolution: '1m', duration: '90d' }, { resolution: '1h', duration: 'INF', grace: '2h' }] },
    });
    expect(put.statusCode, put.body).toBe(200);
    const want = {
      database: 'd',
      defaultPolicy: 'autogen',
      policies: [
        { name: 'autogen', duration: '0', shardDuration: '1w', default: true, tiers: [] },
        {
          name: 'week',
          duration: '1w',
          shardDuration: '1d',
          default: false,
          tiers: [
            { name: 'week:1m', resolution: '1m', duration: '90d', grace: '1h' },
            { name: 'week:1h', resolution: '1h', duration: '0', grace: '2h' },
          ],
        },
      ],
    };
    expect(JSON.parse(put.body)).toEqual(want);
    const get = await app.inject({ method: 'GET', url: '/admin/retention?db=d' });
    expect(get.statusCode).toBe(200);
    expect(JSON.parse(get.body)).toEqual(want);
    expect(db.tiersOf('d', 'week').map((t) => t.name)).toEqual(['week:1m', 'week:1h']);

    const change = await app.inject({ method: 'PUT', url: '/admin/retention/d/week', payload: { default: true, tiers: [{ resolution: '5m' }] } });
    expect(change.statusCode, change.body).toBe(200);
    expect(JSON.parse(change.body)).toMatchObject({
      defaultPolicy: 'week',
      policies: [{ name: 'autogen', default: false }, { name: 'week', duration: '1w', default: true, tiers: [{ name: 'week:5m', resolution: '5m', duration: '0', grace: '1h' }] }],
    });
  });

  it('refuses bad input with a message naming the member, and changes nothing', async () => {
    const { app, db } = await setup();
    await db.createDatabase('d');
    const bad = async (url: string, payload: unknown, status: number, pattern: RegExp) => {
      const res = await app.inject({ method: 'PUT', url, payload: payload as object });
      expect(res.statusCode, res.body).toBe(status);
      expect(JSON.parse(res.body).error).toMatch(pattern);
    };
    await bad('/admin/retention/d/week', { duration: '7d', tiers: [{ resolution: '1m' }, { resolution: '90s' }] }, 400, /tier 2: resolution must be a whole multiple/);
    await bad('/admin/retention/d/week', { duration: 'soon' }, 400, /invalid duration "soon"/);
    await bad('/admin/retention/d/week', { tiers: [] }, 400, /"week" does not exist: give its duration/);
    await bad('/admin/retention/d/autogen', { tiers: [{ resolution: 'x' }] }, 400, /invalid tiers\[0\]\.resolution "x"/);
    await bad('/admin/retention/d/autogen', { retention: '1d' }, 400, /unknown member "retention"/);
    await bad('/admin/retention/d/autogen', [1], 400, /body must be a JSON object/);
    await bad('/admin/retention/nope/autogen', { duration: '1d' }, 404, /nope/);
    expect(Object.keys(db.retentionPolicies('d'))).toEqual(['autogen']);
    await app.inject({ method: 'PUT', url: '/admin/retention/d/autogen', payload: { tiers: [{ resolution: '1m' }] } });
    await bad('/admin/retention/d/autogen:1m', { duration: '1d' }, 400, /"autogen:1m" is a downsampling tier of "autogen"/);
    const get = await app.inject({ method: 'GET', url: '/admin/retention' });
    expect(get.statusCode).toBe(400);
    expect(JSON.parse(get.body).error).toMatch(/pass \?db=/);
  });
});
