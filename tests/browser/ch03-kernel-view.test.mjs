// Chapter 3's kernel-view widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, liveText, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/03-associativity-trick.html';
const TAG = 'attn-kernel-view';
const fixed = (x, digits = 3) => (x < 0 || Object.is(x, -0) ? '−' : '') + Math.abs(x).toFixed(digits);
const percent = (x) => `${new Intl.NumberFormat('en', { maximumSignificantDigits: 4 }).format(100 * x)}%`;

// Recomputed in the page from the widget's own pairs: φ rows from a fresh core.featureMap, and each
// pair's φ(q)·φ(k) checked against the linear variant itself (one-token run, unnormalised, v = 1),
// which must weigh its value by exactly that kernel.
const recheck = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el._res;
    const core = el.core;
    const P = r.exact.length;
    const fq = core.featureMap(r.map.id, r.q, r.opts);
    const fk = core.featureMap(r.map.id, r.k, r.opts);
    const m = fq.length / P;
    const linOpts = { featureMap: r.map.id, normalize: false, ...(r.map.id === 'performer' ? { features: r.opts.features, seed: r.opts.seed } : {}) };
    let viaLinear = 0;
    let viaRows = 0;
    for (let i = 0; i < P; i++) {
      let a = 0;
      for (let j = 0; j < m; j++) a += fq[i * m + j] * fk[i * m + j];
      viaRows = Math.max(viaRows, Math.abs(a - r.approx[i]));
      if (i < 40) {
        const out = core.run('linear', { q: r.q.slice(i * r.d, (i + 1) * r.d), k: r.k.slice(i * r.d, (i + 1) * r.d), v: new Float32Array([1]) }, { n: 1, dk: r.d, dv: 1, form: 'recurrent', ...linOpts }).output[0];
        viaLinear = Math.max(viaLinear, Math.abs(out - r.approx[i]) / Math.max(1, Math.abs(out)));
      }
    }
    let expErr = 0;
    for (let i = 0; i < P; i++) {
      let s = 0;
      for (let j = 0; j < r.d; j++) s += r.q[i * r.d + j] * r.k[i * r.d + j];
      expErr = Math.max(expErr, Math.abs(Math.exp(s / Math.sqrt(r.d)) - r.exact[i]) / r.exact[i]);
    }
    return { map: r.map.id, d: r.d, m, rho: r.rho, medRel: r.medRel, viaRows, viaLinear, expErr, sameRows: fq.every((x, i) => x === r.fq[i]) };
  }, TAG);

async function check(page) {
  const e = await recheck(page);
  assert.ok(e.sameRows, 'the feature rows are core.featureMap’s');
  assert.ok(e.viaRows < 1e-3, `dot products of the rows: ${e.viaRows}`);
  assert.ok(e.viaLinear < 1e-4, `the linear variant weighs v by φ(q)·φ(k): off by ${e.viaLinear}`);
  assert.ok(e.expErr < 1e-9, `the exact kernel e^(q·k/√d): ${e.expErr}`);
  assert.equal(await readoutText(page, TAG, 'Rank correlation'), `${fixed(e.rho)} Spearman: 1 if φ orders the pairs as e^(q·k/√d) does`);
  assert.match(await readoutText(page, TAG, 'Median relative error'), new RegExp(`^${percent(e.medRel).replace('.', '\\.')} `));
  assert.match(await readoutText(page, TAG, 'Features m'), new RegExp(`^${new Intl.NumberFormat('en').format(e.m)} core\\.featureMap\\('${e.map}'\\)`));
  return e;
}

widgetSuite(
  {
    name: 'kernel-view',
    tag: TAG,
    page: PAGE,
    defaults: { map: 'elu1', d: 16, spread: 1, features: 64, seed: 1 },
    url: {
      query: '?kernel-view.map=performer&kernel-view.d=8&kernel-view.features=256&kernel-view.seed=3',
      state: { map: 'performer', d: 8, spread: 1, features: 256, seed: 3 },
      change: async (page) => {
        await page.locator(TAG).locator('.surface').focus();
        await page.keyboard.press('ArrowLeft');
      },
      changed: { map: 'taylor2', d: 8 },
    },
    embed: { query: 'map=relu&d=32', state: { map: 'relu', d: 32, spread: 1, features: 64, seed: 1 } },
    breakWith: { d: 0 },
  },
  (env) => {
    test('every point is φ(q)·φ(k) of core.featureMap rows, the kernel the linear variant uses', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await check(page);
      for (const id of ['relu', 'identity', 'taylor2', 'performer']) {
        await page.locator(TAG).getByRole('radio', { name: { relu: 'relu', identity: 'identity', taylor2: 'Taylor-2', performer: 'Performer' }[id] }).check();
        await settle(page);
        const e = await check(page);
        assert.equal(e.map, id);
      }
      await page.locator(TAG).getByLabel('Random features m').selectOption('1024');
      await settle(page);
      assert.equal((await check(page)).m, 1024);
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    // Chapter 3's claims about the maps, computed through the widget (and so through the core): the
    // Taylor map and Performer approximate the exponential, Performer better with more features but
    // never exactly, and elu+1 is a different similarity altogether.
    test('which maps approximate the softmax kernel, and how well', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const fit = (patch) =>
        page.evaluate(
          async ([t, p]) => {
            const el = document.querySelector(t);
            Object.assign(el, p);
            await el.updateComplete;
            return { rho: el._res.rho, medRel: el._res.medRel };
          },
          [TAG, patch],
        );
      const taylorNarrow = await fit({ map: 'taylor2', spread: 0.5 });
      const taylorWide = await fit({ map: 'taylor2', spread: 1.5 });
      assert.ok(taylorNarrow.medRel < 0.01, `Taylor-2 on small scores: ${taylorNarrow.medRel}`);
      assert.ok(taylorWide.medRel > taylorNarrow.medRel, 'Taylor-2 falls away as the scores grow');
      const perf = [];
      for (const features of [16, 64, 256, 1024]) perf.push(await fit({ map: 'performer', spread: 0.5, features }));
      for (let i = 1; i < perf.length; i++) assert.ok(perf[i].medRel < perf[i - 1].medRel, `Performer improves with features: ${perf.map((p) => p.medRel)}`);
      assert.ok(perf[3].medRel > 0, 'but never exactly');
      const elu = await fit({ map: 'elu1', spread: 1, features: 64 });
      const taylor = await fit({ map: 'taylor2', spread: 1 });
      assert.ok(elu.medRel > 1, `elu+1 is not an approximation of the exponential: ${elu.medRel}`);
      assert.ok(taylor.rho > elu.rho, 'Taylor-2 orders the pairs more like the exponential than elu+1');
      await context.close();
    });

    test('keyboard: ← → change the map, ↑ ↓ the dimension, Home / End; the live region follows', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').focus();
      const state = () => page.evaluate((t) => document.querySelector(t).state, TAG);
      await page.keyboard.press('ArrowRight');
      await settle(page);
      assert.equal((await state()).map, 'relu');
      await page.keyboard.press('ArrowUp');
      await settle(page);
      assert.equal((await state()).d, 32);
      await page.keyboard.press('End');
      await settle(page);
      assert.equal((await state()).map, 'performer');
      const e = await check(page);
      const live = await liveText(page, TAG, /^Performer, d = 32/);
      assert.match(live, new RegExp(`^Performer, d = 32: rank correlation ${fixed(e.rho, 2)}`));
      await page.keyboard.press('Home');
      await settle(page);
      assert.equal((await state()).map, 'elu1');
      await context.close();
    });
  },
);
