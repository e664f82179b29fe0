/**
 * <attn-cost-curve>: cost against sequence length, softmax attention against linear attention.
 * Chapter 1, "The quadratic wall".
 *
 * Every figure is core.cost: softmax attention in its parallel form (the n x n score matrix) and
 * linear attention (identity feature map, unnormalised) in its recurrent form (a d x d state).
 * The "measured" view times both kernels on the reader's device with core.measure, in slices that
 * keep the page responsive.
 *
 * Attributes / properties (all round-trip through the URL when `url-key` is set):
 *   n        sequence length, 10 … 1,000,000 (default 1000); the slider moves on a log scale
 *   d        head dimension, dk = dv: 16 | 32 | 64 | 128 | 256 (default 64)
 *   axes     'linear' | 'log' (log–log) (default 'linear')
 *   view     'model' | 'measured' (default 'model')
 *   url-key  sync the state above with the page URL under this prefix ("" for none)
 *   embed-href  show an "open on its own" link to this embed page
 * Events: attn-change { widget, state }; attn-measured { points } when a measurement finishes.
 * Keyboard: on the plot, ← → ↑ ↓ move the length one notch, Home / End jump to the ends.
 * CSS custom properties: --attn-bg, --attn-fg, --attn-muted, --attn-surface, --attn-border,
 *   --attn-grid, --attn-softmax, --attn-linear, --attn-focus, --attn-font.
 * Parts: frame, title, controls, figure, readouts, description, data, error, plot.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLinear, scaleLog } from 'd3-scale';
import { line, curveMonotoneX } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable, messageOf } from '../frame/widget-base.js';
import { MARGIN, observeWidth, unobserveWidth, drawAxes, compactFormat, decades } from '../frame/chart.js';
import { grouped, inWords, short, duration } from '../frame/format.js';
import { costOf, QUADRATIC, LINEAR } from '../core/costs.js';
import { measureSeries } from '../core/measure.js';

const MIN_N = 10;
const MAX_N = 1_000_000;

// Slider notches: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 per decade, so 1,000 and 1,000,000 are exact.
const NOTCHES = (() => {
  const m = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
  const out = [];
  for (let e = 1; e <= 6; e++) for (const x of m) if (x * 10 ** e <= MAX_N) out.push(Math.round(x * 10 ** e));
  return out;
})();

const TABLE = [
  { key: 'n', type: 'int', default: 1000, min: MIN_N, max: MAX_N, label: 'Sequence length n' },
  { key: 'd', type: 'enum', default: 64, values: [16, 32, 64, 128, 256], label: 'Head dimension d' },
  { key: 'axes', type: 'enum', default: 'linear', values: ['linear', 'log'], label: 'Axes' },
  { key: 'view', type: 'enum', default: 'model', values: ['model', 'measured'], label: 'View' },
];

const SAMPLES = 32;

const MEASURE_LENGTHS = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

export class CostCurve extends AttnWidget {
  static widgetName = 'cost-curve';
  static stateTable = TABLE;
  static styles = [
    AttnWidget.styles,
    css`
      .legend {
        margin: 0.3rem 0 0;
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        font-size: 0.88em;
      }
      .measure-bar {
        align-items: center;
        margin-bottom: 0.5rem;
      }
      .note {
        color: var(--_muted);
        font-size: 0.88em;
      }
      svg {
        display: block;
        overflow: visible;
      }
    `,
  ];
  static properties = {
    ...stateProperties(TABLE),
    _measuring: { state: true },
  };

  constructor() {
    super();
    this._width = 600;
    this._measuring = false;
    this._measured = null; // { d, points: { softmax: [{n, ms}], linear: [...] }, stopped }
    this._abort = null;
  }

  onDispose() {
    unobserveWidth(this);
    this._abort?.abort();
  }

  titleText() {
    return 'Cost against sequence length';
  }

  describe() {
    const m = this._model;
    if (!m) return '';
    if (this.view === 'measured') {
      return `Measured time per run on this device for softmax attention (parallel form) and linear attention (recurrent form) at head dimension ${this.d}${this.axes === 'log' ? ', on log–log axes, where the softmax time tends to a slope of 2 and the linear time to a slope of 1' : ''}. Times are medians of repeated runs of the core's real kernels.`;
    }
    return `Line chart of multiply-adds against sequence length from 0 to ${grouped(this.n)} tokens at head dimension ${this.d}${this.axes === 'log' ? ', on log–log axes' : ''}. Softmax attention grows as a parabola and reaches ${inWords(m.at.soft.macs)}; linear attention grows as a straight line and reaches ${inWords(m.at.lin.macs)}.`;
  }

  // ----- computation (core only) -----------------------------------------------------------------

  compute() {
    const core = this.core;
    const d = this.d;
    const at = { n: this.n, soft: costOf(core, QUADRATIC, this.n, d), lin: costOf(core, LINEAR, this.n, d) };
    // The curves pass through core.cost at SAMPLES lengths; a monotone spline joins them on screen.
    const lengths = new Set();
    if (this.axes === 'log') {
      const hi = Math.max(this.n, 100);
      for (let i = 0; i <= SAMPLES; i++) lengths.add(Math.round(MIN_N * (hi / MIN_N) ** (i / SAMPLES)));
    } else {
      lengths.add(0);
      for (let i = 1; i <= SAMPLES; i++) lengths.add(Math.max(1, Math.round((this.n * i) / SAMPLES)));
    }
    lengths.add(this.n);
    const pts = [...lengths]
      .sort((a, b) => a - b)
      .map((n) =>
        n === 0 ? { n, soft: 0, lin: 0 } : { n, soft: costOf(core, QUADRATIC, n, d).macs, lin: costOf(core, LINEAR, n, d).macs },
      );
    this._model = { at, pts };
    if (this._measured && this._measured.d !== d) this._measured = null;
    const ratio = at.soft.macs / at.lin.macs;
    this.announce(
      `${grouped(this.n)} tokens: softmax ${inWords(at.soft.macs)} multiply-adds, linear ${inWords(at.lin.macs)}, ratio ${short(ratio)} to 1.`,
    );
  }

  async startMeasure() {
    if (this._measuring) return;
    if (typeof this.core.measure !== 'function') return;
    const d = this.d;
    this._abort = new AbortController();
    this._measuring = true;
    this._measured = { d, points: { softmax: [], linear: [] }, stopped: {} };
    this._error = '';
    try {
      const res = await measureSeries(
        this.core,
        [
          { key: 'softmax', side: QUADRATIC, lengths: MEASURE_LENGTHS },
          { key: 'linear', side: LINEAR, lengths: MEASURE_LENGTHS },
        ],
        d,
        {
          signal: this._abort.signal,
          onPoint: ({ key, n, ms }) => {
            this._measured.points[key].push({ n, ms });
            this._live = `Measured ${key} attention at ${grouped(n)} tokens: ${duration(ms)}.`;
            this.requestUpdate();
          },
        },
      );
      this._measured.stopped = res.stopped;
      this.dispatchEvent(new CustomEvent('attn-measured', { detail: { points: this._measured.points }, bubbles: true, composed: true }));
      const c = this.crossover();
      this._live = c ? `Measurement done. Linear attention is faster from about ${grouped(c)} tokens on this device.` : 'Measurement done.';
    } catch (err) {
      if (err.name !== 'AbortError') this._error = `Measurement failed: ${messageOf(err)}`;
      else this._live = 'Measurement cancelled.';
    } finally {
      this._measuring = false;
      this._abort = null;
    }
  }

  cancelMeasure() {
    this._abort?.abort();
  }

  // The shortest timed length from which on the recurrent linear form ran faster than parallel
  // softmax at every length timed for both (one noisy point does not make a crossover).
  crossover() {
    const m = this._measured;
    if (!m) return null;
    const lin = new Map(timed(m.points.linear).map((p) => [p.n, p.ms]));
    const both = timed(m.points.softmax).filter((p) => lin.has(p.n));
    let from = null;
    for (let i = both.length - 1; i >= 0; i--) {
      if (lin.get(both[i].n) < both[i].ms) from = both[i].n;
      else break;
    }
    return from;
  }

  // ----- controls ----------------------------------------------------------------------------------

  _notchIndex() {
    let best = 0;
    for (let i = 0; i < NOTCHES.length; i++) if (Math.abs(Math.log(NOTCHES[i] / this.n)) < Math.abs(Math.log(NOTCHES[best] / this.n))) best = i;
    return best;
  }

  onArrow(key) {
    const i = this._notchIndex();
    const next = { ArrowRight: i + 1, ArrowUp: i + 1, ArrowLeft: i - 1, ArrowDown: i - 1, Home: 0, End: NOTCHES.length - 1 }[key];
    if (next === undefined) return false;
    const j = Math.min(NOTCHES.length - 1, Math.max(0, next));
    // from an off-notch length, the first press lands on the nearest notch in that direction
    let n = NOTCHES[j];
    if ((key === 'ArrowRight' || key === 'ArrowUp') && NOTCHES[i] > this.n) n = NOTCHES[i];
    if ((key === 'ArrowLeft' || key === 'ArrowDown') && NOTCHES[i] < this.n) n = NOTCHES[i];
    this.setState({ n });
    return true;
  }

  renderControls() {
    const idx = this._notchIndex();
    return html`
      <label class="control">
        <span>Sequence length n (log scale)</span>
        <input
          type="range"
          min="0"
          max=${NOTCHES.length - 1}
          step="1"
          .value=${String(idx)}
          aria-valuetext=${`${grouped(this.n)} tokens`}
          @input=${(e) => this.setState({ n: NOTCHES[Number(e.target.value)] })}
        />
      </label>
      <label class="control">
        <span>Exact length</span>
        <input
          type="number"
          min=${MIN_N}
          max=${MAX_N}
          step="1"
          .value=${String(this.n)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) this.setState({ n: Math.min(MAX_N, Math.max(MIN_N, v)) });
            else e.target.value = String(this.n);
          }}
        />
      </label>
      <label class="control">
        <span>Head dimension d</span>
        <select @change=${(e) => this.setState({ d: Number(e.target.value) })}>
          ${TABLE[1].values.map((v) => html`<option value=${v} ?selected=${v === this.d}>${v}</option>`)}
        </select>
      </label>
      <fieldset>
        <legend>Axes</legend>
        <div class="segmented">
          ${[
            ['linear', 'Linear'],
            ['log', 'Log–log'],
          ].map(
            ([v, t]) => html`<label
              ><input type="radio" name="axes" value=${v} .checked=${this.axes === v} @change=${() => this.setState({ axes: v })} />${t}</label
            >`,
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>View</legend>
        <div class="segmented">
          ${[
            ['model', 'Cost model'],
            ['measured', 'Measured here'],
          ].map(
            ([v, t]) => html`<label
              ><input type="radio" name="view" value=${v} .checked=${this.view === v} @change=${() => this.setState({ view: v })} />${t}</label
            >`,
          )}
        </div>
      </fieldset>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame() {
    const width = Math.max(280, this._width || 600);
    const height = Math.round(Math.min(340, Math.max(220, width * 0.55)));
    return { width, height, iw: width - MARGIN.left - MARGIN.right, ih: height - MARGIN.top - MARGIN.bottom };
  }

  _scales() {
    const f = this._frame();
    const m = this._model;
    if (this.view === 'measured') {
      const all = this._measured ? timed([...this._measured.points.softmax, ...this._measured.points.linear]) : [];
      const ns = all.map((p) => p.n);
      const ms = all.map((p) => p.ms);
      const hiN = Math.max(MEASURE_LENGTHS[0] * 4, ...ns);
      const hiMs = ms.length ? Math.max(...ms) * 1.3 : 1;
      if (this.axes === 'log') {
        const lo = ms.length ? Math.min(...ms) * 0.7 : hiMs / 100;
        const x = scaleLog().domain([MEASURE_LENGTHS[0], hiN]).range([0, f.iw]);
        const y = scaleLog().domain([Math.min(lo, hiMs / 10), hiMs]).range([f.ih, 0]);
        return { f, x, y };
      }
      const x = scaleLinear().domain([0, hiN]).range([0, f.iw]);
      const y = scaleLinear().domain([0, hiMs]).range([f.ih, 0]);
      return { f, x, y };
    }
    const top = Math.max(m.at.soft.macs, m.at.lin.macs, 1);
    if (this.axes === 'log') {
      const x = scaleLog().domain([MIN_N, Math.max(this.n, 100)]).range([0, f.iw]);
      const lo = Math.min(m.pts.find((p) => p.n >= MIN_N).soft, m.pts.find((p) => p.n >= MIN_N).lin);
      const y = scaleLog().domain([lo, top]).range([f.ih, 0]);
      return { f, x, y };
    }
    const x = scaleLinear().domain([0, this.n]).range([0, f.iw]);
    const y = scaleLinear().domain([0, top]).range([f.ih, 0]);
    return { f, x, y };
  }

  renderFigure() {
    const { f, x, y } = this._scales();
    const measured = this.view === 'measured';
    return html`
      ${measured ? this._renderMeasureBar() : nothing}
      <div class="surface plot-wrap" part="plot" tabindex="0" role="group" aria-label="Cost plot. Arrow keys change the sequence length.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-labelledby="svg-title">
          <title id="svg-title">${measured ? 'Measured time per run against sequence length' : 'Multiply-adds against sequence length'}</title>
          <g transform="translate(${MARGIN.left},${MARGIN.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${measured ? this._measuredMarks(x, y) : this._modelMarks(x, y, f)}
            <text class="axis-label" x=${f.iw / 2} y=${f.ih + 36} text-anchor="middle" font-size="12">sequence length n (tokens)</text>
            <text class="axis-label" transform="rotate(-90)" x=${-f.ih / 2} y=${-46} text-anchor="middle" font-size="12">
              ${measured ? 'time per run (ms)' : 'multiply-adds'}
            </text>
          </g>
        </svg>
      </div>
      <p class="legend">
        <span class="softmax"><span class="swatch sw-softmax"></span>softmax attention, parallel (Q Kᵀ) V</span>
        <span class="linear"><span class="swatch sw-linear"></span>linear attention, recurrent Q (Kᵀ V)</span>
      </p>
    `;
  }

  _modelMarks(x, y, f) {
    const m = this._model;
    const pts = this.axes === 'log' ? m.pts.filter((p) => p.n >= MIN_N) : m.pts;
    const path = (key) =>
      line()
        .curve(curveMonotoneX)
        .x((p) => x(p.n))
        .y((p) => y(p[key]))(pts);
    const cx = x(this.n);
    return svg`
      <line x1=${cx} x2=${cx} y1="0" y2=${f.ih} stroke="var(--_muted)" stroke-dasharray="3 3"></line>
      <path d=${path('lin')} fill="none" stroke="var(--_linear)" stroke-width="2.5"></path>
      <path d=${path('soft')} fill="none" stroke="var(--_softmax)" stroke-width="2.5"></path>
      <circle cx=${cx} cy=${y(m.at.lin.macs)} r="4.5" fill="var(--_linear)"></circle>
      <circle cx=${cx} cy=${y(m.at.soft.macs)} r="4.5" fill="var(--_softmax)"></circle>
    `;
  }

  _measuredMarks(x, y) {
    const m = this._measured;
    if (!m) return nothing;
    const mark = (all, color) => {
      const pts = timed(all);
      if (!pts.length) return nothing;
      const d = line()
        .x((p) => x(p.n))
        .y((p) => y(p.ms))(pts);
      return svg`<path d=${d} fill="none" stroke=${color} stroke-width="2.5"></path>
        ${pts.map((p) => svg`<circle cx=${x(p.n)} cy=${y(p.ms)} r="3.5" fill=${color}></circle>`)}`;
    };
    return svg`${mark(m.points.linear, 'var(--_linear)')}${mark(m.points.softmax, 'var(--_softmax)')}`;
  }

  _renderMeasureBar() {
    if (typeof this.core.measure !== 'function') {
      return html`<p class="placeholder">This build of the core has no timing call (core.measure), so only the cost model can be shown.</p>`;
    }
    const m = this._measured;
    const done = m ? m.points.softmax.length + m.points.linear.length : 0;
    return html`<div class="buttons measure-bar">
      ${this._measuring
        ? html`<button @click=${() => this.cancelMeasure()}>Cancel</button>
            <span role="status">Measuring… ${done} runs timed</span>`
        : html`<button @click=${() => this.startMeasure()}>${m ? 'Measure again' : 'Measure on this device'}</button>
            <span class="note">${m ? '' : 'Times both kernels here, a few milliseconds at a time.'}</span>`}
    </div>`;
  }

  renderReadouts() {
    if (this.view === 'measured') {
      const m = this._measured;
      if (!m) return readout('Measured', 'not yet', 'press “Measure on this device”');
      const c = this.crossover();
      const last = (k) => m.points[k][m.points[k].length - 1];
      return html`
        ${readout('Linear faster from', c ? `${grouped(c)} tokens` : this._measuring ? '…' : 'not within the lengths timed', 'first timed length where the recurrent form won')}
        ${m.points.softmax.length ? readout('Softmax, longest timed', `${grouped(last('softmax').n)} tokens`, duration(last('softmax').ms), 'softmax') : nothing}
        ${m.points.linear.length ? readout('Linear, longest timed', `${grouped(last('linear').n)} tokens`, duration(last('linear').ms), 'linear') : nothing}
      `;
    }
    const { soft, lin } = this._model.at;
    return html`
      ${readout('Softmax attention', `${grouped(soft.macs)}`, `${inWords(soft.macs)} multiply-adds`, 'softmax')}
      ${readout('Linear attention', `${grouped(lin.macs)}`, `${inWords(lin.macs)} multiply-adds`, 'linear')}
      ${readout('Ratio', `${short(soft.macs / lin.macs)} : 1`, 'softmax over linear')}
      ${readout('Largest intermediate', `${grouped(soft.peakFloats)} vs ${grouped(lin.peakFloats)}`, 'floats: score matrix vs state')}
    `;
  }

  renderTable() {
    if (this.view === 'measured') {
      const m = this._measured;
      if (!m) return html`<p>No measurements yet.</p>`;
      const ns = [...new Set([...m.points.softmax, ...m.points.linear].map((p) => p.n))].sort((a, b) => a - b);
      const at = (k, n) => m.points[k].find((p) => p.n === n);
      return dataTable(
        `Measured time per run, d = ${m.d}`,
        ['n (tokens)', 'softmax parallel', 'linear recurrent'],
        ns.map((n) => [grouped(n), shownTime(at('softmax', n)), shownTime(at('linear', n))]),
      );
    }
    const rows = this._model.pts
      .filter((p) => p.n > 0)
      .map((p) => [grouped(p.n), grouped(p.soft), grouped(p.lin), short(p.soft / p.lin)]);
    return dataTable(`Multiply-adds from core.cost, d = ${this.d}`, ['n (tokens)', 'softmax', 'linear', 'ratio'], rows);
  }

  draw() {
    const wrap = this.renderRoot.querySelector('.plot-wrap');
    if (wrap) observeWidth(this, this.renderRoot.querySelector('.figure'));
    const svgEl = this.renderRoot.querySelector('.plot-wrap svg');
    if (!svgEl) return;
    const { f, x, y } = this._scales();
    const log = this.axes === 'log';
    const yFormat = this.view === 'measured' ? (v) => short(v) : compactFormat;
    drawAxes(svgEl, {
      innerWidth: f.iw,
      x: log ? { scale: x, values: logTicks(...x.domain(), Math.floor(f.iw / 60)), format: compactFormat } : { scale: x, count: Math.max(2, Math.floor(f.iw / 80)), format: compactFormat },
      y: log
        ? { scale: y, values: logTicks(...y.domain(), Math.floor(f.ih / 28)), format: yFormat }
        : { scale: y, count: Math.max(2, Math.floor(f.ih / 50)), format: yFormat },
    });
  }
}

// Runs too short for the page's timer read as 0; they are listed but not plotted on log axes.
function timed(points) {
  return points.filter((p) => p.ms > 0);
}

function shownTime(p) {
  if (!p) return '—';
  return p.ms > 0 ? duration(p.ms) : 'below the timer’s resolution';
}

// Tick values for a log axis: powers of ten, or 1-2-5 steps when the range spans few decades;
// thinned to at most `max` labels.
function logTicks(lo, hi, max) {
  let values = decades(lo, hi);
  if (values.length < 3) {
    values = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) values.push(v);
      }
  }
  return thin(values, Math.max(2, max));
}

// Every k-th value so at most `max` labels remain.
function thin(values, max) {
  if (values.length <= max) return values;
  const k = Math.ceil(values.length / max);
  return values.filter((_, i) => i % k === 0);
}
