// Numbers the prose derives from several core calls, for {{ derived.NAME(...) | format }} in the
// pages (web/plugins/site.js binds each function to the core). Each function takes the core first
// and only combines what the core returns: the cost model decides, these functions only search it.
//
// The file is self-contained on purpose (no imports, no module-level state): the browser test that
// recomputes every prose number (tests/browser/lesson-numbers.test.mjs) evaluates this same source
// in the page against the page's own core.

// Multiply-adds of token t alone in the token-by-token (recurrent) form: the cost of t tokens minus
// the cost of t - 1. For softmax attention this grows with t (token t reads t cached keys and values);
// for a fixed-state model it is the same for every token.
export function tokenMacs(core, id, t, d, options = {}) {
  const at = (n) => core.cost(id, { n, dk: d, dv: d, form: 'recurrent', ...options }).macs;
  return t > 1 ? at(t) - at(t - 1) : at(1);
}

// The smallest n >= 1 for which pred(n) holds, for a predicate that stays true once it is true:
// doubling, then bisection. null when it does not hold by `limit`.
function firstTrue(pred, limit) {
  if (pred(1)) return 1;
  let lo = 1; // pred(lo) is false, pred(hi) is what the loop looks for
  let hi = 2;
  while (!pred(hi)) {
    if (hi >= limit) return null;
    lo = hi;
    hi = Math.min(limit, hi * 2);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

// The first token whose own work in softmax attention's cache reaches the work of one token of the
// fixed-state model `id` (both with head dimension d).
export function tokenCrossover(core, id, d, options = {}, limit = 1 << 24) {
  const rival = tokenMacs(core, id, 1, d, options);
  return firstTrue((t) => tokenMacs(core, 'softmax', t, d) >= rival, limit);
}

// The first length at which softmax attention's total work, token by token, reaches the total of
// the fixed-state model `id`.
export function totalCrossover(core, id, d, options = {}, limit = 1 << 24) {
  const total = (who, opts, n) => core.cost(who, { n, dk: d, dv: d, form: 'recurrent', ...opts }).macs;
  return firstTrue((n) => total('softmax', {}, n) >= total(id, options, n), limit);
}

// The first length at which softmax attention's KV cache holds at least as many floats as the
// fixed state of `id`.
export function memoryCrossover(core, id, d, options = {}, limit = 1 << 24) {
  const floats = (who, opts, n) => core.cost(who, { n, dk: d, dv: d, form: 'recurrent', ...opts }).stateFloats;
  return firstTrue((n) => floats('softmax', {}, n) >= floats(id, options, n), limit);
}

// Mean recall accuracy over one quarter of the pairs of a core.recall spec (0 = the oldest written,
// 3 = the newest), from the accuracy by pair age the core returns.
export function recallQuarter(core, spec, quarter) {
  const a = core.recall(spec).byAge;
  const lo = Math.floor((quarter * a.length) / 4);
  const hi = Math.max(lo + 1, Math.floor(((quarter + 1) * a.length) / 4));
  let s = 0;
  for (let i = lo; i < hi; i++) s += a[i];
  return s / (hi - lo);
}
