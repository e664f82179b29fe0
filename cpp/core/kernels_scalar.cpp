// Scalar twins of the fused kernels: each is the unfused sequence of scalar primitives the kernel
// replaces, in plain loops, with std::exp. Nothing here is counted (tests and benchmarks only).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {
namespace prim {
namespace scalar {

void update_read(float* S, const float* k, const float* v, const float* q, float* o, int dk, int dv) {
  rank1(S, k, v, dk, dv);
  read(S, q, o, dk, dv);
}

void decay_update_read(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv) {
  scale_rows(S, a, dk, dv);
  rank1(S, k, v, dk, dv);
  read(S, q, o, dk, dv);
}

void decay_update_read(float* S, float a, const float* k, const float* v, const float* q, float* o, int dk, int dv) {
  scale(a, S, dk * dv);
  rank1(S, k, v, dk, dv);
  read(S, q, o, dk, dv);
}

void read_decay_update(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv) {
  read(S, q, o, dk, dv);
  scale_rows(S, a, dk, dv);
  rank1(S, k, v, dk, dv);
}

void delta_update_read(float* S, const float* g, const float* k, const float* v, float beta, const float* q, float* o,
                       int dk, int dv) {
  if (g) scale(*g, S, dk * dv);
  std::vector<float> u(static_cast<size_t>(dv));
  read(S, k, u.data(), dk, dv);
  for (int c = 0; c < dv; ++c) u[c] = beta * (v[c] - u[c]);
  rank1(S, k, u.data(), dk, dv);
  read(S, q, o, dk, dv);
}

void dplr_update_read(float* S, const float* w, const float* kappa, const float* a, const float* k, const float* v,
                      const float* r, float* o, int dk, int dv) {
  std::vector<float> x(static_cast<size_t>(dv)), c(static_cast<size_t>(dk));
  read(S, kappa, x.data(), dk, dv);
  scale_rows(S, w, dk, dv);
  for (int i = 0; i < dk; ++i) c[i] = -kappa[i] * a[i];
  rank1(S, c.data(), x.data(), dk, dv);
  rank1(S, k, v, dk, dv);
  read(S, r, o, dk, dv);
}

void selective_scan(float* h, const float* A, const float* delta, const float* u, const float* B, const float* C,
                    const float* Dskip, float* y, int D, int N) {
  std::vector<float> a(static_cast<size_t>(N));
  for (int d = 0; d < D; ++d) {
    float* hd = h + static_cast<long>(d) * N;
    const float dt = delta[d], ud = u[d];
    for (int i = 0; i < N; ++i) a[i] = std::exp(A[static_cast<long>(d) * N + i] * dt);
    scale_rows(hd, a.data(), N, 1);
    axpy(dt * ud, B, hd, N);
    y[d] = dot(C, hd, N) + Dskip[d] * ud;
  }
}

void causal_softmax(const float* Q, const float* K, const float* V, float* out, long n, int dk, int dv, float scale,
                    int block, long window) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const long Bk = std::max(1, block);
  std::vector<float> sc(static_cast<size_t>(Bk * Bk)), acc(static_cast<size_t>(Bk * dv));
  std::vector<float> m(static_cast<size_t>(Bk)), l(static_cast<size_t>(Bk));
  auto first_key = [window](long t) { return window > 0 ? std::max(0L, t - window + 1) : 0L; };
  for (long i0 = 0; i0 < n; i0 += Bk) {
    const long i1 = std::min(n, i0 + Bk), bi = i1 - i0;
    std::fill(m.begin(), m.end(), kNegInf);
    std::fill(l.begin(), l.end(), 0.f);
    std::fill(acc.begin(), acc.end(), 0.f);
    for (long j0 = (first_key(i0) / Bk) * Bk; j0 < i1; j0 += Bk) {
      const long j1 = std::min(n, j0 + Bk), bj = j1 - j0;
      gemm_nt(Q + i0 * dk, K + j0 * dk, sc.data(), static_cast<int>(bi), static_cast<int>(bj), dk);
      for (long i = 0; i < bi; ++i) {
        const long t = i0 + i, lo = first_key(t);
        float* r = sc.data() + i * bj;
        float mx = m[i];
        bool any = false;
        for (long j = 0; j < bj; ++j) {
          const long key = j0 + j;
          const bool visible = key <= t && key >= lo;
          r[j] = visible ? scale * r[j] : kNegInf;
          any = any || visible;
          mx = std::max(mx, r[j]);
        }
        if (!any) {
          std::fill(r, r + bj, 0.f);
          continue;
        }
        const float c = m[i] == kNegInf ? 0.f : std::exp(m[i] - mx);
        float rs = 0.f;
        for (long j = 0; j < bj; ++j) {
          r[j] = std::exp(r[j] - mx);
          rs += r[j];
        }
        l[i] = c * l[i] + rs;
        prim::scalar::scale(c, acc.data() + i * dv, dv);
        m[i] = mx;
      }
      gemm_nn_acc(sc.data(), V + j0 * dv, acc.data(), static_cast<int>(bi), dv, static_cast<int>(bj));
    }
    for (long i = 0; i < bi; ++i)
      for (int c = 0; c < dv; ++c) out[(i0 + i) * dv + c] = acc[i * dv + c] / l[i];
  }
}

}  // namespace scalar
}  // namespace prim
}  // namespace attnlab
