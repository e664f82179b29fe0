// The lesson's corrected claims (issue 15), each one computed in the browser by the core the page
// loaded, on the page that makes it. These are tests of facts, not of wording: each recomputes what
// a sentence asserts (a crossover, a factor, an identity, a ranking) and fails if the core disagrees.
// Numbers quoted in the prose are checked separately, one by one, by lesson-numbers.test.mjs; the
// widgets' own claims are tested with each widget (ch03-kernel-view, ch03-order-toggle,
// ch05-recall-sharpness, ch05-recall-lab, ch07-token-shift, ch07-decay-curve).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveSite, launch, openPage, screenshot } from './lesson-support.mjs';
import { DERIVED_BODY } from './derived-source.mjs';
import { CHAPTERS } from '../../web/site/chapters.js';

const LIN = { featureMap: 'identity', normalize: false };

describe('the lesson’s claims, computed by the page’s core', () => {
  let server;
  let browser;
  before(async () => {
    server = await serveSite();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  // Opens a chapter and runs fn(core, derived, arg) in the page, with the page's own core instance
  // (reached through its first widget) and web/site/derived.js bound to it.
  async function inChapter(n, fn, arg, contextOptions) {
    const chapter = CHAPTERS.find((c) => c.n === n);
    const { page, context, log } = await openPage(browser, server.base + chapter.file, contextOptions);
    await page.waitForFunction(() => document.documentElement.dataset.core === 'ready', null, { timeout: 30000 });
    const out = await page.evaluate(
      async ([src, body, a]) => {
        const el = document.querySelector('[data-widget]');
        while (!el.core) await new Promise((r) => setTimeout(r, 20));
        const core = el.core;
        const derived = Object.fromEntries(Object.entries(new Function(body)()).map(([name, f]) => [name, (...args) => f(core, ...args)]));
        return new Function('core', 'derived', 'arg', `return (${src})(core, derived, arg);`)(core, derived, a);
      },
      [fn.toString(), DERIVED_BODY, arg],
    );
    return { out, page, context, log };
  }

  // Seeded normal vectors for the checks below (data only; the core computes everything).
  const RANDOM = `(seed, n) => { let a = seed >>> 0; const u = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u())); }`;

  test('1. chapter 2: the streamed softmax saves the n × n memory, not the n² work', async () => {
    const { out, context } = await inChapter(
      2,
      (core, _d, random) => {
        const rnd = new Function(`return ${random}`)();
        const c = (form, n) => core.cost('softmax', { n, dk: 64, dv: 64, form });
        // the same output, computed with and without the score matrix
        const n = 200;
        const d = 16;
        const inputs = { q: rnd(1, n * d), k: rnd(2, n * d), v: rnd(3, n * d) };
        const par = core.run('softmax', inputs, { n, dk: d, dv: d, form: 'parallel' }).output;
        const chunk = core.run('softmax', inputs, { n, dk: d, dv: d, form: 'chunkwise', chunk: 16 }).output;
        let diff = 0;
        for (let i = 0; i < par.length; i++) diff = Math.max(diff, Math.abs(par[i] - chunk[i]));
        return {
          diff,
          peakParallel: c('parallel', 100000).peakFloats,
          peakChunk: c('chunkwise', 100000).peakFloats,
          cache: c('chunkwise', 100000).stateFloats,
          block: c('chunkwise', 100000).chunk ** 2,
          growth: c('chunkwise', 10000).macs / c('chunkwise', 1000).macs,
          growthLong: c('chunkwise', 100000).macs / c('chunkwise', 10000).macs,
          half: c('chunkwise', 1000).macs / c('parallel', 1000).macs,
        };
      },
      RANDOM,
    );
    assert.ok(out.diff < 1e-5, `chunkwise softmax = parallel softmax (max difference ${out.diff})`);
    assert.ok(out.peakChunk * 100 < out.peakParallel, `memory: ${out.peakChunk} floats streamed vs ${out.peakParallel} for the matrix`);
    assert.equal(out.peakChunk, Math.max(out.cache, out.block), 'the streamed form holds a block of scores and the cache of keys and values');
    // quadratic: ten times the tokens, about a hundred times the work (a little less at short lengths,
    // where the blocks on the diagonal weigh more)
    assert.ok(out.growth > 90 && out.growth < 101, `compute: ten times the tokens, ${out.growth} times the work`);
    assert.ok(out.growthLong > 99 && out.growthLong < 101, `and ${out.growthLong} times from 10,000 to 100,000 tokens`);
    assert.ok(out.half > 0.45 && out.half < 0.6, `the chunkwise form skips the masked blocks: ${out.half} of the parallel work`);
    await context.close();
  });

  test('2. chapters 3–4: with the causal mask, (QKᵀ ⊙ M)V ≠ Q(KᵀV); the linear cost is the prefix sums’', async () => {
    const { out, context } = await inChapter(
      3,
      (core, _d, [random, lin]) => {
        const rnd = new Function(`return ${random}`)();
        const n = 32;
        const d = 8;
        const q = rnd(4, n * d);
        const k = rnd(5, n * d);
        const v = rnd(6, n * d);
        const base = { n, dk: d, dv: d, ...lin };
        const par = core.run('linear', { q, k, v }, { ...base, form: 'parallel' }).output;
        const rec = core.run('linear', { q, k, v }, { ...base, form: 'recurrent' });
        // Q (Kᵀ V) with one Kᵀ V over all tokens: the core's final state read by every query
        const whole = new Float32Array(n * d);
        const reader = core.createState('linear', { dk: d, dv: d, ...lin });
        // a state holding Kᵀ V: write every token, then read with k = v = 0 (writes nothing)
        for (let t = 0; t < n; t++) reader.step({ q: new Float32Array(d), k: k.subarray(t * d, (t + 1) * d), v: v.subarray(t * d, (t + 1) * d) });
        for (let t = 0; t < n; t++) whole.set(reader.step({ q: q.subarray(t * d, (t + 1) * d), k: new Float32Array(d), v: new Float32Array(d) }), t * d);
        reader.dispose();
        let causal = 0;
        let unmasked = 0;
        for (let i = 0; i < par.length; i++) {
          causal = Math.max(causal, Math.abs(par[i] - rec.output[i]));
          unmasked = Math.max(unmasked, Math.abs(par[i] - whole[i]));
        }
        const cost = (form, n2) => core.cost('linear', { n: n2, dk: 64, dv: 64, form, ...lin }).macs;
        return { causal, unmasked, parGrowth: cost('parallel', 10000) / cost('parallel', 1000), recGrowth: cost('recurrent', 10000) / cost('recurrent', 1000) };
      },
      [RANDOM, LIN],
    );
    assert.ok(out.causal < 1e-4, `the masked parallel form equals the prefix sums: ${out.causal}`);
    assert.ok(out.unmasked > 0.1, `one Kᵀ V for every query is another product: it differs by ${out.unmasked}`);
    assert.ok(out.parGrowth > 95, `the causal parallel form is quadratic: ×${out.parGrowth} for ten times the tokens`);
    assert.ok(Math.abs(out.recGrowth - 10) < 1e-9, `the prefix sums are linear: ×${out.recGrowth}`);
    await context.close();
  });

  test('11a. chapter 3: the regrouping holds for every feature map, normalised or not', async () => {
    const { out, context } = await inChapter(
      3,
      (core, _d, random) => {
        const rnd = new Function(`return ${random}`)();
        const n = 24;
        const d = 8;
        const inputs = { q: rnd(7, n * d), k: rnd(8, n * d), v: rnd(9, n * d) };
        const res = {};
        for (const featureMap of ['elu1', 'relu', 'identity', 'taylor2', 'performer'])
          for (const normalize of [false, true]) {
            if (featureMap === 'identity' && normalize) continue; // q·k can sum to 0: no normaliser
            const o = { n, dk: d, dv: d, featureMap, normalize };
            const par = core.run('linear', inputs, { ...o, form: 'parallel' }).output;
            const rec = core.run('linear', inputs, { ...o, form: 'recurrent' }).output;
            let diff = 0;
            let scale = 0;
            for (let i = 0; i < par.length; i++) {
              diff = Math.max(diff, Math.abs(par[i] - rec[i]));
              scale = Math.max(scale, Math.abs(par[i]));
            }
            res[`${featureMap}${normalize ? ', normalised' : ''}`] = diff / Math.max(1, scale);
          }
        return res;
      },
      RANDOM,
    );
    for (const [map, rel] of Object.entries(out)) assert.ok(rel < 1e-4, `${map}: n × n scores and prefix sums differ by ${rel}`);
    await context.close();
  });

  test('3. chapter 5: with equal-length keys the target is softmax’s best match for every key set; elu+1 misses', async () => {
    const { out, context } = await inChapter(5, async () => {
      const el = document.querySelector('attn-recall-sharpness');
      while (!el.core) await new Promise((r) => setTimeout(r, 20));
      const W = el.constructor;
      const first = { softmax: 0, taylor: 0, elu: 0 };
      const rungs = { softmax: [4, 5, 6, 7, 8], taylor: [2], elu: [0] };
      const n = 12;
      const d = 16;
      const target = 7;
      let defaultFirst = true;
      for (let seed = 1; seed <= 100; seed++) {
        const inputs = W.inputsFor(seed, n, d, target);
        const lens = [];
        for (let t = 0; t < n; t++) lens.push(Math.hypot(...inputs.k.subarray(t * d, (t + 1) * d)));
        if (Math.max(...lens) - Math.min(...lens) > 1e-4 * Math.sqrt(d)) return { error: `seed ${seed}: keys of unequal length ${lens}` };
        for (const [key, list] of Object.entries(rungs)) {
          let all = true;
          for (const rung of list) {
            const call = W.callFor(rung, d);
            const w = el.core.run(call.id, inputs, { n, dk: d, dv: n, form: 'parallel', ...call.options }).output.slice((n - 1) * n);
            const best = w.indexOf(Math.max(...w));
            all &&= best === target - 1;
            if (seed === 1 && best !== target - 1) defaultFirst = false;
          }
          first[key] += all;
        }
      }
      // every rung at the default view (seed 1), and the readout's own count for the current rung
      for (let rung = 0; rung < 9; rung++) {
        const call = W.callFor(rung, d);
        const w = el.core.run(call.id, W.inputsFor(1, n, d, target), { n, dk: d, dv: n, form: 'parallel', ...call.options }).output.slice((n - 1) * n);
        if (w.indexOf(Math.max(...w)) !== target - 1) defaultFirst = false;
      }
      while (el._res.survey === null) await new Promise((r) => setTimeout(r, 20));
      return { first, defaultFirst, survey: el._res.survey, rung: el.rung };
    });
    assert.equal(out.error, undefined, out.error);
    assert.equal(out.first.softmax, 100, 'softmax ranks the target first at every temperature, for every key set');
    assert.equal(out.first.taylor, 100, 'so does the Taylor map');
    assert.ok(out.first.elu < 100, `elu+1 does not: first in ${out.first.elu} of 100`);
    assert.ok(out.defaultFirst, 'at the default view the target leads on every rung');
    assert.equal(out.survey, 100, 'the widget’s readout (softmax, τ = 1) counts 100 of 100');
    await context.close();
  });

  test('4. chapter 5: write-once random keys, d = 32: linear attention beats the delta rule, which keeps only its newest pairs', async () => {
    const { out, context } = await inChapter(
      5,
      (core, derived, lin) => {
        const r = (variant, pairs, options = {}) => core.recall({ variant, options, d: 32, pairs, keys: 'random', trials: 8, seed: 1 });
        const spec = { variant: 'deltanet', d: 32, pairs: 64, keys: 'random', trials: 8, seed: 1 };
        return {
          lin64: r('linear', 64, lin).accuracy,
          delta64: r('deltanet', 64).accuracy,
          lin16: r('linear', 16, lin).accuracy,
          delta16: r('deltanet', 16).accuracy,
          oldest: derived.recallQuarter(spec, 0),
          newest: derived.recallQuarter(spec, 3),
          deltaLast: r('deltanet', 64).byAge[63],
        };
      },
      LIN,
    );
    assert.ok(out.lin64 > out.delta64 + 0.2, `K = 2d: linear ${out.lin64}, delta ${out.delta64}`);
    assert.ok(out.lin16 > out.delta16, `K = 16: linear ${out.lin16}, delta ${out.delta16}`);
    assert.ok(out.oldest < 0.3 && out.newest > 0.9, `the delta rule overwrites the old: oldest quarter ${out.oldest}, newest ${out.newest}`);
    assert.equal(out.deltaLast, 1, 'the pair just written comes back exactly');
    await context.close();
  });

  test('11b. chapter 5: a value comes back untouched only from orthonormal keys', async () => {
    const { out, context } = await inChapter(
      5,
      (core, _d, lin) => {
        const d = 8;
        // the standard basis: orthonormal keys; then the same keys at twice the length
        const read = (len) => {
          const s = core.createState('linear', { dk: d, dv: d, ...lin });
          const values = [];
          for (let i = 0; i < d; i++) {
            const k = new Float32Array(d);
            k[i] = len;
            const v = Float32Array.from({ length: d }, (_, j) => Math.sin(1 + i * d + j));
            values.push(v);
            s.step({ q: new Float32Array(d), k, v });
          }
          let err = 0;
          let ratio = 0;
          for (let i = 0; i < d; i++) {
            const q = new Float32Array(d);
            q[i] = len;
            const o = s.step({ q, k: new Float32Array(d), v: new Float32Array(d) });
            for (let j = 0; j < d; j++) err = Math.max(err, Math.abs(o[j] - values[i][j]));
            ratio = o[0] / values[i][0];
          }
          s.dispose();
          return { err, ratio };
        };
        return { unit: read(1), long: read(2), orth: core.recall({ variant: 'linear', options: lin, d: 32, pairs: 32, keys: 'orthogonal', trials: 2, seed: 1 }) };
      },
      LIN,
    );
    assert.ok(out.unit.err < 1e-6, `orthonormal keys return the value exactly (error ${out.unit.err})`);
    assert.ok(Math.abs(out.long.ratio - 4) < 1e-5, `orthogonal keys of length 2 return it scaled by 4: ${out.long.ratio}`);
    assert.equal(out.orth.exact, 1, 'the lab’s orthogonal keys (orthonormal, K ≤ d) are all retrieved unchanged');
    await context.close();
  });

  test('5. chapter 6: the transformer leads while its per-token work is below RWKV-7’s, not while its cache is smaller', async () => {
    const { out, context } = await inChapter(6, (core, derived) => {
      const tok = (id, t) => derived.tokenMacs(id, t, 64);
      const T = derived.tokenCrossover('rwkv7', 64);
      const N = derived.totalCrossover('rwkv7', 64);
      const M = derived.memoryCrossover('rwkv7', 64);
      const total = (id, n) => core.cost(id, { n, dk: 64, dv: 64, form: 'recurrent' }).macs;
      const state = (id, n) => core.cost(id, { n, dk: 64, dv: 64, form: 'recurrent' }).stateFloats;
      return {
        T,
        N,
        M,
        before: tok('softmax', T - 1) < tok('rwkv7', T - 1),
        at: tok('softmax', T) >= tok('rwkv7', T),
        twoTd: tok('softmax', T) === 2 * T * 64,
        totalBefore: total('softmax', N - 1) < total('rwkv7', N - 1),
        totalAt: total('softmax', N) >= total('rwkv7', N),
        cacheAt: [state('softmax', M - 1) < state('rwkv7', M - 1), state('softmax', M) >= state('rwkv7', M)],
        ratio64: total('softmax', 64) / total('rwkv7', 64),
      };
    });
    assert.ok(out.before && out.at, `per-token work crosses at token ${out.T}`);
    assert.ok(out.twoTd, 'where 2·t·d reaches RWKV-7’s per-token cost');
    assert.ok(out.totalBefore && out.totalAt, `cumulative work crosses at ${out.N}`);
    assert.ok(out.N > out.T, 'the totals cross later');
    assert.deepEqual(out.cacheAt, [true, true], `the cache passes the state at token ${out.M}`);
    assert.ok(out.M < 64 && out.ratio64 < 0.25, `a bigger cache at t = ${out.M}, yet at t = 64 the transformer has done ${out.ratio64} of RWKV-7’s work`);
    await context.close();
  });

  test('6. chapter 7: RWKV-4 averages per channel with a vector state; RWKV-5 reads a matrix state before writing, with the bonus u', async () => {
    const { out, context } = await inChapter(
      7,
      (core, _d, random) => {
        const rnd = new Function(`return ${random}`)();
        const info = Object.fromEntries(core.variants().map((v) => [v.id, v]));
        const n = 12;
        const C = 4;
        // RWKV-4: wkv_t = (Σ_{i<t} e^{−(t−1−i)w + k_i} v_i + e^{u+k_t} v_t) / (same without v), w = rate > 0
        const k = rnd(11, n * C);
        const v = rnd(12, n * C);
        const rate = Float32Array.from({ length: C }, (_, c) => 0.2 + 0.3 * c);
        const u = Float32Array.from({ length: C }, (_, c) => 0.5 - 0.25 * c);
        // the core takes the per-step log decay w < 0 (variants.md §5): w = −rate
        const out4 = core.run('rwkv4', { k, v, w: rate.map((x) => -x), u }, { n, C, form: 'recurrent' });
        let err4 = 0;
        for (let t = 0; t < n; t++)
          for (let c = 0; c < C; c++) {
            let num = Math.exp(u[c] + k[t * C + c]) * v[t * C + c];
            let den = Math.exp(u[c] + k[t * C + c]);
            for (let i = 0; i < t; i++) {
              const e = Math.exp(-(t - 1 - i) * rate[c] + k[i * C + c]);
              num += e * v[i * C + c];
              den += e;
            }
            err4 = Math.max(err4, Math.abs(out4.output[t * C + c] - num / den));
          }
        // RWKV-5: o_t = S_{t−1}ᵀ r_t + (r_t·(u⊙k_t)) v_t;  S_t = diag(w) S_{t−1} + k_t v_tᵀ
        const d = 4;
        const r5 = rnd(13, n * d);
        const k5 = rnd(14, n * d);
        const v5 = rnd(15, n * d);
        const w5 = Float32Array.from({ length: d }, (_, i) => 0.5 + 0.1 * i);
        const u5 = Float32Array.from({ length: d }, (_, i) => 0.3 * i - 0.2);
        const out5 = core.run('rwkv5', { r: r5, k: k5, v: v5, w: w5, u: u5 }, { n, dk: d, dv: d, form: 'recurrent' }).output;
        const S = new Float64Array(d * d);
        let err5 = 0;
        for (let t = 0; t < n; t++) {
          let bonus = 0;
          for (let i = 0; i < d; i++) bonus += r5[t * d + i] * u5[i] * k5[t * d + i];
          for (let j = 0; j < d; j++) {
            let o = bonus * v5[t * d + j];
            for (let i = 0; i < d; i++) o += S[i * d + j] * r5[t * d + i];
            err5 = Math.max(err5, Math.abs(o - out5[t * d + j]));
          }
          for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) S[i * d + j] = w5[i] * S[i * d + j] + k5[t * d + i] * v5[t * d + j];
        }
        const inputs = (id) => info[id].inputs.map((x) => x.name);
        // the diagram names the projections of the core's RWKV-6 and its bonus
        const drawn = [...document.querySelectorAll('svg.rwkv-block [data-input]')].map((e) => e.dataset.input);
        return {
          err4,
          err5,
          state4: info.rwkv4.state.dims,
          state5: info.rwkv5.state.dims,
          inputs4: inputs('rwkv4'),
          inputs5: inputs('rwkv5'),
          inputs6: inputs('rwkv6'),
          stateFloats4: core.cost('rwkv4', { n: 100, C: 64, form: 'recurrent' }).stateFloats,
          drawn,
        };
      },
      RANDOM,
    );
    assert.ok(out.err4 < 1e-4, `RWKV-4's WKV is the per-channel weighted average of chapter 7 (error ${out.err4})`);
    assert.deepEqual(out.state4, ['3', 'C'], 'RWKV-4 keeps three numbers per channel');
    assert.equal(out.stateFloats4, 3 * 64, 'a vector state, not a matrix');
    assert.ok(!out.inputs4.includes('r'), 'RWKV-4’s WKV reads no receptance (it gates the output)');
    assert.ok(out.err5 < 1e-4, `RWKV-5 reads before writing and adds the bonus (error ${out.err5})`);
    assert.deepEqual(out.state5, ['dk', 'dv'], 'RWKV-5 keeps a matrix state');
    assert.ok(out.inputs5.includes('r') && out.inputs5.includes('u'), 'RWKV-5’s receptance reads the state');
    for (const name of ['r', 'k', 'v', 'w', 'u']) assert.ok(out.inputs6.includes(name) && out.drawn.includes(name), `the block diagram draws ${name}`);
    await context.close();
  });

  test('6. the RWKV block diagram follows the colour scheme and stays legible (light and dark, 1280 and 375 px)', async () => {
    const seen = {};
    for (const [width, colorScheme] of [
      [1280, 'light'],
      [1280, 'dark'],
      [375, 'light'],
      [375, 'dark'],
    ]) {
      const { page, context } = await openPage(browser, server.base + 'chapters/07-rwkv.html', { viewport: { width, height: 900 }, colorScheme });
      const fig = page.locator('figure.diagram');
      await fig.scrollIntoViewIfNeeded();
      const info = await page.evaluate(() => {
        const svg = document.querySelector('svg.rwkv-block');
        const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => {
          const f = (x) => ((x /= 255) <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const contrast = (a, b) => {
          const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
          return (hi + 0.05) / (lo + 0.05);
        };
        const box = getComputedStyle(svg.querySelector('.node rect')).fill;
        const text = getComputedStyle(svg.querySelector('.node text')).fill;
        const small = getComputedStyle(svg.querySelector('text.small')).fill;
        const page = getComputedStyle(document.body).backgroundColor;
        const r = svg.getBoundingClientRect();
        return { box, text, contrastText: contrast(rgb(text), rgb(box)), contrastSmall: contrast(rgb(small), rgb(box)), page, width: r.width, fits: r.right <= document.documentElement.clientWidth };
      });
      assert.ok(info.contrastText >= 4.5, `${colorScheme}: text on boxes ${info.contrastText}`);
      assert.ok(info.contrastSmall >= 4.5, `${colorScheme}: small text on boxes ${info.contrastSmall}`);
      assert.ok(info.fits, `the diagram fits ${width} px`);
      seen[colorScheme] = info.box;
      await screenshot(fig, `rwkv-block-${width}-${colorScheme}`);
      await context.close();
    }
    assert.notEqual(seen.light, seen.dark, 'the boxes take the dark palette');
  });

  test('7. chapter 7: core.tokenShift is μ ⊙ x_t + (1 − μ) ⊙ x_{t−1} with x_{−1} = 0', async () => {
    const { out, context } = await inChapter(
      7,
      (core, _d, random) => {
        const rnd = new Function(`return ${random}`)();
        const n = 9;
        const d = 5;
        const x = rnd(21, n * d);
        const mu = Float32Array.from({ length: d }, (_, c) => c / (d - 1));
        const y = core.tokenShift({ x, mu, n, d });
        let err = 0;
        for (let t = 0; t < n; t++) for (let c = 0; c < d; c++) err = Math.max(err, Math.abs(y[t * d + c] - (mu[c] * x[t * d + c] + (1 - mu[c]) * (t ? x[(t - 1) * d + c] : 0))));
        return { err, keep: y[d + d - 1] === x[d + d - 1], prev: y[d] === x[0] };
      },
      RANDOM,
    );
    assert.ok(out.err < 1e-6, `token shift off by ${out.err}`);
    assert.ok(out.keep && out.prev, 'μ = 1 keeps the token, μ = 0 takes the previous one, exactly');
    await context.close();
  });

  test('8. chapter 1: the two costs meet at n = d; below it the line costs more', async () => {
    const { out, context } = await inChapter(
      1,
      (core, _d, lin) => {
        const soft = (n) => core.cost('softmax', { n, dk: 64, dv: 64, form: 'parallel' }).macs;
        const line = (n) => core.cost('linear', { n, dk: 64, dv: 64, form: 'recurrent', ...lin }).macs;
        return { at64: [soft(64), line(64)], at32: [soft(32), line(32)], at128: [soft(128), line(128)] };
      },
      LIN,
    );
    assert.equal(out.at64[0], out.at64[1], 'equal at n = d = 64');
    assert.ok(out.at32[0] < out.at32[1], `n = 32: ${out.at32}`);
    assert.ok(out.at128[0] > out.at128[1], `n = 128: ${out.at128}`);
    await context.close();
  });

  test('9. chapters 1 and 9: the two ratios differ by the causal mask, a factor of about two', async () => {
    const { out, context } = await inChapter(
      9,
      (core, _d, lin) => {
        const c = (id, form, o = {}) => core.cost(id, { n: 1000, dk: 64, dv: 64, form, ...o }).macs;
        const line = c('linear', 'recurrent', lin);
        return { ch1: c('softmax', 'parallel') / line, ch9: c('softmax', 'recurrent') / line, flash: c('softmax', 'chunkwise') / c('softmax', 'parallel') };
      },
      LIN,
    );
    const factor = out.ch1 / out.ch9;
    assert.ok(factor > 1.99 && factor < 2.01, `parallel over token-by-token: ${factor}`);
    assert.ok(out.flash > 0.45 && out.flash < 0.6, `a blocked kernel skipping masked blocks does about half: ${out.flash}`);
    await context.close();
  });

  test('10. the prose numbers are in the page as built (no script needed); the figures are computed live', async () => {
    // Fetched as plain text, a chapter already carries its numbers: they were computed at build time.
    const html = await (await fetch(server.base + 'chapters/06-the-race.html')).text();
    const nums = [...html.matchAll(/<span class="core-num"[^>]*>([^<]+)<\/span>/g)].map((m) => m[1]);
    assert.ok(nums.length >= 8 && nums.every((x) => /\d/.test(x)), `numbers in the built page: ${nums.slice(0, 5)}`);
    // A figure, by contrast, has nothing to show until the core runs in the page.
    const { page, context } = await openPage(browser, server.base + 'chapters/06-the-race.html', { javaScriptEnabled: false });
    assert.equal(await page.locator('attn-simulator svg').count(), 0, 'without scripts, no figure');
    assert.ok((await page.locator('.core-num').count()) >= 8, 'without scripts, the numbers are there');
    await context.close();
  });

  test('11c. chapter 9: the delta rule costs 1.5 × linear attention per token; a 3 : 1 hybrid keeps about a quarter of the cache', async () => {
    const { out, context } = await inChapter(
      9,
      (core, _d, lin) => {
        const per = (id, o = {}) => core.cost(id, { n: 1, dk: 64, dv: 64, form: 'recurrent', ...o }).macs;
        const mem = (id, layers, n) => core.memory(id, { n, dk: 64, dv: 64 }, { layers }).stateFloatsTotal;
        const saving = (n) => mem('softmax', 48, n) / (mem('softmax', 12, n) + mem('gated_deltanet', 36, n));
        return { ratio: per('deltanet') / per('linear', lin), s1k: saving(1000), s100k: saving(100000), s1m: saving(1000000) };
      },
      LIN,
    );
    assert.equal(out.ratio, 1.5);
    assert.ok(out.s1k < out.s100k && out.s100k < out.s1m && out.s1m < 4, `savings ${out.s1k}, ${out.s100k}, ${out.s1m} approach four from below`);
    assert.ok(out.s100k > 3.9, `at 100,000 tokens: ${out.s100k}`);
    await context.close();
  });

  test('11d. the glossary links each symbol to a chapter that introduces it', async () => {
    const { page, context } = await openPage(browser, server.base + 'chapters/11-glossary.html');
    const entries = await page.evaluate(() =>
      [...document.querySelectorAll('dl.glossary dt')]
        .map((dt) => ({
          tex: [...dt.querySelectorAll('annotation[encoding="application/x-tex"]')].map((a) => a.textContent).join(' '),
          links: [...dt.nextElementSibling.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
        }))
        .filter((e) => e.tex),
    );
    assert.ok(entries.length >= 25, `${entries.length} symbol entries`);
    // A symbol is introduced when the linked chapter writes it in its math. Index subscripts (t, i,
    // j) and spaces are dropped on both sides, so q_t matches the chapter's q_i and QK^\top its
    // Q K^\top (a space after a command stays a boundary: N \times P still has a P).
    const norm = (tex) =>
      tex
        .replace(/\\[,;:! ]/g, '')
        .replace(/_\{?[tij]\}?(?![a-zA-Z])/g, '')
        .replace(/(\\[a-zA-Z]+)\s+/g, '$1{}')
        .replace(/\s+/g, '');
    const cache = new Map();
    const mathOf = async (href) => {
      if (!cache.has(href)) {
        const html = await (await fetch(new URL(href, page.url()))).text();
        const tex = [...html.matchAll(/<annotation encoding="application\/x-tex">([\s\S]*?)<\/annotation>/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
        cache.set(href, tex.map(norm).join(' '));
      }
      return cache.get(href);
    };
    const missing = [];
    for (const e of entries) {
      // one entry may list several symbols, "\kappa_t,\ a_t" (a comma that is not the thin space \,)
      const symbols = e.tex.split(/(?<!\\),(?:\\ )?\s*/).map(norm).filter(Boolean);
      for (const href of e.links) {
        const math = await mathOf(href);
        for (const s of symbols) {
          const escaped = s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          // a whole symbol, not a letter inside a longer name (\cdot is not d, A is not \Delta)
          if (!new RegExp(`(^|[^a-zA-Z\\\\])${escaped}(?![a-zA-Z])`).test(math)) missing.push(`${s} in ${href}`);
        }
      }
    }
    assert.deepEqual(missing, []);
    await context.close();
  });
});
