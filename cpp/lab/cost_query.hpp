// The cost, two-orders, memory and measure calls in the shape the bindings already know from Call:
// fill options with set_number / set_string, call, read json() (a JSON object the JS wrapper
// returns after JSON.parse). The Embind file only registers this class; every check and every
// conversion happens here, and a bad argument comes back as a Status naming it.
#pragma once

#include <string>

#include "core/config.hpp"

namespace attnlab {

class CostQuery {
 public:
  void set_number(const std::string& key, double value);
  void set_string(const std::string& key, const std::string& value);
  void clear();  // forget every option set so far

  // core.cost(id, { n, dk, dv, form, chunk, ...options })
  Status cost(const std::string& id);
  // core.twoOrders({ n, dk, dv }): the options' n, dk and dv
  Status two_orders();
  // core.memory(id, { n, dk, dv, ...options }, { layers, heads })
  Status memory(const std::string& id, double layers, double heads);
  // core.measure(id, { n, dk, dv, form, chunk, ...options }, reps)
  Status measure(const std::string& id, double reps);

  // The result of the last successful call ("" after a failed one).
  const std::string& json() const { return json_; }

 private:
  Config cfg_;
  std::string json_;
};

}  // namespace attnlab
