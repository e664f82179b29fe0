// RWKV-5 "Eagle" time mixing (Peng et al. 2024, Eagle and Finch), docs/variants.md §6.
//
//   o_t = S_{t-1}ᵀ r_t + (r_t·(u⊙k_t)) v_t          read before write, as RWKV-6
//   S_t = diag(w) S_{t-1} + k_t v_tᵀ                 one static decay w in (0, 1] per key channel
//                               r, k: (n, dk), v: (n, dv), w, u: (dk), o: (n, dv), S: (dk, dv)
//
// The first RWKV with a matrix state: each key channel forgets at its own learned but fixed rate,
// the same for every token (RWKV-6 then made w depend on the token). `scale` (default 1, as in the
// official kernels) multiplies r.
//   parallel   A_tj = sum_i r_ti k_ji w_i^{t-1-j} (j < t, as e^{(t-1-j) log w_i}), the u term on the
//              diagonal, then A V: n^2 dk / 2 exps, n^2 dk / 2 + n^2 dv macs
//   recurrent  read, bonus, decay, write: about 3 dk dv + 2 dk macs per token
//   chunkwise  chunked::run (core/chunked.hpp) with one per-key log decay row for every token
//   reference  float64, the recurrence above in plain loops (official wkv5 kernel order)
// State layout: S, dk rows (key) by dv columns (value), row-major; empty state zeros.
// Same kernels as Rwkv6 (rwkv6.cpp) with the decay row held fixed; rwkv5.cpp holds its info.
#pragma once

#include "variants/rwkv6.hpp"

namespace attnlab {

// A derived variant: Rwkv6's kernels, cost and reference, with its own info and options.
struct Rwkv5 : Rwkv6 {
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
};

}  // namespace attnlab
