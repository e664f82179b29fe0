// Feature maps φ: R^dk -> R^m for linear attention (docs/variants.md §2, §15.1-2).
//
//   elu1       φ(x) = elu(x) + 1                          m = dk   (Katharopoulos 2020)
//   relu       φ(x) = max(x, 0)                           m = dk
//   identity   φ(x) = x                                   m = dk   (fast-weight memory)
//   taylor2    φ(x) = [1, x/dk^{1/4}, (x⊗x)/(√2·√dk)]      m = 1 + dk + dk²   (Based, full outer product)
//              so that φ(q)·φ(k) = 1 + s + s²/2 with s = q·k/√dk
//   performer  x̄ = x/dk^{1/4};  φ_i(x) = m^{-1/2} exp(ω_i·x̄ − ‖x̄‖²/2)       m = `features`
//              (FAVOR+, Choromanski 2020): an unbiased estimate of exp(q·k/√dk)
//
// Performer features can overflow or underflow float32 long before the kernel they estimate does,
// so the float32 path never writes them as they are: it writes φ'_i = e^{l_i − l_max} (largest
// feature exactly 1) and returns the shift l_max, where l_i = log φ_i. The caller keeps the shift
// and puts it back where it cancels (see linear.hpp). Every other map returns shift 0.
// The float64 path (`apply_ref`) writes the true φ: it is what the reference uses.
//
// The projection ω (m x dk) comes from our own deterministic generator (splitmix64, Marsaglia's
// polar method with a logarithm built from + − × ÷ only, Gram–Schmidt in double): no libm
// transcendental and no std:: distribution touches it, so native and wasm builds draw the very same
// features from the same seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {
namespace fmap {

enum class Kind { elu1, relu, identity, taylor2, performer };

// Option spellings, in Kind order.
const std::vector<std::string>& names();
bool parse(const std::string& s, Kind* out);

// Feature dimension m for key width dk (`features` only matters for performer).
double dim(Kind kind, int dk, long features);

// Performer projection, m x dk row-major. Rows come in blocks of dk: each block is the Gram–Schmidt
// orthonormalisation of Gaussian rows (the last block keeps only the rows it needs), and every row is
// then rescaled to the norm of an independent Gaussian dk-vector (chi-distributed), as FAVOR+ does.
// The random stream: m*dk Gaussians for the directions (row by row), then m*dk for the norms.
std::vector<float> performer_omega(int dk, long m, std::uint64_t seed);

struct Map {
  Kind kind = Kind::elu1;
  int dk = 0;
  long m = 0;
  std::vector<float> omega;  // performer only

  static Map make(Kind kind, int dk, long features, std::uint64_t seed);

  // φ of one row of dk floats, the row multiplied by `scale` first; writes m floats, returns the
  // shift (performer: φ = phi * e^{shift}; otherwise 0). `work` holds at least dk floats.
  float apply(const float* x, float scale, float* phi, float* work) const;
  // The same for n rows (row t at x + t*stride), phi: n x m, shift: n (performer only, else unused).
  // Performer rows go through one gemm; `work` holds at least n*dk floats.
  void apply_rows(const float* x, long stride, long n, float scale, float* phi, float* shift, float* work) const;
  // float64, the true φ (no shift); returns log of the largest feature for performer, 0 otherwise.
  double apply_ref(const float* x, double scale, double* phi) const;
};

// Counted work of φ on one row (apply / apply_rows), for the cost model: elu1 dk macs and up to dk
// exps (only inputs <= 0 take exp: the data decides, hence exps_variable); relu, identity dk;
// taylor2 3 dk + dk^2; performer 3 dk + m dk macs and m exps.
struct Work {
  double macs = 0, exps = 0, exps_variable = 0;
};
Work work(const Map& map);

}  // namespace fmap
}  // namespace attnlab
