// Strata's DOWNSAMPLE clause of CREATE/ALTER RETENTION POLICY, over a real engine.

import { describe, expect, it } from 'vitest';
import { engineFixture } from '../../engine/testing/fixture.js';
import { executeQuery } from './execute.js';

const { tmpDir, openDb } = engineFixture('strata-influxql-downsample-');
const NOW = 1_700_000_000_000_000_000n;
const H = 3_600_000_000_000n;

describe('DOWNSAMPLE', () => {
  it('sets, replaces and removes the tiers of a policy, which SHOW RETENTION POLICIES lists', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    const run = async (q: string) => (await executeQuery({ engine: db, now: NOW, database: 'd' }, q)).map(({ chunking: _c, ...r }) => r);
    expect(await run('CREATE RETENTION POLICY week ON d DURATION 7d REPLICATION 1 DOWNSAMPLE 1m FOR 90d, 1h FOR INF GRACE 2h')).toEqual([{ statement_id: 0 }]);
    expect(db.tiersOf('d', 'week').map((t) => [t.name, t.duration, t.grace])).toEqual([
      ['week:1m', 90n * 24n * H, H],
      ['week:1h', 0n, 2n * H],
    ]);
    const show = await run('SHOW RETENTION POLICIES ON d');
    expect(show[0].series?.[0].values?.map((v) => v[0])).toEqual(['autogen', 'week', 'week:1m', 'week:1h']);

    expect(await run('ALTER RETENTION POLICY week ON d DOWNSAMPLE 5m FOR 30d')).toEqual([{ statement_id: 0 }]);
    expect(db.tiersOf('d', 'week').map((t) => t.name)).toEqual(['week:5m']);
    expect(await run('ALTER RETENTION POLICY week ON d DOWNSAMPLE NONE')).toEqual([{ statement_id: 0 }]);
    expect(db.tiersOf('d', 'week')).toEqual([]);
    await db.close();
  });

  it('refuses a tier list that cannot be rolled exactly before changing anything', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    const r = await executeQuery({ engine: db, now: NOW, database: 'd' }, 'CREATE RETENTION POLICY week ON d DURATION 7d REPLICATION 1 DOWNSAMPLE 1m FOR 1d, 90s FOR 1d');
    expect(r[0].error).toMatch(/tier 2: resolution must be a whole multiple of the previous tier's/);
    expect(Object.keys(db.retentionPolicies('d'))).toEqual(['autogen']);
    const a = await executeQuery({ engine: db, now: NOW, database: 'd' }, 'ALTER RETENTION POLICY autogen ON d DURATION 2h DOWNSAMPLE 1h FOR 1m');
    expect(a[0].error).toMatch(/tier 1: duration must be 0 \(forever\) or at least its resolution/);
    expect(db.retentionPolicies('d').autogen).toBe(0n);
    await db.close();
  });
});
