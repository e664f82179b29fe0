#!/usr/bin/python3
"""Golden fixtures for the C++ tests, from an implementation written straight from the equations.

Usage: /usr/bin/python3 scripts/golden.py OUT_DIR

Every variant of the public API (the spec's docs/api.md "Exact update and readout rules", docs/variants.md
for the math) is computed here a second time, in float64, with the plainest loops:
the recurrent form where the paper states a recurrence, the defining sum where it states a sum
(softmax, sliding window, RWKV-4). Nothing here is ported from the C++ core, so agreement between
the two is evidence that both read the spec the same way. tests/cpp/test_golden.cpp replays each
case through every form a variant lists.

Inputs are drawn from a seeded numpy Generator in each variant's valid domain and rounded to
float32 *before* computing, so the C++ side sees exactly the values the expectations were built
from. Each case file holds:
  variant, options (sizes and options as one passes them to core.run), inputs {name: flat list},
  output (flat [n, out]), state (flat list, or null where the state is kept in stabilised units),
  stateLayout (words).
The output is deterministic: the same bytes on every run (seeds come from the case names).
"""

import json
import math
import os
import sys
import zlib

try:
    import numpy as np
except ImportError:
    sys.exit("golden.py needs numpy: apt-get install python3-numpy (and run it with /usr/bin/python3)")

# ----------------------------------------------------------------------------------------------
# Inputs


class Draw:
    """Seeded inputs, each rounded to float32 and handed back as float64 arrays."""

    def __init__(self, name, wide=False):
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.inputs = {}
        # Wide cases spread the exponentiated inputs so that float32 forms need their stabilisers.
        self.wide = wide

    def _keep(self, name, x):
        x = np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)
        self.inputs[name] = x
        return x

    def normal(self, name, shape, mean=0.0, std=1.0):
        return self._keep(name, self.rng.normal(mean, std, size=shape))

    def uniform(self, name, shape, lo, hi):
        return self._keep(name, self.rng.uniform(lo, hi, size=shape))

    def unit(self, name, shape):
        # Rows of the last axis L2-normalised (removal keys, delta-rule keys).
        x = self.rng.normal(0.0, 1.0, size=shape)
        x = x / np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
        return self._keep(name, x)


# ----------------------------------------------------------------------------------------------
# Variants: each takes (draw, sizes, options) and returns (output [n, out], state or None, layout).
# Per-token inputs are arrays [n, X]; the state uses the API's key-by-value layout (dk rows, dv
# columns) unless the variant says otherwise.


def softmax_attention(d, s, o, window=None):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    q, k, v = d.normal("q", (n, dk)), d.normal("k", (n, dk)), d.normal("v", (n, dv))
    scale = o.get("scale", 1.0 / math.sqrt(dk))
    out = np.zeros((n, dv))
    for t in range(n):
        first = 0 if window is None else max(0, t - window + 1)
        scores = [scale * float(np.dot(q[t], k[j])) for j in range(first, t + 1)]
        top = max(scores)
        weights = [math.exp(x - top) for x in scores]
        total = sum(weights)
        for w, j in zip(weights, range(first, t + 1)):
            out[t] += (w / total) * v[j]
    first = 0 if window is None else max(0, n - window)
    cache = np.concatenate([k[first:], v[first:]], axis=1)
    return out, cache, "KV cache rows [k_j (dk), v_j (dv)], oldest first, for the tokens still held"


def sliding_window(d, s, o):
    return softmax_attention(d, s, o, window=o.get("window", 64))


def feature_map(name, x):
    dk = x.shape[0]
    if name == "elu1":
        return np.array([xi + 1.0 if xi > 0 else math.exp(xi) for xi in x])
    if name == "relu":
        return np.array([max(xi, 0.0) for xi in x])
    if name == "identity":
        return x.copy()
    if name == "taylor2":
        # Full outer product, entry (i, j) at 1 + dk + i*dk + j: phi(q).phi(k) = 1 + s + s^2/2, s = q.k/sqrt(dk).
        second = [x[i] * x[j] / (math.sqrt(2.0) * math.sqrt(dk)) for i in range(dk) for j in range(dk)]
        return np.concatenate([[1.0], x / dk ** 0.25, second])
    raise ValueError(name)


def linear(d, s, o):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    q, k, v = d.normal("q", (n, dk)), d.normal("k", (n, dk)), d.normal("v", (n, dv))
    fmap = o["featureMap"]
    normalize = o.get("normalize", fmap != "identity")
    eps = o.get("eps", 1e-6)
    m = feature_map(fmap, q[0]).shape[0]
    S, z = np.zeros((m, dv)), np.zeros(m)
    out = np.zeros((n, dv))
    for t in range(n):
        fq, fk = feature_map(fmap, q[t]), feature_map(fmap, k[t])
        S += np.outer(fk, v[t])  # both S and z include token t
        z += fk
        num = S.T @ fq
        out[t] = num / (float(np.dot(fq, z)) + eps) if normalize else num
    if normalize:
        return out, np.concatenate([S.ravel(), z]), "S (m x dv, m = feature dim) row-major, then z (m)"
    return out, S, "S (m x dv, m = feature dim) row-major"


def retnet(d, s, o):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    q, k, v = d.normal("q", (n, dk)), d.normal("k", (n, dk)), d.normal("v", (n, dv))
    gamma = o.get("gamma", 0.96875)
    S = np.zeros((dk, dv))
    out = np.zeros((n, dv))
    for t in range(n):
        S = gamma * S + np.outer(k[t], v[t])
        out[t] = S.T @ q[t]
    return out, S, "S (dk x dv) row-major"


def gla(d, s, o):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    q, k, v = d.normal("q", (n, dk)), d.normal("k", (n, dk)), d.normal("v", (n, dv))
    g = d.uniform("g", (n, dk), -1.0, -0.01)
    S = np.zeros((dk, dv))
    out = np.zeros((n, dv))
    for t in range(n):
        for i in range(dk):
            S[i] *= math.exp(g[t, i])
        S += np.outer(k[t], v[t])
        out[t] = S.T @ q[t]
    return out, S, "S (dk x dv) row-major"


def rwkv4(d, s, o):
    # The paper's defining sum, per channel c: past token i has decayed t-1-i times, the current
    # token gets the bonus u instead. Inputs are small enough that float64 needs no stabiliser.
    n, C = s["n"], s["C"]
    spread = 4.0 if d.wide else 1.0
    k, v = d.normal("k", (n, C), 0.0, spread), d.normal("v", (n, C))
    w = d.uniform("w", (C,), -spread, -0.01)
    u = d.normal("u", (C,), 0.0, 0.5 * spread)
    out = np.zeros((n, C))
    for t in range(n):
        for c in range(C):
            num = math.exp(u[c] + k[t, c]) * v[t, c]
            den = math.exp(u[c] + k[t, c])
            for i in range(t):
                e = math.exp((t - 1 - i) * w[c] + k[i, c])
                num += e * v[i, c]
                den += e
            out[t, c] = num / den
    return out, None, "(a, b, p) per channel in stabilised units: not compared"


def rwkv56(d, s, o, per_token_decay):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    r, k, v = d.normal("r", (n, dk)), d.normal("k", (n, dk)), d.normal("v", (n, dv))
    if per_token_decay:
        w = d.uniform("w", (n, dk), 0.5, 0.999)
    else:
        w = np.tile(d.uniform("w", (dk,), 0.5, 0.999), (n, 1))
    u = d.normal("u", (dk,), 0.0, 0.5)
    S = np.zeros((dk, dv))
    out = np.zeros((n, dv))
    for t in range(n):
        # read before write: the current token enters through the bonus u only
        out[t] = S.T @ r[t] + float(np.dot(r[t], u * k[t])) * v[t]
        for i in range(dk):
            S[i] *= w[t, i]
        S += np.outer(k[t], v[t])
    return out, S, "S (dk x dv) row-major"


def rwkv5(d, s, o):
    return rwkv56(d, s, o, per_token_decay=False)


def rwkv6(d, s, o):
    return rwkv56(d, s, o, per_token_decay=True)


def rwkv7(d, s, o):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    r = d.normal("r", (n, dk))
    w = d.uniform("w", (n, dk), 0.55, 0.999)
    k = d.normal("k", (n, dk))
    v = d.normal("v", (n, dv))
    kappa = d.unit("kappa", (n, dk))
    a = d.uniform("a", (n, dk), 0.01, 0.99)
    S = np.zeros((dk, dv))
    out = np.zeros((n, dv))
    for t in range(n):
        removed = kappa[t] @ S  # from the pre-decay state
        new = np.zeros((dk, dv))
        for i in range(dk):
            new[i] = w[t, i] * S[i] - kappa[t, i] * a[t, i] * removed
        S = new + np.outer(k[t], v[t])
        out[t] = S.T @ r[t]
    return out, S, "S (dk x dv) row-major"


def deltanet(d, s, o, gated=False):
    n, dk, dv = s["n"], s["dk"], s["dv"]
    q, k, v = d.normal("q", (n, dk)), d.unit("k", (n, dk)), d.normal("v", (n, dv))
    beta = d.uniform("beta", (n, 1), 0.05, 0.95)
    g = d.uniform("g", (n, 1), -1.0, -0.01) if gated else np.zeros((n, 1))
    S = np.zeros((dk, dv))
    out = np.zeros((n, dv))
    for t in range(n):
        S = math.exp(g[t, 0]) * S  # decay first (gated), then the delta rule on the decayed state
        u = beta[t, 0] * (v[t] - S.T @ k[t])
        S = S + np.outer(k[t], u)
        out[t] = S.T @ q[t]
    return out, S, "S (dk x dv) row-major"


def gated_deltanet(d, s, o):
    return deltanet(d, s, o, gated=True)


def mamba(d, s, o):
    n, D, N = s["n"], s["D"], s["N"]
    u = d.normal("u", (n, D))
    delta = d.uniform("delta", (n, D), 0.01, 0.5)
    A = d.uniform("A", (D, N), -4.0, -0.5)
    B, C = d.normal("B", (n, N)), d.normal("C", (n, N))
    Dskip = d.normal("Dskip", (D,))
    h = np.zeros((D, N))
    out = np.zeros((n, D))
    for t in range(n):
        for c in range(D):
            for i in range(N):
                h[c, i] = math.exp(delta[t, c] * A[c, i]) * h[c, i] + delta[t, c] * B[t, i] * u[t, c]
            out[t, c] = float(np.dot(C[t], h[c])) + Dskip[c] * u[t, c]
    return out, h, "h (D x N) row-major"


def mamba2(d, s, o):
    n, N, P = s["n"], s["N"], s["P"]
    x = d.normal("x", (n, P))
    delta = d.uniform("delta", (n, 1), 0.01, 0.5)
    B, C = d.normal("B", (n, N)), d.normal("C", (n, N))
    A, Dskip = o["A"], o.get("Dskip", 0.0)
    h = np.zeros((N, P))
    out = np.zeros((n, P))
    for t in range(n):
        h = math.exp(delta[t, 0] * A) * h + np.outer(B[t], delta[t, 0] * x[t])
        out[t] = h.T @ C[t] + Dskip * x[t]
    return out, h, "h (N x P) row-major"


def mlstm(d, s, o):
    # docs/api.md's readout C_t^T q_t / max(|n_t.q_t|, 1) in true units: with these gate ranges float64
    # needs no stabiliser, and the result is what any stabilised form must reproduce (xLSTM's extra
    # 1e-6 on the stabilised denominator is a guard, not part of the rule).
    n, dk, dv = s["n"], s["dk"], s["dv"]
    q, k, v = d.normal("q", (n, dk)), d.normal("k", (n, dk)), d.normal("v", (n, dv))
    spread = 5.0 if d.wide else 1.0
    igate = d.normal("igate", (n, 1), 0.0, spread)
    fgate = d.normal("fgate", (n, 1), 1.0, 1.5 * spread)
    Cm, nv = np.zeros((dk, dv)), np.zeros(dk)
    out = np.zeros((n, dv))
    for t in range(n):
        i_t = math.exp(igate[t, 0])
        f_t = 1.0 / (1.0 + math.exp(-fgate[t, 0]))
        kbar = k[t] / math.sqrt(dk)
        Cm = f_t * Cm + i_t * np.outer(kbar, v[t])
        nv = f_t * nv + i_t * kbar
        out[t] = (Cm.T @ q[t]) / max(abs(float(np.dot(nv, q[t]))), 1.0)
    return out, None, "(C, n, m) in stabilised units: not compared"


VARIANTS = {
    "softmax": softmax_attention, "sliding_window": sliding_window, "linear": linear, "retnet": retnet,
    "gla": gla, "rwkv4": rwkv4, "rwkv5": rwkv5, "rwkv6": rwkv6, "rwkv7": rwkv7, "deltanet": deltanet,
    "gated_deltanet": gated_deltanet, "mamba": mamba, "mamba2": mamba2, "mlstm": mlstm,
}

# ----------------------------------------------------------------------------------------------
# Cases: lengths 1 (state from one token), 7 and 33 (not multiples of any chunk the test uses),
# dims not multiples of 4 next to a square 8 x 8.

KV = [(1, {"dk": 5, "dv": 3}), (7, {"dk": 5, "dv": 3}), (33, {"dk": 8, "dv": 8})]


def case_list():
    cases = []

    def add(variant, tag, n, sizes, options=None, wide=False):
        cases.append((variant, tag, n, sizes, options or {}, wide))

    for n, sz in KV:
        add("softmax", "", n, sz)
    add("softmax", "scale0.5", 7, {"dk": 5, "dv": 3}, {"scale": 0.5})
    for n, w in [(7, 4), (33, 5), (7, 1), (33, 64)]:
        add("sliding_window", "w%d" % w, n, {"dk": 5, "dv": 3} if n == 7 else {"dk": 8, "dv": 8}, {"window": w})
    for fmap in ["elu1", "relu", "identity", "taylor2"]:
        for n, sz in KV:
            add("linear", fmap, n, sz, {"featureMap": fmap})
    add("linear", "elu1-raw", 7, {"dk": 5, "dv": 3}, {"featureMap": "elu1", "normalize": False})
    add("linear", "elu1-eps", 7, {"dk": 5, "dv": 3}, {"featureMap": "elu1", "eps": 0.01})
    for variant in ["retnet", "gla", "rwkv5", "rwkv6", "rwkv7", "deltanet", "gated_deltanet", "mlstm"]:
        for n, sz in KV:
            add(variant, "", n, sz)
    add("retnet", "gamma0.8", 7, {"dk": 5, "dv": 3}, {"gamma": 0.8})
    add("mlstm", "wide", 33, {"dk": 8, "dv": 8}, wide=True)
    add("rwkv4", "wide", 33, {"C": 8}, wide=True)
    for n, C in [(1, 5), (7, 5), (33, 8)]:
        add("rwkv4", "", n, {"C": C})
    for n, D, N in [(1, 5, 3), (7, 5, 3), (33, 8, 4)]:
        add("mamba", "", n, {"D": D, "N": N})
    for n, N, P in [(1, 5, 3), (7, 5, 3), (33, 8, 8)]:
        add("mamba2", "", n, {"N": N, "P": P}, {"A": -0.75})
    add("mamba2", "skip", 7, {"N": 5, "P": 3}, {"A": -2.0, "Dskip": 0.5})
    return cases


def case_name(variant, tag, n, sizes):
    dims = "-".join("%s%d" % (key, val) for key, val in sizes.items())
    return "-".join(x for x in [variant, tag, "n%d" % n, dims] if x)


def flat(x):
    return [float(v) for v in np.asarray(x, dtype=np.float64).ravel()]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: golden.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    # Only this script writes here: clear old cases so a renamed case leaves no stale file behind.
    for f in os.listdir(out_dir):
        if f.endswith(".json"):
            os.remove(os.path.join(out_dir, f))
    index = []
    for variant, tag, n, sizes, options, wide in case_list():
        name = case_name(variant, tag, n, sizes)
        draw = Draw(name, wide)
        out, state, layout = VARIANTS[variant](draw, dict(sizes, n=n), options)
        case = {
            "name": name,
            "variant": variant,
            "options": dict({"n": n}, **sizes, **options),
            "inputs": {key: flat(val) for key, val in draw.inputs.items()},
            "output": flat(out),
            "state": None if state is None else flat(state),
            "stateLayout": layout,
        }
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh, separators=(",", ":"), allow_nan=False)
            fh.write("\n")
        index.append({"file": name + ".json", "variant": variant})
    # Written last: the build treats index.json as the stamp of a complete run.
    with open(os.path.join(out_dir, "index.json"), "w") as fh:
        json.dump({"generator": "scripts/golden.py", "cases": index}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
