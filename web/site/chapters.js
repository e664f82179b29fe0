// The lesson's table of contents, in order. The index page, each page's header and its
// previous / next links are generated from this list at build time (web/plugins/site.js).
// `widgets` names the figures a chapter carries (data-widget names); empty until the chapter is built.

export const SITE_TITLE = 'attnlab';
export const SITE_SUBTITLE = 'From the quadratic wall to linear attention and RWKV';

export const CHAPTERS = [
  { n: 1, file: 'chapters/01-quadratic-wall.html', title: 'The quadratic wall', blurb: 'Why attention cost grows with the square of the length, and what a straight line would buy.', widgets: ['cost-curve'] },
  { n: 2, file: 'chapters/02-where-the-square-comes-from.html', title: 'Where the square comes from', blurb: 'The n × n score matrix: its memory can be streamed away, its n² work cannot.', widgets: ['attention-grid'] },
  { n: 3, file: 'chapters/03-associativity-trick.html', title: 'The associativity trick', blurb: 'Drop the softmax, move the parentheses, and the n × n matrix becomes a d × d one.', widgets: ['kernel-view', 'order-toggle'] },
  { n: 4, file: 'chapters/04-attention-as-rnn.html', title: 'Attention as an RNN', blurb: 'The d × d summary can be built one token at a time: a recurrence with constant memory.', widgets: ['state-stepper'] },
  { n: 5, file: 'chapters/05-the-catch.html', title: 'The catch', blurb: 'A fixed-size state cannot keep everything: precise recall is what you pay.', widgets: ['recall-sharpness', 'recall-lab'] },
  { n: 6, file: 'chapters/06-the-race.html', title: 'The race', blurb: 'A softmax transformer and a linear model process the same growing sequence.', widgets: ['simulator'] },
  { n: 7, file: 'chapters/07-rwkv.html', title: 'RWKV', blurb: 'Token shift, a learned per-channel decay, and a transformer that runs as an RNN.', widgets: ['token-shift', 'decay-curve'] },
  { n: 8, file: 'chapters/08-the-family.html', title: 'The family', blurb: 'RetNet, GLA, Mamba, DeltaNet and friends: one recurrence, many ways to forget.', widgets: ['family-map', 'chunk-explorer'] },
  { n: 9, file: 'chapters/09-when-to-use-which.html', title: 'When to use which', blurb: 'Sequence length against the recall a task needs: softmax, linear or a hybrid.', widgets: ['decision-map'] },
  { n: 10, file: 'chapters/10-closing.html', title: 'Closing', label: 'Closing', blurb: 'The thread of the whole lesson, from the square to the line, and what it costs.', widgets: [] },
  { n: 11, file: 'chapters/11-glossary.html', title: 'Glossary', label: 'Glossary', blurb: 'Every symbol and term of the lesson, with the chapter where it first appears.', widgets: [] },
];
