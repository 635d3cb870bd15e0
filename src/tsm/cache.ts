// A byte-budgeted LRU cache of decoded blocks, shared by the readers of a database.
//
// It holds decoded blocks, not raw bytes: the raw bytes of the newest files are held by
// the resident set (resident.ts), the others are in the OS page cache while it keeps them,
// while the decoded columns save the decoding (the CPU cost of a read). The price is size: a decoded
// point takes 9-16 bytes against ~1-7 encoded, so the same budget holds fewer points.
//
// Keys are (file, offset), the file being a reader instance id rather than a path: a path
// can be reused by a later file (compaction output), an instance cannot. A reader drops its
// entries when it closes. LRU by the insertion order of a Map (a hit re-inserts).

import type { DecodedFloatBlock } from '../gorilla/index.js';
import type { ColumnValues, FieldTypeCode } from '../types.js';

export interface DecodedColumn {
  type: FieldTypeCode;
  times: BigInt64Array;
  values: ColumnValues;
}

interface Entry {
  file: number;
  block: DecodedColumn | DecodedFloatBlock;
  bytes: number;
}

/** Approximate heap bytes of a decoded block (typed array bodies, string payloads and the
 * fixed cost of the objects around them). */
export function decodedBytes(b: DecodedColumn): number {
  let n = 200 + b.times.byteLength;
  const v = b.values;
  if (Array.isArray(v)) {
    n += 8 * v.length;
    for (const s of v) n += 16 + 2 * s.length;
  } else {
    n += v.byteLength;
  }
  return n;
}

let nextFileId = 1;
/** A process-unique id for a reader instance (cache keys). */
export function newFileId(): number {
  return nextFileId++;
}

export class BlockCache {
  readonly budgetBytes: number;
  private readonly map = new Map<string, Entry>();
  private used = 0;
  private hitCount = 0;
  private missCount = 0;
  private evictCount = 0;

  constructor(budgetBytes: number) {
    if (!(budgetBytes >= 0)) throw new RangeError(`block cache budget must be >= 0 bytes, not ${budgetBytes}`);
    this.budgetBytes = budgetBytes;
  }

  get bytes(): number {
    return this.used;
  }
  get hits(): number {
    return this.hitCount;
  }
  get misses(): number {
    return this.missCount;
  }
  get evictions(): number {
    return this.evictCount;
  }
  get entries(): number {
    return this.map.size;
  }

  /** The cached block, counting a hit or a miss. Callers must not modify what it returns. */
  get(file: number, offset: number): DecodedColumn | undefined {
    return this.lookup(`${file}:${offset}`) as DecodedColumn | undefined;
  }

  /** The float view of a cached block (TsmReader.readFloat), kept apart from get()'s, under
   * a key the reader makes: `${file}:${offset}:f`. */
  getFloat(key: string): DecodedFloatBlock | undefined {
    return this.lookup(key) as DecodedFloatBlock | undefined;
  }

  /** Adds the float view of a block of `file` (see set() and getFloat()). */
  setFloat(key: string, file: number, block: DecodedFloatBlock): void {
    this.put(key, file, block, 200 + (block.times?.byteLength ?? 0) + block.values.byteLength);
  }

  private lookup(key: string): DecodedColumn | DecodedFloatBlock | undefined {
    const e = this.map.get(key);
    if (e === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    this.map.delete(key);
    this.map.set(key, e);
    return e.block;
  }

  /** Adds a block, evicting the least recently used ones to stay within the budget. A block
   * larger than the whole budget is not kept. */
  set(file: number, offset: number, block: DecodedColumn): void {
    this.put(`${file}:${offset}`, file, block, decodedBytes(block));
  }

  private put(key: string, file: number, block: DecodedColumn | DecodedFloatBlock, bytes: number): void {
    if (bytes > this.budgetBytes) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      this.used -= old.bytes;
    }
    this.map.set(key, { file, block, bytes });
    this.used += bytes;
    if (this.used > this.budgetBytes) {
      for (const [k, e] of this.map) {
        if (this.used <= this.budgetBytes) break;
        this.map.delete(k);
        this.used -= e.bytes;
        this.evictCount++;
      }
    }
  }

  /** Drops every block of one file (its reader closed). */
  dropFile(file: number): void {
    for (const [k, e] of this.map) {
      if (e.file === file) {
        this.map.delete(k);
        this.used -= e.bytes;
      }
    }
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}
