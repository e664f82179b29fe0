#include "variants/linear.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "core/chunked.hpp"
#include "core/kernels.hpp"
#include "core/primitives.hpp"

namespace attnlab {

namespace {

enum { Q, K, V };

// Empty performer state: the running max starts here (e^{-1e38} = 0 in both precisions).
constexpr float kEmptyMax = -1e38f;
// Tokens per call of chunked::run in the chunkwise form (rounded to whole chunks), so that the
// feature buffers stay bounded however long the sequence is.
constexpr long kSegment = 1024;

// Reused scratch so that a step does not allocate (the core is single-threaded).
float* scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

bool is_performer(const Linear::Params& p) { return p.map.kind == fmap::Kind::performer; }

// Where each part of the state lives; -1 when absent.
struct Layout {
  long z = -1, M = -1, size = 0;
};

Layout layout(const Linear::Params& p) {
  Layout l;
  long off = p.map.m * p.dv;
  if (p.normalize) {
    l.z = off;
    off += p.map.m;
  }
  if (is_performer(p)) l.M = off++;
  l.size = off;
  return l;
}

// Turns the numerator in `o` into the output. shift = M + m_q for performer (the log of the factor
// that took the features to float-safe values), unused otherwise.
void finish(const Linear::Params& p, float* o, float den, float shift) {
  if (p.normalize) {
    float e = p.eps;
    if (is_performer(p)) e = std::max(prim::exp(p.log_eps - shift), FLT_MIN);
    prim::scale(1.f / (den + e), o, p.dv);
  } else if (is_performer(p)) {
    prim::scale(prim::exp(shift), o, p.dv);
  }
}

OptionSpec number(const char* name, double def, double lo, double hi, bool integer, const char* note) {
  OptionSpec o;
  o.name = name;
  o.def = def;
  o.lo = lo;
  o.hi = hi;
  o.integer = integer;
  o.note = note;
  return o;
}

}  // namespace

ATTNLAB_COLD VariantInfo Linear::info() {
  VariantInfo v;
  v.id = "linear";
  v.name = "Linear attention";
  v.family = "linear";
  v.year = 2020;
  v.paper = "Katharopoulos et al. 2020, Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention";
  v.forms = {Form::parallel, Form::recurrent, Form::chunkwise};
  v.sizes = {"dk", "dv"};
  v.inputs = {{"q", {"dk"}, true, -1e300, 1e300, false, false, "query"},
              {"k", {"dk"}, true, -1e300, 1e300, false, false, "key"},
              {"v", {"dv"}, true, -1e300, 1e300, false, false, "value"}};
  OptionSpec map;
  map.name = "featureMap";
  map.choices = fmap::names();
  map.text_def = "elu1";
  map.note = "φ applied to q and k: elu(x)+1, max(x,0), x, Based's Taylor-2 [1, x/dk^¼, x⊗x/(√2√dk)] or "
             "Performer FAVOR+ random features";
  OptionSpec norm;
  norm.name = "normalize";
  norm.def = NAN;
  norm.boolean = true;
  norm.note = "divide by φ(q)·z + eps; default true, except false for identity (its denominator changes sign)";
  v.options = {map,
               norm,
               number("eps", 1e-6, 1e-30, 1e30, false, "added to the normaliser"),
               scale_option(1, "multiplies q before φ"),
               number("features", 64, 1, 65536, true, "performer only: number of random features m"),
               number("seed", 0, 0, 1e15, true,
                      "performer only: the same seed draws the same features on every platform")};
  v.state_dims = {"m", "dv"};
  v.state_note =
      "S (m x dv, row-major), then z (m) when normalized, then for performer the running max M (1) of the keys' "
      "log-features, S and z being stored as S·e^-M and z·e^-M (empty: M = -1e38); m = dk for elu1, relu and "
      "identity, 1+dk+dk² for taylor2, features for performer";
  v.selective = false;
  v.forgetting = "none";
  v.recurrence = "S += φ(k) vᵀ;  z += φ(k);  o = Sᵀφ(q) / (φ(q)·z + eps)";
  v.default_chunk = 64;
  return v;
}

ATTNLAB_COLD Status Linear::params(const Config& cfg, Params* p) {
  p->dk = cfg.size("dk");
  p->dv = cfg.size("dv");
  fmap::Kind kind = fmap::Kind::elu1;
  fmap::parse(cfg.str("featureMap"), &kind);
  const double norm = cfg.num("normalize");
  p->normalize = std::isnan(norm) ? kind != fmap::Kind::identity : norm != 0;
  p->eps = static_cast<float>(cfg.num("eps"));
  p->log_eps = std::log(p->eps);
  p->scale = static_cast<float>(cfg.num("scale"));
  const long features = static_cast<long>(cfg.num("features"));
  // The state (and performer's projection) exist before any token: refuse what cannot fit at all.
  const double m = fmap::dim(kind, p->dk, features);
  const double floats = m * (p->dv + 1) + 1 + (kind == fmap::Kind::performer ? m * p->dk : 0);
  if (floats * 4 > kMemoryBudgetBytes) {
    const std::string what = kind == fmap::Kind::taylor2 ? "dk" : kind == fmap::Kind::performer ? "features" : "dv";
    return range_error(what, "featureMap '" + fmap::names()[static_cast<int>(kind)] + "' gives m = " + fmt(m) +
                                 " features; the state alone needs about " + fmt(std::ceil(floats * 4 / 1048576)) +
                                 " MiB, over the module's budget of " + fmt(kMemoryBudgetBytes / 1048576) + " MiB");
  }
  p->map = fmap::Map::make(kind, p->dk, features, static_cast<std::uint64_t>(cfg.num("seed")));
  return {};
}

ATTNLAB_COLD double Linear::workspace(const Params& p, long n, Form f, int chunk) {
  const double m = static_cast<double>(p.map.m), dk = p.dk, dv = p.dv, w = dv + (p.normalize ? 1 : 0);
  const double state = static_cast<double>(layout(p).size);
  const double omega = static_cast<double>(p.map.omega.size());
  switch (f) {
    case Form::parallel:
      return omega + static_cast<double>(n) * n + n * (2 * m + 2 * w + dk + 3);
    case Form::recurrent:
      return omega + state + 2 * m + dk;
    case Form::chunkwise: {
      const long seg = std::min(n, std::max<long>(1, kSegment / chunk) * chunk);
      const auto decay = is_performer(p) ? chunked::Decay::scalar : chunked::Decay::none;
      return omega + state + m * w + seg * (2 * m + 2 * w + dk + 4) +
             chunked::workspace(seg, static_cast<int>(p.map.m), static_cast<int>(w), chunk, decay);
    }
  }
  return 0;
}

ATTNLAB_COLD void Linear::init_state(const Params& p, State& s) {
  const Layout l = layout(p);
  s.data.assign(static_cast<size_t>(l.size), 0.f);
  if (l.M >= 0) s.data[l.M] = kEmptyMax;
}

void Linear::step(const Params& p, const Token& tok, State& s, float* out) {
  const Layout l = layout(p);
  const int m = static_cast<int>(p.map.m), dv = p.dv;
  float* S = s.data.data();
  float* z = l.z >= 0 ? S + l.z : nullptr;
  float* buf = scratch(static_cast<size_t>(2 * m + p.dk));
  float* pk = buf;
  float* pq = buf + m;
  float* work = buf + 2 * m;
  ATTNLAB_COUNT_PEAK(static_cast<double>(m) * dv);
  const float sk = p.map.apply(tok[K], 1.f, pk, work);
  float M = 0.f;
  if (l.M >= 0) {
    M = S[l.M];
    if (sk > M) {
      // The new key sets the frame: what is stored shrinks by e^{M_old − M_new} (0 from empty).
      const float c = prim::exp(M - sk);
      prim::scale(c, S, m * dv);
      if (z) prim::scale(c, z, m);
      M = S[l.M] = sk;
    } else {
      prim::scale(prim::exp(sk - M), pk, m);
    }
  }
  const float sq = p.map.apply(tok[Q], p.scale, pq, work);
  // S += φ(k) vᵀ and o = Sᵀφ(q) in one pass over S.
  prim::update_read(S, pk, tok[V], pq, out, m, dv);
  if (z) prim::axpy(1.f, pk, z, m);
  finish(p, out, z ? prim::dot(pq, z, m) : 0.f, M + sq);
}

void Linear::parallel(const Params& p, const Inputs& in, long n, State& s, float* out) {
  const long m = p.map.m;
  const int dv = p.dv, w = dv + (p.normalize ? 1 : 0);
  const bool perf = is_performer(p);
  std::vector<float> pq(static_cast<size_t>(n * m)), pk(static_cast<size_t>(n * m));
  std::vector<float> sq(static_cast<size_t>(n)), sk(static_cast<size_t>(n)), Mt(static_cast<size_t>(n));
  std::vector<float> work(static_cast<size_t>(perf ? n * p.dk : p.dk));
  p.map.apply_rows(in.ptr[Q], in.width[Q], n, p.scale, pq.data(), sq.data(), work.data());
  p.map.apply_rows(in.ptr[K], in.width[K], n, 1.f, pk.data(), sk.data(), work.data());

  // Every product, masked ones included: the n x n matrix the lesson counts.
  std::vector<float> A(static_cast<size_t>(n) * n);
  ATTNLAB_COUNT_PEAK(static_cast<double>(n) * n);
  prim::gemm_nt(pq.data(), pk.data(), A.data(), static_cast<int>(n), static_cast<int>(n), static_cast<int>(m));
  float M = kEmptyMax;
  for (long t = 0; t < n; ++t) {
    float* row = A.data() + t * n;
    if (perf) {
      // Key j's features are relative to its own largest one; the row reads them in the frame of
      // the running max at t, like the recurrence: e^{m_j − M_t} <= 1, computed only for j <= t.
      M = std::max(M, sk[t]);
      Mt[t] = M;
      for (long j = 0; j <= t; ++j) row[j] *= prim::exp(sk[j] - M);
      ATTNLAB_COUNT_MACS(t + 1);
    }
    std::fill(row + t + 1, row + n, 0.f);
  }

  // The normaliser is the product of A with a column of ones: append it to V.
  const float* Vw = in.ptr[V];
  std::vector<float> vw, ow;
  float* o = out;
  if (p.normalize) {
    vw.assign(static_cast<size_t>(n * w), 1.f);
    for (long t = 0; t < n; ++t) std::copy(in.row(V, t), in.row(V, t) + dv, vw.data() + t * w);
    ow.assign(static_cast<size_t>(n * w), 0.f);
    Vw = vw.data();
    o = ow.data();
  } else {
    std::fill(out, out + n * dv, 0.f);
  }
  prim::gemm_nn_acc(A.data(), Vw, o, static_cast<int>(n), w, static_cast<int>(n));
  for (long t = 0; t < n; ++t) {
    float* ot = out + t * dv;
    if (p.normalize) std::copy(o + t * w, o + t * w + dv, ot);
    finish(p, ot, p.normalize ? o[t * w + dv] : 0.f, perf ? Mt[t] + sq[t] : 0.f);
  }

  // The state the recurrence ends with: S = φ(K)ᵀ V and z = the sum of the φ(k_j). Performer
  // stores them in the frame of the largest key log-feature M, as the recurrence does, so each key
  // row is first brought from its own frame into that one (e^{m_j − M} <= 1).
  const Layout l = layout(p);
  float* S = s.data.data();
  if (perf) {
    const float Mn = Mt[n - 1];
    for (long j = 0; j < n; ++j) prim::scale(prim::exp(sk[j] - Mn), pk.data() + j * m, static_cast<int>(m));
    S[l.M] = Mn;
  }
  prim::gemm_tn_acc(pk.data(), in.ptr[V], S, static_cast<int>(m), dv, static_cast<int>(n));
  if (l.z >= 0)
    for (long j = 0; j < n; ++j) prim::axpy(1.f, pk.data() + j * m, S + l.z, static_cast<int>(m));
}

void Linear::chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out) {
  const Layout l = layout(p);
  const long m = p.map.m;
  const int dv = p.dv, w = dv + (p.normalize ? 1 : 0);
  const bool perf = is_performer(p);

  // Our state -> the machinery's m x (dv+1) state [S | z]: z is the value column of ones' sum.
  std::vector<float> St(static_cast<size_t>(m * w));
  for (long i = 0; i < m; ++i) {
    std::copy(s.data.begin() + i * dv, s.data.begin() + (i + 1) * dv, St.begin() + i * w);
    if (p.normalize) St[i * w + dv] = s.data[l.z + i];
  }
  float M = perf ? s.data[l.M] : 0.f;

  const long seg = std::min(n, std::max<long>(1, kSegment / chunk) * chunk);
  std::vector<float> pq(static_cast<size_t>(seg * m)), pk(static_cast<size_t>(seg * m));
  std::vector<float> sq(static_cast<size_t>(seg)), sk(static_cast<size_t>(seg)), g(static_cast<size_t>(seg)),
      Mt(static_cast<size_t>(seg));
  std::vector<float> work(static_cast<size_t>(perf ? seg * p.dk : p.dk));
  std::vector<float> vw(p.normalize ? static_cast<size_t>(seg * w) : 0), ow(vw.size());
  ATTNLAB_COUNT_PEAK(static_cast<double>(seg) * m);
  chunked::Scratch ws;

  for (long t0 = 0; t0 < n; t0 += seg) {
    const long len = std::min(seg, n - t0);
    p.map.apply_rows(in.row(Q, t0), in.width[Q], len, p.scale, pq.data(), sq.data(), work.data());
    p.map.apply_rows(in.row(K, t0), in.width[K], len, 1.f, pk.data(), sk.data(), work.data());
    if (perf) {
      // A rise of the running max is a scalar decay e^{M_{t-1} − M_t} of everything stored, and
      // each key enters in the frame of M_t. The floor keeps the empty-state jump (from -1e38 or
      // -inf) finite inside the machinery's sums while its exp is still exactly 0.
      for (long t = 0; t < len; ++t) {
        const float Mn = std::max(M, sk[t]);
        g[t] = std::max(M - Mn, -1e30f);
        if (sk[t] < Mn) prim::scale(prim::exp(sk[t] - Mn), pk.data() + t * m, static_cast<int>(m));
        M = Mt[t] = Mn;
      }
    }
    chunked::Problem pr;
    pr.n = len;
    pr.dk = static_cast<int>(m);
    pr.dv = w;
    pr.q = pq.data();
    pr.q_stride = m;
    pr.k = pk.data();
    pr.k_stride = m;
    pr.decay = perf ? chunked::Decay::scalar : chunked::Decay::none;
    pr.g = g.data();
    pr.g_stride = 1;
    float* o = out + t0 * dv;
    if (p.normalize) {
      for (long t = 0; t < len; ++t) {
        std::copy(in.row(V, t0 + t), in.row(V, t0 + t) + dv, vw.data() + t * w);
        vw[t * w + dv] = 1.f;
      }
      pr.v = vw.data();
      pr.v_stride = w;
      o = ow.data();
    } else {
      pr.v = in.row(V, t0);
      pr.v_stride = in.width[V];
    }
    chunked::run(pr, chunk, St.data(), o, ws);
    for (long t = 0; t < len; ++t) {
      float* ot = out + (t0 + t) * dv;
      if (p.normalize) std::copy(o + t * w, o + t * w + dv, ot);
      finish(p, ot, p.normalize ? o[t * w + dv] : 0.f, perf ? Mt[t] + sq[t] : 0.f);
    }
  }

  for (long i = 0; i < m; ++i) {
    std::copy(St.begin() + i * w, St.begin() + i * w + dv, s.data.begin() + i * dv);
    if (p.normalize) s.data[l.z + i] = St[i * w + dv];
  }
  if (perf) s.data[l.M] = M;
}

ATTNLAB_COLD void Linear::reference(const Params& p, const Inputs& in, long n, StateD& s, double* out) {
  // The textbook recurrence on the true features: no shift, no rescaling. Only the stored state is
  // expressed relative to the running max for performer, to match the layout the float forms keep.
  const Layout l = layout(p);
  const long m = p.map.m;
  const int dv = p.dv;
  const bool perf = is_performer(p);
  double M = perf ? s.data[l.M] : 0.0;
  const double unshift = perf ? std::exp(M) : 1.0;
  std::vector<double> S(static_cast<size_t>(m * dv)), z(static_cast<size_t>(m));
  for (long i = 0; i < m * dv; ++i) S[i] = s.data[i] * unshift;
  if (p.normalize)
    for (long i = 0; i < m; ++i) z[i] = s.data[l.z + i] * unshift;
  std::vector<double> pk(static_cast<size_t>(m)), pq(static_cast<size_t>(m));
  const double eps = p.eps, scale = p.scale;
  for (long t = 0; t < n; ++t) {
    M = std::max(M, p.map.apply_ref(in.row(K, t), 1.0, pk.data()));
    const float* v = in.row(V, t);
    for (long i = 0; i < m; ++i) {
      for (int c = 0; c < dv; ++c) S[i * dv + c] += pk[i] * v[c];
      z[i] += pk[i];
    }
    p.map.apply_ref(in.row(Q, t), scale, pq.data());
    double den = 0;
    for (long i = 0; i < m; ++i) den += pq[i] * z[i];
    for (int c = 0; c < dv; ++c) {
      double num = 0;
      for (long i = 0; i < m; ++i) num += pq[i] * S[i * dv + c];
      out[t * dv + c] = p.normalize ? num / (den + eps) : num;
    }
  }
  const double shift = perf ? std::exp(-M) : 1.0;
  for (long i = 0; i < m * dv; ++i) s.data[i] = S[i] * shift;
  if (p.normalize)
    for (long i = 0; i < m; ++i) s.data[l.z + i] = z[i] * shift;
  if (perf) s.data[l.M] = M;
}

// ---------------------------------------------------------------------------------------------
// Cost model (core/cost_terms.hpp): what each form executes, term by term.
//
// Linear attention (linear.cpp, feature_maps.cpp), docs/variants.md §2. m = feature dim (dk; taylor2
// 1 + dk + dk^2; performer `features`), z = 1 when normalised, W = dv + z (the normaliser rides
// as a value column of ones), P = 1 for performer.
// φ of one row: elu1 dk macs and up to dk exps (only inputs <= 0 take exp: data-dependent);
// relu, identity dk; taylor2 3 dk + dk^2; performer 3 dk + m dk macs and m exps.
// recurrent  2 n φ + n m dv (write) + n m dv (read) + z n 2m (z update, φ(q).z) + (z|P) n dv (output
//            scale) + P: n exps for the output shift, and each token either rescales the stored
//            state (m dv + z m macs, 1 exp: the running max rose) or its own features (m macs,
//            1 exp). Counted as if the max rose at every token; the first token always raises it,
//            so the data can save up to (n-1)(m dv + z m - m) macs.
//            state = m dv + z m + P; peak = state.
// parallel   2 n φ + n^2 m (φ(Q) φ(K)^T, full) + P n(n+1)/2 (frame e^{m_j - M_t}, one exp each)
//            + n^2 W (A [V | 1], full) + (z|P) n dv; exps + P n; peak n^2; then the final state
//            φ(K)^T [V | 1]: n m W (+ P n m to bring each key into the state's frame, P n exps).
// chunkwise  segments of s = min(n, max(1, 1024 / C) C) tokens through chunked::run (dk -> m,
//            dv -> W, decay: P ? scalar per token : none, state carried), + 2 n φ + (z|P) n dv,
//            + P: tokens that do not raise the running max rescale their features (m macs, 1 exp;
//            at most n - 1 of them: counted as n - 1, the data can save them all).
//            peak = max(s m, C^2, state).
void Linear::cost(const Params& p, const CostCtx& c, CostResult* r) {
  using namespace costs;
  const double n = c.N(), m = static_cast<double>(p.map.m), dv = p.dv;
  const bool perf = p.map.kind == fmap::Kind::performer;
  const double z = p.normalize ? 1 : 0, P = perf ? 1 : 0, W = dv + z;
  const fmap::Work fm = fmap::work(p.map);
  r->state_floats = m * dv + z * m + P;
  r->state_formula = std::string("m dv") + (z ? " + m" : "") + (perf ? " + 1" : "");
  elem(r, "feature maps phi(q), phi(k)", 2 * n * fm.macs, "2 n phi");
  r->exps = 2 * n * fm.exps;
  r->exps_variable = 2 * n * fm.exps_variable;
  const double out_scale = (z || perf) ? n * dv : 0;
  switch (c.form) {
    case Form::recurrent:
      term(r, "write S += phi(k) v^T", n * m * dv, "n m dv");
      term(r, "read S^T phi(q)", n * m * dv, "n m dv");
      if (z) term(r, "normaliser z += phi(k), phi(q).z", 2 * n * m, "2 n m");
      if (perf) {
        term(r, "performer frame rescale", n * (m * dv + z * m), "n (m dv + z m), at most");
        r->macs_variable = (n - 1) * (m * dv + z * m - m);
        r->exps += 2 * n;
      }
      if (out_scale) elem(r, "output scale", out_scale, "n dv");
      r->exps_formula = perf ? "2 n phi + 2 n" : "2 n phi";
      r->peak_floats = r->state_floats;
      r->peak_formula = r->state_formula;
      return;
    case Form::parallel:
      term(r, "scores phi(Q) phi(K)^T", n * n * m, "n^2 m");
      if (perf) {
        term(r, "performer frame e^(m_j - M_t)", tri(n), "n(n+1)/2");
        r->exps += tri(n) + n;
      }
      term(r, z ? "weights x [V | 1]" : "weights x values", n * n * W, z ? "n^2 (dv + 1)" : "n^2 dv");
      if (out_scale) elem(r, "output scale", out_scale, "n dv");
      term(r, z ? "final state phi(K)^T [V | 1]" : "final state phi(K)^T V", n * m * W, z ? "n m (dv + 1)" : "n m dv");
      if (perf) {
        elem(r, "performer keys into the state's frame", n * m, "n m");
        r->exps += n;
      }
      r->exps_formula = perf ? "2 n phi + n(n+1)/2 + 2 n" : "2 n phi";
      r->peak_floats = n * n;
      r->peak_formula = "n^2";
      return;
    case Form::chunkwise: {
      const long C = c.chunk;
      const long seg = std::min<long>(c.n, std::max<long>(1, 1024 / C) * C);
      const chunked::WorkSpec s{m, W, perf ? chunked::Decay::scalar : chunked::Decay::none, false, false};
      chunked::Work w;
      w.add(chunked::work(s, seg, C, true), static_cast<double>(c.n / seg));
      if (c.n % seg) w.add(chunked::work(s, c.n % seg, C, true));
      chunked::add_terms(r, w);
      if (perf) {
        elem(r, "performer feature rescale", (n - 1) * m, "(n - 1) m, at most");
        r->macs_variable = (n - 1) * m;
        r->exps += (n - 1) + n;
        r->exps_variable += n - 1;
      }
      if (out_scale) elem(r, "output scale", out_scale, "n dv");
      r->exps_formula = perf ? "2 n phi + chunked + (n - 1) + n" : "2 n phi";
      r->peak_floats = std::max({static_cast<double>(seg) * m, w.peak, r->state_floats});
      r->peak_formula = "max(segment m, chunk^2, state)";
      return;
    }
  }
}

}  // namespace attnlab
