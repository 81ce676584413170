// Drives Debian's Chromium with playwright-core for browser_test.go: GraphiQL runs a query with its pre-filled
// token; the dashboard loads a seeded user's data on a desktop and a phone, through a zone change, a bad token,
// an empty range and a failing proxy; axe-core checks each page; the time to the first chart is measured for 30
// days and a year. Prints one JSON report on stdout; the Go test judges it.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const base = env('BASE_URL');
const shots = env('SCREENSHOTS');
const TOKEN_KEY = 'healthsync.dashboard.token';
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const report = { graphiql: {}, dashboard: {}, phone: {}, zone: {}, badToken: {}, empty: {}, serverError: {}, loading: {}, year: {},
  timings: [], axe: [], overflow: [], consoleErrors: [], foreignRequests: [] };

// Chromium once crashed at start on a fresh CI machine (SIGSEGV before the first page): a failed start is tried up
// to three times, and the flags keep it off what a headless machine can lack (GPU, a container's small /dev/shm,
// the crash reporter).
const launch = async () => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chromium.launch({
        executablePath: env('CHROMIUM'),
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-crash-reporter',
          '--disable-breakpad', '--disable-background-networking', '--disable-component-update', '--disable-sync',
          '--no-first-run', '--disable-quic'],
      });
    } catch (e) {
      if (attempt >= 3) throw e;
      process.stderr.write(`run.mjs: Chromium did not start (attempt ${attempt}), trying again: ${String(e).split('\n')[0]}\n`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
};

const browser = await launch();

// A browser context per viewport; the token, when given, is in session storage before the page starts, as after a
// paste in an earlier visit of the tab.
async function open(viewport, token) {
  const phone = viewport.width < 600;
  const context = await browser.newContext({ viewport, timezoneId: env('TZ_NAME'), locale: 'en-GB',
    isMobile: phone, hasTouch: phone, deviceScaleFactor: 1 });
  context.on('request', (r) => {
    const u = r.url();
    if (/^(https?|wss?):/.test(u) && !u.startsWith(base)) report.foreignRequests.push(u);
  });
  if (token) await context.addInitScript(([k, t]) => sessionStorage.setItem(k, t), [TOKEN_KEY, token]);
  const page = await context.newPage();
  page.on('console', (m) => {
    // A failed request is what the server-error step provokes; the page reports it itself.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) report.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => report.consoleErrors.push(String(e)));
  return { context, page };
}

// Accessibility: axe-core's serious and critical findings, by rule and the elements they name.
async function axe(page, where) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })));
  for (const v of violations) report.axe.push({ where, ...v });
}

// Nothing may be wider than the screen: the page must not scroll sideways.
async function fits(page, where) {
  const m = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  if (m.scrollWidth > m.innerWidth) {
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`));
    report.overflow.push({ where, ...m, wide });
  }
  return m;
}

const settled = (page) => page.waitForFunction(() => ['loaded', 'error'].includes(document.body.dataset.state)
  && !document.getElementById('load').disabled, null, { timeout: 30000 });

async function loadWith(page, { token, from, to, tz }) {
  if (token !== undefined) await page.fill('#token', token);
  if (from) await page.fill('#from', from);
  if (to) await page.fill('#to', to);
  if (tz) await page.fill('#tz', tz);
  await page.click('#load');
  await settled(page);
}

const facts = (page) => page.evaluate(() => {
  const n = (sel) => Number((document.querySelector(sel) || { dataset: {} }).dataset.points || 0);
  const text = (sel) => (document.querySelector(sel) || {}).textContent || '';
  const painted = [...document.querySelectorAll('.uplot canvas')].map((c) => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let count = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200)) count++;
    return count;
  });
  const tile = (id) => ({ value: text(`#${id} .value`), note: text(`#${id} .note`) });
  return {
    state: document.body.dataset.state,
    banner: text('#banner'),
    caption: text('#caption'),
    captionKind: document.getElementById('caption').dataset.kind,
    contentClass: document.getElementById('content').className,
    url: window.location.search,
    canvases: document.querySelectorAll('.uplot canvas').length,
    charts: [...document.querySelectorAll('#charts .chart')].map((e) => e.id),
    chartLabels: [...document.querySelectorAll('#charts .chart[role=img]')].map((e) => e.getAttribute('aria-label')),
    titles: [...document.querySelectorAll('#charts h2')].map((e) => e.textContent),
    stepsPoints: n('#chart-steps'),
    heartPoints: n('#chart-heart_rate'),
    empties: [...document.querySelectorAll('#content .empty')].map((e) => e.textContent),
    nights: document.querySelectorAll('.night').length,
    naps: document.querySelectorAll('.night.nap').length,
    stageSegments: document.querySelectorAll('.night .seg').length,
    nightTimes: [...document.querySelectorAll('.night .times')].map((e) => e.textContent),
    workouts: document.querySelectorAll('#workouts tbody tr').length,
    workoutWhen: [...document.querySelectorAll('#workouts tbody tr td:first-child')].map((e) => e.textContent),
    syncRows: document.querySelectorAll('#sync tbody tr').length,
    staleRows: [...document.querySelectorAll('#sync tr.stale')].map((tr) => tr.dataset.type),
    staleHint: text('#stale-hint'),
    devices: [...document.querySelectorAll('#sync .device h3')].map((h) => h.firstChild.textContent),
    tiles: { steps: tile('tile-steps'), resting: tile('tile-resting'), sleep: tile('tile-sleep'), workouts: tile('tile-workouts') },
    tileBoxes: [...document.querySelectorAll('.tile')].map((e) => { const r = e.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.top)]; }),
    pressed: [...document.querySelectorAll('.toggle button')].map((b) => `${b.textContent}=${b.getAttribute('aria-pressed')}`),
    text: document.getElementById('content').innerText,
    paintedPixels: painted,
    smallestFont: Math.min(...[...document.querySelectorAll('#content *')].filter((e) => e.childNodes.length
      && [...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim()) && e.getClientRects().length)
      .map((e) => parseFloat(getComputedStyle(e).fontSize))),
  };
});

// Time to the first chart: from the page's start to the first chart drawn, as the dashboard marks it.
async function timeToChart(viewport, token, from, to, label) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const { context, page } = await open(viewport, token);
    await page.goto(`${base}/dashboard?${new URLSearchParams({ from, to, tz: env('TZ_NAME') })}`);
    await page.waitForFunction(() => document.body.dataset.firstChartMs, null, { timeout: 30000 });
    runs.push(await page.evaluate(() => ({ fromStart: Number(document.body.dataset.firstChartMs), fromLoad: Number(document.body.dataset.loadMs),
      requests: document.body.dataset.requestsMs,
      charts: document.querySelectorAll('.uplot').length })));
    if (i === 0 && label === 'year') {
      report.year[viewport.width < 600 ? 'phone' : 'desktop'] = await facts(page);
      await page.screenshot({ path: join(shots, `dashboard-year-${viewport.width}.png`), fullPage: true });
    }
    await context.close();
  }
  const sorted = runs.map((r) => r.fromStart).sort((a, b) => a - b);
  report.timings.push({ viewport: `${viewport.width}x${viewport.height}`, range: label, days: Math.round((Date.parse(to) - Date.parse(from)) / 864e5) + 1,
    medianMs: sorted[1], runsMs: runs.map((r) => r.fromStart), loadToChartMs: runs.map((r) => r.fromLoad), requestsMs: runs.map((r) => r.requests), charts: runs[0].charts });
}

try {
  const { context, page } = await open(DESKTOP);

  // GraphiQL: the header editor carries the token, the saved operations are tabs; run a query of our own.
  await page.goto(`${base}/`);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('.graphiql-tab').length > 0, null, { timeout: 10000 });
  report.graphiql.tabs = await page.locator('.graphiql-tab').count();
  report.graphiql.headers = await page.evaluate(() => [...document.querySelectorAll('.CodeMirror')]
    .map((e) => e.CodeMirror.getValue()).find((v) => v.includes('Authorization')) || '');
  const cm = (sel) => page.evaluate((s) => document.querySelector(s).CodeMirror.getValue(), sel);
  const run = async (label) => {
    // GraphiQL parses the editor (debounced) to find the operation name it sends; the active tab's label shows
    // that name, so waiting for it means the button sends this operation and not the tab's previous one.
    await page.waitForFunction((l) => (document.querySelector('.graphiql-tab-active') || {}).textContent?.includes(l),
      label, { timeout: 10000 });
    const before = await cm('.graphiql-response .CodeMirror');
    await page.click('.graphiql-execute-button');
    await page.waitForFunction((b) => {
      const v = document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue();
      return v !== b && /"(data|errors)"/.test(v);
    }, before, { timeout: 20000 });
    return cm('.graphiql-response .CodeMirror');
  };
  // The saved daily-steps operation asks for whole local days.
  await page.locator('.graphiql-tab-button', { hasText: 'DailySteps' }).click();
  await page.waitForFunction(() => (document.querySelector('.graphiql-tab-active') || {}).textContent?.includes('DailySteps'));
  report.graphiql.dailyStepsVariables = await page.evaluate(() => [...document.querySelectorAll('.CodeMirror')]
    .map((e) => e.CodeMirror.getValue()).find((v) => v.includes('"from"')) || '');
  // A saved operation as it is, then a query of our own typed into the same tab.
  await page.locator('.graphiql-tab-button', { hasText: 'SyncState' }).click();
  report.graphiql.saved = await run('SyncState');
  await page.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror
    .setValue('query Me {\n  me { id }\n  sources { name provider }\n}'));
  report.graphiql.sent = await cm('.graphiql-query-editor .CodeMirror');
  report.graphiql.response = await run('Me');
  await page.screenshot({ path: join(shots, 'graphiql.png') });
  // A second visit restores the tabs from local storage; the header editor must still hold the current token.
  await page.reload();
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('.graphiql-tab').length > 0, null, { timeout: 10000 });
  report.graphiql.tabsAfterReload = await page.locator('.graphiql-tab').count();
  report.graphiql.tokenInLocalStorage = await page.evaluate((tok) => Object.keys(localStorage)
    .some((k) => (localStorage.getItem(k) || '').includes(tok)), env('TOKEN'));
  report.graphiql.headersAfterReload = await page.evaluate(() => [...document.querySelectorAll('.CodeMirror')]
    .map((e) => e.CodeMirror.getValue()).find((v) => v.includes('Authorization')) || '');

  // Dashboard, desktop: the range and zone come from the URL; paste the token and load.
  await page.goto(`${base}/dashboard?${new URLSearchParams({ from: env('FROM'), to: env('TO'), tz: env('TZ_NAME') })}`);
  await loadWith(page, { token: `Bearer ${env('TOKEN')}` });
  Object.assign(report.dashboard, await facts(page));
  report.dashboard.fit = await fits(page, 'dashboard 1440');
  await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
  await axe(page, 'dashboard 1440');

  // Tap (click) a day of the steps chart: its values appear in text under the chart.
  const before = await page.textContent('#readout-steps');
  const over = await page.locator('#chart-steps .u-over').boundingBox();
  await page.mouse.click(over.x + over.width * 0.6, over.y + over.height / 2);
  report.dashboard.readout = [before, await page.textContent('#readout-steps')];

  await page.click('#steps-toggle button[data-value="sources"]');
  report.dashboard.sourcesPoints = await page.evaluate(() => Number(document.querySelector('#chart-steps').dataset.points));
  report.dashboard.sourceSeries = await page.evaluate(() => [...document.querySelectorAll('#chart-steps .u-series .u-label')]
    .map((e) => e.textContent).filter((t) => t !== 'Day'));
  report.dashboard.sourcesPressed = await page.getAttribute('#steps-toggle button[data-value="sources"]', 'aria-pressed');
  report.dashboard.sourcesURL = await page.evaluate(() => window.location.search);
  await page.locator('#card-steps').screenshot({ path: join(shots, 'dashboard-by-source.png') });
  await page.click('#steps-toggle button[data-value="merged"]');

  // The table view of every chart.
  await page.click('#show-toggle button[data-value="tables"]');
  report.dashboard.tables = await page.evaluate(() => [...document.querySelectorAll('#charts .card')].map((c) => ({
    id: c.id, rows: c.querySelectorAll('table.values tbody tr').length, canvases: c.querySelectorAll('canvas').length })));
  await page.screenshot({ path: join(shots, 'dashboard-tables.png'), fullPage: true });
  await axe(page, 'dashboard tables 1440');
  await page.click('#show-toggle button[data-value="charts"]');

  // Live: the syncEvents subscription is up; an upload from another device appears without a reload.
  await page.waitForFunction(() => document.getElementById('live').textContent.startsWith('live'), null, { timeout: 10000 })
    .catch(() => {});
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${env('TOKEN')}` },
    body: JSON.stringify({
      query: 'mutation($input: IngestBatchInput!) { ingestBatch(input: $input) { accepted } }',
      variables: { input: { idempotencyKey: 'browser-live-ipad', provider: 'APPLE_HEALTH',
        device: { id: 'ipad-1', model: 'iPad14,1', timeZone: env('TZ_NAME') },
        samples: [{ id: 'EEEEEEEE-0000-4000-8000-000000000001', type: 'HKQuantityTypeIdentifierStepCount', value: 321,
          unit: 'count', start: new Date(Date.now() - 7200000).toISOString(), end: new Date(Date.now() - 3600000).toISOString(),
          source: { name: 'iPad', bundleId: 'com.apple.health.iPad' } }] } },
    }),
  });
  if (!res.ok) throw new Error(`live upload: HTTP ${res.status} ${await res.text()}`);
  await page.waitForFunction(() => document.querySelectorAll('#sync .device').length === 3, null, { timeout: 10000 })
    .catch(() => {});
  report.dashboard.liveDevices = await page.evaluate(() => document.querySelectorAll('#sync .device').length);
  report.dashboard.live = await page.evaluate(() => document.getElementById('live').textContent);
  await page.screenshot({ path: join(shots, 'dashboard-live.png') });

  // The token is kept for the tab, range and zone in the URL: a reload shows the same page without pasting.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 20000 }).catch(() => {});
  report.dashboard.afterReload = await page.evaluate(() => ({ token: document.getElementById('token').value !== '',
    state: document.body.dataset.state, from: document.getElementById('from').value, to: document.getElementById('to').value,
    tz: document.getElementById('tz').value }));

  // A zone change: every time on the page moves to it, and the page says so.
  await loadWith(page, { tz: 'America/New_York' });
  Object.assign(report.zone, await facts(page));
  await page.screenshot({ path: join(shots, 'dashboard-new-york.png'), fullPage: true });
  // An unknown zone clears the cards instead of leaving the previous answer under a new question.
  await loadWith(page, { tz: 'Mars/Olympus' });
  report.zone.unknown = await facts(page);
  // So does a range that ends before it starts.
  await loadWith(page, { tz: env('TZ_NAME'), from: env('TO'), to: env('FROM') });
  report.zone.reversed = await facts(page);

  // An empty range: the cards say where the data is.
  await loadWith(page, { from: env('EMPTY_FROM'), to: env('EMPTY_TO') });
  Object.assign(report.empty, await facts(page));
  await page.screenshot({ path: join(shots, 'dashboard-empty.png'), fullPage: true });
  await axe(page, 'dashboard empty range 1440');
  // The empty steps card offers the days where the data is.
  await page.click('#chart-steps .jump');
  await settled(page);
  report.empty.jumped = await facts(page);

  // A server error: the proxy in front of the server answers 502. The data on screen is marked out of date.
  await loadWith(page, { from: env('FROM'), to: env('TO') });
  await fetch(`${base}/__test/upstream?down=1`, { method: 'POST' });
  await loadWith(page, {});
  Object.assign(report.serverError, await facts(page));
  await page.screenshot({ path: join(shots, 'dashboard-502.png'), fullPage: true });
  await fetch(`${base}/__test/upstream?down=0`, { method: 'POST' });
  await loadWith(page, {});
  report.serverError.recovered = await facts(page);

  // A load in flight (the proxy holds the request): the old answer is dimmed, captioned as loading, and Load is off.
  await fetch(`${base}/__test/upstream?hold=1`, { method: 'POST' });
  await page.fill('#tz', 'America/New_York');
  await page.click('#load');
  await page.waitForFunction(() => document.body.dataset.state === 'loading', null, { timeout: 10000 }).catch(() => {});
  // The dimming is a 0.15 s opacity transition: read just after the class lands (a loaded CI machine), the computed
  // opacity can still be 1. Wait for it to move; without the loading class it never does and the assertion fails.
  await page.waitForFunction(() => Number(getComputedStyle(document.getElementById('content')).opacity) < 1, null,
    { timeout: 5000 }).catch(() => {});
  report.loading = await page.evaluate(() => {
    const content = document.getElementById('content');
    const caption = document.getElementById('caption');
    return { state: document.body.dataset.state, loadDisabled: document.getElementById('load').disabled,
      contentClass: content.className, ariaBusy: content.getAttribute('aria-busy'), captionKind: caption.dataset.kind,
      caption: caption.textContent, opacity: getComputedStyle(content).opacity };
  });
  await page.screenshot({ path: join(shots, 'dashboard-loading.png') });
  await fetch(`${base}/__test/upstream?hold=0`, { method: 'POST' });
  await settled(page);
  report.loading.after = await page.evaluate(() => document.body.dataset.state);
  await loadWith(page, { tz: env('TZ_NAME') });

  // A bad token: an error that says what to do, and no data left on the page.
  await loadWith(page, { token: 'not-a-token' });
  Object.assign(report.badToken, await facts(page));
  await page.screenshot({ path: join(shots, 'dashboard-bad-token.png') });
  await context.close();

  // The phone: the same data at 390 x 844.
  {
    const { context: pc, page: pp } = await open(PHONE, env('TOKEN'));
    await pp.goto(`${base}/dashboard?${new URLSearchParams({ from: env('FROM'), to: env('TO'), tz: env('TZ_NAME') })}`);
    await settled(pp);
    Object.assign(report.phone, await facts(pp));
    report.phone.fit = await fits(pp, 'dashboard 390');
    await pp.screenshot({ path: join(shots, 'dashboard-phone.png'), fullPage: true });
    await axe(pp, 'dashboard 390');
    const box = await pp.locator('#chart-heart_rate .u-over').boundingBox();
    const before = await pp.textContent('#readout-heart_rate');
    await pp.tap('#chart-heart_rate .u-over', { position: { x: box.width * 0.6, y: box.height / 2 } });
    report.phone.readout = [before, await pp.textContent('#readout-heart_rate')];
    await pp.click('#show-toggle button[data-value="tables"]');
    report.phone.tablesFit = await fits(pp, 'dashboard tables 390');
    await pp.screenshot({ path: join(shots, 'dashboard-phone-tables.png'), fullPage: true });
    // GraphiQL on a phone: the result pane must be wide enough to read.
    await pp.goto(`${base}/`);
    await pp.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 30000 });
    await pp.locator('.graphiql-tab-button', { hasText: 'SyncState' }).click();
    await pp.waitForFunction(() => (document.querySelector('.graphiql-tab-active') || {}).textContent?.includes('SyncState'));
    await pp.click('.graphiql-execute-button');
    await pp.waitForFunction(() => /"data"/.test(document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()),
      null, { timeout: 20000 });
    report.phone.graphiqlFit = await fits(pp, 'graphiql 390');
    report.phone.graphiqlResponseWidth = await pp.evaluate(() => Math.round(document.querySelector('.graphiql-response').getBoundingClientRect().width));
    await pp.screenshot({ path: join(shots, 'graphiql-phone.png') });
    await pc.close();
  }

  // Time to the first chart, for 30 days and for a year of one user's data, on both screens.
  for (const viewport of [DESKTOP, PHONE]) {
    await timeToChart(viewport, env('YEAR_TOKEN'), env('MONTH_FROM'), env('TO'), '30 days');
    await timeToChart(viewport, env('YEAR_TOKEN'), env('YEAR_FROM'), env('TO'), 'year');
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
