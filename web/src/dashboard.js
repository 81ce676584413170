// The built-in dashboard: plain DOM plus uPlot, talking only to the public GraphQL API with a token the user
// pastes. The token lives in sessionStorage, so it goes away with the tab.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { dayStart, addDays, todayIn, fmtDate, fmtTime, fmtDateTime, fmtNum, fmtDuration, relative } from './time.js';

const config = JSON.parse(document.getElementById('healthsync-config').textContent || '{}');
const endpoint = config.endpoint || '/graphql';
const TOKEN_KEY = 'healthsync.dashboard.token';
const REFRESH_MS = 60000;

const PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#ec4899', '#14b8a6', '#64748b'];
const STAGES = [
  ['asleep_deep', 'Deep', '#312e81'],
  ['asleep_core', 'Core', '#3b82f6'],
  ['asleep_rem', 'REM', '#22d3ee'],
  ['asleep_unspecified', 'Asleep', '#60a5fa'],
  ['awake', 'Awake', '#f97316'],
  ['in_bed', 'In bed', '#cbd5e1'],
];
const stageInfo = Object.fromEntries(STAGES.map(([k, label, color]) => [k, { label, color }]));

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

async function gql(token, query, variables) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`HTTP ${res.status} from ${endpoint}`);
  }
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    const code = e.extensions && e.extensions.code;
    throw new Error(code ? `${code}: ${e.message}` : e.message);
  }
  return body.data;
}

const DASHBOARD = `query Dashboard($from: Time!, $to: Time!, $fromDate: Date!, $toDate: Date!, $tz: String) {
  me { id }
  steps: series(metric: "steps", from: $from, to: $to, bucket: DAY, timeZone: $tz) { unit timeZone columns { start value } }
  heart: series(metric: "heart_rate", from: $from, to: $to, bucket: DAY, timeZone: $tz) { unit columns { start value min max count } }
  stepSources: sourceBreakdown(metric: "steps", from: $from, to: $to) { source { id name deviceName productType } priority total mergedContribution }
  sleep(from: $from, to: $to, timeZone: $tz) { start end date isNap timeZone source { name } inBedMinutes asleepMinutes awakeMinutes
    coreMinutes deepMinutes remMinutes unspecifiedMinutes efficiency stages { stage start end } }
  workouts(from: $from, to: $to, first: 100) { edges { node { id activityType start end durationSeconds energyKcal distanceMeters
    averageHeartRate maxHeartRate timeZone source { name } alsoRecordedBy { name } } } }
  devices { id provider model osVersion appVersion timeZone lastSeen }
  syncState { deviceId dataType status lastUploadAt lastDataAt newestSampleEnd count }
  days: dailySummary(from: $fromDate, to: $toDate, timeZone: $tz) { date steps restingHeartRate sleepMinutes workouts activeEnergyKcal }
}`;

// Series are read as columns (parallel lists: far cheaper for the server than an object per bucket); the
// charts below take points, one object per bucket.
function pointsOf(series) {
  const c = series.columns;
  return c.start.map((start, i) => {
    const p = { start };
    for (const k of Object.keys(c)) if (k !== 'start') p[k] = c[k][i];
    return p;
  });
}

// One aliased series per source: the per-source view sums each source's own samples (merge NONE).
function perSourceQuery(n) {
  const fields = Array.from({ length: n }, (_, i) =>
    `s${i}: series(metric: "steps", from: $from, to: $to, bucket: DAY, timeZone: $tz, sources: [$id${i}], merge: NONE) { columns { start value } }`);
  const vars = Array.from({ length: n }, (_, i) => `$id${i}: ID!`).join(', ');
  return `query StepsBySource($from: Time!, $to: Time!, $tz: String, ${vars}) {\n  ${fields.join('\n  ')}\n}`;
}

// ---- state and layout ----

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
  from: '',
  to: '',
  stepsView: 'merged',
  data: null,
  bySource: null,
  charts: [],
  timer: null,
  live: null, // the syncEvents websocket while it is up
  liveRetry: null,
  lastEvent: '',
};
state.to = todayIn(state.tz);
state.from = addDays(state.to, -13);

const root = document.getElementById('dashboard');
root.textContent = '';

const tokenInput = el('input', { type: 'password', id: 'token', placeholder: 'Paste a bearer token (scope read)', autocomplete: 'off', value: state.token });
const fromInput = el('input', { type: 'date', id: 'from', value: state.from });
const toInput = el('input', { type: 'date', id: 'to', value: state.to });
const tzInput = el('input', { type: 'text', id: 'tz', value: state.tz, list: 'tz-list', size: 18 });
const tzList = el('datalist', { id: 'tz-list' },
  (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).map((z) => el('option', { value: z })));
const autoRefresh = el('input', { type: 'checkbox', id: 'auto', checked: true });
const liveBadge = el('span', { class: 'live off', id: 'live', title: 'syncEvents subscription' }, 'offline');
const status = el('span', { class: 'status', id: 'status' });
const banner = el('div', { class: 'banner hidden', id: 'banner', role: 'alert' });

const form = el('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); apply(); } },
  el('label', { class: 'token' }, 'Token', tokenInput),
  el('label', {}, 'From', fromInput),
  el('label', {}, 'To', toInput),
  el('label', {}, 'Time zone', tzInput, tzList),
  el('button', { type: 'submit', class: 'primary' }, 'Load'),
  el('button', { type: 'button', onclick: forget }, 'Forget token'),
  el('label', { class: 'check' }, autoRefresh, 'live updates'),
  liveBadge,
);

const tiles = el('section', { class: 'tiles', id: 'tiles' });
const stepsChart = el('div', { class: 'chart', id: 'steps-chart' });
const stepsToggle = el('div', { class: 'toggle', role: 'group' },
  el('button', { type: 'button', 'data-view': 'merged', class: 'on', onclick: () => setStepsView('merged') }, 'Merged'),
  el('button', { type: 'button', 'data-view': 'sources', onclick: () => setStepsView('sources') }, 'By source'));
const stepsNote = el('p', { class: 'note', id: 'steps-note' });
const heartChart = el('div', { class: 'chart', id: 'heart-chart' });
const sleepBox = el('div', { class: 'sleep', id: 'sleep' });
const workoutsBox = el('div', { class: 'table-wrap', id: 'workouts' });
const syncBox = el('div', { id: 'sync' });

const card = (title, subtitle, ...body) =>
  el('section', { class: 'card' }, el('header', {}, el('h2', {}, title), subtitle), ...body);

root.append(
  el('header', { class: 'top' }, el('h1', {}, 'healthsync ', el('span', {}, 'dashboard')), status),
  form,
  banner,
  tiles,
  el('div', { class: 'grid' },
    card('Steps per day', stepsToggle, stepsChart, stepsNote),
    card('Heart rate', el('span', { class: 'sub' }, 'daily average, min–max band'), heartChart),
    card('Sleep', el('span', { class: 'sub' }, 'nights by waking date; naps marked'), sleepBox),
    card('Workouts', null, workoutsBox),
  ),
  card('Sync state', el('span', { class: 'sub' }, 'per device and data type'), syncBox),
);

function showBanner(msg, kind = 'error') {
  banner.className = `banner ${kind}`;
  banner.textContent = msg;
}
function hideBanner() {
  banner.className = 'banner hidden';
  banner.textContent = '';
}

function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = '';
  tokenInput.value = '';
  state.data = null;
  clearTimeout(state.timer);
  closeLive();
  render();
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

function setStepsView(v) {
  state.stepsView = v;
  for (const b of stepsToggle.querySelectorAll('button')) b.classList.toggle('on', b.dataset.view === v);
  renderSteps();
}

async function load() {
  clearTimeout(state.timer);
  if (!state.token) {
    showBanner('Paste a bearer token with the read scope (e.g. `healthsync token --user you --scope read`).', 'info');
    return;
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: state.tz });
  } catch {
    showBanner(`Unknown time zone "${state.tz}".`);
    return;
  }
  if (!state.from || !state.to || state.from > state.to) {
    showBanner('Choose a date range: From must not be after To.');
    return;
  }
  status.textContent = 'loading…';
  document.body.dataset.state = 'loading';
  const vars = {
    from: dayStart(state.from, state.tz).toISOString(),
    to: dayStart(addDays(state.to, 1), state.tz).toISOString(),
    fromDate: state.from,
    toDate: state.to,
    tz: state.tz,
  };
  try {
    const data = await gql(state.token, DASHBOARD, vars);
    data.steps.points = pointsOf(data.steps);
    data.heart.points = pointsOf(data.heart);
    const sources = data.stepSources.slice(0, 8);
    let bySource = [];
    if (sources.length) {
      const sv = { from: vars.from, to: vars.to, tz: vars.tz };
      sources.forEach((s, i) => { sv[`id${i}`] = s.source.id; });
      const ps = await gql(state.token, perSourceQuery(sources.length), sv);
      bySource = sources.map((s, i) => ({ source: s.source, points: pointsOf(ps[`s${i}`]) }));
    }
    state.data = data;
    state.bySource = bySource;
    hideBanner();
    render();
    status.textContent = `user ${data.me.id} · updated ${fmtTime(new Date(), state.tz, true)}`;
    document.body.dataset.state = 'loaded';
  } catch (err) {
    document.body.dataset.state = 'error';
    status.textContent = '';
    showBanner(`Could not load: ${err.message}`);
  }
  schedule();
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
      state.lastEvent = `${e.deviceId}: +${e.accepted} at ${fmtTime(new Date(e.at), state.tz, true)}`;
      setLive(`live · ${state.lastEvent}`, true);
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
  renderTiles();
  renderSteps();
  renderHeart();
  renderSleep();
  renderWorkouts();
  renderSync();
}

function renderTiles() {
  tiles.textContent = '';
  const days = state.data ? state.data.days : [];
  const avg = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const vals = (k) => days.map((d) => d[k]).filter((v) => v !== null && v !== undefined);
  const tile = (label, value, unit) => el('div', { class: 'tile' }, el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value === null ? '–' : value, value === null ? '' : el('small', {}, unit)));
  const sleep = avg(vals('sleepMinutes'));
  tiles.append(
    tile('Steps / day', avg(vals('steps')) === null ? null : fmtNum(avg(vals('steps'))), ''),
    tile('Resting heart rate', avg(vals('restingHeartRate')) === null ? null : fmtNum(avg(vals('restingHeartRate'))), ' bpm'),
    tile('Sleep / night', sleep === null ? null : fmtDuration(sleep * 60), ''),
    tile('Workouts', state.data ? vals('workouts').reduce((a, b) => a + b, 0) : null, ''),
  );
}

function chartWidth(box) {
  return Math.max(280, box.clientWidth || box.parentElement.clientWidth - 32);
}

function baseOpts(box, yLabel) {
  const tz = state.tz;
  return {
    width: chartWidth(box),
    height: 240,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), tz),
    cursor: { points: { size: 6 } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      {
        stroke: '#475569',
        grid: { stroke: '#eef2f7' },
        // Local calendar dates: the x values are the starts of local days in the chosen time zone.
        values: (u, ticks) => ticks.map((t) => fmtDate(new Date(t * 1e3), tz)),
        space: 70,
      },
      {
        stroke: '#475569',
        grid: { stroke: '#eef2f7' },
        label: yLabel,
        labelSize: 18,
        size: 60,
        values: (u, ticks) => ticks.map((t) => fmtNum(t)),
      },
    ],
  };
}

function empty(box, msg) {
  box.textContent = '';
  box.dataset.points = '0';
  box.append(el('p', { class: 'empty' }, msg));
}

function dayAxis() {
  // Every local day of the range, so days without data show as gaps and the per-source bars line up.
  const xs = [];
  for (let d = state.from; d <= state.to; d = addDays(d, 1)) xs.push(dayStart(d, state.tz).getTime() / 1e3);
  return xs;
}

function alignTo(xs, points) {
  const m = new Map(points.map((p) => [Math.round(Date.parse(p.start) / 1e3), p]));
  return xs.map((x) => m.get(x) || null);
}

function renderSteps() {
  for (const c of state.charts.filter((c) => c.root.parentElement === stepsChart)) c.destroy();
  state.charts = state.charts.filter((c) => c.root.isConnected);
  stepsNote.textContent = '';
  if (!state.data) return empty(stepsChart, 'No data loaded.');
  const s = state.data.steps;
  if (!s.points.length) return empty(stepsChart, 'No steps in this range.');
  stepsChart.textContent = '';
  const xs = dayAxis();
  const bars = uPlot.paths.bars({ size: [0.7, 48] });
  const opts = baseOpts(stepsChart, 'steps (count)');
  // Bars start at zero, or the shortest day looks like nothing.
  opts.scales.y = { range: (u, min, max) => [0, uPlot.rangeNum(0, max, 0.1, true)[1]] };
  let data;
  if (state.stepsView === 'merged' || !state.bySource.length) {
    const ys = alignTo(xs, s.points).map((p) => (p ? p.value : null));
    data = [xs, ys];
    opts.series = [{ label: 'Date', value: (u, v) => (v == null ? '' : fmtDate(new Date(v * 1e3), state.tz, true)) },
      { label: 'Steps (merged)', stroke: '#2563eb', fill: 'rgba(37,99,235,0.75)', paths: bars, points: { show: false },
        value: (u, v) => (v == null ? '–' : fmtNum(v)) }];
    stepsChart.dataset.points = String(ys.filter((v) => v !== null).length);
    stepsNote.textContent = 'Overlapping sources are counted once (highest priority wins), as Apple Health does.';
  } else {
    // Stacked bars: plot running totals, tallest first, so each source's band shows on top of the ones below.
    const raw = state.bySource.map((b) => alignTo(xs, b.points).map((p) => (p ? p.value : 0)));
    const cum = [];
    raw.forEach((ys, i) => cum.push(ys.map((v, j) => v + (i ? cum[i - 1][j] : 0))));
    const order = raw.map((_, i) => raw.length - 1 - i);
    data = [xs, ...order.map((i) => cum[i].map((v) => (v ? v : null)))];
    opts.series = [{ label: 'Date', value: (u, v) => (v == null ? '' : fmtDate(new Date(v * 1e3), state.tz, true)) },
      ...order.map((i) => ({
        label: state.bySource[i].source.name,
        stroke: PALETTE[i % PALETTE.length],
        fill: PALETTE[i % PALETTE.length],
        paths: bars,
        points: { show: false },
        value: (u, v, si, idx) => (idx == null ? '–' : fmtNum(raw[i][idx])),
      }))];
    stepsChart.dataset.points = String(raw.flat().filter((v) => v > 0).length);
    const total = state.data.stepSources.reduce((a, x) => a + (x.total || 0), 0);
    const merged = state.data.stepSources.reduce((a, x) => a + (x.mergedContribution || 0), 0);
    stepsNote.textContent = `Each source's own samples, stacked: ${fmtNum(total)} in all, of which ${fmtNum(merged)} count after merging overlaps.`;
  }
  state.charts.push(new uPlot(opts, data, stepsChart));
}

function renderHeart() {
  if (!state.data) return empty(heartChart, 'No data loaded.');
  const h = state.data.heart;
  if (!h.points.length) return empty(heartChart, 'No heart rate in this range.');
  heartChart.textContent = '';
  const xs = dayAxis();
  const pts = alignTo(xs, h.points);
  const col = (k) => pts.map((p) => (p && p[k] != null ? p[k] : null));
  const opts = baseOpts(heartChart, 'heart rate (bpm)');
  const fmt = (u, v) => (v == null ? '–' : `${fmtNum(v)} bpm`);
  opts.series = [
    { label: 'Date', value: (u, v) => (v == null ? '' : fmtDate(new Date(v * 1e3), state.tz, true)) },
    { label: 'Max', stroke: 'rgba(239,68,68,0.45)', width: 1, dash: [4, 4], value: fmt },
    { label: 'Average', stroke: '#dc2626', width: 2.5, points: { show: true, size: 6, fill: '#dc2626' }, value: fmt },
    { label: 'Min', stroke: 'rgba(239,68,68,0.45)', width: 1, dash: [4, 4], value: fmt },
  ];
  opts.bands = [{ series: [1, 3], fill: 'rgba(239,68,68,0.12)' }];
  opts.scales.y = { range: (u, min, max) => [Math.max(0, Math.floor((min - 10) / 10) * 10), Math.ceil((max + 10) / 10) * 10] };
  heartChart.dataset.points = String(pts.filter(Boolean).length);
  state.charts.push(new uPlot(opts, [xs, col('max'), col('value'), col('min')], heartChart));
}

function renderSleep() {
  sleepBox.textContent = '';
  if (!state.data) return empty(sleepBox, 'No data loaded.');
  const sessions = [...state.data.sleep].sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  if (!sessions.length) return empty(sleepBox, 'No sleep in this range.');
  sleepBox.dataset.points = String(sessions.length);
  const longest = Math.max(...sessions.map((s) => Date.parse(s.end) - Date.parse(s.start)));
  const legend = el('div', { class: 'legend' }, STAGES.map(([, label, color]) =>
    el('span', {}, el('i', { style: `background:${color}` }), label)));
  const rows = sessions.map((s) => {
    const t0 = Date.parse(s.start);
    const span = Date.parse(s.end) - t0;
    const bar = el('div', { class: 'bar', style: `width:${(100 * span) / longest}%` });
    const segs = s.stages.length ? s.stages : [{ stage: 'asleep_unspecified', start: s.start, end: s.end }];
    for (const g of segs) {
      const a = Date.parse(g.start) - t0;
      const b = Date.parse(g.end) - t0;
      const info = stageInfo[g.stage] || { label: g.stage, color: '#94a3b8' };
      bar.append(el('span', {
        class: 'seg', title: `${info.label} ${fmtTime(new Date(g.start), state.tz)}–${fmtTime(new Date(g.end), state.tz)}`,
        style: `left:${(100 * a) / span}%;width:${Math.max(0.2, (100 * (b - a)) / span)}%;background:${info.color}`,
      }));
    }
    const tz = s.timeZone || state.tz;
    return el('div', { class: `night${s.isNap ? ' nap' : ''}` },
      el('div', { class: 'when' },
        el('strong', {}, fmtDate(new Date(`${s.date}T12:00:00Z`), 'UTC', true)),
        s.isNap ? el('span', { class: 'badge nap' }, 'nap') : null,
        el('small', {}, `${fmtTime(new Date(s.start), tz)}–${fmtTime(new Date(s.end), tz)}`)),
      el('div', { class: 'track' }, bar),
      el('div', { class: 'facts' },
        el('strong', {}, fmtDuration(s.asleepMinutes * 60)), ' asleep',
        el('small', {}, `deep ${fmtDuration(s.deepMinutes * 60)} · REM ${fmtDuration(s.remMinutes * 60)}`
          + (s.efficiency != null ? ` · ${Math.round(s.efficiency * 100)}% efficient` : ''))));
  });
  sleepBox.append(legend, ...rows);
}

function renderWorkouts() {
  workoutsBox.textContent = '';
  if (!state.data) return empty(workoutsBox, 'No data loaded.');
  const ws = state.data.workouts.edges.map((e) => e.node);
  if (!ws.length) return empty(workoutsBox, 'No workouts in this range.');
  workoutsBox.dataset.points = String(ws.length);
  const name = (t) => t.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
  workoutsBox.append(el('table', { class: 'workouts' },
    el('thead', {}, el('tr', {}, ['When', 'Activity', 'Duration', 'Distance', 'Energy', 'Heart rate'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ws.map((w) => el('tr', {},
      el('td', {}, `${fmtDate(new Date(w.start), w.timeZone || state.tz)}, ${fmtTime(new Date(w.start), w.timeZone || state.tz)}`),
      el('td', { class: 'wrap' }, name(w.activityType), el('small', { class: 'src' }, w.source.name,
        w.alsoRecordedBy.length ? `, also ${w.alsoRecordedBy.map((x) => x.name).join(', ')}` : '')),
      el('td', { class: 'num' }, fmtDuration(w.durationSeconds)),
      el('td', { class: 'num' }, w.distanceMeters != null ? `${fmtNum(w.distanceMeters / 1000, 2)} km` : '–'),
      el('td', { class: 'num' }, w.energyKcal != null ? `${fmtNum(w.energyKcal)} kcal` : '–'),
      el('td', { class: 'num', title: 'average / maximum' }, w.averageHeartRate != null
        ? `${fmtNum(w.averageHeartRate)} / ${w.maxHeartRate != null ? fmtNum(w.maxHeartRate) : '–'} bpm` : '–'),
    )))));
}

function renderSync() {
  syncBox.textContent = '';
  if (!state.data) return empty(syncBox, 'No data loaded.');
  const { devices, syncState } = state.data;
  if (!syncState.length) return empty(syncBox, 'No uploads yet.');
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
  for (const [id, rows] of byDevice) {
    const d = devices.find((x) => x.id === id) || { id, provider: '', lastSeen: null };
    rows.sort((a, b) => (a.status === b.status ? a.dataType.localeCompare(b.dataType) : a.status === 'STALE' ? -1 : 1));
    syncBox.append(el('div', { class: 'device' },
      el('h3', {}, d.model || id, el('small', {}, [d.provider.replace('_', ' '), d.osVersion, d.appVersion && `app ${d.appVersion}`, d.timeZone]
        .filter(Boolean).join(' · ')), d.lastSeen ? el('small', {}, `last upload ${relative(Date.parse(d.lastSeen), now)}`) : null),
      el('table', { class: 'sync' },
        el('thead', {}, el('tr', {}, ['Data type', 'Status', 'Last new data', 'Newest sample', 'Last upload', 'Items'].map((h) => el('th', {}, h)))),
        el('tbody', {}, rows.map((s) => el('tr', { class: s.status === 'STALE' ? 'stale' : '' },
          el('td', {}, s.dataType),
          el('td', {}, el('span', { class: `badge ${s.status.toLowerCase()}` }, s.status),
            s.status === 'STALE' ? el('small', { class: 'hint' }, 'check Health permissions') : null),
          el('td', {}, s.lastDataAt ? relative(Date.parse(s.lastDataAt), now) : '–'),
          el('td', {}, s.newestSampleEnd ? fmtDateTime(new Date(s.newestSampleEnd), state.tz) : '–'),
          el('td', {}, relative(Date.parse(s.lastUploadAt), now)),
          el('td', { class: 'num' }, fmtNum(Number(s.count)))))))));
  }
}

let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (state.data) render(); }, 150);
});

render();
if (state.token) load();
else showBanner('Paste a bearer token with the read scope to see your data. It is kept in this tab only (session storage).', 'info');
