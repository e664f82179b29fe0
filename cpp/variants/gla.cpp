#include "variants/gla.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/chunked.hpp"
#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { Q, K, V, G };

// Reused scratch so that a step does not allocate (the core is single-threaded).
float* scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

chunked::Problem problem(const Gla::Params& p, const Inputs& in, long n) {
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
  c.decay = chunked::Decay::per_key;
  c.g = in.ptr[G];
  c.g_stride = p.dk;
  return c;
}

// The q scale is linear in the output, so the chunked forms apply it once at the end.
void apply_scale(const Gla::Params& p, float* out, long n) {
  if (p.scale != 1) prim::scale(static_cast<float>(p.scale), out, static_cast<int>(n * p.dv));
}

}  // namespace

ATTNLAB_COLD VariantInfo Gla::info() {
  VariantInfo v;
  v.id = "gla";
  v.name = "Gated linear attention";
  v.family = "linear";
  v.year = 2023;
  v.paper = "Yang et al. 2023, Gated Linear Attention Transformers with Hardware-Efficient Training";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = {{"q", {"dk"}, true, -1e300, 1e300, false, false, "query"},
              {"k", {"dk"}, true, -1e300, 1e300, false, false, "key"},
              {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"},
              {"g", {"dk"}, true, -1e300, 0, false, false,
               "log decay per key channel (<= 0): row i of the state is multiplied by e^g before the write",
               "uniform -5 -0.01"}};
  const OptionSpec scale = scale_option(1, "multiplies q (fla's GLA uses 1/sqrt(dk))");
  v.options = {scale};
  v.state_dims = {"dk", "dv"};
  v.state_note = "S, dk x dv row-major (rows = key index)";
  v.selective = true;
  v.forgetting = "data-dependent";
  v.recurrence = "S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T;  o_t = S_t^T q_t";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status Gla::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  p->scale = cfg.num("scale");
  return {};
}

ATTNLAB_COLD double Gla::workspace(const Params& p, long n, Form f, int chunk) {
  switch (f) {
    case Form::parallel: return chunked::workspace(n, p.dk, p.dv, static_cast<int>(n), chunked::Decay::per_key);
    case Form::recurrent: return p.dk;
    case Form::chunkwise: return chunked::workspace(n, p.dk, p.dv, chunk, chunked::Decay::per_key);
  }
  return 0;
}

ATTNLAB_COLD void Gla::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.dk) * p.dv, 0.f); }

void Gla::step(const Params& p, const Token& tok, State& s, float* out) {
  float* S = s.data.data();
  float* a = scratch(static_cast<size_t>(p.dk));
  std::copy(tok[G], tok[G] + p.dk, a);
  prim::exp_shifted(a, p.dk, 0.f);  // a = e^g in place
  prim::decay_update_read(S, a, tok[K], tok[V], tok[Q], out, p.dk, p.dv);
  if (p.scale != 1) prim::scale(static_cast<float>(p.scale), out, p.dv);
}

void Gla::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  chunked::Problem pr = problem(p, in, n);
  pr.fresh = true;
  chunked::run(pr, static_cast<int>(n), s.data.data(), out);
  apply_scale(p, out, n);
}

void Gla::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  chunked::run(problem(p, in, n), chunk, s.data.data(), out);
  apply_scale(p, out, n);
}

ATTNLAB_COLD void Gla::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  std::vector<double>& S = s.data;
  for (long t = 0; t < n; ++t) {
    const float* q = in.row(Q, t);
    const float* k = in.row(K, t);
    const float* v = in.row(V, t);
    const float* g = in.row(G, t);
    for (int i = 0; i < p.dk; ++i) {
      const double a = std::exp(double(g[i]));
      for (int j = 0; j < p.dv; ++j) S[i * p.dv + j] = a * S[i * p.dv + j] + double(k[i]) * v[j];
    }
    for (int j = 0; j < p.dv; ++j) {
      double o = 0;
      for (int i = 0; i < p.dk; ++i) o += p.scale * q[i] * S[i * p.dv + j];
      out[t * p.dv + j] = o;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// GLA (gla.cpp), docs/variants.md §4. s = 1 when scale != 1.
// recurrent  n dk exps (e^g); n dk dv (row decay) + n dk dv (write) + n dk dv (read) + s n dv.
// parallel   chunked::run, per-key decay from the data, chunk n, fresh state: 2 dk n(n+1)/2 (q.e.k
//            per visible pair) + n^2 dv + n dk dv + n dk (final state); exps dk n(n+1)/2 + n dk;
//            + s n dv; peak n^2.
// chunkwise  chunked::run, per-key decay, state carried, + s n dv; peak max(C^2, dk dv).
void Gla::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    r->exps = n * dk;
    r->exps_formula = "n dk";
    term(r, "decay diag(e^g) S", n * dk * dv, "n dk dv");
    term(r, "write S += k v^T", n * dk * dv, "n dk dv");
    term(r, "read S^T q", n * dk * dv, "n dk dv");
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
  } else {
    chunked::forms_cost(c, r, {dk, dv, chunked::Decay::per_key, false, false});
  }
  if (p.scale != 1) elem(r, "output scale", n * dv, "n dv");
}

}  // namespace attnlab
