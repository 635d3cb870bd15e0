// SQL errors: syntax errors name the line and column (1-based) of the offending token.

import { StrataError } from '../../errors.js';

export function lineCol(src: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

/** A statement that does not parse: 400, with `line L, column C: ...`. */
export function sqlSyntaxError(src: string, pos: number, message: string): StrataError {
  const { line, column } = lineCol(src, pos);
  return new StrataError('STRATA_ERR_SQL_SYNTAX', 400, `line ${line}, column ${column}: ${message}`);
}

/** A statement that parses but cannot run (unknown column, type mismatch, ...): 400. */
export function sqlError(message: string, src?: string, pos?: number): StrataError {
  if (src === undefined || pos === undefined) return new StrataError('STRATA_ERR_SQL', 400, message);
  const { line, column } = lineCol(src, pos);
  return new StrataError('STRATA_ERR_SQL', 400, `line ${line}, column ${column}: ${message}`);
}

/** The table named by a statement does not exist: 404. */
export function tableNotFound(db: string, table: string): StrataError {
  return new StrataError('STRATA_ERR_SQL_TABLE_NOT_FOUND', 404, `table "${table}" not found in database "${db}": create it with CREATE TABLE, or write points to the measurement`);
}
