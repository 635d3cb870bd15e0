// SQL over series: the library API (docs/sql.md).
export { executeSql, executeSqlAll, sqlResultToJson, DEFAULT_SQL_DATABASE, type SqlColumn, type SqlOptions, type SqlResult, type SqlValue } from './execute.js';
export { parseSql } from './parser.js';
export type { Statement } from './ast.js';
