// Compiled (never run) by types.test.js with `tsc --noEmit`: every call of the public API as a user
// writes it, plus misuses the types must reject (each marked @ts-expect-error, which fails the
// check if the line compiles).
import { loadCore } from 'attnlab';
import type {
  AttnlabError,
  AttnlabState,
  Core,
  CostResult,
  FeatureMapName,
  Form,
  MeasureResult,
  MemoryResult,
  RecallPoint,
  RecallResult,
  RunResult,
  TwoOrders,
  VariantInfo,
} from 'attnlab';

const core: Core = await loadCore();
const other: Core = await loadCore({ simd: 'auto' });
await loadCore({ simd: false });
const version: string = core.info.version;
const simd: boolean = core.info.simd;

const list: VariantInfo[] = core.variants();
for (const v of list) {
  const forms: Form[] = v.forms;
  const chunk: number = v.defaultChunk;
  const dims: string[] = v.inputs[0].dims;
  const why: string | undefined = v.missingForms.parallel;
  const def: number | string | boolean | null = v.options[0]?.default ?? null;
  const stateDims: string[] = v.state.dims;
  const selective: boolean = v.selective;
  void [forms, chunk, dims, why, def, stateDims, selective];
}

const n = 4;
const q = new Float32Array(n * 8);
const r: RunResult = core.run('softmax', { q, k: q, v: q }, { n, dk: 8, dv: 8, form: 'parallel' });
const out: Float32Array = r.output;
const final: Float32Array | null = r.state;
core.run('linear', { q, k: q, v: q }, { n, dk: 8, dv: 8, featureMap: 'elu1', normalize: true, chunk: 3, form: 'chunkwise' });
core.run('linear', { q, k: q, v: q, initialState: new Float32Array(64) }, { n, dk: 8, dv: 8 });
core.run('a_variant_added_later', { x: q }, { n, P: 8 });

const s: AttnlabState = core.createState('softmax', { dk: 8, dv: 8 });
const o: Float32Array = s.step({ q: q.subarray(0, 8), k: q.subarray(0, 8), v: q.subarray(0, 8) });
const st: Float32Array = s.state();
const t: number = s.t;
s.reset();
s.dispose();
core.createState('rwkv4', { C: 8 }, { w: new Float32Array(8), u: new Float32Array(8) });

try {
  core.run('softmax', { q }, { n, dk: 8, dv: 8 });
} catch (e) {
  const err = e as AttnlabError;
  const arg: string | undefined = err.argument;
  void arg;
}

const cost: CostResult = core.cost('linear', { n: 1000, dk: 64, dv: 64, form: 'chunkwise', chunk: 64 });
const macs: number = cost.macs + cost.stateFloats + cost.peakFloats + cost.flops;
const terms: string[] = cost.terms.map((term) => `${term.name}: ${term.formula}`);
const orders: TwoOrders = core.twoOrders({ n: 1000, dk: 64, dv: 64 });
const shape: [number, number] = orders.scoresFirst.shape;
const mem: MemoryResult = core.memory('softmax', { n: 1000, dk: 64, dv: 64 }, { layers: 32, heads: 32 });
// @ts-expect-error memory needs the length n (the state after n tokens)
core.memory('softmax', { dk: 64, dv: 64 });
const kv: number | null = mem.kvBytesTotal;
const timed: MeasureResult = core.measure('softmax', { n: 256, dk: 64, dv: 64, form: 'parallel', reps: 5 });
const median: number = timed.medianMs;
const recall: RecallResult = core.recall({ variant: 'linear', options: { featureMap: 'identity' }, d: 16, pairs: 8 });
const byAge: Float32Array = recall.byAge;
const rewritten: number | null = core.recall({ variant: 'deltanet', d: 16, pairs: 8, rewrites: 4 }).rewrittenAccuracy;
void rewritten;
const sweep: RecallPoint[] = core.recallSweep({ variant: 'deltanet', keys: 'correlated', cosine: 0.3 }, { pairs: [4, 8] });
void [macs, terms, shape, kv, median, byAge, sweep[0]?.pairs];

const maps: FeatureMapName[] = ['elu1', 'relu', 'identity', 'taylor2', 'performer'];
const phi: Float32Array = core.featureMap(maps[3], q, { n, dk: 8 });
core.featureMap('performer', q, { n, dk: 8, features: 16, seed: 3 });
void phi;
const shifted: Float32Array = core.tokenShift({ x: q, mu: new Float32Array(8).fill(0.5), n, d: 8 });
void shifted;

const heap: number = core._heapBytes();
const live: number = core._liveObjects();
void [other, version, simd, out, final, o, st, t, heap, live];

// @ts-expect-error simd takes 'auto' or a boolean
await loadCore({ simd: 'yes' });
// @ts-expect-error n is required
core.run('softmax', { q }, { dk: 8, dv: 8 });
// @ts-expect-error inputs are Float32Arrays
core.run('softmax', { q: [1, 2, 3] }, { n, dk: 8, dv: 8 });
// @ts-expect-error form is one of three names
core.run('softmax', { q }, { n, dk: 8, dv: 8, form: 'sideways' });
// @ts-expect-error option values are numbers, strings or booleans
core.run('softmax', { q }, { n, dk: 8, dv: 8, scale: [1] });
// @ts-expect-error t is read-only
s.t = 3;
// @ts-expect-error step takes an object of rows
s.step(q);
// @ts-expect-error recall keys are one of three kinds
core.recall({ variant: 'linear', keys: 'sparse' });
// @ts-expect-error featureMap names one of five maps
core.featureMap('cosine', q, { n, dk: 8 });
// @ts-expect-error featureMap needs dk
core.featureMap('elu1', q, { n });
// @ts-expect-error featureMap takes no linear options beyond features and seed
core.featureMap('elu1', q, { n, dk: 8, normalize: false });
// @ts-expect-error tokenShift's mu is a Float32Array [d]
core.tokenShift({ x: q, mu: 0.5, n, d: 8 });
// @ts-expect-error tokenShift needs d
core.tokenShift({ x: q, mu: q, n });
// @ts-expect-error rewrites is a number of keys
core.recall({ variant: 'deltanet', rewrites: '4' });
// @ts-expect-error rewrittenAccuracy may be null (no rewrites)
const sure: number = recall.rewrittenAccuracy;
// @ts-expect-error twoOrders needs n, dk and dv
core.twoOrders({ n: 10 });
