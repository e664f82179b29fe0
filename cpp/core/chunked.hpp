// The chunkwise-parallel form of every decayed linear recurrence, written once and parameterised by
// the decay (docs/variants.md §3, §4, §6, §9, §11, §15.3-4).
//
//   read after write (GLA, RetNet, Mamba-2, Mamba per channel):
//     S_t = diag(e^{g_t}) S_{t-1} + k_t v_tᵀ ;  o_t = S_tᵀ q_t
//   read before write (RWKV-5/6):
//     o_t = S_{t-1}ᵀ q_t + (q_t·(u⊙k_t)) v_t ;  S_t = diag(e^{g_t}) S_{t-1} + k_t v_tᵀ
//
// q, k: (n, dk), v: (n, dv), g: log decay <= 0, one scalar or one value per key channel per token,
// S: (dk, dv) row-major, out: (n, dv). The sequence is cut into chunks of `chunk` tokens (the last
// may be shorter). Per chunk, with the cumulative log decay kept local to the chunk:
//   inter  O += (Q ⊙ e^{b}) S_prev                 b_i = sum of g over the chunk up to i (i-1 when
//                                                  reading before writing)
//   intra  O += (A ⊙ W) V,  W_ij = e^{g_{j+1} + ... + g_i} for j <= i (reading before writing:
//                           e^{g_{j+1} + ... + g_{i-1}} for j < i, and the u bonus on the diagonal);
//                           the exponent is summed over the segment itself (mamba's segsum), never
//                           a difference of two large cumsums, and only where the mask keeps the
//                           pair, so every exponent is <= 0
//   state  S = diag(e^{b_C}) S_prev + (K ⊙ e^{b_C - b_j})ᵀ V,  b_C - b_j summed from the end
// The factorised product (q e^{b})(k e^{-b})ᵀ never appears: it overflows once decays are strong.
// Without decay or with a scalar one, A = Q Kᵀ and the three products are gemms. A per-key decay
// has no matmul form for the intra term, so it is built element by element with dk exps per pair.
// A decay shared by every token (g_stride 0) turns each exponent into m·g: one table of e^{m g}.
//
// Counted work of one chunk of L tokens (w = 0, 1 or dk decay values per token; T = L(L+1)/2 pairs,
// L(L-1)/2 when reading before writing), which ATTNLAB_COUNT reports:
//   macs  intra  L²dk (Q Kᵀ, full) + T (scalar mask)  or  2·dk·T (per key);  + L²dv (A V, full);
//                + 2·dk·L (bonus, reading before writing)
//         inter  L·dk·dv + L·dk (q decayed, if any decay)         skipped for the first chunk when S = nullptr
//         state  L·dk·dv + dk·dv + L·dk (decays, if any decay)    skipped for the last chunk when S = nullptr
//         table  (C+1)·w once per call, shared decay only
//   exps  shared decay: (C+1)·w once per call, none per chunk; otherwise per chunk T (scalar) or
//         T·dk (per key) for intra, L·w for inter, L·w + w for the state (same skips as above)
//   peak  C x C, the score block (the n x n matrix when chunk >= n).
// chunk = 1 is the recurrence; chunk = n with p.fresh is the parallel form, which materialises the
// n x n matrix, reads no state and writes the final one (the state term without the dk dv decay of
// an incoming state and without its w exps). The memory is C² + O(C (dk + dv) + dk dv),
// whatever n is (workspace()).
#pragma once

#include <string>
#include <vector>

#include "core/cost_terms.hpp"

namespace attnlab {
namespace chunked {

enum class Decay { none, scalar, per_key };

struct Problem {
  long n = 0;
  int dk = 0, dv = 0;
  const float* q = nullptr;
  long q_stride = 0;  // row t at q + t*q_stride (dk floats)
  const float* k = nullptr;
  long k_stride = 0;  // dk floats per row
  const float* v = nullptr;
  long v_stride = 0;  // dv floats per row
  Decay decay = Decay::none;
  const float* g = nullptr;
  long g_stride = 0;  // log decay <= 0 of token t: g + t*g_stride (1 float for scalar, dk for per_key);
                      // g_stride 0 = the same decay for every token
  bool read_before_write = false;  // RWKV-5/6 order, see above
  const float* u = nullptr;        // bonus per key channel (read_before_write only)
  // S is written, never read: the run starts from a zero state and still hands its final state on.
  // This is the parallel form (chunk >= n) when the caller wants to continue token by token.
  bool fresh = false;
};

// Reusable scratch for callers that run many small problems (one per channel, one per block).
struct Scratch {
  std::vector<float> buf;
};

// Runs the chunks. S (dk x dv, row-major) carries the state in and out; S = nullptr starts from a
// zero state and does not compute the final one; p.fresh starts from zero and writes the final state
// into S (the parallel form when chunk >= n, handing its state to the recurrent one). out: n x dv.
void run(const Problem& p, int chunk, float* S, float* out);
void run(const Problem& p, int chunk, float* S, float* out, Scratch& ws);

// Floats of scratch run() allocates, for the memory budget and the cost model.
double workspace(long n, int dk, int dv, int chunk, Decay d);

// Counted work of run(), what the cost model of every variant built on it adds up, per chunk of L
// tokens. dk, dv are the machinery's widths; the decay has w = 0, 1 or dk values per
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
struct WorkSpec {
  double dk = 0, dv = 0;
  Decay decay = Decay::none;
  bool constant = false;  // one decay for every token (g_stride 0)
  bool rbw = false;       // read before write
};

struct Work {
  double inter = 0, intra = 0, state = 0, table = 0, exps = 0, peak = 0;
  void add(const Work& o, double times = 1);
};

// The work of run() over n tokens in chunks of `chunk`: carried = S given and read (chunkwise
// forms); otherwise one chunk of n with Problem::fresh (the parallel form) or, for n > chunk, the
// S = nullptr run that starts from zero and keeps no state.
Work work(const WorkSpec& s, long n, long chunk, bool carried);
// Adds the terms and exps of `w` to a cost, each term's name followed by `tag`.
void add_terms(CostResult* r, const Work& w, const std::string& tag = "");
// The parallel and chunkwise forms of a variant whose dk x dv state runs through run() with chunk
// n (parallel, fresh) or c.chunk (chunkwise, carried): terms, exps and peak.
void forms_cost(const CostCtx& c, CostResult* r, const WorkSpec& s);

}  // namespace chunked
}  // namespace attnlab
