// Calendar arithmetic in an IANA time zone with Intl only: a "day" is a local day, 23 or 25 hours long across
// DST changes, exactly as the server cuts its DAY buckets.

const offsetFormats = new Map();

// offsetMs is how far local wall time in tz is ahead of UTC at instant ms.
function offsetMs(ms, tz) {
  let f = offsetFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit',
      day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    offsetFormats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

// dayStart is the instant local midnight of date (YYYY-MM-DD) begins in tz.
export function dayStart(date, tz) {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetMs(wall, tz);
  t = wall - offsetMs(t, tz); // once more: the offset at the guess may differ across a DST change
  return new Date(t);
}

export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export function todayIn(tz) {
  return dateIn(new Date(), tz);
}

// Building an Intl.DateTimeFormat costs far more than using one: a year of hourly points formatted with fresh
// ones took seconds. Each kind of format is built once per zone.
const formats = new Map();
function format(kind, tz, opts, locale) {
  const key = `${kind} ${tz}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: tz, ...opts });
    formats.set(key, f);
  }
  return f;
}

export function fmtDate(d, tz, weekday = false) {
  return format(weekday ? 'date+wd' : 'date', tz, { month: 'short', day: 'numeric', weekday: weekday ? 'short' : undefined }).format(d);
}

export function fmtTime(d, tz, seconds = false) {
  return format(seconds ? 'time+s' : 'time', tz, { hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined }).format(d);
}

export function fmtDateTime(d, tz) {
  return `${fmtDate(d, tz, true)}, ${fmtTime(d, tz)}`;
}

const numberFormats = new Map();
export function fmtNum(v, digits = 0) {
  let f = numberFormats.get(digits);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
    numberFormats.set(digits, f);
  }
  return f.format(Number(v));
}

export function fmtDuration(seconds) {
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function relative(ms, now) {
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

// fmtDay writes a calendar date (YYYY-MM-DD), which has no time zone, as "Tue, 3 Dec 2026".
export function fmtDay(date, weekday = true) {
  return format(weekday ? 'day+wd' : 'day', 'UTC', { year: 'numeric', month: 'short', day: 'numeric',
    weekday: weekday ? 'short' : undefined }).format(new Date(`${date}T12:00:00Z`));
}

// dateIn is the local calendar date (YYYY-MM-DD) of instant d in tz.
export function dateIn(d, tz) {
  return format('iso', tz, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(d);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000) + 1;
}
