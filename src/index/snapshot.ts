// The postings snapshot: the tag index as of a point in the series file, so open reads it
// instead of parsing every series key again (about 4 s per million devops series), then
// replays only the series-file entries after that point. It is a cache: when it is
// missing, damaged or does not fit the series file, open rebuilds from the series file
// and writes a new one. docs/format/index.md is the specification.
//
//   header (32 bytes): magic "STRATAIX" | u32 version = 1 | u32 N (series ids < N covered)
//                      | u64 O (series-file bytes covered) | u32 measurements | u32 0
//   body:   deleted ids (bitmap), then per measurement:
//           str name | bitmap all | u32 keys | per key: str key | bitmap has | u32 values |
//           per value: str value | ids
//   trailer: u32 CRC-32C of every byte before it
//
//   str    = u32 byte length | UTF-8
//   bitmap = u32 byte length | portable roaring bitmap (RoaringFormatSpec)
//   ids    = u8 kind: 1 → u32 id | 2 → u32 count, count × u32 ids | 3 → bitmap
//
// All integers little-endian. Published atomically (temporary file, fdatasync, rename,
// fsync of the directory), and only after the series file is synced to O: so a snapshot
// on disk proves its first O bytes durable, which lets open tell damage from a torn tail.

import fs from 'node:fs';
import { open as openFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { crc32c } from '../wal/crc32c.js';
import { fsyncDir } from '../wal/io.js';
import { Postings } from './postings.js';
import { MeasurementPostings, TagValues, type Ids } from './tagIndex.js';

export const SNAPSHOT_MAGIC = Buffer.from('STRATAIX', 'latin1');
export const SNAPSHOT_VERSION = 1;
const HEADER = 32;

const KIND_ONE = 1;
const KIND_LIST = 2;
const KIND_BITMAP = 3;

export interface SnapshotState {
  /** Series ids below this are covered. */
  count: number;
  /** Series-file bytes covered (a frame boundary). */
  offset: number;
  deleted: Postings;
  measurements: Map<string, MeasurementPostings>;
}

class Writer {
  buf = Buffer.allocUnsafe(1 << 20);
  pos = 0;

  need(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Leaves room for a u32 filled in later by `patch`. */
  reserve(): number {
    this.u32(0);
    return this.pos - 4;
  }

  patch(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }

  u8(v: number): void {
    this.need(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.need(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  str(s: string): void {
    // At most 3 bytes per UTF-16 unit; write, then fill in the real length.
    this.need(4 + s.length * 3);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
  }

  bitmap(p: Postings): void {
    const b = p.serialize();
    this.u32(b.length);
    this.need(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  ids(x: Ids): void {
    if (typeof x === 'number') {
      this.u8(KIND_ONE);
      this.u32(x);
    } else if (Array.isArray(x)) {
      this.u8(KIND_LIST);
      this.u32(x.length);
      for (let i = 0; i < x.length; i++) this.u32(x[i]);
    } else {
      this.u8(KIND_BITMAP);
      this.bitmap(x);
    }
  }
}

/** Entries encoded between two yields of encodeSnapshotSteps (about a millisecond of work). */
const STEP = 20_000;

/**
 * Encodes a snapshot, yielding every STEP entries so a background snapshot of a large
 * index does not hold the event loop (a million series take about half a second).
 *
 * The index may change between steps. That is safe: the header's N and O are taken
 * first, and every counted section is patched with what was really written; series
 * added meanwhile (ids >= N) may appear in some sections and not others, and tombstones
 * written meanwhile may be applied to some; open replays the series file from O over the
 * snapshot, and both replays are idempotent (tagIndex.ts `idsAdd`, `idsRemove`), so the result
 * is the same as if the snapshot had been taken at O.
 */
export function* encodeSnapshotSteps(s: SnapshotState, step = STEP): Generator<void, Buffer> {
  const w = new Writer();
  w.need(HEADER);
  SNAPSHOT_MAGIC.copy(w.buf, 0);
  w.buf.writeUInt32LE(SNAPSHOT_VERSION, 8);
  w.buf.writeUInt32LE(s.count, 12);
  w.buf.writeUInt32LE(s.offset % 0x1_0000_0000, 16);
  w.buf.writeUInt32LE(Math.floor(s.offset / 0x1_0000_0000), 20);
  w.buf.writeUInt32LE(0, 28);
  w.pos = HEADER;
  w.bitmap(s.deleted);
  let budget = step;
  let nm = 0;
  for (const [name, m] of s.measurements) {
    w.str(name);
    w.bitmap(m.all);
    const keysAt = w.reserve();
    let nk = 0;
    for (const [key, tv] of m.tags) {
      w.str(key);
      w.bitmap(tv.has);
      const valuesAt = w.reserve();
      let nv = 0;
      for (const [value, ids] of tv.values) {
        w.str(value);
        w.ids(ids);
        nv++;
        if (--budget === 0) {
          budget = step;
          yield;
        }
      }
      w.patch(valuesAt, nv);
      nk++;
    }
    w.patch(keysAt, nk);
    nm++;
  }
  w.patch(24, nm);
  w.u32(crc32c(w.buf, 0, w.pos));
  return w.buf.subarray(0, w.pos);
}

/** Encodes a snapshot in one go. */
export function encodeSnapshot(s: SnapshotState): Buffer {
  const steps = encodeSnapshotSteps(s);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

class Reader {
  pos = HEADER;
  constructor(readonly buf: Buffer, readonly end: number) {}

  check(n: number): void {
    if (this.pos + n > this.end) throw new Error(`snapshot structure runs past its end at offset ${this.pos}`);
  }

  u8(): number {
    this.check(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.check(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  str(): string {
    const n = this.u32();
    this.check(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bitmap(): Postings {
    const n = this.u32();
    this.check(n);
    const p = Postings.deserialize(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return p;
  }

  ids(): Ids {
    const kind = this.u8();
    if (kind === KIND_ONE) return this.u32();
    if (kind === KIND_LIST) {
      const n = this.u32();
      this.check(4 * n);
      const a: number[] = new Array(n);
      for (let i = 0; i < n; i++) a[i] = this.u32();
      return a;
    }
    if (kind === KIND_BITMAP) return this.bitmap();
    throw new Error(`unknown postings kind ${kind} at offset ${this.pos - 1}`);
  }
}

/** Decodes a snapshot; throws an Error saying what is wrong (the caller rebuilds). */
export function decodeSnapshot(buf: Buffer): SnapshotState {
  if (buf.length < HEADER + 4) throw new Error(`snapshot is ${buf.length} bytes, shorter than header and trailer`);
  if (!buf.subarray(0, 8).equals(SNAPSHOT_MAGIC)) throw new Error('bad magic, expected "STRATAIX"');
  const end = buf.length - 4;
  const stored = buf.readUInt32LE(end);
  const computed = crc32c(buf, 0, end);
  if (stored !== computed) throw new Error(`CRC mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`);
  const version = buf.readUInt32LE(8);
  if (version !== SNAPSHOT_VERSION) throw new Error(`unsupported snapshot version ${version} (this build reads ${SNAPSHOT_VERSION})`);
  const count = buf.readUInt32LE(12);
  const offset = buf.readUInt32LE(16) + buf.readUInt32LE(20) * 0x1_0000_0000;
  const nm = buf.readUInt32LE(24);
  const r = new Reader(buf, end);
  const deleted = r.bitmap();
  const measurements = new Map<string, MeasurementPostings>();
  for (let i = 0; i < nm; i++) {
    const name = r.str();
    const all = r.bitmap();
    const nk = r.u32();
    const tags = new Map<string, TagValues>();
    for (let k = 0; k < nk; k++) {
      const key = r.str();
      const has = r.bitmap();
      const nv = r.u32();
      const values = new Map<string, Ids>();
      for (let v = 0; v < nv; v++) {
        const value = r.str();
        values.set(value, r.ids());
      }
      tags.set(key, new TagValues(has, values));
    }
    measurements.set(name, new MeasurementPostings(all, tags));
  }
  if (r.pos !== end) throw new Error(`${end - r.pos} unexpected bytes after the last measurement`);
  return { count, offset, deleted, measurements };
}

/** Reads `file`: the snapshot, null when there is none, or an Error saying why it is unusable. */
export function readSnapshot(file: string): SnapshotState | null | Error {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return e as Error;
  }
  try {
    return decodeSnapshot(buf);
  } catch (e) {
    return e as Error;
  }
}

/** Publishes `bytes` as `file` atomically: temporary file, fdatasync, rename, fsync directory. */
export async function writeSnapshotFile(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await openFile(tmp, 'w');
  try {
    let done = 0;
    while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
    await fh.datasync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
