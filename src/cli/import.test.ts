import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../engine/database.js';
import { exportLineProtocol } from '../engine/export.js';
import { LineBatcher, formatSummary, importLineProtocol, writeWithBackpressure } from './import.js';
import { OverloadedError } from '../errors.js';
import { main } from './main.js';
import { removeTempDirs, tempDir, testIo } from './testing/io.js';

afterEach(removeTempDirs);

const T0 = 1_700_000_000_000_000_000n;

async function exported(dataDir: string, db: string): Promise<string[]> {
  const d = await openDatabase({ dataDir });
  try {
    return [...exportLineProtocol(d, { db })].join('').split('\n').filter(Boolean);
  } finally {
    await d.close();
  }
}

describe('LineBatcher', () => {
  it('never splits a line and numbers lines across batches, however the input is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z =,]{0,12}$/), { maxLength: 40 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 64 }),
        (lines, trailingNewline, cuts, maxLines, maxBytes) => {
          const text = lines.join('\n') + (trailingNewline && lines.length ? '\n' : '');
          const input = Buffer.from(text);
          const b = new LineBatcher(maxLines, maxBytes);
          const batches = [];
          let pos = 0;
          for (let i = 0; pos < input.length; i++) {
            const n = cuts[i % cuts.length];
            batches.push(...b.push(input.subarray(pos, pos + n)));
            pos += n;
          }
          const last = b.end();
          if (last) batches.push(last);
          // The batches put back together are the input.
          expect(Buffer.concat(batches.map((x) => x.buf)).toString()).toBe(text);
          let line = 1;
          for (const x of batches) {
            expect(x.firstLine).toBe(line);
            const s = x.buf.toString();
            // Whole lines only: every batch but the very last ends with a newline.
            if (x !== last) expect(s.endsWith('\n')).toBe(true);
            const count = s.split('\n').length - (s.endsWith('\n') ? 1 : 0);
            expect(x.lines).toBe(count);
            expect(x.lines).toBeLessThanOrEqual(maxLines);
            line += x.lines;
          }
          const total = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
          expect(line - 1).toBe(total);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('importLineProtocol', () => {
  it('stores the good lines and reports the bad ones with absolute line numbers', async () => {
    const dir = tempDir();
    const db = await openDatabase({ dataDir: dir, fsync: 'off' });
    const lines: string[] = [];
    for (let i = 0; i < 25; i++) lines.push(`cpu,host=h${i % 3} usage=${i}.5,n=${i}i ${T0 + BigInt(i)}`);
    lines[6] = 'this is not line protocol';
    lines[13] = `cpu,host=h1 usage="a string" ${T0 + 13n}`; // field type conflict
    lines[20] = '';
    lines[21] = '# a comment';
    const sum = await importLineProtocol(db, [Buffer.from(lines.join('\n') + '\n')], { db: 'm', batchLines: 4, maxErrors: 5 });
    await db.close();
    expect(sum.lines).toBe(25);
    expect(sum.points).toBe(21);
    expect(sum.values).toBe(42);
    expect(sum.badLines).toBe(2);
    expect(sum.errors.map((e) => [e.line, e.kind])).toEqual([
      [7, 'syntax'],
      [14, 'type_conflict'],
    ]);
    expect(sum.databases).toEqual(['m']);
    const out = await exported(dir, 'm');
    expect(out).toHaveLength(21);
  });

  it('follows # CONTEXT-DATABASE / RETENTION-POLICY lines and CREATE DATABASE in a DDL section', async () => {
    const dir = tempDir();
    const db = await openDatabase({ dataDir: dir, fsync: 'off' });
    const file = [
      '# DDL',
      'CREATE DATABASE empty WITH DURATION 0s REPLICATION 1 NAME autogen',
      'CREATE RETENTION POLICY x ON empty DURATION 1d REPLICATION 1',
      '# DML',
      '# CONTEXT-DATABASE:first',
      '# CONTEXT-RETENTION-POLICY:autogen',
      `a v=1 ${T0}`,
      `a v=2 ${T0 + 1n}`,
      '# CONTEXT-DATABASE: second',
      `b v=3 ${T0}`,
      'bad line',
    ].join('\n');
    const sum = await importLineProtocol(db, [Buffer.from(file)], { batchLines: 3 });
    expect(db.databases()).toEqual(['empty', 'first', 'second']);
    await db.close();
    expect(sum.points).toBe(3);
    expect(sum.databases).toEqual(['empty', 'first', 'second']);
    expect(sum.errors.map((e) => e.line)).toEqual([3, 11]);
    expect(sum.errors[0].message).toMatch(/only CREATE DATABASE/);
    expect(await exported(dir, 'first')).toEqual([`a v=1 ${T0}`, `a v=2 ${T0 + 1n}`]);
    expect(await exported(dir, 'second')).toEqual([`b v=3 ${T0}`]);
  });

  it('refuses data before any database is named, with the line number', async () => {
    const dir = tempDir();
    const db = await openDatabase({ dataDir: dir, fsync: 'off' });
    try {
      await expect(importLineProtocol(db, [Buffer.from(`# header\n\nm v=1 ${T0}\n`)], {})).rejects.toThrow(/line 3 has data but no database/);
    } finally {
      await db.close();
    }
  });
});

describe('strata import', () => {
  function writeFile(dir: string, name: string, text: string | Buffer): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  }

  const GOOD = Array.from({ length: 100 }, (_, i) => `weather,city=c${i % 7} temp=${i / 4},ok=true ${T0 + BigInt(i) * 1000n}`);

  it('imports a file and prints a summary; exit 0 when every line is good', async () => {
    const dir = tempDir();
    const f = writeFile(dir, 'in.lp', GOOD.join('\n') + '\n');
    const io = testIo();
    const code = await main(['import', f, '--db', 'w', '--data-dir', path.join(dir, 'data'), '--batch-lines', '7'], io);
    expect(io.err.text).toBe('');
    expect(code).toBe(0);
    expect(io.out.text).toMatch(/^imported .*in\.lp into "w"\n/);
    expect(io.out.text).toMatch(/lines\s+100\n/);
    expect(io.out.text).toMatch(/points\s+100\n/);
    expect(io.out.text).toMatch(/values\s+200\n/);
    expect(io.out.text).toMatch(/bad lines\s+0\n/);
    expect(io.out.text).toMatch(/time\s+[\d.]+ s \([\d,]+ lines\/s/);
    expect((await exported(path.join(dir, 'data'), 'w')).length).toBe(100);
    // The lock is released.
    expect(fs.existsSync(path.join(dir, 'data', 'LOCK'))).toBe(false);
  });

  it('exit 1 with the bad lines listed when some lines are bad; the good ones are stored', async () => {
    const dir = tempDir();
    const lines = [...GOOD];
    lines[9] = 'weather,city=x temp= 1';
    lines[49] = 'weather,city=x temp="hot"';
    lines[98] = 'nope';
    const f = writeFile(dir, 'in.lp', lines.join('\n'));
    const io = testIo();
    const code = await main(['import', f, '--db', 'w', '--data-dir', path.join(dir, 'data'), '--batch-lines', '10', '--max-errors', '2'], io);
    expect(code).toBe(1);
    expect(io.out.text).toMatch(/bad lines\s+3\n/);
    expect(io.out.text).toMatch(/\n {4}line 10: /);
    expect(io.out.text).toMatch(/\n {4}line 50: .*type/);
    expect(io.out.text).toContain('... and 1 more');
    expect((await exported(path.join(dir, 'data'), 'w')).length).toBe(97);
  });

  it('prints a JSON summary with --json', async () => {
    const dir = tempDir();
    const f = writeFile(dir, 'in.lp', `m v=1 ${T0}\nbad\nm v=2 ${T0 + 1n}\n`);
    const io = testIo();
    const code = await main(['import', f, '--db', 'j', '--data-dir', dir, '--json'], io);
    expect(code).toBe(1);
    const s = JSON.parse(io.out.text);
    expect(s).toMatchObject({ lines: 3, points: 2, values: 2, badLines: 1, databases: ['j'] });
    expect(s.errors[0]).toMatchObject({ line: 2, kind: 'syntax' });
    expect(typeof s.seconds).toBe('number');
  });

  it('reads gzip files and stdin ("-"), and applies --precision', async () => {
    const dir = tempDir();
    const f = writeFile(dir, 'in.lp.gz', zlib.gzipSync(`m v=1 1700000000\nm v=2 1700000001\n`));
    const io = testIo();
    expect(await main(['import', f, '--db', 'g', '--precision', 's', '--data-dir', dir, '-q'], io)).toBe(0);
    expect(io.out.text).toBe('');
    const io2 = testIo({ input: zlib.gzipSync(`m v=3 1700000002000\n`) });
    expect(await main(['import', '-', '--db', 'g', '--precision', 'ms', '--data-dir', dir, '--json'], io2)).toBe(0);
    const io3 = testIo({ input: `m v=4 1700000003000000` });
    expect(await main(['import', '-', '--db', 'g', '--precision', 'us', '--data-dir', dir, '--json'], io3)).toBe(0);
    expect(await exported(dir, 'g')).toEqual([
      'm v=1 1700000000000000000',
      'm v=2 1700000001000000000',
      'm v=3 1700000002000000000',
      'm v=4 1700000003000000000',
    ]);
  });

  it('usage errors exit 2: no file, no database, bad precision, unknown flag', async () => {
    const dir = tempDir();
    const f = writeFile(dir, 'in.lp', `m v=1 ${T0}\n`);
    let io = testIo();
    expect(await main(['import', '--db', 'x', '--data-dir', dir], io)).toBe(2);
    expect(io.err.text).toMatch(/^strata import: missing FILE\nRun 'strata import --help' for usage\.\n$/);
    io = testIo();
    expect(await main(['import', f, '--data-dir', dir], io)).toBe(2);
    expect(io.err.text).toMatch(/line 1 has data but no database is chosen: pass --db NAME/);
    io = testIo();
    expect(await main(['import', f, '--db', 'x', '--precision', 'weeks', '--data-dir', dir], io)).toBe(2);
    expect(io.err.text).toMatch(/--precision: invalid precision "weeks"/);
    io = testIo();
    expect(await main(['import', f, '--db', 'x', '--bogus'], io)).toBe(2);
    expect(io.err.text).toMatch(/unknown flag --bogus for "strata import"/);
  });

  it('fails (exit 1) on a missing file', async () => {
    const dir = tempDir();
    const io = testIo();
    expect(await main(['import', path.join(dir, 'nope.lp'), '--db', 'x', '--data-dir', dir], io)).toBe(1);
    expect(io.err.text).toMatch(/cannot read .*nope\.lp: no such file/);
  });

  it('shows a progress bar on a terminal, and clears it before the summary', async () => {
    const dir = tempDir();
    const f = writeFile(dir, 'in.lp', GOOD.join('\n'));
    const io = testIo();
    io.err.isTTY = true;
    expect(await main(['import', f, '--db', 'w', '--data-dir', dir, '--batch-lines', '10'], io)).toBe(0);
    expect(io.err.text).toMatch(/\r\[#*-*\] +\d+%/);
    expect(io.err.text.endsWith('\r\x1b[K')).toBe(true);
  });
});

describe('strata export', () => {
  it('round-trips through a data directory: import, export, import again, same points', async () => {
    const dir = tempDir();
    const src = [
      `cpu,host=a,region=eu usage=0.1,idle=99i,ok=true,note="x \\"q\\"" ${T0}`,
      `cpu,host=a,region=eu usage=0.30000000000000004 ${T0 + 1n}`,
      `cpu,host=b usage=-0,big=9223372036854775807i,u=18446744073709551615u ${T0 + 2n}`,
      `mem,host=a free=1e300 ${T0 - 5n}`,
      `disk\\ io,host=a\\ b reads=1i ${T0}`,
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'in.lp'), src);
    const d1 = path.join(dir, 'one');
    const d2 = path.join(dir, 'two');
    expect(await main(['import', path.join(dir, 'in.lp'), '--db', 'rt', '--data-dir', d1, '-q'], testIo())).toBe(0);

    const out = path.join(dir, 'out.lp');
    let io = testIo();
    expect(await main(['export', '--db', 'rt', '--data-dir', d1, '--out', out], io)).toBe(0);
    expect(io.err.text).toMatch(/exported 5 lines of "rt" to /);
    const first = fs.readFileSync(out, 'utf8');

    expect(await main(['import', out, '--db', 'rt', '--data-dir', d2, '-q'], testIo())).toBe(0);
    io = testIo();
    expect(await main(['export', '--db', 'rt', '--data-dir', d2], io)).toBe(0);
    expect(io.out.text).toBe(first);
    expect(first.split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('filters by measurement and time, in ns or RFC 3339', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 10 }, (_, i) => `m,s=1 v=${i}i ${T0 + BigInt(i) * 1_000_000_000n}`);
    lines.push(`other v=1 ${T0}`);
    fs.writeFileSync(path.join(dir, 'in.lp'), lines.join('\n'));
    expect(await main(['import', path.join(dir, 'in.lp'), '--db', 'f', '--data-dir', dir, '-q'], testIo())).toBe(0);
    let io = testIo();
    // T0 is 2023-11-14T22:13:20Z.
    expect(
      await main(['export', '--db', 'f', '--data-dir', dir, '--measurement', 'm', '--start', '2023-11-14T22:13:22Z', '--end', String(T0 + 5_000_000_000n)], io),
    ).toBe(0);
    expect(io.out.text.split('\n').filter(Boolean)).toEqual([2, 3, 4].map((i) => `m,s=1 v=${i}i ${T0 + BigInt(i) * 1_000_000_000n}`));
    io = testIo();
    expect(await main(['export', '--db', 'f', '--data-dir', dir, '--start', '2023-11-14T23:13:28.5+01:00'], io)).toBe(0);
    expect(io.out.text.split('\n').filter(Boolean)).toEqual([`m,s=1 v=${9}i ${T0 + 9_000_000_000n}`]);
  });

  it('reports a missing database (exit 1) and usage errors (exit 2)', async () => {
    const dir = tempDir();
    expect(await main(['import', '-', '--db', 'here', '--data-dir', dir, '-q'], testIo({ input: `m v=1 ${T0}\n` }))).toBe(0);
    let io = testIo();
    expect(await main(['export', '--db', 'nothere', '--data-dir', dir], io)).toBe(1);
    expect(io.err.text).toMatch(/database not found: "nothere" \(databases: here\)/);
    io = testIo();
    expect(await main(['export', '--data-dir', dir], io)).toBe(2);
    expect(io.err.text).toMatch(/--db NAME is required/);
    io = testIo();
    expect(await main(['export', '--db', 'here', '--data-dir', dir, '--start', 'yesterday'], io)).toBe(2);
    expect(io.err.text).toMatch(/"yesterday" is not a time/);
  });
});

describe('formatSummary', () => {
  it('aligns the figures', () => {
    const s = formatSummary('f.lp', { lines: 1234567, points: 1234560, values: 2469120, badLines: 7, errors: [{ line: 3, kind: 'syntax', message: 'bad' }], databases: ['d'], bytes: 5e7 }, 2);
    expect(s).toBe(
      [
        'imported f.lp into "d"',
        '  lines      1,234,567',
        '  points     1,234,560',
        '  values     2,469,120',
        '  bad lines          7',
        '    line 3: bad',
        '    ... and 6 more',
        '  time       2.00 s (617,284 lines/s, 25.0 MB/s)',
        '',
      ].join('\n'),
    );
  });
});

describe('import under backpressure', () => {
  it('waits for a flush instead of failing when memtables reach the memory budget', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-import-bp-'));
    const db = await openDatabase({ dataDir, fsync: 'off', memtableBytes: 1 << 30, blockCacheBytes: 0, memoryBudget: 64 * 1024 });
    try {
      const batch = (k: number) => Buffer.from(Array.from({ length: 4000 }, (_, i) => `m,k=${i % 10} v=${i} ${k * 10000 + i}`).join('\n'));
      await db.write(batch(0), { db: 'd' }); // takes the memtables past the budget
      await expect(db.write(batch(1), { db: 'd' })).rejects.toBeInstanceOf(OverloadedError);
      await expect(writeWithBackpressure(db, batch(1), { db: 'd' })).resolves.toMatchObject({ points: 4000 });
      expect(db.stats().flushes).toBeGreaterThanOrEqual(1);
      expect(db.select({ db: 'd', measurement: 'm' }).reduce((n, c) => n + c.times.length, 0)).toBe(8000);
    } finally {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
