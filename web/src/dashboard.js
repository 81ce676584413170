// The built-in dashboard: plain DOM plus uPlot, talking only to the public GraphQL API with a token the user
// pastes. The token lives in sessionStorage, so it goes away with the tab; range, zone and view live in the URL,
// so a reload or a shared link shows the same page.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { dayStart, addDays, todayIn, dateIn, daysBetween, fmtDate, fmtDay, fmtTime, fmtDateTime, fmtNum, fmtDuration,
  relative } from './time.js';
import { deviceName, sourceName, providerName, typeName, activityName } from './names.js';

const config = JSON.parse(document.getElementById('healthsync-config').textContent || '{}');
const endpoint = config.endpoint || '/graphql';
const TOKEN_KEY = 'healthsync.dashboard.token';
const REFRESH_MS = 60000;
// Hourly heart rate (for the derived resting rate) is read for ranges up to this many days: the API answers at
// most 10,000 buckets.
const HOURLY_MAX_DAYS = 400;

const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#b91c1c', '#6d28d9', '#be185d', '#0f766e', '#475569'];
const STAGES = [
  ['asleep_deep', 'Deep', '#312e81'],
  ['asleep_core', 'Core', '#3b82f6'],
  ['asleep_rem', 'REM', '#22d3ee'],
  ['asleep_unspecified', 'Asleep', '#60a5fa'],
  ['awake', 'Awake', '#f97316'],
  ['in_bed', 'In bed', '#cbd5e1'],
];
const stageInfo = Object.fromEntries(STAGES.map(([k, label, color]) => [k, { label, color }]));
// Charts come in this order; the rest follow by name. Blood pressure is one chart of both values.
const FIRST = ['steps', 'heart_rate', 'resting_heart_rate', 'active_energy_burned', 'body_mass'];
const BP = ['blood_pressure_systolic', 'blood_pressure_diastolic'];

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
};

// ---- talking to the server ----

class LoadError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const TOKEN_HELP = 'Make a new one with `healthsync token --user YOU --scope read` and paste it above.';

// What a person can do about each error code; the server's own message for the rest (they are written for people).
function errorText(code, message) {
  switch (code) {
    case 'UNAUTHENTICATED':
      return `The token was not accepted: it is mistyped, expired or from another server. ${TOKEN_HELP}`;
    case 'FORBIDDEN':
      return `This token may not read data (it lacks the read scope). ${TOKEN_HELP}`;
    case 'TIMEOUT':
      return 'The server took too long to answer. Choose a shorter range or press Load again.';
    case 'UNAVAILABLE':
      return 'The server cannot reach its database right now. Press Load again in a minute.';
    default:
      return message;
  }
}

function httpText(status) {
  if (status === 502 || status === 503 || status === 504) {
    return `The server did not answer (HTTP ${status} from the proxy or gateway in front of it). Check that healthsync is running, then press Load again.`;
  }
  return `The server answered HTTP ${status} without data. Press Load again; if that keeps failing, look at the server's log.`;
}

async function gql(token, query, variables) {
  let res;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new LoadError('NETWORK', 'The server could not be reached. Check your connection and that healthsync is running, then press Load again.');
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new LoadError(`HTTP_${res.status}`, httpText(res.status));
  }
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    const code = (e.extensions && e.extensions.code) || 'ERROR';
    throw new LoadError(code, errorText(code, e.message));
  }
  if (!res.ok || !body.data) throw new LoadError(`HTTP_${res.status}`, httpText(res.status));
  return body.data;
}

const DASHBOARD = `query Dashboard($from: Time!, $to: Time!, $fromDate: Date!, $toDate: Date!, $tz: String) {
  me { id }
  metrics { name displayName unitLabel aggregation sampleCount firstSample lastSample }
  stepSources: sourceBreakdown(metric: "steps", from: $from, to: $to) { source { id name productType deviceModel } total mergedContribution }
  sleep(from: $from, to: $to, timeZone: $tz) { start end isNap source { name productType } asleepMinutes
    deepMinutes remMinutes efficiency stages { stage start end } }
  workouts(from: $from, to: $to, first: 100) { edges { node { id activityType start end durationSeconds energyKcal distanceMeters
    averageHeartRate maxHeartRate source { name productType } alsoRecordedBy { name productType } } } }
  devices { id provider model osVersion appVersion timeZone lastSeen }
  syncState { deviceId dataType status lastUploadAt lastDataAt newestSampleEnd count }
  days: dailySummary(from: $fromDate, to: $toDate, timeZone: $tz) { date steps restingHeartRate sleepMinutes workouts }
}`;

// The second request: a daily series of every metric the user has, the per-source steps and, when there are no
// resting heart rate samples, hourly heart rate to derive one from.
function chartsQuery(metricNames, sourceCount, hourly) {
  const vars = ['$from: Time!', '$to: Time!', '$tz: String'];
  const fields = metricNames.map((name, i) =>
    `m${i}: series(metric: "${name}", from: $from, to: $to, bucket: DAY, timeZone: $tz) { columns { start value min max } }`);
  for (let i = 0; i < sourceCount; i++) {
    vars.push(`$id${i}: ID!`);
    fields.push(`s${i}: series(metric: "steps", from: $from, to: $to, bucket: DAY, timeZone: $tz, sources: [$id${i}], merge: NONE) { columns { start value } }`);
  }
  if (hourly) fields.push('hourly: series(metric: "heart_rate", from: $from, to: $to, bucket: HOUR, timeZone: $tz) { columns { start value } }');
  return `query Charts(${vars.join(', ')}) {\n  ${fields.join('\n  ')}\n}`;
}

// Series are read as columns (parallel lists: far cheaper for the server than an object per bucket).
function pointsOf(series) {
  const c = series.columns;
  return c.start.map((start, i) => {
    const p = { start };
    for (const k of Object.keys(c)) if (k !== 'start') p[k] = c[k][i];
    return p;
  });
}

// ---- state and layout ----

const params = new URLSearchParams(window.location.search);
const zoneOK = (tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  tz: params.get('tz') && zoneOK(params.get('tz')) ? params.get('tz') : deviceZone,
  from: '',
  to: '',
  stepsView: params.get('view') === 'sources' ? 'sources' : 'merged',
  tables: params.get('show') === 'tables',
  data: null, // what is on screen, with the range and zone it answers
  charts: [],
  seq: 0, // the latest load; answers of older ones are dropped
  timer: null,
  live: null, // the syncEvents websocket while it is up
  liveRetry: null,
};
const isDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s || '');
state.to = isDate(params.get('to')) ? params.get('to') : todayIn(state.tz);
state.from = isDate(params.get('from')) ? params.get('from') : addDays(state.to, -13);

const root = document.getElementById('dashboard');
root.textContent = '';

const tokenInput = el('input', { type: 'password', id: 'token', placeholder: 'Paste a bearer token (scope read)', autocomplete: 'off', value: state.token });
const fromInput = el('input', { type: 'date', id: 'from', value: state.from });
const toInput = el('input', { type: 'date', id: 'to', value: state.to });
const tzInput = el('input', { type: 'text', id: 'tz', value: state.tz, list: 'tz-list', spellcheck: 'false' });
const tzList = el('datalist', { id: 'tz-list' },
  (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).map((z) => el('option', { value: z })));
const loadButton = el('button', { type: 'submit', class: 'primary', id: 'load' }, 'Load');
const autoRefresh = el('input', { type: 'checkbox', id: 'auto', checked: true });
const liveBadge = el('span', { class: 'live off', id: 'live', role: 'status' }, 'offline');
const status = el('span', { class: 'status', id: 'status' });
const banner = el('div', { class: 'banner hidden', id: 'banner', role: 'alert' });
const caption = el('p', { class: 'caption', id: 'caption', 'aria-live': 'polite' });

const form = el('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); apply(); } },
  el('label', { class: 'token' }, 'Token', tokenInput),
  el('label', {}, 'From', fromInput),
  el('label', {}, 'To', toInput),
  el('label', { class: 'zone' }, 'Time zone', tzInput, tzList),
  el('div', { class: 'buttons' }, loadButton, el('button', { type: 'button', onclick: forget }, 'Forget token')),
  el('label', { class: 'check' }, autoRefresh, 'Live updates'),
  liveBadge,
);

const toggle = (id, label, options, current, onPick) => {
  const group = el('div', { class: 'toggle', role: 'group', 'aria-label': label, id });
  for (const [value, text] of options) {
    group.append(el('button', { type: 'button', 'data-value': value, 'aria-pressed': String(value === current),
      onclick: () => { for (const b of group.children) b.setAttribute('aria-pressed', String(b.dataset.value === value)); onPick(value); } }, text));
  }
  return group;
};
const showToggle = toggle('show-toggle', 'Show as', [['charts', 'Charts'], ['tables', 'Tables']], state.tables ? 'tables' : 'charts',
  (v) => { state.tables = v === 'tables'; writeURL(); render(); });
const stepsToggle = toggle('steps-toggle', 'Steps view', [['merged', 'Merged'], ['sources', 'By source']], state.stepsView,
  (v) => { state.stepsView = v; writeURL(); render(); });

const tiles = el('section', { class: 'tiles', id: 'tiles', 'aria-label': 'Summary' });
const chartsBox = el('div', { class: 'grid', id: 'charts' });
// Boxes that scroll take the keyboard focus, so they can be scrolled without a mouse.
const sleepBox = el('div', { class: 'sleep', id: 'sleep', tabindex: '0', role: 'region', 'aria-label': 'Sleep sessions' });
const workoutsBox = el('div', { id: 'workouts' });
const syncBox = el('div', { id: 'sync' });
const zoneNotes = [];
const zoneNote = () => {
  const n = el('span', { class: 'sub zone-note' });
  zoneNotes.push(n);
  return n;
};
const card = (id, title, subtitle, ...body) =>
  el('section', { class: 'card', id }, el('header', {}, el('h2', {}, title), subtitle), ...body);
const content = el('main', { id: 'content' },
  tiles,
  chartsBox,
  el('div', { class: 'grid' },
    card('card-sleep', 'Sleep', zoneNote(), sleepBox),
    card('card-workouts', 'Workouts', zoneNote(), workoutsBox)),
  card('card-sync', 'Sync state', zoneNote(), syncBox));

root.append(
  el('header', { class: 'top' }, el('h1', {}, 'healthsync ', el('span', {}, 'dashboard')), status),
  form,
  banner,
  el('div', { class: 'captionbar' }, caption, showToggle),
  content,
);

function showBanner(msg, kind = 'error') {
  banner.className = `banner ${kind}`;
  banner.textContent = msg;
}
function hideBanner() {
  banner.className = 'banner hidden';
  banner.textContent = '';
}

function writeURL() {
  const p = new URLSearchParams({ from: state.from, to: state.to, tz: state.tz });
  if (state.stepsView !== 'merged') p.set('view', state.stepsView);
  if (state.tables) p.set('show', 'tables');
  history.replaceState(null, '', `${window.location.pathname}?${p}`);
}

function rangeText(d) {
  return `${fmtDay(d.from)} – ${fmtDay(d.to)}`;
}

// The caption says what the cards show, which is not always what the inputs say: while loading, and after a
// failed load that left older data on screen.
function setCaption(kind, text) {
  caption.dataset.kind = kind;
  caption.textContent = text;
}

function setBusy(busy) {
  loadButton.disabled = busy;
  loadButton.textContent = busy ? 'Loading…' : 'Load';
  content.setAttribute('aria-busy', String(busy));
  content.classList.toggle('loading', busy);
}

// clear removes every number from the page: after a refused token or impossible inputs nothing on it is true.
function clear() {
  state.data = null;
  content.classList.remove('stale');
  render();
}

function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = '';
  tokenInput.value = '';
  clearTimeout(state.timer);
  closeLive();
  clear();
  setCaption('none', 'Nothing shown: no token.');
  showBanner('Token forgotten. Paste a token to load data.', 'info');
}

function apply() {
  state.token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
  state.tz = tzInput.value.trim() || 'UTC';
  state.from = fromInput.value;
  state.to = toInput.value;
  if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
  if (state.live && state.live.token !== state.token) closeLive();
  load();
}

function fail(msg) {
  document.body.dataset.state = 'error';
  clear();
  setCaption('none', 'Nothing shown: fix the problem above.');
  showBanner(msg);
}

async function load() {
  clearTimeout(state.timer);
  const seq = ++state.seq;
  if (!state.token) {
    clear();
    setCaption('none', 'Nothing shown yet.');
    showBanner('Paste a bearer token with the read scope (make one with `healthsync token --user YOU --scope read`).', 'info');
    return;
  }
  if (!zoneOK(state.tz)) {
    fail(`"${state.tz}" is not a time zone this browser knows. Use a name such as Europe/Berlin or America/New_York (the list offers them as you type).`);
    return;
  }
  if (!isDate(state.from) || !isDate(state.to) || state.from > state.to) {
    fail('Choose a date range: both dates are needed, and From must not be after To.');
    return;
  }
  writeURL();
  const want = { from: state.from, to: state.to, tz: state.tz };
  const t0 = performance.now();
  document.body.dataset.state = 'loading';
  setBusy(true);
  setCaption('loading', `Loading ${rangeText(want)}, times in ${want.tz}…`);
  const vars = {
    from: dayStart(want.from, want.tz).toISOString(),
    to: dayStart(addDays(want.to, 1), want.tz).toISOString(),
    fromDate: want.from,
    toDate: want.to,
    tz: want.tz,
  };
  try {
    const data = await gql(state.token, DASHBOARD, vars);
    const t1 = performance.now();
    if (seq !== state.seq) return;
    const metrics = new Map(data.metrics.map((m) => [m.name, m]));
    const has = (n) => metrics.has(n) && metrics.get(n).sampleCount > 0;
    const charted = data.metrics.filter((m) => m.sampleCount > 0).map((m) => m.name);
    const sources = data.stepSources.slice(0, 8);
    const hourly = has('heart_rate') && !has('resting_heart_rate') && daysBetween(want.from, want.to) <= HOURLY_MAX_DAYS;
    const cv = { from: vars.from, to: vars.to, tz: vars.tz };
    sources.forEach((s, i) => { cv[`id${i}`] = s.source.id; });
    const more = charted.length || sources.length || hourly ? await gql(state.token, chartsQuery(charted, sources.length, hourly), cv) : {};
    if (seq !== state.seq) return;
    // For the browser test: where the time to the first chart goes.
    document.body.dataset.requestsMs = `${Math.round(t1 - t0)}+${Math.round(performance.now() - t1)}`;
    state.data = {
      ...data, ...want, metrics, loadedAt: new Date(), t0,
      series: new Map(charted.map((n, i) => [n, pointsOf(more[`m${i}`])])),
      bySource: sources.map((s, i) => ({ source: s.source, points: pointsOf(more[`s${i}`]) })),
      restingRule: has('resting_heart_rate') ? 'samples' : hourly ? 'derived' : has('heart_rate') ? 'too-long' : 'none',
      derivedResting: hourly ? derivedResting(pointsOf(more.hourly), want.tz) : new Map(),
    };
    content.classList.remove('stale');
    hideBanner();
    setBusy(false);
    render();
    setCaption('data', `${rangeText(state.data)} · Times in ${state.data.tz}`);
    status.textContent = `user ${data.me.id} · updated ${fmtTime(state.data.loadedAt, state.data.tz, true)}`;
    document.body.dataset.state = 'loaded';
  } catch (err) {
    if (seq !== state.seq) return;
    setBusy(false);
    document.body.dataset.state = 'error';
    const code = err.code || 'ERROR';
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' || code === 'BAD_USER_INPUT' || !state.data) {
      clear();
      setCaption('none', 'Nothing shown: the data could not be loaded.');
    } else {
      // Older data stays, greyed and labelled, so a passing outage does not blank the page.
      content.classList.add('stale');
      setCaption('stale', `Out of date: showing ${rangeText(state.data)} (times in ${state.data.tz}) as loaded at ` +
        `${fmtTime(state.data.loadedAt, state.data.tz)}; the newest load failed.`);
    }
    showBanner(err instanceof LoadError ? err.message : `Could not load: ${err.message}`);
  }
  schedule();
}

// The resting heart rate, when no device records one: per local day, the lowest hourly average heart rate (a
// day needs at least 12 hours with readings, so a watch worn for an hour does not count). Apple derives its own
// from readings at rest; this rule tracks it within a few bpm for a watch worn day and night.
const RESTING_MIN_HOURS = 12;
function derivedResting(hours, tz) {
  const byDay = new Map();
  for (const p of hours) {
    const day = dateIn(new Date(p.start), tz);
    const d = byDay.get(day) || { n: 0, low: Infinity };
    d.n++;
    d.low = Math.min(d.low, p.value);
    byDay.set(day, d);
  }
  const out = new Map();
  for (const [day, d] of byDay) if (d.n >= RESTING_MIN_HOURS) out.set(day, d.low);
  return out;
}

// Updates: the syncEvents subscription reloads right after each committed upload; while it is down (older
// server, proxy without websockets) the page polls every minute instead.
function schedule() {
  clearTimeout(state.timer);
  if (!autoRefresh.checked || !state.data) {
    closeLive();
    return;
  }
  if (!state.live) openLive();
  if (!state.live || state.live.readyState !== WebSocket.OPEN || !state.live.acked) state.timer = setTimeout(load, REFRESH_MS);
}

function setLive(text, on) {
  liveBadge.textContent = text;
  liveBadge.className = `live ${on ? 'on' : 'off'}`;
}

function closeLive() {
  clearTimeout(state.liveRetry);
  if (state.live) {
    const ws = state.live;
    state.live = null;
    ws.close(1000);
  }
  setLive('offline', false);
}

function openLive() {
  const url = new URL(endpoint, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws;
  try {
    ws = new WebSocket(url, 'graphql-transport-ws');
  } catch {
    return;
  }
  const token = state.token;
  ws.token = token;
  state.live = ws;
  setLive('connecting…', false);
  let reloadTimer;
  ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }));
  ws.onmessage = (m) => {
    let msg;
    try {
      msg = JSON.parse(m.data);
    } catch {
      return;
    }
    if (msg.type === 'connection_ack') {
      ws.acked = true;
      clearTimeout(state.timer); // live now: no polling
      ws.send(JSON.stringify({ id: 'sync', type: 'subscribe', payload: {
        query: 'subscription Live { syncEvents { deviceId accepted updated deleted dataTypes at } }' } }));
      setLive('live', true);
    } else if (msg.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong' }));
    } else if (msg.type === 'next' && msg.payload && msg.payload.data) {
      const e = msg.payload.data.syncEvents;
      const d = state.data && state.data.devices.find((x) => x.id === e.deviceId);
      setLive(`live · ${d ? deviceName(d) : 'a new device'}: +${e.accepted} at ${fmtTime(new Date(e.at), state.tz)}`, true);
      // A phone often sends several batches in a row: one reload after the burst.
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(load, 800);
    } else if (msg.type === 'error' || (msg.type === 'next' && msg.payload && msg.payload.errors)) {
      ws.close(1000);
    }
  };
  ws.onclose = (ev) => {
    if (state.live !== ws) return; // closed on purpose
    state.live = null;
    setLive(ev.code === 4403 ? 'offline (token refused)' : 'offline · polling', false);
    if (state.data && autoRefresh.checked) {
      clearTimeout(state.timer);
      state.timer = setTimeout(load, REFRESH_MS);
      if (ev.code !== 4403) state.liveRetry = setTimeout(() => { if (!state.live && autoRefresh.checked) openLive(); }, 15000);
    }
  };
}

autoRefresh.addEventListener('change', schedule);

// ---- rendering ----

function render() {
  for (const c of state.charts) c.destroy();
  state.charts = [];
  const tz = state.data ? state.data.tz : state.tz;
  for (const n of zoneNotes) n.textContent = `times in ${tz}`;
  renderTiles();
  renderCharts();
  renderSleep();
  renderWorkouts();
  renderSync();
}

// where says where a metric's data is when the range has none.
function where(m) {
  if (!m || !m.sampleCount || !m.firstSample) return 'There is none at all yet: upload some from a phone or import an export.';
  const tz = state.data.tz;
  return `Your ${m.displayName.toLowerCase()} data runs from ${fmtDay(dateIn(new Date(m.firstSample), tz))} to ${fmtDay(dateIn(new Date(m.lastSample), tz))}.`;
}

function emptyState(box, msg, jump) {
  box.textContent = '';
  box.dataset.points = '0';
  box.append(el('p', { class: 'empty' }, msg, jump ? el('br') : null, jump || null));
}

// jumpTo offers the last 30 days up to a metric's newest sample, where its data is.
function jumpTo(m) {
  if (!m || !m.lastSample) return null;
  const to = dateIn(new Date(m.lastSample), state.data.tz);
  const from = addDays(to, -29);
  return el('button', { type: 'button', class: 'jump', onclick: () => {
    fromInput.value = from;
    toInput.value = to;
    apply();
  } }, `Show ${fmtDay(from, false)} – ${fmtDay(to, false)}`);
}

const NOT_LOADED = 'Nothing loaded.';

function renderTiles() {
  tiles.textContent = '';
  const d = state.data;
  const days = d ? d.days : [];
  const avg = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const vals = (k) => days.map((x) => x[k]).filter((v) => v !== null && v !== undefined);
  const tile = (id, label, value, unit, note) => el('div', { class: 'tile', id },
    el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value === null ? '–' : value, value === null || !unit ? '' : el('small', {}, ` ${unit}`)),
    el('span', { class: 'note' }, note));
  const none = d ? 'none in this range' : NOT_LOADED;
  const steps = avg(vals('steps'));
  const sleep = avg(vals('sleepMinutes'));
  let resting = avg(vals('restingHeartRate'));
  let restingNote = resting === null ? none : 'average of the days';
  if (d && resting === null) {
    const derived = [...d.derivedResting.values()];
    if (d.restingRule === 'derived' && derived.length) {
      resting = avg(derived);
      restingNote = 'estimated: lowest hourly average per day (no resting samples)';
    } else if (d.restingRule === 'derived' || d.restingRule === 'none') {
      restingNote = 'no resting samples, and too little heart rate to estimate one';
    } else if (d.restingRule === 'too-long') {
      restingNote = `no resting samples; estimated for ranges up to ${HOURLY_MAX_DAYS} days`;
    }
  }
  const workouts = d ? d.workouts.edges.length : null;
  tiles.append(
    tile('tile-steps', 'Steps / day', steps === null ? null : fmtNum(steps), '', steps === null ? none : 'average of days with steps'),
    tile('tile-resting', 'Resting heart rate', resting === null ? null : fmtNum(resting), 'bpm', restingNote),
    tile('tile-sleep', 'Sleep / night', sleep === null ? null : fmtDuration(sleep * 60), '', sleep === null ? none : 'average asleep time'),
    tile('tile-workouts', 'Workouts', workouts === null || workouts === 0 ? null : fmtNum(workouts), '', workouts ? 'in this range' : none),
  );
}

function dayAxis(d) {
  // Every local day of the range, so days without data show as gaps and the per-source bars line up.
  const xs = [];
  for (let day = d.from; day <= d.to; day = addDays(day, 1)) xs.push(dayStart(day, d.tz).getTime() / 1e3);
  return xs;
}

function alignTo(xs, points) {
  const m = new Map(points.map((p) => [Math.round(Date.parse(p.start) / 1e3), p]));
  return xs.map((x) => m.get(x) || null);
}

// The charts to draw: [key, title, subtitle, metrics...], one per metric with data, both blood pressures in one.
function chartList(d) {
  const names = [...d.metrics.values()].filter((m) => m.sampleCount > 0).map((m) => m.name);
  const order = (n) => (FIRST.includes(n) ? FIRST.indexOf(n) : FIRST.length);
  names.sort((a, b) => order(a) - order(b) || d.metrics.get(a).displayName.localeCompare(d.metrics.get(b).displayName));
  const list = [];
  for (const n of names) {
    if (BP.includes(n)) {
      if (!list.some((c) => c.key === 'blood_pressure')) list.push({ key: 'blood_pressure', title: 'Blood pressure', metrics: BP.filter((x) => names.includes(x)) });
      continue;
    }
    list.push({ key: n, title: d.metrics.get(n).displayName, metrics: [n] });
  }
  if (d.restingRule === 'derived' && d.derivedResting.size && !list.some((c) => c.key === 'resting_heart_rate')) {
    const at = list.findIndex((c) => c.key === 'heart_rate');
    list.splice(at + 1, 0, { key: 'resting_heart_rate', title: 'Resting heart rate (estimated)', metrics: [], derived: true });
  }
  return list;
}

function renderCharts() {
  chartsBox.textContent = '';
  const d = state.data;
  if (!d) {
    chartsBox.append(card('card-none', 'Charts', null, el('p', { class: 'empty' }, NOT_LOADED)));
    return;
  }
  const list = chartList(d);
  if (!list.length) {
    chartsBox.append(card('card-none', 'Charts', null, el('p', { class: 'empty' },
      'No data yet: upload from a phone, or import an Apple Health export (`healthsync import apple-export`).')));
    return;
  }
  const xs = dayAxis(d);
  for (const c of list) chartsBox.append(chartCard(d, c, xs));
  // uPlot needs the box in the document to measure it.
  for (const f of pending.splice(0)) f();
  if (!d.firstChartMs) {
    d.firstChartMs = performance.now();
    // For the browser test: time from the page's start, and from the first request, to the charts on screen.
    document.body.dataset.firstChartMs = String(Math.round(d.firstChartMs));
    document.body.dataset.loadMs = String(Math.round(d.firstChartMs - d.t0));
  }
}

const pending = [];

// A chart's model: its series of values per day, how to draw and how to read them.
function chartModel(d, c, xs) {
  const unitOf = (n) => d.metrics.get(n).unitLabel;
  if (c.derived) {
    const ys = xs.map((x) => { const v = d.derivedResting.get(dateIn(new Date(x * 1e3), d.tz)); return v === undefined ? null : v; });
    return { kind: 'line', unit: 'bpm', sub: 'lowest hourly average heart rate per day (no resting heart rate samples)',
      series: [{ label: 'Resting (estimated)', ys, color: PALETTE[3] }] };
  }
  if (c.key === 'blood_pressure') {
    return { kind: 'line', unit: 'mmHg', sub: 'daily average of systolic over diastolic, mmHg',
      series: c.metrics.map((n, i) => ({ label: n.endsWith('systolic') ? 'Systolic' : 'Diastolic',
        ys: alignTo(xs, d.series.get(n)).map((p) => (p ? p.value : null)), color: PALETTE[i ? 0 : 3] })) };
  }
  const m = d.metrics.get(c.key);
  const pts = alignTo(xs, d.series.get(c.key));
  if (m.aggregation === 'CUMULATIVE') {
    if (c.key === 'steps' && state.stepsView === 'sources' && d.bySource.length) {
      const raw = d.bySource.map((b) => alignTo(xs, b.points).map((p) => (p ? p.value : null)));
      return { kind: 'stack', unit: unitOf(c.key), sub: 'each source\'s own steps per day, stacked',
        series: raw.map((ys, i) => ({ label: sourceName(d.bySource[i].source), ys, color: PALETTE[i % PALETTE.length] })) };
    }
    return { kind: 'bars', unit: unitOf(c.key), sub: `daily total, ${unitOf(c.key)}`,
      series: [{ label: c.key === 'steps' ? 'Steps (merged)' : m.displayName, ys: pts.map((p) => (p ? p.value : null)), color: PALETTE[0] }] };
  }
  return { kind: 'band', unit: unitOf(c.key), sub: `daily average with min–max band, ${unitOf(c.key)}`,
    series: [
      { label: 'Average', ys: pts.map((p) => (p ? p.value : null)), color: PALETTE[3] },
      { label: 'Min', ys: pts.map((p) => (p && p.min != null ? p.min : null)), color: PALETTE[3], faint: true },
      { label: 'Max', ys: pts.map((p) => (p && p.max != null ? p.max : null)), color: PALETTE[3], faint: true },
    ] };
}

function chartCard(d, c, xs) {
  const model = chartModel(d, c, xs);
  const box = el('div', { class: 'chart', id: `chart-${c.key}` });
  const readout = el('p', { class: 'readout', id: `readout-${c.key}`, 'aria-live': 'polite' });
  const note = el('p', { class: 'note' });
  const head = c.key === 'steps' ? stepsToggle : null;
  const section = el('section', { class: 'card', id: `card-${c.key}` },
    el('header', {}, el('div', {}, el('h2', {}, c.title), el('span', { class: 'sub' }, model.sub)), head),
    box, readout, note);
  const main = model.series[0].ys;
  const withData = model.kind === 'stack'
    ? xs.filter((_, i) => model.series.some((s) => s.ys[i] != null)).length
    : main.filter((v) => v != null).length;
  box.dataset.points = String(model.kind === 'stack' ? model.series.reduce((a, s) => a + s.ys.filter((v) => v != null && v > 0).length, 0) : withData);
  if (!withData) {
    const m = d.metrics.get(c.metrics[0] || 'heart_rate');
    emptyState(box, `No ${c.title.toLowerCase()} between ${fmtDay(d.from, false)} and ${fmtDay(d.to, false)}. ${where(m)}`, jumpTo(m));
    return section;
  }
  const fmtV = (v) => (v == null ? '–' : `${fmtNum(v, model.unit === 'kg' || model.unit === '°C' ? 1 : 0)} ${model.unit}`);
  const valueText = (i) => model.series.filter((s) => !s.faint || model.kind === 'band')
    .map((s) => `${s.label} ${fmtV(s.ys[i])}`).join(', ');
  const dayText = (i) => fmtDate(new Date(xs[i] * 1e3), d.tz, true);
  const last = main.reduce((a, v, i) => (v != null ? i : a), -1);
  const show = (i) => {
    const empty = model.series.every((s) => s.ys[i] == null);
    readout.textContent = `${dayText(i)}: ${empty ? 'no data' : valueText(i)}`;
  };
  // A text alternative: what the chart shows, in one sentence.
  const nums = main.filter((v) => v != null);
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', `${c.title}, ${rangeText(d)}: ${withData} days with data, average ${fmtV(nums.reduce((a, b) => a + b, 0) / nums.length)}, ` +
    `lowest ${fmtV(Math.min(...nums))}, highest ${fmtV(Math.max(...nums))}.`);
  if (c.key === 'steps') {
    if (model.kind === 'stack') {
      const total = d.stepSources.reduce((a, x) => a + (x.total || 0), 0);
      const merged = d.stepSources.reduce((a, x) => a + (x.mergedContribution || 0), 0);
      note.textContent = `Each source's own samples, stacked: ${fmtNum(total)} in all, of which ${fmtNum(merged)} count after merging overlaps.`;
    } else {
      note.textContent = 'Overlapping sources are counted once (highest priority wins), as Apple Health does.';
    }
  }
  if (state.tables) {
    box.removeAttribute('role');
    box.removeAttribute('aria-label');
    box.append(dataTable(c, model, xs, dayText, fmtV));
    return section;
  }
  show(last);
  pending.push(() => {
    const u = drawChart(box, model, xs, d.tz, fmtV);
    state.charts.push(u);
    // Tap (or click) a day to read its values: hover does not exist on a phone.
    u.over.addEventListener('click', (e) => {
      const i = u.posToIdx(e.offsetX);
      if (i >= 0 && i < xs.length) show(i);
    });
  });
  return section;
}

function dataTable(c, model, xs, dayText, fmtV) {
  const shown = model.series;
  const rows = xs.map((_, i) => i).filter((i) => shown.some((s) => s.ys[i] != null));
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `${c.title} table` }, el('table', { class: 'values' },
    el('caption', { class: 'sr-only' }, `${c.title} per day`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Day'), shown.map((s) => el('th', { scope: 'col', class: 'num' }, s.label)))),
    el('tbody', {}, rows.map((i) => el('tr', {}, el('th', { scope: 'row' }, dayText(i)),
      shown.map((s) => el('td', { class: 'num' }, fmtV(s.ys[i]))))))));
}

function drawChart(box, model, xs, tz, fmtV) {
  const width = Math.max(220, box.clientWidth || 300);
  const small = width < 500;
  const bars = uPlot.paths.bars({ size: [0.7, 48] });
  const opts = {
    width,
    height: small ? 200 : 240,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), tz),
    cursor: { points: { size: 8 } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      { stroke: '#334155', grid: { stroke: '#eef2f7' }, font: '13px system-ui', space: small ? 60 : 80,
        // Local calendar dates: the x values are the starts of local days in the chosen time zone.
        values: (u, ticks) => ticks.map((t) => fmtDate(new Date(t * 1e3), tz)) },
      { stroke: '#334155', grid: { stroke: '#eef2f7' }, font: '13px system-ui', size: 64,
        // As many decimals as the tick spacing needs: weight ticks 0.2 kg apart must not all read "72".
        values: (u, ticks) => {
          const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
          const digits = step > 0 && step < 1 ? Math.min(3, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
          return ticks.map((t) => fmtNum(t, digits));
        } },
    ],
    series: [{ label: 'Day', value: (u, v) => (v == null ? '' : fmtDate(new Date(v * 1e3), tz, true)) }],
  };
  let data = [xs];
  if (model.kind === 'stack') {
    // Stacked bars: plot running totals, tallest first, so each source's band shows on top of the ones below.
    const raw = model.series.map((s) => s.ys.map((v) => v || 0));
    const cum = [];
    raw.forEach((ys, i) => cum.push(ys.map((v, j) => v + (i ? cum[i - 1][j] : 0))));
    const order = raw.map((_, i) => raw.length - 1 - i);
    data = data.concat(order.map((i) => cum[i].map((v) => (v ? v : null))));
    opts.series.push(...order.map((i) => ({ label: model.series[i].label, stroke: model.series[i].color, fill: model.series[i].color,
      paths: bars, points: { show: false }, value: (u, v, si, idx) => (idx == null ? '–' : fmtV(raw[i][idx])) })));
  } else {
    for (const s of model.series) {
      data.push(s.ys);
      if (model.kind === 'bars') {
        opts.series.push({ label: s.label, stroke: s.color, fill: 'rgba(29,78,216,0.75)', paths: bars, points: { show: false }, value: (u, v) => fmtV(v) });
      } else {
        opts.series.push({ label: s.label, stroke: s.color, width: s.faint ? 1 : 2.5, dash: s.faint ? [4, 4] : undefined,
          points: { show: !s.faint, size: 6, fill: s.color }, spanGaps: false, value: (u, v) => fmtV(v) });
      }
    }
    if (model.kind === 'band') opts.bands = [{ series: [3, 2], fill: 'rgba(185,28,28,0.12)' }];
  }
  if (model.kind === 'bars' || model.kind === 'stack') {
    // Bars start at zero, or the shortest day looks like nothing.
    opts.scales.y = { range: (u, min, max) => [0, uPlot.rangeNum(0, max, 0.1, true)[1]] };
  }
  return new uPlot(opts, data, box);
}

function renderSleep() {
  sleepBox.textContent = '';
  const d = state.data;
  if (!d) return emptyState(sleepBox, NOT_LOADED);
  const sessions = [...d.sleep].sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  if (!sessions.length) return emptyState(sleepBox, `No sleep between ${fmtDay(d.from, false)} and ${fmtDay(d.to, false)}. ${whereType(d, 'sleep')}`);
  sleepBox.dataset.points = String(sessions.length);
  const longest = Math.max(...sessions.map((s) => Date.parse(s.end) - Date.parse(s.start)));
  const legend = el('div', { class: 'legend', 'aria-hidden': 'true' }, STAGES.map(([, label, color]) =>
    el('span', {}, el('i', { style: `background:${color}` }), label)));
  const rows = sessions.map((s) => {
    const t0 = Date.parse(s.start);
    const span = Date.parse(s.end) - t0;
    const bar = el('div', { class: 'bar' });
    bar.style.width = `${(100 * span) / longest}%`;
    const segs = s.stages.length ? s.stages : [{ stage: 'asleep_unspecified', start: s.start, end: s.end }];
    for (const g of segs) {
      const a = Date.parse(g.start) - t0;
      const b = Date.parse(g.end) - t0;
      const info = stageInfo[g.stage] || { label: g.stage, color: '#94a3b8' };
      const seg = el('span', { class: 'seg', title: `${info.label} ${fmtTime(new Date(g.start), d.tz)}–${fmtTime(new Date(g.end), d.tz)}` });
      seg.style.cssText = `left:${(100 * a) / span}%;width:${Math.max(0.2, (100 * (b - a)) / span)}%;background:${info.color}`;
      bar.append(seg);
    }
    // The night is named by the local date of waking in the page's zone, like every other time on the page.
    const woke = dateIn(new Date(s.end), d.tz);
    return el('div', { class: `night${s.isNap ? ' nap' : ''}` },
      el('div', { class: 'when' },
        el('strong', {}, fmtDay(woke)),
        s.isNap ? el('span', { class: 'badge nap' }, 'nap') : null,
        el('span', { class: 'times' }, `${fmtTime(new Date(s.start), d.tz)}–${fmtTime(new Date(s.end), d.tz)}`)),
      el('div', { class: 'track', role: 'img', 'aria-label': segs.map((g) => (stageInfo[g.stage] || { label: g.stage }).label).join(', ') }, bar),
      el('div', { class: 'facts' },
        el('span', {}, el('strong', { class: 'asleep' }, fmtDuration(s.asleepMinutes * 60)), ' asleep'),
        el('span', { class: 'detail' }, `deep ${fmtDuration(s.deepMinutes * 60)} · REM ${fmtDuration(s.remMinutes * 60)}`
          + (s.efficiency != null ? ` · ${Math.round(s.efficiency * 100)}% efficient` : ''))));
  });
  sleepBox.append(legend, ...rows);
}

// whereType says where a category's data is, from the sync state (categories have no first/last sample).
function whereType(d, dataType) {
  const ends = d.syncState.filter((s) => s.dataType === dataType && s.newestSampleEnd).map((s) => Date.parse(s.newestSampleEnd));
  if (!ends.length) return `No ${typeName(dataType).toLowerCase()} data has been uploaded yet.`;
  return `The newest ${typeName(dataType).toLowerCase()} data uploaded ends ${fmtDay(dateIn(new Date(Math.max(...ends)), d.tz))}.`;
}

function renderWorkouts() {
  workoutsBox.textContent = '';
  const d = state.data;
  if (!d) return emptyState(workoutsBox, NOT_LOADED);
  const ws = d.workouts.edges.map((e) => e.node);
  if (!ws.length) return emptyState(workoutsBox, `No workouts between ${fmtDay(d.from, false)} and ${fmtDay(d.to, false)}. ${whereType(d, 'workout')}`);
  workoutsBox.dataset.points = String(ws.length);
  const cols = ['When', 'Activity', 'Duration', 'Distance', 'Energy', 'Avg heart rate', 'Max heart rate'];
  const cell = (i, v, cls) => el('td', { 'data-label': cols[i], class: cls }, v);
  const bpm = (v) => (v != null ? `${fmtNum(v)} bpm` : '–');
  workoutsBox.append(el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Workouts table' }, el('table', { class: 'workouts cards' },
    el('thead', {}, el('tr', {}, cols.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ws.map((w) => el('tr', {},
      cell(0, fmtDateTime(new Date(w.start), d.tz)),
      cell(1, [activityName(w.activityType), el('span', { class: 'src' }, sourceName(w.source),
        w.alsoRecordedBy.length ? `, also ${w.alsoRecordedBy.map(sourceName).join(', ')}` : '')], 'wrap'),
      cell(2, fmtDuration(w.durationSeconds), 'num'),
      cell(3, w.distanceMeters != null ? `${fmtNum(w.distanceMeters / 1000, 2)} km` : '–', 'num'),
      cell(4, w.energyKcal != null ? `${fmtNum(w.energyKcal)} kcal` : '–', 'num'),
      cell(5, bpm(w.averageHeartRate), 'num'),
      cell(6, bpm(w.maxHeartRate), 'num'),
    ))))));
}

function renderSync() {
  syncBox.textContent = '';
  const d = state.data;
  if (!d) return emptyState(syncBox, NOT_LOADED);
  const { devices, syncState } = d;
  if (!syncState.length) return emptyState(syncBox, 'No uploads yet.');
  syncBox.dataset.points = String(syncState.length);
  const stale = syncState.filter((s) => s.status === 'STALE');
  if (stale.length) {
    syncBox.append(el('div', { class: 'banner warn', id: 'stale-hint' },
      el('strong', {}, `${stale.length} data type${stale.length > 1 ? 's' : ''} stopped arriving`),
      ' while ', stale.length > 1 ? 'their devices keep' : 'its device keeps', ' uploading. ',
      'That usually means the Health permission was turned off: check Health permissions on the device ',
      '(iPhone: Settings › Health › Data Access & Devices › the app; Android: Health Connect › App permissions).'));
  }
  const byDevice = new Map();
  for (const s of syncState) {
    if (!byDevice.has(s.deviceId)) byDevice.set(s.deviceId, []);
    byDevice.get(s.deviceId).push(s);
  }
  const now = Date.now();
  const cols = ['Data type', 'Status', 'Last new data', 'Newest sample', 'Last upload', 'Items'];
  for (const [id, rows] of byDevice) {
    const dev = devices.find((x) => x.id === id) || { id, provider: '', lastSeen: null };
    rows.sort((a, b) => (a.status === b.status ? typeName(a.dataType, d.metrics).localeCompare(typeName(b.dataType, d.metrics)) : a.status === 'STALE' ? -1 : 1));
    const cell = (i, ...v) => el('td', { 'data-label': cols[i], class: i === 5 ? 'num' : undefined }, ...v);
    syncBox.append(el('div', { class: 'device', 'data-device': id },
      el('h3', {}, deviceName(dev), el('small', {}, [providerName(dev.provider), dev.osVersion, dev.appVersion && `app ${dev.appVersion}`]
        .filter(Boolean).join(' · ')), dev.lastSeen ? el('small', {}, `last upload ${relative(Date.parse(dev.lastSeen), now)}`) : null),
      el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `Sync state of ${deviceName(dev)}` }, el('table', { class: 'sync cards' },
        el('thead', {}, el('tr', {}, cols.map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, rows.map((s) => el('tr', { class: s.status === 'STALE' ? 'stale' : '', 'data-type': s.dataType },
          cell(0, typeName(s.dataType, d.metrics)),
          cell(1, el('span', { class: `badge ${s.status.toLowerCase()}` }, s.status === 'STALE' ? 'Stopped' : 'Active'),
            s.status === 'STALE' ? el('span', { class: 'hint' }, 'check Health permissions') : null),
          cell(2, s.lastDataAt ? relative(Date.parse(s.lastDataAt), now) : '–'),
          cell(3, s.newestSampleEnd ? fmtDateTime(new Date(s.newestSampleEnd), d.tz) : '–'),
          cell(4, relative(Date.parse(s.lastUploadAt), now)),
          cell(5, fmtNum(Number(s.count))))))))));
  }
}

let resizeTimer;
let lastWidth = window.innerWidth;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (state.data && window.innerWidth !== lastWidth) render();
    lastWidth = window.innerWidth;
  }, 150);
});

render();
if (state.token) load();
else {
  setCaption('none', 'Nothing shown yet.');
  showBanner('Paste a bearer token with the read scope to see your data. It is kept in this tab only (session storage).', 'info');
}
