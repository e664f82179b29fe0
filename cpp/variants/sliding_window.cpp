#include "variants/sliding_window.hpp"

namespace attnlab {

ATTNLAB_COLD VariantInfo SlidingWindow::info() {
  VariantInfo v = Softmax::info();
  v.id = "sliding_window";
  v.name = "Sliding-window attention";
  v.family = "softmax";
  v.year = 2020;
  v.paper = "Beltagy et al. 2020, Longformer; Jiang et al. 2023, Mistral 7B";
  OptionSpec w;
  w.name = "window";
  w.def = 64;
  w.lo = 1;
  w.hi = 16777216;
  w.integer = true;
  w.note = "tokens each query sees, itself included";
  v.options = {w, v.options[0]};
  v.state_dims = {"window", "dk+dv"};
  v.state_note = "the last min(t, window) rows [k_j, v_j], oldest first";
  v.forgetting = "window";
  v.recurrence = "cache = last w of (k, v);  o_t = sum_{t-w<j<=t} softmax_j(scale q_t.k_j) v_j";
  return v;
}

ATTNLAB_COLD Status SlidingWindow::params(const Config& cfg, Params* p) {
  Status st = Softmax::params(cfg, p);
  p->window = static_cast<long>(cfg.num("window"));
  return st;
}

}  // namespace attnlab
