// The one place widgets reach the core: through the package wrapper, never the Emscripten factory.
//
// Loaded once per page, lazily: the wrapper and its glue are a separate chunk imported only when
// the first widget connects, so evaluating them, compiling the .wasm and warming the kernels each
// happen in their own task rather than in one long task with the page's script. Warming runs the
// kernels the widgets call once at tiny sizes, so the first interaction does not pay for the
// engine's first-call tier-up.

let pending = null;

const nextTask = () => new Promise((r) => setTimeout(r, 0));

export function getCore() {
  if (!pending) {
    pending = import('attnlab').then(async ({ loadCore }) => {
      await nextTask();
      const core = await loadCore();
      for (const run of warmups(core)) {
        await nextTask();
        try {
          run();
        } catch {
          // a warm-up is only an optimisation; the widget that needs the call reports the error
        }
      }
      return core;
    });
  }
  return pending;
}

// One task per kernel: the engine compiles each wasm function on its first call, and together
// those first calls would make one long task.
function warmups(core) {
  const n = 8;
  const d = 8;
  const x = new Float32Array(n * d).fill(0.5);
  const inputs = { q: x, k: x, v: x };
  const identity = { featureMap: 'identity', normalize: false };
  const steps = [
    () => core.run('softmax', inputs, { n, dk: d, dv: d, form: 'parallel' }),
    () => core.run('linear', inputs, { n, dk: d, dv: d, form: 'parallel', ...identity }),
    () => core.run('linear', inputs, { n, dk: d, dv: d, form: 'recurrent', ...identity }),
    () => {
      const s = core.createState('linear', { dk: d, dv: d, ...identity });
      try {
        s.step({ q: x.subarray(0, d), k: x.subarray(0, d), v: x.subarray(0, d) });
      } finally {
        s.dispose();
      }
    },
  ];
  if (typeof core.measure === 'function') {
    // the timing path's own first call (the measured view starts with tiny lengths)
    steps.push(() => core.measure('linear', { n, dk: d, dv: d, form: 'recurrent', reps: 1, ...identity }));
  }
  if (typeof core.cost === 'function') {
    steps.push(() => {
      core.cost('softmax', { n, dk: d, dv: d, form: 'parallel' });
      core.cost('linear', { n, dk: d, dv: d, form: 'recurrent', ...identity });
    });
  }
  return steps;
}
