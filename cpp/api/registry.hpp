// Every variant, looked up by id, behind one small virtual interface.
//
// Variants are plain structs of static functions (see variant.hpp); BoundVariant<V> erases the type
// once per call so api.cpp can run any of them through the same code path.
#pragma once

#include <memory>
#include <type_traits>
#include <string>
#include <vector>

#include "core/variant.hpp"

namespace attnlab {

// A variant together with its validated options.
class Bound {
 public:
  virtual ~Bound() = default;
  virtual int out_width() const = 0;
  // Floats of scratch the form needs beyond inputs, outputs and state (memory budget, cost model).
  virtual double workspace(long n, Form f, int chunk) const = 0;
  virtual void init_state(State& s) const = 0;
  virtual void step(const Token& tok, State& s, float* out) const = 0;
  virtual void parallel(const Inputs& in, long n, State& s, float* out) const = 0;
  virtual void chunkwise(const Inputs& in, long n, int chunk, State& s, float* out) const = 0;
  virtual void reference(const Inputs& in, long n, StateD& s, double* out) const = 0;
  // The form's cost model: terms, exps, state and peak (lab/cost.cpp adds the totals).
  virtual void cost(const CostCtx& c, CostResult* r) const = 0;
};

// Whether V has a chunkwise form. A variant without one (RWKV-4: three scalars per channel, nothing
// for chunks to batch) leaves the function out, lists the form in info().missing, and validation
// refuses the form before any form is called.
template <class V, class = void>
struct HasChunkwise : std::false_type {};
template <class V>
struct HasChunkwise<V, std::void_t<decltype(&V::chunkwise)>> : std::true_type {};

template <class V>
class BoundVariant final : public Bound {
 public:
  explicit BoundVariant(const typename V::Params& p) : p_(p) {}
  int out_width() const override { return V::out_width(p_); }
  double workspace(long n, Form f, int chunk) const override { return V::workspace(p_, n, f, chunk); }
  void init_state(State& s) const override { V::init_state(p_, s); }
  void step(const Token& tok, State& s, float* out) const override { V::step(p_, tok, s, out); }
  void parallel(const Inputs& in, long n, State& s, float* out) const override { V::parallel(p_, in, n, s, out); }
  void chunkwise(const Inputs& in, long n, int chunk, State& s, float* out) const override {
    if constexpr (HasChunkwise<V>::value) V::chunkwise(p_, in, n, chunk, s, out);
  }
  void reference(const Inputs& in, long n, StateD& s, double* out) const override {
    V::reference(p_, in, n, s, out);
  }
  void cost(const CostCtx& c, CostResult* r) const override { V::cost(p_, c, r); }

 private:
  typename V::Params p_;
};

struct Entry {
  VariantInfo info;
  // Validates the variant's own options (sizes are already checked) and binds them.
  Status (*bind)(const Config& cfg, std::unique_ptr<Bound>* out);
};

template <class V>
Entry make_entry() {
  Entry e;
  e.info = V::info();
  e.bind = [](const Config& cfg, std::unique_ptr<Bound>* out) -> Status {
    typename V::Params p;
    Status st = V::params(cfg, &p);
    if (!st.empty()) return st;
    out->reset(new BoundVariant<V>(p));
    return {};
  };
  return e;
}

const std::vector<Entry>& registry();
const Entry* find_variant(const std::string& id);
std::string variant_ids();  // "softmax, sliding_window, ..." for error messages

}  // namespace attnlab
