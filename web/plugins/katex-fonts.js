// KaTeX's stylesheet lists each font three times (woff2, woff, ttf). Every browser that runs
// WebAssembly SIMD or even baseline wasm reads woff2, so only those files are referenced and shipped.
const KATEX_CSS = /[\\/]katex[\\/]dist[\\/]katex(\.min)?\.css$/;
const OLD_FORMATS = /,\s*url\(fonts\/[^)]+\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g;

export function woff2Only(css) {
  return css.replace(OLD_FORMATS, '');
}

export function katexFonts() {
  return {
    name: 'attnlab-katex-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!KATEX_CSS.test(id.split('?')[0])) return null;
      return { code: woff2Only(code), map: null };
    },
  };
}
