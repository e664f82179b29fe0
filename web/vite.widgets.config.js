// The widgets library of the npm package: dist/pkg/widgets.js (`attnlab/widgets`), which registers
// every lesson widget as a custom element, and dist/pkg/styles.css (`attnlab/styles.css`), the
// page-level styles that cannot live in a shadow root (the KaTeX fonts and math classes).
//
// The core is not bundled: widgets.js imports './attnlab.js', the package's own wrapper beside it,
// so a page that imports both `attnlab` and `attnlab/widgets` shares one core instance, and no
// bare specifier is left for a plain <script type="module"> page to resolve.
//
//   node_modules/.bin/vite build --config web/vite.widgets.config.js
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { packageStyles } from './plugins/package-styles.js';

const web = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(web, '..');

export default defineConfig({
  root: web,
  publicDir: false,
  plugins: [packageStyles()],
  build: {
    outDir: resolve(repo, 'dist/pkg'),
    // dist/pkg also holds the core files built before this step.
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    lib: {
      entry: resolve(web, 'src/widgets.js'),
      formats: ['es'],
      fileName: () => 'widgets.js',
    },
    rollupOptions: {
      external: ['attnlab'],
      // one file: the widgets' lazy imports are folded in (the site build keeps them split)
      output: { paths: { attnlab: './attnlab.js' }, inlineDynamicImports: true },
    },
  },
});
