// The SQL subset's syntax tree (see docs/sql.md). Every node carries `pos`, the offset of
// its first character in the source, so later errors can name a line and column too.

export type SqlType = 'integer' | 'float' | 'string' | 'boolean' | 'timestamp';

/** A literal's value: integers are bigints, floats numbers. */
export type Literal = null | boolean | number | bigint | string;

export type Expr =
  | { k: 'lit'; v: Literal; pos: number }
  | { k: 'interval'; ns: bigint; pos: number }
  | { k: 'col'; table?: string; name: string; pos: number }
  | { k: 'param'; index: number; pos: number }
  | { k: 'bin'; op: BinOp; l: Expr; r: Expr; pos: number }
  | { k: 'not'; e: Expr; pos: number }
  | { k: 'neg'; e: Expr; pos: number }
  | { k: 'in'; e: Expr; list: Expr[]; not: boolean; pos: number }
  | { k: 'isnull'; e: Expr; not: boolean; pos: number }
  | { k: 'like'; e: Expr; pattern: Expr; not: boolean; pos: number }
  | { k: 'call'; name: string; args: Expr[]; star: boolean; pos: number };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'AND' | 'OR';

export interface TableName {
  db?: string;
  name: string;
  pos: number;
}

export interface ColumnDef {
  name: string;
  type: SqlType;
  tag: boolean;
  pos: number;
}

export type SelectItem = { k: 'expr'; expr: Expr; alias?: string } | { k: 'star'; table?: string; pos: number };

export interface FromItem {
  table: TableName;
  alias: string;
}

export interface SelectStmt {
  k: 'select';
  items: SelectItem[];
  from?: FromItem;
  join?: { right: FromItem; on: Expr };
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  orderBy: { expr: Expr; desc: boolean }[];
  limit?: Expr;
  offset?: Expr;
  pos: number;
}

export type Statement =
  | { k: 'create'; table: TableName; columns: ColumnDef[]; ifNotExists: boolean; pos: number }
  | { k: 'drop'; table: TableName; ifExists: boolean; pos: number }
  | { k: 'insert'; table: TableName; columns?: { name: string; pos: number }[]; rows: Expr[][]; pos: number }
  | { k: 'delete'; table: TableName; where?: Expr; pos: number }
  | SelectStmt;
