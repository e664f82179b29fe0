/**
 * <attn-attention-grid>: the n x n score matrix of softmax attention, one row and one column per token.
 * Chapter 2, "Where the square comes from".
 *
 * Seeded random q and k vectors go through the core: the softmax weights come from
 * core.run('softmax', …, { form: 'parallel' }) with the n x n identity as values (each output row is
 * then that query's weights), the scores q·k/√d from core.run('linear', …) with the identity feature
 * map, unnormalised, scale 1/√d, and the same identity values. Causal masking is the core's: a key
 * after its query gets weight 0. Cell count and cost come from core.cost.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   n     tokens, 1 … 64 (default 6)
 *   d     key dimension: 4 | 8 | 16 | 32 | 64 (default 16)
 *   seed  seed of the q, k vectors (default 1)
 *   row, col  the selected cell (query row, key column; 0-based, default 0 0)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the grid, arrow keys move the selected cell, + / − add or remove a token, Home / End
 *   jump along the row, space plays (adds a token every 0.7 s) or pauses.
 * CSS custom properties: --attn-softmax (weights), --attn-masked (future keys), --attn-highlight
 *   (the newest row and column), --attn-focus (the selected cell) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, grid.
 */
import { html, css } from 'lit';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth } from '../frame/chart.js';
import { prepareCanvas, drawMatrix, sequentialColor } from '../frame/heatmap.js';
import { grouped, inWords, fixed } from '../frame/format.js';
import { tokenVectors, identityRows } from '../core/inputs.js';

const MAX_N = 64;

const TABLE = [
  { key: 'n', type: 'int', default: 6, min: 1, max: MAX_N, label: 'Tokens' },
  { key: 'd', type: 'enum', default: 16, values: [4, 8, 16, 32, 64], label: 'Key dimension d' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
  { key: 'row', type: 'int', default: 0, min: 0, max: MAX_N - 1, label: 'Selected query' },
  { key: 'col', type: 'int', default: 0, min: 0, max: MAX_N - 1, label: 'Selected key' },
];

export class AttentionGrid extends AttnWidget {
  static widgetName = 'attention-grid';
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
  static styles = [
    AttnWidget.styles,
    css`
      .grid-wrap {
        position: relative;
        display: grid;
        grid-template-columns: auto 1fr;
        grid-template-rows: auto auto;
        gap: 0.25rem 0.4rem;
        align-items: start;
      }
      .axis-top {
        grid-column: 2;
        font-size: 0.82em;
        color: var(--_muted);
      }
      .ticks {
        display: flex;
        font-size: 0.72em;
        color: var(--_muted);
        font-variant-numeric: tabular-nums;
      }
      .ticks span {
        text-align: center;
        flex: none;
        overflow: hidden;
        width: var(--cell);
      }
      .ticks.left {
        flex-direction: column;
      }
      .ticks.left span {
        width: auto;
        height: var(--cell);
        display: flex;
        align-items: center;
        justify-content: flex-end;
        padding-right: 0.2rem;
      }
      .left-col {
        grid-row: 2;
        display: flex;
        align-items: start;
        gap: 0.1rem;
      }
      .axis-left {
        grid-row: 2;
        writing-mode: vertical-rl;
        transform: rotate(180deg);
        font-size: 0.82em;
        color: var(--_muted);
        text-align: center;
      }
      .cells {
        grid-row: 2;
        grid-column: 2;
        position: relative;
        width: fit-content;
        cursor: crosshair;
      }
      .cells svg {
        position: absolute;
        inset: 0;
        pointer-events: none;
      }
      .key {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1rem;
        font-size: 0.85em;
        color: var(--_muted);
        margin-top: 0.4rem;
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
    return 'The score matrix fills in as a square';
  }

  describe() {
    if (!this._res) return '';
    return `A ${this.n} by ${this.n} grid: row i is query i, column j is key j. Shaded cells are the softmax weights of each query over the keys up to itself; cells above the diagonal are future keys, masked to weight 0. The newest token's row and column are outlined. Use the arrow keys on the grid to read any cell.`;
  }

  get canPlayControls() {
    return true;
  }

  canAdvance() {
    return this.n < MAX_N;
  }

  advance() {
    this.setState({ n: this.n + 1, row: this.n, col: this.n });
  }

  rewindForPlay() {
    this.setState({ n: 1, row: 0, col: 0 });
  }

  // ----- computation -------------------------------------------------------------------------------

  compute(changed) {
    if (this.viewOnly(changed, ['row', 'col'])) {
      const { row, col } = this._cell();
      this.announce(`Query ${row + 1}, key ${col + 1}: ${this._cellText(row, col)}.`);
      return;
    }
    const core = this.core;
    const { n, d } = this;
    const { q, k } = tokenVectors(this.seed, n, d, d);
    const values = identityRows(n);
    const scale = 1 / Math.sqrt(d);
    const weights = core.run('softmax', { q, k, v: values }, { n, dk: d, dv: n, form: 'parallel', scale }).output;
    const scores = core.run(
      'linear',
      { q, k, v: values },
      { n, dk: d, dv: n, form: 'parallel', featureMap: 'identity', normalize: false, scale },
    ).output;
    const cost = core.cost('softmax', { n, dk: d, dv: d, form: 'parallel' });
    const orders = typeof core.twoOrders === 'function' ? core.twoOrders({ n, dk: d, dv: d }) : null;
    this._res = { n, d, q, k, weights, scores, cost, orders };
    const { row, col } = this._cell();
    this.announce(
      `${n} token${n === 1 ? '' : 's'}, ${grouped(n * n)} cells. Query ${row + 1}, key ${col + 1}: ${this._cellText(row, col)}.`,
    );
  }

  _cell() {
    return { row: Math.min(this.row, this.n - 1), col: Math.min(this.col, this.n - 1) };
  }

  _masked(i, j) {
    return j > i;
  }

  _cellText(i, j) {
    const r = this._res;
    if (this._masked(i, j)) return 'future key, masked, weight 0';
    return `score ${fixed(r.scores[i * r.n + j])}, weight ${fixed(r.weights[i * r.n + j])}`;
  }

  // ----- interaction -------------------------------------------------------------------------------

  onArrow(key) {
    const { row, col } = this._cell();
    const last = this.n - 1;
    const clamp = (x) => Math.min(last, Math.max(0, x));
    switch (key) {
      case 'ArrowUp':
        this.setState({ row: clamp(row - 1), col });
        return true;
      case 'ArrowDown':
        this.setState({ row: clamp(row + 1), col });
        return true;
      case 'ArrowLeft':
        this.setState({ row, col: clamp(col - 1) });
        return true;
      case 'ArrowRight':
        this.setState({ row, col: clamp(col + 1) });
        return true;
      case 'Home':
        this.setState({ row, col: 0 });
        return true;
      case 'End':
        this.setState({ row, col: last });
        return true;
      case '+':
        if (this.n < MAX_N) this.setState({ n: this.n + 1 });
        return true;
      case '-':
        if (this.n > 1) this.setState({ n: this.n - 1 });
        return true;
      default:
        return false;
    }
  }

  _pointerCell(e) {
    const r = this._res;
    const c = this._cellSize();
    const box = e.currentTarget.getBoundingClientRect();
    const j = Math.floor((e.clientX - box.left) / c);
    const i = Math.floor((e.clientY - box.top) / c);
    if (i < 0 || j < 0 || i >= r.n || j >= r.n) return null;
    return { row: i, col: j };
  }

  renderControls() {
    return html`
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
        <span>Key dimension d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value) })}>
          ${TABLE[1].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v}</option>`)}
        </select>
      </label>
      <div class="buttons" role="group" aria-label="Tokens">
        <button @click=${() => this.setState({ n: Math.max(1, this.n - 1) })} ?disabled=${this.n <= 1}>Remove token</button>
        <button @click=${() => this.setState({ n: Math.min(MAX_N, this.n + 1) })} ?disabled=${this.n >= MAX_N}>Add token</button>
        <button aria-pressed=${this.playing ? 'true' : 'false'} @click=${() => this.togglePlay()}>${this.playing ? 'Pause' : 'Play'}</button>
        <button @click=${() => this.setState({ seed: this.seed + 1 })}>New vectors</button>
      </div>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _cellSize() {
    const avail = Math.max(200, (this._width || 480) - 40);
    return Math.max(4, Math.min(48, Math.floor(Math.min(avail, 560) / this._res.n)));
  }

  renderFigure() {
    const r = this._res;
    const c = this._cellSize();
    const size = c * r.n;
    const { row, col } = this._cell();
    const newest = r.n - 1;
    // token numbers along both edges, thinned so they never overlap
    const every = Math.ceil(16 / c);
    const ticks = Array.from({ length: r.n }, (_, i) => ((newest - i) % every === 0 ? String(i + 1) : ''));
    return html`
      <div class="grid-wrap">
        <div class="axis-top" aria-hidden="true">
          key j →
          <div class="ticks">${ticks.map((t) => html`<span>${t}</span>`)}</div>
        </div>
        <div class="left-col" aria-hidden="true">
          <div class="axis-left">query i →</div>
          <div class="ticks left">${ticks.map((t) => html`<span>${t}</span>`)}</div>
        </div>
        <div
          class="cells surface"
          part="grid"
          tabindex="0"
          role="group"
          aria-label=${`Score grid, ${r.n} by ${r.n}. Selected: query ${row + 1}, key ${col + 1}, ${this._cellText(row, col)}. Arrow keys move, plus and minus add or remove a token.`}
          @pointermove=${(e) => {
            const cell = this._pointerCell(e);
            if (cell && (cell.row !== this.row || cell.col !== this.col)) this.setState(cell);
          }}
          @click=${(e) => {
            const cell = this._pointerCell(e);
            if (cell) this.setState(cell);
          }}
        >
          <canvas width=${size} height=${size} aria-hidden="true"></canvas>
          <svg width=${size} height=${size} viewBox="0 0 ${size} ${size}" aria-hidden="true">
            <rect x="0.5" y=${newest * c + 0.5} width=${size - 1} height=${c - 1} fill="none" stroke="var(--_highlight)" stroke-width="2"></rect>
            <rect x=${newest * c + 0.5} y="0.5" width=${c - 1} height=${size - 1} fill="none" stroke="var(--_highlight)" stroke-width="2"></rect>
            <rect x=${col * c + 1.25} y=${row * c + 1.25} width=${Math.max(1, c - 3.5)} height=${Math.max(1, c - 3.5)} fill="none" stroke="var(--_fg)" stroke-width="2.5"></rect>
          </svg>
        </div>
      </div>
      <div class="key" aria-hidden="true">
        <span><span class="swatch sw-softmax"></span>softmax weight (stronger colour = more)</span>
        <span><span class="swatch sw-masked"></span>future key, masked</span>
        <span><span class="swatch sw-highlight"></span>newest token's row and column</span>
      </div>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas || !this._res) return;
    const r = this._res;
    const c = this._cellSize();
    // sizes go through the CSSOM, never a style attribute (a strict CSP refuses those)
    this.style.setProperty('--cell', `${c}px`);
    const ctx = prepareCanvas(canvas, c * r.n, c * r.n);
    drawMatrix(ctx, r.weights, r.n, r.n, {
      cell: c,
      color: sequentialColor(this, 1),
      masked: (i, j) => this._masked(i, j),
      maskColor: this.cssVar('--_masked'),
      maskHatch: this.cssVar('--_muted'),
      gapColor: this.cssVar('--_grid'),
    });
  }

  renderReadouts() {
    const r = this._res;
    const { row, col } = this._cell();
    const masked = this._masked(row, col);
    const scoresCost = r.orders ? r.orders.scoresFirst.firstMacs : null;
    return html`
      ${readout('Cells', `${grouped(r.cost.peakFloats)}`, `${r.n} × ${r.n} scores held at once`)}
      ${scoresCost !== null
        ? readout('Multiply-adds for the scores', grouped(scoresCost), `n² · d = ${inWords(scoresCost)}`)
        : readout('Multiply-adds, whole layer', grouped(r.cost.macs), `scores and weights × values: ${inWords(r.cost.macs)}`)}
      ${readout(`Query ${row + 1} · key ${col + 1}`, masked ? 'masked' : fixed(r.scores[row * r.n + col]), masked ? 'key comes after the query' : 'score q·k / √d', 'softmax')}
      ${readout('Softmax weight', masked ? '0' : fixed(r.weights[row * r.n + col]), `row ${row + 1} sums to 1`, 'softmax')}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = [];
    for (let i = 0; i < r.n; i++)
      for (let j = 0; j <= i; j++) rows.push([`${i + 1}`, `${j + 1}`, fixed(r.scores[i * r.n + j]), fixed(r.weights[i * r.n + j])]);
    return dataTable(`Scores and softmax weights from the core (keys after their query are masked)`, ['query i', 'key j', 'score q·k/√d', 'weight'], rows);
  }
}
