// core/decimal.{hpp,cpp} stands in for snprintf and strtod inside the core (they are big in the
// wasm module). Its promise is byte-for-byte agreement with the C library, so that is what is
// checked here, natively against glibc and in the wasm build against musl: random doubles of every
// magnitude, the boundaries (subnormals, the largest double, ties), every precision the core uses.
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "core/decimal.hpp"

using namespace attnlab;

namespace {

std::string libc_g(double x, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, x);
  return buf;
}

std::vector<double> interesting() {
  std::vector<double> xs = {0.0,  -0.0,          1.0,     -1.0,    0.5,      0.1,        1e-6,      1e-5,
                            1e15, 1e16,          1e17,    1e21,    1e22,     123456789., 0.96875,   2.5,
                            0.25, 1.0 / 3,       2.0 / 3, 9.5,     99.5,     999999.5,   1e300,     1e-300,
                            DBL_MAX, DBL_MIN,    DBL_TRUE_MIN, 4.9406564584124654e-324, 2.2250738585072009e-308,
                            9007199254740992., 9007199254740993., 0.30000000000000004, 1e-7, 6.4e9, 40.96e6};
  for (int e = -320; e <= 308; e += 7) xs.push_back(std::pow(10.0, e));
  return xs;
}

}  // namespace

TEST_CASE("format_g writes what snprintf(\"%.*g\") writes", "[decimal]") {
  std::mt19937_64 rng(2026);
  std::vector<double> xs = interesting();
  // random bit patterns cover every exponent, including subnormals; random "round" numbers cover
  // the ties that a precision cut meets
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double x;
    std::memcpy(&x, &bits, sizeof x);
    if (std::isfinite(x)) xs.push_back(x);
    xs.push_back(static_cast<double>(static_cast<long long>(rng() % 2000001) - 1000000) / 8.0);
  }
  long checked = 0, differ = 0;
  for (double x : xs)
    for (int p : {1, 2, 3, 4, 6, 9, 12, 15, 16, 17}) {
      const std::string want = libc_g(x, p), got = format_g(x, p);
      ++checked;
      if (want != got) {
        ++differ;
        if (differ <= 10) FAIL_CHECK("x = " << libc_g(x, 17) << " precision " << p << ": snprintf '" << want << "', format_g '" << got << "'");
      }
    }
  INFO(checked << " conversions");
  CHECK(differ == 0);
}

TEST_CASE("format_integer and unicode_escape match snprintf", "[decimal]") {
  std::mt19937_64 rng(7);
  std::vector<double> xs = {0.0, 1.0, -1.0, 1e15, -1e15, 9007199254740991., -9007199254740991., 4096000., 64000000.};
  for (int i = 0; i < 20000; ++i) xs.push_back(static_cast<double>(static_cast<long long>(rng() >> 11)) * (i & 1 ? 1 : -1));
  char buf[64];
  for (double x : xs) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
    REQUIRE(format_integer(x) == std::string(buf));
  }
  for (int c = 0; c < 0x20; ++c) {
    std::snprintf(buf, sizeof buf, "\\u%04x", c);
    REQUIRE(unicode_escape(static_cast<char>(c)) == std::string(buf));
  }
}

TEST_CASE("parse_decimal + decimal_to_double read what strtod reads", "[decimal]") {
  std::mt19937_64 rng(11);
  std::vector<std::string> texts = {"0", "-0", "1", "0.1", "1e-7", "2.5", "-3.75e2", "1e308", "1.7976931348623157e308",
                                    "2.2250738585072009e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
                                    "2.4703282292062328e-324", "1e-400", "9007199254740993", "0.30000000000000004",
                                    "123456789012345678e-10", "+5", "5.", ".5e1"};
  for (double x : interesting())
    for (int p : {6, 9, 17}) texts.push_back(libc_g(x, p));
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double x;
    std::memcpy(&x, &bits, sizeof x);
    if (std::isfinite(x)) texts.push_back(libc_g(x, 1 + static_cast<int>(rng() % 17)));
  }
  long parsed = 0;
  for (const auto& t : texts) {
    Decimal d;
    if (!parse_decimal(t.c_str(), &d)) continue;  // forms outside the documented grammar
    ++parsed;
    const double want = std::strtod(t.c_str(), nullptr), got = decimal_to_double(d);
    INFO("text '" << t << "': strtod " << libc_g(want, 17) << ", decimal_to_double " << libc_g(got, 17));
    REQUIRE(std::memcmp(&want, &got, sizeof want) == 0);
  }
  CHECK(parsed >= static_cast<long>(texts.size()) - 3);
  // text outside the grammar is refused, not half read
  Decimal d;
  for (const char* bad : {"", "-", "e5", "1e", "0x10", "inf", "nan", "1.2.3", " 1", "1 ", "12345678901234567890"})
    CHECK_FALSE(parse_decimal(bad, &d));
}
