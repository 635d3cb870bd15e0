import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.js';
import { JsonLogger } from './log.js';
import { Progress, formatBytes, formatDuration, renderProgress } from './progress.js';
import { Capture } from './testing/io.js';

const NOW = () => new Date('2024-05-01T12:00:00.000Z');

function lines(c: Capture): Record<string, unknown>[] {
  return c.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with time, level, msg and the fields', () => {
    const c = new Capture();
    const log = new JsonLogger({ stream: c, now: NOW });
    log.info({ port: 8086, big: 2n ** 64n }, 'listening');
    log.warn('plain message');
    log.error(new CorruptionError('/d/wal/1.wal', 42, 'CRC mismatch'));
    const [a, b, e] = lines(c);
    expect(a).toEqual({ time: '2024-05-01T12:00:00.000Z', level: 'info', msg: 'listening', port: 8086, big: '18446744073709551616' });
    expect(b).toEqual({ time: '2024-05-01T12:00:00.000Z', level: 'warn', msg: 'plain message' });
    expect(e.level).toBe('error');
    expect(e.msg).toMatch(/corrupt data in \/d\/wal\/1\.wal at offset 42/);
    expect(e.err).toMatchObject({ type: 'CorruptionError', code: 'STRATA_ERR_CORRUPT', file: '/d/wal/1.wal', offset: 42 });
  });

  it('filters by level, serialises errors in fields, and binds child fields', () => {
    const c = new Capture();
    const log = new JsonLogger({ stream: c, level: 'warn', now: NOW });
    log.info('dropped');
    log.debug('dropped');
    log.warn({ err: new Error('boom') }, 'kept');
    log.child({ component: 'wal' }).error('child %s %d', 'x', 5);
    const out = lines(c);
    expect(out).toHaveLength(2);
    expect(out[0].err).toMatchObject({ type: 'Error', message: 'boom' });
    expect(out[1]).toMatchObject({ level: 'error', component: 'wal', msg: 'child x 5' });
    expect(log.isLevelEnabled('info')).toBe(false);
    const silent = new JsonLogger({ stream: c, level: 'silent' });
    silent.error('nothing');
    expect(lines(c)).toHaveLength(2);
  });

  it('survives circular fields', () => {
    const c = new Capture();
    const o: Record<string, unknown> = {};
    o.self = o;
    new JsonLogger({ stream: c }).info(o, 'circular');
    expect(lines(c)[0]).toMatchObject({ level: 'info', msg: 'circular' });
  });
});

describe('progress', () => {
  it('renders a bar with percentage, bytes, lines, rate and ETA', () => {
    const s = renderProgress({ bytes: 12_000_000, total: 25_000_000, lines: 412_000, elapsed: 2 }, 120);
    expect(s).toMatch(/^\[#{14}-{16}\] +48% {2}12\.0 MB \/ 25\.0 MB {2}412,000 lines {2}206,000 lines\/s {2}ETA 3s$/);
    // Unknown total (stdin): no bar, no percentage.
    expect(renderProgress({ bytes: 1500, lines: 10, elapsed: 1 })).toBe('1.5 kB  10 lines  10 lines/s');
    // Narrow terminals get no bar and a cut line.
    expect(renderProgress({ bytes: 1, total: 2, lines: 1, elapsed: 1 }, 30).length).toBeLessThanOrEqual(29);
  });

  it('draws only on a terminal, throttled, and clears', () => {
    const c = new Capture();
    let t = 0;
    const p = new Progress({ stream: c, total: 100, enabled: true, clock: () => t });
    p.update(10, 1);
    p.update(20, 2); // within 100 ms: skipped
    t = 150;
    p.update(30, 3);
    p.clear();
    expect(c.chunks).toHaveLength(3);
    expect(c.chunks[2]).toBe('\r\x1b[K');
    const quiet = new Capture();
    const off = new Progress({ stream: quiet, total: 100 });
    off.update(1, 1);
    off.clear();
    expect(quiet.chunks).toEqual([]);
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(5e12)).toBe('5.0 TB');
    expect(formatDuration(4.2)).toBe('5s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7300)).toBe('2h01m');
  });
});
