#!/usr/bin/env python3
# Golden values for the "same numbers on every platform" test in test_linear.cpp: an independent
# transcription of fmap::performer_omega (cpp/core/feature_maps.cpp) in Python doubles, which
# round exactly like C++ doubles. Usage: performer_omega_golden.py dk m seed  (prints C++ float literals).
import math, struct, sys
M64 = (1 << 64) - 1
class Gen:
    def __init__(self, seed):
        self.s = seed & M64; self.spare = None
    def bits(self):
        self.s = (self.s + 0x9e3779b97f4a7c15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
        return z ^ (z >> 31)
    def uniform(self):
        return float(self.bits() >> 11) * 2.0 ** -53
    def next(self):
        if self.spare is not None:
            x, self.spare = self.spare, None
            return x
        while True:
            u = 2 * self.uniform() - 1; v = 2 * self.uniform() - 1; s = u * u + v * v
            if s >= 1 or s == 0: continue
            f = math.sqrt(-2 * plog(s) / s)
            self.spare = v * f
            return u * f
def plog(s):
    f, e = math.frexp(s)
    if f < 0.70710678118654752: f *= 2; e -= 1
    y = (f - 1) / (f + 1); y2 = y * y
    series = 1.0 / 25
    for k in range(11, -1, -1): series = 1.0 / (2 * k + 1) + y2 * series
    return 2 * y * series + e * 0.69314718055994531
def omega(dk, m, seed):
    g = Gen(seed); d = []
    for r in range(m):
        row = [g.next() for _ in range(dk)]
        for p in range((r // dk) * dk, r):
            prev = d[p]; t = 0.0
            for i in range(dk): t += row[i] * prev[i]
            for i in range(dk): row[i] -= t * prev[i]
        n = 0.0
        for i in range(dk): n += row[i] * row[i]
        n = math.sqrt(n)
        row = [x / n for x in row]
        d.append(row)
    out = []
    for r in range(m):
        chi = 0.0
        for i in range(dk):
            z = g.next(); chi += z * z
        chi = math.sqrt(chi)
        out += [struct.unpack('<f', struct.pack('<f', chi * x))[0] for x in d[r]]
    return out
dk, m, seed = (int(a) for a in sys.argv[1:4])
w = omega(dk, m, seed)
print(', '.join(float.hex(x) + 'f' for x in w))
assert abs(plog(0.3) - math.log(0.3)) < 1e-15
