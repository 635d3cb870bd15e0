// WAL record types of the engine. The WAL itself carries opaque bytes with a type number;
// the numbers are stored on disk, so they are only ever added (docs/format/wal.md).

import type { Precision } from '../types.js';

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
