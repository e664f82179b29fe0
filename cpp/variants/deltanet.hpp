// DeltaNet: linear attention that writes with the delta rule (Schlag, Irie, Schmidhuber 2021;
// parallelised over the sequence by Yang et al. 2024), docs/variants.md §8.
//
//   u_t = beta_t (v_t - S_{t-1}ᵀ k_t);  S_t = S_{t-1} + k_t u_tᵀ;  o_t = S_tᵀ (scale q_t)
//                  q, k: (n, dk), v: (n, dv), beta: (n, 1), o: (n, dv), S: (dk, dv)
//
// Plain linear attention only ever adds k vᵀ, so old associations pile up under similar keys. The
// delta rule first reads what the state stores under k_t and replaces a fraction beta_t of it by v_t:
// S_t = (I - beta_t k_t k_tᵀ) S_{t-1} + beta_t k_t v_tᵀ. With a unit key and beta = 1 the state then
// returns v_t for k_t exactly; 0 < beta ||k||² < 2 keeps each step contractive (§15.5).
//   parallel   core/wy_chunk.hpp with one chunk of n: the n x n unit lower triangular system
//              (I + tril(diag(beta) K Kᵀ, -1)) U = beta ⊙ V by forward substitution, then
//              O = tril(Q Kᵀ) U: 2 n² dk + 1.5 n² dv macs, n² floats
//   recurrent  Sᵀk, rank-1 write, read: 3 dk dv macs per token
//   chunkwise  the WY / UT form per chunk of C (default 64): about 2 C dk + 1.5 C dv + 3 dk dv macs per
//              token, C² floats
//   reference  float64, the recurrence above in plain loops (fla's delta_rule_recurrence order)
// State layout: S, dk rows (key) by dv columns (value), row-major; empty state zeros.
// GatedDeltaNet (gated_deltanet.hpp) is the same code with the decay e^{g_t} applied before each write.
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct DeltaNet {
  struct Params {
    int dk = 0, dv = 0;
    float scale = 1.f;
    bool gated = false;  // gated DeltaNet: input g, S <- e^{g_t} S before the delta update
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
