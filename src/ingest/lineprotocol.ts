// InfluxDB line protocol -> PointBatch, straight from the bytes.
//
// Syntax: the standardised grammar of influxdata/line-protocol v2 (see
// ../shared/conformance/line-protocol/line-protocol.ebnf), which the conformance corpus
// follows; error messages are in InfluxDB 1.x style (`unable to parse '<line>': <reason>`).
// Each bad line becomes one entry of `out.errors` and parsing resumes at the next line, so a
// partial write stores the good lines.
//
// Escapes (identical in InfluxDB 1.x and the v2 grammar): in a measurement `\,` and `\ `,
// in tag keys, tag values and field keys also `\=`; any other backslash is a literal. A run
// of backslashes plus the next character is one escape sequence (`a\\ b` is the tag value
// `a\ b`). Because of that rule the raw bytes of every valid token are already the canonical
// escaped form (escape(unescape(raw)) === raw), so the canonical series key is assembled from
// raw byte ranges: as is when the tags are sorted, reordered otherwise (lpseries.ts).
//
// Hot-path design: no per-line strings except the series key, and not even that when the
// raw series section (measurement + tags as written) was seen before: a direct-mapped cache
// maps those raw bytes to the canonical key string; field keys are interned the same way
// (lpcache.ts). The caches belong to a LineProtocolParser, so whoever parses a stream of
// requests owns one and keeps it. Numbers and timestamps: lpnumber.ts; strings: lptext.ts.

import { PointBatch } from './batch.js';
import { FieldKeyCache, SeriesKeyCache } from './lpcache.js';
import { parseNumber, parseTime } from './lpnumber.js';
import { SeriesScanner } from './lpseries.js';
import { LineState, Scratch } from './lpstate.js';
import { charName, PREC_CODE, PRECISION_NS, T_KEY } from './lptables.js';
import { parseBool, parseString } from './lptext.js';
import { BOOLEAN, STRING } from '../types.js';
import type { Precision } from '../types.js';

export { validUtf8 } from './lptext.js';

// The hash constants live here, beside the loop that uses them, and the per-byte and per-line
// code reads no imported scalar: V8 folds a module's own constants into optimized code but
// loads imported ones at each use, which cost 8% of devops throughput when these came from
// lptables.ts (Node 20). The same holds for lpcache.ts and lpseries.ts.
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** Multiplier of the word-at-a-time series hash (2^32 / golden ratio, Knuth's multiplicative hashing). */
const MIX = 0x9e3779b1 | 0;

export interface ParseOptions {
  /** Unit of the timestamps in the body. */
  precision: Precision;
  /** ns since the epoch for lines without a timestamp (truncated to `precision`, as InfluxDB does). */
  defaultTime: bigint;
}

/**
 * Parses line protocol. Holds what makes repeated parsing fast: the interning caches, scratch
 * space, and the shape of recent bodies (to size new batches). A parse runs to completion, so
 * one parser can serve all the requests of its thread; keep it as long as its owner lives.
 */
export class LineProtocolParser {
  private readonly series = new SeriesKeyCache();
  private readonly fieldKeys = new FieldKeyCache();
  private readonly scanner = new SeriesScanner();
  private readonly st = new LineState();
  private readonly scratch = new Scratch();
  /** Shape of recent bodies, to size the next new batch (see newBatch). */
  private bytesPerLine = 64;
  private fieldsPerLine = 4;

  /**
   * Parses line protocol into `out` (a new batch when absent), appending to what it holds.
   * Good lines become points; each bad line becomes an entry of `out.errors` and is skipped.
   */
  parse(input: Buffer, opts: ParseOptions, out?: PointBatch): PointBatch {
    const b = input;
    const n = b.length;
    if (out === undefined) out = this.newBatch(n);
    const prec = PREC_CODE[opts.precision];
    if (prec === undefined) throw new RangeError(`unknown precision ${String(opts.precision)}`);
    // default time, truncated to the precision (InfluxDB's Point.SetPrecision), as two words
    const unit = PRECISION_NS[opts.precision];
    let dt = opts.defaultTime;
    if (unit !== 1n) dt -= ((dt % unit) + unit) % unit;
    const du = BigInt.asUintN(64, dt);
    const dLo = Number(du & 0xffffffffn);
    const dHi = Number(du >> 32n);

    const count0 = out.count;
    const fc0 = out.fieldCount;
    let count = count0;
    let fc = fc0;
    let fType = out.fieldType;
    let fBits = out.fieldBits;
    let fF64 = out.fieldF64;
    const fKey = out.fieldKey;
    const fStr = out.fieldStr;
    const sKey = out.seriesKey;

    // fields and tables as locals: V8 loads them once instead of per byte
    const st = this.st;
    const scratch = this.scratch;
    const sCache = this.series;
    const scanner = this.scanner;
    const fk = this.fieldKeys;
    const tKey = T_KEY;
    const dv = new DataView(b.buffer, b.byteOffset, n);
    const fStamp = fk.stamp;
    const fMask = fStamp.length - 1;
    const pRaw = fk.predRaw;
    const pStr = fk.predStr;
    const pSlot = fk.predSlot;
    const nPred = pRaw.length;
    let ser = fk.serial;

    let p = 0;
    let lineNo = 1;
    while (p < n) {
      const lineStart = p;
      let c = b[p];
      // leading spaces (not tabs), blank lines, comments
      while (c === 32) c = ++p < n ? b[p] : 10;
      if (c === 10 || (c === 13 && (p + 1 >= n || b[p + 1] === 10))) {
        p += c === 10 ? 1 : 2;
        lineNo++;
        continue;
      }
      if (c === 35) {
        p = comment(b, p, n, lineStart, lineNo, out);
        lineNo++;
        continue;
      }
      out.lines++;
      st.nl = 0;
      const pointFields = fc;
      ser = (ser + 1) | 0;

      // ---- series section: cached by its raw bytes, else parsed and canonicalised
      const ls = p;
      let q = p;
      let h = FNV_OFFSET;
      for (;;) {
        // four bytes at a time while none is a space, control character or backslash
        if (q + 4 <= n) {
          const w = dv.getInt32(q, true); // any fixed byte order hashes as well
          const x = w ^ 0x5c5c5c5c;
          if (((((w - 0x21212121) & ~w) | ((x - 0x01010101) & ~x)) & 0x80808080) === 0) {
            h = Math.imul(h ^ w, MIX);
            h ^= h >>> 15;
            q += 4;
            continue;
          }
        }
        if (q >= n) break;
        const d = b[q];
        if (d <= 32 || d === 92) {
          if (d !== 92) break;
          // a run of backslashes and the character after it is one escape sequence
          if (q + 1 < n && b[q + 1] !== 92) {
            h = Math.imul(h ^ ((b[q + 1] << 8) | 92), MIX);
            q += 2;
          } else {
            h = Math.imul(h ^ 92, MIX);
            q++;
          }
          h ^= h >>> 15;
          continue;
        }
        h = Math.imul(h ^ d, MIX);
        h ^= h >>> 15;
        q++;
      }
      const rl = q - ls;
      let key = q < n && b[q] === 32 ? sCache.find(b, dv, ls, rl, h) : '';
      if (key !== '') {
        p = q;
      } else {
        const e = scanner.scan(b, ls, n, st);
        if (e < 0) {
          p = this.fail(out, b, lineStart, lineNo);
          lineNo += st.nl + 1;
          continue;
        }
        key = scanner.key(b, ls, e, scratch);
        p = e;
        if (e === q) sCache.insert(b, ls, rl, h, key);
      }

      // ---- fields
      while (p < n && b[p] === 32) p++;
      let ok = true;
      let more = true;
      if (p >= n || b[p] === 10 || b[p] === 13) {
        st.fail(p, 'missing fields');
        ok = more = false;
      }
      while (more) {
        const ks = p;
        const fi = fc - pointFields;
        let fkey = '';
        let fslot = 0;
        // the key the previous line had at this position? (one pass, no hashing)
        const pr = fi < nPred ? pRaw[fi] : null;
        if (pr !== null) {
          const L = pr.length;
          if (ks + L < n && b[ks + L] === 61) {
            let i = 0;
            while (i < L && b[ks + i] === pr[i]) i++;
            if (i === L) {
              fkey = pStr[fi];
              fslot = pSlot[fi];
              p = ks + L;
            }
          }
        }
        if (fkey === '') {
          // scan the key, hashing it
          let fh = FNV_OFFSET;
          let fl = 0; // 1: needs unescaping, 2: has non-ASCII bytes
          for (;;) {
            if (p >= n) break;
            const d = b[p];
            const k = tKey[d];
            if (k === 0 || d >= 128) {
              if (d >= 128) fl |= 2;
              fh = Math.imul(fh ^ d, FNV_PRIME);
              p++;
              continue;
            }
            if (d === 92) {
              if (p + 1 >= n) break;
              const e = b[p + 1];
              fh = Math.imul(fh ^ 92, FNV_PRIME);
              if (e === 92) {
                p++;
                continue;
              }
              if (e < 32 || e === 127) break;
              if (e === 44 || e === 61 || e === 32) fl |= 1;
              else if (e >= 128) fl |= 2;
              fh = Math.imul(fh ^ e, FNV_PRIME);
              p += 2;
              continue;
            }
            break;
          }
          if (p >= n || b[p] !== 61 || p === ks) {
            st.fail(p, fieldKeyError(b, ks, p, n));
            ok = false;
            break;
          }
          fslot = fh & fMask;
          fkey = fk.intern(b, ks, p, fh, fl, fi, scratch);
          if (fkey === '') {
            st.fail(ks, 'invalid UTF-8 in field key');
            ok = false;
            break;
          }
        }
        if (fkey === 'time') {
          st.fail(ks, 'invalid field name "time"');
          ok = false;
          break;
        }
        // a repeated key in the line: the last value wins, so drop the earlier one (a slot
        // stamped by this point means a key with the same hash came before)
        if (fStamp[fslot] === ser) {
          for (let j = pointFields; j < fc; j++) {
            if (fKey[j] === fkey) {
              removeField(out, j, fc);
              fc--;
              break;
            }
          }
        }
        fStamp[fslot] = ser;
        p++; // '='

        // value
        if (fc >= fType.length) {
          out.fieldCount = fc;
          out.ensureFields(1);
          fType = out.fieldType;
          fBits = out.fieldBits;
          fF64 = out.fieldF64;
        }
        const j = fc;
        fKey[j] = fkey;
        const v = p < n ? b[p] : 10;
        let e: number;
        if ((v >= 48 && v <= 57) || v === 45 || v === 46) {
          e = parseNumber(b, p, n, fType, fBits, fF64, j, st);
        } else if (v === 34) {
          e = parseString(b, p, n, fStr, j, st, scratch);
          fType[j] = STRING;
          fBits[2 * j] = 0;
          fBits[2 * j + 1] = 0;
        } else if (v === 116 || v === 84 || v === 102 || v === 70) {
          e = p + 1;
          while (e < n && ((b[e] | 32) >= 97 && (b[e] | 32) <= 122)) e++;
          const bv = parseBool(b, p, e);
          if (bv < 0) e = st.fail(p, 'invalid boolean');
          fType[j] = BOOLEAN;
          fF64[j] = bv;
        } else {
          e = st.fail(p, v === 10 || v === 13 || v === 32 || v === 44 ? 'missing field value' : 'invalid field format');
        }
        if (e < 0) {
          ok = false;
          break;
        }
        p = e;
        fc++;
        // what follows a value: another field, the timestamp, or the end of the line
        const t = p < n ? b[p] : 10;
        if (t === 44) {
          p++;
          continue;
        }
        if (t === 32 || t === 10 || t === 13) break;
        const type = fType[j];
        st.fail(p, type === STRING ? 'invalid field format' : type === BOOLEAN ? 'invalid boolean' : 'invalid number');
        ok = false;
        break;
      }

      // ---- timestamp and end of line
      let lineEnd = -1;
      if (ok) {
        while (p < n && b[p] === 32) p++;
        const tw = 2 * count;
        if (count + 1 >= out.lineNo.length) {
          out.count = count;
          out.ensurePoint();
        }
        const times = out.time;
        let c2 = p < n ? b[p] : 10;
        if (c2 === 10 || c2 === 13) {
          times[tw] = dLo;
          times[tw + 1] = dHi;
        } else {
          const e = parseTime(b, p, n, times, count, prec, st);
          if (e < 0) ok = false;
          else {
            p = e;
            while (p < n && b[p] === 32) p++;
            c2 = p < n ? b[p] : 10;
            if (c2 !== 10 && c2 !== 13) {
              st.fail(p, 'bad timestamp');
              ok = false;
            }
          }
        }
        if (ok) {
          if (p >= n) {
            lineEnd = n;
          } else if (c2 === 10) {
            lineEnd = p;
            p++;
          } else if (p + 1 >= n || b[p + 1] === 10) {
            lineEnd = p;
            p += 2;
          } else {
            st.fail(p, "invalid character '\\r'");
            ok = false;
          }
        }
      }
      if (!ok) {
        // roll back the fields of the bad line
        fc = pointFields;
        if (fStr.length > fc) fStr.length = fc;
        p = this.fail(out, b, lineStart, lineNo);
        lineNo += st.nl + 1;
        continue;
      }
      sKey[count] = key;
      out.fieldStart[count] = pointFields;
      out.fieldStart[count + 1] = fc;
      out.lineNo[count] = lineNo;
      out.lineStart[count] = lineStart;
      out.lineEnd[count] = lineEnd;
      count++;
      lineNo += st.nl + 1;
    }
    fk.serial = ser;
    const seen = count - count0;
    if (seen > 0) {
      this.bytesPerLine = (this.bytesPerLine + n / seen) / 2;
      this.fieldsPerLine = (this.fieldsPerLine + (fc - fc0) / seen) / 2;
    }
    out.count = count;
    out.fieldCount = fc;
    if (count + 1 >= out.lineNo.length) out.ensurePoint();
    out.fieldStart[count] = fc;
    if (sKey.length > count) sKey.length = count;
    if (fKey.length > fc) fKey.length = fc;
    if (fStr.length > fc) fStr.length = fc;
    return out;
  }

  /** A batch sized for a body of n bytes from the shape of the bodies parsed before, so a
   * request of thousands of lines does not grow its arrays step by step. */
  private newBatch(n: number): PointBatch {
    const lines = Math.min(Math.ceil((n / this.bytesPerLine) * 1.1) + 8, (n >> 2) + 8);
    const fields = Math.min(Math.ceil(lines * this.fieldsPerLine * 1.1) + 8, (n >> 2) + 8);
    const batch = new PointBatch(lines, fields);
    // preallocated (holey) arrays: appending to [] would copy them as they grow
    if (lines <= 1 << 20) batch.seriesKey = new Array<string>(lines);
    if (fields <= 1 << 20) batch.fieldKey = new Array<string>(fields);
    return batch;
  }

  /** Records the error in `st` for the line at `lineStart`; returns where parsing resumes:
   * the start of the line after the error position. */
  private fail(out: PointBatch, b: Buffer, lineStart: number, lineNo: number): number {
    const st = this.st;
    out.errors.push({ line: lineNo, kind: 'syntax', message: lineError(b, lineStart, st.errReason) });
    const i = b.indexOf(10, st.errPos);
    return i < 0 ? b.length : i + 1;
  }
}

/**
 * Parses line protocol with `parser`, by default a new one. A new parser allocates its caches
 * (~200 KB, ~50 µs) and starts them empty, so the default is for tests and one-off parses:
 * code that parses request after request owns a LineProtocolParser and passes it or calls it.
 */
export function parseLineProtocol(input: Buffer, opts: ParseOptions, out?: PointBatch, parser = new LineProtocolParser()): PointBatch {
  return parser.parse(input, opts, out);
}

/** Skips the comment at p (printable characters and tabs up to the end of the line), records
 * it as a bad line if it has other control characters, and returns the next line's start. */
function comment(b: Buffer, p: number, n: number, lineStart: number, lineNo: number, out: PointBatch): number {
  let q = p + 1;
  let bad = false;
  for (; q < n; q++) {
    const d = b[q];
    if (d === 10) break;
    if ((d < 32 && d !== 9) || d === 127) {
      if (d === 13 && (q + 1 >= n || b[q + 1] === 10)) continue;
      bad = true;
    }
  }
  if (bad) {
    out.lines++;
    out.errors.push({ line: lineNo, kind: 'syntax', message: lineError(b, lineStart, 'invalid character in comment') });
  }
  return q + 1;
}

/** InfluxDB 1.x style: `unable to parse '<line, cut to 100 characters>': <reason>`. */
function lineError(b: Buffer, start: number, reason: string): string {
  let end = b.indexOf(10, start);
  if (end < 0) end = b.length;
  if (end > start && b[end - 1] === 13) end--;
  const cut = end - start > 400 ? start + 400 : end;
  let text = b.toString('utf8', start, cut);
  if (text.length > 100 || cut < end) text = text.slice(0, 100) + '...';
  return `unable to parse '${text}': ${reason}`;
}

/** Why a field key ended at p without its `=`. */
function fieldKeyError(b: Buffer, ks: number, p: number, n: number): string {
  const c = p < n ? b[p] : 10;
  if (c === 92) return 'invalid escape in field key';
  if (p === ks) return 'missing field key';
  if (c === 10 || c === 13 || c === 32 || c === 44) return 'missing field value';
  return `invalid character ${charName(c)} in field key`;
}

/** Removes field j of the current point (a repeated key: the later value wins). */
function removeField(out: PointBatch, j: number, fc: number): void {
  const t = out.fieldType;
  const bits = out.fieldBits;
  const k = out.fieldKey;
  const s = out.fieldStr;
  for (let i = j; i < fc - 1; i++) {
    t[i] = t[i + 1];
    bits[2 * i] = bits[2 * i + 2];
    bits[2 * i + 1] = bits[2 * i + 3];
    k[i] = k[i + 1];
    s[i] = s[i + 1];
  }
  if (s.length > fc - 1) s.length = fc - 1;
}
