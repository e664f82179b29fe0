// Mamba (S6) selective scan (Gu & Dao 2023), docs/variants.md §9: D independent channels, each a
// diagonal recurrence over N states whose decay the data picks per token and per channel.
//
//   h_t[d,i] = e^{Δ_t[d] A[d,i]} h_{t-1}[d,i] + Δ_t[d] B_t[i] u_t[d]
//   y_t[d]   = Σ_i C_t[i] h_t[d,i] + Dskip[d] u_t[d]
//        u, delta: (n, D) with Δ > 0, B, C: (n, N), A: (D, N) < 0, Dskip: (D), y: (n, D)
//
// Δ_t[d] large: channel d forgets fast and writes the token hard; small: it keeps its past
// (selective forgetting). B̄ = ΔB is the Euler simplification the reference code uses; Ā = e^{ΔA}
// stays exact. Channel d is per-key GLA with dk = N, dv = 1: query C, key B, value Δ[d] u[d], log
// decay Δ[d] A[d,:]. The parallel and chunkwise forms run exactly that through chunked::run, one
// channel at a time, over blocks so that the temporaries stay one block long.
//   parallel   the only quadratic form there is: y_t[d] = Σ_{s<=t} Σ_i C_t[i] B_s[i]
//              e^{A[d,i] (Δ_{s+1}[d] + ... + Δ_t[d])} Δ_s[d] u_s[d]: O(n² D N) exps, no matmul form
//              (the decay depends on d, i and the segment), n x n scratch per channel
//   recurrent  D·N exps and ≈ 4 D·N macs per token
//   chunkwise  chunked::run per channel and block of C tokens: C² N / 2 exps per channel and block
//   reference  float64, the recurrence above in plain loops (mamba selective_scan_ref)
// State layout: h, D x N row-major (row d = the N states of channel d).
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Mamba {
  struct Params {
    int D = 0, N = 0;
  };
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static int out_width(const Params& p) { return p.D; }
  static double workspace(const Params& p, long n, Form f, int chunk);
  static void init_state(const Params& p, State& s);
  static void step(const Params& p, const Token& tok, State& s, float* out);
  static void parallel(const Params& p, const Inputs& in, long n, State& s, float* out);
  static void chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out);
  static void reference(const Params& p, const Inputs& in, long n, StateD& s, double* out);
  static void cost(const Params& p, const CostCtx& c, CostResult* r);
};

}  // namespace attnlab
