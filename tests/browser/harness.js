// Browser test harness: Debian's Chromium driven by playwright-core (no browser is ever downloaded),
// pages served by scripts/serve.mjs on 127.0.0.1, and a report of everything a page must not do:
// console errors, uncaught exceptions, failed or erroring requests, and requests that leave
// localhost (those are blocked and recorded).
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export { serve };

export const CHROMIUM = process.env.ATTNLAB_CHROMIUM ?? '/usr/bin/chromium';

// Quiet, offline Chromium: nothing phones home during a test.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLocal(url) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return LOCAL.has(u.hostname);
}

// A fresh context and page with every event of interest recorded in `report`.
export async function openPage(browser) {
  const context = await browser.newContext();
  const report = { console: [], errors: [], offsite: [], failed: [], requests: [] };
  context.on('request', (req) => {
    report.requests.push(req.url());
    if (!isLocal(req.url())) report.offsite.push(req.url());
  });
  await context.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') report.console.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => report.errors.push(String(err.stack ?? err)));
  page.on('requestfailed', (req) => {
    if (isLocal(req.url())) report.failed.push(`${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) report.failed.push(`${res.url()}: HTTP ${res.status()}`);
  });
  return { context, page, report };
}

// The assertions every page test ends with; the message lists what went wrong.
export function cleanReport(report) {
  const problems = [
    ...report.console.map((x) => `console error: ${x}`),
    ...report.errors.map((x) => `page error: ${x}`),
    ...report.failed.map((x) => `request failed: ${x}`),
    ...report.offsite.map((x) => `request left localhost: ${x}`),
  ];
  return problems.length ? problems.join('\n') : '';
}
