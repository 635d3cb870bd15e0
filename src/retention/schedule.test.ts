import { describe, expect, it } from 'vitest';
import { silentLogger } from '../types.js';
import { cronSchedule, dueRuns, intervalSchedule, ScheduleError, ScheduleRunner, type ScheduledJob } from './schedule.js';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.parse('2024-03-30T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

describe('interval schedules', () => {
  it('run at k * every + offset, aligned to the epoch', () => {
    const s = intervalSchedule(H, 15 * M);
    expect(iso(s.next(T0))).toBe('2024-03-30T00:15:00.000Z');
    expect(iso(s.next(T0 + 15 * M))).toBe('2024-03-30T01:15:00.000Z');
    expect(iso(s.prevAtOrBefore(T0 + 15 * M))).toBe('2024-03-30T00:15:00.000Z');
    expect(iso(s.prevAtOrBefore(T0 + 15 * M - 1))).toBe('2024-03-29T23:15:00.000Z');
    // A negative or oversized offset is the same schedule.
    expect(intervalSchedule(H, -45 * M).next(T0)).toBe(s.next(T0));
    expect(intervalSchedule(H, 75 * M).next(T0)).toBe(s.next(T0));
    // Before the epoch too.
    expect(intervalSchedule(H).prevAtOrBefore(-1)).toBe(-H);
  });

  it('refuse a zero or fractional interval', () => {
    expect(() => intervalSchedule(0)).toThrow(ScheduleError);
    expect(() => intervalSchedule(1.5)).toThrow(/positive whole number/);
  });
});

describe('cron schedules', () => {
  it('run at the times of the expression, in UTC by default', () => {
    const s = cronSchedule('*/15 * * * *');
    expect(iso(s.next(T0))).toBe('2024-03-30T00:15:00.000Z');
    expect(iso(s.prevAtOrBefore(T0))).toBe('2024-03-30T00:00:00.000Z');
    expect(iso(s.prevAtOrBefore(T0 - 1))).toBe('2024-03-29T23:45:00.000Z');
    // Six fields: seconds first.
    expect(iso(cronSchedule('30 * * * * *').next(T0))).toBe('2024-03-30T00:00:30.000Z');
  });

  it('follow local time in a time zone, across a daylight saving change', () => {
    const s = cronSchedule('0 9 * * *', 'Europe/Berlin');
    const runs = dueRuns(s, T0, T0 + 3 * 24 * H).runs.map(iso);
    // Berlin moves from UTC+1 to UTC+2 on 2024-03-31.
    expect(runs).toEqual(['2024-03-30T08:00:00.000Z', '2024-03-31T07:00:00.000Z', '2024-04-01T07:00:00.000Z']);
  });

  it('refuse a bad expression or time zone with a message saying which', () => {
    expect(() => cronSchedule('every hour')).toThrow(/invalid cron expression "every hour"/);
    expect(() => cronSchedule('0 * * * *', 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('dueRuns', () => {
  it('lists every run in (lastDone, now], oldest first, each once', () => {
    const s = intervalSchedule(H);
    expect(dueRuns(s, T0, T0).runs).toEqual([]);
    expect(dueRuns(s, T0, T0 + H - 1).runs).toEqual([]);
    expect(dueRuns(s, T0, T0 + H).runs).toEqual([T0 + H]);
    expect(dueRuns(s, T0 - 1, T0 + 3 * H + 5).runs).toEqual([T0, T0 + H, T0 + 2 * H, T0 + 3 * H]);
    expect(dueRuns(cronSchedule('0 */6 * * *'), T0, T0 + 24 * H).runs.map(iso)).toEqual([
      '2024-03-30T06:00:00.000Z',
      '2024-03-30T12:00:00.000Z',
      '2024-03-30T18:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
    ]);
  });

  it('caps a long catch-up at the latest runs and says how many were skipped', () => {
    const s = intervalSchedule(M);
    const r = dueRuns(s, T0, T0 + 365 * 24 * H, 1000);
    expect(r.runs.length).toBe(1000);
    expect(r.runs[999]).toBe(T0 + 365 * 24 * H);
    expect(r.runs[0]).toBe(T0 + 365 * 24 * H - 999 * M);
    expect(r.skipped).toBe(365 * 24 * 60 - 1000);
    const c = dueRuns(cronSchedule('*/10 * * * *'), T0, T0 + 24 * H, 5);
    expect(c.runs.map(iso)).toEqual(['2024-03-30T23:20:00.000Z', '2024-03-30T23:30:00.000Z', '2024-03-30T23:40:00.000Z', '2024-03-30T23:50:00.000Z', '2024-03-31T00:00:00.000Z']);
    expect(c.skipped).toBe(144 - 5);
    expect(dueRuns(s, T0, T0 + 10 * M).skipped).toBe(0);
  });
});

describe('ScheduleRunner', () => {
  it('runs due jobs from runDue (fake clock) and sleeps until the earliest next run', async () => {
    const s = intervalSchedule(H);
    const seen: number[] = [];
    let lastDone = T0;
    const job: ScheduledJob = {
      async runDue(now) {
        for (const t of dueRuns(s, lastDone, now).runs) {
          seen.push(t);
          lastDone = t;
        }
      },
      nextDue: (now) => s.next(Math.max(now, lastDone)),
    };
    const runner = new ScheduleRunner({ now: () => T0, jobs: [job], logger: silentLogger });
    await runner.runDue(T0 + 2 * H + 1);
    await runner.runDue(T0 + 2 * H + 2);
    expect(seen).toEqual([T0 + H, T0 + 2 * H]);
    expect(job.nextDue(T0 + 2 * H + 2)).toBe(T0 + 3 * H);
  });

  it('with real timers: starts with a catch-up pass and stops cleanly', async () => {
    let passes = 0;
    const job: ScheduledJob = {
      async runDue() {
        passes++;
      },
      nextDue: (now) => now + 5,
    };
    const runner = new ScheduleRunner({ now: Date.now, jobs: [job], logger: silentLogger });
    runner.start();
    await new Promise((r) => setTimeout(r, 60));
    await runner.stop();
    const after = passes;
    expect(after).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(passes).toBe(after);
  });
});
