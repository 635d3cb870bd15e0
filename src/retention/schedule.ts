// When continuous queries and recording-rule groups run.
//
// A schedule is either a fixed interval aligned to the epoch (as InfluxDB aligns GROUP BY
// time() buckets: run times are `k * every + offset`) or a cron expression (cron-parser 5,
// evaluated in a time zone, UTC by default). The pure part answers two questions: the next
// run time after t, and every run time in (lastDone, now]. The second is what makes
// catch-up exact: after downtime each missed run happens once, at its own time, in order
// (a job records the last run it completed, so a run interrupted by a crash is in the
// list again on restart). The list is capped (default 1000, the most recent runs are
// kept) so a job paused for a year does not start millions of runs; a capped list is
// logged as a warning by the caller that owns the job's name.
//
// Times are ms since the epoch (numbers): cron works in ms, and no schedule needs finer.
//
// ScheduleRunner is the only part with timers: it calls runDue(now) when the earliest job
// is due (setTimeout, unref'd so an embedding program can exit), and tests call runDue
// themselves with a fake clock.

import { CronExpressionParser } from 'cron-parser';
import type { Logger } from '../types.js';

export interface Schedule {
  /** How the schedule was written (`every 1h offset 15m`, `cron "0 * * * *" UTC`). */
  readonly description: string;
  /** The first run time strictly after `t`. */
  next(t: number): number;
  /** The last run time at or before `t`. */
  prevAtOrBefore(t: number): number;
  /** The fixed step of an interval schedule (absent for cron). */
  readonly stepMs?: number;
}

/** Most catch-up runs done after downtime unless configured otherwise. */
export const DEFAULT_MAX_CATCH_UP = 1000;

/** Thrown for an interval or cron expression that cannot be used; the message says why. */
export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** Run times `k * everyMs + offsetMs` for every integer k. */
export function intervalSchedule(everyMs: number, offsetMs = 0): Schedule {
  if (!Number.isSafeInteger(everyMs) || everyMs <= 0) throw new ScheduleError(`interval must be a positive whole number of milliseconds, got ${everyMs}`);
  if (!Number.isSafeInteger(offsetMs)) throw new ScheduleError(`offset must be a whole number of milliseconds, got ${offsetMs}`);
  // Normalised into [0, every) so that floor() below works for any sign of offset.
  const off = ((offsetMs % everyMs) + everyMs) % everyMs;
  const floorRun = (t: number) => Math.floor((t - off) / everyMs) * everyMs + off;
  return {
    description: `every ${everyMs}ms` + (off !== 0 ? ` offset ${off}ms` : ''),
    stepMs: everyMs,
    next: (t) => floorRun(t) + everyMs,
    prevAtOrBefore: (t) => floorRun(t),
  };
}

/**
 * Run times of a cron expression (5 fields, or 6 with seconds first; `@hourly` etc.) in
 * `tz` (an IANA name, default UTC): `0 9 * * *` in Europe/Berlin runs at 09:00 local time,
 * which moves in UTC with daylight saving time.
 */
export function cronSchedule(expr: string, tz = 'UTC'): Schedule {
  if (!isTimeZone(tz)) throw new ScheduleError(`unknown time zone "${tz}": use an IANA name such as "UTC" or "Europe/Berlin"`);
  const parse = (t: number) => {
    try {
      return CronExpressionParser.parse(expr, { currentDate: t, tz, strict: false });
    } catch (e) {
      throw new ScheduleError(`invalid cron expression "${expr}": ${(e as Error).message}`);
    }
  };
  parse(0).next(); // validates now rather than at the first run
  return {
    description: `cron "${expr}" ${tz}`,
    next: (t) => parse(t).next().getTime(),
    // cron-parser's prev() is strictly before its current date.
    prevAtOrBefore: (t) => parse(t + 1).prev().getTime(),
  };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface DueRuns {
  /** Run times in (lastDone, now], ascending, at most maxCatchUp of them (the latest). */
  runs: number[];
  /** Due runs left out by the cap (0 unless capped). */
  skipped: number;
}

/**
 * Every run time in (lastDone, now], oldest first. When there are more than `maxCatchUp`
 * the latest ones are kept: old windows are the likeliest to have expired, and the
 * newest results are what dashboards show.
 */
export function dueRuns(schedule: Schedule, lastDone: number, now: number, maxCatchUp = DEFAULT_MAX_CATCH_UP): DueRuns {
  if (now <= lastDone) return { runs: [], skipped: 0 };
  const cap = Math.max(1, maxCatchUp);
  // Walk back from now: at most cap + 1 steps whatever the downtime was.
  const back: number[] = [];
  let t = schedule.prevAtOrBefore(now);
  while (t > lastDone && back.length < cap) {
    back.push(t);
    t = schedule.prevAtOrBefore(t - 1);
  }
  let skipped = 0;
  if (t > lastDone) skipped = countBetween(schedule, lastDone, t);
  return { runs: back.reverse(), skipped };
}

/** Run times in (from, to], counted cheaply for intervals and by walking for cron. */
function countBetween(schedule: Schedule, from: number, to: number): number {
  const a = schedule.next(from);
  if (a > to) return 0;
  if (schedule.stepMs !== undefined) return Math.floor((to - a) / schedule.stepMs) + 1;
  let n = 0;
  for (let t = a; t <= to && n < 10_000_000; t = schedule.next(t)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------
// The runner.

/** A job with a schedule: the continuous queries, the rule groups. */
export interface ScheduledJob {
  /** Runs every due run time of this job in order (see dueRuns) and returns when done. */
  runDue(now: number): Promise<void>;
  /** When this job next has something to do (Infinity: nothing). At or before `now` when
   * a run is due already. */
  nextDue(now: number): number;
}

export interface RunnerOptions {
  /** Wall clock, ms. */
  now: () => number;
  jobs: ScheduledJob[];
  logger: Logger;
  /** Longest sleep between checks, ms (default 60 s): picks up new jobs and clock jumps. */
  maxSleepMs?: number;
}

/**
 * Calls each job's runDue when it is due. One pass at a time: a pass that runs long (a
 * big catch-up) delays the next check instead of overlapping it.
 */
export class ScheduleRunner {
  private readonly opts: RunnerOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(opts: RunnerOptions) {
    this.opts = opts;
  }

  /** Runs what is due now (catch-up after downtime) and then keeps time. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake(0);
  }

  /** Stops the timer and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Re-plans the next wake-up (after a job was added or changed). During a pass the
   * pass re-plans when it ends. */
  poke(): void {
    if (!this.stopped && !this.running) this.wake(this.sleepFor(this.opts.now()));
  }

  /** One pass at `now`: every job runs what is due. Tests call this with a fake clock. */
  async runDue(now: number): Promise<void> {
    while (this.running) await this.running;
    const pass = (async () => {
      for (const job of this.opts.jobs) {
        try {
          await job.runDue(now);
        } catch (err) {
          // A job logs its own run failures; this is a bug or an I/O error around them.
          this.opts.logger.error({ err: (err as Error).message }, 'scheduled job failed');
        }
      }
    })();
    this.running = pass;
    try {
      await pass;
    } finally {
      this.running = null;
    }
  }

  private wake(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runDue(this.opts.now()).then(() => {
        if (!this.stopped) this.wake(this.sleepFor(this.opts.now()));
      });
    }, delay);
    this.timer.unref();
  }

  private sleepFor(now: number): number {
    let next = Infinity;
    for (const job of this.opts.jobs) next = Math.min(next, job.nextDue(now));
    const max = this.opts.maxSleepMs ?? 60_000;
    return Math.max(0, Math.min(max, next - now));
  }
}
