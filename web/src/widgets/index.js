// Every lesson widget, by the name it carries in data-widget; the custom element is
// `${PREFIX}-${name}`. A new widget is one file in this folder plus one line in WIDGET_LOADERS.
//
// Widgets are loaded on demand: a lesson page fetches and defines only the widgets it shows, so the
// index page runs no widget code and a chapter page evaluates one widget, not all of them.

export const PREFIX = 'attn';

export const WIDGET_LOADERS = {
  'cost-curve': () => import('./cost-curve.js').then((m) => m.CostCurve),
  'attention-grid': () => import('./attention-grid.js').then((m) => m.AttentionGrid),
  'kernel-view': () => import('./kernel-view.js').then((m) => m.KernelView),
  'order-toggle': () => import('./order-toggle.js').then((m) => m.OrderToggle),
  'state-stepper': () => import('./state-stepper.js').then((m) => m.StateStepper),
  'recall-sharpness': () => import('./recall-sharpness.js').then((m) => m.RecallSharpness),
  'recall-lab': () => import('./recall-lab.js').then((m) => m.RecallLab),
  simulator: () => import('./simulator.js').then((m) => m.Simulator),
  'decay-curve': () => import('./decay-curve.js').then((m) => m.DecayCurve),
  'token-shift': () => import('./token-shift.js').then((m) => m.TokenShift),
  'family-map': () => import('./family-map.js').then((m) => m.FamilyMap),
  'chunk-explorer': () => import('./chunk-explorer.js').then((m) => m.ChunkExplorer),
  'decision-map': () => import('./decision-map.js').then((m) => m.DecisionMap),
};

export const WIDGET_NAMES = Object.keys(WIDGET_LOADERS);

export function tagName(name) {
  return `${PREFIX}-${name}`;
}

// Defines one widget. A second copy of the bundle on the same page (two course modules that each
// ship attnlab/widgets) finds the name taken and leaves the first registration alone.
export async function defineWidget(name, registry = globalThis.customElements) {
  if (!Object.hasOwn(WIDGET_LOADERS, name)) throw new RangeError(`widget: unknown name '${name}'; expected one of ${WIDGET_NAMES.join(', ')}`);
  const tag = tagName(name);
  if (!registry.get(tag)) {
    const cls = await WIDGET_LOADERS[name]();
    if (!registry.get(tag)) registry.define(tag, cls);
  }
  return registry.get(tag);
}

export function defineWidgets(names = WIDGET_NAMES, registry = globalThis.customElements) {
  return Promise.all(names.map((n) => defineWidget(n, registry)));
}

// The widgets that elements under `root` ask for with data-widget.
export function defineWidgetsIn(root = document) {
  const names = new Set([...root.querySelectorAll('[data-widget]')].map((el) => el.dataset.widget));
  return defineWidgets([...names].filter((n) => Object.hasOwn(WIDGET_LOADERS, n)));
}
