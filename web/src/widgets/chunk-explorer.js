/**
 * <attn-chunk-explorer>: chunkwise processing, between the parallel and the recurrent form.
 * Chapter 8, "The family".
 *
 * The sequence is cut into chunks of L tokens. Inside a chunk the work is a small masked attention
 * (quadratic in L); between chunks only the state is passed on. core.cost(id, { n, form:
 * 'chunkwise', chunk: L }) names every part of that work; the widget adds up the parts that happen
 * inside chunks and the parts that read or update the carried state, and plots both and their
 * total against L (1 … n, log scale), with the recurrent and parallel forms as references. L = 1 is
 * the recurrence, L = n a single parallel block. Beside it, the core runs the chosen variant in
 * chunkwise and recurrent form on the same seeded inputs (at a check size of 256 tokens, head 32)
 * and the readout gives the largest difference of the two outputs.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   variant  any variant whose forms include chunkwise besides softmax (default 'gla')
 *   n        sequence length for the costs: 1024 | 4096 | 16384 | 65536 (default 4096)
 *   chunk    L, 1 … n (default 64)
 *   seed     seed of the check inputs (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the figure, ← → halve / double the chunk, Home / End chunk 1 / n.
 * CSS custom properties: --attn-softmax (work inside chunks), --attn-linear (state passing),
 *   --attn-highlight (the chosen chunk) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, chunks, plot.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes, compactFormat, decades } from '../frame/chart.js';
import { grouped, inWords, tiny, short } from '../frame/format.js';
import { sampleInputs, headSizes } from '../core/samples.js';

export const HEAD = 64;
export const CHECK_N = 256;
export const CHECK_D = 32;
const VARIANTS = ['linear', 'retnet', 'gla', 'rwkv5', 'rwkv6', 'rwkv7', 'deltanet', 'gated_deltanet', 'mamba2', 'mlstm'];
const LENGTHS = [1024, 4096, 16384, 65536];

const TABLE = [
  { key: 'variant', type: 'enum', default: 'gla', values: VARIANTS, label: 'Variant' },
  { key: 'n', type: 'enum', default: 4096, values: LENGTHS, label: 'Sequence length n' },
  { key: 'chunk', type: 'int', default: 64, min: 1, max: 65536, label: 'Chunk size L' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

// A term of core.cost's chunkwise breakdown is state passing when it reads or updates the state
// carried between chunks; every other token-mixing term is work inside a chunk.
export function isStatePassing(term) {
  return /^inter-chunk|^state update/.test(term.name);
}

export function splitTerms(cost) {
  let intra = 0;
  let inter = 0;
  for (const t of cost.terms) {
    if (!t.mixing) continue;
    if (isStatePassing(t)) inter += t.macs;
    else intra += t.macs;
  }
  return { intra, inter };
}

const sizesFor = (info, d) => headSizes(info, d, info.id === 'mamba2' ? d : 16);

export class ChunkExplorer extends AttnWidget {
  static widgetName = 'chunk-explorer';
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
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
      .caption {
        font-size: 0.88em;
        color: var(--_muted);
        margin: 0.2rem 0;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        font-size: 0.88em;
        margin: 0.3rem 0 0;
      }
      .sw-total {
        background: var(--_fg);
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
    return 'Chunkwise: small squares inside chunks, a state between them';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    return `A strip of ${grouped(r.chunks)} chunks of ${grouped(r.L)} tokens, each with its own small masked attention block, linked by the state they pass on. Below, a log–log chart of multiply-adds against the chunk size from 1 to ${grouped(r.n)}: work inside chunks rises with the chunk size, state passing falls, and the total at L = ${grouped(r.L)} is ${inWords(r.at.macs)}. The chunkwise and recurrent outputs differ by at most ${tiny(r.check.diff)}.`;
  }

  get _L() {
    return Math.max(1, Math.min(this.chunk, this.n));
  }

  compute() {
    const core = this.core;
    const n = this.n;
    const L = this._L;
    const info = core.variants().find((v) => v.id === this.variant);
    const sizes = sizesFor(info, HEAD);
    const cost = (form, chunk) => core.cost(info.id, { n, form, ...sizes, ...(chunk ? { chunk } : {}) });
    const at = cost('chunkwise', L);
    const split = splitTerms(at);
    // the curve and the two reference forms depend only on the variant and n
    const curveKey = `${info.id}|${n}`;
    if (this._curveKey !== curveKey) {
      const curve = [];
      for (let c = 1; c <= n; c *= 2) {
        const k = cost('chunkwise', c);
        curve.push({ L: c, total: k.macs, ...splitTerms(k), peak: k.peakFloats });
      }
      this._curveCache = { curve, recurrent: cost('recurrent'), parallel: info.forms.includes('parallel') ? cost('parallel') : null };
      this._curveKey = curveKey;
    }
    const { curve, recurrent, parallel } = this._curveCache;

    // The check: the same seeded inputs through both forms, at the check size (the recurrent run is
    // kept while only the chunk changes).
    const cs = sizesFor(info, CHECK_D);
    const checkKey = `${info.id}|${this.seed}`;
    if (this._checkKey !== checkKey) {
      const { tokens, channels } = sampleInputs(info, cs, CHECK_N, this.seed);
      const inputs = { ...tokens, ...channels };
      this._checkCache = { inputs, recOut: core.run(info.id, inputs, { n: CHECK_N, ...cs, form: 'recurrent' }).output };
      this._checkKey = checkKey;
    }
    const { inputs, recOut } = this._checkCache;
    const opts = { n: CHECK_N, ...cs };
    const chunkOut = core.run(info.id, inputs, { ...opts, form: 'chunkwise', chunk: Math.min(L, CHECK_N) }).output;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < recOut.length; i++) {
      diff = Math.max(diff, Math.abs(chunkOut[i] - recOut[i]));
      scale = Math.max(scale, Math.abs(recOut[i]));
    }
    const chunks = Math.ceil(n / L);
    this._res = { info, n, L, chunks, at, split, curve, recurrent, parallel, check: { diff, scale, chunk: Math.min(L, CHECK_N), inputs, options: opts } };
    this.announce(
      `Chunks of ${grouped(L)}: ${grouped(chunks)} chunks, ${inWords(split.intra)} multiply-adds inside chunks and ${inWords(split.inter)} passing the state, ${inWords(at.macs)} in all. Chunkwise and recurrent outputs differ by at most ${tiny(diff)}.`,
    );
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const L = this._L;
    switch (key) {
      case 'ArrowRight':
      case 'ArrowUp':
        this.setState({ chunk: Math.min(this.n, L * 2) });
        return true;
      case 'ArrowLeft':
      case 'ArrowDown':
        this.setState({ chunk: Math.max(1, Math.floor(L / 2)) });
        return true;
      case 'Home':
        this.setState({ chunk: 1 });
        return true;
      case 'End':
        this.setState({ chunk: this.n });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    const L = this._L;
    const steps = Math.round(Math.log2(this.n));
    const names = new Map((this.core ? this.core.variants() : []).map((v) => [v.id, v.name]));
    return html`
      <label class="control">
        <span>Variant</span>
        <select @change=${(e) => this.setState({ variant: e.target.value })}>
          ${VARIANTS.map((v) => html`<option value=${v} ?selected=${v === this.variant}>${names.get(v) ?? v}</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Chunk size L = ${grouped(L)}</span>
        <input
          type="range"
          min="0"
          max=${steps}
          step="1"
          .value=${String(Math.round(Math.log2(L)))}
          aria-valuetext=${`${grouped(L)} tokens per chunk`}
          @input=${(e) => this.setState({ chunk: 2 ** Number(e.target.value) })}
        />
      </label>
      <label class="control">
        <span>Exact L</span>
        <input
          type="number"
          min="1"
          max=${this.n}
          .value=${String(L)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) this.setState({ chunk: Math.min(this.n, Math.max(1, v)) });
            else e.target.value = String(L);
          }}
        />
      </label>
      <label class="control">
        <span>Sequence length n</span>
        <select @change=${(e) => this.setState({ n: Number(e.target.value), chunk: Math.min(this.chunk, Number(e.target.value)) })}>
          ${LENGTHS.map((v) => html`<option value=${v} ?selected=${v === this.n}>${grouped(v)}</option>`)}
        </select>
      </label>
      <button @click=${() => this.setState({ seed: this.seed + 1 })}>New inputs</button>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame(height) {
    const width = Math.max(280, Math.min(780, this._width || this.clientWidth - 30 || 640));
    const m = { top: 12, right: 16, bottom: 40, left: 60 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const r = this._res;
    const f = this._frame(260);
    const x = scaleLog().base(2).domain([1, r.n]).range([0, f.iw]);
    const vals = r.curve.flatMap((p) => [p.total, p.intra, p.inter].filter((v) => v > 0));
    vals.push(r.recurrent.macs);
    if (r.parallel) vals.push(r.parallel.macs);
    const y = scaleLog()
      .domain([Math.min(...vals) / 1.5, Math.max(...vals) * 1.5])
      .range([f.ih, 0]);
    return { f, x, y };
  }

  _strip() {
    const r = this._res;
    const width = Math.max(280, Math.min(780, this._width || this.clientWidth - 30 || 640));
    const h = 64;
    const shown = Math.min(r.chunks, 32);
    const w = width / shown;
    // the first `shown` chunks, each a masked (lower-triangular) block and an arrow to the next
    const tri = Math.min(h - 16, w - 6);
    return svg`<svg class="chunks" part="chunks" width=${width} height=${h} viewBox="0 0 ${width} ${h}" role="img" aria-label=${`The first ${shown} of ${r.chunks} chunks`}>
      ${Array.from({ length: shown }, (_, i) => {
        const x0 = i * w + 2;
        return svg`<rect x=${x0} y="2" width=${w - 4} height=${h - 16} fill="none" stroke="var(--_border)"></rect>
          ${tri >= 2 ? svg`<path d=${`M${x0 + 2},4 L${x0 + 2},${4 + tri} L${x0 + 2 + tri},${4 + tri} Z`} fill="var(--_softmax)" opacity="0.55"></path>` : nothing}
          ${i < shown - 1 ? svg`<line x1=${x0 + w - 8} x2=${x0 + w + 4} y1=${h - 7} y2=${h - 7} stroke="var(--_linear)" stroke-width="2"></line>` : nothing}`;
      })}
    </svg>`;
  }

  renderFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const path = (key) =>
      line()
        .x((p) => x(p.L))
        .y((p) => y(Math.max(p[key], y.domain()[0])))(r.curve);
    const ref = (v, label, dash) =>
      svg`<line x1="0" x2=${f.iw} y1=${y(v)} y2=${y(v)} stroke="var(--_muted)" stroke-dasharray=${dash}></line>
      <text x=${f.iw - 2} y=${y(v) - 4} text-anchor="end" font-size="11">${label}</text>`;
    return html`
      <p class="caption">
        ${r.chunks > 32 ? `The first 32 of ${grouped(r.chunks)} chunks` : `${grouped(r.chunks)} chunk${r.chunks === 1 ? '' : 's'}`} of ${grouped(r.L)}
        token${r.L === 1 ? '' : 's'}: a masked block inside each, the state passed along the bottom.
      </p>
      ${this._strip()}
      <div class="surface" part="plot" tabindex="0" role="group" aria-label="Cost against chunk size. Left and right arrows halve or double the chunk.">
        <svg class="plot" width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="Multiply-adds against chunk size">
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${ref(r.recurrent.macs, 'recurrent', '6 4')}
            ${r.parallel ? ref(r.parallel.macs, 'parallel', '2 3') : nothing}
            <path d=${path('intra')} fill="none" stroke="var(--_softmax)" stroke-width="2"></path>
            <path d=${path('inter')} fill="none" stroke="var(--_linear)" stroke-width="2"></path>
            <path d=${path('total')} fill="none" stroke="var(--_fg)" stroke-width="3"></path>
            <line x1=${x(r.L)} x2=${x(r.L)} y1="0" y2=${f.ih} stroke="var(--_highlight)" stroke-width="2"></line>
            <circle cx=${x(r.L)} cy=${y(r.at.macs)} r="5" fill="var(--_highlight)"></circle>
            <text x=${f.iw / 2} y=${f.ih + 34} text-anchor="middle" font-size="12">chunk size L (tokens, log scale)</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-48" text-anchor="middle" font-size="12">multiply-adds, n = ${compactFormat(r.n)}</text>
          </g>
        </svg>
      </div>
      <p class="legend">
        <span class="softmax"><span class="swatch sw-softmax"></span>inside chunks</span>
        <span class="linear"><span class="swatch sw-linear"></span>state passing</span>
        <span><span class="swatch sw-total"></span>total</span>
      </p>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('svg.plot');
    if (!el || !this._res) return;
    const { f, x, y } = this._scales();
    const xs = [];
    for (let c = 1; c <= this._res.n; c *= 4) xs.push(c);
    drawAxes(el, {
      innerWidth: f.iw,
      x: { scale: x, values: f.iw < 400 ? xs.filter((_, i) => i % 2 === 0) : xs, format: compactFormat },
      y: { scale: y, values: decades(...y.domain()), format: compactFormat },
    });
  }

  renderReadouts() {
    const r = this._res;
    return html`
      ${readout('Chunks', `${grouped(r.chunks)} × ${grouped(r.L)} tokens`, 'passed on one after another')}
      ${readout('Inside chunks', grouped(r.split.intra), 'multiply-adds, quadratic in L', 'softmax')}
      ${readout('State passing', grouped(r.split.inter), 'multiply-adds, reads and updates', 'linear')}
      ${readout('Total (core.cost)', grouped(r.at.macs), `recurrent ${inWords(r.recurrent.macs)}${r.parallel ? `, parallel ${inWords(r.parallel.macs)}` : ''}`)}
      ${readout('Largest intermediate', `${grouped(r.at.peakFloats)} floats`, 'a chunk block or the state')}
      ${readout('Chunkwise vs recurrent', `max |diff| ${tiny(r.check.diff)}`, `${CHECK_N} tokens, largest |output| ${short(r.check.scale)}, chunk ${r.check.chunk}`)}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = r.curve.map((p) => [grouped(p.L), grouped(p.intra), grouped(p.inter), grouped(p.total), grouped(p.peak)]);
    const terms = r.at.terms.map((t) => [t.name, grouped(t.macs), t.formula, t.mixing ? (isStatePassing(t) ? 'state passing' : 'inside chunks') : 'per token']);
    return html`${dataTable(`${r.info.name}, n = ${grouped(r.n)}, head ${HEAD}: multiply-adds by chunk size (core.cost)`, ['L', 'inside chunks', 'state passing', 'total', 'peak floats'], rows)}
    ${dataTable(`core.cost's parts at L = ${grouped(r.L)}`, ['part', 'macs', 'formula', 'kind'], terms)}`;
  }
}
