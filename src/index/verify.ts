// Offline, read-only check of one database's index directory (`strata verify`): the series
// file and the postings snapshot, judged by the rules SeriesIndex.open applies
// (docs/format/index.md), without changing a byte. SeriesFile.open truncates torn tails and
// reinitialises empty headers, so it is not used here; the frame rules are re-applied over
// a read-only descriptor instead.
//
// What is damage and what is a warning follows what open would do:
//   - a bad entry before the point the snapshot proves synced, a bad header, an entry that
//     passes its CRC but cannot be used (a malformed key, a bad tombstone), a series file
//     shorter than the snapshot says: damage (open refuses, or would lose series);
//   - a bad entry after that point: a torn tail that open truncates (a warning);
//   - a snapshot that is missing, unreadable or does not fit the series file: a warning
//     (open rebuilds the postings from the series file);
//   - a snapshot that open WOULD use but whose postings differ from what the series file
//     says: damage (queries would select the wrong series until it is deleted).

import fs from 'node:fs';
import path from 'node:path';
import { parseSeriesKey } from '../ingest/seriesKey.js';
import { crc32c } from '../wal/crc32c.js';
import { Postings } from './postings.js';
import {
  checkHeader,
  FRAME_HEADER_SIZE,
  MAX_FRAME_SIZE,
  SERIES_HEADER_SIZE,
  SNAPSHOT_NAME,
  TYPE_ADD,
  TYPE_DELETE,
} from './seriesFile.js';
import { SERIES_FILE_NAME } from './seriesIndex.js';
import { readSnapshot, type SnapshotState } from './snapshot.js';
import { MeasurementPostings, toPostings } from './tagIndex.js';

export type IndexProblemSeverity = 'damage' | 'warning';

export interface IndexProblem {
  severity: IndexProblemSeverity;
  file: string;
  offset: number;
  message: string;
}

export interface IndexVerifyResult {
  seriesFile: string;
  snapshotFile: string;
  /** Whether the series file exists. */
  exists: boolean;
  bytes: number;
  /** ADD entries read before the first bad one: the ids that have a key. */
  ids: number;
  /** Ids not tombstoned. */
  live: number;
  /** none: no snapshot; ok: open would use it; unusable: open would rebuild without it. */
  snapshot: 'none' | 'ok' | 'unusable';
  problems: IndexProblem[];
}

/** Messages listed per kind of postings disagreement before the rest are only counted. */
const MAX_MISMATCHES = 5;
const CHUNK = 8 * 1024 * 1024;

/**
 * Checks `<dir>/series` and `<dir>/postings.snap` without changing them. Never throws for
 * damage (only for I/O errors other than a missing file).
 */
export function verifyIndexDir(dir: string): IndexVerifyResult {
  const seriesFile = path.join(dir, SERIES_FILE_NAME);
  const snapshotFile = path.join(dir, SNAPSHOT_NAME);
  const res: IndexVerifyResult = { seriesFile, snapshotFile, exists: false, bytes: 0, ids: 0, live: 0, snapshot: 'none', problems: [] };
  const damage = (file: string, offset: number, message: string): void => {
    res.problems.push({ severity: 'damage', file, offset, message });
  };
  const warn = (file: string, offset: number, message: string): void => {
    res.problems.push({ severity: 'warning', file, offset, message });
  };

  let snap: SnapshotState | null = null;
  const read = readSnapshot(snapshotFile);
  if (read instanceof Error) {
    res.snapshot = 'unusable';
    warn(snapshotFile, 0, `postings snapshot is unusable (${read.message}): the next open rebuilds the postings from the series file (a slower start) and writes a new one`);
  } else if (read) {
    snap = read;
    res.snapshot = 'ok';
  }
  /** Bytes of the series file the snapshot proves synced: damage before it is not a torn tail. */
  const durable = snap?.offset ?? 0;

  let fd: number;
  try {
    fd = fs.openSync(seriesFile, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (snap && durable > SERIES_HEADER_SIZE) {
      damage(seriesFile, 0, `series file is missing, but ${SNAPSHOT_NAME} shows its first ${durable} bytes (${snap.count} series) were synced: restore the index directory from a backup`);
    }
    return res;
  }
  res.exists = true;
  const keys: string[] = [];
  const keyOffsets: number[] = [];
  const deletes: { ids: Postings; offset: number }[] = [];
  let end = SERIES_HEADER_SIZE;
  /** As in SeriesIndex.open: ADD entries before the first entry at or after the snapshot's
   * offset when that entry starts exactly there, -2 when none does, -1 while unknown. */
  let boundary = -1;
  try {
    const size = fs.fstatSync(fd).size;
    res.bytes = size;
    const header = readAt(fd, 0, Math.min(size, SERIES_HEADER_SIZE));
    if (size < SERIES_HEADER_SIZE || isZero(header)) {
      if (!isZero(readAt(fd, 0, Math.min(size, 1 << 20)))) {
        const what = size < SERIES_HEADER_SIZE ? `is ${size} bytes, shorter than its ${SERIES_HEADER_SIZE}-byte header` : 'has a zero-filled header but holds data after it';
        damage(seriesFile, 0, `series file ${what}: restore the index directory from a backup`);
      } else if (durable > SERIES_HEADER_SIZE) {
        damage(seriesFile, 0, `series file is empty or zero-filled, but ${SNAPSHOT_NAME} shows its first ${durable} bytes were synced: restore the index directory from a backup`);
      } else if (size > 0) {
        warn(seriesFile, 0, 'series file has a zero-filled header (its creation was cut short): the next open reinitialises it');
      }
      return res;
    }
    const why = checkHeader(header);
    if (why) {
      damage(seriesFile, 0, `${why}: restore the index directory from a backup`);
      return res;
    }
    const scan = scanReadOnly(fd, size, (type, body, offset) => {
      if (offset >= durable && boundary === -1) boundary = offset === durable ? keys.length : -2;
      if (type === TYPE_ADD) {
        keys.push(body.toString('utf8', 4));
        keyOffsets.push(offset);
        return null;
      }
      let ids: Postings;
      try {
        ids = Postings.deserialize(body);
      } catch (e) {
        return `DELETE entry does not hold a roaring bitmap (${(e as Error).message}) under a valid CRC: restore the index directory from a backup`;
      }
      const max = ids.max();
      if (max !== undefined && max >= keys.length) return `DELETE entry names id ${max}, which does not exist yet (${keys.length} series): restore the index directory from a backup`;
      deletes.push({ ids, offset });
      return null;
    });
    end = scan.end;
    res.ids = keys.length;
    if (scan.unusable) {
      // Open throws at such an entry wherever it is.
      damage(seriesFile, scan.unusable.offset, scan.unusable.detail);
    } else if (scan.bad && scan.bad.offset < durable) {
      damage(seriesFile, scan.bad.offset, `${scan.bad.detail}; ${SNAPSHOT_NAME} shows the first ${durable} bytes were synced, so this is damage, not a torn write: restore the index directory from a backup`);
    } else if (scan.bad) {
      warn(
        seriesFile,
        scan.bad.offset,
        `torn tail (${scan.bad.detail}): the next open truncates the series file here, dropping ${size - scan.bad.offset} bytes of entries a crash cut short before they were synced (WAL replay creates those series again)`,
      );
    }
    if (!scan.unusable && !scan.bad && end < durable) {
      damage(seriesFile, end, `series file's valid entries end at ${end} bytes, but ${SNAPSHOT_NAME} shows its first ${durable} bytes were synced: restore the index directory from a backup (or, to accept the loss, delete ${SNAPSHOT_NAME})`);
    }
  } finally {
    fs.closeSync(fd);
  }

  // Keys under a valid CRC must parse; then the postings the series file implies.
  const deleted = Postings.unionAll(deletes.map((d) => d.ids));
  const truth = new Map<string, MeasurementPostings>();
  const parsed: ({ measurement: string; tags: [string, string][] } | null)[] = new Array(keys.length);
  let malformed = 0;
  for (let id = 0; id < keys.length; id++) {
    try {
      parsed[id] = parseSeriesKey(keys[id]);
    } catch (e) {
      parsed[id] = null;
      if (malformed++ < MAX_MISMATCHES) damage(seriesFile, keyOffsets[id], `series ${id} has a malformed key (${(e as Error).message}) under a valid CRC: restore the index directory from a backup`);
      continue;
    }
    if (deleted.has(id)) continue;
    const p = parsed[id]!;
    let m = truth.get(p.measurement);
    if (!m) truth.set(p.measurement, (m = new MeasurementPostings()));
    m.add(id, p.tags);
  }
  if (malformed > MAX_MISMATCHES) damage(seriesFile, keyOffsets[0], `${malformed - MAX_MISMATCHES} more malformed series keys`);
  res.live = keys.length - deleted.size;

  if (!snap) return res;
  if (end < durable) {
    res.snapshot = 'unusable';
    return res; // reported above as damage of the series file
  }
  if (boundary === -1) boundary = keys.length; // the snapshot covers the whole file
  if (boundary !== snap.count) {
    res.snapshot = 'unusable';
    warn(
      snapshotFile,
      0,
      `postings snapshot does not fit the series file (it covers ${snap.count} series up to byte ${snap.offset}, but the series file has ${boundary < 0 ? 'no entry boundary' : `${boundary} series`} there): the next open rebuilds the postings from the series file and writes a new one`,
    );
    return res;
  }
  if (malformed > 0) return res;

  // What open builds: the snapshot, the series after it, then the tombstones after it.
  const ms = snap.measurements;
  const tail = Postings.unionAll(deletes.filter((d) => d.offset >= durable).map((d) => d.ids));
  for (let id = snap.count; id < keys.length; id++) {
    if (tail.has(id)) continue;
    const p = parsed[id]!;
    let m = ms.get(p.measurement);
    if (!m) ms.set(p.measurement, (m = new MeasurementPostings()));
    m.add(id, p.tags);
  }
  for (const id of tail.without(snap.deleted).iterate()) {
    const p = parsed[id]!;
    const m = ms.get(p.measurement);
    if (!m) continue;
    m.remove(id, p.tags);
    if (m.all.isEmpty) ms.delete(p.measurement);
  }
  const diffs = comparePostings(ms, truth);
  const openDeleted = snap.deleted.union(tail);
  if (!openDeleted.isEqual(deleted)) diffs.unshift(`tombstoned ids: the snapshot and the series file's tail give ${openDeleted.size}, the series file ${deleted.size}`);
  if (diffs.length > 0) {
    const more = diffs.length > MAX_MISMATCHES ? `; and ${diffs.length - MAX_MISMATCHES} more differences` : '';
    damage(
      snapshotFile,
      0,
      `postings snapshot disagrees with the series file (${diffs.slice(0, MAX_MISMATCHES).join('; ')}${more}): queries would select the wrong series; delete ${SNAPSHOT_NAME} (the next open rebuilds it from the series file)`,
    );
  }
  return res;
}

/** Differences between the postings open would have and the ones the series file implies. */
function comparePostings(got: Map<string, MeasurementPostings>, want: Map<string, MeasurementPostings>): string[] {
  const out: string[] = [];
  const q = JSON.stringify;
  for (const name of new Set([...got.keys(), ...want.keys()])) {
    const g = got.get(name);
    const w = want.get(name);
    if (!g || !w) {
      out.push(`measurement ${q(name)} is ${g ? 'only in the snapshot' : 'missing from the snapshot'}`);
      continue;
    }
    if (!g.all.isEqual(w.all)) out.push(`measurement ${q(name)}: ${g.all.size} series in the snapshot, ${w.all.size} in the series file`);
    for (const key of new Set([...g.tags.keys(), ...w.tags.keys()])) {
      const gt = g.tags.get(key);
      const wt = w.tags.get(key);
      if (!gt || !wt) {
        out.push(`tag key ${q(key)} of ${q(name)} is ${gt ? 'only in the snapshot' : 'missing from the snapshot'}`);
        continue;
      }
      if (!gt.has.isEqual(wt.has)) out.push(`tag key ${q(key)} of ${q(name)}: ${gt.has.size} series in the snapshot, ${wt.has.size} in the series file`);
      for (const value of new Set([...gt.values.keys(), ...wt.values.keys()])) {
        const gv = gt.values.get(value);
        const wv = wt.values.get(value);
        if (gv === undefined || wv === undefined || !toPostings(gv).isEqual(toPostings(wv))) {
          out.push(`${q(name)} ${key}=${q(value)}: different series`);
        }
        if (out.length > MAX_MISMATCHES * 4) return out;
      }
    }
  }
  return out;
}

interface ReadOnlyScan {
  end: number;
  /** The first entry that fails the frame rules (a torn tail or damage, by position). */
  bad: { offset: number; detail: string } | null;
  /** An entry with a valid CRC that cannot be used: damage wherever it is. */
  unusable: { offset: number; detail: string } | null;
}

/** Walks the frames from the header on (the rules of seriesFile.ts scanFrames). `visit`
 * gets each valid entry's type and body (after the type byte); a string it returns marks
 * the entry unusable and stops the walk. */
function scanReadOnly(fd: number, size: number, visit: (type: number, body: Buffer, offset: number) => string | null): ReadOnlyScan {
  let pos = SERIES_HEADER_SIZE;
  let count = 0;
  let buf: Buffer = Buffer.alloc(0);
  let bufAt = pos;
  const bad = (detail: string): ReadOnlyScan => ({ end: pos, bad: { offset: pos, detail }, unusable: null });
  while (pos < size) {
    if (pos + FRAME_HEADER_SIZE > bufAt + buf.length) {
      buf = readAt(fd, pos, Math.min(size - pos, CHUNK));
      bufAt = pos;
      if (buf.length < FRAME_HEADER_SIZE) return bad(`entry header cut short: ${size - pos} bytes left`);
    }
    let off = pos - bufAt;
    const n = buf.readUInt32LE(off);
    if (n < 1 || n > MAX_FRAME_SIZE) return bad(`impossible entry length ${n}`);
    if (pos + FRAME_HEADER_SIZE + n > size) return bad(`entry of ${n} bytes runs past the end of the file (${size} bytes)`);
    if (off + FRAME_HEADER_SIZE + n > buf.length) {
      buf = readAt(fd, pos, Math.min(size - pos, Math.max(CHUNK, FRAME_HEADER_SIZE + n)));
      bufAt = pos;
      off = 0;
    }
    const stored = buf.readUInt32LE(off + 4);
    const computed = crc32c(buf, off + FRAME_HEADER_SIZE, off + FRAME_HEADER_SIZE + n, crc32c(buf, off, off + 4));
    if (stored !== computed) return bad(`entry CRC mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
    const type = buf[off + 8];
    const body = buf.subarray(off + 9, off + FRAME_HEADER_SIZE + n);
    if (type === TYPE_ADD) {
      if (n < 5) return bad(`ADD entry of ${n} bytes is too short`);
      const id = body.readUInt32LE(0);
      if (id !== count) return bad(`ADD entry has id ${id}, expected ${count} (ids are dense)`);
      count++;
    } else if (type !== TYPE_DELETE) {
      return bad(`unknown entry type ${type}`);
    }
    const why = visit(type, body, pos);
    if (why !== null) return { end: pos, bad: null, unusable: { offset: pos, detail: why } };
    pos += FRAME_HEADER_SIZE + n;
  }
  return { end: pos, bad: null, unusable: null };
}

function readAt(fd: number, pos: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let have = 0;
  while (have < n) {
    const r = fs.readSync(fd, b, have, n - have, pos + have);
    if (r === 0) break;
    have += r;
  }
  return b.subarray(0, have);
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
