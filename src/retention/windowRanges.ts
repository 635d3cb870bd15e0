// A set of time ranges [lo, hi) in ns, kept as few disjoint ranges: the downsampler's
// dirty windows. Late points arrive in runs (a device catching up, a backfill), so a run
// of neighbouring windows is one range, not one entry per point or per window, and the
// set stays small whatever the write rate. Ranges are sorted and neither overlap nor
// touch (touching ones are merged), so every operation is a scan of a short array.

export class WindowRanges {
  /** lo of range i at 2i, hi at 2i+1, ascending. */
  private r: bigint[] = [];

  get isEmpty(): boolean {
    return this.r.length === 0;
  }

  /** Number of ranges (not windows). */
  get size(): number {
    return this.r.length / 2;
  }

  /** Adds [lo, hi), merging with every range it overlaps or touches. */
  add(lo: bigint, hi: bigint): void {
    if (lo >= hi) return;
    const r = this.r;
    let i = 0;
    while (i < r.length && r[i + 1] < lo) i += 2;
    let j = i;
    while (j < r.length && r[j] <= hi) {
      if (r[j] < lo) lo = r[j];
      if (r[j + 1] > hi) hi = r[j + 1];
      j += 2;
    }
    r.splice(i, j - i, lo, hi);
  }

  /** Removes [lo, hi) from the set. */
  remove(lo: bigint, hi: bigint): void {
    if (lo >= hi) return;
    const out: bigint[] = [];
    const r = this.r;
    for (let i = 0; i < r.length; i += 2) {
      const a = r[i];
      const b = r[i + 1];
      if (b <= lo || a >= hi) {
        out.push(a, b);
        continue;
      }
      if (a < lo) out.push(a, lo);
      if (b > hi) out.push(hi, b);
    }
    this.r = out;
  }

  /** The first (oldest) range, or null. */
  first(): [bigint, bigint] | null {
    return this.r.length === 0 ? null : [this.r[0], this.r[1]];
  }

  /** Total length of the ranges, ns. */
  span(): bigint {
    let n = 0n;
    for (let i = 0; i < this.r.length; i += 2) n += this.r[i + 1] - this.r[i];
    return n;
  }

  /** The ranges as pairs (a copy). */
  toArray(): [bigint, bigint][] {
    const out: [bigint, bigint][] = [];
    for (let i = 0; i < this.r.length; i += 2) out.push([this.r[i], this.r[i + 1]]);
    return out;
  }

  clear(): void {
    this.r = [];
  }
}
