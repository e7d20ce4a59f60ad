// rows.cuh: what the row-wise kernels (softmax, layer_norm) share: 16-byte vector types for
// f32 and bf16 rows, and reductions over the threads that own one row (a warp, or a whole
// 256-thread block).
//
// Launch contract (see params.h): block 256. Rows of at most ROW_WARP_MAX_COLS columns get one
// warp each (8 rows per block; softmax puts rows of at most SOFTMAX_PAIR_MAX_BYTES bytes two to
// a warp, 16 per block); longer rows get the whole block. Each thread keeps its part of
// the row in registers between passes, so the row is read from memory once.
#ifndef ARCHBENCH_ROWS_CUH
#define ARCHBENCH_ROWS_CUH

#include "params.h"
#include "bf16.cuh"

// A 16-byte vector of a row: 4 f32 or 8 bf16.
struct RowF32 {
    typedef float4 V;
    static constexpr int E = 4;
    __device__ static __forceinline__ void unpack(const V& v, float* f) {
        f[0] = v.x;
        f[1] = v.y;
        f[2] = v.z;
        f[3] = v.w;
    }
    __device__ static __forceinline__ V pack(const float* f) { return make_float4(f[0], f[1], f[2], f[3]); }
};

struct RowBf16 {
    typedef uint4 V;
    static constexpr int E = 8;
    __device__ static __forceinline__ void unpack(const V& v, float* f) {
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            f[2 * j] = bf16_lo(w[j]);
            f[2 * j + 1] = bf16_hi(w[j]);
        }
    }
    __device__ static __forceinline__ V pack(const float* f) {
        return make_uint4(pack_bf16x2(f[0], f[1]), pack_bf16x2(f[2], f[3]), pack_bf16x2(f[4], f[5]),
                          pack_bf16x2(f[6], f[7]));
    }
};

struct OpSum {
    __device__ static __forceinline__ float apply(float a, float b) { return a + b; }
};
struct OpMax {
    __device__ static __forceinline__ float apply(float a, float b) { return fmaxf(a, b); }
};

template <class Op>
__device__ __forceinline__ float warp_reduce(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = Op::apply(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Reduces over the threads of one row (TPR = 32: the warp; TPR = 256: the block, through
// `scratch`, 8 floats of shared memory). Every thread of the row gets the result.
template <int TPR, class Op>
__device__ __forceinline__ float row_reduce(float v, float* scratch) {
    v = warp_reduce<Op>(v);
    if (TPR == 32) return v;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads();  // scratch may still be read by an earlier reduction
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = scratch[0];
#pragma unroll
    for (int i = 1; i < 8; ++i) r = Op::apply(r, scratch[i]);
    return r;
}

#endif  // ARCHBENCH_ROWS_CUH
