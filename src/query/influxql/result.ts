// What executing InfluxQL produces, before the HTTP layer writes it as InfluxDB 1.x JSON or
// CSV. Times stay int64 nanoseconds (bigint) until then, so `epoch` and RFC3339 output are
// both exact.

import type { Database } from '../../engine/database.js';
import type { CreateContinuousQueryStatement } from './ast.js';
import type { TierReads } from './tierRewrite.js';

/** One cell: a float, an integer/unsigned (bigint), a string, a boolean, or null. */
export type Cell = number | bigint | string | boolean | null;

export interface ResultSeries {
  name: string;
  /** The GROUP BY tags of this series (absent when the query has none). */
  tags?: Record<string, string>;
  columns: string[];
  /** Rows; a `time` column holds bigint ns. */
  values: Cell[][];
  /** True when a limit cut this series short (InfluxDB's `partial`). */
  partial?: boolean;
}

export interface StatementResult {
  statement_id: number;
  series?: ResultSeries[];
  messages?: { level: string; text: string }[];
  /** Set when the statement failed; as in InfluxDB, the statements after it are not run
   * (each answers "not executed"). */
  error?: string;
  partial?: boolean;
}

export interface QueryContext {
  engine: Database;
  /** The `db` parameter (default database of unqualified measurements). */
  database?: string;
  /** The `rp` parameter. */
  retentionPolicy?: string;
  /** `params` of the request, already JSON-decoded. */
  params?: Record<string, unknown>;
  /** now() in ns; fixed per query. */
  now: bigint;
  /** Limits; 0 = none. InfluxDB's max-select-point, max-select-series, max-select-buckets. */
  maxPoints?: number;
  maxSeries?: number;
  maxBuckets?: number;
  /** Query deadline, ms since the epoch (Date.now() clock); 0 = none. */
  deadline?: number;
  /** Where CREATE / DROP / SHOW CONTINUOUS QUERIES go (src/retention/cq.ts). Absent: SHOW
   * lists none and CREATE / DROP answer "not supported". */
  continuousQueries?: ContinuousQueryRegistry;
  /** Transparent reads from downsampling tiers (tierRewrite.ts); absent: raw data only. */
  tiers?: TierReads;
}

/** The continuous queries of a server, as the InfluxQL executor sees them. */
export interface ContinuousQueryRegistry {
  /** CREATE CONTINUOUS QUERY; `defaultRp` is the request's `rp` parameter. Throws an
   * Error with InfluxDB's message (database not found, continuous query already exists). */
  create(stmt: CreateContinuousQueryStatement, defaultRp?: string): void;
  /** DROP CONTINUOUS QUERY; dropping one that does not exist is not an error (InfluxDB 1.8). */
  drop(database: string, name: string): void;
  /** The continuous queries of each database, for SHOW CONTINUOUS QUERIES. */
  list(database: string): { name: string; query: string }[];
  /** DROP DATABASE took the database and with it its continuous queries. */
  dropDatabase(database: string): void;
}
