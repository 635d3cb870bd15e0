// PromQL queries: parse, evaluate, shape the result like Prometheus's API.

import { PromQLParseError, type Expr } from './ast.js';
import { PromQLError, type EngineOptions, type QueryOutput, type SeriesSource } from './types.js';
import { exprType, parseExpr } from './parser.js';
import { Evaluator, mergeSameLabelset, type EvalContext, type Matrix } from './evaluator.js';
import { LabelsKeyCache, compareLabels, dropName } from './labels.js';
import { RegexCache } from '../re2.js';

export interface PromQLEngineOptions extends EngineOptions {
  /** Step of subqueries without an explicit one (`x[5m:]`); Prometheus's default evaluation interval, 1m. */
  defaultSubqueryStepMs?: number;
}

const DEFAULTS = {
  lookbackMs: 5 * 60 * 1000,
  maxSamples: 50_000_000,
  timeoutMs: 2 * 60 * 1000,
};

function parse(query: string): Expr {
  try {
    return parseExpr(query);
  } catch (err) {
    if (err instanceof PromQLParseError) throw new PromQLError('bad_data', err.message);
    if (err instanceof PromQLError) throw err;
    throw new PromQLError('bad_data', err instanceof Error ? err.message : String(err));
  }
}

function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

function makeContext(
  src: SeriesSource,
  start: number,
  end: number,
  step: number,
  opts: PromQLEngineOptions,
): EvalContext {
  const now = opts.now ?? Date.now;
  return {
    src,
    lookback: opts.lookbackMs ?? DEFAULTS.lookbackMs,
    maxSamples: opts.maxSamples ?? DEFAULTS.maxSamples,
    maxSeries: opts.maxSeries ?? 0,
    seriesLoaded: 0,
    deadline: now() + (opts.timeoutMs ?? DEFAULTS.timeoutMs),
    now,
    queryStart: start,
    queryEnd: end,
    queryStep: step,
    defaultStep: opts.defaultSubqueryStepMs ?? 60_000,
    warnings: new Set(),
    infos: new Set(),
    cur: 0,
    peak: 0,
    loaded: 0,
    tick: 0,
    regexes: new RegexCache(1000),
    sampleOffsets: new WeakMap(),
    labelKeys: new LabelsKeyCache(),
    // every property from the start, tier reads or not: one object shape for V8 (see
    // src/server/warmup.ts)
    tiers: undefined,
  };
}

/** Applies delayed `__name__` removal and checks for duplicate series. */
function cleanup(mat: Matrix): Matrix {
  for (const s of mat) {
    if (s.dropName) {
      s.labels = dropName(s.labels);
      s.dropName = false;
    }
  }
  return mergeSameLabelset(mat);
}

function wrapError(err: unknown): never {
  if (err instanceof PromQLError) throw err;
  if (err instanceof PromQLParseError) throw new PromQLError('bad_data', err.message);
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    throw new PromQLError('execution', 'query is too deeply nested');
  }
  throw new PromQLError('internal', err instanceof Error ? err.message : String(err));
}

function output(ctx: EvalContext, result: QueryOutput['result']): QueryOutput {
  const tiers = ctx.tiers !== undefined && ctx.tiers.size > 0 ? [...ctx.tiers].sort() : undefined;
  return { result, warnings: [...ctx.warnings], infos: [...ctx.infos], samples: ctx.loaded, tiers };
}

/** Evaluates `query` at one instant. */
export function instantQuery(
  src: SeriesSource,
  query: string,
  timeMs: number,
  opts: PromQLEngineOptions = {},
): QueryOutput {
  return instantQueryExpr(src, parse(query), timeMs, opts);
}

/** instantQuery for an already parsed (and type-checked) expression. */
export function instantQueryExpr(
  src: SeriesSource,
  expr: Expr,
  timeMs: number,
  opts: PromQLEngineOptions = {},
): QueryOutput {
  const type = exprType(expr);
  const ctx = makeContext(src, timeMs, timeMs, 0, opts);
  const u = unwrapParens(expr);
  if (u.type === 'StringLiteral') return output(ctx, { resultType: 'string', t: timeMs, v: u.value });
  try {
    const ev = new Evaluator(ctx, timeMs, timeMs, 1);
    const mat = cleanup(ev.eval(expr));
    if (type === 'scalar') {
      const v = mat.length > 0 && mat[0].vs.length > 0 ? mat[0].vs[0] : NaN;
      return output(ctx, { resultType: 'scalar', t: timeMs, v });
    }
    if (type === 'matrix') {
      return output(ctx, {
        resultType: 'matrix',
        series: mat.map((s) => ({ labels: s.labels, times: s.ts, values: s.vs })),
      });
    }
    return output(ctx, {
      resultType: 'vector',
      samples: mat.filter((s) => s.vs.length > 0).map((s) => ({ labels: s.labels, t: timeMs, v: s.vs[0] })),
    });
  } catch (err) {
    wrapError(err);
  }
}

/** Evaluates `query` at start, start+step, ... up to end. The result is always a matrix. */
export function rangeQuery(
  src: SeriesSource,
  query: string,
  startMs: number,
  endMs: number,
  stepMs: number,
  opts: PromQLEngineOptions = {},
): QueryOutput {
  if (!(stepMs > 0)) {
    throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
  }
  if (endMs < startMs) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
  const expr = parse(query);
  const type = exprType(expr);
  if (type !== 'scalar' && type !== 'vector') {
    const name = type === 'matrix' ? 'range vector' : 'string';
    throw new PromQLError(
      'bad_data',
      `invalid expression type "${name}" for range query, must be Scalar or instant Vector`,
    );
  }
  const ctx = makeContext(src, startMs, endMs, stepMs, opts);
  try {
    const ev = new Evaluator(ctx, startMs, endMs, stepMs);
    const mat = cleanup(ev.eval(expr)).filter((s) => s.ts.length > 0);
    mat.sort((a, b) => compareLabels(a.labels, b.labels));
    return output(ctx, {
      resultType: 'matrix',
      series: mat.map((s) => ({ labels: s.labels, times: s.ts, values: s.vs })),
    });
  } catch (err) {
    wrapError(err);
  }
}
