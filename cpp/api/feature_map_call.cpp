#include "api/feature_map_call.hpp"

#include <cmath>

#include "api/api.hpp"
#include "core/primitives.hpp"
#include "core/feature_maps.hpp"
#include "variants/linear.hpp"

namespace attnlab {

namespace {

// The keys this call accepts: its sizes, then the options linear takes for its map.
const char* const kKeys[] = {"n", "dk", "features", "seed"};
const char* const kKeyList = "n, dk, features, seed";

bool known_key(const std::string& k) {
  for (const char* s : kKeys)
    if (k == s) return true;
  return false;
}

ATTNLAB_COLD std::string map_names() {
  std::string s;
  for (const auto& n : fmap::names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

void FeatureMapCall::set_number(const std::string& key, double value) {
  cfg_.strings.erase(key);
  cfg_.numbers[key] = value;
}

void FeatureMapCall::set_string(const std::string& key, const std::string& value) {
  cfg_.numbers.erase(key);
  cfg_.strings[key] = value;
}

float* FeatureMapCall::input(long len) {
  if (len < 0 || static_cast<double>(len) * 4 > kMemoryBudgetBytes) return nullptr;
  x_.assign(static_cast<size_t>(len), 0.f);
  has_x_ = true;
  return x_.data();
}

ATTNLAB_COLD Status FeatureMapCall::run() {
  output_.clear();
  width_ = 0;
  fmap::Kind kind;
  if (!fmap::parse(name_, &kind))
    return range_error("name", "unknown feature map '" + name_ + "'; expected one of " + map_names());
  // Unknown keys first, as run() does: a typo should not surface as a confusing "missing" error.
  for (const auto& kv : cfg_.numbers)
    if (!known_key(kv.first))
      return type_error(kv.first, "not an option of featureMap; its options are " + std::string(kKeyList));
  for (const auto& kv : cfg_.strings)
    if (!known_key(kv.first))
      return type_error(kv.first, "not an option of featureMap; its options are " + std::string(kKeyList));
  long n = 0, dk = 0;
  Status st = validate_size(cfg_, "n", kMaxLength, &n);
  if (!st.empty()) return st;
  st = validate_size(cfg_, "dk", kMaxDim, &dk);
  if (!st.empty()) return st;
  // features and seed are checked against linear's own specs: the same ranges, the same messages.
  const VariantInfo info = Linear::info();
  for (const auto& o : info.options) {
    if (o.name != "features" && o.name != "seed") continue;
    st = validate_option(o, cfg_);
    if (!st.empty()) return st;
  }
  const std::string shape = "[n, dk]";
  // In double: n·dk can pass 2^31, and long is 32 bits in wasm.
  const double want = static_cast<double>(n) * dk;
  if (!has_x_) return type_error("x", "missing; expected a Float32Array of length " + fmt(want) + " " + shape);
  if (static_cast<double>(x_.size()) != want)
    return range_error("x", "expected length " + fmt(want) + " " + shape + ", got " + std::to_string(x_.size()));
  InputSpec xs;
  xs.name = "x";
  st = validate_values(xs, x_.data(), static_cast<long>(x_.size()));
  if (!st.empty()) return st;

  // The map exactly as linear builds it (its budget check for m included, which names dk or features).
  Config lin;
  lin.strings["featureMap"] = name_;
  lin.numbers["dk"] = static_cast<double>(dk);
  lin.numbers["dv"] = 1;
  for (const char* k : {"features", "seed"})
    if (cfg_.numbers.count(k)) lin.numbers[k] = cfg_.numbers.at(k);
  Linear::Params p;
  st = Linear::params(with_defaults(info, lin), &p);
  if (!st.empty()) return st;
  const long m = p.map.m;
  const double floats = static_cast<double>(n) * (dk + m) + static_cast<double>(p.map.omega.size()) + dk;
  if (floats * 4 > kMemoryBudgetBytes)
    return range_error("n", "this call needs about " + fmt(std::ceil(floats * 4 / 1048576)) + " MiB for " + fmt(m) +
                                " features per row, over the module's budget of " + fmt(kMemoryBudgetBytes / 1048576) +
                                " MiB; use fewer rows");

  output_.assign(static_cast<size_t>(n * m), 0.f);
  std::vector<float> work(static_cast<size_t>(dk));
  for (long t = 0; t < n; ++t) {
    float* phi = output_.data() + t * m;
    // Linear's step writes φ(k_t) with this very call; performer's shift is put back here.
    const float shift = p.map.apply(x_.data() + t * dk, 1.f, phi, work.data());
    if (kind == fmap::Kind::performer) prim::scale(prim::exp(shift), phi, static_cast<int>(m));
    for (long i = 0; i < m; ++i)
      if (!std::isfinite(phi[i])) {
        output_.clear();
        return range_error("x", "row " + std::to_string(t) + ": featureMap '" + name_ +
                                    "' of these values overflows float32; expected smaller values");
      }
  }
  width_ = m;
  return {};
}

}  // namespace attnlab
