// Label-set helpers for the PromQL evaluator: canonical keys, comparison, formatting.

import type { Labels } from './types.js';

/** A canonical string for a label set (names sorted); equal sets give equal keys. */
export function labelsKey(l: Labels): string {
  const names = Object.keys(l).sort();
  let s = '';
  for (const n of names) s += n + '\xff' + l[n] + '\xfe';
  return s;
}

/**
 * labelsKey remembered per label-set object, for one query (the evaluator asks again for
 * the same objects at every step). The label sets must not change while it is in use.
 */
export class LabelsKeyCache {
  private readonly keys = new WeakMap<Labels, string>();

  get(l: Labels): string {
    let k = this.keys.get(l);
    if (k === undefined) {
      k = labelsKey(l);
      this.keys.set(l, k);
    }
    return k;
  }
}

/** Key over only the given (sorted) names; absent labels count as ''. */
export function keyForLabels(l: Labels, sortedNames: string[]): string {
  let s = '';
  for (const n of sortedNames) {
    const v = l[n];
    if (v !== undefined && v !== '') s += n + '\xff' + v + '\xfe';
  }
  return s;
}

/** Key over every label except the given names. */
export function keyWithoutLabels(l: Labels, excluded: Set<string>): string {
  const names = Object.keys(l).sort();
  let s = '';
  for (const n of names) if (!excluded.has(n)) s += n + '\xff' + l[n] + '\xfe';
  return s;
}

export function sortedNames(l: Labels): string[] {
  return Object.keys(l).sort();
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Prometheus labels.Compare: label pairs in name order, then length. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = sortedNames(a);
  const bn = sortedNames(b);
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    if (an[i] !== bn[i]) return cmpStr(an[i], bn[i]);
    const c = cmpStr(a[an[i]], b[bn[i]]);
    if (c !== 0) return c;
  }
  return an.length - bn.length;
}

/** `{a="1", b="2"}` like Prometheus's labels.String(). */
export function formatLabels(l: Labels): string {
  const names = sortedNames(l);
  return '{' + names.map((n) => `${n}=${JSON.stringify(l[n])}`).join(', ') + '}';
}

/** Drops the metadata labels `__name__`, `__type__` and `__unit__` (schema.IsMetadataLabel). */
export function dropName(l: Labels): Labels {
  if (l.__name__ === undefined && l.__type__ === undefined && l.__unit__ === undefined) return l;
  const out: Labels = {};
  for (const k in l) if (k !== '__name__' && k !== '__type__' && k !== '__unit__') out[k] = l[k];
  return out;
}

/** Go strconv.FormatFloat(f, 'f', -1, 64). */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!/e/i.test(s)) return s;
  const neg = v < 0;
  const [mant, expS] = String(Math.abs(v)).split('e');
  const exp = Number(expS);
  const [ip, fp = ''] = mant.split('.');
  const digits = ip + fp;
  let pointPos = ip.length + exp;
  let out: string;
  if (pointPos <= 0) out = '0.' + '0'.repeat(-pointPos) + digits;
  else if (pointPos >= digits.length) out = digits + '0'.repeat(pointPos - digits.length);
  else out = digits.slice(0, pointPos) + '.' + digits.slice(pointPos);
  return (neg ? '-' : '') + out;
}

/** Go strconv.ParseFloat(s, 64) acceptance (decimal and special values). */
export function parseGoFloat(s: string): number | undefined {
  const t = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (/^[+-]?(\d+(_\d+)*\.?(\d+(_\d+)*)?|\.\d+(_\d+)*)(e[+-]?\d+)?$/.test(t)) {
    if (t.includes('_')) return undefined;
    return Number(t);
  }
  if (/^[+-]?0x[0-9a-f]*\.?[0-9a-f]*(p[+-]?\d+)?$/.test(t)) {
    const m = /^([+-]?)0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/.exec(t);
    if (!m || (m[2] === '' && m[3] === '')) return undefined;
    let v = parseInt(m[2] || '0', 16);
    for (let i = 0; i < m[3].length; i++) v += parseInt(m[3][i], 16) / 16 ** (i + 1);
    v *= 2 ** Number(m[4] ?? 0);
    return m[1] === '-' ? -v : v;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// xxHash64 of a label set, as Prometheus's labels.Hash() (name 0xff value 0xff ..., names
// sorted). limit_ratio uses it to pick series, so the same series are picked as there.

const U64 = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & U64;
}

function xxRound(acc: bigint, input: bigint): bigint {
  acc = (acc + input * P2) & U64;
  return (rotl(acc, 31n) * P1) & U64;
}

function mergeRound(acc: bigint, val: bigint): bigint {
  acc ^= xxRound(0n, val);
  return (acc * P1 + P4) & U64;
}

function u64le(b: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]);
  return v;
}

function u32le(b: Uint8Array, i: number): bigint {
  return BigInt((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0);
}

export function xxhash64(b: Uint8Array): bigint {
  const n = b.length;
  let i = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (P1 + P2) & U64;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (U64 + 1n - P1) & U64;
    while (i + 32 <= n) {
      v1 = xxRound(v1, u64le(b, i));
      v2 = xxRound(v2, u64le(b, i + 8));
      v3 = xxRound(v3, u64le(b, i + 16));
      v4 = xxRound(v4, u64le(b, i + 24));
      i += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & U64;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(n)) & U64;
  while (i + 8 <= n) {
    h ^= xxRound(0n, u64le(b, i));
    h = (rotl(h, 27n) * P1 + P4) & U64;
    i += 8;
  }
  if (i + 4 <= n) {
    h ^= (u32le(b, i) * P1) & U64;
    h = (rotl(h, 23n) * P2 + P3) & U64;
    i += 4;
  }
  while (i < n) {
    h ^= (BigInt(b[i]) * P5) & U64;
    h = (rotl(h, 11n) * P1) & U64;
    i++;
  }
  h ^= h >> 33n;
  h = (h * P2) & U64;
  h ^= h >> 29n;
  h = (h * P3) & U64;
  h ^= h >> 32n;
  return h;
}

const encoder = new TextEncoder();

/** Prometheus's labels.Hash(). */
export function labelsHash(l: Labels): bigint {
  const parts: number[] = [];
  for (const n of sortedNames(l)) {
    for (const x of encoder.encode(n)) parts.push(x);
    parts.push(0xff);
    for (const x of encoder.encode(l[n])) parts.push(x);
    parts.push(0xff);
  }
  return xxhash64(Uint8Array.from(parts));
}
