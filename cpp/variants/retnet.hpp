// RetNet retention (Sun et al. 2023), docs/variants.md §3: linear attention with one fixed decay γ.
//
//   S_t = γ S_{t-1} + k_t v_tᵀ ;  o_t = scale · S_tᵀ q_t      q, k: (n, dk), v: (n, dv), o: (n, dv)
//
// Every past write fades by the same factor γ per token, whatever the data says: forgetting is
// fixed, not selective. This is unnormalised retention (fla naive_retention), the ground truth of
// §3; torchscale's per-form row normalisations differ by a per-row scalar and are left to a norm.
// It is simple GLA with g ≡ log γ, so the parallel and chunkwise forms are chunked::run with a
// scalar decay that is the same for every token.
//   parallel   O = (Q Kᵀ ⊙ D) V, D_tj = γ^{t-j} for j <= t: the n x n matrix (n²dk + n²dv macs)
//   recurrent  scale, rank-1 write, read: 3 dk·dv macs per token
//   chunkwise  chunked::run, chunk C: ≈ n C (dk + dv) + 2 n dk dv macs, C x C scratch
//   reference  float64, the recurrence above in plain loops
// State layout: S, dk x dv row-major (rows = key index).
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct RetNet {
  struct Params {
    int dk = 0, dv = 0;
    double gamma = 0.96875;  // as given; the float forms round it once
    double scale = 1;
  };
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static int out_width(const Params& p) { return p.dv; }
  static double workspace(const Params& p, long n, Form f, int chunk);
  static void init_state(const Params& p, State& s);
  static void step(const Params& p, const Token& tok, State& s, float* out);
  static void parallel(const Params& p, const Inputs& in, long n, State& s, float* out);
  static void chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out);
  static void reference(const Params& p, const Inputs& in, long n, StateD& s, double* out);
  static void cost(const Params& p, const CostCtx& c, CostResult* r);
};

}  // namespace attnlab
