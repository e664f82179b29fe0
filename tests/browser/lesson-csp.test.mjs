// The lesson pages under a strict Content-Security-Policy, as a course site may serve them: no
// 'unsafe-eval', no 'unsafe-inline' styles or scripts, only the origin itself plus compiling
// WebAssembly. KaTeX's sizes are classes (web/plugins/site.js), the widgets style themselves through
// constructable stylesheets and the CSSOM, so nothing may be refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serve } from './harness.js';
import { SITE, openPage, widgetReady, settle } from './lesson-support.mjs';
import { CHAPTERS } from '../../web/site/chapters.js';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
let browser;
let server;

before(async () => {
  browser = await launch();
  server = await serve({ root: SITE, base: '/strict/', headers: { 'content-security-policy': CSP } });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const pages = [
  { file: 'index.html', widget: null },
  { file: 'embed.html?widget=state-stepper&t=4', widget: 'state-stepper' },
  ...CHAPTERS.map((c) => ({ file: c.file, widget: c.widgets[0] ?? null })),
];

for (const { file, widget } of pages) {
  test(`${file} runs under "${CSP}" with no violation`, async () => {
    const { page, context, log } = await openPage(browser, 'about:blank');
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`));
    });
    await page.goto(server.url + file);
    if (widget) await widgetReady(page, `attn-${widget}`);
    await page.waitForFunction(() => document.documentElement.dataset.core, null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.core), 'ready');
    // every widget drawn and painted: a refused style or script would have been reported by now
    await settle(page);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.offsite, []);
    await context.close();
  });
}
