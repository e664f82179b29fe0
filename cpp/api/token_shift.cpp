#include "api/token_shift.hpp"

#include <cmath>

#include "api/api.hpp"

namespace attnlab {

void token_shift(const float* x, const float* mu, long n, long d, float* out) {
  for (long t = 0; t < n; ++t) {
    const float* xt = x + t * d;
    const float* prev = t > 0 ? xt - d : nullptr;
    float* o = out + t * d;
    for (long c = 0; c < d; ++c) {
      const double m = mu[c];
      o[c] = static_cast<float>(m * xt[c] + (prev ? (1 - m) * prev[c] : 0.0));
    }
  }
}

void TokenShiftCall::set_number(const std::string& key, double value) {
  cfg_.strings.erase(key);
  cfg_.numbers[key] = value;
}

void TokenShiftCall::set_string(const std::string& key, const std::string& value) {
  cfg_.numbers.erase(key);
  cfg_.strings[key] = value;
}

float* TokenShiftCall::input(const std::string& name, long len) {
  if (len < 0 || static_cast<double>(len) * 4 > kMemoryBudgetBytes) return nullptr;
  std::vector<float>* b = &other_;
  if (name == "x") {
    b = &x_;
    has_x_ = true;
  } else if (name == "mu") {
    b = &mu_;
    has_mu_ = true;
  } else if (unknown_.empty()) {
    unknown_ = name;
  }
  b->assign(static_cast<size_t>(len), 0.f);
  return b->data();
}

ATTNLAB_COLD Status TokenShiftCall::run() {
  output_.clear();
  // Unknown keys first, as run() does: a typo should not surface as a confusing "missing" error.
  for (const auto& kv : cfg_.numbers)
    if (kv.first != "n" && kv.first != "d")
      return type_error(kv.first, "not an argument of tokenShift; expected x, mu, n and d");
  for (const auto& kv : cfg_.strings)
    if (kv.first != "n" && kv.first != "d")
      return type_error(kv.first, "not an argument of tokenShift; expected x, mu, n and d");
  if (!unknown_.empty()) return type_error(unknown_, "not an argument of tokenShift; expected x, mu, n and d");
  long n = 0, d = 0;
  Status st = validate_size(cfg_, "n", kMaxLength, &n);
  if (!st.empty()) return st;
  st = validate_size(cfg_, "d", kMaxDim, &d);
  if (!st.empty()) return st;
  InputSpec xs;
  xs.name = "x";
  InputSpec mus;
  mus.name = "mu";
  mus.lo = 0;
  mus.hi = 1;
  for (const InputSpec* spec : {&xs, &mus}) {
    const bool per_token = spec == &xs;
    const std::vector<float>& buf = per_token ? x_ : mu_;
    // In double: n·d can pass 2^31, and long is 32 bits in wasm.
    const double want = per_token ? static_cast<double>(n) * d : static_cast<double>(d);
    const std::string shape = per_token ? "[n, d]" : "[d]";
    if (!(per_token ? has_x_ : has_mu_))
      return type_error(spec->name, "missing; expected a Float32Array of length " + fmt(want) + " " + shape);
    if (static_cast<double>(buf.size()) != want)
      return range_error(spec->name, "expected length " + fmt(want) + " " + shape + ", got " + std::to_string(buf.size()));
    st = validate_values(*spec, buf.data(), static_cast<long>(buf.size()));
    if (!st.empty()) return st;
  }
  // x, mu and the output together (each buffer alone is already within the budget).
  const double floats = 2.0 * static_cast<double>(n) * d + d;
  if (floats * 4 > kMemoryBudgetBytes)
    return range_error("n", "this call needs about " + fmt(std::ceil(floats * 4 / 1048576)) +
                                " MiB, over the module's budget of " + fmt(kMemoryBudgetBytes / 1048576) + " MiB");
  output_.assign(static_cast<size_t>(n * d), 0.f);
  token_shift(x_.data(), mu_.data(), n, d, output_.data());
  return {};
}

}  // namespace attnlab
