// Tests for the InfluxQL parser, ported from influxql's parser_test.go (statement → AST
// tables, error-message tables, ParseExpr and ParseDuration tables), plus round-trips
// through formatStatement and fast-check properties over random input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BinaryOp,
  type DataType,
  type Dimension,
  type Expr,
  type Field,
  type Measurement,
  type RegexLiteral,
  type SelectStatement,
  type Source,
  type Statement,
  binary,
  call,
  measurement,
  selectStatement,
  varRef,
} from './ast.js';
import {
  InfluxQLParseError,
  formatExpr,
  formatQuery,
  formatStatement,
  groupByInterval,
  parseDuration,
  parseExpr,
  parseQuery,
  parseStatement,
} from './parser.js';
import { formatDuration, quoteIdent, quoteString } from './print.js';

// ---------------------------------------------------------------------------------------
// AST shorthands.

const NS = 1n;
const US = 1000n;
const MS = 1_000_000n;
const S = 1_000_000_000n;
const M = 60n * S;
const H = 60n * M;
const D = 24n * H;
const W = 7n * D;

const v = (val: string, dataType: DataType = 'unknown'): Expr => varRef(val, dataType);
const c = (name: string, ...args: Expr[]): Expr => call(name, args);
const b = (op: BinaryOp, lhs: Expr, rhs: Expr): Expr => binary(op, lhs, rhs);
const int = (n: number | bigint): Expr => ({ type: 'IntegerLiteral', val: BigInt(n) });
const uint = (n: bigint): Expr => ({ type: 'UnsignedLiteral', val: n });
const num = (n: number): Expr => ({ type: 'NumberLiteral', val: n });
const str = (s: string): Expr => ({ type: 'StringLiteral', val: s });
const bool = (x: boolean): Expr => ({ type: 'BooleanLiteral', val: x });
const dur = (ns: bigint): Expr => ({ type: 'DurationLiteral', val: ns });
const re = (s: string): RegexLiteral => ({ type: 'RegexLiteral', val: s });
const paren = (e: Expr): Expr => ({ type: 'ParenExpr', expr: e });
const wild = (t: 'field' | 'tag' | null = null): Expr => ({ type: 'Wildcard', wildcardType: t });
const distinct = (s: string): Expr => ({ type: 'Distinct', val: s });
const param = (name: string): Expr => ({ type: 'BoundParameter', name });
const f = (expr: Expr, alias = ''): Field => ({ expr, alias });
const dim = (expr: Expr): Dimension => ({ expr });
const mm = (name: string, init: Partial<Omit<Measurement, 'type' | 'name'>> = {}): Measurement =>
  measurement({ name, ...init });
const mre = (pattern: string, init: Partial<Omit<Measurement, 'type' | 'regex'>> = {}): Measurement =>
  measurement({ regex: re(pattern), ...init });
const sub = (statement: SelectStatement): Source => ({ type: 'SubQuery', statement });
const withInit = (base: Statement, init: object): Statement => ({ ...base, ...init }) as Statement;

function hasCall(e: Expr): boolean {
  if (e.type === 'Call') return true;
  if (e.type === 'BinaryExpr') return hasCall(e.lhs) || hasCall(e.rhs);
  if (e.type === 'ParenExpr') return hasCall(e.expr);
  return false;
}

/** A SELECT with Go's IsRawQuery worked out from the fields. */
function sel(init: Partial<Omit<SelectStatement, 'type'>>): SelectStatement {
  const s = selectStatement(init);
  if (init.isRawQuery === undefined) s.isRawQuery = !s.fields.some((x) => hasCall(x.expr));
  return s;
}

const timeGT = (s: string): Expr => b('>', v('time'), str(s));
const NOW = '2024-05-06T07:08:09.123456789Z';

function errorOf(fn: () => unknown): InfluxQLParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InfluxQLParseError) return e;
    throw e;
  }
  throw new Error('expected a parse error');
}

/** Statements whose text form hides a password and so does not re-parse to the same tree. */
const REDACTED = new Set(['CreateUserStatement', 'SetPasswordUserStatement']);

function expectRoundTrip(stmt: Statement): void {
  if (REDACTED.has(stmt.type)) return;
  const text = formatStatement(stmt);
  expect(parseStatement(text), text).toEqual(stmt);
}

// ---------------------------------------------------------------------------------------
// Statement tables.

interface Case {
  s: string;
  stmt: Statement;
}

const selectCases: Case[] = [
  { s: `SELECT * FROM myseries`, stmt: sel({ fields: [f(wild())], sources: [mm('myseries')] }) },
  {
    s: `SELECT * FROM myseries GROUP BY *`,
    stmt: sel({ fields: [f(wild())], sources: [mm('myseries')], dimensions: [dim(wild())] }),
  },
  {
    s: `SELECT field1, * FROM myseries GROUP BY *`,
    stmt: sel({ fields: [f(v('field1')), f(wild())], sources: [mm('myseries')], dimensions: [dim(wild())] }),
  },
  {
    s: `SELECT *, field1 FROM myseries GROUP BY *`,
    stmt: sel({ fields: [f(wild()), f(v('field1'))], sources: [mm('myseries')], dimensions: [dim(wild())] }),
  },
  {
    s: `SELECT mean(field1), sum(field2), count(field3) AS field_x FROM myseries WHERE host = 'hosta.influxdb.org' and time > '${NOW}' GROUP BY time(10h) ORDER BY DESC LIMIT 20 OFFSET 10;`,
    stmt: sel({
      fields: [f(c('mean', v('field1'))), f(c('sum', v('field2'))), f(c('count', v('field3')), 'field_x')],
      sources: [mm('myseries')],
      condition: b('AND', b('=', v('host'), str('hosta.influxdb.org')), timeGT(NOW)),
      dimensions: [dim(c('time', dur(10n * H)))],
      sortFields: [{ name: '', ascending: false }],
      limit: 20,
      offset: 10,
    }),
  },
  {
    s: `SELECT "foo.bar.baz" AS foo FROM myseries`,
    stmt: sel({ fields: [f(v('foo.bar.baz'), 'foo')], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT "foo.bar.baz" AS foo FROM foo`,
    stmt: sel({ fields: [f(v('foo.bar.baz'), 'foo')], sources: [mm('foo')] }),
  },
  {
    s: `SELECT sample(field1, 100) FROM myseries;`,
    stmt: sel({ fields: [f(c('sample', v('field1'), int(100)))], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT derivative(field1, 1h) FROM myseries;`,
    stmt: sel({ fields: [f(c('derivative', v('field1'), dur(H)))], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT derivative(field1, 1h) FROM myseries WHERE time > '${NOW}'`,
    stmt: sel({ fields: [f(c('derivative', v('field1'), dur(H)))], sources: [mm('myseries')], condition: timeGT(NOW) }),
  },
  {
    s: `SELECT derivative(field1, 1h) / derivative(field2, 1h) FROM myseries`,
    stmt: sel({
      fields: [f(b('/', c('derivative', v('field1'), dur(H)), c('derivative', v('field2'), dur(H))))],
      sources: [mm('myseries')],
    }),
  },
  {
    s: `SELECT difference(field1) FROM myseries;`,
    stmt: sel({ fields: [f(c('difference', v('field1')))], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT difference(max(field1)) FROM myseries WHERE time > '${NOW}' GROUP BY time(1m)`,
    stmt: sel({
      fields: [f(c('difference', c('max', v('field1'))))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(M)))],
    }),
  },
  {
    s: `SELECT non_negative_difference(field1) FROM myseries;`,
    stmt: sel({ fields: [f(c('non_negative_difference', v('field1')))], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT non_negative_difference(max(field1)) FROM myseries WHERE time > '${NOW}' GROUP BY time(1m)`,
    stmt: sel({
      fields: [f(c('non_negative_difference', c('max', v('field1'))))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(M)))],
    }),
  },
  {
    s: `SELECT moving_average(field1, 3) FROM myseries;`,
    stmt: sel({ fields: [f(c('moving_average', v('field1'), int(3)))], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT moving_average(max(field1), 3) FROM myseries WHERE time > '${NOW}' GROUP BY time(1m)`,
    stmt: sel({
      fields: [f(c('moving_average', c('max', v('field1')), int(3)))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(M)))],
    }),
  },
  {
    s: `SELECT cumulative_sum(field1) FROM myseries WHERE time > '${NOW}'`,
    stmt: sel({ fields: [f(c('cumulative_sum', v('field1')))], sources: [mm('myseries')], condition: timeGT(NOW) }),
  },
  {
    s: `SELECT cumulative_sum(mean(field1)) FROM myseries WHERE time > '${NOW}' GROUP BY time(1m)`,
    stmt: sel({
      fields: [f(c('cumulative_sum', c('mean', v('field1'))))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(M)))],
    }),
  },
  {
    s: `SELECT holt_winters(first(field1), 3, 1) FROM myseries WHERE time > '${NOW}' GROUP BY time(1h);`,
    stmt: sel({
      fields: [f(c('holt_winters', c('first', v('field1')), int(3), int(1)))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(H)))],
    }),
  },
  {
    s: `SELECT holt_winters_with_fit(first(field1), 3, 1) FROM myseries WHERE time > '${NOW}' GROUP BY time(1h);`,
    stmt: sel({
      fields: [f(c('holt_winters_with_fit', c('first', v('field1')), int(3), int(1)))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(H)))],
    }),
  },
  {
    s: `SELECT holt_winters(max(field1), 4, 5) FROM myseries WHERE time > '${NOW}' GROUP BY time(1m)`,
    stmt: sel({
      fields: [f(c('holt_winters', c('max', v('field1')), int(4), int(5)))],
      sources: [mm('myseries')],
      condition: timeGT(NOW),
      dimensions: [dim(c('time', dur(M)))],
    }),
  },
  {
    s: `select my_field from myseries`,
    stmt: sel({ fields: [f(v('my_field'))], sources: [mm('myseries')] }),
  },
  {
    s: `select 'my_field' from myseries`,
    stmt: sel({ fields: [f(str('my_field'))], sources: [mm('myseries')] }),
  },
  {
    s: `SELECT field1 FROM myseries SLIMIT 10 SOFFSET 5`,
    stmt: sel({ fields: [f(v('field1'))], sources: [mm('myseries')], sLimit: 10, sOffset: 5 }),
  },
  {
    s: `SELECT * FROM cpu WHERE host = 'serverC' AND region =~ /.*west.*/`,
    stmt: sel({
      fields: [f(wild())],
      sources: [mm('cpu')],
      condition: b('AND', b('=', v('host'), str('serverC')), b('=~', v('region'), re('.*west.*'))),
    }),
  },
  {
    s: `select percentile("field1", 2.0) from cpu`,
    stmt: sel({ fields: [f(c('percentile', v('field1'), num(2)))], sources: [mm('cpu')] }),
  },
  {
    s: `select percentile("field1", 2.0), field2 from cpu`,
    stmt: sel({ fields: [f(c('percentile', v('field1'), num(2))), f(v('field2'))], sources: [mm('cpu')] }),
  },
  {
    s: `select top("field1", 2) from cpu`,
    stmt: sel({ fields: [f(c('top', v('field1'), int(2)))], sources: [mm('cpu')] }),
  },
  {
    s: `select top(field1, 2), tag1 from cpu`,
    stmt: sel({ fields: [f(c('top', v('field1'), int(2))), f(v('tag1'))], sources: [mm('cpu')] }),
  },
  {
    s: `select top(field1, tag1, 2), tag1 from cpu`,
    stmt: sel({ fields: [f(c('top', v('field1'), v('tag1'), int(2))), f(v('tag1'))], sources: [mm('cpu')] }),
  },
  {
    s: `select bottom(field1, 3) from cpu`,
    stmt: sel({ fields: [f(c('bottom', v('field1'), int(3)))], sources: [mm('cpu')] }),
  },
  {
    s: `select distinct(field1) from cpu`,
    stmt: sel({ fields: [f(c('distinct', v('field1')))], sources: [mm('cpu')] }),
  },
  {
    s: `select distinct field2 from network`,
    stmt: sel({ fields: [f(distinct('field2'))], sources: [mm('network')] }),
  },
  {
    s: `select count(distinct field3) from metrics`,
    stmt: sel({ fields: [f(c('count', distinct('field3')))], sources: [mm('metrics')] }),
  },
  {
    s: `select count(distinct field3), sum(field4) from metrics`,
    stmt: sel({ fields: [f(c('count', distinct('field3'))), f(c('sum', v('field4')))], sources: [mm('metrics')] }),
  },
  {
    s: `select count(distinct(field3)), sum(field4) from metrics`,
    stmt: sel({
      fields: [f(c('count', c('distinct', v('field3')))), f(c('sum', v('field4')))],
      sources: [mm('metrics')],
    }),
  },
  {
    s: `SELECT * FROM cpu WHERE time > '${NOW}'`,
    stmt: sel({ fields: [f(wild())], sources: [mm('cpu')], condition: timeGT(NOW) }),
  },
  ...(['>', '>=', '=', '<=', '<', '!='] as BinaryOp[]).map((op) => ({
    s: `SELECT * FROM cpu WHERE load ${op} 100`,
    stmt: sel({ fields: [f(wild())], sources: [mm('cpu')], condition: b(op, v('load'), int(100)) }),
  })),
  {
    s: `SELECT * FROM cpu WHERE load <> 100`,
    stmt: sel({ fields: [f(wild())], sources: [mm('cpu')], condition: b('!=', v('load'), int(100)) }),
  },
  { s: `SELECT * FROM /cpu.*/`, stmt: sel({ fields: [f(wild())], sources: [mre('cpu.*')] }) },
  {
    s: `SELECT * FROM "db"."rp"./cpu.*/`,
    stmt: sel({ fields: [f(wild())], sources: [mre('cpu.*', { database: 'db', retentionPolicy: 'rp' })] }),
  },
  {
    s: `SELECT * FROM "db"../cpu.*/`,
    stmt: sel({ fields: [f(wild())], sources: [mre('cpu.*', { database: 'db' })] }),
  },
  {
    s: `SELECT * FROM "rp"./cpu.*/`,
    stmt: sel({ fields: [f(wild())], sources: [mre('cpu.*', { retentionPolicy: 'rp' })] }),
  },
  {
    s: `SELECT * FROM db0.rp0.cpu, db0..mem, "my rp"."my.measurement", /^disk/`,
    stmt: sel({
      fields: [f(wild())],
      sources: [
        mm('cpu', { database: 'db0', retentionPolicy: 'rp0' }),
        mm('mem', { database: 'db0' }),
        mm('my.measurement', { retentionPolicy: 'my rp' }),
        mre('^disk'),
      ],
    }),
  },
  {
    s: `SELECT sum(value) FROM "kbps" WHERE time > now() - 120s AND deliveryservice='steam-dns' and cachegroup = 'total' GROUP BY time(60s)`,
    stmt: sel({
      fields: [f(c('sum', v('value')))],
      sources: [mm('kbps')],
      dimensions: [dim(c('time', dur(60n * S)))],
      condition: b(
        'AND',
        b(
          'AND',
          b('>', v('time'), b('-', c('now'), dur(120n * S))),
          b('=', v('deliveryservice'), str('steam-dns')),
        ),
        b('=', v('cachegroup'), str('total')),
      ),
    }),
  },
  {
    s: `SELECT count(value) FROM cpu where time < '${NOW}' group by time(500ms)`,
    stmt: sel({
      fields: [f(c('count', v('value')))],
      sources: [mm('cpu')],
      condition: b('<', v('time'), str(NOW)),
      dimensions: [dim(c('time', dur(500n * MS)))],
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu where time < '${NOW}' GROUP BY time(5m) fill(1)`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      condition: b('<', v('time'), str(NOW)),
      dimensions: [dim(c('time', dur(5n * M)))],
      fill: 'number',
      fillValue: 1n,
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu GROUP BY time(5m) fill(-2.5)`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      dimensions: [dim(c('time', dur(5n * M)))],
      fill: 'number',
      fillValue: -2.5,
    }),
  },
  ...(
    [
      ['FILL(none)', 'none'],
      ['FILL(previous)', 'previous'],
      ['fill(linear)', 'linear'],
      ['fill(null)', 'null'],
    ] as const
  ).map(([clause, fill]) => ({
    s: `SELECT mean(value) FROM cpu where time < '${NOW}' GROUP BY time(5m) ${clause}`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      condition: b('<', v('time'), str(NOW)),
      dimensions: [dim(c('time', dur(5n * M)))],
      fill,
    }),
  })),
  {
    s: `SELECT field1::float, field2::integer, field6::unsigned, field3::string, field4::boolean, field5::field, tag1::tag FROM cpu`,
    stmt: sel({
      fields: [
        f(v('field1', 'float')),
        f(v('field2', 'integer')),
        f(v('field6', 'unsigned')),
        f(v('field3', 'string')),
        f(v('field4', 'boolean')),
        f(v('field5', 'field')),
        f(v('tag1', 'tag')),
      ],
      sources: [mm('cpu')],
    }),
  },
  {
    s: `SELECT *::field, *::tag FROM cpu`,
    stmt: sel({ fields: [f(wild('field')), f(wild('tag'))], sources: [mm('cpu')] }),
  },
  {
    s: `SELECT /^usage/ FROM cpu GROUP BY /^ho/`,
    stmt: sel({ fields: [f(re('^usage'))], sources: [mm('cpu')], dimensions: [dim(re('^ho'))] }),
  },
  {
    s: `SELECT sum(derivative) FROM (SELECT derivative(value) FROM cpu GROUP BY host) WHERE time >= now() - 1d GROUP BY time(1h)`,
    stmt: sel({
      fields: [f(c('sum', v('derivative')))],
      dimensions: [dim(c('time', dur(H)))],
      sources: [
        sub(sel({ fields: [f(c('derivative', v('value')))], dimensions: [dim(v('host'))], sources: [mm('cpu')] })),
      ],
      condition: b('>=', v('time'), b('-', c('now'), dur(D))),
    }),
  },
  {
    s: `SELECT sum(mean) FROM (SELECT mean(value) FROM cpu GROUP BY time(1h)) WHERE time >= now() - 1d`,
    stmt: sel({
      fields: [f(c('sum', v('mean')))],
      sources: [
        sub(sel({ fields: [f(c('mean', v('value')))], dimensions: [dim(c('time', dur(H)))], sources: [mm('cpu')] })),
      ],
      condition: b('>=', v('time'), b('-', c('now'), dur(D))),
    }),
  },
  {
    s: `SELECT sum(mean) FROM (SELECT mean(value) FROM cpu WHERE time >= now() - 1d GROUP BY time(1h))`,
    stmt: sel({
      fields: [f(c('sum', v('mean')))],
      sources: [
        sub(
          sel({
            fields: [f(c('mean', v('value')))],
            dimensions: [dim(c('time', dur(H)))],
            condition: b('>=', v('time'), b('-', c('now'), dur(D))),
            sources: [mm('cpu')],
          }),
        ),
      ],
    }),
  },
  {
    s: `SELECT sum(derivative) FROM (SELECT derivative(mean(value)) FROM cpu GROUP BY host) WHERE time >= now() - 1d GROUP BY time(1h)`,
    stmt: sel({
      fields: [f(c('sum', v('derivative')))],
      dimensions: [dim(c('time', dur(H)))],
      sources: [
        sub(
          sel({
            fields: [f(c('derivative', c('mean', v('value'))))],
            dimensions: [dim(v('host'))],
            sources: [mm('cpu')],
          }),
        ),
      ],
      condition: b('>=', v('time'), b('-', c('now'), dur(D))),
    }),
  },
  {
    s: `SELECT max(value) FROM (SELECT value FROM cpu), (SELECT value FROM mem), disk`,
    stmt: sel({
      fields: [f(c('max', v('value')))],
      sources: [
        sub(sel({ fields: [f(v('value'))], sources: [mm('cpu')] })),
        sub(sel({ fields: [f(v('value'))], sources: [mm('mem')] })),
        mm('disk'),
      ],
    }),
  },
  {
    s: `SELECT "user" /*, system, idle */ FROM cpu`,
    stmt: sel({ fields: [f(v('user'))], sources: [mm('cpu')] }),
  },
  {
    s: `SELECT /foo\\/*bar/ FROM /foo\\/*bar*/ WHERE x = 1`,
    stmt: sel({
      fields: [f(re('foo/*bar'))],
      sources: [mre('foo/*bar*')],
      condition: b('=', v('x'), int(1)),
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu WHERE time >= now() - 7d GROUP BY time(1d) TZ('America/Los_Angeles')`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      condition: b('>=', v('time'), b('-', c('now'), dur(7n * D))),
      dimensions: [dim(c('time', dur(D)))],
      location: 'America/Los_Angeles',
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu GROUP BY time(1d), host tz('Europe/Paris')`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      dimensions: [dim(c('time', dur(D))), dim(v('host'))],
      location: 'Europe/Paris',
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu GROUP BY time(10m, 3m), "host"`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      dimensions: [dim(c('time', dur(10n * M), dur(3n * M))), dim(v('host'))],
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu GROUP BY time(10m, now())`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      dimensions: [dim(c('time', dur(10n * M), c('now')))],
    }),
  },
  {
    s: `SELECT mean(value) FROM cpu GROUP BY time(10m, -2m)`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      sources: [mm('cpu')],
      dimensions: [dim(c('time', dur(10n * M), dur(-2n * M)))],
    }),
  },
  {
    s: `SELECT value FROM cpu ORDER BY time DESC LIMIT 5`,
    stmt: sel({ fields: [f(v('value'))], sources: [mm('cpu')], sortFields: [{ name: 'time', ascending: false }], limit: 5 }),
  },
  {
    s: `SELECT value FROM cpu ORDER BY time`,
    stmt: sel({ fields: [f(v('value'))], sources: [mm('cpu')], sortFields: [{ name: 'time', ascending: true }] }),
  },
  {
    s: `SELECT (a + b) * 2 - c % 3, a & b | c ^ d FROM m`,
    stmt: sel({
      fields: [
        f(b('-', b('*', paren(b('+', v('a'), v('b'))), int(2)), b('%', v('c'), int(3)))),
        f(b('^', b('|', b('&', v('a'), v('b')), v('c')), v('d'))),
      ],
      sources: [mm('m')],
    }),
  },
  {
    s: `SELECT mean(value) * 100 / 8 AS pct, -value FROM cpu`,
    stmt: sel({
      fields: [f(b('/', b('*', c('mean', v('value')), int(100)), int(8)), 'pct'), f(b('*', int(-1), v('value')))],
      sources: [mm('cpu')],
    }),
  },
  ...[
    'count', 'distinct', 'integral', 'mean', 'median', 'mode', 'spread', 'stddev', 'sum', 'first', 'last', 'max',
    'min', 'abs', 'acos', 'asin', 'atan', 'ceil', 'cos', 'cumulative_sum', 'difference', 'elapsed', 'exp', 'floor',
    'ln', 'log2', 'log10', 'non_negative_derivative', 'non_negative_difference', 'round', 'sin', 'sqrt', 'tan',
  ].map((fn) => ({
    s: `SELECT ${fn.toUpperCase()}(value) FROM cpu`,
    stmt: sel({ fields: [f(c(fn, v('value')))], sources: [mm('cpu')] }),
  })), // prettier-ignore
  {
    s: `SELECT atan2(y, x), pow(value, 2), log(value, 10), histogram(value, 10), percentile(value, 95), integral(value, 1s), elapsed(value, 1ms) FROM cpu`,
    stmt: sel({
      fields: [
        f(c('atan2', v('y'), v('x'))),
        f(c('pow', v('value'), int(2))),
        f(c('log', v('value'), int(10))),
        f(c('histogram', v('value'), int(10))),
        f(c('percentile', v('value'), int(95))),
        f(c('integral', v('value'), dur(S))),
        f(c('elapsed', v('value'), dur(MS))),
      ],
      sources: [mm('cpu')],
    }),
  },
  {
    s: `SELECT mean(*), count(/^u/) FROM cpu`,
    stmt: sel({ fields: [f(c('mean', wild())), f(c('count', re('^u')))], sources: [mm('cpu')] }),
  },
  {
    s: `SELECT mean(value) INTO cpu_1h FROM cpu GROUP BY time(1h)`,
    stmt: sel({
      fields: [f(c('mean', v('value')))],
      target: { measurement: mm('cpu_1h', { isTarget: true }) },
      sources: [mm('cpu')],
      dimensions: [dim(c('time', dur(H)))],
    }),
  },
  {
    s: `SELECT * INTO db1.rp1.m1 FROM cpu`,
    stmt: sel({
      fields: [f(wild())],
      target: { measurement: mm('m1', { database: 'db1', retentionPolicy: 'rp1', isTarget: true }) },
      sources: [mm('cpu')],
    }),
  },
  {
    s: `SELECT * INTO db1..:MEASUREMENT FROM /.*/`,
    stmt: sel({
      fields: [f(wild())],
      target: { measurement: measurement({ database: 'db1', isTarget: true }) },
      sources: [mre('.*')],
    }),
  },
  {
    s: `SELECT * INTO rp1.:measurement FROM /.*/`,
    stmt: sel({
      fields: [f(wild())],
      target: { measurement: measurement({ retentionPolicy: 'rp1', isTarget: true }) },
      sources: [mre('.*')],
    }),
  },
  {
    s: `SELECT value FROM cpu WHERE host = 'a' OR (host = 'b' AND time > now() - 1h) AND region !~ /west/`,
    stmt: sel({
      fields: [f(v('value'))],
      sources: [mm('cpu')],
      condition: b(
        'OR',
        b('=', v('host'), str('a')),
        b(
          'AND',
          paren(b('AND', b('=', v('host'), str('b')), b('>', v('time'), b('-', c('now'), dur(H))))),
          b('!~', v('region'), re('west')),
        ),
      ),
    }),
  },
  {
    s: `SELECT value FROM cpu WHERE time >= '2020-01-01T00:00:00Z' + 1h AND time < 1577836800000000000`,
    stmt: sel({
      fields: [f(v('value'))],
      sources: [mm('cpu')],
      condition: b(
        'AND',
        b('>=', v('time'), b('+', str('2020-01-01T00:00:00Z'), dur(H))),
        b('<', v('time'), int(1577836800000000000n)),
      ),
    }),
  },
  {
    s: `SELECT value FROM cpu WHERE active = true AND deleted = FALSE`,
    stmt: sel({
      fields: [f(v('value'))],
      sources: [mm('cpu')],
      condition: b('AND', b('=', v('active'), bool(true)), b('=', v('deleted'), bool(false))),
    }),
  },
  {
    s: `SELECT value FROM cpu WHERE host = $host AND value > $min AND "name" =~ $re`,
    stmt: sel({
      fields: [f(v('value'))],
      sources: [mm('cpu')],
      condition: b(
        'AND',
        b('AND', b('=', v('host'), param('host')), b('>', v('value'), param('min'))),
        b('=~', v('name'), param('re')),
      ),
    }),
  },
  {
    s: `SELECT value FROM cpu WHERE value > $"multi-word value"`,
    stmt: sel({ fields: [f(v('value'))], sources: [mm('cpu')], condition: b('>', v('value'), param('multi-word value')) }),
  },
  {
    s: `SELECT "a-b"."c d" FROM "x y" WHERE "select" = 'it''s'`.replace("''", "\\'"),
    stmt: sel({
      fields: [f(v('a-b.c d'))],
      sources: [mm('x y')],
      condition: b('=', v('select'), str("it's")),
    }),
  },
  {
    s: `SELECT "esc\\"aped" FROM cpu WHERE s = 'a\\nb\\\\c'`,
    stmt: sel({ fields: [f(v('esc"aped'))], sources: [mm('cpu')], condition: b('=', v('s'), str('a\nb\\c')) }),
  },
  {
    s: `SELECT value FROM cpu WHERE d > 1u AND d < 1µ + 10ns + 1w`,
    stmt: sel({
      fields: [f(v('value'))],
      sources: [mm('cpu')],
      condition: b('AND', b('>', v('d'), dur(US)), b('<', v('d'), b('+', b('+', dur(US), dur(10n * NS)), dur(W)))),
    }),
  },
];

const showCases: Case[] = [
  {
    s: `EXPLAIN SELECT * FROM cpu`,
    stmt: { type: 'ExplainStatement', statement: sel({ fields: [f(wild())], sources: [mm('cpu')] }), analyze: false, verbose: false },
  },
  {
    s: `EXPLAIN VERBOSE SELECT * FROM cpu`,
    stmt: { type: 'ExplainStatement', statement: sel({ fields: [f(wild())], sources: [mm('cpu')] }), analyze: false, verbose: true },
  },
  {
    s: `EXPLAIN ANALYZE SELECT * FROM cpu`,
    stmt: { type: 'ExplainStatement', statement: sel({ fields: [f(wild())], sources: [mm('cpu')] }), analyze: true, verbose: false },
  },
  {
    s: `EXPLAIN ANALYZE VERBOSE SELECT * FROM cpu`,
    stmt: { type: 'ExplainStatement', statement: sel({ fields: [f(wild())], sources: [mm('cpu')] }), analyze: true, verbose: true },
  },
  {
    s: `DELETE FROM "retention_policy"."myseries" WHERE host = 'hosta.influxdb.org'`,
    stmt: {
      type: 'DeleteSeriesStatement',
      sources: [mm('myseries', { retentionPolicy: 'retention_policy' })],
      condition: b('=', v('host'), str('hosta.influxdb.org')),
    },
  },
  { s: `SHOW GRANTS FOR jdoe`, stmt: { type: 'ShowGrantsForUserStatement', name: 'jdoe' } },
  { s: `SHOW DATABASES`, stmt: { type: 'ShowDatabasesStatement' } },
  {
    s: `SHOW SERIES`,
    stmt: { type: 'ShowSeriesStatement', database: '', sources: null, condition: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES FROM cpu`,
    stmt: { type: 'ShowSeriesStatement', database: '', sources: [mm('cpu')], condition: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES ON db0`,
    stmt: { type: 'ShowSeriesStatement', database: 'db0', sources: null, condition: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES FROM /[cg]pu/`,
    stmt: { type: 'ShowSeriesStatement', database: '', sources: [mre('[cg]pu')], condition: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES LIMIT 2 OFFSET 0`,
    stmt: { type: 'ShowSeriesStatement', database: '', sources: null, condition: null, sortFields: [], limit: 2, offset: 0 },
  },
  {
    s: `SHOW SERIES ON db0 FROM cpu, mem WHERE host = 'a' LIMIT 10 OFFSET 3`,
    stmt: {
      type: 'ShowSeriesStatement',
      database: 'db0',
      sources: [mm('cpu'), mm('mem')],
      condition: b('=', v('host'), str('a')),
      sortFields: [],
      limit: 10,
      offset: 3,
    },
  },
  {
    s: `SHOW SERIES CARDINALITY`,
    stmt: { type: 'ShowSeriesCardinalityStatement', exact: false, database: '', sources: null, condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES CARDINALITY ON dbz`,
    stmt: { type: 'ShowSeriesCardinalityStatement', exact: false, database: 'dbz', sources: null, condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES EXACT CARDINALITY FROM cpu`,
    stmt: { type: 'ShowSeriesCardinalityStatement', exact: true, database: '', sources: [mm('cpu')], condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW SERIES EXACT CARDINALITY WHERE region = 'order by desc' LIMIT 10`,
    stmt: {
      type: 'ShowSeriesCardinalityStatement',
      exact: true,
      database: '',
      sources: null,
      condition: b('=', v('region'), str('order by desc')),
      dimensions: [],
      limit: 10,
      offset: 0,
    },
  },
  {
    s: `SHOW SERIES CARDINALITY GROUP BY host`,
    stmt: { type: 'ShowSeriesCardinalityStatement', exact: false, database: '', sources: null, condition: null, dimensions: [dim(v('host'))], limit: 0, offset: 0 },
  },
  ...(
    [
      ['SHOW MEASUREMENTS ON db0', { database: 'db0' }],
      ['SHOW MEASUREMENTS ON db0.rp0', { database: 'db0', retentionPolicy: 'rp0' }],
      ['SHOW MEASUREMENTS ON *', { wildcardDatabase: true }],
      ['SHOW MEASUREMENTS ON *.*', { wildcardDatabase: true, wildcardRetentionPolicy: true }],
      ['SHOW MEASUREMENTS ON db0.*', { database: 'db0', wildcardRetentionPolicy: true }],
      ['SHOW MEASUREMENTS ON *.rp0', { retentionPolicy: 'rp0', wildcardDatabase: true }],
      ['SHOW MEASUREMENTS WITH MEASUREMENT = cpu', { source: mm('cpu') }],
      ['SHOW MEASUREMENTS WITH MEASUREMENT =~ /[cg]pu/', { source: mre('[cg]pu') }],
      [
        `SHOW MEASUREMENTS WITH MEASUREMENT =~ /^c/ WHERE host = 'a' LIMIT 5 OFFSET 1`,
        { source: mre('^c'), condition: b('=', v('host'), str('a')), limit: 5, offset: 1 },
      ],
      ['SHOW MEASUREMENTS', {}],
    ] as Array<[string, object]>
  ).map(([s, init]) => ({
    s,
    stmt: withInit({
      type: 'ShowMeasurementsStatement' as const,
      database: '',
      retentionPolicy: '',
      wildcardDatabase: false,
      wildcardRetentionPolicy: false,
      source: null,
      condition: null,
      sortFields: [],
      limit: 0,
      offset: 0,
    }, init),
  })),
  {
    s: `SHOW MEASUREMENT CARDINALITY`,
    stmt: { type: 'ShowMeasurementCardinalityStatement', exact: false, database: '', sources: null, condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW MEASUREMENT CARDINALITY ON db0`,
    stmt: { type: 'ShowMeasurementCardinalityStatement', exact: false, database: 'db0', sources: null, condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW MEASUREMENT EXACT CARDINALITY FROM /[cg]pu/ LIMIT 2 OFFSET 1`,
    stmt: { type: 'ShowMeasurementCardinalityStatement', exact: true, database: '', sources: [mre('[cg]pu')], condition: null, dimensions: [], limit: 2, offset: 1 },
  },
  { s: `SHOW QUERIES`, stmt: { type: 'ShowQueriesStatement' } },
  { s: `KILL QUERY 4`, stmt: { type: 'KillQueryStatement', queryId: 4n, host: '' } },
  { s: `KILL QUERY 4 ON localhost`, stmt: { type: 'KillQueryStatement', queryId: 4n, host: 'localhost' } },
  { s: `SHOW RETENTION POLICIES`, stmt: { type: 'ShowRetentionPoliciesStatement', database: '' } },
  { s: `SHOW RETENTION POLICIES ON db0`, stmt: { type: 'ShowRetentionPoliciesStatement', database: 'db0' } },
  {
    s: `SHOW TAG KEY CARDINALITY`,
    stmt: { type: 'ShowTagKeyCardinalityStatement', exact: false, database: '', sources: null, condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW TAG KEY CARDINALITY FROM cpu`,
    stmt: { type: 'ShowTagKeyCardinalityStatement', exact: false, database: '', sources: [mm('cpu')], condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW TAG KEY EXACT CARDINALITY ON db0 WHERE region = 'order by desc' LIMIT 10`,
    stmt: {
      type: 'ShowTagKeyCardinalityStatement',
      exact: true,
      database: 'db0',
      sources: null,
      condition: b('=', v('region'), str('order by desc')),
      dimensions: [],
      limit: 10,
      offset: 0,
    },
  },
  ...(
    [
      ['SHOW TAG KEYS FROM src', { sources: [mm('src')] }],
      ['SHOW TAG KEYS ON db0', { database: 'db0' }],
      ['SHOW TAG KEYS FROM src LIMIT 2', { sources: [mm('src')], limit: 2 }],
      ['SHOW TAG KEYS FROM src OFFSET 1', { sources: [mm('src')], offset: 1 }],
      ['SHOW TAG KEYS FROM src LIMIT 2 OFFSET 1', { sources: [mm('src')], limit: 2, offset: 1 }],
      ['SHOW TAG KEYS FROM src SLIMIT 2', { sources: [mm('src')], sLimit: 2 }],
      ['SHOW TAG KEYS FROM src SOFFSET 1', { sources: [mm('src')], sOffset: 1 }],
      ['SHOW TAG KEYS FROM src SLIMIT 2 SOFFSET 1', { sources: [mm('src')], sLimit: 2, sOffset: 1 }],
      [
        'SHOW TAG KEYS FROM src LIMIT 4 OFFSET 3 SLIMIT 2 SOFFSET 1',
        { sources: [mm('src')], limit: 4, offset: 3, sLimit: 2, sOffset: 1 },
      ],
      ['SHOW TAG KEYS FROM /[cg]pu/', { sources: [mre('[cg]pu')] }],
      ['SHOW TAG KEYS', {}],
      [
        `SHOW TAG KEYS FROM cpu WITH KEY =~ /^h/ WHERE region = 'x'`,
        { sources: [mm('cpu')], tagKeyOp: '=~', tagKeyExpr: re('^h'), condition: b('=', v('region'), str('x')) },
      ],
    ] as Array<[string, object]>
  ).map(([s, init]) => ({
    s,
    stmt: withInit({
      type: 'ShowTagKeysStatement' as const,
      database: '',
      sources: null,
      tagKeyOp: null,
      tagKeyExpr: null,
      condition: null,
      sortFields: [],
      limit: 0,
      offset: 0,
      sLimit: 0,
      sOffset: 0,
    }, init),
  })),
  ...(
    [
      [
        `SHOW TAG VALUES FROM cpu WITH KEY IN (region, host) WHERE region = 'uswest'`,
        {
          sources: [mm('cpu')],
          op: 'IN',
          tagKeyExpr: { type: 'ListLiteral', vals: ['region', 'host'] },
          condition: b('=', v('region'), str('uswest')),
        },
      ],
      [
        `SHOW TAG VALUES FROM cpu WITH KEY IN (region,service,host)WHERE region = 'uswest'`,
        {
          sources: [mm('cpu')],
          op: 'IN',
          tagKeyExpr: { type: 'ListLiteral', vals: ['region', 'service', 'host'] },
          condition: b('=', v('region'), str('uswest')),
        },
      ],
      [
        `SHOW TAG VALUES WITH KEY = host WHERE region = 'uswest'`,
        { op: '=', tagKeyExpr: str('host'), condition: b('=', v('region'), str('uswest')) },
      ],
      [`SHOW TAG VALUES FROM /[cg]pu/ WITH KEY = host`, { sources: [mre('[cg]pu')], op: '=', tagKeyExpr: str('host') }],
      [
        `SHOW TAG VALUES WITH KEY = "host" WHERE region = 'uswest'`,
        { op: '=', tagKeyExpr: str('host'), condition: b('=', v('region'), str('uswest')) },
      ],
      [`SHOW TAG VALUES WITH KEY =~ /(host|region)/`, { op: '=~', tagKeyExpr: re('(host|region)') }],
      [`SHOW TAG VALUES WITH KEY !~ /^_/`, { op: '!~', tagKeyExpr: re('^_') }],
      [`SHOW TAG VALUES WITH KEY != "region" LIMIT 3 OFFSET 2`, { op: '!=', tagKeyExpr: str('region'), limit: 3, offset: 2 }],
      [`SHOW TAG VALUES ON db0 WITH KEY = "host"`, { database: 'db0', op: '=', tagKeyExpr: str('host') }],
    ] as Array<[string, object]>
  ).map(([s, init]) => ({
    s,
    stmt: withInit({
      type: 'ShowTagValuesStatement' as const,
      database: '',
      op: '=' as const,
      tagKeyExpr: { type: 'StringLiteral', val: '' },
      sources: null,
      condition: null,
      sortFields: [],
      limit: 0,
      offset: 0,
    }, init),
  })),
  ...(
    [
      [`SHOW TAG VALUES CARDINALITY WITH KEY = host`, {}],
      [`SHOW TAG VALUES CARDINALITY FROM cpu WITH KEY =  host`, { sources: [mm('cpu')] }],
      [`SHOW TAG VALUES CARDINALITY ON db0 WITH KEY = host`, { database: 'db0' }],
      [`SHOW TAG VALUES CARDINALITY FROM /[cg]pu/ WITH KEY = host`, { sources: [mre('[cg]pu')] }],
      [`SHOW TAG VALUES CARDINALITY WITH KEY = host LIMIT 2 OFFSET 0`, { limit: 2 }],
      [
        `SHOW TAG VALUES CARDINALITY WITH KEY = host WHERE region = 'order by desc' LIMIT 10`,
        { condition: b('=', v('region'), str('order by desc')), limit: 10 },
      ],
      [`SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host`, { exact: true }],
      [`SHOW TAG VALUES EXACT CARDINALITY FROM cpu WITH KEY =  host`, { exact: true, sources: [mm('cpu')] }],
      [`SHOW TAG VALUES EXACT CARDINALITY ON db0 WITH KEY = host`, { exact: true, database: 'db0' }],
      [`SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host OFFSET 0`, { exact: true }],
    ] as Array<[string, object]>
  ).map(([s, init]) => ({
    s,
    stmt: withInit({
      type: 'ShowTagValuesCardinalityStatement' as const,
      exact: false,
      database: '',
      sources: null,
      op: '=' as const,
      tagKeyExpr: { type: 'StringLiteral', val: 'host' },
      condition: null,
      dimensions: [],
      limit: 0,
      offset: 0,
    }, init),
  })),
  { s: `SHOW USERS`, stmt: { type: 'ShowUsersStatement' } },
  {
    s: `SHOW FIELD KEYS FROM /[cg]pu/`,
    stmt: { type: 'ShowFieldKeysStatement', database: '', sources: [mre('[cg]pu')], sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEYS ON db0`,
    stmt: { type: 'ShowFieldKeysStatement', database: 'db0', sources: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEYS ON db0 FROM rp1.m0`,
    stmt: { type: 'ShowFieldKeysStatement', database: 'db0', sources: [mm('m0', { retentionPolicy: 'rp1' })], sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEYS ON db0 FROM rp1./[cg]pu/`,
    stmt: { type: 'ShowFieldKeysStatement', database: 'db0', sources: [mre('[cg]pu', { retentionPolicy: 'rp1' })], sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEYS ON 12`, // Go ignores the error of ON here
    stmt: { type: 'ShowFieldKeysStatement', database: '', sources: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEYS`,
    stmt: { type: 'ShowFieldKeysStatement', database: '', sources: null, sortFields: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEY CARDINALITY`,
    stmt: { type: 'ShowFieldKeyCardinalityStatement', exact: false, database: '', sources: null, condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEY CARDINALITY FROM cpu`,
    stmt: { type: 'ShowFieldKeyCardinalityStatement', exact: false, database: '', sources: [mm('cpu')], condition: null, dimensions: [], limit: 0, offset: 0 },
  },
  {
    s: `SHOW FIELD KEY EXACT CARDINALITY ON db0 LIMIT 2 OFFSET 1`,
    stmt: { type: 'ShowFieldKeyCardinalityStatement', exact: true, database: 'db0', sources: null, condition: null, dimensions: [], limit: 2, offset: 1 },
  },
  { s: `SHOW CONTINUOUS QUERIES`, stmt: { type: 'ShowContinuousQueriesStatement' } },
  { s: `SHOW STATS`, stmt: { type: 'ShowStatsStatement', module: '' } },
  { s: `SHOW STATS FOR 'cluster'`, stmt: { type: 'ShowStatsStatement', module: 'cluster' } },
  { s: `SHOW SHARD GROUPS`, stmt: { type: 'ShowShardGroupsStatement' } },
  { s: `SHOW SHARDS`, stmt: { type: 'ShowShardsStatement' } },
  { s: `SHOW DIAGNOSTICS`, stmt: { type: 'ShowDiagnosticsStatement', module: '' } },
  { s: `SHOW DIAGNOSTICS FOR 'build'`, stmt: { type: 'ShowDiagnosticsStatement', module: 'build' } },
  { s: `SHOW SUBSCRIPTIONS`, stmt: { type: 'ShowSubscriptionsStatement' } },
];

const cq = (init: { name?: string; db?: string; every?: bigint; for?: bigint; source: SelectStatement }): Statement => ({
  type: 'CreateContinuousQueryStatement',
  name: init.name ?? 'myquery',
  database: init.db ?? 'testdb',
  source: init.source,
  resampleEvery: init.every ?? 0n,
  resampleFor: init.for ?? 0n,
});

const countInto = (target: Measurement): SelectStatement =>
  sel({
    fields: [f(c('count', v('field1')))],
    target: { measurement: target },
    sources: [mm('myseries')],
    dimensions: [dim(c('time', dur(5n * M)))],
  });

const createDb = (init: Partial<Extract<Statement, { type: 'CreateDatabaseStatement' }>>): Statement => ({
  type: 'CreateDatabaseStatement',
  name: 'testdb',
  retentionPolicyCreate: true,
  retentionPolicyDuration: null,
  retentionPolicyReplication: null,
  retentionPolicyName: '',
  retentionPolicyShardGroupDuration: 0n,
  futureWriteLimit: null,
  pastWriteLimit: null,
  ...init,
});

const createRp = (init: Partial<Extract<Statement, { type: 'CreateRetentionPolicyStatement' }>>): Statement => ({
  type: 'CreateRetentionPolicyStatement',
  name: 'policy1',
  database: 'testdb',
  duration: H,
  replication: 2,
  default: false,
  shardGroupDuration: 0n,
  futureWriteLimit: 0n,
  pastWriteLimit: 0n,
  tiers: null,
  ...init,
});

const alterRp = (init: Partial<Extract<Statement, { type: 'AlterRetentionPolicyStatement' }>>): Statement => ({
  type: 'AlterRetentionPolicyStatement',
  name: 'policy1',
  database: 'testdb',
  duration: null,
  replication: null,
  default: false,
  shardGroupDuration: null,
  futureWriteLimit: null,
  pastWriteLimit: null,
  tiers: null,
  ...init,
});

const adminCases: Case[] = [
  { s: `DELETE FROM src`, stmt: { type: 'DeleteSeriesStatement', sources: [mm('src')], condition: null } },
  {
    s: `DELETE WHERE host = 'hosta.influxdb.org'`,
    stmt: { type: 'DeleteSeriesStatement', sources: null, condition: b('=', v('host'), str('hosta.influxdb.org')) },
  },
  {
    s: `DELETE FROM src WHERE host = 'hosta.influxdb.org'`,
    stmt: { type: 'DeleteSeriesStatement', sources: [mm('src')], condition: b('=', v('host'), str('hosta.influxdb.org')) },
  },
  {
    s: `DELETE FROM /^cpu/ WHERE time < '2020-01-01'`,
    stmt: { type: 'DeleteSeriesStatement', sources: [mre('^cpu')], condition: b('<', v('time'), str('2020-01-01')) },
  },
  { s: `DROP SERIES FROM src`, stmt: { type: 'DropSeriesStatement', sources: [mm('src')], condition: null } },
  {
    s: `DROP SERIES WHERE host = 'hosta.influxdb.org'`,
    stmt: { type: 'DropSeriesStatement', sources: null, condition: b('=', v('host'), str('hosta.influxdb.org')) },
  },
  {
    s: `DROP SERIES FROM src WHERE host = 'hosta.influxdb.org'`,
    stmt: { type: 'DropSeriesStatement', sources: [mm('src')], condition: b('=', v('host'), str('hosta.influxdb.org')) },
  },
  { s: `DROP SHARD 1`, stmt: { type: 'DropShardStatement', id: 1n } },
  { s: `DROP SHARD 18446744073709551615`, stmt: { type: 'DropShardStatement', id: 18446744073709551615n } },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb RESAMPLE EVERY 1m FOR 1h BEGIN SELECT count(field1) INTO measure1 FROM myseries GROUP BY time(5m) END`,
    stmt: cq({ every: M, for: H, source: countInto(mm('measure1', { isTarget: true })) }),
  },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb RESAMPLE FOR 1h BEGIN SELECT count(field1) INTO measure1 FROM myseries GROUP BY time(5m) END`,
    stmt: cq({ for: H, source: countInto(mm('measure1', { isTarget: true })) }),
  },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb RESAMPLE EVERY 1m BEGIN SELECT count(field1) INTO measure1 FROM myseries GROUP BY time(5m) END`,
    stmt: cq({ every: M, source: countInto(mm('measure1', { isTarget: true })) }),
  },
  {
    s: `create continuous query "this.is-a.test" on segments begin select * into measure1 from cpu_load_short end`,
    stmt: cq({
      name: 'this.is-a.test',
      db: 'segments',
      source: sel({
        fields: [f(wild())],
        target: { measurement: mm('measure1', { isTarget: true }) },
        sources: [mm('cpu_load_short')],
      }),
    }),
  },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT count(field1) INTO "1h.policy1"."cpu.load" FROM myseries GROUP BY time(5m) END`,
    stmt: cq({ source: countInto(mm('cpu.load', { retentionPolicy: '1h.policy1', isTarget: true })) }),
  },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT value INTO "policy1"."value" FROM myseries END`,
    stmt: cq({
      source: sel({
        fields: [f(v('value'))],
        target: { measurement: mm('value', { retentionPolicy: 'policy1', isTarget: true }) },
        sources: [mm('myseries')],
      }),
    }),
  },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT transmit_rx, transmit_tx INTO "policy1"."network" FROM myseries END`,
    stmt: cq({
      source: sel({
        fields: [f(v('transmit_rx')), f(v('transmit_tx'))],
        target: { measurement: mm('network', { retentionPolicy: 'policy1', isTarget: true }) },
        sources: [mm('myseries')],
      }),
    }),
  },
  {
    s: `CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT mean(value) INTO "policy1".:measurement FROM /^[a-z]+.*/ GROUP BY time(1m) END`,
    stmt: cq({
      source: sel({
        fields: [f(c('mean', v('value')))],
        target: { measurement: measurement({ retentionPolicy: 'policy1', isTarget: true }) },
        sources: [mre('^[a-z]+.*')],
        dimensions: [dim(c('time', dur(M)))],
      }),
    }),
  },
  {
    s: `CREATE CONTINUOUS QUERY cq0 ON db0 BEGIN SELECT mean(*) INTO db1..:MEASUREMENT FROM cpu GROUP BY time(5m), * fill(0) END`,
    stmt: cq({
      name: 'cq0',
      db: 'db0',
      source: sel({
        fields: [f(c('mean', wild()))],
        target: { measurement: measurement({ database: 'db1', isTarget: true }) },
        sources: [mm('cpu')],
        dimensions: [dim(c('time', dur(5n * M))), dim(wild())],
        fill: 'number',
        fillValue: 0n,
      }),
    }),
  },
  {
    s: `CREATE DATABASE testdb`,
    stmt: createDb({ retentionPolicyCreate: false }),
  },
  { s: `CREATE DATABASE testdb WITH DURATION 24h`, stmt: createDb({ retentionPolicyDuration: 24n * H }) },
  { s: `CREATE DATABASE testdb WITH DURATION INF`, stmt: createDb({ retentionPolicyDuration: 0n }) },
  { s: `CREATE DATABASE testdb WITH SHARD DURATION 30m`, stmt: createDb({ retentionPolicyShardGroupDuration: 30n * M }) },
  { s: `CREATE DATABASE testdb WITH REPLICATION 2`, stmt: createDb({ retentionPolicyReplication: 2 }) },
  { s: `CREATE DATABASE testdb WITH NAME test_name`, stmt: createDb({ retentionPolicyName: 'test_name' }) },
  {
    s: `CREATE DATABASE testdb WITH DURATION 24h REPLICATION 2 NAME test_name`,
    stmt: createDb({ retentionPolicyDuration: 24n * H, retentionPolicyReplication: 2, retentionPolicyName: 'test_name' }),
  },
  {
    s: `CREATE DATABASE testdb WITH DURATION 24h REPLICATION 2 SHARD DURATION 10m NAME test_name `,
    stmt: createDb({
      retentionPolicyDuration: 24n * H,
      retentionPolicyReplication: 2,
      retentionPolicyName: 'test_name',
      retentionPolicyShardGroupDuration: 10n * M,
    }),
  },
  {
    s: `CREATE DATABASE testdb WITH DURATION 24h PAST LIMIT 32s`,
    stmt: createDb({ retentionPolicyDuration: 24n * H, pastWriteLimit: 32n * S }),
  },
  {
    s: `CREATE DATABASE testdb WITH REPLICATION 2 FUTURE LIMIT 1h PAST LIMIT 67ms`,
    stmt: createDb({ retentionPolicyReplication: 2, futureWriteLimit: H, pastWriteLimit: 67n * MS }),
  },
  {
    s: `CREATE DATABASE testdb WITH DURATION 24h REPLICATION 2 SHARD DURATION 10m FUTURE LIMIT 6704ns NAME test_name`,
    stmt: createDb({
      retentionPolicyDuration: 24n * H,
      retentionPolicyReplication: 2,
      retentionPolicyName: 'test_name',
      retentionPolicyShardGroupDuration: 10n * M,
      futureWriteLimit: 6704n,
    }),
  },
  { s: `CREATE DATABASE "my-db"`, stmt: createDb({ name: 'my-db', retentionPolicyCreate: false }) },
  {
    s: `CREATE USER testuser WITH PASSWORD 'pwd1337'`,
    stmt: { type: 'CreateUserStatement', name: 'testuser', password: 'pwd1337', admin: false },
  },
  {
    s: `CREATE USER testuser WITH PASSWORD 'pwd1337' WITH ALL PRIVILEGES`,
    stmt: { type: 'CreateUserStatement', name: 'testuser', password: 'pwd1337', admin: true },
  },
  {
    s: `SET PASSWORD FOR testuser = 'pwd1337'`,
    stmt: { type: 'SetPasswordUserStatement', name: 'testuser', password: 'pwd1337' },
  },
  { s: `DROP CONTINUOUS QUERY myquery ON foo`, stmt: { type: 'DropContinuousQueryStatement', name: 'myquery', database: 'foo' } },
  { s: `DROP DATABASE testdb`, stmt: { type: 'DropDatabaseStatement', name: 'testdb' } },
  { s: `DROP MEASUREMENT cpu`, stmt: { type: 'DropMeasurementStatement', name: 'cpu' } },
  { s: `DROP MEASUREMENT "cpu load"`, stmt: { type: 'DropMeasurementStatement', name: 'cpu load' } },
  { s: `DROP RETENTION POLICY "1h.cpu" ON mydb`, stmt: { type: 'DropRetentionPolicyStatement', name: '1h.cpu', database: 'mydb' } },
  { s: `DROP USER jdoe`, stmt: { type: 'DropUserStatement', name: 'jdoe' } },
  { s: `GRANT READ ON testdb TO jdoe`, stmt: { type: 'GrantStatement', privilege: 'read', on: 'testdb', user: 'jdoe' } },
  { s: `GRANT WRITE ON testdb TO jdoe`, stmt: { type: 'GrantStatement', privilege: 'write', on: 'testdb', user: 'jdoe' } },
  { s: `GRANT ALL ON testdb TO jdoe`, stmt: { type: 'GrantStatement', privilege: 'all', on: 'testdb', user: 'jdoe' } },
  { s: `GRANT ALL PRIVILEGES ON testdb TO jdoe`, stmt: { type: 'GrantStatement', privilege: 'all', on: 'testdb', user: 'jdoe' } },
  { s: `GRANT ALL TO jdoe`, stmt: { type: 'GrantAdminStatement', user: 'jdoe' } },
  { s: `GRANT ALL PRIVILEGES TO jdoe`, stmt: { type: 'GrantAdminStatement', user: 'jdoe' } },
  { s: `REVOKE READ on testdb FROM jdoe`, stmt: { type: 'RevokeStatement', privilege: 'read', on: 'testdb', user: 'jdoe' } },
  { s: `REVOKE WRITE ON testdb FROM jdoe`, stmt: { type: 'RevokeStatement', privilege: 'write', on: 'testdb', user: 'jdoe' } },
  { s: `REVOKE ALL ON testdb FROM jdoe`, stmt: { type: 'RevokeStatement', privilege: 'all', on: 'testdb', user: 'jdoe' } },
  { s: `REVOKE ALL PRIVILEGES ON testdb FROM jdoe`, stmt: { type: 'RevokeStatement', privilege: 'all', on: 'testdb', user: 'jdoe' } },
  { s: `REVOKE ALL FROM jdoe`, stmt: { type: 'RevokeAdminStatement', user: 'jdoe' } },
  { s: `REVOKE ALL PRIVILEGES FROM jdoe`, stmt: { type: 'RevokeAdminStatement', user: 'jdoe' } },
  { s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2`, stmt: createRp({}) },
  { s: `CREATE RETENTION POLICY policy1 ON testdb DURATION INF REPLICATION 2`, stmt: createRp({ duration: 0n }) },
  {
    s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 2m REPLICATION 4 DEFAULT`,
    stmt: createRp({ duration: 2n * M, replication: 4, default: true }),
  },
  {
    s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 30m`,
    stmt: createRp({ shardGroupDuration: 30n * M }),
  },
  { s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 0s`, stmt: createRp({}) },
  {
    s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 1s`,
    stmt: createRp({ shardGroupDuration: S }),
  },
  {
    s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 1s PAST LIMIT 1h`,
    stmt: createRp({ shardGroupDuration: S, pastWriteLimit: H }),
  },
  {
    s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 1s FUTURE LIMIT 12h PAST LIMIT 3s`,
    stmt: createRp({ shardGroupDuration: S, futureWriteLimit: 12n * H, pastWriteLimit: 3n * S }),
  },
  {
    s: `ALTER RETENTION POLICY policy1 ON testdb DURATION 1m REPLICATION 4 DEFAULT`,
    stmt: alterRp({ duration: M, replication: 4, default: true }),
  },
  {
    s: `ALTER RETENTION POLICY policy1 ON testdb DEFAULT REPLICATION 4 DURATION 1m`,
    stmt: alterRp({ duration: M, replication: 4, default: true }),
  },
  {
    s: `ALTER RETENTION POLICY policy1 ON testdb DEFAULT REPLICATION 4 DURATION INF`,
    stmt: alterRp({ duration: 0n, replication: 4, default: true }),
  },
  { s: `ALTER RETENTION POLICY policy1 ON testdb DEFAULT REPLICATION 4`, stmt: alterRp({ replication: 4, default: true }) },
  { s: `ALTER RETENTION POLICY policy1 ON testdb DEFAULT`, stmt: alterRp({ default: true }) },
  { s: `ALTER RETENTION POLICY policy1 ON testdb REPLICATION 4`, stmt: alterRp({ replication: 4 }) },
  { s: `ALTER RETENTION POLICY default ON testdb REPLICATION 4`, stmt: alterRp({ name: 'default', replication: 4 }) },
  {
    s: `ALTER RETENTION POLICY policy1 ON testdb REPLICATION 4 SHARD DURATION 10m`,
    stmt: alterRp({ replication: 4, shardGroupDuration: 10n * M }),
  },
  {
    s: `ALTER RETENTION POLICY default ON testdb DURATION 0s REPLICATION 4 SHARD DURATION 10m DEFAULT`,
    stmt: alterRp({ name: 'default', duration: 0n, replication: 4, shardGroupDuration: 10n * M, default: true }),
  },
  {
    s: `ALTER RETENTION POLICY default ON testdb DURATION 0s REPLICATION 1 SHARD DURATION 0s`,
    stmt: alterRp({ name: 'default', duration: 0n, replication: 1, shardGroupDuration: 0n }),
  },
  {
    s: `ALTER RETENTION POLICY default ON testdb DURATION 0s REPLICATION 1 FUTURE LIMIT 55s PAST LIMIT 52m`,
    stmt: alterRp({ name: 'default', duration: 0n, replication: 1, futureWriteLimit: 55n * S, pastWriteLimit: 52n * M }),
  },
  // Strata's DOWNSAMPLE extension: plain words, so `downsample` stays a usable identifier.
  {
    s: `CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 DEFAULT DOWNSAMPLE 1m FOR 90d, 1h FOR INF GRACE 2h`,
    stmt: createRp({ default: true, tiers: [{ resolution: M, duration: 90n * 24n * H, grace: null }, { resolution: H, duration: 0n, grace: 2n * H }] }),
  },
  { s: `ALTER RETENTION POLICY policy1 ON testdb downsample none`, stmt: alterRp({ tiers: [] }) },
  {
    s: `ALTER RETENTION POLICY policy1 ON testdb DURATION 1h DownSample 10s FOR 1d DEFAULT`,
    stmt: alterRp({ duration: H, default: true, tiers: [{ resolution: 10n * S, duration: 24n * H, grace: null }] }),
  },
  {
    s: `CREATE SUBSCRIPTION "name" ON "db"."rp" DESTINATIONS ANY 'udp://host1:9093', 'udp://host2:9093'`,
    stmt: {
      type: 'CreateSubscriptionStatement',
      name: 'name',
      database: 'db',
      retentionPolicy: 'rp',
      destinations: ['udp://host1:9093', 'udp://host2:9093'],
      mode: 'ANY',
    },
  },
  {
    s: `DROP SUBSCRIPTION "name" ON "db"."rp"`,
    stmt: { type: 'DropSubscriptionStatement', name: 'name', database: 'db', retentionPolicy: 'rp' },
  },
];

const allCases = [...selectCases, ...showCases, ...adminCases];

describe('parseStatement: statements → AST (parser_test.go)', () => {
  it.each(allCases)('$s', ({ s, stmt }) => {
    expect(parseStatement(s)).toEqual(stmt);
  });
});

describe('formatStatement round-trips', () => {
  it.each(allCases)('$s', ({ s }) => {
    expectRoundTrip(parseStatement(s));
  });

  it('prints the Go String() forms', () => {
    const cases: Array<[string, string]> = [
      [`select mean(value) from cpu where time > now() - 1h group by time(5m) fill(none)`, `SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(5m) fill(none)`],
      [`SELECT percentile("field1", 2.0) FROM "select"`, `SELECT percentile(field1, 2.000) FROM "select"`],
      [`SELECT "a-b" AS "x y" FROM db..m`, `SELECT "a-b" AS "x y" FROM db..m`],
      [`SELECT * FROM cpu WHERE s = 'it\\'s'`, `SELECT * FROM cpu WHERE s = 'it\\'s'`],
      [`SELECT value FROM cpu WHERE url =~ /http\\:\\/\\/x/`, `SELECT value FROM cpu WHERE url =~ /http\\:\\/\\/x/`],
      [`SELECT -value FROM cpu`, `SELECT -1 * value FROM cpu`],
      [`SELECT value FROM cpu ORDER BY time desc LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4`, `SELECT value FROM cpu ORDER BY time DESC LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4`],
      [`create continuous query "cq-1" on db begin select count(v) into rp.m from cpu group by time(1h) end`, `CREATE CONTINUOUS QUERY "cq-1" ON db BEGIN SELECT count(v) INTO rp.m FROM cpu GROUP BY time(1h) END`],
      [`CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 1m FOR 1h BEGIN SELECT max(v) INTO m FROM cpu GROUP BY time(30m) END`, `CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 1m FOR 1h BEGIN SELECT max(v) INTO m FROM cpu GROUP BY time(30m) END`],
      [`CREATE CONTINUOUS QUERY cq ON db resample for 2h cron '0 */6 * * *' tz 'Europe/Berlin' BEGIN SELECT max(v) INTO m FROM cpu GROUP BY time(1h) END`, `CREATE CONTINUOUS QUERY cq ON db RESAMPLE FOR 2h CRON '0 */6 * * *' TZ 'Europe/Berlin' BEGIN SELECT max(v) INTO m FROM cpu GROUP BY time(1h) END`],
      [`CREATE CONTINUOUS QUERY cq ON db RESAMPLE CRON '@hourly' BEGIN SELECT max(v) INTO m FROM cpu GROUP BY time(1h) END`, `CREATE CONTINUOUS QUERY cq ON db RESAMPLE CRON '@hourly' BEGIN SELECT max(v) INTO m FROM cpu GROUP BY time(1h) END`],
      [`CREATE USER "bob" WITH PASSWORD 'secret' WITH ALL PRIVILEGES`, `CREATE USER bob WITH PASSWORD [REDACTED] WITH ALL PRIVILEGES`],
      [`SET PASSWORD FOR bob = 'x'`, `SET PASSWORD FOR bob = [REDACTED]`],
      [`SHOW TAG VALUES WITH KEY IN ("a b", c)`, `SHOW TAG VALUES WITH KEY IN ("a b", c)`],
      [`CREATE DATABASE db WITH DURATION 168h REPLICATION 1 SHARD DURATION 60m NAME rp`, `CREATE DATABASE db WITH DURATION 1w REPLICATION 1 SHARD DURATION 1h NAME rp`],
      [`DELETE FROM cpu WHERE time < 1000000u`, `DELETE FROM cpu WHERE time < 1s`],
      [`GRANT ALL TO "user"`, `GRANT ALL PRIVILEGES TO "user"`],
      [`REVOKE READ ON db FROM u`, `REVOKE READ ON db FROM u`],
      [`SELECT value FROM cpu tz('UTC')`, `SELECT value FROM cpu TZ('UTC')`],
      [`SELECT mean(value) FROM cpu GROUP BY time(1m) fill(1.5)`, `SELECT mean(value) FROM cpu GROUP BY time(1m) fill(1.500)`],
      [`SELECT 0.1 + .25 + 3.14159 FROM m`, `SELECT 0.100 + 0.250 + 3.14159 FROM m`],
      [`SELECT * FROM m WHERE $p = 1`, `SELECT * FROM m WHERE $p = 1`],
      [`SELECT * FROM m WHERE $"a b" = 1`, `SELECT * FROM m WHERE $"a b" = 1`],
      [`SHOW STATS FOR 'shard'`, `SHOW STATS FOR 'shard'`],
      [`kill query 12 on "host-1"`, `KILL QUERY 12 ON "host-1"`],
    ]; // prettier-ignore
    for (const [q, want] of cases) {
      expect(formatStatement(parseStatement(q)), q).toBe(want);
      expectRoundTrip(parseStatement(q));
    }
  });

  it('quotes strings and identifiers as Go does', () => {
    expect(quoteString('')).toBe(`''`);
    expect(quoteString('foo')).toBe(`'foo'`);
    expect(quoteString('foo\nbar')).toBe(`'foo\\nbar'`);
    expect(quoteString('foo bar\\\\')).toBe(`'foo bar\\\\\\\\'`);
    expect(quoteString(`'foo'`)).toBe(`'\\'foo\\''`);
    expect(quoteIdent('')).toBe(`""`);
    expect(quoteIdent('select')).toBe(`"select"`);
    expect(quoteIdent('in-bytes')).toBe(`"in-bytes"`);
    expect(quoteIdent('foo', 'bar')).toBe(`"foo".bar`);
    expect(quoteIdent('foo', '', 'bar')).toBe(`"foo"..bar`);
    expect(quoteIdent('foo bar', 'baz')).toBe(`"foo bar".baz`);
    expect(quoteIdent('foo.bar', 'baz')).toBe(`"foo.bar".baz`);
    expect(quoteIdent('foo.bar', 'rp', 'baz')).toBe(`"foo.bar"."rp".baz`);
    expect(quoteIdent('foo.bar', 'rp', '1baz')).toBe(`"foo.bar"."rp"."1baz"`);
  });

  it('formats time literals, nil and whole queries', () => {
    expect(formatExpr({ type: 'TimeLiteral', val: 1577836800123456789n })).toBe(`'2020-01-01T00:00:00.123456789Z'`);
    expect(formatExpr({ type: 'TimeLiteral', val: 1577836800000000000n })).toBe(`'2020-01-01T00:00:00Z'`);
    expect(formatExpr({ type: 'TimeLiteral', val: -1n })).toBe(`'1969-12-31T23:59:59.999999999Z'`);
    expect(formatExpr({ type: 'NilLiteral' })).toBe('nil');
    expect(formatQuery(parseQuery('SHOW DATABASES; select * from "cpu"'))).toBe('SHOW DATABASES;\nSELECT * FROM cpu');
  });

  it('formats durations as Go does', () => {
    const cases: Array<[bigint, string]> = [
      [3n * US, '3u'],
      [1001n * US, '1001u'],
      [15n * MS, '15ms'],
      [100n * S, '100s'],
      [2n * M, '2m'],
      [2n * H, '2h'],
      [2n * D, '2d'],
      [2n * W, '2w'],
      [0n, '0s'],
      [7n, '7ns'],
      [-90n * M, '-90m'],
    ];
    for (const [d, s] of cases) expect(formatDuration(d)).toBe(s);
  });
});

// ---------------------------------------------------------------------------------------
// Errors.

/** [query, Go's err.Error()]; InfluxDB prefixes `error parsing query: `. */
const errorCases: Array<[string, string]> = [
  [``, `found EOF, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1`],
  [`SELECT`, `found EOF, expected identifier, string, number, bool at line 1, char 8`],
  [`blah blah`, `found blah, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1`],
  [`SELECT field1 X`, `found X, expected FROM at line 1, char 15`],
  [`SELECT field1 FROM "series" WHERE X +;`, `found ;, expected identifier, string, number, bool at line 1, char 38`],
  [`SELECT field1 FROM myseries GROUP`, `found EOF, expected BY at line 1, char 35`],
  [`SELECT field1 FROM myseries LIMIT`, `found EOF, expected integer at line 1, char 35`],
  [`SELECT field1 FROM myseries LIMIT 10.5`, `found 10.5, expected integer at line 1, char 35`],
  [`SELECT field1 FROM myseries OFFSET`, `found EOF, expected integer at line 1, char 36`],
  [`SELECT field1 FROM myseries OFFSET 10.5`, `found 10.5, expected integer at line 1, char 36`],
  [`SELECT field1 FROM myseries ORDER`, `found EOF, expected BY at line 1, char 35`],
  [`SELECT field1 FROM myseries ORDER BY`, `found EOF, expected identifier, ASC, DESC at line 1, char 38`],
  [`SELECT field1 FROM myseries ORDER BY /`, `found /, expected identifier, ASC, DESC at line 1, char 38`],
  [`SELECT field1 FROM myseries ORDER BY 1`, `found 1, expected identifier, ASC, DESC at line 1, char 38`],
  [`SELECT field1 FROM myseries ORDER BY time ASC,`, `found EOF, expected identifier at line 1, char 47`],
  [`SELECT field1 FROM myseries ORDER BY time, field1`, `only ORDER BY time supported at this time`],
  [`SELECT field1 FROM myseries ORDER BY value`, `only ORDER BY time supported at this time`],
  [`SELECT field1 AS`, `found EOF, expected identifier at line 1, char 18`],
  [`SELECT field1 FROM 12`, `found 12, expected identifier at line 1, char 20`],
  [`SELECT ${'1'.repeat(400)} FROM myseries`, `unable to parse integer at line 1, char 8`],
  [`SELECT 10.5h FROM myseries`, `found h, expected FROM at line 1, char 12`],
  [`SELECT distinct FROM myseries`, `found FROM, expected identifier at line 1, char 17`],
  [`SELECT count(distinct) FROM myseries`, `found ), expected (, identifier at line 1, char 22`],
  [`SELECT field1 from myseries WHERE host =~ 'asd' LIMIT 1`, `found asd, expected regex at line 1, char 42`],
  [`SELECT value > 2 FROM cpu`, `invalid operator > in SELECT clause at line 1, char 8; operator is intended for WHERE clause`],
  [`SELECT value = 2 FROM cpu`, `invalid operator = in SELECT clause at line 1, char 8; operator is intended for WHERE clause`],
  [`SELECT s =~ /foo/ FROM cpu`, `invalid operator =~ in SELECT clause at line 1, char 8; operator is intended for WHERE clause`],
  [`SELECT a, b AND c FROM cpu`, `invalid operator AND in SELECT clause at line 1, char 11; operator is intended for WHERE clause`],
  [`SELECT mean(value) FROM cpu FILL + value`, `fill must be a function call`],
  [`SELECT mean(value) FROM cpu GROUP BY time(1m) fill()`, `fill requires an argument, e.g.: 0, null, none, previous, linear`],
  [`SELECT mean(value) FROM cpu GROUP BY time(1m) fill(foo)`, `expected number argument in fill()`],
  [`SELECT value FROM cpu tz`, `tz must be a function call`],
  [`SELECT value FROM cpu tz('a', 'b')`, `tz requires exactly one argument`],
  [`SELECT value FROM cpu tz(1)`, `expected string argument in tz()`],
  [`SELECT value FROM cpu tz('Mars/Olympus')`, `unable to find time zone Mars/Olympus`],
  [`SELECT value FROM cpu WHERE time > now() - 1y`, `invalid duration`],
  [`SELECT value FROM a.b.c.d`, `too many segments in "a"."b"."c".d at line 1, char 1`],
  [`SELECT value FROM cpu WHERE x =~ /(/`, 'error parsing regexp: missing closing ): `(` at line 1, char 33'],
  [`SELECT value FROM cpu WHERE x =~ /abc`, `bad regex:  at line 1, char 33`],
  [`SELECT value::foo FROM cpu`, `found foo, expected float, integer, unsigned, string, boolean, field, tag at line 1, char 15`],
  [`SELECT value:: FROM cpu`, `found  , expected float, integer, string, boolean, field, tag at line 1, char 15`],
  [`SELECT *::foo FROM cpu`, `found foo, expected field, tag at line 1, char 11`],
  [`SELECT 'abc FROM cpu`, `found abc FROM cpu, expected identifier, string, number, bool at line 1, char 7`],
  [`SELECT "a\\q" FROM cpu`, `found \\q, expected identifier, string, number, bool at line 1, char 11`],
  [`SELECT -'a' FROM cpu`, `found a, expected identifier, number, duration, ( at line 1, char 8`],
  [`SELECT (a FROM cpu`, `found FROM, expected ) at line 1, char 11`],
  [`SELECT mean(a FROM cpu`, `found FROM, expected ) at line 1, char 15`],
  [`SELECT a FROM cpu; SELECT`, `found EOF, expected identifier, string, number, bool at line 1, char 27`],
  // As in Go: after a FROM measurement the parser peeks for a `/regex/` and trips on the comment.
  [`SELECT a FROM cpu /* unterminated`, `found  , expected regex at line 1, char 18`],
  [`SELECT a FROM cpu WHERE x = 1 /* unterminated`, `found ILLEGAL, expected ; at line 1, char 31`],
  [`SELECT a FROM cpu WHERE host = 'x' !`, `found !, expected ; at line 1, char 36`],
  [`SELECT a INTO FROM cpu`, `found FROM, expected identifier at line 1, char 15`],
  [`SELECT a INTO b:x FROM cpu`, `found :, expected FROM at line 1, char 16`],
  [`SELECT a INTO b.:x FROM cpu`, `found x, expected MEASUREMENT at line 1, char 18`],
  [`SELECT a FROM (SHOW DATABASES)`, `found SHOW, expected SELECT at line 1, char 16`],
  [`SELECT a FROM (SELECT b FROM c`, `found EOF, expected ) at line 1, char 32`],
  [`SELECT a FROM cpu LIMIT $n`, `found $n, expected integer at line 1, char 25`],
  [`DELETE`, `found EOF, expected FROM, WHERE at line 1, char 8`],
  [`DELETE FROM`, `found EOF, expected identifier at line 1, char 13`],
  [`DELETE FROM &foo.myseries`, `found &, expected identifier at line 1, char 13`],
  [`DELETE FROM ^foo.myseries`, `found ^, expected identifier at line 1, char 13`],
  [`DELETE FROM *foo.myseries`, `found *, expected identifier at line 1, char 13`],
  [`DELETE FROM myseries WHERE`, `found EOF, expected identifier, string, number, bool at line 1, char 28`],
  [`DELETE FROM foo..myseries`, `database not supported at line 1, char 1`],
  [`DROP MEASUREMENT`, `found EOF, expected identifier at line 1, char 18`],
  [`DROP SERIES`, `found EOF, expected FROM, WHERE at line 1, char 13`],
  [`DROP SERIES FROM`, `found EOF, expected identifier at line 1, char 18`],
  [`DROP SERIES FROM src WHERE`, `found EOF, expected identifier, string, number, bool at line 1, char 28`],
  [`DROP SERIES FROM "foo".myseries`, `retention policy not supported at line 1, char 1`],
  [`DROP SERIES FROM foo..myseries`, `database not supported at line 1, char 1`],
  [`DROP SHARD`, `found EOF, expected integer at line 1, char 12`],
  [`DROP SHARD 18446744073709551616`, `strconv.ParseUint: parsing "18446744073709551616": value out of range at line 1, char 12`],
  [`SHOW CONTINUOUS`, `found EOF, expected QUERIES at line 1, char 17`],
  [`SHOW RETENTION`, `found EOF, expected POLICIES at line 1, char 16`],
  [`SHOW RETENTION ON`, `found ON, expected POLICIES at line 1, char 16`],
  [`SHOW RETENTION POLICIES ON`, `found EOF, expected identifier at line 1, char 28`],
  [`SHOW SHARD`, `found EOF, expected GROUPS at line 1, char 12`],
  [`SHOW FOO`, `found FOO, expected CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS at line 1, char 6`],
  [`SHOW STATS FOR`, `found EOF, expected string at line 1, char 16`],
  [`SHOW DIAGNOSTICS FOR`, `found EOF, expected string at line 1, char 22`],
  [`SHOW GRANTS`, `found EOF, expected FOR at line 1, char 13`],
  [`SHOW GRANTS FOR`, `found EOF, expected identifier at line 1, char 17`],
  [`SHOW TAG`, `found EOF, expected KEY, KEYS, VALUES at line 1, char 10`],
  [`SHOW TAG KEY`, `found EOF, expected EXACT, CARDINALITY at line 1, char 14`],
  [`SHOW TAG KEY EXACT`, `found EOF, expected CARDINALITY at line 1, char 20`],
  [`SHOW FIELD`, `found EOF, expected KEY, KEYS at line 1, char 12`],
  [`SHOW FIELD KEY`, `found EOF, expected EXACT, CARDINALITY at line 1, char 16`],
  [`SHOW MEASUREMENT`, `found EOF, expected EXACT, CARDINALITY at line 1, char 18`],
  [`SHOW MEASUREMENT EXACT`, `found EOF, expected CARDINALITY at line 1, char 24`],
  [`SHOW MEASUREMENTS ON`, `found EOF, expected identifier or * at line 1, char 22`],
  [`SHOW MEASUREMENTS ON db.`, `found EOF, expected identifier or * at line 1, char 25`],
  [`SHOW MEASUREMENTS WITH`, `found EOF, expected MEASUREMENT at line 1, char 24`],
  [`SHOW MEASUREMENTS WITH MEASUREMENT`, `found EOF, expected =, =~ at line 1, char 36`],
  [`SHOW MEASUREMENTS WITH MEASUREMENT != cpu`, `found !=, expected =, =~ at line 1, char 36`],
  [`SHOW TAG VALUES`, `found EOF, expected WITH at line 1, char 17`],
  [`SHOW TAG VALUES WITH`, `found EOF, expected KEY at line 1, char 22`],
  [`SHOW TAG VALUES WITH KEY`, `found EOF, expected IN, =, =~ at line 1, char 26`],
  [`SHOW TAG VALUES WITH KEY =~ 'x'`, `found x, expected regex at line 1, char 28`],
  [`SHOW TAG VALUES WITH KEY IN host`, `found host, expected ( at line 1, char 29`],
  [`SHOW TAG VALUES WITH KEY IN (a`, `found EOF, expected ) at line 1, char 32`],
  [`SHOW TAG VALUES EXACT`, `found EOF, expected CARDINALITY at line 1, char 23`],
  [`SHOW SERIES LIMIT`, `found EOF, expected integer at line 1, char 19`],
  [`SELECT * INTO :MEASUREMENT FROM /.*/`, `found :, expected identifier at line 1, char 15`],
  [`DROP CONTINUOUS`, `found EOF, expected QUERY at line 1, char 17`],
  [`DROP CONTINUOUS QUERY`, `found EOF, expected identifier at line 1, char 23`],
  [`DROP CONTINUOUS QUERY myquery`, `found EOF, expected ON at line 1, char 31`],
  [`DROP CONTINUOUS QUERY myquery ON`, `found EOF, expected identifier at line 1, char 34`],
  [`CREATE CONTINUOUS`, `found EOF, expected QUERY at line 1, char 19`],
  [`CREATE CONTINUOUS QUERY`, `found EOF, expected identifier at line 1, char 25`],
  [`CREATE CONTINUOUS QUERY cq ON db RESAMPLE FOR 5s BEGIN SELECT mean(value) INTO cpu_mean FROM cpu GROUP BY time(10s) END`, `FOR duration must be >= GROUP BY time duration: must be a minimum of 10s, got 5s`],
  [`CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 10s FOR 5s BEGIN SELECT mean(value) INTO cpu_mean FROM cpu GROUP BY time(5s) END`, `FOR duration must be >= GROUP BY time duration: must be a minimum of 10s, got 5s`],
  [`CREATE CONTINUOUS QUERY cq ON db RESAMPLE BEGIN SELECT mean(value) INTO m FROM cpu GROUP BY time(5s) END`, `found BEGIN, expected EVERY, FOR at line 1, char 43`],
  [`CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(value) FROM cpu GROUP BY time(5s) END`, `found FROM, expected INTO at line 1, char 59`],
  [`CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(value) INTO m FROM cpu END`, `found cpu, expected GROUP BY time(...) at line 1, char 71`],
  [`CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(value) INTO m FROM cpu GROUP BY time(5s)`, `found EOF, expected END at line 1, char 92`],
  [`DROP FOO`, `found FOO, expected CONTINUOUS, DATABASE, MEASUREMENT, RETENTION, SERIES, SHARD, SUBSCRIPTION, USER at line 1, char 6`],
  [`CREATE FOO`, `found FOO, expected CONTINUOUS, DATABASE, USER, RETENTION, SUBSCRIPTION at line 1, char 8`],
  [`CREATE DATABASE`, `found EOF, expected identifier at line 1, char 17`],
  [`CREATE DATABASE "testdb" WITH`, `found EOF, expected DURATION, NAME, REPLICATION, SHARD, FUTURE, PAST at line 1, char 31`],
  [`CREATE DATABASE "testdb" WITH DURATION`, `found EOF, expected duration at line 1, char 40`],
  [`CREATE DATABASE "testdb" WITH REPLICATION`, `found EOF, expected integer at line 1, char 43`],
  [`CREATE DATABASE "testdb" WITH NAME`, `found EOF, expected identifier at line 1, char 36`],
  [`CREATE DATABASE "testdb" WITH SHARD`, `found EOF, expected DURATION at line 1, char 37`],
  [`CREATE DATABASE db WITH FUTURE 1h`, `found 1h, expected LIMIT at line 1, char 32`],
  [`DROP DATABASE`, `found EOF, expected identifier at line 1, char 15`],
  [`DROP RETENTION`, `found EOF, expected POLICY at line 1, char 16`],
  [`DROP RETENTION POLICY`, `found EOF, expected identifier at line 1, char 23`],
  [`DROP RETENTION POLICY "1h.cpu"`, `found EOF, expected ON at line 1, char 31`],
  [`DROP RETENTION POLICY "1h.cpu" ON`, `found EOF, expected identifier at line 1, char 35`],
  [`DROP USER`, `found EOF, expected identifier at line 1, char 11`],
  [`DROP SUBSCRIPTION`, `found EOF, expected identifier at line 1, char 19`],
  [`DROP SUBSCRIPTION "name"`, `found EOF, expected ON at line 1, char 25`],
  [`DROP SUBSCRIPTION "name" ON `, `found EOF, expected identifier at line 1, char 30`],
  [`DROP SUBSCRIPTION "name" ON "db"`, `found EOF, expected . at line 1, char 33`],
  [`DROP SUBSCRIPTION "name" ON "db".`, `found EOF, expected identifier at line 1, char 34`],
  [`CREATE USER testuser`, `found EOF, expected WITH at line 1, char 22`],
  [`CREATE USER testuser WITH`, `found EOF, expected PASSWORD at line 1, char 27`],
  [`CREATE USER testuser WITH PASSWORD`, `found EOF, expected string at line 1, char 36`],
  [`CREATE USER testuser WITH PASSWORD 'pwd' WITH`, `found EOF, expected ALL at line 1, char 47`],
  [`CREATE USER testuser WITH PASSWORD 'pwd' WITH ALL`, `found EOF, expected PRIVILEGES at line 1, char 51`],
  [`CREATE SUBSCRIPTION`, `found EOF, expected identifier at line 1, char 21`],
  [`CREATE SUBSCRIPTION "name"`, `found EOF, expected ON at line 1, char 27`],
  [`CREATE SUBSCRIPTION "name" ON `, `found EOF, expected identifier at line 1, char 32`],
  [`CREATE SUBSCRIPTION "name" ON "db"`, `found EOF, expected . at line 1, char 35`],
  [`CREATE SUBSCRIPTION "name" ON "db".`, `found EOF, expected identifier at line 1, char 36`],
  [`CREATE SUBSCRIPTION "name" ON "db"."rp"`, `found EOF, expected DESTINATIONS at line 1, char 40`],
  [`CREATE SUBSCRIPTION "name" ON "db"."rp" DESTINATIONS`, `found EOF, expected ALL, ANY at line 1, char 54`],
  [`CREATE SUBSCRIPTION "name" ON "db"."rp" DESTINATIONS ALL `, `found EOF, expected string at line 1, char 59`],
  [`GRANT`, `found EOF, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 7`],
  [`GRANT BOGUS`, `found BOGUS, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 7`],
  [`GRANT READ`, `found EOF, expected ON at line 1, char 12`],
  [`GRANT READ FROM`, `found FROM, expected ON at line 1, char 12`],
  [`GRANT READ ON`, `found EOF, expected identifier at line 1, char 15`],
  [`GRANT READ ON TO`, `found TO, expected identifier at line 1, char 15`],
  [`GRANT READ ON testdb`, `found EOF, expected TO at line 1, char 22`],
  [`GRANT READ ON testdb TO`, `found EOF, expected identifier at line 1, char 25`],
  [`GRANT READ TO`, `found TO, expected ON at line 1, char 12`],
  [`GRANT WRITE`, `found EOF, expected ON at line 1, char 13`],
  [`GRANT WRITE FROM`, `found FROM, expected ON at line 1, char 13`],
  [`GRANT WRITE ON`, `found EOF, expected identifier at line 1, char 16`],
  [`GRANT WRITE ON TO`, `found TO, expected identifier at line 1, char 16`],
  [`GRANT WRITE ON testdb`, `found EOF, expected TO at line 1, char 23`],
  [`GRANT WRITE ON testdb TO`, `found EOF, expected identifier at line 1, char 26`],
  [`GRANT WRITE TO`, `found TO, expected ON at line 1, char 13`],
  [`GRANT ALL`, `found EOF, expected ON, TO at line 1, char 11`],
  [`GRANT ALL PRIVILEGES`, `found EOF, expected ON, TO at line 1, char 22`],
  [`GRANT ALL FROM`, `found FROM, expected ON, TO at line 1, char 11`],
  [`GRANT ALL PRIVILEGES FROM`, `found FROM, expected ON, TO at line 1, char 22`],
  [`GRANT ALL ON`, `found EOF, expected identifier at line 1, char 14`],
  [`GRANT ALL PRIVILEGES ON`, `found EOF, expected identifier at line 1, char 25`],
  [`GRANT ALL ON TO`, `found TO, expected identifier at line 1, char 14`],
  [`GRANT ALL PRIVILEGES ON TO`, `found TO, expected identifier at line 1, char 25`],
  [`GRANT ALL ON testdb`, `found EOF, expected TO at line 1, char 21`],
  [`GRANT ALL PRIVILEGES ON testdb`, `found EOF, expected TO at line 1, char 32`],
  [`GRANT ALL ON testdb FROM`, `found FROM, expected TO at line 1, char 21`],
  [`GRANT ALL PRIVILEGES ON testdb FROM`, `found FROM, expected TO at line 1, char 32`],
  [`GRANT ALL ON testdb TO`, `found EOF, expected identifier at line 1, char 24`],
  [`GRANT ALL PRIVILEGES ON testdb TO`, `found EOF, expected identifier at line 1, char 35`],
  [`GRANT ALL TO`, `found EOF, expected identifier at line 1, char 14`],
  [`GRANT ALL PRIVILEGES TO`, `found EOF, expected identifier at line 1, char 25`],
  [`KILL`, `found EOF, expected QUERY at line 1, char 6`],
  [`KILL QUERY 10s`, `found 10s, expected integer at line 1, char 12`],
  [`KILL QUERY 4 ON 'host'`, `found host, expected identifier at line 1, char 16`],
  [`REVOKE`, `found EOF, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 8`],
  [`REVOKE BOGUS`, `found BOGUS, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 8`],
  [`REVOKE READ`, `found EOF, expected ON at line 1, char 13`],
  [`REVOKE READ TO`, `found TO, expected ON at line 1, char 13`],
  [`REVOKE READ ON`, `found EOF, expected identifier at line 1, char 16`],
  [`REVOKE READ ON FROM`, `found FROM, expected identifier at line 1, char 16`],
  [`REVOKE READ ON testdb`, `found EOF, expected FROM at line 1, char 23`],
  [`REVOKE READ ON testdb FROM`, `found EOF, expected identifier at line 1, char 28`],
  [`REVOKE READ FROM`, `found FROM, expected ON at line 1, char 13`],
  [`REVOKE WRITE`, `found EOF, expected ON at line 1, char 14`],
  [`REVOKE WRITE TO`, `found TO, expected ON at line 1, char 14`],
  [`REVOKE WRITE ON`, `found EOF, expected identifier at line 1, char 17`],
  [`REVOKE WRITE ON FROM`, `found FROM, expected identifier at line 1, char 17`],
  [`REVOKE WRITE ON testdb`, `found EOF, expected FROM at line 1, char 24`],
  [`REVOKE WRITE ON testdb FROM`, `found EOF, expected identifier at line 1, char 29`],
  [`REVOKE WRITE FROM`, `found FROM, expected ON at line 1, char 14`],
  [`REVOKE ALL`, `found EOF, expected ON, FROM at line 1, char 12`],
  [`REVOKE ALL PRIVILEGES`, `found EOF, expected ON, FROM at line 1, char 23`],
  [`REVOKE ALL TO`, `found TO, expected ON, FROM at line 1, char 12`],
  [`REVOKE ALL PRIVILEGES TO`, `found TO, expected ON, FROM at line 1, char 23`],
  [`REVOKE ALL ON`, `found EOF, expected identifier at line 1, char 15`],
  [`REVOKE ALL PRIVILEGES ON`, `found EOF, expected identifier at line 1, char 26`],
  [`REVOKE ALL ON FROM`, `found FROM, expected identifier at line 1, char 15`],
  [`REVOKE ALL PRIVILEGES ON FROM`, `found FROM, expected identifier at line 1, char 26`],
  [`REVOKE ALL ON testdb`, `found EOF, expected FROM at line 1, char 22`],
  [`REVOKE ALL PRIVILEGES ON testdb`, `found EOF, expected FROM at line 1, char 33`],
  [`REVOKE ALL ON testdb TO`, `found TO, expected FROM at line 1, char 22`],
  [`REVOKE ALL PRIVILEGES ON testdb TO`, `found TO, expected FROM at line 1, char 33`],
  [`REVOKE ALL ON testdb FROM`, `found EOF, expected identifier at line 1, char 27`],
  [`REVOKE ALL PRIVILEGES ON testdb FROM`, `found EOF, expected identifier at line 1, char 38`],
  [`REVOKE ALL FROM`, `found EOF, expected identifier at line 1, char 17`],
  [`REVOKE ALL PRIVILEGES FROM`, `found EOF, expected identifier at line 1, char 28`],
  [`CREATE RETENTION`, `found EOF, expected POLICY at line 1, char 18`],
  [`CREATE RETENTION POLICY`, `found EOF, expected identifier at line 1, char 25`],
  [`CREATE RETENTION POLICY policy1`, `found EOF, expected ON at line 1, char 33`],
  [`CREATE RETENTION POLICY policy1 ON`, `found EOF, expected identifier at line 1, char 36`],
  [`CREATE RETENTION POLICY policy1 ON testdb`, `found EOF, expected DURATION at line 1, char 43`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION`, `found EOF, expected duration at line 1, char 52`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION bad`, `found bad, expected duration at line 1, char 52`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h`, `found EOF, expected REPLICATION at line 1, char 54`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION`, `found EOF, expected integer at line 1, char 67`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 3.14`, `found 3.14, expected integer at line 1, char 67`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 0`, `invalid value 0: must be 1 <= n <= 2147483647 at line 1, char 67`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION bad`, `found bad, expected integer at line 1, char 67`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION INF`, `invalid duration INF for shard duration at line 1, char 84`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1x REPLICATION 2`, `invalid duration at line 1, char 52`],
  [`ALTER`, `found EOF, expected RETENTION at line 1, char 7`],
  [`ALTER RETENTION`, `found EOF, expected POLICY at line 1, char 17`],
  [`ALTER RETENTION POLICY`, `found EOF, expected identifier at line 1, char 24`],
  [`ALTER RETENTION POLICY policy1`, `found EOF, expected ON at line 1, char 32`],
  [`ALTER RETENTION POLICY policy1 ON`, `found EOF, expected identifier at line 1, char 35`],
  [`ALTER RETENTION POLICY policy1 ON testdb`, `found EOF, expected DURATION, REPLICATION, SHARD, DEFAULT, FUTURE, PAST at line 1, char 42`],
  [`ALTER RETENTION POLICY policy1 ON testdb REPLICATION 1 REPLICATION 2`, `found duplicate REPLICATION option at line 1, char 56`],
  [`ALTER RETENTION POLICY policy1 ON testdb DOWNSAMPLE 1m 90d`, `found 90d, expected FOR at line 1, char 56`],
  [`ALTER RETENTION POLICY policy1 ON testdb DOWNSAMPLE INF FOR 1d`, `invalid duration INF for shard duration at line 1, char 53`],
  [`CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 DOWNSAMPLE 1m FOR 1d,`, `found EOF, expected duration at line 1, char 90`],
  [`ALTER RETENTION POLICY policy1 ON testdb DURATION 15251w`, `overflowed duration 15251w: choose a smaller duration or INF at line 1, char 51`],
  [`ALTER RETENTION POLICY policy1 ON testdb DURATION INF SHARD DURATION INF`, `invalid duration INF for shard duration at line 1, char 70`],
  [`SET`, `found EOF, expected PASSWORD at line 1, char 5`],
  [`SET PASSWORD`, `found EOF, expected FOR at line 1, char 14`],
  [`SET PASSWORD something`, `found something, expected FOR at line 1, char 14`],
  [`SET PASSWORD FOR`, `found EOF, expected identifier at line 1, char 18`],
  [`SET PASSWORD FOR dejan`, `found EOF, expected = at line 1, char 24`],
  [`SET PASSWORD FOR dejan =`, `found EOF, expected string at line 1, char 25`],
  [`SET PASSWORD FOR dejan = bla`, `found bla, expected string at line 1, char 26`],
  [`$SHOW$DATABASES`, `found $SHOW, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1`],
  [`SELECT * FROM cpu WHERE "tagkey" = $$`, `empty bound parameter`],
  [`EXPLAIN`, `found EOF, expected SELECT at line 1, char 9`],
  [`EXPLAIN SHOW DATABASES`, `found SHOW, expected SELECT at line 1, char 9`],
  [`CREATE DATABASE foo CREATE DATABASE bar`, `found CREATE, expected ; at line 1, char 21`],
  [`SELECT a\nFROM b\nWHERE c = `, `found EOF, expected identifier, string, number, bool at line 3, char 12`],
  [`SELECT a\r\nFROM b\r\nWHERE`, `found EOF, expected identifier, string, number, bool at line 3, char 7`],
  [`SELECT a FROM b -- comment\nLIMIT x`, `found x, expected integer at line 2, char 7`],
]; // prettier-ignore

describe('errors (parser_test.go)', () => {
  it.each(errorCases)('%s', (q, want) => {
    const err = errorOf(() => (q === '' ? parseStatement(q) : parseQuery(q)));
    expect(err.message).toBe(`error parsing query: ${want}`);
    expect(err.detail).toBe(want);
  });

  it('carries 1-based line and char', () => {
    const err = errorOf(() => parseQuery(`SELECT a FROM b\nWHERE c = `));
    expect(err.line).toBe(2);
    expect(err.char).toBe(12);
    expect(err.found).toBe('EOF');
    expect(err.expected).toEqual(['identifier', 'string', 'number', 'bool']);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('InfluxQLParseError');
  });

  it('parseStatement refuses trailing input; parseExpr too', () => {
    expect(errorOf(() => parseStatement('SELECT a FROM b; SELECT c FROM d')).detail).toBe(
      'found SELECT, expected EOF at line 1, char 18',
    );
    expect(parseStatement('SELECT a FROM b;').type).toBe('SelectStatement');
    expect(errorOf(() => parseExpr('a = 1 b')).detail).toBe('found b, expected EOF at line 1, char 7');
  });
});

// ---------------------------------------------------------------------------------------
// Queries, comments, case.

describe('parseQuery', () => {
  it('parses several statements', () => {
    expect(parseQuery(`SELECT a FROM b; SELECT c FROM d`)).toHaveLength(2);
    expect(parseQuery(`SELECT value FROM cpu;`)).toHaveLength(1);
    expect(parseQuery(``)).toEqual([]);
    expect(parseQuery(` ;; ; `)).toEqual([]);
  });

  it('skips comments', () => {
    const q = `SELECT * FROM cpu; -- read from cpu database

/* create continuous query */
CREATE CONTINUOUS QUERY cq0 ON db0 BEGIN
	SELECT mean(*) INTO db1..:MEASUREMENT FROM cpu GROUP BY time(5m)
END;

/* just a multline comment
what is this doing here?
**/

-- should ignore the trailing multiline comment /*
SELECT mean(value) FROM gpu;
-- trailing comment at the end`;
    const stmts = parseQuery(q);
    expect(stmts.map((s) => s.type)).toEqual(['SelectStatement', 'CreateContinuousQueryStatement', 'SelectStatement']);
  });

  it('keeps fill() options case-sensitive as Go does', () => {
    expect(errorOf(() => parseStatement('SELECT mean(v) FROM m GROUP BY time(1m) fill(NONE)')).detail).toBe(
      'expected number argument in fill()',
    );
  });

  it('treats keywords case-insensitively and keeps identifier case', () => {
    const a = parseStatement(`sElEcT MEAN(Value) fRoM Cpu wHeRe Host = 'A' gRoUp By TiMe(1m) FiLl(none) LiMiT 1`);
    expect(a).toEqual(
      sel({
        fields: [f(c('mean', v('Value')))],
        sources: [mm('Cpu')],
        condition: b('=', v('Host'), str('A')),
        dimensions: [dim(c('time', dur(M)))],
        fill: 'none',
        limit: 1,
      }),
    );
  });

  it('parses the INF duration and durations in DURATION clauses', () => {
    expect(parseStatement('CREATE RETENTION POLICY rp ON db DURATION inf REPLICATION 1')).toMatchObject({ duration: 0n });
    expect(parseStatement('CREATE RETENTION POLICY rp ON db DURATION 1h30m REPLICATION 1')).toMatchObject({
      duration: H + 30n * M,
    });
  });

  it('records isRawQuery as Go does', () => {
    const raw = (q: string): boolean => (parseStatement(q) as SelectStatement).isRawQuery;
    expect(raw('SELECT value FROM cpu')).toBe(true);
    expect(raw('SELECT distinct value FROM cpu')).toBe(true);
    expect(raw('SELECT value * 2 FROM cpu')).toBe(true);
    expect(raw('SELECT mean(value) FROM cpu')).toBe(false);
    expect(raw('SELECT value, (max(value) + 1) FROM cpu')).toBe(false);
  });

  it('exposes the GROUP BY time interval', () => {
    expect(groupByInterval(parseStatement('SELECT mean(v) FROM m GROUP BY host, time(90s)') as SelectStatement)).toBe(
      90n * S,
    );
    expect(groupByInterval(parseStatement('SELECT v FROM m') as SelectStatement)).toBe(0n);
  });
});

// ---------------------------------------------------------------------------------------
// Bound parameters.

describe('bound parameters', () => {
  const where = (q: string, params: Record<string, unknown>): Expr | null =>
    (parseStatement(q, { params }) as SelectStatement).condition;

  it('substitutes values while scanning when params are given (parser_test.go)', () => {
    expect(where(`SELECT value FROM cpu WHERE value > $value`, { value: 2 })).toEqual(b('>', v('value'), int(2)));
    expect(where(`SELECT value FROM cpu WHERE value > $"multi-word value"`, { 'multi-word value': 2 })).toEqual(
      b('>', v('value'), int(2)),
    );
    expect(where(`SELECT value FROM cpu WHERE value > $f`, { f: { float: 2.0 } })).toEqual(b('>', v('value'), num(2)));
    expect(where(`SELECT value FROM cpu WHERE value > $f`, { f: 2.5 })).toEqual(b('>', v('value'), num(2.5)));
    expect(where(`SELECT value FROM cpu WHERE value > $i`, { i: { integer: 2 } })).toEqual(b('>', v('value'), int(2)));
    expect(where(`SELECT value FROM cpu WHERE host = $h`, { h: 'server01' })).toEqual(b('=', v('host'), str('server01')));
    expect(where(`SELECT value FROM cpu WHERE ok = $b`, { b: true })).toEqual(b('=', v('ok'), bool(true)));
    expect(where(`SELECT mean(value) FROM cpu WHERE host =~ $host`, { host: { regex: '^server.*' } })).toEqual(
      b('=~', v('host'), re('^server.*')),
    );
    expect(parseStatement(`SELECT mean($field) FROM cpu`, { params: { field: { identifier: 'value' } } })).toEqual(
      sel({ fields: [f(c('mean', v('value')))], sources: [mm('cpu')] }),
    );
    expect(parseStatement(`SELECT $fn(value) FROM cpu`, { params: { fn: { identifier: 'mean' } } })).toEqual(
      sel({ fields: [f(c('mean', v('value')))], sources: [mm('cpu')] }),
    );
    expect(
      parseStatement(`SELECT $field::$type FROM cpu`, {
        params: { field: { identifier: 'value' }, type: { identifier: 'integer' } },
      }),
    ).toEqual(sel({ fields: [f(v('value', 'integer'))], sources: [mm('cpu')] }));
    for (const interval of [{ duration: '10s' }, { duration: 10_000_000_000 }]) {
      expect(parseStatement(`SELECT mean(value) FROM cpu GROUP BY time($interval)`, { params: { interval } })).toEqual(
        sel({ fields: [f(c('mean', v('value')))], sources: [mm('cpu')], dimensions: [dim(c('time', dur(10n * S)))] }),
      );
    }
    expect(parseStatement(`SELECT * FROM $m LIMIT $limit`, { params: { m: { identifier: 'shapes' }, limit: 10 } })).toEqual(
      sel({ fields: [f(wild())], sources: [mm('shapes')], limit: 10 }),
    );
    expect(parseStatement(`CREATE DATABASE $db`, { params: { db: { identifier: 'mydb' } } })).toEqual(
      createDb({ name: 'mydb', retentionPolicyCreate: false }),
    );
  });

  it('reports missing and unbindable parameters', () => {
    expect(errorOf(() => parseStatement(`SELECT v FROM m WHERE v > $x`, { params: {} })).detail).toBe('missing parameter: x');
    expect(errorOf(() => parseStatement(`SELECT v FROM m WHERE v > $x`, { params: { x: { nope: 1 } } })).detail).toBe(
      'unknown bind object type: nope',
    );
    expect(errorOf(() => parseStatement(`SELECT v FROM m WHERE v > $x`, { params: { x: { a: 1, b: 2 } } })).detail).toBe(
      'bound object parameter value must have exactly one entry',
    );
  });

  it('keeps BoundParameter nodes when no params are given', () => {
    expect(parseExpr(`host = $host`)).toEqual(b('=', v('host'), param('host')));
    expect(parseExpr(`host =~ $re`)).toEqual(b('=~', v('host'), param('re')));
    expect(formatExpr(parseExpr(`x > $"a b"`))).toBe(`x > $"a b"`);
  });
});

// ---------------------------------------------------------------------------------------
// Expressions (TestParser_ParseExpr) and durations (TestParseDuration).

const exprCases: Array<[string, Expr]> = [
  [`100.0`, num(100)],
  [`100`, int(100)],
  [`9223372036854775808`, uint(9223372036854775808n)],
  [`-9223372036854775808`, int(-9223372036854775808n)],
  [`-100.0`, num(-100)],
  [`-100`, int(-100)],
  [`100.`, num(100)],
  [`-100.`, num(-100)],
  [`.23`, num(0.23)],
  [`-.23`, num(-0.23)],
  [`1s`, dur(S)],
  [`-1s`, dur(-S)],
  [`'foo bar'`, str('foo bar')],
  [`true`, bool(true)],
  [`false`, bool(false)],
  [`my_ident`, v('my_ident')],
  [`'2000-01-01 00:00:00'`, str('2000-01-01 00:00:00')],
  [`'2000-01-01'`, str('2000-01-01')],
  [`1 + 2`, b('+', int(1), int(2))],
  [`1 * 2 + 3`, b('+', b('*', int(1), int(2)), int(3))],
  [`1 + 2 * 3`, b('+', int(1), b('*', int(2), int(3)))],
  [`1 / 2 + 3`, b('+', b('/', int(1), int(2)), int(3))],
  [`1 + 2 / 3`, b('+', int(1), b('/', int(2), int(3)))],
  [`1 % 2 + 3`, b('+', b('%', int(1), int(2)), int(3))],
  [`1 + 2 % 3`, b('+', int(1), b('%', int(2), int(3)))],
  [`(1 + 2) * 3`, b('*', paren(b('+', int(1), int(2))), int(3))],
  [`1 * 2 * 3`, b('*', b('*', int(1), int(2)), int(3))],
  [`1+2-3`, b('-', b('+', int(1), int(2)), int(3))],
  [`time>now()-5m`, b('>', v('time'), b('-', c('now'), dur(5n * M)))],
  [`-value`, b('*', int(-1), v('value'))],
  [`-mean(value)`, b('*', int(-1), c('mean', v('value')))],
  [`-(-4)`, b('*', int(-1), paren(int(-4)))],
  [`-2 * 3`, b('*', int(-2), int(3))],
  [`region =~ /us.*/`, b('=~', v('region'), re('us.*'))],
  [`url =~ /http\\:\\/\\/www\\.example\\.com/`, b('=~', v('url'), re('http\\://www\\.example\\.com'))],
  [`url=~/http\\:\\/\\/www\\.example\\.com/`, b('=~', v('url'), re('http\\://www\\.example\\.com'))],
  [
    `value + 3 < 30 AND 1 + 2 OR true`,
    b('OR', b('AND', b('<', b('+', v('value'), int(3)), int(30)), b('+', int(1), int(2))), bool(true)),
  ],
  [
    `time > now() - 1d AND time < now() + 1d`,
    b('AND', b('>', v('time'), b('-', c('now'), dur(D))), b('<', v('time'), b('+', c('now'), dur(D)))),
  ],
  [`my_func()`, c('my_func')],
  [`my_func(1, 2 + 3)`, c('my_func', int(1), b('+', int(2), int(3)))],
  [`a & b | c ^ d`, b('^', b('|', b('&', v('a'), v('b')), v('c')), v('d'))],
  [`a IN b`, b('IN', v('a'), v('b'))],
  [`"db"."rp"."m"::tag`, v('db.rp.m', 'tag')],
  [`'a\\'b'`, str("a'b")],
  [`2w1d`, dur(2n * W + D)],
];

describe('parseExpr (TestParser_ParseExpr)', () => {
  it.each(exprCases)('%s', (s, expr) => {
    const got = parseExpr(s);
    expect(got).toEqual(expr);
    expect(parseExpr(formatExpr(got))).toEqual(expr);
  });

  it.each([
    [`-9223372036854775809`, `constant -9223372036854775809 underflows int64`],
    [`-+1`, `found +, expected identifier, number, duration, ( at line 1, char 2`],
    [`time > now() - 1y`, `invalid duration`],
    [`x =~ y`, `found y, expected regex at line 1, char 6`],
    [`18446744073709551616`, `unable to parse integer at line 1, char 1`],
  ])('%s fails', (s, want) => {
    expect(errorOf(() => parseExpr(s)).detail).toBe(want);
  });
});

describe('parseDuration (TestParseDuration)', () => {
  it.each([
    [`10ns`, 10n],
    [`10u`, 10n * US],
    [`10µ`, 10n * US],
    [`15ms`, 15n * MS],
    [`100s`, 100n * S],
    [`2m`, 2n * M],
    [`2h`, 2n * H],
    [`2d`, 2n * D],
    [`2w`, 2n * W],
    [`1h30m`, H + 30n * M],
    [`30ms3000u`, 30n * MS + 3000n * US],
    [`-5s`, -5n * S],
    [`-5m30s`, -5n * M - 30n * S],
  ])('%s', (s, d) => {
    expect(parseDuration(s)).toBe(d);
  });

  it.each([``, `3`, `1000`, `w`, `ms`, `1.2w`, `10x`, `10n`])('%s is invalid', (s) => {
    expect(() => parseDuration(s)).toThrow('invalid duration');
  });
});

// ---------------------------------------------------------------------------------------
// Properties.

const VOCAB = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET', 'INTO', 'AS', 'AND',
  'OR', 'SHOW', 'TAG', 'KEYS', 'VALUES', 'WITH', 'KEY', 'IN', 'MEASUREMENTS', 'SERIES', 'FIELD', 'CARDINALITY',
  'EXACT', 'ON', 'CREATE', 'DROP', 'DATABASE', 'RETENTION', 'POLICY', 'DURATION', 'REPLICATION', 'SHARD',
  'DEFAULT', 'CONTINUOUS', 'QUERY', 'BEGIN', 'END', 'RESAMPLE', 'EVERY', 'FOR', 'DELETE', 'EXPLAIN', 'ANALYZE',
  'GRANT', 'REVOKE', 'ALL', 'KILL', 'INF', 'true', 'false', 'fill(none)', 'fill(0)', 'tz(\'UTC\')', 'time',
  'now()', 'mean', 'count', 'distinct', 'cpu', 'host', 'value', '"quoted id"', '"a.b"', 'db..m', 'db.rp.m',
  "'str'", "'2020-01-01T00:00:00Z'", '1', '0', '42', '1.5', '.5', '1h', '5m', '10s', '100ms', '1u', '1ns', '2w',
  '/re/', '/a\\/b/', '*', '::tag', '::field', '::float', '$p', '$"q r"', ':MEASUREMENT', '(', ')', ',', ';', '.',
  '+', '-', '/', '%', '&', '|', '^', '=', '!=', '<>', '<', '<=', '>', '>=', '=~', '!~', '--c\n', '/*c*/',
]; // prettier-ignore

describe('properties', () => {
  it('random text throws only InfluxQLParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), (s) => {
        try {
          parseQuery(s);
        } catch (e) {
          if (!(e instanceof InfluxQLParseError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('random token soup throws only InfluxQLParseError, and what parses round-trips', () => {
    const soup = fc
      .array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 25 })
      .chain((toks) => fc.constantFrom(toks.join(' '), toks.join('')));
    let parsed = 0;
    fc.assert(
      fc.property(soup, (s) => {
        let stmts: Statement[];
        try {
          stmts = parseQuery(s);
        } catch (e) {
          if (!(e instanceof InfluxQLParseError)) throw e;
          return;
        }
        parsed++;
        for (const st of stmts) expectRoundTrip(st);
      }),
      { numRuns: 5000 },
    );
    expect(parsed).toBeGreaterThan(0);
  });

  it('statements generated from the grammar parse and round-trip', () => {
    const name = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/) },
      { weight: 1, arbitrary: fc.constantFrom('select', 'from', 'time', 'key', 'name', 'in', 'É t', 'a.b', 'x"y', 'q\\z', '1st') },
      { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
    );
    const id = name.map((n) => quoteIdent(n));
    const durT = fc
      .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('ns', 'u', 'µ', 'ms', 's', 'm', 'h', 'd', 'w'))
      .map(([n, u]) => `${n}${u}`);
    const reT = fc.constantFrom('/^cpu/', '/a\\/b/', '/[a-z]+\\d*/', '/(x|y)$/', '/.*/', '/(?i)web/');
    const strT = fc.string({ maxLength: 10 }).map(quoteString);
    const src = fc.oneof(
      id,
      fc.tuple(id, id).map(([a, b2]) => `${a}.${b2}`),
      fc.tuple(id, id, id).map(([a, b2, c2]) => `${a}.${b2}.${c2}`),
      fc.tuple(id, id).map(([a, b2]) => `${a}..${b2}`),
      reT,
      fc.tuple(id, reT).map(([a, r]) => `${a}.${r}`),
    );
    const srcs = fc.array(src, { minLength: 1, maxLength: 3 }).map((a) => a.join(', '));
    const leafT = fc.oneof(
      id,
      fc.tuple(id, fc.constantFrom('float', 'integer', 'unsigned', 'string', 'boolean', 'tag', 'field')).map(([a, t]) => `${a}::${t}`),
      fc.integer({ min: 0, max: 1e9 }).map(String),
      fc.double({ min: 0, max: 1e9, noNaN: true }).map((x) => formatExpr(num(x))),
      strT,
      durT,
      fc.constantFrom('true', 'FALSE', 'now()', '$p', '$"a b"'),
    );
    const exprT: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leafT,
        fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%', '&', '|', '^'), tie('e')).map(([a, op, b2]) => `${a} ${op} ${b2}`),
        tie('e').map((e) => `(${e})`),
        fc.tuple(id, fc.constantFrom('-', '+')).map(([a, sign]) => `${sign}${a}`),
        fc
          .tuple(fc.constantFrom('mean', 'MAX', 'top', 'derivative', 'holt_winters', 'count'), fc.array(tie('e'), { maxLength: 3 }))
          .map(([fn, args]) => `${fn}(${args.join(', ')})`),
      ),
    })).e;
    const condT: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
      c: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.tuple(exprT, fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>='), exprT).map(([a, op, b2]) => `${a} ${op} ${b2}`),
        fc.tuple(id, fc.constantFrom('=~', '!~'), reT).map(([a, op, r]) => `${a} ${op} ${r}`),
        fc.tuple(tie('c'), fc.constantFrom('AND', 'or'), tie('c')).map(([a, op, b2]) => `${a} ${op} ${b2}`),
        tie('c').map((c2) => `(${c2})`),
      ),
    })).c;
    const opt = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.option(a, { nil: '' });
    const n = fc.integer({ min: 0, max: 100 });
    const dims = fc
      .array(fc.oneof(id, reT, fc.constant('*'), durT.map((d) => `time(${d})`), fc.tuple(durT, durT).map(([a, b2]) => `time(${a}, ${b2})`)), {
        minLength: 1,
        maxLength: 3,
      })
      .map((a) => ` GROUP BY ${a.join(', ')}`);
    const field = fc.tuple(fc.oneof(exprT, reT, fc.constantFrom('*', '*::field', 'DISTINCT x')), opt(id.map((a) => ` AS ${a}`)));
    const selectT = fc
      .record({
        fields: fc.array(field, { minLength: 1, maxLength: 3 }).map((a) => a.map(([e, al]) => e + al).join(', ')),
        into: opt(fc.oneof(id, fc.tuple(id, id).map(([a, b2]) => `${a}.${b2}`), id.map((a) => `${a}..:MEASUREMENT`)).map((t) => ` INTO ${t}`)),
        from: srcs,
        where: opt(condT.map((c2) => ` WHERE ${c2}`)),
        group: opt(dims),
        fill: opt(fc.constantFrom(' fill(none)', ' fill(null)', ' fill(previous)', ' fill(linear)', ' fill(0)', ' fill(-1.5)')),
        order: opt(fc.constantFrom(' ORDER BY time DESC', ' ORDER BY time ASC', ' ORDER BY DESC')),
        limit: opt(n.map((x) => ` LIMIT ${x}`)),
        offset: opt(n.map((x) => ` OFFSET ${x}`)),
        slimit: opt(n.map((x) => ` SLIMIT ${x}`)),
        soffset: opt(n.map((x) => ` SOFFSET ${x}`)),
        tz: opt(fc.constantFrom(` tz('UTC')`, ` TZ('Europe/Paris')`)),
      })
      .map((r) => `SELECT ${r.fields}${r.into} FROM ${r.from}${r.where}${r.group}${r.fill}${r.order}${r.limit}${r.offset}${r.slimit}${r.soffset}${r.tz}`);
    const on = opt(id.map((a) => ` ON ${a}`));
    const from = opt(srcs.map((a) => ` FROM ${a}`));
    const where = opt(condT.map((c2) => ` WHERE ${c2}`));
    const lim = fc.tuple(opt(n.map((x) => ` LIMIT ${x}`)), opt(n.map((x) => ` OFFSET ${x}`))).map(([a, b2]) => a + b2);
    const withKey = fc.oneof(
      id.map((a) => ` WITH KEY = ${a}`),
      id.map((a) => ` WITH KEY != ${a}`),
      reT.map((r) => ` WITH KEY =~ ${r}`),
      fc.array(id, { minLength: 1, maxLength: 3 }).map((a) => ` WITH KEY IN (${a.join(', ')})`),
    );
    const exact = fc.constantFrom('', ' EXACT');
    const stmtT = fc.oneof(
      selectT,
      selectT.map((q) => `EXPLAIN ${q}`),
      selectT.map((q) => `EXPLAIN ANALYZE ${q}`),
      fc.tuple(selectT, srcs).map(([q, s2]) => `SELECT max(v) FROM (${q}), ${s2}`),
      fc.tuple(on, opt(reT.map((r) => ` WITH MEASUREMENT =~ ${r}`)), where, lim).map((a) => `SHOW MEASUREMENTS${a.join('')}`),
      fc.tuple(on, from, opt(withKey), where, lim).map((a) => `SHOW TAG KEYS${a.join('')}`),
      fc.tuple(on, from, withKey, where, lim).map((a) => `SHOW TAG VALUES${a.join('')}`),
      fc.tuple(exact, on, from, withKey, where, lim).map(([e, ...a]) => `SHOW TAG VALUES${e} CARDINALITY${a.join('')}`),
      fc.tuple(on, from).map((a) => `SHOW FIELD KEYS${a.join('')}`),
      fc.tuple(on, from, where, lim).map((a) => `SHOW SERIES${a.join('')}`),
      fc
        .tuple(fc.constantFrom('SERIES', 'MEASUREMENT', 'TAG KEY', 'FIELD KEY'), exact, on, from, where, opt(dims), lim)
        .map(([w, e, ...a]) => `SHOW ${w}${e} CARDINALITY${a.join('')}`),
      on.map((a) => `SHOW RETENTION POLICIES${a}`),
      fc.constantFrom('SHOW DATABASES', 'SHOW CONTINUOUS QUERIES', 'SHOW USERS', 'SHOW STATS', 'SHOW DIAGNOSTICS', 'SHOW SHARDS', 'SHOW SHARD GROUPS', 'SHOW QUERIES'),
      fc
        .tuple(id, opt(durT.map((d) => ` DURATION ${d}`)), opt(fc.integer({ min: 1, max: 9 }).map((x) => ` REPLICATION ${x}`)), opt(durT.map((d) => ` SHARD DURATION ${d}`)), opt(id.map((a) => ` NAME ${a}`)))
        .map(([d, ...a]) => `CREATE DATABASE ${d}${a.join('') === '' ? '' : ' WITH' + a.join('')}`),
      fc
        .tuple(id, id, fc.oneof(durT, fc.constant('INF')), fc.integer({ min: 1, max: 9 }), opt(durT.map((d) => ` SHARD DURATION ${d}`)), fc.constantFrom('', ' DEFAULT'))
        .map(([rp, db, d, r, sd, def]) => `CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${d} REPLICATION ${r}${sd}${def}`),
      fc
        .tuple(id, id, fc.shuffledSubarray([' DURATION 1h', ' REPLICATION 2', ' SHARD DURATION 30m', ' DEFAULT'], { minLength: 1 }))
        .map(([rp, db, o]) => `ALTER RETENTION POLICY ${rp} ON ${db}${o.join('')}`),
      fc.tuple(id, id).map(([rp, db]) => `DROP RETENTION POLICY ${rp} ON ${db}`),
      fc.tuple(id, fc.constantFrom('', ' RESAMPLE EVERY 30s', ' RESAMPLE EVERY 1m FOR 2h', ' RESAMPLE FOR 1d'), exprT, id, id)
        .map(([cqName, rs, e, into, m]) => `CREATE CONTINUOUS QUERY ${cqName} ON db${rs} BEGIN SELECT mean(${e}) INTO ${into} FROM ${m} GROUP BY time(1h) END`),
      fc.tuple(id, id).map(([cqName, db]) => `DROP CONTINUOUS QUERY ${cqName} ON ${db}`),
      fc.tuple(fc.oneof(id.map((a) => ` FROM ${a}`), fc.constant(' FROM /^x/')), where).map(([f2, w]) => `DELETE${f2}${w}`),
      condT.map((c2) => `DELETE WHERE ${c2}`),
      fc.tuple(opt(id.map((a) => ` FROM ${a}`)), condT).map(([f2, c2]) => `DROP SERIES${f2} WHERE ${c2}`),
      id.map((a) => `DROP MEASUREMENT ${a}`),
      id.map((a) => `DROP DATABASE ${a}`),
      id.map((a) => `DROP USER ${a}`),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((x) => `DROP SHARD ${x}`),
      fc.tuple(fc.bigInt({ min: 0n, max: 1n << 40n }), opt(id.map((a) => ` ON ${a}`))).map(([x, h]) => `KILL QUERY ${x}${h}`),
      fc.tuple(fc.constantFrom('GRANT', 'REVOKE'), fc.constantFrom('READ', 'WRITE', 'ALL', 'ALL PRIVILEGES'), id, id).map(
        ([g, p, db, u]) => `${g} ${p} ON ${db} ${g === 'GRANT' ? 'TO' : 'FROM'} ${u}`,
      ),
      fc.tuple(fc.constantFrom('GRANT ALL TO', 'REVOKE ALL PRIVILEGES FROM'), id).map(([g, u]) => `${g} ${u}`),
    );
    fc.assert(
      fc.property(fc.array(stmtT, { minLength: 1, maxLength: 3 }), (stmts) => {
        const text = stmts.join(';\n');
        const parsed = parseQuery(text);
        expect(parsed).toHaveLength(stmts.length);
        for (const st of parsed) expectRoundTrip(st);
      }),
      { numRuns: 1500 },
    );
  });

  it('generated SELECT statements round-trip', () => {
    const ident = fc.oneof(
      fc.constantFrom('cpu', 'value', 'host', 'select', 'a b', 'x.y', 'É', "q'uote", 'd"q', 'back\\slash', ''),
      fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/),
    );
    const leaf: fc.Arbitrary<Expr> = fc.oneof(
      ident.map((s) => v(s)),
      fc.tuple(ident, fc.constantFrom<DataType>('float', 'integer', 'tag', 'field')).map(([s, t]) => v(s, t)),
      fc.integer({ min: 0, max: 1_000_000 }).map((n) => int(n)),
      fc.double({ min: 0, max: 1e6, noNaN: true }).map((n) => num(n)),
      fc.string({ maxLength: 8 }).map((s) => str(s)),
      fc.bigInt({ min: 0n, max: 1n << 40n }).map((n) => dur(n)),
      fc.boolean().map((x) => bool(x)),
    );
    const expr = fc.letrec<{ e: Expr }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc
          .tuple(fc.constantFrom<BinaryOp>('+', '-', '*', '/', '%', '&', '|', '^'), tie('e'), tie('e'))
          .map(([op, l, r]) => paren(b(op, l, r))),
        fc.tuple(fc.constantFrom('mean', 'max', 'top'), fc.array(tie('e'), { maxLength: 3 })).map(([n, a]) => call(n, a)),
      ),
    })).e;
    const cond = fc
      .tuple(expr, fc.constantFrom<BinaryOp>('=', '!=', '<', '>=', 'AND', 'OR'), expr)
      .map(([l, op, r]) => b(op, l, r));
    const stmt = fc
      .record({
        fields: fc.array(fc.tuple(expr, fc.option(ident, { nil: '' })), { minLength: 1, maxLength: 3 }),
        source: ident.filter((x) => x !== ''),
        condition: fc.option(cond, { nil: null }),
        limit: fc.nat(1000),
      })
      .map((r) =>
        sel({
          fields: r.fields.map(([e, alias]) => f(e, alias)),
          sources: [mm(r.source)],
          condition: r.condition,
          limit: r.limit,
        }),
      );
    fc.assert(
      fc.property(stmt, (s) => {
        expect(parseStatement(formatStatement(s))).toEqual(s);
      }),
      { numRuns: 1000 },
    );
  });
});
