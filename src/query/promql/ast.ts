// The PromQL syntax tree: what the parser produces and the evaluator walks.
//
// Shaped after Prometheus's promql/parser/ast.go so its semantics map one to one. Times
// and durations are milliseconds as plain numbers (exact to 2^53 ms, ~285,000 years).
// Every node carries the byte range of its source text for error messages.

export interface PosRange {
  /** Byte offset of the first character of the node in the query text. */
  start: number;
  /** Byte offset just past the node. */
  end: number;
}

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** `@ <time>`, `@ start()` or `@ end()` on a selector or subquery. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  pos: PosRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PosRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name when written before the braces (`foo{...}`), else ''. */
  name: string;
  /** All matchers, including `__name__="foo"` for a written name. */
  matchers: LabelMatcher[];
  /** `offset` in ms (negative allowed); 0 when absent. */
  offset: number;
  at: AtModifier | null;
  pos: PosRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  vector: VectorSelector;
  /** Range in ms. */
  range: number;
  pos: PosRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  /** Range in ms. */
  range: number;
  /** Resolution step in ms; 0 means the global evaluation interval (the default step). */
  step: number;
  offset: number;
  at: AtModifier | null;
  pos: PosRange;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'count'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'quantile'
  | 'count_values'
  | 'group'
  | 'limitk'
  | 'limit_ratio';

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** The parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio. */
  param: Expr | null;
  /** Labels of `by (...)` or `without (...)`; empty for neither. */
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | 'and'
  | 'or'
  | 'unless';

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** Labels of `on (...)` (on = true) or `ignoring (...)` (on = false). */
  labels: string[];
  on: boolean;
  /** Extra labels of `group_left (...)` / `group_right (...)`. */
  include: string[];
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** Present when both sides are vectors (set operators are many-to-many). */
  matching: VectorMatching | null;
  /** The `bool` modifier of a comparison. */
  returnBool: boolean;
  pos: PosRange;
}

export interface Call {
  type: 'Call';
  /** Function name as written, e.g. 'rate'. */
  func: string;
  args: Expr[];
  pos: PosRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  pos: PosRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | AggregateExpr
  | BinaryExpr
  | Call
  | ParenExpr
  | UnaryExpr;

/** A query that does not parse or type-check: Prometheus's `bad_data` error. */
export class PromQLParseError extends Error {
  readonly pos: PosRange;
  constructor(message: string, pos: PosRange) {
    super(message);
    this.name = 'PromQLParseError';
    this.pos = pos;
  }
}
