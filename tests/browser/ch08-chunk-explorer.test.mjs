// Chapter 8's chunk-explorer widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/08-the-family.html';
const TAG = 'attn-chunk-explorer';
const tiny = (x) => (x === 0 ? '0' : x.toExponential(1).replace('-', '−'));

// The check recomputed in the page: chunkwise and recurrent runs of the widget's inputs, their max
// difference and relative RMS; the costs recomputed by core.cost.
const recheck = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el._res;
    const { inputs, options, chunk } = r.check;
    const a = el.core.run(r.info.id, inputs, { ...options, form: 'chunkwise', chunk }).output;
    const b = el.core.run(r.info.id, inputs, { ...options, form: 'recurrent' }).output;
    let diff = 0;
    let se = 0;
    let ss = 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      se += (a[i] - b[i]) ** 2;
      ss += b[i] ** 2;
    }
    const sizes = {};
    for (const s of r.info.sizes) sizes[s] = s === 'N' && r.info.id !== 'mamba2' ? 16 : 64;
    const c = el.core.cost(r.info.id, { n: r.n, form: 'chunkwise', chunk: r.L, ...sizes });
    let intra = 0;
    let inter = 0;
    for (const term of c.terms) {
      if (!term.mixing) continue;
      if (/^inter-chunk|^state update/.test(term.name)) inter += term.macs;
      else intra += term.macs;
    }
    const curveOk = r.curve.every((p) => el.core.cost(r.info.id, { n: r.n, form: 'chunkwise', chunk: p.L, ...sizes }).macs === p.total);
    return { id: r.info.id, L: r.L, n: r.n, diff, relRms: Math.sqrt(se / ss), shownDiff: r.check.diff, macs: c.macs, intra, inter, split: r.split, curveOk, points: r.curve.length };
  }, TAG);

async function check(page) {
  const e = await recheck(page);
  assert.equal(e.shownDiff, e.diff, 'the readout’s difference is the core’s');
  assert.ok(e.relRms < 1e-4, `${e.id} chunk ${e.L}: chunkwise vs recurrent relative RMS ${e.relRms}`);
  assert.equal(e.split.intra, e.intra);
  assert.equal(e.split.inter, e.inter);
  assert.equal(e.intra + e.inter, e.macs, 'the two parts add up to core.cost’s macs');
  assert.ok(e.curveOk, 'every point of the curve is core.cost');
  assert.equal(await readoutText(page, TAG, 'Total (core.cost)'), `${GROUPED(e.macs)} ${(await page.evaluate((t) => document.querySelector(t).shadowRoot.querySelectorAll('.readouts dd small')[3].textContent, TAG)).trim()}`);
  assert.match(await readoutText(page, TAG, 'Chunkwise vs recurrent'), new RegExp(`^max \\|diff\\| ${tiny(e.diff).replace('.', '\\.')} `));
  return e;
}

widgetSuite(
  {
    name: 'chunk-explorer',
    tag: TAG,
    page: PAGE,
    defaults: { variant: 'gla', n: 4096, chunk: 64, seed: 1 },
    url: {
      query: '?chunk-explorer.variant=deltanet&chunk-explorer.chunk=16&chunk-explorer.n=16384',
      state: { variant: 'deltanet', n: 16384, chunk: 16, seed: 1 },
      change: async (page) => {
        await page.locator(TAG).locator('.surface').focus();
        await page.keyboard.press('ArrowRight');
      },
      changed: { chunk: 32, variant: 'deltanet' },
    },
    embed: { query: 'variant=retnet&chunk=8', state: { variant: 'retnet', n: 4096, chunk: 8, seed: 1 } },
    breakWith: { n: 0 },
  },
  (env) => {
    test('the chunkwise output matches the recurrent one within float32 tolerance, for every variant and chunk', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const e = await check(page);
      assert.equal(e.points, 13, 'chunk sizes 1 … 4096');
      const ids = await page.evaluate((t) => [...document.querySelector(t).shadowRoot.querySelectorAll('select')[0].options].map((o) => o.value), TAG);
      assert.ok(ids.length >= 8);
      for (const id of ids) {
        await page.locator(TAG).getByLabel('Variant').selectOption(id);
        for (const chunk of ['1', '3', '64', '256']) {
          await page.locator(TAG).getByLabel('Exact L').fill(chunk);
          await page.locator(TAG).getByLabel('Exact L').press('Enter');
          await settle(page);
          const c = await check(page);
          assert.equal(c.id, id);
          assert.equal(c.L, Number(chunk));
        }
      }
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    test('work inside chunks grows with L, state passing shrinks; L = 1 and L = n are the two forms’ ends', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const curve = await page.evaluate((t) => document.querySelector(t)._res.curve, TAG);
      for (let i = 1; i < curve.length; i++) {
        assert.ok(curve[i].intra >= curve[i - 1].intra, `inside chunks at L = ${curve[i].L}`);
        assert.ok(curve[i].inter <= curve[i - 1].inter, `state passing at L = ${curve[i].L}`);
      }
      await page.locator(TAG).getByRole('slider').fill('0');
      await settle(page);
      assert.match(await readoutText(page, TAG, 'Chunks'), /^4,096 × 1 tokens/);
      await page.locator(TAG).getByRole('slider').fill('12');
      await settle(page);
      assert.match(await readoutText(page, TAG, 'Chunks'), /^1 × 4,096 tokens/);
      await check(page);
      await context.close();
    });

    test('keyboard: ← → halve and double the chunk, Home / End; the live region announces', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').focus();
      const state = () => page.evaluate((t) => document.querySelector(t).state, TAG);
      await page.keyboard.press('ArrowLeft');
      await settle(page);
      assert.equal((await state()).chunk, 32);
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.equal((await state()).chunk, 128);
      const e = await check(page);
      const live = await liveText(page, TAG, /^Chunks of 128: 32 chunks/);
      assert.match(live, new RegExp(`^Chunks of 128: 32 chunks, .* Chunkwise and recurrent outputs differ by at most ${tiny(e.diff).replace('.', '\\.')}`));
      await page.keyboard.press('Home');
      await settle(page);
      assert.equal((await state()).chunk, 1);
      await page.keyboard.press('End');
      await settle(page);
      assert.equal((await state()).chunk, 4096);
      await context.close();
    });
  },
);
