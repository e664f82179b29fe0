// The one place vector code lives: a 4 x float32 type and the handful of operations the kernels
// in primitives.cpp use.
//
// Written with the GCC/Clang vector extension instead of wasm_simd128.h intrinsics so the same
// source compiles three ways: em++ -msimd128 (WebAssembly SIMD128 instructions), em++ without it
// (the baseline .wasm: clang lowers the vectors to scalar code) and g++/clang++ natively (SSE at 128
// bits), which is what the benchmark compares against. No fast-math anywhere: masks rely on -inf.
#pragma once

#include <cstdint>
#include <cstring>

namespace attnlab {
namespace simd {

typedef float f32x4 __attribute__((vector_size(16)));
typedef std::int32_t i32x4 __attribute__((vector_size(16)));
typedef std::uint32_t u32x4 __attribute__((vector_size(16)));

constexpr int kWidth = 4;

inline f32x4 load(const float* p) {
  f32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, f32x4 v) { std::memcpy(p, &v, sizeof v); }
inline f32x4 splat(float x) { return f32x4{x, x, x, x}; }
inline float hsum(f32x4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }

// Lane-wise select. The vector ternary is a GCC extension that clang (native and em++) also
// accepts for these types; it lets the compilers see a select, so comparisons against a bound
// become f32x4.pmin/pmax (wasm) and minps/maxps (SSE).
inline f32x4 select(i32x4 mask, f32x4 a, f32x4 b) { return mask ? a : b; }
inline f32x4 max(f32x4 a, f32x4 b) { return a > b ? a : b; }

// x < lo ? lo : x and hi < x ? hi : x, NaN in x passing through: one instruction each (maxps/minps
// natively, f32x4.pmax/pmin in wasm). LLVM sometimes turns the wasm ternary into a compare and a
// bit-select (four x64 instructions), so wasm names the instruction itself.
inline f32x4 clamp_below(f32x4 x, f32x4 lo) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_pmax_f32x4(x, lo);
#else
  return x < lo ? lo : x;
#endif
}
inline f32x4 clamp_above(f32x4 x, f32x4 hi) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_pmin_f32x4(x, hi);
#else
  return hi < x ? hi : x;
#endif
}
inline float hmax(f32x4 v) {
  const float a = v[0] > v[1] ? v[0] : v[1];
  const float b = v[2] > v[3] ? v[2] : v[3];
  return a > b ? a : b;
}

// Rows r0..r3 of a 4 x 4 block become its columns.
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) {
  const f32x4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
  const f32x4 t1 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
  const f32x4 t2 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
  const f32x4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
  r0 = __builtin_shufflevector(t0, t1, 0, 1, 4, 5);
  r1 = __builtin_shufflevector(t0, t1, 2, 3, 6, 7);
  r2 = __builtin_shufflevector(t2, t3, 0, 1, 4, 5);
  r3 = __builtin_shufflevector(t2, t3, 2, 3, 6, 7);
}

inline i32x4 bits(f32x4 v) {
  i32x4 r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}
inline f32x4 from_bits(i32x4 v) {
  f32x4 r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}

// e^x on four lanes: x = n ln2 + r with |r| <= ln2/2, e^r = 1 + r + r² (c0 + c1 r + c2 r² + c3 r³),
// and 2^n built in the exponent bits. The c are a minimax fit of e^r on [-ln2/2, ln2/2] for relative
// error (Remez exchange in float64, rounded to float; bench/exp_fit.py recomputes them): 1.5e-7
// exact, under 2 ulp as evaluated here in float32 over the whole range (test_kernels.cpp checks it
// against std::exp). Estrin's order
// keeps the dependency chain short, which is what bounds the selective scan.
// No float/int conversion: adding 1.5 * 2^23 rounds x/ln2 to the nearest integer n and leaves n in
// the low mantissa bits, where integer arithmetic reads it. x is first clamped to [-104, 89] (NaN
// passes through): e^-104 rounds to 0 and e^89 to inf, so both ends, -inf and +inf included, come
// out of the arithmetic itself. 2^n is applied as two halves, each a normal float for n in
// [-150, 128], so results below FLT_MIN round to subnormals or 0 instead of wrapping.
//
// The constants come from ExpConsts, built once before a loop: V8 rebuilds every v128.const it
// meets inside a loop from immediates (several instructions each), while values the compiler must
// load stay in registers or one memory operand away. The table they are loaded from is writable, so
// no compiler folds them back into immediates.
extern float exp_table[11];

struct ExpConsts {
  f32x4 lo, hi, log2e, magic, ln2_hi, ln2_lo, c0, c1, c2, c3, one;
};

inline ExpConsts exp_consts() {
  ExpConsts c;
  c.lo = splat(exp_table[0]);
  c.hi = splat(exp_table[1]);
  c.log2e = splat(exp_table[2]);
  c.magic = splat(exp_table[3]);
  c.ln2_hi = splat(exp_table[4]);
  c.ln2_lo = splat(exp_table[5]);
  c.c0 = splat(exp_table[6]);
  c.c1 = splat(exp_table[7]);
  c.c2 = splat(exp_table[8]);
  c.c3 = splat(exp_table[9]);
  c.one = splat(exp_table[10]);
  return c;
}

inline f32x4 exp(f32x4 x, const ExpConsts& c) {
  x = clamp_above(clamp_below(x, c.lo), c.hi);
  const f32x4 t = x * c.log2e + c.magic;
  const f32x4 n = t - c.magic;
  const f32x4 r = x - n * c.ln2_hi - n * c.ln2_lo;
  const f32x4 r2 = r * r;
  const f32x4 y = ((c.c0 + c.c1 * r) + (c.c2 + c.c3 * r) * r2) * r2 + r + c.one;
  // bits(t) - bits(magic) = n; (n1 + 127) << 23 = (n1 << 23) + bits(1.f) for the halves n1, n2, the
  // shifts done unsigned (n1 may be negative) and the 127 taken from 1.f already in a register. (A
  // cast between vector types of one size reinterprets the bits.)
  const i32x4 ni = bits(t) - bits(c.magic);
  const i32x4 n1 = ni >> 1, n2 = ni - n1;
  const u32x4 e127 = (u32x4)c.one;
  return y * (f32x4)(((u32x4)n1 << 23) + e127) * (f32x4)(((u32x4)n2 << 23) + e127);
}

inline f32x4 exp(f32x4 x) { return exp(x, exp_consts()); }

}  // namespace simd
}  // namespace attnlab
