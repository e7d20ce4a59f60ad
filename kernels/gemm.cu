// gemm.cu: C (m x n, f32, row-major) = A (m x k) * B^T with B n x k; A and B row-major.
//   gemm_bf16: bf16 inputs, f32 accumulation, one entry with three architecture paths:
//     - sm_90a (__CUDA_ARCH_FEAT_SM90_ALL): wgmma.mma_async m64n128k16, two warpgroups (each
//       64 rows x 128 cols), operands staged by cp.async in shared memory in the canonical
//       no-swizzle K-major core-matrix layout, 2-stage pipeline;
//     - sm_80+ (other): mma.sync m16n8k16 bf16 with ldmatrix, cp.async 2-stage pipeline,
//       8 warps as 2 (m) x 4 (n), 64 x 32 per warp;
//     - below sm_80: SIMT (bf16 widened to f32 in shared memory), 8x8 outputs per thread.
//   sgemm_f32: f32 inputs, the SIMT path.
// Launch (both entries, every path): block 256; grid (n / 128, m / 128); no dynamic shared
// memory (all static, <= 40 KiB). Requires m % 128 == 0, n % 128 == 0, k % 32 == 0.
#include "params.h"
#include "bf16.cuh"

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

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// ---------------------------------------------------------------- cp.async helpers (sm_80+)

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
    const uint32_t s = (uint32_t)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem) : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}
#endif

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// ---------------------------------------------------------------- wgmma path (sm_90a)

// Shared-memory matrix descriptor (PTX ISA "Matrix Descriptor Format"): start address,
// leading-dimension byte offset (K-adjacent core matrices), stride-dimension byte offset
// (M/N-adjacent core matrices), all >> 4; base offset 0; swizzle mode 0 (none).
__device__ __forceinline__ uint64_t wgmma_desc(uint32_t saddr, uint32_t lbo, uint32_t sbo) {
    return (uint64_t)((saddr & 0x3FFFFu) >> 4) | ((uint64_t)((lbo >> 4) & 0x3FFFu) << 16) |
           ((uint64_t)((sbo >> 4) & 0x3FFFu) << 32);
}

__device__ __forceinline__ void wgmma_m64n128k16_bf16(float (&d)[64], uint64_t desc_a, uint64_t desc_b) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "%64, %65, p, 1, 1, 0, 0;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(1)
        : "memory");
}

// Tile layout in shared memory (both operands, 128 rows x 32 k, bf16): 16-byte chunk
// (row r, k-chunk c = k / 8) at byte (c * 128 + r) * 16. A core matrix (8 rows x 16 bytes) is
// then contiguous; M/N-adjacent core matrices are 128 B apart (SBO), K-adjacent ones 2048 B
// apart (LBO).
__device__ __forceinline__ void gemm_wgmma(const GemmParams& p) {
    constexpr int BK = 32;
    constexpr uint32_t SBO = 8 * 16;
    constexpr uint32_t LBO = GEMM_TILE * 16;
    __shared__ __align__(1024) uint16_t As[2][GEMM_TILE * BK];
    __shared__ __align__(1024) uint16_t Bs[2][GEMM_TILE * BK];
    const uint16_t* A = reinterpret_cast<const uint16_t*>(p.a);
    const uint16_t* B = reinterpret_cast<const uint16_t*>(p.b);
    float* C = reinterpret_cast<float*>(p.c);
    const int tid = threadIdx.x;
    const uint32_t m0 = blockIdx.y * GEMM_TILE, n0 = blockIdx.x * GEMM_TILE;
    const int wg = tid / 128;
    auto load_tile = [&](int stage, uint32_t k0) {
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const int c = tid + i * 256;
            const int row = c / 4, ch = c % 4;
            cp_async16(reinterpret_cast<char*>(As[stage]) + (ch * GEMM_TILE + row) * 16, A + (size_t)(m0 + row) * p.k + k0 + ch * 8);
            cp_async16(reinterpret_cast<char*>(Bs[stage]) + (ch * GEMM_TILE + row) * 16, B + (size_t)(n0 + row) * p.k + k0 + ch * 8);
        }
    };
    float d[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) d[i] = 0.0f;
    const uint32_t kt_count = p.k / BK;
    load_tile(0, 0);
    cp_async_commit();
    for (uint32_t kt = 0; kt < kt_count; ++kt) {
        if (kt + 1 < kt_count) load_tile((kt + 1) & 1, (kt + 1) * BK);
        cp_async_commit();
        cp_async_wait<1>();
        // Make this thread's cp.async (generic proxy) writes visible to the async proxy, then
        // wait for every thread's.
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();
        const uint32_t a_base = (uint32_t)__cvta_generic_to_shared(As[kt & 1]) + wg * 64 * 16;
        const uint32_t b_base = (uint32_t)__cvta_generic_to_shared(Bs[kt & 1]);
        asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
        for (int s = 0; s < BK / 16; ++s) {
            // k16 step s covers k-chunks 2s and 2s+1.
            wgmma_m64n128k16_bf16(d, wgmma_desc(a_base + 2 * s * LBO, LBO, SBO), wgmma_desc(b_base + 2 * s * LBO, LBO, SBO));
        }
        asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
        __syncthreads();
    }
    const int warp = (tid % 128) / 32, lane = tid % 32;
    const uint32_t row = m0 + wg * 64 + warp * 16 + lane / 4;
#pragma unroll
    for (int j = 0; j < 16; ++j) {
        const uint32_t col = n0 + j * 8 + (lane % 4) * 2;
        *reinterpret_cast<float2*>(C + (size_t)row * p.n + col) = make_float2(d[4 * j], d[4 * j + 1]);
        *reinterpret_cast<float2*>(C + (size_t)(row + 8) * p.n + col) = make_float2(d[4 * j + 2], d[4 * j + 3]);
    }
}

#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// ---------------------------------------------------------------- mma.sync path (sm_80+)

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem) {
    const uint32_t s = (uint32_t)__cvta_generic_to_shared(smem);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(s)
                 : "memory");
}

__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void gemm_mma(const GemmParams& p) {
    constexpr int BK = 32;
    constexpr int LDS = BK + 8;  // padded row (80 B): conflict-free ldmatrix, 16 B aligned
    __shared__ __align__(128) uint16_t As[2][GEMM_TILE * LDS];
    __shared__ __align__(128) uint16_t Bs[2][GEMM_TILE * LDS];
    const uint16_t* A = reinterpret_cast<const uint16_t*>(p.a);
    const uint16_t* B = reinterpret_cast<const uint16_t*>(p.b);
    float* C = reinterpret_cast<float*>(p.c);
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int wm = warp / 4, wn = warp % 4;
    const uint32_t m0 = blockIdx.y * GEMM_TILE, n0 = blockIdx.x * GEMM_TILE;
    auto load_tile = [&](int stage, uint32_t k0) {
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const int c = tid + i * 256;
            const int row = c / 4, col = (c % 4) * 8;
            cp_async16(&As[stage][row * LDS + col], A + (size_t)(m0 + row) * p.k + k0 + col);
            cp_async16(&Bs[stage][row * LDS + col], B + (size_t)(n0 + row) * p.k + k0 + col);
        }
    };
    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
    const uint32_t kt_count = p.k / BK;
    load_tile(0, 0);
    cp_async_commit();
    for (uint32_t kt = 0; kt < kt_count; ++kt) {
        if (kt + 1 < kt_count) load_tile((kt + 1) & 1, (kt + 1) * BK);
        cp_async_commit();
        cp_async_wait<1>();
        __syncthreads();
        const uint16_t* as = As[kt & 1];
        const uint16_t* bs = Bs[kt & 1];
#pragma unroll
        for (int ks = 0; ks < BK; ks += 16) {
            uint32_t af[4][4], bf[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; ++mi) {
                ldmatrix_x4(af[mi], as + (wm * 64 + mi * 16 + (lane % 16)) * LDS + ks + (lane / 16) * 8);
            }
#pragma unroll
            for (int nj = 0; nj < 2; ++nj) {
                uint32_t r[4];
                ldmatrix_x4(r, bs + (wn * 32 + nj * 16 + (lane % 8) + (lane / 16) * 8) * LDS + ks + ((lane / 8) % 2) * 8);
                bf[2 * nj][0] = r[0];
                bf[2 * nj][1] = r[1];
                bf[2 * nj + 1][0] = r[2];
                bf[2 * nj + 1][1] = r[3];
            }
#pragma unroll
            for (int mi = 0; mi < 4; ++mi)
#pragma unroll
                for (int ni = 0; ni < 4; ++ni) mma_bf16_16816(acc[mi][ni], af[mi], bf[ni][0], bf[ni][1]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int mi = 0; mi < 4; ++mi) {
        const uint32_t row = m0 + wm * 64 + mi * 16 + lane / 4;
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
            const uint32_t col = n0 + wn * 32 + ni * 8 + (lane % 4) * 2;
            *reinterpret_cast<float2*>(C + (size_t)row * p.n + col) = make_float2(acc[mi][ni][0], acc[mi][ni][1]);
            *reinterpret_cast<float2*>(C + (size_t)(row + 8) * p.n + col) = make_float2(acc[mi][ni][2], acc[mi][ni][3]);
        }
    }
}
#endif

extern "C" __global__ void __launch_bounds__(256) gemm_bf16(GemmParams p) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    gemm_wgmma(p);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    gemm_mma(p);
#else
    gemm_simt<uint16_t>(p);
#endif
}

extern "C" __global__ void __launch_bounds__(256) sgemm_f32(GemmParams p) {
    gemm_simt<float>(p);
}
