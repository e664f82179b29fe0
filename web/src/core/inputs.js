// Seeded token vectors for the widgets: the q, k, v the core computes on. Not model math, just data:
// a small counter-based generator (mulberry32) and Box-Muller normals, so one seed always gives the
// same vectors in every browser, and the first t tokens of a longer sequence are the same tokens.

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

function normals(rand) {
  let spare = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

// Standard-normal q, k, v for n tokens ([n, dk], [n, dk], [n, dv], row-major). Token t's three rows
// are drawn together, in order, so the sequence for n tokens is a prefix of the one for n + 1.
// The last few results are kept: widgets ask again for the same tokens whenever any setting changes.
const recent = [];
export function tokenVectors(seed, n, dk, dv) {
  const hit = recent.find((r) => r.seed === seed && r.n === n && r.dk === dk && r.dv === dv);
  if (hit) return hit.vectors;
  const vectors = drawVectors(seed, n, dk, dv);
  recent.unshift({ seed, n, dk, dv, vectors });
  if (recent.length > 4) recent.pop();
  return vectors;
}

function drawVectors(seed, n, dk, dv) {
  const next = normals(mulberry32(seed * 2654435761 + 12345));
  const q = new Float32Array(n * dk);
  const k = new Float32Array(n * dk);
  const v = new Float32Array(n * dv);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < dk; i++) q[t * dk + i] = next();
    for (let i = 0; i < dk; i++) k[t * dk + i] = next();
    for (let i = 0; i < dv; i++) v[t * dv + i] = next();
  }
  return { q, k, v };
}

// The rows of an n x n identity matrix as one [n, n] array. Fed as the values of an attention run,
// each output row becomes that query's weights over the keys, as the core computed them.
const identities = new Map();
export function identityRows(n) {
  if (identities.has(n)) return identities.get(n);
  if (identities.size > 8) identities.clear();
  const id = new Float32Array(n * n);
  for (let i = 0; i < n; i++) id[i * n + i] = 1;
  identities.set(n, id);
  return id;
}

export function row(a, width, t) {
  return a.subarray(t * width, (t + 1) * width);
}
