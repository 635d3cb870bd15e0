import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectJsonError, setup } from './testing/harness.js';

afterEach(cleanup);

describe('POST /sql', () => {
  it('runs the accounts example over real HTTP, as text and as JSON', async () => {
    const { app } = await setup();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const text = await fetch(`${base}/sql?db=app`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: "CREATE TABLE accounts(id INT, name TEXT); INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob'); SELECT * FROM accounts WHERE name='ann'",
    });
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await text.json()).toEqual({ columns: [{ name: 'id', type: 'integer' }, { name: 'name', type: 'string' }], rows: [[1, 'ann']] });

    const json = await fetch(`${base}/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'SELECT name FROM accounts WHERE id > $1 ORDER BY id', params: [0], db: 'app' }),
    });
    expect(json.status).toBe(200);
    expect(await json.text()).toBe('{"columns":[{"name":"name","type":"string"}],"rows":[["ann"],["bob"]]}');

    const bad = await fetch(`${base}/sql?db=app`, { method: 'POST', body: 'SELECT * FROM accounts WHERE' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-strata-error-code')).toBe('STRATA_ERR_SQL_SYNTAX');
    expect(await bad.json()).toEqual({ error: 'line 1, column 29: expected an expression, found end of input' });
  });

  it('queries a line-protocol measurement with GROUP BY time_bucket and a tag, and joins a table', async () => {
    const { app } = await setup();
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) {
      const t = 1_704_067_200n + BigInt(i * 60); // 2024-01-01T00:00:00Z + i minutes
      lines.push(`cpu,host=a usage_user=${i} ${t}`, `cpu,host=b usage_user=${100 + i} ${t}`);
    }
    const w = await app.inject({ method: 'POST', url: '/write?db=telegraf&precision=s', payload: lines.join('\n') });
    expect(w.statusCode, w.body).toBe(204);
    const sql = (query: string, params: unknown[] = []) =>
      app.inject({ method: 'POST', url: '/sql?db=telegraf', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query, params }) });

    const g = await sql(
      "SELECT time_bucket('5m', time) AS t, host, count(*) AS n, avg(usage_user) AS mean FROM cpu WHERE time >= ? AND host IN ('a', 'b') GROUP BY t, host ORDER BY host, t",
      ['2024-01-01T00:00:00Z'],
    );
    expect(g.statusCode, g.body).toBe(200);
    expect(JSON.parse(g.body)).toEqual({
      columns: [
        { name: 't', type: 'timestamp' },
        { name: 'host', type: 'string' },
        { name: 'n', type: 'integer' },
        { name: 'mean', type: 'float' },
      ],
      rows: [
        ['2024-01-01T00:00:00Z', 'a', 5, 2],
        ['2024-01-01T00:05:00Z', 'a', 5, 7],
        ['2024-01-01T00:00:00Z', 'b', 5, 102],
        ['2024-01-01T00:05:00Z', 'b', 5, 107],
      ],
    });

    const c = await sql("CREATE TABLE owners (host TEXT TAG, owner TEXT); INSERT INTO owners (host, owner) VALUES ('a', 'ann'), ('b', 'bob')");
    expect(c.statusCode, c.body).toBe(200);
    expect(JSON.parse(c.body)).toEqual({ columns: [{ name: 'count', type: 'integer' }], rows: [[2]] });
    const j = await sql('SELECT o.owner, max(c.usage_user) AS peak FROM telegraf.cpu AS c JOIN owners AS o ON c.host = o.host GROUP BY o.owner ORDER BY peak DESC');
    expect(j.statusCode, j.body).toBe(200);
    expect(JSON.parse(j.body).rows).toEqual([
      ['bob', 109],
      ['ann', 9],
    ]);

    const d = await sql("DELETE FROM cpu WHERE host = 'b' AND time < '2024-01-01T00:05:00Z'; SELECT count(*) FROM cpu WHERE host = 'b'");
    expect(JSON.parse(d.body).rows).toEqual([[5]]);
  });

  it('answers errors as {"error"} with 400 or 404', async () => {
    const { app } = await setup();
    const post = (payload: string, type = 'text/plain', url = '/sql?db=x') => app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
    expectJsonError(await post('SELEC 1'), 400, { error: 'line 1, column 1: expected SELECT, INSERT, DELETE, CREATE TABLE or DROP TABLE, found "SELEC"' });
    expectJsonError(await post('SELECT * FROM nope'), 404, { error: 'table "nope" not found in database "x": create it with CREATE TABLE, or write points to the measurement' });
    expectJsonError(await post('{"query": 1}', 'application/json'), 400, { error: expect.stringMatching(/needs a "query" string/) });
    expectJsonError(await post('{nope', 'application/json'), 400, { error: expect.stringMatching(/^the body is not JSON/) });
    expectJsonError(await post(''), 400, { error: expect.stringMatching(/^no SQL statement/) });
    const ok = await post('SELECT 1 AS one, now() - now() AS zero, 9223372036854775807 AS big', 'text/plain', '/sql');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.body).toBe('{"columns":[{"name":"one","type":"integer"},{"name":"zero","type":"integer"},{"name":"big","type":"integer"}],"rows":[[1,0,9223372036854775807]]}');
  });
});
