// The engine as a PromQL SeriesSource: the PromQL view of measurements and fields.
//
// Metric names (the VictoriaMetrics convention, ../shared/DESIGN.md): measurement `m` with
// field `f` is the metric `m_f`; field `value` is the metric `m` itself (a remote-write
// sample `name{labels}` is stored as measurement `name`, field `value`). Tags are labels.
// String fields have no PromQL view and are skipped.
//
// `__name__` matchers pick (measurement, field) pairs: an equality matcher tries the few
// pairs its name can come from (the name with field `value`, and each split at `_`), any
// other name matcher enumerates measurements × numeric fields and filters. Every other
// matcher is a tag matcher for the engine's index.
//
// By default every database is one namespace: a series with the same labels in two
// databases is one series (samples merged; on equal times the first database in name
// order wins) and no label names the database. `database` restricts reads to one.
//
// Times: the engine keeps int64 nanoseconds; PromQL wants float milliseconds. The
// conversion floors (a sample at 1.5 ms is at 1 ms) and runs on the two 32-bit halves of
// each timestamp without BigInt (see nsToMs); samples that fall into the same
// millisecond keep the last one.

import type { Database } from '../../engine/database.js';
import { PointLimitError } from '../../engine/read.js';
import { RegexCache, compileRe2, translateRe2 } from '../re2.js';
import type { ColumnValues, TagMatcher } from '../../types.js';
import type { LabelMatcher } from './ast.js';
import type { Labels, RawSeries, SeriesSource, SourceTiers, TierWindows } from './types.js';
import { labelsKeyOf, labelsOf, SeriesLabelsCache } from './seriesLabels.js';
import { readTargetWindows, sourceTiers, type TierWatermarks } from './tierSource.js';

export interface EngineSourceOptions {
  /** Read only this database; by default every database, as one namespace. */
  database?: string;
  /** How far the downsampler has rolled each tier. Given, range functions may read tiers
   * (tiers.ts, tierSource.ts); absent, only raw points are read. */
  watermarks?: TierWatermarks;
  /** The label sets of series read (seriesLabels.ts); sources of one server share one. By
   * default a cache of SERIES_LABELS_ENTRIES of its own. */
  labels?: SeriesLabelsCache;
}

/** Series whose label sets a SeriesLabelsCache keeps by default (~0.9 KB each with 10 tags, ~1.4 KB with the JSON the Prometheus API keeps for it: ~22 MB at most). */
export const SERIES_LABELS_ENTRIES = 16_384;

/** The SeriesSource of the query engine plus what the metadata endpoints need. */
export interface EngineSeriesSource extends SeriesSource {
  /** The databases a query reads (one with `database`, else all, sorted). */
  databases(): string[];
  /**
   * Label names of the series matching any of the matcher sets (every series when there
   * are none), sorted, `__name__` included when there is any series.
   */
  labelNames(matcherSets: LabelMatcher[][], minMs?: number, maxMs?: number): string[];
  /** Values of one label (metric names for `__name__`) over the matching series, sorted. */
  labelValues(name: string, matcherSets: LabelMatcher[][], minMs?: number, maxMs?: number): string[];
  /** Label sets of the series matching any of the matcher sets, sorted, without duplicates. */
  series(matcherSets: LabelMatcher[][], minMs?: number, maxMs?: number): Labels[];
  /** Metric names with their field types (float, integer, unsigned, boolean), sorted by name. */
  metrics(): { name: string; types: string[] }[];
}

/** The PromQL name of field `field` of measurement `measurement`. */
export function metricName(measurement: string, field: string): string {
  return field === 'value' ? measurement : `${measurement}_${field}`;
}

const NUMERIC = new Set(['float', 'integer', 'unsigned', 'boolean']);

/**
 * A label matcher as a test of one value (a missing label is ''), with RE2 regexes: from
 * `regexes` when given, else compiled for this call.
 */
export function matcherTest(m: LabelMatcher, regexes?: RegexCache): (v: string) => boolean {
  switch (m.op) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = regexes ? regexes.get(m.value) : compileRe2(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = regexes ? regexes.get(m.value) : compileRe2(m.value);
      return (v) => !re.test(v);
    }
  }
}

/** Regexes the index's JS engine reads as RE2 does (anchored by it, `.` matching newlines). */
const PLAIN_REGEX = /^[A-Za-z0-9_ .*+?|()\[\]:\/,=@#%&'"<>!~;-]*$/;

function compilesAsJs(source: string): boolean {
  try {
    new RegExp(`^(?:${source})$`, 'su');
    return true;
  } catch {
    return false;
  }
}

/**
 * A PromQL matcher as the index's tag matcher. The index compiles regexes as JavaScript
 * `^(?:re)$` with flags `su`; an RE2 pattern using syntax the two dialects read differently
 * (inline flags, `\d`/`\s`/`\w`, `\Q..\E`, literal braces, `(?P<n>..)`, POSIX classes)
 * goes in translated (re2.ts). Plain patterns go in as written, keeping the index's fast
 * paths (`a|b|c` looks values up; `.*` and `.+` need no values).
 */
export function tagMatcher(m: LabelMatcher): TagMatcher {
  if (m.op !== '=~' && m.op !== '!~') return { key: m.name, op: m.op, value: m.value };
  if (PLAIN_REGEX.test(m.value) && !m.value.includes('(?') && !m.value.includes('[:') && compilesAsJs(m.value)) {
    return { key: m.name, op: m.op, value: m.value };
  }
  let tr = translateRe2(m.value, true);
  // A leading (?i) becomes the JS flag `i`, which the index cannot take: written after an
  // empty group it is translated into case classes instead.
  if (tr.flags.includes('i')) tr = translateRe2(`(?:)${m.value}`, true);
  return { key: m.name, op: m.op, value: tr.source };
}

/** One (measurement, field) a name matcher selected. */
interface Target {
  measurement: string;
  fields: string[];
  /** Metric name by field. */
  names: string[];
}

export function engineSource(db: Database, opts: EngineSourceOptions = {}): EngineSeriesSource {
  const only = opts.database;
  const regexes = new RegexCache(1000);
  const labelCache = opts.labels ?? new SeriesLabelsCache(SERIES_LABELS_ENTRIES);

  function databases(): string[] {
    if (only !== undefined) return db.hasDatabase(only) ? [only] : [];
    return db.databases().slice().sort();
  }

  /** The measurements × numeric fields of `name` whose metric name passes the name matchers. */
  function targets(name: string, nameMatchers: LabelMatcher[]): Target[] {
    const tests = nameMatchers.map((m) => matcherTest(m, regexes));
    const accept = (metric: string): boolean => {
      for (const t of tests) if (!t(metric)) return false;
      return true;
    };
    const byMeasurement = new Map<string, Target>();
    const add = (measurement: string, field: string, metric: string): void => {
      let t = byMeasurement.get(measurement);
      if (!t) byMeasurement.set(measurement, (t = { measurement, fields: [], names: [] }));
      if (t.fields.includes(field)) return;
      t.fields.push(field);
      t.names.push(metric);
    };
    const eq = nameMatchers.find((m) => m.op === '=');
    if (eq) {
      // At most one pair per `_` in the name, plus (name, value): no enumeration.
      const metric = eq.value;
      if (metric === '' || !accept(metric)) return [];
      const tryPair = (measurement: string, field: string): void => {
        // A map lookup ({} for an unknown measurement): no listing. Rollup fields of
        // downsampling tiers are not metrics of their own (rawFieldTypes).
        const type = db.rawFieldType(name, measurement, field);
        if (type !== undefined && NUMERIC.has(type) && metricName(measurement, field) === metric) add(measurement, field, metric);
      };
      tryPair(metric, 'value');
      for (let i = metric.indexOf('_'); i >= 0; i = metric.indexOf('_', i + 1)) {
        tryPair(metric.slice(0, i), metric.slice(i + 1));
      }
    } else {
      for (const measurement of db.measurements(name)) {
        const types = db.rawFieldTypes(name, measurement);
        for (const field of Object.keys(types).sort()) {
          if (!NUMERIC.has(types[field])) continue;
          const metric = metricName(measurement, field);
          if (accept(metric)) add(measurement, field, metric);
        }
      }
    }
    return [...byMeasurement.values()];
  }

  /** Splits matchers into name matchers and tag matchers. */
  function split(matchers: readonly LabelMatcher[]): { names: LabelMatcher[]; where: TagMatcher[] } {
    const names: LabelMatcher[] = [];
    const where: TagMatcher[] = [];
    for (const m of matchers) {
      if (m.name === '__name__') names.push(m);
      else where.push(tagMatcher(m));
    }
    return { names, where };
  }

  function select(matchers: LabelMatcher[], minMs: number, maxMs: number, maxPoints?: number): RawSeries[] {
    const { names, where } = split(matchers);
    let points = 0;
    const range = msRange(minMs, maxMs);
    if (range === null) return [];
    // (key, series) in arrival order, then sorted by key; equal keys (the same labels in
    // two databases, or from two measurements) are merged
    const keys: string[] = [];
    const found: RawSeries[] = [];
    for (const name of databases()) {
      for (const t of targets(name, names)) {
        const budget = maxPoints === undefined ? undefined : maxPoints - points;
        const cols = db.selectFloat({ db: name, measurement: t.measurement, field: t.fields, where, startMs: range.startMs, endMs: range.endMs, maxPoints: budget });
        if (maxPoints !== undefined) {
          for (const col of cols) points += col.times.length;
          if (points > maxPoints) throw new PointLimitError(maxPoints);
        }
        for (const col of cols) {
          if (col.error !== undefined || col.times.length === 0) continue;
          const metric = t.names[t.fields.indexOf(col.field)];
          if (metric === undefined) continue;
          const sl = labelCache.get(metric, col.key);
          keys.push(sl.key);
          found.push(rawOf(sl.labels, col.times, col.values));
        }
      }
    }
    const order = Array.from(keys.keys());
    order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    const out: RawSeries[] = [];
    for (let i = 0; i < order.length; i++) {
      const k = order[i];
      // equal keys: merged in arrival order, the first arrival winning on equal times
      if (i > 0 && keys[order[i - 1]] === keys[k]) out[out.length - 1] = mergeRaw(out[out.length - 1], found[k]);
      else out.push(found[k]);
    }
    return out;
  }

  /**
   * Label sets of the series matching one matcher set. With a time range, the series with
   * samples in it (the data is read, so the answer is exact); with none, from the index
   * alone where a measurement has one field, else from the data.
   */
  function seriesOf(matchers: LabelMatcher[], minMs: number, maxMs: number, into: Map<string, Labels>): void {
    const { names, where } = split(matchers);
    const range = nsRange(minMs, maxMs);
    if (range === null) return;
    const bounded = range.start !== undefined || range.end !== undefined;
    const put = (metric: string, tags: Record<string, string>): void => {
      const labels = labelsOf(metric, tags);
      const key = labelsKeyOf(labels);
      if (!into.has(key)) into.set(key, labels);
    };
    for (const name of databases()) {
      for (const t of targets(name, names)) {
        // The index knows series, not which fields each has: it answers alone only when
        // the measurement has a single field.
        if (bounded || Object.keys(db.fieldTypes(name, t.measurement)).length > 1) {
          const cols = db.select({ db: name, measurement: t.measurement, field: t.fields, where, start: range.start, end: range.end });
          for (const col of cols) {
            if (col.error !== undefined || col.type === 'string' || col.times.length === 0) continue;
            const metric = t.names[t.fields.indexOf(col.field)];
            if (metric !== undefined) put(metric, col.tags);
          }
        } else {
          for (const s of db.series(name, t.measurement, where)) for (const metric of t.names) put(metric, s.tags);
        }
      }
    }
  }

  function series(matcherSets: LabelMatcher[][], minMs = -Infinity, maxMs = Infinity): Labels[] {
    const found = new Map<string, Labels>();
    for (const set of matcherSets) seriesOf(set, minMs, maxMs, found);
    return [...found.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  }

  function labelNames(matcherSets: LabelMatcher[][], minMs?: number, maxMs?: number): string[] {
    const out = new Set<string>();
    if (matcherSets.length === 0) {
      for (const name of databases()) {
        for (const m of db.measurements(name)) {
          if (!Object.values(db.fieldTypes(name, m)).some((t) => NUMERIC.has(t))) continue;
          out.add('__name__');
          for (const k of db.tagKeys(name, m)) out.add(k);
        }
      }
    } else {
      for (const l of series(matcherSets, minMs, maxMs)) for (const k of Object.keys(l)) out.add(k);
    }
    return sortStrings([...out]);
  }

  function labelValues(label: string, matcherSets: LabelMatcher[][], minMs?: number, maxMs?: number): string[] {
    const out = new Set<string>();
    if (matcherSets.length === 0) {
      if (label === '__name__') for (const m of metrics()) out.add(m.name);
      else {
        for (const name of databases()) {
          for (const m of db.measurements(name)) {
            if (!Object.values(db.fieldTypes(name, m)).some((t) => NUMERIC.has(t))) continue;
            for (const v of db.tagValues(name, m, label)) out.add(v);
          }
        }
      }
    } else {
      for (const l of series(matcherSets, minMs, maxMs)) {
        const v = l[label];
        if (v !== undefined && v !== '') out.add(v);
      }
    }
    return sortStrings([...out]);
  }

  function metrics(): { name: string; types: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const name of databases()) {
      for (const m of db.measurements(name)) {
        const types = db.rawFieldTypes(name, m);
        for (const f of Object.keys(types)) {
          if (!NUMERIC.has(types[f])) continue;
          const metric = metricName(m, f);
          let s = out.get(metric);
          if (!s) out.set(metric, (s = new Set()));
          s.add(types[f]);
        }
      }
    }
    return sortStrings([...out.keys()]).map((name) => ({ name, types: [...out.get(name)!].sort() }));
  }

  function tiers(matchers: LabelMatcher[]): SourceTiers | null {
    // no database with tiers on its default policy (the usual case): nothing can answer, and
    // finding the targets would cost as much as the raw read of a small query
    const names = databases();
    if (!names.some((name) => db.tiersOf(name).length > 0)) return null;
    const { names: metricNames } = split(matchers);
    return sourceTiers(db, names.map((name) => ({ name, targets: targets(name, metricNames) })));
  }

  function selectWindows(matchers: LabelMatcher[], minMs: number, maxMs: number, resolutionMs: number): TierWindows | null {
    const watermarks = opts.watermarks;
    if (watermarks === undefined || !Number.isInteger(minMs) || !Number.isInteger(maxMs) || !(maxMs > minMs)) return null;
    const { names, where } = split(matchers);
    const resolution = BigInt(resolutionMs) * 1_000_000n;
    const start = BigInt(minMs) * 1_000_000n;
    const end = BigInt(maxMs) * 1_000_000n;
    const keys = new Map<string, number>();
    const series: TierWindows['series'] = [];
    const used = new Set<string>();
    for (const name of databases()) {
      for (const t of targets(name, names)) {
        const read = readTargetWindows(db, watermarks, name, t, where, start, end, resolution);
        if (read === null) return null;
        used.add(read.tier);
        for (const fw of read.found) {
          if (fw.windows.start.length === 0) continue;
          const metric = t.names[t.fields.indexOf(fw.field)];
          if (metric === undefined) continue;
          const labels = labelsOf(metric, fw.tags);
          const key = labelsKeyOf(labels);
          // The same labels twice (two databases): merging windows is not worth it here.
          if (keys.has(key)) return null;
          keys.set(key, series.length);
          series.push({ labels, windows: fw.windows });
        }
      }
    }
    const order = [...keys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { series: order.map(([, i]) => series[i]), tiers: [...used].sort() };
  }

  return {
    select,
    ...(opts.watermarks !== undefined ? { tiers, selectWindows } : {}),
    databases,
    labelNames,
    labelValues,
    series,
    metrics,
  };
}

/** Byte-order (UTF-8 code point) sort, as Go sorts strings. */
function sortStrings(a: string[]): string[] {
  return a.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** The first and last whole ms that int64 ns times fall into (floor(±2^63 / 1e6)). */
const FIRST_MS = -9_223_372_036_855;
const LAST_MS = 9_223_372_036_854;

/** The engine's [start, end) in ns for the closed interval [minMs, maxMs] of floored ms
 * times (undefined bounds are open); null when no int64 time falls into it. */
export function nsRange(minMs: number, maxMs: number): { start?: bigint; end?: bigint } | null {
  if (Number.isNaN(minMs) || Number.isNaN(maxMs)) return null;
  const lo = Math.ceil(minMs);
  const hi = Math.floor(maxMs);
  if (lo > hi || lo > LAST_MS || hi < FIRST_MS) return null;
  return {
    start: lo <= FIRST_MS ? undefined : BigInt(lo) * 1_000_000n,
    end: hi >= LAST_MS ? undefined : BigInt(hi + 1) * 1_000_000n,
  };
}

const TWO32 = 4294967296;

/**
 * floor(t / 1e6) for each int64 ns time t, as float ms, without BigInt. With t = hi·2^32 + lo
 * (hi signed, lo unsigned) and 2^32 = 4294·1e6 + 967296:
 *   floor(t / 1e6) = hi·4294 + floor((hi·967296 + lo) / 1e6)
 * where |hi·967296 + lo| < 2^52 is exact; the quotient (by a multiplication, off by at
 * most one) is corrected through the remainder. Node 20, 1M samples: ~4-5 ms, against
 * ~20-25 ms for a BigInt division per sample.
 */
export function nsToMs(times: BigInt64Array): Float64Array {
  const n = times.length;
  const w = new Uint32Array(times.buffer, times.byteOffset, n * 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1] | 0;
    const x = hi * 967296 + w[2 * i];
    let q = Math.floor(x * 1e-6);
    const r = x - q * 1e6;
    if (r < 0) q -= 1;
    else if (r >= 1e6) q += 1;
    out[i] = hi * 4294 + q;
  }
  return out;
}

/** The values of a numeric column as float64 (int64 and uint64 rounded to nearest, as Number()). */
export function valuesToFloat(type: string, values: ColumnValues): Float64Array {
  if (values instanceof Float64Array) return new Float64Array(values);
  if (values instanceof Uint8Array) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
    return out;
  }
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const n = values.length;
    const out = new Float64Array(n);
    if (values instanceof BigInt64Array) {
      const w = new Int32Array(values.buffer, values.byteOffset, n * 2);
      for (let i = 0; i < n; i++) out[i] = w[2 * i + 1] * TWO32 + (w[2 * i] >>> 0);
    } else {
      const w = new Uint32Array(values.buffer, values.byteOffset, n * 2);
      for (let i = 0; i < n; i++) out[i] = w[2 * i + 1] * TWO32 + w[2 * i];
    }
    return out;
  }
  throw new Error(`a ${type} column has no PromQL value`);
}

/** The closed interval [minMs, maxMs] of floored ms times as selectFloat's whole-ms
 * [startMs, endMs) (open ends where nsRange has them); null when no int64 time falls in it. */
export function msRange(minMs: number, maxMs: number): { startMs?: number; endMs?: number } | null {
  if (Number.isNaN(minMs) || Number.isNaN(maxMs)) return null;
  const lo = Math.ceil(minMs);
  const hi = Math.floor(maxMs);
  if (lo > hi || lo > LAST_MS || hi < FIRST_MS) return null;
  return { startMs: lo <= FIRST_MS ? undefined : lo, endMs: hi >= LAST_MS ? undefined : hi + 1 };
}

/** ms times and float values as a RawSeries (a millisecond with several samples keeps the
 * last); the arrays are the caller's to give away. */
function rawOf(labels: Labels, times: Float64Array, values: Float64Array): RawSeries {
  let dup = false;
  for (let i = 1; i < times.length; i++) {
    if (times[i] === times[i - 1]) {
      dup = true;
      break;
    }
  }
  if (dup) {
    let n = 0;
    for (let i = 0; i < times.length; i++) {
      if (n > 0 && times[n - 1] === times[i]) n--;
      times[n] = times[i];
      values[n] = values[i];
      n++;
    }
    times = times.slice(0, n);
    values = values.slice(0, n);
  }
  return { labels, times, values };
}

/** Union of two series' samples, times ascending; on equal times `a` wins. */
export function mergeRaw(a: RawSeries, b: RawSeries): RawSeries {
  const na = a.times.length;
  const nb = b.times.length;
  if (nb === 0) return a;
  if (na === 0) return { labels: a.labels, times: b.times, values: b.values };
  const times = new Float64Array(na + nb);
  const values = new Float64Array(na + nb);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < na && j < nb) {
    const ta = a.times[i];
    const tb = b.times[j];
    if (ta < tb) {
      times[n] = ta;
      values[n++] = a.values[i++];
    } else if (tb < ta) {
      times[n] = tb;
      values[n++] = b.values[j++];
    } else {
      times[n] = ta;
      values[n++] = a.values[i++];
      j++;
    }
  }
  while (i < na) {
    times[n] = a.times[i];
    values[n++] = a.values[i++];
  }
  while (j < nb) {
    times[n] = b.times[j];
    values[n++] = b.values[j++];
  }
  return { labels: a.labels, times: n === na + nb ? times : times.slice(0, n), values: n === na + nb ? values : values.slice(0, n) };
}
