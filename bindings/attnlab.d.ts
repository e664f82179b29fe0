// Types of the attnlab core API (the contract is docs/api.md in the repository;
// the same types serve the browser/bundler entry and the Node entry).

/** How a variant processes a sequence; every variant offers 'recurrent'. */
export type Form = 'parallel' | 'recurrent' | 'chunkwise';

/** Ids of the lesson's variants; `variants()` lists those this build contains. */
export type VariantId =
  | 'softmax'
  | 'sliding_window'
  | 'linear'
  | 'retnet'
  | 'gla'
  | 'rwkv4'
  | 'rwkv5'
  | 'rwkv6'
  | 'rwkv7'
  | 'deltanet'
  | 'gated_deltanet'
  | 'mamba'
  | 'mamba2'
  | 'mlstm'
  | (string & {});

/** One input array of a variant, as `variants()` reports it. */
export interface InputInfo {
  name: string;
  /** Size names; per-token inputs start with 'n'. '1' is a literal length of one. */
  dims: string[];
  perToken: boolean;
  /** Allowed value range (null: unbounded); minOpen/maxOpen make a bound strict. */
  min: number | null;
  max: number | null;
  minOpen: boolean;
  maxOpen: boolean;
  note: string;
  /** How typical values are drawn: 'normal', 'normal M S', 'uniform A B' or 'unit'. */
  sample: string;
}

/** One variant option, as `variants()` reports it. */
export interface OptionInfo {
  name: string;
  /** null when the default depends on sizes (e.g. softmax's scale = 1/sqrt(dk)). */
  default: number | string | boolean | null;
  /** Present for string options. */
  choices?: string[];
  min: number | null;
  max: number | null;
  integer: boolean;
  boolean: boolean;
  note: string;
}

export interface VariantInfo {
  id: string;
  name: string;
  family: string;
  year: number;
  paper: string;
  forms: Form[];
  /** One-line reason for each form the variant does not offer. */
  missingForms: Partial<Record<Form, string>>;
  /** Size options this variant takes, e.g. ['dk', 'dv']. */
  sizes: string[];
  inputs: InputInfo[];
  options: OptionInfo[];
  state: { dims: string[]; note: string };
  output: { dims: string[] };
  /** Whether forgetting depends on the data. */
  selective: boolean;
  forgetting: string;
  recurrence: string;
  /** Chunk length used by the chunkwise form when `chunk` is not given. */
  defaultChunk: number;
}

/** A variant option value; booleans are accepted where an option is boolean. */
export type OptionValue = number | string | boolean | undefined;

/** Sizes, passed in the options object; each variant uses the ones it lists in `sizes`. */
export interface Sizes {
  dk?: number;
  dv?: number;
  C?: number;
  D?: number;
  N?: number;
  P?: number;
}

export interface RunOptions extends Sizes {
  /** Sequence length. */
  n: number;
  /** Default 'recurrent'. */
  form?: Form;
  /** Chunk length of the chunkwise form; default: the variant's `defaultChunk`. Need not divide n. */
  chunk?: number;
  /** Variant options, e.g. scale, featureMap, normalize, gamma, window. */
  [option: string]: OptionValue;
}

export interface StateOptions extends Sizes {
  /**
   * A state to start from instead of the empty one: what `run` (any form) or `state()` returned. A
   * fixed-size state must have exactly its length; a KV cache (softmax, sliding_window) whole rows
   * [k, v] (at most `window` rows) and counts as that many tokens in `t`. Every value must be finite.
   * It may also be given in `channelInputs` (not both). `reset()` returns to the empty state.
   */
  initialState?: Float32Array;
  [option: string]: OptionValue | Float32Array | undefined;
}

/** Row-major Float32Arrays: per-token inputs [n, X] (token t at [t*X, (t+1)*X)), per-channel [X]. */
export interface RunInputs {
  /**
   * A state to start from (recurrent and chunkwise forms), laid out as `run` returns it; checked for
   * length and finiteness. A KV cache (softmax, sliding_window) is continued by the recurrent form only.
   */
  initialState?: Float32Array;
  [input: string]: Float32Array | undefined;
}

export interface RunResult {
  /** [n, dv] (or the variant's output width). */
  output: Float32Array;
  /**
   * The final state, equal (to float32 rounding) to what the recurrent form ends with, for every form:
   * a prompt read in parallel can be continued token by token (`createState(id, { ...sizes,
   * initialState: state })`). Softmax's is the KV cache, rows [k_j, v_j].
   */
  state: Float32Array;
}

/** A recurrent state stepped token by token; call dispose() when done (it frees wasm memory). */
export interface AttnlabState {
  readonly id: string;
  /** Tokens consumed so far. */
  readonly t: number;
  /** Consumes one token (one row of every per-token input); returns that token's output. */
  step(token: Record<string, Float32Array>): Float32Array;
  /** A copy of the current state. */
  state(): Float32Array;
  reset(): void;
  /** Frees the wasm side; any later call except dispose() throws a TypeError. */
  dispose(): void;
}

/** One named part of a form's work (see cpp/lab/cost.hpp). */
export interface CostTerm {
  name: string;
  macs: number;
  formula: string;
  /** Token-mixing work (counted in `macs`); false for per-token elementwise work. */
  mixing: boolean;
}

export interface CostOptions extends Sizes {
  n: number;
  form?: Form;
  chunk?: number;
  [option: string]: OptionValue;
}

export interface CostResult {
  id: string;
  form: Form;
  n: number;
  /** The chunk actually used (chunkwise only). */
  chunk?: number;
  /** Token-mixing multiply-accumulates, full (unmasked) products as the lesson counts them. */
  macs: number;
  /** macs plus per-token elementwise work: exactly what the instrumented build counts. */
  executedMacs: number;
  /** 2 * macs. */
  flops: number;
  exps: number;
  /** Share of macs / exps decided by the data (elu1, performer); the work lies in [x - variable, x]. */
  macsVariable: number;
  expsVariable: number;
  /** Floats held between tokens after n tokens (the KV cache for softmax). */
  stateFloats: number;
  stateBytes: number;
  /** Largest intermediate the form holds at once. */
  peakFloats: number;
  peakBytes: number;
  bytes: number;
  workspaceFloats: number;
  runBytes: number;
  /** Whether a real run of this size fits the module's memory budget. */
  fitsBudget: boolean;
  terms: CostTerm[];
  expsFormula: string;
  stateFormula: string;
  peakFormula: string;
}

export interface OrderCost {
  name: string;
  intermediate: string;
  shape: [number, number];
  intermediateFloats: number;
  intermediateBytes: number;
  firstMacs: number;
  secondMacs: number;
  macs: number;
  flops: number;
}

/** Chapter 3's comparison: (Q K^T) V against Q (K^T V). */
export interface TwoOrders {
  n: number;
  dk: number;
  dv: number;
  /** scoresFirst.macs / stateFirst.macs */
  ratio: number;
  scoresFirst: OrderCost;
  stateFirst: OrderCost;
}

export interface MemoryResult {
  id: string;
  n: number;
  layers: number;
  heads: number;
  stateFloats: number;
  stateBytes: number;
  stateFloatsTotal: number;
  stateBytesTotal: number;
  /** True when the state grows with n (softmax's KV cache). */
  grows: boolean;
  /** Softmax's KV cache at the same n, dk, dv (null when dk/dv were not given). */
  kvFloats: number | null;
  kvBytes: number | null;
  kvFloatsTotal: number | null;
  kvBytesTotal: number | null;
}

export interface MeasureOptions extends CostOptions {
  /** Timed runs after one warm-up (default 3). */
  reps?: number;
}

export interface MeasureResult {
  id: string;
  form: Form;
  n: number;
  chunk?: number;
  reps: number;
  /** Runs batched per timed repetition (very short runs are repeated back to back). */
  inner: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  warmupMs: number;
  timesMs: number[];
}

export type RecallKeys = 'orthogonal' | 'random' | 'correlated';

export interface RecallSpec {
  variant: VariantId;
  /** The variant's own options (e.g. { featureMap: 'identity' }, { scale: 8 }); keys naming one of
   *  its constant inputs (beta, g, w, a, delta, ...) set that input for every token. */
  options?: Record<string, OptionValue>;
  /** Key and value dimension (default 64). */
  d?: number;
  /** Number of key -> value pairs written (default 32). */
  pairs?: number;
  /** After all pairs are written, the oldest `rewrites` keys are written again with fresh values
   *  (before the gap and the queries): an integer in [0, pairs], default 0. */
  rewrites?: number;
  /** Default 'random'. */
  keys?: RecallKeys;
  /** Pairwise key cosine for 'correlated' keys (default 0.5). */
  cosine?: number;
  /** Distractor tokens between writing and querying (default 0). */
  gap?: number;
  /** Seeded trials averaged (default 8). */
  trials?: number;
  seed?: number;
}

export interface RecallResult {
  /** Fraction of queries decoded to their key's current value: a rewritten key's new value counts as
   *  right, its old one as wrong. Decoding picks the nearest by cosine of every value written (the
   *  current ones and the overwritten ones); a readout within 1e-4 in cosine of two of them names
   *  neither and counts as wrong (linear attention reads a rewritten key as old + new: a tie). */
  accuracy: number;
  /** Fraction of the rewritten keys decoded to their new value; null when `rewrites` is 0. */
  rewrittenAccuracy: number | null;
  meanCosine: number;
  /** Fraction retrieved essentially unchanged (cosine >= 0.99). */
  exact: number;
  signal: number;
  interference: number;
  /** signal / interference; Infinity when there is no interference. */
  sir: number;
  trials: number;
  /** Accuracy per pair, oldest first, a pair's age counting from its last write: the pairs written once
   *  (oldest first), then the rewritten ones in the order they were rewritten. */
  byAge: Float32Array;
}

export interface RecallPoint extends RecallResult {
  d: number;
  pairs: number;
}

/** Feature maps φ of linear attention (the `featureMap` option of 'linear'). */
export type FeatureMapName = 'elu1' | 'relu' | 'identity' | 'taylor2' | 'performer';

export interface FeatureMapOptions {
  /** Rows of x. */
  n: number;
  /** Width of each row of x. */
  dk: number;
  /** performer only: number of random features m (default 64). Other maps ignore it, as linear does. */
  features?: number;
  /** performer only: seed of the random features (default 0); the same seed gives the same features
   *  as `linear` with that seed, on every platform. Other maps ignore it. */
  seed?: number;
}

export interface TokenShiftSpec {
  /** Token vectors, row-major [n, d]. */
  x: Float32Array;
  /** Per-channel mix μ [d], each in [0, 1]: 1 keeps the token, 0 takes the previous one. */
  mu: Float32Array;
  /** Number of tokens. */
  n: number;
  /** Channels per token. */
  d: number;
}

export interface CoreInfo {
  readonly version: string;
  /** Whether the SIMD build was loaded. */
  readonly simd: boolean;
}

export interface Core {
  readonly info: CoreInfo;
  /** Every variant of this build, in the lesson's order. */
  variants(): VariantInfo[];
  /** Runs a variant over a whole sequence. Throws TypeError/RangeError naming the bad argument. */
  run(id: VariantId, inputs: RunInputs, options: RunOptions): RunResult;
  /**
   * A state for token-by-token stepping; channelInputs holds per-channel inputs, if any, and may hold
   * `initialState` (see StateOptions.initialState) to continue from a state `run` handed on.
   */
  createState(id: VariantId, options: StateOptions, channelInputs?: Record<string, Float32Array>): AttnlabState;
  /** Analytic cost of a form: macs, flops, exps, state and peak memory (exact, checked by counting). */
  cost(id: VariantId, options: CostOptions): CostResult;
  /** Both multiplication orders of chapter 3 with their intermediates' shapes and costs. */
  twoOrders(options: { n: number; dk: number; dv: number }): TwoOrders;
  /** Fixed state against softmax's KV cache, per head and for layers x heads. */
  memory(id: VariantId, options: CostOptions, model?: { layers?: number; heads?: number }): MemoryResult;
  /** Times the real kernel in the module: one warm-up, then the median of `reps` runs. Blocks. */
  measure(id: VariantId, options: MeasureOptions): MeasureResult;
  /** Associative recall through a real variant (the lesson's "catch"). */
  recall(spec: RecallSpec): RecallResult;
  /** recall() over a grid of pair counts and state sizes; pairs vary fastest. The spec's `rewrites`
   *  applies at every point (a point with fewer pairs than rewrites throws a RangeError naming it). */
  recallSweep(spec: RecallSpec, grid?: { pairs?: number[]; d?: number[] }): RecallPoint[];
  /**
   * The rows φ(x_t) of a feature map exactly as `linear` computes them for its keys (the same code,
   * the same performer features for the same seed), as a row-major Float32Array [n, m]:
   * m = dk for elu1, relu and identity; 1 + dk + dk² for taylor2, φ(x) = [1, x/dk^¼, (x⊗x)/(√2·√dk)];
   * `features` for performer (FAVOR+, φ_i(x) = m^-½ exp(ω_i·x̄ − ‖x̄‖²/2), x̄ = x/dk^¼).
   * So φ(q)·φ(k) is the kernel linear attention weights v by: unnormalised, linear's output is
   * o_t = Σ_{j≤t} (φ(q_t)·φ(k_j)) v_j. Only n, dk, features and seed are accepted; any other option
   * throws a TypeError naming it. A row whose φ overflows float32 (huge x under taylor2 or performer)
   * throws a RangeError naming x.
   */
  featureMap(name: FeatureMapName, x: Float32Array, options: FeatureMapOptions): Float32Array;
  /**
   * RWKV's token shift, [n, d]: out_t = μ ⊙ x_t + (1 − μ) ⊙ x_{t−1}, channel by channel, with
   * x_{−1} = 0 (token 0 is blended with zeros). Each value is the exact blend rounded once to float32,
   * so μ = 1 returns x and μ = 0 the previous token exactly. Keys other than x, mu, n and d throw a
   * TypeError naming them; μ outside [0, 1] a RangeError naming mu.
   */
  tokenShift(spec: TokenShiftSpec): Float32Array;
  /** Bytes malloc holds inside the module (leak tests). */
  _heapBytes(): number;
  /** Embind handles not yet deleted (leak tests). */
  _liveObjects(): number;
}

export interface LoadOptions {
  /** 'auto' (default) picks the SIMD build where the engine supports it. */
  simd?: 'auto' | boolean;
}

/** Errors thrown for bad input are TypeError or RangeError; `argument` names the bad argument. */
export interface AttnlabError extends Error {
  argument?: string;
}

/** Loads the core once per flavour; later calls resolve to the same instance. */
export function loadCore(options?: LoadOptions): Promise<Core>;
