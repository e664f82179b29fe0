// libFuzzer target over the core's public entry points (issue 10).
//
// The fuzzer picks a variant, a form, small sizes, a chunk, option values and input bytes. Every
// call must end in either a clean Status ("TypeError|..." / "RangeError|...") or an output and
// state that are all finite. Inputs are mapped into each input's allowed range and a bounded
// magnitude, so a non-finite result is a bug, not overflow the caller asked for. Option values are
// taken raw half of the time (NaN, infinities, negatives), to exercise validation.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "api/api.hpp"

using namespace attnlab;

namespace {

struct Bytes {
  const std::uint8_t* p;
  size_t n;
  std::uint8_t u8() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  double unit() { return u8() / 255.0; }
  float raw_float() {
    std::uint32_t x = 0;
    for (int i = 0; i < 4; ++i) x = (x << 8) | u8();
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
};

std::string g_case;  // what this input asked for, printed with a failure

void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_api: %s\n  case: %s\n", what.c_str(), g_case.c_str());
  std::abort();
}

bool clean_error(const Status& st) {
  return st.rfind("TypeError|", 0) == 0 || st.rfind("RangeError|", 0) == 0;
}

// A value inside [lo, hi] (open ends nudged inward), at most `mag` in size.
float in_range(const InputSpec& s, double u, double mag) {
  double lo = std::max(s.lo, -mag), hi = std::min(s.hi, mag);
  if (s.lo_open) lo += 1e-3 * std::max(1.0, std::fabs(lo));
  if (s.hi_open) hi -= 1e-3 * std::max(1.0, std::fabs(hi));
  if (hi < lo) hi = lo;
  return static_cast<float>(lo + (hi - lo) * u);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  Bytes b{data, size};
  const auto& reg = registry();
  if (reg.empty()) return 0;
  const Entry& e = reg[b.u8() % reg.size()];
  const VariantInfo& info = e.info;
  Call c(info.id);
  const char* forms[] = {"parallel", "recurrent", "chunkwise", "diagonal"};
  const char* form = forms[b.u8() % 4];
  c.set_string("form", form);
  const long n = 1 + b.u8() % 40;
  c.set_number("n", static_cast<double>(n));
  Sizes sizes;
  sizes.n = n;
  for (const auto& s : info.sizes) {
    const long v = 1 + b.u8() % 9;
    sizes.dims[s] = v;
    c.set_number(s, static_cast<double>(v));
  }
  if (b.u8() & 1) c.set_number("chunk", b.u8() & 1 ? static_cast<double>(b.raw_float()) : 1 + b.u8() % 50);
  const bool raw_options = b.u8() & 1;
  std::string opts;  // the options chosen, for the failure report
  std::vector<std::pair<std::string, double>> num_opts;  // and again for the seeded stepper below
  std::vector<std::pair<std::string, std::string>> str_opts;
  for (const auto& o : info.options) {
    if (!(b.u8() & 1)) continue;
    if (!o.choices.empty()) {
      const std::string& ch = o.choices[b.u8() % o.choices.size()];
      c.set_string(o.name, ch);
      str_opts.emplace_back(o.name, ch);
      opts += " " + o.name + "=" + ch;
    } else if (raw_options) {
      const float x = b.raw_float();
      c.set_number(o.name, x);
      num_opts.emplace_back(o.name, x);
      opts += " " + o.name + "=" + fmt(x);
    } else if (o.boolean) {
      const int x = b.u8() & 1;
      c.set_number(o.name, x);
      num_opts.emplace_back(o.name, x);
      opts += " " + o.name + "=" + std::to_string(x);
    } else {
      const double lo = std::max(o.lo, -4.0), hi = std::min(o.hi, 4.0);
      double x = lo + (hi - lo) * b.unit();
      if (o.integer) x = std::floor(x) < lo ? std::ceil(x) : std::floor(x);
      if (o.lo_open && x <= o.lo) x = o.lo + 1e-3;
      if (o.hi_open && x >= o.hi) x = o.hi - 1e-3;
      c.set_number(o.name, x);
      num_opts.emplace_back(o.name, x);
      opts += " " + o.name + "=" + fmt(x);
    }
  }
  const double mag = b.u8() & 1 ? 3.0 : 30.0;
  for (const auto& s : info.inputs) {
    long len = input_length(s, sizes, true);
    if ((b.u8() & 15) == 0) len += 1;  // wrong length now and then
    float* p = c.input(s.name, len);
    if (!p) continue;
    for (long i = 0; i < len; ++i) p[i] = in_range(s, b.unit(), mag);
    if (s.sample == "unit") {
      const long w = input_length(s, sizes, false);
      for (long r = 0; r + w <= len; r += w) {
        double q = 0;
        for (long i = 0; i < w; ++i) q += double(p[r + i]) * p[r + i];
        q = q > 0 ? 1 / std::sqrt(q) : 0;
        for (long i = 0; i < w; ++i) p[r + i] = static_cast<float>(p[r + i] * q);
      }
    }
  }
  g_case = info.id + " " + form + " n=" + std::to_string(n) + " mag=" + fmt(mag);
  for (const auto& kv : sizes.dims) g_case += " " + kv.first + "=" + std::to_string(kv.second);
  g_case += opts;
  const Status st = c.run();
  if (!st.empty()) {
    if (!clean_error(st)) fail("unclean error from " + info.id + ": " + st);
    return 0;
  }
  for (float x : c.output())
    if (!std::isfinite(x)) fail("non-finite output from " + info.id);
  // Stabilised states may hold sentinels like -1e38 but never NaN or infinity.
  for (float x : c.state())
    if (std::isnan(x) || std::isinf(x)) fail("non-finite state from " + info.id);

  // Every form hands on its state: seed a stepper with it (now and then damaged: one float short or
  // long, or a NaN) and step a few of the same tokens on. A damaged seed must be a clean error.
  Stepper s(info.id);
  for (const auto& kv : sizes.dims) s.set_number(kv.first, static_cast<double>(kv.second));
  for (const auto& kv : num_opts) s.set_number(kv.first, kv.second);
  for (const auto& kv : str_opts) s.set_string(kv.first, kv.second);
  std::vector<float> seed = c.state();
  const int damage = b.u8() % 8;
  if (damage == 1) seed.push_back(0.f);
  if (damage == 2 && !seed.empty()) seed.pop_back();
  if (damage == 3 && !seed.empty()) seed[b.u8() % seed.size()] = NAN;
  std::copy(seed.begin(), seed.end(), s.channel_input("initialState", static_cast<long>(seed.size())));
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    const InputSpec& spec = info.inputs[i];
    if (spec.per_token) continue;
    const long len = input_length(spec, sizes, false);
    float* p = s.channel_input(spec.name, len);
    for (long j = 0; j < len; ++j) p[j] = in_range(spec, b.unit(), mag);
  }
  g_case += " seeded stepper, damage=" + std::to_string(damage);
  const Status si = s.init();
  if (!si.empty()) {
    if (!clean_error(si)) fail("unclean error from a seeded " + info.id + " stepper: " + si);
    return 0;
  }
  // One float more or less breaks any state's length (a KV cache's whole rows too); NaN is never finite.
  if (damage >= 1 && damage <= 3) fail("a damaged seed was accepted by " + info.id);
  for (int t = 0; t < 3; ++t) {
    for (const auto& spec : info.inputs) {
      if (!spec.per_token) continue;
      const long w = input_length(spec, sizes, false);
      float* p = s.token_input(spec.name);
      for (long j = 0; j < w; ++j) p[j] = in_range(spec, b.unit(), mag);
    }
    const Status ss = s.step();
    if (!ss.empty()) {
      if (!clean_error(ss)) fail("unclean error stepping a seeded " + info.id + ": " + ss);
      return 0;
    }
    for (float x : s.output())
      if (!std::isfinite(x)) fail("non-finite output from a seeded " + info.id + " stepper");
  }
  return 0;
}
