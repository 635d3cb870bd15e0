import { describe, expect, it } from 'vitest';
import { parseSql } from './parser.js';
import { parseDuration } from './duration.js';
import { StrataError } from '../../errors.js';

function syntaxError(src: string): string {
  try {
    parseSql(src);
  } catch (e) {
    expect(e).toBeInstanceOf(StrataError);
    expect((e as StrataError).code).toBe('STRATA_ERR_SQL_SYNTAX');
    return (e as Error).message;
  }
  throw new Error(`parsed: ${src}`);
}

describe('SQL parser', () => {
  it('parses the statements of the subset', () => {
    const stmts = parseSql(
      "CREATE TABLE accounts(id INT, name TEXT); INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob'); SELECT * FROM accounts WHERE name='ann'",
    );
    expect(stmts.map((s) => s.k)).toEqual(['create', 'insert', 'select']);
    const create = stmts[0] as Extract<(typeof stmts)[0], { k: 'create' }>;
    expect(create.columns.map((c) => [c.name, c.type, c.tag])).toEqual([
      ['id', 'integer', false],
      ['name', 'string', false],
    ]);
    const insert = stmts[1] as Extract<(typeof stmts)[0], { k: 'insert' }>;
    expect(insert.rows).toHaveLength(2);
    expect(insert.rows[0][0]).toMatchObject({ k: 'lit', v: 1n });
  });

  it('reads column kinds: TAG, PRIMARY KEY, FIELD and the types', () => {
    const [s] = parseSql('create table if not exists db1.cpu (host varchar(64) TAG, region TEXT PRIMARY KEY, usage DOUBLE FIELD, n BIGINT NOT NULL, ok BOOLEAN, time TIMESTAMP)');
    expect(s.k).toBe('create');
    if (s.k !== 'create') return;
    expect(s.table).toMatchObject({ db: 'db1', name: 'cpu' });
    expect(s.ifNotExists).toBe(true);
    expect(s.columns.map((c) => `${c.name}:${c.type}:${c.tag}`)).toEqual([
      'host:string:true',
      'region:string:true',
      'usage:float:false',
      'n:integer:false',
      'ok:boolean:false',
      'time:timestamp:false',
    ]);
  });

  it('parses SELECT clauses, precedence and parameters', () => {
    const [s] = parseSql(
      "SELECT time_bucket('5m', time) AS b, host, avg(usage) FROM db.cpu c WHERE time > now() - INTERVAL '1 hour' AND host IN ('a', ?) OR NOT x LIKE 'a%' AND y IS NOT NULL GROUP BY b, host HAVING count(*) > $1 ORDER BY b DESC, 2 LIMIT 10 OFFSET 5",
    );
    expect(s.k).toBe('select');
    if (s.k !== 'select') return;
    expect(s.from).toMatchObject({ table: { db: 'db', name: 'cpu' }, alias: 'c' });
    expect(s.items).toHaveLength(3);
    expect(s.where).toMatchObject({ k: 'bin', op: 'OR' });
    expect(s.groupBy).toHaveLength(2);
    expect(s.orderBy.map((o) => o.desc)).toEqual([true, false]);
    expect(s.limit).toMatchObject({ v: 10n });
    expect(s.offset).toMatchObject({ v: 5n });
    expect(JSON.stringify(s.where, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toContain('"k":"param","index":0');
    const [j] = parseSql('SELECT a.x, b.y FROM a JOIN b ON a.host = b.host');
    expect(j).toMatchObject({ join: { right: { alias: 'b' }, on: { k: 'bin', op: '=' } } });
    expect(parseSql('select 1 + 2 * 3')[0]).toMatchObject({ items: [{ expr: { op: '+', r: { op: '*' } } }] });
  });

  it('names line and column in syntax errors', () => {
    expect(syntaxError('SELECT * FROM')).toBe('line 1, column 14: expected a table name, found end of input');
    expect(syntaxError('SELECT a,\n  b FROM t WHERE (a = 1')).toBe('line 2, column 24: expected ")", found end of input');
    expect(syntaxError("SELECT 'abc")).toBe('line 1, column 8: unterminated string');
    expect(syntaxError('CREATE TABLE t (a BLOB)')).toMatch(/^line 1, column 19: unknown type "BLOB"/);
    expect(syntaxError('UPDATE t SET a = 1')).toMatch(/^line 1, column 1: expected SELECT, INSERT/);
    expect(syntaxError('SELECT 1 2')).toMatch(/^line 1, column 10: unexpected "2"/);
    expect(syntaxError("SELECT INTERVAL 'soon'")).toMatch(/invalid interval 'soon'/);
    expect(syntaxError('SELECT # FROM t')).toMatch(/^line 1, column 8: unexpected character "#"/);
  });

  it('parses durations', () => {
    expect(parseDuration('5m')).toBe(300_000_000_000n);
    expect(parseDuration('1 hour 30 minutes')).toBe(5_400_000_000_000n);
    expect(parseDuration('1.5s')).toBe(1_500_000_000n);
    expect(parseDuration('10 parsecs')).toBeNull();
  });
});

describe('SQL parser properties', () => {
  it('either parses or fails with a positioned syntax error, never anything else', async () => {
    const fc = await import('fast-check');
    const words = ['SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'LIMIT', 'JOIN', 'ON', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'IS', 'NULL', 'INSERT', 'INTO', 'VALUES', 'CREATE', 'TABLE', 'DELETE', 'INTERVAL', 't', 'a', 'b.c', "'x'", "'1 hour'", '1', '2.5', '?', '$2', '*', '(', ')', ',', ';', '=', '<', '+', '-', '/', '"q"', '\n', "'", '#'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 14 }), (toks) => {
        const src = toks.join(' ');
        try {
          parseSql(src);
        } catch (e) {
          expect(e).toBeInstanceOf(StrataError);
          expect((e as StrataError).code).toBe('STRATA_ERR_SQL_SYNTAX');
          expect((e as Error).message).toMatch(/^line \d+, column \d+: /);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
