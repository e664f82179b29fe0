// Chapter 5's recall-sharpness widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, liveText, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/05-the-catch.html';
const TAG = 'attn-recall-sharpness';
const fixed = (x, digits = 3) => (x < 0 || Object.is(x, -0) ? '−' : '') + Math.abs(x).toFixed(digits);

// The query's weights recomputed in the page by a fresh core.run on the widget's inputs, for the
// current rung and every rung of the ladder.
const expected = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el._res;
    const { n, d } = r;
    const run = (call) => Array.from(el.core.run(call.id, r.inputs, { n, dk: d, dv: n, form: 'parallel', ...call.options }).output.slice((n - 1) * n, n * n));
    const weights = run(r.call);
    // the query is the target's key: that is what "wants token target" means here
    const q = r.inputs.q.subarray((n - 1) * d, n * d);
    const k = r.inputs.k.subarray((r.target - 1) * d, r.target * d);
    const sameQuery = Array.from(q).every((x, i) => x === k[i]);
    const identity = r.inputs.v.length === n * n && r.inputs.v.every((x, i) => x === (i % (n + 1) === 0 ? 1 : 0));
    return {
      n,
      d,
      target: r.target,
      rung: el.rung,
      weights,
      shown: Array.from(r.weights),
      ladderShown: r.ladder.map((w) => w[r.target - 1]),
      sameQuery,
      identity,
      family: r.rung.family,
    };
  }, TAG);

async function checkReadouts(page) {
  const e = await expected(page);
  assert.ok(e.sameQuery, 'the query equals the target key');
  assert.ok(e.identity, 'the values are the identity rows');
  assert.deepEqual(e.shown, e.weights, 'the drawn weights are the core’s');
  assert.equal(await readoutText(page, TAG, `Weight on token ${e.target}`), `${fixed(e.weights[e.target - 1])} the target`);
  let other = { j: 0, w: -Infinity };
  e.weights.forEach((w, j) => {
    if (j !== e.target - 1 && w > other.w) other = { j: j + 1, w };
  });
  assert.equal(await readoutText(page, TAG, 'Largest elsewhere'), `${fixed(other.w)} token ${other.j}`);
  const sum = e.weights.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `weights sum to ${sum}`);
  // the survey: over 100 key sets (seeds seed … seed + 99), how often this rung's largest weight is
  // on the target, recounted with fresh core runs on the class's own inputs (it is counted after the
  // figure paints)
  await page.waitForFunction((t) => document.querySelector(t)._res.survey !== null, TAG, { timeout: 20000 });
  const survey = await page.evaluate((t) => {
    const el = document.querySelector(t);
    const W = el.constructor;
    const { n, d, target } = el._res;
    let hits = 0;
    for (let s = 0; s < 100; s++) {
      const call = W.callFor(el.rung, d);
      const w = el.core.run(call.id, W.inputsFor(el.seed + s, n, d, target), { n, dk: d, dv: n, form: 'parallel', ...call.options }).output.slice((n - 1) * n);
      let best = 0;
      for (let j = 1; j < n; j++) if (w[j] > w[best]) best = j;
      hits += best === target - 1;
    }
    return { hits, shown: el._res.survey, seed: el.seed };
  }, TAG);
  assert.equal(survey.shown, survey.hits);
  assert.match(await readoutText(page, TAG, 'Target ranked first'), new RegExp(`^${survey.hits} of 100 key sets, seeds ${survey.seed} to ${survey.seed + 99}`));
  if (e.family === 'softmax') assert.equal(survey.hits, 100, 'softmax always ranks the best match first');
  return e;
}

widgetSuite(
  {
    name: 'recall-sharpness',
    tag: TAG,
    page: PAGE,
    defaults: { rung: 6, n: 12, target: 7, d: 16, seed: 1 },
    url: {
      query: '?recall-sharpness.rung=2&recall-sharpness.target=3&recall-sharpness.d=32&recall-sharpness.seed=4',
      state: { rung: 2, n: 12, target: 3, d: 32, seed: 4 },
      change: async (page) => {
        await page.locator(TAG).locator('.surface').focus();
        await page.keyboard.press('ArrowRight');
      },
      changed: { rung: 3, target: 3 },
    },
    embed: { query: 'rung=0&n=20', state: { rung: 0, n: 20, target: 7, d: 16, seed: 1 } },
    breakWith: { d: 0 },
  },
  (env) => {
    test('the readouts are the core’s weights; softmax is sharper than linear attention', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const soft = await checkReadouts(page);
      assert.equal(soft.family, 'softmax');
      // every rung: the ladder strip shows the target's weight at that rung
      const ladder = soft.ladderShown;
      assert.ok(ladder[8] > ladder[0], `softmax τ = 0.25 (${ladder[8]}) beats elu+1 (${ladder[0]}) on the target`);
      assert.ok(ladder[8] > 0.9, `a cold softmax puts ${ladder[8]} on the target`);
      assert.ok(ladder[0] < 0.5, `elu+1 spreads: ${ladder[0]} on the target`);
      // walk the ladder with the slider and check every rung's readouts
      const slider = page.locator(TAG).getByRole('slider');
      for (const rung of [0, 1, 2, 3, 4, 8]) {
        await slider.fill(String(rung));
        await settle(page);
        const e = await checkReadouts(page);
        assert.equal(e.rung, rung);
        assert.ok(Math.abs(e.weights[e.target - 1] - ladder[rung]) < 1e-7, 'the strip and the chart agree');
      }
      // another target through the number field
      const field = page.locator(TAG).getByRole('spinbutton', { name: 'Target token' });
      await field.fill('2');
      await field.press('Enter');
      await settle(page);
      const e2 = await checkReadouts(page);
      assert.equal(e2.target, 2);
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    test('keyboard: ← → walk the ladder, ↑ ↓ move the target, Home / End; the live region follows', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').focus();
      const state = () => page.evaluate((t) => document.querySelector(t).state, TAG);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await settle(page);
      assert.equal((await state()).rung, 4);
      await page.keyboard.press('ArrowUp');
      await settle(page);
      assert.equal((await state()).target, 8);
      await page.keyboard.press('Home');
      await settle(page);
      assert.equal((await state()).rung, 0);
      const e = await checkReadouts(page);
      const live = await liveText(page, TAG, /^linear, φ = elu\+1: token 8 gets/);
      assert.match(live, new RegExp(`^linear, φ = elu\\+1: token 8 gets ${fixed(e.weights[7], 2)} of the weight`));
      await page.keyboard.press('End');
      await settle(page);
      assert.equal((await state()).rung, 8);
      // the ladder buttons select a rung too
      await page.locator(TAG).getByRole('button', { name: /^softmax, τ = 1, weight/ }).click();
      await settle(page);
      assert.equal((await state()).rung, 6);
      await context.close();
    });
  },
);
