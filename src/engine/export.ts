// Export: stored points back out as line protocol, one line per series and timestamp with
// every field that has a value at that time, series in key order, times ascending.
// Floats are printed shortest-round-trip and integers exactly, so export → import is lossless.

import { escapeFieldKey } from '../ingest/seriesKey.js';
import { formatFloat } from '../ingest/serialize.js';
import type { SeriesColumn } from '../types.js';
import type { Database } from './database.js';

export interface ExportOptions {
  db: string;
  rp?: string;
  /** One measurement, or all. */
  measurement?: string;
  /** Inclusive, ns since epoch. */
  start?: bigint;
  /** Exclusive, ns since epoch. */
  end?: bigint;
}

const CHUNK = 64 * 1024;

/** Yields newline-terminated line protocol in chunks of about 64 KiB. */
export function* exportLineProtocol(db: Database, opts: ExportOptions): Generator<string> {
  const measurements = opts.measurement !== undefined ? [opts.measurement] : db.measurements(opts.db, opts.rp);
  let buf = '';
  for (const m of measurements) {
    const cols = db.select({ db: opts.db, rp: opts.rp, measurement: m, start: opts.start, end: opts.end });
    // select() returns the columns of one series next to each other.
    for (let a = 0; a < cols.length; ) {
      let b = a + 1;
      while (b < cols.length && cols[b].key === cols[a].key) b++;
      // A series that could not be read (a damaged block) is named in a comment line, so
      // the export goes on with the rest and importing it back skips the note.
      const damaged = cols.slice(a, b).filter((c) => c.error !== undefined);
      for (const c of damaged) buf += `# error: series ${c.key} field ${c.field}: ${c.error!.replace(/[\r\n]+/g, ' ')}\n`;
      const readable = cols.slice(a, b).filter((c) => c.error === undefined);
      for (const line of readable.length > 0 ? seriesLines(readable) : []) {
        buf += line;
        if (buf.length >= CHUNK) {
          yield buf;
          buf = '';
        }
      }
      a = b;
    }
  }
  if (buf.length > 0) yield buf;
}

/** Merges the field columns of one series by timestamp into lines. */
function* seriesLines(cols: SeriesColumn[]): Generator<string> {
  const key = cols[0].key;
  const names = cols.map((c) => escapeFieldKey(c.field));
  const pos = new Array<number>(cols.length).fill(0);
  for (;;) {
    let min: bigint | undefined;
    for (let c = 0; c < cols.length; c++) {
      if (pos[c] < cols[c].times.length) {
        const t = cols[c].times[pos[c]];
        if (min === undefined || t < min) min = t;
      }
    }
    if (min === undefined) return;
    let fields = '';
    let notes = '';
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      const i = pos[c];
      if (i < col.times.length && col.times[i] === min) {
        pos[c] = i + 1;
        const v = col.type === 'float' ? (col.values as Float64Array)[i] : 0;
        if (!Number.isFinite(v)) {
          // NaN and ±Inf (Prometheus stale markers, NaN gauges from remote write) have no
          // line-protocol spelling: a comment names them; importing skips it.
          notes += `# not exportable as line protocol: ${key} ${names[c]}=${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'} ${min}\n`;
          continue;
        }
        fields += (fields ? ',' : '') + names[c] + '=' + formatValue(col, i);
      }
    }
    yield fields ? `${notes}${key} ${fields} ${min}\n` : notes;
  }
}

function formatValue(col: SeriesColumn, i: number): string {
  switch (col.type) {
    case 'float':
      return formatFloat((col.values as Float64Array)[i]);
    case 'integer':
      return `${(col.values as BigInt64Array)[i]}i`;
    case 'unsigned':
      return `${(col.values as BigUint64Array)[i]}u`;
    case 'boolean':
      return (col.values as Uint8Array)[i] ? 'true' : 'false';
    case 'string':
      return `"${(col.values as string[])[i].replace(/[\\"]/g, '\\$&')}"`;
  }
}
