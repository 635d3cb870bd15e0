// The statements other than SELECT, over a real engine. Expected shapes and error texts are
// what InfluxDB 1.6.7 answered to the same statements over the same points.

import { describe, expect, it } from 'vitest';
import type { Database } from '../../engine/database.js';
import { engineFixture } from '../../engine/testing/fixture.js';
import { executeQuery, goDuration } from './execute.js';
import { InfluxQLParseError } from './parser.js';
import type { QueryContext } from './result.js';

const { tmpDir, openDb } = engineFixture('strata-influxql-exec-');

const NOW = 1_700_000_000_000_000_000n;
const POINTS = [
  'cpu,host=a,region=eu v=1,w=2i 1700000000000000000',
  'cpu,host=b,region=us v=2.5,s="x" 1700000001000000000',
  'mem,host=a free=10i 1700000000500000000',
  'disk,host=c,path=/ used=1.5 1700000002000000000',
].join('\n');

async function engine(): Promise<Database> {
  const db = await openDb({ dataDir: tmpDir() });
  await db.write(POINTS, { db: 'd1' });
  return db;
}

/** The results without the chunking hint, as the JSON has them. */
async function run(db: Database, q: string, ctx: Partial<QueryContext> = { database: 'd1' }) {
  const results = await executeQuery({ engine: db, now: NOW, ...ctx }, q);
  return results.map(({ chunking: _c, ...r }) => r);
}

async function first(db: Database, q: string, ctx?: Partial<QueryContext>) {
  return (await run(db, q, ctx))[0];
}

describe('InfluxQL statements other than SELECT', () => {
  it('SHOW DATABASES and SHOW MEASUREMENTS (ON, WITH MEASUREMENT, WHERE, LIMIT/OFFSET)', async () => {
    const db = await engine();
    expect(await first(db, 'SHOW DATABASES', {})).toEqual({
      statement_id: 0,
      series: [{ name: 'databases', columns: ['name'], values: [['d1']] }],
    });
    const names = (r: Awaited<ReturnType<typeof first>>) => r.series?.[0].values.map((v) => v[0]);
    expect(names(await first(db, 'SHOW MEASUREMENTS'))).toEqual(['cpu', 'disk', 'mem']);
    expect(names(await first(db, 'SHOW MEASUREMENTS ON d1', {}))).toEqual(['cpu', 'disk', 'mem']);
    expect(names(await first(db, 'SHOW MEASUREMENTS LIMIT 1'))).toEqual(['cpu']);
    expect(names(await first(db, 'SHOW MEASUREMENTS LIMIT 1 OFFSET 1'))).toEqual(['disk']);
    expect(names(await first(db, 'SHOW MEASUREMENTS WITH MEASUREMENT =~ /m/'))).toEqual(['mem']);
    expect(names(await first(db, 'SHOW MEASUREMENTS WITH MEASUREMENT = cpu'))).toEqual(['cpu']);
    expect(names(await first(db, "SHOW MEASUREMENTS WHERE host = 'c'"))).toEqual(['disk']);
    // Per measurement, as InfluxDB: != holds when no series has the value; no tag, no match.
    expect(names(await first(db, "SHOW MEASUREMENTS WHERE host != 'a'"))).toEqual(['disk']);
    expect(await first(db, "SHOW MEASUREMENTS WHERE path =~ /./ AND host = 'a'")).toEqual({ statement_id: 0 });
    expect(names(await first(db, "SHOW MEASUREMENTS WHERE path = '/' OR _name = 'mem'"))).toEqual(['disk', 'mem']);
    expect(await first(db, 'SHOW MEASUREMENTS', {})).toEqual({ statement_id: 0, error: 'database name required' });
    expect(await first(db, 'SHOW MEASUREMENTS ON nodb')).toEqual({ statement_id: 0 });
  });

  it('SHOW TAG KEYS: one series per measurement, FROM, WHERE, LIMIT/OFFSET per measurement', async () => {
    const db = await engine();
    expect(await first(db, 'SHOW TAG KEYS')).toEqual({
      statement_id: 0,
      series: [
        { name: 'cpu', columns: ['tagKey'], values: [['host'], ['region']] },
        { name: 'disk', columns: ['tagKey'], values: [['host'], ['path']] },
        { name: 'mem', columns: ['tagKey'], values: [['host']] },
      ],
    });
    expect((await first(db, 'SHOW TAG KEYS FROM "cpu"')).series).toEqual([{ name: 'cpu', columns: ['tagKey'], values: [['host'], ['region']] }]);
    expect((await first(db, 'SHOW TAG KEYS FROM /d|m/')).series?.map((s) => s.name)).toEqual(['disk', 'mem']);
    expect((await first(db, 'SHOW TAG KEYS LIMIT 1 OFFSET 1')).series).toEqual([
      { name: 'cpu', columns: ['tagKey'], values: [['region']] },
      { name: 'disk', columns: ['tagKey'], values: [['path']] },
    ]);
    expect((await first(db, "SHOW TAG KEYS WHERE host = 'a'")).series?.map((s) => s.name)).toEqual(['cpu', 'mem']);
    expect(await first(db, 'SHOW TAG KEYS FROM nom')).toEqual({ statement_id: 0 });
    expect(await first(db, 'SHOW TAG KEYS ON nodb')).toEqual({ statement_id: 0, error: 'database not found: nodb' });
  });

  it('SHOW TAG VALUES WITH KEY = / IN / =~ / != / !~, FROM, WHERE, LIMIT', async () => {
    const db = await engine();
    expect(await first(db, 'SHOW TAG VALUES FROM "cpu" WITH KEY = "host"')).toEqual({
      statement_id: 0,
      series: [{ name: 'cpu', columns: ['key', 'value'], values: [['host', 'a'], ['host', 'b']] }],
    });
    const rows = async (q: string) => (await first(db, q)).series?.map((s) => [s.name, s.values]);
    expect(await rows('SHOW TAG VALUES WITH KEY IN (host, region)')).toEqual([
      ['cpu', [['host', 'a'], ['host', 'b'], ['region', 'eu'], ['region', 'us']]],
      ['disk', [['host', 'c']]],
      ['mem', [['host', 'a']]],
    ]);
    expect(await rows('SHOW TAG VALUES WITH KEY =~ /h|p/')).toEqual([
      ['cpu', [['host', 'a'], ['host', 'b']]],
      ['disk', [['host', 'c'], ['path', '/']]],
      ['mem', [['host', 'a']]],
    ]);
    expect(await rows('SHOW TAG VALUES WITH KEY != host')).toEqual([
      ['cpu', [['region', 'eu'], ['region', 'us']]],
      ['disk', [['path', '/']]],
    ]);
    expect(await rows('SHOW TAG VALUES WITH KEY !~ /h/')).toEqual([['cpu', [['region', 'eu'], ['region', 'us']]]]);
    expect(await rows("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'us'")).toEqual([['cpu', [['host', 'b']]]]);
    expect(await rows('SHOW TAG VALUES WITH KEY = host LIMIT 1 OFFSET 1')).toEqual([['cpu', [['host', 'b']]]]);
  });

  it('SHOW FIELD KEYS and SHOW SERIES (WHERE with OR, regex, fields and time)', async () => {
    const db = await engine();
    expect((await first(db, 'SHOW FIELD KEYS FROM "cpu"')).series).toEqual([
      { name: 'cpu', columns: ['fieldKey', 'fieldType'], values: [['s', 'string'], ['v', 'float'], ['w', 'integer']] },
    ]);
    expect(await first(db, 'SHOW FIELD KEYS FROM nom')).toEqual({ statement_id: 0 });
    expect((await first(db, 'SHOW FIELD KEYS LIMIT 1 OFFSET 1')).series).toEqual([
      { name: 'cpu', columns: ['fieldKey', 'fieldType'], values: [['v', 'float']] },
    ]);
    const keys = async (q: string) => (await first(db, q)).series?.[0].values.map((v) => v[0]);
    expect(await keys('SHOW SERIES')).toEqual(['cpu,host=a,region=eu', 'cpu,host=b,region=us', 'disk,host=c,path=/', 'mem,host=a']);
    expect((await first(db, 'SHOW SERIES')).series?.[0].columns).toEqual(['key']);
    expect(await keys("SHOW SERIES WHERE host = 'a' OR region = 'us'")).toEqual(['cpu,host=a,region=eu', 'cpu,host=b,region=us', 'mem,host=a']);
    expect(await keys('SHOW SERIES WHERE host =~ /a/')).toEqual(['cpu,host=a,region=eu', 'mem,host=a']);
    expect(await keys('SHOW SERIES WHERE v = 1')).toHaveLength(4); // a field: every series
    expect(await keys('SHOW SERIES FROM cpu, mem LIMIT 2 OFFSET 1')).toEqual(['cpu,host=b,region=us', 'mem,host=a']);
  });

  it('cardinalities', async () => {
    const db = await engine();
    expect(await first(db, 'SHOW MEASUREMENT CARDINALITY')).toEqual({
      statement_id: 0,
      series: [{ name: '', columns: ['cardinality estimation'], values: [[3]] }],
    });
    expect((await first(db, 'SHOW MEASUREMENT EXACT CARDINALITY')).series).toEqual([{ name: '', columns: ['count'], values: [[3]] }]);
    expect((await first(db, 'SHOW SERIES CARDINALITY')).series?.[0].values).toEqual([[4]]);
    expect((await first(db, 'SHOW SERIES CARDINALITY ON nodb')).series?.[0].values).toEqual([[0]]);
    const perMeasurement = async (q: string) => (await first(db, q)).series?.map((s) => [s.name, s.values[0][0]]);
    expect(await perMeasurement('SHOW SERIES EXACT CARDINALITY')).toEqual([['cpu', 2], ['disk', 1], ['mem', 1]]);
    expect(await perMeasurement('SHOW TAG KEY CARDINALITY')).toEqual([['cpu', 2], ['disk', 2], ['mem', 1]]);
    expect(await perMeasurement('SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host')).toEqual([['cpu', 2], ['disk', 1], ['mem', 1]]);
    expect(await perMeasurement('SHOW FIELD KEY CARDINALITY')).toEqual([['cpu', 3], ['disk', 1], ['mem', 1]]);
    expect(await first(db, 'SHOW TAG KEY CARDINALITY ON nodb')).toEqual({ statement_id: 0, error: 'database not found: nodb' });
  });

  it('CREATE DATABASE (WITH DURATION, SHARD DURATION, NAME), SHOW RETENTION POLICIES, DROP DATABASE', async () => {
    const db = await engine();
    expect(await run(db, 'CREATE DATABASE d2 WITH DURATION 2d SHARD DURATION 1h NAME short', {})).toEqual([{ statement_id: 0 }]);
    expect(await first(db, 'SHOW RETENTION POLICIES ON d2', {})).toEqual({
      statement_id: 0,
      series: [{ name: '', columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values: [['short', '48h0m0s', '1h0m0s', 1, true]] }],
    });
    expect(await first(db, 'CREATE DATABASE d2', {})).toEqual({ statement_id: 0 });
    expect(await first(db, 'CREATE DATABASE d2 WITH DURATION 3d', {})).toEqual({ statement_id: 0, error: 'retention policy conflicts with an existing policy' });
    expect(await first(db, 'CREATE DATABASE d3 WITH DURATION 30m', {})).toEqual({ statement_id: 0, error: 'retention policy duration must be at least 1h0m0s' });
    expect(await first(db, 'CREATE DATABASE d3 WITH DURATION 2h SHARD DURATION 3h', {})).toEqual({
      statement_id: 0,
      error: 'retention policy duration must be greater than the shard duration',
    });
    expect(await first(db, 'CREATE DATABASE "a/b"', {})).toEqual({ statement_id: 0, error: 'invalid name' });
    expect((await first(db, 'SHOW RETENTION POLICIES')).series?.[0].values).toEqual([['autogen', '0s', '168h0m0s', 1, true]]);
    expect(await first(db, 'SHOW RETENTION POLICIES', {})).toEqual({ statement_id: 0, error: 'database name required' });
    expect(await first(db, 'SHOW RETENTION POLICIES ON nodb', {})).toEqual({ statement_id: 0, error: 'database not found: nodb' });
    expect(await run(db, 'DROP DATABASE d2; DROP DATABASE nodb; SHOW DATABASES', {})).toEqual([
      { statement_id: 0 },
      { statement_id: 1 },
      { statement_id: 2, series: [{ name: 'databases', columns: ['name'], values: [['d1']] }] },
    ]);
  });

  it('CREATE / ALTER / DROP RETENTION POLICY as InfluxDB answers them', async () => {
    const db = await engine();
    await db.createDatabase('d2');
    const rps = async () => (await first(db, 'SHOW RETENTION POLICIES ON d2', {})).series?.[0].values;
    expect(await first(db, 'CREATE RETENTION POLICY r1 ON d2 DURATION 1h REPLICATION 1')).toEqual({ statement_id: 0 });
    expect(await first(db, 'CREATE RETENTION POLICY r1 ON d2 DURATION 1h REPLICATION 1')).toEqual({ statement_id: 0 });
    expect(await first(db, 'CREATE RETENTION POLICY r1 ON d2 DURATION 2h REPLICATION 1')).toEqual({ statement_id: 0, error: 'retention policy already exists' });
    expect(await first(db, 'CREATE RETENTION POLICY r2 ON d2 DURATION 30d REPLICATION 3 SHARD DURATION 2d DEFAULT')).toEqual({ statement_id: 0 });
    expect(await rps()).toEqual([
      ['autogen', '0s', '168h0m0s', 1, false],
      ['r1', '1h0m0s', '1h0m0s', 1, false],
      ['r2', '720h0m0s', '48h0m0s', 1, true],
    ]);
    expect(await first(db, 'ALTER RETENTION POLICY r1 ON d2 DURATION 5h DEFAULT')).toEqual({ statement_id: 0 });
    expect((await rps())?.[1]).toEqual(['r1', '5h0m0s', '1h0m0s', 1, true]);
    expect(await first(db, 'ALTER RETENTION POLICY autogen ON d2 SHARD DURATION 30m')).toEqual({ statement_id: 0 });
    expect((await rps())?.[0]).toEqual(['autogen', '0s', '1h0m0s', 1, false]);
    expect(await first(db, 'ALTER RETENTION POLICY nor ON d2 DURATION 5h')).toEqual({ statement_id: 0, error: 'retention policy not found: nor' });
    expect(await first(db, 'ALTER RETENTION POLICY r1 ON d2 DURATION 10m')).toEqual({ statement_id: 0, error: 'retention policy duration must be at least 1h0m0s' });
    expect(await first(db, 'CREATE RETENTION POLICY r3 ON nodb DURATION 1h REPLICATION 1')).toEqual({ statement_id: 0, error: 'database not found: nodb' });
    expect(await first(db, 'ALTER RETENTION POLICY r1 ON nodb DURATION 1h')).toEqual({ statement_id: 0, error: 'database not found: nodb' });
    expect(await run(db, 'DROP RETENTION POLICY r1 ON d2; DROP RETENTION POLICY r1 ON d2; DROP RETENTION POLICY x ON nodb')).toEqual([
      { statement_id: 0 },
      { statement_id: 1 },
      { statement_id: 2 },
    ]);
    expect((await rps())?.map((r) => r[0])).toEqual(['autogen', 'r2']);
  });

  it('DELETE: time ranges and tag predicates; field predicates refused as InfluxDB refuses them', async () => {
    const db = await engine();
    expect(await first(db, 'DELETE FROM cpu WHERE v = 1')).toEqual({ statement_id: 0, error: 'fields not supported in WHERE clause during deletion' });
    expect(await first(db, "DELETE FROM cpu WHERE host = 'a' AND v > 1")).toEqual({ statement_id: 0, error: 'fields not supported in WHERE clause during deletion' });
    expect(await first(db, 'DELETE FROM cpu', {})).toEqual({ statement_id: 0, error: 'database not found: ' });
    expect(await first(db, 'DELETE FROM cpu WHERE time < 1700000000500000000')).toEqual({ statement_id: 0 });
    const count = (m: string) => db.select({ db: 'd1', measurement: m }).reduce((n, c) => n + c.times.length, 0);
    expect(count('cpu')).toBe(2); // v and s of host b
    expect(await first(db, "DELETE FROM /c.*/ WHERE host = 'b' OR region = 'zz'")).toEqual({ statement_id: 0 });
    expect(count('cpu')).toBe(0);
    expect(count('mem')).toBe(1);
    expect(await first(db, "DELETE WHERE time >= '2023-11-14T22:13:20.5Z' AND time <= '2023-11-14T22:13:20.5Z'")).toEqual({ statement_id: 0 });
    expect(count('mem')).toBe(0);
    expect(count('disk')).toBe(1);
    expect(await first(db, 'DELETE FROM nom')).toEqual({ statement_id: 0 });
  });

  it('DROP SERIES and DROP MEASUREMENT', async () => {
    const db = await engine();
    expect(await first(db, 'DROP SERIES WHERE time > 0')).toEqual({ statement_id: 0, error: "DROP SERIES doesn't support time in WHERE clause" });
    expect(await first(db, 'DROP SERIES FROM mem WHERE free = 1')).toEqual({ statement_id: 0, error: 'fields not supported in WHERE clause during deletion' });
    expect(await first(db, "DROP SERIES FROM cpu WHERE host = 'a'")).toEqual({ statement_id: 0 });
    expect(await first(db, "DROP SERIES WHERE host =~ /^c$/ OR host = 'nobody'")).toEqual({ statement_id: 0 });
    expect((await first(db, 'SHOW SERIES')).series?.[0].values).toEqual([['cpu,host=b,region=us'], ['mem,host=a']]);
    expect(await run(db, 'DROP MEASUREMENT nom; DROP MEASUREMENT cpu; SHOW MEASUREMENTS')).toEqual([
      { statement_id: 0 },
      { statement_id: 1 },
      { statement_id: 2, series: [{ name: 'measurements', columns: ['name'], values: [['mem']] }] },
    ]);
  });

  it('statements after a failed one are not executed; a parse error runs nothing', async () => {
    const db = await engine();
    expect(await run(db, 'SHOW DATABASES; SHOW RETENTION POLICIES ON nodb; CREATE DATABASE never', {})).toEqual([
      { statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['d1']] }] },
      { statement_id: 1, error: 'database not found: nodb' },
      // InfluxDB 1.6 stamps the "not executed" results with the failing statement's id
      { statement_id: 1, error: 'not executed' },
    ]);
    expect(db.databases()).toEqual(['d1']);
    expect(await run(db, 'SHOW MEASUREMENTS LIMIT 1; SHOW RETENTION POLICIES ON nodb; SHOW DATABASES; SHOW DATABASES', { database: 'd1' })).toEqual([
      { statement_id: 0, series: [{ name: 'measurements', columns: ['name'], values: [['cpu']] }] },
      { statement_id: 1, error: 'database not found: nodb' },
      { statement_id: 1, error: 'not executed' },
      { statement_id: 1, error: 'not executed' },
    ]);
    // a failing last statement: only its own error
    expect(await run(db, 'SHOW DATABASES; SHOW RETENTION POLICIES ON nodb', {})).toEqual([
      { statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['d1']] }] },
      { statement_id: 1, error: 'database not found: nodb' },
    ]);
    await expect(run(db, 'CREATE DATABASE x; SELEC')).rejects.toThrow(InfluxQLParseError);
    await expect(run(db, 'CREATE DATABASE x; SELEC')).rejects.toThrow(
      'error parsing query: found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 20',
    );
    await expect(run(db, 'SHOW SERIES WHERE host = $h')).rejects.toThrow('error parsing query: missing parameter: h');
    expect(await first(db, 'SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = $r', { database: 'd1', params: { r: 'us' } })).toMatchObject({
      series: [{ values: [['host', 'b']] }],
    });
    expect(db.databases()).toEqual(['d1']);
    expect(await first(db, 'SELECT * FROM cpu', {})).toEqual({ statement_id: 0, error: 'database name required' });
  });

  it('users, grants, queries, continuous queries, KILL QUERY and the statements Strata does not have', async () => {
    const db = await engine();
    expect(await first(db, 'SHOW USERS')).toEqual({ statement_id: 0, series: [{ name: '', columns: ['user', 'admin'], values: [] }] });
    expect(await first(db, 'SHOW CONTINUOUS QUERIES')).toEqual({ statement_id: 0, series: [{ name: 'd1', columns: ['name', 'query'], values: [] }] });
    expect((await first(db, 'SHOW QUERIES')).series?.[0].columns).toEqual(['qid', 'query', 'database', 'duration', 'status']);
    for (const q of ["CREATE USER bob WITH PASSWORD 'pw' WITH ALL PRIVILEGES", "SET PASSWORD FOR bob = 'x'", 'GRANT READ ON d1 TO bob', 'REVOKE ALL PRIVILEGES FROM bob', 'DROP USER bob']) {
      const r = await first(db, q);
      expect(r.error, q).toBeUndefined();
      expect(r.messages?.[0].text, q).toMatch(/authentication is not implemented: .* was accepted and ignored/);
    }
    expect(await first(db, 'KILL QUERY 1')).toEqual({ statement_id: 0, error: 'KILL QUERY is not supported: Strata does not track running queries' });
    expect(await first(db, 'SHOW SUBSCRIPTIONS')).toEqual({ statement_id: 0 });
    expect((await first(db, 'SHOW SHARDS')).error).toBe('SHOW SHARDS is not supported by Strata');
    expect((await first(db, 'SHOW DIAGNOSTICS')).series?.map((s) => s.name)).toEqual(['build', 'network', 'runtime', 'system']);
    const stats = (await first(db, 'SHOW STATS')).series ?? [];
    expect(stats.find((s) => s.name === 'database')).toMatchObject({ tags: { database: 'd1' }, columns: ['numMeasurements', 'numSeries'], values: [[3, 4]] });
    expect((await first(db, "SHOW STATS FOR 'database'")).series?.every((s) => s.name === 'database')).toBe(true);
  });

  it('formats durations as Go does', () => {
    expect(goDuration(0n)).toBe('0s');
    expect(goDuration(168n * 3_600_000_000_000n)).toBe('168h0m0s');
    expect(goDuration(5_400_000_000_000n)).toBe('1h30m0s');
    expect(goDuration(90_500_000_000n)).toBe('1m30.5s');
    expect(goDuration(1_500_000n)).toBe('1.5ms');
    expect(goDuration(11_000n)).toBe('11µs');
    expect(goDuration(7n)).toBe('7ns');
  });
});
