// The recall lab's claims (issue 7, variants.md §14), each checked on seeded trials.
#include "support.hpp"

#include "lab/recall.hpp"

using namespace attnlab;

namespace {

RecallResult run(const std::string& variant, int d, int pairs, const std::string& keys,
                 std::map<std::string, std::string> strs = {}, std::map<std::string, double> nums = {},
                 std::map<std::string, double> constants = {}, int trials = 4, int gap = 0) {
  RecallSpec s;
  s.variant = variant;
  s.d = d;
  s.pairs = pairs;
  s.keys = keys;
  s.trials = trials;
  s.gap = gap;
  s.seed = 42;
  s.options.strings = strs;
  s.options.numbers = nums;
  s.constants = constants;
  RecallResult r;
  const Status st = recall(s, &r);
  INFO(st);
  REQUIRE(st.empty());
  return r;
}

double mean(const std::vector<float>& v, size_t a, size_t b) {
  double s = 0;
  for (size_t i = a; i < b; ++i) s += v[i];
  return s / static_cast<double>(b - a);
}

}  // namespace

TEST_CASE("orthogonal keys: orthonormal within a block, unit across blocks", "[recall]") {
  const int d = 16;
  auto K = recall_keys("orthogonal", 2 * d, d, 0, 3);
  for (int i = 0; i < 2 * d; ++i)
    for (int j = 0; j < 2 * d; ++j) {
      double p = 0;
      for (int c = 0; c < d; ++c) p += double(K[i * d + c]) * K[j * d + c];
      if (i == j) CHECK(p == Approx(1).margin(1e-6));
      else if (i / d == j / d) CHECK(std::fabs(p) < 1e-6);
    }
  auto C = recall_keys("correlated", 64, 32, 0.6, 5);
  double mc = 0;
  int cnt = 0;
  for (int i = 0; i < 64; ++i)
    for (int j = i + 1; j < 64; ++j, ++cnt)
      for (int c = 0; c < 32; ++c) mc += double(C[i * 32 + c]) * C[j * 32 + c];
  CHECK(mc / cnt == Approx(0.6).margin(0.05));
}

TEST_CASE("unnormalised linear attention: exact up to d orthonormal keys, then interference", "[recall]") {
  const int d = 32;
  const std::map<std::string, std::string> identity{{"featureMap", "identity"}};
  for (int K : {1, 8, 32}) {
    auto r = run("linear", d, K, "orthogonal", identity);
    INFO("K=" << K << " accuracy " << r.accuracy << " cosine " << r.mean_cosine);
    CHECK(r.accuracy == 1.0);
    CHECK(r.mean_cosine == Approx(1).margin(1e-5));
    CHECK(r.interference < 1e-8);
  }
  auto over = run("linear", d, 3 * d, "orthogonal", identity);
  INFO("K=3d accuracy " << over.accuracy << " cosine " << over.mean_cosine);
  CHECK(over.accuracy < 1.0);
  CHECK(over.mean_cosine < 0.9);
  // Random unit keys: the noise-to-signal ratio grows like (K-1)/d, so accuracy falls with K/d.
  double prev = 2;
  for (int K : {8, 32, 128}) {
    auto r = run("linear", d, K, "random", identity);
    INFO("random K=" << K << " accuracy " << r.accuracy << " SIR " << r.sir);
    CHECK(r.accuracy < prev);
    prev = r.accuracy;
  }
}

TEST_CASE("sharp softmax attention recalls every pair well past K = d", "[recall]") {
  const int d = 32;
  auto r = run("softmax", d, 4 * d, "random", {}, {{"scale", 24}});
  INFO("accuracy " << r.accuracy << " cosine " << r.mean_cosine);
  CHECK(r.accuracy >= 0.99);
  auto lin = run("linear", d, 4 * d, "random", {{"featureMap", "identity"}});
  CHECK(r.accuracy > lin.accuracy);
}

TEST_CASE("the delta rule returns the newest pair exactly and beats linear attention past K = d", "[recall]") {
  const int d = 32;
  for (int K : {d / 2, d, 2 * d, 4 * d}) {
    auto r = run("deltanet", d, K, "random");
    INFO("K=" << K << " accuracy " << r.accuracy << " newest " << r.by_age.back());
    CHECK(r.by_age.back() == 1.0f);
  }
  // Past K = d the superposed memory of linear attention is noise for keys that share structure
  // (here pairwise cosine 0.5, like embeddings of related tokens); the delta rule erases what a new
  // key overlaps before writing, so it keeps far more. With nearly orthogonal random keys and a
  // lenient nearest-value decoder, superposition still decodes many old pairs, but the delta rule
  // keeps the recent ones much better: both comparisons are checked.
  for (int K : {2 * d, 4 * d}) {
    RecallSpec s;
    s.d = d;
    s.pairs = K;
    s.keys = "correlated";
    s.cosine = 0.5;
    s.trials = 4;
    s.seed = 42;
    RecallResult delta, lin;
    s.variant = "deltanet";
    REQUIRE(recall(s, &delta).empty());
    s.variant = "linear";
    s.options.strings["featureMap"] = "identity";
    REQUIRE(recall(s, &lin).empty());
    INFO("correlated K=" << K << ": delta " << delta.accuracy << ", linear " << lin.accuracy);
    CHECK(delta.accuracy > 2 * lin.accuracy);
    auto rd = run("deltanet", d, K, "random");
    auto rl = run("linear", d, K, "random", {{"featureMap", "identity"}});
    INFO("random K=" << K << ": newest quarter delta " << mean(rd.by_age, 3 * K / 4, K) << ", linear "
                      << mean(rl.by_age, 3 * K / 4, K));
    CHECK(mean(rd.by_age, 3 * K / 4, K) > mean(rl.by_age, 3 * K / 4, K) + 0.1);
  }
}

TEST_CASE("a decaying state forgets its oldest pairs first", "[recall]") {
  const int d = 32, K = 48;
  auto ret = run("retnet", d, K, "random", {}, {{"gamma", 0.9}}, {}, 8);
  INFO("retnet by age: oldest quarter " << mean(ret.by_age, 0, K / 4) << ", newest " << mean(ret.by_age, 3 * K / 4, K));
  CHECK(mean(ret.by_age, 3 * K / 4, K) > mean(ret.by_age, 0, K / 4) + 0.3);
  auto gla = run("gla", d, K, "random", {}, {}, {{"g", -0.1}}, 8);
  INFO("gla by age: oldest quarter " << mean(gla.by_age, 0, K / 4) << ", newest " << mean(gla.by_age, 3 * K / 4, K));
  CHECK(mean(gla.by_age, 3 * K / 4, K) > mean(gla.by_age, 0, K / 4) + 0.3);
}

TEST_CASE("recall rejects bad specs with a message naming the argument", "[recall]") {
  RecallSpec s;
  s.variant = "nope";
  RecallResult r;
  CHECK(recall(s, &r).find("variant") != std::string::npos);
  s.variant = "softmax";
  s.d = 0;
  CHECK(recall(s, &r).find("d:") != std::string::npos);
  s.d = 8;
  s.keys = "diagonal";
  CHECK(recall(s, &r).find("keys") != std::string::npos);
  s.keys = "random";
  s.constants["beta"] = 1;
  CHECK(recall(s, &r).find("options.beta") != std::string::npos);
}
