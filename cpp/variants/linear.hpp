// Linear attention with a feature map φ (Katharopoulos et al. 2020), docs/variants.md §2, §15.1-2.
//
//   S_t = S_{t-1} + φ(k_t) v_tᵀ,  z_t = z_{t-1} + φ(k_t),  o_t = S_tᵀ φ(q_t) / (φ(q_t)·z_t + eps)
//                                   q, k: (n, dk), v: (n, dv), o: (n, dv), φ: R^dk -> R^m
//
// Drop the softmax, keep a positive kernel φ(q)·φ(k), and the sum over the past regroups into a
// fixed m x dv state: the quadratic wall becomes a line. State and normaliser include token t.
// normalize = false drops z and the division (o_t = S_tᵀ φ(q_t)); it is the default for identity,
// whose denominator changes sign. `scale` multiplies q before φ. Maps: see feature_maps.hpp.
// Costs below with w = dv + 1 when normalised (the normaliser is one more value column), dv if not;
// φ itself costs dk (elu1: + up to dk exps), dk² (taylor2) or m·dk macs + m exps (performer) per row.
//   parallel   A = tril(φ(Q) φ(K)ᵀ), full products (n²m macs), then A·[V | 1] gives the numerators
//              and the row sums together (n²w macs); peak n² floats
//   recurrent  rank-1 write and read per token: 2·m·dv (+2m for z) macs
//   chunkwise  chunked::run (core/chunked.hpp) over φ(Q), φ(K) and [V | 1], so z rides along as the
//              last column of the chunk state: nC(m + w) + 2n·m·w macs
//   reference  float64, the recurrence above on the true, unshifted φ
//
// Performer features are exponentials, kept in float32 relative to shifts (the RWKV-4 trick):
//   keys    the state holds S' = S e^{-M}, z' = z e^{-M} with M the running max of the keys' largest
//           log-features; when M rises, S' and z' are rescaled by e^{M_old − M_new}
//   queries φ'(q) = φ(q) e^{-m_q} with m_q the query's own largest log-feature
//   output  o = S'ᵀφ'(q) / (φ'(q)·z' + eps·e^{-(M+m_q)}), the true formula in exact arithmetic;
//           unnormalised: o = e^{M+m_q} S'ᵀφ'(q). eps·e^{-(M+m_q)} is floored at the smallest normal
//           float so an underflowed denominator can never give 0/0.
// The rescaling is a scalar decay e^{M_{t-1} − M_t} <= 1, so the chunkwise form hands it to
// chunked::run as Decay::scalar and every token is read in the frame of its own running max, as in
// the recurrence; the parallel form uses each key's own largest log-feature m_j as its shift and
// weights A_tj by e^{m_j − M_t} element by element (j <= t, so the exponent is never positive):
// n²/2 extra exps.
// relu is not clamped: eps > 0 already keeps its denominator >= eps when every feature is 0 (the
// output is then 0), and a 1e-12 floor (zoology) would change the kernel.
//
// State layout: S (m x dv, row-major), then z (m) when normalised, then M (1) for performer.
//   m = dk for elu1, relu, identity; 1 + dk + dk² for taylor2; `features` for performer.
//   Empty state: zeros, M = -1e38 (the RWKV-4 sentinel; -inf is accepted too).
#pragma once

#include "core/variant.hpp"
#include "core/feature_maps.hpp"

namespace attnlab {

struct Linear {
  struct Params {
    int dk = 0, dv = 0;
    fmap::Map map;
    bool normalize = true;
    float eps = 1e-6f;
    float log_eps = 0.f;  // log(eps), for the shifted eps of performer
    float scale = 1.f;
  };
  static VariantInfo info();
  static Status params(const Config& cfg, Params* p);
  static int out_width(const Params& p) { return p.dv; }
  static double workspace(const Params& p, long n, Form f, int chunk);
  static void init_state(const Params& p, State& s);
  static void step(const Params& p, const Token& tok, State& s, float* out);
  static void parallel(const Params& p, const Inputs& in, long n, State& s, float* out);
  static void chunkwise(const Params& p, const Inputs& in, long n, int chunk, State& s, float* out);
  static void reference(const Params& p, const Inputs& in, long n, StateD& s, double* out);
  static void cost(const Params& p, const CostCtx& c, CostResult* r);
};

}  // namespace attnlab
