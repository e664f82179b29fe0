// Seeded inputs for any variant, read off the core's own description of it (core.variants()): each
// input's dims name the sizes ('n', 'dk', 'P', '1', ...) and its `sample` hint says what realistic
// values look like ("normal", "normal M S", "uniform A B", "unit"). Data only, no model math: the
// widgets that race or chunk several variants feed them these, and the core computes everything.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand) {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

// Number of floats of one row of an input (the dims after 'n' for per-token inputs, all dims for
// per-channel ones), given the sizes, e.g. { dk: 64, dv: 64 }.
export function rowLength(spec, sizes) {
  const dims = spec.perToken ? spec.dims.slice(1) : spec.dims;
  return dims.reduce((p, d) => p * (/^\d+$/.test(d) ? Number(d) : sizes[d]), 1);
}

// Fills `out` (rows of `width`) following a sample hint; "unit" normalises each row.
function fill(out, width, hint, rand) {
  const [kind, a, b] = (hint || 'normal').split(/\s+/);
  const lo = Number(a);
  const hi = Number(b);
  for (let i = 0; i < out.length; i++) {
    if (kind === 'uniform') out[i] = lo + (hi - lo) * rand();
    else if (kind === 'normal' && a !== undefined) out[i] = lo + hi * gaussian(rand);
    else out[i] = gaussian(rand);
  }
  if (kind === 'unit') {
    for (let r = 0; r < out.length; r += width) {
      let s = 0;
      for (let i = r; i < r + width; i++) s += out[i] * out[i];
      s = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let i = r; i < r + width; i++) out[i] *= s;
    }
  }
}

// { tokens: { name: Float32Array [n, row] }, channels: { name: Float32Array } } for `info` (one
// entry of core.variants()) at `sizes`, the same for the same seed. Inputs named in `fixed` take
// that constant instead (e.g. { beta: 1 }).
export function sampleInputs(info, sizes, n, seed = 1, fixed = {}) {
  const rand = mulberry32((seed * 2654435761 + info.id.length * 97) >>> 0);
  const tokens = {};
  const channels = {};
  for (const spec of info.inputs) {
    const width = rowLength(spec, sizes);
    const arr = new Float32Array(spec.perToken ? n * width : width);
    if (spec.name in fixed) arr.fill(fixed[spec.name]);
    else fill(arr, width, spec.sample, rand);
    (spec.perToken ? tokens : channels)[spec.name] = arr;
  }
  return { tokens, channels };
}

// Row t of every per-token input, as step() takes them.
export function tokenRow(info, tokens, sizes, t) {
  const row = {};
  for (const spec of info.inputs) {
    if (!spec.perToken) continue;
    const w = rowLength(spec, sizes);
    row[spec.name] = tokens[spec.name].subarray(t * w, (t + 1) * w);
  }
  return row;
}

// The first n rows of every per-token input (views, no copy).
export function prefix(info, tokens, sizes, n) {
  const out = {};
  for (const spec of info.inputs) {
    if (!spec.perToken) continue;
    out[spec.name] = tokens[spec.name].subarray(0, n * rowLength(spec, sizes));
  }
  return out;
}

// The size options of a variant for a head of dimension d: dk = dv = C = D = P = d, and the state
// width N of the SSMs as given (Mamba's S6 uses 16, Mamba-2 128 by default in their papers).
export function headSizes(info, d, ssmN = 16) {
  const sizes = {};
  for (const s of info.sizes) sizes[s] = s === 'N' ? ssmN : d;
  return sizes;
}
