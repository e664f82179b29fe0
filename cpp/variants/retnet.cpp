#include "variants/retnet.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/chunked.hpp"
#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { Q, K, V };

chunked::Problem problem(const RetNet::Params& p, const Inputs& in, long n, const float* log_gamma) {
  chunked::Problem c;
  c.n = n;
  c.dk = p.dk;
  c.dv = p.dv;
  c.q = in.ptr[Q];
  c.q_stride = p.dk;
  c.k = in.ptr[K];
  c.k_stride = p.dk;
  c.v = in.ptr[V];
  c.v_stride = p.dv;
  c.decay = chunked::Decay::scalar;
  c.g = log_gamma;
  c.g_stride = 0;
  return c;
}

// The q scale is linear in the output, so the chunked forms apply it once at the end.
void apply_scale(const RetNet::Params& p, float* out, long n) {
  if (p.scale != 1) prim::scale(static_cast<float>(p.scale), out, static_cast<int>(n * p.dv));
}

}  // namespace

ATTNLAB_COLD VariantInfo RetNet::info() {
  VariantInfo v;
  v.id = "retnet";
  v.name = "RetNet retention";
  v.family = "linear";
  v.year = 2023;
  v.paper = "Sun et al. 2023, Retentive Network: A Successor to Transformer for Large Language Models";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = {{"q", {"dk"}, true, -1e300, 1e300, false, false, "query"},
              {"k", {"dk"}, true, -1e300, 1e300, false, false, "key"},
              {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"}};
  OptionSpec gamma;
  gamma.name = "gamma";
  gamma.def = 0.96875;
  gamma.lo = 0;
  gamma.lo_open = true;
  gamma.hi = 1;
  gamma.note = "decay of the state per token, in (0, 1]; torchscale's head h uses 1 - 2^(-5-h)";
  const OptionSpec scale = scale_option(1, "multiplies q");
  v.options = {gamma, scale};
  v.state_dims = {"dk", "dv"};
  v.state_note = "S, dk x dv row-major (rows = key index): the sum of gamma^(t-j) k_j v_j^T";
  v.selective = false;
  v.forgetting = "fixed";
  v.recurrence = "S_t = gamma S_{t-1} + k_t v_t^T;  o_t = S_t^T q_t";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status RetNet::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  p->gamma = cfg.num("gamma");
  p->scale = cfg.num("scale");
  return {};
}

ATTNLAB_COLD double RetNet::workspace(const Params& p, long n, Form f, int chunk) {
  switch (f) {
    case Form::parallel: return chunked::workspace(n, p.dk, p.dv, static_cast<int>(n), chunked::Decay::scalar);
    case Form::recurrent: return 0;
    case Form::chunkwise: return chunked::workspace(n, p.dk, p.dv, chunk, chunked::Decay::scalar);
  }
  return 0;
}

ATTNLAB_COLD void RetNet::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.dk) * p.dv, 0.f); }

void RetNet::step(const Params& p, const Token& tok, State& s, float* out) {
  float* S = s.data.data();
  prim::decay_update_read(S, static_cast<float>(p.gamma), tok[K], tok[V], tok[Q], out, p.dk, p.dv);
  if (p.scale != 1) prim::scale(static_cast<float>(p.scale), out, p.dv);
}

void RetNet::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  const float lg = static_cast<float>(std::log(p.gamma));
  chunked::Problem pr = problem(p, in, n, &lg);
  pr.fresh = true;
  chunked::run(pr, static_cast<int>(n), s.data.data(), out);
  apply_scale(p, out, n);
}

void RetNet::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  const float lg = static_cast<float>(std::log(p.gamma));
  chunked::run(problem(p, in, n, &lg), chunk, s.data.data(), out);
  apply_scale(p, out, n);
}

ATTNLAB_COLD void RetNet::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const double gamma = p.gamma, scale = p.scale;
  std::vector<double>& S = s.data;
  for (long t = 0; t < n; ++t) {
    const float* q = in.row(Q, t);
    const float* k = in.row(K, t);
    const float* v = in.row(V, t);
    for (int i = 0; i < p.dk; ++i)
      for (int j = 0; j < p.dv; ++j) S[i * p.dv + j] = gamma * S[i * p.dv + j] + double(k[i]) * v[j];
    for (int j = 0; j < p.dv; ++j) {
      double o = 0;
      for (int i = 0; i < p.dk; ++i) o += scale * q[i] * S[i * p.dv + j];
      out[t * p.dv + j] = o;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// RetNet (retnet.cpp), docs/variants.md §3. s = 1 when scale != 1.
// recurrent  n dk dv (decay gamma S) + n dk dv (write) + n dk dv (read) + s n dv; no exps.
// parallel   chunked::run, scalar constant decay, chunk n, fresh state: n^2 dk + n(n+1)/2 (mask)
//            + n^2 dv + (n+1) (table) + n dk dv + n dk (final state) + s n dv; exps n + 1; peak n^2.
// chunkwise  chunked::run, scalar constant decay, state carried, + s n dv; peak max(C^2, dk dv).
void RetNet::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    term(r, "decay gamma S", n * dk * dv, "n dk dv");
    term(r, "write S += k v^T", n * dk * dv, "n dk dv");
    term(r, "read S^T q", n * dk * dv, "n dk dv");
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
  } else {
    chunked::forms_cost(c, r, {dk, dv, chunked::Decay::scalar, true, false});
  }
  if (p.scale != 1) elem(r, "output scale", n * dv, "n dv");
}

}  // namespace attnlab
