// Sliding-window softmax attention (Longformer / Mistral style local attention), docs/variants.md §1.
//
//   o_t = sum_{t-w<j<=t} softmax_j(scale * q_t.k_j) v_j
//
// Softmax restricted to the last `window` tokens (the current one included), so the cache stops
// growing at window x (dk + dv) floats: a fixed state bought by forgetting everything older.
// A derived variant: Softmax's kernels, cost and reference (softmax.cpp); sliding_window.cpp holds
// its info and the window option.
#pragma once

#include "variants/softmax.hpp"

namespace attnlab {

struct SlidingWindow : Softmax {
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
};

}  // namespace attnlab
