#include "variants/deltanet.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels.hpp"
#include "core/primitives.hpp"
#include "core/wy_chunk.hpp"

namespace attnlab {

namespace {

enum { Q, K, V, BETA, G };

std::vector<InputSpec> delta_inputs() {
  return {{"q", {"dk"}, true, -1e300, 1e300, false, false, "query"},
          {"k", {"dk"}, true, -1e300, 1e300, false, false,
           "key; L2-normalised keys keep every step contractive", "unit"},
          {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"},
          {"beta", {"1"}, true, 0, 2, false, false,
           "writing strength: beta ||k||^2 in (0, 2) keeps I - beta k k^T contractive; 1 replaces the old value",
           "uniform 0.05 0.95"}};
}

wy::DeltaInputs wy_inputs(const DeltaNet::Params& p, const Inputs& in) {
  wy::DeltaInputs w;
  w.q = in.ptr[Q];
  w.k = in.ptr[K];
  w.v = in.ptr[V];
  w.beta = in.ptr[BETA];
  w.g = p.gated ? in.ptr[G] : nullptr;
  return w;
}

}  // namespace

ATTNLAB_COLD VariantInfo DeltaNet::info() {
  VariantInfo v;
  v.id = "deltanet";
  v.name = "DeltaNet";
  v.family = "delta";
  v.year = 2021;
  v.paper =
      "Schlag, Irie, Schmidhuber 2021, Linear Transformers Are Secretly Fast Weight Programmers (the year); "
      "chunkwise form: Yang et al. 2024, Parallelizing Linear Transformers with the Delta Rule over Sequence Length";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = delta_inputs();
  v.options = {scale_option(1, "multiplies q (fla's layers pass 1/sqrt(dk); here nothing is scaled unless asked)")};
  v.state_dims = {"dk", "dv"};
  v.state_note = "S: dk rows (key) by dv columns (value), row-major";
  v.selective = true;
  v.forgetting = "delta";
  v.recurrence = "u_t = beta_t (v_t - S^T k_t);  S <- S + k_t u_t^T;  o_t = S^T q_t";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status DeltaNet::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  p->scale = static_cast<float>(cfg.num("scale"));
  p->gated = false;
  return {};
}

ATTNLAB_COLD double DeltaNet::workspace(const Params& p, long n, Form f, int chunk) {
  switch (f) {
    case Form::parallel: return wy::delta_workspace(n, static_cast<int>(n), p.dk, p.dv, p.gated);
    case Form::recurrent: return p.dv;
    case Form::chunkwise: return wy::delta_workspace(n, chunk, p.dk, p.dv, p.gated);
  }
  return 0;
}

ATTNLAB_COLD void DeltaNet::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.dk) * p.dv, 0.f); }

void DeltaNet::step(const Params& p, const Token& tok, State& s, float* out) {
  float* S = s.data.data();
  const float a = p.gated ? prim::exp(tok[G][0]) : 1.f;
  prim::delta_update_read(S, p.gated ? &a : nullptr, tok[K], tok[V], tok[BETA][0], tok[Q], out, p.dk, p.dv);
  if (p.scale != 1.f) prim::scale(p.scale, out, p.dv);
}

void DeltaNet::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  wy::delta_chunkwise(wy_inputs(p, in), n, static_cast<int>(n), p.dk, p.dv, p.scale, s.data.data(), true, out);
}

void DeltaNet::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  wy::delta_chunkwise(wy_inputs(p, in), n, chunk, p.dk, p.dv, p.scale, s.data.data(), false, out);
}

ATTNLAB_COLD void DeltaNet::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const int dk = p.dk, dv = p.dv;
  double* S = s.data.data();
  std::vector<double> u(static_cast<size_t>(dv));
  for (long t = 0; t < n; ++t) {
    const float *q = in.row(Q, t), *k = in.row(K, t), *v = in.row(V, t);
    const double beta = in.row(BETA, t)[0];
    if (p.gated) {
      const double a = std::exp(static_cast<double>(in.row(G, t)[0]));
      for (long i = 0; i < static_cast<long>(dk) * dv; ++i) S[i] *= a;
    }
    for (int c = 0; c < dv; ++c) {
      double sk = 0;
      for (int i = 0; i < dk; ++i) sk += S[i * dv + c] * k[i];
      u[c] = beta * (v[c] - sk);
    }
    for (int i = 0; i < dk; ++i)
      for (int c = 0; c < dv; ++c) S[i * dv + c] += k[i] * u[c];
    for (int c = 0; c < dv; ++c) {
      double o = 0;
      for (int i = 0; i < dk; ++i) o += S[i * dv + c] * q[i];
      out[t * dv + c] = static_cast<double>(p.scale) * o;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// DeltaNet and gated DeltaNet (deltanet.cpp); g = 1 when gated, sc = 1 when scale != 1.
// recurrent  g n dk dv (decay) + n dk dv (S^T k) + n dv (u = beta (v - .)) + n dk dv (write)
//            + n dk dv (read) + sc n dv; exps g n.
// parallel, chunkwise  core/wy_chunk.cpp (wy::delta_cost).
void DeltaNet::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv, g = p.gated ? 1 : 0, sc = p.scale != 1.f ? 1 : 0;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    if (g) term(r, "decay e^g S", n * dk * dv, "n dk dv");
    term(r, "read S^T k", n * dk * dv, "n dk dv");
    elem(r, "delta u = beta (v - S^T k)", n * dv, "n dv");
    term(r, "write S += k u^T", n * dk * dv, "n dk dv");
    term(r, "read S^T q", n * dk * dv, "n dk dv");
    if (sc) elem(r, "output scale", n * dv, "n dv");
    r->exps = g * n;
    r->exps_formula = g ? "n" : "0";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return;
  }
  wy::delta_cost(c, dk, dv, p.gated, p.scale != 1.f, r);
}

}  // namespace attnlab
