// core.tokenShift through the built package: RWKV's token shift against its definition evaluated in
// float64 (JavaScript numbers) and rounded once, the edge values of μ, and what the lesson shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'attnlab';
import { assertBitEqual, rng } from './support.js';

const core = await loadCore();

function reference(x, mu, n, d) {
  const out = new Float32Array(n * d);
  for (let t = 0; t < n; t++)
    for (let c = 0; c < d; c++) out[t * d + c] = mu[c] * x[t * d + c] + (1 - mu[c]) * (t ? x[(t - 1) * d + c] : 0);
  return out;
}

test('tokenShift: μ ⊙ x_t + (1 − μ) ⊙ x_{t−1}, x_{−1} = 0, the exact blend rounded once', () => {
  const r = rng(4);
  for (const [n, d] of [[1, 1], [2, 3], [16, 8], [7, 64]]) {
    const x = Float32Array.from({ length: n * d }, () => 3 * r.normal());
    const mu = Float32Array.from({ length: d }, () => r.uniform());
    const out = core.tokenShift({ x, mu, n, d });
    assert.ok(out instanceof Float32Array);
    assert.equal(out.length, n * d);
    assertBitEqual(out, reference(x, mu, n, d), `n=${n} d=${d}`);
  }
});

test('tokenShift: μ = 1 keeps each token, μ = 0 passes the previous one, per channel', () => {
  const n = 4, d = 2;
  const x = Float32Array.from({ length: n * d }, (_, i) => i + 1);
  assertBitEqual(core.tokenShift({ x, mu: new Float32Array([1, 1]), n, d }), x, 'μ = 1');
  assertBitEqual(core.tokenShift({ x, mu: new Float32Array([0, 0]), n, d }), new Float32Array([0, 0, 1, 2, 3, 4, 5, 6]), 'μ = 0');
  assertBitEqual(core.tokenShift({ x, mu: new Float32Array([1, 0]), n, d }), new Float32Array([1, 0, 3, 2, 5, 4, 7, 6]), 'mixed');
  // μ = 0.75: token 2's first channel is 0.75·5 + 0.25·3
  assert.equal(core.tokenShift({ x, mu: new Float32Array([0.75, 0.75]), n, d })[4], 4.5);
});

test('tokenShift: bad arguments throw named errors and leave nothing behind', () => {
  const live = core._liveObjects();
  const x = new Float32Array(6), mu = new Float32Array(3).fill(0.5);
  assert.throws(() => core.tokenShift({ x, mu: new Float32Array([0.5, 2, 0.5]), n: 2, d: 3 }), (e) => e instanceof RangeError && /^mu: expected values \[0, 1\], got 2 at index 1/.test(e.message));
  assert.throws(() => core.tokenShift({ x, mu, n: 2 }), (e) => e instanceof TypeError && /^d: missing/.test(e.message));
  assert.equal(core._liveObjects(), live);
  assert.equal(core.tokenShift({ x, mu, n: 2, d: 3 }).length, 6);
});
