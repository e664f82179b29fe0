// Chapter 6's simulator widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, pageIdle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/06-the-race.html';
const TAG = 'attn-simulator';

// The cumulative figures at the widget's t, recomputed in the page from core.cost at n = t, layer by
// layer (the models are described in the widget's documentation: 4 layers of head 64; Mamba-2's
// state is 128 x 64; the hybrid is 1 softmax layer and 3 Gated DeltaNet layers).
const LAYERS = {
  softmax: [['softmax', { dk: 64, dv: 64 }, 4]],
  rwkv7: [['rwkv7', { dk: 64, dv: 64 }, 4]],
  mamba2: [['mamba2', { N: 128, P: 64 }, 4]],
  deltanet: [['deltanet', { dk: 64, dv: 64 }, 4]],
  hybrid: [
    ['softmax', { dk: 64, dv: 64 }, 1],
    ['gated_deltanet', { dk: 64, dv: 64 }, 3],
  ],
};

const expectedAt = (page) =>
  page.evaluate(
    ([t, layers]) => {
      const el = document.querySelector(t);
      const n = el._res.t;
      const sum = (model) => {
        let macs = 0;
        let floats = 0;
        for (const [id, sizes, count] of layers[model]) {
          const c = el.core.cost(id, { n, form: 'recurrent', ...sizes });
          macs += count * c.macs;
          floats += count * c.stateFloats;
        }
        return { macs, floats };
      };
      return { t: n, rival: el.rival, soft: n ? sum('softmax') : { macs: 0, floats: 0 }, riv: n ? sum(el.rival) : { macs: 0, floats: 0 }, shown: el._res.at };
    },
    [TAG, LAYERS],
  );

async function checkAt(page, t) {
  const e = await expectedAt(page);
  assert.equal(e.t, t);
  assert.equal(e.shown.softmax.macs, e.soft.macs, 'softmax macs = Σ core.cost at n = t');
  assert.equal(e.shown.rival.macs, e.riv.macs, 'rival macs = Σ core.cost at n = t');
  assert.equal(e.shown.softmax.stateFloats, e.soft.floats);
  assert.equal(e.shown.rival.stateFloats, e.riv.floats);
  assert.equal(await readoutText(page, TAG, 'Softmax compute'), `${GROUPED(e.soft.macs)} multiply-adds, 4 layers`);
  assert.equal(await readoutText(page, TAG, 'Softmax memory'), `${GROUPED(e.soft.floats)} floats KV cache, grows with every token`);
  return e;
}

const sim = (page, patch) => page.evaluate(([t, p]) => Object.assign(document.querySelector(t), p), [TAG, patch]);
const stateOf = (page) => page.evaluate((t) => document.querySelector(t).state, TAG);

widgetSuite(
  {
    name: 'simulator',
    tag: TAG,
    page: PAGE,
    defaults: { rival: 'rwkv7', length: 4096, t: 0, measure: false },
    url: {
      query: '?simulator.rival=mamba2&simulator.length=16384&simulator.t=640',
      state: { rival: 'mamba2', length: 16384, t: 640, measure: false },
      change: (page) => page.locator(TAG).getByRole('button', { name: 'Step', exact: true }).click(),
      changed: { t: 768, rival: 'mamba2' },
    },
    embed: { query: 'rival=hybrid&t=100', state: { rival: 'hybrid', length: 4096, t: 100, measure: false } },
    breakWith: { t: 2.5 },
    screenshotPrep: (page) => sim(page, { t: 2600 }),
  },
  (env) => {
    test('the cumulative numbers at step t equal core.cost at n = t, for every rival', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await checkAt(page, 0);
      const step = page.locator(TAG).getByRole('button', { name: 'Step', exact: true });
      await step.click();
      await step.click();
      await step.click();
      await settle(page);
      await checkAt(page, 96);
      for (const rival of ['mamba2', 'deltanet', 'hybrid', 'rwkv7']) {
        await page.locator(TAG).getByLabel('Rival model').selectOption(rival);
        await settle(page);
        const e = await checkAt(page, 96);
        assert.equal(e.rival, rival);
      }
      // far into the race the transformer is far behind, in compute and in memory
      await sim(page, { t: 4096 });
      await settle(page);
      const e = await checkAt(page, 4096);
      assert.ok(e.soft.macs > 10 * e.riv.macs, `softmax ${e.soft.macs} vs ${e.riv.macs}`);
      assert.ok(e.soft.floats > 10 * e.riv.floats);
      // the data table's per-layer figures are core.cost itself
      await page.locator(TAG).getByText('Data table').click();
      await settle(page);
      const cell = await page.evaluate((t) => {
        const rows = [...document.querySelector(t).shadowRoot.querySelectorAll('table')[1].querySelectorAll('tbody tr')];
        return rows.map((r) => [...r.children].map((c) => c.textContent.trim()));
      }, TAG);
      const c = await page.evaluate((t) => document.querySelector(t).core.cost('rwkv7', { n: 4096, dk: 64, dv: 64, form: 'recurrent' }), TAG);
      assert.deepEqual(cell, [['rwkv7', '4', GROUPED(c.macs), GROUPED(c.stateFloats)]]);
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    test('run, pause, step and reset; the race ends at its length', async () => {
      const { page, context } = await openPage(env.browser, env.url('?simulator.length=1024'));
      await widgetReady(page, TAG);
      await page.locator(TAG).getByRole('button', { name: 'Run' }).click();
      await page.waitForFunction((t) => document.querySelector(t).t > 0, TAG);
      await page.locator(TAG).getByRole('button', { name: 'Pause' }).click();
      const paused = (await stateOf(page)).t;
      assert.ok(paused > 0 && paused % 8 === 0, `ran to ${paused} in strides of 8`);
      // several of the player's 60 ms ticks would have come by now
      await pageIdle(page, 400);
      assert.equal((await stateOf(page)).t, paused, 'pause stops the race');
      await settle(page);
      await checkAt(page, paused);
      await page.locator(TAG).getByRole('button', { name: 'Run' }).click();
      await page.waitForFunction((t) => document.querySelector(t).t === 1024 && !document.querySelector(t).playing, TAG, { timeout: 20000 });
      await settle(page);
      await checkAt(page, 1024);
      await page.locator(TAG).getByRole('button', { name: 'Reset' }).click();
      await settle(page);
      await checkAt(page, 0);
      await context.close();
    });

    test('keyboard: → steps, ← steps back, End, Home, space runs and pauses; the live region announces', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowLeft');
      await settle(page);
      const e = await checkAt(page, 32);
      const live = await liveText(page, TAG, /^32 tokens:/);
      assert.match(live, /^32 tokens: softmax .* multiply-adds, RWKV-7 .* ratio/);
      assert.ok(e.riv.macs > 0);
      await page.keyboard.press('End');
      await settle(page);
      await checkAt(page, 4096);
      await page.keyboard.press('Home');
      await settle(page);
      await checkAt(page, 0);
      await page.keyboard.press(' ');
      await page.waitForFunction((t) => document.querySelector(t).t > 0, TAG);
      await page.keyboard.press(' ');
      const t = (await stateOf(page)).t;
      assert.ok(t > 0, `space ran the race to ${t}`);
      await pageIdle(page, 400);
      assert.equal((await stateOf(page)).t, t);
      await context.close();
    });

    test('the real kernels: stepped with progress, timed, cancellable; states disposed', async () => {
      const { page, context, log } = await openPage(env.browser, env.url('?simulator.length=2048'));
      await widgetReady(page, TAG);
      const live0 = await page.evaluate((t) => document.querySelector(t).core._liveObjects(), TAG);
      await page.locator(TAG).getByLabel('run and time them').check();
      await sim(page, { t: 512 });
      await page.waitForFunction((t) => {
        const el = document.querySelector(t);
        return el._run && el._run.t === 512 && !el._progress?.running;
      }, TAG, { timeout: 60000 });
      await settle(page);
      const run = await page.evaluate((t) => {
        const el = document.querySelector(t);
        return { t: el._run.t, ms: el._run.ms, points: el._run.points.length, states: el._run.lanes.softmax.map((l) => l.state.t).concat(el._run.lanes.rival.map((l) => l.state.t)), live: el.core._liveObjects() };
      }, TAG);
      assert.deepEqual(run.states, Array(8).fill(512), 'every layer of both models stepped 512 tokens');
      assert.ok(run.ms.softmax > 0 && run.ms.rival > 0, JSON.stringify(run.ms));
      assert.ok(run.points > 1);
      assert.equal(run.live - live0, 8, 'eight core states, one per layer');
      assert.match(await readoutText(page, TAG, 'Measured here'), /softmax vs RWKV-7, 512 tokens stepped/);
      const panels = await page.evaluate((t) => document.querySelector(t).shadowRoot.querySelectorAll('svg.measured').length, TAG);
      assert.equal(panels, 1);
      // a long catch-up shows progress and stops on Cancel, with the race where the kernels are: a
      // watcher in the page presses Cancel between two slices, once the first has stepped tokens
      // (a click from the test could arrive after a fast machine had finished)
      await page.evaluate((t) => {
        window.__cancelled = new Promise((resolve) => {
          const tick = () => {
            const el = document.querySelector(t);
            const cancel = [...el.shadowRoot.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Cancel');
            if (el._progress?.running && el._progress.done > 0 && cancel) {
              // Cancel clears the progress at once: read it first
              const done = el._progress.done;
              cancel.click();
              resolve(done);
            } else setTimeout(tick, 0);
          };
          tick();
        });
      }, TAG);
      await sim(page, { t: 2048 });
      assert.ok((await page.evaluate(() => window.__cancelled)) > 0, 'progress was shown before Cancel');
      await settle(page);
      const after = await page.evaluate((t) => {
        const el = document.querySelector(t);
        return { t: el.t, runT: el._run.t, running: !!el._progress?.running };
      }, TAG);
      assert.equal(after.running, false);
      assert.equal(after.t, after.runT, 'the race stops where the real kernels stopped');
      assert.ok(after.t >= 512 && after.t < 2048);
      // stepping back replays from the start; switching the option off disposes the states
      await sim(page, { t: 256 });
      await page.waitForFunction((t) => document.querySelector(t)._run?.t === 256 && !document.querySelector(t)._progress?.running, TAG, { timeout: 60000 });
      await page.locator(TAG).getByLabel('run and time them').uncheck();
      await settle(page);
      assert.equal(await page.evaluate((t) => document.querySelector(t).core._liveObjects(), TAG), live0);
      // how long its slices take is the bench's to report (npm run bench -- --browser)
      assert.deepEqual(log.errors, []);
      await context.close();
    });
  },
);
