// Golden fixtures from an independent implementation: scripts/golden.py recomputes each variant in
// float64 straight from the equations of docs/api.md / docs/variants.md (numpy, no code shared with the
// core); the build writes its cases to <build>/golden. Here every case runs through every form its
// variant lists, via the public Call API, and must match the fixture's output (and final state,
// where the fixture has one in a canonical layout).
//
// The fixtures are not optional: a missing or empty golden dir fails, and so does a case whose
// variant is not registered, so the test lists what is still missing.
// ATTNLAB_GOLDEN_DIR overrides the directory; ATTNLAB_GOLDEN_REPORT=1 prints the worst relative
// RMS per variant and form.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "json.hpp"
#include "support.hpp"

using namespace attnlab;
using namespace attnlab_test;

namespace {

std::string golden_dir() {
  // Under Node, getenv sees only what the runtime copied in; the compiled-in default covers that.
  const char* env = std::getenv("ATTNLAB_GOLDEN_DIR");
  return env && *env ? std::string(env) : std::string(ATTNLAB_GOLDEN_DIR_DEFAULT);
}

// Same bar as the forms test: float32 against float64 within 1e-4 relative RMS, 1e-3 for the
// delta-rule and RWKV-7 forms that go through a triangular solve.
double tolerance(const std::string& id, Form f) {
  const bool solve = id == "deltanet" || id == "gated_deltanet" || id == "rwkv7";
  return solve && f != Form::recurrent ? 1e-3 : 1e-4;
}

// The C++ float64 reference and the script's float64 loops see identical inputs, so they may
// differ only by rounding order and by where a guard epsilon enters.
constexpr double kReferenceTolerance = 1e-6;

// Sizes and options exactly as the fixture gives them to core.run.
Status configure(Call& c, const Json& options) {
  for (const auto& m : options.members) {
    switch (m.second.type) {
      case Json::number: c.set_number(m.first, m.second.num); break;
      case Json::boolean: c.set_number(m.first, m.second.b ? 1 : 0); break;
      case Json::string: c.set_string(m.first, m.second.str); break;
      default: return "option " + m.first + " has an unsupported JSON type";
    }
  }
  return {};
}

Status fill_inputs(Call& c, const Json& inputs) {
  for (const auto& m : inputs.members) {
    if (m.second.type != Json::array) return "input " + m.first + " is not an array";
    float* p = c.input(m.first, static_cast<long>(m.second.items.size()));
    if (!p) return "input " + m.first + " is too long";
    for (const auto& x : m.second.items) *p++ = static_cast<float>(x.num);
  }
  return {};
}

struct Worst {
  std::map<std::string, double> rel;  // "variant form" -> max relative RMS
  void note(const std::string& key, const Diff& d) {
    double& r = rel[key];
    r = std::max(r, std::isnan(d.rel_rms) ? INFINITY : d.rel_rms);
  }
};

}  // namespace

TEST_CASE("golden fixtures from scripts/golden.py match every form", "[golden]") {
  const std::string dir = golden_dir();
  INFO("golden dir " << dir << " (written by scripts/golden.py during the build)");
  Json index;
  std::string err;
  const bool have_index = read_json_file(dir + "/index.json", &index, &err);
  INFO(err);
  REQUIRE(have_index);
  const Json* cases = index.get("cases");
  REQUIRE(cases != nullptr);
  REQUIRE(cases->type == Json::array);
  REQUIRE(!cases->items.empty());

  Worst worst;
  int replayed = 0;
  for (const Json& item : cases->items) {
    const Json* file = item.get("file");
    REQUIRE(file != nullptr);
    INFO("case " << file->str);
    Json doc;
    std::string why;
    const bool read = read_json_file(dir + "/" + file->str, &doc, &why);
    INFO(why);
    CHECK(read);
    if (!read) continue;
    const Json* variant = doc.get("variant");
    const Json* options = doc.get("options");
    const Json* inputs = doc.get("inputs");
    const Json* output = doc.get("output");
    const Json* state = doc.get("state");
    REQUIRE(variant != nullptr);
    REQUIRE(options != nullptr);
    REQUIRE(inputs != nullptr);
    REQUIRE(output != nullptr);
    REQUIRE(state != nullptr);
    const std::string id = variant->str;
    const Entry* e = find_variant(id);
    INFO("variant " << id << (e ? "" : " is not registered"));
    CHECK(e != nullptr);
    if (!e) continue;
    const std::vector<double> want_out = output->numbers();
    const std::vector<double> want_state = state->numbers();
    const bool has_state = state->type == Json::array;

    {
      Call ref(id);
      Status st = configure(ref, *options);
      if (st.empty()) st = fill_inputs(ref, *inputs);
      if (st.empty()) st = ref.run_reference();
      INFO("reference: " << st);
      CHECK(st == "");
      if (st.empty()) {
        ATTNLAB_CHECK_CLOSE(ref.output_ref(), want_out, kReferenceTolerance);
        worst.note(id + " reference", compare(ref.output_ref(), want_out));
        if (has_state) {
          ATTNLAB_CHECK_CLOSE(ref.state_ref(), want_state, kReferenceTolerance);
          worst.note(id + " reference state", compare(ref.state_ref(), want_state));
        }
      }
    }

    for (Form f : e->info.forms) {
      // 0 = the variant's default chunk (clipped to n); 4 and 16 leave a partial last chunk.
      std::vector<int> chunks = {0};
      if (f == Form::chunkwise) chunks = {0, 4, 16};
      for (int chunk : chunks) {
        INFO("form " << form_name(f) << " chunk " << (chunk ? std::to_string(chunk) : std::string("default")));
        Call c(id);
        Status st = configure(c, *options);
        c.set_string("form", form_name(f));
        if (chunk) c.set_number("chunk", chunk);
        if (st.empty()) st = fill_inputs(c, *inputs);
        if (st.empty()) st = c.run();
        INFO("status: " << st);
        CHECK(st == "");
        if (!st.empty()) continue;
        ++replayed;
        const double tol = tolerance(id, f);
        ATTNLAB_CHECK_CLOSE(c.output(), want_out, tol);
        worst.note(id + " " + form_name(f), compare(c.output(), want_out));
        if (has_state && f != Form::parallel) {
          ATTNLAB_CHECK_CLOSE(c.state(), want_state, tol);
          worst.note(id + " " + form_name(f) + " state", compare(c.state(), want_state));
        }
      }
    }
  }
  CHECK(replayed > 0);

  const char* report = std::getenv("ATTNLAB_GOLDEN_REPORT");
  if (report && *report) {
    std::printf("golden: %d runs from %zu cases in %s\n", replayed, cases->items.size(), dir.c_str());
    for (const auto& kv : worst.rel) std::printf("  %-36s max rel RMS %.3g\n", kv.first.c_str(), kv.second);
  }
}
