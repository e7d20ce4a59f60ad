// stencil.cuh: the tile loader shared by the one-channel u8 stencils (gaussian_blur_5x5,
// sobel_3x3_dx). A 256-thread block (32 x 8) produces a STENCIL_TW x STENCIL_TH tile of
// outputs; it stages the source rows [by - R, by + TH + R) and the 4-pixel words covering
// columns [bx - 4, bx - 4 + 4 * STENCIL_WORDS) in shared memory. Tiles whose halo lies inside
// the image (all but the image's edge tiles) load aligned 32-bit words with no border
// arithmetic; edge tiles load byte by byte with BORDER_REFLECT_101.
#ifndef ARCHBENCH_STENCIL_CUH
#define ARCHBENCH_STENCIL_CUH

#include "params.h"
#include "pixel.h"

#define STENCIL_TW 128
#define STENCIL_TH 32
#define STENCIL_WORDS (STENCIL_TW / 4 + 2)

template <int R>
__device__ __forceinline__ void stencil_load_tile(uint32_t (*tile)[STENCIL_WORDS], const FilterParams& p,
                                                  int bx, int by) {
    const int w = (int)p.width, h = (int)p.height;
    const int tid = threadIdx.y * 32 + threadIdx.x;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    const bool interior = bx >= 4 && bx - 4 + 4 * STENCIL_WORDS <= w && by >= R && by + STENCIL_TH + R <= h;
    const int n = (STENCIL_TH + 2 * R) * STENCIL_WORDS;
    if (interior) {
        for (int i = tid; i < n; i += 256) {
            const int r = i / STENCIL_WORDS, c = i % STENCIL_WORDS;
            const uint8_t* row = src + (size_t)(by - R + r) * p.src_pitch;
            tile[r][c] = __ldg(reinterpret_cast<const uint32_t*>(row + bx - 4) + c);
        }
    } else {
        for (int i = tid; i < n; i += 256) {
            const int r = i / STENCIL_WORDS, c = i % STENCIL_WORDS;
            const uint8_t* row = src + (size_t)px_reflect101(by - R + r, h) * p.src_pitch;
            uint32_t word = 0;
#pragma unroll
            for (int k = 0; k < 4; ++k) {
                const int x = bx - 4 + 4 * c + k;
                // Columns far right of the image are never used: read the last one.
                const int gx = x < w + R ? px_reflect101(x, w) : w - 1;
                word |= (uint32_t)__ldg(row + gx) << (8 * k);
            }
            tile[r][c] = word;
        }
    }
}

// Byte `c` (0-based, counting from column bx - 4) of tile row `r`.
__device__ __forceinline__ uint32_t stencil_px(const uint32_t (*tile)[STENCIL_WORDS], int r, int c) {
    return (tile[r][c >> 2] >> (8 * (c & 3))) & 0xffu;
}

#endif  // ARCHBENCH_STENCIL_CUH
