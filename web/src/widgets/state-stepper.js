/**
 * <attn-state-stepper>: linear attention run as an RNN, one token at a time.
 * Chapter 4, "Attention as an RNN".
 *
 * A core state, core.createState('linear', { featureMap: 'identity', normalize: false }), consumes
 * the seeded tokens one by one: each step adds k vᵀ to the d x d state and returns o = Sᵀ q. The
 * widget draws the state before the step, the change the step made (S_t − S_{t−1}, the rank-1
 * k_t v_tᵀ) and the state after it, with k_t, v_t, q_t and o_t beside them. Stepping back re-runs
 * the state from reset (a state cannot be un-stepped). The memory readout is core.cost's stateFloats
 * for the recurrent form against the KV cache of softmax attention. The comparison switch runs the
 * parallel form over the same tokens (core.run) and shows its output next to the stepped one.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   t        tokens consumed, 0 … length (default 3)
 *   length   tokens in the sequence, 2 … 64 (default 12)
 *   d        head dimension, dk = dv: 2 | 3 | 4 | 6 | 8 | 12 | 16 (default 6)
 *   seed     seed of the q, k, v vectors (default 1)
 *   compare  show the parallel form's output beside the stepped one (default false)
 *   prefill  tokens read at once by the parallel form before stepping, 0 … length (default 0): its
 *            final state (core.run(..., { form: 'parallel' }).state) seeds the stepper
 *            (createState with initialState), which steps on from there; t never goes below it
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the figure, → steps, ← steps back, Home resets, End runs to the end, space plays or
 *   pauses (one token every 0.7 s; nothing plays by itself).
 * CSS custom properties: --attn-negative / --attn-positive (matrix entries), --attn-highlight (the
 *   rank-1 update), --attn-linear / --attn-softmax (memory lines) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, state, memory.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes, compactFormat } from '../frame/chart.js';
import { prepareCanvas, drawMatrix, divergingColor, maxAbs } from '../frame/heatmap.js';
import { grouped, fixed, tiny } from '../frame/format.js';
import { tokenVectors, row } from '../core/inputs.js';

const OPTS = { featureMap: 'identity', normalize: false };

const TABLE = [
  { key: 't', type: 'int', default: 3, min: 0, max: 64, label: 'Tokens consumed' },
  { key: 'length', type: 'int', default: 12, min: 2, max: 64, label: 'Sequence length' },
  { key: 'd', type: 'enum', default: 6, values: [2, 3, 4, 6, 8, 12, 16], label: 'Head dimension d' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
  { key: 'compare', type: 'bool', default: false, label: 'Compare with the parallel form' },
  { key: 'prefill', type: 'int', default: 0, min: 0, max: 64, label: 'Prefill in parallel' },
];

export class StateStepper extends AttnWidget {
  static widgetName = 'state-stepper';
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
  static styles = [
    AttnWidget.styles,
    css`
      .eq {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 0.45rem;
        width: fit-content;
        max-width: 100%;
      }
      .mat {
        display: grid;
        gap: 0.2rem;
        justify-items: center;
        margin: 0;
      }
      .mat figcaption {
        font-size: 0.82em;
        color: var(--_muted);
        text-align: center;
      }
      .op {
        font-size: 1.3em;
        color: var(--_muted);
      }
      .vecs {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem 1.2rem;
        margin-top: 0.7rem;
        align-items: end;
      }
      .memory {
        margin-top: 0.8rem;
      }
      .memory-label {
        font-size: 0.88em;
        color: var(--_muted);
      }
      .kv-row {
        display: flex;
        gap: 3px;
        align-items: end;
      }
      .kv-col {
        display: grid;
        gap: 3px;
      }
      .empty {
        width: var(--side);
        height: var(--side);
        border: 1px dashed var(--_border);
        border-radius: 3px;
      }
      svg {
        display: block;
        overflow: visible;
      }
    `,
  ];

  constructor() {
    super();
    this._width = 520;
    this._state = null;
    this._stateKey = '';
  }

  onDispose() {
    unobserveWidth(this);
    // the frame disposed the tracked core state; forget it so a re-attached element makes a new one
    this._state = null;
    this._stateKey = '';
  }

  titleText() {
    return 'Linear attention, one token at a time';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    if (r.t === 0) return `An empty ${r.d} by ${r.d} state, all zeros, before the first of ${r.length} tokens. Step to add the first token's key times value.`;
    return `Three ${r.d} by ${r.d} heatmaps: the state before token ${r.t}, the rank-1 update k times v transposed that token ${r.t} adds, and the state after it. Below, the query, the output read from the state, and the memory held so far: the state stays at ${grouped(r.memory.at.state)} floats while a softmax KV cache would hold ${grouped(r.memory.at.cache)}.`;
  }

  get canPlayControls() {
    return true;
  }

  canAdvance() {
    return this.t < this.length;
  }

  advance() {
    this.setState({ t: this.t + 1 });
  }

  rewindForPlay() {
    this.setState({ t: this._first() });
  }

  // The first token position the stepper can show: after the prefill, if any.
  _first() {
    return Math.min(this.prefill, this.length);
  }

  // ----- computation -------------------------------------------------------------------------------

  // A core state positioned at token `from`: empty when from = 0, otherwise seeded with the state
  // the parallel form hands on after reading the first `from` tokens at once (a prompt read in
  // parallel, then continued token by token). The first `from` outputs come from that same run.
  _startState(vec, from) {
    const core = this.core;
    const d = this.d;
    this.release(this._state);
    this._state = null;
    this._outputs = [];
    this._prefilled = null;
    let initialState;
    if (from > 0) {
      const first = { q: vec.q.subarray(0, from * d), k: vec.k.subarray(0, from * d), v: vec.v.subarray(0, from * d) };
      const par = core.run('linear', first, { n: from, dk: d, dv: d, form: 'parallel', ...OPTS });
      for (let i = 0; i < from; i++) this._outputs[i] = row(par.output, d, i);
      // The same tokens stepped one by one end in this state too (up to float rounding): shown.
      const rec = core.run('linear', first, { n: from, dk: d, dv: d, form: 'recurrent', ...OPTS }).state;
      let diff = 0;
      for (let i = 0; i < rec.length; i++) diff = Math.max(diff, Math.abs(rec[i] - par.state[i]));
      this._prefilled = { n: from, state: par.state, diff };
      initialState = par.state;
    }
    this._state = this.track(core.createState('linear', { dk: d, dv: d, ...OPTS, initialState }));
    this._from = from;
    return this._state;
  }

  compute() {
    const core = this.core;
    const d = this.d;
    const length = this.length;
    const from = Math.min(this.prefill, length);
    const t = Math.max(from, Math.min(this.t, length));
    const vec = tokenVectors(this.seed, length, d, d);
    // Tokens changed (seed, d, prefill; length only extends), or a step back: start over.
    const key = `${d}|${this.seed}|${from}`;
    let s = this._state;
    if (!s || this._stateKey !== key || this._from + s.t > t) {
      s = this._startState(vec, from);
      this._stateKey = key;
    }
    let before = null;
    while (this._from + s.t < t) {
      const i = this._from + s.t;
      if (i === t - 1) before = s.state();
      const o = s.step({ q: row(vec.q, d, i), k: row(vec.k, d, i), v: row(vec.v, d, i) });
      this._outputs[i] = o;
    }
    const after = s.state();
    // Recomputed without a step (e.g. the comparison toggled): the state before this token is the
    // one kept from the step that reached it. At the start (or right after a prefill) there is none.
    if (t > from && !before) before = this._before;
    this._before = before;
    // What this step changed in the core's state: S_t − S_{t−1} (a comparison of two core results).
    const update = before ? after.map((x, i) => x - before[i]) : null;

    // Memory: the recurrent state against the KV cache of softmax attention, per token, from core.cost.
    const series = [];
    for (let n = 1; n <= length; n++) {
      series.push({
        n,
        state: core.cost('linear', { n, dk: d, dv: d, form: 'recurrent', ...OPTS }).stateFloats,
        cache: core.cost('softmax', { n, dk: d, dv: d, form: 'recurrent' }).stateFloats,
      });
    }
    const at = t > 0 ? series[t - 1] : { n: 0, state: after.length, cache: 0 };

    let parallel = null;
    if (this.compare && t > 0) {
      const n = t;
      const out = core.run(
        'linear',
        { q: vec.q.subarray(0, n * d), k: vec.k.subarray(0, n * d), v: vec.v.subarray(0, n * d) },
        { n, dk: d, dv: d, form: 'parallel', ...OPTS },
      ).output;
      let diff = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) diff = Math.max(diff, Math.abs(out[i * d + j] - this._outputs[i][j]));
      parallel = { out, diff };
    }

    const prefilled = this._prefilled;
    this._res = { t, d, length, vec, before, after, update, output: t > 0 ? this._outputs[t - 1] : null, memory: { series, at }, parallel, from, prefilled };
    if (t === 0) this.announce(`Reset: empty ${d} by ${d} state.`);
    else if (t === from)
      this.announce(
        `The parallel form read the first ${from} tokens at once and handed on its ${d} by ${d} state; it differs from the stepped state by at most ${tiny(prefilled.diff)}. Step to continue token by token.`,
      );
    else
      this.announce(
        `Token ${t} of ${length}: state ${d} by ${d}, ${grouped(at.state)} floats; a KV cache would hold ${grouped(at.cache)}. Output starts ${fixed(this._outputs[t - 1][0])}, ${fixed(this._outputs[t - 1][1] ?? 0)}.${parallel ? ` Parallel form differs by at most ${tiny(parallel.diff)}.` : ''}`,
      );
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    switch (key) {
      case 'ArrowRight':
      case 'ArrowUp':
        if (this.t < this.length) this.setState({ t: this.t + 1 });
        return true;
      case 'ArrowLeft':
      case 'ArrowDown':
        if (this.t > this._first()) this.setState({ t: this.t - 1 });
        return true;
      case 'Home':
        this.pause();
        this.setState({ t: this._first() });
        return true;
      case 'End':
        this.setState({ t: this.length });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    const first = this._first();
    const t = Math.max(first, Math.min(this.t, this.length));
    return html`
      <div class="buttons" role="group" aria-label="Stepping">
        <button @click=${() => (this.pause(), this.setState({ t: first }))} ?disabled=${t === first}>Reset</button>
        <button @click=${() => this.setState({ t: t - 1 })} ?disabled=${t === first}>Step back</button>
        <button aria-pressed=${this.playing ? 'true' : 'false'} @click=${() => this.togglePlay()}>${this.playing ? 'Pause' : 'Play'}</button>
        <button @click=${() => this.setState({ t: t + 1 })} ?disabled=${t >= this.length}>Step</button>
      </div>
      <label class="control">
        <span>Sequence length</span>
        <input
          type="number"
          min="2"
          max="64"
          .value=${String(this.length)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) {
              const length = Math.min(64, Math.max(2, v));
              this.setState({ length, t: Math.min(this.t, length) });
            } else e.target.value = String(this.length);
          }}
        />
      </label>
      <label class="control">
        <span>Head dimension d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value), t: 0 })}>
          ${TABLE[2].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v}</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Prefill in parallel</span>
        <input
          type="number"
          min="0"
          max=${String(this.length)}
          aria-describedby="prefill-help"
          .value=${String(this.prefill)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) {
              const prefill = Math.min(this.length, Math.max(0, v));
              this.setState({ prefill, t: Math.max(prefill, this.t) });
            } else e.target.value = String(this.prefill);
          }}
        />
        <span id="prefill-help" class="sr-only">tokens the parallel form reads at once; its final state seeds the stepper</span>
      </label>
      <label class="control check">
        <span>Parallel form</span>
        <span><input type="checkbox" .checked=${this.compare} @change=${(e) => this.setState({ compare: e.target.checked })} /> compare</span>
      </label>
      <button @click=${() => this.setState({ seed: this.seed + 1, t: 0 })}>New tokens</button>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _cell() {
    const d = this._res.d;
    const avail = Math.max(260, (this._width || 520) - 10);
    // three d x d matrices, the k strip and the two operators on one line
    return Math.max(6, Math.min(30, Math.floor((avail - 80) / (3 * d + 1))));
  }

  renderFigure() {
    const r = this._res;
    const c = this._cell();
    const side = r.d * c;
    const t = r.t;
    const strip = (cls, len, vertical) =>
      html`<canvas class=${cls} width=${vertical ? c : len * c} height=${vertical ? len * c : c} aria-hidden="true"></canvas>`;
    return html`
      <div
        class="surface eq"
        part="state"
        tabindex="0"
        role="group"
        aria-label=${`State after ${t} tokens. Right arrow steps, left arrow steps back, space plays.`}
      >
        <figure class="mat">
          ${nothingOr(t > 0, html`<canvas class="before" width=${side} height=${side} aria-hidden="true"></canvas>`)}
          <figcaption>S<sub>${t > 0 ? t - 1 : 0}</sub> before</figcaption>
        </figure>
        <span class="op" aria-hidden="true">+</span>
        <figure class="mat">
          <div class="kv-row">
            ${t > 0 ? strip('k', r.d, true) : nothing}
            <div class="kv-col">
              ${t > 0 ? strip('v', r.d, false) : nothing}
              ${nothingOr(t > 0, html`<canvas class="update" width=${side} height=${side} aria-hidden="true"></canvas>`)}
            </div>
          </div>
          <figcaption>k<sub>${t}</sub> v<sub>${t}</sub>ᵀ, this token</figcaption>
        </figure>
        <span class="op" aria-hidden="true">=</span>
        <figure class="mat">
          <canvas class="after" width=${side} height=${side} aria-hidden="true"></canvas>
          <figcaption>S<sub>${t}</sub> ${t === r.from && t > 0 ? 'handed on by the parallel form' : 'after'}</figcaption>
        </figure>
      </div>
      <div class="vecs">
        ${t > 0
          ? html`<figure class="mat">${strip('q', r.d, false)}<figcaption>query q<sub>${t}</sub></figcaption></figure>
              <figure class="mat">${strip('o', r.d, false)}<figcaption>output o<sub>${t}</sub> = S<sub>${t}</sub>ᵀ q<sub>${t}</sub>, stepped</figcaption></figure>
              ${r.parallel
                ? html`<figure class="mat">${strip('p', r.d, false)}<figcaption>row ${t} of the parallel form</figcaption></figure>`
                : nothing}`
          : html`<p class="memory-label">No token yet: press Step.</p>`}
      </div>
      ${this._renderMemory()}
    `;
  }

  _memFrame() {
    const width = Math.max(260, Math.min(560, this._width || 520));
    const height = 150;
    const m = { top: 10, right: 14, bottom: 34, left: 54 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _memScales() {
    const f = this._memFrame();
    const s = this._res.memory.series;
    const x = scaleLinear().domain([0, this._res.length]).range([0, f.iw]);
    const y = scaleLinear()
      .domain([0, Math.max(s[s.length - 1].cache, s[0].state)])
      .range([f.ih, 0])
      .nice();
    return { f, x, y };
  }

  _renderMemory() {
    const r = this._res;
    const { f, x, y } = this._memScales();
    const pts = [{ n: 0, state: r.memory.series[0].state, cache: 0 }, ...r.memory.series];
    const upto = pts.slice(0, r.t + 1);
    const path = (key, data) =>
      line()
        .x((p) => x(p.n))
        .y((p) => y(p[key]))(data);
    return html`<div class="memory" part="memory">
      <div class="memory-label">Memory held after each token (floats)</div>
      <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="Memory against tokens: the state is flat, the KV cache grows.">
        <g transform="translate(${f.m.left},${f.m.top})">
          <g class="axis y"></g>
          <g class="axis x" transform="translate(0,${f.ih})"></g>
          ${svg`
            <path d=${path('cache', pts)} fill="none" stroke="var(--_softmax)" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.7"></path>
            <path d=${path('state', pts)} fill="none" stroke="var(--_linear)" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.7"></path>
            <path d=${path('cache', upto)} fill="none" stroke="var(--_softmax)" stroke-width="3"></path>
            <path d=${path('state', upto)} fill="none" stroke="var(--_linear)" stroke-width="3"></path>
            <line x1=${x(r.t)} x2=${x(r.t)} y1="0" y2=${f.ih} stroke="var(--_muted)" stroke-dasharray="2 3"></line>
            <text x=${f.iw / 2} y=${f.ih + 30} text-anchor="middle" font-size="12">tokens</text>`}
        </g>
      </svg>
      <div class="memory-label">
        <span class="linear"><span class="swatch sw-linear"></span>linear state (fixed)</span>
        &nbsp;
        <span class="softmax"><span class="swatch sw-softmax"></span>softmax KV cache (grows)</span>
      </div>
    </div>`;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const r = this._res;
    if (!r) return;
    const c = this._cell();
    const side = r.d * c;
    const root = this.renderRoot;
    // through the CSSOM, never a style attribute (a strict CSP refuses those)
    this.style.setProperty('--side', `${side}px`);
    const scaleS = divergingColor(this, Math.max(maxAbs(r.after), r.before ? maxAbs(r.before) : 0));
    const paint = (sel, data, rows, cols, color) => {
      const el = root.querySelector(sel);
      if (!el || !data) return null;
      const ctx = prepareCanvas(el, cols * c, rows * c);
      drawMatrix(ctx, data, rows, cols, { cell: c, color, gapColor: this.cssVar('--_grid') });
      return ctx;
    };
    paint('canvas.before', r.before, r.d, r.d, scaleS);
    paint('canvas.update', r.update, r.d, r.d, scaleS);
    const ctx = paint('canvas.after', r.after, r.d, r.d, scaleS);
    if (ctx && r.update) {
      // outline the cells this token changed, stronger where it changed them more
      const m = maxAbs(r.update) || 1;
      ctx.strokeStyle = this.cssVar('--_highlight');
      for (let i = 0; i < r.d; i++)
        for (let j = 0; j < r.d; j++) {
          const a = Math.abs(r.update[i * r.d + j]) / m;
          if (a < 0.2) continue;
          ctx.globalAlpha = a;
          ctx.lineWidth = a > 0.6 ? 2.5 : 1.5;
          ctx.strokeRect(j * c + 1.5, i * c + 1.5, c - 4, c - 4);
        }
      ctx.globalAlpha = 1;
    }
    if (r.t > 0) {
      const i = r.t - 1;
      const vecColor = divergingColor(this, Math.max(maxAbs(row(r.vec.k, r.d, i)), maxAbs(row(r.vec.v, r.d, i)), maxAbs(row(r.vec.q, r.d, i))));
      paint('canvas.k', row(r.vec.k, r.d, i), r.d, 1, vecColor);
      paint('canvas.v', row(r.vec.v, r.d, i), 1, r.d, vecColor);
      paint('canvas.q', row(r.vec.q, r.d, i), 1, r.d, vecColor);
      const outColor = divergingColor(this, Math.max(maxAbs(r.output), r.parallel ? maxAbs(row(r.parallel.out, r.d, i)) : 0));
      paint('canvas.o', r.output, 1, r.d, outColor);
      if (r.parallel) paint('canvas.p', row(r.parallel.out, r.d, i), 1, r.d, outColor);
    }
    const mem = root.querySelector('.memory svg');
    if (mem) {
      const { f, x, y } = this._memScales();
      drawAxes(mem, {
        innerWidth: f.iw,
        x: { scale: x, count: Math.min(r.length, Math.max(2, Math.floor(f.iw / 60))), format: (v) => (Number.isInteger(v) ? String(v) : '') },
        y: { scale: y, count: 3, format: compactFormat },
      });
    }
  }

  renderReadouts() {
    const r = this._res;
    const at = r.memory.at;
    return html`
      ${readout(
        'Tokens consumed',
        `${r.t} of ${r.length}`,
        r.prefilled ? `${r.from} read in parallel, ${r.t - r.from} stepped` : `core state t = ${this._state ? this._state.t : 0}`,
      )}
      ${r.prefilled
        ? readout('Parallel hand-over', `max |diff| ${tiny(r.prefilled.diff)}`, `its state vs ${r.from} tokens stepped one by one`)
        : nothing}
      ${readout('State memory', `${grouped(at.state)} floats`, `${r.d} × ${r.d}, the same at every step`, 'linear')}
      ${readout('A KV cache would hold', `${grouped(at.cache)} floats`, 'softmax keeps every key and value', 'softmax')}
      ${r.output
        ? readout(
            r.parallel ? 'Stepped vs parallel output' : 'Output o',
            r.parallel ? `max |diff| ${tiny(r.parallel.diff)}` : `[${Array.from(r.output.subarray(0, Math.min(3, r.d)), (x) => fixed(x, 2)).join(', ')}${r.d > 3 ? ', …' : ''}]`,
            r.parallel ? `over all ${r.t} tokens so far` : `token ${r.t}, read from the state`,
          )
        : nothing}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = [];
    for (let i = 0; i < r.t; i++) {
      const o = this._outputs[i];
      const p = r.parallel ? row(r.parallel.out, r.d, i) : null;
      for (let j = 0; j < r.d; j++) rows.push([`${i + 1}`, `${j + 1}`, fixed(o[j], 5), p ? fixed(p[j], 5) : '—']);
    }
    const srows = [];
    for (let i = 0; i < r.d; i++) srows.push([`${i + 1}`, ...Array.from(r.after.subarray(i * r.d, (i + 1) * r.d), (x) => fixed(x))]);
    const memRows = r.memory.series.map((m) => [`${m.n}`, grouped(m.state), grouped(m.cache)]);
    return html`${dataTable(`State S after ${r.t} tokens (rows: key index, columns: value index)`, ['row', ...Array.from({ length: r.d }, (_, j) => `col ${j + 1}`)], srows)}
    ${dataTable('Outputs per token', ['token', 'dim', 'stepped', 'parallel'], rows)}
    ${dataTable('Memory after each token (floats)', ['tokens', 'linear state', 'softmax KV cache'], memRows)}`;
  }
}

// A placeholder box of the same size (--side) when there is nothing to draw yet, so the layout
// stays put.
function nothingOr(cond, content) {
  return cond ? content : html`<div class="empty" aria-hidden="true"></div>`;
}
