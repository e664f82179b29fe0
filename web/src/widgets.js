// Entry of `attnlab/widgets`: importing it registers every lesson widget as a custom element
// (attn-cost-curve, attn-attention-grid, …). Registration finishes in the microtasks right after
// this module is evaluated, before any element can be seen; `ready` resolves to the classes by
// widget name (the first registration's, if two copies of the bundle were loaded).
import { defineWidgets, tagName, WIDGET_NAMES } from './widgets/index.js';

export const ready = defineWidgets().then(() => Object.fromEntries(WIDGET_NAMES.map((n) => [n, customElements.get(tagName(n))])));

export { defineWidgets, defineWidget, tagName, PREFIX, WIDGET_NAMES } from './widgets/index.js';
export { AttnWidget } from './frame/widget-base.js';
