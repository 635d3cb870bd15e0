import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../engine/database.js';
import { StrataError } from '../../errors.js';
import { executeSql, executeSqlAll, sqlResultToJson } from './index.js';

const NOW = 1_700_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const dirs: string[] = [];
const engines: Database[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dir?: string): Promise<{ engine: Database; dir: string }> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sql-'));
  if (!dir) dirs.push(d);
  const engine = await openDatabase({ dataDir: d, fsync: 'off', now: () => NOW });
  engines.push(engine);
  return { engine, dir: d };
}

async function sqlError(engine: Database, text: string, params?: unknown[]): Promise<StrataError> {
  try {
    await executeSql(engine, text, { db: 'd', now: NOW, params });
  } catch (e) {
    expect(e).toBeInstanceOf(StrataError);
    return e as StrataError;
  }
  throw new Error(`no error: ${text}`);
}

describe('executeSql', () => {
  it('runs the accounts example: CREATE TABLE, INSERT, SELECT *', async () => {
    const { engine } = await open();
    const r = await executeSql(engine, "CREATE TABLE accounts(id INT, name TEXT); INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob'); SELECT * FROM accounts WHERE name='ann'", { now: NOW });
    expect(r).toEqual({ columns: [{ name: 'id', type: 'integer' }, { name: 'name', type: 'string' }], rows: [[1n, 'ann']] });
    expect(sqlResultToJson(r)).toBe('{"columns":[{"name":"id","type":"integer"},{"name":"name","type":"string"}],"rows":[[1,"ann"]]}');
    // both rows are kept (each its own series, keyed by the hidden _row tag), also by a later insert
    await executeSql(engine, "INSERT INTO accounts (name, id) VALUES ('cy', 3)", { now: NOW });
    const all = await executeSql(engine, 'SELECT id, name, time FROM accounts ORDER BY id DESC', { now: NOW });
    expect(all.rows).toEqual([
      [3n, 'cy', NOW],
      [2n, 'bob', NOW],
      [1n, 'ann', NOW],
    ]);
    expect(sqlResultToJson(all)).toContain('[3,"cy","2023-11-14T22:13:20Z"]');
    const values = Array.from({ length: 10 }, (_, i) => `(${i + 4}, 'n${i + 4}')`).join(', ');
    await executeSql(engine, `INSERT INTO accounts VALUES ${values}`, { now: NOW });
    expect((await executeSql(engine, 'SELECT id FROM accounts', { now: NOW })).rows.map((r) => Number(r[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    await executeSql(engine, 'DELETE FROM accounts WHERE id > 3', { now: NOW });
    const results = await executeSqlAll(engine, 'SELECT count(*) FROM accounts; SELECT max(id) AS m FROM accounts', { now: NOW });
    expect(results.map((x) => x.rows)).toEqual([[[3n]], [[3n]]]);
  });

  it('keeps schemas and rows through a restart (WAL replay)', async () => {
    const first = await open();
    await executeSql(first.engine, 'CREATE TABLE cpu (host TEXT TAG, usage DOUBLE, time TIMESTAMP)', { db: 'd', now: NOW });
    await executeSql(first.engine, "INSERT INTO cpu VALUES ('a', 1.5, '2024-01-01T00:00:00Z')", { db: 'd', now: NOW });
    await first.engine.close();
    engines.splice(0);
    const again = await open(first.dir);
    const r = await executeSql(again.engine, 'SELECT * FROM cpu', { db: 'd' });
    expect(r.columns).toEqual([
      { name: 'host', type: 'string' },
      { name: 'usage', type: 'float' },
      { name: 'time', type: 'timestamp' },
    ]);
    expect(sqlResultToJson(r)).toBe('{"columns":[{"name":"host","type":"string"},{"name":"usage","type":"float"},{"name":"time","type":"timestamp"}],"rows":[["a",1.5,"2024-01-01T00:00:00Z"]]}');
    expect((await sqlError(again.engine, 'CREATE TABLE cpu (x INT)')).message).toMatch(/table "cpu" already exists/);
    await executeSql(again.engine, 'CREATE TABLE IF NOT EXISTS cpu (x INT)', { db: 'd' });
    await executeSql(again.engine, 'DROP TABLE cpu', { db: 'd' });
    expect((await sqlError(again.engine, 'SELECT * FROM cpu')).code).toBe('STRATA_ERR_SQL_TABLE_NOT_FOUND');
    await executeSql(again.engine, 'DROP TABLE IF EXISTS cpu', { db: 'd' });
  });

  it('checks INSERT values against the column types', async () => {
    const { engine } = await open();
    await executeSql(engine, 'CREATE TABLE t (k TEXT TAG, n INT, x DOUBLE, s TEXT, b BOOLEAN, time TIMESTAMP)', { db: 'd', now: NOW });
    expect((await sqlError(engine, "INSERT INTO t (k, n) VALUES ('a', 1.5)")).message).toBe('line 1, column 35: column "n" is integer: cannot store 1.5 (float)');
    expect((await sqlError(engine, "INSERT INTO t (k, s) VALUES ('a', 5)")).message).toMatch(/column "s" is text: cannot store 5 \(integer\)/);
    expect((await sqlError(engine, 'INSERT INTO t (k, b) VALUES (1)')).message).toMatch(/row 1 has 1 value for 2 columns \(k, b\)/);
    expect((await sqlError(engine, "INSERT INTO t (k, nope) VALUES ('a', 1)")).message).toMatch(/table "t" has no column "nope"/);
    expect((await sqlError(engine, "INSERT INTO t (k, time) VALUES ('a', 'yesterday')")).message).toMatch(/invalid time 'yesterday'/);
    expect((await sqlError(engine, "INSERT INTO t (k) VALUES ('a')")).message).toMatch(/no value for any field column/);
    expect((await sqlError(engine, 'INSERT INTO nope VALUES (1)')).code).toBe('STRATA_ERR_SQL_TABLE_NOT_FOUND');
    // an integer goes into a float column; parameters; NULL leaves a field out
    const r = await executeSql(engine, 'INSERT INTO t (k, n, x, s, b, time) VALUES (?, ?, 2, $4, ?, 1000), ($1, NULL, 3.5, NULL, false, 2000)', {
      db: 'd',
      now: NOW,
      params: ['a', 9007199254740993n, true, 'text'],
    });
    expect(r.rows).toEqual([[2n]]);
    const rows = await executeSql(engine, 'SELECT n, x, s, b, time FROM t ORDER BY time', { db: 'd' });
    expect(rows.rows).toEqual([
      [9007199254740993n, 2, 'text', true, 1000n],
      [null, 3.5, null, false, 2000n],
    ]);
    expect(sqlResultToJson(rows)).toContain('[9007199254740993,2,"text",true,"1970-01-01T00:00:00.000001Z"]');
  });

  it('queries line-protocol measurements: time ranges, tags, GROUP BY time_bucket and a tag', async () => {
    const { engine } = await open();
    const lines: string[] = [];
    const t0 = 1_704_067_200_000_000_000n; // 2024-01-01T00:00:00Z
    for (let i = 0; i < 12; i++) {
      const t = t0 + BigInt(i) * 60_000_000_000n;
      lines.push(`cpu,host=a,region=eu usage=${i},n=${i}i ${t}`);
      lines.push(`cpu,host=b,region=us usage=${i * 10},n=${i * 10}i ${t}`);
    }
    await engine.write(lines.join('\n'), { db: 'metrics' });
    const star = await executeSql(engine, "SELECT * FROM metrics.cpu WHERE host = 'a' LIMIT 2", { now: NOW });
    expect(star.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['time:timestamp', 'host:string', 'region:string', 'n:integer', 'usage:float']);
    expect(star.rows).toEqual([
      [t0, 'a', 'eu', 0n, 0],
      [t0 + 60_000_000_000n, 'a', 'eu', 1n, 1],
    ]);
    const g = await executeSql(
      engine,
      "SELECT time_bucket('5m', time) AS bucket, host, count(*) AS c, avg(usage), sum(n), min(usage), max(usage), first(usage), last(usage) FROM cpu WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T00:10:00Z' GROUP BY bucket, host ORDER BY host, bucket",
      { db: 'metrics', now: NOW },
    );
    expect(g.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'bucket:timestamp',
      'host:string',
      'c:integer',
      'avg:float',
      'sum:integer',
      'min:float',
      'max:float',
      'first:float',
      'last:float',
    ]);
    expect(g.rows).toEqual([
      [t0, 'a', 5n, 2, 10n, 0, 4, 0, 4],
      [t0 + 300_000_000_000n, 'a', 5n, 7, 35n, 5, 9, 5, 9],
      [t0, 'b', 5n, 20, 100n, 0, 40, 0, 40],
      [t0 + 300_000_000_000n, 'b', 5n, 70, 350n, 50, 90, 50, 90],
    ]);
    // relative time, IN, LIKE, field predicates, arithmetic, HAVING, OFFSET
    const later = t0 + 12n * 60_000_000_000n;
    const r = await executeSql(
      engine,
      "SELECT host, usage * 2 AS u2 FROM cpu WHERE time > now() - INTERVAL '3 minutes' AND host IN ('b', 'z') AND region LIKE 'u_' AND usage >= 100 AND NOT usage = 105 ORDER BY u2 DESC",
      { db: 'metrics', now: later },
    );
    expect(r.rows).toEqual([
      ['b', 220],
      ['b', 200],
    ]);
    const h = await executeSql(engine, 'SELECT region, count(usage) FROM cpu GROUP BY region HAVING max(usage) > 50 LIMIT 5 OFFSET 0', { db: 'metrics' });
    expect(h.rows).toEqual([['us', 12n]]);
    const nothing = await executeSql(engine, "SELECT count(*), sum(usage) FROM cpu WHERE host = 'nope'", { db: 'metrics' });
    expect(nothing.rows).toEqual([[0n, null]]);
    const nulls = await executeSql(engine, "SELECT host FROM cpu WHERE host != 'a' AND region IS NOT NULL AND time = '2024-01-01T00:00:00Z'", { db: 'metrics' });
    expect(nulls.rows).toEqual([['b']]);
  });

  it('joins two tables on a tag column (hash join)', async () => {
    const { engine } = await open();
    await engine.write(['cpu,host=a usage=10 1000', 'cpu,host=b usage=20 1000', 'cpu,host=c usage=30 1000'].join('\n'), { db: 'd' });
    await executeSql(engine, "CREATE TABLE hosts (host TEXT PRIMARY KEY, owner TEXT); INSERT INTO hosts VALUES ('a', 'ann'), ('b', 'bob'), ('z', 'zed')", { db: 'd', now: NOW });
    const r = await executeSql(engine, 'SELECT c.host, h.owner, c.usage FROM cpu c JOIN hosts h ON c.host = h.host ORDER BY c.host', { db: 'd' });
    expect(r.columns.map((c) => c.name)).toEqual(['host', 'owner', 'usage']);
    expect(r.rows).toEqual([
      ['a', 'ann', 10],
      ['b', 'bob', 20],
    ]);
    const agg = await executeSql(engine, "SELECT owner, sum(usage) FROM cpu JOIN hosts ON cpu.host = hosts.host WHERE owner LIKE 'b%' GROUP BY owner", { db: 'd' });
    expect(agg.rows).toEqual([['bob', 20]]);
    expect((await sqlError(engine, 'SELECT host FROM cpu JOIN hosts ON cpu.host = hosts.host')).message).toMatch(/"host" is ambiguous/);
    expect((await sqlError(engine, 'SELECT * FROM cpu JOIN hosts ON usage > 1')).message).toMatch(/needs an equality/);
  });

  it('deletes by time and tag, and by field predicates', async () => {
    const { engine } = await open();
    await engine.write(['m,host=a v=1 1000', 'm,host=a v=2 2000', 'm,host=b v=3 1000'].join('\n'), { db: 'd' });
    await executeSql(engine, "DELETE FROM m WHERE host = 'a' AND time >= 1500", { db: 'd' });
    expect((await executeSql(engine, 'SELECT host, v FROM m ORDER BY v', { db: 'd' })).rows).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    await executeSql(engine, "CREATE TABLE accounts(id INT, name TEXT); INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob')", { db: 'd', now: NOW });
    const del = await executeSql(engine, 'DELETE FROM accounts WHERE id = 1', { db: 'd' });
    expect(del.rows).toEqual([[1n]]);
    expect((await executeSql(engine, 'SELECT * FROM accounts', { db: 'd' })).rows).toEqual([[2n, 'bob']]);
    // INSERT into a measurement written by line protocol (no CREATE TABLE): named columns
    await executeSql(engine, "INSERT INTO m (host, v, extra, time) VALUES ('c', 4, 'new', 5000)", { db: 'd' });
    expect((await executeSql(engine, "SELECT v, extra FROM m WHERE host = 'c'", { db: 'd' })).rows).toEqual([[4, 'new']]);
    expect((await sqlError(engine, "INSERT INTO m VALUES ('c', 4)")).message).toMatch(/measurement without CREATE TABLE: name the columns/);
    await executeSql(engine, 'DELETE FROM m', { db: 'd' });
    expect((await executeSql(engine, 'SELECT count(*) FROM m', { db: 'd' })).rows).toEqual([[0n]]);
  });

  it('reports semantic errors with positions', async () => {
    const { engine } = await open();
    await engine.write('m,host=a v=1 1000', { db: 'd' });
    expect((await sqlError(engine, 'SELECT nope FROM m')).message).toBe('line 1, column 8: unknown column "nope" (columns: time, host, v)');
    expect((await sqlError(engine, "SELECT v + 'x' FROM m")).message).toMatch(/cannot apply \+ to float and text/);
    expect((await sqlError(engine, 'SELECT v FROM m WHERE count(*) > 1')).message).toMatch(/aggregate count\(\) is not allowed here/);
    expect((await sqlError(engine, 'SELECT v FROM m WHERE v = ?')).message).toMatch(/parameter \$1 is not given/);
    expect((await sqlError(engine, 'SELECT frob(v) FROM m')).message).toMatch(/unknown function frob\(\)/);
    expect((await sqlError(engine, 'SELECT v FROM nope')).message).toBe('table "nope" not found in database "d": create it with CREATE TABLE, or write points to the measurement');
    expect((await executeSql(engine, 'SELECT 1 + 2 AS three, 7 / 2, 7.0 / 2')).rows).toEqual([[3n, 3n, 3.5]]);
  });

  it('expands t.*, orders NULLs and evaluates BETWEEN, coalesce and time_bucket origins', async () => {
    const { engine } = await open();
    await engine.write(['m,host=a v=1,w=10 1000', 'm,host=b v=2 2000', 'm,host=c v=3,w=30 3000'].join('\n'), { db: 'd' });
    await executeSql(engine, "CREATE TABLE h (host TEXT TAG, dc TEXT); INSERT INTO h VALUES ('a', 'x'), ('b', 'y'), ('c', 'x')", { db: 'd', now: NOW });
    const star = await executeSql(engine, 'SELECT h.*, m.v FROM m JOIN h ON m.host = h.host WHERE m.v BETWEEN 2 AND 3 ORDER BY m.w DESC', { db: 'd' });
    expect(star.columns.map((c) => c.name)).toEqual(['host', 'dc', 'v']);
    expect(star.rows).toEqual([
      ['b', 'y', 2],
      ['c', 'x', 3],
    ]);
    const asc = await executeSql(engine, 'SELECT host, coalesce(w, -1) AS w FROM m ORDER BY w', { db: 'd' });
    expect(asc.rows).toEqual([
      ['b', -1],
      ['a', 10],
      ['c', 30],
    ]);
    const nullsLast = await executeSql(engine, 'SELECT host FROM m ORDER BY w', { db: 'd' });
    expect(nullsLast.rows).toEqual([['a'], ['c'], ['b']]);
    const b = await executeSql(engine, "SELECT time_bucket(INTERVAL '2 us', time, 500) AS t, count(*) FROM m GROUP BY 1", { db: 'd' });
    expect(b.rows).toEqual([
      [500n, 2n],
      [2500n, 1n],
    ]);
  });
});
