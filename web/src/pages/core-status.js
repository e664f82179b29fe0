// Loads the core on every page (the index too, which has no widget), marks the result on <html>
// (data-core="ready" | "error", which the site tests wait for) and says in the footer what is
// computing the page, or politely why nothing is.
import { getCore } from '../core/core.js';
import { messageOf } from '../frame/errors.js';

export function showCoreStatus() {
  const el = document.querySelector('[data-core-status]');
  getCore().then(
    (core) => {
      document.documentElement.dataset.core = 'ready';
      if (el) el.textContent = `Computed live in this page by attnlab ${core.info.version}, WebAssembly ${core.info.simd ? 'with SIMD' : 'baseline (no SIMD)'}.`;
    },
    (err) => {
      document.documentElement.dataset.core = 'error';
      if (el) el.textContent = `The attnlab core could not be loaded, so the figures cannot be computed: ${messageOf(err)}`;
    },
  );
}
