// The cost model (cpp/lab/cost.hpp) against the lesson's worked numbers, against scaling laws, and,
// in a build configured with -DATTNLAB_COUNT=ON, against what the kernels actually execute: every
// registered variant x form x size, counted macs, exps and peak buffer equal to the formulas.
// Measured cost (cpp/lab/measure.hpp): positive finite times and the quadratic-vs-linear growth.
#include "support.hpp"
#include "json.hpp"

#include <algorithm>
#include <cmath>

#include "core/counters.hpp"
#include "lab/cost.hpp"
#include "lab/cost_query.hpp"
#include "lab/measure.hpp"

using namespace attnlab;
using namespace attnlab_test;

namespace {

Config sized(long n, long dk, long dv, const std::string& form = "") {
  Config c;
  c.numbers["n"] = static_cast<double>(n);
  c.numbers["dk"] = static_cast<double>(dk);
  c.numbers["dv"] = static_cast<double>(dv);
  if (!form.empty()) c.strings["form"] = form;
  return c;
}

CostResult cost_of(const std::string& id, const Config& cfg) {
  CostResult r;
  const Status st = cost(id, cfg, &r);
  INFO(id << ": " << st);
  REQUIRE(st.empty());
  return r;
}

// The "plain" linear attention of chapters 2-3: identity map, no normaliser (fast-weight memory).
Config plain_linear(long n, long d, const std::string& form) {
  Config c = sized(n, d, d, form);
  c.strings["featureMap"] = "identity";
  c.numbers["normalize"] = 0;
  return c;
}

}  // namespace

TEST_CASE("the lesson's worked numbers come out of the cost model exactly", "[cost]") {
  TwoOrders t;
  REQUIRE(two_orders(1000, 64, 64, &t).empty());
  // n = 1,000, d = 64: a 1,000 x 1,000 matrix of 1,000,000 scores, 64 macs each.
  CHECK(t.scores_first.rows == 1000);
  CHECK(t.scores_first.cols == 1000);
  CHECK(t.scores_first.intermediate_floats == 1000000.0);
  CHECK(t.scores_first.first_macs == 64000000.0);
  CHECK(t.scores_first.macs == 128000000.0);
  // K^T V: a 64 x 64 state for 4,096,000 macs.
  CHECK(t.state_first.rows == 64);
  CHECK(t.state_first.cols == 64);
  CHECK(t.state_first.intermediate_floats == 4096.0);
  CHECK(t.state_first.first_macs == 4096000.0);
  CHECK(t.state_first.macs == 8192000.0);
  CHECK(t.ratio == Approx(128000000.0 / 8192000.0));
  // n = 10,000: 6.4 billion against 40.96 million; 100,000,000 scores.
  REQUIRE(two_orders(10000, 64, 64, &t).empty());
  CHECK(t.scores_first.intermediate_floats == 100000000.0);
  CHECK(t.scores_first.first_macs == 6400000000.0);
  CHECK(t.state_first.first_macs == 40960000.0);

  // The same figures from the real forms: softmax parallel builds the full score matrix...
  const CostResult sp = cost_of("softmax", sized(1000, 64, 64, "parallel"));
  CHECK(sp.macs == 128000000.0);
  CHECK(sp.terms.at(0).macs == 64000000.0);  // Q K^T
  CHECK(sp.peak_floats == 1000000.0);
  CHECK(sp.flops == 256000000.0);
  CHECK(sp.state_floats == 1000.0 * 128);  // the KV cache: n (dk + dv)
  // ...and plain linear attention, recurrent: n dk dv writes + n dk dv reads, a 64 x 64 state.
  REQUIRE(find_variant("linear") != nullptr);
  const CostResult lr = cost_of("linear", plain_linear(1000, 64, "recurrent"));
  CHECK(lr.macs == 8192000.0);
  CHECK(lr.state_floats == 4096.0);
  CHECK(lr.peak_floats == 4096.0);
  const CostResult lr10 = cost_of("linear", plain_linear(10000, 64, "recurrent"));
  CHECK(lr10.macs == 2 * 40960000.0);
  const CostResult sp10 = cost_of("softmax", sized(10000, 64, 64, "parallel"));
  CHECK(sp10.macs == 2 * 6400000000.0);
  CHECK(sp10.peak_floats == 100000000.0);
  // The two orders are the two linear-attention forms: parallel (Q K^T) V, recurrent Q (K^T V). The
  // parallel form also hands its final state K^T V on (n dk dv), so that a prompt read in parallel can
  // be continued token by token.
  const CostResult lp = cost_of("linear", plain_linear(1000, 64, "parallel"));
  REQUIRE(two_orders(1000, 64, 64, &t).empty());
  CHECK(lp.macs == t.scores_first.macs + 1000.0 * 64 * 64);
  CHECK(lr.macs == t.state_first.macs);
}

TEST_CASE("cost scales as the lesson says", "[cost]") {
  for (long n : {256L, 1000L, 4096L}) {
    const double s1 = cost_of("softmax", sized(n, 64, 64, "parallel")).macs;
    const double s2 = cost_of("softmax", sized(2 * n, 64, 64, "parallel")).macs;
    CHECK(s2 == 4 * s1);  // double n, quadruple the quadratic form
    REQUIRE(find_variant("linear") != nullptr);
    for (const std::string map : {"identity", "elu1"}) {
      Config a = plain_linear(n, 64, "recurrent"), b = plain_linear(2 * n, 64, "recurrent");
      a.strings["featureMap"] = b.strings["featureMap"] = map;
      a.numbers.erase("normalize");
      b.numbers.erase("normalize");
      CHECK(cost_of("linear", b).macs == 2 * cost_of("linear", a).macs);  // the line doubles
    }
  }
  // Monotone in n for every variant and form; fixed states do not grow, the KV cache does.
  for (const Entry& e : registry()) {
    for (Form f : e.info.forms) {
      double prev = -1, prev_state = -1;
      for (long n : {1L, 2L, 3L, 10L, 64L, 65L, 300L}) {
        Config c;
        c.numbers["n"] = static_cast<double>(n);
        for (const auto& s : e.info.sizes) c.numbers[s] = 8;
        c.strings["form"] = form_name(f);
        const CostResult r = cost_of(e.info.id, c);
        INFO(e.info.id << " " << form_name(f) << " n=" << n);
        CHECK(r.macs > prev);
        CHECK(r.state_floats >= prev_state);
        if (e.info.id != "softmax" && e.info.id != "sliding_window" && prev_state >= 0)
          CHECK(r.state_floats == prev_state);
        CHECK(r.flops == 2 * r.macs);
        CHECK(r.macs <= r.executed_macs);
        double sum = 0, mixing = 0;
        for (const CostTerm& t : r.terms) {
          sum += t.macs;
          mixing += t.mixing ? t.macs : 0;
        }
        CHECK(sum == r.executed_macs);
        CHECK(mixing == r.macs);
        prev = r.macs;
        prev_state = r.state_floats;
      }
    }
  }
}

TEST_CASE("memory: a growing KV cache against a fixed state", "[cost]") {
  Config c = sized(4096, 64, 64);
  MemoryResult s, l;
  REQUIRE(memory("softmax", c, 32, 32, &s).empty());
  CHECK(s.grows);
  CHECK(s.state_floats == 4096.0 * 128);
  CHECK(s.kv_floats == s.state_floats);
  CHECK(s.state_bytes_total() == 4096.0 * 128 * 4 * 32 * 32);  // 2 GiB for a 32 x 32-head model
  REQUIRE(find_variant("linear") != nullptr);
  Config lc = c;
  lc.strings["featureMap"] = "identity";
  lc.numbers["normalize"] = 0;
  REQUIRE(memory("linear", lc, 32, 32, &l).empty());
  CHECK_FALSE(l.grows);
  CHECK(l.state_floats == 64.0 * 64);
  CHECK(l.kv_floats == 4096.0 * 128);
  CHECK(l.state_bytes_total() == 64.0 * 64 * 4 * 32 * 32);
  Config w = c;
  w.numbers["window"] = 1024;
  MemoryResult sw;
  REQUIRE(memory("sliding_window", w, 1, 1, &sw).empty());
  CHECK(sw.state_floats == 1024.0 * 128);
  CHECK_FALSE(sw.grows);
  CHECK(memory("softmax", c, 0, 1, &s).rfind("RangeError|layers", 0) == 0);
}

TEST_CASE("cost rejects what a run rejects, naming the argument", "[cost]") {
  CostResult r;
  CHECK(cost("nope", sized(4, 4, 4), &r).rfind("RangeError|id", 0) == 0);
  CHECK(cost("softmax", sized(0, 4, 4), &r).rfind("RangeError|n", 0) == 0);
  Config c = sized(4, 4, 4);
  c.numbers.erase("dk");
  CHECK(cost("softmax", c, &r).rfind("TypeError|dk", 0) == 0);
  c = sized(4, 4, 4, "sideways");
  CHECK(cost("softmax", c, &r).rfind("RangeError|form", 0) == 0);
  c = sized(4, 4, 4, "chunkwise");
  c.numbers["chunk"] = 0;
  CHECK(cost("softmax", c, &r).rfind("RangeError|chunk", 0) == 0);
  TwoOrders t;
  CHECK(two_orders(0, 4, 4, &t).rfind("RangeError|n", 0) == 0);
  // Costing needs no memory: the quadratic wall at a million tokens is a number, not a crash...
  REQUIRE(cost("softmax", sized(1000000, 64, 64, "parallel"), &r).empty());
  CHECK(r.macs == 1e12 * 128);
  // ...and the cost says a real run of it would not fit the module's budget.
  CHECK_FALSE(r.fits_budget);
}

TEST_CASE("CostQuery returns the JSON the JS wrapper hands out, and names bad arguments", "[cost]") {
  auto parse = [](const std::string& text) {
    Json j;
    std::string why;
    INFO(text);
    REQUIRE(JsonParser(text).parse(&j, &why));
    return j;
  };
  CostQuery q;
  q.set_number("n", 1000);
  q.set_number("dk", 64);
  q.set_number("dv", 64);
  q.set_string("form", "parallel");
  REQUIRE(q.cost("softmax") == "");
  Json j = parse(q.json());
  CHECK(j.get("macs")->num == 128000000.0);
  CHECK(j.get("flops")->num == 256000000.0);
  CHECK(j.get("peakFloats")->num == 1000000.0);
  CHECK(j.get("stateFloats")->num == 128000.0);
  CHECK(j.get("stateBytes")->num == 512000.0);
  CHECK(j.get("form")->str == "parallel");
  CHECK(j.get("terms")->items.size() == 2);
  CHECK(j.get("terms")->items[0].get("macs")->num == 64000000.0);

  REQUIRE(q.two_orders() == "");  // form is not a size: ignored here
  j = parse(q.json());
  CHECK(j.get("scoresFirst")->get("firstMacs")->num == 64000000.0);
  CHECK(j.get("scoresFirst")->get("shape")->numbers() == std::vector<double>{1000, 1000});
  CHECK(j.get("stateFirst")->get("firstMacs")->num == 4096000.0);
  CHECK(j.get("stateFirst")->get("shape")->numbers() == std::vector<double>{64, 64});

  q.set_string("form", "recurrent");
  REQUIRE(q.memory("softmax", 24, 16) == "");
  j = parse(q.json());
  CHECK(j.get("kvFloats")->num == 128000.0);
  CHECK(j.get("stateBytesTotal")->num == 128000.0 * 4 * 24 * 16);
  CHECK(j.get("grows")->b);

  q.set_number("n", 32);
  REQUIRE(q.measure("softmax", 2) == "");
  j = parse(q.json());
  CHECK(j.get("reps")->num == 2);
  CHECK(j.get("timesMs")->items.size() == 2);
  CHECK(j.get("medianMs")->num > 0);

  CHECK(q.measure("softmax", 2.5).rfind("RangeError|reps", 0) == 0);
  CHECK(q.json().empty());
  CHECK(q.memory("softmax", 1, NAN).rfind("RangeError|heads", 0) == 0);
  q.set_number("n", 1.5);
  CHECK(q.cost("softmax").rfind("RangeError|n", 0) == 0);
  CHECK(q.two_orders().rfind("RangeError|n", 0) == 0);
  q.set_string("dk", "64");
  q.set_number("n", 8);
  CHECK(q.two_orders().rfind("TypeError|dk", 0) == 0);
  q.clear();
  CHECK(q.cost("softmax").rfind("TypeError|n", 0) == 0);
}

#if defined(ATTNLAB_COUNT) && ATTNLAB_COUNT

namespace {

// Every option setting worth counting separately: each choice of a string option, both values of
// a boolean, and window sizes below, at and above the chunk sizes.
std::vector<std::map<std::string, std::string>> string_settings(const VariantInfo& info) {
  std::vector<std::map<std::string, std::string>> out{{}};
  for (const auto& o : info.options) {
    if (o.choices.empty()) continue;
    std::vector<std::map<std::string, std::string>> next;
    for (const auto& base : out)
      for (const auto& ch : o.choices) {
        auto m = base;
        m[o.name] = ch;
        next.push_back(m);
      }
    out = next;
  }
  return out;
}

std::vector<std::map<std::string, double>> number_settings(const VariantInfo& info) {
  std::vector<std::map<std::string, double>> out{{}};
  for (const auto& o : info.options) {
    std::vector<double> values;
    if (o.boolean) values = {0, 1};
    if (o.name == "window") values = {1, 3, 4, 64};
    if (o.name == "scale" || o.name == "Dskip") values = {1, 0.5};  // the optional output multiply
    if (values.empty()) continue;
    std::vector<std::map<std::string, double>> next;
    for (const auto& base : out)
      for (double v : values) {
        auto m = base;
        m[o.name] = v;
        next.push_back(m);
      }
    out = next;
  }
  return out;
}

}  // namespace

TEST_CASE("counted macs, exps and peak equal the cost model for every variant and form", "[cost][count]") {
  const std::vector<std::map<std::string, long>> dim_sets = {
      {{"dk", 5}, {"dv", 3}, {"C", 5}, {"D", 5}, {"N", 3}, {"P", 4}},
      {{"dk", 8}, {"dv", 8}, {"C", 8}, {"D", 4}, {"N", 6}, {"P", 8}}};
  long checked = 0;
  for (const Entry& e : registry()) {
    const VariantInfo& info = e.info;
    for (const auto& strs : string_settings(info))
      for (const auto& nums : number_settings(info))
        for (const auto& dims : dim_sets)
          for (long n : {1L, 5L, 16L, 33L}) {
            Shape sh;
            sh.n = n;
            sh.dims = dims;
            const auto in = make_inputs(info, sh, 77 + n);
            for (Form f : info.forms) {
              std::vector<int> chunks = {64};
              if (f == Form::chunkwise) chunks = {1, 4, 16};
              for (int chunk : chunks) {
                Config cfg;
                cfg.numbers["n"] = static_cast<double>(n);
                for (const auto& s : info.sizes) cfg.numbers[s] = static_cast<double>(dims.at(s));
                cfg.strings["form"] = form_name(f);
                cfg.numbers["chunk"] = chunk;
                for (const auto& kv : strs) cfg.strings[kv.first] = kv.second;
                for (const auto& kv : nums) cfg.numbers[kv.first] = kv.second;
                Call c(info.id);
                for (const auto& kv : cfg.numbers) c.set_number(kv.first, kv.second);
                for (const auto& kv : cfg.strings) c.set_string(kv.first, kv.second);
                fill(c, in);
                std::string label = info.id + " " + form_name(f) + " n=" + std::to_string(n) +
                                    " dk=" + std::to_string(dims.at("dk")) + " chunk=" + std::to_string(chunk);
                for (const auto& kv : strs) label += " " + kv.first + "=" + kv.second;
                for (const auto& kv : nums) label += " " + kv.first + "=" + fmt(kv.second);
                INFO(label);
                CostResult want;
                const Status cs = cost(info.id, cfg, &want);
                INFO("cost: " << cs);
                CHECK(cs.empty());
                if (!cs.empty()) continue;
                reset_counters();
                REQUIRE(c.run() == "");
                const Counters got = counters();
                // A form that carries state holds it as a live buffer; the harness sees its size.
                const double held = f == Form::parallel ? 0 : static_cast<double>(c.state().size());
                // Exact wherever the work depends on the sizes alone (variable = 0); otherwise the
                // model gives the most the form can do and how much the data may save.
                const double macs = static_cast<double>(got.macs), exps = static_cast<double>(got.exps);
                if (want.macs_variable == 0) {
                  CHECK(macs == want.executed_macs);
                } else {
                  CHECK(macs <= want.executed_macs);
                  CHECK(macs >= want.executed_macs - want.macs_variable);
                }
                if (want.exps_variable == 0) {
                  CHECK(exps == want.exps);
                } else {
                  CHECK(exps <= want.exps);
                  CHECK(exps >= want.exps - want.exps_variable);
                }
                CHECK(std::max(static_cast<double>(got.peak), held) == want.peak_floats);
                if (f != Form::parallel) CHECK(held == want.state_floats);
                ++checked;
              }
            }
          }
  }
  CHECK(checked > 0);
}

TEST_CASE("counted work equals the cost model on longer sequences", "[cost][count]") {
  // Lengths that reach code paths the small sizes do not: linear's 1024-token segments, RWKV-7's
  // 16-token sub-blocks inside a chunk, several full chunks plus a tail everywhere.
  struct Case {
    std::string id;
    std::map<std::string, std::string> strs;
    long n;
    int chunk;
  };
  const std::vector<Case> cases = {{"linear", {{"featureMap", "identity"}}, 1100, 16},
                                   {"linear", {{"featureMap", "performer"}}, 1030, 512},
                                   {"rwkv7", {}, 100, 40},
                                   {"deltanet", {}, 150, 64},
                                   {"gla", {}, 150, 64},
                                   {"softmax", {}, 150, 64},
                                   {"mlstm", {}, 150, 64}};
  for (const Case& k : cases) {
    const Entry* e = find_variant(k.id);
    REQUIRE(e != nullptr);
    Shape sh;
    sh.n = k.n;
    sh.dims = {{"dk", 8}, {"dv", 4}};
    const auto in = make_inputs(e->info, sh, 5);
    for (Form f : e->info.forms) {
      Config cfg;
      cfg.numbers = {{"n", double(k.n)}, {"dk", 8}, {"dv", 4}, {"chunk", double(k.chunk)}};
      cfg.strings = k.strs;
      cfg.strings["form"] = form_name(f);
      Call c(k.id);
      for (const auto& kv : cfg.numbers) c.set_number(kv.first, kv.second);
      for (const auto& kv : cfg.strings) c.set_string(kv.first, kv.second);
      fill(c, in);
      INFO(k.id << " " << form_name(f) << " n=" << k.n << " chunk=" << k.chunk);
      CostResult want;
      REQUIRE(cost(k.id, cfg, &want).empty());
      reset_counters();
      REQUIRE(c.run() == "");
      const double macs = static_cast<double>(counters().macs), exps = static_cast<double>(counters().exps);
      CHECK(macs <= want.executed_macs);
      CHECK(macs >= want.executed_macs - want.macs_variable);
      CHECK(exps <= want.exps);
      CHECK(exps >= want.exps - want.exps_variable);
      const double held = f == Form::parallel ? 0 : static_cast<double>(c.state().size());
      CHECK(std::max(static_cast<double>(counters().peak), held) == want.peak_floats);
    }
  }
}

#endif  // ATTNLAB_COUNT

TEST_CASE("measured time: positive, finite, and quadratic outgrowing linear", "[cost][measure]") {
  MeasureResult m;
  REQUIRE(measure("softmax", sized(64, 16, 16, "parallel"), 3, &m).empty());
  CHECK(m.reps == 3);
  CHECK(m.times_ms.size() == 3);
  CHECK(std::isfinite(m.median_ms));
  CHECK(m.median_ms > 0);
  CHECK(m.min_ms > 0);
  CHECK(m.min_ms <= m.median_ms);
  CHECK(m.median_ms <= m.max_ms);
  CHECK(measure("softmax", sized(64, 16, 16), 0, &m).rfind("RangeError|reps", 0) == 0);
  CHECK(measure("softmax", sized(-1, 16, 16), 1, &m).rfind("RangeError|n", 0) == 0);

  // Between n = 256 and n = 2,048 the parallel softmax time grows about 64x and the recurrent
  // linear time about 8x. Only the order of the two growth ratios is asserted, never a time.
  REQUIRE(find_variant("linear") != nullptr);
  auto time = [](const std::string& id, const Config& c) {
    MeasureResult r;
    const Status st = measure(id, c, 3, &r);
    INFO(st);
    REQUIRE(st.empty());
    REQUIRE(r.min_ms > 0);
    return r.min_ms;
  };
  const double s_small = time("softmax", sized(256, 16, 16, "parallel"));
  const double s_big = time("softmax", sized(2048, 16, 16, "parallel"));
  const double l_small = time("linear", plain_linear(256, 16, "recurrent"));
  const double l_big = time("linear", plain_linear(2048, 16, "recurrent"));
  INFO("softmax parallel " << s_small << " -> " << s_big << " ms; linear recurrent " << l_small << " -> " << l_big
                           << " ms");
  CHECK(s_big / s_small > l_big / l_small);
}
