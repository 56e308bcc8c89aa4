// Convolution passes for the CUDA backend (conv.h): implicit im2col through the device GEMM.
//
// A chunk of B images is processed at once, its pixels side by side as GEMM columns, so even
// small maps (LeNet's 4x4) give the GEMM wide matrices (K = C*KH*KW, P = OH*OW):
//   cols (K, B*P)   = im2col(x chunk)                 one thread per element, coalesced writes
//   forward    buf  (OC, B*P) = W (OC, K) · cols;     then scattered into NCHW y with the bias
//   grad w     gw  (+)= gyc (OC, B*P) · colsᵀ         beta = 1 after the first chunk
//   grad x     cols = Wᵀ · gyc;                       then col2im as a gather: each input
//                                                     pixel sums its taps in a fixed order
// where gyc is gy's chunk made channel-major (a chunk of one image needs neither copy: the
// GEMMs read and write its NCHW planes directly). Every result is written by exactly one thread
// in a fixed order: deterministic, no atomics. Bias gradients: fixed splits of each channel,
// fixed trees, partials added in order (channel_sum).
#include <cstdlib>

#include "cuda/conv.h"
#include "cuda/device.h"
#include "cuda/gemm.h"
#include "cuda/runtime.h"

namespace nvz::cuda {
namespace {

constexpr int64_t WORKSPACE_BYTES = int64_t(256) << 20;

// Grid-stride loop in index type I: 32-bit where the chunk's arrays allow (index_fits), as
// 64-bit divisions cost several times more than 32-bit ones on a GPU.
#define NVZ_EACH_AS(I, i, n)                                                                      \
  for (I i =                                                                                      \
           static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) + static_cast<I>(threadIdx.x); \
       i < (n); i += static_cast<I>(gridDim.x) * static_cast<I>(blockDim.x))

// The geometry in the kernels' index type.
template <typename I>
struct Geom {
  I C, H, W, OC, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW;
  explicit Geom(const ConvGeom& g)
      : C(I(g.C)),
        H(I(g.H)),
        W(I(g.W)),
        OC(I(g.OC)),
        KH(I(g.KH)),
        KW(I(g.KW)),
        SH(I(g.SH)),
        SW(I(g.SW)),
        PH(I(g.PH)),
        PW(I(g.PW)),
        DH(I(g.DH)),
        DW(I(g.DW)),
        OH(I(g.OH)),
        OW(I(g.OW)) {}
};

// cols[(c, kh, kw), (b, oh, ow)] = x[b, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW] (x: the
// chunk's first image), or 0 in the padding.
template <typename T, typename I>
__global__ void im2col_kernel(Geom<I> g, const T* __restrict__ x, I B, T* __restrict__ cols) {
  const I P = g.OH * g.OW, BP = B * P, K = g.C * g.KH * g.KW;
  NVZ_EACH_AS(I, i, K * BP) {
    const I col = i % BP, row = i / BP;
    const I b = col / P, p = col % P, oh = p / g.OW, ow = p % g.OW;
    const I kw = row % g.KW, kh = (row / g.KW) % g.KH, c = row / (g.KW * g.KH);
    const I ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
    const bool in = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
    cols[i] = in ? x[((b * g.C + c) * g.H + ih) * g.W + iw] : T(0);
  }
}

// The adjoint of im2col as a gather: gx[b, c, ih, iw] = the sum of the cols entries that
// im2col would have read from it, over (kh, kw) in row-major order, plus bias[c].
template <typename T, typename I>
__global__ void col2im_kernel(Geom<I> g, const T* __restrict__ cols, I B,
                              const T* __restrict__ bias, T* __restrict__ gx) {
  const I P = g.OH * g.OW, BP = B * P, HW = g.H * g.W;
  NVZ_EACH_AS(I, i, B * g.C * HW) {
    const I iw = i % g.W, ih = (i / g.W) % g.H, c = (i / HW) % g.C, b = i / (HW * g.C);
    T acc = T(0);
    for (I kh = 0; kh < g.KH; ++kh) {
      const I th = ih + g.PH - kh * g.DH;
      if (th < 0 || th % g.SH != 0 || th / g.SH >= g.OH) continue;
      const T* row = cols + ((c * g.KH + kh) * g.KW) * BP + b * P + (th / g.SH) * g.OW;
      for (I kw = 0; kw < g.KW; ++kw) {
        const I tw = iw + g.PW - kw * g.DW;
        if (tw < 0 || tw % g.SW != 0 || tw / g.SW >= g.OW) continue;
        acc += row[kw * BP + tw / g.SW];
      }
    }
    gx[i] = bias ? acc + bias[c] : acc;
  }
}

// dst (B, OC, P) = src (OC, B*P) + bias[o]: a GEMM result back to NCHW.
template <typename T, typename I>
__global__ void to_nchw_kernel(I OC, I B, I P, const T* __restrict__ src,
                               const T* __restrict__ bias, T* __restrict__ dst) {
  NVZ_EACH_AS(I, j, OC * B * P) {
    const I p = j % P, o = (j / P) % OC, b = j / (P * OC);
    const T v = src[o * B * P + b * P + p];
    dst[j] = bias ? v + bias[o] : v;
  }
}

// y (OC, P) += bias[o]: one image's GEMM result, written in place.
template <typename T, typename I>
__global__ void add_bias_kernel(I OC, I P, const T* __restrict__ bias, T* __restrict__ y) {
  NVZ_EACH_AS(I, j, OC * P) y[j] += bias[j / P];
}

// dst (OC, B*P) = src (B, OC, P): NCHW to channel-major, for the GEMMs.
template <typename T, typename I>
__global__ void to_channel_major_kernel(I OC, I B, I P, const T* __restrict__ src,
                                        T* __restrict__ dst) {
  NVZ_EACH_AS(I, j, OC * B * P) {
    const I r = j % (B * P), o = j / (B * P), b = r / P, p = r % P;
    dst[j] = src[(b * OC + o) * P + p];
  }
}

// Bias gradients, deterministic without atomics: channel c's N*P values are cut into S equal
// ranges; block (c, s) sums range s (its threads take every SUM_THREADS-th value, then a fixed
// tree) into part[c*S + s]; then one thread per channel adds its S partials in order.
constexpr int SUM_THREADS = 128;
constexpr int64_t SUM_SPLIT_ITEMS = 16384, SUM_MAX_SPLITS = 64;

template <typename T>
__global__ void channel_partial_kernel(int64_t N, int64_t C, int64_t P, int64_t S,
                                       const T* __restrict__ y, T* __restrict__ part) {
  __shared__ T lane[SUM_THREADS];
  const int64_t c = blockIdx.x, s = blockIdx.y, total = N * P, len = (total + S - 1) / S;
  const int64_t end = nvz_min(total, (s + 1) * len);
  T acc = T(0);
  int64_t i = s * len + threadIdx.x, n = i / P, p = i % P;  // i = n*P + p, advanced in step
  for (; i < end; i += SUM_THREADS) {
    acc += y[(n * C + c) * P + p];
    for (p += SUM_THREADS; p >= P; p -= P) ++n;
  }
  lane[threadIdx.x] = acc;
  __syncthreads();
  for (int half = SUM_THREADS / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) lane[threadIdx.x] += lane[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) part[c * S + s] = lane[0];
}

template <typename T>
__global__ void channel_total_kernel(int64_t C, int64_t S, const T* __restrict__ part,
                                     T* __restrict__ out) {
  NVZ_EACH_AS(int64_t, c, C) {
    T acc = T(0);
    for (int64_t s = 0; s < S; ++s) acc += part[c * S + s];
    out[c] = acc;
  }
}

// Whether a chunk of B images can be indexed in 32 bits (with room for the grid stride), unless
// NVZ_CONV_INDEX64 is set (tests: the 64-bit path).
// The geometry must fit too: a stride or dilation that only ever multiplies 0 (one output row,
// a kernel of height 1) may be huge, and so may padding with a huge stride.
bool index_fits(const ConvGeom& g, int64_t B) {
  const int64_t BP = B * g.OH * g.OW;
  const int64_t arrays = nvz_max(nvz_max(g.C * g.KH * g.KW * BP, g.OC * BP), B * g.C * g.H * g.W);
  const int64_t steps = nvz_max(nvz_max(g.SH, g.SW), nvz_max(g.DH, g.DW));
  const int64_t padded = nvz_max(g.H + 2 * g.PH, g.W + 2 * g.PW);
  constexpr int64_t LIMIT = int64_t(1) << 30;
  return arrays < LIMIT && steps < LIMIT && padded < LIMIT &&
         std::getenv("NVZ_CONV_INDEX64") == nullptr;
}

template <typename T, typename I>
void launch_im2col(const ConvGeom& g, const T* x, int64_t B, T* cols) {
  auto kernel = im2col_kernel<T, I>;
  NVZ_LAUNCH(kernel, dim3(each_grid(g.C * g.KH * g.KW * B * g.OH * g.OW)), dim3(EACH_THREADS),
             Geom<I>(g), x, I(B), cols);
}

template <typename T, typename I>
void launch_col2im(const ConvGeom& g, const T* cols, int64_t B, const T* bias, T* gx) {
  auto kernel = col2im_kernel<T, I>;
  NVZ_LAUNCH(kernel, dim3(each_grid(B * g.C * g.H * g.W)), dim3(EACH_THREADS), Geom<I>(g), cols,
             I(B), bias, gx);
}

template <typename T, typename I>
void launch_to_nchw(int64_t OC, int64_t B, int64_t P, const T* src, const T* bias, T* dst) {
  auto kernel = to_nchw_kernel<T, I>;
  NVZ_LAUNCH(kernel, dim3(each_grid(OC * B * P)), dim3(EACH_THREADS), I(OC), I(B), I(P), src, bias,
             dst);
}

template <typename T, typename I>
void launch_add_bias(int64_t OC, int64_t P, const T* bias, T* y) {
  auto kernel = add_bias_kernel<T, I>;
  NVZ_LAUNCH(kernel, dim3(each_grid(OC * P)), dim3(EACH_THREADS), I(OC), I(P), bias, y);
}

template <typename T, typename I>
void launch_to_channel_major(int64_t OC, int64_t B, int64_t P, const T* src, T* dst) {
  auto kernel = to_channel_major_kernel<T, I>;
  NVZ_LAUNCH(kernel, dim3(each_grid(OC * B * P)), dim3(EACH_THREADS), I(OC), I(B), I(P), src, dst);
}

// The layout kernels of one chunk in 32- or 64-bit indices (index_fits).
template <typename T>
struct Layout {
  bool narrow;
  void im2col(const ConvGeom& g, const T* x, int64_t B, T* cols) const {
    narrow ? launch_im2col<T, int32_t>(g, x, B, cols) : launch_im2col<T, int64_t>(g, x, B, cols);
  }
  void col2im(const ConvGeom& g, const T* cols, int64_t B, const T* bias, T* gx) const {
    narrow ? launch_col2im<T, int32_t>(g, cols, B, bias, gx)
           : launch_col2im<T, int64_t>(g, cols, B, bias, gx);
  }
  void to_nchw(int64_t OC, int64_t B, int64_t P, const T* src, const T* bias, T* dst) const {
    narrow ? launch_to_nchw<T, int32_t>(OC, B, P, src, bias, dst)
           : launch_to_nchw<T, int64_t>(OC, B, P, src, bias, dst);
  }
  void add_bias(int64_t OC, int64_t P, const T* bias, T* y) const {
    narrow ? launch_add_bias<T, int32_t>(OC, P, bias, y)
           : launch_add_bias<T, int64_t>(OC, P, bias, y);
  }
  void to_channel_major(int64_t OC, int64_t B, int64_t P, const T* src, T* dst) const {
    narrow ? launch_to_channel_major<T, int32_t>(OC, B, P, src, dst)
           : launch_to_channel_major<T, int64_t>(OC, B, P, src, dst);
  }
};

// One chunk [n0, n0 + B) of every requested pass (conv.h); cols and buf are the workspace.
template <typename T>
void chunk_passes(const ConvGeom& g, const ConvPasses<T>& p, int64_t n0, int64_t B, T* cols,
                  T* buf) {
  const int64_t P = g.OH * g.OW, BP = B * P, K = g.C * g.KH * g.KW;
  const int64_t in = n0 * g.C * g.H * g.W, out = n0 * g.OC * P;  // the chunk's offsets
  const Layout<T> lay{index_fits(g, B)};
  // One image: its (OC, P) planes of y and gy are already the GEMMs' channel-major layout.
  const bool single = B == 1;
  if (p.y || p.gw) lay.im2col(g, p.x + in, B, cols);
  if (p.y) {
    T* prod = single ? p.y + out : buf;
    gemm<T>(false, false, g.OC, BP, K, T(1), p.w, K, cols, BP, T(0), prod, BP);
    if (!single)
      lay.to_nchw(g.OC, B, P, buf, p.b_y, p.y + out);
    else if (p.b_y)
      lay.add_bias(g.OC, P, p.b_y, prod);
  }
  if (!p.gw && !p.gx) return;
  const T* gyc = single ? p.gy + out : buf;
  if (!single) lay.to_channel_major(g.OC, B, P, p.gy + out, buf);
  if (p.gw) gemm<T>(false, true, g.OC, K, BP, T(1), gyc, BP, cols, BP, T(n0 > 0), p.gw, K);
  if (p.gx) {
    gemm<T>(true, false, K, BP, g.OC, T(1), p.w, K, gyc, BP, T(0), cols, BP);
    lay.col2im(g, cols, B, p.b_gx, p.gx + in);
  }
}

}  // namespace

int64_t conv_workspace(const ConvGeom& g, int64_t chunk) {
  return (g.C * g.KH * g.KW + g.OC) * chunk * g.OH * g.OW;
}

int64_t conv_chunk(const ConvGeom& g, int64_t elem_bytes) {
  // NVZ_CONV_WORKSPACE_BYTES: a smaller budget, so tests can run the multi-chunk path
  const char* env = std::getenv("NVZ_CONV_WORKSPACE_BYTES");
  const int64_t budget = env ? std::atoll(env) : WORKSPACE_BYTES;
  const int64_t per_image = conv_workspace(g, 1) * elem_bytes;
  const int64_t fit = per_image > 0 ? budget / per_image : g.N;
  return nvz_max<int64_t>(1, nvz_min<int64_t>(fit, g.N));
}

template <typename T>
void conv_run(const ConvGeom& g, const ConvPasses<T>& p, T* work, int64_t chunk) {
  // No images: the weight gradient is an empty sum.
  if (g.N == 0 && p.gw) device_zero(p.gw, sizeof(T) * g.OC * g.C * g.KH * g.KW);
  T* buf = work + g.C * g.KH * g.KW * chunk * g.OH * g.OW;
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk)
    chunk_passes(g, p, n0, nvz_min(chunk, g.N - n0), work, buf);
}

int64_t channel_sum_splits(int64_t N, int64_t P) {
  return nvz_max<int64_t>(1, nvz_min(SUM_MAX_SPLITS, N * P / SUM_SPLIT_ITEMS));
}

template <typename T>
void channel_sum(int64_t N, int64_t C, int64_t P, const T* y, T* out, T* part) {
  if (C == 0) return;
  const int64_t S = channel_sum_splits(N, P);
  NVZ_LAUNCH_SYNC(channel_partial_kernel<T>,
                  dim3(static_cast<unsigned>(C), static_cast<unsigned>(S)), dim3(SUM_THREADS), N, C,
                  P, S, y, part);
  NVZ_LAUNCH(channel_total_kernel<T>, dim3(each_grid(C)), dim3(EACH_THREADS), C, S, part, out);
}

template void conv_run<float>(const ConvGeom&, const ConvPasses<float>&, float*, int64_t);
template void conv_run<double>(const ConvGeom&, const ConvPasses<double>&, double*, int64_t);
template void channel_sum<float>(int64_t, int64_t, int64_t, const float*, float*, float*);
template void channel_sum<double>(int64_t, int64_t, int64_t, const double*, double*, double*);

}  // namespace nvz::cuda
