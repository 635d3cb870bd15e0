// Test helpers for the CLI: an in-memory CliIo and throw-away data directories.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CliIo } from '../args.js';

export class Capture {
  chunks: string[] = [];
  isTTY = false;
  columns = 100;
  write(chunk: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    cb?.();
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

export interface TestIo extends CliIo {
  out: Capture;
  err: Capture;
}

export function testIo(over: Partial<CliIo> & { input?: string | Buffer } = {}): TestIo {
  const out = new Capture();
  const err = new Capture();
  const { input, ...rest } = over;
  return {
    stdout: out,
    stderr: err,
    stdin: Readable.from(input === undefined ? [] : [Buffer.from(input)]),
    env: {},
    cwd: process.cwd(),
    handleSignals: false,
    ...rest,
    out,
    err,
  };
}

const dirs: string[] = [];

export function tempDir(prefix = 'strata-cli-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
