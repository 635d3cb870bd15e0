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

export class Postings implements Iterable<number> {
  /** @internal */
  readonly bm: Bitmap;

  private constructor(bm: Bitmap) {
    this.bm = bm;
  }

  static empty(): Postings {
    return new Postings(new RoaringBitmap32());
  }

  /** Ids in any order; duplicates are fine. */
  static of(ids: Iterable<number> | ArrayLike<number>): Postings {
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
    return new Postings(RoaringBitmap32.orMany(list.map((p) => p.bm)));
  }

  /** Intersection of many, smallest first, stopping early once empty. */
  static intersectAll(list: readonly Postings[]): Postings {
    if (list.length === 0) return Postings.empty();
    const sorted = list.slice().sort((a, b) => a.size - b.size);
    let acc = sorted[0].bm.clone();
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
    return this.bm.size;
  }

  get isEmpty(): boolean {
    return this.bm.isEmpty;
  }

  has(id: number): boolean {
    return this.bm.has(id);
  }

  /** Ids in this and in `other` (AND). */
  intersect(other: Postings): Postings {
    return new Postings(RoaringBitmap32.and(this.bm, other.bm));
  }

  /** Ids in this or in `other` (OR). */
  union(other: Postings): Postings {
    return new Postings(RoaringBitmap32.or(this.bm, other.bm));
  }

  /** Ids in this but not in `other` (AND NOT). */
  without(other: Postings): Postings {
    return new Postings(RoaringBitmap32.andNot(this.bm, other.bm));
  }

  intersects(other: Postings): boolean {
    return this.bm.intersects(other.bm);
  }

  isEqual(other: Postings): boolean {
    return this.bm.isEqual(other.bm);
  }

  clone(): Postings {
    return new Postings(this.bm.clone());
  }

  /** Ids in ascending order. */
  iterate(): IterableIterator<number> {
    return this.bm.values() as IterableIterator<number>;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.iterate();
  }

  toArray(): number[] {
    return this.bm.toArray();
  }

  toUint32Array(): Uint32Array {
    return this.bm.toUint32Array();
  }

  /** The largest id, or undefined when empty. */
  max(): number | undefined {
    return this.bm.isEmpty ? undefined : this.bm.maximum();
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
    return `Postings(${this.bm.size})`;
  }
}
