// A minimal JSON object writer for the lab's results (cost, memory, measure): flat keys, numbers
// printed exactly when they are integers below 2^53, so JS receives the same figures the C++ has.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/decimal.hpp"

namespace attnlab {

class JsonObject {
 public:
  JsonObject& num(const std::string& key, double x) { return raw(key, number(x)); }
  JsonObject& str(const std::string& key, const std::string& s) { return raw(key, quote(s)); }
  JsonObject& boolean(const std::string& key, bool b) { return raw(key, b ? "true" : "false"); }
  JsonObject& nul(const std::string& key) { return raw(key, "null"); }
  JsonObject& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ",") + quote(key) + ":" + json;
    return *this;
  }
  std::string text() const { return "{" + body_ + "}"; }

  static std::string number(double x) {
    if (!std::isfinite(x)) return "null";
    // "%.0f" and "%.*g" as snprintf writes them, and a read-back check equal to strtod's
    // (core/decimal.hpp: neither C function is linked into the wasm module).
    if (x == std::floor(x) && std::fabs(x) < 9007199254740992.0) return format_integer(x);
    // The shortest of 15, 16 or 17 digits that reads back as the same double.
    std::string text;
    for (int digits = 15; digits <= 17; ++digits) {
      text = format_g(x, digits);
      if (reads_back(text.c_str(), x)) break;
    }
    return text;
  }
  static bool reads_back(const char* text, double x) {
    Decimal d;
    if (!parse_decimal(text, &d)) return false;
    if (d.m == 0) return x == 0;
    return d.neg == std::signbit(x) && decimal_vs_double(d.m, d.e, std::fabs(x)) == 0;
  }
  static std::string quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') {
        o += '\\';
        o += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        o += unicode_escape(c);
      } else {
        o += c;
      }
    }
    return o + "\"";
  }
  static std::string array(const std::vector<std::string>& items) {
    std::string o = "[";
    for (size_t i = 0; i < items.size(); ++i) o += (i ? "," : "") + items[i];
    return o + "]";
  }
  static std::string numbers(const std::vector<double>& xs) {
    std::vector<std::string> items;
    for (double x : xs) items.push_back(number(x));
    return array(items);
  }

 private:
  std::string body_;
};

}  // namespace attnlab
