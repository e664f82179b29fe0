#include "lab/cost.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/api.hpp"
#include "lab/json_writer.hpp"

#if __has_include("variants/softmax.hpp")
#include "variants/softmax.hpp"
#endif
#if __has_include("variants/sliding_window.hpp")
#include "variants/sliding_window.hpp"
#endif
#if __has_include("variants/linear.hpp")
#include "variants/linear.hpp"
#endif
#if __has_include("variants/retnet.hpp")
#include "variants/retnet.hpp"
#endif
#if __has_include("variants/gla.hpp")
#include "variants/gla.hpp"
#endif
#if __has_include("variants/rwkv4.hpp")
#include "variants/rwkv4.hpp"
#endif
#if __has_include("variants/rwkv5.hpp")
#include "variants/rwkv5.hpp"
#endif
#if __has_include("variants/rwkv6.hpp")
#include "variants/rwkv6.hpp"
#endif
#if __has_include("variants/rwkv7.hpp")
#include "variants/rwkv7.hpp"
#endif
#if __has_include("variants/deltanet.hpp")
#include "variants/deltanet.hpp"
#endif
#if __has_include("variants/gated_deltanet.hpp")
#include "variants/gated_deltanet.hpp"
#endif
#if __has_include("variants/mamba.hpp")
#include "variants/mamba.hpp"
#endif
#if __has_include("variants/mamba2.hpp")
#include "variants/mamba2.hpp"
#endif
#if __has_include("variants/mlstm.hpp")
#include "variants/mlstm.hpp"
#endif

namespace attnlab {

namespace {

// ---------------------------------------------------------------------------------------------
// Shared arithmetic. Everything is a double holding an integer (exact below 2^53).

double tri(double n) { return n * (n + 1) / 2; }  // 1 + 2 + ... + n

// A sequence of n tokens cut into chunks of B: q full chunks and a tail of r tokens.
struct Chunks {
  double B, q, r;
  Chunks(long n, int chunk) : B(chunk), q(static_cast<double>(n / chunk)), r(static_cast<double>(n % chunk)) {}
  double count() const { return q + (r > 0 ? 1 : 0); }
  // sum over chunks of (chunk length)^2: the intra-chunk square, causal mask included
  double squares() const { return q * B * B + r * r; }
};

// F(x) = sum_{u<x} floor(u / B): the chunk indices of the first x tokens, summed.
double floor_sum(double x, double B) {
  if (x <= 0) return 0;
  const double q = std::floor(x / B), rem = x - q * B;
  return B * q * (q - 1) / 2 + rem * q;
}

// Keys seen by all n rows of causal attention limited to the last w tokens: sum_t min(t+1, w).
double band(double n, double w) { return n <= w ? tri(n) : tri(w) + (n - w) * w; }

struct Ctx {
  const Config& cfg;
  Sizes sizes;
  Form form = Form::recurrent;
  int chunk = 0;
  double n = 0;
};

// A part of the token-mixing work: products between tokens, or between a token and the state.
void term(CostResult* r, const std::string& name, double macs, const std::string& formula) {
  r->terms.push_back({name, macs, formula, true});
}
// Per-token elementwise work (feature maps, gates, step sizes, output scaling, skips): executed and
// counted, O(n d), but not part of the lesson's count of attention products.
void elem(CostResult* r, const std::string& name, double macs, const std::string& formula) {
  r->terms.push_back({name, macs, formula, false});
}

// ---------------------------------------------------------------------------------------------
// Softmax and sliding window (softmax.cpp), variants.md §1.
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
Status cost_softmax(const Ctx& c, const Softmax::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv;
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
      return {};
    case Form::recurrent:
      term(r, "scores q.k", band(n, w) * dk, wname + " dk");
      term(r, "weights x values", band(n, w) * dv, wname + " dv");
      r->exps = band(n, w);
      r->exps_formula = wname;
      r->peak_floats = r->state_floats;
      r->peak_formula = r->state_formula;
      return {};
    case Form::chunkwise: {
      const Chunks ch(c.sizes.n, c.chunk);
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
      return {};
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The chunkwise machinery shared by the decayed linear recurrences (core/chunked.hpp), counted per
// chunk of L tokens. dk, dv are the machinery's widths; the decay has w = 0, 1 or dk values per
// token; "constant" = one decay for every token (g_stride 0); rbw = read before write (RWKV-5/6).
// With T = L(L+1)/2 visible pairs (L(L-1)/2 reading before writing):
//   inter  (chunks that inherit a state)  L dk dv (gemm Q S) + L dk (queries decayed, if any decay)
//          exps L w (per token, unless constant)
//   intra  L^2 dk (gemm Q K^T, full; not for a per-key decay) + T (scalar decay mask)
//          or 2 dk T (per-key decay: q.e and the dot, per visible pair) + 2 dk L (rbw bonus)
//          + L^2 dv (gemm A V, full); exps T (scalar) or dk T (per key), unless constant
//   state  (chunks that hand a state on)  L dk dv (gemm K^T V) + dk dv (decay of S) + L dk (keys
//          decayed), the last two only with a decay; exps L w + w, unless constant
//   table  constant decay: (C+1) w macs and (C+1) w exps, once per call
// The parallel form (chunk = n, Problem::fresh) reads no state and writes the final one from zero:
// the state term without the dk dv decay of an incoming state and without its w exps. Peak: C x C,
// C = min(chunk, n).
enum class Dec { none, scalar, per_key };

struct ChunkedSpec {
  double dk = 0, dv = 0;
  Dec decay = Dec::none;
  bool constant = false;
  bool rbw = false;
};

struct ChunkedWork {
  double inter = 0, intra = 0, state = 0, table = 0, exps = 0, peak = 0;
  void add(const ChunkedWork& o, double times = 1) {
    inter += times * o.inter;
    intra += times * o.intra;
    state += times * o.state;
    table += times * o.table;
    exps += times * o.exps;
    peak = std::max(peak, o.peak);
  }
};

ChunkedWork chunk_work(const ChunkedSpec& s, double L, bool past, bool need, bool fresh = false) {
  const bool decayed = s.decay != Dec::none, per_key = s.decay == Dec::per_key;
  const double w = per_key ? s.dk : decayed ? 1 : 0;
  const double T = s.rbw ? L * (L - 1) / 2 : L * (L + 1) / 2;
  const bool moving = decayed && !s.constant;
  ChunkedWork c;
  if (past) {
    c.inter = L * s.dk * s.dv + (decayed ? L * s.dk : 0);
    c.exps += moving ? L * w : 0;
  }
  c.intra = (per_key ? 0 : L * L * s.dk) + (decayed && !per_key ? T : 0) + (per_key ? 2 * s.dk * T : 0) +
            (s.rbw ? 2 * s.dk * L : 0) + L * L * s.dv;
  c.exps += !moving ? 0 : per_key ? s.dk * T : T;
  if (need) {
    c.state = L * s.dk * s.dv + (decayed ? (fresh ? 0 : s.dk * s.dv) + L * s.dk : 0);
    c.exps += moving ? L * w + (fresh ? 0 : w) : 0;
  }
  return c;
}

ChunkedWork chunked_work(const ChunkedSpec& s, long n, long chunk, bool carried) {
  const long Cl = std::max(1L, std::min(chunk, n));
  const Chunks ch(n, static_cast<int>(Cl));
  const double C = ch.B, nch = ch.count(), last = ch.r > 0 ? ch.r : C;
  ChunkedWork w;
  if (carried) {
    w.add(chunk_work(s, C, true, true), ch.q);
    if (ch.r > 0) w.add(chunk_work(s, ch.r, true, true));
  } else if (nch == 1) {
    w.add(chunk_work(s, static_cast<double>(n), false, true, true));
  } else {
    w.add(chunk_work(s, C, false, true));
    w.add(chunk_work(s, C, true, true), nch - 2);
    w.add(chunk_work(s, last, true, false));
  }
  if (s.decay != Dec::none && s.constant) {
    const double width = s.decay == Dec::per_key ? s.dk : 1;
    w.table = (C + 1) * width;
    w.exps += (C + 1) * width;
  }
  w.peak = C * C;
  return w;
}

void add_chunked(CostResult* r, const ChunkedWork& w, const std::string& tag = "") {
  if (w.table) term(r, "decay table" + tag, w.table, "(C+1) w, w = decay values per token");
  if (w.inter) term(r, "inter-chunk: read carried state" + tag, w.inter, "per chunk L dk dv (+ L dk decayed queries)");
  term(r, "intra-chunk: masked scores x values" + tag, w.intra, "per chunk L^2 (dk + dv) (+ mask / per-key terms)");
  if (w.state) term(r, "state update" + tag, w.state, "per chunk L dk dv (+ dk dv + L dk with a decay)");
  r->exps += w.exps;
}

// ---------------------------------------------------------------------------------------------
// Linear attention (linear.cpp, feature_maps.cpp), variants.md §2. m = feature dim (dk; taylor2
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
#if __has_include("variants/linear.hpp")
struct MapWork {
  double macs = 0, exps = 0, exps_variable = 0;
};

MapWork map_work(const fmap::Map& mp) {
  const double dk = mp.dk, m = static_cast<double>(mp.m);
  switch (mp.kind) {
    case fmap::Kind::elu1: return {dk, dk, dk};
    case fmap::Kind::relu:
    case fmap::Kind::identity: return {dk, 0, 0};
    case fmap::Kind::taylor2: return {3 * dk + dk * dk, 0, 0};
    case fmap::Kind::performer: return {3 * dk + m * dk, m, 0};
  }
  return {};
}

Status cost_linear(const Ctx& c, const Linear::Params& p, CostResult* r) {
  const double n = c.n, m = static_cast<double>(p.map.m), dv = p.dv;
  const bool perf = p.map.kind == fmap::Kind::performer;
  const double z = p.normalize ? 1 : 0, P = perf ? 1 : 0, W = dv + z;
  const MapWork fm = map_work(p.map);
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
      return {};
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
      return {};
    case Form::chunkwise: {
      const long C = c.chunk;
      const long seg = std::min<long>(c.sizes.n, std::max<long>(1, 1024 / C) * C);
      const ChunkedSpec s{m, W, perf ? Dec::scalar : Dec::none, false, false};
      ChunkedWork w;
      w.add(chunked_work(s, seg, C, true), static_cast<double>(c.sizes.n / seg));
      if (c.sizes.n % seg) w.add(chunked_work(s, c.sizes.n % seg, C, true));
      add_chunked(r, w);
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
      return {};
    }
  }
  return {};
}
#endif

// A state of dk x dv and a form that runs chunked::run (parallel: one chunk of n, no state).
void chunked_forms(const Ctx& c, CostResult* r, const ChunkedSpec& s) {
  const bool parallel = c.form == Form::parallel;
  const ChunkedWork w = chunked_work(s, c.sizes.n, parallel ? c.sizes.n : c.chunk, !parallel);
  add_chunked(r, w);
  r->peak_floats = parallel ? w.peak : std::max(w.peak, r->state_floats);
  r->peak_formula = parallel ? "n^2" : "max(chunk^2, state)";
}

void matrix_state(CostResult* r, double dk, double dv) {
  r->state_floats = dk * dv;
  r->state_formula = "dk dv";
}

// ---------------------------------------------------------------------------------------------
// RetNet (retnet.cpp), variants.md §3. s = 1 when scale != 1.
// recurrent  n dk dv (decay gamma S) + n dk dv (write) + n dk dv (read) + s n dv; no exps.
// parallel   chunked::run, scalar constant decay, chunk n, fresh state: n^2 dk + n(n+1)/2 (mask)
//            + n^2 dv + (n+1) (table) + n dk dv + n dk (final state) + s n dv; exps n + 1; peak n^2.
// chunkwise  chunked::run, scalar constant decay, state carried, + s n dv; peak max(C^2, dk dv).
#if __has_include("variants/retnet.hpp")
Status cost_retnet(const Ctx& c, const RetNet::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    term(r, "decay gamma S", n * dk * dv, "n dk dv");
    term(r, "write S += k v^T", n * dk * dv, "n dk dv");
    term(r, "read S^T q", n * dk * dv, "n dk dv");
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
  } else {
    chunked_forms(c, r, {dk, dv, Dec::scalar, true, false});
  }
  if (p.scale != 1) elem(r, "output scale", n * dv, "n dv");
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// GLA (gla.cpp), variants.md §4. s = 1 when scale != 1.
// recurrent  n dk exps (e^g); n dk dv (row decay) + n dk dv (write) + n dk dv (read) + s n dv.
// parallel   chunked::run, per-key decay from the data, chunk n, fresh state: 2 dk n(n+1)/2 (q.e.k
//            per visible pair) + n^2 dv + n dk dv + n dk (final state); exps dk n(n+1)/2 + n dk;
//            + s n dv; peak n^2.
// chunkwise  chunked::run, per-key decay, state carried, + s n dv; peak max(C^2, dk dv).
#if __has_include("variants/gla.hpp")
Status cost_gla(const Ctx& c, const Gla::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    r->exps = n * dk;
    r->exps_formula = "n dk";
    term(r, "decay diag(e^g) S", n * dk * dv, "n dk dv");
    term(r, "write S += k v^T", n * dk * dv, "n dk dv");
    term(r, "read S^T q", n * dk * dv, "n dk dv");
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
  } else {
    chunked_forms(c, r, {dk, dv, Dec::per_key, false, false});
  }
  if (p.scale != 1) elem(r, "output scale", n * dv, "n dv");
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// RWKV-5 and RWKV-6 (rwkv6.cpp), variants.md §6. s = 1 when scale != 1. T' = n(n-1)/2 pairs j < t.
// recurrent  n dk dv (read) + 2 n dk (bonus r.(u k)) + n dv (bonus x v) + s n dv + n dk dv (decay)
//            + n dk dv (write); no exps.
// parallel   per pair j < t: dk exps and 2 dk macs (r.e.k, built element by element: the decay
//            product has no matmul form) + 2 n dk (bonus on the diagonal) + n^2 dv (A V, full);
//            peak n^2. (The scale multiplies each weight in place and is not a multiply-add.)
//            Final state: n dk exps and n dk macs (keys decayed to the end) + n dk dv (gemm).
// chunkwise  chunked::run, per-key decay, read before write, state carried; RWKV-5's decay is the
//            same at every token (a table of (C+1) dk exps), RWKV-6's is per token; + s n dv.
#if __has_include("variants/rwkv6.hpp")
Status cost_rwkv6(const Ctx& c, const Rwkv6::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv;
  matrix_state(r, dk, dv);
  const bool scaled = p.scale != 1.f;
  switch (c.form) {
    case Form::recurrent:
      term(r, "read S^T r", n * dk * dv, "n dk dv");
      term(r, "bonus (r.(u k)) v", n * (2 * dk + dv), "n (2 dk + dv)");
      term(r, "decay diag(w) S", n * dk * dv, "n dk dv");
      term(r, "write S += k v^T", n * dk * dv, "n dk dv");
      if (scaled) elem(r, "output scale", n * dv, "n dv");
      r->peak_floats = r->state_floats;
      r->peak_formula = r->state_formula;
      return {};
    case Form::parallel: {
      const double pairs = n * (n - 1) / 2;
      term(r, "decayed scores r.(w..w) k, j < t", 2 * dk * pairs, "2 dk n(n-1)/2");
      term(r, "bonus r.(u k) on the diagonal", 2 * dk * n, "2 dk n");
      term(r, "weights x values", n * n * dv, "n^2 dv");
      elem(r, "final state: keys decayed to the end", n * dk, "n dk");
      term(r, "final state (K decayed)^T V", n * dk * dv, "n dk dv");
      r->exps = dk * pairs + n * dk;
      r->exps_formula = "dk n(n-1)/2 + n dk";
      r->peak_floats = n * n;
      r->peak_formula = "n^2";
      return {};
    }
    case Form::chunkwise:
      chunked_forms(c, r, {dk, dv, Dec::per_key, p.static_w, true});
      if (scaled) elem(r, "output scale", n * dv, "n dv");
      return {};
  }
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// RWKV-4 (rwkv4.cpp), variants.md §5; C channels, everything per channel.
// recurrent  6 n C macs, 4 n C exps (the stable (a, b, p) step); state 3 C.
// parallel   per channel and row t: t macs ((t-1-i) w + k_i), t + 1 exps, a dot of t + 1:
//            C n^2 macs, C n(n+1)/2 exps; peak n (one row of exponents). The final state is one
//            more row (t = n, no bonus): 2 C n macs, C n exps.
#if __has_include("variants/rwkv4.hpp")
Status cost_rwkv4(const Ctx& c, const Rwkv4::Params& p, CostResult* r) {
  const double n = c.n, C = p.C;
  r->state_floats = 3 * C;
  r->state_formula = "3 C";
  if (c.form == Form::parallel) {
    term(r, "exponents and weighted sums", C * n * n, "C n^2");
    term(r, "final state (a, b, p): one more row without the bonus", 2 * C * n, "2 C n");
    r->exps = C * tri(n) + C * n;
    r->exps_formula = "C n(n+1)/2 + C n";
    r->peak_floats = n;
    r->peak_formula = "n";
  } else {
    term(r, "stable (a, b, p) step", 6 * n * C, "6 n C");
    r->exps = 4 * n * C;
    r->exps_formula = "4 n C";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
  }
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// The delta-rule chunk forms (core/wy_chunk.cpp), per chunk of m tokens (C = min(chunk, n); the
// parallel form is one chunk of n that writes the final state from zero). s = 1 when a state is
// carried in.
//
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

// DeltaNet and gated DeltaNet (deltanet.cpp); g = 1 when gated, sc = 1 when scale != 1.
// recurrent  g n dk dv (decay) + n dk dv (S^T k) + n dv (u = beta (v - .)) + n dk dv (write)
//            + n dk dv (read) + sc n dv; exps g n.
// chunk of m g: m exps, 2 m (decay prefix and suffix products)
//            right side  s (m dk dv + 2 m dv) or m dv
//            scores      2 m^2 dk (K K^T, Q K^T, full) + g 2 m(m+1) (decay factors) + m(m-1)/2 (beta rows)
//            solve       m(m-1)/2 dv (unit lower forward substitution)
//            inter       s (m dk dv + g m dv);  scores x U  m^2 dv;  sc m dv
//            state       m dk dv + g (s dk dv + m dk)   (the parallel form writes it from zero)
//            peak C^2 (and the dk dv state when carried).
#if __has_include("variants/deltanet.hpp")
Status cost_deltanet(const Ctx& c, const DeltaNet::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv, g = p.gated ? 1 : 0, sc = p.scale != 1.f ? 1 : 0;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    if (g) term(r, "decay e^g S", n * dk * dv, "n dk dv");
    term(r, "read S^T k", n * dk * dv, "n dk dv");
    elem(r, "delta u = beta (v - S^T k)", n * dv, "n dv");
    term(r, "write S += k u^T", n * dk * dv, "n dk dv");
    term(r, "read S^T q", n * dk * dv, "n dk dv");
    if (sc) elem(r, "output scale", n * dv, "n dv");
    r->exps = g * n;
    r->exps_formula = g ? "n" : "0";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return {};
  }
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.sizes.n, carried ? c.chunk : static_cast<int>(c.sizes.n));
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
  return {};
}
#endif

// RWKV-7 (rwkv7.cpp); sc = 1 when scale != 1.
// recurrent  n dk dv (kappa^T S) + n dk dv (decay) + n dk (c = -kappa a) + n dk dv (removal)
//            + n dk dv (write) + n dk dv (read) + sc n dv; no exps.
// chunk of m (DPLR form): m dk (c = kappa a) + m dk (decay prefix products)
//            + 2 G(m, strict) + 2 G(m, inclusive) dk-scores (dplr_gram) + m(m-1)/2 dv (solve)
//            + 3 m^2 dv (scores x V, scores x V, scores x X) + sc m dv
//            + s (2 m dk + 2 m dk dv) (start state read twice)
//            + m dk + s dk dv + 2 m dk + 2 m dk dv (suffix products, decay of a carried state, two
//              updates; the parallel form writes the final state from zero)
//            no exps (w is a factor, not a log); peak C^2 (and dk dv when carried).
#if __has_include("variants/rwkv7.hpp")
Status cost_rwkv7(const Ctx& c, const Rwkv7::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv, sc = p.scale != 1.f ? 1 : 0;
  matrix_state(r, dk, dv);
  if (c.form == Form::recurrent) {
    term(r, "read kappa^T S", n * dk * dv, "n dk dv");
    term(r, "decay diag(w) S", n * dk * dv, "n dk dv");
    elem(r, "removal key c = -kappa a", n * dk, "n dk");
    term(r, "removal S += c x^T", n * dk * dv, "n dk dv");
    term(r, "write S += k v^T", n * dk * dv, "n dk dv");
    term(r, "read S^T r", n * dk * dv, "n dk dv");
    if (sc) elem(r, "output scale", n * dv, "n dv");
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return {};
  }
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.sizes.n, carried ? c.chunk : static_cast<int>(c.sizes.n));
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
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// Mamba (mamba.cpp), variants.md §9; D channels of N states.
// recurrent  per token and channel: N (Delta A) + N (decay) + N (write) + N (read C.h) + 2 (Delta u,
//            Dskip u): n D (4N + 2) macs, n D N exps; state D N.
// parallel / chunkwise  blocks of min(chunk, n) tokens (parallel: one block of n); per block of L
//            and channel: L (N + 1) (Delta A, Delta u) + chunked::run with dk = N, dv = 1, per-key
//            decay, one chunk of L (parallel: no state) + L (Dskip); peak L^2 (and D N when carried).
#if __has_include("variants/mamba.hpp")
Status cost_mamba(const Ctx& c, const Mamba::Params& p, CostResult* r) {
  const double n = c.n, D = p.D, N = p.N;
  r->state_floats = D * N;
  r->state_formula = "D N";
  if (c.form == Form::recurrent) {
    elem(r, "Delta A, Delta u, Dskip u", n * D * (N + 2), "n D (N + 2)");
    term(r, "decay, write, read C.h", n * D * 3 * N, "3 n D N");
    r->exps = n * D * N;
    r->exps_formula = "n D N";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return {};
  }
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.sizes.n, carried ? c.chunk : static_cast<int>(c.sizes.n));
  const ChunkedSpec s{N, 1, Dec::per_key, false, false};
  ChunkedWork w;
  w.add(chunked_work(s, static_cast<long>(ch.B), static_cast<long>(ch.B), carried), ch.q * D);
  if (ch.r > 0) w.add(chunked_work(s, static_cast<long>(ch.r), static_cast<long>(ch.r), carried), D);
  elem(r, "Delta A, Delta u, Dskip u", n * D * (N + 2), "n D (N + 2)");
  add_chunked(r, w, " (per channel)");
  r->peak_floats = carried ? std::max(w.peak, r->state_floats) : w.peak;
  r->peak_formula = carried ? "max(chunk^2, D N)" : "n^2";
  return {};
}
#endif

// Mamba-2 (mamba2.cpp), variants.md §9; state N x P, d = 1 when Dskip != 0.
// recurrent  per token 1 (Delta A) + N P (decay) + P (Delta x) + N P (write) + N P (read) + d P;
//            1 exp.
// parallel / chunkwise  blocks of min(chunk, n) (parallel: one block of n): n (P + 1) (Delta x,
//            Delta A) + chunked::run per block (dk = N, dv = P, scalar decay per token, one chunk
//            of L; parallel: no state) + d n P; peak L^2 (and N P when carried).
#if __has_include("variants/mamba2.hpp")
Status cost_mamba2(const Ctx& c, const Mamba2::Params& p, CostResult* r) {
  const double n = c.n, N = p.N, P = p.P, d = p.Dskip != 0 ? 1 : 0;
  r->state_floats = N * P;
  r->state_formula = "N P";
  if (c.form == Form::recurrent) {
    elem(r, "Delta A, Delta x", n * (1 + P), "n (1 + P)");
    term(r, "decay e^(Delta A) h", n * N * P, "n N P");
    term(r, "write h += B (Delta x)^T", n * N * P, "n N P");
    term(r, "read h^T C", n * N * P, "n N P");
    if (d) elem(r, "skip Dskip x", n * P, "n P");
    r->exps = n;
    r->exps_formula = "n";
    r->peak_floats = r->state_floats;
    r->peak_formula = r->state_formula;
    return {};
  }
  const bool carried = c.form == Form::chunkwise;
  const Chunks ch(c.sizes.n, carried ? c.chunk : static_cast<int>(c.sizes.n));
  const ChunkedSpec s{N, P, Dec::scalar, false, false};
  ChunkedWork w;
  w.add(chunked_work(s, static_cast<long>(ch.B), static_cast<long>(ch.B), carried), ch.q);
  if (ch.r > 0) w.add(chunked_work(s, static_cast<long>(ch.r), static_cast<long>(ch.r), carried));
  elem(r, "Delta x, Delta A", n * (P + 1), "n (P + 1)");
  add_chunked(r, w);
  if (d) elem(r, "skip Dskip x", n * P, "n P");
  r->peak_floats = carried ? std::max(w.peak, r->state_floats) : w.peak;
  r->peak_formula = carried ? "max(chunk^2, N P)" : "n^2";
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// mLSTM (mlstm.cpp), variants.md §10. Each log sigmoid of a forget gate takes one exp.
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
#if __has_include("variants/mlstm.hpp")
Status cost_mlstm(const Ctx& c, const MLstm::Params& p, CostResult* r) {
  const double n = c.n, dk = p.dk, dv = p.dv;
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
      return {};
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
      return {};
    case Form::chunkwise: {
      const Chunks ch(c.sizes.n, c.chunk);
      const double sq = ch.squares(), nc = ch.count();
      term(r, "intra-chunk: scores and scores x values", sq * (dk + dv) + sq + n, "sum L^2 (dk + dv) + L(L+1)");
      term(r, "inter-chunk: read carried state", n * (dk * dv + dk + dv + 1), "n (dk dv + dk + dv + 1)");
      elem(r, "normalise", n * dv, "n dv");
      term(r, "state update", nc * (dk * dv + dk) + n * (2 * dk + dk * dv), "chunks (dk dv + dk) + n (2 dk + dk dv)");
      r->exps = (sq + n) / 2 + 4 * n + nc;
      r->exps_formula = "sum L(L+1)/2 + 4 n + chunks";
      r->peak_floats = std::max(ch.B * ch.B, r->state_floats);
      r->peak_formula = "max(chunk^2, dk dv + dk + 1)";
      return {};
    }
  }
  return {};
}
#endif

// ---------------------------------------------------------------------------------------------
// Dispatch: one entry per variant id, each resolving the variant's own Params first (the same
// call the registry made when it validated them).

template <class V, class P>
Status with_params(const Ctx& c, Status (*fn)(const Ctx&, const P&, CostResult*), CostResult* r) {
  typename V::Params p;
  Status st = V::params(c.cfg, &p);
  if (!st.empty()) return st;
  return fn(c, p, r);
}

Status dispatch(const std::string& id, const Ctx& c, CostResult* r) {
#if __has_include("variants/softmax.hpp")
  if (id == "softmax") return with_params<Softmax>(c, cost_softmax, r);
#endif
#if __has_include("variants/sliding_window.hpp")
  if (id == "sliding_window") return with_params<SlidingWindow>(c, cost_softmax, r);
#endif
#if __has_include("variants/linear.hpp")
  if (id == "linear") return with_params<Linear>(c, cost_linear, r);
#endif
#if __has_include("variants/retnet.hpp")
  if (id == "retnet") return with_params<RetNet>(c, cost_retnet, r);
#endif
#if __has_include("variants/gla.hpp")
  if (id == "gla") return with_params<Gla>(c, cost_gla, r);
#endif
#if __has_include("variants/rwkv4.hpp")
  if (id == "rwkv4") return with_params<Rwkv4>(c, cost_rwkv4, r);
#endif
#if __has_include("variants/rwkv5.hpp")
  if (id == "rwkv5") return with_params<Rwkv5>(c, cost_rwkv6, r);
#endif
#if __has_include("variants/rwkv6.hpp")
  if (id == "rwkv6") return with_params<Rwkv6>(c, cost_rwkv6, r);
#endif
#if __has_include("variants/rwkv7.hpp")
  if (id == "rwkv7") return with_params<Rwkv7>(c, cost_rwkv7, r);
#endif
#if __has_include("variants/deltanet.hpp")
  if (id == "deltanet") return with_params<DeltaNet>(c, cost_deltanet, r);
#endif
#if __has_include("variants/gated_deltanet.hpp")
  if (id == "gated_deltanet") return with_params<GatedDeltaNet>(c, cost_deltanet, r);
#endif
#if __has_include("variants/mamba.hpp")
  if (id == "mamba") return with_params<Mamba>(c, cost_mamba, r);
#endif
#if __has_include("variants/mamba2.hpp")
  if (id == "mamba2") return with_params<Mamba2>(c, cost_mamba2, r);
#endif
#if __has_include("variants/mlstm.hpp")
  if (id == "mlstm") return with_params<MLstm>(c, cost_mlstm, r);
#endif
  return range_error("id", "no cost model for variant '" + id + "'");
}

}  // namespace

Status cost(const std::string& id, const Config& cfg, CostResult* out) {
  const Entry* e = find_variant(id);
  if (!e) return range_error("id", "unknown variant '" + id + "'; expected one of " + variant_ids());
  Ctx c{cfg, {}, Form::recurrent, 0, 0};
  std::unique_ptr<Bound> bound;
  Status st = validate_config(*e, cfg, true, &c.sizes, &c.form, &c.chunk, &bound);
  if (!st.empty()) return st;
  c.n = static_cast<double>(c.sizes.n);
  CostResult r;
  r.id = id;
  r.form = c.form;
  r.n = c.sizes.n;
  r.chunk = c.form == Form::chunkwise ? c.chunk : 0;
  st = dispatch(id, c, &r);
  if (!st.empty()) return st;
  if (r.exps_formula.empty()) r.exps_formula = "0";
  for (const CostTerm& t : r.terms) {
    r.executed_macs += t.macs;
    if (t.mixing) r.macs += t.macs;
  }
  r.flops = 2 * r.macs;
  // The memory a real run would take, charged as Call::run charges it against the budget.
  double floats = 0;
  for (const InputSpec& s : e->info.inputs) floats += static_cast<double>(input_length(s, c.sizes, true));
  r.workspace_floats = bound->workspace(c.sizes.n, c.form, c.chunk);
  floats += c.n * bound->out_width() + r.workspace_floats;
  r.run_bytes = floats * kBytesPerFloat;
  r.fits_budget = r.run_bytes <= kMemoryBudgetBytes;
  *out = std::move(r);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Chapter 2: both orders of the same three-matrix product, without a causal mask.

Status two_orders(long n, long dk, long dv, TwoOrders* out) {
  const struct {
    const char* name;
    long v;
    double max;
  } sizes[] = {{"n", n, kMaxLength}, {"dk", dk, kMaxDim}, {"dv", dv, kMaxDim}};
  for (const auto& s : sizes) {
    if (s.v < 1) return range_error(s.name, "expected a positive integer, got " + std::to_string(s.v));
    if (static_cast<double>(s.v) > s.max)
      return range_error(s.name, "expected at most " + fmt(s.max) + ", got " + std::to_string(s.v));
  }
  const double N = static_cast<double>(n), K = static_cast<double>(dk), V = static_cast<double>(dv);
  TwoOrders t;
  t.n = n;
  t.dk = dk;
  t.dv = dv;
  // (Q K^T) V: an n x n intermediate, n^2 dk to build, n^2 dv to apply.
  t.scores_first = {"(Q K^T) V", "Q K^T", n, n, N * N, N * N * K, N * N * V, N * N * (K + V)};
  // Q (K^T V): a dk x dv intermediate, n dk dv to build, n dk dv to apply.
  t.state_first = {"Q (K^T V)", "K^T V", dk, dv, K * V, N * K * V, N * K * V, 2 * N * K * V};
  t.ratio = t.scores_first.macs / t.state_first.macs;
  *out = t;
  return {};
}

// ---------------------------------------------------------------------------------------------
// Memory: state after n tokens per head, against softmax's cache at the same length.

Status memory(const std::string& id, const Config& cfg, double layers, double heads, MemoryResult* out) {
  const struct {
    const char* name;
    double v;
  } counts[] = {{"layers", layers}, {"heads", heads}};
  for (const auto& s : counts)
    if (!std::isfinite(s.v) || s.v != std::floor(s.v) || s.v < 1 || s.v > 1e6)
      return range_error(s.name, "expected an integer in [1, 1000000], got " + fmt(s.v));
  // The recurrent form is the one that carries state, whatever form the options name.
  Config rc = cfg;
  rc.strings.erase("form");
  rc.numbers.erase("chunk");
  CostResult c;
  Status st = cost(id, rc, &c);
  if (!st.empty()) return st;
  MemoryResult m;
  m.id = id;
  m.n = c.n;
  m.layers = layers;
  m.heads = heads;
  m.state_floats = c.state_floats;
  m.state_floats_total = c.state_floats * layers * heads;
  // A state grows when it is larger at n + 1 than at n: the cache of softmax, a window not yet full.
  if (c.n < kMaxLength) {
    Config next = rc;
    next.numbers["n"] = static_cast<double>(c.n + 1);
    CostResult c1;
    if (cost(id, next, &c1).empty()) m.grows = c1.state_floats > c.state_floats;
  }
  const double dk = cfg.num("dk", 0), dv = cfg.num("dv", 0);
  m.has_kv = cfg.numbers.count("dk") && cfg.numbers.count("dv") && dk >= 1 && dv >= 1;
  if (m.has_kv) {
    m.kv_floats = static_cast<double>(c.n) * (dk + dv);
    m.kv_floats_total = m.kv_floats * layers * heads;
  }
  *out = m;
  return {};
}

// ---------------------------------------------------------------------------------------------
// JSON

std::string to_json(const CostResult& r) {
  std::vector<std::string> terms;
  for (const CostTerm& t : r.terms)
    terms.push_back(JsonObject()
                        .str("name", t.name)
                        .num("macs", t.macs)
                        .str("formula", t.formula)
                        .boolean("mixing", t.mixing)
                        .text());
  JsonObject o;
  o.str("id", r.id).str("form", form_name(r.form)).num("n", static_cast<double>(r.n));
  if (r.form == Form::chunkwise) o.num("chunk", r.chunk);
  o.num("macs", r.macs)
      .num("executedMacs", r.executed_macs)
      .num("flops", r.flops)
      .num("macsVariable", r.macs_variable)
      .num("exps", r.exps)
      .num("expsVariable", r.exps_variable)
      .num("stateFloats", r.state_floats)
      .num("stateBytes", r.state_bytes())
      .num("peakFloats", r.peak_floats)
      .num("peakBytes", r.peak_bytes())
      .num("bytes", r.state_bytes())
      .num("workspaceFloats", r.workspace_floats)
      .num("runBytes", r.run_bytes)
      .boolean("fitsBudget", r.fits_budget)
      .raw("terms", JsonObject::array(terms))
      .str("expsFormula", r.exps_formula)
      .str("stateFormula", r.state_formula)
      .str("peakFormula", r.peak_formula);
  return o.text();
}

namespace {
std::string order_json(const OrderCost& c) {
  return JsonObject()
      .str("name", c.name)
      .str("intermediate", c.intermediate)
      .raw("shape", JsonObject::numbers({static_cast<double>(c.rows), static_cast<double>(c.cols)}))
      .num("intermediateFloats", c.intermediate_floats)
      .num("intermediateBytes", c.intermediate_floats * kBytesPerFloat)
      .num("firstMacs", c.first_macs)
      .num("secondMacs", c.second_macs)
      .num("macs", c.macs)
      .num("flops", 2 * c.macs)
      .text();
}
}  // namespace

std::string to_json(const TwoOrders& t) {
  return JsonObject()
      .num("n", static_cast<double>(t.n))
      .num("dk", static_cast<double>(t.dk))
      .num("dv", static_cast<double>(t.dv))
      .raw("scoresFirst", order_json(t.scores_first))
      .raw("stateFirst", order_json(t.state_first))
      .num("ratio", t.ratio)
      .text();
}

std::string to_json(const MemoryResult& m) {
  JsonObject o;
  o.str("id", m.id)
      .num("n", static_cast<double>(m.n))
      .num("layers", m.layers)
      .num("heads", m.heads)
      .num("stateFloats", m.state_floats)
      .num("stateBytes", m.state_bytes())
      .num("stateFloatsTotal", m.state_floats_total)
      .num("stateBytesTotal", m.state_bytes_total())
      .boolean("grows", m.grows);
  if (m.has_kv) {
    o.num("kvFloats", m.kv_floats)
        .num("kvBytes", m.kv_bytes())
        .num("kvFloatsTotal", m.kv_floats_total)
        .num("kvBytesTotal", m.kv_bytes_total());
  } else {
    o.nul("kvFloats").nul("kvBytes").nul("kvFloatsTotal").nul("kvBytesTotal");
  }
  return o.text();
}

}  // namespace attnlab
