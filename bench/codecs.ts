// Codec benchmark on blocks cut from the peers' workloads.
//
//   npx tsx bench/codecs.ts [--devops "--hosts 10 --span 6h"] [--iot "--devices 100 --span 6h"] [--block 1000] [--seconds 1]
//
// Generates the two workloads with ../shared/peers/gen.mjs (kept in the OS temp directory),
// parses them with the line-protocol parser, groups the values per series+field (sorted by
// time, as the memtable hands them over), cuts them into blocks of --block points and
// encodes every block with encodeBlock. Prints bytes/point of the timestamp sections, the
// value sections and the block headers separately, per field and per workload, and the
// encode and decode speed (points/s, best of repeated passes over all blocks, one core).
// The peers' figures are whole-database bytes on disk (incl. index) at a larger scale
// (../shared/peers/RESULTS.md); ours are block bytes only (the TSM file adds a CRC and an
// index entry per block, ~0.03 bytes/point at 1000 points per block).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockLayout, decodeBlock, encodeBlock } from '../src/gorilla/block.js';
import { ByteWriter } from '../src/gorilla/bytes.js';
import { initCodecs } from '../src/gorilla/zstd.js';
import { LineProtocolParser } from '../src/ingest/lineprotocol.js';
import { PointBatch } from '../src/ingest/batch.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED, fieldTypeName, type ColumnValues } from '../src/types.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const PEERS = fileURLToPath(new URL('../../shared/peers/', import.meta.url));
const BLOCK = Number(arg('block', '1000'));
const SECONDS = Number(arg('seconds', '1'));
const WORKLOADS: [string, string[], { influxdb: number; victoria: number }][] = [
  ['devops', ['devops', ...arg('devops', '--hosts 10 --span 6h').split(' ')], { influxdb: 7.14, victoria: 6.63 }],
  ['iot', ['iot', ...arg('iot', '--devices 100 --span 6h').split(' ')], { influxdb: 4.5, victoria: 0.88 }],
];

function generated(args: string[]): Buffer {
  const gen = path.join(PEERS, 'gen.mjs');
  const version = createHash('sha256').update(readFileSync(gen)).update(readFileSync(path.join(PEERS, 'lib.mjs'))).digest('hex').slice(0, 12);
  const file = path.join(tmpdir(), `strata-codecs-${args.join('_').replace(/--/g, '')}-${version}.lp`);
  if (!existsSync(file)) {
    const part = `${file}.${process.pid}.part`;
    execFileSync(process.execPath, [gen, ...args, '--format', 'lp', '--out', part], { stdio: ['ignore', 'ignore', 'inherit'] });
    renameSync(part, file);
  }
  return readFileSync(file);
}

interface Series {
  field: string;
  type: number;
  n: number;
  times: Uint32Array;
  bits: Uint32Array;
  strs: string[];
}

/** Parses the body in 4 MB pieces and groups values per series+field. */
function columns(body: Buffer): Series[] {
  const parser = new LineProtocolParser();
  const map = new Map<string, Series>();
  for (let start = 0; start < body.length; ) {
    let end = Math.min(body.length, start + (4 << 20));
    if (end < body.length) end = body.indexOf(10, end) + 1 || body.length;
    const b = parser.parse(body.subarray(start, end), { precision: 'ns', defaultTime: 0n }, new PointBatch(1 << 16, 1 << 18));
    if (b.errors.length) throw new Error(`parse error: ${b.errors[0].message}`);
    for (let i = 0; i < b.count; i++) {
      for (let j = b.fieldStart[i]; j < b.fieldStart[i + 1]; j++) {
        const key = `${b.seriesKey[i]}\0${b.fieldKey[j]}`;
        let s = map.get(key);
        if (s === undefined) map.set(key, (s = { field: b.fieldKey[j], type: b.fieldType[j], n: 0, times: new Uint32Array(2048), bits: new Uint32Array(2048), strs: [] }));
        if (2 * s.n === s.times.length) {
          s.times = grow(s.times);
          s.bits = grow(s.bits);
        }
        s.times[2 * s.n] = b.time[2 * i];
        s.times[2 * s.n + 1] = b.time[2 * i + 1];
        if (s.type === BOOLEAN) s.bits[2 * s.n] = b.fieldF64[j] !== 0 ? 1 : 0;
        else {
          s.bits[2 * s.n] = b.fieldBits[2 * j];
          s.bits[2 * s.n + 1] = b.fieldBits[2 * j + 1];
        }
        if (s.type === STRING) s.strs.push(b.fieldStr[j]);
        s.n++;
      }
    }
    start = end;
  }
  return [...map.values()];
}

function grow(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

interface Block {
  field: string;
  type: number;
  n: number;
  times: BigInt64Array;
  values: ColumnValues;
}

function toBlocks(series: Series[]): Block[] {
  const blocks: Block[] = [];
  for (const s of series) {
    const times = new BigInt64Array(s.times.buffer, 0, s.n);
    for (let i = 1; i < s.n; i++) if (times[i] <= times[i - 1]) throw new Error('times not sorted unique; the memtable would sort them');
    let values: ColumnValues;
    if (s.type === FLOAT) values = new Float64Array(s.bits.buffer, 0, s.n);
    else if (s.type === INTEGER) values = new BigInt64Array(s.bits.buffer, 0, s.n);
    else if (s.type === UNSIGNED) values = new BigUint64Array(s.bits.buffer, 0, s.n);
    else if (s.type === BOOLEAN) values = Uint8Array.from({ length: s.n }, (_, i) => s.bits[2 * i]);
    else values = s.strs;
    for (let from = 0; from < s.n; from += BLOCK) {
      const to = Math.min(s.n, from + BLOCK);
      const v = Array.isArray(values) ? values.slice(from, to) : values.subarray(from, to);
      blocks.push({ field: s.field, type: s.type, n: to - from, times: times.subarray(from, to), values: v as ColumnValues });
    }
  }
  return blocks;
}

/** Best points/s of repeated passes of fn over all points, for about SECONDS. */
function speed(points: number, fn: () => void, seconds = SECONDS): number {
  let best = Infinity;
  const deadline = performance.now() + seconds * 1000;
  let runs = 0;
  while (runs < 3 || performance.now() < deadline) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
    runs++;
  }
  return points / (best / 1000);
}

const fmt = (x: number, d = 3): string => x.toFixed(d);
const mps = (x: number): string => `${(x / 1e6).toFixed(1)} M`;

await initCodecs();
const rows: string[] = [];
for (const [name, args, peers] of WORKLOADS) {
  const blocks = toBlocks(columns(generated(args)));
  const out = new ByteWriter(1 << 20);
  const encoded: Uint8Array[] = [];
  const perField = new Map<string, { points: number; ts: number; values: number; header: number; tags: Map<string, number> }>();
  let points = 0;
  let ts = 0;
  let vals = 0;
  let header = 0;
  for (const b of blocks) {
    out.reset();
    encodeBlock(b.type, b.times, b.values, 0, b.n, out);
    const bytes = out.bytes().slice();
    encoded.push(bytes);
    const l = blockLayout(bytes);
    points += b.n;
    ts += l.timesBytes;
    vals += l.valuesBytes;
    header += 6;
    const key = `${b.field} (${fieldTypeName(b.type)})`;
    let f = perField.get(key);
    if (!f) perField.set(key, (f = { points: 0, ts: 0, values: 0, header: 0, tags: new Map() }));
    f.points += b.n;
    f.ts += l.timesBytes;
    f.values += l.valuesBytes;
    f.header += 6;
    const tag = `ts 0x${l.timesTag.toString(16)} / v 0x${l.valuesTag.toString(16)}`;
    f.tags.set(tag, (f.tags.get(tag) ?? 0) + 1);
  }
  const enc = speed(points, () => {
    for (const b of blocks) {
      out.reset();
      encodeBlock(b.type, b.times, b.values, 0, b.n, out);
    }
  });
  const dec = speed(points, () => {
    for (const e of encoded) decodeBlock(e);
  });
  const numeric = blocks.filter((b) => b.type !== STRING);
  const numericPoints = numeric.reduce((s, b) => s + b.n, 0);
  const encodedNumeric = encoded.filter((_, i) => blocks[i].type !== STRING);
  const decNumeric = speed(numericPoints, () => {
    for (const e of encodedNumeric) decodeBlock(e);
  });

  console.log(`\n${name}: ${args.slice(1).join(' ')}, ${points.toLocaleString('en')} points in ${blocks.length.toLocaleString('en')} blocks`);
  console.log('| field | points | timestamps B/pt | values B/pt | header B/pt | total B/pt | encode pts/s | decode pts/s | encodings (blocks) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const [k, f] of perField) {
    const tags = [...f.tags].map(([t, c]) => `${t}: ${c}`).join(', ');
    const idx = blocks.map((b, i) => (`${b.field} (${fieldTypeName(b.type)})` === k ? i : -1)).filter((i) => i >= 0);
    const fe = speed(f.points, () => {
      for (const i of idx) {
        out.reset();
        encodeBlock(blocks[i].type, blocks[i].times, blocks[i].values, 0, blocks[i].n, out);
      }
    }, 0.3);
    const fd = speed(f.points, () => {
      for (const i of idx) decodeBlock(encoded[i]);
    }, 0.3);
    console.log(`| ${k} | ${f.points.toLocaleString('en')} | ${fmt(f.ts / f.points)} | ${fmt(f.values / f.points)} | ${fmt(f.header / f.points)} | ${fmt((f.ts + f.values + f.header) / f.points)} | ${mps(fe)} | ${mps(fd)} | ${tags} |`);
  }
  const total = (ts + vals + header) / points;
  rows.push(`| ${name} | ${points.toLocaleString('en')} | ${fmt(ts / points)} | ${fmt(vals / points)} | ${fmt(header / points)} | **${fmt(total)}** | ${peers.influxdb} | ${peers.victoria} | ${mps(enc)} | ${mps(dec)} | ${mps(decNumeric)} |`);
}
console.log('\nall blocks (bytes/point: timestamps, values, 6-byte headers; peers: whole database on disk)');
console.log('| workload | points | timestamps | values | headers | total | InfluxDB 1.6 | VictoriaMetrics | encode pts/s | decode pts/s | decode pts/s (no strings) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
