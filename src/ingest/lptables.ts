// Constant tables of the line-protocol parser (lineprotocol.ts): precisions, byte classes,
// and small pure string helpers. Nothing here changes after module load. The scalars the
// hot loops compare against are not here but beside those loops: see lineprotocol.ts.

import type { Precision } from '../types.js';

export const PRECISION_NS: Record<Precision, bigint> = {
  ns: 1n,
  us: 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};
/** Precisions as the small integers parseTime switches on. */
export const PREC_CODE: Record<Precision, number> = { ns: 0, us: 1, ms: 2, s: 3, m: 4, h: 5 };

// ---- byte classes ------------------------------------------------------------------------

const K_SPACE = 1;
const K_COMMA = 2;
const K_EQ = 3;
const K_BSL = 4;
const K_CTRL = 5;
const K_NL = 6; // \n and \r
const K_HIGH = 7;

function table(stops: Record<number, number>, ctrl: boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 32; c++) t[c] = ctrl ? K_CTRL : 0;
  t[127] = ctrl ? K_CTRL : 0;
  for (let c = 128; c < 256; c++) t[c] = K_HIGH;
  t[10] = K_NL;
  t[13] = K_NL;
  t[92] = K_BSL;
  for (const k of Object.keys(stops)) t[Number(k)] = stops[Number(k)];
  return t;
}
/** Measurement: ends at an unescaped space or comma; no control characters. */
export const T_MEAS = table({ 32: K_SPACE, 44: K_COMMA }, true);
/** Tag keys and field keys: also end at `=`. */
export const T_KEY = table({ 32: K_SPACE, 44: K_COMMA, 61: K_EQ }, true);
/** Tag values: like keys, but control characters other than CR/LF are allowed (corpus). */
export const T_TVAL = table({ 32: K_SPACE, 44: K_COMMA, 61: K_EQ }, false);

// ---- strings -------------------------------------------------------------------------------

/** Node's Buffer has these natives (faster than toString(enc, s, e)); they are not in @types/node. */
export interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** b[s, e) as a string: UTF-8 when `utf8` (already validated), else Latin-1 (pure ASCII). */
export function sliceString(b: Uint8Array, s: number, e: number, utf8: boolean): string {
  const fb = b as unknown as FastSlices;
  return utf8 ? fb.utf8Slice(s, e) : fb.latin1Slice(s, e);
}

/** How an error message names a byte. */
export function charName(c: number): string {
  if (c === 10) return 'end of line';
  if (c >= 32 && c < 127) return `'${String.fromCharCode(c)}'`;
  return `'\\x${c.toString(16).padStart(2, '0')}'`;
}
