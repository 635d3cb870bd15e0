// WAL records -> what an upstream receives: decodes the engine's record types
// (src/engine/records.ts) and groups their points by target URL, in WAL order, as line
// protocol or remote-write samples. Delete records are not forwarded (an upstream keeps
// what it was sent; see docs/forwarding.md), nor writes into downsampling tiers (the
// upstream computes its own rollups from the raw points) — except, with edge rollups
// (forwardRollup.ts), the chosen tier's points of the chosen measurements, which are sent
// in place of those measurements' raw points.

import type { PointBatch } from '../ingest/batch.js';
import { LineProtocolParser } from '../ingest/lineprotocol.js';
import {
  decodeLineProtocolRecord,
  decodePointBatchRecord,
  RECORD_DELETE,
  RECORD_LINE_PROTOCOL,
  RECORD_POINT_BATCH,
} from '../engine/records.js';
import type { WalRecord } from '../wal/wal.js';
import { rollupPoints, withoutRollupMeasurements, type RollupPlan } from './forwardRollup.js';
import { batchToLines, batchToSamples, newSamples, targetUrl, type Samples, type UpstreamKind } from './upstream.js';

/** The points of one target URL in a batch. */
export interface Group {
  url: string;
  /** Line protocol kinds: one line per point (no newline). */
  lines: string[];
  /** remote-write: the samples. */
  samples: Samples;
  index: Map<string, Map<string, number>>;
}

export interface Decoded {
  groups: Map<string, Group>;
  /** Points read (forwarded or not representable). */
  points: number;
  /** Field values the upstream cannot take (NaN/Inf in line protocol, strings in remote write). */
  unrepresentable: number;
  deletes: number;
  /** Records of databases not forwarded, of tiers, or of an unknown type. */
  ignored: number;
  /** Edge rollups: raw points of the rollup measurements, not sent. */
  rawKeptLocal: number;
  /** Edge rollups: rollup points sent (also counted in `points`). */
  rollupPoints: number;
  /** Edge rollups: databases whose raw points were kept local though they lack the tier. */
  noRollupTier: Set<string>;
}

export interface DecodeOptions {
  kind: UpstreamKind;
  url: string;
  /** Local databases to forward (null: all). */
  databases: Set<string> | null;
  parser: LineProtocolParser;
  /** True for a downsampling tier's retention policy (not forwarded). */
  isTier: (db: string, rp: string) => boolean;
  /** Edge rollups (absent or null: none). */
  rollup?: RollupPlan | null;
}

/** Decodes one record: its database, retention policy and points (null for other types). */
export function decodeRecord(rec: WalRecord, parser: LineProtocolParser): { db: string; rp: string; batch: PointBatch } | null {
  if (rec.type === RECORD_LINE_PROTOCOL) {
    const r = decodeLineProtocolRecord(rec.payload);
    return { db: r.db, rp: r.rp, batch: parser.parse(r.body, { precision: r.precision, defaultTime: r.defaultTime }) };
  }
  if (rec.type === RECORD_POINT_BATCH) return decodePointBatchRecord(rec.payload);
  return null;
}

export function decodeRecords(records: readonly WalRecord[], o: DecodeOptions): Decoded {
  const out: Decoded = { groups: new Map(), points: 0, unrepresentable: 0, deletes: 0, ignored: 0, rawKeptLocal: 0, rollupPoints: 0, noRollupTier: new Set() };
  const plan = o.rollup ?? null;
  for (const rec of records) {
    if (rec.type === RECORD_DELETE) {
      out.deletes++;
      continue;
    }
    const d = decodeRecord(rec, o.parser);
    if (d === null || (o.databases !== null && !o.databases.has(d.db))) {
      out.ignored++;
      continue;
    }
    let batch: PointBatch | null = d.batch;
    let rp = d.rp;
    if (o.isTier(d.db, d.rp)) {
      if (plan === null || d.rp !== plan.tier) {
        out.ignored++;
        continue;
      }
      // The rollup tier: its points of the rollup measurements go upstream as points of
      // the parent policy (the upstream has no tier of that name, nor needs one).
      batch = rollupPoints(plan, batch);
      rp = plan.parentRp;
      out.rollupPoints += batch.count;
    } else if (plan !== null) {
      const r = withoutRollupMeasurements(plan, batch);
      batch = r.batch;
      out.rawKeptLocal += r.withheld;
      if (r.withheld > 0 && !o.isTier(d.db, plan.tier)) out.noRollupTier.add(d.db);
    }
    if (batch === null || batch.count === 0) {
      out.ignored++;
      continue;
    }
    const url = targetUrl(o.url, d.db, rp);
    let g = out.groups.get(url);
    if (!g) out.groups.set(url, (g = { url, lines: [], samples: newSamples(), index: new Map() }));
    out.points += batch.count;
    if (o.kind === 'remote-write') out.unrepresentable += batchToSamples(batch, g.samples, g.index).skipped;
    else out.unrepresentable += batchToLines(batch, g.lines).unrepresentable;
  }
  return out;
}

/** Points in a record (for counting what a cap drops). */
export function countPoints(rec: WalRecord, parser: LineProtocolParser): number {
  return decodeRecord(rec, parser)?.batch.count ?? 0;
}
