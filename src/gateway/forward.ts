// Store-and-forward: one Forwarder per upstream sends every point the local database
// accepts, reading the WAL itself as its queue (docs/forwarding.md).
//
// The forwarder keeps a cursor (a WAL position) in `<dataDir>/forward/<name>.json`. It
// reads durable records from the cursor on (Database.readWal), encodes their points for
// the upstream, POSTs them, and only after a 2xx moves and persists the cursor: delivery
// is at-least-once, and a replay after a crash or a retry is harmless because the same
// series + timestamp overwrites upstream. A hold on the WAL (Database.holdWal) keeps the
// segments at and after the persisted cursor from checkpoints. Records are sent in WAL
// order, one request at a time, so the points of a series arrive in the order written.
//
// Failures: 429, 5xx and network errors are retried with exponential backoff and full
// jitter, honouring Retry-After; other 4xx answers split the batch in halves (a bounded
// number of times) to isolate the points the upstream refuses, and what it still refuses
// goes to `<dataDir>/forward/<name>.deadletter.jsonl` with the answer, then the forwarder
// moves on. A cap on the backlog (bytes and age) either drops the oldest data or makes
// the database refuse writes (OverloadedError, 503) until the upstream catches up.

import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Database } from '../engine/database.js';
import { OverloadedError } from '../errors.js';
import { LineProtocolParser } from '../ingest/lineprotocol.js';
import { silentLogger, type Logger } from '../types.js';
import { comparePositions, type WalPosition } from '../wal/wal.js';
import { appendDeadLetter, cursorFile, readCursor, redact, writeCursor } from './forwardFiles.js';
import { countPoints, decodeRecords, type Decoded, type Group } from './forwardRecords.js';
import { compileRollup, type ForwardRollup, type RollupPlan } from './forwardRollup.js';

export type { ForwardRollup, RollupAggregate } from './forwardRollup.js';

export { cursorFile, deadLetterFile, persistedWalHold, readCursor, redact } from './forwardFiles.js';
import type { WalRead } from '../wal/wal.js';
import { backoffMs, checkUpstream, classify, encodeWriteRequest, parseRetryAfter, type UpstreamConfig, type UpstreamKind } from './upstream.js';

const gzip = promisify(zlib.gzip);
const SEGMENT_HEADER = 24;

export type CapPolicy = 'drop-oldest' | 'refuse';

export interface ForwardCap {
  /** Most bytes of WAL records not yet forwarded (0 or absent: no byte cap). */
  maxBytes?: number;
  /** Oldest unforwarded data, ms (0 or absent: no age cap). */
  maxAgeMs?: number;
  policy: CapPolicy;
}

export interface ForwarderOptions {
  db: Database;
  dataDir: string;
  upstream: UpstreamConfig;
  logger?: Logger;
  /** Wall clock, ms since the epoch (stats, dead letters, ages, Retry-After dates). */
  now?: () => number;
  /** Uniform in [0, 1): the backoff jitter. */
  random?: () => number;
  /** HTTP client (default: global fetch). */
  fetch?: typeof fetch;
  /** Most points per request (default 5000). */
  batchPoints?: number;
  /** WAL bytes read per batch (default 1 MiB). */
  batchBytes?: number;
  /** Backoff bounds, ms (default 100 and 30000). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longest Retry-After honoured, ms (default 10 min). */
  retryAfterMaxMs?: number;
  requestTimeoutMs?: number;
  /** Longest wait for new data when no write wakes the forwarder (default 1000 ms). */
  pollMs?: number;
  cap?: ForwardCap;
  /** Where a new upstream (no cursor file yet) starts: the oldest WAL segment (default)
   * or the durable end (only points written from now on). */
  start?: 'oldest' | 'end';
  /** gzip request bodies of line-protocol upstreams (default true). */
  gzip?: boolean;
  /** Most 4xx splits per batch to isolate refused points (default 16). */
  splitBudget?: number;
  /** Edge rollups: for these measurements forward only the rollup points the local
   * Downsampler writes into `tier`, never their raw points (docs/forwarding.md). */
  rollup?: ForwardRollup;
}

export interface ForwarderStats {
  upstream: string;
  url: string;
  kind: UpstreamKind;
  state: 'starting' | 'idle' | 'sending' | 'backoff' | 'stopped';
  cursor: WalPosition;
  backlog: {
    /** WAL frame bytes after the cursor (appended, durable or not). */
    bytes: number;
    /** bytes × the points per WAL byte of what this forwarder has read (an estimate). */
    points: number;
    /** Age of the oldest unforwarded data, s (a lower bound, within ~1 s; see docs). */
    oldestSeconds: number;
  };
  lastSuccess: string | null;
  lastError: { time: string; message: string } | null;
  /** Points forwarded per second over the last 10 s. */
  pointsPerSecond: number;
  forwardedPoints: number;
  forwardedRequests: number;
  retries: number;
  dropped: { points: number; bytes: number };
  deadLetters: { batches: number; points: number };
  /** Field values the upstream cannot take (NaN/Inf in line protocol, strings in remote write). */
  unrepresentableValues: number;
  deletesNotForwarded: number;
  /** WAL segments that were gone before the forwarder read them (e.g. no hold at the time). */
  lostSegments: number;
  refusing: boolean;
  cap: ForwardCap | null;
  /** Edge rollups (null: not configured): raw points of the rollup measurements kept
   * local (not sent) and rollup points sent in their place. */
  rollup: { measurements: string[]; tier: string; rawKeptLocal: number; rollupPoints: number } | null;
}

/** A mark: everything before `pos` was appended at or before `t` (ms). */
interface Mark {
  segment: number;
  offset: number;
  t: number;
}

class Stopped extends Error {}

interface Loaded {
  read: WalRead;
  decoded: Decoded | null;
}

export class Forwarder {
  readonly name: string;
  readonly kind: UpstreamKind;
  private readonly db: Database;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly parser = new LineProtocolParser();
  private readonly databases: Set<string> | null;
  private readonly rollup: RollupPlan | null;
  /** Databases already warned about for having no rollup tier (one warning each). */
  private readonly warnedNoTier = new Set<string>();
  private readonly o: Required<Pick<ForwarderOptions, 'batchPoints' | 'batchBytes' | 'backoffBaseMs' | 'backoffMaxMs' | 'retryAfterMaxMs' | 'requestTimeoutMs' | 'pollMs' | 'splitBudget'>>;
  private readonly cap: ForwardCap | null;
  private readonly dir: string;
  private cursor: WalPosition = { segment: 0, offset: 0 };
  /** The cursor as on disk: the WAL hold follows it, not the in-memory one. */
  private persisted: WalPosition = { segment: 0, offset: 0 };
  private marks: Mark[] = [];
  private lastMarkAt = -Infinity;
  private state: ForwarderStats['state'] = 'starting';
  private stopping = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private readonly undo: (() => void)[] = [];
  private refusing = false;
  /** Bytes of sealed segments after the cursor's, cached by (cursor segment, current segment). */
  private sealed = { from: -1, to: -1, bytes: 0 };
  private pointsRead = 0;
  private bytesRead = 0;
  private readonly rate: { t: number; n: number }[] = [];
  private readonly c = {
    forwardedPoints: 0,
    forwardedRequests: 0,
    retries: 0,
    droppedPoints: 0,
    droppedBytes: 0,
    deadBatches: 0,
    deadPoints: 0,
    unrepresentable: 0,
    deletes: 0,
    lostSegments: 0,
    rawKeptLocal: 0,
    rollupPoints: 0,
  };
  /** The next batch, read and decoded while the current one is on the wire. */
  private prefetched: { from: WalPosition; p: Promise<Loaded> } | null = null;
  private lastSuccess: number | null = null;
  private lastError: { time: number; message: string } | null = null;

  constructor(private readonly opts: ForwarderOptions) {
    this.kind = checkUpstream(opts.upstream);
    this.name = opts.upstream.name;
    this.db = opts.db;
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.fetchFn = opts.fetch ?? fetch;
    this.databases = opts.upstream.databases && opts.upstream.databases.length > 0 ? new Set(opts.upstream.databases) : null;
    this.rollup = opts.rollup ? compileRollup(opts.rollup) : null;
    this.o = {
      batchPoints: opts.batchPoints ?? 5000,
      batchBytes: opts.batchBytes ?? 1024 * 1024,
      backoffBaseMs: opts.backoffBaseMs ?? 100,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      retryAfterMaxMs: opts.retryAfterMaxMs ?? 600_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      pollMs: opts.pollMs ?? 1000,
      splitBudget: opts.splitBudget ?? 16,
    };
    const cap = opts.cap;
    this.cap = cap && ((cap.maxBytes ?? 0) > 0 || (cap.maxAgeMs ?? 0) > 0) ? cap : null;
    this.dir = path.join(opts.dataDir, 'forward');
  }

  /** Loads the cursor, holds the WAL and starts forwarding in the background. */
  start(): void {
    if (this.loopDone) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const segs = this.db.walSegments();
    const saved = readCursor(this.opts.dataDir, this.name);
    const appended = this.db.walState().appended;
    if (saved && saved.segment <= appended.segment) {
      this.cursor = saved;
      if (segs.length > 0 && saved.segment < segs[0].id && saved.segment > 0) {
        this.c.lostSegments += segs[0].id - saved.segment;
        this.log.warn({ upstream: this.name, cursor: saved, oldest: segs[0].id }, 'forward: WAL segments after the cursor are gone; their points are not forwarded');
      }
    } else {
      if (saved) this.log.warn({ upstream: this.name, cursor: saved, appended }, 'forward: the cursor is past the end of the WAL (was the WAL removed?); starting from its oldest segment');
      this.cursor = this.opts.start === 'end' ? this.db.walState().durable : { segment: segs[0]?.id ?? appended.segment, offset: 0 };
    }
    this.persistCursor();
    // Seed the age marks from the segments' times: all of a sealed segment was appended
    // by its last modification.
    for (const s of segs) if (s.id < appended.segment) this.marks.push({ segment: s.id, offset: s.bytes, t: s.mtimeMs });
    this.undo.push(this.db.holdWal(() => this.persisted.segment));
    this.undo.push(this.db.observeWrites(() => this.onWrite()));
    if (this.cap?.policy === 'refuse') this.undo.push(this.db.addAdmissionCheck(() => this.admit()));
    this.log.info({ upstream: this.name, url: redact(this.opts.upstream.url), kind: this.kind, cursor: this.cursor }, 'forwarding started');
    this.loopDone = this.loop();
  }

  /** Stops after the request in flight (aborted) and persists the cursor. */
  async stop(): Promise<void> {
    if (this.stopping) return this.loopDone ?? undefined;
    this.stopping = true;
    this.abort.abort();
    this.wake?.();
    await this.loopDone;
    for (const f of this.undo.splice(0)) f();
    this.state = 'stopped';
  }

  stats(): ForwarderStats {
    const backlog = this.backlog();
    const now = this.now();
    const ppb = this.bytesRead > 0 ? this.pointsRead / this.bytesRead : 0;
    while (this.rate.length > 0 && this.rate[0].t < now - 10_000) this.rate.shift();
    let recent = 0;
    for (const r of this.rate) recent += r.n;
    const span = this.rate.length > 0 ? Math.max(1000, now - this.rate[0].t) : 10_000;
    return {
      upstream: this.name,
      url: redact(this.opts.upstream.url),
      kind: this.kind,
      state: this.state,
      cursor: { ...this.cursor },
      backlog: { bytes: backlog, points: Math.round(backlog * ppb), oldestSeconds: this.oldestAgeMs() / 1000 },
      lastSuccess: this.lastSuccess === null ? null : new Date(this.lastSuccess).toISOString(),
      lastError: this.lastError === null ? null : { time: new Date(this.lastError.time).toISOString(), message: this.lastError.message },
      pointsPerSecond: Math.round((recent * 1000) / span),
      forwardedPoints: this.c.forwardedPoints,
      forwardedRequests: this.c.forwardedRequests,
      retries: this.c.retries,
      dropped: { points: this.c.droppedPoints, bytes: this.c.droppedBytes },
      deadLetters: { batches: this.c.deadBatches, points: this.c.deadPoints },
      unrepresentableValues: this.c.unrepresentable,
      deletesNotForwarded: this.c.deletes,
      lostSegments: this.c.lostSegments,
      refusing: this.refusing,
      cap: this.cap,
      rollup:
        this.rollup === null
          ? null
          : { measurements: [...this.rollup.measurements], tier: this.rollup.tier, rawKeptLocal: this.c.rawKeptLocal, rollupPoints: this.c.rollupPoints },
    };
  }

  /** Resolves once everything durable when called has been forwarded (tests, shutdown). */
  async drained(timeoutMs = 30_000): Promise<void> {
    await this.db.syncWal();
    const target = this.db.walState().durable;
    const deadline = Date.now() + timeoutMs;
    while (comparePositions(this.cursor, target) < 0) {
      if (this.stopping) throw new Error(`forwarder ${this.name} stopped`);
      if (Date.now() > deadline) throw new Error(`forwarder ${this.name} did not drain within ${timeoutMs} ms (cursor ${JSON.stringify(this.cursor)}, target ${JSON.stringify(target)})`);
      this.wake?.();
      await sleep(20);
    }
  }

  // ---- the loop --------------------------------------------------------------------------

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
      } catch (err) {
        if (err instanceof Stopped || this.stopping) break;
        // A local failure (reading the WAL, writing the cursor): log, wait, try again.
        this.noteError(`local: ${(err as Error).message}`);
        this.log.error({ upstream: this.name, err: (err as Error).message }, 'forward: local failure; retrying in 1 s');
        await this.pause(1000).catch(() => {});
      }
    }
    try {
      this.persistCursor();
    } catch (err) {
      this.log.error({ upstream: this.name, err: (err as Error).message }, 'forward: writing the cursor at stop failed; the last persisted one is used at the next start');
    }
  }

  private async load(from: WalPosition): Promise<Loaded> {
    const read = await this.db.readWal(from, this.o.batchBytes);
    if (read.records.length === 0) return { read, decoded: null };
    const decoded = decodeRecords(read.records, {
      kind: this.kind,
      url: this.opts.upstream.url,
      databases: this.databases,
      parser: this.parser,
      isTier: tierTest(this.db),
      rollup: this.rollup,
    });
    return { read, decoded };
  }

  private async step(): Promise<void> {
    await this.enforceCap();
    const from = this.cursor;
    const pre = this.prefetched;
    this.prefetched = null;
    const { read, decoded } = pre !== null && comparePositions(pre.from, from) === 0 ? await pre.p : await this.load(from);
    if (read.skipped > 0) {
      this.c.lostSegments += read.skipped;
      this.log.warn({ upstream: this.name, segments: read.skipped, from }, 'forward: WAL segments were deleted before they were forwarded');
    }
    if (read.records.length === 0) {
      if (comparePositions(read.next, from) > 0) this.moveCursor(read.next);
      const st = this.db.walState();
      if (comparePositions(st.appended, st.durable) > 0) {
        await this.db.syncWal();
        return;
      }
      this.state = 'idle';
      this.refusing = false;
      await this.idle();
      return;
    }
    const d = decoded!;
    // Read and decode the next batch while this one is sent (the sends stay in order).
    if (comparePositions(read.next, this.db.walState().durable) < 0) {
      const nf = read.next;
      const p = new Promise<void>((r) => setImmediate(r)).then(() => this.load(nf));
      p.catch(() => {});
      this.prefetched = { from: nf, p };
    }
    this.pointsRead += d.points;
    this.bytesRead += read.bytes;
    this.c.deletes += d.deletes;
    for (const name of d.noRollupTier) {
      if (this.warnedNoTier.has(name)) continue;
      this.warnedNoTier.add(name);
      this.log.warn(
        { upstream: this.name, db: name, tier: this.rollup?.tier, measurements: [...(this.rollup?.measurements ?? [])] },
        'forward: database has no such downsampling tier; raw points of the rollup measurements stay local and nothing of them is forwarded',
      );
    }
    this.state = 'sending';
    for (const g of d.groups.values()) {
      const n = this.kind === 'remote-write' ? g.samples.ref.length : g.lines.length;
      for (let i = 0; i < n; i += this.o.batchPoints) {
        const end = Math.min(n, i + this.o.batchPoints);
        const budget = { splits: this.o.splitBudget };
        const ok = await this.deliver(g, i, end, budget, from);
        if (!ok) return; // the cap dropped this batch: start again at the new cursor
      }
    }
    // Only now is every point of these records upstream (or dead-lettered).
    const sent = d.points;
    this.c.unrepresentable += d.unrepresentable;
    this.c.rawKeptLocal += d.rawKeptLocal;
    this.c.rollupPoints += d.rollupPoints;
    this.c.forwardedPoints += sent;
    this.rate.push({ t: this.now(), n: sent });
    if (this.rate.length > 1000) this.rate.splice(0, 500);
    this.moveCursor(read.next);
  }

  /**
   * Sends items [from, to) of a group until they are accepted or dead-lettered. Returns
   * false when a drop-oldest cap moved the cursor past `batchStart` meanwhile.
   */
  private async deliver(g: Group, from: number, to: number, budget: { splits: number }, batchStart: WalPosition): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopping) throw new Stopped();
      let status = 0;
      let text = '';
      let retryAfter: string | null = null;
      try {
        const body = await this.encode(g, from, to);
        const res = await this.fetchFn(g.url, {
          method: 'POST',
          headers: this.headers(),
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.requestTimeoutMs)]),
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = status >= 200 && status < 300 ? (await res.arrayBuffer(), '') : await res.text();
      } catch (err) {
        if (this.stopping) throw new Stopped();
        text = `request failed: ${describe(err)}`;
      }
      const verdict = status === 0 ? 'retry' : classify(status);
      if (verdict === 'sent') {
        this.lastSuccess = this.now();
        this.c.forwardedRequests++;
        return true;
      }
      if (verdict === 'dead-letter') {
        // Isolate what the upstream refuses: halves are sent on their own (a point sent
        // twice is harmless), within a budget of splits per batch.
        if (to - from > 1 && budget.splits > 0 && (status === 400 || status === 413 || status === 422)) {
          budget.splits--;
          const mid = from + Math.ceil((to - from) / 2);
          if (!(await this.deliver(g, from, mid, budget, batchStart))) return false;
          return this.deliver(g, mid, to, budget, batchStart);
        }
        this.deadLetter(g, from, to, status, text);
        return true;
      }
      this.c.retries++;
      const msg = status === 0 ? text : `HTTP ${status}: ${text.slice(0, 500)}`;
      this.noteError(msg);
      const ra = parseRetryAfter(retryAfter, this.now());
      const delay = ra !== null ? Math.min(ra, this.o.retryAfterMaxMs) : backoffMs(attempt, this.o.backoffBaseMs, this.o.backoffMaxMs, this.random);
      this.state = 'backoff';
      this.log.warn({ upstream: this.name, status, attempt, delayMs: delay, err: msg.slice(0, 300) }, 'forward: upstream not taking writes; retrying');
      // Wait in slices, enforcing the cap meanwhile (the backlog grows while we wait).
      const until = Date.now() + delay;
      for (;;) {
        const left = until - Date.now();
        if (left <= 0) break;
        await this.pause(Math.min(left, 250));
        await this.enforceCap();
        if (comparePositions(this.cursor, batchStart) !== 0) return false;
      }
      this.state = 'sending';
    }
  }

  private async encode(g: Group, from: number, to: number): Promise<Buffer> {
    if (this.kind === 'remote-write') return encodeWriteRequest(g.samples, from, to);
    const text = Buffer.from(g.lines.slice(from, to).join('\n') + '\n', 'utf8');
    return this.opts.gzip === false ? text : gzip(text, { level: 1 });
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = {};
    const token = this.opts.upstream.token;
    if (this.kind === 'remote-write') {
      h['content-type'] = 'application/x-protobuf';
      h['content-encoding'] = 'snappy';
      h['x-prometheus-remote-write-version'] = '0.1.0';
      h['user-agent'] = 'strata-forwarder';
      if (token) h.authorization = `Bearer ${token}`;
    } else {
      h['content-type'] = 'text/plain; charset=utf-8';
      if (this.opts.gzip !== false) h['content-encoding'] = 'gzip';
      if (token) h.authorization = `Token ${token}`;
    }
    return h;
  }

  private deadLetter(g: Group, from: number, to: number, status: number, text: string): void {
    const points = to - from;
    const entry: Record<string, unknown> = {
      time: new Date(this.now()).toISOString(),
      upstream: this.name,
      url: redact(g.url),
      status,
      reason: text.slice(0, 4096),
      points,
    };
    if (this.kind === 'remote-write') {
      const s = g.samples;
      const samples = [];
      for (let k = from; k < to; k++) samples.push({ labels: Object.fromEntries(s.series[s.ref[k]]), t: s.ms[k], v: String(s.value[k]) });
      entry.samples = samples;
    } else {
      entry.lines = g.lines.slice(from, to).join('\n') + '\n';
    }
    const file = appendDeadLetter(this.opts.dataDir, this.name, entry);
    this.c.deadBatches++;
    this.c.deadPoints += points;
    this.noteError(`HTTP ${status} (dead-lettered ${points} points): ${text.slice(0, 300)}`);
    this.log.error({ upstream: this.name, status, points, file, reason: text.slice(0, 300) }, 'forward: upstream refused a batch; written to the dead-letter file');
  }

  // ---- cursor, marks, caps ----------------------------------------------------------------

  private moveCursor(next: WalPosition): void {
    const segmentChanged = next.segment !== this.cursor.segment;
    this.cursor = next;
    this.persistCursor();
    while (this.marks.length > 1 && comparePositions(this.marks[1], next) <= 0) this.marks.shift();
    if (segmentChanged) this.db.releaseWal().catch((err: Error) => this.log.warn({ upstream: this.name, err: err.message }, 'forward: releasing WAL segments failed'));
  }

  private persistCursor(): void {
    if (comparePositions(this.cursor, this.persisted) === 0 && fs.existsSync(cursorFile(this.opts.dataDir, this.name))) return;
    writeCursor(this.opts.dataDir, this.name, this.cursor, this.opts.upstream.url);
    this.persisted = { ...this.cursor };
  }

  private onWrite(): void {
    const t = this.now();
    if (t - this.lastMarkAt >= 1000) {
      this.lastMarkAt = t;
      this.marks.push({ ...this.db.walState().appended, t });
      if (this.marks.length > 100_000) this.marks = this.marks.filter((_, i) => i % 2 === 0 || i === this.marks.length - 1);
    }
    if (this.refusing || this.cap?.policy === 'refuse') this.refusing = this.overCap();
    this.wake?.();
  }

  /** WAL frame bytes after the cursor (headers of segments excluded). */
  private backlog(): number {
    const appended = this.db.walState().appended;
    if (comparePositions(this.cursor, appended) >= 0) return 0;
    if (this.sealed.from !== this.cursor.segment || this.sealed.to !== appended.segment) {
      let bytes = 0;
      for (const s of this.db.walSegments()) if (s.id > this.cursor.segment && s.id < appended.segment) bytes += s.bytes - SEGMENT_HEADER;
      let cursorSeg = 0;
      if (this.cursor.segment < appended.segment) {
        const st = this.db.walSegments().find((s) => s.id === this.cursor.segment);
        cursorSeg = st ? st.bytes : 0;
      }
      this.sealed = { from: this.cursor.segment, to: appended.segment, bytes: bytes + cursorSeg };
    }
    if (this.cursor.segment === appended.segment) return appended.offset - Math.max(this.cursor.offset, SEGMENT_HEADER);
    return this.sealed.bytes - Math.max(this.cursor.offset, SEGMENT_HEADER) + (appended.offset - SEGMENT_HEADER);
  }

  /** Age of the oldest unforwarded data, ms: now − the first mark past the cursor. */
  private oldestAgeMs(): number {
    const appended = this.db.walState().appended;
    if (comparePositions(this.cursor, appended) >= 0) return 0;
    for (const m of this.marks) if (comparePositions(m, this.cursor) > 0) return Math.max(0, this.now() - m.t);
    return 0;
  }

  private overCap(): boolean {
    const cap = this.cap;
    if (!cap) return false;
    if ((cap.maxBytes ?? 0) > 0 && this.backlog() > cap.maxBytes!) return true;
    if ((cap.maxAgeMs ?? 0) > 0 && this.oldestAgeMs() > cap.maxAgeMs!) return true;
    return false;
  }

  private admit(): void {
    if (!this.refusing) return;
    const b = this.backlog();
    throw new OverloadedError(
      `upstream "${this.name}" is behind: ${b} bytes of unforwarded data (oldest ${Math.round(this.oldestAgeMs() / 1000)} s) are over the forwarding cap (policy refuse); writes are taken again as it catches up: retry after 1 s`,
      1,
    );
  }

  /** Applies the cap: refuse sets the flag the admission check reads; drop-oldest moves
   * the cursor past the oldest data until the backlog is within the cap. */
  private async enforceCap(): Promise<void> {
    const cap = this.cap;
    if (!cap) return;
    if (cap.policy === 'refuse') {
      this.refusing = this.overCap();
      return;
    }
    if (!this.overCap()) return;
    // Target: the first position after which the backlog is within both caps.
    let target: WalPosition = this.cursor;
    if ((cap.maxAgeMs ?? 0) > 0) {
      const limit = this.now() - cap.maxAgeMs!;
      for (const m of this.marks) if (m.t < limit && comparePositions(m, target) > 0) target = { segment: m.segment, offset: m.offset };
    }
    if ((cap.maxBytes ?? 0) > 0) {
      const segs = this.db.walSegments();
      let rest = this.backlog();
      for (const s of segs) {
        if (rest <= cap.maxBytes!) break;
        if (s.id < target.segment) continue;
        const start = s.id === target.segment ? Math.max(target.offset, SEGMENT_HEADER) : SEGMENT_HEADER;
        const inSeg = s.bytes - start;
        const excess = rest - cap.maxBytes!;
        if (inSeg >= excess) {
          target = { segment: s.id, offset: start + excess };
          rest -= excess;
          break;
        }
        rest -= inSeg;
        target = { segment: s.id, offset: s.bytes };
      }
    }
    if (comparePositions(target, this.cursor) > 0) await this.dropUntil(target);
  }

  /** Moves the cursor over every record that starts before `target`, counting them. */
  private async dropUntil(target: WalPosition): Promise<void> {
    let points = 0;
    let bytes = 0;
    const start = this.cursor;
    let pos = this.cursor;
    outer: while (comparePositions(pos, target) < 0) {
      const read = await this.db.readWal(pos, this.o.batchBytes);
      if (read.records.length === 0) {
        if (comparePositions(read.next, pos) > 0 && comparePositions(read.next, target) <= 0) {
          pos = read.next;
          continue;
        }
        break;
      }
      for (const rec of read.records) {
        if (comparePositions(rec, target) >= 0) {
          pos = { segment: rec.segment, offset: rec.offset };
          break outer;
        }
        points += countPoints(rec, this.parser);
        bytes += rec.payload.length + 9;
      }
      pos = read.next;
    }
    if (comparePositions(pos, start) <= 0) return;
    this.c.droppedPoints += points;
    this.c.droppedBytes += bytes;
    this.log.warn({ upstream: this.name, points, bytes, from: start, to: pos }, 'forward: backlog over its cap; the oldest points were dropped (policy drop-oldest)');
    this.moveCursor(pos);
  }

  private noteError(message: string): void {
    this.lastError = { time: this.now(), message };
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, this.o.pollMs);
      const self = this;
      function done(): void {
        clearTimeout(t);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** Sleeps `ms`, ended early by stop() (then throws Stopped). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stopping) return reject(new Stopped());
      const onAbort = () => {
        clearTimeout(t);
        reject(new Stopped());
      };
      const t = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Whether a (db, rp) is a downsampling tier, from the catalogue as it is now; only the
 * downsampler writes there, and the upstream makes its own rollups. */
function tierTest(db: Database): (name: string, rp: string) => boolean {
  const tiers = new Map<string, Set<string>>();
  return (name, rp) => {
    let set = tiers.get(name);
    if (!set) {
      set = new Set();
      try {
        for (const parent of Object.keys(db.retentionPolicies(name))) for (const t of db.tiersOf(name, parent)) set.add(t.name);
      } catch {
        // the database is gone: nothing of it is a tier
      }
      tiers.set(name, set);
    }
    return set.has(rp);
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ? `${e.message} (${e.cause.code})` : (e.message ?? String(err));
}
