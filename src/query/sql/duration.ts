// Durations of INTERVAL '...' and time_bucket('5m', ...): one or more "<number> <unit>"
// parts ('1 hour 30 minutes', '90s', '1.5h'), as nanoseconds.

const UNITS: Record<string, bigint> = {
  ns: 1n, nanosecond: 1n, nanoseconds: 1n,
  us: 1000n, µs: 1000n, microsecond: 1000n, microseconds: 1000n,
  ms: 1_000_000n, millisecond: 1_000_000n, milliseconds: 1_000_000n,
  s: 1_000_000_000n, sec: 1_000_000_000n, secs: 1_000_000_000n, second: 1_000_000_000n, seconds: 1_000_000_000n,
  m: 60_000_000_000n, min: 60_000_000_000n, mins: 60_000_000_000n, minute: 60_000_000_000n, minutes: 60_000_000_000n,
  h: 3_600_000_000_000n, hr: 3_600_000_000_000n, hrs: 3_600_000_000_000n, hour: 3_600_000_000_000n, hours: 3_600_000_000_000n,
  d: 86_400_000_000_000n, day: 86_400_000_000_000n, days: 86_400_000_000_000n,
  w: 604_800_000_000_000n, week: 604_800_000_000_000n, weeks: 604_800_000_000_000n,
};

export function parseDuration(text: string): bigint | null {
  const s = text.trim().toLowerCase();
  if (s === '') return null;
  const re = /\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zµ]+)\s*/y;
  let total = 0n;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return null;
    const unit = UNITS[m[2]];
    if (unit === undefined) return null;
    const [whole, frac = ''] = m[1].split('.');
    const scale = 10n ** BigInt(frac.length);
    total += (BigInt(whole + frac) * unit) / scale;
    at = re.lastIndex;
  }
  return total;
}
