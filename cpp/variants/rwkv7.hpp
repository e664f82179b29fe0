// RWKV-7 "Goose" time mixing (Peng et al. 2025), the generalized delta rule, docs/variants.md §7.
//
//   S_t = diag(w_t) S_{t-1} - (kappa_t ⊙ a_t)(kappa_tᵀ S_{t-1}) + k_t v_tᵀ;   o_t = S_tᵀ (scale r_t)
//          r, w, k, kappa, a: (n, dk), v: (n, dv), o: (n, dv), S: (dk, dv)
//
// A per-key data-dependent decay (as RWKV-6) plus a delta-rule removal whose direction kappa (a unit
// key) is separate from the key k that is written, with a per-key strength a in [0, 1]: the
// transition diag(w) - (kappa ⊙ a) kappaᵀ is diagonal plus rank one (DPLR). The removal reads the
// state before it decays (official order; decaying first, as gated DeltaNet does, would be a
// different model), and the readout includes the current token. The layer's GroupNorm, bonus term
// and output gate sit outside the mixer and are not part of this function.
//   parallel   core/wy_chunk.hpp's DPLR form with one chunk of n: four n x n decayed score matrices
//              (per-element products inside 16-token blocks, gemms between them) and one unit lower
//              triangular solve: about 2.25 n² dk + 3.5 n² dv macs, n² floats
//   recurrent  kappaᵀS, decay, two rank-1 writes, read: 5 dk dv + dk macs per token
//   chunkwise  the DPLR form per chunk of C (default 16, fla's choice, §15.3): about
//              2 C dk + 3.5 C dv + 4 dk dv macs per token, plus up to 100 dk for the per-element
//              decays inside 16-token blocks; C² floats
//   reference  float64, the recurrence above in plain loops (fla dplr_recurrence order, K x V)
// State layout: S, dk rows (key) by dv columns (value), row-major (the official code keeps the
// transpose, V x K); empty state zeros.
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Rwkv7 {
  struct Params {
    int dk = 0, dv = 0;
    float scale = 1.f;
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
