// core.featureMap (api/feature_map_call.hpp): the rows φ(x_t) are the ones linear attention uses.
// The decisive check rebuilds linear attention's output from featureMap rows alone, in float64:
// unnormalised, o_t = Σ_{j<=t} (φ(q_t)·φ(k_j)) v_j; normalised, that over Σ_{j<=t} φ(q_t)·φ(k_j) + eps.
#include "support.hpp"

#include "api/feature_map_call.hpp"
#include "core/feature_maps.hpp"

using namespace attnlab;
using namespace attnlab_test;

namespace {

Form form_of(const char* name) {
  Form f = Form::recurrent;
  parse_form(name, &f);
  return f;
}

const std::vector<std::string> kMaps = {"elu1", "relu", "identity", "taylor2", "performer"};

struct Rows {
  Status status;
  std::vector<float> phi;
  long m = 0;
};

Rows feature_rows(const std::string& name, const std::vector<float>& x, long n, long dk,
                  std::map<std::string, double> extra = {}) {
  FeatureMapCall c(name);
  c.set_number("n", static_cast<double>(n));
  c.set_number("dk", static_cast<double>(dk));
  for (const auto& kv : extra) c.set_number(kv.first, kv.second);
  float* p = c.input(static_cast<long>(x.size()));
  std::copy(x.begin(), x.end(), p);
  Rows r;
  r.status = c.run();
  r.phi = c.output();
  r.m = c.width();
  return r;
}

std::vector<float> normal_rows(long n, long dk, std::uint64_t seed, double sd = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, sd);
  std::vector<float> x(static_cast<size_t>(n * dk));
  for (auto& v : x) v = static_cast<float>(g(rng));
  return x;
}

}  // namespace

TEST_CASE("featureMap: m and the values of every map", "[featuremap]") {
  const long n = 5, dk = 4;
  const auto x = normal_rows(n, dk, 7);
  const double a = 1 / std::sqrt(std::sqrt(double(dk))), b = 1 / (std::sqrt(2.0) * std::sqrt(double(dk)));
  for (const auto& name : kMaps) {
    INFO(name);
    const Rows r = feature_rows(name, x, n, dk);
    REQUIRE(r.status == "");
    const long m = name == "taylor2" ? 1 + dk + dk * dk : name == "performer" ? 64 : dk;
    CHECK(r.m == m);
    REQUIRE(r.phi.size() == static_cast<size_t>(n * m));
    std::vector<double> want(static_cast<size_t>(n * m));
    for (long t = 0; t < n; ++t) {
      const float* xt = x.data() + t * dk;
      double* w = want.data() + t * m;
      if (name == "elu1") {
        for (long i = 0; i < dk; ++i) w[i] = xt[i] > 0 ? xt[i] + 1.0 : std::exp(double(xt[i]));
      } else if (name == "relu") {
        for (long i = 0; i < dk; ++i) w[i] = std::max(0.0, double(xt[i]));
      } else if (name == "identity") {
        for (long i = 0; i < dk; ++i) w[i] = xt[i];
      } else if (name == "taylor2") {
        // docs/variants.md §2: φ(x) = [1, x/dk^{1/4}, (x⊗x)/(√2·√dk)], the full outer product.
        w[0] = 1;
        for (long i = 0; i < dk; ++i) w[1 + i] = a * xt[i];
        for (long i = 0; i < dk; ++i)
          for (long j = 0; j < dk; ++j) w[1 + dk + i * dk + j] = b * xt[i] * xt[j];
      } else {
        // FAVOR+: φ_i(x) = m^{-1/2} exp(ω_i·x̄ − ‖x̄‖²/2), x̄ = x/dk^{1/4}, ω linear's own for seed 0.
        const auto omega = fmap::performer_omega(static_cast<int>(dk), m, 0);
        double sq = 0;
        for (long i = 0; i < dk; ++i) sq += (a * xt[i]) * (a * xt[i]);
        for (long r2 = 0; r2 < m; ++r2) {
          double d = 0;
          for (long i = 0; i < dk; ++i) d += double(omega[r2 * dk + i]) * a * xt[i];
          w[r2] = std::exp(d - sq / 2) / std::sqrt(double(m));
        }
      }
    }
    if (name == "identity" || name == "relu") {
      for (size_t i = 0; i < want.size(); ++i) CHECK(double(r.phi[i]) == want[i]);
    } else {
      // One row of φ is a short chain per feature (a dot of dk, an exp, a few scalings), pooled over
      // the row's m features for its scale.
      ATTNLAB_CHECK_CLOSE(r.phi, Want(want, {}, static_cast<long>(want.size() / n)), chain(2.0 * dk + 16, "phi rows"));
    }
  }
}

TEST_CASE("featureMap: performer features follow features and seed like linear's", "[featuremap]") {
  const long n = 3, dk = 6;
  const auto x = normal_rows(n, dk, 11);
  const Rows a = feature_rows("performer", x, n, dk, {{"features", 16}, {"seed", 5}});
  const Rows again = feature_rows("performer", x, n, dk, {{"features", 16}, {"seed", 5}});
  const Rows other = feature_rows("performer", x, n, dk, {{"features", 16}, {"seed", 6}});
  REQUIRE(a.status == "");
  CHECK(a.m == 16);
  CHECK(a.phi == again.phi);
  CHECK(a.phi != other.phi);
  // Maps without random features ignore features and seed, as linear does.
  CHECK(feature_rows("elu1", x, n, dk, {{"features", 16}, {"seed", 5}}).phi == feature_rows("elu1", x, n, dk).phi);
}

TEST_CASE("featureMap rows rebuild linear attention's output in float64, every map and form", "[featuremap]") {
  const long n = 9, dk = 3, dv = 2;
  const auto q = normal_rows(n, dk, 21), k = normal_rows(n, dk, 22), v = normal_rows(n, dv, 23);
  for (const auto& name : kMaps) {
    for (int normalize : {0, 1}) {
      // identity and relu features may sum to a denominator near 0; the unnormalised check covers them.
      if (normalize && (name == "identity" || name == "relu")) continue;
      const Rows fq = feature_rows(name, q, n, dk), fk = feature_rows(name, k, n, dk);
      REQUIRE(fq.status == "");
      REQUIRE(fk.status == "");
      const long m = fq.m;
      std::vector<double> want(static_cast<size_t>(n * dv));
      for (long t = 0; t < n; ++t) {
        double den = 0;
        for (long j = 0; j <= t; ++j) {
          double s = 0;
          for (long i = 0; i < m; ++i) s += double(fq.phi[t * m + i]) * fk.phi[j * m + i];
          den += s;
          for (long c = 0; c < dv; ++c) want[t * dv + c] += s * v[j * dv + c];
        }
        if (normalize)
          for (long c = 0; c < dv; ++c) want[t * dv + c] /= den + 1e-6;
      }
      for (const char* form : {"recurrent", "parallel", "chunkwise"}) {
        INFO(name << " normalize=" << normalize << " " << form);
        Call c("linear");
        c.set_number("n", n);
        c.set_number("dk", dk);
        c.set_number("dv", dv);
        c.set_string("featureMap", name);
        c.set_number("normalize", normalize);
        c.set_string("form", form);
        c.set_number("chunk", 4);
        std::copy(q.begin(), q.end(), c.input("q", n * dk));
        std::copy(k.begin(), k.end(), c.input("k", n * dk));
        std::copy(v.begin(), v.end(), c.input("v", n * dv));
        REQUIRE(c.run() == "");
        Config opts;
        opts.strings["featureMap"] = name;
        opts.numbers["normalize"] = normalize;
        // Linear's own error model for this call (support.hpp), against a float64 sum over the rows.
        ATTNLAB_CHECK_CLOSE(c.output(), Want(want, {}, dv),
                            call_model("linear", n, {{"dk", dk}, {"dv", dv}}, form_of(form), 4, nullptr, opts));
      }
    }
  }
}

TEST_CASE("featureMap refuses bad input by name and keeps working", "[featuremap]") {
  const auto x = normal_rows(2, 3, 1);
  auto err = [&](const std::string& name, std::map<std::string, double> nums, std::map<std::string, std::string> strs,
                 const std::vector<float>* xs, const std::string& starts) {
    FeatureMapCall c(name);
    for (const auto& kv : nums) c.set_number(kv.first, kv.second);
    for (const auto& kv : strs) c.set_string(kv.first, kv.second);
    if (xs) std::copy(xs->begin(), xs->end(), c.input(static_cast<long>(xs->size())));
    const Status st = c.run();
    INFO("status '" << st << "', expected '" << starts << "...'");
    CHECK(st.rfind(starts, 0) == 0);
    CHECK(c.output().empty());
  };
  const std::map<std::string, double> ok{{"n", 2}, {"dk", 3}};
  err("cosine", ok, {}, &x, "RangeError|name: unknown feature map 'cosine'; expected one of elu1, relu, identity");
  err("elu1", {{"n", 2}, {"dk", 3}, {"normalize", 0}}, {}, &x, "TypeError|normalize: not an option of featureMap");
  err("elu1", ok, {{"scale", "2"}}, &x, "TypeError|scale: not an option of featureMap");
  err("elu1", {{"dk", 3}}, {}, &x, "TypeError|n: missing");
  err("elu1", {{"n", 2}}, {}, &x, "TypeError|dk: missing");
  err("elu1", {{"n", 2}, {"dk", 0}}, {}, &x, "RangeError|dk: expected a positive integer");
  err("elu1", {{"n", 2.5}, {"dk", 3}}, {}, &x, "RangeError|n: expected a positive integer");
  err("elu1", ok, {}, nullptr, "TypeError|x: missing");
  // n·dk = 2^32: a 32-bit product would wrap to 0 and accept an empty x (wasm's long is 32 bits).
  const std::vector<float> none;
  err("elu1", {{"n", 1 << 20}, {"dk", 4096}}, {}, &none, "RangeError|x: expected length");
  const std::vector<float> short_x(5);
  err("elu1", ok, {}, &short_x, "RangeError|x: expected length 6 [n, dk], got 5");
  std::vector<float> nan_x = x;
  nan_x[4] = NAN;
  err("relu", ok, {}, &nan_x, "RangeError|x: expected finite values, got NaN at index 4");
  err("performer", {{"n", 2}, {"dk", 3}, {"features", 0}}, {}, &x, "RangeError|features: expected a value [1, 65536]");
  err("performer", {{"n", 2}, {"dk", 3}, {"seed", -1}}, {}, &x, "RangeError|seed:");
  err("performer", {{"n", 2}, {"dk", 3}, {"features", 2.5}}, {}, &x, "RangeError|features: expected an integer");
  err("taylor2", {{"n", 2}, {"dk", 3}}, {{"features", "8"}}, &x, "TypeError|features: expected a number, got a string");
  // Over the memory budget: 4096 rows of taylor2 features of dk = 512 (262,657 floats each).
  const std::vector<float> big(4096 * 512);
  err("taylor2", {{"n", 4096}, {"dk", 512}}, {}, &big, "RangeError|n: this call needs about");
  // The true φ would be infinite: refused, never returned.
  const std::vector<float> huge{1e30f, 1, 1, 1, 1, 1};
  err("taylor2", ok, {}, &huge, "RangeError|x: row 0: featureMap 'taylor2' of these values overflows float32");
  // Performer's φ_i(x) = m^-½ exp(ω_i·x̄ − ‖x̄‖²/2) peaks at x̄ = ω_i, at exp(‖ω_i‖²/2) ≈ exp(dk/2): past
  // float32 for dk = 256. Linear attention keeps such features relative to a shift; their true
  // value has no float32 form.
  const long wide = 256;
  const auto omega = fmap::performer_omega(static_cast<int>(wide), 64, 0);
  std::vector<float> peak(static_cast<size_t>(wide));
  for (long i = 0; i < wide; ++i) peak[i] = 4 * omega[i];  // x = dk^¼ ω_0
  err("performer", {{"n", 1}, {"dk", static_cast<double>(wide)}}, {}, &peak, "RangeError|x: row 0: featureMap 'performer'");
  // Far from every ω_i (row 0) the true features underflow to 0, which is their float32 value: no error.
  const Rows tiny = feature_rows("performer", huge, 2, 3);
  CHECK(tiny.status == "");
  REQUIRE(tiny.phi.size() == 128u);
  for (long i = 0; i < 64; ++i) CHECK(tiny.phi[i] == 0.f);
  for (long i = 64; i < 128; ++i) CHECK(tiny.phi[i] > 0.f);
  // and the same call object works once the input is fixed
  FeatureMapCall c("taylor2");
  c.set_number("n", 2);
  c.set_number("dk", 3);
  std::copy(huge.begin(), huge.end(), c.input(6));
  CHECK(c.run() != "");
  std::copy(x.begin(), x.end(), c.input(6));
  CHECK(c.run() == "");
  CHECK(c.width() == 13);
  CHECK(c.output().size() == 26u);
}
