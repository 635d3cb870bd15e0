// Exact time parameters: nanoseconds since the epoch as an integer, or an RFC 3339 time
// with up to 9 fractional digits, to a bigint of nanoseconds. `Date.parse` would round to
// milliseconds, and a float cannot hold a nanosecond timestamp (~1.7e18 > 2^53).

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const INTEGER = /^[+-]?\d{1,20}$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant, "chrono-compatible
 * low-level date algorithms", days_from_civil). Exact for any year held in a double. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** An RFC 3339 time as ns since the epoch, or null when it is not one (or out of int64). */
export function parseRfc3339(s: string): bigint | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null; // no leap seconds, as Go's time.Parse
  let offset = 0;
  if (m[8]) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return null;
    offset = (m[8] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  // < 2^39: exact as a double.
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  const fraction = m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n;
  const ns = BigInt(seconds) * 1_000_000_000n + fraction;
  return ns < INT64_MIN || ns > INT64_MAX ? null : ns;
}

/** An integer of ns since the epoch or an RFC 3339 time, as ns; null when neither. */
export function parseTime(s: string): bigint | null {
  if (INTEGER.test(s)) {
    const v = BigInt(s);
    return v < INT64_MIN || v > INT64_MAX ? null : v;
  }
  return parseRfc3339(s);
}
