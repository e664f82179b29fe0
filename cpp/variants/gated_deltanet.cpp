#include "variants/gated_deltanet.hpp"

namespace attnlab {

ATTNLAB_COLD VariantInfo GatedDeltaNet::info() {
  VariantInfo v = DeltaNet::info();
  v.id = "gated_deltanet";
  v.name = "Gated DeltaNet";
  v.year = 2024;
  v.paper = "Yang, Kautz, Hatamizadeh 2024, Gated Delta Networks: Improving Mamba2 with Delta Rule";
  v.inputs.push_back({"g", {"1"}, true, -1e300, 0, false, false,
                      "log decay <= 0: the whole state is multiplied by e^g before the delta update",
                      "uniform -2 -0.01"});
  v.recurrence =
      "S <- e^{g_t} S;  u_t = beta_t (v_t - S^T k_t);  S <- S + k_t u_t^T;  o_t = S^T q_t  (decay, then delta)";
  return v;
}

ATTNLAB_COLD Status GatedDeltaNet::params(const Config& cfg, Params* p) {
  Status st = DeltaNet::params(cfg, p);
  p->gated = true;
  return st;
}

}  // namespace attnlab
