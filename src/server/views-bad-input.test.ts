// Bad input to the views and to SQL gets a clear 4xx and stores nothing partial: after each
// refused request, an export (or SELECT) of the affected data equals what it was before.
// A request of several SQL statements is not atomic (docs/sql.md): the statements before
// a failing one have run and stay stored; the failing one and those after it store nothing.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, exportText, setup } from './testing/harness.js';

afterEach(cleanup);

const JSON_CT = { 'content-type': 'application/json' };

function expectError(res: LightMyRequestResponse, status: number, code: string, message: RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['x-strata-error-code']).toBe(code);
  const body = JSON.parse(res.body) as { error: string };
  expect(body.error).toMatch(message);
}

/** Runs `request` and checks that the export of `db` is the same before and after. */
async function unchanged(app: FastifyInstance, db: string, request: () => Promise<void>): Promise<void> {
  const before = await exportText(app, db);
  await request();
  expect(await exportText(app, db)).toBe(before);
}

describe('bad input to /kv and /doc', () => {
  it('/kv: bad JSON, a bad ttl and bad names are 400s and store no version', async () => {
    const { app } = await setup();
    const ok = await app.inject({ method: 'PUT', url: '/kv/ui/theme', headers: JSON_CT, payload: '{"mode":"dark"}' });
    expect(ok.statusCode, ok.body).toBe(200);
    const before = await exportText(app, '_kv');
    expect(before).toContain('ui,key=theme');

    await unchanged(app, '_kv', async () => {
      for (const payload of ['{"mode":', '{mode: "light"}', "{'a':1}", '[1,2', 'NaN']) {
        const r = await app.inject({ method: 'PUT', url: '/kv/ui/theme', headers: JSON_CT, payload });
        expectError(r, 400, 'STRATA_ERR_BAD_JSON', /^body is not valid JSON: /);
      }
      // a new key with bad JSON is not created either
      const n = await app.inject({ method: 'PUT', url: '/kv/ui/fresh', headers: { 'content-type': 'application/merge-patch+json' }, payload: '{' });
      expectError(n, 400, 'STRATA_ERR_BAD_JSON', /^body is not valid JSON/);
      const ttl = await app.inject({ method: 'PUT', url: '/kv/ui/theme?ttl=soon', headers: JSON_CT, payload: '1' });
      expectError(ttl, 400, 'STRATA_ERR_BAD_PARAMETER', /^invalid ttl "soon"/);
      const ns = await app.inject({ method: 'PUT', url: '/kv/_private/k', payload: 'x' });
      expectError(ns, 400, 'STRATA_ERR_BAD_VIEW_NAME', /^namespace "_private" is not allowed/);
      const utf8 = await app.inject({ method: 'PUT', url: '/kv/ui/bin', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([0xff, 0xfe, 0x00]) });
      expectError(utf8, 400, 'STRATA_ERR_BAD_PARAMETER', /^body is not valid UTF-8/);
    });

    const get = await app.inject({ method: 'GET', url: '/kv/ui/theme' });
    expect(get.body).toBe('{"mode":"dark"}');
    const hist = JSON.parse((await app.inject({ method: 'GET', url: '/kv/ui/theme/history' })).body) as { versions: unknown[] };
    expect(hist.versions).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/kv/ui/fresh' })).statusCode).toBe(404);
  });

  it('/doc: bad JSON, a body that is not an object and an empty body are 400s and store nothing', async () => {
    const { app } = await setup();
    const ok = await app.inject({ method: 'PUT', url: '/doc/books/b1', headers: JSON_CT, payload: '{"title":"Dune","year":1965}' });
    expect(ok.statusCode, ok.body).toBe(200);

    await unchanged(app, '_doc', async () => {
      const cases: [string, string, string, RegExp][] = [
        ['POST', '/doc/books', '{"title": "x",', /^body is not valid JSON: /],
        ['POST', '/doc/books?id=b2', '{"title": "x"', /^body is not valid JSON: /],
        ['PUT', '/doc/books/b1', '{"title": Dune}', /^body is not valid JSON: /],
        ['PUT', '/doc/books/b3', '{"title": "x"} trailing', /^body is not valid JSON: /],
        ['PATCH', '/doc/books/b1', '{"year": }', /^body is not valid JSON: /],
        ['PUT', '/doc/books/b1', '[{"title":"Dune"}]', /^body must be a JSON object \(\{\.\.\.\}\), got an array$/],
        ['POST', '/doc/books', '"just a string"', /^body must be a JSON object \(\{\.\.\.\}\), got string$/],
        ['PUT', '/doc/books/b1', '', /^body is empty: send a JSON object$/],
        ['PUT', '/doc/books/_indexes', '{"fields": [1]', /^body is not valid JSON: /],
      ];
      for (const [method, url, payload, message] of cases) {
        const r = await app.inject({ method: method as 'POST', url, headers: JSON_CT, payload });
        expectError(r, 400, 'STRATA_ERR_BAD_JSON', message);
      }
      // a patch that would make the document something other than an object
      const p = await app.inject({ method: 'PATCH', url: '/doc/books/b1', headers: JSON_CT, payload: '[1]' });
      expectError(p, 400, 'STRATA_ERR_BAD_JSON', /^the patched document must be a JSON object/);
      const idx = await app.inject({ method: 'PUT', url: '/doc/books/_indexes', headers: JSON_CT, payload: '{"fields": "title"}' });
      expectError(idx, 400, 'STRATA_ERR_BAD_JSON', /fields must be an array of strings/);
    });

    const get = await app.inject({ method: 'GET', url: '/doc/books/b1' });
    expect(JSON.parse(get.body)).toEqual({ _id: 'b1', title: 'Dune', year: 1965 });
    const hist = JSON.parse((await app.inject({ method: 'GET', url: '/doc/books/b1/history' })).body) as { versions: unknown[] };
    expect(hist.versions).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/doc/books/b2' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/doc/books/b3' })).statusCode).toBe(404);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/doc/books/_indexes' })).body)).toEqual({ fields: [] });
  });
});

describe('bad input to /sql', () => {
  async function sqlSetup() {
    const h = await setup();
    const sql = (query: string) => h.app.inject({ method: 'POST', url: '/sql?db=app', headers: JSON_CT, payload: JSON.stringify({ query }) });
    const rows = async (query: string) => {
      const r = await sql(query);
      expect(r.statusCode, r.body).toBe(200);
      return (JSON.parse(r.body) as { rows: unknown[][] }).rows;
    };
    const created = await sql(
      "CREATE TABLE accounts(id INT TAG, name TEXT, balance DOUBLE, active BOOL); INSERT INTO accounts (id, name, balance, active, time) VALUES (1, 'ann', 10.5, TRUE, '2024-01-01T00:00:00Z'), (2, 'bob', 20, FALSE, '2024-01-01T00:00:01Z')",
    );
    expect(created.statusCode, created.body).toBe(200);
    // a line-protocol measurement too
    const w = await h.app.inject({ method: 'POST', url: '/write?db=app&precision=s', payload: 'cpu,host=a usage=1.5 1704067200\ncpu,host=b usage=2.5 1704067200' });
    expect(w.statusCode, w.body).toBe(204);
    const all = 'SELECT id, name, balance, active, time FROM accounts ORDER BY id';
    expect(await rows(all)).toEqual([
      [1, 'ann', 10.5, true, '2024-01-01T00:00:00Z'],
      [2, 'bob', 20, false, '2024-01-01T00:00:01Z'],
    ]);
    return { ...h, sql, rows, all };
  }

  it('an unknown table is a 404 and a syntax error a 400 with the position; nothing changes', async () => {
    const { app, sql } = await sqlSetup();
    await unchanged(app, 'app', async () => {
      expectError(await sql('SELECT * FROM nosuch'), 404, 'STRATA_ERR_SQL_TABLE_NOT_FOUND', /nosuch/);
      expectError(await sql("INSERT INTO nosuch (a) VALUES (1)"), 404, 'STRATA_ERR_SQL_TABLE_NOT_FOUND', /nosuch/);
      expectError(await sql('DELETE FROM nosuch'), 404, 'STRATA_ERR_SQL_TABLE_NOT_FOUND', /nosuch/);
      expectError(await sql("INSERT INTO accounts VALUES (3, 'cy' 1.0, TRUE)"), 400, 'STRATA_ERR_SQL_SYNTAX', /^line 1, column \d+: /);
      expectError(await sql('SELEC * FROM accounts'), 400, 'STRATA_ERR_SQL_SYNTAX', /^line 1, column 1: /);
      // a syntax error anywhere in the request runs none of its statements
      expectError(
        await sql("INSERT INTO accounts (id, name, balance, active, time) VALUES (9, 'zed', 1, TRUE, '2024-01-02T00:00:00Z');\nDELETE FROM accounts WHERE"),
        400,
        'STRATA_ERR_SQL_SYNTAX',
        /^line 2, column \d+: /,
      );
      expectError(await sql('DROP TABLE accounts; SELECT FROM'), 400, 'STRATA_ERR_SQL_SYNTAX', /^line 1, column \d+: /);
    });
  });

  it('an INSERT whose 3rd row does not type-check stores none of its rows', async () => {
    const { app, sql, rows, all } = await sqlSetup();
    const before = await rows(all);
    await unchanged(app, 'app', async () => {
      const bad = [
        // INT column given a float, text and a too-large integer in row 3
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5.5, 'ed', 3, TRUE)",
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), ('x', 'ed', 3, TRUE)",
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (9223372036854775808, 'ed', 3, TRUE)",
        // TEXT column given a number, DOUBLE a string, BOOL an integer
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5, 42, 3, TRUE)",
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5, 'ed', 'lots', TRUE)",
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5, 'ed', 3, 1)",
        // a row without any field value, a row with too few values
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5, NULL, NULL, NULL)",
        "(3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5, 'ed')",
      ];
      for (const values of bad) {
        const r = await sql(`INSERT INTO accounts (id, name, balance, active) VALUES ${values}`);
        expectError(r, 400, 'STRATA_ERR_SQL', /./);
      }
      // the error names the column and the value
      const r = await sql("INSERT INTO accounts (id, name, balance, active) VALUES (3, 'cy', 1, TRUE), (4, 'di', 2, TRUE), (5, 'ed', 'lots', TRUE)");
      expectError(r, 400, 'STRATA_ERR_SQL', /column "balance" is float: cannot store 'lots' \(text\)/);
      // a line-protocol measurement: its stored field type is checked the same way
      const m = await sql("INSERT INTO cpu (host, usage, time) VALUES ('c', 1.0, 1), ('d', 2.0, 2), ('e', 'high', 3)");
      expectError(m, 400, 'STRATA_ERR_SQL', /column "usage" is float: cannot store 'high' \(text\)/);
    });
    expect(await rows(all)).toEqual(before);
    expect(await rows('SELECT host FROM cpu ORDER BY host')).toEqual([['a'], ['b']]);
  });

  it('an INSERT whose 3rd row the engine would refuse stores none of its rows either', async () => {
    const { app, sql, rows } = await sqlSetup();
    // A schema declared over the line-protocol measurement `cpu` whose `usage` is stored as
    // float, declaring it INT: rows 1 and 2 leave usage NULL, row 3 sets it. The engine
    // would store rows 1-2 and refuse row 3 (a field type conflict); the INSERT checks the
    // stored types first and refuses the whole statement.
    const c = await sql('CREATE TABLE cpu(host TEXT TAG, usage INT, temp DOUBLE)');
    expect(c.statusCode, c.body).toBe(200);
    await unchanged(app, 'app', async () => {
      const r = await sql("INSERT INTO cpu (host, usage, temp, time) VALUES ('c', NULL, 40, 1), ('d', NULL, 41, 2), ('e', 3, 42, 3)");
      expectError(r, 400, 'STRATA_ERR_SQL', /^line 1, column \d+: row 3: column "usage" is integer but measurement "cpu" already stores field "usage" as float; no row was stored$/);
      // a tag value line protocol cannot carry, in row 3
      for (const tag of ["'e\nf'", "''", "'g\\'"]) {
        const t = await sql(`INSERT INTO cpu (host, temp, time) VALUES ('c', 40, 1), ('d', 41, 2), (${tag}, 42, 3)`);
        expect(t.statusCode, t.body).toBe(400);
        expect(JSON.parse(t.body).error).toMatch(/tag "host": value .* (control character|is empty|ends with a backslash)/);
      }
    });
    expect(await rows('SELECT host FROM cpu ORDER BY host')).toEqual([['a'], ['b']]);
  });

  it('several statements are not atomic: the ones before a failing statement stay stored, later ones do not run', async () => {
    const { app, sql, rows, all } = await sqlSetup();
    const before = await exportText(app, 'app');
    const r = await sql(
      [
        "INSERT INTO accounts (id, name, balance, active, time) VALUES (3, 'cy', 30, TRUE, '2024-01-01T00:00:02Z')",
        "INSERT INTO accounts (id, name, balance, active, time) VALUES (4, 'di', 40, TRUE, '2024-01-01T00:00:03Z'), (5, 'ed', 'fifty', TRUE, '2024-01-01T00:00:04Z')",
        "INSERT INTO accounts (id, name, balance, active, time) VALUES (6, 'fe', 60, TRUE, '2024-01-01T00:00:05Z')",
      ].join('; '),
    );
    // the error is the failing statement's; the request answers nothing else
    expectError(r, 400, 'STRATA_ERR_SQL', /column "balance" is float: cannot store 'fifty' \(text\)/);
    // statement 1 ran and is stored; statement 2 stored none of its rows; statement 3 never ran
    expect(await rows(all)).toEqual([
      [1, 'ann', 10.5, true, '2024-01-01T00:00:00Z'],
      [2, 'bob', 20, false, '2024-01-01T00:00:01Z'],
      [3, 'cy', 30, true, '2024-01-01T00:00:02Z'],
    ]);
    const after = await exportText(app, 'app');
    const added = after.split('\n').filter((l) => l !== '' && !before.split('\n').includes(l));
    expect(added).toEqual(['accounts,id=3 active=true,balance=30,name="cy" 1704067202000000000']);

    // the same with an unknown table in the middle: a 404, the first statement stored
    const t = await sql(
      "INSERT INTO accounts (id, name, balance, active, time) VALUES (7, 'gi', 70, TRUE, '2024-01-01T00:00:06Z'); SELECT * FROM nosuch; DELETE FROM accounts",
    );
    expectError(t, 404, 'STRATA_ERR_SQL_TABLE_NOT_FOUND', /nosuch/);
    expect((await rows(all)).map((row) => row[0])).toEqual([1, 2, 3, 7]);
  });
});
