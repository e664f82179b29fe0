// The closing page and the glossary: load cleanly, link every chapter, pass axe, fit 375 px.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveSite, launch, openPage, axeViolations, settle, SHOTS } from './lesson-support.mjs';
import { CHAPTERS } from '../../web/site/chapters.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const PAGES = ['chapters/10-closing.html', 'chapters/11-glossary.html'];

describe('closing page and glossary', () => {
  let server;
  let browser;
  before(async () => {
    server = await serveSite();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const file of PAGES) {
    test(`${file}: no console error, no request off localhost, core ready, axe clean light and dark`, async () => {
      for (const colorScheme of ['light', 'dark']) {
        const { page, context, log } = await openPage(browser, server.base + file, { colorScheme });
        await page.waitForFunction(() => document.documentElement.dataset.core, null, { timeout: 30000 });
        assert.equal(await page.evaluate(() => document.documentElement.dataset.core), 'ready');
        await settle(page);
        assert.deepEqual(log.errors, []);
        assert.deepEqual(log.offsite, []);
        assert.deepEqual(log.failed, []);
        const v = await axeViolations(page);
        assert.deepEqual(v, [], `${colorScheme}: ${JSON.stringify(v, null, 1)}`);
        await context.close();
      }
    });

    test(`${file}: fits 375 px without sideways scrolling (screenshots saved)`, async () => {
      await mkdir(SHOTS, { recursive: true });
      for (const [width, scheme] of [
        [1280, 'light'],
        [375, 'dark'],
      ]) {
        const { page, context } = await openPage(browser, server.base + file, { viewport: { width, height: 900 }, colorScheme: scheme });
        await page.waitForFunction(() => document.documentElement.dataset.core, null, { timeout: 30000 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `scrolls sideways by ${overflow}px at ${width}px`);
        const name = file.replace(/^chapters\/|\.html$/g, '');
        await page.screenshot({ path: join(SHOTS, `${name}-${width}-${scheme}.png`), fullPage: true });
        await context.close();
      }
    });
  }

  test('the closing page links chapters 1 to 9 and the glossary; every link answers', async () => {
    const { page, context } = await openPage(browser, server.base + PAGES[0]);
    const hrefs = await page.evaluate(() => [...document.querySelectorAll('article a[href]')].map((a) => a.href));
    for (const c of CHAPTERS.filter((c) => c.n <= 9)) assert.ok(hrefs.some((h) => h.endsWith(c.file)), `links ${c.file}`);
    assert.ok(hrefs.some((h) => h.endsWith('11-glossary.html')));
    for (const h of new Set(hrefs)) {
      const res = await page.request.get(h);
      assert.equal(res.status(), 200, h);
    }
    await context.close();
  });

  test('the glossary defines the symbols the chapters use, each with a working chapter link', async () => {
    const { page, context } = await openPage(browser, server.base + PAGES[1]);
    const entries = await page.evaluate(() =>
      [...document.querySelectorAll('dl.glossary dt')].map((dt) => ({
        term: dt.querySelector('annotation')?.textContent ?? dt.textContent.trim(),
        links: [...dt.nextElementSibling.querySelectorAll('a[href]')].map((a) => a.href),
      })),
    );
    // a <dt> like \(d,\ d_k,\ d_v\) defines d, d_k and d_v (KaTeX keeps the TeX in an annotation)
    const defined = new Set(entries.flatMap((e) => e.term.split(/,\\ /).map((x) => x.trim())));
    for (const sym of ['n', 't', 'd', 'd_k', 'L', 'K', 'q_t', 'S_t', 'o_t', '\\phi', '\\tau', 'w', 'u', '\\mu', '\\gamma', 'g_t', '\\beta_t'])
      assert.ok(defined.has(sym), `glossary entry for ${sym}; defined: ${[...defined].join(' | ')}`);
    assert.ok(entries.length >= 30);
    for (const e of entries) assert.ok(e.links.length > 0, `${e.term} names its chapter`);
    // the site's table of contents lists the glossary
    await page.goto(server.base + 'index.html');
    assert.ok(await page.locator('a[href$="11-glossary.html"]').count());
    await context.close();
  });
});
