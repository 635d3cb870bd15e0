// Postings: a set of series ids, the currency between the tag index and the query side.
// Roaring bitmaps (Chambi, Lemire, Kaser, Godin, "Better bitmap performance with Roaring
// bitmaps", Software: Practice and Experience 2016) sit behind it: sets of dense uint32
// ids split into 2^16-id chunks, each an array, a bitmap or runs, whichever is smallest,
// so AND/OR/ANDNOT run over containers instead of single ids. This is the only module that
// imports `roaring` (STYLE.md point 8): the rest of Strata sees this interface.
//
// Set operations return new Postings and leave their operands alone. The mutators (`add`,
// `remove`, `addAll`, `removeAll`) are for the index that owns a Postings; the index
// never hands its own instances out, only copies or results of operations.

import { createRequire } from 'node:module';
import type * as RoaringModule from 'roaring';

/**
 * Loads the binding with a clean `process.argv`: roaring finds its native file through
 * node-pre-gyp, which parses the process's command line as its own, so a Strata flag it
 * happens to know (`--dir` is taken as `--directory`) made the import fail.
 */
function loadRoaring(): typeof RoaringModule {
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  try {
    return createRequire(import.meta.url)('roaring') as typeof RoaringModule;
  } finally {
    process.argv = argv;
  }
}

const { RoaringBitmap32 } = loadRoaring();
type Bitmap = InstanceType<typeof RoaringBitmap32>;

/** Most ids a Postings keeps as a plain sorted array instead of a bitmap. */
export const SMALL_POSTINGS = 16;

export class Postings implements Iterable<number> {
  // A set is either a sorted array of unique ids (a small one, as most query-time selections
  // of one series are) or a roaring bitmap, never both: a native bitmap costs a few
  // microseconds to create, iterate and collect, more than the rest of selecting one series.
  // A small set gets its bitmap only when an operation needs one; the mutators switch it for
  // good.
  private ids: number[] | null;
  private bitmap: Bitmap | null;

  private constructor(bitmap: Bitmap | null, ids: number[] | null = null) {
    this.bitmap = bitmap;
    this.ids = ids;
  }

  /** @internal The bitmap (made from the small array on first use). */
  get bm(): Bitmap {
    if (this.bitmap === null) {
      this.bitmap = new RoaringBitmap32(this.ids!);
      this.ids = null;
    }
    return this.bitmap;
  }

  static empty(): Postings {
    return new Postings(null, []);
  }

  /** Ids in any order; duplicates are fine. */
  static of(ids: Iterable<number> | ArrayLike<number>): Postings {
    if ((Array.isArray(ids) || ids instanceof Uint32Array) && ids.length <= SMALL_POSTINGS) {
      const a = Array.from(ids as ArrayLike<number>).sort((x, y) => x - y);
      let n = 0;
      for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[n - 1]) a[n++] = a[i];
      a.length = n;
      return new Postings(null, a);
    }
    const bm = new RoaringBitmap32();
    bm.addMany(ids as Iterable<number>);
    return new Postings(bm);
  }

  /** The ids lo..hi-1. */
  static range(lo: number, hi: number): Postings {
    return new Postings(RoaringBitmap32.fromRange(lo, hi));
  }

  /** Union of many: one pass over all of them (roaring's heap-free multi-way OR). */
  static unionAll(list: readonly Postings[]): Postings {
    if (list.length === 0) return Postings.empty();
    if (list.length === 1) return list[0].clone();
    let small = 0;
    for (const p of list) small += p.ids === null ? SMALL_POSTINGS + 1 : p.ids.length;
    if (small <= SMALL_POSTINGS) return Postings.of(list.flatMap((p) => p.ids!));
    return new Postings(RoaringBitmap32.orMany(list.map((p) => p.bm)));
  }

  /** Intersection of many, smallest first, stopping early once empty. */
  static intersectAll(list: readonly Postings[]): Postings {
    if (list.length === 0) return Postings.empty();
    const sorted = list.slice().sort((a, b) => a.size - b.size);
    const first = sorted[0];
    if (first.ids !== null) {
      const out = first.ids.filter((id) => {
        for (let i = 1; i < sorted.length; i++) if (!sorted[i].has(id)) return false;
        return true;
      });
      return new Postings(null, out);
    }
    const acc = first.bm.clone();
    for (let i = 1; i < sorted.length && !acc.isEmpty; i++) acc.andInPlace(sorted[i].bm);
    return new Postings(acc);
  }

  /** Bytes the native roaring library has allocated, for all bitmaps of the process. */
  static nativeMemory(): number {
    return RoaringBitmap32.getRoaringUsedMemory();
  }

  /** Reads the portable roaring format (the one CRoaring, Java and Go share). */
  static deserialize(buf: Uint8Array): Postings {
    return new Postings(RoaringBitmap32.deserialize(buf, 'portable'));
  }

  get size(): number {
    return this.ids !== null ? this.ids.length : this.bitmap!.size;
  }

  get isEmpty(): boolean {
    return this.ids !== null ? this.ids.length === 0 : this.bitmap!.isEmpty;
  }

  has(id: number): boolean {
    const a = this.ids;
    if (a === null) return this.bitmap!.has(id);
    for (let i = 0; i < a.length; i++) if (a[i] >= id) return a[i] === id;
    return false;
  }

  /** Ids in this and in `other` (AND). */
  intersect(other: Postings): Postings {
    if (this.ids !== null) return new Postings(null, this.ids.filter((id) => other.has(id)));
    if (other.ids !== null) return new Postings(null, other.ids.filter((id) => this.has(id)));
    return new Postings(RoaringBitmap32.and(this.bm, other.bm));
  }

  /** Ids in this or in `other` (OR). */
  union(other: Postings): Postings {
    return Postings.unionAll([this, other]);
  }

  /** Ids in this but not in `other` (AND NOT). */
  without(other: Postings): Postings {
    if (this.ids !== null) return new Postings(null, this.ids.filter((id) => !other.has(id)));
    return new Postings(RoaringBitmap32.andNot(this.bm, other.bm));
  }

  intersects(other: Postings): boolean {
    if (this.ids !== null) return this.ids.some((id) => other.has(id));
    if (other.ids !== null) return other.ids.some((id) => this.has(id));
    return this.bm.intersects(other.bm);
  }

  isEqual(other: Postings): boolean {
    if (this.ids !== null && other.ids !== null) return this.ids.length === other.ids.length && this.ids.every((id, i) => id === other.ids![i]);
    if (this.size !== other.size) return false;
    return this.bm.isEqual(other.bm);
  }

  clone(): Postings {
    return this.ids !== null ? new Postings(null, this.ids.slice()) : new Postings(this.bitmap!.clone());
  }

  /** Ids in ascending order. */
  iterate(): IterableIterator<number> {
    return this.ids !== null ? this.ids.values() : (this.bitmap!.values() as IterableIterator<number>);
  }

  [Symbol.iterator](): Iterator<number> {
    return this.iterate();
  }

  toArray(): number[] {
    return this.ids !== null ? this.ids.slice() : this.bitmap!.toArray();
  }

  toUint32Array(): Uint32Array {
    return this.ids !== null ? Uint32Array.from(this.ids) : this.bitmap!.toUint32Array();
  }

  /** The largest id, or undefined when empty. */
  max(): number | undefined {
    if (this.ids !== null) return this.ids.at(-1);
    return this.bitmap!.isEmpty ? undefined : this.bitmap!.maximum();
  }

  /** Portable roaring serialization (the RoaringFormatSpec), stable across versions and languages. */
  serialize(): Buffer {
    const b: Uint8Array = this.bm.serialize('portable');
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  serializedSize(): number {
    return this.bm.getSerializationSizeInBytes('portable');
  }

  // ---- mutators, for the owner of this instance ----

  add(id: number): void {
    this.bm.add(id);
  }

  remove(id: number): void {
    this.bm.remove(id);
  }

  addAll(other: Postings): void {
    this.bm.orInPlace(other.bm);
  }

  removeAll(other: Postings): void {
    this.bm.andNotInPlace(other.bm);
  }

  /** Converts runs of consecutive ids to run containers; call after bulk loads. */
  optimize(): void {
    this.bm.runOptimize();
    this.bm.shrinkToFit();
  }

  toString(): string {
    return `Postings(${this.size})`;
  }
}
