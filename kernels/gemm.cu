// gemm.cu: C (m x n, f32, row-major) = A (m x k) * B^T with B n x k; A and B row-major.
//   gemm_bf16: bf16 inputs, f32 accumulation, one entry with three architecture paths, each
//   declaring its own launch in `gemm_bf16_contract` (params.h: LaunchContract), which the host
//   reads from whichever image the driver loaded:
//     - sm_90a (__CUDA_ARCH_FEAT_SM90_ALL): gemm_sm90a.cuh, TMA + mbarrier 4-stage pipeline,
//       128-byte swizzle, wgmma m64n256k16, producer/consumer warpgroups, persistent grid;
//       384 threads, 197,696 bytes of dynamic shared memory, 128 x 256 tiles, k % 64 == 0;
//     - sm_80+ (other): gemm_sm80.cuh, mma.sync m16n8k16 + ldmatrix, 4-stage cp.async,
//       swizzled shared memory, 64 x 64 per warp; 256 threads, 96 KiB, 128 x 256 tiles,
//       k % 32 == 0;
//     - below sm_80: SIMT (bf16 widened to f32 in shared memory), 8x8 outputs per thread;
//       256 threads, static shared memory, 128 x 128 tiles, k % 8 == 0.
//   sgemm_f32: f32 inputs, the SIMT path; block 256, grid (n / 128, m / 128), static shared
//   memory; m % 128 == 0, n % 128 == 0, k % 8 == 0.
#include "params.h"
#include "bf16.cuh"
#include "gemm_sm90a.cuh"
#include "gemm_sm80.cuh"

#define GEMM_TILE 128

// ---------------------------------------------------------------- SIMT path (all archs)

__device__ __forceinline__ void load4(const float* p, float (&v)[4]) {
    const float4 t = __ldg(reinterpret_cast<const float4*>(p));
    v[0] = t.x;
    v[1] = t.y;
    v[2] = t.z;
    v[3] = t.w;
}

__device__ __forceinline__ void load4(const uint16_t* p, float (&v)[4]) {
    const uint2 t = __ldg(reinterpret_cast<const uint2*>(p));
    v[0] = bf16_lo(t.x);
    v[1] = bf16_hi(t.x);
    v[2] = bf16_lo(t.y);
    v[3] = bf16_hi(t.y);
}

// 128x128 tile per block, K step 8, register prefetch of the next K step; thread (ty, tx)
// owns rows {ty*4 + i, 64 + ty*4 + i} and cols {tx*4 + j, 64 + tx*4 + j}.
template <typename T>
__device__ __forceinline__ void gemm_simt(const GemmParams& p) {
    constexpr int BK = 8;
    __shared__ __align__(16) float As[BK][GEMM_TILE + 4];
    __shared__ __align__(16) float Bs[BK][GEMM_TILE + 4];
    const T* A = reinterpret_cast<const T*>(p.a);
    const T* B = reinterpret_cast<const T*>(p.b);
    float* C = reinterpret_cast<float*>(p.c);
    const int tid = threadIdx.x;
    const uint32_t m0 = blockIdx.y * GEMM_TILE, n0 = blockIdx.x * GEMM_TILE;
    const int lrow = tid / 2, lk = (tid % 2) * 4;
    const T* ag = A + (size_t)(m0 + lrow) * p.k + lk;
    const T* bg = B + (size_t)(n0 + lrow) * p.k + lk;
    const int ty = tid / 16, tx = tid % 16;
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;
    float ra[4], rb[4];
    load4(ag, ra);
    load4(bg, rb);
    for (uint32_t k0 = 0; k0 < p.k; k0 += BK) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            As[lk + i][lrow] = ra[i];
            Bs[lk + i][lrow] = rb[i];
        }
        __syncthreads();
        if (k0 + BK < p.k) {
            load4(ag + k0 + BK, ra);
            load4(bg + k0 + BK, rb);
        }
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            const float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
            const float4 a1 = *reinterpret_cast<const float4*>(&As[kk][64 + ty * 4]);
            const float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
            const float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][64 + tx * 4]);
            const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; ++i)
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) {
        const uint32_t row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
        float* c = C + (size_t)row * p.n + n0;
        *reinterpret_cast<float4*>(c + tx * 4) = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        *reinterpret_cast<float4*>(c + 64 + tx * 4) = make_float4(acc[i][4], acc[i][5], acc[i][6], acc[i][7]);
    }
}

// ---------------------------------------------------------------- entries

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define GEMM_BF16_THREADS 384
#define GEMM_BF16_MIN_BLOCKS 1
static_assert(GEMM_BF16_THREADS == sm90a::THREADS, "launch bounds and contract must agree");
extern "C" __device__ const LaunchContract gemm_bf16_contract = {
    sm90a::THREADS, sm90a::SMEM, sm90a::BM, sm90a::BN, sm90a::BK, 1, 1, 0};
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define GEMM_BF16_THREADS 256
#define GEMM_BF16_MIN_BLOCKS 1
static_assert(GEMM_BF16_THREADS == sm80::THREADS, "launch bounds and contract must agree");
extern "C" __device__ const LaunchContract gemm_bf16_contract = {
    sm80::THREADS, sm80::SMEM, sm80::BM, sm80::BN, sm80::BK, 0, 0, 0};
#else
#define GEMM_BF16_THREADS 256
#define GEMM_BF16_MIN_BLOCKS 1
extern "C" __device__ const LaunchContract gemm_bf16_contract = {256, 0, GEMM_TILE, GEMM_TILE, 8, 0, 0, 0};
#endif

// A tensor map must be read from the parameter space itself (__grid_constant__, sm_70+).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 700
#define GEMM_PARAMS const __grid_constant__ GemmParams
#else
#define GEMM_PARAMS const GemmParams
#endif

extern "C" __global__ void __launch_bounds__(GEMM_BF16_THREADS, GEMM_BF16_MIN_BLOCKS) gemm_bf16(GEMM_PARAMS p) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    sm90a::run(p);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    sm80::run(p);
#else
    gemm_simt<uint16_t>(p);
#endif
}

extern "C" __global__ void __launch_bounds__(256) sgemm_f32(GEMM_PARAMS p) {
    gemm_simt<float>(p);
}
