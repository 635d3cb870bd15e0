// Recursive-descent parser of the SQL subset (docs/sql.md). `parseSql` splits a request
// into statements at top-level semicolons; `?` parameters are numbered across the whole
// request, `$N` names the N-th parameter.

import type { BinOp, ColumnDef, Expr, FromItem, SelectItem, SelectStmt, SqlType, Statement, TableName } from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { sqlSyntaxError } from './errors.js';
import { parseDuration } from './duration.js';

const RESERVED = new Set([
  'select', 'from', 'where', 'group', 'by', 'order', 'limit', 'offset', 'having', 'join', 'inner', 'on', 'as',
  'and', 'or', 'not', 'in', 'like', 'is', 'null', 'between', 'insert', 'into', 'values', 'create', 'table', 'drop',
  'delete', 'asc', 'desc', 'true', 'false', 'interval', 'primary', 'key', 'if', 'exists',
]);

const TYPES: Record<string, SqlType> = {
  int: 'integer', integer: 'integer', bigint: 'integer', smallint: 'integer', int64: 'integer',
  double: 'float', float: 'float', real: 'float', numeric: 'float', decimal: 'float',
  text: 'string', varchar: 'string', string: 'string', char: 'string',
  bool: 'boolean', boolean: 'boolean',
  timestamp: 'timestamp', timestamptz: 'timestamp',
};

class Parser {
  private i = 0;
  private nextParam = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  private err(t: Token, msg: string): never {
    throw sqlSyntaxError(this.src, t.pos, msg);
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    if (t.kind === 'string') return `string '${t.text}'`;
    return `"${t.kind === 'param' && t.text !== '?' ? '$' + t.text : t.text}"`;
  }
  private isKw(word: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }
  private acceptKw(word: string): boolean {
    if (this.isKw(word)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectKw(word: string): Token {
    const t = this.peek();
    if (!this.isKw(word)) this.err(t, `expected ${word.toUpperCase()}, found ${this.describe(t)}`);
    this.i++;
    return t;
  }
  private isOp(op: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'op' && t.text === op;
  }
  private acceptOp(op: string): boolean {
    if (this.isOp(op)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectOp(op: string): Token {
    const t = this.peek();
    if (!this.isOp(op)) this.err(t, `expected "${op}", found ${this.describe(t)}`);
    this.i++;
    return t;
  }
  private ident(what: string): { name: string; pos: number } {
    const t = this.peek();
    if (t.kind === 'qident' || (t.kind === 'ident' && !RESERVED.has(t.text.toLowerCase()))) {
      this.i++;
      return { name: t.text, pos: t.pos };
    }
    this.err(t, `expected ${what}, found ${this.describe(t)}`);
  }

  statements(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      while (this.acceptOp(';'));
      if (this.peek().kind === 'eof') break;
      out.push(this.statement());
      const t = this.peek();
      if (t.kind !== 'eof' && !this.isOp(';')) this.err(t, `unexpected ${this.describe(t)} after the end of the statement`);
    }
    if (out.length === 0) this.err(this.peek(), 'empty query: expected a statement');
    return out;
  }

  private statement(): Statement {
    const t = this.peek();
    if (this.isKw('select')) return this.select();
    if (this.isKw('create')) return this.create();
    if (this.isKw('drop')) return this.drop();
    if (this.isKw('insert')) return this.insert();
    if (this.isKw('delete')) return this.deleteStmt();
    this.err(t, `expected SELECT, INSERT, DELETE, CREATE TABLE or DROP TABLE, found ${this.describe(t)}`);
  }

  private tableName(): TableName {
    const first = this.ident('a table name');
    if (this.acceptOp('.')) {
      const second = this.ident('a table name after "."');
      return { db: first.name, name: second.name, pos: first.pos };
    }
    return { name: first.name, pos: first.pos };
  }

  private create(): Statement {
    const pos = this.expectKw('create').pos;
    this.expectKw('table');
    let ifNotExists = false;
    if (this.acceptKw('if')) {
      this.expectKw('not');
      this.expectKw('exists');
      ifNotExists = true;
    }
    const table = this.tableName();
    this.expectOp('(');
    const columns: ColumnDef[] = [];
    do {
      const col = this.ident('a column name');
      const tt = this.peek();
      if (tt.kind !== 'ident') this.err(tt, `expected a type for column "${col.name}" (INT, DOUBLE, TEXT, BOOLEAN or TIMESTAMP), found ${this.describe(tt)}`);
      const type = TYPES[tt.text.toLowerCase()];
      if (!type) this.err(tt, `unknown type "${tt.text}" for column "${col.name}": use INT, BIGINT, DOUBLE, FLOAT, REAL, TEXT, VARCHAR, BOOLEAN or TIMESTAMP`);
      this.i++;
      if (this.acceptOp('(')) {
        // VARCHAR(255), DECIMAL(10, 2): the size is accepted and ignored
        while (!this.isOp(')') && this.peek().kind !== 'eof') this.i++;
        this.expectOp(')');
      }
      let tag = false;
      for (;;) {
        if (this.acceptKw('tag')) tag = true;
        else if (this.acceptKw('field')) tag = false;
        else if (this.acceptKw('primary')) {
          this.expectKw('key');
          tag = true;
        } else if (this.acceptKw('not')) this.expectKw('null');
        else break;
      }
      columns.push({ name: col.name, type, tag, pos: col.pos });
    } while (this.acceptOp(','));
    this.expectOp(')');
    return { k: 'create', table, columns, ifNotExists, pos };
  }

  private drop(): Statement {
    const pos = this.expectKw('drop').pos;
    this.expectKw('table');
    let ifExists = false;
    if (this.acceptKw('if')) {
      this.expectKw('exists');
      ifExists = true;
    }
    return { k: 'drop', table: this.tableName(), ifExists, pos };
  }

  private insert(): Statement {
    const pos = this.expectKw('insert').pos;
    this.expectKw('into');
    const table = this.tableName();
    let columns: { name: string; pos: number }[] | undefined;
    if (this.acceptOp('(')) {
      columns = [];
      do columns.push(this.ident('a column name'));
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    this.expectKw('values');
    const rows: Expr[][] = [];
    do {
      this.expectOp('(');
      const row: Expr[] = [];
      do row.push(this.expr());
      while (this.acceptOp(','));
      this.expectOp(')');
      rows.push(row);
    } while (this.acceptOp(','));
    return { k: 'insert', table, columns, rows, pos };
  }

  private deleteStmt(): Statement {
    const pos = this.expectKw('delete').pos;
    this.expectKw('from');
    const table = this.tableName();
    const where = this.acceptKw('where') ? this.expr() : undefined;
    return { k: 'delete', table, where, pos };
  }

  private fromItem(): FromItem {
    const table = this.tableName();
    let alias = table.name;
    if (this.acceptKw('as')) alias = this.ident('an alias').name;
    else if (this.peek().kind === 'qident' || (this.peek().kind === 'ident' && !RESERVED.has(this.peek().text.toLowerCase()))) alias = this.ident('an alias').name;
    return { table, alias };
  }

  private select(): SelectStmt {
    const pos = this.expectKw('select').pos;
    const items: SelectItem[] = [];
    do {
      const t = this.peek();
      if (this.isOp('*')) {
        this.i++;
        items.push({ k: 'star', pos: t.pos });
      } else if ((t.kind === 'ident' || t.kind === 'qident') && this.isOp('.', 1) && this.isOp('*', 2)) {
        this.i += 3;
        items.push({ k: 'star', table: t.text, pos: t.pos });
      } else {
        const expr = this.expr();
        let alias: string | undefined;
        if (this.acceptKw('as')) alias = this.ident('an alias').name;
        else if (this.peek().kind === 'qident' || (this.peek().kind === 'ident' && !RESERVED.has(this.peek().text.toLowerCase()))) alias = this.ident('an alias').name;
        items.push({ k: 'expr', expr, alias });
      }
    } while (this.acceptOp(','));
    const stmt: SelectStmt = { k: 'select', items, groupBy: [], orderBy: [], pos };
    if (this.acceptKw('from')) {
      stmt.from = this.fromItem();
      if (this.isKw('join') || this.isKw('inner')) {
        this.acceptKw('inner');
        this.expectKw('join');
        const right = this.fromItem();
        this.expectKw('on');
        stmt.join = { right, on: this.expr() };
      }
    }
    if (this.acceptKw('where')) stmt.where = this.expr();
    if (this.acceptKw('group')) {
      this.expectKw('by');
      do stmt.groupBy.push(this.expr());
      while (this.acceptOp(','));
    }
    if (this.acceptKw('having')) stmt.having = this.expr();
    if (this.acceptKw('order')) {
      this.expectKw('by');
      do {
        const expr = this.expr();
        let desc = false;
        if (this.acceptKw('desc')) desc = true;
        else this.acceptKw('asc');
        stmt.orderBy.push({ expr, desc });
      } while (this.acceptOp(','));
    }
    if (this.acceptKw('limit')) stmt.limit = this.expr();
    if (this.acceptKw('offset')) stmt.offset = this.expr();
    if (!stmt.limit && this.acceptKw('limit')) stmt.limit = this.expr();
    return stmt;
  }

  // ---- expressions, lowest precedence first ----

  expr(): Expr {
    return this.or();
  }
  private or(): Expr {
    let l = this.and();
    while (this.isKw('or')) {
      const pos = this.peek().pos;
      this.i++;
      l = { k: 'bin', op: 'OR', l, r: this.and(), pos };
    }
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.isKw('and')) {
      const pos = this.peek().pos;
      this.i++;
      l = { k: 'bin', op: 'AND', l, r: this.not(), pos };
    }
    return l;
  }
  private not(): Expr {
    if (this.isKw('not')) {
      const pos = this.peek().pos;
      this.i++;
      return { k: 'not', e: this.not(), pos };
    }
    return this.comparison();
  }
  private comparison(): Expr {
    const l = this.additive();
    const t = this.peek();
    if (t.kind === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      this.i++;
      return { k: 'bin', op: t.text as BinOp, l, r: this.additive(), pos: t.pos };
    }
    if (this.isKw('is')) {
      this.i++;
      const not = this.acceptKw('not');
      this.expectKw('null');
      return { k: 'isnull', e: l, not, pos: t.pos };
    }
    let not = false;
    if (this.isKw('not') && (this.isKw('in', 1) || this.isKw('like', 1) || this.isKw('between', 1))) {
      this.i++;
      not = true;
    }
    if (this.acceptKw('in')) {
      this.expectOp('(');
      const list: Expr[] = [];
      do list.push(this.expr());
      while (this.acceptOp(','));
      this.expectOp(')');
      return { k: 'in', e: l, list, not, pos: t.pos };
    }
    if (this.acceptKw('like')) return { k: 'like', e: l, pattern: this.additive(), not, pos: t.pos };
    if (this.acceptKw('between')) {
      const lo = this.additive();
      this.expectKw('and');
      const hi = this.additive();
      const e: Expr = { k: 'bin', op: 'AND', l: { k: 'bin', op: '>=', l, r: lo, pos: t.pos }, r: { k: 'bin', op: '<=', l, r: hi, pos: t.pos }, pos: t.pos };
      return not ? { k: 'not', e, pos: t.pos } : e;
    }
    if (not) this.err(this.peek(), `expected IN, LIKE or BETWEEN after NOT, found ${this.describe(this.peek())}`);
    return l;
  }
  private additive(): Expr {
    let l = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
        this.i++;
        l = { k: 'bin', op: t.text, l, r: this.multiplicative(), pos: t.pos };
      } else return l;
    }
  }
  private multiplicative(): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.i++;
        l = { k: 'bin', op: t.text, l, r: this.unary(), pos: t.pos };
      } else return l;
    }
  }
  private unary(): Expr {
    const t = this.peek();
    if (this.acceptOp('-')) {
      const e = this.unary();
      if (e.k === 'lit' && (typeof e.v === 'number' || typeof e.v === 'bigint')) return { k: 'lit', v: -e.v, pos: t.pos };
      return { k: 'neg', e, pos: t.pos };
    }
    if (this.acceptOp('+')) return this.unary();
    return this.primary();
  }
  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number': {
        this.i++;
        if (/^[0-9]+$/.test(t.text)) {
          const v = BigInt(t.text);
          if (v > 2n ** 63n) this.err(t, `integer ${t.text} is out of the int64 range`);
          return { k: 'lit', v, pos: t.pos };
        }
        return { k: 'lit', v: Number(t.text), pos: t.pos };
      }
      case 'string':
        this.i++;
        return { k: 'lit', v: t.text, pos: t.pos };
      case 'param': {
        this.i++;
        const index = t.text === '?' ? this.nextParam++ : Number(t.text) - 1;
        if (index < 0) this.err(t, 'parameters are numbered from $1');
        return { k: 'param', index, pos: t.pos };
      }
      case 'op':
        if (t.text === '(') {
          this.i++;
          const e = this.expr();
          this.expectOp(')');
          return e;
        }
        this.err(t, `expected an expression, found ${this.describe(t)}`);
      // falls through (err never returns)
      case 'qident':
      case 'ident': {
        const low = t.text.toLowerCase();
        if (t.kind === 'ident') {
          if (low === 'null') return this.i++, { k: 'lit', v: null, pos: t.pos };
          if (low === 'true') return this.i++, { k: 'lit', v: true, pos: t.pos };
          if (low === 'false') return this.i++, { k: 'lit', v: false, pos: t.pos };
          if (low === 'interval') {
            this.i++;
            const s = this.peek();
            if (s.kind !== 'string') this.err(s, `expected a string after INTERVAL (as in INTERVAL '1 hour'), found ${this.describe(s)}`);
            this.i++;
            const ns = parseDuration(s.text);
            if (ns === null) this.err(s, `invalid interval '${s.text}': write a number and a unit, as in '90 seconds', '5m' or '1 hour'`);
            return { k: 'interval', ns, pos: t.pos };
          }
          if (RESERVED.has(low)) this.err(t, `expected an expression, found ${this.describe(t)}`);
        }
        this.i++;
        if (t.kind === 'ident' && this.isOp('(')) {
          this.i++;
          const args: Expr[] = [];
          let star = false;
          if (this.acceptOp('*')) star = true;
          else if (!this.isOp(')')) {
            do args.push(this.expr());
            while (this.acceptOp(','));
          }
          this.expectOp(')');
          return { k: 'call', name: low, args, star, pos: t.pos };
        }
        if (this.acceptOp('.')) {
          const col = this.ident('a column name after "."');
          return { k: 'col', table: t.text, name: col.name, pos: t.pos };
        }
        return { k: 'col', name: t.text, pos: t.pos };
      }
      default:
        this.err(t, `expected an expression, found ${this.describe(t)}`);
    }
  }
}

/** Parses one or more `;`-separated statements. Throws STRATA_ERR_SQL_SYNTAX with the line and column. */
export function parseSql(src: string): Statement[] {
  return new Parser(src, tokenize(src)).statements();
}
