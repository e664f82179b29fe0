// Linear attention beyond the generic forms test (which runs only the default elu1 map): every
// feature map x normalize x form against the float64 reference, the kernels the maps promise,
// Performer's determinism and its behaviour with large keys, and long runs.
#include "support.hpp"

#include <cstdio>

#include "core/feature_maps.hpp"

using namespace attnlab;
using namespace attnlab_test;

namespace {

const std::vector<std::string> kMaps = {"elu1", "relu", "identity", "taylor2", "performer"};

struct Run {
  std::string map = "elu1";
  int normalize = -1;  // -1: the variant's default
  Form form = Form::recurrent;
  int chunk = 64;
  long features = 0;  // 0: default
  double seed = -1;   // < 0: default
};

Call linear_call(const Run& r, const Shape& sh, const std::map<std::string, std::vector<float>>& in) {
  Call c("linear");
  c.set_number("n", static_cast<double>(sh.n));
  c.set_number("dk", static_cast<double>(sh.dims.at("dk")));
  c.set_number("dv", static_cast<double>(sh.dims.at("dv")));
  c.set_string("featureMap", r.map);
  if (r.normalize >= 0) c.set_number("normalize", r.normalize);
  if (r.features > 0) c.set_number("features", static_cast<double>(r.features));
  if (r.seed >= 0) c.set_number("seed", r.seed);
  c.set_string("form", form_name(r.form));
  c.set_number("chunk", r.chunk);
  fill(c, in);
  return c;
}

std::map<std::string, std::vector<float>> qkv(const Shape& sh, std::uint64_t seed) {
  return make_inputs(find_variant("linear")->info, sh, seed);
}

// The options of a run, as a Config for the error model (support.hpp).
Config options(const Run& r) {
  Config opts;
  opts.strings["featureMap"] = r.map;
  if (r.normalize >= 0) opts.numbers["normalize"] = r.normalize;
  if (r.features > 0) opts.numbers["features"] = static_cast<double>(r.features);
  if (r.seed >= 0) opts.numbers["seed"] = r.seed;
  return opts;
}

// The error model of a linear call: the read is a dot over the map's features.
Model model(const Run& r, const Shape& sh) { return call_model("linear", sh.n, sh.dims, r.form, r.chunk, nullptr, options(r)); }

bool all_finite(const std::vector<float>& x) {
  for (float v : x)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

TEST_CASE("linear: every feature map, normalised or not, in every form matches the float64 reference", "[linear]") {
  // Largest relative RMS seen per map and form, printed at the end for the record.
  std::map<std::string, std::map<std::string, double>> worst;
  for (const std::string& map : kMaps) {
    for (int normalize : {0, 1}) {
      for (long n : {1L, 63L, 65L, 200L}) {
        Shape sh;
        sh.n = n;
        sh.dims = {{"dk", n == 65 ? 5 : 8}, {"dv", n == 65 ? 3 : 7}};
        auto in = qkv(sh, 300 + n);
        if (map == "identity" && normalize) {
          // Its denominator q·z changes sign, and near a crossing float32 loses as many digits as
          // |q||z| / |q·z| says (one token of N(0,1) inputs reaches 1e-4 here). That measures
          // the inputs, not the forms: positive q and k keep the denominator away from 0.
          for (const char* name : {"q", "k"})
            for (float& x : in[name]) x = std::fabs(x) + 0.1f;
        }
        Run base;
        base.map = map;
        base.normalize = normalize;
        Call ref_call = linear_call(base, sh, in);
        const Reference ref = reference_of(ref_call, "linear", in, options(base));
        for (Form f : {Form::parallel, Form::recurrent, Form::chunkwise}) {
          std::vector<int> chunks = {64};
          if (f == Form::chunkwise) chunks = {1, 3, 16, static_cast<int>(n)};
          for (int chunk : chunks) {
            // One pass without sections (Catch would re-enter the test once per section), so the
            // summary below sees every case; INFO names the case of a failing check.
            INFO(map << (normalize ? " normalized " : " unnormalized ") << form_name(f) << " n=" << n
                     << " chunk=" << chunk);
            Run r = base;
            r.form = f;
            r.chunk = chunk;
            Call c = linear_call(r, sh, in);
            CHECK(c.run() == "");
            ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref(), model(r, sh));
            double& w = worst[map + (normalize ? " normalized" : " unnormalized")][form_name(f)];
            w = std::max(w, compare(c.output(), ref.output_ref().values).rel_rms);
            if (f != Form::parallel) {
              ATTNLAB_CHECK_CLOSE(c.state(), ref.state_ref(), model(r, sh));
              w = std::max(w, compare(c.state(), ref.state_ref().values).rel_rms);
            }
          }
        }
      }
    }
  }
  std::printf("linear, largest rel RMS vs float64 (outputs and states):\n");
  for (const auto& kv : worst) {
    std::printf("  %-22s", kv.first.c_str());
    for (const auto& f : kv.second) std::printf("  %s %.2e", f.first.c_str(), f.second);
    std::printf("\n");
  }
}

TEST_CASE("linear: the default of normalize depends on the map", "[linear]") {
  Shape sh;
  sh.n = 4;
  sh.dims = {{"dk", 3}, {"dv", 2}};
  auto in = qkv(sh, 5);
  for (const std::string& map : {std::string("elu1"), std::string("identity")}) {
    Run r;
    r.map = map;
    Call c = linear_call(r, sh, in);
    REQUIRE(c.run() == "");
    // m*dv, plus z (m) only when normalised.
    CHECK(c.state().size() == (map == "identity" ? 6u : 9u));
  }
}

TEST_CASE("linear: scale multiplies q before the feature map", "[linear]") {
  Shape sh;
  sh.n = 20;
  sh.dims = {{"dk", 6}, {"dv", 4}};
  auto in = qkv(sh, 9);
  auto scaled = in;
  const float s = 1.75f;
  for (float& x : scaled["q"]) x *= s;
  for (const std::string& map : kMaps) {
    DYNAMIC_SECTION(map) {
      Run r;
      r.map = map;
      Call a = linear_call(r, sh, in);
      a.set_number("scale", s);
      Call b = linear_call(r, sh, scaled);
      REQUIRE(a.run() == "");
      REQUIRE(b.run() == "");
      CHECK(a.output() == b.output());
    }
  }
}

TEST_CASE("linear: taylor2 features give the kernel 1 + s + s²/2", "[linear]") {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal;
  for (int dk : {1, 4, 7, 16}) {
    const fmap::Map mp = fmap::Map::make(fmap::Kind::taylor2, dk, 0, 0);
    REQUIRE(mp.m == 1 + dk + dk * dk);
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<float> q(dk), k(dk);
      for (auto& x : q) x = static_cast<float>(normal(rng));
      for (auto& x : k) x = static_cast<float>(normal(rng));
      double s = 0;
      for (int i = 0; i < dk; ++i) s += double(q[i]) * k[i];
      s /= std::sqrt(double(dk));
      const double want = 1 + s + s * s / 2;
      std::vector<double> pq(mp.m), pk(mp.m);
      mp.apply_ref(q.data(), 1.0, pq.data());
      mp.apply_ref(k.data(), 1.0, pk.data());
      double got = 0, terms = 0;
      for (long i = 0; i < mp.m; ++i) {
        got += pq[i] * pk[i];
        terms += pq[i] * pk[i] * pq[i] * pk[i];
      }
      // The scale of a sum of m products is u times the root-sum-square of its terms (support.hpp);
      // the chain is the sum of m features plus the 3 roundings that make a feature.
      const Want kernel(std::vector<double>{want}, {kUnit32 * std::sqrt(terms)}, 1);
      const Model sum = chain(static_cast<double>(mp.m) + 3, "features of taylor2, then their dot");
      ATTNLAB_CHECK_CLOSE(std::vector<double>{got}, kernel, sum.in_float64().both_rounded());
      std::vector<float> fq(mp.m), fk(mp.m), work(dk);
      mp.apply(q.data(), 1.f, fq.data(), work.data());
      mp.apply(k.data(), 1.f, fk.data(), work.data());
      double got32 = 0;
      for (long i = 0; i < mp.m; ++i) got32 += double(fq[i]) * fk[i];
      ATTNLAB_CHECK_CLOSE(std::vector<double>{got32}, kernel, sum);
    }
  }
}

TEST_CASE("linear: performer features estimate exp(q·k/√dk), better with more features", "[linear]") {
  // Unit-norm q and k keep the estimator's relative variance per feature at e^{‖q̄+k̄‖²} − 1 <= e^{2/√dk} − 1
  // (≈ 1 for dk = 8), so 4096 features put the relative error near 0.02; the bar is 0.1.
  const int dk = 8;
  std::mt19937_64 rng(23);
  std::normal_distribution<double> normal;
  double err_small = 0, err_large = 0;
  const int pairs = 6;
  for (int trial = 0; trial < pairs; ++trial) {
    std::vector<float> q(dk), k(dk);
    double nq = 0, nk = 0;
    for (int i = 0; i < dk; ++i) {
      q[i] = static_cast<float>(normal(rng));
      k[i] = static_cast<float>(trial == 0 ? q[i] : normal(rng));  // one pair with q = k
      nq += double(q[i]) * q[i];
      nk += double(k[i]) * k[i];
    }
    for (int i = 0; i < dk; ++i) {
      q[i] = static_cast<float>(q[i] / std::sqrt(nq));
      k[i] = static_cast<float>(k[i] / std::sqrt(nk));
    }
    double s = 0;
    for (int i = 0; i < dk; ++i) s += double(q[i]) * k[i];
    const double want = std::exp(s / std::sqrt(double(dk)));
    for (long features : {64L, 4096L}) {
      const fmap::Map mp = fmap::Map::make(fmap::Kind::performer, dk, features, 1234 + trial);
      std::vector<double> pq(features), pk(features);
      mp.apply_ref(q.data(), 1.0, pq.data());
      mp.apply_ref(k.data(), 1.0, pk.data());
      double got = 0;
      for (long i = 0; i < features; ++i) got += pq[i] * pk[i];
      const double rel = std::fabs(got - want) / want;
      INFO("pair " << trial << " features " << features << " estimate " << got << " exp(q·k/√dk) " << want);
      if (features == 4096) CHECK(rel < 0.1);
      (features == 64 ? err_small : err_large) += rel / pairs;
    }
  }
  INFO("mean relative error: 64 features " << err_small << ", 4096 features " << err_large);
  CHECK(err_large < err_small);
}

TEST_CASE("linear: performer's projection has orthogonal blocks and chi-distributed row norms", "[linear]") {
  const int dk = 6;
  const long m = 15;  // two full blocks and a partial one
  const std::vector<float> w = fmap::performer_omega(dk, m, 3);
  REQUIRE(w.size() == static_cast<size_t>(m * dk));
  std::vector<double> norm(m);
  for (long r = 0; r < m; ++r) {
    for (int i = 0; i < dk; ++i) norm[r] += double(w[r * dk + i]) * w[r * dk + i];
    norm[r] = std::sqrt(norm[r]);
    CHECK(norm[r] > 0.1);
    CHECK(norm[r] < 6.0);
  }
  for (long a = 0; a < m; ++a)
    for (long b = a + 1; b < m; ++b) {
      if (a / dk != b / dk) continue;
      // Orthogonal in float64, then rounded to float32: each product moves by up to 2u relative,
      // so the dot moves by up to 2u sum |w_a w_b| (its exact value is 0).
      double d = 0, abs_terms = 0;
      for (int i = 0; i < dk; ++i) {
        d += double(w[a * dk + i]) * w[b * dk + i];
        abs_terms += std::fabs(double(w[a * dk + i]) * w[b * dk + i]);
      }
      INFO("rows " << a << " and " << b << ": dot " << d << ", sum of |products| " << abs_terms);
      CHECK(std::fabs(d) <= kSafetyMax * 2 * kUnit32 * abs_terms);
    }
}

TEST_CASE("linear: performer's seed fixes the random features", "[linear]") {
  const auto a = fmap::performer_omega(8, 64, 0), b = fmap::performer_omega(8, 64, 0);
  const auto c = fmap::performer_omega(8, 64, 1);
  CHECK(a == b);
  CHECK(a != c);
  // The same through the public API: same seed, same output; another seed, another output.
  Shape sh;
  sh.n = 30;
  sh.dims = {{"dk", 8}, {"dv", 4}};
  auto in = qkv(sh, 77);
  Run r;
  r.map = "performer";
  r.seed = 42;
  Call x = linear_call(r, sh, in), y = linear_call(r, sh, in);
  r.seed = 43;
  Call z = linear_call(r, sh, in);
  REQUIRE(x.run() == "");
  REQUIRE(y.run() == "");
  REQUIRE(z.run() == "");
  CHECK(x.output() == y.output());
  CHECK(x.output() != z.output());
}

TEST_CASE("linear: performer's generator draws the same numbers on every platform", "[linear]") {
  // Pinned from an independent Python transcription of the generator (splitmix64, polar method,
  // the series log, Gram–Schmidt): doubles behave identically there, so a native or wasm build that
  // disagrees has let a platform-dependent operation into the generator.
  const auto w = fmap::performer_omega(4, 6, 0);
  // performer_omega(dk = 4, m = 6, seed = 0), from tests/cpp/performer_omega_golden.py 4 6 0
  const float want[] = {
      0x1.1afc18p+0f, -0x1.94675p-3f, -0x1.99575p-1f, -0x1.671c78p-2f,
      -0x1.cfced4p-3f, 0x1.336208p-1f, -0x1.39ce7ap+0f, 0x1.be1e1ep+0f,
      0x1.9deb84p-1f, 0x1.6217fcp+0f, 0x1.6f707ap-1f, 0x1.111c7ep-3f,
      -0x1.801cd8p-1f, 0x1.ef58d4p-1f, -0x1.a96aa2p-1f, -0x1.03e84p+0f,
      0x1.7aa14p-1f, 0x1.554726p-2f, 0x1.b1ce4cp-2f, -0x1.58e7e6p-3f,
      0x1.8ee2e2p-3f, -0x1.3f562cp-4f, -0x1.3e6f12p-1f, -0x1.ba20a2p-1f,
  };
  REQUIRE(w.size() == sizeof want / sizeof want[0]);
  for (size_t i = 0; i < w.size(); ++i) {
    INFO("omega[" << i << "]");
    CHECK(w[i] == want[i]);
  }
}

TEST_CASE("linear: identity without normaliser is GLA with no decay", "[linear]") {
  if (!find_variant("gla")) return;
  Shape sh;
  sh.n = 70;
  sh.dims = {{"dk", 7}, {"dv", 5}};
  auto in = qkv(sh, 99);
  auto gin = in;
  gin["g"].assign(static_cast<size_t>(sh.n * 7), 0.f);
  for (Form f : {Form::parallel, Form::recurrent, Form::chunkwise}) {
    DYNAMIC_SECTION(form_name(f)) {
      Run r;
      r.map = "identity";
      r.normalize = 0;
      r.form = f;
      r.chunk = 16;
      Call lin = linear_call(r, sh, in);
      Call gla("gla");
      gla.set_number("n", static_cast<double>(sh.n));
      gla.set_number("dk", 7);
      gla.set_number("dv", 5);
      gla.set_string("form", form_name(f));
      gla.set_number("chunk", 16);
      fill(gla, gin);
      REQUIRE(lin.run() == "");
      REQUIRE(gla.run() == "");
      REQUIRE(gla.run_reference() == "");
      const Reference ref = reference_of(lin, "linear", in, options(r));
      // Same sums in a different order: each side within the model of its form, in float32 and
      // in float64 (the references).
      const Model both = model(r, sh).both_rounded();
      ATTNLAB_CHECK_CLOSE(lin.output(), ref.output_ref().with(gla.output()), both);
      ATTNLAB_CHECK_CLOSE(lin.output_ref(), ref.output_ref().with(gla.output_ref()), both.in_float64());
      if (f != Form::parallel) ATTNLAB_CHECK_CLOSE(lin.state(), ref.state_ref().with(gla.state()), both);
    }
  }
}

TEST_CASE("linear: performer with large keys or queries stays finite and agrees with the reference", "[linear]") {
  // Keys of norm 25..35 put every log-feature near −‖k̄‖²/2 ≈ −110..−215 (dk = 8): such features are
  // 0 in float32, so only the shifts keep anything. Mixed with unit-scale keys (two tokens in three),
  // the running max jumps both ways, by more than float32's exponent range.
  Shape sh;
  sh.n = 120;
  sh.dims = {{"dk", 8}, {"dv", 5}};
  // case 0: every key large; 1: one key in three; 2: every query large (the per-query shift).
  for (int mixed : {0, 1, 2}) {
    auto in = qkv(sh, 555 + mixed);
    auto& x = in[mixed == 2 ? "q" : "k"];
    for (long t = 0; t < sh.n; ++t) {
      if (mixed == 1 && t % 3 != 0) continue;
      double nrm = 0;
      for (int i = 0; i < 8; ++i) nrm += double(x[t * 8 + i]) * x[t * 8 + i];
      const double target = 25 + (t % 11);  // 25..35
      for (int i = 0; i < 8; ++i) x[t * 8 + i] = static_cast<float>(x[t * 8 + i] * target / std::sqrt(nrm));
    }
    for (int normalize : {0, 1}) {
      Run base;
      base.map = "performer";
      base.normalize = normalize;
      Call ref_call = linear_call(base, sh, in);
      const Reference ref = reference_of(ref_call, "linear", in, options(base));
      double scale = 0;
      for (double x : ref.output_ref().values) scale = std::max(scale, std::fabs(x));
      for (Form f : {Form::parallel, Form::recurrent, Form::chunkwise}) {
        for (int chunk : {1, 16, 120}) {
          if (f != Form::chunkwise && chunk != 16) continue;
          const char* what = mixed == 0 ? "large keys" : mixed == 1 ? "mixed keys" : "large queries";
          DYNAMIC_SECTION(what << (normalize ? " normalized " : " unnormalized ") << form_name(f) << " chunk=" << chunk) {
            Run r = base;
            r.form = f;
            r.chunk = chunk;
            Call c = linear_call(r, sh, in);
            REQUIRE(c.run() == "");
            CHECK(all_finite(c.output()));
            CHECK(all_finite(c.state()));
            // With only large keys every kernel value is below e^{-60}, far under eps: the true
            // outputs are that small, and the shifts keep them to float32 precision all the same.
            INFO("largest reference output " << scale);
            ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref(), model(r, sh));
            if (f != Form::parallel) ATTNLAB_CHECK_CLOSE(c.state(), ref.state_ref(), model(r, sh));
          }
        }
      }
    }
  }
}

TEST_CASE("linear: 100k tokens through the recurrence stay finite and match the reference", "[linear][long]") {
  // Rounding in the running sums grows like √n·ε_f32 (≈ 2e-5 at n = 1e5): the model's 2 n term.
  Shape sh;
  sh.n = 100000;
  sh.dims = {{"dk", 8}, {"dv", 4}};
  auto in = qkv(sh, 2024);
  for (const std::string& map : kMaps) {
    DYNAMIC_SECTION(map) {
      Run r;
      r.map = map;
      Call c = linear_call(r, sh, in);
      REQUIRE(c.run() == "");
      const Reference ref = reference_of(c, "linear", in, options(r));
      CHECK(all_finite(c.output()));
      CHECK(all_finite(c.state()));
      const Diff d = compare(c.output(), c.output_ref());
      std::printf("linear %-9s 100k recurrent: rel RMS %.2e (state %.2e)\n", map.c_str(), d.rel_rms,
                  compare(c.state(), c.state_ref()).rel_rms);
      ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref(), model(r, sh));
      ATTNLAB_CHECK_CLOSE(c.state(), ref.state_ref(), model(r, sh));
    }
  }
}

TEST_CASE("linear: every map carries its state across a split, and steps like the recurrent run", "[linear]") {
  // The generic tests cover elu1 only; performer's state also carries the running max, which the
  // reference must read back from initialState too.
  Shape sh;
  sh.n = 50;
  sh.dims = {{"dk", 5}, {"dv", 4}};
  auto in = qkv(sh, 31);
  const long split = 21;
  for (const std::string& map : kMaps) {
    for (Form f : {Form::recurrent, Form::chunkwise}) {
      DYNAMIC_SECTION(map << " " << form_name(f)) {
        Run r;
        r.map = map;
        r.normalize = 1;
        r.form = f;
        r.chunk = 8;
        Call whole = linear_call(r, sh, in);
        REQUIRE(whole.run() == "");
        const Reference ref = reference_of(whole, "linear", in, options(r));
        std::vector<float> out, state;
        std::vector<double> out_ref;
        for (int part = 0; part < 2; ++part) {
          const long t0 = part ? split : 0, t1 = part ? sh.n : split;
          Shape sub = sh;
          sub.n = t1 - t0;
          std::map<std::string, std::vector<float>> piece;
          for (const auto& kv : in) {
            const long w = static_cast<long>(kv.second.size()) / sh.n;
            piece[kv.first].assign(kv.second.begin() + t0 * w, kv.second.begin() + t1 * w);
          }
          if (part) piece["initialState"] = state;
          Call c = linear_call(r, sub, piece);
          REQUIRE(c.run() == "");
          REQUIRE(c.run_reference() == "");
          out.insert(out.end(), c.output().begin(), c.output().end());
          out_ref.insert(out_ref.end(), c.output_ref().begin(), c.output_ref().end());
          state = c.state();
        }
        // Split and whole runs: both float32, each within the model. The second piece's reference
        // starts from the first piece's float32 state, so the glued references carry that state's
        // float32 error: they are the whole reference within the float32 model, not float64's.
        ATTNLAB_CHECK_CLOSE(out, ref.output_ref().with(whole.output()), model(r, sh).both_rounded());
        ATTNLAB_CHECK_CLOSE(state, ref.state_ref().with(whole.state()), model(r, sh).both_rounded());
        ATTNLAB_CHECK_CLOSE(out, ref.output_ref().with(out_ref), model(r, sh));
        ATTNLAB_CHECK_CLOSE(out_ref, ref.output_ref(), model(r, sh));

        Stepper s("linear");
        s.set_number("dk", 5);
        s.set_number("dv", 4);
        s.set_string("featureMap", map);
        s.set_number("normalize", 1);
        REQUIRE(s.init() == "");
        Run whole_rec = r;
        whole_rec.form = Form::recurrent;
        Call rec = linear_call(whole_rec, sh, in);
        REQUIRE(rec.run() == "");
        for (long t = 0; t < sh.n; ++t) {
          for (const char* name : {"q", "k", "v"}) {
            const auto& x = in.at(name);
            const long w = static_cast<long>(x.size()) / sh.n;
            std::copy(x.begin() + t * w, x.begin() + (t + 1) * w, s.token_input(name));
          }
          REQUIRE(s.step() == "");
          for (long j = 0; j < 4; ++j) REQUIRE(s.output()[j] == rec.output()[t * 4 + j]);
        }
        CHECK(s.state() == rec.state());
      }
    }
  }
}

TEST_CASE("linear: a feature map whose state cannot fit is refused, naming the argument", "[linear]") {
  Call c("linear");
  c.set_number("n", 1);
  c.set_number("dk", 4096);
  c.set_number("dv", 64);
  c.set_string("featureMap", "taylor2");
  for (const char* name : {"q", "k"}) c.input(name, 4096);
  c.input("v", 64);
  const Status st = c.run();
  INFO(st);
  CHECK(st.rfind("RangeError|dk:", 0) == 0);
  Stepper s("linear");
  s.set_number("dk", 4096);
  s.set_number("dv", 64);
  s.set_string("featureMap", "taylor2");
  CHECK(s.init().rfind("RangeError|dk:", 0) == 0);
}
