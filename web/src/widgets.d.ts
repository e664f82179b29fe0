// Types of `attnlab/widgets` (web/src/widgets.js, shipped as dist/pkg/widgets.d.ts beside
// widgets.js). Written by hand from the widgets' state tables; tests/package/widget-docs.test.mjs
// fails when a registered widget or one of its state keys is missing here.
//
// Importing the module registers every widget as a custom element `attn-<name>`. Each widget's
// state is a set of properties, one attribute per property (the key in lower case), the same keys
// as its shareable URL and its embed-page query.
import type { Core } from './attnlab.js';

export type WidgetName =
  | 'cost-curve'
  | 'attention-grid'
  | 'kernel-view'
  | 'order-toggle'
  | 'state-stepper'
  | 'recall-sharpness'
  | 'recall-lab'
  | 'simulator'
  | 'decay-curve'
  | 'token-shift'
  | 'family-map'
  | 'chunk-explorer'
  | 'decision-map';

/** The custom element prefix: widget `cost-curve` is `<attn-cost-curve>`. */
export declare const PREFIX: 'attn';
/** Every widget this bundle registers, in lesson order. */
export declare const WIDGET_NAMES: WidgetName[];
export declare function tagName<N extends WidgetName>(name: N): `attn-${N}`;

/**
 * Defines one widget (idempotent: a name already taken, e.g. by a second copy of the bundle, is left
 * alone) and resolves to the class registered under its tag. Throws a RangeError for an unknown name.
 */
export declare function defineWidget<N extends WidgetName>(name: N, registry?: CustomElementRegistry): Promise<WidgetClass<N>>;
export declare function defineWidgets(names?: WidgetName[], registry?: CustomElementRegistry): Promise<CustomElementConstructor[]>;

/** Resolves once every widget is defined, to the registered class of each, by name. */
export declare const ready: Promise<{ [N in WidgetName]: WidgetClass<N> }>;

/** One entry of a widget's state table (what attributes, properties and the URL accept). */
export interface StateEntry {
  key: string;
  type: 'int' | 'number' | 'enum' | 'bool';
  default: number | string | boolean;
  min?: number;
  max?: number;
  values?: Array<number | string>;
  /** Written to the URL even when equal to the default (seeds). */
  always?: boolean;
  label: string;
}

/** `attn-change`: dispatched (bubbling, composed) after a change made through the widget's controls. */
export interface AttnChangeDetail<S = Record<string, unknown>> {
  widget: WidgetName;
  state: S;
}

/** The frame every widget is built on; `el instanceof AttnWidget` tells a widget from other elements. */
export declare class AttnWidget<S extends object = Record<string, unknown>> extends HTMLElement {
  static readonly widgetName: string;
  static readonly stateTable: readonly StateEntry[];
  /** The shared core (the same instance `loadCore()` from 'attnlab' returns); null until loaded. */
  readonly core: Core | null;
  /** A copy of the current state (every key of the state table). */
  readonly state: S;
  /** Whether the player (widgets that step through a sequence) is running; it never starts by itself. */
  readonly playing: boolean;
  /** Mirrors `prefers-reduced-motion: reduce`. */
  readonly reducedMotion: boolean;
  /** Resolves after pending property changes have been computed and rendered. */
  readonly updateComplete: Promise<boolean>;
  play(): void;
  pause(): void;
  togglePlay(): void;
  /** Re-reads the --attn-* colours; call after changing them at run time (canvas drawings cache them). */
  refreshColors(): void;
  /** The state as query parameters without a prefix, as the embed page reads them. */
  stateParams(): URLSearchParams;
}

// ----- one state per widget ------------------------------------------------------------------------

export interface CostCurveState {
  /** Sequence length, 10 … 1,000,000. */
  n: number;
  d: 16 | 32 | 64 | 128 | 256;
  axes: 'linear' | 'log';
  view: 'model' | 'measured';
}
export interface AttentionGridState {
  /** Tokens, 1 … 64. */
  n: number;
  d: 4 | 8 | 16 | 32 | 64;
  seed: number;
  /** Selected query row, 0-based. */
  row: number;
  /** Selected key column, 0-based. */
  col: number;
}
export interface KernelViewState {
  map: 'elu1' | 'relu' | 'identity' | 'taylor2' | 'performer';
  d: 4 | 8 | 16 | 32;
  /** Standard deviation of the sampled q and k entries. */
  spread: 0.5 | 0.75 | 1 | 1.25 | 1.5;
  /** Performer's number of random features (the other maps ignore it). */
  features: 16 | 64 | 256 | 1024;
  seed: number;
}
export interface OrderToggleState {
  order: 'qk' | 'kv';
  /** Tokens, 1 … 128. */
  n: number;
  d: 2 | 4 | 8 | 16;
  seed: number;
}
export interface StateStepperState {
  /** Tokens consumed, 0 … length. */
  t: number;
  /** Tokens in the sequence, 2 … 64. */
  length: number;
  d: 2 | 3 | 4 | 6 | 8 | 12 | 16;
  seed: number;
  compare: boolean;
  /** Tokens the parallel form reads at once before stepping (its final state seeds the stepper), 0 … length. */
  prefill: number;
}
export interface RecallSharpnessState {
  /** Position on the ladder from linear attention (0) to sharp softmax (8). */
  rung: number;
  /** Tokens, 6 … 32. */
  n: number;
  /** The token the query wants, 1 … n. */
  target: number;
  d: 8 | 16 | 32 | 64;
  seed: number;
}
export interface RecallLabState {
  /** capacity: accuracy against K; update: the oldest R keys written again, new value read back?;
   *  decay: gap distractors, memories with a constant decay, accuracy pair by pair. */
  mode: 'capacity' | 'update' | 'decay';
  /** K, key→value pairs, 1 … 256. */
  pairs: number;
  d: 8 | 16 | 32 | 64 | 128;
  keys: 'random' | 'orthogonal' | 'correlated';
  /** Pairwise cosine of correlated keys, 0 … 0.9. */
  cosine: number;
  /** Update view: R, keys written a second time, 1 … 256 (at most K). */
  rewrites: number;
  /** Decay view: distractor tokens between the pairs and the queries. */
  gap: 0 | 4 | 8 | 16 | 32 | 64 | 128 | 256;
  /** Decay view: the fraction γ of the state kept per step. */
  decay: 0.8 | 0.9 | 0.95 | 0.97 | 0.98 | 0.99 | 0.995 | 0.999;
  seed: number;
}
export interface SimulatorState {
  rival: 'rwkv7' | 'mamba2' | 'deltanet' | 'hybrid';
  length: 1024 | 2048 | 4096 | 8192 | 16384 | 65536 | 262144;
  /** Tokens processed, 0 … length. */
  t: number;
  measure: boolean;
}
export interface DecayCurveState {
  mode: 'static' | 'data';
  decay: 0.5 | 0.6 | 0.7 | 0.8 | 0.85 | 0.9 | 0.93 | 0.95 | 0.97 | 0.98 | 0.99 | 0.995 | 0.998;
  /** Highlighted channel, 1 … 5. */
  channel: number;
}
export interface TokenShiftState {
  /** 1 … 10. */
  token: number;
  /** μ, 0 … 1. */
  mix: number;
  seed: number;
}
export interface FamilyMapState {
  /** The selected variant. */
  selected:
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
    | 'mlstm';
  n: 256 | 1024 | 4096 | 16384 | 65536 | 262144 | 1048576;
}
export interface ChunkExplorerState {
  variant: 'linear' | 'retnet' | 'gla' | 'rwkv5' | 'rwkv6' | 'rwkv7' | 'deltanet' | 'gated_deltanet' | 'mamba2' | 'mlstm';
  n: 1024 | 4096 | 16384 | 65536;
  /** L, 1 … n. */
  chunk: number;
  seed: number;
}
export interface DecisionMapState {
  /** The task's sequence length, 100 … 1,000,000. */
  n: number;
  /** K, facts to recall, 1 … 256. */
  facts: number;
  budget: 4 | 16 | 64 | 256;
  /** The linear model: plain linear attention (identity map, unnormalised) or DeltaNet. */
  rule: 'linear' | 'deltanet';
  /** How alike the facts' keys are: pairwise cosine 0.5, or random unit vectors. */
  keys: 'correlated' | 'random';
}

/** One measured point of `attn-cost-curve`'s measured view. */
export interface MeasuredPoint {
  n: number;
  ms: number;
}
/** One point of `attn-recall-lab`'s sweep. */
export interface SweepPoint {
  K: number;
  accuracy: number;
  /** Update view: share of the rewritten keys read back as their new value (null without rewrites). */
  rewrittenAccuracy: number | null;
  meanCosine: number;
  sir: number;
  trials: number;
}

// ----- elements -----------------------------------------------------------------------------------

export interface CostCurveElement extends AttnWidget<CostCurveState>, CostCurveState {
  /** Times both kernels on this device (the measured view); fires attn-measured when done. */
  startMeasure(): Promise<void>;
  cancelMeasure(): void;
  /** From the last measurement: the length from which linear attention was faster on this device, or null. */
  crossover(): number | null;
}
export interface AttentionGridElement extends AttnWidget<AttentionGridState>, AttentionGridState {}
export interface KernelViewElement extends AttnWidget<KernelViewState>, KernelViewState {}
export interface OrderToggleElement extends AttnWidget<OrderToggleState>, OrderToggleState {}
export interface StateStepperElement extends AttnWidget<StateStepperState>, StateStepperState {}
export interface RecallSharpnessElement extends AttnWidget<RecallSharpnessState>, RecallSharpnessState {}
export interface RecallLabElement extends AttnWidget<RecallLabState>, RecallLabState {
  cancelSweep(): void;
  resumeSweep(): void;
  /** Points computed so far for the current view and settings, by memory. */
  sweepPoints(): Record<string, SweepPoint[]>;
}
export interface SimulatorElement extends AttnWidget<SimulatorState>, SimulatorState {
  cancelKernels(): void;
}
export interface DecayCurveElement extends AttnWidget<DecayCurveState>, DecayCurveState {}
export interface TokenShiftElement extends AttnWidget<TokenShiftState>, TokenShiftState {}
export interface FamilyMapElement extends AttnWidget<FamilyMapState>, FamilyMapState {}
export interface ChunkExplorerElement extends AttnWidget<ChunkExplorerState>, ChunkExplorerState {}
export interface DecisionMapElement extends AttnWidget<DecisionMapState>, DecisionMapState {
  cancelSearch(): void;
}

export interface WidgetElementMap {
  'cost-curve': CostCurveElement;
  'attention-grid': AttentionGridElement;
  'kernel-view': KernelViewElement;
  'order-toggle': OrderToggleElement;
  'state-stepper': StateStepperElement;
  'recall-sharpness': RecallSharpnessElement;
  'recall-lab': RecallLabElement;
  simulator: SimulatorElement;
  'decay-curve': DecayCurveElement;
  'token-shift': TokenShiftElement;
  'family-map': FamilyMapElement;
  'chunk-explorer': ChunkExplorerElement;
  'decision-map': DecisionMapElement;
}

export type WidgetClass<N extends WidgetName> = {
  new (): WidgetElementMap[N];
  readonly prototype: WidgetElementMap[N];
  readonly widgetName: N;
  readonly stateTable: readonly StateEntry[];
};

declare global {
  interface HTMLElementTagNameMap {
    'attn-cost-curve': CostCurveElement;
    'attn-attention-grid': AttentionGridElement;
    'attn-kernel-view': KernelViewElement;
    'attn-order-toggle': OrderToggleElement;
    'attn-state-stepper': StateStepperElement;
    'attn-recall-sharpness': RecallSharpnessElement;
    'attn-recall-lab': RecallLabElement;
    'attn-simulator': SimulatorElement;
    'attn-decay-curve': DecayCurveElement;
    'attn-token-shift': TokenShiftElement;
    'attn-family-map': FamilyMapElement;
    'attn-chunk-explorer': ChunkExplorerElement;
    'attn-decision-map': DecisionMapElement;
  }
  interface GlobalEventHandlersEventMap {
    'attn-change': CustomEvent<AttnChangeDetail>;
    /** attn-cost-curve, when a measurement finishes. */
    'attn-measured': CustomEvent<{ points: { softmax: MeasuredPoint[]; linear: MeasuredPoint[] } }>;
    /** attn-recall-lab, when a sweep completes. */
    'attn-sweep': CustomEvent<{ points: Record<string, SweepPoint[]> }>;
    /** attn-decision-map, once its boundaries are computed (crossover length, recall capacity). */
    'attn-boundaries': CustomEvent<{ crossover: number | undefined; capacity: number }>;
  }
}
