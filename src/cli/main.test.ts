import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, usage } from './main.js';
import { removeTempDirs, tempDir, testIo, type TestIo } from './testing/io.js';

afterEach(removeTempDirs);

describe('strata help', () => {
  it('lists the commands (help, --help, -h) and exits 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const io = testIo();
      expect(await main(argv, io)).toBe(0);
      expect(io.out.text).toBe(usage());
    }
    expect(usage()).toMatch(/Usage: strata COMMAND \[flags\]/);
    for (const c of ['serve', 'import', 'export', 'repair-wal', 'help']) expect(usage()).toMatch(new RegExp(`\\n  ${c} +\\S`));
  });

  it('prints each command help with `strata help CMD`, `CMD --help` and `CMD -h`', async () => {
    for (const cmd of ['serve', 'import', 'export', 'repair-wal']) {
      const a = testIo();
      const b = testIo();
      const c = testIo();
      expect(await main(['help', cmd], a)).toBe(0);
      expect(await main([cmd, '--help'], b)).toBe(0);
      expect(await main([cmd, '-h'], c)).toBe(0);
      expect(a.out.text).toMatch(new RegExp(`^Usage: strata ${cmd}`));
      expect(b.out.text).toBe(a.out.text);
      expect(c.out.text).toBe(a.out.text);
      expect(a.out.text).toContain('--data-dir DIR');
    }
  });

  it('prints the version', async () => {
    const io = testIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out.text).toMatch(/^strata \d+\.\d+\.\d+/);
  });

  it('usage errors exit 2 and name the culprit', async () => {
    let io = testIo();
    expect(await main([], io)).toBe(2);
    expect(io.err.text).toContain('Usage: strata COMMAND');
    io = testIo();
    expect(await main(['srve'], io)).toBe(2);
    expect(io.err.text).toBe(`strata: unknown command "srve" (did you mean "serve"?)\nRun 'strata help' for usage.\n`);
    io = testIo();
    expect(await main(['--port', '1'], io)).toBe(2);
    expect(io.err.text).toMatch(/unknown flag --port: put flags after the command/);
    io = testIo();
    expect(await main(['help', 'nope'], io)).toBe(2);
    expect(io.err.text).toMatch(/unknown command "nope"/);
    io = testIo();
    expect(await main(['serve', '--prot', '1'], io)).toBe(2);
    expect(io.err.text).toBe(`strata serve: unknown flag --prot for "strata serve" (did you mean --port?)\nRun 'strata serve --help' for usage.\n`);
    io = testIo({ env: { STRATA_FSYNC: 'sometimes' } });
    expect(await main(['serve'], io)).toBe(2);
    expect(io.err.text).toMatch(/STRATA_FSYNC must be one of always, interval, off; got "sometimes"/);
    io = testIo();
    expect(await main(['serve', '--port', '70000'], io)).toBe(2);
    expect(io.err.text).toMatch(/--port must be at most 65535/);
  });
});

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function logLines(io: TestIo): Record<string, unknown>[] {
  return io.err.text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Starts `strata serve` in this process; resolves once it listens. */
async function serveInProcess(argv: string[], env: Record<string, string> = {}) {
  const ac = new AbortController();
  const io = testIo({ env, signal: ac.signal });
  const done = main(['serve', '--no-warmup', ...argv], io);
  let exited: number | undefined;
  void done.then((c) => (exited = c));
  const listening = await waitFor('the listening line', () => {
    if (exited !== undefined) throw new Error(`serve exited ${exited}: ${io.err.text}`);
    return logLines(io).find((l) => l.msg && String(l.msg).startsWith('listening'));
  });
  return { io, listening, stop: () => (ac.abort(), done) };
}

describe('strata serve (in process)', () => {
  it('listens on --port 0, logs the real port, takes writes and stops cleanly', async () => {
    const dir = tempDir();
    const s = await serveInProcess(['--port', '0', '--bind', '127.0.0.1', '--data-dir', dir, '--log-level', 'info']);
    const port = s.listening.port as number;
    expect(port).toBeGreaterThan(0);
    expect(s.listening.url).toBe(`http://127.0.0.1:${port}`);
    expect(s.listening).toMatchObject({ level: 'info', bind: '127.0.0.1', dataDir: dir, fsync: 'always' });
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(true);

    const res = await fetch(`http://127.0.0.1:${port}/write?db=x`, { method: 'POST', body: 'm v=1 1700000000000000000\n' });
    expect(res.status).toBe(204);
    // A second opener of the same data dir is refused while the server runs.
    const io2 = testIo();
    fs.writeFileSync(path.join(dir, 'in.lp'), 'm v=2 1\n');
    expect(await main(['import', path.join(dir, 'in.lp'), '--db', 'x', '--data-dir', dir], io2)).toBe(1);
    expect(io2.err.text).toMatch(/already open in this process/);

    expect(await s.stop()).toBe(0);
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
    const msgs = logLines(s.io).map((l) => l.msg);
    expect(msgs).toContain('stopped cleanly');

    const io = testIo();
    expect(await main(['export', '--db', 'x', '--data-dir', dir], io)).toBe(0);
    expect(io.out.text).toBe('m v=1 1700000000000000000\n');
  });

  it('reads STRATA_* variables, and flags win over them', async () => {
    const envDir = tempDir();
    const flagDir = tempDir();
    const env = { STRATA_DATA_DIR: envDir, STRATA_PORT: '1', STRATA_BIND: '127.0.0.1', STRATA_FSYNC: 'interval' };
    const s = await serveInProcess(['--port', '0', '--fsync', 'off'], env);
    expect(s.listening).toMatchObject({ dataDir: envDir, bind: '127.0.0.1', fsync: 'off' });
    expect(s.listening.port).not.toBe(1);
    expect(await s.stop()).toBe(0);
    const t = await serveInProcess(['--port', '0', '--data-dir', flagDir], env);
    expect(t.listening).toMatchObject({ dataDir: flagDir, fsync: 'interval' });
    expect(await t.stop()).toBe(0);
  });

  it('exits 1 with a clear log line when the port is taken', async () => {
    const dir = tempDir();
    const a = await serveInProcess(['--port', '0', '--bind', '127.0.0.1', '--data-dir', dir]);
    const io = testIo();
    const code = await main(['serve', '--port', String(a.listening.port), '--bind', '127.0.0.1', '--data-dir', tempDir()], io);
    expect(code).toBe(1);
    expect(io.err.text).toMatch(/port \d+ is in use/);
    expect(await a.stop()).toBe(0);
  });
});

describe('strata repair-wal', () => {
  it('reports an intact WAL', async () => {
    const dir = tempDir();
    expect(await main(['import', '-', '--db', 'd', '--data-dir', dir, '-q'], testIo({ input: 'm v=1 1\n' }))).toBe(0);
    const io = testIo();
    expect(await main(['repair-wal', '--data-dir', dir], io)).toBe(0);
    expect(io.out.text).toMatch(/^WAL is intact: \d+ records in 1 segment\(s\); nothing to repair\n$/);
  });
});
