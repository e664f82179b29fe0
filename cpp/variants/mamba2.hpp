// Mamba-2 SSD (Dao & Gu 2024), docs/variants.md §9: one head of the state-space dual, a selective
// recurrence whose decay is one scalar per token.
//
//   h_t = e^{Δ_t A} h_{t-1} + B_t (Δ_t x_t)ᵀ ;  y_t = h_tᵀ C_t + Dskip x_t
//                 x: (n, P), delta: (n, 1) with Δ > 0, B, C: (n, N), y: (n, P); A < 0 and Dskip options
//
// The step size Δ_t is chosen by the data: a large Δ forgets the past fast and writes the token
// hard, a small one keeps the past and barely writes (selective forgetting). In attention terms it
// is simple GLA with query C, key B, value Δx and log decay ΔA (§4, §9), which is how the parallel
// and chunkwise forms run: chunked::run with a scalar decay, over blocks so that the Δx and ΔA
// temporaries stay one block long.
//   parallel   Y = (L ⊙ C Bᵀ)(Δ ⊙ X), L_ts = e^{Δ_{s+1}A + ... + Δ_t A}: the n x n matrix (n²N + n²P macs)
//   recurrent  1 exp, scale, rank-1 write, read: 3 N·P macs per token
//   chunkwise  chunked::run per block of C tokens: ≈ n C (N + P) + 2 n N P macs, C x C scratch
//   reference  float64, the recurrence above in plain loops (mamba's ssd step)
// State layout: h, N x P row-major (rows = state index n, the "key" B; columns = head channel p).
#pragma once

#include "core/variant.hpp"

namespace attnlab {

struct Mamba2 {
  struct Params {
    int N = 0, P = 0;
    double A = -1;
    double Dskip = 0;
  };
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static int out_width(const Params& p) { return p.P; }
  static double workspace(const Params& p, long n, Form f, int chunk);
  static void init_state(const Params& p, State& s);
  static void step(const Params& p, const Token& tok, State& s, float* out);
  static void parallel(const Params& p, const Inputs& in, long n, State& s, float* out);
  static void chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out);
  static void reference(const Params& p, const Inputs& in, long n, StateD& s, double* out);
  static void cost(const Params& p, const CostCtx& c, CostResult* r);
};

}  // namespace attnlab
