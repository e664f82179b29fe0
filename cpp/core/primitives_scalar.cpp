// Scalar twins of the vector kernels in primitives.cpp: the plainest loops, used by the kernel
// tests (every length from 0 to a few vector widths) and as the "baseline" reading of each kernel.
#include <cmath>

#include "core/primitives.hpp"

namespace attnlab {
namespace prim {
namespace scalar {


float dot(const float* a, const float* b, int n) {
  float s = 0.f;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float alpha, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void scale(float alpha, float* x, int n) {
  for (int i = 0; i < n; ++i) x[i] *= alpha;
}

void rank1(float* S, const float* k, const float* v, int dk, int dv) {
  for (int i = 0; i < dk; ++i) {
    const float ki = k[i];
    float* row = S + static_cast<long>(i) * dv;
    for (int j = 0; j < dv; ++j) row[j] += ki * v[j];
  }
}

void read(const float* S, const float* q, float* o, int dk, int dv) {
  for (int j = 0; j < dv; ++j) o[j] = 0.f;
  for (int i = 0; i < dk; ++i) {
    const float qi = q[i];
    const float* row = S + static_cast<long>(i) * dv;
    for (int j = 0; j < dv; ++j) o[j] += qi * row[j];
  }
}

void matvec(const float* S, const float* x, float* o, int dk, int dv) {
  for (int i = 0; i < dk; ++i) {
    const float* row = S + static_cast<long>(i) * dv;
    float s = 0.f;
    for (int j = 0; j < dv; ++j) s += row[j] * x[j];
    o[i] = s;
  }
}

void scale_rows(float* S, const float* a, int dk, int dv) {
  for (int i = 0; i < dk; ++i) {
    const float ai = a[i];
    float* row = S + static_cast<long>(i) * dv;
    for (int j = 0; j < dv; ++j) row[j] *= ai;
  }
}

void gemm_nt(const float* A, const float* B, float* C, int m, int n, int k) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      const float* a = A + static_cast<long>(i) * k;
      const float* b = B + static_cast<long>(j) * k;
      float s = 0.f;
      for (int p = 0; p < k; ++p) s += a[p] * b[p];
      C[static_cast<long>(i) * n + j] = s;
    }
}

void gemm_nn_acc(const float* A, const float* B, float* C, int m, int n, int k) {
  for (int i = 0; i < m; ++i) {
    float* c = C + static_cast<long>(i) * n;
    for (int p = 0; p < k; ++p) {
      const float a = A[static_cast<long>(i) * k + p];
      const float* b = B + static_cast<long>(p) * n;
      for (int j = 0; j < n; ++j) c[j] += a * b[j];
    }
  }
}

void gemm_tn_acc(const float* A, const float* B, float* C, int m, int n, int k) {
  for (int p = 0; p < k; ++p) {
    const float* a = A + static_cast<long>(p) * m;
    const float* b = B + static_cast<long>(p) * n;
    for (int i = 0; i < m; ++i) {
      const float ai = a[i];
      float* c = C + static_cast<long>(i) * n;
      for (int j = 0; j < n; ++j) c[j] += ai * b[j];
    }
  }
}


float exp_shifted(float* x, int n, float max) {
  float s = 0.f;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    s += x[i];
  }
  return s;
}

}  // namespace scalar
}  // namespace prim
}  // namespace attnlab
