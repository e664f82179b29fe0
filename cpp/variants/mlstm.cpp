#include "variants/mlstm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
enum { Q, K, V, IG, FG };

// Reused scratch so that a step does not allocate (the core is single-threaded).
float* scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// log sigmoid(x) = -log(1 + e^-x), written so that neither sign of x overflows.
float log_sigmoid(float x) { return std::min(x, 0.f) - std::log1p(prim::exp(-std::fabs(x))); }
double log_sigmoid(double x) { return std::min(x, 0.0) - std::log1p(std::exp(-std::fabs(x))); }

// Output row = factor * numerator / max(|q·n|, e^{-m}): the floor 1 of the true units, in
// stabilised ones. e^{-m} may overflow to inf only where the true output underflows anyway.
void normalise(float* o, int dv, float factor, float den, float m) {
  prim::scale(factor / std::max(std::fabs(den), prim::exp(-m)), o, dv);
}

}  // namespace

ATTNLAB_COLD VariantInfo MLstm::info() {
  VariantInfo v;
  v.id = "mlstm";
  v.name = "mLSTM (xLSTM)";
  v.family = "xlstm";
  v.year = 2024;
  v.paper = "Beck et al. 2024, xLSTM: Extended Long Short-Term Memory";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = {{"q", {"dk"}, true, -1e300, 1e300, false, false, "query"},
              {"k", {"dk"}, true, -1e300, 1e300, false, false, "key (divided by sqrt(dk) inside)"},
              {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"},
              {"igate", {"1"}, true, -1e300, 1e300, false, false, "input gate pre-activation: i = e^igate",
               "normal 0 1"},
              {"fgate", {"1"}, true, -1e300, 1e300, false, false, "forget gate pre-activation: f = sigmoid(fgate)",
               "normal 3 1"}};
  const OptionSpec scale = scale_option(1, "multiplies q");
  v.options = {scale};
  v.state_dims = {"dk*dv+dk+1"};
  v.state_note =
      "[C (dk x dv, key rows), n (dk), m (1)]: C and n in stabilised units, true values C e^m and n e^m; "
      "empty: all zeros";
  v.selective = true;
  v.forgetting = "data-dependent";
  v.recurrence =
      "C <- f_t C + i_t k_t v_t^T / sqrt(dk);  n <- f_t n + i_t k_t / sqrt(dk);  o_t = C^T q_t / max(|n.q_t|, 1)";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status MLstm::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  p->scale = static_cast<float>(cfg.num("scale"));
  return {};
}

ATTNLAB_COLD double MLstm::workspace(const Params& p, long n, Form f, int chunk) {
  switch (f) {
    // The n x n weights, one row of log weights, per-token log f, row sums and stabilisers, and the
    // weighted keys of the final state.
    case Form::parallel: return static_cast<double>(n) * n + 4.0 * n + static_cast<double>(n) * p.dk;
    case Form::recurrent: return p.dk;
    // The L x L block, the weighted keys of the state update, and eight per-row vectors.
    case Form::chunkwise: {
      const double L = std::min<long>(chunk, n);
      return L * L + L * p.dk + 8 * L;
    }
  }
  return 0;
}

ATTNLAB_COLD void MLstm::init_state(const Params& p, State& s) {
  s.data.assign(static_cast<size_t>(p.dk) * p.dv + p.dk + 1, 0.f);
}

void MLstm::step(const Params& p, const Token& tok, State& s, float* out) {
  const int dk = p.dk, dv = p.dv;
  float* C = s.data.data();
  float* nv = C + static_cast<long>(dk) * dv;
  float& m = nv[dk];
  const float lf = log_sigmoid(tok[FG][0]), ig = tok[IG][0];
  const float m_new = std::max(lf + m, ig);
  // (m - m_new) + lf, not (lf + m) - m_new: m may be large (a gate of 500 makes it ~500, where a
  // float's spacing is 3e-5), and the rounding of lf + m, lost otherwise, would bias every decay.
  const float fp = prim::exp((m - m_new) + lf);
  const float ip = prim::exp(ig - m_new) / std::sqrt(static_cast<float>(dk));
  float* kb = scratch(static_cast<size_t>(dk));
  for (int i = 0; i < dk; ++i) kb[i] = ip * tok[K][i];
  ATTNLAB_COUNT_MACS(dk);
  prim::decay_update_read(C, fp, kb, tok[V], tok[Q], out, dk, dv);
  prim::scale(fp, nv, dk);
  prim::axpy(1.f, kb, nv, dk);
  m = m_new;
  normalise(out, dv, p.scale, p.scale * prim::dot(nv, tok[Q], dk), m_new);
}

void MLstm::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  const int dk = p.dk, dv = p.dv;
  const float c = p.scale / std::sqrt(static_cast<float>(dk));
  std::vector<float> P(static_cast<size_t>(n) * n), D(static_cast<size_t>(n)), lf(static_cast<size_t>(n));
  std::vector<float> den(static_cast<size_t>(n)), mrow(static_cast<size_t>(n));
  ATTNLAB_COUNT_PEAK(static_cast<double>(n) * n);
  for (long t = 0; t < n; ++t) lf[t] = log_sigmoid(in.row(FG, t)[0]);
  prim::gemm_nt(in.ptr[Q], in.ptr[K], P.data(), static_cast<int>(n), static_cast<int>(n), dk);
  for (long t = 0; t < n; ++t) {
    // log D_tj = igate_j + log f_{j+1} + ... + log f_t, the segment sum accumulated from the
    // diagonal outwards (never a difference of cumsums). The exponent is then taken as
    // (igate_j - max) + segment so that large gates do not round the segment away.
    float seg = 0.f, mx = kNegInf;
    for (long j = t; j >= 0; --j) {
      D[j] = seg;
      mx = std::max(mx, seg + in.row(IG, j)[0]);
      seg += lf[j];
    }
    for (long j = 0; j <= t; ++j) D[j] += in.row(IG, j)[0] - mx;
    prim::exp_shifted(D.data(), static_cast<int>(t + 1), 0.f);
    float* r = P.data() + t * n;
    float s = 0.f;
    for (long j = 0; j <= t; ++j) {
      r[j] *= c * D[j];
      s += r[j];
    }
    ATTNLAB_COUNT_MACS(2 * (t + 1));
    std::fill(r + t + 1, r + n, 0.f);
    den[t] = s;
    mrow[t] = mx;
  }
  std::fill(out, out + n * dv, 0.f);
  prim::gemm_nn_acc(P.data(), in.ptr[V], out, static_cast<int>(n), dv, static_cast<int>(n));
  for (long t = 0; t < n; ++t) normalise(out + t * dv, dv, 1.f, den[t], mrow[t]);

  // The state the recurrence ends with. Its stabiliser m starts at 0 (the empty state), so unrolled
  // it is the max of every log weight igate_j + log f_{j+1} + ... + log f_{n-1} and of the empty
  // state's own log f_0 + ... + log f_{n-1}; C and n are the weighted sums in that frame.
  float seg = 0.f, mx = kNegInf;
  for (long j = n - 1; j >= 0; --j) {
    D[j] = seg + in.row(IG, j)[0];
    mx = std::max(mx, D[j]);
    seg += lf[j];
  }
  mx = std::max(mx, seg);
  for (long j = 0; j < n; ++j) D[j] -= mx;
  prim::exp_shifted(D.data(), static_cast<int>(n), 0.f);
  float* Cs = s.data.data();
  float* nv = Cs + static_cast<long>(dk) * dv;
  const float ksc = 1.f / std::sqrt(static_cast<float>(dk));
  std::vector<float> Kw(static_cast<size_t>(n) * dk);
  for (long j = 0; j < n; ++j) {
    const float wj = D[j] * ksc;
    const float* kj = in.row(K, j);
    for (int i = 0; i < dk; ++i) Kw[j * dk + i] = wj * kj[i];
    prim::axpy(1.f, Kw.data() + j * dk, nv, dk);
  }
  ATTNLAB_COUNT_MACS(n * dk);
  prim::gemm_tn_acc(Kw.data(), in.ptr[V], Cs, dk, dv, static_cast<int>(n));
  nv[dk] = mx;
}

void MLstm::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  const int dk = p.dk, dv = p.dv;
  const float ksc = 1.f / std::sqrt(static_cast<float>(dk));
  const float c = p.scale * ksc;
  float* C = s.data.data();
  float* nv = C + static_cast<long>(dk) * dv;
  float& m = nv[dk];
  const long B = std::max(1L, std::min<long>(chunk, n));
  std::vector<float> A(static_cast<size_t>(B * B)), Kw(static_cast<size_t>(B * dk));
  std::vector<float> b(static_cast<size_t>(B)), ig(static_cast<size_t>(B)), e(static_cast<size_t>(B));
  std::vector<float> mrow(static_cast<size_t>(B)), ginter(static_cast<size_t>(B)), den(static_cast<size_t>(B));
  std::vector<float> qn(static_cast<size_t>(B));
  ATTNLAB_COUNT_PEAK(B * B);
  for (long c0 = 0; c0 < n; c0 += B) {
    const long L = std::min(B, n - c0);
    const int Li = static_cast<int>(L);
    // b_i = log f over the chunk up to and including token i; chunk-local, so no long cumsum.
    float acc = 0.f;
    for (long i = 0; i < L; ++i) {
      acc += log_sigmoid(in.row(FG, c0 + i)[0]);
      b[i] = acc;
      ig[i] = in.row(IG, c0 + i)[0];
    }
    const float* Qc = in.row(Q, c0);
    const float* Kc = in.row(K, c0);
    const float* Vc = in.row(V, c0);
    prim::gemm_nt(Qc, Kc, A.data(), Li, Li, dk);
    for (long i = 0; i < L; ++i) {
      // Row stabiliser = max over every log weight row i sees: the carried state's (m + b_i) and
      // each in-chunk token's; unrolling the recurrent max shows this is m_t of the recurrence.
      // The exponents are then formed as (gate - max) + local sum, as in the recurrent step, so a
      // large m or igate does not round the small local sums away.
      float mx = m + b[i];
      for (long j = 0; j <= i; ++j) {
        e[j] = b[i] - b[j];
        mx = std::max(mx, e[j] + ig[j]);
      }
      for (long j = 0; j <= i; ++j) e[j] += ig[j] - mx;
      prim::exp_shifted(e.data(), static_cast<int>(i + 1), 0.f);
      float* r = A.data() + i * L;
      float sum = 0.f;
      for (long j = 0; j <= i; ++j) {
        r[j] *= c * e[j];
        sum += r[j];
      }
      ATTNLAB_COUNT_MACS(2 * (i + 1));
      std::fill(r + i + 1, r + L, 0.f);
      mrow[i] = mx;
      ginter[i] = p.scale * prim::exp((m - mx) + b[i]);
      den[i] = sum;
    }
    float* O = out + c0 * dv;
    std::fill(O, O + L * dv, 0.f);
    // Inter: what the carried state says about each query, brought to the row's stabiliser.
    prim::gemm_nn_acc(Qc, C, O, Li, dv, dk);
    prim::matvec(Qc, nv, qn.data(), Li, dk);
    for (long i = 0; i < L; ++i) {
      prim::scale(ginter[i], O + i * dv, dv);
      den[i] += ginter[i] * qn[i];
    }
    ATTNLAB_COUNT_MACS(L);
    prim::gemm_nn_acc(A.data(), Vc, O, Li, dv, Li);
    for (long i = 0; i < L; ++i) normalise(O + i * dv, dv, 1.f, den[i], mrow[i]);
    // State: the last row's stabiliser becomes the new m, and the exponents are that row's.
    const float mn = mrow[L - 1], bl = b[L - 1];
    const float gs = prim::exp((m - mn) + bl);
    prim::scale(gs, C, dk * dv);
    prim::scale(gs, nv, dk);
    for (long j = 0; j < L; ++j) {
      const float wj = prim::exp((bl - b[j]) + (ig[j] - mn)) * ksc;
      const float* kj = Kc + j * dk;
      for (int i = 0; i < dk; ++i) Kw[j * dk + i] = wj * kj[i];
      prim::axpy(wj, kj, nv, dk);
    }
    ATTNLAB_COUNT_MACS(L * dk);
    prim::gemm_tn_acc(Kw.data(), Vc, C, dk, dv, Li);
    m = mn;
  }
}

ATTNLAB_COLD void MLstm::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const int dk = p.dk, dv = p.dv;
  const double ksc = 1.0 / std::sqrt(static_cast<double>(dk)), scale = p.scale;
  double* C = s.data.data();
  double* nv = C + static_cast<long>(dk) * dv;
  double& m = nv[dk];
  for (long t = 0; t < n; ++t) {
    const float *q = in.row(Q, t), *k = in.row(K, t), *v = in.row(V, t);
    const double lf = log_sigmoid(static_cast<double>(in.row(FG, t)[0])), ig = in.row(IG, t)[0];
    const double m_new = std::max(lf + m, ig);
    const double fp = std::exp((m - m_new) + lf), ip = std::exp(ig - m_new) * ksc;
    for (int i = 0; i < dk; ++i) {
      for (int c = 0; c < dv; ++c) C[i * dv + c] = fp * C[i * dv + c] + ip * k[i] * v[c];
      nv[i] = fp * nv[i] + ip * k[i];
    }
    m = m_new;
    double qn = 0;
    for (int i = 0; i < dk; ++i) qn += scale * q[i] * nv[i];
    const double d = std::max(std::fabs(qn), std::exp(-m));
    for (int c = 0; c < dv; ++c) {
      double o = 0;
      for (int i = 0; i < dk; ++i) o += scale * q[i] * C[i * dv + c];
      out[t * dv + c] = o / d;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// mLSTM (mlstm.cpp), docs/variants.md §10. Each log sigmoid of a forget gate takes one exp.
// recurrent  per token dk (k i') + dk dv (f' C) + dk dv (write) + dk (f' n) + dk (n += k i')
//            + dk dv (read) + dk (n.q) + dv (normalise): n (3 dk dv + 4 dk + dv);
//            4 n exps (log sigmoid, f', i', the floor e^-m); state dk dv + dk + 1.
// parallel   n^2 dk (Q K^T, full) + 2 n(n+1)/2 (gate weights and row sums) + n^2 dv (full)
//            + n dv (normalise); exps n (log sigmoid) + n(n+1)/2 + n (floors); peak n^2. Final
//            state: n exps (weights), n dk (weighted keys) + n dk dv (C) + n dk (n).
// chunkwise  per chunk of L: L^2 (dk + dv) (full scores, scores x V) + L(L+1) (gate weights, sums)
//            + L dk dv + L dk (inter: Q C, Q n) + L dv + L (inter scale) + L dv (normalise)
//            + dk dv + dk (state decay) + 2 L dk (weighted keys, n update) + L dk dv (K^T V);
//            exps L(L+1)/2 + 4 L + 1; peak max(C^2, state).
void MLstm::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv;
  r->state_floats = dk * dv + dk + 1;
  r->state_formula = "dk dv + dk + 1";
  switch (c.form) {
    case Form::recurrent:
      elem(r, "gated key i' k / sqrt(dk)", n * dk, "n dk");
      term(r, "decay and write C, n", n * (2 * dk * dv + 2 * dk), "n (2 dk dv + 2 dk)");
      term(r, "read C^T q, n.q", n * (dk * dv + dk), "n (dk dv + dk)");
      elem(r, "normalise", n * dv, "n dv");
      r->exps = 4 * n;
      r->exps_formula = "4 n";
      r->peak_floats = r->state_floats;
      r->peak_formula = r->state_formula;
      return;
    case Form::parallel:
      term(r, "scores Q K^T", n * n * dk, "n^2 dk");
      term(r, "gate weights and row sums", 2 * tri(n), "n(n+1)");
      term(r, "weights x values", n * n * dv, "n^2 dv");
      elem(r, "normalise", n * dv, "n dv");
      elem(r, "final state: weighted keys", n * dk, "n dk");
      term(r, "final state K_w^T V, n = sum of K_w", n * dk * dv + n * dk, "n dk dv + n dk");
      r->exps = tri(n) + 3 * n;
      r->exps_formula = "n(n+1)/2 + 3 n";
      r->peak_floats = n * n;
      r->peak_formula = "n^2";
      return;
    case Form::chunkwise: {
      const Chunks ch(c.n, c.chunk);
      const double sq = ch.squares(), nc = ch.count();
      term(r, "intra-chunk: scores and scores x values", sq * (dk + dv) + sq + n, "sum L^2 (dk + dv) + L(L+1)");
      term(r, "inter-chunk: read carried state", n * (dk * dv + dk + dv + 1), "n (dk dv + dk + dv + 1)");
      elem(r, "normalise", n * dv, "n dv");
      term(r, "state update", nc * (dk * dv + dk) + n * (2 * dk + dk * dv), "chunks (dk dv + dk) + n (2 dk + dk dv)");
      r->exps = (sq + n) / 2 + 4 * n + nc;
      r->exps_formula = "sum L(L+1)/2 + 4 n + chunks";
      r->peak_floats = std::max(ch.B * ch.B, r->state_floats);
      r->peak_formula = "max(chunk^2, dk dv + dk + 1)";
      return;
    }
  }
}

}  // namespace attnlab
