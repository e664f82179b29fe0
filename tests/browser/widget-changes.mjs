// The state changes each lesson widget is put through, one list per data-widget name. Shared by
// two readers that must agree on what "a change" is: the browser tests (tests/browser/ch*.test.mjs,
// through widgetSuite) check that each change updates the widget's state and figure, and the bench
// (`npm run bench -- --browser`, bench/lesson.mjs) measures what each one costs the main thread.
// Pure data: importing it registers no test.
export const WIDGET_CHANGES = {
  'cost-curve': [{ n: 2000 }, { n: 1000000 }, { d: 128 }, { axes: 'log' }, { n: 30000 }, { axes: 'linear', d: 64 }],
  'attention-grid': [{ n: 7 }, { row: 3, col: 2 }, { n: 32 }, { d: 64 }, { row: 20, col: 10 }, { n: 64 }],
  'kernel-view': [{ map: 'taylor2' }, { map: 'performer' }, { d: 32 }, { spread: 1.5 }, { map: 'identity' }, { seed: 4 }],
  'order-toggle': [{ n: 25 }, { order: 'kv' }, { n: 64 }, { d: 16 }, { n: 128 }, { order: 'qk' }],
  'state-stepper': [{ t: 4 }, { t: 5 }, { t: 3 }, { compare: true }, { t: 12 }, { t: 0 }, { prefill: 4 }],
  'recall-sharpness': [{ rung: 0 }, { rung: 8 }, { target: 3 }, { target: 9 }, { seed: 2 }, { rung: 4 }],
  'recall-lab': [{ pairs: 32 }, { pairs: 64 }, { pairs: 16 }, { pairs: 96 }, { pairs: 40 }],
  simulator: [{ t: 32 }, { t: 2048 }, { t: 4096 }, { rival: 'hybrid' }, { rival: 'deltanet' }, { t: 0 }],
  'token-shift': [{ token: 1 }, { token: 10 }, { mix: 0 }, { mix: 1 }, { mix: 0.3 }, { seed: 9 }],
  'decay-curve': [{ decay: 0.5 }, { decay: 0.99 }, { mode: 'data' }, { channel: 4 }, { mode: 'static' }],
  'family-map': [{ selected: 'gla' }, { n: 1048576 }, { selected: 'rwkv4' }, { n: 256 }, { selected: 'softmax' }],
  'chunk-explorer': [{ chunk: 1 }, { chunk: 4096 }, { chunk: 128 }, { variant: 'retnet' }, { variant: 'gla' }, { chunk: 64 }],
  'decision-map': [{ n: 500 }, { n: 200000 }, { facts: 200 }, { facts: 3 }, { budget: 16 }, { budget: 64 }],
};
