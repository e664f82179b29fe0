// Sliding-window softmax attention (Longformer / Mistral style local attention), variants.md §1.
//
//   o_t = sum_{t-w<j<=t} softmax_j(scale * q_t.k_j) v_j
//
// Softmax restricted to the last `window` tokens (the current one included), so the cache stops
// growing at window x (dk + dv) floats: a fixed state bought by forgetting everything older.
// Same kernels as Softmax (softmax.cpp); only the info and the window option differ.
#pragma once

#include "variants/softmax.hpp"

namespace attnlab {

struct SlidingWindow : Softmax {
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static double workspace(const Params& p, long n, Form f, int chunk);
};

}  // namespace attnlab
