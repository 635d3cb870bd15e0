// The series section of a line (measurement and tags) -> canonical series key.
//
// Because a run of backslashes plus the next character is one escape sequence, the raw bytes
// of every valid token are already in canonical escaped form (see lineprotocol.ts), so the
// key is the section as written when its tags are sorted, and the same byte ranges
// reordered otherwise. Tags sort by their unescaped key bytes, as seriesKey.ts defines.

import type { LineState, Scratch } from './lpstate.js';
import { charName, sliceString, T_KEY, T_MEAS, T_TVAL } from './lptables.js';
import { validUtf8 } from './lptext.js';

/**
 * Scans series sections into the byte ranges of their tokens (`scan`), then makes the key
 * (`key`). One per parser: the ranges are scratch space reused from line to line.
 */
export class SeriesScanner {
  private tKS = new Int32Array(64);
  private tKE = new Int32Array(64);
  private tVS = new Int32Array(64);
  private tVE = new Int32Array(64);
  private tOrd = new Int32Array(64);
  // what scan() found, for key()
  private measEnd = 0;
  private tags = 0;
  private sorted = true;
  private high = false;

  /**
   * Checks the section at `ls` and records its tokens. Returns the offset of the space that
   * ends it, or -1 (error in st).
   */
  scan(b: Buffer, ls: number, n: number, st: LineState): number {
    this.high = false;
    let p = this.scanToken(b, ls, n, T_MEAS);
    if (p < 0) return st.fail(~p, 'invalid escape in measurement');
    const me = p;
    let c = p < n ? b[p] : 10;
    if (me === ls) {
      if (c === 44) return st.fail(p, 'missing measurement');
      return st.fail(p, `invalid character ${charName(c)} at start of measurement`);
    }
    if (c !== 32 && c !== 44) {
      if (c === 10 || c === 13) return st.fail(p, 'missing fields');
      return st.fail(p, `invalid character ${charName(c)} in measurement`);
    }
    let nt = 0;
    let sorted = true;
    while (c === 44) {
      if (nt === this.tKS.length) this.grow();
      const ks = p + 1;
      p = this.scanToken(b, ks, n, T_KEY);
      if (p < 0) return st.fail(~p, 'invalid escape in tag key');
      c = p < n ? b[p] : 10;
      if (c !== 61) {
        if (p === ks) return st.fail(p, c === 10 || c === 13 || c === 32 ? 'missing fields' : 'missing tag key');
        if (c === 10 || c === 13 || c === 32 || c === 44) return st.fail(p, 'missing tag value');
        return st.fail(p, `invalid character ${charName(c)} in tag key`);
      }
      if (p === ks) return st.fail(p, 'missing tag key');
      const ke = p;
      if (ke - ks === 4 && b[ks] === 116 && b[ks + 1] === 105 && b[ks + 2] === 109 && b[ks + 3] === 101) {
        return st.fail(ks, 'invalid tag key "time"');
      }
      const vs = ke + 1;
      p = this.scanToken(b, vs, n, T_TVAL);
      if (p < 0) return st.fail(~p, 'invalid escape in tag value');
      c = p < n ? b[p] : 10;
      if (p === vs) return st.fail(p, 'missing tag value');
      if (c === 61) return st.fail(p, 'invalid tag format');
      this.tKS[nt] = ks;
      this.tKE[nt] = ke;
      this.tVS[nt] = vs;
      this.tVE[nt] = p;
      if (nt > 0 && sorted) {
        const r = compareKeys(b, this.tKS[nt - 1], this.tKE[nt - 1], ks, ke);
        if (r === 0) return st.fail(ks, 'duplicate tags');
        if (r > 0) sorted = false;
      }
      nt++;
    }
    if (c !== 32) return st.fail(p, 'missing fields');
    if (this.high && !validUtf8(b, ls, p)) return st.fail(ls, 'invalid UTF-8 in measurement or tags');
    if (!sorted && !this.sort(b, nt, st)) return -1;
    this.measEnd = me;
    this.tags = nt;
    this.sorted = sorted;
    return p;
  }

  /** The canonical key of the section b[ls, end) that scan() just accepted. */
  key(b: Buffer, ls: number, end: number, scratch: Scratch): string {
    if (this.sorted) return sliceString(b, ls, end, this.high);
    const { tKS, tKE, tVS, tVE, tOrd } = this;
    const s = scratch.get(end - ls + 1);
    let w = 0;
    for (let i = ls; i < this.measEnd; i++) s[w++] = b[i];
    for (let t = 0; t < this.tags; t++) {
      const o = tOrd[t];
      s[w++] = 44;
      for (let i = tKS[o], e = tKE[o]; i < e; i++) s[w++] = b[i];
      s[w++] = 61;
      for (let i = tVS[o], e = tVE[o]; i < e; i++) s[w++] = b[i];
    }
    return sliceString(s, 0, w, this.high);
  }

  /**
   * Scans a measurement, tag key or tag value from p to the first byte that ends it: one its
   * table (lptables.ts) does not class as plain (0), other than a backslash or a byte >= 0x80
   * (compared as bytes, not as the tables' imported class codes: see lineprotocol.ts).
   * Returns that offset, or ~offset (< 0) of a bad escape.
   */
  private scanToken(b: Buffer, p: number, n: number, table: Uint8Array): number {
    while (p < n) {
      const c = b[p];
      if (table[c] === 0) {
        p++;
      } else if (c >= 128) {
        this.high = true;
        p++;
      } else if (c === 92) {
        const e = escapeLen(b, p, n);
        if (e < 0) return ~p;
        p += e;
      } else {
        break;
      }
    }
    return p;
  }

  /** Insertion sort of the tags into tOrd by unescaped key bytes; false on a duplicate key. */
  private sort(b: Buffer, nt: number, st: LineState): boolean {
    const { tKS, tKE, tOrd } = this;
    for (let i = 0; i < nt; i++) {
      let j = i;
      while (j > 0) {
        const o = tOrd[j - 1];
        const r = compareKeys(b, tKS[o], tKE[o], tKS[i], tKE[i]);
        if (r === 0) {
          st.fail(tKS[i], 'duplicate tags');
          return false;
        }
        if (r < 0) break;
        tOrd[j] = o;
        j--;
      }
      tOrd[j] = i;
    }
    return true;
  }

  private grow(): void {
    const g = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.tKS = g(this.tKS);
    this.tKE = g(this.tKE);
    this.tVS = g(this.tVS);
    this.tVE = g(this.tVE);
    this.tOrd = g(this.tOrd);
  }
}

/** Length of the escape sequence at the backslash at `p` (1 inside a run of backslashes, 2
 * at its end), or -1 when the escaped character is a control character or absent. */
function escapeLen(b: Buffer, p: number, n: number): number {
  if (p + 1 >= n) return -1;
  const d = b[p + 1];
  if (d === 92) return 1;
  if (d < 32 || d === 127) return -1;
  return 2;
}

/** Byte order of two tag keys after unescaping (`\,` `\=` `\ `). */
function compareKeys(b: Buffer, as: number, ae: number, bs: number, be: number): number {
  let i = as;
  let j = bs;
  while (i < ae && j < be) {
    let x = b[i];
    let y = b[j];
    if (x === 92 && i + 1 < ae) {
      const d = b[i + 1];
      if (d === 44 || d === 61 || d === 32) {
        x = d;
        i++;
      }
    }
    if (y === 92 && j + 1 < be) {
      const d = b[j + 1];
      if (d === 44 || d === 61 || d === 32) {
        y = d;
        j++;
      }
    }
    if (x !== y) return x - y;
    i++;
    j++;
  }
  return (ae - i) - (be - j);
}
