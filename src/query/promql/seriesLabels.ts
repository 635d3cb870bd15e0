// The PromQL label sets of stored series, made once and kept.
//
// A series' labels are a pure function of its metric name and its series key (the tags are
// in the key): `__name__` plus every non-empty tag. Making them means parsing the key into
// tags, building the label object and its canonical key (the sort key of select()), per
// series and per query: for a query over 1,000 series (TSBS lastpoint) that was ~0.5 ms,
// and ~30% of the bytes a one-series dashboard query allocated. The cache keeps each
// (metric, series key)'s labels, frozen (one object serves every query that reads the
// series, and nothing may change it), and its key.
//
// Bounded by entry count with two generations: entries live in `young`; when it holds
// half the limit, `old` is dropped and `young` becomes `old`; a hit in `old` moves the entry
// back to `young`. Series read in the last two generations stay, a one-off scan over many
// series pushes them out, and there is no per-entry bookkeeping on a hit in `young`.

import { seriesKeyTags } from '../../ingest/seriesKey.js';
import type { Labels } from './types.js';

/** A series' label set and its canonical key. */
export interface SeriesLabels {
  /** Frozen: shared by every query that reads the series. */
  readonly labels: Labels;
  /** labelsKey(labels) (names sorted): select() sorts and merges by it. */
  readonly key: string;
}

export class SeriesLabelsCache {
  /** metric name → series key → entry. */
  private young = new Map<string, Map<string, SeriesLabels>>();
  private old = new Map<string, Map<string, SeriesLabels>>();
  private youngSize = 0;

  /** @param maxEntries most entries kept (both generations); 0 keeps none. */
  constructor(private readonly maxEntries: number) {}

  /** The labels of series `seriesKey` read as metric `metric`. */
  get(metric: string, seriesKey: string): SeriesLabels {
    let y = this.young.get(metric);
    const hit = y?.get(seriesKey);
    if (hit !== undefined) return hit;
    const e = this.old.get(metric)?.get(seriesKey) ?? make(metric, seriesKey);
    if (this.maxEntries <= 0) return e;
    if (this.youngSize >= this.maxEntries >> 1) {
      this.old = this.young;
      this.young = new Map();
      this.youngSize = 0;
      y = undefined;
    }
    if (y === undefined) this.young.set(metric, (y = new Map()));
    y.set(seriesKey, e);
    this.youngSize++;
    return e;
  }

  /** Entries held (both generations; an entry in both counts twice). */
  get size(): number {
    let n = this.youngSize;
    for (const m of this.old.values()) n += m.size;
    return n;
  }
}

/**
 * labelsOf(metric, seriesKeyTags(key)) and its labelsKeyOf(), made in one pass over a key
 * without escapes whose tag names ascend as JavaScript compares them (the key sorts them by
 * their UTF-8 bytes: the same order short of astral characters): no tag object in between,
 * no sort, the canonical key built as the names come. Other keys take the general way.
 */
function make(metric: string, seriesKey: string): SeriesLabels {
  if (seriesKey.indexOf('\\') < 0) {
    const labels: Labels = { __name__: metric };
    const name = '__name__\x00' + metric + '\x01';
    let key = '';
    let named = false;
    let prev = '';
    let i = seriesKey.indexOf(',');
    while (i >= 0) {
      const eq = seriesKey.indexOf('=', i + 1);
      if (eq < 0) break; // malformed: the general way says so
      const next = seriesKey.indexOf(',', eq + 1);
      const k = seriesKey.slice(i + 1, eq);
      const v = next < 0 ? seriesKey.slice(eq + 1) : seriesKey.slice(eq + 1, next);
      i = next;
      if (v === '' || k === '__name__') continue;
      if (k <= prev) break;
      prev = k;
      if (!named && k > '__name__') {
        key += name;
        named = true;
      }
      labels[k] = v;
      key += k + '\x00' + v + '\x01';
    }
    if (i < 0) return { labels: Object.freeze(labels), key: named ? key : key + name };
  }
  const labels = labelsOf(metric, seriesKeyTags(seriesKey));
  return { labels: Object.freeze(labels), key: labelsKeyOf(labels) };
}

/** `__name__` and every non-empty tag. */
export function labelsOf(metric: string, tags: Record<string, string>): Labels {
  const l: Labels = { __name__: metric };
  for (const k of Object.keys(tags)) {
    const v = tags[k];
    if (v !== '' && k !== '__name__') l[k] = v;
  }
  return l;
}

/** Canonical key of a label set (names sorted); keys sort as Prometheus sorts label sets. */
export function labelsKeyOf(l: Labels): string {
  const names = Object.keys(l);
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1] > names[i]) {
      names.sort();
      break;
    }
  }
  let s = '';
  for (const n of names) s += n + '\x00' + l[n] + '\x01';
  return s;
}
