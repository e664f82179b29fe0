// `attnlab/widgets` under Node (package.json: exports["./widgets"].node). The widgets are custom
// elements and need a browser's DOM; a server-side render or a test runner that merely imports the
// entry must not crash on a missing HTMLElement, and a call that would define elements must say
// plainly why it cannot. The names are the browser entry's (web/src/widgets/index.js);
// tests/package/install.test.mjs checks that both lists agree.

export const PREFIX = 'attn';

export const WIDGET_NAMES = [
  'cost-curve',
  'attention-grid',
  'kernel-view',
  'order-toggle',
  'state-stepper',
  'recall-sharpness',
  'recall-lab',
  'simulator',
  'decay-curve',
  'token-shift',
  'family-map',
  'chunk-explorer',
  'decision-map',
];

export function tagName(name) {
  return `${PREFIX}-${name}`;
}

function noBrowser() {
  return new Error("attnlab/widgets: the widgets are custom elements and need a browser (there is no customElements registry here); in Node, use the core: import { loadCore } from 'attnlab'");
}

export async function defineWidget(name) {
  if (!WIDGET_NAMES.includes(name)) throw new RangeError(`widget: unknown name '${name}'; expected one of ${WIDGET_NAMES.join(', ')}`);
  throw noBrowser();
}

export async function defineWidgets() {
  throw noBrowser();
}

// Rejects for whoever awaits it; the empty handler keeps a plain import from reporting an
// unhandled rejection.
export const ready = Promise.reject(noBrowser());
ready.catch(() => {});

// Nothing is an AttnWidget outside a browser; constructing one says why.
export class AttnWidget {
  constructor() {
    throw noBrowser();
  }
}
