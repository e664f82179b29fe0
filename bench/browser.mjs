// The browser side of `npm run bench -- --browser` (bench/run.mjs opens this page in headless
// Chromium). Two modes, each on a fresh page:
//   mode=load   loads the shipped core as a lesson page does (dist/pkg/attnlab.js, loadCore()) and
//               reports the module's compile + instantiate time, loadCore()'s total and every long
//               task (> 50 ms) the page ran while loading;
//   mode=suite  runs bench/suite.mjs on the same two benchmark modules Node runs.
// The result lands in window.__bench for run.mjs and is printed on the page.
import { loadBench } from './wasm-loader.mjs';
import { runSuite } from './suite.mjs';

const params = new URLSearchParams(location.search);
const out = document.getElementById('out');
const print = (line) => {
  out.textContent = out.textContent === 'running…' ? line : `${out.textContent}\n${line}`;
};

const longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask', buffered: true });
} catch {
  // Only Chromium reports long tasks; the result then says none were observable.
}

async function loadMode() {
  const spans = [];
  const timed = (name) => {
    const original = WebAssembly[name];
    WebAssembly[name] = async function (...args) {
      const t0 = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        spans.push({ name, ms: performance.now() - t0 });
      }
    };
    return () => {
      WebAssembly[name] = original;
    };
  };
  const restore = [timed('instantiate'), timed('instantiateStreaming')];
  const t0 = performance.now();
  const { loadCore } = await import('../dist/pkg/attnlab.js');
  const core = await loadCore();
  const total = performance.now() - t0;
  restore.forEach((r) => r());
  // Long-task entries arrive after the task ends.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    simd: Boolean(core.info?.simd),
    // instantiateStreaming overlaps the (local) download with compilation.
    compile_instantiate_ms: spans.reduce((a, s) => a + s.ms, 0),
    instantiate_calls: spans,
    load_core_ms: total,
    long_tasks_ms: longTasks.slice(),
    user_agent: navigator.userAgent,
    cross_origin_isolated: self.crossOriginIsolated === true,
  };
}

async function suiteMode() {
  const dir = params.get('wasm') ?? '/build/bench/wasm/';
  const bytes = async (name) => new Uint8Array(await (await fetch(`${dir}${name}`)).arrayBuffer());
  const simd = await loadBench(await bytes('bench-simd.wasm'));
  const baseline = await loadBench(await bytes('bench-baseline.wasm'));
  const opts = {
    warmMs: Number(params.get('warmMs') ?? 100),
    batchMs: Number(params.get('batchMs') ?? 15),
    batches: Number(params.get('batches') ?? 9),
    only: params.get('only') || null,
    log: (r) => print(`${r.name}: simd ${r.simd.median_ms.toFixed(4)} ms, baseline ${r.baseline.median_ms.toFixed(4)} ms${r.js ? `, js ${r.js.median_ms.toFixed(4)} ms` : ''}`),
  };
  return { rows: await runSuite(simd, baseline, opts), cross_origin_isolated: self.crossOriginIsolated === true };
}

try {
  const result = params.get('mode') === 'load' ? await loadMode() : await suiteMode();
  if (result.load_core_ms !== undefined)
    print(`core: compile + instantiate ${result.compile_instantiate_ms.toFixed(1)} ms, loadCore() ${result.load_core_ms.toFixed(1)} ms, long tasks ${JSON.stringify(result.long_tasks_ms)}`);
  window.__bench = result;
} catch (err) {
  print(`error: ${err?.stack ?? err}`);
  window.__bench = { error: String(err?.stack ?? err) };
}
