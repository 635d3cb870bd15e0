// `strata retention`: shows or sets a database's retention policies and downsampling tiers
// on a running server, through its admin API (PUT/GET /admin/retention; see
// docs/http-api.md). Talking to the server rather than the data directory means the
// change takes effect at once and the downsampler picks the new tiers up.

import { UsageError, formatHelp, parseArgs, type CliIo, type CommandSpec } from './args.js';

export const RETENTION_SPEC: CommandSpec = {
  name: 'retention',
  summary: "Show or set a database's retention policies and downsampling tiers",
  usage: 'retention --db NAME [--rp NAME] [--duration D] [--tiers LIST] [--default] [flags]',
  description:
    'Without --duration, --shard-duration, --tiers or --default, prints the policies of the\n' +
    'database as JSON. Otherwise creates or changes policy --rp (default "autogen").\n\n' +
    'Durations: 30s, 15m, 1h30m, 7d, 52w; "INF" or 0 keeps data forever.\n' +
    '--tiers takes RESOLUTION[:DURATION[:GRACE]] items separated by commas, finest first, each\n' +
    "resolution a whole multiple of the one before; 'none' removes all tiers. A tier keeps\n" +
    'min, max, sum, count, first and last per series and window for DURATION (default: forever);\n' +
    'late points change its rollup for GRACE after the window ends (default 1h).',
  flags: [
    { name: 'url', type: 'string', placeholder: 'URL', default: 'http://127.0.0.1:8086', env: 'STRATA_URL', description: 'The server.' },
    { name: 'db', type: 'string', placeholder: 'NAME', description: 'Database (required).' },
    { name: 'rp', type: 'string', placeholder: 'NAME', default: 'autogen', description: 'Retention policy to set.' },
    { name: 'duration', type: 'string', placeholder: 'D', description: 'How long raw points are kept.' },
    { name: 'shard-duration', type: 'string', placeholder: 'D', description: 'Time span of each new shard.' },
    { name: 'tiers', type: 'string', placeholder: 'LIST', description: 'Downsampling tiers, e.g. 1m:90d,1h:5y (replaces the list).' },
    { name: 'default', type: 'boolean', description: "Make the policy the database's default." },
  ],
  examples: [
    'strata retention --db telegraf',
    'strata retention --db telegraf --duration 7d --tiers 1m:90d,1h:INF',
    'strata retention --db sensors --rp year --duration 52w --default',
  ],
};

/** Parses the --tiers list into the admin API's JSON. */
export function parseTiers(s: string): { resolution: string; duration?: string; grace?: string }[] {
  if (s.trim() === 'none') return [];
  return s.split(',').map((item, i) => {
    const parts = item.trim().split(':');
    if (parts.length > 3 || parts[0] === '' || parts.some((p) => p.trim() === '')) {
      throw new UsageError(`--tiers: item ${i + 1} "${item}" is not RESOLUTION[:DURATION[:GRACE]], e.g. 1m:90d or 1h:INF:2h`, 'retention');
    }
    const [resolution, duration, grace] = parts.map((p) => p.trim());
    return { resolution, ...(duration === undefined ? {} : { duration }), ...(grace === undefined ? {} : { grace }) };
  });
}

export async function runRetention(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(RETENTION_SPEC, argv, io.env);
  if (args.help) {
    io.stdout.write(formatHelp(RETENTION_SPEC));
    return 0;
  }
  const db = args.string('db');
  if (!db) throw new UsageError('--db is required', 'retention');
  const base = args.string('url')!.replace(/\/+$/, '');
  const body: Record<string, unknown> = {};
  if (args.has('duration')) body.duration = args.string('duration');
  if (args.has('shard-duration')) body.shardDuration = args.string('shard-duration');
  if (args.has('tiers')) body.tiers = parseTiers(args.string('tiers')!);
  if (args.boolean('default')) body.default = true;
  const set = Object.keys(body).length > 0;
  const url = set ? `${base}/admin/retention/${encodeURIComponent(db)}/${encodeURIComponent(args.string('rp')!)}` : `${base}/admin/retention?db=${encodeURIComponent(db)}`;
  let res: Response;
  try {
    res = await fetch(url, set ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
  } catch (err) {
    io.stderr.write(`strata retention: cannot reach ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}; is the server running? (--url)\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: print as it came
    }
    io.stderr.write(`strata retention: ${res.status}: ${msg}\n`);
    return 1;
  }
  io.stdout.write(JSON.stringify(JSON.parse(text), null, 2) + '\n');
  return 0;
}
