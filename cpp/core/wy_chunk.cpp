#include "core/wy_chunk.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <vector>

#include "core/primitives.hpp"

namespace attnlab {
namespace wy {

namespace {

// Sub-block of the per-key decayed scores: inside it products are taken per element. 16 is fla's
// sub-chunk size and RWKV-7's default chunk, so by default a chunk is a single sub-block.
constexpr int kSub = 16;

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Decay factors of the tokens of one chunk: width 0 (none), 1 (scalar) or dk (per key); token t's
// factor row at f + t * width.
struct Decay {
  const float* f = nullptr;
  int width = 0;
};

struct GramScratch {
  std::vector<float> xs, ys, blk, f, e;
  void reserve(int m, int dk) {
    xs.resize(static_cast<size_t>(kSub) * dk);
    ys.resize(static_cast<size_t>(m) * dk);
    blk.resize(static_cast<size_t>(kSub) * m);
    f.resize(static_cast<size_t>(dk));
    e.resize(static_cast<size_t>(dk));
  }
  static double floats(int m, int dk) {
    return static_cast<double>(kSub) * dk + static_cast<double>(m) * dk + static_cast<double>(kSub) * m + 2.0 * dk;
  }
};

// P gets m + 1 rows of the decay's width: P[0] = 1, P[t + 1] = P[t] ⊙ f_t, so P[t + 1] = D(0..t)
// (decay up to and including token t) and P[t] = D(0..t-1).
void prefix_products(const Decay& d, int m, float* P) {
  const int w = d.width;
  std::fill(P, P + w, 1.f);
  for (int t = 0; t < m; ++t)
    for (int i = 0; i < w; ++i) P[(t + 1) * w + i] = P[t * w + i] * d.f[t * w + i];
  ATTNLAB_COUNT_MACS(static_cast<long>(m) * w);
}

// Q[j] = D(j+1..m-1), the decay a write at token j still undergoes before the chunk ends.
void suffix_products(const Decay& d, int m, float* Q) {
  const int w = d.width;
  std::fill(Q + (m - 1) * w, Q + m * w, 1.f);
  for (int j = m - 2; j >= 0; --j)
    for (int i = 0; i < w; ++i) Q[j * w + i] = Q[(j + 1) * w + i] * d.f[(j + 1) * w + i];
  ATTNLAB_COUNT_MACS(static_cast<long>(m) * w);
}

// Y[t] = X[t] ⊙ F[t] for m rows of dk; a factor row of width 1 multiplies the whole row.
void scale_rows_by(const float* X, const float* F, int width, int m, int dk, float* Y) {
  for (int t = 0; t < m; ++t) {
    const float* x = X + static_cast<long>(t) * dk;
    float* y = Y + static_cast<long>(t) * dk;
    if (width == 1) {
      std::copy(x, x + dk, y);
      prim::scale(F[t], y, dk);
    } else {
      for (int i = 0; i < dk; ++i) y[i] = x[i] * F[t * width + i];
      ATTNLAB_COUNT_MACS(dk);
    }
  }
}

// M (m x m) = rows of X scored against rows of Y through the decay between them:
//   M[t][j] = sum_d X[t][d] Y[j][d] D(j+1..t-shift)[d]   for j <= t - strict, 0 above.
// shift = 1 (with strict = 1) is the decay up to t - 1: a removal that reads the state before token
// t decays it (RWKV-7). Each factor is a product over its own segment, built by running products
// from t - shift back to j, so no factor exceeds 1 and nothing is ever divided by a decay.
void decayed_gram(const float* X, const float* Y, const Decay& dec, int m, int dk, int shift, int strict, float* M,
                  GramScratch& ws) {
  if (dec.width <= 1) {
    // Full products, as the lesson counts them; the part above the diagonal is discarded.
    prim::gemm_nt(X, Y, M, m, m, dk);
    for (int t = 0; t < m; ++t) {
      float* row = M + static_cast<long>(t) * m;
      if (dec.width == 1) {
        float f = 1.f;
        for (int j = t - shift; j >= 0; --j) {
          if (j <= t - strict) row[j] *= f;
          f *= dec.f[j];
        }
        ATTNLAB_COUNT_MACS(2L * (t - shift + 1));
      }
      std::fill(row + std::max(0, t - strict + 1), row + m, 0.f);
    }
    return;
  }
  // Per-key decay: D is a vector per pair, so there is no single matmul. Rows of sub-block
  // [i0, i1) meet the columns j < i0 through the reference token r = i0 - 1 (j <= r <= t - shift):
  //   D(j+1..t-shift) = D(i0..t-shift) ⊙ D(j+1..i0-1),
  // a row factor and a column factor, both <= 1, so those scores are one gemm. Pairs inside the
  // sub-block have no such split point and are taken per element.
  const float* w = dec.f;
  float* f = ws.f.data();
  float* e = ws.e.data();
  for (int i0 = 0; i0 < m; i0 += kSub) {
    const int i1 = std::min(m, i0 + kSub), bi = i1 - i0;
    if (i0 > 0) {
      std::fill(f, f + dk, 1.f);
      for (int t = i0; t < i1; ++t) {
        const float* wt = w + static_cast<long>(t) * dk;
        if (shift == 0)
          for (int d = 0; d < dk; ++d) f[d] *= wt[d];
        const float* x = X + static_cast<long>(t) * dk;
        float* xs = ws.xs.data() + static_cast<long>(t - i0) * dk;
        for (int d = 0; d < dk; ++d) xs[d] = x[d] * f[d];
        if (shift == 1)
          for (int d = 0; d < dk; ++d) f[d] *= wt[d];
      }
      std::fill(f, f + dk, 1.f);
      for (int j = i0 - 1; j >= 0; --j) {
        const float* y = Y + static_cast<long>(j) * dk;
        float* ys = ws.ys.data() + static_cast<long>(j) * dk;
        for (int d = 0; d < dk; ++d) ys[d] = y[d] * f[d];
        const float* wj = w + static_cast<long>(j) * dk;
        for (int d = 0; d < dk; ++d) f[d] *= wj[d];
      }
      ATTNLAB_COUNT_MACS(2L * (bi + i0) * dk);
      prim::gemm_nt(ws.xs.data(), ws.ys.data(), ws.blk.data(), bi, i0, dk);
      for (int t = i0; t < i1; ++t)
        std::copy(ws.blk.data() + static_cast<long>(t - i0) * i0, ws.blk.data() + static_cast<long>(t - i0 + 1) * i0,
                  M + static_cast<long>(t) * m);
    }
    for (int t = i0; t < i1; ++t) {
      float* row = M + static_cast<long>(t) * m;
      std::fill(row + i0, row + m, 0.f);
      const float* x = X + static_cast<long>(t) * dk;
      std::fill(f, f + dk, 1.f);
      for (int j = t - shift; j >= i0; --j) {
        if (j <= t - strict) {
          for (int d = 0; d < dk; ++d) e[d] = x[d] * f[d];
          row[j] = prim::dot(e, Y + static_cast<long>(j) * dk, dk);
          ATTNLAB_COUNT_MACS(dk);
        }
        const float* wj = w + static_cast<long>(j) * dk;
        for (int d = 0; d < dk; ++d) f[d] *= wj[d];
        ATTNLAB_COUNT_MACS(dk);
      }
    }
  }
}

// Solves (I + L) X = B in place by forward substitution: L is the strictly lower part of the m x m
// row-major matrix (its diagonal and upper part are not read), B is m x width.
void unit_lower_solve(const float* L, int m, float* B, int width) {
  if (m < 2) return;
  Eigen::Map<const RowMat> Lm(L, m, m);
  Eigen::Map<RowMat> Bm(B, m, width);
  Lm.triangularView<Eigen::UnitLower>().solveInPlace(Bm);
  ATTNLAB_COUNT_MACS(static_cast<double>(m) * (m - 1) / 2 * width);
}

}  // namespace

void delta_chunkwise(const DeltaInputs& in, long n, int chunk, int dk, int dv, float scale, float* S, bool fresh,
                     float* out) {
  if (n <= 0) return;
  if (S && fresh) std::fill(S, S + static_cast<long>(dk) * dv, 0.f);
  const int C = static_cast<int>(std::min<long>(std::max(chunk, 1), n));
  const bool decay = in.g != nullptr;
  std::vector<float> M(static_cast<size_t>(C) * C), R(static_cast<size_t>(C) * dv);
  std::vector<float> a, P, Sf, Kd;
  if (decay) {
    a.resize(static_cast<size_t>(C));
    P.resize(static_cast<size_t>(C) + 1);
    Sf.resize(static_cast<size_t>(C));
    Kd.resize(static_cast<size_t>(C) * dk);
  }
  GramScratch ws;  // the scalar and no-decay scores are plain gemms: no scratch
  ATTNLAB_COUNT_PEAK(static_cast<double>(C) * C);
  for (long t0 = 0; t0 < n; t0 += C) {
    const int m = static_cast<int>(std::min<long>(C, n - t0));
    const float* q = in.q + t0 * dk;
    const float* k = in.k + t0 * dk;
    const float* v = in.v + t0 * dv;
    const float* beta = in.beta + t0;
    float* o = out + t0 * dv;
    // A fresh run's first chunk starts from zero: nothing to read from S, nothing to decay in it.
    const bool read = S && !(fresh && t0 == 0);
    Decay dec;
    if (decay) {
      for (int t = 0; t < m; ++t) a[t] = prim::exp(in.g[t0 + t]);
      dec = {a.data(), 1};
      prefix_products(dec, m, P.data());
      suffix_products(dec, m, Sf.data());
    }
    // Right side of the triangular system: beta_t (v_t - D(0..t) k_tᵀ S_0), what each token would
    // write if no earlier token of the chunk had touched the state.
    if (read) {
      std::fill(R.begin(), R.begin() + static_cast<long>(m) * dv, 0.f);
      prim::gemm_nn_acc(k, S, R.data(), m, dv, dk);
      for (int t = 0; t < m; ++t) {
        const float f = decay ? P[t + 1] : 1.f;
        float* r = R.data() + static_cast<long>(t) * dv;
        const float* vt = v + static_cast<long>(t) * dv;
        for (int c = 0; c < dv; ++c) r[c] = beta[t] * (vt[c] - f * r[c]);
      }
      ATTNLAB_COUNT_MACS(2L * m * dv);
    } else {
      for (int t = 0; t < m; ++t) {
        float* r = R.data() + static_cast<long>(t) * dv;
        const float* vt = v + static_cast<long>(t) * dv;
        for (int c = 0; c < dv; ++c) r[c] = beta[t] * vt[c];
      }
      ATTNLAB_COUNT_MACS(static_cast<long>(m) * dv);
    }
    // L = tril(diag(beta) (K Kᵀ ⊙ D), -1); the earlier writes of the chunk change what token t
    // removes, and U' = (I + L)⁻¹ R accounts for all of them at once.
    decayed_gram(k, k, dec, m, dk, 0, 1, M.data(), ws);
    for (int t = 1; t < m; ++t) prim::scale(beta[t], M.data() + static_cast<long>(t) * m, t);
    unit_lower_solve(M.data(), m, R.data(), dv);
    std::fill(o, o + static_cast<long>(m) * dv, 0.f);
    if (read) {
      prim::gemm_nn_acc(q, S, o, m, dv, dk);
      if (decay)
        for (int t = 0; t < m; ++t) prim::scale(P[t + 1], o + static_cast<long>(t) * dv, dv);
    }
    decayed_gram(q, k, dec, m, dk, 0, 0, M.data(), ws);
    prim::gemm_nn_acc(M.data(), R.data(), o, m, dv, m);
    if (scale != 1.f) prim::scale(scale, o, m * dv);
    if (S) {
      const float* kd = k;
      if (decay) {
        if (read) prim::scale(P[m], S, dk * dv);
        scale_rows_by(k, Sf.data(), 1, m, dk, Kd.data());
        kd = Kd.data();
      }
      prim::gemm_tn_acc(kd, R.data(), S, dk, dv, m);
    }
  }
}

void dplr_chunkwise(const DplrInputs& in, long n, int chunk, int dk, int dv, float scale, float* S, bool fresh,
                    float* out) {
  if (n <= 0) return;
  if (S && fresh) std::fill(S, S + static_cast<long>(dk) * dv, 0.f);
  const int C = static_cast<int>(std::min<long>(std::max(chunk, 1), n));
  const size_t rows = static_cast<size_t>(C) * dk;
  std::vector<float> M(static_cast<size_t>(C) * C), X(static_cast<size_t>(C) * dv);
  std::vector<float> c(rows), Z(rows), Sf(rows), P(rows + dk);
  GramScratch ws;
  ws.reserve(C, dk);
  ATTNLAB_COUNT_PEAK(static_cast<double>(C) * C);
  for (long t0 = 0; t0 < n; t0 += C) {
    const int m = static_cast<int>(std::min<long>(C, n - t0));
    const long off = t0 * dk;
    const float *q = in.q + off, *k = in.k + off, *kappa = in.kappa + off, *a = in.a + off;
    const float* v = in.v + t0 * dv;
    float* o = out + t0 * dv;
    const Decay dec{in.w + off, dk};
    const bool read = S && !(fresh && t0 == 0);  // as in delta_chunkwise
    for (long i = 0; i < static_cast<long>(m) * dk; ++i) c[i] = kappa[i] * a[i];
    ATTNLAB_COUNT_MACS(static_cast<long>(m) * dk);
    prefix_products(dec, m, P.data());
    // x_t = kappa_tᵀ S_{t-1}, what token t removes: from the start state through D(0..t-1), from
    // the earlier writes k_j v_jᵀ, and from the earlier removals themselves (the solve).
    std::fill(X.begin(), X.begin() + static_cast<long>(m) * dv, 0.f);
    if (read) {
      scale_rows_by(kappa, P.data(), dk, m, dk, Z.data());
      prim::gemm_nn_acc(Z.data(), S, X.data(), m, dv, dk);
    }
    decayed_gram(kappa, k, dec, m, dk, 1, 1, M.data(), ws);
    prim::gemm_nn_acc(M.data(), v, X.data(), m, dv, m);
    decayed_gram(kappa, c.data(), dec, m, dk, 1, 1, M.data(), ws);
    unit_lower_solve(M.data(), m, X.data(), dv);
    // Every removal enters the state as -c_j x_jᵀ: carry -x from here on.
    for (long i = 0; i < static_cast<long>(m) * dv; ++i) X[i] = -X[i];
    std::fill(o, o + static_cast<long>(m) * dv, 0.f);
    if (read) {
      scale_rows_by(q, P.data() + dk, dk, m, dk, Z.data());
      prim::gemm_nn_acc(Z.data(), S, o, m, dv, dk);
    }
    decayed_gram(q, k, dec, m, dk, 0, 0, M.data(), ws);
    prim::gemm_nn_acc(M.data(), v, o, m, dv, m);
    decayed_gram(q, c.data(), dec, m, dk, 0, 0, M.data(), ws);
    prim::gemm_nn_acc(M.data(), X.data(), o, m, dv, m);
    if (scale != 1.f) prim::scale(scale, o, m * dv);
    if (S) {
      suffix_products(dec, m, Sf.data());
      if (read) prim::scale_rows(S, P.data() + static_cast<long>(m) * dk, dk, dv);
      scale_rows_by(k, Sf.data(), dk, m, dk, Z.data());
      prim::gemm_tn_acc(Z.data(), v, S, dk, dv, m);
      scale_rows_by(c.data(), Sf.data(), dk, m, dk, Z.data());
      prim::gemm_tn_acc(Z.data(), X.data(), S, dk, dv, m);
    }
  }
}

double delta_workspace(long n, int chunk, int dk, int dv, bool decay) {
  const double C = static_cast<double>(std::min<long>(std::max(chunk, 1), std::max(n, 1L)));
  return C * C + C * dv + (decay ? 3 * C + 1 + C * dk : 0.0);
}

double dplr_workspace(long n, int chunk, int dk, int dv) {
  const int C = static_cast<int>(std::min<long>(std::max(chunk, 1), std::max(n, 1L)));
  const double c = C;
  return c * c + c * dv + 4 * c * dk + dk + GramScratch::floats(C, dk);
}

// ---------------------------------------------------------------------------------------------
// Counted work (wy_chunk.hpp), per chunk of m tokens (C = min(chunk, n); the parallel form is one
// chunk of n that writes the final state from zero). s = 1 when a state is carried in.

namespace {

// Scores of decayed_gram with a per-key decay (RWKV-7), one 16-token sub-block [i0, i0 + b) at a
// time: for i0 > 0, 2 (b + i0) dk (row and column factors) + b i0 dk (one gemm against the earlier
// columns); inside the sub-block 3 dk per visited pair (factor, product, dot), the pairs being
// b(b+1)/2 for the inclusive scores (shift 0) and b(b-1)/2 for the strict ones (shift 1).
double dplr_gram(double m, bool strict) {
  double macs = 0;
  const double dk = 1;  // per unit of dk; the caller multiplies
  for (double i0 = 0; i0 < m; i0 += 16) {
    const double b = std::min(16.0, m - i0);
    if (i0 > 0) macs += 2 * (b + i0) * dk + b * i0 * dk;
    macs += 3 * dk * (strict ? b * (b - 1) / 2 : b * (b + 1) / 2);
  }
  return macs;
}

}  // namespace

// DeltaNet and gated DeltaNet through delta_chunkwise; g = 1 when gated, sc = 1 when scaled.
// chunk of m g: m exps, 2 m (decay prefix and suffix products)
//            right side  s (m dk dv + 2 m dv) or m dv
//            scores      2 m^2 dk (K K^T, Q K^T, full) + g 2 m(m+1) (decay factors) + m(m-1)/2 (beta rows)
//            solve       m(m-1)/2 dv (unit lower forward substitution)
//            inter       s (m dk dv + g m dv);  scores x U  m^2 dv;  sc m dv
//            state       m dk dv + g (s dk dv + m dk)   (the parallel form writes it from zero)
//            peak C^2 (and the dk dv state when carried).
void delta_cost(const CostCtx& c, double dk, double dv, bool gated, bool scaled, CostResult* r) {
  using namespace costs;
  const double n = c.N(), g = gated ? 1 : 0, sc = scaled ? 1 : 0;
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.n, carried ? c.chunk : static_cast<int>(c.n));
  const double s = carried ? 1 : 0;
  double decay = 0, read = 0, right = 0, scores = 0, solve = 0, inter = 0, values = 0, scale = 0, state = 0;
  auto chunk = [&](double m, double times) {
    decay += times * g * 2 * m;
    read += times * s * m * dk * dv;
    right += times * (s ? 2 * m * dv : m * dv);
    scores += times * (2 * m * m * dk + g * 2 * m * (m + 1) + m * (m - 1) / 2);
    solve += times * m * (m - 1) / 2 * dv;
    inter += times * s * (m * dk * dv + g * m * dv);
    values += times * m * m * dv;
    scale += times * sc * m * dv;
    // The parallel form writes the final state from zero: no decay of an incoming one.
    state += times * (s ? m * dk * dv + g * (dk * dv + m * dk) : m * dk * dv + g * m * dk);
  };
  chunk(ch.B, ch.q);
  if (ch.r > 0) chunk(ch.r, 1);
  if (g) term(r, "decay products", decay, "2 n");
  if (s) term(r, "right side: read K S", read, "n dk dv");
  elem(r, "right side: beta (v - .)", right, s ? "2 n dv" : "n dv");
  term(r, "scores K K^T, Q K^T", scores, "2 m^2 dk (+ 2 m(m+1) decays) + m(m-1)/2, per chunk");
  term(r, "triangular solve", solve, "m(m-1)/2 dv per chunk");
  if (s) term(r, "inter-chunk: read carried state", inter, "n dk dv (+ n dv decays)");
  term(r, "scores x U", values, "m^2 dv per chunk");
  if (sc) elem(r, "output scale", scale, "n dv");
  term(r, "state update", state, s ? "n dk dv (+ chunks dk dv + n dk decays)" : "n dk dv (+ n dk decays)");
  r->exps = g * n;
  r->exps_formula = g ? "n" : "0";
  r->peak_floats = std::max(ch.B * ch.B, s * r->state_floats);
  r->peak_formula = carried ? "max(chunk^2, dk dv)" : "n^2";
}

// RWKV-7 through dplr_chunkwise; sc = 1 when scaled.
// chunk of m (DPLR form): m dk (c = kappa a) + m dk (decay prefix products)
//            + 2 G(m, strict) + 2 G(m, inclusive) dk-scores (dplr_gram) + m(m-1)/2 dv (solve)
//            + 3 m^2 dv (scores x V, scores x V, scores x X) + sc m dv
//            + s (2 m dk + 2 m dk dv) (start state read twice)
//            + m dk + s dk dv + 2 m dk + 2 m dk dv (suffix products, decay of a carried state, two
//              updates; the parallel form writes the final state from zero)
//            no exps (w is a factor, not a log); peak C^2 (and dk dv when carried).
void dplr_cost(const CostCtx& c, double dk, double dv, bool scaled, CostResult* r) {
  using namespace costs;
  const double sc = scaled ? 1 : 0;
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.n, carried ? c.chunk : static_cast<int>(c.n));
  const double s = carried ? 1 : 0;
  double keys = 0, products = 0, scores = 0, solve = 0, values = 0, scale = 0, inter = 0, state = 0;
  auto chunk = [&](double m, double times) {
    keys += times * m * dk;
    products += times * m * dk;
    scores += times * dk * (2 * dplr_gram(m, true) + 2 * dplr_gram(m, false));
    solve += times * m * (m - 1) / 2 * dv;
    values += times * 3 * m * m * dv;
    scale += times * sc * m * dv;
    inter += times * s * (2 * m * dk + 2 * m * dk * dv);
    // The parallel form writes the final state from zero: no decay of an incoming one.
    state += times * (3 * m * dk + s * dk * dv + 2 * m * dk * dv);
  };
  chunk(ch.B, ch.q);
  if (ch.r > 0) chunk(ch.r, 1);
  elem(r, "removal keys c = kappa a", keys, "n dk");
  term(r, "decay prefix products", products, "n dk");
  term(r, "decayed scores (4 triangles)", scores, "about 2 m^2 dk per chunk (16-token sub-blocks)");
  term(r, "triangular solve", solve, "m(m-1)/2 dv per chunk");
  term(r, "scores x values", values, "3 m^2 dv per chunk");
  if (sc) elem(r, "output scale", scale, "n dv");
  if (s) term(r, "inter-chunk: read carried state", inter, "2 n dk dv + 2 n dk");
  term(r, "state update", state, s ? "2 n dk dv + 3 n dk + chunks dk dv" : "2 n dk dv + 3 n dk");
  r->peak_floats = std::max(ch.B * ch.B, s * r->state_floats);
  r->peak_formula = carried ? "max(chunk^2, dk dv)" : "n^2";
}

}  // namespace wy
}  // namespace attnlab
