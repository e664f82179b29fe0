// Vector bodies of the fused kernels (kernels.hpp); scalar twins in kernels_scalar.cpp.
//
// The recurrent updates are all one shape: row i of S becomes ((S_i * a_i) + c_i x) + k_i v, with
// the decay, the low-rank term or both absent, and the readout adds q_i times the new row (the old
// one when reading before writing). The state is walked in blocks of 16 columns (8 with the
// low-rank term, which needs two more vectors per block): the block's slice of v (and x) and of the
// output stay in registers for all dk rows, so each element of S is loaded and stored once per token.
// Per element the operations and their order are those of the unfused primitives, so the fused
// state equals the twin's bit for bit (the decayed delta rule aside, see delta_update_read); only
// the order of the output sums may differ.
#include "core/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/primitives.hpp"
#include "core/simd.hpp"

namespace attnlab {
namespace prim {

using simd::f32x4;
using simd::load;
using simd::splat;
using simd::store;

namespace {

enum Decay { kNoDecay, kRowDecay, kScalarDecay };

// Scratch reused from call to call (the core is single-threaded; no kernel calls another that uses
// the same slot). A call that needed more than kKeepFloats gives it back when it ends (trim), so one
// long sequence does not pin its buffers for the rest of the session.
constexpr size_t kKeepFloats = size_t{1} << 16;

std::vector<float>& slot(int which) {
  static std::vector<float> buf[4];
  return buf[which];
}
float* scratch(int which, size_t n) {
  if (slot(which).size() < n) slot(which).resize(n);
  return slot(which).data();
}
void trim() {
  for (int which = 0; which < 4; ++which)
    if (slot(which).size() > kKeepFloats) std::vector<float>().swap(slot(which));
}

struct RowTerms {
  const float* a = nullptr;  // per-row decay (kRowDecay)
  float as = 1.f;            // whole-state decay (kScalarDecay)
  const float* c = nullptr;  // low-rank row factor (dk)
  const float* x = nullptr;  // low-rank column factor (dv)
  const float* k = nullptr;
  const float* v = nullptr;
  const float* q = nullptr;
};

template <int kDecay, bool kLowRank, bool kReadOld, int NV>
struct FusedBlock {
  f32x4 vv[NV], xx[NV], acc[NV], as;

  FusedBlock(const RowTerms& t, int j) : as(splat(t.as)) {
    for (int b = 0; b < NV; ++b) {
      vv[b] = load(t.v + j + 4 * b);
      if (kLowRank) xx[b] = load(t.x + j + 4 * b);
      acc[b] = splat(0.f);
    }
  }

  // Row r of the block with its row terms a, c, k, q (a and c unused without decay / low rank).
  inline void row(float* r, float a, float c, float k, float q) {
    const f32x4 ki = splat(k), qi = splat(q);
    f32x4 ai = as, ci = as;
    if (kDecay == kRowDecay) ai = splat(a);
    if (kLowRank) ci = splat(c);
    for (int b = 0; b < NV; ++b) {
      const f32x4 s = load(r + 4 * b);
      f32x4 nw = s;
      if (kDecay != kNoDecay) nw = nw * ai;
      if (kLowRank) nw = nw + ci * xx[b];
      nw = nw + ki * vv[b];
      store(r + 4 * b, nw);
      acc[b] += qi * (kReadOld ? s : nw);
    }
  }
};

template <int kDecay, bool kLowRank, bool kReadOld, int NV>
inline void fused_block(float* S, int dk, int dv, int j, const RowTerms& t, float* o) {
  FusedBlock<kDecay, kLowRank, kReadOld, NV> f(t, j);
  // The row terms walk by pointer, copied out of RowTerms first: read through the struct inside the
  // loop, every store to S would force a reload (the compiler cannot rule out that S overlaps it).
  const float *a = t.a, *c = t.c, *k = t.k, *q = t.q;
  const float* const k_end = t.k + (dk & ~1);
  float* r = S + j;
  // Two rows per trip: the engine's per-iteration loop checks are paid once for both.
  for (; k < k_end; k += 2, q += 2, r += 2 * dv) {
    f.row(r, kDecay == kRowDecay ? a[0] : 0.f, kLowRank ? c[0] : 0.f, k[0], q[0]);
    f.row(r + dv, kDecay == kRowDecay ? a[1] : 0.f, kLowRank ? c[1] : 0.f, k[1], q[1]);
    if (kDecay == kRowDecay) a += 2;
    if (kLowRank) c += 2;
  }
  if (dk & 1) f.row(r, kDecay == kRowDecay ? a[0] : 0.f, kLowRank ? c[0] : 0.f, k[0], q[0]);
  for (int b = 0; b < NV; ++b) store(o + j + 4 * b, f.acc[b]);
}

template <int kDecay, bool kLowRank, bool kReadOld>
inline void fused_column(float* S, int dk, int dv, int j, const RowTerms& t, float* o) {
  float acc = 0.f;
  float* e = S + j;
  for (int i = 0; i < dk; ++i, e += dv) {
    const float s = *e;
    float nw = s;
    if (kDecay == kRowDecay) nw = nw * t.a[i];
    if (kDecay == kScalarDecay) nw = nw * t.as;
    if (kLowRank) nw = nw + t.c[i] * t.x[j];
    nw = nw + t.k[i] * t.v[j];
    *e = nw;
    acc += t.q[i] * (kReadOld ? s : nw);
  }
  o[j] = acc;
}

template <int kDecay, bool kLowRank, bool kReadOld>
void fused(float* S, int dk, int dv, const RowTerms& t, float* o) {
  constexpr int NV = kLowRank ? 2 : 4;
  // An empty state (dk = 0, S may be null) reads 0; stepping S + j over it would be undefined.
  if (dk == 0) return std::fill(o, o + dv, 0.f);
  int j = 0;
  for (; j + 4 * NV <= dv; j += 4 * NV) fused_block<kDecay, kLowRank, kReadOld, NV>(S, dk, dv, j, t, o);
  for (; j + 4 <= dv; j += 4) fused_block<kDecay, kLowRank, kReadOld, 1>(S, dk, dv, j, t, o);
  for (; j < dv; ++j) fused_column<kDecay, kLowRank, kReadOld>(S, dk, dv, j, t, o);
}

// o = Sᵀ q without touching S: the read pass of the delta rule and RWKV-7.
template <int NV>
inline void read_block(const float* S, int dk, int dv, int j, const float* q, float* o) {
  f32x4 acc[NV];
  for (int b = 0; b < NV; ++b) acc[b] = splat(0.f);
  const float* row = S + j;
  for (int i = 0; i < dk; ++i, row += dv) {
    const f32x4 qi = splat(q[i]);
    for (int b = 0; b < NV; ++b) acc[b] += qi * load(row + 4 * b);
  }
  for (int b = 0; b < NV; ++b) store(o + j + 4 * b, acc[b]);
}

void read_state(const float* S, int dk, int dv, const float* q, float* o) {
  if (dk == 0) return std::fill(o, o + dv, 0.f);  // as in fused(): no pointer steps over an empty S
  int j = 0;
  for (; j + 16 <= dv; j += 16) read_block<4>(S, dk, dv, j, q, o);
  for (; j + 4 <= dv; j += 4) read_block<1>(S, dk, dv, j, q, o);
  for (; j < dv; ++j) {
    float acc = 0.f;
    for (int i = 0; i < dk; ++i) acc += q[i] * S[static_cast<long>(i) * dv + j];
    o[j] = acc;
  }
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// e^(x - shift) over x[0..n) in place, returning the sum; the tail goes through the same vector
// exp, padded with -inf (which maps to 0).
float exp_row(float* x, int n, float shift, const simd::ExpConsts& ec) {
  const f32x4 m = splat(shift);
  f32x4 s = splat(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const f32x4 e = simd::exp(load(x + i) - m, ec);
    store(x + i, e);
    s += e;
  }
  if (i < n) {
    float tail[4] = {kNegInf, kNegInf, kNegInf, kNegInf};
    for (int j = i; j < n; ++j) tail[j - i] = x[j];
    const f32x4 e = simd::exp(load(tail) - m, ec);
    for (int j = i; j < n; ++j) x[j] = e[j - i];
    s += e;
  }
  return simd::hsum(s);
}

}  // namespace

void update_read(float* S, const float* k, const float* v, const float* q, float* o, int dk, int dv) {
  ATTNLAB_COUNT_MACS(2L * dk * dv);
  RowTerms t;
  t.k = k, t.v = v, t.q = q;
  fused<kNoDecay, false, false>(S, dk, dv, t, o);
}

void decay_update_read(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv) {
  ATTNLAB_COUNT_MACS(3L * dk * dv);
  RowTerms t;
  t.a = a, t.k = k, t.v = v, t.q = q;
  fused<kRowDecay, false, false>(S, dk, dv, t, o);
}

void decay_update_read(float* S, float a, const float* k, const float* v, const float* q, float* o, int dk, int dv) {
  ATTNLAB_COUNT_MACS(3L * dk * dv);
  RowTerms t;
  t.as = a, t.k = k, t.v = v, t.q = q;
  fused<kScalarDecay, false, false>(S, dk, dv, t, o);
}

void read_decay_update(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv) {
  ATTNLAB_COUNT_MACS(3L * dk * dv);
  RowTerms t;
  t.a = a, t.k = k, t.v = v, t.q = q;
  fused<kRowDecay, false, true>(S, dk, dv, t, o);
}

void delta_update_read(float* S, const float* g, const float* k, const float* v, float beta, const float* q, float* o,
                       int dk, int dv) {
  ATTNLAB_COUNT_MACS((g ? 4L : 3L) * dk * dv + dv);
  float* u = scratch(0, static_cast<size_t>(dv));
  // Sᵀk of the decayed state is the decay times Sᵀk of the stored one: the read pass leaves S as is
  // and the fused pass applies the decay on its way through.
  read_state(S, dk, dv, k, u);
  const float a = g ? *g : 1.f;
  if (g)
    for (int c = 0; c < dv; ++c) u[c] = beta * (v[c] - a * u[c]);
  else
    for (int c = 0; c < dv; ++c) u[c] = beta * (v[c] - u[c]);
  RowTerms t;
  t.as = a, t.k = k, t.v = u, t.q = q;
  if (g)
    fused<kScalarDecay, false, false>(S, dk, dv, t, o);
  else
    fused<kNoDecay, false, false>(S, dk, dv, t, o);
  trim();
}

void dplr_update_read(float* S, const float* w, const float* kappa, const float* a, const float* k, const float* v,
                      const float* r, float* o, int dk, int dv) {
  ATTNLAB_COUNT_MACS(5L * dk * dv + dk);
  float* x = scratch(0, static_cast<size_t>(dv));
  float* c = scratch(1, static_cast<size_t>(dk));
  // The removal reads the state before this token's decay.
  read_state(S, dk, dv, kappa, x);
  for (int i = 0; i < dk; ++i) c[i] = -kappa[i] * a[i];
  RowTerms t;
  t.a = w, t.c = c, t.x = x, t.k = k, t.v = v, t.q = r;
  fused<kRowDecay, true, false>(S, dk, dv, t, o);
  trim();
}

namespace {

// One channel of the scan: updates h[0..N) and returns the four partial sums of C_i h_i (summed
// across lanes by the caller). The last N % 4 states go through the same vector code on padded
// copies (padding A = 0, h = 0, B = C = 0).
__attribute__((always_inline)) inline f32x4 scan_channel(float* hd, const float* Ad, float dt, float ud, const float* B, const float* C, int N,
                          const simd::ExpConsts& ec) {
  const int N4 = N & ~3;
  const f32x4 dtv = splat(dt), du = splat(dt * ud);
  f32x4 acc = splat(0.f);
  for (int i = 0; i < N4; i += 4) {
    const f32x4 a = simd::exp(load(Ad + i) * dtv, ec);
    const f32x4 hn = load(hd + i) * a + du * load(B + i);
    store(hd + i, hn);
    acc += load(C + i) * hn;
  }
  if (N4 < N) {
    float ta[4] = {0, 0, 0, 0}, th[4] = {0, 0, 0, 0}, tb[4] = {0, 0, 0, 0}, tc[4] = {0, 0, 0, 0};
    for (int i = N4; i < N; ++i) {
      ta[i - N4] = Ad[i];
      th[i - N4] = hd[i];
      tb[i - N4] = B[i];
      tc[i - N4] = C[i];
    }
    const f32x4 a = simd::exp(load(ta) * dtv, ec);
    const f32x4 hn = load(th) * a + du * load(tb);
    for (int i = N4; i < N; ++i) hd[i] = hn[i - N4];
    acc += load(tc) * hn;
  }
  return acc;
}

}  // namespace

void selective_scan(float* h, const float* A, const float* delta, const float* u, const float* B, const float* C,
                    const float* Dskip, float* y, int D, int N) {
  ATTNLAB_COUNT_MACS(static_cast<long>(D) * (4L * N + 2));
  ATTNLAB_COUNT_EXPS(static_cast<long>(D) * N);
  const simd::ExpConsts ec = simd::exp_consts();
#define ATTNLAB_SCAN_CHANNEL(d) \
  scan_channel(h + static_cast<long>(d) * N, A + static_cast<long>(d) * N, delta[d], u[d], B, C, N, ec)
  int d = 0;
  // Four channels at a time: a transpose turns their four partial-sum vectors into one vector of
  // four lane sums (the same (l0 + l2) + (l1 + l3) as simd::hsum), so y is stored as a vector.
  for (; d + 4 <= D; d += 4) {
    f32x4 s0 = ATTNLAB_SCAN_CHANNEL(d), s1 = ATTNLAB_SCAN_CHANNEL(d + 1), s2 = ATTNLAB_SCAN_CHANNEL(d + 2),
          s3 = ATTNLAB_SCAN_CHANNEL(d + 3);
    simd::transpose4(s0, s1, s2, s3);
    store(y + d, ((s0 + s2) + (s1 + s3)) + load(Dskip + d) * load(u + d));
  }
  for (; d < D; ++d) y[d] = simd::hsum(ATTNLAB_SCAN_CHANNEL(d)) + Dskip[d] * u[d];
#undef ATTNLAB_SCAN_CHANNEL
}

void causal_softmax(const float* Q, const float* K, const float* V, float* out, long n, int dk, int dv, float scale,
                    int block, long window) {
  if (n <= 0) return;
  const long Bk = std::max(1, block);
  float* sc = scratch(0, static_cast<size_t>(Bk * Bk));
  float* acc = scratch(1, static_cast<size_t>(Bk * dv));
  float* m = scratch(2, static_cast<size_t>(Bk));
  float* l = scratch(3, static_cast<size_t>(Bk));
  auto first_key = [window](long t) { return window > 0 ? std::max(0L, t - window + 1) : 0L; };
  const f32x4 sv = splat(scale);
  const simd::ExpConsts ec = simd::exp_consts();
  for (long i0 = 0; i0 < n; i0 += Bk) {
    const long i1 = std::min(n, i0 + Bk), bi = i1 - i0;
    std::fill(m, m + bi, kNegInf);
    std::fill(l, l + bi, 0.f);
    std::fill(acc, acc + bi * dv, 0.f);
    for (long j0 = (first_key(i0) / Bk) * Bk; j0 < i1; j0 += Bk) {
      const long j1 = std::min(n, j0 + Bk);
      const int bj = static_cast<int>(j1 - j0);
      gemm_nt(Q + i0 * dk, K + j0 * dk, sc, static_cast<int>(bi), bj, dk);
      for (long i = 0; i < bi; ++i) {
        const long t = i0 + i;
        // Visible keys of this row in this block: one contiguous run [lo, hi] (block-relative).
        const long lo = std::max(first_key(t), j0) - j0, hi = std::min(t, j1 - 1) - j0;
        float* r = sc + i * bj;
        if (lo > hi) {
          std::fill(r, r + bj, 0.f);
          continue;
        }
        f32x4 mv = splat(kNegInf);
        const int j4 = bj & ~3;
        if (lo == 0 && hi == bj - 1) {
          // Every key visible (all blocks but the diagonal and the window's edge): scale and max
          // in one pass.
          for (int j = 0; j < j4; j += 4) {
            const f32x4 x = load(r + j) * sv;
            store(r + j, x);
            mv = simd::max(mv, x);
          }
          for (int j = j4; j < bj; ++j) r[j] *= scale;
        } else {
          for (int j = 0; j < j4; j += 4) store(r + j, load(r + j) * sv);
          for (int j = j4; j < bj; ++j) r[j] *= scale;
          for (long x = 0; x < lo; ++x) r[x] = kNegInf;
          for (long x = hi + 1; x < bj; ++x) r[x] = kNegInf;
          for (int j = 0; j < j4; j += 4) mv = simd::max(mv, load(r + j));
        }
        float mx = std::max(m[i], simd::hmax(mv));
        for (int j = j4; j < bj; ++j) mx = std::max(mx, r[j]);
        ATTNLAB_COUNT_EXPS(hi - lo + 1);
        const float rs = exp_row(r, bj, mx, ec);
        float c = 0.f;
        if (m[i] != kNegInf) {
          ATTNLAB_COUNT_EXPS(1);
          c = std::exp(m[i] - mx);
        }
        l[i] = c * l[i] + rs;
        ATTNLAB_COUNT_MACS(dv);
        float* ar = acc + i * dv;
        const f32x4 cv = splat(c);
        int q = 0;
        for (; q + 4 <= dv; q += 4) store(ar + q, load(ar + q) * cv);
        for (; q < dv; ++q) ar[q] *= c;
        m[i] = mx;
      }
      gemm_nn_acc(sc, V + j0 * dv, acc, static_cast<int>(bi), dv, bj);
    }
    for (long i = 0; i < bi; ++i) {
      const float* ar = acc + i * dv;
      float* o = out + (i0 + i) * dv;
      const f32x4 lv = splat(l[i]);
      int q = 0;
      for (; q + 4 <= dv; q += 4) store(o + q, load(ar + q) / lv);
      for (; q < dv; ++q) o[q] = ar[q] / l[i];
    }
  }
  trim();
}

}  // namespace prim
}  // namespace attnlab
