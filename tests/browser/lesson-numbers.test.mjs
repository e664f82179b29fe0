// The numbers in the lesson's prose were computed by the core when the site was built
// (web/plugins/site.js). Here each one is recomputed in the browser by the core the page loaded, and
// must read the same; a number the build could not compute fails the test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveSite, launch, openPage } from './lesson-support.mjs';
import { CHAPTERS } from '../../web/site/chapters.js';
import { DERIVED_BODY } from './derived-source.mjs';

describe('numbers in the lesson text', () => {
  let server;
  let browser;
  before(async () => {
    server = await serveSite();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const chapter of CHAPTERS) {
    test(`${chapter.file}: every number is the core's`, async () => {
      const { page, context, log } = await openPage(browser, server.base + chapter.file);
      await page.waitForFunction(() => document.documentElement.dataset.core, null, { timeout: 30000 });
      assert.equal(await page.evaluate(() => document.documentElement.dataset.core), 'ready');
      const results = await page.evaluate(async (derivedBody) => {
        if (!document.querySelector('.core-num')) return [];
        // the page's own core instance, the one its widgets use, reached through one of them
        const el = document.querySelector('[data-widget]');
        while (!el.core) await new Promise((r) => setTimeout(r, 20));
        const core = el.core;
        const cost = (id, form, n, d, options = {}) => core.cost(id, { n, dk: d, dv: d, form, ...options });
        const derived = Object.fromEntries(Object.entries(new Function(derivedBody)()).map(([name, fn]) => [name, (...args) => fn(core, ...args)]));
        const formats = {
          grouped: (x) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x),
          words: (x) =>
            Math.abs(x) < 10000
              ? new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x)
              : new Intl.NumberFormat('en', { notation: 'compact', compactDisplay: 'long', maximumSignificantDigits: 4 }).format(x),
          short: (x) => new Intl.NumberFormat('en', { maximumSignificantDigits: 4 }).format(x),
          plain: (x) => String(x),
        };
        return [...document.querySelectorAll('.core-num')].map((n) => {
          const expr = n.dataset.core;
          let expected;
          try {
            expected = formats[n.dataset.format](new Function('core', 'cost', 'derived', `return (${expr});`)(core, cost, derived));
          } catch (err) {
            expected = `error: ${err.message}`;
          }
          return { expr, shown: n.textContent, expected, missing: n.classList.contains('missing') };
        });
      }, DERIVED_BODY);
      for (const r of results) {
        assert.equal(r.missing, false, `the build could not compute {{ ${r.expr} }}: ${r.shown}`);
        assert.equal(r.shown, r.expected, `{{ ${r.expr} }}`);
      }
      if (chapter.n <= 4) assert.ok(results.length > 0, 'chapters 1-4 quote their worked numbers from the core');
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  }
});
