// Embind registration of the core API (cpp/api/api.hpp), one-to-one. Raw entries carry an
// underscore: only bindings/js/api.js calls them. The adapters below only turn a pointer into a
// number (a byte offset into the wasm heap) so that JS can copy whole arrays in and out of
// HEAPF32: one call per array, never one per element.
#include <emscripten/bind.h>
#include <malloc.h>

#include <cstdint>

#include "api/api.hpp"
#include "api/feature_map_call.hpp"
#include "api/token_shift.hpp"
#include "lab/cost_query.hpp"
#include "lab/measure.hpp"
#include "lab/recall.hpp"

using namespace emscripten;
using attnlab::Call;
using attnlab::FeatureMapCall;
using attnlab::TokenShiftCall;
using attnlab::Stepper;
using attnlab::CostQuery;
using attnlab::RecallJob;

namespace {

double address(const float* p) { return static_cast<double>(reinterpret_cast<std::uintptr_t>(p)); }

}  // namespace

EMSCRIPTEN_BINDINGS(attnlab) {
  class_<Call>("_Call")
      .constructor<std::string>()
      .function("set_number", &Call::set_number)
      .function("set_string", &Call::set_string)
      .function("input", optional_override([](Call& c, const std::string& name, double len) {
                  return address(c.input(name, static_cast<long>(len)));
                }))
      .function("run", &Call::run)
      .function("output", optional_override([](const Call& c) { return address(c.output().data()); }))
      .function("output_size", optional_override([](const Call& c) { return static_cast<double>(c.output().size()); }))
      .function("has_state", &Call::has_state)
      .function("state", optional_override([](const Call& c) { return address(c.state().data()); }))
      .function("state_size", optional_override([](const Call& c) { return static_cast<double>(c.state().size()); }));

  class_<Stepper>("_Stepper")
      .constructor<std::string>()
      .function("set_number", &Stepper::set_number)
      .function("set_string", &Stepper::set_string)
      .function("channel_input", optional_override([](Stepper& s, const std::string& name, double len) {
                  return address(s.channel_input(name, static_cast<long>(len)));
                }))
      .function("init", &Stepper::init)
      .function("token_input", optional_override([](Stepper& s, const std::string& name) {
                  return address(s.token_input(name));
                }))
      .function("step", &Stepper::step)
      .function("output", optional_override([](const Stepper& s) { return address(s.output().data()); }))
      .function("out_width", optional_override([](const Stepper& s) { return static_cast<double>(s.out_width()); }))
      .function("state", optional_override([](const Stepper& s) { return address(s.state().data()); }))
      .function("state_size", optional_override([](const Stepper& s) { return static_cast<double>(s.state().size()); }))
      .function("t", optional_override([](const Stepper& s) { return static_cast<double>(s.t()); }))
      .function("reset", &Stepper::reset);

  // Cost model, memory model and measured time (cpp/lab/cost_query.hpp): results come back as JSON.
  class_<CostQuery>("_CostQuery")
      .constructor<>()
      .function("set_number", &CostQuery::set_number)
      .function("set_string", &CostQuery::set_string)
      .function("clear", &CostQuery::clear)
      .function("cost", &CostQuery::cost)
      .function("two_orders", &CostQuery::two_orders)
      .function("memory", &CostQuery::memory)
      .function("measure", &CostQuery::measure)
      .function("json", optional_override([](const CostQuery& q) { return q.json(); }));

  // Associative recall (cpp/lab/recall.hpp).
  class_<RecallJob>("_RecallJob")
      .constructor<std::string>()
      .function("set_option_number", &RecallJob::set_option_number)
      .function("set_option_string", &RecallJob::set_option_string)
      .function("set_number", &RecallJob::set_number)
      .function("set_keys", &RecallJob::set_keys)
      .function("run", &RecallJob::run)
      .function("accuracy", optional_override([](const RecallJob& j) { return j.result().accuracy; }))
      .function("rewritten_accuracy", optional_override([](const RecallJob& j) { return j.result().rewritten_accuracy; }))
      .function("mean_cosine", optional_override([](const RecallJob& j) { return j.result().mean_cosine; }))
      .function("exact", optional_override([](const RecallJob& j) { return j.result().exact; }))
      .function("signal", optional_override([](const RecallJob& j) { return j.result().signal; }))
      .function("interference", optional_override([](const RecallJob& j) { return j.result().interference; }))
      .function("sir", optional_override([](const RecallJob& j) { return j.result().sir; }))
      .function("trials", optional_override([](const RecallJob& j) { return static_cast<double>(j.result().trials); }))
      .function("by_age", optional_override([](const RecallJob& j) { return address(j.result().by_age.data()); }))
      .function("by_age_size", optional_override([](const RecallJob& j) { return static_cast<double>(j.result().by_age.size()); }));

  // Feature-map rows as linear attention uses them (api/feature_map_call.hpp).
  class_<FeatureMapCall>("_FeatureMap")
      .constructor<std::string>()
      .function("set_number", &FeatureMapCall::set_number)
      .function("set_string", &FeatureMapCall::set_string)
      .function("input", optional_override([](FeatureMapCall& c, double len) { return address(c.input(static_cast<long>(len))); }))
      .function("run", &FeatureMapCall::run)
      .function("output", optional_override([](const FeatureMapCall& c) { return address(c.output().data()); }))
      .function("output_size", optional_override([](const FeatureMapCall& c) { return static_cast<double>(c.output().size()); }));

  // RWKV's token shift (api/token_shift.hpp).
  class_<TokenShiftCall>("_TokenShift")
      .constructor<>()
      .function("set_number", &TokenShiftCall::set_number)
      .function("set_string", &TokenShiftCall::set_string)
      .function("input", optional_override([](TokenShiftCall& c, const std::string& name, double len) {
                  return address(c.input(name, static_cast<long>(len)));
                }))
      .function("run", &TokenShiftCall::run)
      .function("output", optional_override([](const TokenShiftCall& c) { return address(c.output().data()); }))
      .function("output_size", optional_override([](const TokenShiftCall& c) { return static_cast<double>(c.output().size()); }));

  function("_variants_json", &attnlab::variants_json);
  function("_memory_budget", optional_override([]() { return attnlab::kMemoryBudgetBytes; }));
  function("_version", optional_override([]() { return std::string(ATTNLAB_VERSION); }));
  // Bytes currently allocated by malloc: leak tests compare it before and after many calls.
  function("_heap_in_use", optional_override([]() { return static_cast<double>(mallinfo().uordblks); }));
}
