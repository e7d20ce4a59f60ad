// layer_norm.cu: per-row layer norm of a contiguous rows x cols matrix with gamma/beta over
// cols, f32 and bf16 (gamma/beta in the same dtype as x; f32 math), biased variance,
// y = (x - mean) * rstd * gamma + beta with rstd = rsqrt(var + eps), as PyTorch's
// vectorized_layer_norm_kernel: the row is read from memory once into registers (16-byte
// vectors) and stays there for the mean pass, the variance pass (sum of (x - mean)^2, exact
// two-pass) and the normalise pass; divisions are reciprocal multiplies.
// Rows of <= ROW_WARP_MAX_COLS columns: one warp per row, 8 rows per block. Longer rows: one
// 256-thread block per row, in registers up to 32 floats a thread (8192 columns), above that in three streaming
// passes.
// Launch: block 256; grid ceil(rows / 8) when cols <= ROW_WARP_MAX_COLS, else rows.
// cols % 4 == 0 (f32), % 8 (bf16).
#include "rows.cuh"

template <class T, int TPR, int NV>
__device__ __forceinline__ void layer_norm_row(const typename T::V* x, typename T::V* y,
                                               const typename T::V* g, const typename T::V* b,
                                               uint32_t nvec, float inv_cols, float eps, uint32_t t,
                                               float* scratch) {
    float v[NV][T::E];
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        const uint32_t i = t + k * TPR;
        if (i < nvec) {
            T::unpack(__ldg(x + i), v[k]);
        } else {
#pragma unroll
            for (int e = 0; e < T::E; ++e) v[k][e] = 0.0f;
        }
#pragma unroll
        for (int e = 0; e < T::E; ++e) s += v[k][e];
    }
    const float mean = row_reduce<TPR, OpSum>(s, scratch) * inv_cols;
    float q = 0.0f;
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        if (t + k * TPR < nvec) {
#pragma unroll
            for (int e = 0; e < T::E; ++e) {
                const float d = v[k][e] - mean;
                q += d * d;
            }
        }
    }
    const float rstd = rsqrtf(row_reduce<TPR, OpSum>(q, scratch) * inv_cols + eps);
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        const uint32_t i = t + k * TPR;
        if (i < nvec) {
            float gf[T::E], bf[T::E];
            T::unpack(__ldg(g + i), gf);
            T::unpack(__ldg(b + i), bf);
#pragma unroll
            for (int e = 0; e < T::E; ++e) v[k][e] = (v[k][e] - mean) * rstd * gf[e] + bf[e];
            y[i] = T::pack(v[k]);
        }
    }
}

// Rows too long for registers: mean, variance and the normalised row in three passes.
template <class T>
__device__ __noinline__ void layer_norm_row_long(const typename T::V* x, typename T::V* y,
                                                 const typename T::V* g, const typename T::V* b,
                                                 uint32_t nvec, float inv_cols, float eps, uint32_t t,
                                                 float* scratch) {
    float f[T::E];
    float s = 0.0f;
    for (uint32_t i = t; i < nvec; i += 256) {
        T::unpack(__ldg(x + i), f);
#pragma unroll
        for (int e = 0; e < T::E; ++e) s += f[e];
    }
    const float mean = row_reduce<256, OpSum>(s, scratch) * inv_cols;
    float q = 0.0f;
    for (uint32_t i = t; i < nvec; i += 256) {
        T::unpack(__ldg(x + i), f);
#pragma unroll
        for (int e = 0; e < T::E; ++e) q += (f[e] - mean) * (f[e] - mean);
    }
    const float rstd = rsqrtf(row_reduce<256, OpSum>(q, scratch) * inv_cols + eps);
    for (uint32_t i = t; i < nvec; i += 256) {
        float gf[T::E], bf[T::E];
        T::unpack(__ldg(x + i), f);
        T::unpack(__ldg(g + i), gf);
        T::unpack(__ldg(b + i), bf);
#pragma unroll
        for (int e = 0; e < T::E; ++e) f[e] = (f[e] - mean) * rstd * gf[e] + bf[e];
        y[i] = T::pack(f);
    }
}

template <class T>
__device__ __forceinline__ void layer_norm(const LayerNormParams& p) {
    __shared__ float scratch[8];
    typedef typename T::V V;
    const uint32_t nvec = p.cols / T::E;
    const float inv_cols = 1.0f / (float)p.cols;
    const V* g = reinterpret_cast<const V*>(p.gamma);
    const V* b = reinterpret_cast<const V*>(p.beta);
    if (p.cols <= ROW_WARP_MAX_COLS) {
        const uint32_t row = blockIdx.x * 8 + threadIdx.x / 32;
        if (row >= p.rows) return;
        const V* x = reinterpret_cast<const V*>(p.x) + (size_t)row * nvec;
        V* y = reinterpret_cast<V*>(p.y) + (size_t)row * nvec;
        const uint32_t lane = threadIdx.x % 32;
        if (nvec <= 32) layer_norm_row<T, 32, 1>(x, y, g, b, nvec, inv_cols, p.eps, lane, scratch);
        else if (nvec <= 64) layer_norm_row<T, 32, 2>(x, y, g, b, nvec, inv_cols, p.eps, lane, scratch);
        else if (nvec <= 128) layer_norm_row<T, 32, 4>(x, y, g, b, nvec, inv_cols, p.eps, lane, scratch);
        else layer_norm_row<T, 32, 8>(x, y, g, b, nvec, inv_cols, p.eps, lane, scratch);
    } else {
        const uint32_t row = blockIdx.x;  // the same for the whole block
        if (row >= p.rows) return;
        const V* x = reinterpret_cast<const V*>(p.x) + (size_t)row * nvec;
        V* y = reinterpret_cast<V*>(p.y) + (size_t)row * nvec;
        const uint32_t t = threadIdx.x;
        if (nvec <= 256) layer_norm_row<T, 256, 1>(x, y, g, b, nvec, inv_cols, p.eps, t, scratch);
        else if (nvec <= 512) layer_norm_row<T, 256, 2>(x, y, g, b, nvec, inv_cols, p.eps, t, scratch);
        else if (nvec <= 1024) layer_norm_row<T, 256, 4>(x, y, g, b, nvec, inv_cols, p.eps, t, scratch);
        else if (nvec <= 2048 && T::E == 4) {
            // At most 32 floats a thread stay in registers (64 registers: 4 blocks an SM).
            if constexpr (T::E == 4) layer_norm_row<T, 256, 8>(x, y, g, b, nvec, inv_cols, p.eps, t, scratch);
        } else layer_norm_row_long<T>(x, y, g, b, nvec, inv_cols, p.eps, t, scratch);
    }
}

extern "C" __global__ void __launch_bounds__(256) layer_norm_f32(LayerNormParams p) { layer_norm<RowF32>(p); }

extern "C" __global__ void __launch_bounds__(256) layer_norm_bf16(LayerNormParams p) {
    layer_norm<RowBf16>(p);
}
