// Fused kernels: the recurrent update of each state family together with its readout, the
// selective scan, and causal softmax attention by key blocks. They sit beside the primitives
// (same vector layer, simd.hpp) for the loops where calling several primitives in a row would walk
// the state several times per token.
//
// Shapes: a state S is dk x dv row-major (rows = key index, docs/variants.md §0); vectors named after
// keys (k, q, a, w, kappa) have dk entries, after values (v, o) dv. Every kernel reports through
// ATTNLAB_COUNT_MACS / ATTNLAB_COUNT_EXPS exactly what the unfused sequence of primitives it
// replaces reports (listed per kernel), so the cost model checks do not depend on fusion. The scalar
// twins (kernels_scalar.cpp) ARE those unfused sequences, written as plain loops: the kernel tests
// compare against them, and the benchmark's "baseline" reading uses them.
//
// One pass over S per token where the math allows it: the row update and the readout o += q_i S_i
// happen on the same loaded row. The delta rule and RWKV-7 first need a read of the old state
// (v - Sᵀk, kappaᵀS) before any row may change, so they take one read pass plus one fused pass.
#pragma once

#include "core/counters.hpp"

namespace attnlab {
namespace prim {

// linear:      S += k vᵀ;  o = Sᵀ q                                (rank1 + read: 2 dk dv macs)
void update_read(float* S, const float* k, const float* v, const float* q, float* o, int dk, int dv);

// decay:       S = diag(a) S + k vᵀ;  o = Sᵀ q                     (scale_rows + rank1 + read: 3 dk dv)
void decay_update_read(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv);
// same with one decay for the whole state                          (scale + rank1 + read: 3 dk dv)
void decay_update_read(float* S, float a, const float* k, const float* v, const float* q, float* o, int dk, int dv);

// read before write (RWKV-5/6): o = Sᵀ q;  S = diag(a) S + k vᵀ    (read + scale_rows + rank1: 3 dk dv)
void read_decay_update(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv);

// delta rule:  [S = g S;]  u = beta (v - Sᵀ k);  S += k uᵀ;  o = Sᵀ q
// g points at one decay factor, or is nullptr for none.            ([scale] + read + dv + rank1 + read:
//                                                                   3 dk dv + dv, + dk dv with g)
void delta_update_read(float* S, const float* g, const float* k, const float* v, float beta, const float* q, float* o,
                       int dk, int dv);

// RWKV-7 (diagonal plus low rank): x = kappaᵀ S;  S = diag(w) S - (kappa ⊙ a) xᵀ + k vᵀ;  o = Sᵀ r
//                                  (read + scale_rows + dk + rank1 + rank1 + read: 5 dk dv + dk)
void dplr_update_read(float* S, const float* w, const float* kappa, const float* a, const float* k, const float* v,
                      const float* r, float* o, int dk, int dv);

// Mamba's selective scan, one token, h: D x N (row d = the N states of channel d), A: D x N,
// delta, u, Dskip, y: D, B, C: N:
//   h[d,i] = e^{delta_d A[d,i]} h[d,i] + (delta_d u_d) B_i;   y_d = sum_i C_i h[d,i] + Dskip_d u_d
//                          (per channel scale + exp + scale_rows + axpy + dot + 2: D (4N + 2) macs, D N exps)
void selective_scan(float* h, const float* A, const float* delta, const float* u, const float* B, const float* C,
                    const float* Dskip, float* y, int D, int N);

// Causal softmax attention over n tokens, FlashAttention style: queries in blocks of `block`, keys
// streamed in blocks of `block`, each query row keeping a running max, normaliser and accumulator.
// Q, K: n x dk, V, out: n x dv, packed rows. window > 0 limits row t to keys t-window+1..t.
// Key blocks with no visible key are skipped; visited blocks are computed in full (the masked
// corner of the diagonal block too). Counts: per visited block gemm_nt (bi bj dk) + gemm_nn_acc
// (bi bj dv); per active (row, block) pair a dv-mac rescale and one exp unless it is the row's first
// block; one exp per visible score.
void causal_softmax(const float* Q, const float* K, const float* V, float* out, long n, int dk, int dv, float scale,
                    int block, long window);

namespace scalar {
void update_read(float* S, const float* k, const float* v, const float* q, float* o, int dk, int dv);
void decay_update_read(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv);
void decay_update_read(float* S, float a, const float* k, const float* v, const float* q, float* o, int dk, int dv);
void read_decay_update(float* S, const float* a, const float* k, const float* v, const float* q, float* o, int dk,
                       int dv);
void delta_update_read(float* S, const float* g, const float* k, const float* v, float beta, const float* q, float* o,
                       int dk, int dv);
void dplr_update_read(float* S, const float* w, const float* kappa, const float* a, const float* k, const float* v,
                      const float* r, float* o, int dk, int dv);
void selective_scan(float* h, const float* A, const float* delta, const float* u, const float* B, const float* C,
                    const float* Dskip, float* y, int D, int N);
void causal_softmax(const float* Q, const float* K, const float* V, float* out, long n, int dk, int dv, float scale,
                    int block, long window);
}  // namespace scalar

}  // namespace prim
}  // namespace attnlab
