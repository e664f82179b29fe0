// libFuzzer target over the core's public entry points (issue 10).
//
// The fuzzer picks a variant, a form, small sizes, a chunk, option values and input bytes. Every
// call must end in either a clean Status ("TypeError|..." / "RangeError|...") or an output and
// state that are all finite. Inputs are mapped into each input's allowed range and a bounded
// magnitude, so a non-finite result is a bug, not overflow the caller asked for. Option values are
// taken raw half of the time (NaN, infinities, negatives), to exercise validation.
//
// An input whose first byte is 0xF0 or more drives instead one of the entry points that are not a
// variant: featureMap, tokenShift and recall (with rewrites), each bounded in size. Below 0xF0 the
// bytes mean what they always meant, so the committed seeds keep exercising what they were saved for.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "api/api.hpp"
#include "api/feature_map_call.hpp"
#include "api/token_shift.hpp"
#include "lab/recall.hpp"

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

void check_clean(const Status& st, const std::string& who) {
  if (!st.empty() && !clean_error(st)) fail("unclean error from " + who + ": " + st);
}

// featureMap: any name (one unknown), small sizes, performer's options raw or in range, now and then
// an option linear does not give its map, x bounded or raw, and a wide dk where performer's true
// features overflow (a clean RangeError). Accepted rows must be finite, [n, m].
void fuzz_feature_map(Bytes& b) {
  const char* names[] = {"elu1", "relu", "identity", "taylor2", "performer", "cosine"};
  const std::string name = names[b.u8() % 6];
  FeatureMapCall c(name);
  long n = 1 + b.u8() % 40, dk = 1 + b.u8() % 9;
  if ((b.u8() & 7) == 0) {
    n = 1 + n % 4;
    dk = 1 + b.u8();  // up to 256
  }
  c.set_number("n", static_cast<double>(n));
  c.set_number("dk", static_cast<double>(dk));
  const bool raw = b.u8() & 1;
  if (b.u8() & 1) c.set_number("features", raw ? static_cast<double>(b.raw_float()) : 1 + b.u8() % 128);
  if (b.u8() & 1) c.set_number("seed", raw ? static_cast<double>(b.raw_float()) : b.u8());
  if ((b.u8() & 15) == 0) c.set_number("normalize", 0);
  long len = n * dk;
  if ((b.u8() & 15) == 0) len += 1;
  const int values = b.u8() % 3;  // 0: |x| <= 3, 1: |x| <= 30, 2: raw bits
  float* x = c.input(len);
  for (long i = 0; i < len; ++i) x[i] = values == 2 ? b.raw_float() : static_cast<float>((2 * b.unit() - 1) * (values ? 30 : 3));
  g_case = "featureMap " + name + " n=" + std::to_string(n) + " dk=" + std::to_string(dk) + " values=" + std::to_string(values);
  const Status st = c.run();
  check_clean(st, "featureMap");
  if (!st.empty()) return;
  if (c.width() < 1 || static_cast<long>(c.output().size()) != n * c.width()) fail("featureMap output of the wrong size");
  for (float v : c.output())
    if (!std::isfinite(v)) fail("non-finite featureMap row");
}

// tokenShift: mu in [0, 1] or raw, x any float bits. Accepted outputs are convex blends: finite and
// no larger than the larger of the two values blended.
void fuzz_token_shift(Bytes& b) {
  TokenShiftCall c;
  const long n = 1 + b.u8() % 40, d = 1 + b.u8() % 9;
  c.set_number("n", static_cast<double>(n));
  c.set_number("d", static_cast<double>(d));
  const bool raw_mu = (b.u8() & 7) == 0;
  long xlen = n * d, mulen = d;
  if ((b.u8() & 15) == 0) xlen += 1;
  if ((b.u8() & 15) == 0) mulen = n * d;
  float* x = c.input("x", xlen);
  for (long i = 0; i < xlen; ++i) x[i] = b.raw_float();
  float* mu = c.input("mu", mulen);
  for (long i = 0; i < mulen; ++i) mu[i] = raw_mu ? b.raw_float() : static_cast<float>(b.unit());
  const std::vector<float> xs(x, x + xlen);
  g_case = "tokenShift n=" + std::to_string(n) + " d=" + std::to_string(d) + (raw_mu ? " raw mu" : "");
  const Status st = c.run();
  check_clean(st, "tokenShift");
  if (!st.empty()) return;
  const auto& out = c.output();
  if (static_cast<long>(out.size()) != n * d) fail("tokenShift output of the wrong size");
  for (long i = 0; i < n * d; ++i) {
    const double bound = std::max(std::fabs(double(xs[i])), i >= d ? std::fabs(double(xs[i - d])) : 0.0);
    if (!std::isfinite(out[i]) || std::fabs(double(out[i])) > bound) fail("tokenShift left the range of its inputs");
  }
}

// recall through RecallJob (the setters the bindings call): any variant, tiny sizes, rewrites from
// -1 to pairs + 1 (or raw), in-range variant options. Accepted results are fractions; the rewritten
// accuracy is NaN exactly when nothing was rewritten.
void fuzz_recall(Bytes& b) {
  const auto& reg = registry();
  const Entry& e = reg[b.u8() % reg.size()];
  RecallJob job(e.info.id);
  const int d = 1 + b.u8() % 8, pairs = 1 + b.u8() % 8;
  const double rewrites = (b.u8() & 7) == 0 ? static_cast<double>(b.raw_float()) : static_cast<double>(b.u8() % (pairs + 3)) - 1;
  job.set_number("d", d);
  job.set_number("pairs", pairs);
  job.set_number("rewrites", rewrites);
  job.set_number("gap", b.u8() % 9);
  job.set_number("trials", 1 + b.u8() % 2);
  job.set_number("seed", b.u8());
  const char* keys[] = {"orthogonal", "random", "correlated"};
  job.set_keys(keys[b.u8() % 3]);
  job.set_number("cosine", 0.99 * b.unit());
  std::string opts;
  for (const auto& o : e.info.options) {
    if (!(b.u8() & 1)) continue;
    if (!o.choices.empty()) {
      const std::string& ch = o.choices[b.u8() % o.choices.size()];
      job.set_option_string(o.name, ch);
      opts += " " + o.name + "=" + ch;
    } else {
      const double lo = std::max(o.lo, -4.0), hi = std::min(o.hi, 4.0);
      double x = o.boolean ? (b.u8() & 1) : lo + (hi - lo) * b.unit();
      if (o.integer) x = std::floor(x) < lo ? std::ceil(x) : std::floor(x);
      if (o.lo_open && x <= o.lo) x = o.lo + 1e-3;
      if (o.hi_open && x >= o.hi) x = o.hi - 1e-3;
      job.set_option_number(o.name, x);
      opts += " " + o.name + "=" + fmt(x);
    }
  }
  g_case = "recall " + e.info.id + " d=" + std::to_string(d) + " pairs=" + std::to_string(pairs) + " rewrites=" + fmt(rewrites) + opts;
  const Status st = job.run();
  check_clean(st, "recall");
  if (!st.empty()) return;
  const RecallResult& r = job.result();
  auto fraction = [](double x) { return x >= 0 && x <= 1; };
  if (!fraction(r.accuracy)) fail("recall accuracy outside [0, 1]");
  if (std::isnan(r.rewritten_accuracy) != (rewrites == 0)) fail("rewritten accuracy NaN iff no rewrites broken");
  if (rewrites > 0 && !fraction(r.rewritten_accuracy)) fail("rewritten accuracy outside [0, 1]");
  if (static_cast<int>(r.by_age.size()) != pairs) fail("byAge of the wrong length");
  for (float a : r.by_age)
    if (!fraction(a)) fail("byAge outside [0, 1]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  Bytes b{data, size};
  if (size && data[0] >= 0xF0) {
    b.u8();
    const std::uint8_t which = b.u8() % 3;
    if (which == 0) fuzz_feature_map(b);
    else if (which == 1) fuzz_token_shift(b);
    else fuzz_recall(b);
    return 0;
  }
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
