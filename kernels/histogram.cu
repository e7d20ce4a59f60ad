// histogram.cu: 256-bin histogram of a one-channel u8 pitched image into u32[256] (exact).
// Two launches: histogram_256_zero (grid 1, block 256) clears the output, then histogram_256
// (block 256, grid ceil(height / 4)): each block counts 4 rows into a shared-memory histogram
// with shared atomics (32-bit words per thread), then adds its non-zero bins to the output
// with global atomics. pitch must be a multiple of 4.
#include "params.h"

#define HIST_ROWS_PER_BLOCK 4

extern "C" __global__ void __launch_bounds__(256) histogram_256_zero(HistogramParams p) {
    reinterpret_cast<uint32_t*>(p.hist)[threadIdx.x] = 0;
}

extern "C" __global__ void __launch_bounds__(256) histogram_256(HistogramParams p) {
    __shared__ uint32_t bins[256];
    bins[threadIdx.x] = 0;
    __syncthreads();
    const uint32_t words = p.width / 4;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    for (int r = 0; r < HIST_ROWS_PER_BLOCK; ++r) {
        const uint32_t y = blockIdx.x * HIST_ROWS_PER_BLOCK + r;
        if (y >= p.height) break;
        const uint8_t* row = src + (size_t)y * p.pitch;
        const uint32_t* row32 = reinterpret_cast<const uint32_t*>(row);
        for (uint32_t i = threadIdx.x; i < words; i += 256) {
            const uint32_t v = __ldg(row32 + i);
            atomicAdd(&bins[v & 0xff], 1u);
            atomicAdd(&bins[(v >> 8) & 0xff], 1u);
            atomicAdd(&bins[(v >> 16) & 0xff], 1u);
            atomicAdd(&bins[v >> 24], 1u);
        }
        const uint32_t x = words * 4 + threadIdx.x;
        if (x < p.width) atomicAdd(&bins[row[x]], 1u);
    }
    __syncthreads();
    const uint32_t c = bins[threadIdx.x];
    if (c != 0) atomicAdd(reinterpret_cast<uint32_t*>(p.hist) + threadIdx.x, c);
}
