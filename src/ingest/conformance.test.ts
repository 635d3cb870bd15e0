// Runs every case of the InfluxDB line-protocol conformance corpus
// (../shared/conformance/line-protocol/corpus.json, see its README) through our parser
// and serializer.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLineProtocol } from './lineprotocol.js';
import { parseSeriesKey } from './seriesKey.js';
import { appendLine } from './serialize.js';
import { BadRequestError } from '../errors.js';
import { getInt64 } from '../int64.js';
import { BOOLEAN, FLOAT, INTEGER, STRING, UNSIGNED } from '../types.js';
import type { FieldTypeCode, Precision } from '../types.js';
import { makeSeriesKey } from './seriesKey.js';

const CORPUS = new URL('../../../shared/conformance/line-protocol/corpus.json', import.meta.url);

/** JSON.parse that keeps integers of 16+ digits exact (as strings); see the corpus README. */
function parseJsonExact(text: string): unknown {
  const quoted = text.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.\deE])/g, (m) => (m[0] === '"' ? m : `"${m}"`));
  return JSON.parse(quoted);
}

type Bin = string | { binary: string };
type Value =
  | { float: number | string }
  | { int: number | string }
  | { uint: number | string }
  | { bool: boolean }
  | { string: string }
  | { binary: string }
  | { floatNonNumber: string };
interface CPoint {
  time: number | string;
  name: Bin;
  tags: { key: Bin; value: Bin }[];
  fields: { key: Bin; value: Value }[];
}
interface DecodeCase {
  input: { key: string; text: Bin; defaultTime: number | string; precision: string; about?: string };
  output: { result?: CPoint[]; error?: string };
}
interface EncodeCase {
  input: { key: string; point: CPoint; precision: string };
  output: { result?: Bin; error?: string };
}

const corpus = parseJsonExact(readFileSync(CORPUS, 'utf8')) as {
  decode: Record<string, DecodeCase>;
  encode: Record<string, EncodeCase>;
};

const PREC: Record<string, Precision> = { '1ns': 'ns', '1µs': 'us', '1ms': 'ms', '1s': 's', '1m': 'm', '1h': 'h' };

function bytes(t: Bin): Buffer {
  return typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t.binary, 'base64');
}
function str(t: Bin): string {
  return typeof t === 'string' ? t : Buffer.from(t.binary, 'base64').toString('utf8');
}

/** A point in a comparable form: tags sorted (we canonicalise), numbers as strings. */
type Norm = { time: string; name: string; tags: [string, string][]; fields: [string, string, string][] };

function normExpected(p: CPoint): Norm {
  return {
    time: BigInt(p.time).toString(),
    name: str(p.name),
    tags: p.tags.map((t) => [str(t.key), str(t.value)] as [string, string]).sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))),
    fields: p.fields.map((f) => {
      const v = f.value;
      if ('float' in v) return [str(f.key), 'float', floatText(Number(v.float))];
      if ('int' in v) return [str(f.key), 'int', BigInt(v.int).toString()];
      if ('uint' in v) return [str(f.key), 'uint', BigInt(v.uint).toString()];
      if ('bool' in v) return [str(f.key), 'bool', String(v.bool)];
      if ('string' in v) return [str(f.key), 'string', v.string];
      throw new Error(`unexpected value ${JSON.stringify(v)}`);
    }),
  };
}

/** Floats compared by value; the corpus JSON cannot carry -0, so -0 and 0 compare equal. */
function floatText(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

function normParsed(input: Buffer, precision: Precision, defaultTime: bigint): { points: Norm[]; errors: string[] } {
  const r = parseLineProtocol(input, { precision, defaultTime });
  const points: Norm[] = [];
  for (let i = 0; i < r.count; i++) {
    const sk = parseSeriesKey(r.seriesKey[i]);
    const fields: [string, string, string][] = [];
    for (let j = r.fieldStart[i]; j < r.fieldStart[i + 1]; j++) {
      const t = r.fieldType[j];
      const k = r.fieldKey[j];
      if (t === FLOAT) fields.push([k, 'float', floatText(r.fieldF64[j])]);
      else if (t === INTEGER) fields.push([k, 'int', getInt64(r.fieldBits, j).toString()]);
      else if (t === UNSIGNED) fields.push([k, 'uint', BigInt.asUintN(64, getInt64(r.fieldBits, j)).toString()]);
      else if (t === BOOLEAN) fields.push([k, 'bool', String(r.fieldF64[j] === 1)]);
      else if (t === STRING) fields.push([k, 'string', r.fieldStr[j]]);
      else throw new Error(`bad type ${t}`);
    }
    points.push({ time: r.timeOf(i).toString(), name: sk.measurement, tags: sk.tags, fields });
  }
  return { points, errors: r.errors.map((e) => e.message) };
}

/**
 * Cases where we deliberately differ from the reference decoder, with the reason.
 * Keys are the corpus keys.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // `cpu,tag0=v0,time=v0 value=1` (two default times): the reference decoder is syntax
  // only; InfluxDB 1.x drops points with a tag key "time" (tsdb shard validation: "invalid
  // tag key: input tag \"time\" ... is invalid") because InfluxQL could never select it.
  '2a6fa6f9c4bd199a093f88e94b542430': 'tag key "time" is rejected, as InfluxDB 1.x does',
  '5f10c11304f37e8f65e1d9fc36c6fde3': 'tag key "time" is rejected, as InfluxDB 1.x does',
};

describe('line-protocol conformance corpus: decode', () => {
  const entries = Object.entries(corpus.decode);
  it('has the documented number of cases', () => {
    expect(entries.length).toBe(6615);
  });

  it('decodes every case like the reference decoder (except the known differences)', () => {
    const failures: string[] = [];
    const differing: string[] = [];
    let ok = 0;
    let rejected = 0;
    for (const [key, c] of entries) {
      const precision = PREC[c.input.precision];
      const got = normParsed(bytes(c.input.text), precision, BigInt(c.input.defaultTime));
      let problem = '';
      if (c.output.error !== undefined) {
        if (got.errors.length === 0) problem = `accepted, expected error: ${c.output.error}`;
        else rejected++;
      } else {
        const want = (c.output.result ?? []).map(normExpected);
        if (got.errors.length > 0) problem = `rejected: ${got.errors.join('; ')}`;
        else {
          try {
            expect(got.points).toEqual(want);
            ok++;
          } catch {
            problem = `got ${JSON.stringify(got.points)} want ${JSON.stringify(want)}`;
          }
        }
      }
      if (problem !== '') {
        if (key in KNOWN_DIFFERENCES) differing.push(key);
        else failures.push(`${key} ${JSON.stringify(str(c.input.text)).slice(0, 200)}: ${problem.slice(0, 400)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(differing.sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
    expect(differing.length).toBeLessThanOrEqual(2);
    expect(ok + rejected + differing.length).toBe(entries.length);
  });
});

describe('line-protocol conformance corpus: encode', () => {
  const entries = Object.entries(corpus.encode);
  it('has the documented number of cases', () => {
    expect(entries.length).toBe(115);
  });

  it('encodes every case exactly like the reference encoder', () => {
    const failures: string[] = [];
    let exact = 0;
    for (const [key, c] of entries) {
      const p = c.input.point;
      const fields: [string, FieldTypeCode, number | bigint | boolean | string][] = [];
      let nonNumber = false;
      for (const f of p.fields) {
        const v = f.value;
        const k = str(f.key);
        if ('float' in v) fields.push([k, FLOAT, Number(v.float)]);
        else if ('int' in v) fields.push([k, INTEGER, BigInt(v.int)]);
        else if ('uint' in v) fields.push([k, UNSIGNED, BigInt(v.uint)]);
        else if ('bool' in v) fields.push([k, BOOLEAN, v.bool]);
        else if ('string' in v) fields.push([k, STRING, v.string]);
        else if ('binary' in v) fields.push([k, STRING, Buffer.from(v.binary, 'base64').toString('utf8')]);
        else {
          nonNumber = true;
          fields.push([k, FLOAT, v.floatNonNumber === 'NaN' ? NaN : Infinity]);
        }
      }
      let line: string | undefined;
      let error: unknown;
      try {
        const sk = makeSeriesKey(str(p.name), p.tags.map((t) => [str(t.key), str(t.value)] as [string, string]));
        line = appendLine(sk, fields, BigInt(p.time));
      } catch (e) {
        error = e;
      }
      if (c.output.error !== undefined || nonNumber) {
        if (error === undefined) failures.push(`${key}: expected an error (${c.output.error}), got ${line}`);
        else if (!(error instanceof BadRequestError)) failures.push(`${key}: wrong error type ${String(error)}`);
        continue;
      }
      if (error !== undefined) {
        failures.push(`${key}: threw ${String(error)}`);
        continue;
      }
      const want = str(c.output.result as Bin);
      if (line === want + '\n') {
        exact++;
        continue;
      }
      // not the same text: it must at least decode to the same point
      const a = normParsed(Buffer.from(line as string), 'ns', 0n);
      const b = normParsed(Buffer.from(want), 'ns', 0n);
      if (JSON.stringify(a) !== JSON.stringify(b)) failures.push(`${key}: ${JSON.stringify(line)} != ${JSON.stringify(want)}`);
    }
    expect(failures).toEqual([]);
    // every encode case matches the reference text byte for byte
    expect(exact).toBe(entries.length - entries.filter(([, c]) => c.output.error !== undefined).length);
  });
});
