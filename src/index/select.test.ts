// Matcher semantics of the index against a brute-force model: the memtable's linear
// evaluation (compileMatcher) over every series of a random set, on a real index on disk.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSeriesKey } from '../ingest/seriesKey.js';
import { compileMatcher } from '../memtable/memtable.js';
import type { TagMatcher } from '../types.js';
import { literalAlternation } from './select.js';
import { SeriesIndex } from './seriesIndex.js';
import { Postings } from './postings.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-select-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(root, String(n++));

const MEASUREMENTS = ['cpu', 'mem', 'disk io'];
const KEYS = ['host', 'dc', 'os', 'a=b'];
const VALUES = ['a', 'b', 'ab', 'ba', 'a.b', 'axb', 'host_1', 'host_12', 'x y', 'é', '😀', 'A', '.*', 'a|b', 'line\tbreak'];
const PATTERNS = [
  '.*', '.+', '', '(?:)', 'a|b', '(a|b)', '(?:ab|)', 'a.*', '.*b', 'a\\.b', 'a.b', '[ab]+', 'host_\\d+', 'host_1|host_12',
  'é|x y', '😀', '.', '..', '\\.\\*', 'a\\|b', 'A|a', '(?:a|)b?', '[^a]*', 'x y|', '.*\\t.*', 'a|b|ab|ba|zz',
];

interface ModelSeries {
  measurement: string;
  tags: Record<string, string>;
  key: string;
}

const seriesArb = fc.record({
  measurement: fc.constantFrom(...MEASUREMENTS),
  tags: fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 4 }),
});

const matcherArb: fc.Arbitrary<TagMatcher> = fc.oneof(
  fc.record({ key: fc.constantFrom(...KEYS, 'missing'), op: fc.constantFrom('=' as const, '!=' as const), value: fc.constantFrom('', ...VALUES) }),
  fc.record({ key: fc.constantFrom(...KEYS, 'missing'), op: fc.constantFrom('=~' as const, '!~' as const), value: fc.constantFrom(...PATTERNS) }),
  // alternations of literals, escaped (the fast path)
  fc.record({
    key: fc.constantFrom(...KEYS),
    op: fc.constantFrom('=~' as const, '!~' as const),
    value: fc.array(fc.constantFrom('', ...VALUES), { minLength: 1, maxLength: 4 }).map((vs) => vs.map(escapeRegex).join('|')),
  }),
);

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function expected(model: ModelSeries[], ids: Map<string, number>, measurement: string, matchers: TagMatcher[]): number[] {
  const tests = matchers.map(compileMatcher);
  return model
    .filter((s) => s.measurement === measurement && tests.every((t) => t(s.tags)))
    .map((s) => ids.get(s.key)!)
    .sort((a, b) => a - b);
}

describe('SeriesIndex.select', () => {
  it('equals filtering every series with compileMatcher (random series, matchers, deletes, reopen)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(seriesArb, { maxLength: 40 }),
        fc.array(fc.record({ measurement: fc.constantFrom(...MEASUREMENTS), matchers: fc.array(matcherArb, { maxLength: 3 }) }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        async (raw, queries, deletions, reopen) => {
          const dir = freshDir();
          let idx = await SeriesIndex.open(dir, { db: 'prop', snapshotEvery: 7 });
          const model: ModelSeries[] = [];
          const ids = new Map<string, number>();
          for (const r of raw) {
            const key = makeSeriesKey(r.measurement, r.tags);
            if (ids.has(key)) continue;
            ids.set(key, idx.getOrCreate(key));
            model.push({ ...r, key });
          }
          const check = (): void => {
            for (const q of queries) {
              expect(idx.select(q.measurement, q.matchers).toArray(), JSON.stringify(q)).toEqual(expected(model, ids, q.measurement, q.matchers));
            }
          };
          check();
          if (model.length > 0 && deletions.length > 0) {
            const gone = new Set(deletions.map((d) => model[d % model.length].key));
            idx.deleteSeries(Postings.of([...gone].map((k) => ids.get(k)!)));
            for (let i = model.length - 1; i >= 0; i--) if (gone.has(model[i].key)) model.splice(i, 1);
            check();
          }
          if (reopen) {
            await idx.close();
            idx = await SeriesIndex.open(dir, { db: 'prop' });
            check();
          }
          await idx.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('treats a missing tag as the empty string', async () => {
    const idx = await SeriesIndex.open(freshDir(), { db: 'x' });
    const a = idx.getOrCreate('cpu,dc=eu,host=a');
    const b = idx.getOrCreate('cpu,host=b');
    idx.getOrCreate('mem,dc=eu');
    expect(idx.select('cpu', [{ key: 'dc', op: '=', value: '' }]).toArray()).toEqual([b]);
    expect(idx.select('cpu', [{ key: 'dc', op: '!=', value: '' }]).toArray()).toEqual([a]);
    expect(idx.select('cpu', [{ key: 'dc', op: '=~', value: 'eu|' }]).toArray()).toEqual([a, b]);
    expect(idx.select('cpu', [{ key: 'dc', op: '!~', value: 'eu' }]).toArray()).toEqual([b]);
    expect(idx.select('cpu', [{ key: 'dc', op: '=~', value: '.+' }]).toArray()).toEqual([a]);
    expect(idx.select('cpu', []).toArray()).toEqual([a, b]);
    expect(idx.select('nope', []).toArray()).toEqual([]);
    await idx.close();
  });

  it('rejects an invalid regex with a 400 naming it', async () => {
    const idx = await SeriesIndex.open(freshDir(), { db: 'x' });
    idx.getOrCreate('cpu,host=a');
    expect(() => idx.select('cpu', [{ key: 'host', op: '=~', value: 'a(' }])).toThrow(/invalid regular expression \/a\(\//);
    await idx.close();
  });
});

describe('literalAlternation', () => {
  it('finds the literals of plain alternations only', () => {
    expect(literalAlternation('a|b')).toEqual(['a', 'b']);
    expect(literalAlternation('(a|b)')).toEqual(['a', 'b']);
    expect(literalAlternation('(?:host\\.1|)')).toEqual(['host.1', '']);
    expect(literalAlternation('x y')).toEqual(['x y']);
    expect(literalAlternation('a.b')).toBeNull();
    expect(literalAlternation('(a)|(b)')).toBeNull();
    expect(literalAlternation('a\\d')).toBeNull();
    expect(literalAlternation('(?i)a')).toBeNull();
    expect(literalAlternation('a]')).toBeNull();
  });

  it('agrees with the anchored regex on every value it is given', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '|', '.', '\\', '(', ')', '?', ':', ' ', '*', ']', '-') , maxLength: 10 }), fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '.', '|', ' ', '-', '\\', ')'), maxLength: 4 }), { maxLength: 8 }), (src, probes) => {
        const lits = literalAlternation(src);
        if (lits === null) return;
        const re = compileMatcher({ key: 'v', op: '=~', value: src });
        for (const p of [...probes, ...lits, '']) expect(lits.includes(p), `${src} on ${JSON.stringify(p)}`).toBe(re({ v: p }));
      }),
      { numRuns: 5000 },
    );
  });
});
