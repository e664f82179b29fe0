// Build-time page processing for the lesson site (Vite plugin). Runs on every HTML page, in the dev
// server and in the build, so the browser never renders math or computes a prose number:
//
//   <!--site:header-->, <!--site:nav-->, <!--site:footer-->, <!--site:toc-->
//        replaced by the site header, the previous / next links, the footer and the chapter list,
//        generated from site/chapters.js with paths relative to the page (works under any sub-path).
//   {{ expr | format }}
//        a number in the prose, evaluated against the real core (the package's Node entry,
//        dist/pkg/node.js) with `core` in scope, e.g. {{ core.cost('softmax', {n: 1000, dk: 64, dv: 64,
//        form: 'parallel'}).peakFloats | grouped }}, or with the shorthand cost(id, form, n, d, options)
//        = core.cost(id, { n, dk: d, dv: d, form, ...options }), or with `derived`, the searches of
//        site/derived.js bound to the core (e.g. {{ derived.tokenCrossover('rwkv7', 64) }}). Formats: grouped (1,000,000), words (64 million),
//        short (15.63), plain. The result is wrapped in <span class="core-num" data-core="expr"> so
//        tests can recompute it in the browser.
//   \( tex \) and \[ tex \]
//        rendered by KaTeX to HTML + MathML. KaTeX writes sizes as style attributes, which a strict
//        Content-Security-Policy (no 'unsafe-inline' styles) would block; each distinct style becomes
//        a class instead, and the virtual module `virtual:attn-math.css` holds those classes for
//        every page.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import katex from 'katex';
import { CHAPTERS, SITE_TITLE, SITE_SUBTITLE } from '../site/chapters.js';
import * as derivedNumbers from '../site/derived.js';

const MATH_CSS_ID = 'virtual:attn-math.css';

// ----- math ----------------------------------------------------------------------------------------

function hash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

const decodeEntities = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// Moves every style="…" of KaTeX's output into a class; `styles` collects class -> declarations.
function classifyStyles(markup, styles) {
  return markup.replace(/<([a-zA-Z][\w-]*)(\s[^>]*?)?(\/?)>/g, (tag, name, attrs = '', selfClose) => {
    const m = /\sstyle="([^"]*)"/.exec(attrs);
    if (!m) return tag;
    const decl = m[1].trim();
    const cls = `ks-${hash(decl)}`;
    styles.set(cls, decl);
    let rest = attrs.replace(m[0], '');
    if (/\sclass="/.test(rest)) rest = rest.replace(/\sclass="([^"]*)"/, (_, c) => ` class="${c} ${cls}"`);
    else rest += ` class="${cls}"`;
    return `<${name}${rest}${selfClose}>`;
  });
}

export function renderMath(html, styles) {
  const render = (tex, displayMode) =>
    classifyStyles(
      katex.renderToString(decodeEntities(tex), { displayMode, throwOnError: true, output: 'htmlAndMathml', strict: 'error' }),
      styles,
    );
  return html
    .replace(/\\\[([\s\S]+?)\\\]/g, (_, tex) => render(tex, true))
    .replace(/\\\(([\s\S]+?)\\\)/g, (_, tex) => render(tex, false));
}

function mathCss(styles) {
  // !important: these stand in for inline styles, which win over KaTeX's own rules.
  return [...styles]
    .sort()
    .map(([cls, decl]) => {
      const body = decl
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => `${d} !important`)
        .join(';');
      return `.${cls}{${body}}`;
    })
    .join('\n');
}

// ----- prose numbers from the core -----------------------------------------------------------------

const FORMATS = {
  grouped: (x) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x),
  words: (x) =>
    Math.abs(x) < 10000
      ? new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x)
      : new Intl.NumberFormat('en', { notation: 'compact', compactDisplay: 'long', maximumSignificantDigits: 4 }).format(x),
  short: (x) => new Intl.NumberFormat('en', { maximumSignificantDigits: 4 }).format(x),
  plain: (x) => String(x),
};

// cost(id, form, n, d, options): core.cost with dk = dv = d, to keep the expressions in the prose short.
const costHelper = (core) => (id, form, n, d, options = {}) => core.cost(id, { n, dk: d, dv: d, form, ...options });

// site/derived.js with the core bound as every function's first argument.
const derivedHelper = (core) => Object.fromEntries(Object.entries(derivedNumbers).map(([name, fn]) => [name, (...args) => fn(core, ...args)]));

const escapeAttr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

// A number the core cannot produce (e.g. a call this build of the core lacks) is not invented: the
// page shows that it is missing, the build warns, and the site tests fail on any such marker.
async function fillNumbers(html, loadCore, file, warn) {
  if (!html.includes('{{')) return html;
  const core = await loadCore();
  return html.replace(/\{\{([\s\S]+?)\}\}/g, (_, body) => {
    const [expr, fmt = 'grouped'] = body.split('|').map((s) => s.trim());
    const format = FORMATS[fmt];
    if (!format) throw new Error(`${file}: unknown number format '${fmt}' in {{${body}}}`);
    let value;
    try {
      value = new Function('core', 'cost', 'derived', `return (${decodeEntities(expr)});`)(core, costHelper(core), derivedHelper(core));
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`gave ${value}, not a finite number`);
    } catch (err) {
      warn(`${file}: {{ ${expr} }} failed: ${err.message}`);
      return `<span class="core-num missing" data-core="${escapeAttr(expr)}" data-format="${fmt}">[number unavailable: ${escapeAttr(err.message)}]</span>`;
    }
    return `<span class="core-num" data-core="${escapeAttr(expr)}" data-format="${fmt}">${format(value)}</span>`;
  });
}

// ----- page chrome ---------------------------------------------------------------------------------

function pageInfo(root, filename) {
  const rel = relative(root, filename).split(sep).join('/');
  const depth = rel.split('/').length - 1;
  const up = depth ? '../'.repeat(depth) : './';
  const index = CHAPTERS.findIndex((c) => c.file === rel);
  return { rel, up, index };
}

const chapterLabel = (c) => c.label ?? `${c.n}. ${c.title}`;

function header({ up, index }) {
  const current = index >= 0 ? CHAPTERS[index] : null;
  return `<a class="skip-link" href="#main">Skip to the content</a>
<header class="site-header">
  <a class="site-title" href="${up}index.html">${SITE_TITLE}</a>
  <span class="site-subtitle">${SITE_SUBTITLE}</span>
  ${current ? `<span class="site-where" aria-hidden="true">${current.label ?? `Chapter ${current.n} of 9`}</span>` : ''}
</header>`;
}

function nav({ up, index }) {
  if (index < 0) return '';
  const prev = CHAPTERS[index - 1];
  const next = CHAPTERS[index + 1];
  return `<nav class="chapter-nav" aria-label="Chapters">
  ${prev ? `<a rel="prev" href="${up}${prev.file}"><span>Previous</span> ${chapterLabel(prev)}</a>` : `<a rel="prev" href="${up}index.html"><span>Back to</span> the contents</a>`}
  ${next ? `<a rel="next" href="${up}${next.file}"><span>Next</span> ${chapterLabel(next)}</a>` : `<a rel="next" href="${up}index.html"><span>Back to</span> the contents</a>`}
</nav>`;
}

function toc({ up }) {
  const items = CHAPTERS.map((c) => {
    // pages with a label (closing, glossary) carry no figures by design
    const status = c.widgets.length || c.label ? '' : ' <span class="coming">interactive figures coming</span>';
    return `<li><a href="${up}${c.file}">${chapterLabel(c)}</a>${status}<p>${c.blurb}</p></li>`;
  });
  return `<ol class="toc">\n${items.join('\n')}\n</ol>`;
}

function footer({ up }) {
  return `<footer class="site-footer">
  <p>Every number and figure on these pages is computed by the attnlab core, C++ compiled to WebAssembly: the figures in your browser, the numbers in the text when the site was built. <a href="${up}index.html">Contents</a></p>
  <p class="core-status" data-core-status aria-live="polite">Loading the attnlab core…</p>
</footer>`;
}

// ----- plugin --------------------------------------------------------------------------------------

function listHtml(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) out.push(...listHtml(p));
    else if (name.endsWith('.html')) out.push(p);
  }
  return out;
}

export function sitePlugin({ root, coreEntry }) {
  let corePromise = null;
  const loadCore = () => {
    if (!corePromise) {
      corePromise = import(pathToFileURL(coreEntry).href).then(
        (m) => m.loadCore(),
        (err) => {
          throw new Error(`the site build needs the built core (${coreEntry}); build the package first. ${err.message}`);
        },
      );
    }
    return corePromise;
  };

  return {
    name: 'attnlab-site',
    resolveId(id) {
      if (id === MATH_CSS_ID) return `\0${MATH_CSS_ID}`;
      return null;
    },
    load(id) {
      if (id !== `\0${MATH_CSS_ID}`) return null;
      const styles = new Map();
      for (const file of listHtml(root)) {
        this.addWatchFile(file);
        renderMath(readFileSync(file, 'utf8'), styles);
      }
      return mathCss(styles);
    },
    transformIndexHtml: {
      order: 'pre',
      async handler(html, ctx) {
        const filename = ctx.filename ?? resolve(root, `.${ctx.path}`);
        const info = pageInfo(root, filename);
        let out = html
          .replace('<!--site:header-->', header(info))
          .replace('<!--site:nav-->', nav(info))
          .replace('<!--site:toc-->', toc(info))
          .replace('<!--site:footer-->', footer(info));
        out = await fillNumbers(out, loadCore, info.rel, (msg) => console.warn(`[attnlab-site] ${msg}`));
        out = renderMath(out, new Map());
        return out;
      },
    },
  };
}

export const siteRoot = (configUrl) => dirname(new URL(configUrl).pathname);
