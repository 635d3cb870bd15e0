// A real mosquitto broker for tests: a temporary config on a free loopback port, started as a
// child process and stopped by its pid.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../testing/net.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export function hasMosquitto(): boolean {
  return fs.existsSync(MOSQUITTO);
}

export interface Broker {
  url: string;
  port: number;
  /** Stops the broker (SIGTERM by pid, SIGKILL after 2 s) and removes its directory. */
  stop(): Promise<void>;
}

function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve();
      });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > deadline) reject(new Error(`mosquitto did not listen on ${port} within ${ms} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Starts mosquitto; `port` reuses a port (to restart a broker in place). */
export async function startBroker(port?: number): Promise<Broker> {
  const p = port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [`listener ${p} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 100000', ''].join('\n'));
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort(p, 5000),
      exited.then(() => {
        throw new Error(`mosquitto exited at start: ${stderr}`);
      }),
    ]);
  } catch (err) {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        const t = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
