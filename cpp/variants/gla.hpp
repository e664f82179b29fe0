// Gated linear attention (Yang et al. 2023), docs/variants.md §4: a decay per key channel, chosen by the
// data at every token.
//
//   S_t = diag(e^{g_t}) S_{t-1} + k_t v_tᵀ ;  o_t = scale · S_tᵀ q_t
//                       q, k, g: (n, dk) with g = log α <= 0, v: (n, dv), o: (n, dv)
//
// Each key channel forgets at its own rate, and the rate depends on the token (selective
// forgetting). Token t's own write is never decayed by its own gate. The weight of key j in query
// t is sum_i q_ti k_ji e^{g_{j+1,i} + ... + g_{t,i}}: no single matmul computes it, so the parallel
// form pays dk exps per (t, j) pair.
//   parallel   chunked::run with chunk n: dk exps and 2 dk macs per visible pair (n(n+1)/2 pairs),
//              plus n²dv macs for A V; the n x n matrix
//   recurrent  dk exps, row decay, rank-1 write, read: 3 dk·dv macs per token
//   chunkwise  chunked::run, chunk C: the same element-wise intra term per chunk (≈ n C dk / 2 exps
//              in all), inter and state as gemms (2 n dk dv macs), C x C scratch
//   reference  float64, the recurrence above in plain loops (fla naive_recurrent_gla)
// State layout: S, dk x dv row-major (rows = key index).
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Gla {
  struct Params {
    int dk = 0, dv = 0;
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
