// WAL record types of the engine. The WAL itself carries opaque bytes with a type number;
// the numbers are stored on disk, so they are only ever added (docs/format/wal.md).

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
