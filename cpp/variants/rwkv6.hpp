// RWKV-6 "Finch" time mixing (Peng et al. 2024, Eagle and Finch), docs/variants.md §6.
//
//   o_t = S_{t-1}ᵀ r_t + (r_t·(u⊙k_t)) v_t          read before write: token t meets the old state
//   S_t = diag(w_t) S_{t-1} + k_t v_tᵀ               and only itself through the bonus u
//                                   r, k, w: (n, dk), v: (n, dv), u: (dk), o: (n, dv), S: (dk, dv)
//
// A matrix-state linear attention whose per-key decay w_t in (0, 1] is data dependent (the layer
// makes it from the token through a LoRA; here it is an input). Token t's own decay does not touch
// its readout: past token j is weighted by prod_{s=j+1}^{t-1} w_s (GLA's product runs to t).
// `scale` (default 1, as in the official kernels) multiplies r.
//   parallel   the n x n weight matrix A_tj = sum_i r_ti k_ji e^{sum_{s=j+1}^{t-1} log w_si} for j < t
//              (only j < t is ever exponentiated, so every exponent is <= 0), the u term on the
//              diagonal, then A V: n^2 dk / 2 exps, n^2 dk / 2 + n^2 dv macs
//   recurrent  read, bonus, decay, write: about 3 dk dv + 2 dk macs per token
//   chunkwise  chunked::run (core/chunked.hpp) with per-key log decay log w and the bonus u
//   reference  float64, the recurrence above in plain loops (official wkv6 kernel order)
// State layout: S, dk rows (key) by dv columns (value), row-major; empty state zeros.
// Rwkv5 (rwkv5.hpp) is the same code with one decay vector shared by every token.
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Rwkv6 {
  struct Params {
    int dk = 0, dv = 0;
    float scale = 1.f;
    bool static_w = false;  // RWKV-5: w is one per-channel row used at every token
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
