// Exact conversions between doubles and decimal text, in place of the C library's strtod and
// snprintf. In the wasm module strtod pulls in musl's long-double scanner with the soft-float128
// arithmetic behind it, and snprintf the whole printf engine (together about 20 KB of code), while
// the core needs only a few plain cases: "%.Ng" and "%.0f" of a double, "\\u%04x", reading back its
// own printed numbers (core/json_writer.hpp) and the numbers of a sample hint (lab/sample.cpp). All
// are done exactly, in integer arithmetic, with the same round-to-nearest-even the C library uses,
// so every text is byte for byte what snprintf/strtod give.
#pragma once

#include <cstdint>
#include <string>

namespace attnlab {

// A decimal number text: [+-]digits[.digits][(e|E)[+-]digits] with at least one mantissa digit and
// at most 19 significant digits, nothing before or after. Value: (neg ? -1 : 1) * m * 10^e.
struct Decimal {
  bool neg = false;
  std::uint64_t m = 0;
  int e = 0;
};
bool parse_decimal(const char* text, Decimal* out);

// Where the decimal (m > 0) reads back relative to x (finite and >= 0, or +infinity): 0 when it
// rounds to x, -1 when it rounds to a smaller double, +1 when to a larger one.
int decimal_vs_double(std::uint64_t m, int e, double x);

// The double a decimal rounds to: what strtod returns for the same text.
double decimal_to_double(const Decimal& d);

// What snprintf writes for "%.*g" with this precision (1 to 17) and a finite x.
std::string format_g(double x, int precision);

// What snprintf writes for "%.0f" when x is an integer of magnitude below 2^53.
std::string format_integer(double x);

// "\\u" and four lower-case hex digits of a control character (c < 0x20), as "\\u%04x" writes it.
std::string unicode_escape(char c);

}  // namespace attnlab
