// Vector loads and stores of one instruction set's width, plus the activation maths of
// common/nn_math.h (vexp / vsigmoid / vtanh on scalars or vectors), for kernel bodies that are
// compiled once per instruction set (common/isa_each.inc).
//
// ISA BODY HEADER: no include guard on purpose. A kernel body includes it, so it is compiled
// inside each ISA namespace of common/isa_each.inc, for that ISA: the AVX-512 copy is the same
// source as the AVX2 one that the tests exercise, and no baseline caller can end up in an
// AVX-512 instruction. The kernel file must have included <cstdint>, <type_traits> and
// <utility> at global scope.
//
// Vectors are "typename Simd<T>::V", vec_bytes(kIsa) wide (16 = SSE2 / baseline, 32 = AVX2,
// 64 = AVX-512). Scalars mixed with vectors must have the vector's element type (GCC rejects
// 0.5 + float-vector as a narrowing conversion).

#include "common/nn_math.h"

template <typename T>
struct Simd {
  static constexpr int lanes = vec_bytes(kIsa) / static_cast<int>(sizeof(T));
  typedef T V __attribute__((vector_size(vec_bytes(kIsa))));
};

template <typename T>
inline typename Simd<T>::V vload(const T* p) {
  typename Simd<T>::V v;
  __builtin_memcpy(&v, p, sizeof v);  // unaligned load (vmovups)
  return v;
}

template <typename T, typename V>
inline void vstore(T* p, V v) {
  __builtin_memcpy(p, &v, sizeof v);
}

// Loads the first m (< lanes) elements; the other lanes are zero.
template <typename T>
inline typename Simd<T>::V vload_part(const T* p, int m) {
  typename Simd<T>::V v = {};
  __builtin_memcpy(&v, p, static_cast<size_t>(m) * sizeof(T));
  return v;
}

template <typename T, typename V>
inline void vstore_part(T* p, V v, int m) {
  __builtin_memcpy(p, &v, static_cast<size_t>(m) * sizeof(T));
}

template <typename T>
inline typename Simd<T>::V vbroadcast(T s) {
  return splat<typename Simd<T>::V>(s);
}
