/**
 * <attn-kernel-view>: how closely a feature map's φ(q)·φ(k) follows the softmax kernel e^{q·k/√d}.
 * Chapter 3, "The associativity trick".
 *
 * Softmax weighs a key by e^{q·k/√d}; linear attention weighs it by φ(q)·φ(k), which splits into a
 * query part and a key part and can therefore be regrouped. The figure samples pairs of seeded q, k
 * vectors and plots, for each pair, the exact kernel across and φ(q)·φ(k) up, with the line y = x
 * where a perfect imitation would lie. The feature rows come from core.featureMap, the very rows the
 * linear variant computes for its queries and keys; the widget only takes their dot products. Two
 * fit readouts: the rank correlation (does φ order the pairs as the exponential does?) and the median
 * relative error (does it reproduce the values?). Taylor-2 and Performer are built to approximate the
 * exponential, elu+1, relu and the identity are other similarities altogether; none is exact, since
 * the exponential has no finite set of features.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   map       the feature map: 'elu1' | 'relu' | 'identity' | 'taylor2' | 'performer' (default 'elu1')
 *   d         key dimension: 4 | 8 | 16 | 32 (default 16)
 *   spread    standard deviation σ of the vector entries: 0.5 | 0.75 | 1 | 1.25 | 1.5 (default 1); the
 *             scores q·k/√d spread like σ²
 *   features  Performer's number of random features m: 16 | 64 | 256 | 1024 (default 64)
 *   seed      seed of the sampled vectors (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the plot, ← → the previous / next feature map, ↑ ↓ a larger / smaller d,
 *   Home / End the first / last map.
 * CSS custom properties: --attn-linear (the pairs), --attn-softmax (the line y = x) and the common
 *   --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, plot.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLinear } from 'd3-scale';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes } from '../frame/chart.js';
import { fixed, short, grouped } from '../frame/format.js';
import { tokenVectors } from '../core/inputs.js';

// Enough pairs to show the shape of the cloud; more only slow the largest maps down (Taylor-2 has
// 1 + d + d² features, Performer up to 1024 exponentials, per vector).
export const PAIRS = 128;

export const MAPS = [
  { id: 'elu1', label: 'elu + 1', note: 'positive, not an approximation of the exponential' },
  { id: 'relu', label: 'relu', note: 'positive, not an approximation of the exponential' },
  { id: 'identity', label: 'identity', note: 'φ(q)·φ(k) = q·k itself' },
  { id: 'taylor2', label: 'Taylor-2', note: '1 + s + s²/2, the exponential’s series to second order' },
  { id: 'performer', label: 'Performer', note: 'random features whose average is the exponential' },
];

const TABLE = [
  { key: 'map', type: 'enum', default: 'elu1', values: MAPS.map((m) => m.id), label: 'Feature map' },
  { key: 'd', type: 'enum', default: 16, values: [4, 8, 16, 32], label: 'Key dimension d' },
  { key: 'spread', type: 'enum', default: 1, values: [0.5, 0.75, 1, 1.25, 1.5], label: 'Spread σ' },
  { key: 'features', type: 'enum', default: 64, values: [16, 64, 256, 1024], label: 'Performer features m' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

// PAIRS query and key vectors with entries of standard deviation σ: the seeded normal q and k rows,
// scaled.
export function pairVectors(seed, d, spread) {
  const { q, k } = tokenVectors(seed, PAIRS, d, d);
  return { q: q.map((x) => x * spread), k: k.map((x) => x * spread) };
}

// Ranks 1 … n (ties share their mean rank), for the rank correlation.
function ranks(a) {
  const idx = Array.from(a, (_, i) => i).sort((i, j) => a[i] - a[j]);
  const r = new Float64Array(a.length);
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && a[idx[e + 1]] === a[idx[s]]) e++;
    for (let i = s; i <= e; i++) r[idx[i]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

// Spearman's rank correlation: 1 when φ(q)·φ(k) orders the pairs exactly as the exponential does.
export function rankCorrelation(a, b) {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) ** 2;
    sbb += (rb[i] - mean) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

function median(a) {
  const s = Array.from(a).sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class KernelView extends AttnWidget {
  static widgetName = 'kernel-view';
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
  static pairVectors = pairVectors;
  static styles = [
    AttnWidget.styles,
    css`
      svg {
        display: block;
        overflow: visible;
      }
      .segmented {
        flex-wrap: wrap;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        font-size: 0.88em;
        margin: 0.3rem 0 0;
      }
      .sw-line {
        background: var(--_softmax);
        height: 3px;
      }
    `,
  ];

  constructor() {
    super();
    this._width = 0;
  }

  onDispose() {
    unobserveWidth(this);
  }

  titleText() {
    return 'Does φ(q)·φ(k) imitate the softmax kernel?';
  }

  get _map() {
    return MAPS.find((m) => m.id === this.map);
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    return `Scatter plot of ${PAIRS} sampled query–key pairs in dimension ${r.d}: across, the softmax kernel e^(q·k/√d); up, φ(q)·φ(k) for the ${r.map.label} feature map with ${r.m} features. A dashed line marks y = x, where an exact imitation would lie. Rank correlation ${fixed(r.rho)}, median relative error ${percent(r.medRel)}.`;
  }

  compute() {
    const core = this.core;
    const { d, spread } = this;
    const map = this._map;
    const { q, k } = pairVectors(this.seed, d, spread);
    // Performer's options only matter to Performer; the other maps ignore them, as linear does.
    const opts = map.id === 'performer' ? { n: PAIRS, dk: d, features: this.features, seed: 0 } : { n: PAIRS, dk: d };
    const fq = core.featureMap(map.id, q, opts);
    const fk = core.featureMap(map.id, k, opts);
    const m = fq.length / PAIRS;
    const approx = new Float64Array(PAIRS);
    const exact = new Float64Array(PAIRS);
    const scores = new Float64Array(PAIRS);
    for (let i = 0; i < PAIRS; i++) {
      let a = 0;
      for (let j = 0; j < m; j++) a += fq[i * m + j] * fk[i * m + j];
      let s = 0;
      for (let j = 0; j < d; j++) s += q[i * d + j] * k[i * d + j];
      approx[i] = a;
      scores[i] = s / Math.sqrt(d);
      exact[i] = Math.exp(scores[i]);
    }
    const rel = exact.map((e, i) => Math.abs(approx[i] - e) / e);
    this._res = { d, spread, map, m, q, k, fq, fk, approx, exact, scores, rel, rho: rankCorrelation(approx, exact), medRel: median(rel), opts };
    this.announce(`${map.label}, d = ${d}: rank correlation ${fixed(this._res.rho, 2)}, median relative error ${percent(this._res.medRel)}.`);
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const i = MAPS.findIndex((m) => m.id === this.map);
    const ds = TABLE[1].values;
    const di = ds.indexOf(this.d);
    switch (key) {
      case 'ArrowRight':
        this.setState({ map: MAPS[Math.min(MAPS.length - 1, i + 1)].id });
        return true;
      case 'ArrowLeft':
        this.setState({ map: MAPS[Math.max(0, i - 1)].id });
        return true;
      case 'Home':
        this.setState({ map: MAPS[0].id });
        return true;
      case 'End':
        this.setState({ map: MAPS[MAPS.length - 1].id });
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
      <fieldset>
        <legend>Feature map φ</legend>
        <div class="segmented">
          ${MAPS.map(
            (m) => html`<label
              ><input type="radio" name="map" value=${m.id} .checked=${this.map === m.id} @change=${() => this.setState({ map: m.id })} />${m.label}</label
            >`,
          )}
        </div>
      </fieldset>
      <label class="control">
        <span>Key dimension d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value) })}>
          ${TABLE[1].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v}</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Spread σ of the entries</span>
        <select @change=${(e) => this.setState({ spread: Number(e.target.value) })}>
          ${TABLE[2].values.map((v) => html`<option value=${v} ?selected=${v === this.spread}>${v}</option>`)}
        </select>
      </label>
      ${this.map === 'performer'
        ? html`<label class="control">
            <span>Random features m</span>
            <select @change=${(e) => this.setState({ features: Number(e.target.value) })}>
              ${TABLE[3].values.map((v) => html`<option value=${v} ?selected=${v === this.features}>${v}</option>`)}
            </select>
          </label>`
        : nothing}
      <button @click=${() => this.setState({ seed: this.seed + 1 })}>New pairs</button>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame() {
    const width = Math.max(280, Math.min(640, this._width || this.clientWidth - 30 || 600));
    const height = Math.round(Math.min(340, Math.max(240, width * 0.6)));
    const m = { top: 12, right: 16, bottom: 44, left: 56 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const f = this._frame();
    const r = this._res;
    let xHi = 0;
    for (const e of r.exact) xHi = Math.max(xHi, e);
    let yLo = 0;
    let yHi = 0;
    for (const a of r.approx) {
      yLo = Math.min(yLo, a);
      yHi = Math.max(yHi, a);
    }
    // the line y = x must stay in view, so the y axis reaches at least as high as the x axis
    yHi = Math.max(yHi, xHi);
    return { f, x: scaleLinear().domain([0, xHi]).nice().range([0, f.iw]), y: scaleLinear().domain([yLo, yHi]).nice().range([f.ih, 0]) };
  }

  renderFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const top = Math.min(x.domain()[1], y.domain()[1]);
    return html`
      <div class="surface" part="plot" tabindex="0" role="group" aria-label="Kernel scatter plot. Left and right arrows change the feature map, up and down the dimension d.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${`φ(q)·φ(k) against e^(q·k/√d), ${r.map.label}, d = ${r.d}`}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            <line x1=${x(0)} y1=${y(0)} x2=${x(top)} y2=${y(top)} stroke="var(--_softmax)" stroke-width="2" stroke-dasharray="6 4"></line>
            ${Array.from(r.exact, (e, i) => svg`<circle cx=${x(e)} cy=${y(r.approx[i])} r="2.8" fill="var(--_linear)" fill-opacity="0.7"></circle>`)}
            <text x=${f.iw / 2} y=${f.ih + 36} text-anchor="middle" font-size="12">softmax kernel e^(q·k/√d)</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-42" text-anchor="middle" font-size="12">φ(q)·φ(k)</text>
          </g>
        </svg>
      </div>
      <p class="legend">
        <span><span class="swatch sw-linear"></span>one sampled pair (${r.map.label})</span>
        <span><span class="swatch sw-line"></span>y = x: an exact imitation</span>
      </p>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('.surface svg');
    if (!el || !this._res) return;
    const { f, x, y } = this._scales();
    drawAxes(el, { innerWidth: f.iw, x: { scale: x, count: 6, format: (v) => short(v) }, y: { scale: y, count: 5, format: (v) => short(v) } });
  }

  renderReadouts() {
    const r = this._res;
    return html`
      ${readout('Rank correlation', fixed(r.rho), 'Spearman: 1 if φ orders the pairs as e^(q·k/√d) does', 'linear')}
      ${readout('Median relative error', percent(r.medRel), '|φ(q)·φ(k) − e^(q·k/√d)| / e^(q·k/√d)')}
      ${readout('Features m', grouped(r.m), `core.featureMap('${r.map.id}'): ${r.map.note}`)}
      ${readout('Pairs', grouped(PAIRS), `q and k entries with σ = ${r.spread}, d = ${r.d}`)}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = Array.from(r.exact, (e, i) => [String(i + 1), fixed(r.scores[i]), fixed(e, 4), fixed(r.approx[i], 4), percent(r.rel[i])]);
    return dataTable(`${PAIRS} pairs, ${r.map.label}, d = ${r.d}`, ['pair', 'q·k/√d', 'e^(q·k/√d)', 'φ(q)·φ(k)', 'relative error'], rows);
  }
}

function percent(x) {
  return `${short(100 * x)}%`;
}
