#include "core/decimal.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace attnlab {

namespace {

// An unsigned integer of up to 100 32-bit limbs, least significant first, no leading zero limb.
// The widest values below (m * 5^400 shifted by about 1,500 bits in compare(); the smallest
// subnormal's mantissa times 5^1074 in format_g) need under 2,600 bits.
struct Big {
  std::uint32_t w[100];
  int n = 0;
  explicit Big(std::uint64_t v) {
    while (v) {
      w[n++] = static_cast<std::uint32_t>(v);
      v >>= 32;
    }
  }
  void mul(std::uint32_t k) {
    std::uint64_t carry = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t t = static_cast<std::uint64_t>(w[i]) * k + carry;
      w[i] = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    if (carry) w[n++] = static_cast<std::uint32_t>(carry);
  }
  void mul_pow5(int e) {
    for (; e >= 13; e -= 13) mul(1220703125u);  // 5^13, the largest power of 5 below 2^32
    std::uint32_t k = 1;
    while (e-- > 0) k *= 5;
    mul(k);
  }
  // Divides by d, returns the remainder.
  std::uint32_t divmod(std::uint32_t d) {
    std::uint64_t r = 0;
    for (int i = n - 1; i >= 0; --i) {
      const std::uint64_t cur = (r << 32) | w[i];
      w[i] = static_cast<std::uint32_t>(cur / d);
      r = cur % d;
    }
    while (n > 0 && w[n - 1] == 0) --n;
    return static_cast<std::uint32_t>(r);
  }
  void shl(int bits) {
    if (n == 0) return;
    const int limbs = bits / 32, r = bits % 32;
    if (r) {
      std::uint32_t carry = 0;
      for (int i = 0; i < n; ++i) {
        const std::uint32_t v = w[i];
        w[i] = (v << r) | carry;
        carry = v >> (32 - r);
      }
      if (carry) w[n++] = carry;
    }
    if (limbs) {
      for (int i = n - 1; i >= 0; --i) w[i + limbs] = w[i];
      for (int i = 0; i < limbs; ++i) w[i] = 0;
      n += limbs;
    }
  }
};

int compare(const Big& a, const Big& b) {
  if (a.n != b.n) return a.n < b.n ? -1 : 1;
  for (int i = a.n - 1; i >= 0; --i)
    if (a.w[i] != b.w[i]) return a.w[i] < b.w[i] ? -1 : 1;
  return 0;
}

// Sign of m * 10^e - k * 2^p, for m, k > 0.
int compare(std::uint64_t m, int e, std::uint64_t k, int p) {
  Big a(m), b(k);
  int a2 = 0, b2 = 0;  // powers of two still to apply to a and b
  if (e >= 0) {
    a.mul_pow5(e);
    a2 += e;
  } else {
    b.mul_pow5(-e);
    b2 -= e;
  }
  if (p >= 0) b2 += p;
  else a2 -= p;
  const int common = std::min(a2, b2);
  a.shl(a2 - common);
  b.shl(b2 - common);
  return compare(a, b);
}

std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

double from_bits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

constexpr std::uint64_t kInfBits = 0x7FF0000000000000ull;
constexpr std::uint64_t kHidden = 1ull << 52;

// Decimal digits of a positive integer, most significant first.
std::string digits_of(Big b) {
  std::string s;
  while (b.n > 0) {
    std::uint32_t chunk = b.divmod(1000000000u);
    for (int i = 0; i < 9; ++i, chunk /= 10) s += static_cast<char>('0' + chunk % 10);
  }
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  return std::string(s.rbegin(), s.rend());
}

}  // namespace

bool parse_decimal(const char* s, Decimal* out) {
  Decimal d;
  if (*s == '+' || *s == '-') d.neg = *s++ == '-';
  int digits = 0, significant = 0, scale = 0;
  bool point = false;
  for (;; ++s) {
    if (*s == '.' && !point) {
      point = true;
      continue;
    }
    if (*s < '0' || *s > '9') break;
    ++digits;
    if (point) --scale;
    if (significant == 0 && *s == '0') continue;
    if (++significant > 19) return false;
    d.m = d.m * 10 + static_cast<std::uint64_t>(*s - '0');
  }
  if (digits == 0) return false;
  long exp = 0;
  if (*s == 'e' || *s == 'E') {
    ++s;
    bool neg_exp = false;
    if (*s == '+' || *s == '-') neg_exp = *s++ == '-';
    if (*s < '0' || *s > '9') return false;
    for (; *s >= '0' && *s <= '9'; ++s) exp = std::min(exp * 10 + (*s - '0'), 100000L);
    if (neg_exp) exp = -exp;
  }
  if (*s) return false;
  // Beyond +-400 every non-zero mantissa (< 10^19) is past the largest double or below half the
  // smallest one either way, so clamping changes no result and bounds the integers in compare().
  d.e = static_cast<int>(std::max(-400L, std::min(400L, exp + scale)));
  *out = d;
  return true;
}

int decimal_vs_double(std::uint64_t m, int e, double x) {
  const std::uint64_t bits = bits_of(x);
  if (bits == kInfBits) {
    // Rounds to infinity from the midpoint above the largest double on (a tie goes to infinity: the
    // largest double's mantissa is odd).
    return compare(m, e, 4 * (2 * kHidden - 1) + 2, 971 - 2) >= 0 ? 0 : -1;
  }
  const std::uint64_t field = bits >> 52, frac = bits & (kHidden - 1);
  const std::uint64_t f = field ? frac | kHidden : frac;  // x = f * 2^q
  const int q = field ? static_cast<int>(field) - 1075 : -1074;
  // In units of 2^(q-2): x = 4f, the midpoint to the next double 4f + 2, to the previous one 4f - 2,
  // or 4f - 1 when x is a power of two whose predecessor lies in the binade below (half the gap).
  // A decimal exactly on a midpoint goes to the double with the even mantissa.
  const int up = compare(m, e, 4 * f + 2, q - 2);
  if (up > 0 || (up == 0 && (f & 1))) return 1;
  if (f == 0) return 0;
  const int down = compare(m, e, frac == 0 && field > 1 ? 4 * f - 1 : 4 * f - 2, q - 2);
  if (down < 0 || (down == 0 && (f & 1))) return -1;
  return 0;
}

double decimal_to_double(const Decimal& d) {
  double x = 0;
  if (d.m == 0) {
    x = 0;
  } else if (d.m < kHidden && d.e >= -22 && d.e <= 22) {
    // Both operands exact (10^22 is the largest power of ten a double holds), so the one rounding of
    // the product or quotient is the correctly rounded result.
    double p = 1;
    for (int i = 0; i < (d.e < 0 ? -d.e : d.e); ++i) p *= 10;
    x = d.e < 0 ? static_cast<double>(d.m) / p : static_cast<double>(d.m) * p;
  } else {
    // Binary search over the bit patterns of the non-negative doubles, which sort as integers.
    std::uint64_t lo = 0, hi = kInfBits;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      const int c = decimal_vs_double(d.m, d.e, from_bits(mid));
      if (c == 0) {
        lo = hi = mid;
      } else if (c > 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    x = from_bits(lo);
  }
  return d.neg ? -x : x;
}

std::string format_g(double x, int precision) {
  const int P = precision < 1 ? 1 : precision;
  const std::uint64_t bits = bits_of(x);
  const std::string sign = bits >> 63 ? "-" : "";
  const std::uint64_t field = (bits >> 52) & 0x7FF, frac = bits & (kHidden - 1);
  std::string kept;  // the P significant digits
  int X = 0;         // decimal exponent of the first of them
  if (field == 0 && frac == 0) {
    kept.assign(static_cast<size_t>(P), '0');
  } else {
    // |x| = f * 2^q exactly; as an integer B times 10^scale: B = f * 2^q, or f * 5^-q with scale q.
    const std::uint64_t f = field ? frac | kHidden : frac;
    const int q = field ? static_cast<int>(field) - 1075 : -1074;
    Big b(f);
    int scale = 0;
    if (q >= 0) {
      b.shl(q);
    } else {
      b.mul_pow5(-q);
      scale = q;
    }
    const std::string all = digits_of(b);
    X = static_cast<int>(all.size()) - 1 + scale;
    if (static_cast<int>(all.size()) <= P) {
      kept = all + std::string(static_cast<size_t>(P) - all.size(), '0');
    } else {
      kept = all.substr(0, static_cast<size_t>(P));
      // Round to nearest on the exact digits; an exact half goes to the even last digit.
      const char next = all[static_cast<size_t>(P)];
      const bool more = all.find_first_not_of('0', static_cast<size_t>(P) + 1) != std::string::npos;
      const bool up = next > '5' || (next == '5' && (more || (kept.back() - '0') % 2 == 1));
      if (up) {
        int i = P - 1;
        while (i >= 0 && kept[static_cast<size_t>(i)] == '9') kept[static_cast<size_t>(i--)] = '0';
        if (i >= 0) {
          ++kept[static_cast<size_t>(i)];
        } else {
          kept.insert(kept.begin(), '1');
          kept.pop_back();
          ++X;
        }
      }
    }
  }
  std::string out;
  if (P > X && X >= -4) {
    // Style f with P - 1 - X decimals.
    if (X >= 0) out = kept.substr(0, static_cast<size_t>(X) + 1) + "." + kept.substr(static_cast<size_t>(X) + 1);
    else out = "0." + std::string(static_cast<size_t>(-X - 1), '0') + kept;
  } else {
    out = kept.substr(0, 1) + "." + kept.substr(1);
  }
  // %g drops trailing zeros of the fraction, then a bare decimal point.
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  if (!(P > X && X >= -4)) {
    const int e = X < 0 ? -X : X;
    out += X < 0 ? "e-" : "e+";
    if (e < 10) out += '0';
    out += std::to_string(e);
  }
  return sign + out;
}

std::string format_integer(double x) {
  const std::string digits = std::to_string(static_cast<long long>(x < 0 ? -x : x));
  return (std::signbit(x) ? "-" : "") + digits;
}

std::string unicode_escape(char c) {
  const char* hex = "0123456789abcdef";
  const unsigned u = static_cast<unsigned char>(c);
  return std::string("\\u00") + hex[(u >> 4) & 15] + hex[u & 15];
}

}  // namespace attnlab
