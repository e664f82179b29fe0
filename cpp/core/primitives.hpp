// The few float32 loops every variant's hot path goes through.
//
// Layouts are row-major. A state S is dk x dv (rows = key index), as in docs/variants.md §0. These are
// vector kernels (simd.hpp: SIMD128 in wasm, SSE natively) with scalar twins in
// primitives_scalar.cpp; variants only ever see these signatures. Every function counts its multiply-accumulates and exps when the
// core is built with ATTNLAB_COUNT (see counters.hpp).
#pragma once

#include <cstddef>

#include "core/counters.hpp"

namespace attnlab {
namespace prim {

// sum_i a[i] * b[i]                                             (n macs)
float dot(const float* a, const float* b, int n);
// y += alpha * x                                                (n macs)
void axpy(float alpha, const float* x, float* y, int n);
// x *= alpha                                                    (n macs: counted as a multiply)
void scale(float alpha, float* x, int n);
// S += k v^T, S: dk x dv                                        (dk*dv macs)
void rank1(float* S, const float* k, const float* v, int dk, int dv);
// o = S^T q, S: dk x dv, o: dv                                  (dk*dv macs)
void read(const float* S, const float* q, float* o, int dk, int dv);
// o = S x, S: dk x dv, x: dv, o: dk                             (dk*dv macs)
void matvec(const float* S, const float* x, float* o, int dk, int dv);
// S = diag(a) S (decay each key row by its own factor)          (dk*dv macs)
void scale_rows(float* S, const float* a, int dk, int dv);
// C[m x n] = A[m x k] B[n x k]^T   (scores Q K^T)               (m*n*k macs)
void gemm_nt(const float* A, const float* B, float* C, int m, int n, int k);
// C[m x n] += A[m x k] B[k x n]    (weights times values)       (m*n*k macs)
void gemm_nn_acc(const float* A, const float* B, float* C, int m, int n, int k);
// C[m x n] += A[k x m]^T B[k x n]  (state update K^T V)         (m*n*k macs)
void gemm_tn_acc(const float* A, const float* B, float* C, int m, int n, int k);
// e^x, counted
float exp(float x);
// x[i] = e^(x[i] - max), returns the sum; max over the row       (n exps)
float exp_shifted(float* x, int n, float max);

// The same functions as plain scalar loops (primitives_scalar.cpp), for tests and benchmarks.
namespace scalar {
float dot(const float* a, const float* b, int n);
void axpy(float alpha, const float* x, float* y, int n);
void scale(float alpha, float* x, int n);
void rank1(float* S, const float* k, const float* v, int dk, int dv);
void read(const float* S, const float* q, float* o, int dk, int dv);
void matvec(const float* S, const float* x, float* o, int dk, int dv);
void scale_rows(float* S, const float* a, int dk, int dv);
void gemm_nt(const float* A, const float* B, float* C, int m, int n, int k);
void gemm_nn_acc(const float* A, const float* B, float* C, int m, int n, int k);
void gemm_tn_acc(const float* A, const float* B, float* C, int m, int n, int k);
float exp_shifted(float* x, int n, float max);
}  // namespace scalar

}  // namespace prim
}  // namespace attnlab
