// core.featureMap(name, x, { n, dk, features, seed }): the rows φ(x_t) of a feature map, as linear
// attention uses them (variants/linear.hpp), so that the lesson can show the features themselves.
//
// The map is built by Linear::params from the same options linear takes (featureMap = name, plus
// features and seed), and each row goes through fmap::Map::apply, the function linear's recurrent
// step calls for its keys (scale 1): the same performer projection for the same seed, the same
// float32 arithmetic. Performer's apply returns its features relative to the largest one (a shift,
// feature_maps.hpp); this call puts the shift back, so every map returns the true φ, and a row whose
// true φ does not fit in float32 (huge x under taylor2 or performer) is refused, never returned as
// infinity.
//
// Output [n, m] row-major: m = dk (elu1, relu, identity), 1 + dk + dk² (taylor2), features (performer).
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"

namespace attnlab {

class FeatureMapCall {
 public:
  explicit FeatureMapCall(const std::string& name) : name_(name) {}
  // Options: n, dk (sizes), features and seed (linear's performer options; other maps ignore them,
  // as linear does). Any other key is refused by run(), naming it.
  void set_number(const std::string& key, double value);
  void set_string(const std::string& key, const std::string& value);
  // The buffer of x ([n, dk] floats), owned by this call; nullptr for a length over the budget.
  float* input(long len);
  Status run();
  const std::vector<float>& output() const { return output_; }
  long width() const { return width_; }  // m, valid after a successful run()

 private:
  std::string name_;
  Config cfg_;
  std::vector<float> x_;
  bool has_x_ = false;
  std::vector<float> output_;
  long width_ = 0;
};

}  // namespace attnlab
