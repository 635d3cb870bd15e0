// Offline check of one TSM file (`strata verify`): header, footer, index CRC and rules,
// then every block: its CRC, that it decodes, and that it agrees with its index entry
// (type, count, first and last time, times ascending); optionally that every series id is
// known to the series index. Reports every problem with the file and offset, never throws
// for damage. Blocks are read in file order through a 4 MiB window, so a large file is
// read sequentially and never held whole.

import fs from 'node:fs';
import { CorruptionError } from '../errors.js';
import { decodeBlock } from '../gorilla/index.js';
import { crc32c } from '../wal/crc32c.js';
import type { DecodedColumn } from './cache.js';
import { TsmCorruptionError } from './errors.js';
import { BLOCK_CRC_SIZE, TEMP_SUFFIX } from './format.js';
import { blockSize } from './indexCodec.js';
import type { TsmIndex } from './indexCodec.js';
import { blockMismatch, openIndex, readFully } from './reader.js';

export interface VerifyProblem {
  file: string;
  offset: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Blocks and points checked. */
  blocks: number;
  points: number;
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  /** Is this series id in the database's series index? Unknown ids are reported. */
  seriesExists?: (id: number) => boolean;
  /** Stop listing after this many problems (default 1000); the last entry says so. */
  maxProblems?: number;
}

const WINDOW = 4 << 20;

export function verifyTsmFile(path: string, opts: VerifyOptions = {}): VerifyResult {
  const max = opts.maxProblems ?? 1000;
  const result: VerifyResult = { ok: true, blocks: 0, points: 0, problems: [] };
  let capped = false;
  const report = (offset: number, message: string): void => {
    result.ok = false;
    if (result.problems.length < max) result.problems.push({ file: path, offset, message });
    else if (!capped) {
      capped = true;
      result.problems.push({ file: path, offset, message: `more than ${max} problems; the rest are not listed` });
    }
  };
  if (path.endsWith(TEMP_SUFFIX)) {
    report(0, 'a temporary file of a TSM write that did not finish: it holds no published data, delete it');
    return result;
  }
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    report(0, `cannot open: ${(err as Error).message}`);
    return result;
  }
  try {
    let ix: TsmIndex;
    try {
      ix = openIndex(fd, path, { keyPositions: true }).ix;
    } catch (err) {
      if (err instanceof CorruptionError) {
        report(err.offset, err instanceof TsmCorruptionError ? err.detail : err.message);
        return result;
      }
      throw err;
    }
    checkSeries(ix, opts.seriesExists, (k, id) => report(ix.indexOffset + ix.keyPos![k], `series id ${id} (index entry at this offset) is not in the series index`));
    checkBlocks(fd, ix, report, result);
  } finally {
    fs.closeSync(fd);
  }
  return result;
}

function checkSeries(ix: TsmIndex, exists: ((id: number) => boolean) | undefined, report: (key: number, id: number) => void): void {
  if (exists === undefined) return;
  for (let s = 0; s < ix.series.length; s++) {
    if (!exists(ix.series[s])) report(ix.seriesKeyStart[s], ix.series[s]);
  }
}

function checkBlocks(fd: number, ix: TsmIndex, report: (offset: number, message: string) => void, result: VerifyResult): void {
  crcCheckedBlocks(fd, ix, report, (k, b, win, at, len) => {
    result.blocks++;
    result.points += ix.count[b];
    if (win === null) return;
    const field = ix.fields[ix.keyField[k]];
    let d: DecodedColumn;
    try {
      d = decodeBlock(win.subarray(at + BLOCK_CRC_SIZE, at + len)) as DecodedColumn;
    } catch (err) {
      report(ix.offset[b], `block does not decode: ${(err as Error).message}`);
      return;
    }
    const ref = { minTime: ix.minTime[b], maxTime: ix.maxTime[b], offset: ix.offset[b], size: len - BLOCK_CRC_SIZE, count: ix.count[b] };
    const problem = blockMismatch(d, ref, field.type);
    if (problem !== null) report(ix.offset[b], problem);
  });
}

/**
 * Every block of the file, key by key, read through a WINDOW-sized buffer and CRC-checked:
 * `visit(k, b, win, at, len)` gets the block's bytes at win[at, at + len) (its CRC first),
 * or win null when it is cut short or its CRC does not match (reported).
 */
function crcCheckedBlocks(
  fd: number,
  ix: TsmIndex,
  report: (offset: number, message: string) => void,
  visit: (k: number, b: number, win: Buffer | null, at: number, len: number) => void,
): void {
  let win = Buffer.alloc(0);
  let winStart = 0;
  for (let k = 0; k < ix.keyField.length; k++) {
    for (let b = ix.keyBlockStart[k]; b < ix.keyBlockStart[k + 1]; b++) {
      const offset = ix.offset[b];
      const size = blockSize(ix, b);
      const len = BLOCK_CRC_SIZE + size;
      if (offset < winStart || offset + len > winStart + win.length) {
        const buf = Buffer.allocUnsafe(Math.max(WINDOW, len));
        win = buf.subarray(0, readFully(fd, buf, offset));
        winStart = offset;
        if (win.length < len) {
          report(offset, `block of ${size} bytes is cut short by the end of the file`);
          visit(k, b, null, 0, len);
          continue;
        }
      }
      const at = offset - winStart;
      const want = win.readUInt32LE(at);
      const got = crc32c(win, at + BLOCK_CRC_SIZE, at + len);
      if (want !== got) {
        report(offset, `block CRC mismatch (series ${seriesOfKey(ix, k)} field ${JSON.stringify(ix.fields[ix.keyField[k]].name)})`);
        visit(k, b, null, 0, len);
        continue;
      }
      visit(k, b, win, at, len);
    }
  }
}

/**
 * The first problem of the file at `path` (a TSM writer's temporary file included) by the
 * checks a read makes before it uses a block: header, footer, index CRC, and every block's
 * CRC. Null when there is none. TsmWriter.finish() runs it before it publishes a file.
 */
export function readBackProblem(path: string): VerifyProblem | null {
  const fd = fs.openSync(path, 'r');
  try {
    let ix: TsmIndex;
    try {
      ix = openIndex(fd, path).ix;
    } catch (err) {
      if (err instanceof TsmCorruptionError) return { file: path, offset: err.offset, message: err.detail };
      throw err;
    }
    let first: VerifyProblem | null = null;
    crcCheckedBlocks(fd, ix, (offset, message) => (first ??= { file: path, offset, message }), () => {});
    return first;
  } finally {
    fs.closeSync(fd);
  }
}

function seriesOfKey(ix: TsmIndex, k: number): number {
  let a = 0;
  let z = ix.series.length - 1;
  while (a < z) {
    const m = (a + z + 1) >>> 1;
    if (ix.seriesKeyStart[m] <= k) a = m;
    else z = m - 1;
  }
  return ix.series[a];
}
