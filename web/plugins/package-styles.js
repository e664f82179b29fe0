// Writes dist/pkg/styles.css (`attnlab/styles.css`) and the KaTeX woff2 fonts it points to
// (dist/pkg/fonts/). Fonts cannot be declared inside a shadow root, so a page that shows the
// lesson's math links this one stylesheet; it also reserves space for widgets that have not
// been defined yet, so a page does not jump when the widgets script arrives.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { woff2Only } from './katex-fonts.js';

const require = createRequire(import.meta.url);

export const PLACEHOLDER_CSS = `
/* attnlab widgets: space held before the custom elements are defined */
[data-widget]:not(:defined) {
  display: block;
  min-height: 24rem;
  border: 1px dashed color-mix(in srgb, currentColor 35%, transparent);
  border-radius: 8px;
}
`;

export function packageStyles() {
  let out = '';
  return {
    name: 'attnlab-package-styles',
    apply: 'build',
    configResolved(config) {
      out = config.build.outDir;
    },
    writeBundle() {
      const katexDir = dirname(require.resolve('katex/dist/katex.min.css'));
      const css = woff2Only(readFileSync(join(katexDir, 'katex.min.css'), 'utf8')).replace(/url\(fonts\//g, 'url(./fonts/');
      mkdirSync(join(out, 'fonts'), { recursive: true });
      for (const f of readdirSync(join(katexDir, 'fonts'))) if (f.endsWith('.woff2')) copyFileSync(join(katexDir, 'fonts', f), join(out, 'fonts', f));
      writeFileSync(join(out, 'styles.css'), `/* attnlab page-level styles: KaTeX ${require('katex/package.json').version} (MIT) with its woff2 fonts */\n${css}\n${PLACEHOLDER_CSS}`);
    },
  };
}
