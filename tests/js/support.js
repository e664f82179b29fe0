// Shared helpers of the JS tests: seeded inputs and comparisons that print where they fail.
import assert from 'node:assert/strict';

// mulberry32: small, seeded, good enough to draw test inputs.
export function rng(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

// Inputs for a variant drawn from each InputSpec's `sample` hint, as the C++ tests do.
export function sampleInputs(info, sizes, seed, { perToken = true, n = sizes.n } = {}) {
  const r = rng(seed);
  const out = {};
  for (const spec of info.inputs) {
    if (spec.perToken !== perToken) continue;
    const dims = spec.perToken ? spec.dims.slice(1) : spec.dims;
    const width = dims.reduce((p, d) => p * (d === '1' ? 1 : sizes[d]), 1);
    const rows = spec.perToken ? n : 1;
    const a = new Float32Array(rows * width);
    const [kind, p1, p2] = spec.sample.split(' ');
    for (let i = 0; i < a.length; i++) {
      if (kind === 'uniform') a[i] = Number(p1) + (Number(p2) - Number(p1)) * r.uniform();
      else if (kind === 'normal' && p1 !== undefined) a[i] = Number(p1) + Number(p2) * r.normal();
      else a[i] = r.normal();
    }
    if (kind === 'unit') {
      for (let t = 0; t < rows; t++) {
        const row = a.subarray(t * width, (t + 1) * width);
        const norm = Math.hypot(...row);
        for (let i = 0; i < width; i++) row[i] /= norm;
      }
    }
    out[spec.name] = a;
  }
  return out;
}

// Relative RMS difference, as docs/variants.md's tolerances are stated.
export function relRms(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

function preview(a) {
  return Array.from(a.slice(0, 6), (x) => x.toPrecision(7)).join(', ');
}

// Relative RMS within tol, and no single element off by more than 10 tol times the largest |expected|:
// the RMS alone lets a bug confined to one row through (a 1% error in one of 200 rows is 7e-4 RMS).
export function assertClose(actual, expected, tol, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const d = relRms(actual, expected);
  let maxDiff = 0;
  let at = -1;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    if (!(e <= maxDiff)) {
      maxDiff = e;
      at = i;
    }
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  const where = at >= 0 ? ` at ${at}: ${actual[at]} vs ${expected[at]}` : '';
  const message =
    `${what}: relative RMS ${d.toExponential(3)} (tolerance ${tol}), max |diff| ${maxDiff.toExponential(3)}${where} ` +
    `(tolerance ${(10 * tol * scale).toExponential(3)})\n  actual:   ${preview(actual)}\n  expected: ${preview(expected)}`;
  assert.ok(d <= tol, message);
  assert.ok(maxDiff <= 10 * tol * scale, message);
}

export function assertBitEqual(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i]))
      assert.fail(`${what}: first difference at ${i}: ${actual[i]} vs ${expected[i]}\n  actual:   ${preview(actual)}\n  expected: ${preview(expected)}`);
  }
}

// Row t of a [n, width] array.
export function row(a, t, width) {
  return a.subarray(t * width, (t + 1) * width);
}
