#include "variants/mamba2.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/chunked.hpp"
#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { X, DELTA, B, C };

// Reused scratch so that a step does not allocate (the core is single-threaded).
float* scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Blocks of `block` tokens through chunked::run (one chunk per block): the value Δx and the log
// decay ΔA are built for one block at a time. fresh: S is written, not read (parallel form,
// block >= n).
void blocks(const Mamba2::Params& p, const Inputs& in, long n, long block, float* S, bool fresh, float* out) {
  const long Bk = std::min(block, n);
  std::vector<float> dx(static_cast<size_t>(Bk * p.P)), g(static_cast<size_t>(Bk));
  chunked::Scratch ws;
  const float A = static_cast<float>(p.A);
  for (long t0 = 0; t0 < n; t0 += Bk) {
    const long L = std::min(Bk, n - t0);
    for (long i = 0; i < L; ++i) {
      const float d = in.row(DELTA, t0 + i)[0];
      std::copy(in.row(X, t0 + i), in.row(X, t0 + i) + p.P, dx.data() + i * p.P);
      prim::scale(d, dx.data() + i * p.P, p.P);
      g[static_cast<size_t>(i)] = d * A;
    }
    ATTNLAB_COUNT_MACS(L);
    chunked::Problem c;
    c.n = L;
    c.dk = p.N;
    c.dv = p.P;
    c.q = in.row(C, t0);
    c.q_stride = p.N;
    c.k = in.row(B, t0);
    c.k_stride = p.N;
    c.v = dx.data();
    c.v_stride = p.P;
    c.decay = chunked::Decay::scalar;
    c.g = g.data();
    c.g_stride = 1;
    c.fresh = fresh;
    chunked::run(c, static_cast<int>(L), S, out + t0 * p.P, ws);
  }
  if (p.Dskip != 0)
    for (long t = 0; t < n; ++t) prim::axpy(static_cast<float>(p.Dskip), in.row(X, t), out + t * p.P, p.P);
}

}  // namespace

ATTNLAB_COLD VariantInfo Mamba2::info() {
  VariantInfo v;
  v.id = "mamba2";
  v.name = "Mamba-2 (SSD)";
  v.family = "ssm";
  v.year = 2024;
  v.paper = "Dao & Gu 2024, Transformers are SSMs: Generalized Models and Efficient Algorithms Through Structured State Space Duality";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"N", "P"};
  v.inputs = {{"x", {"P"}, true, -1e300, 1e300, false, false, "input of the head (the value, before the step size)"},
              {"delta", {"1"}, true, 0, 1e300, true, false,
               "step size (> 0): the decay is exp(delta A), the write is scaled by delta", "uniform 0.01 1"},
              {"B", {"N"}, true, -1e300, 1e300, false, false, "input projection into the state (the key)"},
              {"C", {"N"}, true, -1e300, 1e300, false, false, "output projection from the state (the query)"}};
  OptionSpec A;
  A.name = "A";
  A.def = -1;
  A.hi = 0;
  A.hi_open = true;
  A.note = "state decay rate of the head (< 0), default -1; the module learns A = -exp(A_log)";
  OptionSpec D;
  D.name = "Dskip";
  D.def = 0;
  D.note = "skip connection y += Dskip x, default 0";
  v.options = {A, D};
  v.state_dims = {"N", "P"};
  v.state_note = "h, N x P row-major: row i is state index i (key B_i), column j is channel j of x";
  v.selective = true;
  v.forgetting = "data-dependent";
  v.recurrence = "h_t = exp(delta_t A) h_{t-1} + B_t (delta_t x_t)^T;  y_t = h_t^T C_t + Dskip x_t";
  v.default_chunk = 64;
  v.out_size = "P";
  return v;
}

ATTNLAB_COLD Status Mamba2::params(const Config& cfg, Params* p) {
  p->N = cfg.size("N");
  p->P = cfg.size("P");
  p->A = cfg.num("A");
  p->Dskip = cfg.num("Dskip");
  return {};
}

ATTNLAB_COLD double Mamba2::workspace(const Params& p, long n, Form f, int chunk) {
  const long Bk = f == Form::parallel ? n : std::min<long>(chunk, n);
  switch (f) {
    case Form::parallel:
    case Form::chunkwise:
      return chunked::workspace(Bk, p.N, p.P, static_cast<int>(Bk), chunked::Decay::scalar) +
             static_cast<double>(Bk) * (p.P + 1);
    case Form::recurrent: return p.P;
  }
  return 0;
}

ATTNLAB_COLD void Mamba2::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.N) * p.P, 0.f); }

void Mamba2::step(const Params& p, const Token& tok, State& s, float* out) {
  float* h = s.data.data();
  const float d = tok[DELTA][0];
  ATTNLAB_COUNT_MACS(1);
  const float a = prim::exp(d * static_cast<float>(p.A));
  float* dx = scratch(static_cast<size_t>(p.P));
  std::copy(tok[X], tok[X] + p.P, dx);
  prim::scale(d, dx, p.P);
  prim::decay_update_read(h, a, tok[B], dx, tok[C], out, p.N, p.P);
  if (p.Dskip != 0) prim::axpy(static_cast<float>(p.Dskip), tok[X], out, p.P);
}

void Mamba2::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  blocks(p, in, n, n, s.data.data(), true, out);
}

void Mamba2::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  blocks(p, in, n, chunk, s.data.data(), false, out);
}

ATTNLAB_COLD void Mamba2::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  std::vector<double>& h = s.data;
  for (long t = 0; t < n; ++t) {
    const float* x = in.row(X, t);
    const double delta = in.row(DELTA, t)[0];
    const float* b = in.row(B, t);
    const float* c = in.row(C, t);
    const double a = std::exp(delta * p.A);
    for (int i = 0; i < p.N; ++i)
      for (int j = 0; j < p.P; ++j) h[i * p.P + j] = a * h[i * p.P + j] + double(b[i]) * (delta * x[j]);
    for (int j = 0; j < p.P; ++j) {
      double y = p.Dskip * x[j];
      for (int i = 0; i < p.N; ++i) y += h[i * p.P + j] * c[i];
      out[t * p.P + j] = y;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// Mamba-2 (mamba2.cpp), docs/variants.md §9; state N x P, d = 1 when Dskip != 0.
// recurrent  per token 1 (Delta A) + N P (decay) + P (Delta x) + N P (write) + N P (read) + d P;
//            1 exp.
// parallel / chunkwise  blocks of min(chunk, n) (parallel: one block of n): n (P + 1) (Delta x,
//            Delta A) + chunked::run per block (dk = N, dv = P, scalar decay per token, one chunk
//            of L; parallel: no state) + d n P; peak L^2 (and N P when carried).
void Mamba2::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), N = p.N, P = p.P, d = p.Dskip != 0 ? 1 : 0;
  r->state_floats = N * P;
  r->state_formula = "N P";
  if (c.form == Form::recurrent) {
    elem(r, "Delta A, Delta x", n * (1 + P), "n (1 + P)");
    term(r, "decay e^(Delta A) h", n * N * P, "n N P");
    term(r, "write h += B (Delta x)^T", n * N * P, "n N P");
    term(r, "read h^T C", n * N * P, "n N P");
    if (d) elem(r, "skip Dskip x", n * P, "n P");
    r->exps = n;
    r->exps_formula = "n";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return;
  }
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.n, carried ? c.chunk : static_cast<int>(c.n));
  const chunked::WorkSpec s{N, P, chunked::Decay::scalar, false, false};
  chunked::Work w;
  w.add(chunked::work(s, static_cast<long>(ch.B), static_cast<long>(ch.B), carried), ch.q);
  if (ch.r > 0) w.add(chunked::work(s, static_cast<long>(ch.r), static_cast<long>(ch.r), carried));
  elem(r, "Delta x, Delta A", n * (P + 1), "n (P + 1)");
  chunked::add_terms(r, w);
  if (d) elem(r, "skip Dskip x", n * P, "n P");
  r->peak_floats = carried ? std::max(w.peak, r->state_floats) : w.peak;
  r->peak_formula = carried ? "max(chunk^2, N P)" : "n^2";
}

}  // namespace attnlab
