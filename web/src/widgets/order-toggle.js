/**
 * <attn-order-toggle>: (Q Kᵀ) V against Q (Kᵀ V), the same output through different intermediates.
 * Chapter 3, "The associativity trick".
 *
 * With the softmax removed (linear attention, identity feature map, unnormalised), the core computes
 * the parallel form, which builds the causal n x n matrix Q Kᵀ ⊙ M and multiplies it by V, and the
 * recurrent form, which keeps the running d x d sum of k vᵀ (the prefix sums Σ_{j≤t} k_j v_jᵀ) and
 * reads it with each query. The causal mask is why the second side is labelled as prefix sums: the
 * literal regrouping Q (Kᵀ V), one Kᵀ V over the whole sequence for every query, gives another
 * answer, and the widget shows by how much (the core computes that product too). The widget shows the
 * intermediate each order builds at its true shape (the n x n scores come from the core's parallel
 * run with the identity as values; the d x d matrix is the core's final state, Kᵀ V), the costs from
 * core.cost, and both outputs side by side with their largest difference.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   order  'qk' for (Q Kᵀ ⊙ M) V, 'kv' for Q (Kᵀ V) computed as prefix sums (default 'qk')
 *   n      tokens, 1 … 128 (default 24)
 *   d      head dimension, dk = dv: 2 | 4 | 8 | 16 (default 8)
 *   seed   seed of the q, k, v vectors (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the figure, → / ↑ add a token, ← / ↓ remove one, Home / End go to 1 / 128 tokens,
 *   space plays (adds tokens) or pauses; the order is a radio group (arrow keys switch it).
 * CSS custom properties: --attn-softmax (the n x n side), --attn-linear (the d x d side),
 *   --attn-negative / --attn-positive (matrix entries) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, intermediate, outputs.
 */
import { html, css } from 'lit';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth } from '../frame/chart.js';
import { prepareCanvas, drawMatrix, divergingColor, maxAbs } from '../frame/heatmap.js';
import { grouped, fixed, tiny, short } from '../frame/format.js';
import { tokenVectors, identityRows } from '../core/inputs.js';

const MAX_N = 128;
const LINEAR_OPTS = { featureMap: 'identity', normalize: false };

const TABLE = [
  { key: 'order', type: 'enum', default: 'qk', values: ['qk', 'kv'], label: 'Multiplication order' },
  { key: 'n', type: 'int', default: 24, min: 1, max: MAX_N, label: 'Tokens' },
  { key: 'd', type: 'enum', default: 8, values: [2, 4, 8, 16], label: 'Head dimension d' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

// The causal product on each side: the masked scores, and Q (Kᵀ V) computed as running prefix sums.
const ORDER_TEXT = { qk: '(Q Kᵀ ⊙ M) V', kv: 'Q (Kᵀ V) by prefix sums' };

// A 2n-token run whose last n outputs are Sᵀ q_t with S = Kᵀ V summed over all n tokens: the first
// n tokens only write (q = 0), the last n only read (k = v = 0, which writes nothing with the
// identity map and no normaliser). The regrouping without the mask, computed by the core.
export function wholeSumInputs(q, k, v, n, d) {
  const q2 = new Float32Array(2 * n * d);
  const k2 = new Float32Array(2 * n * d);
  const v2 = new Float32Array(2 * n * d);
  q2.set(q, n * d);
  k2.set(k);
  v2.set(v);
  return { q: q2, k: k2, v: v2 };
}

export class OrderToggle extends AttnWidget {
  static widgetName = 'order-toggle';
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
  static styles = [
    AttnWidget.styles,
    css`
      .stage {
        display: grid;
        gap: 0.3rem;
      }
      .stage-label,
      .out-label {
        font-size: 0.88em;
        color: var(--_muted);
      }
      .stage-label strong {
        color: var(--_fg);
      }
      .outputs {
        display: flex;
        flex-wrap: wrap;
        gap: 0.8rem 1.4rem;
        margin-top: 0.8rem;
      }
      .outputs figure {
        margin: 0;
        display: grid;
        gap: 0.25rem;
      }
      .surface {
        width: fit-content;
        max-width: 100%;
      }
    `,
  ];

  constructor() {
    super();
    this._width = 480;
  }

  onDispose() {
    unobserveWidth(this);
  }

  titleText() {
    return 'Same result, different intermediate';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    return `The ${this.order === 'qk' ? `${r.n} by ${r.n} score matrix Q Kᵀ (lower triangle, since each token only looks back)` : `${r.d} by ${r.d} running sum of k vᵀ after the last token, which equals Kᵀ V`} is drawn to scale, with the other order's intermediate outlined for comparison. Below, the two orders' outputs for all ${r.n} tokens, which agree to within ${tiny(r.diff)}. One Kᵀ V over the whole sequence, read by every query, would differ from them by up to ${fixed(r.leak)}.`;
  }

  get canPlayControls() {
    return true;
  }

  canAdvance() {
    return this.n < MAX_N;
  }

  advance() {
    this.setState({ n: this.n + 1 });
  }

  rewindForPlay() {
    this.setState({ n: 1 });
  }

  compute(changed) {
    if (!this.viewOnly(changed, ['order'])) this._run();
    const r = this._res;
    const c = this.order === 'qk' ? r.costQK : r.costKV;
    this.announce(
      `${ORDER_TEXT[this.order]} with ${r.n} tokens: intermediate ${this.order === 'qk' ? `${r.n} by ${r.n}` : `${r.d} by ${r.d}`}, ${grouped(c.macs)} multiply-adds. Outputs differ by at most ${tiny(r.diff)}.`,
    );
  }

  _run() {
    const core = this.core;
    const { n, d } = this;
    const { q, k, v } = tokenVectors(this.seed, n, d, d);
    const base = { n, dk: d, dv: d, ...LINEAR_OPTS };
    const par = core.run('linear', { q, k, v }, { ...base, form: 'parallel' });
    const rec = core.run('linear', { q, k, v }, { ...base, form: 'recurrent' });
    // The n x n intermediate as the core builds it: identity values turn the output into tril(Q Kᵀ).
    const scores = core.run('linear', { q, k, v: identityRows(n) }, { ...base, dv: n, form: 'parallel' }).output;
    const costQK = core.cost('linear', { ...base, form: 'parallel' });
    const costKV = core.cost('linear', { ...base, form: 'recurrent' });
    const orders = typeof core.twoOrders === 'function' ? core.twoOrders({ n, dk: d, dv: d }) : null;
    const whole = core.run('linear', wholeSumInputs(q, k, v, n, d), { ...base, n: 2 * n, form: 'recurrent' }).output.slice(n * d);
    // Comparing the results the core returned (no attention math here).
    let diff = 0;
    let leak = 0;
    for (let i = 0; i < par.output.length; i++) {
      diff = Math.max(diff, Math.abs(par.output[i] - rec.output[i]));
      leak = Math.max(leak, Math.abs(whole[i] - par.output[i]));
    }
    this._res = { n, d, q, k, v, par: par.output, rec: rec.output, whole, kv: rec.state, scores, costQK, costKV, orders, diff, leak };
  }

  onArrow(key) {
    const to = { ArrowRight: this.n + 1, ArrowUp: this.n + 1, ArrowLeft: this.n - 1, ArrowDown: this.n - 1, Home: 1, End: MAX_N }[key];
    if (to === undefined) return false;
    this.setState({ n: Math.min(MAX_N, Math.max(1, to)) });
    return true;
  }

  renderControls() {
    return html`
      <fieldset>
        <legend>Multiplication order</legend>
        <div class="segmented">
          ${['qk', 'kv'].map(
            (v) => html`<label
              ><input type="radio" name="order" value=${v} .checked=${this.order === v} @change=${() => this.setState({ order: v })} />${ORDER_TEXT[
                v
              ]}</label
            >`,
          )}
        </div>
      </fieldset>
      <label class="control">
        <span>Tokens n: ${this.n}</span>
        <input
          type="range"
          min="1"
          max=${MAX_N}
          step="1"
          .value=${String(this.n)}
          aria-valuetext=${`${this.n} tokens`}
          @input=${(e) => this.setState({ n: Number(e.target.value) })}
        />
      </label>
      <label class="control">
        <span>Head dimension d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value) })}>
          ${TABLE[2].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v}</option>`)}
        </select>
      </label>
      <div class="buttons" role="group" aria-label="Tokens">
        <button @click=${() => this.setState({ n: Math.min(MAX_N, this.n + 1) })} ?disabled=${this.n >= MAX_N}>Add token</button>
        <button aria-pressed=${this.playing ? 'true' : 'false'} @click=${() => this.togglePlay()}>${this.playing ? 'Pause' : 'Play'}</button>
        <button @click=${() => this.setState({ seed: this.seed + 1 })}>New vectors</button>
      </div>
    `;
  }

  // One scale for both intermediates so their sizes compare truthfully.
  _layout() {
    const r = this._res;
    const avail = Math.max(220, (this._width || 480) - 8);
    const big = Math.max(r.n, r.d);
    const cell = Math.max(2, Math.min(28, Math.floor(Math.min(avail, 420) / big)));
    const outCell = Math.max(3, Math.min(14, Math.floor(Math.min(avail / 2 - 20, 200) / r.d)));
    const outRow = Math.max(2, Math.min(outCell, Math.floor(260 / r.n)));
    return { cell, outCell, outRow };
  }

  renderFigure() {
    const r = this._res;
    const { cell, outCell, outRow } = this._layout();
    const qk = this.order === 'qk';
    const side = Math.max(r.n, r.d) * cell;
    const shape = qk ? `${r.n} × ${r.n}` : `${r.d} × ${r.d}`;
    const other = qk ? `${r.d} × ${r.d}` : `${r.n} × ${r.n}`;
    return html`
      <div class="stage">
        <div class="stage-label">
          Intermediate of <strong>${ORDER_TEXT[this.order]}</strong>:
          ${qk ? html`<strong>Q Kᵀ</strong>, ${shape}, masked above the diagonal` : html`the running sum <strong>Σ<sub>j≤t</sub> k<sub>j</sub>v<sub>j</sub>ᵀ</strong>, ${shape}, shown after the last token (= Kᵀ V)`}
          (dashed outline: the other order's ${other})
        </div>
        <div
          class="surface"
          part="intermediate"
          tabindex="0"
          role="group"
          aria-label=${`Intermediate matrix ${shape}. Arrow keys add or remove tokens, space plays.`}
        >
          <canvas class="inter" width=${side} height=${side} aria-hidden="true"></canvas>
        </div>
      </div>
      <div class="outputs" part="outputs">
        <figure>
          <figcaption class="out-label">Output of ${ORDER_TEXT.qk}, ${r.n} × ${r.d}</figcaption>
          <canvas class="out-qk" width=${r.d * outCell} height=${r.n * outRow} aria-hidden="true"></canvas>
        </figure>
        <figure>
          <figcaption class="out-label">Output of ${ORDER_TEXT.kv}, ${r.n} × ${r.d}</figcaption>
          <canvas class="out-kv" width=${r.d * outCell} height=${r.n * outRow} aria-hidden="true"></canvas>
        </figure>
      </div>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const r = this._res;
    const inter = this.renderRoot.querySelector('canvas.inter');
    if (!r || !inter) return;
    const { cell, outCell, outRow } = this._layout();
    const qk = this.order === 'qk';
    const side = Math.max(r.n, r.d) * cell;
    const ctx = prepareCanvas(inter, side, side);
    const m = qk ? r.scores : r.kv;
    const dim = qk ? r.n : r.d;
    drawMatrix(ctx, m, dim, dim, {
      cell,
      color: divergingColor(this, maxAbs(m)),
      masked: qk ? (i, j) => j > i : null,
      maskColor: this.cssVar('--_masked'),
      maskHatch: this.cssVar('--_muted'),
      gapColor: this.cssVar('--_grid'),
    });
    // the other order's intermediate, outlined at the same scale
    const odim = qk ? r.d : r.n;
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = this.cssVar(qk ? '--_linear' : '--_softmax');
    ctx.strokeRect(1, 1, odim * cell - 2, odim * cell - 2);
    ctx.setLineDash([]);
    ctx.strokeStyle = this.cssVar(qk ? '--_softmax' : '--_linear');
    ctx.strokeRect(1, 1, dim * cell - 2, dim * cell - 2);

    const color = divergingColor(this, Math.max(maxAbs(r.par), maxAbs(r.rec)));
    for (const [sel, data] of [
      ['canvas.out-qk', r.par],
      ['canvas.out-kv', r.rec],
    ]) {
      const c = this.renderRoot.querySelector(sel);
      const octx = prepareCanvas(c, r.d * outCell, r.n * outRow);
      drawMatrix(octx, data, r.n, r.d, { cellW: outCell, cellH: outRow, color, gapColor: this.cssVar('--_grid') });
    }
  }

  renderReadouts() {
    const r = this._res;
    const qk = this.order === 'qk';
    const o = r.orders;
    return html`
      ${readout(ORDER_TEXT.qk, `${grouped(r.costQK.macs)}`, `multiply-adds; largest intermediate ${grouped(r.costQK.peakFloats)} floats`, qk ? 'softmax' : '')}
      ${readout(ORDER_TEXT.kv, `${grouped(r.costKV.macs)}`, `multiply-adds; largest intermediate ${grouped(r.costKV.peakFloats)} floats`, qk ? '' : 'linear')}
      ${o ? readout('First products, no mask', `${grouped(o.scoresFirst.firstMacs)} vs ${grouped(o.stateFirst.firstMacs)}`, `Q Kᵀ (${o.scoresFirst.shape.join(' × ')}) vs Kᵀ V (${o.stateFirst.shape.join(' × ')})`) : ''}
      ${readout('Largest output difference', tiny(r.diff), `float32 rounding; ratio of work ${short(r.costQK.macs / r.costKV.macs)} : 1`)}
      ${readout('One Kᵀ V for every query', fixed(r.leak), 'largest difference from the causal output: each token would see the future')}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = [];
    for (let t = 0; t < r.n; t++) {
      for (let j = 0; j < r.d; j++) {
        const a = r.par[t * r.d + j];
        const b = r.rec[t * r.d + j];
        rows.push([`${t + 1}`, `${j + 1}`, fixed(a, 5), fixed(b, 5), tiny(Math.abs(a - b)), fixed(r.whole[t * r.d + j], 5)]);
      }
    }
    const kvRows = [];
    for (let i = 0; i < r.d; i++) kvRows.push([`${i + 1}`, ...Array.from(r.kv.subarray(i * r.d, (i + 1) * r.d), (x) => fixed(x))]);
    return html`${dataTable('Outputs of both orders from the core, and of one Kᵀ V for every query', ['token', 'dim', ORDER_TEXT.qk, ORDER_TEXT.kv, '|difference|', 'one Kᵀ V (no mask)'], rows)}
    ${dataTable('Kᵀ V, the d × d intermediate (final recurrent state)', ['row', ...Array.from({ length: r.d }, (_, j) => `col ${j + 1}`)], kvRows)}`;
  }
}
