// Causal softmax attention (Vaswani et al. 2017), docs/variants.md §1.
//
//   o_t = sum_{j<=t} softmax_j(scale * q_t.k_j) v_j          q, k: (n, dk), v: (n, dv), o: (n, dv)
//
// The quadratic wall itself: every query meets every earlier key. The "state" of the recurrent form
// is the KV cache, which grows by dk + dv floats per token.
//   parallel   materialises the full n x n score matrix, as the lesson counts it (n^2 dk + n^2 dv macs)
//   recurrent  one query against the cache, stable two-pass softmax (2 t (dk+dv) flops at step t)
//   chunkwise  FlashAttention's online softmax over key blocks of `chunk`: O(n) memory, masked blocks skipped
//   reference  float64, plain loops over the definition
// State layout: row j = [k_j (dk), v_j (dv)], one row per cached token, oldest first.
// SlidingWindow (sliding_window.hpp) is the same code with a finite `window`.
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Softmax {
  struct Params {
    int dk = 0, dv = 0;
    float scale = 1.f;
    long window = 0;  // 0: attend to the whole past; w: only the last w tokens (self included)
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
