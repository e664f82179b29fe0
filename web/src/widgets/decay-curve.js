/**
 * <attn-decay-curve>: how much of a past token is still in RWKV's state, against steps back.
 * Chapter 7, "RWKV".
 *
 * A one-hot write, read back from the core's own state. Channel c of a state with one value column
 * holds, after token 0 writes k = 1, v = 1 and later tokens write nothing (k = 0), exactly the
 * fraction of that token still present: the widget steps the core and plots the state column after
 * every token. Five channels run at once, each with its own decay, as a trained RWKV layer has.
 *
 *   static          RWKV-4's per-channel time decay, stepped with the core's rwkv5 (the same static
 *                   decay w per channel, kept in a matrix state): the curve is the same whatever the
 *                   tokens are.
 *   data-dependent  RWKV-6: the decay is an input of every token, w_t = exp(−exp(b_c + Δ_t)), with
 *                   b_c the channel's base and Δ_t what the layer reads from the token. The Δ here
 *                   are illustrative, chosen by hand, not read from a trained model: a sentence
 *                   whose full stops and "forget" cues carry a large Δ, the kind of pattern a
 *                   trained layer's decay can learn. The widget says so wherever they appear.
 *                   Stepped with the core's rwkv6.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   mode    'static' | 'data' (default 'static')
 *   decay   per-step decay of the highlighted channel, 0.5 … 0.998 (default 0.9)
 *   channel the highlighted channel, 1 … 5 (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the plot, ← → make the highlighted channel forget faster / slower, ↑ ↓ pick the
 *   highlighted channel, Home / End the fastest / slowest decay.
 * CSS custom properties: --attn-highlight (the highlighted channel), --attn-linear (the others) and
 *   the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, plot.
 */
import { html, svg, css, nothing } from 'lit';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth, drawAxes } from '../frame/chart.js';
import { fixed } from '../frame/format.js';

export const DECAYS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998];
// Learned-looking decays of the other channels, fast to slow (RWKV initialises its channels along
// such a range, so some forget within a few tokens and some hold on for hundreds).
export const OTHERS = [0.6, 0.8, 0.95, 0.99];
export const STEPS = 64;

// The sentence of the data-dependent view: each token carries a decay offset Δ chosen by hand to
// illustrate what a layer might read from it (0: an ordinary token; large at a full stop; larger still
// at an explicit "forget" cue). No trained model produced these numbers.
export const SENTENCE = [
  ['Ada', 0],
  ['put', 0],
  ['the', 0],
  ['key', 0],
  ['in', 0],
  ['a', 0],
  ['box', 0],
  ['.', 1.5],
  ['Then', 0],
  ['she', 0],
  ['went', 0],
  ['home', 0],
  ['.', 1.5],
  ['New', 2.5],
  ['topic', 2.5],
  [':', 0],
  ['the', 0],
  ['weather', 0],
  ['was', 0],
  ['mild', 0],
  ['.', 1.5],
];

const TABLE = [
  { key: 'mode', type: 'enum', default: 'static', values: ['static', 'data'], label: 'Decay' },
  { key: 'decay', type: 'enum', default: 0.9, values: DECAYS, label: 'Decay per step' },
  { key: 'channel', type: 'int', default: 1, min: 1, max: 5, label: 'Highlighted channel' },
];

// The per-step decays of the five channels: the highlighted one takes the slider's value.
export function channelDecays(decay, channel) {
  const w = [...OTHERS];
  w.splice(channel - 1, 0, decay);
  return w;
}

// Inputs of the data-dependent run: w_t = exp(−exp(b_c + Δ_t)), b_c = ln(−ln w_c), so a token with
// Δ = 0 decays channel c by exactly w_c and a cue multiplies the channel's decay rate by e^Δ.
export function dataDecays(w) {
  const C = w.length;
  const out = new Float32Array(SENTENCE.length * C);
  SENTENCE.forEach(([, delta], t) => {
    for (let c = 0; c < C; c++) out[t * C + c] = Math.exp(-Math.exp(Math.log(-Math.log(w[c])) + delta));
  });
  return out;
}

export class DecayCurve extends AttnWidget {
  static widgetName = 'decay-curve';
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
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1rem;
        font-size: 0.85em;
        margin: 0.3rem 0 0;
      }
      .illustrative {
        font-size: 0.85em;
        color: var(--_muted);
        margin: 0.4rem 0 0;
      }
      .legend button {
        font-size: 0.95em;
        padding: 0.1rem 0.5rem;
        min-height: 1.8rem;
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
    return 'How much of a past token is left in the state';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const h = r.half[r.channel - 1];
    const what = r.mode === 'static' ? `steps back, from 0 to ${STEPS}` : `the tokens of a ${SENTENCE.length}-token sentence that follow the word “${SENTENCE[0][0]}”`;
    return `Line chart of the share of one written token still held by each of five state channels against ${what}. The highlighted channel ${r.channel} decays by ${r.w[r.channel - 1]} per step and falls to one half ${h === null ? 'not within the range shown' : `after ${h} steps`}.${r.mode === 'data' ? ' Full stops and the cue “New topic” make every channel forget faster at once; these per-token offsets are illustrative, chosen by hand, not taken from a trained model.' : ''}`;
  }

  compute() {
    const core = this.core;
    const w = channelDecays(this.decay, this.channel);
    const C = w.length;
    const data = this.mode === 'data';
    const n = data ? SENTENCE.length : STEPS + 1;
    const id = data ? 'rwkv6' : 'rwkv5';
    const channels = { u: new Float32Array(C) };
    if (!data) channels.w = Float32Array.from(w);
    const s = this.track(core.createState(id, { dk: C, dv: 1 }, channels));
    const decaysIn = data ? dataDecays(w) : null;
    const series = Array.from({ length: C }, () => new Float32Array(n));
    const zero = new Float32Array(C);
    const one = new Float32Array(C).fill(1);
    try {
      for (let t = 0; t < n; t++) {
        const token = { r: zero, k: t === 0 ? one : zero, v: new Float32Array([t === 0 ? 1 : 0]) };
        if (data) token.w = decaysIn.subarray(t * C, (t + 1) * C);
        s.step(token);
        const st = s.state(); // dk x 1: channel c's share of token 0
        for (let c = 0; c < C; c++) series[c][t] = st[c];
      }
    } finally {
      this.release(s);
    }
    // The static curves beside the data-dependent ones, for comparison (rwkv5 over the same length).
    let reference = null;
    if (data) {
      const s5 = this.track(core.createState('rwkv5', { dk: C, dv: 1 }, { w: Float32Array.from(w), u: new Float32Array(C) }));
      try {
        reference = new Float32Array(n);
        const c = this.channel - 1;
        for (let t = 0; t < n; t++) {
          s5.step({ r: zero, k: t === 0 ? one : zero, v: new Float32Array([t === 0 ? 1 : 0]) });
          reference[t] = s5.state()[c];
        }
      } finally {
        this.release(s5);
      }
    }
    // first step at which each channel holds half of the token or less (read off the core's values)
    const half = series.map((sr) => {
      const i = sr.findIndex((x) => x <= 0.5);
      return i < 0 ? null : i;
    });
    this._res = { mode: this.mode, id, w, C, n, series, reference, half, channel: this.channel };
    const h = half[this.channel - 1];
    this.announce(`Channel ${this.channel}, decay ${this.decay}: ${h === null ? 'more than half remains at the end' : `down to half after ${h} step${h === 1 ? '' : 's'}`}; after ${n - 1} steps ${fixed(series[this.channel - 1][n - 1])} remains.`);
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const i = DECAYS.indexOf(this.decay);
    switch (key) {
      case 'ArrowRight':
        this.setState({ decay: DECAYS[Math.min(DECAYS.length - 1, i + 1)] });
        return true;
      case 'ArrowLeft':
        this.setState({ decay: DECAYS[Math.max(0, i - 1)] });
        return true;
      case 'Home':
        this.setState({ decay: DECAYS[0] });
        return true;
      case 'End':
        this.setState({ decay: DECAYS[DECAYS.length - 1] });
        return true;
      case 'ArrowUp':
        this.setState({ channel: Math.min(5, this.channel + 1) });
        return true;
      case 'ArrowDown':
        this.setState({ channel: Math.max(1, this.channel - 1) });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    return html`
      <fieldset>
        <legend>Decay</legend>
        <div class="segmented">
          ${[
            ['static', 'Static (RWKV-4/5)'],
            ['data', 'Data-dependent (RWKV-6)'],
          ].map(
            ([v, t]) => html`<label
              ><input type="radio" name="mode" value=${v} .checked=${this.mode === v} @change=${() => this.setState({ mode: v })} />${t}</label
            >`,
          )}
        </div>
      </fieldset>
      <label class="control">
        <span>Channel ${this.channel} decay per step: ${this.decay}</span>
        <input
          type="range"
          min="0"
          max=${DECAYS.length - 1}
          step="1"
          .value=${String(DECAYS.indexOf(this.decay))}
          aria-valuetext=${`${this.decay} per step`}
          @input=${(e) => this.setState({ decay: DECAYS[Number(e.target.value)] })}
        />
      </label>
      <label class="control">
        <span>Highlighted channel</span>
        <select @change=${(e) => this.setState({ channel: Number(e.target.value) })}>
          ${[1, 2, 3, 4, 5].map((c) => html`<option value=${c} ?selected=${c === this.channel}>channel ${c}</option>`)}
        </select>
      </label>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _frame() {
    const width = Math.max(280, Math.min(760, this._width || this.clientWidth - 30 || 600));
    const height = this.mode === 'data' ? 270 : 240;
    const m = { top: 12, right: 16, bottom: this.mode === 'data' ? 70 : 40, left: 48 };
    return { width, height, m, iw: width - m.left - m.right, ih: height - m.top - m.bottom };
  }

  _scales() {
    const f = this._frame();
    const r = this._res;
    return { f, x: scaleLinear().domain([0, r.n - 1]).range([0, f.iw]), y: scaleLinear().domain([0, 1]).range([f.ih, 0]) };
  }

  renderFigure() {
    const r = this._res;
    const { f, x, y } = this._scales();
    const path = (sr) =>
      line()
        .x((_, i) => x(i))
        .y((v) => y(v))(Array.from(sr));
    const hi = r.channel - 1;
    return html`
      <div class="surface" part="plot" tabindex="0" role="group" aria-label="Decay curves. Left and right arrows change the highlighted channel's decay, up and down pick the channel.">
        <svg width=${f.width} height=${f.height} viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="Share of a written token left in each channel">
          <g transform="translate(${f.m.left},${f.m.top})">
            <g class="axis y"></g>
            <g class="axis x" transform="translate(0,${f.ih})"></g>
            ${r.mode === 'data'
              ? SENTENCE.map(([word, delta], t) =>
                  svg`${delta > 0 ? svg`<rect x=${x(t) - 3} y="0" width="6" height=${f.ih} fill="var(--_grid)"></rect>` : nothing}
                  <text transform=${`translate(${x(t)},${f.ih + 26}) rotate(-50)`} text-anchor="end" font-size="11" font-weight=${delta > 0 ? 700 : 400}>${word}</text>`,
                )
              : nothing}
            ${r.reference ? svg`<path d=${path(r.reference)} fill="none" stroke="var(--_muted)" stroke-width="1.5" stroke-dasharray="5 4"></path>` : nothing}
            ${r.series.map((sr, c) =>
              c === hi ? nothing : svg`<path d=${path(sr)} fill="none" stroke="var(--_linear)" stroke-width="1.5" opacity=${0.35 + 0.1 * c}></path>`,
            )}
            <path d=${path(r.series[hi])} fill="none" stroke="var(--_highlight)" stroke-width="3.5"></path>
            ${r.half[hi] !== null ? svg`<circle cx=${x(r.half[hi])} cy=${y(r.series[hi][r.half[hi]])} r="4.5" fill="var(--_highlight)"></circle>` : nothing}
            <line x1="0" x2=${f.iw} y1=${y(0.5)} y2=${y(0.5)} stroke="var(--_muted)" stroke-dasharray="2 4"></line>
            ${r.mode === 'static' ? svg`<text x=${f.iw / 2} y=${f.ih + 34} text-anchor="middle" font-size="12">steps back</text>` : nothing}
            <text transform="rotate(-90)" x=${-f.ih / 2} y="-36" text-anchor="middle" font-size="12">share still in the state</text>
          </g>
        </svg>
      </div>
      <div class="legend">
        ${r.w.map(
          (w, c) => html`<button aria-pressed=${c === hi ? 'true' : 'false'} @click=${() => this.setState({ channel: c + 1 })}>channel ${c + 1}: w = ${w}</button>`,
        )}
        ${r.reference ? html`<span>dashed: channel ${r.channel} with a static decay</span>` : nothing}
      </div>
      ${r.mode === 'data'
        ? html`<p class="illustrative">Illustrative input: the per-token offsets Δ (shaded tokens) are chosen by hand to show the idea, not read from a trained RWKV-6.</p>`
        : nothing}
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const el = this.renderRoot.querySelector('.surface svg');
    if (!el || !this._res) return;
    const { f, x, y } = this._scales();
    drawAxes(el, {
      innerWidth: f.iw,
      x: this.mode === 'data' ? { scale: x, values: [], format: () => '' } : { scale: x, count: Math.max(2, Math.floor(f.iw / 70)) },
      y: { scale: y, count: 5, format: (v) => `${Math.round(v * 100)}%` },
    });
  }

  renderReadouts() {
    const r = this._res;
    const c = r.channel - 1;
    const sr = r.series[c];
    const h = r.half[c];
    return html`
      ${readout(`Channel ${r.channel}`, `w = ${r.w[c]}`, r.mode === 'static' ? 'the same at every step' : 'on ordinary tokens; smaller at the hand-chosen cues')}
      ${readout('Down to half after', h === null ? `more than ${r.n - 1} steps` : `${h} step${h === 1 ? '' : 's'}`, `stepping core.${r.id}`)}
      ${readout(`Left after ${r.n - 1} steps`, fixed(sr[r.n - 1], 4), r.reference ? `${fixed(r.reference[r.n - 1], 4)} with a static decay` : 'of the written token')}
      ${readout('Fastest / slowest channel', `${fixed(Math.min(...r.series.map((s) => s[r.n - 1])), 4)} / ${fixed(Math.max(...r.series.map((s) => s[r.n - 1])), 4)}`, 'left at the end')}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = [];
    for (let t = 0; t < r.n; t++)
      rows.push([
        r.mode === 'data' ? `${t} ${SENTENCE[t][0]}` : String(t),
        ...(r.mode === 'data' ? [fixed(SENTENCE[t][1], 1)] : []),
        ...r.series.map((s) => fixed(s[t], 4)),
        ...(r.reference ? [fixed(r.reference[t], 4)] : []),
      ]);
    return dataTable(
      `Share of token 0 in each channel of the core's ${r.id} state`,
      [r.mode === 'data' ? 'token' : 'steps', ...(r.mode === 'data' ? ['Δ (illustrative)'] : []), ...r.w.map((w, c) => `ch ${c + 1} (w ${w})`), ...(r.reference ? ['static'] : [])],
      rows,
    );
  }
}
