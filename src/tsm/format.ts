// The fixed parts of a TSM file (docs/format/tsm.md is the full specification):
//
//   header   16 bytes: magic "STRATTSM", u32 version, u32 CRC-32C of bytes 0..12
//   blocks   back to back from offset 16: [u32 CRC-32C of the block][block bytes]
//            (the block bytes are src/gorilla's format, docs/format/block.md)
//   index    summary, field dictionary, key entries (index.ts); its CRC is in the footer
//   footer   36 bytes: u64 index offset, u64 index length, u32 index CRC, u32 version,
//            u32 CRC-32C of footer bytes 0..24, magic "STRATTSM"
//
// All integers little-endian; u64 as two u32 words, low first.

import { crc32c } from '../wal/crc32c.js';

export const TSM_MAGIC = Buffer.from('STRATTSM', 'latin1');
export const TSM_VERSION = 1;
export const HEADER_SIZE = 16;
export const FOOTER_SIZE = 36;
/** Bytes in front of each block: its CRC-32C. */
export const BLOCK_CRC_SIZE = 4;
/** Suffix of the file a writer fills before publishing it under its own name. */
export const TEMP_SUFFIX = '.tmp';

const TWO32 = 4294967296;

export function encodeHeader(): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  TSM_MAGIC.copy(b, 0);
  b.writeUInt32LE(TSM_VERSION, 8);
  b.writeUInt32LE(crc32c(b, 0, 12), 12);
  return b;
}

/** Problem with a header, or null when it is good. */
export function checkHeader(b: Uint8Array): string | null {
  if (b.length < HEADER_SIZE) return `header is ${b.length} bytes, ${HEADER_SIZE} expected`;
  const buf = Buffer.from(b.buffer, b.byteOffset, HEADER_SIZE);
  if (!buf.subarray(0, 8).equals(TSM_MAGIC)) return `bad header magic ${JSON.stringify(buf.toString('latin1', 0, 8))} (not a TSM file)`;
  const crc = buf.readUInt32LE(12);
  if (crc !== crc32c(buf, 0, 12)) return 'header CRC mismatch';
  const version = buf.readUInt32LE(8);
  if (version !== TSM_VERSION) return `unsupported TSM version ${version} (this build reads version ${TSM_VERSION})`;
  return null;
}

export interface Footer {
  indexOffset: number;
  indexLength: number;
  indexCrc: number;
}

export function encodeFooter(f: Footer): Buffer {
  const b = Buffer.alloc(FOOTER_SIZE);
  b.writeUInt32LE(f.indexOffset % TWO32, 0);
  b.writeUInt32LE(Math.floor(f.indexOffset / TWO32), 4);
  b.writeUInt32LE(f.indexLength % TWO32, 8);
  b.writeUInt32LE(Math.floor(f.indexLength / TWO32), 12);
  b.writeUInt32LE(f.indexCrc, 16);
  b.writeUInt32LE(TSM_VERSION, 20);
  b.writeUInt32LE(crc32c(b, 0, 24), 24);
  TSM_MAGIC.copy(b, 28);
  return b;
}

/**
 * Decodes the footer of a file of `fileSize` bytes. Returns the footer, or a problem: the
 * magic is checked first, so a truncated file (whose last bytes are block or index bytes)
 * is reported as such rather than as a CRC mismatch.
 */
export function decodeFooter(b: Uint8Array, fileSize: number): Footer | string {
  const buf = Buffer.from(b.buffer, b.byteOffset, FOOTER_SIZE);
  if (!buf.subarray(28, 36).equals(TSM_MAGIC)) {
    return `no footer magic at the end of the file (${fileSize} bytes): the file is truncated or was not written by a TSM writer`;
  }
  if (buf.readUInt32LE(24) !== crc32c(buf, 0, 24)) return 'footer CRC mismatch';
  const version = buf.readUInt32LE(20);
  if (version !== TSM_VERSION) return `unsupported TSM version ${version} in the footer (this build reads version ${TSM_VERSION})`;
  const indexOffset = buf.readUInt32LE(0) + buf.readUInt32LE(4) * TWO32;
  const indexLength = buf.readUInt32LE(8) + buf.readUInt32LE(12) * TWO32;
  const footerAt = fileSize - FOOTER_SIZE;
  if (indexOffset < HEADER_SIZE || indexOffset + indexLength !== footerAt) {
    return `footer places the index at [${indexOffset}, ${indexOffset + indexLength}) but the footer starts at ${footerAt}: the file was truncated or extended`;
  }
  return { indexOffset, indexLength, indexCrc: buf.readUInt32LE(16) };
}
