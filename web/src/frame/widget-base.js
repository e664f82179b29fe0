// AttnWidget: the frame every lesson widget is built on.
//
// What a widget gets from here, so each widget file only holds its concept:
//   - its state table (static stateTable) as reactive properties and attributes, restored from the
//     URL when the element carries `url-key` (the value prefixes the parameters: url-key="cost-curve"
//     gives ?cost-curve.n=1000; an empty value, as on the embed page, gives ?n=1000) and written back
//     on every change, so the address bar is always a shareable link;
//   - the core, loaded once per page and warmed (this.core, null until ready); `compute()` runs in
//     willUpdate whenever state changes, so results and drawing land in the same frame; a throw there
//     becomes a visible, polite message beside the last good figure, never a blank one;
//   - core states registered with track() are disposed when the element leaves the page;
//   - a player (play / pause / step) that never starts by itself, keyboard routing (arrow keys step,
//     space plays or pauses on the figure surface), a polite live region fed by announce(),
//     reduced-motion and colour-scheme tracking, a data-table disclosure and an embed link.
//
// Public surface every widget shares: the state properties (and `state`, all of them as an object),
// `core` (the loaded core, for hosts and tests), `playing`, play() / pause() / togglePlay(),
// refreshColors() after a page restyles --attn-* at run time. Attributes: each state key in lower
// case, `url-key`, `embed-href`. Events: `attn-change` (detail: { widget, state }) after each change
// made through the widget's own controls. Parts: frame, title, controls, figure, readouts,
// description, data, error. CSS custom properties: --attn-bg, --attn-fg, --attn-muted,
// --attn-surface, --attn-border, --attn-grid, --attn-softmax, --attn-linear, --attn-highlight,
// --attn-focus, --attn-negative, --attn-positive, --attn-masked, --attn-radius, --attn-font,
// --attn-font-size (each with a light and a dark default).
import { LitElement, html, nothing } from 'lit';
import { getCore } from '../core/core.js';
import { messageOf } from './errors.js';
import { defaults, litProperties, readParams, writeParams } from './state.js';
import { frameStyles } from './styles.js';

const NATIVE_KEYS = new Set(['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON', 'SUMMARY', 'A']);

export function stateProperties(table) {
  return litProperties(table);
}

export class AttnWidget extends LitElement {
  static widgetName = '';
  static stateTable = [];
  static styles = frameStyles;
  static properties = {
    _error: { state: true },
    _live: { state: true },
    _tableOpen: { state: true },
    playing: { state: true },
    reducedMotion: { state: true },
    core: { state: true },
  };

  constructor() {
    super();
    Object.assign(this, defaults(this.constructor.stateTable));
    this.core = null;
    this._error = '';
    this._live = '';
    this._tableOpen = false;
    this.playing = false;
    this.reducedMotion = false;
    this._tracked = new Set();
    this._cssCache = new Map();
    this._playTimer = 0;
    this._liveTimer = 0;
    this._urlTimer = 0;
    this._computedOnce = false;
    this._media = [];
    this.addEventListener('keydown', (e) => this._routeKey(e));
  }

  // ----- lifecycle -----------------------------------------------------------------------------

  connectedCallback() {
    super.connectedCallback();
    const name = this.constructor.widgetName;
    if (name && !this.dataset.widget) this.dataset.widget = name;
    if (this.hasAttribute('url-key')) {
      const found = readParams(this.constructor.stateTable, new URLSearchParams(location.search), this.urlPrefix);
      Object.assign(this, found);
    }
    this._watchMedia('(prefers-reduced-motion: reduce)', (m) => {
      this.reducedMotion = m;
    });
    this._watchMedia('(prefers-color-scheme: dark)', () => this.refreshColors());
    this._computedOnce = false;
    // re-attached after a removal: its core states were disposed, so compute afresh
    if (this.core) this.requestUpdate();
    getCore().then(
      (core) => {
        // Each widget computes its first figure in a task of its own, never all of them in one.
        setTimeout(() => {
          if (this.isConnected) this.core = core;
        }, 0);
      },
      (err) => {
        this._error = `The attnlab core could not be loaded: ${messageOf(err)}`;
      },
    );
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.pause();
    clearTimeout(this._liveTimer);
    clearTimeout(this._urlTimer);
    for (const [mq, fn] of this._media) mq.removeEventListener('change', fn);
    this._media = [];
    this.releaseAll();
    this.onDispose();
  }

  // The first render of each widget waits for a task of its own, so a page with several widgets
  // never renders them all inside the task that evaluated the script.
  async scheduleUpdate() {
    if (!this.hasUpdated) await new Promise((r) => setTimeout(r, 0));
    super.scheduleUpdate();
  }

  get urlPrefix() {
    return this.getAttribute('url-key') || '';
  }

  willUpdate(changed) {
    if (!this.core) return;
    const stateChanged = this.constructor.stateTable.some((e) => changed.has(e.key));
    if (!this._computedOnce || stateChanged || changed.has('core')) {
      // the first figure is described, not announced: a page load should not talk
      this._quiet = !this._computedOnce;
      this._computedOnce = true;
      try {
        this.compute(changed);
        this._error = '';
      } catch (err) {
        this._error = `Could not compute this figure: ${messageOf(err)}`;
      } finally {
        this._quiet = false;
      }
    }
  }

  updated(changed) {
    const stateChanged = this.constructor.stateTable.some((e) => changed.has(e.key));
    if (stateChanged && this.hasAttribute('url-key')) this._scheduleUrl();
    if (this.core) {
      try {
        this.draw(changed);
      } catch (err) {
        this._error = `Could not draw this figure: ${messageOf(err)}`;
      }
    }
  }

  // ----- hooks for widgets -------------------------------------------------------------------------

  // compute(changed): `changed` is Lit's map of changed properties; see viewOnly().
  compute() {}
  draw() {}
  onDispose() {}
  renderControls() {
    return nothing;
  }
  renderFigure() {
    return nothing;
  }
  renderReadouts() {
    return nothing;
  }
  renderTable() {
    return nothing;
  }
  titleText() {
    return '';
  }
  describe() {
    return '';
  }
  // Arrow keys on the figure surface; return true when handled.
  onArrow() {
    return false;
  }
  // For widgets with a player: can the sequence move on, and move it by one.
  canAdvance() {
    return false;
  }
  advance() {}
  get playInterval() {
    return 700;
  }

  // ----- state -------------------------------------------------------------------------------------

  // True when the only state that changed is among `keys` (settings that change what is shown, not
  // what the core computes), so compute() can keep its results.
  viewOnly(changed, keys) {
    if (!this._res || changed.has('core')) return false;
    const stateKeys = this.constructor.stateTable.map((e) => e.key).filter((k) => changed.has(k));
    return stateKeys.length > 0 && stateKeys.every((k) => keys.includes(k));
  }

  get state() {
    return Object.fromEntries(this.constructor.stateTable.map((e) => [e.key, this[e.key]]));
  }

  // Changes made through the widget's own controls: assign, then tell listeners.
  setState(patch) {
    Object.assign(this, patch);
    this.dispatchEvent(
      new CustomEvent('attn-change', {
        detail: { widget: this.constructor.widgetName, state: { ...this.state, ...patch } },
        bubbles: true,
        composed: true,
      }),
    );
  }

  // The current state as query parameters (no prefix), e.g. for the embed link.
  stateParams() {
    return writeParams(this.constructor.stateTable, this.state, new URLSearchParams(), '');
  }

  _scheduleUrl() {
    clearTimeout(this._urlTimer);
    // Rapid slider drags would otherwise hit the browser's replaceState rate limit.
    this._urlTimer = setTimeout(() => {
      const url = new URL(location.href);
      writeParams(this.constructor.stateTable, this.state, url.searchParams, this.urlPrefix);
      if (url.href !== location.href) history.replaceState(history.state, '', url);
    }, 120);
  }

  // ----- core states -------------------------------------------------------------------------------

  track(handle) {
    this._tracked.add(handle);
    return handle;
  }

  release(handle) {
    if (handle && this._tracked.delete(handle)) handle.dispose();
  }

  releaseAll() {
    for (const h of this._tracked) h.dispose();
    this._tracked.clear();
  }

  // ----- player ------------------------------------------------------------------------------------

  play() {
    if (this.playing || !this.core) return;
    if (!this.canAdvance()) this.rewindForPlay();
    if (!this.canAdvance()) return;
    this.playing = true;
    this._tick();
  }

  pause() {
    this.playing = false;
    clearTimeout(this._playTimer);
  }

  togglePlay() {
    if (this.playing) this.pause();
    else this.play();
  }

  // Called when play is pressed at the end of the sequence.
  rewindForPlay() {}

  _tick() {
    this._playTimer = setTimeout(() => {
      if (!this.playing) return;
      if (!this.canAdvance()) {
        this.pause();
        return;
      }
      this.advance();
      if (this.canAdvance()) this._tick();
      else this.pause();
    }, this.playInterval);
  }

  // ----- keyboard ----------------------------------------------------------------------------------

  _routeKey(e) {
    const target = e.composedPath()[0];
    if (!(target instanceof Element) || !target.closest('.surface')) return;
    if (NATIVE_KEYS.has(target.tagName)) return;
    if (e.key === ' ' && this.canPlayControls) {
      e.preventDefault();
      this.togglePlay();
      return;
    }
    if (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End' || e.key === '+' || e.key === '-') {
      if (this.onArrow(e.key, e)) e.preventDefault();
    }
  }

  get canPlayControls() {
    return false;
  }

  // ----- live region -------------------------------------------------------------------------------

  // Polite, and debounced so a slider drag announces where it settled rather than every value.
  announce(text) {
    if (this._quiet) return;
    clearTimeout(this._liveTimer);
    this._liveTimer = setTimeout(() => {
      this._live = text;
    }, 350);
  }

  // ----- media queries -----------------------------------------------------------------------------

  _watchMedia(query, fn) {
    if (!globalThis.matchMedia) return;
    const mq = matchMedia(query);
    const handler = () => fn(mq.matches);
    mq.addEventListener('change', handler);
    this._media.push([mq, handler]);
    fn(mq.matches);
  }

  // A CSS custom property of this element, resolved (canvas drawing needs real colours). Values are
  // cached, since reading computed style after a render forces a style recalculation; the cache is
  // dropped when the colour scheme changes. A page that restyles --attn-* at run time calls
  // refreshColors().
  cssVar(name) {
    let v = this._cssCache.get(name);
    if (v === undefined) {
      v = getComputedStyle(this).getPropertyValue(name).trim();
      this._cssCache.set(name, v);
    }
    return v;
  }

  refreshColors() {
    this._cssCache.clear();
    this.requestUpdate();
  }

  // ----- rendering ---------------------------------------------------------------------------------

  // A part that throws while rendering shows the error in place of itself, never a blank widget.
  _part(fn, fallback = nothing) {
    try {
      return fn();
    } catch (err) {
      this._renderError ||= `Could not show this figure: ${messageOf(err)}`;
      return fallback;
    }
  }

  render() {
    const embed = this.getAttribute('embed-href');
    const name = this.constructor.widgetName;
    const ready = this.core && this._computedOnce;
    this._renderError = '';
    const controls = this._part(() => this.renderControls());
    const figure = ready
      ? this._part(
          () => this.renderFigure(),
          html`<p class="placeholder">This figure could not be drawn.</p>`,
        )
      : html`<p class="placeholder">${this._error ? 'This figure needs the attnlab core, which is unavailable.' : 'Loading the attnlab core…'}</p>`;
    const readouts = ready ? this._part(() => this.renderReadouts()) : nothing;
    const table = ready && this._tableOpen ? this._part(() => this.renderTable()) : nothing;
    const description = this._part(() => this.describe(), '');
    return html`
      <figure class="frame" part="frame" aria-labelledby="title" aria-describedby="desc">
        <figcaption id="title" class="title" part="title">${this.titleText()}</figcaption>
        <div class="controls" part="controls">${controls}</div>
        <div class="error" part="error" role="status">${this._error || this._renderError}</div>
        <div class="figure" part="figure">${figure}</div>
        ${ready ? html`<dl class="readouts" part="readouts">${readouts}</dl>` : nothing}
        <p id="desc" class="desc" part="description">${description}</p>
        ${ready
          ? html`<details class="data" part="data" @toggle=${(e) => (this._tableOpen = e.target.open)}>
              <summary>Data table</summary>
              ${table}
            </details>`
          : nothing}
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">${this._live}</div>
        ${embed ? html`<a class="embed-link" href=${`${embed}?widget=${name}&${this.stateParams()}`}>Open this figure on its own</a>` : nothing}
      </figure>
    `;
  }
}

export { messageOf };

// Readout cell: <div><dt>label</dt><dd>value<small>note</small></dd></div>
export function readout(label, value, note, cls = '') {
  return html`<div class=${cls}>
    <dt>${label}</dt>
    <dd>${value}${note ? html`<small>${note}</small>` : nothing}</dd>
  </div>`;
}

// A data table inside a focusable, labelled scroll region.
export function dataTable(caption, columns, rows) {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${caption}>
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${columns.map((c) => html`<th scope="col">${c}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) => html`<tr>
            ${r.map((c, i) => (i === 0 ? html`<th scope="row">${c}</th>` : html`<td>${c}</td>`))}
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
