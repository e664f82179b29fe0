// Gated DeltaNet (Yang, Kautz, Hatamizadeh 2024, Gated Delta Networks), docs/variants.md §8.
//
//   S'_t = e^{g_t} S_{t-1};  u_t = beta_t (v_t - S'_tᵀ k_t);  S_t = S'_t + k_t u_tᵀ;  o_t = S_tᵀ (scale q_t)
//          q, k: (n, dk), v: (n, dv), beta, g: (n, 1) with g <= 0, o: (n, dv), S: (dk, dv)
//
// DeltaNet plus Mamba-2's scalar forget gate: the whole state decays by e^{g_t} first, then the delta
// rule edits the decayed state (fla's order; RWKV-7 instead removes from the state before decaying
// it). Decay clears everything at once, the delta rule one key at a time.
//   parallel   core/wy_chunk.hpp with one chunk of n; the scores carry the decay
//              prod_{s=j+1}^{t} e^{g_s} as a running product (every factor <= 1):
//              2 n² dk + 1.5 n² dv macs, n exps, n² floats
//   recurrent  decay, Sᵀk, rank-1 write, read: 4 dk dv macs and one exp per token
//   chunkwise  the WY / UT form with scalar decay per chunk of C (default 64): about
//              2 C dk + 1.5 C dv + 3 dk dv macs and one exp per token, C² floats
//   reference  float64, the recurrence above in plain loops (fla's gated_delta_rule order)
// State layout: S, dk rows (key) by dv columns (value), row-major; empty state zeros.
// The kernels are DeltaNet's (deltanet.cpp); only the info, the input g and the flag differ.
#pragma once

#include "variants/deltanet.hpp"

namespace attnlab {

struct GatedDeltaNet : DeltaNet {
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
};

}  // namespace attnlab
