// Test data for tier reads (PromQL, InfluxQL and SQL): scratch databases with tiers, raw points of a few series, and their
// rollups written into a tier policy as the downsampler would (line protocol with
// `rollup: true`, one point per window at its start), up to a fake watermark.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { openDatabase, type Database } from '../../../engine/database.js';
import { ROLLUP_AGGS, rollupField, windowsFromPoints, type Windows } from '../../../retention/rollup.js';
import type { TierWatermarks } from '../tierSource.js';

/** ns durations and the day boundary the tier tests start at. */
export const MIN = 60_000_000_000n;
export const HOUR = 60n * MIN;
export const DAY = 24n * HOUR;
export const T0 = 1_700_000_000_000_000_000n - (1_700_000_000_000_000_000n % DAY);
/** The tiers of tieredScratchDb(). */
export const TIERS = [
  { name: 'autogen:1m', resolution: MIN },
  { name: 'autogen:10m', resolution: 10n * MIN },
];

/** Values equal to 1e-9 relative (exact for NaN, ±Inf and zero): tier answers against raw ones. */
export function closeEnough(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

export interface RawSeriesData {
  tags: Record<string, string>;
  /** ns, ascending, unique. */
  times: bigint[];
  values: number[];
}

/** A watermark provider over a map `db\x00tier` → ns. */
export class FakeWatermarks implements TierWatermarks {
  readonly marks = new Map<string, bigint | null>();
  set(db: string, tier: string, w: bigint | null): void {
    this.marks.set(`${db}\x00${tier}`, w);
  }
  watermark(db: string, tier: string): bigint | null {
    return this.marks.get(`${db}\x00${tier}`) ?? null;
  }
}

function tagText(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `,${k}=${tags[k]}`)
    .join('');
}

/** Raw points as line protocol; `integer` writes integer values (`5i`). */
export function rawLines(measurement: string, field: string, series: RawSeriesData[], integer = false): string {
  let out = '';
  for (const s of series) {
    const head = measurement + tagText(s.tags);
    for (let i = 0; i < s.times.length; i++) out += `${head} ${field}=${integer ? `${s.values[i]}i` : String(s.values[i])} ${s.times[i]}\n`;
  }
  return out;
}

/** The rollup points of `w` (windows ending at or before `watermark`) as line protocol. */
export function windowLines(measurement: string, tags: Record<string, string>, field: string, w: Windows, resolution: bigint, watermark: bigint): string {
  let out = '';
  const head = measurement + tagText(tags);
  for (let k = 0; k < w.start.length; k++) {
    if (w.start[k] + resolution > watermark) break;
    const parts: string[] = [];
    for (const a of ROLLUP_AGGS) {
      const name = rollupField(field, a);
      switch (a) {
        case 'count':
          parts.push(`${name}=${w.count[k]}i`);
          break;
        case 'tfirst':
        case 'tlast':
          parts.push(`${name}=${w[a][k]}i`);
          break;
        default:
          parts.push(`${name}=${String(w[a][k])}`);
      }
    }
    out += `${head} ${parts.join(',')} ${w.start[k]}\n`;
  }
  return out;
}

/**
 * Writes `series` raw into `db`'s default policy and their windows of each tier (policy
 * name → resolution ns) up to `watermark` into the tier, recording the watermark.
 */
export async function writeTiered(
  db: Database,
  name: string,
  measurement: string,
  field: string,
  series: RawSeriesData[],
  tiers: { name: string; resolution: bigint }[],
  watermark: bigint,
  marks: FakeWatermarks,
  integer = false,
): Promise<void> {
  await db.write(rawLines(measurement, field, series, integer), { db: name });
  for (const t of tiers) {
    let body = '';
    for (const s of series) {
      const w = windowsFromPoints(BigInt64Array.from(s.times), Float64Array.from(s.values), t.resolution);
      body += windowLines(measurement, s.tags, field, w, t.resolution, watermark);
    }
    if (body !== '') await db.write(body, { db: name, rp: t.name, rollup: true });
    marks.set(name, t.name, watermark);
  }
}

/**
 * Random series of the given hosts starting at `t0` (ns) over `spanMs`, whose points never
 * fall on a minute boundary (where a tier's `[start, end)` windows and PromQL's `(t - r, t]`
 * ranges disagree); float values are multiples of 1/8 so sums are exact in any order.
 */
export function offBoundarySeriesArb(t0: bigint, spanMs: number, integer: boolean, hosts: string[] = ['a', 'b', 'c']): fc.Arbitrary<RawSeriesData[]> {
  const one = (host: string) =>
    fc
      .record({
        gaps: fc.array(fc.integer({ min: 1_000, max: 150_000 }), { minLength: 20, maxLength: 300 }),
        vals: fc.array(integer ? fc.integer({ min: -1000, max: 1000 }) : fc.integer({ min: -8000, max: 8000 }).map((x) => x / 8), { minLength: 300, maxLength: 300 }),
        start: fc.integer({ min: 1, max: 59_999 }),
      })
      .map(({ gaps, vals, start }): RawSeriesData => {
        const times: bigint[] = [];
        const values: number[] = [];
        let t = start;
        for (let i = 0; i < gaps.length && t < spanMs; i++) {
          if (t % 60_000 !== 0) {
            times.push(t0 + BigInt(t) * 1_000_000n);
            values.push(vals[i]);
          }
          t += gaps[i];
        }
        return { tags: { host }, times, values };
      });
  return fc.tuple(...hosts.map(one)).map((x) => x.filter((s) => s.times.length > 0));
}

export interface ScratchDb {
  db: Database;
  dir: string;
  /** Closes the database and removes its directory. */
  close(): Promise<void>;
}

/** A database in a new directory under the OS temp dir, its clock read from `now()`. */
export async function scratchDb(prefix: string, now: () => bigint): Promise<ScratchDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const db = await openDatabase({ dataDir: dir, fsync: 'off', retentionCheckMs: 0, now });
  return {
    db,
    dir,
    close: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** scratchDb() with database `d` whose default policy has tiers of 1 and 10 minutes, kept forever. */
export async function tieredScratchDb(prefix: string, now: () => bigint): Promise<ScratchDb> {
  const s = await scratchDb(prefix, now);
  await s.db.createDatabase('d');
  await s.db.setTiers('d', 'autogen', TIERS.map((t) => ({ resolution: t.resolution, duration: 0n })));
  return s;
}
