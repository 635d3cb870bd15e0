// The compaction executor: merges a contiguous run of TSM files (oldest first) into one.
// Runs in the file worker thread (synchronous code).
//
// Columns are visited in (series id, field) order across all inputs. A column held by one
// input only is copied block by block without decoding (addRawBlock); a column held by
// several is decoded, merged with the newer file winning on equal timestamps (points
// overwritten since drop out here) and re-encoded. Memory stays at one column at a time.
//
// Tombstones (`deletes`, one list per input: those that apply to that input, i.e. made
// after it was written) drop their points here for good: a block wholly inside a deleted
// range is skipped, one that overlaps a range is decoded, cut and re-encoded, and the
// others are still copied raw. A series deleted whole simply does not reach the output.

import { coveredBy, cutRanges, overlapsAny, rangesFor, type CompactDelete, type DeleteRange } from './cut.js';
import { mergeChunks, type Chunk } from './merge.js';
import type { FieldTypeCode } from '../types.js';
import { TsmReader } from './reader.js';
import { TsmWriter, type TsmFileMeta } from './writer.js';

interface ColumnKey {
  seriesId: number;
  field: string;
  type: FieldTypeCode;
}

function before(a: ColumnKey, b: ColumnKey): boolean {
  return a.seriesId < b.seriesId || (a.seriesId === b.seriesId && a.field < b.field);
}

/**
 * Merges the files at `inputs` (oldest first) into `output`, published atomically.
 * `deletes[i]` are the tombstones to apply to `inputs[i]` (docs/format/tombstones.md).
 */
export function compactFiles(inputs: readonly string[], output: string, deletes?: readonly (readonly CompactDelete[])[]): TsmFileMeta {
  const readers = inputs.map((p) => TsmReader.open(p));
  const writer = new TsmWriter(output);
  try {
    const iters = readers.map((r) => r.columns());
    const heads: (ColumnKey | undefined)[] = iters.map((it) => next(it));
    for (;;) {
      let min: ColumnKey | undefined;
      for (const h of heads) if (h && (!min || before(h, min))) min = h;
      if (!min) break;
      const holders: number[] = [];
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && h.seriesId === min.seriesId && h.field === min.field) {
          if (h.type !== min.type) throw new Error(`compaction: series ${min.seriesId} field "${min.field}" has type ${h.type} in ${inputs[i]} but ${min.type} elsewhere`);
          holders.push(i);
        }
      }
      const cuts = holders.map((i) => rangesFor(deletes?.[i], min!.seriesId));
      if (holders.length === 1) {
        const r = readers[holders[0]];
        const ranges = cuts[0];
        for (const ref of r.blocks(min.seriesId, min.field)) {
          if (!overlapsAny(ranges, ref.minTime, ref.maxTime)) {
            writer.addRawBlock(min.seriesId, min.field, min.type, ref, r.rawBlock(ref));
          } else if (!coveredBy(ranges, ref.minTime, ref.maxTime)) {
            const kept = cutRanges(r.readBlock(ref, min.type), ranges);
            writer.add({ seriesId: min.seriesId, field: min.field, type: min.type, times: kept.times, values: kept.values });
          }
        }
      } else {
        const chunks: Chunk[] = [];
        holders.forEach((i, k) => {
          const ranges: DeleteRange[] = cuts[k];
          const c = readers[i].read(min!.seriesId, min!.field);
          if (c && c.times.length > 0) chunks.push(cutRanges(c, ranges));
        });
        const merged = mergeChunks(chunks);
        writer.add({ seriesId: min.seriesId, field: min.field, type: min.type, times: merged.times, values: merged.values });
      }
      for (const i of holders) heads[i] = next(iters[i]);
    }
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    for (const r of readers) r.close();
  }
}

function next(it: IterableIterator<ColumnKey>): ColumnKey | undefined {
  const r = it.next();
  return r.done ? undefined : r.value;
}
