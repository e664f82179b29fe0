// The cost model behind the lesson's quadratic wall: exact multiply-accumulates, exps and memory of
// every variant in every form, as closed formulas of the sizes.
//
// "Exact" means: the formulas count what the form's code executes, term by term, and a build with
// -DATTNLAB_COUNT=ON proves it (tests/cpp/test_cost.cpp runs every variant x form and requires the
// instrumented primitives to report the same figures). The per-variant formulas live in cost.cpp,
// one commented function per variant, next to nothing else.
//
// Conventions (api.md `core.cost`):
//   macs        the token-mixing multiply-accumulates, full (unmasked) products counted as the
//               lesson counts them: softmax parallel = n*n*dk + n*n*dv, linear recurrent =
//               n*dk*dv (writes) + n*dk*dv (reads). Mixing = every product between two tokens or
//               between a token and the state: scores, weights x values, state writes, reads and
//               decays, chunk solves and the decay factors inside them. Every kernel of the core
//               computes its masked products in full, so nothing is subtracted for the mask.
//   executed_macs  macs plus the per-token elementwise work the kernels also run and count
//               (feature maps, gates and step sizes, output scaling and normalisation, skips):
//               O(n d), what an ATTNLAB_COUNT build counts, exactly.
//   flops       2 * macs (a multiply-add is two floating-point operations); exps are not in flops.
//   stateFloats floats held between tokens after n tokens (the KV cache for softmax).
//   peakFloats  the largest buffer a form holds at once: the score matrix or block it materialises,
//               or the state it carries, whichever is larger.
// Figures are doubles: exact integers up to 2^53 (about 9.0e15), rounded beyond.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace attnlab {

constexpr double kBytesPerFloat = 4;

// One named part of a form's work, e.g. {"scores Q K^T", n*n*dk, "n^2 dk", true}.
struct CostTerm {
  std::string name;
  double macs = 0;
  std::string formula;
  bool mixing = true;  // token-mixing work (in macs); false: per-token elementwise (executed_macs only)
};

struct CostResult {
  std::string id;
  Form form = Form::recurrent;
  long n = 0;
  int chunk = 0;           // the chunk actually used (clamped to n), 0 unless chunkwise
  double macs = 0;         // api convention: token mixing (see above)
  double executed_macs = 0;  // everything the code runs; == the ATTNLAB_COUNT figure
  double flops = 0;        // 2 * macs
  double exps = 0;         // calls of exp the form makes (== the ATTNLAB_COUNT figure)
  // Work whose amount the data decides (elu1 takes exp only of inputs <= 0; performer rescales only
  // when the running max moves): macs and exps above are then the most the form can execute, and
  // the counted figures lie in [macs - macs_variable, macs] and [exps - exps_variable, exps].
  // Zero for every form whose work depends on the sizes alone.
  double macs_variable = 0;
  double exps_variable = 0;
  double state_floats = 0;
  double peak_floats = 0;
  double workspace_floats = 0;  // scratch the module's memory budget charges for this call
  double run_bytes = 0;         // inputs + output + scratch of a real run, 4 bytes per float
  bool fits_budget = true;      // whether run_bytes is within kMemoryBudgetBytes
  std::vector<CostTerm> terms;  // executed macs by part: all sum to executed_macs, mixing ones to macs
  std::string exps_formula;
  std::string state_formula;
  std::string peak_formula;
  double state_bytes() const { return state_floats * kBytesPerFloat; }
  double peak_bytes() const { return peak_floats * kBytesPerFloat; }
};

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

// JSON text of each result (what the JS wrapper returns as a plain object; keys in api.md's camelCase).
std::string to_json(const CostResult& r);
std::string to_json(const TwoOrders& r);
std::string to_json(const MemoryResult& r);

}  // namespace attnlab
