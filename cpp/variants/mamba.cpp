#include "variants/mamba.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/chunked.hpp"
#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { U, DELTA, A, B, C, DSKIP };

// Blocks of `block` tokens; in each, every channel is one chunk of chunked::run with dk = N, dv = 1.
// fresh: the state S is written, not read (parallel form, block >= n).
void blocks(const Mamba::Params& p, const Inputs& in, long n, long block, float* S, bool fresh, float* out) {
  const long Bk = std::min(block, n);
  const int D = p.D, N = p.N;
  std::vector<float> g(static_cast<size_t>(Bk * N)), val(static_cast<size_t>(Bk)), y(static_cast<size_t>(Bk));
  chunked::Scratch ws;
  for (long t0 = 0; t0 < n; t0 += Bk) {
    const long L = std::min(Bk, n - t0);
    for (int d = 0; d < D; ++d) {
      const float* Ad = in.ptr[A] + static_cast<long>(d) * N;
      for (long i = 0; i < L; ++i) {
        const float dt = in.row(DELTA, t0 + i)[d];
        for (int c = 0; c < N; ++c) g[static_cast<size_t>(i * N + c)] = dt * Ad[c];
        val[static_cast<size_t>(i)] = dt * in.row(U, t0 + i)[d];
      }
      ATTNLAB_COUNT_MACS(L * (N + 1));
      chunked::Problem c;
      c.n = L;
      c.dk = N;
      c.dv = 1;
      c.q = in.row(C, t0);
      c.q_stride = N;
      c.k = in.row(B, t0);
      c.k_stride = N;
      c.v = val.data();
      c.v_stride = 1;
      c.decay = chunked::Decay::per_key;
      c.g = g.data();
      c.g_stride = N;
      c.fresh = fresh;
      chunked::run(c, static_cast<int>(L), S + static_cast<long>(d) * N, y.data(), ws);
      const float skip = in.ptr[DSKIP][d];
      for (long i = 0; i < L; ++i) out[(t0 + i) * D + d] = y[static_cast<size_t>(i)] + skip * in.row(U, t0 + i)[d];
      ATTNLAB_COUNT_MACS(L);
    }
  }
}

}  // namespace

ATTNLAB_COLD VariantInfo Mamba::info() {
  VariantInfo v;
  v.id = "mamba";
  v.name = "Mamba (S6 selective scan)";
  v.family = "ssm";
  v.year = 2023;
  v.paper = "Gu & Dao 2023, Mamba: Linear-Time Sequence Modeling with Selective State Spaces";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"D", "N"};
  v.inputs = {{"u", {"D"}, true, -1e300, 1e300, false, false, "input, one value per channel"},
              {"delta", {"D"}, true, 0, 1e300, true, false,
               "step size per channel (> 0): decay exp(delta A), write scaled by delta", "uniform 0.01 1"},
              {"A", {"D", "N"}, false, -1e300, 0, false, true,
               "state decay rates per channel and state (< 0); S4D-real init A[d,i] = -(i+1)", "uniform -4 -0.5"},
              {"B", {"N"}, true, -1e300, 1e300, false, false, "input projection into the state, shared by channels"},
              {"C", {"N"}, true, -1e300, 1e300, false, false, "output projection from the state, shared by channels"},
              {"Dskip", {"D"}, false, -1e300, 1e300, false, false, "skip connection per channel: y += Dskip u"}};
  v.options = {};
  v.state_dims = {"D", "N"};
  v.state_note = "h, D x N row-major: row d holds the N states of channel d";
  v.selective = true;
  v.forgetting = "data-dependent";
  v.recurrence = "h_t[d,i] = exp(delta_t[d] A[d,i]) h_{t-1}[d,i] + delta_t[d] B_t[i] u_t[d];  y_t[d] = C_t.h_t[d] + Dskip[d] u_t[d]";
  v.default_chunk = 64;
  v.out_size = "D";
  return v;
}

ATTNLAB_COLD Status Mamba::params(const Config& cfg, Params* p) {
  p->D = cfg.size("D");
  p->N = cfg.size("N");
  return {};
}

ATTNLAB_COLD double Mamba::workspace(const Params& p, long n, Form f, int chunk) {
  const long Bk = f == Form::parallel ? n : std::min<long>(chunk, n);
  switch (f) {
    case Form::parallel:
    case Form::chunkwise:
      return chunked::workspace(Bk, p.N, 1, static_cast<int>(Bk), chunked::Decay::per_key) +
             static_cast<double>(Bk) * (p.N + 2);
    case Form::recurrent: return p.N;
  }
  return 0;
}

ATTNLAB_COLD void Mamba::init_state(const Params& p, State& s) { s.data.assign(static_cast<size_t>(p.D) * p.N, 0.f); }

void Mamba::step(const Params& p, const Token& tok, State& s, float* out) {
  prim::selective_scan(s.data.data(), tok[A], tok[DELTA], tok[U], tok[B], tok[C], tok[DSKIP], out, p.D, p.N);
}

void Mamba::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  blocks(p, in, n, n, s.data.data(), true, out);
}

void Mamba::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  blocks(p, in, n, chunk, s.data.data(), false, out);
}

ATTNLAB_COLD void Mamba::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const int D = p.D, N = p.N;
  std::vector<double>& h = s.data;
  for (long t = 0; t < n; ++t) {
    const float* u = in.row(U, t);
    const float* delta = in.row(DELTA, t);
    const float* b = in.row(B, t);
    const float* c = in.row(C, t);
    for (int d = 0; d < D; ++d) {
      const double dt = delta[d];
      double y = double(in.ptr[DSKIP][d]) * u[d];
      for (int i = 0; i < N; ++i) {
        double& hi = h[d * N + i];
        hi = std::exp(dt * in.ptr[A][d * N + i]) * hi + dt * b[i] * u[d];
        y += c[i] * hi;
      }
      out[t * D + d] = y;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// Mamba (mamba.cpp), docs/variants.md §9; D channels of N states.
// recurrent  per token and channel: N (Delta A) + N (decay) + N (write) + N (read C.h) + 2 (Delta u,
//            Dskip u): n D (4N + 2) macs, n D N exps; state D N.
// parallel / chunkwise  blocks of min(chunk, n) tokens (parallel: one block of n); per block of L
//            and channel: L (N + 1) (Delta A, Delta u) + chunked::run with dk = N, dv = 1, per-key
//            decay, one chunk of L (parallel: no state) + L (Dskip); peak L^2 (and D N when carried).
void Mamba::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), D = p.D, N = p.N;
  r->state_floats = D * N;
  r->state_formula = "D N";
  if (c.form == Form::recurrent) {
    elem(r, "Delta A, Delta u, Dskip u", n * D * (N + 2), "n D (N + 2)");
    term(r, "decay, write, read C.h", n * D * 3 * N, "3 n D N");
    r->exps = n * D * N;
    r->exps_formula = "n D N";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return;
  }
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.n, carried ? c.chunk : static_cast<int>(c.n));
  const chunked::WorkSpec s{N, 1, chunked::Decay::per_key, false, false};
  chunked::Work w;
  w.add(chunked::work(s, static_cast<long>(ch.B), static_cast<long>(ch.B), carried), ch.q * D);
  if (ch.r > 0) w.add(chunked::work(s, static_cast<long>(ch.r), static_cast<long>(ch.r), carried), D);
  elem(r, "Delta A, Delta u, Dskip u", n * D * (N + 2), "n D (N + 2)");
  chunked::add_terms(r, w, " (per channel)");
  r->peak_floats = carried ? std::max(w.peak, r->state_floats) : w.peak;
  r->peak_formula = carried ? "max(chunk^2, D N)" : "n^2";
}

}  // namespace attnlab
