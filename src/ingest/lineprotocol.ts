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
// raw byte ranges: as is when the tags are sorted, reordered otherwise.
//
// Hot-path design: no per-line strings except the series key, and not even that when the
// raw series section (measurement + tags as written) was seen before: a direct-mapped cache
// maps those raw bytes to the canonical key string (the mapping is a pure function of the
// bytes, so the cache is shared by all calls). Field keys are interned the same way. Floats
// take a Clinger fast path (mantissa < 2^53, |exponent| <= 22: one exact IEEE operation);
// other floats go through Number() after this file has validated the syntax. Integers and
// timestamps are assembled exactly as two 32-bit words (src/int64.ts), never via BigInt.

import { PointBatch } from './batch.js';
import { setDecimal } from '../int64.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { Precision } from '../types.js';

export interface ParseOptions {
  /** Unit of the timestamps in the body. */
  precision: Precision;
  /** ns since the epoch for lines without a timestamp (truncated to `precision`, as InfluxDB does). */
  defaultTime: bigint;
}

/** Node's Buffer has these natives (faster than toString(enc, s, e)); they are not in @types/node. */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const PRECISION_NS: Record<Precision, bigint> = {
  ns: 1n,
  us: 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};
const PREC_CODE: Record<Precision, number> = { ns: 0, us: 1, ms: 2, s: 3, m: 4, h: 5 };

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
const T_MEAS = table({ 32: K_SPACE, 44: K_COMMA }, true);
/** Tag keys and field keys: also end at `=`. */
const T_KEY = table({ 32: K_SPACE, 44: K_COMMA, 61: K_EQ }, true);
/** Tag values: like keys, but control characters other than CR/LF are allowed (corpus). */
const T_TVAL = table({ 32: K_SPACE, 44: K_COMMA, 61: K_EQ }, false);

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const MIX = 0x9e3779b1 | 0;
/** Platform byte order, for DataView reads that match Int32Array views. */
const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const P10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

// ---- caches (module level: the raw-bytes -> string mappings are pure) ------------------------

const SK_SIZE = 8192; // series-section cache slots
const SK_MAXLEN = 1024;
const skHash = new Int32Array(SK_SIZE);
const skRaw: (Uint8Array | null)[] = new Array<Uint8Array | null>(SK_SIZE).fill(null);
/** The raw bytes as platform-order 32-bit words (compared four bytes at a time). */
const skWords: (Int32Array | null)[] = new Array<Int32Array | null>(SK_SIZE).fill(null);
const skLen = new Int32Array(SK_SIZE);
const skStr: string[] = new Array<string>(SK_SIZE).fill('');

const FK_SIZE = 2048; // field-key cache slots
const FK_MAXLEN = 256;
const fkHash = new Int32Array(FK_SIZE);
const fkRaw: (Uint8Array | null)[] = new Array<Uint8Array | null>(FK_SIZE).fill(null);
const fkStr: string[] = new Array<string>(FK_SIZE).fill('');
/** Point serial that last used each field-key slot: finds repeated field keys in O(1). */
const fkStamp = new Int32Array(FK_SIZE);
let serial = 0;
/** Field keys of the previous line by position: lines of one shape repeat them, and a
 * byte compare against the prediction is cheaper than hashing. */
const PRED = 64;
const predRaw: (Uint8Array | null)[] = new Array<Uint8Array | null>(PRED).fill(null);
const predStr: string[] = new Array<string>(PRED).fill('');
const predSlot = new Int32Array(PRED);

// ---- scratch and out-parameters of the helpers ----------------------------------------------

let gErr = ''; // reason of the last error
let gPos = 0; // byte offset the error was found at (parsing resumes after the next newline)
let gNl = 0; // newlines inside string values of the current point
let gType = 0; // field type parsed by parseNumber
let gKey = ''; // series key made by parseSeries
let gStr = ''; // string made by parseString

let tKS = new Int32Array(64);
let tKE = new Int32Array(64);
let tVS = new Int32Array(64);
let tVE = new Int32Array(64);
let tOrd = new Int32Array(64);
let scratch = Buffer.allocUnsafe(4096);

function growTags(): void {
  const g = (a: Int32Array) => {
    const b = new Int32Array(a.length * 2);
    b.set(a);
    return b;
  };
  tKS = g(tKS);
  tKE = g(tKE);
  tVS = g(tVS);
  tVE = g(tVE);
  tOrd = g(tOrd);
}

function ensureScratch(n: number): Buffer {
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  return scratch;
}

// ---- the parser ----------------------------------------------------------------------------

/**
 * Parses line protocol into `out` (a new batch when absent), appending to what it holds.
 * Good lines become points; each bad line becomes an entry of `out.errors` and is skipped.
 */
export function parseLineProtocol(input: Buffer, opts: ParseOptions, out?: PointBatch): PointBatch {
  const b = input;
  const n = b.length;
  if (out === undefined) out = newBatch(n);
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

  // module-level tables as locals: V8 loads them once instead of per byte
  const tKey = T_KEY;
  const sHash = skHash;
  const sRaw = skRaw;
  const sWords = skWords;
  const sLen = skLen;
  const sStr = skStr;
  const dv = new DataView(b.buffer, b.byteOffset, n);
  const fHash = fkHash;
  const fRaw = fkRaw;
  const fStrs = fkStr;
  const fStamp = fkStamp;
  const pRaw = predRaw;
  const pStr = predStr;
  const pSlot = predSlot;
  let ser = serial;

  let p = 0;
  let lineNo = 1;
  while (p < n) {
    const lineStart = p;
    let c = b[p];
    // leading spaces (not tabs), blank lines, comments
    while (c === 32) c = ++p < n ? b[p] : 10;
    if (c === 10) {
      p++;
      lineNo++;
      continue;
    }
    if (c === 13 && (p + 1 >= n || b[p + 1] === 10)) {
      p += 2;
      lineNo++;
      continue;
    }
    if (c === 35) {
      // comment: printable characters and tabs up to the end of the line
      let q = p + 1;
      let bad = -1;
      for (; q < n; q++) {
        const d = b[q];
        if (d === 10) break;
        if ((d < 32 && d !== 9) || d === 127) {
          if (d === 13 && (q + 1 >= n || b[q + 1] === 10)) continue;
          if (bad < 0) bad = q;
        }
      }
      if (bad >= 0) {
        out.lines++;
        out.errors.push({ line: lineNo, kind: 'syntax', message: lineError(b, lineStart, 'invalid character in comment') });
      }
      p = q + 1;
      lineNo++;
      continue;
    }
    out.lines++;
    gNl = 0;
    const pointFields = fc;
    ser = (ser + 1) | 0;

    // ---- series section: cached by its raw bytes, else parsed and canonicalised
    const ls = p;
    let q = p;
    let h = FNV_OFFSET;
    for (;;) {
      // four bytes at a time while none is a space, control character or backslash
      if (q + 4 <= n) {
        const w = dv.getInt32(q, LE);
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
    let key: string;
    const slot = h & (SK_SIZE - 1);
    const words = sWords[slot];
    const rl = q - ls;
    hit: {
      if (words !== null && sHash[slot] === h && sLen[slot] === rl && q < n && b[q] === 32) {
        const nw = rl >> 2;
        let i = 0;
        while (i < nw && dv.getInt32(ls + 4 * i, LE) === words[i]) i++;
        if (i === nw) {
          const raw = sRaw[slot] as Uint8Array;
          i <<= 2;
          while (i < rl && raw[i] === b[ls + i]) i++;
          if (i === rl) {
            key = sStr[slot];
            p = q;
            break hit;
          }
        }
      }
      const e = parseSeries(b, ls, n);
      if (e < 0) {
        fail(out, b, lineStart, lineNo);
        p = resync(b, n);
        lineNo += gNl + 1;
        continue;
      }
      key = gKey;
      p = e;
      if (e === q && rl <= SK_MAXLEN) {
        const copy = new Uint8Array((rl + 3) & ~3);
        copy.set(b.subarray(ls, q));
        sHash[slot] = h;
        sLen[slot] = rl;
        sRaw[slot] = copy;
        sWords[slot] = new Int32Array(copy.buffer, 0, rl >> 2);
        sStr[slot] = key;
      }
    }

    // ---- fields
    while (p < n && b[p] === 32) p++;
    let ok = true;
    let more = true;
    if (p >= n || b[p] === 10 || b[p] === 13) {
      gErr = 'missing fields';
      gPos = p;
      ok = false;
      more = false;
    }
    while (more) {
      const ks = p;
      const fi = fc - pointFields;
      let fkey = '';
      let fslot = 0;
      let kl = 0;
      // the key the previous line had at this position? (one pass, no hashing)
      const pr = fi < PRED ? pRaw[fi] : null;
      if (pr !== null) {
        const L = pr.length;
        if (ks + L < n && b[ks + L] === 61) {
          let i = 0;
          while (i < L && b[ks + i] === pr[i]) i++;
          if (i === L) {
            fkey = pStr[fi];
            fslot = pSlot[fi];
            kl = L;
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
          if (k === 0) {
            fh = Math.imul(fh ^ d, FNV_PRIME);
            p++;
            continue;
          }
          if (k === K_HIGH) {
            fl |= 2;
            fh = Math.imul(fh ^ d, FNV_PRIME);
            p++;
            continue;
          }
          if (k === K_BSL) {
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
        if (p >= n || b[p] !== 61) {
          ok = false;
          gPos = p;
          gErr = fieldKeyError(b, ks, p, n);
          break;
        }
        if (p === ks) {
          ok = false;
          gPos = p;
          gErr = 'missing field key';
          break;
        }
        // intern the key
        fslot = fh & (FK_SIZE - 1);
        const fraw = fRaw[fslot];
        kl = p - ks;
        if (fraw !== null && fHash[fslot] === fh && fraw.length === kl) {
          let i = 0;
          while (i < kl && fraw[i] === b[ks + i]) i++;
          if (i === kl) fkey = fStrs[fslot];
        }
        if (fkey === '') {
          fkey = decodeKey(b, ks, p, fl, 44, 61, 32);
          if (fkey === '') {
            ok = false;
            gPos = ks;
            gErr = 'invalid UTF-8 in field key';
            break;
          }
          if (kl <= FK_MAXLEN) {
            fHash[fslot] = fh;
            fRaw[fslot] = Uint8Array.prototype.slice.call(b, ks, p);
            fStrs[fslot] = fkey;
          }
        }
        if (fi < PRED && kl <= FK_MAXLEN) {
          pRaw[fi] = fRaw[fslot];
          pStr[fi] = fkey;
          pSlot[fi] = fslot;
        }
      }
      if (fkey === 'time') {
        ok = false;
        gPos = ks;
        gErr = 'invalid field name "time"';
        break;
      }
      // a repeated key in the line: the last value wins, so drop the earlier one
      if (fStamp[fslot] === ser || kl > FK_MAXLEN) {
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
      let kind: string;
      if ((v >= 48 && v <= 57) || v === 45 || v === 46) {
        const e = parseNumber(b, p, n, fBits, fF64, j);
        if (e < 0) {
          ok = false;
          break;
        }
        fType[j] = gType;
        p = e;
        kind = 'invalid number';
      } else if (v === 34) {
        const e = parseString(b, p, n);
        if (e < 0) {
          ok = false;
          break;
        }
        fType[j] = STRING;
        fStr[j] = gStr;
        fBits[2 * j] = 0;
        fBits[2 * j + 1] = 0;
        p = e;
        kind = 'invalid field format';
      } else if (v === 116 || v === 84 || v === 102 || v === 70) {
        let e = p + 1;
        while (e < n && ((b[e] | 32) >= 97 && (b[e] | 32) <= 122)) e++;
        const bv = parseBool(b, p, e);
        if (bv < 0) {
          ok = false;
          gPos = p;
          gErr = 'invalid boolean';
          break;
        }
        fType[j] = BOOLEAN;
        fF64[j] = bv;
        p = e;
        kind = 'invalid boolean';
      } else {
        ok = false;
        gPos = p;
        gErr = v === 10 || v === 13 || v === 32 || v === 44 ? 'missing field value' : 'invalid field format';
        break;
      }
      fc++;
      // what follows a value: another field, the timestamp, or the end of the line
      const t = p < n ? b[p] : 10;
      if (t === 44) {
        p++;
        continue;
      }
      if (t === 32 || t === 10 || t === 13) break;
      ok = false;
      gPos = p;
      gErr = kind;
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
        const e = parseTime(b, p, n, times, count, prec);
        if (e < 0) ok = false;
        else {
          p = e;
          while (p < n && b[p] === 32) p++;
          c2 = p < n ? b[p] : 10;
          if (c2 !== 10 && c2 !== 13) {
            ok = false;
            gPos = p;
            gErr = 'bad timestamp';
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
          ok = false;
          gPos = p;
          gErr = 'invalid character \'\\r\'';
        }
      }
    }
    if (!ok) {
      // roll back the fields of the bad line
      fc = pointFields;
      if (fStr.length > fc) fStr.length = fc;
      fail(out, b, lineStart, lineNo);
      p = resync(b, n);
      lineNo += gNl + 1;
      continue;
    }
    sKey[count] = key;
    out.fieldStart[count] = pointFields;
    out.fieldStart[count + 1] = fc;
    out.lineNo[count] = lineNo;
    out.lineStart[count] = lineStart;
    out.lineEnd[count] = lineEnd;
    count++;
    lineNo += gNl + 1;
  }
  serial = ser;
  const seen = count - count0;
  if (seen > 0) {
    // shape of recent bodies, to size the next new batch (see newBatch)
    bytesPerLine = (bytesPerLine + n / seen) / 2;
    fieldsPerLine = (fieldsPerLine + (fc - fc0) / seen) / 2;
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

let bytesPerLine = 64;
let fieldsPerLine = 4;

/** A batch sized for a body of n bytes from the shape of the bodies parsed before, so a
 * request of thousands of lines does not grow its arrays step by step. */
function newBatch(n: number): PointBatch {
  const lines = Math.min(Math.ceil((n / bytesPerLine) * 1.1) + 8, (n >> 2) + 8);
  const fields = Math.min(Math.ceil(lines * fieldsPerLine * 1.1) + 8, (n >> 2) + 8);
  const batch = new PointBatch(lines, fields);
  // preallocated (holey) arrays: appending to [] would copy them as they grow
  if (lines <= 1 << 20) batch.seriesKey = new Array<string>(lines);
  if (fields <= 1 << 20) batch.fieldKey = new Array<string>(fields);
  return batch;
}

/** Records the current error (gErr) for the line starting at `lineStart`. */
function fail(out: PointBatch, b: Buffer, lineStart: number, lineNo: number): void {
  out.errors.push({ line: lineNo, kind: 'syntax', message: lineError(b, lineStart, gErr) });
}

/** Where to continue after an error: the start of the line after the error position. */
function resync(b: Buffer, n: number): number {
  const i = b.indexOf(10, gPos);
  return i < 0 ? n : i + 1;
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

// ---- series section ------------------------------------------------------------------------

/**
 * Parses the measurement and tags at `p` and builds the canonical series key into gKey.
 * Returns the offset of the space that ends the section, or -1 (gErr, gPos set).
 */
function parseSeries(b: Buffer, p: number, n: number): number {
  const ls = p;
  const tMeas = T_MEAS;
  const tKey = T_KEY;
  const tVal = T_TVAL;
  let high = 0;
  // measurement
  for (;;) {
    if (p >= n) break;
    const k = tMeas[b[p]];
    if (k === 0) {
      p++;
      continue;
    }
    if (k === K_HIGH) {
      high = 1;
      p++;
      continue;
    }
    if (k === K_BSL) {
      const e = escapeLen(b, p, n);
      if (e < 0) return err(p, 'invalid escape in measurement');
      p += e;
      continue;
    }
    break;
  }
  const me = p;
  let c = p < n ? b[p] : 10;
  if (me === ls) {
    if (c === 44) return err(p, 'missing measurement');
    return err(p, `invalid character ${charName(c)} at start of measurement`);
  }
  if (c !== 32 && c !== 44) {
    if (c === 10 || c === 13) return err(p, 'missing fields');
    return err(p, `invalid character ${charName(c)} in measurement`);
  }
  // tags
  let nt = 0;
  let sorted = true;
  while (c === 44) {
    p++;
    if (nt === tKS.length) growTags();
    const ks = p;
    for (;;) {
      if (p >= n) break;
      const k = tKey[b[p]];
      if (k === 0) {
        p++;
        continue;
      }
      if (k === K_HIGH) {
        high = 1;
        p++;
        continue;
      }
      if (k === K_BSL) {
        const e = escapeLen(b, p, n);
        if (e < 0) return err(p, 'invalid escape in tag key');
        p += e;
        continue;
      }
      break;
    }
    c = p < n ? b[p] : 10;
    if (c !== 61) {
      if (p === ks) return err(p, c === 10 || c === 13 || c === 32 ? 'missing fields' : 'missing tag key');
      if (c === 10 || c === 13 || c === 32 || c === 44) return err(p, 'missing tag value');
      return err(p, `invalid character ${charName(c)} in tag key`);
    }
    if (p === ks) return err(p, 'missing tag key');
    const ke = p;
    if (ke - ks === 4 && b[ks] === 116 && b[ks + 1] === 105 && b[ks + 2] === 109 && b[ks + 3] === 101) {
      return err(ks, 'invalid tag key "time"');
    }
    p++;
    const vs = p;
    for (;;) {
      if (p >= n) break;
      const k = tVal[b[p]];
      if (k === 0) {
        p++;
        continue;
      }
      if (k === K_HIGH) {
        high = 1;
        p++;
        continue;
      }
      if (k === K_BSL) {
        const e = escapeLen(b, p, n);
        if (e < 0) return err(p, 'invalid escape in tag value');
        p += e;
        continue;
      }
      break;
    }
    c = p < n ? b[p] : 10;
    if (p === vs) return err(p, 'missing tag value');
    if (c === 61) return err(p, 'invalid tag format');
    tKS[nt] = ks;
    tKE[nt] = ke;
    tVS[nt] = vs;
    tVE[nt] = p;
    if (nt > 0 && sorted) {
      const r = compareKeys(b, tKS[nt - 1], tKE[nt - 1], ks, ke);
      if (r === 0) return err(ks, 'duplicate tags');
      if (r > 0) sorted = false;
    }
    nt++;
  }
  if (c !== 32) return err(p, 'missing fields');
  if (high !== 0 && !validUtf8(b, ls, p)) return err(ls, 'invalid UTF-8 in measurement or tags');
  const fb = b as unknown as FastSlices;
  if (sorted) {
    gKey = high !== 0 ? fb.utf8Slice(ls, p) : fb.latin1Slice(ls, p);
    return p;
  }
  // insertion sort of the tags by unescaped key bytes, then assemble the key
  for (let i = 0; i < nt; i++) {
    let j = i;
    while (j > 0) {
      const o = tOrd[j - 1];
      const r = compareKeys(b, tKS[o], tKE[o], tKS[i], tKE[i]);
      if (r === 0) return err(tKS[i], 'duplicate tags');
      if (r < 0) break;
      tOrd[j] = o;
      j--;
    }
    tOrd[j] = i;
  }
  const s = ensureScratch(p - ls + 1);
  let w = 0;
  for (let i = ls; i < me; i++) s[w++] = b[i];
  for (let t = 0; t < nt; t++) {
    const o = tOrd[t];
    s[w++] = 44;
    for (let i = tKS[o], e = tKE[o]; i < e; i++) s[w++] = b[i];
    s[w++] = 61;
    for (let i = tVS[o], e = tVE[o]; i < e; i++) s[w++] = b[i];
  }
  const fs = s as unknown as FastSlices;
  gKey = high !== 0 ? fs.utf8Slice(0, w) : fs.latin1Slice(0, w);
  return p;
}

function err(pos: number, reason: string): number {
  gPos = pos;
  gErr = reason;
  return -1;
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

/** Unescapes (`\` before one of the three given characters) and decodes a key; '' when
 * the bytes are not valid UTF-8. */
function decodeKey(b: Buffer, s: number, e: number, fl: number, e1: number, e2: number, e3: number): string {
  if ((fl & 2) !== 0 && !validUtf8(b, s, e)) return '';
  const fb = b as unknown as FastSlices;
  if ((fl & 1) === 0) return (fl & 2) !== 0 ? fb.utf8Slice(s, e) : fb.latin1Slice(s, e);
  const out = ensureScratch(e - s);
  let w = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === e1 || d === e2 || d === e3) {
        out[w++] = d;
        i++;
        continue;
      }
    }
    out[w++] = c;
  }
  const fo = out as unknown as FastSlices;
  return (fl & 2) !== 0 ? fo.utf8Slice(0, w) : fo.latin1Slice(0, w);
}

function fieldKeyError(b: Buffer, ks: number, p: number, n: number): string {
  const c = p < n ? b[p] : 10;
  if (c === 92) return 'invalid escape in field key';
  if (p === ks) return 'missing field key';
  if (c === 10 || c === 13 || c === 32 || c === 44) return 'missing field value';
  return `invalid character ${charName(c)} in field key`;
}

function charName(c: number): string {
  if (c === 10) return 'end of line';
  if (c >= 32 && c < 127) return `'${String.fromCharCode(c)}'`;
  return `'\\x${c.toString(16).padStart(2, '0')}'`;
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

// ---- values --------------------------------------------------------------------------------

/**
 * Parses a float (`1`, `-1.5e3`, `.5`, `1.`), integer (`1i`) or unsigned (`1u`) at p into
 * field j. Returns the offset after the value, or -1 (gErr, gPos set). Sets gType.
 */
function parseNumber(b: Buffer, p: number, n: number, bits: Uint32Array, f64: Float64Array, j: number): number {
  let q = p;
  let neg = false;
  if (b[q] === 45) {
    neg = true;
    q++;
  }
  const ds = q;
  while (q < n && b[q] === 48) q++;
  const sd = q;
  let w = 0;
  while (q < n) {
    const d = b[q] - 48;
    if (d < 0 || d > 9) break;
    w = w * 10 + d;
    q++;
  }
  const de = q;
  let c = q < n ? b[q] : 0;
  if (c === 105 || c === 117) {
    // integer or unsigned
    if (de === ds) return err(p, 'invalid number');
    const unsigned = c === 117;
    if (unsigned && neg) return err(p, 'invalid number: unsigned value is negative');
    const nd = de - sd;
    if (nd <= 15) {
      if (neg) w = -w;
      bits[2 * j] = w >>> 0;
      bits[2 * j + 1] = Math.floor(w / TWO32) >>> 0;
    } else {
      let hi = 0;
      let lo = 0;
      if (nd <= 20) {
        for (let i = sd; i < de - 9; i++) hi = hi * 10 + (b[i] - 48);
        for (let i = de - 9; i < de; i++) lo = lo * 10 + (b[i] - 48);
      }
      if (nd > 20 || (!unsigned && nd > 19) || !setDecimal(bits, j, hi, lo, neg, unsigned)) {
        return err(p, unsigned ? 'invalid number: unsigned value out of range' : 'invalid number: integer value out of range');
      }
    }
    gType = unsigned ? UNSIGNED : INTEGER;
    return q + 1;
  }
  // float: [-] ( digits [ "." [digits] [exp] ] | digits exp | "." digits [exp] )
  let frac = 0;
  if (c === 46) {
    q++;
    const fs = q;
    while (q < n) {
      const d = b[q] - 48;
      if (d < 0 || d > 9) break;
      w = w * 10 + d;
      q++;
    }
    frac = q - fs;
    if (frac === 0 && de === ds) return err(p, 'invalid number');
    c = q < n ? b[q] : 0;
  } else if (de === ds) return err(p, 'invalid number');
  let e10 = -frac;
  if (c === 101 || c === 69) {
    q++;
    let eneg = false;
    c = q < n ? b[q] : 0;
    if (c === 43) q++;
    else if (c === 45) {
      eneg = true;
      q++;
    }
    const es = q;
    let ev = 0;
    while (q < n) {
      const d = b[q] - 48;
      if (d < 0 || d > 9) break;
      if (ev < 1e8) ev = ev * 10 + d;
      q++;
    }
    if (q === es) return err(p, 'invalid number');
    e10 += eneg ? -ev : ev;
  }
  let v: number;
  if (w < TWO53 && e10 >= -22 && e10 <= 22) {
    const p10 = P10;
    v = e10 < 0 ? w / p10[-e10] : w * p10[e10];
    if (neg) v = -v;
  } else if (w === 0) {
    v = neg ? -0 : 0;
  } else {
    v = Number((b as unknown as FastSlices).latin1Slice(p, q));
    if (v === Infinity || v === -Infinity) return err(p, 'invalid number: value out of range');
    if (v !== v) return err(p, 'invalid number');
  }
  f64[j] = v;
  gType = FLOAT;
  return q;
}

/** t T true True TRUE -> 1, f F false False FALSE -> 0, else -1. */
function parseBool(b: Buffer, s: number, e: number): number {
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

/** Parses the quoted string at p (`\"` and `\\` are the only escapes) into gStr. */
function parseString(b: Buffer, p: number, n: number): number {
  let q = p + 1;
  let fl = 0;
  let nl = 0;
  for (;;) {
    if (q >= n) return err(p, 'unbalanced quotes');
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
  if ((fl & 2) !== 0 && !validUtf8(b, s, q)) return err(p, 'invalid UTF-8 in string field value');
  gNl += nl;
  const fb = b as unknown as FastSlices;
  if ((fl & 1) === 0) {
    gStr = (fl & 2) !== 0 ? fb.utf8Slice(s, q) : fb.latin1Slice(s, q);
  } else {
    const out = ensureScratch(q - s);
    let w = 0;
    for (let i = s; i < q; i++) {
      const c = b[i];
      if (c === 92) {
        const d = b[i + 1];
        if (d === 34 || d === 92) {
          out[w++] = d;
          i++;
          continue;
        }
      }
      out[w++] = c;
    }
    const fo = out as unknown as FastSlices;
    gStr = (fl & 2) !== 0 ? fo.utf8Slice(0, w) : fo.latin1Slice(0, w);
  }
  return q + 1;
}

/** Parses `[-]digits` at p, scales it to ns exactly and writes point i's time words. */
function parseTime(b: Buffer, p: number, n: number, times: Uint32Array, i: number, prec: number): number {
  let q = p;
  let neg = false;
  if (b[q] === 45) {
    neg = true;
    q++;
  }
  const ds = q;
  while (q < n && b[q] === 48) q++;
  const sd = q;
  while (q < n && b[q] >= 48 && b[q] <= 57) q++;
  const de = q;
  if (de === ds) return err(p, 'bad timestamp');
  const c = q < n ? b[q] : 10;
  if (c !== 32 && c !== 10 && c !== 13) return err(p, 'bad timestamp');
  const nd = de - sd;
  if (nd > 19) return err(p, 'bad timestamp: time outside range');
  // the value as (hi9, lo9) = (leading digits, last 9 digits)
  let hi9 = 0;
  let lo9 = 0;
  const split = nd > 9 ? de - 9 : sd;
  for (let k = sd; k < split; k++) hi9 = hi9 * 10 + (b[k] - 48);
  for (let k = split; k < de; k++) lo9 = lo9 * 10 + (b[k] - 48);
  // scaled to ns = hi * 1e9 + lo
  let hi: number;
  let lo: number;
  switch (prec) {
    case 0:
      hi = hi9;
      lo = lo9;
      break;
    case 1: // us
      hi = hi9 * 1e3 + Math.floor(lo9 / 1e6);
      lo = (lo9 % 1e6) * 1e3;
      break;
    case 2: // ms
      hi = hi9 * 1e6 + Math.floor(lo9 / 1e3);
      lo = (lo9 % 1e3) * 1e6;
      break;
    case 3: // s
      hi = hi9 * 1e9 + lo9;
      lo = 0;
      break;
    case 4: // m
      hi = hi9 > 0 ? Infinity : lo9 * 60;
      lo = 0;
      break;
    default: // h
      hi = hi9 > 0 ? Infinity : lo9 * 3600;
      lo = 0;
      break;
  }
  if (hi > 1e10 || !setDecimal(times, i, hi, lo, neg)) return err(p, 'bad timestamp: time outside range');
  const th = times[2 * i + 1];
  const tl = times[2 * i];
  // MaxInt64 and MinInt64, MinInt64+1 are reserved (InfluxDB's MaxNanoTime / MinNanoTime)
  if ((th === 0x7fffffff && tl === 0xffffffff) || (th === 0x80000000 && tl <= 1)) {
    return err(p, 'bad timestamp: time outside range');
  }
  return q;
}

// ---- UTF-8 ---------------------------------------------------------------------------------

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
    if (c < 0xf0) {
      if (i + 2 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return false;
      if (c === 0xe0 && c1 < 0xa0) return false;
      if (c === 0xed && c1 >= 0xa0) return false;
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return false;
      if (c === 0xf0 && c1 < 0x90) return false;
      if (c === 0xf4 && c1 >= 0x90) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}
