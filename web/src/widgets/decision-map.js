/**
 * <attn-decision-map>: sequence length against the precise recall a task needs, and which kind of
 * model fits.
 * Chapter 9, "When to use which".
 *
 * Nothing on the map is drawn by hand; its two boundaries are computed by the core when the widget
 * loads or a setting changes:
 *   - the cost crossover n×: the shortest length at which processing the sequence token by token
 *     with softmax attention (its KV cache) costs more than `budget` times the linear model's
 *     recurrence, from core.cost; found by bisection over integer lengths, since the ratio only grows;
 *   - the recall capacity K×: the largest number of key→value pairs a 64 x 64 state of the linear
 *     model (plain linear attention, or DeltaNet's delta rule) gives back with at least 90% accuracy,
 *     from core.recall (correlated or random unit keys, seeded trials); found by doubling K until the accuracy
 *     drops below 90%, then bisecting between the last K that passed and the first that failed.
 * Left of n×, softmax attention is affordable, so it is recommended; right of it, the linear model
 * if the task's K fits in its state, and a hybrid (a few softmax layers among linear ones) if not.
 * The reader's task is a marker; the readouts give the recommendation and the reasons, with the
 * core's figures at the marker.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   n       the task's sequence length, 100 … 1,000,000 (default 2000)
 *   facts   K, the key→value facts the task must recall precisely, 1 … 256 (default 16)
 *   budget  how many times the linear model's compute softmax may cost: 4 | 16 | 64 | 256 (default 64)
 *   rule    the linear model: 'linear' (identity map, unnormalised) | 'deltanet' (default 'linear')
 *   keys    how alike the facts' keys are: 'correlated' (pairwise cosine 0.5, as the keys of real tokens
 *           often are) | 'random' (nearly orthogonal unit vectors) (default 'correlated')
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }; attn-boundaries { crossover, capacity } once computed.
 * Keyboard: on the map, ← → change the length one notch, ↑ ↓ the facts, Home / End the shortest /
 *   longest length. A click on the map moves the marker there.
 * CSS custom properties: --attn-softmax, --attn-linear, --attn-highlight (hybrid and the marker) and
 *   the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, map, progress.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLog } from 'd3-scale';
import { AttnWidget, stateProperties, readout, dataTable, messageOf } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes, compactFormat } from '../frame/chart.js';
import { grouped, short, fixed } from '../frame/format.js';
import { MODELS as RECALL_MODELS, recallSpec, timedRecall } from '../core/recall.js';
import { abortError } from '../core/slices.js';

export const D = 64;
export const THRESHOLD = 0.9;
export const N_RANGE = [100, 1_000_000];
export const K_RANGE = [1, 256];
const N_NOTCHES = (() => {
  const out = [];
  for (let e = 2; e <= 6; e++) for (const m of [1, 1.5, 2, 3, 5, 7]) if (m * 10 ** e <= N_RANGE[1]) out.push(Math.round(m * 10 ** e));
  return out;
})();
const K_NOTCHES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 128, 160, 192, 256];

// The linear model of each rule: what core.cost prices and what core.recall stores pairs in.
export const RULES = {
  linear: { id: 'linear', options: { featureMap: 'identity', normalize: false }, label: 'linear attention', recall: RECALL_MODELS.find((m) => m.key === 'linear') },
  deltanet: { id: 'deltanet', options: {}, label: 'DeltaNet (delta rule)', recall: RECALL_MODELS.find((m) => m.key === 'delta') },
};
const SOFTMAX_RECALL = RECALL_MODELS.find((m) => m.key === 'softmax');
export const HYBRID = [
  { id: 'softmax', options: {}, count: 1 },
  { id: 'gated_deltanet', options: {}, count: 3 },
];

const TABLE = [
  { key: 'n', type: 'int', default: 2000, min: N_RANGE[0], max: N_RANGE[1], label: 'Sequence length' },
  { key: 'facts', type: 'int', default: 16, min: K_RANGE[0], max: K_RANGE[1], label: 'Facts to recall' },
  { key: 'budget', type: 'enum', default: 64, values: [4, 16, 64, 256], label: 'Compute budget' },
  { key: 'rule', type: 'enum', default: 'linear', values: ['linear', 'deltanet'], label: 'Linear model' },
  { key: 'keys', type: 'enum', default: 'correlated', values: ['correlated', 'random'], label: 'Keys of the facts' },
];

const cost = (core, id, n, options = {}) => core.cost(id, { n, dk: D, dv: D, form: 'recurrent', ...options }).macs;

// Softmax's token-by-token cost over the linear model's, at length n (both from core.cost).
export function costRatio(core, rule, n) {
  return cost(core, 'softmax', n) / cost(core, RULES[rule].id, n, RULES[rule].options);
}

// The smallest integer n in [1, hi] with costRatio(n) > budget (hi when none is).
export function crossover(core, rule, budget, hi = 16_000_000) {
  let lo = 1;
  if (costRatio(core, rule, lo) > budget) return lo;
  if (costRatio(core, rule, hi) <= budget) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (costRatio(core, rule, mid) > budget) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function recommend(n, facts, b) {
  if (n < b.crossover) return 'softmax';
  return facts <= b.capacity ? 'linear' : 'hybrid';
}

const LABEL = { softmax: 'Softmax attention', linear: 'Linear model', hybrid: 'Hybrid' };
const FILL = { softmax: 'var(--_softmax)', linear: 'var(--_linear)', hybrid: 'var(--_highlight)' };

export class DecisionMap extends AttnWidget {
  static widgetName = 'decision-map';
  static stateTable = TABLE;
  static properties = {
    ...stateProperties(TABLE),
    _search: { state: true },
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
      .map {
        cursor: crosshair;
      }
      .progress {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem 0.8rem;
        align-items: center;
        font-size: 0.88em;
        min-height: 2.2rem;
      }
      .recommend {
        margin: 0.5rem 0 0;
        padding: 0.6rem 0.8rem;
        border-left: 5px solid var(--_fg);
        background: var(--_surface);
        border-radius: 0 6px 6px 0;
      }
      .recommend strong {
        font-size: 1.05em;
      }
      .recommend ul {
        margin: 0.3rem 0 0;
        padding-left: 1.2rem;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        font-size: 0.88em;
        margin: 0.3rem 0 0;
      }
      .sw-hybrid {
        background: var(--_highlight);
      }
      button.idle {
        opacity: 0.55;
        cursor: default;
      }
    `,
  ];

  constructor() {
    super();
    this._width = 0;
    this._search = null; // { running, step, note, cancelled }
    this._capacity = new Map(); // rule -> { capacity, probes: [{ K, accuracy, trials }] }
    this._cross = new Map(); // 'rule|budget' -> crossover length
    this._marker = new Map(); // 'rule|facts' -> { at, soft }: core.recall at the marker
    this._markerWant = '';
    this._markerLoop = false;
    this._abort = null;
  }

  // The recall measurements start once the map is on screen, so nobody pays for them unseen.
  connectedCallback() {
    super.connectedCallback();
    this._visible = false;
    this._seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !this._visible) {
        this._visible = true;
        this._computedOnce = false;
        this.requestUpdate();
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
    this._search = null;
  }

  titleText() {
    return 'When to use which: length against recall';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const b = r.bounds;
    return `Map of sequence length (across, log scale, ${grouped(N_RANGE[0])} to ${grouped(N_RANGE[1])} tokens) against facts to recall (up, log scale, 1 to ${K_RANGE[1]}). Softmax attention covers lengths below ${grouped(b.crossover)} tokens; beyond it the ${RULES[this.rule].label} covers tasks of up to ${b.capacity === null ? '(being computed)' : b.capacity} facts and a hybrid the rest. The marker, at ${grouped(this.n)} tokens and ${this.facts} facts, is in the ${r.choice ? LABEL[r.choice].toLowerCase() : 'not yet computed'} region.`;
  }

  // ----- computation -------------------------------------------------------------------------------

  compute() {
    const core = this.core;
    const rule = RULES[this.rule];
    const crossKey = `${this.rule}|${this.budget}`;
    if (!this._cross.has(crossKey)) this._cross.set(crossKey, crossover(core, this.rule, this.budget));
    const cross = this._cross.get(crossKey);
    const capKey = `${this.rule}|${this.keys}`;
    const cap = this._capacity.get(capKey) ?? null;
    const s = this._search;
    // a search the reader cancelled stays cancelled until they ask for it again
    if (!cap && this._visible && !(s && s.key === capKey && (s.running || s.cancelled))) this._startCapacity(capKey);
    const bounds = { crossover: cross, capacity: cap ? cap.capacity : null, atLeast: !!cap?.atLeast };
    const n = this.n;
    const K = this.facts;
    const ratio = costRatio(core, this.rule, n);
    const hybridMacs = HYBRID.reduce((s, l) => s + l.count * cost(core, l.id, n, l.options), 0);
    const linearMacs = 4 * cost(core, rule.id, n, rule.options);
    const softMacs = 4 * cost(core, 'softmax', n);
    const markerKey = `${this.rule}|${this.keys}|${K}`;
    const marker = this._marker.get(markerKey) ?? null;
    if (!marker && this._visible) this._queueMarker(markerKey);
    const at = marker?.at ?? null;
    const soft = marker?.soft ?? null;
    const choice = cap ? recommend(n, K, bounds) : n < cross ? 'softmax' : null;
    this._res = { n, facts: K, bounds, ratio, at, soft, choice, macs: { soft: softMacs, linear: linearMacs, hybrid: hybridMacs } };
    if (choice) this.announce(`${grouped(n)} tokens, ${K} facts: ${LABEL[choice]}. Softmax costs ${short(ratio)} times the ${rule.label} here${at?.result ? `; the ${rule.label} recalls ${Math.round(at.result.accuracy * 100)}% of ${K} facts` : ''}.`);
  }

  // Doubling, then bisection, for the largest K with accuracy ≥ THRESHOLD; one core.recall per task.
  async _startCapacity(capKey) {
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    const [ruleKey, keys] = capKey.split('|');
    const model = RULES[ruleKey].recall;
    const probes = [];
    const probe = async (K) => {
      await new Promise((r) => setTimeout(r, 0));
      if (abort.signal.aborted) throw abortError('capacity search');
      const { spec, result } = timedRecall(this.core, recallSpec(model, { d: D, pairs: K, keys }));
      if (!result) throw Object.assign(new Error(`K = ${K}`), { name: 'TooSlow', K });
      probes.push({ K, accuracy: result.accuracy, trials: spec.trials });
      this._search = { running: true, key: capKey, rule: ruleKey, step: probes.length, note: `K = ${K}: ${Math.round(result.accuracy * 100)}%` };
      return result.accuracy >= THRESHOLD;
    };
    this._search = { running: true, key: capKey, rule: ruleKey, step: 0, note: 'starting' };
    try {
      let good = 0;
      let bad = null;
      // A probe too big to run in the page ends the search where it is: the capacity is then a
      // lower bound (`atLeast`), and the map says so.
      let atLeast = false;
      const tryProbe = async (K) => {
        try {
          return await probe(K);
        } catch (err) {
          if (err.name !== 'TooSlow') throw err;
          atLeast = true;
          return null;
        }
      };
      for (let K = 1; K <= K_RANGE[1] && !atLeast; K *= 2) {
        const ok = await tryProbe(K);
        if (ok === true) good = K;
        else if (ok === false) {
          bad = K;
          break;
        }
      }
      while (!atLeast && bad !== null && bad - good > 1) {
        const mid = Math.floor((good + bad) / 2);
        const ok = await tryProbe(mid);
        if (ok === true) good = mid;
        else if (ok === false) bad = mid;
      }
      if (this._abort !== abort) return;
      this._abort = null;
      this._capacity.set(capKey, { capacity: good, probes, atLeast });
      this._search = { running: false, key: capKey, rule: ruleKey, step: probes.length, note: 'done' };
      this._live = `Capacity found: a ${D} by ${D} ${RULES[ruleKey].label} state recalls up to ${good} facts with ${keys} keys at ${THRESHOLD * 100}% or better.`;
      this.dispatchEvent(new CustomEvent('attn-boundaries', { detail: { capacity: good, crossover: this._res?.bounds.crossover }, bubbles: true, composed: true }));
      // recompute the recommendation now that the capacity is known
      this._computedOnce = false;
      this.requestUpdate();
    } catch (err) {
      if (this._abort !== abort) return;
      this._abort = null;
      if (err.name === 'AbortError') this._search = { running: false, key: capKey, rule: ruleKey, step: probes.length, note: 'cancelled', cancelled: true };
      else this._error = `The capacity search failed: ${messageOf(err)}`;
    }
  }

  // The recall figures at the marker, one core.recall per task, once the marker has rested.
  async _queueMarker(key) {
    this._markerWant = key;
    if (this._markerLoop) return;
    this._markerLoop = true;
    try {
      while (this.isConnected && this._markerWant && !this._marker.has(this._markerWant)) {
        const want = this._markerWant;
        const [ruleKey, keys, K] = want.split('|');
        const pairs = Number(K);
        // wait until the marker rests (a drag or held arrow key moves it many times a second)
        await new Promise((r) => setTimeout(r, 200));
        if (!this.isConnected || this._markerWant !== want) continue;
        const at = timedRecall(this.core, recallSpec(RULES[ruleKey].recall, { d: D, pairs, keys }));
        await new Promise((r) => setTimeout(r, 0));
        if (!this.isConnected) break;
        const soft = timedRecall(this.core, recallSpec(SOFTMAX_RECALL, { d: D, pairs, keys }));
        this._marker.set(want, { at, soft });
        if (this._markerWant === want) {
          this._computedOnce = false;
          this.requestUpdate();
        }
      }
    } catch (err) {
      this._error = `The recall at the marker failed: ${messageOf(err)}`;
    } finally {
      this._markerLoop = false;
    }
  }

  cancelSearch() {
    this._abort?.abort();
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const near = (list, v) => list.reduce((b, x, i) => (Math.abs(Math.log(x / v)) < Math.abs(Math.log(list[b] / v)) ? i : b), 0);
    const ni = near(N_NOTCHES, this.n);
    const ki = near(K_NOTCHES, this.facts);
    switch (key) {
      case 'ArrowRight':
        this.setState({ n: N_NOTCHES[Math.min(N_NOTCHES.length - 1, N_NOTCHES[ni] > this.n ? ni : ni + 1)] });
        return true;
      case 'ArrowLeft':
        this.setState({ n: N_NOTCHES[Math.max(0, N_NOTCHES[ni] < this.n ? ni : ni - 1)] });
        return true;
      case 'ArrowUp':
        this.setState({ facts: K_NOTCHES[Math.min(K_NOTCHES.length - 1, K_NOTCHES[ki] > this.facts ? ki : ki + 1)] });
        return true;
      case 'ArrowDown':
        this.setState({ facts: K_NOTCHES[Math.max(0, K_NOTCHES[ki] < this.facts ? ki : ki - 1)] });
        return true;
      case 'Home':
        this.setState({ n: N_RANGE[0] });
        return true;
      case 'End':
        this.setState({ n: N_RANGE[1] });
        return true;
      default:
        return false;
    }
  }

  _numberInput(label, key, [lo, hi]) {
    return html`<label class="control">
      <span>${label}</span>
      <input
        type="number"
        min=${lo}
        max=${hi}
        .value=${String(this[key])}
        @change=${(e) => {
          const v = Math.round(Number(e.target.value));
          if (Number.isFinite(v)) this.setState({ [key]: Math.min(hi, Math.max(lo, v)) });
          else e.target.value = String(this[key]);
        }}
      />
    </label>`;
  }

  renderControls() {
    return html`
      ${this._numberInput('Sequence length (tokens)', 'n', N_RANGE)} ${this._numberInput('Facts to recall', 'facts', K_RANGE)}
      <label class="control">
        <span>Compute budget for softmax</span>
        <select @change=${(e) => this.setState({ budget: Number(e.target.value) })}>
          ${TABLE[2].values.map((v) => html`<option value=${v} ?selected=${v === this.budget}>up to ${v}× the linear model</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Keys of the facts</span>
        <select @change=${(e) => this.setState({ keys: e.target.value })}>
          <option value="correlated" ?selected=${this.keys === 'correlated'}>alike (cosine 0.5)</option>
          <option value="random" ?selected=${this.keys === 'random'}>random</option>
        </select>
      </label>
      <label class="control">
        <span>Linear model</span>
        <select @change=${(e) => this.setState({ rule: e.target.value })}>
          ${Object.entries(RULES).map(([k, v]) => html`<option value=${k} ?selected=${k === this.rule}>${v.label}</option>`)}
        </select>
      </label>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _scales() {
    const width = Math.max(280, Math.min(780, this._width || this.clientWidth - 30 || 640));
    const height = Math.round(Math.min(360, Math.max(240, width * 0.5)));
    const m = { top: 12, right: 16, bottom: 42, left: 52 };
    const f = { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
    return { f, x: scaleLog().domain(N_RANGE).range([0, f.iw]), y: scaleLog().base(2).domain(K_RANGE).range([f.ih, 0]) };
  }

  _click(e) {
    const { f, x, y } = this._scales();
    const box = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - box.left - f.m.left;
    const py = e.clientY - box.top - f.m.top;
    if (px < 0 || py < 0 || px > f.iw || py > f.ih) return;
    this.setState({ n: Math.round(x.invert(px)), facts: Math.max(1, Math.min(K_RANGE[1], Math.round(y.invert(py)))) });
  }

  renderFigure() {
    const r = this._res;
    const b = r.bounds;
    const { f, x, y } = this._scales();
    const cx = Math.min(f.iw, Math.max(0, x(Math.min(Math.max(b.crossover, N_RANGE[0]), N_RANGE[1]))));
    const cy = b.capacity === null ? null : y(Math.min(Math.max(b.capacity, K_RANGE[0]), K_RANGE[1]));
    const s = this._search;
    const region = (kind, x0, y0, w, h) =>
      w > 0 && h > 0 ? svg`<rect x=${x0} y=${y0} width=${w} height=${h} fill=${FILL[kind]} opacity="0.22"></rect>
        ${w > 70 && h > 24 ? svg`<text x=${x0 + w / 2} y=${y0 + Math.min(h / 2, 22) + 4} text-anchor="middle" font-size="13" font-weight="700" stroke="var(--_bg)" stroke-width="4" paint-order="stroke">${LABEL[kind].replace(' attention', '')}</text>` : nothing}` : nothing;
    return html`
      <div class="progress" part="progress">
        ${s && s.running ? html`<progress aria-label="Capacity search in progress"></progress>` : nothing}
        <span
          >${s && s.running
            ? `Measuring the ${RULES[s.rule].label}'s capacity with core.recall: probe ${s.step} (${s.note})`
            : s && s.cancelled
              ? 'Capacity search cancelled.'
              : `Boundaries: crossover at ${grouped(b.crossover)} tokens (core.cost), capacity ${b.capacity ?? '… (measured when the map is on screen)'} facts (core.recall).`}</span
        >
        ${this._progressButton(s)}
      </div>
      <div class="surface" part="map" tabindex="0" role="group" aria-label="Decision map. Left and right arrows change the length, up and down the facts to recall.">
        <svg class="map" width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="Regions of the decision map and your task" @click=${(e) => this._click(e)}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${region('softmax', 0, 0, cx, f.ih)}
            ${cy !== null ? svg`${region('linear', cx, cy, f.iw - cx, f.ih - cy)}${region('hybrid', cx, 0, f.iw - cx, cy)}` : nothing}
            <line x1=${cx} x2=${cx} y1="0" y2=${f.ih} stroke="var(--_fg)" stroke-dasharray="5 3"></line>
            ${cy !== null ? svg`<line x1=${cx} x2=${f.iw} y1=${cy} y2=${cy} stroke="var(--_fg)" stroke-dasharray="5 3"></line>` : nothing}
            <circle cx=${x(r.n)} cy=${y(r.facts)} r="8" fill="var(--_bg)" stroke="var(--_fg)" stroke-width="3"></circle>
            <circle cx=${x(r.n)} cy=${y(r.facts)} r="3" fill="var(--_fg)"></circle>
            <text x=${f.iw / 2} y=${f.ih + 34} text-anchor="middle" font-size="12">sequence length (tokens, log scale)</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-38" text-anchor="middle" font-size="12">facts to recall precisely</text>
          </g>
        </svg>
      </div>
      <p class="legend">
        <span class="softmax"><span class="swatch sw-softmax"></span>softmax attention</span>
        <span class="linear"><span class="swatch sw-linear"></span>${RULES[this.rule].label}</span>
        <span><span class="swatch sw-hybrid"></span>hybrid (1 softmax : 3 Gated DeltaNet)</span>
      </p>
      ${this._recommendation()}
    `;
  }

  // One button that keeps its place (and the keyboard focus) whatever the search is doing.
  _progressButton(s) {
    const running = !!(s && s.running);
    const cancelled = !!(s && s.cancelled);
    const idle = !running && !cancelled;
    return html`<button
      class=${idle ? 'idle' : ''}
      aria-disabled=${idle ? 'true' : 'false'}
      @click=${() => (running ? this.cancelSearch() : cancelled ? this._startCapacity(`${this.rule}|${this.keys}`) : null)}
    >
      ${cancelled ? 'Finish it' : 'Cancel'}
    </button>`;
  }

  _recommendation() {
    const r = this._res;
    const b = r.bounds;
    const rule = RULES[this.rule];
    const pct = (a) => `${fixed(a * 100, 0)}%`;
    const reasons = [
      html`<li>
        At ${grouped(this.n)} tokens, softmax attention's token-by-token work is ${short(r.ratio)}× the ${rule.label}'s (core.cost); the budget allows
        ${this.budget}×, which softmax exceeds from ${grouped(b.crossover)} tokens on.
      </li>`,
      html`<li>
        The task needs ${this.facts} fact${this.facts === 1 ? '' : 's'}. A ${D} × ${D} ${rule.label} state
        ${r.at?.result ? html`recalls ${pct(r.at.result.accuracy)} of ${this.facts} (core.recall, ${r.at.spec.trials} trials)` : r.at ? 'is not measured at this size here (one trial would block the page)' : 'is being measured'}${b.capacity === null ? '' : html`, and keeps ${pct(THRESHOLD)} or better up to ${b.capacity} facts`};
        softmax attention ${r.soft?.result ? html`recalls ${pct(r.soft.result.accuracy)}` : 'keeps every pair in its cache'}.
      </li>`,
    ];
    if (r.choice === 'hybrid')
      reasons.push(
        html`<li>
          A hybrid with one softmax layer in four keeps an exact cache for recall and costs ${short(r.macs.hybrid / r.macs.linear)}× the linear model here, against
          ${short(r.macs.soft / r.macs.linear)}× for softmax throughout.
        </li>`,
      );
    return html`<div class="recommend">
      <strong>${r.choice ? `Recommendation: ${LABEL[r.choice]}` : 'Recommendation: waiting for the capacity search…'}</strong>
      <ul>
        ${reasons}
      </ul>
    </div>`;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('svg.map');
    if (!el) return;
    const { f, x, y } = this._scales();
    drawAxes(el, {
      innerWidth: f.iw,
      x: { scale: x, values: [100, 1000, 10000, 100000, 1000000], format: compactFormat },
      y: { scale: y, values: [1, 2, 4, 8, 16, 32, 64, 128, 256], format: (v) => String(v) },
    });
  }

  renderReadouts() {
    const r = this._res;
    const b = r.bounds;
    return html`
      ${readout('Recommendation', r.choice ? LABEL[r.choice] : '…', `${grouped(this.n)} tokens, ${this.facts} facts`)}
      ${readout('Cost crossover', `${grouped(b.crossover)} tokens`, `softmax over ${this.budget}× the ${RULES[this.rule].label} (core.cost)`, 'softmax')}
      ${readout('Recall capacity', b.capacity === null ? '…' : `${b.atLeast ? 'at least ' : ''}${b.capacity} facts`, b.atLeast ? 'larger K is too slow to measure in this page' : `${THRESHOLD * 100}% or better, ${D} × ${D} state (core.recall)`, 'linear')}
      ${readout('Cost ratio here', `${short(r.ratio)} : 1`, 'softmax over the linear model')}
    `;
  }

  renderTable() {
    const cap = this._capacity.get(`${this.rule}|${this.keys}`);
    const probes = cap ? cap.probes : [];
    const lengths = [100, 1000, 10000, 100000, 1000000];
    return html`${dataTable(
      `Capacity search for the ${RULES[this.rule].label} (core.recall, ${this.keys} keys, d = ${D})`,
      ['probe', 'K', 'accuracy', 'trials', `≥ ${THRESHOLD * 100}%`],
      probes.map((p, i) => [String(i + 1), String(p.K), `${fixed(p.accuracy * 100, 1)}%`, String(p.trials), p.accuracy >= THRESHOLD ? 'yes' : 'no']),
    )}
    ${dataTable(
      'Softmax over the linear model, token by token (core.cost)',
      ['tokens', 'ratio', 'within budget'],
      lengths.map((n) => {
        const q = costRatio(this.core, this.rule, n);
        return [grouped(n), short(q), q <= this.budget ? 'yes' : 'no'];
      }),
    )}`;
  }
}
