// String codec: string[] columns. Tag + body:
//
//   0x40 RAW   payload(n strings)
//   0x41 ZSTD  varint payload length, one zstd frame (RFC 8878) of payload(n strings)
//   0x42 DICT  varint k, payload(the k distinct strings in order of first use), u8 integer
//              tag + integer body (integers.ts) of the n indices into them
//
//   payload(k strings) = varint length of each string in UTF-16 code units (k of them),
//                        varint byte length, the strings' concatenation as UTF-8
//
// With 0x08 added to the tag (0x48..0x4a) the bytes are WTF-8 instead of UTF-8: a JS string
// may hold lone surrogates (from a JSON \ud800 escape, say), which UTF-8 cannot carry;
// WTF-8 (https://simonsapin.github.io/wtf-8/) encodes them as 3-byte sequences, so every
// string round-trips exactly. Lengths count UTF-16 units, so the column is encoded and
// decoded as one string, one TextEncoder/TextDecoder call per block, and cut by length.
//
// DICT is for status-like columns with few distinct values: the indices usually become a
// handful of runs (INT_RLE), a few bytes per block. The encoder keeps the smallest of RAW,
// ZSTD and DICT (as VictoriaMetrics does for its label values; InfluxDB tsm1 only snappy-
// compresses). String blocks need `await initCodecs()` first (zstd.ts).

import { ByteReader, ByteWriter, uvarintLen } from './bytes.js';
import { decodeInts, encodeInts } from './integers.js';
import { assertCodecsReady, zstdCompress, zstdDecompress } from './zstd.js';
import { BlockDecodeError } from './errors.js';

export const STR_RAW = 0x40;
export const STR_ZSTD = 0x41;
export const STR_DICT = 0x42;
/** Added to a string tag: the bytes are WTF-8. */
export const STR_WTF8 = 0x08;

/** zstd level: the blocks are small, so a high level costs little time. */
const ZSTD_LEVEL = 9;
const MAX_PAYLOAD = 1 << 30;

const encoder = new TextEncoder();
// ignoreBOM: keep a leading U+FEFF (the default would strip it from the first string)
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const plain = new ByteWriter(8192);
const dict = new ByteWriter(1024);
let idx = new Uint32Array(2048);
let utf = new Uint8Array(8192);

function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

export function encodeStrings(v: readonly string[], from: number, to: number, out: ByteWriter): number {
  assertCodecsReady();
  let all = '';
  for (let i = from; i < to; i++) all += v[i];
  const wtf = !isWellFormed(all);

  plain.reset();
  writePayload(v, from, to, all, wtf, plain);
  let best = plain.pos;
  let tag = STR_RAW;

  // DICT, when at most half the values are distinct
  const dictWtf = tryDict(v, from, to);
  if (dictWtf >= 0 && dict.pos < best) {
    best = dict.pos;
    tag = STR_DICT;
  }
  let frame: Uint8Array | undefined;
  // a zstd frame has at least 9 bytes of header and block header: skip it when it cannot win
  if (plain.pos > 24 && best > 12) {
    frame = zstdCompress(plain.bytes(), ZSTD_LEVEL);
    const size = uvarintLen(plain.pos) + frame.length;
    if (size < best) {
      best = size;
      tag = STR_ZSTD;
    }
  }
  if (tag === STR_RAW) out.append(plain.bytes());
  else if (tag === STR_DICT) out.append(dict.bytes());
  else {
    out.uvarint(plain.pos);
    out.append(frame!);
  }
  return tag | ((tag === STR_DICT ? dictWtf === 1 : wtf) ? STR_WTF8 : 0);
}

function writePayload(v: readonly string[], from: number, to: number, all: string, wtf: boolean, out: ByteWriter): void {
  for (let i = from; i < to; i++) out.uvarint(v[i].length);
  if (utf.length < 3 * all.length) utf = new Uint8Array(3 * all.length + 64);
  const len = wtf ? encodeWtf8(all, utf) : encoder.encodeInto(all, utf).written;
  out.uvarint(len);
  out.append(utf.subarray(0, len));
}

/** Writes the DICT body into `dict` and returns 1 if its text is WTF-8, 0 if UTF-8, or -1
 * when too many values are distinct. */
function tryDict(v: readonly string[], from: number, to: number): number {
  const n = to - from;
  if (n < 2) return -1;
  const limit = n >>> 1;
  const ids = new Map<string, number>();
  const distinct: string[] = [];
  if (idx.length < 2 * n) idx = new Uint32Array(2 * n);
  for (let i = from, j = 0; i < to; i++, j++) {
    const s = v[i];
    let id = ids.get(s);
    if (id === undefined) {
      id = distinct.length;
      if (id >= limit) return -1;
      ids.set(s, id);
      distinct.push(s);
    }
    idx[2 * j] = id;
    idx[2 * j + 1] = 0;
  }
  dict.reset();
  dict.uvarint(distinct.length);
  // the distinct strings, concatenated in another order, may pair surrogates differently
  const text = distinct.join('');
  const wtf = !isWellFormed(text);
  writePayload(distinct, 0, distinct.length, text, wtf, dict);
  const at = dict.pos;
  dict.u8(0);
  const itag = encodeInts(idx, 0, n, dict);
  dict.buf[at] = itag; // after the call: the writer may have grown
  return wtf ? 1 : 0;
}

export function decodeStrings(tag: number, r: ByteReader, n: number, out: string[], from: number): void {
  const wtf = (tag & STR_WTF8) !== 0;
  switch (tag & ~STR_WTF8) {
    case STR_RAW:
      readPayload(r, n, wtf, out, from);
      return;
    case STR_ZSTD: {
      const size = r.uvarint(MAX_PAYLOAD);
      let raw: Uint8Array;
      try {
        raw = zstdDecompress(r.buf.subarray(r.pos, r.end), size);
      } catch (err) {
        throw new BlockDecodeError(`bad zstd frame: ${(err as Error).message}`, r.pos, { cause: err });
      }
      r.pos = r.end;
      const inner = new ByteReader(raw, 0, raw.length);
      readPayload(inner, n, wtf, out, from);
      inner.expectEnd();
      return;
    }
    case STR_DICT: {
      const k = r.uvarint(n);
      const words: string[] = new Array<string>(k);
      readPayload(r, k, wtf, words, 0);
      const itag = r.u8();
      if (idx.length < 2 * n) idx = new Uint32Array(2 * n);
      decodeInts(itag, r, n, idx, 0);
      for (let i = 0; i < n; i++) {
        const id = idx[2 * i];
        if (idx[2 * i + 1] !== 0 || id >= k) r.fail(`dictionary index ${id} out of range (${k} entries)`);
        out[from + i] = words[id];
      }
      return;
    }
    default:
      r.fail(`unknown string encoding 0x${tag.toString(16)}`);
  }
}

function readPayload(r: ByteReader, n: number, wtf: boolean, out: string[], from: number): void {
  const lens = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const l = r.uvarint(MAX_PAYLOAD);
    lens[i] = l;
    total += l;
  }
  const bytes = r.uvarint(MAX_PAYLOAD);
  r.need(bytes);
  let all: string;
  if (wtf) all = decodeWtf8(r, r.pos, r.pos + bytes);
  else {
    try {
      all = decoder.decode(r.buf.subarray(r.pos, r.pos + bytes));
    } catch (err) {
      throw new BlockDecodeError('string bytes are not valid UTF-8', r.pos, { cause: err });
    }
  }
  if (all.length !== total) r.fail(`string lengths add up to ${total}, the text has ${all.length}`);
  r.pos += bytes;
  let p = 0;
  for (let i = 0; i < n; i++) {
    out[from + i] = all.slice(p, p + lens[i]);
    p += lens[i];
  }
}

/** WTF-8 encoding of s into out (which has room for 3 bytes per UTF-16 unit). */
function encodeWtf8(s: string, out: Uint8Array): number {
  let p = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >>> 6);
      out[p++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[p++] = 0xf0 | (c >>> 18);
        out[p++] = 0x80 | ((c >>> 12) & 63);
        out[p++] = 0x80 | ((c >>> 6) & 63);
        out[p++] = 0x80 | (c & 63);
        continue;
      }
    }
    // BMP character or a lone surrogate
    out[p++] = 0xe0 | (c >>> 12);
    out[p++] = 0x80 | ((c >>> 6) & 63);
    out[p++] = 0x80 | (c & 63);
  }
  return p;
}

/** Decodes WTF-8 bytes buf[s, e) (only the well-formed sequences encodeWtf8 produces). */
function decodeWtf8(r: ByteReader, s: number, e: number): string {
  const b = r.buf;
  const units: number[] = [];
  let out = '';
  let i = s;
  while (i < e) {
    const c = b[i];
    let n: number;
    let cp: number;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c >= 0xc2 && c < 0xe0) {
      cp = c & 31;
      n = 2;
    } else if (c >= 0xe0 && c < 0xf0) {
      cp = c & 15;
      n = 3;
    } else if (c >= 0xf0 && c < 0xf5) {
      cp = c & 7;
      n = 4;
    } else throw new BlockDecodeError('invalid WTF-8 lead byte', i);
    if (i + n > e) throw new BlockDecodeError('truncated WTF-8 sequence', i);
    for (let k = 1; k < n; k++) {
      const x = b[i + k];
      if ((x & 0xc0) !== 0x80) throw new BlockDecodeError('invalid WTF-8 continuation byte', i + k);
      cp = (cp << 6) | (x & 63);
    }
    if ((n === 3 && cp < 0x800) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff))) throw new BlockDecodeError('overlong or out-of-range WTF-8 sequence', i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >>> 10), 0xdc00 + (cp & 1023));
    } else units.push(cp);
    i += n;
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
