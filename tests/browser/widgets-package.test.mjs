// dist/pkg/widgets.js (`attnlab/widgets`) in a plain page: no bundler, relative URLs, the core
// imported from the wrapper beside it; attributes configure the widgets; a second copy of the bundle
// on the same page leaves the first registration alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serve } from './harness.js';
import { REPO, openPage, widgetReady, readoutText, GROUPED } from './lesson-support.mjs';

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await serve({ root: REPO, base: '/some/sub/path/' });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('widgets.js registers every widget once, configured by attributes, sharing the package core', async () => {
  const { page, context, log } = await openPage(browser, `${server.url}tests/browser/fixtures/widgets-plain.html`);
  await widgetReady(page, 'attn-cost-curve');
  await widgetReady(page, 'attn-state-stepper');
  assert.equal(await page.evaluate(() => document.body.dataset.secondCopy), 'skipped');
  const state = await page.evaluate(() => document.querySelector('attn-cost-curve').state);
  assert.deepEqual(state, { n: 20000, d: 32, axes: 'linear', view: 'model' });
  const macs = await page.evaluate(() => document.querySelector('attn-cost-curve').core.cost('softmax', { n: 20000, dk: 32, dv: 32, form: 'parallel' }).macs);
  assert.match(await readoutText(page, 'attn-cost-curve', 'Softmax attention'), new RegExp(`^${GROUPED(macs)}`));
  assert.equal(await page.evaluate(() => document.querySelector('attn-state-stepper').t), 2);
  assert.ok(await page.evaluate(() => document.querySelector('attn-cost-curve').core === document.querySelector('attn-state-stepper').core));
  // no URL writes without url-key
  assert.equal(new URL(page.url()).search, '');
  const tags = await page.evaluate(() => ['cost-curve', 'attention-grid', 'order-toggle', 'state-stepper'].map((n) => !!customElements.get(`attn-${n}`)));
  assert.deepEqual(tags, [true, true, true, true]);
  // a change made through a control is announced as a CustomEvent
  const detail = await page.evaluate(async () => {
    const el = document.querySelector('attn-cost-curve');
    const got = new Promise((r) => el.addEventListener('attn-change', (e) => r(e.detail), { once: true }));
    const sel = el.shadowRoot.querySelector('select');
    sel.value = '128';
    sel.dispatchEvent(new Event('change'));
    return got;
  });
  assert.deepEqual(detail, { widget: 'cost-curve', state: { n: 20000, d: 128, axes: 'linear', view: 'model' } });
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.offsite, []);
  await context.close();
});
