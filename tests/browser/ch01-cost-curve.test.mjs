// Chapter 1's cost-curve widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/01-quadratic-wall.html';
const TAG = 'attn-cost-curve';

// core.cost in the page, through the widget's own core instance
const costs = (page, n, d) =>
  page.evaluate(
    ([t, n, d]) => {
      const core = document.querySelector(t).core;
      const soft = core.cost('softmax', { n, dk: d, dv: d, form: 'parallel' });
      const lin = core.cost('linear', { n, dk: d, dv: d, form: 'recurrent', featureMap: 'identity', normalize: false });
      return { soft: soft.macs, lin: lin.macs, softPeak: soft.peakFloats, linPeak: lin.peakFloats };
    },
    [TAG, n, d],
  );

async function expectReadouts(page, n, d) {
  const c = await costs(page, n, d);
  assert.match(await readoutText(page, TAG, 'Softmax attention'), new RegExp(`^${GROUPED(c.soft)}`));
  assert.match(await readoutText(page, TAG, 'Linear attention'), new RegExp(`^${GROUPED(c.lin)}`));
  const ratio = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 }).format(c.soft / c.lin);
  assert.match(await readoutText(page, TAG, 'Ratio'), new RegExp(`^${ratio} : 1`));
  assert.match(await readoutText(page, TAG, 'Largest intermediate'), new RegExp(`^${GROUPED(c.softPeak)} vs ${GROUPED(c.linPeak)}`));
}

widgetSuite(
  {
    name: 'cost-curve',
    tag: TAG,
    page: PAGE,
    defaults: { n: 1000, d: 64, axes: 'linear', view: 'model' },
    url: {
      query: '?cost-curve.n=250000&cost-curve.d=32&cost-curve.axes=log',
      state: { n: 250000, d: 32, axes: 'log', view: 'model' },
      change: (page) => page.locator(TAG).getByLabel('Head dimension d').selectOption('256'),
      changed: { d: 256, n: 250000 },
    },
    embed: { query: 'n=5000&d=16', state: { n: 5000, d: 16, axes: 'linear', view: 'model' } },
    breakWith: { d: -1 },
  },
  (env) => {
    test('default readouts are core.cost at n = 1,000, d = 64', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await expectReadouts(page, 1000, 64);
      await context.close();
    });

    test('readouts follow length and dimension to the values core.cost returns', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const exact = page.locator(TAG).getByLabel('Exact length');
      await exact.fill('1000000');
      await exact.press('Enter');
      await settle(page);
      await expectReadouts(page, 1000000, 64);
      await page.locator(TAG).getByLabel('Head dimension d').selectOption('128');
      await settle(page);
      await expectReadouts(page, 1000000, 128);
      await page.locator(TAG).getByLabel('Sequence length n (log scale)').fill('0');
      await settle(page);
      await expectReadouts(page, 10, 128);
      // the data table lists core.cost at every sampled length
      await page.locator(TAG).getByText('Data table').click();
      await settle(page);
      const rows = await page.evaluate(
        (t) => [...document.querySelector(t).shadowRoot.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent.trim())),
        TAG,
      );
      assert.ok(rows.length >= 10);
      for (const r of rows) {
        const c = await costs(page, Number(r[0].replace(/,/g, '')), 128);
        assert.equal(r[1], GROUPED(c.soft));
        assert.equal(r[2], GROUPED(c.lin));
      }
      // the log-log axes sample from 10 tokens up to the chosen length
      await page.locator(TAG).getByLabel('Log–log').check();
      await settle(page);
      await expectReadouts(page, 10, 128);
      await context.close();
    });

    test('keyboard: arrows on the plot and on the slider step the length, End reaches a million', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const n = () => page.evaluate((t) => document.querySelector(t).n, TAG);
      await page.locator(TAG).locator('.surface').focus();
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.equal(await n(), 1200);
      await expectReadouts(page, 1200, 64);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await settle(page);
      assert.equal(await n(), 800);
      await page.keyboard.press('End');
      await settle(page);
      assert.equal(await n(), 1000000);
      await expectReadouts(page, 1000000, 64);
      const live = await liveText(page, TAG, /1,000,000 tokens/);
      assert.match(live, /1,000,000 tokens/);
      // the slider's own arrow keys
      const slider = page.locator(TAG).getByLabel('Sequence length n (log scale)');
      await slider.focus();
      await page.keyboard.press('Home');
      await settle(page);
      assert.equal(await n(), 10);
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    // How long the slices take is the bench's to report (npm run bench -- --browser); here only what
    // was timed and what the figure shows.
    test('measured view times both kernels and lists what it timed', async (t) => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const hasMeasure = await page.evaluate((t) => typeof document.querySelector(t).core.measure === 'function', TAG);
      await page.locator(TAG).getByLabel('Measured here').check();
      await settle(page);
      if (!hasMeasure) {
        assert.match(await page.locator(TAG).locator('.placeholder').textContent(), /core\.measure/);
        await context.close();
        t.skip('this core has no core.measure');
        return;
      }
      await page.locator(TAG).getByRole('button', { name: 'Measure on this device' }).click();
      await page.waitForFunction((t) => !document.querySelector(t)._measuring && document.querySelector(t)._measured, TAG, { timeout: 120000 });
      const m = await page.evaluate((t) => document.querySelector(t)._measured, TAG);
      // Each series times lengths in increasing order until the next one would overrun the page's
      // budget on this device, and names that length; how far it gets depends on the device.
      for (const key of ['softmax', 'linear']) {
        const ns = m.points[key].map((p) => p.n);
        assert.ok(ns.length >= 1, `${key}: at least one length timed`);
        for (let i = 1; i < ns.length; i++) assert.ok(ns[i] > ns[i - 1], `${key}: lengths in order ${ns}`);
        if (m.stopped[key] !== undefined) assert.ok(m.stopped[key] > ns.at(-1), `${key} stopped at ${m.stopped[key]} after ${ns}`);
      }
      for (const p of [...m.points.softmax, ...m.points.linear]) assert.ok(p.ms >= 0 && Number.isFinite(p.ms), JSON.stringify(p));
      // the longest runs timed are long enough for the page's timer
      assert.ok(m.points.softmax.at(-1).ms > 0 && m.points.linear.at(-1).ms > 0, JSON.stringify(m));
      // what was timed is what the table lists
      await page.locator(TAG).getByText('Data table').click();
      // the details element's toggle event, and the render it triggers, come after the click
      await page.waitForFunction((t) => document.querySelector(t).shadowRoot.querySelectorAll('tbody tr').length > 0, TAG);
      const rows = await page.evaluate((t) => document.querySelector(t).shadowRoot.querySelectorAll('tbody tr').length, TAG);
      assert.equal(rows, new Set([...m.points.softmax, ...m.points.linear].map((p) => p.n)).size);
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  },
);
