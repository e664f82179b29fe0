// The core's public entry points, free of Emscripten: the bindings register these classes as they
// are, the native tests and the fuzzer call them directly.
//
// A Call runs one variant over a whole sequence in one form; a Stepper consumes one token at a
// time. Both own their buffers: the caller asks for an input buffer of a given length, fills it,
// then runs. Nothing here throws: every problem comes back as a Status naming the argument.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/registry.hpp"

namespace attnlab {

// Resolved sizes of a call (validated numbers from the options).
struct Sizes {
  long n = 0;
  std::map<std::string, long> dims;  // "dk" -> 64, ...
  long of(const std::string& name) const;  // product for a dims entry name, "1" -> 1
};

// Checks sizes, form, chunk and the variant's options against its info; binds the variant.
// with_n = false for steppers (no sequence length).
Status validate_config(const Entry& e, const Config& cfg, bool with_n, Sizes* sizes, Form* form, int* chunk,
                       std::unique_ptr<Bound>* bound);
// cfg with every option it leaves out set to the default info() declares (what params() reads).
Config with_defaults(const VariantInfo& info, const Config& cfg);
// The range a numeric option is checked against: its own, within the magnitude every option has.
double option_lo(const OptionSpec& o);
double option_hi(const OptionSpec& o);
// Checks an input array's values against its spec (finite, in range).
Status validate_values(const InputSpec& spec, const float* data, long len);
long input_length(const InputSpec& spec, const Sizes& s, bool whole_sequence);
// The size and option checks run() applies, for the entry points that are not variants
// (featureMap, tokenShift), so that their messages read the same: a size is a positive integer of
// at most `max`; an option is checked against its spec (type, finiteness, range, integer).
Status validate_size(const Config& cfg, const std::string& name, double max, long* out);
Status validate_option(const OptionSpec& o, const Config& cfg);

class Call {
 public:
  explicit Call(const std::string& id);
  void set_number(const std::string& key, double value);
  void set_string(const std::string& key, const std::string& value);
  // A buffer of `len` floats for input `name`, owned by this call (initialState is accepted too).
  float* input(const std::string& name, long len);
  Status run();
  // The float64 reference over the same inputs (tests only; same validation as run()).
  Status run_reference();

  const std::vector<float>& output() const { return output_; }
  const std::vector<float>& state() const { return state_; }
  const std::vector<double>& output_ref() const { return output_ref_; }
  const std::vector<double>& state_ref() const { return state_ref_; }
  bool has_state() const { return has_state_; }
  long out_width() const { return out_width_; }

 private:
  Status prepare(Inputs* in, const Entry** e);
  std::string id_;
  Config cfg_;
  std::map<std::string, std::vector<float>> buffers_;
  Sizes sizes_;
  Form form_ = Form::recurrent;
  int chunk_ = 64;
  std::unique_ptr<Bound> bound_;
  std::vector<float> output_, state_;
  std::vector<double> output_ref_, state_ref_;
  bool has_state_ = false;
  long out_width_ = 0;
};

class Stepper {
 public:
  explicit Stepper(const std::string& id);
  void set_number(const std::string& key, double value);
  void set_string(const std::string& key, const std::string& value);
  float* channel_input(const std::string& name, long len);
  Status init();
  // One row for each per-token input; valid after init().
  float* token_input(const std::string& name);
  Status step();
  const std::vector<float>& output() const { return output_; }
  const std::vector<float>& state() const { return state_.data; }
  long t() const { return state_.t; }
  void reset();
  long out_width() const { return static_cast<long>(output_.size()); }
  // Replace the state (e.g. carried from a run); length must match.
  Status set_state(const float* data, long len);

 private:
  std::string id_;
  Config cfg_;
  const Entry* entry_ = nullptr;
  std::map<std::string, std::vector<float>> channel_, token_;
  Inputs in_;
  Sizes sizes_;
  std::unique_ptr<Bound> bound_;
  State state_;
  std::vector<float> output_;
  bool ready_ = false;
};

// JSON text of every variant's info (what core.variants() returns; describe.cpp).
std::string variants_json();

}  // namespace attnlab
