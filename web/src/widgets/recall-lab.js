/**
 * <attn-recall-lab>: associative recall, measured live through the real variants.
 * Chapter 5, "The catch".
 *
 * Three views (`mode`), each a different question put to core.recall:
 *   capacity  how many pairs each memory gives back (below);
 *   update    the oldest R keys are written a second time with fresh values after all K pairs: does a
 *             read return the new value? The delta rule (β = 1, unit keys) overwrites the old value;
 *             linear attention sums old and new; softmax attention, with no sense of position here,
 *             averages the two equal keys. Plotted: the share of rewritten keys read back as their new
 *             value (rewrittenAccuracy), over the same sweep of K;
 *   decay     `gap` distractor tokens are written between the pairs and the queries, and memories
 *             that forget at a constant rate γ per step (RetNet, GLA, Mamba-2, each in its own terms)
 *             are compared with linear attention and the delta rule, pair by pair (byAge): decay
 *             loses the oldest pairs first.
 *
 * K key→value pairs of dimension d are written token by token into softmax attention (its KV cache),
 * plain linear attention (identity feature map, unnormalised: a d x d sum of k vᵀ) and the delta rule
 * (DeltaNet, β = 1); then every key is queried and the answer decoded as the nearest stored value.
 * core.recall runs the whole experiment and returns the accuracy, the mean cosine to the right value,
 * the signal-to-interference ratio and the accuracy by pair age. The readouts are the three
 * memories at the chosen K; the plot is a sweep over K, run a slice at a time after every change of
 * d, keys or seed, with progress and a cancel button. Each call's trial count is cut, if needed, so
 * that one call stays well inside a frame budget (the data table lists the trials of every point).
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   mode    'capacity' | 'update' | 'decay' (default 'capacity')
 *   pairs   K, the number of pairs, 1 … 256 (default 48)
 *   d       state size (key and value dimension): 8 | 16 | 32 | 64 | 128 (default 32)
 *   keys    'random' | 'orthogonal' | 'correlated' (default 'random')
 *   cosine  pairwise cosine of correlated keys, 0 … 0.9 (default 0.5)
 *   rewrites  update view: R, how many of the oldest keys are written again, 1 … 256 (at most K;
 *           default 8)
 *   gap     decay view: distractor tokens between the pairs and the queries, 0 | 4 | 8 | 16 | 32 |
 *           64 | 128 | 256 (default 0)
 *   decay   decay view: the rate γ kept per step, 0.8 | 0.9 | 0.95 | 0.97 | 0.98 | 0.99 | 0.995 |
 *           0.999 (default 0.95)
 *   seed    seed of the keys and values (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }; attn-sweep { points } when a sweep completes.
 * Keyboard: on the plot, ← → change K one notch, Home / End go to 1 / 256 pairs, ↑ ↓ change d.
 * CSS custom properties: --attn-softmax, --attn-linear, --attn-highlight (delta rule), --attn-fg (the
 *   decaying memories) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, plot, progress.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLog, scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable, messageOf } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes } from '../frame/chart.js';
import { fixed, short, grouped } from '../frame/format.js';
import { MODELS, DECAYING, recallSpec, timedRecall } from '../core/recall.js';
import { runInSlices } from '../core/slices.js';

const MAX_K = 256;
export const NOTCHES = [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256];
export const SWEEP = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];
export const GAPS = [0, 4, 8, 16, 32, 64, 128, 256];
export const DECAYS = [0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999];
// The decay view averages more trials, since it reads accuracy pair by pair (each call still has its
// trials cut to fit a frame).
const DECAY_TRIALS = 32;

const TABLE = [
  { key: 'mode', type: 'enum', default: 'capacity', values: ['capacity', 'update', 'decay'], label: 'View' },
  { key: 'pairs', type: 'int', default: 48, min: 1, max: MAX_K, label: 'Pairs K' },
  { key: 'd', type: 'enum', default: 32, values: [8, 16, 32, 64, 128], label: 'State size d' },
  { key: 'keys', type: 'enum', default: 'random', values: ['random', 'orthogonal', 'correlated'], label: 'Keys' },
  { key: 'cosine', type: 'number', default: 0.5, min: 0, max: 0.9, label: 'Key cosine' },
  { key: 'rewrites', type: 'int', default: 8, min: 1, max: MAX_K, label: 'Keys written again R' },
  { key: 'gap', type: 'enum', default: 0, values: GAPS, label: 'Distractor tokens' },
  { key: 'decay', type: 'enum', default: 0.95, values: DECAYS, label: 'Decay γ per step' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

const COLORS = { softmax: 'var(--_softmax)', linear: 'var(--_linear)', delta: 'var(--_highlight)', decay: 'var(--_fg)' };
const DASH = { softmax: '', linear: '', delta: '6 3', decay: '2 3' };

// The memories of each view: the sweep's three, or, in the decay view, linear attention and the delta
// rule beside the three decaying models (one line for those, since with a constant rate they agree).
const DECAY_VIEW = [MODELS[1], MODELS[2], ...DECAYING];
const modelsOf = (mode) => (mode === 'decay' ? DECAY_VIEW : MODELS);

const TITLES = {
  capacity: 'Associative recall: how many pairs can each memory give back?',
  update: 'Writing a key again: which memory returns the new value?',
  decay: 'Distractors and decay: which pairs survive the wait?',
};

export class RecallLab extends AttnWidget {
  static widgetName = 'recall-lab';
  static stateTable = TABLE;
  static properties = {
    ...stateProperties(TABLE),
    _progress: { state: true },
  };
  static styles = [
    AttnWidget.styles,
    css`
      select {
        max-width: 100%;
      }
      .control {
        max-width: 100%;
      }
      svg {
        display: block;
        overflow: visible;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        font-size: 0.88em;
        margin: 0.3rem 0 0;
      }
      .legend .delta {
        color: var(--_fg);
      }
      .sw-delta {
        background: var(--_highlight);
      }
      .sw-decay {
        background: var(--_fg);
      }
      .progress {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 0.8rem;
        font-size: 0.88em;
        min-height: 2.2rem;
      }
      progress {
        width: min(14rem, 60%);
        accent-color: var(--_focus);
      }
    `,
  ];

  constructor() {
    super();
    this._width = 0;
    this._progress = null; // { done, total, running, cancelled }
    this._abort = null;
    this._sweepKey = '';
    this._points = new Map();
  }

  // The sweep is a few seconds of work: it starts only once the figure is on screen, so a reader
  // (or another figure on the page) does not pay for it before anyone looks.
  connectedCallback() {
    super.connectedCallback();
    this._visible = false;
    this._seen = new IntersectionObserver((entries) => {
      const v = entries.some((e) => e.isIntersecting);
      if (v && !this._visible) {
        this._visible = true;
        if (this.core && this._res) this._runQueue();
      }
    });
    this._seen.observe(this);
  }

  onDispose() {
    this._seen?.disconnect();
    this._seen = null;
    unobserveWidth(this);
    this._abort?.abort();
    this._abort = null;
    this._sweepKey = '';
  }

  titleText() {
    return TITLES[this.mode];
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const acc = (k, metric = 'accuracy') => (r.at[k]?.result ? `${Math.round(r.at[k].result[metric] * 100)}%` : 'not yet computed');
    if (r.mode === 'decay')
      return `Line chart of recall accuracy for each of ${r.pairs} pairs, from the first written (left) to the last (right), in a state of size d = ${r.d}, with ${r.gap} distractor tokens before the queries. Linear attention recalls ${acc('linear')} in all, the delta rule ${acc('delta')}, and the memories that keep ${r.decay} of the past per step (RetNet, GLA and Mamba-2, which agree) ${acc('retnet')}; the decaying memories lose the oldest pairs first.`;
    if (r.mode === 'update')
      return `Line chart of the share of rewritten keys read back as their new value, against the number of stored pairs K on a log scale from 1 to ${MAX_K}, for d = ${r.d} with ${r.keys} keys and the oldest ${r.rewrites} keys written again. At K = ${r.pairs}: softmax attention ${acc('softmax', 'rewrittenAccuracy')}, linear attention ${acc('linear', 'rewrittenAccuracy')}, the delta rule ${acc('delta', 'rewrittenAccuracy')}.`;
    return `Line chart of recall accuracy against the number of stored pairs K, on a log scale from 1 to ${MAX_K}, for a state of size d = ${r.d} with ${r.keys} keys. At K = ${r.pairs}: softmax attention recalls ${acc('softmax')}, linear attention ${acc('linear')}, the delta rule ${acc('delta')}. A dashed vertical line marks K = d.`;
  }

  // The settings a view's results depend on (besides K): a change to any of them starts afresh.
  _base() {
    const base = { mode: this.mode, d: this.d, keys: this.keys, cosine: this.cosine, seed: this.seed };
    if (this.mode === 'update') base.rewrites = this.rewrites;
    if (this.mode === 'decay') Object.assign(base, { gap: this.gap, decay: this.decay, pairs: this.pairs });
    return base;
  }

  // The spec of one model at K pairs in the current view.
  _spec(m, K) {
    const base = { d: this.d, keys: this.keys, cosine: this.cosine, seed: this.seed, pairs: K };
    if (this.mode === 'update') return recallSpec(m, { ...base, rewrites: Math.min(this.rewrites, K) });
    if (this.mode === 'decay') return recallSpec(m, { ...base, gap: this.gap, decay: this.decay, trials: DECAY_TRIALS });
    return recallSpec(m, base);
  }

  _at() {
    return Object.fromEntries(modelsOf(this.mode).map((m) => [m.key, this._points.get(`${m.key}|${this.pairs}`) ?? null]));
  }

  // Every recall call runs in the queue below, a slice at a time, so no setting change waits for
  // one; compute() only checks the settings with one tiny call (a bad one shows its error at once)
  // and restarts the queue with the chosen K first.
  compute(changed) {
    const base = this._base();
    const sweepKey = JSON.stringify(base);
    const probe = modelsOf(this.mode)[0];
    this.core.recall({ ...this._spec(probe, 1), trials: 1 });
    if (sweepKey !== this._sweepKey || changed?.has('core')) {
      this._points = new Map();
      this._sweepKey = sweepKey;
    }
    this._res = { ...base, pairs: this.pairs, rewrites: Math.min(this.rewrites, this.pairs), gap: this.gap, decay: this.decay, at: this._at() };
    this._runQueue();
  }

  _wanted() {
    const models = modelsOf(this.mode);
    // the decay view reads one K, pair by pair; the other views sweep K
    const ks = this.mode === 'decay' ? [this.pairs] : [this.pairs, ...SWEEP.filter((K) => K !== this.pairs)];
    return ks.flatMap((K) => models.map((m) => ({ m, K })));
  }

  async _runQueue() {
    if (!this._visible) return;
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    const wanted = this._wanted();
    const total = wanted.length;
    const todo = wanted.filter(({ m, K }) => !this._points.has(`${m.key}|${K}`));
    const progress = (running, cancelled = false) => {
      const done = wanted.filter(({ m, K }) => this._points.has(`${m.key}|${K}`)).length;
      const skipped = wanted.filter(({ m, K }) => this._points.get(`${m.key}|${K}`)?.skipped).length;
      this._progress = { done, total, skipped, running, cancelled };
    };
    progress(todo.length > 0);
    if (!todo.length) {
      this._announceAt();
      return;
    }
    const jobs = todo.map(({ m, K }) => () => {
      // The decaying memories are compared trial for trial: the second and third run the trials the
      // first ran (same seed, same keys), so any difference between them is theirs.
      const first = DECAYING.includes(m) && m !== DECAYING[0] ? this._points.get(`${DECAYING[0].key}|${K}`) : null;
      const r = first?.result
        ? timedRecall(this.core, { ...this._spec(m, K), trials: first.spec.trials }, 15, 35, { keepTrials: true })
        : timedRecall(this.core, this._spec(m, K));
      this._points.set(`${m.key}|${K}`, r);
      return K;
    });
    const models = modelsOf(this.mode);
    try {
      await runInSlices(jobs, {
        signal: abort.signal,
        onResult: (K) => {
          if (this._abort !== abort) return;
          if (K === this.pairs) {
            this._res = { ...this._res, at: this._at() };
            if (models.every((m) => this._points.has(`${m.key}|${K}`))) this._announceAt();
          }
          progress(true);
          this.requestUpdate();
        },
      });
      if (this._abort !== abort) return;
      this._abort = null;
      progress(false);
      this.dispatchEvent(new CustomEvent('attn-sweep', { detail: { points: this.sweepPoints() }, bubbles: true, composed: true }));
    } catch (err) {
      if (this._abort !== abort) return;
      this._abort = null;
      if (err.name === 'AbortError') {
        progress(false, true);
        this._live = 'Sweep cancelled.';
      } else this._error = `The recall sweep failed: ${messageOf(err)}`;
    }
  }

  _announceAt() {
    const at = this._at();
    const pc = (k, metric = 'accuracy') => (at[k]?.result ? `${Math.round(at[k].result[metric] * 100)}%` : 'not computed');
    if (this.mode === 'decay') {
      this.announce(`${this.pairs} pairs, ${this.gap} distractors, decay ${this.decay}: linear ${pc('linear')}, delta rule ${pc('delta')}, decaying memories ${pc('retnet')} recalled; oldest quarter ${quarter(at.retnet, 0)}, newest quarter ${quarter(at.retnet, 3)} for the decaying memories.`);
    } else if (this.mode === 'update') {
      this.announce(`${this.pairs} pairs, the oldest ${Math.min(this.rewrites, this.pairs)} written again: new value read back by softmax ${pc('softmax', 'rewrittenAccuracy')}, linear ${pc('linear', 'rewrittenAccuracy')}, delta rule ${pc('delta', 'rewrittenAccuracy')}.`);
    } else {
      this.announce(`${this.pairs} pairs in d = ${this.d}: softmax ${pc('softmax')}, linear ${pc('linear')}, delta rule ${pc('delta')} recalled.`);
    }
  }

  cancelSweep() {
    this._abort?.abort();
  }

  resumeSweep() {
    this._runQueue();
  }

  // Points computed so far for the current settings: { model key: [{ K, accuracy,
  // rewrittenAccuracy, meanCosine, sir, trials }] }, sorted by K.
  sweepPoints() {
    const out = {};
    for (const m of modelsOf(this.mode)) {
      out[m.key] = [];
      for (const [k, { spec, result }] of this._points) {
        const [mk, K] = k.split('|');
        if (mk === m.key && result)
          out[m.key].push({ K: Number(K), accuracy: result.accuracy, rewrittenAccuracy: result.rewrittenAccuracy, meanCosine: result.meanCosine, sir: result.sir, trials: spec.trials });
      }
      out[m.key].sort((a, b) => a.K - b.K);
    }
    return out;
  }

  // ----- controls ----------------------------------------------------------------------------------

  _notch() {
    let best = 0;
    for (let i = 0; i < NOTCHES.length; i++) if (Math.abs(Math.log(NOTCHES[i] / this.pairs)) < Math.abs(Math.log(NOTCHES[best] / this.pairs))) best = i;
    return best;
  }

  onArrow(key) {
    const i = this._notch();
    const ds = TABLE[2].values;
    const di = ds.indexOf(this.d);
    switch (key) {
      case 'ArrowRight':
        this.setState({ pairs: NOTCHES[Math.min(NOTCHES.length - 1, NOTCHES[i] > this.pairs ? i : i + 1)] });
        return true;
      case 'ArrowLeft':
        this.setState({ pairs: NOTCHES[Math.max(0, NOTCHES[i] < this.pairs ? i : i - 1)] });
        return true;
      case 'Home':
        this.setState({ pairs: 1 });
        return true;
      case 'End':
        this.setState({ pairs: MAX_K });
        return true;
      case 'ArrowUp':
        this.setState({ d: ds[Math.min(ds.length - 1, di + 1)] });
        return true;
      case 'ArrowDown':
        this.setState({ d: ds[Math.max(0, di - 1)] });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    return html`
      <label class="control">
        <span>Pairs K = ${this.pairs}</span>
        <input
          type="range"
          min="0"
          max=${NOTCHES.length - 1}
          step="1"
          .value=${String(this._notch())}
          aria-valuetext=${`${this.pairs} pairs`}
          @input=${(e) => this.setState({ pairs: NOTCHES[Number(e.target.value)] })}
        />
      </label>
      <label class="control">
        <span>Exact K</span>
        <input
          type="number"
          min="1"
          max=${MAX_K}
          .value=${String(this.pairs)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) this.setState({ pairs: Math.min(MAX_K, Math.max(1, v)) });
            else e.target.value = String(this.pairs);
          }}
        />
      </label>
      <label class="control">
        <span>State size d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value) })}>
          ${TABLE[2].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v} (${v} × ${v} state)</option>`)}
        </select>
      </label>
      ${this.mode === 'update'
        ? html`<label class="control">
            <span>Keys written again R</span>
            <input
              type="number"
              min="1"
              max=${this.pairs}
              .value=${String(Math.min(this.rewrites, this.pairs))}
              @change=${(e) => {
                const v = Math.round(Number(e.target.value));
                if (Number.isFinite(v)) this.setState({ rewrites: Math.min(this.pairs, Math.max(1, v)) });
                else e.target.value = String(Math.min(this.rewrites, this.pairs));
              }}
            />
          </label>`
        : nothing}
      ${this.mode === 'decay'
        ? html`<label class="control">
              <span>Distractor tokens</span>
              <select @change=${(e) => this.setState({ gap: Number(e.target.value) })}>
                ${GAPS.map((v) => html`<option value=${v} ?selected=${v === this.gap}>${v}</option>`)}
              </select>
            </label>
            <label class="control">
              <span>Decay γ kept per step</span>
              <select @change=${(e) => this.setState({ decay: Number(e.target.value) })}>
                ${DECAYS.map((v) => html`<option value=${v} ?selected=${v === this.decay}>${v}</option>`)}
              </select>
            </label>`
        : nothing}
      <fieldset>
        <legend>Keys</legend>
        <div class="segmented">
          ${[
            ['random', 'Random'],
            ['orthogonal', 'Orthogonal'],
            ['correlated', 'Correlated'],
          ].map(
            ([v, t]) => html`<label
              ><input type="radio" name="keys" value=${v} .checked=${this.keys === v} @change=${() => this.setState({ keys: v })} />${t}</label
            >`,
          )}
        </div>
      </fieldset>
      ${this.keys === 'correlated'
        ? html`<label class="control">
            <span>Key cosine ${fixed(this.cosine, 2)}</span>
            <input type="range" min="0" max="0.9" step="0.05" .value=${String(this.cosine)} @input=${(e) => this.setState({ cosine: Number(e.target.value) })} />
          </label>`
        : nothing}
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame() {
    const width = Math.max(280, Math.min(760, this._width || this.clientWidth - 30 || 600));
    const height = Math.round(Math.min(300, Math.max(210, width * 0.45)));
    const m = { top: 12, right: 16, bottom: 42, left: 48 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const f = this._frame();
    const y = scaleLinear().domain([0, 1]).range([f.ih, 0]);
    if (this.mode === 'decay') return { f, x: scaleLinear().domain([1, Math.max(2, this._res.pairs)]).range([0, f.iw]), y };
    return { f, x: scaleLog().base(2).domain([1, MAX_K]).range([0, f.iw]), y };
  }

  _progressBar() {
    const p = this._progress;
    const slow = p && p.skipped ? ` (${p.skipped} too slow to run in this page)` : '';
    const what = this.mode === 'decay' ? 'Recall runs' : 'Sweeping K';
    return html`
      <div class="progress" part="progress">
        ${p && p.running ? html`<progress max=${p.total} .value=${p.done} aria-label="Sweep progress"></progress>` : nothing}
        <span
          >${p && p.running
            ? `${what}: ${p.done} of ${p.total} recall runs`
            : p && p.cancelled
              ? `Sweep cancelled after ${p.done} of ${p.total} runs.`
              : p
                ? `${this.mode === 'decay' ? 'Done' : 'Sweep complete'}: ${p.total} recall runs by the core${slow}.`
                : 'The runs start when this figure is on screen.'}</span
        >
        <button @click=${() => (p && p.running ? this.cancelSweep() : p && p.cancelled ? this.resumeSweep() : this.setState({ seed: this.seed + 1 }))}>
          ${p && p.running ? 'Cancel' : p && p.cancelled ? 'Finish the sweep' : 'New pairs'}
        </button>
      </div>
    `;
  }

  renderFigure() {
    return html`${this._progressBar()}${this.mode === 'decay' ? this._decayFigure() : this._sweepFigure()}`;
  }

  // Accuracy (or, in the update view, the share of rewritten keys read back new) against K.
  _sweepFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const pts = this.sweepPoints();
    const metric = this.mode === 'update' ? 'rewrittenAccuracy' : 'accuracy';
    const yLabel = this.mode === 'update' ? 'rewritten keys read back new' : 'recall accuracy';
    return html`
      <div class="surface" part="plot" tabindex="0" role="group" aria-label="Recall accuracy plot. Left and right arrows change the number of pairs, up and down the state size.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${`${yLabel} against pairs, d = ${r.d}`}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${svg`<line x1=${x(r.d)} x2=${x(r.d)} y1="0" y2=${f.ih} stroke="var(--_muted)" stroke-dasharray="2 4"></line>
              <text x=${x(r.d) - 4} y=${f.ih - 8} text-anchor="end" font-size="11">K = d</text>`}
            ${MODELS.map((m) => {
              const data = pts[m.key].filter((q) => q[metric] !== null);
              if (!data.length) return nothing;
              const d = line()
                .x((q) => x(q.K))
                .y((q) => y(q[metric]))(data);
              return svg`<path d=${d} fill="none" stroke=${COLORS[m.key]} stroke-width="2.5" stroke-dasharray=${DASH[m.key]}></path>
                ${data.map((q) => svg`<circle cx=${x(q.K)} cy=${y(q[metric])} r="2.6" fill=${COLORS[m.key]}></circle>`)}`;
            })}
            <line x1=${x(r.pairs)} x2=${x(r.pairs)} y1="0" y2=${f.ih} stroke="var(--_fg)" stroke-width="1"></line>
            ${MODELS.map((m) => (r.at[m.key]?.result ? svg`<circle cx=${x(r.pairs)} cy=${y(r.at[m.key].result[metric])} r="5" fill="var(--_bg)" stroke=${COLORS[m.key]} stroke-width="2.5"></circle>` : nothing))}
            <text x=${f.iw / 2} y=${f.ih + 35} text-anchor="middle" font-size="12">pairs stored, K (log scale)</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-36" text-anchor="middle" font-size="12">${this.mode === 'update' ? 'new value read back' : 'recall accuracy'}</text>
          </g>
        </svg>
      </div>
      <p class="legend">
        <span class="softmax"><span class="swatch sw-softmax"></span>softmax attention (KV cache)</span>
        <span class="linear"><span class="swatch sw-linear"></span>linear attention (d × d sum)</span>
        <span class="delta"><span class="swatch sw-delta"></span>delta rule (d × d, overwrites)</span>
      </p>
    `;
  }

  // Accuracy pair by pair, first written on the left; runs of at least four neighbouring pairs are
  // averaged into one point, so the curves read as trends rather than trial noise (the data table has
  // every pair).
  _decayFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const curve = (key) => {
      const res = r.at[key]?.result;
      if (!res) return nothing;
      const pts = bucketed(res.byAge, Math.min(16, Math.ceil(res.byAge.length / 4)));
      const d = line()
        .x((p) => x(p.x))
        .y((p) => y(p.y))(pts);
      return svg`<path d=${d} fill="none" stroke=${COLORS[key === 'retnet' ? 'decay' : key]} stroke-width="2.5" stroke-dasharray=${DASH[key === 'retnet' ? 'decay' : key]}></path>
        ${pts.map((p) => svg`<circle cx=${x(p.x)} cy=${y(p.y)} r="2.4" fill=${COLORS[key === 'retnet' ? 'decay' : key]}></circle>`)}`;
    };
    return html`
      <div class="surface" part="plot" tabindex="0" role="group" aria-label="Recall accuracy by pair. Left and right arrows change the number of pairs, up and down the state size.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${`recall accuracy pair by pair, ${r.pairs} pairs, ${r.gap} distractors, decay ${r.decay}`}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${curve('linear')} ${curve('delta')} ${curve('retnet')}
            <text x=${f.iw / 2} y=${f.ih + 35} text-anchor="middle" font-size="12">pair, in the order written (1 = oldest)</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-36" text-anchor="middle" font-size="12">recall accuracy</text>
          </g>
        </svg>
      </div>
      <p class="legend">
        <span class="linear"><span class="swatch sw-linear"></span>linear attention (no decay)</span>
        <span class="delta"><span class="swatch sw-delta"></span>delta rule (no decay)</span>
        <span><span class="swatch sw-decay"></span>RetNet, GLA, Mamba-2 (keep ${r.decay} per step)</span>
      </p>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('.surface svg');
    if (!el || !this._res) return;
    const { f, x, y } = this._scales();
    const xAxis = this.mode === 'decay' ? { scale: x, count: Math.min(8, this._res.pairs), format: (v) => (Number.isInteger(v) ? String(v) : '') } : { scale: x, values: [1, 2, 4, 8, 16, 32, 64, 128, 256], format: (v) => String(v) };
    drawAxes(el, { innerWidth: f.iw, x: xAxis, y: { scale: y, count: 5, format: (v) => `${Math.round(v * 100)}%` } });
  }

  renderReadouts() {
    const r = this._res;
    const cls = (key) => (key === 'softmax' || key === 'linear' ? key : '');
    const pending = (label, key) => {
      const a = r.at[key];
      if (!a) return readout(label, 'computing…', `K = ${r.pairs}`, cls(key));
      if (!a.result) return readout(label, 'not run here', 'one trial would block the page too long', cls(key));
      return null;
    };
    if (r.mode === 'decay') {
      const one = (label, key) =>
        pending(label, key) ??
        readout(label, `${fixed(r.at[key].result.accuracy * 100, 1)}% recalled`, `oldest quarter ${quarter(r.at[key], 0)}, newest quarter ${quarter(r.at[key], 3)}; ${r.at[key].spec.trials} trials`, cls(key));
      const agree = DECAYING.every((m) => r.at[m.key]?.result);
      let spread = 0;
      if (agree)
        for (const m of DECAYING) spread = Math.max(spread, ...Array.from(r.at[m.key].result.byAge, (v, i) => Math.abs(v - r.at.retnet.result.byAge[i])));
      return html`${one('linear attention', 'linear')} ${one('delta rule (DeltaNet)', 'delta')} ${one(`RetNet, GLA, Mamba-2 (γ = ${r.decay})`, 'retnet')}
      ${readout('The three decaying memories', agree ? `differ by ${fixed(spread * 100, 1)} points` : 'computing…', 'largest difference in accuracy of any pair: with a constant rate they are one recurrence')}`;
    }
    const one = (m) => {
      const p = pending(m.label, m.key);
      if (p) return p;
      const { result, spec } = r.at[m.key];
      if (r.mode === 'update')
        return readout(m.label, `${fixed(result.rewrittenAccuracy * 100, 1)}% read back new`, `of the ${spec.rewrites} keys written twice; ${fixed(result.accuracy * 100, 1)}% of all ${r.pairs} keys; ${spec.trials} trials`, cls(m.key));
      const sir = Number.isFinite(result.sir) ? short(result.sir) : '∞ (no interference)';
      return readout(m.label, `${fixed(result.accuracy * 100, 1)}% recalled`, `mean cosine ${fixed(result.meanCosine)}, signal / interference ${sir}, ${spec.trials} trials`, cls(m.key));
    };
    // the cache keeps every write, a rewritten key's second write included
    const writes = r.pairs + (r.mode === 'update' ? r.rewrites : 0);
    return html`${MODELS.map(one)}
    ${readout('Memory held', `${grouped(writes * 2 * r.d)} vs ${grouped(r.d * r.d)} floats`, `KV cache for ${writes} writes vs a ${r.d} × ${r.d} state`)}`;
  }

  renderTable() {
    const r = this._res;
    if (r.mode === 'decay') {
      const cols = ['linear', 'delta', ...DECAYING.map((m) => m.key)];
      const age = cols.map((k) => (r.at[k]?.result ? Array.from(r.at[k].result.byAge) : null));
      const rows = [];
      for (let i = 0; i < r.pairs; i++) rows.push([String(i + 1), ...age.map((a) => (a ? `${fixed(a[i] * 100, 0)}%` : '—'))]);
      return dataTable(`Accuracy by pair, ${r.pairs} pairs, ${r.gap} distractors, γ = ${r.decay} (1 = written first)`, ['pair', 'linear', 'delta rule', 'RetNet', 'GLA', 'Mamba-2'], rows);
    }
    const pts = this.sweepPoints();
    const metric = r.mode === 'update' ? 'rewrittenAccuracy' : 'accuracy';
    const ks = [...new Set(MODELS.flatMap((m) => pts[m.key].map((q) => q.K)))].sort((a, b) => a - b);
    const cell = (key, K) => {
      const q = pts[key].find((p) => p.K === K);
      return q && q[metric] !== null ? `${fixed(q[metric] * 100, 1)}% (${q.trials})` : '—';
    };
    const rows = ks.map((K) => [String(K), cell('softmax', K), cell('linear', K), cell('delta', K)]);
    const age = MODELS.map((m) => (r.at[m.key]?.result ? Array.from(r.at[m.key].result.byAge) : null));
    const ageRows = [];
    for (let i = 0; i < r.pairs; i++) ageRows.push([String(i + 1), ...age.map((a) => (a ? `${fixed(a[i] * 100, 0)}%` : '—'))]);
    const caption =
      r.mode === 'update'
        ? `Rewritten keys read back as their new value, by K, d = ${r.d}, ${r.keys} keys, R = ${r.rewrites} (trials in brackets)`
        : `Recall accuracy by K, d = ${r.d}, ${r.keys} keys (trials in brackets)`;
    return html`${dataTable(caption, ['K', 'softmax', 'linear', 'delta rule'], rows)}
    ${dataTable(`Accuracy by pair age at K = ${r.pairs} (1 = written first${r.mode === 'update' ? '; the rewritten keys last, by their second write' : ''})`, ['pair', 'softmax', 'linear', 'delta rule'], ageRows)}`;
  }
}

// byAge averaged over runs of neighbouring pairs, at most `max` points: [{ x: mean pair number, y }].
function bucketed(byAge, max) {
  const n = byAge.length;
  const b = Math.min(n, max);
  const out = [];
  for (let i = 0; i < b; i++) {
    const lo = Math.floor((i * n) / b);
    const hi = Math.floor(((i + 1) * n) / b);
    let s = 0;
    for (let j = lo; j < hi; j++) s += byAge[j];
    out.push({ x: (lo + hi - 1) / 2 + 1, y: s / (hi - lo) });
  }
  return out;
}

// Accuracy over one quarter (0 = the oldest) of the pairs of a decay-view result, as a percentage.
function quarter(point, q) {
  const a = point?.result?.byAge;
  if (!a) return '—';
  const lo = Math.floor((q * a.length) / 4);
  const hi = Math.max(lo + 1, Math.floor(((q + 1) * a.length) / 4));
  let s = 0;
  for (let i = lo; i < hi; i++) s += a[i];
  return `${fixed((100 * s) / (hi - lo), 0)}%`;
}
