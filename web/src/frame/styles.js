// Styles shared by every widget's shadow root. Colours are CSS custom properties so a host page can
// theme a widget from outside (set --attn-* on the element or any ancestor); the private --_*
// variables resolve the page's value or the built-in light/dark default.
import { css } from 'lit';

export const frameStyles = css`
  :host {
    --_bg: var(--attn-bg, #ffffff);
    --_fg: var(--attn-fg, #1a1a1f);
    --_muted: var(--attn-muted, #55555f);
    --_surface: var(--attn-surface, #f3f3f6);
    --_border: var(--attn-border, #c4c4cf);
    --_grid: var(--attn-grid, #e2e2e8);
    --_softmax: var(--attn-softmax, #b3361d);
    --_linear: var(--attn-linear, #1d5cbd);
    --_highlight: var(--attn-highlight, #b86e00);
    --_focus: var(--attn-focus, #1a56db);
    --_neg: var(--attn-negative, #2166ac);
    --_pos: var(--attn-positive, #b2182b);
    --_masked: var(--attn-masked, #d9d9e0);
    --_radius: var(--attn-radius, 8px);
    display: block;
    color: var(--_fg);
    font-family: var(--attn-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--attn-font-size, 1rem);
    line-height: 1.45;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_bg: var(--attn-bg, #16171b);
      --_fg: var(--attn-fg, #e9e9ef);
      --_muted: var(--attn-muted, #a8a8b5);
      --_surface: var(--attn-surface, #202228);
      --_border: var(--attn-border, #464955);
      --_grid: var(--attn-grid, #2c2e36);
      --_softmax: var(--attn-softmax, #ff8d73);
      --_linear: var(--attn-linear, #82b4ff);
      --_highlight: var(--attn-highlight, #ffbf52);
      --_focus: var(--attn-focus, #8db8ff);
      --_neg: var(--attn-negative, #6fa8dc);
      --_pos: var(--attn-positive, #f08a7e);
      --_masked: var(--attn-masked, #33353e);
    }
  }
  :host([hidden]) {
    display: none;
  }
  * {
    box-sizing: border-box;
  }
  .frame {
    margin: 0;
    padding: 0.9rem;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    display: grid;
    gap: 0.75rem;
    min-width: 0;
  }
  .title {
    font-weight: 650;
    font-size: 1.05em;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem 1.1rem;
    align-items: end;
  }
  .control {
    display: grid;
    gap: 0.2rem;
    min-width: 0;
  }
  .control > span,
  .control > label,
  legend {
    font-size: 0.85em;
    color: var(--_muted);
  }
  fieldset {
    border: 0;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.2rem;
    min-width: 0;
  }
  .segmented {
    display: inline-flex;
    flex-wrap: wrap;
    border: 1px solid var(--_border);
    border-radius: 6px;
    overflow: hidden;
  }
  .segmented label {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    padding: 0.25rem 0.6rem;
    cursor: pointer;
    color: var(--_fg);
    font-size: 0.9em;
  }
  .segmented label + label {
    border-left: 1px solid var(--_border);
  }
  .segmented label:has(input:checked) {
    background: var(--_surface);
    font-weight: 600;
  }
  .segmented input {
    margin: 0;
  }
  input[type='range'] {
    width: min(22rem, 100%);
    accent-color: var(--_focus);
  }
  input[type='number'],
  select {
    font: inherit;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 6px;
    padding: 0.2rem 0.35rem;
  }
  input[type='number'] {
    width: 8.5em;
  }
  button {
    font: inherit;
    color: var(--_fg);
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: 6px;
    padding: 0.3rem 0.7rem;
    cursor: pointer;
    min-height: 2rem;
  }
  button:disabled {
    cursor: default;
    opacity: 0.55;
  }
  button[aria-pressed='true'] {
    font-weight: 650;
    border-color: var(--_fg);
  }
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
  }
  :focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .surface:focus-visible {
    outline-offset: 3px;
  }
  .figure {
    min-width: 0;
    position: relative;
  }
  .placeholder {
    margin: 0;
    padding: 2rem 1rem;
    text-align: center;
    color: var(--_muted);
    background: var(--_surface);
    border-radius: 6px;
  }
  .error {
    margin: 0;
    padding: 0.5rem 0.7rem;
    border-left: 4px solid var(--_softmax);
    background: var(--_surface);
    color: var(--_fg);
  }
  .error:empty {
    display: none;
  }
  .readouts {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(9.5rem, 100%), 1fr));
    gap: 0.5rem 1rem;
    margin: 0;
  }
  .readouts > div {
    background: var(--_surface);
    border-radius: 6px;
    padding: 0.4rem 0.6rem;
    min-width: 0;
  }
  .readouts dt {
    font-size: 0.8em;
    color: var(--_muted);
  }
  .readouts dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .readouts dd small {
    display: block;
    font-weight: 400;
    color: var(--_muted);
  }
  .desc {
    margin: 0;
    color: var(--_muted);
    font-size: 0.92em;
  }
  details.data summary {
    cursor: pointer;
    color: var(--_fg);
    font-size: 0.9em;
  }
  .table-wrap {
    max-height: 18rem;
    overflow: auto;
    margin-top: 0.4rem;
    border: 1px solid var(--_border);
    border-radius: 6px;
  }
  table {
    border-collapse: collapse;
    font-size: 0.85em;
    font-variant-numeric: tabular-nums;
    width: 100%;
  }
  caption {
    text-align: left;
    padding: 0.3rem 0.5rem;
    color: var(--_muted);
  }
  th,
  td {
    padding: 0.2rem 0.5rem;
    border-bottom: 1px solid var(--_grid);
    text-align: right;
    white-space: nowrap;
  }
  th {
    position: sticky;
    top: 0;
    background: var(--_surface);
  }
  .embed-link {
    font-size: 0.85em;
    color: var(--_fg);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .swatch {
    display: inline-block;
    width: 0.8em;
    height: 0.8em;
    border-radius: 2px;
    vertical-align: -0.05em;
    margin-right: 0.3em;
  }
  .sw-softmax {
    background: var(--_softmax);
  }
  .sw-linear {
    background: var(--_linear);
  }
  .sw-masked {
    background: linear-gradient(to top right, var(--_masked) 42%, var(--_muted) 42% 58%, var(--_masked) 58%);
  }
  .sw-highlight {
    border: 2px solid var(--_highlight);
  }
  .softmax {
    color: var(--_softmax);
  }
  .linear {
    color: var(--_linear);
  }
  svg text {
    fill: currentColor;
  }
  svg .axis {
    color: var(--_muted);
    font-size: 11px;
  }
  svg .axis text {
    font-size: 11px;
  }
  svg .gridline {
    stroke: var(--_grid);
  }
  canvas {
    display: block;
    max-width: 100%;
  }
  @media (prefers-reduced-motion: no-preference) {
    .animate {
      transition: all 160ms ease-out;
    }
  }
`;
