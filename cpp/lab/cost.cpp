#include "lab/cost.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "api/api.hpp"
#include "core/json_writer.hpp"

namespace attnlab {

// The variant's own cost() (beside its forms, reached through the bound variant) fills in the terms,
// exps, state and peak; here only what is the same for every variant: validation, the totals and the
// memory a real run would take.
Status cost(const std::string& id, const Config& cfg, CostResult* out) {
  const Entry* e = find_variant(id);
  if (!e) return range_error("id", "unknown variant '" + id + "'; expected one of " + variant_ids());
  Sizes sizes;
  CostCtx c;
  std::unique_ptr<Bound> bound;
  // Validation binds the variant: its params() run once, here as for a run.
  Status st = validate_config(*e, cfg, true, &sizes, &c.form, &c.chunk, &bound);
  if (!st.empty()) return st;
  c.n = sizes.n;
  CostResult r;
  r.id = id;
  r.form = c.form;
  r.n = c.n;
  r.chunk = c.form == Form::chunkwise ? c.chunk : 0;
  bound->cost(c, &r);
  if (r.exps_formula.empty()) r.exps_formula = "0";
  for (const CostTerm& t : r.terms) {
    r.executed_macs += t.macs;
    if (t.mixing) r.macs += t.macs;
  }
  r.flops = 2 * r.macs;
  // The memory a real run would take, charged as Call::run charges it against the budget.
  double floats = 0;
  for (const InputSpec& s : e->info.inputs) floats += static_cast<double>(input_length(s, sizes, true));
  r.workspace_floats = bound->workspace(c.n, c.form, c.chunk);
  floats += c.N() * bound->out_width() + r.workspace_floats;
  r.run_bytes = floats * kBytesPerFloat;
  r.fits_budget = r.run_bytes <= kMemoryBudgetBytes;
  *out = std::move(r);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Chapter 2: both orders of the same three-matrix product, without a causal mask.

Status two_orders(long n, long dk, long dv, TwoOrders* out) {
  const struct {
    const char* name;
    long v;
    double max;
  } sizes[] = {{"n", n, kMaxLength}, {"dk", dk, kMaxDim}, {"dv", dv, kMaxDim}};
  for (const auto& s : sizes) {
    if (s.v < 1) return range_error(s.name, "expected a positive integer, got " + std::to_string(s.v));
    if (static_cast<double>(s.v) > s.max)
      return range_error(s.name, "expected at most " + fmt(s.max) + ", got " + std::to_string(s.v));
  }
  const double N = static_cast<double>(n), K = static_cast<double>(dk), V = static_cast<double>(dv);
  TwoOrders t;
  t.n = n;
  t.dk = dk;
  t.dv = dv;
  // (Q K^T) V: an n x n intermediate, n^2 dk to build, n^2 dv to apply.
  t.scores_first = {"(Q K^T) V", "Q K^T", n, n, N * N, N * N * K, N * N * V, N * N * (K + V)};
  // Q (K^T V): a dk x dv intermediate, n dk dv to build, n dk dv to apply.
  t.state_first = {"Q (K^T V)", "K^T V", dk, dv, K * V, N * K * V, N * K * V, 2 * N * K * V};
  t.ratio = t.scores_first.macs / t.state_first.macs;
  *out = t;
  return {};
}

// ---------------------------------------------------------------------------------------------
// Memory: state after n tokens per head, against softmax's cache at the same length.

Status memory(const std::string& id, const Config& cfg, double layers, double heads, MemoryResult* out) {
  const struct {
    const char* name;
    double v;
  } counts[] = {{"layers", layers}, {"heads", heads}};
  for (const auto& s : counts)
    if (!std::isfinite(s.v) || s.v != std::floor(s.v) || s.v < 1 || s.v > 1e6)
      return range_error(s.name, "expected an integer in [1, 1000000], got " + fmt(s.v));
  // The recurrent form is the one that carries state, whatever form the options name.
  Config rc = cfg;
  rc.strings.erase("form");
  rc.numbers.erase("chunk");
  CostResult c;
  Status st = cost(id, rc, &c);
  if (!st.empty()) return st;
  MemoryResult m;
  m.id = id;
  m.n = c.n;
  m.layers = layers;
  m.heads = heads;
  m.state_floats = c.state_floats;
  m.state_floats_total = c.state_floats * layers * heads;
  // A state grows when it is larger at n + 1 than at n: the cache of softmax, a window not yet full.
  if (c.n < kMaxLength) {
    Config next = rc;
    next.numbers["n"] = static_cast<double>(c.n + 1);
    CostResult c1;
    if (cost(id, next, &c1).empty()) m.grows = c1.state_floats > c.state_floats;
  }
  const double dk = cfg.num("dk", 0), dv = cfg.num("dv", 0);
  m.has_kv = cfg.numbers.count("dk") && cfg.numbers.count("dv") && dk >= 1 && dv >= 1;
  if (m.has_kv) {
    m.kv_floats = static_cast<double>(c.n) * (dk + dv);
    m.kv_floats_total = m.kv_floats * layers * heads;
  }
  *out = m;
  return {};
}

// ---------------------------------------------------------------------------------------------
// JSON

std::string to_json(const CostResult& r) {
  std::vector<std::string> terms;
  for (const CostTerm& t : r.terms)
    terms.push_back(JsonObject()
                        .str("name", t.name)
                        .num("macs", t.macs)
                        .str("formula", t.formula)
                        .boolean("mixing", t.mixing)
                        .text());
  JsonObject o;
  o.str("id", r.id).str("form", form_name(r.form)).num("n", static_cast<double>(r.n));
  if (r.form == Form::chunkwise) o.num("chunk", r.chunk);
  o.num("macs", r.macs)
      .num("executedMacs", r.executed_macs)
      .num("flops", r.flops)
      .num("macsVariable", r.macs_variable)
      .num("exps", r.exps)
      .num("expsVariable", r.exps_variable)
      .num("stateFloats", r.state_floats)
      .num("stateBytes", r.state_bytes())
      .num("peakFloats", r.peak_floats)
      .num("peakBytes", r.peak_bytes())
      .num("bytes", r.state_bytes())
      .num("workspaceFloats", r.workspace_floats)
      .num("runBytes", r.run_bytes)
      .boolean("fitsBudget", r.fits_budget)
      .raw("terms", JsonObject::array(terms))
      .str("expsFormula", r.exps_formula)
      .str("stateFormula", r.state_formula)
      .str("peakFormula", r.peak_formula);
  return o.text();
}

namespace {
std::string order_json(const OrderCost& c) {
  return JsonObject()
      .str("name", c.name)
      .str("intermediate", c.intermediate)
      .raw("shape", JsonObject::numbers({static_cast<double>(c.rows), static_cast<double>(c.cols)}))
      .num("intermediateFloats", c.intermediate_floats)
      .num("intermediateBytes", c.intermediate_floats * kBytesPerFloat)
      .num("firstMacs", c.first_macs)
      .num("secondMacs", c.second_macs)
      .num("macs", c.macs)
      .num("flops", 2 * c.macs)
      .text();
}
}  // namespace

std::string to_json(const TwoOrders& t) {
  return JsonObject()
      .num("n", static_cast<double>(t.n))
      .num("dk", static_cast<double>(t.dk))
      .num("dv", static_cast<double>(t.dv))
      .raw("scoresFirst", order_json(t.scores_first))
      .raw("stateFirst", order_json(t.state_first))
      .num("ratio", t.ratio)
      .text();
}

std::string to_json(const MemoryResult& m) {
  JsonObject o;
  o.str("id", m.id)
      .num("n", static_cast<double>(m.n))
      .num("layers", m.layers)
      .num("heads", m.heads)
      .num("stateFloats", m.state_floats)
      .num("stateBytes", m.state_bytes())
      .num("stateFloatsTotal", m.state_floats_total)
      .num("stateBytesTotal", m.state_bytes_total())
      .boolean("grows", m.grows);
  if (m.has_kv) {
    o.num("kvFloats", m.kv_floats)
        .num("kvBytes", m.kv_bytes())
        .num("kvFloatsTotal", m.kv_floats_total)
        .num("kvBytesTotal", m.kv_bytes_total());
  } else {
    o.nul("kvFloats").nul("kvBytes").nul("kvFloatsTotal").nul("kvBytesTotal");
  }
  return o.text();
}

}  // namespace attnlab
