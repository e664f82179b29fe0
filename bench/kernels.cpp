// The core's kernels at the benchmark's stated sizes, with the timing loop inside the module.
//
// One source, four builds (bench/CMakeLists.txt): wasm with SIMD128, wasm baseline (the same vector
// code lowered to scalars), native at 128 bits (SSE only) and native -march=native. The wasm builds
// are standalone modules whose only import is WASI's clock (bench/wasm-loader.mjs supplies it from
// performance.now()), so Node and the browser page drive them identically; the native builds have a
// main() that prints the same measurements as JSON.
//
// Every case owns its inputs (seeded, in the variants' realistic domains) and named buffers the JS
// side can read to check its own Float32Array version (bench/js-kernels.mjs) against the module.
// A call is one whole unit of work: one gemm, one causal attention over n tokens, or T tokens of a
// recurrence from a zero state. Flops count every multiply and every add once (a multiply-add is
// 2, a scale 1); exps are not flops. Their formulas are next to each case.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "core/kernels.hpp"
#include "core/primitives.hpp"
#include "core/simd.hpp"

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define BENCH_EXPORT extern "C" EMSCRIPTEN_KEEPALIVE
#else
#define BENCH_EXPORT extern "C"
#endif

using namespace attnlab;

namespace {

struct Buffer {
  std::string name;
  std::vector<float> data;
};

struct Case {
  std::string name;    // row label, e.g. "gemm_nt 256x256x64"
  std::string kernel;  // what bench/js-kernels.mjs implements
  int a = 0, b = 0, c = 0;  // sizes: gemm m n k; softmax n dk dv; recurrences T dk dv; scan T D N
  double flops = 0;         // per call
  double elements = 0;      // per call, for a time per element (the scan); 0 when not meaningful
  std::vector<Buffer> bufs;
  void (*reset)(Case&) = nullptr;  // restores the outputs/state a call starts from
  void (*call)(Case&) = nullptr;
  float* buf(const char* name) {
    for (auto& b : bufs)
      if (b.name == name) return b.data.data();
    return nullptr;
  }
};

// xorshift: the same inputs on every build.
struct Rng {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float uniform(float lo, float hi) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return lo + (hi - lo) * static_cast<float>((s >> 40) * (1.0 / 16777216.0));
  }
};

std::vector<float> uniform(Rng& r, size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (auto& x : v) x = r.uniform(lo, hi);
  return v;
}

// Rows of length w scaled to unit L2 norm (keys of the delta rule, RWKV-7's removal key).
std::vector<float> unit_rows(Rng& r, size_t rows, int w) {
  auto v = uniform(r, rows * w, -1.f, 1.f);
  for (size_t t = 0; t < rows; ++t) {
    double s = 0;
    for (int i = 0; i < w; ++i) s += double(v[t * w + i]) * v[t * w + i];
    const float inv = static_cast<float>(1.0 / std::sqrt(s + 1e-30));
    for (int i = 0; i < w; ++i) v[t * w + i] *= inv;
  }
  return v;
}

void zero(Case& c, const char* name) {
  for (auto& b : c.bufs)
    if (b.name == name) std::fill(b.data.begin(), b.data.end(), 0.f);
}

// ---- gemms: C = A Bᵀ, C += A B, C += Aᵀ B; 2 m n k flops --------------------------------------------

Case gemm(const char* kernel, int m, int n, int k) {
  Case c;
  c.kernel = kernel;
  c.name = std::string(kernel) + " " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  c.a = m, c.b = n, c.c = k;
  c.flops = 2.0 * m * n * k;
  Rng r(static_cast<std::uint64_t>(m) * 131 + n * 7 + k);
  c.bufs.push_back({"A", uniform(r, static_cast<size_t>(m) * k, -1, 1)});
  c.bufs.push_back({"B", uniform(r, static_cast<size_t>(n) * k, -1, 1)});
  c.bufs.push_back({"C", std::vector<float>(static_cast<size_t>(m) * n)});
  c.reset = [](Case& x) { zero(x, "C"); };
  if (c.kernel == "gemm_nt")
    c.call = [](Case& x) { prim::gemm_nt(x.buf("A"), x.buf("B"), x.buf("C"), x.a, x.b, x.c); };
  else if (c.kernel == "gemm_nn_acc")
    c.call = [](Case& x) { prim::gemm_nn_acc(x.buf("A"), x.buf("B"), x.buf("C"), x.a, x.b, x.c); };
  else
    c.call = [](Case& x) { prim::gemm_tn_acc(x.buf("A"), x.buf("B"), x.buf("C"), x.a, x.b, x.c); };
  return c;
}

// ---- causal softmax, blocks of 64 ---------------------------------------------------------------
// Flops: the gemms of every visited block pair (bi bj (dk + dv) multiply-adds; the diagonal blocks
// in full) and the dv-multiply rescale of each active (row, block) pair, as the cost model counts.
constexpr int kSoftmaxBlock = 64;

Case softmax(int n, int d) {
  Case c;
  c.kernel = "causal_softmax";
  c.name = "causal_softmax n=" + std::to_string(n) + " d=" + std::to_string(d);
  c.a = n, c.b = d, c.c = d;
  const long B = kSoftmaxBlock;
  double pairs = 0, active = 0;
  for (long i0 = 0; i0 < n; i0 += B) {
    const long bi = std::min<long>(B, n - i0);
    for (long j0 = 0; j0 <= i0; j0 += B) pairs += double(bi) * std::min<long>(B, n - j0);
    active += double(bi) * (i0 / B + 1);
  }
  c.flops = 2.0 * pairs * (2.0 * d) + active * d;
  Rng r(static_cast<std::uint64_t>(n) * 17 + d);
  c.bufs.push_back({"Q", uniform(r, static_cast<size_t>(n) * d, -1, 1)});
  c.bufs.push_back({"K", uniform(r, static_cast<size_t>(n) * d, -1, 1)});
  c.bufs.push_back({"V", uniform(r, static_cast<size_t>(n) * d, -1, 1)});
  c.bufs.push_back({"out", std::vector<float>(static_cast<size_t>(n) * d)});
  c.reset = [](Case&) {};
  c.call = [](Case& x) {
    prim::causal_softmax(x.buf("Q"), x.buf("K"), x.buf("V"), x.buf("out"), x.a, x.b, x.c,
                         1.f / std::sqrt(static_cast<float>(x.b)), kSoftmaxBlock, 0);
  };
  return c;
}

// ---- recurrences over T tokens from a zero state --------------------------------------------------
// Flops per token: linear 4 dk dv (S += k vᵀ, o = Sᵀq); decay 5 dk dv (+ the row scale);
// delta 6 dk dv + 2 dv (+ the read of Sᵀk, u = beta (v - Sᵀk)); rwkv7 9 dk dv + dk (+ the read of
// kappaᵀS, the row scale, the removal rank-1, c = -kappa a).

Case recurrent(const char* kernel, int T, int d) {
  Case c;
  c.kernel = kernel;
  c.name = std::string(kernel) + " d=" + std::to_string(d) + " T=" + std::to_string(T);
  c.a = T, c.b = d, c.c = d;
  const double dd = double(d) * d;
  const std::string k = kernel;
  c.flops = T * (k == "linear" ? 4 * dd : k == "decay" ? 5 * dd : k == "delta" ? 6 * dd + 2 * d : 9 * dd + d);
  Rng r(static_cast<std::uint64_t>(T) * 31 + d + k.size());
  const size_t rows = static_cast<size_t>(T) * d;
  c.bufs.push_back({"q", uniform(r, rows, -1, 1)});
  c.bufs.push_back({"k", k == "delta" ? unit_rows(r, T, d) : uniform(r, rows, -1, 1)});
  c.bufs.push_back({"v", uniform(r, rows, -1, 1)});
  if (k == "decay") c.bufs.push_back({"a", uniform(r, rows, 0.9f, 0.999f)});
  if (k == "delta") c.bufs.push_back({"beta", uniform(r, T, 0.05f, 0.95f)});
  if (k == "rwkv7") {
    c.bufs.push_back({"w", uniform(r, rows, 0.55f, 0.999f)});
    c.bufs.push_back({"kappa", unit_rows(r, T, d)});
    c.bufs.push_back({"a", uniform(r, rows, 0.01f, 0.99f)});
  }
  c.bufs.push_back({"S", std::vector<float>(static_cast<size_t>(d) * d)});
  c.bufs.push_back({"out", std::vector<float>(rows)});
  c.reset = [](Case& x) { zero(x, "S"); };
  if (k == "linear")
    c.call = [](Case& x) {
      const int d = x.b;
      float *S = x.buf("S"), *q = x.buf("q"), *kk = x.buf("k"), *v = x.buf("v"), *o = x.buf("out");
      std::fill(S, S + d * d, 0.f);
      for (long t = 0; t < x.a; ++t) prim::update_read(S, kk + t * d, v + t * d, q + t * d, o + t * d, d, d);
    };
  else if (k == "decay")
    c.call = [](Case& x) {
      const int d = x.b;
      float *S = x.buf("S"), *q = x.buf("q"), *kk = x.buf("k"), *v = x.buf("v"), *a = x.buf("a"), *o = x.buf("out");
      std::fill(S, S + d * d, 0.f);
      for (long t = 0; t < x.a; ++t)
        prim::decay_update_read(S, a + t * d, kk + t * d, v + t * d, q + t * d, o + t * d, d, d);
    };
  else if (k == "delta")
    c.call = [](Case& x) {
      const int d = x.b;
      float *S = x.buf("S"), *q = x.buf("q"), *kk = x.buf("k"), *v = x.buf("v"), *beta = x.buf("beta"),
            *o = x.buf("out");
      std::fill(S, S + d * d, 0.f);
      for (long t = 0; t < x.a; ++t)
        prim::delta_update_read(S, nullptr, kk + t * d, v + t * d, beta[t], q + t * d, o + t * d, d, d);
    };
  else
    c.call = [](Case& x) {
      const int d = x.b;
      float *S = x.buf("S"), *r = x.buf("q"), *kk = x.buf("k"), *v = x.buf("v"), *w = x.buf("w"),
            *kappa = x.buf("kappa"), *a = x.buf("a"), *o = x.buf("out");
      std::fill(S, S + d * d, 0.f);
      for (long t = 0; t < x.a; ++t)
        prim::dplr_update_read(S, w + t * d, kappa + t * d, a + t * d, kk + t * d, v + t * d, r + t * d, o + t * d, d,
                               d);
    };
  return c;
}

// ---- Mamba selective scan over T tokens -------------------------------------------------------------
// Per (token, channel, state) element: delta A, the decay product, the B write (2), the C read (2):
// 6 flops and one exp; per (token, channel) 3 more (delta u, D u and its add).

Case scan(int T, int D, int N) {
  Case c;
  c.kernel = "selective_scan";
  c.name = "selective_scan D=" + std::to_string(D) + " N=" + std::to_string(N) + " T=" + std::to_string(T);
  c.a = T, c.b = D, c.c = N;
  c.elements = double(T) * D * N;
  c.flops = 6 * c.elements + 3.0 * T * D;
  Rng r(static_cast<std::uint64_t>(T) * 5 + D * 3 + N);
  c.bufs.push_back({"u", uniform(r, static_cast<size_t>(T) * D, -1, 1)});
  c.bufs.push_back({"delta", uniform(r, static_cast<size_t>(T) * D, 0.01f, 1.f)});
  c.bufs.push_back({"A", uniform(r, static_cast<size_t>(D) * N, -4.f, -0.5f)});
  c.bufs.push_back({"B", uniform(r, static_cast<size_t>(T) * N, -1, 1)});
  c.bufs.push_back({"C", uniform(r, static_cast<size_t>(T) * N, -1, 1)});
  c.bufs.push_back({"Dskip", uniform(r, static_cast<size_t>(D), -1, 1)});
  c.bufs.push_back({"h", std::vector<float>(static_cast<size_t>(D) * N)});
  c.bufs.push_back({"out", std::vector<float>(static_cast<size_t>(T) * D)});
  c.reset = [](Case& x) { zero(x, "h"); };
  c.call = [](Case& x) {
    const int D = x.b, N = x.c;
    float* h = x.buf("h");
    std::fill(h, h + static_cast<long>(D) * N, 0.f);
    for (long t = 0; t < x.a; ++t)
      prim::selective_scan(h, x.buf("A"), x.buf("delta") + t * D, x.buf("u") + t * D, x.buf("B") + t * N,
                           x.buf("C") + t * N, x.buf("Dskip"), x.buf("out") + t * D, D, N);
  };
  return c;
}

// ---- the ceiling: independent chains of acc = acc * m + c on 4 lanes -------------------------------
// Nothing but vector multiplies and adds, no memory traffic: the most mul+add throughput the build
// reaches. Each chain is a multiply then an add, so C chains keep 2C operations in flight; two chain
// counts are measured and the better is the ceiling.
constexpr long kProbeIters = 1 << 16;
// The starting values come through volatile reads and the result leaves through bench_probe_sink(),
// so the compiler can neither evaluate the loop at compile time nor drop it.
volatile float probe_params[3] = {1.f, 0.9999999f, 1e-7f};
float probe_sink = 0.f;

template <int C>
void probe(Case&) {
  const float start = probe_params[0];
  const simd::f32x4 m = simd::splat(probe_params[1]), add = simd::splat(probe_params[2]);
  simd::f32x4 acc[C];
  for (int i = 0; i < C; ++i) acc[i] = simd::splat(start + 0.001f * i);
  for (long it = 0; it < kProbeIters; ++it)
    for (int i = 0; i < C; ++i) acc[i] = acc[i] * m + add;
  simd::f32x4 s = acc[0];
  for (int i = 1; i < C; ++i) s += acc[i];
  probe_sink += simd::hsum(s);
}

Case ceiling(int chains) {
  Case c;
  c.kernel = "ceiling";
  c.name = "ceiling mul+add probe (" + std::to_string(chains) + " chains)";
  c.a = chains;
  c.flops = 8.0 * chains * kProbeIters;
  c.reset = [](Case&) {};
  c.call = chains == 8 ? probe<8> : probe<12>;
  return c;
}

std::vector<Case>& cases() {
  static std::vector<Case> all;
  if (all.empty()) {
    all.push_back(ceiling(8));
    all.push_back(ceiling(12));
    for (const char* g : {"gemm_nt", "gemm_nn_acc", "gemm_tn_acc"}) {
      all.push_back(gemm(g, 256, 256, 64));
      all.push_back(gemm(g, 64, 64, 64));
    }
    all.push_back(softmax(256, 64));
    all.push_back(softmax(1024, 64));
    for (const char* k : {"linear", "decay", "delta", "rwkv7"})
      for (int d : {64, 128}) all.push_back(recurrent(k, 256, d));
    all.push_back(scan(256, 64, 16));
  }
  return all;
}

// Wall time by default. On a machine shared with other work, `cpu` (native: this process's CPU time;
// wasm: whatever clock the loader hands the module, see bench/wasm-loader.mjs) leaves out the time
// the process spent descheduled.
[[maybe_unused]] bool cpu_clock = false;

double now_ms() {
#if !defined(__EMSCRIPTEN__) && defined(CLOCK_PROCESS_CPUTIME_ID)
  if (cpu_clock) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
  }
#endif
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

std::vector<double> last_batches;
int last_reps = 0;

}  // namespace

BENCH_EXPORT int bench_count() { return static_cast<int>(cases().size()); }
BENCH_EXPORT const char* bench_name(int id) { return cases()[id].name.c_str(); }
BENCH_EXPORT const char* bench_kernel(int id) { return cases()[id].kernel.c_str(); }
BENCH_EXPORT int bench_size(int id, int which) {
  const Case& c = cases()[id];
  return which == 0 ? c.a : which == 1 ? c.b : c.c;
}
BENCH_EXPORT double bench_flops(int id) { return cases()[id].flops; }
BENCH_EXPORT double bench_elements(int id) { return cases()[id].elements; }
BENCH_EXPORT int bench_buffers(int id) { return static_cast<int>(cases()[id].bufs.size()); }
BENCH_EXPORT const char* bench_buffer_name(int id, int i) { return cases()[id].bufs[i].name.c_str(); }
BENCH_EXPORT float* bench_buffer(int id, int i) { return cases()[id].bufs[i].data.data(); }
BENCH_EXPORT int bench_buffer_length(int id, int i) { return static_cast<int>(cases()[id].bufs[i].data.size()); }

// One call from the case's starting point, for the result checks.
BENCH_EXPORT void bench_run_once(int id) {
  Case& c = cases()[id];
  c.reset(c);
  c.call(c);
}

// Time in ms of `reps` calls, measured inside the module.
BENCH_EXPORT double bench_time(int id, int reps) {
  Case& c = cases()[id];
  const double t0 = now_ms();
  for (int i = 0; i < reps; ++i) c.call(c);
  return now_ms() - t0;
}

// The measurement every build and the JS versions share (bench/js-kernels.mjs mirrors it).
// Calibration: calls for at least warm_ms (and 2 calls) so the engine has tiered the code up, then
// reps doubled until one batch lasts batch_ms / 4, and scaled to about batch_ms. A measurement is
// then batches of that many calls; bench/suite.mjs interleaves the batches of the SIMD build, the
// baseline build, the JS version and the ceiling probes round by round, so that all of them see the
// same machine (one shared with other work changes speed from second to second).
BENCH_EXPORT int bench_calibrate(int id, double warm_ms, double batch_ms) {
  Case& c = cases()[id];
  c.reset(c);
  const double w0 = now_ms();
  int calls = 0;
  while (calls < 2 || now_ms() - w0 < warm_ms) {
    c.call(c);
    ++calls;
  }
  int reps = 1;
  double t = bench_time(id, reps);
  while (t < batch_ms / 4 && reps < (1 << 24)) {
    reps *= 2;
    t = bench_time(id, reps);
  }
  return std::max(1, static_cast<int>(std::ceil(reps * batch_ms / std::max(t, 1e-3))));
}

// Calibration and `batches` batches in a row (the native builds, one process per case); returns the
// median time per call in ms; bench_batch(i) gives each batch's time per call.
BENCH_EXPORT double bench_measure(int id, double warm_ms, double batch_ms, int batches) {
  const int reps = bench_calibrate(id, warm_ms, batch_ms);
  last_reps = reps;
  last_batches.assign(static_cast<size_t>(batches), 0.0);
  for (int b = 0; b < batches; ++b) last_batches[b] = bench_time(id, reps) / reps;
  std::vector<double> s = last_batches;
  std::sort(s.begin(), s.end());
  return s.empty() ? 0.0 : (s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]));
}
BENCH_EXPORT double bench_probe_sink() { return probe_sink; }
BENCH_EXPORT double bench_batch(int i) { return last_batches[static_cast<size_t>(i)]; }
BENCH_EXPORT int bench_reps() { return last_reps; }

#if !defined(__EMSCRIPTEN__)
// Native: the same measurements, one JSON object per case on stdout.
//   bench_native [warm_ms batch_ms batches [wall|cpu [case index...]]]
// bench/run.mjs starts one process per case, right after measuring that case in Node, so that the
// native and the wasm figures of a case are taken close together.
int main(int argc, char** argv) {
  const double warm = argc > 1 ? std::atof(argv[1]) : 100;
  const double batch = argc > 2 ? std::atof(argv[2]) : 25;
  const int batches = argc > 3 ? std::atoi(argv[3]) : 7;
  cpu_clock = argc > 4 && std::strcmp(argv[4], "cpu") == 0;
  std::vector<int> ids;
  for (int i = 5; i < argc; ++i) ids.push_back(std::atoi(argv[i]));
  if (ids.empty())
    for (int id = 0; id < bench_count(); ++id) ids.push_back(id);
  std::printf("{\"compiler\": \"%s\", \"clock\": \"%s\", \"cases\": [\n", __VERSION__, cpu_clock ? "cpu" : "wall");
  for (size_t n = 0; n < ids.size(); ++n) {
    const int id = ids[n];
    if (id < 0 || id >= bench_count()) return 2;
    const double med = bench_measure(id, warm, batch, batches);
    std::printf("  {\"name\": \"%s\", \"median_ms\": %.9g, \"reps\": %d, \"batches_ms\": [", bench_name(id), med,
                bench_reps());
    for (int b = 0; b < batches; ++b) std::printf("%s%.9g", b ? ", " : "", bench_batch(b));
    std::printf("]}%s\n", n + 1 < ids.size() ? "," : "");
    std::fflush(stdout);
  }
  std::printf("]}\n");
  return 0;
}
#endif
