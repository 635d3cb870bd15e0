// The InfluxQL syntax tree: what the parser produces and the evaluator walks.
//
// Shaped after github.com/influxdata/influxql's ast.go so InfluxDB 1.x semantics map one to
// one: every Go node type is a `type`-tagged interface here, with its fields in camelCase.
// Times and durations are bigint nanoseconds (Go's int64 time.Duration / UnixNano). The
// parser does no rewriting: `now()` stays a Call, time strings stay StringLiterals and
// conditions are not split; the planner does that.

// ---------------------------------------------------------------------------------------
// Expressions.

/** VarRef casts (`field::float`, `tag::tag`) and the types the planner assigns later. */
export type DataType =
  | 'unknown'
  | 'float'
  | 'integer'
  | 'unsigned'
  | 'string'
  | 'boolean'
  | 'time'
  | 'duration'
  | 'tag'
  | 'field';

/** Binary operators, spelled as Go's Token.String() spells them (`<>` parses as `!=`). */
export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '&'
  | '|'
  | '^'
  | 'AND'
  | 'OR'
  | 'IN'
  | '='
  | '!='
  | '=~'
  | '!~'
  | '<'
  | '<='
  | '>'
  | '>=';

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
}

/** A function call; `name` is lower-cased by the parser (`MEAN(x)` → `mean`). */
export interface Call {
  type: 'Call';
  name: string;
  args: Expr[];
}

/** A field or tag reference; `val` joins dotted segments with '.' as Go does. */
export interface VarRef {
  type: 'VarRef';
  val: string;
  dataType: DataType;
}

/** A float literal (`1.5`, `.5`, `100.`). */
export interface NumberLiteral {
  type: 'NumberLiteral';
  val: number;
}

/** A signed 64-bit integer literal. */
export interface IntegerLiteral {
  type: 'IntegerLiteral';
  val: bigint;
}

/** An integer literal above math.MaxInt64 (only the parser makes these). */
export interface UnsignedLiteral {
  type: 'UnsignedLiteral';
  val: bigint;
}

export interface StringLiteral {
  type: 'StringLiteral';
  val: string;
}

export interface BooleanLiteral {
  type: 'BooleanLiteral';
  val: boolean;
}

/** A duration in nanoseconds (`1h`, `-5m`, `100ms`). */
export interface DurationLiteral {
  type: 'DurationLiteral';
  val: bigint;
}

/** A point in time, Unix nanoseconds. Never produced by the parser (times are strings). */
export interface TimeLiteral {
  type: 'TimeLiteral';
  val: bigint;
}

/** A regular expression; `val` is the RE2 pattern with `\/` already unescaped. */
export interface RegexLiteral {
  type: 'RegexLiteral';
  val: string;
}

/** The tag key list of `WITH KEY IN (a, b)`. */
export interface ListLiteral {
  type: 'ListLiteral';
  vals: string[];
}

/** `*`, `*::field` or `*::tag`. */
export interface Wildcard {
  type: 'Wildcard';
  wildcardType: 'field' | 'tag' | null;
}

/** `DISTINCT x` (without parentheses; `distinct(x)` is a Call). */
export interface Distinct {
  type: 'Distinct';
  val: string;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
}

/** `$name`: a parameter the caller binds from the `params` JSON object. */
export interface BoundParameter {
  type: 'BoundParameter';
  name: string;
}

/** Go's NilLiteral: not written by users, used internally by rewrites. */
export interface NilLiteral {
  type: 'NilLiteral';
}

export type Literal =
  | NumberLiteral
  | IntegerLiteral
  | UnsignedLiteral
  | StringLiteral
  | BooleanLiteral
  | DurationLiteral
  | TimeLiteral
  | RegexLiteral
  | ListLiteral
  | BoundParameter
  | NilLiteral;

export type Expr = BinaryExpr | Call | VarRef | Wildcard | Distinct | ParenExpr | Literal;

// ---------------------------------------------------------------------------------------
// Sources, fields, dimensions.

/**
 * A measurement: by name or by regex, optionally qualified by database and retention
 * policy. As an INTO target an empty `name` is the `:MEASUREMENT` back-reference.
 */
export interface Measurement {
  type: 'Measurement';
  database: string;
  retentionPolicy: string;
  name: string;
  regex: RegexLiteral | null;
  isTarget: boolean;
}

export interface SubQuery {
  type: 'SubQuery';
  statement: SelectStatement;
}

export type Source = Measurement | SubQuery;

export interface Field {
  expr: Expr;
  /** '' when there is no AS. */
  alias: string;
}

export interface Dimension {
  expr: Expr;
}

export interface SortField {
  /** '' for a bare `ORDER BY ASC|DESC`. */
  name: string;
  ascending: boolean;
}

export interface Target {
  measurement: Measurement;
}

export type FillOption = 'null' | 'none' | 'number' | 'previous' | 'linear';

/** Go's Token for the tag key operator of SHOW TAG VALUES / SHOW TAG KEYS ... WITH KEY. */
export type TagKeyOp = '=' | '!=' | '=~' | '!~' | 'IN';

export type Privilege = 'none' | 'read' | 'write' | 'all';

// ---------------------------------------------------------------------------------------
// Statements.

export interface SelectStatement {
  type: 'SelectStatement';
  fields: Field[];
  target: Target | null;
  sources: Source[];
  condition: Expr | null;
  dimensions: Dimension[];
  fill: FillOption;
  /** The fill(<number>) value: bigint for an integer, number for a float; null otherwise. */
  fillValue: bigint | number | null;
  sortFields: SortField[];
  limit: number;
  offset: number;
  sLimit: number;
  sOffset: number;
  /** The tz('...') name, as written. */
  location: string | null;
  /** True when no field contains a function call (Go's IsRawQuery). */
  isRawQuery: boolean;
}

export interface DeleteSeriesStatement {
  type: 'DeleteSeriesStatement';
  sources: Source[] | null;
  condition: Expr | null;
}

export interface DropSeriesStatement {
  type: 'DropSeriesStatement';
  sources: Source[] | null;
  condition: Expr | null;
}

export interface DropShardStatement {
  type: 'DropShardStatement';
  id: bigint;
}

export interface DropMeasurementStatement {
  type: 'DropMeasurementStatement';
  name: string;
}

export interface ShowDatabasesStatement {
  type: 'ShowDatabasesStatement';
}

export interface ShowMeasurementsStatement {
  type: 'ShowMeasurementsStatement';
  database: string;
  retentionPolicy: string;
  wildcardDatabase: boolean;
  wildcardRetentionPolicy: boolean;
  /** WITH MEASUREMENT = name | =~ /re/. */
  source: Source | null;
  condition: Expr | null;
  sortFields: SortField[];
  limit: number;
  offset: number;
}

export interface ShowMeasurementCardinalityStatement {
  type: 'ShowMeasurementCardinalityStatement';
  exact: boolean;
  database: string;
  sources: Source[] | null;
  condition: Expr | null;
  dimensions: Dimension[];
  limit: number;
  offset: number;
}

export interface ShowSeriesStatement {
  type: 'ShowSeriesStatement';
  database: string;
  sources: Source[] | null;
  condition: Expr | null;
  sortFields: SortField[];
  limit: number;
  offset: number;
}

export interface ShowSeriesCardinalityStatement {
  type: 'ShowSeriesCardinalityStatement';
  exact: boolean;
  database: string;
  sources: Source[] | null;
  condition: Expr | null;
  dimensions: Dimension[];
  limit: number;
  offset: number;
}

export interface ShowTagKeysStatement {
  type: 'ShowTagKeysStatement';
  database: string;
  sources: Source[] | null;
  tagKeyOp: TagKeyOp | null;
  tagKeyExpr: StringLiteral | ListLiteral | RegexLiteral | null;
  condition: Expr | null;
  sortFields: SortField[];
  limit: number;
  offset: number;
  sLimit: number;
  sOffset: number;
}

export interface ShowTagKeyCardinalityStatement {
  type: 'ShowTagKeyCardinalityStatement';
  exact: boolean;
  database: string;
  sources: Source[] | null;
  condition: Expr | null;
  dimensions: Dimension[];
  limit: number;
  offset: number;
}

export interface ShowTagValuesStatement {
  type: 'ShowTagValuesStatement';
  database: string;
  sources: Source[] | null;
  op: TagKeyOp;
  tagKeyExpr: StringLiteral | ListLiteral | RegexLiteral;
  condition: Expr | null;
  sortFields: SortField[];
  limit: number;
  offset: number;
}

export interface ShowTagValuesCardinalityStatement {
  type: 'ShowTagValuesCardinalityStatement';
  exact: boolean;
  database: string;
  sources: Source[] | null;
  op: TagKeyOp;
  tagKeyExpr: StringLiteral | ListLiteral | RegexLiteral;
  condition: Expr | null;
  dimensions: Dimension[];
  limit: number;
  offset: number;
}

export interface ShowFieldKeysStatement {
  type: 'ShowFieldKeysStatement';
  database: string;
  sources: Source[] | null;
  sortFields: SortField[];
  limit: number;
  offset: number;
}

export interface ShowFieldKeyCardinalityStatement {
  type: 'ShowFieldKeyCardinalityStatement';
  exact: boolean;
  database: string;
  sources: Source[] | null;
  condition: Expr | null;
  dimensions: Dimension[];
  limit: number;
  offset: number;
}

export interface ShowRetentionPoliciesStatement {
  type: 'ShowRetentionPoliciesStatement';
  database: string;
}

export interface ShowContinuousQueriesStatement {
  type: 'ShowContinuousQueriesStatement';
}

export interface ShowUsersStatement {
  type: 'ShowUsersStatement';
}

export interface ShowGrantsForUserStatement {
  type: 'ShowGrantsForUserStatement';
  name: string;
}

export interface ShowStatsStatement {
  type: 'ShowStatsStatement';
  module: string;
}

export interface ShowDiagnosticsStatement {
  type: 'ShowDiagnosticsStatement';
  module: string;
}

export interface ShowShardsStatement {
  type: 'ShowShardsStatement';
}

export interface ShowShardGroupsStatement {
  type: 'ShowShardGroupsStatement';
}

export interface ShowQueriesStatement {
  type: 'ShowQueriesStatement';
}

export interface ShowSubscriptionsStatement {
  type: 'ShowSubscriptionsStatement';
}

export interface CreateDatabaseStatement {
  type: 'CreateDatabaseStatement';
  name: string;
  /** True when a WITH clause was given. */
  retentionPolicyCreate: boolean;
  retentionPolicyDuration: bigint | null;
  retentionPolicyReplication: number | null;
  retentionPolicyName: string;
  /** 0n when not given. */
  retentionPolicyShardGroupDuration: bigint;
  futureWriteLimit: bigint | null;
  pastWriteLimit: bigint | null;
}

export interface DropDatabaseStatement {
  type: 'DropDatabaseStatement';
  name: string;
}

export interface CreateRetentionPolicyStatement {
  type: 'CreateRetentionPolicyStatement';
  name: string;
  database: string;
  /** 0n for INF. */
  duration: bigint;
  replication: number;
  default: boolean;
  /** 0n when not given. */
  shardGroupDuration: bigint;
  futureWriteLimit: bigint;
  pastWriteLimit: bigint;
  /** Strata's DOWNSAMPLE clause: the policy's tiers (null: not given). */
  tiers: DownsampleTier[] | null;
}

/** One tier of a DOWNSAMPLE clause: `1m FOR 90d [GRACE 1h]` (ns; duration 0n = INF). */
export interface DownsampleTier {
  resolution: bigint;
  duration: bigint;
  grace: bigint | null;
}

export interface AlterRetentionPolicyStatement {
  type: 'AlterRetentionPolicyStatement';
  name: string;
  database: string;
  duration: bigint | null;
  replication: number | null;
  default: boolean;
  shardGroupDuration: bigint | null;
  futureWriteLimit: bigint | null;
  pastWriteLimit: bigint | null;
  /** Strata's DOWNSAMPLE clause ([] for DOWNSAMPLE NONE; null: not given). */
  tiers: DownsampleTier[] | null;
}

export interface DropRetentionPolicyStatement {
  type: 'DropRetentionPolicyStatement';
  name: string;
  database: string;
}

export interface CreateContinuousQueryStatement {
  type: 'CreateContinuousQueryStatement';
  name: string;
  database: string;
  source: SelectStatement;
  /** RESAMPLE EVERY, 0n when not given. */
  resampleEvery: bigint;
  /** RESAMPLE FOR, 0n when not given. */
  resampleFor: bigint;
  /** Strata's RESAMPLE CRON '<expr>' [TZ '<zone>']: runs on a cron schedule instead of
   * every interval (null when not given). */
  resampleCron?: { expr: string; tz: string | null } | null;
}

export interface DropContinuousQueryStatement {
  type: 'DropContinuousQueryStatement';
  name: string;
  database: string;
}

export interface CreateUserStatement {
  type: 'CreateUserStatement';
  name: string;
  password: string;
  admin: boolean;
}

export interface DropUserStatement {
  type: 'DropUserStatement';
  name: string;
}

export interface SetPasswordUserStatement {
  type: 'SetPasswordUserStatement';
  name: string;
  password: string;
}

export interface GrantStatement {
  type: 'GrantStatement';
  privilege: Privilege;
  on: string;
  user: string;
}

export interface GrantAdminStatement {
  type: 'GrantAdminStatement';
  user: string;
}

export interface RevokeStatement {
  type: 'RevokeStatement';
  privilege: Privilege;
  on: string;
  user: string;
}

export interface RevokeAdminStatement {
  type: 'RevokeAdminStatement';
  user: string;
}

export interface KillQueryStatement {
  type: 'KillQueryStatement';
  queryId: bigint;
  host: string;
}

export interface ExplainStatement {
  type: 'ExplainStatement';
  statement: SelectStatement;
  analyze: boolean;
  verbose: boolean;
}

export interface CreateSubscriptionStatement {
  type: 'CreateSubscriptionStatement';
  name: string;
  database: string;
  retentionPolicy: string;
  destinations: string[];
  mode: 'ALL' | 'ANY';
}

export interface DropSubscriptionStatement {
  type: 'DropSubscriptionStatement';
  name: string;
  database: string;
  retentionPolicy: string;
}

export type Statement =
  | SelectStatement
  | DeleteSeriesStatement
  | DropSeriesStatement
  | DropShardStatement
  | DropMeasurementStatement
  | ShowDatabasesStatement
  | ShowMeasurementsStatement
  | ShowMeasurementCardinalityStatement
  | ShowSeriesStatement
  | ShowSeriesCardinalityStatement
  | ShowTagKeysStatement
  | ShowTagKeyCardinalityStatement
  | ShowTagValuesStatement
  | ShowTagValuesCardinalityStatement
  | ShowFieldKeysStatement
  | ShowFieldKeyCardinalityStatement
  | ShowRetentionPoliciesStatement
  | ShowContinuousQueriesStatement
  | ShowUsersStatement
  | ShowGrantsForUserStatement
  | ShowStatsStatement
  | ShowDiagnosticsStatement
  | ShowShardsStatement
  | ShowShardGroupsStatement
  | ShowQueriesStatement
  | ShowSubscriptionsStatement
  | CreateDatabaseStatement
  | DropDatabaseStatement
  | CreateRetentionPolicyStatement
  | AlterRetentionPolicyStatement
  | DropRetentionPolicyStatement
  | CreateContinuousQueryStatement
  | DropContinuousQueryStatement
  | CreateUserStatement
  | DropUserStatement
  | SetPasswordUserStatement
  | GrantStatement
  | GrantAdminStatement
  | RevokeStatement
  | RevokeAdminStatement
  | KillQueryStatement
  | ExplainStatement
  | CreateSubscriptionStatement
  | DropSubscriptionStatement;

// ---------------------------------------------------------------------------------------
// Small constructors (used by the parser and handy in tests and rewrites).

/** Whether `e` holds a `$name` parameter still to be bound. */
export function hasParams(e: Expr | null): boolean {
  if (e === null) return false;
  switch (e.type) {
    case 'BoundParameter':
      return true;
    case 'BinaryExpr':
      return hasParams(e.lhs) || hasParams(e.rhs);
    case 'ParenExpr':
      return hasParams(e.expr);
    case 'Call':
      return e.args.some(hasParams);
    default:
      return false;
  }
}

export function varRef(val: string, dataType: DataType = 'unknown'): VarRef {
  return { type: 'VarRef', val, dataType };
}

export function call(name: string, args: Expr[] = []): Call {
  return { type: 'Call', name, args };
}

export function binary(op: BinaryOp, lhs: Expr, rhs: Expr): BinaryExpr {
  return { type: 'BinaryExpr', op, lhs, rhs };
}

export function measurement(init: Partial<Omit<Measurement, 'type'>> = {}): Measurement {
  return {
    type: 'Measurement',
    database: init.database ?? '',
    retentionPolicy: init.retentionPolicy ?? '',
    name: init.name ?? '',
    regex: init.regex ?? null,
    isTarget: init.isTarget ?? false,
  };
}

export function selectStatement(init: Partial<Omit<SelectStatement, 'type'>> = {}): SelectStatement {
  return {
    type: 'SelectStatement',
    fields: init.fields ?? [],
    target: init.target ?? null,
    sources: init.sources ?? [],
    condition: init.condition ?? null,
    dimensions: init.dimensions ?? [],
    fill: init.fill ?? 'null',
    fillValue: init.fillValue ?? null,
    sortFields: init.sortFields ?? [],
    limit: init.limit ?? 0,
    offset: init.offset ?? 0,
    sLimit: init.sLimit ?? 0,
    sOffset: init.sOffset ?? 0,
    location: init.location ?? null,
    isRawQuery: init.isRawQuery ?? true,
  };
}
