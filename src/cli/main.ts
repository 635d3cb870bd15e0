// The `strata` command: dispatches to a subcommand. Command modules are loaded on demand,
// so `strata help` does not load the server.
//
// Exit status: 0 success, 1 failure (or, for import, some bad lines; for verify, damage
// found), 2 usage error.
//
// Run directly (`node dist/cli/main.js serve`, `npx tsx src/cli/main.ts serve`) it calls
// main() with the process's arguments; bin/strata.js imports it and does the same.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, defaultIo, formatHelp, editDistance, type CliIo, type CommandSpec } from './args.js';

interface Command {
  summary: string;
  /** The command's spec, for `strata help NAME`. */
  spec: () => Promise<CommandSpec>;
  run: (argv: string[], io: CliIo) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'Run the HTTP server',
    spec: async () => (await import('./serve.js')).SERVE_SPEC,
    run: async (argv, io) => (await import('./serve.js')).runServe(argv, io),
  },
  gateway: {
    summary: 'Run the edge gateway: serve plus MQTT ingest and store-and-forward',
    spec: async () => (await import('./gateway.js')).GATEWAY_SPEC,
    run: async (argv, io) => (await import('./gateway.js')).runGateway(argv, io),
  },
  retention: {
    summary: "Show or set a database's retention policies and downsampling tiers",
    spec: async () => (await import('./retention.js')).RETENTION_SPEC,
    run: async (argv, io) => (await import('./retention.js')).runRetention(argv, io),
  },
  import: {
    summary: 'Bulk-load a line-protocol file into a data directory',
    spec: async () => (await import('./import.js')).IMPORT_SPEC,
    run: async (argv, io) => (await import('./import.js')).runImport(argv, io),
  },
  export: {
    summary: 'Write a database out as line protocol',
    spec: async () => (await import('./export.js')).EXPORT_SPEC,
    run: async (argv, io) => (await import('./export.js')).runExport(argv, io),
  },
  verify: {
    summary: 'Check every file of a data directory for damage (offline)',
    spec: async () => (await import('./verify.js')).VERIFY_SPEC,
    run: async (argv, io) => (await import('./verify.js')).runVerify(argv, io),
  },
  'repair-wal': {
    summary: 'Truncate a damaged write-ahead log so the server can start',
    spec: async () => (await import('./serve.js')).REPAIR_WAL_SPEC,
    run: async (argv, io) => (await import('./serve.js')).runRepairWal(argv, io),
  },
};

export function usage(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length), 4);
  const lines = [
    'Usage: strata COMMAND [flags]',
    '',
    'Strata: a time-series database for metrics and IoT (InfluxDB line protocol, Prometheus, SQL).',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n].summary}`),
    `  ${'help'.padEnd(w)}  Show help for a command: strata help COMMAND`,
    '',
    'Global flags:',
    '  -h, --help     Show help (also after any command)',
    '  -v, --version  Print the version',
    '',
    "Run 'strata COMMAND --help' for a command's flags. Docs: docs/cli.md",
  ];
  return lines.join('\n') + '\n';
}

export function version(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'strata' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

/** Runs the `strata` command line `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined) {
      io.stderr.write(usage());
      return 2;
    }
    if (cmd === '-h' || cmd === '--help') {
      io.stdout.write(usage());
      return 0;
    }
    if (cmd === '-v' || cmd === '--version' || cmd === 'version') {
      io.stdout.write(`strata ${version()}\n`);
      return 0;
    }
    if (cmd === 'help') {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(usage());
        return 0;
      }
      const c = COMMANDS[topic];
      if (!c) throw new UsageError(unknownCommand(topic));
      io.stdout.write(formatHelp(await c.spec()));
      return 0;
    }
    const c = COMMANDS[cmd];
    if (!c) throw new UsageError(cmd.startsWith('-') ? `unknown flag ${cmd}: put flags after the command` : unknownCommand(cmd));
    return await c.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      const where = err.command ? `strata ${err.command}` : 'strata';
      io.stderr.write(`${where}: ${err.message}\n`);
      io.stderr.write(`Run '${err.command ? `strata ${err.command} --help` : 'strata help'}' for usage.\n`);
      return 2;
    }
    const e = err as Error & { code?: string };
    io.stderr.write(`strata${cmd ? ` ${cmd}` : ''}: ${e.message ?? String(err)}\n`);
    return 1;
  }
}

function unknownCommand(name: string): string {
  const close = Object.keys(COMMANDS)
    .concat('help')
    .map((n) => ({ n, d: editDistance(name, n) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  return `unknown command "${name}"${close ? ` (did you mean "${close.n}"?)` : ''}`;
}

function isEntryModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(fs.realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryModule()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`strata: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
