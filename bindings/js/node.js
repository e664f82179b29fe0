// attnlab for Node: reads the .wasm from the package folder and hands the bytes to the glue, whose
// own loading paths (fetch, __dirname) do not work under Node 20 in Emscripten 3.1.6.
import { readFile } from 'node:fs/promises';
import createAttnlabCore from './attnlab-core.js';
import { makeLoadCore } from './api.js';

const wasm = {
  simd: () => new URL('./attnlab-simd.wasm', import.meta.url),
  baseline: () => new URL('./attnlab.wasm', import.meta.url),
};

export const loadCore = makeLoadCore(async (flavour) =>
  createAttnlabCore({ wasmBinary: await readFile(wasm[flavour]()) }),
);
