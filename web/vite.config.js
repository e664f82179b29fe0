// The lesson site: every page under web/ built into dist/site/ with relative asset paths, so the
// folder works from any static server, under any sub-path, and offline (no CDN: fonts, styles and
// the .wasm files are all emitted beside the pages).
//
//   node_modules/.bin/vite --config web/vite.config.js          dev server
//   node_modules/.bin/vite build --config web/vite.config.js    dist/site/
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { sitePlugin } from './plugins/site.js';
import { katexFonts } from './plugins/katex-fonts.js';
import { CHAPTERS } from './site/chapters.js';

const web = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(web, '..');
// The built package (the core's wrapper, glue and .wasm); another build can be pointed at for testing.
const pkg = process.env.ATTNLAB_PKG_DIR ? resolve(process.env.ATTNLAB_PKG_DIR) : resolve(repo, 'dist/pkg');

export default defineConfig({
  root: web,
  base: './',
  publicDir: false,
  appType: 'mpa',
  resolve: {
    // Widgets reach the core only through the package's own wrapper, as a user of the package would.
    alias: { attnlab: resolve(pkg, 'attnlab.js') },
  },
  plugins: [sitePlugin({ root: web, coreEntry: resolve(pkg, 'node.js') }), katexFonts()],
  server: { fs: { allow: [repo, pkg] } },
  optimizeDeps: { exclude: ['attnlab'] },
  build: {
    outDir: resolve(repo, 'dist/site'),
    emptyOutDir: true,
    target: 'es2022',
    // The .wasm files are fetched by URL, never inlined.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') || file.endsWith('.woff2') ? false : undefined),
    rollupOptions: {
      input: Object.fromEntries(
        [['index', 'index.html'], ['embed', 'embed.html'], ...CHAPTERS.map((c) => [c.file.replace(/\.html$/, ''), c.file])].map(([k, f]) => [
          k,
          resolve(web, f),
        ]),
      ),
    },
  },
});
