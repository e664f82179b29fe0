#include "core/feature_maps.hpp"

#include <algorithm>
#include <cmath>

#include "core/primitives.hpp"
#include "core/variant.hpp"

namespace attnlab {
namespace fmap {

namespace {

// Natural log of s in (0, 1] from exact operations only: s = f·2^e with f in [√½, √2), then
// ln f = 2 atanh(y), y = (f−1)/(f+1), |y| <= 0.172, whose odd series reaches double precision in
// 12 terms. libm's log may differ in the last bit between glibc (FMA code paths) and Emscripten's
// musl, and one differing bit would give the two builds different random features.
double portable_log(double s) {
  int e = 0;
  double f = std::frexp(s, &e);
  if (f < 0.70710678118654752) {
    f *= 2;
    e -= 1;
  }
  const double y = (f - 1) / (f + 1), y2 = y * y;
  double series = 1.0 / 25;
  for (int k = 11; k >= 0; --k) series = 1.0 / (2 * k + 1) + y2 * series;
  return 2 * y * series + e * 0.69314718055994531;
}

// splitmix64 (Steele, Lea, Flood 2014) feeding Marsaglia's polar method: only +, −, ×, ÷, sqrt
// (correctly rounded everywhere) and the log above, so every platform draws the same numbers.
// The build never contracts a*b+c into an FMA here: neither x86-64 without -mfma nor wasm has one.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : state_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    for (;;) {
      const double u = 2 * uniform() - 1, v = 2 * uniform() - 1, s = u * u + v * v;
      if (s >= 1 || s == 0) continue;
      const double f = std::sqrt(-2 * portable_log(s) / s);
      spare_ = v * f;
      has_spare_ = true;
      return u * f;
    }
  }

 private:
  std::uint64_t bits() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(bits() >> 11) * 0x1p-53; }  // [0, 1), 53 bits

  std::uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// dk^{-1/4}: the performer and taylor2 key/query scaling that turns q̄·k̄ into q·k/√dk.
double quarter_root_inv(int dk) { return 1.0 / std::sqrt(std::sqrt(static_cast<double>(dk))); }

}  // namespace

const std::vector<std::string>& names() {
  static const std::vector<std::string> n = {"elu1", "relu", "identity", "taylor2", "performer"};
  return n;
}

bool parse(const std::string& s, Kind* out) {
  const auto& n = names();
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == s) {
      *out = static_cast<Kind>(i);
      return true;
    }
  return false;
}

double dim(Kind kind, int dk, long features) {
  switch (kind) {
    case Kind::taylor2: return 1.0 + dk + static_cast<double>(dk) * dk;
    case Kind::performer: return static_cast<double>(features);
    default: return dk;
  }
}

std::vector<float> performer_omega(int dk, long m, std::uint64_t seed) {
  Gaussian rng(seed);
  std::vector<double> dir(static_cast<size_t>(m) * dk);
  for (long r = 0; r < m; ++r) {
    double* row = dir.data() + r * dk;
    for (int i = 0; i < dk; ++i) row[i] = rng.next();
    // Modified Gram–Schmidt against the earlier rows of the same block of dk rows.
    for (long p = (r / dk) * dk; p < r; ++p) {
      const double* prev = dir.data() + p * dk;
      double d = 0;
      for (int i = 0; i < dk; ++i) d += row[i] * prev[i];
      for (int i = 0; i < dk; ++i) row[i] -= d * prev[i];
    }
    double nrm = 0;
    for (int i = 0; i < dk; ++i) nrm += row[i] * row[i];
    nrm = std::sqrt(nrm);
    for (int i = 0; i < dk; ++i) row[i] /= nrm;
  }
  std::vector<float> omega(dir.size());
  for (long r = 0; r < m; ++r) {
    double chi = 0;
    for (int i = 0; i < dk; ++i) {
      const double z = rng.next();
      chi += z * z;
    }
    chi = std::sqrt(chi);
    for (int i = 0; i < dk; ++i) omega[r * dk + i] = static_cast<float>(chi * dir[r * dk + i]);
  }
  return omega;
}

Map Map::make(Kind kind, int dk, long features, std::uint64_t seed) {
  Map mp;
  mp.kind = kind;
  mp.dk = dk;
  mp.m = static_cast<long>(dim(kind, dk, features));
  if (kind == Kind::performer) mp.omega = performer_omega(dk, mp.m, seed);
  return mp;
}

float Map::apply(const float* x, float scale, float* phi, float* work) const {
  switch (kind) {
    case Kind::elu1:
      for (int i = 0; i < dk; ++i) {
        const float y = scale * x[i];
        phi[i] = y > 0.f ? y + 1.f : prim::exp(y);
      }
      ATTNLAB_COUNT_MACS(dk);
      return 0.f;
    case Kind::relu:
      for (int i = 0; i < dk; ++i) phi[i] = std::max(scale * x[i], 0.f);
      ATTNLAB_COUNT_MACS(dk);
      return 0.f;
    case Kind::identity:
      for (int i = 0; i < dk; ++i) phi[i] = scale * x[i];
      ATTNLAB_COUNT_MACS(dk);
      return 0.f;
    case Kind::taylor2: {
      const float a = static_cast<float>(quarter_root_inv(dk));
      const float b = static_cast<float>(1.0 / std::sqrt(2.0 * dk));
      phi[0] = 1.f;
      for (int i = 0; i < dk; ++i) work[i] = scale * x[i];
      for (int i = 0; i < dk; ++i) phi[1 + i] = a * work[i];
      float* outer = phi + 1 + dk;
      for (int i = 0; i < dk; ++i) {
        const float bi = b * work[i];
        for (int j = 0; j < dk; ++j) outer[static_cast<long>(i) * dk + j] = bi * work[j];
      }
      ATTNLAB_COUNT_MACS(3L * dk + static_cast<long>(dk) * dk);
      return 0.f;
    }
    case Kind::performer: {
      // scale first, as a caller who scaled q themselves would: the result is then bit-identical.
      const float c = static_cast<float>(quarter_root_inv(dk));
      for (int i = 0; i < dk; ++i) work[i] = c * (scale * x[i]);
      ATTNLAB_COUNT_MACS(2 * dk);
      prim::matvec(omega.data(), work, phi, static_cast<int>(m), dk);
      const float sq = prim::dot(work, work, dk);
      const float mx = *std::max_element(phi, phi + m);
      prim::exp_shifted(phi, static_cast<int>(m), mx);
      return mx - 0.5f * sq - 0.5f * std::log(static_cast<float>(m));
    }
  }
  return 0.f;
}

void Map::apply_rows(const float* x, long stride, long n, float scale, float* phi, float* shift, float* work) const {
  if (kind != Kind::performer) {
    for (long t = 0; t < n; ++t) apply(x + t * stride, scale, phi + t * m, work);
    return;
  }
  const float c = static_cast<float>(quarter_root_inv(dk));
  for (long t = 0; t < n; ++t)
    for (int i = 0; i < dk; ++i) work[t * dk + i] = c * (scale * x[t * stride + i]);
  ATTNLAB_COUNT_MACS(2 * n * dk);
  prim::gemm_nt(work, omega.data(), phi, static_cast<int>(n), static_cast<int>(m), dk);
  const float half_log_m = 0.5f * std::log(static_cast<float>(m));
  for (long t = 0; t < n; ++t) {
    float* row = phi + t * m;
    const float* xb = work + t * dk;
    const float sq = prim::dot(xb, xb, dk);
    const float mx = *std::max_element(row, row + m);
    prim::exp_shifted(row, static_cast<int>(m), mx);
    shift[t] = mx - 0.5f * sq - half_log_m;
  }
}

ATTNLAB_COLD double Map::apply_ref(const float* x, double scale, double* phi) const {
  switch (kind) {
    case Kind::elu1:
      for (int i = 0; i < dk; ++i) {
        const double y = scale * x[i];
        phi[i] = y > 0 ? y + 1 : std::exp(y);
      }
      return 0;
    case Kind::relu:
      for (int i = 0; i < dk; ++i) phi[i] = std::max(scale * x[i], 0.0);
      return 0;
    case Kind::identity:
      for (int i = 0; i < dk; ++i) phi[i] = scale * x[i];
      return 0;
    case Kind::taylor2: {
      const double a = quarter_root_inv(dk), b = 1.0 / std::sqrt(2.0 * dk);
      phi[0] = 1;
      for (int i = 0; i < dk; ++i) phi[1 + i] = a * scale * x[i];
      for (int i = 0; i < dk; ++i)
        for (int j = 0; j < dk; ++j)
          phi[1 + dk + static_cast<long>(i) * dk + j] = b * (scale * x[i]) * (scale * x[j]);
      return 0;
    }
    case Kind::performer: {
      const double c = quarter_root_inv(dk) * scale;
      double sq = 0;
      for (int i = 0; i < dk; ++i) sq += (c * x[i]) * (c * x[i]);
      double mx = -INFINITY;
      for (long r = 0; r < m; ++r) {
        double d = 0;
        for (int i = 0; i < dk; ++i) d += static_cast<double>(omega[r * dk + i]) * (c * x[i]);
        phi[r] = d - 0.5 * sq - 0.5 * std::log(static_cast<double>(m));
        mx = std::max(mx, phi[r]);
      }
      for (long r = 0; r < m; ++r) phi[r] = std::exp(phi[r]);
      return mx;
    }
  }
  return 0;
}

Work work(const Map& mp) {
  const double dk = mp.dk, m = static_cast<double>(mp.m);
  switch (mp.kind) {
    case Kind::elu1: return {dk, dk, dk};
    case Kind::relu:
    case Kind::identity: return {dk, 0, 0};
    case Kind::taylor2: return {3 * dk + dk * dk, 0, 0};
    case Kind::performer: return {3 * dk + m * dk, m, 0};
  }
  return {};
}

}  // namespace fmap
}  // namespace attnlab
