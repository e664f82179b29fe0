// Shared test helpers: seeded inputs drawn from each input's `sample` hint, calls through the
// public Call/Stepper API, and comparisons that print the first values and the max difference.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "api/api.hpp"

namespace attnlab_test {

using namespace attnlab;

struct Shape {
  long n = 16;
  std::map<std::string, long> dims{{"dk", 8}, {"dv", 6}, {"C", 6}, {"D", 6}, {"N", 5}, {"P", 7}};
};

// Draws values per the InputSpec sample hint ("normal", "normal M S", "uniform A B", "unit").
inline std::vector<float> sample(const InputSpec& spec, long rows, long width, std::mt19937_64& rng) {
  std::istringstream is(spec.sample);
  std::string kind;
  is >> kind;
  double a = 0, b = 1;
  is >> a >> b;
  std::vector<float> x(static_cast<size_t>(rows * width));
  std::normal_distribution<double> normal(kind == "normal" ? a : 0.0, kind == "normal" ? b : 1.0);
  std::uniform_real_distribution<double> uni(a, b);
  for (auto& v : x) v = static_cast<float>(kind == "uniform" ? uni(rng) : normal(rng));
  if (kind == "unit") {
    for (long r = 0; r < rows; ++r) {
      double s = 0;
      for (long i = 0; i < width; ++i) s += double(x[r * width + i]) * x[r * width + i];
      s = std::sqrt(s) + 1e-30;
      for (long i = 0; i < width; ++i) x[r * width + i] = static_cast<float>(x[r * width + i] / s);
    }
  }
  return x;
}

// All inputs of a variant for a shape, seeded.
inline std::map<std::string, std::vector<float>> make_inputs(const VariantInfo& info, const Shape& sh,
                                                            std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Sizes s;
  s.n = sh.n;
  s.dims = sh.dims;
  std::map<std::string, std::vector<float>> m;
  for (const auto& spec : info.inputs) {
    const long width = input_length(spec, s, false);
    m[spec.name] = sample(spec, spec.per_token ? sh.n : 1, width, rng);
  }
  return m;
}

inline void configure(Call& c, const VariantInfo& info, const Shape& sh) {
  c.set_number("n", static_cast<double>(sh.n));
  for (const auto& name : info.sizes) c.set_number(name, static_cast<double>(sh.dims.at(name)));
}

inline void fill(Call& c, const std::map<std::string, std::vector<float>>& in) {
  for (const auto& kv : in) {
    float* p = c.input(kv.first, static_cast<long>(kv.second.size()));
    std::copy(kv.second.begin(), kv.second.end(), p);
  }
}

struct Diff {
  double max_abs = 0, rel_rms = 0;
  long argmax = -1;
};

template <class A, class B>
Diff compare(const A& got, const B& want) {
  Diff d;
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    const double e = std::fabs(double(got[i]) - double(want[i]));
    if (!(e <= d.max_abs)) {
      d.max_abs = e;
      d.argmax = static_cast<long>(i);
    }
    num += e * e;
    den += double(want[i]) * double(want[i]);
  }
  d.rel_rms = want.empty() ? 0 : std::sqrt(num / std::max(den, 1e-300));
  if (std::isnan(num)) d.rel_rms = NAN;
  return d;
}

template <class A, class B>
std::string describe(const A& got, const B& want, const Diff& d) {
  std::ostringstream os;
  os.precision(7);
  os << "size got " << got.size() << " want " << want.size() << "; max |diff| " << d.max_abs << " at " << d.argmax
     << "; rel RMS " << d.rel_rms << "\n  got : ";
  for (size_t i = 0; i < std::min<size_t>(6, got.size()); ++i) os << got[i] << " ";
  os << "\n  want: ";
  for (size_t i = 0; i < std::min<size_t>(6, want.size()); ++i) os << want[i] << " ";
  if (d.argmax >= 0 && static_cast<size_t>(d.argmax) < got.size() && static_cast<size_t>(d.argmax) < want.size())
    os << "\n  at max: got " << got[d.argmax] << " want " << want[d.argmax];
  return os.str();
}

// REQUIRE-style check of relative RMS with a message that shows the numbers.
#define ATTNLAB_CHECK_CLOSE(got, want, tol)                                     \
  do {                                                                          \
    auto attnlab_d_ = ::attnlab_test::compare((got), (want));                   \
    INFO(::attnlab_test::describe((got), (want), attnlab_d_));                  \
    CHECK((got).size() == (want).size());                                       \
    CHECK(attnlab_d_.rel_rms <= (tol));                                         \
  } while (0)

}  // namespace attnlab_test
