#!/usr/bin/env python3
"""Recomputes the polynomial of the vector exp in cpp/core/simd.hpp (exp_table in primitives.cpp).

    e^r ~ 1 + r + r^2 (c0 + c1 r + c2 r^2 + c3 r^3)   on |r| <= ln2 / 2

c0..c3 minimise the largest RELATIVE error (Remez exchange, float64), then are rounded to float32.
The script also evaluates the whole exp as simd.hpp does it, in float32 (range reduction with ln2
split in two parts, Estrin's order, 2^n), against float64 exp on a dense grid, and prints the worst
error in units of float32 epsilon. Needs Debian's python3-numpy:  /usr/bin/python3 bench/exp_fit.py
"""
import numpy as np

HALF_LN2 = np.log(2.0) / 2
DEGREE = 3  # of the factor multiplying r^2


def remez(iterations=40, grid=400001):
    """Levelled-error fit of q in e^r - 1 - r = r^2 q(r), weighted to relative error."""
    n = DEGREE + 2  # unknowns: DEGREE + 1 coefficients and the levelled error
    nodes = HALF_LN2 * np.cos(np.pi * np.arange(n)[::-1] / (n - 1))
    g = np.linspace(-HALF_LN2, HALF_LN2, grid)
    for _ in range(iterations):
        a = np.zeros((n, n))
        b = np.zeros(n)
        for i, x in enumerate(nodes):
            w = x * x / np.exp(x)
            a[i, : DEGREE + 1] = [w * x**k for k in range(DEGREE + 1)]
            a[i, DEGREE + 1] = (-1) ** i
            b[i] = (np.exp(x) - 1 - x) / np.exp(x)
        c = np.linalg.solve(a, b)[: DEGREE + 1]
        err = (np.exp(g) - 1 - g - g * g * np.polyval(c[::-1], g)) / np.exp(g)
        ext = [0] + [i for i in range(1, grid - 1) if (err[i] - err[i - 1]) * (err[i + 1] - err[i]) < 0] + [grid - 1]
        if len(ext) != n:
            break
        nodes = g[ext]
    return c, np.abs(err).max()


def float32_exp(x, c):
    f = np.float32
    log2e, magic, ln2_hi, ln2_lo = f(1.44269504088896341), f(12582912.0), f(0.693359375), f(-2.12194440e-4)
    t = x * log2e + magic
    n = t - magic
    r = x - n * ln2_hi - n * ln2_lo
    r2 = r * r
    y = ((c[0] + c[1] * r) + (c[2] + c[3] * r) * r2) * r2 + r + f(1)
    return y.astype(np.float64) * np.exp2(n.astype(np.float64))


if __name__ == "__main__":
    c, exact = remez()
    c32 = [np.float32(v) for v in c]
    x = np.linspace(-87, 88.7, 2000001).astype(np.float32)
    rel = np.abs(float32_exp(x, c32) - np.exp(x.astype(np.float64))) / np.exp(x.astype(np.float64))
    print("c0..c3 (float32):", ", ".join(repr(float(v)) for v in c32))
    print(f"max relative error of the fit: {exact:.3e}")
    print(f"float32 evaluation, whole range: {rel.max():.3e} = {rel.max() / np.finfo(np.float32).eps:.2f} eps")
