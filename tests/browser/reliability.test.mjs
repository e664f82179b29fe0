// Widgets hold core states; a page that adds and removes them (a slide deck, a tabbed lesson, a
// framework re-rendering) must not leak them (issue 10). The widgets bundle (dist/pkg/widgets.js)
// in a plain page served under the strict Content-Security-Policy of lesson-csp.test.mjs: each
// widget that creates states is mounted, drawn and removed again and again, and the core's count
// of live Embind handles must come back to where it started. The state stepper keeps its state
// while shown, so each of its mounts is checked to have really made one (the count is not
// vacuously flat); the decay curve and the simulator create and release theirs while drawing. No
// CSP violation, console error or off-origin request may happen meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serve } from './harness.js';
import { REPO, openPage, widgetReady } from './lesson-support.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
// [widget, mounts, holds a state while shown]: the state stepper 1,000 times (the count),
// the other widgets that create states fewer times (each mount draws a whole figure).
const PLAN = [
  ['state-stepper', 1000, true],
  ['decay-curve', 30, false],
  ['simulator', 30, false],
];
let browser;
let server;

before(async () => {
  browser = await launch();
  server = await serve({ root: REPO, headers: { 'content-security-policy': CSP } });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('mounting and unmounting widgets returns the live-object count to its start, under a strict CSP', async () => {
  const { page, context, log } = await openPage(browser, 'about:blank');
  try {
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
    });
    const res = await page.goto(`${server.url}tests/browser/fixtures/widgets-strict.html`);
    assert.equal(res.headers()['content-security-policy'], CSP);
    await widgetReady(page, 'attn-state-stepper');
    const figures = [];
    for (const [name, times, holds] of PLAN) {
      const started = Date.now();
      const r = await page.evaluate(
        async ([name, times, holds]) => {
          const core = document.querySelector('attn-state-stepper').core;
          const tag = `attn-${name}`;
          await customElements.whenDefined(tag);
          const tick = () => new Promise((res) => setTimeout(res, 0));
          // Drawn: the core is attached, the readouts exist (and the widget holds its state).
          async function mounted(el, base) {
            for (let i = 0; i < 2000; i++) {
              if (el.core && el.shadowRoot?.querySelector('.readouts') && (!holds || core._liveObjects() > base)) return true;
              await tick();
            }
            return false;
          }
          const start = core._liveObjects();
          const heap0 = core._heapBytes();
          let peak = start;
          let notMounted = 0;
          let leakedAtOnce = 0;
          for (let i = 0; i < times; i++) {
            const el = document.createElement(tag);
            document.body.append(el);
            if (!(await mounted(el, start))) notMounted++;
            peak = Math.max(peak, core._liveObjects());
            el.remove();
            // disconnectedCallback disposes synchronously
            if (core._liveObjects() !== start) leakedAtOnce++;
          }
          // A removed widget may still have a render queued: give it a few tasks, then count.
          for (let i = 0; i < 10; i++) await tick();
          return { name, times, holds, start, end: core._liveObjects(), peak, notMounted, leakedAtOnce, heap0, heap1: core._heapBytes() };
        },
        [name, times, holds],
      );
      r.seconds = (Date.now() - started) / 1000;
      figures.push(r);
      console.log(
        `widgets: ${r.name} mounted and removed ${r.times} times in ${r.seconds.toFixed(1)} s: live objects ${r.start} -> ${r.end} ` +
          `(peak ${r.peak} while mounted), heap ${r.heap0} -> ${r.heap1} bytes`,
      );
    }
    for (const r of figures) {
      assert.equal(r.notMounted, 0, `${r.name}: ${r.notMounted} mounts never drew or never made a state`);
      if (r.holds) assert.ok(r.peak > r.start, `${r.name}: a mounted widget holds a state`);
      assert.equal(r.leakedAtOnce, 0, `${r.name}: ${r.leakedAtOnce} removals left a state behind`);
      assert.equal(r.end, r.start, `${r.name}: live objects ${r.start} -> ${r.end}`);
    }
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');
    assert.deepEqual(log.errors, [], 'console errors');
    assert.deepEqual(log.offsite, [], 'requests that left the origin');
    assert.deepEqual(log.failed, [], 'failed requests');
  } finally {
    await context.close();
  }
});
