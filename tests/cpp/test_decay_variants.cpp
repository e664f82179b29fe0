// RetNet, GLA, Mamba-2 and Mamba beyond the generic form checks: the exact reductions of
// docs/variants.md §13.5 between them (each holds in exact arithmetic, so every form of one equals the
// same form of the other up to float rounding), and 100k-token recurrent runs against float64, all
// within the error model of support.hpp.
#include "support.hpp"

#include <algorithm>
#include <cmath>

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

Run run(const std::string& id, const Shape& sh, const Inputs_& in, Form form, int chunk,
        const std::map<std::string, double>& opts = {}) {
  const Entry* e = find_variant(id);
  REQUIRE(e != nullptr);
  Call c(id);
  configure(c, e->info, sh);
  c.set_string("form", form_name(form));
  c.set_number("chunk", chunk);
  for (const auto& kv : opts) c.set_number(kv.first, kv.second);
  fill(c, in);
  const Status st = c.run();
  INFO(st);
  REQUIRE(st.empty());
  Run r{c.output(), c.state(), {}, {}, reference_of(c, id, in), call_model(e->info, sh, form, chunk, &in)};
  r.ref = c.output_ref();
  r.ref_state = c.state_ref();
  return r;
}

template <class T>
bool all_finite(const std::vector<T>& x) {
  return std::all_of(x.begin(), x.end(), [](T v) { return std::isfinite(v); });
}

struct FormChunk {
  Form form;
  int chunk;
};
const FormChunk kForms[] = {{Form::parallel, 64},  {Form::recurrent, 64}, {Form::chunkwise, 1},
                            {Form::chunkwise, 3},  {Form::chunkwise, 16}, {Form::chunkwise, 64}};

// Two variants that are the same model compute the same thing, but not with the same float ops
// (a scalar decay goes through gemms, a per-key one element by element; γ vs e^{log γ}): each form
// is within its error model of the exact result, so the two differ by at most both errors together.
// Their float64 references differ by the float32 rounding of GLA's derived inputs (g = log γ,
// v = delta x, g = delta A): one rounding of each input, which GLA's sensitivity measures (its g
// and v are inputs, perturbed by an ulp), hence the scale is always GLA's (b).
Model same(const Run& b) { return b.model.both_rounded(); }
Model same_ref() { return chain(1, "float32 rounding of GLA's derived inputs"); }

}  // namespace

TEST_CASE("RetNet equals GLA with g = log gamma in every form", "[decay][reduction]") {
  Shape sh;
  sh.n = 70;
  sh.dims = {{"dk", 7}, {"dv", 5}};
  const Inputs_ in = make_inputs(find_variant("retnet")->info, sh, 31);
  for (double gamma : {0.96875, 0.5, 1.0}) {
    Inputs_ gla = in;
    gla["g"].assign(static_cast<size_t>(sh.n * 7), static_cast<float>(std::log(gamma)));
    for (const FormChunk& fc : kForms) {
      DYNAMIC_SECTION("gamma=" << gamma << " " << form_name(fc.form) << " chunk=" << fc.chunk) {
        const Run a = run("retnet", sh, in, fc.form, fc.chunk, {{"gamma", gamma}, {"scale", 0.75}});
        const Run b = run("gla", sh, gla, fc.form, fc.chunk, {{"scale", 0.75}});
        ATTNLAB_CHECK_CLOSE(a.out, b.want.out.with(b.out), same(b));
        ATTNLAB_CHECK_CLOSE(a.ref, b.want.out.with(b.ref), same_ref());
        if (fc.form != Form::parallel) {
          ATTNLAB_CHECK_CLOSE(a.state, b.want.state.with(b.state), same(b));
          ATTNLAB_CHECK_CLOSE(a.ref_state, b.want.state.with(b.ref_state), same_ref());
        }
      }
    }
  }
}

TEST_CASE("Mamba-2 equals GLA with q = C, k = B, v = delta x, g = delta A", "[decay][reduction]") {
  Shape sh;
  sh.n = 70;
  sh.dims = {{"N", 6}, {"P", 5}};
  const int N = 6, P = 5;
  const Inputs_ in = make_inputs(find_variant("mamba2")->info, sh, 32);
  const double A = -0.7;
  Inputs_ gla;
  gla["q"] = in.at("C");
  gla["k"] = in.at("B");
  for (long t = 0; t < sh.n; ++t) {
    const float d = in.at("delta")[static_cast<size_t>(t)];
    for (int j = 0; j < P; ++j) gla["v"].push_back(d * in.at("x")[static_cast<size_t>(t * P + j)]);
    for (int i = 0; i < N; ++i) gla["g"].push_back(d * static_cast<float>(A));
  }
  Shape gsh;
  gsh.n = sh.n;
  gsh.dims = {{"dk", N}, {"dv", P}};
  for (const FormChunk& fc : kForms) {
    DYNAMIC_SECTION(form_name(fc.form) << " chunk=" << fc.chunk) {
      const Run a = run("mamba2", sh, in, fc.form, fc.chunk, {{"A", A}});
      const Run b = run("gla", gsh, gla, fc.form, fc.chunk);
      ATTNLAB_CHECK_CLOSE(a.out, b.want.out.with(b.out), same(b));
      ATTNLAB_CHECK_CLOSE(a.ref, b.want.out.with(b.ref), same_ref());
      if (fc.form != Form::parallel) {
        ATTNLAB_CHECK_CLOSE(a.state, b.want.state.with(b.state), same(b));
        ATTNLAB_CHECK_CLOSE(a.ref_state, b.want.state.with(b.ref_state), same_ref());
      }
    }
  }
}

TEST_CASE("each Mamba channel equals per-key GLA with dk = N, dv = 1", "[decay][reduction]") {
  for (int D : {1, 3}) {
    Shape sh;
    sh.n = 70;
    sh.dims = {{"D", D}, {"N", 5}};
    const int N = 5;
    Inputs_ in = make_inputs(find_variant("mamba")->info, sh, 33 + D);
    in["Dskip"].assign(static_cast<size_t>(D), 0.f);
    Shape gsh;
    gsh.n = sh.n;
    gsh.dims = {{"dk", N}, {"dv", 1}};
    for (const FormChunk& fc : kForms) {
      DYNAMIC_SECTION("D=" << D << " " << form_name(fc.form) << " chunk=" << fc.chunk) {
        const Run a = run("mamba", sh, in, fc.form, fc.chunk);
        for (int d = 0; d < D; ++d) {
          Inputs_ gla;
          gla["q"] = in.at("C");
          gla["k"] = in.at("B");
          for (long t = 0; t < sh.n; ++t) {
            const float dt = in.at("delta")[static_cast<size_t>(t * D + d)];
            gla["v"].push_back(dt * in.at("u")[static_cast<size_t>(t * D + d)]);
            for (int i = 0; i < N; ++i) gla["g"].push_back(dt * in.at("A")[static_cast<size_t>(d * N + i)]);
          }
          const Run b = run("gla", gsh, gla, fc.form, fc.chunk);
          std::vector<float> col;
          std::vector<double> col_ref;
          for (long t = 0; t < sh.n; ++t) {
            col.push_back(a.out[static_cast<size_t>(t * D + d)]);
            col_ref.push_back(a.ref[static_cast<size_t>(t * D + d)]);
          }
          INFO("channel " << d);
          // Channel d's column of Mamba's output, and row d of its state.
          ATTNLAB_CHECK_CLOSE(col, b.want.out.with(b.out), same(b));
          ATTNLAB_CHECK_CLOSE(col_ref, b.want.out.with(b.ref), same_ref());
          if (fc.form != Form::parallel) {
            const std::vector<float> row(a.state.begin() + d * N, a.state.begin() + (d + 1) * N);
            const std::vector<double> row_ref(a.ref_state.begin() + d * N, a.ref_state.begin() + (d + 1) * N);
            ATTNLAB_CHECK_CLOSE(row, b.want.state.with(b.state), same(b));
            ATTNLAB_CHECK_CLOSE(row_ref, b.want.state.with(b.ref_state), same_ref());
          }
        }
      }
    }
  }
}

TEST_CASE("100k-token recurrent runs stay finite and match float64", "[decay][long]") {
  for (const char* id : {"retnet", "gla", "mamba2", "mamba"}) {
    DYNAMIC_SECTION(id) {
      Shape sh;
      sh.n = 100000;
      sh.dims = {{"dk", 4}, {"dv", 3}, {"D", 3}, {"N", 4}, {"P", 3}};
      const Inputs_ in = make_inputs(find_variant(id)->info, sh, 77);
      const Run r = run(id, sh, in, Form::recurrent, 64);
      REQUIRE(all_finite(r.out));
      REQUIRE(all_finite(r.state));
      ATTNLAB_CHECK_CLOSE(r.out, r.want.out, r.model);
      ATTNLAB_CHECK_CLOSE(r.state, r.want.state, r.model);
    }
  }
}

TEST_CASE("options reach every form: Mamba-2 A and Dskip, RetNet gamma and scale, GLA scale", "[decay]") {
  struct Case {
    const char* id;
    std::map<std::string, double> opts;
  };
  const Case cases[] = {{"mamba2", {{"A", -2.5}, {"Dskip", 0.5}}},
                        {"retnet", {{"gamma", 0.75}, {"scale", 0.25}}},
                        {"gla", {{"scale", 0.125}}}};
  for (const Case& c : cases) {
    Shape sh;
    sh.n = 45;
    const Inputs_ in = make_inputs(find_variant(c.id)->info, sh, 41);
    for (const FormChunk& fc : kForms) {
      DYNAMIC_SECTION(c.id << " " << form_name(fc.form) << " chunk=" << fc.chunk) {
        const Run r = run(c.id, sh, in, fc.form, fc.chunk, c.opts);
        ATTNLAB_CHECK_CLOSE(r.out, r.want.out, r.model);
        if (fc.form != Form::parallel) ATTNLAB_CHECK_CLOSE(r.state, r.want.state, r.model);
      }
    }
    // The option changes the output (it is not silently ignored).
    const Run plain = run(c.id, sh, in, Form::recurrent, 64);
    const Run with = run(c.id, sh, in, Form::recurrent, 64, c.opts);
    CHECK(compare(with.out, plain.out).rel_rms > 1e-2);
  }
}

TEST_CASE("out-of-domain decays and step sizes are rejected with the argument named", "[decay]") {
  struct Case {
    const char* id;
    const char* what;  // option or input name
    double value;
    bool option;
  };
  const Case cases[] = {{"retnet", "gamma", 0.0, true},  {"retnet", "gamma", 1.5, true}, {"mamba2", "A", 0.0, true},
                        {"mamba2", "A", 0.5, true},      {"gla", "g", 0.25, false},      {"mamba2", "delta", 0.0, false},
                        {"mamba", "delta", -1.0, false}, {"mamba", "A", 0.0, false}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.id << " " << c.what << "=" << c.value) {
      const VariantInfo& info = find_variant(c.id)->info;
      Shape sh;
      sh.n = 5;
      Inputs_ in = make_inputs(info, sh, 3);
      Call call(c.id);
      configure(call, info, sh);
      if (c.option) call.set_number(c.what, c.value);
      else in.at(c.what)[1] = static_cast<float>(c.value);
      fill(call, in);
      const Status st = call.run();
      INFO(st);
      CHECK(st.rfind("RangeError|", 0) == 0);
      CHECK(st.find(c.what) != std::string::npos);
    }
  }
}
