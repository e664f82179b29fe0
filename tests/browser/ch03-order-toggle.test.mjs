// Chapter 3's order-toggle widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, pageIdle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/03-associativity-trick.html';
const TAG = 'attn-order-toggle';
const tiny = (x) => (x === 0 ? '0' : x.toExponential(1).replace('-', '−'));

// Both orders recomputed in the page with fresh core calls on the widget's own q, k, v, plus an
// independent plain-JS Kᵀ V to check the core's d x d intermediate against.
const expected = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const { n, d, q, k, v } = el._res;
    const core = el.core;
    const base = { n, dk: d, dv: d, featureMap: 'identity', normalize: false };
    const par = core.run('linear', { q, k, v }, { ...base, form: 'parallel' });
    const rec = core.run('linear', { q, k, v }, { ...base, form: 'recurrent' });
    let diff = 0;
    for (let i = 0; i < par.output.length; i++) diff = Math.max(diff, Math.abs(par.output[i] - rec.output[i]));
    const ktv = new Float64Array(d * d);
    for (let s = 0; s < n; s++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) ktv[i * d + j] += k[s * d + i] * v[s * d + j];
    let ktvDiff = 0;
    for (let i = 0; i < d * d; i++) ktvDiff = Math.max(ktvDiff, Math.abs(ktv[i] - rec.state[i]));
    // The regrouping without the mask: one Kᵀ V over all n tokens, read by every query, computed by
    // the core as a 2n-token run (n writes with q = 0, then n reads with k = v = 0).
    const z = new Float32Array(n * d);
    const cat = (a, b) => {
      const out = new Float32Array(2 * n * d);
      out.set(a);
      out.set(b, n * d);
      return out;
    };
    const whole = core.run('linear', { q: cat(z, q), k: cat(k, z), v: cat(v, z) }, { ...base, n: 2 * n, form: 'recurrent' }).output.slice(n * d);
    let leak = 0;
    for (let i = 0; i < whole.length; i++) leak = Math.max(leak, Math.abs(whole[i] - par.output[i]));
    // and the same through plain JS, to be sure the core's 2n-token run is that product
    let jsLeak = 0;
    for (let t = 0; t < n; t++)
      for (let j = 0; j < d; j++) {
        let o = 0;
        for (let i = 0; i < d; i++) o += q[t * d + i] * ktv[i * d + j];
        jsLeak = Math.max(jsLeak, Math.abs(o - whole[t * d + j]));
      }
    const shown = el._res;
    return {
      leak,
      jsLeak,
      sameWhole: Array.from(shown.whole).every((x, i) => x === whole[i]),
      n,
      d,
      diff,
      ktvDiff,
      samePar: Array.from(shown.par).every((x, i) => x === par.output[i]),
      sameRec: Array.from(shown.rec).every((x, i) => x === rec.output[i]),
      sameKV: Array.from(shown.kv).every((x, i) => x === rec.state[i]),
      costQK: core.cost('linear', { ...base, form: 'parallel' }),
      costKV: core.cost('linear', { ...base, form: 'recurrent' }),
    };
  }, TAG);

async function expectReadouts(page) {
  const e = await expected(page);
  assert.ok(e.samePar && e.sameRec && e.sameKV, 'the widget shows exactly what the core returns');
  assert.ok(e.ktvDiff < 1e-4, `Kᵀ V differs from the plain-JS product by ${e.ktvDiff}`);
  assert.ok(e.diff < 1e-4, `orders differ by ${e.diff}`);
  assert.match(await readoutText(page, TAG, '(Q Kᵀ ⊙ M) V'), new RegExp(`^${GROUPED(e.costQK.macs)} multiply-adds; largest intermediate ${GROUPED(e.costQK.peakFloats)} floats`));
  assert.match(await readoutText(page, TAG, 'Q (Kᵀ V) by prefix sums'), new RegExp(`^${GROUPED(e.costKV.macs)} multiply-adds; largest intermediate ${GROUPED(e.costKV.peakFloats)} floats`));
  assert.match(await readoutText(page, TAG, 'Largest output difference'), new RegExp(`^${tiny(e.diff)} `));
  // The causal mask breaks the literal regrouping: one Kᵀ V for every query is another product.
  assert.ok(e.sameWhole, 'the unmasked product shown is the core’s');
  assert.ok(e.jsLeak < 1e-3, `the 2n-token run is Q (Kᵀ V): ${e.jsLeak}`);
  assert.equal(await readoutText(page, TAG, 'One Kᵀ V for every query'), `${e.leak.toFixed(3)} largest difference from the causal output: each token would see the future`);
  if (e.n > 1) assert.ok(e.leak > 100 * Math.max(e.diff, 1e-6), `without the mask the output moves by ${e.leak}, far beyond rounding (${e.diff})`);
  return e;
}

const stageLabel = (page) => page.evaluate((t) => document.querySelector(t).shadowRoot.querySelector('.stage-label').textContent.replace(/\s+/g, ' ').trim(), TAG);

widgetSuite(
  {
    name: 'order-toggle',
    tag: TAG,
    page: PAGE,
    defaults: { order: 'qk', n: 24, d: 8, seed: 1 },
    url: {
      query: '?order-toggle.order=kv&order-toggle.n=40&order-toggle.d=4&order-toggle.seed=9',
      state: { order: 'kv', n: 40, d: 4, seed: 9 },
      change: (page) => page.locator(TAG).getByLabel('(Q Kᵀ ⊙ M) V').check(),
      changed: { order: 'qk', n: 40 },
    },
    embed: { query: 'order=kv&n=64', state: { order: 'kv', n: 64, d: 8, seed: 1 } },
    breakWith: { d: 5000 },
  },
  (env) => {
    test('costs, outputs and their difference are the core’s', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await expectReadouts(page);
      await page.locator(TAG).getByLabel('Head dimension d').selectOption('16');
      await page.locator(TAG).getByRole('slider', { name: /Tokens n/ }).fill('100');
      await settle(page);
      const e = await expectReadouts(page);
      assert.equal(e.n, 100);
      assert.equal(e.d, 16);
      await context.close();
    });

    test('the toggle swaps the intermediate between n × n and d × d at one scale', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      assert.match(await stageLabel(page), /Q Kᵀ, 24 × 24, masked above the diagonal \(dashed outline: the other order's 8 × 8\)/);
      const sizeOf = () => page.evaluate((t) => document.querySelector(t).shadowRoot.querySelector('canvas.inter').getBoundingClientRect().width, TAG);
      const big = await sizeOf();
      await page.locator(TAG).getByLabel('Q (Kᵀ V) by prefix sums').check();
      await settle(page);
      assert.match(await stageLabel(page), /running sum Σj≤t kjvjᵀ, 8 × 8, shown after the last token \(= Kᵀ V\) \(dashed outline: the other order's 24 × 24\)/);
      assert.equal(await sizeOf(), big, 'same scale in both orders');
      // more tokens: the n x n side grows, the d x d side keeps its shape
      await page.locator(TAG).getByRole('button', { name: 'Add token' }).click();
      await settle(page);
      assert.match(await stageLabel(page), /8 × 8, shown after the last token \(= Kᵀ V\) \(dashed outline: the other order's 25 × 25\)/);
      await expectReadouts(page);
      await context.close();
    });

    test('keyboard: arrows add and remove tokens, space plays and pauses, radios switch the order', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const n = () => page.evaluate((t) => document.querySelector(t).n, TAG);
      await page.locator(TAG).locator('.surface').focus();
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.equal(await n(), 25);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await settle(page);
      assert.equal(await n(), 23);
      await expectReadouts(page);
      await page.keyboard.press(' ');
      // the player adds a token every 700 ms: wait for one, however long the machine takes
      await page.waitForFunction((t) => document.querySelector(t).n >= 24, TAG);
      await page.keyboard.press(' ');
      const stopped = await n();
      // two of the player's ticks would have come by now
      await pageIdle(page, 1500);
      assert.equal(await n(), stopped);
      await page.locator(TAG).getByLabel('(Q Kᵀ ⊙ M) V').focus();
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.equal(await page.evaluate((t) => document.querySelector(t).order, TAG), 'kv');
      const live = await liveText(page, TAG, /Q \(Kᵀ V\) by prefix sums with \d+ tokens: intermediate 8 by 8/);
      assert.match(live, /Q \(Kᵀ V\) by prefix sums with \d+ tokens: intermediate 8 by 8/);
      await expectReadouts(page);
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  },
);
