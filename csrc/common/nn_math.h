// The maths of the activations, losses and the SGD rule, written once for every caller: the
// Cython loops of the layer path (neuralviz/_native/activations.pyx, losses.pyx, updates.pyx),
// the fused MLP trainer (cpu/mlp.cpp), the large elementwise kernels (cpu/elementwise.cpp) and
// the recurrent cells (through cpu/activations.h). Sharing the source is what makes the fused
// path and the layer path agree to rounding: they run the same formulas in the same order.
//
// ISA BODY HEADER: no include guard on purpose. Kernel bodies include it (through
// cpu/activations.h), so common/isa_each.inc compiles one copy per instruction set, each inside
// its ISA's target region; the Cython modules get one baseline copy in nvz::nn
// (neuralviz/_native/_nn_math.pxd). The includer must have included <cstdint>,
// <type_traits> and <utility> at global scope. libm is reached through GCC/Clang builtins, so
// no other standard header is needed inside the namespace.
//
// Lane-wise functions (v*) take V = float, double, or a GCC vector of either: one source is
// both the scalar loop body that GCC auto-vectorises in the Cython modules and the explicit
// vector code of the C++ kernels, so those give identical bits (FMA contraction in AVX2 and
// AVX-512 copies aside: their multiply-adds may round once instead of twice).
//
// Accuracy (no -ffast-math, no approximate reciprocal):
//   vexp(x), x <= 0:  Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, Taylor polynomial for
//                     e^r - 1 (degree 7 float, 13 double: truncation < 0.3 ULP); within ~2 ULP,
//                     underflowing gradually to subnormals and then 0. NaN propagates.
//   vsigmoid(x):      e = e^-|x|, then (x < 0 ? e : 1) / (1 + e): no cancellation in either tail,
//                     tiny outputs keep their relative accuracy down to subnormals (rounded once).
//   vtanh(x):         u = e^-2|x| - 1 from the reduced exponent, tanh|x| = -u / (2 + u). Near 0,
//                     u keeps full relative precision, unlike (1 - e^-2x) / (1 + e^-2x), which
//                     cancels. Exactly +-1 far out. NaN propagates.
// Checked against long-double references: tests/test_activations_kernels.py (<= 3 ULP) and
// tests/test_elementwise.py, tests/test_recurrent.py (every ISA).

// ---- lanes: a scalar or a GCC vector, handled alike -------------------------------------------

template <typename V>
struct LaneOf {  // a GCC vector: the type of one element
  using type = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<V>()[0])>>;
};
template <>
struct LaneOf<float> {
  using type = float;
};
template <>
struct LaneOf<double> {
  using type = double;
};
template <typename V>
using Lane = typename LaneOf<V>::type;

// Unsigned integers of the lanes' width, for exponent-bit tricks and sign masks.
template <typename T>
using UIntOf = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
template <typename V>
struct BitsOf {
  typedef UIntOf<Lane<V>> type __attribute__((vector_size(sizeof(V))));
};
template <>
struct BitsOf<float> {
  using type = uint32_t;
};
template <>
struct BitsOf<double> {
  using type = uint64_t;
};
template <typename V>
using Bits = typename BitsOf<V>::type;

// Every lane = s. (s - 0 is s for every s, -0 and NaN included, so GCC folds the subtraction
// away and emits one broadcast; s + 0 would not fold because -0 + 0 = +0.)
template <typename V>
inline V splat(Lane<V> s) {
  return s - V{};
}

// The bit patterns of x, and back.
template <typename V>
inline Bits<V> bits_of(V x) {
  return __builtin_bit_cast(Bits<V>, x);
}
template <typename V>
inline V from_bits(Bits<V> u) {
  return __builtin_bit_cast(V, u);
}

// The sign-bit operations below take scalars through the libm builtins: GCC's vectoriser then
// keeps them in the floating-point domain (andps/orps); integer bit operations there cost a
// domain crossing on every use (3-4% of the tanh loop). GCC vectors take the bit operations.
template <typename V>
inline V vabs(V x) {
  if constexpr (std::is_same_v<V, float>) {
    return __builtin_fabsf(x);
  } else if constexpr (std::is_same_v<V, double>) {
    return __builtin_fabs(x);
  } else {
    return from_bits<V>(bits_of(x) & ~bits_of(splat<V>(Lane<V>(-0.0))));
  }
}

// -|x|, by setting the sign bit: one operation where -vabs(x) takes two.
template <typename V>
inline V vneg_abs(V x) {
  if constexpr (std::is_floating_point_v<V>) {
    return -vabs(x);
  } else {
    return from_bits<V>(bits_of(x) | bits_of(splat<V>(Lane<V>(-0.0))));
  }
}

// |y| with the sign of x.
template <typename V>
inline V vcopysign(V y, V x) {
  if constexpr (std::is_same_v<V, float>) {
    return __builtin_copysignf(y, x);
  } else if constexpr (std::is_same_v<V, double>) {
    return __builtin_copysign(y, x);
  } else {
    const Bits<V> sign = bits_of(splat<V>(Lane<V>(-0.0)));
    return from_bits<V>((bits_of(y) & ~sign) | (bits_of(x) & sign));
  }
}

// ---- exp and its building blocks --------------------------------------------------------------

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
  static constexpr float underflow = -105.0f;        // e^x rounds to 0 below
  static constexpr float tanh_saturation = 10.0f;    // tanh rounds to +-1 from |x| ~ 9.01 on
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
  static constexpr double underflow = -746.0;
  static constexpr double tanh_saturation = 20.0;  // from |x| ~ 19.06 on
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
inline V expm1_reduced(V r) {
  using T = Lane<V>;
  constexpr int deg = ExpConstants<T>::degree;
  constexpr InverseFactorials<T, deg> inv_fact{};
  V q = splat<V>(inv_fact.c[deg]);
  for (int k = deg - 1; k >= 2; --k) q = q * r + inv_fact.c[k];
  return r + r * r * q;
}

// Splits x = n ln2 + r, n = round(x / ln2), |r| <= ln2/2 (Cody-Waite: n * ln2_hi is exact).
// Returns shifted = n + round_shift, whose low mantissa bits hold n (two's complement).
template <typename V>
inline V reduce_ln2(V x, V& r) {
  using C = ExpConstants<Lane<V>>;
  const V shifted = x * C::log2e + C::round_shift;
  const V n = shifted - C::round_shift;
  r = (x - n * C::ln2_hi) - n * C::ln2_lo;
  return shifted;
}

// 2^(n + Bias) from shifted = n + round_shift, for n + Bias in the normal exponent range:
// shifting n's bits into the exponent field and adding the bits of 2^Bias builds it without a
// float->int conversion (AVX2 has none for 64-bit lanes).
template <int Bias = 0, typename V>
inline V pow2_of_shifted(V shifted) {
  using T = Lane<V>;
  using C = ExpConstants<T>;
  constexpr UIntOf<T> bias_bits = C::one_bits + (static_cast<UIntOf<T>>(Bias) << C::mantissa_bits);
  return from_bits<V>((bits_of(shifted) << C::mantissa_bits) + bias_bits);
}

// 2^64 e^x for x <= 0, the only arguments the callers have (softmax's x - max, sigmoid's -|x|):
// 2^n is built as s = 2^(n+64), a normal number even where e^x is subnormal, so the result is
// normal too and one later multiply (or division) by 2^64 rounds once: gradual underflow without
// a second scale factor. s p + s is s (1 + p) rounded once, with or without FMA (s is a power of
// two). Arguments below `underflow` are clamped there (e^x rounds to 0); NaN propagates.
template <typename V>
inline V vexp_times_2_64(V x) {
  using C = ExpConstants<Lane<V>>;
  x = x < C::underflow ? splat<V>(C::underflow) : x;  // a NaN compares false and is kept
  V r;
  const V s = pow2_of_shifted<64>(reduce_ln2(x, r));
  return s * expm1_reduced(r) + s;
}

// e^x for x <= 0.
template <typename V>
inline V vexp(V x) {
  return vexp_times_2_64(x) * Lane<V>(0x1p-64);
}

// ---- activations ------------------------------------------------------------------------------

// sigmoid(x) = (x < 0 ? e : 1) / (1 + e) from e = e^-|x|, handed over as k e for a power of two
// k (numerator and denominator scaled alike: the same quotient, bit for bit, while k e is
// normal). vsigmoid takes k = 2^64, so a subnormal result is rounded once, by the division.
template <typename V>
inline V sigmoid_from_exp(V x, V k_e, Lane<V> k = 1) {
  using T = Lane<V>;
  return (x < T(0) ? k_e : splat<V>(k)) / (k + k_e);
}

template <typename V>
inline V vsigmoid(V x) {
  return sigmoid_from_exp(x, vexp_times_2_64(vneg_abs(x)), Lane<V>(0x1p64));
}

template <typename V>
inline V vtanh(V x) {
  using T = Lane<V>;
  using C = ExpConstants<T>;
  V a = vabs(x);
  a = a > C::tanh_saturation ? splat<V>(C::tanh_saturation) : a;  // keeps 2^n normal; NaN kept
  V r;
  const V s = pow2_of_shifted(reduce_ln2(T(-2) * a, r));
  const V u = s * expm1_reduced(r) + (s - T(1));  // e^-2a - 1 in (-1, 0]; exactly r's when n = 0
  return vcopysign(-u / (T(2) + u), x);
}

// The piecewise-linear ones and the derivatives, as selects (not multiplies by a mask), so an
// inf or NaN upstream gradient stays masked where the derivative is 0. NaN inputs propagate
// through relu, as torch.relu.
template <typename T>
inline T relu(T x) {
  return x <= T(0) ? T(0) : x;
}

// From the forward input or output: both are positive at the same places (the gradient at 0 is 0).
template <typename T>
inline T relu_grad(T y_or_x, T g) {
  return y_or_x > T(0) ? g : T(0);
}

template <typename T>
inline T leaky_relu(T x, T slope) {
  return x > T(0) ? x : x * slope;
}

// The slope applies at x == 0, as in torch. For slope >= 0 the output has the input's sign,
// so the saved output works too.
template <typename T>
inline T leaky_relu_grad(T x, T slope, T g) {
  return x > T(0) ? g : g * slope;
}

// From the saved output y (no second transcendental call), in torch's order of operations.
template <typename T>
inline T tanh_grad(T y, T g) {
  return g * (T(1) - y * y);
}

template <typename T>
inline T sigmoid_grad(T y, T g) {
  return g * (T(1) - y) * y;
}

// ---- losses: means over the batch (PyTorch's defaults), sums in float64 -----------------------

// The gradient scale of a mean over n terms, rounded once from float64 so every caller has
// the same bits.
template <typename T>
inline T mean_scale(int64_t n, double numerator = 1.0) {
  return static_cast<T>(numerator / static_cast<double>(n));
}

// Softmax cross-entropy of one row of C logits x[0], x[s], ..., x[(C-1) s] against class
// `label`: returns m + log(sum) - x[label], m the row max, sum = sum_c e^(x_c - m) in float64
// (also stored in `sum`). Leaves e^(x_c - m) in e (same stride). The max and x[label] are read
// before e is written, so e may be x itself.
template <typename T>
inline double softmax_xent_row(const T* x, int64_t s, int64_t C, int64_t label, T* e, double& sum) {
  T m = x[0];
  for (int64_t c = 1; c < C; ++c) m = x[c * s] > m ? x[c * s] : m;
  const T x_label = x[label * s];
  for (int64_t c = 0; c < C; ++c) e[c * s] = vexp(x[c * s] - m);
  sum = 0;
  for (int64_t c = 0; c < C; ++c) sum += e[c * s];
  return (m + __builtin_log(sum)) - x_label;
}

// e_c <- (e_c / sum - [c == label]) * inv_n: the row's gradient of the mean loss over the batch
// (e and sum as softmax_xent_row left them, inv_n = mean_scale(batch)).
template <typename T>
inline void softmax_xent_row_grad(T* e, int64_t s, int64_t C, int64_t label, double sum, T inv_n) {
  const T inv_sum = static_cast<T>(1 / sum);
  for (int64_t c = 0; c < C; ++c) e[c * s] = e[c * s] * inv_sum * inv_n;
  e[label * s] -= inv_n;
}

// Binary cross-entropy on a logit x with target t (soft targets too), in float64, where it stays
// exact for large |x|: max(x, 0) - x t + log1p(e^-|x|). Leaves e = e^-|x| for bce_logits_grad.
// libm's exp here, not vexp: this loop is scalar anyway (log1p), and there libm's table-driven
// exp is 2x faster than a degree-13 polynomial.
inline double bce_logits_term(double x, double t, double& e) {
  e = __builtin_exp(-__builtin_fabs(x));
  return (x > 0 ? x : 0.0) - x * t + __builtin_log1p(e);
}

// The term's derivative sigmoid(x) - t, from the e bce_logits_term left (callers scale it by
// mean_scale(numel)). Kept apart so that the loss-only caller skips its division.
inline double bce_logits_grad(double x, double t, double e) {
  return sigmoid_from_exp(x, e) - t;
}

// Squared error of one element, in float64; its gradient is mse_grad with scale =
// mean_scale(numel, 2).
template <typename T>
inline double mse_term(T p, T t) {
  const double d = static_cast<double>(p) - static_cast<double>(t);
  return d * d;
}

template <typename T>
inline T mse_grad(T p, T t, T scale) {
  return scale * (p - t);
}

// ---- the SGD rule (torch.optim.SGD without momentum, plus an L1 term) -------------------------

template <typename T>
inline T sign(T v) {  // sign(0) = 0
  return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
}

// d = g + wd p + l1 sign(p), or g itself when both are zero, as torch skips a zero weight decay
// (0 * an infinite p would turn into NaN). `regularise` = (wd != 0 || l1 != 0) is loop-invariant:
// the compiler hoists the test and vectorises both loops.
template <typename T>
inline T effective_grad(T g, T p, T wd, T l1, bool regularise) {
  return regularise ? g + wd * p + l1 * sign(p) : g;
}

template <typename T>
inline T sgd_step(T p, T g, T lr, T wd, T l1, bool regularise) {
  return p - lr * effective_grad(g, p, wd, l1, regularise);
}
