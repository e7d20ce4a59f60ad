// softmax.cu: row-wise softmax over the last dimension of a contiguous rows x cols matrix,
// f32 and bf16 (f32 math). One warp per row: an online max/sum pass over 16-byte vectors,
// a warp merge of (max, sum), then a pass writing exp(x - max) / sum.
// Launch: block 256 (8 rows per block); grid ceil(rows / 8). cols % 4 == 0 (f32), % 8 (bf16).
#include "params.h"
#include "bf16.cuh"

__device__ __forceinline__ void online_add(float x, float& m, float& s) {
    if (x > m) {
        s = s * expf(m - x) + 1.0f;
        m = x;
    } else {
        s += expf(x - m);
    }
}

// Merges the lanes' (max, sum) pairs; every lane gets the row's.
__device__ __forceinline__ void warp_merge(float& m, float& s) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
        const float s2 = __shfl_xor_sync(0xffffffffu, s, o);
        const float mm = fmaxf(m, m2);
        if (mm != -INFINITY) {
            s = (m == -INFINITY ? 0.0f : s * expf(m - mm)) + (m2 == -INFINITY ? 0.0f : s2 * expf(m2 - mm));
        }
        m = mm;
    }
}

extern "C" __global__ void __launch_bounds__(256) softmax_f32(SoftmaxParams p) {
    const uint32_t row = blockIdx.x * 8 + threadIdx.x / 32;
    const uint32_t lane = threadIdx.x % 32;
    if (row >= p.rows) return;
    const float4* x = reinterpret_cast<const float4*>(reinterpret_cast<const float*>(p.x) + (size_t)row * p.cols);
    float4* y = reinterpret_cast<float4*>(reinterpret_cast<float*>(p.y) + (size_t)row * p.cols);
    const uint32_t nv = p.cols / 4;
    float m = -INFINITY, s = 0.0f;
    for (uint32_t i = lane; i < nv; i += 32) {
        const float4 v = __ldg(x + i);
        online_add(v.x, m, s);
        online_add(v.y, m, s);
        online_add(v.z, m, s);
        online_add(v.w, m, s);
    }
    warp_merge(m, s);
    const float inv = 1.0f / s;
    for (uint32_t i = lane; i < nv; i += 32) {
        const float4 v = __ldg(x + i);
        y[i] = make_float4(expf(v.x - m) * inv, expf(v.y - m) * inv, expf(v.z - m) * inv, expf(v.w - m) * inv);
    }
}

extern "C" __global__ void __launch_bounds__(256) softmax_bf16(SoftmaxParams p) {
    const uint32_t row = blockIdx.x * 8 + threadIdx.x / 32;
    const uint32_t lane = threadIdx.x % 32;
    if (row >= p.rows) return;
    const uint4* x = reinterpret_cast<const uint4*>(reinterpret_cast<const uint16_t*>(p.x) + (size_t)row * p.cols);
    uint4* y = reinterpret_cast<uint4*>(reinterpret_cast<uint16_t*>(p.y) + (size_t)row * p.cols);
    const uint32_t nv = p.cols / 8;
    float m = -INFINITY, s = 0.0f;
    for (uint32_t i = lane; i < nv; i += 32) {
        const uint4 v = __ldg(x + i);
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            online_add(bf16_lo(w[j]), m, s);
            online_add(bf16_hi(w[j]), m, s);
        }
    }
    warp_merge(m, s);
    const float inv = 1.0f / s;
    for (uint32_t i = lane; i < nv; i += 32) {
        const uint4 v = __ldg(x + i);
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};
        uint32_t r[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            r[j] = pack_bf16x2(expf(bf16_lo(w[j]) - m) * inv, expf(bf16_hi(w[j]) - m) * inv);
        }
        y[i] = make_uint4(r[0], r[1], r[2], r[3]);
    }
}
