import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../errors.js';
import { engineFixture } from './testing/fixture.js';

const { tmpDir, openDb, reopen } = engineFixture('strata-tiers-');

const S = 1_000_000_000n;
const MIN = 60n * S;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;

async function refused(p: Promise<unknown>, status: number, code: string, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StrataError);
  expect((err as StrataError).status).toBe(status);
  expect((err as StrataError).code).toBe(code);
  expect((err as StrataError).message).toMatch(pattern);
}

describe('downsampling tiers in the catalogue', () => {
  it('makes each tier a policy of its own, kept across a reopen, and replaces the list', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    const tiers = await db.setTiers('d', 'autogen', [
      { resolution: MIN, duration: 90n * DAY },
      { resolution: HOUR, duration: 0n, grace: 2n * HOUR },
    ]);
    expect(tiers.map((t) => t.name)).toEqual(['autogen:1m', 'autogen:1h']);
    expect(tiers[0].grace).toBe(HOUR);
    expect(tiers[1].grace).toBe(2n * HOUR);
    expect(db.retentionPolicies('d')).toEqual({ autogen: 0n, 'autogen:1m': 90n * DAY, 'autogen:1h': 0n });
    db = await reopen(db);
    expect(db.tiersOf('d')).toEqual(tiers);
    expect(db.tiersOf('d', 'autogen:1m')).toEqual([]);

    // Rollups written into a tier that is then removed go with it.
    await db.write('cpu,host=a v_min=1,v_count=1i 0', { db: 'd', rp: 'autogen:1h', rollup: true });
    await db.flush();
    expect(fs.existsSync(path.join(db.dataDir, 'db', 'd', 'autogen:1h'))).toBe(true);
    const kept = await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 30n * DAY }]);
    expect(kept.map((t) => [t.name, t.duration])).toEqual([['autogen:1m', 30n * DAY]]);
    expect(Object.keys(db.retentionPolicies('d')).sort()).toEqual(['autogen', 'autogen:1m']);
    expect(fs.existsSync(path.join(db.dataDir, 'db', 'd', 'autogen:1h'))).toBe(false);
    db = await reopen(db);
    expect(db.select({ db: 'd', rp: 'autogen:1m', measurement: 'cpu' })).toEqual([]);
    await db.close();
  });

  it('refuses writes into a tier from anyone but the downsampler, naming the parent', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 0n }]);
    await refused(db.write('cpu v=1 0', { db: 'd', rp: 'autogen:1m' }), 400, 'STRATA_ERR_TIER_READ_ONLY', /downsampling tier of "autogen".*write to "autogen"/);
    const r = await db.write('cpu v_min=1 0', { db: 'd', rp: 'autogen:1m', rollup: true });
    expect(r.points).toBe(1);
    await db.close();
  });

  it('rejects tier lists that cannot be rolled exactly, and leaves the old list in place', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 0n }]);
    const bad = (tiers: Parameters<typeof db.setTiers>[2], pattern: RegExp) => refused(db.setTiers('d', 'autogen', tiers), 400, 'STRATA_ERR_BAD_PARAMETER', pattern);
    await bad([{ resolution: 10n, duration: 0n }], /tier 1: resolution must be at least 1s/);
    await bad([{ resolution: MIN, duration: 0n }, { resolution: 90n * S, duration: 0n }], /tier 2: .*whole multiple/);
    await bad([{ resolution: HOUR, duration: 0n }, { resolution: MIN, duration: 0n }], /tier 2: .*whole multiple/);
    await bad([{ resolution: HOUR, duration: MIN }], /tier 1: duration must be 0 \(forever\) or at least its resolution/);
    await refused(db.setTiers('d', 'autogen:1m', []), 400, 'STRATA_ERR_BAD_PARAMETER', /itself a downsampling tier; set tiers on "autogen"/);
    await refused(db.setTiers('d', 'nope', []), 404, 'STRATA_ERR_RP_NOT_FOUND', /"nope"/);
    expect(db.tiersOf('d').map((t) => t.name)).toEqual(['autogen:1m']);
    await db.close();
  });

  it('drops the tiers with their policy, and a dropped tier leaves its parent', async () => {
    let db = await openDb({ dataDir: tmpDir() });
    await db.createDatabase('d');
    await db.setRetention('d', 'week', 7n * DAY);
    await db.setTiers('d', 'week', [{ resolution: MIN, duration: 0n }, { resolution: HOUR, duration: 0n }]);
    await db.write('cpu v_min=1 0', { db: 'd', rp: 'week:1m', rollup: true });
    expect(await db.dropRetentionPolicy('d', 'week:1h')).toBe(true);
    expect(db.tiersOf('d', 'week').map((t) => t.name)).toEqual(['week:1m']);
    expect(await db.dropRetentionPolicy('d', 'week')).toBe(true);
    expect(Object.keys(db.retentionPolicies('d'))).toEqual(['autogen']);
    db = await reopen(db);
    expect(Object.keys(db.retentionPolicies('d'))).toEqual(['autogen']);
    expect(fs.existsSync(path.join(db.dataDir, 'db', 'd', 'week:1m'))).toBe(false);
    await db.close();
  });

  it('expires a tier by its own duration, like any policy, while raw points and other tiers stay', async () => {
    let clock = 100n * DAY;
    const db = await openDb({ dataDir: tmpDir(), now: () => clock, retentionCheckMs: 0 });
    await db.createDatabase('d');
    await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: DAY }, { resolution: HOUR, duration: 0n }]);
    const t = clock - 12n * HOUR;
    await db.write(`cpu v=1 ${t}`, { db: 'd' });
    await db.write(`cpu v_min=1 ${t}`, { db: 'd', rp: 'autogen:1m', rollup: true });
    await db.write(`cpu v_min=1 ${t}`, { db: 'd', rp: 'autogen:1h', rollup: true });
    await db.flush();
    clock += 2n * DAY;
    expect((await db.enforceRetention()).shards).toBeGreaterThan(0);
    const count = (rp: string) => db.select({ db: 'd', rp, measurement: 'cpu' }).reduce((n, c) => n + c.times.length, 0);
    expect([count('autogen'), count('autogen:1m'), count('autogen:1h')]).toEqual([1, 0, 1]);
    await db.close();
  });

  it('rawFieldTypes leaves out the rollup fields of a database with tiers, and nothing elsewhere', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    await db.write('cpu usage=1,busy=true,note_min="x" 0', { db: 'd' });
    await db.setTiers('d', 'autogen', [{ resolution: MIN, duration: 0n }]);
    await db.write('cpu usage_min=1,usage_count=1i,usage_tlast=0i 0', { db: 'd', rp: 'autogen:1m', rollup: true });
    expect(Object.keys(db.fieldTypes('d', 'cpu')).sort()).toEqual(['busy', 'note_min', 'usage', 'usage_count', 'usage_min', 'usage_tlast']);
    // note_min stays: "note" is not a numeric field, so nothing is rolled up from it.
    expect(db.rawFieldTypes('d', 'cpu')).toEqual({ busy: 'boolean', note_min: 'string', usage: 'float' });
    await db.write('mem free=1,free_min=0 0', { db: 'plain' });
    expect(db.rawFieldTypes('plain', 'mem')).toEqual({ free: 'float', free_min: 'float' });
    // rawFieldType: the same, one field at a time
    for (const [name, m] of [['d', 'cpu'], ['plain', 'mem'], ['d', 'nosuch'], ['nosuch', 'cpu']]) {
      const all = db.rawFieldTypes(name, m);
      for (const f of [...Object.keys(db.fieldTypes(name, m)), 'nosuch', 'usage_max', '_min']) expect(db.rawFieldType(name, m, f), `${name} ${m} ${f}`).toBe(all[f]);
    }
    await db.close();
  });

  it('tells write observers the span of what was stored, and nothing for rejected lines', async () => {
    const db = await openDb({ dataDir: tmpDir() });
    const seen: [string, string, bigint, bigint][] = [];
    const stop = db.observeWrites((d, rp, lo, hi) => seen.push([d, rp, lo, hi]));
    await db.write('cpu v=1 50\ncpu v=2 -7\ncpu v="x" 1000\ncpu v=3 20\n', { db: 'd' });
    await db.write('cpu v="y" 5', { db: 'd' });
    stop();
    await db.write('cpu v=1 99', { db: 'd' });
    expect(seen).toEqual([['d', 'autogen', -7n, 50n]]);
    await db.close();
  });
});
