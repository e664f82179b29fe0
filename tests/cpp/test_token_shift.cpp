// core.tokenShift (api/token_shift.hpp) against a plain float64 loop of its definition,
// out_t = μ ⊙ x_t + (1 − μ) ⊙ x_{t−1} with x_{−1} = 0, and its refusals of bad input.
#include "support.hpp"

#include <cfloat>

#include "api/token_shift.hpp"

using namespace attnlab;
using namespace attnlab_test;

namespace {

struct Shifted {
  Status status;
  std::vector<float> out;
};

Shifted shift(const std::vector<float>& x, const std::vector<float>& mu, long n, long d) {
  TokenShiftCall c;
  c.set_number("n", static_cast<double>(n));
  c.set_number("d", static_cast<double>(d));
  std::copy(x.begin(), x.end(), c.input("x", static_cast<long>(x.size())));
  std::copy(mu.begin(), mu.end(), c.input("mu", static_cast<long>(mu.size())));
  Shifted s;
  s.status = c.run();
  s.out = c.output();
  return s;
}

}  // namespace

TEST_CASE("tokenShift equals the float64 loop of its definition, to one rounding", "[tokenshift]") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 3);
  std::uniform_real_distribution<double> u(0, 1);
  for (long n : {1L, 2L, 17L}) {
    for (long d : {1L, 5L, 64L}) {
      std::vector<float> x(static_cast<size_t>(n * d)), mu(static_cast<size_t>(d));
      for (auto& v : x) v = static_cast<float>(g(rng));
      for (auto& v : mu) v = static_cast<float>(u(rng));
      const Shifted s = shift(x, mu, n, d);
      REQUIRE(s.status == "");
      REQUIRE(s.out.size() == x.size());
      for (long t = 0; t < n; ++t)
        for (long c = 0; c < d; ++c) {
          const double prev = t ? x[(t - 1) * d + c] : 0.0;
          const double want = double(mu[c]) * x[t * d + c] + (1 - double(mu[c])) * prev;
          const double got = s.out[t * d + c];
          INFO("n=" << n << " d=" << d << " t=" << t << " c=" << c);
          // one float32 rounding of the exact blend
          CHECK(std::fabs(got - want) <= std::fabs(want) * FLT_EPSILON / 2 + 1e-45);
        }
    }
  }
}

TEST_CASE("tokenShift: mu = 1 is the identity, mu = 0 the previous token, token 0 sees a zero", "[tokenshift]") {
  const long n = 4, d = 3;
  std::vector<float> x(n * d);
  for (long i = 0; i < n * d; ++i) x[i] = 0.1f * static_cast<float>(i + 1) - 0.35f;
  const Shifted one = shift(x, {1, 1, 1}, n, d);
  REQUIRE(one.status == "");
  CHECK(one.out == x);
  const Shifted zero = shift(x, {0, 0, 0}, n, d);
  REQUIRE(zero.status == "");
  for (long c = 0; c < d; ++c) CHECK(zero.out[c] == 0.f);
  for (long i = d; i < n * d; ++i) CHECK(zero.out[i] == x[i - d]);
  // per channel: one of each, plus a half
  const Shifted mixed = shift(x, {1, 0, 0.5f}, n, d);
  REQUIRE(mixed.status == "");
  for (long t = 0; t < n; ++t) {
    CHECK(mixed.out[t * d] == x[t * d]);
    CHECK(mixed.out[t * d + 1] == (t ? x[(t - 1) * d + 1] : 0.f));
    CHECK(mixed.out[t * d + 2] == static_cast<float>(0.5 * x[t * d + 2] + (t ? 0.5 * x[(t - 1) * d + 2] : 0.0)));
  }
  // The blend of two values near FLT_MAX stays finite.
  const Shifted edge = shift({FLT_MAX, FLT_MAX}, {0.3f}, 2, 1);
  REQUIRE(edge.status == "");
  CHECK(std::isfinite(edge.out[1]));
}

TEST_CASE("tokenShift refuses bad input by name", "[tokenshift]") {
  auto err = [](std::map<std::string, double> nums, std::map<std::string, std::vector<float>> arrays,
                const std::string& starts, std::map<std::string, std::string> strs = {}) {
    TokenShiftCall c;
    for (const auto& kv : nums) c.set_number(kv.first, kv.second);
    for (const auto& kv : strs) c.set_string(kv.first, kv.second);
    for (const auto& kv : arrays) std::copy(kv.second.begin(), kv.second.end(), c.input(kv.first, static_cast<long>(kv.second.size())));
    const Status st = c.run();
    INFO(st);
    CHECK(st.rfind(starts, 0) == 0);
    CHECK(c.output().empty());
  };
  const std::vector<float> x(6, 1.f), mu(3, 0.5f);
  const std::map<std::string, double> ok{{"n", 2}, {"d", 3}};
  err({{"d", 3}}, {{"x", x}, {"mu", mu}}, "TypeError|n: missing; expected a positive integer");
  err({{"n", 2}}, {{"x", x}, {"mu", mu}}, "TypeError|d: missing");
  err({{"n", 0}, {"d", 3}}, {{"x", x}, {"mu", mu}}, "RangeError|n: expected a positive integer, got 0");
  err({{"n", 2}, {"d", 1.5}}, {{"x", x}, {"mu", mu}}, "RangeError|d: expected a positive integer, got 1.5");
  err({{"n", NAN}, {"d", 3}}, {{"x", x}, {"mu", mu}}, "RangeError|n: expected a positive integer, got NaN");
  err({{"d", 3}}, {{"x", x}, {"mu", mu}}, "TypeError|n: expected a positive integer, got a string", {{"n", "2"}});
  err({{"n", 2}, {"d", 3}, {"dk", 3}}, {{"x", x}, {"mu", mu}}, "TypeError|dk: not an argument of tokenShift");
  err(ok, {{"x", x}, {"mu", mu}, {"w", mu}}, "TypeError|w: not an argument of tokenShift");
  // n·d = 2^32: a 32-bit product would wrap to 0 and accept an empty x (wasm's long is 32 bits).
  err({{"n", 1 << 20}, {"d", 4096}}, {{"x", {}}, {"mu", std::vector<float>(4096, 0.5f)}}, "RangeError|x: expected length");
  err(ok, {{"mu", mu}}, "TypeError|x: missing; expected a Float32Array of length 6 [n, d]");
  err(ok, {{"x", x}}, "TypeError|mu: missing; expected a Float32Array of length 3 [d]");
  err(ok, {{"x", std::vector<float>(5)}, {"mu", mu}}, "RangeError|x: expected length 6 [n, d], got 5");
  err(ok, {{"x", x}, {"mu", std::vector<float>(6, 0.5f)}}, "RangeError|mu: expected length 3 [d], got 6");
  err(ok, {{"x", {1, 1, 1, 1, INFINITY, 1}}, {"mu", mu}}, "RangeError|x: expected finite values, got Infinity at index 4");
  err(ok, {{"x", x}, {"mu", {0.5f, NAN, 0.5f}}}, "RangeError|mu: expected finite values, got NaN at index 1");
  err(ok, {{"x", x}, {"mu", {0.5f, 1.5f, 0.5f}}}, "RangeError|mu: expected values [0, 1], got 1.5 at index 1");
  err(ok, {{"x", x}, {"mu", {-0.25f, 0.5f, 0.5f}}}, "RangeError|mu: expected values [0, 1], got -0.25 at index 0");
}
