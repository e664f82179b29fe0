// Every variant, every form it lists, against its float64 reference (docs/variants.md §13): lengths
// around a chunk boundary, a dimension that is not a multiple of 4, chunk sizes that do and do not
// divide n. Also: stepping reproduces the recurrent run bit for bit, and carrying the state across
// a split equals one run.
#include "support.hpp"

#include <cstdio>
#include <cstdlib>

using namespace attnlab;
using namespace attnlab_test;

namespace {

// Catch runs a test body once per section, so the loops around the sections run again each time:
// the references (each four float64 runs, support.hpp) of the test below are kept per variant and
// length (its inputs depend on nothing else) rather than recomputed for every section.
const Reference& kept_reference(const VariantInfo& info, const Shape& sh, const Arrays& in) {
  static std::map<std::pair<std::string, long>, Reference> kept;
  const auto key = std::make_pair(info.id, sh.n);
  auto it = kept.find(key);
  if (it == kept.end()) it = kept.emplace(key, reference(info, sh, in)).first;
  return it->second;
}

}  // namespace

TEST_CASE("every form of every variant matches the float64 reference", "[forms]") {
  for (const Entry& e : registry()) {
    const VariantInfo& info = e.info;
    for (long n : {1L, 2L, 63L, 64L, 65L, 200L}) {
      Shape sh;
      sh.n = n;
      if (n == 65) sh.dims = {{"dk", 4}, {"dv", 4}, {"C", 4}, {"D", 4}, {"N", 4}, {"P", 4}};
      if (n == 200) sh.dims = {{"dk", 16}, {"dv", 12}, {"C", 16}, {"D", 16}, {"N", 16}, {"P", 12}};
      auto in = make_inputs(info, sh, 1000 + n);
      const Reference& ref = kept_reference(info, sh, in);
      for (Form f : info.forms) {
        std::vector<int> chunks = {64};
        if (f == Form::chunkwise) chunks = {1, 3, 16, 64, static_cast<int>(n)};
        for (int chunk : chunks) {
          DYNAMIC_SECTION(info.id << " " << form_name(f) << " n=" << n << " chunk=" << chunk) {
            Call c(info.id);
            configure(c, info, sh);
            c.set_string("form", form_name(f));
            c.set_number("chunk", chunk);
            fill(c, in);
            REQUIRE(c.run() == "");
            // float32 against float64 within the error model of this call (support.hpp): its
            // chain of roundings, the triangular solve of the delta-rule chunk forms included.
            auto tolerance = [&](const std::string& id, Form form) { return call_model(id, n, sh.dims, form, chunk, &in); };
            ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref(), tolerance(info.id, f));
            ATTNLAB_CHECK_CLOSE(c.state(), ref.state_ref(), tolerance(info.id, f));
          }
        }
      }
    }
  }
}

TEST_CASE("stepping token by token reproduces the recurrent run exactly", "[forms][step]") {
  for (const Entry& e : registry()) {
    const VariantInfo& info = e.info;
    Shape sh;
    sh.n = 37;
    auto in = make_inputs(info, sh, 7);
    Call c(info.id);
    configure(c, info, sh);
    fill(c, in);
    REQUIRE(c.run() == "");
    Stepper s(info.id);
    for (const auto& name : info.sizes) s.set_number(name, static_cast<double>(sh.dims.at(name)));
    for (const auto& spec : info.inputs)
      if (!spec.per_token) {
        const auto& x = in.at(spec.name);
        std::copy(x.begin(), x.end(), s.channel_input(spec.name, static_cast<long>(x.size())));
      }
    REQUIRE(s.init() == "");
    const long w = c.out_width();
    DYNAMIC_SECTION(info.id) {
      for (long t = 0; t < sh.n; ++t) {
        for (const auto& spec : info.inputs) {
          if (!spec.per_token) continue;
          const auto& x = in.at(spec.name);
          const long width = static_cast<long>(x.size()) / sh.n;
          std::copy(x.begin() + t * width, x.begin() + (t + 1) * width, s.token_input(spec.name));
        }
        REQUIRE(s.step() == "");
        for (long j = 0; j < w; ++j) REQUIRE(s.output()[j] == c.output()[t * w + j]);
      }
      REQUIRE(s.t() == sh.n);
      REQUIRE(s.state() == c.state());
    }
  }
}

TEST_CASE("carrying the state across a split equals one run", "[forms][carry]") {
  for (const Entry& e : registry()) {
    const VariantInfo& info = e.info;
    if (info.state_dims.empty() || info.state_dims[0] == "t" || info.id == "sliding_window") continue;  // growing caches
    Shape sh;
    sh.n = 50;
    auto in = make_inputs(info, sh, 11);
    for (Form f : info.forms) {
      if (f == Form::parallel) continue;
      DYNAMIC_SECTION(info.id << " " << form_name(f)) {
        Call whole(info.id);
        configure(whole, info, sh);
        whole.set_string("form", form_name(f));
        whole.set_number("chunk", 8);
        fill(whole, in);
        REQUIRE(whole.run() == "");
        const Reference ref = reference(info, sh, in);
        const long m = 21;
        std::vector<float> out;
        std::vector<float> state;
        for (int part = 0; part < 2; ++part) {
          const long t0 = part ? m : 0, t1 = part ? sh.n : m;
          Shape sub = sh;
          sub.n = t1 - t0;
          Call c(info.id);
          configure(c, info, sub);
          c.set_string("form", form_name(f));
          c.set_number("chunk", 8);
          for (const auto& spec : info.inputs) {
            const auto& x = in.at(spec.name);
            if (!spec.per_token) {
              std::copy(x.begin(), x.end(), c.input(spec.name, static_cast<long>(x.size())));
              continue;
            }
            const long width = static_cast<long>(x.size()) / sh.n;
            std::copy(x.begin() + t0 * width, x.begin() + t1 * width, c.input(spec.name, (t1 - t0) * width));
          }
          if (part) std::copy(state.begin(), state.end(), c.input("initialState", static_cast<long>(state.size())));
          REQUIRE(c.run() == "");
          out.insert(out.end(), c.output().begin(), c.output().end());
          state = c.state();
        }
        // Two float32 runs of the same sums, cut at different places: each within the model of
        // its form, so their difference within twice that.
        const Model model = call_model(info, sh, f, 8, &in).both_rounded();
        ATTNLAB_CHECK_CLOSE(out, ref.output_ref().with(whole.output()), model);
        ATTNLAB_CHECK_CLOSE(state, ref.state_ref().with(whole.state()), model);
      }
    }
  }
}

// Wide heads: dk = 64 with dv = 16, 19 and 64 (rwkv4's C, mamba's D and mamba2's P follow dv; N
// follows dk), so the widest SIMD blocks, and a remainder that is not a multiple of 4, meet the
// float64 reference; the cases above keep dv <= 12. n = 130 crosses two chunk boundaries of 64 and
// leaves a partial chunk. One pass without sections (Catch would rerun the loops, references
// included, once per section); INFO names the case of a failing check.
// ATTNLAB_FORMS_REPORT=1 prints the largest |diff| and relative RMS per variant and form, and how
// much of the model's bounds they use.
TEST_CASE("wide heads (dk = 64, dv = 16, 19, 64): every form matches the float64 reference", "[forms][wide]") {
  struct Worst {
    double max_abs = 0, rel_rms = 0, of_max = 0, of_rms = 0;
  };
  std::map<std::string, Worst> worst;
  for (const Entry& e : registry()) {
    const VariantInfo& info = e.info;
    for (long dv : {16L, 19L, 64L}) {
      Shape sh;
      sh.n = 130;
      sh.dims = {{"dk", 64}, {"dv", dv}, {"C", dv}, {"D", dv}, {"N", 64}, {"P", dv}};
      const Arrays in = make_inputs(info, sh, 6400 + dv);
      const Reference ref = reference(info, sh, in);
      for (Form f : info.forms) {
        std::vector<int> chunks = {64};
        if (f == Form::chunkwise) chunks = {1, 16, 64, static_cast<int>(sh.n)};
        for (int chunk : chunks) {
          INFO(info.id << " " << form_name(f) << " n=" << sh.n << " dk=64 dv=" << dv << " chunk=" << chunk);
          Call c(info.id);
          configure(c, info, sh);
          c.set_string("form", form_name(f));
          c.set_number("chunk", chunk);
          fill(c, in);
          REQUIRE(c.run() == "");
          const Model model = call_model(info, sh, f, chunk, &in);
          ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref(), model);
          auto note = [&](const char* what, const Verdict& v) {
            Worst& w = worst[info.id + " " + form_name(f) + " " + what];
            w.max_abs = std::max(w.max_abs, v.max_abs);
            w.rel_rms = std::max(w.rel_rms, v.rel_rms);
            w.of_max = std::max(w.of_max, v.worst);
            w.of_rms = std::max(w.of_rms, v.rel_rms / v.rel_rms_bound);
          };
          note("output", judge(c.output(), ref.output_ref(), model));
          // Every form hands on its final state, the parallel one included.
          ATTNLAB_CHECK_CLOSE(c.state(), ref.state_ref(), model);
          note("state", judge(c.state(), ref.state_ref(), model));
        }
      }
    }
  }
  const char* report = std::getenv("ATTNLAB_FORMS_REPORT");
  if (report && *report) {
    std::printf("wide heads (dk = 64, dv = 16/19/64, n = 130), worst over dv and chunks:\n");
    for (const auto& kv : worst)
      std::printf("  %-33s max |diff| %.2e  rel RMS %.2e  (%.2f of the element bound, %.2f of the RMS bound)\n",
                  kv.first.c_str(), kv.second.max_abs, kv.second.rel_rms, kv.second.of_max, kv.second.of_rms);
  }
}
