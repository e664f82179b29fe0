// The one shape every token mixer follows.
//
// A variant is a struct with static members (see cpp/variants/softmax.hpp for the model):
//
//   static VariantInfo info();                                  metadata, also what variants() reports
//   struct Params { ... };                                      options resolved once per call
//   static Status params(const Config&, Params*);               validate the variant's own options
//   static int out_width(const Params&);                        floats of output per token
//   static void init_state(const Params&, State&);              empty state (zeros, sentinels)
//   static void step(const Params&, const Token&, State&, float* out);    one token, float32
//   static double workspace(const Params&, long n, Form, int chunk);   scratch floats of a form
//   static void parallel(const Params&, const Inputs&, long n, State&, float* out);
//                                 (receives the empty state, leaves the final one: the same state the
//                                 recurrent form ends with, so a prompt read in parallel can be
//                                 continued token by token)
//   static void chunkwise(const Params&, const Inputs&, long n, int chunk, State&, float* out);
//   static void reference(const Params&, const Inputs&, long n, StateD&, double* out);  float64
//   static void cost(const Params&, const CostCtx&, CostResult*);  what each form executes, term
//                                 by term (core/cost_terms.hpp), beside the forms it counts
//
// The recurrent form is always `step` in a loop (api.cpp), so stepping token by token reproduces a
// recurrent run bit for bit. A variant without a parallel or chunkwise form leaves it out of
// info().forms and states the reason in info().missing; its function then is never called, and a
// missing chunkwise form may leave the function out (api/registry.hpp detects it).
// The reference is the form closest to the paper, in plain double loops: it is what tests trust.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/cost_terms.hpp"

// Marks once-per-call and test-only functions (a variant's info, params, workspace, init_state and
// float64 reference; api.cpp's option checks and JSON): in the shipped wasm they are optimised for
// size, as if compiled with -Oz, while the hot code in the same files (step, parallel, chunkwise, the
// per-element input checks) keeps -O3. Natively it changes nothing.
#if defined(__EMSCRIPTEN__)
#define ATTNLAB_COLD __attribute__((minsize))
#else
#define ATTNLAB_COLD
#endif

namespace attnlab {

// One input array. Per-token inputs have shape [n, dims...]; per-channel ones just [dims...].
// dims are size names ("dk", "dv", "C", "D", "N", "P") or the literal "1".
struct InputSpec {
  std::string name;
  std::vector<std::string> dims;
  bool per_token = true;
  // Allowed value range (checked on every element); lo_open/hi_open make the bound strict.
  double lo = -1e300, hi = 1e300;
  bool lo_open = false, hi_open = false;
  std::string note;  // one line for docs and the family map
  // How tests and widgets draw typical values: "normal" (N(0,1)), "uniform A B", "unit" (each row
  // L2-normalised N(0,1)), "normal M S" (N(M, S^2)). Tests use it to build inputs of every variant.
  std::string sample = "normal";
};

// Every `scale` option (it multiplies q, or q·k) is bounded to |scale| <= kMaxScale: beyond it a
// float32 product such as Taylor-2's s²/2 or a scaled readout leaves the representable range on
// unit-scale inputs, so a larger value is refused up front rather than answered with infinity.
inline constexpr double kMaxScale = 1e4;

// One variant option: numeric (with range) or a string from a fixed list.
struct OptionSpec {
  std::string name;
  double def = 0;               // numeric default; NaN means "depends on sizes" (see note)
  std::string text_def;         // default of a string option
  std::vector<std::string> choices;  // non-empty for string options
  double lo = -1e300, hi = 1e300;
  bool lo_open = false, hi_open = false;
  bool integer = false;
  bool boolean = false;         // 0/1, JS true/false
  std::string note;
};

// The `scale` option every variant with a query offers, bounded by kMaxScale (def NaN: it depends on
// the sizes, as softmax's 1/sqrt(dk) does; the note says so).
inline OptionSpec scale_option(double def, std::string note) {
  OptionSpec o;
  o.name = "scale";
  o.def = def;
  o.lo = -kMaxScale;
  o.hi = kMaxScale;
  o.note = std::move(note);
  return o;
}

struct VariantInfo {
  std::string id, name, family, paper;
  int year = 0;
  std::vector<Form> forms;                 // always contains recurrent
  std::vector<std::pair<Form, std::string>> missing;  // form -> one-line reason it is absent
  std::vector<std::string> sizes;          // size names this variant takes, e.g. {"dk","dv"}
  std::vector<InputSpec> inputs;
  std::vector<OptionSpec> options;
  std::vector<std::string> state_dims;     // e.g. {"dk","dv"}; {"t","dk+dv"} for a KV cache
  std::string state_note;                  // layout of the state array, in words
  bool selective = false;                  // forgetting depends on the data
  std::string forgetting;                  // "none" | "window" | "fixed" | "data-dependent" | "delta"
  std::string recurrence;                  // one line, plain text
  int default_chunk = 64;
  std::string out_size = "dv";             // size name of the output width
};

// Pointers to every input of a call, in the order of info().inputs.
struct Inputs {
  static constexpr int kMax = 8;
  const float* ptr[kMax] = {};
  long width[kMax] = {};  // floats per token for per-token inputs; total length for per-channel ones
  const float* row(int i, long t) const { return ptr[i] + t * width[i]; }
};

// One token's view of the inputs: row t of every per-token input, the whole per-channel ones.
struct Token {
  const float* ptr[Inputs::kMax] = {};
  static Token at(const Inputs& in, const VariantInfo& info, long t) {
    Token tok;
    for (size_t i = 0; i < info.inputs.size(); ++i)
      tok.ptr[i] = info.inputs[i].per_token ? in.row(static_cast<int>(i), t) : in.ptr[i];
    return tok;
  }
  const float* operator[](int i) const { return ptr[i]; }
};

// Recurrent state. Fixed-size variants keep `data` at one size; softmax's KV cache grows.
struct State {
  std::vector<float> data;
  long t = 0;  // tokens consumed
};
struct StateD {
  std::vector<double> data;
  long t = 0;
};

}  // namespace attnlab
