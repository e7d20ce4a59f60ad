// reduce_sum.cu: sum of n f32 values in two deterministic passes (f32 accumulation).
// reduce_sum_partial: block 256, grid num_partials; grid-stride over float4 vectors (x is
// 16-byte aligned), four loads in flight and four accumulators per thread, the n % 4 tail by
// the first threads; warp shuffles then shared memory;
// block b writes partial[b]. reduce_sum_final: grid 1, block 256; sums the partials to out[0].
#include "params.h"

__device__ __forceinline__ float block_sum_256(float v) {
    __shared__ float warp_sums[8];
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
    __syncthreads();
    v = 0.0f;
    if (threadIdx.x < 32) {
        v = threadIdx.x < 8 ? warp_sums[threadIdx.x] : 0.0f;
#pragma unroll
        for (int o = 4; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;  // valid in thread 0
}

extern "C" __global__ void __launch_bounds__(256) reduce_sum_partial(ReduceSumParams p) {
    const float* x = reinterpret_cast<const float*>(p.x);
    const float4* x4 = reinterpret_cast<const float4*>(p.x);
    const uint64_t nv = p.n / 4;
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    const uint64_t gid = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    // Four 16-byte loads in flight per thread, each into its own accumulator.
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    uint64_t i = gid;
    for (; i + 3 * stride < nv; i += 4 * stride) {
        const float4 v0 = __ldg(x4 + i), v1 = __ldg(x4 + i + stride);
        const float4 v2 = __ldg(x4 + i + 2 * stride), v3 = __ldg(x4 + i + 3 * stride);
        a0 += (v0.x + v0.y) + (v0.z + v0.w);
        a1 += (v1.x + v1.y) + (v1.z + v1.w);
        a2 += (v2.x + v2.y) + (v2.z + v2.w);
        a3 += (v3.x + v3.y) + (v3.z + v3.w);
    }
    for (; i < nv; i += stride) {
        const float4 v = __ldg(x4 + i);
        a0 += (v.x + v.y) + (v.z + v.w);
    }
    if (gid < p.n - nv * 4) a0 += x[nv * 4 + gid];
    const float s = block_sum_256((a0 + a1) + (a2 + a3));
    if (threadIdx.x == 0) reinterpret_cast<float*>(p.partial)[blockIdx.x] = s;
}

extern "C" __global__ void __launch_bounds__(256) reduce_sum_final(ReduceSumParams p) {
    const float* partial = reinterpret_cast<const float*>(p.partial);
    float a = 0.0f;
    for (uint32_t i = threadIdx.x; i < p.num_partials; i += 256) a += partial[i];
    const float s = block_sum_256(a);
    if (threadIdx.x == 0) reinterpret_cast<float*>(p.out)[0] = s;
}
