// The real `influx` 1.x shell (Debian's influxdb-client) against a real `strata serve`
// child: it pings for the version, creates a database, inserts points (its INSERT goes to
// /write), runs SELECT and SHOW statements (POST /query?chunked=true), in its table, JSON
// and CSV formats, with -execute and with statements piped on stdin, and prints errors
// the way it prints InfluxDB's. Skips (with the reason in the test name) when `influx` is
// not installed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ChildServer } from './helpers/child.js';

/** The shell: $INFLUX_BIN when set (only that), else Debian's or $PATH's. */
function findInflux(): string | null {
  const env = process.env.INFLUX_BIN;
  for (const p of env ? [env] : ['/usr/bin/influx', 'influx']) {
    const r = spawnSync(p, ['-version'], { encoding: 'utf8' });
    if (r.status === 0 && /InfluxDB shell version/.test(`${r.stdout}${r.stderr}`)) return p;
  }
  return null;
}
const INFLUX = findInflux();
const SKIP_REASON = INFLUX
  ? ''
  : ` (skipped: ${process.env.INFLUX_BIN ? `INFLUX_BIN=${process.env.INFLUX_BIN} does not run` : 'the influx shell is not installed; apt-get install influxdb-client'})`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let strata: ChildServer | undefined;
let dataDir = '';
const children = new Set<ChildProcess>();

/** Runs the shell against the Strata child, with `stdin` piped in when given. */
function influx(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(INFLUX!, ['-host', '127.0.0.1', '-port', String(strata!.port), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await influx(args, stdin);
  expect(r.stderr, `influx ${args.join(' ')}`).toBe('');
  expect(r.code, `influx ${args.join(' ')}: ${r.stdout}`).toBe(0);
  return r.stdout;
}

describe.skipIf(!INFLUX)(`the influx 1.x shell against strata serve${SKIP_REASON}`, () => {
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-influx-shell-'));
    strata = await spawnServer(['src/cli/main.ts', 'serve', '--port', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, '--fsync', 'off'], {
      onSpawn: (c) => children.add(c),
      maxLogs: 2000,
    });
  }, 30_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (strata && strata.child.exitCode === null) {
      strata.child.kill('SIGTERM');
      await strata.exit;
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a database, inserts points and reads them back with SELECT and SHOW', async () => {
    expect(await ok(['-execute', 'CREATE DATABASE shell'])).toBe('');
    expect(await ok(['-execute', 'SHOW DATABASES'])).toBe('name: databases\nname\n----\nshell\n');
    expect(await ok(['-database', 'shell', '-execute', 'INSERT cpu,host=a,region=eu v=1,n=2i 1000000000'])).toBe('');
    expect(await ok(['-database', 'shell', '-execute', 'INSERT cpu,host=b,region=us v=2.5 2000000000'])).toBe('');
    expect(await ok(['-database', 'shell', '-execute', 'SELECT * FROM cpu'])).toBe(
      ['name: cpu', 'time       host n region v', '----       ---- - ------ -', '1000000000 a    2 eu     1', '2000000000 b      us     2.5', ''].join('\n'),
    );
    expect(await ok(['-database', 'shell', '-precision', 'rfc3339', '-execute', "SELECT v FROM cpu WHERE host = 'b'"])).toBe(
      ['name: cpu', 'time                 v', '----                 -', '1970-01-01T00:00:02Z 2.5', ''].join('\n'),
    );
    expect(await ok(['-database', 'shell', '-execute', 'SELECT mean(v) FROM cpu GROUP BY host'])).toBe(
      ['name: cpu', 'tags: host=a', 'time mean', '---- ----', '0    1', '', 'name: cpu', 'tags: host=b', 'time mean', '---- ----', '0    2.5', ''].join('\n'),
    );
    expect(await ok(['-database', 'shell', '-execute', 'SHOW TAG VALUES WITH KEY = host'])).toBe(['name: cpu', 'key  value', '---  -----', 'host a', 'host b', ''].join('\n'));
    expect(await ok(['-execute', 'SHOW RETENTION POLICIES ON shell'])).toBe(
      ['name    duration shardGroupDuration replicaN default', '----    -------- ------------------ -------- -------', 'autogen 0s       168h0m0s           1        true', ''].join('\n'),
    );
  });

  it('prints JSON and CSV, and runs statements piped on stdin', async () => {
    await ok(['-execute', 'CREATE DATABASE fmt']);
    await ok(['-database', 'fmt', '-execute', 'INSERT m,t=x f=1 3000000000']);
    const json = JSON.parse(await ok(['-database', 'fmt', '-format', 'json', '-execute', 'SELECT * FROM m'])) as unknown;
    expect(json).toEqual({ results: [{ series: [{ name: 'm', columns: ['time', 'f', 't'], values: [[3000000000, 1, 'x']] }] }] });
    expect(await ok(['-database', 'fmt', '-format', 'csv', '-execute', 'SELECT * FROM m; SHOW FIELD KEYS'])).toBe('name,time,f,t\nm,3000000000,1,x\nname,fieldKey,fieldType\nm,f,float\n');
    // Not a terminal: the shell sends all of stdin as one query.
    expect(await ok(['-database', 'fmt'], 'SHOW MEASUREMENTS; SHOW TAG KEYS')).toBe(
      ['name: measurements', 'name', '----', 'm', '', 'name: m', 'tagKey', '------', 't', ''].join('\n'),
    );
  });

  it('prints statement and parse errors as it prints InfluxDB errors', async () => {
    const notFound = await influx(['-database', 'nodb', '-execute', 'SELECT * FROM cpu']);
    expect(notFound.code).toBe(1);
    expect(notFound.stdout).toBe('ERR: database not found: nodb\n');
    const parse = await influx(['-execute', 'SELEC']);
    expect(parse.code).toBe(1);
    expect(parse.stdout).toMatch(/^ERR: error parsing query: found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1\n/);
    // Users are accepted and ignored (Strata has no authentication).
    const user = await influx(['-execute', "CREATE USER admin WITH PASSWORD 'x' WITH ALL PRIVILEGES"]);
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/^warning: authentication is not implemented: CREATE USER was accepted and ignored/);
    expect(await ok(['-execute', 'SHOW USERS'])).toBe('user admin\n---- -----\n');
  });
});
