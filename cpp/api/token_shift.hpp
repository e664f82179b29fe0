// core.tokenShift({ x, mu, n, d }): RWKV's token shift (docs/variants.md §5-7), each token blended with
// the one before it, channel by channel:
//
//   out_t = μ ⊙ x_t + (1 − μ) ⊙ x_{t−1},   x_{−1} = 0,   x, out: [n, d],  μ: [d] in [0, 1]
//
// RWKV blocks feed this to their projections (time mixing and channel mixing alike), so a model
// always sees a little of the previous token. Each value is computed in double and rounded once:
// the blend of two float32 values then stays within their range (no overflow near FLT_MAX), and
// μ = 1 returns x_t, μ = 0 returns x_{t−1}, exactly.
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"

namespace attnlab {

// The kernel: out[t*d + c] = mu[c] x[t*d + c] + (1 − mu[c]) x[(t−1)*d + c].
void token_shift(const float* x, const float* mu, long n, long d, float* out);

// The entry point as a setter-style object (the shape the Embind layer registers, like Call).
class TokenShiftCall {
 public:
  // n and d; any other key is refused by run(), naming it.
  void set_number(const std::string& key, double value);
  void set_string(const std::string& key, const std::string& value);
  // The buffer of input `name` (x or mu), owned by this call; nullptr for a length over the budget.
  // Another name gets a buffer too, and run() refuses it, naming it.
  float* input(const std::string& name, long len);
  Status run();
  const std::vector<float>& output() const { return output_; }

 private:
  Config cfg_;
  // Two named buffers, not a map of them: a map's code would be the largest part of this call in
  // the shipped wasm.
  std::vector<float> x_, mu_, other_;
  bool has_x_ = false, has_mu_ = false;
  std::string unknown_;  // the first input name that is neither x nor mu
  std::vector<float> output_;
};

}  // namespace attnlab
