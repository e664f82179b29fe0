// Chapter 4's state-stepper widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, pageIdle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/04-attention-as-rnn.html';
const TAG = 'attn-state-stepper';
const tiny = (x) => (x === 0 ? '0' : x.toExponential(1).replace('-', '−'));

// A fresh core state stepped through the widget's own tokens up to its t, in the page; plus the
// parallel form over the same tokens and a plain-JS k vᵀ to check the shown update against.
const expected = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el._res;
    const { d } = r;
    const core = el.core;
    const opts = { dk: d, dv: d, featureMap: 'identity', normalize: false };
    const s = core.createState('linear', opts);
    const outs = [];
    let before = null;
    for (let i = 0; i < r.t; i++) {
      if (i === r.t - 1) before = s.state();
      outs.push(Array.from(s.step({ q: r.vec.q.subarray(i * d, i * d + d), k: r.vec.k.subarray(i * d, i * d + d), v: r.vec.v.subarray(i * d, i * d + d) })));
    }
    const after = Array.from(s.state());
    const coreT = s.t;
    s.dispose();
    let updateDiff = 0;
    if (r.t > 0) {
      const i = r.t - 1;
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) updateDiff = Math.max(updateDiff, Math.abs(r.update[a * d + b] - r.vec.k[i * d + a] * r.vec.v[i * d + b]));
    }
    let parDiff = null;
    if (r.t > 0) {
      const n = r.t;
      const par = core.run('linear', { q: r.vec.q.subarray(0, n * d), k: r.vec.k.subarray(0, n * d), v: r.vec.v.subarray(0, n * d) }, { n, dk: d, dv: d, form: 'parallel', featureMap: 'identity', normalize: false }).output;
      parDiff = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) parDiff = Math.max(parDiff, Math.abs(par[i * d + j] - outs[i][j]));
    }
    const mem = (n) => ({
      state: core.cost('linear', { n, dk: d, dv: d, form: 'recurrent', featureMap: 'identity', normalize: false }).stateFloats,
      cache: core.cost('softmax', { n, dk: d, dv: d, form: 'recurrent' }).stateFloats,
    });
    return {
      t: r.t,
      d,
      coreT,
      widgetCoreT: el._state.t,
      sameAfter: after.every((x, i) => x === r.after[i]),
      sameBefore: before === null ? r.before === null : Array.from(before).every((x, i) => x === r.before[i]),
      sameOutput: r.t === 0 ? r.output === null : outs[r.t - 1].every((x, i) => x === r.output[i]),
      output: r.t ? outs[r.t - 1] : null,
      updateDiff,
      parDiff,
      shownParDiff: r.parallel ? r.parallel.diff : null,
      mem: r.t ? mem(r.t) : null,
      memLast: mem(r.length),
      allZero: after.every((x) => x === 0),
    };
  }, TAG);

async function expectStep(page, t) {
  const e = await expected(page);
  assert.equal(e.t, t);
  assert.equal(e.widgetCoreT, t, 'the widget’s core state has consumed t tokens');
  assert.ok(e.sameAfter && e.sameBefore && e.sameOutput, `state and output equal a fresh stepping: ${JSON.stringify(e)}`);
  assert.ok(e.updateDiff < 1e-5, `shown update differs from k vᵀ by ${e.updateDiff}`);
  assert.equal(await readoutText(page, TAG, 'Tokens consumed'), `${t} of 12 core state t = ${t}`);
  if (t > 0) {
    assert.match(await readoutText(page, TAG, 'State memory'), new RegExp(`^${GROUPED(e.mem.state)} floats`));
    assert.match(await readoutText(page, TAG, 'A KV cache would hold'), new RegExp(`^${GROUPED(e.mem.cache)} floats`));
  }
  return e;
}

const stepper = (page, patch) => page.evaluate(([t, p]) => Object.assign(document.querySelector(t), p), [TAG, patch]);
const tOf = (page) => page.evaluate((t) => document.querySelector(t).t, TAG);

widgetSuite(
  {
    name: 'state-stepper',
    tag: TAG,
    page: PAGE,
    defaults: { t: 3, length: 12, d: 6, seed: 1, compare: false, prefill: 0 },
    url: {
      query: '?state-stepper.t=7&state-stepper.d=8&state-stepper.seed=3&state-stepper.compare=true',
      state: { t: 7, length: 12, d: 8, seed: 3, compare: true, prefill: 0 },
      change: (page) => page.locator(TAG).getByRole('button', { name: 'Step', exact: true }).click(),
      changed: { t: 8, d: 8 },
    },
    embed: { query: 't=5&length=20&prefill=2', state: { t: 5, length: 20, d: 6, seed: 1, compare: false, prefill: 2 } },
    breakWith: { d: 5000 },
    screenshotPrep: (page) => stepper(page, { t: 5, compare: true }),
  },
  (env) => {
    test('step, step back and reset reproduce a fresh core state; the memory stays flat', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await expectStep(page, 3);
      const step = page.locator(TAG).getByRole('button', { name: 'Step', exact: true });
      await step.click();
      await step.click();
      await settle(page);
      const e5 = await expectStep(page, 5);
      await page.locator(TAG).getByRole('button', { name: 'Step back' }).click();
      await settle(page);
      const e4 = await expectStep(page, 4);
      assert.equal(e4.mem.state, e5.mem.state, 'state memory is the same at every step');
      assert.equal(e4.mem.state, e4.memLast.state);
      assert.ok(e4.mem.cache < e5.mem.cache && e5.mem.cache < e5.memLast.cache, 'the KV cache grows');
      await page.locator(TAG).getByRole('button', { name: 'Reset' }).click();
      await settle(page);
      const e0 = await expectStep(page, 0);
      assert.ok(e0.allZero, 'reset empties the state');
      // the readout of the output shows the core's numbers
      await step.click();
      await settle(page);
      const e1 = await expectStep(page, 1);
      const fixed2 = (x) => (x < 0 || Object.is(x, -0) ? '−' : '') + Math.abs(x).toFixed(2);
      assert.match(await readoutText(page, TAG, 'Output o'), new RegExp(`^\\[${e1.output.slice(0, 3).map(fixed2).join(', ')}, …\\]`));
      await context.close();
    });

    test('the parallel form over the same tokens gives the stepped outputs', async () => {
      const { page, context } = await openPage(env.browser, env.url('?state-stepper.t=9'));
      await widgetReady(page, TAG);
      await page.locator(TAG).getByLabel('compare').check();
      await settle(page);
      const e = await expectStep(page, 9);
      assert.ok(e.parDiff < 1e-5, `parallel vs stepped: ${e.parDiff}`);
      assert.equal(e.shownParDiff, e.parDiff);
      assert.match(await readoutText(page, TAG, 'Stepped vs parallel output'), new RegExp(`^max \\|diff\\| ${tiny(e.parDiff)} over all 9 tokens so far`));
      await context.close();
    });

    test('prefill: the parallel form reads the first tokens and hands its state to the stepper, which continues', async () => {
      const { page, context } = await openPage(env.browser, env.url('?state-stepper.prefill=8&state-stepper.t=3'));
      await widgetReady(page, TAG);
      // What the core says, computed in the page from the widget's own tokens: the parallel form's
      // state after 8 tokens, the recurrent one, and one recurrent run over 9 tokens.
      const check = () =>
        page.evaluate((t) => {
          const el = document.querySelector(t);
          const r = el._res;
          const { d } = r;
          const opts = { dk: d, dv: d, featureMap: 'identity', normalize: false };
          const first = (n) => ({ q: r.vec.q.subarray(0, n * d), k: r.vec.k.subarray(0, n * d), v: r.vec.v.subarray(0, n * d) });
          const par = el.core.run('linear', first(8), { ...opts, n: 8, form: 'parallel' });
          const rec = el.core.run('linear', first(8), { ...opts, n: 8, form: 'recurrent' });
          let diff = 0;
          for (let i = 0; i < rec.state.length; i++) diff = Math.max(diff, Math.abs(rec.state[i] - par.state[i]));
          const whole = el.core.run('linear', first(r.t), { ...opts, n: r.t, form: 'recurrent' });
          let outDiff = 0;
          for (let j = 0; j < d; j++) outDiff = Math.max(outDiff, Math.abs(whole.output[(r.t - 1) * d + j] - r.output[j]));
          let afterDiff = 0;
          for (let i = 0; i < r.after.length; i++) afterDiff = Math.max(afterDiff, Math.abs(whole.state[i] - r.after[i]));
          return { t: r.t, from: r.from, diff, shown: r.prefilled.diff, outDiff, afterDiff, scale: Math.max(...whole.state.map(Math.abs)) };
        }, TAG);
      let e = await check();
      assert.equal(e.t, 8, 't starts at the prefill');
      assert.equal(e.from, 8);
      assert.equal(e.shown, e.diff, 'the readout shows the core’s difference');
      assert.ok(e.diff <= 1e-5 * e.scale, `parallel vs stepped state after 8 tokens: ${e.diff}`);
      assert.ok(e.afterDiff <= 1e-5 * e.scale, `the handed-on state is the recurrent one: ${JSON.stringify(e)}`);
      assert.match(await readoutText(page, TAG, 'Parallel hand-over'), new RegExp(`^max \\|diff\\| ${tiny(e.diff)}`));
      assert.match(await readoutText(page, TAG, 'Tokens consumed'), /^8 of 12 8 read in parallel, 0 stepped/);
      assert.ok(await page.locator(TAG).getByRole('button', { name: 'Step back' }).isDisabled(), 'no stepping back past the prefill');
      const step = page.locator(TAG).getByRole('button', { name: 'Step', exact: true });
      await step.click();
      await step.click();
      await settle(page);
      e = await check();
      assert.equal(e.t, 10);
      assert.ok(e.outDiff <= 1e-5 * e.scale, `token 10, continued from the parallel state, vs one recurrent run: ${JSON.stringify(e)}`);
      assert.ok(e.afterDiff <= 1e-5 * e.scale, `state after 10 tokens: ${JSON.stringify(e)}`);
      await page.locator(TAG).getByRole('button', { name: 'Reset' }).click();
      await settle(page);
      assert.equal(await tOf(page), 8, 'reset goes back to the hand-over');
      await context.close();
    });

    test('keyboard: → steps, ← steps back, Home resets, End runs to the end, space plays and pauses', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').focus();
      await page.keyboard.press('ArrowRight');
      await settle(page);
      await expectStep(page, 4);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await settle(page);
      await expectStep(page, 2);
      await page.keyboard.press('End');
      await settle(page);
      await expectStep(page, 12);
      await page.keyboard.press('Home');
      await settle(page);
      await expectStep(page, 0);
      await page.keyboard.press(' ');
      // the player steps every 700 ms: wait for two steps, however long the machine takes
      await page.waitForFunction((t) => document.querySelector(t).t >= 2, TAG);
      await page.keyboard.press(' ');
      const stopped = await tOf(page);
      assert.ok(stopped >= 2, `played to ${stopped}`);
      // two of the player's ticks would have come by now
      await pageIdle(page, 1500);
      assert.equal(await tOf(page), stopped);
      await settle(page);
      await expectStep(page, stopped);
      const live = await liveText(page, TAG, new RegExp(`^Token ${stopped} of 12: state 6 by 6, 36 floats`));
      assert.match(live, new RegExp(`^Token ${stopped} of 12: state 6 by 6, 36 floats`));
      // play at the end starts over from the empty state
      await stepper(page, { t: 12 });
      await settle(page);
      await page.locator(TAG).getByRole('button', { name: 'Play' }).click();
      // the click rewinds at once; the player then steps from the start
      await page.waitForFunction((t) => document.querySelector(t).t < 12, TAG);
      await page.locator(TAG).getByRole('button', { name: 'Pause' }).click();
      const restarted = await tOf(page);
      assert.ok(restarted < 12, `play from the end restarts (at ${restarted})`);
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    test('changing the dimension or the seed makes a new state from the new tokens', async () => {
      const { page, context } = await openPage(env.browser, env.url('?state-stepper.t=6'));
      await widgetReady(page, TAG);
      await page.locator(TAG).getByLabel('Head dimension d').selectOption('12');
      await settle(page);
      assert.equal(await tOf(page), 0);
      await stepper(page, { t: 6 });
      await settle(page);
      const e = await expectStep(page, 6);
      assert.equal(e.d, 12);
      await page.locator(TAG).getByRole('button', { name: 'New tokens' }).click();
      await stepper(page, { t: 3 });
      await settle(page);
      await expectStep(page, 3);
      const live = await page.evaluate((t) => document.querySelector(t).core._liveObjects(), TAG);
      assert.ok(Number.isInteger(live));
      await context.close();
    });
  },
);
