/**
 * <attn-token-shift>: RWKV's token shift, and the two-stage rhythm of an RWKV block.
 * Chapter 7, "RWKV".
 *
 * Token shift blends each token with the one before it, channel by channel: x'_t = μ x_t + (1 − μ)
 * x_{t−1}, with a zero vector before the first token. The core computes it (core.tokenShift), with
 * the same μ in every channel here; a trained layer learns one per channel and per projection.
 * (Token shift is the shortest memory RWKV has; WKV's learned decay is the long one.)
 *
 * The figure follows one block on seeded token vectors: the input, its token shift, the time-mixing
 * output (WKV on the shifted tokens, with learned-looking per-channel decays: the core's
 * rwkv4), and the token shift that feeds channel mixing; the channel-mixing feed-forward itself
 * works on each token alone and mixes no tokens, so it is drawn as a box.
 *
 * Attributes / properties (URL round-trip with `url-key`):
 *   token   the token whose blend is shown, 1 … 10 (default 4)
 *   mix     μ, the weight of the current token, 0 … 1 (default 0.5)
 *   seed    seed of the token vectors (default 1)
 *   url-key, embed-href  as for every widget
 * Events: attn-change { widget, state }.
 * Keyboard: on the figure, ← → move to the previous / next token, ↑ ↓ change μ by 0.05,
 *   Home / End the first / last token.
 * CSS custom properties: --attn-negative / --attn-positive (vector entries), --attn-highlight (the
 *   current token), --attn-linear (its predecessor) and the common --attn-* colours.
 * Parts: frame, title, controls, figure, readouts, description, data, error, block.
 */
import { html, css } from 'lit';
import { cssProps } from '../frame/css-props.js';
import { AttnWidget, stateProperties, readout, dataTable } from '../frame/widget-base.js';
import { observeWidth, unobserveWidth } from '../frame/chart.js';
import { prepareCanvas, drawMatrix, divergingColor, maxAbs } from '../frame/heatmap.js';
import { fixed } from '../frame/format.js';
import { tokenVectors } from '../core/inputs.js';

export const T = 10;
export const C = 6;

const TABLE = [
  { key: 'token', type: 'int', default: 4, min: 1, max: T, label: 'Token' },
  { key: 'mix', type: 'number', default: 0.5, min: 0, max: 1, label: 'Mix μ' },
  { key: 'seed', type: 'int', default: 1, min: 0, max: 999999, always: true, label: 'Seed' },
];

// Learned-looking time decays of the time-mixing WKV, per channel (log decay per step).
export const TIME_DECAY = Float32Array.from({ length: C }, (_, c) => -Math.exp(1 - (5 * c) / (C - 1)));

export class TokenShift extends AttnWidget {
  static widgetName = 'token-shift';
  static stateTable = TABLE;
  static properties = stateProperties(TABLE);
  static styles = [
    AttnWidget.styles,
    css`
      .block {
        display: grid;
        gap: 0.15rem;
        width: fit-content;
        max-width: 100%;
      }
      .stage {
        display: grid;
        grid-template-columns: 11rem auto;
        gap: 0.6rem;
        align-items: center;
      }
      .stage .name {
        font-size: 0.85em;
        color: var(--_muted);
        text-align: right;
      }
      .stage .name strong {
        color: var(--_fg);
        display: block;
      }
      .arrow {
        color: var(--_muted);
        font-size: 0.85em;
        padding-left: 0.4rem;
      }
      .ffn {
        border: 1px dashed var(--_border);
        border-radius: 6px;
        padding: 0.35rem 0.6rem;
        font-size: 0.85em;
        color: var(--_muted);
      }
      .tokens {
        display: flex;
        font-size: 0.75em;
        color: var(--_muted);
      }
      .tokens span {
        text-align: center;
      }
      .narrow .stage {
        grid-template-columns: 1fr;
        gap: 0.15rem;
      }
      .narrow .stage .name {
        text-align: left;
      }
      .narrow .stage > .spacer {
        display: none;
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
    return 'Token shift: every token leans on the one before';
  }

  describe() {
    const r = this._res;
    if (!r) return '';
    const t = r.token;
    return `Four heatmaps of ${C} channels by ${T} tokens, one per stage of an RWKV block: the input, its token shift with μ = ${fixed(r.mix, 2)}, the time-mixing output, and the token shift feeding channel mixing. Token ${t} is outlined; its shifted channel 1 is ${fixed(r.shift[(t - 1) * C])}, made of ${fixed(r.mix, 2)} of its own ${fixed(r.x[(t - 1) * C])} and ${fixed(1 - r.mix, 2)} of ${t > 1 ? `token ${t - 1}'s ${fixed(r.x[(t - 2) * C])}` : 'the zero before the first token'}.`;
  }

  compute() {
    const core = this.core;
    const mix = this.mix;
    const token = Math.min(this.token, T);
    const x = tokenVectors(this.seed, T, C, C).k;
    const mu = new Float32Array(C).fill(mix);
    const shift = (input) => core.tokenShift({ x: input, mu, n: T, d: C });
    const xs = shift(x);
    // time mixing: WKV over the shifted tokens, keys and values both the shifted vectors
    const wkv = core.run('rwkv4', { k: xs, v: xs, w: TIME_DECAY, u: new Float32Array(C).fill(0.5) }, { n: T, C, form: 'recurrent' }).output;
    const cs = shift(wkv);
    this._res = { token, mix, x, shift: xs, wkv, cshift: cs };
    const o = (token - 1) * C;
    this.announce(
      `Token ${token}, μ ${fixed(mix, 2)}: channel 1 shifts from ${fixed(x[o])} to ${fixed(xs[o])}${token > 1 ? `, pulled toward token ${token - 1}'s ${fixed(x[o - C])}` : ''}.`,
    );
  }

  // ----- controls ----------------------------------------------------------------------------------

  onArrow(key) {
    const step = (m) => Math.round(Math.min(1, Math.max(0, m)) * 100) / 100;
    switch (key) {
      case 'ArrowRight':
        this.setState({ token: Math.min(T, this.token + 1) });
        return true;
      case 'ArrowLeft':
        this.setState({ token: Math.max(1, this.token - 1) });
        return true;
      case 'Home':
        this.setState({ token: 1 });
        return true;
      case 'End':
        this.setState({ token: T });
        return true;
      case 'ArrowUp':
        this.setState({ mix: step(this.mix + 0.05) });
        return true;
      case 'ArrowDown':
        this.setState({ mix: step(this.mix - 0.05) });
        return true;
      default:
        return false;
    }
  }

  renderControls() {
    return html`
      <label class="control">
        <span>Mix μ = ${fixed(this.mix, 2)} (weight of the current token)</span>
        <input type="range" min="0" max="1" step="0.05" .value=${String(this.mix)} @input=${(e) => this.setState({ mix: Number(e.target.value) })} />
      </label>
      <label class="control">
        <span>Token</span>
        <input
          type="number"
          min="1"
          max=${T}
          .value=${String(this.token)}
          @change=${(e) => {
            const v = Math.round(Number(e.target.value));
            if (Number.isFinite(v)) this.setState({ token: Math.min(T, Math.max(1, v)) });
            else e.target.value = String(this.token);
          }}
        />
      </label>
      <button @click=${() => this.setState({ seed: this.seed + 1 })}>New tokens</button>
    `;
  }

  // ----- figure ------------------------------------------------------------------------------------

  _cell() {
    const avail = Math.max(260, (this._width || this.clientWidth - 30 || 600) - 24);
    const label = avail > 520 ? 190 : 0;
    return Math.max(14, Math.min(34, Math.floor((avail - label) / T)));
  }

  renderFigure() {
    const c = this._cell();
    const stage = (cls, name, note) => html`<div class="stage">
      <div class="name"><strong>${name}</strong>${note}</div>
      <canvas class=${cls} aria-hidden="true"></canvas>
    </div>`;
    return html`
      <div class="surface block ${(this._width || this.clientWidth - 30 || 600) < 520 ? 'narrow' : ''}" part="block" tabindex="0" role="group" aria-label="One RWKV block. Left and right arrows pick the token, up and down change the mix.">
        <div class="stage">
          <div class="name spacer" aria-hidden="true"></div>
          <div class="tokens" aria-hidden="true">${Array.from({ length: T }, (_, i) => html`<span ${cssProps({ width: `${c}px` })}>${i + 1}</span>`)}</div>
        </div>
        ${stage('x', 'input x', 'tokens, channels down')}
        <div class="stage"><span class="spacer"></span><div class="arrow">↓ token shift: μ·x<sub>t</sub> + (1−μ)·x<sub>t−1</sub></div></div>
        ${stage('shift', 'shifted x′', 'core.tokenShift')}
        <div class="stage"><span class="spacer"></span><div class="arrow">↓ time mixing (WKV across tokens)</div></div>
        ${stage('wkv', 'WKV output', 'learned decay per channel')}
        <div class="stage"><span class="spacer"></span><div class="arrow">↓ token shift again</div></div>
        ${stage('cshift', 'channel-mix input', 'shifted WKV output')}
        <div class="stage"><span class="spacer"></span><div class="arrow">↓</div></div>
        <div class="stage">
          <div class="name"><strong>channel mixing</strong></div>
          <div class="ffn">a feed-forward network on each token alone: it mixes channels, never tokens</div>
        </div>
      </div>
    `;
  }

  draw() {
    observeWidth(this, this.renderRoot.querySelector('.figure'));
    const r = this._res;
    if (!r) return;
    const c = this._cell();
    const paint = (cls, values) => {
      const el = this.renderRoot.querySelector(`canvas.${cls}`);
      if (!el) return;
      // [T, C] token rows shown with channels down and tokens across
      const t = new Float32Array(C * T);
      for (let i = 0; i < T; i++) for (let j = 0; j < C; j++) t[j * T + i] = values[i * C + j];
      const ctx = prepareCanvas(el, T * c, C * c);
      drawMatrix(ctx, t, C, T, { cell: c, color: divergingColor(this, maxAbs(values)), gapColor: this.cssVar('--_grid') });
      const col = r.token - 1;
      ctx.lineWidth = 3;
      if (col > 0) {
        ctx.strokeStyle = this.cssVar('--_linear');
        ctx.setLineDash([4, 3]);
        ctx.strokeRect((col - 1) * c + 1.5, 1.5, c - 3, C * c - 3);
        ctx.setLineDash([]);
      }
      ctx.strokeStyle = this.cssVar('--_highlight');
      ctx.strokeRect(col * c + 1.5, 1.5, c - 3, C * c - 3);
    };
    paint('x', r.x);
    paint('shift', r.shift);
    paint('wkv', r.wkv);
    paint('cshift', r.cshift);
  }

  renderReadouts() {
    const r = this._res;
    const o = (r.token - 1) * C;
    const prev = r.token > 1 ? r.x[o - C] : 0;
    return html`
      ${readout(`Token ${r.token}, channel 1`, fixed(r.x[o]), 'input x_t')}
      ${readout('Its predecessor', fixed(prev), r.token > 1 ? `token ${r.token - 1}` : 'zero before the first token', 'linear')}
      ${readout('Shifted', fixed(r.shift[o]), `${fixed(r.mix, 2)} × ${fixed(r.x[o])} + ${fixed(1 - r.mix, 2)} × ${fixed(prev)}, by core.tokenShift`)}
      ${readout('WKV output', fixed(r.wkv[o]), 'time mixing, channel 1')}
    `;
  }

  renderTable() {
    const r = this._res;
    const rows = [];
    for (let t = 0; t < T; t++)
      for (let j = 0; j < C; j++) rows.push([`${t + 1}`, `${j + 1}`, fixed(r.x[t * C + j]), fixed(r.shift[t * C + j]), fixed(r.wkv[t * C + j]), fixed(r.cshift[t * C + j])]);
    return dataTable(`One RWKV block, μ = ${fixed(r.mix, 2)}`, ['token', 'channel', 'input', 'shifted', 'WKV', 'channel-mix input'], rows);
  }
}
