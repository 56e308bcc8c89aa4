// Vectorised exp / sigmoid / tanh on GCC vector extensions, accurate to a few ULP, for
// kernels that are compiled once per instruction set.
//
// ISA BODY HEADER: no include guard on purpose. Include it inside a namespace that is unique
// to one instruction set, after defining NVZ_TARGET as that set's function attribute
// (empty for the baseline, __attribute__((target("avx2,fma"))) for AVX2, ...), e.g.
//
//     namespace avx2 {
//     #define NVZ_TARGET __attribute__((target("avx2,fma")))
//     #include "activations.h"
//     #undef NVZ_TARGET
//     }
//
// Every function here carries NVZ_TARGET, so each inclusion is a separate, internally
// consistent copy compiled for its ISA: the AVX-512 copy is the same source as the AVX2 one
// that the tests exercise, and no baseline caller can end up in an AVX-512 instruction.
// The includer must have included <cstdint>, <type_traits> and <utility> at global scope.
//
// Vectors are "typename Simd<T>::V", VEC_BYTES wide; VEC_BYTES is defined by the includer
// (16 = SSE2 / baseline, 32 = AVX2, 64 = AVX-512). Scalars mixed with vectors must have the
// vector's element type (GCC rejects 0.5 + float-vector as a narrowing conversion).
//
// Accuracy (no -ffast-math, no approximate reciprocal):
//   exp(x) for x <= 0:  Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, Taylor polynomial
//                       for e^r - 1 (degree 7 float, 13 double: truncation < 0.3 ULP).
//   sigmoid(x):         e = exp(-|x|), then 1/(1+e) or e/(1+e): no cancellation in either tail.
//   tanh(x):            t = expm1(-2|x|), tanh|x| = -t/(2+t). Near 0, t keeps full relative
//                       precision, unlike (1-e^-2x)/(1+e^-2x), which cancels. Saturates to
//                       exactly +-1 for large |x|. NaN propagates.
// Measured against float64/long double references: see tests/test_recurrent.py.

template <typename T>
struct Simd {
  static constexpr int lanes = VEC_BYTES / static_cast<int>(sizeof(T));
  typedef T V __attribute__((vector_size(VEC_BYTES)));
  // Unsigned lanes of the same width, for exponent-bit tricks and sign masks.
  using UInt = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  typedef UInt U __attribute__((vector_size(VEC_BYTES)));
};

template <typename V>
using ScalarOf = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<V>()[0])>>;

// --- loads, stores, broadcast ----------------------------------------------------------

template <typename T>
NVZ_TARGET inline typename Simd<T>::V vload(const T* p) {
  typename Simd<T>::V v;
  __builtin_memcpy(&v, p, sizeof v);  // unaligned load (vmovups)
  return v;
}

template <typename T, typename V>
NVZ_TARGET inline void vstore(T* p, V v) {
  __builtin_memcpy(p, &v, sizeof v);
}

// Loads the first m (< lanes) elements; the other lanes are zero.
template <typename T>
NVZ_TARGET inline typename Simd<T>::V vload_part(const T* p, int m) {
  typename Simd<T>::V v = {};
  __builtin_memcpy(&v, p, static_cast<size_t>(m) * sizeof(T));
  return v;
}

template <typename T, typename V>
NVZ_TARGET inline void vstore_part(T* p, V v, int m) {
  __builtin_memcpy(p, &v, static_cast<size_t>(m) * sizeof(T));
}

// Every lane = s. (s - 0 is s for every s, -0 and NaN included, so GCC folds the
// subtraction away and emits one broadcast; s + 0 would not fold because -0 + 0 = +0.)
template <typename T>
NVZ_TARGET inline typename Simd<T>::V vbroadcast(T s) {
  return s - typename Simd<T>::V{};
}

// --- exp building block ----------------------------------------------------------------

template <typename T>
struct ExpConstants;

template <>
struct ExpConstants<float> {
  static constexpr float log2e = 1.44269504088896341f;
  static constexpr float ln2_hi = 0.693145751953125f;  // few mantissa bits: n * ln2_hi is exact
  static constexpr float ln2_lo = 1.428606765330187045e-06f;
  static constexpr float round_shift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  static constexpr int mantissa_bits = 23;
  static constexpr uint32_t one_bits = 0x3f800000u;  // bit pattern of 1.0f
  static constexpr float lowest = -87.0f;            // keeps 2^n normal (n >= -126)
  static constexpr int degree = 7;
};

template <>
struct ExpConstants<double> {
  static constexpr double log2e = 1.44269504088896338700e+00;
  static constexpr double ln2_hi = 6.93147180369123816490e-01;  // fdlibm split
  static constexpr double ln2_lo = 1.90821492927058770002e-10;
  static constexpr double round_shift = 6755399441055744.0;  // 1.5 * 2^52
  static constexpr int mantissa_bits = 52;
  static constexpr uint64_t one_bits = 0x3ff0000000000000ull;
  static constexpr double lowest = -708.0;  // keeps 2^n normal (n >= -1022)
  static constexpr int degree = 13;
};

// 1/k! for k = 0..Deg, built at compile time (1/k! in double is correctly rounded because k!
// is exact for k <= 18; rounding it once more to float is far below the truncation error).
template <typename T, int Deg>
struct InverseFactorials {
  T c[Deg + 1];
  constexpr InverseFactorials() : c() {
    double factorial = 1;
    for (int k = 0; k <= Deg; ++k) {
      if (k > 0) factorial *= k;
      c[k] = static_cast<T>(1.0 / factorial);
    }
  }
};

// e^r - 1 for |r| <= ln2/2: Taylor series r + r^2/2! + ... + r^deg/deg!, Horner form.
// Written as r + r*r*q(r) so that for tiny r the result is r to full precision.
template <typename V>
NVZ_TARGET inline V expm1_reduced(V r) {
  using T = ScalarOf<V>;
  constexpr int deg = ExpConstants<T>::degree;
  constexpr InverseFactorials<T, deg> inv_fact{};
  V q = vbroadcast<T>(inv_fact.c[deg]);
  for (int k = deg - 1; k >= 2; --k) q = q * r + inv_fact.c[k];
  return r + r * r * q;
}

// Splits e^x (x <= 0) into 2^n * (1 + p): returns p = e^r - 1 and sets scale = 2^n.
// x below ExpConstants::lowest is clamped there (e^x < 1.7e-38 / 3e-308 is treated as that
// tiny normal number rather than a subnormal). NaN lanes stay NaN.
template <typename V>
NVZ_TARGET inline V exp_split(V x, V& scale) {
  using T = ScalarOf<V>;
  using C = ExpConstants<T>;
  using U = typename Simd<T>::U;
  x = x < C::lowest ? vbroadcast<T>(C::lowest) : x;  // a NaN compares false and is kept
  const V shifted = x * C::log2e + C::round_shift;   // n + 1.5*2^k, rounded to nearest
  const V n = shifted - C::round_shift;
  const V r = (x - n * C::ln2_hi) - n * C::ln2_lo;
  // The low mantissa bits of `shifted` hold n (two's complement); shifting them into the
  // exponent field and adding the bits of 1.0 builds 2^n without a float->int conversion
  // (AVX2 has none for 64-bit lanes).
  const U bits = ((U)shifted << C::mantissa_bits) + C::one_bits;
  scale = (V)bits;
  return expm1_reduced(r);
}

template <typename V>
NVZ_TARGET inline V vabs(V x) {
  using U = typename Simd<ScalarOf<V>>::U;
  return (V)((U)x & ~(U)vbroadcast<ScalarOf<V>>(-0.0));
}

// |y| with the sign of x.
template <typename V>
NVZ_TARGET inline V vcopysign(V y, V x) {
  using U = typename Simd<ScalarOf<V>>::U;
  const U sign = (U)vbroadcast<ScalarOf<V>>(-0.0);
  return (V)(((U)y & ~sign) | ((U)x & sign));
}

// --- activations -----------------------------------------------------------------------

template <typename V>
NVZ_TARGET inline V vsigmoid(V x) {
  using T = ScalarOf<V>;
  V scale;
  const V p = exp_split(-vabs(x), scale);
  const V e = scale * p + scale;  // e^-|x| in (0, 1]
  const V numerator = x < T(0) ? e : vbroadcast<T>(T(1));
  return numerator / (T(1) + e);
}

template <typename V>
NVZ_TARGET inline V vtanh(V x) {
  using T = ScalarOf<V>;
  V scale;
  const V p = exp_split(T(-2) * vabs(x), scale);
  const V t = scale * p + (scale - T(1));  // e^-2|x| - 1 in (-1, 0]; exactly p when n = 0
  return vcopysign(-t / (T(2) + t), x);
}
