// Test helpers for commands that run a server in-process (`strata serve`, `strata
// gateway`): start one on a free port, read its JSON log lines, wait for conditions.

import { main } from '../main.js';
import { testIo, type TestIo } from './io.js';

/** Polls `fn` every 20 ms until it returns something other than undefined. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The JSON log lines the command wrote to stderr so far. */
export function logLines(io: TestIo): Record<string, unknown>[] {
  return io.err.text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface RunningServer {
  io: TestIo;
  url: string;
  /** Asks it to stop (as SIGTERM would) and resolves to its exit status. */
  stop: () => Promise<number>;
}

/**
 * Runs `strata <command> --port 0 --bind 127.0.0.1 --no-warmup ...argv` until its
 * "listening" line (the start-up warm-up would cost each test server about half a second;
 * `--warmup` in argv turns it back on).
 */
export async function startServer(command: 'serve' | 'gateway', argv: string[], env: Record<string, string> = {}, ms = 10_000): Promise<RunningServer> {
  const ac = new AbortController();
  const io = testIo({ env, signal: ac.signal });
  const done = main([command, '--port', '0', '--bind', '127.0.0.1', '--no-warmup', ...argv], io);
  let exited: number | undefined;
  void done.then((c) => (exited = c));
  const listening = await waitFor(
    'the listening line',
    () => {
      if (exited !== undefined) throw new Error(`${command} exited ${exited}: ${io.err.text}`);
      return logLines(io).find((l) => String(l.msg).startsWith('listening'));
    },
    ms,
  );
  return { io, url: `http://127.0.0.1:${listening.port as number}`, stop: () => (ac.abort(), done) };
}
