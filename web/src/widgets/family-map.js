/**
 * <attn-family-map>: every token mixer of the core on one map.
 * Chapter 8, "The family".
 *
 * The variants come from core.variants() (the ids below only validate a shared link): each is placed across by how its
 * forgetting works (the `forgetting` field: none, a window, a fixed decay, a data-dependent gate, or
 * the delta rule's data-dependent overwrite) and up by the floats its state holds after n tokens,
 * core.cost(id, { n, form: 'recurrent' }).stateFloats, on a log scale, at the reader's length n and a
 * head of dimension 64 (Mamba's state is 64 channels x 16, Mamba-2's 128 x 64, as in their papers).
 * Selecting a variant shows its recurrence (as the core describes it), its state, and its cost at n
 * in every form it offers, all from the core.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   selected  the selected variant id (default 'softmax'; any id core.variants() lists)
 *   n         the reader's sequence length, 256 … 1,048,576 (default 4096)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the map, ← → select the previous / next variant (left to right), ↑ ↓ change the
 *   length, Home / End the first / last variant.
 * CSS custom properties: --attn-softmax (softmax family), --attn-linear (the rest), --attn-highlight
 *   (the selection) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, map, details.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLog, scalePoint } from 'd3-scale';
import { symbol, symbolCircle, symbolSquare, symbolTriangle, symbolDiamond, symbolStar, symbolCross, symbolWye } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes, compactFormat } from '../frame/chart.js';
import { grouped, inWords } from '../frame/format.js';
import { headSizes } from '../core/samples.js';

// Left to right: how much the forgetting depends on the data.
export const FORGETTING = ['none', 'window', 'fixed', 'data-dependent', 'delta'];
const FORGETTING_TEXT = {
  none: 'never forgets',
  window: 'drops old tokens',
  fixed: 'fixed decay',
  'data-dependent': 'gated by the data',
  delta: 'data-dependent overwrite',
};
const SHAPES = { softmax: symbolSquare, linear: symbolCircle, rwkv: symbolTriangle, delta: symbolDiamond, ssm: symbolStar, xlstm: symbolCross };
export const HEAD = 64;
export const LENGTHS = [256, 1024, 4096, 16384, 65536, 262144, 1048576];

// The sizes of a variant's head: dk = dv = C = D = P = 64; the SSM state widths of the papers.
export function familySizes(info) {
  return headSizes(info, HEAD, info.id === 'mamba2' ? 128 : 16);
}

const TABLE = [
  { key: 'selected', type: 'enum', default: 'softmax', values: ['softmax', 'sliding_window', 'linear', 'retnet', 'gla', 'rwkv4', 'rwkv5', 'rwkv6', 'rwkv7', 'deltanet', 'gated_deltanet', 'mamba', 'mamba2', 'mlstm'], label: 'Selected variant' },
  { key: 'n', type: 'enum', default: 4096, values: LENGTHS, label: 'Sequence length n' },
];

export class FamilyMap extends AttnWidget {
  static widgetName = 'family-map';
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
      .point {
        cursor: pointer;
      }
      .details {
        display: grid;
        gap: 0.3rem;
        margin-top: 0.6rem;
        padding: 0.6rem 0.8rem;
        background: var(--_surface);
        border-radius: 6px;
      }
      .details h3 {
        margin: 0;
        font-size: 1em;
      }
      .details p {
        margin: 0;
        font-size: 0.9em;
      }
      .details code {
        font-size: 0.92em;
        overflow-wrap: anywhere;
        white-space: pre-wrap;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1rem;
        font-size: 0.85em;
        color: var(--_muted);
        margin: 0.3rem 0 0;
      }
      .legend svg {
        display: inline-block;
        vertical-align: -2px;
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
    return 'The family: how each model forgets, and how much it keeps';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const s = r.byId.get(this.selected);
    return `Scatter plot of the ${r.points.length} token mixers of the core. Across: how the forgetting works, from never forgetting to a data-dependent overwrite. Up: floats of state after ${grouped(r.n)} tokens, on a log scale. Softmax attention sits alone at the top with ${inWords(r.byId.get('softmax').cost.stateFloats)} floats; the linear family clusters between ${inWords(r.minFixed)} and ${inWords(r.maxFixed)}. Selected: ${s.info.name}, ${inWords(s.cost.stateFloats)} floats.`;
  }

  compute(changed) {
    const core = this.core;
    const n = this.n;
    if (changed && this.viewOnly(changed, ['selected'])) {
      this._announce();
      return;
    }
    const points = core.variants().map((info) => {
      const sizes = familySizes(info);
      const cost = core.cost(info.id, { n, form: 'recurrent', ...sizes });
      const p = { id: info.id, info, sizes, cost, col: FORGETTING.indexOf(info.forgetting), _forms: null };
      // every form's cost, asked of the core only when shown (some forms' models take a while at 1M tokens)
      Object.defineProperty(p, 'forms', {
        get: () => (p._forms ??= info.forms.map((form) => ({ form, cost: form === 'recurrent' ? cost : core.cost(info.id, { n, form, ...sizes }) }))),
      });
      return p;
    });
    // left to right by forgetting, then by state size (the keyboard walks this order)
    points.sort((a, b) => a.col - b.col || a.cost.stateFloats - b.cost.stateFloats || a.id.localeCompare(b.id));
    const byId = new Map(points.map((p) => [p.id, p]));
    const fixedOnes = points.filter((p) => p.info.family !== 'softmax').map((p) => p.cost.stateFloats);
    this._res = { n, points, byId, minFixed: Math.min(...fixedOnes), maxFixed: Math.max(...fixedOnes) };
    this._announce();
  }

  _announce() {
    const { byId, points, n } = this._res;
    const s = byId.get(this.selected) ?? points[0];
    this.announce(`${s.info.name}: ${FORGETTING_TEXT[s.info.forgetting]}; ${grouped(s.cost.stateFloats)} floats of state after ${grouped(n)} tokens, ${inWords(s.cost.macs)} multiply-adds step by step.`);
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const pts = this._res?.points ?? [];
    const i = pts.findIndex((p) => p.id === this.selected);
    const li = LENGTHS.indexOf(this.n);
    switch (key) {
      case 'ArrowRight':
        this.setState({ selected: pts[Math.min(pts.length - 1, i + 1)].id });
        return true;
      case 'ArrowLeft':
        this.setState({ selected: pts[Math.max(0, i - 1)].id });
        return true;
      case 'Home':
        this.setState({ selected: pts[0].id });
        return true;
      case 'End':
        this.setState({ selected: pts[pts.length - 1].id });
        return true;
      case 'ArrowUp':
        this.setState({ n: LENGTHS[Math.min(LENGTHS.length - 1, li + 1)] });
        return true;
      case 'ArrowDown':
        this.setState({ n: LENGTHS[Math.max(0, li - 1)] });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    const pts = this._res?.points ?? [];
    return html`
      <label class="control">
        <span>Model</span>
        <select @change=${(e) => this.setState({ selected: e.target.value })}>
          ${pts.map((p) => html`<option value=${p.id} ?selected=${p.id === this.selected}>${p.info.name}</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Sequence length n = ${grouped(this.n)}</span>
        <input
          type="range"
          min="0"
          max=${LENGTHS.length - 1}
          step="1"
          .value=${String(LENGTHS.indexOf(this.n))}
          aria-valuetext=${`${grouped(this.n)} tokens`}
          @input=${(e) => this.setState({ n: LENGTHS[Number(e.target.value)] })}
        />
      </label>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame() {
    const width = Math.max(280, Math.min(780, this._width || this.clientWidth - 30 || 640));
    const height = Math.round(Math.min(380, Math.max(280, width * 0.5)));
    const m = { top: 16, right: 14, bottom: 52, left: 58 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const f = this._frame();
    const r = this._res;
    const x = scalePoint().domain(FORGETTING).range([0, f.iw]).padding(0.5);
    const sizes = r.points.map((p) => p.cost.stateFloats);
    const y = scaleLog()
      .domain([Math.min(...sizes) / 2, Math.max(...sizes, 1e4) * 2])
      .range([f.ih, 0]);
    // spread the variants of one column across its band, in state-size order
    const band = f.iw / FORGETTING.length;
    const pos = new Map();
    for (const col of FORGETTING) {
      const here = r.points.filter((p) => p.info.forgetting === col);
      here.forEach((p, i) => pos.set(p.id, { x: x(col) + (here.length > 1 ? (i / (here.length - 1) - 0.5) * band * 0.8 : 0), above: i % 2 === 1 }));
    }
    return { f, x, y, pos };
  }

  renderFigure() {
    const r = this._res;
    const { f, y, pos, x } = this._scales();
    const sel = r.byId.get(this.selected) ?? r.points[0];
    const labels = f.iw > 520;
    const mark = (p) => {
      const isSel = p.id === sel.id;
      const soft = p.info.family === 'softmax';
      const { x: px, above } = pos.get(p.id);
      const py = y(p.cost.stateFloats);
      const d = symbol(SHAPES[p.info.family] ?? symbolWye, isSel ? 190 : 90)();
      return svg`<g class="point" transform="translate(${px},${py})" @click=${() => this.setState({ selected: p.id })}>
        <title>${p.info.name}</title>
        <path d=${d} fill=${soft ? 'var(--_softmax)' : 'var(--_linear)'} stroke=${isSel ? 'var(--_highlight)' : 'var(--_bg)'} stroke-width=${isSel ? 3 : 1}></path>
        ${labels || isSel ? svg`<text y=${isSel || above ? -11 : 17} text-anchor="middle" font-size=${isSel ? 12 : 10} font-weight=${isSel ? 700 : 400}>${p.id.replace('_', ' ')}</text>` : nothing}
      </g>`;
    };
    return html`
      <div class="surface" part="map" tabindex="0" role="group" aria-label="Family map. Left and right arrows select a model, up and down change the sequence length.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${`Token mixers by forgetting and state size at ${grouped(r.n)} tokens`}>
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            ${FORGETTING.map((col, i) =>
              i ? svg`<line x1=${x(col) - f.iw / FORGETTING.length / 2} x2=${x(col) - f.iw / FORGETTING.length / 2} y1="0" y2=${f.ih} stroke="var(--_grid)"></line>` : nothing,
            )}
            ${FORGETTING.map(
              (col) => svg`<text x=${x(col)} y=${f.ih + 16} text-anchor="middle" font-size="11">${labels ? FORGETTING_TEXT[col] : col === 'data-dependent' ? 'data' : col}</text>`,
            )}
            <text x=${f.iw / 2} y=${f.ih + 40} text-anchor="middle" font-size="12">forgetting: none → fixed → data-dependent</text>
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-46" text-anchor="middle" font-size="12">floats of state after ${compactFormat(r.n)} tokens</text>
            ${r.points.filter((p) => p.id !== sel.id).map(mark)}${mark(sel)}
          </g>
        </svg>
      </div>
      <p class="legend">
        ${Object.entries(SHAPES).map(
          ([fam, shape]) => html`<span
            ><svg width="14" height="14" viewBox="-7 -7 14 14" aria-hidden="true"><path d=${symbol(shape, 60)()} fill=${fam === 'softmax' ? 'var(--_softmax)' : 'var(--_linear)'}></path></svg>
            ${fam}</span
          >`,
        )}
      </p>
      ${this._details(sel)}
    `;
  }

  _details(p) {
    const r = this._res;
    return html`<section class="details" part="details" aria-label=${`About ${p.info.name}`}>
      <h3>${p.info.name} (${p.info.year})</h3>
      <p>${p.info.paper}</p>
      <p>Recurrence: <code>${p.info.recurrence}</code></p>
      <p>State: ${p.info.state.note}</p>
      <p>
        After ${grouped(r.n)} tokens: ${grouped(p.cost.stateFloats)} floats of state;
        ${p.forms.map((f, i) => html`${i ? ', ' : ''}${f.form} ${inWords(f.cost.macs)} multiply-adds`)}.
      </p>
    </section>`;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('.surface svg');
    if (!el || !this._res) return;
    const { f, y } = this._scales();
    const [lo, hi] = y.domain();
    const ticks = [];
    for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) ticks.push(10 ** e);
    drawAxes(el, { innerWidth: f.iw, y: { scale: y, values: ticks, format: compactFormat } });
  }

  renderReadouts() {
    const r = this._res;
    const p = r.byId.get(this.selected) ?? r.points[0];
    return html`
      ${readout('Selected', p.info.name, `${p.info.family} family, ${p.info.year}`, p.info.family === 'softmax' ? 'softmax' : 'linear')}
      ${readout('Forgetting', FORGETTING_TEXT[p.info.forgetting], p.info.selective ? 'selective: decided by each token' : 'not selective')}
      ${readout('State after n tokens', `${grouped(p.cost.stateFloats)} floats`, p.info.state.dims.join(' × '))}
      ${readout('Step-by-step cost', grouped(p.cost.macs), `multiply-adds for ${grouped(r.n)} tokens`)}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = r.points.map((p) => [
      p.id,
      p.info.family,
      p.info.forgetting,
      p.info.selective ? 'yes' : 'no',
      grouped(p.cost.stateFloats),
      ...['recurrent', 'parallel', 'chunkwise'].map((form) => {
        const f = p.forms.find((x) => x.form === form);
        return f ? grouped(f.cost.macs) : '—';
      }),
    ]);
    return dataTable(`Every variant at n = ${grouped(r.n)}, head dimension ${HEAD} (core.variants and core.cost)`, ['variant', 'family', 'forgetting', 'selective', 'state floats', 'recurrent macs', 'parallel macs', 'chunkwise macs'], rows);
  }
}
