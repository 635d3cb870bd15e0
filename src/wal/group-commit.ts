// Group commit: many writers, at most one fsync in flight, each writer acknowledged by
// the first fsync that BEGAN after its write. A writer that arrives while an fsync runs
// joins the batch for the next one, which starts as soon as the current one ends, so N
// concurrent writers share one or two fsyncs instead of queueing N (the technique of
// DeWitt et al., "Implementation Techniques for Main Memory Database Systems", SIGMOD 1984;
// PostgreSQL and InnoDB flush their logs the same way).
//
// Writes are counted by a sequence number: `written` after each write, `durable` once an
// fsync that started at that count completes. After a failed fsync the error is sticky:
// Linux may mark the unsynced pages clean after reporting the error once ("fsyncgate",
// PostgreSQL 2018), so a later fsync could succeed without the data being on disk.

interface Batch {
  /** The `written` count when this batch's fsync started; -1 while it waits. */
  seq: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { seq: -1, promise, resolve, reject };
}

const noop = (): void => {};

export class GroupCommit {
  private written = 0;
  private durable = 0;
  private inflight: Batch | null = null;
  private next: Batch | null = null;
  /** The sticky error after a failed fsync (or a write the log could not undo). */
  failure: Error | null = null;
  /** fsyncs completed successfully. */
  count = 0;

  /**
   * @param run performs one fsync of everything written so far.
   * @param wrap turns its error into the one waiters see; called once, on the first failure.
   * @param settled runs after every fsync, success or not, while none is in flight.
   */
  constructor(
    private readonly run: () => Promise<void>,
    private readonly wrap: (e: unknown) => Error,
    private readonly settled: () => void = noop,
  ) {}

  /** Records a write that the next fsync must cover. */
  wrote(): void {
    this.written++;
  }

  /** True when something written is not yet known durable. */
  get pending(): boolean {
    return this.written > this.durable;
  }

  get busy(): boolean {
    return this.inflight !== null;
  }

  /** Resolves once an fsync that began after every write recorded so far has completed. */
  wait(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.written;
    if (target <= this.durable) return Promise.resolve();
    if (this.inflight && this.inflight.seq >= target) return this.inflight.promise;
    this.next ??= batch();
    const p = this.next.promise;
    if (!this.inflight) this.start();
    return p;
  }

  /** Resolves when no fsync is in flight; never rejects. */
  async idle(): Promise<void> {
    while (this.inflight) await this.inflight.promise.catch(noop);
  }

  /** Makes `err` sticky and fails everyone waiting for a future fsync. */
  fail(err: Error): Error {
    if (!this.failure) this.failure = err;
    const n = this.next;
    this.next = null;
    n?.reject(this.failure);
    return this.failure;
  }

  private start(): void {
    const b = this.next!;
    this.next = null;
    b.seq = this.written;
    this.inflight = b;
    this.run().then(
      () => {
        this.count++;
        this.durable = Math.max(this.durable, b.seq);
        this.inflight = null;
        this.settled();
        b.resolve();
        if (this.next) {
          if (this.failure) this.fail(this.failure);
          else this.start();
        }
      },
      (e: unknown) => {
        this.inflight = null;
        const err = this.failure ?? (this.failure = this.wrap(e));
        this.settled();
        b.reject(err);
        this.fail(err);
      },
    );
  }
}
