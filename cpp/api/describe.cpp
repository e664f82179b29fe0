// core.variants(): every variant's info as JSON, in the registry's (the lesson's) order.
#include <cmath>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "core/json_writer.hpp"

namespace attnlab {

namespace {

ATTNLAB_COLD std::string jarr(const std::vector<std::string>& v) {
  std::vector<std::string> items;
  for (const auto& x : v) items.push_back(JsonObject::quote(x));
  return JsonObject::array(items);
}

}  // namespace

ATTNLAB_COLD std::string variants_json() {
  std::string o = "[";
  bool first = true;
  for (const Entry& e : registry()) {
    const VariantInfo& v = e.info;
    o += first ? "" : ",";
    first = false;
    std::vector<std::string> forms;
    for (Form f : v.forms) forms.push_back(form_name(f));
    o += "{\"id\":" + JsonObject::quote(v.id) + ",\"name\":" + JsonObject::quote(v.name) + ",\"family\":" + JsonObject::quote(v.family) +
         ",\"year\":" + std::to_string(v.year) + ",\"paper\":" + JsonObject::quote(v.paper) + ",\"forms\":" + jarr(forms);
    o += ",\"missingForms\":{";
    for (size_t i = 0; i < v.missing.size(); ++i)
      o += (i ? "," : "") + JsonObject::quote(form_name(v.missing[i].first)) + ":" + JsonObject::quote(v.missing[i].second);
    o += "},\"sizes\":" + jarr(v.sizes) + ",\"inputs\":[";
    for (size_t i = 0; i < v.inputs.size(); ++i) {
      const InputSpec& s = v.inputs[i];
      std::vector<std::string> dims = s.dims;
      if (s.per_token) dims.insert(dims.begin(), "n");
      o += std::string(i ? "," : "") + "{\"name\":" + JsonObject::quote(s.name) + ",\"dims\":" + jarr(dims) +
           ",\"perToken\":" + (s.per_token ? "true" : "false") + ",\"min\":" + JsonObject::number(s.lo > -1e300 ? s.lo : NAN) +
           ",\"max\":" + JsonObject::number(s.hi < 1e300 ? s.hi : NAN) + ",\"minOpen\":" + (s.lo_open ? "true" : "false") +
           ",\"maxOpen\":" + (s.hi_open ? "true" : "false") + ",\"note\":" + JsonObject::quote(s.note) + ",\"sample\":" + JsonObject::quote(s.sample) + "}";
    }
    o += "],\"options\":[";
    for (size_t i = 0; i < v.options.size(); ++i) {
      const OptionSpec& p = v.options[i];
      o += std::string(i ? "," : "") + "{\"name\":" + JsonObject::quote(p.name) + ",\"default\":";
      if (!p.choices.empty()) o += JsonObject::quote(p.text_def);
      else if (p.boolean) o += std::isnan(p.def) ? "null" : p.def != 0 ? "true" : "false";
      else o += JsonObject::number(p.def);
      if (!p.choices.empty()) o += ",\"choices\":" + jarr(p.choices);
      // Booleans and choices have no range; numbers report the bound check_option() applies.
      const bool ranged = p.choices.empty() && !p.boolean;
      o += ",\"min\":" + JsonObject::number(ranged ? option_lo(p) : NAN) + ",\"max\":" + JsonObject::number(ranged ? option_hi(p) : NAN) +
           ",\"integer\":" + (p.integer ? "true" : "false") + ",\"boolean\":" + (p.boolean ? "true" : "false") +
           ",\"note\":" + JsonObject::quote(p.note) + "}";
    }
    o += "],\"state\":{\"dims\":" + jarr(v.state_dims) + ",\"note\":" + JsonObject::quote(v.state_note) + "}";
    o += ",\"output\":{\"dims\":[\"n\"," + JsonObject::quote(v.out_size) + "]}";
    o += std::string(",\"selective\":") + (v.selective ? "true" : "false") + ",\"forgetting\":" + JsonObject::quote(v.forgetting) +
         ",\"recurrence\":" + JsonObject::quote(v.recurrence) + ",\"defaultChunk\":" + std::to_string(v.default_chunk) + "}";
  }
  return o + "]";
}

}  // namespace attnlab
