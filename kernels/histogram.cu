// histogram.cu: 256-bin histogram of a one-channel u8 pitched image into u32[256] (exact).
// Two launches: histogram_256_zero (grid 1, block 256) clears the output, then histogram_256
// (block 256, grid ceil(height / 4)): each block counts 4 rows. As OpenCV's histogram256 and
// CUB's DeviceHistogram do, each warp counts into its own shared-memory histogram (8 of them:
// fewer threads collide on a bin) and every thread keeps several 16-byte loads in flight
// (16 pixels each); then the block sums its warps' bins and adds the non-zero ones to the
// output with global atomics. pitch must be a multiple of 16 (the suite's pitches are
// multiples of 256); pixels past `width` in a row are never counted.
#include "params.h"

#define HIST_ROWS_PER_BLOCK 4
#define HIST_WARPS 8
#define HIST_LOADS 4

extern "C" __global__ void __launch_bounds__(256) histogram_256_zero(HistogramParams p) {
    reinterpret_cast<uint32_t*>(p.hist)[threadIdx.x] = 0;
}

__device__ __forceinline__ void count_word(uint32_t* bins, uint32_t w, uint32_t valid) {
    // `valid` of the word's 4 bytes (from the low end) are pixels.
#pragma unroll
    for (uint32_t k = 0; k < 4; ++k) {
        if (k < valid) atomicAdd(&bins[(w >> (8 * k)) & 0xffu], 1u);
    }
}

extern "C" __global__ void __launch_bounds__(256) histogram_256(HistogramParams p) {
    __shared__ uint32_t bins[HIST_WARPS][256];
    for (uint32_t i = threadIdx.x; i < HIST_WARPS * 256; i += 256) (&bins[0][0])[i] = 0;
    __syncthreads();
    uint32_t* mine = bins[threadIdx.x / 32];
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    const uint32_t y0 = blockIdx.x * HIST_ROWS_PER_BLOCK;
    const uint32_t rows = min((uint32_t)HIST_ROWS_PER_BLOCK, p.height - y0);
    const uint32_t vecs = (p.width + 15) / 16;  // 16-byte vectors per row (the last may be partial)
    const uint32_t total = rows * vecs;
    for (uint32_t base = threadIdx.x; base < total; base += 256 * HIST_LOADS) {
        uint4 v[HIST_LOADS];
        uint32_t first[HIST_LOADS];  // index of the vector's first pixel in its row
#pragma unroll
        for (int u = 0; u < HIST_LOADS; ++u) {
            const uint32_t j = base + u * 256;
            first[u] = 0xffffffffu;
            if (j < total) {
                const uint32_t r = j / vecs, c = j % vecs;
                first[u] = c * 16;
                v[u] = __ldg(reinterpret_cast<const uint4*>(src + (size_t)(y0 + r) * p.pitch) + c);
            }
        }
#pragma unroll
        for (int u = 0; u < HIST_LOADS; ++u) {
            if (first[u] == 0xffffffffu) continue;
            const uint32_t left = p.width - first[u];  // pixels of this row from the vector on
            const uint32_t w[4] = {v[u].x, v[u].y, v[u].z, v[u].w};
            if (left >= 16) {
#pragma unroll
                for (int k = 0; k < 4; ++k) count_word(mine, w[k], 4);
            } else {
#pragma unroll
                for (int k = 0; k < 4; ++k) {
                    const uint32_t n = left > 4u * k ? min(4u, left - 4u * k) : 0u;
                    count_word(mine, w[k], n);
                }
            }
        }
    }
    __syncthreads();
    uint32_t c = 0;
#pragma unroll
    for (int wv = 0; wv < HIST_WARPS; ++wv) c += bins[wv][threadIdx.x];
    if (c != 0) atomicAdd(reinterpret_cast<uint32_t*>(p.hist) + threadIdx.x, c);
}
