// gaussian_blur.cu: 5x5 Gaussian blur of a one-channel u8 image with the separable binomial
// kernel [1 4 6 4 1] (dst = (sum k_i k_j src + 128) >> 8), BORDER_REFLECT_101; bit-exact.
// As OpenCV's CUDA filters: a 128 x 32 output tile per 256-thread block, the source tile
// staged as 32-bit words (edge tiles alone pay for the border reflection; see stencil.cuh),
// an integer horizontal pass into shared memory (each work item reads 3 words and writes its
// 4 sums as one 8-byte word), then a vertical pass in which each thread reads 8 such words
// and writes 4 pixels of 4 consecutive rows as 32-bit words: shared memory is touched about
// 1.6 times per pixel (byte and half-word accesses took 8).
// Launch: block (32, 8); grid (ceil(width / 128), ceil(height / 32)). Pitches are multiples
// of 4.
#include "stencil.cuh"

#define BLUR_R 2

extern "C" __global__ void __launch_bounds__(256) gaussian_blur_5x5(FilterParams p) {
    __shared__ uint32_t tile[STENCIL_TH + 2 * BLUR_R][STENCIL_WORDS];
    // Horizontal sums: word pair (row, g) holds columns 4g .. 4g + 3 as 16-bit halves.
    __shared__ uint2 hsum[STENCIL_TH + 2 * BLUR_R][STENCIL_TW / 4];
    const int bx = blockIdx.x * STENCIL_TW, by = blockIdx.y * STENCIL_TH;
    const int w = (int)p.width, h = (int)p.height;
    stencil_load_tile<BLUR_R>(tile, p, bx, by);
    __syncthreads();
    // Horizontal pass: output column 4g + j reads tile bytes 4g + j + 2 .. 4g + j + 6 (the
    // tile starts 4 columns left of the block): bytes 2 .. 9 of words g, g + 1, g + 2.
    const int tid = threadIdx.y * 32 + threadIdx.x;
    for (int i = tid; i < (STENCIL_TH + 2 * BLUR_R) * (STENCIL_TW / 4); i += 256) {
        const int r = i / (STENCIL_TW / 4), g = i % (STENCIL_TW / 4);
        // Bytes 2 .. 9 of words g, g + 1, g + 2 as one 64-bit window.
        const uint64_t win = ((uint64_t)tile[r][g] >> 16) | ((uint64_t)tile[r][g + 1] << 16) |
                             ((uint64_t)(tile[r][g + 2] & 0xffffu) << 48);
        auto px = [&](int k) { return (uint32_t)(win >> (8 * k)) & 0xffu; };
        uint32_t s[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) s[j] = px(j) + 4 * px(j + 1) + 6 * px(j + 2) + 4 * px(j + 3) + px(j + 4);
        hsum[r][g] = make_uint2(s[0] | (s[1] << 16), s[2] | (s[3] << 16));
    }
    __syncthreads();
    // Vertical pass: columns 4 tx .. 4 tx + 3 of output rows 4 ty .. 4 ty + 3, which read
    // hsum rows 4 ty .. 4 ty + 7.
    uint8_t* dst = reinterpret_cast<uint8_t*>(p.dst);
    const int x0 = bx + 4 * threadIdx.x;
    if (x0 >= w) return;
    // Rows 4 ty .. 4 ty + 7 of the sums, each as 2 words of two 16-bit halves.
    uint2 q[8];
#pragma unroll
    for (int t = 0; t < 8; ++t) q[t] = hsum[4 * threadIdx.y + t][threadIdx.x];
    auto half = [&](int t, int j) { return ((j < 2 ? q[t].x : q[t].y) >> (16 * (j & 1))) & 0xffffu; };
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        const int y = by + 4 * threadIdx.y + k;
        if (y >= h) continue;  // not `break`: the loop must unroll (constant array indices)
        uint32_t out = 0;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const uint32_t s = half(k, j) + 4u * half(k + 1, j) + 6u * half(k + 2, j) + 4u * half(k + 3, j) + half(k + 4, j);
            out |= (uint32_t)px_blur5_round(s) << (8 * j);
        }
        uint8_t* row = dst + (size_t)y * p.dst_pitch;
        if (x0 + 4 <= w) {
            *reinterpret_cast<uint32_t*>(row + x0) = out;
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (x0 + j < w) row[x0 + j] = (uint8_t)(out >> (8 * j));
            }
        }
    }
}
