// The delta-rule family (deltanet, gated_deltanet, rwkv7; docs/variants.md §7, §8, §13.5, §15.5): the
// reductions that must hold exactly, the defining property of the delta rule, long recurrent runs
// at the edges of the stable range of beta, and the references against the papers' own layout; every
// comparison within the error model of support.hpp.
#include "support.hpp"

#include <algorithm>
#include <cmath>

using namespace attnlab;
using namespace attnlab_test;

namespace {

using Samples = std::map<std::string, std::string>;
using Arrays = std::map<std::string, std::vector<float>>;

// Inputs drawn from the variant's sample hints, with some hints replaced.
Arrays inputs_with(const std::string& id, const Shape& sh, std::uint64_t seed, const Samples& over) {
  VariantInfo info = find_variant(id)->info;
  for (auto& spec : info.inputs) {
    auto it = over.find(spec.name);
    if (it != over.end()) spec.sample = it->second;
  }
  return make_inputs(info, sh, seed);
}

struct Run {
  std::vector<float> out, state;
  Reference want;  // the float64 reference with its sensitivity (support.hpp)
  Model model;     // the error model of this form
};

Run run(const std::string& id, const Shape& sh, const Arrays& in, Form f, int chunk,
        const std::vector<float>* initial = nullptr) {
  const VariantInfo& info = find_variant(id)->info;
  Arrays all = in;
  if (initial) all["initialState"] = *initial;
  Call c(id);
  configure(c, info, sh);
  c.set_string("form", form_name(f));
  c.set_number("chunk", chunk);
  fill(c, all);
  const Status st = c.run();
  INFO(st);
  REQUIRE(st.empty());
  return {c.output(), c.state(), reference_of(c, id, all), call_model(info, sh, f, chunk, &in)};
}

// Every (form, chunk) pair worth trying: chunk sizes that do and do not divide n, and one chunk of n.
std::vector<std::pair<Form, int>> all_forms(const std::string& id, long n) {
  std::vector<std::pair<Form, int>> v;
  for (Form f : find_variant(id)->info.forms) {
    if (f == Form::chunkwise)
      for (int c : {1, 3, 16, 64, static_cast<int>(n)}) v.push_back({f, c});
    else
      v.push_back({f, 64});
  }
  return v;
}

std::vector<float> random_state(long len, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<float> s(static_cast<size_t>(len));
  for (auto& x : s) x = static_cast<float>(nd(rng));
  return s;
}

// o_t = S_tᵀ q_t in float64 for a K x V state.
void read_d(const std::vector<double>& S, const float* q, int dk, int dv, double* o) {
  for (int c = 0; c < dv; ++c) {
    double acc = 0;
    for (int i = 0; i < dk; ++i) acc += S[i * dv + c] * q[i];
    o[c] = acc;
  }
}

bool all_finite(const std::vector<float>& x) {
  for (float v : x)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

TEST_CASE("DeltaNet with beta = 0 leaves the state unchanged, exactly, in every form", "[delta]") {
  Shape sh;
  sh.n = 70;
  sh.dims = {{"dk", 6}, {"dv", 5}};
  const int dk = 6, dv = 5;
  auto in = inputs_with("deltanet", sh, 3, {});
  std::fill(in["beta"].begin(), in["beta"].end(), 0.f);
  const auto S0 = random_state(dk * dv, 4);
  // What every token reads from the untouched state: S_0ᵀ q_t.
  std::vector<double> want(static_cast<size_t>(sh.n * dv));
  const std::vector<double> S0d(S0.begin(), S0.end());
  for (long t = 0; t < sh.n; ++t) read_d(S0d, in["q"].data() + t * dk, dk, dv, want.data() + t * dv);
  for (auto fc : all_forms("deltanet", sh.n)) {
    DYNAMIC_SECTION(form_name(fc.first) << " chunk=" << fc.second) {
      if (fc.first == Form::parallel) {
        // No state to start from: nothing is ever written, so every output is exactly zero.
        Run r = run("deltanet", sh, in, fc.first, fc.second);
        for (float x : r.out) REQUIRE(x == 0.f);
      } else {
        Run r = run("deltanet", sh, in, fc.first, fc.second, &S0);
        REQUIRE(r.state == S0);
        ATTNLAB_CHECK_CLOSE(r.out, r.want.out.with(want), r.model);
      }
    }
  }
}

TEST_CASE("gated DeltaNet with beta = 0 is pure decay", "[delta]") {
  Shape sh;
  sh.n = 70;
  sh.dims = {{"dk", 6}, {"dv", 5}};
  const int dk = 6, dv = 5;
  auto in = inputs_with("gated_deltanet", sh, 5, {{"g", "uniform -0.2 0"}});
  std::fill(in["beta"].begin(), in["beta"].end(), 0.f);
  const auto S0 = random_state(dk * dv, 6);
  // S_t = e^{g_1 + ... + g_t} S_0, read after the decay.
  std::vector<double> want(static_cast<size_t>(sh.n * dv)), S(S0.begin(), S0.end());
  for (long t = 0; t < sh.n; ++t) {
    const double a = std::exp(static_cast<double>(in["g"][t]));
    for (auto& x : S) x *= a;
    read_d(S, in["q"].data() + t * dk, dk, dv, want.data() + t * dv);
  }
  for (auto fc : all_forms("gated_deltanet", sh.n)) {
    DYNAMIC_SECTION(form_name(fc.first) << " chunk=" << fc.second) {
      if (fc.first == Form::parallel) {
        Run r = run("gated_deltanet", sh, in, fc.first, fc.second);
        for (float x : r.out) REQUIRE(x == 0.f);
      } else {
        Run r = run("gated_deltanet", sh, in, fc.first, fc.second, &S0);
        ATTNLAB_CHECK_CLOSE(r.state, r.want.state.with(S), r.model);
        ATTNLAB_CHECK_CLOSE(r.out, r.want.out.with(want), r.model);
      }
    }
  }
}

TEST_CASE("RWKV-7 with a = 0 is a per-key decayed linear attention read after the update", "[delta][rwkv7]") {
  Shape sh;
  sh.n = 90;
  sh.dims = {{"dk", 20}, {"dv", 7}};  // dk > 16: the between-sub-block path of the chunk machinery
  const int dk = 20, dv = 7;
  auto in = inputs_with("rwkv7", sh, 8, {});
  std::fill(in["a"].begin(), in["a"].end(), 0.f);
  const auto S0 = random_state(dk * dv, 9);
  // S_t = diag(w_t) S_{t-1} + k_t v_tᵀ;  o_t = S_tᵀ r_t: kappa plays no part any more.
  std::vector<double> want(static_cast<size_t>(sh.n * dv)), S(S0.begin(), S0.end());
  for (long t = 0; t < sh.n; ++t) {
    const float *w = in["w"].data() + t * dk, *k = in["k"].data() + t * dk, *v = in["v"].data() + t * dv;
    for (int i = 0; i < dk; ++i)
      for (int c = 0; c < dv; ++c) S[i * dv + c] = w[i] * S[i * dv + c] + static_cast<double>(k[i]) * v[c];
    read_d(S, in["r"].data() + t * dk, dk, dv, want.data() + t * dv);
  }
  std::vector<double> want_parallel(static_cast<size_t>(sh.n * dv)), Sz(static_cast<size_t>(dk * dv), 0.0);
  for (long t = 0; t < sh.n; ++t) {
    const float *w = in["w"].data() + t * dk, *k = in["k"].data() + t * dk, *v = in["v"].data() + t * dv;
    for (int i = 0; i < dk; ++i)
      for (int c = 0; c < dv; ++c) Sz[i * dv + c] = w[i] * Sz[i * dv + c] + static_cast<double>(k[i]) * v[c];
    read_d(Sz, in["r"].data() + t * dk, dk, dv, want_parallel.data() + t * dv);
  }
  for (auto fc : all_forms("rwkv7", sh.n)) {
    DYNAMIC_SECTION(form_name(fc.first) << " chunk=" << fc.second) {
      if (fc.first == Form::parallel) {
        Run r = run("rwkv7", sh, in, fc.first, fc.second);
        ATTNLAB_CHECK_CLOSE(r.out, r.want.out.with(want_parallel), r.model);
      } else {
        Run r = run("rwkv7", sh, in, fc.first, fc.second, &S0);
        ATTNLAB_CHECK_CLOSE(r.state, r.want.state.with(S), r.model);
        ATTNLAB_CHECK_CLOSE(r.out, r.want.out.with(want), r.model);
      }
    }
  }
}

TEST_CASE("the delta rule with beta = 1 and unit keys returns the most recent value", "[delta]") {
  // S_tᵀ k_t = S'ᵀk_t + (v_t - S'ᵀk_t) ||k_t||² = v_t: reading with q_t = k_t gives v_t back, whatever
  // was stored before and whatever the decay.
  for (const std::string id : {"deltanet", "gated_deltanet"}) {
    Shape sh;
    sh.n = 150;
    sh.dims = {{"dk", 12}, {"dv", 9}};
    auto in = inputs_with(id, sh, 12, {});
    std::fill(in["beta"].begin(), in["beta"].end(), 1.f);
    in["q"] = in["k"];
    for (auto fc : all_forms(id, sh.n)) {
      DYNAMIC_SECTION(id << " " << form_name(fc.first) << " chunk=" << fc.second) {
        Run r = run(id, sh, in, fc.first, fc.second);
        // S_tᵀ k_t = v_t exactly; the float32 forms within their error model of it.
        ATTNLAB_CHECK_CLOSE(r.out, r.want.out.with(in["v"]), r.model);
      }
    }
  }
}

TEST_CASE("100k-token recurrent runs at beta near 0 and near 2 stay finite and accurate", "[delta][long]") {
  // beta ||k||² near 2 makes I - beta k kᵀ a near reflection along k: the edge of the stable range
  // (§15.5). Small dims so the float64 reference stays quick.
  struct Case {
    std::string id, beta;
  };
  for (const Case& c : {Case{"deltanet", "uniform 0.001 0.02"}, Case{"deltanet", "uniform 1.98 2"},
                        Case{"gated_deltanet", "uniform 0.001 0.02"}, Case{"gated_deltanet", "uniform 1.98 2"}}) {
    DYNAMIC_SECTION(c.id << " beta " << c.beta) {
      Shape sh;
      sh.n = 100000;
      sh.dims = {{"dk", 4}, {"dv", 3}};
      auto in = inputs_with(c.id, sh, 21, {{"beta", c.beta}, {"g", "uniform -0.01 0"}});
      Run r = run(c.id, sh, in, Form::recurrent, 64);
      REQUIRE(all_finite(r.out));
      REQUIRE(all_finite(r.state));
      ATTNLAB_CHECK_CLOSE(r.out, r.want.out, r.model);
      ATTNLAB_CHECK_CLOSE(r.state, r.want.state, r.model);
    }
  }
}

TEST_CASE("the references agree with the papers' value-by-key forms", "[delta]") {
  // The papers (and RWKV-LM's v7 code) keep the state transposed, V x K, and read o = S q:
  //   DeltaNet        S_t = S_{t-1} - beta_t (S_{t-1} k_t - v_t) k_tᵀ
  //   gated DeltaNet  S_t = S_{t-1} alpha_t (I - beta_t k_t k_tᵀ) + beta_t v_t k_tᵀ
  //   RWKV-7          S_t = S_{t-1} diag(w_t) - (S_{t-1} kappa_t)(kappa_t ⊙ a_t)ᵀ + v_t k_tᵀ
  // Written here in that layout, independently of the K x V references under test.
  for (const std::string id : {"deltanet", "gated_deltanet", "rwkv7"}) {
    DYNAMIC_SECTION(id) {
      Shape sh;
      sh.n = 40;
      sh.dims = {{"dk", 5}, {"dv", 4}};
      const int dk = 5, dv = 4;
      auto in = inputs_with(id, sh, 31, {});
      const bool rwkv = id == "rwkv7";
      const std::vector<float>& q = in[rwkv ? "r" : "q"];
      std::vector<double> S(static_cast<size_t>(dv * dk), 0.0), want(static_cast<size_t>(sh.n * dv));
      std::vector<double> Sk(static_cast<size_t>(dv)), next(S.size());
      for (long t = 0; t < sh.n; ++t) {
        const float* k = in["k"].data() + t * dk;
        const float* v = in["v"].data() + t * dv;
        const float* rk = rwkv ? in["kappa"].data() + t * dk : k;  // the key the correction reads with
        for (int i = 0; i < dv; ++i) {
          Sk[i] = 0;
          for (int j = 0; j < dk; ++j) Sk[i] += S[i * dk + j] * rk[j];
        }
        for (int i = 0; i < dv; ++i)
          for (int j = 0; j < dk; ++j) {
            const double s = S[i * dk + j];
            double x;
            if (rwkv) {
              const float* w = in["w"].data() + t * dk;
              const float* a = in["a"].data() + t * dk;
              x = s * w[j] - Sk[i] * rk[j] * a[j] + double(v[i]) * k[j];
            } else {
              const double beta = in["beta"][t];
              const double alpha = id == "gated_deltanet" ? std::exp(double(in["g"][t])) : 1.0;
              x = alpha * (s - beta * Sk[i] * k[j]) + beta * v[i] * k[j];
            }
            next[i * dk + j] = x;
          }
        S = next;
        for (int i = 0; i < dv; ++i) {
          double o = 0;
          for (int j = 0; j < dk; ++j) o += S[i * dk + j] * q[t * dk + j];
          want[t * dv + i] = o;
        }
      }
      const Reference ref = reference(find_variant(id)->info, sh, in);
      // Two float64 evaluations of the same recurrence in other layouts: the recurrence's chains,
      // rounded to 2^-53 on both sides.
      const Model model = call_model(find_variant(id)->info, sh, Form::recurrent, 0).in_float64().both_rounded();
      ATTNLAB_CHECK_CLOSE(ref.output_ref().values, ref.output_ref().with(want), model);
      std::vector<double> St(S.size());  // transpose to K x V
      for (int i = 0; i < dv; ++i)
        for (int j = 0; j < dk; ++j) St[j * dv + i] = S[i * dk + j];
      ATTNLAB_CHECK_CLOSE(ref.state_ref().values, ref.state_ref().with(St), model);
    }
  }
}

TEST_CASE("scale multiplies the query (receptance) in every form", "[delta]") {
  for (const std::string id : {"deltanet", "gated_deltanet", "rwkv7"}) {
    Shape sh;
    sh.n = 33;
    sh.dims = {{"dk", 7}, {"dv", 5}};
    auto in = inputs_with(id, sh, 41, {});
    const VariantInfo& info = find_variant(id)->info;
    const std::string qn = id == "rwkv7" ? "r" : "q";
    auto in2 = in;
    for (auto& x : in2[qn]) x *= 0.25f;
    const Reference ref = reference(info, sh, in2);
    for (auto fc : all_forms(id, sh.n)) {
      DYNAMIC_SECTION(id << " " << form_name(fc.first) << " chunk=" << fc.second) {
        Call c(id);
        configure(c, info, sh);
        c.set_string("form", form_name(fc.first));
        c.set_number("chunk", fc.second);
        c.set_number("scale", 0.25);
        fill(c, in);
        REQUIRE(c.run() == "");
        ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref(), call_model(info, sh, fc.first, fc.second, &in2));
      }
    }
  }
}
