// Chapter 8's family-map widget in real Chromium against the built site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, widgetReady, readoutText, settle, liveText, GROUPED, widgetSuite } from './lesson-support.mjs';

const PAGE = 'chapters/08-the-family.html';
const TAG = 'attn-family-map';

// Every point recomputed: the variants are core.variants(), each state size core.cost at n with the
// sizes the widget used (head 64; SSM widths 16 and 128), and the forgetting column its field.
const recheck = (page) =>
  page.evaluate((t) => {
    const el = document.querySelector(t);
    const r = el._res;
    const ids = el.core.variants().map((v) => v.id).sort();
    const bad = [];
    for (const p of r.points) {
      const expectSizes = {};
      for (const s of p.info.sizes) expectSizes[s] = s === 'N' ? (p.id === 'mamba2' ? 128 : 16) : 64;
      if (JSON.stringify(expectSizes) !== JSON.stringify(p.sizes)) bad.push(`${p.id} sizes ${JSON.stringify(p.sizes)}`);
      const c = el.core.cost(p.id, { n: r.n, form: 'recurrent', ...p.sizes });
      if (c.stateFloats !== p.cost.stateFloats || c.macs !== p.cost.macs) bad.push(`${p.id} cost`);
      for (const f of p.forms) if (el.core.cost(p.id, { n: r.n, form: f.form, ...p.sizes }).macs !== f.cost.macs) bad.push(`${p.id} ${f.form}`);
    }
    const sel = r.byId.get(el.selected);
    const details = el.shadowRoot.querySelector('.details').textContent.replace(/\s+/g, ' ');
    const squash = (x) => x.replace(/\s+/g, ' ');
    return {
      n: r.n,
      ids,
      shownIds: r.points.map((p) => p.id).sort(),
      order: r.points.map((p) => p.id),
      bad,
      selected: el.selected,
      sel: { name: sel.info.name, recurrence: squash(sel.info.recurrence), stateFloats: sel.cost.stateFloats, macs: sel.cost.macs },
      details,
      floats: Object.fromEntries(r.points.map((p) => [p.id, p.cost.stateFloats])),
      columns: Object.fromEntries(r.points.map((p) => [p.id, p.info.forgetting])),
    };
  }, TAG);

async function check(page) {
  const e = await recheck(page);
  assert.deepEqual(e.shownIds, e.ids, 'every variant of core.variants() is on the map');
  assert.deepEqual(e.bad, []);
  assert.ok(e.details.includes(e.sel.recurrence), 'the details show the core’s recurrence');
  assert.equal(await readoutText(page, TAG, 'Selected'), `${e.sel.name} ${await page.evaluate((t) => {
    const el = document.querySelector(t);
    const s = el._res.byId.get(el.selected).info;
    return `${s.family} family, ${s.year}`;
  }, TAG)}`);
  assert.match(await readoutText(page, TAG, 'State after n tokens'), new RegExp(`^${GROUPED(e.sel.stateFloats)} floats`));
  assert.equal(await readoutText(page, TAG, 'Step-by-step cost'), `${GROUPED(e.sel.macs)} multiply-adds for ${GROUPED(e.n)} tokens`);
  return e;
}

widgetSuite(
  {
    name: 'family-map',
    tag: TAG,
    page: PAGE,
    defaults: { selected: 'softmax', n: 4096 },
    url: {
      query: '?family-map.selected=mamba2&family-map.n=65536',
      state: { selected: 'mamba2', n: 65536 },
      change: (page) => page.locator(TAG).locator('label.control', { hasText: 'Model' }).locator('select').selectOption('rwkv7'),
      changed: { selected: 'rwkv7', n: 65536 },
    },
    embed: { query: 'selected=gla', state: { selected: 'gla', n: 4096 } },
    breakWith: { n: 0 },
  },
  (env) => {
    test('every variant is placed by its forgetting and its state size from core.cost; softmax sits alone', async () => {
      const { page, context, log } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const e = await check(page);
      assert.equal(e.columns.softmax, 'none');
      assert.equal(e.columns.deltanet, 'delta');
      // at n = 4096 the cache dwarfs every fixed state, and grows with n
      const others = Object.entries(e.floats).filter(([id]) => id !== 'softmax' && id !== 'sliding_window');
      for (const [id, f] of others) assert.ok(e.floats.softmax > 10 * f, `softmax ${e.floats.softmax} vs ${id} ${f}`);
      await page.locator(TAG).getByRole('slider').fill('6');
      await settle(page);
      const big = await check(page);
      assert.equal(big.n, 1048576);
      assert.equal(big.floats.softmax, 256 * e.floats.softmax);
      for (const [id] of others) assert.equal(big.floats[id], e.floats[id], `${id}'s state does not grow`);
      // select every variant through the drop-down
      for (const id of e.ids) {
        await page.locator(TAG).locator('label.control', { hasText: 'Model' }).locator('select').selectOption(id);
        await settle(page);
        const s = await check(page);
        assert.equal(s.selected, id);
      }
      assert.deepEqual(log.errors, []);
      await context.close();
    });

    test('a click on a point selects it', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      await page.locator(TAG).locator('.surface').scrollIntoViewIfNeeded();
      const box = await page.evaluate((t) => {
        const g = [...document.querySelector(t).shadowRoot.querySelectorAll('g.point')].find((x) => x.querySelector('title').textContent === 'DeltaNet');
        const b = g.querySelector('path').getBoundingClientRect();
        return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      }, TAG);
      await page.mouse.click(box.x, box.y);
      await settle(page);
      const e = await check(page);
      assert.equal(e.selected, 'deltanet');
      await context.close();
    });

    test('keyboard: ← → walk the variants left to right, ↑ ↓ change n; the live region announces', async () => {
      const { page, context } = await openPage(env.browser, env.url());
      await widgetReady(page, TAG);
      const order = (await recheck(page)).order;
      await page.locator(TAG).locator('.surface').focus();
      await page.keyboard.press('Home');
      await settle(page);
      assert.equal((await recheck(page)).selected, order[0]);
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await settle(page);
      let e = await check(page);
      assert.equal(e.selected, order[2]);
      await page.keyboard.press('End');
      await settle(page);
      assert.equal((await recheck(page)).selected, order[order.length - 1]);
      await page.keyboard.press('ArrowUp');
      await settle(page);
      e = await check(page);
      assert.equal(e.n, 16384);
      const live = await liveText(page, TAG, /floats of state after 16,384 tokens/);
      assert.match(live, new RegExp(`${GROUPED(e.sel.stateFloats)} floats of state after 16,384 tokens`));
      await context.close();
    });
  },
);
