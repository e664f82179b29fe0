// attnlab for browsers and bundlers. The .wasm files sit beside this module; the literal
// new URL(..., import.meta.url) calls let bundlers see and ship both of them.
import createAttnlabCore from './attnlab-core.js';
import { makeLoadCore } from './api.js';

const wasm = {
  simd: () => new URL('./attnlab-simd.wasm', import.meta.url),
  baseline: () => new URL('./attnlab.wasm', import.meta.url),
};

export const loadCore = makeLoadCore((flavour) => createAttnlabCore({ locateFile: () => wasm[flavour]().href }));
