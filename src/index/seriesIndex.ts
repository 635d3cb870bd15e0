// The series index of one database: series key ↔ dense uint32 id, and postings per
// measurement and tag key=value to select series by matchers.
//
// Files in the index directory (docs/format/index.md):
//   series         the series file: every series and tombstone, append-only (seriesFile.ts)
//   postings.snap  the postings as of a point in the series file (snapshot.ts)
//
// Open loads the snapshot, reads the series file (every key: keyOf needs them), and indexes
// only the series and tombstones after the snapshot's point. The key → id map is built on
// the first lookup instead (about 1 s per million keys), so a query after a restart does
// not wait for it. A new snapshot is written in the background after `snapshotEvery`
// changes and on close, so the replay at open stays short.

import path from 'node:path';
import fs from 'node:fs';
import { badRequest, cardinalityError, CorruptionError, StrataError } from '../errors.js';
import { compareUtf8, parseSeriesKey } from '../ingest/seriesKey.js';
import { silentLogger, type Logger, type TagMatcher } from '../types.js';
import { Postings } from './postings.js';
import { selectSeries } from './select.js';
import { locateSeries, SeriesFile, SNAPSHOT_NAME } from './seriesFile.js';
import { encodeSnapshot, encodeSnapshotSteps, readSnapshot, writeSnapshotFile, type SnapshotState } from './snapshot.js';
import { MeasurementPostings } from './tagIndex.js';

export const SERIES_FILE_NAME = 'series';
/** InfluxDB 1.x's default `max-series-per-database`, so migrating users meet the same limit. */
export const DEFAULT_MAX_SERIES = 1_000_000;
/** Ids are uint32; 2^32 - 1 stays free as a sentinel. */
const MAX_ID = 0xffff_fffe;

export interface SeriesIndexOptions {
  /** The database, for messages. */
  db: string;
  /** Most live series the database may have; 0 or Infinity: no limit. Default 1,000,000. */
  maxSeries?: number;
  logger?: Logger;
  /** Series added or deleted after which a snapshot is written in the background; default
   * max(50,000, 10% of the series). 0 disables (close still writes one). */
  snapshotEvery?: number;
  /** Tag values encoded between two yields of a background snapshot (tests make it small). */
  snapshotStep?: number;
}

export interface SeriesIndexStats {
  series: number;
  /** Ids handed out, deleted ones included. */
  ids: number;
  measurements: number;
  seriesFileBytes: number;
  /** Series-file entries replayed at open (those after the snapshot). */
  replayed: number;
  /** Why the snapshot was not used at open, or '' when it was (or there was none). */
  snapshotProblem: string;
}

export class SeriesIndex {
  readonly dir: string;
  readonly db: string;
  maxSeries: number;
  private readonly logger: Logger;
  private readonly snapshotEvery: number | undefined;
  private readonly snapshotStep: number | undefined;
  private readonly file: SeriesFile;
  /** Key by id, deleted series included (their keys stay known for tombstone handling). */
  private readonly keys: string[];
  private readonly deleted: Postings;
  private readonly ms: Map<string, MeasurementPostings>;
  /** Live key → id; built on first use. */
  private byKey: Map<string, number> | null = null;
  private live: number;
  private changes = 0;
  /** Tombstones of deferred deletes, not yet in the series file (see commitDeletes). */
  private heldDeletes: Postings[] = [];
  private snapshotting: Promise<void> | null = null;
  private closed = false;
  private readonly openStats: { replayed: number; snapshotProblem: string };

  private constructor(dir: string, opts: SeriesIndexOptions, file: SeriesFile, keys: string[], deleted: Postings, ms: Map<string, MeasurementPostings>, stats: { replayed: number; snapshotProblem: string }) {
    this.dir = dir;
    this.db = opts.db;
    this.maxSeries = opts.maxSeries ?? DEFAULT_MAX_SERIES;
    this.logger = opts.logger ?? silentLogger;
    this.snapshotEvery = opts.snapshotEvery;
    this.snapshotStep = opts.snapshotStep;
    this.file = file;
    this.keys = keys;
    this.deleted = deleted;
    this.ms = ms;
    this.live = keys.length - deleted.size;
    this.openStats = stats;
  }

  static async open(dir: string, opts: SeriesIndexOptions): Promise<SeriesIndex> {
    const logger = opts.logger ?? silentLogger;
    fs.mkdirSync(dir, { recursive: true });
    const snapFile = path.join(dir, SNAPSHOT_NAME);
    fs.rmSync(`${snapFile}.tmp`, { force: true }); // a snapshot a crash interrupted
    const seriesFile = path.join(dir, SERIES_FILE_NAME);
    let snap = readSnapshot(snapFile);
    let snapshotProblem = '';
    if (snap instanceof Error) {
      snapshotProblem = snap.message;
      logger.warn({ file: snapFile, detail: snap.message }, `index snapshot ${snapFile} is unusable (${snap.message}): rebuilding the postings from the series file`);
      snap = null;
    }
    const keys: string[] = [];
    const deletes: Postings[] = [];
    const tailDeletes: Postings[] = [];
    const from = snap?.offset ?? 0;
    let boundary = -1; // keys.length at the first frame at or after the snapshot's offset
    const { file, count } = SeriesFile.open(
      seriesFile,
      logger,
      {
        add(_id, key, offset) {
          if (offset >= from && boundary < 0) boundary = offset === from ? keys.length : -2;
          keys.push(key);
        },
        delete(ids, offset) {
          if (offset >= from && boundary < 0) boundary = offset === from ? keys.length : -2;
          deletes.push(ids);
          if (offset >= from) tailDeletes.push(ids);
        },
      },
      from,
    );
    if (boundary === -1) boundary = keys.length; // the snapshot covers the whole file
    let ms: Map<string, MeasurementPostings>;
    let deleted: Postings;
    let start: number;
    let applyDeletes: Postings[];
    if (snap && boundary === snap.count) {
      ms = snap.measurements;
      deleted = snap.deleted;
      start = snap.count;
      applyDeletes = tailDeletes;
    } else {
      if (snap) {
        snapshotProblem = `it covers ${snap.count} series up to byte ${snap.offset}, but the series file has ${boundary < 0 ? 'no entry boundary' : `${boundary} series`} there`;
        logger.warn({ file: snapFile, detail: snapshotProblem }, `index snapshot ${snapFile} does not fit the series file (${snapshotProblem}): rebuilding the postings from the series file`);
      }
      ms = new Map();
      deleted = Postings.empty();
      start = 0;
      applyDeletes = deletes;
    }
    // Index the tail, then apply its tombstones: a tombstone only names ids added before
    // it, and ids are never reused, so adding all first gives the same result as order.
    const gone = Postings.unionAll(applyDeletes);
    for (let id = start; id < count; id++) {
      if (gone.has(id)) continue;
      let parsed: ReturnType<typeof parseSeriesKey>;
      try {
        parsed = parseSeriesKey(keys[id]);
      } catch (e) {
        await file.close();
        throw new CorruptionError(seriesFile, locateSeries(seriesFile, id), `series ${id} has a malformed key (${(e as Error).message}) under a valid CRC: restore the index directory from a backup`);
      }
      const { measurement, tags } = parsed;
      let m = ms.get(measurement);
      if (!m) ms.set(measurement, (m = new MeasurementPostings()));
      m.add(id, tags);
    }
    const idx = new SeriesIndex(dir, opts, file, keys, deleted, ms, { replayed: count - start + applyDeletes.length, snapshotProblem });
    idx.applyDeletes(gone.without(deleted), false);
    if (start === 0 && count > 0) for (const m of ms.values()) m.optimize();
    idx.changes = count - start + applyDeletes.length;
    if (count - start > 0 || applyDeletes.length > 0) {
      logger.info({ db: opts.db, series: idx.live, replayed: count - start, tombstones: applyDeletes.length }, `series index of "${opts.db}": ${idx.live} series, ${count - start} indexed from the series file`);
    }
    idx.maybeSnapshot();
    return idx;
  }

  /** Live series. */
  get seriesCount(): number {
    return this.live;
  }

  /** The id of `key`, creating the series (appended to the series file) when it is new. */
  getOrCreate(key: string): number {
    const map = this.keyMap();
    const found = map.get(key);
    if (found !== undefined) return found;
    this.checkOpen();
    if (this.maxSeries > 0 && this.live >= this.maxSeries) throw cardinalityError(this.db, this.maxSeries, key);
    const id = this.keys.length;
    if (id > MAX_ID) throw cardinalityError(this.db, MAX_ID, key);
    let parsed: ReturnType<typeof parseSeriesKey>;
    try {
      parsed = parseSeriesKey(key);
    } catch (e) {
      throw badRequest('STRATA_ERR_BAD_PARAMETER', `${(e as Error).message}: not a canonical series key`);
    }
    this.file.appendSeries(id, key);
    this.keys.push(key);
    map.set(key, id);
    let m = this.ms.get(parsed.measurement);
    if (!m) this.ms.set(parsed.measurement, (m = new MeasurementPostings()));
    m.add(id, parsed.tags);
    this.live++;
    this.changed(1);
    return id;
  }

  /** The id of a live series, or undefined. */
  get(key: string): number | undefined {
    return this.keyMap().get(key);
  }

  /** The key of any id handed out (a deleted series' too). */
  keyOf(id: number): string {
    const k = this.keys[id];
    if (k === undefined) throw new RangeError(`series id ${id} does not exist (${this.keys.length} ids)`);
    return k;
  }

  isDeleted(id: number): boolean {
    return this.deleted.has(id);
  }

  tagsOf(id: number): [string, string][] {
    return parseSeriesKey(this.keyOf(id)).tags;
  }

  measurementOf(id: number): string {
    return parseSeriesKey(this.keyOf(id)).measurement;
  }

  /** The live series of `measurement` that satisfy every matcher (a new Postings the caller owns). */
  select(measurement: string, matchers: readonly TagMatcher[] = []): Postings {
    const m = this.ms.get(measurement);
    return m ? selectSeries(m, matchers) : Postings.empty();
  }

  measurements(): string[] {
    return sortUtf8([...this.ms.keys()]);
  }

  tagKeys(measurement: string): string[] {
    const m = this.ms.get(measurement);
    return m ? sortUtf8([...m.tags.keys()]) : [];
  }

  tagValues(measurement: string, key: string): string[] {
    const tv = this.ms.get(measurement)?.tags.get(key);
    return tv ? sortUtf8([...tv.values.keys()]) : [];
  }

  /**
   * Tombstones series: gone from postings, select and get at once, and for good (the
   * tombstone is appended to the series file; durable once `sync()` resolves). Their ids
   * are never handed out again; writing the same key later creates a new series.
   */
  deleteSeries(ids: Postings, opts: { defer?: boolean } = {}): void {
    this.checkOpen();
    const max = this.keys.length;
    let target = ids.without(this.deleted);
    const beyond = target.max();
    if (beyond !== undefined && beyond >= max) target = target.intersect(Postings.range(0, max));
    if (target.isEmpty) return;
    if (opts.defer) this.heldDeletes.push(target);
    else this.file.appendDelete(target);
    this.applyDeletes(target, true);
    this.changed(target.size);
  }

  /**
   * Appends the tombstones of deferred deletes (`deleteSeries(ids, { defer: true })`) to the
   * series file; durable once `sync()` resolves. The engine defers them until the WAL
   * record of the drop is on disk, so after a power cut the series file never holds a drop
   * the WAL does not (which would drop a series' files but not its WAL points). No snapshot
   * is written while deletes are held, as it would carry them.
   */
  commitDeletes(): void {
    this.checkOpen();
    for (const t of this.heldDeletes.splice(0)) this.file.appendDelete(t);
  }

  /** Resolves once every series and tombstone added so far is on stable storage (group commit). */
  sync(): Promise<void> {
    return this.file.sync();
  }

  /** Writes a snapshot of the postings now (the engine may call it at a checkpoint). */
  async snapshot(): Promise<void> {
    this.checkOpen();
    while (this.snapshotting) await this.snapshotting;
    this.snapshotting = this.writeSnapshot().finally(() => {
      this.snapshotting = null;
    });
    return this.snapshotting;
  }

  /** Resolves when no background snapshot is being written. */
  async idle(): Promise<void> {
    while (this.snapshotting) await this.snapshotting.catch(() => {});
  }

  stats(): SeriesIndexStats {
    return {
      series: this.live,
      ids: this.keys.length,
      measurements: this.ms.size,
      seriesFileBytes: this.file.size,
      replayed: this.openStats.replayed,
      snapshotProblem: this.openStats.snapshotProblem,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      while (this.snapshotting) await this.snapshotting.catch(() => {});
      if (this.changes > 0 && this.heldDeletes.length === 0) await this.writeSnapshot();
    } finally {
      await this.file.close();
    }
  }

  private keyMap(): Map<string, number> {
    if (this.byKey) return this.byKey;
    const map = new Map<string, number>();
    const keys = this.keys;
    const dead = this.deleted;
    const anyDead = !dead.isEmpty;
    for (let i = 0; i < keys.length; i++) if (!anyDead || !dead.has(i)) map.set(keys[i], i);
    this.byKey = map;
    return map;
  }

  private applyDeletes(target: Postings, updateMap: boolean): void {
    for (const id of target.iterate()) {
      const key = this.keys[id];
      const { measurement, tags } = parseSeriesKey(key);
      const m = this.ms.get(measurement);
      if (m) {
        m.remove(id, tags);
        if (m.all.isEmpty) this.ms.delete(measurement);
      }
      if (updateMap && this.byKey && this.byKey.get(key) === id) this.byKey.delete(key);
    }
    this.deleted.addAll(target);
    this.live -= target.size;
  }

  private checkOpen(): void {
    if (this.closed) throw new StrataError('STRATA_ERR_CLOSED', 503, `the series index of database "${this.db}" is closed`);
  }

  private changed(n: number): void {
    this.changes += n;
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    const every = this.snapshotEvery ?? Math.max(50_000, Math.floor(this.live / 10));
    if (every <= 0 || this.changes < every || this.snapshotting || this.closed || this.heldDeletes.length > 0) return;
    this.snapshotting = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (this.closed ? undefined : this.writeSnapshot(true)))
      .catch((e: unknown) => {
        this.logger.warn({ db: this.db, err: (e as Error).message }, `index snapshot of "${this.db}" failed (${(e as Error).message}); the next open replays more of the series file`);
      })
      .finally(() => {
        this.snapshotting = null;
      });
  }

  /** Encodes the postings as of the current end of the series file (in steps that let
   * other work run when `background`), waits for the series file to be synced that far,
   * then publishes the snapshot. */
  private async writeSnapshot(background = false): Promise<void> {
    if (this.heldDeletes.length > 0) return; // it would carry drops the series file lacks
    const state: SnapshotState = { count: this.keys.length, offset: this.file.size, deleted: this.deleted, measurements: this.ms };
    const changes = this.changes;
    let bytes: Buffer;
    if (background) {
      const steps = encodeSnapshotSteps(state, this.snapshotStep);
      for (;;) {
        const r = steps.next();
        if (r.done) {
          bytes = r.value;
          break;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } else {
      bytes = encodeSnapshot(state);
    }
    await this.file.sync();
    await writeSnapshotFile(path.join(this.dir, SNAPSHOT_NAME), bytes);
    this.changes -= changes;
  }
}

/** Sorts by UTF-8 byte order (= code point order), as series keys are; the plain sort
 * (UTF-16 order) agrees unless a string holds a surrogate. */
function sortUtf8(list: string[]): string[] {
  list.sort();
  for (const s of list) {
    if (/[\ud800-\udfff]/.test(s)) return list.sort(compareUtf8);
  }
  return list;
}
