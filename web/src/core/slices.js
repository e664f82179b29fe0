// Long computations in slices: a list of jobs (each one core call, kept short by its caller) run a
// few at a time inside a time budget, yielding to the event loop between slices so input, painting
// and the live region go on; progress is reported after every job and an AbortSignal stops the
// run between two jobs. A slice takes a further job only while one as long as the last would still
// fit the budget, so no task lasts much longer than its longest job.

const nextTask = () => new Promise((r) => setTimeout(r, 0));

export function abortError(what = 'computation') {
  const e = new Error(`${what} cancelled`);
  e.name = 'AbortError';
  return e;
}

// jobs: [() => result]; onResult(result, index) after each; resolves to the number of jobs run.
export async function runInSlices(jobs, { signal, budgetMs = 12, onResult, onProgress } = {}) {
  let i = 0;
  while (i < jobs.length) {
    await nextTask();
    if (signal?.aborted) throw abortError();
    const t0 = performance.now();
    let last = 0;
    // another job joins the slice only if one as long as the last still fits the budget
    do {
      const j0 = performance.now();
      const r = jobs[i]();
      last = performance.now() - j0;
      onResult?.(r, i);
      i++;
      onProgress?.(i, jobs.length);
    } while (i < jobs.length && performance.now() - t0 + last < budgetMs && !signal?.aborted);
  }
  return i;
}
