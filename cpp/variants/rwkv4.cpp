#include "variants/rwkv4.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { K, V, W, U };

// The kernels' "no past yet" exponent: e^{p - anything finite} is 0 without an inf in sight.
constexpr float kEmptyExponent = -1e38f;

}  // namespace

ATTNLAB_COLD VariantInfo Rwkv4::info() {
  VariantInfo v;
  v.id = "rwkv4";
  v.name = "RWKV-4 (WKV)";
  v.family = "rwkv";
  v.year = 2023;
  v.paper = "Peng et al. 2023, RWKV: Reinventing RNNs for the Transformer Era";
  v.forms = {Form::parallel, Form::recurrent};
  v.missing = {{Form::chunkwise,
                "the state is 3 scalars per channel, not a key x value matrix: chunks would batch no matmul"}};
  v.sizes = {"C"};
  v.inputs = {{"k", {"C"}, true, -1e300, 1e300, false, false, "key: log weight of the token, per channel"},
              {"v", {"C"}, true, -1e300, 1e300, false, false, "value, per channel"},
              {"w", {"C"}, false, -1e300, 0, false, true, "per-step log decay (< 0), per channel", "uniform -3 -0.05"},
              {"u", {"C"}, false, -1e300, 1e300, false, false, "bonus of the current token, per channel"}};
  v.state_dims = {"3", "C"};
  v.state_note =
      "[a (C), b (C), p (C)]: WKV numerator a e^p and denominator b e^p with a shared exponent p per "
      "channel; empty: a = b = 0, p = -1e38";
  v.selective = false;
  v.forgetting = "fixed";
  v.recurrence = "wkv_t = (a + e^(u+k_t) v_t) / (b + e^(u+k_t));  a <- e^w a + e^k_t v_t;  b <- e^w b + e^k_t";
  v.out_size = "C";
  return v;
}

ATTNLAB_COLD Status Rwkv4::params(const Config& cfg, Params* p) {
  p->C = cfg.size("C");
  return {};
}

ATTNLAB_COLD double Rwkv4::workspace(const Params& p, long n, Form f, int chunk) {
  // Parallel: one channel's k and v columns and one row of exponents.
  return f == Form::parallel ? 3.0 * n : 0.0;
}

ATTNLAB_COLD void Rwkv4::init_state(const Params& p, State& s) {
  s.data.assign(static_cast<size_t>(3 * p.C), 0.f);
  std::fill(s.data.begin() + 2 * p.C, s.data.end(), kEmptyExponent);
}

void Rwkv4::step(const Params& p, const Token& tok, State& s, float* out) {
  const int C = p.C;
  float* a = s.data.data();
  float* b = a + C;
  float* pe = b + C;
  const float *k = tok[K], *v = tok[V], *w = tok[W], *u = tok[U];
  for (int c = 0; c < C; ++c) {
    // Output: the current token enters with the bonus u, against the shared exponent p.
    const float uk = u[c] + k[c];
    float m = std::max(pe[c], uk);
    float e1 = prim::exp(pe[c] - m), e2 = prim::exp(uk - m);
    out[c] = (e1 * a[c] + e2 * v[c]) / (e1 * b[c] + e2);
    // Update: the past decays by e^w, the token enters with weight e^k.
    const float pw = pe[c] + w[c];
    m = std::max(pw, k[c]);
    e1 = prim::exp(pw - m);
    e2 = prim::exp(k[c] - m);
    a[c] = e1 * a[c] + e2 * v[c];
    b[c] = e1 * b[c] + e2;
    pe[c] = m;
  }
  ATTNLAB_COUNT_MACS(6L * C);
}

void Rwkv4::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  // Channel by channel, so that each row of exponents and the value column are contiguous and the
  // exp/sum and the weighted sum go through exp_shifted and dot.
  const int C = p.C;
  std::vector<float> kc(static_cast<size_t>(n)), vc(static_cast<size_t>(n)), row(static_cast<size_t>(n));
  ATTNLAB_COUNT_PEAK(n);
  for (int c = 0; c < C; ++c) {
    for (long t = 0; t < n; ++t) {
      kc[t] = in.row(K, t)[c];
      vc[t] = in.row(V, t)[c];
    }
    const float w = in.ptr[W][c], u = in.ptr[U][c];
    for (long t = 0; t < n; ++t) {
      // (t-1-i) w is a product, not a running sum: no rounding accumulates along the row.
      float mx = u + kc[t];
      for (long i = 0; i < t; ++i) {
        row[i] = static_cast<float>(t - 1 - i) * w + kc[i];
        mx = std::max(mx, row[i]);
      }
      row[t] = u + kc[t];
      ATTNLAB_COUNT_MACS(t);
      const float den = prim::exp_shifted(row.data(), static_cast<int>(t + 1), mx);
      out[t * C + c] = prim::dot(row.data(), vc.data(), static_cast<int>(t + 1)) / den;
    }
    // The state after the last token is a row t = n without the bonus: p = the largest exponent
    // (n-1-i) w + k_i, which is exactly what the recurrence's running max max(p + w, k) reaches,
    // a = sum e^(exponent - p) v_i and b = sum e^(exponent - p).
    float mx = kEmptyExponent;
    for (long i = 0; i < n; ++i) {
      row[i] = static_cast<float>(n - 1 - i) * w + kc[i];
      mx = std::max(mx, row[i]);
    }
    ATTNLAB_COUNT_MACS(n);
    s.data[2 * C + c] = mx;
    s.data[C + c] = prim::exp_shifted(row.data(), static_cast<int>(n), mx);
    s.data[c] = prim::dot(row.data(), vc.data(), static_cast<int>(n));
  }
}

ATTNLAB_COLD void Rwkv4::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const int C = p.C;
  double* a = s.data.data();
  double* b = a + C;
  double* pe = b + C;
  for (long t = 0; t < n; ++t) {
    const float *k = in.row(K, t), *v = in.row(V, t);
    for (int c = 0; c < C; ++c) {
      const double w = in.ptr[W][c], u = in.ptr[U][c], kt = k[c], vt = v[c];
      double m = std::max(pe[c], u + kt);
      double e1 = std::exp(pe[c] - m), e2 = std::exp(u + kt - m);
      out[t * C + c] = (e1 * a[c] + e2 * vt) / (e1 * b[c] + e2);
      m = std::max(pe[c] + w, kt);
      e1 = std::exp(pe[c] + w - m);
      e2 = std::exp(kt - m);
      a[c] = e1 * a[c] + e2 * vt;
      b[c] = e1 * b[c] + e2;
      pe[c] = m;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// RWKV-4 (rwkv4.cpp), docs/variants.md §5; C channels, everything per channel.
// recurrent  6 n C macs, 4 n C exps (the stable (a, b, p) step); state 3 C.
// parallel   per channel and row t: t macs ((t-1-i) w + k_i), t + 1 exps, a dot of t + 1:
//            C n^2 macs, C n(n+1)/2 exps; peak n (one row of exponents). The final state is one
//            more row (t = n, no bonus): 2 C n macs, C n exps.
void Rwkv4::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), C = p.C;
  r->state_floats = 3 * C;
  r->state_formula = "3 C";
  if (c.form == Form::parallel) {
    term(r, "exponents and weighted sums", C * n * n, "C n^2");
    term(r, "final state (a, b, p): one more row without the bonus", 2 * C * n, "2 C n");
    r->exps = C * tri(n) + C * n;
    r->exps_formula = "C n(n+1)/2 + C n";
    r->peak_floats = n;
    r->peak_formula = "n";
  } else {
    term(r, "stable (a, b, p) step", 6 * n * C, "6 n C");
    r->exps = 4 * n * C;
    r->exps_formula = "4 n C";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
  }
}

}  // namespace attnlab
