// gemm_sm80.cuh: the sm_80+ path of gemm_bf16 (every architecture from sm_80 but sm_90a, and
// so also what `pkgsCuda`'s sm_90 SASS runs on Hopper).
//
// As CUTLASS 2's Ampere tensor-core GEMMs: a 128 x 256 block tile, 8 warps as 2 (m) x 4 (n)
// with 64 x 64 per warp, mma.sync m16n8k16 bf16 fed by ldmatrix.x4, a 4-stage cp.async
// pipeline of 32-wide k-tiles (one barrier per k-tile), shared-memory rows of 64 bytes with
// their four 16-byte chunks XOR-swizzled by (row / 2) % 4 so that both the cp.async stores and
// the ldmatrix reads are free of bank conflicts. 96 KiB of dynamic shared memory (fits every
// sm_80+ GPU, the 99 KiB ones included).
#ifndef ARCHBENCH_GEMM_SM80_CUH
#define ARCHBENCH_GEMM_SM80_CUH
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800 && !defined(__CUDA_ARCH_FEAT_SM90_ALL)

#include "sm80_ptx.cuh"

namespace sm80 {

constexpr int BM = 128, BN = 256, BK = 32, STAGES = 4, THREADS = 256;
constexpr uint32_t ROW_BYTES = BK * 2;  // 64
constexpr uint32_t A_BYTES = BM * ROW_BYTES;
constexpr uint32_t B_BYTES = BN * ROW_BYTES;
constexpr uint32_t STAGE_BYTES = A_BYTES + B_BYTES;
constexpr uint32_t SMEM = STAGES * STAGE_BYTES;  // 96 KiB

// Byte offset of 16-byte chunk `c` (0..3) of row `r` in a swizzled tile.
__device__ __forceinline__ uint32_t swz(uint32_t r, uint32_t c) { return r * ROW_BYTES + ((c ^ ((r >> 1) & 3u)) << 4); }

__device__ __forceinline__ void run(const GemmParams& p) {
    const uint32_t base = smem_addr(dynamic_smem());
    const uint16_t* A = reinterpret_cast<const uint16_t*>(p.a);
    const uint16_t* B = reinterpret_cast<const uint16_t*>(p.b);
    float* C = reinterpret_cast<float*>(p.c);
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int wm = warp / 4, wn = warp % 4;
    const uint32_t m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    // Each thread copies 2 chunks of A and 4 of B per stage: chunk q -> row q / 4, chunk q % 4.
    auto load_stage = [&](int s, uint32_t k0) {
        const uint32_t sa = base + s * STAGE_BYTES, sb = sa + A_BYTES;
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const uint32_t q = tid + i * THREADS, r = q / 4, c = q % 4;
            cp_async16(sa + swz(r, c), A + (size_t)(m0 + r) * p.k + k0 + c * 8);
        }
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const uint32_t q = tid + i * THREADS, r = q / 4, c = q % 4;
            cp_async16(sb + swz(r, c), B + (size_t)(n0 + r) * p.k + k0 + c * 8);
        }
    };
    float acc[4][8][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
    const uint32_t kt_count = p.k / BK;
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if ((uint32_t)s < kt_count) load_stage(s, s * BK);
        cp_async_commit();
    }
    // ldmatrix rows of this lane: A (row in the 16-row slab, chunk offset), B likewise.
    const uint32_t a_row = wm * 64 + (lane % 16), a_chunk = lane / 16;
    const uint32_t b_row = wn * 64 + (lane % 8) + (lane / 16) * 8, b_chunk = (lane / 8) % 2;
    // Fragments double-buffered across k16 steps and across k-tiles (as CUTLASS's multistage
    // mainloop): step ks + 1's ldmatrix, or the next k-tile's first ones, are issued before
    // step ks's mma; the barrier before the next tile's first ldmatrix comes after the
    // previous step's mma were issued, so it overlaps them.
    uint32_t af[2][4][4], bf[2][8][2];
    auto load_frags = [&](int buf, uint32_t stage, int ks) {
        const uint32_t sa = base + stage * STAGE_BYTES, sb = sa + A_BYTES;
#pragma unroll
        for (int mi = 0; mi < 4; ++mi) ldmatrix_x4(af[buf][mi], sa + swz(a_row + mi * 16, ks * 2 + a_chunk));
#pragma unroll
        for (int nj = 0; nj < 4; ++nj) {
            uint32_t r[4];
            ldmatrix_x4(r, sb + swz(b_row + nj * 16, ks * 2 + b_chunk));
            bf[buf][2 * nj][0] = r[0];
            bf[buf][2 * nj][1] = r[1];
            bf[buf][2 * nj + 1][0] = r[2];
            bf[buf][2 * nj + 1][1] = r[3];
        }
    };
    constexpr int KS = BK / 16;
    // The last step of a k-tile fills buffer KS & 1 with the next tile's step 0, which reads
    // buffer 0: true only for an even number of steps.
    static_assert(KS % 2 == 0, "fragment double-buffering needs an even number of k16 steps");
    // Tile 0 landed (at most STAGES - 2 newer groups pending).
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    load_frags(0, 0, 0);
    for (uint32_t kt = 0; kt < kt_count; ++kt) {
        // The stage tile kt - 1 used is free (every thread passed the barrier after its last
        // ldmatrix): refill it with tile kt + STAGES - 1. One group per k-tile, maybe empty.
        const uint32_t next = kt + STAGES - 1;
        if (next < kt_count) load_stage(next % STAGES, next * BK);
        cp_async_commit();
#pragma unroll
        for (int ks = 0; ks < KS; ++ks) {
            if (ks + 1 < KS) {
                load_frags((ks + 1) & 1, kt % STAGES, ks + 1);
            } else if (kt + 1 < kt_count) {
                // Tile kt + 1 landed, and everyone is done reading tile kt - 1's stage.
                cp_async_wait<STAGES - 2>();
                __syncthreads();
                load_frags((ks + 1) & 1, (kt + 1) % STAGES, 0);
            }
#pragma unroll
            for (int mi = 0; mi < 4; ++mi)
#pragma unroll
                for (int ni = 0; ni < 8; ++ni) mma_bf16_16816(acc[mi][ni], af[ks & 1][mi], bf[ks & 1][ni][0], bf[ks & 1][ni][1]);
        }
    }
    cp_async_wait<0>();
#pragma unroll
    for (int mi = 0; mi < 4; ++mi) {
        const uint32_t row = m0 + wm * 64 + mi * 16 + lane / 4;
#pragma unroll
        for (int ni = 0; ni < 8; ++ni) {
            const uint32_t col = n0 + wn * 64 + ni * 8 + (lane % 4) * 2;
            *reinterpret_cast<float2*>(C + (size_t)row * p.n + col) = make_float2(acc[mi][ni][0], acc[mi][ni][1]);
            *reinterpret_cast<float2*>(C + (size_t)(row + 8) * p.n + col) = make_float2(acc[mi][ni][2], acc[mi][ni][3]);
        }
    }
}

}  // namespace sm80

#endif
#endif
