// The label sets of stored series (seriesLabels.ts): made from the series key as the engine
// adapter always made them, one frozen object per (metric, series key) while it is cached,
// and the cache bounded by its entry count.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSeriesKey, seriesKeyTags } from '../../ingest/seriesKey.js';
import { labelsKeyOf, labelsOf, SeriesLabelsCache } from './seriesLabels.js';

describe('SeriesLabelsCache', () => {
  it('gives labelsOf(metric, tags of the key) and its key, frozen, for any series key', () => {
    // names before and after __name__ (upper case, digits, integer-like), escapes, non-ASCII
    const tagKey = fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }), fc.constantFrom('__name__', '_', '__a', '0', '10', 'Z', 'é'));
    const tags = fc.dictionary(tagKey, fc.string({ maxLength: 6 }), { maxKeys: 5 });
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9_ ,=]{0,7}$/), tags, fc.string({ minLength: 1, maxLength: 10 }), (measurement, t, metric) => {
        let key = '';
        try {
          key = makeSeriesKey(measurement, Object.fromEntries(Object.entries(t).filter(([, v]) => v !== '')));
        } catch {
          fc.pre(false); // names the engine refuses (a leading #, a trailing backslash, ...)
        }
        const c = new SeriesLabelsCache(100);
        const e = c.get(metric, key);
        const want = labelsOf(metric, seriesKeyTags(key));
        expect(e.labels).toEqual(want);
        expect(Object.keys(e.labels)).toEqual(Object.keys(want)); // the order JSON writes them in
        expect(e.key).toBe(labelsKeyOf(want));
        expect(Object.isFrozen(e.labels)).toBe(true);
        expect(c.get(metric, key)).toBe(e);
      }),
      { numRuns: 2000, seed: 20261122 },
    );
  });

  it('leaves out empty tags and never takes __name__ from a tag', () => {
    const c = new SeriesLabelsCache(10);
    expect(c.get('up', makeSeriesKey('up', { job: 'a', zone: 'eu' })).labels).toEqual({ __name__: 'up', job: 'a', zone: 'eu' });
    expect(labelsOf('m', { a: '', __name__: 'x', b: 'y' })).toEqual({ __name__: 'm', b: 'y' });
    // the same series read as two metrics (two fields) is two label sets
    const key = makeSeriesKey('cpu', { host: 'h' });
    expect(c.get('cpu_user', key).labels.__name__).toBe('cpu_user');
    expect(c.get('cpu_idle', key).labels.__name__).toBe('cpu_idle');
  });

  it('keeps at most its limit, and what is read again stays', () => {
    const c = new SeriesLabelsCache(100);
    const hot = c.get('m', makeSeriesKey('m', { k: 'hot' }));
    for (let i = 0; i < 1000; i++) {
      c.get('m', makeSeriesKey('m', { k: String(i) }));
      expect(c.get('m', makeSeriesKey('m', { k: 'hot' }))).toBe(hot);
      expect(c.size).toBeLessThanOrEqual(100 + 1);
    }
    // a key not read for two generations is made anew (an equal, new object)
    const first = c.get('m', makeSeriesKey('m', { k: '0' }));
    expect(first.labels).toEqual({ __name__: 'm', k: '0' });
    const none = new SeriesLabelsCache(0);
    expect(none.get('m', 'm,k=v')).not.toBe(none.get('m', 'm,k=v'));
    expect(none.size).toBe(0);
  });
});
