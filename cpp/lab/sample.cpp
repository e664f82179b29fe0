#include "lab/sample.hpp"

#include <cmath>
#include <sstream>

namespace attnlab {

std::vector<float> sample_input(const InputSpec& spec, long rows, long width, Rng& rng) {
  std::istringstream is(spec.sample);
  std::string kind;
  double a = 0, b = 1;
  is >> kind >> a >> b;
  const bool normal = kind == "normal";
  const double mean = normal ? a : 0.0, sd = normal ? b : 1.0;
  std::vector<float> x(static_cast<size_t>(rows * width));
  for (auto& v : x) v = static_cast<float>(kind == "uniform" ? rng.uniform(a, b) : mean + sd * rng.normal());
  if (kind == "unit") {
    for (long r = 0; r < rows; ++r) {
      float* row = x.data() + r * width;
      double s = 0;
      for (long i = 0; i < width; ++i) s += static_cast<double>(row[i]) * row[i];
      if (s > 0) {
        s = std::sqrt(s);
        for (long i = 0; i < width; ++i) row[i] = static_cast<float>(row[i] / s);
      }
    }
  }
  return x;
}

std::map<std::string, std::vector<float>> sample_inputs(const VariantInfo& info, const Sizes& s, Rng& rng) {
  std::map<std::string, std::vector<float>> m;
  for (const auto& spec : info.inputs) {
    const long width = input_length(spec, s, false);
    m[spec.name] = sample_input(spec, spec.per_token ? s.n : 1, width, rng);
  }
  return m;
}

}  // namespace attnlab
