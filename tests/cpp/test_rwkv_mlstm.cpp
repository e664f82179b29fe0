// RWKV-4, RWKV-5, RWKV-6 and mLSTM beyond the generic form checks (docs/variants.md §5, §6, §10, §13,
// §15): large RWKV-4 keys, identities that hold exactly or reduce one variant to another, the
// mLSTM stabiliser, direct float64 evaluations of the papers' sums (independent of the references'
// recurrences), and 100k-token runs; every comparison within the error model of support.hpp.
#include "support.hpp"

#include <algorithm>
#include <cstdio>

using namespace attnlab;
using namespace attnlab_test;

namespace {

using Inputs_ = std::map<std::string, std::vector<float>>;

struct Run {
  std::vector<float> out, state;
  std::vector<double> ref, ref_state;
  Reference want;  // the reference with its sensitivity (support.hpp)
  Model model;     // the error model of this form
};

// One call of `id` in `form` (plus its float64 reference) over the given inputs.
Run run(const std::string& id, const Shape& sh, const Inputs_& in, Form form, int chunk = 64,
        const std::vector<float>& init = {}, std::map<std::string, double> opts = {}) {
  const Entry* e = find_variant(id);
  REQUIRE(e != nullptr);
  Call c(id);
  configure(c, e->info, sh);
  c.set_string("form", form_name(form));
  c.set_number("chunk", chunk);
  for (const auto& kv : opts) c.set_number(kv.first, kv.second);
  Arrays all = in;
  if (!init.empty()) all["initialState"] = init;
  fill(c, all);
  const Status st = c.run();
  INFO(st);
  REQUIRE(st.empty());
  Run r{c.output(), c.state(), {}, {}, reference_of(c, id, all), call_model(e->info, sh, form, chunk, &in)};
  r.ref = c.output_ref();
  r.ref_state = c.state_ref();
  return r;
}

template <class T>
bool all_finite(const std::vector<T>& x) {
  return std::all_of(x.begin(), x.end(), [](T v) { return std::isfinite(v); });
}

Inputs_ inputs_for(const std::string& id, const Shape& sh, std::uint64_t seed) {
  return make_inputs(find_variant(id)->info, sh, seed);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RWKV-4

namespace {

// wkv_t of §5 straight from the sum, in float64 with a per-row max: independent of the (a, b, p)
// recurrence both the float forms and the reference use.
std::vector<double> rwkv4_direct(const Inputs_& in, long n, long C) {
  std::vector<double> o(static_cast<size_t>(n * C));
  for (long c = 0; c < C; ++c) {
    const double w = in.at("w")[c], u = in.at("u")[c];
    for (long t = 0; t < n; ++t) {
      std::vector<double> e(static_cast<size_t>(t + 1));
      for (long i = 0; i < t; ++i) e[i] = (t - 1 - i) * w + in.at("k")[i * C + c];
      e[t] = u + in.at("k")[t * C + c];
      const double mx = *std::max_element(e.begin(), e.end());
      double num = 0, den = 0;
      for (long i = 0; i <= t; ++i) {
        num += std::exp(e[i] - mx) * in.at("v")[i * C + c];
        den += std::exp(e[i] - mx);
      }
      o[t * C + c] = num / den;
    }
  }
  return o;
}

}  // namespace

TEST_CASE("rwkv4: keys up to +-60 stay finite; parallel, recurrence and the direct sum agree", "[rwkv4]") {
  Shape sh;
  sh.n = 300;
  sh.dims["C"] = 5;
  auto in = inputs_for("rwkv4", sh, 41);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> big(-60, 60);
  for (auto& k : in["k"]) k = static_cast<float>(big(rng));
  in["k"][0] = 60.f;  // e^{60 + u} alone is far above what a plain float sum would survive next to e^{-60}
  in["k"][5] = -60.f;
  const auto direct = rwkv4_direct(in, sh.n, 5);
  const Run par = run("rwkv4", sh, in, Form::parallel);
  const Run rec = run("rwkv4", sh, in, Form::recurrent);
  CHECK(all_finite(par.out));
  CHECK(all_finite(rec.out));
  CHECK(all_finite(rec.state));
  // The direct sum is exact to float64 rounding; each side within its own chains.
  ATTNLAB_CHECK_CLOSE(rec.ref, rec.want.out.with(direct), rec.model.in_float64().both_rounded());
  ATTNLAB_CHECK_CLOSE(par.out, par.want.out.with(direct), par.model);
  ATTNLAB_CHECK_CLOSE(rec.out, rec.want.out.with(direct), rec.model);
  ATTNLAB_CHECK_CLOSE(rec.state, rec.want.state, rec.model);
}

TEST_CASE("rwkv4: v = 1 gives wkv = 1 and the first token gives v_0, exactly", "[rwkv4]") {
  Shape sh;
  sh.n = 120;
  sh.dims["C"] = 7;
  auto in = inputs_for("rwkv4", sh, 43);
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> big(-60, 60);
  for (auto& k : in["k"]) k = static_cast<float>(big(rng));
  const auto v = in["v"];
  std::fill(in["v"].begin(), in["v"].end(), 1.f);
  // The recurrence updates a and b with the same operations when v = 1, so a == b bit for bit.
  const Run rec = run("rwkv4", sh, in, Form::recurrent);
  for (float o : rec.out) REQUIRE(o == 1.f);
  for (double o : rec.ref) REQUIRE(o == 1.0);
  // The parallel form sums numerator and denominator in different primitives (dot vs exp_shifted),
  // so only their rounding may differ: within the error model of the exact 1.
  const Run par = run("rwkv4", sh, in, Form::parallel);
  ATTNLAB_CHECK_CLOSE(par.out, par.want.out.with(std::vector<double>(par.out.size(), 1.0)), par.model);
  // From the empty state (p = -1e38) the first output is v_0 itself: e1 = 0, e2 = 1.
  in["v"] = v;
  for (Form f : {Form::recurrent, Form::parallel}) {
    const Run r = run("rwkv4", sh, in, f);
    for (long c = 0; c < 7; ++c) REQUIRE(r.out[c] == v[c]);
  }
}

TEST_CASE("rwkv4 with u = -w is causal softmax over the keys k_i - i w", "[rwkv4]") {
  // With u = -w the current token weighs e^{-w + k_t} = e^{(t-1-t)w + k_t}, the same law as the past,
  // and the row constant (t-1)w cancels in the ratio: wkv_t = sum_{i<=t} softmax_i(k_i - i w) v_i,
  // i.e. softmax attention with dk = dv = 1, q = 1, scale 1, one channel at a time.
  if (!find_variant("softmax")) return;
  Shape sh;
  sh.n = 70;
  const long C = 3;
  sh.dims["C"] = C;
  auto in = inputs_for("rwkv4", sh, 47);
  for (long c = 0; c < C; ++c) in["u"][c] = -in["w"][c];
  const Run par = run("rwkv4", sh, in, Form::parallel);
  const Run rec = run("rwkv4", sh, in, Form::recurrent);
  for (long c = 0; c < C; ++c) {
    INFO("channel " << c);
    Shape s1;
    s1.n = sh.n;
    s1.dims["dk"] = 1;
    s1.dims["dv"] = 1;
    Inputs_ sm{{"q", std::vector<float>(static_cast<size_t>(sh.n), 1.f)}, {"k", {}}, {"v", {}}};
    std::vector<float> want_par, want_rec;
    for (long t = 0; t < sh.n; ++t) {
      sm["k"].push_back(static_cast<float>(in["k"][t * C + c] - static_cast<double>(t) * in["w"][c]));
      sm["v"].push_back(in["v"][t * C + c]);
      want_par.push_back(par.out[t * C + c]);
      want_rec.push_back(rec.out[t * C + c]);
    }
    const Run soft = run("softmax", s1, sm, Form::recurrent, 64, {}, {{"scale", 1.0}});
    // Channel c of RWKV-4 (its sensitivity) against softmax's float64 reference: the RWKV-4 forms
    // within their own chains. The keys k_i - i w are rounded to float32 for softmax; moving w by
    // an ulp moves i w as much, so RWKV-4's sensitivity covers that rounding too.
    const Want col = column(par.want.out, c, C);
    ATTNLAB_CHECK_CLOSE(want_par, col.with(soft.ref), par.model);
    ATTNLAB_CHECK_CLOSE(want_rec, col.with(soft.ref), rec.model);
  }
}

// ---------------------------------------------------------------------------------------------
// RWKV-5 / RWKV-6

TEST_CASE("rwkv5 equals rwkv6 whose per-token w repeats rwkv5's static w", "[rwkv5][rwkv6]") {
  Shape sh;
  sh.n = 93;
  sh.dims["dk"] = 7;
  sh.dims["dv"] = 5;
  auto in5 = inputs_for("rwkv5", sh, 53);
  auto in6 = in5;
  in6["w"].clear();
  for (long t = 0; t < sh.n; ++t) in6["w"].insert(in6["w"].end(), in5["w"].begin(), in5["w"].end());
  for (Form f : {Form::recurrent, Form::parallel, Form::chunkwise}) {
    for (int chunk : {1, 16, 64}) {
      if (f != Form::chunkwise && chunk != 64) continue;
      DYNAMIC_SECTION(form_name(f) << " chunk=" << chunk) {
        const Run a = run("rwkv5", sh, in5, f, chunk, {}, {{"scale", 0.7}});
        const Run b = run("rwkv6", sh, in6, f, chunk, {}, {{"scale", 0.7}});
        REQUIRE(a.ref == b.ref);
        REQUIRE(a.ref_state == b.ref_state);
        if (f == Form::chunkwise) {
          // chunked::run builds a shared decay row's powers from one table, a per-token one row by
          // row: the same math, rounded differently (both within the model of the form).
          ATTNLAB_CHECK_CLOSE(a.out, a.want.out.with(b.out), a.model.both_rounded());
          ATTNLAB_CHECK_CLOSE(a.state, a.want.state.with(b.state), a.model.both_rounded());
        } else {
          REQUIRE(a.out == b.out);
          REQUIRE(a.state == b.state);
        }
      }
    }
  }
}

namespace {

// §6's parallel sum with the decay products multiplied out in float64 (no logs, no recurrence).
std::vector<double> rwkv6_direct(const Inputs_& in, long n, long dk, long dv, bool static_w) {
  std::vector<double> o(static_cast<size_t>(n * dv), 0.0);
  const auto &r = in.at("r"), &k = in.at("k"), &v = in.at("v"), &w = in.at("w"), &u = in.at("u");
  for (long t = 0; t < n; ++t)
    for (long j = 0; j <= t; ++j) {
      double a = 0;
      for (long i = 0; i < dk; ++i) {
        double d = j == t ? u[i] : 1.0;
        for (long s = j + 1; s < t; ++s) d *= w[(static_w ? 0 : s * dk) + i];
        a += double(r[t * dk + i]) * k[j * dk + i] * d;
      }
      for (long c = 0; c < dv; ++c) o[t * dv + c] += a * v[j * dv + c];
    }
  return o;
}

}  // namespace

TEST_CASE("rwkv5/6 references equal the papers' sums; w = u = 1 is unnormalised linear attention",
          "[rwkv5][rwkv6]") {
  Shape sh;
  sh.n = 45;
  sh.dims["dk"] = 5;
  sh.dims["dv"] = 3;
  for (const char* id : {"rwkv5", "rwkv6"}) {
    DYNAMIC_SECTION(id) {
      auto in = inputs_for(id, sh, 59);
      const Run rec = run(id, sh, in, Form::recurrent);
      // Float64 on both sides: the recurrence's chains at 2^-53 (the direct sum's are shorter).
      const Model f64 = rec.model.in_float64().both_rounded();
      ATTNLAB_CHECK_CLOSE(rec.ref, rec.want.out.with(rwkv6_direct(in, sh.n, 5, 3, std::string(id) == "rwkv5")), f64);
      // No decay and a unit bonus: o_t = sum_{j<=t} (r_t·k_j) v_j.
      std::fill(in["w"].begin(), in["w"].end(), 1.f);
      std::fill(in["u"].begin(), in["u"].end(), 1.f);
      std::vector<double> lin(static_cast<size_t>(sh.n * 3), 0.0);
      for (long t = 0; t < sh.n; ++t)
        for (long j = 0; j <= t; ++j) {
          double a = 0;
          for (long i = 0; i < 5; ++i) a += double(in["r"][t * 5 + i]) * in["k"][j * 5 + i];
          for (long c = 0; c < 3; ++c) lin[t * 3 + c] += a * in["v"][j * 3 + c];
        }
      for (Form f : {Form::recurrent, Form::parallel, Form::chunkwise}) {
        const Run x = run(id, sh, in, f, 16);
        ATTNLAB_CHECK_CLOSE(x.ref, x.want.out.with(lin), x.model.in_float64().both_rounded());
        ATTNLAB_CHECK_CLOSE(x.out, x.want.out.with(lin), x.model);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// mLSTM

namespace {

// §10 in true units, as the paper writes it: i = e^igate and the sums are taken as they are
// (safe in float64 for moderate gates).
std::vector<double> mlstm_direct(const Inputs_& in, long n, long dk, long dv) {
  std::vector<double> o(static_cast<size_t>(n * dv)), C(static_cast<size_t>(dk * dv), 0.0), nn(static_cast<size_t>(dk), 0.0);
  const double ks = 1.0 / std::sqrt(double(dk));
  for (long t = 0; t < n; ++t) {
    const double f = 1.0 / (1.0 + std::exp(-double(in.at("fgate")[t]))), i = std::exp(double(in.at("igate")[t]));
    for (long a = 0; a < dk; ++a) {
      const double kb = in.at("k")[t * dk + a] * ks;
      for (long c = 0; c < dv; ++c) C[a * dv + c] = f * C[a * dv + c] + i * kb * in.at("v")[t * dv + c];
      nn[a] = f * nn[a] + i * kb;
    }
    double qn = 0;
    for (long a = 0; a < dk; ++a) qn += in.at("q")[t * dk + a] * nn[a];
    for (long c = 0; c < dv; ++c) {
      double s = 0;
      for (long a = 0; a < dk; ++a) s += in.at("q")[t * dk + a] * C[a * dv + c];
      o[t * dv + c] = s / std::max(std::fabs(qn), 1.0);
    }
  }
  return o;
}

}  // namespace

TEST_CASE("mlstm: every form equals the paper's unstabilised sum, floor of 1 included", "[mlstm]") {
  Shape sh;
  sh.n = 150;
  sh.dims["dk"] = 6;
  sh.dims["dv"] = 5;
  auto in = inputs_for("mlstm", sh, 61);
  const auto direct = mlstm_direct(in, sh.n, 6, 5);
  // Both sides of the floor must occur, or the test would not see it.
  const Run rec = run("mlstm", sh, in, Form::recurrent);
  ATTNLAB_CHECK_CLOSE(rec.ref, rec.want.out.with(direct), rec.model.in_float64().both_rounded());
  for (Form f : {Form::recurrent, Form::parallel, Form::chunkwise}) {
    INFO(form_name(f));
    const Run x = run("mlstm", sh, in, f, 16);
    ATTNLAB_CHECK_CLOSE(x.out, x.want.out.with(direct), x.model);
  }
  // Count rows where |n·q| < 1 in true units (the floor is active) and where it is not.
  long floored = 0;
  {
    std::vector<double> nn(6, 0.0);
    for (long t = 0; t < sh.n; ++t) {
      const double f = 1.0 / (1.0 + std::exp(-double(in["fgate"][t]))), i = std::exp(double(in["igate"][t]));
      double qn = 0;
      for (long a = 0; a < 6; ++a) {
        nn[a] = f * nn[a] + i * in["k"][t * 6 + a] / std::sqrt(6.0);
        qn += in["q"][t * 6 + a] * nn[a];
      }
      floored += std::fabs(qn) < 1;
    }
  }
  CHECK(floored > 10);
  CHECK(floored < sh.n - 10);
}

TEST_CASE("mlstm: outputs do not depend on the stabiliser the state starts with", "[mlstm]") {
  Shape sh;
  sh.n = 90;
  sh.dims["dk"] = 5;
  sh.dims["dv"] = 4;
  const long dk = 5, dv = 4, S = dk * dv + dk + 1;
  auto all = inputs_for("mlstm", sh, 67);
  // A state worth carrying: the first 40 tokens.
  const long m0 = 40;
  Shape head = sh, tail = sh;
  head.n = m0;
  tail.n = sh.n - m0;
  Inputs_ a, b;
  for (const auto& kv : all) {
    const long w = static_cast<long>(kv.second.size()) / sh.n;
    a[kv.first].assign(kv.second.begin(), kv.second.begin() + m0 * w);
    b[kv.first].assign(kv.second.begin() + m0 * w, kv.second.end());
  }
  const std::vector<float> st = run("mlstm", head, a, Form::recurrent).state;
  REQUIRE(st.size() == static_cast<size_t>(S));
  // The same true (C, n) in other units: m' = m + shift, C' = C e^{-shift}, n' = n e^{-shift}.
  auto restate = [&](double shift) {
    std::vector<float> x(st);
    for (long i = 0; i < S - 1; ++i) x[i] = static_cast<float>(st[i] * std::exp(-shift));
    x[S - 1] = static_cast<float>(st[S - 1] + shift);
    return x;
  };
  auto true_state = [&](const std::vector<float>& x) {
    std::vector<double> y(x.begin(), x.end() - 1);
    for (auto& e : y) e *= std::exp(double(x.back()));
    return y;
  };
  // The sensitivity of the true state (C e^m, n e^m) of the tail run, from its reference.
  auto true_state_ref = [&](const Arrays& x) {
    Call c("mlstm");
    configure(c, find_variant("mlstm")->info, tail);
    fill(c, x);
    REQUIRE(c.run_reference().empty());
    std::vector<double> y(c.state_ref().begin(), c.state_ref().end() - 1);
    for (auto& e : y) e *= std::exp(c.state_ref().back());
    return y;
  };
  Arrays b0 = b;
  b0["initialState"] = st;
  const std::vector<double> true0 = true_state_ref(b0);
  const Want want_true(true0, sensitivity(b0, true0, true_state_ref, find_variant("mlstm")->info.inputs,
                                                  exponent_steps("mlstm", b0)),
                             dv);
  for (Form f : {Form::recurrent, Form::chunkwise}) {
    const Run base = run("mlstm", tail, b, f, 16, st);
    for (double shift : {-6.0, 3.5, 12.0}) {
      DYNAMIC_SECTION(form_name(f) << " shift " << shift) {
        const Run x = run("mlstm", tail, b, f, 16, restate(shift));
        // Two float32 runs from two roundings of one true state: the runs' errors add, and the
        // state's rounding is an input perturbation that the sensitivity already measures.
        ATTNLAB_CHECK_CLOSE(x.out, base.want.out.with(base.out), base.model.both_rounded());
        // Float64 sees only the rounding of the restated state: one rounding of each input.
        ATTNLAB_CHECK_CLOSE(x.ref, base.want.out.with(base.ref), chain(1, "rounding of the restated state"));
        ATTNLAB_CHECK_CLOSE(true_state(x.state), want_true.with(true_state(base.state)), base.model.both_rounded());
      }
    }
  }
}

TEST_CASE("mlstm: huge input gates stay finite and match the reference", "[mlstm]") {
  Shape sh;
  sh.n = 130;
  sh.dims["dk"] = 6;
  sh.dims["dv"] = 3;
  for (float big : {80.f, 500.f}) {
    auto in = inputs_for("mlstm", sh, 71);
    // e^80 is near float32's ceiling and e^500 far beyond float64's comfort: only the stabiliser
    // keeps them representable. Mix huge gates with ordinary ones so both scales meet in one row.
    for (long t = 0; t < sh.n; t += 7) in["igate"][t] = big;
    in["igate"][0] = big;
    for (Form f : {Form::recurrent, Form::parallel, Form::chunkwise}) {
      for (int chunk : {1, 16, 130}) {
        if (f != Form::chunkwise && chunk != 16) continue;
        DYNAMIC_SECTION("igate " << big << " " << form_name(f) << " chunk=" << chunk) {
          const Run x = run("mlstm", sh, in, f, chunk);
          CHECK(all_finite(x.out));
          CHECK(all_finite(x.ref));
          // A handful of e^big tokens dominate every row, and where their q·k̄ terms nearly cancel
          // in q·n (one row here reaches |o| ~ 800) float32 rounding is amplified: the sensitivity
          // of that row says by how much, so the model needs nothing special for it.
          ATTNLAB_CHECK_CLOSE(x.out, x.want.out, x.model);
          if (f != Form::parallel) {
            CHECK(all_finite(x.state));
            ATTNLAB_CHECK_CLOSE(x.state, x.want.state, x.model);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Long runs

TEST_CASE("100k-token runs stay finite and match the float64 reference", "[rwkv4][rwkv5][rwkv6][mlstm][long]") {
  Shape sh;
  sh.n = 100000;
  sh.dims = {{"dk", 4}, {"dv", 3}, {"C", 4}};
  for (const char* id : {"rwkv4", "rwkv5", "rwkv6", "mlstm"}) {
    const auto in = inputs_for(id, sh, 97);
    for (Form f : {Form::recurrent, Form::chunkwise}) {
      const auto& forms = find_variant(id)->info.forms;
      if (std::find(forms.begin(), forms.end(), f) == forms.end()) continue;
      DYNAMIC_SECTION(id << " " << form_name(f)) {
        const Run x = run(id, sh, in, f, 64);
        CHECK(all_finite(x.out));
        CHECK(all_finite(x.state));
        ATTNLAB_CHECK_CLOSE(x.out, x.want.out, x.model);
        ATTNLAB_CHECK_CLOSE(x.state, x.want.state, x.model);
      }
    }
  }
}

// Not a check: prints the worst relative RMS per variant and form over test_forms.cpp's grid and
// the 100k runs, for reports. Run with: attnlab_tests "[.rwkv_mlstm_report]"
TEST_CASE("rwkv/mlstm error report", "[.rwkv_mlstm_report]") {
  for (const char* id : {"rwkv4", "rwkv5", "rwkv6", "mlstm"}) {
    const VariantInfo& info = find_variant(id)->info;
    for (Form f : info.forms) {
      double worst = 0, worst_state = 0;
      for (long n : {1L, 2L, 63L, 64L, 65L, 200L}) {
        Shape sh;
        sh.n = n;
        if (n == 65) sh.dims = {{"dk", 4}, {"dv", 4}, {"C", 4}};
        if (n == 200) sh.dims = {{"dk", 16}, {"dv", 12}, {"C", 16}};
        const auto in = make_inputs(info, sh, 1000 + n);
        std::vector<int> chunks = {64};
        if (f == Form::chunkwise) chunks = {1, 3, 16, 64, static_cast<int>(n)};
        for (int chunk : chunks) {
          const Run x = run(id, sh, in, f, chunk);
          worst = std::max(worst, compare(x.out, x.ref).rel_rms);
          if (f != Form::parallel) worst_state = std::max(worst_state, compare(x.state, x.ref_state).rel_rms);
        }
      }
      std::printf("%-6s %-10s forms grid: max rel RMS output %.3g, state %.3g\n", id, form_name(f), worst,
                  worst_state);
      if (f == Form::parallel) continue;
      Shape sh;
      sh.n = 100000;
      sh.dims = {{"dk", 4}, {"dv", 3}, {"C", 4}};
      const Run x = run(id, sh, make_inputs(info, sh, 97), f, 64);
      std::printf("%-6s %-10s n=100000: rel RMS output %.3g, state %.3g\n", id, form_name(f),
                  compare(x.out, x.ref).rel_rms, compare(x.state, x.ref_state).rel_rms);
    }
  }
}
