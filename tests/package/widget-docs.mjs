// docs/widgets.md, generated from the widget sources; and the facts widget-docs.test.mjs checks the
// page (and web/src/widgets.d.ts) against.
//
//   node tests/package/widget-docs.mjs      rewrites docs/widgets.md
//
// Where each fact comes from:
//   - the widget list, tags and classes: web/src/widgets/index.js (the registry `attnlab/widgets`
//     ships), each class imported in Node (Lit's Node build provides the DOM stand-ins it needs);
//   - attributes and properties: each class's state table (the single table that drives its
//     properties, attributes, URL and embed query), so types, defaults and ranges are the code's;
//   - events, ::part names, CSS custom properties: found in the widget's source (new CustomEvent,
//     part="…", --attn-*), in the shared frame (web/src/frame/widget-base.js, styles.js), and in the
//     widget's header comment, which also gives the prose (summary, attribute notes, keyboard).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const REPO = new URL('../../', import.meta.url);
const WEB = new URL('web/src/', REPO);
export const DOCS = fileURLToPath(new URL('docs/widgets.md', REPO));

const read = (url) => readFile(url, 'utf8');

// The first /** … */ block, as lines without the leading " * ".
function headerLines(source) {
  const m = source.match(/\/\*\*([\s\S]*?)\*\//);
  if (!m) return [];
  return m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
}

// Header sections: `Label: text` lines and their indented continuations.
function section(lines, label) {
  const i = lines.findIndex((l) => l.startsWith(`${label}:`));
  if (i < 0) return '';
  const out = [lines[i].slice(label.length + 1).trim()];
  for (let j = i + 1; j < lines.length && /^\s{2,}\S/.test(lines[j]); j++) out.push(lines[j].trim());
  return out.join(' ');
}

// "Attributes / properties" block: `  key[, key]   text` lines, deeper-indented continuations.
function attributeNotes(lines) {
  const start = lines.findIndex((l) => l.startsWith('Attributes / properties'));
  const notes = {};
  if (start < 0) return notes;
  let current = null;
  for (let j = start + 1; j < lines.length; j++) {
    const l = lines[j];
    if (!/^\s/.test(l) || l.trim() === '') break;
    const m = l.match(/^ {1,3}(\S[\w-]*(?:, [\w-]+)*)\s{2,}(\S.*)$/) ?? l.match(/^ {1,3}([\w-]+) (\S.*)$/);
    if (m) {
      current = m[1].split(', ');
      for (const k of current) notes[k] = m[2];
    } else if (current) {
      for (const k of current) notes[k] += ` ${l.trim()}`;
    }
  }
  return notes;
}

// Summary: the header's paragraphs after the title and chapter lines, up to the attribute block.
// Indented runs inside a paragraph are lists in the source ("  - item" or "  term   text"); they
// become markdown lists, with the prose around them kept as paragraphs.
function summary(lines) {
  const end = lines.findIndex((l) => l.startsWith('Attributes / properties'));
  const body = lines.slice(0, end < 0 ? lines.length : end);
  const paras = [];
  let cur = [];
  for (const l of body) {
    if (l.trim() === '') {
      if (cur.length) paras.push(cur);
      cur = [];
    } else cur.push(l);
  }
  if (cur.length) paras.push(cur);
  const [first, ...rest] = paras;
  const chapter = first?.find((l) => /^Chapter \d+/.test(l.trim())) ?? '';
  const blocks = [];
  for (const para of rest) {
    let prose = [];
    let items = null;
    const flush = () => {
      if (prose.length) blocks.push(prose.join(' '));
      if (items) blocks.push(items.map((x) => `- ${x}`).join('\n'));
      prose = [];
      items = null;
    };
    for (const l of para) {
      const bullet = l.match(/^\s+- (.*)$/);
      const term = l.match(/^\s{2,}([\w-]+(?: [\w-]+)?)\s{2,}(\S.*)$/);
      if (bullet || (term && (items || !/^\s{4,}/.test(l)))) {
        if (prose.length) flush();
        items ??= [];
        items.push(bullet ? bullet[1].trim() : `*${term[1]}*: ${term[2].trim()}`);
      } else if (/^\s/.test(l) && items) {
        items[items.length - 1] += ` ${l.trim()}`;
      } else {
        if (items) flush();
        prose.push(l.trim());
      }
    }
    flush();
  }
  return { chapter: chapter.trim(), paragraphs: blocks };
}

const uniq = (xs) => [...new Set(xs)];
// "cost against sequence length." -> "Cost against sequence length"
const sentence = (s) => s.trim().replace(/\.$/, '').replace(/^[a-z]/, (c) => c.toUpperCase());

// Every fact about every registered widget, in registry order.
export async function collectWidgets() {
  const index = await import(new URL('widgets/index.js', WEB));
  const base = await read(new URL('frame/widget-base.js', WEB));
  const styles = await read(new URL('frame/styles.js', WEB));
  const baseParts = uniq([...base.matchAll(/part="([\w-]+)"/g)].map((m) => m[1]));
  const baseEvents = uniq([...base.matchAll(/new CustomEvent\('([\w-]+)'/g)].map((m) => m[1]));
  const widgets = [];
  for (const name of index.WIDGET_NAMES) {
    const loader = index.WIDGET_LOADERS[name];
    const file = String(loader).match(/import\(['"]\.\/([\w-]+\.js)['"]\)/)?.[1];
    if (!file) throw new Error(`widget ${name}: cannot find its module in WIDGET_LOADERS`);
    const source = await read(new URL(`widgets/${file}`, WEB));
    const cls = await loader();
    const lines = headerLines(source);
    while (lines.length && lines[0].trim() === '') lines.shift();
    // the title runs from `<attn-x>:` to the chapter line
    const chapterAt = lines.findIndex((l) => /^Chapter \d+/.test(l));
    const titleLine = lines.slice(0, chapterAt > 0 ? chapterAt : 1).join(' ');
    const tag = index.tagName(name);
    const methods = [];
    const hooks = new Set(['constructor', 'render', 'onDispose', 'titleText', 'describe', 'compute', 'draw', 'onArrow', 'renderControls', 'renderFigure', 'renderReadouts', 'renderTable', 'canAdvance', 'advance', 'rewindForPlay', 'willUpdate', 'updated', 'firstUpdated', 'connectedCallback', 'disconnectedCallback']);
    for (const key of Object.getOwnPropertyNames(cls.prototype)) {
      const d = Object.getOwnPropertyDescriptor(cls.prototype, key);
      if (key.startsWith('_') || hooks.has(key) || typeof d.value !== 'function') continue;
      methods.push(key);
    }
    const headerParts = section(lines, 'Parts')
      .replace(/\.$/, '')
      .split(/,\s*/)
      .filter(Boolean);
    widgets.push({
      name,
      tag,
      className: cls.name,
      file: `web/src/widgets/${file}`,
      title: sentence(titleLine.replace(new RegExp(`^<${tag}>:\\s*`), '')),
      titleFromTag: titleLine.startsWith(`<${tag}>`),
      ...summary(lines),
      table: cls.stateTable.map((e) => ({ ...e })),
      attributes: cls.observedAttributes,
      notes: attributeNotes(lines),
      events: uniq([...baseEvents, ...[...source.matchAll(/new CustomEvent\('([\w-]+)'/g)].map((m) => m[1])]),
      eventsText: section(lines, 'Events'),
      parts: uniq([...baseParts, ...[...source.matchAll(/part="([\w-]+)"/g)].map((m) => m[1]), ...headerParts]),
      cssVars: uniq([...source.matchAll(/--attn-[a-z0-9-]*[a-z0-9]/g)].map((m) => m[0])),
      cssText: section(lines, 'CSS custom properties'),
      keyboard: section(lines, 'Keyboard'),
      methods,
    });
  }
  return { prefix: index.PREFIX, widgets, theme: themeVariables(styles), baseParts, baseEvents };
}

// The page-settable colours and fonts of the shared frame, with their light and dark defaults.
function themeVariables(styles) {
  const [light, dark = ''] = styles.split('@media (prefers-color-scheme: dark)');
  const defaults = (text) => Object.fromEntries([...text.matchAll(/var\((--attn-[\w-]+),\s*([^;]*?)\)\s*;/g)].map((m) => [m[1], m[2].trim()]));
  const l = defaults(light);
  const d = defaults(dark);
  return Object.keys(l).map((v) => ({ name: v, light: l[v], dark: d[v] ?? null }));
}

// ----- markdown ---------------------------------------------------------------------------------

const code = (x) => `\`${x}\``;
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(e) {
  switch (e.type) {
    case 'int':
      return `integer, ${e.min} … ${e.max}`;
    case 'number':
      return `number, ${e.min} … ${e.max}`;
    case 'bool':
      return 'boolean';
    case 'enum':
      return e.values.map((v) => code(typeof v === 'string' ? `'${v}'` : v)).join(' \\| ');
    default:
      return e.type;
  }
}

function eventRows(w) {
  // "attn-change { widget, state }; attn-measured { points } when a measurement finishes."
  const described = Object.fromEntries(
    w.eventsText
      .replace(/\.$/, '')
      .split(/;\s*/)
      .map((s) => s.match(/^([\w-]+)\s*(.*)$/))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  return w.events.map((e) => {
    const text = described[e] ?? '';
    const detail = text.match(/^(\{[^}]*\})\s*(.*)$/);
    const when = e === 'attn-change' ? 'after each change made through the widget’s own controls (not after changes made by the page)' : detail?.[2] || text;
    return `| ${code(e)} | ${detail ? code(detail[1]) : ''} | ${cell(when)} |`;
  });
}

export function renderDocs({ prefix, widgets, theme, baseParts }) {
  const out = [];
  const p = (...lines) => out.push(...lines);
  p(
    '# attnlab widgets',
    '',
    '<!-- Generated by `node tests/package/widget-docs.mjs` from the widget sources (state tables,',
    '     header comments, events, parts and CSS variables); `npm test` checks it against them. -->',
    '',
    `\`import 'attnlab/widgets'\` registers every lesson widget as a custom element named \`${prefix}-<name>\`.`,
    'Put the element in the page, configure it with attributes or properties, listen to its events, and theme',
    'it with CSS custom properties and `::part()`. Each widget computes everything it shows with the attnlab',
    'core (WebAssembly), loaded once per page and shared with `loadCore()` from `attnlab`.',
    '',
    '| element | what it shows | lesson |',
    '|---|---|---|',
    ...widgets.map((w) => `| [${code(`<${w.tag}>`)}](#${w.tag}) | ${cell(w.title)} | ${cell(w.chapter.replace(/\.$/, ''))} |`),
    '',
    '## Common to every widget',
    '',
    '### Attributes and properties',
    '',
    'Each widget has one state table: every entry is a property (the key as written) and an attribute (the key',
    'in lower case; all keys are lower case already). Attributes configure the widget when the page loads and',
    'whenever they change; setting the property does the same from script. Properties are not reflected back',
    'to attributes. Out-of-range numbers are clamped, unknown enum values and unparsable numbers fall back to',
    'the default. A boolean attribute is true when present (or `"true"`/`"1"`), false when absent or `"false"`/`"0"`.',
    '',
    'Two attributes are not state:',
    '',
    '| attribute | meaning |',
    '|---|---|',
    '| `url-key` | keep the state in the page URL under this prefix (`url-key="grid"` gives `?grid.n=8`); an empty value uses bare keys (`?n=8`), as the embed page does. Without it the widget never touches the URL. |',
    '| `embed-href` | show an “Open this figure on its own” link to this embed page URL, carrying the current state. |',
    '',
    'Read-only properties and methods on every widget:',
    '',
    '| member | meaning |',
    '|---|---|',
    '| `state` | a copy of the current state, one field per state-table key |',
    '| `core` | the shared core instance (`null` until it has loaded) |',
    '| `updateComplete` | a promise that resolves once pending changes are computed and drawn |',
    '| `playing`, `play()`, `pause()`, `togglePlay()` | the player of widgets that step through a sequence; it never starts by itself |',
    '| `reducedMotion` | mirrors `prefers-reduced-motion: reduce` |',
    '| `refreshColors()` | re-read the `--attn-*` colours after changing them from script (canvas drawings cache them) |',
    '| `stateParams()` | the state as `URLSearchParams`, as the embed page reads them |',
    '',
    'Core states a widget creates are disposed when the element is removed from the page; removing the element',
    'is all the clean-up a page needs.',
    '',
    '### Events',
    '',
    'Every event bubbles and is composed (it crosses shadow roots), with its data in `event.detail`.',
    '`attn-change` (`{ widget, state }`) fires after each change made through the widget’s own controls; a',
    'change the page makes through an attribute or property does not fire it. Widgets that run longer jobs',
    'add their own events, listed with each widget.',
    '',
    '### CSS custom properties',
    '',
    'Set on the element or any ancestor. Defaults follow `prefers-color-scheme`:',
    '',
    '| property | light default | dark default |',
    '|---|---|---|',
    ...theme.map((v) => `| ${code(v.name)} | ${cell(v.light)} | ${v.dark === null ? 'same' : cell(v.dark)} |`),
    '',
    '### Parts',
    '',
    `Every widget exposes ${baseParts.map((x) => code(x)).join(', ')} to \`::part()\`; widgets add the parts of their figures:`,
    '',
    '```css',
    `${prefix}-cost-curve::part(frame) { border-radius: 0; }`,
    `${prefix}-cost-curve::part(title) { font-size: 1.25rem; }`,
    '```',
    '',
    '### Keyboard',
    '',
    'Every control is reachable with Tab. The figure itself is focusable; on it, arrow keys (and Home / End)',
    'change what the widget shows, and space plays or pauses widgets that have a player.',
    '',
  );
  for (const w of widgets) {
    p(`## \`<${w.tag}>\``, '', `<a id="${w.tag}"></a>**${cell(w.title)}** ${w.chapter ? `(${w.chapter.replace(/\.$/, '')})` : ''}`.trimEnd(), '');
    for (const block of w.paragraphs) p(block, '');
    p('| attribute / property | type | default | notes |', '|---|---|---|---|');
    for (const e of w.table) {
      const def = typeof e.default === 'string' ? `'${e.default}'` : String(e.default);
      // the default has its own column
      const note = (w.notes[e.key] ?? e.label).replace(/\s*\(default [^();:]*\)/, '');
      p(`| ${code(e.key)} | ${typeOf(e)} | ${code(def)} | ${cell(note)} |`);
    }
    p('| `url-key`, `embed-href` | string | | as for every widget |', '');
    p('Events:', '', '| event | detail | fired |', '|---|---|---|', ...eventRows(w), '');
    const extraParts = w.parts.filter((x) => !baseParts.includes(x));
    p(`Parts: the common ones and ${extraParts.length ? extraParts.map(code).join(', ') : 'no others'}.`, '');
    // the header's account, plus any variable the source reads that the header does not name
    const unnamed = w.cssVars.filter((v) => !new RegExp(`${v}(?![\\w-])`).test(w.cssText));
    const cssText = w.cssText ? w.cssText.replace(/(--attn-[\w-]*[\w*])/g, '`$1`') : 'the common ones';
    p(`CSS custom properties: ${cssText}${unnamed.length ? ` Also read by this widget: ${unnamed.map(code).join(', ')}.` : ''}`, '');
    if (w.keyboard) p(`Keyboard: ${w.keyboard}`, '');
    if (w.methods.length) p(`Methods: ${w.methods.map((m) => code(`${m}()`)).join(', ')}.`, '');
    p(`Example: \`<${w.tag} ${w.table.slice(0, 2).map((e) => `${e.key}="${e.default}"`).join(' ')}></${w.tag}>\`; embed: \`embed.html?widget=${w.name}&${w.table[0].key}=${w.table[0].default}\`.`, '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

// The part of docs/widgets.md about one element (its heading up to the next widget's).
export function docSection(markdown, tag) {
  const start = markdown.indexOf(`## \`<${tag}>\``);
  if (start < 0) return null;
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

// The ::part names the page documents for one element: the common ones and the widget's own.
export function documentedParts(markdown, tag) {
  const common = markdown.match(/Every widget exposes (.*) to `::part\(\)`/)?.[1] ?? '';
  const own = docSection(markdown, tag)?.match(/^Parts: the common ones and (.*)\.$/m)?.[1] ?? '';
  return [...`${common} ${own}`.matchAll(/`([\w-]+)`/g)].map((m) => m[1]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const facts = await collectWidgets();
  await writeFile(DOCS, renderDocs(facts));
  console.log(`wrote ${DOCS}: ${facts.widgets.length} widgets`);
}
