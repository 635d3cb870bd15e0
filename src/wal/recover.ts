// Start-up recovery: replay every valid record in order and decide what each bad spot is.
//
// Every segment but the last was fdatasynced before the next one was created (see
// Wal.rollSegment), so a crash can only tear the LAST segment. There a bad frame is a
// torn tail: the frames after it were never acknowledged, and it is truncated with a
// warning. Anywhere else, a bad frame, a bad header or a missing segment is corruption:
// an error naming the file and offset, unless the operator asked for repair.

import { open, readdir, rename, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError } from '../errors.js';
import { silentLogger, type Logger } from '../types.js';
import { SEGMENT_HEADER_SIZE, encodeSegmentHeader, parseSegmentName, segmentName } from './format.js';
import { fsyncDir } from './io.js';
import { scanSegment } from './scan.js';

/** `open`: fix torn tails, throw on corruption. `repair`: fix everything, keeping copies
 * of what is cut. `verify`: change nothing, report everything. */
export type RecoverMode = 'open' | 'repair' | 'verify';

export interface WalProblem {
  kind: 'torn-tail' | 'torn-header' | 'bad-header' | 'bad-frame' | 'missing-segment';
  file: string;
  offset: number;
  detail: string;
  /** Bytes cut from the file (or that would be, in verify mode). */
  dropped: number;
  /** What was done: nothing (verify), truncated, reinitialised to an empty segment, or created empty. */
  action: 'none' | 'truncated' | 'reinitialized' | 'created';
  /** Where the cut bytes were saved (repair only). */
  savedTo?: string;
}

export interface RecoverResult {
  /** Segments in id order with the offset just past their last valid frame. */
  segments: { id: number; end: number }[];
  records: number;
  problems: WalProblem[];
}

export type RecordVisitor = (type: number, payload: Buffer, segment: number, offset: number) => void;

/** Caps how many empty segments repair creates to close a gap in the ids. */
const MAX_GAP_FILL = 10_000;

export async function listSegments(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const ids: number[] = [];
  for (const n of names) {
    const id = parseSegmentName(n);
    if (id !== null) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

export async function recoverDir(dir: string, mode: RecoverMode, logger: Logger, visit: RecordVisitor): Promise<RecoverResult> {
  const res: RecoverResult = { segments: [], records: 0, problems: [] };
  const ids = await fillGaps(dir, await listSegments(dir), mode, logger, res);
  let dirChanged = ids.changed;
  for (let i = 0; i < ids.list.length; i++) {
    const id = ids.list[i];
    const last = i === ids.list.length - 1;
    const file = join(dir, segmentName(id));
    const scan = await scanSegment(file, id, (type, payload, offset) => {
      res.records++;
      visit(type, payload, id, offset);
    });
    let end = scan.end;
    if (scan.header !== 'ok') {
      const torn = scan.header === 'torn' && last;
      const p = problem(res, torn ? 'torn-header' : 'bad-header', file, 0, scan.headerDetail, scan.size);
      if (!torn) onCorruption(mode, p, last ? 'the segment header is damaged' : `${ids.list.length - 1 - i} later segment(s) follow`);
      if (mode !== 'verify') {
        await cut(file, id, 0, p, mode === 'repair' && !torn && scan.size > 0);
        dirChanged = true;
        report(logger, p, torn);
      }
      end = SEGMENT_HEADER_SIZE;
    } else if (scan.bad) {
      const { offset, detail } = scan.bad;
      const p = problem(res, last ? 'torn-tail' : 'bad-frame', file, offset, detail, scan.size - offset);
      if (!last) onCorruption(mode, p, `${scan.size - offset} bytes follow in this segment and ${ids.list.length - 1 - i} later segment(s)`);
      if (mode !== 'verify') {
        await cut(file, id, offset, p, mode === 'repair' && !last);
        if (p.savedTo) dirChanged = true;
        report(logger, p, last);
      }
    }
    res.segments.push({ id, end });
  }
  if (dirChanged) await fsyncDir(dir);
  return res;
}

function problem(res: RecoverResult, kind: WalProblem['kind'], file: string, offset: number, detail: string, dropped: number): WalProblem {
  const p: WalProblem = { kind, file, offset, detail, dropped, action: 'none' };
  res.problems.push(p);
  return p;
}

function onCorruption(mode: RecoverMode, p: WalProblem, context: string): void {
  if (mode === 'open') throw new CorruptionError(p.file, p.offset, `${p.detail}; ${context}`);
}

function report(logger: Logger, p: WalProblem, torn: boolean): void {
  const { kind, file, offset, dropped, detail, action, savedTo } = p;
  const obj = { kind, file, offset, dropped, detail, action, ...(savedTo ? { savedTo } : {}) };
  if (torn) {
    logger.warn(obj, `WAL ${kind === 'torn-header' ? 'torn segment header' : 'torn tail'} in ${file} at offset ${offset} (${detail}): ${action}, dropped ${dropped} bytes of a write a crash cut short (it was never acknowledged)`);
  } else {
    const saved = savedTo ? `; the cut bytes are saved in ${savedTo}` : '';
    logger.error(obj, `WAL repair: ${kind} in ${file} at offset ${offset} (${detail}): ${action}, dropped ${dropped} bytes${saved}`);
  }
}

/** Truncates segment `id` at `offset` (reinitialising its header when offset is inside it),
 * optionally saving the cut bytes beside it first, and makes the result durable. */
async function cut(file: string, id: number, offset: number, p: WalProblem, save: boolean): Promise<void> {
  if (save) {
    p.savedTo = `${file}.corrupt-${offset}`;
    await copyTail(file, offset, p.savedTo);
  }
  if (offset < SEGMENT_HEADER_SIZE) {
    await truncate(file, 0);
    const fh = await open(file, 'r+');
    try {
      await fh.write(encodeSegmentHeader(id), 0, SEGMENT_HEADER_SIZE, 0);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    p.action = 'reinitialized';
  } else {
    const fh = await open(file, 'r+');
    try {
      await fh.truncate(offset);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    p.action = 'truncated';
  }
}

async function copyTail(file: string, offset: number, dest: string): Promise<void> {
  const tmp = `${dest}.tmp`;
  const src = await open(file, 'r');
  const out = await open(tmp, 'w');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let pos = offset; ; ) {
      const { bytesRead } = await src.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      await out.write(buf, 0, bytesRead);
      pos += bytesRead;
    }
    await out.sync();
  } finally {
    await src.close();
    await out.close();
  }
  await rename(tmp, dest);
}

/** Segment ids must be consecutive: a missing one means lost records. Repair fills the
 * gap with empty segments so the next start is clean. */
async function fillGaps(dir: string, ids: number[], mode: RecoverMode, logger: Logger, res: RecoverResult): Promise<{ list: number[]; changed: boolean }> {
  const list: number[] = [];
  let changed = false;
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && ids[i] !== ids[i - 1] + 1) {
      const a = ids[i - 1];
      const b = ids[i];
      const missing = b - a - 1;
      const file = join(dir, segmentName(a + 1));
      const detail = `${missing} segment(s) missing between ${segmentName(a)} and ${segmentName(b)}: their records are lost`;
      const p = problem(res, 'missing-segment', file, 0, detail, 0);
      onCorruption(mode, p, 'a segment file was deleted or its directory entry lost');
      if (mode === 'repair') {
        if (missing > MAX_GAP_FILL) {
          throw new CorruptionError(file, 0, `${detail}; too large a gap to fill with empty segments: move the segments from ${segmentName(b)} on aside`);
        }
        for (let m = a + 1; m < b; m++) {
          const fh = await open(join(dir, segmentName(m)), 'wx');
          try {
            await fh.write(encodeSegmentHeader(m), 0, SEGMENT_HEADER_SIZE, 0);
            await fh.datasync();
          } finally {
            await fh.close();
          }
          list.push(m);
        }
        p.action = 'created';
        changed = true;
        report(logger, p, false);
      }
    }
    list.push(ids[i]);
  }
  return { list, changed };
}

/**
 * Repairs a WAL directory offline (for `strata repair-wal`): truncates torn tails and
 * corruption, saving every cut of an earlier segment as `<segment>.corrupt-<offset>`,
 * reinitialises damaged headers and fills missing segments with empty ones. Returns what
 * it found and did; a directory that does not exist is an empty WAL.
 */
export async function repairWal(dir: string, logger: Logger = silentLogger): Promise<RecoverResult> {
  return recoverDir(dir, 'repair', logger, () => {});
}

/** Checks a WAL directory without changing it (for `strata verify`). */
export async function verifyWal(dir: string): Promise<RecoverResult> {
  return recoverDir(dir, 'verify', silentLogger, () => {});
}
