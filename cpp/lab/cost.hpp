// core.cost, core.twoOrders and core.memory: the cost model behind the lesson's quadratic wall.
//
// Every variant's formulas live beside its forms (static cost() in cpp/variants/*.cpp, the shared
// machinery's in core/chunked.cpp, core/wy_chunk.cpp and feature_maps.cpp); the result types and
// the conventions are in core/cost_terms.hpp. This file validates a call exactly as a run is
// validated, adds the totals and the memory a run would take, and writes the JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/cost_terms.hpp"

namespace attnlab {

// cfg carries n, the variant's sizes, form, chunk and its options, validated exactly as a run
// validates them (validate_config), so an options object that runs also costs, and vice versa.
Status cost(const std::string& id, const Config& cfg, CostResult* out);

// Chapter 2's "two orders": (Q K^T) V against Q (K^T V) for n tokens, without a causal mask.
struct OrderCost {
  std::string name;            // "(Q K^T) V" or "Q (K^T V)"
  std::string intermediate;    // "Q K^T" or "K^T V"
  long rows = 0, cols = 0;     // shape of the intermediate (n x n, or dk x dv)
  double intermediate_floats = 0;
  double first_macs = 0;       // building the intermediate: n^2 dk, or n dk dv
  double second_macs = 0;      // applying it: n^2 dv, or n dk dv
  double macs = 0;             // first + second
};
struct TwoOrders {
  long n = 0, dk = 0, dv = 0;
  OrderCost scores_first;      // (Q K^T) V
  OrderCost state_first;       // Q (K^T V)
  double ratio = 0;            // scores_first.macs / state_first.macs = n (dk + dv) / (2 dk dv)
};
// n, dk, dv are checked like a run's sizes (positive integers within the core's limits).
Status two_orders(long n, long dk, long dv, TwoOrders* out);

// Memory: the state a variant holds after n tokens against softmax's KV cache at the same length,
// per head and for a model of `layers` x `heads` heads of this size.
struct MemoryResult {
  std::string id;
  long n = 0;
  double layers = 0, heads = 0;
  double state_floats = 0;        // per head (the variant)
  double state_floats_total = 0;  // x layers x heads
  bool grows = false;             // the variant's state grows with n (softmax; sliding window until full)
  bool has_kv = false;            // cfg had dk and dv, so the KV cache comparison below is filled in
  double kv_floats = 0;           // softmax KV cache per head at length n: n (dk + dv)
  double kv_floats_total = 0;
  double state_bytes() const { return state_floats * kBytesPerFloat; }
  double state_bytes_total() const { return state_floats_total * kBytesPerFloat; }
  double kv_bytes() const { return kv_floats * kBytesPerFloat; }
  double kv_bytes_total() const { return kv_floats_total * kBytesPerFloat; }
};
Status memory(const std::string& id, const Config& cfg, double layers, double heads, MemoryResult* out);

// JSON text of each result (what the JS wrapper returns as a plain object; keys in docs/api.md's camelCase).
std::string to_json(const CostResult& r);
std::string to_json(const TwoOrders& r);
std::string to_json(const MemoryResult& r);

}  // namespace attnlab
