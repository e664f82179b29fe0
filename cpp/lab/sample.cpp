#include "lab/sample.hpp"

#include <cctype>
#include <cmath>

#include "core/decimal.hpp"

namespace attnlab {

namespace {

// Reads the hint as `is >> kind >> a >> b` would: whitespace-separated words, a number that does
// not parse stops the reading with that value 0, a missing one leaves its default. Done by hand
// because <sstream> alone pulls libc++'s whole iostream and locale machinery into the wasm module.
struct Hint {
  std::string kind;
  double a = 0, b = 1;
};

bool next_word(const char*& p, std::string* w) {
  while (*p && std::isspace(static_cast<unsigned char>(*p))) ++p;
  const char* s = p;
  while (*p && !std::isspace(static_cast<unsigned char>(*p))) ++p;
  w->assign(s, p);
  return p != s;
}

// A word that is not a plain decimal number (decimal.hpp) reads as 0 and stops the reading.
bool next_number(const char*& p, double* x) {
  std::string w;
  if (!next_word(p, &w)) return false;
  Decimal d;
  const bool ok = parse_decimal(w.c_str(), &d);
  *x = ok ? decimal_to_double(d) : 0;
  return ok;
}

Hint parse_hint(const std::string& text) {
  Hint h;
  const char* p = text.c_str();
  if (next_word(p, &h.kind) && next_number(p, &h.a)) next_number(p, &h.b);
  return h;
}

}  // namespace

std::vector<float> sample_input(const InputSpec& spec, long rows, long width, Rng& rng) {
  const Hint hint = parse_hint(spec.sample);
  const std::string& kind = hint.kind;
  const double a = hint.a, b = hint.b;
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
