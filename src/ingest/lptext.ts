// Text pieces of a line-protocol line: string and boolean field values, unescaping, UTF-8.
//
// Strings: `"..."` where `\"` and `\\` are the only escapes (any other backslash is a
// literal) and newlines are allowed. Keys: `\,`, `\=` and `\ ` are escapes. Bytes are checked
// to be strict UTF-8 only when a token has a byte >= 0x80; pure ASCII is sliced as Latin-1,
// which V8 turns into a one-byte string without decoding.

import type { LineState, Scratch } from './lpstate.js';
import { sliceString } from './lptables.js';

/**
 * Parses the quoted string at p into strs[j]. Returns the offset after the closing quote,
 * or -1 (error in st). Adds the newlines inside the string to st.nl.
 */
export function parseString(b: Buffer, p: number, n: number, strs: string[], j: number, st: LineState, scratch: Scratch): number {
  let q = p + 1;
  let fl = 0; // 1: has escapes, 2: has non-ASCII bytes
  let nl = 0;
  for (;;) {
    if (q >= n) return st.fail(p, 'unbalanced quotes');
    const c = b[q];
    if (c === 34) break;
    if (c === 92) {
      const d = q + 1 < n ? b[q + 1] : 0;
      if (d === 34 || d === 92) fl |= 1;
      else if (d === 10) nl++;
      else if (d >= 128) fl |= 2;
      q += 2;
      continue;
    }
    if (c === 10) nl++;
    else if (c >= 128) fl |= 2;
    q++;
  }
  const s = p + 1;
  if ((fl & 2) !== 0 && !validUtf8(b, s, q)) return st.fail(p, 'invalid UTF-8 in string field value');
  if (nl !== 0) st.nl += nl;
  strs[j] = (fl & 1) === 0 ? sliceString(b, s, q, (fl & 2) !== 0) : unescape(b, s, q, (fl & 2) !== 0, 34, 92, 92, scratch);
  return q + 1;
}

/**
 * Unescapes a key whose bytes b[s, e) the caller scanned: `fl` bit 1 when it has escapes,
 * bit 2 when it has non-ASCII bytes. '' when those are not valid UTF-8.
 */
export function decodeKey(b: Buffer, s: number, e: number, fl: number, scratch: Scratch): string {
  const utf8 = (fl & 2) !== 0;
  if (utf8 && !validUtf8(b, s, e)) return '';
  return (fl & 1) === 0 ? sliceString(b, s, e, utf8) : unescape(b, s, e, utf8, 44, 61, 32, scratch);
}

/** b[s, e) with `\` dropped before the characters x, y and z, as a string. */
function unescape(b: Buffer, s: number, e: number, utf8: boolean, x: number, y: number, z: number, scratch: Scratch): string {
  const out = scratch.get(e - s);
  let w = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === x || d === y || d === z) {
        out[w++] = d;
        i++;
        continue;
      }
    }
    out[w++] = c;
  }
  return sliceString(out, 0, w, utf8);
}

/** t T true True TRUE -> 1, f F false False FALSE -> 0, else -1. */
export function parseBool(b: Buffer, s: number, e: number): number {
  const len = e - s;
  const c = b[s];
  if (len === 1) return c === 116 || c === 84 ? 1 : c === 102 || c === 70 ? 0 : -1;
  if (len === 4) {
    const r = b[s + 1];
    const u = b[s + 2];
    const x = b[s + 3];
    if (c === 116 && r === 114 && u === 117 && x === 101) return 1; // true
    if (c === 84 && ((r === 114 && u === 117 && x === 101) || (r === 82 && u === 85 && x === 69))) return 1; // True TRUE
    return -1;
  }
  if (len === 5) {
    const a = b[s + 1];
    const l = b[s + 2];
    const x = b[s + 3];
    const y = b[s + 4];
    if (c === 102 && a === 97 && l === 108 && x === 115 && y === 101) return 0; // false
    if (c === 70 && ((a === 97 && l === 108 && x === 115 && y === 101) || (a === 65 && l === 76 && x === 83 && y === 69))) return 0;
    return -1;
  }
  return -1;
}

/** Strict UTF-8 check (no overlong forms, surrogates or code points above U+10FFFF). */
export function validUtf8(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c < 0xc2) return false;
    if (c < 0xe0) {
      if (i + 1 >= e || (b[i + 1] & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    // 3 or 4 bytes: continuation bytes, then the first one's range (RFC 3629, section 4)
    const len = c < 0xf0 ? 3 : 4;
    if (c >= 0xf5 || i + len - 1 >= e) return false;
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return false;
    const c1 = b[i + 1];
    if (c === 0xe0 ? c1 < 0xa0 : c === 0xed ? c1 >= 0xa0 : c === 0xf0 ? c1 < 0x90 : c === 0xf4 && c1 >= 0x90) return false;
    i += len;
  }
  return true;
}
