// The associative-recall lab's calls, shared by the recall lab (chapter 5) and the decision map
// (chapter 9): which variants stand for softmax, linear attention and the delta rule (and, for the
// lab's gap-and-decay view, the models that forget at a constant rate), a cache of
// core.recall results (a result depends only on its spec), and a trial count that keeps each call
// short enough for one slice of a sliced sweep. Every accuracy comes from core.recall.

// The three memories the lab compares. Keys are unit vectors, so softmax needs a scale well above
// its default 1/√d to be sharp: scale = 4√d puts the matching key's score 4√d above a random one's.
export const MODELS = [
  { key: 'softmax', id: 'softmax', label: 'softmax attention', options: (d) => ({ scale: 4 * Math.sqrt(d) }) },
  { key: 'linear', id: 'linear', label: 'linear attention', options: () => ({ featureMap: 'identity', normalize: false }) },
  { key: 'delta', id: 'deltanet', label: 'delta rule (DeltaNet)', options: () => ({}) },
];

// Memories that forget at one constant rate γ per step, each in its own terms: RetNet's decay γ, GLA's
// log decay g = ln γ (set for every writing token), Mamba-2's A = ln γ with its step Δ at the recall
// default of 1, so e^{ΔA} = γ. With the rate held constant the three are one recurrence; what sets
// them apart in a trained model (GLA and Mamba-2 compute the rate from each token) is not modelled.
export const DECAYING = [
  { key: 'retnet', id: 'retnet', label: 'RetNet', options: (d, decay) => ({ gamma: decay }) },
  { key: 'gla', id: 'gla', label: 'GLA', options: (d, decay) => ({ g: Math.log(decay) }) },
  { key: 'mamba2', id: 'mamba2', label: 'Mamba-2', options: (d, decay) => ({ A: Math.log(decay) }) },
];

export const TRIALS = 8;

const cache = new Map();

// A core.recall spec. `rewrites` (keys written a second time) is left out when 0, so the specs of the
// capacity sweep, which the decision map shares, stay as they were; `decay` reaches the DECAYING
// models' options and is ignored by the others.
export function recallSpec(model, { d, pairs, keys = 'random', cosine = 0.5, gap = 0, rewrites = 0, decay, trials = TRIALS, seed = 1 }) {
  const spec = { variant: model.id, options: model.options(d, decay), d, pairs, keys, cosine, gap, trials, seed };
  if (rewrites > 0) spec.rewrites = rewrites;
  return spec;
}

const keyOf = (spec) => JSON.stringify(spec);

export function cachedRecall(spec) {
  return cache.get(keyOf(spec)) ?? null;
}

export function recall(core, spec) {
  const k = keyOf(spec);
  let r = cache.get(k);
  if (!r) {
    r = core.recall(spec);
    if (cache.size > 4000) cache.clear();
    cache.set(k, r);
  }
  return r;
}

// Predicting a call's time, so that no call blocks the page for long. One trial writes K pairs and
// reads K times from a state (K d² each for a d x d state; softmax copies and scans its K-row cache,
// about 4 K d per query) and decodes each read against the K stored values (K d each): roughly
// K² d + 4 K d² operations, 5 K² d for softmax. That count (scheduling only, nothing shown) times a
// time per operation predicts a call: a cautious prior at first, then 1.25 x the fastest rate seen
// for that variant and d (the fastest, because on a busy machine a call can wait for a CPU and
// look slower than it is). Beyond MAX_OPS a trial is never run on the page's thread.
const MS_PER_OP = 1e-5;
const MAX_OPS = 8e6;
const rates = new Map(); // 'variant|d' -> fastest ms per operation seen

function trialOps(spec) {
  const K = spec.pairs + spec.gap + (spec.rewrites ?? 0);
  const d = spec.d;
  return spec.variant === 'softmax' ? 5 * K * K * d : K * K * d + 4 * K * d * d;
}

export function predictTrialMs(core, spec) {
  const r = rates.get(`${spec.variant}|${spec.d}`);
  return (r ? 1.25 * r : MS_PER_OP) * trialOps(spec);
}

// The largest trial count, at most `trials`, whose predicted time fits `budgetMs` (at least 1).
export function trialsWithin(core, spec, budgetMs = 15) {
  return Math.max(1, Math.min(spec.trials, Math.floor(budgetMs / Math.max(predictTrialMs(core, spec), 1e-6))));
}

// core.recall with the trial count cut to fit the budget; learns the speed of each variant. A call
// whose single trial is predicted to take longer than `maxMs` is not made (it would freeze the
// page): { spec, result: null, skipped: true }. `keepTrials` runs the spec's own trial count, for a
// call that must be comparable trial for trial with an earlier one.
export function timedRecall(core, spec, budgetMs = 15, maxMs = 35, { keepTrials = false } = {}) {
  const trials = keepTrials ? spec.trials : trialsWithin(core, spec, budgetMs);
  const s = { ...spec, trials };
  const hit = cachedRecall(s);
  if (hit) return { spec: s, result: hit };
  // Whatever the timings so far say, a trial this big is not run on the page's thread (a softmax
  // cache of a few hundred rows of 128 falls out of the CPU caches and costs far more than the
  // operation count says).
  if (trialOps(s) > MAX_OPS || predictTrialMs(core, s) > maxMs) return { spec: s, result: null, skipped: true };
  const t0 = performance.now();
  const result = recall(core, s);
  const ms = performance.now() - t0;
  // rates from calls long enough for the clock to resolve them
  if (ms > 2) {
    const key = `${spec.variant}|${spec.d}`;
    const rate = ms / (trials * trialOps(s));
    if (!(rates.get(key) <= rate)) rates.set(key, rate);
  }
  return { spec: s, result };
}
