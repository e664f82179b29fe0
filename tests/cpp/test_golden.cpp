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

// Sizes and options exactly as the fixture gives them to core.run, as a Config (booleans as 0/1).
Status options_of(const Json& options, Config* cfg) {
  for (const auto& m : options.members) {
    switch (m.second.type) {
      case Json::number: cfg->numbers[m.first] = m.second.num; break;
      case Json::boolean: cfg->numbers[m.first] = m.second.b ? 1 : 0; break;
      case Json::string: cfg->strings[m.first] = m.second.str; break;
      default: return "option " + m.first + " has an unsupported JSON type";
    }
  }
  return {};
}

void configure(Call& c, const Config& cfg) {
  for (const auto& kv : cfg.numbers) c.set_number(kv.first, kv.second);
  for (const auto& kv : cfg.strings) c.set_string(kv.first, kv.second);
}

Status arrays_of(const Json& inputs, Arrays* in) {
  for (const auto& m : inputs.members) {
    if (m.second.type != Json::array) return "input " + m.first + " is not an array";
    std::vector<float>& x = (*in)[m.first];
    for (const auto& v : m.second.items) x.push_back(static_cast<float>(v.num));
  }
  return {};
}

// The error model of one replay (support.hpp), sizes read from the fixture's options.
Model model_of(const std::string& id, const Config& cfg, const Arrays& in, Form f, int chunk) {
  std::map<std::string, long> dims;
  for (const char* name : {"dk", "dv", "C", "D", "N", "P"})
    if (cfg.numbers.count(name)) dims[name] = static_cast<long>(cfg.num(name, 1));
  return call_model(id, static_cast<long>(cfg.num("n", 1)), dims, f, chunk, &in, cfg);
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

    Config cfg;
    Arrays in;
    Status read_st = options_of(*options, &cfg);
    if (read_st.empty()) read_st = arrays_of(*inputs, &in);
    INFO("fixture: " << read_st);
    REQUIRE(read_st == "");
    Call ref_call(id);
    configure(ref_call, cfg);
    // The reference with its sensitivity: the scale every replay below is measured against.
    const Reference ref = reference_of(ref_call, id, in, cfg);
    {
      // The C++ float64 reference and the script's float64 loops see identical inputs, so they
      // differ by rounding order (the same chains at 2^-53, far below the rest) and by one float32
      // rounding of options the core keeps in float32, which golden.py does not round: softmax's
      // scale 1/sqrt(dk) (1e-8 relative here) and linear's eps. An option multiplies inputs, so its
      // rounding moves the outputs as one rounding of the inputs does: depth 1 in float32.
      const Model model = chain(1, "one float32 rounding of the options (scale, eps)");
      ATTNLAB_CHECK_CLOSE(ref.output_ref().values, ref.output_ref().with(want_out), model);
      worst.note(id + " reference", compare(ref.output_ref().values, want_out));
      if (has_state) {
        ATTNLAB_CHECK_CLOSE(ref.state_ref().values, ref.state_ref().with(want_state), model);
        worst.note(id + " reference state", compare(ref.state_ref().values, want_state));
      }
    }

    for (Form f : e->info.forms) {
      // 0 = the variant's default chunk (clipped to n); 4 and 16 leave a partial last chunk.
      std::vector<int> chunks = {0};
      if (f == Form::chunkwise) chunks = {0, 4, 16};
      for (int chunk : chunks) {
        INFO("form " << form_name(f) << " chunk " << (chunk ? std::to_string(chunk) : std::string("default")));
        Call c(id);
        configure(c, cfg);
        c.set_string("form", form_name(f));
        if (chunk) c.set_number("chunk", chunk);
        fill(c, in);
        const Status st = c.run();
        INFO("status: " << st);
        CHECK(st == "");
        if (!st.empty()) continue;
        ++replayed;
        // float32 against the fixture, within the error model of this form (support.hpp).
        const Model model = model_of(id, cfg, in, f, chunk);
        ATTNLAB_CHECK_CLOSE(c.output(), ref.output_ref().with(want_out), model);
        worst.note(id + " " + form_name(f), compare(c.output(), want_out));
        if (has_state && f != Form::parallel) {
          ATTNLAB_CHECK_CLOSE(c.state(), ref.state_ref().with(want_state), model);
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
