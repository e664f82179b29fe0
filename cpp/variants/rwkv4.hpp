// RWKV-4 WKV, the per-channel time mixing of RWKV-4 (Peng et al. 2023), docs/variants.md §5.
//
//   wkv_t = [sum_{i<t} e^{(t-1-i)w + k_i} v_i + e^{u+k_t} v_t] / [sum_{i<t} e^{(t-1-i)w + k_i} + e^{u+k_t}]
//                                             k, v: (n, C), w, u: (C), o: (n, C); all element-wise
//
// A decayed softmax-weighted average per channel: past token i has decayed t-1-i times by e^w (w is
// the per-step log decay, < 0, as the code writes it), the current token gets the bonus u instead.
// The receptance gate sigma(r) of the full layer is not part of the mixer: the output is wkv_t.
//   parallel   the sum above in log space: per row, the max of the t+1 exponents is subtracted
//              before exp (O(n^2 C) exps, an n-float row per channel and step)
//   recurrent  the stable (a, b, p) recurrence of the CUDA kernel: numerator a e^p, denominator b e^p
//              with a shared running exponent p, 4 exps and 6 macs per channel and token
//   chunkwise  none: the state is 3 scalars per channel, so chunks would batch no matmul
//   reference  float64, the same (a, b, p) recurrence (the kernel's algorithm), so the reference
//              state is comparable element for element
// State layout: [a (C), b (C), p (C)]; empty state a = b = 0, p = -1e38 (the CUDA/HF sentinel).
// p = -inf is accepted too: k_t is finite, so every max below is finite and no (-inf) - (-inf) occurs.
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Rwkv4 {
  struct Params {
    int C = 0;
  };
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static int out_width(const Params& p) { return p.C; }
  static double workspace(const Params& p, long n, Form f, int chunk);
  static void init_state(const Params& p, State& s);
  static void step(const Params& p, const Token& tok, State& s, float* out);
  static void parallel(const Params& p, const Inputs& in, long n, State& s, float* out);
  static void reference(const Params& p, const Inputs& in, long n, StateD& s, double* out);
  static void cost(const Params& p, const CostCtx& c, CostResult* r);
};

}  // namespace attnlab
