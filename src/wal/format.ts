// The WAL's on-disk layout; docs/format/wal.md is the specification, this file its code.
//
// Segment file `NNNNNNNNNNNNNNNN.wal` (16-digit zero-padded decimal id):
//   header (24 bytes): magic "STRATAWL" | u32 LE version | u64 LE segment id | u32 LE CRC-32C of bytes 0..20
//   frames: u32 LE payload length | u32 LE CRC-32C over (length bytes, type byte, payload) | u8 type | payload
// All integers little-endian. Record type 0 is never written, so zero-filled space is never a frame.

import { crc32c } from './crc32c.js';

export const MAGIC = Buffer.from('STRATAWL', 'latin1');
export const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 24;
export const FRAME_HEADER_SIZE = 9;
/** Guards against absurd lengths from damaged headers; a record is one write batch. */
export const MAX_RECORD_SIZE = 256 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;

const NAME_RE = /^(\d{16})\.wal$/;

export function segmentName(id: number): string {
  return String(id).padStart(16, '0') + '.wal';
}

/** The id of a segment file name, or null when the name is not a segment's. */
export function parseSegmentName(name: string): number | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : null;
}

export function encodeSegmentHeader(id: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(id % 0x1_0000_0000, 12);
  b.writeUInt32LE(Math.floor(id / 0x1_0000_0000), 16);
  b.writeUInt32LE(crc32c(b, 0, 20), 20);
  return b;
}

/** Why a segment header is not valid for segment `id`, or null when it is. */
export function checkSegmentHeader(b: Buffer, id: number): string | null {
  if (b.length < SEGMENT_HEADER_SIZE) return `segment header is ${b.length} bytes, expected ${SEGMENT_HEADER_SIZE}`;
  if (!b.subarray(0, 8).equals(MAGIC)) return `bad magic ${JSON.stringify(b.subarray(0, 8).toString('latin1'))}, expected "STRATAWL"`;
  const stored = b.readUInt32LE(20);
  const computed = crc32c(b, 0, 20);
  if (stored !== computed) return `segment header CRC mismatch (stored ${hex(stored)}, computed ${hex(computed)})`;
  const version = b.readUInt32LE(8);
  if (version !== FORMAT_VERSION) return `unsupported WAL format version ${version} (this build reads version ${FORMAT_VERSION})`;
  const got = b.readUInt32LE(12) + b.readUInt32LE(16) * 0x1_0000_0000;
  if (got !== id) return `segment header names segment ${got}, but the file name says ${id}`;
  return null;
}

/** True when every byte is zero: space the file system allocated but never wrote. */
export function isZero(b: Uint8Array, start = 0, end = b.length): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/** Fills the 9-byte frame header `hdr` for a payload of `len` bytes made of `parts`. */
export function fillFrameHeader(hdr: Buffer, type: number, parts: readonly Uint8Array[], len: number): void {
  hdr.writeUInt32LE(len, 0);
  hdr[8] = type;
  let c = crc32c(hdr, 0, 4);
  c = crc32c(hdr, 8, 9, c);
  for (const p of parts) c = crc32c(p, 0, p.length, c);
  hdr.writeUInt32LE(c, 4);
}

/** The CRC a frame with this header and payload must carry. */
export function frameCrc(hdr: Uint8Array, hdrStart: number, payload: Uint8Array, pStart: number, pEnd: number): number {
  let c = crc32c(hdr, hdrStart, hdrStart + 4);
  c = crc32c(hdr, hdrStart + 8, hdrStart + 9, c);
  return crc32c(payload, pStart, pEnd, c);
}

export function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
