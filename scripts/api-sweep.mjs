// A byte-for-byte sweep of the public API, for refactors that must not change behaviour.
//
//   node scripts/api-sweep.mjs [OUT.json]      (default build/api-sweep.json; needs dist/pkg built)
//   node scripts/api-sweep.mjs --compare A.json B.json
//
// Calls every entry point of the built package over a grid of variants, forms, sizes, options and
// seeded inputs (run, createState/step/state, cost, memory, twoOrders, measure's validation, recall,
// recallSweep, variants, and the error of each bad call) and records a SHA-256 of every result's
// bytes (float arrays as their IEEE bytes, objects as JSON). Two sweeps of builds that should behave
// the same must be identical; --compare lists every entry that differs.
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

const args = process.argv.slice(2);
if (args[0] === '--compare') {
  const [a, b] = await Promise.all(args.slice(1, 3).map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
  const keys = new Set([...Object.keys(a.entries), ...Object.keys(b.entries)]);
  const diff = [...keys].filter((k) => a.entries[k] !== b.entries[k]);
  for (const k of diff.slice(0, 50)) console.log(`differs: ${k}`);
  console.log(`${keys.size} entries, ${diff.length} differ`);
  process.exit(diff.length ? 1 : 0);
}

const out = args[0] ?? 'build/api-sweep.json';
const { loadCore } = await import(new URL('../dist/pkg/node.js', import.meta.url));
const core = await loadCore();
const entries = {};

const hash = (x) => {
  const h = createHash('sha256');
  if (ArrayBuffer.isView(x)) h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  else h.update(JSON.stringify(x, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));
  return h.digest('hex').slice(0, 24);
};
const record = (key, fn) => {
  try {
    entries[key] = hash(fn());
  } catch (e) {
    entries[key] = `throws ${e.constructor.name}: ${e.message}`;
  }
};

// The lesson's own seeded generator (one per project): the same inputs on every run.
const { sampleInputs } = await import(new URL('../web/src/core/samples.js', import.meta.url));
const inputsFor = (info, sizes, seed) => {
  const { tokens, channels } = sampleInputs(info, sizes, sizes.n, seed);
  return { ...tokens, ...channels };
};

record('variants', () => core.variants());
const shapes = [
  { n: 1, dk: 3, dv: 2, C: 3, D: 3, N: 2, P: 3 },
  { n: 37, dk: 8, dv: 6, C: 6, D: 5, N: 4, P: 6 },
  { n: 130, dk: 16, dv: 19, C: 16, D: 8, N: 16, P: 12 },
];
const optionSets = {
  linear: [{}, { featureMap: 'identity' }, { featureMap: 'relu', normalize: false }, { featureMap: 'taylor2' }, { featureMap: 'performer', features: 16, seed: 3 }],
  sliding_window: [{}, { window: 5 }],
  retnet: [{}, { gamma: 0.5, scale: 2 }],
  mamba2: [{}, { A: -0.3, Dskip: 0.5 }],
};
for (const info of core.variants()) {
  for (const [si, sizes] of shapes.entries()) {
    for (const [oi, opts] of (optionSets[info.id] ?? [{}]).entries()) {
      const inputs = inputsFor(info, sizes, 100 + si);
      for (const form of ['parallel', 'recurrent', 'chunkwise']) {
        for (const chunk of form === 'chunkwise' ? [1, 7, 64] : [undefined]) {
          const o = { ...sizes, ...opts, form, chunk };
          const key = `${info.id} s${si} o${oi} ${form}${chunk ? ` c${chunk}` : ''}`;
          record(`run ${key}`, () => {
            const r = core.run(info.id, inputs, o);
            return [hash(r.output), r.state ? hash(r.state) : null];
          });
          record(`cost ${key}`, () => core.cost(info.id, o));
        }
      }
      const key = `${info.id} s${si} o${oi}`;
      record(`memory ${key}`, () => core.memory(info.id, { ...sizes, ...opts }, { layers: 3, heads: 2 }));
      record(`step ${key}`, () => {
        const channels = sampleInputs(info, sizes, sizes.n, 100 + si).channels;
        const s = core.createState(info.id, { ...sizes, ...opts }, channels);
        try {
          const rows = [];
          for (let t = 0; t < Math.min(sizes.n, 9); t++) {
            const tok = {};
            for (const spec of info.inputs) {
              if (!spec.perToken) continue;
              const a = inputs[spec.name];
              const w = a.length / sizes.n;
              tok[spec.name] = a.subarray(t * w, (t + 1) * w);
            }
            rows.push(hash(s.step(tok)));
          }
          return [rows, hash(s.state()), s.t];
        } finally {
          s.dispose();
        }
      });
    }
  }
  // The errors bad calls give (messages are part of the contract).
  record(`error ${info.id} bad form`, () => core.run(info.id, {}, { n: 2, dk: 2, dv: 2, form: 'diagonal' }));
  record(`error ${info.id} missing inputs`, () => core.run(info.id, {}, { n: 2, dk: 2, dv: 2, C: 2, D: 2, N: 2, P: 2 }));
  record(`error ${info.id} unknown option`, () => core.cost(info.id, { n: 2, dk: 2, dv: 2, C: 2, D: 2, N: 2, P: 2, colour: 1 }));
}
for (const n of [1, 10, 1000, 100000]) record(`twoOrders ${n}`, () => core.twoOrders({ n, dk: 64, dv: 64 }));
for (const variant of ['linear', 'softmax', 'deltanet', 'retnet', 'gla', 'mamba2'])
  for (const keys of ['orthogonal', 'random', 'correlated'])
    record(`recall ${variant} ${keys}`, () => core.recall({ variant, d: 16, pairs: 12, keys, cosine: 0.3, gap: 3, trials: 4, seed: 5 }));
for (const name of ['elu1', 'relu', 'identity', 'taylor2', 'performer'])
  record(`featureMap ${name}`, () => {
    const x = new Float32Array(30).map((_, i) => Math.sin(1.7 * i + 0.3));
    return core.featureMap(name, x, { n: 5, dk: 6 });
  });
record('tokenShift', () => {
  const x = new Float32Array(24).map((_, i) => Math.sin(i));
  const mu = new Float32Array(4).map((_, i) => i / 3);
  return core.tokenShift({ x, mu, n: 6, d: 4 });
});
for (const variant of ['linear', 'deltanet'])
  record(`recall rewrites ${variant}`, () => core.recall({ variant, d: 16, pairs: 12, keys: 'orthogonal', rewrites: 4, trials: 3, seed: 2 }));
record('recallSweep', () => core.recallSweep({ variant: 'linear', d: 8, trials: 2 }, { pairs: [2, 4, 8], d: [8, 16] }));
record('measure error', () => core.measure('softmax', { n: 0, dk: 2, dv: 2 }));

await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ count: Object.keys(entries).length, entries }, null, 1));
console.log(`api-sweep: ${Object.keys(entries).length} entries -> ${out}`);
