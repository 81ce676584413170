import { sha256Hex, utf8 } from './sha256';

/** The server's upload digest of a week's ids (docs/upload-digests.md): what uploadDigests answers. */
export interface WeekDigest {
  count: number;
  digest: string;
}

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * The digest of ids: distinct ids lower-cased in ASCII, sorted by their UTF-8 bytes, joined by "\n", SHA-256 as
 * lower-case hex. JavaScript's default sort compares UTF-16 units, which orders characters beyond U+FFFF
 * differently from bytes, so the sort compares bytes.
 */
export function digestOf(ids: Iterable<string>): WeekDigest {
  const set = new Set<string>();
  for (const id of ids) set.add(asciiLower(id));
  const sorted = [...set].map((s) => ({ s, b: utf8(s) })).sort((x, y) => compareBytes(x.b, y.b));
  return { count: sorted.length, digest: sha256Hex(utf8(sorted.map((x) => x.s).join('\n'))) };
}

/** Monday 00:00 of the week holding t, in the IANA zone (UTC when omitted); weeks are 167 to 169 hours. */
export function weekStart(t: Date, timeZone = 'UTC'): Date {
  const p = localParts(t, timeZone);
  const dow = (p.weekday + 6) % 7; // Monday 0
  return localMidnight(p.year, p.month, p.day - dow, timeZone);
}

/** The Monday 00:00 seven local days after start. */
export function nextWeek(start: Date, timeZone = 'UTC', weeks = 1): Date {
  const p = localParts(start, timeZone);
  return localMidnight(p.year, p.month, p.day + 7 * weeks, timeZone);
}

interface Parts { year: number; month: number; day: number; weekday: number; hour: number; minute: number; second: number }

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(t: Date, timeZone: string): Parts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const m: Record<string, string> = {};
  for (const part of f.formatToParts(t)) m[part.type] = part.value;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return { year: +m.year, month: +m.month, day: +m.day, weekday: days.indexOf(m.weekday), hour: +m.hour % 24,
    minute: +m.minute, second: +m.second };
}

/** The instant of local midnight of the (normalized) date in the zone. */
function localMidnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  // The zone's offset at the guess, then once more at the corrected instant (DST edges).
  let t = guess - offsetMs(new Date(guess), timeZone);
  t = guess - offsetMs(new Date(t), timeZone);
  return new Date(t);
}

function offsetMs(t: Date, timeZone: string): number {
  const p = localParts(t, timeZone);
  const asUTC = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUTC - Math.floor(t.getTime() / 1000) * 1000;
}
