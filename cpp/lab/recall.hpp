// Associative recall through a real variant (the lesson's "catch"; docs/variants.md §14).
//
// K key -> value pairs in dimension d are written token by token through the variant's recurrent
// step, then the oldest R keys are written again with fresh values (`rewrites`), then `gap`
// distractor tokens, then every key is queried from that state (each query from a copy of it, so
// queries neither age the memory nor write into it), and the answer is decoded as the nearest by
// cosine of every value ever written: the K current ones and the R overwritten ones. A readout no
// nearer to one candidate than to another (within kTie in cosine) is decoded to neither: linear
// attention's readout of a rewritten key is exactly the blend v_old + v_new, which names neither
// value, so it does not count as recalling the new one by a rounding error. Softmax's "state" is its KV cache, so it retrieves by
// attention exactly as in a transformer; the linear family reads a fixed dk x dv memory in which
// pairs interfere. This is the single-layer, no-training analogue of Zoology's MQAR (a key appears
// once, every key is queried once): capacity is a property of the memory, not of learned weights.
//
// Token roles per variant: the query vector goes to q / r / C, the key to k / B (and RWKV-7's
// removal key kappa), the value to v / x. Every other input is a per-token constant with a recall
// default (beta = 1, a = 1, no decay: g = 0, w = 1, delta = 1, i = 1, f -> 1, u = 0), overridable
// through `constants`; defaults are moved just inside an input's allowed range. Options keep the
// variant's own defaults: Mamba-2's decay A is an option (default -1), so with delta = 1 it forgets
// a factor e^-1 per token unless the caller passes options.A closer to 0.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/api.hpp"

namespace attnlab {

struct RecallSpec {
  std::string variant;
  Config options;                        // the variant's own options (featureMap, scale, gamma, ...)
  std::map<std::string, double> constants;  // per-token inputs beyond q/k/v held constant (beta, g, ...)
  int d = 64;
  int pairs = 32;
  std::string keys = "random";           // "orthogonal" | "random" | "correlated"
  double cosine = 0.5;                   // pairwise key cosine for "correlated"
  int rewrites = 0;                      // oldest keys written again with fresh values, 0 <= R <= pairs
  int gap = 0;                           // distractor tokens between writing and querying
  int trials = 8;
  std::uint64_t seed = 0;
};

// Cosine margin under which two candidates tie (float32 readouts carry errors near 1e-7 here).
constexpr double kTie = 1e-4;

struct RecallResult {
  double accuracy = 0;      // fraction of queries decoded to their own current value (a rewritten
                            // key's is its new value)
  double rewritten_accuracy = 0;  // fraction of the R rewritten keys decoded to their new value; NaN when R = 0
  double mean_cosine = 0;   // mean cosine(retrieved, true value)
  double exact = 0;         // fraction retrieved essentially unchanged (cosine >= 0.99 with the true value)
  double signal = 0;        // mean squared projection of the readout on its true value
  double interference = 0;  // mean squared norm of the rest of the readout
  double sir = 0;           // signal / interference (inf when there is no interference)
  std::vector<float> by_age;  // accuracy per pair, oldest last write first: the K - R pairs written
                              // once, then the R rewritten ones in the order of their rewrite
  int trials = 0;
};

Status recall(const RecallSpec& spec, RecallResult* out);

// The recall task as a setter-style object, the shape the Embind layer registers (like Call):
// option keys that name one of the variant's constant inputs (beta, g, w, a, ...) become constants,
// every other key is passed to the variant as an option.
class RecallJob {
 public:
  explicit RecallJob(const std::string& variant) { spec_.variant = variant; }
  void set_option_number(const std::string& key, double value);
  void set_option_string(const std::string& key, const std::string& value);
  // d, pairs, rewrites, gap, trials, seed, cosine
  void set_number(const std::string& key, double value);
  void set_keys(const std::string& kind) { spec_.keys = kind; }
  Status run();
  const RecallResult& result() const { return result_; }

 private:
  RecallSpec spec_;
  RecallResult result_;
  Status pending_;  // a bad set_number, reported by run()
};

// The keys the task writes, exposed for tests and the lab's key-geometry view: pairs x d, row-major.
std::vector<float> recall_keys(const std::string& kind, int pairs, int d, double cosine, std::uint64_t seed);

}  // namespace attnlab
