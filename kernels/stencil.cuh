// stencil.cuh: the tile loader shared by the one-channel u8 stencils (gaussian_blur_5x5,
// sobel_3x3_dx). A 256-thread block (32 x 8) produces a STENCIL_TW x STENCIL_TH tile of
// outputs; it stages the source rows [by - R, by + TH + R) and the columns
// [bx - 16, bx + TW + 16) in shared memory as 4-pixel words (word c holds columns
// bx - 16 + 4c .. bx - 16 + 4c + 3, lowest byte first). The halo is 16 columns wide, not R,
// so that every staged row is whole 16-byte vectors: where the image is 16-byte aligned and
// the tile's columns lie inside it (all but the image's left and right edge tiles), the
// block loads 16-byte vectors with no column arithmetic, and rows outside the image (top and
// bottom edge tiles) are mapped with BORDER_REFLECT_101 once per vector. Left and right edge
// tiles, and every tile of an image whose pointer or pitch is not 16-byte aligned, load byte
// by byte, reflecting each column.
#ifndef ARCHBENCH_STENCIL_CUH
#define ARCHBENCH_STENCIL_CUH

#include "params.h"
#include "pixel.h"
#include "swar.cuh"

#define STENCIL_TW 128
#define STENCIL_TH 32
#define STENCIL_HALO 16
#define STENCIL_WORDS ((STENCIL_TW + 2 * STENCIL_HALO) / 4)
#define STENCIL_VECS (STENCIL_WORDS / 4)
// The word holding columns bx .. bx + 3.
#define STENCIL_W0 (STENCIL_HALO / 4)

template <int R>
__device__ __forceinline__ void stencil_load_tile(uint32_t (*tile)[STENCIL_WORDS], const FilterParams& p,
                                                  int bx, int by) {
    const int w = (int)p.width, h = (int)p.height;
    const int tid = threadIdx.y * 32 + threadIdx.x;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    const bool aligned = (((uintptr_t)src | (uintptr_t)p.src_pitch) & 15u) == 0;
    const bool columns_inside = aligned && bx >= STENCIL_HALO && bx + STENCIL_TW + STENCIL_HALO <= w;
    const int rows = STENCIL_TH + 2 * R;
    if (columns_inside) {
        const bool rows_inside = by >= R && by + STENCIL_TH + R <= h;
        for (int i = tid; i < rows * STENCIL_VECS; i += 256) {
            const int r = i / STENCIL_VECS, c = i % STENCIL_VECS;
            const int y = rows_inside ? by - R + r : px_reflect101(by - R + r, h);
            const uint8_t* row = src + (size_t)y * p.src_pitch + (bx - STENCIL_HALO);
            reinterpret_cast<uint4*>(tile[r])[c] = __ldg(reinterpret_cast<const uint4*>(row) + c);
        }
    } else {
        for (int i = tid; i < rows * STENCIL_WORDS; i += 256) {
            const int r = i / STENCIL_WORDS, c = i % STENCIL_WORDS;
            const uint8_t* row = src + (size_t)px_reflect101(by - R + r, h) * p.src_pitch;
            uint32_t word = 0;
#pragma unroll
            for (int k = 0; k < 4; ++k) {
                const int x = bx - STENCIL_HALO + 4 * c + k;
                // Columns more than R outside the image are never used: read an edge one.
                const int gx = x < -R ? 0 : (x < w + R ? px_reflect101(x, w) : w - 1);
                word |= (uint32_t)__ldg(row + gx) << (8 * k);
            }
            tile[r][c] = word;
        }
    }
}

#endif  // ARCHBENCH_STENCIL_CUH
