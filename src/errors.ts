// One registry of every error Strata raises on purpose (the fastify FST_ERR_* pattern):
// a stable code, the HTTP status the server answers with, and a message that tells the
// user what to do. `docs/errors.md` lists every code; a test checks that it does.

export class StrataError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'StrataError';
    this.code = code;
    this.status = status;
  }
}

/** Bad input from a client: the request is refused, stored data is untouched. */
export class BadRequestError extends StrataError {
  constructor(code: string, message: string, status = 400) {
    super(code, status, message);
    this.name = 'BadRequestError';
  }
}

/** A file on disk is damaged. Carries the file and byte offset so an operator can act. */
export class CorruptionError extends StrataError {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, detail: string) {
    super(
      'STRATA_ERR_CORRUPT',
      500,
      `corrupt data in ${file} at offset ${offset}: ${detail}; restore the file from a backup, or run \`strata repair-wal --data-dir DIR\` (or start with --repair-wal) to cut the damaged WAL segment at this offset and keep the rest`,
    );
    this.name = 'CorruptionError';
    this.file = file;
    this.offset = offset;
  }
}

/** The server is behind (memtables at their memory budget): retry after `retryAfter` s. */
export class OverloadedError extends StrataError {
  readonly retryAfter: number;
  constructor(message: string, retryAfter: number) {
    super('STRATA_ERR_OVERLOADED', 503, message);
    this.name = 'OverloadedError';
    this.retryAfter = retryAfter;
  }
}

export const ERROR_CODES = {
  STRATA_ERR_DATABASE_REQUIRED: 'the write names no database: pass ?db= (v1) or ?bucket= (v2)',
  STRATA_ERR_DATABASE_NOT_FOUND: 'the database does not exist and auto-create is off: create it first',
  STRATA_ERR_RP_NOT_FOUND: 'the retention policy named by ?rp= does not exist in the database',
  STRATA_ERR_TIER_READ_ONLY: 'the write names a downsampling tier\'s retention policy (`<rp>:<resolution>`): only the downsampler writes there; write to the parent policy',
  STRATA_ERR_INVALID_NAME: 'a database or retention policy name is empty, too long or has a forbidden character',
  STRATA_ERR_BAD_PRECISION: 'the precision parameter is not one of ns, us, ms, s (v1 also n, u, m, h)',
  STRATA_ERR_BAD_PARAMETER: 'a query-string parameter has a value Strata cannot use; the message names it',
  STRATA_ERR_BODY_TOO_LARGE: 'the request body (after decompression) is over the configured limit: send smaller batches',
  STRATA_ERR_BAD_GZIP: 'the body claims Content-Encoding: gzip but does not decompress',
  STRATA_ERR_UNSUPPORTED_ENCODING: 'the Content-Encoding is not identity or gzip',
  STRATA_ERR_BAD_PREDICATE: 'a delete predicate does not parse or uses what deletes do not support (OR, regular expressions, _field); the message names the place',
  STRATA_ERR_PARTIAL_WRITE: 'some lines of a write were rejected; the others were stored. The message names the first bad lines',
  STRATA_ERR_FIELD_TYPE_CONFLICT: 'a field was written with a type other than the one already stored for it',
  STRATA_ERR_CORRUPT: 'a data file is damaged; the message names the file and offset',
  STRATA_ERR_CLOSED: 'the database is closed or shutting down',
  STRATA_ERR_LOCKED: 'another live process has the data directory open (its pid is in the LOCK file): stop it first',
  STRATA_ERR_OVERLOADED: 'writes arrive faster than memtables reach disk and memory is at its budget (the server is flushing), or a gateway\'s forwarding backlog is at its cap with --forward-policy refuse: retry after Retry-After seconds',
  STRATA_ERR_WAL: 'the write-ahead log could not be written; the write was not acknowledged',
  STRATA_ERR_CARDINALITY: 'a write would create a series beyond the database\'s series limit: raise the limit or delete unused series; existing series still accept writes',
  STRATA_ERR_INDEX: 'a series index file could not be written or synced; the series was not created',
  STRATA_ERR_BAD_MQTT_PAYLOAD: 'an MQTT message could not be turned into points (format, JSON path, number); the message names the topic and the line or byte. It is acknowledged and skipped',
  STRATA_ERR_MQTT_CONFIG: 'an MQTT subscription (--mqtt-topic or the config file) is malformed; the message names the subscription and the option',
  STRATA_ERR_BAD_REMOTE_WRITE: 'a Prometheus remote-write body is not a snappy-compressed prometheus.WriteRequest (1.0) or io.prometheus.write.v2.Request (2.0); the message says what is wrong',
  STRATA_ERR_BAD_REMOTE_READ: 'a Prometheus remote-read body is not a snappy-compressed prometheus.ReadRequest, or accepts no response type Strata serves (SAMPLES); the message says what is wrong',
  STRATA_ERR_REMOTE_READ_LIMIT: 'a Prometheus remote-read request would return more samples than the query sample limit (--query-max-samples): narrow its time range or matchers',
  STRATA_ERR_SQL_SYNTAX: 'a SQL statement (POST /sql) does not parse; the message names the line and column',
  STRATA_ERR_SQL: 'a SQL statement parses but cannot run: unknown column, type mismatch, bad value for a column; the message says which',
  STRATA_ERR_SQL_TABLE_NOT_FOUND: 'a SQL statement names a table that is neither created by CREATE TABLE nor a measurement of the database',
  STRATA_ERR_UNSUPPORTED_REMOTE_WRITE: 'a Prometheus remote-write request names a protobuf message (Content-Type proto=) other than prometheus.WriteRequest (1.0) or io.prometheus.write.v2.Request (2.0)',
  STRATA_ERR_BAD_JSON: 'a /kv or /doc body (or stored value) is not valid JSON, or a document is not a JSON object; the message says where',
  STRATA_ERR_BAD_VIEW_NAME: 'a /kv namespace or key, or a /doc collection, id or field path, is empty, too long or has a forbidden character',
  STRATA_ERR_KEY_NOT_FOUND: 'the /kv key was never written, is deleted or has expired (at the time asked for)',
  STRATA_ERR_DOC_NOT_FOUND: 'the /doc document was never written or is deleted (at the time asked for)',
  STRATA_ERR_DOC_EXISTS: 'POST /doc/:collection named an id that is already live: PUT replaces a document',
  STRATA_ERR_PRECONDITION_FAILED: 'If-Match or If-None-Match does not hold for the current version: read the key or document again and retry',
  STRATA_ERR_VIEW_WRITE: 'the engine refused a /kv or /doc change (series limit, field type conflict, retention); nothing was stored',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function badRequest(code: ErrorCode, message: string, status = 400): BadRequestError {
  return new BadRequestError(code, message, status);
}

export function databaseNotFound(db: string): StrataError {
  return new StrataError('STRATA_ERR_DATABASE_NOT_FOUND', 404, `database not found: "${db}"`);
}

export function closedError(): StrataError {
  return new StrataError('STRATA_ERR_CLOSED', 503, 'database is closed');
}

/**
 * A new series would take the database past its series limit. 422, not 429: the limit
 * does not lift by waiting, and clients (Telegraf, the InfluxDB client libraries) retry a
 * 429 with the same batch forever; a 422 is reported and not retried.
 */
export function cardinalityError(db: string, limit: number, key: string): StrataError {
  const shown = key.length > 200 ? `${key.slice(0, 200)}…` : key;
  return new StrataError(
    'STRATA_ERR_CARDINALITY',
    422,
    `database "${db}" has reached its limit of ${limit} series, so the new series ${JSON.stringify(shown)} was not created (writes to existing series still succeed): raise the database's maxSeries limit (0 = no limit), or delete series that are no longer written`,
  );
}
