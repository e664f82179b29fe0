// Chapter 2's attention-grid widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, pageIdle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/02-where-the-square-comes-from.html';
const TAG = 'attn-attention-grid';
const fixed = (x, digits = 3) => (x < 0 || Object.is(x, -0) ? '−' : '') + Math.abs(x).toFixed(digits);

// The core's weights and scores for the widget's own q and k, recomputed in the page with fresh
// calls, plus an independent plain-JS softmax of q·k/√d to check the core against.
const expected = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const { n, d, q, k } = el._res;
    const core = el.core;
    const id = new Float32Array(n * n);
    for (let i = 0; i < n; i++) id[i * n + i] = 1;
    const scale = 1 / Math.sqrt(d);
    const weights = Array.from(core.run('softmax', { q, k, v: id }, { n, dk: d, dv: n, form: 'parallel', scale }).output);
    const scores = Array.from(
      core.run('linear', { q, k, v: id }, { n, dk: d, dv: n, form: 'parallel', featureMap: 'identity', normalize: false, scale }).output,
    );
    const js = [];
    const jw = [];
    for (let i = 0; i < n; i++) {
      const row = [];
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[i * d + c] * k[j * d + c];
        row.push(s * scale);
      }
      const m = Math.max(...row);
      const e = row.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < n; j++) {
        js.push(j <= i ? row[j] : 0);
        jw.push(j <= i ? e[j] / z : 0);
      }
    }
    const cost = core.cost('softmax', { n, dk: d, dv: d, form: 'parallel' });
    return { n, d, weights, scores, js, jw, cells: cost.peakFloats, macs: cost.macs };
  }, TAG);

const cellOf = (page) => page.evaluate((t) => ({ row: document.querySelector(t).row, col: document.querySelector(t).col }), TAG);

async function expectCellReadouts(page, row, col) {
  const e = await expected(page);
  const label = await page.evaluate((t) => [...document.querySelector(t).shadowRoot.querySelectorAll('.readouts dt')].map((x) => x.textContent.trim()), TAG);
  assert.ok(label.includes(`Query ${row + 1} · key ${col + 1}`), JSON.stringify(label));
  const score = await readoutText(page, TAG, `Query ${row + 1}`);
  const weight = await readoutText(page, TAG, 'Softmax weight');
  if (col > row) {
    assert.match(score, /^masked/);
    assert.match(weight, /^0/);
    assert.equal(e.weights[row * e.n + col], 0);
  } else {
    assert.match(score, new RegExp(`^${fixed(e.scores[row * e.n + col])}`));
    assert.match(weight, new RegExp(`^${fixed(e.weights[row * e.n + col])}`));
  }
  return e;
}

widgetSuite(
  {
    name: 'attention-grid',
    tag: TAG,
    page: PAGE,
    defaults: { n: 6, d: 16, seed: 1, row: 0, col: 0 },
    url: {
      query: '?attention-grid.n=20&attention-grid.d=8&attention-grid.seed=42&attention-grid.row=7&attention-grid.col=3',
      state: { n: 20, d: 8, seed: 42, row: 7, col: 3 },
      change: (page) => page.locator(TAG).getByRole('button', { name: 'New vectors' }).click(),
      changed: { seed: 43 },
    },
    embed: { query: 'n=12&seed=5', state: { n: 12, d: 16, seed: 5, row: 0, col: 0 } },
    breakWith: { d: 5000 },
    screenshotPrep: async (page) => {
      await page.evaluate((t) => Object.assign(document.querySelector(t), { n: 9, row: 6, col: 2 }), TAG);
    },
  },
  (env) => {
    test('weights and scores are the core’s, and agree with an independent softmax of q·k/√d', async () => {
      const { page, context } = await openPage(env.browser, env.url('?attention-grid.n=24'));
      await widgetReady(page, TAG);
      const e = await expected(page);
      const shown = await page.evaluate((t) => ({ w: Array.from(document.querySelector(t)._res.weights), s: Array.from(document.querySelector(t)._res.scores) }), TAG);
      assert.deepEqual(shown.w, e.weights);
      assert.deepEqual(shown.s, e.scores);
      let maxW = 0;
      let maxS = 0;
      for (let i = 0; i < e.n * e.n; i++) {
        maxW = Math.max(maxW, Math.abs(e.weights[i] - e.jw[i]));
        maxS = Math.max(maxS, Math.abs(e.scores[i] - e.js[i]));
      }
      assert.ok(maxW < 1e-5 && maxS < 1e-4, `max differences: weights ${maxW}, scores ${maxS}`);
      for (let i = 0; i < e.n; i++) {
        const sum = e.weights.slice(i * e.n, (i + 1) * e.n).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
      }
      assert.equal(await readoutText(page, TAG, 'Cells'), `${GROUPED(e.cells)} 24 × 24 scores held at once`);
      await context.close();
    });

    test('hovering a cell shows that score and weight; adding tokens grows the square', async () => {
      const { page, context } = await openPage(env.browser, env.url('?attention-grid.n=8'));
      await widgetReady(page, TAG);
      const grid = page.locator(TAG).locator('.cells');
      await grid.scrollIntoViewIfNeeded();
      const box = await grid.boundingBox();
      const c = box.width / 8;
      await page.mouse.move(box.x + c * 1.5, box.y + c * 5.5);
      await settle(page);
      assert.deepEqual(await cellOf(page), { row: 5, col: 1 });
      await expectCellReadouts(page, 5, 1);
      await page.mouse.move(box.x + c * 6.5, box.y + c * 2.5);
      await settle(page);
      assert.deepEqual(await cellOf(page), { row: 2, col: 6 });
      await expectCellReadouts(page, 2, 6);
      await page.locator(TAG).getByRole('button', { name: 'Add token' }).click();
      await settle(page);
      const e = await expected(page);
      assert.equal(e.n, 9);
      assert.match(await readoutText(page, TAG, 'Cells'), new RegExp(`^${GROUPED(e.cells)} `));
      await context.close();
    });

    test('keyboard: arrows move the cell, + and − change tokens, space plays and pauses', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.cells').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.deepEqual(await cellOf(page), { row: 2, col: 1 });
      await expectCellReadouts(page, 2, 1);
      const live = await liveText(page, TAG, /Query 3, key 2: score/);
      assert.match(live, /Query 3, key 2: score/);
      await page.keyboard.press('End');
      await settle(page);
      assert.deepEqual(await cellOf(page), { row: 2, col: 5 });
      await expectCellReadouts(page, 2, 5);
      await page.keyboard.press('+');
      await settle(page);
      assert.equal(await page.evaluate((t) => document.querySelector(t).n, TAG), 7);
      await page.keyboard.press('-');
      await page.keyboard.press('-');
      await settle(page);
      assert.equal(await page.evaluate((t) => document.querySelector(t).n, TAG), 5);
      await page.keyboard.press(' ');
      // the player adds a token every 700 ms: wait for one, however long the machine takes
      await page.waitForFunction((t) => document.querySelector(t).n >= 6, TAG);
      const playing = await page.evaluate((t) => ({ playing: document.querySelector(t).playing, n: document.querySelector(t).n }), TAG);
      assert.ok(playing.playing && playing.n >= 6, JSON.stringify(playing));
      await page.keyboard.press(' ');
      await settle(page);
      const stopped = await page.evaluate((t) => document.querySelector(t).n, TAG);
      // two of the player's ticks would have come by now
      await pageIdle(page, 1500);
      assert.equal(await page.evaluate((t) => document.querySelector(t).n, TAG), stopped, 'paused');
      assert.equal(await page.evaluate((t) => document.querySelector(t).playing, TAG), false);
      // each played token selects its own diagonal cell
      assert.deepEqual(await cellOf(page), { row: stopped - 1, col: stopped - 1 });
      await expectCellReadouts(page, stopped - 1, stopped - 1);
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  },
);
