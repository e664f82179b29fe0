// Chapter 7's token-shift widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, liveText, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/07-rwkv.html';
const TAG = 'attn-token-shift';
const fixed = (x, digits = 3) => (x < 0 || Object.is(x, -0) ? '−' : '') + Math.abs(x).toFixed(digits);

// The widget's rows: the shift must be μ x_t + (1 − μ) x_{t−1} (x_0 = 0) to float32 accuracy and
// exactly what a fresh core.tokenShift returns, and the WKV row must equal a fresh core.run of rwkv4
// on the shifted tokens.
const recheck = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el._res;
    const T = 10;
    const C = 6;
    let shiftErr = 0;
    let cshiftErr = 0;
    for (let i = 0; i < T; i++)
      for (let c = 0; c < C; c++) {
        const prev = i ? r.x[(i - 1) * C + c] : 0;
        shiftErr = Math.max(shiftErr, Math.abs(r.shift[i * C + c] - (r.mix * r.x[i * C + c] + (1 - r.mix) * prev)));
        const pw = i ? r.wkv[(i - 1) * C + c] : 0;
        cshiftErr = Math.max(cshiftErr, Math.abs(r.cshift[i * C + c] - (r.mix * r.wkv[i * C + c] + (1 - r.mix) * pw)));
      }
    const mu = new Float32Array(C).fill(r.mix);
    const fresh = el.core.tokenShift({ x: r.x, mu, n: T, d: C });
    const freshC = el.core.tokenShift({ x: r.wkv, mu, n: T, d: C });
    const decay = Float32Array.from({ length: C }, (_, c) => -Math.exp(1 - (5 * c) / (C - 1)));
    const wkv = el.core.run('rwkv4', { k: r.shift, v: r.shift, w: decay, u: new Float32Array(C).fill(0.5) }, { n: T, C, form: 'recurrent' }).output;
    return {
      sameShift: fresh.every((v, i) => v === r.shift[i]),
      sameCshift: freshC.every((v, i) => v === r.cshift[i]),
      token: r.token,
      mix: r.mix, x: Array.from(r.x), shift: Array.from(r.shift), shiftErr, cshiftErr, sameWkv: wkv.every((v, i) => v === r.wkv[i]), wkv0: r.wkv[(r.token - 1) * C] };
  }, TAG);

async function check(page) {
  const e = await recheck(page);
  assert.ok(e.shiftErr < 1e-5, `token shift off by ${e.shiftErr}`);
  assert.ok(e.cshiftErr < 1e-5, `channel-mix shift off by ${e.cshiftErr}`);
  assert.ok(e.sameWkv, 'WKV row equals core.run(rwkv4)');
  assert.ok(e.sameShift && e.sameCshift, 'both shifts are core.tokenShift’s');
  const o = (e.token - 1) * 6;
  const prev = e.token > 1 ? e.x[o - 6] : 0;
  assert.equal(await readoutText(page, TAG, `Token ${e.token}, channel 1`), `${fixed(e.x[o])} input x_t`);
  assert.equal(await readoutText(page, TAG, 'Shifted'), `${fixed(e.shift[o])} ${fixed(e.mix, 2)} × ${fixed(e.x[o])} + ${fixed(1 - e.mix, 2)} × ${fixed(prev)}, by core.tokenShift`);
  assert.equal(await readoutText(page, TAG, 'WKV output'), `${fixed(e.wkv0)} time mixing, channel 1`);
  return e;
}

widgetSuite(
  {
    name: 'token-shift',
    tag: TAG,
    page: PAGE,
    defaults: { token: 4, mix: 0.5, seed: 1 },
    url: {
      query: '?token-shift.token=7&token-shift.mix=0.8&token-shift.seed=5',
      state: { token: 7, mix: 0.8, seed: 5 },
      change: async (page) => {
        await page.locator(TAG).locator('.surface').focus();
        await page.keyboard.press('ArrowDown');
      },
      changed: { mix: 0.75, token: 7 },
    },
    embed: { query: 'mix=0.2', state: { token: 4, mix: 0.2, seed: 1 } },
    breakWith: { mix: Number.NaN },
  },
  (env) => {
    test('the shift is μ·x_t + (1−μ)·x_{t−1} as the core computes it, at every μ', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await check(page);
      const slider = page.locator(TAG).getByRole('slider');
      for (const mix of ['0', '0.25', '1']) {
        await slider.fill(mix);
        await settle(page);
        const e = await check(page);
        assert.equal(e.mix, Number(mix));
      }
      // μ = 1: no shift at all; μ = 0: the previous token exactly
      const ends = await page.evaluate(async (t) => {
        const el = document.querySelector(t);
        el.mix = 1;
        await el.updateComplete;
        const one = el._res.shift.every((v, i) => Math.abs(v - el._res.x[i]) < 1e-6);
        el.mix = 0;
        await el.updateComplete;
        const zero = el._res.shift.every((v, i) => Math.abs(v - (i >= 6 ? el._res.x[i - 6] : 0)) < 1e-6);
        return { one, zero };
      }, TAG);
      assert.deepEqual(ends, { one: true, zero: true });
      const field = page.locator(TAG).getByRole('spinbutton', { name: 'Token' });
      await field.fill('1');
      await field.press('Enter');
      await settle(page);
      const first = await check(page);
      assert.equal(first.token, 1);
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    test('keyboard: ← → pick the token, ↑ ↓ change μ, Home / End; the live region follows', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').focus();
      const state = () => page.evaluate((t) => document.querySelector(t).state, TAG);
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.equal((await state()).token, 6);
      await page.keyboard.press('ArrowUp');
      await settle(page);
      assert.equal((await state()).mix, 0.55);
      const e = await check(page);
      const live = await liveText(page, TAG, /^Token 6, μ 0.55/);
      assert.match(live, new RegExp(`^Token 6, μ 0.55: channel 1 shifts from ${fixed(e.x[30])} to ${fixed(e.shift[30])}`));
      await page.keyboard.press('Home');
      await settle(page);
      assert.equal((await state()).token, 1);
      await page.keyboard.press('End');
      await settle(page);
      assert.equal((await state()).token, 10);
      await check(page);
      await context.close();
    });
  },
);
