// mLSTM, the matrix-memory cell of xLSTM (Beck et al. 2024), docs/variants.md §10.
//
//   i_t = e^{igate_t},  f_t = sigmoid(fgate_t),  k̄_t = k_t / sqrt(dk)
//   C_t = f_t C_{t-1} + i_t k̄_t v_tᵀ,   n_t = f_t n_{t-1} + i_t k̄_t
//   o_t = C_tᵀ q_t / max(|n_tᵀ q_t|, 1)
//                       q, k: (n, dk), v: (n, dv), igate, fgate: (n, 1), o: (n, dv), C: (dk, dv)
//
// A gated linear attention with an exponential input gate and a normaliser n_t. e^{igate} overflows
// float32 past igate ~ 88, so every form works in units of a stabiliser m_t (the running max of
// the log gate products): C = C_true e^{-m}, n = n_true e^{-m}, and the floor 1 becomes e^{-m}.
// Every form computes exactly C_trueᵀq / max(|n_trueᵀq|, 1): the 1e-6 the xLSTM code adds to the
// denominator is left out everywhere (reference included), so the forms agree with each other and
// with the reference to float rounding, for any stabiliser. `scale` (default 1) multiplies q.
//   parallel   log D_tj = sum_{r=j+1}^t log f_r + igate_j (j <= t; summed along the segment, not a
//              difference of cumsums), row max m_t, weights (q_t·k̄_j) e^{log D_tj - m_t}, then
//              divide by max(|row sum|, e^{-m_t}): n^2 dk + n^2 dv macs, n^2/2 exps, n x n floats
//   recurrent  xLSTM's stabilised step: m_t = max(log f_t + m_{t-1}, igate_t), both gates rescaled
//              by e^{-m_t} (exponents <= 0 up to rounding), then read: about 3 dk dv + 4 dk macs
//              per token. Exponents are formed as (gate - m) + small sum, so that a large m (~500
//              after a gate of 500) does not round the small log f sums away.
//   chunkwise  per chunk of L tokens: chunk-local cumulative log f, a row stabiliser that is the
//              recurrent m_t itself, the intra block as a masked stabilised L x L product and the
//              inter part from the carried (C, n, m); the state update reuses the last row's
//              stabiliser: about n L (dk + dv) + 2 n dk dv macs, n L / 2 exps, L x L floats
//   reference  float64, the stabilised recurrence in plain loops, started from the given m
// State layout: [C (dk x dv, row-major, key rows), n (dk), m (1)], C and n in stabilised units
// (true values are C e^m and n e^m); empty state all zeros (m = 0, as xLSTM starts it).
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct MLstm {
  struct Params {
    int dk = 0, dv = 0;
    float scale = 1.f;
  };
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static int out_width(const Params& p) { return p.dv; }
  static double workspace(const Params& p, long n, Form f, int chunk);
  static void init_state(const Params& p, State& s);
  static void step(const Params& p, const Token& tok, State& s, float* out);
  static void parallel(const Params& p, const Inputs& in, long n, State& s, float* out);
  static void chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out);
  static void reference(const Params& p, const Inputs& in, long n, StateD& s, double* out);
  static void cost(const Params& p, const CostCtx& c, CostResult* r);
};

}  // namespace attnlab
