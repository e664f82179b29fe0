// The built package, loaded exactly as a user loads it: `attnlab` resolves through package.json's
// exports (self-reference) to dist/pkg/node.js under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadCore } from 'attnlab';
import { assertBitEqual, assertClose, rng, row, sampleInputs } from './support.js';

const core = await loadCore();
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));

function info(id) {
  const v = core.variants().find((x) => x.id === id);
  assert.ok(v, `variant ${id} is registered`);
  return v;
}

test('loadCore returns one instance per flavour and reports it', async () => {
  assert.equal(await loadCore(), core);
  assert.equal(await loadCore({ simd: 'auto' }), core);
  assert.equal(core.info.simd, true, 'Node 20 has WebAssembly SIMD, so auto picks the SIMD build');
  assert.equal(core.info.version, pkg.version);
  const baseline = await loadCore({ simd: false });
  assert.notEqual(baseline, core);
  assert.equal(baseline.info.simd, false);
  assert.equal(await loadCore({ simd: false }), baseline);
  assert.equal(await loadCore({ simd: true }), core);
  await assert.rejects(loadCore({ simd: 'yes' }), (e) => e instanceof TypeError && /^simd:/.test(e.message));
  await assert.rejects(loadCore(null), (e) => e instanceof TypeError && /^options:/.test(e.message));
});

test('variants() lists softmax and linear with their forms, inputs, options and defaults', () => {
  const list = core.variants();
  const ids = list.map((v) => v.id);
  for (const id of ['softmax', 'linear']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const v of list) {
    assert.ok(v.forms.includes('recurrent'), `${v.id} offers recurrent`);
    assert.ok(Number.isInteger(v.defaultChunk) && v.defaultChunk >= 1, `${v.id} defaultChunk`);
    assert.ok(v.inputs.length > 0 && typeof v.selective === 'boolean', `${v.id} inputs/selective`);
    for (const f of ['parallel', 'chunkwise'])
      assert.ok(v.forms.includes(f) || typeof v.missingForms[f] === 'string', `${v.id}: ${f} listed or its absence explained`);
  }
  const softmax = info('softmax');
  assert.deepEqual(softmax.inputs.map((i) => [i.name, i.dims]), [
    ['q', ['n', 'dk']],
    ['k', ['n', 'dk']],
    ['v', ['n', 'dv']],
  ]);
  assert.deepEqual(info('linear').options.find((o) => o.name === 'featureMap')?.default, 'elu1');
  // A copy each call: callers may not corrupt the next caller's view.
  list[0].id = 'mutated';
  assert.notEqual(core.variants()[0].id, 'mutated');
});

test('softmax at n = 2 matches the values worked by hand', () => {
  // q0 = k0 = (1, 0), q1 = k1 = (0, 1), v0 = (1, 2), v1 = (3, 4), scale 1/sqrt(2).
  // Token 0 sees only itself: o0 = v0. Token 1 scores (q1.k0, q1.k1) / sqrt(2) = (0, 1/sqrt(2)).
  const q = new Float32Array([1, 0, 0, 1]);
  const v = new Float32Array([1, 2, 3, 4]);
  const w1 = Math.exp(Math.SQRT1_2) / (1 + Math.exp(Math.SQRT1_2));
  const expected = [1, 2, (1 - w1) * 1 + w1 * 3, (1 - w1) * 2 + w1 * 4];
  for (const form of info('softmax').forms) {
    const { output } = core.run('softmax', { q, k: q, v }, { n: 2, dk: 2, dv: 2, form });
    assertClose(output, expected, 1e-6, `softmax ${form}`);
  }
  // An explicit scale replaces 1/sqrt(dk): scale 0 averages uniformly.
  const { output } = core.run('softmax', { q, k: q, v }, { n: 2, dk: 2, dv: 2, scale: 0 });
  assertClose(output, [1, 2, 2, 3], 1e-7, 'softmax scale 0');
});

test('linear (elu1, normalized) at n = 2 matches the values worked by hand', () => {
  // dk = dv = 1; q = k = (0, 1), v = (2, 5); phi(0) = 1, phi(1) = 2, eps = 1e-6.
  // t = 0: S = 1*2 = 2, z = 1, o = 2*1 / (1*1 + eps). t = 1: S = 2 + 2*5 = 12, z = 3, o = 12*2 / (2*3 + eps).
  const x = new Float32Array([0, 1]);
  const v = new Float32Array([2, 5]);
  const expected = [2 / (1 + 1e-6), 24 / (6 + 1e-6)];
  for (const form of info('linear').forms) {
    const { output } = core.run('linear', { q: x, k: x, v }, { n: 2, dk: 1, dv: 1, form });
    assertClose(output, expected, 1e-6, `linear ${form}`);
  }
  // Unnormalized identity map, o_t = sum_{j<=t} (q_t k_j) v_j: o_0 = 0*0*2 = 0, o_1 = 1*(0*2 + 1*5) = 5.
  const { output } = core.run('linear', { q: x, k: x, v }, { n: 2, dk: 1, dv: 1, featureMap: 'identity', normalize: false });
  assertClose(output, [0, 5], 1e-7, 'linear identity');
});

for (const id of ['softmax', 'linear']) {
  test(`${id}: every form agrees with the recurrent form, chunk need not divide n`, () => {
    const v = info(id);
    const sizes = { n: 65, dk: 5, dv: 3 };
    const inputs = sampleInputs(v, sizes, 7);
    const ref = core.run(id, inputs, sizes);
    for (const form of v.forms) {
      for (const chunk of form === 'chunkwise' ? [1, 3, 16, 64, 65] : [undefined]) {
        const got = core.run(id, inputs, { ...sizes, form, chunk });
        assertClose(got.output, ref.output, 1e-5, `${id} ${form} chunk ${chunk}`);
        // Every form hands on the state the recurrence ends with (the parallel form too).
        assertClose(got.state, ref.state, 1e-5, `${id} ${form} state`);
      }
    }
  });

  test(`${id}: createState/step reproduces run(recurrent) exactly, and state carries across a split`, () => {
    const v = info(id);
    const sizes = { n: 40, dk: 6, dv: 5 };
    const inputs = sampleInputs(v, sizes, 11);
    const run = core.run(id, inputs, { ...sizes, form: 'recurrent' });
    const s = core.createState(id, { dk: sizes.dk, dv: sizes.dv });
    try {
      assert.equal(s.t, 0);
      const rows = [];
      for (let t = 0; t < sizes.n; t++) {
        const token = {};
        for (const spec of v.inputs) token[spec.name] = row(inputs[spec.name], t, spec.name === 'v' ? sizes.dv : sizes.dk);
        rows.push(...s.step(token));
      }
      assert.equal(s.t, sizes.n);
      assertBitEqual(new Float32Array(rows), run.output, `${id} stepped output`);
      assertBitEqual(s.state(), run.state, `${id} stepped state`);
      s.reset();
      assert.equal(s.t, 0);
    } finally {
      s.dispose();
    }
    // First 17 tokens, then the rest starting from the carried state (fixed-size states only:
    // the core does not take a KV cache as initialState).
    if (v.state.dims[0] === 't') return;
    const cut = 17;
    const part = (from, to) =>
      Object.fromEntries(
        v.inputs.map((spec) => {
          const w = spec.name === 'v' ? sizes.dv : sizes.dk;
          return [spec.name, inputs[spec.name].subarray(from * w, to * w)];
        }),
      );
    const a = core.run(id, part(0, cut), { ...sizes, n: cut });
    const b = core.run(id, { ...part(cut, sizes.n), initialState: a.state }, { ...sizes, n: sizes.n - cut });
    assertBitEqual(new Float32Array([...a.output, ...b.output]), run.output, `${id} split output`);
    assertBitEqual(b.state, run.state, `${id} split state`);
  });
}

test('the SIMD and baseline builds compute the same results', async () => {
  const baseline = await loadCore({ simd: false });
  for (const id of ['softmax', 'linear']) {
    const v = info(id);
    const sizes = { n: 33, dk: 7, dv: 4 };
    const inputs = sampleInputs(v, sizes, 3);
    for (const form of v.forms) {
      const a = core.run(id, inputs, { ...sizes, form });
      const b = baseline.run(id, inputs, { ...sizes, form });
      assertClose(a.output, b.output, 1e-6, `${id} ${form} SIMD vs baseline`);
    }
  }
});

test('bad input throws TypeError/RangeError naming the argument, and the core keeps working', () => {
  const n = 4;
  const dk = 3;
  const dv = 2;
  const r = rng(5);
  const f32 = (len) => Float32Array.from({ length: len }, () => r.normal());
  const q = f32(n * dk);
  const k = f32(n * dk);
  const v = f32(n * dv);
  const good = () => core.run('softmax', { q, k, v }, { n, dk, dv, form: 'parallel' }).output;
  const expected = good();
  const opts = { n, dk, dv };
  const cases = [
    ['id not a string', () => core.run(42, { q, k, v }, opts), TypeError, 'id'],
    ['unknown id', () => core.run('nope', { q, k, v }, opts), RangeError, 'id'],
    ['inputs null', () => core.run('softmax', null, opts), TypeError, 'inputs'],
    ['inputs an array', () => core.run('softmax', [q, k, v], opts), TypeError, 'inputs'],
    ['input a plain Array', () => core.run('softmax', { q: Array.from(q), k, v }, opts), TypeError, 'inputs.q'],
    ['input a Float64Array', () => core.run('softmax', { q, k: new Float64Array(k), v }, opts), TypeError, 'inputs.k'],
    ['input too short', () => core.run('softmax', { q: q.subarray(1), k, v }, opts), RangeError, 'inputs.q'],
    ['input missing', () => core.run('softmax', { q, k }, opts), TypeError, 'inputs.v'],
    ['input unknown', () => core.run('softmax', { q, k, v, w: v }, opts), TypeError, 'inputs.w'],
    ['input NaN', () => core.run('softmax', { q: q.map((x, i) => (i === 2 ? NaN : x)), k, v }, opts), RangeError, 'inputs.q'],
    ['options missing', () => core.run('softmax', { q, k, v }), TypeError, 'options'],
    ['n zero', () => core.run('softmax', { q, k, v }, { ...opts, n: 0 }), RangeError, 'n'],
    ['n negative', () => core.run('softmax', { q, k, v }, { ...opts, n: -4 }), RangeError, 'n'],
    ['n fractional', () => core.run('softmax', { q, k, v }, { ...opts, n: 3.5 }), RangeError, 'n'],
    ['n NaN', () => core.run('softmax', { q, k, v }, { ...opts, n: NaN }), RangeError, 'n'],
    ['n Infinity', () => core.run('softmax', { q, k, v }, { ...opts, n: Infinity }), RangeError, 'n'],
    ['n a string', () => core.run('softmax', { q, k, v }, { ...opts, n: '4' }), TypeError, 'n'],
    ['dk missing', () => core.run('softmax', { q, k, v }, { n, dv }), TypeError, 'dk'],
    ['form unknown', () => core.run('softmax', { q, k, v }, { ...opts, form: 'sideways' }), RangeError, 'form'],
    ['chunk zero', () => core.run('softmax', { q, k, v }, { ...opts, form: 'chunkwise', chunk: 0 }), RangeError, 'chunk'],
    ['option an object', () => core.run('softmax', { q, k, v }, { ...opts, scale: {} }), TypeError, 'scale'],
    ['option NaN', () => core.run('softmax', { q, k, v }, { ...opts, scale: NaN }), RangeError, 'scale'],
    ['option unknown', () => core.run('softmax', { q, k, v }, { ...opts, gamma: 0.5 }), TypeError, 'gamma'],
    [
      'parallel form over the memory budget',
      () => core.run('softmax', { q: f32(20000), k: f32(20000), v: f32(20000) }, { n: 20000, dk: 1, dv: 1, form: 'parallel' }),
      RangeError,
      'n',
    ],
    ['createState dk zero', () => core.createState('softmax', { dk: 0, dv }), RangeError, 'dk'],
    ['createState options missing', () => core.createState('softmax'), TypeError, 'options'],
    ['createState unknown channel input', () => core.createState('softmax', { dk, dv }, { w: q }), TypeError, 'channelInputs.w'],
  ];
  const live = core._liveObjects();
  for (const [what, fn, Ctor, arg] of cases) {
    assert.throws(
      fn,
      (e) => {
        assert.equal(e.constructor, Ctor, `${what}: ${e.constructor.name} (${e.message})`);
        assert.ok(e.message.startsWith(`${arg}:`), `${what}: message names ${arg}: "${e.message}"`);
        assert.equal(e.argument, arg, `${what}: err.argument`);
        return true;
      },
      what,
    );
    assert.equal(core._liveObjects(), live, `${what}: no Embind handle left behind`);
    assertBitEqual(good(), expected, `after ${what}`);
  }

  const s = core.createState('softmax', { dk, dv });
  try {
    const token = { q: q.subarray(0, dk), k: k.subarray(0, dk), v: v.subarray(0, dv) };
    const stepCases = [
      ['token missing input', () => s.step({ q: token.q, k: token.k }), TypeError, 'token.v'],
      ['token wrong length', () => s.step({ ...token, q: q.subarray(0, dk + 1) }), RangeError, 'token.q'],
      ['token wrong type', () => s.step({ ...token, k: Array.from(token.k) }), TypeError, 'token.k'],
      ['token unknown input', () => s.step({ ...token, x: token.q }), TypeError, 'token.x'],
      ['token infinite value', () => s.step({ ...token, v: new Float32Array([Infinity, 0]) }), RangeError, 'token.v'],
      ['token not an object', () => s.step(token.q), TypeError, 'token'],
    ];
    for (const [what, fn, Ctor, arg] of stepCases) {
      assert.throws(fn, (e) => e instanceof Ctor && e.message.startsWith(`${arg}:`), what);
      assert.equal(s.t, 0, `${what}: no token consumed`);
    }
    assertBitEqual(s.step(token), v.subarray(0, dv), 'first softmax token returns its own value');
  } finally {
    s.dispose();
  }
});

test('dispose frees the handle; a disposed state throws on every call', () => {
  const live = core._liveObjects();
  const s = core.createState('linear', { dk: 2, dv: 2 });
  assert.equal(core._liveObjects(), live + 1);
  s.step({ q: new Float32Array(2), k: new Float32Array(2), v: new Float32Array(2) });
  s.dispose();
  assert.equal(core._liveObjects(), live);
  const token = { q: new Float32Array(2), k: new Float32Array(2), v: new Float32Array(2) };
  for (const [what, fn] of [
    ['step', () => s.step(token)],
    ['state', () => s.state()],
    ['t', () => s.t],
    ['reset', () => s.reset()],
  ]) {
    assert.throws(fn, (e) => e instanceof TypeError && /^state: .*disposed/.test(e.message), what);
  }
  s.dispose();
  assert.equal(core._liveObjects(), live, 'a second dispose() is harmless');
});

test('many runs and state cycles leave the heap where it started', () => {
  const sizes = { n: 50, dk: 8, dv: 8 };
  const inputs = sampleInputs(info('softmax'), sizes, 1);
  const cycle = () => {
    for (const form of ['parallel', 'recurrent', 'chunkwise']) core.run('softmax', inputs, { ...sizes, form });
    const s = core.createState('softmax', { dk: 8, dv: 8 });
    for (let t = 0; t < 5; t++) s.step({ q: row(inputs.q, t, 8), k: row(inputs.k, t, 8), v: row(inputs.v, t, 8) });
    s.state();
    s.dispose();
  };
  cycle();
  const heap = core._heapBytes();
  const live = core._liveObjects();
  for (let i = 0; i < 300; i++) cycle();
  assert.equal(core._liveObjects(), live);
  assert.equal(core._heapBytes(), heap, `heap in use before ${heap} bytes, after ${core._heapBytes()}`);
});
