#include "variants/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/kernels.hpp"
#include "core/primitives.hpp"
#include "variants/sliding_window.hpp"

namespace attnlab {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
enum { Q, K, V };

// Reused scratch so that a step does not allocate (the core is single-threaded).
float* scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// F(x) = sum_{u<x} floor(u / B): the chunk indices of the first x tokens, summed (cost model).
double floor_sum(double x, double B) {
  if (x <= 0) return 0;
  const double q = std::floor(x / B), rem = x - q * B;
  return B * q * (q - 1) / 2 + rem * q;
}

// Keys seen by all n rows of causal attention limited to the last w tokens: sum_t min(t+1, w).
double band(double n, double w) { return n <= w ? costs::tri(n) : costs::tri(w) + (n - w) * w; }

// First key token t may see.
long first_key(const Softmax::Params& p, long t) { return p.window > 0 ? std::max(0L, t - p.window + 1) : 0; }

// Appends the rows [k_t, v_t] the recurrent form holds after tokens 0..n-1 (the last `window` of them
// for sliding windows) to the cache s, so that every form ends with the same state.
void keep_cache(const Softmax::Params& p, const Inputs& in, long n, State& s) {
  const long keep = p.window > 0 ? std::min(n, p.window) : n;
  for (long t = n - keep; t < n; ++t) {
    s.data.insert(s.data.end(), in.row(K, t), in.row(K, t) + p.dk);
    s.data.insert(s.data.end(), in.row(V, t), in.row(V, t) + p.dv);
  }
}

std::vector<InputSpec> qkv_inputs() {
  return {{"q", {"dk"}, true, -1e300, 1e300, false, false, "query"},
          {"k", {"dk"}, true, -1e300, 1e300, false, false, "key"},
          {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"}};
}

}  // namespace

ATTNLAB_COLD VariantInfo Softmax::info() {
  VariantInfo v;
  v.id = "softmax";
  v.name = "Softmax attention";
  v.family = "softmax";
  v.year = 2017;
  v.paper = "Vaswani et al. 2017, Attention Is All You Need";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = qkv_inputs();
  v.options = {scale_option(NAN, "multiplies q.k; default 1/sqrt(dk)")};
  v.state_dims = {"t", "dk+dv"};
  v.state_note = "KV cache: row j = [k_j, v_j], one row per token seen, oldest first";
  v.selective = false;
  v.forgetting = "none";
  v.recurrence = "cache += (k_t, v_t);  o_t = sum_j softmax_j(scale q_t.k_j) v_j";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status Softmax::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  // The one default that depends on the sizes (info() declares it NaN): 1/sqrt(dk).
  const double scale = cfg.num("scale");
  p->scale = static_cast<float>(std::isnan(scale) ? 1.0 / std::sqrt(static_cast<double>(p->dk)) : scale);
  p->window = 0;
  return {};
}

ATTNLAB_COLD double Softmax::workspace(const Params& p, long n, Form f, int chunk) {
  const double keep = p.window > 0 ? std::min(n, p.window) : n;
  const double cache = keep * (p.dk + p.dv);
  switch (f) {
    case Form::parallel: return p.window > 0 ? keep : static_cast<double>(n) * n;
    case Form::recurrent: return cache + keep;
    case Form::chunkwise: return cache + static_cast<double>(chunk) * chunk + static_cast<double>(chunk) * (p.dv + 2);
  }
  return 0;
}

ATTNLAB_COLD void Softmax::init_state(const Params&, State& s) { s.data.clear(); }

void Softmax::step(const Params& p, const Token& tok, State& s, float* out) {
  const long row = p.dk + p.dv;
  s.data.insert(s.data.end(), tok[K], tok[K] + p.dk);
  s.data.insert(s.data.end(), tok[V], tok[V] + p.dv);
  long m = static_cast<long>(s.data.size()) / row;
  if (p.window > 0 && m > p.window) {
    s.data.erase(s.data.begin(), s.data.begin() + (m - p.window) * row);
    m = p.window;
  }
  float* sc = scratch(static_cast<size_t>(m));
  float mx = kNegInf;
  for (long j = 0; j < m; ++j) {
    sc[j] = p.scale * prim::dot(tok[Q], s.data.data() + j * row, p.dk);
    mx = std::max(mx, sc[j]);
  }
  const float sum = prim::exp_shifted(sc, static_cast<int>(m), mx);
  std::fill(out, out + p.dv, 0.f);
  for (long j = 0; j < m; ++j) prim::axpy(sc[j] / sum, s.data.data() + j * row + p.dk, out, p.dv);
}

void Softmax::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  // The state handed on is the KV cache: no arithmetic, just the rows the recurrent form keeps.
  keep_cache(p, in, n, s);
  std::fill(out, out + n * p.dv, 0.f);
  if (p.window > 0) {
    // Banded: only the last `window` keys of each row exist, so there is no n x n matrix to build.
    float* sc = scratch(static_cast<size_t>(std::min(n, p.window)));
    ATTNLAB_COUNT_PEAK(std::min(n, p.window));
    for (long t = 0; t < n; ++t) {
      const long lo = first_key(p, t);
      float mx = kNegInf;
      for (long j = lo; j <= t; ++j) {
        sc[j - lo] = p.scale * prim::dot(in.row(Q, t), in.row(K, j), p.dk);
        mx = std::max(mx, sc[j - lo]);
      }
      const float sum = prim::exp_shifted(sc, static_cast<int>(t - lo + 1), mx);
      for (long j = lo; j <= t; ++j) prim::axpy(sc[j - lo] / sum, in.row(V, j), out + t * p.dv, p.dv);
    }
    return;
  }
  // The whole n x n score matrix, unmasked products included: this is the quadratic wall the
  // lesson counts (n^2 dk for Q K^T, n^2 dv for P V). Above the diagonal the weights are 0.
  std::vector<float> P(static_cast<size_t>(n) * n);
  ATTNLAB_COUNT_PEAK(static_cast<double>(n) * n);
  prim::gemm_nt(in.ptr[Q], in.ptr[K], P.data(), static_cast<int>(n), static_cast<int>(n), p.dk);
  for (long t = 0; t < n; ++t) {
    float* r = P.data() + t * n;
    float mx = kNegInf;
    for (long j = 0; j <= t; ++j) {
      r[j] *= p.scale;
      mx = std::max(mx, r[j]);
    }
    const float inv = 1.f / prim::exp_shifted(r, static_cast<int>(t + 1), mx);
    for (long j = 0; j <= t; ++j) r[j] *= inv;
    std::fill(r + t + 1, r + n, 0.f);
  }
  prim::gemm_nn_acc(P.data(), in.ptr[V], out, static_cast<int>(n), p.dv, static_cast<int>(n));
}

void Softmax::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  // FlashAttention: queries in blocks of `chunk`, keys streamed in blocks of `chunk`; each query row
  // keeps a running max m, normaliser l and accumulator a, rescaled by e^(m_old - m_new) whenever
  // the max rises. Key blocks entirely above the diagonal (or outside the window) are skipped. The
  // tiled kernel (core/kernels.hpp) holds the loops.
  ATTNLAB_COUNT_PEAK(static_cast<long>(chunk) * chunk);
  prim::causal_softmax(in.ptr[Q], in.ptr[K], in.ptr[V], out, n, p.dk, p.dv, p.scale, chunk, p.window);
  // The state after the chunkwise pass is the same cache the recurrent form would hold.
  keep_cache(p, in, n, s);
}

ATTNLAB_COLD void Softmax::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  const double scale = p.scale;
  std::vector<double> w;
  for (long t = 0; t < n; ++t) {
    const long lo = first_key(p, t);
    w.assign(static_cast<size_t>(t - lo + 1), 0.0);
    double mx = -INFINITY;
    for (long j = lo; j <= t; ++j) {
      double d = 0;
      for (int i = 0; i < p.dk; ++i) d += static_cast<double>(in.row(Q, t)[i]) * in.row(K, j)[i];
      w[j - lo] = scale * d;
      mx = std::max(mx, w[j - lo]);
    }
    double z = 0;
    for (auto& x : w) z += (x = std::exp(x - mx));
    for (int c = 0; c < p.dv; ++c) {
      double o = 0;
      for (long j = lo; j <= t; ++j) o += w[j - lo] * in.row(V, j)[c];
      out[t * p.dv + c] = o / z;
    }
  }
  const long keep = p.window > 0 ? std::min(n, p.window) : n;
  s.data.clear();
  for (long t = n - keep; t < n; ++t) {
    s.data.insert(s.data.end(), in.row(K, t), in.row(K, t) + p.dk);
    s.data.insert(s.data.end(), in.row(V, t), in.row(V, t) + p.dv);
  }
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// Softmax and sliding window (softmax.cpp), docs/variants.md §1.
//
// w = window when set (sliding_window), else w = n (the whole past; a window >= n is the same);
// row t sees c_t = min(t+1, w) keys, and band(n, w) = sum_t c_t (= n(n+1)/2 without a window).
//
// parallel, no window   gemm_nt builds the FULL n x n score matrix, gemm_nn_acc multiplies all of
//                       it by V (the upper triangle holds zeros): macs = n^2 dk + n^2 dv, exactly the
//                       lesson's count; exps = n(n+1)/2 (one per visible score); peak = n^2.
// parallel, window      banded: per row c_t dots of dk and c_t axpys of dv:
//                       macs = band(n,w) (dk + dv); exps = band(n,w); peak = min(n, w) (one row).
// recurrent             step t: c_t dots over the cache + c_t axpys: same macs and exps as banded;
//                       state = peak = min(n, w) (dk + dv) (the cache; the row scratch is smaller).
// chunkwise             FlashAttention over query blocks i and key blocks j of B = chunk tokens; key
//                       blocks wholly outside the window or above the diagonal are skipped, the
//                       rest are computed in full (the masked corner of the diagonal block too).
//                       With c = ceil((w-1)/B), query block i reads key blocks max(0, i-c)..i, so
//                       K = sum_i b_i (i1 - B max(0, i-c)) (query, key) pairs: over the q full blocks
//                       B^2 sum_{i<q} min(i+1, c+1), plus r (qB + r - B max(0, q-c)) for a tail of r.
//                       Each active (row, key block) pair rescales its accumulator (dv macs, and one
//                       exp unless it is the row's first block); row t is active from the block of its
//                       first visible key to its own: A = sum_t (floor(t/B) - floor(lo_t/B) + 1)
//                       = F(n) - F(n-w+1) + n with F(x) = sum_{u<x} floor(u/B).
//                       macs = K dk + K dv + A dv; exps = band(n,w) + A - n;
//                       peak = max(B^2, state), state = min(n, w)(dk + dv).
void Softmax::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), dk = p.dk, dv = p.dv;
  const bool windowed = p.window > 0;
  const double w = windowed ? std::min<double>(static_cast<double>(p.window), n) : n;
  const std::string wname = windowed ? "band(n,w)" : "n(n+1)/2";
  r->state_floats = std::min(n, w) * (dk + dv);
  r->state_formula = windowed ? "min(n, w) (dk + dv)" : "n (dk + dv)";
  switch (c.form) {
    case Form::parallel:
      if (!windowed) {
        term(r, "scores Q K^T", n * n * dk, "n^2 dk");
        term(r, "weights x values", n * n * dv, "n^2 dv");
        r->exps = tri(n);
        r->exps_formula = "n(n+1)/2";
        r->peak_floats = n * n;
        r->peak_formula = "n^2";
      } else {
        term(r, "scores q.k", band(n, w) * dk, "band(n,w) dk");
        term(r, "weights x values", band(n, w) * dv, "band(n,w) dv");
        r->exps = band(n, w);
        r->exps_formula = "band(n,w) = sum_t min(t+1, w)";
        r->peak_floats = std::min(n, w);
        r->peak_formula = "min(n, w)";
      }
      return;
    case Form::recurrent:
      term(r, "scores q.k", band(n, w) * dk, wname + " dk");
      term(r, "weights x values", band(n, w) * dv, wname + " dv");
      r->exps = band(n, w);
      r->exps_formula = wname;
      r->peak_floats = r->state_floats;
      r->peak_formula = r->state_formula;
      return;
    case Form::chunkwise: {
      const Chunks ch(c.n, c.chunk);
      const double B = ch.B, q = ch.q, rem = ch.r;
      const double cb = std::ceil((w - 1) / B);
      const double L = std::min(q, cb + 1);
      double K = B * B * (tri(L) + (q - L) * (cb + 1));
      if (rem > 0) K += rem * (q * B + rem - B * std::max(0.0, q - cb));
      const double A = floor_sum(n, B) - floor_sum(n - w + 1, B) + n;
      term(r, "scores Q_i K_j^T", K * dk, "K dk, K = (query, key) pairs in visited blocks");
      term(r, "weights x values", K * dv, "K dv");
      term(r, "online rescale", A * dv, "A dv, A = active (row, key block) pairs");
      r->exps = band(n, w) + A - n;
      r->exps_formula = wname + " + A - n";
      r->peak_floats = std::max(B * B, r->state_floats);
      r->peak_formula = "max(chunk^2, " + r->state_formula + ")";
      return;
    }
  }
}

}  // namespace attnlab
