// The shape of a cost: what every variant's cost() fills in, and the arithmetic the formulas share.
//
// A variant's cost model sits beside its forms (the static cost() of each variant struct, reached
// through the bound variant like the forms), the chunk machinery's beside chunked::run and
// wy::delta_chunkwise / dplr_chunkwise, the feature maps' beside the maps. Every formula counts
// what its form executes, term by term, and a build with -DATTNLAB_COUNT=ON proves it
// (tests/cpp/test_cost.cpp runs every variant x form and requires the instrumented primitives to
// report the same figures). lab/cost.hpp adds the call that validates options and the JSON.
//
// Conventions (docs/api.md, `core.cost`):
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
  bool fits_budget = true;      // whether run_bytes is within the module's memory budget
  std::vector<CostTerm> terms;  // executed macs by part: all sum to executed_macs, mixing ones to macs
  std::string exps_formula;
  std::string state_formula;
  std::string peak_formula;
  double state_bytes() const { return state_floats * kBytesPerFloat; }
  double peak_bytes() const { return peak_floats * kBytesPerFloat; }
};

// What a cost formula depends on besides the variant's own options: the validated length, form and
// chunk (already clamped to n).
struct CostCtx {
  long n = 0;
  Form form = Form::recurrent;
  int chunk = 0;
  double N() const { return static_cast<double>(n); }
};

namespace costs {

// Everything is a double holding an integer (exact below 2^53).
inline double tri(double n) { return n * (n + 1) / 2; }  // 1 + 2 + ... + n

// A sequence of n tokens cut into chunks of B: q full chunks and a tail of r tokens.
struct Chunks {
  double B, q, r;
  Chunks(long n, int chunk) : B(chunk), q(static_cast<double>(n / chunk)), r(static_cast<double>(n % chunk)) {}
  double count() const { return q + (r > 0 ? 1 : 0); }
  // sum over chunks of (chunk length)^2: the intra-chunk square, causal mask included
  double squares() const { return q * B * B + r * r; }
};

// A part of the token-mixing work: products between tokens, or between a token and the state.
inline void term(CostResult* r, const std::string& name, double macs, const std::string& formula) {
  r->terms.push_back({name, macs, formula, true});
}
// Per-token elementwise work (feature maps, gates, step sizes, output scaling, skips): executed and
// counted, O(n d), but not part of the lesson's count of attention products.
inline void elem(CostResult* r, const std::string& name, double macs, const std::string& formula) {
  r->terms.push_back({name, macs, formula, false});
}

// A dk x dv matrix state.
inline void matrix_state(CostResult* r, double dk, double dv) {
  r->state_floats = dk * dv;
  r->state_formula = "dk dv";
}

}  // namespace costs
}  // namespace attnlab
