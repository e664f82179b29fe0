/**
 * <attn-recall-lab>: associative recall, measured live through the real variants.
 * Chapter 5, "The catch".
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
 *   pairs   K, the number of pairs, 1 … 256 (default 48)
 *   d       state size (key and value dimension): 8 | 16 | 32 | 64 | 128 (default 32)
 *   keys    'random' | 'orthogonal' | 'correlated' (default 'random')
 *   cosine  pairwise cosine of correlated keys, 0 … 0.9 (default 0.5)
 *   seed    seed of the keys and values (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }; attn-sweep { points } when a sweep completes.
 * Keyboard: on the plot, ← → change K one notch, Home / End go to 1 / 256 pairs, ↑ ↓ change d.
 * CSS custom properties: --attn-softmax, --attn-linear, --attn-highlight (delta rule) and the common
 *   --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, plot, progress.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLog, scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable, messageOf } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes } from '../frame/chart.js';
import { fixed, short, grouped } from '../frame/format.js';
import { MODELS, recallSpec, timedRecall } from '../core/recall.js';
import { runInSlices } from '../core/slices.js';

const MAX_K = 256;
export const NOTCHES = [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256];
export const SWEEP = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];

const TABLE = [
  { key: 'pairs', type: 'int', default: 48, min: 1, max: MAX_K, label: 'Pairs K' },
  { key: 'd', type: 'enum', default: 32, values: [8, 16, 32, 64, 128], label: 'State size d' },
  { key: 'keys', type: 'enum', default: 'random', values: ['random', 'orthogonal', 'correlated'], label: 'Keys' },
  { key: 'cosine', type: 'number', default: 0.5, min: 0, max: 0.9, label: 'Key cosine' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

const COLORS = { softmax: 'var(--_softmax)', linear: 'var(--_linear)', delta: 'var(--_highlight)' };
const DASH = { softmax: '', linear: '', delta: '6 3' };

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
    return 'Associative recall: how many pairs can each memory give back?';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const acc = (k) => (r.at[k]?.result ? `${Math.round(r.at[k].result.accuracy * 100)}%` : 'not yet computed');
    return `Line chart of recall accuracy against the number of stored pairs K, on a log scale from 1 to ${MAX_K}, for a state of size d = ${r.d} with ${r.keys} keys. At K = ${r.pairs}: softmax attention recalls ${acc('softmax')}, linear attention ${acc('linear')}, the delta rule ${acc('delta')}. A dashed vertical line marks K = d.`;
  }

  _base() {
    return { d: this.d, keys: this.keys, cosine: this.cosine, seed: this.seed };
  }

  _at() {
    return Object.fromEntries(MODELS.map((m) => [m.key, this._points.get(`${m.key}|${this.pairs}`) ?? null]));
  }

  // Every recall call runs in the queue below, a slice at a time, so no setting change waits for
  // one; compute() only checks the settings with one tiny call (a bad one shows its error at once)
  // and restarts the queue with the chosen K first.
  compute(changed) {
    const base = this._base();
    const sweepKey = JSON.stringify(base);
    this.core.recall({ ...recallSpec(MODELS[1], { ...base, pairs: 1, trials: 1 }) });
    if (sweepKey !== this._sweepKey || changed?.has('core')) {
      this._points = new Map();
      this._sweepKey = sweepKey;
    }
    this._res = { ...base, pairs: this.pairs, at: this._at() };
    this._runQueue();
  }

  _wanted() {
    const ks = [this.pairs, ...SWEEP.filter((K) => K !== this.pairs)];
    return ks.flatMap((K) => MODELS.map((m) => ({ m, K })));
  }

  async _runQueue() {
    if (!this._visible) return;
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    const base = this._base();
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
      const r = timedRecall(this.core, recallSpec(m, { ...base, pairs: K }));
      this._points.set(`${m.key}|${K}`, r);
      return K;
    });
    try {
      await runInSlices(jobs, {
        signal: abort.signal,
        onResult: (K) => {
          if (this._abort !== abort) return;
          if (K === this.pairs) {
            this._res = { ...this._res, at: this._at() };
            if (MODELS.every((m) => this._points.has(`${m.key}|${K}`))) this._announceAt();
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
    const pc = (k) => (at[k]?.result ? `${Math.round(at[k].result.accuracy * 100)}%` : 'not computed');
    this.announce(`${this.pairs} pairs in d = ${this.d}: softmax ${pc('softmax')}, linear ${pc('linear')}, delta rule ${pc('delta')} recalled.`);
  }

  cancelSweep() {
    this._abort?.abort();
  }

  resumeSweep() {
    this._runQueue();
  }

  // Points computed so far for the current d, keys and seed: { model key: [{ K, accuracy, meanCosine,
  // sir, trials }] }, sorted by K.
  sweepPoints() {
    const out = {};
    for (const m of MODELS) {
      out[m.key] = [];
      for (const [k, { spec, result }] of this._points) {
        const [mk, K] = k.split('|');
        if (mk === m.key && result) out[m.key].push({ K: Number(K), accuracy: result.accuracy, meanCosine: result.meanCosine, sir: result.sir, trials: spec.trials });
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
    const ds = TABLE[1].values;
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
          ${TABLE[1].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v} (${v} × ${v} state)</option>`)}
        </select>
      </label>
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
    return { f, x: scaleLog().base(2).domain([1, MAX_K]).range([0, f.iw]), y: scaleLinear().domain([0, 1]).range([f.ih, 0]) };
  }

  renderFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const pts = this.sweepPoints();
    const p = this._progress;
    const slow = p && p.skipped ? ` (${p.skipped} too slow to run in this page)` : '';
    return html`
      <div class="progress" part="progress">
        ${p && p.running ? html`<progress max=${p.total} .value=${p.done} aria-label="Sweep progress"></progress>` : nothing}
        <span
          >${p && p.running
            ? `Sweeping K: ${p.done} of ${p.total} recall runs`
            : p && p.cancelled
              ? `Sweep cancelled after ${p.done} of ${p.total} runs.`
              : p
                ? `Sweep complete: ${p.total} recall runs by the core${slow}.`
                : 'The sweep starts when this figure is on screen.'}</span
        >
        <button @click=${() => (p && p.running ? this.cancelSweep() : p && p.cancelled ? this.resumeSweep() : this.setState({ seed: this.seed + 1 }))}>
          ${p && p.running ? 'Cancel' : p && p.cancelled ? 'Finish the sweep' : 'New pairs'}
        </button>
      </div>
      <div class="surface" part="plot" tabindex="0" role="group" aria-label="Recall accuracy plot. Left and right arrows change the number of pairs, up and down the state size.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${`Recall accuracy against pairs, d = ${r.d}`}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${svg`<line x1=${x(r.d)} x2=${x(r.d)} y1="0" y2=${f.ih} stroke="var(--_muted)" stroke-dasharray="2 4"></line>
              <text x=${x(r.d) - 4} y=${f.ih - 8} text-anchor="end" font-size="11">K = d</text>`}
            ${MODELS.map((m) => {
              const data = pts[m.key];
              if (!data.length) return nothing;
              const d = line()
                .x((q) => x(q.K))
                .y((q) => y(q.accuracy))(data);
              return svg`<path d=${d} fill="none" stroke=${COLORS[m.key]} stroke-width="2.5" stroke-dasharray=${DASH[m.key]}></path>
                ${data.map((q) => svg`<circle cx=${x(q.K)} cy=${y(q.accuracy)} r="2.6" fill=${COLORS[m.key]}></circle>`)}`;
            })}
            <line x1=${x(r.pairs)} x2=${x(r.pairs)} y1="0" y2=${f.ih} stroke="var(--_fg)" stroke-width="1"></line>
            ${MODELS.map((m) => (r.at[m.key]?.result ? svg`<circle cx=${x(r.pairs)} cy=${y(r.at[m.key].result.accuracy)} r="5" fill="var(--_bg)" stroke=${COLORS[m.key]} stroke-width="2.5"></circle>` : nothing))}
            <text x=${f.iw / 2} y=${f.ih + 35} text-anchor="middle" font-size="12">pairs stored, K (log scale)</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-36" text-anchor="middle" font-size="12">recall accuracy</text>
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

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('.surface svg');
    if (!el) return;
    const { f, x, y } = this._scales();
    drawAxes(el, {
      innerWidth: f.iw,
      x: { scale: x, values: [1, 2, 4, 8, 16, 32, 64, 128, 256], format: (v) => String(v) },
      y: { scale: y, count: 5, format: (v) => `${Math.round(v * 100)}%` },
    });
  }

  renderReadouts() {
    const r = this._res;
    const one = (m) => {
      const a = r.at[m.key];
      if (!a) return readout(m.label, 'computing…', `K = ${r.pairs}`, m.key === 'delta' ? '' : m.key);
      if (!a.result) return readout(m.label, 'not run here', 'one trial would block the page too long', m.key === 'delta' ? '' : m.key);
      const { result, spec } = a;
      const sir = Number.isFinite(result.sir) ? short(result.sir) : '∞ (no interference)';
      return readout(m.label, `${fixed(result.accuracy * 100, 1)}% recalled`, `mean cosine ${fixed(result.meanCosine)}, signal / interference ${sir}, ${spec.trials} trials`, m.key === 'delta' ? '' : m.key);
    };
    return html`${MODELS.map(one)}
    ${readout('Memory held', `${grouped(r.pairs * 2 * r.d)} vs ${grouped(r.d * r.d)} floats`, `KV cache for ${r.pairs} pairs vs a ${r.d} × ${r.d} state`)}`;
  }

  renderTable() {
    const r = this._res;
    const pts = this.sweepPoints();
    const ks = [...new Set(MODELS.flatMap((m) => pts[m.key].map((q) => q.K)))].sort((a, b) => a - b);
    const cell = (key, K) => {
      const q = pts[key].find((p) => p.K === K);
      return q ? `${fixed(q.accuracy * 100, 1)}% (${q.trials})` : '—';
    };
    const rows = ks.map((K) => [String(K), cell('softmax', K), cell('linear', K), cell('delta', K)]);
    const age = MODELS.map((m) => (r.at[m.key]?.result ? Array.from(r.at[m.key].result.byAge) : null));
    const ageRows = [];
    for (let i = 0; i < r.pairs; i++) ageRows.push([String(i + 1), ...age.map((a) => (a ? `${fixed(a[i] * 100, 0)}%` : '—'))]);
    return html`${dataTable(`Recall accuracy by K, d = ${r.d}, ${r.keys} keys (trials in brackets)`, ['K', 'softmax', 'linear', 'delta rule'], rows)}
    ${dataTable(`Accuracy by pair age at K = ${r.pairs} (1 = written first)`, ['pair', 'softmax', 'linear', 'delta rule'], ageRows)}`;
  }
}

