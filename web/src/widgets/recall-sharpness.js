/**
 * <attn-recall-sharpness>: how sharply a query can single out one past token.
 * Chapter 5, "The catch".
 *
 * n seeded key vectors stand for the past tokens, all scaled to the same length √d (the typical
 * length of a d-dimensional standard normal vector); the last token's query is set equal to the key
 * of the target token, so it "wants" that token. Equal lengths make the target's key the query's best
 * match (no other key of that length has a larger dot product with it), so any readout that only
 * grows with the dot product (softmax at every temperature, and the Taylor map on these keys) ranks
 * the target first; feature maps such as elu+1, relu and Performer's make no such promise, and a
 * survey over a hundred key sets counts how often the current readout really puts its largest weight on
 * the target. The weights it puts on every token are computed by
 * the core: the values fed to the run are the rows of the n x n identity, so the output row of the
 * query is exactly its weight vector, as the core computed it. One slider walks a ladder from
 * linear attention with its feature maps (elu+1, relu, Performer's random features, Based's
 * second-order Taylor map; all normalised, so the weights sum to 1) to softmax attention at
 * falling temperatures τ (scale = 1 / (τ √d)). A strip below shows the weight on the target at
 * every rung, so the whole ladder is visible at once.
 *
 * The class carries `inputsFor(seed, n, d, target)` and `callFor(rung, d)` (static), the inputs and
 * the core call of the figure, so a host or a test can recompute any key set's weights.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   rung    position on the ladder, 0 … 8 (default 6: softmax at τ = 1)
 *   n       tokens, 6 … 32 (default 12)
 *   target  the token the query wants, 1 … n (default 7)
 *   d       key dimension: 8 | 16 | 32 | 64 (default 16)
 *   seed    seed of the key vectors (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the figure, ← → move along the ladder (→ sharper), ↑ ↓ move the target token,
 *   Home / End jump to the ends of the ladder.
 * CSS custom properties: --attn-softmax, --attn-linear, --attn-highlight (the target) and the
 *   common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, plot, ladder.
 */
import { html, svg, css } from 'lit';
import { cssProps } from '../frame/css-props.js';
import { scaleBand, scaleLinear } from 'd3-scale';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes } from '../frame/chart.js';
import { fixed, short } from '../frame/format.js';
import { tokenVectors, identityRows } from '../core/inputs.js';
import { runInSlices } from '../core/slices.js';

// The ladder, from the bluntest readout to the sharpest. Feature maps are the core's own options.
export const LADDER = [
  { family: 'linear', featureMap: 'elu1', label: 'linear, φ = elu+1', short: 'elu+1' },
  { family: 'linear', featureMap: 'relu', label: 'linear, φ = relu', short: 'relu' },
  { family: 'linear', featureMap: 'taylor2', label: 'linear, φ = Taylor-2', short: 'Taylor' },
  { family: 'linear', featureMap: 'performer', label: 'linear, φ = Performer', short: 'Perf.' },
  { family: 'softmax', tau: 4, label: 'softmax, τ = 4' },
  { family: 'softmax', tau: 2, label: 'softmax, τ = 2' },
  { family: 'softmax', tau: 1, label: 'softmax, τ = 1' },
  { family: 'softmax', tau: 0.5, label: 'softmax, τ = 0.5' },
  { family: 'softmax', tau: 0.25, label: 'softmax, τ = 0.25' },
];

const TABLE = [
  { key: 'rung', type: 'int', default: 6, min: 0, max: LADDER.length - 1, label: 'Sharpness' },
  { key: 'n', type: 'int', default: 12, min: 6, max: 32, label: 'Tokens' },
  { key: 'target', type: 'int', default: 7, min: 1, max: 32, label: 'Target token' },
  { key: 'd', type: 'enum', default: 16, values: [8, 16, 32, 64], label: 'Key dimension d' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

// The run that yields the query's weights at one rung: variant id and options.
export function rungCall(rung, d) {
  if (rung.family === 'softmax') return { id: 'softmax', options: { scale: 1 / (Math.sqrt(d) * rung.tau) } };
  return { id: 'linear', options: { featureMap: rung.featureMap, normalize: true } };
}

// Key sets in the survey of "is the target ranked first?".
export const SURVEY = 100;

// Keys are the seeded k rows scaled to length √d; every query row is the target's key (only the last
// row is read). Scaling only sets the lengths, the directions are the seeded ones.
export function sharpnessInputs(seed, n, d, target) {
  const vec = tokenVectors(seed, n, d, d);
  const k = new Float32Array(n * d);
  for (let t = 0; t < n; t++) {
    let len2 = 0;
    for (let i = 0; i < d; i++) len2 += vec.k[t * d + i] ** 2;
    const s = len2 > 0 ? Math.sqrt(d / len2) : 0;
    for (let i = 0; i < d; i++) k[t * d + i] = vec.k[t * d + i] * s;
  }
  const q = new Float32Array(n * d);
  const kt = k.subarray((target - 1) * d, target * d);
  for (let t = 0; t < n; t++) q.set(kt, t * d);
  return { q, k, v: identityRows(n) };
}

// The last token's weights over all n tokens at one rung, as the core computes them: the values are
// the identity rows, so its output row is its weight vector.
function queryWeights(core, inputs, rung, n, d) {
  const call = rungCall(rung, d);
  return core.run(call.id, inputs, { n, dk: d, dv: n, form: 'parallel', ...call.options }).output.slice((n - 1) * n, n * n);
}

// Index of the largest weight (the first, on a tie).
function argmax(w) {
  let best = 0;
  for (let j = 1; j < w.length; j++) if (w[j] > w[best]) best = j;
  return best;
}

export class RecallSharpness extends AttnWidget {
  static widgetName = 'recall-sharpness';
  static inputsFor = sharpnessInputs;
  static callFor = (rung, d) => rungCall(LADDER[rung], d);
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
  static styles = [
    AttnWidget.styles,
    css`
      svg {
        display: block;
        overflow: visible;
      }
      .ladder {
        display: grid;
        grid-template-columns: repeat(9, minmax(0, 1fr));
        gap: 3px;
        margin-top: 0.6rem;
        align-items: end;
      }
      .ladder button {
        display: grid;
        gap: 2px;
        align-content: end;
        padding: 0.2rem 0.1rem;
        min-height: 4.6rem;
        font-size: 0.7em;
        background: transparent;
        min-width: 0;
        border: 1px solid transparent;
        border-radius: 4px;
        color: var(--_muted);
      }
      .ladder .rung-name {
        white-space: nowrap;
        overflow: hidden;
      }
      .ladder button[aria-pressed='true'] {
        border-color: var(--_fg);
        color: var(--_fg);
      }
      .ladder .bar {
        width: 70%;
        justify-self: center;
        border-radius: 2px 2px 0 0;
      }
      .ladder .bar.softmax {
        background: var(--_softmax);
      }
      .ladder .bar.linear {
        background: var(--_linear);
      }
      .ladder-caption {
        font-size: 0.85em;
        color: var(--_muted);
        margin: 0.2rem 0 0;
      }
      .ends {
        display: flex;
        gap: 1rem;
        justify-content: space-between;
        font-size: 0.8em;
        color: var(--_muted);
        width: min(22rem, 100%);
      }
    `,
  ];

  constructor() {
    super();
    this._width = 0;
    this._surveys = new Map();
  }

  onDispose() {
    unobserveWidth(this);
    this._surveyAbort?.abort();
  }

  titleText() {
    return 'Where a query that wants one token puts its attention';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    return `Bar chart of the attention weights that the query of token ${r.n} puts on tokens 1 to ${r.n}, for ${r.rung.label}. All keys have the same length and the query equals the key of token ${r.target}, the target, which receives ${fixed(r.weights[r.target - 1])} of the weight; the largest weight elsewhere is ${fixed(r.other.w)} on token ${r.other.j}. ${r.survey === null ? '' : `Over ${SURVEY} key sets, this readout puts its largest weight on the target in ${r.survey} of them.`} Below, the weight on the target at every step of the ladder from linear attention to sharp softmax.`;
  }

  compute(changed) {
    const core = this.core;
    const n = this.n;
    const d = this.d;
    const target = Math.min(this.target, n);
    // moving along the ladder only picks another of the runs already made
    if (changed && this.viewOnly(changed, ['rung'])) {
      const r = this._res;
      this._res = { ...r, ...this._pick(r.ladder, r.target), rung: LADDER[this.rung], call: rungCall(LADDER[this.rung], d), survey: this._survey(n, d, target) };
      this._announce();
      return;
    }
    const inputs = sharpnessInputs(this.seed, n, d, target);
    const ladder = LADDER.map((rung) => queryWeights(core, inputs, rung, n, d));
    const rung = LADDER[this.rung];
    this._res = { n, d, target, rung, ladder, inputs, call: rungCall(rung, d), ...this._pick(ladder, target), survey: this._survey(n, d, target) };
    this._announce();
  }

  // In how many of SURVEY key sets (seeds seed … seed + SURVEY − 1) the current rung puts its largest
  // weight on the target: one core run per key set, kept per setting. A survey not yet counted is
  // counted after the figure has painted, a few key sets per task, so a change never waits for it;
  // meanwhile the readout says so (null).
  _survey(n, d, target) {
    const key = `${this.rung}|${n}|${d}|${target}|${this.seed}`;
    const hits = this._surveys.get(key);
    // any survey still counting is for other settings now
    this._surveyAbort?.abort();
    this._surveyAbort = null;
    if (hits !== undefined) return hits;
    const abort = new AbortController();
    this._surveyAbort = abort;
    const { rung, seed } = this;
    let count = 0;
    const jobs = Array.from({ length: SURVEY / 10 }, (_, b) => () => {
      for (let s = b * 10; s < (b + 1) * 10; s++) {
        const w = queryWeights(this.core, sharpnessInputs(seed + s, n, d, target), LADDER[rung], n, d);
        if (argmax(w) === target - 1) count++;
      }
    });
    runInSlices(jobs, { signal: abort.signal }).then(
      () => {
        if (this._surveys.size > 200) this._surveys.clear();
        this._surveys.set(key, count);
        if (this._surveyAbort !== abort || !this._res) return;
        this._surveyAbort = null;
        this._res = { ...this._res, survey: count };
        this.requestUpdate();
      },
      (err) => {
        if (err.name !== 'AbortError' && this._surveyAbort === abort) this._error = `The survey failed: ${err.message}`;
      },
    );
    return null;
  }

  // The current rung's weights and the largest weight off the target.
  _pick(ladder, target) {
    const weights = ladder[this.rung];
    let other = { j: 0, w: -Infinity };
    for (let j = 0; j < weights.length; j++) if (j !== target - 1 && weights[j] > other.w) other = { j: j + 1, w: weights[j] };
    return { weights, other };
  }

  _announce() {
    const { rung, weights, target, other } = this._res;
    this.announce(`${rung.label}: token ${target} gets ${fixed(weights[target - 1], 2)} of the weight; the next largest is token ${other.j} with ${fixed(other.w, 2)}.`);
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const last = LADDER.length - 1;
    switch (key) {
      case 'ArrowRight':
        this.setState({ rung: Math.min(last, this.rung + 1) });
        return true;
      case 'ArrowLeft':
        this.setState({ rung: Math.max(0, this.rung - 1) });
        return true;
      case 'ArrowUp':
        this.setState({ target: Math.min(this.n, this.target + 1) });
        return true;
      case 'ArrowDown':
        this.setState({ target: Math.max(1, this.target - 1) });
        return true;
      case 'Home':
        this.setState({ rung: 0 });
        return true;
      case 'End':
        this.setState({ rung: last });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    return html`
      <label class="control">
        <span>Sharpness: ${LADDER[this.rung].label}</span>
        <input
          type="range"
          min="0"
          max=${LADDER.length - 1}
          step="1"
          .value=${String(this.rung)}
          aria-valuetext=${LADDER[this.rung].label}
          @input=${(e) => this.setState({ rung: Number(e.target.value) })}
        />
        <span class="ends" aria-hidden="true"><span>linear (blurry)</span><span>softmax (sharp)</span></span>
      </label>
      <label class="control">
        <span>Target token</span>
        <input
          type="number"
          min="1"
          max=${this.n}
          .value=${String(Math.min(this.target, this.n))}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) this.setState({ target: Math.min(this.n, Math.max(1, v)) });
            else e.target.value = String(this.target);
          }}
        />
      </label>
      <label class="control">
        <span>Tokens</span>
        <input
          type="number"
          min="6"
          max="32"
          .value=${String(this.n)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) {
              const n = Math.min(32, Math.max(6, v));
              this.setState({ n, target: Math.min(this.target, n) });
            } else e.target.value = String(this.n);
          }}
        />
      </label>
      <label class="control">
        <span>Key dimension d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value) })}>
          ${TABLE[3].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v}</option>`)}
        </select>
      </label>
      <button @click=${() => this.setState({ seed: this.seed + 1 })}>New keys</button>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame() {
    const width = Math.max(280, Math.min(760, this._width || this.clientWidth - 30 || 600));
    const height = 230;
    const m = { top: 12, right: 12, bottom: 40, left: 48 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const f = this._frame();
    const r = this._res;
    const x = scaleBand()
      .domain(Array.from({ length: r.n }, (_, i) => i + 1))
      .range([0, f.iw])
      .padding(0.18);
    let top = 1;
    for (const w of r.weights) top = Math.max(top, w);
    let bottom = 0;
    for (const w of r.weights) bottom = Math.min(bottom, w);
    const y = scaleLinear().domain([bottom, top]).range([f.ih, 0]);
    return { f, x, y };
  }

  renderFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const color = r.rung.family === 'softmax' ? 'var(--_softmax)' : 'var(--_linear)';
    return html`
      <div
        class="surface"
        part="plot"
        tabindex="0"
        role="group"
        aria-label="Attention weights. Left and right arrows change the sharpness, up and down move the target token."
      >
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${`Weights over ${r.n} tokens, target token ${r.target}`}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${Array.from(r.weights, (w, j) => {
              const isTarget = j === r.target - 1;
              const y0 = y(Math.max(0, w));
              const h = Math.abs(y(w) - y(0));
              return svg`<rect x=${x(j + 1)} y=${y0} width=${x.bandwidth()} height=${Math.max(h, 0.5)}
                fill=${isTarget ? 'var(--_highlight)' : color} opacity=${isTarget ? 1 : 0.85}></rect>`;
            })}
            <text x=${x(r.target) + x.bandwidth() / 2} y=${Math.max(10, y(Math.max(0, r.weights[r.target - 1])) - 5)} text-anchor="middle" font-size="11">target</text>
            <text x=${f.iw / 2} y=${f.ih + 34} text-anchor="middle" font-size="12">past token (the query is token ${r.n})</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-36" text-anchor="middle" font-size="12">attention weight</text>
          </g>
        </svg>
      </div>
      <div class="ladder" part="ladder" role="group" aria-label="Weight on the target at every step of the ladder">
        ${LADDER.map((rung, i) => {
          const w = r.ladder[i][r.target - 1];
          return html`<button aria-pressed=${i === this.rung ? 'true' : 'false'} @click=${() => this.setState({ rung: i })}>
            <span class="sr-only">${rung.label}, weight on the target:</span>
            <span>${fixed(w, 2)}</span>
            <span class="bar ${rung.family}" ${cssProps({ height: `${Math.max(1, Math.round(Math.max(0, Math.min(1, w)) * 40))}px` })}></span>
            <span class="rung-name">${rung.family === 'softmax' ? `τ ${rung.tau}` : rung.short}</span>
          </button>`;
        })}
      </div>
      <p class="ladder-caption">Weight on the target token at each step: linear attention with four feature maps (left), then softmax at lower and lower temperature (right). A hot softmax can be as blunt as linear attention; a cold one puts nearly all of its weight on the target.</p>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('.surface svg');
    if (!el || !this._res) return;
    const { f, x, y } = this._scales();
    drawAxes(el, {
      innerWidth: f.iw,
      x: { scale: x, values: x.domain().filter((t) => this._res.n <= 16 || t % 2 === 1 || t === this._res.target) },
      y: { scale: y, count: 5, format: (v) => short(v) },
    });
  }

  renderReadouts() {
    const r = this._res;
    const sum = r.weights.reduce((a, b) => a + b, 0);
    return html`
      ${readout(`Weight on token ${r.target}`, fixed(r.weights[r.target - 1]), 'the target', r.rung.family)}
      ${readout('Largest elsewhere', fixed(r.other.w), `token ${r.other.j}`)}
      ${readout('Readout', r.rung.label, r.call.id === 'softmax' ? `core.run('softmax'), scale ${short(r.call.options.scale)}` : `core.run('linear'), featureMap '${r.call.options.featureMap}'`)}
      ${readout('Weights add up to', fixed(sum), r.rung.family === 'softmax' ? 'the softmax normalises' : 'normalised by φ(q)·z')}
      ${readout('Target ranked first', r.survey === null ? 'counting…' : `${r.survey} of ${SURVEY}`, `key sets, seeds ${this.seed} to ${this.seed + SURVEY - 1}, ${r.rung.short ?? r.rung.label}`)}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = Array.from(r.weights, (w, j) => [`${j + 1}${j === r.target - 1 ? ' (target)' : ''}`, fixed(w, 4)]);
    const lrows = LADDER.map((rung, i) => [rung.label, fixed(r.ladder[i][r.target - 1], 4)]);
    return html`${dataTable(`Attention weights of token ${r.n}'s query, ${r.rung.label}`, ['token', 'weight'], rows)}
    ${dataTable(`Weight on the target (token ${r.target}) at each step of the ladder`, ['readout', 'weight on target'], lrows)}`;
  }
}
