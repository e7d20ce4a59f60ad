// layer_norm.cu: per-row layer norm of a contiguous rows x cols matrix with gamma/beta over
// cols, f32 and bf16 (gamma/beta in the same dtype as x; f32 math). One warp per row: Welford
// per lane over 16-byte vectors, Chan's merge across the warp, biased variance,
// y = (x - mean) * rsqrt(var + eps) * gamma + beta.
// Launch: block 256 (8 rows per block); grid ceil(rows / 8). cols % 4 == 0 (f32), % 8 (bf16).
#include "params.h"
#include "bf16.cuh"

struct Welford {
    float n, mean, m2;
};

__device__ __forceinline__ void welford_add(Welford& w, float x) {
    w.n += 1.0f;
    const float d = x - w.mean;
    w.mean += d / w.n;
    w.m2 += d * (x - w.mean);
}

__device__ __forceinline__ void welford_warp_merge(Welford& w) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float n2 = __shfl_xor_sync(0xffffffffu, w.n, o);
        const float mean2 = __shfl_xor_sync(0xffffffffu, w.mean, o);
        const float m22 = __shfl_xor_sync(0xffffffffu, w.m2, o);
        const float n = w.n + n2;
        if (n > 0.0f) {
            const float d = mean2 - w.mean;
            const float f = n2 / n;
            w.mean += d * f;
            w.m2 += m22 + d * d * w.n * f;
        }
        w.n = n;
    }
}

extern "C" __global__ void __launch_bounds__(256) layer_norm_f32(LayerNormParams p) {
    const uint32_t row = blockIdx.x * 8 + threadIdx.x / 32;
    const uint32_t lane = threadIdx.x % 32;
    if (row >= p.rows) return;
    const float4* x = reinterpret_cast<const float4*>(reinterpret_cast<const float*>(p.x) + (size_t)row * p.cols);
    float4* y = reinterpret_cast<float4*>(reinterpret_cast<float*>(p.y) + (size_t)row * p.cols);
    const float4* g = reinterpret_cast<const float4*>(p.gamma);
    const float4* b = reinterpret_cast<const float4*>(p.beta);
    const uint32_t nv = p.cols / 4;
    Welford w = {0.0f, 0.0f, 0.0f};
    for (uint32_t i = lane; i < nv; i += 32) {
        const float4 v = __ldg(x + i);
        welford_add(w, v.x);
        welford_add(w, v.y);
        welford_add(w, v.z);
        welford_add(w, v.w);
    }
    welford_warp_merge(w);
    const float mean = w.mean;
    const float rstd = rsqrtf(w.m2 / (float)p.cols + p.eps);
    for (uint32_t i = lane; i < nv; i += 32) {
        const float4 v = __ldg(x + i), gv = __ldg(g + i), bv = __ldg(b + i);
        y[i] = make_float4((v.x - mean) * rstd * gv.x + bv.x, (v.y - mean) * rstd * gv.y + bv.y,
                           (v.z - mean) * rstd * gv.z + bv.z, (v.w - mean) * rstd * gv.w + bv.w);
    }
}

extern "C" __global__ void __launch_bounds__(256) layer_norm_bf16(LayerNormParams p) {
    const uint32_t row = blockIdx.x * 8 + threadIdx.x / 32;
    const uint32_t lane = threadIdx.x % 32;
    if (row >= p.rows) return;
    const uint4* x = reinterpret_cast<const uint4*>(reinterpret_cast<const uint16_t*>(p.x) + (size_t)row * p.cols);
    uint4* y = reinterpret_cast<uint4*>(reinterpret_cast<uint16_t*>(p.y) + (size_t)row * p.cols);
    const uint4* g = reinterpret_cast<const uint4*>(p.gamma);
    const uint4* b = reinterpret_cast<const uint4*>(p.beta);
    const uint32_t nv = p.cols / 8;
    Welford w = {0.0f, 0.0f, 0.0f};
    for (uint32_t i = lane; i < nv; i += 32) {
        const uint4 v = __ldg(x + i);
        const uint32_t wv[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            welford_add(w, bf16_lo(wv[j]));
            welford_add(w, bf16_hi(wv[j]));
        }
    }
    welford_warp_merge(w);
    const float mean = w.mean;
    const float rstd = rsqrtf(w.m2 / (float)p.cols + p.eps);
    for (uint32_t i = lane; i < nv; i += 32) {
        const uint4 v = __ldg(x + i), gv = __ldg(g + i), bv = __ldg(b + i);
        const uint32_t wv[4] = {v.x, v.y, v.z, v.w};
        const uint32_t wg[4] = {gv.x, gv.y, gv.z, gv.w};
        const uint32_t wb[4] = {bv.x, bv.y, bv.z, bv.w};
        uint32_t r[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            r[j] = pack_bf16x2((bf16_lo(wv[j]) - mean) * rstd * bf16_lo(wg[j]) + bf16_lo(wb[j]),
                               (bf16_hi(wv[j]) - mean) * rstd * bf16_hi(wg[j]) + bf16_hi(wb[j]));
        }
        y[i] = make_uint4(r[0], r[1], r[2], r[3]);
    }
}
