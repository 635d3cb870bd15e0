// Every PromQL function with its argument and return types, as in Prometheus 3's
// promql/parser/functions.go. `variadic` has Prometheus's meaning: 0 = fixed arity,
// -1 = any number of extra arguments of the last type, n > 0 = the last argument type
// may be omitted or repeated up to n times (so between argTypes.length - 1 and
// argTypes.length - 1 + n arguments).

import type { ValueType } from './ast.js';

export interface FunctionSignature {
  argTypes: ValueType[];
  variadic: number;
  returnType: ValueType;
  /** Behind Prometheus's `promql-experimental-functions` feature flag. */
  experimental?: boolean;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

function f(argTypes: ValueType[], returnType: ValueType, variadic = 0, experimental = false): FunctionSignature {
  const sig: FunctionSignature = { argTypes, variadic, returnType };
  if (experimental) sig.experimental = true;
  return sig;
}

export const FUNCTIONS: Record<string, FunctionSignature> = {
  abs: f([V], V),
  absent: f([V], V),
  absent_over_time: f([M], V),
  acos: f([V], V),
  acosh: f([V], V),
  asin: f([V], V),
  asinh: f([V], V),
  atan: f([V], V),
  atanh: f([V], V),
  avg_over_time: f([M], V),
  ceil: f([V], V),
  changes: f([M], V),
  clamp: f([V, S, S], V),
  clamp_max: f([V, S], V),
  clamp_min: f([V, S], V),
  cos: f([V], V),
  cosh: f([V], V),
  count_over_time: f([M], V),
  days_in_month: f([V], V, 1),
  day_of_month: f([V], V, 1),
  day_of_week: f([V], V, 1),
  day_of_year: f([V], V, 1),
  deg: f([V], V),
  end: f([], S, 0, true),
  delta: f([M], V),
  deriv: f([M], V),
  exp: f([V], V),
  first_over_time: f([M], V, 0, true),
  floor: f([V], V),
  histogram_avg: f([V], V),
  histogram_count: f([V], V),
  histogram_sum: f([V], V),
  histogram_stddev: f([V], V),
  histogram_stdvar: f([V], V),
  histogram_fraction: f([S, S, V], V),
  histogram_quantile: f([S, V], V),
  histogram_quantiles: f([V, STR, S, S], V, 9, true),
  double_exponential_smoothing: f([M, S, S], V, 0, true),
  hour: f([V], V, 1),
  idelta: f([M], V),
  increase: f([M], V),
  info: f([V, V], V, 1, true),
  integral: f([M, S], V, 1, true),
  irate: f([M], V),
  label_replace: f([V, STR, STR, STR, STR], V),
  label_join: f([V, STR, STR, STR], V, -1),
  last_over_time: f([M], V),
  ln: f([V], V),
  log10: f([V], V),
  log2: f([V], V),
  mad_over_time: f([M], V, 0, true),
  max_over_time: f([M], V),
  min_over_time: f([M], V),
  ts_of_first_over_time: f([M], V, 0, true),
  ts_of_max_over_time: f([M], V, 0, true),
  ts_of_min_over_time: f([M], V, 0, true),
  ts_of_last_over_time: f([M], V, 0, true),
  // min_of/max_of/start_timestamp are in Prometheus 3.14 (used by its conformance
  // tests) but newer than the functions.go copy this table was transcribed from.
  min_of: f([S, S], S, 0, true),
  max_of: f([S, S], S, 0, true),
  minute: f([V], V, 1),
  month: f([V], V, 1),
  pi: f([], S),
  predict_linear: f([M, S], V),
  present_over_time: f([M], V),
  quantile_over_time: f([S, M], V),
  rad: f([V], V),
  range: f([], S, 0, true),
  rate: f([M], V),
  resets: f([M], V),
  round: f([V, S], V, 1),
  scalar: f([V], S),
  sgn: f([V], V),
  sin: f([V], V),
  sinh: f([V], V),
  sort: f([V], V),
  sort_desc: f([V], V),
  sort_by_label: f([V, STR], V, -1, true),
  sort_by_label_desc: f([V, STR], V, -1, true),
  sqrt: f([V], V),
  start: f([], S, 0, true),
  step: f([], S, 0, true),
  stddev_over_time: f([M], V),
  stdvar_over_time: f([M], V),
  start_timestamp: f([V], V, 0, true),
  sum_over_time: f([M], V),
  tan: f([V], V),
  tanh: f([V], V),
  time: f([], S),
  timestamp: f([V], V),
  vector: f([S], V),
  year: f([V], V, 1),
};

/** Looks a function up by its exact (case-sensitive) name. */
export function getFunction(name: string): FunctionSignature | undefined {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}
