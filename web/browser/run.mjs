// Drives Debian's Chromium with playwright-core for browser_test.go: GraphiQL runs a query with its pre-filled
// token, the dashboard loads a seeded user's data. Prints one JSON report on stdout; the Go test judges it.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const base = env('BASE_URL');
const shots = env('SCREENSHOTS');
const report = { graphiql: {}, dashboard: {}, consoleErrors: [], foreignRequests: [] };

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
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: env('TZ_NAME'), locale: 'en-GB' });
  context.on('request', (r) => {
    const u = r.url();
    if (/^(https?|wss?):/.test(u) && !u.startsWith(base)) report.foreignRequests.push(u);
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') report.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => report.consoleErrors.push(String(e)));

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

  // Dashboard: paste the token, choose the range and zone, load.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/dashboard`);
  await page.fill('#token', `Bearer ${env('TOKEN')}`);
  await page.fill('#from', env('FROM'));
  await page.fill('#to', env('TO'));
  await page.fill('#tz', env('TZ_NAME'));
  await page.click('button.primary');
  await page.waitForFunction(() => ['loaded', 'error'].includes(document.body.dataset.state), null, { timeout: 20000 });
  const facts = () => page.evaluate(() => {
    const n = (sel) => Number((document.querySelector(sel) || {}).dataset?.points || 0);
    const painted = [...document.querySelectorAll('.uplot canvas')].map((c) => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let count = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200)) count++;
      return count;
    });
    return {
      state: document.body.dataset.state,
      banner: document.getElementById('banner').textContent,
      canvases: document.querySelectorAll('.uplot canvas').length,
      stepsPoints: n('#steps-chart'),
      heartPoints: n('#heart-chart'),
      nights: document.querySelectorAll('.night').length,
      naps: document.querySelectorAll('.night.nap').length,
      stageSegments: document.querySelectorAll('.night .seg').length,
      workouts: document.querySelectorAll('#workouts tbody tr').length,
      syncRows: document.querySelectorAll('#sync tbody tr').length,
      staleRows: [...document.querySelectorAll('#sync tr.stale td:first-child')].map((td) => td.textContent),
      staleHint: (document.getElementById('stale-hint') || {}).textContent || '',
      devices: document.querySelectorAll('#sync .device').length,
      paintedPixels: painted,
    };
  });
  Object.assign(report.dashboard, await facts());
  await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });

  await page.click('.toggle button[data-view="sources"]');
  report.dashboard.sourcesPoints = await page.evaluate(() => Number(document.querySelector('#steps-chart').dataset.points));
  report.dashboard.sourceSeries = await page.evaluate(() => [...document.querySelectorAll('#steps-chart .u-series .u-label')]
    .map((e) => e.textContent).filter((t) => t !== 'Date'));
  await page.locator('#steps-chart').screenshot({ path: join(shots, 'dashboard-by-source.png') });

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

  // The token is kept for the tab: a reload loads again without pasting.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 20000 }).catch(() => {});
  report.dashboard.afterReloadToken = await page.evaluate(() => document.getElementById('token').value !== ''
    && document.body.dataset.state === 'loaded');
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
