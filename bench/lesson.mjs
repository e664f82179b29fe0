// The lesson site's main-thread figures, for `npm run bench -- --browser` (bench/run.mjs).
//
// Timing is the bench's job, never a test's: the browser tests (tests/browser/) check what every page
// and widget shows, and this file reports how long that took the renderer's main thread, against
// the lesson's targets:
//   every page of dist/site (index, chapters, closing, glossary): the longest task while it loads
//     and settles, at most 50 ms;
//   every widget: the main-thread CPU per change of tests/browser/widget-changes.mjs (compute,
//     render and paint), at most one frame (16.7 ms), and the longest task meanwhile, 50 ms;
//   the widgets that run long work in slices (cost-curve's measurement, recall-lab's sweep, the
//     simulator's real kernels, decision-map's capacity search): the longest task meanwhile, 50 ms.
// Figures are the main thread's own CPU time from a Chromium trace (what the page asked of the CPU;
// on a shared machine a task's wall time also holds the time it waited for one), with the wall time
// beside them. --throttle R adds runs under Chromium's CPU throttling (Emulation.setCPUThrottlingRate,
// which stretches the main thread's CPU time R-fold), standing in for a device R times slower.
//
// The pages, the tracing and the widgets' readiness come from the tests' own helpers
// (tests/browser/lesson-support.mjs), so the bench drives the site exactly as the tests do.
import os from 'node:os';
import { CHAPTERS } from '../web/site/chapters.js';
import { launch, openPage, serveSite, settle, traceMainThread, widgetReady } from '../tests/browser/lesson-support.mjs';
import { WIDGET_CHANGES } from '../tests/browser/widget-changes.mjs';

export const LESSON_TARGETS = { longTaskMs: 50, frameMs: 1000 / 60 };

// Every page of the built site; embed.html shows one widget of a chapter page alone, so the chapter
// pages cover it.
export const PAGES = [{ file: 'index.html', widgets: [] }, ...CHAPTERS.map((c) => ({ file: c.file, widgets: c.widgets }))];

const pageOf = (widget) => CHAPTERS.find((c) => c.widgets.includes(widget)).file;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// A page's own work once it is drawn (timers, observers, sweeps that start by themselves) counts as
// "settling": this long a window, in the page's own time, after the last widget has drawn.
const SETTLE_WINDOW_MS = 500;

async function loadPage(browser, base, { file, widgets }, rate) {
  const { page, context, log, stopTrace } = await openPage(browser, base + file, {}, { trace: true, cpuThrottle: rate });
  try {
    await page.waitForFunction(() => document.documentElement.dataset.core, null, { timeout: 120000 });
    for (const w of widgets) await widgetReady(page, `attn-${w}`);
    await settle(page);
    await page.evaluate((ms) => new Promise((r) => setTimeout(r, ms)), SETTLE_WINDOW_MS);
    const tasks = await stopTrace();
    return { ...tasks, core: await page.evaluate(() => document.documentElement.dataset.core), errors: log.errors.length + log.failed.length + log.offsite.length };
  } finally {
    await context.close();
  }
}

// Each change of the widget's list, twice over, one per task, each followed by the frame that
// paints it; CPU per change is the traced main-thread CPU of the whole series over the changes.
async function changeWidget(browser, base, widget, rate) {
  const tag = `attn-${widget}`;
  const { page, context } = await openPage(browser, base + pageOf(widget), {}, { cpuThrottle: rate });
  try {
    await widgetReady(page, tag);
    await settle(page);
    const changes = [...WIDGET_CHANGES[widget], ...WIDGET_CHANGES[widget]];
    const stop = await traceMainThread(browser, page);
    for (const patch of changes)
      await page.evaluate(
        async ([t, p]) => {
          const el = document.querySelector(t);
          Object.assign(el, p);
          await el.updateComplete;
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        },
        [tag, patch],
      );
    const tasks = await stop();
    return { changes: changes.length, cpuPerChange: tasks.totalCpu / changes.length, wallPerChange: tasks.totalWall / changes.length, ...tasks };
  } finally {
    await context.close();
  }
}

// Long work in slices, each scenario from a fresh page: `prepare` gets the page ready (untraced),
// `run` starts the work and waits for it to end (traced); `note` says how far the work got.
const SLICED = [
  {
    widget: 'cost-curve',
    what: 'Measure on this device',
    prepare: async (page, tag) => {
      await page.locator(tag).getByLabel('Measured here').check();
      await settle(page);
    },
    run: async (page, tag) => {
      await page.locator(tag).getByRole('button', { name: 'Measure on this device' }).click();
      await page.waitForFunction((t) => !document.querySelector(t)._measuring && document.querySelector(t)._measured, tag, { timeout: 600000, polling: 250 });
    },
    note: (page, tag) =>
      page.evaluate((t) => {
        const m = document.querySelector(t)._measured;
        return `timed up to n = ${m.points.softmax.at(-1)?.n} (softmax), ${m.points.linear.at(-1)?.n} (linear)`;
      }, tag),
  },
  {
    widget: 'recall-lab',
    what: 'sweep at d = 128',
    prepare: async (page, tag) => {
      await page.locator(tag).scrollIntoViewIfNeeded();
      await sweepDone(page, tag);
    },
    run: async (page, tag) => {
      await page.locator(tag).getByLabel('State size d').selectOption('128');
      await sweepDone(page, tag);
    },
    note: (page, tag) =>
      page.evaluate((t) => {
        const p = document.querySelector(t)._progress;
        return `${p.total - p.skipped} of ${p.total} recall runs, ${p.skipped} too slow for the page`;
      }, tag),
  },
  {
    widget: 'simulator',
    what: 'real kernels, 2,048 tokens',
    query: '?simulator.length=2048',
    prepare: async (page, tag) => {
      await page.locator(tag).getByLabel('run and time them').check();
      await settle(page);
    },
    run: async (page, tag) => {
      await page.evaluate((t) => Object.assign(document.querySelector(t), { t: 2048 }), tag);
      await page.waitForFunction((t) => document.querySelector(t)._run?.t === 2048 && !document.querySelector(t)._progress?.running, tag, { timeout: 600000, polling: 250 });
    },
    note: (page, tag) => page.evaluate((t) => `${document.querySelector(t)._run.t} tokens stepped through 8 layers`, tag),
  },
  {
    widget: 'decision-map',
    what: 'capacity search, random keys',
    query: '?decision-map.keys=random',
    prepare: async () => {},
    run: async (page, tag) => {
      // the search starts once the map is on screen
      await page.locator(tag).scrollIntoViewIfNeeded();
      await page.waitForFunction(
        (t) => {
          const el = document.querySelector(t);
          return el._res && el._res.bounds.capacity !== null && !el._search?.running;
        },
        tag,
        { timeout: 600000, polling: 250 },
      );
    },
    note: (page, tag) =>
      page.evaluate((t) => {
        const el = document.querySelector(t);
        const cap = [...el._capacity.values()].at(-1);
        return `capacity ${cap.atLeast ? 'at least ' : ''}${cap.capacity} after ${cap.probes.length} probes`;
      }, tag),
  },
];

function sweepDone(page, tag) {
  return page.waitForFunction(
    (t) => {
      const p = document.querySelector(t)._progress;
      return p && !p.running && p.done === p.total;
    },
    tag,
    { timeout: 600000, polling: 250 },
  );
}

async function sliced(browser, base, s, rate) {
  const tag = `attn-${s.widget}`;
  const { page, context, log } = await openPage(browser, base + pageOf(s.widget) + (s.query ?? ''), {}, { cpuThrottle: rate });
  try {
    await widgetReady(page, tag);
    await s.prepare(page, tag);
    const stop = await traceMainThread(browser, page);
    const t0 = Date.now();
    await s.run(page, tag);
    const tasks = await stop();
    return { ...tasks, seconds: (Date.now() - t0) / 1000, note: await s.note(page, tag), errors: log.errors.length };
  } finally {
    await context.close();
  }
}

// One row per figure; `at` maps each rate to its measurement (CPU and wall ms).
function rowsOf(byRate, rates, loads) {
  const rows = [];
  const { longTaskMs, frameMs } = LESSON_TARGETS;
  const row = (kind, name, figure, limit, pick) => {
    const at = {};
    for (const r of rates) {
      const m = pick(byRate[r]);
      at[r] = { cpu_ms: m.cpu, wall_ms: m.wall, met: m.cpu <= limit, ...(m.extra ?? {}) };
    }
    rows.push({ kind, name, figure, target_ms: limit, at });
  };
  for (const p of PAGES) {
    const name = p.file.replace(/^chapters\//, '');
    row('page', name, `longest task, loading and settling (median of ${loads})`, longTaskMs, (r) => {
      const runs = r.pages[p.file];
      const pickMedian = (k) => median(runs.map((x) => x[k]));
      return { cpu: pickMedian('maxCpu'), wall: pickMedian('maxWall'), extra: { runs_cpu_ms: runs.map((x) => x.maxCpu), runs_wall_ms: runs.map((x) => x.maxWall), page_errors: runs.reduce((a, x) => a + x.errors, 0) } };
    });
  }
  for (const w of Object.keys(WIDGET_CHANGES)) {
    row('widget', w, 'CPU per change (compute + render + paint)', frameMs, (r) => ({ cpu: r.widgets[w].cpuPerChange, wall: r.widgets[w].wallPerChange, extra: { changes: r.widgets[w].changes } }));
    row('widget', w, 'longest task while changing', longTaskMs, (r) => ({ cpu: r.widgets[w].maxCpu, wall: r.widgets[w].maxWall }));
  }
  for (const s of SLICED)
    row('sliced', s.widget, `longest task, ${s.what}`, longTaskMs, (r) => {
      const m = r.sliced[s.widget];
      return { cpu: m.maxCpu, wall: m.maxWall, extra: { seconds: m.seconds, note: m.note, tasks_over_50ms: m.over50.length, page_errors: m.errors } };
    });
  return rows;
}

// rates: CPU throttling rates, 1 first; loads: page loads per page and rate (the median is reported).
export async function runLesson({ rates = [1], loads = 3, log = console.log } = {}) {
  const server = await serveSite();
  const browser = await launch();
  const byRate = {};
  // CPU times hold up on a busy machine better than wall times, but not entirely (shared caches and
  // cores): the load is recorded with the figures.
  const loadBefore = os.loadavg()[0];
  try {
    for (const rate of rates) {
      const r = { pages: {}, widgets: {}, sliced: {} };
      // One load first, its figures discarded: the browser's own start-up work (compiling its
      // internal scripts, warming its caches) would otherwise land on whichever page came first.
      await loadPage(browser, server.base, PAGES[0], rate);
      for (const p of PAGES) {
        r.pages[p.file] = [];
        for (let i = 0; i < loads; i++) r.pages[p.file].push(await loadPage(browser, server.base, p, rate));
        log(`  ${rate}x  ${p.file}: longest task ${r.pages[p.file].map((x) => x.maxCpu).join(', ')} ms CPU`);
      }
      for (const w of Object.keys(WIDGET_CHANGES)) {
        r.widgets[w] = await changeWidget(browser, server.base, w, rate);
        log(`  ${rate}x  ${w}: ${r.widgets[w].cpuPerChange.toFixed(1)} ms CPU per change, longest task ${r.widgets[w].maxCpu} ms`);
      }
      for (const s of SLICED) {
        r.sliced[s.widget] = await sliced(browser, server.base, s, rate);
        log(`  ${rate}x  ${s.widget} ${s.what}: longest task ${r.sliced[s.widget].maxCpu} ms CPU in ${r.sliced[s.widget].seconds.toFixed(1)} s; ${r.sliced[s.widget].note}`);
      }
      byRate[rate] = r;
    }
    return {
      date: new Date().toISOString(),
      chromium: browser.version(),
      clock: 'renderer main-thread CPU time from a Chromium trace (tdur); wall time (dur) beside it',
      rates,
      loads_per_page: loads,
      load_average: { before: loadBefore, after: os.loadavg()[0], cpus: os.cpus().length },
      targets_ms: LESSON_TARGETS,
      rows: rowsOf(byRate, rates, loads),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

const fmt = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

// The table: one line per figure, a column per rate: CPU ms (wall ms) and met / MISSED.
export function lessonTable(result) {
  const head = ['', 'figure', 'target', ...result.rates.map((r) => `${r}x CPU: ms CPU (wall)`)];
  const lines = [head];
  for (const row of result.rows)
    lines.push([
      `${row.kind} ${row.name}`,
      row.figure,
      `<= ${fmt(row.target_ms)} ms`,
      ...result.rates.map((r) => {
        const a = row.at[r];
        return `${fmt(a.cpu_ms)} (${fmt(a.wall_ms)})  ${a.met ? 'met' : 'MISSED'}`;
      }),
    ]);
  const widths = head.map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  const text = lines.map((l) => l.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
  const counts = result.rates.map((r) => `${result.rows.filter((row) => row.at[r].met).length} of ${result.rows.length} met at ${r}x`);
  const errors = result.rows.flatMap((row) => result.rates.filter((r) => row.at[r].page_errors).map((r) => `${row.kind} ${row.name} at ${r}x: ${row.at[r].page_errors}`));
  const notes = [
    ...result.rows.filter((row) => row.kind === 'sliced').map((row) => `${row.name}: ${result.rates.map((r) => `${r}x ${row.at[r].note} in ${row.at[r].seconds.toFixed(0)} s`).join('; ')}`),
    `load average ${result.load_average.before.toFixed(1)} before, ${result.load_average.after.toFixed(1)} after, on ${result.load_average.cpus} CPUs`,
    ...(errors.length ? [`page errors (console, failed or off-origin requests), figures suspect: ${errors.join('; ')}`] : []),
  ];
  return `${text.join('\n')}\n${notes.join('\n')}\nlesson: ${counts.join('; ')}`;
}
