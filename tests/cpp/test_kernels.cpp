// The fused kernels (core/kernels.hpp) and the register-blocked gemms against their scalar twins,
// natively (SSE) and in wasm (SIMD128 or the baseline lowering), at every size from 0 to three
// vector widths + 1 (three 4 x 8 gemm tiles + 1), with error bounds derived per element.
//
// How the bounds are derived: a sum of n products computed in two different orders differs by at
// most 2 gamma_n sum|terms|, gamma_n = n eps / (1 - n eps) <= (n + 1) eps for these n. An input that
// is itself off by e_i in one of the two computations adds sum |coefficient_i| e_i. The vector exp
// is within 4 eps (relative) of std::exp ("vector exp" test in test_primitives.cpp). Where a kernel
// performs the very operations of its twin in the same order the bound is 0 in exact IEEE float
// arithmetic; the tests still allow the summation bound, because a native compiler may contract a
// multiply and an add into one FMA (clang does on FMA targets).
#include "support.hpp"

#include <cfloat>
#include <random>

#include "core/kernels.hpp"
#include "core/primitives.hpp"

using namespace attnlab;

namespace {

constexpr int kMaxLen = 3 * 4 + 1;
constexpr double kEps = FLT_EPSILON;

double sum_bound(int n, double abs_sum) { return 2.0 * (n + 1) * kEps * abs_sum + 1e-30; }

std::vector<float> randv(std::mt19937_64& rng, size_t n, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Bound on the readout o_j = sum_i q_i S_ij when S itself may be off by eS (per element).
std::vector<double> read_bound(const std::vector<float>& S, const std::vector<double>& eS, const float* q, int dk,
                               int dv) {
  std::vector<double> b(static_cast<size_t>(dv));
  for (int j = 0; j < dv; ++j) {
    double terms = 0, carried = 0;
    for (int i = 0; i < dk; ++i) {
      terms += std::fabs(q[i] * S[static_cast<size_t>(i) * dv + j]);
      carried += std::fabs(q[i]) * eS[static_cast<size_t>(i) * dv + j];
    }
    b[j] = sum_bound(dk, terms) + carried;
  }
  return b;
}

template <class V>
void check_close(const std::vector<float>& got, const std::vector<float>& want, const V& bound, const char* what) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  long at = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(double(got[i]) - want[i]);
    const double b = bound(i);
    if (!(d <= b) && (at < 0 || d - b > worst)) {
      worst = d - b;
      at = static_cast<long>(i);
    }
  }
  INFO(what << ": " << (at < 0 ? std::string("all within bound")
                                : "element " + std::to_string(at) + " got " + std::to_string(got[at]) + " want " +
                                      std::to_string(want[at]) + " bound " + std::to_string(bound(at))));
  CHECK(at < 0);
}

}  // namespace

TEST_CASE("register-blocked gemms equal their scalar twins across tile edges", "[kernels][primitives]") {
  std::mt19937_64 rng(21);
  for (int m = 0; m <= kMaxLen; ++m)
    for (int n = 0; n <= 3 * 8 + 1; ++n)
      for (int k : {0, 1, 2, 3, 4, 5, 8, 13}) {
        INFO("m=" << m << " n=" << n << " k=" << k);
        auto A = randv(rng, static_cast<size_t>(m) * k), Bt = randv(rng, static_cast<size_t>(n) * k);
        auto B = randv(rng, static_cast<size_t>(k) * n), At = randv(rng, static_cast<size_t>(k) * m);
        // |a b| <= 1 per product, so every sum of k products has abs sum <= k (plus |C| <= 1).
        auto bound = [k](size_t) { return sum_bound(k, k + 1.0); };
        std::vector<float> C1(static_cast<size_t>(m) * n, 7.f), C2(C1.size(), -7.f);
        prim::gemm_nt(A.data(), Bt.data(), C1.data(), m, n, k);
        prim::scalar::gemm_nt(A.data(), Bt.data(), C2.data(), m, n, k);
        check_close(C1, C2, bound, "gemm_nt");
        auto C3 = randv(rng, static_cast<size_t>(m) * n), C4 = C3;
        prim::gemm_nn_acc(A.data(), B.data(), C3.data(), m, n, k);
        prim::scalar::gemm_nn_acc(A.data(), B.data(), C4.data(), m, n, k);
        check_close(C3, C4, bound, "gemm_nn_acc");
        auto C5 = randv(rng, static_cast<size_t>(m) * n), C6 = C5;
        prim::gemm_tn_acc(At.data(), B.data(), C5.data(), m, n, k);
        prim::scalar::gemm_tn_acc(At.data(), B.data(), C6.data(), m, n, k);
        check_close(C5, C6, bound, "gemm_tn_acc");
      }
}

TEST_CASE("fused recurrent updates equal the unfused primitives at every small shape", "[kernels]") {
  std::mt19937_64 rng(33);
  for (int dk = 0; dk <= kMaxLen; ++dk)
    for (int dv = 0; dv <= kMaxLen; ++dv) {
      INFO("dk=" << dk << " dv=" << dv);
      const size_t ns = static_cast<size_t>(dk) * dv;
      const auto S0 = randv(rng, ns);
      const auto k = randv(rng, dk), q = randv(rng, dk), v = randv(rng, dv);
      const auto a = randv(rng, dk, 0.f, 1.f), kappa = randv(rng, dk), w = randv(rng, dk, 0.5f, 1.f);
      const float g = 0.9f, beta = 0.7f;

      // Kernels whose every state element takes the twin's operations in the twin's order: the
      // states match exactly (up to contraction), the readout within the summation bound.
      auto same_ops = [&](const char* name, auto kernel, auto twin, bool read_old) {
        auto S1 = S0, S2 = S0;
        std::vector<float> o1(static_cast<size_t>(dv)), o2(o1.size());
        kernel(S1.data(), o1.data());
        twin(S2.data(), o2.data());
        // Each state element is at most three roundings of terms bounded by |S|, |c x| <= dk and
        // |k v| <= 1 (only a contracting compiler makes them differ at all).
        check_close(S1, S2, [&](size_t e) { return 4 * kEps * (std::fabs(S0[e]) + std::fabs(S2[e]) + dk + 1); }, name);
        const auto ob = read_bound(read_old ? S0 : S2, std::vector<double>(ns, 4 * kEps * (2 + 2 * dk + 1)), q.data(), dk, dv);
        check_close(o1, o2, [&](size_t j) { return ob[j]; }, name);
      };
      same_ops(
          "update_read", [&](float* S, float* o) { prim::update_read(S, k.data(), v.data(), q.data(), o, dk, dv); },
          [&](float* S, float* o) { prim::scalar::update_read(S, k.data(), v.data(), q.data(), o, dk, dv); }, false);
      same_ops(
          "decay_update_read (rows)",
          [&](float* S, float* o) { prim::decay_update_read(S, a.data(), k.data(), v.data(), q.data(), o, dk, dv); },
          [&](float* S, float* o) {
            prim::scalar::decay_update_read(S, a.data(), k.data(), v.data(), q.data(), o, dk, dv);
          },
          false);
      same_ops(
          "decay_update_read (scalar)",
          [&](float* S, float* o) { prim::decay_update_read(S, g, k.data(), v.data(), q.data(), o, dk, dv); },
          [&](float* S, float* o) { prim::scalar::decay_update_read(S, g, k.data(), v.data(), q.data(), o, dk, dv); },
          false);
      same_ops(
          "read_decay_update",
          [&](float* S, float* o) { prim::read_decay_update(S, a.data(), k.data(), v.data(), q.data(), o, dk, dv); },
          [&](float* S, float* o) {
            prim::scalar::read_decay_update(S, a.data(), k.data(), v.data(), q.data(), o, dk, dv);
          },
          true);
      same_ops(
          "dplr_update_read",
          [&](float* S, float* o) {
            prim::dplr_update_read(S, w.data(), kappa.data(), a.data(), k.data(), v.data(), q.data(), o, dk, dv);
          },
          [&](float* S, float* o) {
            prim::scalar::dplr_update_read(S, w.data(), kappa.data(), a.data(), k.data(), v.data(), q.data(), o, dk,
                                           dv);
          },
          false);

      // The delta rule: with a decay the kernel reads g (Sᵀk) where the twin reads (g S)ᵀk, so u
      // differs within the summation bound of Sᵀk plus one rounding; every S_ij then inherits
      // |k_i| beta times that, and the readout what it carries.
      for (const float* gp : {static_cast<const float*>(nullptr), &g}) {
        INFO((gp ? "gated" : "plain") << " delta rule");
        auto S1 = S0, S2 = S0;
        std::vector<float> o1(static_cast<size_t>(dv)), o2(o1.size());
        prim::delta_update_read(S1.data(), gp, k.data(), v.data(), beta, q.data(), o1.data(), dk, dv);
        prim::scalar::delta_update_read(S2.data(), gp, k.data(), v.data(), beta, q.data(), o2.data(), dk, dv);
        std::vector<double> eu(static_cast<size_t>(dv)), eS(ns);
        for (int j = 0; j < dv; ++j) {
          double terms = 0;
          for (int i = 0; i < dk; ++i) terms += std::fabs(k[i] * S0[static_cast<size_t>(i) * dv + j]);
          eu[j] = beta * (sum_bound(dk, terms) + 4 * kEps * (terms + std::fabs(v[j])));
        }
        for (int i = 0; i < dk; ++i)
          for (int j = 0; j < dv; ++j) {
            const size_t e = static_cast<size_t>(i) * dv + j;
            eS[e] = std::fabs(k[i]) * eu[j] + 4 * kEps * (std::fabs(S0[e]) + std::fabs(S2[e]));
          }
        check_close(S1, S2, [&](size_t e) { return eS[e]; }, "delta state");
        const auto ob = read_bound(S2, eS, q.data(), dk, dv);
        check_close(o1, o2, [&](size_t j) { return ob[j]; }, "delta output");
      }
    }
}

TEST_CASE("selective scan equals the unfused primitives at every small shape", "[kernels]") {
  std::mt19937_64 rng(44);
  for (int D = 0; D <= 5; ++D)
    for (int N = 0; N <= kMaxLen; ++N) {
      INFO("D=" << D << " N=" << N);
      const auto A = randv(rng, static_cast<size_t>(D) * N, -4.f, -0.5f);
      const auto delta = randv(rng, D, 0.01f, 1.f), u = randv(rng, D), Dskip = randv(rng, D);
      const auto B = randv(rng, N), C = randv(rng, N);
      auto h1 = randv(rng, static_cast<size_t>(D) * N), h2 = h1;
      const auto h0 = h1;
      std::vector<float> y1(static_cast<size_t>(D)), y2(y1.size());
      // Two tokens, so the second reads a state that already went through the kernel.
      for (int rep = 0; rep < 2; ++rep) {
        prim::selective_scan(h1.data(), A.data(), delta.data(), u.data(), B.data(), C.data(), Dskip.data(), y1.data(),
                             D, N);
        prim::scalar::selective_scan(h2.data(), A.data(), delta.data(), u.data(), B.data(), C.data(), Dskip.data(),
                                     y2.data(), D, N);
      }
      // |h| stays below |h0| + 2 |delta u B| <= 3 here; each step's exp is off by 4 eps relative and
      // the update adds two roundings: per step 8 eps * 3, twice.
      const double eh = 2 * 8 * kEps * 3;
      check_close(h1, h2, [&](size_t) { return eh; }, "h");
      for (int d = 0; d < D; ++d) {
        double terms = 0, carried = 0;
        for (int i = 0; i < N; ++i) {
          terms += std::fabs(C[i] * h2[static_cast<size_t>(d) * N + i]);
          carried += std::fabs(C[i]) * eh;
        }
        const double b = sum_bound(N + 1, terms + std::fabs(Dskip[d] * u[d])) + carried;
        INFO("channel " << d);
        CHECK(std::fabs(y1[d] - y2[d]) <= b);
      }
    }
}

TEST_CASE("tiled causal softmax equals the unfused flash recurrence", "[kernels]") {
  std::mt19937_64 rng(55);
  for (int n = 0; n <= kMaxLen + 4; ++n)
    for (int block : {1, 3, 4, 5, 8, 16})
      for (long window : {0L, 1L, 3L, 6L})
        for (int dk : {1, 4, 7}) {
          const int dv = dk == 4 ? 9 : dk + 1;
          INFO("n=" << n << " block=" << block << " window=" << window << " dk=" << dk << " dv=" << dv);
          const auto Q = randv(rng, static_cast<size_t>(n) * dk, -2.f, 2.f);
          const auto K = randv(rng, static_cast<size_t>(n) * dk, -2.f, 2.f);
          const auto V = randv(rng, static_cast<size_t>(n) * dv);
          std::vector<float> o1(static_cast<size_t>(n) * dv), o2(o1.size());
          prim::causal_softmax(Q.data(), K.data(), V.data(), o1.data(), n, dk, dv, 0.5f, block, window);
          prim::scalar::causal_softmax(Q.data(), K.data(), V.data(), o2.data(), n, dk, dv, 0.5f, block, window);
          // The scores are bit-identical (same gemm order); each weight is off by the exp's 4 eps,
          // times the rescales of at most n / block + 1 key blocks; the normaliser and the weighted
          // sum of |v| <= 1 add the summation bound of n terms each.
          const double rel = 4 * kEps * (n / block + 2) + 2 * sum_bound(n, 1.0);
          check_close(o1, o2, [&](size_t) { return 2 * rel; }, "attention output");
        }
}

TEST_CASE("vector exp: under 3 ulp across the float range, subnormals and specials included", "[kernels][primitives]") {
  // The polynomial's own error is 1.5e-7 (about 1.3 eps) and its float32 evaluation adds under one
  // more; 3 eps leaves room for std::exp's half ulp. Below FLT_MIN the result is a subnormal, whose
  // spacing 2^-149 bounds the absolute error instead.
  std::vector<float> x;
  for (int i = 0; i <= 200000; ++i) x.push_back(-103.9f + 192.6f * static_cast<float>(i) / 200000.f);
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f, 88.72f, -87.33f, -100.f})
    x.push_back(v);
  auto y = x;
  prim::exp_shifted(y.data(), static_cast<int>(y.size()), 0.f);
  double worst = 0;
  float at = 0;
  long bad = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    if (want > FLT_MAX) {
      if (!std::isinf(y[i])) ++bad;
      continue;
    }
    const double err = std::fabs(y[i] - want);
    const double ulps = err / (kEps * want);
    if (want >= FLT_MIN && ulps > worst) {
      worst = ulps;
      at = x[i];
    }
    if (!(err <= 3 * kEps * want + std::ldexp(1.0, -149))) ++bad;
  }
  INFO("worst relative error " << worst << " eps at x = " << at);
  CHECK(bad == 0);
  CHECK(worst <= 3.0);
  std::vector<float> s = {NAN, -INFINITY, INFINITY, -1e30f, 1e30f};
  prim::exp_shifted(s.data(), static_cast<int>(s.size()), 0.f);
  CHECK(std::isnan(s[0]));
  CHECK(s[1] == 0.f);
  CHECK(std::isinf(s[2]));
  CHECK(s[3] == 0.f);
  CHECK(std::isinf(s[4]));
}
