// Shared plumbing for the lesson widget tests (ch01-… to ch09-…): dist/site served by the project's
// static server under a sub-path, the harness's Chromium, and the checks every widget gets (console,
// requests, state changes, URL state, errors, disposal, axe, reduced motion, dark mode, screenshots,
// embed view). Expected numbers are always recomputed in the page through the widget's own core
// instance (element.core), never typed into the test.
//
// No test here compares a wall or CPU time with a limit: how long a task takes depends on the machine
// and on what else runs on it. The bench (`npm run bench -- --browser`, bench/lesson.mjs) imports the
// page and trace helpers below and reports those figures against their targets instead.
import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, serve } from './harness.js';
import { WIDGET_CHANGES } from './widget-changes.mjs';

const require = createRequire(import.meta.url);
export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// The built site; ATTNLAB_SITE_DIR points the tests at another build of it.
export const SITE = process.env.ATTNLAB_SITE_DIR ? resolve(process.env.ATTNLAB_SITE_DIR) : join(REPO, 'dist/site');
export const SHOTS = join(REPO, 'test-results/screenshots');

export { launch };

// dist/site served under a sub-path, as the site must work under one: { base, close }.
export async function serveSite(prefix = '/lesson/') {
  const server = await serve({ root: SITE, base: prefix });
  return { base: server.url, close: () => server.close() };
}

// A page that records console errors, page errors and failed or off-origin requests.
// With { trace: true } the main thread is traced from before navigation; stopTrace() then returns
// its tasks (see mainThreadTasks). { cpuThrottle: R } slows the page's CPU R times (Chromium's
// Emulation.setCPUThrottlingRate) from before navigation, for the bench's slow-device figures.
export async function openPage(browser, url, contextOptions = {}, { trace = false, cpuThrottle = 1 } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const log = { errors: [], offsite: [], failed: [] };
  // anything leaving localhost is recorded and blocked, as in the harness
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    log.offsite.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') log.errors.push(m.text());
  });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('requestfailed', (r) => log.failed.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400) log.failed.push(`${r.status()} ${r.url()}`);
  });
  if (cpuThrottle !== 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuThrottle });
  }
  const stopTrace = trace ? await traceMainThread(browser, page) : null;
  await page.goto(url);
  return { page, context, log, stopTrace };
}

// Starts tracing the page's renderer; the function it resolves to stops the trace and returns the
// main thread's tasks (mainThreadTasks). One trace at a time per browser.
export async function traceMainThread(browser, page) {
  await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline'] });
  return async () => mainThreadTasks(await browser.stopTracing());
}

// The renderer main thread's tasks from a Chromium trace: wall time (dur) and the thread's own CPU
// time (tdur), in ms. On a machine shared with other jobs a task can wait for a CPU for a long
// time; its CPU time is what the page itself asked of the main thread, which is what the bench's
// 50 ms and one-frame targets are about (under Emulation.setCPUThrottlingRate it grows with the
// rate, as a slower CPU's would). Both are returned.
export function mainThreadTasks(buffer) {
  const events = JSON.parse(buffer.toString()).traceEvents;
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mains.has(`${e.pid}/${e.tid}`));
  const ms = (x) => Math.round((x ?? 0) / 100) / 10;
  return {
    maxWall: Math.max(0, ...tasks.map((t) => ms(t.dur))),
    maxCpu: Math.max(0, ...tasks.map((t) => ms(t.tdur))),
    totalCpu: ms(tasks.reduce((a, t) => a + (t.tdur ?? 0), 0)),
    totalWall: ms(tasks.reduce((a, t) => a + (t.dur ?? 0), 0)),
    over50: tasks.filter((t) => ms(t.tdur) > 50).map((t) => ({ wall: ms(t.dur), cpu: ms(t.tdur) })),
  };
}

// Waits until the widget has its core and has drawn its figure; returns a handle to the element.
export async function widgetReady(page, tag) {
  await page.waitForFunction(
    (t) => {
      const el = document.querySelector(t);
      return el && el.core && el.shadowRoot && el.shadowRoot.querySelector('.readouts');
    },
    tag,
    { timeout: 45000 },
  );
  return page.locator(tag);
}

// Text of the readout whose label (dt) starts with `label`.
export function readoutText(page, tag, label) {
  return page.evaluate(
    ([t, l]) => {
      const root = document.querySelector(t).shadowRoot;
      for (const div of root.querySelectorAll('.readouts > div')) {
        if (!div.querySelector('dt').textContent.trim().startsWith(l)) continue;
        // the value, then the note in <small>, separated by one space
        const dd = div.querySelector('dd');
        const note = dd.querySelector('small')?.textContent ?? '';
        const value = [...dd.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
        return `${value} ${note}`.replace(/\s+/g, ' ').trim();
      }
      return null;
    },
    [tag, label],
  );
}

// The widget's polite live region, once it matches `pattern` (announcements are debounced).
export async function liveText(page, tag, pattern, timeout = 5000) {
  await page.waitForFunction(
    ([t, src, flags]) => new RegExp(src, flags).test(document.querySelector(t).shadowRoot.querySelector('[aria-live="polite"]').textContent),
    [tag, pattern.source, pattern.flags],
    { timeout },
  ).catch(() => {});
  return page.evaluate((t) => document.querySelector(t).shadowRoot.querySelector('[aria-live="polite"]').textContent, tag);
}

// Waits until what the last input asked of the page has landed: every widget on it has finished
// its pending Lit updates (compute and draw run inside them) and a frame has been painted, twice
// over, since a handler may only schedule its change for the next frame; then past the widgets'
// debounced URL write. That write is a 120 ms timer a widget starts in its update; a 150 ms timer
// started after the update ends has the later deadline, and Chromium runs timers in deadline
// order, so it fires after the write however slowly the machine runs. No wall-clock guess.
// (The live region's debounced text is waited for by liveText, on its content.)
export async function settle(page) {
  await page.evaluate(async () => {
    const widgets = () => [...document.querySelectorAll('[data-widget]')].filter((el) => el.updateComplete);
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    for (let i = 0; i < 2; i++) {
      await Promise.all(widgets().map((el) => el.updateComplete));
      await frame();
    }
    await new Promise((r) => setTimeout(r, 150));
    await Promise.all(widgets().map((el) => el.updateComplete));
  });
}

// Waits in the page for `ms` of its own timers: for checks that something does NOT happen (a paused
// player does not advance), where any wait is a lower bound and a slow machine only waits longer.
export const pageIdle = (page, ms) => page.evaluate((m) => new Promise((r) => setTimeout(r, m)), ms);

export async function axeViolations(page) {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) }));
  });
}

export async function screenshot(locator, name) {
  await mkdir(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await locator.screenshot({ path });
  return path;
}

// Formats a number the way the widgets' readouts do (en, grouped, no decimals), in the page.
export const GROUPED = (x) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x);

// The checks every lesson widget gets, as one node:test suite. `spec`:
//   name, tag, page            data-widget name, custom element, chapter page (relative to the site);
//                              the suite tests the page's first element of that tag (chapter 5 holds
//                              three recall labs)
//   defaults                   the widget's state with no attributes and no URL
//   url: { query, state, change(page), changed }   a shared link's query (prefixed keys), the state it
//                              must restore, an interaction, and the state fields it must change
//   embed: { query, state }    the embed view's unprefixed query and the state it must show
//   breakWith                  properties that make the core throw (e.g. a size over its limits)
// The state patches each widget is put through are WIDGET_CHANGES[name] (widget-changes.mjs).
//   screenshotPrep(page)       optional, puts the widget in an interesting state before screenshots
// `extra(env)` registers the widget's own tests; env.browser, env.base, env.url(query) are set in before().
export function widgetSuite(spec, extra) {
      describe(`${spec.name} widget`, () => {
        const env = {};
        before(async () => {
          env.server = await serveSite();
          env.browser = await launch();
          env.base = env.server.base;
          env.url = (query = '') => env.server.base + spec.page + query;
        });
        after(async () => {
          await env.browser?.close();
          await env.server?.close();
        });

        const stateOf = (page) => page.evaluate((t) => document.querySelector(t).state, spec.tag);

        test('loads with no console error, no request outside localhost, in its default state', async () => {
          const { page, context, log } = await openPage(env.browser, env.url());
          await widgetReady(page, spec.tag);
          await settle(page);
          assert.deepEqual(log.errors, []);
          assert.deepEqual(log.offsite, []);
          assert.deepEqual(log.failed, []);
          assert.equal(await page.locator(spec.tag).first().getAttribute('data-widget'), spec.name);
          assert.deepEqual(await stateOf(page), spec.defaults);
          await context.close();
        });

        test('each change updates the state and the figure, with no error', async () => {
          const { page, context, log } = await openPage(env.browser, env.url());
          await widgetReady(page, spec.tag);
          const changes = WIDGET_CHANGES[spec.name];
          assert.ok(changes?.length > 0, `widget-changes.mjs lists changes for ${spec.name}`);
          for (const patch of changes) {
            const r = await page.evaluate(
              async ([t, p]) => {
                const el = document.querySelector(t);
                // what is on screen: the figure's markup, every canvas's pixels, the readouts' text
                const picture = () => {
                  const root = el.shadowRoot;
                  const figure = root.querySelector('.figure');
                  return [figure.innerHTML, ...[...figure.querySelectorAll('canvas')].map((c) => c.toDataURL()), root.querySelector('.readouts')?.textContent ?? ''].join('\n');
                };
                const before = picture();
                Object.assign(el, p);
                await el.updateComplete;
                return { state: el.state, error: el.shadowRoot.querySelector('.error').textContent.trim(), redrawn: picture() !== before };
              },
              [spec.tag, patch],
            );
            for (const [k, v] of Object.entries(patch)) assert.equal(r.state[k], v, `state.${k} after ${JSON.stringify(patch)}`);
            assert.equal(r.error, '', `no error message after ${JSON.stringify(patch)}`);
            assert.ok(r.redrawn, `the figure or its readouts changed after ${JSON.stringify(patch)}`);
          }
          assert.deepEqual(log.errors, []);
          await context.close();
        });

        test('Tab reaches every control and the figure, each with a visible focus ring', async () => {
          const { page, context } = await openPage(env.browser, env.url());
          await widgetReady(page, spec.tag);
          const focusable = await page.evaluate(
            (t) =>
              [...document.querySelector(t).shadowRoot.querySelectorAll('input, select, button:not([disabled]), summary, a[href], [tabindex="0"]')].filter(
                (el) => !(el.type === 'radio' && !el.checked),
              ).length,
            spec.tag,
          );
          // start just before the widget, then Tab until focus leaves it
          await page.evaluate((t) => {
            const b = document.createElement('button');
            b.id = '__before';
            b.textContent = 'before';
            document.querySelector(t).before(b);
          }, spec.tag);
          await page.focus('#__before');
          const seen = [];
          for (let i = 0; i < focusable + 3; i++) {
            await page.keyboard.press('Tab');
            const info = await page.evaluate((t) => {
              if (document.activeElement !== document.querySelector(t)) return null;
              const el = document.querySelector(t).shadowRoot.activeElement;
              const cs = getComputedStyle(el);
              return { tag: el.tagName, text: (el.getAttribute('aria-label') || el.textContent || el.type).trim().slice(0, 40), outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
            }, spec.tag);
            if (!info) break;
            seen.push(info);
          }
          assert.equal(seen.length, focusable, `tab stops: ${JSON.stringify(seen)}`);
          for (const s of seen) assert.ok(s.outline !== 'none' && s.width >= 2, `no visible focus ring on ${JSON.stringify(s)}`);
          assert.ok(seen.some((s) => s.tag === 'DIV'), 'the figure surface is focusable');
          await context.close();
        });

        extra(env);

        test('a shared link restores the state, and changes are written back to the URL', async () => {
          const { page, context } = await openPage(env.browser, env.url(spec.url.query));
          await widgetReady(page, spec.tag);
          assert.deepEqual(await stateOf(page), spec.url.state);
          await spec.url.change(page);
          await settle(page);
          const now = await stateOf(page);
          for (const [k, v] of Object.entries(spec.url.changed)) assert.equal(now[k], v, `state.${k} after the change`);
          const params = new URL(page.url()).searchParams;
          // values at their default are left out of the link, to keep it short
          for (const [k, v] of Object.entries(spec.url.changed))
            assert.equal(params.get(`${spec.name}.${k}`), v === spec.defaults[k] && k !== 'seed' ? null : String(v), `URL ${spec.name}.${k}`);
          await page.reload();
          await widgetReady(page, spec.tag);
          assert.deepEqual(await stateOf(page), now);
          await context.close();
        });

        test('a core error is shown as a visible, polite message beside the last figure', async () => {
          const { page, context, log } = await openPage(env.browser, env.url());
          await widgetReady(page, spec.tag);
          await page.evaluate(([t, patch]) => Object.assign(document.querySelector(t), patch), [spec.tag, spec.breakWith]);
          await settle(page);
          const err = await page.evaluate((t) => {
            const el = document.querySelector(t).shadowRoot.querySelector('.error');
            const box = el.getBoundingClientRect();
            return { text: el.textContent.trim(), role: el.getAttribute('role'), visible: box.height > 0 && getComputedStyle(el).display !== 'none' };
          }, spec.tag);
          assert.match(err.text, /\w/);
          assert.equal(err.role, 'status');
          assert.ok(err.visible, 'error message is visible');
          const figure = await page.evaluate((t) => document.querySelector(t).shadowRoot.querySelector('.figure').querySelectorAll('canvas, svg').length, spec.tag);
          assert.ok(figure > 0, 'the last figure stays on screen');
          assert.deepEqual(log.errors, [], 'no console error');
          // back to a valid state: the message goes away
          await page.evaluate(([t, d]) => Object.assign(document.querySelector(t), d), [spec.tag, spec.defaults]);
          await settle(page);
          assert.equal(await page.evaluate((t) => document.querySelector(t).shadowRoot.querySelector('.error').textContent.trim(), spec.tag), '');
          await context.close();
        });

        test('removing the widget disposes its core states (mounted and removed 30 times)', async () => {
          const { page, context } = await openPage(env.browser, env.url());
          await widgetReady(page, spec.tag);
          const counts = await page.evaluate(async (t) => {
            const core = document.querySelector(t).core;
            const start = core._liveObjects();
            const removed = [];
            for (let i = 0; i < 30; i++) {
              const el = document.createElement(t);
              document.body.append(el);
              while (!el.shadowRoot?.querySelector('.readouts')) await new Promise((r) => setTimeout(r, 5));
              el.remove();
              removed.push(el);
            }
            // a render queued before a removal still runs: count once every one of them has
            await Promise.all(removed.map((el) => el.updateComplete));
            await new Promise((r) => setTimeout(r, 0));
            return { start, end: core._liveObjects() };
          }, spec.tag);
          assert.equal(counts.end, counts.start, JSON.stringify(counts));
          await context.close();
        });

        test('axe-core finds no WCAG 2 A/AA violation, light and dark, data table open', async () => {
          for (const colorScheme of ['light', 'dark']) {
            const { page, context } = await openPage(env.browser, env.url(), { colorScheme });
            await widgetReady(page, spec.tag);
            await page.locator(spec.tag).first().getByText('Data table').click();
            await settle(page);
            const v = await axeViolations(page);
            assert.deepEqual(v, [], `${colorScheme}: ${JSON.stringify(v, null, 1)}`);
            await context.close();
          }
        });

        test('reduced motion: nothing moves by itself; dark mode: the dark palette', async () => {
          const { page, context } = await openPage(env.browser, env.url(), { reducedMotion: 'reduce', colorScheme: 'dark' });
          await widgetReady(page, spec.tag);
          const before = JSON.stringify(await stateOf(page));
          await pageIdle(page, 1500);
          assert.equal(JSON.stringify(await stateOf(page)), before);
          assert.equal(await page.evaluate((t) => document.querySelector(t).reducedMotion, spec.tag), true);
          assert.equal(await page.evaluate((t) => document.querySelector(t).shadowRoot.getAnimations().length, spec.tag), 0);
          const bg = await page.evaluate((t) => getComputedStyle(document.querySelector(t).shadowRoot.querySelector('.frame')).backgroundColor, spec.tag);
          const [r, g, b] = bg.match(/\d+/g).map(Number);
          assert.ok(r + g + b < 150, `dark frame background expected, got ${bg}`);
          await context.close();
        });

        test('screenshots at desktop and 375 px (light and dark), no sideways scrolling', async () => {
          for (const [width, scheme] of [
            [1280, 'light'],
            [1280, 'dark'],
            [375, 'light'],
            [375, 'dark'],
          ]) {
            const { page, context } = await openPage(env.browser, env.url(), { viewport: { width, height: 900 }, colorScheme: scheme });
            await widgetReady(page, spec.tag);
            if (spec.screenshotPrep) await spec.screenshotPrep(page);
            await settle(page);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at ${width}px`);
            await screenshot(page.locator(spec.tag).first(), `${spec.name}-${width}-${scheme}`);
            await context.close();
          }
        });

        test('the embed view shows the widget alone with the state of its query', async () => {
          const { page, context, log } = await openPage(env.browser, `${env.base}embed.html?widget=${spec.name}&${spec.embed.query}`);
          await widgetReady(page, spec.tag);
          assert.equal(await page.locator('[data-widget]').count(), 1);
          assert.deepEqual(await stateOf(page), spec.embed.state);
          assert.deepEqual(log.errors, []);
          await context.close();
        });
      });
}
