// Prefill in parallel, continue token by token (issue 13, item 2). Every form a variant lists hands
// on its final state, equal to the recurrent form's; a state object seeded with it (initialState)
// continues exactly where the recurrent run would be. Also the seeding rules: a fixed-size state
// needs its exact length, a KV cache whole rows, every value finite, and each bad seed throws an
// error naming `initialState` while the core keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'attnlab';
import { assertBitEqual, assertClose, sampleInputs } from './support.js';

const core = await loadCore();
const variants = core.variants();
const sizes = { n: 40, dk: 8, dv: 6, C: 6, D: 6, N: 5, P: 7 };

// Rows [from, to) of every per-token input, and the per-channel inputs whole.
function slice(info, inputs, from, to) {
  const out = {};
  for (const spec of info.inputs) {
    const a = inputs[spec.name];
    if (!spec.perToken) {
      out[spec.name] = a;
      continue;
    }
    const w = a.length / sizes.n;
    out[spec.name] = a.subarray(from * w, to * w);
  }
  return out;
}

function tokenAt(info, inputs, t) {
  const row = {};
  for (const spec of info.inputs) {
    if (!spec.perToken) continue;
    const a = inputs[spec.name];
    const w = a.length / sizes.n;
    row[spec.name] = a.subarray(t * w, (t + 1) * w);
  }
  return row;
}

function channels(info, inputs) {
  return Object.fromEntries(info.inputs.filter((s) => !s.perToken).map((s) => [s.name, inputs[s.name]]));
}

for (const info of variants) {
  test(`${info.id}: every form's final state equals the recurrent one, and seeds a stepper that continues`, () => {
    const inputs = { ...sampleInputs(info, sizes, 1300), ...sampleInputs(info, sizes, 1301, { perToken: false }) };
    const whole = core.run(info.id, inputs, { ...sizes, form: 'recurrent' });
    const cut = 23;
    const prompt = slice(info, inputs, 0, cut);
    const recurrentPrompt = core.run(info.id, prompt, { ...sizes, n: cut, form: 'recurrent' });
    for (const form of info.forms) {
      const r = core.run(info.id, prompt, { ...sizes, n: cut, form });
      assert.ok(r.state instanceof Float32Array, `${info.id} ${form}: a state is returned`);
      // float32 forms differ by rounding only: the same tolerance as the outputs.
      assertClose(r.state, recurrentPrompt.state, 1e-4, `${info.id} ${form} state after ${cut} tokens`);

      // Continue token by token from the handed-on state: the outputs of tokens cut..n-1 must be
      // those of one recurrent run over all n tokens.
      for (const where of ['channelInputs', 'options']) {
        const seed = where === 'options'
          ? core.createState(info.id, { ...sizes, initialState: r.state }, channels(info, inputs))
          : core.createState(info.id, sizes, { ...channels(info, inputs), initialState: r.state });
        try {
          const rest = [];
          for (let t = cut; t < sizes.n; t++) rest.push(...seed.step(tokenAt(info, inputs, t)));
          const want = whole.output.subarray(cut * (whole.output.length / sizes.n));
          if (form === 'recurrent') assertBitEqual(new Float32Array(rest), want, `${info.id}: continued from the recurrent state`);
          else assertClose(new Float32Array(rest), want, 1e-4, `${info.id}: continued from the ${form} state (${where})`);
          assertClose(seed.state(), whole.state, 1e-4, `${info.id}: final state continued from ${form}`);
        } finally {
          seed.dispose();
        }
      }
    }
  });
}

test('a KV cache continues through run (recurrent) and counts as tokens in a seeded state', () => {
  const info = variants.find((v) => v.id === 'softmax');
  const inputs = sampleInputs(info, sizes, 7);
  const whole = core.run('softmax', inputs, sizes);
  const first = core.run('softmax', slice(info, inputs, 0, 10), { ...sizes, n: 10, form: 'parallel' });
  assert.equal(first.state.length, 10 * (sizes.dk + sizes.dv));
  const rest = core.run('softmax', { ...slice(info, inputs, 10, sizes.n), initialState: first.state }, { ...sizes, n: sizes.n - 10 });
  assertBitEqual(rest.output, whole.output.subarray(10 * sizes.dv), 'recurrent run continued from a parallel cache');
  assertBitEqual(rest.state, whole.state, 'the cache after both parts');
  const s = core.createState('softmax', sizes, { initialState: first.state });
  try {
    assert.equal(s.t, 10, 'a seeded cache holds 10 tokens');
    s.reset();
    assert.equal(s.t, 0, 'reset() empties it');
    assert.equal(s.state().length, 0);
  } finally {
    s.dispose();
  }
  // The flash kernel streams this call's keys only.
  assert.throws(
    () => core.run('softmax', { ...slice(info, inputs, 10, sizes.n), initialState: first.state }, { ...sizes, n: sizes.n - 10, form: 'chunkwise' }),
    (e) => e instanceof RangeError && e.argument === 'initialState' && /recurrent form only/.test(e.message),
  );
});

test('bad seeds throw an error naming initialState, at every entry point, and the core keeps working', () => {
  const lin = { dk: 2, dv: 3, featureMap: 'identity' };
  const n = 2;
  const q = new Float32Array(n * 2);
  const v = new Float32Array(n * 3);
  const good = core.run('linear', { q, k: q, v }, { ...lin, n }).state;
  const nan = good.slice();
  nan[1] = NaN;
  const cases = [
    ['run: wrong length', () => core.run('linear', { q, k: q, v, initialState: new Float32Array(5) }, { ...lin, n }), RangeError, /expected length 6, got 5/],
    ['run: NaN', () => core.run('linear', { q, k: q, v, initialState: nan }, { ...lin, n }), RangeError, /finite/],
    ['run: Infinity, chunkwise', () => core.run('linear', { q, k: q, v, initialState: new Float32Array(6).fill(Infinity) }, { ...lin, n, form: 'chunkwise' }), RangeError, /finite/],
    ['createState: wrong length', () => core.createState('linear', lin, { initialState: new Float32Array(7) }), RangeError, /expected length 6, got 7/],
    ['createState: NaN in options', () => core.createState('linear', { ...lin, initialState: nan }), RangeError, /finite/],
    ['createState: an Array', () => core.createState('linear', { ...lin, initialState: [0, 0, 0, 0, 0, 0] }), TypeError, /Float32Array/],
    ['createState: given twice', () => core.createState('linear', { ...lin, initialState: good }, { initialState: good }), TypeError, /twice|both/],
    ['createState: half a cache row', () => core.createState('softmax', { dk: 2, dv: 3 }, { initialState: new Float32Array(7) }), RangeError, /whole rows/],
    ['createState: more rows than the window', () => core.createState('sliding_window', { dk: 1, dv: 1, window: 2 }, { initialState: new Float32Array(6) }), RangeError, /at most window = 2 rows/],
  ];
  for (const [what, call, Ctor, pattern] of cases) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof Ctor, `${what}: ${e}`);
      assert.match(e.argument ?? '', /initialState/, `${what}: ${e.message}`);
      assert.match(e.message, pattern, what);
      return true;
    });
    assert.equal(core._liveObjects(), 0, `${what}: no handle left`);
    assertBitEqual(core.run('linear', { q, k: q, v, initialState: good }, { ...lin, n }).state, good, `${what}: the core still runs`);
  }
});
