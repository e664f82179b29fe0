// Vector kernels behind the primitives. Shapes are in primitives.hpp; the scalar twins that the
// tests compare against are in primitives_scalar.cpp. Tails shorter than a vector go through the
// same scalar arithmetic as the twins.
#include "core/primitives.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/simd.hpp"

namespace attnlab {

Counters& counters() {
  static Counters c;
  return c;
}
void reset_counters() { counters() = Counters{}; }

namespace simd {
// ExpConsts' source (simd.hpp): clamp bounds, log2(e), 1.5 * 2^23, ln2 in two parts (the first
// with 9 significant bits, so n ln2_hi is exact), the polynomial, 1.
float exp_table[11] = {-104.f,       89.f,         1.44269504088896341f, 12582912.f,          0.693359375f,
                       -2.12194440e-4f, 0.49998995661735535f, 0.1666652262210846f, 0.041917528957128525f,
                       0.008369150571525097f, 1.f};
}  // namespace simd

namespace prim {

using simd::f32x4;
using simd::load;
using simd::splat;
using simd::store;

namespace {

// y[0..n) += alpha * x[0..n)
inline void axpy_body(float alpha, const float* x, float* y, int n) {
  const f32x4 a = splat(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    store(y + i, load(y + i) + a * load(x + i));
    store(y + i + 4, load(y + i + 4) + a * load(x + i + 4));
  }
  for (; i + 4 <= n; i += 4) store(y + i, load(y + i) + a * load(x + i));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

inline float dot_body(const float* a, const float* b, int n) {
  f32x4 s0 = splat(0.f), s1 = splat(0.f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 += load(a + i) * load(b + i);
    s1 += load(a + i + 4) * load(b + i + 4);
  }
  for (; i + 4 <= n; i += 4) s0 += load(a + i) * load(b + i);
  float s = simd::hsum(s0 + s1);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// C[i, :] += sum_p a(i, p) * B[p, :] for one row i, with the row of C held in registers in
// blocks of 16 columns. a(i, p) = A[i*sa + p*sp] covers both A (m x k) and A^T (A stored k x m).
inline void row_times_panel(const float* A, long sa, long sp, int i, const float* B, float* C, int n, int k) {
  float* c = C + static_cast<long>(i) * n;
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    f32x4 c0 = load(c + j), c1 = load(c + j + 4), c2 = load(c + j + 8), c3 = load(c + j + 12);
    for (int p = 0; p < k; ++p) {
      const f32x4 a = splat(A[i * sa + p * sp]);
      const float* b = B + static_cast<long>(p) * n + j;
      c0 += a * load(b);
      c1 += a * load(b + 4);
      c2 += a * load(b + 8);
      c3 += a * load(b + 12);
    }
    store(c + j, c0);
    store(c + j + 4, c1);
    store(c + j + 8, c2);
    store(c + j + 12, c3);
  }
  for (; j + 4 <= n; j += 4) {
    f32x4 c0 = load(c + j);
    for (int p = 0; p < k; ++p) c0 += splat(A[i * sa + p * sp]) * load(B + static_cast<long>(p) * n + j);
    store(c + j, c0);
  }
  for (; j < n; ++j) {
    float s = c[j];
    for (int p = 0; p < k; ++p) s += A[i * sa + p * sp] * B[static_cast<long>(p) * n + j];
    c[j] = s;
  }
}

}  // namespace

float dot(const float* a, const float* b, int n) {
  ATTNLAB_COUNT_MACS(n);
  return dot_body(a, b, n);
}

void axpy(float alpha, const float* x, float* y, int n) {
  ATTNLAB_COUNT_MACS(n);
  axpy_body(alpha, x, y, n);
}

void scale(float alpha, float* x, int n) {
  ATTNLAB_COUNT_MACS(n);
  const f32x4 a = splat(alpha);
  int i = 0;
  for (; i + 4 <= n; i += 4) store(x + i, load(x + i) * a);
  for (; i < n; ++i) x[i] *= alpha;
}

void rank1(float* S, const float* k, const float* v, int dk, int dv) {
  ATTNLAB_COUNT_MACS(static_cast<long>(dk) * dv);
  for (int i = 0; i < dk; ++i) axpy_body(k[i], v, S + static_cast<long>(i) * dv, dv);
}

void read(const float* S, const float* q, float* o, int dk, int dv) {
  ATTNLAB_COUNT_MACS(static_cast<long>(dk) * dv);
  for (int j = 0; j < dv; ++j) o[j] = 0.f;
  // o is a single row of C = q^T S: the panel kernel keeps it in registers across all dk rows.
  row_times_panel(q, 0, 1, 0, S, o, dv, dk);
}

void matvec(const float* S, const float* x, float* o, int dk, int dv) {
  ATTNLAB_COUNT_MACS(static_cast<long>(dk) * dv);
  for (int i = 0; i < dk; ++i) o[i] = dot_body(S + static_cast<long>(i) * dv, x, dv);
}

void scale_rows(float* S, const float* a, int dk, int dv) {
  ATTNLAB_COUNT_MACS(static_cast<long>(dk) * dv);
  for (int i = 0; i < dk; ++i) {
    float* row = S + static_cast<long>(i) * dv;
    const f32x4 ai = splat(a[i]);
    int j = 0;
    for (; j + 4 <= dv; j += 4) store(row + j, load(row + j) * ai);
    for (; j < dv; ++j) row[j] *= a[i];
  }
}

// The three gemms share one register-blocked micro-kernel: a 4 x 8 tile of C lives in eight vector
// registers while k streams by, each step loading one packed column of A (4 values, splatted) and
// one packed row of B (8 values). Wasm has no FMA, so each step is 8 multiplies + 8 adds against
// 2 vector loads and 4 load-splats; with packed operands every address is a constant offset from
// two pointers, which keeps the loop to the arithmetic and the loads. Packing costs m k + n k
// copies against m n k multiply-adds. Each element of C is still summed over p = 0..k-1 in order,
// from C (or 0), as in the scalar twins: the vector gemms give the twins' results.
namespace {

constexpr int kMR = 4, kNR = 8;

// Scratch for the packed operands (the core is single-threaded; nothing here nests), reused from
// call to call. A call that needed more than kKeepFloats gives it back when it ends, so one large
// product does not pin its buffers for the rest of the session.
constexpr size_t kKeepFloats = size_t{1} << 16;

std::vector<float>& pack_slot(int which) {
  static std::vector<float> buf[2];
  return buf[which];
}
float* pack_buffer(int which, size_t n) {
  std::vector<float>& b = pack_slot(which);
  if (b.size() < n) b.resize(n);
  return b.data();
}
void trim_pack_buffers() {
  for (int which = 0; which < 2; ++which)
    if (pack_slot(which).size() > kKeepFloats) std::vector<float>().swap(pack_slot(which));
}

// C[4 x 8] (+)= sum_p a[p*4 + r] b[p*8 + c]: a and b are packed, c has row stride ldc.
template <bool kAcc>
inline void tile_4x8(const float* a, const float* b, float* c, long ldc, int k) {
  f32x4 c00, c01, c10, c11, c20, c21, c30, c31;
  if (kAcc) {
    c00 = load(c), c01 = load(c + 4);
    c10 = load(c + ldc), c11 = load(c + ldc + 4);
    c20 = load(c + 2 * ldc), c21 = load(c + 2 * ldc + 4);
    c30 = load(c + 3 * ldc), c31 = load(c + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = splat(0.f);
  }
  for (int p = 0; p < k; ++p) {
    const f32x4 b0 = load(b), b1 = load(b + 4);
    f32x4 x = splat(a[0]);
    c00 += x * b0;
    c01 += x * b1;
    x = splat(a[1]);
    c10 += x * b0;
    c11 += x * b1;
    x = splat(a[2]);
    c20 += x * b0;
    c21 += x * b1;
    x = splat(a[3]);
    c30 += x * b0;
    c31 += x * b1;
    a += kMR;
    b += kNR;
  }
  store(c, c00), store(c + 4, c01);
  store(c + ldc, c10), store(c + ldc + 4, c11);
  store(c + 2 * ldc, c20), store(c + 2 * ldc + 4, c21);
  store(c + 3 * ldc, c30), store(c + 3 * ldc + 4, c31);
}

// How A and B are laid out: element (i, p) of the left factor is A[i*sai + p*sap], element
// (p, j) of the right one is B[p*sbp + j*sbj].
struct Operands {
  const float* A;
  long sai, sap;
  const float* B;
  long sbp, sbj;
};

// Packs all of B into panels of 8 columns, each k x 8 row-major, zero-padded past column n.
float* pack_b(const Operands& op, int n, int k) {
  const int panels = (n + kNR - 1) / kNR;
  float* bp = pack_buffer(0, static_cast<size_t>(panels) * kNR * k);
  for (int jp = 0; jp < panels; ++jp) {
    float* dst = bp + static_cast<long>(jp) * kNR * k;
    const int j0 = jp * kNR, w = std::min(kNR, n - j0);
    int p = 0;
    if (w == kNR && op.sbj == 1) {
      for (; p < k; ++p) {
        const float* src = op.B + p * op.sbp + j0;
        store(dst + p * kNR, load(src));
        store(dst + p * kNR + 4, load(src + 4));
      }
    } else if (w == kNR && op.sbp == 1) {
      // Bᵀ stored row-major (the keys of Q Kᵀ): 4 x 4 transposes, two per 4 steps of p.
      for (; p + 4 <= k; p += 4)
        for (int h = 0; h < kNR; h += 4) {
          const float* src = op.B + (j0 + h) * op.sbj + p;
          f32x4 r0 = load(src), r1 = load(src + op.sbj), r2 = load(src + 2 * op.sbj), r3 = load(src + 3 * op.sbj);
          simd::transpose4(r0, r1, r2, r3);
          store(dst + p * kNR + h, r0);
          store(dst + (p + 1) * kNR + h, r1);
          store(dst + (p + 2) * kNR + h, r2);
          store(dst + (p + 3) * kNR + h, r3);
        }
    }
    for (; p < k; ++p)
      for (int c = 0; c < kNR; ++c) dst[p * kNR + c] = c < w ? op.B[p * op.sbp + (j0 + c) * op.sbj] : 0.f;
  }
  return bp;
}

// Packs rows i0..i0+3 of the left factor as k columns of 4, zero rows past m.
void pack_a(const Operands& op, int i0, int m, int k, float* ap) {
  const int h = std::min(kMR, m - i0);
  if (h == kMR && op.sai == 1) {
    for (int p = 0; p < k; ++p) store(ap + p * kMR, load(op.A + p * op.sap + i0));
    return;
  }
  int p = 0;
  if (h == kMR && op.sap == 1) {
    const float* src = op.A + i0 * op.sai;
    for (; p + 4 <= k; p += 4) {
      f32x4 r0 = load(src + p), r1 = load(src + op.sai + p), r2 = load(src + 2 * op.sai + p),
            r3 = load(src + 3 * op.sai + p);
      simd::transpose4(r0, r1, r2, r3);
      store(ap + p * kMR, r0);
      store(ap + (p + 1) * kMR, r1);
      store(ap + (p + 2) * kMR, r2);
      store(ap + (p + 3) * kMR, r3);
    }
  }
  for (int r = 0; r < kMR; ++r) {
    const float* src = op.A + (i0 + r) * op.sai;
    for (int q = p; q < k; ++q) ap[q * kMR + r] = r < h ? src[q * op.sap] : 0.f;
  }
}

template <bool kAcc>
void gemm_packed(const Operands& op, float* C, int m, int n, int k) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!kAcc) std::fill(C, C + static_cast<long>(m) * n, 0.f);
    return;
  }
  const float* bp = pack_b(op, n, k);
  float* ap = pack_buffer(1, static_cast<size_t>(kMR) * k);
  float edge[kMR * kNR];
  for (int i0 = 0; i0 < m; i0 += kMR) {
    pack_a(op, i0, m, k, ap);
    const int h = std::min(kMR, m - i0);
    for (int j0 = 0; j0 < n; j0 += kNR) {
      const float* b = bp + static_cast<long>(j0) * k;
      float* c = C + static_cast<long>(i0) * n + j0;
      const int w = std::min(kNR, n - j0);
      if (h == kMR && w == kNR) {
        tile_4x8<kAcc>(ap, b, c, n, k);
        continue;
      }
      // A tile crossing the edge of C runs on a copy; the padding rows and columns are zeros.
      for (int r = 0; r < kMR; ++r)
        for (int q = 0; q < kNR; ++q) edge[r * kNR + q] = kAcc && r < h && q < w ? c[static_cast<long>(r) * n + q] : 0.f;
      tile_4x8<kAcc>(ap, b, edge, kNR, k);
      for (int r = 0; r < h; ++r)
        for (int q = 0; q < w; ++q) c[static_cast<long>(r) * n + q] = edge[r * kNR + q];
    }
  }
  trim_pack_buffers();
}

}  // namespace

void gemm_nt(const float* A, const float* B, float* C, int m, int n, int k) {
  ATTNLAB_COUNT_MACS(static_cast<long>(m) * n * k);
  gemm_packed<false>({A, k, 1, B, 1, k}, C, m, n, k);
}

void gemm_nn_acc(const float* A, const float* B, float* C, int m, int n, int k) {
  ATTNLAB_COUNT_MACS(static_cast<long>(m) * n * k);
  gemm_packed<true>({A, k, 1, B, n, 1}, C, m, n, k);
}

void gemm_tn_acc(const float* A, const float* B, float* C, int m, int n, int k) {
  ATTNLAB_COUNT_MACS(static_cast<long>(m) * n * k);
  gemm_packed<true>({A, 1, m, B, n, 1}, C, m, n, k);
}

float exp(float x) {
  ATTNLAB_COUNT_EXPS(1);
  return std::exp(x);
}

float exp_shifted(float* x, int n, float max) {
  ATTNLAB_COUNT_EXPS(n);
  const f32x4 m = splat(max);
  const simd::ExpConsts ec = simd::exp_consts();
  f32x4 s = splat(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const f32x4 e = simd::exp(load(x + i) - m, ec);
    store(x + i, e);
    s += e;
  }
  if (i < n) {
    // The tail goes through the same vector exp (padded with -inf, which maps to 0), so every
    // element gets the same function whatever its position.
    float t[4] = {-__builtin_inff(), -__builtin_inff(), -__builtin_inff(), -__builtin_inff()};
    for (int j = i; j < n; ++j) t[j - i] = x[j];
    const f32x4 e = simd::exp(load(t) - m, ec);
    for (int j = i; j < n; ++j) x[j] = e[j - i];
    s += e;
  }
  return simd::hsum(s);
}

}  // namespace prim
}  // namespace attnlab
