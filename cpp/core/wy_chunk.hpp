// The chunkwise form of the delta-rule family (DeltaNet, gated DeltaNet, RWKV-7), written once and
// parameterised by the decay (docs/variants.md §7, §8, §11, §15.3-5; Yang et al. 2024 for the WY/UT form,
// fla's generalized_delta_rule/dplr for the diagonal-plus-low-rank generalisation).
//
//   delta rule (decay none or scalar a_t = e^{g_t}), K x V state:
//     S'_t = a_t S_{t-1};  u_t = beta_t (v_t - S'_tᵀ k_t);  S_t = S'_t + k_t u_tᵀ;  o_t = S_tᵀ q_t
//   DPLR, RWKV-7 (per-key decay w_t, removal key kappa_t, strength a_t, write key k_t):
//     x_t = kappa_tᵀ S_{t-1};  S_t = diag(w_t) S_{t-1} - (kappa_t ⊙ a_t) x_t + k_t v_tᵀ;  o_t = S_tᵀ q_t
//
// q, k, kappa, a, w: (n, dk), v: (n, dv), beta, g: (n, 1), S: (dk, dv) row-major, out: (n, dv).
// The recurrence is linear in the state, so inside a chunk of C tokens every unknown row (u_t, or
// x_t) depends on the chunk's start state S_0 and on the earlier unknowns through a strictly lower
// triangular C x C matrix. Writing D(j+1..t) for the decay from token j+1 to t, per chunk:
//   delta   L = tril(diag(beta) (K Kᵀ ⊙ D), -1);  (I + L) U' = beta ⊙ (V - (K ⊙ D(0..t)) S_0)
//           O = (Q ⊙ D(0..t)) S_0 + (tril(Q Kᵀ) ⊙ D) U';  S = D(0..C-1) S_0 + (K ⊙ D(j+1..C-1))ᵀ U'
//           (U' = U - W S_0 with W = T (beta ⊙ D ⊙ K), U = T (beta ⊙ V), T = (I + L)⁻¹: the same
//           rows; T is applied to the combined right side instead, one solve instead of two.)
//   DPLR    A_{Y,Z}[t][j] = sum_d Y[t][d] Z[j][d] D(j+1..t-1)[d] for j < t;  B_{Y,Z}: D(j+1..t), j <= t
//           (I + A_{kappa,c}) X = (kappa ⊙ D(0..t-1)) S_0 + A_{kappa,k} V,  c = kappa ⊙ a
//           O = (Q ⊙ D(0..t)) S_0 + B_{q,k} V - B_{q,c} X
//           S = diag(D(0..C-1)) S_0 + (K ⊙ D(j+1..C-1))ᵀ V - (c ⊙ D(j+1..C-1))ᵀ X
// The triangular systems are solved by forward substitution (Eigen's unit-lower solve). Decays enter
// only as products over the segment j+1..t, built from the factors themselves by running products:
// never a ratio of two long products (the factorised q e^{b} · k e^{-b} overflows, §15.3) and never a
// difference of two long log cumsums (§15.4), so every factor is in [0, 1] and an underflow to 0 is
// the right answer. A per-key decay has no single matmul form; inside 16-token sub-blocks the
// products are taken per element, between sub-blocks through a reference token at the sub-block
// boundary (row and column factors both <= 1), which turns those blocks into gemms (fla's scheme).
//
// Cost per chunk of C tokens (macs; full products, as the lesson counts them):
//   delta  2 C² dk (K Kᵀ, Q Kᵀ) + C²dv/2 (solve) + C² dv (scores x U') + 3 C dk dv (K S_0, Q S_0, state)
//   DPLR   four triangular C x C scores (C²dk/2 each as gemms between 16-token sub-blocks, per
//          element with the decay products inside them) + C²dv/2 (solve) + 3 C² dv + 4 C dk dv
// chunk = 1 is the recurrence; chunk = n with fresh is the parallel form (the n x n system is
// materialised; the start state is neither read nor decayed, only the final one is written: the
// state terms without s's reads, m dk dv (+ g m dk) for DeltaNet, 3 m dk + 2 m dk dv for RWKV-7).
#pragma once

#include "core/cost_terms.hpp"

namespace attnlab {
namespace wy {

// Token t's rows are at ptr + t * width (width dk, dv or 1 as listed above).
struct DeltaInputs {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  const float* beta = nullptr;
  const float* g = nullptr;  // log decay <= 0 per token, or nullptr for DeltaNet (no decay)
};

struct DplrInputs {
  const float* q = nullptr;  // RWKV-7's receptance r
  const float* w = nullptr;  // decay factor per key, in [0, 1]
  const float* k = nullptr;  // write (replacement) key
  const float* v = nullptr;
  const float* kappa = nullptr;  // removal key
  const float* a = nullptr;      // removal strength per key
};

// Runs the chunks. S (dk x dv) carries the state in and out; S = nullptr starts from zero and skips
// the final state. fresh: S is written, never read: the run starts from zero and hands its final state
// on (the parallel form, chunk >= n, continued token by token). `scale` multiplies q. out: n x dv.
void delta_chunkwise(const DeltaInputs& in, long n, int chunk, int dk, int dv, float scale, float* S, bool fresh,
                     float* out);
void dplr_chunkwise(const DplrInputs& in, long n, int chunk, int dk, int dv, float scale, float* S, bool fresh,
                    float* out);

// Floats of scratch the two functions allocate for chunks of min(chunk, n) tokens.
double delta_workspace(long n, int chunk, int dk, int dv, bool decay);
double dplr_workspace(long n, int chunk, int dk, int dv);

// Counted work of the two functions, for the cost models of the variants built on them: terms,
// exps and peak of the parallel form (one chunk of n, fresh) or the chunkwise form (chunks of
// c.chunk, the state carried). Derivations in wy_chunk.cpp.
void delta_cost(const CostCtx& c, double dk, double dv, bool gated, bool scaled, CostResult* r);
void dplr_cost(const CostCtx& c, double dk, double dv, bool scaled, CostResult* r);

}  // namespace wy
}  // namespace attnlab
