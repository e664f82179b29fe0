// The options of one call, as the caller gave them, plus the three forms every variant knows.
//
// The core never throws (the shipped wasm is built without C++ exceptions), so validation returns a
// Status: empty when fine, otherwise "TypeError|arg: message" or "RangeError|arg: message". The JS
// wrapper turns the prefix into the matching JavaScript Error class.
#pragma once

#include <cmath>
#include <map>
#include <string>

namespace attnlab {

// Limits of the module. The most a single call may allocate (inputs, outputs, state and scratch together).
constexpr double kMemoryBudgetBytes = 256.0 * 1024 * 1024;
constexpr double kMaxLength = 1 << 24;  // tokens per call
constexpr double kMaxDim = 4096;        // any other size

enum class Form { parallel, recurrent, chunkwise };

const char* form_name(Form f);
bool parse_form(const std::string& s, Form* out);

using Status = std::string;  // "" = ok

Status type_error(const std::string& arg, const std::string& msg);
Status range_error(const std::string& arg, const std::string& msg);

// Compact number formatting for messages ("0.5", "1e+30", "NaN").
std::string fmt(double x);

struct Config {
  std::map<std::string, double> numbers;       // n, dk, dv, chunk, scale, gamma, ...
  std::map<std::string, std::string> strings;  // form, featureMap, ...

  bool has(const std::string& key) const { return numbers.count(key) || strings.count(key); }
  double num(const std::string& key, double def) const {
    auto it = numbers.find(key);
    return it == numbers.end() ? def : it->second;
  }
  // A variant option inside params(): validation has filled in the default its info() declares, so
  // params() never repeats it. NaN / "" only for an option whose default depends on the sizes.
  double num(const std::string& key) const { return num(key, NAN); }
  std::string str(const std::string& key) const { return str(key, ""); }
  std::string str(const std::string& key, const std::string& def) const {
    auto it = strings.find(key);
    return it == strings.end() ? def : it->second;
  }
  // An integer size that validation has already checked.
  int size(const std::string& key) const { return static_cast<int>(num(key, 0)); }
};

}  // namespace attnlab
