// WAL records -> what an upstream receives: decodes the engine's record types
// (src/engine/records.ts) and groups their points by target URL, in WAL order, as line
// protocol or remote-write samples. Delete records are not forwarded (an upstream keeps
// what it was sent; see docs/forwarding.md), nor writes into downsampling tiers (the
// upstream computes its own rollups from the raw points).

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
}

export interface DecodeOptions {
  kind: UpstreamKind;
  url: string;
  /** Local databases to forward (null: all). */
  databases: Set<string> | null;
  parser: LineProtocolParser;
  /** True for a downsampling tier's retention policy (not forwarded). */
  isTier: (db: string, rp: string) => boolean;
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
  const out: Decoded = { groups: new Map(), points: 0, unrepresentable: 0, deletes: 0, ignored: 0 };
  for (const rec of records) {
    if (rec.type === RECORD_DELETE) {
      out.deletes++;
      continue;
    }
    const d = decodeRecord(rec, o.parser);
    if (d === null || (o.databases !== null && !o.databases.has(d.db)) || o.isTier(d.db, d.rp)) {
      out.ignored++;
      continue;
    }
    const url = targetUrl(o.url, d.db, d.rp);
    let g = out.groups.get(url);
    if (!g) out.groups.set(url, (g = { url, lines: [], samples: newSamples(), index: new Map() }));
    out.points += d.batch.count;
    if (o.kind === 'remote-write') out.unrepresentable += batchToSamples(d.batch, g.samples, g.index).skipped;
    else out.unrepresentable += batchToLines(d.batch, g.lines).unrepresentable;
  }
  return out;
}

/** Points in a record (for counting what a cap drops). */
export function countPoints(rec: WalRecord, parser: LineProtocolParser): number {
  return decodeRecord(rec, parser)?.batch.count ?? 0;
}
