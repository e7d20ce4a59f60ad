// gaussian_blur.cu: 5x5 Gaussian blur of a one-channel u8 image with the separable binomial
// kernel [1 4 6 4 1] (dst = (sum k_i k_j src + 128) >> 8), BORDER_REFLECT_101; bit-exact.
// As OpenCV's CUDA filters: a 128 x 32 output tile per 256-thread block, the source tile
// staged as 32-bit words (edge tiles alone pay for the border reflection; see stencil.cuh),
// an integer horizontal pass into shared memory, then a vertical pass in which each thread
// writes 4 pixels of 4 rows as 32-bit words.
// Launch: block (32, 8); grid (ceil(width / 128), ceil(height / 32)). Pitches are multiples
// of 4.
#include "stencil.cuh"

#define BLUR_R 2

extern "C" __global__ void __launch_bounds__(256) gaussian_blur_5x5(FilterParams p) {
    __shared__ uint32_t tile[STENCIL_TH + 2 * BLUR_R][STENCIL_WORDS];
    __shared__ uint16_t hsum[STENCIL_TH + 2 * BLUR_R][STENCIL_TW];
    const int bx = blockIdx.x * STENCIL_TW, by = blockIdx.y * STENCIL_TH;
    const int w = (int)p.width, h = (int)p.height;
    stencil_load_tile<BLUR_R>(tile, p, bx, by);
    __syncthreads();
    // Horizontal pass: 4 adjacent outputs per work item; output column j reads tile bytes
    // j + 2 .. j + 6 (the tile starts 4 columns left of the block).
    const int tid = threadIdx.y * 32 + threadIdx.x;
    for (int i = tid; i < (STENCIL_TH + 2 * BLUR_R) * (STENCIL_TW / 4); i += 256) {
        const int r = i / (STENCIL_TW / 4), g = i % (STENCIL_TW / 4);
        uint32_t px[8];
#pragma unroll
        for (int k = 0; k < 8; ++k) px[k] = stencil_px(tile, r, 4 * g + 2 + k);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            hsum[r][4 * g + j] =
                (uint16_t)(px[j] + 4 * px[j + 1] + 6 * px[j + 2] + 4 * px[j + 3] + px[j + 4]);
        }
    }
    __syncthreads();
    // Vertical pass: columns 4 tx .. 4 tx + 3, rows ty + 8 k.
    uint8_t* dst = reinterpret_cast<uint8_t*>(p.dst);
    const int x0 = bx + 4 * threadIdx.x;
    if (x0 >= w) return;
#pragma unroll
    for (int k = 0; k < STENCIL_TH / 8; ++k) {
        const int r = threadIdx.y + 8 * k;  // output row by + r reads hsum rows r .. r + 4
        const int y = by + r;
        if (y >= h) break;
        uint32_t out = 0;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int c = 4 * threadIdx.x + j;
            const uint32_t s = hsum[r][c] + 4u * hsum[r + 1][c] + 6u * hsum[r + 2][c] + 4u * hsum[r + 3][c] +
                               hsum[r + 4][c];
            out |= (uint32_t)px_blur5_round(s) << (8 * j);
        }
        uint8_t* row = dst + (size_t)y * p.dst_pitch;
        if (x0 + 4 <= w) {
            *reinterpret_cast<uint32_t*>(row + x0) = out;
        } else {
            for (int j = 0; x0 + j < w; ++j) row[x0 + j] = (uint8_t)(out >> (8 * j));
        }
    }
}
