#include "lab/recall.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lab/rng.hpp"

namespace attnlab {

namespace {

enum class Role { query, key, value, removal, constant };

Role role_of(const std::string& name) {
  if (name == "q" || name == "r" || name == "C") return Role::query;
  if (name == "k" || name == "B") return Role::key;
  if (name == "v" || name == "x") return Role::value;
  if (name == "kappa") return Role::removal;
  return Role::constant;
}

// Recall defaults: write at full strength, forget nothing.
double default_constant(const std::string& name) {
  if (name == "beta" || name == "a" || name == "w" || name == "delta") return 1.0;
  if (name == "fgate") return 40.0;  // sigmoid(40) rounds to 1 in float32
  if (name == "A") return 0.0;
  return 0.0;  // g, igate, u, Dskip
}

// Nudge a default just inside the input's allowed range (e.g. w = 1 when w must be < 1).
double inside(const InputSpec& s, double x) {
  if (s.hi < 1e300 && (x > s.hi || (s.hi_open && x >= s.hi))) x = s.hi_open ? s.hi - 1e-6 * std::max(1.0, std::fabs(s.hi)) : s.hi;
  if (s.lo > -1e300 && (x < s.lo || (s.lo_open && x <= s.lo))) x = s.lo_open ? s.lo + 1e-6 * std::max(1.0, std::fabs(s.lo)) : s.lo;
  return x;
}

void normalise(float* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s += double(x[i]) * x[i];
  s = s > 0 ? 1.0 / std::sqrt(s) : 0.0;
  for (int i = 0; i < d; ++i) x[i] = static_cast<float>(x[i] * s);
}

void unit_vector(Rng& rng, float* x, int d) {
  for (int i = 0; i < d; ++i) x[i] = static_cast<float>(rng.normal());
  normalise(x, d);
}

double cosine(const float* a, const float* b, int d) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < d; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

// The candidate nearest to o by cosine (its index), or -1 when another candidate is within kTie of
// it: such a readout names no single value.
int decode(const float* o, const std::vector<const float*>& candidates, int w) {
  int best = -1;
  double best_cos = -std::numeric_limits<double>::infinity(), second = best_cos;
  for (size_t j = 0; j < candidates.size(); ++j) {
    const double c = cosine(o, candidates[j], w);
    if (c > best_cos) {
      second = best_cos;
      best_cos = c;
      best = static_cast<int>(j);
    } else if (c > second) {
      second = c;
    }
  }
  return best_cos - second > kTie ? best : -1;
}

}  // namespace

std::vector<float> recall_keys(const std::string& kind, int pairs, int d, double cos, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> K(static_cast<size_t>(pairs) * d);
  if (kind == "orthogonal") {
    // Orthonormal blocks of d keys (modified Gram-Schmidt in double): exact while pairs <= d, then
    // each further block is another random orthonormal basis, so keys across blocks interfere.
    std::vector<double> row(static_cast<size_t>(d));
    for (int i = 0; i < pairs; ++i) {
      const int block_start = (i / d) * d;
      for (;;) {
        for (auto& x : row) x = rng.normal();
        for (int j = block_start; j < i; ++j) {
          double p = 0;
          for (int c = 0; c < d; ++c) p += row[c] * K[static_cast<size_t>(j) * d + c];
          for (int c = 0; c < d; ++c) row[c] -= p * K[static_cast<size_t>(j) * d + c];
        }
        double s = 0;
        for (double x : row) s += x * x;
        if (s > 1e-12) {
          s = 1.0 / std::sqrt(s);
          for (int c = 0; c < d; ++c) K[static_cast<size_t>(i) * d + c] = static_cast<float>(row[c] * s);
          break;
        }
      }
    }
  } else if (kind == "correlated") {
    // k_i = sqrt(c) s + sqrt(1-c) e_i with a shared unit s and fresh units e_i orthogonal to s:
    // pairwise cosines concentrate around c.
    std::vector<float> s(static_cast<size_t>(d)), e(static_cast<size_t>(d));
    unit_vector(rng, s.data(), d);
    for (int i = 0; i < pairs; ++i) {
      unit_vector(rng, e.data(), d);
      double p = 0;
      for (int c = 0; c < d; ++c) p += double(e[c]) * s[c];
      for (int c = 0; c < d; ++c) e[c] = static_cast<float>(e[c] - p * s[c]);
      normalise(e.data(), d);
      float* k = K.data() + static_cast<size_t>(i) * d;
      for (int c = 0; c < d; ++c) k[c] = static_cast<float>(std::sqrt(cos) * s[c] + std::sqrt(1 - cos) * e[c]);
      normalise(k, d);
    }
  } else {
    for (int i = 0; i < pairs; ++i) unit_vector(rng, K.data() + static_cast<size_t>(i) * d, d);
  }
  return K;
}

Status recall(const RecallSpec& spec, RecallResult* out) {
  const Entry* e = find_variant(spec.variant);
  if (!e) return range_error("variant", "unknown variant '" + spec.variant + "'; expected one of " + variant_ids());
  const VariantInfo& info = e->info;
  bool has_query = false, has_key = false, has_value = false;
  for (const auto& in : info.inputs) {
    const Role r = role_of(in.name);
    has_query |= r == Role::query;
    has_key |= r == Role::key;
    has_value |= r == Role::value;
    if (!in.per_token) return range_error("variant", spec.variant + " takes per-channel inputs (" + in.name +
                                                         "), which the recall task does not model");
  }
  if (!has_query || !has_key || !has_value)
    return range_error("variant", spec.variant + " has no query/key/value inputs to store pairs in");
  if (!(spec.d >= 1 && spec.d <= 1024)) return range_error("d", "expected an integer in [1, 1024], got " + fmt(spec.d));
  if (!(spec.pairs >= 1 && spec.pairs <= 4096))
    return range_error("pairs", "expected an integer in [1, 4096], got " + fmt(spec.pairs));
  if (!(spec.rewrites >= 0 && spec.rewrites <= spec.pairs))
    return range_error("rewrites", "expected an integer in [0, pairs] = [0, " + fmt(spec.pairs) + "], got " + fmt(spec.rewrites));
  if (!(spec.gap >= 0 && spec.gap <= 65536)) return range_error("gap", "expected an integer in [0, 65536], got " + fmt(spec.gap));
  if (!(spec.trials >= 1 && spec.trials <= 1000))
    return range_error("trials", "expected an integer in [1, 1000], got " + fmt(spec.trials));
  if (spec.keys != "orthogonal" && spec.keys != "random" && spec.keys != "correlated")
    return range_error("keys", "expected 'orthogonal', 'random' or 'correlated', got '" + spec.keys + "'");
  if (!(spec.cosine >= 0 && spec.cosine < 1)) return range_error("cosine", "expected a value in [0, 1), got " + fmt(spec.cosine));
  for (const auto& kv : spec.constants) {
    bool known = false;
    for (const auto& in : info.inputs) known |= in.name == kv.first && role_of(in.name) == Role::constant;
    if (!known) return type_error("options." + kv.first, "not a constant input of " + spec.variant);
  }

  // Bind the variant: sizes all equal d (dk = dv = N = P = d).
  Config cfg = spec.options;
  for (const auto& s : info.sizes) cfg.numbers[s] = spec.d;
  Sizes sizes;
  Form form;
  int chunk;
  std::unique_ptr<Bound> bound;
  Status st = validate_config(*e, cfg, false, &sizes, &form, &chunk, &bound);
  if (!st.empty()) return st;
  const int d = spec.d, K = spec.pairs, R = spec.rewrites;
  const int w = bound->out_width();
  const double budget_floats = kMemoryBudgetBytes / 4;
  if (bound->workspace(K + R + spec.gap + 1, Form::recurrent, 1) * 2 > budget_floats)
    return range_error("pairs", "pairs + rewrites + gap too large for the module's memory budget");

  // Per-token buffers, one per input, and the constant value of each constant input.
  const size_t nin = info.inputs.size();
  std::vector<std::vector<float>> buf(nin);
  std::vector<double> constant(nin, 0);
  for (size_t i = 0; i < nin; ++i) {
    const InputSpec& in = info.inputs[i];
    buf[i].assign(static_cast<size_t>(input_length(in, sizes, false)), 0.f);
    if (role_of(in.name) != Role::constant) continue;
    auto it = spec.constants.find(in.name);
    constant[i] = it != spec.constants.end() ? it->second : inside(in, default_constant(in.name));
    const float c = static_cast<float>(constant[i]);
    Status vs = validate_values(in, &c, 1);
    if (!vs.empty()) return "RangeError|options." + vs.substr(vs.find('|') + 1);
  }
  Token tok;
  for (size_t i = 0; i < nin; ++i) tok.ptr[i] = buf[i].data();

  // Write a token: query/key/value vectors (nullptr = zeros) and the constants.
  auto set_token = [&](const float* q, const float* k, const float* v, bool query_token) {
    for (size_t i = 0; i < nin; ++i) {
      auto& b = buf[i];
      const Role r = role_of(info.inputs[i].name);
      const float* src = r == Role::query ? q : r == Role::key ? k : r == Role::value ? v : r == Role::removal ? (k ? k : q) : nullptr;
      if (r == Role::constant) {
        // A query only reads: no write strength, no decay (so it does not age the memory).
        double c = constant[i];
        const std::string& name = info.inputs[i].name;
        if (query_token && (name == "g")) c = 0;
        if (query_token && (name == "w")) c = inside(info.inputs[i], 1.0);
        if (query_token && (name == "a" || name == "beta")) c = inside(info.inputs[i], 0.0);
        std::fill(b.begin(), b.end(), static_cast<float>(c));
      } else if (src) {
        std::copy(src, src + d, b.begin());
      } else {
        std::fill(b.begin(), b.end(), 0.f);
      }
    }
  };

  std::vector<double> age_hits(static_cast<size_t>(K), 0.0);
  double hits = 0, rewritten_hits = 0, exact = 0, cos_sum = 0, sig = 0, intf = 0;
  // V holds every key's current value; Vold the R values that rewrites replaced.
  std::vector<float> V(static_cast<size_t>(K) * d), Vold(static_cast<size_t>(R) * d), o(static_cast<size_t>(w)),
      rq(static_cast<size_t>(d)), gk(static_cast<size_t>(d)), gv(static_cast<size_t>(d));
  std::vector<const float*> candidates;
  for (int j = 0; j < K; ++j) candidates.push_back(V.data() + static_cast<size_t>(j) * d);
  for (int j = 0; j < R; ++j) candidates.push_back(Vold.data() + static_cast<size_t>(j) * d);
  for (int trial = 0; trial < spec.trials; ++trial) {
    const std::uint64_t tseed = spec.seed * 1000003ull + static_cast<std::uint64_t>(trial);
    std::vector<float> Kx = recall_keys(spec.keys, K, d, spec.cosine, tseed);
    Rng rng(tseed ^ 0x5bd1e995ull);
    for (int i = 0; i < K; ++i) unit_vector(rng, V.data() + static_cast<size_t>(i) * d, d);
    State s;
    bound->init_state(s);
    for (int i = 0; i < K; ++i) {
      const float* k = Kx.data() + static_cast<size_t>(i) * d;
      set_token(k, k, V.data() + static_cast<size_t>(i) * d, false);
      bound->step(tok, s, o.data());
      ++s.t;
    }
    // Rewrites, oldest key first. Their fresh values come after the first K from the same stream,
    // so R = 0 draws exactly what it drew before rewrites existed.
    for (int i = 0; i < R; ++i) {
      float* v = V.data() + static_cast<size_t>(i) * d;
      std::copy(v, v + d, Vold.data() + static_cast<size_t>(i) * d);
      unit_vector(rng, v, d);
      const float* k = Kx.data() + static_cast<size_t>(i) * d;
      set_token(k, k, v, false);
      bound->step(tok, s, o.data());
      ++s.t;
    }
    for (int g = 0; g < spec.gap; ++g) {
      unit_vector(rng, gk.data(), d);
      unit_vector(rng, gv.data(), d);
      unit_vector(rng, rq.data(), d);
      set_token(rq.data(), gk.data(), gv.data(), false);
      bound->step(tok, s, o.data());
      ++s.t;
    }
    for (int i = 0; i < K; ++i) {
      State copy = s;
      set_token(Kx.data() + static_cast<size_t>(i) * d, nullptr, nullptr, true);
      bound->step(tok, copy, o.data());
      const int best = decode(o.data(), candidates, std::min(d, w));
      const float* vi = V.data() + static_cast<size_t>(i) * d;
      const double ci = cosine(o.data(), vi, std::min(d, w));
      double proj = 0, norm2 = 0;
      for (int c = 0; c < std::min(d, w); ++c) {
        proj += double(o[c]) * vi[c];
        norm2 += double(o[c]) * o[c];
      }
      const bool hit = best == i;
      hits += hit;
      if (i < R) rewritten_hits += hit;
      age_hits[static_cast<size_t>(i)] += hit;
      cos_sum += ci;
      exact += ci >= 0.99;
      sig += proj * proj;
      intf += std::max(0.0, norm2 - proj * proj);
    }
  }
  const double q = static_cast<double>(K) * spec.trials;
  out->accuracy = hits / q;
  out->rewritten_accuracy = R > 0 ? rewritten_hits / (static_cast<double>(R) * spec.trials) : NAN;
  out->mean_cosine = cos_sum / q;
  out->exact = exact / q;
  out->signal = sig / q;
  out->interference = intf / q;
  out->sir = intf > 0 ? sig / intf : std::numeric_limits<double>::infinity();
  // Oldest last write first: pairs R..K-1 (written once), then the rewritten 0..R-1.
  out->by_age.assign(static_cast<size_t>(K), 0.f);
  for (int a = 0; a < K; ++a) {
    const int i = a < K - R ? R + a : a - (K - R);
    out->by_age[static_cast<size_t>(a)] = static_cast<float>(age_hits[static_cast<size_t>(i)] / spec.trials);
  }
  out->trials = spec.trials;
  return {};
}

void RecallJob::set_option_number(const std::string& key, double value) {
  const Entry* e = find_variant(spec_.variant);
  if (e)
    for (const auto& in : e->info.inputs)
      if (in.name == key && role_of(key) == Role::constant) {
        spec_.constants[key] = value;
        return;
      }
  spec_.options.strings.erase(key);
  spec_.options.numbers[key] = value;
}

void RecallJob::set_option_string(const std::string& key, const std::string& value) {
  spec_.options.numbers.erase(key);
  spec_.options.strings[key] = value;
}

void RecallJob::set_number(const std::string& key, double value) {
  // Whole numbers for the counts; anything else is reported by run() with the argument's name.
  auto whole = [&](int* field) {
    if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) > 1e9) {
      if (pending_.empty()) pending_ = range_error(key, "expected an integer, got " + fmt(value));
      return;
    }
    *field = static_cast<int>(value);
  };
  if (key == "d") whole(&spec_.d);
  else if (key == "pairs") whole(&spec_.pairs);
  else if (key == "rewrites") whole(&spec_.rewrites);
  else if (key == "gap") whole(&spec_.gap);
  else if (key == "trials") whole(&spec_.trials);
  else if (key == "cosine") {
    if (!std::isfinite(value) && pending_.empty()) pending_ = range_error(key, "expected a value in [0, 1), got " + fmt(value));
    spec_.cosine = value;
  } else if (key == "seed") {
    if ((!std::isfinite(value) || value < 0 || value != std::floor(value) || value > 9007199254740991.0) && pending_.empty())
      pending_ = range_error(key, "expected a non-negative integer, got " + fmt(value));
    else
      spec_.seed = static_cast<std::uint64_t>(value);
  } else if (pending_.empty()) {
    pending_ = type_error(key, "not a recall argument; expected variant, options, d, pairs, rewrites, keys, cosine, gap, trials or seed");
  }
}

Status RecallJob::run() {
  if (!pending_.empty()) return pending_;
  return recall(spec_, &result_);
}

}  // namespace attnlab
