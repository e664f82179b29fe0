// Every public call of the built package fed bad input of every class (issue 10): wrong typed-array
// type or length, missing and extra inputs, NaN / Infinity / negative / zero / fractional / huge
// sizes, unknown ids and forms, non-finite options, sizes over the memory budget, calls on a
// disposed state, and re-entrant calls from getters and event handlers.
//
// A bad case must throw a TypeError or RangeError whose message starts with the argument's name
// and states what was expected; err.argument holds the name. After EVERY case the same core must
// still compute the hand-worked softmax result below, step a state correctly, and hold no Embind
// handle the case created. Re-entrant calls are legal JavaScript: they must give the same result
// as the plain call (or, for a state disposed from inside its own step, the disposed-state error).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'attnlab';
import { assertBitEqual, assertClose, rng, sampleInputs } from './support.js';

const core = await loadCore();
const byId = new Map(core.variants().map((v) => [v.id, v]));
const f32 = (...xs) => new Float32Array(xs);
const zeros = (len) => new Float32Array(len);

// The known result every case is followed by: softmax at n = 2 worked by hand (core.test.js).
const Q = f32(1, 0, 0, 1);
const V = f32(1, 2, 3, 4);
const W1 = Math.exp(Math.SQRT1_2) / (1 + Math.exp(Math.SQRT1_2));
const KNOWN = [1, 2, (1 - W1) * 1 + W1 * 3, (1 - W1) * 2 + W1 * 4];
const known = (form = 'parallel') => core.run('softmax', { q: Q, k: Q, v: V }, { n: 2, dk: 2, dv: 2, form }).output;
// A linear state stepped twice: identity map, o_t = S_t^T q_t with S_t = sum k_j v_j^T.
function knownStep() {
  const s = core.createState('linear', { dk: 1, dv: 1, featureMap: 'identity', normalize: false });
  try {
    s.step({ q: f32(0), k: f32(0), v: f32(2) });
    return [...s.step({ q: f32(1), k: f32(1), v: f32(5) })];
  } finally {
    s.dispose();
  }
}

const figures = { cases: 0, calls: new Set(), checks: 0, reentrant: 0 };

function stillWorks(what, live) {
  for (const form of ['parallel', 'recurrent', 'chunkwise']) assertClose(known(form), KNOWN, 1e-6, `${what}: softmax ${form} afterwards`);
  assert.deepEqual(knownStep(), [5], `${what}: stepping afterwards`);
  assert.equal(core._liveObjects(), live, `${what}: Embind handles left behind`);
  figures.checks++;
}

// [call, what, fn, ErrorClass, argument, expected text in the message]. Failures are collected, so
// one run reports every case that is off rather than the first.
// An optional seventh entry is the change in live handles the case itself makes (a dispose()).
function expectThrow([call, what, fn, Ctor, arg, expected, liveChange = 0], problems) {
  const label = `${call}: ${what}`;
  const live = core._liveObjects();
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  figures.cases++;
  figures.calls.add(call);
  try {
    assert.ok(caught, `${label}: did not throw`);
    assert.equal(caught.constructor, Ctor, `${label}: ${caught.constructor?.name} (${caught.message})`);
    assert.ok(caught.message.startsWith(`${arg}: `), `${label}: message should start with "${arg}: ": "${caught.message}"`);
    assert.equal(caught.argument, arg, `${label}: err.argument`);
    assert.match(caught.message, expected, `${label}: message should state what was expected: "${caught.message}"`);
  } catch (e) {
    if (!problems) throw e;
    problems.push(e.message.split('\n')[0]);
  }
  stillWorks(label, live + liveChange);
}

function expectAll(cases) {
  const problems = [];
  for (const c of cases) expectThrow(c, problems);
  assert.deepEqual(problems, [], `${problems.length} of ${cases.length} cases:\n${problems.join('\n')}`);
}

const r = rng(10);
const normal = (len) => Float32Array.from({ length: len }, () => r.normal());
const n = 4, dk = 3, dv = 2;
const q = normal(n * dk), k = normal(n * dk), v = normal(n * dv);
const opts = { n, dk, dv };
const run = (inputs, options) => core.run('softmax', inputs, options);
const POS_INT = /expected a positive integer/;

const runCases = [
  // id
  ['run', 'id a number', () => core.run(42, { q, k, v }, opts), TypeError, 'id', /expected a variant id/],
  ['run', 'id missing', () => core.run(undefined, { q, k, v }, opts), TypeError, 'id', /expected a variant id/],
  ['run', 'id unknown', () => core.run('nope', { q, k, v }, opts), RangeError, 'id', /expected one of softmax/],
  ['run', 'id wrong case', () => core.run('Softmax', { q, k, v }, opts), RangeError, 'id', /expected one of softmax/],
  // inputs object
  ['run', 'inputs null', () => run(null, opts), TypeError, 'inputs', /expected an object of Float32Arrays/],
  ['run', 'inputs missing', () => core.run('softmax'), TypeError, 'inputs', /expected an object of Float32Arrays/],
  ['run', 'inputs an Array', () => run([q, k, v], opts), TypeError, 'inputs', /expected an object/],
  ['run', 'inputs a Float32Array', () => run(q, opts), TypeError, 'inputs', /expected an object/],
  // typed-array type
  ['run', 'input a plain Array', () => run({ q: [...q], k, v }, opts), TypeError, 'inputs.q', /expected a Float32Array, got an Array/],
  ['run', 'input a Float64Array', () => run({ q, k: new Float64Array(k), v }, opts), TypeError, 'inputs.k', /expected a Float32Array, got a Float64Array/],
  ['run', 'input an Int32Array', () => run({ q, k, v: new Int32Array(v.length) }, opts), TypeError, 'inputs.v', /expected a Float32Array/],
  ['run', 'input a DataView', () => run({ q: new DataView(q.buffer), k, v }, opts), TypeError, 'inputs.q', /expected a Float32Array/],
  ['run', 'input an ArrayBuffer', () => run({ q: q.buffer, k, v }, opts), TypeError, 'inputs.q', /expected a Float32Array/],
  ['run', 'input null', () => run({ q: null, k, v }, opts), TypeError, 'inputs.q', /expected a Float32Array, got null/],
  ['run', 'input a number', () => run({ q: 1, k, v }, opts), TypeError, 'inputs.q', /expected a Float32Array/],
  ['run', 'input a fake (Float32Array prototype, no array)', () => run({ q: Object.create(Float32Array.prototype), k, v }, opts), TypeError, 'inputs.q', /expected a Float32Array/],
  // lengths
  ['run', 'input too short', () => run({ q: q.subarray(1), k, v }, opts), RangeError, 'inputs.q', /expected length 12 \[n, dk\], got 11/],
  ['run', 'input too long', () => run({ q, k: normal(13), v }, opts), RangeError, 'inputs.k', /expected length 12/],
  ['run', 'input empty', () => run({ q, k, v: zeros(0) }, opts), RangeError, 'inputs.v', /expected length 8/],
  [
    'run',
    'a Float32Array subclass that lies about its length',
    () => run({ q: new (class extends Float32Array { get length() { return 12; } })(50000), k, v }, opts),
    RangeError,
    'inputs.q',
    /expected length 12 \[n, dk\], got 50000/,
  ],
  // missing / extra inputs
  ['run', 'input missing', () => run({ q, k }, opts), TypeError, 'inputs.v', /missing; expected a Float32Array of length 8/],
  ['run', 'input undefined', () => run({ q, k, v: undefined }, opts), TypeError, 'inputs.v', /missing; expected/],
  ['run', 'all inputs missing', () => run({}, opts), TypeError, 'inputs.q', /missing; expected/],
  ['run', 'extra input', () => run({ q, k, v, w: v }, opts), TypeError, 'inputs.w', /not an input of softmax; expected q, k, v/],
  ['run', 'per-channel input passed to a per-token variant', () => core.run('rwkv5', { r: q, k, v, w: zeros(3).fill(0.5) }, opts), TypeError, 'inputs.u', /missing; expected a Float32Array of length 3 \[dk\]/],
  ['run', 'initialState with the parallel form', () => core.run('linear', { q, k, v, initialState: zeros(6) }, { ...opts, form: 'parallel' }), RangeError, 'initialState', /expected form 'recurrent' or 'chunkwise'/],
  ['run', 'initialState of the wrong length', () => core.run('linear', { q, k, v, initialState: zeros(5) }, { ...opts, featureMap: 'identity' }), RangeError, 'initialState', /expected length 6, got 5/],
  // values
  ['run', 'NaN value', () => run({ q: q.map((x, i) => (i === 5 ? NaN : x)), k, v }, opts), RangeError, 'inputs.q', /expected finite values, got NaN at index 5/],
  ['run', 'Infinity value', () => run({ q, k: k.map((x, i) => (i ? x : Infinity)), v }, opts), RangeError, 'inputs.k', /expected finite values, got Infinity/],
  ['run', 'value outside the input range (gla g > 0)', () => core.run('gla', { q, k, v, g: zeros(12).fill(0.5) }, opts), RangeError, 'inputs.g', /expected values <= 0, got 0.5/],
  ['run', 'decay 0 (rwkv6 w in (0, 1])', () => core.run('rwkv6', { r: q, k, v, w: zeros(12), u: zeros(3) }, opts), RangeError, 'inputs.w', /expected values \(0, 1\], got 0/],
  ['run', 'beta above 2 (deltanet)', () => core.run('deltanet', { q, k, v, beta: zeros(4).fill(2.5) }, opts), RangeError, 'inputs.beta', /expected values \[0, 2\], got 2.5/],
  // options object
  ['run', 'options missing', () => run({ q, k, v }), TypeError, 'options', /expected an object such as \{ n, dk, dv, form \}/],
  ['run', 'options null', () => run({ q, k, v }, null), TypeError, 'options', /expected an object/],
  ['run', 'options a string', () => run({ q, k, v }, 'n=4'), TypeError, 'options', /expected an object/],
  // sizes
  ['run', 'n missing', () => run({ q, k, v }, { dk, dv }), TypeError, 'n', /missing; expected a positive integer/],
  ['run', 'n zero', () => run({ q, k, v }, { ...opts, n: 0 }), RangeError, 'n', /expected a positive integer, got 0/],
  ['run', 'n negative', () => run({ q, k, v }, { ...opts, n: -4 }), RangeError, 'n', /expected a positive integer, got -4/],
  ['run', 'n fractional', () => run({ q, k, v }, { ...opts, n: 3.5 }), RangeError, 'n', /expected a positive integer, got 3.5/],
  ['run', 'n NaN', () => run({ q, k, v }, { ...opts, n: NaN }), RangeError, 'n', /expected a positive integer, got NaN/],
  ['run', 'n Infinity', () => run({ q, k, v }, { ...opts, n: Infinity }), RangeError, 'n', /expected a positive integer, got Infinity/],
  ['run', 'n -Infinity', () => run({ q, k, v }, { ...opts, n: -Infinity }), RangeError, 'n', POS_INT],
  ['run', 'n huge', () => run({ q, k, v }, { ...opts, n: 1e12 }), RangeError, 'n', /expected at most 16777216, got 1e\+12/],
  ['run', 'n past 2^53', () => run({ q, k, v }, { ...opts, n: 2 ** 60 }), RangeError, 'n', /expected at most 16777216/],
  ['run', 'n a string', () => run({ q, k, v }, { ...opts, n: '4' }), TypeError, 'n', /expected a positive integer, got a string/],
  ['run', 'n a BigInt', () => run({ q, k, v }, { ...opts, n: 4n }), TypeError, 'n', /expected a number, boolean or string, got a bigint/],
  ['run', 'n an object with valueOf', () => run({ q, k, v }, { ...opts, n: { valueOf: () => 4 } }), TypeError, 'n', /expected a number, boolean or string, got an object/],
  ['run', 'n null', () => run({ q, k, v }, { ...opts, n: null }), TypeError, 'n', /expected a number, boolean or string, got null/],
  ['run', 'dk missing', () => run({ q, k, v }, { n, dv }), TypeError, 'dk', /missing; expected a positive integer/],
  ['run', 'dk zero', () => run({ q, k, v }, { ...opts, dk: 0 }), RangeError, 'dk', POS_INT],
  ['run', 'dk huge', () => run({ q, k, v }, { ...opts, dk: 1e6 }), RangeError, 'dk', /expected at most 4096, got 1000000/],
  ['run', 'dv fractional', () => run({ q, k, v }, { ...opts, dv: 2.0001 }), RangeError, 'dv', POS_INT],
  ['run', 'dv negative zero', () => run({ q, k, v }, { ...opts, dv: -0 }), RangeError, 'dv', POS_INT],
  ['run', 'mamba N NaN', () => core.run('mamba', {}, { n: 4, D: 2, N: NaN }), RangeError, 'N', POS_INT],
  ['run', 'rwkv4 C missing', () => core.run('rwkv4', {}, { n: 4, dk: 3 }), TypeError, 'C', /missing; expected a positive integer/],
  // forms and chunks
  ['run', 'form unknown', () => run({ q, k, v }, { ...opts, form: 'sideways' }), RangeError, 'form', /expected 'parallel', 'recurrent' or 'chunkwise', got 'sideways'/],
  ['run', 'form a number', () => run({ q, k, v }, { ...opts, form: 1 }), TypeError, 'form', /expected 'parallel', 'recurrent' or 'chunkwise'/],
  ['run', 'form with different case', () => run({ q, k, v }, { ...opts, form: 'Parallel' }), RangeError, 'form', /expected 'parallel'/],
  ['run', 'form not offered (rwkv4 chunkwise)', () => core.run('rwkv4', {}, { n: 4, C: 3, form: 'chunkwise' }), RangeError, 'form', /rwkv4 has no chunkwise form .*expected one of parallel, recurrent/],
  ['run', 'chunk zero', () => run({ q, k, v }, { ...opts, form: 'chunkwise', chunk: 0 }), RangeError, 'chunk', POS_INT],
  ['run', 'chunk fractional', () => run({ q, k, v }, { ...opts, form: 'chunkwise', chunk: 1.5 }), RangeError, 'chunk', POS_INT],
  ['run', 'chunk NaN', () => run({ q, k, v }, { ...opts, form: 'chunkwise', chunk: NaN }), RangeError, 'chunk', POS_INT],
  ['run', 'chunk Infinity', () => run({ q, k, v }, { ...opts, form: 'chunkwise', chunk: Infinity }), RangeError, 'chunk', POS_INT],
  ['run', 'chunk a string', () => run({ q, k, v }, { ...opts, form: 'chunkwise', chunk: '8' }), TypeError, 'chunk', POS_INT],
  // variant options
  ['run', 'unknown option', () => run({ q, k, v }, { ...opts, gamma: 0.5 }), TypeError, 'gamma', /not an option of softmax; its options are scale/],
  ['run', 'unknown string option', () => run({ q, k, v }, { ...opts, mode: 'fast' }), TypeError, 'mode', /not an option of softmax/],
  ['run', 'option NaN', () => run({ q, k, v }, { ...opts, scale: NaN }), RangeError, 'scale', /expected a finite number, got NaN/],
  ['run', 'option Infinity', () => run({ q, k, v }, { ...opts, scale: Infinity }), RangeError, 'scale', /expected a finite number, got Infinity/],
  ['run', 'option -Infinity', () => core.run('retnet', { q, k, v }, { ...opts, gamma: -Infinity }), RangeError, 'gamma', /expected a finite number/],
  ['run', 'option huge (scale -1e36; every scale is bounded to 1e4 so float32 products stay finite)', () => core.run('rwkv5', { r: q, k, v, w: zeros(3).fill(0.5), u: zeros(3) }, { ...opts, scale: -1e36 }), RangeError, 'scale', /expected a value \[-10000, 10000\], got -1e\+36/],
  ['run', 'option an object', () => run({ q, k, v }, { ...opts, scale: {} }), TypeError, 'scale', /expected a number, boolean or string, got an object/],
  ['run', 'option a function', () => run({ q, k, v }, { ...opts, scale: () => 1 }), TypeError, 'scale', /expected a number, boolean or string, got a function/],
  ['run', 'option a string for a number', () => run({ q, k, v }, { ...opts, scale: '0.5' }), TypeError, 'scale', /expected a number, got a string/],
  ['run', 'option out of range (gamma > 1)', () => core.run('retnet', { q, k, v }, { ...opts, gamma: 1.5 }), RangeError, 'gamma', /expected a value \(0, 1\], got 1.5/],
  ['run', 'option out of range (mamba2 A >= 0)', () => core.run('mamba2', {}, { n: 4, N: 2, P: 2, A: 0 }), RangeError, 'A', /expected a value < 0, got 0/],
  ['run', 'integer option fractional (window)', () => core.run('sliding_window', { q, k, v }, { ...opts, window: 2.5 }), RangeError, 'window', /expected an integer, got 2.5/],
  ['run', 'integer option zero (window)', () => core.run('sliding_window', { q, k, v }, { ...opts, window: 0 }), RangeError, 'window', /expected a value \[1, 16777216\], got 0/],
  ['run', 'choice unknown (featureMap)', () => core.run('linear', { q, k, v }, { ...opts, featureMap: 'cosine' }), RangeError, 'featureMap', /expected one of elu1, relu, identity, taylor2, performer, got 'cosine'/],
  ['run', 'choice a number (featureMap)', () => core.run('linear', { q, k, v }, { ...opts, featureMap: 2 }), TypeError, 'featureMap', /expected one of elu1/],
  ['run', 'boolean option a number (normalize 2)', () => core.run('linear', { q, k, v }, { ...opts, normalize: 2 }), TypeError, 'normalize', /expected true or false, got 2/],
  ['run', 'eps zero', () => core.run('linear', { q, k, v }, { ...opts, eps: 0 }), RangeError, 'eps', /expected a value \[1e-30, 1e\+30\], got 0/],
  ['run', 'performer features huge', () => core.run('linear', { q, k, v }, { ...opts, featureMap: 'performer', features: 1e9 }), RangeError, 'features', /expected a value \[1, 65536\]/],
  // memory budget
  [
    'run',
    'parallel softmax over the memory budget',
    () => core.run('softmax', { q: zeros(20000), k: zeros(20000), v: zeros(20000) }, { n: 20000, dk: 1, dv: 1, form: 'parallel' }),
    RangeError,
    'n',
    /needs about \d+ MiB, over the module's budget of 256 MiB/,
  ],
  [
    'run',
    'taylor2 feature state over the memory budget',
    () => core.run('linear', { q: zeros(4096), k: zeros(4096), v: zeros(4096) }, { n: 1, dk: 4096, dv: 4096, featureMap: 'taylor2' }),
    RangeError,
    'dk',
    /over the module's budget of 256 MiB/,
  ],
  [
    'run',
    'input arrays over the memory budget',
    () => run({ q: new Float32Array(new ArrayBuffer(0), 0), k: new Float32Array(67_108_865) }, opts),
    RangeError,
    'inputs',
    /MiB of arrays, over the module's budget of 256 MiB/,
  ],
];

const s0 = { dk, dv };
const tok = { q: q.subarray(0, dk), k: k.subarray(0, dk), v: v.subarray(0, dv) };
const stateCases = [
  ['createState', 'id a number', () => core.createState(1, s0), TypeError, 'id', /expected a variant id/],
  ['createState', 'id unknown', () => core.createState('nope', s0), RangeError, 'id', /expected one of softmax/],
  ['createState', 'options missing', () => core.createState('softmax'), TypeError, 'options', /expected an object such as \{ dk, dv \}/],
  ['createState', 'options an Array', () => core.createState('softmax', [3, 2]), TypeError, 'options', /expected an object/],
  ['createState', 'dk missing', () => core.createState('softmax', { dv }), TypeError, 'dk', /missing; expected a positive integer/],
  ['createState', 'dk zero', () => core.createState('softmax', { dk: 0, dv }), RangeError, 'dk', POS_INT],
  ['createState', 'dv NaN', () => core.createState('softmax', { dk, dv: NaN }), RangeError, 'dv', POS_INT],
  ['createState', 'dv Infinity', () => core.createState('softmax', { dk, dv: Infinity }), RangeError, 'dv', POS_INT],
  ['createState', 'dk fractional', () => core.createState('softmax', { dk: 2.5, dv }), RangeError, 'dk', POS_INT],
  ['createState', 'dk huge', () => core.createState('softmax', { dk: 4097, dv }), RangeError, 'dk', /expected at most 4096/],
  ['createState', 'option NaN', () => core.createState('retnet', { ...s0, gamma: NaN }), RangeError, 'gamma', /expected a finite number/],
  ['createState', 'option unknown', () => core.createState('retnet', { ...s0, beta: 1 }), TypeError, 'beta', /not an option of retnet/],
  ['createState', 'form unknown', () => core.createState('retnet', { ...s0, form: 'fast' }), RangeError, 'form', /expected 'parallel', 'recurrent' or 'chunkwise'/],
  ['createState', 'channelInputs not an object', () => core.createState('rwkv4', { C: 2 }, 5), TypeError, 'channelInputs', /expected an object of Float32Arrays/],
  ['createState', 'channel input missing', () => core.createState('rwkv4', { C: 2 }, { w: f32(-1, -1) }), TypeError, 'channelInputs.u', /missing; expected a Float32Array of length 2/],
  ['createState', 'channel input wrong type', () => core.createState('rwkv4', { C: 2 }, { w: [-1, -1], u: f32(0, 0) }), TypeError, 'channelInputs.w', /expected a Float32Array, got an Array/],
  ['createState', 'channel input wrong length', () => core.createState('rwkv4', { C: 2 }, { w: f32(-1), u: f32(0, 0) }), RangeError, 'channelInputs.w', /expected length 2, got 1/],
  ['createState', 'channel input out of range (w > 0)', () => core.createState('rwkv4', { C: 2 }, { w: f32(-1, 1), u: f32(0, 0) }), RangeError, 'channelInputs.w', /expected values < 0, got 1 at index 1/],
  ['createState', 'channel input NaN', () => core.createState('rwkv4', { C: 2 }, { w: f32(-1, -1), u: f32(NaN, 0) }), RangeError, 'channelInputs.u', /expected finite values, got NaN/],
  ['createState', 'extra channel input', () => core.createState('softmax', s0, { w: q }), TypeError, 'channelInputs.w', /not a per-channel input of softmax; expected none/],
  ['createState', 'performer state over the memory budget', () => core.createState('linear', { dk: 4, dv: 4096, featureMap: 'performer', features: 65536 }), RangeError, 'features', /over the module's budget of 256 MiB/],
];

function stepCases() {
  const s = core.createState('softmax', s0);
  const cases = [
    ['step', 'token missing', () => s.step(), TypeError, 'token', /expected an object with one Float32Array row per input/],
    ['step', 'token a Float32Array', () => s.step(tok.q), TypeError, 'token', /expected an object/],
    ['step', 'token input missing', () => s.step({ q: tok.q, k: tok.k }), TypeError, 'token.v', /missing; expected a Float32Array of length 2/],
    ['step', 'token input wrong length', () => s.step({ ...tok, q: q.subarray(0, dk + 1) }), RangeError, 'token.q', /expected length 3, got 4/],
    ['step', 'token input a whole sequence', () => s.step({ ...tok, q }), RangeError, 'token.q', /expected length 3, got 12/],
    ['step', 'token input wrong type', () => s.step({ ...tok, k: [...tok.k] }), TypeError, 'token.k', /expected a Float32Array, got an Array/],
    ['step', 'token input a Float64Array', () => s.step({ ...tok, k: new Float64Array(3) }), TypeError, 'token.k', /expected a Float32Array, got a Float64Array/],
    [
      'step',
      'token input a subclass that lies about its length',
      () => s.step({ ...tok, v: new (class extends Float32Array { get length() { return 2; } })(100000) }),
      RangeError,
      'token.v',
      /expected length 2, got 100000/,
    ],
    ['step', 'extra token input', () => s.step({ ...tok, x: tok.q }), TypeError, 'token.x', /not a per-token input of softmax; expected q, k, v/],
    ['step', 'token value Infinity', () => s.step({ ...tok, v: f32(Infinity, 0) }), RangeError, 'token.v', /expected finite values, got Infinity/],
    ['step', 'token value NaN', () => s.step({ ...tok, q: f32(0, NaN, 0) }), RangeError, 'token.q', /expected finite values, got NaN at index 1/],
  ];
  return { s, cases };
}

// Every call a disposed state offers, and dispose() twice.
function disposedCases() {
  const s = core.createState('linear', { dk: 2, dv: 2 });
  s.step({ q: f32(1, 0), k: f32(1, 0), v: f32(1, 1) });
  s.dispose();
  const DISPOSED = /was disposed; create a new one with createState\(\)/;
  return [
    ['step', 'on a disposed state', () => s.step({ q: f32(1, 0), k: f32(1, 0), v: f32(1, 1) }), TypeError, 'state', DISPOSED],
    ['step', 'bad token on a disposed state (disposal reported first)', () => s.step(null), TypeError, 'state', DISPOSED],
    ['state', 'on a disposed state', () => s.state(), TypeError, 'state', DISPOSED],
    ['t', 'on a disposed state', () => s.t, TypeError, 'state', DISPOSED],
    ['reset', 'on a disposed state', () => s.reset(), TypeError, 'state', DISPOSED],
  ];
}

const labCases = [
  // cost
  ['cost', 'id a number', () => core.cost(7, opts), TypeError, 'id', /expected a variant id/],
  ['cost', 'id unknown', () => core.cost('nope', opts), RangeError, 'id', /expected one of softmax/],
  ['cost', 'options missing', () => core.cost('softmax'), TypeError, 'options', /expected an object/],
  ['cost', 'n missing', () => core.cost('softmax', { dk, dv }), TypeError, 'n', /missing; expected a positive integer/],
  ['cost', 'n NaN', () => core.cost('softmax', { ...opts, n: NaN }), RangeError, 'n', POS_INT],
  ['cost', 'n negative', () => core.cost('softmax', { ...opts, n: -1 }), RangeError, 'n', POS_INT],
  ['cost', 'n fractional', () => core.cost('softmax', { ...opts, n: 1.5 }), RangeError, 'n', POS_INT],
  ['cost', 'n huge', () => core.cost('softmax', { ...opts, n: 1e12 }), RangeError, 'n', /expected at most 16777216/],
  ['cost', 'dk Infinity', () => core.cost('softmax', { ...opts, dk: Infinity }), RangeError, 'dk', POS_INT],
  ['cost', 'form unknown', () => core.cost('softmax', { ...opts, form: 'diagonal' }), RangeError, 'form', /expected 'parallel', 'recurrent' or 'chunkwise'/],
  ['cost', 'form not offered', () => core.cost('rwkv4', { n, C: 4, form: 'chunkwise' }), RangeError, 'form', /expected one of parallel, recurrent/],
  ['cost', 'chunk zero', () => core.cost('linear', { ...opts, form: 'chunkwise', chunk: 0 }), RangeError, 'chunk', POS_INT],
  ['cost', 'option NaN', () => core.cost('retnet', { ...opts, gamma: NaN }), RangeError, 'gamma', /expected a finite number/],
  ['cost', 'option an object', () => core.cost('retnet', { ...opts, gamma: [] }), TypeError, 'gamma', /expected a number, boolean or string/],
  ['cost', 'option unknown', () => core.cost('softmax', { ...opts, window: 4 }), TypeError, 'window', /not an option of softmax/],
  // twoOrders
  ['twoOrders', 'options missing', () => core.twoOrders(), TypeError, 'options', /expected an object such as \{ n, dk, dv \}/],
  ['twoOrders', 'n missing', () => core.twoOrders({ dk, dv }), TypeError, 'n', /missing; expected a positive integer/],
  ['twoOrders', 'n zero', () => core.twoOrders({ ...opts, n: 0 }), RangeError, 'n', /expected an integer in \[1, 16777216\], got 0/],
  ['twoOrders', 'dk NaN', () => core.twoOrders({ ...opts, dk: NaN }), RangeError, 'dk', /expected an integer in \[1, 4096\], got NaN/],
  ['twoOrders', 'dv fractional', () => core.twoOrders({ ...opts, dv: 0.5 }), RangeError, 'dv', /expected an integer in \[1, 4096\]/],
  ['twoOrders', 'n huge', () => core.twoOrders({ ...opts, n: 2 ** 40 }), RangeError, 'n', /expected an integer in \[1, 16777216\]/],
  ['twoOrders', 'dk a string', () => core.twoOrders({ ...opts, dk: '3' }), TypeError, 'dk', /expected a positive integer, got a string/],
  // memory
  ['memory', 'id unknown', () => core.memory('nope', opts), RangeError, 'id', /expected one of softmax/],
  ['memory', 'options null', () => core.memory('softmax', null), TypeError, 'options', /expected an object/],
  ['memory', 'n NaN', () => core.memory('softmax', { ...opts, n: NaN }), RangeError, 'n', POS_INT],
  ['memory', 'model not an object', () => core.memory('softmax', opts, 32), TypeError, 'model', /expected an object such as \{ layers, heads \}/],
  ['memory', 'layers a string', () => core.memory('softmax', opts, { layers: '32' }), TypeError, 'model.layers', /expected a positive integer, got '32'/],
  ['memory', 'layers negative', () => core.memory('softmax', opts, { layers: -1 }), RangeError, 'model.layers', /expected an integer in \[1, 1000000\], got -1/],
  ['memory', 'heads NaN', () => core.memory('softmax', opts, { heads: NaN }), RangeError, 'model.heads', /expected an integer in \[1, 1000000\], got NaN/],
  ['memory', 'heads fractional', () => core.memory('softmax', opts, { heads: 1.5 }), RangeError, 'model.heads', /expected an integer/],
  ['memory', 'heads huge', () => core.memory('softmax', opts, { heads: 1e9 }), RangeError, 'model.heads', /expected an integer in \[1, 1000000\]/],
  // measure
  ['measure', 'id unknown', () => core.measure('nope', opts), RangeError, 'id', /expected one of softmax/],
  ['measure', 'options missing', () => core.measure('softmax'), TypeError, 'options', /expected an object/],
  ['measure', 'reps a string', () => core.measure('softmax', { ...opts, reps: 'many' }), TypeError, 'reps', /expected a positive integer, got 'many'/],
  ['measure', 'reps zero', () => core.measure('softmax', { ...opts, reps: 0 }), RangeError, 'reps', /expected an integer in \[1, 1000\], got 0/],
  ['measure', 'reps NaN', () => core.measure('softmax', { ...opts, reps: NaN }), RangeError, 'reps', /expected an integer in \[1, 1000\]/],
  ['measure', 'reps huge', () => core.measure('softmax', { ...opts, reps: 1e6 }), RangeError, 'reps', /expected an integer in \[1, 1000\]/],
  ['measure', 'n zero', () => core.measure('softmax', { ...opts, n: 0 }), RangeError, 'n', POS_INT],
  ['measure', 'form unknown', () => core.measure('softmax', { ...opts, form: 'x' }), RangeError, 'form', /expected 'parallel'/],
  ['measure', 'over the memory budget', () => core.measure('softmax', { n: 100000, dk: 4, dv: 4, form: 'parallel' }), RangeError, 'n', /over the module's budget of 256 MiB/],
  // recall
  ['recall', 'spec missing', () => core.recall(), TypeError, 'spec', /expected an object such as \{ variant, d, pairs, keys \}/],
  ['recall', 'variant missing', () => core.recall({ d: 8 }), TypeError, 'variant', /expected a variant id such as 'linear'/],
  ['recall', 'variant unknown', () => core.recall({ variant: 'nope', d: 8 }), RangeError, 'variant', /expected one of softmax/],
  ['recall', 'variant without q/k/v per token (mamba)', () => core.recall({ variant: 'mamba', d: 8 }), RangeError, 'variant', /mamba/],
  ['recall', 'options not an object', () => core.recall({ variant: 'linear', options: 'identity' }), TypeError, 'options', /the variant's options/],
  ['recall', 'option NaN', () => core.recall({ variant: 'linear', d: 8, options: { scale: NaN } }), RangeError, 'scale', /expected a finite number/],
  ['recall', 'constant input out of range', () => core.recall({ variant: 'deltanet', d: 8, options: { beta: 3 } }), RangeError, 'options.beta', /expected values \[0, 2\], got 3/],
  ['recall', 'unknown constant input', () => core.recall({ variant: 'deltanet', d: 8, options: { colour: 1 } }), TypeError, 'colour', /not an option of deltanet/],
  ['recall', 'd zero', () => core.recall({ variant: 'linear', d: 0 }), RangeError, 'd', /expected an integer in \[1, 1024\], got 0/],
  ['recall', 'd huge', () => core.recall({ variant: 'linear', d: 1e9 }), RangeError, 'd', /expected an integer in \[1, 1024\]/],
  ['recall', 'd a string', () => core.recall({ variant: 'linear', d: '8' }), TypeError, 'd', /expected a number, got '8'/],
  ['recall', 'pairs zero', () => core.recall({ variant: 'linear', d: 8, pairs: 0 }), RangeError, 'pairs', /expected an integer in \[1, 4096\], got 0/],
  ['recall', 'pairs fractional', () => core.recall({ variant: 'linear', d: 8, pairs: 2.5 }), RangeError, 'pairs', /expected an integer, got 2.5/],
  ['recall', 'trials Infinity', () => core.recall({ variant: 'linear', d: 8, trials: Infinity }), RangeError, 'trials', /expected an integer, got Infinity/],
  ['recall', 'gap negative', () => core.recall({ variant: 'linear', d: 8, gap: -1 }), RangeError, 'gap', /expected an integer in \[0, 65536\], got -1/],
  ['recall', 'seed NaN', () => core.recall({ variant: 'linear', d: 8, seed: NaN }), RangeError, 'seed', /expected a non-negative integer, got NaN/],
  ['recall', 'cosine 1', () => core.recall({ variant: 'linear', d: 8, keys: 'correlated', cosine: 1 }), RangeError, 'cosine', /expected a value in \[0, 1\), got 1/],
  ['recall', 'cosine NaN', () => core.recall({ variant: 'linear', d: 8, keys: 'correlated', cosine: NaN }), RangeError, 'cosine', /expected a value in \[0, 1\)/],
  ['recall', 'keys unknown', () => core.recall({ variant: 'linear', d: 8, keys: 'diagonal' }), RangeError, 'keys', /expected 'orthogonal', 'random' or 'correlated', got 'diagonal'/],
  ['recall', 'keys a number', () => core.recall({ variant: 'linear', d: 8, keys: 1 }), TypeError, 'keys', /expected 'orthogonal', 'random' or 'correlated'/],
  ['recall', 'extra argument', () => core.recall({ variant: 'linear', d: 8, colour: 3 }), TypeError, 'colour', /not a recall argument; expected variant, options/],
  ['recall', 'rewrites negative', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: -1 }), RangeError, 'rewrites', /expected an integer in \[0, pairs\] = \[0, 4\], got -1/],
  ['recall', 'rewrites more than pairs', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: 5 }), RangeError, 'rewrites', /expected an integer in \[0, pairs\] = \[0, 4\], got 5/],
  ['recall', 'rewrites more than the default 32 pairs', () => core.recall({ variant: 'deltanet', d: 8, rewrites: 33 }), RangeError, 'rewrites', /= \[0, 32\], got 33/],
  ['recall', 'rewrites fractional', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: 1.5 }), RangeError, 'rewrites', /expected an integer, got 1.5/],
  ['recall', 'rewrites NaN', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: NaN }), RangeError, 'rewrites', /expected an integer, got NaN/],
  ['recall', 'rewrites Infinity', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: Infinity }), RangeError, 'rewrites', /expected an integer, got Infinity/],
  ['recall', 'rewrites a string', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: '2' }), TypeError, 'rewrites', /expected a number, got '2'/],
  ['recall', 'rewrites a boolean', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: true }), TypeError, 'rewrites', /expected a number, got boolean true/],
  ['recall', 'rewrites null', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, rewrites: null }), TypeError, 'rewrites', /expected a number, got null/],
  ['recall', 'rewrites given as a variant option', () => core.recall({ variant: 'deltanet', d: 8, pairs: 4, options: { rewrites: 2 } }), TypeError, 'rewrites', /not an option of deltanet/],
  ['recall', 'pairs + gap over the memory budget', () => core.recall({ variant: 'softmax', d: 1024, pairs: 4096, gap: 65536 }), RangeError, 'pairs', /memory budget/],
  // recallSweep
  ['recallSweep', 'spec missing', () => core.recallSweep(), TypeError, 'spec', /expected an object/],
  ['recallSweep', 'grid not an object', () => core.recallSweep({ variant: 'linear', d: 8 }, [4, 8]), TypeError, 'grid', /expected an object such as \{ pairs: \[8, 16, 32\]/],
  ['recallSweep', 'grid.pairs empty', () => core.recallSweep({ variant: 'linear', d: 8 }, { pairs: [] }), TypeError, 'grid.pairs', /expected a non-empty array of numbers, got an Array/],
  ['recallSweep', 'grid.pairs not an array', () => core.recallSweep({ variant: 'linear', d: 8 }, { pairs: 8 }), TypeError, 'grid.pairs', /expected a non-empty array of numbers/],
  ['recallSweep', 'grid.d holds a string', () => core.recallSweep({ variant: 'linear' }, { d: [8, '16'] }), TypeError, 'grid.d', /expected a non-empty array of numbers/],
  ['recallSweep', 'grid.pairs holds NaN', () => core.recallSweep({ variant: 'linear', d: 8, trials: 1 }, { pairs: [4, NaN] }), RangeError, 'pairs', /expected an integer/],
  ['recallSweep', 'grid.d out of range', () => core.recallSweep({ variant: 'linear', trials: 1 }, { d: [0] }), RangeError, 'd', /expected an integer in \[1, 1024\]/],
  ['recallSweep', 'a grid point with fewer pairs than rewrites', () => core.recallSweep({ variant: 'deltanet', d: 8, rewrites: 6, trials: 1 }, { pairs: [8, 4] }), RangeError, 'rewrites', /= \[0, 4\], got 6/],
  ['recallSweep', 'variant unknown', () => core.recallSweep({ variant: 'nope' }, { pairs: [4] }), RangeError, 'variant', /expected one of/],
];

// featureMap(name, x, { n, dk, features, seed })
const fx = normal(6);
const fo = { n: 2, dk: 3 };
const featureMapCases = [
  // name
  ['featureMap', 'name a number', () => core.featureMap(2, fx, fo), TypeError, 'name', /expected a feature map name such as 'elu1', got number 2/],
  ['featureMap', 'name missing', () => core.featureMap(undefined, fx, fo), TypeError, 'name', /expected a feature map name/],
  ['featureMap', 'name unknown', () => core.featureMap('cosine', fx, fo), RangeError, 'name', /unknown feature map 'cosine'; expected one of elu1, relu, identity, taylor2, performer/],
  ['featureMap', 'name a variant id', () => core.featureMap('linear', fx, fo), RangeError, 'name', /expected one of elu1/],
  ['featureMap', 'name with different case', () => core.featureMap('ELU1', fx, fo), RangeError, 'name', /unknown feature map 'ELU1'/],
  // x
  ['featureMap', 'x missing', () => core.featureMap('elu1', undefined, fo), TypeError, 'x', /expected a Float32Array \[n, dk\], got a undefined/],
  ['featureMap', 'x a plain Array', () => core.featureMap('elu1', [...fx], fo), TypeError, 'x', /expected a Float32Array \[n, dk\], got an Array/],
  ['featureMap', 'x a Float64Array', () => core.featureMap('elu1', new Float64Array(6), fo), TypeError, 'x', /got a Float64Array/],
  ['featureMap', 'x too short', () => core.featureMap('elu1', fx.subarray(1), fo), RangeError, 'x', /expected length 6 \[n, dk\], got 5/],
  ['featureMap', 'x too long', () => core.featureMap('taylor2', normal(7), fo), RangeError, 'x', /expected length 6 \[n, dk\], got 7/],
  ['featureMap', 'x empty', () => core.featureMap('relu', zeros(0), fo), RangeError, 'x', /expected length 6 \[n, dk\], got 0/],
  [
    'featureMap',
    'x a subclass that lies about its length',
    () => core.featureMap('relu', new (class extends Float32Array { get length() { return 6; } })(5000), fo),
    RangeError,
    'x',
    /expected length 6 \[n, dk\], got 5000/,
  ],
  ['featureMap', 'x NaN', () => core.featureMap('elu1', fx.map((v, i) => (i === 4 ? NaN : v)), fo), RangeError, 'x', /expected finite values, got NaN at index 4/],
  ['featureMap', 'x Infinity', () => core.featureMap('identity', fx.map((v, i) => (i ? v : -Infinity)), fo), RangeError, 'x', /expected finite values, got -Infinity at index 0/],
  ['featureMap', 'x so large that taylor2 overflows', () => core.featureMap('taylor2', fx.map(() => 1e30), fo), RangeError, 'x', /row 0: featureMap 'taylor2' of these values overflows float32/],
  ['featureMap', 'x over the memory budget', () => core.featureMap('elu1', new Float32Array(67_108_865), fo), RangeError, 'x', /MiB, over the module's budget of 256 MiB/],
  // options
  ['featureMap', 'options missing', () => core.featureMap('elu1', fx), TypeError, 'options', /expected an object such as \{ n, dk \}/],
  ['featureMap', 'options null', () => core.featureMap('elu1', fx, null), TypeError, 'options', /expected an object/],
  ['featureMap', 'n missing', () => core.featureMap('elu1', fx, { dk: 3 }), TypeError, 'n', /missing; expected a positive integer/],
  ['featureMap', 'dk missing', () => core.featureMap('elu1', fx, { n: 2 }), TypeError, 'dk', /missing; expected a positive integer/],
  ['featureMap', 'n zero', () => core.featureMap('elu1', fx, { ...fo, n: 0 }), RangeError, 'n', POS_INT],
  ['featureMap', 'n NaN', () => core.featureMap('elu1', fx, { ...fo, n: NaN }), RangeError, 'n', /expected a positive integer, got NaN/],
  ['featureMap', 'dk fractional', () => core.featureMap('elu1', fx, { ...fo, dk: 1.5 }), RangeError, 'dk', POS_INT],
  ['featureMap', 'dk Infinity', () => core.featureMap('elu1', fx, { ...fo, dk: Infinity }), RangeError, 'dk', POS_INT],
  ['featureMap', 'dk huge', () => core.featureMap('elu1', fx, { ...fo, dk: 5000 }), RangeError, 'dk', /expected at most 4096/],
  ['featureMap', 'n a string', () => core.featureMap('elu1', fx, { ...fo, n: '2' }), TypeError, 'n', /expected a positive integer, got a string/],
  ['featureMap', 'unknown option', () => core.featureMap('elu1', fx, { ...fo, colour: 1 }), TypeError, 'colour', /not an option of featureMap; its options are n, dk, features, seed/],
  ['featureMap', "linear's normalize is not a map option", () => core.featureMap('elu1', fx, { ...fo, normalize: false }), TypeError, 'normalize', /not an option of featureMap/],
  ['featureMap', "linear's scale is not a map option", () => core.featureMap('performer', fx, { ...fo, scale: 2 }), TypeError, 'scale', /not an option of featureMap/],
  ['featureMap', 'featureMap given as an option', () => core.featureMap('elu1', fx, { ...fo, featureMap: 'relu' }), TypeError, 'featureMap', /not an option of featureMap/],
  ['featureMap', 'option an object', () => core.featureMap('elu1', fx, { ...fo, features: {} }), TypeError, 'features', /expected a number, boolean or string, got an object/],
  ['featureMap', 'features zero', () => core.featureMap('performer', fx, { ...fo, features: 0 }), RangeError, 'features', /expected a value \[1, 65536\], got 0/],
  ['featureMap', 'features fractional', () => core.featureMap('performer', fx, { ...fo, features: 2.5 }), RangeError, 'features', /expected an integer, got 2.5/],
  ['featureMap', 'features NaN', () => core.featureMap('performer', fx, { ...fo, features: NaN }), RangeError, 'features', /expected a finite number, got NaN/],
  ['featureMap', 'features a string', () => core.featureMap('performer', fx, { ...fo, features: '8' }), TypeError, 'features', /expected a number, got a string/],
  ['featureMap', 'seed negative', () => core.featureMap('performer', fx, { ...fo, seed: -1 }), RangeError, 'seed', /expected a value \[0, 1e\+15\], got -1/],
  ['featureMap', 'seed Infinity', () => core.featureMap('performer', fx, { ...fo, seed: Infinity }), RangeError, 'seed', /expected a finite number/],
  [
    'featureMap',
    'taylor2 rows over the memory budget',
    () => core.featureMap('taylor2', zeros(4096 * 512), { n: 4096, dk: 512 }),
    RangeError,
    'n',
    /this call needs about \d+ MiB .* over the module's budget of 256 MiB/,
  ],
];

// tokenShift({ x, mu, n, d })
const tx = normal(6);
const tmu = new Float32Array([0.25, 0.5, 1]);
const ts = { x: tx, mu: tmu, n: 2, d: 3 };
const tokenShiftCases = [
  // spec
  ['tokenShift', 'spec missing', () => core.tokenShift(), TypeError, 'spec', /expected an object such as \{ x, mu, n, d \}/],
  ['tokenShift', 'spec null', () => core.tokenShift(null), TypeError, 'spec', /expected an object/],
  ['tokenShift', 'spec a Float32Array', () => core.tokenShift(tx), TypeError, 'spec', /expected an object/],
  ['tokenShift', 'extra argument', () => core.tokenShift({ ...ts, w: tmu }), TypeError, 'w', /not an argument of tokenShift; expected x, mu, n and d/],
  ['tokenShift', 'a size under another name', () => core.tokenShift({ ...ts, dk: 3 }), TypeError, 'dk', /not an argument of tokenShift/],
  // x
  ['tokenShift', 'x missing', () => core.tokenShift({ ...ts, x: undefined }), TypeError, 'x', /missing; expected a Float32Array \[n, d\]/],
  ['tokenShift', 'x a plain Array', () => core.tokenShift({ ...ts, x: [...tx] }), TypeError, 'x', /expected a Float32Array \[n, d\], got an Array/],
  ['tokenShift', 'x a Float64Array', () => core.tokenShift({ ...ts, x: new Float64Array(6) }), TypeError, 'x', /got a Float64Array/],
  ['tokenShift', 'x too short', () => core.tokenShift({ ...ts, x: tx.subarray(1) }), RangeError, 'x', /expected length 6 \[n, d\], got 5/],
  ['tokenShift', 'x too long', () => core.tokenShift({ ...ts, x: normal(9) }), RangeError, 'x', /expected length 6 \[n, d\], got 9/],
  [
    'tokenShift',
    'x a subclass that lies about its length',
    () => core.tokenShift({ ...ts, x: new (class extends Float32Array { get length() { return 6; } })(4000) }),
    RangeError,
    'x',
    /expected length 6 \[n, d\], got 4000/,
  ],
  ['tokenShift', 'x NaN', () => core.tokenShift({ ...ts, x: tx.map((v, i) => (i === 3 ? NaN : v)) }), RangeError, 'x', /expected finite values, got NaN at index 3/],
  ['tokenShift', 'x Infinity', () => core.tokenShift({ ...ts, x: tx.map((v, i) => (i === 5 ? Infinity : v)) }), RangeError, 'x', /expected finite values, got Infinity at index 5/],
  ['tokenShift', 'arrays over the memory budget', () => core.tokenShift({ ...ts, x: new Float32Array(67_108_865) }), RangeError, 'x', /MiB of arrays, over the module's budget of 256 MiB/],
  // mu
  ['tokenShift', 'mu missing', () => core.tokenShift({ x: tx, n: 2, d: 3 }), TypeError, 'mu', /missing; expected a Float32Array \[d\]/],
  ['tokenShift', 'mu a number', () => core.tokenShift({ ...ts, mu: 0.5 }), TypeError, 'mu', /expected a Float32Array \[d\], got number 0.5/],
  ['tokenShift', 'mu per token ([n, d])', () => core.tokenShift({ ...ts, mu: new Float32Array(6).fill(0.5) }), RangeError, 'mu', /expected length 3 \[d\], got 6/],
  ['tokenShift', 'mu too short', () => core.tokenShift({ ...ts, mu: tmu.subarray(1) }), RangeError, 'mu', /expected length 3 \[d\], got 2/],
  ['tokenShift', 'mu above 1', () => core.tokenShift({ ...ts, mu: new Float32Array([0.5, 1.5, 0]) }), RangeError, 'mu', /expected values \[0, 1\], got 1.5 at index 1/],
  ['tokenShift', 'mu negative', () => core.tokenShift({ ...ts, mu: new Float32Array([-0.5, 0.5, 0]) }), RangeError, 'mu', /expected values \[0, 1\], got -0.5 at index 0/],
  ['tokenShift', 'mu NaN', () => core.tokenShift({ ...ts, mu: new Float32Array([0.5, 0.5, NaN]) }), RangeError, 'mu', /expected finite values, got NaN at index 2/],
  // sizes
  ['tokenShift', 'n missing', () => core.tokenShift({ x: tx, mu: tmu, d: 3 }), TypeError, 'n', /missing; expected a positive integer/],
  ['tokenShift', 'd missing', () => core.tokenShift({ x: tx, mu: tmu, n: 2 }), TypeError, 'd', /missing; expected a positive integer/],
  ['tokenShift', 'n zero', () => core.tokenShift({ ...ts, n: 0 }), RangeError, 'n', /expected a positive integer, got 0/],
  ['tokenShift', 'n negative', () => core.tokenShift({ ...ts, n: -2 }), RangeError, 'n', POS_INT],
  ['tokenShift', 'n fractional', () => core.tokenShift({ ...ts, n: 1.5 }), RangeError, 'n', /expected a positive integer, got 1.5/],
  ['tokenShift', 'n NaN', () => core.tokenShift({ ...ts, n: NaN }), RangeError, 'n', /expected a positive integer, got NaN/],
  ['tokenShift', 'n Infinity', () => core.tokenShift({ ...ts, n: Infinity }), RangeError, 'n', POS_INT],
  ['tokenShift', 'n huge', () => core.tokenShift({ ...ts, n: 1e12 }), RangeError, 'n', /expected at most 16777216/],
  ['tokenShift', 'n a string', () => core.tokenShift({ ...ts, n: '2' }), TypeError, 'n', /expected a positive integer, got a string/],
  ['tokenShift', 'n null', () => core.tokenShift({ ...ts, n: null }), TypeError, 'n', /expected a number, boolean or string, got null/],
  ['tokenShift', 'd zero', () => core.tokenShift({ ...ts, d: 0 }), RangeError, 'd', POS_INT],
  ['tokenShift', 'd huge', () => core.tokenShift({ ...ts, d: 5000 }), RangeError, 'd', /expected at most 4096/],
  ['tokenShift', 'd an object', () => core.tokenShift({ ...ts, d: {} }), TypeError, 'd', /expected a number, boolean or string, got an object/],
  ['tokenShift', 'n and d swapped (x still fits, mu does not)', () => core.tokenShift({ ...ts, n: 3, d: 2 }), RangeError, 'mu', /expected length 2 \[d\], got 3/],
];

after(() => {
  console.log(
    `boundary: ${figures.cases} bad-input cases over ${figures.calls.size} calls (${[...figures.calls].join(', ')}), ` +
      `each a named TypeError/RangeError; ${figures.reentrant} re-entrant scenarios; ` +
      `core re-checked (softmax by hand, 3 forms, and a stepped state) ${figures.checks} times`,
  );
});

test('run: every class of bad input throws a named error and the core keeps working', () => {
  expectAll(runCases);
});

test('createState: bad sizes, options and channel inputs', () => {
  expectAll(stateCases);
});

test('step: bad tokens throw and consume nothing; the state then steps correctly', () => {
  const { s, cases } = stepCases();
  try {
    for (const c of cases) {
      expectThrow(c);
      assert.equal(s.t, 0, `${c[1]}: no token consumed`);
      assert.equal(s.state().length, 0, `${c[1]}: cache unchanged`);
    }
    assertBitEqual(s.step(tok), tok.v, 'the first softmax token returns its own value');
    assert.equal(s.t, 1);
  } finally {
    s.dispose();
  }
});

test('a disposed state throws on every call; dispose() twice is harmless', () => {
  expectAll(disposedCases());
  const live = core._liveObjects();
  const s = core.createState('softmax', s0);
  s.dispose();
  s.dispose();
  assert.equal(core._liveObjects(), live);
  figures.calls.add('dispose');
  stillWorks('dispose twice', live);
});

test('cost, twoOrders, memory, measure, recall and recallSweep: bad arguments', () => {
  expectAll(labCases);
});

test('featureMap: bad name, x, sizes and options', () => {
  expectAll(featureMapCases);
});

test('tokenShift: bad spec, x, mu and sizes', () => {
  expectAll(tokenShiftCases);
});

test('loadCore: bad options reject with a named error; the loaded core is unaffected', async () => {
  const cases = [
    ['options null', null, TypeError, 'options', /expected an object such as \{ simd: 'auto' \}/],
    ['options a string', 'simd', TypeError, 'options', /expected an object/],
    ['simd a string', { simd: 'yes' }, TypeError, 'simd', /expected 'auto', true or false, got 'yes'/],
    ['simd a number', { simd: 1 }, TypeError, 'simd', /expected 'auto', true or false, got number 1/],
    ['simd null', { simd: null }, TypeError, 'simd', /expected 'auto', true or false, got null/],
  ];
  for (const [what, arg, Ctor, name, expected] of cases) {
    const live = core._liveObjects();
    await assert.rejects(loadCore(arg), (e) => {
      assert.equal(e.constructor, Ctor, `loadCore: ${what}: ${e.message}`);
      assert.ok(e.message.startsWith(`${name}: `) && e.argument === name, `loadCore: ${what}: ${e.message}`);
      assert.match(e.message, expected);
      return true;
    });
    figures.cases++;
    figures.calls.add('loadCore');
    stillWorks(`loadCore: ${what}`, live);
  }
  assert.equal(await loadCore({}), core, 'the same instance afterwards');
});

test('variants(): ignores extra arguments and hands out copies', () => {
  const live = core._liveObjects();
  const list = core.variants('extra', { x: 1 });
  assert.deepEqual(list, core.variants());
  list[0].inputs.length = 0;
  list.length = 0;
  assert.ok(core.variants()[0].inputs.length > 0, 'a caller cannot corrupt the next caller');
  figures.calls.add('variants');
  stillWorks('variants()', live);
});

test('every variant: wrong length and non-finite values of each of its inputs, recurrent and per step', () => {
  // The same two classes for every input of every variant, so no input escapes validation.
  const sizes = { n: 5, dk: 3, dv: 2, C: 3, D: 2, N: 3, P: 2 };
  for (const info of byId.values()) {
    const inputs = sampleInputs(info, sizes, 3);
    Object.assign(inputs, sampleInputs(info, sizes, 4, { perToken: false }));
    const good = core.run(info.id, inputs, sizes).output;
    for (const spec of info.inputs) {
      const bad = { ...inputs, [spec.name]: inputs[spec.name].subarray(1) };
      expectThrow(['run', `${info.id}: ${spec.name} one short`, () => core.run(info.id, bad, sizes), RangeError, `inputs.${spec.name}`, /expected length \d+/]);
      const nan = inputs[spec.name].slice();
      nan[nan.length - 1] = NaN;
      expectThrow(['run', `${info.id}: ${spec.name} NaN`, () => core.run(info.id, { ...inputs, [spec.name]: nan }, sizes), RangeError, `inputs.${spec.name}`, /expected finite values, got NaN/]);
    }
    const channel = Object.fromEntries(info.inputs.filter((x) => !x.perToken).map((x) => [x.name, inputs[x.name]]));
    const s = core.createState(info.id, sizes, channel);
    try {
      for (const spec of info.inputs.filter((x) => x.perToken)) {
        const width = inputs[spec.name].length / sizes.n;
        const token = Object.fromEntries(info.inputs.filter((x) => x.perToken).map((x) => [x.name, inputs[x.name].subarray(0, inputs[x.name].length / sizes.n)]));
        const row = new Float32Array(width).fill(Infinity);
        expectThrow(['step', `${info.id}: ${spec.name} Infinity`, () => s.step({ ...token, [spec.name]: row }), RangeError, `token.${spec.name}`, /expected finite values, got Infinity/]);
      }
      assert.equal(s.t, 0);
    } finally {
      s.dispose();
    }
    assertBitEqual(core.run(info.id, inputs, sizes).output, good, `${info.id}: same result after its bad cases`);
  }
});

test('re-entrant calls from getters and event handlers give the plain result', () => {
  const live = core._liveObjects();
  const plainRun = known();
  const plainCost = core.cost('linear', { n: 10, dk: 4, dv: 4 });
  const nested = () => core.cost('softmax', { n: 5, dk: 2, dv: 2, form: 'parallel' });
  // A getter of the options calls into the core while the outer call is being set up.
  const costOpts = { n: 10, get dk() { nested(); return 4; }, dv: 4 };
  assert.deepEqual(core.cost('linear', costOpts), plainCost, 'cost from inside a cost options getter');
  figures.reentrant++;
  const memOpts = { get n() { nested(); return 10; }, dk: 4, dv: 4 };
  assert.deepEqual(core.memory('linear', memOpts), core.memory('linear', { n: 10, dk: 4, dv: 4 }), 'memory, nested cost');
  figures.reentrant++;
  const runOpts = { n: 2, get dk() { known('chunkwise'); return 2; }, dv: 2 };
  assertBitEqual(core.run('softmax', { q: Q, k: Q, v: V }, runOpts).output, plainRun, 'run from inside a run options getter');
  figures.reentrant++;
  const inputsGetter = { q: Q, get k() { core.createState('softmax', { dk: 2, dv: 2 }).dispose(); return Q; }, v: V };
  assertBitEqual(core.run('softmax', inputsGetter, { n: 2, dk: 2, dv: 2 }).output, known('recurrent'), 'run, state created and disposed from an inputs getter');
  figures.reentrant++;
  // An event handler, dispatched synchronously from inside a getter, calls run.
  const events = new EventTarget();
  let fromHandler;
  events.addEventListener('tick', () => {
    fromHandler = known('recurrent');
  });
  const evOpts = { n: 2, dk: 2, dv: 2, get form() { events.dispatchEvent(new Event('tick')); return 'parallel'; } };
  assertBitEqual(core.run('softmax', { q: Q, k: Q, v: V }, evOpts).output, plainRun, 'run whose options getter fires an event');
  figures.reentrant++;
  assertClose(fromHandler, KNOWN, 1e-6, 'run from the event handler');
  figures.reentrant++;
  // A getter that answers differently the second time cannot change what was validated.
  let reads = 0;
  const fickle = { get dk() { return reads++ === 0 ? 1 : 1000; }, dv: 1, featureMap: 'identity', normalize: false };
  const s = core.createState('linear', fickle);
  try {
    assert.deepEqual([...s.step({ q: f32(2), k: f32(3), v: f32(5) })], [30]);
    let flips = 0;
    const fickleToken = { get q() { return flips++ === 0 ? f32(1) : new Float32Array(100000).fill(1); }, k: f32(1), v: f32(1) };
    assert.deepEqual([...s.step(fickleToken)], [16], 'a token getter read once');
    figures.reentrant++;
    // The state steps itself from inside its own token getter: two tokens, in order.
    const nestedToken = { get q() { s.step({ q: f32(0), k: f32(0), v: f32(0) }); return f32(1); }, k: f32(0), v: f32(0) };
    assert.deepEqual([...s.step(nestedToken)], [16]);
    assert.equal(s.t, 4);
    figures.reentrant++;
    // And disposes itself: the outer step reports the disposed state, nothing else.
    const killer = { get q() { s.dispose(); return f32(1); }, k: f32(1), v: f32(1) };
    expectThrow(['step', 'state disposed from inside its own token getter', () => s.step(killer), TypeError, 'state', /was disposed/, -1]);
    figures.reentrant++;
  } finally {
    s.dispose();
  }
  const recallPlain = core.recall({ variant: 'linear', options: { featureMap: 'identity' }, d: 8, pairs: 8, keys: 'orthogonal', trials: 1 });
  const recallOpts = { get featureMap() { core.recall({ variant: 'deltanet', d: 4, pairs: 2, trials: 1 }); return 'identity'; } };
  assert.deepEqual(core.recall({ variant: 'linear', options: recallOpts, d: 8, pairs: 8, keys: 'orthogonal', trials: 1 }), recallPlain, 'recall from a recall options getter');
  figures.reentrant++;
  stillWorks('re-entrant calls', live);
});

// Issue 13, item 1: a length-tracking Float32Array over a resizable ArrayBuffer, resized by user code
// that runs while the call is being set up (an options getter, an inputs getter, a getter of an extra
// key of a token). Before the fix the copy into the heap used the array's length at copy time, wrote
// past its block and left every later call with "memory access out of bounds". Each case must give
// the plain result or a clean named TypeError/RangeError, and the core must keep working.
test('arrays resized by getters during a call: a correct result or a named error, never a corrupt heap', () => {
  const n = 4;
  const dk = 2;
  const dv = 2;
  const opts = { n, dk, dv, featureMap: 'identity' };
  const r2 = rng(41);
  const fill = (a) => {
    for (let i = 0; i < a.length; i++) a[i] = r2.normal();
    return a;
  };
  const tracking = (len) => fill(new Float32Array(new ArrayBuffer(len * 4, { maxByteLength: len * 4 * 4096 })));
  const resizes = [
    ['grow x2', (a, len) => a.buffer.resize(len * 4 * 2)],
    ['grow x4096', (a, len) => a.buffer.resize(len * 4 * 4096)],
    ['shrink', (a, len) => a.buffer.resize((len - 1) * 4)],
    ['shrink to 0', (a) => a.buffer.resize(0)],
  ];
  const outcomes = [];
  // A clean outcome: the plain result, or a TypeError/RangeError naming an argument.
  function check(label, fn, plain) {
    const live = core._liveObjects();
    let result;
    let error;
    try {
      result = fn();
    } catch (e) {
      error = e;
    }
    if (error) {
      assert.ok(error instanceof TypeError || error instanceof RangeError, `${label}: ${error}`);
      assert.ok(typeof error.argument === 'string' && error.message.startsWith(`${error.argument}: `), `${label}: ${error.message}`);
      outcomes.push(`${label}: ${error.constructor.name} ${error.message.split(';')[0]}`);
    } else {
      assertBitEqual(result, plain, `${label}: result`);
      outcomes.push(`${label}: plain result`);
    }
    stillWorks(label, live);
  }
  for (const [how, resize] of resizes) {
    // run: the options getter resizes q after the inputs object was handed in.
    {
      const q = tracking(n * dk);
      const k = fill(new Float32Array(n * dk));
      const v = fill(new Float32Array(n * dv));
      const plain = core.run('linear', { q: q.slice(), k, v }, opts).output;
      const o = { ...opts, get n() { resize(q, n * dk); return n; } };
      check(`run, options getter, ${how}`, () => core.run('linear', { q, k, v }, o).output, plain);
    }
    // run: a later input's getter resizes an earlier input.
    {
      const q = tracking(n * dk);
      const k = fill(new Float32Array(n * dk));
      const v = fill(new Float32Array(n * dv));
      const plain = core.run('linear', { q: q.slice(), k, v }, opts).output;
      const inputs = { q, k, get v() { resize(q, n * dk); return v; } };
      check(`run, inputs getter, ${how}`, () => core.run('linear', inputs, opts).output, plain);
    }
    // step: the getter of an extra (undefined) key resizes a row that was already read.
    {
      const q = tracking(dk);
      const k = fill(new Float32Array(dk));
      const v = fill(new Float32Array(dv));
      const ref = core.createState('linear', { dk, dv, featureMap: 'identity' });
      const plain = ref.step({ q: q.slice(), k, v });
      ref.dispose();
      const s = core.createState('linear', { dk, dv, featureMap: 'identity' });
      try {
        const token = { q, k, v, get extra() { resize(q, dk); return undefined; } };
        check(`step, extra key getter, ${how}`, () => s.step(token), plain);
        // The state is still usable and steps from where it was.
        assert.equal(s.step({ q: fill(new Float32Array(dk)), k, v }).length, dv);
      } finally {
        s.dispose();
      }
    }
  }
  console.log(`# resizable buffers: ${outcomes.length} cases\n#   ${outcomes.join('\n#   ')}`);
});
