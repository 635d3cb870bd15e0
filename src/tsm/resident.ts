// Resident TSM data: the block bytes of the newest TSM files, held in the process's own
// memory within a byte budget, so that reading their blocks costs a slice of a Buffer
// instead of a pread.
//
// Why: a pread is cheap (~8 µs for two blocks) only while the file's pages are in the OS
// page cache, and the OS may drop clean pages that no process maps whenever it likes. On
// the 2-core VMs we measure on it drops them steadily even with 23 of 24 GiB free: a
// freshly written 53 MB TSM file kept 5 of its 53 MB after 90 s idle, while a copy of it
// that a process had mmapped stayed whole (bench/README.md, "Resident TSM data"). A
// dashboard query of one series for an hour then waits on the disk for 50-170 µs per
// read, a third of its time; Prometheus and InfluxDB, which mmap their files, keep the
// pages they touched. Holding the bytes here (anonymous memory, which nothing drops) buys
// the same for the data queries read most, the newest; the decoded-block cache in front
// still saves the decoding of the blocks read again.
//
// Which files: the open readers ranked by their newest point (ties: the larger file
// first), taken greedily while they fit the budget. Opens and closes re-rank (once per
// turn of the event loop): a compaction's output replaces its inputs, a newer shard's
// file pushes out the oldest.
// Loading is asynchronous, one file at a time, with a file descriptor of the loader's own
// (checked to be the reader's file by device and inode), so that a reader's close never
// races a read on its descriptor; a reader reads through pread until its bytes are there.
// A file that is shorter than its index says (cut while open) is not made resident: its
// reads go on through pread, which reports the damage block by block.

import fs from 'node:fs';
import os from 'node:os';

/** What the set needs of a reader (TsmReader implements it). */
export interface ResidentFile {
  readonly path: string;
  /** Bytes to hold: the file from its start up to its index (the blocks). */
  readonly residentSize: number;
  /** The newest point of the file, ns (ranking). */
  readonly newest: bigint;
  /** Device and inode of the reader's open file (the loader checks it reads the same). */
  readonly dev: number;
  readonly ino: number;
  /** Gives the loaded bytes to the reader (null: take them back). */
  setResident(bytes: Buffer | null): void;
}

interface Slot {
  file: ResidentFile;
  /** Held within the budget: loaded, or queued or loading. */
  admitted: boolean;
  loaded: Buffer | null;
  /** Its load found the file cut short or replaced: never ranked again. */
  refused: boolean;
}

export interface ResidentOptions {
  /** Logged when a load fails (the file stays on pread). */
  onError?: (path: string, err: unknown) => void;
  /** Size of each read of a load (default 4 MiB). */
  chunkBytes?: number;
}

export class ResidentSet {
  readonly budgetBytes: number;
  private readonly slots = new Map<ResidentFile, Slot>();
  private readonly queue: Slot[] = [];
  private loading: Promise<void> | null = null;
  /** A re-rank is due at the next microtask (the opens of a start-up make one). */
  private ranking = false;
  private readonly onError: (path: string, err: unknown) => void;
  private readonly chunkBytes: number;
  private loadCount = 0;

  constructor(budgetBytes: number, opts: ResidentOptions = {}) {
    if (!(budgetBytes >= 0)) throw new RangeError(`resident TSM budget must be >= 0 bytes, not ${budgetBytes}`);
    this.budgetBytes = budgetBytes;
    this.onError = opts.onError ?? (() => {});
    this.chunkBytes = opts.chunkBytes ?? 4 * 1024 * 1024;
  }

  /** Bytes of files admitted (loaded, loading or queued). */
  get admittedBytes(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.admitted) n += s.file.residentSize;
    return n;
  }

  /** Bytes loaded and in use by readers. */
  get bytes(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.loaded !== null) n += s.loaded.length;
    return n;
  }

  /** Files whose bytes are loaded. */
  get files(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.loaded !== null) n++;
    return n;
  }

  /** Files loaded since the set was made. */
  get loads(): number {
    return this.loadCount;
  }

  /** A reader opened: ranks it, and loads its bytes if it ranks within the budget. */
  add(file: ResidentFile): void {
    if (this.slots.has(file)) return;
    this.slots.set(file, { file, admitted: false, loaded: null, refused: false });
    this.rerank();
  }

  /** A reader closed: lets go of its bytes (and of its place in the queue). */
  remove(file: ResidentFile): void {
    const s = this.slots.get(file);
    if (s === undefined) return;
    this.slots.delete(file);
    s.admitted = false;
    s.loaded = null; // the reader is closed: it does not read them any more
    this.rerank();
  }

  /** Resolves when no load is queued or under way (Database.residentLoaded(), tests, and
   * Database.close(), which waits for a load under way to stop). */
  async idle(): Promise<void> {
    do {
      await null; // a re-rank due runs first
      if (this.loading !== null) await this.loading;
    } while (this.loading !== null || this.ranking);
  }

  /** Re-ranks at the next microtask: the opens (or closes) of one turn make one re-rank. */
  private rerank(): void {
    if (this.ranking) return;
    this.ranking = true;
    queueMicrotask(() => {
      this.ranking = false;
      this.rebalance();
    });
  }

  /** Ranks the open files and admits the newest that fit; evicts the rest. */
  private rebalance(): void {
    const ranked = [...this.slots.values()].sort((a, b) =>
      a.file.newest !== b.file.newest ? (a.file.newest > b.file.newest ? -1 : 1) : b.file.residentSize - a.file.residentSize);
    let room = this.budgetBytes;
    const want = new Set<Slot>();
    for (const s of ranked) {
      if (!s.refused && s.file.residentSize <= room) {
        want.add(s);
        room -= s.file.residentSize;
      }
    }
    for (const s of ranked) {
      if (s.admitted && !want.has(s)) {
        s.admitted = false;
        if (s.loaded !== null) {
          s.loaded = null;
          s.file.setResident(null);
        }
      }
    }
    for (const s of ranked) {
      if (!s.admitted && want.has(s)) {
        s.admitted = true;
        this.queue.push(s);
      }
    }
    this.startLoading();
  }

  /** Starts the loader if files are queued and it is not running; a file queued while it
   * was finishing (after its last look at the queue) starts it again. */
  private startLoading(): void {
    if (this.loading !== null || this.queue.length === 0) return;
    this.loading = this.drain().finally(() => {
      this.loading = null;
      this.startLoading();
    });
  }

  /** Loads the queued files one after another. */
  private async drain(): Promise<void> {
    for (let s = this.queue.shift(); s !== undefined; s = this.queue.shift()) {
      if (!s.admitted || s.loaded !== null) continue;
      let bytes: Buffer | null = null;
      try {
        bytes = await this.load(s.file);
      } catch (err) {
        this.onError(s.file.path, err);
      }
      // evicted or closed while loading: the bytes go
      if (!s.admitted || this.slots.get(s.file) !== s) continue;
      if (bytes === null) {
        // cut short or replaced: the file stays on pread, and its room goes to the next
        // in rank (queued here, loaded by this loop)
        s.refused = true;
        this.rebalance();
        continue;
      }
      s.loaded = bytes;
      this.loadCount++;
      s.file.setResident(bytes);
    }
  }

  /** The file's bytes up to its index, or null when the file on disk is not the reader's
   * any more or is shorter than that. */
  private async load(file: ResidentFile): Promise<Buffer | null> {
    const h = await fs.promises.open(file.path, 'r');
    try {
      const st = await h.stat();
      if (st.dev !== file.dev || st.ino !== file.ino) return null;
      const out = Buffer.allocUnsafeSlow(file.residentSize);
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await h.read(out, at, Math.min(this.chunkBytes, out.length - at), at);
        if (bytesRead === 0) return null;
        at += bytesRead;
        if (this.slots.get(file)?.admitted !== true) return null; // closed or evicted meanwhile
      }
      return out;
    } finally {
      await h.close();
    }
  }
}

const MIB = 1024 * 1024;

/** The default budget: 256 MiB, or an eighth of the machine's memory if that is less (a
 * gateway with 1 GiB keeps 128 MiB). */
export function defaultResidentBytes(totalMemory: number = os.totalmem()): number {
  return Math.min(256 * MIB, Math.floor(totalMemory / 8 / MIB) * MIB);
}
