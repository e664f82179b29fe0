#include "api/registry.hpp"

// One include per variant; the order is the lesson's order (and the order variants() reports).
#include "variants/softmax.hpp"
#include "variants/sliding_window.hpp"
#include "variants/linear.hpp"
#include "variants/retnet.hpp"
#include "variants/gla.hpp"
#include "variants/rwkv4.hpp"
#include "variants/rwkv5.hpp"
#include "variants/rwkv6.hpp"
#include "variants/rwkv7.hpp"
#include "variants/deltanet.hpp"
#include "variants/gated_deltanet.hpp"
#include "variants/mamba.hpp"
#include "variants/mamba2.hpp"
#include "variants/mlstm.hpp"

namespace attnlab {

const std::vector<Entry>& registry() {
  static const std::vector<Entry> all = [] {
    std::vector<Entry> v;
    v.push_back(make_entry<Softmax>());
    v.push_back(make_entry<SlidingWindow>());
    v.push_back(make_entry<Linear>());
    v.push_back(make_entry<RetNet>());
    v.push_back(make_entry<Gla>());
    v.push_back(make_entry<Rwkv4>());
    v.push_back(make_entry<Rwkv5>());
    v.push_back(make_entry<Rwkv6>());
    v.push_back(make_entry<Rwkv7>());
    v.push_back(make_entry<DeltaNet>());
    v.push_back(make_entry<GatedDeltaNet>());
    v.push_back(make_entry<Mamba>());
    v.push_back(make_entry<Mamba2>());
    v.push_back(make_entry<MLstm>());
    return v;
  }();
  return all;
}

const Entry* find_variant(const std::string& id) {
  for (const Entry& e : registry())
    if (e.info.id == id) return &e;
  return nullptr;
}

std::string variant_ids() {
  std::string s;
  for (const Entry& e : registry()) s += (s.empty() ? "" : ", ") + e.info.id;
  return s;
}

}  // namespace attnlab
