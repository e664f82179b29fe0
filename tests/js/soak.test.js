// Memory soak (issue 10): a long lesson creates and drops thousands of states and runs. 100,000
// createState / step / dispose cycles and 10,000 run calls at varied sizes, over every variant and
// every form, must leave the wasm heap in use (core._heapBytes(), bytes malloc holds) and the
// count of live Embind handles (core._liveObjects()) exactly where they started.
//
// Some buffers legitimately grow once and stay (softmax keeps one scratch row for its scores and
// grows it to the longest row seen), so a warm-up first runs every variant and form at the
// largest sizes the soak uses; the baseline is taken after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'attnlab';
import { rng, sampleInputs } from './support.js';

const core = await loadCore();
const variants = core.variants();
const CYCLES = 100_000;
const RUNS = 10_000;
const MAX = { n: 48, dk: 9, dv: 7, C: 9, D: 7, N: 6, P: 7 };

const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

// Sizes for one call: every size between 1 and its maximum, n too.
function sizesFor(r) {
  const pick = (max) => 1 + Math.floor(r.uniform() * max);
  return { n: pick(MAX.n), dk: pick(MAX.dk), dv: pick(MAX.dv), C: pick(MAX.C), D: pick(MAX.D), N: pick(MAX.N), P: pick(MAX.P) };
}

function inputsFor(info, sizes, seed) {
  return { ...sampleInputs(info, sizes, seed), ...sampleInputs(info, sizes, seed + 1, { perToken: false }) };
}

// One token row of every per-token input.
function tokenOf(info, inputs, sizes, t) {
  const token = {};
  for (const spec of info.inputs) {
    if (!spec.perToken) continue;
    const width = inputs[spec.name].length / sizes.n;
    token[spec.name] = inputs[spec.name].subarray(t * width, (t + 1) * width);
  }
  return token;
}

function channelOf(info, inputs) {
  return Object.fromEntries(info.inputs.filter((s) => !s.perToken).map((s) => [s.name, inputs[s.name]]));
}

function warmUp() {
  for (const info of variants) {
    const inputs = inputsFor(info, MAX, 1);
    for (const form of info.forms)
      for (const chunk of form === 'chunkwise' ? [17, 1, undefined] : [undefined]) core.run(info.id, inputs, { ...MAX, form, chunk });
    const s = core.createState(info.id, MAX, channelOf(info, inputs));
    for (let t = 0; t < MAX.n; t++) s.step(tokenOf(info, inputs, MAX, t));
    s.dispose();
  }
}

test(`${CYCLES.toLocaleString('en')} createState/step/dispose cycles and ${RUNS.toLocaleString('en')} runs leave the heap and the live-object count where they started`, () => {
  warmUp();
  const heap0 = core._heapBytes();
  const live0 = core._liveObjects();
  const started = performance.now();

  // Inputs are drawn once per variant and size set, then reused: the soak measures the core, not
  // the test's own allocations.
  const r = rng(2024);
  const pool = [];
  for (let i = 0; i < 64; i++) {
    const info = variants[i % variants.length];
    const sizes = sizesFor(r);
    pool.push({ info, sizes, inputs: inputsFor(info, sizes, 100 + i) });
  }

  let steps = 0;
  for (let i = 0; i < CYCLES; i++) {
    const { info, sizes, inputs } = pool[i % pool.length];
    const s = core.createState(info.id, sizes, channelOf(info, inputs));
    const tokens = 1 + (i % 3);
    for (let t = 0; t < tokens; t++) s.step(tokenOf(info, inputs, sizes, t % sizes.n));
    steps += tokens;
    if (i % 7 === 0) s.state();
    if (i % 11 === 0) s.reset();
    s.dispose();
  }
  const cyclesDone = performance.now();

  const forms = new Map();
  for (let i = 0; i < RUNS; i++) {
    const { info, sizes, inputs } = pool[(i * 5 + 3) % pool.length];
    const form = info.forms[i % info.forms.length];
    const chunk = form === 'chunkwise' ? 1 + (i % 17) : undefined;
    const { output } = core.run(info.id, inputs, { ...sizes, form, chunk });
    assert.ok(output.length > 0);
    forms.set(form, (forms.get(form) ?? 0) + 1);
  }
  const runsDone = performance.now();

  const heap1 = core._heapBytes();
  const live1 = core._liveObjects();
  console.log(
    `soak: ${CYCLES} createState/step/dispose cycles (${steps} steps, ${((cyclesDone - started) / 1000).toFixed(1)} s), ` +
      `${RUNS} runs (${[...forms].map(([f, c]) => `${c} ${f}`).join(', ')}; ${((runsDone - cyclesDone) / 1000).toFixed(1)} s), ` +
      `${variants.length} variants`,
  );
  console.log(`soak: heap in use before ${heap0} bytes (${kib(heap0)}), after ${heap1} bytes (${kib(heap1)}); live objects before ${live0}, after ${live1}`);
  assert.equal(live1, live0, 'live Embind handles');
  assert.equal(heap1, heap0, `heap in use grew by ${heap1 - heap0} bytes`);
});

test('errors thrown part-way through a call free what the call had allocated', () => {
  const heap0 = core._heapBytes();
  const live0 = core._liveObjects();
  const info = variants.find((v) => v.id === 'rwkv6');
  const sizes = { n: 16, dk: 8, dv: 8 };
  const inputs = inputsFor(info, sizes, 5);
  const bad = { ...inputs, w: inputs.w.map((x, i) => (i === 100 ? 2 : x)) };
  let thrown = 0;
  for (let i = 0; i < 2000; i++) {
    // The inputs are copied in before the core rejects the last one: those buffers must go too.
    try {
      core.run('rwkv6', bad, sizes);
    } catch {
      thrown++;
    }
    try {
      core.createState('rwkv6', { ...sizes, scale: NaN }, { u: inputs.u });
    } catch {
      thrown++;
    }
    const s = core.createState('rwkv6', sizes, { u: inputs.u });
    try {
      s.step({ ...tokenOf(info, inputs, sizes, 0), w: new Float32Array(8).fill(-1) });
    } catch {
      thrown++;
    }
    s.dispose();
  }
  console.log(`soak: ${thrown} errors thrown mid-call; heap before ${heap0} bytes, after ${core._heapBytes()}; live objects before ${live0}, after ${core._liveObjects()}`);
  assert.equal(thrown, 6000);
  assert.equal(core._liveObjects(), live0);
  assert.equal(core._heapBytes(), heap0);
});
