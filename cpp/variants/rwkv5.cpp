#include "variants/rwkv5.hpp"

namespace attnlab {

ATTNLAB_COLD VariantInfo Rwkv5::info() {
  VariantInfo v = Rwkv6::info();
  v.id = "rwkv5";
  v.name = "RWKV-5 (Eagle)";
  v.year = 2024;
  // Same inputs in the same order; only w stops being per token.
  v.inputs[3].per_token = false;
  v.inputs[3].note = "decay per key channel, in (0, 1], the same at every token";
  v.selective = false;
  v.forgetting = "fixed";
  v.recurrence = "o_t = S^T r_t + (r_t.(u*k_t)) v_t;  S <- diag(w) S + k_t v_t^T  (read before write)";
  return v;
}

ATTNLAB_COLD Status Rwkv5::params(const Config& cfg, Params* p) {
  Status st = Rwkv6::params(cfg, p);
  p->static_w = true;
  return st;
}

}  // namespace attnlab
