// Seeded inputs drawn from each InputSpec's `sample` hint, for what the core runs by itself
// (recall lab, measured cost). Rng is fully specified, so natively and in wasm the bits agree.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "lab/rng.hpp"

namespace attnlab {

// rows x width values per the hint: "normal" N(0,1), "normal M S" N(M, S^2), "uniform A B",
// "unit" (each row an L2-normalised N(0,1) draw).
std::vector<float> sample_input(const InputSpec& spec, long rows, long width, Rng& rng);

// Every input of a variant at the given sizes (per-token inputs get s.n rows).
std::map<std::string, std::vector<float>> sample_inputs(const VariantInfo& info, const Sizes& s, Rng& rng);

}  // namespace attnlab
