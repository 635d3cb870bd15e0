// Tokens of the SQL subset. Keywords are case-insensitive; identifiers keep their case
// (bare or "double-quoted"); strings are 'single-quoted' with '' for a quote.

import { sqlSyntaxError } from './errors.js';

export type TokenKind = 'ident' | 'qident' | 'string' | 'number' | 'param' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** ident: as written; qident/string: the unquoted text; op: the operator; param: "?" or the number. */
  text: string;
  pos: number;
}

const OPS = ['<=', '>=', '<>', '!=', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', ';'];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '-' && src[i + 1] === '-') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw sqlSyntaxError(src, i, 'unterminated /* comment');
      i = end + 2;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_]/.test(src[i])) i++;
      out.push({ kind: 'ident', text: src.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      while (i < n && /[0-9]/.test(src[i])) i++;
      if (src[i] === '.') {
        i++;
        while (i < n && /[0-9]/.test(src[i])) i++;
      }
      if ((src[i] === 'e' || src[i] === 'E') && /[0-9+-]/.test(src[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(src[i])) i++;
      }
      if (i < n && /[A-Za-z_]/.test(src[i])) throw sqlSyntaxError(src, start, `invalid number "${src.slice(start, i + 1)}"`);
      out.push({ kind: 'number', text: src.slice(start, i), pos: start });
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      let s = '';
      for (;;) {
        if (i >= n) throw sqlSyntaxError(src, start, c === "'" ? 'unterminated string' : 'unterminated quoted identifier');
        if (src[i] === c) {
          if (src[i + 1] === c) {
            s += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ kind: c === "'" ? 'string' : 'qident', text: s, pos: start });
      continue;
    }
    if (c === '?') {
      out.push({ kind: 'param', text: '?', pos: start });
      i++;
      continue;
    }
    if (c === '$') {
      i++;
      while (i < n && /[0-9]/.test(src[i])) i++;
      if (i === start + 1) throw sqlSyntaxError(src, start, 'expected a parameter number after "$" (as in $1)');
      out.push({ kind: 'param', text: src.slice(start + 1, i), pos: start });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw sqlSyntaxError(src, start, `unexpected character ${JSON.stringify(c)}`);
    out.push({ kind: 'op', text: op === '<>' ? '!=' : op, pos: start });
    i += op.length;
  }
  out.push({ kind: 'eof', text: '', pos: n });
  return out;
}
