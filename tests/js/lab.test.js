// The cost model, memory model, measurement and recall lab through the built package, as a course
// site would call them: the lesson's worked numbers, the shapes of the results, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'attnlab';

const core = await loadCore();

test('cost reproduces the lesson numbers for n = 1,000 and 10,000, d = 64', () => {
  const soft = core.cost('softmax', { n: 1000, dk: 64, dv: 64, form: 'parallel' });
  assert.equal(soft.macs, 128_000_000);
  assert.equal(soft.peakFloats, 1_000_000, 'a million scores');
  assert.equal(soft.terms.find((t) => /Q K/.test(t.name)).macs, 64_000_000);
  assert.equal(soft.flops, 2 * soft.macs);
  const lin = core.cost('linear', { n: 1000, dk: 64, dv: 64, featureMap: 'identity' });
  assert.equal(lin.macs, 2 * 4_096_000, 'writes n dk dv + reads n dk dv');
  assert.equal(lin.stateFloats, 64 * 64);
  const two = core.twoOrders({ n: 10_000, dk: 64, dv: 64 });
  assert.equal(two.scoresFirst.firstMacs, 6_400_000_000);
  assert.equal(two.stateFirst.firstMacs, 40_960_000);
  assert.deepEqual(two.scoresFirst.shape, [10_000, 10_000]);
  assert.deepEqual(two.stateFirst.shape, [64, 64]);
  assert.equal(core.twoOrders({ n: 1000, dk: 64, dv: 64 }).ratio, 15.625);
});

test('cost scales as the lesson says: parallel softmax x4 per doubling, recurrent linear x2', () => {
  const s = (n) => core.cost('softmax', { n, dk: 64, dv: 64, form: 'parallel' }).macs;
  const l = (n) => core.cost('linear', { n, dk: 64, dv: 64, featureMap: 'identity' }).macs;
  for (const n of [100, 1000, 50_000]) {
    assert.equal(s(2 * n), 4 * s(n));
    assert.equal(l(2 * n), 2 * l(n));
  }
});

test('memory: a growing KV cache against a fixed state, per head and per model', () => {
  const m = core.memory('rwkv7', { n: 1000, dk: 64, dv: 64 }, { layers: 32, heads: 32 });
  assert.equal(m.grows, false);
  assert.equal(m.stateFloats, 4096);
  assert.equal(m.stateFloatsTotal, 4096 * 32 * 32);
  assert.equal(m.kvFloats, 1000 * 128);
  const soft = core.memory('softmax', { n: 2000, dk: 64, dv: 64 });
  assert.equal(soft.grows, true);
  assert.equal(soft.stateFloats, 2000 * 128);
});

test('measure times the real kernel and returns a median', () => {
  const r = core.measure('linear', { n: 64, dk: 16, dv: 16, reps: 3 });
  assert.ok(Number.isFinite(r.medianMs) && r.medianMs >= 0);
  assert.equal(r.reps, 3);
  assert.equal(r.timesMs.length, 3);
  assert.throws(() => core.measure('linear', { n: 64, dk: 16, dv: 16, reps: 'many' }), (e) => e instanceof TypeError && /^reps:/.test(e.message));
});

test('recall: exact below d with orthonormal keys, interference above, deterministic by seed', () => {
  const spec = { variant: 'linear', options: { featureMap: 'identity' }, d: 16, keys: 'orthogonal', trials: 2, seed: 3 };
  const below = core.recall({ ...spec, pairs: 16 });
  assert.equal(below.accuracy, 1);
  assert.ok(Math.abs(below.meanCosine - 1) < 1e-5);
  assert.equal(below.byAge.length, 16);
  assert.ok(below.byAge instanceof Float32Array);
  const above = core.recall({ ...spec, pairs: 48 });
  assert.ok(above.accuracy < 1 && above.meanCosine < 0.9, `accuracy ${above.accuracy}, cosine ${above.meanCosine}`);
  assert.deepEqual(core.recall({ ...spec, pairs: 48 }), above, 'same seed, same result');
  const sweep = core.recallSweep({ variant: 'deltanet', d: 16, trials: 2 }, { pairs: [4, 16, 64] });
  assert.deepEqual(sweep.map((p) => p.pairs), [4, 16, 64]);
  for (const p of sweep) assert.equal(p.byAge[p.byAge.length - 1], 1, 'the delta rule returns the newest pair exactly');
  // A constant input set through options (gla's log decay) makes old pairs fade first.
  const gla = core.recall({ variant: 'gla', options: { g: -0.2 }, d: 16, pairs: 32, trials: 4 });
  assert.ok(gla.byAge[31] > gla.byAge[0]);
});

test('recall with rewrites: the delta rule reads the new value, linear attention a blend of old and new', () => {
  const spec = { d: 16, pairs: 16, rewrites: 8, keys: 'orthogonal', trials: 4, seed: 5 };
  const delta = core.recall({ variant: 'deltanet', ...spec });
  assert.equal(delta.rewrittenAccuracy, 1, 'β = 1 and unit keys: u = v_new − Sᵀk replaces the old value');
  assert.equal(delta.accuracy, 1);
  // Sᵀk_i = v_old + v_new: equally near both values, so it recalls neither; the 8 pairs written once
  // are still exact. byAge lists them first (oldest last write first), then the rewritten 8.
  const lin = core.recall({ variant: 'linear', options: { featureMap: 'identity' }, ...spec });
  assert.equal(lin.rewrittenAccuracy, 0);
  assert.equal(lin.accuracy, 0.5);
  assert.deepEqual([...lin.byAge], [...Array(8).fill(1), ...Array(8).fill(0)]);
  // Random keys, d = 64: the delta rule still returns every new value, linear attention about half.
  const random = { d: 64, pairs: 32, rewrites: 16, keys: 'random', trials: 4, seed: 1 };
  const dr = core.recall({ variant: 'deltanet', ...random });
  const lr = core.recall({ variant: 'linear', options: { featureMap: 'identity' }, ...random });
  assert.ok(dr.rewrittenAccuracy > 0.95 && lr.rewrittenAccuracy < 0.7, `deltanet ${dr.rewrittenAccuracy}, linear ${lr.rewrittenAccuracy}`);
  // No rewrites: null, and the very result of a spec without the argument.
  const none = core.recall({ variant: 'deltanet', ...spec, rewrites: 0 });
  assert.equal(none.rewrittenAccuracy, null);
  const { rewrites, ...without } = spec;
  assert.deepEqual(core.recall({ variant: 'deltanet', ...without }), none);
  void rewrites;
  // recallSweep passes rewrites to every point.
  const sweep = core.recallSweep({ variant: 'deltanet', d: 16, keys: 'orthogonal', rewrites: 4, trials: 2 }, { pairs: [4, 8, 16] });
  assert.deepEqual(sweep.map((p) => [p.pairs, p.rewrittenAccuracy]), [[4, 1], [8, 1], [16, 1]]);
  const linSweep = core.recallSweep({ variant: 'linear', options: { featureMap: 'identity' }, d: 16, keys: 'orthogonal', rewrites: 4, trials: 2 }, { pairs: [4, 8] });
  assert.deepEqual(linSweep.map((p) => p.rewrittenAccuracy), [0, 0]);
});

test('recall with a gap: decaying states (retnet, gla, mamba2) lose their oldest pairs first', () => {
  const base = { d: 32, pairs: 32, gap: 16, keys: 'random', trials: 8, seed: 9 };
  const quarter = (a, from) => a.slice(from, from + a.length / 4).reduce((x, y) => x + y, 0) / (a.length / 4);
  for (const [variant, options] of [['retnet', { gamma: Math.exp(-0.05) }], ['gla', { g: -0.05 }], ['mamba2', { A: -0.05 }]]) {
    const r = core.recall({ variant, options, ...base });
    const oldest = quarter(r.byAge, 0), newest = quarter(r.byAge, 24);
    assert.ok(newest > oldest + 0.3, `${variant}: oldest quarter ${oldest}, newest ${newest}`);
    assert.ok(r.accuracy < core.recall({ variant, options, ...base, gap: 0 }).accuracy, `${variant}: the gap costs accuracy`);
  }
});

test('lab calls reject bad arguments by name and leave the core working', () => {
  const cases = [
    [() => core.cost('nope', { n: 4, dk: 4, dv: 4 }), RangeError, /^id:/],
    [() => core.cost('softmax', { n: -1, dk: 4, dv: 4 }), RangeError, /^n:/],
    [() => core.cost('softmax', null), TypeError, /^options:/],
    [() => core.twoOrders({ n: 10, dk: 0, dv: 4 }), RangeError, /^dk:/],
    [() => core.memory('softmax', { n: 10, dk: 4, dv: 4 }, { layers: 'x' }), TypeError, /^model\.layers:/],
    [() => core.recall({ variant: 'linear', d: 8, pairs: 0 }), RangeError, /^pairs:/],
    [() => core.recall({ variant: 'linear', d: 8, keys: 'diagonal' }), RangeError, /^keys:/],
    [() => core.recall({ variant: 'linear', d: 8, colour: 3 }), TypeError, /^colour:/],
    [() => core.recall({ variant: 'linear', d: 8, seed: NaN }), RangeError, /^seed:/],
    [() => core.recall({ variant: 'mamba', d: 8 }), RangeError, /^variant:/],
    [() => core.recall({ variant: 'deltanet', d: 8, options: { beta: 3 } }), RangeError, /^options\.beta:/],
  ];
  const live = core._liveObjects();
  for (const [call, Ctor, re] of cases) {
    assert.throws(call, (e) => e instanceof Ctor && re.test(e.message), String(call));
    assert.equal(core.recall({ variant: 'linear', options: { featureMap: 'identity' }, d: 8, pairs: 8, keys: 'orthogonal', trials: 1 }).accuracy, 1);
  }
  assert.equal(core._liveObjects(), live);
});
