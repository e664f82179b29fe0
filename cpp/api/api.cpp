#include "api/api.hpp"

#include <algorithm>
#include <cmath>

#include "core/decimal.hpp"

namespace attnlab {

namespace {

// Keys every variant accepts in its options object besides its own (sizes it does not use are
// ignored, so one options object can be reused across variants).
const char* const kSizeNames[] = {"dk", "dv", "C", "D", "N", "P"};

bool is_size_name(const std::string& k) {
  for (const char* s : kSizeNames)
    if (k == s) return true;
  return false;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

ATTNLAB_COLD Status check_size(const Config& cfg, const std::string& name, double max, long* out) {
  if (!cfg.numbers.count(name)) {
    if (cfg.strings.count(name)) return type_error(name, "expected a positive integer, got a string");
    return type_error(name, "missing; expected a positive integer");
  }
  double x = cfg.num(name, 0);
  if (!std::isfinite(x) || x != std::floor(x) || x < 1)
    return range_error(name, "expected a positive integer, got " + fmt(x));
  if (x > max) return range_error(name, "expected at most " + fmt(max) + ", got " + fmt(x));
  *out = static_cast<long>(x);
  return {};
}

// Every numeric option is multiplied into float32 arithmetic (a scale times q.k, Dskip times x, a
// log decay times a step). A variant that declares no bound still gets this one, so that an option
// times inputs of ordinary size cannot leave float range: scale = -1e36 on rwkv5 inputs of size 30
// overflowed every form to infinities (found by the fuzzer). Linear attention's own bound is the same.
constexpr double kMaxOptionMagnitude = 1e30;


ATTNLAB_COLD Status check_option(const OptionSpec& o, const Config& cfg) {
  if (!o.choices.empty()) {
    if (cfg.numbers.count(o.name)) return type_error(o.name, "expected one of " + join(o.choices) + ", got a number");
    if (!cfg.strings.count(o.name)) return {};
    const std::string v = cfg.str(o.name, "");
    if (std::find(o.choices.begin(), o.choices.end(), v) == o.choices.end())
      return range_error(o.name, "expected one of " + join(o.choices) + ", got '" + v + "'");
    return {};
  }
  if (cfg.strings.count(o.name)) return type_error(o.name, "expected a number, got a string");
  if (!cfg.numbers.count(o.name)) return {};
  const double x = cfg.num(o.name, 0);
  if (!std::isfinite(x)) return range_error(o.name, "expected a finite number, got " + fmt(x));
  if (o.boolean) {
    if (x != 0 && x != 1) return type_error(o.name, "expected true or false, got " + fmt(x));
    return {};
  }
  if (o.integer && x != std::floor(x)) return range_error(o.name, "expected an integer, got " + fmt(x));
  const bool lo_bad = o.lo_open ? !(x > o.lo) : !(x >= o.lo);
  const bool hi_bad = o.hi_open ? !(x < o.hi) : !(x <= o.hi);
  if (lo_bad || hi_bad) {
    std::string range = std::string(o.lo_open ? "(" : "[") + fmt(o.lo) + ", " + fmt(o.hi) + (o.hi_open ? ")" : "]");
    if (o.lo <= -1e300) range = std::string(o.hi_open ? "< " : "<= ") + fmt(o.hi);
    if (o.hi >= 1e300) range = std::string(o.lo_open ? "> " : ">= ") + fmt(o.lo);
    return range_error(o.name, "expected a value " + range + ", got " + fmt(x));
  }
  if (x < option_lo(o) || x > option_hi(o))
    return range_error(o.name, "expected a value of magnitude at most " + fmt(kMaxOptionMagnitude) + ", got " + fmt(x));
  return {};
}

}  // namespace

// Each option's default is written once, in the variant's info(): filled in here for params().
ATTNLAB_COLD Config with_defaults(const VariantInfo& info, const Config& cfg) {
  Config resolved = cfg;
  for (const auto& o : info.options) {
    if (resolved.has(o.name)) continue;
    if (!o.choices.empty()) resolved.strings[o.name] = o.text_def;
    else if (!std::isnan(o.def)) resolved.numbers[o.name] = o.def;
  }
  return resolved;
}

double option_lo(const OptionSpec& o) { return std::max(o.lo, -kMaxOptionMagnitude); }
double option_hi(const OptionSpec& o) { return std::min(o.hi, kMaxOptionMagnitude); }

long Sizes::of(const std::string& name) const {
  if (name == "1") return 1;
  auto it = dims.find(name);
  return it == dims.end() ? 0 : it->second;
}

ATTNLAB_COLD Status validate_size(const Config& cfg, const std::string& name, double max, long* out) {
  return check_size(cfg, name, max, out);
}

ATTNLAB_COLD Status validate_option(const OptionSpec& o, const Config& cfg) { return check_option(o, cfg); }

long input_length(const InputSpec& spec, const Sizes& s, bool whole_sequence) {
  long len = 1;
  for (const auto& d : spec.dims) len *= s.of(d);
  return spec.per_token && whole_sequence ? len * s.n : len;
}

ATTNLAB_COLD Status validate_config(const Entry& e, const Config& cfg, bool with_n, Sizes* sizes, Form* form, int* chunk,
                       std::unique_ptr<Bound>* bound) {
  const VariantInfo& info = e.info;
  // Unknown keys first: a typo should not surface as a confusing "missing" error later.
  for (const auto& kv : cfg.numbers) {
    const std::string& k = kv.first;
    if (k == "n" || k == "chunk" || k == "form" || is_size_name(k)) continue;  // wrong types reported below
    bool known = false;
    for (const auto& o : info.options) known |= o.name == k;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& o : info.options) names.push_back(o.name);
      return type_error(k, "not an option of " + info.id + "; its options are " +
                               (names.empty() ? std::string("none") : join(names)));
    }
  }
  for (const auto& kv : cfg.strings) {
    const std::string& k = kv.first;
    if (k == "form" || k == "n" || k == "chunk" || is_size_name(k)) continue;
    bool known = false;
    for (const auto& o : info.options) known |= o.name == k;
    if (!known) return type_error(k, "not an option of " + info.id);
  }
  if (with_n) {
    Status st = check_size(cfg, "n", kMaxLength, &sizes->n);
    if (!st.empty()) return st;
  }
  for (const auto& name : info.sizes) {
    long v = 0;
    Status st = check_size(cfg, name, kMaxDim, &v);
    if (!st.empty()) return st;
    sizes->dims[name] = v;
  }
  *form = Form::recurrent;
  if (cfg.numbers.count("form")) return type_error("form", "expected 'parallel', 'recurrent' or 'chunkwise'");
  if (cfg.strings.count("form")) {
    const std::string f = cfg.str("form", "");
    if (!parse_form(f, form)) return range_error("form", "expected 'parallel', 'recurrent' or 'chunkwise', got '" + f + "'");
    if (std::find(info.forms.begin(), info.forms.end(), *form) == info.forms.end()) {
      std::string why;
      for (const auto& m : info.missing)
        if (m.first == *form) why = " (" + m.second + ")";
      std::vector<std::string> offered;
      for (Form x : info.forms) offered.push_back(form_name(x));
      return range_error("form", info.id + " has no " + f + " form" + why + "; expected one of " + join(offered));
    }
  }
  *chunk = info.default_chunk;
  if (cfg.strings.count("chunk")) return type_error("chunk", "expected a positive integer, got a string");
  if (cfg.numbers.count("chunk")) {
    const double c = cfg.num("chunk", 0);
    if (!std::isfinite(c) || c != std::floor(c) || c < 1)
      return range_error("chunk", "expected a positive integer, got " + fmt(c));
    *chunk = static_cast<int>(std::min(c, kMaxLength));
  }
  if (with_n) *chunk = static_cast<int>(std::min<long>(*chunk, sizes->n));
  for (const auto& o : info.options) {
    Status st = check_option(o, cfg);
    if (!st.empty()) return st;
  }
  return e.bind(with_defaults(info, cfg), bound);
}

Status validate_values(const InputSpec& spec, const float* data, long len) {
  for (long i = 0; i < len; ++i) {
    const double x = data[i];
    if (!std::isfinite(x))
      return range_error(spec.name, "expected finite values, got " + fmt(x) + " at index " + std::to_string(i));
    const bool lo_bad = spec.lo_open ? !(x > spec.lo) : !(x >= spec.lo);
    const bool hi_bad = spec.hi_open ? !(x < spec.hi) : !(x <= spec.hi);
    if (lo_bad || hi_bad) {
      std::string range = std::string(spec.lo_open ? "(" : "[") + fmt(spec.lo) + ", " + fmt(spec.hi) +
                          (spec.hi_open ? ")" : "]");
      if (spec.lo <= -1e300) range = std::string(spec.hi_open ? "< " : "<= ") + fmt(spec.hi);
      if (spec.hi >= 1e300) range = std::string(spec.lo_open ? "> " : ">= ") + fmt(spec.lo);
      return range_error(spec.name, "expected values " + range + ", got " + fmt(x) + " at index " + std::to_string(i));
    }
  }
  return {};
}

// A state handed in by a caller (initialState): the one another form or another state object ended
// with. A fixed-size state must have exactly the empty state's length; a KV cache (softmax, sliding
// window) any whole number of rows [k_j, v_j], at most `window` of them, and counts as that many
// tokens. Every value must be finite (a state has no other range the core could check).
ATTNLAB_COLD Status load_state(const Entry& e, const Bound& b, const Sizes& sizes, const Config& cfg,
                               const std::vector<float>& data, State* s) {
  const VariantInfo& info = e.info;
  b.init_state(*s);
  const long len = static_cast<long>(data.size());
  const bool cache = !info.state_dims.empty() && (info.state_dims[0] == "t" || info.state_dims[0] == "window");
  if (cache) {
    const long row = sizes.of("dk") + sizes.of("dv");
    if (len % row != 0)
      return range_error("initialState", "expected a KV cache of whole rows [k, v] of " + std::to_string(row) +
                                             " floats each, got length " + std::to_string(len));
    if (info.state_dims[0] == "window") {
      double window = 0;
      for (const auto& o : info.options)
        if (o.name == "window") window = cfg.num("window", o.def);
      if (len / row > window)
        return range_error("initialState", "expected at most window = " + fmt(window) + " rows, got " +
                                               std::to_string(len / row));
    }
  } else if (len != static_cast<long>(s->data.size())) {
    return range_error("initialState", "expected length " + std::to_string(s->data.size()) + ", got " + std::to_string(len));
  }
  for (long i = 0; i < len; ++i)
    if (!std::isfinite(data[i]))
      return range_error("initialState", "expected finite values, got " + fmt(data[i]) + " at index " + std::to_string(i));
  s->data = data;
  s->t = cache ? len / (sizes.of("dk") + sizes.of("dv")) : 0;
  return {};
}

// ---------------------------------------------------------------------------------------------
// Call

Call::Call(const std::string& id) : id_(id) {}

void Call::set_number(const std::string& key, double value) {
  cfg_.strings.erase(key);
  cfg_.numbers[key] = value;
}
void Call::set_string(const std::string& key, const std::string& value) {
  cfg_.numbers.erase(key);
  cfg_.strings[key] = value;
}

float* Call::input(const std::string& name, long len) {
  if (len < 0 || static_cast<double>(len) * 4 > kMemoryBudgetBytes) return nullptr;
  auto& b = buffers_[name];
  b.assign(static_cast<size_t>(len), 0.f);
  return b.data();
}

ATTNLAB_COLD Status Call::prepare(Inputs* in, const Entry** out_entry) {
  const Entry* e = find_variant(id_);
  if (!e) return range_error("id", "unknown variant '" + id_ + "'; expected one of " + variant_ids());
  *out_entry = e;
  Status st = validate_config(*e, cfg_, true, &sizes_, &form_, &chunk_, &bound_);
  if (!st.empty()) return st;
  const VariantInfo& info = e->info;
  std::vector<std::string> names;
  for (const auto& s : info.inputs) names.push_back(s.name);
  for (const auto& kv : buffers_) {
    if (kv.first == "initialState") continue;
    if (std::find(names.begin(), names.end(), kv.first) == names.end())
      return type_error("inputs." + kv.first, "not an input of " + id_ + "; expected " + join(names));
  }
  double floats = 0;
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    const InputSpec& spec = info.inputs[i];
    const long want = input_length(spec, sizes_, true);
    auto it = buffers_.find(spec.name);
    std::string shape = spec.per_token ? "[n" : "[";
    for (size_t d = 0; d < spec.dims.size(); ++d) shape += (d || spec.per_token ? ", " : "") + spec.dims[d];
    shape += "]";
    if (it == buffers_.end())
      return type_error("inputs." + spec.name, "missing; expected a Float32Array of length " + std::to_string(want) + " " + shape);
    if (static_cast<long>(it->second.size()) != want)
      return range_error("inputs." + spec.name, "expected length " + std::to_string(want) + " " + shape + ", got " +
                                                    std::to_string(it->second.size()));
    Status vs = validate_values(spec, it->second.data(), want);
    if (!vs.empty()) return "RangeError|inputs." + vs.substr(vs.find('|') + 1);
    in->ptr[i] = it->second.data();
    in->width[i] = input_length(spec, sizes_, false);
    floats += want;
  }
  out_width_ = bound_->out_width();
  floats += static_cast<double>(sizes_.n) * out_width_ + bound_->workspace(sizes_.n, form_, chunk_);
  if (floats * 4 > kMemoryBudgetBytes)
    return range_error("n", "this call needs about " + fmt(std::ceil(floats * 4 / 1048576)) +
                                " MiB, over the module's budget of " + fmt(kMemoryBudgetBytes / 1048576) +
                                " MiB; use a shorter sequence or the recurrent/chunkwise form");
  return {};
}

Status Call::run() {
  output_.clear();
  state_.clear();
  has_state_ = false;
  Inputs in;
  const Entry* e = nullptr;
  Status st = prepare(&in, &e);
  if (!st.empty()) return st;
  const long n = sizes_.n;
  if (form_ == Form::parallel && buffers_.count("initialState"))
    return range_error("initialState", "the parallel form always starts from an empty state; expected form 'recurrent' or "
                                       "'chunkwise' to continue from a state");
  State s;
  bound_->init_state(s);
  auto init = buffers_.find("initialState");
  if (init != buffers_.end()) {
    st = load_state(*e, *bound_, sizes_, cfg_, init->second, &s);
    if (!st.empty()) return st;
    // The flash kernel streams the keys of this call only; a cache from earlier tokens is read by
    // the recurrent form (or by a state object from createState).
    if (form_ == Form::chunkwise && s.t > 0)
      return range_error("initialState", "a KV cache is continued by the recurrent form only; expected form "
                                         "'recurrent', or createState() seeded with it");
  }
  output_.assign(static_cast<size_t>(n * out_width_), 0.f);
  if (form_ == Form::parallel) {
    // The parallel form computes the outputs all at once and hands on the state the recurrence
    // would end with, so a prompt read in parallel can be continued token by token.
    bound_->parallel(in, n, s, output_.data());
    s.t = n;
  } else if (form_ == Form::recurrent) {
    for (long t = 0; t < n; ++t) {
      bound_->step(Token::at(in, e->info, t), s, output_.data() + t * out_width_);
      ++s.t;
    }
  } else {
    bound_->chunkwise(in, n, chunk_, s, output_.data());
    s.t += n;
  }
  state_ = std::move(s.data);
  has_state_ = true;
  return {};
}

ATTNLAB_COLD Status Call::run_reference() {
  Inputs in;
  const Entry* e = nullptr;
  Status st = prepare(&in, &e);
  if (!st.empty()) return st;
  output_ref_.assign(static_cast<size_t>(sizes_.n * out_width_), 0.0);
  StateD s;
  State s32;
  bound_->init_state(s32);
  auto init = buffers_.find("initialState");
  const std::vector<float>& src = init != buffers_.end() ? init->second : s32.data;
  s.data.assign(src.begin(), src.end());
  bound_->reference(in, sizes_.n, s, output_ref_.data());
  state_ref_ = std::move(s.data);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Stepper

Stepper::Stepper(const std::string& id) : id_(id) {}

void Stepper::set_number(const std::string& key, double value) {
  cfg_.strings.erase(key);
  cfg_.numbers[key] = value;
  ready_ = false;
}
void Stepper::set_string(const std::string& key, const std::string& value) {
  cfg_.numbers.erase(key);
  cfg_.strings[key] = value;
  ready_ = false;
}

float* Stepper::channel_input(const std::string& name, long len) {
  if (len < 0 || static_cast<double>(len) * 4 > kMemoryBudgetBytes) return nullptr;
  ready_ = false;
  auto& b = channel_[name];
  b.assign(static_cast<size_t>(len), 0.f);
  return b.data();
}

ATTNLAB_COLD Status Stepper::init() {
  ready_ = false;
  entry_ = find_variant(id_);
  if (!entry_) return range_error("id", "unknown variant '" + id_ + "'; expected one of " + variant_ids());
  Form form;
  int chunk;
  Status st = validate_config(*entry_, cfg_, false, &sizes_, &form, &chunk, &bound_);
  if (!st.empty()) return st;
  const VariantInfo& info = entry_->info;
  std::vector<std::string> names;
  for (const auto& s : info.inputs)
    if (!s.per_token) names.push_back(s.name);
  for (const auto& kv : channel_)
    if (kv.first != "initialState" && std::find(names.begin(), names.end(), kv.first) == names.end())
      return type_error("channelInputs." + kv.first,
                        "not a per-channel input of " + id_ + "; expected " + (names.empty() ? "none" : join(names)));
  in_ = Inputs{};
  token_.clear();
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    const InputSpec& spec = info.inputs[i];
    const long want = input_length(spec, sizes_, false);
    if (spec.per_token) {
      auto& b = token_[spec.name];
      b.assign(static_cast<size_t>(want), 0.f);
      in_.ptr[i] = b.data();
    } else {
      auto it = channel_.find(spec.name);
      if (it == channel_.end())
        return type_error("channelInputs." + spec.name, "missing; expected a Float32Array of length " + std::to_string(want));
      if (static_cast<long>(it->second.size()) != want)
        return range_error("channelInputs." + spec.name,
                           "expected length " + std::to_string(want) + ", got " + std::to_string(it->second.size()));
      Status vs = validate_values(spec, it->second.data(), want);
      if (!vs.empty()) return "RangeError|channelInputs." + vs.substr(vs.find('|') + 1);
      in_.ptr[i] = it->second.data();
    }
    in_.width[i] = want;
  }
  output_.assign(static_cast<size_t>(bound_->out_width()), 0.f);
  state_ = State{};
  auto seed = channel_.find("initialState");
  if (seed != channel_.end()) {
    st = load_state(*entry_, *bound_, sizes_, cfg_, seed->second, &state_);
    if (!st.empty()) return st;
  } else {
    bound_->init_state(state_);
  }
  ready_ = true;
  return {};
}

float* Stepper::token_input(const std::string& name) {
  auto it = token_.find(name);
  return it == token_.end() ? nullptr : it->second.data();
}

Status Stepper::step() {
  if (!ready_) return type_error("state", "not initialised");
  const VariantInfo& info = entry_->info;
  for (const auto& spec : info.inputs) {
    if (!spec.per_token) continue;
    const auto& b = token_[spec.name];
    Status vs = validate_values(spec, b.data(), static_cast<long>(b.size()));
    if (!vs.empty()) return "RangeError|token." + vs.substr(vs.find('|') + 1);
  }
  const double need = 4 * (bound_->workspace(state_.t + 1, Form::recurrent, 1) + output_.size());
  if (need > kMemoryBudgetBytes)
    return range_error("t", "one more token would take the state over the module's memory budget of " +
                                fmt(kMemoryBudgetBytes / 1048576) + " MiB; reset() or use a variant with a fixed state");
  bound_->step(Token::at(in_, info, 0), state_, output_.data());
  ++state_.t;
  return {};
}

void Stepper::reset() {
  if (!ready_) return;
  state_ = State{};
  bound_->init_state(state_);
  std::fill(output_.begin(), output_.end(), 0.f);
}

ATTNLAB_COLD Status Stepper::set_state(const float* data, long len) {
  if (!ready_) return type_error("state", "not initialised");
  if (len < 0) return range_error("initialState", "expected a non-negative length");
  State s;
  Status st = load_state(*entry_, *bound_, sizes_, cfg_, std::vector<float>(data, data + len), &s);
  if (!st.empty()) return st;
  state_ = std::move(s);
  return {};
}

}  // namespace attnlab
