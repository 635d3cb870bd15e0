// A one-line progress bar for long CLI jobs (import), drawn on stderr only when stderr is a
// terminal, redrawn at most every 100 ms:
//   [##########----------]  48%  12.0 MB / 25.0 MB  412,000 lines  301,215 lines/s  ETA 4s
// When the total is unknown (stdin) the bar is left out.

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  bytes: number;
  /** Total bytes, when known. */
  total?: number;
  lines: number;
  /** Seconds since the start. */
  elapsed: number;
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;
  private readonly started: number;
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private last = -Infinity;
  private drawn = false;
  /** Total bytes, when known (may be set after construction). */
  total: number | undefined;

  constructor(opts: { stream: ProgressStream; total?: number; enabled?: boolean; intervalMs?: number; clock?: () => number }) {
    this.stream = opts.stream;
    this.enabled = opts.enabled ?? opts.stream.isTTY === true;
    this.total = opts.total;
    this.intervalMs = opts.intervalMs ?? 100;
    this.clock = opts.clock ?? (() => performance.now());
    this.started = this.clock();
  }

  get active(): boolean {
    return this.enabled;
  }

  /** Reports progress; redraws when enough time has passed since the last draw. */
  update(bytes: number, lines: number): void {
    if (!this.enabled) return;
    const now = this.clock();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    const line = renderProgress({ bytes, total: this.total, lines, elapsed: (now - this.started) / 1000 }, this.stream.columns || 80);
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the bar (call before printing anything else). */
  clear(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** The text of the progress line, fitted to `columns`. */
export function renderProgress(s: ProgressState, columns = 80): string {
  const rate = s.elapsed > 0 ? s.lines / s.elapsed : 0;
  const parts: string[] = [];
  const known = s.total !== undefined && s.total > 0;
  const frac = known ? Math.min(1, s.bytes / s.total!) : 0;
  if (known) parts.push(`${(frac * 100).toFixed(0).padStart(3)}%`);
  parts.push(known ? `${formatBytes(s.bytes)} / ${formatBytes(s.total!)}` : formatBytes(s.bytes));
  parts.push(`${formatCount(s.lines)} lines`);
  parts.push(`${formatCount(Math.round(rate))} lines/s`);
  if (known && frac > 0 && frac < 1 && s.elapsed > 0.5) {
    parts.push(`ETA ${formatDuration((s.elapsed / frac) * (1 - frac))}`);
  }
  const text = parts.join('  ');
  if (!known) return text.slice(0, columns - 1);
  const room = columns - 1 - text.length - 4;
  if (room < 10) return text.slice(0, columns - 1);
  const width = Math.min(30, room);
  const fill = Math.round(frac * width);
  return `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}]  ${text}`;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]}`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  if (sec < 60) return `${Math.ceil(sec)}s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m}m${String(Math.floor(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
