// chunked::run (core/chunked.hpp) against a plain float64 recurrence, directly: every decay kind,
// both orders of read and write, chunk sizes 1, 3, 16 and n around a chunk boundary, strong decays
// (log decay down to -5 per token) and decays next to 1, a decay shared by every token (the table
// path), rows that are slices of wider arrays, and the state-free parallel form.
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/chunked.hpp"

using namespace attnlab;
using namespace attnlab_test;
using chunked::Decay;

namespace {

const char* decay_name(Decay d) { return d == Decay::none ? "none" : d == Decay::scalar ? "scalar" : "per_key"; }

// Inputs of one problem; rows are stored `pad` floats wider than they are, so strides are exercised.
struct Data {
  long n = 0;
  int dk = 0, dv = 0, pad = 0, gw = 0;
  std::vector<float> q, k, v, g, u, S0;
  chunked::Problem problem(Decay d, bool rbw, bool shared_g) const {
    chunked::Problem p;
    p.n = n;
    p.dk = dk;
    p.dv = dv;
    p.q = q.data();
    p.q_stride = dk + pad;
    p.k = k.data();
    p.k_stride = dk + pad;
    p.v = v.data();
    p.v_stride = dv + pad;
    p.decay = d;
    p.g = g.data();
    p.g_stride = shared_g ? 0 : gw + pad;
    p.read_before_write = rbw;
    p.u = u.data();
    return p;
  }
};

Data make(long n, int dk, int dv, int pad, Decay d, double glo, double ghi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> N01;
  std::uniform_real_distribution<double> G(glo, ghi);
  Data x;
  x.n = n;
  x.dk = dk;
  x.dv = dv;
  x.pad = pad;
  x.gw = d == Decay::per_key ? dk : 1;
  auto fill = [&](std::vector<float>& a, long len, bool decay) {
    a.resize(static_cast<size_t>(len));
    for (auto& e : a) e = static_cast<float>(decay ? G(rng) : N01(rng));
  };
  fill(x.q, n * (dk + pad), false);
  fill(x.k, n * (dk + pad), false);
  fill(x.v, n * (dv + pad), false);
  fill(x.g, n * (x.gw + pad), true);
  fill(x.u, dk, false);
  fill(x.S0, static_cast<long>(dk) * dv, false);
  return x;
}

// The recurrence itself, in float64: decay the rows, then write, reading before or after the write.
void recurrence(const chunked::Problem& p, std::vector<double>& S, std::vector<double>& out) {
  out.assign(static_cast<size_t>(p.n * p.dv), 0.0);
  for (long t = 0; t < p.n; ++t) {
    const float* q = p.q + t * p.q_stride;
    const float* k = p.k + t * p.k_stride;
    const float* v = p.v + t * p.v_stride;
    const float* g = p.g + t * p.g_stride;
    double* o = out.data() + t * p.dv;
    auto read = [&] {
      for (int j = 0; j < p.dv; ++j)
        for (int i = 0; i < p.dk; ++i) o[j] += double(q[i]) * S[i * p.dv + j];
    };
    if (p.read_before_write) {
      read();
      double b = 0;
      for (int i = 0; i < p.dk; ++i) b += double(q[i]) * p.u[i] * k[i];
      for (int j = 0; j < p.dv; ++j) o[j] += b * v[j];
    }
    for (int i = 0; i < p.dk; ++i) {
      const double a = p.decay == Decay::none ? 1.0 : std::exp(double(g[p.decay == Decay::per_key ? i : 0]));
      for (int j = 0; j < p.dv; ++j) S[i * p.dv + j] = a * S[i * p.dv + j] + double(k[i]) * v[j];
    }
    if (!p.read_before_write) read();
  }
}

// The float64 recurrence of a problem with its sensitivity (support.hpp): want.out (n x dv) and
// want.state (dk x dv, empty without a start state), both scaled by how far they move when every
// input moves by one float32 ulp.
struct Expected {
  Want out, state;
};

Expected expected(const Data& x, Decay d, bool rbw, bool shared, bool with_state) {
  auto eval = [&](const Arrays& a) {
    Data y = x;
    y.q = a.at("q");
    y.k = a.at("k");
    y.v = a.at("v");
    y.g = a.at("g");
    y.u = a.at("u");
    std::vector<double> S(static_cast<size_t>(x.dk) * x.dv, 0.0), out;
    if (with_state) S.assign(a.at("S0").begin(), a.at("S0").end());
    recurrence(y.problem(d, rbw, shared), S, out);
    if (with_state) out.insert(out.end(), S.begin(), S.end());
    return out;
  };
  const Arrays in{{"q", x.q}, {"k", x.k}, {"v", x.v}, {"g", x.g}, {"u", x.u}, {"S0", x.S0}};
  InputSpec g;
  g.name = "g";
  g.hi = 0;  // log decays stay <= 0
  const std::vector<double> base = eval(in);
  const std::vector<double> sens = sensitivity(in, base, eval, {g});
  const long nout = x.n * x.dv;
  Expected e;
  e.out = Want(std::vector<double>(base.begin(), base.begin() + nout), std::vector<double>(sens.begin(), sens.begin() + nout), x.dv);
  e.state = Want(std::vector<double>(base.begin() + nout, base.end()), std::vector<double>(sens.begin() + nout, sens.end()), x.dv);
  return e;
}

// Catch runs a test body once per section, so the loops around the sections run again each time:
// the expectations (each four float64 recurrences) are kept under a key naming the problem.
const Expected& kept(const std::string& key, const Data& x, Decay d, bool rbw, bool shared, bool with_state) {
  static std::map<std::string, Expected> store;
  auto it = store.find(key);
  if (it == store.end()) it = store.emplace(key, expected(x, d, rbw, shared, with_state)).first;
  return it->second;
}

// chunked::run's chain of roundings: per token a decay and a write on every state element, the
// read over dk (twice reading before writing: the bonus term), the chunk's gemms and segment sums;
// and, as in call_model(), the decay factors' roundings over the tokens a state element remembers
// (1 / the mean log decay, at most n).
Model model(const Data& x, Decay d, int chunk) {
  const long n = x.n, C = std::min<long>(n, chunk);
  Model m = chain(2.0 * n + 2.0 * x.dk + 16 + C, "chunked::run: 2 x " + std::to_string(n) + " tokens + 2 x " +
                                                    std::to_string(x.dk) + " (read, bonus) + 16 + " + std::to_string(C) +
                                                    " (chunk)");
  if (d != Decay::none) {
    double mean = 0;
    for (float g : x.g) mean += std::fabs(double(g)) / static_cast<double>(x.g.size());
    m.coherent = std::max(1.0, std::min(static_cast<double>(n), 1 / mean));
  }
  return m;
}

}  // namespace

// float32 against float64 within the error model (support.hpp). The hardest measured case is
// decays next to 1 at chunk 1, where nothing fades and the sums only grow.
TEST_CASE("chunked::run matches the float64 recurrence for every decay, order and chunk", "[chunked]") {
  struct Range {
    const char* name;
    double lo, hi;
  };
  const Range ranges[] = {{"strong", -5.0, -0.01}, {"near 1", -1e-3, 0.0}};
  for (Decay d : {Decay::none, Decay::scalar, Decay::per_key})
    for (bool rbw : {false, true})
      for (const Range& r : ranges)
        for (bool shared : {false, true}) {
          if (d == Decay::none && (shared || r.lo != ranges[0].lo)) continue;
          for (long n : {1L, 63L, 64L, 65L}) {
            const Data x = make(n, 7, 5, n == 63 ? 3 : 0, d, r.lo, r.hi, 17 * n + 3 * static_cast<int>(d) + rbw);
            const chunked::Problem p = x.problem(d, rbw, shared);
            const Expected& want = kept(std::string("a") + decay_name(d) + (rbw ? "r" : "w") + r.name + (shared ? "s" : "") +
                                            std::to_string(n), x, d, rbw, shared, true);
            for (int chunk : {1, 3, 16, static_cast<int>(n)}) {
              DYNAMIC_SECTION(decay_name(d) << (rbw ? " read-before-write " : " read-after-write ") << r.name
                                            << (shared ? " shared-g" : "") << " n=" << n << " chunk=" << chunk) {
                std::vector<float> St = x.S0, out(static_cast<size_t>(n * x.dv), -1.f);
                chunked::run(p, chunk, St.data(), out.data());
                ATTNLAB_CHECK_CLOSE(out, want.out, model(x, d, chunk));
                ATTNLAB_CHECK_CLOSE(St, want.state, model(x, d, chunk));
              }
            }
          }
        }
}

TEST_CASE("chunked::run without a state is the parallel form from a zero state", "[chunked]") {
  for (Decay d : {Decay::none, Decay::scalar, Decay::per_key})
    for (bool rbw : {false, true})
      for (long n : {1L, 40L})
        for (int chunk : {static_cast<int>(n), 7}) {
          DYNAMIC_SECTION(decay_name(d) << (rbw ? " rbw" : "") << " n=" << n << " chunk=" << chunk) {
            const Data x = make(n, 6, 4, 1, d, -2.0, -0.05, 99 + n);
            const chunked::Problem p = x.problem(d, rbw, false);
            const Expected& want = kept(std::string("b") + decay_name(d) + (rbw ? "r" : "w") + std::to_string(n), x, d,
                                        rbw, false, false);
            std::vector<float> out(static_cast<size_t>(n * x.dv), -1.f);
            chunked::run(p, chunk, nullptr, out.data());
            ATTNLAB_CHECK_CLOSE(out, want.out, model(x, d, chunk));
          }
        }
}

TEST_CASE("chunked::run stays finite where the factorised product would overflow", "[chunked]") {
  // 64 tokens of log decay -50 span e^{-3200}: (q e^{b})(k e^{-b})ᵀ would be inf * 0. Here every
  // exponent is <= 0, so old writes simply vanish and each output is that of the last token alone.
  for (Decay d : {Decay::scalar, Decay::per_key})
    for (bool shared : {false, true})
      DYNAMIC_SECTION(decay_name(d) << (shared ? " shared-g" : "")) {
        Data x = make(64, 4, 3, 0, d, -50.0, -50.0, 5);
        const chunked::Problem p = x.problem(d, false, shared);
        const Expected want = expected(x, d, false, shared, true);
        std::vector<float> St = x.S0, out(static_cast<size_t>(64 * x.dv));
        chunked::run(p, 64, St.data(), out.data());
        REQUIRE(std::all_of(out.begin(), out.end(), [](float v) { return std::isfinite(v); }));
        ATTNLAB_CHECK_CLOSE(out, want.out, model(x, d, 64));
        ATTNLAB_CHECK_CLOSE(St, want.state, model(x, d, 64));
      }
}

TEST_CASE("chunked::workspace covers a chunk's square and grows with the chunk, not n", "[chunked]") {
  for (Decay d : {Decay::none, Decay::scalar, Decay::per_key}) {
    CHECK(chunked::workspace(100000, 16, 8, 64, d) == chunked::workspace(64, 16, 8, 64, d));
    CHECK(chunked::workspace(1000, 16, 8, 1000, d) >= 1000.0 * 1000.0);
    CHECK(chunked::workspace(10, 16, 8, 64, d) == chunked::workspace(10, 16, 8, 10, d));
  }
}
