/**
 * <attn-simulator>: a softmax transformer and a linear-attention model race through the same
 * growing sequence.
 * Chapter 6, "The race".
 *
 * Each model is a stack of LAYERS token-mixing layers with one head of dimension 64; the rival is
 * RWKV-7, Mamba-2 (state 128 x 64, as in its paper), DeltaNet, or a hybrid of one softmax layer in
 * four with Gated DeltaNet in the others. At step t both have processed t tokens one at a time
 * (generation, the recurrent form). Top: cumulative multiply-adds, core.cost(id, { n: t, form:
 * 'recurrent' }).macs of every layer. Bottom: memory held, core.cost(...).stateFloats of every layer
 * (the KV cache grows, the states do not). With "run the real kernels" each model's layers are core
 * states stepped token by token in slices of a few milliseconds, and the cumulative measured time
 * is plotted in a third panel; the stepping shows its progress and can be cancelled.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   rival    'rwkv7' | 'mamba2' | 'deltanet' | 'hybrid' (default 'rwkv7')
 *   length   tokens in the race: 1024 | 2048 | 4096 | 8192 | 16384 | 65536 | 262144 (default 4096)
 *   t        tokens processed so far, 0 … length (default 0)
 *   measure  step the real kernels and plot measured time (default false; lengths up to 8192)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the figure, → steps (one stride, length / 128 tokens), ← steps back, Home resets,
 *   End jumps to the end, space runs or pauses. Nothing runs by itself.
 * CSS custom properties: --attn-softmax (the transformer), --attn-linear (the rival) and the common
 *   --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, compute, memory,
 *   measured, progress.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable, messageOf } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes, compactFormat } from '../frame/chart.js';
import { grouped, inWords, short, duration } from '../frame/format.js';
import { sampleInputs, tokenRow, headSizes } from '../core/samples.js';
import { abortError } from '../core/slices.js';

export const LAYERS = 4;
export const HEAD = 64;
const MAX_MEASURED = 8192;
const POOL = 64; // seeded token rows per layer, reused cyclically by the timed stepping
const STEPS = 128; // strides in a race
const CURVE = 32; // points of each plotted curve (each is a core.cost call per kind of layer)

// A model: groups of identical layers, each a variant with the sizes core.cost and createState take.
const group = (id, sizes, count) => ({ id, sizes, count });
const D = { dk: HEAD, dv: HEAD };
export const MODELS = {
  softmax: { label: 'Softmax transformer', short: 'softmax', groups: [group('softmax', D, LAYERS)] },
  rwkv7: { label: 'RWKV-7', short: 'RWKV-7', groups: [group('rwkv7', D, LAYERS)] },
  mamba2: { label: 'Mamba-2', short: 'Mamba-2', groups: [group('mamba2', { N: 128, P: HEAD }, LAYERS)] },
  deltanet: { label: 'DeltaNet', short: 'DeltaNet', groups: [group('deltanet', D, LAYERS)] },
  hybrid: {
    label: 'Hybrid (1 softmax : 3 Gated DeltaNet)',
    short: 'hybrid',
    groups: [group('softmax', D, 1), group('gated_deltanet', D, LAYERS - 1)],
  },
};

const TABLE = [
  { key: 'rival', type: 'enum', default: 'rwkv7', values: ['rwkv7', 'mamba2', 'deltanet', 'hybrid'], label: 'Rival' },
  { key: 'length', type: 'enum', default: 4096, values: [1024, 2048, 4096, 8192, 16384, 65536, 262144], label: 'Race length' },
  { key: 't', type: 'int', default: 0, min: 0, max: 262144, label: 'Tokens processed' },
  { key: 'measure', type: 'bool', default: false, label: 'Run the real kernels' },
];

// Cumulative macs and the memory of a model after n tokens: core.cost of each kind of layer, times
// the number of such layers.
export function modelCost(core, model, n) {
  let macs = 0;
  let stateFloats = 0;
  const perGroup = [];
  for (const g of model.groups) {
    const c = core.cost(g.id, { n, form: 'recurrent', ...g.sizes });
    perGroup.push({ id: g.id, count: g.count, macs: c.macs, stateFloats: c.stateFloats });
    macs += g.count * c.macs;
    stateFloats += g.count * c.stateFloats;
  }
  return { macs, stateFloats, perGroup };
}

export class Simulator extends AttnWidget {
  static widgetName = 'simulator';
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
      .panel-label {
        font-size: 0.88em;
        color: var(--_muted);
        margin: 0.4rem 0 0.1rem;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        font-size: 0.88em;
        margin: 0.2rem 0 0;
      }
      .progress {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem 0.8rem;
        align-items: center;
        font-size: 0.88em;
      }
      progress {
        width: min(14rem, 60%);
        accent-color: var(--_focus);
      }
      .check {
        display: flex;
        gap: 0.35rem;
        align-items: center;
      }
    `,
  ];

  constructor() {
    super();
    this._width = 0;
    this._progress = null; // { done, target, running }
    this._run = null; // the real kernels: { key, lanes: { softmax, rival }, t, ms: {..}, points: [...] }
    this._abort = null;
    this._curveKey = '';
  }

  onDispose() {
    unobserveWidth(this);
    this._abort?.abort();
    this._abort = null;
    // the frame disposed the tracked states
    this._run = null;
  }

  titleText() {
    return 'The race: two models, one growing sequence';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const rival = MODELS[this.rival];
    return `Two stacked line charts against tokens processed, from 0 to ${grouped(r.length)}. Top: cumulative multiply-adds of the ${LAYERS}-layer softmax transformer (a parabola) and of ${rival.label} (a straight line); after ${grouped(r.t)} tokens they stand at ${inWords(r.at.softmax.macs)} and ${inWords(r.at.rival.macs)}. Bottom: memory held, a KV cache growing to ${inWords(r.at.softmax.stateFloats)} floats against ${inWords(r.at.rival.stateFloats)} floats of state${this.rival === 'hybrid' ? ' and one small cache' : ''}.${this.measure ? ' A third chart shows the measured time of the real kernels on this device.' : ''}`;
  }

  get stride() {
    return Math.max(1, Math.round(this.length / STEPS));
  }

  get canPlayControls() {
    return true;
  }

  get playInterval() {
    return 60;
  }

  canAdvance() {
    return this.t < this.length;
  }

  advance() {
    // with the real kernels running, the race waits for them to catch up
    if (this.measure && this._progress?.running) return;
    this.setState({ t: Math.min(this.length, this.t + this.stride) });
  }

  rewindForPlay() {
    this.setState({ t: 0 });
  }

  // ----- computation -------------------------------------------------------------------------------

  // The whole race from the cost model, at CURVE points from the first token to the last.
  _curves() {
    const key = `${this.rival}|${this.length}`;
    if (this._curveKey === key) return this._curvesCache;
    const core = this.core;
    const pts = [];
    for (let i = 0; i <= CURVE; i++) {
      const n = Math.max(1, Math.round((this.length * i) / CURVE));
      const s = modelCost(core, MODELS.softmax, n);
      const v = modelCost(core, MODELS[this.rival], n);
      pts.push({ n, soft: s.macs, rival: v.macs, softMem: s.stateFloats, rivalMem: v.stateFloats });
    }
    this._curveKey = key;
    this._curvesCache = pts;
    return pts;
  }

  compute() {
    const core = this.core;
    const length = this.length;
    const t = Math.min(this.t, length);
    // before the first token nothing has been computed or stored
    const zero = { macs: 0, stateFloats: 0, perGroup: [] };
    const at = {
      softmax: t > 0 ? modelCost(core, MODELS.softmax, t) : zero,
      rival: t > 0 ? modelCost(core, MODELS[this.rival], t) : zero,
    };
    const pts = this._curves();
    this._res = { t, length, at, pts };
    if (this.measure && length <= MAX_MEASURED) this._syncKernels(t);
    else if (this._run) this._stopKernels();
    const ratio = at.rival.macs > 0 ? at.softmax.macs / at.rival.macs : 0;
    this.announce(
      t === 0
        ? `Reset: no tokens processed.`
        : `${grouped(t)} tokens: softmax ${inWords(at.softmax.macs)} multiply-adds, ${MODELS[this.rival].short} ${inWords(at.rival.macs)}, ratio ${short(ratio)}. Memory ${inWords(at.softmax.stateFloats)} against ${inWords(at.rival.stateFloats)} floats.`,
    );
  }

  // ----- the real kernels --------------------------------------------------------------------------

  _makeLanes() {
    const core = this.core;
    const byId = new Map(core.variants().map((v) => [v.id, v]));
    const lane = (model) =>
      model.groups.flatMap((g) =>
        Array.from({ length: g.count }, (_, i) => {
          const info = byId.get(g.id);
          const { tokens, channels } = sampleInputs(info, g.sizes, POOL, 11 + i);
          const state = this.track(core.createState(g.id, { ...g.sizes }, channels));
          return { info, sizes: g.sizes, tokens, state };
        }),
      );
    return { softmax: lane(MODELS.softmax), rival: lane(MODELS[this.rival]) };
  }

  _stopKernels() {
    this._abort?.abort();
    this._abort = null;
    if (this._run) for (const lane of Object.values(this._run.lanes)) for (const l of lane) this.release(l.state);
    this._run = null;
    this._progress = null;
  }

  // Brings the real states to t tokens, in slices; stepping back replays from the start.
  _syncKernels(t) {
    const key = this.rival;
    if (!this._run || this._run.key !== key) {
      this._stopKernels();
      this._run = { key, lanes: this._makeLanes(), t: 0, ms: { softmax: 0, rival: 0 }, points: [{ t: 0, softmax: 0, rival: 0 }] };
    }
    const run = this._run;
    if (run.t > t) {
      for (const lane of Object.values(run.lanes)) for (const l of lane) l.state.reset();
      run.t = 0;
      run.ms = { softmax: 0, rival: 0 };
      run.points = [{ t: 0, softmax: 0, rival: 0 }];
    }
    if (run.t === t || (this._progress?.running && this._progress.target === t)) return;
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    this._catchUp(run, t, abort.signal).catch((err) => {
      if (this._abort === abort) this._abort = null;
      if (err.name === 'AbortError') return;
      this._error = `The real kernels stopped: ${messageOf(err)}`;
      this._progress = null;
    });
  }

  async _catchUp(run, target, signal) {
    const startT = run.t;
    this._progress = { done: 0, total: target - startT, target, running: true };
    const stepLane = (lane, i) => {
      for (const l of lane) l.state.step(tokenRow(l.info, l.tokens, l.sizes, i % POOL));
    };
    let perToken = 0.05; // ms for one token through both models, re-measured after every block
    while (run.t < target) {
      await new Promise((r) => setTimeout(r, 0));
      if (signal.aborted || this._run !== run) throw abortError('stepping');
      const sliceStart = performance.now();
      // Both models step the same block of tokens, timed separately, alternating which goes first.
      // Blocks are sized from the last one's time to take about 3 ms, so a slice stays near 12 ms
      // even as the softmax cache (and its per-token work) grows.
      while (run.t < target && performance.now() - sliceStart < 10) {
        const n = Math.max(1, Math.min(target - run.t, Math.floor(3 / perToken)));
        let blockMs = 0;
        for (const side of run.t % 2 ? ['rival', 'softmax'] : ['softmax', 'rival']) {
          const t0 = performance.now();
          for (let i = 0; i < n; i++) stepLane(run.lanes[side], run.t + i);
          const ms = performance.now() - t0;
          run.ms[side] += ms;
          blockMs += ms;
        }
        run.t += n;
        perToken = Math.max(1e-3, blockMs / n);
      }
      run.points.push({ t: run.t, softmax: run.ms.softmax, rival: run.ms.rival });
      this._progress = { done: run.t - startT, total: target - startT, target, running: run.t < target };
    }
    if (this._run === run) {
      this._live = `Real kernels: ${grouped(run.t)} tokens in ${duration(run.ms.softmax)} for softmax and ${duration(run.ms.rival)} for ${MODELS[this.rival].short}.`;
      this._abort = null;
    }
  }

  // Cancel: the race stops where the real kernels are.
  cancelKernels() {
    const run = this._run;
    this._abort?.abort();
    this._abort = null;
    this.pause();
    this._progress = null;
    if (run) this.setState({ t: run.t });
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    switch (key) {
      case 'ArrowRight':
      case 'ArrowUp':
        this.setState({ t: Math.min(this.length, this.t + this.stride) });
        return true;
      case 'ArrowLeft':
      case 'ArrowDown':
        this.setState({ t: Math.max(0, this.t - this.stride) });
        return true;
      case 'Home':
        this.pause();
        this.setState({ t: 0 });
        return true;
      case 'End':
        this.setState({ t: this.length });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    const t = Math.min(this.t, this.length);
    const canMeasure = this.length <= MAX_MEASURED;
    return html`
      <div class="buttons" role="group" aria-label="Race">
        <button @click=${() => (this.pause(), this.setState({ t: 0 }))} ?disabled=${t === 0}>Reset</button>
        <button aria-pressed=${this.playing ? 'true' : 'false'} @click=${() => this.togglePlay()}>${this.playing ? 'Pause' : 'Run'}</button>
        <button @click=${() => this.setState({ t: Math.min(this.length, t + this.stride) })} ?disabled=${t >= this.length}>Step</button>
      </div>
      <label class="control">
        <span>Rival model</span>
        <select @change=${(e) => this.setState({ rival: e.target.value })}>
          ${TABLE[0].values.map((v) => html`<option value=${v} ?selected=${v === this.rival}>${MODELS[v].label}</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Race length</span>
        <select @change=${(e) => this.setState({ length: Number(e.target.value), t: 0 })}>
          ${TABLE[1].values.map((v) => html`<option value=${v} ?selected=${v === this.length}>${grouped(v)} tokens</option>`)}
        </select>
      </label>
      <label class="control">
        <span>Real kernels${canMeasure ? '' : ` (up to ${grouped(MAX_MEASURED)} tokens)`}</span>
        <span class="check"
          ><input type="checkbox" .checked=${this.measure && canMeasure} ?disabled=${!canMeasure} @change=${(e) => this.setState({ measure: e.target.checked })} />
          run and time them</span
        >
      </label>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame(height) {
    const width = Math.max(280, Math.min(760, this._width || this.clientWidth - 30 || 640));
    const m = { top: 10, right: 16, bottom: 30, left: 58 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const r = this._res;
    const top = r.pts[r.pts.length - 1];
    const fc = this._frame(190);
    const fm = this._frame(150);
    const x = scaleLinear().domain([0, r.length]).range([0, fc.iw]);
    const yc = scaleLinear().domain([0, Math.max(top.soft, top.rival, 1)]).range([fc.ih, 0]).nice();
    const ym = scaleLinear().domain([0, Math.max(top.softMem, top.rivalMem, 1)]).range([fm.ih, 0]).nice();
    const out = { fc, fm, x, yc, ym };
    if (this._showMeasured()) {
      const pts = this._run.points;
      const last = pts[pts.length - 1];
      out.ft = this._frame(150);
      out.yt = scaleLinear().domain([0, Math.max(last.softmax, last.rival, 0.01)]).range([out.ft.ih, 0]).nice();
    }
    return out;
  }

  _showMeasured() {
    return this.measure && this.length <= MAX_MEASURED && this._run && this._run.points.length > 0;
  }

  _panel(part, f, label, body) {
    return html`<div class="panel-label">${label}</div>
      <svg part=${part} class=${part} width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label=${label}>
        <g transform="translate(${f.m.left},${f.m.top})">
          <g class="axis y"></g>
          <g class="axis x" transform="translate(0,${f.ih})"></g>
          ${body}
        </g>
      </svg>`;
  }

  renderFigure() {
    const r = this._res;
    const s = this._scales();
    const { x } = s;
    const upto = r.pts.filter((p) => p.n < r.t);
    const path = (data, key, y) =>
      line()
        .x((p) => x(p.n))
        .y((p) => y(p[key]))(data);
    const pair = (keyS, keyR, y, atS, atR, f) => svg`
      <path d=${path(r.pts, keyS, y)} fill="none" stroke="var(--_softmax)" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.55"></path>
      <path d=${path(r.pts, keyR, y)} fill="none" stroke="var(--_linear)" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.55"></path>
      ${r.t > 0 ? svg`<path d=${path([{ n: 0, [keyS]: 0, [keyR]: 0 }, ...upto, { n: r.t, [keyS]: atS, [keyR]: atR }], keyS, y)} fill="none" stroke="var(--_softmax)" stroke-width="3"></path>
      <path d=${path([...upto, { n: r.t, [keyS]: atS, [keyR]: atR }], keyR, y)} fill="none" stroke="var(--_linear)" stroke-width="3"></path>` : nothing}
      <line x1=${x(r.t)} x2=${x(r.t)} y1="0" y2=${f.ih} stroke="var(--_muted)" stroke-dasharray="2 3"></line>
      <circle cx=${x(r.t)} cy=${y(atS)} r="4.5" fill="var(--_softmax)"></circle>
      <circle cx=${x(r.t)} cy=${y(atR)} r="4.5" fill="var(--_linear)"></circle>`;
    const p = this._progress;
    return html`
      <div class="surface" tabindex="0" role="group" aria-label="The race. Right arrow steps, left arrow steps back, space runs or pauses, Home resets.">
        ${this._panel('compute', s.fc, 'Cumulative compute (multiply-adds)', pair('soft', 'rival', s.yc, r.at.softmax.macs, r.at.rival.macs, s.fc))}
        ${this._panel('memory', s.fm, 'Memory held (floats): KV cache against fixed state', pair('softMem', 'rivalMem', s.ym, r.at.softmax.stateFloats, r.at.rival.stateFloats, s.fm))}
        ${this._showMeasured() ? this._panel('measured', s.ft, 'Measured time of the real kernels on this device (cumulative)', this._measuredMarks(s)) : nothing}
      </div>
      <p class="legend">
        <span class="softmax"><span class="swatch sw-softmax"></span>${MODELS.softmax.label}, ${LAYERS} layers</span>
        <span class="linear"><span class="swatch sw-linear"></span>${MODELS[this.rival].label}, ${LAYERS} layers</span>
      </p>
      ${this.measure && this.length <= MAX_MEASURED
        ? html`<div class="progress" part="progress">
            ${p && p.running
              ? html`<progress max=${p.total} .value=${p.done} aria-label="Real kernels progress"></progress>
                  <span>Stepping the real kernels: ${grouped(p.done)} of ${grouped(p.total)} tokens</span>
                  <button @click=${() => this.cancelKernels()}>Cancel</button>`
              : html`<span>Real kernels stepped through ${grouped(this._run ? this._run.t : 0)} tokens.</span>`}
          </div>`
        : nothing}
    `;
  }

  _measuredMarks(s) {
    const pts = this._run.points;
    const mk = (key, color) =>
      svg`<path d=${line()
        .x((p) => s.x(p.t))
        .y((p) => s.yt(p[key]))(pts)} fill="none" stroke=${color} stroke-width="2.5"></path>`;
    return svg`${mk('rival', 'var(--_linear)')}${mk('softmax', 'var(--_softmax)')}`;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    if (!this._res) return;
    const s = this._scales();
    const xAxis = { scale: s.x, count: Math.max(2, Math.floor(s.fc.iw / 90)), format: compactFormat };
    const one = (sel, f, y, fmt = compactFormat) => {
      const el = this.renderRoot.querySelector(`svg.${sel}`);
      if (el) drawAxes(el, { innerWidth: f.iw, x: xAxis, y: { scale: y, count: 4, format: fmt } });
    };
    one('compute', s.fc, s.yc);
    one('memory', s.fm, s.ym);
    if (s.ft) one('measured', s.ft, s.yt, (v) => duration(v));
  }

  renderReadouts() {
    const r = this._res;
    const rival = MODELS[this.rival];
    const run = this._run;
    const measured = this._showMeasured() && run.t > 0;
    return html`
      ${readout('Tokens processed', `${grouped(r.t)} of ${grouped(r.length)}`, `step ${grouped(this.stride)} tokens`)}
      ${readout('Softmax compute', grouped(r.at.softmax.macs), `multiply-adds, ${LAYERS} layers`, 'softmax')}
      ${readout(`${rival.short} compute`, grouped(r.at.rival.macs), `multiply-adds, ${LAYERS} layers`, 'linear')}
      ${readout('Compute ratio', r.at.rival.macs > 0 ? `${short(r.at.softmax.macs / r.at.rival.macs)} : 1` : '—', 'softmax over the rival')}
      ${readout('Softmax memory', `${grouped(r.at.softmax.stateFloats)} floats`, 'KV cache, grows with every token', 'softmax')}
      ${readout(`${rival.short} memory`, `${grouped(r.at.rival.stateFloats)} floats`, this.rival === 'hybrid' ? 'states plus one layer’s cache' : 'fixed state', 'linear')}
      ${measured ? readout('Measured here', `${duration(run.ms.softmax)} vs ${duration(run.ms.rival)}`, `softmax vs ${rival.short}, ${grouped(run.t)} tokens stepped`) : nothing}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = r.pts.map((p) => [grouped(p.n), grouped(p.soft), grouped(p.rival), grouped(p.softMem), grouped(p.rivalMem)]);
    const layerRows = MODELS[this.rival].groups.map((g, i) => [
      g.id,
      String(g.count),
      r.at.rival.perGroup[i] ? grouped(r.at.rival.perGroup[i].macs) : '0',
      r.at.rival.perGroup[i] ? grouped(r.at.rival.perGroup[i].stateFloats) : '0',
    ]);
    const tables = [
      dataTable(`Cumulative multiply-adds and memory (floats) from core.cost, ${LAYERS} layers each`, ['tokens', 'softmax macs', `${MODELS[this.rival].short} macs`, 'softmax floats', `${MODELS[this.rival].short} floats`], rows),
      dataTable(`${MODELS[this.rival].label}, per layer after ${grouped(r.t)} tokens (core.cost)`, ['variant', 'layers', 'macs per layer', 'floats per layer'], layerRows),
    ];
    if (this._showMeasured()) {
      tables.push(
        dataTable(
          'Measured cumulative time of the real kernels',
          ['tokens', 'softmax', MODELS[this.rival].short],
          this._run.points.filter((p) => p.t > 0).map((p) => [grouped(p.t), duration(p.softmax), duration(p.rival)]),
        ),
      );
    }
    return html`${tables}`;
  }
}
