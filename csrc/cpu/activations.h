// Vector loads and stores of one instruction set's width, plus the activation maths of
// common/nn_math.h (vexp / vsigmoid / vtanh on scalars or vectors), for kernels that are
// compiled once per instruction set.
//
// ISA BODY HEADER: no include guard on purpose. Include it inside a namespace that is unique
// to one instruction set, after defining NVZ_TARGET as that set's function attribute
// (empty for the baseline, __attribute__((target("avx2,fma"))) for AVX2, ...), e.g.
//
//     namespace avx2 {
//     #define NVZ_TARGET __attribute__((target("avx2,fma")))
//     #define VEC_BYTES 32
//     #include "activations.h"
//     #undef VEC_BYTES
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

#include "../common/nn_math.h"

template <typename T>
struct Simd {
  static constexpr int lanes = VEC_BYTES / static_cast<int>(sizeof(T));
  typedef T V __attribute__((vector_size(VEC_BYTES)));
};

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

template <typename T>
NVZ_TARGET inline typename Simd<T>::V vbroadcast(T s) {
  return splat<typename Simd<T>::V>(s);
}
