// Shared types of the public library API (see src/index.ts) and of the data path.

/** Field types, as numbers so typed arrays can hold them. The numbers are stored in WAL
 * and file formats: only ever add. */
export const FLOAT = 1;
export const INTEGER = 2;
export const UNSIGNED = 3;
export const BOOLEAN = 4;
export const STRING = 5;
export type FieldTypeCode = 1 | 2 | 3 | 4 | 5;

export type FieldTypeName = 'float' | 'integer' | 'unsigned' | 'boolean' | 'string';
export const FIELD_TYPE_NAMES: readonly FieldTypeName[] = ['float', 'float', 'integer', 'unsigned', 'boolean', 'string'];
export function fieldTypeName(t: number): FieldTypeName {
  return FIELD_TYPE_NAMES[t] ?? 'float';
}

/** `always`: a write is acknowledged only after fsync (group commit shares one fsync
 * between concurrent writes). `interval`: fsync every N ms. `off`: the OS decides. */
export type FsyncMode = 'always' | 'interval' | 'off';
export const FSYNC_STRENGTH: Record<FsyncMode, number> = { off: 0, interval: 1, always: 2 };

/** Timestamp precision of a write. Long forms are v2's, one-letter forms are v1's. */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

export interface LineError {
  /** 1-based line number in the request body. */
  line: number;
  /** syntax: malformed; type_conflict: a field's type differs from the stored one;
   * limit: the line would create a series over the database's series limit. */
  kind: 'syntax' | 'type_conflict' | 'limit' | 'retention';
  message: string;
}

export interface WriteOptions {
  db: string;
  /** Retention policy; defaults to the database's default ("autogen"). */
  rp?: string;
  precision?: Precision;
  /** Durability asked for by this write; the mode used is reported in WriteResult.fsync. */
  fsync?: FsyncMode;
  /** Only the downsampler writes into a downsampling tier's policy; it sets this. */
  rollup?: boolean;
}

export interface WriteResult {
  /** Lines (points) stored. */
  points: number;
  /** Field values stored. */
  values: number;
  /** Lines rejected, with the reason for each (in line order). */
  errors: LineError[];
  /** The fsync mode this write was made durable with. */
  fsync: FsyncMode;
}

/** A point for the library API; `write()` also takes line protocol text or bytes. */
export interface Point {
  measurement: string;
  tags?: Record<string, string>;
  /** number → float, bigint → integer, boolean, string; or an explicit type. */
  fields: Record<string, number | bigint | boolean | string | TypedFieldValue>;
  /** Nanoseconds since the epoch (bigint), or a Date; server time when absent. */
  time?: bigint | Date;
}

export type TypedFieldValue =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint | number }
  | { type: 'unsigned'; value: bigint | number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string };

export interface TagMatcher {
  key: string;
  op: '=' | '!=' | '=~' | '!~';
  /** For =~ and !~ a regular expression, anchored at both ends as in PromQL. */
  value: string;
}

export interface SelectRequest {
  db: string;
  rp?: string;
  measurement: string;
  /** One field, several, or all when absent. */
  field?: string | string[];
  where?: TagMatcher[];
  /** Inclusive lower bound, ns since epoch. */
  start?: bigint;
  /** Exclusive upper bound, ns since epoch. */
  end?: bigint;
}

export type ColumnValues = Float64Array | BigInt64Array | BigUint64Array | Uint8Array | string[];

/** One field of one series: timestamps sorted ascending and unique (last write won). */
export interface SeriesColumn {
  measurement: string;
  /** Canonical series key: escaped measurement and tags sorted by key, as in line protocol. */
  key: string;
  tags: Record<string, string>;
  field: string;
  type: FieldTypeName;
  times: BigInt64Array;
  /** float: Float64Array, integer: BigInt64Array, unsigned: BigUint64Array,
   * boolean: Uint8Array of 0/1, string: string[]. */
  values: ColumnValues;
  /** Set when this series could not be read (a damaged block); times and values are empty. */
  error?: string;
}

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
