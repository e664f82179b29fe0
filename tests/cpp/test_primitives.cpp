// Each vector kernel against its scalar twin at every length from 0 to three vector widths + 1,
// natively (SSE) and in wasm (SIMD128 or the baseline lowering), with an error bound derived per
// element from float32 epsilon, the magnitudes involved and the length of the sum.
#include "support.hpp"

#include <cfloat>
#include <random>

#include "core/primitives.hpp"

using namespace attnlab;

namespace {

constexpr int kMaxLen = 3 * 4 + 1;
// Summation error bound for a length-n sum of products: gamma_n = n eps / (1 - n eps), with both
// the vector and the scalar order each within it of the exact value, hence the factor 2.
double bound(int n, double abs_sum) { return 2.0 * (n + 1) * FLT_EPSILON * abs_sum + 1e-30; }

std::vector<float> randv(std::mt19937_64& rng, size_t n) {
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST_CASE("vector kernels equal their scalar twins at every short length", "[primitives]") {
  std::mt19937_64 rng(5);
  for (int n = 0; n <= kMaxLen; ++n) {
    INFO("length " << n);
    auto a = randv(rng, n), b = randv(rng, n);
    double abs = 0;
    for (int i = 0; i < n; ++i) abs += std::fabs(a[i] * b[i]);
    CHECK(std::fabs(prim::dot(a.data(), b.data(), n) - prim::scalar::dot(a.data(), b.data(), n)) <= bound(n, abs));

    auto y1 = randv(rng, n), y2 = y1;
    prim::axpy(0.7f, a.data(), y1.data(), n);
    prim::scalar::axpy(0.7f, a.data(), y2.data(), n);
    CHECK(y1 == y2);  // one multiply-add per element: no reordering, bit-identical
    prim::scale(-1.3f, y1.data(), n);
    prim::scalar::scale(-1.3f, y2.data(), n);
    CHECK(y1 == y2);

    auto e1 = randv(rng, n);
    for (auto& x : e1) x *= 20.f;
    auto e2 = e1;
    const float mx = 5.f;
    const float s1 = prim::exp_shifted(e1.data(), n, mx), s2 = prim::scalar::exp_shifted(e2.data(), n, mx);
    for (int i = 0; i < n; ++i) CHECK(std::fabs(e1[i] - e2[i]) <= 4 * FLT_EPSILON * std::fabs(e2[i]) + 1e-37f);
    CHECK(std::fabs(s1 - s2) <= (4 + n) * FLT_EPSILON * s2 + 1e-37f);
  }
}

TEST_CASE("matrix kernels equal their scalar twins for every small shape", "[primitives]") {
  std::mt19937_64 rng(9);
  for (int m = 0; m <= 5; ++m)
    for (int n = 0; n <= kMaxLen; n += (n < 9 ? 1 : 4))
      for (int k = 0; k <= kMaxLen; k += (k < 9 ? 1 : 4)) {
        INFO("m=" << m << " n=" << n << " k=" << k);
        auto A = randv(rng, static_cast<size_t>(m) * k), B = randv(rng, static_cast<size_t>(n) * k);
        std::vector<float> C1(static_cast<size_t>(m) * n), C2(C1.size());
        prim::gemm_nt(A.data(), B.data(), C1.data(), m, n, k);
        prim::scalar::gemm_nt(A.data(), B.data(), C2.data(), m, n, k);
        for (size_t i = 0; i < C1.size(); ++i) CHECK(std::fabs(C1[i] - C2[i]) <= bound(k, 3.0 * k));

        auto Bn = randv(rng, static_cast<size_t>(k) * n), C3 = randv(rng, static_cast<size_t>(m) * n), C4 = C3;
        prim::gemm_nn_acc(A.data(), Bn.data(), C3.data(), m, n, k);
        prim::scalar::gemm_nn_acc(A.data(), Bn.data(), C4.data(), m, n, k);
        for (size_t i = 0; i < C3.size(); ++i) CHECK(std::fabs(C3[i] - C4[i]) <= bound(k, 3.0 * k + 3));

        auto At = randv(rng, static_cast<size_t>(k) * m), C5 = randv(rng, static_cast<size_t>(m) * n), C6 = C5;
        prim::gemm_tn_acc(At.data(), Bn.data(), C5.data(), m, n, k);
        prim::scalar::gemm_tn_acc(At.data(), Bn.data(), C6.data(), m, n, k);
        for (size_t i = 0; i < C5.size(); ++i) CHECK(std::fabs(C5[i] - C6[i]) <= bound(k, 3.0 * k + 3));
      }
  for (int dk = 0; dk <= 6; ++dk)
    for (int dv = 0; dv <= kMaxLen; ++dv) {
      INFO("dk=" << dk << " dv=" << dv);
      auto S = randv(rng, static_cast<size_t>(dk) * dv), q = randv(rng, dk), x = randv(rng, dv);
      std::vector<float> o1(dv), o2(dv), p1(dk), p2(dk);
      prim::read(S.data(), q.data(), o1.data(), dk, dv);
      prim::scalar::read(S.data(), q.data(), o2.data(), dk, dv);
      for (int j = 0; j < dv; ++j) CHECK(std::fabs(o1[j] - o2[j]) <= bound(dk, 3.0 * dk));
      prim::matvec(S.data(), x.data(), p1.data(), dk, dv);
      prim::scalar::matvec(S.data(), x.data(), p2.data(), dk, dv);
      for (int i = 0; i < dk; ++i) CHECK(std::fabs(p1[i] - p2[i]) <= bound(dv, 3.0 * dv));
      auto S1 = S, S2 = S;
      prim::rank1(S1.data(), q.data(), x.data(), dk, dv);
      prim::scalar::rank1(S2.data(), q.data(), x.data(), dk, dv);
      CHECK(S1 == S2);
      prim::scale_rows(S1.data(), q.data(), dk, dv);
      prim::scalar::scale_rows(S2.data(), q.data(), dk, dv);
      CHECK(S1 == S2);
    }
}

TEST_CASE("vector exp: limits and accuracy over the float range", "[primitives]") {
  std::vector<float> x = {-INFINITY, -1000.f, -87.5f, -87.3f, -20.f, -1.f, -1e-7f, 0.f, 1e-7f, 0.5f, 1.f, 10.f, 88.f, 88.7f, 89.f, 1000.f};
  auto y = x;
  prim::exp_shifted(y.data(), static_cast<int>(y.size()), 0.f);
  CHECK(y[0] == 0.f);
  CHECK(y[1] == 0.f);
  CHECK(y[7] == 1.f);
  CHECK(std::isinf(y[14]));
  CHECK(std::isinf(y[15]));
  for (size_t i = 3; i < 14; ++i) {
    INFO("x = " << x[i] << " exp " << y[i] << " std " << std::exp(x[i]));
    CHECK(std::fabs(y[i] - std::exp(x[i])) <= 4 * FLT_EPSILON * std::exp(x[i]) + 1e-38);
  }
}
