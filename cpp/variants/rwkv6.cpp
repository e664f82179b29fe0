#include "variants/rwkv6.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/chunked.hpp"
#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { R, K, V, W, U };

// Floats between the decay rows of consecutive tokens: RWKV-5 reuses one row.
long w_stride(const Rwkv6::Params& p) { return p.static_w ? 0 : p.dk; }

// Bonus weight of the current token, r_t·(u⊙k_t).
float bonus(const float* r, const float* u, const float* k, int dk) {
  float s = 0.f;
  for (int i = 0; i < dk; ++i) s += r[i] * u[i] * k[i];
  ATTNLAB_COUNT_MACS(2L * dk);
  return s;
}

void scale_rows_of(float scale, float* out, long n, int width) {
  if (scale == 1.f) return;
  for (long t = 0; t < n; ++t) prim::scale(scale, out + t * width, width);
}

}  // namespace

ATTNLAB_COLD VariantInfo Rwkv6::info() {
  VariantInfo v;
  v.id = "rwkv6";
  v.name = "RWKV-6 (Finch)";
  v.family = "rwkv";
  v.year = 2024;
  v.paper = "Peng et al. 2024, Eagle and Finch: RWKV with Matrix-Valued States and Dynamic Recurrence";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = {{"r", {"dk"}, true, -1e300, 1e300, false, false, "receptance (the query)"},
              {"k", {"dk"}, true, -1e300, 1e300, false, false, "key"},
              {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"},
              {"w", {"dk"}, true, 0, 1, true, false, "decay per key channel, in (0, 1], data dependent",
               "uniform 0.5 0.999"},
              {"u", {"dk"}, false, -1e300, 1e300, false, false, "bonus of the current token, per key channel"}};
  const OptionSpec scale = scale_option(1, "multiplies r (the official kernels use 1)");
  v.options = {scale};
  v.state_dims = {"dk", "dv"};
  v.state_note = "S: dk rows (key) by dv columns (value), row-major";
  v.selective = true;
  v.forgetting = "data-dependent";
  v.recurrence = "o_t = S^T r_t + (r_t.(u*k_t)) v_t;  S <- diag(w_t) S + k_t v_t^T  (read before write)";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status Rwkv6::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  p->scale = static_cast<float>(cfg.num("scale"));
  p->static_w = false;
  return {};
}

ATTNLAB_COLD double Rwkv6::workspace(const Params& p, long n, Form f, int chunk) {
  const double wrows = p.static_w ? 1.0 : static_cast<double>(n);
  switch (f) {
    // The n x n weights, the float64 prefix sums of log w (2 floats each), one exp row and the
    // decayed keys of the final state.
    case Form::parallel: return static_cast<double>(n) * n + 2.0 * (n + 1) * p.dk + p.dk + static_cast<double>(n) * p.dk;
    case Form::recurrent: return 0;
    // chunked::run's own scratch plus the log decays it takes.
    case Form::chunkwise:
      return chunked::workspace(n, p.dk, p.dv, chunk, chunked::Decay::per_key) + wrows * p.dk;
  }
  return 0;
}

ATTNLAB_COLD void Rwkv6::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.dk) * p.dv, 0.f); }

void Rwkv6::step(const Params& p, const Token& tok, State& s, float* out) {
  float* S = s.data.data();
  const float *r = tok[R], *k = tok[K], *v = tok[V];
  // Read before write: o = Sᵀr of the old state and S = diag(w) S + k vᵀ in one pass.
  prim::read_decay_update(S, tok[W], k, v, r, out, p.dk, p.dv);
  prim::axpy(bonus(r, tok[U], k, p.dk), v, out, p.dv);
  scale_rows_of(p.scale, out, 1, p.dv);
}

void Rwkv6::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  const int dk = p.dk;
  const long ws = w_stride(p);
  // Lw[t] = sum_{s<t} log w_s, so pair (t, j < t) has exponent Lw[t] - Lw[j+1]. The prefix sums
  // are float64 so that this difference of two long sums keeps float precision at any n (§15.4).
  std::vector<double> Lw(static_cast<size_t>((n + 1) * dk), 0.0);
  for (long t = 0; t < n; ++t)
    for (int i = 0; i < dk; ++i)
      Lw[(t + 1) * dk + i] = Lw[t * dk + i] + std::log(static_cast<double>(in.ptr[W][t * ws + i]));
  std::vector<float> A(static_cast<size_t>(n) * n, 0.f), e(static_cast<size_t>(dk));
  ATTNLAB_COUNT_PEAK(static_cast<double>(n) * n);
  for (long t = 0; t < n; ++t) {
    const float* r = in.row(R, t);
    float* row = A.data() + t * n;
    // Only j < t is exponentiated (the mask comes before exp), so every exponent is <= 0 and the
    // max passed to exp_shifted is 0.
    for (long j = 0; j < t; ++j) {
      const float* kj = in.row(K, j);
      for (int i = 0; i < dk; ++i) e[i] = static_cast<float>(Lw[t * dk + i] - Lw[(j + 1) * dk + i]);
      prim::exp_shifted(e.data(), dk, 0.f);
      float acc = 0.f;
      for (int i = 0; i < dk; ++i) acc += r[i] * e[i] * kj[i];
      ATTNLAB_COUNT_MACS(2L * dk);
      row[j] = p.scale * acc;
    }
    row[t] = p.scale * bonus(r, in.ptr[U], in.row(K, t), dk);
  }
  std::fill(out, out + n * p.dv, 0.f);
  prim::gemm_nn_acc(A.data(), in.ptr[V], out, static_cast<int>(n), p.dv, static_cast<int>(n));

  // The state the recurrence ends with: S = sum_j diag(w_{j+1} ... w_{n-1}) k_j v_jᵀ, each key
  // decayed by the same prefix-sum difference (all exponents <= 0), then one gemm.
  std::vector<float> Kd(static_cast<size_t>(n) * dk);
  for (long j = 0; j < n; ++j) {
    float* row = Kd.data() + j * dk;
    for (int i = 0; i < dk; ++i) row[i] = static_cast<float>(Lw[n * dk + i] - Lw[(j + 1) * dk + i]);
    prim::exp_shifted(row, dk, 0.f);
    const float* kj = in.row(K, j);
    for (int i = 0; i < dk; ++i) row[i] *= kj[i];
    ATTNLAB_COUNT_MACS(dk);
  }
  prim::gemm_tn_acc(Kd.data(), in.ptr[V], s.data.data(), dk, p.dv, static_cast<int>(n));
}

void Rwkv6::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  const long ws = w_stride(p);
  const long rows = p.static_w ? 1 : n;
  std::vector<float> g(static_cast<size_t>(rows * p.dk));
  for (long t = 0; t < rows; ++t)
    for (int i = 0; i < p.dk; ++i) g[t * p.dk + i] = std::log(in.ptr[W][t * ws + i]);
  chunked::Problem pr;
  pr.n = n;
  pr.dk = p.dk;
  pr.dv = p.dv;
  pr.q = in.ptr[R];
  pr.q_stride = p.dk;
  pr.k = in.ptr[K];
  pr.k_stride = p.dk;
  pr.v = in.ptr[V];
  pr.v_stride = p.dv;
  pr.decay = chunked::Decay::per_key;
  pr.g = g.data();
  pr.g_stride = ws;
  pr.read_before_write = true;
  pr.u = in.ptr[U];
  chunked::run(pr, chunk, s.data.data(), out);
  // The output is linear in r and the state does not see r, so the scale can come last.
  scale_rows_of(p.scale, out, n, p.dv);
}

ATTNLAB_COLD void Rwkv6::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const int dk = p.dk, dv = p.dv;
  const long ws = w_stride(p);
  double* S = s.data.data();
  for (long t = 0; t < n; ++t) {
    const float *r = in.row(R, t), *k = in.row(K, t), *v = in.row(V, t), *w = in.ptr[W] + t * ws;
    const float* u = in.ptr[U];
    double b = 0;
    for (int i = 0; i < dk; ++i) b += static_cast<double>(r[i]) * u[i] * k[i];
    for (int c = 0; c < dv; ++c) {
      double o = b * v[c];
      for (int i = 0; i < dk; ++i) o += static_cast<double>(r[i]) * S[i * dv + c];
      out[t * dv + c] = p.scale * o;
    }
    for (int i = 0; i < dk; ++i)
      for (int c = 0; c < dv; ++c) S[i * dv + c] = w[i] * S[i * dv + c] + static_cast<double>(k[i]) * v[c];
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// RWKV-5 and RWKV-6 (rwkv6.cpp), docs/variants.md §6. s = 1 when scale != 1. T' = n(n-1)/2 pairs j < t.
// recurrent  n dk dv (read) + 2 n dk (bonus r.(u k)) + n dv (bonus x v) + s n dv + n dk dv (decay)
//            + n dk dv (write); no exps.
// parallel   per pair j < t: dk exps and 2 dk macs (r.e.k, built element by element: the decay
//            product has no matmul form) + 2 n dk (bonus on the diagonal) + n^2 dv (A V, full);
//            peak n^2. (The scale multiplies each weight in place and is not a multiply-add.)
//            Final state: n dk exps and n dk macs (keys decayed to the end) + n dk dv (gemm).
// chunkwise  chunked::run, per-key decay, read before write, state carried; RWKV-5's decay is the
//            same at every token (a table of (C+1) dk exps), RWKV-6's is per token; + s n dv.
void Rwkv6::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv;
  matrix_state(r, dk, dv);
  const bool scaled = p.scale != 1.f;
  switch (c.form) {
    case Form::recurrent:
      term(r, "read S^T r", n * dk * dv, "n dk dv");
      term(r, "bonus (r.(u k)) v", n * (2 * dk + dv), "n (2 dk + dv)");
      term(r, "decay diag(w) S", n * dk * dv, "n dk dv");
      term(r, "write S += k v^T", n * dk * dv, "n dk dv");
      if (scaled) elem(r, "output scale", n * dv, "n dv");
      r->peak_floats = r->state_floats;
      r->peak_formula = r->state_formula;
      return;
    case Form::parallel: {
      const double pairs = n * (n - 1) / 2;
      term(r, "decayed scores r.(w..w) k, j < t", 2 * dk * pairs, "2 dk n(n-1)/2");
      term(r, "bonus r.(u k) on the diagonal", 2 * dk * n, "2 dk n");
      term(r, "weights x values", n * n * dv, "n^2 dv");
      elem(r, "final state: keys decayed to the end", n * dk, "n dk");
      term(r, "final state (K decayed)^T V", n * dk * dv, "n dk dv");
      r->exps = dk * pairs + n * dk;
      r->exps_formula = "dk n(n-1)/2 + n dk";
      r->peak_floats = n * n;
      r->peak_formula = "n^2";
      return;
    }
    case Form::chunkwise:
      chunked::forms_cost(c, r, {dk, dv, chunked::Decay::per_key, p.static_w, true});
      if (scaled) elem(r, "output scale", n * dv, "n dv");
      return;
  }
}

}  // namespace attnlab
