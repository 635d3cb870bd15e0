// What the PromQL evaluator reads from and what it returns. The evaluator knows nothing of
// databases or files: it asks a SeriesSource for raw samples and gets typed arrays back.

import type { LabelMatcher } from './ast.js';
import type { Windows } from '../../retention/rollup.js';

/** Label name → value, including `__name__` for the metric name. Never holds empty values. */
export type Labels = Record<string, string>;

/** The raw samples of one series, times ascending and unique. */
export interface RawSeries {
  labels: Labels;
  /** Sample times, ms since the epoch. */
  times: Float64Array;
  /** Sample values; a Prometheus stale marker is the NaN with bits 0x7ff0000000000002. */
  values: Float64Array;
}

/** Where the evaluator gets data: the engine adapter, or an in-memory store in tests. */
export interface SeriesSource {
  /**
   * Series whose labels satisfy every matcher (a matcher on a label a series lacks compares
   * against ''), with their samples in the closed interval [minMs, maxMs]. With
   * `maxPoints`, a source may stop reading once it has read more points than that and throw
   * PointLimitError (remote read's sample limit; points counted as read, before series with
   * equal labels are merged).
   */
  select(matchers: LabelMatcher[], minMs: number, maxMs: number, maxPoints?: number): RawSeries[];
  /**
   * Optional: the downsampling tiers every database holding the selected metrics has
   * (null: none, or not all of them), for reading rollups instead of raw points (tiers.ts).
   */
  tiers?(matchers: LabelMatcher[]): SourceTiers | null;
  /**
   * Optional, with tiers(): the windows of `resolutionMs` (one of tiers()') of the selected
   * series that start in [minMs, maxMs), rolled up where the downsampler has reached and
   * computed from raw points after that; null when they cannot be read (the evaluator then
   * reads raw points).
   */
  selectWindows?(matchers: LabelMatcher[], minMs: number, maxMs: number, resolutionMs: number): TierWindows | null;
}

/** What SeriesSource.tiers() reports. */
export interface SourceTiers {
  /** Tier resolutions in ms, coarsest first. */
  resolutionsMs: number[];
  /** The shortest raw retention of those databases, ms (Infinity: raw kept forever). */
  rawRetentionMs: number;
}

/** Per-window aggregates of the selected series (Windows' times are ns). */
export interface TierWindows {
  series: { labels: Labels; windows: Windows }[];
  /** The tier policies read, e.g. `autogen:1m`. */
  tiers: string[];
}

export interface EngineOptions {
  /** Instant-selector lookback, ms; Prometheus's default is 5 minutes. */
  lookbackMs?: number;
  /** Most samples a query may hold in memory at once (Prometheus: 50,000,000). */
  maxSamples?: number;
  /** Most series a query's selectors may load in all; 0 or absent: no limit (Prometheus has none). */
  maxSeries?: number;
  /** Query time limit, ms (Prometheus: 2 minutes). */
  timeoutMs?: number;
  /** Wall clock, ms; tests pass a fixed one. */
  now?: () => number;
}

export interface Sample {
  labels: Labels;
  t: number;
  v: number;
}

export interface Series {
  labels: Labels;
  /** Times in ms, ascending. */
  times: number[];
  values: number[];
}

export type QueryResult =
  | { resultType: 'scalar'; t: number; v: number }
  | { resultType: 'string'; t: number; v: string }
  | { resultType: 'vector'; samples: Sample[] }
  | { resultType: 'matrix'; series: Series[] };

export interface QueryOutput {
  result: QueryResult;
  /** Annotations as Prometheus gives them (e.g. "PromQL info: metric might not be a counter"). */
  warnings: string[];
  infos: string[];
  /** Samples touched, for stats and limits. */
  samples: number;
  /** The downsampling tiers that answered part of the query (tiers.ts); absent: none. */
  tiers?: string[];
}

/**
 * A failed query, with Prometheus's errorType: `bad_data` (parse and type errors, bad
 * parameters), `execution` (evaluation errors such as duplicate series), `timeout`,
 * `canceled`, `internal`. The HTTP layer maps bad_data to 400, execution to 422,
 * timeout to 503.
 */
export class PromQLError extends Error {
  readonly errorType: 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal';
  constructor(errorType: PromQLError['errorType'], message: string) {
    super(message);
    this.name = 'PromQLError';
    this.errorType = errorType;
  }
}

/** The bits of Prometheus's stale marker NaN (value.StaleNaN). */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

const staleBuf = new Float64Array(1);
const staleWords = new Uint32Array(staleBuf.buffer);
staleWords[0] = STALE_NAN_LO;
staleWords[1] = STALE_NAN_HI;
/** The stale marker as a number (its NaN payload survives Float64Array stores). */
export const STALE_NAN = staleBuf[0];

/** True when the value at index i of `a` is a stale marker (compares the bits). */
export function isStaleAt(words: Uint32Array, i: number): boolean {
  return words[2 * i] === STALE_NAN_LO && words[2 * i + 1] === STALE_NAN_HI;
}
