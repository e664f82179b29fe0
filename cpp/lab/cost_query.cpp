#include "lab/cost_query.hpp"

#include <cmath>

#include "api/api.hpp"
#include "lab/cost.hpp"
#include "lab/measure.hpp"

namespace attnlab {

namespace {

// A whole number in [lo, hi] given as a JS number.
Status whole(const std::string& name, double x, double lo, double hi) {
  if (!std::isfinite(x) || x != std::floor(x) || x < lo || x > hi)
    return range_error(name, "expected an integer in [" + fmt(lo) + ", " + fmt(hi) + "], got " + fmt(x));
  return {};
}

}  // namespace

void CostQuery::set_number(const std::string& key, double value) {
  cfg_.strings.erase(key);
  cfg_.numbers[key] = value;
}

void CostQuery::set_string(const std::string& key, const std::string& value) {
  cfg_.numbers.erase(key);
  cfg_.strings[key] = value;
}

void CostQuery::clear() {
  cfg_ = Config{};
  json_.clear();
}

Status CostQuery::cost(const std::string& id) {
  json_.clear();
  CostResult r;
  Status st = attnlab::cost(id, cfg_, &r);
  if (st.empty()) json_ = to_json(r);
  return st;
}

Status CostQuery::two_orders() {
  json_.clear();
  const struct {
    const char* name;
    double max;
  } sizes[] = {{"n", kMaxLength}, {"dk", kMaxDim}, {"dv", kMaxDim}};
  long v[3] = {};
  for (int i = 0; i < 3; ++i) {
    const std::string name = sizes[i].name;
    if (cfg_.strings.count(name)) return type_error(name, "expected a positive integer, got a string");
    if (!cfg_.numbers.count(name)) return type_error(name, "missing; expected a positive integer");
    Status st = whole(name, cfg_.num(name, 0), 1, sizes[i].max);
    if (!st.empty()) return st;
    v[i] = static_cast<long>(cfg_.num(name, 0));
  }
  TwoOrders t;
  Status st = attnlab::two_orders(v[0], v[1], v[2], &t);
  if (st.empty()) json_ = to_json(t);
  return st;
}

Status CostQuery::memory(const std::string& id, double layers, double heads) {
  json_.clear();
  MemoryResult m;
  Status st = attnlab::memory(id, cfg_, layers, heads, &m);
  if (st.empty()) json_ = to_json(m);
  return st;
}

Status CostQuery::measure(const std::string& id, double reps) {
  json_.clear();
  Status st = whole("reps", reps, 1, 1000);
  if (!st.empty()) return st;
  MeasureResult m;
  st = attnlab::measure(id, cfg_, static_cast<int>(reps), &m);
  if (st.empty()) json_ = to_json(m);
  return st;
}

}  // namespace attnlab
