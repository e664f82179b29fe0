#include "core/config.hpp"

#include <cmath>

#include "core/decimal.hpp"

namespace attnlab {

const char* form_name(Form f) {
  switch (f) {
    case Form::parallel: return "parallel";
    case Form::recurrent: return "recurrent";
    case Form::chunkwise: return "chunkwise";
  }
  return "?";
}

bool parse_form(const std::string& s, Form* out) {
  if (s == "parallel") *out = Form::parallel;
  else if (s == "recurrent") *out = Form::recurrent;
  else if (s == "chunkwise") *out = Form::chunkwise;
  else return false;
  return true;
}

Status type_error(const std::string& arg, const std::string& msg) { return "TypeError|" + arg + ": " + msg; }
Status range_error(const std::string& arg, const std::string& msg) { return "RangeError|" + arg + ": " + msg; }

std::string fmt(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  return format_g(x, 9);  // "%.9g"
}

}  // namespace attnlab
