// The order in which InfluxDB 1.x's iterators merge the series of a group: Go's
// container/heap driven by the SortedMergeIterator (raw points, by time) and the
// MergeIterator (window by window, used under aggregates, with GOMAXPROCS-wide parallel
// groups). Points of equal time come out in whatever order that heap gives, so to answer
// with the same row order and the same float sums, the heap itself is replayed here.

/** Go's container/heap over an array with a strict `less`. */
class GoHeap<T> {
  constructor(
    readonly items: T[],
    private readonly less: (a: T, b: T) => boolean,
  ) {}
  private swap(i: number, j: number): void {
    const t = this.items[i];
    this.items[i] = this.items[j];
    this.items[j] = t;
  }
  private lessAt(i: number, j: number): boolean {
    return this.less(this.items[i], this.items[j]);
  }
  private up(j: number): void {
    for (;;) {
      const i = Math.trunc((j - 1) / 2);
      if (i === j || !this.lessAt(j, i)) break;
      this.swap(i, j);
      j = i;
    }
  }
  private down(i0: number, n: number): void {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && this.lessAt(j2, j1)) j = j2;
      if (!this.lessAt(j, i)) break;
      this.swap(i, j);
      i = j;
    }
  }
  init(): void {
    const n = this.items.length;
    for (let i = Math.trunc(n / 2) - 1; i >= 0; i--) this.down(i, n);
  }
  push(x: T): void {
    this.items.push(x);
    this.up(this.items.length - 1);
  }
  pop(): T {
    const n = this.items.length - 1;
    this.swap(0, n);
    this.down(0, n);
    return this.items.pop() as T;
  }
  get size(): number {
    return this.items.length;
  }
}

/** A stream of point references: [input, index] pairs with their times. */
interface Stream {
  peek(): number;
  /** Returns the id of the next point (or -1). */
  next(): number;
}

/** Points of one input: ids and times (sorted in iteration order). */
class ArrayStream implements Stream {
  private i = 0;
  constructor(
    private readonly ids: Int32Array | number[],
    private readonly times: (id: number) => bigint,
  ) {}
  peek(): number {
    return this.i < this.ids.length ? this.ids[this.i] : -1;
  }
  next(): number {
    return this.i < this.ids.length ? this.ids[this.i++] : -1;
  }
  get length(): number {
    return this.ids.length;
  }
  timeOf(id: number): bigint {
    return this.times(id);
  }
}

/**
 * The SortedMergeIterator's output order over inputs (each sorted by time in iteration
 * order): ids of the points as emitted.
 */
export function sortedMergeOrder(inputs: (Int32Array | number[])[], timeOf: (id: number) => bigint, ascending: boolean): number[] {
  const nonEmpty = inputs.filter((ids) => ids.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return Array.from(nonEmpty[0]);
  // Go's container/heap over the inputs, keyed by each input's head time (cached: the
  // same heap operations as GoHeap, specialised for speed).
  const pos = new Int32Array(nonEmpty.length);
  const headT: bigint[] = nonEmpty.map((ids) => timeOf(ids[0]));
  const items: number[] = nonEmpty.map((_, i) => i);
  const less = (a: number, b: number): boolean => (ascending ? headT[items[a]] < headT[items[b]] : headT[items[a]] > headT[items[b]]);
  const swap = (i: number, j: number): void => {
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  };
  const down = (i0: number, n: number): void => {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && less(j2, j1)) j = j2;
      if (!less(j, i)) break;
      swap(i, j);
      i = j;
    }
  };
  const up = (j0: number): void => {
    let j = j0;
    for (;;) {
      const i = Math.trunc((j - 1) / 2);
      if (i === j || !less(j, i)) break;
      swap(i, j);
      j = i;
    }
  };
  for (let i = Math.trunc(items.length / 2) - 1; i >= 0; i--) down(i, items.length);
  let total = 0;
  for (const ids of nonEmpty) total += ids.length;
  const out = new Array<number>(total);
  let o = 0;
  while (items.length > 0) {
    // Pop.
    const n = items.length - 1;
    swap(0, n);
    down(0, n);
    const k = items.pop() as number;
    const ids = nonEmpty[k];
    out[o++] = ids[pos[k]];
    // Push back with its next point.
    const p = ++pos[k];
    if (p < ids.length) {
      headT[k] = timeOf(ids[p]);
      items.push(k);
      up(items.length - 1);
    }
  }
  return out;
}

/** A MergeIterator (window by window) over streams. */
class MergeStream implements Stream {
  private readonly heap: GoHeap<Stream>;
  private init = false;
  private curr: Stream | null = null;
  private window = 0n;
  private buf = -1;
  constructor(
    inputs: Stream[],
    private readonly windowOf: (id: number) => bigint,
    ascending: boolean,
  ) {
    const items = inputs.filter((s) => s.peek() !== -1);
    this.heap = new GoHeap(items, ascending ? (a, b) => windowOf(a.peek()) < windowOf(b.peek()) : (a, b) => windowOf(a.peek()) > windowOf(b.peek()));
  }
  private read(): number {
    if (!this.init) {
      this.heap.init();
      this.init = true;
    }
    for (;;) {
      if (this.curr === null) {
        if (this.heap.size === 0) return -1;
        this.curr = this.heap.pop();
        const p = this.curr.next();
        this.window = this.windowOf(p);
        return p;
      }
      const p = this.curr.peek();
      if (p === -1) {
        this.curr = null;
        continue;
      }
      if (this.windowOf(p) !== this.window) {
        this.heap.push(this.curr);
        this.curr = null;
        continue;
      }
      return this.curr.next();
    }
  }
  peek(): number {
    if (this.buf === -1) this.buf = this.read();
    return this.buf;
  }
  next(): number {
    if (this.buf !== -1) {
      const b = this.buf;
      this.buf = -1;
      return b;
    }
    return this.read();
  }
}

/**
 * The order of NewParallelMergeIterator(inputs, opt, parallelism): inputs split into
 * `parallelism` groups, each merged by a MergeIterator, and the groups merged again.
 */
export function parallelMergeOrder(
  inputs: (Int32Array | number[])[],
  windowOf: (id: number) => bigint,
  ascending: boolean,
  parallelism: number,
): number[] {
  const nonEmpty = inputs.filter((x) => x.length > 0);
  const streams: Stream[] = nonEmpty.map((ids) => new ArrayStream(ids, windowOf));
  let root: Stream;
  if (streams.length === 0) return [];
  if (streams.length === 1) root = streams[0];
  else {
    const p = Math.min(parallelism, streams.length);
    const n = Math.trunc(streams.length / p);
    const outputs: Stream[] = [];
    for (let i = 0; i < p; i++) {
      const slice = i < p - 1 ? streams.slice(i * n, (i + 1) * n) : streams.slice(i * n);
      outputs.push(slice.length === 1 ? slice[0] : new MergeStream(slice, windowOf, ascending));
    }
    root = new MergeStream(outputs, windowOf, ascending);
  }
  const out: number[] = [];
  for (let id = root.next(); id !== -1; id = root.next()) out.push(id);
  return out;
}

/** The MergeIterator's order over inputs (window by window). */
export function mergeOrder(inputs: (Int32Array | number[])[], windowOf: (id: number) => bigint, ascending: boolean): number[] {
  const streams: Stream[] = inputs.filter((x) => x.length > 0).map((ids) => new ArrayStream(ids, windowOf));
  if (streams.length === 0) return [];
  const root = streams.length === 1 ? streams[0] : new MergeStream(streams, windowOf, ascending);
  const out: number[] = [];
  for (let id = root.next(); id !== -1; id = root.next()) out.push(id);
  return out;
}
