// Timing the real kernels on the reader's device without freezing the page.
//
// Each core.measure call runs one form at one length inside the module (a warm-up, then the median
// of `reps` runs). One call is one task on the main thread, so a series only takes a length whose
// predicted time fits the budget: the prediction scales the last measured run time by the ratio of
// the core's cost model at the two lengths. Between calls the runner
// yields to the event loop, so input and painting go on, and it can be cancelled at any point.

const yieldToPage = () => new Promise((r) => setTimeout(r, 0));

// The budget is 15 ms a call: a doubling of n can cost more than the cost model's ratio once the
// score rows fall out of a CPU cache, so the prediction needs room below the 50 ms long-task line.
// series: [{ key, side: { id, form, options }, lengths: [n...] }], d: head dim.
// onPoint({ key, n, ms, result }) for each result (ms: the median time per run; result: all of
// core.measure's figures); resolves to { stopped: { key: n } } listing where each
// series stopped short to respect the budget. Rejects with an AbortError when signal aborts.
export async function measureSeries(core, series, d, { signal, onPoint, budgetMs = 15, reps = 3 } = {}) {
  const stopped = {};
  for (const s of series) {
    let last = null;
    for (const n of s.lengths) {
      if (signal?.aborted) throw abortError();
      const macs = core.cost(s.side.id, { n, dk: d, dv: d, form: s.side.form, ...s.side.options }).macs;
      if (last && predictWall(last, macs / last.macs, reps) > budgetMs) {
        stopped[s.key] = n;
        break;
      }
      const t0 = performance.now();
      const r = core.measure(s.side.id, { n, dk: d, dv: d, form: s.side.form, reps, ...s.side.options });
      const wall = performance.now() - t0;
      last = { macs, run: r.medianMs };
      onPoint?.({ key: s.key, n, ms: r.medianMs, result: r });
      await yieldToPage();
      // a call that overran the budget (a busy device) ends the series: the next would be longer
      if (wall > budgetMs * 1.5 && n !== s.lengths[s.lengths.length - 1]) {
        stopped[s.key] = s.lengths[s.lengths.indexOf(n) + 1];
        break;
      }
    }
  }
  return { stopped };
}

// One measure call is one task: a warm-up run, then `reps` repetitions of `inner` runs, where the
// core batches short runs (`inner` > 1) until a repetition takes about a millisecond. The runs scale
// with the model's macs; the factor 1.5 leaves room for the call's own overhead and for noise.
function predictWall(last, ratio, reps) {
  const run = last.run * ratio;
  const inner = Math.max(1, Math.ceil(1 / Math.max(run, 1e-6)));
  return 1.5 * run * (1 + reps * inner);
}

function abortError() {
  const e = new Error('measurement cancelled');
  e.name = 'AbortError';
  return e;
}
