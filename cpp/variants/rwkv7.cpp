#include "variants/rwkv7.hpp"

#include <vector>

#include "core/kernels.hpp"
#include "core/primitives.hpp"
#include "core/wy_chunk.hpp"

namespace attnlab {

namespace {

enum { R, W, K, V, KAPPA, A };

wy::DplrInputs wy_inputs(const Inputs& in) {
  wy::DplrInputs d;
  d.q = in.ptr[R];
  d.w = in.ptr[W];
  d.k = in.ptr[K];
  d.v = in.ptr[V];
  d.kappa = in.ptr[KAPPA];
  d.a = in.ptr[A];
  return d;
}

}  // namespace

ATTNLAB_COLD VariantInfo Rwkv7::info() {
  VariantInfo v;
  v.id = "rwkv7";
  v.name = "RWKV-7 (Goose)";
  v.family = "rwkv";
  v.year = 2025;
  v.paper = "Peng et al. 2025, RWKV-7 \"Goose\" with Expressive Dynamic State Evolution";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = {{"r", {"dk"}, true, -1e300, 1e300, false, false, "receptance (the query)"},
              {"w", {"dk"}, true, 0, 1, true, false,
               "decay per key channel, in (0, 1], data dependent (the layer keeps it above e^-0.6065)",
               "uniform 0.55 0.999"},
              {"k", {"dk"}, true, -1e300, 1e300, false, false, "replacement key: where v is written"},
              {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"},
              {"kappa", {"dk"}, true, -1e300, 1e300, false, false,
               "removal key, unit length: the direction read out of the state and removed", "unit"},
              {"a", {"dk"}, true, 0, 1, false, false,
               "in-context learning rate per key channel, in [0, 1]: how much of the removal happens",
               "uniform 0.01 0.99"}};
  const OptionSpec scale = scale_option(1, "multiplies r (the official code uses 1)");
  v.options = {scale};
  v.state_dims = {"dk", "dv"};
  v.state_note = "S: dk rows (key) by dv columns (value), row-major (the official code stores the transpose)";
  v.selective = true;
  v.forgetting = "delta";
  v.recurrence =
      "S <- diag(w_t) S - (kappa_t*a_t)(kappa_t^T S) + k_t v_t^T  (removal from the old state);  o_t = S^T r_t";
  v.default_chunk = 16;
  return v;
}

ATTNLAB_COLD Status Rwkv7::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  p->scale = static_cast<float>(cfg.num("scale"));
  return {};
}

ATTNLAB_COLD double Rwkv7::workspace(const Params& p, long n, Form f, int chunk) {
  switch (f) {
    case Form::parallel: return wy::dplr_workspace(n, static_cast<int>(n), p.dk, p.dv);
    case Form::recurrent: return p.dk + p.dv;
    case Form::chunkwise: return wy::dplr_workspace(n, chunk, p.dk, p.dv);
  }
  return 0;
}

ATTNLAB_COLD void Rwkv7::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.dk) * p.dv, 0.f); }

void Rwkv7::step(const Params& p, const Token& tok, State& s, float* out) {
  // The removal reads the state before this token's decay: a read pass, then one fused pass.
  prim::dplr_update_read(s.data.data(), tok[W], tok[KAPPA], tok[A], tok[K], tok[V], tok[R], out, p.dk, p.dv);
  if (p.scale != 1.f) prim::scale(p.scale, out, p.dv);
}

void Rwkv7::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  wy::dplr_chunkwise(wy_inputs(in), n, static_cast<int>(n), p.dk, p.dv, p.scale, s.data.data(), true, out);
}

void Rwkv7::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  wy::dplr_chunkwise(wy_inputs(in), n, chunk, p.dk, p.dv, p.scale, s.data.data(), false, out);
}

ATTNLAB_COLD void Rwkv7::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const int dk = p.dk, dv = p.dv;
  double* S = s.data.data();
  std::vector<double> x(static_cast<size_t>(dv));
  for (long t = 0; t < n; ++t) {
    const float *r = in.row(R, t), *w = in.row(W, t), *k = in.row(K, t), *v = in.row(V, t);
    const float *kappa = in.row(KAPPA, t), *a = in.row(A, t);
    for (int c = 0; c < dv; ++c) {
      double sk = 0;
      for (int i = 0; i < dk; ++i) sk += static_cast<double>(kappa[i]) * S[i * dv + c];
      x[c] = sk;
    }
    for (int i = 0; i < dk; ++i) {
      const double rm = static_cast<double>(kappa[i]) * a[i];
      for (int c = 0; c < dv; ++c)
        S[i * dv + c] = w[i] * S[i * dv + c] - rm * x[c] + static_cast<double>(k[i]) * v[c];
    }
    for (int c = 0; c < dv; ++c) {
      double o = 0;
      for (int i = 0; i < dk; ++i) o += static_cast<double>(r[i]) * S[i * dv + c];
      out[t * dv + c] = static_cast<double>(p.scale) * o;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// RWKV-7 (rwkv7.cpp); sc = 1 when scale != 1.
// recurrent  n dk dv (kappa^T S) + n dk dv (decay) + n dk (c = -kappa a) + n dk dv (removal)
//            + n dk dv (write) + n dk dv (read) + sc n dv; no exps.
// parallel, chunkwise  core/wy_chunk.cpp (wy::dplr_cost).
void Rwkv7::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv, sc = p.scale != 1.f ? 1 : 0;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    term(r, "read kappa^T S", n * dk * dv, "n dk dv");
    term(r, "decay diag(w) S", n * dk * dv, "n dk dv");
    elem(r, "removal key c = -kappa a", n * dk, "n dk");
    term(r, "removal S += c x^T", n * dk * dv, "n dk dv");
    term(r, "write S += k v^T", n * dk * dv, "n dk dv");
    term(r, "read S^T r", n * dk * dv, "n dk dv");
    if (sc) elem(r, "output scale", n * dv, "n dv");
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return;
  }
  wy::dplr_cost(c, dk, dv, p.scale != 1.f, r);
}

}  // namespace attnlab
