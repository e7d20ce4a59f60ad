// gemm_sm90a.cuh: the sm_90a path of gemm_bf16 (compiled only where __CUDA_ARCH_FEAT_SM90_ALL).
//
// Warp-specialised and persistent, as CUTLASS 3's Hopper kernels are:
//   - block = 3 warpgroups: warpgroup 0 is the producer (it drops to 40 registers with
//     setmaxnreg, and one of its threads issues the TMA loads), warpgroups 1 and 2 are
//     consumers (232 registers each: 128 x 40 + 256 x 232 = 384 x 168, the registers the
//     block starts with), computing 64 x 256 each of a 128 x 256 output tile with wgmma
//     m64n256k16;
//   - A and B tiles (128 x 64 and 256 x 64 bf16) come by cp.async.bulk.tensor through the
//     tensor maps in the parameters, 128-byte swizzled, into a 4-stage ring of shared memory;
//     each stage has a "full" mbarrier (the copy engine's transaction count) and an "empty"
//     one (one arrival per consumer warpgroup once its wgmma has read the stage);
//   - consumers keep one k-tile of wgmma in flight (wait_group 1) and release a stage only
//     when the wgmma that read it has completed;
//   - the grid is persistent (one block per SM): tiles are walked in groups of 16 tile rows
//     so that blocks running together share B tiles in L2, and while consumers write one
//     tile's output the producer is already loading the next tile's stages.
#ifndef ARCHBENCH_GEMM_SM90A_CUH
#define ARCHBENCH_GEMM_SM90A_CUH
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

namespace sm90a {

constexpr int BM = 128, BN = 256, BK = 64, STAGES = 4, THREADS = 384;
constexpr uint32_t A_BYTES = BM * BK * 2;  // 16 KiB
constexpr uint32_t B_BYTES = BN * BK * 2;  // 32 KiB
constexpr uint32_t STAGE_BYTES = A_BYTES + B_BYTES;
// Tiles, then 2 x STAGES mbarriers; +1024 to align the base for the 128-byte swizzle.
constexpr uint32_t SMEM = STAGES * STAGE_BYTES + 2 * STAGES * 8 + 1024;
constexpr uint32_t GROUP_M = 16;

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
    return (uint32_t)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}

__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
    uint32_t done = 0;
    do {
        asm volatile(
            "{\n"
            ".reg .pred p;\n"
            "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
            "selp.u32 %0, 1, 0, p;\n"
            "}\n"
            : "=r"(done)
            : "r"(bar), "r"(parity)
            : "memory");
    } while (!done);
}

__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
    asm volatile(
        "{\n"
        ".reg .b64 state;\n"
        "mbarrier.arrive.shared::cta.b64 state, [%0];\n"
        "}\n" ::"r"(bar)
        : "memory");
}

__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}

// 2-D tile load: box at element coordinates (x = k, y = row) of `map` into `dst`, counted on `bar`.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const TensorMap* map, int x, int y, uint32_t bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(dst),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(x), "r"(y), "r"(bar)
        : "memory");
}

// Shared-memory matrix descriptor for a K-major operand in the 128-byte swizzle layout
// (rows of 64 bf16 = 128 bytes, 8-row groups 1024 bytes apart): start >> 4, leading byte
// offset unused (1), stride byte offset 1024 >> 4, layout type 1 (128-byte swizzle).
__device__ __forceinline__ uint64_t desc_sw128(uint32_t saddr) {
    return (uint64_t)((saddr & 0x3FFFFu) >> 4) | ((uint64_t)1 << 16) | ((uint64_t)(1024 >> 4) << 32) |
           ((uint64_t)1 << 62);
}

__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], uint64_t da, uint64_t db, int scale_d) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
        "%128, %129, p, 1, 1, 0, 0;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "l"(da), "l"(db), "r"(scale_d)
        : "memory");
}

// Tile t -> (tile row, tile column): groups of GROUP_M tile rows, tile row fastest inside a
// group, so that the blocks of one wave share B tiles.
__device__ __forceinline__ void tile_coords(uint32_t t, uint32_t tiles_m, uint32_t tiles_n, uint32_t& tm, uint32_t& tn) {
    const uint32_t per_group = GROUP_M * tiles_n;
    const uint32_t first = (t / per_group) * GROUP_M;
    const uint32_t rows = min(GROUP_M, tiles_m - first);
    const uint32_t r = t % per_group;
    tm = first + r % rows;
    tn = r / rows;
}

__device__ __forceinline__ void run(const GemmParams& p) {
    extern __shared__ uint8_t smem_raw[];
    const uint32_t base = (smem_addr(smem_raw) + 1023u) & ~1023u;
    const uint32_t bars = base + STAGES * STAGE_BYTES;
    auto full = [&](int s) { return bars + 8u * s; };
    auto empty = [&](int s) { return bars + 8u * (STAGES + s); };
    auto stage_a = [&](int s) { return base + s * STAGE_BYTES; };
    auto stage_b = [&](int s) { return base + s * STAGE_BYTES + A_BYTES; };
    const int tid = threadIdx.x, wg = tid / 128;
    const uint32_t tiles_m = p.m / BM, tiles_n = p.n / BN, tiles = tiles_m * tiles_n;
    const uint32_t kt_count = p.k / BK;
    if (tid == 0) {
        for (int s = 0; s < STAGES; ++s) {
            mbar_init(full(s), 1);
            mbar_init(empty(s), THREADS / 128 - 1);  // one arrival per consumer warpgroup
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();
    if (wg == 0) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n" ::: "memory");
        if (tid == 0) {
            asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(&p.tma_a)) : "memory");
            asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(&p.tma_b)) : "memory");
            int s = 0;
            uint32_t phase = 0;
            for (uint32_t t = blockIdx.x; t < tiles; t += gridDim.x) {
                uint32_t tm, tn;
                tile_coords(t, tiles_m, tiles_n, tm, tn);
                for (uint32_t kt = 0; kt < kt_count; ++kt) {
                    // A fresh barrier counts as having completed the phase before phase 0.
                    mbar_wait(empty(s), phase ^ 1);
                    mbar_arrive_expect_tx(full(s), STAGE_BYTES);
                    tma_load_2d(stage_a(s), &p.tma_a, kt * BK, tm * BM, full(s));
                    tma_load_2d(stage_b(s), &p.tma_b, kt * BK, tn * BN, full(s));
                    if (++s == STAGES) {
                        s = 0;
                        phase ^= 1;
                    }
                }
            }
        }
    } else {
        asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n" ::: "memory");
        const int c = wg - 1;  // rows c*64 .. c*64+63 of the tile
        const bool lead = (tid % 128) == 0;
        const int warp = (tid % 128) / 32, lane = tid % 32;
        float* C = reinterpret_cast<float*>(p.c);
        float d[128];
#pragma unroll
        for (int i = 0; i < 128; ++i) d[i] = 0.0f;
        int s = 0, prev = 0;
        uint32_t phase = 0;
        for (uint32_t t = blockIdx.x; t < tiles; t += gridDim.x) {
            uint32_t tm, tn;
            tile_coords(t, tiles_m, tiles_n, tm, tn);
            for (uint32_t kt = 0; kt < kt_count; ++kt) {
                mbar_wait(full(s), phase);
                asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
                const uint32_t a = stage_a(s) + c * 64 * 128;
                const uint32_t b = stage_b(s);
#pragma unroll
                for (int ks = 0; ks < BK / 16; ++ks) {
                    // k16 step ks: 32 bytes further along each 128-byte swizzled row.
                    wgmma_m64n256k16(d, desc_sw128(a + ks * 32), desc_sw128(b + ks * 32), (kt > 0 || ks > 0) ? 1 : 0);
                }
                asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
                // The previous k-tile's wgmma are done: its stage may be refilled.
                asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
                if (kt > 0 && lead) mbar_arrive(empty(prev));
                prev = s;
                if (++s == STAGES) {
                    s = 0;
                    phase ^= 1;
                }
            }
            asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
#pragma unroll
            for (int i = 0; i < 128; ++i) asm volatile("" : "+f"(d[i])::"memory");
            if (lead) mbar_arrive(empty(prev));
            const uint32_t row = tm * BM + c * 64 + warp * 16 + lane / 4;
            float* c0 = C + (size_t)row * p.n + tn * BN + (lane % 4) * 2;
            float* c8 = c0 + (size_t)8 * p.n;
#pragma unroll
            for (int j = 0; j < BN / 8; ++j) {
                *reinterpret_cast<float2*>(c0 + j * 8) = make_float2(d[4 * j], d[4 * j + 1]);
                *reinterpret_cast<float2*>(c8 + j * 8) = make_float2(d[4 * j + 2], d[4 * j + 3]);
            }
        }
    }
}

}  // namespace sm90a

#endif
#endif
