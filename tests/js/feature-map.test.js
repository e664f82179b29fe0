// core.featureMap through the built package: the width m of every map, the values of each map's
// formula (docs/variants.md §2), and linear attention's output rebuilt from featureMap rows alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'attnlab';
import { assertBitEqual, assertClose, rng } from './support.js';

const core = await loadCore();
const MAPS = ['elu1', 'relu', 'identity', 'taylor2', 'performer'];
const normal = (len, seed) => {
  const r = rng(seed);
  return Float32Array.from({ length: len }, () => r.normal());
};

test('featureMap: m for every map, and the rows of each formula', () => {
  const n = 3, dk = 4;
  const x = normal(n * dk, 1);
  const width = { elu1: dk, relu: dk, identity: dk, taylor2: 1 + dk + dk * dk, performer: 64 };
  for (const name of MAPS) {
    const phi = core.featureMap(name, x, { n, dk });
    assert.ok(phi instanceof Float32Array, name);
    assert.equal(phi.length, n * width[name], `${name}: [n, m] with m = ${width[name]}`);
  }
  assert.equal(core.featureMap('performer', x, { n, dk, features: 16 }).length, n * 16);
  assertBitEqual(core.featureMap('identity', x, { n, dk }), x, 'identity');
  assertBitEqual(core.featureMap('relu', x, { n, dk }), x.map((v) => Math.max(v, 0)), 'relu');
  assertClose(core.featureMap('elu1', x, { n, dk }), x.map((v) => (v > 0 ? v + 1 : Math.exp(v))), 1e-6, 'elu1');
  // taylor2: [1, x/dk^(1/4), (x⊗x)/(√2·√dk)], the full outer product
  const want = [];
  for (let t = 0; t < n; t++) {
    const xt = x.subarray(t * dk, (t + 1) * dk);
    want.push(1, ...Array.from(xt, (v) => v / dk ** 0.25));
    for (let i = 0; i < dk; i++) for (let j = 0; j < dk; j++) want.push((xt[i] * xt[j]) / (Math.SQRT2 * Math.sqrt(dk)));
  }
  assertClose(core.featureMap('taylor2', x, { n, dk }), want, 1e-6, 'taylor2');
  // φ(q)·φ(k) = 1 + s + s²/2 with s = q·k/√dk: the Taylor expansion of exp(s) to second order
  const q = x.subarray(0, dk), k = x.subarray(dk, 2 * dk);
  const fq = core.featureMap('taylor2', q, { n: 1, dk }), fk = core.featureMap('taylor2', k, { n: 1, dk });
  const s = q.reduce((acc, v, i) => acc + v * k[i], 0) / Math.sqrt(dk);
  const kernel = fq.reduce((acc, v, i) => acc + v * fk[i], 0);
  assert.ok(Math.abs(kernel - (1 + s + (s * s) / 2)) < 1e-5, `taylor2 kernel ${kernel} vs ${1 + s + (s * s) / 2}`);
});

test('featureMap: performer features are positive, and follow seed and features like linear', () => {
  const n = 4, dk = 8;
  const x = normal(n * dk, 2);
  const a = core.featureMap('performer', x, { n, dk, seed: 7, features: 32 });
  assert.ok(a.every((v) => v > 0 && Number.isFinite(v)));
  assertBitEqual(core.featureMap('performer', x, { n, dk, seed: 7, features: 32 }), a, 'same seed, same features');
  assert.notDeepEqual(core.featureMap('performer', x, { n, dk, seed: 8, features: 32 }), a);
  // E[φ(q)·φ(k)] = exp(q·k/√dk): with many features the estimate lands near it
  const q = new Float32Array(dk).fill(0.3), k = new Float32Array(dk).fill(0.2);
  const m = 4096;
  const fq = core.featureMap('performer', q, { n: 1, dk, features: m }), fk = core.featureMap('performer', k, { n: 1, dk, features: m });
  const est = fq.reduce((acc, v, i) => acc + v * fk[i], 0);
  const exact = Math.exp((dk * 0.06) / Math.sqrt(dk));
  assert.ok(Math.abs(est / exact - 1) < 0.1, `FAVOR+ estimate ${est} vs exp(q·k/√dk) = ${exact}`);
});

test("featureMap rows rebuild linear attention's unnormalised output: o_t = Σ_j (φ(q_t)·φ(k_j)) v_j", () => {
  const n = 6, dk = 3, dv = 2;
  const q = normal(n * dk, 3), k = normal(n * dk, 4), v = normal(n * dv, 5);
  for (const name of MAPS) {
    const options = name === 'performer' ? { features: 24, seed: 2 } : {};
    const fq = core.featureMap(name, q, { n, dk, ...options }), fk = core.featureMap(name, k, { n, dk, ...options });
    const m = fq.length / n;
    const want = new Float64Array(n * dv);
    for (let t = 0; t < n; t++)
      for (let j = 0; j <= t; j++) {
        let w = 0;
        for (let i = 0; i < m; i++) w += fq[t * m + i] * fk[j * m + i];
        for (let c = 0; c < dv; c++) want[t * dv + c] += w * v[j * dv + c];
      }
    for (const form of ['recurrent', 'parallel', 'chunkwise']) {
      const { output } = core.run('linear', { q, k, v }, { n, dk, dv, featureMap: name, normalize: false, form, chunk: 4, ...options });
      assertClose(output, want, 1e-5, `${name} ${form}`);
    }
  }
});

test('featureMap: bad arguments throw named errors and leave nothing behind', () => {
  const live = core._liveObjects();
  const x = normal(6, 6);
  const cases = [
    [() => core.featureMap(1, x, { n: 2, dk: 3 }), TypeError, /^name: expected a feature map name/],
    [() => core.featureMap('cosine', x, { n: 2, dk: 3 }), RangeError, /^name: unknown feature map 'cosine'; expected one of elu1, relu, identity, taylor2, performer/],
    [() => core.featureMap('elu1', [1, 2], { n: 1, dk: 2 }), TypeError, /^x: expected a Float32Array/],
    [() => core.featureMap('elu1', x, { n: 2, dk: 4 }), RangeError, /^x: expected length 8 \[n, dk\], got 6/],
    [() => core.featureMap('elu1', x, { n: 2, dk: 3, normalize: false }), TypeError, /^normalize: not an option of featureMap; its options are n, dk, features, seed/],
  ];
  for (const [call, Ctor, re] of cases) assert.throws(call, (e) => e instanceof Ctor && re.test(e.message), String(call));
  assert.equal(core._liveObjects(), live);
  assertBitEqual(core.featureMap('identity', x, { n: 2, dk: 3 }), x, 'still works');
});
