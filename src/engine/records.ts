// WAL record types of the engine. The WAL itself carries opaque bytes with a type number;
// the numbers are stored on disk, so they are only ever added (docs/format/wal.md).

import { PointBatch } from '../ingest/batch.js';
import type { Precision, TagMatcher } from '../types.js';

/** A batch of accepted line-protocol lines of one database + retention policy. */
export const RECORD_LINE_PROTOCOL = 1;

const PRECISIONS: Precision[] = ['ns', 'us', 'ms', 's', 'm', 'h'];

export interface LineProtocolRecord {
  db: string;
  rp: string;
  precision: Precision;
  /** ns timestamp given to lines without one, so replay yields the same points. */
  defaultTime: bigint;
  body: Buffer;
}

/**
 * Layout (little endian): u8 version=1, u8 precision index (ns us ms s m h), i64 defaultTime,
 * u16 db length, db UTF-8, u16 rp length, rp UTF-8, then the line-protocol bytes.
 * Returns the header; the body is appended as separate buffers (no copy).
 */
export function encodeLineProtocolHeader(db: string, rp: string, precision: Precision, defaultTime: bigint): Buffer {
  const dbB = Buffer.from(db, 'utf8');
  const rpB = Buffer.from(rp, 'utf8');
  const h = Buffer.allocUnsafe(2 + 8 + 2 + dbB.length + 2 + rpB.length);
  let o = 0;
  h[o++] = 1;
  h[o++] = PRECISIONS.indexOf(precision);
  h.writeBigInt64LE(defaultTime, o);
  o += 8;
  h.writeUInt16LE(dbB.length, o);
  o += 2;
  dbB.copy(h, o);
  o += dbB.length;
  h.writeUInt16LE(rpB.length, o);
  o += 2;
  rpB.copy(h, o);
  return h;
}

export function decodeLineProtocolRecord(p: Buffer): LineProtocolRecord {
  if (p[0] !== 1) throw new Error(`unknown line-protocol record version ${p[0]}`);
  const precision = PRECISIONS[p[1]];
  if (!precision) throw new Error(`unknown precision index ${p[1]}`);
  let o = 2;
  const defaultTime = p.readBigInt64LE(o);
  o += 8;
  const dbLen = p.readUInt16LE(o);
  o += 2;
  const db = p.toString('utf8', o, o + dbLen);
  o += dbLen;
  const rpLen = p.readUInt16LE(o);
  o += 2;
  const rp = p.toString('utf8', o, o + rpLen);
  o += rpLen;
  return { db, rp, precision, defaultTime, body: p.subarray(o) };
}

/** A delete (points in a time range, whole series, or a measurement) of one database. */
export const RECORD_DELETE = 2;

export type DeleteKind = 'points' | 'series' | 'measurement';
const DELETE_KINDS: DeleteKind[] = ['points', 'series', 'measurement'];
const MATCH_OPS: TagMatcher['op'][] = ['=', '!=', '=~', '!~'];

/** What a delete removes; replay runs the same spec again, in its place among the writes. */
export interface DeleteSpec {
  kind: DeleteKind;
  db: string;
  /** One retention policy, or '' for every retention policy of the database. */
  rp: string;
  /** One measurement, or undefined for every measurement. */
  measurement?: string;
  where: TagMatcher[];
  /** Inclusive time bounds (the whole int64 range for a drop). */
  min: bigint;
  max: bigint;
}

/**
 * Layout (little endian): u8 version=1, u8 kind (0 points, 1 series, 2 measurement),
 * u16+UTF-8 db, u16+UTF-8 rp ('' = every policy), u8 has-measurement, [u16+UTF-8
 * measurement], i64 min, i64 max (inclusive), u16 matcher count, then per matcher: u8 op
 * (0 =, 1 !=, 2 =~, 3 !~), u16+UTF-8 key, u32+UTF-8 value.
 */
export function encodeDeleteRecord(d: DeleteSpec): Buffer {
  const parts: Buffer[] = [];
  const u8 = (v: number) => parts.push(Buffer.from([v]));
  const str16 = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 0xffff) throw new RangeError(`"${s.slice(0, 40)}..." is longer than 65535 bytes`);
    const h = Buffer.allocUnsafe(2);
    h.writeUInt16LE(b.length);
    parts.push(h, b);
  };
  u8(1);
  u8(DELETE_KINDS.indexOf(d.kind));
  str16(d.db);
  str16(d.rp);
  u8(d.measurement === undefined ? 0 : 1);
  if (d.measurement !== undefined) str16(d.measurement);
  const t = Buffer.allocUnsafe(18);
  t.writeBigInt64LE(d.min, 0);
  t.writeBigInt64LE(d.max, 8);
  t.writeUInt16LE(d.where.length, 16);
  parts.push(t);
  for (const m of d.where) {
    u8(MATCH_OPS.indexOf(m.op));
    str16(m.key);
    const v = Buffer.from(m.value, 'utf8');
    const h = Buffer.allocUnsafe(4);
    h.writeUInt32LE(v.length);
    parts.push(h, v);
  }
  return Buffer.concat(parts);
}

export function decodeDeleteRecord(p: Buffer): DeleteSpec {
  if (p[0] !== 1) throw new Error(`unknown delete record version ${p[0]}`);
  const kind = DELETE_KINDS[p[1]];
  if (!kind) throw new Error(`unknown delete kind ${p[1]}`);
  let o = 2;
  const str16 = () => {
    const n = p.readUInt16LE(o);
    o += 2;
    const s = p.toString('utf8', o, o + n);
    o += n;
    return s;
  };
  const db = str16();
  const rp = str16();
  const measurement = p[o++] === 1 ? str16() : undefined;
  const min = p.readBigInt64LE(o);
  const max = p.readBigInt64LE(o + 8);
  const count = p.readUInt16LE(o + 16);
  o += 18;
  const where: TagMatcher[] = [];
  for (let i = 0; i < count; i++) {
    const op = MATCH_OPS[p[o++]];
    if (!op) throw new Error(`unknown matcher operator ${p[o - 1]}`);
    const key = str16();
    const n = p.readUInt32LE(o);
    o += 4;
    where.push({ key, op, value: p.toString('utf8', o, o + n) });
    o += n;
  }
  return { kind, db, rp, measurement, where, min, max };
}

/**
 * A batch of points that did not arrive as line protocol (Prometheus remote write, JSON),
 * stored as the parsed columns so values line protocol cannot carry (NaN, a stale marker's
 * payload, any label text) replay bit for bit.
 */
export const RECORD_POINT_BATCH = 3;

/**
 * Layout (little endian): u8 version=1, u16 db length, db, u16 rp length, rp, u32 points;
 * per point: u32 key length, key UTF-8, u32 time low, u32 time high, u16 fields; per field:
 * u16 key length, key UTF-8, u8 type, then a float/integer/unsigned/boolean's 8 bytes
 * (two u32 words, low first) or a string's u32 length and UTF-8. Only points with
 * `mask[i]` set (all when mask is null) are written.
 */
export function encodePointBatchRecord(db: string, rp: string, batch: PointBatch, mask: Uint8Array | null): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(1 + 2 + Buffer.byteLength(db) + 2 + Buffer.byteLength(rp) + 4);
  let o = 0;
  head[o++] = 1;
  o = putStr16(head, o, db);
  o = putStr16(head, o, rp);
  let n = 0;
  for (let i = 0; i < batch.count; i++) if (!mask || mask[i]) n++;
  head.writeUInt32LE(n, o);
  parts.push(head);
  const { time, fieldStart, fieldKey, fieldType, fieldBits, fieldStr } = batch;
  for (let i = 0; i < batch.count; i++) {
    if (mask && !mask[i]) continue;
    const key = Buffer.from(batch.seriesKey[i], 'utf8');
    const p = Buffer.allocUnsafe(4 + key.length + 10);
    p.writeUInt32LE(key.length, 0);
    key.copy(p, 4);
    p.writeUInt32LE(time[2 * i], 4 + key.length);
    p.writeUInt32LE(time[2 * i + 1], 8 + key.length);
    p.writeUInt16LE(fieldStart[i + 1] - fieldStart[i], 12 + key.length);
    parts.push(p);
    for (let j = fieldStart[i]; j < fieldStart[i + 1]; j++) {
      const fk = Buffer.from(fieldKey[j], 'utf8');
      const isStr = fieldType[j] === 5;
      const sv = isStr ? Buffer.from(fieldStr[j], 'utf8') : null;
      const f = Buffer.allocUnsafe(2 + fk.length + 1 + (sv ? 4 + sv.length : 8));
      f.writeUInt16LE(fk.length, 0);
      fk.copy(f, 2);
      let q = 2 + fk.length;
      f[q++] = fieldType[j];
      if (sv) {
        f.writeUInt32LE(sv.length, q);
        sv.copy(f, q + 4);
      } else {
        f.writeUInt32LE(fieldBits[2 * j], q);
        f.writeUInt32LE(fieldBits[2 * j + 1], q + 4);
      }
      parts.push(f);
    }
  }
  return Buffer.concat(parts);
}

export function decodePointBatchRecord(p: Buffer): { db: string; rp: string; batch: PointBatch } {
  if (p[0] !== 1) throw new Error(`unknown point-batch record version ${p[0]}`);
  let o = 1;
  const str16 = (): string => {
    const n = p.readUInt16LE(o);
    const s = p.toString('utf8', o + 2, o + 2 + n);
    o += 2 + n;
    return s;
  };
  const db = str16();
  const rp = str16();
  const n = p.readUInt32LE(o);
  o += 4;
  const batch = new PointBatch(Math.max(1, n + 1), 16);
  for (let i = 0; i < n; i++) {
    batch.ensurePoint();
    const klen = p.readUInt32LE(o);
    batch.seriesKey[i] = p.toString('utf8', o + 4, o + 4 + klen);
    o += 4 + klen;
    batch.time[2 * i] = p.readUInt32LE(o);
    batch.time[2 * i + 1] = p.readUInt32LE(o + 4);
    const nf = p.readUInt16LE(o + 8);
    o += 10;
    batch.lineNo[i] = i + 1;
    batch.fieldStart[i] = batch.fieldCount;
    batch.ensureFields(nf);
    for (let k = 0; k < nf; k++) {
      const j = batch.fieldCount++;
      batch.fieldKey[j] = str16();
      const type = p[o++];
      batch.fieldType[j] = type;
      if (type === 5) {
        const sl = p.readUInt32LE(o);
        batch.fieldStr[j] = p.toString('utf8', o + 4, o + 4 + sl);
        o += 4 + sl;
      } else {
        batch.fieldBits[2 * j] = p.readUInt32LE(o);
        batch.fieldBits[2 * j + 1] = p.readUInt32LE(o + 4);
        o += 8;
      }
    }
    batch.count = i + 1;
    batch.fieldStart[i + 1] = batch.fieldCount;
  }
  batch.lines = n;
  if (o !== p.length) throw new Error(`point-batch record has ${p.length - o} trailing bytes`);
  return { db, rp, batch };
}

function putStr16(b: Buffer, o: number, s: string): number {
  const n = b.write(s, o + 2, 'utf8');
  b.writeUInt16LE(n, o);
  return o + 2 + n;
}
