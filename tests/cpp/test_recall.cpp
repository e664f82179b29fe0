// The recall lab's claims (issue 7, docs/variants.md §14), each checked on seeded trials.
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

namespace {

RecallResult rewrite_run(const std::string& variant, int d, int pairs, int rewrites, const std::string& keys,
                         std::map<std::string, std::string> strs = {}, std::map<std::string, double> nums = {},
                         std::map<std::string, double> constants = {}, int gap = 0) {
  RecallSpec s;
  s.variant = variant;
  s.d = d;
  s.pairs = pairs;
  s.rewrites = rewrites;
  s.keys = keys;
  s.gap = gap;
  s.trials = 8;
  s.seed = 9;
  s.options.strings = strs;
  s.options.numbers = nums;
  s.constants = constants;
  RecallResult r;
  const Status st = recall(s, &r);
  INFO(st);
  REQUIRE(st.empty());
  return r;
}

}  // namespace

TEST_CASE("rewrites: the delta rule returns the new value, linear attention a blend of old and new", "[recall]") {
  const int d = 32, K = 16, R = 8;
  // β = 1 and unit keys: u = v_new − Sᵀk replaces what k held, so the readout is the new value.
  const auto delta = rewrite_run("deltanet", d, K, R, "orthogonal");
  INFO("deltanet: accuracy " << delta.accuracy << ", rewritten " << delta.rewritten_accuracy);
  CHECK(delta.rewritten_accuracy == 1.0);
  CHECK(delta.accuracy == 1.0);
  CHECK(delta.mean_cosine == Approx(1).margin(1e-5));
  // S = Σ k vᵀ + k_i v_newᵀ reads k_i as v_old + v_new: equally near both, so neither is recalled,
  // while the pairs written once are still exact.
  const auto lin = rewrite_run("linear", d, K, R, "orthogonal", {{"featureMap", "identity"}});
  INFO("linear identity: accuracy " << lin.accuracy << ", rewritten " << lin.rewritten_accuracy << ", cosine "
                                    << lin.mean_cosine);
  CHECK(lin.rewritten_accuracy == 0.0);
  CHECK(lin.accuracy == Approx(double(K - R) / K));
  // byAge: the K − R pairs written once (oldest first), then the rewritten ones
  for (int a = 0; a < K - R; ++a) CHECK(lin.by_age[a] == 1.0f);
  for (int a = K - R; a < K; ++a) CHECK(lin.by_age[a] == 0.0f);
  CHECK(mean(delta.by_age, 0, K) == 1.0);
  // The default elu1 map and random keys: still far below the delta rule.
  const auto elu = rewrite_run("linear", d, K, R, "random");
  const auto delta_random = rewrite_run("deltanet", d, K, R, "random");
  INFO("random keys: deltanet rewritten " << delta_random.rewritten_accuracy << ", linear elu1 " << elu.rewritten_accuracy);
  CHECK(delta_random.rewritten_accuracy > elu.rewritten_accuracy + 0.5);
  // R = 0: no rewritten keys, and the very result of a spec that never mentions rewrites.
  const auto none = rewrite_run("deltanet", d, K, 0, "random");
  CHECK(std::isnan(none.rewritten_accuracy));
  RecallSpec plain;
  plain.variant = "deltanet";
  plain.d = d;
  plain.pairs = K;
  plain.trials = 8;
  plain.seed = 9;
  RecallResult p;
  REQUIRE(recall(plain, &p).empty());
  CHECK(p.accuracy == none.accuracy);
  CHECK(p.by_age == none.by_age);
  CHECK(std::isnan(p.rewritten_accuracy));
}

TEST_CASE("rewrites: a decaying state keeps the new value, which outweighs the decayed old one", "[recall]") {
  const int d = 32, K = 16, R = 4;
  const auto ret = rewrite_run("retnet", d, K, R, "orthogonal", {}, {{"gamma", 0.9}});
  INFO("retnet rewritten " << ret.rewritten_accuracy);
  CHECK(ret.rewritten_accuracy == 1.0);
}

TEST_CASE("gap: decaying states lose their oldest pairs first", "[recall]") {
  // Decay e^-0.05 per token for all three (retnet's gamma, gla's g, mamba2's A with delta = 1): the
  // distractors age every pair by the same factor, which sinks the oldest ones under their writes.
  const int d = 32, K = 32, gap = 16;
  struct Case {
    std::string variant;
    std::map<std::string, double> nums, constants;
  };
  const std::vector<Case> cases = {
      {"retnet", {{"gamma", std::exp(-0.05)}}, {}}, {"gla", {}, {{"g", -0.05}}}, {"mamba2", {{"A", -0.05}}, {}}};
  for (const auto& c : cases) {
    const auto with_gap = rewrite_run(c.variant, d, K, 0, "random", {}, c.nums, c.constants, gap);
    const auto without = rewrite_run(c.variant, d, K, 0, "random", {}, c.nums, c.constants, 0);
    const double oldest = mean(with_gap.by_age, 0, K / 4), newest = mean(with_gap.by_age, 3 * K / 4, K);
    INFO(c.variant << " with gap " << gap << ": oldest quarter " << oldest << ", newest quarter " << newest
                   << ", accuracy " << with_gap.accuracy << " (no gap: " << without.accuracy << ", oldest quarter "
                   << mean(without.by_age, 0, K / 4) << ")");
    CHECK(newest > oldest + 0.3);
    CHECK(oldest < mean(without.by_age, 0, K / 4));
    CHECK(with_gap.accuracy < without.accuracy);
  }
}

TEST_CASE("recall rejects bad rewrites by name", "[recall]") {
  RecallSpec s;
  s.variant = "deltanet";
  s.d = 8;
  s.pairs = 4;
  RecallResult r;
  s.rewrites = -1;
  CHECK(recall(s, &r).rfind("RangeError|rewrites: expected an integer in [0, pairs] = [0, 4], got -1", 0) == 0);
  s.rewrites = 5;
  CHECK(recall(s, &r).rfind("RangeError|rewrites: expected an integer in [0, pairs] = [0, 4], got 5", 0) == 0);
  s.rewrites = 4;  // every key rewritten: allowed
  s.keys = "orthogonal";
  CHECK(recall(s, &r).empty());
  CHECK(r.rewritten_accuracy == 1.0);
  RecallJob job("deltanet");
  job.set_number("rewrites", 2.5);
  CHECK(job.run().rfind("RangeError|rewrites: expected an integer, got 2.5", 0) == 0);
}
