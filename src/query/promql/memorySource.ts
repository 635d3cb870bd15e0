// An in-memory SeriesSource for tests and the conformance runner.

import type { LabelMatcher } from './ast.js';
import { STALE_NAN_HI, STALE_NAN_LO, isStaleAt, type Labels, type RawSeries, type SeriesSource } from './types.js';
import { labelsKey } from './labels.js';
import { RegexCache } from '../re2.js';

const SLO = STALE_NAN_LO;
const SHI = STALE_NAN_HI;

interface Stored {
  labels: Labels;
  times: number[];
  values: number[];
  /** Stale markers, kept apart: V8 may canonicalise NaN payloads in plain arrays. */
  stale: boolean[];
  sorted: boolean;
  /** Typed copies for select(), rebuilt after a change; select returns views of them. */
  ft: Float64Array | null;
  fv: Float64Array | null;
}

export class MemorySource implements SeriesSource {
  private series = new Map<string, Stored>();
  private regexes = new RegexCache(1000);

  /**
   * Adds samples to a series (created if new). Later samples at an existing time overwrite.
   * Pass a Float64Array to carry stale markers (their NaN bits are read from the array).
   */
  add(labels: Labels, times: ArrayLike<number>, values: ArrayLike<number>): void {
    const clean: Labels = {};
    for (const k of Object.keys(labels)) if (labels[k] !== '') clean[k] = labels[k];
    const key = labelsKey(clean);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: clean, times: [], values: [], stale: [], sorted: true, ft: null, fv: null };
      this.series.set(key, s);
    }
    s.ft = null;
    s.fv = null;
    const words =
      values instanceof Float64Array ? new Uint32Array(values.buffer, values.byteOffset, values.length * 2) : null;
    for (let i = 0; i < times.length; i++) {
      const n = s.times.length;
      s.stale.push(words !== null && isStaleAt(words, i));
      if (n > 0 && s.times[n - 1] >= times[i]) s.sorted = false;
      s.times.push(times[i]);
      s.values.push(values[i]);
    }
  }

  clear(): void {
    this.series.clear();
  }

  get size(): number {
    return this.series.size;
  }

  private normalize(s: Stored): void {
    if (s.sorted) return;
    const idx = s.times.map((_, i) => i);
    // Stable sort by time; the last written value wins on equal times.
    idx.sort((a, b) => s.times[a] - s.times[b] || a - b);
    const t: number[] = [];
    const v: number[] = [];
    const st: boolean[] = [];
    for (const i of idx) {
      if (t.length > 0 && t[t.length - 1] === s.times[i]) {
        v[v.length - 1] = s.values[i];
        st[st.length - 1] = s.stale[i];
      } else {
        t.push(s.times[i]);
        v.push(s.values[i]);
        st.push(s.stale[i]);
      }
    }
    s.times = t;
    s.values = v;
    s.stale = st;
    s.sorted = true;
  }

  private matches(l: Labels, m: LabelMatcher): boolean {
    const v = l[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return this.regexes.get(m.value).test(v);
      case '!~':
        return !this.regexes.get(m.value).test(v);
    }
  }

  select(matchers: LabelMatcher[], minMs: number, maxMs: number): RawSeries[] {
    const out: RawSeries[] = [];
    for (const s of this.series.values()) {
      let ok = true;
      for (const m of matchers) {
        if (!this.matches(s.labels, m)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      this.normalize(s);
      if (s.ft === null || s.fv === null) {
        const n = s.times.length;
        s.ft = Float64Array.from(s.times);
        s.fv = new Float64Array(n);
        const words = new Uint32Array(s.fv.buffer);
        for (let i = 0; i < n; i++) {
          if (s.stale[i]) {
            words[2 * i] = SLO;
            words[2 * i + 1] = SHI;
          } else s.fv[i] = s.values[i];
        }
      }
      const ft = s.ft;
      // first index with t >= minMs, then first with t > maxMs
      let a = 0;
      let b = ft.length;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (ft[mid] < minMs) a = mid + 1;
        else b = mid;
      }
      const lo = a;
      b = ft.length;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (ft[mid] <= maxMs) a = mid + 1;
        else b = mid;
      }
      const hi = a;
      const times = ft.subarray(lo, hi);
      const values = s.fv.subarray(lo, hi);
      out.push({ labels: s.labels, times, values });
    }
    return out;
  }
}
