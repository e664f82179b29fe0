// The part of the benchmark that runs in one JS engine, shared by Node (bench/run.mjs) and the
// browser page (bench/browser.html): for every case of bench/kernels.cpp, check that the SIMD build,
// the baseline build and the plain-JS version give the same result, then time them.
//
// Timing is paired: after each one's calibration, the SIMD build, the baseline build, the JS version
// and the two ceiling probes (in the SIMD build) run one batch each, round after round, and each
// takes the median of its batches. Every ratio of a case thus compares figures taken under the same
// conditions, which matters on a machine shared with other work; the ceiling of a case is the
// better of its two probes' medians.

import { calibrateJs, jsKernels, timeJs } from './js-kernels.mjs';

// What each kernel writes; everything else is input.
const OUTPUTS = {
  gemm_nt: ['C'],
  gemm_nn_acc: ['C'],
  gemm_tn_acc: ['C'],
  causal_softmax: ['out'],
  linear: ['out', 'S'],
  decay: ['out', 'S'],
  delta: ['out', 'S'],
  rwkv7: ['out', 'S'],
  selective_scan: ['out', 'h'],
};

// Two float32 computations of the same kernel with different summation orders and exp
// implementations: max |a - b| over max |b|, which must stay below CHECK_TOLERANCE.
export const CHECK_TOLERANCE = 1e-4;

function maxRelDiff(a, b) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) diff = d; // NaN propagates as a failure
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

// Inputs for the JS version: copies of every buffer of the case, outputs cleared.
function jsBuffers(mod, c) {
  const bufs = {};
  for (const name of Object.keys(c.buffers)) bufs[name] = mod.read(c, name);
  for (const name of OUTPUTS[c.kernel]) bufs[name].fill(0);
  return bufs;
}

export function checkCase(simd, baseline, c) {
  const bc = baseline.cases[c.id];
  const js = jsKernels[c.kernel](jsBuffers(simd, c), c.sizes);
  simd.runOnce(c);
  baseline.runOnce(bc);
  const out = {};
  for (const name of OUTPUTS[c.kernel]) {
    const s = simd.read(c, name);
    out[name] = { simd_vs_js: maxRelDiff(s, js[name]), baseline_vs_js: maxRelDiff(baseline.read(bc, name), js[name]) };
  }
  const worst = Math.max(...Object.values(out).flatMap((o) => [o.simd_vs_js, o.baseline_vs_js]));
  return { ok: worst <= CHECK_TOLERANCE, worst, outputs: out };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// One timed thing: calibrate() once, then time() once per round.
function timed(key, calibrate, time) {
  return { key, calibrate, time, reps: 0, batches: [] };
}

// opts: { warmMs, batchMs, batches, clock, only (regexp source or null), log(row), afterCase(row) }
// Rows: { name, kernel, sizes, flops, elements, check, simd, baseline, js, probe8, probe12 }, each
// timing { median_ms, reps, batches_ms }. The probes get rows of their own too (kernel 'ceiling'),
// from the median of their paired figures over all cases.
export async function runSuite(simd, baseline, opts) {
  const log = opts.log ?? (() => {});
  const only = opts.only ? new RegExp(opts.only) : null;
  const probes = simd.cases.filter((c) => c.kernel === 'ceiling');
  const probe8 = probes.find((c) => /\(8 chains\)/.test(c.name));
  const probe12 = probes.find((c) => /\(12 chains\)/.test(c.name));
  const probeRuns = { probe8: [], probe12: [], baseline8: [], baseline12: [] };
  const rows = [];
  const wasm = (mod, c, key) =>
    timed(
      key,
      () => mod.calibrate(c, opts),
      (reps) => mod.time(c, reps),
    );
  for (const c of simd.cases) {
    if (c.kernel === 'ceiling' || (only && !only.test(c.name))) continue;
    const row = { name: c.name, kernel: c.kernel, sizes: c.sizes, flops: c.flops, elements: c.elements };
    row.check = checkCase(simd, baseline, c);
    const bufs = jsBuffers(simd, c);
    const fn = jsKernels[c.kernel];
    const things = [
      wasm(simd, c, 'simd'),
      wasm(baseline, baseline.cases[c.id], 'baseline'),
      timed(
        'js',
        () => calibrateJs(() => fn(bufs, c.sizes), opts),
        (reps) => timeJs(() => fn(bufs, c.sizes), reps, opts.clock),
      ),
      wasm(simd, probe8, 'probe8'),
      wasm(simd, probe12, 'probe12'),
    ];
    for (const t of things) t.reps = t.calibrate();
    for (let r = 0; r < opts.batches; r++) for (const t of things) t.batches.push(t.time(t.reps));
    for (const t of things) row[t.key] = { median_ms: median(t.batches), reps: t.reps, batches_ms: t.batches };
    probeRuns.probe8.push(row.probe8.median_ms);
    probeRuns.probe12.push(row.probe12.median_ms);
    log(row);
    rows.push(row);
    if (opts.afterCase) await opts.afterCase(row, c);
    // Let a browser page breathe between cases.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  // The probes in the baseline build, for the record (no kernel is compared with them).
  for (const [p, key] of [
    [probe8, 'baseline8'],
    [probe12, 'baseline12'],
  ]) {
    const bp = baseline.cases[p.id];
    const reps = baseline.calibrate(bp, opts);
    for (let r = 0; r < opts.batches; r++) probeRuns[key].push(baseline.time(bp, reps));
  }
  const probeRow = (p, key, bkey) => ({
    name: p.name,
    kernel: 'ceiling',
    sizes: p.sizes,
    flops: p.flops,
    elements: 0,
    simd: { median_ms: median(probeRuns[key]), reps: 0, batches_ms: probeRuns[key] },
    baseline: { median_ms: median(probeRuns[bkey]), reps: 0, batches_ms: probeRuns[bkey] },
  });
  return [probeRow(probe8, 'probe8', 'baseline8'), probeRow(probe12, 'probe12', 'baseline12'), ...rows];
}
