// A Strata server as a real child process for the end-to-end tests: started from sources
// with tsx on port 0, its JSON log lines collected, resolved once it logs the port it
// listens on.

import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** stderr lines so far (JSON log lines), stdout chunks prefixed "stdout: ". */
  logs: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Added to the environment (which loses every STRATA_* and FLUSH_SERVER_* variable). */
  env?: Record<string, string>;
  /** Called with every JSON log line, before and after the server listens. */
  onLine?: (line: Record<string, unknown>) => void;
  /** Keep at most this many log lines (default: all). */
  maxLogs?: number;
  /** Called as soon as the process exists (to kill it when a test fails early). */
  onSpawn?: (child: ChildProcess) => void;
}

/** `node --import tsx ...args` from the repository root; resolves when it listens. */
export async function spawnServer(args: string[], opts: SpawnOptions = {}): Promise<ChildServer> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('STRATA_') && !k.startsWith('FLUSH_SERVER_')) env[k] = v;
  // No start-up warm-up (src/server/warmup.ts): it costs each server start about half a
  // second and tests measure nothing it helps. opts.env can turn it back on.
  env.STRATA_WARMUP = 'false';
  Object.assign(env, opts.env);
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  opts.onSpawn?.(child);
  const logs: string[] = [];
  const maxLogs = opts.maxLogs ?? Infinity;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stdout!.on('data', (d: Buffer) => logs.push(`stdout: ${d.toString()}`));
  const rl = readline.createInterface({ input: child.stderr! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen within 15 s:\n${logs.join('\n')}`)), 15_000);
    rl.on('line', (line) => {
      if (logs.length < maxLogs) logs.push(line);
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not JSON: kept in logs for the failure message
      }
      if (typeof j.msg === 'string' && j.msg.startsWith('listening') && typeof j.port === 'number') {
        clearTimeout(timer);
        resolve(j.port);
      }
      opts.onLine?.(j);
    });
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${e.code}, signal ${e.signal}) before listening:\n${logs.join('\n')}`));
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}`, logs, exit };
}
