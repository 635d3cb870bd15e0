import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTsmFileName, planCompaction, tsmFileName, type PlanFile } from './compactPlan.js';

const files = fc
  .array(fc.record({ span: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 1, max: 200 }) }), { maxLength: 80 })
  .map((xs) => {
    let seq = 1;
    return xs.map(({ span, size }): PlanFile => {
      const f = { first: seq, last: seq + span, size };
      seq += span + 1;
      return f;
    });
  });
const opts = fc.record({ full: fc.boolean(), smallBytes: fc.integer({ min: 1, max: 250 }), minRun: fc.integer({ min: 2, max: 6 }), maxRun: fc.integer({ min: 2, max: 40 }) });

describe('compaction planner', () => {
  it('only merges contiguous, disjoint runs of at least two files within maxRun (property)', () => {
    fc.assert(
      fc.property(files, opts, (fs, o) => {
        const groups = planCompaction(fs, o);
        const seen = new Set<number>();
        for (const g of groups) {
          expect(g.length).toBeGreaterThanOrEqual(2);
          expect(g.length).toBeLessThanOrEqual(Math.max(2, o.maxRun));
          for (let k = 1; k < g.length; k++) expect(g[k]).toBe(g[k - 1] + 1);
          for (const i of g) {
            expect(seen.has(i)).toBe(false);
            seen.add(i);
          }
          if (!o.full) for (const i of g) expect(fs[i].size).toBeLessThan(o.smallBytes);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves at most ceil(n / maxRun) files after a full plan, and nothing to do for one file', () => {
    fc.assert(
      fc.property(files, fc.integer({ min: 2, max: 40 }), (fs, maxRun) => {
        const groups = planCompaction(fs, { full: true, maxRun });
        const after = fs.length - groups.reduce((n, g) => n + g.length - 1, 0);
        expect(after).toBeLessThanOrEqual(Math.max(1, Math.ceil(fs.length / maxRun)));
      }),
      { numRuns: 1000 },
    );
    expect(planCompaction([{ first: 1, last: 1, size: 1 }], { full: true })).toEqual([]);
  });

  it('rewrites a file that tombstones apply to in a full plan, even alone', () => {
    const f = (i: number, tombstoned = false): PlanFile => ({ first: i, last: i, size: 1, tombstoned });
    expect(planCompaction([f(1, true)], { full: true })).toEqual([[0]]);
    expect(planCompaction([f(1, true)], { full: false })).toEqual([]);
    expect(planCompaction([f(1), f(2), f(3, true)], { full: true, maxRun: 2 })).toEqual([[0, 1], [2]]);
    expect(planCompaction([f(1), f(2), f(3)], { full: true, maxRun: 2 })).toEqual([[0, 1]]);
  });

  it('waits for a run of minRun small files', () => {
    const f = (size: number, i: number): PlanFile => ({ first: i, last: i, size });
    expect(planCompaction([1, 1, 1].map(f), { minRun: 4 })).toEqual([]);
    expect(planCompaction([1, 1, 1, 1, 999, 1, 1].map(f), { minRun: 4, smallBytes: 10 })).toEqual([[0, 1, 2, 3]]);
  });

  it('names files so that they sort by age and parse back', () => {
    expect(tsmFileName(3, 17)).toBe('000000000003-000000000017.tsm');
    expect(parseTsmFileName(tsmFileName(3, 17))).toEqual({ first: 3, last: 17 });
    expect(parseTsmFileName('000000000005.tsm')).toEqual({ first: 5, last: 5 });
    expect(parseTsmFileName('000000000005-000000000007.tsm.tmp')).toBeUndefined();
  });
});
