#include "core/chunked.hpp"

#include <algorithm>
#include <cstddef>

#include "core/counters.hpp"
#include "core/primitives.hpp"

namespace attnlab {
namespace chunked {

namespace {

// Offsets of every scratch array in one buffer; workspace() reports the same total run() allocates.
struct Layout {
  long C = 1;  // chunk length actually used
  int w = 0;   // decay values per token: 0, 1 or dk
  size_t A = 0, qs = 0, ks = 0, qc = 0, kc = 0, vc = 0, fin = 0, rst = 0, tot = 0, pw = 0, seg = 0, tmp = 0,
         erow = 0, S0 = 0, total = 0;
};

Layout layout(long n, int dk, int dv, int chunk, Decay d) {
  Layout l;
  l.C = std::max<long>(1, std::min<long>(chunk, std::max<long>(n, 1)));
  l.w = d == Decay::per_key ? dk : d == Decay::scalar ? 1 : 0;
  const size_t C = static_cast<size_t>(l.C), w = static_cast<size_t>(l.w);
  size_t off = 0;
  auto take = [&off](size_t len) {
    const size_t at = off;
    off += len;
    return at;
  };
  l.A = take(C * C);
  l.qs = take(C * dk);
  l.ks = take(C * dk);
  l.qc = take(C * dk);
  l.kc = take(C * dk);
  l.vc = take(C * dv);
  l.fin = take(C * w);
  l.rst = take(C * w);
  l.tot = take(w);
  l.pw = take((C + 1) * w);
  l.seg = take(w);
  l.tmp = take(dk);
  l.erow = take(d == Decay::scalar ? C : 0);
  l.S0 = take(static_cast<size_t>(dk) * dv);
  l.total = off;
  return l;
}

// The gemms want rows packed at their width; inputs that are slices of wider rows are copied.
const float* packed(const float* src, long stride, long rows, int width, float* buf) {
  if (stride == width) return src;
  for (long r = 0; r < rows; ++r) std::copy(src + r * stride, src + r * stride + width, buf + r * width);
  return buf;
}

// In-place e^x of an array of exponents <= 0, through the counted primitive.
void exp_all(float* x, long len) {
  if (len > 0) prim::exp_shifted(x, static_cast<int>(len), 0.f);
}

}  // namespace

double workspace(long n, int dk, int dv, int chunk, Decay d) {
  return static_cast<double>(layout(n, dk, dv, chunk, d).total);
}

void run(const Problem& p, int chunk, float* S, float* out) {
  Scratch ws;
  run(p, chunk, S, out, ws);
}

void run(const Problem& p, int chunk, float* S, float* out, Scratch& ws) {
  if (p.n <= 0) return;
  const Layout lay = layout(p.n, p.dk, p.dv, chunk, p.decay);
  if (ws.buf.size() < lay.total) ws.buf.resize(lay.total);
  float* const base = ws.buf.data();
  float* const A = base + lay.A;
  float* const qs = base + lay.qs;
  float* const ks = base + lay.ks;
  float* const fin = base + lay.fin;
  float* const rst = base + lay.rst;
  float* const tot = base + lay.tot;
  float* const pw = base + lay.pw;
  float* const seg = base + lay.seg;
  float* const tmp = base + lay.tmp;
  float* const erow = base + lay.erow;

  const long n = p.n, C = lay.C;
  const int dk = p.dk, dv = p.dv, w = lay.w;
  const bool decayed = p.decay != Decay::none;
  const bool per_key = p.decay == Decay::per_key;
  const bool constant = decayed && p.g_stride == 0;
  const bool rbw = p.read_before_write;
  const long nchunks = (n + C - 1) / C;
  ATTNLAB_COUNT_PEAK(static_cast<double>(C) * C);

  // Without a caller state there is nothing to read before the first chunk; a state is still
  // needed between chunks.
  float* St = S;
  if (St && p.fresh) std::fill(St, St + static_cast<long>(dk) * dv, 0.f);
  if (!St && nchunks > 1) {
    St = base + lay.S0;
    std::fill(St, St + static_cast<long>(dk) * dv, 0.f);
  }

  // A decay shared by every token turns every exponent into m*g: one table of e^{m g}, m = 0..C,
  // replaces all cumsums (and their rounding) and all but (C+1)·w exps.
  if (constant) {
    for (long m = 0; m <= C; ++m)
      for (int c = 0; c < w; ++c) pw[m * w + c] = static_cast<float>(m) * p.g[c];
    ATTNLAB_COUNT_MACS((C + 1) * w);
    exp_all(pw, (C + 1) * w);
  }

  for (long ci = 0; ci < nchunks; ++ci) {
    const long t0 = ci * C, L = std::min(C, n - t0);
    const bool has_past = (S != nullptr && !p.fresh) || ci > 0;
    // The first chunk of a fresh run has no incoming state to decay: it writes S from zero.
    const bool from_zero = ci == 0 && p.fresh;
    const bool need_state = S != nullptr || ci + 1 < nchunks;
    const float* Q = packed(p.q + t0 * p.q_stride, p.q_stride, L, dk, base + lay.qc);
    const float* K = packed(p.k + t0 * p.k_stride, p.k_stride, L, dk, base + lay.kc);
    const float* V = packed(p.v + t0 * p.v_stride, p.v_stride, L, dv, base + lay.vc);
    auto gt = [&](long i) { return p.g + (t0 + i) * p.g_stride; };
    float* o = out + t0 * dv;
    std::fill(o, o + L * dv, 0.f);

    // Inter: what the chunk reads of the state it inherits, each query decayed from the chunk start.
    if (has_past) {
      const float* Qd = Q;
      if (decayed) {
        // fin_i = sum of g over tokens 0..i of the chunk (0..i-1 when reading before writing).
        for (long i = 0; i < L; ++i) {
          const long m = rbw ? i : i + 1;
          if (constant) {
            std::copy(pw + m * w, pw + (m + 1) * w, fin + i * w);
          } else {
            for (int c = 0; c < w; ++c) {
              const float prev = i ? fin[(i - 1) * w + c] : 0.f;
              // fin holds exponents until exp_all below; rbw lags one token behind.
              fin[i * w + c] = prev + (rbw ? (i ? gt(i - 1)[c] : 0.f) : gt(i)[c]);
            }
          }
        }
        if (!constant) exp_all(fin, L * w);
        for (long i = 0; i < L; ++i) {
          float* row = qs + i * dk;
          std::copy(Q + i * dk, Q + (i + 1) * dk, row);
          if (per_key) {
            for (int c = 0; c < dk; ++c) row[c] *= fin[i * w + c];
            ATTNLAB_COUNT_MACS(dk);
          } else {
            prim::scale(fin[i], row, dk);
          }
        }
        Qd = qs;
      }
      prim::gemm_nn_acc(Qd, St, o, static_cast<int>(L), dv, dk);
    }

    // Intra: the chunk's own tokens, A_ij = sum_c q_ic k_jc W_ijc for j <= top(i).
    if (!per_key) prim::gemm_nt(Q, K, A, static_cast<int>(L), static_cast<int>(L), dk);
    for (long i = 0; i < L; ++i) {
      float* row = A + i * L;
      const float* qi = Q + i * dk;
      const long top = rbw ? i - 1 : i;  // last key whose write the query sees through the state
      if (!per_key) {
        if (constant) {
          for (long j = 0; j <= top; ++j) row[j] *= pw[top - j];
          ATTNLAB_COUNT_MACS(top + 1);
        } else if (decayed && top >= 0) {
          // Segment sums from the diagonal outwards: exponent of (i, j) = g_{j+1} + ... + g_top.
          float s = 0.f;
          for (long j = top; j >= 0; --j) {
            erow[j] = s;
            s += gt(j)[0];
          }
          exp_all(erow, top + 1);
          for (long j = 0; j <= top; ++j) row[j] *= erow[j];
          ATTNLAB_COUNT_MACS(top + 1);
        }
      } else if (constant) {
        for (long j = 0; j <= top; ++j) {
          const float* e = pw + (top - j) * w;
          for (int c = 0; c < dk; ++c) tmp[c] = qi[c] * e[c];
          ATTNLAB_COUNT_MACS(dk);
          row[j] = prim::dot(tmp, K + j * dk, dk);
        }
      } else {
        std::fill(seg, seg + dk, 0.f);
        for (long j = top; j >= 0; --j) {
          std::copy(seg, seg + dk, tmp);
          exp_all(tmp, dk);
          for (int c = 0; c < dk; ++c) tmp[c] *= qi[c];
          ATTNLAB_COUNT_MACS(dk);
          row[j] = prim::dot(tmp, K + j * dk, dk);
          const float* g = gt(j);
          for (int c = 0; c < dk; ++c) seg[c] += g[c];
        }
      }
      std::fill(row + std::max(top + 1, 0L), row + L, 0.f);
      if (rbw) {
        // The current token reaches its own output only through the bonus u, never through S.
        for (int c = 0; c < dk; ++c) tmp[c] = qi[c] * p.u[c];
        ATTNLAB_COUNT_MACS(dk);
        row[i] = prim::dot(tmp, K + i * dk, dk);
      }
    }
    prim::gemm_nn_acc(A, V, o, static_cast<int>(L), dv, static_cast<int>(L));

    // State: decay what came in by the whole chunk, add each write decayed from its token to the end.
    if (need_state) {
      const float* Kd = K;
      if (decayed) {
        if (constant) {
          std::copy(pw + L * w, pw + (L + 1) * w, tot);
          for (long j = 0; j < L; ++j) std::copy(pw + (L - 1 - j) * w, pw + (L - j) * w, rst + j * w);
        } else {
          // rst_j = g_{j+1} + ... + g_{L-1}, summed from the end; tot adds g_0.
          for (int c = 0; c < w; ++c) rst[(L - 1) * w + c] = 0.f;
          for (long j = L - 2; j >= 0; --j)
            for (int c = 0; c < w; ++c) rst[j * w + c] = rst[(j + 1) * w + c] + gt(j + 1)[c];
          for (int c = 0; c < w; ++c) tot[c] = rst[c] + gt(0)[c];
          exp_all(rst, L * w);
          if (!from_zero) exp_all(tot, w);
        }
        // A fresh run's first chunk has nothing to decay: St was zeroed before the loop.
        if (!from_zero) {
          if (per_key) prim::scale_rows(St, tot, dk, dv);
          else prim::scale(tot[0], St, dk * dv);
        }
        for (long j = 0; j < L; ++j) {
          float* row = ks + j * dk;
          std::copy(K + j * dk, K + (j + 1) * dk, row);
          if (per_key) {
            for (int c = 0; c < dk; ++c) row[c] *= rst[j * w + c];
            ATTNLAB_COUNT_MACS(dk);
          } else {
            prim::scale(rst[j], row, dk);
          }
        }
        Kd = ks;
      }
      prim::gemm_tn_acc(Kd, V, St, dk, dv, static_cast<int>(L));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Counted work (chunked.hpp): the cost model's half of this file, term by term as run() executes.

void Work::add(const Work& o, double times) {
  inter += times * o.inter;
  intra += times * o.intra;
  state += times * o.state;
  table += times * o.table;
  exps += times * o.exps;
  peak = std::max(peak, o.peak);
}

namespace {

// One chunk of L tokens: past = reads an incoming state, need = hands a state on, fresh = writes it
// from zero (nothing to decay).
Work chunk_work(const WorkSpec& s, double L, bool past, bool need, bool fresh = false) {
  const bool decayed = s.decay != Decay::none, per_key = s.decay == Decay::per_key;
  const double w = per_key ? s.dk : decayed ? 1 : 0;
  const double T = s.rbw ? L * (L - 1) / 2 : L * (L + 1) / 2;
  const bool moving = decayed && !s.constant;
  Work c;
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

}  // namespace

Work work(const WorkSpec& s, long n, long chunk, bool carried) {
  const long Cl = std::max(1L, std::min(chunk, n));
  const costs::Chunks ch(n, static_cast<int>(Cl));
  const double C = ch.B, nch = ch.count(), last = ch.r > 0 ? ch.r : C;
  Work w;
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
  if (s.decay != Decay::none && s.constant) {
    const double width = s.decay == Decay::per_key ? s.dk : 1;
    w.table = (C + 1) * width;
    w.exps += (C + 1) * width;
  }
  w.peak = C * C;
  return w;
}

void add_terms(CostResult* r, const Work& w, const std::string& tag) {
  using costs::term;
  if (w.table) term(r, "decay table" + tag, w.table, "(C+1) w, w = decay values per token");
  if (w.inter) term(r, "inter-chunk: read carried state" + tag, w.inter, "per chunk L dk dv (+ L dk decayed queries)");
  term(r, "intra-chunk: masked scores x values" + tag, w.intra, "per chunk L^2 (dk + dv) (+ mask / per-key terms)");
  if (w.state) term(r, "state update" + tag, w.state, "per chunk L dk dv (+ dk dv + L dk with a decay)");
  r->exps += w.exps;
}

void forms_cost(const CostCtx& c, CostResult* r, const WorkSpec& s) {
  const bool parallel = c.form == Form::parallel;
  const Work w = work(s, c.n, parallel ? c.n : c.chunk, !parallel);
  add_terms(r, w);
  r->peak_floats = parallel ? w.peak : std::max(w.peak, r->state_floats);
  r->peak_formula = parallel ? "n^2" : "max(chunk^2, state)";
}

}  // namespace chunked
}  // namespace attnlab
