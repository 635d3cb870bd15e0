// Table schemas of CREATE TABLE, stored as a series in the table's own database:
// measurement `_sql_tables`, tag `table=<name>`, string field `schema` holding the JSON
// of the columns. Written with engine.write, so a schema goes through the same WAL, fsync
// and replay as any point; DROP TABLE deletes the series' points. The newest point wins.

import type { Database } from '../../engine/database.js';
import type { SqlType } from './ast.js';

export const SCHEMA_MEASUREMENT = '_sql_tables';
/** The hidden tag that keys the rows of a table without TAG columns (docs/sql.md). */
export const ROW_TAG = '_row';

export interface TableColumn {
  name: string;
  type: SqlType;
  tag: boolean;
}

export interface TableSchema {
  version: 1;
  columns: TableColumn[];
}

export function readSchema(engine: Database, db: string, table: string): TableSchema | undefined {
  if (!engine.hasDatabase(db)) return undefined;
  const cols = engine.select({ db, measurement: SCHEMA_MEASUREMENT, field: 'schema', where: [{ key: 'table', op: '=', value: table }] });
  for (const c of cols) {
    const values = c.values as string[];
    if (values.length === 0) continue;
    const parsed = JSON.parse(values[values.length - 1]) as TableSchema;
    return parsed;
  }
  return undefined;
}

export async function writeSchema(engine: Database, db: string, table: string, schema: TableSchema, now: bigint): Promise<void> {
  if (!engine.hasDatabase(db)) await engine.createDatabase(db);
  const res = await engine.write([{ measurement: SCHEMA_MEASUREMENT, tags: { table }, fields: { schema: JSON.stringify(schema) }, time: now }], { db });
  if (res.errors.length > 0) throw new Error(`could not store the schema of table "${table}": ${res.errors[0].message}`);
}

export async function deleteSchema(engine: Database, db: string, table: string): Promise<void> {
  await engine.dropSeries({ db, measurement: SCHEMA_MEASUREMENT, where: [{ key: 'table', op: '=', value: table }] });
}
